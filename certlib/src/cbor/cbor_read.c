/* Strict CBOR pull reader over libcbor's cbor_stream_decode: libcbor decodes each head, this file
 * enforces the profile (definite lengths, preferred heads, UTF-8 text, bounded depth) and keeps every
 * item's position so callers can hash the received bytes. */
#include <cbor.h>
#include <string.h>

#include "cbor/cbor_read.h"
#include "base/utf8.h"

/* What a callback saw. `fault` marks heads the profile rejects (indefinite lengths, breaks). */
struct head_sink {
    cbr_item *it;
    size_t payload; /* string content length, so head length = read - payload */
    bool fault;
};

#define SINK(ctx) ((struct head_sink *)(ctx))

static void on_uint(void *ctx, uint64_t v)
{
    SINK(ctx)->it->major = CBR_UINT;
    SINK(ctx)->it->value = v;
}
static void on_uint8(void *ctx, uint8_t v)
{
    on_uint(ctx, v);
}
static void on_uint16(void *ctx, uint16_t v)
{
    on_uint(ctx, v);
}
static void on_uint32(void *ctx, uint32_t v)
{
    on_uint(ctx, v);
}

static void on_negint(void *ctx, uint64_t v)
{
    SINK(ctx)->it->major = CBR_NEGINT;
    SINK(ctx)->it->value = v;
}
static void on_negint8(void *ctx, uint8_t v)
{
    on_negint(ctx, v);
}
static void on_negint16(void *ctx, uint16_t v)
{
    on_negint(ctx, v);
}
static void on_negint32(void *ctx, uint32_t v)
{
    on_negint(ctx, v);
}

static void on_bstr(void *ctx, cbor_data data, size_t len)
{
    SINK(ctx)->it->major = CBR_BSTR;
    SINK(ctx)->it->value = len;
    SINK(ctx)->it->data = data;
    SINK(ctx)->payload = len;
}

static void on_tstr(void *ctx, cbor_data data, size_t len)
{
    on_bstr(ctx, data, len);
    SINK(ctx)->it->major = CBR_TSTR;
}

static void on_array(void *ctx, size_t n)
{
    SINK(ctx)->it->major = CBR_ARRAY;
    SINK(ctx)->it->value = n;
}

static void on_map(void *ctx, size_t n)
{
    SINK(ctx)->it->major = CBR_MAP;
    SINK(ctx)->it->value = n;
}

static void on_tag(void *ctx, uint64_t tag)
{
    SINK(ctx)->it->major = CBR_TAG;
    SINK(ctx)->it->value = tag;
}

static void on_simple(void *ctx, uint64_t v)
{
    SINK(ctx)->it->major = CBR_SIMPLE;
    SINK(ctx)->it->value = v;
}
static void on_false_true(void *ctx, bool v)
{
    on_simple(ctx, v ? CBR_TRUE : CBR_FALSE);
}
static void on_null(void *ctx)
{
    on_simple(ctx, CBR_NULL);
}
static void on_undefined(void *ctx)
{
    on_simple(ctx, CBR_UNDEFINED);
}
static void on_float(void *ctx, float v)
{
    (void)v;
    on_simple(ctx, CBR_FLOAT);
}
static void on_double(void *ctx, double v)
{
    (void)v;
    on_simple(ctx, CBR_FLOAT);
}
static void on_fault(void *ctx)
{
    SINK(ctx)->fault = true;
}

static const struct cbor_callbacks callbacks = {
    .uint8 = on_uint8,
    .uint16 = on_uint16,
    .uint32 = on_uint32,
    .uint64 = on_uint,
    .negint8 = on_negint8,
    .negint16 = on_negint16,
    .negint32 = on_negint32,
    .negint64 = on_negint,
    .byte_string = on_bstr,
    .byte_string_start = on_fault,
    .string = on_tstr,
    .string_start = on_fault,
    .array_start = on_array,
    .indef_array_start = on_fault,
    .map_start = on_map,
    .indef_map_start = on_fault,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_undefined,
    .null = on_null,
    .boolean = on_false_true,
    .indef_break = on_fault,
};

/* RFC 8949 §4.2.1: the shortest head for an argument. */
static size_t preferred_head_len(uint64_t v)
{
    if (v < 24) return 1;
    if (v <= 0xFF) return 2;
    if (v <= 0xFFFF) return 3;
    if (v <= 0xFFFFFFFFu) return 5;
    return 9;
}

certlib_err certlib__cbr_head(cbr *r, cbr_item *it)
{
    if (r->p >= r->end) return CERTLIB_E_CBOR_TRUNCATED;
    /* Simple values 0..19 and 32..255 (0xE0-0xF3, 0xF8) have no use in any certlib structure. */
    uint8_t ib = r->p[0];
    if ((ib >= 0xE0 && ib <= 0xF3) || ib == 0xF8) return CERTLIB_E_CBOR_MALFORMED;
    /* Indefinite lengths are refused where they start, so a break is always out of place. */
    if (ib == 0xFF) return CERTLIB_E_CBOR_MALFORMED;

    memset(it, 0, sizeof(*it));
    it->start = r->p;
    /* libcbor 0.8 refuses one-byte tag heads 6-20 as "unassigned", though tag 18 (COSE_Sign1) and
     * others are assigned now. The head is its own value; decode it here. */
    if (ib >= 0xC6 && ib <= 0xD4) {
        it->major = CBR_TAG;
        it->value = ib & 0x1F;
        r->p++;
        return CERTLIB_OK;
    }
    struct head_sink sink = {.it = it};
    struct cbor_decoder_result res = cbor_stream_decode(r->p, (size_t)(r->end - r->p), &callbacks, &sink);
    switch (res.status) {
    case CBOR_DECODER_FINISHED:
        break;
    case CBOR_DECODER_NEDATA:
        return CERTLIB_E_CBOR_TRUNCATED;
    case CBOR_DECODER_ERROR:
    default:
        return CERTLIB_E_CBOR_MALFORMED;
    }
    if (sink.fault) return CERTLIB_E_CBOR_NOT_PREFERRED;

    size_t head_len = res.read - sink.payload;
    if (it->major != CBR_SIMPLE && head_len != preferred_head_len(it->value))
        return CERTLIB_E_CBOR_NOT_PREFERRED;
    if (it->major == CBR_TSTR && !certlib__utf8_valid(it->data, (size_t)it->value))
        return CERTLIB_E_CBOR_MALFORMED;
    /* Every array element and map entry takes at least one byte: larger counts cannot be honest, and
     * refusing them here bounds every loop over a count by the input length. */
    if ((it->major == CBR_ARRAY && it->value > (uint64_t)(r->end - r->p)) ||
        (it->major == CBR_MAP && it->value > (uint64_t)(r->end - r->p) / 2))
        return CERTLIB_E_CBOR_TRUNCATED;
    r->p += res.read;
    return CERTLIB_OK;
}

int certlib__cbr_peek(const cbr *r)
{
    return r->p < r->end ? r->p[0] >> 5 : -1;
}

certlib_err certlib__cbr_skip(cbr *r, int depth)
{
    if (depth > CBR_MAX_DEPTH) return CERTLIB_E_CBOR_DEPTH;
    cbr_item it;
    certlib_err err = certlib__cbr_head(r, &it);
    if (err) return err;
    uint64_t children = 0;
    switch (it.major) {
    case CBR_ARRAY:
        children = it.value;
        break;
    case CBR_MAP:
        children = it.value * 2;
        break;
    case CBR_TAG:
        children = 1;
        break;
    default:
        break;
    }
    for (uint64_t i = 0; i < children; i++)
        if ((err = certlib__cbr_skip(r, depth + 1))) return err;
    return CERTLIB_OK;
}

certlib_err certlib__cbr_raw(cbr *r, int depth, certlib_slice *raw)
{
    const uint8_t *start = r->p;
    certlib_err err = certlib__cbr_skip(r, depth);
    if (err) return err;
    raw->ptr = start;
    raw->len = (size_t)(r->p - start);
    return CERTLIB_OK;
}

static certlib_err expect(cbr *r, uint8_t major, cbr_item *it)
{
    int next = certlib__cbr_peek(r);
    if (next < 0) return CERTLIB_E_CBOR_TRUNCATED;
    if (next != major) return CERTLIB_E_CBOR_TYPE;
    return certlib__cbr_head(r, it);
}

certlib_err certlib__cbr_uint(cbr *r, uint64_t *v)
{
    cbr_item it;
    certlib_err err = expect(r, CBR_UINT, &it);
    if (!err) *v = it.value;
    return err;
}

certlib_err certlib__cbr_int(cbr *r, int64_t *v)
{
    int next = certlib__cbr_peek(r);
    if (next != CBR_UINT && next != CBR_NEGINT)
        return next < 0 ? CERTLIB_E_CBOR_TRUNCATED : CERTLIB_E_CBOR_TYPE;
    cbr_item it;
    certlib_err err = certlib__cbr_head(r, &it);
    if (err) return err;
    if (it.value > (uint64_t)INT64_MAX) return CERTLIB_E_CBOR_LIMIT;
    *v = it.major == CBR_UINT ? (int64_t)it.value : -1 - (int64_t)it.value;
    return CERTLIB_OK;
}

static certlib_err read_string(cbr *r, uint8_t major, certlib_slice *s)
{
    cbr_item it;
    certlib_err err = expect(r, major, &it);
    if (err) return err;
    s->ptr = it.data;
    s->len = (size_t)it.value;
    return CERTLIB_OK;
}

certlib_err certlib__cbr_tstr(cbr *r, certlib_slice *s)
{
    return read_string(r, CBR_TSTR, s);
}
certlib_err certlib__cbr_bstr(cbr *r, certlib_slice *s)
{
    return read_string(r, CBR_BSTR, s);
}

static certlib_err read_count(cbr *r, uint8_t major, uint64_t *n)
{
    cbr_item it;
    certlib_err err = expect(r, major, &it);
    if (!err) *n = it.value;
    return err;
}

certlib_err certlib__cbr_array(cbr *r, uint64_t *n)
{
    return read_count(r, CBR_ARRAY, n);
}
certlib_err certlib__cbr_map(cbr *r, uint64_t *n)
{
    return read_count(r, CBR_MAP, n);
}
certlib_err certlib__cbr_tag(cbr *r, uint64_t *tag)
{
    return read_count(r, CBR_TAG, tag);
}

certlib_err certlib__cbr_embedded(cbr *r, certlib_slice *inner, certlib_slice *whole)
{
    const uint8_t *start = r->p;
    uint64_t tag;
    certlib_err err = certlib__cbr_tag(r, &tag);
    if (err) return err;
    if (tag != 24) return CERTLIB_E_CBOR_TYPE;
    if ((err = certlib__cbr_bstr(r, inner))) return err;
    if (whole) {
        whole->ptr = start;
        whole->len = (size_t)(r->p - start);
    }
    return CERTLIB_OK;
}

certlib_err certlib__cbr_unique_keys(const certlib_slice *keys, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (keys[i].len == keys[j].len && memcmp(keys[i].ptr, keys[j].ptr, keys[i].len) == 0)
                return CERTLIB_E_CBOR_DUPLICATE_KEY;
    return CERTLIB_OK;
}
