/* Lookups' reads of the holder index. On a store inside this process (LMDB) a holder's licences are read
 * in microseconds: on the worker, at once. On a database (PostgreSQL) each read is a round trip, which a
 * worker would spend blocked, and a statement the server would run per lookup. There, reads queue to a
 * reader thread, which reads every holder waiting in one statement (storage.h: holders_records), as the
 * writer takes every write waiting into one transaction; each read's completion then runs on that
 * thread, and the lookup hands itself back to its worker's loop (async.h) as a write's does. Under load
 * a statement serves dozens of lookups; an idle server reads at once. */
#ifndef AUTHD_HOLDER_READS_H
#define AUTHD_HOLDER_READS_H

#include <stdbool.h>
#include <stddef.h>

#include "licences.h"

struct authd_metrics;

/* The most holders one statement reads: a result of a few hundred kilobytes. */
#define AUTHD_HOLDER_READ_BATCH 64

struct authd_holder_read {
    uint8_t key[AUTHD_HOLDER_KEY_LEN];
    /* Each licence of the holder's, as authd_licence_each_of_holder gives it; on the reading thread. */
    int (*fn)(void *arg, const struct authd_holder_licence *licence);
    void *arg;
    /* Runs once the reader thread made the read (result says how it ended), on that thread. */
    void (*done)(struct authd_holder_read *rd);
    authd_err result; /* as authd_licence_each_of_holder returns it */
    struct authd_holder_read *next;
    int64_t queued_ns; /* the reader's: when it was queued (CLOCK_MONOTONIC), for its wait */
};

/* The struct a read is embedded in, from the read the reader hands back (as AUTHD_JOB_OWNER). */
#define AUTHD_READ_OWNER(type, member, rd) ((type *)(void *)((char *)(rd)-offsetof(type, member)))

struct authd_holder_reads;

/* Starts the reader thread when the store reads holders in batches; otherwise reads are made in place.
 * NULL when out of memory or the thread cannot start. */
struct authd_holder_reads *authd_holder_reads_start(struct authd_storage *storage,
                                                    const struct authd_record_keys *keys,
                                                    struct authd_metrics *metrics);
/* Whether reads are made in place: authd_holder_read then reads on the caller's thread before it returns,
 * and rd->done is not called (the caller goes on by itself). */
bool authd_holder_reads_in_place(const struct authd_holder_reads *q);
/* Reads the holder rd->key, calling rd->fn for each licence, then (unless in place) rd->done. Never
 * blocks on the store unless reads are made in place. */
void authd_holder_read(struct authd_holder_reads *q, struct authd_holder_read *rd);
/* Waits until every read queued so far is done (its completion has run). */
void authd_holder_reads_drain(struct authd_holder_reads *q);
/* Reads what is queued, then stops the thread and frees `q` (NULL: nothing). */
void authd_holder_reads_stop(struct authd_holder_reads *q);

#endif
