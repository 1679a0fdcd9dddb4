/* The federated part of a counter's lookup (lookup.h): which peers to ask, and what their answers are
 * worth. A peer's licence is shown only when it verifies as a counter would verify it, against that
 * peer's signed trust list (signature, chain, scope, validity, the status list it stapled, its
 * signature-log receipt), is of a type the peer is configured to hold and of an issuer in its regions,
 * and is the asked holder's. Everything else a peer sends is counted as refused, never shown. */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "federation.h"
#include "licence_view.h"
#include "lookup.h"
#include "metrics.h"
#include "peer_answer.h"
#include "peer_view.h"
#include "router.h"
#include "server.h"

struct fed_lookup {
    struct authd_fed_job job; /* must stay first */
    struct authd_request r;   /* the counter's request, as its handler had it */
    struct authd_lookup *l;   /* the answer; NULL once finished */
};

/* Whether `s` is in `list`, or with `prefix` starts with an entry of it. */
static bool in_list(char *const *list, size_t n, const char *s, bool prefix)
{
    for (size_t i = 0; i < n; i++)
        if (prefix ? strncmp(s, list[i], strlen(list[i])) == 0 : strcmp(s, list[i]) == 0) return true;
    return false;
}

/* Which of the matter's needs a type meets; n_needs when none. */
static size_t need_of(const struct authd_matter *m, const char *type)
{
    size_t k = 0;
    while (k < m->n_needs && strcmp(m->needs[k].type->code, type) != 0)
        k++;
    return k;
}

/* Whether the peer concerns the matter: it holds a type the matter needs, and the matter has a shared
 * code to ask by. */
static bool concerns(const struct authd_peer_config *p, const struct authd_matter *m)
{
    for (size_t i = 0; m->shared_code && i < p->n_licence_types; i++)
        if (need_of(m, p->licence_types[i]) < m->n_needs) return true;
    return false;
}

/* A licence a peer sent: checked, verified and shown, or counted as refused. */
static void take_licence(struct fed_lookup *fl, const struct authd_peer_config *p,
                         const struct authd_peer_view *v, const struct authd_peer_licence *e, size_t *shown,
                         size_t *refused)
{
    struct authd_lookup *l = fl->l;
    size_t need;
    certlib_licence_id parsed; /* the id names the type and the issuer: they must be the ones claimed */
    if (e->malformed || certlib_licence_id_parse(e->id, strlen(e->id), &parsed) != CERTLIB_OK ||
        strcmp(e->type, parsed.type_code) != 0 || strcmp(e->issuer, parsed.issuer_code) != 0 ||
        !in_list(p->licence_types, p->n_licence_types, e->type, false) ||
        (p->regions && !in_list(p->regions, p->n_regions, e->issuer + 2, true)) ||
        (need = need_of(l->matter, e->type)) == l->matter->n_needs) {
        (*refused)++;
        return;
    }
    struct authd_licence_meta meta = {0}; /* its status: what verification finds (licence_view.h) */
    memcpy(meta.type_code, e->type, AUTHD_TYPE_CODE_LEN);
    memcpy(meta.issuer_code, e->issuer, AUTHD_ISSUER_CODE_LEN);
    struct authd_view view = {.policy = fl->r.policy,
                              .need = &l->matter->needs[need],
                              .unmasked = l->unmasked,
                              .source = p->name,
                              .trust = v->ctx,
                              .receipt = e->receipt,
                              .receipt_len = e->receipt_len,
                              .log_key = v->has_sig_log ? &v->sig_log : NULL};
    size_t mark = l->w.len;
    if (l->n_returned) authd_jsonw_lit(&l->w, ",");
    bool viewed = authd_licence_view(&l->w, fl->r.server, e->id, &meta, e->licence, e->len, &view);
    /* Shown only when authentic (a revoked or expired one too: the counter learns why), under its own
     * id, and the asked holder's: another's, or one not saying whose, is never shown for this one. */
    bool holder = viewed && view.authentic && view.same_id && view.holder_found &&
                  sodium_memcmp(view.holder_key, l->holder_key, sizeof(l->holder_key)) == 0;
    if (!holder || !authd_lookup_returned(l, e->id, view.released)) {
        l->w.len = mark;
        (*refused)++;
        return;
    }
    l->needed[need] = true;
    (*shown)++;
}

/* One peer's answer, into the lookup; its entry in "peers" into `w`. */
static void take_answer(struct fed_lookup *fl, const struct authd_fed_call *c, struct authd_jsonw *w)
{
    const struct authd_peer_config *p = &fl->r.server->config->federation.peers[c->peer];
    const struct authd_peer_view *v =
        authd_federation_view(fl->r.server->federation, c->peer, &fl->r.req->pool);
    authd_jsonw_lit(w, "{\"name\":");
    authd_jsonw_cstring(w, p->name);
    if (c->skip) {
        if (strcmp(c->skip_state, "unavailable") == 0)
            authd_metrics_count(fl->r.server->metrics, AUTHD_M_PEER_UNAVAILABLE);
        authd_jsonw_lit(w, ",\"state\":");
        authd_jsonw_cstring(w, c->skip_state);
        authd_jsonw_lit(w, ",\"detail\":");
        authd_jsonw_cstring(w, c->skip);
        authd_jsonw_lit(w, "}");
        return;
    }
    struct authd_peer_answer answer;
    char why[160] = "";
    authd_err read =
        c->http_status == 200 && c->body && v
            ? authd_peer_answer_read((const uint8_t *)c->body, c->len, c->cbor, &answer, why, sizeof(why))
            : AUTHD_E_NOT_FOUND;
    if (read != AUTHD_OK) {
        char detail[320];
        if (!v)
            snprintf(detail, sizeof(detail), "its trust list is no longer in force");
        else if (c->timed_out)
            snprintf(detail, sizeof(detail), "no answer within %u ms",
                     fl->r.server->config->federation.deadline_ms);
        else if (why[0])
            snprintf(detail, sizeof(detail), "%s", why);
        else if (read == AUTHD_E_NOMEM)
            snprintf(detail, sizeof(detail), "its answer could not be read: out of memory");
        else if (c->http_status)
            snprintf(detail, sizeof(detail), "it answered HTTP %ld", c->http_status);
        else
            snprintf(detail, sizeof(detail), "unreachable: %s", c->error[0] ? c->error : "no answer");
        if (read != AUTHD_E_NOT_FOUND) authd_peer_answer_free(&answer);
        authd_metrics_count(fl->r.server->metrics, AUTHD_M_PEER_UNAVAILABLE);
        authd_jsonw_lit(w, ",\"state\":\"unavailable\",\"detail\":");
        authd_jsonw_cstring(w, detail);
        authd_jsonw_lit(w, "}");
        return;
    }
    /* The status lists it stapled, into its context: its licences' status checks use them. */
    for (size_t i = 0; i < answer.n_lists; i++) {
        certlib_err refused = certlib_ctx_add_status_list(v->ctx, answer.lists[i].cwt, answer.lists[i].len);
        (void)refused; /* then its licences' status is unknown */
    }
    size_t shown = 0, refused = 0;
    for (size_t i = 0; i < answer.n_licences; i++)
        take_licence(fl, p, v, &answer.licences[i], &shown, &refused);
    authd_peer_answer_free(&answer);
    for (size_t i = 0; i < refused; i++)
        authd_metrics_count(fl->r.server->metrics, AUTHD_M_PEER_REFUSED);
    authd_jsonw_lit(w, ",\"state\":\"answered\",\"licences\":");
    authd_jsonw_int(w, (long long)shown);
    authd_jsonw_lit(w, ",\"refused\":");
    authd_jsonw_int(w, (long long)refused);
    authd_jsonw_lit(w, "}");
}

static void respond(struct authd_async *a, h2o_req_t *req)
{
    struct fed_lookup *fl = (struct fed_lookup *)a;
    fl->r.req = req;
    struct authd_jsonw peers = {0};
    authd_jsonw_lit(&peers, ",\"peers\":[");
    for (size_t i = 0; i < fl->job.n_calls; i++) {
        if (i) authd_jsonw_lit(&peers, ",");
        take_answer(fl, &fl->job.calls[i], &peers);
    }
    authd_jsonw_lit(&peers, "]");
    size_t len;
    char *extra = authd_jsonw_take(&peers, &len);
    struct authd_lookup *l = fl->l;
    fl->l = NULL;
    if (!extra) {
        authd_lookup_free(l);
        authd_problem(req, 503, "overloaded", "out of memory");
        return;
    }
    authd_lookup_finish(&fl->r, l, extra);
    free(extra);
}

static void release(struct authd_async *a)
{
    struct fed_lookup *fl = (struct fed_lookup *)a;
    authd_lookup_free(fl->l);
    for (size_t i = 0; i < fl->job.n_calls; i++) {
        struct authd_fed_call *c = &fl->job.calls[i];
        if (c->body) sodium_memzero(c->body, c->len);
        free(c->body);
    }
    if (fl->job.target) sodium_memzero(fl->job.target, strlen(fl->job.target)); /* the holder's number */
    free(fl->job.target);
    free(fl);
}

/* /v1/holders/<id>/licences?matter=<shared code>&use_cause=...&counter=<counter id>: not verify=true,
 * since this side verifies every licence anyway (the peer sends receipts to a peer all the same) */
static char *target(const struct authd_request *r, const struct authd_lookup *l, const char *holder,
                    size_t len)
{
    char *id = curl_easy_escape(NULL, holder, (int)len);
    char *cause = curl_easy_escape(NULL, l->use_cause, (int)l->use_cause_len);
    char *counter = curl_easy_escape(NULL, r->client->id, 0);
    char *out = NULL;
    if (id && cause && counter) {
        size_t cap = strlen(id) + strlen(cause) + strlen(counter) + strlen(l->matter->shared_code) + 128;
        if ((out = malloc(cap)))
            snprintf(out, cap, "/v1/holders/%s/licences?matter=%s&use_cause=%s&counter=%s", id,
                     l->matter->shared_code, cause, counter);
    }
    if (id) sodium_memzero(id, strlen(id));
    curl_free(id);
    curl_free(cause);
    curl_free(counter);
    return out;
}

bool authd_federated_lookup(struct authd_request *r, struct authd_lookup *l, const char *holder_id,
                            size_t holder_len)
{
    struct authd_federation *f = r->server->federation;
    const struct authd_federation_config *fc = &r->server->config->federation;
    struct fed_lookup *fl = NULL;
    for (size_t i = 0; i < fc->n_peers; i++) {
        if (!concerns(&fc->peers[i], l->matter)) continue;       /* never asked what it cannot hold */
        if (!fl && !(fl = calloc(1, sizeof(*fl)))) return false; /* out of memory: answered with its own */
        struct authd_fed_call *c = &fl->job.calls[fl->job.n_calls++];
        c->peer = i;
        /* Named in the answer all the same, so nothing is silently missing. */
        const struct authd_peer_view *v = authd_federation_view(f, i, &r->req->pool);
        if (!v)
            c->skip = "no current trust list of it is in force here", c->skip_state = "unavailable";
        else if (!authd_peer_view_serves(v, l->matter->shared_code))
            c->skip = "its trust list does not list this matter", c->skip_state = "not_asked";
    }
    if (!fl) return false;
    if (!(fl->job.target = target(r, l, holder_id, holder_len))) {
        free(fl);
        return false;
    }
    fl->r = *r;
    fl->l = l;
    authd_async_init(&fl->job.async, r->req, respond, release);
    authd_federation_submit(f, &fl->job);
    return true;
}
