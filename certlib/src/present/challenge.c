/* Counters' challenges (present.h): counter ids, making a challenge, and its "ELC1:" text. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "certlib/present.h"
#include "certlib/encoding.h"
#include "tlog/tlog_internal.h"

bool certlib_counter_id_valid(const char *s, size_t n)
{
    if (!s || n < 1 || n > CERTLIB_COUNTER_ID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

certlib_err certlib_challenge_new(const char *counter_id, certlib_challenge *out)
{
    if (!counter_id || !out || !certlib_counter_id_valid(counter_id, strlen(counter_id)))
        return CERTLIB_E_INVALID_ARGUMENT;
    memcpy(out->counter_id, counter_id, strlen(counter_id) + 1);
    randombytes_buf(out->nonce, CERTLIB_NONCE_LEN);
    return CERTLIB_OK;
}

certlib_err certlib_challenge_format(const certlib_challenge *c, char *out, size_t cap)
{
    if (!c || !out) return CERTLIB_E_INVALID_ARGUMENT;
    char nonce[32];
    sodium_bin2base64(nonce, sizeof(nonce), c->nonce, CERTLIB_NONCE_LEN,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    int n = snprintf(out, cap, CERTLIB_CHALLENGE_PREFIX "%s:%s", c->counter_id, nonce);
    return n < 0 || (size_t)n >= cap ? CERTLIB_E_BUFFER_TOO_SMALL : CERTLIB_OK;
}

certlib_err certlib_challenge_parse(const char *text, size_t len, certlib_challenge *out)
{
    if (!text || !out) return CERTLIB_E_INVALID_ARGUMENT;
    while (len && (text[0] == ' ' || text[0] == '\t' || text[0] == '\r' || text[0] == '\n'))
        text++, len--;
    while (len &&
           (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' || text[len - 1] == '\n'))
        len--;
    size_t pl = sizeof(CERTLIB_CHALLENGE_PREFIX) - 1;
    if (len < pl || memcmp(text, CERTLIB_CHALLENGE_PREFIX, pl) != 0) return CERTLIB_E_CHALLENGE;
    const char *id = text + pl, *colon = memchr(id, ':', len - pl);
    if (!colon || !certlib_counter_id_valid(id, (size_t)(colon - id))) return CERTLIB_E_CHALLENGE;
    size_t nonce_len;
    if (certlib_base64url_decode(colon + 1, (size_t)(text + len - colon - 1), out->nonce, CERTLIB_NONCE_LEN,
                                 &nonce_len) ||
        nonce_len != CERTLIB_NONCE_LEN)
        return CERTLIB_E_CHALLENGE;
    memcpy(out->counter_id, id, (size_t)(colon - id));
    out->counter_id[colon - id] = '\0';
    return CERTLIB_OK;
}
