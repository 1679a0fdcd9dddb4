/* libFuzzer target for presentations and challenges: any bytes verified as a presentation answering
 * a fixed challenge (against the demo trust bundle), and parsed as challenge text. A result always
 * comes back; a presentation whose holder check passes must have answered exactly that challenge. */
#include <stdlib.h>
#include <string.h>

#include "certlib/certlib.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static certlib_ctx *ctx;
static certlib_challenge expected;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static const char text[] = "ELC1:counter-hz:AAECAwQFBgcICQoLDA0ODw";
    if (certlib_ctx_new(&ctx) || certlib_ctx_load_trust_file(ctx, KEYS_DIR "/trust.json") ||
        certlib_challenge_parse(text, strlen(text), &expected))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    certlib_verify_opts opts = {.now = 1795500000};
    certlib_result *r;
    if (certlib_presentation_verify(ctx, data, size, &expected, &opts, &r) != CERTLIB_OK) abort();
    certlib_verdict v = certlib_result_verdict(r);
    if (v != CERTLIB_VERDICT_VALID && v != CERTLIB_VERDICT_INVALID && v != CERTLIB_VERDICT_INDETERMINATE)
        abort();
    if (certlib_result_check(r, CERTLIB_CHECK_HOLDER).state == CERTLIB_CHECK_PASSED &&
        (certlib_result_check(r, CERTLIB_CHECK_SIGNATURE).state != CERTLIB_CHECK_PASSED ||
         !certlib_result_holder_bound(r)))
        abort();
    certlib_result_free(r);
    certlib_challenge c;
    if (certlib_challenge_parse((const char *)data, size, &c) == CERTLIB_OK) {
        char back[CERTLIB_CHALLENGE_TEXT_MAX];
        if (certlib_challenge_format(&c, back, sizeof(back)) != CERTLIB_OK) abort();
    }
    return 0;
}
