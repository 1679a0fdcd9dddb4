/* LMDB environment, schema version, encrypted licence records and the keyed holder index. */
#include <errno.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certlib/status.h"
#include "log_entries.h"
#include "log_store.h"
#include "store.h"

struct authd_store {
    MDB_env *env;
    MDB_dbi meta, licences, holders;
    struct authd_log *sig_log, *access_log;
    uint8_t *keys; /* sodium_malloc: encryption key, holder-index key, header MAC key (KEY_* below) */
};

#define KEY_ENC 0
#define KEY_INDEX 32
#define KEY_MAC 64

/* Record layout: version, status, list_no (4), status_idx (4), issued_at (8), type code (21), issuer
 * code (18), signature-log index (8; all ones when the store keeps no log), header MAC (16), nonce (24),
 * ciphertext. Bytes [2, HEADER_LEN) are immutable and authenticated with the id as the AEAD's associated
 * data. The MAC (keyed BLAKE2b over the id and the whole header) covers the status too, which changes,
 * so that patching one byte of the file cannot un-revoke a licence: a status without a valid MAC makes
 * the record unreadable and start-up refuse. The log index lives here rather than in an index of its
 * own: a second random-key B-tree insert per issuance cost 10% of throughput (bench/tlog). */
#define RECORD_VERSION 3
#define HEADER_LEN (2 + 4 + 4 + 8 + 21 + 18 + 8)
#define MAC_LEN 16
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define BODY_AT (HEADER_LEN + MAC_LEN) /* where the nonce starts */

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

static void encode_u64(uint8_t out[8], uint64_t v)
{
    encode_u32(out, (uint32_t)(v >> 32));
    encode_u32(out + 4, (uint32_t)v);
}

static uint32_t decode_u32(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

/* The data key file holds 64 hex digits; the two working keys are derived from it (libsodium KDF), so
 * the encryption key and the index key are independent. */
static int load_keys(struct authd_store *s, const char *path, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return snprintf(err, err_cap, "data key %s: %s", path, strerror(errno)), -1;
    char hex[80] = {0};
    size_t n = fread(hex, 1, sizeof(hex) - 1, f);
    fclose(f);
    while (n && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
        n--;
    uint8_t *master = sodium_malloc(32);
    s->keys = sodium_malloc(96);
    size_t bin_len = 0;
    int rc = -1;
    if (!master || !s->keys)
        snprintf(err, err_cap, "data key: out of protected memory");
    else if (n != 64 || sodium_hex2bin(master, 32, hex, n, NULL, &bin_len, NULL) != 0 || bin_len != 32)
        snprintf(err, err_cap, "data key %s: expected 64 hexadecimal digits", path);
    else if (crypto_kdf_derive_from_key(s->keys + KEY_ENC, 32, 1, "authdenc", master) != 0 ||
             crypto_kdf_derive_from_key(s->keys + KEY_INDEX, 32, 2, "authdidx", master) != 0 ||
             crypto_kdf_derive_from_key(s->keys + KEY_MAC, 32, 3, "authdmac", master) != 0)
        snprintf(err, err_cap, "data key: derivation failed");
    else
        rc = 0;
    sodium_memzero(hex, sizeof(hex));
    if (master) sodium_free(master);
    if (rc == 0) sodium_mprotect_readonly(s->keys);
    return rc;
}

/* The header MAC: keyed BLAKE2b-128 over the id's length, the id and the header. */
static void header_mac(const struct authd_store *s, const char *id, size_t id_len, const uint8_t *header,
                       uint8_t out[MAC_LEN])
{
    crypto_generichash_state st;
    uint8_t n = (uint8_t)id_len; /* ids are shorter than CERTLIB_LICENCE_ID_MAX < 256 */
    crypto_generichash_init(&st, s->keys + KEY_MAC, 32, MAC_LEN);
    crypto_generichash_update(&st, &n, 1);
    crypto_generichash_update(&st, (const uint8_t *)id, id_len);
    crypto_generichash_update(&st, header, HEADER_LEN);
    crypto_generichash_final(&st, out, MAC_LEN);
}

/* Schema 2 records had no header MAC: each gets one, in batches small enough for LMDB's dirty-page
 * limit, and the schema version moves to 3 last. An interrupted upgrade resumes: records carry their
 * own version. Statuses are taken as they are; start-up then checks them against the signature log. */
#define UPGRADE_BATCH 4096

static int upgrade_record(struct authd_store *s, MDB_txn *txn, const char *id, size_t id_len)
{
    MDB_val k = {id_len, (void *)id}, v;
    int rc = mdb_get(txn, s->licences, &k, &v);
    if (rc != MDB_SUCCESS) return rc;
    uint8_t *copy = malloc(v.mv_size);
    if (!copy) return ENOMEM;
    memcpy(copy, v.mv_data, v.mv_size);
    MDB_val fresh = {v.mv_size + MAC_LEN, NULL};
    if ((rc = mdb_put(txn, s->licences, &k, &fresh, MDB_RESERVE)) == MDB_SUCCESS) {
        uint8_t *rec = fresh.mv_data;
        memcpy(rec, copy, HEADER_LEN);
        rec[0] = RECORD_VERSION;
        header_mac(s, id, id_len, rec, rec + HEADER_LEN);
        memcpy(rec + BODY_AT, copy + HEADER_LEN, v.mv_size - HEADER_LEN);
    }
    free(copy);
    return rc;
}

static int upgrade_batch(struct authd_store *s, size_t *done, bool *finished)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc != MDB_SUCCESS) return rc;
    if ((rc = mdb_cursor_open(txn, s->licences, &cur)) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return rc;
    }
    /* The batch's ids first (the cursor's pages move under writes), then the rewrites. */
    char(*ids)[CERTLIB_LICENCE_ID_MAX] = malloc(UPGRADE_BATCH * sizeof(*ids));
    size_t n = 0, *lens = malloc(UPGRADE_BATCH * sizeof(*lens));
    if (!ids || !lens) {
        free(ids);
        free(lens);
        mdb_cursor_close(cur);
        mdb_txn_abort(txn);
        return ENOMEM;
    }
    MDB_val k, v;
    *finished = true;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *rec = v.mv_data;
        if (v.mv_size < HEADER_LEN + NONCE_LEN + TAG_LEN || rec[0] != 2 ||
            k.mv_size >= CERTLIB_LICENCE_ID_MAX)
            continue; /* upgraded already, or not a record */
        if (n == UPGRADE_BATCH) {
            *finished = false;
            break;
        }
        memcpy(ids[n], k.mv_data, k.mv_size);
        lens[n++] = k.mv_size;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND || rc == MDB_SUCCESS) rc = MDB_SUCCESS;
    for (size_t i = 0; rc == MDB_SUCCESS && i < n; i++)
        rc = upgrade_record(s, txn, ids[i], lens[i]);
    free(ids);
    free(lens);
    if (rc == MDB_SUCCESS && *finished) {
        MDB_val key = {sizeof(schema_key) - 1, (void *)schema_key};
        uint8_t version[4];
        encode_u32(version, AUTHD_SCHEMA_VERSION);
        MDB_val val = {4, version};
        rc = mdb_put(txn, s->meta, &key, &val, 0);
    }
    if (rc != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return rc;
    }
    *done += n;
    return mdb_txn_commit(txn);
}

static int upgrade_from_2(struct authd_store *s)
{
    size_t done = 0;
    bool finished = false;
    fprintf(stderr,
            "authd: upgrading the store from schema version 2 to %u (a MAC over every record's "
            "header)\n",
            AUTHD_SCHEMA_VERSION);
    while (!finished) {
        int rc = upgrade_batch(s, &done, &finished);
        if (rc != MDB_SUCCESS) return rc;
        if (!finished) fprintf(stderr, "authd: upgraded %zu records\n", done);
    }
    fprintf(stderr, "authd: store upgraded: %zu records\n", done);
    return MDB_SUCCESS;
}

int authd_store_open(struct authd_store **out, const char *dir, size_t map_bytes, const char *data_key_file,
                     const struct authd_store_logs *logs, char *err, size_t err_cap)
{
    struct authd_store *s = calloc(1, sizeof(*s));
    MDB_txn *txn = NULL;
    int rc;
    const char *step = "";
    if (!s || sodium_init() < 0) {
        snprintf(err, err_cap, "out of memory");
        free(s);
        return -1;
    }
    if (load_keys(s, data_key_file, err, err_cap) != 0) {
        if (s->keys) sodium_free(s->keys);
        free(s);
        return -1;
    }
    if ((rc = mkdirs(dir)) != 0) {
        snprintf(err, err_cap, "data directory %s: %s", dir, strerror(rc));
        sodium_free(s->keys);
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
    TRY(mdb_dbi_open(txn, "licences", MDB_CREATE, &s->licences), "opening the licences database");
    TRY(mdb_dbi_open(txn, "holders", MDB_CREATE | MDB_DUPSORT, &s->holders), "opening the holders database");
    if (logs && (authd_log_open(&s->sig_log, s->env, txn, "signatures", logs->signatures_origin,
                                logs->signatures_key, err, err_cap) != 0 ||
                 authd_log_open(&s->access_log, s->env, txn, "access", logs->access_origin, logs->access_key,
                                err, err_cap) != 0)) {
        mdb_txn_abort(txn);
        authd_store_close(s);
        return -1;
    }

    MDB_val key = {sizeof(schema_key) - 1, (void *)schema_key}, val;
    bool upgrade = false;
    rc = mdb_get(txn, s->meta, &key, &val);
    if (rc == MDB_NOTFOUND) {
        uint8_t v[4];
        encode_u32(v, AUTHD_SCHEMA_VERSION);
        val = (MDB_val){4, v};
        TRY(mdb_put(txn, s->meta, &key, &val, 0), "writing the schema version");
    } else if (rc != MDB_SUCCESS) {
        step = "reading the schema version";
        goto fail;
    } else if (val.mv_size == 4 && decode_u32(val.mv_data) == 2) {
        upgrade = true; /* after this transaction, in batches of its own */
    } else if (val.mv_size != 4 || decode_u32(val.mv_data) != AUTHD_SCHEMA_VERSION) {
        snprintf(err, err_cap, "data directory %s holds schema version %u; this authd uses %u", dir,
                 val.mv_size == 4 ? decode_u32(val.mv_data) : 0, AUTHD_SCHEMA_VERSION);
        mdb_txn_abort(txn);
        authd_store_close(s);
        return -1;
    }
    rc = mdb_txn_commit(txn);
    txn = NULL; /* freed by the commit, whatever its outcome */
    step = "committing the schema version";
    if (rc != MDB_SUCCESS) goto fail;
    step = "upgrading the store from schema version 2";
    if (upgrade && (rc = upgrade_from_2(s)) != MDB_SUCCESS) goto fail;
#undef TRY
    if (authd_log_publish(s->sig_log) != 0 || authd_log_publish(s->access_log) != 0) {
        snprintf(err, err_cap, "data directory %s: the logs' checkpoints cannot be signed", dir);
        authd_store_close(s);
        return -1;
    }
    *out = s;
    return 0;
fail:
    snprintf(err, err_cap, "data directory %s: %s: %s", dir, step, mdb_strerror(rc));
    if (txn) mdb_txn_abort(txn);
    authd_store_close(s);
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
    authd_log_close(s->sig_log);
    authd_log_close(s->access_log);
    if (s->env) mdb_env_close(s->env);
    if (s->keys) sodium_free(s->keys); /* wipes */
    free(s);
}

struct authd_log *authd_store_signature_log(struct authd_store *s)
{
    return s->sig_log;
}

struct authd_log *authd_store_access_log(struct authd_store *s)
{
    return s->access_log;
}

int authd_store_receipt_index(struct authd_store *s, const char *id, size_t id_len, uint64_t *index)
{
    struct authd_licence_meta meta;
    int rc = authd_store_get(s, id, id_len, &meta, NULL, NULL);
    if (rc != AUTHD_STORE_OK) return rc;
    if (meta.log_index == UINT64_MAX) return AUTHD_STORE_NOT_FOUND;
    *index = meta.log_index;
    return AUTHD_STORE_OK;
}

void authd_store_holder_key(const struct authd_store *s, const char *holder_id, size_t len,
                            uint8_t out[AUTHD_HOLDER_KEY_LEN])
{
    crypto_generichash(out, AUTHD_HOLDER_KEY_LEN, (const uint8_t *)holder_id, len, s->keys + KEY_INDEX, 32);
}

static void write_header(uint8_t *h, const struct authd_licence_meta *m)
{
    h[0] = RECORD_VERSION;
    h[1] = m->status;
    encode_u32(h + 2, m->list_no);
    encode_u32(h + 6, m->status_idx);
    encode_u32(h + 10, (uint32_t)((uint64_t)m->issued_at >> 32));
    encode_u32(h + 14, (uint32_t)m->issued_at);
    memcpy(h + 18, m->type_code, 21);
    memcpy(h + 39, m->issuer_code, 18);
    encode_u64(h + 57, m->log_index);
}

/* The record's header, once its MAC verified: -1 for a record that is too short, of another version,
 * or altered. */
static int read_header(const struct authd_store *s, const char *id, size_t id_len, const MDB_val *v,
                       struct authd_licence_meta *m)
{
    const uint8_t *h = v->mv_data;
    uint8_t mac[MAC_LEN];
    if (v->mv_size < BODY_AT + NONCE_LEN + TAG_LEN || h[0] != RECORD_VERSION ||
        id_len >= CERTLIB_LICENCE_ID_MAX)
        return -1;
    header_mac(s, id, id_len, h, mac);
    if (sodium_memcmp(mac, h + HEADER_LEN, MAC_LEN) != 0) return -1;
    m->status = h[1];
    m->list_no = decode_u32(h + 2);
    m->status_idx = decode_u32(h + 6);
    m->issued_at = (int64_t)((uint64_t)decode_u32(h + 10) << 32 | decode_u32(h + 14));
    memcpy(m->type_code, h + 18, 21);
    m->type_code[21] = '\0';
    memcpy(m->issuer_code, h + 39, 18);
    m->issuer_code[18] = '\0';
    m->log_index = (uint64_t)decode_u32(h + 57) << 32 | decode_u32(h + 61);
    return 0;
}

/* Associated data: the licence id and the immutable header, so a record cannot be moved to another
 * id or have its list place or type swapped without failing to decrypt. */
static size_t make_ad(uint8_t *ad, const char *id, size_t id_len, const uint8_t *header)
{
    memcpy(ad, id, id_len);
    memcpy(ad + id_len, header + 2, HEADER_LEN - 2);
    return id_len + HEADER_LEN - 2;
}

static int put_licence(struct authd_store *s, MDB_txn *txn, struct authd_store_write *w)
{
    size_t id_len = strlen(w->licence_id);
    MDB_val key = {id_len, w->licence_id}, val = {BODY_AT + NONCE_LEN + w->licence_len + TAG_LEN, NULL};
    int rc = mdb_put(txn, s->licences, &key, &val, MDB_NOOVERWRITE | MDB_RESERVE);
    if (rc == MDB_KEYEXIST) return w->result = AUTHD_STORE_EXISTS, 0;
    if (rc != MDB_SUCCESS) return rc;
    uint8_t *rec = val.mv_data, ad[CERTLIB_LICENCE_ID_MAX + HEADER_LEN];
    /* the index the issuance's log entry will get, appended below: the record is written first because
     * MDB_RESERVE's space is only valid until the next write */
    w->meta.log_index = s->sig_log ? authd_log_next_index(s->sig_log) : UINT64_MAX;
    write_header(rec, &w->meta);
    header_mac(s, w->licence_id, id_len, rec, rec + HEADER_LEN);
    randombytes_buf(rec + BODY_AT, NONCE_LEN);
    size_t ad_len = make_ad(ad, w->licence_id, id_len, rec);
    crypto_aead_xchacha20poly1305_ietf_encrypt(rec + BODY_AT + NONCE_LEN, NULL, w->licence, w->licence_len,
                                               ad, ad_len, NULL, rec + BODY_AT, s->keys + KEY_ENC);
    MDB_val hkey = {AUTHD_HOLDER_KEY_LEN, w->holder_key}, hval = {id_len, w->licence_id};
    if ((rc = mdb_put(txn, s->holders, &hkey, &hval, MDB_NODUPDATA)) != MDB_SUCCESS && rc != MDB_KEYEXIST)
        return rc;
    w->result = AUTHD_STORE_OK;
    if (!s->sig_log) return 0;
    char entry[CERTLIB_LOG_ENTRY_MAX];
    size_t entry_len = authd_log_entry_issue(entry, w->licence_id, &w->meta, w->sig_hash);
    if (!entry_len) return MDB_BAD_VALSIZE;
    if ((rc = authd_log_append(s->sig_log, txn, (const uint8_t *)entry, entry_len, &w->log_index)) !=
        MDB_SUCCESS)
        return rc;
    return w->log_index == w->meta.log_index ? 0 : MDB_CORRUPTED;
}

static int set_status(struct authd_store *s, MDB_txn *txn, struct authd_store_write *w)
{
    size_t id_len = strlen(w->licence_id);
    MDB_val key = {id_len, w->licence_id}, val;
    int rc = mdb_get(txn, s->licences, &key, &val);
    if (rc == MDB_NOTFOUND) return w->result = AUTHD_STORE_NOT_FOUND, 0;
    if (rc != MDB_SUCCESS) return rc;
    if (read_header(s, w->licence_id, id_len, &val, &w->before) != 0) return MDB_CORRUPTED;
    /* Checked here, inside the transaction, so two concurrent changes cannot both pass. */
    if (w->before.status == CERTLIB_STATUS_VALUE_REVOKED && w->meta.status != CERTLIB_STATUS_VALUE_REVOKED)
        return w->result = AUTHD_STORE_CONFLICT, 0;
    /* The status byte is outside the associated data: rewrite the record with the new status and its
     * MAC, the same bytes otherwise. */
    MDB_val copy = {val.mv_size, NULL};
    uint8_t *old = malloc(val.mv_size);
    if (!old) return ENOMEM;
    memcpy(old, val.mv_data, val.mv_size);
    if ((rc = mdb_put(txn, s->licences, &key, &copy, MDB_RESERVE)) == MDB_SUCCESS) {
        uint8_t *rec = copy.mv_data;
        memcpy(rec, old, val.mv_size);
        rec[1] = w->meta.status;
        header_mac(s, w->licence_id, id_len, rec, rec + HEADER_LEN);
    }
    free(old);
    if (rc != MDB_SUCCESS) return rc;
    w->result = AUTHD_STORE_OK;
    if (!s->sig_log) return 0;
    char entry[CERTLIB_LOG_ENTRY_MAX];
    size_t entry_len =
        authd_log_entry_status(entry, w->licence_id, &w->before, w->meta.status, w->time, w->reason);
    if (!entry_len) return MDB_BAD_VALSIZE;
    if ((rc = authd_log_append(s->sig_log, txn, (const uint8_t *)entry, entry_len, &w->log_index)) !=
        MDB_SUCCESS)
        return rc;
    return 0;
}

int authd_store_apply(struct authd_store *s, struct authd_store_write *writes, size_t n, char *err,
                      size_t err_cap)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    for (size_t i = 0; rc == MDB_SUCCESS && i < n; i++) {
        writes[i].result = AUTHD_STORE_ERROR;
        switch (writes[i].kind) {
        case AUTHD_WRITE_ISSUE:
            rc = put_licence(s, txn, &writes[i]);
            break;
        case AUTHD_WRITE_STATUS:
            rc = set_status(s, txn, &writes[i]);
            break;
        case AUTHD_WRITE_ACCESS:
            if (!s->access_log) {
                writes[i].result = AUTHD_STORE_OK;
                break;
            }
            rc = authd_log_append(s->access_log, txn, (const uint8_t *)writes[i].entry, writes[i].entry_len,
                                  &writes[i].log_index);
            if (rc == MDB_SUCCESS) writes[i].result = AUTHD_STORE_OK;
            break;
        }
    }
    if (rc == MDB_SUCCESS) {
        rc = mdb_txn_commit(txn); /* fsync: durable when this returns */
    } else {
        mdb_txn_abort(txn);
    }
    if (rc != MDB_SUCCESS) {
        authd_log_rollback(s->sig_log);
        authd_log_rollback(s->access_log);
        for (size_t i = 0; i < n; i++)
            writes[i].result = AUTHD_STORE_ERROR;
        snprintf(err, err_cap, "store write: %s", rc == ENOMEM ? "out of memory" : mdb_strerror(rc));
        return -1;
    }
    /* Durable: now, and only now, sign checkpoints covering the new entries. */
    if (authd_log_publish(s->sig_log) != 0 || authd_log_publish(s->access_log) != 0)
        fprintf(stderr,
                "authd: committed, but a log checkpoint could not be signed; retrying with the next write\n");
    return 0;
}

int authd_store_get(struct authd_store *s, const char *id, size_t id_len, struct authd_licence_meta *meta,
                    uint8_t **licence, size_t *licence_len)
{
    MDB_txn *txn;
    if (id_len == 0 || id_len >= CERTLIB_LICENCE_ID_MAX) return AUTHD_STORE_NOT_FOUND;
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return AUTHD_STORE_ERROR;
    MDB_val key = {id_len, (void *)id}, val;
    int rc = mdb_get(txn, s->licences, &key, &val), result = AUTHD_STORE_ERROR;
    if (rc == MDB_NOTFOUND) {
        result = AUTHD_STORE_NOT_FOUND;
    } else if (rc == MDB_SUCCESS && read_header(s, id, id_len, &val, meta) == 0) {
        result = AUTHD_STORE_OK;
        if (licence) {
            const uint8_t *rec = val.mv_data;
            size_t clen = val.mv_size - BODY_AT - NONCE_LEN;
            uint8_t ad[CERTLIB_LICENCE_ID_MAX + HEADER_LEN];
            size_t ad_len = make_ad(ad, id, id_len, rec);
            unsigned long long mlen;
            uint8_t *plain = malloc(clen);
            if (!plain || crypto_aead_xchacha20poly1305_ietf_decrypt(
                              plain, &mlen, NULL, rec + BODY_AT + NONCE_LEN, clen, ad, ad_len, rec + BODY_AT,
                              s->keys + KEY_ENC) != 0) {
                free(plain);
                result = AUTHD_STORE_ERROR; /* tampered, or another data key */
            } else {
                *licence = plain;
                *licence_len = (size_t)mlen;
            }
        }
    }
    mdb_txn_abort(txn);
    return result;
}

int authd_store_holder_licences(struct authd_store *s, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                char (*ids)[CERTLIB_LICENCE_ID_MAX], size_t max, size_t *n)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    *n = 0;
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return AUTHD_STORE_ERROR;
    if (mdb_cursor_open(txn, s->holders, &cur) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return AUTHD_STORE_ERROR;
    }
    MDB_val k = {AUTHD_HOLDER_KEY_LEN, (void *)key}, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    while (rc == MDB_SUCCESS && *n < max) {
        if (v.mv_size < CERTLIB_LICENCE_ID_MAX) {
            memcpy(ids[*n], v.mv_data, v.mv_size);
            ids[(*n)++][v.mv_size] = '\0';
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? AUTHD_STORE_OK : AUTHD_STORE_ERROR;
}

int authd_store_each(struct authd_store *s,
                     int (*fn)(const char *id, size_t id_len, const struct authd_licence_meta *meta,
                               void *arg),
                     void *arg)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) return AUTHD_STORE_ERROR;
    if (mdb_cursor_open(txn, s->licences, &cur) != MDB_SUCCESS) {
        mdb_txn_abort(txn);
        return AUTHD_STORE_ERROR;
    }
    MDB_val k, v;
    int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST), result = 0;
    while (rc == MDB_SUCCESS && result == 0) {
        struct authd_licence_meta m;
        if (read_header(s, k.mv_data, k.mv_size, &v, &m) != 0) {
            result = AUTHD_STORE_CORRUPT;
            break;
        }
        result = fn(k.mv_data, k.mv_size, &m, arg);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (result) return result;
    return rc == MDB_NOTFOUND ? 0 : AUTHD_STORE_ERROR;
}
