/* GB/T 2260 region table: existence checks for the identifier hot path, names for display, and the
 * configuration hook that adds codes published after the built-in table was made. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/region.h"
#include "ident/region_table.h"
#include "base/utf8.h"

struct added_region {
    uint32_t code;
    char *name;
};

struct certlib_regions {
    uint64_t bits[CERTLIB_REGION_BITMAP_WORDS];
    struct added_region *added; /* sorted by code */
    size_t added_count;
    size_t added_cap;
    size_t count;
};

const uint64_t *certlib__regions_bitmap(const certlib_regions *regions)
{
    return regions ? regions->bits : certlib__region_bits;
}

bool certlib_region_exists(const certlib_regions *regions, uint32_t code)
{
    if (code > 999999) return false;
    return (certlib__regions_bitmap(regions)[code >> 6] >> (code & 63)) & 1;
}

certlib_err certlib_regions_new(certlib_regions **out)
{
    if (!out) return CERTLIB_E_INVALID_ARGUMENT;
    certlib_regions *regions = calloc(1, sizeof(*regions));
    if (!regions) return CERTLIB_E_NOMEM;
    memcpy(regions->bits, certlib__region_bits, sizeof(regions->bits));
    regions->count = certlib__region_row_count;
    *out = regions;
    return CERTLIB_OK;
}

void certlib_regions_free(certlib_regions *regions)
{
    if (!regions) return;
    for (size_t i = 0; i < regions->added_count; i++)
        free(regions->added[i].name);
    free(regions->added);
    free(regions);
}

size_t certlib_regions_count(const certlib_regions *regions)
{
    return regions ? regions->count : certlib__region_row_count;
}

/* Index of the first added entry whose code is >= `code`. */
static size_t added_lower_bound(const certlib_regions *regions, uint32_t code)
{
    size_t lo = 0, hi = regions->added_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (regions->added[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct certlib__region_row *builtin_row(uint32_t code)
{
    size_t lo = 0, hi = certlib__region_row_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (certlib__region_rows[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < certlib__region_row_count && certlib__region_rows[lo].code == code)
        return &certlib__region_rows[lo];
    return NULL;
}

certlib_err certlib_regions_add(certlib_regions *regions, uint32_t code, const char *name, size_t name_len)
{
    if (!regions || (!name && name_len)) return CERTLIB_E_INVALID_ARGUMENT;
    /* GB/T 2260 codes have a province part 11-82; 00xxxx cannot be a code. */
    if (code > 999999 || code < 10000) return CERTLIB_E_REGION_CODE;
    if (name_len == 0 || !certlib__utf8_valid((const uint8_t *)name, name_len) ||
        memchr(name, '\0', name_len))
        return CERTLIB_E_IDENT_ENCODING;

    char *copy = malloc(name_len + 1);
    if (!copy) return CERTLIB_E_NOMEM;
    memcpy(copy, name, name_len);
    copy[name_len] = '\0';

    size_t at = added_lower_bound(regions, code);
    if (at < regions->added_count && regions->added[at].code == code) {
        free(regions->added[at].name);
        regions->added[at].name = copy;
        return CERTLIB_OK;
    }
    if (regions->added_count == regions->added_cap) {
        size_t cap = regions->added_cap ? regions->added_cap * 2 : 16;
        struct added_region *grown = realloc(regions->added, cap * sizeof(*grown));
        if (!grown) {
            free(copy);
            return CERTLIB_E_NOMEM;
        }
        regions->added = grown;
        regions->added_cap = cap;
    }
    memmove(&regions->added[at + 1], &regions->added[at],
            (regions->added_count - at) * sizeof(regions->added[0]));
    regions->added[at] = (struct added_region){code, copy};
    regions->added_count++;
    if (!certlib_region_exists(regions, code)) regions->count++;
    regions->bits[code >> 6] |= UINT64_C(1) << (code & 63);
    return CERTLIB_OK;
}

static bool parse_code(const char *s, size_t len, uint32_t *code)
{
    if (len != 6) return false;
    uint32_t v = 0;
    for (size_t i = 0; i < 6; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    *code = v;
    return true;
}

certlib_err certlib_regions_load_tsv(certlib_regions *regions, const char *path, size_t *bad_line)
{
    if (!regions || !path) return CERTLIB_E_INVALID_ARGUMENT;
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOMEM ? CERTLIB_E_NOMEM : CERTLIB_E_IO_OPEN;

    certlib_err err = CERTLIB_OK;
    char line[1024];
    size_t lineno = 0;
    bool header_seen = false;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            err = CERTLIB_E_IO_FORMAT; /* a line longer than any real row */
            break;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#') continue;
        if (!header_seen) {
            header_seen = true;
            if (strcmp(line, "code\tfirst\tlast\tname") == 0) continue;
            err = CERTLIB_E_IO_FORMAT;
            break;
        }
        /* code \t first \t last \t name: only the code and the name are used. */
        char *tab1 = strchr(line, '\t');
        char *tab3 = tab1 ? strrchr(line, '\t') : NULL;
        uint32_t code;
        if (!tab1 || tab3 == tab1 || !parse_code(line, (size_t)(tab1 - line), &code)) {
            err = CERTLIB_E_REGION_CODE;
            break;
        }
        err = certlib_regions_add(regions, code, tab3 + 1, strlen(tab3 + 1));
        if (err) break;
    }
    if (!err && ferror(f)) err = CERTLIB_E_IO_READ;
    fclose(f);
    if (err && bad_line) *bad_line = lineno;
    return err;
}

certlib_err certlib_region_lookup(const certlib_regions *regions, uint32_t code, certlib_region_info *out)
{
    if (!out) return CERTLIB_E_INVALID_ARGUMENT;
    const struct certlib__region_row *row = code <= 999999 ? builtin_row(code) : NULL;
    *out = (certlib_region_info){code, 0, 0, NULL};
    if (row)
        *out = (certlib_region_info){code, row->first, row->last, certlib__region_names + row->name_offset};
    if (regions && regions->added_count) {
        size_t at = added_lower_bound(regions, code);
        if (at < regions->added_count && regions->added[at].code == code) out->name = regions->added[at].name;
    }
    return out->name ? CERTLIB_OK : CERTLIB_E_IDENT_REGION;
}

/* Prefecture-level rows that group counties without naming a place (GB/T 2260 uses them for
 * municipalities and directly administered counties). */
static bool is_placeholder(const char *name)
{
    static const char *const placeholders[] = {"市辖区", "县", "省直辖县级行政区划",
                                               "自治区直辖县级行政区划"};
    for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
        if (strcmp(name, placeholders[i]) == 0) return true;
    return false;
}

size_t certlib_region_describe(const certlib_regions *regions, uint32_t code, char *buf, size_t cap)
{
    uint32_t levels[3] = {code / 10000 * 10000, code / 100 * 100, code};
    size_t need = 0;
    if (cap) buf[0] = '\0';
    for (int i = 0; i < 3; i++) {
        if (i > 0 && levels[i] == levels[i - 1]) continue;
        certlib_region_info info;
        if (certlib_region_lookup(regions, levels[i], &info) != CERTLIB_OK) continue;
        if (i == 1 && is_placeholder(info.name)) continue;
        size_t name_len = strlen(info.name);
        size_t sep = need ? 1 : 0;
        if (need + sep + name_len < cap) {
            if (sep) buf[need] = ' ';
            memcpy(buf + need + sep, info.name, name_len + 1);
        }
        need += sep + name_len;
    }
    return need;
}
