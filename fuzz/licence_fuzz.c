/* libFuzzer target for licence verification and disclosure against the demo trust bundle: any
 * bytes as a licence. A result always comes back, its verdict is one of the three, and anything
 * disclosure accepts must verify to the same signature verdict as its source. */
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

static certlib_check_state signature_state(const uint8_t *data, size_t size)
{
    certlib_verify_opts opts = {.now = 1795500000};
    certlib_result *r;
    if (certlib_licence_verify(ctx, data, size, &opts, &r) != CERTLIB_OK) abort();
    certlib_verdict v = certlib_result_verdict(r);
    if (v != CERTLIB_VERDICT_VALID && v != CERTLIB_VERDICT_INVALID && v != CERTLIB_VERDICT_INDETERMINATE)
        abort();
    for (size_t i = 0; i < certlib_result_element_count(r); i++) {
        const certlib_element *e = certlib_result_element(r, i);
        if (!e->ns || !e->identifier || (e->text && strlen(e->text) > size)) abort();
    }
    certlib_check_state s = certlib_result_check(r, CERTLIB_CHECK_SIGNATURE).state;
    certlib_result_free(r);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlib_check_state before = signature_state(data, size);
    const char *keep[] = {"holder_name", "registered_capital"};
    uint8_t *out;
    size_t out_len;
    if (certlib_licence_disclose(data, size, keep, 2, &out, &out_len) == CERTLIB_OK) {
        if (before == CERTLIB_CHECK_PASSED && signature_state(out, out_len) != CERTLIB_CHECK_PASSED) abort();
        certlib_free(out);
    }
    return 0;
}
