/* Device authentication (ISO/IEC 18013-5 §9.1.3): the bytes a holder's device signs in answer to a
 * counter's challenge, and the check of that signature. present.c writes and reads presentations;
 * verify.c runs the holder check with what is here. Internal. */
#ifndef CERTLIB_DEVICE_AUTH_H
#define CERTLIB_DEVICE_AUTH_H

#include "certlib/present.h"
#include "cose/cose.h"

#define CERTLIB__HANDOVER "cn.gov.elicence.counter.1"

/* What a presentation adds to a licence's verification. */
struct certlib__holder_proof {
    certlib_err malformed; /* the DeviceResponse did not parse: fail the structure check with this */
    const certlib_challenge *expected;
    bool has_echo; /* the document echoed the challenge it answers (optional: not in ISO 18013-5) */
    certlib_slice echo_counter, echo_nonce;
    bool has_signature;
    certlib__sign1 signature;
};

/* The handover of this profile's session transcript, ["cn.gov.elicence.counter.1", counter id, nonce],
 * appended to `w`. */
void certlib__handover(cbw *w, const certlib_challenge *c);

/* DeviceAuthenticationBytes for a challenge, appended to `out`. */
void certlib__device_auth_bytes(cbw *out, const certlib_challenge *c);

/* The same for any handover [label, party, nonce]: the counter's (above) and the holder's own requests
 * (holder_request.c) differ in their label only, so neither signature ever passes for the other. */
void certlib__device_auth_bytes_for(cbw *out, const char *label, const char *party, const uint8_t *nonce,
                                    size_t nonce_len);

/* A device's private key from PEM: P-256 or Ed25519 (CERTLIB_E_KEY for any other). */
certlib_err certlib__device_key_load(certlib_slice pem, certlib__privkey *out);

/* The holder check of a presentation against the licence's deviceKey (a COSE_Key): the echo names the
 * expected challenge, and the device signature verifies over the DeviceAuthenticationBytes built from
 * the challenge the counter issued, never from the echo. */
certlib_err certlib__holder_check(const struct certlib__holder_proof *p, certlib_slice device_key);

#endif
