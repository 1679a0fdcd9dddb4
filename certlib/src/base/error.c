/* Names and descriptions of certlib_err codes. */
#include "certlib/error.h"

struct err_text {
    certlib_err code;
    const char *name;
    const char *text;
};

static const struct err_text texts[] = {
    {CERTLIB_OK, "ok", "success"},
    {CERTLIB_E_INVALID_ARGUMENT, "invalid_argument", "invalid argument to a certlib function"},
    {CERTLIB_E_NOMEM, "out_of_memory", "out of memory"},
    {CERTLIB_E_BUFFER_TOO_SMALL, "buffer_too_small", "output buffer too small"},
    {CERTLIB_E_INTERNAL, "internal_error", "internal error in a cryptographic or system library"},
    {CERTLIB_E_SIGNER_UNAVAILABLE, "signer_unavailable", "an external signing device cannot sign now"},
    {CERTLIB_E_IDENT_EMPTY, "ident_empty", "the identifier is empty"},
    {CERTLIB_E_IDENT_ENCODING, "ident_encoding",
     "the identifier contains control characters or invalid UTF-8"},
    {CERTLIB_E_IDENT_LENGTH, "ident_length",
     "no identifier kind has this length (15 or 18 for people, 18 for a USCC, 9 for an organisation code)"},
    {CERTLIB_E_IDENT_CHARSET, "ident_charset", "a character is not allowed at its position"},
    {CERTLIB_E_IDENT_CHECKSUM, "ident_checksum", "the check character does not match"},
    {CERTLIB_E_IDENT_REGION, "ident_region", "the region code never appeared in GB/T 2260"},
    {CERTLIB_E_IDENT_DATE, "ident_date", "the birth date is not a calendar date"},
    {CERTLIB_E_IDENT_DATE_RANGE, "ident_date_range", "the birth date is before 1870 or in the future"},
    {CERTLIB_E_IDENT_CATEGORY, "ident_category",
     "the registration authority and organisation category pair is not assigned by GB 32100"},
    {CERTLIB_E_IDENT_ORG_CODE, "ident_org_code",
     "the embedded GB 11714 organisation code fails its check character"},
    {CERTLIB_E_IDENT_KIND, "ident_kind", "the identifier is valid but not of an accepted kind"},
    {CERTLIB_E_IDENT_NOT_LEGACY, "ident_not_legacy",
     "only a legacy 15-digit identity number can be upgraded"},
    {CERTLIB_E_REGION_CODE, "region_code", "a region code must have six digits and a province part"},
    {CERTLIB_E_CBOR_TRUNCATED, "cbor_truncated", "the input ends inside a CBOR data item"},
    {CERTLIB_E_CBOR_TRAILING, "cbor_trailing", "bytes follow the end of the encoded item"},
    {CERTLIB_E_CBOR_MALFORMED, "cbor_malformed", "the input is not well-formed CBOR"},
    {CERTLIB_E_CBOR_DEPTH, "cbor_depth", "CBOR nesting is deeper than allowed"},
    {CERTLIB_E_CBOR_LIMIT, "cbor_limit", "a length, count or size is over its limit"},
    {CERTLIB_E_CBOR_TYPE, "cbor_type", "an item has the wrong type or a required field is missing"},
    {CERTLIB_E_CBOR_NOT_PREFERRED, "cbor_not_preferred",
     "indefinite lengths and longer-than-needed CBOR heads are not accepted"},
    {CERTLIB_E_CBOR_DUPLICATE_KEY, "cbor_duplicate_key", "a CBOR map holds the same key twice"},
    {CERTLIB_E_COSE_HEADER, "cose_header",
     "COSE headers are missing, malformed or name an unknown critical header"},
    {CERTLIB_E_MSO, "mso_malformed", "the mobile security object lacks or misstates a required field"},
    {CERTLIB_E_LICENCE_ID, "licence_id_format", "the licence identifier is not of the GB/T 36904 form"},
    {CERTLIB_E_LICENCE_ID_CHECKSUM, "licence_id_checksum",
     "the licence identifier's check character does not match"},
    {CERTLIB_E_ELEMENT_MISSING, "element_missing", "a required element is absent"},
    {CERTLIB_E_DUPLICATE_DIGEST_ID, "duplicate_digest_id", "two items or digests share one digestID"},
    {CERTLIB_E_STATUS_LIST, "status_list_malformed", "the status list token is malformed"},
    {CERTLIB_E_TRUST_BUNDLE, "trust_bundle_malformed", "the trust bundle is malformed"},
    {CERTLIB_E_DATE, "date_format", "a date or date-time is not of the required form"},
    {CERTLIB_E_CERTIFICATE, "certificate_malformed",
     "a certificate cannot be parsed or lacks a required field"},
    {CERTLIB_E_ELEMENT_VALUE, "element_value", "an element value has the wrong type or form"},
    {CERTLIB_E_KEY, "key_unsupported", "a key cannot be parsed or is of an unsupported kind"},
    {CERTLIB_E_DECOMPRESS, "decompress", "compressed data is corrupt or inflates past its limit"},
    {CERTLIB_E_QR_PREFIX, "qr_prefix", "the QR text does not start with EL1:"},
    {CERTLIB_E_NOTE, "note_malformed", "the signed note is malformed"},
    {CERTLIB_E_CHECKPOINT, "checkpoint_malformed", "the checkpoint text is malformed"},
    {CERTLIB_E_TLOG_PROOF, "tlog_proof_malformed", "the transparency log proof is malformed"},
    {CERTLIB_E_TILE, "tile_malformed", "the tile path, tile or entry bundle is malformed or truncated"},
    {CERTLIB_E_PROOF_LENGTH, "proof_length", "the Merkle proof has the wrong number of hashes"},
    {CERTLIB_E_LOG_ENTRY, "log_entry_malformed", "the log entry is not of the documented form"},
    {CERTLIB_E_NOTE_SIGNATURE, "note_signature",
     "a known key's note signature does not verify, or no known key signed the note"},
    {CERTLIB_E_PROOF, "proof_mismatch", "the Merkle proof does not lead to the expected root"},
    {CERTLIB_E_TLOG_INDEX, "tlog_index", "a log index or tree size is out of range"},
    {CERTLIB_E_LOG_ORIGIN, "log_origin", "the checkpoint names another log"},
    {CERTLIB_E_NOT_LOGGED, "not_logged", "the receipt does not show this licence's signature in the log"},
    {CERTLIB_E_CHALLENGE, "challenge_malformed", "the challenge text is malformed"},
    {CERTLIB_E_PRESENTATION, "presentation_malformed",
     "the presentation is not a DeviceResponse of this profile"},
    {CERTLIB_E_DEVICE_SIGNATURE_MISSING, "device_signature_missing",
     "the presentation has no device signature"},
    {CERTLIB_E_DEVICE_SIGNATURE, "device_signature_invalid",
     "the device signature does not verify under the licence's device key"},
    {CERTLIB_E_CHALLENGE_COUNTER, "challenge_counter",
     "the presentation answers another counter's challenge"},
    {CERTLIB_E_CHALLENGE_NONCE, "challenge_nonce",
     "the presentation answers another nonce: stale, replayed or made for another challenge"},
    {CERTLIB_E_BASE45, "base45", "the QR text is not valid Base45"},
    {CERTLIB_E_DUPLICATE_ELEMENT, "duplicate_element", "a namespace names the same element twice"},
    {CERTLIB_E_CRL, "crl_malformed", "the certificate revocation list cannot be parsed"},
    {CERTLIB_E_BASE64URL, "base64url", "not canonical base64url without padding"},
    {CERTLIB_E_MARK, "mark_malformed", "the disclosure mark or its reference is malformed"},
    {CERTLIB_E_WITNESS_REQUEST, "witness_request_malformed", "the add-checkpoint request body is malformed"},
    {CERTLIB_E_VP_REQUEST, "vp_request_malformed", "the presentation request or its DCQL query is malformed"},
    {CERTLIB_E_TRUST_LIST, "trust_list_malformed", "the signed trust list is malformed"},
    {CERTLIB_E_READER_UNTRUSTED, "reader_untrusted",
     "the request is not signed by a reader certificate under a reader root of the trust bundle"},
    {CERTLIB_E_READER_UNREGISTERED, "reader_unregistered",
     "the trust bundle registers the requesting reader for no matter"},
    {CERTLIB_E_REQUEST_BEYOND_MATTER, "request_beyond_matter",
     "the request asks for more than any matter the reader is registered for needs"},
    {CERTLIB_E_REQUEST_EXPIRED, "request_expired", "the presentation request has expired"},
    {CERTLIB_E_TRUST_LIST_EXPIRED, "trust_list_expired", "the signed trust list is expired or not yet valid"},
    {CERTLIB_E_TRUST_LIST_ROLLBACK, "trust_list_rollback",
     "the signed trust list is older than one already accepted"},
    {CERTLIB_E_MARK_ENTRY, "mark_entry_mismatch",
     "the disclosure mark does not match the access-log entry it names"},
    {CERTLIB_E_MARK_LICENCE, "mark_licence_mismatch",
     "the licence is not one the disclosure mark was given for"},
    {CERTLIB_E_NOT_VERIFIED, "not_verified", "the licence was only read, not verified"},
    {CERTLIB_E_NOT_WITNESSED, "not_witnessed",
     "fewer witnesses cosigned the log's checkpoint than the witness policy requires"},
    {CERTLIB_E_HOLDER_MISMATCH, "holder_mismatch", "the disclosed holder is not the expected one"},
    {CERTLIB_E_HOLDER_NOT_DISCLOSED, "holder_not_disclosed",
     "a holder was expected, but the licence does not disclose holder_id"},
    {CERTLIB_E_NOT_HOLDER_BOUND, "not_holder_bound",
     "holder binding is required, and the licence is not bound to a device"},
    {CERTLIB_E_SIGNER_REVOKED, "signer_revoked", "the signer's certificate has been revoked"},
    {CERTLIB_E_SIGNER_NOT_LISTED, "signer_not_listed",
     "the trust bundle accepts only the signers it lists, and this one is not listed"},
    {CERTLIB_E_STATUS_SIGNER_VALIDITY, "status_signer_validity",
     "the status list's signer certificate is not valid at the time that matters"},
    {CERTLIB_E_STATUS_SIGNER_SCOPE, "status_signer_scope",
     "the status list's signer may not sign lists for this issuer or URI"},
    {CERTLIB_E_CHALLENGE_EXPIRED, "challenge_expired", "the challenge the presentation answers has expired"},
    {CERTLIB_E_CHALLENGE_REPLAYED, "challenge_replayed",
     "the challenge the presentation answers was answered before: a replayed answer"},
    {CERTLIB_E_SIGNATURE, "signature_invalid", "the signature does not verify"},
    {CERTLIB_E_UNKNOWN_KID, "unknown_kid", "no trusted certificate has the signature's key id"},
    {CERTLIB_E_ALG_MISMATCH, "alg_mismatch", "the signature algorithm does not fit the signer's key"},
    {CERTLIB_E_UNSUPPORTED_ALG, "unsupported_alg", "the algorithm is not supported"},
    {CERTLIB_E_DIGEST_MISMATCH, "digest_mismatch", "a disclosed element does not match its signed digest"},
    {CERTLIB_E_DIGEST_MISSING, "digest_missing", "a disclosed element has no signed digest"},
    {CERTLIB_E_UNSUPPORTED_DIGEST, "unsupported_digest", "the digest algorithm is not supported"},
    {CERTLIB_E_UNTRUSTED, "untrusted", "the signer does not chain to a trusted root"},
    {CERTLIB_E_SCOPE_TYPE, "scope_licence_type",
     "the trust bundle does not let this signer sign this licence type"},
    {CERTLIB_E_SCOPE_REGION, "scope_region",
     "the issuer's region is outside the scope the trust bundle gives this signer"},
    {CERTLIB_E_ISSUER_MISMATCH, "issuer_mismatch", "the licence names an issuer other than its signer"},
    {CERTLIB_E_EXPIRED, "expired", "the licence has expired"},
    {CERTLIB_E_NOT_YET_VALID, "not_yet_valid", "the licence is not yet valid"},
    {CERTLIB_E_CERT_EXPIRED, "certificate_expired", "a certificate of the chain has expired"},
    {CERTLIB_E_CERT_NOT_YET_VALID, "certificate_not_yet_valid",
     "a certificate of the chain is not yet valid"},
    {CERTLIB_E_SIGNED_OUTSIDE_CERT, "signed_outside_certificate",
     "the signing time is outside the signer certificate's validity"},
    {CERTLIB_E_REVOKED, "revoked", "the licence has been revoked"},
    {CERTLIB_E_SUSPENDED, "suspended", "the licence is suspended"},
    {CERTLIB_E_STATUS_UNKNOWN, "status_unknown", "no fresh, trusted status list covers the licence"},
    {CERTLIB_E_STATUS_INDEX, "status_index", "the status index is outside the status list"},
    {CERTLIB_E_DOCTYPE, "doctype", "the document type is not an e-licence"},
    {CERTLIB_E_ELEMENT_INCONSISTENT, "element_inconsistent",
     "a disclosed element contradicts the licence identifier"},
    {CERTLIB_E_SIGNER_ROLE, "signer_role", "the certificate is not allowed to sign this kind of object"},
    {CERTLIB_E_STATUS_SIGNER, "status_signer",
     "the status list is not signed under the licence's trusted root"},
    {CERTLIB_E_STATUS_STALE, "status_stale", "the status list has expired or is dated in the future"},
    {CERTLIB_E_IO_OPEN, "io_open", "a file could not be opened"},
    {CERTLIB_E_IO_READ, "io_read", "reading a file failed"},
    {CERTLIB_E_IO_FORMAT, "io_format", "a data file is not in the documented format"},
};

static const struct err_text *find(certlib_err err)
{
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (texts[i].code == err) return &texts[i];
    return NULL;
}

certlib_err_class certlib_err_class_of(certlib_err err)
{
    if (!find(err)) return CERTLIB_CLASS_UNKNOWN;
    int code = (int)err;
    if (code == 0) return CERTLIB_CLASS_OK;
    if (code < 100) return CERTLIB_CLASS_MISUSE;
    if (code < 200) return CERTLIB_CLASS_IDENT;
    if (code < 300) return CERTLIB_CLASS_MALFORMED;
    if (code < 400) return CERTLIB_CLASS_CRYPTO;
    if (code < 500) return CERTLIB_CLASS_POLICY;
    if (code < 600) return CERTLIB_CLASS_IO;
    return CERTLIB_CLASS_UNKNOWN;
}

const char *certlib_err_name(certlib_err err)
{
    const struct err_text *t = find(err);
    return t ? t->name : "unknown_error";
}

const char *certlib_strerror(certlib_err err)
{
    const struct err_text *t = find(err);
    return t ? t->text : "unknown error code";
}
