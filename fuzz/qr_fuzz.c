/* libFuzzer target for the QR transport: any bytes as QR text. What decodes must be at most the cap
 * and must encode back to text that decodes to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "certlib/licence.h"
#include "certlib/qr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *cbor, *again;
    size_t len, again_len;
    if (certlib_qr_decode((const char *)data, size, &cbor, &len) != CERTLIB_OK) return 0;
    if (len > CERTLIB_QR_MAX_CBOR) abort();
    char *text;
    if (certlib_qr_encode(cbor, len, &text) != CERTLIB_OK) abort();
    if (certlib_qr_decode(text, strlen(text), &again, &again_len) != CERTLIB_OK || again_len != len ||
        memcmp(again, cbor, len) != 0)
        abort();
    certlib_free(again);
    certlib_free(text);
    certlib_free(cbor);
    return 0;
}
