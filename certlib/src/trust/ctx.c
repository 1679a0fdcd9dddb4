/* The verification context's life: made empty, filled by certlib_ctx_load_trust and the add functions,
 * freed with everything it holds. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "trust/crl_internal.h"
#include "trust/ctx_internal.h"

certlib_err certlib_ctx_new(certlib_ctx **out)
{
    if (!out) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    if (sodium_init() < 0) return CERTLIB_E_INTERNAL;
    certlib_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) return CERTLIB_E_NOMEM;
    if (certlib__hashes_fetch(&ctx->hashes)) {
        free(ctx);
        return CERTLIB_E_NOMEM;
    }
    int locks = 0;
    if (pthread_mutex_init(&ctx->cache_lock, NULL) == 0) locks++;
    if (locks == 1 && pthread_rwlock_init(&ctx->crl_lock, NULL) == 0) locks++;
    if (locks == 2 && pthread_rwlock_init(&ctx->status_lock, NULL) == 0) locks++;
    if (locks < 3) {
        if (locks > 1) pthread_rwlock_destroy(&ctx->crl_lock);
        if (locks > 0) pthread_mutex_destroy(&ctx->cache_lock);
        certlib__hashes_free(&ctx->hashes);
        free(ctx);
        return CERTLIB_E_NOMEM;
    }
    *out = ctx;
    return CERTLIB_OK;
}

void certlib_ctx_free(certlib_ctx *ctx)
{
    if (!ctx) return;
    certlib__ctx_cache_clear(ctx);
    certlib__ctx_clear_status(ctx);
    certlib__trust_free(ctx);
    certlib__hashes_free(&ctx->hashes);
    pthread_mutex_destroy(&ctx->cache_lock);
    pthread_rwlock_destroy(&ctx->crl_lock);
    pthread_rwlock_destroy(&ctx->status_lock);
    free(ctx);
}

const char *certlib_ctx_trust_error(const certlib_ctx *ctx)
{
    return ctx->trust_error;
}

size_t certlib_ctx_root_count(const certlib_ctx *ctx)
{
    return ctx->trust.n_roots;
}

size_t certlib_ctx_signer_count(const certlib_ctx *ctx)
{
    return ctx->trust.n_signers;
}
