/* Base64 and decimal numbers as the C2SP text formats write them. */
#include <sodium.h>
#include <string.h>

#include "base/base64.h"
#include "tlog/tlog_internal.h"

/* libsodium 1.0.18's decoder accepts some bytes >= 0x80 as if they were base64 letters (found by
 * fuzz/note_fuzz), so the alphabet is checked here first. */
static int alphabet_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) continue;
        if ((c == '+' || c == '/' || (c == '=' && i + 2 >= len))) continue;
        return 0;
    }
    return 1;
}

int certlib__b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    const char *end = NULL;
    size_t n = 0;
    if (len == 0 || len % 4 != 0 || !alphabet_ok(s, len)) return -1;
    if (sodium_base642bin(out, cap, s, len, NULL, &n, &end, sodium_base64_VARIANT_ORIGINAL) != 0) return -1;
    if (end != s + len) return -1;
    *out_len = n;
    return 0;
}

size_t certlib__b64_encode(const uint8_t *data, size_t len, char *out, size_t cap)
{
    size_t need = CERTLIB__BASE64_ENCODED_LEN(len);
    if (cap <= need) return 0;
    certlib__base64_encode(data, len, out);
    out[need] = '\0';
    return need;
}

int certlib__parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}
