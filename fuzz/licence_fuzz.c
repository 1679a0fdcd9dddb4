/* libFuzzer target for licence verification and disclosure against the demo trust bundle: any
 * bytes as a licence. A result always comes back, its verdict is one of the three, anything
 * disclosure accepts must verify to the same signature verdict as its source, and disclosing from a
 * verification's reading (certlib_result_disclose) gives the very bytes certlib_licence_disclose does.
 * A licence whose structure passed never names an element twice in a namespace. */
#include <stdbool.h>
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

static const char *const keep[] = {"holder_name", "registered_capital"};

/* The signature check's state; `disclosed` (when not NULL) receives certlib_result_disclose's copy. */
static certlib_check_state signature_state(const uint8_t *data, size_t size, uint8_t **disclosed,
                                           size_t *disclosed_len)
{
    certlib_verify_opts opts = {.now = 1795500000};
    certlib_result *r;
    if (certlib_licence_verify(ctx, data, size, &opts, &r) != CERTLIB_OK) abort();
    certlib_verdict v = certlib_result_verdict(r);
    if (v != CERTLIB_VERDICT_VALID && v != CERTLIB_VERDICT_INVALID && v != CERTLIB_VERDICT_INDETERMINATE)
        abort();
    /* a malformed licence's elements are still shown (for diagnosis), duplicates and all: only one whose
     * structure passed is bound to name each element once */
    bool structure_passed = certlib_result_check(r, CERTLIB_CHECK_STRUCTURE).state == CERTLIB_CHECK_PASSED;
    size_t n = certlib_result_element_count(r);
    for (size_t i = 0; i < n; i++) {
        const certlib_element *e = certlib_result_element(r, i);
        if (!e->ns || !e->identifier || (e->text && strlen(e->text) > size)) abort();
        for (size_t j = 0; structure_passed && j < i; j++) {
            const certlib_element *o = certlib_result_element(r, j);
            if (strcmp(o->ns, e->ns) == 0 && strcmp(o->identifier, e->identifier) == 0) abort();
        }
    }
    if (disclosed && certlib_result_disclose(r, keep, 2, disclosed, disclosed_len) != CERTLIB_OK)
        *disclosed = NULL;
    certlib_check_state s = certlib_result_check(r, CERTLIB_CHECK_SIGNATURE).state;
    certlib_result_free(r);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *from_result, *out = NULL;
    size_t from_result_len, out_len = 0;
    certlib_check_state before = signature_state(data, size, &from_result, &from_result_len);
    if (certlib_licence_disclose(data, size, keep, 2, &out, &out_len) == CERTLIB_OK) {
        if (before == CERTLIB_CHECK_PASSED &&
            signature_state(out, out_len, NULL, NULL) != CERTLIB_CHECK_PASSED)
            abort();
    }
    /* whatever verification could read, disclosure can, to the same bytes (verification asks more of
     * a licence's structure than disclosure, so not the other way round) */
    if (from_result && (!out || from_result_len != out_len || memcmp(from_result, out, out_len) != 0))
        abort();
    certlib_free(out);
    certlib_free(from_result);
    return 0;
}
