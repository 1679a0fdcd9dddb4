/* The lookup's answer as it is built and finished (lookup.h), shared by this authd's own part
 * (route_lookup.c) and its peers' (federated_lookup.c). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "access_record.h"
#include "lookup.h"
#include "metrics.h"
#include "peer_answer.h"
#include "server.h"

void authd_lookup_free(struct authd_lookup *l)
{
    if (!l) return;
    size_t len;
    char *text = authd_jsonw_take(&l->w, &len);
    if (text) sodium_memzero(text, len); /* names, maybe numbers */
    free(text);
    free(l->returned);
    free(l->released);
    free(l);
}

bool authd_lookup_returned(struct authd_lookup *l, const char *id, const uint8_t released[32])
{
    size_t id_len = strlen(id);
    if (l->n_returned == AUTHD_LOOKUP_MAX_LICENCES) return false;
    if (l->returned_len + id_len + 2 > l->returned_cap) {
        size_t cap = l->returned_cap * 2 + id_len + 2 + CERTLIB_LICENCE_ID_MAX;
        char *grown = realloc(l->returned, cap);
        if (!grown) return false;
        l->returned = grown, l->returned_cap = cap;
    }
    if (l->n_returned % 8 == 0) { /* most holders have a few: grown, not allocated for 256 */
        uint8_t(*more)[32] = realloc(l->released, (l->n_returned + 8) * sizeof(*more));
        if (!more) return false;
        l->released = more;
    }
    memcpy(l->released[l->n_returned], released, 32);
    if (l->n_returned++) l->returned[l->returned_len++] = ',';
    memcpy(l->returned + l->returned_len, id, id_len);
    l->returned_len += id_len;
    l->returned[l->returned_len] = '\0';
    return true;
}

/* A peer's answer in CBOR, its entries and status lists written: the map around them. */
static char *cbor_answer(struct authd_lookup *l, size_t *len)
{
    struct authd_jsonw w = {0};
    authd_peer_answer_open(&w, l->n_returned, &l->w);
    return authd_jsonw_take(&w, len);
}

void authd_lookup_finish(struct authd_request *r, struct authd_lookup *l, const char *extra)
{
    const struct authd_matter *matter = l->matter;
    if (l->cbor) goto answer;
    if (!l->peer) authd_jsonw_lit(&l->w, "]"); /* a peer's answer closed it before its status lists */
    authd_jsonw_lit(&l->w, ",\"missing\":[");
    for (size_t k = 0, listed = 0; k < matter->n_needs; k++) {
        if (l->needed[k]) continue;
        if (listed++) authd_jsonw_lit(&l->w, ",");
        authd_jsonw_lit(&l->w, "{\"type\":");
        authd_jsonw_cstring(&l->w, matter->needs[k].type->code);
        authd_jsonw_lit(&l->w, ",\"type_name\":");
        authd_jsonw_cstring(&l->w, matter->needs[k].type->name);
        authd_jsonw_lit(&l->w, "}");
    }
    authd_jsonw_lit(&l->w, "]");
    authd_jsonw_raw(&l->w, extra, strlen(extra));
    authd_jsonw_lit(&l->w, "}");
answer:
    authd_metrics_count(r->server->metrics, AUTHD_M_LOOKUPS);
    size_t body_len;
    char *body = l->cbor ? cbor_answer(l, &body_len) : authd_jsonw_take(&l->w, &body_len);
    if (!body) {
        authd_lookup_free(l);
        authd_problem(r->req, 503, "overloaded", "out of memory");
        return;
    }
    const struct authd_access access = {.lookup = true,
                                        .client = l->client,
                                        .matter = matter->code,
                                        .holder_key = l->holder_key,
                                        .outcome = "ok",
                                        .licences = l->returned ? l->returned : "",
                                        .use_cause = l->use_cause,
                                        .use_cause_len = l->use_cause_len,
                                        .released = (const uint8_t(*)[32])l->released,
                                        .n_released = l->n_returned,
                                        .cbor = l->cbor};
    authd_access_respond(r, &access, 200, body, body_len);
    authd_lookup_free(l);
}
