/* Turns the error responses h2o writes by itself (an oversized body refused before any handler runs,
 * a malformed request line) into the same RFC 9457 problem documents the routes send, so clients see
 * one error format whatever layer refused them. */
#include <string.h>

#include "http.h"
#include "problem_filter.h"

struct replacing_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
};

/* Drops h2o's plain-text body and sends the problem document in its place. */
static void replace_body(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                         h2o_send_state_t state)
{
    (void)bufs, (void)bufcnt;
    if (h2o_send_state_is_in_progress(state)) {
        h2o_ostream_send_next(self, req, NULL, 0, state);
        return;
    }
    struct replacing_ostream *os = (struct replacing_ostream *)self;
    h2o_ostream_send_next(self, req, &os->body, 1, state);
}

static const char *code_for(int status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 413:
        return "body_too_large";
    case 414:
        return "uri_too_long";
    case 417:
        return "expectation_failed";
    case 431:
        return "headers_too_large";
    case 502:
        return "bad_gateway";
    case 503:
        return "unavailable";
    default:
        return status < 500 ? "bad_request" : "internal_error";
    }
}

/* An error response a route wrote: a problem document, or an error body a protocol fixes (C2SP
 * tlog-witness answers 409 with the size it cosigned last, as text/x.tlog.size; OpenID4VP's response
 * endpoint answers a wallet with an OAuth 2.0 error object, RFC 6749 §5.2, as application/json). h2o's
 * own are text/plain. */
static int is_from_a_route(const h2o_req_t *req)
{
    ssize_t at = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (at < 0) return 0;
    h2o_iovec_t v = req->res.headers.entries[at].value;
    return h2o_memis(v.base, v.len, H2O_STRLIT("application/problem+json")) ||
           h2o_memis(v.base, v.len, H2O_STRLIT("text/x.tlog.size")) ||
           h2o_memis(v.base, v.len, H2O_STRLIT("application/json"));
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    if (req->res.status >= 400 && !is_from_a_route(req)) {
        int status = req->res.status;
        char text[256];
        int n = snprintf(text, sizeof(text),
                         "{\"type\":\"/problems/%s\",\"title\":\"%s\",\"status\":%d,\"code\":\"%s\","
                         "\"detail\":\"the server refused the request before routing it\"}",
                         code_for(status), authd_status_text(status), status, code_for(status));
        struct replacing_ostream *os = (struct replacing_ostream *)h2o_add_ostream(req, sizeof(*os), slot);
        os->super.do_send = replace_body;
        os->body = h2o_strdup(&req->pool, text, (size_t)n);
        h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                       H2O_STRLIT("application/problem+json"), 1);
        req->res.content_length = os->body.len;
        slot = &os->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

void authd_problem_filter_register(h2o_pathconf_t *pathconf)
{
    h2o_filter_t *filter = h2o_create_filter(pathconf, sizeof(*filter));
    filter->on_setup_ostream = on_setup_ostream;
}
