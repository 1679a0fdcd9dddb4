/* A verification result as JSON: one renderer for certctl verify --json and authd's /v1/verify and
 * lookups, so the two never drift. jansson builds it; every string in a result is valid UTF-8 (the
 * CBOR reader refuses anything else), so nothing needs replacing. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certlib/verify.h"

static void format_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) out[0] = '\0';
}

static json_t *value_json(const certlib_element *e)
{
    switch (e->type) {
    case CERTLIB_VALUE_TEXT:
    case CERTLIB_VALUE_DATE:
    case CERTLIB_VALUE_DATETIME:
        return json_stringn(e->text, e->text_len);
    case CERTLIB_VALUE_INT:
        return json_integer(e->integer);
    case CERTLIB_VALUE_BOOL:
        return json_boolean(e->boolean);
    case CERTLIB_VALUE_BYTES:
    case CERTLIB_VALUE_OTHER:
    default:
        return json_null(); /* binary values are not rendered; `type` says what they are */
    }
}

static const char *type_name(certlib_value_type t)
{
    static const char *const names[] = {"", "text", "int", "bool", "bytes", "date", "datetime", "cbor"};
    return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "cbor";
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

char *certlib_result_to_json(const certlib_result *r, size_t *len)
{
    json_t *doc = json_object(), *checks = json_object(), *elements = json_array();
    certlib_verdict v = certlib_result_verdict(r);
    json_object_set_new(doc, "verdict", json_string(certlib_verdict_name(v)));
    json_object_set_new(doc, "reason",
                        v == CERTLIB_VERDICT_VALID ? json_null()
                                                   : json_string(certlib_err_name(certlib_result_reason(r))));
    for (int c = 0; c < CERTLIB_CHECK_COUNT; c++) {
        certlib_check_result cr = certlib_result_check(r, (certlib_check)c);
        json_t *check = json_object();
        json_object_set_new(check, "state", json_string(certlib_check_state_name(cr.state)));
        json_object_set_new(check, "reason",
                            cr.reason ? json_string(certlib_err_name(cr.reason)) : json_null());
        json_object_set_new(checks, certlib_check_name((certlib_check)c), check);
    }
    json_object_set_new(doc, "checks", checks);
    json_object_set_new(doc, "licence_id", str_or_null(certlib_result_licence_id(r)));
    json_object_set_new(doc, "licence_type", str_or_null(certlib_result_licence_type(r)));
    json_object_set_new(doc, "issuer_code", str_or_null(certlib_result_issuer_code(r)));
    json_object_set_new(doc, "signer", str_or_null(certlib_result_issuer_name(r)));
    json_object_set_new(doc, "holder_name", str_or_null(certlib_result_holder_name(r)));
    json_object_set_new(doc, "holder_id", str_or_null(certlib_result_holder_id(r)));
    json_object_set_new(doc, "algorithm", json_string(certlib_alg_name(certlib_result_alg(r))));
    int64_t signed_at, from, until;
    if (certlib_result_validity(r, &signed_at, &from, &until)) {
        char a[32], b[32], c[32];
        format_time(signed_at, a), format_time(from, b), format_time(until, c);
        json_object_set_new(doc, "signed", json_string(a));
        json_object_set_new(doc, "valid_from", json_string(b));
        json_object_set_new(doc, "valid_until", json_string(c));
        json_object_set_new(doc, "holder_bound", json_boolean(certlib_result_holder_bound(r)));
    }
    json_object_set_new(doc, "status", json_string(certlib_status_name(certlib_result_status(r))));
    for (size_t i = 0; i < certlib_result_element_count(r); i++) {
        const certlib_element *e = certlib_result_element(r, i);
        const char *label = strcmp(e->ns, CERTLIB_NS_META) == 0 ? certlib_element_label(e->identifier) : NULL;
        json_t *el = json_object();
        json_object_set_new(el, "namespace", json_string(e->ns));
        json_object_set_new(el, "identifier", json_string(e->identifier));
        json_object_set_new(el, "label", str_or_null(label));
        json_object_set_new(el, "type", json_string(type_name(e->type)));
        json_object_set_new(el, "value", value_json(e));
        json_array_append_new(elements, el);
    }
    json_object_set_new(doc, "elements", elements);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (text && len) *len = strlen(text);
    return text;
}
