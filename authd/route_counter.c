/* GET /counter/ and its files: the counter verification page (static, no external resources; it
 * talks to /v1/challenges and /v1/verify with the counter's own token). A strict Content-Security-Policy
 * keeps it that way. */
#include <string.h>

#include "counter_assets.h"
#include "router.h"

static void send_asset(h2o_req_t *req, const struct authd_asset *a)
{
    static const char csp[] =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-security-policy"), 0, NULL, csp,
                          sizeof(csp) - 1);
    authd_send_cache_control(req, 200, a->content_type, h2o_iovec_init(a->bytes, a->len), "no-cache");
}

void authd_route_counter_page(struct authd_request *r)
{
    send_asset(r->req, &authd_counter_assets[0]); /* index.html comes first */
}

void authd_route_counter_file(struct authd_request *r)
{
    h2o_iovec_t name = r->params[0];
    for (const struct authd_asset *a = authd_counter_assets; a->name; a++)
        if (h2o_memis(name.base, name.len, a->name, strlen(a->name))) {
            send_asset(r->req, a);
            return;
        }
    authd_problem(r->req, 404, "not_found", "no such file");
}
