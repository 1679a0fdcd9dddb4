/* Reading a log over HTTP with libcurl or from a directory (see certctl_fetch.h). */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certctl.h"
#include "certctl_fetch.h"

#define MAX_FETCH (64u << 20) /* an entry bundle of 256 entries of at most 64 KiB, with room */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t add = size * n;
    if (b->len + add > MAX_FETCH) return 0;
    if (b->len + add > b->cap) {
        size_t cap = (b->len + add) * 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) return 0;
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, data, add);
    b->len += add;
    return add;
}

static int mkdirs_for(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return 0;
}

/* The bearer token from its file, as an authorization header for every request. */
static int set_token(struct certctl_source *s, const char *token_file)
{
    uint8_t *t;
    size_t tl;
    if (certctl_read_file("audit", token_file, 4096, &t, &tl)) return -1;
    while (tl && (t[tl - 1] == '\n' || t[tl - 1] == '\r'))
        tl--;
    size_t cap = tl + 32;
    s->auth = malloc(cap);
    if (s->auth) snprintf(s->auth, cap, "authorization: Bearer %.*s", (int)tl, (const char *)t);
    OPENSSL_cleanse(t, tl); /* a secret */
    free(t);
    if (!s->auth || !(s->headers = curl_slist_append(NULL, s->auth))) return -1;
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
    return 0;
}

int certctl_source_open(struct certctl_source *s, const char *where, const char *token_file,
                        const char *cacert, const char *mirror)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->base, sizeof(s->base), "%s", where);
    size_t bl = strlen(s->base);
    while (bl > 1 && s->base[bl - 1] == '/')
        s->base[--bl] = '\0';
    s->http = strncmp(s->base, "http://", 7) == 0 || strncmp(s->base, "https://", 8) == 0;
    s->mirror = mirror;
    if (!s->http) return 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || !(s->curl = curl_easy_init())) {
        fprintf(stderr, "certctl audit: libcurl cannot start\n");
        return -1;
    }
    curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "certctl-audit/1");
    if (cacert) curl_easy_setopt(s->curl, CURLOPT_CAINFO, cacert);
    return token_file ? set_token(s, token_file) : 0;
}

/* Over HTTP: 0, 1 (404) or -1, as certctl_fetch. */
static int fetch_http(struct certctl_source *s, const char *where, uint8_t **out, size_t *len)
{
    struct buf b = {0};
    curl_easy_setopt(s->curl, CURLOPT_URL, where);
    curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &b);
    CURLcode c = curl_easy_perform(s->curl);
    long code = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
    if (c != CURLE_OK || code != 200) {
        if (c != CURLE_OK)
            fprintf(stderr, "certctl audit: %s: %s\n", where, curl_easy_strerror(c));
        else if (code != 404)
            fprintf(stderr, "certctl audit: %s: HTTP %ld%s\n", where, code,
                    code == 401 || code == 403 ? " (the access log needs an auditor's --token)" : "");
        free(b.p);
        return c == CURLE_OK && code == 404 ? 1 : -1;
    }
    *out = b.p ? b.p : malloc(1);
    *len = b.len;
    return *out ? 0 : -1;
}

int certctl_fetch(struct certctl_source *s, const char *rel, uint8_t **out, size_t *len)
{
    char where[sizeof(s->base) + 256];
    if ((size_t)snprintf(where, sizeof(where), "%s/%s", s->base, rel) >= sizeof(where)) {
        fprintf(stderr, "certctl audit: %s/%s: path too long\n", s->base, rel);
        return -1;
    }
    int rc;
    if (s->http)
        rc = fetch_http(s, where, out, len);
    else if (access(where, F_OK) != 0)
        rc = 1;
    else
        rc = certctl_read_file("audit", where, MAX_FETCH, out, len) ? -1 : 0;
    if (rc != 0 || !s->mirror) return rc;
    char copy[4096];
    if ((size_t)snprintf(copy, sizeof(copy), "%s/%s", s->mirror, rel) >= sizeof(copy) ||
        mkdirs_for(copy) != 0 || certctl_write_file("audit", copy, *out, *len) != 0) {
        free(*out);
        return -1;
    }
    return 0;
}

/* One request to an absolute URL: a POST of `body` (with `content_type`) or, body NULL, a GET. */
static int exchange(struct certctl_source *s, const char *where, const char *content_type, const char *body,
                    long *status, char **out, size_t *len)
{
    char type[128];
    snprintf(type, sizeof(type), "content-type: %s", content_type ? content_type : "");
    struct curl_slist *headers = body ? curl_slist_append(NULL, type) : NULL;
    struct buf b = {0};
    curl_easy_setopt(s->curl, CURLOPT_URL, where);
    curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &b);
    if (body) {
        curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
    }
    CURLcode c = curl_easy_perform(s->curl);
    curl_easy_setopt(s->curl, CURLOPT_HTTPGET, 1L); /* the handle's next request is a GET again */
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
    curl_slist_free_all(headers);
    *status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, status);
    uint8_t *text = c == CURLE_OK ? realloc(b.p, b.len + 1) : NULL;
    if (!text) {
        fprintf(stderr, "certctl: %s: %s\n", where, c != CURLE_OK ? curl_easy_strerror(c) : "out of memory");
        free(b.p);
        return -1;
    }
    text[b.len] = '\0';
    *out = (char *)text;
    *len = b.len;
    return 0;
}

int certctl_post_json(struct certctl_source *s, const char *rel, const char *body, long *status, char **out,
                      size_t *len)
{
    char where[sizeof(s->base) + 256];
    if (!s->http || (size_t)snprintf(where, sizeof(where), "%s/%s", s->base, rel) >= sizeof(where)) {
        fprintf(stderr, "certctl: %s/%s: not an http(s) URL, or too long\n", s->base, rel);
        return -1;
    }
    return exchange(s, where, "application/json", body, status, out, len);
}

int certctl_exchange_url(struct certctl_source *s, const char *url, const char *content_type,
                         const char *body, long *status, char **out, size_t *len)
{
    if (!s->http || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        fprintf(stderr, "certctl: %s: not an http(s) URL\n", url);
        return -1;
    }
    return exchange(s, url, content_type, body, status, out, len);
}

void certctl_source_close(struct certctl_source *s)
{
    if (s->auth) {
        OPENSSL_cleanse(s->auth, strlen(s->auth));
        free(s->auth);
    }
    curl_slist_free_all(s->headers);
    if (s->curl) {
        curl_easy_cleanup(s->curl);
        curl_global_cleanup();
    }
    memset(s, 0, sizeof(*s));
}
