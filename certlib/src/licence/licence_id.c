/* GB/T 36904 电子证照标识: parsing, validation and composition. */
#include <stdio.h>
#include <string.h>

#include "certlib/ident.h"
#include "certlib/licence_id.h"

static int alnum_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return -1;
}

/* ISO/IEC 7064 §7 hybrid system MOD 37,36 (GB/T 36904 §5.3). */
char certlib_mod37_36(const char *s, size_t len)
{
    static const char symbols[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    int p = 36;
    for (size_t i = 0; i < len; i++) {
        int a = alnum_value(s[i]);
        if (a < 0) return '\0';
        int t = (p + a) % 36;
        if (t == 0) t = 36;
        p = (2 * t) % 37;
    }
    return symbols[(37 - p) % 36];
}

static int all_alnum(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (alnum_value(s[i]) < 0) return 0;
    return 1;
}

static int valid_uscc(const char *s)
{
    certlib_ident r;
    certlib_ident_opts opts = {.accept = CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)};
    return certlib_ident_check(s, 18, &opts, &r) == CERTLIB_OK && memcmp(r.normalized, s, 18) == 0;
}

static certlib_err check_segments(const char *type_code, size_t type_len, const char *issuer_code,
                                  size_t issuer_len, const char *serial, size_t serial_len)
{
    if (type_len != 21 || !all_alnum(type_code, 21) || !valid_uscc(type_code)) return CERTLIB_E_LICENCE_ID;
    for (int i = 18; i < 21; i++)
        if (type_code[i] < '0' || type_code[i] > '9') return CERTLIB_E_LICENCE_ID;
    if (issuer_len != 18 || !all_alnum(issuer_code, 18) || !valid_uscc(issuer_code))
        return CERTLIB_E_LICENCE_ID;
    if (serial_len == 0 || serial_len > CERTLIB_LICENCE_SERIAL_MAX || !all_alnum(serial, serial_len))
        return CERTLIB_E_LICENCE_ID;
    return CERTLIB_OK;
}

certlib_err certlib_licence_id_parse(const char *s, size_t len, certlib_licence_id *out)
{
    if (!s || !out) return CERTLIB_E_INVALID_ARGUMENT;
    memset(out, 0, sizeof(*out));
    const size_t root_len = sizeof(CERTLIB_LICENCE_ID_ROOT) - 1;
    if (len >= CERTLIB_LICENCE_ID_MAX || len <= root_len || memcmp(s, CERTLIB_LICENCE_ID_ROOT, root_len) != 0)
        return CERTLIB_E_LICENCE_ID;

    /* Five dot-separated segments after the root. */
    const char *seg[5];
    size_t seg_len[5], n = 0;
    const char *p = s + root_len, *end = s + len;
    while (n < 5) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        seg[n] = p;
        seg_len[n] = (size_t)((dot ? dot : end) - p);
        n++;
        if (!dot) break;
        p = dot + 1;
    }
    if (n != 5 || seg[4] + seg_len[4] != end) return CERTLIB_E_LICENCE_ID;
    certlib_err err = check_segments(seg[0], seg_len[0], seg[1], seg_len[1], seg[2], seg_len[2]);
    if (err) return err;
    if (seg_len[3] != 3 || seg_len[4] != 1 || alnum_value(seg[4][0]) < 0) return CERTLIB_E_LICENCE_ID;
    for (int i = 0; i < 3; i++)
        if (seg[3][i] < '0' || seg[3][i] > '9') return CERTLIB_E_LICENCE_ID;

    char joined[CERTLIB_LICENCE_ID_MAX];
    size_t j = 0;
    for (int i = 0; i < 4; i++) {
        memcpy(joined + j, seg[i], seg_len[i]);
        j += seg_len[i];
    }
    if (certlib_mod37_36(joined, j) != seg[4][0]) return CERTLIB_E_LICENCE_ID_CHECKSUM;

    memcpy(out->type_code, seg[0], 21);
    memcpy(out->issuer_code, seg[1], 18);
    memcpy(out->serial, seg[2], seg_len[2]);
    out->version = (unsigned)((seg[3][0] - '0') * 100 + (seg[3][1] - '0') * 10 + (seg[3][2] - '0'));
    out->check = seg[4][0];
    return CERTLIB_OK;
}

certlib_err certlib_licence_id_make(const char *type_code, const char *issuer_code, const char *serial,
                                    unsigned version, char *out, size_t cap)
{
    if (!type_code || !issuer_code || !serial || !out) return CERTLIB_E_INVALID_ARGUMENT;
    if (version > 999) return CERTLIB_E_LICENCE_ID;
    certlib_err err = check_segments(type_code, strlen(type_code), issuer_code, strlen(issuer_code), serial,
                                     strlen(serial));
    if (err) return err;
    char joined[CERTLIB_LICENCE_ID_MAX];
    int n = snprintf(joined, sizeof(joined), "%s%s%s%03u", type_code, issuer_code, serial, version);
    if (n < 0 || (size_t)n >= sizeof(joined)) return CERTLIB_E_LICENCE_ID;
    int written = snprintf(out, cap, "%s%s.%s.%s.%03u.%c", CERTLIB_LICENCE_ID_ROOT, type_code, issuer_code,
                           serial, version, certlib_mod37_36(joined, (size_t)n));
    if (written < 0 || (size_t)written >= cap) return CERTLIB_E_BUFFER_TOO_SMALL;
    return CERTLIB_OK;
}
