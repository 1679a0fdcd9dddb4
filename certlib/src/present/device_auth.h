/* Device authentication (ISO/IEC 18013-5 §9.1.3): the bytes a holder's device signs in answer to a
 * verifier, and the check of that signature. present.c writes and reads presentations; verify.c runs
 * the holder check with what is here. Internal. */
#ifndef CERTLIB_DEVICE_AUTH_H
#define CERTLIB_DEVICE_AUTH_H

#include "certlib/present.h"
#include "cose/cose.h"

/* The label of the optional echo of a counter's challenge (an extra top-level key "challenge"). */
#define CERTLIB__ECHO_LABEL "cn.gov.elicence.counter.1"

/* What a presentation adds to a licence's verification. */
struct certlib__holder_proof {
    certlib_err malformed; /* the DeviceResponse did not parse: fail the structure check with this */
    const certlib_oid4vp_session *session; /* the verifier's: the transcript the device must have signed */
    const certlib_challenge *expected;     /* the counter's challenge, when offline: the echo names it */
    bool has_echo; /* the document echoed the challenge it answers (optional: not in ISO 18013-5) */
    certlib_slice echo_counter, echo_nonce;
    bool has_signature;
    certlib__sign1 signature;
};

/* The OpenID4VP session an offline challenge stands for: client id the counter id, nonce its base64url
 * text, no thumbprint, response URI CERTLIB_OFFLINE_RESPONSE_URI. */
struct certlib__challenge_session {
    certlib_oid4vp_session session;
    char nonce[32];
};
void certlib__challenge_session(const certlib_challenge *c, struct certlib__challenge_session *out);

/* OpenID4VPHandover = ["OpenID4VPHandover", SHA-256(cbor [clientId, nonce, jwkThumbprint / null,
 * responseUri])], appended to `w`. */
void certlib__oid4vp_handover(cbw *w, const certlib_oid4vp_session *s);

/* DeviceAuthenticationBytes for an OpenID4VP session, appended to `out`. */
void certlib__device_auth_bytes(cbw *out, const certlib_oid4vp_session *s);

/* The same for a handover [label, party, nonce]: the holder's own requests (holder_request.c). */
void certlib__device_auth_bytes_for(cbw *out, const char *label, const char *party, const uint8_t *nonce,
                                    size_t nonce_len);

/* The echo ["cn.gov.elicence.counter.1", counter id, nonce] of a challenge, appended to `w`. */
void certlib__challenge_echo(cbw *w, const certlib_challenge *c);

/* A device's private key from PEM: P-256 or Ed25519 (CERTLIB_E_KEY for any other). */
certlib_err certlib__device_key_load(certlib_slice pem, certlib__privkey *out);

/* The holder check of a presentation against the licence's deviceKey (a COSE_Key): the echo, if any,
 * names the expected challenge, and the device signature verifies over the DeviceAuthenticationBytes
 * of the verifier's own session, never of the echo. */
certlib_err certlib__holder_check(const struct certlib__holder_proof *p, certlib_slice device_key);

#endif
