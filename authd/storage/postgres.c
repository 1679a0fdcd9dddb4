/* The PostgreSQL backend of the storage interface (storage.h), through libpq. Tables:
 *   authd_meta         name -> value: the schema version, the number of records, settings
 *                      ("setting.<name>")
 *   authd_licences     id -> signature-log index, status-list place (unique), sealed record
 *   authd_holders      (keyed holder hash, id): the holder index
 *   authd_log_state    log -> size: one row per log, locked FOR UPDATE by every batch that appends
 *   authd_log_entries  (log, index) -> entry, and the keyed holder hash an access entry is about,
 *                      indexed (the holder-access index: the entries about each holder)
 *   authd_log_hashes   (log, level, index) -> stored subtree hash, from level PG_STORED_FROM (4):
 *                      those below, and a leaf's, are computed from the entries when read
 *                      (pg_log_hashes, pg_tree.c)
 *   authd_challenges   nonce -> counter, issue time, used: holder-binding challenges any node answers
 *   authd_requests     id -> counter, expiry, answered, sealed blob: OpenID4VP presentation requests
 *                      (unlogged: they live minutes)
 * The database sees what LMDB would: sealed records, keyed holder hashes, log entries that carry no
 * identity number or name. Every statement is parameterised, so no value reaches a server log line.
 * Several authd nodes may share one database: batches serialize on the log rows (pg_apply.c), reads
 * come from a pool of connections, and libpq's multi-host conninfo finds the primary after a failover. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/pg_internal.h"

/* ---- reads through the pool ---- */

/* Gives a pooled connection back, or closes it when the server went away or takes no writes. */
void pg_release(struct pg_storage *st, PGconn *conn, authd_err rc)
{
    if (rc == AUTHD_E_UNAVAILABLE) {
        PQfinish(conn);
        conn = NULL;
    }
    pg_pool_put(&st->readers, conn);
}

/* The reads every request makes, prepared once per pooled connection. */
static const struct pg_statement read_record = {
    "authd_get", "SELECT log_index, record FROM authd_licences WHERE id = $1", 1, {PG_TEXT}};
/* One statement: one snapshot. The LIMIT keeps the planner from flattening the lateral join, so each record
 * is fetched through the primary key whatever the statistics say (stale ones chose a sequential scan of
 * every licence). */
static const struct pg_statement read_holder = {
    "authd_holder",
    "SELECT h.id, l.record, l.log_index FROM authd_holders h LEFT JOIN LATERAL "
    "(SELECT record, log_index FROM authd_licences WHERE id = h.id LIMIT 1) l ON true "
    "WHERE h.holder_key = $1 ORDER BY h.id COLLATE \"C\"",
    1,
    {PG_BYTEA}};
/* read_holder for a batch of holders: `i` says which key of the array a row is about (1-based). Each key
 * is looked up on its own through the primary key: the OFFSET 0 keeps the planner from flattening the
 * lateral subquery into a join, which without statistics (a store just filled or copied, before
 * autovacuum's first ANALYZE) it ran as a hash join over a sequential scan of every holder: lookups at
 * 3,800/s instead of 6,350/s on 20,000 licences, 605/s instead of 8,200/s with 300,000 more holders.
 * Unordered: the rows are put in order here (in_order), as an ORDER BY made PostgreSQL sort them with
 * their records, about 3 KB each: a quarter of the statement's time (pgbench, nine holders a statement:
 * 0.17-0.22 ms with it, 0.10-0.13 without). */
static const struct pg_statement read_holders = {
    "authd_holders",
    "SELECT k.i, h.id, l.record, l.log_index FROM unnest($1::bytea[]) WITH ORDINALITY AS k(key, i) "
    "CROSS JOIN LATERAL (SELECT id FROM authd_holders WHERE holder_key = k.key OFFSET 0) h LEFT JOIN LATERAL "
    "(SELECT record, log_index FROM authd_licences WHERE id = h.id LIMIT 1) l ON true",
    1,
    {PG_BYTEA_ARRAY}};
static const struct pg_statement read_log_size = {
    "authd_log_size", "SELECT size FROM authd_log_state WHERE log = $1", 1, {PG_INT2}};
static const struct pg_statement read_log_hashes = {"authd_log_hashes",
                                                    "SELECT idx, hash FROM authd_log_hashes WHERE log = $1 "
                                                    "AND level = $2 AND idx >= $3 AND idx < $4 ORDER BY idx",
                                                    4,
                                                    {PG_INT2, PG_INT2, PG_INT8, PG_INT8}};
static const struct pg_statement read_holder_access = {
    "authd_holder_access",
    "SELECT e.idx FROM authd_log_entries e, authd_log_state s WHERE e.holder_key = $1 AND e.log = 1 "
    "AND e.idx >= $2 AND s.log = 1 AND e.idx < s.size ORDER BY e.idx LIMIT $3",
    3,
    {PG_BYTEA, PG_INT8, PG_INT8}};
static const struct pg_statement *const prepared[] = {&read_record,       &read_holder,     &read_holders,
                                                      &read_log_size,     &read_log_hashes, &pg_border_st,
                                                      &read_holder_access};

/* Runs a read (`sql`, or the prepared `stmt`) on a pooled connection, once more on a fresh one if the
 * first was found dead (reads are idempotent). */
static authd_err read_with(struct pg_storage *st, const char *what, const char *sql,
                           const struct pg_statement *stmt, const struct pg_args *a, PGresult **res)
{
    authd_err rc = AUTHD_E_UNAVAILABLE;
    for (int attempt = 0; attempt < 2 && rc == AUTHD_E_UNAVAILABLE; attempt++) {
        PGconn *conn;
        if ((rc = pg_pool_get(&st->readers, &conn)) != AUTHD_OK) continue;
        rc = stmt ? pg_exec_prepared(conn, what, stmt, a, res) : pg_exec(conn, what, sql, a, res);
        pg_release(st, conn, rc);
    }
    return rc;
}

authd_err pg_read_exec(struct pg_storage *st, const char *what, const char *sql, const struct pg_args *a,
                       PGresult **res)
{
    return read_with(st, what, sql, NULL, a, res);
}

static authd_err read_prepared(struct pg_storage *st, const char *what, const struct pg_statement *stmt,
                               const struct pg_args *a, PGresult **res)
{
    return read_with(st, what, NULL, stmt, a, res);
}

static uint32_t pg_schema_version(struct authd_storage *s)
{
    PGresult *r = NULL;
    if (pg_read_exec(pg_of(s), "reading the schema version",
                     "SELECT value FROM authd_meta WHERE name = 'schema_version'", NULL, &r) != AUTHD_OK)
        return 0;
    int64_t v = PQntuples(r) == 1 ? pg_int8(r, 0, 0) : 0;
    PQclear(r);
    return v > 0 && v < UINT32_MAX ? (uint32_t)v : 0;
}

/* "setting.<name>", or false for a name settings may not have. */
static bool setting_name(const char *name, char out[48])
{
    size_t n = strlen(name);
    if (n == 0 || n > 32 || strspn(name, "abcdefghijklmnopqrstuvwxyz_") != n) return false;
    snprintf(out, 48, "setting.%s", name);
    return true;
}

static authd_err pg_setting_get(struct authd_storage *s, const char *name, int64_t *value)
{
    char key[48];
    if (!setting_name(name, key)) return AUTHD_E_INTERNAL;
    struct pg_args a = {0};
    pg_arg_text(&a, key, strlen(key));
    PGresult *r = NULL;
    authd_err rc =
        pg_read_exec(pg_of(s), "reading a setting", "SELECT value FROM authd_meta WHERE name = $1", &a, &r);
    if (!rc && PQntuples(r) == 0) rc = AUTHD_E_NOT_FOUND;
    if (!rc) *value = pg_int8(r, 0, 0);
    PQclear(r);
    return rc;
}

static authd_err pg_setting_put(struct authd_storage *s, const char *name, int64_t value)
{
    char key[48];
    if (!setting_name(name, key)) return AUTHD_E_INTERNAL;
    struct pg_args a = {0};
    pg_arg_text(&a, key, strlen(key));
    pg_arg_int8(&a, value);
    PGresult *r = NULL;
    authd_err rc = pg_read_exec(pg_of(s), "writing a setting",
                                "INSERT INTO authd_meta (name, value) VALUES ($1, $2) "
                                "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                                &a, &r);
    PQclear(r);
    return rc;
}

static authd_err pg_stats(struct authd_storage *s, struct authd_storage_stats *out)
{
    PGresult *r = NULL;
    authd_err rc = pg_read_exec(pg_of(s), "reading store statistics",
                                "SELECT (SELECT value FROM authd_meta WHERE name = 'records'), "
                                "(SELECT size FROM authd_log_state WHERE log = 0), "
                                "(SELECT size FROM authd_log_state WHERE log = 1), "
                                "pg_database_size(current_database())",
                                NULL, &r);
    if (rc) return rc;
    memset(out, 0, sizeof(*out));
    if (PQntuples(r) == 1) {
        out->records = (uint64_t)pg_int8(r, 0, 0);
        out->log_size[0] = (uint64_t)pg_int8(r, 0, 1);
        out->log_size[1] = (uint64_t)pg_int8(r, 0, 2);
        out->bytes_used = (uint64_t)pg_int8(r, 0, 3);
    }
    PQclear(r);
    return AUTHD_OK;
}

static uint64_t log_index_of(int64_t stored)
{
    return stored < 0 ? UINT64_MAX : (uint64_t)stored;
}

/* Licence ids are printable ASCII: anything else (a NUL, bytes that are not UTF-8, which a text
 * parameter could not even carry) names no licence. */
static bool plausible_id(const char *id, size_t len)
{
    if (len == 0 || len > 255) return false;
    for (size_t i = 0; i < len; i++)
        if (id[i] < 0x21 || id[i] > 0x7e) return false;
    return true;
}

static authd_err pg_get(struct authd_storage *s, const char *id, size_t id_len, uint8_t **record, size_t *len,
                        uint64_t *log_index)
{
    if (!plausible_id(id, id_len)) return AUTHD_E_NOT_FOUND;
    struct pg_args a = {0};
    pg_arg_text(&a, id, id_len);
    PGresult *r = NULL;
    authd_err rc = read_prepared(pg_of(s), "reading a record", &read_record, &a, &r);
    if (rc) return rc;
    if (PQntuples(r) != 1) rc = AUTHD_E_NOT_FOUND;
    if (!rc) {
        *len = (size_t)PQgetlength(r, 0, 1);
        if (!(*record = malloc(*len ? *len : 1))) rc = AUTHD_E_NOMEM;
    }
    if (!rc) {
        memcpy(*record, PQgetvalue(r, 0, 1), *len);
        if (log_index) *log_index = log_index_of(pg_int8(r, 0, 0));
    }
    PQclear(r);
    return rc;
}

static authd_err stopped(int stop)
{
    return stop > 0 ? (authd_err)stop : AUTHD_E_INTERNAL;
}

static authd_err pg_holder_records(struct authd_storage *s, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                   int (*fn)(void *arg, const char *id, size_t id_len, const uint8_t *record,
                                             size_t len, uint64_t log_index),
                                   void *arg)
{
    struct pg_args a = {0};
    pg_arg_bytes(&a, PG_BYTEA, key, AUTHD_HOLDER_KEY_LEN);
    PGresult *r = NULL;
    authd_err rc = read_prepared(pg_of(s), "reading a holder's records", &read_holder, &a, &r);
    for (int row = 0; !rc && row < PQntuples(r); row++) {
        if (PQgetisnull(r, row, 1)) {
            rc = AUTHD_E_CORRUPT;
            break;
        }
        int stop = fn(arg, PQgetvalue(r, row, 0), (size_t)PQgetlength(r, row, 0),
                      (const uint8_t *)PQgetvalue(r, row, 1), (size_t)PQgetlength(r, row, 1),
                      log_index_of(pg_int8(r, row, 2)));
        if (stop) rc = stopped(stop);
    }
    PQclear(r);
    return rc;
}

/* A row of read_holders, to be put in the order holders_records promises: by key, then by id. */
struct holder_row {
    int64_t which; /* 1-based, as the statement numbers the keys */
    const char *id;
    size_t id_len;
    int row;
};

static int row_order(const void *a, const void *b)
{
    const struct holder_row *x = a, *y = b;
    if (x->which != y->which) return x->which < y->which ? -1 : 1;
    int c = memcmp(x->id, y->id, x->id_len < y->id_len ? x->id_len : y->id_len);
    if (c) return c;
    return (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

/* The result's rows by key, then by id in byte order: as LMDB orders them, and read_holder whatever the
 * database's collation. NULL when out of memory. */
static struct holder_row *in_order(const PGresult *r)
{
    int rows = PQntuples(r);
    struct holder_row *o = malloc((size_t)(rows ? rows : 1) * sizeof(*o));
    if (!o) return NULL;
    for (int row = 0; row < rows; row++)
        o[row] = (struct holder_row){pg_int8(r, row, 0), PQgetvalue(r, row, 1),
                                     (size_t)PQgetlength(r, row, 1), row};
    qsort(o, (size_t)rows, sizeof(*o), row_order);
    return o;
}

static authd_err pg_holders_records(struct authd_storage *s, const uint8_t (*keys)[AUTHD_HOLDER_KEY_LEN],
                                    size_t n,
                                    int (*fn)(void *arg, size_t which, const char *id, size_t id_len,
                                              const uint8_t *record, size_t len, uint64_t log_index),
                                    void *arg, authd_err *results)
{
    for (size_t k = 0; k < n; k++)
        results[k] = AUTHD_OK;
    if (!n) return AUTHD_OK;
    struct pg_array keys_array;
    pg_array_init(&keys_array, PG_BYTEA);
    for (size_t k = 0; k < n; k++)
        pg_array_add(&keys_array, keys[k], AUTHD_HOLDER_KEY_LEN);
    pg_array_finish(&keys_array);
    if (keys_array.failed) {
        pg_array_free(&keys_array);
        return AUTHD_E_NOMEM;
    }
    struct pg_args a = {0};
    pg_arg_array(&a, PG_BYTEA_ARRAY, &keys_array);
    PGresult *r = NULL;
    authd_err rc = read_prepared(pg_of(s), "reading holders' records", &read_holders, &a, &r);
    pg_array_free(&keys_array);
    struct holder_row *order = rc ? NULL : in_order(r);
    if (!rc && !order) rc = AUTHD_E_NOMEM;
    for (int k = 0; !rc && k < PQntuples(r); k++) {
        int row = order[k].row;
        int64_t i = order[k].which - 1;
        if (i < 0 || (uint64_t)i >= n) {
            rc = AUTHD_E_CORRUPT; /* not a key that was asked for: the server is not the one we know */
            break;
        }
        if (results[i]) continue; /* its calls were stopped */
        if (PQgetisnull(r, row, 2)) {
            results[i] = AUTHD_E_CORRUPT; /* as holder_records: the index names a record not stored */
            continue;
        }
        int stop = fn(arg, (size_t)i, PQgetvalue(r, row, 1), (size_t)PQgetlength(r, row, 1),
                      (const uint8_t *)PQgetvalue(r, row, 2), (size_t)PQgetlength(r, row, 2),
                      log_index_of(pg_int8(r, row, 3)));
        if (stop) results[i] = stopped(stop);
    }
    free(order);
    PQclear(r);
    return rc;
}

static authd_err pg_holder_access(struct authd_storage *s, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                  uint64_t from, size_t limit, int (*fn)(void *arg, uint64_t index),
                                  void *arg)
{
    if (!limit || from > INT64_MAX) return AUTHD_OK;
    struct pg_args a = {0};
    pg_arg_bytes(&a, PG_BYTEA, key, AUTHD_HOLDER_KEY_LEN);
    pg_arg_int8(&a, (int64_t)from);
    pg_arg_int8(&a, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    PGresult *r = NULL;
    authd_err rc = read_prepared(pg_of(s), "reading a holder's access entries", &read_holder_access, &a, &r);
    for (int row = 0; !rc && row < PQntuples(r); row++) {
        int64_t index = pg_int8(r, row, 0);
        if (index < 0) rc = AUTHD_E_CORRUPT;
        int stop = rc ? 0 : fn(arg, (uint64_t)index);
        if (stop) rc = stopped(stop);
    }
    PQclear(r);
    return rc;
}

/* Streams a query's rows one at a time (single-row mode): whole-table passes need no memory for the
 * table. row_fn gets each row; its first non-zero return stops the calls and comes back in *stop. */
static authd_err stream(struct pg_storage *st, const char *what, const char *sql, const struct pg_args *a,
                        int (*row_fn)(void *ctx, const PGresult *r), void *ctx, int *stop)
{
    static const struct pg_args none;
    if (!a) a = &none;
    *stop = 0;
    PGconn *conn;
    authd_err rc = pg_pool_get(&st->readers, &conn);
    if (rc) return rc;
    if (!PQsendQueryParams(conn, sql, a->n, a->types, a->values, a->lengths, a->formats, 1) ||
        !PQsetSingleRowMode(conn)) {
        fprintf(stderr, "authd: postgresql: %s: %s\n", what, PQerrorMessage(conn));
        pg_release(st, conn, AUTHD_E_UNAVAILABLE);
        return AUTHD_E_UNAVAILABLE;
    }
    PGresult *r;
    while ((r = PQgetResult(conn))) { /* drained to the end even after a stop: the connection is reused */
        ExecStatusType status = PQresultStatus(r);
        if (status == PGRES_SINGLE_TUPLE) {
            if (!*stop && !rc) *stop = row_fn(ctx, r);
        } else if (status != PGRES_TUPLES_OK && !rc) {
            const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            fprintf(stderr, "authd: postgresql: %s: %s\n", what, msg ? msg : PQerrorMessage(conn));
            rc = PQstatus(conn) == CONNECTION_OK ? AUTHD_E_IO : AUTHD_E_UNAVAILABLE;
        }
        PQclear(r);
    }
    pg_release(st, conn, rc);
    return rc;
}

struct each_record_ctx {
    int (*fn)(void *arg, const char *id, size_t id_len, const uint8_t *record, size_t len,
              uint64_t log_index);
    void *arg;
};

static int one_record(void *ctx, const PGresult *r)
{
    struct each_record_ctx *c = ctx;
    return c->fn(c->arg, PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0),
                 (const uint8_t *)PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1),
                 log_index_of(pg_int8(r, 0, 2)));
}

static authd_err pg_each_record(struct authd_storage *s,
                                int (*fn)(void *arg, const char *id, size_t id_len, const uint8_t *record,
                                          size_t len, uint64_t log_index),
                                void *arg)
{
    struct each_record_ctx c = {fn, arg};
    int stop;
    authd_err rc =
        stream(pg_of(s), "reading every record",
               "SELECT id, record, log_index FROM authd_licences ORDER BY id", NULL, one_record, &c, &stop);
    return rc ? rc : stop ? stopped(stop) : AUTHD_OK;
}

struct each_holder_ctx {
    int (*fn)(void *arg, const uint8_t key[AUTHD_HOLDER_KEY_LEN], const char *id, size_t id_len);
    void *arg;
};

static int one_holder(void *ctx, const PGresult *r)
{
    struct each_holder_ctx *c = ctx;
    if (PQgetlength(r, 0, 0) != AUTHD_HOLDER_KEY_LEN) return AUTHD_E_CORRUPT;
    return c->fn(c->arg, (const uint8_t *)PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
                 (size_t)PQgetlength(r, 0, 1));
}

static authd_err pg_each_holder(struct authd_storage *s,
                                int (*fn)(void *arg, const uint8_t key[AUTHD_HOLDER_KEY_LEN], const char *id,
                                          size_t id_len),
                                void *arg)
{
    struct each_holder_ctx c = {fn, arg};
    int stop;
    authd_err rc =
        stream(pg_of(s), "reading the holder index", "SELECT holder_key, id FROM authd_holders ORDER BY 1, 2",
               NULL, one_holder, &c, &stop);
    return rc ? rc : stop ? stopped(stop) : AUTHD_OK;
}

static authd_err pg_log_size(struct authd_storage *s, enum authd_log_id log, uint64_t *size)
{
    struct pg_args a = {0};
    pg_arg_int2(&a, (int16_t)log);
    PGresult *r = NULL;
    authd_err rc = read_prepared(pg_of(s), "reading a log's size", &read_log_size, &a, &r);
    if (rc) return rc;
    int64_t v = PQntuples(r) == 1 ? pg_int8(r, 0, 0) : -1;
    PQclear(r);
    if (v < 0) return AUTHD_E_CORRUPT;
    *size = (uint64_t)v;
    return AUTHD_OK;
}

/* One statement, so one snapshot: the size and the hashes of its tree (pg_border_st). */
static authd_err pg_log_border(struct authd_storage *s, enum authd_log_id log, uint64_t *size,
                               certlib_tlog_hash out[64])
{
    struct pg_args a = {0};
    pg_arg_int2(&a, (int16_t)log);
    PGresult *r = NULL;
    authd_err rc = read_prepared(pg_of(s), "reading a log's border", &pg_border_st, &a, &r);
    if (rc) return rc;
    struct pg_border border;
    rc = pg_border_parse(r, &border);
    PQclear(r);
    if (rc) return rc;
    for (unsigned l = 0; l < 64; l++)
        if (border.level[l].have) memcpy(out[l], border.level[l].hash, CERTLIB_TLOG_HASH_LEN);
    *size = border.size;
    return AUTHD_OK;
}

struct entries_ctx {
    int (*fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len);
    void *arg;
    uint64_t next; /* the index the next row must have */
    authd_err gap;
};

static int one_entry(void *ctx, const PGresult *r)
{
    struct entries_ctx *c = ctx;
    if ((uint64_t)pg_int8(r, 0, 0) != c->next) return c->gap = AUTHD_E_CORRUPT, 1;
    c->next++;
    return c->fn(c->arg, c->next - 1, (const uint8_t *)PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
}

static authd_err pg_log_entries(struct authd_storage *s, enum authd_log_id log, uint64_t start,
                                uint64_t count,
                                int (*fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len),
                                void *arg)
{
    uint64_t size;
    authd_err rc = pg_log_size(s, log, &size);
    if (rc) return rc;
    if (start > size || count > size - start) return AUTHD_E_NOT_FOUND;
    if (!count) return AUTHD_OK;
    struct pg_args a = {0};
    pg_arg_int2(&a, (int16_t)log);
    pg_arg_int8(&a, (int64_t)start);
    pg_arg_int8(&a, (int64_t)(start + count));
    struct entries_ctx c = {fn, arg, start, AUTHD_OK};
    int stop;
    rc = stream(
        pg_of(s), "reading log entries",
        "SELECT idx, entry FROM authd_log_entries WHERE log = $1 AND idx >= $2 AND idx < $3 ORDER BY idx", &a,
        one_entry, &c, &stop);
    if (rc || c.gap) return rc ? rc : c.gap;
    /* fn may stop early; otherwise every entry below the size must have come */
    return stop || c.next == start + count ? AUTHD_OK : AUTHD_E_CORRUPT;
}

/* log_hashes at level 0: entries [start, ...) hashed into out */
struct leaf_hashes {
    uint64_t start;
    certlib_tlog_hash *out;
};

static int leaf_hash(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    struct leaf_hashes *h = arg;
    certlib_tlog_leaf_hash(entry, len, h->out[index - h->start]);
    return 0;
}

/* Hashes below PG_STORED_FROM, computed from their entries: at most SUBTREE_LEAVES of them at a time. */
#define SUBTREE_LEAVES 4096
static authd_err computed_hashes(struct authd_storage *s, enum authd_log_id log, unsigned level,
                                 uint64_t start, uint64_t count, certlib_tlog_hash *out)
{
    if (level == 0) { /* leaves: the hashes of their entries */
        struct leaf_hashes h = {start, out};
        return pg_log_entries(s, log, start, count, leaf_hash, &h);
    }
    const uint64_t most = (uint64_t)INT64_MAX >> level; /* subtrees whose first entry an int8 can index */
    if (start > most || count > most - start) return AUTHD_E_NOT_FOUND;
    certlib_tlog_hash *leaves = malloc(SUBTREE_LEAVES * sizeof(*leaves));
    if (!leaves) return AUTHD_E_NOMEM;
    authd_err rc = AUTHD_OK;
    for (uint64_t done = 0, step = SUBTREE_LEAVES >> level; !rc && done < count; done += step) {
        uint64_t n = count - done < step ? count - done : step;
        struct leaf_hashes h = {(start + done) << level, leaves};
        rc = pg_log_entries(s, log, h.start, n << level, leaf_hash, &h);
        if (rc) break;
        pg_subtrees(leaves, (size_t)n, level);
        memcpy(out + done, leaves, (size_t)n * sizeof(*leaves));
    }
    free(leaves);
    return rc;
}

static authd_err pg_log_hashes(struct authd_storage *s, enum authd_log_id log, unsigned level, uint64_t start,
                               uint64_t count, certlib_tlog_hash *out)
{
    if (!count) return AUTHD_OK;
    if (level < PG_STORED_FROM) return computed_hashes(s, log, level, start, count, out);
    if (level >= 64 || start > INT64_MAX || count > INT64_MAX - start) return AUTHD_E_NOT_FOUND;
    struct pg_args a = {0};
    pg_arg_int2(&a, (int16_t)log);
    pg_arg_int2(&a, (int16_t)level);
    pg_arg_int8(&a, (int64_t)start);
    pg_arg_int8(&a, (int64_t)(start + count));
    PGresult *r = NULL;
    /* Hashes are written in the transaction of their entries: the rows there are of committed trees. */
    authd_err rc = read_prepared(pg_of(s), "reading log hashes", &read_log_hashes, &a, &r);
    if (rc) return rc;
    for (int i = 0; !rc && i < PQntuples(r); i++) {
        if ((uint64_t)pg_int8(r, i, 0) != start + (uint64_t)i ||
            PQgetlength(r, i, 1) != CERTLIB_TLOG_HASH_LEN) {
            rc = AUTHD_E_CORRUPT;
            break;
        }
        memcpy(out[i], PQgetvalue(r, i, 1), CERTLIB_TLOG_HASH_LEN);
    }
    uint64_t got = (uint64_t)PQntuples(r), size;
    PQclear(r);
    if (rc || got == count) return rc;
    /* fewer: past the tree (not found), or missing from it (corrupt) */
    if ((rc = pg_log_size(s, log, &size)) != AUTHD_OK) return rc;
    uint64_t complete = size >> level;
    return start > complete || count > complete - start ? AUTHD_E_NOT_FOUND : AUTHD_E_CORRUPT;
}

/* ---- opening ---- */

static void pg_close(struct authd_storage *s)
{
    struct pg_storage *st = pg_of(s);
    if (st->writer) PQfinish(st->writer);
    pg_pool_free(&st->readers);
    pg_params_free(&st->params);
    pthread_mutex_destroy(&st->sweep_lock);
    free(st);
}

/* Statistics of the tables a copy filled: without them PostgreSQL plans on guesses until autovacuum's
 * first ANALYZE, which on a large store comes minutes later. authd's reads are written to keep to their
 * indexes whatever the guesses (read_holders); an operator's queries and the other plans are not. */
static authd_err pg_loaded(struct authd_storage *s)
{
    return pg_run(pg_of(s)->writer, "analysing the copied tables",
                  "ANALYZE authd_licences, authd_holders, authd_log_entries, authd_log_hashes, "
                  "authd_list_counters",
                  NULL);
}

static const struct authd_storage_ops pg_ops = {
    .name = "postgresql",
    .shared = true,
    .close = pg_close,
    .schema_version = pg_schema_version,
    .stats = pg_stats,
    .setting_get = pg_setting_get,
    .setting_put = pg_setting_put,
    .apply = pg_apply,
    .get = pg_get,
    .holder_records = pg_holder_records,
    .holders_records = pg_holders_records,
    .each_record = pg_each_record,
    .each_holder = pg_each_holder,
    .log_size = pg_log_size,
    .log_entries = pg_log_entries,
    .log_hashes = pg_log_hashes,
    .log_border = pg_log_border,
    .committed_border = pg_committed_border,
    .holder_access = pg_holder_access,
    .list_counters = pg_list_counters,
    .challenge_issue = pg_challenge_issue,
    .challenge_take = pg_challenge_take,
    .request_put = pg_request_put,
    .request_get = pg_request_get,
    .request_answer = pg_request_answer,
    .loaded = pg_loaded,
};

authd_err authd_storage_open_postgres(const struct authd_postgres_options *o, struct authd_storage **out,
                                      char *err, size_t err_cap)
{
    *out = NULL;
    struct pg_storage *st = calloc(1, sizeof(*st));
    if (!st) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    st->base.ops = &pg_ops;
    pthread_mutex_init(&st->sweep_lock, NULL);
    authd_err rc = pg_params_init(&st->params, o->conninfo, o->passfile, err, err_cap);
    if (!rc && (rc = pg_pool_init(&st->readers, &st->params, o->pool_size, prepared,
                                  sizeof(prepared) / sizeof(prepared[0]))) != AUTHD_OK)
        snprintf(err, err_cap, "out of memory");
    char why[512] = "";
    if (!rc && (rc = pg_connect(&st->params, &st->writer, why, sizeof(why))) != AUTHD_OK)
        snprintf(err, err_cap, "PostgreSQL (store.postgresql.conninfo): cannot connect: %s", why);
    uint32_t version = 0;
    if (!rc) rc = pg_prepare_schema(st->writer, o->create, &version, err, err_cap);
    if (!rc && version == AUTHD_SCHEMA_VERSION && (rc = pg_writer_prepare(st->writer)) != AUTHD_OK)
        snprintf(err, err_cap, "the database's authd schema cannot be used (%s): see above",
                 authd_err_name(rc));
    if (!rc && version != AUTHD_SCHEMA_VERSION) {
        snprintf(err, err_cap, "the database holds authd schema version %u; this authd uses %u", version,
                 AUTHD_SCHEMA_VERSION);
        rc = AUTHD_E_SCHEMA;
    }
    if (rc) {
        if (st->params.keywords)
            pg_close(&st->base);
        else
            free(st);
        return rc;
    }
    *out = &st->base;
    return AUTHD_OK;
}
