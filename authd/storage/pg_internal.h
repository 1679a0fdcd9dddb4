/* The PostgreSQL backend's state, shared by its files: postgres.c (opening, schema, reads, challenges)
 * and pg_apply.c (the batch transaction). */
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
    int64_t challenges_swept; /* when expired challenges were last deleted */
    pthread_mutex_t sweep_lock;
};

static inline struct pg_storage *pg_of(struct authd_storage *s)
{
    return (struct pg_storage *)s;
}

authd_err pg_apply(struct authd_storage *s, struct authd_storage_write *writes, size_t n);

#endif
