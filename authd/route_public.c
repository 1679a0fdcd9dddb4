/* Public documents (status lists, the trust bundle) and the metrics scrape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "held.h"
#include "metrics.h"
#include "router.h"
#include "tlog.h"
#include "federation.h"
#include "statuslists.h"
#include "trust_list_pub.h"
#include "storage/storage.h"
#include "trust_bundle.h"

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
    const struct authd_trust *trust = authd_held_hold(r->server->trust, &r->req->pool); /* until sent */
    authd_send_cacheable(r->req, 200, "application/json", h2o_iovec_init(trust->bundle, trust->len), 300);
}

/* This authd's signed trust list (trust_list_pub.h), for peers and counters that pin its key. */
void authd_route_trust_list(struct authd_request *r)
{
    const struct authd_signed_list *list =
        r->server->federation
            ? authd_trust_list_pub_hold(authd_federation_publisher(r->server->federation), &r->req->pool)
            : NULL;
    if (!list) {
        authd_problem(r->req, 404, "no_trust_list",
                      "this authd publishes no trust list (federation: is not configured)");
        return;
    }
    authd_send_cacheable(r->req, 200, "application/cose; cose-type=\"cose-sign1\"",
                         h2o_iovec_init(list->bytes, list->len), 60);
}

void authd_route_metrics(struct authd_request *r)
{
    size_t len;
    char *text = authd_metrics_render(r->server->metrics, &len);
    if (!text) {
        authd_problem(r->req, 503, "overloaded", "out of memory");
        return;
    }
    /* The store's gauges: read now, not counted */
    struct authd_storage *storage = r->server->storage;
    struct authd_storage_stats stats;
    char gauges[2048] = "";
    if (storage->ops->stats(storage, &stats) == AUTHD_OK)
        snprintf(
            gauges, sizeof(gauges),
            "# HELP authd_store_records Licence records in the store.\n# TYPE authd_store_records gauge\n"
            "authd_store_records %llu\n"
            "# HELP authd_store_bytes_used Bytes the store uses (LMDB: up to its last page).\n"
            "# TYPE authd_store_bytes_used gauge\nauthd_store_bytes_used %llu\n"
            "# HELP authd_store_bytes_capacity Bytes the store may grow to (LMDB's map_size; 0: no "
            "limit known).\n# TYPE authd_store_bytes_capacity gauge\nauthd_store_bytes_capacity %llu\n",
            (unsigned long long)stats.records, (unsigned long long)stats.bytes_used,
            (unsigned long long)stats.bytes_capacity);
    /* how far the witnesses keep up: the newest witnessed checkpoint's size and age, per witnessed log */
    for (int l = 0; l < AUTHD_LOG_COUNT; l++) {
        uint64_t size;
        int64_t at;
        const char *name = l == AUTHD_LOG_SIGNATURES ? "signatures" : "access";
        const struct authd_log_config *lc =
            l == AUTHD_LOG_SIGNATURES ? &r->server->config->sig_log : &r->server->config->access_tlog;
        if (!lc->n_witnesses) continue;
        bool any = authd_log_witnessed(r->server->logs[l], &size, &at);
        size_t used = strlen(gauges);
        snprintf(gauges + used, sizeof(gauges) - used,
                 "# HELP authd_log_witnessed_size Size of the newest checkpoint the log's witness quorum "
                 "cosigned.\n"
                 "# TYPE authd_log_witnessed_size gauge\nauthd_log_witnessed_size{log=\"%s\"} %llu\n"
                 "# HELP authd_log_witnessed_age_seconds Seconds since it was cosigned (-1: never yet).\n"
                 "# TYPE authd_log_witnessed_age_seconds gauge\nauthd_log_witnessed_age_seconds{log=\"%s\"} "
                 "%lld\n",
                 name, (unsigned long long)size, name, any ? (long long)(time(NULL) - at) : -1LL);
    }
    size_t glen = strlen(gauges);
    h2o_iovec_t body = h2o_iovec_init(h2o_mem_alloc_pool(&r->req->pool, len + glen), len + glen);
    memcpy(body.base, text, len);
    memcpy(body.base + len, gauges, glen);
    free(text);
    authd_send(r->req, 200, "text/plain; version=0.0.4", body);
}
