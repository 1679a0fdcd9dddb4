/* libFuzzer target for OpenID4VP request objects as a wallet receives them: any bytes as the JWT, checked
 * against keys-example/trust.json (its reader roots and registry) at a fixed time. Whatever the bytes, the
 * answer is a certlib_err; an accepted request has a reader, a matter and at least one query. */
#include <stdlib.h>
#include <string.h>

#include "certlib/certlib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static certlib_ctx *ctx;
    if (!ctx && (certlib_ctx_new(&ctx) || certlib_ctx_load_trust_file(ctx, KEYS_DIR "/trust.json"))) abort();
    certlib_vp_request *req = NULL;
    certlib_err e = certlib_vp_request_parse(ctx, (const char *)data, size, 1797000000, &req);
    if (e == CERTLIB_E_INVALID_ARGUMENT) abort();
    if (!e && (!req || !certlib_vp_request_reader_name(req) || !certlib_vp_request_matter_code(req) ||
               certlib_vp_request_query_count(req) == 0))
        abort();
    certlib_vp_request_free(req);
    return 0;
}
