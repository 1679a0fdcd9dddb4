/* Lookups' reads of the holder index on a store that reads in batches (holder_reads.h), over a store
 * of the test's whose reads wait at a gate the test opens: how reads are grouped into statements, and
 * each read's wait in /metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "authd_support.h"
#include "holder_reads.h"
#include "metrics.h"
#include "storage/storage.h"

struct gated {
    struct authd_storage base;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool open;         /* reads pass the gate */
    size_t in_flight;  /* statements inside holders_records */
    size_t statements; /* holders_records calls */
    size_t held[8];    /* how many holders each statement read */
    size_t done;       /* reads whose completion ran */
};

static struct gated *gated_of(struct authd_storage *s)
{
    return (struct gated *)s;
}

static struct timespec in_seconds(int s)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += s;
    return t;
}

/* Waits, under g->lock, until `cond` holds (30 s at most). */
#define WAIT_UNTIL(g, cond)                                                                                  \
    do {                                                                                                     \
        struct timespec until_ = in_seconds(30);                                                             \
        int rc_ = 0;                                                                                         \
        while (!(cond) && rc_ == 0)                                                                          \
            rc_ = pthread_cond_timedwait(&(g)->changed, &(g)->lock, &until_);                                \
        if (!(cond)) fail_msg("not within 30 s: %s", #cond);                                                 \
    } while (0)

static authd_err gated_holders_records(struct authd_storage *s, const uint8_t (*keys)[AUTHD_HOLDER_KEY_LEN],
                                       size_t n,
                                       int (*fn)(void *arg, size_t which, const char *id, size_t id_len,
                                                 const uint8_t *record, size_t len, uint64_t log_index),
                                       void *arg, authd_err *results)
{
    (void)keys, (void)fn, (void)arg;
    struct gated *g = gated_of(s);
    pthread_mutex_lock(&g->lock);
    if (g->statements < 8) g->held[g->statements] = n;
    g->statements++;
    g->in_flight++;
    pthread_cond_broadcast(&g->changed);
    WAIT_UNTIL(g, g->open);
    g->in_flight--;
    pthread_mutex_unlock(&g->lock);
    for (size_t i = 0; i < n; i++)
        results[i] = AUTHD_OK; /* a holder with no licences */
    return AUTHD_OK;
}

static const struct authd_storage_ops gated_ops = {.name = "gated", .holders_records = gated_holders_records};

static struct gated store = {.base = {.ops = &gated_ops}};

static void read_done(struct authd_holder_read *rd)
{
    (void)rd;
    pthread_mutex_lock(&store.lock);
    store.done++;
    pthread_cond_broadcast(&store.changed);
    pthread_mutex_unlock(&store.lock);
}

static int no_licence(void *arg, const struct authd_holder_licence *licence)
{
    (void)arg, (void)licence;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    memset(&store, 0, sizeof(store));
    store.base.ops = &gated_ops;
    pthread_mutex_init(&store.lock, NULL);
    pthread_cond_init(&store.changed, NULL);
    return 0;
}

static void gate(bool open)
{
    pthread_mutex_lock(&store.lock);
    store.open = open;
    pthread_cond_broadcast(&store.changed);
    pthread_mutex_unlock(&store.lock);
}

/* Queues n reads of holders with no licences. */
static void queue_reads(struct authd_holder_reads *q, struct authd_holder_read *rd, size_t n)
{
    memset(rd, 0, n * sizeof(*rd));
    for (size_t i = 0; i < n; i++) {
        rd[i].fn = no_licence, rd[i].done = read_done;
        authd_holder_read(q, &rd[i]);
    }
}

/* Waits until the reader's statement is at the gate. */
static void wait_for_statement(void)
{
    pthread_mutex_lock(&store.lock);
    WAIT_UNTIL(&store, store.in_flight == 1);
    pthread_mutex_unlock(&store.lock);
}

/* While the reader's statement waits for the database, the reads that come meanwhile wait too, and go
 * out together in the next statement. */
static void test_reads_that_wait_go_together(void **state)
{
    (void)state;
    struct authd_holder_reads *q = authd_holder_reads_start(&store.base, NULL, NULL);
    assert_non_null(q);
    assert_false(authd_holder_reads_in_place(q));
    struct authd_holder_read rd[8];
    size_t n = sizeof(rd) / sizeof(rd[0]);
    queue_reads(q, rd, 1);
    wait_for_statement();
    queue_reads(q, rd + 1, n - 1);
    gate(true);
    authd_holder_reads_drain(q);
    pthread_mutex_lock(&store.lock);
    assert_int_equal(store.done, n);
    assert_int_equal(store.statements, 2);
    assert_int_equal(store.held[0], 1);
    assert_int_equal(store.held[1], n - 1);
    pthread_mutex_unlock(&store.lock);
    authd_holder_reads_stop(q);
}

/* Stopping reads what is queued first. */
static void test_stop_reads_what_is_queued(void **state)
{
    (void)state;
    struct authd_holder_reads *q = authd_holder_reads_start(&store.base, NULL, NULL);
    assert_non_null(q);
    struct authd_holder_read rd[10];
    queue_reads(q, rd, 1);
    wait_for_statement(); /* the rest queue behind a statement in flight */
    queue_reads(q, rd + 1, 9);
    gate(true);
    authd_holder_reads_stop(q);
    assert_int_equal(store.done, 10);
}

/* Each read's wait, from queued to read, is in authd_holder_read_seconds: here every one waited for
 * the closed gate, at least 30 ms. */
static void test_each_wait_for_a_read_is_measured(void **state)
{
    (void)state;
    struct authd_metrics *m = authd_metrics_new(NULL, 0);
    assert_non_null(m);
    struct authd_holder_reads *q = authd_holder_reads_start(&store.base, NULL, m);
    assert_non_null(q);
    struct authd_holder_read rd[4];
    queue_reads(q, rd, 4);
    wait_for_statement();
    nanosleep(&(struct timespec){0, 30000000}, NULL);
    gate(true);
    authd_holder_reads_drain(q);
    assert_int_equal(metric_value(m, "authd_holder_read_seconds_count"), 4);
    assert_int_equal(metric_value(m, "authd_holder_read_seconds_bucket{le=\"0.025\"}"), 0);
    assert_int_equal(metric_value(m, "authd_holder_read_seconds_bucket{le=\"+Inf\"}"), 4);
    assert_true(metric_value(m, "authd_holder_read_seconds_sum") >= 4 * 0.03);
    authd_holder_reads_stop(q);
    authd_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reads_that_wait_go_together, setup),
        cmocka_unit_test_setup(test_stop_reads_what_is_queued, setup),
        cmocka_unit_test_setup(test_each_wait_for_a_read_is_measured, setup),
    };
    return cmocka_run_group_tests_name("holder reads", tests, NULL, NULL);
}
