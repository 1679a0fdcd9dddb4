/* Organisation identifiers: the unified social credit code (GB 32100-2015) and the organisation code
 * it embeds (GB 11714-1997). */
#include <string.h>

#include "ident/uscc.h"

/* GB 32100-2015 §4.2: the 31-character alphabet (no I, O, Z, S, V). The table holds each character's
 * value plus one, so that zero (every other byte) means "not in the alphabet". Lower case is accepted
 * on input and normalised, as counter staff type codes by hand. */
static const uint8_t uscc_value_plus1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
    ['G'] = 17, ['H'] = 18, ['J'] = 19, ['K'] = 20, ['L'] = 21, ['M'] = 22, ['N'] = 23, ['P'] = 24,
    ['Q'] = 25, ['R'] = 26, ['T'] = 27, ['U'] = 28, ['W'] = 29, ['X'] = 30, ['Y'] = 31, ['a'] = 11,
    ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['g'] = 17, ['h'] = 18, ['j'] = 19,
    ['k'] = 20, ['l'] = 21, ['m'] = 22, ['n'] = 23, ['p'] = 24, ['q'] = 25, ['r'] = 26, ['t'] = 27,
    ['u'] = 28, ['w'] = 29, ['x'] = 30, ['y'] = 31,
};

/* GB 32100-2015 §5: weights 3^(i-1) mod 31. */
static const uint8_t uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

/* GB 11714-1997 §5: weights and the value of a body character (digits, A=10 ... Z=35). */
static const uint8_t org_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

static inline int org_char_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    return -1;
}

static inline char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The GB 11714 check character of an 8-character body, or 0 when the body has a bad character. */
static char org_check_char(const char *body)
{
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        int v = org_char_value(body[i]);
        if (v < 0) return 0;
        sum += v * org_weights[i];
    }
    int check = 11 - sum % 11;
    return check == 10 ? 'X' : check == 11 ? '0' : (char)('0' + check);
}

/* GB 32100-2015 Annex A (and the later assignments): registration authorities (登记管理部门) and the
 * organisation categories (机构类别) each may issue. */
struct uscc_authority {
    char code;
    const char *label;
    const char *categories;         /* allowed category characters */
    const char *category_labels[6]; /* in the order of `categories` */
};

static const struct uscc_authority authorities[] = {
    {'1', "机构编制", "1239", {"机关", "事业单位", "中央编办直接管理机构编制的群众团体", "其他"}},
    {'2', "外交", "19", {"外国常驻新闻机构", "其他"}},
    {'3',
     "司法行政",
     "123459",
     {"律师执业机构", "公证处", "基层法律服务所", "司法鉴定机构", "仲裁委员会", "其他"}},
    {'4', "文化", "19", {"外国在华文化中心", "其他"}},
    {'5', "民政", "1239", {"社会团体", "民办非企业单位", "基金会", "其他"}},
    {'6', "旅游", "129", {"外国旅游部门常驻代表机构", "港澳台地区旅游部门常驻内地（大陆）代表机构", "其他"}},
    {'7', "宗教", "129", {"宗教活动场所", "宗教院校", "其他"}},
    {'8', "工会", "19", {"基层工会", "其他"}},
    {'9', "工商", "123", {"企业", "个体工商户", "农民专业合作社"}},
    {'A', "中央军委改革和编制办公室", "19", {"军队事业单位", "其他"}},
    {'N', "农业", "1239", {"组级集体经济组织", "村级集体经济组织", "乡镇级集体经济组织", "其他"}},
    {'Y', "其他", "1", {"其他"}},
};

static const struct uscc_authority *find_authority(char code)
{
    for (size_t i = 0; i < sizeof(authorities) / sizeof(authorities[0]); i++)
        if (authorities[i].code == code) return &authorities[i];
    return NULL;
}

/* Index of `category` among the authority's categories, or -1. */
static int category_index(const struct uscc_authority *authority, char category)
{
    const char *at = category ? strchr(authority->categories, category) : NULL;
    return at ? (int)(at - authority->categories) : -1;
}

const char *certlib__uscc_authority_label(char authority)
{
    const struct uscc_authority *a = find_authority(upper(authority));
    return a ? a->label : NULL;
}

const char *certlib__uscc_category_label(char authority, char category)
{
    const struct uscc_authority *a = find_authority(upper(authority));
    int i = a ? category_index(a, category) : -1;
    return i >= 0 ? a->category_labels[i] : NULL;
}

certlib_err certlib__uscc_check(const struct ident_env *env, const char *s, certlib_ident *out)
{
    out->kind = CERTLIB_IDENT_USCC;
    uint32_t sum = 0;
    for (int i = 0; i < 17; i++) {
        uint32_t v = uscc_value_plus1[(uint8_t)s[i]];
        if (!v) return out->reason = CERTLIB_E_IDENT_CHARSET;
        sum += (v - 1) * uscc_weights[i];
    }
    uint32_t check = uscc_value_plus1[(uint8_t)s[17]];
    if (!check) return out->reason = CERTLIB_E_IDENT_CHARSET;

    const struct uscc_authority *authority = find_authority(upper(s[0]));
    if (!authority || category_index(authority, s[1]) < 0) return out->reason = CERTLIB_E_IDENT_CATEGORY;
    if ((31 - sum % 31) % 31 != check - 1) return out->reason = CERTLIB_E_IDENT_CHECKSUM;

    /* Positions 3-8: the GB/T 2260 code of the registering authority's area, 100000 for central ones. */
    uint32_t region = 0;
    for (int i = 2; i < 8; i++) {
        if ((unsigned)(s[i] - '0') > 9) return out->reason = CERTLIB_E_IDENT_REGION;
        region = region * 10 + (uint32_t)(s[i] - '0');
    }
    if (region != 100000 && !ident_region_ok(env, region)) return out->reason = CERTLIB_E_IDENT_REGION;
    out->region_code = region;

    if (upper(s[16]) != org_check_char(s + 8)) return out->reason = CERTLIB_E_IDENT_ORG_CODE;

    for (int i = 0; i < 18; i++)
        out->normalized[i] = upper(s[i]);
    out->normalized[18] = '\0';
    out->normalized_len = 18;
    return out->reason = CERTLIB_OK;
}

certlib_err certlib__org_code_check(const char *s, size_t len, certlib_ident *out)
{
    out->kind = CERTLIB_IDENT_ORG_CODE;
    /* Written either as 9 characters or, as on the certificate, "XXXXXXXX-X". */
    if (len == 10 && s[8] != '-') return out->reason = CERTLIB_E_IDENT_LENGTH;
    char last = upper(s[len - 1]);
    for (int i = 0; i < 8; i++)
        if (org_char_value(s[i]) < 0) return out->reason = CERTLIB_E_IDENT_CHARSET;
    if ((unsigned)(last - '0') > 9 && last != 'X') return out->reason = CERTLIB_E_IDENT_CHARSET;
    if (org_check_char(s) != last) return out->reason = CERTLIB_E_IDENT_CHECKSUM;
    for (int i = 0; i < 8; i++)
        out->normalized[i] = upper(s[i]);
    out->normalized[8] = '-';
    out->normalized[9] = last;
    out->normalized[10] = '\0';
    out->normalized_len = 10;
    return out->reason = CERTLIB_OK;
}
