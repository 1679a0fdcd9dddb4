/* The wallet's checks of a counter's OpenID4VP request, and its answers (wallet.h). The JWS is taken
 * apart here (three base64url parts, jansson for the JSON, strictly), its signature and chain checked with
 * the crypto and X.509 code the licences use, and the DCQL query compared with the bundle's registry. */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certlib/encoding.h"
#include "certlib/licence.h"
#include "certlib/wallet.h"
#include "crypto/certinfo.h"
#include "present/device_auth.h"
#include "trust/ctx_internal.h"

#define READER_AUTH_EKU "1.0.18013.5.1.6" /* ISO/IEC 18013-5 Annex B: id-mdl-kp-mdlReaderAuth */
#define X5C_MAX 4
#define QUERIES_MAX CERTLIB__MATTER_NEEDS_MAX
#define EXP_SKEW 60 /* seconds of clock difference tolerated on exp */

struct query {
    char id[65];
    char type[22];
    const char *type_name; /* the catalogue's, owned by the request */
    char **elements;
    size_t n_elements;
};

struct certlib_vp_request {
    char *reader_name, *client_id, *matter_code, *matter_name, *type_names[QUERIES_MAX];
    char *response_uri, *nonce, *state;
    int64_t expires;
    struct query queries[QUERIES_MAX];
    size_t n_queries;
};

void certlib_vp_request_free(certlib_vp_request *req)
{
    if (!req) return;
    free(req->reader_name);
    free(req->client_id);
    free(req->matter_code);
    free(req->matter_name);
    free(req->response_uri);
    free(req->nonce);
    free(req->state);
    for (size_t i = 0; i < req->n_queries; i++) {
        free(req->type_names[i]);
        for (size_t k = 0; k < req->queries[i].n_elements; k++)
            free(req->queries[i].elements[k]);
        free(req->queries[i].elements);
    }
    free(req);
}

/* ---- the JWS ---- */

/* A base64url part decoded into a JSON object (duplicate keys refused), or NULL. */
static json_t *json_part(const char *s, size_t len)
{
    size_t cap = CERTLIB_BASE64URL_DECODED_MAX(len), n;
    uint8_t *raw = malloc(cap ? cap : 1);
    json_t *doc = NULL;
    if (raw && certlib_base64url_decode(s, len, raw, cap, &n) == CERTLIB_OK)
        doc = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (doc && !json_is_object(doc)) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

/* The x5c certificates (standard base64 DER, RFC 7515 §4.1.6), parsed: at most X5C_MAX. */
static certlib_err read_x5c(json_t *x5c, certlib__certinfo *certs, size_t *n)
{
    *n = 0;
    if (!json_is_array(x5c) || json_array_size(x5c) == 0 || json_array_size(x5c) > X5C_MAX)
        return CERTLIB_E_VP_REQUEST;
    for (size_t i = 0; i < json_array_size(x5c); i++) {
        json_t *v = json_array_get(x5c, i);
        if (!json_is_string(v) || json_string_length(v) > 16384) return CERTLIB_E_VP_REQUEST;
        uint8_t der[12288];
        size_t der_len;
        if (sodium_base642bin(der, sizeof(der), json_string_value(v), json_string_length(v), NULL, &der_len,
                              NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
            return CERTLIB_E_VP_REQUEST;
        certlib_err err = certlib__certinfo_parse(der, der_len, &certs[i]);
        if (err) return err == CERTLIB_E_NOMEM ? err : CERTLIB_E_VP_REQUEST;
        *n = i + 1;
    }
    return CERTLIB_OK;
}

/* The leaf chains to a reader root, every certificate in date at `now`, and the leaf is for reader
 * authentication. */
static certlib_err reader_chain(const certlib__registry *r, certlib__certinfo *certs, size_t n, int64_t now)
{
    if (!r->reader_store || !certlib__x509_has_eku(certs[0].x509, READER_AUTH_EKU))
        return CERTLIB_E_READER_UNTRUSTED;
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();
    certlib_err err = CERTLIB_E_NOMEM;
    if (untrusted && sctx) {
        bool ok = true;
        for (size_t i = 1; i < n; i++)
            ok = ok && sk_X509_push(untrusted, certs[i].x509) > 0;
        err = CERTLIB_E_READER_UNTRUSTED;
        if (ok && X509_STORE_CTX_init(sctx, r->reader_store, certs[0].x509, untrusted) == 1) {
            X509_STORE_CTX_set_flags(sctx, X509_V_FLAG_X509_STRICT);
            X509_STORE_CTX_set_time(sctx, 0, (time_t)now);
            if (X509_verify_cert(sctx) == 1) err = CERTLIB_OK;
        }
    }
    X509_STORE_CTX_free(sctx);
    sk_X509_free(untrusted); /* the certificates are the caller's */
    return err;
}

/* "x509_hash:<base64url SHA-256 of the DER>" of a certificate. */
static void x509_hash(const certlib__certinfo *leaf, char out[64])
{
    memcpy(out, "x509_hash:", 10);
    sodium_bin2base64(out + 10, 54, leaf->fingerprint, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Checks the header, the signature and the signer; fills *payload and the reader's registration. */
static certlib_err check_jws(const certlib_ctx *ctx, const char *jwt, size_t len, int64_t now,
                             json_t **payload, const certlib__reader **reader, char client_id[64])
{
    const char *dot1 = memchr(jwt, '.', len),
               *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jwt))) return CERTLIB_E_VP_REQUEST;
    json_t *header = json_part(jwt, (size_t)(dot1 - jwt));
    *payload = json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    const char *alg = json_string_value(json_object_get(header, "alg")),
               *typ = json_string_value(json_object_get(header, "typ"));
    certlib__certinfo certs[X5C_MAX];
    size_t n_certs = 0;
    certlib_err err = CERTLIB_E_VP_REQUEST;
    if (header && *payload && alg && typ && strcmp(alg, "ES256") == 0 &&
        strcmp(typ, "oauth-authz-req+jwt") == 0 && !json_object_get(header, "crit"))
        err = read_x5c(json_object_get(header, "x5c"), certs, &n_certs);
    uint8_t sig[CERTLIB_SIG_LEN];
    size_t sig_len = 0;
    if (!err &&
        (certlib_base64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - jwt), sig, sizeof(sig), &sig_len) ||
         sig_len != sizeof(sig)))
        err = CERTLIB_E_VP_REQUEST;
    if (!err && certs[0].key.alg != CERTLIB_ALG_ES256) err = CERTLIB_E_READER_UNTRUSTED;
    if (!err) err = certlib__verify(&certs[0].key, (const uint8_t *)jwt, (size_t)(dot2 - jwt), sig, sig_len);
    if (!err) err = reader_chain(&ctx->trust.registry, certs, n_certs, now);
    if (!err) {
        x509_hash(&certs[0], client_id);
        const char *claimed = json_string_value(json_object_get(*payload, "client_id"));
        if (!claimed || strcmp(claimed, client_id) != 0)
            err = CERTLIB_E_READER_UNTRUSTED; /* the client id is not the signer's */
        else if (!(*reader = certlib__registry_reader(&ctx->trust.registry, client_id)))
            err = CERTLIB_E_READER_UNREGISTERED;
    }
    for (size_t i = 0; i < n_certs; i++)
        certlib__certinfo_clear(&certs[i]);
    json_decref(header);
    return err;
}

/* ---- the payload and its DCQL query ---- */

static char *text_of(json_t *obj, const char *name, size_t max)
{
    json_t *v = json_object_get(obj, name);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return strdup(json_string_value(v));
}

static bool query_id_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

/* One claim [namespace, element]: the element, its namespace the one docs/formats.md gives it (the
 * metadata's, or q->type's). The type constraint (licence_type_code with values [type]) sets q->type:
 * read_query reads it before any other claim. */
static certlib_err read_claim(json_t *claim, struct query *q, char **element)
{
    json_t *path = json_object_get(claim, "path"), *values = json_object_get(claim, "values");
    const char *ns = json_string_value(json_array_get(path, 0)),
               *name = json_string_value(json_array_get(path, 1));
    if (!json_is_object(claim) || !json_is_array(path) || json_array_size(path) != 2 || !ns || !name ||
        strlen(name) > 64)
        return CERTLIB_E_VP_REQUEST;
    if (strcmp(name, "licence_type_code") == 0 && strcmp(ns, CERTLIB_DOCTYPE) == 0) {
        const char *type = json_string_value(json_array_get(values, 0));
        if (!json_is_array(values) || json_array_size(values) != 1 || !type || strlen(type) != 21)
            return CERTLIB_E_VP_REQUEST;
        memcpy(q->type, type, 22);
    } else if (values) {
        return CERTLIB_E_VP_REQUEST; /* a value constraint on anything else: not this profile */
    }
    char want[64];
    if (certlib_element_label(name)) /* a metadata element */
        snprintf(want, sizeof(want), "%s", CERTLIB_NS_META);
    else if (certlib_type_namespace(q->type, want, sizeof(want)) != CERTLIB_OK)
        return CERTLIB_E_VP_REQUEST;
    if (strcmp(ns, want) != 0) return CERTLIB_E_VP_REQUEST;
    return (*element = strdup(name)) ? CERTLIB_OK : CERTLIB_E_NOMEM;
}

static certlib_err read_query(json_t *c, struct query *q)
{
    json_t *jid = json_object_get(c, "id");
    const char *id = json_string_value(jid), *format = json_string_value(json_object_get(c, "format"));
    json_t *meta = json_object_get(c, "meta"), *claims = json_object_get(c, "claims");
    const char *doctype = json_string_value(json_object_get(meta, "doctype_value"));
    if (!json_is_object(c) || !id || !query_id_ok(id, json_string_length(jid)) || !format ||
        strcmp(format, "mso_mdoc") != 0 || !doctype || strcmp(doctype, CERTLIB_DOCTYPE) != 0 ||
        !json_is_array(claims) || json_array_size(claims) == 0 ||
        json_array_size(claims) > CERTLIB__NEED_ELEMENTS_MAX + 2)
        return CERTLIB_E_VP_REQUEST;
    memcpy(q->id, id, strlen(id) + 1);
    /* the type constraint first, wherever it stands, so every claim's namespace can be checked */
    for (size_t i = 0; i < json_array_size(claims); i++) {
        json_t *path = json_object_get(json_array_get(claims, i), "path");
        const char *name = json_string_value(json_array_get(path, 1));
        if (name && strcmp(name, "licence_type_code") == 0) {
            char *ignored = NULL;
            certlib_err err = read_claim(json_array_get(claims, i), q, &ignored);
            free(ignored);
            if (err) return err;
        }
    }
    if (!q->type[0]) return CERTLIB_E_VP_REQUEST; /* this profile names the type it asks for */
    if (!(q->elements = calloc(json_array_size(claims), sizeof(*q->elements)))) return CERTLIB_E_NOMEM;
    for (size_t i = 0; i < json_array_size(claims); i++) {
        char *element;
        certlib_err err = read_claim(json_array_get(claims, i), q, &element);
        if (err) return err;
        for (size_t k = 0; k < q->n_elements; k++)
            if (strcmp(q->elements[k], element) == 0) err = CERTLIB_E_VP_REQUEST; /* asked twice */
        if (err) {
            free(element);
            return err;
        }
        q->elements[q->n_elements++] = element;
    }
    return CERTLIB_OK;
}

/* The need of `matter` for type `type`, or NULL. */
static const certlib__need *need_of(const certlib__matter *m, const char *type)
{
    for (size_t i = 0; i < m->n_needs; i++)
        if (strcmp(m->needs[i].type, type) == 0) return &m->needs[i];
    return NULL;
}

/* Every query within `m`: each type one it needs, each element one of that need's. */
static bool within(const certlib__matter *m, const certlib_vp_request *req)
{
    for (size_t i = 0; i < req->n_queries; i++) {
        const struct query *q = &req->queries[i];
        const certlib__need *need = need_of(m, q->type);
        if (!need) return false;
        for (size_t k = 0; k < q->n_elements; k++) {
            bool asked =
                strcmp(q->elements[k], "licence_id") == 0 || strcmp(q->elements[k], "licence_type_code") == 0;
            for (size_t e = 0; !asked && e < need->n_elements; e++)
                asked = strcmp(need->elements[e], q->elements[k]) == 0;
            if (!asked) return false;
        }
    }
    return true;
}

static certlib_err read_payload(json_t *p, int64_t now, certlib_vp_request *req)
{
    const char *response_type = json_string_value(json_object_get(p, "response_type")),
               *mode = json_string_value(json_object_get(p, "response_mode"));
    json_t *exp = json_object_get(p, "exp"), *dcql = json_object_get(p, "dcql_query");
    json_t *credentials = json_object_get(dcql, "credentials");
    if (!response_type || strcmp(response_type, "vp_token") != 0 || !mode ||
        strcmp(mode, "direct_post") != 0 || !(req->nonce = text_of(p, "nonce", 256)) ||
        !(req->response_uri = text_of(p, "response_uri", 2048)) || (exp && !json_is_integer(exp)) ||
        !json_is_object(dcql) || !json_is_array(credentials) || json_array_size(credentials) == 0 ||
        json_array_size(credentials) > QUERIES_MAX ||
        (strncmp(req->response_uri, "https://", 8) != 0 && strncmp(req->response_uri, "http://", 7) != 0))
        return CERTLIB_E_VP_REQUEST;
    if (json_object_get(p, "state") && !(req->state = text_of(p, "state", 256))) return CERTLIB_E_VP_REQUEST;
    req->expires = exp ? json_integer_value(exp) : 0; /* optional (RFC 9101): 0, none */
    for (size_t i = 0; i < json_array_size(credentials); i++) {
        req->n_queries = i + 1;
        certlib_err err = read_query(json_array_get(credentials, i), &req->queries[i]);
        if (err) return err;
        for (size_t k = 0; k < i; k++)
            if (strcmp(req->queries[k].id, req->queries[i].id) == 0) return CERTLIB_E_VP_REQUEST;
    }
    if (exp && now > req->expires + EXP_SKEW) return CERTLIB_E_REQUEST_EXPIRED;
    return CERTLIB_OK;
}

certlib_err certlib_vp_request_parse(const certlib_ctx *ctx, const char *jwt, size_t len, int64_t now,
                                     certlib_vp_request **out)
{
    if (!ctx || !jwt || !out) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    if (len > CERTLIB_VP_REQUEST_MAX_BYTES) return CERTLIB_E_VP_REQUEST;
    if (!now) now = (int64_t)time(NULL);
    certlib_vp_request *req = calloc(1, sizeof(*req));
    if (!req) return CERTLIB_E_NOMEM;
    json_t *payload = NULL;
    const certlib__reader *reader = NULL;
    char client_id[64];
    certlib_err err = check_jws(ctx, jwt, len, now, &payload, &reader, client_id);
    if (!err) err = read_payload(payload, now, req);
    const certlib__matter *matter = NULL;
    for (size_t i = 0; !err && !matter && i < reader->n_matters; i++)
        if (within(&ctx->trust.registry.matters[reader->matters[i]], req))
            matter = &ctx->trust.registry.matters[reader->matters[i]];
    if (!err && !matter) err = CERTLIB_E_REQUEST_BEYOND_MATTER;
    if (!err && (!(req->reader_name = strdup(reader->name)) || !(req->client_id = strdup(client_id)) ||
                 !(req->matter_code = strdup(matter->code)) || !(req->matter_name = strdup(matter->name))))
        err = CERTLIB_E_NOMEM;
    for (size_t i = 0; !err && i < req->n_queries; i++) {
        if (!(req->type_names[i] = strdup(need_of(matter, req->queries[i].type)->type_name)))
            err = CERTLIB_E_NOMEM;
        req->queries[i].type_name = req->type_names[i];
    }
    json_decref(payload);
    if (err) {
        certlib_vp_request_free(req);
        return err;
    }
    *out = req;
    return CERTLIB_OK;
}

/* ---- reading it, and answering ---- */

const char *certlib_vp_request_reader_name(const certlib_vp_request *r)
{
    return r ? r->reader_name : NULL;
}
const char *certlib_vp_request_client_id(const certlib_vp_request *r)
{
    return r ? r->client_id : NULL;
}
const char *certlib_vp_request_matter_code(const certlib_vp_request *r)
{
    return r ? r->matter_code : NULL;
}
const char *certlib_vp_request_matter_name(const certlib_vp_request *r)
{
    return r ? r->matter_name : NULL;
}
const char *certlib_vp_request_response_uri(const certlib_vp_request *r)
{
    return r ? r->response_uri : NULL;
}
const char *certlib_vp_request_nonce(const certlib_vp_request *r)
{
    return r ? r->nonce : NULL;
}
const char *certlib_vp_request_state(const certlib_vp_request *r)
{
    return r ? r->state : NULL;
}
int64_t certlib_vp_request_expires(const certlib_vp_request *r)
{
    return r ? r->expires : 0;
}
size_t certlib_vp_request_query_count(const certlib_vp_request *r)
{
    return r ? r->n_queries : 0;
}

static const struct query *query_at(const certlib_vp_request *r, size_t i)
{
    return r && i < r->n_queries ? &r->queries[i] : NULL;
}

const char *certlib_vp_request_query_id(const certlib_vp_request *r, size_t i)
{
    const struct query *q = query_at(r, i);
    return q ? q->id : NULL;
}

const char *certlib_vp_request_query_type(const certlib_vp_request *r, size_t i)
{
    const struct query *q = query_at(r, i);
    return q ? q->type : NULL;
}

const char *certlib_vp_request_query_type_name(const certlib_vp_request *r, size_t i)
{
    const struct query *q = query_at(r, i);
    return q ? q->type_name : NULL;
}

size_t certlib_vp_request_query_element_count(const certlib_vp_request *r, size_t i)
{
    const struct query *q = query_at(r, i);
    return q ? q->n_elements : 0;
}

const char *certlib_vp_request_query_element(const certlib_vp_request *r, size_t i, size_t k)
{
    const struct query *q = query_at(r, i);
    return q && k < q->n_elements ? q->elements[k] : NULL;
}

certlib_err certlib_vp_request_present(const certlib_vp_request *req, size_t i, const uint8_t *licence,
                                       size_t len, certlib_slice device_key_pem, uint8_t **out,
                                       size_t *out_len)
{
    const struct query *q = query_at(req, i);
    if (!q || !licence || !out || !out_len) return CERTLIB_E_INVALID_ARGUMENT;
    certlib_result *read;
    certlib_err err = certlib_licence_read(licence, len, &read);
    if (err) return err;
    const char *type = certlib_result_licence_type(read);
    bool same = certlib_result_check(read, CERTLIB_CHECK_STRUCTURE).state == CERTLIB_CHECK_PASSED && type &&
                strcmp(type, q->type) == 0;
    certlib_result_free(read);
    if (!same) return CERTLIB_E_SCOPE_TYPE;
    const certlib_oid4vp_session session = {
        .client_id = req->client_id, .nonce = req->nonce, .response_uri = req->response_uri};
    return certlib_present_oid4vp(licence, len, (const char *const *)q->elements, q->n_elements,
                                  device_key_pem, &session, out, out_len);
}
