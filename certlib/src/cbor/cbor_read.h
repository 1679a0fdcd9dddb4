/* A strict pull reader for CBOR (RFC 8949) built on libcbor's streaming decoder. Internal.
 *
 * Every item is read in place: strings come back as slices into the input, and every item's exact
 * encoded bytes are known, so digests and signatures cover the bytes as received (never a
 * re-encoding). Strict by design: definite lengths only, shortest ("preferred") heads only, text must
 * be valid UTF-8, nesting is bounded. Each violation has its own certlib_err.
 */
#ifndef CERTLIB_CBOR_READ_H
#define CERTLIB_CBOR_READ_H

#include <stdbool.h>

#include "certlib/error.h"

#define CBR_MAX_DEPTH 16 /* deepest nesting any certlib structure needs, with room for element values */

enum cbr_major {
    CBR_UINT = 0,
    CBR_NEGINT = 1,
    CBR_BSTR = 2,
    CBR_TSTR = 3,
    CBR_ARRAY = 4,
    CBR_MAP = 5,
    CBR_TAG = 6,
    CBR_SIMPLE = 7, /* false, true, null, undefined, floats */
};

enum cbr_simple { CBR_FALSE = 20, CBR_TRUE = 21, CBR_NULL = 22, CBR_UNDEFINED = 23, CBR_FLOAT = 25 };

/* A cursor over [p, end). */
typedef struct cbr {
    const uint8_t *p;
    const uint8_t *end;
} cbr;

/* One head. For strings `data` points at the content and `value` is its length; for arrays and maps
 * `value` is the count; for tags the tag number; for CBR_NEGINT the encoded n of -1-n; for
 * CBR_SIMPLE `value` is one of enum cbr_simple. `start` is the head's first byte. */
typedef struct cbr_item {
    uint8_t major;
    uint64_t value;
    const uint8_t *start;
    const uint8_t *data;
} cbr_item;

static inline void cbr_init(cbr *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->end = p + len;
}

/* Reads one head (and a string's content). */
certlib_err certlib__cbr_head(cbr *r, cbr_item *it);
/* Skips one complete data item; `depth` is the nesting already entered. */
certlib_err certlib__cbr_skip(cbr *r, int depth);
/* Skips one complete item and returns its encoded bytes. */
certlib_err certlib__cbr_raw(cbr *r, int depth, certlib_slice *raw);

/* Typed reads: CERTLIB_E_CBOR_TYPE when the next item is of another type. */
certlib_err certlib__cbr_uint(cbr *r, uint64_t *v);
certlib_err certlib__cbr_int(cbr *r, int64_t *v);
certlib_err certlib__cbr_tstr(cbr *r, certlib_slice *s);
certlib_err certlib__cbr_bstr(cbr *r, certlib_slice *s);
certlib_err certlib__cbr_array(cbr *r, uint64_t *n);
certlib_err certlib__cbr_map(cbr *r, uint64_t *n);
certlib_err certlib__cbr_tag(cbr *r, uint64_t *tag);

/* Reads #6.24(bstr) and returns the content (`inner`) and the whole tagged item's bytes (`whole`),
 * which is what ISO 18013-5 digests and signs. */
certlib_err certlib__cbr_embedded(cbr *r, certlib_slice *inner, certlib_slice *whole);

/* The major type of the next item without consuming it; -1 at the end of input. */
int certlib__cbr_peek(const cbr *r);

/* CERTLIB_E_CBOR_TRAILING unless the cursor is at the end. */
static inline certlib_err cbr_done(const cbr *r)
{
    return r->p == r->end ? CERTLIB_OK : CERTLIB_E_CBOR_TRAILING;
}

static inline bool slice_eq_str(certlib_slice s, const char *lit)
{
    size_t n = __builtin_strlen(lit);
    return s.len == n && __builtin_memcmp(s.ptr, lit, n) == 0;
}

/* Checks that the `n` keys in `keys` (their encoded bytes) are distinct. With preferred encoding
 * enforced, equal keys have equal bytes. */
certlib_err certlib__cbr_unique_keys(const certlib_slice *keys, size_t n);

#endif
