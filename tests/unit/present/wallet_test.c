/* certlib wallet.h: request objects made here as a counter's reader would make them (ES256 JWS under the
 * demo reader key of keys-example/readers, x5c, a DCQL query), checked against keys-example's trust bundle
 * and variants of it: every refusal has its own reason, and an answer discloses exactly what was asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixtures.h"

#define HUKOU "11100000000013338W004"
#define MATTER "ZJ-HYDJ-001"

static int64_t now;

static char *b64url(const void *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = malloc(cap);
    sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

/* The DER of a PEM certificate file, standard base64 (an x5c entry), and its x509_hash client id. */
static void x5c_of(const char *rel, char **x5c, char client_id[64])
{
    FILE *f = fopen(fixture_path(rel), "r");
    assert_non_null(f);
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    size_t cap = sodium_base64_ENCODED_LEN((size_t)len, sodium_base64_VARIANT_ORIGINAL);
    *x5c = malloc(cap);
    sodium_bin2base64(*x5c, cap, der, (size_t)len, sodium_base64_VARIANT_ORIGINAL);
    uint8_t hash[32];
    EVP_Digest(der, (size_t)len, hash, NULL, EVP_sha256(), NULL);
    char *h = b64url(hash, 32);
    snprintf(client_id, 64, "x509_hash:%s", h);
    free(h);
    OPENSSL_free(der);
    X509_free(cert);
}

/* A compact JWS of `payload` with `header`, signed ES256 with the PEM key at `key_rel`. */
static char *jws(json_t *header, json_t *payload, const char *key_rel)
{
    char *h_json = json_dumps(header, JSON_COMPACT), *p_json = json_dumps(payload, JSON_COMPACT);
    char *h = b64url(h_json, strlen(h_json)), *p = b64url(p_json, strlen(p_json));
    size_t input_len = strlen(h) + 1 + strlen(p);
    char *out = malloc(input_len + 100);
    sprintf(out, "%s.%s", h, p);
    FILE *f = fopen(fixture_path(key_rel), "r");
    assert_non_null(f);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t der_len = sizeof(der);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, der, &der_len, (unsigned char *)out, input_len), 1);
    const unsigned char *dp = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &dp, (long)der_len);
    uint8_t raw[64];
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
    char *s = b64url(raw, 64);
    sprintf(out + input_len, ".%s", s);
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    free(h_json), free(p_json), free(h), free(p), free(s);
    return out;
}

struct request {
    json_t *header, *payload;
    const char *key; /* the signing key's path under keys-example */
};

/* A request of counter-hz for the 居民户口簿 of 婚姻登记, as authd makes it. */
static struct request good(void)
{
    char *x5c, client_id[64];
    x5c_of("readers/counter-hz.crt", &x5c, client_id);
    json_t *claims = json_pack("[{s:[s,s]}, {s:[s,s], s:[s]}, {s:[s,s]}, {s:[s,s]}]", "path",
                               "cn.gov.elicence.1", "licence_id", "path", "cn.gov.elicence.1",
                               "licence_type_code", "values", HUKOU, "path", "cn.gov.elicence.1",
                               "holder_name", "path", "cn.gov.elicence." HUKOU ".1", "household_number");
    struct request r = {
        .header = json_pack("{s:s, s:s, s:[s]}", "alg", "ES256", "typ", "oauth-authz-req+jwt", "x5c", x5c),
        .payload = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:{s:[{s:s, s:s, s:{s:s}, s:o}]}}", "client_id", client_id,
            "response_type", "vp_token", "response_mode", "direct_post", "response_uri",
            "https://authd.example/v1/presentation-requests/x/response", "nonce", "n-0123456789", "state",
            "x", "exp", (json_int_t)(now + 300), "dcql_query", "credentials", "id", "hukou", "format",
            "mso_mdoc", "meta", "doctype_value", "cn.gov.elicence.1", "claims", claims),
        .key = "readers/counter-hz.key"};
    free(x5c);
    return r;
}

static json_t *query0(struct request *r)
{
    return json_array_get(json_object_get(json_object_get(r->payload, "dcql_query"), "credentials"), 0);
}

/* Parses the request signed as it says; frees it. */
static certlib_err parse(const certlib_ctx *ctx, struct request r, certlib_vp_request **out)
{
    char *jwt = jws(r.header, r.payload, r.key);
    certlib_vp_request *req = NULL;
    certlib_err err = certlib_vp_request_parse(ctx, jwt, strlen(jwt), now, &req);
    if (out)
        *out = req;
    else
        certlib_vp_request_free(req);
    free(jwt);
    json_decref(r.header);
    json_decref(r.payload);
    return err;
}

static void test_a_good_request(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    certlib_vp_request *req;
    assert_int_equal(parse(ctx, good(), &req), CERTLIB_OK);
    assert_string_equal(certlib_vp_request_reader_name(req), "杭州市民中心 综合窗口");
    assert_string_equal(certlib_vp_request_matter_code(req), MATTER);
    assert_int_equal(certlib_vp_request_query_count(req), 1);
    assert_string_equal(certlib_vp_request_query_type(req, 0), HUKOU);
    assert_string_equal(certlib_vp_request_query_type_name(req, 0), "居民户口簿");
    assert_int_equal(certlib_vp_request_query_element_count(req, 0), 4);
    assert_string_equal(certlib_vp_request_query_element(req, 0, 3), "household_number");
    assert_string_equal(certlib_vp_request_nonce(req), "n-0123456789");
    assert_null(certlib_vp_request_query_id(req, 1));
    certlib_vp_request_free(req);
    certlib_ctx_free(ctx);
}

static void test_each_refusal_has_its_reason(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    struct request r;

    r = good(); /* not for reader authentication, and under a licence root: not a reader */
    char *x5c, ignored[64];
    x5c_of("pki/p256/ga.crt", &x5c, ignored);
    json_object_set_new(r.header, "x5c", json_pack("[s]", x5c));
    r.key = "pki/p256/ga.key";
    assert_int_equal(parse(ctx, r, NULL), CERTLIB_E_READER_UNTRUSTED);
    free(x5c);

    r = good(); /* signed by another reader than the x5c names */
    r.key = "readers/counter-hz-full.key";
    assert_int_equal(parse(ctx, r, NULL), CERTLIB_E_SIGNATURE);

    r = good(); /* a client id that is not the signer's */
    x5c_of("readers/counter-hz-full.crt", &x5c, ignored);
    json_object_set_new(r.payload, "client_id", json_string(ignored));
    assert_int_equal(parse(ctx, r, NULL), CERTLIB_E_READER_UNTRUSTED);
    free(x5c);

    r = good(); /* an element no matter of this reader needs */
    json_array_append_new(json_object_get(query0(&r), "claims"),
                          json_pack("{s:[s,s]}", "path", "cn.gov.elicence." HUKOU ".1", "household_head"));
    assert_int_equal(parse(ctx, r, NULL), CERTLIB_E_REQUEST_BEYOND_MATTER);

    r = good(); /* a type no matter of this reader needs */
    json_array_set_new(json_object_get(query0(&r), "claims"), 1,
                       json_pack("{s:[s,s], s:[s]}", "path", "cn.gov.elicence.1", "licence_type_code",
                                 "values", "11100000000013338W005"));
    json_array_remove(json_object_get(query0(&r), "claims"), 3);
    assert_int_equal(parse(ctx, r, NULL), CERTLIB_E_REQUEST_BEYOND_MATTER);

    r = good(); /* expired */
    json_object_set_new(r.payload, "exp", json_integer(now - 3600));
    assert_int_equal(parse(ctx, r, NULL), CERTLIB_E_REQUEST_EXPIRED);
    r = good(); /* no exp: optional in RFC 9101 */
    json_object_del(r.payload, "exp");
    assert_int_equal(parse(ctx, r, NULL), CERTLIB_OK);
    r = good(); /* null is no time */
    json_object_set_new(r.payload, "exp", json_null());
    assert_int_equal(parse(ctx, r, NULL), CERTLIB_E_VP_REQUEST);

    /* malformed, each its own way */
    const char *bad[] = {"typ",    "alg",          "mode",   "no dcql", "no type",  "wrong ns",
                         "values", "duplicate id", "format", "crit",    "no nonce", "uri"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = good();
        json_t *q = query0(&r);
        if (i == 0) json_object_set_new(r.header, "typ", json_string("JWT"));
        if (i == 1) json_object_set_new(r.header, "alg", json_string("none"));
        if (i == 2) json_object_set_new(r.payload, "response_mode", json_string("direct_post.jwt"));
        if (i == 3) json_object_del(r.payload, "dcql_query");
        if (i == 4) json_array_remove(json_object_get(q, "claims"), 1);
        if (i == 5)
            json_array_set_new(json_object_get(q, "claims"), 2,
                               json_pack("{s:[s,s]}", "path", "cn.gov.elicence." HUKOU ".1", "holder_name"));
        if (i == 6)
            json_object_set_new(json_array_get(json_object_get(q, "claims"), 2), "values",
                                json_pack("[s]", "张三"));
        if (i == 7)
            json_array_append(json_object_get(json_object_get(r.payload, "dcql_query"), "credentials"), q);
        if (i == 8) json_object_set_new(q, "format", json_string("dc+sd-jwt"));
        if (i == 9) json_object_set_new(r.header, "crit", json_pack("[s]", "x"));
        if (i == 10) json_object_del(r.payload, "nonce");
        if (i == 11) json_object_set_new(r.payload, "response_uri", json_string("ftp://authd.example/x"));
        assert_int_equal(parse(ctx, r, NULL), CERTLIB_E_VP_REQUEST);
    }

    /* not a JWS at all, or cut */
    certlib_vp_request *req = NULL;
    assert_int_equal(certlib_vp_request_parse(ctx, "a.b", 3, now, &req), CERTLIB_E_VP_REQUEST);
    assert_int_equal(certlib_vp_request_parse(ctx, "a.b.c.d", 7, now, &req), CERTLIB_E_VP_REQUEST);
    r = good();
    char *jwt = jws(r.header, r.payload, r.key);
    for (size_t cut = 0; cut < strlen(jwt); cut += 13)
        assert_int_not_equal(certlib_vp_request_parse(ctx, jwt, cut, now, &req), CERTLIB_OK);
    free(jwt);
    json_decref(r.header);
    json_decref(r.payload);
    certlib_ctx_free(ctx);
}

/* A bundle with the registry changed by `edit`: readers unregistered, another catalogue. */
static certlib_ctx *ctx_with(void (*edit)(json_t *bundle))
{
    json_t *bundle = json_load_file(fixture_path("trust.json"), 0, NULL);
    assert_non_null(bundle);
    edit(bundle);
    char *text = json_dumps(bundle, 0);
    certlib_ctx *ctx = fixture_ctx_from(text);
    free(text);
    json_decref(bundle);
    return ctx;
}

static void no_readers(json_t *b)
{
    json_object_set_new(b, "readers", json_array());
}
static void no_registry(json_t *b)
{
    json_object_del(b, "readers");
    json_object_del(b, "matters");
    json_object_del(b, "reader_roots");
}

static void test_the_registry_decides(void **state)
{
    (void)state;
    certlib_ctx *ctx = ctx_with(no_readers);
    assert_int_equal(parse(ctx, good(), NULL), CERTLIB_E_READER_UNREGISTERED);
    certlib_ctx_free(ctx);
    ctx = ctx_with(no_registry); /* a bundle without reader roots trusts no reader */
    assert_int_equal(parse(ctx, good(), NULL), CERTLIB_E_READER_UNTRUSTED);
    certlib_ctx_free(ctx);
}

static void test_answers_disclose_what_was_asked(void **state)
{
    (void)state;
    certlib_ctx *ctx = fixture_ctx();
    EVP_PKEY *device = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(priv, device, NULL, NULL, 0, NULL, NULL);
    PEM_write_bio_PUBKEY(pub, device);
    char priv_pem[1024], pub_pem[1024];
    int priv_len = BIO_read(priv, priv_pem, sizeof(priv_pem)),
        pub_len = BIO_read(pub, pub_pem, sizeof(pub_pem));
    uint8_t *cose_key;
    size_t cose_len, len, plen;
    assert_int_equal(
        certlib_cose_key_from_pem((certlib_slice){(uint8_t *)pub_pem, (size_t)pub_len}, &cose_key, &cose_len),
        CERTLIB_OK);
    certlib_signer *ga = fixture_signer("p256", "ga"), *scjg = fixture_signer("p256", "scjg");
    certlib_licence_spec spec;
    fixture_spec(&spec);
    spec.device_key = (certlib_slice){cose_key, cose_len};
    uint8_t *hukou = fixture_licence(ga, &spec, &len), *other, *p;
    size_t other_len;
    other = fixture_licence(scjg, &spec, &other_len);
    certlib_vp_request *req;
    assert_int_equal(parse(ctx, good(), &req), CERTLIB_OK);
    certlib_slice key = {(uint8_t *)priv_pem, (size_t)priv_len};
    assert_int_equal(certlib_vp_request_present(req, 0, other, other_len, key, &p, &plen),
                     CERTLIB_E_SCOPE_TYPE);
    assert_int_equal(certlib_vp_request_present(req, 1, hukou, len, key, &p, &plen),
                     CERTLIB_E_INVALID_ARGUMENT);
    assert_int_equal(certlib_vp_request_present(req, 0, hukou, len, key, &p, &plen), CERTLIB_OK);
    const certlib_oid4vp_session session = {.client_id = certlib_vp_request_client_id(req),
                                            .nonce = certlib_vp_request_nonce(req),
                                            .response_uri = certlib_vp_request_response_uri(req)};
    certlib_verify_opts opts = {.now = FIXTURE_NOW, .holder = CERTLIB_HOLDER_REQUIRED};
    certlib_result *r;
    assert_int_equal(certlib_presentation_verify_oid4vp(ctx, p, plen, &session, &opts, &r), CERTLIB_OK);
    assert_int_equal(certlib_result_check(r, CERTLIB_CHECK_HOLDER).state, CERTLIB_CHECK_PASSED);
    for (size_t i = 0; i < certlib_result_element_count(r);
         i++) { /* exactly what was asked, of what it holds */
        const char *e = certlib_result_element(r, i)->identifier;
        assert_true(strcmp(e, "licence_id") == 0 || strcmp(e, "licence_type_code") == 0 ||
                    strcmp(e, "holder_name") == 0 || strcmp(e, "household_number") == 0);
    }
    assert_non_null(certlib_result_find(r, "cn.gov.elicence.1", "holder_name"));
    certlib_result_free(r);
    certlib_free(p);
    certlib_vp_request_free(req);
    certlib_free(hukou);
    certlib_free(other);
    certlib_free(cose_key);
    certlib_signer_free(ga);
    certlib_signer_free(scjg);
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(device);
    certlib_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wallet_test KEYS_EXAMPLE_DIR\n");
        return 2;
    }
    fixture_keys_dir = argv[1];
    now = (int64_t)time(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_good_request),
        cmocka_unit_test(test_each_refusal_has_its_reason),
        cmocka_unit_test(test_the_registry_decides),
        cmocka_unit_test(test_answers_disclose_what_was_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
