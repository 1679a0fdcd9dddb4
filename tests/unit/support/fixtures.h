/* Test fixtures over keys-example/: signers, trust bundles (the committed one or variants built on
 * the fly), standard licences, and a forger that writes licences field by field with certlib's
 * internal encoder, so tests can produce every malformed or inconsistent licence a verifier must
 * refuse. Test helper. */
#ifndef TESTS_FIXTURES_H
#define TESTS_FIXTURES_H

#include <stdbool.h>

#include "certlib/certlib.h"

/* Set once from argv: the keys-example directory. */
extern const char *fixture_keys_dir;

/* keys-example/pki/<alg>/<name>.{key,crt}; aborts the test on failure. */
certlib_signer *fixture_signer(const char *alg, const char *name);
/* A path under keys-example (static buffer, valid until the next call). */
const char *fixture_path(const char *rel);

/* A context over keys-example/trust.json. */
certlib_ctx *fixture_ctx(void);

/* A bundle in JSON: `roots` names algorithms ("sm2,p256"); every root gets `types` and `regions`
 * (JSON array text, e.g. "[\"33\"]"); `signers` and `status_signers` are comma-separated
 * "<alg>/<name>" lists. Returns a malloc'd string. */
char *fixture_bundle(const char *roots, const char *types, const char *regions, const char *signers,
                     const char *status_signers);
certlib_ctx *fixture_ctx_from(const char *bundle_json); /* frees nothing; aborts on load failure */

/* Issues the standard test licence (营业执照 for 杭州某某科技有限公司, 3 type-specific elements). */
#define FIXTURE_TYPE "11100000000013338W001"
#define FIXTURE_HOLDER_ID "91330106MA2H12349J" /* 杭州某某科技有限公司, 西湖区 */
#define FIXTURE_SIGNED 1795400000LL            /* 2026-11-23 */
#define FIXTURE_NOW 1795500000LL               /* a day later: the default check time */
/* The standard licence is of the signer's own type (the demo bundle scopes each department's signer
 * to its licence types): a spec naming FIXTURE_TYPE gets fixture_type_for(signer) instead. */
uint8_t *fixture_licence(certlib_signer *signer, certlib_licence_spec *overrides, size_t *len);
const char *fixture_type_for(const certlib_signer *signer);
/* The defaults fixture_licence uses, for tests that change one field. */
void fixture_spec(certlib_licence_spec *spec);

/* A signer whose certificate a test mints under a demo root (keys-example/pki/<alg>/root.key), with
 * the defects negative tests need. *cert_pem (when not NULL) receives the certificate, malloc'd. */
struct fixture_mint {
    const char *alg;               /* the root: "p256" or "ed25519" */
    bool status;                   /* a status-list signer: no document-signer extended key usage */
    bool no_digital_signature;     /* keyUsage keyEncipherment alone */
    int64_t not_before, not_after; /* 0: a year before FIXTURE_SIGNED, five years after */
    const char *issuer_code;       /* NULL: 杭州市市场监督管理局's */
};
certlib_signer *fixture_mint(const struct fixture_mint *m, char **cert_pem);

/* Verifies and returns the result (never NULL). */
certlib_result *fixture_verify(const certlib_ctx *ctx, const uint8_t *licence, size_t len, int64_t now);

#endif
