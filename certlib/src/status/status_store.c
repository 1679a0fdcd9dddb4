/* The status lists a context holds. A list is accepted only when a status signer of the bundle signed
 * it, that signer may sign lists at that URI, its certificate was valid when the list was issued and
 * is now, and the list is not dated in the future. Lists are kept per (root, URI): a list another
 * root's signer made for the same URI never displaces this root's. At each verification a list is
 * judged against the caller's clock: past its exp, past its ttl since it was added (the draft's cache
 * lifetime: fetch a fresh one), or older than the caller's maximum age (a day when it has no exp). */
#include <stdlib.h>
#include <string.h>

#include "trust/ctx_internal.h"
#include "status/status_token.h"
#include "base/timeutil.h"

/* A list's signer certificate must be valid over [from, to]. */
static bool signer_valid(const certlib__trusted *s, int64_t from, int64_t to, int64_t skew)
{
    return from + skew >= s->chain_not_before && to - skew <= s->chain_not_after;
}

/* Whether a list came in exactly this token before; if so it counts as fetched again at `now`. */
static bool refetched(certlib_ctx *ctx, const uint8_t hash[32], int64_t now)
{
    bool found = false;
    pthread_rwlock_wrlock(&ctx->status_lock);
    for (size_t i = 0; i < ctx->n_status && !found; i++)
        if (memcmp(ctx->status[i].token_hash, hash, 32) == 0) {
            ctx->status[i].added_at = now;
            found = true;
        }
    pthread_rwlock_unlock(&ctx->status_lock);
    return found;
}

certlib_err certlib_ctx_add_status_list_at(certlib_ctx *ctx, const uint8_t *cwt, size_t len, int64_t now,
                                           int64_t skew)
{
    if (!ctx || !cwt || skew < 0) return CERTLIB_E_INVALID_ARGUMENT;
    if (!now) now = certlib__now();
    /* The very token held already (a peer staples the same list to every answer until it re-signs it):
     * a re-fetch, whose ttl runs from now, with no signature to check and nothing to inflate again.
     * Measured on a federated lookup: inflating and verifying the stapled lists was a third of its CPU. */
    uint8_t hash[32];
    certlib__sha256(cwt, len, hash);
    if (refetched(ctx, hash, now)) return CERTLIB_OK;
    certlib__status_token t;
    certlib_err err = certlib__status_token_parse(cwt, len, &t);
    if (err) return err;
    const certlib__trusted *signer;
    if ((err = certlib__ctx_find_signer(ctx, &t.sign1, true, &signer))) return err;
    if ((err = certlib__sign1_verify(&t.sign1, &signer->cert.key))) return err;
    /* A list dated ahead would outrank every genuine one until then. (One already expired is kept: the
     * verification calls it stale, as it would have a moment later anyway.) */
    if (t.exp && t.exp <= t.iat) return CERTLIB_E_STATUS_LIST;
    if (t.iat > now + skew) return CERTLIB_E_STATUS_STALE;
    if (!signer_valid(signer, t.iat, now, skew)) return CERTLIB_E_STATUS_SIGNER_VALIDITY;
    certlib_status_list *list;
    if ((err = certlib__status_token_list(&t, &list))) return err;
    const char *uri = certlib__status_list_uri(list);
    if (!certlib__listed(signer->uri_prefixes, uri, true)) {
        certlib_status_list_free(list);
        return CERTLIB_E_STATUS_SIGNER_SCOPE;
    }

    certlib__status_entry fresh = {.uri = (char *)uri,
                                   .root = signer->root,
                                   .list = list,
                                   .iat = t.iat,
                                   .exp = t.exp,
                                   .added_at = now,
                                   .ttl = t.ttl,
                                   .signer = signer};
    memcpy(fresh.token_hash, hash, sizeof(hash));
    pthread_rwlock_wrlock(&ctx->status_lock);
    size_t i = 0;
    while (i < ctx->n_status && !(ctx->status[i].root == fresh.root && strcmp(ctx->status[i].uri, uri) == 0))
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
    if (!err && i == ctx->n_status) { /* a URI not seen before under this root */
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

certlib_err certlib_ctx_add_status_list(certlib_ctx *ctx, const uint8_t *cwt, size_t len)
{
    return certlib_ctx_add_status_list_at(ctx, cwt, len, 0, 0);
}

/* Why a held list cannot decide now, or CERTLIB_OK when it can. */
static certlib_err judge(const certlib__status_entry *e, const char *issuer_code, int64_t now, int64_t skew,
                         int64_t max_age)
{
    if (!certlib__listed(e->signer->issuers, issuer_code, false)) return CERTLIB_E_STATUS_SIGNER_SCOPE;
    if (!signer_valid(e->signer, now, now, skew)) return CERTLIB_E_STATUS_SIGNER_VALIDITY;
    if (!max_age && !e->exp) max_age = CERTLIB_STATUS_DEFAULT_MAX_AGE;
    if (e->iat > now + skew || (e->exp && now - skew >= e->exp) ||
        (max_age && now - e->iat > max_age + skew) ||
        (e->ttl && e->ttl <= INT64_MAX / 2 && now - skew >= e->added_at + (int64_t)e->ttl))
        return CERTLIB_E_STATUS_STALE;
    return CERTLIB_OK;
}

certlib_err certlib__ctx_status(const certlib_ctx *cctx, const uint8_t *uri, size_t uri_len, uint64_t idx,
                                size_t root, const char *issuer_code, int64_t now, int64_t skew,
                                int64_t max_age, certlib_status *status)
{
    certlib_ctx *ctx = (certlib_ctx *)cctx; /* the lock is the only thing touched */
    certlib_err err = CERTLIB_E_STATUS_UNKNOWN;
    *status = CERTLIB_STATUS_UNKNOWN;
    pthread_rwlock_rdlock(&ctx->status_lock);
    const certlib__status_entry *e = NULL;
    for (size_t i = 0; i < ctx->n_status && !e; i++) {
        const certlib__status_entry *c = &ctx->status[i];
        if (strlen(c->uri) != uri_len || memcmp(c->uri, uri, uri_len) != 0) continue;
        if (c->root == root)
            e = c;
        else
            err = CERTLIB_E_STATUS_SIGNER; /* only another root's list for this URI */
    }
    if (e && !(err = judge(e, issuer_code, now, skew, max_age))) {
        if (idx >= certlib_status_list_size(e->list)) {
            err = CERTLIB_E_STATUS_INDEX;
        } else {
            switch (certlib__status_list_value(e->list, idx)) {
            case CERTLIB_STATUS_VALUE_VALID:
                *status = CERTLIB_STATUS_VALID;
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
        }
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
