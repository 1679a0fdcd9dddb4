/* Verification with a presentation's holder proof. Internal. */
#ifndef CERTLIB_VERIFY_INTERNAL_H
#define CERTLIB_VERIFY_INTERNAL_H

#include "certlib/verify.h"

struct certlib__holder_proof;

/* certlib_licence_verify, with the holder check run against `proof` when it is not NULL. */
certlib_err certlib__verify_licence(const certlib_ctx *ctx, const uint8_t *licence, size_t len,
                                    const certlib_verify_opts *opts,
                                    const struct certlib__holder_proof *proof, certlib_result **out);

#endif
