/* The verification context: trust bundle (roots with their scopes, signer certificates) and the
 * status lists a verifier has fetched.
 *
 * Threads: load the trust bundle before sharing the context. After that, any number of threads may
 * call certlib_licence_verify and certlib_ctx_add_status_list on one context at once.
 *
 * Trust bundle (JSON, docs/formats.md):
 *   { "version": 1,
 *     "roots": [ { "name": "...", "certificate": "<PEM>",
 *                  "licence_types": ["*" | "<21-char type code>", ...],
 *                  "regions": ["*" | "<GB/T 2260 prefix: 2, 4 or 6 digits, or 100000>", ...] } ],
 *     "signers": ["<PEM>", ...],          document signers, so compact licences (kid only) resolve
 *     "status_signers": ["<PEM>", ...] }  the only certificates whose status lists are accepted
 * A root's scope limits what the signers under it may sign: the licence type must be listed, and
 * the issuer's USCC region (characters 3-8) must start with a listed prefix.
 */
#ifndef CERTLIB_TRUST_H
#define CERTLIB_TRUST_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_TRUST_MAX_BYTES (4 * 1024 * 1024)
#define CERTLIB_TRUST_MAX_CERTS 1024

typedef struct certlib_ctx certlib_ctx;

/** A context with no trust anchors: every licence fails the chain check until a bundle is loaded. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ctx_new(certlib_ctx **out);
CERTLIB_API void certlib_ctx_free(certlib_ctx *ctx);

/**
 * Loads a trust bundle, replacing any loaded before. Every signer certificate must chain to one of
 * the bundle's roots (checked now, certificate validity windows at verification time), and document
 * signers must carry the ISO 18013-5 document-signer extended key usage. On failure the context is
 * unchanged and certlib_ctx_trust_error describes the problem.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ctx_load_trust(certlib_ctx *ctx, const uint8_t *json,
                                                                 size_t len);
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ctx_load_trust_file(certlib_ctx *ctx, const char *path);

/** Where the last failed load went wrong ("roots[1].regions[0]: ..."), "" after a success. Valid until
 *  the next load. */
CERTLIB_API const char *certlib_ctx_trust_error(const certlib_ctx *ctx);

/** Number of roots and of signer certificates loaded. */
CERTLIB_API size_t certlib_ctx_root_count(const certlib_ctx *ctx);
CERTLIB_API size_t certlib_ctx_signer_count(const certlib_ctx *ctx);

/**
 * Verifies a Token Status List CWT (status.h) against the bundle's status signers and keeps it for
 * licences whose status URI equals its subject. A list older (by iat) than one already held for the
 * same URI is ignored. Freshness (exp) is judged at verification time against the caller's clock.
 * Errors: CERTLIB_E_STATUS_LIST (malformed), CERTLIB_E_UNKNOWN_KID, CERTLIB_E_SIGNER_ROLE (not a
 * status signer), CERTLIB_E_SIGNATURE, CERTLIB_E_DECOMPRESS.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ctx_add_status_list(certlib_ctx *ctx, const uint8_t *cwt,
                                                                      size_t len);

#ifdef __cplusplus
}
#endif
#endif
