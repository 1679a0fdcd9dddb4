/* base64url without padding (encoding.h), and base64 with padding as C2SP's notes write it (base64.h). */
#include "base/base64.h"
#include "certlib/encoding.h"

/* Encoders through a table as well, rather than libsodium's sodium_bin2base64: that one is constant-time,
 * built for secrets, and took 14 µs for a 3 KB licence where this takes 1.8 (OpenSSL's EVP_EncodeBlock
 * with the alphabet changed and the padding cut, 4.5). On 2026-12-02 libsodium's coder still took about 3%
 * of a lookup's CPU in authd (perf, one node on LMDB at 13,456 lookups/s) for the hashes of its access
 * entry and disclosure mark. Nothing encoded here is a secret from whoever reads the text. */
static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t encode(const uint8_t *in, size_t len, char *out, const char alphabet[64], bool pad)
{
    size_t o = 0, i = 0;
    for (; len - i >= 3; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < len) { /* one or two bytes left: two or three characters, and padding to four */
        uint32_t v = (uint32_t)in[i] << 16 | (len - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        if (len - i == 2)
            out[o++] = alphabet[v >> 6 & 63];
        else if (pad)
            out[o++] = '=';
        if (pad) out[o++] = '=';
    }
    return o;
}

size_t certlib_base64url_encode(const uint8_t *in, size_t len, char *out)
{
    return encode(in, len, out, url_alphabet, false);
}

size_t certlib__base64_encode(const uint8_t *in, size_t len, char *out)
{
    return encode(in, len, out, std_alphabet, true);
}

/* Hand-written rather than libsodium's: libsodium 1.0.18 takes some bytes >= 0x80 for letters (found by
 * fuzz/note_fuzz), and with an alphabet check in front its decoder took 3 of certctl audit's ~10 s per
 * 10 M entries (every signature-log entry carries a 43-character hash). Four characters at a time through
 * a table: a federated lookup decodes about 8 KB of licences and status lists, and the character-by-
 * character loop before was 4% of the asking authd's CPU.
 *
 * Each byte's 6-bit value plus one; 0 for a byte outside the alphabet (so the table needs no entry for
 * the 192 bytes that are not base64url). */
#define U(c, v) [(unsigned char)(c)] = (v) + 1
static const uint8_t url_plus1[256] = {
    U('A', 0),  U('B', 1),  U('C', 2),  U('D', 3),  U('E', 4),  U('F', 5),  U('G', 6),  U('H', 7),
    U('I', 8),  U('J', 9),  U('K', 10), U('L', 11), U('M', 12), U('N', 13), U('O', 14), U('P', 15),
    U('Q', 16), U('R', 17), U('S', 18), U('T', 19), U('U', 20), U('V', 21), U('W', 22), U('X', 23),
    U('Y', 24), U('Z', 25), U('a', 26), U('b', 27), U('c', 28), U('d', 29), U('e', 30), U('f', 31),
    U('g', 32), U('h', 33), U('i', 34), U('j', 35), U('k', 36), U('l', 37), U('m', 38), U('n', 39),
    U('o', 40), U('p', 41), U('q', 42), U('r', 43), U('s', 44), U('t', 45), U('u', 46), U('v', 47),
    U('w', 48), U('x', 49), U('y', 50), U('z', 51), U('0', 52), U('1', 53), U('2', 54), U('3', 55),
    U('4', 56), U('5', 57), U('6', 58), U('7', 59), U('8', 60), U('9', 61), U('-', 62), U('_', 63),
};
#undef U

/* The values of `n` (2 to 4) characters, or UINT32_MAX when one is outside the alphabet. */
static uint32_t quad(const unsigned char *p, size_t n)
{
    uint32_t v = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t d = (uint32_t)url_plus1[p[i]] - 1; /* 0xffffffff outside the alphabet */
        bad |= d;
        v = v << 6 | (d & 63);
    }
    return bad > 63 ? UINT32_MAX : v;
}

certlib_err certlib_base64url_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    if (!s || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    size_t rest = len % 4;
    if (rest == 1) return CERTLIB_E_BASE64URL;
    size_t n = len / 4 * 3 + (rest ? rest - 1 : 0);
    if (n > cap) return CERTLIB_E_BASE64URL;
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    for (const unsigned char *end = p + (len - rest); p < end; p += 4) {
        uint32_t v = quad(p, 4);
        if (v == UINT32_MAX) return CERTLIB_E_BASE64URL;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    if (rest) {
        uint32_t v = quad(p, rest);
        unsigned spare = rest == 2 ? 4 : 2; /* bits past the last whole byte */
        if (v == UINT32_MAX || (v & ((1u << spare) - 1))) return CERTLIB_E_BASE64URL; /* not canonical */
        v >>= spare;
        if (rest == 3) out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    *out_len = o;
    return CERTLIB_OK;
}
