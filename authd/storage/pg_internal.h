/* The PostgreSQL backend's state, shared by its files: postgres.c (opening, reads), pg_apply.c
 * (the batch transaction), pg_schema.c (creating and upgrading the schema) and pg_shared.c (status-list
 * counters and challenges). */
#ifndef AUTHD_PG_INTERNAL_H
#define AUTHD_PG_INTERNAL_H

#include "storage/pg_conn.h"
#include "storage/storage.h"

/* The rightmost complete subtree at each level of a log's tree: what the next append hashes with.
 * Valid for a tree of `size` leaves; another node's append makes it stale (sizes differ). */
struct pg_border {
    bool valid;
    uint64_t size;
    struct {
        bool have;
        uint64_t index;
        certlib_tlog_hash hash;
    } level[64];
};

struct pg_storage {
    struct authd_storage base;
    struct pg_params params;
    struct pg_pool readers;
    PGconn *writer; /* apply()'s alone: the writer thread's */
    struct pg_border border[AUTHD_LOG_COUNT];
    unsigned calm; /* the writer's: its batches in a row that found no other node's appends (run_fast) */
    int64_t challenges_swept; /* when expired challenges were last deleted */
    int64_t requests_swept;   /* when long-expired presentation requests were last deleted */
    pthread_mutex_t sweep_lock;
};

static inline struct pg_storage *pg_of(struct authd_storage *s)
{
    return (struct pg_storage *)s;
}

authd_err pg_apply(struct authd_storage *s, struct authd_storage_write *writes, size_t n);
/* storage.h's committed_border: the border pg_apply kept after its last commit. */
authd_err pg_committed_border(struct authd_storage *s, enum authd_log_id log, uint64_t *size,
                              certlib_tlog_hash out[64]);
/* The lowest level of the subtree hashes stored (authd_log_hashes). A subtree of fewer leaves (levels 0
 * to 3: 15 hashes in 16 above the leaves, and the leaves) has its hash computed from its entries when
 * read, at most 2^PG_STORED_FROM - 1 of them more than the stored hash would take: a row and an index
 * entry less for nearly every append, on the path every lookup waits in (pg_tree.c). */
#define PG_STORED_FROM 4
#define PG_STR_(x) #x
#define PG_STR(x) PG_STR_(x) /* a macro's value, as SQL text */
/* Computes `count` consecutive subtree hashes `levels` above the (count << levels) hashes at `hashes`,
 * into its first `count` places. */
void pg_subtrees(certlib_tlog_hash *hashes, size_t count, unsigned levels);
/* Reads a log's border, in one statement so in one snapshot ($1 the log): its size, then the stored
 * hash of each of the size's bits from PG_STORED_FROM up and the entries of the tail below them, for
 * pg_border_parse. */
extern const struct pg_statement pg_border_st;
/* The border pg_border_st read, with its size. AUTHD_E_CORRUPT for a hash or an entry missing or out of
 * place. */
authd_err pg_border_parse(const PGresult *r, struct pg_border *border);
/* Prepares apply's statements on a new writer connection (the schema must exist), to be run with
 * generic plans. */
authd_err pg_writer_prepare(PGconn *conn);

/* Reads the version of the schema there, or (`create`) creates it in a database without one, or
 * upgrades one of version 3, 4 or 5 (pg_schema.c). AUTHD_E_NOT_FOUND, with a message in err, when there is
 * none and `create` is false. */
authd_err pg_prepare_schema(PGconn *conn, bool create, uint32_t *version, char *err, size_t err_cap);
/* A read on a pooled connection, once more on a fresh one if the first was found dead (postgres.c). */
authd_err pg_read_exec(struct pg_storage *st, const char *what, const char *sql, const struct pg_args *a,
                       PGresult **res);
/* Gives a pooled connection back, or closes it when the server went away or takes no writes. */
void pg_release(struct pg_storage *st, PGconn *conn, authd_err rc);

/* The storage operations of pg_shared.c (storage.h says what they do). */
authd_err pg_list_counters(struct authd_storage *s, const char *issuer_code, uint32_t list_no, uint32_t count,
                           uint64_t *first);
authd_err pg_challenge_issue(struct authd_storage *s, const char *counter_id,
                             const uint8_t nonce[CERTLIB_NONCE_LEN], int64_t now, uint32_t ttl,
                             size_t per_counter, uint32_t *retry_after);
authd_err pg_challenge_take(struct authd_storage *s, const uint8_t nonce[CERTLIB_NONCE_LEN],
                            const char *counter_id, int64_t now, uint32_t ttl,
                            char issued_to[CERTLIB_COUNTER_ID_MAX + 1], int64_t *issued_at, bool *was_used);
authd_err pg_request_put(struct authd_storage *s, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                         const char *counter_id, int64_t expires, const uint8_t *blob, size_t len,
                         int64_t now, size_t capacity);
authd_err pg_request_get(struct authd_storage *s, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                         struct authd_stored_request *out);
authd_err pg_request_answer(struct authd_storage *s, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                            const uint8_t *blob, size_t len);

#endif
