/* PKCS#11 modules shared by path (pkcs11_module.h), loaded through p11-kit unmanaged: authd is the one
 * caller of C_Initialize and C_Finalize, so it can re-initialise when a token comes back. */
#include <p11-kit/p11-kit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monotonic.h"
#include "pkcs11_module.h"

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static struct authd_p11_module *modules;

static CK_RV initialise(CK_FUNCTION_LIST *fl)
{
    CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
    return fl->C_Initialize(&args);
}

authd_err authd_p11_module_get(const char *path, struct authd_p11_module **out, char *err, size_t err_cap)
{
    pthread_mutex_lock(&registry);
    struct authd_p11_module *m = modules;
    while (m && strcmp(m->path, path) != 0)
        m = m->next;
    authd_err rc = AUTHD_OK;
    if (!m) {
        CK_FUNCTION_LIST *fl = p11_kit_module_load(path, P11_KIT_MODULE_UNMANAGED);
        CK_RV rv = fl ? initialise(fl) : CKR_GENERAL_ERROR;
        if (!fl) {
            snprintf(err, err_cap, "the PKCS#11 module %s does not load: %s", path, p11_kit_message());
            rc = AUTHD_E_CONFIG;
        } else if (rv != CKR_OK) {
            snprintf(err, err_cap, "the PKCS#11 module %s does not initialise: %s", path,
                     p11_kit_strerror(rv));
            p11_kit_module_release(fl);
            rc = AUTHD_E_CONFIG;
        } else if (!(m = calloc(1, sizeof(*m))) || !(m->path = strdup(path))) {
            free(m);
            m = NULL;
            fl->C_Finalize(NULL);
            p11_kit_module_release(fl);
            snprintf(err, err_cap, "out of memory");
            rc = AUTHD_E_NOMEM;
        } else {
            m->fl = fl;
            pthread_rwlock_init(&m->use, NULL);
            m->next = modules;
            modules = m;
        }
    }
    if (m) m->refs++;
    pthread_mutex_unlock(&registry);
    *out = m;
    return rc;
}

void authd_p11_module_put(struct authd_p11_module *m)
{
    if (!m) return;
    pthread_mutex_lock(&registry);
    if (--m->refs == 0) {
        struct authd_p11_module **p = &modules;
        while (*p != m)
            p = &(*p)->next;
        *p = m->next;
        m->fl->C_Finalize(NULL);
        p11_kit_module_release(m->fl);
        pthread_rwlock_destroy(&m->use);
        free(m->path);
        free(m);
    }
    pthread_mutex_unlock(&registry);
}

void authd_p11_module_enter(struct authd_p11_module *m)
{
    pthread_rwlock_rdlock(&m->use);
}

void authd_p11_module_leave(struct authd_p11_module *m)
{
    pthread_rwlock_unlock(&m->use);
}

void authd_p11_module_restart(struct authd_p11_module *m, uint64_t seen_generation)
{
    pthread_rwlock_wrlock(&m->use);
    int64_t now = authd_monotonic_ms();
    if (m->generation == seen_generation && now - m->last_restart_ms >= 1000) {
        m->fl->C_Finalize(NULL); /* every session of every key on it closes */
        CK_RV rv = initialise(m->fl);
        if (rv != CKR_OK) fprintf(stderr, "authd: PKCS#11 module %s: %s\n", m->path, p11_kit_strerror(rv));
        m->generation++;
        m->last_restart_ms = now;
    }
    pthread_rwlock_unlock(&m->use);
}
