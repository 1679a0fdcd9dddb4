/* PKCS#11 libraries as authd's keys share them: each library loaded and initialised once (by path),
 * whatever number of keys use it, and initialised again when a token has gone away and come back (a
 * library may look for tokens only when initialised, as SoftHSM2 does). Signing holds the module for
 * reading; re-initialising holds it for writing, so no call is in flight while it is finalised. */
#ifndef AUTHD_PKCS11_MODULE_H
#define AUTHD_PKCS11_MODULE_H

#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdint.h>

#include "errors.h"

struct authd_p11_module {
    CK_FUNCTION_LIST *fl;
    uint64_t generation; /* bumped at each re-initialisation: sessions of an older one are gone */
    /* private */
    char *path;
    int refs;
    int64_t last_restart_ms;
    pthread_rwlock_t use;
    struct authd_p11_module *next;
};

/* The module at `path`, loaded and initialised on first use. AUTHD_E_CONFIG with a message when it
 * does not load or initialise. */
authd_err authd_p11_module_get(const char *path, struct authd_p11_module **out, char *err, size_t err_cap);
void authd_p11_module_put(struct authd_p11_module *m);

/* Around every call into the module. */
void authd_p11_module_enter(struct authd_p11_module *m);
void authd_p11_module_leave(struct authd_p11_module *m);

/* Finalises and initialises the module again, unless that was done less than a second ago or since
 * `seen_generation` (another key did it already). Call outside enter/leave. */
void authd_p11_module_restart(struct authd_p11_module *m, uint64_t seen_generation);

#endif
