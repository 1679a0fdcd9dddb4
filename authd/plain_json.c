/* The plain-form lexer (plain_json.h). */
#include <stdint.h>
#include <string.h>

#include "certlib/common.h"
#include "plain_json.h"

size_t authd_plain_ws(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

bool authd_plain_expect(const char *s, size_t len, size_t *i, char c)
{
    *i = authd_plain_ws(s, len, *i);
    if (*i >= len || s[*i] != c) return false;
    (*i)++;
    return true;
}

bool authd_plain_string(const char *s, size_t len, size_t *i, size_t *start, size_t *end)
{
    if (!authd_plain_expect(s, len, i, '"')) return false;
    const char *close = memchr(s + *i, '"', len - *i);
    if (!close) return false;
    *start = *i;
    *end = (size_t)(close - s);
    for (size_t k = *start; k < *end; k++)
        if ((uint8_t)s[k] < 0x20 || s[k] == '\\') return false;
    if (!certlib_utf8_valid(s + *start, *end - *start)) return false;
    *i = *end + 1;
    return true;
}
