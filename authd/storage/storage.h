/* Durable storage behind authd, as one interface with a table of functions per backend (LMDB now;
 * PostgreSQL next). Backends store opaque bytes: sealed licence records (record.h) under their id, the
 * holder index (holder key -> ids), and the two append-only Merkle logs (entries and every stored subtree
 * hash). They never see a key, an identity number or a name: sealing, opening and formatting happen in
 * the callers.
 *
 * THE CONTRACT every backend keeps (tests/unit/authd/storage/storage_contract_test.c checks it on each):
 *
 *  1. apply() is atomic: all its writes take effect, or none does (then every write's result is an
 *     error and apply() returns it). A write that is refused on its own (an id stored already, a record
 *     missing, an update the callback refuses) changes nothing, appends no log entry, and leaves the
 *     other writes of the batch to take effect.
 *  2. Each log is one linear sequence: a write that takes effect and names an entry appends it at the
 *     log's next index, in order within the batch, and sets log_index. A stored record's log index is
 *     the index its own entry got in the same batch.
 *  3. Durable before return: when apply() returns AUTHD_OK the batch survives a crash (and, for
 *     replicated backends, whatever the operator configured as durable: a synchronous standby).
 *  4. The log's stored hashes are those certlib_tlog_stored_hashes gives for each append: every
 *     complete subtree's root is stored at (level, index), so tiles and proofs need O(log n) reads.
 *     A backend may keep a leaf's hash (level 0) as its entry and hash it when read.
 *  5. Readers never block on writers and see only committed data. get()/holder_records()/each_record()
 *     may run on any thread at any time, concurrently with apply(); a reader sees a write's record, its
 *     index entry and its log entry all or none of them. log_size() says what is durable: it never leads
 *     the data (a record whose entry is below it is readable) and may trail a commit until apply() has
 *     returned. log_hashes()/log_entries() below log_size() return data that never changes.
 *  6. update callbacks run inside the transaction, on the record as the transaction sees it, so two
 *     concurrent updates of one record are serialized and each sees the other's outcome.
 *
 * Threads: apply() is called by one writer per process (writer.c); every other function from any
 * thread. Every function returns AUTHD_OK or an authd_err saying what kind of failure it was.
 */
#ifndef AUTHD_STORAGE_H
#define AUTHD_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certlib/present.h"
#include "certlib/tlog.h"
#include "errors.h"
#include "licence_meta.h"

/* The store's own schema. 2: the logs, records carrying their signature-log index. 3: sealed records
 * with a MAC over their header and their log index kept apart (a schema 2 LMDB store is upgraded in
 * place at open). 4: the holder-access index (a schema 3 store gets it built from its access log at
 * open, in either backend). 5: on PostgreSQL, that index kept in the access log's rows and leaf hashes
 * not stored. 6: on PostgreSQL, no subtree hash below level 4 stored either. 7: on PostgreSQL, text keys
 * in byte order whatever the database's locale (an LMDB store's data is unchanged by 5, 6 and 7; either
 * backend is upgraded at open). */
#define AUTHD_SCHEMA_VERSION 7u

enum authd_log_id { AUTHD_LOG_SIGNATURES = 0, AUTHD_LOG_ACCESS = 1, AUTHD_LOG_COUNT = 2 };

enum authd_storage_op {
    AUTHD_STORE_PUT,     /* a new record (AUTHD_E_EXISTS when its id is stored, AUTHD_E_CONFLICT when its
                            place is taken) and its holder-index entry */
    AUTHD_STORE_UPDATE,  /* a stored record replaced by what `update` makes of it (AUTHD_E_NOT_FOUND
                            when none) */
    AUTHD_STORE_APPEND,  /* a log entry alone; an access-log entry about a holder is indexed under
                            `holder_key` (the holder-access index) */
    AUTHD_STORE_RESTORE, /* a record copied from another store, with the log index it had there and no
                            entry (the log is copied apart): store-to-store copies only */
};

struct authd_storage_write {
    enum authd_storage_op op;
    const char *id; /* PUT, UPDATE, RESTORE: the licence id */
    size_t id_len;
    const uint8_t *record; /* PUT, RESTORE: the sealed record */
    size_t record_len;
    /* PUT, RESTORE: AUTHD_HOLDER_KEY_LEN bytes. APPEND to the access log: the holder the entry is
     * about, or NULL (an entry about no one) */
    const uint8_t *holder_key;
    /* PUT, RESTORE: the record's status-list place (authd_licence_place). A backend that several nodes
     * share refuses a second record in one place (AUTHD_E_CONFLICT); one that a single process owns
     * may rely on that process's reservations (statuslists.c) and ignore it. */
    const uint8_t *place;
    /* UPDATE: writes into `next` (`len` bytes) the record replacing `current`, or returns the error
     * that refuses the change. Runs inside the transaction. */
    authd_err (*update)(void *arg, const char *id, size_t id_len, const uint8_t *current, uint8_t *next,
                        size_t len);
    void *update_arg;
    enum authd_log_id log; /* the entry recording the change; NULL entry: none */
    const uint8_t *entry;
    size_t entry_len;
    /* in for RESTORE, out otherwise */
    uint64_t log_index; /* the entry's index in its log (and the record's, for PUT) */
    /* out */
    authd_err result; /* AUTHD_OK when the write took effect */
};

struct authd_storage_stats {
    uint64_t records;
    uint64_t log_size[AUTHD_LOG_COUNT];
    uint64_t bytes_used, bytes_capacity; /* 0 when the backend cannot tell */
};

struct authd_storage;

/* An OpenID4VP presentation request as the store keeps it: who made it, until when it may be answered,
 * whether it was, and what it says (sealed: authd_record_seal_blob). */
#define AUTHD_REQUEST_ID_LEN 16
#define AUTHD_REQUEST_KEPT 600 /* seconds a request is kept past its expiry */
struct authd_stored_request {
    char counter_id[CERTLIB_COUNTER_ID_MAX + 1];
    int64_t expires;
    bool answered;
    uint8_t *blob; /* malloc'd */
    size_t blob_len;
};

struct authd_storage_ops {
    const char *name; /* "lmdb", "postgresql" */
    /* Several authd processes may write this store at once (each follows the signature log for what
     * the others did, and enforces nothing in memory alone). */
    bool shared;
    void (*close)(struct authd_storage *s);
    uint32_t (*schema_version)(struct authd_storage *s); /* 0 when the store cannot be read */
    authd_err (*stats)(struct authd_storage *s, struct authd_storage_stats *out);
    /* The store's own settings, chosen when it was created (the cipher of its records): a name of at
     * most 32 bytes of [a-z_] and an integer. get: AUTHD_E_NOT_FOUND when never set. put: durable when it
     * returns; the writer thread's, or before any writer runs. */
    authd_err (*setting_get)(struct authd_storage *s, const char *name, int64_t *value);
    authd_err (*setting_put)(struct authd_storage *s, const char *name, int64_t value);

    authd_err (*apply)(struct authd_storage *s, struct authd_storage_write *writes, size_t n);

    /* A record (malloc'd copy, freed by the caller) and its signature-log index. */
    authd_err (*get)(struct authd_storage *s, const char *id, size_t id_len, uint8_t **record, size_t *len,
                     uint64_t *log_index);
    /* Calls fn for each record under a holder key, in id order, all from one snapshot, until fn returns
     * non-zero (passed back as each_record does). The record's bytes are valid during the call only.
     * AUTHD_E_CORRUPT when the index names a record that is not stored. */
    authd_err (*holder_records)(struct authd_storage *s, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                int (*fn)(void *arg, const char *id, size_t id_len, const uint8_t *record,
                                          size_t len, uint64_t log_index),
                                void *arg);
    /* Several holders' records in one read (a batch of lookups): as holder_records for each of the `n`
     * keys, all from one snapshot, with `which` (the key's place in `keys`) beside each record, grouped by
     * key in the order of `keys`. A non-zero return of fn stops the calls for that key only, into
     * results[which] as holder_records would return it; results[k] is AUTHD_OK for every other key. A
     * failure of the read as a whole is returned (results then undefined). NULL in a backend whose
     * holder_records costs no round trip (LMDB): a read there is microseconds, made where it is needed. */
    authd_err (*holders_records)(struct authd_storage *s, const uint8_t (*keys)[AUTHD_HOLDER_KEY_LEN],
                                 size_t n,
                                 int (*fn)(void *arg, size_t which, const char *id, size_t id_len,
                                           const uint8_t *record, size_t len, uint64_t log_index),
                                 void *arg, authd_err *results);
    /* Calls fn for every record (start-up rebuilds) until fn returns non-zero; a non-zero return of fn
     * is passed back as AUTHD_E_INTERNAL unless fn set it as an authd_err (>0). */
    authd_err (*each_record)(struct authd_storage *s,
                             int (*fn)(void *arg, const char *id, size_t id_len, const uint8_t *record,
                                       size_t len, uint64_t log_index),
                             void *arg);
    /* Calls fn with the index of every access-log entry about a holder (appended with this holder
     * key), ascending from `from`, below log_size, at most `limit` of them, until fn returns non-zero
     * (passed back as each_record does). A citizen's use record reads its entries this way, not by a
     * scan of the log. */
    authd_err (*holder_access)(struct authd_storage *s, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                               uint64_t from, size_t limit, int (*fn)(void *arg, uint64_t index), void *arg);
    /* Every holder-index entry (store-to-store copies), as each_record. */
    authd_err (*each_holder)(struct authd_storage *s,
                             int (*fn)(void *arg, const uint8_t key[AUTHD_HOLDER_KEY_LEN], const char *id,
                                       size_t id_len),
                             void *arg);

    /* The number of durable entries of a log. */
    authd_err (*log_size)(struct authd_storage *s, enum authd_log_id log, uint64_t *size);
    /* Entries [start, start + count) below log_size, in order, until fn returns non-zero. */
    authd_err (*log_entries)(struct authd_storage *s, enum authd_log_id log, uint64_t start, uint64_t count,
                             int (*fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len),
                             void *arg);
    /* `count` stored hashes of `level` from `start` (a hash tile is one call); AUTHD_E_NOT_FOUND when a
     * subtree there is not complete in the durable tree. */
    authd_err (*log_hashes)(struct authd_storage *s, enum authd_log_id log, unsigned level, uint64_t start,
                            uint64_t count, certlib_tlog_hash *out);
    /* The durable size of a log and the right border of its tree at that size, read together: for each
     * bit l set in *size, out[l] is the stored hash of the complete subtree at level l with index
     * (*size >> l) - 1. A root of that size is made of these alone, so a checkpoint costs one read (on
     * a shared store, one round trip instead of one per subtree). */
    authd_err (*log_border)(struct authd_storage *s, enum authd_log_id log, uint64_t *size,
                            certlib_tlog_hash out[64]);
    /* Optional: the same for the tree the last apply() left, from what apply() remembers of it, without a
     * read. The applying thread's, after apply(); AUTHD_E_NOT_FOUND when it remembers none (that apply
     * failed, or none ran yet). A shared store's tree may have grown since through other nodes. */
    authd_err (*committed_border)(struct authd_storage *s, enum authd_log_id log, uint64_t *size,
                                  certlib_tlog_hash out[64]);

    /* Status-list counters every node draws from (list_permutation.h): `count` consecutive counters of
     * list `list_no` of the issuer, the first in *first, never handed out before to anyone. NULL in a
     * backend one process owns (it picks free indices at random itself). */
    authd_err (*list_counters)(struct authd_storage *s, const char *issuer_code, uint32_t list_no,
                               uint32_t count, uint64_t *first);

    /* Holder-binding challenges every node can answer (challenges.h). NULL in a backend one process
     * owns: the process keeps them in memory. issue: AUTHD_E_FULL when the counter had `per_counter`
     * challenges in the last `ttl` seconds (*retry_after: when its oldest one expires). take: marks the
     * challenge used, unless it is another counter's or expired, and says what it was: its counter,
     * when it was issued, whether it had been used before. AUTHD_E_NOT_FOUND when never issued. */
    authd_err (*challenge_issue)(struct authd_storage *s, const char *counter_id,
                                 const uint8_t nonce[CERTLIB_NONCE_LEN], int64_t now, uint32_t ttl,
                                 size_t per_counter, uint32_t *retry_after);
    authd_err (*challenge_take)(struct authd_storage *s, const uint8_t nonce[CERTLIB_NONCE_LEN],
                                const char *counter_id, int64_t now, uint32_t ttl,
                                char issued_to[CERTLIB_COUNTER_ID_MAX + 1], int64_t *issued_at,
                                bool *was_used);

    /* OpenID4VP presentation requests every node can serve (presentation_requests.h), kept until
     * AUTHD_REQUEST_KEPT seconds past their expiry so a late answer is named expired rather than unknown.
     * NULL in a backend one process owns: the process keeps them in memory. put: a new request (the
     * backend bounds its table by deleting requests that old; `capacity` is the memory table's bound and
     * a backend may ignore it). get: *out filled, its blob malloc'd. answer: replaces the blob and marks
     * the request answered, once (AUTHD_E_CONFLICT when it already was). AUTHD_E_NOT_FOUND for an
     * unknown id. */
    authd_err (*request_put)(struct authd_storage *s, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                             const char *counter_id, int64_t expires, const uint8_t *blob, size_t len,
                             int64_t now, size_t capacity);
    authd_err (*request_get)(struct authd_storage *s, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                             struct authd_stored_request *out);
    authd_err (*request_answer)(struct authd_storage *s, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                                const uint8_t *blob, size_t len);

    /* Optional (NULL: nothing to do). After a bulk load (a copy into this store): bring up to date what
     * the backend plans its reads with, so the first requests served are planned on the store as it is
     * (PostgreSQL: ANALYZE, which autovacuum would otherwise run only minutes later). */
    authd_err (*loaded)(struct authd_storage *s);
};

/* Every backend's handle starts with this (the embedding idiom: `struct lmdb_storage { struct
 * authd_storage base; ... }`). */
struct authd_storage {
    const struct authd_storage_ops *ops;
};

/* The calls, dispatched to the backend. */
static inline authd_err authd_storage_apply(struct authd_storage *s, struct authd_storage_write *w, size_t n)
{
    return s->ops->apply(s, w, n);
}
static inline authd_err authd_storage_get(struct authd_storage *s, const char *id, size_t id_len,
                                          uint8_t **record, size_t *len, uint64_t *log_index)
{
    return s->ops->get(s, id, id_len, record, len, log_index);
}
static inline void authd_storage_close(struct authd_storage *s)
{
    if (s) s->ops->close(s);
}

/* ---- backends ---- */

/* Forward declaration: a backend that meets schema 2 records re-seals them with the data keys. */
struct authd_record_keys;

struct authd_lmdb_options {
    const char *dir;                      /* created (mode 0700) when missing and `create` */
    size_t map_bytes;                     /* the LMDB map size: the largest the store may grow */
    const struct authd_record_keys *keys; /* for upgrading a schema 2 store in place; may be NULL */
    /* Create the store when there is none (authd init, a copy's target). Otherwise a missing or empty
     * data.mdb is an error: a store lost or truncated to nothing must never start afresh, with a new
     * signature log under the same key. */
    bool create;
};

/* Opens the LMDB environment (licences, holders, the logs' entries and hashes, meta), having checked the
 * file against LMDB's own metadata (a truncated data.mdb would fault when its missing pages are read).
 * AUTHD_E_NOT_FOUND when there is no store and not `create`, AUTHD_E_CORRUPT for an empty, truncated or
 * unrecognisable file, AUTHD_E_SCHEMA for an unknown schema version, AUTHD_E_IO otherwise, with a
 * message in err. */
authd_err authd_storage_open_lmdb(const struct authd_lmdb_options *options, struct authd_storage **out,
                                  char *err, size_t err_cap);

struct authd_postgres_options {
    const char *conninfo; /* libpq's: several hosts for failover, target_session_attrs=read-write */
    const char *passfile; /* libpq's password file (no password is ever in the configuration); or NULL */
    size_t pool_size;     /* connections for readers (the writer thread has one of its own) */
    bool create;          /* create authd's tables in a database without them (authd init, a copy) */
};

/* Connects to PostgreSQL and checks the schema version of authd's tables; with `create`, creates them
 * in a database without them (once, whichever comes first). AUTHD_E_NOT_FOUND for a database without
 * them otherwise, AUTHD_E_UNAVAILABLE when no server answers, AUTHD_E_SCHEMA for an unknown version,
 * AUTHD_E_CONFIG for a conninfo that does not parse or holds a password, with a message in err. */
authd_err authd_storage_open_postgres(const struct authd_postgres_options *options,
                                      struct authd_storage **out, char *err, size_t err_cap);

#endif
