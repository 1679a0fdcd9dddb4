/* Group commit: the thread sleeps until work arrives, then takes everything queued (up to max_batch)
 * as one transaction. Under load batches grow by themselves: while one commit is fsyncing, the next
 * batch queues up. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "metrics.h"
#include "writer.h"

struct authd_writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct authd_write_job *head, *tail;
    int stopping;
    struct authd_store *store;
    size_t max_batch;
    struct authd_metrics *metrics;
    size_t in_flight;    /* submitted and not yet done */
    pthread_cond_t idle; /* signalled when in_flight drops to 0 */
    struct authd_store_write *batch;
    struct authd_write_job **jobs;
};

static void *writer_main(void *arg)
{
    struct authd_writer *w = arg;
    struct authd_store_write *batch = w->batch;
    struct authd_write_job **jobs = w->jobs;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->head && w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        size_t n = 0;
        while (w->head && n < w->max_batch) {
            jobs[n++] = w->head;
            w->head = w->head->next;
        }
        if (!w->head) w->tail = NULL;
        pthread_mutex_unlock(&w->lock);

        for (size_t i = 0; i < n; i++)
            batch[i] = jobs[i]->w;
        char err[256];
        if (authd_store_apply(w->store, batch, n, err, sizeof(err)) != 0) fprintf(stderr, "authd: %s\n", err);
        authd_metrics_batch(w->metrics, n);
        for (size_t i = 0; i < n; i++) {
            jobs[i]->w = batch[i]; /* every out field (result, before, log index) comes back */
            jobs[i]->done(jobs[i]);
        }
        pthread_mutex_lock(&w->lock);
        w->in_flight -= n;
        if (w->in_flight == 0) pthread_cond_broadcast(&w->idle);
        pthread_mutex_unlock(&w->lock);
    }
    return NULL;
}

struct authd_writer *authd_writer_start(struct authd_store *store, size_t max_batch,
                                        struct authd_metrics *metrics)
{
    struct authd_writer *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    w->store = store;
    w->max_batch = max_batch;
    w->metrics = metrics;
    w->batch = malloc(max_batch * sizeof(*w->batch));
    w->jobs = malloc(max_batch * sizeof(*w->jobs));
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->idle, NULL);
    if (!w->batch || !w->jobs || pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        free(w->batch);
        free(w->jobs);
        free(w);
        return NULL;
    }
    return w;
}

void authd_writer_submit(struct authd_writer *w, struct authd_write_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    w->in_flight++;
    pthread_cond_signal(&w->wake);
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
    free(w);
}
