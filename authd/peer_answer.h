/* A peer's answer to a federated lookup (docs/federation.md, "Between peers"): written by the peer,
 * read by the authd that asked.
 *
 * The asking authd sends `Accept: application/cbor`, and the peer answers in CBOR:
 *
 *   { "licences":     [ { "licence_id": tstr, "type": tstr, "issuer_code": tstr,
 *                         "licence": bstr, ? "receipt": tstr }, ... ],
 *     "status_lists": { tstr => bstr },   ; the signed status list (CWT) of each licence sent
 *     "mark":         tstr }              ; the peer's signed disclosure mark for this access
 *
 * Licences and status lists travel as bytes, not as base64url inside JSON: parsing the JSON answers
 * of two peers with jansson was 18% of the asking authd's CPU under federated load (perf, bench/federation),
 * its lexer looking at each character of the 3 KB licences one call at a time. The JSON answer a
 * counter gets is still read, from a peer that does not answer in CBOR (an older authd).
 *
 * Reading is strict at the top (a definite map with at most one of each known key, preferred heads,
 * UTF-8 text: certlib's CBOR reader) and lenient per licence: an entry that is not as above is counted,
 * so the caller refuses it and goes on with the others, as it does with one that fails verification. */
#ifndef AUTHD_PEER_ANSWER_H
#define AUTHD_PEER_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certlib/licence_id.h"
#include "errors.h"
#include "jsonw.h"
#include "licence_meta.h"

#define AUTHD_PEER_ANSWER_MAX_LICENCES 256 /* AUTHD_LOOKUP_MAX_LICENCES: no authd sends more */
#define AUTHD_PEER_ANSWER_MAX_LISTS 256    /* at most one per licence */

/* ---- the peer's side ---- */

/* One licence's entry (its bytes as released to the peer, and its signature-log receipt or NULL). */
void authd_peer_answer_licence(struct authd_jsonw *w, const char *id, const char *type, const char *issuer,
                               const uint8_t *licence, size_t len, const char *receipt, size_t receipt_len);
/* The status lists' member: its key and a map of n pairs, each written with authd_peer_answer_list. */
void authd_peer_answer_lists(struct authd_jsonw *w, size_t n);
void authd_peer_answer_list(struct authd_jsonw *w, const char *id, const uint8_t *cwt, size_t len);
/* The answer: the map's head and the licences' member around `entries` (n_licences written with
 * authd_peer_answer_licence, then the status lists' member); its last member, the mark, is
 * authd_peer_answer_mark's. The writer fails when memory runs out. */
void authd_peer_answer_open(struct authd_jsonw *w, size_t n_licences, const struct authd_jsonw *entries);
void authd_peer_answer_mark(struct authd_jsonw *w, const char *mark, size_t len);

/* ---- the asker's side ---- */

struct authd_peer_licence {
    bool malformed; /* not as the format says: to be refused; the rest is then unset */
    char id[CERTLIB_LICENCE_ID_MAX];
    char type[AUTHD_TYPE_CODE_LEN + 1];
    char issuer[AUTHD_ISSUER_CODE_LEN + 1];
    const uint8_t *licence; /* into the answer (CBOR) or its decoded copy (JSON) */
    size_t len;
    const char *receipt; /* NULL: none sent */
    size_t receipt_len;
};

struct authd_peer_status_list {
    const uint8_t *cwt;
    size_t len;
};

struct authd_peer_answer {
    struct authd_peer_licence *licences;
    size_t n_licences;
    struct authd_peer_status_list *lists;
    size_t n_lists;
    /* A JSON answer's document, which the receipts point into; the licences' and lists' bytes are
     * then this answer's own (decoded from base64url), wiped and freed with it. NULL for CBOR. */
    void *json;
};

/* Reads a peer's answer: CBOR as above when `cbor`, else the JSON a counter gets (with base64url
 * licences and lists). The answer's pointers point into `body`, which must outlive it. AUTHD_E_CORRUPT
 * with a reason in `err` when it is not an answer at all (or has more than the maxima above);
 * AUTHD_E_NOMEM. Either way `a` is to be freed. */
authd_err authd_peer_answer_read(const uint8_t *body, size_t len, bool cbor, struct authd_peer_answer *a,
                                 char *err, size_t err_cap);
void authd_peer_answer_free(struct authd_peer_answer *a);

#endif
