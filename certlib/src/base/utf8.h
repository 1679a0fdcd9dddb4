/* UTF-8 validation and JSON string escaping for text that came from outside. Internal. */
#ifndef CERTLIB_UTF8_H
#define CERTLIB_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or code points past
 * U+10FFFF). */
bool certlib__utf8_valid(const uint8_t *s, size_t len);

/* A bounded output buffer in the snprintf style: writes what fits, counts what the whole text needs. */
struct certlib__out {
    char *buf;
    size_t cap;
    size_t len; /* bytes the whole output needs so far */
};

void certlib__out_bytes(struct certlib__out *out, const char *s, size_t n);
void certlib__out_str(struct certlib__out *out, const char *s);
void certlib__out_fmt(struct certlib__out *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `v` in decimal, zero-padded to `width` digits (at most 20): what the hot formatters use instead of
 * certlib__out_fmt, whose vsnprintf was half the cost of rendering a batch of identity checks. */
void certlib__out_digits(struct certlib__out *out, unsigned long long v, unsigned width);
/* NUL-terminates within cap (when cap > 0) and returns the full length. */
size_t certlib__out_finish(struct certlib__out *out);

/* Appends `s` as a quoted JSON string: escapes quotes, backslashes and control characters, and
 * replaces each byte that does not start a well-formed UTF-8 sequence by U+FFFD, so the output is
 * always valid JSON. */
void certlib__out_json_string(struct certlib__out *out, const uint8_t *s, size_t len);

#endif
