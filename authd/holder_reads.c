/* Lookups' reads of the holder index, in batches on a database (holder_reads.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "holder_reads.h"
#include "metrics.h"
#include "monotonic.h"
#include "thread_name.h"

struct authd_holder_reads {
    struct authd_storage *storage;
    const struct authd_record_keys *keys;
    struct authd_metrics *metrics;
    bool threaded; /* the store reads holders in batches: a reader thread runs */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t queued;  /* a read came, or stop */
    pthread_cond_t drained; /* a batch was done */
    struct authd_holder_read *head, **tail;
    size_t reading; /* reads taken by the thread and not yet done */
    bool waiting;   /* the thread sleeps on `queued`: a read must wake it */
    bool stopping;
};

/* Hands each licence to the lookup whose holder it is. */
static int to_reader(void *arg, size_t which, const struct authd_holder_licence *licence)
{
    struct authd_holder_read **batch = arg;
    return batch[which]->fn(batch[which]->arg, licence);
}

static void read_batch(struct authd_holder_reads *q, struct authd_holder_read **batch, size_t n)
{
    uint8_t keys[AUTHD_HOLDER_READ_BATCH][AUTHD_HOLDER_KEY_LEN];
    authd_err results[AUTHD_HOLDER_READ_BATCH];
    for (size_t i = 0; i < n; i++)
        memcpy(keys[i], batch[i]->key, AUTHD_HOLDER_KEY_LEN);
    authd_err rc = authd_licence_each_of_holders(
        q->storage, q->keys, (const uint8_t(*)[AUTHD_HOLDER_KEY_LEN])keys, n, to_reader, batch, results);
    authd_metrics_count(q->metrics, AUTHD_M_HOLDER_READS);
    int64_t now = authd_monotonic_ns();
    for (size_t i = 0; i < n; i++) {
        batch[i]->result = rc ? rc : results[i];
        authd_metrics_stage(q->metrics, AUTHD_S_HOLDER_READ, now - batch[i]->queued_ns);
    }
}

static void *run(void *arg)
{
    struct authd_holder_reads *q = arg;
    struct authd_holder_read *batch[AUTHD_HOLDER_READ_BATCH];
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (!q->head && !q->stopping) {
            q->waiting = true;
            pthread_cond_wait(&q->queued, &q->lock);
        }
        q->waiting = false;
        if (!q->head) break; /* stopping, and everything was read */
        size_t n = 0;
        while (q->head && n < AUTHD_HOLDER_READ_BATCH) {
            batch[n++] = q->head;
            q->head = q->head->next;
        }
        if (!q->head) q->tail = &q->head;
        q->reading = n;
        pthread_mutex_unlock(&q->lock);
        read_batch(q, batch, n);
        for (size_t i = 0; i < n; i++)
            batch[i]->done(batch[i]); /* its owner may free it from now on */
        pthread_mutex_lock(&q->lock);
        q->reading = 0;
        pthread_cond_broadcast(&q->drained);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

struct authd_holder_reads *authd_holder_reads_start(struct authd_storage *storage,
                                                    const struct authd_record_keys *keys,
                                                    struct authd_metrics *metrics)
{
    struct authd_holder_reads *q = calloc(1, sizeof(*q));
    if (!q) return NULL;
    q->storage = storage;
    q->keys = keys;
    q->metrics = metrics;
    q->tail = &q->head;
    if (!storage->ops->holders_records) return q;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->queued, NULL);
    pthread_cond_init(&q->drained, NULL);
    if (pthread_create(&q->thread, NULL, run, q) != 0) {
        pthread_cond_destroy(&q->drained);
        pthread_cond_destroy(&q->queued);
        pthread_mutex_destroy(&q->lock);
        free(q);
        return NULL;
    }
    authd_thread_name(q->thread, "reads");
    q->threaded = true;
    return q;
}

bool authd_holder_reads_in_place(const struct authd_holder_reads *q)
{
    return !q->threaded;
}

void authd_holder_read(struct authd_holder_reads *q, struct authd_holder_read *rd)
{
    rd->queued_ns = authd_monotonic_ns();
    if (!q->threaded) {
        rd->result = authd_licence_each_of_holder(q->storage, q->keys, rd->key, rd->fn, rd->arg);
        authd_metrics_stage(q->metrics, AUTHD_S_HOLDER_READ, authd_monotonic_ns() - rd->queued_ns);
        return;
    }
    rd->next = NULL;
    pthread_mutex_lock(&q->lock);
    *q->tail = rd;
    q->tail = &rd->next;
    bool wake = q->waiting;
    q->waiting = false; /* one signal is enough until it sleeps again */
    pthread_mutex_unlock(&q->lock);
    if (wake) pthread_cond_signal(&q->queued);
}

void authd_holder_reads_drain(struct authd_holder_reads *q)
{
    if (!q || !q->threaded) return;
    pthread_mutex_lock(&q->lock);
    while (q->head || q->reading)
        pthread_cond_wait(&q->drained, &q->lock);
    pthread_mutex_unlock(&q->lock);
}

void authd_holder_reads_stop(struct authd_holder_reads *q)
{
    if (!q) return;
    if (q->threaded) {
        pthread_mutex_lock(&q->lock);
        q->stopping = true;
        pthread_mutex_unlock(&q->lock);
        pthread_cond_signal(&q->queued);
        pthread_join(q->thread, NULL);
        pthread_cond_destroy(&q->drained);
        pthread_cond_destroy(&q->queued);
        pthread_mutex_destroy(&q->lock);
    }
    free(q);
}
