/* The federation thread (federation.h). */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "atomic_file.h"
#include "federation.h"
#include "held.h"
#include "metrics.h"
#include "monotonic.h"
#include "peer_view.h"
#include "server.h"
#include "thread_name.h"
#include "trust_list_pub.h"

#define PIN_MAX (64 * 1024)
#define RETRY_MS 2000 /* a failed fetch is tried again this soon (or at the refresh period, if sooner) */
#define TICK_MS 1000  /* the thread wakes at least this often: its own list, fetches due */

struct fed_peer {
    const struct authd_peer_config *config;
    uint8_t *pin;
    size_t pin_len;
    struct authd_held *view; /* struct authd_peer_view, or NULL */
    char state_path[PATH_MAX];
    uint64_t min_sequence; /* the highest accepted: lower ones are rollbacks */
    uint64_t next_fetch_ms;
    bool fetching;
    struct authd_fed_call fetch; /* the trust-list fetch under way */
    char last_error[640];        /* said once, not at every retry */
};

struct authd_federation {
    struct authd_server *server;
    const struct authd_federation_config *config;
    struct authd_trust_list_pub *pub;
    struct fed_peer peers[AUTHD_MAX_PEERS];
    size_t n_peers;
    CURLM *multi;
    struct curl_slist *ask_cbor; /* a lookup's header: peers answer it in CBOR (peer_answer.h) */
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    struct authd_fed_job *queue;   /* submitted, not yet started; under lock */
    struct authd_fed_job *running; /* started, some call unanswered; the thread's */
    atomic_bool stop;
};

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct authd_fed_call *c = arg;
    size_t len = size * n;
    if (c->len + len + 1 > AUTHD_FED_ANSWER_MAX) return 0; /* too large: the transfer fails */
    if (c->len + len + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 16384;
        while (cap < c->len + len + 1)
            cap *= 2;
        char *grown = realloc(c->body, cap);
        if (!grown) return 0;
        c->body = grown, c->cap = cap;
    }
    memcpy(c->body + c->len, data, len);
    c->len += len;
    c->body[c->len] = '\0';
    return len;
}

/* A transfer to a peer: mutual TLS with this authd's client identity, the peer's CA, no redirects. */
static CURL *transfer(struct authd_federation *f, const struct authd_peer_config *peer, const char *target,
                      struct authd_fed_call *c, long timeout_ms)
{
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    char url[4096];
    if (snprintf(url, sizeof(url), "%s%s", peer->url, target) >= (int)sizeof(url)) {
        curl_easy_cleanup(e);
        return NULL;
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    sodium_memzero(url, sizeof(url)); /* a lookup's holds the holder's number; curl keeps its own copy */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_PRIVATE, c);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->error);
    if (peer->ca) curl_easy_setopt(e, CURLOPT_CAINFO, peer->ca);
    if (f->config->client_certificate) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, f->config->client_certificate);
        curl_easy_setopt(e, CURLOPT_SSLKEY, f->config->client_key);
    }
    c->easy = e;
    c->len = 0;
    c->http_status = 0;
    c->cbor = false;
    c->timed_out = false;
    c->error[0] = '\0';
    return e;
}

/* ---- peers' trust lists ---- */

static void say(struct fed_peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct fed_peer *p, const char *fmt, ...)
{
    char line[sizeof(p->last_error)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (strcmp(line, p->last_error) == 0) return;
    memcpy(p->last_error, line, sizeof(line));
    fprintf(stderr, "authd: federation: peer %s: %s\n", p->config->name, line);
}

/* A list verified: in force, and kept as the last good one. */
static void accept_list(struct fed_peer *p, struct authd_peer_view *v, bool save)
{
    if (save && authd_write_file_atomic(p->state_path, v->list, v->len) != 0)
        say(p, "the last good trust list cannot be kept: %s", strerror(errno));
    p->min_sequence = v->sequence;
    unsigned long long sequence = v->sequence;
    if (authd_held_replace(p->view, v) == 0) say(p, "trust list %llu in force", sequence);
}

static void fetched_list(struct authd_federation *f, struct fed_peer *p, CURLcode code)
{
    p->fetching = false;
    uint64_t now_ms = (uint64_t)authd_monotonic_ms();
    p->next_fetch_ms = now_ms + (uint64_t)f->config->refresh * 1000;
    void *cur;
    struct authd_held_ref *ref = authd_held_acquire(p->view, &cur);
    const struct authd_peer_view *in_force = cur;
    bool same =
        in_force && in_force->len == p->fetch.len && memcmp(in_force->list, p->fetch.body, p->fetch.len) == 0;
    const char *stays = in_force ? "the last good one stays in force" : "none is in force yet";
    authd_held_release(ref); /* only compared: `in_force` is not read below */
    char err[512];
    struct authd_peer_view *v = NULL;
    bool failed = true;
    if (code != CURLE_OK || p->fetch.http_status != 200) {
        say(p, "trust list not fetched (%s, HTTP %ld); %s",
            code != CURLE_OK ? curl_easy_strerror(code) : "refused", p->fetch.http_status, stays);
    } else if (same) {
        p->last_error[0] = '\0'; /* a later failure is said again */
        failed = false;
    } else if (authd_peer_view_new((const uint8_t *)p->fetch.body, p->fetch.len, p->pin, p->pin_len, 0,
                                   /* another list than the one held must be newer */
                                   p->min_sequence ? p->min_sequence + 1 : 0, &v, err,
                                   sizeof(err)) == AUTHD_OK) {
        accept_list(p, v, true);
        failed = false;
    } else {
        authd_metrics_count(f->server->metrics, AUTHD_M_TRUST_LIST_REFUSED);
        say(p, "trust list refused (%s); %s", err, stays);
    }
    if (failed) {
        uint64_t retry = now_ms + RETRY_MS;
        if (retry < p->next_fetch_ms) p->next_fetch_ms = retry;
    }
}

static void start_fetches(struct authd_federation *f)
{
    uint64_t now_ms = (uint64_t)authd_monotonic_ms();
    for (size_t i = 0; i < f->n_peers; i++) {
        struct fed_peer *p = &f->peers[i];
        if (p->fetching || now_ms < p->next_fetch_ms) continue;
        CURL *e = transfer(f, p->config, "/v1/trust-list", &p->fetch, 10000);
        if (!e) continue;
        if (curl_multi_add_handle(f->multi, e) != CURLM_OK) {
            curl_easy_cleanup(e);
            continue;
        }
        p->fetching = true;
    }
}

/* ---- lookups' calls ---- */

static void job_done(struct authd_federation *f, struct authd_fed_job *job)
{
    struct authd_fed_job **at = &f->running;
    while (*at && *at != job)
        at = &(*at)->next;
    if (*at) *at = job->next;
    authd_async_complete(&job->async);
}

static void start_jobs(struct authd_federation *f)
{
    pthread_mutex_lock(&f->lock);
    struct authd_fed_job *jobs = f->queue;
    f->queue = NULL;
    pthread_mutex_unlock(&f->lock);
    while (jobs) {
        struct authd_fed_job *job = jobs;
        jobs = jobs->next;
        job->pending = job->n_calls;
        job->next = f->running;
        f->running = job;
        for (size_t i = 0; i < job->n_calls; i++) {
            struct authd_fed_call *c = &job->calls[i];
            if (c->skip) {
                if (--job->pending == 0) job_done(f, job);
                continue;
            }
            CURL *e = transfer(f, &f->config->peers[c->peer], job->target, c, (long)f->config->deadline_ms);
            if (e) curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->ask_cbor);
            if (e && curl_multi_add_handle(f->multi, e) == CURLM_OK) continue;
            if (e) curl_easy_cleanup(e);
            c->easy = NULL;
            snprintf(c->error, sizeof(c->error), "the request could not be made");
            if (--job->pending == 0) job_done(f, job);
        }
    }
}

static void finished(struct authd_federation *f, CURLMsg *m)
{
    struct authd_fed_call *c = NULL;
    CURL *easy = m->easy_handle;
    CURLcode result = m->data.result; /* `m` goes with the handle */
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&c);
    if (result == CURLE_OK) {
        char *type = NULL;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &c->http_status);
        curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type);
        c->cbor = type && strncasecmp(type, "application/cbor", 16) == 0 &&
                  (type[16] == '\0' || type[16] == ';' || type[16] == ' ');
    } else if (!c->error[0])
        snprintf(c->error, sizeof(c->error), "%s", curl_easy_strerror(result));
    c->timed_out = result == CURLE_OPERATION_TIMEDOUT;
    curl_multi_remove_handle(f->multi, easy);
    curl_easy_cleanup(easy);
    c->easy = NULL;
    if (!c->job) {
        for (size_t i = 0; i < f->n_peers; i++)
            if (c == &f->peers[i].fetch) fetched_list(f, &f->peers[i], result);
        return;
    }
    if (--c->job->pending == 0) job_done(f, c->job);
}

static void *run(void *arg)
{
    struct authd_federation *f = arg;
    int64_t next_check = 0;
    while (!atomic_load(&f->stop)) {
        char err[256];
        /* At most once a tick: under load the thread wakes for every lookup. */
        if (authd_monotonic_ms() >= next_check) {
            next_check = authd_monotonic_ms() + TICK_MS;
            if (authd_trust_list_pub_refresh(f->pub, f->server, time(NULL), err, sizeof(err)) != AUTHD_OK)
                fprintf(stderr, "authd: federation: this authd's trust list not re-signed: %s\n", err);
        }
        start_jobs(f);
        start_fetches(f);
        int running;
        curl_multi_perform(f->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(f->multi, &left)))
            if (m->msg == CURLMSG_DONE) finished(f, m);
        curl_multi_poll(f->multi, NULL, 0, TICK_MS, NULL);
    }
    return NULL;
}

void authd_federation_submit(struct authd_federation *f, struct authd_fed_job *job)
{
    for (size_t i = 0; i < job->n_calls; i++)
        job->calls[i].job = job;
    pthread_mutex_lock(&f->lock);
    job->next = f->queue;
    f->queue = job;
    pthread_mutex_unlock(&f->lock);
    curl_multi_wakeup(f->multi);
}

/* ---- start and stop ---- */

static authd_err read_pin(const char *path, uint8_t **out, size_t *len, char *err, size_t err_cap)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return snprintf(err, err_cap, "%s: %s", path, strerror(errno)), AUTHD_E_CONFIG;
    uint8_t *buf = malloc(PIN_MAX);
    size_t n = buf ? fread(buf, 1, PIN_MAX, fp) : 0;
    fclose(fp);
    if (!buf || n == 0 || n == PIN_MAX) {
        free(buf);
        return snprintf(err, err_cap, "%s: empty, unreadable or too large", path), AUTHD_E_CONFIG;
    }
    *out = buf, *len = n;
    return AUTHD_OK;
}

/* The last good list kept in state_dir: in force again when still current; its sequence the floor
 * in any case (an authentic list, only expired, still says what a rollback is). */
static void load_kept(struct fed_peer *p)
{
    FILE *fp = fopen(p->state_path, "rb");
    if (!fp) return;
    uint8_t *buf = malloc(CERTLIB_TRUST_LIST_MAX_BYTES);
    size_t n = buf ? fread(buf, 1, CERTLIB_TRUST_LIST_MAX_BYTES, fp) : 0;
    fclose(fp);
    certlib_trust_list_info info;
    char err[512];
    certlib_err e = buf ? certlib_trust_list_verify(buf, n, p->pin, p->pin_len, 0, 0, &info, err, sizeof(err))
                        : CERTLIB_E_NOMEM;
    if (e == CERTLIB_OK || e == CERTLIB_E_TRUST_LIST_EXPIRED) p->min_sequence = info.sequence;
    struct authd_peer_view *v = NULL;
    if (e == CERTLIB_OK &&
        authd_peer_view_new(buf, n, p->pin, p->pin_len, 0, 0, &v, err, sizeof(err)) == AUTHD_OK)
        accept_list(p, v, false);
    else if (e && e != CERTLIB_E_TRUST_LIST_EXPIRED)
        say(p, "the kept trust list is not usable: %s", err);
    free(buf);
}

authd_err authd_federation_start(struct authd_server *server, struct authd_federation **out, char *err,
                                 size_t err_cap)
{
    *out = NULL;
    const struct authd_config *c = server->config;
    if (!c->federation.name) return AUTHD_OK;
    struct authd_federation *f = calloc(1, sizeof(*f));
    if (!f) return AUTHD_E_NOMEM;
    f->server = server;
    f->config = &c->federation;
    pthread_mutex_init(&f->lock, NULL);
    authd_err rc = authd_trust_list_pub_new(c, &f->pub, err, err_cap);
    if (!rc && !(f->multi = curl_multi_init())) rc = AUTHD_E_NOMEM;
    if (!rc && !(f->ask_cbor = curl_slist_append(NULL, "Accept: application/cbor"))) rc = AUTHD_E_NOMEM;
    for (size_t i = 0; !rc && i < c->federation.n_peers; i++) {
        struct fed_peer *p = &f->peers[f->n_peers++];
        p->config = &c->federation.peers[i];
        char name[64];
        snprintf(name, sizeof(name), "peer-%s.trust-list", p->config->name);
        rc = read_pin(p->config->trust_list_key, &p->pin, &p->pin_len, err, err_cap);
        if (!rc && authd_state_file(c->state_dir, name, p->state_path, sizeof(p->state_path), err, err_cap))
            rc = AUTHD_E_IO;
        if (!rc && !(p->view = authd_held_new(NULL, authd_peer_view_free))) rc = AUTHD_E_NOMEM;
        if (!rc) load_kept(p);
    }
    if (!rc) rc = authd_trust_list_pub_refresh(f->pub, server, time(NULL), err, err_cap);
    if (!rc && pthread_create(&f->thread, NULL, run, f) != 0) rc = AUTHD_E_INTERNAL;
    if (!rc) authd_thread_name(f->thread, "federate");
    if (rc) {
        authd_federation_stop(f);
        return rc;
    }
    f->started = true;
    *out = f;
    return AUTHD_OK;
}

void authd_federation_stop(struct authd_federation *f)
{
    if (!f) return;
    if (f->started) {
        atomic_store(&f->stop, true);
        curl_multi_wakeup(f->multi);
        pthread_join(f->thread, NULL);
    }
    /* Lookups still waiting are answered with what they have: their loops free them. */
    while (f->queue) {
        struct authd_fed_job *job = f->queue;
        f->queue = job->next;
        for (size_t i = 0; i < job->n_calls; i++)
            snprintf(job->calls[i].error, sizeof(job->calls[i].error), "authd is stopping");
        authd_async_complete(&job->async);
    }
    while (f->running) {
        struct authd_fed_job *job = f->running;
        f->running = job->next;
        for (size_t i = 0; i < job->n_calls; i++) {
            struct authd_fed_call *c = &job->calls[i];
            if (!c->easy) continue;
            curl_multi_remove_handle(f->multi, c->easy);
            curl_easy_cleanup(c->easy);
            c->easy = NULL;
            snprintf(c->error, sizeof(c->error), "authd is stopping");
        }
        authd_async_complete(&job->async);
    }
    for (size_t i = 0; i < f->n_peers; i++) {
        struct fed_peer *p = &f->peers[i];
        if (p->fetch.easy) {
            curl_multi_remove_handle(f->multi, p->fetch.easy);
            curl_easy_cleanup(p->fetch.easy);
        }
        free(p->fetch.body);
        free(p->pin);
        if (p->view) authd_held_free(p->view);
    }
    if (f->multi) curl_multi_cleanup(f->multi);
    curl_slist_free_all(f->ask_cbor);
    authd_trust_list_pub_free(f->pub);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

const struct authd_peer_view *authd_federation_view(struct authd_federation *f, size_t peer,
                                                    h2o_mem_pool_t *pool)
{
    const struct authd_peer_view *v = authd_held_hold(f->peers[peer].view, pool);
    return v && v->expires > time(NULL) ? v : NULL;
}

struct authd_trust_list_pub *authd_federation_publisher(struct authd_federation *f)
{
    return f->pub;
}
