/* Lookups' reads of the holder index. On a store inside this process (LMDB) a holder's licences are read
 * in microseconds: on the worker, at once. On a database (PostgreSQL) each read is a round trip, which a
 * worker would spend blocked, and a statement the server would run per lookup. There, reads queue to a
 * reader thread, which reads every holder waiting in one statement (storage.h: holders_records), as the
 * writer takes every write waiting into one transaction; each lookup then goes on on its worker's loop
 * (async.h). Under load a statement serves dozens of lookups; an idle server reads at once. */
#ifndef AUTHD_HOLDER_READS_H
#define AUTHD_HOLDER_READS_H

#include "async.h"
#include "licences.h"

struct authd_metrics;

/* The most holders one statement reads: a result of a few hundred kilobytes. */
#define AUTHD_HOLDER_READ_BATCH 64

struct authd_holder_read {
    struct authd_async async; /* must stay first */
    uint8_t key[AUTHD_HOLDER_KEY_LEN];
    /* Each licence of the holder's, as authd_licence_each_of_holder gives it; on the reading thread. */
    int (*fn)(void *arg, const struct authd_holder_licence *licence);
    void *arg;
    authd_err result; /* how the read ended, as authd_licence_each_of_holder returns it */
    struct authd_holder_read *next;
};

struct authd_holder_reads;

/* Starts the reader thread when the store reads holders in batches; otherwise reads are made in place.
 * NULL when out of memory or the thread cannot start. */
struct authd_holder_reads *authd_holder_reads_start(struct authd_storage *storage,
                                                    const struct authd_record_keys *keys,
                                                    struct authd_metrics *metrics);
/* Reads the holder `rd->key`, calling rd->fn for each licence; then, as authd_async does, `respond` runs
 * on the request's loop if the request is still there, and `release` always. In place (on this thread,
 * before this returns) on a store read in place. Loop thread. */
void authd_holder_read(struct authd_holder_reads *q, struct authd_holder_read *rd, h2o_req_t *req,
                       void (*respond)(struct authd_async *a, h2o_req_t *req),
                       void (*release)(struct authd_async *a));
/* Waits until every read queued so far has been posted to its loop. */
void authd_holder_reads_drain(struct authd_holder_reads *q);
/* Reads what is queued, then stops the thread and frees `q` (NULL: nothing). */
void authd_holder_reads_stop(struct authd_holder_reads *q);

#endif
