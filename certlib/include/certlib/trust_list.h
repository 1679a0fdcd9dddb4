/* Signed trust lists (docs/formats.md, "Signed trust lists"): how one authd tells its peers, and any
 * counter, which roots it answers for, under which scopes, its status-list signers and URL prefixes, its
 * logs' keys and the matters it serves. A COSE_Sign1 (tag 18) whose protected header holds alg, kid and
 * typ "application/vnd.elicence.trust-list+json", and whose payload is a JSON object:
 *
 *   { "trust_list": 1,
 *     "issuer": "<who publishes it, 1-128 bytes>",
 *     "sequence": <1..2^53: every newer list has a higher one>,
 *     "issued": <Unix seconds>, "expires": <Unix seconds, after issued>,
 *     "bundle": { <a trust bundle, trust.h> },
 *     "logs": { "signatures": "<C2SP verifier key>", "access": "<C2SP verifier key>" },   (optional)
 *     "matters": [ { "code": "<local code>", "shared_code": "<catalogue code>",            (optional)
 *                    "licence_types": ["<type code>", ...] } ] }
 *
 * The list is signed by a trust-list key whose certificate its readers pin (obtained out of band: the
 * agreement between provinces, not the network). A reader refuses a list not signed by the pinned key,
 * past its expiry, issued in the future, or whose sequence is lower than one it has already accepted
 * (a rollback to an older list).
 */
#ifndef CERTLIB_TRUST_LIST_H
#define CERTLIB_TRUST_LIST_H

#include "signer.h"
#include "trust.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_TRUST_LIST_TYP "application/vnd.elicence.trust-list+json"
#define CERTLIB_TRUST_LIST_MAX_BYTES (CERTLIB_TRUST_MAX_BYTES + 64 * 1024)
#define CERTLIB_TRUST_LIST_ISSUER_MAX 128

/** What a verified list says about itself. */
typedef struct certlib_trust_list_info {
    uint64_t sequence;
    int64_t issued, expires;
    char issuer[CERTLIB_TRUST_LIST_ISSUER_MAX + 1];
    /** The verified JSON payload, inside the caller's input: valid while that buffer is. Callers that
     *  need the logs or matters parse it (it has passed the strict checks above). */
    const uint8_t *payload;
    size_t payload_len;
} certlib_trust_list_info;

/**
 * Signs `payload` (the JSON object above) with `signer`. The payload is checked first as a reader would
 * check it, its bundle included, so no list is published that its peers would refuse for its form.
 * `*out` is malloc'd. Errors: CERTLIB_E_TRUST_LIST (the payload; `err` says where), CERTLIB_E_NOMEM.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_trust_list_sign(const certlib_signer *signer,
                                                                  const uint8_t *payload, size_t len,
                                                                  uint8_t **out, size_t *out_len, char *err,
                                                                  size_t err_cap);

/**
 * Verifies a signed list against the pinned certificate (PEM or DER) at time `now` (Unix seconds; 0:
 * the system clock) and fills `info`. A list whose sequence is below `min_sequence` is refused.
 * Errors: CERTLIB_E_TRUST_LIST (not a trust list of this form; `err` says where), CERTLIB_E_KEY (the
 * pin is not a certificate with a supported key), CERTLIB_E_UNKNOWN_KID (signed under another key id),
 * CERTLIB_E_ALG_MISMATCH, CERTLIB_E_SIGNATURE, CERTLIB_E_TRUST_LIST_EXPIRED (expired, or issued more
 * than five minutes ahead of `now`), CERTLIB_E_TRUST_LIST_ROLLBACK. After these last two the list is
 * authentic, only not current, and `info` is filled (a reader may learn the sequence of a list it kept).
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_trust_list_verify(const uint8_t *list, size_t len,
                                                                    const uint8_t *pin, size_t pin_len,
                                                                    int64_t now, uint64_t min_sequence,
                                                                    certlib_trust_list_info *info, char *err,
                                                                    size_t err_cap);

/**
 * certlib_trust_list_verify, then loads the list's bundle into `ctx` as certlib_ctx_load_trust does:
 * a counter verifying offline trusts exactly what the peer published. On failure the context is
 * unchanged; certlib_ctx_trust_error says why.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ctx_load_trust_list(certlib_ctx *ctx, const uint8_t *list,
                                                                      size_t len, const uint8_t *pin,
                                                                      size_t pin_len, int64_t now,
                                                                      uint64_t min_sequence,
                                                                      certlib_trust_list_info *info);

#ifdef __cplusplus
}
#endif
#endif
