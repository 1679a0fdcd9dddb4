/* Merkle logs in LMDB: appending inside the writer's transactions, signing checkpoints of durable
 * trees, and serving tiles, entries, proofs and receipts from read transactions. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_store.h"

struct authd_log {
    MDB_env *env;
    MDB_dbi entries, hashes;
    char origin[CERTLIB_CHECKPOINT_ORIGIN_MAX];
    char vkey[CERTLIB_NOTE_NAME_MAX + 80];
    uint8_t *sk;           /* sodium_malloc: libsodium's 64-byte Ed25519 secret key */
    uint64_t durable_size; /* writer thread */
    uint64_t pending_size; /* writer thread: durable plus appended in the open transaction */
    pthread_mutex_t lock;  /* guards what follows */
    uint64_t published_size;
    char checkpoint[AUTHD_CHECKPOINT_MAX];
    size_t checkpoint_len;
};

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

static void hash_key(uint8_t key[9], unsigned level, uint64_t index)
{
    key[0] = (uint8_t)level;
    be64(key + 1, index);
}

static int load_key(struct authd_log *log, const char *path, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return snprintf(err, err_cap, "log key %s: %s", path, strerror(errno)), -1;
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    uint8_t seed[32], pk[32];
    size_t seed_len = sizeof(seed);
    int rc = -1;
    if (!pkey || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519 ||
        EVP_PKEY_get_raw_private_key(pkey, seed, &seed_len) != 1 || seed_len != 32)
        snprintf(err, err_cap, "log key %s: not a PEM Ed25519 private key", path);
    else if (!(log->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)))
        snprintf(err, err_cap, "log key: out of protected memory");
    else if (crypto_sign_seed_keypair(pk, log->sk, seed) != 0)
        snprintf(err, err_cap, "log key %s: unusable", path);
    else
        rc = 0;
    sodium_memzero(seed, sizeof(seed));
    EVP_PKEY_free(pkey);
    if (rc) return rc;
    sodium_mprotect_readonly(log->sk);
    certlib_note_verifier v;
    if (certlib_note_verifier_from_key(log->origin, pk, &v) != CERTLIB_OK ||
        certlib_note_verifier_format(&v, log->vkey, sizeof(log->vkey)) != CERTLIB_OK)
        return snprintf(err, err_cap, "log origin '%s' is not a valid key name (no spaces or '+')",
                        log->origin),
               -1;
    return 0;
}

int authd_log_open(struct authd_log **out, MDB_env *env, MDB_txn *txn, const char *name, const char *origin,
                   const char *key_file, char *err, size_t err_cap)
{
    struct authd_log *log = calloc(1, sizeof(*log));
    if (!log) return snprintf(err, err_cap, "out of memory"), -1;
    log->env = env;
    pthread_mutex_init(&log->lock, NULL);
    if (snprintf(log->origin, sizeof(log->origin), "%s", origin) >= (int)sizeof(log->origin)) {
        snprintf(err, err_cap, "log %s: origin too long", name);
        authd_log_close(log);
        return -1;
    }
    if (load_key(log, key_file, err, err_cap) != 0) {
        authd_log_close(log);
        return -1;
    }
    char db[64];
    int rc;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    snprintf(db, sizeof(db), "log.%s.entries", name);
    if ((rc = mdb_dbi_open(txn, db, MDB_CREATE, &log->entries)) == MDB_SUCCESS) {
        snprintf(db, sizeof(db), "log.%s.hashes", name);
        rc = mdb_dbi_open(txn, db, MDB_CREATE, &log->hashes);
    }
    if (rc == MDB_SUCCESS) rc = mdb_cursor_open(txn, log->entries, &cur);
    if (rc == MDB_SUCCESS) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        if (rc == MDB_SUCCESS && k.mv_size == 8) log->durable_size = read_be64(k.mv_data) + 1;
        if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;
        mdb_cursor_close(cur);
    }
    if (rc != MDB_SUCCESS) {
        snprintf(err, err_cap, "log %s: %s", name, mdb_strerror(rc));
        authd_log_close(log);
        return -1;
    }
    log->pending_size = log->durable_size;
    *out = log;
    return 0;
}

void authd_log_close(struct authd_log *log)
{
    if (!log) return;
    if (log->sk) sodium_free(log->sk);
    pthread_mutex_destroy(&log->lock);
    free(log);
}

const char *authd_log_origin(const struct authd_log *log)
{
    return log->origin;
}

const char *authd_log_vkey(const struct authd_log *log)
{
    return log->vkey;
}

int authd_log_append(struct authd_log *log, MDB_txn *txn, const uint8_t *entry, size_t len, uint64_t *index)
{
    uint64_t i = log->pending_size;
    uint8_t ek[8], hk[9];
    be64(ek, i);
    MDB_val k = {8, ek}, v = {len, (void *)entry};
    int rc = mdb_put(txn, log->entries, &k, &v, MDB_APPEND);
    if (rc != MDB_SUCCESS) return rc;
    certlib_tlog_hash h;
    certlib_tlog_leaf_hash(entry, len, h);
    unsigned level = 0;
    uint64_t n = i;
    for (;;) {
        hash_key(hk, level, n);
        k = (MDB_val){9, hk};
        v = (MDB_val){CERTLIB_TLOG_HASH_LEN, h};
        if ((rc = mdb_put(txn, log->hashes, &k, &v, 0)) != MDB_SUCCESS) return rc;
        if (!(n & 1)) break;
        /* a right child completes its parent: combine with the left sibling, stored before */
        hash_key(hk, level, n - 1);
        k = (MDB_val){9, hk};
        if ((rc = mdb_get(txn, log->hashes, &k, &v)) != MDB_SUCCESS) return rc;
        if (v.mv_size != CERTLIB_TLOG_HASH_LEN) return MDB_CORRUPTED;
        certlib_tlog_node_hash(v.mv_data, h, h);
        level++;
        n >>= 1;
    }
    log->pending_size = i + 1;
    *index = i;
    return MDB_SUCCESS;
}

uint64_t authd_log_next_index(const struct authd_log *log)
{
    return log->pending_size;
}

void authd_log_rollback(struct authd_log *log)
{
    if (!log) return;
    log->pending_size = log->durable_size;
}

static certlib_err read_hash(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    MDB_txn *txn = ((void **)arg)[0];
    const struct authd_log *log = ((void **)arg)[1];
    uint8_t hk[9];
    hash_key(hk, level, index);
    MDB_val k = {9, hk}, v;
    int rc = mdb_get(txn, log->hashes, &k, &v);
    if (rc != MDB_SUCCESS || v.mv_size != CERTLIB_TLOG_HASH_LEN) return CERTLIB_E_IO_READ;
    memcpy(out, v.mv_data, CERTLIB_TLOG_HASH_LEN);
    return CERTLIB_OK;
}

int authd_log_publish(struct authd_log *log)
{
    if (!log) return 0;
    log->durable_size = log->pending_size;
    uint64_t size = log->durable_size;
    pthread_mutex_lock(&log->lock);
    int have = log->checkpoint_len && log->published_size == size;
    pthread_mutex_unlock(&log->lock);
    if (have) return 0;

    MDB_txn *txn;
    if (mdb_txn_begin(log->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return -1;
    certlib_checkpoint cp = {.size = size};
    memcpy(cp.origin, log->origin, sizeof(cp.origin));
    void *arg[2] = {txn, log};
    certlib_err e = certlib_tlog_root(size, read_hash, arg, cp.root);
    mdb_txn_abort(txn);
    char text[512], note[AUTHD_CHECKPOINT_MAX];
    size_t tlen, nlen;
    if (e || certlib_checkpoint_format(&cp, text, sizeof(text), &tlen) != CERTLIB_OK ||
        certlib_note_sign(text, tlen, log->origin, log->sk, note, sizeof(note), &nlen) != CERTLIB_OK)
        return -1;
    pthread_mutex_lock(&log->lock);
    memcpy(log->checkpoint, note, nlen);
    log->checkpoint_len = nlen;
    log->published_size = size;
    pthread_mutex_unlock(&log->lock);
    return 0;
}

size_t authd_log_checkpoint(struct authd_log *log, char out[AUTHD_CHECKPOINT_MAX], uint64_t *size)
{
    pthread_mutex_lock(&log->lock);
    size_t n = log->checkpoint_len;
    memcpy(out, log->checkpoint, n);
    if (size) *size = log->published_size;
    pthread_mutex_unlock(&log->lock);
    return n;
}

static uint64_t published(struct authd_log *log)
{
    pthread_mutex_lock(&log->lock);
    uint64_t size = log->published_size;
    pthread_mutex_unlock(&log->lock);
    return size;
}

int authd_log_tile(struct authd_log *log, const certlib_tile *t, uint8_t **out, size_t *len)
{
    uint64_t size = published(log);
    unsigned shift = t->level < 0 ? 0 : (unsigned)t->level * CERTLIB_TLOG_TILE_HEIGHT;
    uint64_t count = shift >= 64 ? 0 : size >> shift, start = t->index * CERTLIB_TLOG_TILE_WIDTH;
    if (t->index > UINT64_MAX / CERTLIB_TLOG_TILE_WIDTH || count <= start || count - start < t->width)
        return AUTHD_LOG_NOT_FOUND;
    MDB_txn *txn;
    MDB_cursor *cur;
    if (mdb_txn_begin(log->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return AUTHD_LOG_ERROR;
    if (mdb_cursor_open(txn, t->level < 0 ? log->entries : log->hashes, &cur) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return AUTHD_LOG_ERROR;
    }
    uint8_t kb[9];
    MDB_val k, v;
    if (t->level < 0) {
        be64(kb, start);
        k = (MDB_val){8, kb};
    } else {
        hash_key(kb, shift, start);
        k = (MDB_val){9, kb};
    }
    size_t cap = t->level < 0 ? 4096 : (size_t)t->width * CERTLIB_TLOG_HASH_LEN, n = 0;
    uint8_t *buf = malloc(cap);
    int rc = buf ? mdb_cursor_get(cur, &k, &v, MDB_SET_KEY) : ENOMEM;
    for (unsigned i = 0; rc == MDB_SUCCESS && i < t->width; i++) {
        if (i) rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        if (rc != MDB_SUCCESS) break;
        size_t need = t->level < 0 ? 2 + v.mv_size : CERTLIB_TLOG_HASH_LEN;
        if ((t->level >= 0 && v.mv_size != CERTLIB_TLOG_HASH_LEN) || v.mv_size > CERTLIB_TLOG_ENTRY_MAX) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (n + need > cap) {
            size_t ncap = cap * 2 + need;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                rc = ENOMEM;
                break;
            }
            buf = nb, cap = ncap;
        }
        if (t->level < 0) {
            buf[n++] = (uint8_t)(v.mv_size >> 8);
            buf[n++] = (uint8_t)v.mv_size;
        }
        memcpy(buf + n, v.mv_data, v.mv_size);
        n += v.mv_size;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc != MDB_SUCCESS) {
        free(buf);
        return AUTHD_LOG_ERROR;
    }
    *out = buf;
    *len = n;
    return AUTHD_LOG_OK;
}

int authd_log_each(struct authd_log *log,
                   int (*fn)(uint64_t index, const uint8_t *entry, size_t len, void *arg), void *arg)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    if (mdb_txn_begin(log->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return AUTHD_LOG_ERROR;
    if (mdb_cursor_open(txn, log->entries, &cur) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return AUTHD_LOG_ERROR;
    }
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST), result = 0;
    for (uint64_t i = 0; rc == MDB_SUCCESS && i < log->durable_size && result == 0; i++) {
        if (k.mv_size != 8 || read_be64(k.mv_data) != i) { /* a gap: the log is damaged */
            result = AUTHD_LOG_ERROR;
            break;
        }
        result = fn(i, v.mv_data, v.mv_size, arg);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (result) return result;
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? 0 : AUTHD_LOG_ERROR;
}

int authd_log_entry(struct authd_log *log, uint64_t index, uint8_t **out, size_t *len)
{
    if (index >= published(log)) return AUTHD_LOG_NOT_FOUND;
    MDB_txn *txn;
    if (mdb_txn_begin(log->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return AUTHD_LOG_ERROR;
    uint8_t kb[8];
    be64(kb, index);
    MDB_val k = {8, kb}, v;
    int result = AUTHD_LOG_ERROR;
    if (mdb_get(txn, log->entries, &k, &v) == MDB_SUCCESS && (*out = malloc(v.mv_size ? v.mv_size : 1))) {
        memcpy(*out, v.mv_data, v.mv_size);
        *len = v.mv_size;
        result = AUTHD_LOG_OK;
    }
    mdb_txn_abort(txn);
    return result;
}

typedef certlib_err (*prover)(uint64_t a, uint64_t b, certlib_tlog_reader read, void *arg,
                              certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n);

static int prove(struct authd_log *log, prover fn, uint64_t a, uint64_t size,
                 certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n)
{
    if (size > published(log)) return AUTHD_LOG_NOT_FOUND;
    MDB_txn *txn;
    if (mdb_txn_begin(log->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return AUTHD_LOG_ERROR;
    void *arg[2] = {txn, log};
    certlib_err e = fn(a, size, read_hash, arg, proof, n);
    mdb_txn_abort(txn);
    if (e == CERTLIB_E_TLOG_INDEX) return AUTHD_LOG_NOT_FOUND;
    return e ? AUTHD_LOG_ERROR : AUTHD_LOG_OK;
}

int authd_log_inclusion(struct authd_log *log, uint64_t index, uint64_t size,
                        certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n)
{
    return prove(log, certlib_tlog_inclusion_proof, index, size, proof, n);
}

int authd_log_consistency(struct authd_log *log, uint64_t old_size, uint64_t size,
                          certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n)
{
    return prove(log, certlib_tlog_consistency_proof, old_size, size, proof, n);
}

int authd_log_receipt(struct authd_log *log, uint64_t index, char **out, size_t *len)
{
    char cp[AUTHD_CHECKPOINT_MAX];
    uint64_t size;
    size_t cp_len = authd_log_checkpoint(log, cp, &size);
    if (index >= size) return AUTHD_LOG_NOT_FOUND;
    uint8_t *entry;
    size_t entry_len;
    int rc = authd_log_entry(log, index, &entry, &entry_len);
    if (rc != AUTHD_LOG_OK) return rc;
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
    size_t n;
    if ((rc = authd_log_inclusion(log, index, size, proof, &n)) == AUTHD_LOG_OK) {
        size_t cap = 4096 + cp_len + entry_len * 2;
        *out = malloc(cap);
        if (!*out || certlib_tlog_proof_format(index, (const certlib_tlog_hash *)proof, n, entry, entry_len,
                                               cp, cp_len, *out, cap, len) != CERTLIB_OK) {
            free(*out);
            rc = AUTHD_LOG_ERROR;
        }
    }
    free(entry);
    return rc;
}
