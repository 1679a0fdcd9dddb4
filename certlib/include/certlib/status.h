/* Token Status Lists (draft-ietf-oauth-status-list): building, signing and reading them.
 *
 * A list holds one status per licence, `bits` bits each (certlib uses 2), index 0 in the least
 * significant bits of byte 0, zlib-compressed in the token. Values: 0 valid, 1 revoked (the draft's
 * INVALID), 2 suspended. The token is a COSE_Sign1 CWT with typ "application/statuslist+cwt" and
 * claims sub (2) = the list URI, iat (6), exp (4), ttl (65534) and status_list (65533) =
 * {"bits": uint, "lst": bstr}.
 */
#ifndef CERTLIB_STATUS_H
#define CERTLIB_STATUS_H

#include "signer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_STATUS_VALUE_VALID 0
#define CERTLIB_STATUS_VALUE_REVOKED 1
#define CERTLIB_STATUS_VALUE_SUSPENDED 2

#define CERTLIB_STATUS_LIST_MAX_BYTES (4 * 1024 * 1024) /* decompressed: 16 Mi entries at 2 bits */
#define CERTLIB_STATUS_URI_MAX 2048
/* A list without exp is judged stale this long (seconds) after its iat, unless the verifier sets
 * its own maximum age. */
#define CERTLIB_STATUS_DEFAULT_MAX_AGE 86400

/** A licence's status as a verifier sees it. */
typedef enum certlib_status {
    CERTLIB_STATUS_NONE = 0, /* the licence carries no status reference */
    CERTLIB_STATUS_VALID = 1,
    CERTLIB_STATUS_REVOKED = 2,
    CERTLIB_STATUS_SUSPENDED = 3,
    CERTLIB_STATUS_UNKNOWN = 4, /* no fresh, trusted list: not the same as revoked */
} certlib_status;

/** "none", "valid", "revoked", "suspended", "unknown". Static string. */
CERTLIB_API const char *certlib_status_name(certlib_status status);

typedef struct certlib_status_list certlib_status_list;

/** Token metadata. `uri` is NUL-terminated and owned by the list it came with. */
typedef struct certlib_status_token_info {
    const char *uri;
    int64_t iat;
    int64_t exp;  /* 0 when absent */
    uint64_t ttl; /* 0 when absent */
} certlib_status_token_info;

/** A list of `n_entries` statuses of `bits` bits (1, 2, 4 or 8), all 0 (valid). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_status_list_new(size_t n_entries, unsigned bits,
                                                                  certlib_status_list **out);
CERTLIB_API void certlib_status_list_free(certlib_status_list *list);
/** A copy of `list` (to sign a snapshot while the original keeps changing). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_status_list_dup(const certlib_status_list *list,
                                                                  certlib_status_list **out);
CERTLIB_API size_t certlib_status_list_size(const certlib_status_list *list);
CERTLIB_API unsigned certlib_status_list_bits(const certlib_status_list *list);
/** CERTLIB_E_STATUS_INDEX when `idx` is outside the list; CERTLIB_E_INVALID_ARGUMENT when `value`
 *  does not fit the list's bits. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_status_list_set(certlib_status_list *list, uint64_t idx,
                                                                  unsigned value);
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_status_list_get(const certlib_status_list *list,
                                                                  uint64_t idx, unsigned *value);

/** Signs the list as a CWT for `uri`, issued at `iat`, expiring at `exp` (0: no expiry) and with the
 *  caching hint `ttl` seconds (0: none). `*out` is freed with certlib_free. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_status_list_sign(const certlib_status_list *list,
                                                                   const certlib_signer *signer,
                                                                   const char *uri, int64_t iat, int64_t exp,
                                                                   uint64_t ttl, uint8_t **out,
                                                                   size_t *out_len);

/**
 * Reads a token WITHOUT verifying its signature (for tools that update a list they made; verifiers use
 * certlib_ctx_add_status_list). `info` may be NULL; its `uri` lives as long as `*out`.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_status_list_decode(const uint8_t *cwt, size_t len,
                                                                     certlib_status_list **out,
                                                                     certlib_status_token_info *info);

#ifdef __cplusplus
}
#endif
#endif
