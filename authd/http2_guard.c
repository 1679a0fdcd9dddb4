/* The HTTP/2 guard (http2_guard.h). It reads h2o's connection and stream structures through
 * h2o/http2_internal.h, which libh2o-dev installs, and refuses streams with the calls h2o's own refusal
 * of an oversized body makes (h2o_http2_encode_rst_stream_frame, h2o_http2_conn_request_write,
 * h2o_http2_stream_reset), so h2o's accounting of its streams stays its own. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "http2_guard.h" /* h2o.h first: the HTTP/2 headers need its types */

#include <h2o/http2.h>
#include <h2o/http2_internal.h>

#include "metrics.h"

/* More streams than h2o keeps on a connection: the 100 its SETTINGS announce, and those a client
 * named only in PRIORITY frames (16). */
#define MAX_SEEN 128
#define CALM_SLOTS 64

/* Streams refused per connection, by connection id; a slot taken by another connection starts again
 * from 0, which only puts its calming off. Each worker has its own. */
static __thread struct {
    uint64_t conn_id;
    size_t refused;
} calm[CALM_SLOTS];

static size_t max_bodies = 8;
static struct authd_metrics *refusals;
/* h2o's own reader of HTTP/2 frames, a static function of libh2o: taken from the first connection seen
 * (every HTTP/2 connection reads through the same one). */
static _Atomic(h2o_socket_cb) h2o_reader;

void authd_http2_guard_init(size_t max, struct authd_metrics *metrics)
{
    max_bodies = max;
    refusals = metrics;
}

/* Whether the stream holds a request body h2o has not handed to a handler yet. */
static bool holds_body(const h2o_http2_stream_t *s)
{
    return s->_req_body &&
           (s->state == H2O_HTTP2_STREAM_STATE_RECV_BODY || s->state == H2O_HTTP2_STREAM_STATE_REQ_PENDING);
}

static void refuse(h2o_http2_conn_t *conn, h2o_http2_stream_t *s)
{
    conn->super.ctx->http2.events.protocol_level_errors[-H2O_HTTP2_ERROR_REFUSED_STREAM]++;
    h2o_http2_encode_rst_stream_frame(&conn->_write.buf, s->stream_id, -H2O_HTTP2_ERROR_REFUSED_STREAM);
    h2o_http2_conn_request_write(conn);
    h2o_http2_stream_reset(conn, s);
    authd_metrics_count(refusals, AUTHD_M_HTTP2_REFUSED);
}

/* A client that goes on opening streams beyond the limit, refusals notwithstanding (more of them refused
 * than the 100 h2o lets it have open at once), is sent GOAWAY
 * (ENHANCE_YOUR_CALM) naming the last stream a handler received: those before it are answered, the rest
 * (never processed) it may send again on a new connection. The connection then closes as h2o closes any
 * after a GOAWAY (half-closed: new frames are dropped), so authd stops reading what that client sends,
 * and costs it nothing more. */
static void calm_down(h2o_http2_conn_t *conn, size_t refused)
{
    size_t slot = conn->super.id % CALM_SLOTS;
    if (calm[slot].conn_id != conn->super.id) calm[slot].conn_id = conn->super.id, calm[slot].refused = 0;
    calm[slot].refused += refused;
    /* More refusals than streams it may have open at once: it opened more after being refused. */
    if (calm[slot].refused <= H2O_HTTP2_SETTINGS_HOST.max_concurrent_streams) return;
    h2o_http2_encode_goaway_frame(&conn->_write.buf, conn->pull_stream_ids.max_processed,
                                  H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM, /* negative, as h2o passes it */
                                  h2o_iovec_init(H2O_STRLIT("too many request bodies at once")));
    h2o_http2_conn_request_write(conn);
    conn->state = H2O_HTTP2_CONN_STATE_HALF_CLOSED;
    authd_metrics_count(refusals, AUTHD_M_HTTP2_CALMED);
}

/* The connection's streams, from its scheduler tree (every stream h2o keeps has a node in it, nested by
 * the priorities the client gave), depth first with a stack of its own: at most MAX_SEEN. */
static size_t streams_of(h2o_http2_conn_t *conn, h2o_http2_stream_t **out)
{
    h2o_linklist_t *stack[MAX_SEEN], *anchors[MAX_SEEN];
    size_t depth = 0, n = 0;
    anchors[0] = &conn->scheduler._all_refs;
    stack[0] = anchors[0]->next;
    for (;;) {
        if (stack[depth] == anchors[depth]) {
            if (depth == 0) return n;
            depth--;
            stack[depth] = stack[depth]->next;
            continue;
        }
        h2o_http2_scheduler_openref_t *ref =
            H2O_STRUCT_FROM_MEMBER(h2o_http2_scheduler_openref_t, _all_link, stack[depth]);
        out[n++] = H2O_STRUCT_FROM_MEMBER(h2o_http2_stream_t, _refs.scheduler, ref);
        if (n == MAX_SEEN) return n;
        if (depth + 1 < MAX_SEEN && !h2o_linklist_is_empty(&ref->node._all_refs)) {
            depth++;
            anchors[depth] = &ref->node._all_refs;
            stack[depth] = anchors[depth]->next;
        } else {
            stack[depth] = stack[depth]->next;
        }
    }
}

/* Refuses the streams holding a body beyond max_bodies, keeping the oldest. */
static void refuse_excess(h2o_http2_conn_t *conn)
{
    if (conn->state >= H2O_HTTP2_CONN_STATE_IS_CLOSING || conn->num_streams.pull.open <= max_bodies) return;
    h2o_http2_stream_t *all[MAX_SEEN], *held[MAX_SEEN];
    size_t n_all = streams_of(conn, all), n = 0;
    for (size_t i = 0; i < n_all; i++)
        if (holds_body(all[i])) held[n++] = all[i];
    if (n <= max_bodies) return;
    /* Keep the max_bodies oldest (lowest ids): a partial selection, n is at most MAX_SEEN. */
    for (size_t i = 0; i < max_bodies; i++) {
        size_t min = i;
        for (size_t j = i + 1; j < n; j++)
            if (held[j]->stream_id < held[min]->stream_id) min = j;
        h2o_http2_stream_t *t = held[i];
        held[i] = held[min];
        held[min] = t;
    }
    for (size_t i = max_bodies; i < n; i++)
        refuse(conn, held[i]);
    calm_down(conn, n - max_bodies);
}

/* Before h2o parses what was just read, and never after: h2o may free the connection while parsing. */
static void guarded_read(h2o_socket_t *sock, const char *err)
{
    if (!err) refuse_excess(sock->data);
    atomic_load_explicit(&h2o_reader, memory_order_relaxed)(sock, err);
}

static bool guard(h2o_http2_conn_t *conn)
{
    h2o_socket_cb reader = conn->sock->_cb.read;
    if (reader == guarded_read) return false;
    h2o_socket_cb expected = NULL;
    if (!atomic_compare_exchange_strong(&h2o_reader, &expected, reader) && expected != reader)
        return true; /* not h2o's HTTP/2 reader (never seen): left alone */
    conn->sock->_cb.read = guarded_read;
    return true;
}

void authd_http2_guard_sweep(h2o_context_t *ctx)
{
    /* h2o appends new connections to the list: walk back from its end to the first guarded one. A
     * connection still upgrading from HTTP/1.1 has no socket yet and is looked at again next time. */
    for (h2o_linklist_t *l = ctx->http2._conns.prev; l != &ctx->http2._conns; l = l->prev) {
        h2o_http2_conn_t *conn = H2O_STRUCT_FROM_MEMBER(h2o_http2_conn_t, _conns, l);
        if (conn->sock && !guard(conn)) break;
    }
}
