/* Decoding an IssuerSigned licence and its mobile security object (ISO/IEC 18013-5 §8.3.2.1.2).
 * Shared by verification, disclosure and inspection. Everything is a slice into the input. Internal. */
#ifndef CERTLIB_LICENCE_PARSE_H
#define CERTLIB_LICENCE_PARSE_H

#include "certlib/licence.h"
#include "cose/cose.h"

typedef struct certlib__item {
    certlib_slice ns;
    certlib_slice whole; /* #6.24(bstr) as received: what the MSO digests */
    uint64_t digest_id;
    certlib_slice identifier;
    certlib_slice value; /* the encoded elementValue */
} certlib__item;

typedef struct certlib__digest {
    uint16_t ns; /* index into mso.ns */
    uint64_t id;
    const uint8_t *digest;
} certlib__value_digest;

typedef struct certlib__mso {
    certlib__digest_alg digest_alg;
    certlib_slice doc_type;
    int64_t signed_at, valid_from, valid_until;
    bool has_status;
    uint64_t status_idx;
    certlib_slice status_uri;
    certlib_slice device_key; /* encoded COSE_Key */
    certlib_slice ns[CERTLIB_LICENCE_MAX_NAMESPACES];
    size_t n_ns;
    certlib__value_digest *digests; /* sorted by (ns, id) */
    size_t n_digests;
} certlib__mso;

typedef struct certlib__licence {
    certlib__item *items;
    size_t n_items;
    certlib_slice name_spaces_raw; /* absent: empty */
    certlib_slice issuer_auth_raw; /* the COSE_Sign1 bytes as received */
    certlib__sign1 auth;
    certlib__mso mso;
} certlib__licence;

/* Parses the whole structure; on failure everything is released. */
certlib_err certlib__licence_parse(const uint8_t *p, size_t len, certlib__licence *out);
void certlib__licence_clear(certlib__licence *lic);

/* The digest the MSO holds for (ns, id); NULL when none. */
const uint8_t *certlib__mso_digest(const certlib__mso *mso, certlib_slice ns, uint64_t id);

/* The encoded COSE_Key every unbound licence carries (docs/formats.md). */
extern const uint8_t certlib__unbound_device_key[];
extern const size_t certlib__unbound_device_key_len;

#endif
