/* A growable CBOR output buffer over libcbor's encoders. Internal.
 *
 * Writers never fail part-way: an allocation failure sets `oom` and later writes do nothing, so a
 * builder checks once at the end. Heads are always in preferred (shortest) form, the form
 * cbor_read.c insists on.
 */
#ifndef CERTLIB_CBOR_WRITE_H
#define CERTLIB_CBOR_WRITE_H

#include <stdbool.h>

#include "certlib/error.h"

typedef struct cbw {
    uint8_t *buf;
    size_t len;
    size_t cap;
    bool oom;
} cbw;

void certlib__cbw_uint(cbw *w, uint64_t v);
void certlib__cbw_int(cbw *w, int64_t v);
void certlib__cbw_tstr(cbw *w, const char *s); /* NUL-terminated */
void certlib__cbw_tstrn(cbw *w, const void *s, size_t len);
void certlib__cbw_bstr(cbw *w, const void *s, size_t len);
void certlib__cbw_bstr_head(cbw *w, size_t len); /* the content follows with certlib__cbw_raw */
void certlib__cbw_array(cbw *w, size_t n);
void certlib__cbw_map(cbw *w, size_t n);
void certlib__cbw_tag(cbw *w, uint64_t tag);
void certlib__cbw_bool(cbw *w, bool v);
void certlib__cbw_raw(cbw *w, const void *bytes, size_t len);
/* Appends #6.24(bstr) around the bytes of `inner`. */
void certlib__cbw_embedded(cbw *w, const cbw *inner);

/* CERTLIB_E_NOMEM after a failed allocation; otherwise CERTLIB_OK. */
static inline certlib_err cbw_status(const cbw *w)
{
    return w->oom ? CERTLIB_E_NOMEM : CERTLIB_OK;
}

/* Frees the buffer (and wipes it: builders may hold element values of personal data). */
void certlib__cbw_free(cbw *w);

/* Hands the buffer to the caller (free with free()) and resets the writer. */
uint8_t *certlib__cbw_take(cbw *w, size_t *len);

#endif
