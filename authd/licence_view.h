/* One licence as the API returns it: the CBOR (reduced to what a matter needs, still verifiable), its
 * elements with their Chinese labels, and identity numbers masked for clients that may not see them. */
#ifndef AUTHD_LICENCE_VIEW_H
#define AUTHD_LICENCE_VIEW_H

#include <stdbool.h>

#include "jsonw.h"

#include "licence_meta.h"
#include "policy.h"
#include "server.h"

/* How to show a licence, and what showing it tells the caller. */
struct authd_view {
    const struct authd_policy *policy;    /* the request's, for the type's labels */
    const struct authd_matter_need *need; /* the matter's needs for the licence's type; NULL: all of it */
    bool unmasked;                        /* the client may see identity numbers */
    /* A peer asked (federation.h): holder_id stays in the licence even when masked (it sent that number),
     * and the object stops after the licence and its receipt: the peer verifies and reads the licence
     * itself, and writing labels it would never read cost both sides (JSON was a sixth of the CPU). */
    bool for_peer;
    bool cbor; /* for_peer only: the licence's entry of a CBOR answer (peer_answer.h), not JSON */
    const char *source; /* the peer it came from, shown as "source", with the status its verification
                         * found; NULL: this authd's own, with its stored status */
    /* When `trust` is set the licence is verified, not only read, and the view carries certlib's
     * verdict and checks: against the trust bundle and authd's status lists, with `receipt` (a C2SP
     * tlog-proof of its issuance) checked under `log_key`. Its holder binding is not checked: it comes
     * from the store by the holder's number, not from someone showing it. Without `trust`, a `receipt`
     * is shown as it is (for a peer, which verifies the licence and its receipt itself). */
    const certlib_ctx *trust;
    const char *receipt;
    size_t receipt_len;
    const certlib_note_verifier *log_key;
    /* out */
    uint8_t holder_key[AUTHD_HOLDER_KEY_LEN]; /* the holder-index key of the licence's holder, */
    bool holder_found;                        /* when the licence names a holder id */
    uint8_t released[32];                     /* SHA-256 of the licence bytes the view releases */
    /* verified (v->trust) only: */
    bool authentic; /* structure, signer, signature, certificate dates, scope and digests passed */
    bool same_id;   /* the licence's own licence_id is `id` */
};

/* Appends the licence as one JSON object to `w` (a CBOR entry, v->cbor): licence_id, type, type_name, issuer_code, status,
 * licence (base64url CBOR), elements [{name, label, value}] and masked {name: masked value}; verified
 * (v->trust), also verdict, reason, checks {name: {state, reason}}, and receipt. Elements: the matter's,
 * or all; masked (unless v->unmasked): holder_id and every type element named *_id are withheld from
 * the CBOR and shown masked in `masked`. Returns false, having written nothing, when the stored licence
 * cannot be read (or memory runs out); running out while writing fails the writer instead. */
bool authd_licence_view(struct authd_jsonw *w, const struct authd_server *s, const char *id,
                        const struct authd_licence_meta *meta, const uint8_t *licence, size_t len,
                        struct authd_view *v);

/* An identifier masked for display (330102********123X), as a JSON string. */
void authd_jsonw_masked(struct authd_jsonw *w, const char *id, size_t len);

#endif
