/* The element model: value encodings, metadata labels and namespaces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_read.h"
#include "licence/elements.h"
#include "base/timeutil.h"
#include "base/utf8.h"

#define TAG_TDATE 0
#define TAG_FULL_DATE 1004 /* RFC 8943 */

/* GB/T 36903-2018 电子证照 元数据规范: the metadata elements and their Chinese names, in the order of
 * certlib_metadata. The one place these names are written. */
static const struct {
    const char *identifier, *label;
} metadata[CERTLIB_METADATA_COUNT] = {
    {"licence_id", "电子证照标识"},      {"licence_type_code", "证照类型代码"},
    {"licence_name", "证照名称"},        {"licence_number", "证照编号"},
    {"holder_name", "持证主体"},         {"holder_id_type_code", "持证主体代码类型代码"},
    {"holder_id", "持证主体代码"},       {"issuer_name", "证照颁发机构"},
    {"issuer_code", "证照颁发机构代码"}, {"issue_date", "证照颁发日期"},
    {"valid_from", "有效期起始日期"},    {"valid_until", "有效期截止日期"},
};

const char *certlib_element_label(const char *identifier)
{
    if (!identifier) return NULL;
    for (size_t i = 0; i < CERTLIB_METADATA_COUNT; i++)
        if (strcmp(identifier, metadata[i].identifier) == 0) return metadata[i].label;
    return NULL;
}

const char *certlib_metadata_element(certlib_metadata which)
{
    return (unsigned)which < CERTLIB_METADATA_COUNT ? metadata[which].identifier : NULL;
}

#define TYPE_NS_PREFIX "cn.gov.elicence."
#define TYPE_NS_SUFFIX ".1"
#define TYPE_CODE_LEN 21

certlib_err certlib_type_namespace(const char *licence_type_code, char *out, size_t cap)
{
    if (!licence_type_code || !out) return CERTLIB_E_INVALID_ARGUMENT;
    if (strlen(licence_type_code) != TYPE_CODE_LEN) return CERTLIB_E_LICENCE_ID;
    int n = snprintf(out, cap, TYPE_NS_PREFIX "%s" TYPE_NS_SUFFIX, licence_type_code);
    return n > 0 && (size_t)n < cap ? CERTLIB_OK : CERTLIB_E_BUFFER_TOO_SMALL;
}

certlib_err certlib_namespace_type(const char *ns, char out[22])
{
    if (!ns || !out) return CERTLIB_E_INVALID_ARGUMENT;
    size_t pre = sizeof(TYPE_NS_PREFIX) - 1, suf = sizeof(TYPE_NS_SUFFIX) - 1;
    if (strlen(ns) != pre + TYPE_CODE_LEN + suf || strncmp(ns, TYPE_NS_PREFIX, pre) != 0 ||
        strcmp(ns + pre + TYPE_CODE_LEN, TYPE_NS_SUFFIX) != 0)
        return CERTLIB_E_LICENCE_ID;
    memcpy(out, ns + pre, TYPE_CODE_LEN);
    out[TYPE_CODE_LEN] = '\0';
    return CERTLIB_OK;
}

void certlib_free(void *p)
{
    free(p);
}

bool certlib__identifier_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] < 'a' || s[0] > 'z') return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) return false;
    return true;
}

certlib_err certlib__element_encode(cbw *w, const certlib_element *e)
{
    size_t text_len = e->text ? (e->text_len ? e->text_len : strlen(e->text)) : 0;
    int64_t scratch;
    switch (e->type) {
    case CERTLIB_VALUE_TEXT:
        if (!e->text || !certlib__utf8_valid((const uint8_t *)e->text, text_len))
            return CERTLIB_E_ELEMENT_VALUE;
        certlib__cbw_tstrn(w, e->text, text_len);
        return CERTLIB_OK;
    case CERTLIB_VALUE_INT:
        certlib__cbw_int(w, e->integer);
        return CERTLIB_OK;
    case CERTLIB_VALUE_BOOL:
        certlib__cbw_bool(w, e->boolean);
        return CERTLIB_OK;
    case CERTLIB_VALUE_BYTES:
        if (!e->bytes.ptr && e->bytes.len) return CERTLIB_E_ELEMENT_VALUE;
        certlib__cbw_bstr(w, e->bytes.ptr, e->bytes.len);
        return CERTLIB_OK;
    case CERTLIB_VALUE_DATE:
        if (!e->text || certlib__full_date_parse((const uint8_t *)e->text, text_len, &scratch))
            return CERTLIB_E_ELEMENT_VALUE;
        certlib__cbw_tag(w, TAG_FULL_DATE);
        certlib__cbw_tstrn(w, e->text, text_len);
        return CERTLIB_OK;
    case CERTLIB_VALUE_DATETIME:
        if (!e->text || certlib__tdate_parse((const uint8_t *)e->text, text_len, &scratch))
            return CERTLIB_E_ELEMENT_VALUE;
        certlib__cbw_tag(w, TAG_TDATE);
        certlib__cbw_tstrn(w, e->text, text_len);
        return CERTLIB_OK;
    case CERTLIB_VALUE_OTHER: {
        cbr r;
        cbr_init(&r, e->raw.ptr, e->raw.len);
        if (!e->raw.ptr || certlib__cbr_skip(&r, 3) || cbr_done(&r)) return CERTLIB_E_ELEMENT_VALUE;
        certlib__cbw_raw(w, e->raw.ptr, e->raw.len);
        return CERTLIB_OK;
    }
    default:
        return CERTLIB_E_ELEMENT_VALUE;
    }
}

certlib_err certlib__element_decode(certlib_slice raw, certlib_element *e)
{
    cbr r;
    cbr_item it;
    cbr_init(&r, raw.ptr, raw.len);
    e->raw = raw;
    e->type = CERTLIB_VALUE_OTHER;
    certlib_err err = certlib__cbr_head(&r, &it);
    if (err) return err;
    switch (it.major) {
    case CBR_UINT:
    case CBR_NEGINT:
        if (it.value <= (uint64_t)INT64_MAX) {
            e->type = CERTLIB_VALUE_INT;
            e->integer = it.major == CBR_UINT ? (int64_t)it.value : -1 - (int64_t)it.value;
        }
        break;
    case CBR_TSTR:
        e->type = CERTLIB_VALUE_TEXT;
        e->text = (const char *)it.data;
        e->text_len = (size_t)it.value;
        break;
    case CBR_BSTR:
        e->type = CERTLIB_VALUE_BYTES;
        e->bytes = (certlib_slice){it.data, (size_t)it.value};
        break;
    case CBR_SIMPLE:
        if (it.value == CBR_TRUE || it.value == CBR_FALSE) {
            e->type = CERTLIB_VALUE_BOOL;
            e->boolean = it.value == CBR_TRUE;
        }
        break;
    case CBR_TAG:
        if ((it.value == TAG_FULL_DATE || it.value == TAG_TDATE) && certlib__cbr_peek(&r) == CBR_TSTR) {
            certlib_slice s;
            int64_t scratch;
            if ((err = certlib__cbr_tstr(&r, &s))) return err;
            err = it.value == TAG_FULL_DATE ? certlib__full_date_parse(s.ptr, s.len, &scratch)
                                            : certlib__tdate_parse(s.ptr, s.len, &scratch);
            if (err) return CERTLIB_E_ELEMENT_VALUE;
            e->type = it.value == TAG_FULL_DATE ? CERTLIB_VALUE_DATE : CERTLIB_VALUE_DATETIME;
            e->text = (const char *)s.ptr;
            e->text_len = s.len;
        }
        break;
    default:
        break;
    }
    return CERTLIB_OK;
}
