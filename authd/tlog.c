/* Merkle logs over the storage interface (tlog.h): checkpoints, tiles, proofs and receipts. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "ed25519_key.h"
#include "monotonic.h"
#include "pkcs11_key.h"
#include "tlog.h"

/* How often at most the published checkpoint is saved to the state file: a state that trails the store
 * is accepted at start-up, so saving it on every publish would only cost the writer fsyncs. */
#define STATE_SAVE_INTERVAL_MS 1000

struct authd_log {
    struct authd_storage *storage;
    enum authd_log_id id;
    char origin[CERTLIB_CHECKPOINT_ORIGIN_MAX];
    char vkey[CERTLIB_NOTE_NAME_MAX + 80];
    certlib_note_verifier verifier;
    uint8_t *sk;               /* sodium_malloc: libsodium's 64-byte Ed25519 secret key, or */
    struct authd_p11_key *p11; /* the key in a PKCS#11 token */
    uint8_t pk[32];
    pthread_mutex_t publishing; /* one publisher at a time: the writer, and a shared store's follower */
    pthread_mutex_t lock;       /* guards what follows */
    uint64_t published_size;
    char checkpoint[AUTHD_CHECKPOINT_MAX];
    size_t checkpoint_len;
    /* The newest checkpoint enough witnesses cosigned, with their cosignatures (witnessing.c). */
    char witnessed[AUTHD_CHECKPOINT_MAX];
    size_t witnessed_len;
    uint64_t witnessed_size;
    int64_t witnessed_at;
    /* The state file (log_state.h), the publisher's: the size last saved there, and when. */
    char *state_path;
    uint64_t state_size;
    int64_t state_saved_ms;
    bool state_failed; /* a failure is reported once, not on every publish */
};

static authd_err load_key(struct authd_log *log, const char *path, char *err, size_t err_cap)
{
    uint8_t *pk = log->pk;
    authd_err rc;
    if (authd_is_pkcs11_uri(path)) {
        char why[400];
        rc = authd_p11_key_open(path, &log->p11, why, sizeof(why));
        if (!rc) rc = authd_p11_key_ed25519_public(log->p11, pk, why, sizeof(why));
        if (rc) snprintf(err, err_cap, "log key: %s", why);
    } else {
        rc = authd_ed25519_key_load(path, "log key", &log->sk, pk, err, err_cap);
    }
    if (rc) return rc;
    if (certlib_note_verifier_from_key(log->origin, pk, &log->verifier) != CERTLIB_OK ||
        certlib_note_verifier_format(&log->verifier, log->vkey, sizeof(log->vkey)) != CERTLIB_OK)
        return snprintf(err, err_cap, "log origin '%s' is not a valid key name (no spaces or '+')",
                        log->origin),
               AUTHD_E_CONFIG;
    return AUTHD_OK;
}

/* The log's signature on a note, with its key file's key or in its token. */
static certlib_err sign_note(struct authd_log *log, const char *text, size_t len, char *out, size_t cap,
                             size_t *out_len)
{
    if (log->p11)
        return certlib_note_sign_with(text, len, log->origin, log->pk, authd_p11_sign, log->p11, out, cap,
                                      out_len);
    return certlib_note_sign(text, len, log->origin, log->sk, out, cap, out_len);
}

authd_err authd_log_open(struct authd_storage *storage, enum authd_log_id id, const char *origin,
                         const char *key_file, struct authd_log **out, char *err, size_t err_cap)
{
    *out = NULL;
    if (sodium_init() < 0) return snprintf(err, err_cap, "libsodium failed to initialise"), AUTHD_E_INTERNAL;
    struct authd_log *log = calloc(1, sizeof(*log));
    if (!log) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    log->storage = storage;
    log->id = id;
    pthread_mutex_init(&log->lock, NULL);
    pthread_mutex_init(&log->publishing, NULL);
    authd_err rc = AUTHD_OK;
    if (snprintf(log->origin, sizeof(log->origin), "%s", origin) >= (int)sizeof(log->origin))
        rc = AUTHD_E_CONFIG, snprintf(err, err_cap, "log origin too long");
    if (!rc) rc = load_key(log, key_file, err, err_cap);
    if (!rc && (rc = authd_log_publish(log)))
        snprintf(err, err_cap, "log %s: the checkpoint of the stored tree cannot be signed (%s)", origin,
                 authd_err_name(rc));
    if (rc) {
        authd_log_close(log);
        return rc;
    }
    *out = log;
    return AUTHD_OK;
}

static void save_state(struct authd_log *log, bool now)
{
    if (!log->state_path || log->state_size == log->published_size) return;
    int64_t t = authd_monotonic_ms();
    if (!now && t - log->state_saved_ms < STATE_SAVE_INTERVAL_MS) return;
    char note[AUTHD_CHECKPOINT_MAX];
    uint64_t size;
    size_t len = authd_log_checkpoint(log, note, &size);
    if (authd_write_file_atomic(log->state_path, note, len) != 0) {
        if (!log->state_failed)
            fprintf(stderr, "authd: log %s: cannot save its checkpoint to %s: %s\n", log->origin,
                    log->state_path, strerror(errno));
        log->state_failed = true;
        return;
    }
    log->state_failed = false;
    log->state_size = size;
    log->state_saved_ms = t;
}

void authd_log_keep_state(struct authd_log *log, const char *path)
{
    pthread_mutex_lock(&log->publishing);
    free(log->state_path);
    log->state_path = strdup(path);
    log->state_size = UINT64_MAX; /* saved by the next publish, whatever its size */
    save_state(log, true);
    pthread_mutex_unlock(&log->publishing);
}

void authd_log_close(struct authd_log *log)
{
    if (!log) return;
    save_state(log, true);
    free(log->state_path);
    if (log->sk) sodium_free(log->sk);
    authd_p11_key_close(log->p11);
    pthread_mutex_destroy(&log->lock);
    pthread_mutex_destroy(&log->publishing);
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

const certlib_note_verifier *authd_log_verifier(const struct authd_log *log)
{
    return &log->verifier;
}

static certlib_err read_hash(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    const struct authd_log *log = arg;
    return log->storage->ops->log_hashes(log->storage, log->id, level, index, 1, (certlib_tlog_hash *)out) ==
                   AUTHD_OK
               ? CERTLIB_OK
               : CERTLIB_E_IO_READ;
}

/* A tree's right border (storage.h's log_border), as certlib_tlog_root reads it. */
struct border {
    uint64_t size;
    certlib_tlog_hash hash[64];
};

static certlib_err read_border(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    const struct border *b = arg;
    if (level >= 64 || !((b->size >> level) & 1) || index != (b->size >> level) - 1)
        return CERTLIB_E_IO_READ; /* not a subtree of the root: certlib asked for something else */
    memcpy(out, b->hash[level], CERTLIB_TLOG_HASH_LEN);
    return CERTLIB_OK;
}

static authd_err publish(struct authd_log *log, bool committed);

static authd_err publish_and_save(struct authd_log *log, bool committed)
{
    if (!log) return AUTHD_OK;
    pthread_mutex_lock(&log->publishing);
    authd_err rc = publish(log, committed);
    if (!rc) save_state(log, false);
    pthread_mutex_unlock(&log->publishing);
    return rc;
}

authd_err authd_log_publish(struct authd_log *log)
{
    return publish_and_save(log, false);
}

authd_err authd_log_publish_committed(struct authd_log *log)
{
    return publish_and_save(log, true);
}

/* The tree to sign: with `committed`, the one the writer's last batch left, as the store remembers it
 * without a read when it can (a round trip to a shared database saved on every batch); otherwise the
 * durable tree, read. */
static authd_err tree_to_sign(struct authd_log *log, bool committed, struct border *border, bool *known)
{
    const struct authd_storage_ops *ops = log->storage->ops;
    *known = committed && ops->committed_border &&
             ops->committed_border(log->storage, log->id, &border->size, border->hash) == AUTHD_OK;
    if (*known) return AUTHD_OK;
    return ops->log_border(log->storage, log->id, &border->size, border->hash);
}

static authd_err publish(struct authd_log *log, bool committed)
{
    struct border border;
    bool remembered;
    authd_err rc = tree_to_sign(log, committed, &border, &remembered);
    if (rc) return rc;
    uint64_t size = border.size;
    pthread_mutex_lock(&log->lock);
    /* A remembered tree may trail one already signed: another node's appends, published by the
     * follower (peers.c) in between. The larger stays: a checkpoint never goes back. */
    int have =
        log->checkpoint_len && (remembered ? log->published_size >= size : log->published_size == size);
    pthread_mutex_unlock(&log->lock);
    if (have) return AUTHD_OK;

    certlib_checkpoint cp = {.size = size};
    memcpy(cp.origin, log->origin, sizeof(cp.origin));
    char text[512], note[AUTHD_CHECKPOINT_MAX];
    size_t tlen, nlen;
    if (certlib_tlog_root(size, read_border, &border, cp.root) != CERTLIB_OK) return AUTHD_E_IO;
    if (certlib_checkpoint_format(&cp, text, sizeof(text), &tlen) != CERTLIB_OK ||
        sign_note(log, text, tlen, note, sizeof(note), &nlen) != CERTLIB_OK)
        return AUTHD_E_INTERNAL;
    pthread_mutex_lock(&log->lock);
    memcpy(log->checkpoint, note, nlen);
    log->checkpoint_len = nlen;
    log->published_size = size;
    pthread_mutex_unlock(&log->lock);
    return AUTHD_OK;
}

static authd_err of_mark(certlib_err err)
{
    return err == CERTLIB_OK ? AUTHD_OK : err == CERTLIB_E_BUFFER_TOO_SMALL ? AUTHD_E_FULL : AUTHD_E_INTERNAL;
}

authd_err authd_log_mark_text(struct authd_log *log, certlib_mark *m, char *out, size_t cap, size_t *len)
{
    snprintf(m->origin, sizeof(m->origin), "%s", log->origin);
    return of_mark(certlib_mark_format(m, out, cap, len));
}

authd_err authd_log_sign_mark(struct authd_log *log, certlib_mark *m, char *out, size_t cap, size_t *len)
{
    char text[CERTLIB_MARK_MAX];
    size_t tlen;
    authd_err rc = authd_log_mark_text(log, m, text, sizeof(text), &tlen);
    return rc ? rc : of_mark(sign_note(log, text, tlen, out, cap, len));
}

authd_err authd_log_sign_mark_batch(struct authd_log *log, uint64_t size, const certlib_tlog_hash root,
                                    char *out, size_t cap, size_t *len)
{
    char text[CERTLIB_CHECKPOINT_ORIGIN_MAX + 128];
    size_t tlen;
    certlib_err err = certlib_mark_batch_format(log->origin, size, root, text, sizeof(text), &tlen);
    return of_mark(err ? err : sign_note(log, text, tlen, out, cap, len));
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

size_t authd_log_checkpoint_served(struct authd_log *log, char out[AUTHD_CHECKPOINT_MAX], uint64_t *size)
{
    pthread_mutex_lock(&log->lock);
    bool cosigned = log->witnessed_len && log->witnessed_size == log->published_size;
    size_t n = cosigned ? log->witnessed_len : log->checkpoint_len;
    memcpy(out, cosigned ? log->witnessed : log->checkpoint, n);
    if (size) *size = log->published_size;
    pthread_mutex_unlock(&log->lock);
    return n;
}

void authd_log_set_witnessed(struct authd_log *log, const char *note, size_t len, uint64_t size, int64_t now)
{
    if (len > AUTHD_CHECKPOINT_MAX) return;
    pthread_mutex_lock(&log->lock);
    if (size >= log->witnessed_size) {
        memcpy(log->witnessed, note, len);
        log->witnessed_len = len;
        log->witnessed_size = size;
        log->witnessed_at = now;
    }
    pthread_mutex_unlock(&log->lock);
}

bool authd_log_witnessed(struct authd_log *log, uint64_t *size, int64_t *at)
{
    pthread_mutex_lock(&log->lock);
    bool any = log->witnessed_len != 0;
    *size = log->witnessed_size;
    *at = log->witnessed_at;
    pthread_mutex_unlock(&log->lock);
    return any;
}

static uint64_t published(struct authd_log *log)
{
    pthread_mutex_lock(&log->lock);
    uint64_t size = log->published_size;
    pthread_mutex_unlock(&log->lock);
    return size;
}

/* An entry bundle: each entry with its big-endian 16-bit length (C2SP tlog-tiles). */
struct bundle {
    uint8_t *buf;
    size_t len, cap;
    authd_err err;
};

static int add_to_bundle(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    (void)index;
    struct bundle *b = arg;
    if (len > CERTLIB_TLOG_ENTRY_MAX) return b->err = AUTHD_E_CORRUPT, 1;
    if (b->len + 2 + len > b->cap) {
        size_t cap = b->cap * 2 + 2 + len;
        uint8_t *grown = realloc(b->buf, cap);
        if (!grown) return b->err = AUTHD_E_NOMEM, 1;
        b->buf = grown, b->cap = cap;
    }
    b->buf[b->len++] = (uint8_t)(len >> 8);
    b->buf[b->len++] = (uint8_t)len;
    memcpy(b->buf + b->len, entry, len);
    b->len += len;
    return 0;
}

authd_err authd_log_tile(struct authd_log *log, const certlib_tile *t, uint8_t **out, size_t *len)
{
    uint64_t size = published(log);
    unsigned shift = t->level < 0 ? 0 : (unsigned)t->level * CERTLIB_TLOG_TILE_HEIGHT;
    uint64_t count = shift >= 64 ? 0 : size >> shift, start = t->index * CERTLIB_TLOG_TILE_WIDTH;
    if (t->index > UINT64_MAX / CERTLIB_TLOG_TILE_WIDTH || count <= start || count - start < t->width)
        return AUTHD_E_NOT_FOUND;
    if (t->level >= 0) {
        certlib_tlog_hash *hashes = malloc((size_t)t->width * CERTLIB_TLOG_HASH_LEN);
        if (!hashes) return AUTHD_E_NOMEM;
        authd_err rc = log->storage->ops->log_hashes(log->storage, log->id, shift, start, t->width, hashes);
        if (rc) {
            free(hashes);
            return rc == AUTHD_E_NOT_FOUND ? AUTHD_E_CORRUPT
                                           : rc; /* the tree has them: they must be stored */
        }
        *out = (uint8_t *)hashes;
        *len = (size_t)t->width * CERTLIB_TLOG_HASH_LEN;
        return AUTHD_OK;
    }
    struct bundle b = {.cap = 4096};
    if (!(b.buf = malloc(b.cap))) return AUTHD_E_NOMEM;
    authd_err rc = log->storage->ops->log_entries(log->storage, log->id, start, t->width, add_to_bundle, &b);
    if (!rc) rc = b.err;
    if (rc) {
        free(b.buf);
        return rc;
    }
    *out = b.buf;
    *len = b.len;
    return AUTHD_OK;
}

struct one_entry {
    uint8_t *copy;
    size_t len;
};

static int copy_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    (void)index;
    struct one_entry *e = arg;
    if ((e->copy = malloc(len ? len : 1))) memcpy(e->copy, entry, len);
    e->len = len;
    return 1;
}

authd_err authd_log_entry(struct authd_log *log, uint64_t index, uint8_t **out, size_t *len)
{
    if (index >= published(log)) return AUTHD_E_NOT_FOUND;
    struct one_entry e = {0};
    authd_err rc = log->storage->ops->log_entries(log->storage, log->id, index, 1, copy_entry, &e);
    if (rc) return rc;
    if (!e.copy) return AUTHD_E_NOMEM;
    *out = e.copy;
    *len = e.len;
    return AUTHD_OK;
}

authd_err authd_log_each(struct authd_log *log,
                         int (*fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len), void *arg)
{
    uint64_t size;
    authd_err rc = log->storage->ops->log_size(log->storage, log->id, &size);
    return rc ? rc : log->storage->ops->log_entries(log->storage, log->id, 0, size, fn, arg);
}

typedef certlib_err (*prover)(uint64_t a, uint64_t b, certlib_tlog_reader read, void *arg,
                              certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n);

static authd_err prove(struct authd_log *log, prover fn, uint64_t a, uint64_t size,
                       certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n)
{
    if (size > published(log)) return AUTHD_E_NOT_FOUND;
    certlib_err e = fn(a, size, read_hash, log, proof, n);
    if (e == CERTLIB_E_TLOG_INDEX) return AUTHD_E_NOT_FOUND;
    return e ? AUTHD_E_IO : AUTHD_OK;
}

authd_err authd_log_inclusion(struct authd_log *log, uint64_t index, uint64_t size,
                              certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n)
{
    return prove(log, certlib_tlog_inclusion_proof, index, size, proof, n);
}

authd_err authd_log_consistency(struct authd_log *log, uint64_t old_size, uint64_t size,
                                certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n)
{
    return prove(log, certlib_tlog_consistency_proof, old_size, size, proof, n);
}

authd_err authd_log_receipt(struct authd_log *log, uint64_t index, char **out, size_t *len)
{
    char cp[AUTHD_CHECKPOINT_MAX];
    uint64_t size;
    size_t cp_len = authd_log_checkpoint(log, cp, &size);
    if (index >= size) return AUTHD_E_NOT_FOUND;
    pthread_mutex_lock(&log->lock); /* the witnessed checkpoint, when it holds the entry */
    if (log->witnessed_len && index < log->witnessed_size) {
        memcpy(cp, log->witnessed, log->witnessed_len);
        cp_len = log->witnessed_len;
        size = log->witnessed_size;
    }
    pthread_mutex_unlock(&log->lock);
    uint8_t *entry;
    size_t entry_len;
    authd_err rc = authd_log_entry(log, index, &entry, &entry_len);
    if (rc) return rc;
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
    size_t n;
    if ((rc = authd_log_inclusion(log, index, size, proof, &n)) == AUTHD_OK) {
        size_t cap = 4096 + cp_len + entry_len * 2;
        *out = malloc(cap);
        if (!*out || certlib_tlog_proof_format(index, (const certlib_tlog_hash *)proof, n, entry, entry_len,
                                               cp, cp_len, *out, cap, len) != CERTLIB_OK) {
            free(*out);
            rc = AUTHD_E_INTERNAL;
        }
    }
    free(entry);
    return rc;
}
