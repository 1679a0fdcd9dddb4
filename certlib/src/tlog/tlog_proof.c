/* C2SP tlog-proof: an offline receipt that an entry is in a log, made of the entry's index, its
 * audit path and a signed checkpoint of the tree the path leads to.
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]
 *   index <N>
 *   <base64 hash>        (one line per audit-path hash)
 *   <empty line>
 *   <signed checkpoint>
 */
#include <stdio.h>
#include <string.h>

#include "certlib/tlog.h"
#include "tlog/tlog_internal.h"

#define HEADER CERTLIB_TLOG_PROOF_HEADER "\n"

certlib_err certlib_tlog_proof_format(uint64_t index, const certlib_tlog_hash *path, size_t path_len,
                                      const uint8_t *extra, size_t extra_len, const char *checkpoint,
                                      size_t checkpoint_len, char *out, size_t cap, size_t *out_len)
{
    if ((!path && path_len) || !checkpoint || !out || !out_len || (!extra && extra_len) ||
        path_len > CERTLIB_TLOG_MAX_PROOF || extra_len > sizeof(((certlib_tlog_proof *)0)->extra))
        return CERTLIB_E_INVALID_ARGUMENT;
    size_t pos = 0;
    int n = snprintf(out, cap, HEADER);
#define ADVANCE()                                                                                            \
    do {                                                                                                     \
        if (n < 0 || (size_t)n >= cap - pos) return CERTLIB_E_BUFFER_TOO_SMALL;                              \
        pos += (size_t)n;                                                                                    \
    } while (0)
    ADVANCE();
    char b64[360];
    if (extra_len) {
        certlib__b64_encode(extra, extra_len, b64, sizeof(b64));
        n = snprintf(out + pos, cap - pos, "extra %s\n", b64);
        ADVANCE();
    }
    n = snprintf(out + pos, cap - pos, "index %llu\n", (unsigned long long)index);
    ADVANCE();
    for (size_t i = 0; i < path_len; i++) {
        certlib__b64_encode(path[i], CERTLIB_TLOG_HASH_LEN, b64, sizeof(b64));
        n = snprintf(out + pos, cap - pos, "%s\n", b64);
        ADVANCE();
    }
    n = snprintf(out + pos, cap - pos, "\n%.*s", (int)checkpoint_len, checkpoint);
    ADVANCE();
#undef ADVANCE
    *out_len = pos;
    return CERTLIB_OK;
}

certlib_err certlib_tlog_proof_parse(const char *text, size_t len, certlib_tlog_proof *out)
{
    if (!text || !out) return CERTLIB_E_INVALID_ARGUMENT;
    memset(out, 0, sizeof(*out));
    if (len > CERTLIB_NOTE_MAX_BYTES + 4096) return CERTLIB_E_TLOG_PROOF;
    const char *p = text, *end = text + len;
    const size_t hl = sizeof(HEADER) - 1;
    if (len < hl || memcmp(p, HEADER, hl) != 0) return CERTLIB_E_TLOG_PROOF;
    p += hl;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) return CERTLIB_E_TLOG_PROOF;
    if (nl - p > 6 && memcmp(p, "extra ", 6) == 0) {
        if (certlib__b64_decode(p + 6, (size_t)(nl - p - 6), out->extra, sizeof(out->extra), &out->extra_len))
            return CERTLIB_E_TLOG_PROOF;
        p = nl + 1;
        if (!(nl = memchr(p, '\n', (size_t)(end - p)))) return CERTLIB_E_TLOG_PROOF;
    }
    if (nl - p < 7 || memcmp(p, "index ", 6) != 0 ||
        certlib__parse_u64(p + 6, (size_t)(nl - p - 6), &out->index))
        return CERTLIB_E_TLOG_PROOF;
    p = nl + 1;
    for (;;) {
        if (!(nl = memchr(p, '\n', (size_t)(end - p)))) return CERTLIB_E_TLOG_PROOF;
        if (nl == p) break; /* the empty line before the checkpoint */
        if (out->path_len == CERTLIB_TLOG_MAX_PROOF) return CERTLIB_E_PROOF_LENGTH;
        size_t hlen;
        if (certlib__b64_decode(p, (size_t)(nl - p), out->path[out->path_len], CERTLIB_TLOG_HASH_LEN,
                                &hlen) ||
            hlen != CERTLIB_TLOG_HASH_LEN)
            return CERTLIB_E_TLOG_PROOF;
        out->path_len++;
        p = nl + 1;
    }
    out->checkpoint = nl + 1;
    out->checkpoint_len = (size_t)(end - out->checkpoint);
    if (out->checkpoint_len == 0) return CERTLIB_E_TLOG_PROOF;
    return CERTLIB_OK;
}

certlib_err certlib_tlog_proof_verify(const char *text, size_t len, const certlib_note_verifier *log,
                                      const uint8_t *entry, size_t entry_len, certlib_checkpoint *cp,
                                      uint64_t *index)
{
    if (!text || !log || (!entry && entry_len)) return CERTLIB_E_INVALID_ARGUMENT;
    certlib_tlog_proof proof;
    certlib_err e = certlib_tlog_proof_parse(text, len, &proof);
    if (e) return e;
    certlib_checkpoint c;
    if ((e = certlib_checkpoint_open(proof.checkpoint, proof.checkpoint_len, log, &c))) return e;
    certlib_tlog_hash leaf;
    certlib_tlog_leaf_hash(entry, entry_len, leaf);
    if ((e = certlib_tlog_verify_inclusion(proof.index, c.size, leaf, (const certlib_tlog_hash *)proof.path,
                                           proof.path_len, c.root)))
        return e;
    if (cp) *cp = c;
    if (index) *index = proof.index;
    return CERTLIB_OK;
}
