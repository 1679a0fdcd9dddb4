/* Status changes (suspend, revoke, reinstate) as a service, with no HTTP in it: the change is checked
 * against the licence's current status inside the storage transaction (a revoked licence stays
 * revoked, however two changes race), recorded in the signature log in the same transaction, and
 * reported done only once the status list holding it has been re-signed, so a verification after the
 * answer sees it. */
#ifndef AUTHD_STATUS_CHANGE_H
#define AUTHD_STATUS_CHANGE_H

#include "certlib/logentry.h"
#include "licence_meta.h"
#include "writer.h"

struct authd_server;

#define AUTHD_REASON_MAX 500 /* bytes of the public reason, which goes into the signature log */

struct authd_status_change {
    struct authd_write_job job; /* the service's */
    struct authd_server *server;
    void (*done)(struct authd_status_change *c); /* once durable and published (or refused) */
    char licence_id[CERTLIB_LICENCE_ID_MAX];
    uint8_t status;
    /* out, valid in `done` */
    authd_err result; /* AUTHD_OK, AUTHD_E_NOT_FOUND, AUTHD_E_CONFLICT (revoked is final), or a failure */
    struct authd_licence_meta before;
    uint64_t log_index;
    /* the service's */
    char entry[CERTLIB_LOG_ENTRY_MAX];
};

/* Queues the change of `issuer_code`'s licence `id` to `status` (CERTLIB_STATUS_VALUE_*) for `reason`.
 * AUTHD_E_NOT_FOUND when the issuer has no such licence (another issuer's licence reads as absent),
 * AUTHD_E_CONFIG for a reason the signature log cannot carry; then nothing was queued. */
authd_err authd_status_change(struct authd_server *server, const char *issuer_code, const char *id,
                              size_t id_len, uint8_t status, int64_t time, const char *reason,
                              struct authd_status_change *c, void (*done)(struct authd_status_change *c));

#endif
