/* Holder binding: a counter's challenge, and the citizen's app answering it with a presentation.
 *
 * The counter makes a challenge: its counter id and 16 random bytes (the nonce), shown as a QR text
 * "ELC1:<counter id>:<base64url nonce>". The app answers with a DeviceResponse-shaped document
 * (ISO/IEC 18013-5 §8.3.2.1.2.2) holding the chosen IssuerSignedItems and `deviceSigned`, a COSE_Sign1
 * by the device key named in the licence's MSO over
 *   DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript,
 *                                                 "cn.gov.elicence.1", #6.24(bstr .cbor {})])
 *   SessionTranscript = [null, null, ["cn.gov.elicence.counter.1", counter id, nonce]]
 * with a detached payload, so a screenshot shown again, or an answer to another counter, never
 * verifies. certlib_present also echoes the challenge it answers (key "challenge"), so a verifier can
 * tell a stale or foreign nonce from a forged signature; the echo is optional, and a DeviceResponse
 * without it (as ISO 18013-5 wallets write them) verifies alike, an answer to another challenge then
 * failing as device_signature_invalid.
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
