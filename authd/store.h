/* authd's LMDB store: one environment in the data directory with named databases:
 *   meta      schema version
 *   licences  licence id -> record: a cleartext header (status, status-list place, type, issuer,
 *             issue time: no personal data) with a keyed MAC over it and the id, and the licence CBOR
 *             encrypted with XChaCha20-Poly1305 under a key derived from the data key, the licence id
 *             and the header's fixed part as associated data
 *   holders   keyed BLAKE2b of the normalised holder id -> licence ids (duplicates sorted), so the
 *             file holds no identity number in clear
 *   log.*     the signature log and the access log (log_store.h), appended in the same transaction
 *             as the change each entry records
 * Readers never block: any thread may read at any time. Writes come from the writer thread only
 * (writer.c), many per transaction, and are durable when authd_store_apply returns. */
#ifndef AUTHD_STORE_H
#define AUTHD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "certlib/licence_id.h"

/* 2: the logs; records carry their signature-log index. 3: a MAC over every record's header (status
 * included); a version 2 store is upgraded in place at start-up. */
#define AUTHD_SCHEMA_VERSION 3u
#define AUTHD_HOLDER_KEY_LEN 32

enum {
    AUTHD_STORE_OK = 0,
    AUTHD_STORE_NOT_FOUND = 1,
    AUTHD_STORE_EXISTS = 2,
    AUTHD_STORE_CONFLICT = 3,
    AUTHD_STORE_ERROR = -1,
    AUTHD_STORE_CORRUPT = -2 /* a record failed authentication: altered, or another data key */
};

struct authd_store;

struct authd_licence_meta {
    uint8_t status;      /* CERTLIB_STATUS_VALUE_* */
    uint32_t list_no;    /* the issuer's status list number */
    uint32_t status_idx; /* index in that list */
    int64_t issued_at;
    char type_code[22];
    char issuer_code[19];
    uint64_t log_index; /* its issuance's index in the signature log (set by the store) */
};

/* The two logs: each one's origin (its name in checkpoints) and Ed25519 key file. */
struct authd_store_logs {
    const char *signatures_origin, *signatures_key;
    const char *access_origin, *access_key;
};

/* Opens (creating if needed, mode 0700) the environment in `dir`, checks or writes the schema
 * version, reads the data key (64 hex digits) from `data_key_file` into protected memory, opens the
 * logs and publishes their checkpoints. On error writes a message into err and returns -1.
 * `logs` NULL opens a store that keeps no logs: bench/tlog's baseline, never authd (its configuration
 * requires both logs). */
int authd_store_open(struct authd_store **out, const char *dir, size_t map_bytes, const char *data_key_file,
                     const struct authd_store_logs *logs, char *err, size_t err_cap);

struct authd_log;
struct authd_log *authd_store_signature_log(struct authd_store *store);
struct authd_log *authd_store_access_log(struct authd_store *store);

/* The signature-log index of a licence's issuance. AUTHD_STORE_OK or _NOT_FOUND. */
int authd_store_receipt_index(struct authd_store *store, const char *id, size_t id_len, uint64_t *index);

/* Reads the schema version in a read transaction: a cheap liveness probe for /healthz. Returns the
 * version, or 0 when the store cannot be read. Safe from any thread. */
uint32_t authd_store_schema_version(struct authd_store *store);

/* The holder-index key of a normalised holder id: BLAKE2b keyed with a subkey of the data key. */
void authd_store_holder_key(const struct authd_store *store, const char *holder_id, size_t len,
                            uint8_t out[AUTHD_HOLDER_KEY_LEN]);

enum authd_write_kind { AUTHD_WRITE_ISSUE, AUTHD_WRITE_STATUS, AUTHD_WRITE_ACCESS };

struct authd_store_write {
    enum authd_write_kind kind;
    char licence_id[CERTLIB_LICENCE_ID_MAX];
    struct authd_licence_meta meta; /* ISSUE: the whole header; STATUS: only .status is used */
    const uint8_t *licence;         /* ISSUE */
    size_t licence_len;
    uint8_t holder_key[AUTHD_HOLDER_KEY_LEN]; /* ISSUE */
    uint8_t sig_hash[32];                     /* ISSUE: SHA-256 of the licence's issuerAuth */
    int64_t time;                             /* STATUS: when */
    const char *reason;                       /* STATUS: why (public: it goes into the signature log) */
    const char *entry;                        /* ACCESS: the access-log entry */
    size_t entry_len;
    uint64_t log_index; /* out: the entry's index in its log */
    int result; /* out: AUTHD_STORE_OK, _EXISTS (issue), _NOT_FOUND or _CONFLICT (status: revoked is final) */
    struct authd_licence_meta before; /* out for STATUS: the header before the change */
};

/* Applies the writes in one transaction and commits it durably (one fsync for the batch). Returns 0
 * when committed (each write's own result says whether it took effect), -1 when nothing was written. */
int authd_store_apply(struct authd_store *store, struct authd_store_write *writes, size_t n, char *err,
                      size_t err_cap);

/* Reads one licence: its header and (when `licence` is not NULL) its decrypted CBOR in a malloc'd
 * buffer the caller wipes and frees. */
int authd_store_get(struct authd_store *store, const char *id, size_t id_len, struct authd_licence_meta *meta,
                    uint8_t **licence, size_t *licence_len);

/* The ids of a holder's licences (at most `max`). */
int authd_store_holder_licences(struct authd_store *store, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                char (*ids)[CERTLIB_LICENCE_ID_MAX], size_t max, size_t *n);

/* Calls fn for every licence header (start-up: rebuilding the status lists). Stops at fn's first
 * non-zero return, which it returns. */
int authd_store_each(struct authd_store *store,
                     int (*fn)(const char *id, size_t id_len, const struct authd_licence_meta *meta,
                               void *arg),
                     void *arg);

void authd_store_close(struct authd_store *store);

#endif
