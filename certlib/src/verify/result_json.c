/* A verification result as JSON: one renderer for certctl verify --json and authd's /v1/verify, so the
 * two never drift. Hand-written over the bounded writer of utf8.c rather than through jansson's DOM:
 * building and dumping the DOM was a third of authd's time per HTTP verification (bench/authd). Every
 * string in a result is valid UTF-8 already (the CBOR reader refuses anything else) and is escaped by
 * certlib__out_json_string. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certlib/verify.h"
#include "base/utf8.h"

static void format_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) out[0] = '\0';
}

static void str(struct certlib__out *o, const char *s)
{
    if (s)
        certlib__out_json_string(o, (const uint8_t *)s, strlen(s));
    else
        certlib__out_str(o, "null");
}

/* ,"name": — names are fixed ASCII words; no printf on this path (it was half of the rendering) */
static void key(struct certlib__out *o, const char *name)
{
    certlib__out_bytes(o, ",\"", 2);
    certlib__out_str(o, name);
    certlib__out_bytes(o, "\":", 2);
}

static void field(struct certlib__out *o, const char *name, const char *value)
{
    key(o, name);
    str(o, value);
}

static const char *type_name(certlib_value_type t)
{
    static const char *const names[] = {"", "text", "int", "bool", "bytes", "date", "datetime", "cbor"};
    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "cbor";
}

static void value(struct certlib__out *o, const certlib_element *e)
{
    switch (e->type) {
    case CERTLIB_VALUE_TEXT:
    case CERTLIB_VALUE_DATE:
    case CERTLIB_VALUE_DATETIME:
        certlib__out_json_string(o, (const uint8_t *)e->text, e->text_len);
        break;
    case CERTLIB_VALUE_INT:
        certlib__out_fmt(o, "%" PRId64, e->integer);
        break;
    case CERTLIB_VALUE_BOOL:
        certlib__out_str(o, e->boolean ? "true" : "false");
        break;
    default:
        certlib__out_str(o, "null"); /* binary values are not rendered; `type` says what they are */
        break;
    }
}

/* {"verdict", "reason", "checks"}, without the object's closing brace */
static void render_checks(struct certlib__out *o, const certlib_result *r)
{
    certlib_verdict v = certlib_result_verdict(r);
    certlib__out_str(o, "{\"verdict\":");
    str(o, certlib_verdict_name(v));
    field(o, "reason", v == CERTLIB_VERDICT_VALID ? NULL : certlib_err_name(certlib_result_reason(r)));
    certlib__out_str(o, ",\"checks\":{");
    for (int c = 0; c < CERTLIB_CHECK_COUNT; c++) {
        certlib_check_result cr = certlib_result_check(r, (certlib_check)c);
        certlib__out_str(o, c ? ",\"" : "\"");
        certlib__out_str(o, certlib_check_name((certlib_check)c));
        certlib__out_str(o, "\":{\"state\":\"");
        certlib__out_str(o, certlib_check_state_name(cr.state));
        certlib__out_str(o, "\",\"reason\":");
        str(o, cr.reason ? certlib_err_name(cr.reason) : NULL);
        certlib__out_str(o, "}");
    }
    certlib__out_str(o, "}");
}

struct render_args {
    bool checks_only;
    certlib_label_fn labels;
    void *arg;
};

static void render(struct certlib__out *o, const certlib_result *r, const struct render_args *args)
{
    certlib_label_fn labels = args->labels;
    void *arg = args->arg;
    render_checks(o, r);
    if (args->checks_only) {
        certlib__out_str(o, "}");
        return;
    }
    field(o, "licence_id", certlib_result_licence_id(r));
    field(o, "licence_type", certlib_result_licence_type(r));
    field(o, "issuer_code", certlib_result_issuer_code(r));
    field(o, "signer", certlib_result_issuer_name(r));
    field(o, "holder_name", certlib_result_holder_name(r));
    field(o, "holder_id", certlib_result_holder_id(r));
    field(o, "algorithm", certlib_alg_name(certlib_result_alg(r)));
    int64_t signed_at, from, until;
    if (certlib_result_validity(r, &signed_at, &from, &until)) {
        char a[32], b[32], c[32];
        format_time(signed_at, a), format_time(from, b), format_time(until, c);
        field(o, "signed", a);
        field(o, "valid_from", b);
        field(o, "valid_until", c);
        key(o, "holder_bound");
        certlib__out_str(o, certlib_result_holder_bound(r) ? "true" : "false");
    }
    field(o, "status", certlib_status_name(certlib_result_status(r)));
    uint64_t log_index;
    if (certlib_result_log_index(r, &log_index))
        certlib__out_fmt(o, ",\"log_index\":%llu", (unsigned long long)log_index);
    certlib__out_str(o, ",\"elements\":[");
    for (size_t i = 0; i < certlib_result_element_count(r); i++) {
        const certlib_element *e = certlib_result_element(r, i);
        char type_code[22];
        const char *label = strcmp(e->ns, CERTLIB_NS_META) == 0 ? certlib_element_label(e->identifier)
                            : labels && certlib_namespace_type(e->ns, type_code) == CERTLIB_OK
                                ? labels(arg, type_code, e->identifier)
                                : NULL;
        certlib__out_str(o, i ? ",{\"namespace\":" : "{\"namespace\":");
        str(o, e->ns);
        field(o, "identifier", e->identifier);
        field(o, "label", label);
        field(o, "type", type_name(e->type));
        certlib__out_str(o, ",\"value\":");
        value(o, e);
        certlib__out_str(o, "}");
    }
    certlib__out_str(o, "]}");
}

static char *to_json(const certlib_result *r, const struct render_args *a, size_t *len)
{
    /* Write into a buffer that fits most results, and again into one of the exact size when it did
     * not: one rendering in the common case instead of a measuring pass and a writing pass. */
    size_t cap = 4096;
    for (int attempt = 0; attempt < 2; attempt++) {
        char *buf = malloc(cap);
        if (!buf) return NULL;
        struct certlib__out o = {buf, cap, 0};
        render(&o, r, a);
        size_t need = certlib__out_finish(&o);
        if (need < cap) {
            if (len) *len = need;
            return buf;
        }
        free(buf);
        cap = need + 1;
    }
    return NULL; /* not reached: the second buffer has the size the first rendering measured */
}

char *certlib_result_to_json(const certlib_result *r, size_t *len)
{
    return to_json(r, &(struct render_args){0}, len);
}

char *certlib_result_to_json_labelled(const certlib_result *r, certlib_label_fn labels, void *arg,
                                      size_t *len)
{
    return to_json(r, &(struct render_args){.labels = labels, .arg = arg}, len);
}

char *certlib_result_checks_to_json(const certlib_result *r, size_t *len)
{
    return to_json(r, &(struct render_args){.checks_only = true}, len);
}
