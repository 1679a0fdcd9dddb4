/* GET /v1/holders/{holder_id}/licences?matter=CODE&use_cause=TEXT[&verify=true]: the 一证通办 lookup. A
 * counter gives the holder's number and the matter; it gets every licence of the types the matter
 * needs, each reduced to the elements the matter needs (and still verifiable; with verify=true verified
 * by authd, with its issuance receipt), identity numbers masked unless the counter may see them, and
 * the types the holder lacks. The answer carries its disclosure mark (access_record.h).
 *
 * Federation (federation.h): a counter's lookup also asks the peers holding types the matter needs
 * (federated_lookup.c). A peer asks with the matter's shared code and &counter=ID, the counter it asks
 * for; it also gets revoked licences, holder_id kept in each (it sent the number: its side checks every
 * licence is that holder's), and the signed status list of each (status_lists); in CBOR when it asks
 * for it (peer_answer.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "access_record.h"
#include "async.h"
#include "lookup.h"
#include "statuslists.h"
#include "auth.h"
#include "held.h"
#include "holder_reads.h"
#include "licence_view.h"
#include "licences.h"
#include "metrics.h"
#include "peer_answer.h"
#include "record.h"
#include "router.h"
#include "tlog.h"
#include "trust_bundle.h"

/* A licence of a type the matter needs, read from one snapshot of the store and shown after it. */
struct found {
    char id[CERTLIB_LICENCE_ID_MAX];
    struct authd_licence_meta meta;
    uint64_t log_index;
    size_t need; /* which of the matter's needs */
    uint8_t *licence;
    size_t len;
};

/* What the store holds of the holder's, while it is read. */
struct collected {
    const struct authd_server *server;
    const struct authd_matter *matter;
    bool peer;
    struct found *found;
    size_t n_found, cap;
    bool truncated; /* AUTHD_LOOKUP_MAX_LICENCES reached */
};

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n_found; i++) {
        sodium_memzero(c->found[i].licence, c->found[i].len);
        free(c->found[i].licence);
    }
    free(c->found);
}

/* Inside the store's snapshot: keeps the licences the matter needs, opened. */
static int collect(void *arg, const struct authd_holder_licence *h)
{
    struct collected *c = arg;
    const struct authd_matter *matter = c->matter;
    if (c->n_found == AUTHD_LOOKUP_MAX_LICENCES)
        return c->truncated = true, AUTHD_E_FULL; /* the rest left out */
    size_t k = 0;
    while (k < matter->n_needs && strcmp(matter->needs[k].type->code, h->meta.type_code) != 0)
        k++;
    /* Only what the matter needs, and never a revoked licence for a counter: it proves nothing. A peer
     * gets it, so its counter learns why (its verification says revoked) rather than nothing. */
    if (k == matter->n_needs || (h->meta.status == CERTLIB_STATUS_VALUE_REVOKED && !c->peer)) return AUTHD_OK;
    if (c->n_found == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4;
        struct found *grown = realloc(c->found, cap * sizeof(*grown));
        if (!grown) return AUTHD_E_NOMEM;
        c->found = grown, c->cap = cap;
    }
    struct found *f = &c->found[c->n_found];
    if (authd_record_open(c->server->keys, h->id, h->id_len, h->record, h->record_len, &f->meta, &f->licence,
                          &f->len) != AUTHD_OK)
        return AUTHD_OK; /* the body does not open: left out, as a header that fails its MAC is */
    memcpy(f->id, h->id, h->id_len);
    f->id[h->id_len] = '\0';
    f->log_index = h->log_index;
    f->need = k;
    c->n_found++;
    return AUTHD_OK;
}

/* After the snapshot: each licence reduced to the matter's elements and written; with `verify`,
 * verified first as a counter would verify it, with its issuance receipt. Verifying costs a signature
 * check per licence (390 µs for SM2 on this machine, against a lookup's 110 µs without): counters that
 * verify with certlib themselves leave it to them. */
static authd_err show(struct authd_lookup *l, const struct collected *c, const struct authd_request *r,
                      bool verify)
{
    const struct authd_trust *trust = verify ? authd_held_hold(r->server->trust, &r->req->pool) : NULL;
    struct authd_log *log = r->server->logs[AUTHD_LOG_SIGNATURES];
    for (size_t i = 0; i < c->n_found; i++) {
        struct found *f = &c->found[i];
        char *receipt = NULL;
        size_t receipt_len = 0;
        if ((verify || l->peer) && f->log_index != UINT64_MAX &&
            authd_log_receipt(log, f->log_index, &receipt, &receipt_len) != AUTHD_OK)
            receipt = NULL; /* not in the published tree yet: the logged check says so */
        struct authd_view v = {.policy = r->policy,
                               .need = &l->matter->needs[f->need],
                               .unmasked = l->unmasked,
                               .for_peer = l->peer,
                               .cbor = l->cbor,
                               .trust = trust ? trust->ctx : NULL,
                               .receipt = receipt,
                               .receipt_len = receipt_len,
                               .log_key = authd_log_verifier(log)};
        size_t mark = l->w.len;
        if (l->n_returned && !l->cbor) authd_jsonw_lit(&l->w, ",");
        bool viewed = authd_licence_view(&l->w, r->server, f->id, &f->meta, f->licence, f->len, &v);
        free(receipt);
        if (!viewed) {
            l->w.len = mark; /* the comma goes: the view wrote nothing */
            continue;
        }
        l->needed[f->need] = true;
        if (!authd_lookup_returned(l, f->id, v.released)) return AUTHD_E_NOMEM;
    }
    return AUTHD_OK;
}

/* For a peer: the signed status list of every licence shown, so it verifies their status with no
 * request of its own (stapling, as OCSP stapling does for TLS). */
static void staple_status_lists(struct authd_lookup *l, const struct collected *c,
                                struct authd_statuslists *lists)
{
    struct staple {
        char id[AUTHD_LIST_ID_MAX];
        uint8_t *cwt;
        size_t len;
    } *s = calloc(c->n_found ? c->n_found : 1, sizeof(*s));
    if (!s) {
        l->w.failed = true; /* out of memory: the writer fails */
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < c->n_found; i++) {
        authd_status_list_id(c->found[i].meta.issuer_code, c->found[i].meta.list_no, s[n].id);
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(s[k].id, s[n].id) == 0;
        if (!seen && authd_statuslists_token(lists, s[n].id, strlen(s[n].id), &s[n].cwt, &s[n].len) == 0) n++;
    }
    if (l->cbor)
        authd_peer_answer_lists(&l->w, n);
    else
        authd_jsonw_lit(&l->w, "],\"status_lists\":{");
    for (size_t i = 0; i < n; i++) {
        if (l->cbor) {
            authd_peer_answer_list(&l->w, s[i].id, s[i].cwt, s[i].len);
        } else {
            if (i) authd_jsonw_lit(&l->w, ",");
            authd_jsonw_cstring(&l->w, s[i].id);
            authd_jsonw_lit(&l->w, ":");
            authd_jsonw_base64url(&l->w, s[i].cwt, s[i].len);
        }
        free(s[i].cwt);
    }
    if (!l->cbor) authd_jsonw_lit(&l->w, "}");
    free(s);
}

/* A lookup while the store reads the holder's licences (holder_reads.h). */
struct pending {
    struct authd_async async; /* must stay first */
    struct authd_holder_read read;
    struct authd_request r; /* the handler's: what it points to lives as long as the request */
    struct authd_lookup *l; /* NULL once handed on */
    struct collected c;
    bool verify;
    char holder[sizeof(((certlib_ident *)0)->normalized)]; /* the number, for the peers: wiped */
    size_t holder_len;
};

static void pending_free(struct authd_async *a)
{
    struct pending *p = (struct pending *)a;
    collected_free(&p->c);
    authd_lookup_free(p->l);
    sodium_memzero(p->holder, sizeof(p->holder));
    free(p);
}

/* The holder's licences are read: the answer, on the request's loop. */
static void answer(struct authd_async *a, h2o_req_t *req)
{
    struct pending *p = (struct pending *)a;
    struct authd_request *r = &p->r;
    struct authd_lookup *l = p->l;
    r->req = req;
    authd_err rc = p->read.result;
    if (rc == AUTHD_E_FULL && p->c.truncated) rc = AUTHD_OK;
    if (rc == AUTHD_OK) rc = show(l, &p->c, r, p->verify);
    if (rc == AUTHD_OK && l->peer) staple_status_lists(l, &p->c, r->server->statuslists);
    if (rc) {
        authd_problem_store(req, rc, "store_failed", "the holder index could not be read");
        return;
    }
    p->l = NULL; /* the answer's, or the peers' */
    /* A counter's lookup goes on to the peers holding what the matter needs; a peer's never does. */
    bool asked = !l->peer && r->server->federation && authd_federated_lookup(r, l, p->holder, p->holder_len);
    if (!asked) authd_lookup_finish(r, l, "");
}

/* A read made by the reader thread: the lookup goes on on its worker's loop. */
static void read_done(struct authd_holder_read *rd)
{
    authd_async_complete(&AUTHD_READ_OWNER(struct pending, read, rd)->async);
}

/* The counter a peer asks for: it goes into this authd's access log beside the peer's id. */
static bool counter_id_ok(const char *s, size_t len)
{
    if (len == 0 || len > 64) return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-' || s[i] == '_' || s[i] == '.'))
            return false;
    return true;
}

void authd_route_lookup(struct authd_request *r)
{
    h2o_req_t *req = r->req;
    const struct authd_client *client = r->client;
    bool peer = client->role == AUTHD_ROLE_PEER;
    h2o_iovec_t holder, matter_code, use_cause, verify_text, counter = {NULL, 0};
    if (authd_percent_decode(&req->pool, r->params[0], &holder) != 0 ||
        authd_query_param(req, "matter", &matter_code) != 0 ||
        authd_query_param(req, "use_cause", &use_cause) != 0 ||
        authd_query_param(req, "verify", &verify_text) != 0 ||
        authd_query_param(req, "counter", &counter) != 0) {
        authd_problem(req, 400, "bad_path_encoding", "a malformed percent-escape");
        return;
    }
    bool verify = verify_text.base && h2o_memis(verify_text.base, verify_text.len, H2O_STRLIT("true"));
    if (verify_text.base && !verify && !h2o_memis(verify_text.base, verify_text.len, H2O_STRLIT("false"))) {
        authd_problem(req, 400, "invalid_parameter", "verify: true or false");
        return;
    }
    if (peer != (counter.base != NULL) || (peer && !counter_id_ok(counter.base, counter.len))) {
        authd_problem(req, 400, "invalid_parameter",
                      peer ? "counter: the id of the counter asking (1 to 64 of A-Z a-z 0-9 . _ -)"
                           : "counter: only a peer names the counter it asks for");
        return;
    }
    if (!matter_code.base) {
        authd_problem(req, 400, "missing_matter", "state the matter: ?matter=CODE");
        return;
    }
    const struct authd_matter *matter = authd_access_purpose(
        r, matter_code.base, matter_code.len, use_cause.base, use_cause.len, 400, "&use_cause=TEXT");
    if (!matter) return;
    certlib_ident ident;
    certlib_ident_opts opts = {
        .regions = r->server->regions,
        .accept = CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_RIC) | CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_HMT) |
                  CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_FOREIGN_PR) | CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)};
    certlib_err err = certlib_ident_check(holder.base, holder.len, &opts, &ident);
    if (err) {
        authd_problemf(req, 422, "invalid_holder_id",
                       "the holder id is not a valid identity number or USCC: %s", certlib_err_name(err));
        return;
    }
    struct authd_lookup *l = calloc(1, sizeof(*l));
    if (!l) {
        sodium_memzero(&ident, sizeof(ident));
        authd_problem(req, 503, "overloaded", "out of memory");
        return;
    }
    l->matter = matter;
    l->unmasked = client->unmasked;
    l->peer = peer;
    l->use_cause = use_cause.base;
    l->use_cause_len = use_cause.len;
    if (peer)
        snprintf(l->client, sizeof(l->client), "%s/%.*s", client->id, (int)counter.len, counter.base);
    else
        snprintf(l->client, sizeof(l->client), "%s", client->id);
    authd_record_holder_key(r->server->keys, ident.normalized, ident.normalized_len, l->holder_key);

    /* A peer reads only the licences and their status lists: in CBOR when it asks for it */
    l->cbor = peer && authd_accepts(req, "application/cbor");
    if (!l->cbor) {
        authd_jsonw_lit(&l->w, "{\"holder_id\":");
        if (l->unmasked)
            authd_jsonw_string(&l->w, ident.normalized, ident.normalized_len);
        else
            authd_jsonw_masked(&l->w, ident.normalized, ident.normalized_len);
        authd_jsonw_lit(&l->w, ",\"holder_kind\":");
        authd_jsonw_cstring(&l->w, certlib_ident_kind_name((certlib_ident_kind)ident.kind));
        authd_jsonw_lit(&l->w, ",\"matter\":{\"code\":");
        authd_jsonw_cstring(&l->w, matter->code);
        authd_jsonw_lit(&l->w, ",\"name\":");
        authd_jsonw_cstring(&l->w, matter->name);
        authd_jsonw_lit(&l->w, "},\"use_cause\":");
        authd_jsonw_string(&l->w, use_cause.base, use_cause.len);
        authd_jsonw_lit(&l->w, ",\"licences\":[");
    }
    struct pending *p = calloc(1, sizeof(*p));
    if (!p) {
        sodium_memzero(&ident, sizeof(ident));
        authd_lookup_free(l);
        authd_problem(req, 503, "overloaded", "out of memory");
        return;
    }
    p->r = *r;
    p->l = l;
    p->c = (struct collected){.server = r->server, .matter = matter, .peer = peer};
    p->verify = verify;
    memcpy(p->holder, ident.normalized, ident.normalized_len);
    p->holder_len = ident.normalized_len;
    sodium_memzero(&ident, sizeof(ident));
    memcpy(p->read.key, l->holder_key, AUTHD_HOLDER_KEY_LEN);
    p->read.fn = collect;
    p->read.arg = &p->c;
    p->read.done = read_done;
    struct authd_holder_reads *reads = r->server->holder_reads;
    if (authd_holder_reads_in_place(reads)) { /* read by now: the lookup goes on at once */
        authd_holder_read(reads, &p->read);
        answer(&p->async, req);
        pending_free(&p->async);
        return;
    }
    authd_async_init(&p->async, req, answer, pending_free);
    authd_holder_read(reads, &p->read);
}
