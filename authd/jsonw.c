/* JSON text into a growing buffer (see jsonw.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/common.h"
#include "certlib/encoding.h"
#include "jsonw.h"

/* Room for n more bytes (and a NUL). */
static bool reserve(struct authd_jsonw *w, size_t n)
{
    if (w->failed) return false;
    if (n < w->cap - w->len) return true;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap - w->len <= n) {
        if (cap > SIZE_MAX / 2) {
            w->failed = true;
            return false;
        }
        cap *= 2;
    }
    /* grown by copying, so the old buffer (personal data) is wiped rather than left to realloc */
    char *buf = malloc(cap);
    if (!buf) {
        w->failed = true;
        return false;
    }
    if (w->buf) {
        memcpy(buf, w->buf, w->len);
        sodium_memzero(w->buf, w->len);
        free(w->buf);
    }
    w->buf = buf;
    w->cap = cap;
    return true;
}

void authd_jsonw_raw(struct authd_jsonw *w, const char *s, size_t n)
{
    if (n == 0) return; /* `s` may then be an empty writer's NULL buffer */
    if (!reserve(w, n)) return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

void authd_jsonw_string(struct authd_jsonw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    if (!certlib_utf8_valid(s, n)) {
        w->failed = true;
        return;
    }
    if (!reserve(w, 2 + n)) return;
    w->buf[w->len++] = '"';
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = u[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        authd_jsonw_raw(w, s + run, i - run);
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            authd_jsonw_raw(w, esc, 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            authd_jsonw_raw(w, esc, 6);
        }
        run = i + 1;
    }
    authd_jsonw_raw(w, s + run, n - run);
    authd_jsonw_raw(w, "\"", 1);
}

void authd_jsonw_cstring(struct authd_jsonw *w, const char *s)
{
    if (s)
        authd_jsonw_string(w, s, strlen(s));
    else
        authd_jsonw_lit(w, "null");
}

void authd_jsonw_int(struct authd_jsonw *w, long long v)
{
    char text[24];
    int n = snprintf(text, sizeof(text), "%lld", v);
    authd_jsonw_raw(w, text, (size_t)n);
}

void authd_jsonw_base64url(struct authd_jsonw *w, const uint8_t *bytes, size_t len)
{
    if (!reserve(w, CERTLIB_BASE64URL_ENCODED_LEN(len) + 2)) return;
    w->buf[w->len++] = '"';
    w->len += certlib_base64url_encode(bytes, len, w->buf + w->len);
    w->buf[w->len++] = '"';
}

char *authd_jsonw_take(struct authd_jsonw *w, size_t *len)
{
    if (w->failed || !reserve(w, 0)) {
        authd_jsonw_discard(w);
        return NULL;
    }
    char *text = w->buf;
    text[w->len] = '\0';
    *len = w->len;
    memset(w, 0, sizeof(*w));
    return text;
}

void authd_jsonw_discard(struct authd_jsonw *w)
{
    if (w->buf) sodium_memzero(w->buf, w->cap);
    free(w->buf);
    memset(w, 0, sizeof(*w));
}
