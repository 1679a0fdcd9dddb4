/* libFuzzer target for Status List Tokens: any bytes decoded (unverified) and offered to a context
 * (verified against the demo status signers). Lists that decode must answer every index inside
 * them and refuse the first one past the end. */
#include <stdlib.h>

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
    certlib_status_list *list;
    certlib_status_token_info info;
    if (certlib_status_list_decode(data, size, &list, &info) == CERTLIB_OK) {
        size_t n = certlib_status_list_size(list);
        unsigned v;
        if (!info.uri || (n && certlib_status_list_get(list, n - 1, &v) != CERTLIB_OK) ||
            certlib_status_list_get(list, n, &v) != CERTLIB_E_STATUS_INDEX)
            abort();
        certlib_status_list_free(list);
    }
    (void)certlib_ctx_add_status_list(ctx, data, size);
    return 0;
}
