/* The trust bundle in force: its bytes (served at /v1/trust) and the verification context made from it,
 * which also holds authd's own status lists (statuslists.c feeds them in). Replaced whole on SIGHUP
 * (held.h). */
#ifndef AUTHD_TRUST_BUNDLE_H
#define AUTHD_TRUST_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "certlib/certlib.h"
#include "errors.h"

struct authd_trust {
    certlib_ctx *ctx;
    uint8_t *bundle;
    size_t len;
};

/* Reads and loads the bundle at `path`. AUTHD_E_CONFIG with a message for a file that is missing, too
 * large or refused by certlib; AUTHD_E_NOMEM. */
authd_err authd_trust_load(const char *path, struct authd_trust **out, char *err, size_t err_cap);
/* Frees a struct authd_trust (a held.h destructor). */
void authd_trust_free(void *trust);

#endif
