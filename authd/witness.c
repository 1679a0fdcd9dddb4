/* authd as a C2SP tlog-witness (witness.h). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "certlib/tlog.h"
#include "ed25519_key.h"
#include "witness.h"

#define STATE_LINE_MAX (CERTLIB_CHECKPOINT_ORIGIN_MAX + 80)

/* A log this witness knows, and the checkpoint it cosigned last (size 0: none yet). */
struct witnessed {
    certlib_note_verifier key;
    uint64_t size;
    certlib_tlog_hash root;
};

struct authd_witness {
    char name[CERTLIB_NOTE_NAME_MAX];
    char vkey[CERTLIB_NOTE_NAME_MAX + 80];
    uint8_t *sk; /* sodium_malloc, read-only */
    char *state_path;
    pthread_mutex_t lock; /* one check-and-update at a time, the state file written inside it */
    size_t n_logs;
    struct witnessed logs[];
};

static struct witnessed *find_log(struct authd_witness *w, const char *origin)
{
    for (size_t i = 0; i < w->n_logs; i++)
        if (strcmp(w->logs[i].key.name, origin) == 0) return &w->logs[i];
    return NULL;
}

/* The state file: one line per log cosigned, "<origin> <size> <base64 root>". */
static int save_state(const struct authd_witness *w)
{
    size_t cap = w->n_logs * STATE_LINE_MAX + 1, n = 0;
    char *text = malloc(cap);
    if (!text) return -1;
    for (size_t i = 0; i < w->n_logs; i++) {
        const struct witnessed *l = &w->logs[i];
        if (l->size == 0) continue;
        char root[48];
        sodium_bin2base64(root, sizeof(root), l->root, sizeof(l->root), sodium_base64_VARIANT_ORIGINAL);
        n += (size_t)snprintf(text + n, cap - n, "%s %llu %s\n", l->key.name, (unsigned long long)l->size,
                              root);
    }
    int rc = authd_write_file_atomic(w->state_path, text, n);
    free(text);
    return rc;
}

static authd_err load_state(struct authd_witness *w, char *err, size_t err_cap)
{
    FILE *f = fopen(w->state_path, "r");
    if (!f) {
        if (errno == ENOENT) return AUTHD_OK; /* a new witness */
        return snprintf(err, err_cap, "witness state %s: %s", w->state_path, strerror(errno)), AUTHD_E_CONFIG;
    }
    char line[STATE_LINE_MAX + 2];
    authd_err rc = AUTHD_OK;
    for (unsigned no = 1; rc == AUTHD_OK && fgets(line, sizeof(line), f); no++) {
        char origin[CERTLIB_CHECKPOINT_ORIGIN_MAX], root_text[64];
        unsigned long long size;
        size_t root_len = 0;
        struct witnessed *l;
        if (sscanf(line, "%255s %llu %63s", origin, &size, root_text) != 3 || size == 0)
            rc = AUTHD_E_CONFIG;
        else if (!(l = find_log(w, origin)))
            continue; /* a log no longer witnessed: its line goes at the next save */
        else if (sodium_base642bin(l->root, sizeof(l->root), root_text, strlen(root_text), NULL, &root_len,
                                   NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
                 root_len != sizeof(l->root))
            rc = AUTHD_E_CONFIG;
        else
            l->size = size;
        if (rc)
            snprintf(err, err_cap, "witness state %s:%u: damaged; restore it from a backup", w->state_path,
                     no);
    }
    fclose(f);
    return rc;
}

authd_err authd_witness_open(const struct authd_config *config, struct authd_witness **out, char *err,
                             size_t err_cap)
{
    *out = NULL;
    const struct authd_witness_config *c = &config->witness;
    if (!c->name) return AUTHD_OK;
    struct authd_witness *w = calloc(1, sizeof(*w) + c->n_logs * sizeof(w->logs[0]));
    if (!w) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    pthread_mutex_init(&w->lock, NULL);
    w->n_logs = c->n_logs;
    uint8_t pk[32];
    authd_err rc = authd_ed25519_key_load(c->key, "witness key", &w->sk, pk, err, err_cap);
    certlib_note_verifier self;
    if (rc == AUTHD_OK && (certlib_cosigner_from_key(c->name, pk, &self) != CERTLIB_OK ||
                           certlib_cosigner_format(&self, w->vkey, sizeof(w->vkey)) != CERTLIB_OK)) {
        snprintf(err, err_cap, "witness.name '%s': a key name has no spaces or '+'", c->name);
        rc = AUTHD_E_CONFIG;
    }
    if (rc == AUTHD_OK) snprintf(w->name, sizeof(w->name), "%s", c->name);
    for (size_t i = 0; rc == AUTHD_OK && i < c->n_logs; i++) {
        if (certlib_note_verifier_parse(c->logs[i], strlen(c->logs[i]), &w->logs[i].key) != CERTLIB_OK) {
            snprintf(err, err_cap, "witness.logs[%zu]: not a C2SP verifier key (<origin>+<id>+<base64 key>)",
                     i);
            rc = AUTHD_E_CONFIG;
        }
        for (size_t j = 0; rc == AUTHD_OK && j < i; j++)
            if (strcmp(w->logs[j].key.name, w->logs[i].key.name) == 0) {
                snprintf(err, err_cap, "witness.logs: %s twice", w->logs[i].key.name);
                rc = AUTHD_E_CONFIG;
            }
    }
    char path[PATH_MAX];
    if (rc == AUTHD_OK &&
        authd_state_file(config->state_dir, "witness.state", path, sizeof(path), err, err_cap))
        rc = AUTHD_E_IO;
    else if (rc == AUTHD_OK && !(w->state_path = strdup(path)))
        rc = AUTHD_E_NOMEM;
    if (rc == AUTHD_OK) rc = load_state(w, err, err_cap);
    if (rc) {
        authd_witness_close(w);
        return rc;
    }
    *out = w;
    return AUTHD_OK;
}

void authd_witness_close(struct authd_witness *w)
{
    if (!w) return;
    if (w->sk) sodium_free(w->sk);
    free(w->state_path);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

const char *authd_witness_vkey(const struct authd_witness *w)
{
    return w->vkey;
}

/* Fills in a refusal; returns nothing, so each caller returns right after. */
static void refuse(struct authd_witness_answer *a, int status, const char *code, const char *detail)
{
    a->status = status;
    a->code = code;
    a->detail = detail;
}

/* The origin line of a note, NUL-terminated into out; false when it has none that fits. */
static bool origin_of(const char *note, size_t len, char out[CERTLIB_CHECKPOINT_ORIGIN_MAX])
{
    const char *nl = memchr(note, '\n', len);
    if (!nl || nl == note || (size_t)(nl - note) >= CERTLIB_CHECKPOINT_ORIGIN_MAX) return false;
    memcpy(out, note, (size_t)(nl - note));
    out[nl - note] = '\0';
    return true;
}

void authd_witness_add_checkpoint(struct authd_witness *w, const char *body, size_t len, uint64_t now,
                                  struct authd_witness_answer *a)
{
    memset(a, 0, sizeof(*a));
    uint64_t old_size;
    certlib_tlog_hash proof[CERTLIB_WITNESS_MAX_PROOF];
    size_t n_proof, at;
    if (certlib_witness_request_parse(body, len, &old_size, proof, &n_proof, &at) != CERTLIB_OK) {
        refuse(a, 400, "malformed_request",
               "expected 'old <size>', consistency proof lines, an empty line, then a checkpoint");
        return;
    }
    const char *note = body + at;
    size_t note_len = len - at;
    char origin[CERTLIB_CHECKPOINT_ORIGIN_MAX];
    if (!origin_of(note, note_len, origin)) {
        refuse(a, 400, "malformed_request", "no checkpoint origin line");
        return;
    }
    struct witnessed *log = find_log(w, origin);
    if (!log) {
        refuse(a, 404, "unknown_log", "this witness does not witness that log");
        return;
    }
    size_t text_len, verified;
    certlib_checkpoint cp;
    certlib_err e = certlib_note_open(note, note_len, &log->key, 1, &text_len, &verified);
    if (e == CERTLIB_E_NOTE_SIGNATURE) {
        refuse(a, 403, "checkpoint_signature", "no signature by the log's key verifies");
        return;
    }
    if (e || certlib_checkpoint_parse(note, text_len, &cp) != CERTLIB_OK) {
        refuse(a, 400, "malformed_request", "the checkpoint is malformed");
        return;
    }
    if (old_size > cp.size) {
        refuse(a, 400, "malformed_request", "the old size exceeds the checkpoint's");
        return;
    }

    pthread_mutex_lock(&w->lock);
    /* another old size than the one cosigned, or that size with another root (a fork): 409 */
    if (old_size != log->size ||
        (old_size != 0 && old_size == cp.size && memcmp(cp.root, log->root, sizeof(cp.root)) != 0)) {
        a->status = 409;
        a->body_len = (size_t)snprintf(a->body, sizeof(a->body), "%llu\n", (unsigned long long)log->size);
    } else if ((old_size == 0 && n_proof != 0) ||
               (old_size != 0 &&
                certlib_tlog_verify_consistency(old_size, cp.size, (const certlib_tlog_hash *)proof, n_proof,
                                                log->root, cp.root) != CERTLIB_OK)) {
        refuse(a, 422, "inconsistent",
               "the consistency proof does not lead from the cosigned tree to this one");
    } else {
        uint64_t was_size = log->size;
        certlib_tlog_hash was_root;
        memcpy(was_root, log->root, sizeof(was_root));
        log->size = cp.size;
        memcpy(log->root, cp.root, sizeof(cp.root));
        if (cp.size != was_size && save_state(w) != 0) { /* persisted before the cosignature leaves */
            log->size = was_size;
            memcpy(log->root, was_root, sizeof(was_root));
            refuse(a, 503, "state_not_saved", "the witness could not save its state; nothing was cosigned");
        } else if (certlib_cosign(note, text_len, w->name, w->sk, now, a->body, sizeof(a->body),
                                  &a->body_len) != CERTLIB_OK) {
            refuse(a, 500, "cosign_failed", "the cosignature could not be made");
        } else {
            a->status = 200;
        }
    }
    pthread_mutex_unlock(&w->lock);
}
