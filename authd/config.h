/* authd configuration: the YAML file named by --config, with command-line overrides. */
#ifndef AUTHD_CONFIG_H
#define AUTHD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTHD_MAX_LISTENERS 16
#define AUTHD_MAX_WITNESSED_LOGS 64
#define AUTHD_MAX_LOG_WITNESSES 8
#define AUTHD_MAX_SIGNERS 64
#define AUTHD_MAX_READERS 256
#define AUTHD_MAX_PEERS 32

struct authd_listener_config {
    char *host; /* numeric address, e.g. "127.0.0.1" or "::1" */
    uint16_t port;
    char *tls_cert;  /* PEM certificate chain; NULL for plain HTTP */
    char *tls_key;   /* PEM private key */
    char *client_ca; /* PEM CA of mutual-TLS client certificates; NULL: no client certificates asked */
};

/* A department's signing keys: its document signer and the status-list signer under the same root. */
struct authd_signer_config {
    char *issuer_code;
    char *key, *certificate; /* key: a PEM file, or a PKCS#11 URI (pkcs11_key.h) */
    char *status_key, *status_certificate;
};

/* Another authd this one asks in federated lookups (federation.h). */
struct authd_peer_config {
    char *name;           /* how answers and logs name it ([a-z0-9_-], 1-32) */
    char *url;            /* its base URL: <url>/v1/trust-list, <url>/v1/holders/... */
    char *trust_list_key; /* the certificate of its trust-list key, agreed out of band (pinned) */
    char *ca;             /* the CA of its TLS server certificate; NULL: the system's */
    char **licence_types; /* the types it issues: it is asked only for matters needing one */
    size_t n_licence_types;
    char **regions; /* GB/T 2260 prefixes of its issuers' USCCs; NULL: any */
    size_t n_regions;
};

/* federation: (off when name is NULL) */
struct authd_federation_config {
    char *name;                   /* this authd in its trust list and in peers' access logs */
    char *trust_list_key;         /* PEM key signing this authd's trust list */
    char *trust_list_certificate; /* its certificate: what peers pin */
    uint32_t trust_list_validity; /* seconds a published list is valid; re-signed at half */
    uint32_t refresh;             /* seconds between fetches of each peer's list */
    uint32_t deadline_ms;         /* how long a lookup waits for its peers */
    char *client_certificate;     /* this authd's mutual-TLS identity towards peers */
    char *client_key;
    struct authd_peer_config peers[AUTHD_MAX_PEERS];
    size_t n_peers;
};

/* A counter's reader key (reader_key.h): it signs that counter's OpenID4VP requests. */
struct authd_reader_config {
    char *client;            /* a counter of clients.yaml */
    char *key, *certificate; /* PEM P-256 key; PEM chain, the reader certificate first */
};

struct authd_config {
    struct authd_listener_config listeners[AUTHD_MAX_LISTENERS];
    size_t listener_count;
    unsigned workers; /* event-loop threads */
    enum authd_store_backend { AUTHD_STORE_LMDB, AUTHD_STORE_POSTGRESQL } store_backend;
    char *data_dir;        /* LMDB environment directory */
    char *state_dir;       /* the last checkpoints this authd signed, kept outside the store */
    bool allow_rollback;   /* --allow-rollback: accept a store behind state_dir's checkpoints */
    size_t lmdb_map_bytes; /* LMDB map size */
    int store_cipher;      /* store.cipher (enum authd_cipher) for a store created now; 0: not given */
    char *pg_conninfo;     /* store.postgresql.conninfo (libpq; several hosts for failover) */
    char *pg_passfile;     /* store.postgresql.passfile: never a password in this file */
    size_t pg_pool_size;   /* store.postgresql.pool_size: connections for readers */
    size_t max_body_bytes; /* larger request bodies get 413 */
    /* Requests in flight (admitted and not yet answered in full) and what they hold: beyond the global
     * limits 503 overloaded, beyond a client's 429 too_many_requests, both with Retry-After. */
    size_t max_in_flight, max_in_flight_bytes;
    size_t client_max_in_flight, client_max_in_flight_bytes;
    size_t http2_bodies;     /* request bodies one HTTP/2 connection may have in progress (http2_guard.h) */
    size_t receive_buffer;   /* each connection's socket receive buffer (listener.h) */
    size_t max_header_bytes; /* larger request header sections get 431 */
    size_t max_batch;        /* most numbers in one POST /v1/ident/check */
    uint64_t shutdown_grace_ms; /* how long in-flight requests may take after SIGTERM */
    char *access_log;           /* path, or "-" for standard error */
    char *regions_file;         /* extra GB/T 2260 codes (certlib TSV format), or NULL */
    char *policies_dir;         /* licence-types.yaml, matters.yaml, clients.yaml */
    char *trust_bundle;         /* served at /v1/trust and used by /v1/verify */
    char *data_key;             /* file with the 32-byte data key in hex */
    char *pkcs11_module;        /* the PKCS#11 library for key URIs without a module-path; NULL: none */
    char *data_key_wrapping;    /* the PKCS#11 URI of the AES key data_key is wrapped by; NULL: plain */
    char *public_url;           /* base of the status-list URIs written into licences */
    struct authd_signer_config signers[AUTHD_MAX_SIGNERS];
    size_t signer_count;
    uint32_t status_list_size;     /* entries per status list */
    uint32_t status_ttl;           /* seconds: CWT ttl and Cache-Control max-age of status lists */
    size_t writer_max_batch;       /* most writes in one group commit */
    size_t writer_commit_delay_us; /* under load, wait up to this long for commit_fill writes */
    size_t writer_commit_fill;
    uint32_t challenge_ttl;       /* seconds a holder-binding challenge may be answered in */
    bool issue_x5chain;           /* issuance.x5chain: licences carry their signer's certificate */
    size_t challenge_capacity;    /* most outstanding challenges */
    size_t challenge_per_counter; /* most challenges one counter gets within a ttl */
    struct authd_reader_config readers[AUTHD_MAX_READERS];
    size_t reader_count;
    uint32_t request_ttl;    /* presentation_requests.ttl: seconds a wallet has to answer */
    size_t request_capacity; /* presentation_requests.capacity: most requests kept */
    struct authd_log_config {
        char *origin; /* the log's name in its checkpoints */
        char *key;    /* PEM Ed25519 private key */
        /* C2SP tlog-witness servers asked to cosign its checkpoints (witnessing.c) */
        struct authd_witness_server {
            char *url; /* the submission prefix: <url>/add-checkpoint */
            char *key; /* its cosigner verifier key, <name>+<id>+<base64(0x04 || key)> */
        } witnesses[AUTHD_MAX_LOG_WITNESSES];
        size_t n_witnesses;
        size_t witness_quorum; /* cosignatures for a checkpoint to count as witnessed; 0: all of them */
    } sig_log, access_tlog;
    /* witness: authd as a C2SP tlog-witness (off when name is NULL) */
    struct authd_witness_config {
        char *name;  /* the cosigner name in its signature lines */
        char *key;   /* PEM Ed25519 private key */
        char **logs; /* the C2SP verifier keys of the logs it witnesses */
        size_t n_logs;
    } witness;
    struct authd_federation_config federation;
};

/* Fills defaults, then reads `path`. Relative paths in the file are resolved against the file's
 * directory. On error writes "file:line: message" into err and returns -1. */
int authd_config_load(struct authd_config *config, const char *path, char *err, size_t err_cap);

/* Parses "host:port" or "[v6]:port" into a plain-HTTP listener. Returns -1 on bad syntax. */
int authd_config_parse_listen(const char *text, struct authd_listener_config *out);

/* Checks cross-field rules after overrides (listeners present, plain HTTP only on loopback...). */
/* "LMDB (dir)" or "PostgreSQL (conninfo)", for messages. */
void authd_config_describe_store(const struct authd_config *config, char *out, size_t cap);

/* Fills in what defaults to other settings: state_dir is data_dir's sibling "<data_dir>.state". 0, or -1
 * out of memory. */
int authd_config_derive(struct authd_config *config);

int authd_config_validate(const struct authd_config *config, char *err, size_t err_cap);

/* Frees the configured listeners and takes ownership of `count` others (the --listen overrides). */
void authd_config_replace_listeners(struct authd_config *config,
                                    const struct authd_listener_config *listeners, size_t count);

void authd_config_free(struct authd_config *config);

#endif
