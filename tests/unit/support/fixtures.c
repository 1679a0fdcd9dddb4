/* Test fixtures over keys-example/ (see fixtures.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"

const char *fixture_keys_dir = "keys-example";

const char *fixture_path(const char *rel)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s", fixture_keys_dir, rel);
    return path;
}

certlib_signer *fixture_signer(const char *alg, const char *name)
{
    char key[1024], crt[1024];
    snprintf(key, sizeof(key), "%s/pki/%s/%s.key", fixture_keys_dir, alg, name);
    snprintf(crt, sizeof(crt), "%s/pki/%s/%s.crt", fixture_keys_dir, alg, name);
    certlib_signer *s = NULL;
    certlib_err err = certlib_signer_load(key, crt, &s);
    if (err) fail_msg("signer %s/%s: %s", alg, name, certlib_err_name(err));
    return s;
}

certlib_ctx *fixture_ctx(void)
{
    certlib_ctx *ctx = NULL;
    assert_int_equal(certlib_ctx_new(&ctx), CERTLIB_OK);
    certlib_err err = certlib_ctx_load_trust_file(ctx, fixture_path("trust.json"));
    if (err) fail_msg("trust.json: %s", certlib_ctx_trust_error(ctx));
    return ctx;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static json_t *pem_array(const char *list)
{
    json_t *arr = json_array();
    if (!list) return arr;
    char *copy = strdup(list), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char rel[256];
        snprintf(rel, sizeof(rel), "pki/%s.crt", tok);
        char *pem = read_text(fixture_path(rel));
        json_array_append_new(arr, json_string(pem));
        free(pem);
    }
    free(copy);
    return arr;
}

char *fixture_bundle(const char *roots, const char *types, const char *regions, const char *signers,
                     const char *status_signers)
{
    json_t *doc = json_object(), *root_list = json_array();
    json_object_set_new(doc, "version", json_integer(1));
    char *copy = strdup(roots), *save = NULL;
    for (char *alg = strtok_r(copy, ",", &save); alg; alg = strtok_r(NULL, ",", &save)) {
        char rel[256];
        snprintf(rel, sizeof(rel), "pki/%s/root.crt", alg);
        char *pem = read_text(fixture_path(rel));
        json_t *root = json_object();
        json_object_set_new(root, "name", json_string(alg));
        json_object_set_new(root, "certificate", json_string(pem));
        json_object_set_new(root, "licence_types", json_loads(types, 0, NULL));
        json_object_set_new(root, "regions", json_loads(regions, 0, NULL));
        json_array_append_new(root_list, root);
        free(pem);
    }
    free(copy);
    json_object_set_new(doc, "roots", root_list);
    json_object_set_new(doc, "signers", pem_array(signers));
    json_object_set_new(doc, "status_signers", pem_array(status_signers));
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    return text;
}

certlib_ctx *fixture_ctx_from(const char *bundle_json)
{
    certlib_ctx *ctx = NULL;
    assert_int_equal(certlib_ctx_new(&ctx), CERTLIB_OK);
    certlib_err err = certlib_ctx_load_trust(ctx, (const uint8_t *)bundle_json, strlen(bundle_json));
    if (err) fail_msg("bundle: %s", certlib_ctx_trust_error(ctx));
    return ctx;
}

static const certlib_element fixture_elements[] = {
    {.identifier = "registered_capital", .type = CERTLIB_VALUE_INT, .integer = 1000000},
    {.identifier = "business_scope", .type = CERTLIB_VALUE_TEXT, .text = "软件开发；信息技术咨询服务"},
    {.identifier = "established", .type = CERTLIB_VALUE_DATE, .text = "2020-05-01"},
};

void fixture_spec(certlib_licence_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->licence_type_code = FIXTURE_TYPE;
    spec->licence_name = "营业执照";
    spec->holder_name = "杭州某某科技有限公司";
    spec->holder_id = FIXTURE_HOLDER_ID;
    spec->signed_at = 1795400000; /* 2026-11-23, inside the demo certificates' validity */
    spec->valid_until = 1795400000 + 10LL * 365 * 86400;
    spec->elements = fixture_elements;
    spec->n_elements = sizeof(fixture_elements) / sizeof(fixture_elements[0]);
}

const char *fixture_type_for(const certlib_signer *signer)
{
    /* keys-example/generate.sh: each department's licence types (policies/licence-types.yaml) */
    static const char *const types[][2] = {{"11330100002498113P", FIXTURE_TYPE},
                                           {"11330100002498121J", "11100000000013338W002"},
                                           {"1133010000249813XA", "11100000000013338W004"},
                                           {"113301000024981565", "11100000000013338W006"},
                                           {"113301000024981640", "11100000000013338W007"},
                                           {"11330100002498172T", "11100000000013338W008"}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(certlib_signer_issuer_code(signer), types[i][0]) == 0) return types[i][1];
    return FIXTURE_TYPE;
}

uint8_t *fixture_licence(certlib_signer *signer, certlib_licence_spec *overrides, size_t *len)
{
    certlib_licence_spec spec;
    if (overrides)
        spec = *overrides;
    else
        fixture_spec(&spec);
    if (spec.licence_type_code && strcmp(spec.licence_type_code, FIXTURE_TYPE) == 0)
        spec.licence_type_code = fixture_type_for(signer);
    uint8_t *out = NULL;
    certlib_err err = certlib_licence_issue(signer, &spec, &out, len, NULL);
    if (err) fail_msg("issue: %s", certlib_err_name(err));
    return out;
}

certlib_result *fixture_verify(const certlib_ctx *ctx, const uint8_t *licence, size_t len, int64_t now)
{
    certlib_verify_opts opts = {.now = now ? now : FIXTURE_NOW};
    certlib_result *r = NULL;
    assert_int_equal(certlib_licence_verify(ctx, licence, len, &opts, &r), CERTLIB_OK);
    assert_non_null(r);
    return r;
}

/* ---- certificates minted on the fly under a demo root ---- */

static EVP_PKEY *read_key(const char *rel)
{
    FILE *f = fopen(fixture_path(rel), "r");
    if (!f) fail_msg("cannot open %s", rel);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!k) fail_msg("not a key: %s", rel);
    return k;
}

static X509 *read_cert(const char *rel)
{
    FILE *f = fopen(fixture_path(rel), "r");
    if (!f) fail_msg("cannot open %s", rel);
    X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!c) fail_msg("not a certificate: %s", rel);
    return c;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext || X509_add_ext(cert, ext, -1) != 1) fail_msg("extension %d", nid);
    X509_EXTENSION_free(ext);
}

static char *pem_of(int (*write)(BIO *, void *), void *obj)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(write(bio, obj), 1);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *out = strndup(data, (size_t)n);
    BIO_free(bio);
    return out;
}

static int write_cert(BIO *b, void *c)
{
    return PEM_write_bio_X509(b, c);
}
static int write_key(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

certlib_signer *fixture_mint(const struct fixture_mint *m, char **cert_pem)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "pki/%s/root.key", m->alg);
    EVP_PKEY *root_key = read_key(rel);
    snprintf(rel, sizeof(rel), "pki/%s/root.crt", m->alg);
    X509 *root = read_cert(rel);
    EVP_PKEY *key = strcmp(m->alg, "ed25519") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
                                                   : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(key);
    X509 *cert = X509_new();
    X509_set_version(cert, X509_VERSION_3);
    uint8_t serial[16];
    randombytes_buf(serial, sizeof(serial));
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    X509_NAME *name = X509_NAME_new();
    char org_id[64];
    snprintf(org_id, sizeof(org_id), "NTRCN-%s", m->issuer_code ? m->issuer_code : "11330100002498113P");
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, (const unsigned char *)"CN", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"minted in a test", -1, -1,
                               0);
    X509_NAME_add_entry_by_NID(name, NID_organizationIdentifier, MBSTRING_UTF8, (const unsigned char *)org_id,
                               -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"test signer", -1, -1, 0);
    X509_set_subject_name(cert, name);
    X509_NAME_free(name);
    X509_set_issuer_name(cert, X509_get_subject_name(root));
    int64_t nb = m->not_before ? m->not_before : FIXTURE_SIGNED - 365 * 86400;
    int64_t na = m->not_after ? m->not_after : FIXTURE_SIGNED + 5 * 365 * 86400;
    ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)nb);
    ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)na);
    X509_set_pubkey(cert, key);
    add_ext(cert, root, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert, root, NID_key_usage,
            m->no_digital_signature ? "critical,keyEncipherment" : "critical,digitalSignature");
    if (!m->status) add_ext(cert, root, NID_ext_key_usage, "1.0.18013.5.1.2");
    add_ext(cert, root, NID_subject_key_identifier, "hash");
    add_ext(cert, root, NID_authority_key_identifier, "keyid");
    assert_true(X509_sign(cert, root_key, strcmp(m->alg, "ed25519") == 0 ? NULL : EVP_sha256()) > 0);
    char *crt = pem_of(write_cert, cert), *pem_key = pem_of(write_key, key);
    certlib_signer *signer = NULL;
    certlib_err err = certlib_signer_new((certlib_slice){(const uint8_t *)pem_key, strlen(pem_key)},
                                         (certlib_slice){(const uint8_t *)crt, strlen(crt)}, &signer);
    if (err) fail_msg("minted signer: %s", certlib_err_name(err));
    if (cert_pem)
        *cert_pem = crt;
    else
        free(crt);
    free(pem_key);
    X509_free(cert);
    X509_free(root);
    EVP_PKEY_free(key);
    EVP_PKEY_free(root_key);
    return signer;
}
