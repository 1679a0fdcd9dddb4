/* What a presentation adds to a licence's verification (present.c parses it; verify.c checks it).
 * Internal. */
#ifndef CERTLIB_PRESENT_INTERNAL_H
#define CERTLIB_PRESENT_INTERNAL_H

#include "certlib/present.h"
#include "cose.h"

struct certlib__holder_proof {
    certlib_err malformed; /* the DeviceResponse did not parse: fail the structure check with this */
    const certlib_challenge *expected;
    certlib_slice echo_counter, echo_nonce;
    bool has_signature;
    certlib__sign1 signature;
};

/* certlib_licence_verify, with the holder check when `proof` is not NULL. */
certlib_err certlib__verify_licence(const certlib_ctx *ctx, const uint8_t *licence, size_t len,
                                    const certlib_verify_opts *opts,
                                    const struct certlib__holder_proof *proof, certlib_result **out);

/* DeviceAuthenticationBytes for a challenge (present.h), appended to `out`. */
void certlib__device_auth_bytes(cbw *out, const certlib_challenge *c);

#endif
