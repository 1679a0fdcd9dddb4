/* The trust bundle: loading it (jansson, strict), verifying every signer's chain once with OpenSSL,
 * and resolving the signer of a COSE_Sign1 by kid or x5chain. Chains are verified without a time
 * check here; validity windows are compared with the caller's clock on every verification, so a
 * cached chain never goes stale. */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cose.h"
#include "ctx_internal.h"
#include "fileio.h"

certlib_err certlib_ctx_new(certlib_ctx **out)
{
    if (!out) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    if (sodium_init() < 0) return CERTLIB_E_INTERNAL;
    certlib_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) return CERTLIB_E_NOMEM;
    ctx->cache = calloc(CTX_CACHE_MAX, sizeof(*ctx->cache));
    if (!ctx->cache || certlib__hashes_fetch(&ctx->hashes) ||
        pthread_mutex_init(&ctx->cache_lock, NULL) != 0) {
        certlib__hashes_free(&ctx->hashes);
        free(ctx->cache);
        free(ctx);
        return CERTLIB_E_NOMEM;
    }
    if (pthread_rwlock_init(&ctx->status_lock, NULL) != 0) {
        pthread_mutex_destroy(&ctx->cache_lock);
        certlib__hashes_free(&ctx->hashes);
        free(ctx->cache);
        free(ctx);
        return CERTLIB_E_NOMEM;
    }
    *out = ctx;
    return CERTLIB_OK;
}

static void free_strings(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

static void trust_clear(certlib__trust *t)
{
    for (size_t i = 0; i < t->n_roots; i++) {
        free(t->roots[i].name);
        certlib__certinfo_clear(&t->roots[i].cert);
        free_strings(t->roots[i].types);
        free_strings(t->roots[i].regions);
    }
    free(t->roots);
    for (size_t i = 0; i < t->n_signers; i++)
        certlib__certinfo_clear(&t->signers[i].cert);
    free(t->signers);
    X509_STORE_free(t->store);
    memset(t, 0, sizeof(*t));
}

static void cache_clear(certlib_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_cache; i++)
        certlib__certinfo_clear(&ctx->cache[i].cert);
    ctx->n_cache = 0;
}

void certlib_ctx_free(certlib_ctx *ctx)
{
    if (!ctx) return;
    trust_clear(&ctx->trust);
    cache_clear(ctx);
    free(ctx->cache);
    certlib__ctx_clear_status(ctx);
    certlib__hashes_free(&ctx->hashes);
    pthread_mutex_destroy(&ctx->cache_lock);
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

/* ---- chains ---- */

/* Verifies `leaf` up to one of the roots (intermediates from `untrusted`), and reports which root
 * and the window in which the whole chain is valid. */
static certlib_err verify_chain(const certlib__trust *t, X509 *leaf, STACK_OF(X509) * untrusted, size_t *root,
                                int64_t *not_before, int64_t *not_after)
{
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();
    if (!sctx) return CERTLIB_E_NOMEM;
    certlib_err err = CERTLIB_E_UNTRUSTED;
    if (X509_STORE_CTX_init(sctx, t->store, leaf, untrusted) != 1) {
        err = CERTLIB_E_NOMEM;
        goto done;
    }
    X509_STORE_CTX_set_flags(sctx, X509_V_FLAG_NO_CHECK_TIME | X509_V_FLAG_X509_STRICT);
    if (X509_verify_cert(sctx) != 1) goto done;
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(sctx);
    int n = sk_X509_num(chain);
    X509 *anchor = sk_X509_value(chain, n - 1);
    *root = t->n_roots;
    for (size_t i = 0; i < t->n_roots; i++)
        if (X509_cmp(anchor, t->roots[i].cert.x509) == 0) *root = i;
    if (*root == t->n_roots) goto done;
    *not_before = INT64_MIN;
    *not_after = INT64_MAX;
    for (int i = 0; i < n; i++) {
        int64_t nb, na;
        X509 *c = sk_X509_value(chain, i);
        if (certlib__x509_window(c, &nb, &na)) goto done;
        if (nb > *not_before) *not_before = nb;
        if (na < *not_after) *not_after = na;
    }
    err = CERTLIB_OK;
done:
    X509_STORE_CTX_free(sctx);
    return err;
}

/* ---- loading ---- */

struct loader {
    certlib_ctx *ctx;
    certlib__trust t;
};

static certlib_err fail(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static certlib_err fail(struct loader *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->ctx->trust_error, sizeof(l->ctx->trust_error), fmt, ap);
    va_end(ap);
    return CERTLIB_E_TRUST_BUNDLE;
}

static bool only_keys(json_t *obj, const char *const *allowed, const char **unknown)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok = ok || strcmp(key, allowed[i]) == 0;
        if (!ok) {
            *unknown = key;
            return false;
        }
    }
    return true;
}

static bool type_code_ok(const char *s)
{
    if (strlen(s) != 21) return false;
    for (int i = 0; i < 21; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z'))) return false;
    return true;
}

static bool region_ok(const char *s)
{
    size_t n = strlen(s);
    if (n != 2 && n != 4 && n != 6) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* A scope list: NULL for ["*"], else a NULL-terminated copy. */
static certlib_err load_scope(struct loader *l, json_t *arr, const char *where, bool (*ok)(const char *),
                              char ***out)
{
    *out = NULL;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return fail(l, "%s: a non-empty array is required", where);
    size_t n = json_array_size(arr);
    if (n == 1 && json_is_string(json_array_get(arr, 0)) &&
        strcmp(json_string_value(json_array_get(arr, 0)), "*") == 0)
        return CERTLIB_OK;
    char **list = calloc(n + 1, sizeof(*list));
    if (!list) return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || !ok(json_string_value(v))) {
            free_strings(list);
            return fail(l, "%s[%zu]: not a valid entry (\"*\" alone, or codes of the documented form)", where,
                        i);
        }
        if (!(list[i] = strdup(json_string_value(v)))) {
            free_strings(list);
            return CERTLIB_E_NOMEM;
        }
    }
    *out = list;
    return CERTLIB_OK;
}

static certlib_err load_cert(struct loader *l, json_t *v, const char *where, certlib__certinfo *out)
{
    if (!json_is_string(v)) return fail(l, "%s: a PEM string is required", where);
    certlib_err err =
        certlib__certinfo_parse((const uint8_t *)json_string_value(v), json_string_length(v), out);
    if (err == CERTLIB_E_NOMEM) return err;
    if (err) return fail(l, "%s: not a certificate certlib can use (%s)", where, certlib_err_name(err));
    return CERTLIB_OK;
}

static certlib_err load_roots(struct loader *l, json_t *roots)
{
    static const char *const allowed[] = {"name", "certificate", "licence_types", "regions", NULL};
    if (!json_is_array(roots) || json_array_size(roots) == 0)
        return fail(l, "roots: a non-empty array is required");
    if (json_array_size(roots) > CERTLIB_TRUST_MAX_CERTS) return fail(l, "roots: too many");
    l->t.roots = calloc(json_array_size(roots), sizeof(*l->t.roots));
    if (!l->t.roots) return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < json_array_size(roots); i++) {
        json_t *r = json_array_get(roots, i);
        certlib__root *root = &l->t.roots[i];
        char where[64];
        const char *unknown = NULL;
        l->t.n_roots = i + 1;
        if (!json_is_object(r)) return fail(l, "roots[%zu]: an object is required", i);
        if (!only_keys(r, allowed, &unknown)) return fail(l, "roots[%zu]: unknown key \"%.64s\"", i, unknown);
        json_t *name = json_object_get(r, "name");
        if (!json_is_string(name)) return fail(l, "roots[%zu].name: a string is required", i);
        if (!(root->name = strdup(json_string_value(name)))) return CERTLIB_E_NOMEM;
        snprintf(where, sizeof(where), "roots[%zu].certificate", i);
        certlib_err err = load_cert(l, json_object_get(r, "certificate"), where, &root->cert);
        if (err) return err;
        if (!root->cert.is_ca) return fail(l, "%s: not a CA certificate", where);
        snprintf(where, sizeof(where), "roots[%zu].licence_types", i);
        if ((err = load_scope(l, json_object_get(r, "licence_types"), where, type_code_ok, &root->types)))
            return err;
        snprintf(where, sizeof(where), "roots[%zu].regions", i);
        if ((err = load_scope(l, json_object_get(r, "regions"), where, region_ok, &root->regions)))
            return err;
        if (X509_STORE_add_cert(l->t.store, root->cert.x509) != 1)
            return fail(l, "roots[%zu].certificate: listed twice", i);
    }
    return CERTLIB_OK;
}

static certlib_err load_signers(struct loader *l, json_t *list, const char *key, bool status_signer)
{
    if (!list) return CERTLIB_OK;
    if (!json_is_array(list)) return fail(l, "%s: an array is required", key);
    for (size_t i = 0; i < json_array_size(list); i++) {
        if (l->t.n_signers == CERTLIB_TRUST_MAX_CERTS) return fail(l, "%s: too many certificates", key);
        certlib__trusted *s = &l->t.signers[l->t.n_signers];
        char where[64];
        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        certlib_err err = load_cert(l, json_array_get(list, i), where, &s->cert);
        if (err) return err;
        l->t.n_signers++;
        s->status_signer = status_signer;
        if (!status_signer && !s->cert.mdoc_ds)
            return fail(l, "%s: lacks the ISO 18013-5 document-signer extended key usage", where);
        if (s->cert.is_ca) return fail(l, "%s: a CA certificate cannot sign licences or lists", where);
        err = verify_chain(&l->t, s->cert.x509, NULL, &s->root, &s->chain_not_before, &s->chain_not_after);
        if (err == CERTLIB_E_NOMEM) return err;
        if (err) return fail(l, "%s: does not chain to any root of the bundle", where);
    }
    return CERTLIB_OK;
}

certlib_err certlib_ctx_load_trust(certlib_ctx *ctx, const uint8_t *bytes, size_t len)
{
    if (!ctx || !bytes) return CERTLIB_E_INVALID_ARGUMENT;
    struct loader l = {.ctx = ctx};
    static const char *const allowed[] = {"version", "roots", "signers", "status_signers", NULL};
    const char *unknown = NULL;
    json_error_t jerr;
    certlib_err err;
    if (len > CERTLIB_TRUST_MAX_BYTES) return fail(&l, "larger than %d bytes", CERTLIB_TRUST_MAX_BYTES);
    json_t *doc = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) return fail(&l, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    if (!json_is_object(doc)) {
        err = fail(&l, "the bundle must be a JSON object");
        goto done;
    }
    if (!only_keys(doc, allowed, &unknown)) {
        err = fail(&l, "unknown key \"%.64s\"", unknown);
        goto done;
    }
    json_t *version = json_object_get(doc, "version");
    if (!json_is_integer(version) || json_integer_value(version) != 1) {
        err = fail(&l, "version: must be 1");
        goto done;
    }
    if (!(l.t.store = X509_STORE_new())) {
        err = CERTLIB_E_NOMEM;
        goto done;
    }
    if ((err = load_roots(&l, json_object_get(doc, "roots")))) goto done;
    if (!(l.t.signers = calloc(CERTLIB_TRUST_MAX_CERTS, sizeof(*l.t.signers)))) {
        err = CERTLIB_E_NOMEM;
        goto done;
    }
    if ((err = load_signers(&l, json_object_get(doc, "signers"), "signers", false))) goto done;
    if ((err = load_signers(&l, json_object_get(doc, "status_signers"), "status_signers", true))) goto done;

    /* Replace: signers cached and status lists accepted under the old bundle go with it. */
    trust_clear(&ctx->trust);
    cache_clear(ctx);
    certlib__ctx_clear_status(ctx);
    ctx->trust = l.t;
    memset(&l.t, 0, sizeof(l.t));
    ctx->trust_error[0] = '\0';
done:
    trust_clear(&l.t);
    json_decref(doc);
    return err;
}

certlib_err certlib_ctx_load_trust_file(certlib_ctx *ctx, const char *path)
{
    if (!ctx || !path) return CERTLIB_E_INVALID_ARGUMENT;
    uint8_t *bytes;
    size_t len;
    certlib_err err = certlib__read_file(path, CERTLIB_TRUST_MAX_BYTES, &bytes, &len);
    if (err) {
        snprintf(ctx->trust_error, sizeof(ctx->trust_error), "cannot read the bundle: %s",
                 certlib_strerror(err));
        return err;
    }
    err = certlib_ctx_load_trust(ctx, bytes, len);
    free(bytes);
    return err;
}

/* ---- resolving signers ---- */

static const certlib__trusted *by_fingerprint(const certlib__trusted *list, size_t n, const uint8_t fp[32])
{
    for (size_t i = 0; i < n; i++)
        if (sodium_memcmp(list[i].cert.fingerprint, fp, 32) == 0) return &list[i];
    return NULL;
}

/* A document signer supplied in x5chain but absent from the bundle: verify its chain, remember it. */
static certlib_err from_x5chain(const certlib_ctx *cctx, const certlib__sign1 *s,
                                const certlib__trusted **out)
{
    certlib_ctx *ctx = (certlib_ctx *)cctx; /* the cache is the one mutable part, behind its lock */
    certlib__certinfo leaf;
    certlib_err err = certlib__certinfo_parse(s->x5chain[0].ptr, s->x5chain[0].len, &leaf);
    if (err) return err == CERTLIB_E_NOMEM ? err : CERTLIB_E_CERTIFICATE;

    const certlib__trusted *found =
        by_fingerprint(ctx->trust.signers, ctx->trust.n_signers, leaf.fingerprint);
    if (found && !found->status_signer) {
        certlib__certinfo_clear(&leaf);
        *out = found;
        return CERTLIB_OK;
    }
    pthread_mutex_lock(&ctx->cache_lock);
    found = by_fingerprint(ctx->cache, ctx->n_cache, leaf.fingerprint);
    pthread_mutex_unlock(&ctx->cache_lock);
    if (found) {
        certlib__certinfo_clear(&leaf);
        *out = found;
        return CERTLIB_OK;
    }

    certlib__trusted fresh = {.cert = leaf};
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    err = untrusted ? CERTLIB_OK : CERTLIB_E_NOMEM;
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
    if (!err && (!leaf.mdoc_ds || leaf.is_ca)) err = CERTLIB_E_SIGNER_ROLE;
    if (!err)
        err = verify_chain(&ctx->trust, leaf.x509, untrusted, &fresh.root, &fresh.chain_not_before,
                           &fresh.chain_not_after);
    sk_X509_pop_free(untrusted, X509_free);
    if (err) {
        certlib__certinfo_clear(&fresh.cert);
        return err;
    }

    pthread_mutex_lock(&ctx->cache_lock);
    found =
        by_fingerprint(ctx->cache, ctx->n_cache, fresh.cert.fingerprint); /* another thread may have won */
    if (!found && ctx->n_cache < CTX_CACHE_MAX) {
        ctx->cache[ctx->n_cache] = fresh;
        found = &ctx->cache[ctx->n_cache++];
        memset(&fresh, 0, sizeof(fresh));
    }
    pthread_mutex_unlock(&ctx->cache_lock);
    if (found) {
        certlib__certinfo_clear(&fresh.cert);
        *out = found;
        return CERTLIB_OK;
    }
    /* The cache is full (a flood of distinct certificates): this one is trusted but not kept. */
    certlib__certinfo_clear(&fresh.cert);
    return CERTLIB_E_CBOR_LIMIT;
}

certlib_err certlib__ctx_find_signer(const certlib_ctx *ctx, const certlib__sign1 *s, bool for_status,
                                     const certlib__trusted **out)
{
    *out = NULL;
    if (s->n_x5chain && !for_status) {
        certlib_err err = from_x5chain(ctx, s, out);
        if (err) return err;
        /* A kid next to an x5chain must name the same certificate. */
        if (s->kid.len &&
            (s->kid.len != CERTLIB_KID_LEN || memcmp(s->kid.ptr, (*out)->cert.kid, CERTLIB_KID_LEN)))
            return CERTLIB_E_UNKNOWN_KID;
        return CERTLIB_OK;
    }
    if (s->kid.len != CERTLIB_KID_LEN) return CERTLIB_E_UNKNOWN_KID;
    const certlib__trusted *wrong_role = NULL;
    for (size_t i = 0; i < ctx->trust.n_signers; i++) {
        const certlib__trusted *t = &ctx->trust.signers[i];
        if (memcmp(t->cert.kid, s->kid.ptr, CERTLIB_KID_LEN) != 0) continue;
        if (t->status_signer == for_status) {
            *out = t;
            return CERTLIB_OK;
        }
        wrong_role = t;
    }
    return wrong_role ? CERTLIB_E_SIGNER_ROLE : CERTLIB_E_UNKNOWN_KID;
}
