/* A licence forger for negative tests: writes IssuerSigned field by field (text elements only) and
 * signs it with a real key, so a test can set any field to any value, including ones certlib's
 * issuer would never produce. Test helper. */
#ifndef TESTS_FORGE_H
#define TESTS_FORGE_H

#include <stdbool.h>

#include "certlib/certlib.h"

#define FORGE_MAX_ITEMS 24

struct forge_item {
    const char *ns; /* NULL: cn.gov.elicence.1 */
    uint64_t digest_id;
    const char *identifier;
    size_t identifier_len; /* 0: strlen(identifier); more to forge one with a NUL byte inside */
    const char *text;
    size_t random_len; /* 0: 16 */
    bool not_in_mso;   /* disclose it, but leave its digest out of the MSO */
};

struct forge {
    certlib_signer *signer;
    const char *doc_type;   /* NULL: cn.gov.elicence.1 */
    const char *version;    /* NULL: "1.0" */
    const char *digest_alg; /* NULL: "SHA-256" (digests are SHA-256 unless "SM3") */
    int64_t alg;            /* 0: the signer's */
    const uint8_t *kid;     /* NULL: the signer's */
    int64_t signed_at, valid_from, valid_until;
    struct forge_item items[FORGE_MAX_ITEMS];
    size_t n_items;
    size_t extra_namespaces; /* that many more single-item namespaces */
    bool x5chain_in_both;    /* the signer certificate as x5chain in the protected and unprotected headers */
};

/* Fills the standard metadata items (licence_id issued by the signer for FIXTURE_TYPE, holder). */
void forge_defaults(struct forge *f, certlib_signer *signer);
struct forge_item *forge_find(struct forge *f, const char *identifier);
uint8_t *forge_licence(const struct forge *f, size_t *len);

#endif
