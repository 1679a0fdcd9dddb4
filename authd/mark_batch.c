/* A batch of disclosure marks under one signature (mark_batch.h). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/mark.h"
#include "mark_batch.h"
#include "tlog.h"

struct authd_mark_batch {
    atomic_size_t holds;
    size_t n;         /* marks, the tree's leaves */
    size_t first[64]; /* where each level's complete subtrees start in `hash` */
    char note[1024];  /* the signed batch note */
    size_t note_len;
    certlib_tlog_hash hash[]; /* level 0 (the leaves), then each level above: every complete subtree */
};

/* The tree's stored hashes: complete subtree `index` of `level`. */
static certlib_err read_hash(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    const struct authd_mark_batch *b = arg;
    if (level >= 64 || index >= (b->n >> level)) return CERTLIB_E_IO_READ;
    memcpy(out, b->hash[b->first[level] + index], sizeof(certlib_tlog_hash));
    return CERTLIB_OK;
}

struct authd_mark_batch *authd_mark_batch_sign(struct authd_log *log, const certlib_tlog_hash *leaves,
                                               size_t n)
{
    if (n == 0) return NULL;
    size_t total = 0;
    for (unsigned l = 0; l < 64 && (n >> l) > 0; l++)
        total += n >> l;
    struct authd_mark_batch *b = malloc(sizeof(*b) + total * sizeof(certlib_tlog_hash));
    if (!b) return NULL;
    b->n = n;
    memcpy(b->hash, leaves, n * sizeof(certlib_tlog_hash));
    size_t at = 0;
    for (unsigned l = 0; l < 64; l++) {
        b->first[l] = at;
        if ((n >> l) == 0) continue;
        for (size_t i = 0; l > 0 && i < (n >> l); i++)
            certlib_tlog_node_hash(b->hash[b->first[l - 1] + 2 * i], b->hash[b->first[l - 1] + 2 * i + 1],
                                   b->hash[at + i]);
        at += n >> l;
    }
    certlib_tlog_hash root;
    if (certlib_tlog_root(n, read_hash, b, root) != CERTLIB_OK ||
        authd_log_sign_mark_batch(log, n, root, b->note, sizeof(b->note), &b->note_len) != AUTHD_OK) {
        free(b);
        return NULL;
    }
    atomic_init(&b->holds, n);
    return b;
}

authd_err authd_mark_batch_mark(const struct authd_mark_batch *b, size_t position, const char *text,
                                size_t len, char *out, size_t cap, size_t *out_len)
{
    certlib_tlog_hash path[CERTLIB_TLOG_MAX_PROOF];
    size_t n_path;
    if (certlib_tlog_inclusion_proof(position, b->n, read_hash, (void *)b, path, &n_path) != CERTLIB_OK)
        return AUTHD_E_INTERNAL;
    certlib_err err =
        certlib_mark_batched(text, len, position, path, n_path, b->note, b->note_len, out, cap, out_len);
    return err == CERTLIB_OK ? AUTHD_OK : err == CERTLIB_E_BUFFER_TOO_SMALL ? AUTHD_E_FULL : AUTHD_E_INTERNAL;
}

void authd_mark_batch_release(struct authd_mark_batch *b)
{
    if (b && atomic_fetch_sub(&b->holds, 1) == 1) free(b);
}
