/* UTF-8 validation and JSON string output. Hand-written because the only JSON library in the
 * dependency set (jansson) refuses invalid UTF-8 outright, while we must echo hostile input back in a
 * diagnosable form; and because the identifier batch renders tens of thousands of objects per request,
 * where a DOM per result would cost more than the checks themselves. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "certlib/common.h"
#include "base/utf8.h"

/* Length of the well-formed UTF-8 sequence at s (1-4), or 0 when the bytes there are not one. */
static size_t utf8_seq_len(const uint8_t *s, size_t avail)
{
    uint8_t c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte (RFC 3629 §4) */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F; /* nothing past U+10FFFF */
    } else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

bool certlib__utf8_valid(const uint8_t *s, size_t len)
{
    /* ASCII runs eight bytes at a time: every CBOR map key a licence holds is ASCII, and licence
     * verification checks every text string it reads. */
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, s + i, 8);
        if (word & 0x8080808080808080ull) break;
    }
    while (i < len) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (!n) return false;
        i += n;
    }
    return true;
}

void certlib__out_bytes(struct certlib__out *out, const char *s, size_t n)
{
    if (out->len < out->cap) {
        size_t room = out->cap - out->len;
        memcpy(out->buf + out->len, s, n < room ? n : room);
    }
    out->len += n;
}

void certlib__out_str(struct certlib__out *out, const char *s)
{
    certlib__out_bytes(out, s, strlen(s));
}

void certlib__out_fmt(struct certlib__out *out, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    /* Callers format numbers and fixed words only; 128 bytes always suffice. */
    certlib__out_bytes(out, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void certlib__out_digits(struct certlib__out *out, unsigned long long v, unsigned width)
{
    char tmp[24];
    size_t at = sizeof(tmp);
    do {
        tmp[--at] = (char)('0' + v % 10);
        v /= 10;
    } while (v || sizeof(tmp) - at < width);
    certlib__out_bytes(out, tmp + at, sizeof(tmp) - at);
}

size_t certlib__out_finish(struct certlib__out *out)
{
    if (out->cap) out->buf[out->len < out->cap ? out->len : out->cap - 1] = '\0';
    return out->len;
}

bool certlib_utf8_valid(const char *s, size_t len)
{
    return certlib__utf8_valid((const uint8_t *)s, len);
}

void certlib__out_json_string(struct certlib__out *out, const uint8_t *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    certlib__out_bytes(out, "\"", 1);
    size_t run = 0; /* start of the current run of bytes that need no escaping */
    for (size_t i = 0; i < len;) {
        uint8_t c = s[i];
        size_t n = 1;
        if (c < 0x80) { /* most text is ASCII: decided here, without the sequence decoder */
            if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7F) {
                i++;
                continue;
            }
        } else if ((n = utf8_seq_len(s + i, len - i)) > 1) {
            i += n;
            continue;
        }
        certlib__out_bytes(out, (const char *)s + run, i - run);
        if (n == 0) {
            certlib__out_bytes(out, "\xEF\xBF\xBD", 3); /* U+FFFD for one invalid byte */
        } else if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            certlib__out_bytes(out, esc, 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            certlib__out_bytes(out, esc, 6);
        }
        i++;
        run = i;
    }
    certlib__out_bytes(out, (const char *)s + run, len - run);
    certlib__out_bytes(out, "\"", 1);
}
