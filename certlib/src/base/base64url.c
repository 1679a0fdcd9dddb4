/* base64url without padding (encoding.h). */
#include "certlib/encoding.h"

/* Hand-written rather than libsodium's: libsodium 1.0.18 takes some bytes >= 0x80 for letters (found by
 * fuzz/note_fuzz), and with an alphabet check in front its decoder took 3 of certctl audit's ~10 s per
 * 10 M entries (every signature-log entry carries a 43-character hash). */
static int url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

certlib_err certlib_base64url_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    if (!s || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    if (len % 4 == 1) return CERTLIB_E_BASE64URL;
    size_t n = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (n > cap) return CERTLIB_E_BASE64URL;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = url_value((unsigned char)s[i]);
        if (v < 0) return CERTLIB_E_BASE64URL;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1)) return CERTLIB_E_BASE64URL; /* non-zero trailing bits: not canonical */
    *out_len = o;
    return CERTLIB_OK;
}
