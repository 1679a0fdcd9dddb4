/* libFuzzer target for trust bundles: any bytes as a bundle. A refused bundle leaves an empty
 * context and a message; an accepted one has at least one root. */
#include <stdlib.h>
#include <string.h>

#include "certlib/certlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlib_ctx *ctx;
    if (certlib_ctx_new(&ctx)) abort();
    certlib_err err = certlib_ctx_load_trust(ctx, data, size);
    if (err == CERTLIB_OK && certlib_ctx_root_count(ctx) == 0) abort();
    if (err == CERTLIB_E_TRUST_BUNDLE && (certlib_ctx_root_count(ctx) != 0 || !*certlib_ctx_trust_error(ctx)))
        abort();
    certlib_ctx_free(ctx);
    return 0;
}
