/* What authd knows of a licence without decrypting it: the cleartext header of its record (status,
 * status-list place, type, issuer, issue time; no personal data), and the names the API, the status
 * lists and the signature log give these facts. */
#ifndef AUTHD_LICENCE_META_H
#define AUTHD_LICENCE_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTHD_TYPE_CODE_LEN 21                      /* GB/T 36904 licence type code */
#define AUTHD_ISSUER_CODE_LEN 18                    /* the issuer's USCC */
#define AUTHD_HOLDER_KEY_LEN 32                     /* keyed BLAKE2b of a normalised holder id */
#define AUTHD_LIST_ID_MAX 32                        /* "<issuer code>-<list number>" and its NUL */
#define AUTHD_PLACE_LEN (AUTHD_ISSUER_CODE_LEN + 8) /* a status-list place: issuer, list, index */

struct authd_licence_meta {
    uint8_t status;      /* CERTLIB_STATUS_VALUE_* */
    uint32_t list_no;    /* the issuer's status list number */
    uint32_t status_idx; /* index in that list */
    int64_t issued_at;
    char type_code[AUTHD_TYPE_CODE_LEN + 1];
    char issuer_code[AUTHD_ISSUER_CODE_LEN + 1];
};

/* The licence's status-list place as bytes: issuer code, list number and index (big-endian). No two
 * stored licences share one; a storage shared by several nodes enforces it. */
void authd_licence_place(const struct authd_licence_meta *meta, uint8_t out[AUTHD_PLACE_LEN]);

/* "valid", "revoked", "suspended": a status value's name in the API and the signature log ("unknown"
 * for any other value). */
const char *authd_status_value_name(unsigned status);
/* The value of such a name (`len` bytes), or -1 for any other text. */
int authd_status_value_of(const char *name, size_t len);

/* The status list id in URIs, routes and log entries: "<issuer code>-<list number>". */
void authd_status_list_id(const char *issuer_code, uint32_t list_no, char out[AUTHD_LIST_ID_MAX]);
/* Reads one back (`len` bytes): the list number is decimal, 1 to 2^32 - 1, without leading zeros.
 * false for anything else. */
bool authd_status_list_id_parse(const char *id, size_t len, char issuer_code[AUTHD_ISSUER_CODE_LEN + 1],
                                uint32_t *list_no);

#endif
