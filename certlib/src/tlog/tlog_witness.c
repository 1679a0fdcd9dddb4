/* C2SP tlog-witness requests and tlog-cosignature/v1 signatures (tlog.h). */
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "certlib/tlog.h"
#include "tlog/tlog_internal.h"

#define ALG_COSIGNATURE_V1 0x04
#define SIG_PREFIX "\xe2\x80\x94 " /* U+2014 EM DASH, then a space */

certlib_err certlib_witness_request_parse(const char *body, size_t len, uint64_t *old_size,
                                          certlib_tlog_hash proof[CERTLIB_WITNESS_MAX_PROOF], size_t *n_proof,
                                          size_t *note_at)
{
    if (!body || !old_size || !proof || !n_proof || !note_at) return CERTLIB_E_INVALID_ARGUMENT;
    if (len > CERTLIB_WITNESS_REQUEST_MAX) return CERTLIB_E_WITNESS_REQUEST;
    const char *p = body, *end = body + len;
    const char *nl = memchr(p, '\n', len);
    if (!nl || nl - p < 5 || memcmp(p, "old ", 4) != 0 ||
        certlib__parse_u64(p + 4, (size_t)(nl - p - 4), old_size))
        return CERTLIB_E_WITNESS_REQUEST;
    *n_proof = 0;
    for (p = nl + 1;; p = nl + 1) {
        if (p >= end || !(nl = memchr(p, '\n', (size_t)(end - p)))) return CERTLIB_E_WITNESS_REQUEST;
        if (nl == p) break; /* the empty line */
        size_t got;
        if (*n_proof == CERTLIB_WITNESS_MAX_PROOF ||
            certlib__b64_decode(p, (size_t)(nl - p), proof[*n_proof], CERTLIB_TLOG_HASH_LEN, &got) != 0 ||
            got != CERTLIB_TLOG_HASH_LEN)
            return CERTLIB_E_WITNESS_REQUEST;
        (*n_proof)++;
    }
    *note_at = (size_t)(nl + 1 - body);
    return *note_at < len ? CERTLIB_OK : CERTLIB_E_WITNESS_REQUEST;
}

certlib_err certlib_witness_request_format(uint64_t old_size, const certlib_tlog_hash *proof, size_t n_proof,
                                           const char *note, size_t note_len, char *out, size_t cap,
                                           size_t *out_len)
{
    if ((n_proof && !proof) || !note || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    if (n_proof > CERTLIB_WITNESS_MAX_PROOF) return CERTLIB_E_WITNESS_REQUEST;
    int n = snprintf(out, cap, "old %llu\n", (unsigned long long)old_size);
    if (n < 0 || (size_t)n >= cap) return CERTLIB_E_BUFFER_TOO_SMALL;
    size_t len = (size_t)n;
    for (size_t i = 0; i < n_proof; i++) {
        size_t got = certlib__b64_encode(proof[i], CERTLIB_TLOG_HASH_LEN, out + len, cap - len);
        if (got == 0 || cap - len - got < 2) return CERTLIB_E_BUFFER_TOO_SMALL;
        len += got;
        out[len++] = '\n';
    }
    if (cap - len < note_len + 2) return CERTLIB_E_BUFFER_TOO_SMALL;
    out[len++] = '\n';
    memcpy(out + len, note, note_len);
    len += note_len;
    out[len] = '\0';
    *out_len = len;
    return CERTLIB_OK;
}

uint32_t certlib_cosigner_key_id(const char *name, const uint8_t key[32])
{
    return certlib__note_key_id(name, strlen(name), ALG_COSIGNATURE_V1, key);
}

certlib_err certlib_cosigner_from_key(const char *name, const uint8_t key[32], certlib_note_verifier *out)
{
    return certlib__verifier_from_key(name, key, ALG_COSIGNATURE_V1, out);
}

certlib_err certlib_cosigner_format(const certlib_note_verifier *v, char *out, size_t cap)
{
    return certlib__verifier_format(v, ALG_COSIGNATURE_V1, out, cap);
}

/* What a cosignature/v1 signs: "cosignature/v1\ntime <timestamp>\n", then the checkpoint's body.
 * False when it does not fit (a checkpoint is a few short lines). */
static bool signed_message(uint64_t timestamp, const char *text, size_t text_len,
                           uint8_t out[CERTLIB_CHECKPOINT_ORIGIN_MAX + 512], size_t *len)
{
    int hn = snprintf((char *)out, 48, "cosignature/v1\ntime %llu\n", (unsigned long long)timestamp);
    if ((size_t)hn + text_len > CERTLIB_CHECKPOINT_ORIGIN_MAX + 512) return false;
    memcpy(out + hn, text, text_len);
    *len = (size_t)hn + text_len;
    return true;
}

certlib_err certlib_cosign(const char *text, size_t text_len, const char *name, const uint8_t sk[64],
                           uint64_t timestamp, char *out, size_t cap, size_t *out_len)
{
    if (!text || !name || !sk || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    size_t name_len = strlen(name);
    if (!certlib__note_name_valid(name, name_len)) return CERTLIB_E_KEY;
    if (text_len == 0 || text[text_len - 1] != '\n' || timestamp > INT64_MAX) return CERTLIB_E_NOTE;
    uint8_t message[CERTLIB_CHECKPOINT_ORIGIN_MAX + 512];
    size_t message_len;
    if (!signed_message(timestamp, text, text_len, message, &message_len)) return CERTLIB_E_NOTE;
    uint8_t blob[4 + 8 + crypto_sign_BYTES];
    uint32_t id = certlib_cosigner_key_id(name, sk + 32); /* libsodium keeps the public key in sk[32..64) */
    for (int i = 0; i < 4; i++)
        blob[i] = (uint8_t)(id >> (24 - 8 * i));
    for (int i = 0; i < 8; i++)
        blob[4 + i] = (uint8_t)(timestamp >> (56 - 8 * i));
    if (crypto_sign_detached(blob + 12, NULL, message, message_len, sk) != 0) return CERTLIB_E_INTERNAL;
    char b64[128];
    certlib__b64_encode(blob, sizeof(blob), b64, sizeof(b64));
    int n = snprintf(out, cap, SIG_PREFIX "%s %s\n", name, b64);
    if (n < 0 || (size_t)n >= cap) return CERTLIB_E_BUFFER_TOO_SMALL;
    *out_len = (size_t)n;
    return CERTLIB_OK;
}

certlib_err certlib_cosigner_parse(const char *text, size_t len, certlib_note_verifier *out)
{
    return certlib__verifier_parse(text, len, ALG_COSIGNATURE_V1, out);
}

/* One cosignature line's blob against its cosigner over the checkpoint body `text`. */
static bool cosignature_ok(const uint8_t blob[76], const certlib_note_verifier *c, const char *text,
                           size_t text_len)
{
    uint64_t ts = 0;
    for (int i = 0; i < 8; i++)
        ts = ts << 8 | blob[4 + i];
    uint8_t message[CERTLIB_CHECKPOINT_ORIGIN_MAX + 512];
    size_t message_len;
    return ts <= INT64_MAX && signed_message(ts, text, text_len, message, &message_len) &&
           crypto_sign_verify_detached(blob + 12, message, message_len, c->key) == 0;
}

certlib_err certlib_cosignatures_verify(const char *note, size_t len, const certlib_note_verifier *cosigners,
                                        size_t n_cosigners, size_t *valid)
{
    if (!note || !valid || (n_cosigners && !cosigners) || n_cosigners > 64) return CERTLIB_E_INVALID_ARGUMENT;
    *valid = 0;
    if (len > CERTLIB_NOTE_MAX_BYTES || len < 2 || note[len - 1] != '\n') return CERTLIB_E_NOTE;
    size_t blank = len; /* the last "\n\n": the text ends at its first newline */
    for (size_t i = len - 1; i-- > 0;)
        if (note[i] == '\n' && note[i + 1] == '\n') {
            blank = i;
            break;
        }
    if (blank == len) return CERTLIB_E_NOTE;
    size_t text_len = blank + 1;
    uint64_t seen = 0; /* one bit per cosigner */
    const size_t prefix = strlen(SIG_PREFIX);
    for (const char *p = note + blank + 2, *end = note + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || (size_t)(nl - p) < prefix || memcmp(p, SIG_PREFIX, prefix) != 0) return CERTLIB_E_NOTE;
        const char *name = p + prefix, *sp = memchr(name, ' ', (size_t)(nl - name));
        if (!sp) return CERTLIB_E_NOTE;
        uint8_t blob[80];
        size_t blob_len = 0;
        if (certlib__b64_decode(sp + 1, (size_t)(nl - sp - 1), blob, sizeof(blob), &blob_len) != 0 &&
            (size_t)(nl - sp - 1) <= 4 * ((sizeof(blob) + 2) / 3))
            return CERTLIB_E_NOTE; /* not base64: a malformed line, as certlib_note_open takes it */
        for (size_t i = 0; blob_len == 76 && i < n_cosigners; i++) {
            const certlib_note_verifier *c = &cosigners[i];
            uint32_t id =
                (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
            if (strlen(c->name) != (size_t)(sp - name) || memcmp(c->name, name, (size_t)(sp - name)) != 0 ||
                id != c->key_id)
                continue;
            if (!cosignature_ok(blob, c, note, text_len)) return CERTLIB_E_NOTE_SIGNATURE;
            seen |= (uint64_t)1 << i;
        }
        p = nl + 1;
    }
    for (size_t i = 0; i < n_cosigners; i++)
        *valid += (seen >> i) & 1;
    return CERTLIB_OK;
}
