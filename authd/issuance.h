/* Issuance as a service, with no HTTP in it: check a request against the licence type and the issuer,
 * reserve a status-list index, sign (on the caller's thread: workers sign in parallel), seal the record,
 * write the signature-log entry, and hand the write to the writer thread. Whatever fails after the
 * reservation gives it back, through one path. The licence counts as issued only once its batch is
 * durable: `done` says so. */
#ifndef AUTHD_ISSUANCE_H
#define AUTHD_ISSUANCE_H

#include "certlib/certlib.h"
#include "licence_meta.h"
#include "writer.h"

struct authd_server;
struct authd_client;
struct authd_licence_type;

/* What an issuer asks for, as read from its request. Elements carry the type's identifiers and values
 * already of the schema's kinds (the HTTP route maps JSON to them). */
struct authd_issue_input {
    const struct authd_client *client; /* an issuer */
    const char *type_code;
    const char *holder_id, *holder_name;
    const certlib_element *elements;
    size_t n_elements;
    int64_t now;
    int64_t valid_from, valid_until; /* 0: now, and now plus the type's validity (or long-term) */
    const char *device_key_pem;      /* NULL: a licence bound to no device */
};

/* Why a request is refused before anything is signed or written. */
enum authd_issue_refusal {
    AUTHD_ISSUE_ACCEPTED = 0,
    AUTHD_ISSUE_UNKNOWN_TYPE,       /* no such licence type in the policies */
    AUTHD_ISSUE_FORBIDDEN_TYPE,     /* this issuer may not issue it */
    AUTHD_ISSUE_NO_KEYS,            /* this authd has no signing key for the issuer */
    AUTHD_ISSUE_BAD_HOLDER_ID,      /* not a valid number of the kind the type is for */
    AUTHD_ISSUE_BAD_HOLDER_NAME,    /* empty, longer than 200 bytes, or with a NUL */
    AUTHD_ISSUE_UNKNOWN_ELEMENT,    /* an element the type does not define */
    AUTHD_ISSUE_MISSING_ELEMENT,    /* a required element is absent */
    AUTHD_ISSUE_BAD_VALIDITY,       /* valid_until not after valid_from, or past 9999 */
    AUTHD_ISSUE_BAD_DEVICE_KEY,     /* not a PEM public key, P-256 or Ed25519 */
    AUTHD_ISSUE_LISTS_FULL,         /* no free status-list index */
    AUTHD_ISSUE_REFUSED_BY_CERTLIB, /* certlib would not issue it (the detail says why) */
    AUTHD_ISSUE_OVERLOADED,         /* out of memory */
    AUTHD_ISSUE_SIGNER_UNAVAILABLE, /* the signer's token or cipher machine cannot sign now */
    AUTHD_ISSUE_STORE_UNAVAILABLE,  /* the store cannot be reached (a database failing over) */
    AUTHD_ISSUE_INTERNAL,           /* a library failed where it should not (sealing) */
};

/* One issuance in flight. The caller allocates it (embedded in its own job, usually) and keeps it
 * until `done` has run. */
struct authd_issuance {
    struct authd_write_job job; /* the service's */
    struct authd_server *server;
    /* once the batch is durable and the licence's status list is signed (writer or signing thread), or
     * the write failed */
    void (*done)(struct authd_issuance *iss);
    /* out, valid in `done` */
    authd_err result; /* AUTHD_OK: stored; otherwise nothing was issued and the index is given back */
    char licence_id[CERTLIB_LICENCE_ID_MAX];
    uint8_t *licence; /* the signed licence, until authd_issuance_clear */
    size_t licence_len;
    struct authd_licence_meta meta;
    uint64_t log_index;
    /* the service's */
    uint8_t *record;
    uint8_t holder_key[AUTHD_HOLDER_KEY_LEN];
    uint8_t place[AUTHD_PLACE_LEN];
    char entry[CERTLIB_LOG_ENTRY_MAX];
};

/* The licence type a client asks for, if it exists, the client may issue it and this authd holds the
 * issuer's keys (the checks authd_issue starts with, for a caller that needs the type's schema to read
 * the rest of the request). */
enum authd_issue_refusal authd_issue_type(const struct authd_server *server,
                                          const struct authd_client *client, const char *type_code,
                                          const struct authd_licence_type **type, char *detail,
                                          size_t detail_cap);

/* Checks, signs and submits. On AUTHD_ISSUE_ACCEPTED the write is queued and `done` will run; on a
 * refusal nothing was queued and `detail` says why in a sentence (no personal data). */
enum authd_issue_refusal authd_issue(struct authd_server *server, const struct authd_issue_input *in,
                                     struct authd_issuance *iss, void (*done)(struct authd_issuance *iss),
                                     char *detail, size_t detail_cap);

/* Wipes (personal data) and frees the licence and the record. */
void authd_issuance_clear(struct authd_issuance *iss);

#endif
