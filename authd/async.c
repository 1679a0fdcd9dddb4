/* Cross-thread completion of requests (see async.h). */
#include "async.h"

struct authd_async_link {
    struct authd_async *a;
};

static void on_request_disposed(void *p)
{
    struct authd_async_link *link = p;
    if (link->a) link->a->req = NULL; /* the work is still under way: it will find no request */
}

void authd_async_init(struct authd_async *a, h2o_req_t *req,
                      void (*respond)(struct authd_async *, h2o_req_t *),
                      void (*release)(struct authd_async *))
{
    a->msg = (h2o_multithread_message_t){{NULL, NULL}};
    a->receiver = authd_worker_receiver(req->conn->ctx);
    a->req = req;
    a->respond = respond;
    a->release = release;
    a->link = h2o_mem_alloc_shared(&req->pool, sizeof(*a->link), on_request_disposed);
    a->link->a = a;
}

void authd_async_cancel(struct authd_async *a)
{
    a->link->a = NULL;
}

void authd_async_complete(struct authd_async *a)
{
    h2o_multithread_send_message(a->receiver, &a->msg);
}

void authd_async_on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        struct authd_async *a = H2O_STRUCT_FROM_MEMBER(struct authd_async, msg.link, messages->next);
        h2o_linklist_unlink(&a->msg.link);
        if (a->req) {
            a->link->a = NULL; /* responding may dispose the request right away */
            a->respond(a, a->req);
        }
        a->release(a);
    }
}
