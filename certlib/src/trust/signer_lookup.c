/* Resolving the signer of a COSE_Sign1: by kid among the bundle's signers, or by the x5chain it
 * carries. An x5chain signer outside the bundle has its chain verified on the spot, and is remembered
 * (least recently used ones make room) only after a signature by it verified: a flood of forged
 * licences carrying public certificates can neither fill the cache nor push genuine signers out of it
 * for longer than their next verification. Cached signers are reference-counted, so a verification
 * keeps using its signer while another thread evicts it. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cose/cose.h"
#include "trust/ctx_internal.h"

static const certlib__trusted *bundle_signer(const certlib__trust *t, const uint8_t fp[32])
{
    for (size_t i = 0; i < t->n_signers; i++)
        if (memcmp(t->signers[i].cert.fingerprint, fp, 32) == 0) return &t->signers[i]; /* public values */
    return NULL;
}

static void unref(certlib__trusted *t)
{
    certlib__trusted_clear(t);
    free(t);
}

/* A cached signer with a reference for the caller, or NULL. */
static certlib__trusted *cache_take(certlib_ctx *ctx, const uint8_t fp[32])
{
    certlib__trusted *found = NULL;
    pthread_mutex_lock(&ctx->cache_lock);
    for (size_t i = 0; i < ctx->n_cache && !found; i++)
        if (memcmp(ctx->cache[i]->cert.fingerprint, fp, 32) == 0) found = ctx->cache[i];
    if (found) {
        found->refs++;
        found->last_used = ++ctx->cache_clock;
    }
    pthread_mutex_unlock(&ctx->cache_lock);
    return found;
}

/* The x5chain's intermediates, for OpenSSL's chain building. */
static certlib_err intermediates(const certlib__sign1 *s, STACK_OF(X509) * *out)
{
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (!untrusted) return CERTLIB_E_NOMEM;
    certlib_err err = CERTLIB_OK;
    for (size_t i = 1; !err && i < s->n_x5chain; i++) {
        const unsigned char *p = s->x5chain[i].ptr;
        X509 *c = d2i_X509(NULL, &p, (long)s->x5chain[i].len);
        if (!c || p != s->x5chain[i].ptr + s->x5chain[i].len) {
            X509_free(c);
            err = CERTLIB_E_CERTIFICATE;
        } else if ((err = certlib__x509_set_sm2_id(c)) || !sk_X509_push(untrusted, c)) {
            X509_free(c);
            if (!err) err = CERTLIB_E_NOMEM;
        }
    }
    if (err) {
        sk_X509_pop_free(untrusted, X509_free);
        return err;
    }
    *out = untrusted;
    return CERTLIB_OK;
}

static certlib_err from_x5chain(certlib_ctx *ctx, const certlib__sign1 *s, const certlib__trusted **out)
{
    /* A signer met before is found by the hash of its DER alone: parsing a certificate costs OpenSSL 3.0
     * tens of microseconds (a third of a federated lookup's CPU, measured), hashing it one. Bytes that
     * are not the canonical DER of a known certificate miss here and are parsed below as ever. */
    uint8_t fp[32];
    certlib__sha256(s->x5chain[0].ptr, s->x5chain[0].len, fp);
    const certlib__trusted *known = bundle_signer(&ctx->trust, fp);
    if (known && !known->status_signer) return *out = known, CERTLIB_OK;
    certlib__trusted *hit = ctx->trust.listed_only ? NULL : cache_take(ctx, fp);
    if (hit) return *out = hit, CERTLIB_OK;
    certlib__certinfo leaf;
    certlib_err err = certlib__certinfo_parse(s->x5chain[0].ptr, s->x5chain[0].len, &leaf);
    if (err) return err == CERTLIB_E_NOMEM ? err : CERTLIB_E_CERTIFICATE;
    const certlib__trusted *listed = bundle_signer(&ctx->trust, leaf.fingerprint);
    if (listed && !listed->status_signer) {
        certlib__certinfo_clear(&leaf);
        *out = listed;
        return CERTLIB_OK;
    }
    if (ctx->trust.listed_only) {
        certlib__certinfo_clear(&leaf);
        return CERTLIB_E_SIGNER_NOT_LISTED;
    }
    certlib__trusted *cached = cache_take(ctx, leaf.fingerprint);
    if (cached) {
        certlib__certinfo_clear(&leaf);
        *out = cached;
        return CERTLIB_OK;
    }
    if (!leaf.mdoc_ds || !leaf.signs || leaf.is_ca) {
        certlib__certinfo_clear(&leaf);
        return CERTLIB_E_SIGNER_ROLE;
    }
    certlib__trusted *fresh = calloc(1, sizeof(*fresh));
    if (!fresh) {
        certlib__certinfo_clear(&leaf);
        return CERTLIB_E_NOMEM;
    }
    fresh->cert = leaf;
    fresh->refs = 1; /* the caller's */
    STACK_OF(X509) *untrusted = NULL;
    err = intermediates(s, &untrusted);
    if (!err) err = certlib__chain_verify(&ctx->trust, leaf.x509, untrusted, fresh);
    sk_X509_pop_free(untrusted, X509_free);
    if (err) {
        unref(fresh);
        return err;
    }
    *out = fresh;
    return CERTLIB_OK;
}

certlib_err certlib__ctx_find_signer(const certlib_ctx *cctx, const certlib__sign1 *s, bool for_status,
                                     const certlib__trusted **out)
{
    certlib_ctx *ctx = (certlib_ctx *)cctx; /* the cache is the one mutable part, behind its lock */
    *out = NULL;
    certlib_err err;
    if (s->n_x5chain && !for_status) {
        if ((err = from_x5chain(ctx, s, out))) return err;
        /* A kid next to an x5chain must name the same certificate. */
        if (s->kid.len &&
            (s->kid.len != CERTLIB_KID_LEN || memcmp(s->kid.ptr, (*out)->cert.kid, CERTLIB_KID_LEN)))
            err = CERTLIB_E_UNKNOWN_KID;
    } else {
        err = CERTLIB_E_UNKNOWN_KID;
        for (size_t i = 0; s->kid.len == CERTLIB_KID_LEN && i < ctx->trust.n_signers; i++) {
            const certlib__trusted *t = &ctx->trust.signers[i];
            if (memcmp(t->cert.kid, s->kid.ptr, CERTLIB_KID_LEN) != 0) continue;
            if (t->status_signer == for_status) {
                *out = t;
                err = CERTLIB_OK;
                break;
            }
            err = CERTLIB_E_SIGNER_ROLE;
        }
    }
    if (!err) err = certlib__ctx_revoked(ctx, *out);
    if (err) {
        certlib__ctx_signer_release(ctx, *out);
        *out = NULL;
    }
    return err;
}

void certlib__ctx_signer_remember(const certlib_ctx *cctx, const certlib__trusted *ct)
{
    certlib_ctx *ctx = (certlib_ctx *)cctx;
    certlib__trusted *t = (certlib__trusted *)ct;
    if (!t || t->listed) return; /* bundle signers live as long as the bundle */
    certlib__trusted *evicted = NULL;
    pthread_mutex_lock(&ctx->cache_lock);
    bool present = false;
    for (size_t i = 0; i < ctx->n_cache && !present; i++)
        present = memcmp(ctx->cache[i]->cert.fingerprint, t->cert.fingerprint, 32) == 0;
    if (!present) {
        if (ctx->n_cache == CTX_CACHE_MAX) {
            size_t lru = 0;
            for (size_t i = 1; i < ctx->n_cache; i++)
                if (ctx->cache[i]->last_used < ctx->cache[lru]->last_used) lru = i;
            evicted = ctx->cache[lru];
            ctx->cache[lru] = ctx->cache[--ctx->n_cache];
            if (--evicted->refs) evicted = NULL; /* still in use by a verification: it frees it */
        }
        t->refs++;
        t->last_used = ++ctx->cache_clock;
        ctx->cache[ctx->n_cache++] = t;
    }
    pthread_mutex_unlock(&ctx->cache_lock);
    if (evicted) unref(evicted);
}

void certlib__ctx_signer_release(const certlib_ctx *cctx, const certlib__trusted *ct)
{
    certlib_ctx *ctx = (certlib_ctx *)cctx;
    certlib__trusted *t = (certlib__trusted *)ct;
    if (!t || t->listed) return;
    pthread_mutex_lock(&ctx->cache_lock);
    bool last = --t->refs == 0;
    pthread_mutex_unlock(&ctx->cache_lock);
    if (last) unref(t);
}

void certlib__ctx_cache_clear(certlib_ctx *ctx)
{
    pthread_mutex_lock(&ctx->cache_lock);
    size_t n = ctx->n_cache;
    certlib__trusted *gone[CTX_CACHE_MAX];
    memcpy(gone, ctx->cache, n * sizeof(*gone));
    ctx->n_cache = 0;
    for (size_t i = 0; i < n; i++)
        if (--gone[i]->refs) gone[i] = NULL;
    pthread_mutex_unlock(&ctx->cache_lock);
    for (size_t i = 0; i < n; i++)
        if (gone[i]) unref(gone[i]);
}
