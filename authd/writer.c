/* Group commit: the thread sleeps until work arrives, then takes everything queued (up to max_batch)
 * as one transaction. Under load batches grow by themselves: while one commit is fsyncing, the next
 * batch queues up; a short linger (commit_delay) makes them grow further. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "log_limit.h"
#include "mark_batch.h"
#include "metrics.h"
#include "monotonic.h"
#include "thread_name.h"
#include "tlog.h"
#include "writer.h"

struct authd_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct authd_write_job *head, *tail;
    size_t queued;
    bool sleeping, lingering; /* waiting for any work; waiting for `fill` writes */
    long delay_ns;            /* commit_delay_us, in ns */
    size_t fill;              /* commit_fill */
    int stopping;
    struct authd_storage *storage;
    struct authd_log *logs[AUTHD_LOG_COUNT];
    size_t max_batch;
    struct authd_metrics *metrics;
    authd_writer_company_fn company;
    void *company_arg;
    size_t in_flight;    /* submitted and not yet done */
    pthread_cond_t idle; /* signalled when in_flight drops to 0 */
    struct authd_storage_write *batch;
    struct authd_write_job **jobs;
    certlib_tlog_hash *leaves;         /* the batch's marks' leaves */
    bool unpublished[AUTHD_LOG_COUNT]; /* the writer's: a log whose last checkpoint could not be signed */
    atomic_int last_error;             /* the last batch's outcome (authd_err) */
    atomic_llong last_error_ms;        /* and when it failed, on the monotonic clock */
};

#define BUSY_NS 5000000L /* a commit this recent means load */

/* With the lock held: under load and with fewer than `fill` writes queued, waits up to the delay for
 * more. When the process says how many requests it has in flight (`company`), load is `fill` of them:
 * even when each takes longer than a commit to reach the writer (slow signing: a cipher machine, a
 * sanitizer build), so a burst of `fill` shares commits. With fewer the wait cannot fill the batch: it
 * would run out every time and add the delay to every answer, for commits the machine has the time to
 * make. That covers one client sending one request after another (its write the one queued; waiting
 * would add the delay to every answer, twice over in a federated lookup), and a moderate load, where
 * the delay doubled a lookup's median latency (1,000 lookups/s at 64 connections: 2.6 -> 1.8 ms on
 * LMDB without it). Saturated, every connection has a request in flight and the wait still gathers
 * `fill` writes a commit. Without `company`, load is work that queued while the last commit ran, or a
 * commit less than BUSY_NS ago. Submitters wake the writer only once `fill` is reached, so lingering
 * costs no wake-up per write. */
static void linger(struct authd_writer *w, bool waited, const struct timespec *last_commit)
{
    if (w->delay_ns <= 0 || w->queued >= w->fill || w->stopping) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (w->company) {
        if (w->company(w->company_arg) < w->fill) return;
    } else if (waited) {
        long since = (now.tv_sec - last_commit->tv_sec) * 1000000000L + (now.tv_nsec - last_commit->tv_nsec);
        if (since >= BUSY_NS) return; /* idle: commit at once */
    }
    struct timespec until = authd_after_ns(now, w->delay_ns);
    w->lingering = true;
    while (w->queued < w->fill && !w->stopping)
        if (pthread_cond_timedwait(&w->wake, &w->lock, &until) != 0) break; /* the delay is over */
    w->lingering = false;
}

/* The batch's disclosure marks under one signature (mark_batch.h): each job that asks gives its leaf. */
static void sign_marks(struct authd_writer *w, struct authd_write_job **jobs, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct authd_write_job *j = jobs[i];
        j->marks = NULL;
        if (j->mark_leaf && j->w.result == AUTHD_OK && j->mark_leaf(j, w->leaves[k]) == AUTHD_OK)
            j->mark_position = k++;
        else
            j->mark_position = SIZE_MAX;
    }
    struct authd_log *log = w->logs[AUTHD_LOG_ACCESS];
    struct authd_mark_batch *b = k && log ? authd_mark_batch_sign(log, w->leaves, k) : NULL;
    for (size_t i = 0; b && i < n; i++)
        if (jobs[i]->mark_position != SIZE_MAX) jobs[i]->marks = b;
}

/* A batch that failed, said at most every 10 s for each reason: a store away fails every batch. */
static void say_failed(size_t n, authd_err rc)
{
    static struct authd_log_limit limit = AUTHD_LOG_LIMIT_INIT;
    if (rc == AUTHD_E_INDOUBT)
        authd_log_limited(&limit, authd_err_name(rc), 10000,
                          "authd: a batch of %zu writes may or may not have been stored (in doubt)", n);
    else
        authd_log_limited(&limit, authd_err_name(rc), 10000,
                          "authd: a batch of %zu writes was not stored: %s", n, authd_err_name(rc));
}

static void *writer_main(void *arg)
{
    struct authd_writer *w = arg;
    struct authd_storage_write *batch = w->batch;
    struct authd_write_job **jobs = w->jobs;
    struct timespec last = {0, 0};
    for (;;) {
        pthread_mutex_lock(&w->lock);
        bool waited = false;
        while (!w->head && !w->stopping) {
            w->sleeping = true;
            pthread_cond_wait(&w->wake, &w->lock);
            w->sleeping = false;
            waited = true;
        }
        if (!w->head && w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        linger(w, waited, &last);
        size_t n = 0;
        while (w->head && n < w->max_batch) {
            jobs[n++] = w->head;
            w->head = w->head->next;
        }
        w->queued -= n;
        if (!w->head) w->tail = NULL;
        pthread_mutex_unlock(&w->lock);

        for (size_t i = 0; i < n; i++)
            batch[i] = jobs[i]->w;
        int64_t began = authd_monotonic_ns();
        authd_err rc = authd_storage_apply(w->storage, batch, n);
        authd_metrics_stage(w->metrics, AUTHD_S_COMMIT, authd_monotonic_ns() - began);
        if (rc != AUTHD_OK) {
            say_failed(n, rc);
            authd_metrics_count(w->metrics, AUTHD_M_WRITE_FAILURES);
            atomic_store(&w->last_error_ms, authd_monotonic_ms());
        }
        atomic_store(&w->last_error, (int)rc);
        /* Durable: now, and only now, sign checkpoints covering the new entries, for the logs the batch
         * grew (on a shared store each publish is a read from the database, and a batch of lookups
         * does not touch the signature log). */
        bool grew[AUTHD_LOG_COUNT] = {false};
        for (size_t i = 0; i < n; i++)
            if (batch[i].result == AUTHD_OK && batch[i].entry && batch[i].log < AUTHD_LOG_COUNT)
                grew[batch[i].log] = true;
        for (int l = 0; rc == AUTHD_OK && l < AUTHD_LOG_COUNT; l++) {
            if (!grew[l] && !w->unpublished[l]) continue;
            w->unpublished[l] = authd_log_publish_committed(w->logs[l]) != AUTHD_OK;
            if (w->unpublished[l])
                fprintf(stderr,
                        "authd: committed, but the %s log's checkpoint could not be signed; retrying "
                        "with the next write\n",
                        l == AUTHD_LOG_SIGNATURES ? "signature" : "access");
        }
        authd_metrics_batch(w->metrics, n);
        clock_gettime(CLOCK_MONOTONIC, &last);
        int64_t durable = authd_timespec_ns(last);
        for (size_t i = 0; i < n; i++)
            jobs[i]->w = batch[i]; /* every out field (result, before, log index) comes back */
        sign_marks(w, jobs, n);
        for (size_t i = 0; i < n; i++) {
            authd_metrics_stage(w->metrics, AUTHD_S_WRITE_WAIT, durable - jobs[i]->submitted_ns);
            jobs[i]->done(jobs[i]);
        }
        pthread_mutex_lock(&w->lock);
        w->in_flight -= n;
        if (w->in_flight == 0) pthread_cond_broadcast(&w->idle);
        pthread_mutex_unlock(&w->lock);
    }
    return NULL;
}

authd_err authd_writer_failing(struct authd_writer *w, int64_t within_ms)
{
    authd_err rc = (authd_err)atomic_load(&w->last_error);
    if (rc == AUTHD_OK || authd_monotonic_ms() - atomic_load(&w->last_error_ms) > within_ms) return AUTHD_OK;
    return rc;
}

struct authd_writer *authd_writer_start(struct authd_storage *storage,
                                        struct authd_log *const logs[AUTHD_LOG_COUNT], size_t max_batch,
                                        size_t delay_us, size_t fill, struct authd_metrics *metrics,
                                        authd_writer_company_fn company, void *company_arg)
{
    struct authd_writer *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    w->storage = storage;
    for (int l = 0; logs && l < AUTHD_LOG_COUNT; l++)
        w->logs[l] = logs[l];
    w->max_batch = max_batch;
    w->metrics = metrics;
    w->company = company;
    w->company_arg = company_arg;
    w->batch = malloc(max_batch * sizeof(*w->batch));
    w->jobs = malloc(max_batch * sizeof(*w->jobs));
    w->leaves = malloc(max_batch * sizeof(*w->leaves));
    w->delay_ns = (long)delay_us * 1000;
    w->fill = fill < max_batch ? fill : max_batch; /* a batch never holds more */
    pthread_mutex_init(&w->lock, NULL);
    authd_cond_init_monotonic(&w->wake);
    pthread_cond_init(&w->idle, NULL);
    if (!w->batch || !w->jobs || !w->leaves || pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        free(w->batch);
        free(w->jobs);
        free(w->leaves);
        free(w);
        return NULL;
    }
    authd_thread_name(w->thread, "writer");
    return w;
}

void authd_writer_submit(struct authd_writer *w, struct authd_write_job *job)
{
    job->next = NULL;
    job->submitted_ns = authd_monotonic_ns();
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    w->queued++;
    w->in_flight++;
    /* wake the writer only when it waits for this: not for every write while it lingers or commits */
    if (w->sleeping || (w->lingering && w->queued >= w->fill)) pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void authd_writer_drain(struct authd_writer *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    while (w->in_flight)
        pthread_cond_wait(&w->idle, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

void authd_writer_stop(struct authd_writer *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->idle);
    free(w->batch);
    free(w->jobs);
    free(w->leaves);
    free(w);
}
