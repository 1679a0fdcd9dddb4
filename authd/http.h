/* Request and response helpers on top of h2o: JSON bodies and RFC 9457 problem documents. */
#ifndef AUTHD_HTTP_H
#define AUTHD_HTTP_H

#include <h2o.h>

#include "errors.h"

#include "server.h"

/* One request as routes see it. `params` are the raw (still percent-encoded) path segments the
 * route's {placeholders} matched. */
#define AUTHD_MAX_PARAMS 4
struct authd_client;
struct authd_request {
    h2o_req_t *req;
    struct authd_server *server;
    const struct authd_policy *policy; /* in force when the request came, held until it is freed */
    const struct authd_client *client; /* authenticated by the router when the route has roles; of `policy` */
    h2o_iovec_t params[AUTHD_MAX_PARAMS];
    size_t param_count;
};

/* Sends `body` (which must live as long as the request: pool memory or static) with the status and
 * content type. API responses are never cached: they may carry personal data. */
void authd_send(h2o_req_t *req, int status, const char *content_type, h2o_iovec_t body);
void authd_send_json(h2o_req_t *req, int status, h2o_iovec_t body);

/* Like authd_send, for public, cacheable documents (status lists, the trust bundle). */
/* With an explicit Cache-Control value (a static string). */
void authd_send_cache_control(h2o_req_t *req, int status, const char *content_type, h2o_iovec_t body,
                              const char *cache_control);
void authd_send_cacheable(h2o_req_t *req, int status, const char *content_type, h2o_iovec_t body,
                          unsigned max_age);

/* Starts a response whose body `generator` streams with h2o_send (the headers of authd_send, no length). */
void authd_start_stream(h2o_req_t *req, int status, const char *content_type, h2o_generator_t *generator);

/* Sends a jansson document as JSON and releases it. */
struct json_t;
void authd_send_json_doc(h2o_req_t *req, int status, struct json_t *doc);

/* Copies `len` bytes into the request's pool. */
h2o_iovec_t authd_pool_copy(h2o_req_t *req, const void *bytes, size_t len);

/* True when the request's Content-Type is `want` (case-insensitive, parameters allowed). */
int authd_content_type_is(h2o_req_t *req, const char *want);
/* True when an Accept header of the request names `want` itself (case-insensitive), not with q=0.
 * Wildcards do not count: they are what a client sends that knows nothing of `want`. */
bool authd_accepts(h2o_req_t *req, const char *want);

/* Parses the body as a JSON object (Content-Type application/json), refusing duplicate keys and any key
 * not in `allowed` (NULL-terminated). On failure sends the problem and returns NULL; the caller
 * json_decref's what it gets. */
struct json_t *authd_json_body(h2o_req_t *req, const char *const *allowed);

/* The value of `name` in an application/x-www-form-urlencoded text, percent-decoded into pool memory;
 * {NULL, 0} when absent, and -1 from the function on a malformed escape. */
int authd_form_param(h2o_mem_pool_t *pool, h2o_iovec_t form, const char *name, h2o_iovec_t *out);
/* The same for query parameter `name`. */
int authd_query_param(h2o_req_t *req, const char *name, h2o_iovec_t *out);

/* Sends an application/problem+json document (RFC 9457) with a stable machine-readable `code`.
 * `detail` must be UTF-8 and must not carry secrets or personal data. */
void authd_problem(h2o_req_t *req, int status, const char *code, const char *detail);
/* The problem for a storage failure: 503 store_unavailable with Retry-After while the store cannot be
 * reached (a failover), 503 overloaded for lack of memory, 507 store_full when it is full, else 500
 * `code` with `detail`. */
void authd_problem_store(h2o_req_t *req, authd_err rc, const char *code, const char *detail);
void authd_problemf(h2o_req_t *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Percent-decodes `in` into pool memory. Returns -1 on a malformed escape. */
int authd_percent_decode(h2o_mem_pool_t *pool, h2o_iovec_t in, h2o_iovec_t *out);

/* The standard reason phrase of an HTTP status. */
const char *authd_status_text(int status);

#endif
