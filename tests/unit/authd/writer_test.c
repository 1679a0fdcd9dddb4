/* authd writer.h: group commit over a watched LMDB store. Completions after the commit and after the
 * logs' checkpoints cover it; batches that grow while a commit is in progress; max_batch; the commit
 * delay under load, none when idle or with fewer requests in flight than fill; a failed batch reported to
 * every job; drain and stop; each commit and each write's wait in /metrics; a batch's disclosure marks
 * under one signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authd_support.h"
#include "mark_batch.h"
#include "metrics.h"
#include "tlog.h"
#include "writer.h"

struct job {
    struct authd_write_job job;
    char entry[32];
    struct fixture *f;
    authd_err result;
    uint64_t log_index;
    uint64_t checkpoint_size; /* the published checkpoint's, when the completion ran */
    bool leaf_fails;          /* a marked job whose mark cannot be written */
    certlib_mark mark;        /* a marked job's mark, its text and leaf written by the writer */
    char text[1024];
    size_t text_len;
};

struct fixture {
    char *dir;
    struct spy_storage *spy;
    struct authd_log *log;
    struct authd_writer *w;
    struct waiter done;
    struct job jobs[64];
    size_t n_jobs;
};

static void job_done(struct authd_write_job *j)
{
    struct job *job = AUTHD_JOB_OWNER(struct job, job, j);
    job->result = j->w.result;
    job->log_index = j->w.log_index;
    char cp[AUTHD_CHECKPOINT_MAX];
    authd_log_checkpoint(job->f->log, cp, &job->checkpoint_size);
    waiter_signal(&job->f->done);
}

/* A marked job's leaf, as access_record.c writes it: its mark's text with the index given. */
static authd_err mark_leaf(struct authd_write_job *j, certlib_tlog_hash leaf)
{
    struct job *job = AUTHD_JOB_OWNER(struct job, job, j);
    if (job->leaf_fails) return AUTHD_E_NOMEM;
    job->mark = (certlib_mark){.index = j->w.log_index, .kind = CERTLIB_LOG_LOOKUP, .time = 1796025600};
    strcpy(job->mark.client, "counter-hz");
    authd_err rc = authd_log_mark_text(job->f->log, &job->mark, job->text, sizeof(job->text), &job->text_len);
    certlib_tlog_leaf_hash((const uint8_t *)job->text, job->text_len, leaf);
    return rc;
}

static size_t company = 0; /* requests in flight, as the writer's company function reports them */

static size_t in_flight(void *arg)
{
    (void)arg;
    return company;
}

static struct authd_metrics *metrics; /* the writer's, when a test sets it */

static struct fixture *start_with(size_t max_batch, size_t delay_us, size_t fill, authd_writer_company_fn fn)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->dir = scratch_dir();
    f->spy = spy_wrap(open_lmdb(f->dir, 0));
    char key[4096], err[512];
    snprintf(key, sizeof(key), "%s/keys-example/log/access.key", test_repo);
    assert_int_equal(
        authd_log_open(&f->spy->base, AUTHD_LOG_ACCESS, "test.example/log", key, &f->log, err, sizeof(err)),
        AUTHD_OK);
    struct authd_log *logs[AUTHD_LOG_COUNT] = {NULL, f->log};
    f->w = authd_writer_start(&f->spy->base, logs, max_batch, delay_us, fill, metrics, fn, NULL);
    assert_non_null(f->w);
    waiter_init(&f->done);
    return f;
}

static struct fixture *start(size_t max_batch, size_t delay_us, size_t fill)
{
    return start_with(max_batch, delay_us, fill, NULL);
}

static void submit(struct fixture *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct job *j = &f->jobs[f->n_jobs];
        snprintf(j->entry, sizeof(j->entry), "entry %zu", f->n_jobs);
        j->f = f;
        j->job.w = (struct authd_storage_write){.op = AUTHD_STORE_APPEND,
                                                .log = AUTHD_LOG_ACCESS,
                                                .entry = (const uint8_t *)j->entry,
                                                .entry_len = strlen(j->entry)};
        j->job.done = job_done;
        f->n_jobs++;
        authd_writer_submit(f->w, &j->job);
    }
}

/* n jobs whose answers go out under disclosure marks */
static void submit_marked(struct fixture *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        f->jobs[f->n_jobs + i].job.mark_leaf = mark_leaf;
        f->jobs[f->n_jobs + i].leaf_fails = i == 3;
    }
    submit(f, n);
}

static void finish(struct fixture *f)
{
    authd_writer_stop(f->w);
    authd_log_close(f->log);
    authd_storage_close(&f->spy->base);
    waiter_destroy(&f->done);
    scratch_remove(f->dir);
    free(f);
}

static void assert_batches(struct fixture *f, const size_t *sizes, size_t n)
{
    assert_int_equal(spy_applies(f->spy), n);
    for (size_t i = 0; i < n; i++)
        if (f->spy->sizes[i] != sizes[i])
            fail_msg("batch %zu held %zu writes, not %zu", i, f->spy->sizes[i], sizes[i]);
}

static void test_completions_after_commit_and_checkpoint(void **state)
{
    (void)state;
    struct fixture *f = start(1024, 0, 32);
    submit(f, 10);
    waiter_wait(&f->done, 10);
    bool seen[10] = {false};
    for (size_t i = 0; i < 10; i++) {
        struct job *j = &f->jobs[i];
        assert_int_equal(j->result, AUTHD_OK);
        assert_true(j->log_index < 10 && !seen[j->log_index]);
        seen[j->log_index] = true;
        /* the checkpoint published before the completion covers the entry */
        assert_true(j->checkpoint_size > j->log_index);
    }
    /* in submission order */
    for (size_t i = 1; i < 10; i++)
        assert_true(f->jobs[i].log_index > f->jobs[i - 1].log_index);
    finish(f);
}

static void test_batches_grow_during_a_commit(void **state)
{
    (void)state;
    struct fixture *f = start(1024, 0, 32);
    spy_set_hold(f->spy, true);
    submit(f, 1);
    spy_wait_holding(f->spy); /* the first commit is in progress */
    submit(f, 20);
    spy_set_hold(f->spy, false);
    waiter_wait(&f->done, 21);
    static const size_t want[] = {1, 20};
    assert_batches(f, want, 2);
    finish(f);
}

static void test_max_batch(void **state)
{
    (void)state;
    struct fixture *f = start(8, 0, 32);
    spy_set_hold(f->spy, true);
    submit(f, 1);
    spy_wait_holding(f->spy);
    submit(f, 20);
    spy_set_hold(f->spy, false);
    waiter_wait(&f->done, 21);
    static const size_t want[] = {1, 8, 8, 4};
    assert_batches(f, want, 4);
    finish(f);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Under load (work waiting when a commit ends) a small batch waits for `fill` writes, up to the delay;
 * an idle writer commits at once. The delay is 5 s, so neither outcome is a matter of timing luck. */
static void test_commit_delay(void **state)
{
    (void)state;
    struct fixture *f = start(1024, 5000000, 5);
    spy_set_hold(f->spy, true);
    submit(f, 1);
    spy_wait_holding(f->spy);
    submit(f, 2); /* waiting when the commit ends: load */
    spy_set_hold(f->spy, false);
    waiter_wait(&f->done, 1);
    usleep(300000); /* without the delay these two would be committed by now */
    assert_int_equal(spy_applies(f->spy), 1);
    submit(f, 3); /* fill reached: committed without waiting out the delay */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    waiter_wait(&f->done, 6);
    assert_true(seconds_since(&t0) < 2.5);
    static const size_t want[] = {1, 5};
    assert_batches(f, want, 2);
    /* idle: one write, committed at once */
    usleep(50000);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    submit(f, 1);
    waiter_wait(&f->done, 7);
    assert_true(seconds_since(&t0) < 2.5);
    finish(f);
}

/* One request after another, with nothing else in flight: each write is committed at once, even right
 * after the last commit (without the company function the second would wait out the 5 s delay). */
static void test_a_lone_request_is_not_held(void **state)
{
    (void)state;
    company = 1;
    struct fixture *f = start_with(1024, 5000000, 5, in_flight);
    submit(f, 1);
    waiter_wait(&f->done, 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    submit(f, 1);
    waiter_wait(&f->done, 2);
    assert_true(seconds_since(&t0) < 2.5);
    static const size_t want[] = {1, 1};
    assert_batches(f, want, 2);
    finish(f);
}

/* Other requests in flight are load, even when the writer has been idle: writes that reach it slowly
 * (slow signing) still share a commit. The delay is 5 s and the fill 2, so the second write either
 * joins the first (fill reached) or the first was committed alone. */
static void test_requests_in_flight_are_load(void **state)
{
    (void)state;
    company = 5;
    struct fixture *f = start_with(1024, 5000000, 2, in_flight);
    usleep(20000); /* idle well past a commit's 5 ms */
    submit(f, 1);
    usleep(100000); /* a write an idle writer would have committed by now */
    assert_int_equal(spy_applies(f->spy), 0);
    submit(f, 1);
    waiter_wait(&f->done, 2);
    static const size_t want[] = {2};
    assert_batches(f, want, 1);
    finish(f);
}

/* Under load, but with fewer requests in flight than `fill`: the batch cannot fill, so it is committed
 * at once; with `fill` in flight the same batch waits. The delay is 5 s: either way, no timing luck. */
static void test_fewer_in_flight_than_fill_is_not_held(void **state)
{
    (void)state;
    company = 4;
    struct fixture *f = start_with(1024, 5000000, 5, in_flight);
    spy_set_hold(f->spy, true);
    submit(f, 1);
    spy_wait_holding(f->spy);
    submit(f, 2); /* waiting when the commit ends: load, but only 4 requests in flight */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    spy_set_hold(f->spy, false);
    waiter_wait(&f->done, 3);
    assert_true(seconds_since(&t0) < 2.5);
    static const size_t want[] = {1, 2};
    assert_batches(f, want, 2);
    company = 5; /* now enough to fill one: two writes wait for the rest */
    submit(f, 2);
    usleep(300000);
    assert_int_equal(spy_applies(f->spy), 2);
    submit(f, 3);
    waiter_wait(&f->done, 8);
    static const size_t then[] = {1, 2, 5};
    assert_batches(f, then, 3);
    finish(f);
}

static void test_failed_batch(void **state)
{
    (void)state;
    struct fixture *f = start(1024, 0, 32);
    submit(f, 1);
    waiter_wait(&f->done, 1);
    uint64_t before = f->jobs[0].checkpoint_size;
    spy_set_hold(f->spy, true);
    submit(f, 1);
    spy_wait_holding(f->spy);
    spy_fail_next(f->spy, AUTHD_E_IO); /* the held batch fails when it goes on */
    submit(f, 3);
    spy_set_hold(f->spy, false);
    waiter_wait(&f->done, 5);
    assert_int_equal(f->jobs[1].result, AUTHD_E_IO);
    for (size_t i = 2; i < 5; i++)
        assert_int_equal(f->jobs[i].result, AUTHD_OK);
    /* the checkpoint covers what was stored, nothing more */
    uint64_t size;
    char cp[AUTHD_CHECKPOINT_MAX];
    authd_log_checkpoint(f->log, cp, &size);
    assert_int_equal(size, before + 3);
    assert_int_equal(f->jobs[2].log_index, before); /* the failed write took no index */
    finish(f);
}

static void test_drain_and_stop(void **state)
{
    (void)state;
    struct fixture *f = start(4, 0, 32);
    submit(f, 30);
    authd_writer_drain(f->w);
    assert_int_equal(waiter_count(&f->done), 30); /* every completion has run */
    submit(f, 30);
    authd_writer_stop(f->w); /* writes what is queued, then stops */
    f->w = NULL;
    assert_int_equal(waiter_count(&f->done), 60);
    for (size_t i = 0; i < 60; i++)
        assert_int_equal(f->jobs[i].result, AUTHD_OK);
    finish(f);
}

/* Each batch's commit is in authd_store_commit_seconds, and each write's wait from its submission in
 * authd_write_wait_seconds: here the first commit is held 50 ms, and the writes submitted meanwhile
 * wait for it and then for their own. */
static void test_commits_and_waits_are_measured(void **state)
{
    (void)state;
    metrics = authd_metrics_new(NULL, 0);
    assert_non_null(metrics);
    struct fixture *f = start(1024, 0, 32);
    spy_set_hold(f->spy, true);
    submit(f, 1);
    spy_wait_holding(f->spy);
    submit(f, 5);
    nanosleep(&(struct timespec){0, 50000000}, NULL);
    spy_set_hold(f->spy, false);
    waiter_wait(&f->done, 6);
    authd_writer_drain(f->w);
    assert_int_equal(metric_value(metrics, "authd_store_commit_seconds_count"), 2);
    /* the held one took 50 ms or more: not within 25 ms */
    assert_true(metric_value(metrics, "authd_store_commit_seconds_bucket{le=\"0.025\"}") <= 1);
    assert_int_equal(metric_value(metrics, "authd_write_wait_seconds_count"), 6);
    assert_int_equal(metric_value(metrics, "authd_write_wait_seconds_bucket{le=\"0.025\"}"), 0);
    assert_true(metric_value(metrics, "authd_write_wait_seconds_sum") >= 6 * 0.05);
    finish(f);
    authd_metrics_free(metrics);
    metrics = NULL;
}

/* The marks of a batch's writes are signed once: each marked job gets the batch and its place in it,
 * in the batch's order; a job with no mark, or whose mark could not be written, gets none; and each
 * mark taken from the batch opens under the access log's key. */
static void test_a_batchs_marks_share_one_signature(void **state)
{
    (void)state;
    struct fixture *f = start(1024, 0, 32);
    spy_set_hold(f->spy, true);
    submit(f, 1);
    spy_wait_holding(f->spy);
    submit_marked(f, 5); /* the fourth one's leaf fails */
    submit(f, 1);
    submit_marked(f, 2);
    spy_set_hold(f->spy, false);
    waiter_wait(&f->done, 9);
    static const size_t want[] = {1, 8};
    assert_batches(f, want, 2);
    assert_null(f->jobs[0].job.marks);
    assert_null(f->jobs[6].job.marks);
    assert_null(f->jobs[4].job.marks); /* its leaf failed: it signs its mark alone */
    struct authd_mark_batch *batch = f->jobs[1].job.marks;
    assert_non_null(batch);
    static const size_t marked[] = {1, 2, 3, 5, 7, 8};
    for (size_t k = 0; k < 6; k++) {
        struct job *j = &f->jobs[marked[k]];
        assert_ptr_equal(j->job.marks, batch);
        assert_int_equal(j->job.mark_position, k);
        char mark[CERTLIB_MARK_MAX];
        size_t len;
        assert_int_equal(authd_mark_batch_mark(batch, k, j->text, j->text_len, mark, sizeof(mark), &len),
                         AUTHD_OK);
        certlib_mark opened;
        assert_int_equal(certlib_mark_open(mark, len, authd_log_verifier(f->log), &opened), CERTLIB_OK);
        assert_int_equal(opened.index, j->log_index);
        /* another job's place for this text: refused */
        assert_int_equal(
            authd_mark_batch_mark(batch, (k + 1) % 6, j->text, j->text_len, mark, sizeof(mark), &len),
            AUTHD_OK);
        assert_int_equal(certlib_mark_open(mark, len, authd_log_verifier(f->log), &opened),
                         CERTLIB_E_NOTE_SIGNATURE);
    }
    for (size_t k = 0; k < 6; k++)
        authd_mark_batch_release(f->jobs[marked[k]].job.marks); /* the last frees it (ASan would say) */
    finish(f);
}

int main(int argc, char **argv)
{
    if (argc > 1) test_repo = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_completions_after_commit_and_checkpoint),
        cmocka_unit_test(test_batches_grow_during_a_commit),
        cmocka_unit_test(test_max_batch),
        cmocka_unit_test(test_commit_delay),
        cmocka_unit_test(test_fewer_in_flight_than_fill_is_not_held),
        cmocka_unit_test(test_a_lone_request_is_not_held),
        cmocka_unit_test(test_requests_in_flight_are_load),
        cmocka_unit_test(test_failed_batch),
        cmocka_unit_test(test_drain_and_stop),
        cmocka_unit_test(test_commits_and_waits_are_measured),
        cmocka_unit_test(test_a_batchs_marks_share_one_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
