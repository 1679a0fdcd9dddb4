/* GET /healthz: the process serves and its store is readable. */
#include <stdio.h>

#include "router.h"
#include "storage/storage.h"

void authd_route_healthz(struct authd_request *r)
{
    uint32_t schema = r->server->storage->ops->schema_version(r->server->storage);
    if (schema == 0) {
        h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("2"));
        authd_problem(r->req, 503, "store_unavailable", "the data store cannot be read");
        return;
    }
    char body[96];
    int n = snprintf(body, sizeof(body), "{\"status\":\"ok\",\"schema_version\":%u}", schema);
    authd_send_json(r->req, 200, h2o_strdup(&r->req->pool, body, (size_t)n));
}
