/* Reading whole files with a size limit. Internal. */
#ifndef CERTLIB_FILEIO_H
#define CERTLIB_FILEIO_H

#include "certlib/error.h"

/* Reads `path` into a new buffer (NUL-terminated, not counted in *len); CERTLIB_E_CBOR_LIMIT when
 * larger than `max`. Free with free(). */
certlib_err certlib__read_file(const char *path, size_t max, uint8_t **out, size_t *len);

#endif
