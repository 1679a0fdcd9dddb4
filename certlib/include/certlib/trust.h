/* The verification context: trust bundle (roots and signers with their scopes, revoked signers), the
 * CRLs and the status lists a verifier has fetched.
 *
 * Threads: load the trust bundle before sharing the context. After that, any number of threads may
 * call certlib_licence_verify, certlib_ctx_add_status_list and certlib_ctx_add_crl on one context at
 * once.
 *
 * Trust bundle (JSON, docs/formats.md):
 *   { "version": 1,
 *     "roots": [ { "name": "...", "certificate": "<PEM>",
 *                  "licence_types": ["*" | "<21-char type code>", ...],
 *                  "regions": ["*" | "<GB/T 2260 prefix: 2, 4 or 6 digits, or 100000>", ...] } ],
 *     "signers": [ "<PEM>" | { "certificate": "<PEM>", "licence_types": [...], "regions": [...] } ],
 *     "status_signers": [ "<PEM>" | { "certificate": "<PEM>", "issuers": ["<USCC>", ...],
 *                                     "uri_prefixes": ["https://...", ...] } ],
 *     "revoked_signers": ["<SHA-256 of a certificate's DER, hex>", ...],
 *     "require_listed_signers": false,
 *     "crls": ["<PEM CRL of a root>", ...] }
 * A root's scope limits what the signers under it may sign: the licence type must be listed, and the
 * issuer's USCC region (characters 3-8) must start with a listed prefix. A document signer given as an
 * object is limited further to its own licence_types and regions (each optional, "*" when absent).
 * Document signers listed here resolve compact licences (kid only); licences carrying an x5chain may be
 * signed by any document signer chaining to a root, unless require_listed_signers is true. A status
 * signer signs lists only under its uri_prefixes and speaks only for its issuers (each optional).
 * No chain may contain a certificate of revoked_signers.
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
 * licences under the same root whose status URI equals its subject. A list older (by iat) than one
 * already held for the same root and URI is ignored. `now` (Unix seconds; 0: the system clock) is when
 * the list was fetched: its ttl runs from then. Freshness is judged again at each verification against
 * the caller's clock (verify.h).
 * Errors: CERTLIB_E_STATUS_LIST (malformed, typ not protected, or exp not after iat),
 * CERTLIB_E_UNKNOWN_KID, CERTLIB_E_SIGNER_ROLE (not a status signer), CERTLIB_E_SIGNER_REVOKED,
 * CERTLIB_E_SIGNATURE, CERTLIB_E_DECOMPRESS, CERTLIB_E_STATUS_STALE (iat after now + skew),
 * CERTLIB_E_STATUS_SIGNER_VALIDITY (the signer's chain was not valid at iat or is not now),
 * CERTLIB_E_STATUS_SIGNER_SCOPE (the URI is outside the signer's uri_prefixes).
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ctx_add_status_list_at(certlib_ctx *ctx, const uint8_t *cwt,
                                                                         size_t len, int64_t now,
                                                                         int64_t clock_skew);
/** certlib_ctx_add_status_list_at with the system clock and no skew. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ctx_add_status_list(certlib_ctx *ctx, const uint8_t *cwt,
                                                                      size_t len);

/**
 * Adds a certificate revocation list (PEM or DER) signed by one of the bundle's roots; the newest of
 * each root is kept. Licences and status lists signed under a certificate it names fail with
 * CERTLIB_E_SIGNER_REVOKED. Errors: CERTLIB_E_CRL (malformed, a delta CRL, or an unknown critical
 * extension), CERTLIB_E_UNTRUSTED (no root of the bundle issued it), CERTLIB_E_SIGNATURE.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ctx_add_crl(certlib_ctx *ctx, const uint8_t *crl,
                                                              size_t len);

#ifdef __cplusplus
}
#endif
#endif
