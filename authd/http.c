/* Responses: JSON, problem documents, percent-decoding. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

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

void authd_send(h2o_req_t *req, int status, const char *content_type, h2o_iovec_t body)
{
    static h2o_generator_t generator = {NULL, NULL};
    req->res.status = status;
    req->res.reason = authd_status_text(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    req->res.content_length = body.len;
    h2o_start_response(req, &generator);
    h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
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
