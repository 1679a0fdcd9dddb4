/* libFuzzer target for a holder's request (the use record): the input is a licence and a proof
 * (2 bytes of licence length, big-endian, the licence, then the proof), checked as authd checks it,
 * for a fixed licence id and nonce. Whatever the bytes, the answer is a certlib_err and no more. */
#include <stdlib.h>
#include <string.h>

#include "certlib/certlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t nonce[32] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                      1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    if (size < 2) return 0;
    size_t len = (size_t)data[0] << 8 | data[1];
    if (len > size - 2) return 0;
    const uint8_t *licence = data + 2, *proof = licence + len;
    certlib_err e = certlib_holder_request_verify(licence, len, "fuzz-licence", nonce, sizeof(nonce), proof,
                                                  size - 2 - len);
    if (e == CERTLIB_E_INVALID_ARGUMENT) abort(); /* every argument here is in range */
    return 0;
}
