/* Routing and the request limits every route shares. */
#include <string.h>

#include "admission.h"
#include "auth.h"
#include "held.h"
#include "http1_framing.h"
#include "router.h"

#define ISSUER AUTHD_ROLE(AUTHD_ROLE_ISSUER)
#define COUNTER AUTHD_ROLE(AUTHD_ROLE_COUNTER)
#define AUDITOR AUTHD_ROLE(AUTHD_ROLE_AUDITOR)
#define ADMIN AUTHD_ROLE(AUTHD_ROLE_ADMIN)
#define PEER AUTHD_ROLE(AUTHD_ROLE_PEER)
#define PUBLIC 0u

static const struct authd_route routes[] = {
    {"GET", "/healthz", authd_route_healthz, PUBLIC},
    {"GET", "/v1/ident/{number}", authd_route_ident_get, AUTHD_ANY_ROLE},
    {"POST", "/v1/ident/check", authd_route_ident_check, AUTHD_ANY_ROLE},
    {"POST", "/v1/licences", authd_route_licence_issue, ISSUER},
    {"GET", "/v1/licences/{licence_id}", authd_route_licence_get, ISSUER | COUNTER | AUDITOR},
    {"POST", "/v1/licences/{licence_id}/status", authd_route_licence_status, ISSUER},
    {"GET", "/v1/holders/{holder_id}/licences", authd_route_lookup, COUNTER | PEER},
    {"GET", "/v1/matters", authd_route_matters, COUNTER},
    {"GET", "/v1/marks/{reference}/qr", authd_route_mark_qr, COUNTER | AUDITOR},
    {"POST", "/v1/verify", authd_route_verify, COUNTER},
    {"POST", "/v1/challenges", authd_route_challenge, COUNTER},
    {"POST", "/v1/presentation-requests", authd_route_presentation_create, COUNTER},
    {"GET", "/v1/presentation-requests/{id}", authd_route_presentation_get, COUNTER},
    {"GET", "/v1/presentation-requests/{id}/request", authd_route_presentation_request, PUBLIC},
    {"POST", "/v1/presentation-requests/{id}/response", authd_route_presentation_response, PUBLIC},
    {"GET", "/v1/use-record/nonce", authd_route_use_record_nonce, PUBLIC},
    {"POST", "/v1/use-record", authd_route_use_record, PUBLIC},
    {"GET", "/counter/", authd_route_counter_page, PUBLIC},
    {"GET", "/counter/{file}", authd_route_counter_file, PUBLIC},
    {"GET", "/v1/status/{list_id}", authd_route_status_list, PUBLIC},
    {"GET", "/v1/trust", authd_route_trust, PUBLIC},
    {"GET", "/v1/trust-list", authd_route_trust_list, PUBLIC},
    {"GET", "/metrics", authd_route_metrics, ADMIN | AUDITOR},
    {"GET", "/v1/licences/{licence_id}/receipt", authd_route_receipt, PUBLIC},
    /* the signature log is public; the access log's routes check for an auditor or admin themselves */
    {"POST", "/witness/add-checkpoint", authd_route_witness_add, PUBLIC},
    {"GET", "/witness/key", authd_route_witness_key, PUBLIC},
    {"GET", "/log/{log}/checkpoint", authd_route_log_checkpoint, PUBLIC},
    {"GET", "/log/{log}/key", authd_route_log_key, PUBLIC},
    {"GET", "/log/{log}/tile/{*tile}", authd_route_log_tile, PUBLIC},
    {"GET", "/log/{log}/proof/inclusion", authd_route_log_inclusion, PUBLIC},
    {"GET", "/log/{log}/proof/consistency", authd_route_log_consistency, PUBLIC},
};
#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

const struct authd_route *authd_routes(size_t *n)
{
    *n = N_ROUTES;
    return routes;
}

const char *const *authd_route_patterns(size_t *n)
{
    static const char *patterns[N_ROUTES];
    for (size_t i = 0; i < N_ROUTES; i++)
        patterns[i] = routes[i].pattern;
    *n = N_ROUTES;
    return patterns;
}

/* Matches `path` (no query) against a pattern segment by segment. */
static int pattern_match(const char *pattern, h2o_iovec_t path, h2o_iovec_t *params, size_t *param_count)
{
    const char *p = pattern, *s = path.base, *end = path.base + path.len;
    size_t n = 0;
    while (*p && s < end) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            /* {*name} takes the rest of the path, slashes and all */
            const char *seg_end = p[1] == '*' ? end : memchr(s, '/', (size_t)(end - s));
            if (!seg_end) seg_end = end;
            if (seg_end == s || n == AUTHD_MAX_PARAMS) return 0;
            if (params) params[n] = h2o_iovec_init(s, (size_t)(seg_end - s));
            n++;
            p = close + 1;
            s = seg_end;
        } else if (*p++ != *s++) {
            return 0;
        }
    }
    if (*p || s != end) return 0;
    if (param_count) *param_count = n;
    return 1;
}

static h2o_iovec_t path_only(h2o_iovec_t path)
{
    const char *q = memchr(path.base, '?', path.len);
    return q ? h2o_iovec_init(path.base, (size_t)(q - path.base)) : path;
}

const struct authd_route *authd_route_match(h2o_iovec_t method, h2o_iovec_t path, h2o_iovec_t *params,
                                            size_t *param_count, int *path_matched)
{
    path = path_only(path);
    *path_matched = 0;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!pattern_match(routes[i].pattern, path, params, param_count)) continue;
        *path_matched = 1;
        if (h2o_memis(method.base, method.len, routes[i].method, strlen(routes[i].method))) return &routes[i];
        /* HEAD is GET without a body; h2o drops the body for us. */
        if (strcmp(routes[i].method, "GET") == 0 && h2o_memis(method.base, method.len, H2O_STRLIT("HEAD")))
            return &routes[i];
    }
    return NULL;
}

const char *authd_route_pattern(h2o_iovec_t method, h2o_iovec_t path)
{
    int path_matched;
    const struct authd_route *route = authd_route_match(method, path, NULL, NULL, &path_matched);
    if (route) return route->pattern;
    path = path_only(path);
    for (size_t i = 0; path_matched && i < N_ROUTES; i++)
        if (pattern_match(routes[i].pattern, path, NULL, NULL)) return routes[i].pattern;
    return NULL;
}

/* The Allow header of a 405: every method some route offers for this path. */
static void add_allow(h2o_req_t *req, h2o_iovec_t path)
{
    char allow[64] = "";
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!pattern_match(routes[i].pattern, path_only(path), NULL, NULL)) continue;
        if (allow[0]) strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
        strncat(allow, routes[i].method, sizeof(allow) - strlen(allow) - 1);
    }
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
}

static size_t header_bytes(const h2o_req_t *req)
{
    size_t n = req->path.len + req->authority.len;
    for (size_t i = 0; i < req->headers.size; i++)
        n += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    return n;
}

int authd_router_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct authd_server *server = ((struct authd_handler *)self)->server;
    const struct authd_config *config = server->config;

    if (h2o_find_header_by_str(&req->headers, H2O_STRLIT(AUTHD_FRAMING_CONFLICT_HEADER), -1) != -1) {
        req->http1_is_persistent = 0; /* RFC 9112 §6.3: the connection must not be reused */
        authd_problem(req, 400, "ambiguous_framing",
                      "the request is framed by both Content-Length and Transfer-Encoding, or by "
                      "Content-Lengths that disagree");
        return 0;
    }

    if (header_bytes(req) > config->max_header_bytes) {
        authd_problemf(req, 431, "headers_too_large", "the request's headers exceed %zu bytes",
                       config->max_header_bytes);
        return 0;
    }
    if (req->entity.base && req->entity.len > config->max_body_bytes) {
        authd_problemf(req, 413, "body_too_large", "the request body exceeds %zu bytes",
                       config->max_body_bytes);
        return 0;
    }

    struct authd_request r = {
        .req = req, .server = server, .policy = authd_held_hold(server->policies, &req->pool)};
    int path_matched;
    const struct authd_route *route =
        authd_route_match(req->method, req->path, r.params, &r.param_count, &path_matched);
    if (!route) {
        if (path_matched) {
            add_allow(req, req->path);
            authd_problem(req, 405, "method_not_allowed",
                          "this resource does not support the request's method");
        } else {
            authd_problem(req, 404, "not_found", "no such resource");
        }
        return 0;
    }
    if (route->roles && !(r.client = authd_require(&r, route->roles))) return 0; /* 401 or 403 sent */
    if (authd_admit(server->admission, req, r.client ? r.client->id : NULL) != 0) return 0; /* 429 or 503 */
    route->handler(&r);
    return 0;
}
