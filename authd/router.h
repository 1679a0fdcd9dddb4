/* The route table: method and path pattern to handler, with 404 and 405 as problem documents. */
#ifndef AUTHD_ROUTER_H
#define AUTHD_ROUTER_H

#include "certlib/tlog.h"
#include "http.h"

typedef void (*authd_handler_fn)(struct authd_request *r);

struct authd_route {
    const char *method;
    const char *pattern; /* "/v1/ident/{number}": each {name} matches one non-empty path segment, and a
                            final {*name} the non-empty rest of the path */
    authd_handler_fn handler;
    unsigned roles; /* AUTHD_ROLE() mask of the clients allowed: checked (401/403) before the handler
                       runs, which then finds its client in r->client. 0: public, no credentials */
};

/* authd's h2o handler (the embedding idiom: h2o hands back the h2o_handler_t, the server comes with it). */
struct authd_handler {
    h2o_handler_t super;
    struct authd_server *server;
};

/* Finds the route for a request. Returns NULL and sets *path_matched when some route has the path
 * but not the method (405), NULL with *path_matched = 0 when none has the path (404). Fills params. */
const struct authd_route *authd_route_match(h2o_iovec_t method, h2o_iovec_t path, h2o_iovec_t *params,
                                            size_t *param_count, int *path_matched);

/* The route pattern a request path falls under, for logs that must not repeat personal data from the
 * path; NULL when no route has the path. */
const char *authd_route_pattern(h2o_iovec_t method, h2o_iovec_t path);

/* The h2o handler: limits, routing, authentication and roles, dispatch. */
int authd_router_on_req(h2o_handler_t *self, h2o_req_t *req);

/* The route table, for tests and documentation checks. */
const struct authd_route *authd_routes(size_t *n);

/* A Merkle proof as the logs' JSON gives it: an array of base64 hashes (route_log.c). */
struct json_t;
struct json_t *authd_proof_json(const certlib_tlog_hash *proof, size_t n);

/* Route handlers, one file per API area. */
void authd_route_healthz(struct authd_request *r);
void authd_route_presentation_create(struct authd_request *r);
void authd_route_presentation_get(struct authd_request *r);
void authd_route_presentation_request(struct authd_request *r);
void authd_route_presentation_response(struct authd_request *r);
void authd_route_use_record_nonce(struct authd_request *r);
void authd_route_use_record(struct authd_request *r);
void authd_route_ident_get(struct authd_request *r);
void authd_route_ident_check(struct authd_request *r);
void authd_route_licence_issue(struct authd_request *r);
void authd_route_licence_get(struct authd_request *r);
void authd_route_licence_status(struct authd_request *r);
void authd_route_lookup(struct authd_request *r);
void authd_route_matters(struct authd_request *r);
void authd_route_mark_qr(struct authd_request *r);
void authd_route_witness_add(struct authd_request *r);
void authd_route_witness_key(struct authd_request *r);
void authd_route_verify(struct authd_request *r);
void authd_route_challenge(struct authd_request *r);
void authd_route_counter_page(struct authd_request *r);
void authd_route_counter_file(struct authd_request *r);
void authd_route_status_list(struct authd_request *r);
void authd_route_trust(struct authd_request *r);
void authd_route_trust_list(struct authd_request *r);
void authd_route_metrics(struct authd_request *r);
void authd_route_receipt(struct authd_request *r);
void authd_route_log_checkpoint(struct authd_request *r);
void authd_route_log_key(struct authd_request *r);
void authd_route_log_tile(struct authd_request *r);
void authd_route_log_inclusion(struct authd_request *r);
void authd_route_log_consistency(struct authd_request *r);

/* Every route pattern, for the metrics (static strings that live as long as the process). */
const char *const *authd_route_patterns(size_t *n);

#endif
