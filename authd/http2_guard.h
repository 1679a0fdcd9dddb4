/* What one HTTP/2 connection can make authd buffer before any handler runs.
 *
 * libh2o 2.2 announces 100 concurrent streams and a 16 MB stream window in constants, and keeps each
 * request body whole in memory until it is complete (streamed bodies came with h2o 2.3, which Debian 12
 * does not ship). A client opening 64 streams and sending their bodies interleaved, as any HTTP/2 client
 * does, made authd hold every body at once: 14 MB per connection with 10,000-number batches, 480 MB for
 * 32 connections, and a worker busy reading them while other clients waited.
 *
 * The guard stands between a connection's socket and h2o's HTTP/2 reader. Before h2o reads more frames
 * it counts the streams still receiving a body, or holding one that waits for its turn, and refuses
 * those beyond `limits.http2_bodies` with RST_STREAM(REFUSED_STREAM), as h2o itself refuses an
 * oversized body: the client learns nothing was processed and may retry (RFC 9113 §8.7). The oldest
 * streams are kept, so a connection always makes progress. Counted in authd_http2_streams_refused_total. */
#ifndef AUTHD_HTTP2_GUARD_H
#define AUTHD_HTTP2_GUARD_H

#include <h2o.h>
#include <stddef.h>

struct authd_metrics;

/* Once, before the workers start: the limit per connection and where refusals are counted. */
void authd_http2_guard_init(size_t max_bodies, struct authd_metrics *metrics);

/* Guards the HTTP/2 connections `ctx` accepted since the last call. Cheap (it looks only at the newest
 * connections): called after every turn of the worker's loop, so a connection is guarded from its
 * second read on, its first one being bounded by the socket's receive buffer. */
void authd_http2_guard_sweep(h2o_context_t *ctx);

#endif
