/* Presenting identifier results: kind names and labels, masking for display, and the JSON object
 * shared by certctl and authd. */
#include <string.h>

#include "ident/uscc.h"
#include "base/utf8.h"

#define ECHO_LIMIT 256 /* bytes of the input echoed back in JSON */

static const struct {
    const char *name;
    const char *label;
} kinds[] = {
    [CERTLIB_IDENT_UNKNOWN] = {"unknown", "未知"},
    [CERTLIB_IDENT_RIC] = {"ric", "居民身份证号码"},
    [CERTLIB_IDENT_RIC15] = {"ric15", "居民身份证号码（15位旧号码）"},
    [CERTLIB_IDENT_HMT] = {"hmt", "港澳台居民居住证号码"},
    [CERTLIB_IDENT_FOREIGN_PR] = {"foreign_pr", "外国人永久居留身份证号码"},
    [CERTLIB_IDENT_USCC] = {"uscc", "统一社会信用代码"},
    [CERTLIB_IDENT_ORG_CODE] = {"org_code", "组织机构代码"},
};

const char *certlib_ident_kind_name(certlib_ident_kind kind)
{
    return (unsigned)kind < sizeof(kinds) / sizeof(kinds[0]) ? kinds[kind].name : "unknown";
}

const char *certlib_ident_kind_label(certlib_ident_kind kind)
{
    return (unsigned)kind < sizeof(kinds) / sizeof(kinds[0]) ? kinds[kind].label : "未知";
}

certlib_err certlib_ident_mask(const char *s, size_t len, size_t keep_head, size_t keep_tail, char *out,
                               size_t cap)
{
    if ((!s && len) || !out) return CERTLIB_E_INVALID_ARGUMENT;
    if (cap < len + 1) return CERTLIB_E_BUFFER_TOO_SMALL;
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)s[i] < 0x20 || (uint8_t)s[i] >= 0x7F) return CERTLIB_E_IDENT_CHARSET;
    bool show = keep_head < len && keep_tail < len && keep_head + keep_tail < len;
    for (size_t i = 0; i < len; i++)
        out[i] = show && (i < keep_head || i >= len - keep_tail) ? s[i] : '*';
    out[len] = '\0';
    return CERTLIB_OK;
}

size_t certlib_ident_region_name(const certlib_ident *r, const certlib_regions *regions, char *buf,
                                 size_t cap)
{
    const char *special = NULL;
    if (r->kind == CERTLIB_IDENT_USCC && r->region_code == 100000) special = "中央";
    if (r->kind == CERTLIB_IDENT_HMT && r->region_code == 830000) special = "台湾地区";
    if (!special) return r->region_code ? certlib_region_describe(regions, r->region_code, buf, cap) : 0;
    size_t len = strlen(special);
    if (cap) {
        size_t n = len < cap ? len : cap - 1;
        memcpy(buf, special, n);
        buf[n] = '\0';
    }
    return len;
}

static void out_field(struct certlib__out *o, const char *key)
{
    certlib__out_bytes(o, ",\"", 2);
    certlib__out_str(o, key);
    certlib__out_bytes(o, "\":", 2);
}

static void out_text(struct certlib__out *o, const char *key, const char *value)
{
    out_field(o, key);
    certlib__out_json_string(o, (const uint8_t *)value, strlen(value));
}

size_t certlib_ident_to_json(const certlib_ident *r, const certlib_regions *regions, const char *input,
                             size_t input_len, char *buf, size_t cap)
{
    struct certlib__out o = {buf, cap, 0};
    bool valid = r->reason == CERTLIB_OK;
    size_t echo = input_len > ECHO_LIMIT ? ECHO_LIMIT : input_len;

    certlib__out_str(&o, "{\"input\":");
    certlib__out_json_string(&o, (const uint8_t *)(input ? input : ""), input ? echo : 0);
    if (echo < input_len) certlib__out_str(&o, ",\"input_truncated\":true");
    certlib__out_str(&o, valid ? ",\"valid\":true" : ",\"valid\":false");
    out_text(&o, "kind", certlib_ident_kind_name((certlib_ident_kind)r->kind));
    if (valid) {
        out_text(&o, "kind_label", certlib_ident_kind_label((certlib_ident_kind)r->kind));
        certlib__out_str(&o, ",\"reason\":null");
    } else {
        out_text(&o, "reason", certlib_err_name(r->reason));
        out_text(&o, "message", certlib_strerror(r->reason));
    }
    out_field(&o, "normalized");
    if (r->normalized_len)
        certlib__out_json_string(&o, (const uint8_t *)r->normalized, r->normalized_len);
    else
        certlib__out_str(&o, "null");
    if (r->kind == CERTLIB_IDENT_RIC15) certlib__out_str(&o, ",\"legacy\":true");

    if (r->region_code) {
        certlib__out_str(&o, ",\"region_code\":\"");
        certlib__out_digits(&o, r->region_code, 6);
        certlib__out_bytes(&o, "\"", 1);
        char place[256];
        size_t n = certlib_ident_region_name(r, regions, place, sizeof(place));
        if (n && n < sizeof(place)) out_text(&o, "region_name", place);
    }
    if (r->birth_date) {
        certlib__out_str(&o, ",\"birth_date\":\"");
        certlib__out_digits(&o, r->birth_date / 10000, 4);
        certlib__out_bytes(&o, "-", 1);
        certlib__out_digits(&o, r->birth_date / 100 % 100, 2);
        certlib__out_bytes(&o, "-", 1);
        certlib__out_digits(&o, r->birth_date % 100, 2);
        certlib__out_bytes(&o, "\"", 1);
    }
    if (r->sex) out_text(&o, "sex", r->sex == CERTLIB_SEX_MALE ? "male" : "female");
    if (valid && r->kind == CERTLIB_IDENT_USCC) {
        char org[11] = {0};
        memcpy(org, r->normalized + 8, 8);
        org[8] = '-';
        org[9] = r->normalized[16];
        out_text(&o, "org_code", org);
        const char *authority = certlib__uscc_authority_label(r->normalized[0]);
        const char *category = certlib__uscc_category_label(r->normalized[0], r->normalized[1]);
        if (authority) out_text(&o, "authority", authority);
        if (category) out_text(&o, "category", category);
    }
    certlib__out_str(&o, "}");
    return certlib__out_finish(&o);
}
