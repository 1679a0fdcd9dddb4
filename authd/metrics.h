/* Prometheus metrics: requests by route and status code, a latency histogram, licences issued,
 * verifications, lookups, writer batch sizes and the stages a request waits in. Counters are atomics:
 * workers never lock. */
#ifndef AUTHD_METRICS_H
#define AUTHD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct authd_metrics;

/* `routes`: every route pattern of the route table, which outlives the metrics. */
struct authd_metrics *authd_metrics_new(const char *const *routes, size_t n_routes);
void authd_metrics_free(struct authd_metrics *m);

/* `route` is a route pattern from the route table (a static string), or NULL for unmatched paths. */
void authd_metrics_request(struct authd_metrics *m, const char *route, int status, double seconds);
void authd_metrics_batch(struct authd_metrics *m, size_t size);

enum authd_counter {
    AUTHD_M_ISSUED,
    AUTHD_M_STATUS_CHANGES,
    AUTHD_M_VERIFICATIONS,
    AUTHD_M_LOOKUPS,
    AUTHD_M_WRITE_FAILURES,     /* writer batches the store refused as a whole (full, unreachable, I/O) */
    AUTHD_M_ACCEPT_FAILURES,    /* connections not accepted: descriptors or memory ran out */
    AUTHD_M_SHED,               /* requests refused 429/503 by the limits on requests in flight */
    AUTHD_M_WITNESS_FAILURES,   /* checkpoints a witness did not cosign: down, slow, or refusing */
    AUTHD_M_PEER_UNAVAILABLE,   /* federated lookups' peers that gave no answer (down, slow, no trust list) */
    AUTHD_M_PEER_REFUSED,       /* licences peers sent that failed the checks, never shown */
    AUTHD_M_TRUST_LIST_REFUSED, /* peers' trust lists refused (signature, rollback, expiry, form) */
    AUTHD_M_HTTP2_REFUSED,      /* HTTP/2 streams refused beyond limits.http2_bodies (http2_guard.h) */
    AUTHD_M_HTTP2_CALMED,       /* HTTP/2 connections sent GOAWAY for going on beyond it */
    AUTHD_M_HOLDER_READS,       /* statements reading lookups' holders on a database (holder_reads.h) */
    AUTHD_M_COUNT
};
void authd_metrics_count(struct authd_metrics *m, enum authd_counter c);

/* Where a request waits besides its worker: histograms in seconds, from 100 µs up, over both stores. On
 * a database the first two are round trips and queues; across sites (postgresql.md), the synchronous
 * standby's distance shows in the last two. */
enum authd_stage {
    AUTHD_S_HOLDER_READ, /* a lookup's read of its holder's licences: queued until read (holder_reads.h) */
    AUTHD_S_WRITE_WAIT,  /* a write from its submission to the writer until durable and signed over */
    AUTHD_S_COMMIT,      /* each batch's commit by the store (writer.h): the store's part of the wait */
    AUTHD_S_COUNT
};
/* Counts a wait of `ns` nanoseconds (CLOCK_MONOTONIC times subtracted) in stage `s`. */
void authd_metrics_stage(struct authd_metrics *m, enum authd_stage s, int64_t ns);

/* The text exposition format into a malloc'd buffer. */
char *authd_metrics_render(struct authd_metrics *m, size_t *len);

#endif
