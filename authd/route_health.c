/* GET /healthz: ready to serve. The process serves, its store is readable, writes to it have not been
 * failing, and it is not nearly full (an operator raises store.map_size before writes fail, not after). */
#include <stdio.h>

#include "router.h"
#include "storage/storage.h"
#include "writer.h"

/* A failed write keeps the node unready this long: a later write that succeeds makes it ready again. */
#define WRITE_FAILURE_MS 10000
/* Readiness fails once the store has used this share of its capacity (LMDB's map_size). */
#define NEARLY_FULL_PERCENT 90

static void unready(struct authd_request *r, const char *code, const char *detail)
{
    h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("2"));
    authd_problem(r->req, 503, code, detail);
}

void authd_route_healthz(struct authd_request *r)
{
    struct authd_storage *storage = r->server->storage;
    uint32_t schema = storage->ops->schema_version(storage);
    if (schema == 0) return unready(r, "store_unavailable", "the data store cannot be read");
    authd_err failing = authd_writer_failing(r->server->writer, WRITE_FAILURE_MS);
    if (failing) {
        char detail[128];
        snprintf(detail, sizeof(detail), "writes to the data store are failing (%s)",
                 authd_err_name(failing));
        return unready(r, "store_not_writable", detail);
    }
    struct authd_storage_stats stats;
    if (storage->ops->stats(storage, &stats) == AUTHD_OK && stats.bytes_capacity &&
        stats.bytes_used >= stats.bytes_capacity / 100 * NEARLY_FULL_PERCENT) {
        char detail[160];
        snprintf(detail, sizeof(detail),
                 "the data store has used %llu%% of its capacity: raise store.map_size before writes fail",
                 (unsigned long long)(stats.bytes_used * 100 / stats.bytes_capacity));
        return unready(r, "store_nearly_full", detail);
    }
    char body[96];
    int n = snprintf(body, sizeof(body), "{\"status\":\"ok\",\"schema_version\":%u}", schema);
    authd_send_json(r->req, 200, h2o_strdup(&r->req->pool, body, (size_t)n));
}
