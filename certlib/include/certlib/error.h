/* The library-wide error model.
 *
 * Every fallible certlib function returns a certlib_err: CERTLIB_OK (0) on success, otherwise one of
 * the codes below. Codes are stable forever: a number is never reused, and a retired code stays
 * reserved. They are grouped in ranges by cause so callers can classify an error without knowing
 * every code (certlib_err_class), and each has a stable snake_case name (certlib_err_name) that the
 * daemon and the command-line tool use as the machine-readable `code`/`reason` in their output.
 *
 *   0          success
 *   1 - 99     misuse of the API or resource exhaustion           (CERTLIB_CLASS_MISUSE)
 *   100 - 199  an identifier (identity number, USCC, ...) is invalid (CERTLIB_CLASS_IDENT)
 *   200 - 299  malformed encoded input (CBOR, COSE, Base45, ...)   (CERTLIB_CLASS_MALFORMED)
 *   300 - 399  a cryptographic check failed                        (CERTLIB_CLASS_CRYPTO)
 *   400 - 499  a policy, trust, validity or status check failed    (CERTLIB_CLASS_POLICY)
 *   500 - 599  input/output                                        (CERTLIB_CLASS_IO)
 */
#ifndef CERTLIB_ERROR_H
#define CERTLIB_ERROR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum certlib_err {
    CERTLIB_OK = 0,

    /* misuse and resources */
    CERTLIB_E_INVALID_ARGUMENT = 1,   /* a NULL pointer or out-of-range argument */
    CERTLIB_E_NOMEM = 2,              /* memory allocation failed */
    CERTLIB_E_BUFFER_TOO_SMALL = 3,   /* the caller's output buffer cannot hold the result */
    CERTLIB_E_INTERNAL = 4,           /* a dependency failed in a way that is not the input's fault */
    CERTLIB_E_SIGNER_UNAVAILABLE = 5, /* an external signing device cannot sign now (removed, logged out) */

    /* identifiers (GB 11643, GB 32100, GB 11714, GB/T 2260) */
    CERTLIB_E_IDENT_EMPTY = 100,      /* no characters at all */
    CERTLIB_E_IDENT_ENCODING = 101,   /* NUL, control characters or invalid UTF-8 */
    CERTLIB_E_IDENT_LENGTH = 102,     /* not a length any supported identifier has */
    CERTLIB_E_IDENT_CHARSET = 103,    /* a character the identifier's alphabet does not allow */
    CERTLIB_E_IDENT_CHECKSUM = 104,   /* the check character does not match */
    CERTLIB_E_IDENT_REGION = 105,     /* the address/region code never appeared in GB/T 2260 */
    CERTLIB_E_IDENT_DATE = 106,       /* the birth date is not a calendar date */
    CERTLIB_E_IDENT_DATE_RANGE = 107, /* the birth date is before 1870 or in the future */
    CERTLIB_E_IDENT_CATEGORY = 108,   /* USCC authority/category pair not assigned by GB 32100 */
    CERTLIB_E_IDENT_ORG_CODE = 109,   /* the embedded GB 11714 organisation code fails its check */
    CERTLIB_E_IDENT_KIND = 110,       /* valid, but not of a kind the caller accepts */
    CERTLIB_E_IDENT_NOT_LEGACY = 111, /* upgrade asked for a number that is not a 15-digit one */
    CERTLIB_E_REGION_CODE = 112,      /* a region code given to the region table is malformed */

    /* malformed encoded input (CBOR, COSE, licences, status lists, trust bundles) */
    CERTLIB_E_CBOR_TRUNCATED = 200,      /* the input ends inside a data item */
    CERTLIB_E_CBOR_TRAILING = 201,       /* bytes follow the end of the top-level item */
    CERTLIB_E_CBOR_MALFORMED = 202,      /* not well-formed CBOR (reserved values, bad UTF-8 text) */
    CERTLIB_E_CBOR_DEPTH = 203,          /* nesting deeper than the decoder allows */
    CERTLIB_E_CBOR_LIMIT = 204,          /* a length, count or size is over its documented limit */
    CERTLIB_E_CBOR_TYPE = 205,           /* an item has the wrong type or a required field is missing */
    CERTLIB_E_CBOR_NOT_PREFERRED = 206,  /* indefinite length or a longer-than-needed head */
    CERTLIB_E_CBOR_DUPLICATE_KEY = 207,  /* a map holds the same key twice */
    CERTLIB_E_COSE_HEADER = 208,         /* COSE headers missing, malformed, or with an unknown crit */
    CERTLIB_E_MSO = 209,                 /* the mobile security object lacks or misstates a field */
    CERTLIB_E_LICENCE_ID = 210,          /* a licence identifier is not of the GB/T 36904 form */
    CERTLIB_E_LICENCE_ID_CHECKSUM = 211, /* a licence identifier's MOD 37,36 check character is wrong */
    CERTLIB_E_ELEMENT_MISSING = 212,     /* a required element is absent */
    CERTLIB_E_DUPLICATE_DIGEST_ID = 213, /* two items or digests share one digestID */
    CERTLIB_E_STATUS_LIST = 214,         /* a status list token is malformed */
    CERTLIB_E_TRUST_BUNDLE = 215,        /* a trust bundle is malformed */
    CERTLIB_E_DATE = 216,                /* a date or date-time is not of the required form */
    CERTLIB_E_CERTIFICATE = 217,         /* a certificate cannot be parsed or lacks a required field */
    CERTLIB_E_ELEMENT_VALUE = 218,       /* an element value has the wrong type or form */
    CERTLIB_E_KEY = 219,                 /* a key cannot be parsed or is of an unsupported kind */
    CERTLIB_E_DECOMPRESS = 220,          /* compressed data is corrupt or inflates past its limit */
    CERTLIB_E_QR_PREFIX = 221,           /* QR text without the "EL1:" prefix */
    CERTLIB_E_BASE45 = 222,              /* not valid Base45 (RFC 9285) */
    CERTLIB_E_NOTE = 223,                /* a signed note is malformed (C2SP signed-note) */
    CERTLIB_E_CHECKPOINT = 224,          /* a checkpoint's text is malformed (C2SP tlog-checkpoint) */
    CERTLIB_E_TLOG_PROOF = 225,          /* a tlog-proof receipt is malformed */
    CERTLIB_E_TILE = 226,                /* a tile path, tile or entry bundle is malformed or truncated */
    CERTLIB_E_PROOF_LENGTH = 227,        /* a Merkle proof has the wrong number of hashes */
    CERTLIB_E_LOG_ENTRY = 228,           /* a log entry is not of the documented form */
    CERTLIB_E_CHALLENGE = 229,           /* a counter's challenge text is malformed */
    CERTLIB_E_PRESENTATION = 230,        /* a presentation is not a DeviceResponse of this profile */
    CERTLIB_E_DUPLICATE_ELEMENT = 231,   /* a namespace names the same element twice */
    CERTLIB_E_CRL = 232,                 /* a certificate revocation list cannot be parsed */
    CERTLIB_E_BASE64URL = 233,           /* not base64url without padding (RFC 4648 §5), or not canonical */
    CERTLIB_E_MARK = 234,                /* a disclosure mark or its reference is malformed (mark.h) */
    CERTLIB_E_WITNESS_REQUEST = 235,     /* a tlog-witness add-checkpoint request body is malformed */
    CERTLIB_E_VP_REQUEST = 236,          /* an OpenID4VP request object or its DCQL query is malformed */
    CERTLIB_E_TRUST_LIST = 237,          /* a signed trust list is malformed (trust_list.h) */

    /* cryptographic checks */
    CERTLIB_E_SIGNATURE = 300,          /* the signature does not verify (altered data or wrong key) */
    CERTLIB_E_UNKNOWN_KID = 301,        /* no trusted certificate has the signature's key id */
    CERTLIB_E_ALG_MISMATCH = 302,       /* the signature algorithm does not fit the signer's key */
    CERTLIB_E_UNSUPPORTED_ALG = 303,    /* an algorithm this library does not implement */
    CERTLIB_E_DIGEST_MISMATCH = 304,    /* a disclosed element does not match its signed digest */
    CERTLIB_E_DIGEST_MISSING = 305,     /* a disclosed element has no signed digest */
    CERTLIB_E_UNSUPPORTED_DIGEST = 306, /* a digest algorithm this library does not implement */
    CERTLIB_E_NOTE_SIGNATURE = 307,     /* a known key's note signature fails, or no known key signed */
    CERTLIB_E_PROOF = 308,              /* a Merkle proof leads to another root: the log is inconsistent */
    CERTLIB_E_DEVICE_SIGNATURE_MISSING = 309, /* a presentation without a device signature */
    CERTLIB_E_DEVICE_SIGNATURE = 310, /* the device signature does not verify under the licence's key */
    CERTLIB_E_MARK_ENTRY = 311,       /* a disclosure mark does not match the access-log entry it names */
    CERTLIB_E_MARK_LICENCE = 312,     /* a licence is not one a disclosure mark was given for */

    /* policy, trust, validity and status */
    CERTLIB_E_UNTRUSTED = 400,       /* no chain from the signer to a trusted root */
    CERTLIB_E_SCOPE_TYPE = 401,      /* the bundle scopes the signer (or its root) to other licence types */
    CERTLIB_E_SCOPE_REGION = 402,    /* the issuer's region is outside the signer's (or its root's) scope */
    CERTLIB_E_ISSUER_MISMATCH = 403, /* the licence names an issuer other than its signer */
    CERTLIB_E_EXPIRED = 404,         /* the licence's validity ended before the check time */
    CERTLIB_E_NOT_YET_VALID = 405,   /* the licence's validity starts after the check time */
    CERTLIB_E_CERT_EXPIRED = 406,    /* a certificate of the chain has expired at the check time */
    CERTLIB_E_CERT_NOT_YET_VALID = 407,   /* a certificate of the chain is not yet valid */
    CERTLIB_E_SIGNED_OUTSIDE_CERT = 408,  /* the signing time is outside the signer certificate's validity */
    CERTLIB_E_REVOKED = 409,              /* the status list says revoked */
    CERTLIB_E_SUSPENDED = 410,            /* the status list says suspended */
    CERTLIB_E_STATUS_UNKNOWN = 411,       /* no fresh, trusted status list covers the licence */
    CERTLIB_E_STATUS_INDEX = 412,         /* the licence's status index is outside the list */
    CERTLIB_E_DOCTYPE = 413,              /* the document type is not an e-licence */
    CERTLIB_E_ELEMENT_INCONSISTENT = 414, /* a disclosed element contradicts the licence identifier */
    CERTLIB_E_SIGNER_ROLE = 415,          /* the certificate is not allowed to sign this kind of object */
    CERTLIB_E_STATUS_SIGNER = 416,        /* the status list is not signed under the licence's root */
    CERTLIB_E_STATUS_STALE = 417,         /* the status list has expired (or is issued in the future) */
    CERTLIB_E_TLOG_INDEX = 418,           /* a log index or size is out of range (index >= size, ...) */
    CERTLIB_E_LOG_ORIGIN = 419,           /* a checkpoint names another log than the expected one */
    CERTLIB_E_NOT_LOGGED = 420,           /* the receipt does not show this licence's signature logged */
    CERTLIB_E_CHALLENGE_COUNTER = 421,    /* the presentation answers another counter's challenge */
    CERTLIB_E_CHALLENGE_NONCE = 422,      /* the presentation answers another (stale or replayed) nonce */
    CERTLIB_E_HOLDER_MISMATCH = 423,      /* the disclosed holder is not the one the verifier expected */
    CERTLIB_E_HOLDER_NOT_DISCLOSED = 424, /* a holder was expected, but holder_id is not disclosed */
    CERTLIB_E_NOT_HOLDER_BOUND = 425,     /* holder binding is required, and the licence binds no device */
    CERTLIB_E_SIGNER_REVOKED = 426,       /* the signer's certificate is revoked (a CRL, or the deny-list) */
    CERTLIB_E_SIGNER_NOT_LISTED = 427,    /* the bundle accepts only listed signers, and this one is not */
    CERTLIB_E_STATUS_SIGNER_VALIDITY = 428, /* the status list's signer certificate is not valid then */
    CERTLIB_E_STATUS_SIGNER_SCOPE = 429,    /* the status signer may not speak for this issuer or list URI */
    CERTLIB_E_CHALLENGE_EXPIRED = 430,      /* the challenge a presentation answers is past its time */
    CERTLIB_E_CHALLENGE_REPLAYED = 431,     /* the challenge a presentation answers was answered before */
    CERTLIB_E_NOT_VERIFIED = 432,           /* the licence was read (certlib_licence_read), not verified */
    CERTLIB_E_NOT_WITNESSED = 433,          /* fewer witnesses cosigned the checkpoint than the policy asks */
    CERTLIB_E_READER_UNTRUSTED = 434,   /* a request's signer is not a reader certificate under a reader root */
    CERTLIB_E_READER_UNREGISTERED = 435, /* the bundle registers the request's reader for no matter */
    CERTLIB_E_REQUEST_BEYOND_MATTER = 436, /* a request asks for more than the reader's matters need */
    CERTLIB_E_REQUEST_EXPIRED = 437,       /* a request is past its expiry */
    CERTLIB_E_TRUST_LIST_EXPIRED = 438,    /* a signed trust list is expired (or issued in the future) */
    CERTLIB_E_TRUST_LIST_ROLLBACK = 439,   /* a signed trust list is older than one already accepted */

    /* input/output */
    CERTLIB_E_IO_OPEN = 500,   /* a file could not be opened */
    CERTLIB_E_IO_READ = 501,   /* reading a file failed */
    CERTLIB_E_IO_FORMAT = 502, /* a data file is not in the documented format */
} certlib_err;

typedef enum certlib_err_class {
    CERTLIB_CLASS_OK = 0,
    CERTLIB_CLASS_MISUSE = 1,
    CERTLIB_CLASS_IDENT = 2,
    CERTLIB_CLASS_MALFORMED = 3,
    CERTLIB_CLASS_CRYPTO = 4,
    CERTLIB_CLASS_POLICY = 5,
    CERTLIB_CLASS_IO = 6,
    CERTLIB_CLASS_UNKNOWN = 7,
} certlib_err_class;

/** The range an error belongs to; CERTLIB_CLASS_UNKNOWN for numbers this build does not know. */
CERTLIB_API certlib_err_class certlib_err_class_of(certlib_err err);

/** A stable machine-readable name such as "ident_checksum"; "unknown_error" for unknown numbers.
 *  The returned string is static. */
CERTLIB_API const char *certlib_err_name(certlib_err err);

/** A one-sentence English description. The returned string is static. Never contains input data. */
CERTLIB_API const char *certlib_strerror(certlib_err err);

#ifdef __cplusplus
}
#endif
#endif
