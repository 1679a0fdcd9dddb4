/* E-licences (电子证照): issuing, selective disclosure and the element model.
 *
 * A licence is an ISO/IEC 18013-5 `IssuerSigned` structure (docs/formats.md):
 *
 *   { "nameSpaces": { ns => [ #6.24(bstr .cbor IssuerSignedItem) ] }, "issuerAuth": COSE_Sign1(MSO) }
 *
 * The GB/T 36903 metadata lives in namespace "cn.gov.elicence.1"; type-specific elements in
 * "cn.gov.elicence.<licence type code>.1". Every element is an individually digested item, so any
 * subset can be disclosed and still verifies. The element `licence_id` is never dropped: it names the
 * licence type and the issuer, which verification checks against the trust bundle's scopes.
 */
#ifndef CERTLIB_LICENCE_H
#define CERTLIB_LICENCE_H

#include <stdbool.h>

#include "licence_id.h"
#include "signer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_DOCTYPE "cn.gov.elicence.1"
#define CERTLIB_NS_META "cn.gov.elicence.1"

/* Decoder limits: anything larger is refused with CERTLIB_E_CBOR_LIMIT. */
#define CERTLIB_LICENCE_MAX_BYTES (1024 * 1024) /* a whole licence, photos included */
#define CERTLIB_LICENCE_MAX_NAMESPACES 8
#define CERTLIB_LICENCE_MAX_ELEMENTS 256 /* disclosed items, and digests per licence */

/** The GB/T 36903 metadata elements, in the standard's order: every licence carries all twelve.
 *  certlib_metadata_element gives each one's identifier, certlib_element_label its Chinese name. */
typedef enum certlib_metadata {
    CERTLIB_META_LICENCE_ID = 0,          /* licence_id 电子证照标识 */
    CERTLIB_META_LICENCE_TYPE_CODE = 1,   /* licence_type_code 证照类型代码 */
    CERTLIB_META_LICENCE_NAME = 2,        /* licence_name 证照名称 */
    CERTLIB_META_LICENCE_NUMBER = 3,      /* licence_number 证照编号 */
    CERTLIB_META_HOLDER_NAME = 4,         /* holder_name 持证主体 */
    CERTLIB_META_HOLDER_ID_TYPE_CODE = 5, /* holder_id_type_code 持证主体代码类型代码 */
    CERTLIB_META_HOLDER_ID = 6,           /* holder_id 持证主体代码 */
    CERTLIB_META_ISSUER_NAME = 7,         /* issuer_name 证照颁发机构 */
    CERTLIB_META_ISSUER_CODE = 8,         /* issuer_code 证照颁发机构代码 */
    CERTLIB_META_ISSUE_DATE = 9,          /* issue_date 证照颁发日期 */
    CERTLIB_META_VALID_FROM = 10,         /* valid_from 有效期起始日期 */
    CERTLIB_META_VALID_UNTIL = 11,        /* valid_until 有效期截止日期 */
    CERTLIB_METADATA_COUNT = 12,
} certlib_metadata;

/* Holder id type codes (持证主体代码类型代码, GB/T 36903). */
#define CERTLIB_HOLDER_ID_TYPE_RIC "111"  /* 居民身份证 */
#define CERTLIB_HOLDER_ID_TYPE_USCC "001" /* 统一社会信用代码 */

typedef enum certlib_value_type {
    CERTLIB_VALUE_TEXT = 1,     /* tstr */
    CERTLIB_VALUE_INT = 2,      /* int */
    CERTLIB_VALUE_BOOL = 3,     /* bool */
    CERTLIB_VALUE_BYTES = 4,    /* bstr (a photo, a fingerprint template) */
    CERTLIB_VALUE_DATE = 5,     /* full-date: #6.1004("YYYY-MM-DD") */
    CERTLIB_VALUE_DATETIME = 6, /* tdate: #6.0("YYYY-MM-DDTHH:MM:SSZ") */
    CERTLIB_VALUE_OTHER = 7,    /* any other CBOR; only `raw` describes it */
} certlib_value_type;

/**
 * One element. As input to certlib_licence_issue, `ns` is ignored (the type-specific namespace is
 * used), `text` is NUL-terminated (or `text_len` bytes when non-zero) for TEXT, DATE and DATETIME,
 * `bytes` holds BYTES and `raw` holds OTHER's encoded CBOR. As output (certlib_result_element),
 * every string is NUL-terminated and owned by the result; `raw` is the value's encoding as signed.
 */
typedef struct certlib_element {
    const char *ns;
    const char *identifier;
    certlib_value_type type;
    const char *text;
    size_t text_len;
    int64_t integer;
    bool boolean;
    certlib_slice bytes;
    certlib_slice raw;
} certlib_element;

/** What to issue. Zero means "default" where a default is named. */
typedef struct certlib_licence_spec {
    const char *licence_type_code;   /* 证照类型代码 (21 characters); required */
    const char *licence_name;        /* 证照名称, e.g. "营业执照"; required */
    const char *licence_number;      /* 证照编号; default: the serial */
    const char *serial;              /* 流水号 [0-9A-Z]{1,64}; default: 20 random characters */
    unsigned version;                /* 版本号 1-999; default 1 */
    const char *holder_name;         /* 持证主体; required */
    const char *holder_id;           /* 持证主体代码: identity number or USCC, checked and normalised */
    const char *holder_id_type_code; /* default: "111" for identity numbers, "001" for USCCs */
    const char *issuer_name;         /* 颁发机构; default: the signer certificate's O */
    int64_t signed_at;               /* Unix seconds; default: now */
    int64_t valid_from;              /* default: signed_at */
    int64_t valid_until;             /* required, after valid_from */
    const certlib_element *elements; /* type-specific elements, in "cn.gov.elicence.<type>.1" */
    size_t n_elements;
    const char *status_uri; /* status list URI; NULL: the licence carries no status reference */
    uint64_t status_idx;
    certlib_slice device_key; /* holder's COSE_Key (certlib_cose_key_from_pem); empty: unbound */
    bool with_x5chain;        /* embed the signer certificate (larger; verifiers need no kid lookup) */
} certlib_licence_spec;

/**
 * Issues a licence: builds the GB/T 36903 metadata (licence_id, licence_type_code, licence_name,
 * licence_number, holder_name, holder_id_type_code, holder_id, issuer_name, issuer_code, issue_date,
 * valid_from, valid_until), the type-specific items, the MSO (SHA-256, or SM3 for SM2 signers) and the
 * COSE_Sign1 by `signer`. The issuer code is the signer certificate's USCC, so a signer certificate
 * without one cannot issue. `*out` is allocated; free it with certlib_free. `licence_id`, when not
 * NULL, receives the identifier (CERTLIB_LICENCE_ID_MAX bytes).
 *
 * Errors: CERTLIB_E_INVALID_ARGUMENT for missing required fields or a bad window, CERTLIB_E_IDENT_*
 * for a bad holder id, CERTLIB_E_LICENCE_ID for bad codes, CERTLIB_E_ELEMENT_VALUE for a bad element,
 * CERTLIB_E_KEY for a malformed device key, CERTLIB_E_ISSUER_MISMATCH when the signer has no USCC.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_licence_issue(const certlib_signer *signer,
                                                                const certlib_licence_spec *spec,
                                                                uint8_t **out, size_t *out_len,
                                                                char *licence_id);

/** certlib_licence_issue, and `sig_hash` (when not NULL) receives what certlib_licence_signature_hash
 *  would give for the licence, from the issuerAuth bytes just written: an issuer logging its
 *  signatures needs not parse what it signed. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_licence_issue_ex(const certlib_signer *signer,
                                                                   const certlib_licence_spec *spec,
                                                                   uint8_t **out, size_t *out_len,
                                                                   char *licence_id, uint8_t sig_hash[32]);

/**
 * Selective disclosure: copies the licence keeping only the elements named in `keep` (each either
 * "identifier" or "namespace/identifier") plus `licence_id`. issuerAuth and the kept items are copied
 * byte for byte, so the result verifies exactly as the original. `*out` is freed with certlib_free.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_licence_disclose(const uint8_t *licence, size_t len,
                                                                   const char *const *keep, size_t n_keep,
                                                                   uint8_t **out, size_t *out_len);

/**
 * SHA-256 of the licence's issuerAuth bytes: what a signature log records for each issuance
 * (logentry.h). Disclosure keeps issuerAuth byte for byte, so every disclosed copy has the same hash.
 * Errors are certlib_licence_verify's structure errors.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_licence_signature_hash(const uint8_t *licence, size_t len,
                                                                         uint8_t out[32]);

/**
 * Encodes a holder's device public key (PEM SubjectPublicKeyInfo; P-256 or Ed25519) as a COSE_Key
 * (RFC 9053: EC2 with crv 1, or OKP with crv 6). `*out` is freed with certlib_free.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_cose_key_from_pem(certlib_slice pem, uint8_t **out,
                                                                    size_t *out_len);

/** The Chinese label of a GB/T 36903 metadata element ("licence_id" → "电子证照标识"); NULL for
 *  other identifiers (so it also tells metadata from type-specific elements). Static string. */
CERTLIB_API const char *certlib_element_label(const char *identifier);

/** The identifier of metadata element `which` ("licence_id" for CERTLIB_META_LICENCE_ID); NULL when
 *  out of range. Static string. */
CERTLIB_API const char *certlib_metadata_element(certlib_metadata which);

/** The type-specific namespace of a licence type: "cn.gov.elicence.<type code>.1" into `out`. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_type_namespace(const char *licence_type_code, char *out,
                                                                 size_t cap);
/** The inverse: the type code of a type-specific namespace into `out` (22 bytes). CERTLIB_E_LICENCE_ID
 *  for any other namespace (the metadata's too). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_namespace_type(const char *ns, char out[22]);

/** Frees memory certlib allocated for the caller (licences, status lists, keys). NULL is a no-op. */
CERTLIB_API void certlib_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
