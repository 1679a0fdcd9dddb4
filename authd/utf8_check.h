/* UTF-8 well-formedness for text that arrives in paths and queries. */
#ifndef AUTHD_UTF8_CHECK_H
#define AUTHD_UTF8_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 without control characters. */
bool authd_utf8_valid(const char *s, size_t len);

#endif
