/* CBOR output through libcbor's head encoders into a buffer that grows by doubling. */
#include <cbor.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_write.h"

static bool reserve(cbw *w, size_t more)
{
    if (w->oom) return false;
    if (w->cap - w->len >= more) return true;
    size_t cap = w->cap ? w->cap : 256;
    while (cap - w->len < more) {
        if (cap > SIZE_MAX / 2) {
            w->oom = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *grown = malloc(cap);
    if (!grown) {
        w->oom = true;
        return false;
    }
    if (w->buf) {
        memcpy(grown, w->buf, w->len);
        sodium_memzero(w->buf, w->cap);
        free(w->buf);
    }
    w->buf = grown;
    w->cap = cap;
    return true;
}

/* Every libcbor head encoder writes at most 9 bytes. */
#define HEAD(w, call)                                                                                        \
    do {                                                                                                     \
        if (!reserve((w), 9)) return;                                                                        \
        (w)->len += call;                                                                                    \
    } while (0)

void certlib__cbw_uint(cbw *w, uint64_t v)
{
    HEAD(w, cbor_encode_uint(v, w->buf + w->len, 9));
}

void certlib__cbw_int(cbw *w, int64_t v)
{
    if (v >= 0)
        HEAD(w, cbor_encode_uint((uint64_t)v, w->buf + w->len, 9));
    else
        HEAD(w, cbor_encode_negint((uint64_t)(-1 - v), w->buf + w->len, 9));
}

void certlib__cbw_raw(cbw *w, const void *bytes, size_t len)
{
    if (len == 0 || !reserve(w, len)) return;
    memcpy(w->buf + w->len, bytes, len);
    w->len += len;
}

void certlib__cbw_tstrn(cbw *w, const void *s, size_t len)
{
    HEAD(w, cbor_encode_string_start(len, w->buf + w->len, 9));
    certlib__cbw_raw(w, s, len);
}

void certlib__cbw_tstr(cbw *w, const char *s)
{
    certlib__cbw_tstrn(w, s, strlen(s));
}

void certlib__cbw_bstr_head(cbw *w, size_t len)
{
    HEAD(w, cbor_encode_bytestring_start(len, w->buf + w->len, 9));
}

void certlib__cbw_bstr(cbw *w, const void *s, size_t len)
{
    certlib__cbw_bstr_head(w, len);
    certlib__cbw_raw(w, s, len);
}

void certlib__cbw_array(cbw *w, size_t n)
{
    HEAD(w, cbor_encode_array_start(n, w->buf + w->len, 9));
}
void certlib__cbw_map(cbw *w, size_t n)
{
    HEAD(w, cbor_encode_map_start(n, w->buf + w->len, 9));
}
void certlib__cbw_tag(cbw *w, uint64_t tag)
{
    HEAD(w, cbor_encode_tag(tag, w->buf + w->len, 9));
}
void certlib__cbw_bool(cbw *w, bool v)
{
    HEAD(w, cbor_encode_bool(v, w->buf + w->len, 9));
}

void certlib__cbw_embedded(cbw *w, const cbw *inner)
{
    if (inner->oom) {
        w->oom = true;
        return;
    }
    certlib__cbw_tag(w, 24);
    certlib__cbw_bstr(w, inner->buf, inner->len);
}

void certlib__cbw_free(cbw *w)
{
    if (w->buf) {
        sodium_memzero(w->buf, w->cap);
        free(w->buf);
    }
    memset(w, 0, sizeof(*w));
}

uint8_t *certlib__cbw_take(cbw *w, size_t *len)
{
    uint8_t *out = w->buf;
    *len = w->len;
    memset(w, 0, sizeof(*w));
    return out;
}
