/* The citizen's side of OpenID4VP (docs/formats.md, "The wallet's checks"): what an app linking certlib
 * needs to answer a counter's presentation request, with reader authentication and minimum necessary
 * checked before anything is shown to the citizen.
 *
 * certlib_vp_request_parse checks the request object (the JWT fetched from the QR's request_uri) against
 * the trust bundle in `ctx`:
 *   - a compact JWS, ES256, typ "oauth-authz-req+jwt", signed by the first certificate of its x5c;
 *   - that certificate chains to a reader root of the bundle ("reader_roots", never a licence root), is in
 *     date, and carries the reader-authentication EKU (id-mdl-kp-mdlReaderAuth, 1.0.18013.5.1.6);
 *   - client_id is "x509_hash:" and that certificate's SHA-256, and the bundle registers that reader
 *     ("readers");
 *   - response_type vp_token, response_mode direct_post, a nonce, a response_uri, and exp (when there is
 *     one: RFC 9101 makes it optional; null is not a time) not passed;
 *   - the DCQL query asks, per credential query, for one licence type (licence_type_code constrained to
 *     it) and elements of it, and some matter the reader is registered for needs every type asked for and
 *     every element of each (licence_id and licence_type_code always allowed): minimum necessary.
 * Each failure has its own error (error.h): CERTLIB_E_VP_REQUEST, CERTLIB_E_SIGNATURE,
 * CERTLIB_E_READER_UNTRUSTED, CERTLIB_E_READER_UNREGISTERED, CERTLIB_E_REQUEST_BEYOND_MATTER,
 * CERTLIB_E_REQUEST_EXPIRED.
 *
 * Then certlib_vp_request_present answers one credential query with a licence: a DeviceResponse disclosing
 * exactly the elements asked for, device-signed over the request's OpenID4VP session transcript. The app
 * posts each, base64url-encoded, in vp_token ({query id: [presentation]}) to the response_uri.
 */
#ifndef CERTLIB_WALLET_H
#define CERTLIB_WALLET_H

#include "present.h"
#include "trust.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_VP_REQUEST_MAX_BYTES (64 * 1024) /* a request object larger than this is refused */

typedef struct certlib_vp_request certlib_vp_request;

/** Checks a request object (see above) at time `now` (Unix seconds; 0: the current time). `*out` is freed
 *  with certlib_vp_request_free. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_vp_request_parse(const certlib_ctx *ctx, const char *jwt,
                                                                   size_t len, int64_t now,
                                                                   certlib_vp_request **out);
CERTLIB_API void certlib_vp_request_free(certlib_vp_request *req);

/** Who asks: the reader's registered name and client id. */
CERTLIB_API const char *certlib_vp_request_reader_name(const certlib_vp_request *req);
CERTLIB_API const char *certlib_vp_request_client_id(const certlib_vp_request *req);
/** For what: the matter (code and name) of the bundle's catalogue the request falls within. */
CERTLIB_API const char *certlib_vp_request_matter_code(const certlib_vp_request *req);
CERTLIB_API const char *certlib_vp_request_matter_name(const certlib_vp_request *req);
/** Where the answer goes, with which nonce, and the request's state (NULL when it has none). */
CERTLIB_API const char *certlib_vp_request_response_uri(const certlib_vp_request *req);
CERTLIB_API const char *certlib_vp_request_nonce(const certlib_vp_request *req);
CERTLIB_API const char *certlib_vp_request_state(const certlib_vp_request *req);
CERTLIB_API int64_t certlib_vp_request_expires(const certlib_vp_request *req); /* 0: the request has no exp */

/** The credential queries: each one's id, the licence type it asks for (and that type's name in the
 *  catalogue), and the element identifiers it asks for. */
CERTLIB_API size_t certlib_vp_request_query_count(const certlib_vp_request *req);
CERTLIB_API const char *certlib_vp_request_query_id(const certlib_vp_request *req, size_t i);
CERTLIB_API const char *certlib_vp_request_query_type(const certlib_vp_request *req, size_t i);
CERTLIB_API const char *certlib_vp_request_query_type_name(const certlib_vp_request *req, size_t i);
CERTLIB_API size_t certlib_vp_request_query_element_count(const certlib_vp_request *req, size_t i);
CERTLIB_API const char *certlib_vp_request_query_element(const certlib_vp_request *req, size_t i, size_t k);

/**
 * Answers credential query `i` with `licence` (of that query's type, else CERTLIB_E_SCOPE_TYPE), disclosing
 * the elements asked for and no other, device-signed with `device_key_pem` over the request's session.
 * `*out` (a DeviceResponse) is freed with certlib_free.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_vp_request_present(const certlib_vp_request *req, size_t i,
                                                                     const uint8_t *licence, size_t len,
                                                                     certlib_slice device_key_pem,
                                                                     uint8_t **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
