/* Responses: JSON, problem documents, percent-decoding. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

const char *authd_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

static void response_head(h2o_req_t *req, int status, const char *content_type, h2o_iovec_t cache_control)
{
    req->res.status = status;
    req->res.reason = authd_status_text(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache_control.base,
                   cache_control.len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
}

static void send_with_cache(h2o_req_t *req, int status, const char *content_type, h2o_iovec_t body,
                            h2o_iovec_t cache_control)
{
    static h2o_generator_t generator = {NULL, NULL};
    response_head(req, status, content_type, cache_control);
    req->res.content_length = body.len;
    h2o_start_response(req, &generator);
    h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
}

void authd_start_stream(h2o_req_t *req, int status, const char *content_type, h2o_generator_t *generator)
{
    response_head(req, status, content_type, h2o_iovec_init(H2O_STRLIT("no-store")));
    h2o_start_response(req, generator);
}

void authd_send(h2o_req_t *req, int status, const char *content_type, h2o_iovec_t body)
{
    send_with_cache(req, status, content_type, body, h2o_iovec_init(H2O_STRLIT("no-store")));
}

void authd_send_cache_control(h2o_req_t *req, int status, const char *content_type, h2o_iovec_t body,
                              const char *cache_control)
{
    send_with_cache(req, status, content_type, body, h2o_iovec_init(cache_control, strlen(cache_control)));
}

void authd_send_cacheable(h2o_req_t *req, int status, const char *content_type, h2o_iovec_t body,
                          unsigned max_age)
{
    char *cc = h2o_mem_alloc_pool(&req->pool, 40);
    int n = snprintf(cc, 40, "public, max-age=%u", max_age);
    send_with_cache(req, status, content_type, body, h2o_iovec_init(cc, (size_t)n));
}

h2o_iovec_t authd_pool_copy(h2o_req_t *req, const void *bytes, size_t len)
{
    char *p = h2o_mem_alloc_pool(&req->pool, len + 1);
    memcpy(p, bytes, len);
    p[len] = '\0';
    return h2o_iovec_init(p, len);
}

void authd_send_json_doc(h2o_req_t *req, int status, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) {
        authd_problem(req, 503, "overloaded", "out of memory");
        return;
    }
    h2o_iovec_t body = authd_pool_copy(req, text, strlen(text));
    free(text);
    authd_send_json(req, status, body);
}

int authd_content_type_is(h2o_req_t *req, const char *want)
{
    ssize_t at = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (at < 0) return 0;
    h2o_iovec_t v = req->headers.entries[at].value;
    size_t n = strlen(want);
    return v.len >= n && h2o_lcstris(v.base, n, want, n) &&
           (v.len == n || v.base[n] == ';' || v.base[n] == ' ');
}

/* Whether a media range's parameters (after its ';') give it q=0. */
static bool refused_by_q(const char *p, const char *end)
{
    while (p < end) {
        while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            p += 2;
            if (p == end || *p != '0') return false;
            for (p++; p < end && (*p == '.' || *p == '0'); p++)
                ;
            return p == end || *p == ';' || *p == ' ' || *p == '\t';
        }
        while (p < end && *p != ';')
            p++;
    }
    return false;
}

bool authd_accepts(h2o_req_t *req, const char *want)
{
    size_t n = strlen(want);
    for (ssize_t at = -1; (at = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, at)) >= 0;) {
        h2o_iovec_t v = req->headers.entries[at].value;
        const char *p = v.base, *end = v.base + v.len;
        while (p < end) { /* each media range: type/subtype *( ; parameter ) */
            while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
                p++;
            const char *range = p;
            while (p < end && *p != ',')
                p++;
            const char *type_end = range;
            while (type_end < p && *type_end != ';' && *type_end != ' ' && *type_end != '\t')
                type_end++;
            if ((size_t)(type_end - range) == n && h2o_lcstris(range, n, want, n) &&
                !refused_by_q(type_end, p))
                return true;
        }
    }
    return false;
}

json_t *authd_json_body(h2o_req_t *req, const char *const *allowed)
{
    if (!authd_content_type_is(req, "application/json")) {
        authd_problem(req, 415, "unsupported_media_type", "send application/json");
        return NULL;
    }
    json_error_t error;
    json_t *doc =
        json_loadb(req->entity.base ? req->entity.base : "", req->entity.len, JSON_REJECT_DUPLICATES, &error);
    if (!doc) {
        /* error.text may quote the input, which may be personal data: give the position only. */
        if (json_error_code(&error) == json_error_invalid_utf8)
            authd_problemf(req, 400, "invalid_utf8", "the body is not valid UTF-8 (line %d, column %d)",
                           error.line, error.column);
        else if (json_error_code(&error) == json_error_duplicate_key)
            authd_problemf(req, 400, "duplicate_field", "a field appears twice (line %d, column %d)",
                           error.line, error.column);
        else
            authd_problemf(req, 400, "malformed_json", "the body is not valid JSON (line %d, column %d)",
                           error.line, error.column);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        authd_problem(req, 400, "invalid_request", "the body must be a JSON object");
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i]) {
            json_decref(doc);
            authd_problem(req, 400, "unknown_field", "the body has a field this route does not take");
            return NULL;
        }
    }
    return doc;
}

int authd_form_param(h2o_mem_pool_t *pool, h2o_iovec_t form, const char *name, h2o_iovec_t *out)
{
    *out = h2o_iovec_init(NULL, 0);
    const char *p = form.base, *end = form.base + form.len;
    size_t n = strlen(name);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        if (!amp) amp = end;
        if ((size_t)(amp - p) > n && memcmp(p, name, n) == 0 && p[n] == '=') {
            h2o_iovec_t raw = h2o_iovec_init(p + n + 1, (size_t)(amp - p - n - 1));
            /* '+' means space in forms and query strings */
            char *plus = h2o_mem_alloc_pool(pool, raw.len + 1);
            for (size_t i = 0; i < raw.len; i++)
                plus[i] = raw.base[i] == '+' ? ' ' : raw.base[i];
            return authd_percent_decode(pool, h2o_iovec_init(plus, raw.len), out);
        }
        p = amp + 1;
    }
    return 0;
}

int authd_query_param(h2o_req_t *req, const char *name, h2o_iovec_t *out)
{
    *out = h2o_iovec_init(NULL, 0);
    if (req->query_at == SIZE_MAX) return 0;
    const char *q = req->path.base + req->query_at + 1;
    return authd_form_param(&req->pool, h2o_iovec_init(q, (size_t)(req->path.base + req->path.len - q)), name,
                            out);
}

void authd_send_json(h2o_req_t *req, int status, h2o_iovec_t body)
{
    authd_send(req, status, "application/json", body);
}

void authd_problem(h2o_req_t *req, int status, const char *code, const char *detail)
{
    char type[128];
    snprintf(type, sizeof(type), "/problems/%s", code);
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title", authd_status_text(status),
                            "status", status, "code", code, "detail", detail);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    h2o_iovec_t body = text ? h2o_strdup(&req->pool, text, strlen(text))
                            : h2o_iovec_init(H2O_STRLIT("{\"status\":500,\"code\":\"internal\"}"));
    free(text);
    json_decref(doc);
    authd_send(req, status, "application/problem+json", body);
}

void authd_problemf(h2o_req_t *req, int status, const char *code, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    authd_problem(req, status, code, detail);
}

void authd_problem_store(h2o_req_t *req, authd_err rc, const char *code, const char *detail)
{
    if (rc == AUTHD_E_UNAVAILABLE || rc == AUTHD_E_INDOUBT) {
        /* a database failing over: worth trying again in a moment, here or at another node */
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("2"));
        authd_problemf(req, 503, "store_unavailable", "%s: the store cannot be reached now%s", detail,
                       rc == AUTHD_E_INDOUBT ? " (the write may or may not have taken effect)" : "");
        return;
    }
    if (rc == AUTHD_E_NOMEM) {
        authd_problem(req, 503, "overloaded", "out of memory");
        return;
    }
    if (rc == AUTHD_E_FULL) { /* LMDB's map_size reached, or a disk without space */
        authd_problemf(req, 507, "store_full", "%s: the store is full", detail);
        return;
    }
    authd_problem(req, 500, code, detail);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int authd_percent_decode(h2o_mem_pool_t *pool, h2o_iovec_t in, h2o_iovec_t *out)
{
    char *dst = h2o_mem_alloc_pool(pool, in.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < in.len; i++) {
        if (in.base[i] != '%') {
            dst[n++] = in.base[i];
            continue;
        }
        int hi = i + 2 < in.len ? hex_value(in.base[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(in.base[i + 2]) : -1;
        if (lo < 0) return -1;
        dst[n++] = (char)(hi << 4 | lo);
        i += 2;
    }
    dst[n] = '\0';
    *out = h2o_iovec_init(dst, n);
    return 0;
}
