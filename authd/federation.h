/* 异地通办: this authd among its peers (docs/federation.md). One thread, with one libcurl multi handle,
 * does all the talking: it keeps this authd's signed trust list fresh (trust_list_pub.h), fetches each
 * peer's list every federation.refresh seconds and puts it in force when it verifies under the pinned
 * certificate with no lower sequence than the one in force (keeping the last good one, also across
 * restarts in state_dir/peer-<name>.trust-list, while fetches fail), and runs the peer requests of
 * federated lookups, all of one lookup in parallel, under federation.deadline_ms, over kept-alive
 * mutual-TLS connections. A lookup's handler hands its calls over and returns; the answers come back
 * to its event loop (async.h). */
#ifndef AUTHD_FEDERATION_H
#define AUTHD_FEDERATION_H

#include <stdbool.h>
#include <stddef.h>

#include "async.h"
#include "config.h"
#include "errors.h"

struct authd_federation;
struct authd_server;
struct authd_peer_view;
struct authd_trust_list_pub;

/* One peer request of a lookup, and how it went. */
struct authd_fed_call {
    size_t peer;      /* index in federation.peers */
    char *body;       /* the answer (malloc'd), NUL-terminated */
    size_t len, cap;  /* bounded by AUTHD_FED_ANSWER_MAX */
    long http_status; /* 0: no answer (unreachable, or past the deadline) */
    bool cbor;        /* the answer is application/cbor (peer_answer.h) */
    bool timed_out;
    char error[256];           /* why there is no answer */
    void *easy;                /* the federation thread's */
    struct authd_fed_job *job; /* NULL for the thread's own fetches */
    const char *skip;          /* not asked, and why (static text); NULL: asked */
    const char *skip_state;    /* "unavailable" or "not_asked" */
};

#define AUTHD_FED_ANSWER_MAX (16 * 1024 * 1024)

/* A lookup's calls. The caller allocates it with `async` bound to the request (authd_async_init);
 * `respond` runs on the request's loop once every call has an answer or has failed. */
struct authd_fed_job {
    struct authd_async async; /* must stay first */
    struct authd_fed_job *next;
    char *target; /* the path and query every call asks: /v1/holders/...?... (malloc'd) */
    size_t n_calls, pending;
    struct authd_fed_call calls[AUTHD_MAX_PEERS];
};

/* Loads the pins and the last good peer lists, signs this authd's first list and starts the thread.
 * *out stays NULL when federation is not configured. AUTHD_E_CONFIG with a message. */
authd_err authd_federation_start(struct authd_server *server, struct authd_federation **out, char *err,
                                 size_t err_cap);
void authd_federation_stop(struct authd_federation *f);

/* Hands a job to the thread. Loop thread. */
void authd_federation_submit(struct authd_federation *f, struct authd_fed_job *job);

/* The peer's trust in force, held until `pool` is cleared: NULL when it has none (or only an expired
 * one). */
const struct authd_peer_view *authd_federation_view(struct authd_federation *f, size_t peer,
                                                    h2o_mem_pool_t *pool);

struct authd_trust_list_pub *authd_federation_publisher(struct authd_federation *f);

#endif
