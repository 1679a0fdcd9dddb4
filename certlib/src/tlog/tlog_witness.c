/* C2SP tlog-witness requests and tlog-cosignature/v1 signatures (tlog.h). */
#include <sodium.h>
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

uint32_t certlib_cosigner_key_id(const char *name, const uint8_t key[32])
{
    return certlib__note_key_id(name, strlen(name), ALG_COSIGNATURE_V1, key);
}

certlib_err certlib_cosign(const char *text, size_t text_len, const char *name, const uint8_t sk[64],
                           uint64_t timestamp, char *out, size_t cap, size_t *out_len)
{
    if (!text || !name || !sk || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    size_t name_len = strlen(name);
    if (!certlib__note_name_valid(name, name_len)) return CERTLIB_E_KEY;
    if (text_len == 0 || text[text_len - 1] != '\n' || timestamp > INT64_MAX) return CERTLIB_E_NOTE;
    /* the signed message: "cosignature/v1\ntime <timestamp>\n" then the checkpoint's note body */
    char head[48];
    int hn = snprintf(head, sizeof(head), "cosignature/v1\ntime %llu\n", (unsigned long long)timestamp);
    uint8_t message[CERTLIB_CHECKPOINT_ORIGIN_MAX + 512];
    size_t message_len = (size_t)hn + text_len;
    if (message_len > sizeof(message)) return CERTLIB_E_NOTE; /* a checkpoint is a few short lines */
    memcpy(message, head, (size_t)hn);
    memcpy(message + hn, text, text_len);
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
