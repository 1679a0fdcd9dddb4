/* bench/present: presentation verification per second (certlib_presentation_verify: the licence's
 * issuer signature, every check, and the device signature over the session transcript) against the
 * two raw signature verifications alone (the issuer's Sig_structure with the issuer key, the device's
 * with the device key), in the same run, one core; an offline answer to a counter's challenge, and an
 * OpenID4VP one (certlib_presentation_verify_oid4vp). Issues #6 and #15 target: >= 0.85x.
 * usage: bench_present KEYS_EXAMPLE_DIR [SECONDS_PER_ROUND] */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "cbor/cbor_write.h"
#include "certlib/certlib.h"
#include "licence/licence_parse.h"
#include "present/device_auth.h"

#define ROUNDS 7

static void die(const char *what)
{
    fprintf(stderr, "bench_present: %s\n", what);
    exit(1);
}

struct job {
    certlib_ctx *ctx;
    certlib_challenge challenge;
    uint8_t *presentation, *online;
    size_t len, online_len;
    certlib_oid4vp_session session;
    /* raw: the issuer's Sig_structure (Ed25519) and a device Sig_structure (P-256) */
    uint8_t issuer_pk[32], issuer_sig[64];
    uint8_t *issuer_tbs, *device_tbs;
    size_t issuer_tbs_len, device_tbs_len;
    EVP_PKEY *device;
    uint8_t device_der[80];
    size_t device_der_len;
};

static int op_present(void *arg)
{
    struct job *j = arg;
    certlib_verify_opts opts = {.now = 1795500000};
    certlib_result *r;
    if (certlib_presentation_verify(j->ctx, j->presentation, j->len, &j->challenge, &opts, &r)) return 0;
    int ok = certlib_result_verdict(r) == CERTLIB_VERDICT_VALID &&
             certlib_result_check(r, CERTLIB_CHECK_HOLDER).state == CERTLIB_CHECK_PASSED;
    certlib_result_free(r);
    return ok;
}

static int op_present_online(void *arg)
{
    struct job *j = arg;
    certlib_verify_opts opts = {.now = 1795500000, .holder = CERTLIB_HOLDER_REQUIRED};
    certlib_result *r;
    if (certlib_presentation_verify_oid4vp(j->ctx, j->online, j->online_len, &j->session, &opts, &r))
        return 0;
    int ok = certlib_result_verdict(r) == CERTLIB_VERDICT_VALID &&
             certlib_result_check(r, CERTLIB_CHECK_HOLDER).state == CERTLIB_CHECK_PASSED;
    certlib_result_free(r);
    return ok;
}

static int op_raw(void *arg)
{
    struct job *j = arg;
    if (crypto_sign_verify_detached(j->issuer_sig, j->issuer_tbs, j->issuer_tbs_len, j->issuer_pk) != 0)
        return 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, j->device) == 1 &&
             EVP_DigestVerify(md, j->device_der, j->device_der_len, j->device_tbs, j->device_tbs_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static uint8_t *sig_structure(certlib_slice prot, const uint8_t *payload, size_t len, size_t *out_len)
{
    cbw w = {0};
    certlib__cbw_array(&w, 4);
    certlib__cbw_tstr(&w, "Signature1");
    certlib__cbw_bstr(&w, prot.ptr, prot.len);
    certlib__cbw_bstr(&w, "", 0);
    certlib__cbw_bstr(&w, payload, len);
    return certlib__cbw_take(&w, out_len);
}

int main(int argc, char **argv)
{
    if (argc < 2 || sodium_init() < 0) die("usage: bench_present KEYS_EXAMPLE_DIR [SECONDS_PER_ROUND]");
    const char *keys = argv[1];
    double seconds = argc > 2 ? atof(argv[2]) : 0.5;
    struct job j = {0};
    char path[1024], path2[1024];
    snprintf(path, sizeof(path), "%s/trust.json", keys);
    if (certlib_ctx_new(&j.ctx) || certlib_ctx_load_trust_file(j.ctx, path)) die("trust bundle");

    /* A phone's P-256 key, a 居民户口簿 bound to it (Ed25519 issuer), and its answer to a challenge. */
    j.device = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(priv, j.device, NULL, NULL, 0, NULL, NULL);
    PEM_write_bio_PUBKEY(pub, j.device);
    char priv_pem[1024], pub_pem[1024];
    int priv_len = BIO_read(priv, priv_pem, sizeof(priv_pem)),
        pub_len = BIO_read(pub, pub_pem, sizeof(pub_pem));
    BIO_free(priv);
    BIO_free(pub);
    uint8_t *cose_key, *licence;
    size_t cose_key_len, licence_len;
    if (certlib_cose_key_from_pem((certlib_slice){(uint8_t *)pub_pem, (size_t)pub_len}, &cose_key,
                                  &cose_key_len))
        die("device key");
    snprintf(path, sizeof(path), "%s/pki/ed25519/ga.key", keys);
    snprintf(path2, sizeof(path2), "%s/pki/ed25519/ga.crt", keys);
    certlib_signer *signer;
    if (certlib_signer_load(path, path2, &signer)) die("signer");
    static const certlib_element elements[] = {
        {.identifier = "household_number", .type = CERTLIB_VALUE_TEXT, .text = "330106001234"},
        {.identifier = "household_head", .type = CERTLIB_VALUE_TEXT, .text = "张三"},
        {.identifier = "relationship", .type = CERTLIB_VALUE_TEXT, .text = "户主"},
        {.identifier = "address", .type = CERTLIB_VALUE_TEXT, .text = "杭州市西湖区文三路1号"}};
    certlib_licence_spec spec = {.licence_type_code = "11100000000013338W004",
                                 .licence_name = "居民户口簿",
                                 .holder_name = "张三",
                                 .holder_id = "11010519491231002X",
                                 .signed_at = 1795400000,
                                 .valid_until = 1795400000 + 86400 * 3650,
                                 .elements = elements,
                                 .n_elements = 4,
                                 .device_key = {cose_key, cose_key_len}};
    if (certlib_licence_issue(signer, &spec, &licence, &licence_len, NULL)) die("issue");
    static const char *const keep[] = {"holder_name",    "holder_id",    "household_number",
                                       "household_head", "relationship", "address"};
    if (certlib_challenge_new("counter-hz", &j.challenge) ||
        certlib_present(licence, licence_len, keep, 6, (certlib_slice){(uint8_t *)priv_pem, (size_t)priv_len},
                        &j.challenge, &j.presentation, &j.len))
        die("present");
    j.session = (certlib_oid4vp_session){
        .client_id = "x509_hash:oXrVQ4KZU76wkDVzLRzvmmMDDdSEyqXYrvJilSVGA0o",
        .nonce = "Vb5s1m0cXQm8qvQ8FQGm2w",
        .response_uri = "http://127.0.0.1:8080/v1/presentation-requests/AAAAAAAAAAAAAAAAAAAAAA/response"};
    if (certlib_present_oid4vp(licence, licence_len, keep, 6,
                               (certlib_slice){(uint8_t *)priv_pem, (size_t)priv_len}, &j.session, &j.online,
                               &j.online_len))
        die("present online");

    /* The raw inputs: the issuer's Sig_structure as certlib will see it, and a device Sig_structure
     * over the same DeviceAuthenticationBytes, signed here with the device key. */
    certlib__licence lic;
    if (certlib__licence_parse(licence, licence_len, &lic)) die("parse");
    j.issuer_tbs = sig_structure(lic.auth.protected_bytes, lic.auth.payload.ptr, lic.auth.payload.len,
                                 &j.issuer_tbs_len);
    memcpy(j.issuer_sig, lic.auth.signature.ptr, 64);
    certlib__licence_clear(&lic);
    EVP_PKEY *issuer_pkey = NULL;
    FILE *f = fopen(path2, "r");
    X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f) fclose(f);
    size_t pk_len = 32;
    if (!cert || !(issuer_pkey = X509_get_pubkey(cert)) ||
        EVP_PKEY_get_raw_public_key(issuer_pkey, j.issuer_pk, &pk_len) != 1)
        die("issuer key");
    X509_free(cert);
    EVP_PKEY_free(issuer_pkey);
    cbw auth = {0};
    struct certlib__challenge_session session;
    certlib__challenge_session(&j.challenge, &session);
    certlib__device_auth_bytes(&auth, &session.session);
    static const uint8_t prot[] = {0xa1, 0x01, 0x26}; /* {1: -7} */
    j.device_tbs = sig_structure((certlib_slice){prot, sizeof(prot)}, auth.buf, auth.len, &j.device_tbs_len);
    certlib__cbw_free(&auth);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    j.device_der_len = sizeof(j.device_der);
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, j.device) != 1 ||
        EVP_DigestSign(md, j.device_der, &j.device_der_len, j.device_tbs, j.device_tbs_len) != 1)
        die("device signature");
    EVP_MD_CTX_free(md);

    double rate, raw, ratio;
    bench_compare(op_present, op_raw, &j, seconds, ROUNDS, &rate, &raw, &ratio);
    char *text = NULL;
    if (certlib_qr_encode(j.presentation, j.len, &text)) die("qr");
    printf(
        "presentation (EdDSA issuer, P-256 device key, 6 of 16 elements): %zu bytes CBOR, %zu QR characters "
        "(target <= 1200)\n",
        j.len, strlen(text));
    printf("presentation verification: %.0f/s; raw issuer + device signature verification: %.0f/s; "
           "ratio %.3f (target >= 0.85; medians of %d rounds of %.1f s, one core)\n",
           rate, raw, ratio, ROUNDS, seconds);
    bench_compare(op_present_online, op_raw, &j, seconds, ROUNDS, &rate, &raw, &ratio);
    printf("OpenID4VP presentation verification: %.0f/s; raw: %.0f/s; ratio %.3f (target >= 0.85)\n", rate,
           raw, ratio);
    certlib_free(j.online);
    certlib_free(text);
    certlib_free(licence);
    certlib_free(cose_key);
    certlib_free(j.presentation);
    certlib_free(j.issuer_tbs);
    certlib_free(j.device_tbs);
    certlib_signer_free(signer);
    certlib_ctx_free(j.ctx);
    EVP_PKEY_free(j.device);
    return 0;
}
