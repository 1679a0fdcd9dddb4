/* libFuzzer target for certificate revocation lists: any bytes as a CRL, against the demo trust bundle.
 * A CRL is accepted only when a root of the bundle signed it; whatever comes in, verification still
 * yields a result afterwards. */
#include <stdlib.h>
#include <string.h>

#include "certlib/certlib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static certlib_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (certlib_ctx_new(&ctx) || certlib_ctx_load_trust_file(ctx, KEYS_DIR "/trust.json")) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlib_err err = certlib_ctx_add_crl(ctx, data, size);
    if (err != CERTLIB_OK && err != CERTLIB_E_CRL && err != CERTLIB_E_UNTRUSTED &&
        err != CERTLIB_E_SIGNATURE && err != CERTLIB_E_NOMEM)
        abort();
    return 0;
}
