/* The state every request handler sees, and the server's lifecycle. */
#ifndef AUTHD_SERVER_H
#define AUTHD_SERVER_H

#include <stdatomic.h>

#include "certlib/certlib.h"
#include "config.h"

#include "storage/storage.h"

struct authd_accesslog;
struct authd_held;
struct authd_writer;
struct authd_statuslists;
struct authd_metrics;
struct authd_record_keys;
struct authd_log;
struct authd_challenges;
struct authd_requests;
struct authd_reader_key;
struct authd_peers;
struct authd_admission;
struct authd_holder_reads;

/* A department that can issue here: its document signer and its root's status-list signer. */
/* A signing key in a device (a PKCS#11 token, a cipher machine's SDF library): what to close. */
struct authd_key_device {
    void *key;
    void (*close)(void *key);
};
struct authd_issuer_keys {
    char issuer_code[AUTHD_ISSUER_CODE_LEN + 1];
    certlib_signer *signer;
    certlib_signer *status_signer;
    struct authd_key_device devices[2]; /* behind them, when their keys are in devices */
};

struct authd_server {
    const struct authd_config *config;
    struct authd_storage *storage;           /* durable: licences, the holder index, the logs */
    struct authd_record_keys *keys;          /* seals and opens licence records; keys the holder index */
    struct authd_log *logs[AUTHD_LOG_COUNT]; /* the signature log and the access log */
    certlib_regions *regions;                /* NULL: certlib's built-in table */
    struct authd_accesslog *accesslog;
    struct authd_held *policies; /* in force (struct authd_policy); each request holds its own (http.h) */
    struct authd_writer *writer;
    struct authd_holder_reads *holder_reads; /* lookups' reads of the holder index */
    struct authd_statuslists *statuslists;
    struct authd_issuer_keys *issuers;
    size_t n_issuers;
    struct authd_held *trust; /* the trust bundle in force (struct authd_trust, trust_bundle.h) */
    struct authd_metrics *metrics;
    struct authd_admission *admission;   /* requests in flight, in all and per client */
    struct authd_challenges *challenges; /* holder-binding challenges handed to counters */
    struct authd_requests *requests;     /* OpenID4VP presentation requests counters made */
    struct authd_server_reader {
        char client[CERTLIB_COUNTER_ID_MAX + 1];
        struct authd_reader_key *key;
    } * readers; /* the counters' reader keys (readers: in the configuration) */
    size_t n_readers;
    struct authd_peers *peers;           /* a shared store: what the other nodes did */
    struct authd_witness *witness;       /* NULL unless configured: authd as a C2SP tlog-witness */
    struct authd_witnessing *witnessing; /* NULL unless its logs have witnesses: asking them to cosign */
    struct authd_federation *federation; /* NULL unless configured: trust lists, peers, federated lookups */
    atomic_int stopping;
    atomic_uint reloads; /* SIGHUP reloads completed (policies and trust bundle both tried) */
    /* Called on the main thread once every listener is bound and the workers run. */
    void (*on_ready)(const struct authd_server *server);
    /* Called on the main thread on SIGHUP (reopen the access log, reload what can be reloaded). */
    void (*on_reload)(struct authd_server *server);
};

/* The signing keys for an issuer code, NULL when this authd does not sign for it. */
/* The reader key of counter `client`, or NULL when it has none. */
const struct authd_reader_key *authd_server_reader(const struct authd_server *s, const char *client);
const struct authd_issuer_keys *authd_server_issuer(const struct authd_server *s, const char *issuer_code);

/* Binds every listener, starts config->workers event-loop threads, and runs until authd_server_stop.
 * Returns 0 after a clean shutdown, -1 (message in err) when start-up failed. */
int authd_server_run(struct authd_server *server, char *err, size_t err_cap);

/* Asks the workers to stop accepting, finish in-flight requests within the grace period, and exit.
 * Async-signal-safe. */
void authd_server_stop(struct authd_server *server);

#endif
