/* Holder binding: a verifier's session, and the citizen's app answering it with a presentation.
 *
 * A presentation is an ISO/IEC 18013-5 DeviceResponse (§8.3.2.1.2.2) holding the chosen IssuerSignedItems
 * and `deviceSigned`, a COSE_Sign1 by the device key named in the licence's MSO over
 *   DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript,
 *                                                 "cn.gov.elicence.1", #6.24(bstr .cbor {})])
 *   SessionTranscript = [null, null, ["OpenID4VPHandover", SHA-256(cbor [client id, nonce,
 *                                                                    jwk thumbprint / null, response URI])]]
 * with a detached payload: OpenID4VP 1.0's session transcript for mdocs (Appendix B.2.6.1), which
 * ISO/IEC 18013-7 uses too. So a screenshot shown again, or an answer to another verifier, never verifies.
 *
 * Two ways to open a session:
 *   - online, OpenID4VP: the verifier's signed request gives the client id, nonce and response URI
 *     (certlib_present_oid4vp, certlib_presentation_verify_oid4vp);
 *   - offline, at the counter's screen: the counter shows a challenge, its counter id and 16 random bytes,
 *     as the QR text "ELC1:<counter id>:<base64url nonce>". It stands for the session with client id the
 *     counter id, nonce the base64url text, no thumbprint and response URI CERTLIB_OFFLINE_RESPONSE_URI
 *     (certlib_present, certlib_presentation_verify), so any ISO 18013-7 verifier checks an offline answer
 *     from the challenge alone. certlib_present also echoes the challenge it answers (key "challenge"),
 *     so a verifier can tell a stale or foreign nonce from a forged signature; the echo is optional, and
 *     a DeviceResponse without it verifies alike, an answer to another challenge then failing as
 *     device_signature_invalid.
 */
#ifndef CERTLIB_PRESENT_H
#define CERTLIB_PRESENT_H

#include "verify.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_NONCE_LEN 16
#define CERTLIB_COUNTER_ID_MAX 64
#define CERTLIB_CHALLENGE_PREFIX "ELC1:"
#define CERTLIB_CHALLENGE_TEXT_MAX (sizeof(CERTLIB_CHALLENGE_PREFIX) + CERTLIB_COUNTER_ID_MAX + 24)
/* The response URI of an offline challenge's session: no response travels over a network. */
#define CERTLIB_OFFLINE_RESPONSE_URI "urn:cn.gov.elicence:offline"

/** An OpenID4VP session, as the request states it (OpenID4VPHandoverInfo). */
typedef struct certlib_oid4vp_session {
    const char *client_id;         /* the request's client_id, prefix included ("x509_hash:...") */
    const char *nonce;             /* the request's nonce */
    const char *response_uri;      /* the request's response_uri */
    const uint8_t *jwk_thumbprint; /* 32 bytes: the SHA-256 JWK thumbprint of the key the response was
                                      encrypted to (direct_post.jwt); NULL when not encrypted */
} certlib_oid4vp_session;

typedef struct certlib_challenge {
    char counter_id[CERTLIB_COUNTER_ID_MAX + 1]; /* 1-64 of [a-z0-9._-] */
    uint8_t nonce[CERTLIB_NONCE_LEN];
} certlib_challenge;

/** True when `s` is a valid counter id: 1 to CERTLIB_COUNTER_ID_MAX of [a-z0-9._-]. */
CERTLIB_API bool certlib_counter_id_valid(const char *s, size_t len);

/** A fresh challenge for `counter_id` with a random nonce. CERTLIB_E_INVALID_ARGUMENT for a bad id. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_challenge_new(const char *counter_id,
                                                                certlib_challenge *out);
/** "ELC1:<counter id>:<base64url nonce>", NUL-terminated (CERTLIB_CHALLENGE_TEXT_MAX bytes suffice). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_challenge_format(const certlib_challenge *c, char *out,
                                                                   size_t cap);
/** Parses challenge text (surrounding whitespace ignored). CERTLIB_E_CHALLENGE when malformed. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_challenge_parse(const char *text, size_t len,
                                                                  certlib_challenge *out);

/**
 * Plays the app: discloses `keep` (as certlib_licence_disclose) and signs the answer to `challenge`
 * with the device's private key (`device_key_pem`: PEM, P-256 or Ed25519, the key whose public half
 * the licence names). `*out` is freed with certlib_free.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_present(const uint8_t *licence, size_t len,
                                                          const char *const *keep, size_t n_keep,
                                                          certlib_slice device_key_pem,
                                                          const certlib_challenge *challenge, uint8_t **out,
                                                          size_t *out_len);

/** The same for an OpenID4VP session, with no echo: the DeviceResponse a wallet posts as one of its
 *  vp_token's presentations (base64url-encoded there). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_present_oid4vp(const uint8_t *licence, size_t len,
                                                                 const char *const *keep, size_t n_keep,
                                                                 certlib_slice device_key_pem,
                                                                 const certlib_oid4vp_session *session,
                                                                 uint8_t **out, size_t *out_len);

/**
 * A device's private key read once (PEM, P-256 or Ed25519, as above) for a wallet that presents again
 * and again: reading the PEM was more of a presentation's cost than signing it (bench/oid4vp). The key is
 * held as a signer's key is (signer.h) until certlib_device_key_free wipes it; one key may sign from
 * several threads at once.
 */
typedef struct certlib_device_key certlib_device_key;
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_device_key_new(certlib_slice pem, certlib_device_key **out);
/** Wipes and frees the key. NULL is a no-op. */
CERTLIB_API void certlib_device_key_free(certlib_device_key *key);
/** certlib_present_oid4vp with a key read once. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_present_oid4vp_with_key(
    const uint8_t *licence, size_t len, const char *const *keep, size_t n_keep, const certlib_device_key *key,
    const certlib_oid4vp_session *session, uint8_t **out, size_t *out_len);

/**
 * Verifies a presentation against the challenge the counter issued: every check of
 * certlib_licence_verify on its licence, plus CERTLIB_CHECK_HOLDER: the echoed challenge, when there is one,
 * is `expected` (else CERTLIB_E_CHALLENGE_COUNTER or CERTLIB_E_CHALLENGE_NONCE) and the device signature
 * verifies under the licence's device key (else CERTLIB_E_DEVICE_SIGNATURE_MISSING or
 * CERTLIB_E_DEVICE_SIGNATURE), and `opts->challenge_state` may fail it as expired or replayed. A
 * licence without a device key leaves the check not applicable (CERTLIB_E_NOT_HOLDER_BOUND under
 * CERTLIB_HOLDER_REQUIRED) and certlib_result_holder_bound false: it proves nothing about who shows it. A
 * document that is not a presentation fails the structure check with CERTLIB_E_PRESENTATION.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_presentation_verify(const certlib_ctx *ctx,
                                                                      const uint8_t *presentation, size_t len,
                                                                      const certlib_challenge *expected,
                                                                      const certlib_verify_opts *opts,
                                                                      certlib_result **out);

/** The same against an OpenID4VP session the verifier opened (no echo is read): the holder check fails
 *  with CERTLIB_E_DEVICE_SIGNATURE for an answer to any other session. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_presentation_verify_oid4vp(
    const certlib_ctx *ctx, const uint8_t *presentation, size_t len, const certlib_oid4vp_session *session,
    const certlib_verify_opts *opts, certlib_result **out);

/*
 * The holder's own requests (authd's use record, 用证记录): the citizen's app proves control of the device
 * key a licence names by signing, with it, DeviceAuthenticationBytes as above with the handover
 *   ["cn.gov.elicence.holder-request.1", licence id, nonce]
 * where the nonce is the service's challenge (1 to CERTLIB_HOLDER_NONCE_MAX bytes). The proof is that
 * COSE_Sign1 with a detached payload. Its label differs from a counter's, so a presentation made for a
 * counter never serves as a holder's request, nor the other way round.
 */
#define CERTLIB_HOLDER_REQUEST_HANDOVER "cn.gov.elicence.holder-request.1"
#define CERTLIB_HOLDER_NONCE_MAX 64

/** Signs a holder's request about licence `licence_id` for `nonce` with the device's private key
 *  (`device_key_pem`: PEM, P-256 or Ed25519). `*out` (the COSE_Sign1) is freed with certlib_free. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_holder_request_sign(const char *licence_id,
                                                                      const uint8_t *nonce, size_t nonce_len,
                                                                      certlib_slice device_key_pem,
                                                                      uint8_t **out, size_t *out_len);

/**
 * Checks a holder's request: `proof` verifies under the device key of `licence` (whose id is
 * `licence_id`) over the request for `nonce`. Checks nothing else of the licence: the caller trusts it
 * already (authd reads it from its own store). CERTLIB_E_NOT_HOLDER_BOUND for a licence bound to no
 * device, CERTLIB_E_DEVICE_SIGNATURE for a proof that is not such a signature.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err
certlib_holder_request_verify(const uint8_t *licence, size_t len, const char *licence_id,
                              const uint8_t *nonce, size_t nonce_len, const uint8_t *proof, size_t proof_len);

/** True when the CBOR looks like a presentation (a map with "documents") rather than a licence. */
CERTLIB_API bool certlib_is_presentation(const uint8_t *cbor, size_t len);

#ifdef __cplusplus
}
#endif
#endif
