/* Metrics as fixed arrays of atomic counters, indexed by route and status code, rendered on scrape. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define MAX_ROUTES 32
static const int codes[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 431, 500, 503, 0};
#define N_CODES (sizeof(codes) / sizeof(codes[0])) /* the last slot counts every other code */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))
static const size_t batch_buckets[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};
#define N_BATCH (sizeof(batch_buckets) / sizeof(batch_buckets[0]))
/* A stage is a part of a request's time: a commit on LMDB takes about 0.1 ms */
static const double stage_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                       0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
#define N_STAGE (sizeof(stage_buckets) / sizeof(stage_buckets[0]))
static const char *const stage_names[AUTHD_S_COUNT][2] = {
    {"authd_holder_read_seconds", "A lookup's read of its holder's licences, from queued to read."},
    {"authd_write_wait_seconds",
     "A write from its submission to the writer until durable and its log's checkpoint signed."},
    {"authd_store_commit_seconds", "Each writer batch's commit by the store."},
};

struct authd_metrics {
    const char *const *routes;
    size_t n_routes;
    atomic_ulong requests[MAX_ROUTES + 1][N_CODES];
    atomic_ulong latency[N_BUCKETS + 1]; /* per bucket (not cumulative), the last one above every bound */
    atomic_ullong latency_us_sum;
    atomic_ulong counters[AUTHD_M_COUNT];
    atomic_ulong batch[N_BATCH + 1];
    atomic_ullong batch_sum;
    atomic_ulong stage[AUTHD_S_COUNT][N_STAGE + 1]; /* per bucket, as latency */
    atomic_ullong stage_us_sum[AUTHD_S_COUNT];
};

struct authd_metrics *authd_metrics_new(const char *const *routes, size_t n_routes)
{
    struct authd_metrics *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->routes = routes;
    m->n_routes = n_routes < MAX_ROUTES ? n_routes : MAX_ROUTES;
    return m;
}

void authd_metrics_free(struct authd_metrics *m)
{
    free(m);
}

/* Counts `seconds` in its bucket of a histogram of n bounds (seconds_histogram). */
static void observe(const double *bounds, size_t n, atomic_ulong *counts, atomic_ullong *us_sum,
                    double seconds)
{
    size_t b = 0;
    while (b < n && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&counts[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(us_sum, (unsigned long long)(seconds * 1e6), memory_order_relaxed);
}

void authd_metrics_request(struct authd_metrics *m, const char *route, int status, double seconds)
{
    if (!m) return;
    size_t r = m->n_routes; /* "unmatched" */
    for (size_t i = 0; route && i < m->n_routes; i++)
        if (m->routes[i] == route) r = i;
    size_t c = 0;
    while (codes[c] && codes[c] != status)
        c++;
    atomic_fetch_add_explicit(&m->requests[r][c], 1, memory_order_relaxed);
    observe(buckets, N_BUCKETS, m->latency, &m->latency_us_sum, seconds);
}

void authd_metrics_batch(struct authd_metrics *m, size_t size)
{
    if (!m) return;
    size_t b = 0;
    while (b < N_BATCH && size > batch_buckets[b])
        b++;
    atomic_fetch_add_explicit(&m->batch[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->batch_sum, size, memory_order_relaxed);
}

void authd_metrics_stage(struct authd_metrics *m, enum authd_stage s, int64_t ns)
{
    if (m) observe(stage_buckets, N_STAGE, m->stage[s], &m->stage_us_sum[s], (double)ns / 1e9);
}

void authd_metrics_count(struct authd_metrics *m, enum authd_counter c)
{
    if (m) atomic_fetch_add_explicit(&m->counters[c], 1, memory_order_relaxed);
}

/* A histogram of seconds: `counts` per bucket (n bounds, then the one above them all), `us_sum` the sum
 * in microseconds. */
static void seconds_histogram(FILE *f, const char *name, const char *help, const double *bounds, size_t n,
                              atomic_ulong *counts, atomic_ullong *us_sum)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long cumulative = 0;
    for (size_t b = 0; b <= n; b++) {
        cumulative += atomic_load(&counts[b]);
        if (b < n)
            fprintf(f, "%s_bucket{le=\"%g\"} %lu\n", name, bounds[b], cumulative);
        else
            fprintf(f, "%s_bucket{le=\"+Inf\"} %lu\n", name, cumulative);
    }
    fprintf(f, "%s_sum %.6f\n%s_count %lu\n", name, atomic_load(us_sum) / 1e6, name, cumulative);
}

char *authd_metrics_render(struct authd_metrics *m, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return NULL;
    fprintf(f, "# HELP authd_requests_total HTTP requests by route pattern and status code.\n"
               "# TYPE authd_requests_total counter\n");
    for (size_t r = 0; r <= m->n_routes; r++)
        for (size_t c = 0; c < N_CODES; c++) {
            unsigned long n = atomic_load(&m->requests[r][c]);
            if (!n) continue;
            char code[8];
            snprintf(code, sizeof(code), "%d", codes[c]);
            fprintf(f, "authd_requests_total{route=\"%s\",code=\"%s\"} %lu\n",
                    r < m->n_routes ? m->routes[r] : "unmatched", codes[c] ? code : "other", n);
        }
    seconds_histogram(f, "authd_request_duration_seconds", "Time from request to response.", buckets,
                      N_BUCKETS, m->latency, &m->latency_us_sum);
    static const char *const names[AUTHD_M_COUNT][2] = {
        {"authd_licences_issued_total", "Licences issued (durably stored)."},
        {"authd_status_changes_total", "Licence status changes (revoked, suspended, reinstated)."},
        {"authd_verifications_total", "Verifications through POST /v1/verify."},
        {"authd_lookups_total", "一证通办 lookups by holder."},
        {"authd_store_write_failures_total",
         "Writer batches the store refused as a whole (full, unreachable, I/O)."},
        {"authd_accept_failures_total", "Connections not accepted because descriptors or memory ran out."},
        {"authd_requests_shed_total", "Requests refused (429, 503) by the limits on requests in flight."},
        {"authd_witness_failures_total",
         "Checkpoints a witness did not cosign (down, too slow, or refusing)."},
        {"authd_peer_unavailable_total",
         "Peers a federated lookup could not use (unreachable, past the deadline, no current trust list)."},
        {"authd_peer_licences_refused_total", "Licences peers sent that failed the checks (never shown)."},
        {"authd_trust_lists_refused_total",
         "Peers' trust lists refused (another key, altered, rolled back, expired, malformed)."},
        {"authd_http2_streams_refused_total",
         "HTTP/2 streams refused (REFUSED_STREAM) beyond limits.http2_bodies bodies on one connection."},
        {"authd_http2_connections_calmed_total",
         "HTTP/2 connections sent GOAWAY (ENHANCE_YOUR_CALM) for going on opening streams beyond the limit."},
        {"authd_holder_read_batches_total",
         "Statements that read lookups' holders from a database store, each for every lookup waiting."},
    };
    for (int c = 0; c < AUTHD_M_COUNT; c++)
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", names[c][0], names[c][1], names[c][0],
                names[c][0], atomic_load(&m->counters[c]));
    fprintf(f, "# HELP authd_writer_batch_size Writes per durable commit (group commit).\n"
               "# TYPE authd_writer_batch_size histogram\n");
    unsigned long cumulative = 0;
    for (size_t b = 0; b <= N_BATCH; b++) {
        cumulative += atomic_load(&m->batch[b]);
        if (b < N_BATCH)
            fprintf(f, "authd_writer_batch_size_bucket{le=\"%zu\"} %lu\n", batch_buckets[b], cumulative);
        else
            fprintf(f, "authd_writer_batch_size_bucket{le=\"+Inf\"} %lu\n", cumulative);
    }
    fprintf(f, "authd_writer_batch_size_sum %llu\nauthd_writer_batch_size_count %lu\n",
            atomic_load(&m->batch_sum), cumulative);
    for (int st = 0; st < AUTHD_S_COUNT; st++)
        seconds_histogram(f, stage_names[st][0], stage_names[st][1], stage_buckets, N_STAGE, m->stage[st],
                          &m->stage_us_sum[st]);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}
