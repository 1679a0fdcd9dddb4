/* CBOR items into a jsonw buffer (cborw.h). */
#include <cbor.h>
#include <string.h>

#include "cborw.h"

static void head(struct authd_jsonw *w, size_t (*encode)(size_t, unsigned char *, size_t), size_t n)
{
    unsigned char b[9]; /* the longest head: a byte and a 64-bit length */
    authd_jsonw_raw(w, (const char *)b, encode(n, b, sizeof(b)));
}

void authd_cborw_map(struct authd_jsonw *w, size_t n)
{
    head(w, cbor_encode_map_start, n);
}

void authd_cborw_array(struct authd_jsonw *w, size_t n)
{
    head(w, cbor_encode_array_start, n);
}

void authd_cborw_text(struct authd_jsonw *w, const char *s, size_t n)
{
    head(w, cbor_encode_string_start, n);
    authd_jsonw_raw(w, s, n);
}

void authd_cborw_ctext(struct authd_jsonw *w, const char *s)
{
    authd_cborw_text(w, s, strlen(s));
}

void authd_cborw_bytes(struct authd_jsonw *w, const uint8_t *b, size_t n)
{
    head(w, cbor_encode_bytestring_start, n);
    authd_jsonw_raw(w, (const char *)b, n);
}
