/* Identifiers inside free text (certlib_ident_find in ident.h). */
#include <stdint.h>
#include <string.h>

#include "certlib/ident.h"

#define MAX_TOKENS 64 /* per run of joined tokens: more than enough for 18 characters */

/* One character of the text: its ASCII letter or digit (full-width folded), 0 for a separator that may
 * join tokens, -1 for anything else. `*n` receives its length in bytes. */
static int classify(const unsigned char *p, size_t left, size_t *n)
{
    *n = 1;
    unsigned char c = p[0];
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return c;
    if (c == ' ' || c == '-') return 0;
    /* U+FF10..U+FF5A (full-width digits and letters) are EF BC 90..EF BD 9A; U+3000 is E3 80 80 */
    if (left >= 3 && c == 0xE3 && p[1] == 0x80 && p[2] == 0x80) return *n = 3, 0;
    if (left >= 3 && c == 0xEF && (p[1] == 0xBC || p[1] == 0xBD) && p[2] >= 0x80 && p[2] <= 0xBF) {
        unsigned cp = 0xFF00u + (unsigned)((p[1] - 0xBC) * 64 + (p[2] - 0x80));
        *n = 3;
        if (cp >= 0xFF10 && cp <= 0xFF19) return (int)('0' + cp - 0xFF10);
        if (cp >= 0xFF21 && cp <= 0xFF3A) return (int)('A' + cp - 0xFF21);
        if (cp >= 0xFF41 && cp <= 0xFF5A) return (int)('a' + cp - 0xFF41);
        return -1;
    }
    if (c >= 0xC0) { /* another UTF-8 sequence: its continuation bytes, as far as they go */
        size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        while (*n < want && *n < left && (p[*n] & 0xC0) == 0x80)
            (*n)++;
    }
    return -1;
}

struct token {
    size_t start, end; /* byte offsets in the text */
    size_t chars;      /* letters and digits */
    char folded[19];   /* the first 18 of them, ASCII */
};

static bool valid(const char *chars, size_t n, const certlib_ident_opts *opts, certlib_ident *out)
{
    if (n != 15 && n != 18) return false;
    return certlib_ident_check(chars, n, opts, out) == CERTLIB_OK;
}

/* Tokens tokens[0..count) were separated by single joining characters: tries each run of them. */
static bool try_run(const struct token *t, size_t count, const certlib_ident_opts *opts, certlib_ident *out,
                    size_t *at, size_t *at_len)
{
    for (size_t i = 0; i < count; i++) {
        char joined[19];
        size_t n = 0;
        for (size_t j = i; j < count && n + t[j].chars <= 18; j++) {
            memcpy(joined + n, t[j].folded, t[j].chars);
            n += t[j].chars;
            if (valid(joined, n, opts, out)) {
                if (at) *at = t[i].start;
                if (at_len) *at_len = t[j].end - t[i].start;
                return true;
            }
        }
    }
    return false;
}

bool certlib_ident_find(const char *text, size_t len, const certlib_ident_opts *opts, certlib_ident *found,
                        size_t *at, size_t *at_len)
{
    certlib_ident scratch;
    certlib_ident *out = found ? found : &scratch;
    const unsigned char *p = (const unsigned char *)text;
    struct token run[MAX_TOKENS];
    size_t count = 0, i = 0, joiners = 0;
    while (i <= len) {
        size_t n = 1;
        int c = i < len ? classify(p + i, len - i, &n) : -1;
        if (c > 0) {
            if (count == 0 || joiners != 0) { /* a new token */
                if (count == MAX_TOKENS) {
                    if (try_run(run, count, opts, out, at, at_len)) return true;
                    count = 0;
                }
                run[count++] = (struct token){.start = i};
            }
            struct token *t = &run[count - 1];
            if (t->chars < 18) t->folded[t->chars] = (char)c;
            t->chars++;
            t->end = i + n;
            joiners = 0;
        } else if (c == 0 && count && joiners == 0) {
            joiners = 1;    /* one joining character: the run may go on */
        } else if (count) { /* the run ends */
            if (try_run(run, count, opts, out, at, at_len)) return true;
            count = 0;
            joiners = 0;
        }
        i += n;
    }
    return false;
}
