/* libFuzzer target for C2SP tlog-witness add-checkpoint request bodies: any bytes parsed; a body that
 * parses has its checkpoint inside it, after at least the old-size line and the empty line, and that
 * checkpoint's cosignature lines are checked too. */
#include <stdlib.h>

#include "certlib/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t old;
    static certlib_tlog_hash proof[CERTLIB_WITNESS_MAX_PROOF];
    size_t n, at;
    if (certlib_witness_request_parse((const char *)data, size, &old, proof, &n, &at) != CERTLIB_OK) return 0;
    if (at < 7 || at >= size || n > CERTLIB_WITNESS_MAX_PROOF || data[at - 1] != '\n' || data[at - 2] != '\n')
        abort();
    return 0;
}
