/* POST /witness/add-checkpoint (C2SP tlog-witness) and GET /witness/key: authd as a witness of other
 * logs (witness.h). Public, as the protocol has it: the checkpoint's signature is the authentication. */
#include <time.h>

#include "router.h"
#include "witness.h"

static struct authd_witness *configured(struct authd_request *r)
{
    if (!r->server->witness)
        authd_problem(r->req, 404, "witness_not_configured",
                      "this authd is not a witness (no 'witness' section)");
    return r->server->witness;
}

void authd_route_witness_add(struct authd_request *r)
{
    struct authd_witness *w = configured(r);
    if (!w) return;
    struct authd_witness_answer a;
    authd_witness_add_checkpoint(w, r->req->entity.base, r->req->entity.len, (uint64_t)time(NULL), &a);
    if (a.status == 200 || a.status == 409)
        authd_send_cache_control(r->req, a.status,
                                 a.status == 200 ? "text/plain; charset=utf-8" : "text/x.tlog.size",
                                 authd_pool_copy(r->req, a.body, a.body_len), "no-store");
    else
        authd_problem(r->req, a.status, a.code, a.detail);
}

void authd_route_witness_key(struct authd_request *r)
{
    struct authd_witness *w = configured(r);
    if (!w) return;
    char text[CERTLIB_NOTE_NAME_MAX + 96];
    int n = snprintf(text, sizeof(text), "%s\n", authd_witness_vkey(w));
    authd_send_cache_control(r->req, 200, "text/plain; charset=utf-8",
                             authd_pool_copy(r->req, text, (size_t)n), "no-cache");
}
