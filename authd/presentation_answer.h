/* A wallet's answer to an OpenID4VP presentation request (route_presentation.c), checked, and what the
 * counter then gets. Each presentation of the vp_token is verified against the request's session
 * (certlib present.h: the licence's signature, chain, scope, validity, status and holder binding), its
 * type must be its credential query's, and it may disclose nothing beyond the query (dcql.h); the
 * licences must name one holder. */
#ifndef AUTHD_PRESENTATION_ANSWER_H
#define AUTHD_PRESENTATION_ANSWER_H

#include <jansson.h>

#include "certlib/present.h"
#include "jsonw.h"
#include "licence_meta.h"
#include "policy.h"
#include "vp_token.h"

struct authd_record_keys;

/* What the checks of one answer found. */
struct authd_answer {
    const char *reason; /* NULL: every presentation passed; else the first refusal's reason */
    char holder_id[64]; /* the holder the licences name ("" when none disclosed it) */
    /* certlib's rendering of each presentation's licence, JSON objects separated by commas: kept as
     * certlib wrote it, never parsed into a tree and written again (jansson's lexer was a tenth of the
     * flow's CPU on the 3 KB licences) */
    struct authd_jsonw licences;
    size_t n_licences;
    char types[AUTHD_MATTER_MAX_NEEDS][AUTHD_TYPE_CODE_LEN + 1]; /* each one's type, "" when unknown */
    json_t *ids;      /* the ids of the licences that passed (the access log names them) */
    json_t *released; /* base64url SHA-256 of each passing presentation (the disclosure mark's) */
};

void authd_answer_init(struct authd_answer *a);
void authd_answer_clear(struct authd_answer *a);

/* Checks every presentation of `vp_token` for `matter`'s request, recording what it finds in `a`. The
 * wallet-facing error of a vp_token that is not of the request's shape (the request then stays
 * unanswered), or NULL once `a` holds the checks' outcome. `policy` labels the elements. */
const char *authd_answer_check(struct authd_answer *a, const certlib_ctx *ctx,
                               const struct authd_policy *policy, const struct authd_matter *matter,
                               const certlib_oid4vp_session *session, const struct authd_vp_token *vp_token);

/* What GET /v1/presentation-requests/{id} releases: *body (malloc'd), the counter's JSON (request
 * `id_text`, the matter, the use cause, the verdict, the licences and the types missing); and what its
 * access-log entry needs, the returned object {outcome, holder_key (the keyed hash, base64url; "" when
 * none), licences, released}. NULL when out of memory. */
json_t *authd_answer_release(const struct authd_answer *a, const struct authd_record_keys *keys,
                             const char *id_text, const struct authd_matter *matter, const char *use_cause,
                             char **body, size_t *body_len);

#endif
