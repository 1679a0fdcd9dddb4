/* The LMDB backend of the storage interface (storage.h): one environment in the data directory with
 * named databases
 *   meta                 schema version; settings ("setting.<name>" -> 8 bytes, big-endian)
 *   licences             licence id -> signature-log index (8 bytes, big-endian) || sealed record
 *   holders              holder key -> licence ids (duplicates, sorted)
 *   holder_access        holder key -> access-log indices (8 bytes, big-endian; duplicates, sorted)
 *   log.<name>.entries   index (8 bytes, big-endian) -> entry
 *   log.<name>.hashes    level (1 byte) || index (8 bytes, big-endian) -> stored subtree hash
 * Every level of every log is stored, so a C2SP tile is one contiguous key range. The log index lives
 * in the licence's value rather than in a database of its own: a second random-key B-tree insert per
 * issuance cost 10% of throughput (bench/tlog). Writes come from one thread; readers never block
 * (LMDB MVCC). */
#include <errno.h>
#include <lmdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certlib/licence_id.h"
#include "log_entries.h"
#include "record.h"
#include "storage/storage.h"

#define LOG_INDEX_LEN 8
#define HASH_KEY_LEN 9
#define UPGRADE_BATCH 4096 /* records re-sealed per transaction: well inside LMDB's dirty-page limit */

static const char *const log_names[AUTHD_LOG_COUNT] = {"signatures", "access"};
static const char schema_key[] = "schema_version";

struct lmdb_storage {
    struct authd_storage base;
    MDB_env *env;
    MDB_dbi meta, licences, holders, holder_access;
    MDB_dbi entries[AUTHD_LOG_COUNT], hashes[AUTHD_LOG_COUNT];
    _Atomic uint64_t durable[AUTHD_LOG_COUNT]; /* entries committed; read by any thread */
    uint64_t pending[AUTHD_LOG_COUNT];         /* the writer's, inside apply */
};

static struct lmdb_storage *of(struct authd_storage *s)
{
    return (struct lmdb_storage *)s;
}

/* LMDB's and errno's codes, mapped to ours at this one boundary. */
static authd_err map(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return AUTHD_OK;
    case MDB_NOTFOUND:
        return AUTHD_E_NOT_FOUND;
    case MDB_KEYEXIST:
        return AUTHD_E_EXISTS;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case MDB_READERS_FULL:
    case ENOSPC: /* the disk under the map */
    case EDQUOT:
        return AUTHD_E_FULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        return AUTHD_E_CORRUPT;
    case ENOMEM:
        return AUTHD_E_NOMEM;
    default:
        return AUTHD_E_IO;
    }
}

static void be64(uint8_t out[8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t read_be64(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

static void hash_key(uint8_t key[HASH_KEY_LEN], unsigned level, uint64_t index)
{
    key[0] = (uint8_t)level;
    be64(key + 1, index);
}

/* ---- writes ---- */

struct txn_reader {
    struct lmdb_storage *st;
    MDB_txn *txn;
    enum authd_log_id log;
    int rc;
};

/* certlib_tlog_stored_hashes' reader: the hashes stored so far, this transaction's included. */
static certlib_err read_stored(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    struct txn_reader *r = arg;
    uint8_t hk[HASH_KEY_LEN];
    hash_key(hk, level, index);
    MDB_val k = {HASH_KEY_LEN, hk}, v;
    if ((r->rc = mdb_get(r->txn, r->st->hashes[r->log], &k, &v)) != MDB_SUCCESS) return CERTLIB_E_IO_READ;
    if (v.mv_size != CERTLIB_TLOG_HASH_LEN) {
        r->rc = MDB_CORRUPTED;
        return CERTLIB_E_IO_READ;
    }
    memcpy(out, v.mv_data, CERTLIB_TLOG_HASH_LEN);
    return CERTLIB_OK;
}

static int append(struct lmdb_storage *st, MDB_txn *txn, enum authd_log_id log, const uint8_t *entry,
                  size_t len, uint64_t *index)
{
    uint64_t i = st->pending[log];
    uint8_t ek[8];
    be64(ek, i);
    MDB_val k = {8, ek}, v = {len, (void *)entry};
    int rc = mdb_put(txn, st->entries[log], &k, &v, MDB_APPEND);
    if (rc != MDB_SUCCESS) return rc;
    certlib_tlog_hash leaf;
    certlib_tlog_leaf_hash(entry, len, leaf);
    certlib_tlog_stored_hash stored[CERTLIB_TLOG_MAX_STORED];
    size_t n;
    struct txn_reader reader = {st, txn, log, MDB_SUCCESS};
    if (certlib_tlog_stored_hashes(i, leaf, read_stored, &reader, stored, &n) != CERTLIB_OK)
        return reader.rc != MDB_SUCCESS ? reader.rc : MDB_CORRUPTED;
    for (size_t h = 0; h < n; h++) {
        uint8_t hk[HASH_KEY_LEN];
        hash_key(hk, stored[h].level, stored[h].index);
        k = (MDB_val){HASH_KEY_LEN, hk};
        v = (MDB_val){CERTLIB_TLOG_HASH_LEN, stored[h].hash};
        if ((rc = mdb_put(txn, st->hashes[log], &k, &v, 0)) != MDB_SUCCESS) return rc;
    }
    st->pending[log] = i + 1;
    *index = i;
    return MDB_SUCCESS;
}

/* Files access-log entry `index` under the holder it is about. */
static int index_access(struct lmdb_storage *st, MDB_txn *txn, const uint8_t *holder_key, uint64_t index)
{
    uint8_t ib[LOG_INDEX_LEN];
    be64(ib, index);
    MDB_val k = {AUTHD_HOLDER_KEY_LEN, (void *)holder_key}, v = {LOG_INDEX_LEN, ib};
    int rc = mdb_put(txn, st->holder_access, &k, &v, MDB_NODUPDATA);
    return rc == MDB_KEYEXIST ? MDB_SUCCESS : rc;
}

/* Returns an LMDB error that aborts the batch; a refusal of this write alone goes into w->result.
 * A RESTORE brings its log index and no entry. The place is not indexed: one process owns this store
 * and its status lists hand out each place once. */
static int put_record(struct lmdb_storage *st, MDB_txn *txn, struct authd_storage_write *w)
{
    bool restore = w->op == AUTHD_STORE_RESTORE;
    uint64_t index = restore    ? w->log_index
                     : w->entry ? st->pending[w->log]
                                : UINT64_MAX; /* what the
                                        append below gives */
    MDB_val key = {w->id_len, (void *)w->id}, val = {LOG_INDEX_LEN + w->record_len, NULL};
    int rc = mdb_put(txn, st->licences, &key, &val, MDB_NOOVERWRITE | MDB_RESERVE);
    if (rc == MDB_KEYEXIST) return w->result = AUTHD_E_EXISTS, MDB_SUCCESS;
    if (rc != MDB_SUCCESS) return rc;
    be64(val.mv_data, index); /* MDB_RESERVE's space is valid until the next write: fill it now */
    memcpy((uint8_t *)val.mv_data + LOG_INDEX_LEN, w->record, w->record_len);
    MDB_val hkey = {AUTHD_HOLDER_KEY_LEN, (void *)w->holder_key}, hval = {w->id_len, (void *)w->id};
    if ((rc = mdb_put(txn, st->holders, &hkey, &hval, MDB_NODUPDATA)) != MDB_SUCCESS && rc != MDB_KEYEXIST)
        return rc;
    if (!restore && w->entry &&
        (rc = append(st, txn, w->log, w->entry, w->entry_len, &w->log_index)) != MDB_SUCCESS)
        return rc;
    if (!restore && w->entry && w->log_index != index) return MDB_CORRUPTED; /* not one linear log */
    w->log_index = index;
    w->result = AUTHD_OK;
    return MDB_SUCCESS;
}

static int update_record(struct lmdb_storage *st, MDB_txn *txn, struct authd_storage_write *w)
{
    MDB_val key = {w->id_len, (void *)w->id}, val;
    int rc = mdb_get(txn, st->licences, &key, &val);
    if (rc == MDB_NOTFOUND) return w->result = AUTHD_E_NOT_FOUND, MDB_SUCCESS;
    if (rc != MDB_SUCCESS) return rc;
    if (val.mv_size <= LOG_INDEX_LEN) return MDB_CORRUPTED;
    size_t len = val.mv_size - LOG_INDEX_LEN;
    uint8_t *copy = malloc(val.mv_size), *next = malloc(len);
    if (!copy || !next) {
        free(copy);
        free(next);
        return ENOMEM;
    }
    memcpy(copy, val.mv_data, val.mv_size);
    authd_err refused = w->update(w->update_arg, w->id, w->id_len, copy + LOG_INDEX_LEN, next, len);
    if (refused) {
        w->result = refused;
    } else if ((rc = mdb_put(txn, st->licences, &key, &val, MDB_RESERVE)) == MDB_SUCCESS) {
        memcpy(val.mv_data, copy, LOG_INDEX_LEN);
        memcpy((uint8_t *)val.mv_data + LOG_INDEX_LEN, next, len);
        if (!w->entry || (rc = append(st, txn, w->log, w->entry, w->entry_len, &w->log_index)) == MDB_SUCCESS)
            w->result = AUTHD_OK;
    }
    free(copy);
    free(next);
    return rc;
}

static authd_err lmdb_apply(struct authd_storage *s, struct authd_storage_write *writes, size_t n)
{
    struct lmdb_storage *st = of(s);
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        st->pending[l] = atomic_load(&st->durable[l]);
    for (size_t i = 0; rc == MDB_SUCCESS && i < n; i++) {
        struct authd_storage_write *w = &writes[i];
        w->result = AUTHD_E_IO;
        if (w->op != AUTHD_STORE_RESTORE) w->log_index = UINT64_MAX;
        switch (w->op) {
        case AUTHD_STORE_PUT:
        case AUTHD_STORE_RESTORE:
            rc = put_record(st, txn, w);
            break;
        case AUTHD_STORE_UPDATE:
            rc = update_record(st, txn, w);
            break;
        case AUTHD_STORE_APPEND:
        default:
            rc = append(st, txn, w->log, w->entry, w->entry_len, &w->log_index);
            if (rc == MDB_SUCCESS && w->log == AUTHD_LOG_ACCESS && w->holder_key)
                rc = index_access(st, txn, w->holder_key, w->log_index);
            if (rc == MDB_SUCCESS) w->result = AUTHD_OK;
            break;
        }
    }
    if (rc == MDB_SUCCESS)
        rc = mdb_txn_commit(txn); /* fsync: durable when this returns */
    else
        mdb_txn_abort(txn);
    if (rc != MDB_SUCCESS) {
        for (size_t i = 0; i < n; i++)
            writes[i].result = map(rc) ? map(rc) : AUTHD_E_IO;
        return map(rc);
    }
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        atomic_store(&st->durable[l], st->pending[l]);
    return AUTHD_OK;
}

/* ---- reads ---- */

/* A read transaction (a snapshot) with a cursor on `dbi`; both are closed by close_read. */
static int read_cursor(struct lmdb_storage *st, MDB_dbi dbi, MDB_txn **txn, MDB_cursor **cur)
{
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
    if (rc != MDB_SUCCESS) return rc;
    if ((rc = mdb_cursor_open(*txn, dbi, cur)) != MDB_SUCCESS) mdb_txn_abort(*txn);
    return rc;
}

static void close_read(MDB_txn *txn, MDB_cursor *cur)
{
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
}

/* A stored value as a record and its log index; false when it is too short to be one. */
static bool split_value(const MDB_val *v, const uint8_t **record, size_t *len, uint64_t *log_index)
{
    if (v->mv_size <= LOG_INDEX_LEN) return false;
    *record = (const uint8_t *)v->mv_data + LOG_INDEX_LEN;
    *len = v->mv_size - LOG_INDEX_LEN;
    *log_index = read_be64(v->mv_data);
    return true;
}

/* A callback's stop value as the contract passes it back. */
static authd_err stopped(int stop)
{
    return stop > 0 ? (authd_err)stop : AUTHD_E_INTERNAL;
}

static authd_err lmdb_get(struct authd_storage *s, const char *id, size_t id_len, uint8_t **record,
                          size_t *len, uint64_t *log_index)
{
    struct lmdb_storage *st = of(s);
    MDB_txn *txn;
    if (id_len == 0 || id_len > 511) return AUTHD_E_NOT_FOUND; /* LMDB's key limit */
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) return map(rc);
    MDB_val key = {id_len, (void *)id}, val;
    const uint8_t *stored;
    uint64_t index;
    authd_err err = map(mdb_get(txn, st->licences, &key, &val));
    if (!err && !split_value(&val, &stored, len, &index)) err = AUTHD_E_CORRUPT;
    if (!err && !(*record = malloc(*len))) err = AUTHD_E_NOMEM;
    if (!err) {
        memcpy(*record, stored, *len);
        if (log_index) *log_index = index;
    }
    mdb_txn_abort(txn);
    return err;
}

static authd_err lmdb_holder_records(struct authd_storage *s, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                     int (*fn)(void *arg, const char *id, size_t id_len,
                                               const uint8_t *record, size_t len, uint64_t log_index),
                                     void *arg)
{
    struct lmdb_storage *st = of(s);
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = read_cursor(st, st->holders, &txn, &cur);
    if (rc != MDB_SUCCESS) return map(rc);
    MDB_val k = {AUTHD_HOLDER_KEY_LEN, (void *)key}, id, v;
    authd_err err = AUTHD_OK;
    for (rc = mdb_cursor_get(cur, &k, &id, MDB_SET_KEY); rc == MDB_SUCCESS && !err;
         rc = mdb_cursor_get(cur, &k, &id, MDB_NEXT_DUP)) {
        const uint8_t *record;
        size_t len;
        uint64_t log_index;
        int got = mdb_get(txn, st->licences, &id, &v);
        if (got != MDB_SUCCESS || !split_value(&v, &record, &len, &log_index)) {
            err = got == MDB_SUCCESS || got == MDB_NOTFOUND ? AUTHD_E_CORRUPT : map(got);
            break;
        }
        int stop = fn(arg, id.mv_data, id.mv_size, record, len, log_index);
        if (stop) err = stopped(stop);
    }
    close_read(txn, cur);
    if (err) return err;
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? AUTHD_OK : map(rc);
}

static authd_err lmdb_holder_access(struct authd_storage *s, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                    uint64_t from, size_t limit, int (*fn)(void *arg, uint64_t index),
                                    void *arg)
{
    struct lmdb_storage *st = of(s);
    uint64_t size = atomic_load(&st->durable[AUTHD_LOG_ACCESS]); /* contract clause 5: nothing past it */
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = read_cursor(st, st->holder_access, &txn, &cur);
    if (rc != MDB_SUCCESS) return map(rc);
    uint8_t fb[LOG_INDEX_LEN];
    be64(fb, from);
    MDB_val k = {AUTHD_HOLDER_KEY_LEN, (void *)key}, v = {LOG_INDEX_LEN, fb};
    authd_err err = AUTHD_OK;
    size_t n = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE); rc == MDB_SUCCESS && !err && n < limit;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP), n++) {
        if (v.mv_size != LOG_INDEX_LEN) {
            err = AUTHD_E_CORRUPT;
            break;
        }
        uint64_t index = read_be64(v.mv_data);
        if (index >= size) break;
        int stop = fn(arg, index);
        if (stop) err = stopped(stop);
    }
    close_read(txn, cur);
    if (err) return err;
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? AUTHD_OK : map(rc);
}

/* Calls visit for every key of a database, in one read snapshot, until it returns non-zero (passed
 * back as each_record says). */
static authd_err walk(struct lmdb_storage *st, MDB_dbi dbi, int (*visit)(void *ctx, MDB_val *k, MDB_val *v),
                      void *ctx)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = read_cursor(st, dbi, &txn, &cur);
    if (rc != MDB_SUCCESS) return map(rc);
    MDB_val k, v;
    int stop = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS && !stop;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        stop = visit(ctx, &k, &v);
    close_read(txn, cur);
    if (stop) return stopped(stop);
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? AUTHD_OK : map(rc);
}

struct record_visit {
    int (*fn)(void *arg, const char *id, size_t id_len, const uint8_t *record, size_t len,
              uint64_t log_index);
    void *arg;
};

static int visit_record(void *ctx, MDB_val *k, MDB_val *v)
{
    struct record_visit *rv = ctx;
    const uint8_t *record;
    size_t len;
    uint64_t log_index;
    if (!split_value(v, &record, &len, &log_index)) return AUTHD_E_CORRUPT;
    return rv->fn(rv->arg, k->mv_data, k->mv_size, record, len, log_index);
}

static authd_err lmdb_each_record(struct authd_storage *s,
                                  int (*fn)(void *arg, const char *id, size_t id_len, const uint8_t *record,
                                            size_t len, uint64_t log_index),
                                  void *arg)
{
    struct record_visit rv = {fn, arg};
    return walk(of(s), of(s)->licences, visit_record, &rv);
}

struct holder_visit {
    int (*fn)(void *arg, const uint8_t key[AUTHD_HOLDER_KEY_LEN], const char *id, size_t id_len);
    void *arg;
};

static int visit_holder(void *ctx, MDB_val *k, MDB_val *v)
{
    struct holder_visit *hv = ctx;
    if (k->mv_size != AUTHD_HOLDER_KEY_LEN) return AUTHD_E_CORRUPT;
    return hv->fn(hv->arg, k->mv_data, v->mv_data, v->mv_size);
}

static authd_err lmdb_each_holder(struct authd_storage *s,
                                  int (*fn)(void *arg, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                            const char *id, size_t id_len),
                                  void *arg)
{
    struct holder_visit hv = {fn, arg};
    return walk(of(s), of(s)->holders, visit_holder, &hv);
}

static authd_err lmdb_log_size(struct authd_storage *s, enum authd_log_id log, uint64_t *size)
{
    *size = atomic_load(&of(s)->durable[log]);
    return AUTHD_OK;
}

static authd_err lmdb_log_entries(struct authd_storage *s, enum authd_log_id log, uint64_t start,
                                  uint64_t count,
                                  int (*fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len),
                                  void *arg)
{
    struct lmdb_storage *st = of(s);
    uint64_t size = atomic_load(&st->durable[log]);
    if (start > size || count > size - start) return AUTHD_E_NOT_FOUND;
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = read_cursor(st, st->entries[log], &txn, &cur);
    if (rc != MDB_SUCCESS) return map(rc);
    uint8_t kb[8];
    be64(kb, start);
    MDB_val k = {8, kb}, v;
    authd_err err = AUTHD_OK;
    rc = count ? mdb_cursor_get(cur, &k, &v, MDB_SET_KEY) : MDB_SUCCESS;
    for (uint64_t i = 0; i < count && !err; i++) {
        if (i) rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        if (rc != MDB_SUCCESS || k.mv_size != 8 || read_be64(k.mv_data) != start + i) {
            err = rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? AUTHD_E_CORRUPT : map(rc); /* a gap */
            break;
        }
        if (fn(arg, start + i, v.mv_data, v.mv_size)) break;
    }
    close_read(txn, cur);
    return err;
}

/* The hashes of a durable tree never change: read after its size, in one read transaction, they are its. */
static authd_err lmdb_log_border(struct authd_storage *s, enum authd_log_id log, uint64_t *size,
                                 certlib_tlog_hash out[64])
{
    struct lmdb_storage *st = of(s);
    uint64_t n = atomic_load(&st->durable[log]);
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = n ? read_cursor(st, st->hashes[log], &txn, &cur) : MDB_SUCCESS;
    if (rc != MDB_SUCCESS) return map(rc);
    authd_err err = AUTHD_OK;
    for (unsigned l = 0; n && !err && l < 64 && (n >> l); l++) {
        if (!((n >> l) & 1)) continue;
        uint8_t kb[HASH_KEY_LEN];
        hash_key(kb, l, (n >> l) - 1);
        MDB_val k = {HASH_KEY_LEN, kb}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
        if (rc == MDB_SUCCESS && v.mv_size == CERTLIB_TLOG_HASH_LEN)
            memcpy(out[l], v.mv_data, CERTLIB_TLOG_HASH_LEN);
        else /* a subtree of the durable tree without its hash */
            err = rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? AUTHD_E_CORRUPT : map(rc);
    }
    if (n) close_read(txn, cur);
    if (!err) *size = n;
    return err;
}

static authd_err lmdb_log_hashes(struct authd_storage *s, enum authd_log_id log, unsigned level,
                                 uint64_t start, uint64_t count, certlib_tlog_hash *out)
{
    struct lmdb_storage *st = of(s);
    uint64_t size = atomic_load(&st->durable[log]);
    uint64_t complete = level >= 64 ? 0 : size >> level;
    if (start > complete || count > complete - start) return AUTHD_E_NOT_FOUND;
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = read_cursor(st, st->hashes[log], &txn, &cur);
    if (rc != MDB_SUCCESS) return map(rc);
    uint8_t kb[HASH_KEY_LEN];
    hash_key(kb, level, start);
    MDB_val k = {HASH_KEY_LEN, kb}, v;
    authd_err err = AUTHD_OK;
    rc = count ? mdb_cursor_get(cur, &k, &v, MDB_SET_KEY) : MDB_SUCCESS;
    for (uint64_t i = 0; i < count; i++) {
        if (i) rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        if (rc != MDB_SUCCESS || v.mv_size != CERTLIB_TLOG_HASH_LEN || k.mv_size != HASH_KEY_LEN ||
            ((const uint8_t *)k.mv_data)[0] != level ||
            read_be64((const uint8_t *)k.mv_data + 1) != start + i) {
            err = rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? AUTHD_E_CORRUPT : map(rc);
            break;
        }
        memcpy(out[i], v.mv_data, CERTLIB_TLOG_HASH_LEN);
    }
    close_read(txn, cur);
    return err;
}

static uint32_t lmdb_schema_version(struct authd_storage *s)
{
    struct lmdb_storage *st = of(s);
    MDB_txn *txn;
    if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return 0;
    MDB_val key = {sizeof(schema_key) - 1, (void *)schema_key}, val;
    uint32_t version = 0;
    if (mdb_get(txn, st->meta, &key, &val) == MDB_SUCCESS && val.mv_size == 4) {
        const uint8_t *b = val.mv_data;
        version = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    }
    mdb_txn_abort(txn);
    return version;
}

#define SETTING_NAME_MAX 32

static bool setting_key(const char *name, char key[8 + SETTING_NAME_MAX + 1], size_t *len)
{
    size_t n = strlen(name);
    if (n == 0 || n > SETTING_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz_") != n) return false;
    *len = (size_t)snprintf(key, 8 + SETTING_NAME_MAX + 1, "setting.%s", name);
    return true;
}

static authd_err lmdb_setting_get(struct authd_storage *s, const char *name, int64_t *value)
{
    struct lmdb_storage *st = of(s);
    char kb[8 + SETTING_NAME_MAX + 1];
    size_t klen;
    if (!setting_key(name, kb, &klen)) return AUTHD_E_INTERNAL;
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) return map(rc);
    MDB_val key = {klen, kb}, val;
    rc = mdb_get(txn, st->meta, &key, &val);
    if (rc == MDB_SUCCESS && val.mv_size != 8) rc = MDB_CORRUPTED;
    if (rc == MDB_SUCCESS) *value = (int64_t)read_be64(val.mv_data);
    mdb_txn_abort(txn);
    return map(rc);
}

static authd_err lmdb_setting_put(struct authd_storage *s, const char *name, int64_t value)
{
    struct lmdb_storage *st = of(s);
    char kb[8 + SETTING_NAME_MAX + 1];
    size_t klen;
    if (!setting_key(name, kb, &klen)) return AUTHD_E_INTERNAL;
    uint8_t vb[8];
    be64(vb, (uint64_t)value);
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != MDB_SUCCESS) return map(rc);
    MDB_val key = {klen, kb}, val = {8, vb};
    if ((rc = mdb_put(txn, st->meta, &key, &val, 0)) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return map(rc);
    }
    return map(mdb_txn_commit(txn));
}

static authd_err lmdb_stats(struct authd_storage *s, struct authd_storage_stats *out)
{
    struct lmdb_storage *st = of(s);
    memset(out, 0, sizeof(*out));
    MDB_txn *txn;
    MDB_stat stat;
    MDB_envinfo info;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc != MDB_SUCCESS) return map(rc);
    if ((rc = mdb_stat(txn, st->licences, &stat)) == MDB_SUCCESS) out->records = stat.ms_entries;
    mdb_txn_abort(txn);
    if (rc != MDB_SUCCESS) return map(rc);
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        out->log_size[l] = atomic_load(&st->durable[l]);
    if (mdb_env_info(st->env, &info) == MDB_SUCCESS && mdb_env_stat(st->env, &stat) == MDB_SUCCESS) {
        out->bytes_used = ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
        out->bytes_capacity = info.me_mapsize;
    }
    return AUTHD_OK;
}

static void lmdb_close(struct authd_storage *s)
{
    struct lmdb_storage *st = of(s);
    if (st->env) mdb_env_close(st->env);
    free(st);
}

static const struct authd_storage_ops lmdb_ops = {
    .name = "lmdb",
    .close = lmdb_close,
    .schema_version = lmdb_schema_version,
    .stats = lmdb_stats,
    .setting_get = lmdb_setting_get,
    .setting_put = lmdb_setting_put,
    .apply = lmdb_apply,
    .get = lmdb_get,
    .holder_records = lmdb_holder_records,
    .each_record = lmdb_each_record,
    .each_holder = lmdb_each_holder,
    .log_size = lmdb_log_size,
    .log_entries = lmdb_log_entries,
    .log_hashes = lmdb_log_hashes,
    .log_border = lmdb_log_border,
    .holder_access = lmdb_holder_access,
};

/* ---- opening ---- */

static int mkdirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) return ENAMETOOLONG;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) return errno;
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) return errno;
    return 0;
}

/* Before LMDB maps it: a store exists only if `authd init` (or a copy) made it. */
static authd_err check_file(const char *dir, bool create, off_t *size, char *err, size_t err_cap)
{
    char path[4096];
    struct stat st;
    if (snprintf(path, sizeof(path), "%s/data.mdb", dir) >= (int)sizeof(path))
        return snprintf(err, err_cap, "data directory %s: path too long", dir), AUTHD_E_CONFIG;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT && create) return *size = 0, AUTHD_OK;
        if (errno == ENOENT)
            return snprintf(err, err_cap,
                            "no store in %s: create one with `authd --config FILE init`, or restore the "
                            "directory from a backup",
                            dir),
                   AUTHD_E_NOT_FOUND;
        return snprintf(err, err_cap, "%s: %s", path, strerror(errno)), AUTHD_E_IO;
    }
    if (st.st_size == 0 && !create)
        return snprintf(err, err_cap,
                        "%s is empty (0 bytes): the store was lost; restore it from a backup (starting "
                        "afresh would fork the signature log)",
                        path),
               AUTHD_E_CORRUPT;
    *size = st.st_size;
    return AUTHD_OK;
}

/* LMDB writes every page up to the last one its newest meta page names; a file shorter than that was
 * truncated, and reading the missing pages through the map would raise SIGBUS. */
static authd_err check_length(struct lmdb_storage *st, const char *dir, off_t size, char *err, size_t err_cap)
{
    MDB_envinfo info;
    MDB_stat stat;
    if (size == 0 || mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &stat) != 0) return AUTHD_OK;
    uint64_t needed = ((uint64_t)info.me_last_pgno + 1) * stat.ms_psize;
    if ((uint64_t)size >= needed) return AUTHD_OK;
    return snprintf(err, err_cap,
                    "%s/data.mdb is truncated: %llu bytes, where LMDB's own metadata says %llu; restore it "
                    "from a backup",
                    dir, (unsigned long long)size, (unsigned long long)needed),
           AUTHD_E_CORRUPT;
}

static int put_schema(struct lmdb_storage *st, MDB_txn *txn, uint32_t version)
{
    uint8_t v[4] = {(uint8_t)(version >> 24), (uint8_t)(version >> 16), (uint8_t)(version >> 8),
                    (uint8_t)version};
    MDB_val key = {sizeof(schema_key) - 1, (void *)schema_key}, val = {4, v};
    return mdb_put(txn, st->meta, &key, &val, 0);
}

/* Schema 2 stored the record with its log index inside; each one is re-sealed by record.c (the
 * associated data changes) and stored as index || record, in batches small enough for LMDB's dirty-page
 * limit, the schema version moving to 3 last. An interrupted upgrade resumes: a schema 2 value starts
 * with its version byte 2, a schema 3 value with the top byte of a log index (0, or 0xff for none). */
struct upgrade_progress {
    size_t done;
    bool finished;
    char after[CERTLIB_LICENCE_ID_MAX]; /* the last id re-sealed: the next batch starts past it */
    size_t after_len;
    bool unreadable; /* a record would not open under the data key */
};

static int upgrade_batch(struct lmdb_storage *st, const struct authd_record_keys *keys,
                         struct upgrade_progress *p)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != MDB_SUCCESS) return rc;
    if ((rc = mdb_cursor_open(txn, st->licences, &cur)) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return rc;
    }
    /* The batch's ids first (the cursor's pages move under writes), then the rewrites. */
    char(*ids)[CERTLIB_LICENCE_ID_MAX] = malloc(UPGRADE_BATCH * sizeof(*ids));
    size_t n = 0, *lens = malloc(UPGRADE_BATCH * sizeof(*lens));
    MDB_val k = {p->after_len, p->after}, v;
    p->finished = true;
    rc = !ids || !lens ? ENOMEM : mdb_cursor_get(cur, &k, &v, p->after_len ? MDB_SET_RANGE : MDB_FIRST);
    for (; rc == MDB_SUCCESS; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (v.mv_size == 0 || ((const uint8_t *)v.mv_data)[0] != 2 || k.mv_size >= CERTLIB_LICENCE_ID_MAX)
            continue;
        if (n == UPGRADE_BATCH) {
            p->finished = false;
            break;
        }
        memcpy(ids[n], k.mv_data, k.mv_size);
        lens[n++] = k.mv_size;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;
    for (size_t i = 0; rc == MDB_SUCCESS && i < n; i++) {
        MDB_val key = {lens[i], ids[i]}, val;
        uint8_t *sealed = NULL;
        size_t sealed_len;
        uint64_t log_index;
        if ((rc = mdb_get(txn, st->licences, &key, &val)) != MDB_SUCCESS) break;
        if (authd_record_upgrade_v2(keys, ids[i], lens[i], val.mv_data, val.mv_size, &sealed, &sealed_len,
                                    &log_index) != AUTHD_OK) {
            p->unreadable = true;
            rc = MDB_CORRUPTED;
            break;
        }
        MDB_val fresh = {LOG_INDEX_LEN + sealed_len, NULL};
        if ((rc = mdb_put(txn, st->licences, &key, &fresh, MDB_RESERVE)) == MDB_SUCCESS) {
            be64(fresh.mv_data, log_index);
            memcpy((uint8_t *)fresh.mv_data + LOG_INDEX_LEN, sealed, sealed_len);
        }
        free(sealed);
    }
    if (rc == MDB_SUCCESS && n) {
        memcpy(p->after, ids[n - 1], lens[n - 1]);
        p->after_len = lens[n - 1];
    }
    free(ids);
    free(lens);
    if (rc == MDB_SUCCESS && p->finished) rc = put_schema(st, txn, 3);
    if (rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return rc;
    }
    p->done += n;
    return mdb_txn_commit(txn);
}

static authd_err upgrade_from_2(struct lmdb_storage *st, const struct authd_record_keys *keys,
                                const char *dir, char *err, size_t err_cap)
{
    struct upgrade_progress p = {0};
    fprintf(stderr, "authd: upgrading the store from schema version 2 to 3 (records sealed with a MAC over "
                    "their header)\n");
    while (!p.finished) {
        int rc = upgrade_batch(st, keys, &p);
        if (rc != MDB_SUCCESS) {
            if (p.unreadable)
                snprintf(err, err_cap,
                         "data directory %s: upgrading from schema version 2: a record does not open under "
                         "this data key (another key, or altered); nothing after the %zu records upgraded "
                         "was changed",
                         dir, p.done);
            else
                snprintf(err, err_cap, "data directory %s: upgrading from schema version 2: %s", dir,
                         mdb_strerror(rc));
            return p.unreadable ? AUTHD_E_CORRUPT : map(rc) ? map(rc) : AUTHD_E_IO;
        }
        if (!p.finished) fprintf(stderr, "authd: upgraded %zu records\n", p.done);
    }
    fprintf(stderr, "authd: store upgraded: %zu records\n", p.done);
    return AUTHD_OK;
}

/* Schema 4 adds the holder-access index: built from the access log's entries, UPGRADE_BATCH of them
 * per transaction, the schema version moving to 4 in the last. Filing an entry twice changes nothing,
 * so an interrupted upgrade simply starts again. */
static int index_batch(struct lmdb_storage *st, uint64_t start, uint64_t size)
{
    struct filed {
        uint64_t index;
        uint8_t holder[AUTHD_HOLDER_KEY_LEN];
    } *batch = malloc(UPGRADE_BATCH * sizeof(*batch));
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = batch ? mdb_txn_begin(st->env, NULL, 0, &txn) : ENOMEM;
    if (rc != MDB_SUCCESS) return free(batch), rc;
    if ((rc = mdb_cursor_open(txn, st->entries[AUTHD_LOG_ACCESS], &cur)) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return free(batch), rc;
    }
    /* The batch's holders first (a cursor's values are invalid after a write), then the index. */
    uint64_t end = size - start > UPGRADE_BATCH ? start + UPGRADE_BATCH : size;
    size_t n = 0;
    uint8_t kb[8];
    be64(kb, start);
    MDB_val k = {8, kb}, v;
    rc = start < end ? mdb_cursor_get(cur, &k, &v, MDB_SET_KEY) : MDB_SUCCESS;
    for (uint64_t i = start; rc == MDB_SUCCESS && i < end; i++) {
        if (i > start && (rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) != MDB_SUCCESS) break;
        if (k.mv_size != 8 || read_be64(k.mv_data) != i)
            rc = MDB_CORRUPTED; /* a gap in the log */
        else if (authd_log_entry_holder(v.mv_data, v.mv_size, batch[n].holder))
            batch[n++].index = i;
    }
    mdb_cursor_close(cur);
    for (size_t i = 0; rc == MDB_SUCCESS && i < n; i++)
        rc = index_access(st, txn, batch[i].holder, batch[i].index);
    free(batch);
    if (rc == MDB_SUCCESS && end == size) rc = put_schema(st, txn, AUTHD_SCHEMA_VERSION);
    if (rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return rc;
    }
    return mdb_txn_commit(txn);
}

static authd_err upgrade_from_3(struct lmdb_storage *st, const char *dir, char *err, size_t err_cap)
{
    uint64_t size = atomic_load(&st->durable[AUTHD_LOG_ACCESS]);
    fprintf(stderr,
            "authd: upgrading the store from schema version 3 to %u (indexing %llu access-log entries by "
            "holder)\n",
            AUTHD_SCHEMA_VERSION, (unsigned long long)size);
    uint64_t start = 0;
    do {
        int rc = index_batch(st, start, size);
        if (rc != MDB_SUCCESS) {
            snprintf(err, err_cap, "data directory %s: upgrading from schema version 3: %s", dir,
                     mdb_strerror(rc));
            return map(rc) ? map(rc) : AUTHD_E_IO;
        }
        start = size - start > UPGRADE_BATCH ? start + UPGRADE_BATCH : size;
        if (start < size) fprintf(stderr, "authd: indexed %llu entries\n", (unsigned long long)start);
    } while (start < size);
    fprintf(stderr, "authd: store upgraded to schema version %u\n", AUTHD_SCHEMA_VERSION);
    return AUTHD_OK;
}

/* Schemas 5, 6 and 7 changed the PostgreSQL backend's tables alone: an LMDB store of schema 4, 5 or 6
 * only takes the new number. */
static authd_err renumber(struct lmdb_storage *st, uint32_t from, const char *dir, char *err, size_t err_cap)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc == MDB_SUCCESS && (rc = put_schema(st, txn, AUTHD_SCHEMA_VERSION)) != MDB_SUCCESS)
        mdb_txn_abort(txn);
    if (rc == MDB_SUCCESS) rc = mdb_txn_commit(txn);
    if (rc != MDB_SUCCESS) {
        snprintf(err, err_cap, "data directory %s: upgrading from schema version %u: %s", dir, from,
                 mdb_strerror(rc));
        return map(rc) ? map(rc) : AUTHD_E_IO;
    }
    fprintf(stderr, "authd: store upgraded to schema version %u (no change in an LMDB store's data)\n",
            AUTHD_SCHEMA_VERSION);
    return AUTHD_OK;
}

static int open_dbs(struct lmdb_storage *st, MDB_txn *txn)
{
    int rc;
    if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta)) ||
        (rc = mdb_dbi_open(txn, "licences", MDB_CREATE, &st->licences)) ||
        (rc = mdb_dbi_open(txn, "holders", MDB_CREATE | MDB_DUPSORT, &st->holders)) ||
        (rc =
             mdb_dbi_open(txn, "holder_access", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &st->holder_access)))
        return rc;
    for (int l = 0; l < AUTHD_LOG_COUNT; l++) {
        char name[64];
        snprintf(name, sizeof(name), "log.%s.entries", log_names[l]);
        if ((rc = mdb_dbi_open(txn, name, MDB_CREATE, &st->entries[l]))) return rc;
        snprintf(name, sizeof(name), "log.%s.hashes", log_names[l]);
        if ((rc = mdb_dbi_open(txn, name, MDB_CREATE, &st->hashes[l]))) return rc;
        /* the log's size: one past its last entry */
        MDB_cursor *cur;
        MDB_val k, v;
        if ((rc = mdb_cursor_open(txn, st->entries[l], &cur))) return rc;
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        mdb_cursor_close(cur);
        if (rc == MDB_SUCCESS && k.mv_size != 8) return MDB_CORRUPTED;
        atomic_store(&st->durable[l], rc == MDB_SUCCESS ? read_be64(k.mv_data) + 1 : 0);
        if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return rc;
    }
    return MDB_SUCCESS;
}

authd_err authd_storage_open_lmdb(const struct authd_lmdb_options *o, struct authd_storage **out, char *err,
                                  size_t err_cap)
{
    *out = NULL;
    struct lmdb_storage *st = calloc(1, sizeof(*st));
    if (!st) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    st->base.ops = &lmdb_ops;
    MDB_txn *txn = NULL;
    off_t file_size = 0;
    authd_err checked = check_file(o->dir, o->create, &file_size, err, err_cap);
    if (checked) {
        free(st);
        return checked;
    }
    const char *step = "creating the data directory";
    int rc = mkdirs(o->dir);
    uint32_t version = 0;
    if (!rc) step = "mdb_env_create", rc = mdb_env_create(&st->env);
    if (!rc) step = "mdb_env_set_mapsize", rc = mdb_env_set_mapsize(st->env, o->map_bytes);
    if (!rc) step = "mdb_env_set_maxdbs", rc = mdb_env_set_maxdbs(st->env, 16);
    if (!rc) step = "mdb_env_set_maxreaders", rc = mdb_env_set_maxreaders(st->env, 512);
    /* NOTLS: read transactions belong to requests, not threads. */
    if (!rc) step = "opening the LMDB environment", rc = mdb_env_open(st->env, o->dir, MDB_NOTLS, 0600);
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
        snprintf(err, err_cap,
                 "%s/data.mdb is not an LMDB store this authd can read (%s): restore it from a backup",
                 o->dir, mdb_strerror(rc));
        lmdb_close(&st->base);
        return AUTHD_E_CORRUPT;
    }
    if (!rc && (checked = check_length(st, o->dir, file_size, err, err_cap))) {
        lmdb_close(&st->base);
        return checked;
    }
    if (!rc) step = "mdb_txn_begin", rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (!rc) step = "opening the databases", rc = open_dbs(st, txn);
    if (!rc) {
        MDB_val key = {sizeof(schema_key) - 1, (void *)schema_key}, val;
        step = "reading the schema version";
        rc = mdb_get(txn, st->meta, &key, &val);
        if (rc == MDB_NOTFOUND && !o->create) {
            step = "reading the schema version (an LMDB file, but not an authd store)";
            rc = MDB_INVALID;
        } else if (rc == MDB_NOTFOUND) {
            step = "writing the schema version";
            version = AUTHD_SCHEMA_VERSION;
            rc = put_schema(st, txn, version);
        } else if (rc == MDB_SUCCESS && val.mv_size == 4) {
            const uint8_t *b = val.mv_data;
            version = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        }
    }
    if (!rc) {
        step = "committing";
        rc = mdb_txn_commit(txn);
        txn = NULL; /* freed by the commit, whatever its outcome */
    }
    if (!rc && !(version >= 3 && version <= AUTHD_SCHEMA_VERSION) && !(version == 2 && o->keys)) {
        snprintf(err, err_cap, "data directory %s holds schema version %u; this authd uses %u", o->dir,
                 version, AUTHD_SCHEMA_VERSION);
        lmdb_close(&st->base);
        return AUTHD_E_SCHEMA;
    }
    if (!rc && version == 2) {
        authd_err upgraded = upgrade_from_2(st, o->keys, o->dir, err, err_cap);
        if (upgraded) {
            lmdb_close(&st->base);
            return upgraded;
        }
        version = 3;
    }
    if (!rc && version == 3) {
        authd_err upgraded = upgrade_from_3(st, o->dir, err, err_cap);
        if (upgraded) {
            lmdb_close(&st->base);
            return upgraded;
        }
    }
    if (!rc && version >= 4 && version < AUTHD_SCHEMA_VERSION) {
        authd_err upgraded = renumber(st, version, o->dir, err, err_cap);
        if (upgraded) {
            lmdb_close(&st->base);
            return upgraded;
        }
    }
    if (rc) {
        snprintf(err, err_cap, "data directory %s: %s: %s", o->dir, step,
                 mdb_strerror(rc)); /* errno values too */
        if (txn) mdb_txn_abort(txn);
        lmdb_close(&st->base);
        return map(rc) ? map(rc) : AUTHD_E_IO;
    }
    *out = &st->base;
    return AUTHD_OK;
}
