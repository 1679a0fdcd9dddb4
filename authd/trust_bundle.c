/* The trust bundle in force (trust_bundle.h). */
#include <stdio.h>
#include <stdlib.h>

#include "trust_bundle.h"

void authd_trust_free(void *p)
{
    struct authd_trust *t = p;
    if (!t) return;
    certlib_ctx_free(t->ctx);
    free(t->bundle);
    free(t);
}

authd_err authd_trust_load(const char *path, struct authd_trust **out, char *err, size_t err_cap)
{
    *out = NULL;
    struct authd_trust *t = calloc(1, sizeof(*t));
    if (!t) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    FILE *f = fopen(path, "rb");
    if (!f) {
        authd_trust_free(t);
        return snprintf(err, err_cap, "trust_bundle %s: cannot open", path), AUTHD_E_CONFIG;
    }
    size_t cap = CERTLIB_TRUST_MAX_BYTES + 1;
    t->bundle = malloc(cap);
    t->len = t->bundle ? fread(t->bundle, 1, cap, f) : 0;
    fclose(f);
    authd_err rc = AUTHD_OK;
    if (!t->bundle || t->len == cap)
        rc = AUTHD_E_CONFIG, snprintf(err, err_cap, "trust_bundle %s: unreadable or too large", path);
    else if (certlib_ctx_new(&t->ctx) != CERTLIB_OK)
        rc = AUTHD_E_NOMEM, snprintf(err, err_cap, "out of memory");
    else if (certlib_ctx_load_trust(t->ctx, t->bundle, t->len) != CERTLIB_OK)
        rc = AUTHD_E_CONFIG,
        snprintf(err, err_cap, "trust_bundle %s: %s", path, certlib_ctx_trust_error(t->ctx));
    if (rc) {
        authd_trust_free(t);
        return rc;
    }
    *out = t;
    return AUTHD_OK;
}
