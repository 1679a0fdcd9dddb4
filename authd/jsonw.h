/* Writing JSON text straight into a growing buffer, for the large responses (lookups, licence views)
 * where building a jansson tree and dumping it cost a quarter of a lookup: jansson's dump looks at
 * every byte of the 3 KB base64url strings one call at a time (measured with perf on bench/authd).
 * The caller writes the structure (braces, commas, keys) itself; strings are escaped here. */
#ifndef AUTHD_JSONW_H
#define AUTHD_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct authd_jsonw {
    char *buf;
    size_t len, cap;
    bool failed; /* out of memory, or a string that was not UTF-8: the text is not to be sent */
};

/* Text that is already JSON (punctuation, keys known to need no escaping). */
void authd_jsonw_raw(struct authd_jsonw *w, const char *s, size_t n);
/* A string literal (never a pointer: its size is the literal's). */
#define authd_jsonw_lit(w, literal) authd_jsonw_raw((w), "" literal "", sizeof(literal) - 1)
/* A JSON string: quotes, backslashes and control characters escaped. Text that is not well-formed
 * UTF-8 fails the writer (every string authd sends has been checked before). */
void authd_jsonw_string(struct authd_jsonw *w, const char *s, size_t n);
void authd_jsonw_cstring(struct authd_jsonw *w, const char *s); /* NUL-terminated; NULL writes null */
void authd_jsonw_int(struct authd_jsonw *w, long long v);
/* Bytes as a base64url string without padding. */
void authd_jsonw_base64url(struct authd_jsonw *w, const uint8_t *bytes, size_t len);
/* The NUL-terminated text (malloc'd; the caller frees it) and its length, or NULL when the writer
 * failed (the buffer is then freed). Either way the writer is empty afterwards. */
char *authd_jsonw_take(struct authd_jsonw *w, size_t *len);
/* Wipes and frees what was written (responses can hold personal data). */
void authd_jsonw_discard(struct authd_jsonw *w);

#endif
