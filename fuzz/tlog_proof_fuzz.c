/* libFuzzer target for tlog-proof receipts and Merkle proof verification: any bytes as a receipt
 * (verified under the example signature log's key), and as raw proofs: the first 16 bytes give an index
 * and a size, the rest is read as hashes. */
#include <stdlib.h>
#include <string.h>

#include "certlib/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vkey[] =
    "authd.hangzhou.example/log/signatures+cbb6bb74+AZJcIPSaxFhOFHoZqMB4P7+3I+OMbk11W0Qx9t5FgUTg";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlib_note_verifier v;
    if (certlib_note_verifier_parse(vkey, strlen(vkey), &v) != CERTLIB_OK) abort();
    certlib_tlog_proof proof;
    if (certlib_tlog_proof_parse((const char *)data, size, &proof) == CERTLIB_OK) {
        if (proof.path_len > CERTLIB_TLOG_MAX_PROOF || proof.checkpoint_len == 0 ||
            proof.checkpoint + proof.checkpoint_len != (const char *)data + size)
            abort();
        (void)certlib_tlog_proof_verify((const char *)data, size, &v, proof.extra, proof.extra_len, NULL,
                                        NULL);
    }
    if (size < 16) return 0;
    uint64_t a = 0, b = 0;
    for (int i = 0; i < 8; i++) {
        a = a << 8 | data[i];
        b = b << 8 | data[8 + i];
    }
    size_t n = (size - 16) / CERTLIB_TLOG_HASH_LEN;
    const certlib_tlog_hash *hashes = n ? (const certlib_tlog_hash *)malloc(n * CERTLIB_TLOG_HASH_LEN) : NULL;
    if (n) memcpy((void *)hashes, data + 16, n * CERTLIB_TLOG_HASH_LEN);
    static const certlib_tlog_hash zero = {0};
    (void)certlib_tlog_verify_inclusion(a, b, zero, hashes, n, zero);
    (void)certlib_tlog_verify_consistency(a, b, hashes, n, zero, zero);
    free((void *)hashes);
    return 0;
}
