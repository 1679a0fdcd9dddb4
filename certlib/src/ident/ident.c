/* Identity numbers of people (GB 11643 and the permits sharing its layout) and the dispatch by length
 * that lets one call check any identifier a service hall sees. The per-number path is branch-light
 * and allocation-free: the batch API runs tens of millions of checks per second on one core. */
#include <string.h>

#include "ident/ident_env.h"
#include "ident/uscc.h"
#include "base/utf8.h"

/* GB 11643-1999 §7.2 / ISO 7064 MOD 11-2: weights 2^(18-i) mod 11 and the check characters. */
static const uint8_t ric_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char ric_check_chars[12] = "10X98765432";

/* Address codes of 港澳台居民居住证 (2018 rules): 830000 (Taiwan) is not itself a GB/T 2260 code. */
#define HMT_HONG_KONG 810000u
#define HMT_MACAO 820000u
#define HMT_TAIWAN 830000u

#define EARLIEST_BIRTH_YEAR 1870u

static inline uint32_t digits_at(const char *s, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (uint32_t)(s[i] - '0');
    return v;
}

/* GB 11643-1999 §5.3: the birth date must be a real date; the design bounds it to 1870..today. */
static certlib_err check_birth_date(uint32_t ymd, uint32_t today)
{
    static const uint8_t days_in_month[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    uint32_t year = ymd / 10000, month = ymd / 100 % 100, day = ymd % 100;
    if (month < 1 || month > 12 || day < 1) return CERTLIB_E_IDENT_DATE;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day > days_in_month[month] + (uint32_t)(month == 2 && leap)) return CERTLIB_E_IDENT_DATE;
    if (year < EARLIEST_BIRTH_YEAR || ymd > today) return CERTLIB_E_IDENT_DATE_RANGE;
    return CERTLIB_OK;
}

static inline char ric_check_char(const char *s)
{
    uint32_t sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (uint32_t)(s[i] - '0') * ric_weights[i];
    return ric_check_chars[sum % 11];
}

/* An 18-character person's number: resident identity number, HMT residence permit or 2023 foreign
 * permanent resident card. */
static certlib_err person18_check(const struct ident_env *env, const char *s, certlib_ident *out)
{
    out->kind = CERTLIB_IDENT_RIC;
    for (int i = 0; i < 17; i++)
        if ((unsigned)(s[i] - '0') > 9) return out->reason = CERTLIB_E_IDENT_CHARSET;
    char last = s[17] == 'x' ? 'X' : s[17];
    if ((unsigned)(last - '0') > 9 && last != 'X') return out->reason = CERTLIB_E_IDENT_CHARSET;
    if (ric_check_char(s) != last) return out->reason = CERTLIB_E_IDENT_CHECKSUM;

    uint32_t region;
    if (s[0] == '9') {
        /* 外国人永久居留身份证 (2023): digits 2-3 name the accepting province. */
        out->kind = CERTLIB_IDENT_FOREIGN_PR;
        region = digits_at(s + 1, 2) * 10000;
        if (!ident_region_ok(env, region)) return out->reason = CERTLIB_E_IDENT_REGION;
    } else {
        region = digits_at(s, 6);
        if (region == HMT_HONG_KONG || region == HMT_MACAO || region == HMT_TAIWAN)
            out->kind = CERTLIB_IDENT_HMT;
        else if (!ident_region_ok(env, region))
            return out->reason = CERTLIB_E_IDENT_REGION;
    }
    out->region_code = region;

    uint32_t birth = digits_at(s + 6, 8);
    certlib_err err = check_birth_date(birth, env->today);
    if (err) return out->reason = err;
    out->birth_date = birth;
    out->sex = (s[16] - '0') & 1 ? CERTLIB_SEX_MALE : CERTLIB_SEX_FEMALE;
    memcpy(out->normalized, s, 17);
    out->normalized[17] = last;
    out->normalized[18] = '\0';
    out->normalized_len = 18;
    return out->reason = CERTLIB_OK;
}

/* GB 11643-1989: 6-digit address, YYMMDD of the 1900s, 3-digit sequence, no check character. */
static certlib_err ric15_check(const struct ident_env *env, const char *s, certlib_ident *out)
{
    out->kind = CERTLIB_IDENT_RIC15;
    for (int i = 0; i < 15; i++)
        if ((unsigned)(s[i] - '0') > 9) return out->reason = CERTLIB_E_IDENT_CHARSET;
    uint32_t region = digits_at(s, 6);
    if (!ident_region_ok(env, region)) return out->reason = CERTLIB_E_IDENT_REGION;
    out->region_code = region;
    uint32_t birth = 19000000 + digits_at(s + 6, 6);
    certlib_err err = check_birth_date(birth, env->today);
    if (err) return out->reason = err;
    out->birth_date = birth;
    out->sex = (s[14] - '0') & 1 ? CERTLIB_SEX_MALE : CERTLIB_SEX_FEMALE;
    memcpy(out->normalized, s, 15);
    out->normalized[15] = '\0';
    out->normalized_len = 15;
    return out->reason = CERTLIB_OK;
}

/* True when any byte is a control character or the input is not UTF-8: the reason is then
 * CERTLIB_E_IDENT_ENCODING whatever else is wrong. */
static bool bad_encoding(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((uint8_t)s[i] < 0x20 || s[i] == 0x7F) return true;
    return !certlib__utf8_valid((const uint8_t *)s, len);
}

static bool looks_like_person18(const char *s)
{
    for (int i = 0; i < 17; i++)
        if ((unsigned)(s[i] - '0') > 9) return false;
    return (unsigned)(s[17] - '0') <= 9 || s[17] == 'X' || s[17] == 'x';
}

static inline bool accepted(uint32_t accept, uint8_t kind)
{
    return accept & CERTLIB_IDENT_ACCEPT(kind);
}

static certlib_err check_one(const struct ident_env *env, uint32_t accept, const char *s, size_t len,
                             certlib_ident *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 18) {
        if (person18_check(env, s, out) == CERTLIB_OK && accepted(accept, out->kind)) return CERTLIB_OK;
        certlib_ident as_uscc;
        memset(&as_uscc, 0, sizeof(as_uscc));
        if (certlib__uscc_check(env, s, &as_uscc) == CERTLIB_OK && accepted(accept, CERTLIB_IDENT_USCC)) {
            *out = as_uscc;
            return CERTLIB_OK;
        }
        if (out->reason == CERTLIB_OK || as_uscc.reason == CERTLIB_OK) {
            if (out->reason != CERTLIB_OK) *out = as_uscc;
            return out->reason = CERTLIB_E_IDENT_KIND;
        }
        if (!looks_like_person18(s)) *out = as_uscc;
    } else if (len == 15) {
        ric15_check(env, s, out);
    } else if (len == 9 || len == 10) {
        certlib__org_code_check(s, len, out);
    } else {
        out->reason = len == 0 ? CERTLIB_E_IDENT_EMPTY : CERTLIB_E_IDENT_LENGTH;
    }

    if (out->reason == CERTLIB_OK && !accepted(accept, out->kind)) out->reason = CERTLIB_E_IDENT_KIND;
    if ((out->reason == CERTLIB_E_IDENT_LENGTH || out->reason == CERTLIB_E_IDENT_CHARSET) &&
        bad_encoding(s, len))
        out->reason = CERTLIB_E_IDENT_ENCODING;
    return out->reason;
}

static uint32_t accept_mask(const certlib_ident_opts *opts)
{
    return opts && opts->accept ? opts->accept : CERTLIB_IDENT_ACCEPT_ANY;
}

certlib_err certlib_ident_check(const char *s, size_t len, const certlib_ident_opts *opts, certlib_ident *out)
{
    if (!out || (!s && len)) return CERTLIB_E_INVALID_ARGUMENT;
    struct ident_env env;
    certlib__ident_env_init(&env, opts);
    return check_one(&env, accept_mask(opts), s, len, out);
}

size_t certlib_ident_check_batch(const certlib_slice *inputs, size_t n, const certlib_ident_opts *opts,
                                 certlib_ident *results)
{
    if (!inputs || !results) return 0;
    struct ident_env env;
    certlib__ident_env_init(&env, opts);
    uint32_t accept = accept_mask(opts);
    size_t valid = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = (const char *)inputs[i].ptr;
        size_t len = s ? inputs[i].len : 0;
        valid += check_one(&env, accept, s, len, &results[i]) == CERTLIB_OK;
    }
    return valid;
}

certlib_err certlib_ident_upgrade15(const char *s, size_t len, const certlib_ident_opts *opts, char out[19])
{
    if (!out || (!s && len)) return CERTLIB_E_INVALID_ARGUMENT;
    certlib_ident_opts legacy_only = opts ? *opts : (certlib_ident_opts){0};
    legacy_only.accept = CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_RIC15);
    certlib_ident result;
    certlib_err err = certlib_ident_check(s, len, &legacy_only, &result);
    if (err == CERTLIB_E_IDENT_KIND) return CERTLIB_E_IDENT_NOT_LEGACY;
    if (err) return err;
    /* GB 11643-1999 §6: the century goes before the two-digit year. */
    memcpy(out, s, 6);
    out[6] = '1';
    out[7] = '9';
    memcpy(out + 8, s + 6, 9);
    out[17] = ric_check_char(out);
    out[18] = '\0';
    return CERTLIB_OK;
}
