/* C2SP tlog-tiles: tile paths ("tile/<L>/<N>[.p/<W>]", N in three-digit groups) and entry bundles
 * (each entry prefixed with its big-endian 16-bit length). */
#include <stdio.h>
#include <string.h>

#include "certlib/tlog.h"
#include "tlog/tlog_internal.h"

certlib_err certlib_tile_path(const certlib_tile *t, char *out, size_t cap)
{
    if (!t || !out || t->level < -1 || t->level > 63 || t->width < 1 || t->width > CERTLIB_TLOG_TILE_WIDTH)
        return CERTLIB_E_INVALID_ARGUMENT;
    char num[64], *p = num + sizeof(num);
    *--p = '\0';
    uint64_t n = t->index;
    int first = 1;
    do {
        /* written backwards from the right: "067", then "x234/", then "x001/" */
        if (!first) *--p = '/';
        unsigned g = (unsigned)(n % 1000);
        *--p = (char)('0' + g % 10);
        *--p = (char)('0' + g / 10 % 10);
        *--p = (char)('0' + g / 100);
        if (!first) *--p = 'x';
        first = 0;
        n /= 1000;
    } while (n);
    int w;
    char level[8];
    if (t->level < 0)
        snprintf(level, sizeof(level), "entries");
    else
        snprintf(level, sizeof(level), "%d", t->level);
    if (t->width == CERTLIB_TLOG_TILE_WIDTH)
        w = snprintf(out, cap, "tile/%s/%s", level, p);
    else
        w = snprintf(out, cap, "tile/%s/%s.p/%u", level, p, t->width);
    return w < 0 || (size_t)w >= cap ? CERTLIB_E_BUFFER_TOO_SMALL : CERTLIB_OK;
}

static int digits3(const char *s, unsigned *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9') return -1;
    *v = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
    return 0;
}

certlib_err certlib_tile_parse_path(const char *path, size_t len, certlib_tile *out)
{
    if (!path || !out) return CERTLIB_E_INVALID_ARGUMENT;
    const char *p = path, *end = path + len;
    if (len < 5 || memcmp(p, "tile/", 5) != 0) return CERTLIB_E_TILE;
    p += 5;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    if (!slash) return CERTLIB_E_TILE;
    uint64_t level;
    if ((size_t)(slash - p) == 7 && memcmp(p, "entries", 7) == 0)
        out->level = -1;
    else if (certlib__parse_u64(p, (size_t)(slash - p), &level) == 0 && level <= 63)
        out->level = (int)level;
    else
        return CERTLIB_E_TILE;
    p = slash + 1;
    uint64_t n = 0;
    int groups = 0;
    for (;;) {
        unsigned g;
        if (p < end && *p == 'x') {
            if (end - p < 5 || digits3(p + 1, &g) || p[4] != '/') return CERTLIB_E_TILE;
            if (groups == 0 && g == 0) return CERTLIB_E_TILE; /* x000/ is not canonical */
            if (++groups > 6) return CERTLIB_E_TILE;          /* 2^64 has seven groups */
            n = n * 1000 + g;
            p += 5;
            continue;
        }
        if (end - p < 3 || digits3(p, &g)) return CERTLIB_E_TILE;
        if (n > (UINT64_MAX - g) / 1000) return CERTLIB_E_TILE;
        n = n * 1000 + g;
        p += 3;
        break;
    }
    out->index = n;
    out->width = CERTLIB_TLOG_TILE_WIDTH;
    if (p == end) return CERTLIB_OK;
    uint64_t w;
    if (end - p < 4 || memcmp(p, ".p/", 3) != 0 || certlib__parse_u64(p + 3, (size_t)(end - p - 3), &w) ||
        w < 1 || w >= CERTLIB_TLOG_TILE_WIDTH)
        return CERTLIB_E_TILE;
    out->width = (unsigned)w;
    return CERTLIB_OK;
}

certlib_tile certlib_tile_for(int level, uint64_t index, uint64_t size)
{
    certlib_tile t = {level, index / CERTLIB_TLOG_TILE_WIDTH, CERTLIB_TLOG_TILE_WIDTH};
    unsigned shift = level < 0 ? 0 : (unsigned)level * CERTLIB_TLOG_TILE_HEIGHT;
    uint64_t count = shift >= 64 ? 0 : size >> shift;
    uint64_t start = t.index * CERTLIB_TLOG_TILE_WIDTH;
    if (count > start && count - start < CERTLIB_TLOG_TILE_WIDTH) t.width = (unsigned)(count - start);
    return t;
}

certlib_err certlib_entry_bundle_each(const uint8_t *bundle, size_t len, unsigned expect,
                                      certlib_err (*fn)(void *arg, uint64_t i, const uint8_t *entry,
                                                        size_t entry_len),
                                      void *arg)
{
    if ((!bundle && len) || !fn) return CERTLIB_E_INVALID_ARGUMENT;
    size_t pos = 0;
    unsigned i = 0;
    while (pos < len) {
        if (len - pos < 2 || i == expect) return CERTLIB_E_TILE;
        size_t n = (size_t)bundle[pos] << 8 | bundle[pos + 1];
        pos += 2;
        if (len - pos < n) return CERTLIB_E_TILE;
        certlib_err e = fn(arg, i, bundle + pos, n);
        if (e) return e;
        pos += n;
        i++;
    }
    return i == expect ? CERTLIB_OK : CERTLIB_E_TILE;
}
