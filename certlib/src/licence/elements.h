/* Element values: encoding them for issuance and decoding them for results. Internal. */
#ifndef CERTLIB_ELEMENTS_H
#define CERTLIB_ELEMENTS_H

#include "cbor/cbor_write.h"
#include "certlib/licence.h"

/* True for identifiers of the form [a-z][a-z0-9_]{0,63}. */
bool certlib__identifier_ok(const char *s);

/* Appends the CBOR of an input element's value after checking it (CERTLIB_E_ELEMENT_VALUE). */
certlib_err certlib__element_encode(cbw *w, const certlib_element *e);

/* Classifies an encoded value and fills type, integer, boolean, bytes and (for text forms) text
 * pointers into `raw`; text is not NUL-terminated here (text_len says how long). */
certlib_err certlib__element_decode(certlib_slice raw, certlib_element *e);

#endif
