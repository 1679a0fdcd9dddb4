/* The lexer of authd's plain-form JSON readers (batch_numbers.h, vp_token.h): documents whose strings hold
 * no escape, read at memory speed where jansson reads about 40 MB/s. Whatever these accept, jansson reads
 * to the same strings; the readers leave everything else to jansson. */
#ifndef AUTHD_PLAIN_JSON_H
#define AUTHD_PLAIN_JSON_H

#include <stdbool.h>
#include <stddef.h>

/* The index of the first byte at or after `i` that is not JSON whitespace. */
size_t authd_plain_ws(const char *s, size_t len, size_t i);
/* Whitespace, then `c`: true and *i past it, or false. */
bool authd_plain_expect(const char *s, size_t len, size_t *i, char c);
/* Whitespace, then a string: its content s[*start, *end), with no escape, no control character and
 * valid UTF-8, and *i past its closing quote; false otherwise. */
bool authd_plain_string(const char *s, size_t len, size_t *i, size_t *start, size_t *end);

#endif
