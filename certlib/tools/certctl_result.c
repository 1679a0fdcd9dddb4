/* Verification results as text and as JSON (jansson). */
#include <stdlib.h>
#include <string.h>

#include "certctl.h"
#include "certctl_result.h"

/* Text for a terminal: control characters become '?'. Element text is valid UTF-8 already (the
 * decoder checks), so only controls need care. */
static void put_text(FILE *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc(c < 0x20 || c == 0x7F ? '?' : c, out);
    }
}

static void put_value(FILE *out, const certlib_element *e)
{
    switch (e->type) {
    case CERTLIB_VALUE_TEXT:
    case CERTLIB_VALUE_DATE:
    case CERTLIB_VALUE_DATETIME:
        put_text(out, e->text, e->text_len);
        break;
    case CERTLIB_VALUE_INT:
        fprintf(out, "%lld", (long long)e->integer);
        break;
    case CERTLIB_VALUE_BOOL:
        fputs(e->boolean ? "true" : "false", out);
        break;
    case CERTLIB_VALUE_BYTES:
        fprintf(out, "<%zu bytes>", e->bytes.len);
        break;
    case CERTLIB_VALUE_OTHER:
    default:
        fprintf(out, "<CBOR, %zu bytes>", e->raw.len);
        break;
    }
}

void certctl_print_result(FILE *out, const certlib_result *r, bool show_checks)
{
    if (show_checks) {
        certlib_verdict v = certlib_result_verdict(r);
        fprintf(out, "verdict: %s", certlib_verdict_name(v));
        if (v != CERTLIB_VERDICT_VALID) fprintf(out, " (%s)", certlib_err_name(certlib_result_reason(r)));
        fputc('\n', out);
        for (int c = 0; c < CERTLIB_CHECK_COUNT; c++) {
            certlib_check_result cr = certlib_result_check(r, (certlib_check)c);
            fprintf(out, "  %-13s %s", certlib_check_name((certlib_check)c),
                    certlib_check_state_name(cr.state));
            if (cr.reason) fprintf(out, ": %s", certlib_strerror(cr.reason));
            fputc('\n', out);
        }
    }
    const char *uri;
    uint64_t idx;
    int64_t signed_at, from, until;
    char a[32], b[32], c[32];
    if (certlib_result_validity(r, &signed_at, &from, &until)) {
        certctl_format_time(signed_at, a);
        certctl_format_time(from, b);
        certctl_format_time(until, c);
        fprintf(out, "algorithm: %s\nsigned: %s\nvalid: %s .. %s\n", certlib_alg_name(certlib_result_alg(r)),
                a, b, c);
        fprintf(out, "holder binding: %s\n",
                certlib_result_holder_bound(r) ? "device key" : "not holder-bound");
    }
    if (certlib_result_issuer_name(r)) fprintf(out, "signer: %s\n", certlib_result_issuer_name(r));
    if (certlib_result_status_ref(r, &uri, &idx)) {
        fprintf(out, "status: %s (list ", certlib_status_name(certlib_result_status(r)));
        put_text(out, uri, strlen(uri));
        fprintf(out, " index %llu)\n", (unsigned long long)idx);
    }
    uint64_t log_index;
    if (certlib_result_log_index(r, &log_index))
        fprintf(out, "logged: signature log index %llu\n", (unsigned long long)log_index);
    const char *ns = NULL;
    for (size_t i = 0; i < certlib_result_element_count(r); i++) {
        const certlib_element *e = certlib_result_element(r, i);
        if (!ns || strcmp(ns, e->ns) != 0) {
            ns = e->ns;
            fputs("[", out);
            put_text(out, ns, strlen(ns));
            fputs("]\n", out);
        }
        const char *label = strcmp(e->ns, CERTLIB_NS_META) == 0 ? certlib_element_label(e->identifier) : NULL;
        fputs("  ", out);
        put_text(out, e->identifier, strlen(e->identifier));
        if (label) fprintf(out, " (%s)", label);
        fputs(": ", out);
        put_value(out, e);
        fputc('\n', out);
    }
}

int certctl_print_result_json(FILE *out, const certlib_result *r)
{
    size_t len;
    char *text = certlib_result_to_json(r, &len);
    if (!text) return -1;
    fprintf(out, "%s\n", text);
    certlib_free(text);
    return 0;
}
