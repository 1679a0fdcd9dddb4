/* Whole-file reads for keys, certificates and trust bundles. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/fileio.h"

certlib_err certlib__read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return CERTLIB_E_IO_OPEN;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap + 1);
    certlib_err err = buf ? CERTLIB_OK : CERTLIB_E_NOMEM;
    while (!err) {
        if (n == cap) {
            if (cap >= max) {
                err = CERTLIB_E_CBOR_LIMIT;
                break;
            }
            cap = cap * 2 > max ? max : cap * 2;
            uint8_t *grown = realloc(buf, cap + 1);
            if (!grown) {
                err = CERTLIB_E_NOMEM;
                break;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) err = CERTLIB_E_IO_READ;
            break;
        }
    }
    fclose(f);
    if (err == CERTLIB_OK && n > max) err = CERTLIB_E_CBOR_LIMIT;
    if (err) {
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return CERTLIB_OK;
}
