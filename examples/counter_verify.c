/* A counter's offline check of a presented e-licence, as counter software would write it against the
 * installed certlib: load the trust bundle and any fetched status lists once, verify, show the verdict
 * and the disclosed elements with their Chinese labels.
 *
 *   cc counter_verify.c $(pkg-config --cflags --libs certlib) -o counter_verify
 *   ./counter_verify trust.json licence.cbor [status.cwt ...]
 *
 * Exit status 0 only when the licence is valid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <certlib/certlib.h>

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = malloc(CERTLIB_LICENCE_MAX_BYTES);
    *len = buf ? fread(buf, 1, CERTLIB_LICENCE_MAX_BYTES, f) : 0;
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s TRUST.json LICENCE.cbor [STATUS.cwt ...]\n", argv[0]);
        return 2;
    }
    certlib_ctx *ctx = NULL;
    if (certlib_ctx_new(&ctx) != CERTLIB_OK || certlib_ctx_load_trust_file(ctx, argv[1]) != CERTLIB_OK) {
        fprintf(stderr, "trust bundle: %s\n", ctx ? certlib_ctx_trust_error(ctx) : "out of memory");
        certlib_ctx_free(ctx);
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        size_t len;
        unsigned char *cwt = slurp(argv[i], &len);
        certlib_err err = cwt ? certlib_ctx_add_status_list(ctx, cwt, len) : CERTLIB_E_IO_OPEN;
        if (err) fprintf(stderr, "%s: %s\n", argv[i], certlib_strerror(err));
        free(cwt);
    }
    size_t len;
    unsigned char *licence = slurp(argv[2], &len);
    certlib_result *result = NULL;
    if (!licence || certlib_licence_verify(ctx, licence, len, NULL, &result) != CERTLIB_OK) {
        fprintf(stderr, "%s: cannot be read\n", argv[2]);
        free(licence);
        certlib_ctx_free(ctx);
        return 2;
    }
    certlib_verdict verdict = certlib_result_verdict(result);
    printf("%s", certlib_verdict_name(verdict));
    if (verdict != CERTLIB_VERDICT_VALID) printf(": %s", certlib_strerror(certlib_result_reason(result)));
    printf("\n");
    for (int c = 0; c < CERTLIB_CHECK_COUNT; c++) {
        certlib_check_result check = certlib_result_check(result, (certlib_check)c);
        printf("  %-12s %s\n", certlib_check_name((certlib_check)c), certlib_check_state_name(check.state));
    }
    for (size_t i = 0; i < certlib_result_element_count(result); i++) {
        const certlib_element *e = certlib_result_element(result, i);
        const char *label = certlib_element_label(e->identifier);
        printf("  %s", label ? label : e->identifier);
        if (e->text) printf(": %s", e->text);
        if (e->type == CERTLIB_VALUE_INT) printf(": %lld", (long long)e->integer);
        printf("\n");
    }
    certlib_result_free(result);
    free(licence);
    certlib_ctx_free(ctx);
    return verdict == CERTLIB_VERDICT_VALID ? 0 : 1;
}
