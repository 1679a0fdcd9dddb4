/* The h2o front: listeners, one event loop per worker thread on its own SO_REUSEPORT socket (the
 * kernel spreads connections across them), TLS with ALPN for HTTP/2, accepts paused when descriptors run
 * out, and graceful shutdown. The main thread meanwhile supervises (supervise.c). */
#include <errno.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "admission.h"
#include "async.h"
#include "holder_reads.h"
#include "http2_guard.h"
#include "listener.h"
#include "metrics.h"
#include "monotonic.h"
#include "problem_filter.h"
#include "router.h"
#include "statuslists.h"
#include "supervise.h"
#include "thread_name.h"
#include "turns.h"
#include "writer.h"

/* h2o keeps its timers on the wall clock, authd's deadlines on the monotonic one: margin between them. */
#define SHUTDOWN_TIMER_SLACK_MS 50
/* Out of descriptors, a worker stops accepting for this long at a time instead of spinning on accept(2)
 * (the listener stays readable while connections wait in its backlog). */
#define ACCEPT_PAUSE_MS 100
#define ACCEPT_PAUSE_LOG_EVERY_MS 60000

/* Workers that have made their loop and context and listen: READY=1 waits for all of them. Before, a
 * worker still starting when connections already filled the descriptor table could not make its loop
 * or its context's queue (h2o aborts when epoll_create or pipe fails): a crash at start, seen in CI. */
struct startup {
    pthread_mutex_t lock;
    pthread_cond_t ready_cond;
    unsigned ready;
};

struct worker {
    pthread_t thread;
    int started;
    struct startup *startup;
    struct authd_server *server;
    h2o_globalconf_t *globalconf;
    struct authd_listener *listeners;
    size_t listener_count;
    int fds[AUTHD_MAX_LISTENERS];
    h2o_context_t ctx;
    h2o_multithread_receiver_t receiver; /* completions from the writer thread (async.c) */
    h2o_accept_ctx_t accept_ctx[AUTHD_MAX_LISTENERS];
    h2o_socket_t *sockets[AUTHD_MAX_LISTENERS];
    size_t connections;                /* open client connections, counted through their sockets' on_close */
    h2o_timeout_t accept_pause;        /* ACCEPT_PAUSE_MS */
    h2o_timeout_entry_t accept_resume; /* linked while accepts are paused */
    int64_t pause_logged_ms;
    unsigned turn_slices; /* sliced work done in this turn of the loop (turns.h) */
    h2o_linklist_t later; /* work put off to the next turn */
    atomic_ulong beats;   /* loop turns (at least ten a second): the watchdog's sign of life */
};

bool authd_turn_spent(h2o_context_t *ctx, unsigned slices)
{
    struct worker *w = H2O_STRUCT_FROM_MEMBER(struct worker, ctx, ctx);
    if (w->turn_slices >= AUTHD_TURN_SLICES) return true;
    w->turn_slices += slices;
    return false;
}

void authd_turn_later(h2o_context_t *ctx, struct authd_turn_later *later)
{
    struct worker *w = H2O_STRUCT_FROM_MEMBER(struct worker, ctx, ctx);
    h2o_linklist_insert(&w->later, &later->link);
}

void authd_turn_cancel(struct authd_turn_later *later)
{
    if (h2o_linklist_is_linked(&later->link)) h2o_linklist_unlink(&later->link);
}

/* What the last turn put off, with a fresh share of the turn; what it puts off again waits for the next. */
static void run_later(struct worker *w)
{
    h2o_linklist_t now;
    h2o_linklist_init_anchor(&now);
    h2o_linklist_insert_list(&now, &w->later);
    while (!h2o_linklist_is_empty(&now)) {
        struct authd_turn_later *later = H2O_STRUCT_FROM_MEMBER(struct authd_turn_later, link, now.next);
        h2o_linklist_unlink(&later->link);
        later->cb(later);
    }
}

/* One turn of the worker's loop: its I/O and timers (waiting up to max_wait ms for them, not at all when
 * work was put off), then what the last turn put off. */
static void turn(struct worker *w, h2o_evloop_t *loop, int32_t max_wait)
{
    h2o_evloop_run(loop, h2o_linklist_is_empty(&w->later) ? max_wait : 0);
    w->turn_slices = 0;
    run_later(w);
}

h2o_multithread_receiver_t *authd_worker_receiver(h2o_context_t *ctx)
{
    return &H2O_STRUCT_FROM_MEMBER(struct worker, ctx, ctx)->receiver;
}

const struct authd_issuer_keys *authd_server_issuer(const struct authd_server *s, const char *issuer_code)
{
    for (size_t i = 0; issuer_code && i < s->n_issuers; i++)
        if (strcmp(s->issuers[i].issuer_code, issuer_code) == 0) return &s->issuers[i];
    return NULL;
}

static void on_connection_closed(void *data)
{
    struct worker *w = data;
    w->connections--;
}

static void on_accept(h2o_socket_t *listener, const char *err);

static void resume_accepts(h2o_timeout_entry_t *entry)
{
    struct worker *w = H2O_STRUCT_FROM_MEMBER(struct worker, accept_resume, entry);
    for (size_t i = 0; i < w->listener_count; i++)
        h2o_socket_read_start(w->sockets[i], on_accept);
}

/* Descriptors (or kernel memory) ran out: accepting again at once would fail again, and the listener,
 * still readable, would wake the loop for nothing until a connection closes. */
static void pause_accepts(struct worker *w, int why)
{
    authd_metrics_count(w->server->metrics, AUTHD_M_ACCEPT_FAILURES);
    if (h2o_timeout_is_linked(&w->accept_resume)) return;
    for (size_t i = 0; i < w->listener_count; i++)
        h2o_socket_read_stop(w->sockets[i]);
    h2o_timeout_link(w->ctx.loop, &w->accept_pause, &w->accept_resume);
    int64_t now = authd_monotonic_ms();
    if (w->pause_logged_ms == 0 || now - w->pause_logged_ms >= ACCEPT_PAUSE_LOG_EVERY_MS) {
        fprintf(
            stderr,
            "authd: cannot accept connections (%s): pausing accepts %d ms at a time until some close "
            "(raise the descriptor limit: LimitNOFILE, ulimit -n); counted in authd_accept_failures_total\n",
            strerror(why), ACCEPT_PAUSE_MS);
        w->pause_logged_ms = now;
    }
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err) return;
    h2o_accept_ctx_t *accept_ctx = listener->data;
    struct worker *w = H2O_STRUCT_FROM_MEMBER(struct worker, ctx, accept_ctx->ctx);
    errno = 0;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (!sock) {
        int why = errno;
        if (why == EMFILE || why == ENFILE || why == ENOBUFS || why == ENOMEM) pause_accepts(w, why);
        return;
    }
    /* on_close is the socket's public close hook (h2o itself leaves it unset on accepted sockets): the
     * count tells shutdown when the last connection has gone, without reading h2o's own lists. */
    sock->on_close.cb = on_connection_closed;
    sock->on_close.data = w;
    w->connections++;
    h2o_accept(accept_ctx, sock);
}

/* Tells clients (HTTP/2 GOAWAY, HTTP/1 Connection: close) and lets their requests finish within the
 * grace period. false when connections remain at its end. */
static bool shut_connections_down(struct worker *w, h2o_evloop_t *loop)
{
    int64_t requested = authd_monotonic_ms();
    h2o_context_request_shutdown(&w->ctx);
    int64_t deadline = requested + (int64_t)w->server->config->shutdown_grace_ms;
    do {
        /* At least one turn: closing sockets leaves work on h2o's zero timeout. Answers being streamed
         * go on (turns.h), or they would hold their connections open until the grace period ends. */
        turn(w, loop, 10);
    } while (w->connections > 0 && authd_monotonic_ms() < deadline);
    if (w->connections > 0) return false;
    /* The shutdown request armed h2o's one-second GOAWAY resend; h2o_context_dispose asserts that no
     * timer is still armed, so the loop runs until it has fired (it finds no connection and stops). */
    int64_t fired = requested + 1000 + SHUTDOWN_TIMER_SLACK_MS;
    for (int64_t now = authd_monotonic_ms(); now < fired; now = authd_monotonic_ms())
        h2o_evloop_run(loop, (int32_t)(fired - now));
    h2o_evloop_run(loop, 0);
    return true;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_context_init(&w->ctx, loop, w->globalconf);
    h2o_multithread_register_receiver(w->ctx.queue, &w->receiver, authd_async_on_messages);
    h2o_timeout_init(loop, &w->accept_pause, ACCEPT_PAUSE_MS);
    h2o_linklist_init_anchor(&w->later);
    w->accept_resume = (h2o_timeout_entry_t){.cb = resume_accepts};
    for (size_t i = 0; i < w->listener_count; i++) {
        w->accept_ctx[i] = (h2o_accept_ctx_t){
            .ctx = &w->ctx, .hosts = w->globalconf->hosts, .ssl_ctx = w->listeners[i].ssl_ctx};
        w->sockets[i] = h2o_evloop_socket_create(loop, w->fds[i], H2O_SOCKET_FLAG_DONT_READ);
        w->sockets[i]->data = &w->accept_ctx[i];
        h2o_socket_read_start(w->sockets[i], on_accept);
    }
    pthread_mutex_lock(&w->startup->lock);
    w->startup->ready++;
    pthread_cond_broadcast(&w->startup->ready_cond);
    pthread_mutex_unlock(&w->startup->lock);

    while (!atomic_load(&w->server->stopping)) {
        turn(w, loop, 100);
        authd_http2_guard_sweep(&w->ctx);
        atomic_fetch_add_explicit(&w->beats, 1, memory_order_relaxed);
        if (authd_admission_burst_over(w->server->admission)) malloc_trim(0);
    }

    /* Stop accepting, tell clients (HTTP/2 GOAWAY, HTTP/1 Connection: close), let requests finish. */
    if (h2o_timeout_is_linked(&w->accept_resume)) h2o_timeout_unlink(&w->accept_resume);
    h2o_timeout_dispose(loop, &w->accept_pause);
    for (size_t i = 0; i < w->listener_count; i++) {
        h2o_socket_read_stop(w->sockets[i]);
        h2o_socket_close(w->sockets[i]);
    }
    if (w->connections > 0 && !shut_connections_down(w, loop)) {
        /* Connections outlived the grace period; h2o cannot dispose a context that still has them, and
         * the process is about to exit, so leave them to the kernel. */
        fprintf(stderr, "authd: connections still open after the grace period: %zu (closed at exit)\n",
                w->connections);
        return NULL;
    }
    /* A request whose client hung up may still have a lookup's read or a write queued, or a status
     * change a list to be signed: its completion will post to this loop, so let it arrive before the
     * loop and its queue go away. */
    authd_holder_reads_drain(w->server->holder_reads);
    authd_writer_drain(w->server->writer);
    authd_statuslists_drain(w->server->statuslists);
    h2o_evloop_run(loop, 0);
    h2o_multithread_unregister_receiver(w->ctx.queue, &w->receiver);
    h2o_context_dispose(&w->ctx);
    h2o_evloop_destroy(loop);
    return NULL;
}

static void setup_globalconf(h2o_globalconf_t *gc, struct authd_server *server)
{
    h2o_config_init(gc);
    gc->server_name = h2o_iovec_init(H2O_STRLIT("authd"));
    /* h2o refuses bodies over its own limit before any handler runs: over HTTP/1.1 with a 413 (which the
     * problem filter rewrites), over HTTP/2 with a bare RST_STREAM(REFUSED_STREAM). Setting its limit
     * above ours lets the router answer the common case, a body somewhat over the limit, with a
     * problem document on both protocols, while h2o still caps what it buffers. */
    size_t cap = server->config->max_body_bytes;
    gc->max_request_entity_size = cap <= (SIZE_MAX - (8u << 20)) / 4 ? cap * 4 + (8u << 20) : cap;
    h2o_hostconf_t *host = h2o_config_register_host(gc, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    struct authd_handler *handler = (struct authd_handler *)h2o_create_handler(path, sizeof(*handler));
    handler->super.on_req = authd_router_on_req;
    handler->server = server;
    /* Errors h2o answers itself (oversized bodies, malformed requests) may go through the fallback path:
     * log them and give them the API's error format there too. */
    h2o_pathconf_t *paths[2] = {path, &host->fallback_path};
    for (int i = 0; i < 2; i++) {
        authd_problem_filter_register(paths[i]);
        authd_accesslog_register(server->accesslog, paths[i]);
    }
}

/* What the main thread watches while it supervises (supervise.h). */
struct watch {
    struct authd_server *server;
    struct worker *workers;
    unsigned n;
    unsigned long *seen;
};

/* Every worker's loop turned since the last look: the watchdog may be told all is well. */
static bool workers_alive(void *arg)
{
    struct watch *w = arg;
    bool alive = true;
    for (unsigned k = 0; k < w->n; k++) {
        unsigned long beats = atomic_load_explicit(&w->workers[k].beats, memory_order_relaxed);
        if (beats == w->seen[k]) alive = false;
        w->seen[k] = beats;
    }
    return alive;
}

static void reload(void *arg)
{
    struct authd_server *server = ((struct watch *)arg)->server;
    if (server->on_reload) server->on_reload(server);
}

void authd_server_stop(struct authd_server *server)
{
    atomic_store(&server->stopping, 1);
}

int authd_server_run(struct authd_server *server, char *err, size_t err_cap)
{
    const struct authd_config *config = server->config;
    struct authd_listener listeners[AUTHD_MAX_LISTENERS] = {0};
    size_t n_listeners = config->listener_count;
    unsigned n_workers = config->workers;
    struct worker *workers = calloc(n_workers, sizeof(*workers));
    h2o_globalconf_t globalconf;
    int rc = -1;
    if (!workers) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < n_workers; i++)
        for (size_t j = 0; j < AUTHD_MAX_LISTENERS; j++)
            workers[i].fds[j] = -1;

    setup_globalconf(&globalconf, server);
    authd_http2_guard_init(config->http2_bodies, server->metrics);
    for (size_t i = 0; i < n_listeners; i++) {
        if (authd_listener_prepare(&listeners[i], &config->listeners[i], err, err_cap) != 0) goto done;
        /* Bind every worker's socket before starting any, so a busy port fails start-up cleanly. */
        for (unsigned k = 0; k < n_workers; k++)
            if ((workers[k].fds[i] =
                     authd_listener_socket(&listeners[i], config->receive_buffer, err, err_cap)) < 0)
                goto done;
    }

    /* Only the main thread takes SIGINT/SIGTERM/SIGHUP (authd_block_signals); blocked again here for
     * callers that did not. */
    sigset_t stop_signals, old_mask;
    authd_supervised_signals(&stop_signals);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
    struct startup startup = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    unsigned started = 0;
    for (unsigned k = 0; k < n_workers; k++) {
        struct worker *w = &workers[k];
        w->startup = &startup;
        w->server = server;
        w->globalconf = &globalconf;
        w->listeners = listeners;
        w->listener_count = n_listeners;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            snprintf(err, err_cap, "cannot start worker thread %u", k);
            authd_server_stop(server);
            break;
        }
        w->started = 1;
        started++;
        char name[24]; /* cut to fit by authd_thread_name */
        snprintf(name, sizeof(name), "worker%u", k);
        authd_thread_name(w->thread, name);
    }
    pthread_mutex_lock(&startup.lock);
    while (startup.ready < started && !atomic_load(&server->stopping))
        pthread_cond_wait(&startup.ready_cond, &startup.lock);
    pthread_mutex_unlock(&startup.lock);
    if (!atomic_load(&server->stopping)) {
        if (server->on_ready) server->on_ready(server);
        unsigned long seen[n_workers];
        memset(seen, 0, sizeof(seen));
        struct watch watch = {.server = server, .workers = workers, .n = n_workers, .seen = seen};
        const struct authd_supervision supervision = {
            .status = "serving", .alive = workers_alive, .reload = reload, .arg = &watch};
        int sig = authd_supervise(&supervision);
        fprintf(stderr, "authd: %s received, finishing in-flight requests (up to %llu ms)\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)config->shutdown_grace_ms);
        authd_server_stop(server);
        rc = 0;
    }
    for (unsigned k = 0; k < n_workers; k++)
        if (workers[k].started) pthread_join(workers[k].thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);

done:
    for (unsigned k = 0; k < n_workers; k++)
        for (size_t j = 0; j < AUTHD_MAX_LISTENERS; j++)
            if (workers[k].fds[j] >= 0 && !workers[k].started) close(workers[k].fds[j]);
    for (size_t i = 0; i < n_listeners; i++)
        SSL_CTX_free(listeners[i].ssl_ctx);
    h2o_config_dispose(&globalconf);
    free(workers);
    return rc;
}
