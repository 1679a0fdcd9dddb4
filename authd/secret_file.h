/* A secret kept in a file: a token's PIN, a cipher machine's access password. */
#ifndef AUTHD_SECRET_FILE_H
#define AUTHD_SECRET_FILE_H

#include <stddef.h>

#include "errors.h"

#define AUTHD_SECRET_MAX 256

/* The file's first line, without its line end and NUL-terminated, into locked memory (*out: sodium_malloc'd,
 * AUTHD_SECRET_MAX + 1 bytes, freed with sodium_free, which wipes it). `what` names the secret in the
 * message ("PIN"); the message names the file, never the secret. AUTHD_E_CONFIG when it cannot be read,
 * AUTHD_E_NOMEM. */
authd_err authd_secret_file_read(const char *path, const char *what, char **out, size_t *len, char *err,
                                 size_t err_cap);

#endif
