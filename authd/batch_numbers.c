/* The plain form of a batch (batch_numbers.h), read in two passes: the first checks the form and counts,
 * the second copies. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch_numbers.h"
#include "plain_json.h"

/* Walks the form; with `out` NULL only counts (and checks), otherwise copies into out's arrays. */
static bool walk(const char *s, size_t len, size_t *count, struct authd_batch_numbers *out)
{
    size_t i = 0, a, b, n = 0, at = 0;
    if (!authd_plain_expect(s, len, &i, '{') || !authd_plain_string(s, len, &i, &a, &b) || b - a != 7 ||
        memcmp(s + a, "numbers", 7) != 0 || !authd_plain_expect(s, len, &i, ':') ||
        !authd_plain_expect(s, len, &i, '['))
        return false;
    i = authd_plain_ws(s, len, i);
    if (i < len && s[i] == ']') {
        i++;
    } else {
        for (;;) {
            if (!authd_plain_string(s, len, &i, &a, &b)) return false;
            if (out) {
                out->offsets[n] = at;
                memcpy(out->strings + at, s + a, b - a);
                at += b - a;
            }
            n++;
            i = authd_plain_ws(s, len, i);
            if (i < len && s[i] == ',') {
                i++;
                continue;
            }
            if (!authd_plain_expect(s, len, &i, ']')) return false;
            break;
        }
    }
    if (!authd_plain_expect(s, len, &i, '}') || authd_plain_ws(s, len, i) != len) return false;
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
