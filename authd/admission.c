/* Admission control (admission.h). Counters are atomics: an admission adds first and takes back what
 * went over, so concurrent workers never admit past a limit by more than the requests racing for it. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "config.h"
#include "http.h"
#include "metrics.h"

/* Clients are counted in buckets by a hash of their id: two clients sharing a bucket share its limit
 * (rare with this many buckets, and never less than one client's), and a policy reload never leaves a
 * request holding a counter that was freed. */
#define CLIENT_BUCKETS 1024
#define REQUEST_OVERHEAD (16u << 10) /* h2o's request, headers, pool */
#define BODY_FACTOR 3u               /* the body, what is parsed from it, and a chunk of response */

struct counter {
    atomic_size_t requests, bytes;
};

/* After a burst that held this much, memory is handed back to the kernel once the burst is over. */
#define TRIM_AFTER_BYTES (32u << 20)

struct authd_admission {
    size_t max, max_bytes, client_max, client_max_bytes;
    struct authd_metrics *metrics;
    struct counter total;
    atomic_size_t high; /* about the most bytes in flight in all since the last trim (a hint) */
    struct counter clients[CLIENT_BUCKETS];
};

struct ticket {
    struct counter *total, *client;
    size_t bytes;
};

struct authd_admission *authd_admission_new(const struct authd_config *c, struct authd_metrics *metrics)
{
    struct authd_admission *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->max = c->max_in_flight;
    a->max_bytes = c->max_in_flight_bytes;
    a->client_max = c->client_max_in_flight;
    a->client_max_bytes = c->client_max_in_flight_bytes;
    a->metrics = metrics;
    return a;
}

void authd_admission_free(struct authd_admission *a)
{
    free(a);
}

size_t authd_admission_cost(size_t body_len)
{
    return REQUEST_OVERHEAD + body_len * BODY_FACTOR;
}

static void take_back(struct counter *c, size_t bytes)
{
    atomic_fetch_sub(&c->requests, 1);
    atomic_fetch_sub(&c->bytes, bytes);
}

/* Adds one request of `bytes` unless that goes over a limit; the bytes then in flight in *held. */
static int take(struct counter *c, size_t bytes, size_t max, size_t max_bytes, size_t *held)
{
    size_t n = atomic_fetch_add(&c->requests, 1) + 1;
    size_t b = atomic_fetch_add(&c->bytes, bytes) + bytes;
    /* one request alone is always admitted: a body within max_body_bytes must be answerable */
    if (n == 1 || (n <= max && b <= max_bytes)) return *held = b, 0;
    take_back(c, bytes);
    return -1;
}

static void on_dispose(void *p)
{
    struct ticket *t = p;
    take_back(t->total, t->bytes);
    if (t->client) take_back(t->client, t->bytes);
}

static size_t bucket_of(const char *client)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)client; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % CLIENT_BUCKETS;
}

static void refuse(struct authd_admission *a, h2o_req_t *req, int status, const char *code,
                   const char *detail)
{
    authd_metrics_count(a->metrics, AUTHD_M_SHED);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
    authd_problem(req, status, code, detail);
}

bool authd_admission_burst_over(struct authd_admission *a)
{
    if (atomic_load_explicit(&a->high, memory_order_relaxed) < TRIM_AFTER_BYTES ||
        atomic_load(&a->total.requests) != 0)
        return false;
    return atomic_exchange(&a->high, 0) >= TRIM_AFTER_BYTES;
}

size_t authd_admission_in_flight(void *a)
{
    return atomic_load_explicit(&((struct authd_admission *)a)->total.requests, memory_order_relaxed);
}

int authd_admit(struct authd_admission *a, h2o_req_t *req, const char *client)
{
    size_t bytes = authd_admission_cost(req->entity.base ? req->entity.len : 0);
    struct counter *c = client ? &a->clients[bucket_of(client)] : NULL;
    size_t held;
    if (c && take(c, bytes, a->client_max, a->client_max_bytes, &held) != 0) {
        refuse(a, req, 429, "too_many_requests",
               "this client has too many requests in flight; wait for answers before sending more");
        return -1;
    }
    if (take(&a->total, bytes, a->max, a->max_bytes, &held) != 0) {
        if (c) take_back(c, bytes);
        refuse(a, req, 503, "overloaded", "too many requests in flight; try again in a moment");
        return -1;
    }
    if (held > atomic_load_explicit(&a->high, memory_order_relaxed))
        atomic_store_explicit(&a->high, held, memory_order_relaxed);
    struct ticket *t = h2o_mem_alloc_shared(&req->pool, sizeof(*t), on_dispose);
    *t = (struct ticket){.total = &a->total, .client = c, .bytes = bytes};
    return 0;
}
