/* A batch of writes as one PostgreSQL transaction (storage.h's apply, contract clauses 1-4, 6).
 *
 * Several nodes may write at once. Each batch first locks the two rows of authd_log_state (the logs'
 * sizes) FOR UPDATE, in one order, so appends to a log are serialized across nodes as Tessera's SQL
 * drivers do, and a log stays one linear sequence. The leaf and subtree hashes are computed here from
 * the tree's right border (kept between batches; reloaded when another node appended) and written in
 * the same transaction as the entries and the records, each table in one statement whatever the batch
 * size (arrays in PostgreSQL's binary format, unnest()).
 *
 * A node writing alone knows the logs' borders from its last batch, so a batch that reads nothing
 * first (no UPDATE) goes in one round trip: BEGIN, the lock, every write and COMMIT sent together
 * (run_fast). Every write is guarded by the logs' sizes the batch was planned on ("as of"): when
 * another node appended meanwhile, the guards hold everything back, the COMMIT commits nothing, and the
 * batch runs again the long way (lock, read the border, write). While other nodes append, batches
 * take the long way from the start (CALM_BATCHES).
 *
 * A record whose id or status-list place is taken is refused alone: the batch is rolled back and run
 * again without it (ids are random and places reserved, so this is rare). A connection lost before
 * COMMIT means nothing was written (AUTHD_E_UNAVAILABLE); lost during COMMIT, the outcome is looked up
 * once a server (the promoted standby, after a failover) answers again: the batch's first log entry
 * is there or not. When no server answers in time, the writes are AUTHD_E_INDOUBT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log_limit.h"
#include "storage/pg_internal.h"

#define MAX_ATTEMPTS 4        /* runs of one batch: each refusal of an id or a place costs one */
#define INDOUBT_WAIT_MS 20000 /* how long to look for a server after a COMMIT lost on the wire */
#define NO_LOG_INDEX (-1)     /* a record stored without an entry of its own */
/* Batches in a row that must find no other node's appends before one is sent whole (run_fast): one
 * that finds them costs a round trip and an empty COMMIT under the logs' lock, so nodes busy together
 * try it seldom, and a node alone goes fast after its first few batches. */
#define CALM_BATCHES 4

/* The batch's statements, prepared on the writer's connection (pg_writer_prepare): parsed and planned
 * once, not at every batch. */
static const struct pg_statement lock_logs_st = {
    "authd_w_lock", "SELECT log, size FROM authd_log_state ORDER BY log FOR UPDATE", 0, {0}};
/* The guard of every write below: the logs' sizes are still those the batch was planned on ($1, in
 * log order). One snapshot per statement; under the batch's lock they cannot change, so the guard only
 * ever fails in a batch sent before its lock was seen (run_fast). */
#define AS_OF "(SELECT array_agg(size ORDER BY log) FROM authd_log_state) = $1::int8[]"
static const struct pg_statement records_st = {
    "authd_w_records",
    "INSERT INTO authd_licences (id, log_index, place, record) "
    "SELECT * FROM unnest($2::text[], $3::int8[], $4::bytea[], $5::bytea[]) WHERE " AS_OF
    " ON CONFLICT DO NOTHING",
    5,
    {PG_INT8_ARRAY, PG_TEXT_ARRAY, PG_INT8_ARRAY, PG_BYTEA_ARRAY, PG_BYTEA_ARRAY}};
/* The same where no id or place may be taken: a collision fails the batch (run_fast, which cannot look
 * at the count before its COMMIT goes). */
static const struct pg_statement records_strict_st = {
    "authd_w_records_strict",
    "INSERT INTO authd_licences (id, log_index, place, record) "
    "SELECT * FROM unnest($2::text[], $3::int8[], $4::bytea[], $5::bytea[]) WHERE " AS_OF,
    5,
    {PG_INT8_ARRAY, PG_TEXT_ARRAY, PG_INT8_ARRAY, PG_BYTEA_ARRAY, PG_BYTEA_ARRAY}};
static const struct pg_statement holders_st = {
    "authd_w_holders",
    "INSERT INTO authd_holders (holder_key, id) SELECT * FROM unnest($2::bytea[], $3::text[]) WHERE " AS_OF
    " ON CONFLICT DO NOTHING",
    3,
    {PG_INT8_ARRAY, PG_BYTEA_ARRAY, PG_TEXT_ARRAY}};
static const struct pg_statement changes_st = {
    "authd_w_changes",
    "UPDATE authd_licences SET record = v.record FROM unnest($1::text[], $2::bytea[]) "
    "AS v(id, record) WHERE authd_licences.id = v.id",
    2,
    {PG_TEXT_ARRAY, PG_BYTEA_ARRAY}};
/* An entry about no one has an empty holder ($5), stored as NULL: outside the holder-access index. */
static const struct pg_statement entries_st = {
    "authd_w_entries",
    "INSERT INTO authd_log_entries (log, idx, entry, holder_key) "
    "SELECT u.log, u.idx, u.entry, NULLIF(u.holder, '') FROM "
    "unnest($2::int2[], $3::int8[], $4::bytea[], $5::bytea[]) AS u(log, idx, entry, holder) WHERE " AS_OF,
    5,
    {PG_INT8_ARRAY, PG_INT2_ARRAY, PG_INT8_ARRAY, PG_BYTEA_ARRAY, PG_BYTEA_ARRAY}};
static const struct pg_statement hashes_st = {
    "authd_w_hashes",
    "INSERT INTO authd_log_hashes (log, level, idx, hash) "
    "SELECT * FROM unnest($2::int2[], $3::int2[], $4::int8[], $5::bytea[]) WHERE " AS_OF,
    5,
    {PG_INT8_ARRAY, PG_INT2_ARRAY, PG_INT2_ARRAY, PG_INT8_ARRAY, PG_BYTEA_ARRAY}};
/* Every log the batch grew, in one statement: one snapshot for the guard. Its row count tells whether
 * the batch's writes went in. */
static const struct pg_statement grow_st = {
    "authd_w_grow",
    "UPDATE authd_log_state s SET size = v.size FROM unnest($2::int2[], $3::int8[]) AS v(log, size) "
    "WHERE s.log = v.log AND " AS_OF,
    3,
    {PG_INT8_ARRAY, PG_INT2_ARRAY, PG_INT8_ARRAY}};
static const struct pg_statement count_st = {
    "authd_w_count",
    "UPDATE authd_meta SET value = value + $2 WHERE name = 'records' AND " AS_OF,
    2,
    {PG_INT8_ARRAY, PG_INT8}};

authd_err pg_writer_prepare(PGconn *conn)
{
    static const struct pg_statement *const all[] = {
        &lock_logs_st, &pg_border_st, &records_st, &records_strict_st, &holders_st,
        &changes_st,   &entries_st,   &hashes_st,  &grow_st,           &count_st};
    /* PostgreSQL plans a prepared statement again at each execution while its plan for the values at
     * hand is estimated cheaper than the generic one: grow_st's always was (a nested loop over the two
     * log rows against a hash join), so every batch paid 130 us of planning for a statement that runs
     * in 35 (measured with pg_stat_statements.track_planning). These statements have one good plan
     * whatever the values: each is planned once. */
    if (!pg_session_set(conn, "SET plan_cache_mode = force_generic_plan")) return AUTHD_E_UNAVAILABLE;
    return pg_prepare(conn, all, sizeof(all) / sizeof(all[0]));
}

struct current { /* an UPDATE's record, as the transaction sees it */
    const char *id;
    size_t id_len;
    uint8_t *record;
    size_t len;
    bool found, dirty;
};

struct batch {
    struct pg_storage *st;
    struct authd_storage_write *w;
    size_t n;
    authd_err *refused; /* per write: a refusal by id or place from an earlier run, 0 otherwise */
    uint64_t size[AUTHD_LOG_COUNT];
    struct pg_border border[AUTHD_LOG_COUNT];
    struct current *cur;
    size_t n_cur;
    struct pg_array entry_log, entry_idx, entry_data;
    struct pg_array entry_holder; /* the holder an access entry is about; empty for none */
    struct pg_array hash_log, hash_level, hash_idx, hash_data;
    struct pg_array as_of;                /* the logs' sizes the batch is planned on: every write's guard */
    int64_t first_index[AUTHD_LOG_COUNT]; /* the first entry this batch appends to each log, or -1 */
};

static void batch_arrays_init(struct batch *b)
{
    pg_array_init(&b->entry_log, PG_INT2);
    pg_array_init(&b->entry_idx, PG_INT8);
    pg_array_init(&b->entry_data, PG_BYTEA);
    pg_array_init(&b->entry_holder, PG_BYTEA);
    pg_array_init(&b->hash_log, PG_INT2);
    pg_array_init(&b->hash_level, PG_INT2);
    pg_array_init(&b->hash_idx, PG_INT8);
    pg_array_init(&b->hash_data, PG_BYTEA);
    pg_array_init(&b->as_of, PG_INT8);
}

static void batch_arrays_free(struct batch *b)
{
    struct pg_array *all[] = {&b->entry_log,  &b->entry_idx, &b->entry_data, &b->entry_holder, &b->hash_log,
                              &b->hash_level, &b->hash_idx,  &b->hash_data,  &b->as_of};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        pg_array_free(all[i]);
}

static void current_free(struct batch *b)
{
    for (size_t i = 0; i < b->n_cur; i++)
        free(b->cur[i].record);
    free(b->cur);
    b->cur = NULL;
    b->n_cur = 0;
}

/* ---- the border ---- */

static certlib_err read_border(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    const struct pg_border *border = arg;
    if (level >= 64 || !border->level[level].have || border->level[level].index != index)
        return CERTLIB_E_IO_READ; /* not the tree this batch locked */
    memcpy(out, border->level[level].hash, CERTLIB_TLOG_HASH_LEN);
    return CERTLIB_OK;
}

/* The border of the tree of `size` leaves, read in the batch's transaction (under the logs' lock: the
 * size read is the one locked). */
static authd_err load_border(PGconn *conn, enum authd_log_id log, uint64_t size, struct pg_border *border)
{
    struct pg_args a = {0};
    pg_arg_int2(&a, (int16_t)log);
    PGresult *r = NULL;
    authd_err rc = pg_exec_prepared(conn, "reading a log's border", &pg_border_st, &a, &r);
    if (!rc) rc = pg_border_parse(r, border);
    PQclear(r);
    if (!rc && border->size != size) rc = AUTHD_E_CORRUPT;
    return rc;
}

/* Appends an entry (about `holder`, or NULL) to the batch's copy of the log: its row, its stored hashes,
 * the new border. The hashes below PG_STORED_FROM go into the border only: the entries' rows are their
 * record. */
static authd_err append(struct batch *b, enum authd_log_id log, const uint8_t *entry, size_t len,
                        const uint8_t *holder, uint64_t *index)
{
    struct pg_border *border = &b->border[log];
    uint64_t i = b->size[log];
    certlib_tlog_hash leaf;
    certlib_tlog_leaf_hash(entry, len, leaf);
    certlib_tlog_stored_hash stored[CERTLIB_TLOG_MAX_STORED];
    size_t n;
    if (certlib_tlog_stored_hashes(i, leaf, read_border, border, stored, &n) != CERTLIB_OK)
        return AUTHD_E_CORRUPT;
    pg_array_add_int2(&b->entry_log, (int16_t)log);
    pg_array_add_int8(&b->entry_idx, (int64_t)i);
    pg_array_add(&b->entry_data, entry, len);
    pg_array_add(&b->entry_holder, holder, holder ? AUTHD_HOLDER_KEY_LEN : 0);
    for (size_t h = 0; h < n; h++) {
        if (stored[h].level >= PG_STORED_FROM) {
            pg_array_add_int2(&b->hash_log, (int16_t)log);
            pg_array_add_int2(&b->hash_level, (int16_t)stored[h].level);
            pg_array_add_int8(&b->hash_idx, (int64_t)stored[h].index);
            pg_array_add(&b->hash_data, stored[h].hash, CERTLIB_TLOG_HASH_LEN);
        }
        border->level[stored[h].level].have = true;
        border->level[stored[h].level].index = stored[h].index;
        memcpy(border->level[stored[h].level].hash, stored[h].hash, CERTLIB_TLOG_HASH_LEN);
    }
    if (b->first_index[log] < 0) b->first_index[log] = (int64_t)i;
    b->size[log] = i + 1;
    border->size = i + 1;
    *index = i;
    return AUTHD_OK;
}

/* The tree the writer's last batch committed, from its border: no round trip to sign its checkpoint. */
authd_err pg_committed_border(struct authd_storage *s, enum authd_log_id log, uint64_t *size,
                              certlib_tlog_hash out[64])
{
    const struct pg_border *border = &pg_of(s)->border[log];
    if (!border->valid) return AUTHD_E_NOT_FOUND;
    for (unsigned l = 0; l < 64; l++)
        if (((border->size >> l) & 1) && read_border((void *)border, l, (border->size >> l) - 1, out[l]))
            return AUTHD_E_NOT_FOUND; /* not a border this batch kept whole */
    *size = border->size;
    return AUTHD_OK;
}

/* ---- reading what the batch needs, under its locks ---- */

/* The batch is planned on logs of these sizes and borders: the guard of its writes says so. */
static authd_err plan_on(struct batch *b, const uint64_t size[AUTHD_LOG_COUNT])
{
    for (int l = 0; l < AUTHD_LOG_COUNT; l++) {
        b->size[l] = size[l];
        b->first_index[l] = -1;
        pg_array_add_int8(&b->as_of, (int64_t)size[l]);
    }
    pg_array_finish(&b->as_of);
    return b->as_of.failed ? AUTHD_E_NOMEM : AUTHD_OK;
}

/* The sizes the lock read, in log order. */
static authd_err locked_sizes(PGresult *r, uint64_t size[AUTHD_LOG_COUNT])
{
    if (PQntuples(r) != AUTHD_LOG_COUNT) return AUTHD_E_CORRUPT;
    for (int i = 0; i < AUTHD_LOG_COUNT; i++) {
        if (pg_int2(r, i, 0) != i || pg_int8(r, i, 1) < 0) return AUTHD_E_CORRUPT;
        size[i] = (uint64_t)pg_int8(r, i, 1);
    }
    return AUTHD_OK;
}

/* BEGIN and the logs' rows locked, in one round trip. */
static authd_err begin_and_lock_logs(struct batch *b)
{
    PGresult *r = NULL;
    struct pg_pipe pipe;
    pg_pipe_start(&pipe, b->st->writer);
    pg_pipe_add(&pipe, "beginning a batch", "BEGIN", NULL, NULL);
    pg_pipe_add_prepared(&pipe, "locking the logs", &lock_logs_st, NULL, &r);
    authd_err rc = pg_pipe_end(&pipe);
    uint64_t size[AUTHD_LOG_COUNT];
    if (!rc) rc = locked_sizes(r, size);
    PQclear(r);
    if (!rc) rc = plan_on(b, size);
    bool moved = false;
    for (int l = 0; !rc && l < AUTHD_LOG_COUNT; l++) {
        if (b->st->border[l].valid && b->st->border[l].size == size[l]) {
            b->border[l] = b->st->border[l];
            continue;
        }
        moved = true; /* another node appended (or this one starts) */
        rc = load_border(b->st->writer, (enum authd_log_id)l, size[l], &b->border[l]);
    }
    b->st->calm = moved ? 0 : b->st->calm + (b->st->calm < CALM_BATCHES);
    return rc;
}

/* The records the batch's UPDATEs change, locked. */
static authd_err lock_updated(struct batch *b)
{
    struct pg_array ids;
    pg_array_init(&ids, PG_TEXT);
    for (size_t i = 0; i < b->n; i++) {
        if (b->w[i].op != AUTHD_STORE_UPDATE) continue;
        bool seen = false;
        for (size_t k = 0; k < b->n_cur && !seen; k++)
            seen =
                b->cur[k].id_len == b->w[i].id_len && memcmp(b->cur[k].id, b->w[i].id, b->w[i].id_len) == 0;
        if (seen) continue;
        struct current *grown = realloc(b->cur, (b->n_cur + 1) * sizeof(*grown));
        if (!grown) return pg_array_free(&ids), AUTHD_E_NOMEM;
        b->cur = grown;
        b->cur[b->n_cur++] = (struct current){.id = b->w[i].id, .id_len = b->w[i].id_len};
        pg_array_add(&ids, b->w[i].id, b->w[i].id_len);
    }
    pg_array_finish(&ids);
    authd_err rc = ids.failed ? AUTHD_E_NOMEM : AUTHD_OK;
    PGresult *r = NULL;
    if (!rc && b->n_cur) {
        struct pg_args a = {0};
        pg_arg_array(&a, PG_TEXT_ARRAY, &ids);
        rc = pg_exec(b->st->writer, "locking the records a batch changes",
                     "SELECT id, record FROM authd_licences WHERE id = ANY($1) FOR UPDATE", &a, &r);
    }
    for (int row = 0; !rc && b->n_cur && row < PQntuples(r); row++) {
        const char *id = PQgetvalue(r, row, 0);
        size_t id_len = (size_t)PQgetlength(r, row, 0), len = (size_t)PQgetlength(r, row, 1);
        for (size_t k = 0; k < b->n_cur; k++) {
            struct current *c = &b->cur[k];
            if (c->id_len != id_len || memcmp(c->id, id, id_len) != 0) continue;
            if (!(c->record = malloc(len ? len : 1))) {
                rc = AUTHD_E_NOMEM;
                break;
            }
            memcpy(c->record, PQgetvalue(r, row, 1), len);
            c->len = len;
            c->found = true;
        }
    }
    PQclear(r);
    pg_array_free(&ids);
    return rc;
}

static struct current *current_of(struct batch *b, const struct authd_storage_write *w)
{
    for (size_t k = 0; k < b->n_cur; k++)
        if (b->cur[k].id_len == w->id_len && memcmp(b->cur[k].id, w->id, w->id_len) == 0) return &b->cur[k];
    return NULL;
}

/* ---- one run of the batch ---- */

/* Every write in order, against the batch's copies: results, log indices, the rows to write. */
static authd_err plan(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct authd_storage_write *w = &b->w[i];
        if (b->refused[i]) {
            w->result = b->refused[i];
            continue;
        }
        w->result = AUTHD_OK; /* provisional: it holds once committed */
        if (w->op == AUTHD_STORE_RESTORE) continue;
        w->log_index = UINT64_MAX;
        if (w->op == AUTHD_STORE_UPDATE) {
            struct current *c = current_of(b, w);
            if (!c || !c->found) {
                w->result = AUTHD_E_NOT_FOUND;
                continue;
            }
            uint8_t *next = malloc(c->len ? c->len : 1);
            if (!next) return AUTHD_E_NOMEM;
            authd_err refused = w->update(w->update_arg, w->id, w->id_len, c->record, next, c->len);
            if (refused) {
                free(next);
                w->result = refused;
                continue;
            }
            free(c->record);
            c->record = next;
            c->dirty = true;
        }
        if (w->entry) {
            const uint8_t *holder =
                w->op == AUTHD_STORE_APPEND && w->log == AUTHD_LOG_ACCESS ? w->holder_key : NULL;
            authd_err rc = append(b, w->log, w->entry, w->entry_len, holder, &w->log_index);
            if (rc) return rc;
        }
    }
    return AUTHD_OK;
}

static bool stores_record(const struct authd_storage_write *w)
{
    return (w->op == AUTHD_STORE_PUT || w->op == AUTHD_STORE_RESTORE) && w->result == AUTHD_OK;
}

/* The new records' rows, as the arguments of a records statement (after the guard's). *wanted: how
 * many. The arrays are the caller's to free once the statement is sent. */
static authd_err record_rows(struct batch *b, struct pg_array rows[4], struct pg_args *a, size_t *wanted)
{
    pg_array_init(&rows[0], PG_TEXT);
    pg_array_init(&rows[1], PG_INT8);
    pg_array_init(&rows[2], PG_BYTEA);
    pg_array_init(&rows[3], PG_BYTEA);
    *wanted = 0;
    for (size_t i = 0; i < b->n; i++) {
        const struct authd_storage_write *w = &b->w[i];
        if (!stores_record(w)) continue;
        pg_array_add(&rows[0], w->id, w->id_len);
        pg_array_add_int8(&rows[1], w->log_index == UINT64_MAX ? NO_LOG_INDEX : (int64_t)w->log_index);
        if (w->place)
            pg_array_add(&rows[2], w->place, AUTHD_PLACE_LEN);
        else
            pg_array_add_null(&rows[2]);
        pg_array_add(&rows[3], w->record, w->record_len);
        (*wanted)++;
    }
    authd_err rc = AUTHD_OK;
    pg_arg_array(a, PG_INT8_ARRAY, &b->as_of);
    static const Oid types[4] = {PG_TEXT_ARRAY, PG_INT8_ARRAY, PG_BYTEA_ARRAY, PG_BYTEA_ARRAY};
    for (size_t k = 0; k < 4; k++) {
        pg_array_finish(&rows[k]);
        if (rows[k].failed) rc = AUTHD_E_NOMEM;
        pg_arg_array(a, types[k], &rows[k]);
    }
    return rc;
}

static void record_rows_free(struct pg_array rows[4])
{
    for (size_t k = 0; k < 4; k++)
        pg_array_free(&rows[k]);
}

/* Inserts the new records. *inserted: how many went in (the rest collided on an id or a place). */
static authd_err insert_records(struct batch *b, size_t *wanted, size_t *inserted)
{
    struct pg_array rows[4];
    struct pg_args a = {0};
    authd_err rc = record_rows(b, rows, &a, wanted);
    *inserted = 0;
    if (!rc && *wanted) {
        PGresult *r = NULL;
        rc = pg_exec_prepared(b->st->writer, "storing records", &records_st, &a, &r);
        if (!rc) *inserted = (size_t)strtoull(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    record_rows_free(rows);
    return rc;
}

static int compare_ids(const void *x, const void *y)
{
    const struct authd_storage_write *a = *(const struct authd_storage_write *const *)x,
                                     *b = *(const struct authd_storage_write *const *)y;
    size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(a->id, b->id, n);
    return c ? c : (a->id_len > b->id_len) - (a->id_len < b->id_len);
}

static int compare_places(const void *x, const void *y)
{
    const struct authd_storage_write *a = *(const struct authd_storage_write *const *)x,
                                     *b = *(const struct authd_storage_write *const *)y;
    return memcmp(a->place, b->place, AUTHD_PLACE_LEN);
}

/* Records of the batch that repeat an id or a place of an earlier one in the batch: refused. */
static authd_err refuse_repeats(struct batch *b)
{
    const struct authd_storage_write **sorted = malloc((b->n ? b->n : 1) * sizeof(*sorted));
    if (!sorted) return AUTHD_E_NOMEM;
    for (int pass = 0; pass < 2; pass++) {
        size_t m = 0;
        for (size_t i = 0; i < b->n; i++)
            if (stores_record(&b->w[i]) && !b->refused[i] && (pass == 0 || b->w[i].place))
                sorted[m++] = &b->w[i];
        qsort(sorted, m, sizeof(*sorted), pass == 0 ? compare_ids : compare_places);
        for (size_t k = 1; k < m; k++) {
            if ((pass == 0 ? compare_ids : compare_places)(&sorted[k - 1], &sorted[k]) != 0) continue;
            /* the later of the two in the batch is refused */
            const struct authd_storage_write *later = sorted[k] > sorted[k - 1] ? sorted[k] : sorted[k - 1];
            b->refused[later - b->w] = pass == 0 ? AUTHD_E_EXISTS : AUTHD_E_CONFLICT;
        }
    }
    free(sorted);
    return AUTHD_OK;
}

/* After a collision, outside the rolled-back transaction: which records are refused, and why (an id
 * stored already, a place taken, or a repeat inside the batch). */
static authd_err find_refusals(struct batch *b)
{
    struct pg_array ids, places;
    pg_array_init(&ids, PG_TEXT);
    pg_array_init(&places, PG_BYTEA);
    for (size_t i = 0; i < b->n; i++) {
        if (!stores_record(&b->w[i])) continue;
        pg_array_add(&ids, b->w[i].id, b->w[i].id_len);
        if (b->w[i].place) pg_array_add(&places, b->w[i].place, AUTHD_PLACE_LEN);
    }
    pg_array_finish(&ids);
    pg_array_finish(&places);
    authd_err rc = ids.failed || places.failed ? AUTHD_E_NOMEM : AUTHD_OK;
    PGresult *r = NULL, *p = NULL;
    if (!rc) {
        struct pg_args a = {0};
        pg_arg_array(&a, PG_TEXT_ARRAY, &ids);
        rc = pg_exec(b->st->writer, "finding taken ids", "SELECT id FROM authd_licences WHERE id = ANY($1)",
                     &a, &r);
    }
    if (!rc) {
        struct pg_args a = {0};
        pg_arg_array(&a, PG_BYTEA_ARRAY, &places);
        rc = pg_exec(b->st->writer, "finding taken places",
                     "SELECT place FROM authd_licences WHERE place = ANY($1)", &a, &p);
    }
    size_t found = 0;
    for (size_t i = 0; !rc && i < b->n; i++) {
        const struct authd_storage_write *w = &b->w[i];
        if (!stores_record(w)) continue;
        for (int row = 0; row < PQntuples(r); row++)
            if ((size_t)PQgetlength(r, row, 0) == w->id_len &&
                memcmp(PQgetvalue(r, row, 0), w->id, w->id_len) == 0)
                b->refused[i] = AUTHD_E_EXISTS;
        for (int row = 0; !b->refused[i] && w->place && row < PQntuples(p); row++)
            if (PQgetlength(p, row, 0) == AUTHD_PLACE_LEN &&
                memcmp(PQgetvalue(p, row, 0), w->place, AUTHD_PLACE_LEN) == 0)
                b->refused[i] = AUTHD_E_CONFLICT;
        found += b->refused[i] != AUTHD_OK;
    }
    PQclear(r);
    PQclear(p);
    pg_array_free(&ids);
    pg_array_free(&places);
    return rc ? rc : found ? AUTHD_OK : refuse_repeats(b);
}

/* Queues the holder-index rows of the batch's new records. */
static authd_err index_holders(struct batch *b, struct pg_pipe *pipe)
{
    struct pg_array keys, ids;
    pg_array_init(&keys, PG_BYTEA);
    pg_array_init(&ids, PG_TEXT);
    for (size_t i = 0; i < b->n; i++)
        if (stores_record(&b->w[i])) {
            pg_array_add(&keys, b->w[i].holder_key, AUTHD_HOLDER_KEY_LEN);
            pg_array_add(&ids, b->w[i].id, b->w[i].id_len);
        }
    pg_array_finish(&keys);
    pg_array_finish(&ids);
    authd_err rc = keys.failed || ids.failed ? AUTHD_E_NOMEM : AUTHD_OK;
    if (!rc) {
        struct pg_args a = {0};
        pg_arg_array(&a, PG_INT8_ARRAY, &b->as_of);
        pg_arg_array(&a, PG_BYTEA_ARRAY, &keys);
        pg_arg_array(&a, PG_TEXT_ARRAY, &ids);
        pg_pipe_add_prepared(pipe, "indexing holders", &holders_st, &a, NULL);
    }
    pg_array_free(&keys);
    pg_array_free(&ids);
    return rc;
}

/* Queues the batch's writes after its records: changed records, holder index, log entries and hashes,
 * the holder-access index, the logs' new sizes (*grow receives that statement's result) and the record
 * count. Every one guarded by the sizes the batch was planned on. */
static authd_err queue_rest(struct batch *b, struct pg_pipe *pipe, size_t stored, PGresult **grow)
{
    authd_err rc = AUTHD_OK;
    struct pg_array ids, records;
    pg_array_init(&ids, PG_TEXT);
    pg_array_init(&records, PG_BYTEA);
    size_t dirty = 0;
    for (size_t k = 0; k < b->n_cur; k++)
        if (b->cur[k].dirty) {
            pg_array_add(&ids, b->cur[k].id, b->cur[k].id_len);
            pg_array_add(&records, b->cur[k].record, b->cur[k].len);
            dirty++;
        }
    pg_array_finish(&ids);
    pg_array_finish(&records);
    if (ids.failed || records.failed) rc = AUTHD_E_NOMEM;
    if (!rc && dirty) { /* only under the batch's lock (run): its guard would be the lock's */
        struct pg_args a = {0};
        pg_arg_array(&a, PG_TEXT_ARRAY, &ids);
        pg_arg_array(&a, PG_BYTEA_ARRAY, &records);
        pg_pipe_add_prepared(pipe, "changing records", &changes_st, &a, NULL);
    }
    pg_array_free(&ids);
    pg_array_free(&records);
    if (!rc && stored) rc = index_holders(b, pipe);
    struct pg_array grow_log, grow_size;
    pg_array_init(&grow_log, PG_INT2);
    pg_array_init(&grow_size, PG_INT8);
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        if (b->first_index[l] >= 0) {
            pg_array_add_int2(&grow_log, (int16_t)l);
            pg_array_add_int8(&grow_size, (int64_t)b->size[l]);
        }
    struct pg_array *arrays[] = {&b->entry_log, &b->entry_idx,  &b->entry_data, &b->entry_holder,
                                 &b->hash_log,  &b->hash_level, &b->hash_idx,   &b->hash_data,
                                 &grow_log,     &grow_size};
    for (size_t k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
        pg_array_finish(arrays[k]);
        if (arrays[k]->failed) rc = rc ? rc : AUTHD_E_NOMEM;
    }
    if (!rc && b->entry_log.n) {
        struct pg_args a = {0};
        pg_arg_array(&a, PG_INT8_ARRAY, &b->as_of);
        pg_arg_array(&a, PG_INT2_ARRAY, &b->entry_log);
        pg_arg_array(&a, PG_INT8_ARRAY, &b->entry_idx);
        pg_arg_array(&a, PG_BYTEA_ARRAY, &b->entry_data);
        pg_arg_array(&a, PG_BYTEA_ARRAY, &b->entry_holder);
        pg_pipe_add_prepared(pipe, "appending log entries", &entries_st, &a, NULL);
    }
    if (!rc && b->hash_log.n) {
        struct pg_args a = {0};
        pg_arg_array(&a, PG_INT8_ARRAY, &b->as_of);
        pg_arg_array(&a, PG_INT2_ARRAY, &b->hash_log);
        pg_arg_array(&a, PG_INT2_ARRAY, &b->hash_level);
        pg_arg_array(&a, PG_INT8_ARRAY, &b->hash_idx);
        pg_arg_array(&a, PG_BYTEA_ARRAY, &b->hash_data);
        pg_pipe_add_prepared(pipe, "storing log hashes", &hashes_st, &a, NULL);
    }
    if (!rc && stored) {
        struct pg_args a = {0};
        pg_arg_array(&a, PG_INT8_ARRAY, &b->as_of);
        pg_arg_int8(&a, (int64_t)stored);
        pg_pipe_add_prepared(pipe, "counting records", &count_st, &a, NULL);
    }
    /* last: the guards of the statements before it read the sizes it changes */
    if (!rc && grow_log.n) {
        struct pg_args a = {0};
        pg_arg_array(&a, PG_INT8_ARRAY, &b->as_of);
        pg_arg_array(&a, PG_INT2_ARRAY, &grow_log);
        pg_arg_array(&a, PG_INT8_ARRAY, &grow_size);
        pg_pipe_add_prepared(pipe, "growing the logs", &grow_st, &a, grow);
    }
    pg_array_free(&grow_log);
    pg_array_free(&grow_size);
    return rc;
}

/* How many logs the batch grows: the rows its grow statement changes when its guard held. */
static size_t logs_grown(const struct batch *b)
{
    size_t n = 0;
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        n += b->first_index[l] >= 0;
    return n;
}

/* Whether the guard held: the grow statement changed every log the batch grows. A batch growing no
 * log has nothing to tell by, and runs only under its lock. */
static bool guard_held(const struct batch *b, PGresult *grow)
{
    size_t n = logs_grown(b);
    return n == 0 || (grow && strtoull(PQcmdTuples(grow), NULL, 10) == n);
}

/* The batch's other writes and its COMMIT, sent together: one round trip (libpq copies each statement's
 * parameters as it queues it). AUTHD_E_UNAVAILABLE: the outcome is unknown, COMMIT included. */
static authd_err write_rest_and_commit(struct batch *b, size_t stored)
{
    struct pg_pipe pipe;
    PGresult *grow = NULL;
    pg_pipe_start(&pipe, b->st->writer);
    authd_err rc = queue_rest(b, &pipe, stored, &grow);
    if (rc) pipe.rc = pipe.rc ? pipe.rc : rc; /* nothing sent that could commit */
    pg_pipe_add(&pipe, "committing a batch", "COMMIT", NULL, NULL);
    rc = pg_pipe_end(&pipe);
    if (!rc && !guard_held(b, grow)) rc = AUTHD_E_CORRUPT; /* under the lock: the sizes cannot move */
    PQclear(grow);
    return rc;
}

/* Whether a batch may go in one round trip (run_fast): the writer calm, the borders known, and
 * nothing to read first (an UPDATE reads its record; a RESTORE's index is given, not planned). It
 * must grow a log, or its guard would tell nothing. */
static bool may_go_fast(const struct batch *b)
{
    const struct pg_storage *st = b->st;
    if (st->calm < CALM_BATCHES) return false;
    bool grows = false;
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        if (!st->border[l].valid) return false;
    for (size_t i = 0; i < b->n; i++) {
        if (b->w[i].op == AUTHD_STORE_UPDATE || b->w[i].op == AUTHD_STORE_RESTORE) return false;
        grows = grows || b->w[i].entry;
    }
    return grows;
}

/* The batch in one round trip, planned on the borders the last batch left: BEGIN, the logs' lock,
 * the records (a taken id or place fails the batch instead of being counted), the rest and COMMIT.
 * *moved: another node appended before the lock was had; the guards held every write back and the
 * COMMIT committed nothing. A failure with the connection up rolls nothing forward either (the
 * pipeline stops at the failing statement; the caller rolls back). AUTHD_E_UNAVAILABLE: unknown, as
 * for write_rest_and_commit. */
static authd_err run_fast(struct batch *b, bool *moved)
{
    *moved = false;
    batch_arrays_init(b);
    uint64_t size[AUTHD_LOG_COUNT];
    for (int l = 0; l < AUTHD_LOG_COUNT; l++) {
        size[l] = b->st->border[l].size;
        b->border[l] = b->st->border[l];
    }
    authd_err rc = plan_on(b, size);
    if (!rc) rc = plan(b);
    struct pg_array rows[4];
    struct pg_args records = {0};
    size_t stored = 0;
    bool have_rows = !rc;
    if (have_rows) rc = record_rows(b, rows, &records, &stored);
    struct pg_pipe pipe;
    PGresult *lock = NULL, *grow = NULL;
    pg_pipe_start(&pipe, b->st->writer);
    if (rc) pipe.rc = rc; /* nothing is sent */
    pg_pipe_add(&pipe, "beginning a batch", "BEGIN", NULL, NULL);
    pg_pipe_add_prepared(&pipe, "locking the logs", &lock_logs_st, NULL, &lock);
    if (stored) pg_pipe_add_prepared(&pipe, "storing records", &records_strict_st, &records, NULL);
    if (have_rows) record_rows_free(rows); /* libpq copied them */
    if (!rc) rc = queue_rest(b, &pipe, stored, &grow);
    if (rc) pipe.rc = pipe.rc ? pipe.rc : rc;
    pg_pipe_add(&pipe, "committing a batch", "COMMIT", NULL, NULL);
    rc = pg_pipe_end(&pipe);
    uint64_t locked[AUTHD_LOG_COUNT];
    if (!rc) rc = locked_sizes(lock, locked);
    if (!rc && memcmp(locked, size, sizeof(size)) != 0)
        *moved = true;
    else if (!rc && !guard_held(b, grow))
        rc = AUTHD_E_CORRUPT;
    PQclear(lock);
    PQclear(grow);
    return rc;
}

/* ---- the outcome of a COMMIT lost on the wire ---- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reconnects, trying for up to INDOUBT_WAIT_MS: libpq's multi-host conninfo finds the new primary. */
static authd_err reconnect(struct pg_storage *st, long wait_ms)
{
    char err[512];
    for (long waited = 0;; waited += 250) {
        if (st->writer) PQfinish(st->writer);
        st->writer = NULL;
        if (pg_connect(&st->params, &st->writer, err, sizeof(err)) == AUTHD_OK) {
            if (pg_writer_prepare(st->writer) == AUTHD_OK) return AUTHD_OK;
            snprintf(err, sizeof(err), "the batch's statements cannot be prepared (see above)");
        }
        if (waited >= wait_ms) {
            static struct authd_log_limit limit = AUTHD_LOG_LIMIT_INIT; /* each batch tries, while away */
            authd_log_limited(&limit, "", 10000, "authd: postgresql: no server answers: %s", err);
            return AUTHD_E_UNAVAILABLE;
        }
        sleep_ms(250);
    }
}

/* Whether the batch committed: its first log entry is at its index. */
static authd_err committed(struct batch *b, bool *yes)
{
    for (int l = 0; l < AUTHD_LOG_COUNT; l++) {
        if (b->first_index[l] < 0) continue;
        const struct authd_storage_write *first = NULL;
        for (size_t i = 0; i < b->n && !first; i++)
            if (b->w[i].result == AUTHD_OK && b->w[i].entry && b->w[i].log == (enum authd_log_id)l &&
                b->w[i].op != AUTHD_STORE_RESTORE && (int64_t)b->w[i].log_index == b->first_index[l])
                first = &b->w[i];
        if (!first) continue;
        struct pg_args a = {0};
        pg_arg_int2(&a, (int16_t)l);
        pg_arg_int8(&a, b->first_index[l]);
        PGresult *r = NULL;
        authd_err rc = pg_exec(b->st->writer, "looking up a batch after a lost COMMIT",
                               "SELECT entry FROM authd_log_entries WHERE log = $1 AND idx = $2", &a, &r);
        if (rc) return rc;
        *yes = PQntuples(r) == 1 && (size_t)PQgetlength(r, 0, 0) == first->entry_len &&
               memcmp(PQgetvalue(r, 0, 0), first->entry, first->entry_len) == 0;
        PQclear(r);
        return AUTHD_OK;
    }
    return AUTHD_E_INDOUBT; /* nothing to recognise the batch by */
}

/* A batch found committed may be on that server only: a server that cut the connection while the COMMIT
 * waited for its synchronous standby (a fast shutdown, a terminated session) had committed it locally.
 * A commit of authd's own made now returns once the standby has everything up to it, the batch
 * included (and at once where no standby is awaited). It changes nothing, and no batch writes that row. */
static authd_err on_the_standbys_too(struct pg_storage *st)
{
    return pg_run(st->writer, "waiting until the synchronous standby has the batch",
                  "UPDATE authd_meta SET value = value WHERE name = 'schema_version'", NULL);
}

static authd_err resolve_lost_commit(struct batch *b)
{
    if (reconnect(b->st, INDOUBT_WAIT_MS) != AUTHD_OK) return AUTHD_E_INDOUBT;
    bool yes = false;
    authd_err rc = committed(b, &yes);
    if (!rc && yes) rc = on_the_standbys_too(b->st);
    if (rc) return AUTHD_E_INDOUBT;
    fprintf(stderr, "authd: postgresql: the connection was lost during COMMIT; the batch %s\n",
            yes ? "was committed" : "was not committed");
    return yes ? AUTHD_OK : AUTHD_E_UNAVAILABLE;
}

/* ---- apply ---- */

/* One run up to its COMMIT: BEGIN, locks, plan, the records. Returns the error that ends the run;
 * *collided when records collided (the caller rolls back and runs again); *inserted, the records
 * stored. */
static authd_err run(struct batch *b, bool *collided, size_t *inserted)
{
    *collided = false;
    *inserted = 0;
    batch_arrays_init(b);
    authd_err rc = begin_and_lock_logs(b);
    if (!rc) rc = lock_updated(b);
    if (!rc) rc = plan(b);
    size_t wanted = 0;
    if (!rc) rc = insert_records(b, &wanted, inserted);
    if (!rc && *inserted < wanted) *collided = true;
    return rc;
}

/* Ends a run that will not commit, and forgets a connection that cannot be trusted with the next. */
static void abandon_run(struct batch *b, authd_err rc)
{
    struct pg_storage *st = b->st;
    if (st->writer && PQstatus(st->writer) == CONNECTION_OK &&
        PQtransactionStatus(st->writer) != PQTRANS_IDLE)
        pg_run(st->writer, "rolling back a batch", "ROLLBACK", NULL);
    if (rc == AUTHD_E_UNAVAILABLE && st->writer) { /* gone, or a server that no longer takes writes */
        PQfinish(st->writer);
        st->writer = NULL;
    }
    current_free(b);
    batch_arrays_free(b);
}

/* The batch after its COMMIT went: a COMMIT lost on the wire looked up, the borders it left kept. */
static authd_err committed_run(struct batch *b, authd_err rc)
{
    struct pg_storage *st = b->st;
    /* a COMMIT lost on the wire, or one done here perhaps not on the standby (pg_conn.c): what the logs
     * hold is read again */
    if (rc == AUTHD_E_UNAVAILABLE || rc == AUTHD_E_INDOUBT) st->border[0].valid = st->border[1].valid = false;
    if (rc == AUTHD_E_UNAVAILABLE) rc = resolve_lost_commit(b);
    if (!rc)
        for (int l = 0; l < AUTHD_LOG_COUNT; l++)
            st->border[l] = b->border[l];
    abandon_run(b, rc == AUTHD_E_INDOUBT ? AUTHD_OK : rc);
    return rc;
}

/* run_fast, when the batch may go so. *done: it went (rc, its outcome); otherwise nothing was written and
 * it runs the long way: another node appended, a record collided (the long way finds which), or the
 * server refused a statement with the connection alive (a lock wait given up, a cancel: the pipeline
 * stopped there, its COMMIT not run). */
static authd_err try_fast(struct batch *b, bool *done)
{
    *done = false;
    if (!pg_conn_ok(b->st->writer) || !may_go_fast(b)) return AUTHD_OK;
    bool moved;
    authd_err rc = run_fast(b, &moved);
    if ((!rc && !moved) || rc == AUTHD_E_INDOUBT) { /* committed, or perhaps: never run again */
        *done = true;
        return committed_run(b, rc);
    }
    if (rc == AUTHD_E_UNAVAILABLE && !pg_conn_ok(b->st->writer)) {
        /* Found not committed (a server answered again, without the batch's first entry): nothing was
         * written, as with a connection found dead before a COMMIT, so the long way runs once more. */
        rc = committed_run(b, rc);
        *done = rc != AUTHD_E_UNAVAILABLE;
        return *done ? rc : AUTHD_OK;
    }
    if (moved) b->st->calm = 0;
    abandon_run(b, rc);
    return AUTHD_OK;
}

authd_err pg_apply(struct authd_storage *s, struct authd_storage_write *writes, size_t n)
{
    struct pg_storage *st = pg_of(s);
    struct batch b = {.st = st, .w = writes, .n = n};
    authd_err rc = AUTHD_E_INTERNAL;
    bool done = false;
    if (!(b.refused = calloc(n ? n : 1, sizeof(*b.refused))))
        rc = AUTHD_E_NOMEM;
    else if ((rc = try_fast(&b, &done)) == AUTHD_OK && !done)
        rc = AUTHD_E_INTERNAL; /* unless a run below commits */
    for (int attempt = 0; !done && b.refused && attempt < MAX_ATTEMPTS; attempt++) {
        if (!pg_conn_ok(st->writer) && (rc = reconnect(st, 0)) != AUTHD_OK) break;
        bool collided;
        size_t inserted;
        if ((rc = run(&b, &collided, &inserted)) != AUTHD_OK) {
            abandon_run(&b, rc);
            /* a connection found dead before COMMIT wrote nothing: one more run on a fresh one */
            if (rc == AUTHD_E_UNAVAILABLE && attempt == 0) continue;
            break;
        }
        if (collided) {
            abandon_run(&b, AUTHD_OK);
            rc = find_refusals(&b);
            if (rc) break;
            rc = AUTHD_E_INTERNAL; /* unless a later run commits */
            continue;
        }
        rc = committed_run(&b, write_rest_and_commit(&b, inserted));
        break;
    }
    if (rc) /* contract clause 1: nothing took effect (or, in doubt, nothing may be relied on) */
        for (size_t i = 0; i < n; i++)
            writes[i].result = rc;
    free(b.refused);
    return rc;
}
