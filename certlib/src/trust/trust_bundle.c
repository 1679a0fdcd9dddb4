/* The trust bundle (docs/formats.md): read with jansson, strictly (unknown and duplicate keys refused,
 * every error naming its place), every signer's chain verified before anything replaces the bundle a
 * context holds. */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/ident.h"
#include "trust/crl_internal.h"
#include "trust/ctx_internal.h"
#include "trust/json_keys.h"
#include "base/fileio.h"

struct loader {
    certlib_ctx *ctx;
    certlib__trust t;
    X509_CRL **crls; /* the bundle's own CRLs, one slot per root */
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

bool certlib__json_only_keys(json_t *obj, const char *const *allowed, const char **unknown)
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

/* ---- scope entries ---- */

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

static bool issuer_ok(const char *s)
{
    certlib_ident id;
    certlib_ident_opts opts = {.accept = CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)};
    return certlib_ident_check(s, strlen(s), &opts, &id) == CERTLIB_OK && strcmp(id.normalized, s) == 0;
}

static bool uri_prefix_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > CERTLIB_STATUS_URI_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) return false;
    return true;
}

/* A scope list: NULL for ["*"] or an absent key when `optional`, else a NULL-terminated copy. */
static certlib_err load_list(struct loader *l, json_t *arr, const char *where, bool (*ok)(const char *),
                             bool optional, char ***out)
{
    *out = NULL;
    if (!arr && optional) return CERTLIB_OK;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return fail(l, "%s: a non-empty array is required", where);
    size_t n = json_array_size(arr);
    if (n == 1 && json_is_string(json_array_get(arr, 0)) &&
        strcmp(json_string_value(json_array_get(arr, 0)), "*") == 0)
        return CERTLIB_OK;
    if (n > CERTLIB_TRUST_MAX_CERTS) return fail(l, "%s: too many entries", where);
    char **list = calloc(n + 1, sizeof(*list));
    if (!list) return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
            !ok(json_string_value(v))) {
            certlib__strings_free(list);
            return fail(l, "%s[%zu]: not a valid entry (\"*\" alone, or entries of the documented form)",
                        where, i);
        }
        if (!(list[i] = strdup(json_string_value(v)))) {
            certlib__strings_free(list);
            return CERTLIB_E_NOMEM;
        }
    }
    *out = list;
    return CERTLIB_OK;
}

static certlib_err load_scope(struct loader *l, json_t *obj, const char *where, bool optional,
                              certlib__scope *out)
{
    char at[96];
    snprintf(at, sizeof(at), "%s.licence_types", where);
    certlib_err err =
        load_list(l, json_object_get(obj, "licence_types"), at, type_code_ok, optional, &out->types);
    if (err) return err;
    snprintf(at, sizeof(at), "%s.regions", where);
    return load_list(l, json_object_get(obj, "regions"), at, region_ok, optional, &out->regions);
}

/* ---- certificates ---- */

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
        if (!certlib__json_only_keys(r, allowed, &unknown))
            return fail(l, "roots[%zu]: unknown key \"%.64s\"", i, unknown);
        json_t *name = json_object_get(r, "name");
        if (!json_is_string(name)) return fail(l, "roots[%zu].name: a string is required", i);
        if (!(root->name = strdup(json_string_value(name)))) return CERTLIB_E_NOMEM;
        snprintf(where, sizeof(where), "roots[%zu].certificate", i);
        certlib_err err = load_cert(l, json_object_get(r, "certificate"), where, &root->cert);
        if (err) return err;
        if (!root->cert.is_ca) return fail(l, "%s: not a CA certificate", where);
        snprintf(where, sizeof(where), "roots[%zu]", i);
        if ((err = load_scope(l, r, where, false, &root->scope))) return err;
        if (X509_STORE_add_cert(l->t.store, root->cert.x509) != 1)
            return fail(l, "roots[%zu].certificate: listed twice", i);
    }
    return CERTLIB_OK;
}

/* An entry of "signers" or "status_signers": a PEM string, or an object with the certificate and the
 * scope this signer is limited to. */
static certlib_err load_signer_entry(struct loader *l, json_t *entry, const char *where, bool status_signer,
                                     certlib__trusted *s)
{
    static const char *const document_keys[] = {"certificate", "licence_types", "regions", NULL};
    static const char *const status_keys[] = {"certificate", "issuers", "uri_prefixes", NULL};
    json_t *pem = entry;
    certlib_err err;
    if (json_is_object(entry)) {
        const char *unknown = NULL;
        if (!certlib__json_only_keys(entry, status_signer ? status_keys : document_keys, &unknown))
            return fail(l, "%s: unknown key \"%.64s\"", where, unknown);
        pem = json_object_get(entry, "certificate");
        char at[96];
        if (status_signer) {
            snprintf(at, sizeof(at), "%s.issuers", where);
            if ((err = load_list(l, json_object_get(entry, "issuers"), at, issuer_ok, true, &s->issuers)))
                return err;
            snprintf(at, sizeof(at), "%s.uri_prefixes", where);
            if ((err = load_list(l, json_object_get(entry, "uri_prefixes"), at, uri_prefix_ok, true,
                                 &s->uri_prefixes)))
                return err;
        } else if ((err = load_scope(l, entry, where, true, &s->scope))) {
            return err;
        }
    }
    char at[96];
    snprintf(at, sizeof(at), json_is_object(entry) ? "%s.certificate" : "%s", where);
    if ((err = load_cert(l, pem, at, &s->cert))) return err;
    s->status_signer = status_signer;
    s->listed = true;
    if (!status_signer && !s->cert.mdoc_ds)
        return fail(l, "%s: lacks the ISO 18013-5 document-signer extended key usage", where);
    if (!s->cert.signs) return fail(l, "%s: its key usage does not include digitalSignature", where);
    if (s->cert.is_ca) return fail(l, "%s: a CA certificate cannot sign licences or lists", where);
    err = certlib__chain_verify(&l->t, s->cert.x509, NULL, s);
    if (err == CERTLIB_E_NOMEM) return err;
    if (err == CERTLIB_E_SIGNER_REVOKED) return fail(l, "%s: listed in revoked_signers", where);
    if (err) return fail(l, "%s: does not chain to any root of the bundle", where);
    return CERTLIB_OK;
}

static certlib_err load_signers(struct loader *l, json_t *list, const char *key, bool status_signer)
{
    if (!list) return CERTLIB_OK;
    if (!json_is_array(list)) return fail(l, "%s: an array is required", key);
    for (size_t i = 0; i < json_array_size(list); i++) {
        if (l->t.n_signers == CERTLIB_TRUST_MAX_CERTS) return fail(l, "%s: too many certificates", key);
        char where[64];
        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        certlib_err err = load_signer_entry(l, json_array_get(list, i), where, status_signer,
                                            &l->t.signers[l->t.n_signers]);
        l->t.n_signers++; /* cleared with the rest, whether it loaded or not */
        if (err) return err;
    }
    return CERTLIB_OK;
}

static certlib_err load_denied(struct loader *l, json_t *list)
{
    if (!list) return CERTLIB_OK;
    if (!json_is_array(list)) return fail(l, "revoked_signers: an array is required");
    size_t n = json_array_size(list);
    if (n > CERTLIB_TRUST_MAX_CERTS) return fail(l, "revoked_signers: too many");
    if (n && !(l->t.denied = calloc(n, sizeof(*l->t.denied)))) return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(list, i);
        size_t bin_len = 0;
        if (!json_is_string(v) || json_string_length(v) != 64 ||
            sodium_hex2bin(l->t.denied[i], 32, json_string_value(v), 64, NULL, &bin_len, NULL) != 0 ||
            bin_len != 32)
            return fail(l, "revoked_signers[%zu]: the SHA-256 of a certificate's DER, 64 hexadecimal digits",
                        i);
        l->t.n_denied = i + 1;
    }
    return CERTLIB_OK;
}

static certlib_err load_crls(struct loader *l, json_t *list)
{
    if (!(l->crls = calloc(l->t.n_roots, sizeof(*l->crls)))) return CERTLIB_E_NOMEM;
    if (!list) return CERTLIB_OK;
    if (!json_is_array(list)) return fail(l, "crls: an array is required");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *v = json_array_get(list, i);
        if (!json_is_string(v)) return fail(l, "crls[%zu]: a PEM string is required", i);
        X509_CRL *crl = NULL;
        size_t root;
        certlib_err err = certlib__crl_read(&l->t, (const uint8_t *)json_string_value(v),
                                            json_string_length(v), &crl, &root);
        if (err == CERTLIB_E_NOMEM) return err;
        if (err) return fail(l, "crls[%zu]: refused (%s)", i, certlib_err_name(err));
        certlib__crl_keep_newest(&l->crls[root], crl);
    }
    return CERTLIB_OK;
}

static void trust_clear(certlib__trust *t)
{
    for (size_t i = 0; i < t->n_roots; i++) {
        free(t->roots[i].name);
        certlib__certinfo_clear(&t->roots[i].cert);
        certlib__scope_free(&t->roots[i].scope);
    }
    free(t->roots);
    for (size_t i = 0; t->signers && i < t->n_signers; i++)
        certlib__trusted_clear(&t->signers[i]);
    free(t->signers);
    free(t->denied);
    X509_STORE_free(t->store);
    certlib__registry_clear(&t->registry);
    memset(t, 0, sizeof(*t));
}

void certlib__trust_free(certlib_ctx *ctx)
{
    certlib__ctx_clear_crls(ctx, ctx->trust.n_roots);
    trust_clear(&ctx->trust);
}

static certlib_err load(struct loader *l, json_t *doc)
{
    static const char *const allowed[] = {"version",
                                          "roots",
                                          "signers",
                                          "status_signers",
                                          "revoked_signers",
                                          "require_listed_signers",
                                          "crls",
                                          "reader_roots",
                                          "matters",
                                          "readers",
                                          NULL};
    const char *unknown = NULL;
    certlib_err err;
    if (!json_is_object(doc)) return fail(l, "the bundle must be a JSON object");
    if (!certlib__json_only_keys(doc, allowed, &unknown)) return fail(l, "unknown key \"%.64s\"", unknown);
    json_t *version = json_object_get(doc, "version"),
           *listed = json_object_get(doc, "require_listed_signers");
    if (!json_is_integer(version) || json_integer_value(version) != 1) return fail(l, "version: must be 1");
    if (listed && !json_is_boolean(listed)) return fail(l, "require_listed_signers: true or false");
    l->t.listed_only = json_is_true(listed);
    if (!(l->t.store = X509_STORE_new())) return CERTLIB_E_NOMEM;
    if ((err = load_denied(l, json_object_get(doc, "revoked_signers")))) return err;
    if ((err = load_roots(l, json_object_get(doc, "roots")))) return err;
    if (!(l->t.signers = calloc(CERTLIB_TRUST_MAX_CERTS, sizeof(*l->t.signers)))) return CERTLIB_E_NOMEM;
    if ((err = load_signers(l, json_object_get(doc, "signers"), "signers", false))) return err;
    if ((err = load_signers(l, json_object_get(doc, "status_signers"), "status_signers", true))) return err;
    if ((err = certlib__registry_load(&l->t.registry, json_object_get(doc, "reader_roots"),
                                      json_object_get(doc, "matters"), json_object_get(doc, "readers"),
                                      l->ctx->trust_error, sizeof(l->ctx->trust_error))))
        return err;
    return load_crls(l, json_object_get(doc, "crls"));
}

certlib_err certlib_ctx_load_trust(certlib_ctx *ctx, const uint8_t *bytes, size_t len)
{
    if (!ctx || !bytes) return CERTLIB_E_INVALID_ARGUMENT;
    struct loader l = {.ctx = ctx};
    json_error_t jerr;
    if (len > CERTLIB_TRUST_MAX_BYTES) return fail(&l, "larger than %d bytes", CERTLIB_TRUST_MAX_BYTES);
    json_t *doc = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) return fail(&l, "line %d column %d: %s", jerr.line, jerr.column, jerr.text);
    certlib_err err = load(&l, doc);
    json_decref(doc);
    if (!err) {
        /* Replace: signers cached, CRLs and status lists accepted under the old bundle go with it. */
        certlib__ctx_cache_clear(ctx);
        certlib__ctx_clear_status(ctx);
        certlib__trust_free(ctx);
        ctx->trust = l.t;
        ctx->crls = l.crls;
        memset(&l.t, 0, sizeof(l.t));
        l.crls = NULL;
        ctx->trust_error[0] = '\0';
    }
    for (size_t i = 0; l.crls && i < l.t.n_roots; i++)
        X509_CRL_free(l.crls[i]);
    free(l.crls);
    trust_clear(&l.t);
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
