/* C2SP signed notes with Ed25519 keys (signature type 0x01): verifier keys, signing and opening.
 * Opening follows the spec's rules: lines under unknown keys are ignored, the first line under a known
 * key decides for that key, and a note without any known signature is refused. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "certlib/tlog.h"
#include "tlog/tlog_internal.h"
#include "base/utf8.h"

#define ALG_ED25519 0x01
#define SIG_PREFIX "\xe2\x80\x94 " /* U+2014 EM DASH, then a space */
#define SIG_PREFIX_LEN 4

/* Key names: non-empty UTF-8 without spaces, control characters or '+'. */
int certlib__note_name_valid(const char *name, size_t len)
{
    if (len == 0 || len >= CERTLIB_NOTE_NAME_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7f || c == '+') return 0;
    }
    return certlib__utf8_valid((const uint8_t *)name, len);
}

uint32_t certlib__note_key_id(const char *name, size_t len, uint8_t alg, const uint8_t key[32])
{
    const uint8_t sep[2] = {'\n', alg};
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, len);
    crypto_hash_sha256_update(&st, sep, 2);
    crypto_hash_sha256_update(&st, key, 32);
    crypto_hash_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

certlib_err certlib__verifier_from_key(const char *name, const uint8_t key[32], uint8_t alg,
                                       certlib_note_verifier *out)
{
    if (!name || !key || !out) return CERTLIB_E_INVALID_ARGUMENT;
    size_t len = strlen(name);
    if (!certlib__note_name_valid(name, len)) return CERTLIB_E_KEY;
    memcpy(out->name, name, len + 1);
    memcpy(out->key, key, 32);
    out->key_id = certlib__note_key_id(name, len, alg, key);
    return CERTLIB_OK;
}

certlib_err certlib_note_verifier_from_key(const char *name, const uint8_t key[32],
                                           certlib_note_verifier *out)
{
    return certlib__verifier_from_key(name, key, ALG_ED25519, out);
}

static int hex_u32(const char *s, size_t len, uint32_t *out)
{
    if (len != 8) return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < 8; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

certlib_err certlib__verifier_parse(const char *text, size_t len, uint8_t alg, certlib_note_verifier *out)
{
    if (!text || !out) return CERTLIB_E_INVALID_ARGUMENT;
    const char *p1 = memchr(text, '+', len);
    if (!p1) return CERTLIB_E_KEY;
    const char *p2 = memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - text));
    if (!p2) return CERTLIB_E_KEY;
    size_t name_len = (size_t)(p1 - text);
    if (!certlib__note_name_valid(text, name_len)) return CERTLIB_E_KEY;
    uint32_t id;
    if (hex_u32(p1 + 1, (size_t)(p2 - p1 - 1), &id) != 0) return CERTLIB_E_KEY;
    uint8_t raw[33];
    size_t raw_len;
    if (certlib__b64_decode(p2 + 1, len - (size_t)(p2 + 1 - text), raw, sizeof(raw), &raw_len) != 0 ||
        raw_len != 33 || raw[0] != alg)
        return CERTLIB_E_KEY;
    memcpy(out->name, text, name_len);
    out->name[name_len] = '\0';
    memcpy(out->key, raw + 1, 32);
    out->key_id = certlib__note_key_id(out->name, name_len, alg, out->key);
    if (out->key_id != id) return CERTLIB_E_KEY;
    return CERTLIB_OK;
}

certlib_err certlib_note_verifier_parse(const char *text, size_t len, certlib_note_verifier *out)
{
    return certlib__verifier_parse(text, len, ALG_ED25519, out);
}

certlib_err certlib_note_verifier_format(const certlib_note_verifier *v, char *out, size_t cap)
{
    return certlib__verifier_format(v, ALG_ED25519, out, cap);
}

certlib_err certlib__verifier_format(const certlib_note_verifier *v, uint8_t alg, char *out, size_t cap)
{
    if (!v || !out) return CERTLIB_E_INVALID_ARGUMENT;
    uint8_t raw[33];
    raw[0] = alg;
    memcpy(raw + 1, v->key, 32);
    char b64[64];
    certlib__b64_encode(raw, sizeof(raw), b64, sizeof(b64));
    int n = snprintf(out, cap, "%s+%08x+%s", v->name, v->key_id, b64);
    return n < 0 || (size_t)n >= cap ? CERTLIB_E_BUFFER_TOO_SMALL : CERTLIB_OK;
}

/* Note text: non-empty, UTF-8, newline-terminated lines, no control characters but '\n', no empty
 * line (an empty line would end the text). */
static int text_valid(const char *text, size_t len)
{
    if (len == 0 || text[len - 1] != '\n') return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f) return 0;
        if (c == '\n' && (i == 0 || text[i - 1] == '\n')) return 0;
    }
    return certlib__utf8_valid((const uint8_t *)text, len);
}

/* The signing key's part: libsodium's secret key, or a signing function and the public key. */
struct note_key {
    const uint8_t *sk;
    const uint8_t *pk;
    certlib_sign_fn sign;
    void *ctx;
};

static certlib_err note_sign(const char *text, size_t text_len, const char *name, const struct note_key *k,
                             char *out, size_t cap, size_t *out_len)
{
    if (!text_valid(text, text_len)) return CERTLIB_E_NOTE;
    size_t name_len = strlen(name);
    if (!certlib__note_name_valid(name, name_len)) return CERTLIB_E_KEY;
    uint8_t blob[4 + crypto_sign_BYTES];
    uint32_t id = certlib__note_key_id(name, name_len, ALG_ED25519, k->pk);
    blob[0] = (uint8_t)(id >> 24);
    blob[1] = (uint8_t)(id >> 16);
    blob[2] = (uint8_t)(id >> 8);
    blob[3] = (uint8_t)id;
    if (k->sign) {
        certlib_err err = k->sign(k->ctx, (const uint8_t *)text, text_len, blob + 4);
        if (err) return err;
    } else if (crypto_sign_detached(blob + 4, NULL, (const uint8_t *)text, text_len, k->sk) != 0) {
        return CERTLIB_E_INTERNAL;
    }
    char b64[128];
    certlib__b64_encode(blob, sizeof(blob), b64, sizeof(b64));
    int n = snprintf(out, cap, "%.*s\n" SIG_PREFIX "%s %s\n", (int)text_len, text, name, b64);
    if (n < 0 || (size_t)n >= cap) return CERTLIB_E_BUFFER_TOO_SMALL;
    *out_len = (size_t)n;
    return CERTLIB_OK;
}

certlib_err certlib_note_sign(const char *text, size_t text_len, const char *name, const uint8_t sk[64],
                              char *out, size_t cap, size_t *out_len)
{
    if (!text || !name || !sk || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    /* libsodium keeps the public key in sk[32..64) */
    const struct note_key k = {.sk = sk, .pk = sk + 32};
    return note_sign(text, text_len, name, &k, out, cap, out_len);
}

certlib_err certlib_note_sign_with(const char *text, size_t text_len, const char *name, const uint8_t pk[32],
                                   certlib_sign_fn sign, void *ctx, char *out, size_t cap, size_t *out_len)
{
    if (!text || !name || !pk || !sign || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    const struct note_key k = {.pk = pk, .sign = sign, .ctx = ctx};
    return note_sign(text, text_len, name, &k, out, cap, out_len);
}

/* Returns the last "\n\n" in s[0..len), or NULL. */
static const char *last_blank_line(const char *s, size_t len)
{
    for (size_t i = len; i-- > 1;)
        if (s[i] == '\n' && s[i - 1] == '\n') return s + i - 1;
    return NULL;
}

certlib_err certlib_note_open(const char *note, size_t len, const certlib_note_verifier *verifiers,
                              size_t n_verifiers, size_t *text_len, size_t *verified)
{
    if (!note || !text_len || !verified || (n_verifiers && !verifiers)) return CERTLIB_E_INVALID_ARGUMENT;
    *text_len = 0;
    *verified = 0;
    if (len > CERTLIB_NOTE_MAX_BYTES || len < 2 || note[len - 1] != '\n') return CERTLIB_E_NOTE;
    const char *blank = last_blank_line(note, len);
    if (!blank) return CERTLIB_E_NOTE;
    size_t tlen = (size_t)(blank - note) + 1;
    if (!text_valid(note, tlen)) return CERTLIB_E_NOTE;

    uint8_t seen[CERTLIB_NOTE_MAX_SIGNATURES] = {0}; /* per verifier, up to the cap */
    if (n_verifiers > CERTLIB_NOTE_MAX_SIGNATURES) n_verifiers = CERTLIB_NOTE_MAX_SIGNATURES;
    size_t lines = 0, good = 0;
    const char *p = blank + 2, *end = note + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t llen = (size_t)(nl - p);
        if (++lines > CERTLIB_NOTE_MAX_SIGNATURES) return CERTLIB_E_NOTE;
        if (llen < SIG_PREFIX_LEN || memcmp(p, SIG_PREFIX, SIG_PREFIX_LEN) != 0) return CERTLIB_E_NOTE;
        const char *name = p + SIG_PREFIX_LEN;
        const char *sp = memchr(name, ' ', (size_t)(nl - name));
        if (!sp) return CERTLIB_E_NOTE;
        size_t name_len = (size_t)(sp - name);
        if (!certlib__note_name_valid(name, name_len)) return CERTLIB_E_NOTE;
        uint8_t blob[4 + 4096]; /* room for post-quantum cosignatures under unknown keys */
        size_t blob_len;
        if (certlib__b64_decode(sp + 1, (size_t)(nl - sp - 1), blob, sizeof(blob), &blob_len) != 0 ||
            blob_len < 5)
            return CERTLIB_E_NOTE;
        uint32_t id = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3];
        for (size_t v = 0; v < n_verifiers; v++) {
            const certlib_note_verifier *k = &verifiers[v];
            if (k->key_id != id || strlen(k->name) != name_len || memcmp(k->name, name, name_len) != 0)
                continue;
            if (seen[v]) break;
            seen[v] = 1;
            if (blob_len != 4 + crypto_sign_BYTES ||
                crypto_sign_verify_detached(blob + 4, (const uint8_t *)note, tlen, k->key) != 0)
                return CERTLIB_E_NOTE_SIGNATURE;
            good++;
            break;
        }
        p = nl + 1;
    }
    if (lines == 0) return CERTLIB_E_NOTE;
    if (good == 0) return CERTLIB_E_NOTE_SIGNATURE;
    *text_len = tlen;
    *verified = good;
    return CERTLIB_OK;
}
