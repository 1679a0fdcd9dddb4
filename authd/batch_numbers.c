/* The plain form of a batch (batch_numbers.h), read in two passes: the first checks the form and counts,
 * the second copies. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch_numbers.h"
#include "certlib/common.h"

static size_t skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
    *i = skip_ws(s, len, *i);
    if (*i >= len || s[*i] != c) return false;
    (*i)++;
    return true;
}

/* A string at s[*i] (after its opening quote): its end, with no escape, no control character and valid
 * UTF-8; false otherwise. */
static bool plain_string(const char *s, size_t len, size_t *i, size_t *start, size_t *end)
{
    *start = *i;
    const char *close = memchr(s + *i, '"', len - *i);
    if (!close) return false;
    *end = (size_t)(close - s);
    for (size_t k = *start; k < *end; k++)
        if ((uint8_t)s[k] < 0x20 || s[k] == '\\') return false;
    if (!certlib_utf8_valid(s + *start, *end - *start)) return false;
    *i = *end + 1;
    return true;
}

/* Walks the form; with `out` NULL only counts (and checks), otherwise copies into out's arrays. */
static bool walk(const char *s, size_t len, size_t *count, struct authd_batch_numbers *out)
{
    size_t i = 0, a, b, n = 0, at = 0;
    if (!expect(s, len, &i, '{') || !expect(s, len, &i, '"') || !plain_string(s, len, &i, &a, &b) ||
        b - a != 7 || memcmp(s + a, "numbers", 7) != 0 || !expect(s, len, &i, ':') ||
        !expect(s, len, &i, '['))
        return false;
    i = skip_ws(s, len, i);
    if (i < len && s[i] == ']') {
        i++;
    } else {
        for (;;) {
            if (!expect(s, len, &i, '"') || !plain_string(s, len, &i, &a, &b)) return false;
            if (out) {
                out->offsets[n] = at;
                memcpy(out->strings + at, s + a, b - a);
                at += b - a;
            }
            n++;
            i = skip_ws(s, len, i);
            if (i < len && s[i] == ',') {
                i++;
                continue;
            }
            if (!expect(s, len, &i, ']')) return false;
            break;
        }
    }
    if (!expect(s, len, &i, '}') || skip_ws(s, len, i) != len) return false;
    if (out) out->offsets[n] = at;
    *count = n;
    return true;
}

enum authd_batch_read authd_batch_numbers_read(const char *body, size_t len, size_t max,
                                               struct authd_batch_numbers *out)
{
    *out = (struct authd_batch_numbers){0};
    size_t n;
    if (!body || !walk(body, len, &n, NULL)) return AUTHD_BATCH_NOT_PLAIN;
    out->n = n;
    if (n > max) return AUTHD_BATCH_TOO_MANY;
    out->strings = malloc(len ? len : 1); /* the strings are shorter than the document */
    out->offsets = malloc((n + 1) * sizeof(*out->offsets));
    if (!out->strings || !out->offsets) {
        free(out->strings);
        free(out->offsets);
        *out = (struct authd_batch_numbers){0};
        return AUTHD_BATCH_NO_MEMORY;
    }
    walk(body, len, &n, out);
    return AUTHD_BATCH_READ;
}
