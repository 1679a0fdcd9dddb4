/* Public documents (status lists, the trust bundle) and the metrics scrape. */
#include <stdlib.h>

#include "auth.h"
#include "metrics.h"
#include "router.h"
#include "statuslists.h"

void authd_route_status_list(struct authd_request *r)
{
    uint8_t *cwt;
    size_t len;
    if (authd_statuslists_token(r->server->statuslists, r->params[0].base, r->params[0].len, &cwt, &len) !=
        0) {
        authd_problem(r->req, 404, "status_list_not_found", "no such status list");
        return;
    }
    h2o_iovec_t body = authd_pool_copy(r->req, cwt, len);
    free(cwt);
    authd_send_cacheable(r->req, 200, "application/statuslist+cwt", body, r->server->config->status_ttl);
}

void authd_route_trust(struct authd_request *r)
{
    authd_send_cacheable(r->req, 200, "application/json",
                         h2o_iovec_init(r->server->trust_bundle, r->server->trust_bundle_len), 300);
}

void authd_route_metrics(struct authd_request *r)
{
    size_t len;
    char *text = authd_metrics_render(r->server->metrics, &len);
    if (!text) {
        authd_problem(r->req, 503, "overloaded", "out of memory");
        return;
    }
    h2o_iovec_t body = authd_pool_copy(r->req, text, len);
    free(text);
    authd_send(r->req, 200, "text/plain; version=0.0.4", body);
}
