/* The status lists a context holds: accepted only when signed by a status signer of the bundle,
 * looked up by URI, judged fresh or stale against the caller's clock at each verification. */
#include <stdlib.h>
#include <string.h>

#include "ctx_internal.h"
#include "status_token.h"

certlib_err certlib_ctx_add_status_list(certlib_ctx *ctx, const uint8_t *cwt, size_t len)
{
    if (!ctx || !cwt) return CERTLIB_E_INVALID_ARGUMENT;
    certlib__status_token t;
    certlib_err err = certlib__status_token_parse(cwt, len, &t);
    if (err) return err;
    const certlib__trusted *signer;
    if ((err = certlib__ctx_find_signer(ctx, &t.sign1, true, &signer))) return err;
    if ((err = certlib__sign1_verify(&t.sign1, &signer->cert.key))) return err;
    certlib_status_list *list;
    if ((err = certlib__status_token_list(&t, &list))) return err;

    certlib__status_entry fresh = {.uri = (char *)certlib__status_list_uri(list),
                                   .list = list,
                                   .iat = t.iat,
                                   .exp = t.exp,
                                   .root = signer->root};
    pthread_rwlock_wrlock(&ctx->status_lock);
    size_t i = 0;
    while (i < ctx->n_status && strcmp(ctx->status[i].uri, fresh.uri) != 0)
        i++;
    if (i == ctx->n_status && ctx->n_status == ctx->status_cap) {
        size_t cap = ctx->status_cap ? ctx->status_cap * 2 : 8;
        certlib__status_entry *grown = realloc(ctx->status, cap * sizeof(*grown));
        if (grown) {
            ctx->status = grown;
            ctx->status_cap = cap;
        } else {
            err = CERTLIB_E_NOMEM;
        }
    }
    if (!err && i == ctx->n_status) { /* a URI not seen before */
        ctx->status[ctx->n_status++] = fresh;
        list = NULL;
    } else if (!err && ctx->status[i].iat <= t.iat) { /* newer, or a re-fetch of the same, replaces */
        certlib__status_entry old = ctx->status[i];
        ctx->status[i] = fresh;
        list = old.list;
    }
    pthread_rwlock_unlock(&ctx->status_lock);
    certlib_status_list_free(list); /* the list replaced, or the older one offered, or a failure's */
    return err;
}

certlib_err certlib__ctx_status(const certlib_ctx *cctx, const uint8_t *uri, size_t uri_len, uint64_t idx,
                                size_t root, int64_t now, int64_t skew, int64_t max_age,
                                certlib_status *status)
{
    certlib_ctx *ctx = (certlib_ctx *)cctx; /* the lock is the only thing touched */
    certlib_err err = CERTLIB_E_STATUS_UNKNOWN;
    *status = CERTLIB_STATUS_UNKNOWN;
    pthread_rwlock_rdlock(&ctx->status_lock);
    for (size_t i = 0; i < ctx->n_status; i++) {
        const certlib__status_entry *e = &ctx->status[i];
        if (strlen(e->uri) != uri_len || memcmp(e->uri, uri, uri_len) != 0) continue;
        if (e->root != root) {
            err = CERTLIB_E_STATUS_SIGNER;
            break;
        }
        if (e->iat > now + skew || (e->exp && now - skew >= e->exp) ||
            (max_age && now - e->iat > max_age + skew)) {
            err = CERTLIB_E_STATUS_STALE;
            break;
        }
        if (idx >= certlib_status_list_size(e->list)) {
            err = CERTLIB_E_STATUS_INDEX;
            break;
        }
        switch (certlib__status_list_value(e->list, idx)) {
        case CERTLIB_STATUS_VALUE_VALID:
            *status = CERTLIB_STATUS_VALID;
            err = CERTLIB_OK;
            break;
        case CERTLIB_STATUS_VALUE_REVOKED:
            *status = CERTLIB_STATUS_REVOKED;
            err = CERTLIB_E_REVOKED;
            break;
        case CERTLIB_STATUS_VALUE_SUSPENDED:
            *status = CERTLIB_STATUS_SUSPENDED;
            err = CERTLIB_E_SUSPENDED;
            break;
        default: /* 3 and above: application-specific values this profile does not define */
            err = CERTLIB_E_STATUS_UNKNOWN;
            break;
        }
        break;
    }
    pthread_rwlock_unlock(&ctx->status_lock);
    return err;
}

void certlib__ctx_clear_status(certlib_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_status; i++)
        certlib_status_list_free(ctx->status[i].list);
    free(ctx->status);
    ctx->status = NULL;
    ctx->n_status = ctx->status_cap = 0;
}
