/* libFuzzer target for the CBOR reader and the COSE decoders: any bytes as one CBOR item, as a
 * COSE_Sign1, as a COSE_Key and as a GB/T 36904 identifier. Nothing may crash, leak or read out of
 * bounds, and every slice handed back must lie inside the input. */
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_read.h"
#include "certlib/licence_id.h"
#include "cose/cose.h"
#include "cose/cose_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(certlib_slice s, const uint8_t *data, size_t size)
{
    if (s.len && (s.ptr < data || s.ptr + s.len > data + size)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cbr r;
    cbr_init(&r, data, size);
    certlib_slice raw;
    if (certlib__cbr_raw(&r, 0, &raw) == CERTLIB_OK) inside(raw, data, size);

    certlib__sign1 s;
    cbr_init(&r, data, size);
    if (certlib__sign1_decode(&r, &s) == CERTLIB_OK) {
        inside(s.protected_bytes, data, size);
        inside(s.payload, data, size);
        inside(s.signature, data, size);
        inside(s.kid, data, size);
        for (size_t i = 0; i < s.n_x5chain; i++)
            inside(s.x5chain[i], data, size);
        if (s.signature.len != 64 || s.n_x5chain > COSE_MAX_X5CHAIN) abort();
    }

    certlib__cose_key key;
    if (certlib__cose_key_parse((certlib_slice){data, size}, &key) == CERTLIB_OK && key.x.len != 32) abort();

    certlib_licence_id id;
    if (certlib_licence_id_parse((const char *)data, size, &id) == CERTLIB_OK && strlen(id.issuer_code) != 18)
        abort();
    return 0;
}
