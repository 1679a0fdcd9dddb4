/* LMDB environment and schema version. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"

struct authd_store {
    MDB_env *env;
    MDB_dbi meta;
};

static const char schema_key[] = "schema_version";

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

static void encode_u32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24), out[1] = (uint8_t)(v >> 16), out[2] = (uint8_t)(v >> 8), out[3] = (uint8_t)v;
}

static uint32_t decode_u32(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

int authd_store_open(struct authd_store **out, const char *dir, size_t map_bytes, char *err, size_t err_cap)
{
    struct authd_store *s = calloc(1, sizeof(*s));
    MDB_txn *txn = NULL;
    int rc;
    const char *step = "";
    if (!s) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    if ((rc = mkdirs(dir)) != 0) {
        snprintf(err, err_cap, "data directory %s: %s", dir, strerror(rc));
        free(s);
        return -1;
    }
#define TRY(call, what)                                                                                      \
    do {                                                                                                     \
        step = what;                                                                                         \
        if ((rc = (call)) != MDB_SUCCESS) goto fail;                                                         \
    } while (0)
    TRY(mdb_env_create(&s->env), "mdb_env_create");
    TRY(mdb_env_set_mapsize(s->env, map_bytes), "mdb_env_set_mapsize");
    TRY(mdb_env_set_maxdbs(s->env, 32), "mdb_env_set_maxdbs");
    TRY(mdb_env_set_maxreaders(s->env, 512), "mdb_env_set_maxreaders");
    /* NOTLS: read transactions belong to requests, not threads. */
    TRY(mdb_env_open(s->env, dir, MDB_NOTLS, 0600), "opening the LMDB environment");
    TRY(mdb_txn_begin(s->env, NULL, 0, &txn), "mdb_txn_begin");
    TRY(mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta), "opening the meta database");

    MDB_val key = {sizeof(schema_key) - 1, (void *)schema_key}, val;
    rc = mdb_get(txn, s->meta, &key, &val);
    if (rc == MDB_NOTFOUND) {
        uint8_t v[4];
        encode_u32(v, AUTHD_SCHEMA_VERSION);
        val = (MDB_val){4, v};
        TRY(mdb_put(txn, s->meta, &key, &val, 0), "writing the schema version");
    } else if (rc != MDB_SUCCESS) {
        step = "reading the schema version";
        goto fail;
    } else if (val.mv_size != 4 || decode_u32(val.mv_data) != AUTHD_SCHEMA_VERSION) {
        snprintf(err, err_cap, "data directory %s holds schema version %u; this authd uses %u", dir,
                 val.mv_size == 4 ? decode_u32(val.mv_data) : 0, AUTHD_SCHEMA_VERSION);
        mdb_txn_abort(txn);
        mdb_env_close(s->env);
        free(s);
        return -1;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL; /* freed by the commit, whatever its outcome */
    step = "committing the schema version";
    if (rc != MDB_SUCCESS) goto fail;
#undef TRY
    *out = s;
    return 0;
fail:
    snprintf(err, err_cap, "data directory %s: %s: %s", dir, step, mdb_strerror(rc));
    if (txn) mdb_txn_abort(txn);
    if (s->env) mdb_env_close(s->env);
    free(s);
    return -1;
}

uint32_t authd_store_schema_version(struct authd_store *s)
{
    MDB_txn *txn;
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return 0;
    MDB_val key = {sizeof(schema_key) - 1, (void *)schema_key}, val;
    uint32_t version = 0;
    if (mdb_get(txn, s->meta, &key, &val) == MDB_SUCCESS && val.mv_size == 4)
        version = decode_u32(val.mv_data);
    mdb_txn_abort(txn);
    return version;
}

void authd_store_close(struct authd_store *s)
{
    if (!s) return;
    mdb_env_close(s->env);
    free(s);
}
