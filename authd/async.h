/* Finishing a request from another thread: a handler that hands work to the writer thread returns at
 * once; when the work is durable the writer posts a message to the worker's event loop, which sends
 * the response there. If the client went away in between, the request is gone and only the work's
 * memory is freed. Everything touching the request happens on its loop thread. */
#ifndef AUTHD_ASYNC_H
#define AUTHD_ASYNC_H

#include <h2o.h>

struct authd_async_link;

struct authd_async {
    h2o_multithread_message_t msg; /* must stay first */
    h2o_multithread_receiver_t *receiver;
    h2o_req_t *req; /* NULL once the request is disposed */
    struct authd_async_link *link;
    void (*respond)(struct authd_async *a, h2o_req_t *req); /* loop thread, request alive */
    void (*release)(struct authd_async *a);                 /* loop thread, always, last */
};

/* Binds `a` (malloc'd by the caller) to the request. */
void authd_async_init(struct authd_async *a, h2o_req_t *req,
                      void (*respond)(struct authd_async *, h2o_req_t *),
                      void (*release)(struct authd_async *));
/* The work was never handed over (the request was answered at once): unbinds `a` from the request so
 * the caller may free it. Loop thread. */
void authd_async_cancel(struct authd_async *a);
/* From any thread: schedules respond/release on the request's loop. */
void authd_async_complete(struct authd_async *a);

/* The receiver each worker registers on its context's queue (server.c). */
void authd_async_on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);
h2o_multithread_receiver_t *authd_worker_receiver(h2o_context_t *ctx);

#endif
