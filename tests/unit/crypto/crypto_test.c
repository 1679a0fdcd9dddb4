/* certlib/src/crypto*.c: known answers. SM2 with SM3 against the published GB/T 32918 / GM/T 0009
 * example with the default distinguishing id (pinned: OpenSSL 3.0 would use an empty id), SM3, and
 * the profile's "no one's key" for unbound licences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "licence/licence_parse.h"

/* ../shared/data/vectors.md */
static const char *SM2_PUB =
    "048356e642a40ebd18d29ba3532fbd9f3bbee8f027c3f6f39a5ba2f870369f9988981f5efe55d1c5cdf6c0ef2b07"
    "0847a14f7fdf4272a8df09c442f3058af94ba1";
static const char *SM2_MSG = "ShangMi SM2 Sign Standard";
static const char *SM2_R = "5b3a799bd94c9063120d7286769220af6b0fa127009af3e873c0e8742edc5f89";
static const char *SM2_S = "097968a4c8b040fd548d1456b33f470cabd8456bfea53e8a828f92f6d4bdcd77";

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
        out[i] = (uint8_t)strtoul(pair, NULL, 16);
    }
    return n;
}

static EVP_PKEY *sm2_public_key(void)
{
    uint8_t pub[65];
    unhex(SM2_PUB, pub);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    EVP_PKEY *pkey = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(pctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

static void test_sm2_known_answer(void **state)
{
    (void)state;
    EVP_PKEY *pkey = sm2_public_key();
    certlib__pubkey key;
    assert_int_equal(certlib__pubkey_from_pkey(pkey, &key), CERTLIB_OK);
    assert_int_equal(key.alg, CERTLIB_ALG_SM2_SM3);
    uint8_t sig[64];
    unhex(SM2_R, sig);
    unhex(SM2_S, sig + 32);
    const uint8_t *msg = (const uint8_t *)SM2_MSG;
    assert_int_equal(certlib__verify(&key, msg, strlen(SM2_MSG), sig, 64), CERTLIB_OK);
    /* Any change to message or signature fails. */
    assert_int_equal(certlib__verify(&key, msg, strlen(SM2_MSG) - 1, sig, 64), CERTLIB_E_SIGNATURE);
    sig[63] ^= 1;
    assert_int_equal(certlib__verify(&key, msg, strlen(SM2_MSG), sig, 64), CERTLIB_E_SIGNATURE);
    certlib__pubkey_clear(&key);
    EVP_PKEY_free(pkey);
}

/* The same vector does NOT verify with OpenSSL's default (empty) id: what the pin protects against. */
static void test_sm2_empty_id_differs(void **state)
{
    (void)state;
    EVP_PKEY *pkey = sm2_public_key();
    uint8_t der[] = {0x30, 0x44, 0x02, 0x20, 0x5b, 0x3a, 0x79, 0x9b, 0xd9, 0x4c, 0x90, 0x63, 0x12, 0x0d,
                     0x72, 0x86, 0x76, 0x92, 0x20, 0xaf, 0x6b, 0x0f, 0xa1, 0x27, 0x00, 0x9a, 0xf3, 0xe8,
                     0x73, 0xc0, 0xe8, 0x74, 0x2e, 0xdc, 0x5f, 0x89, 0x02, 0x20, 0x09, 0x79, 0x68, 0xa4,
                     0xc8, 0xb0, 0x40, 0xfd, 0x54, 0x8d, 0x14, 0x56, 0xb3, 0x3f, 0x47, 0x0c, 0xab, 0xd8,
                     0x45, 0x6b, 0xfe, 0xa5, 0x3e, 0x8a, 0x82, 0x8f, 0x92, 0xf6, 0xd4, 0xbd, 0xcd, 0x77};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sm3(), NULL, pkey), 1);
    assert_int_not_equal(EVP_DigestVerify(md, der, sizeof(der), (const uint8_t *)SM2_MSG, strlen(SM2_MSG)),
                         1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
}

static void test_sm3(void **state)
{
    (void)state;
    uint8_t out[32], want[32];
    unhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", want);
    assert_int_equal(certlib__digest(CERTLIB_DIGEST_SM3, (const uint8_t *)"abc", 3, out), CERTLIB_OK);
    assert_memory_equal(out, want, 32);
    unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want);
    assert_int_equal(certlib__digest(CERTLIB_DIGEST_SHA256, (const uint8_t *)"abc", 3, out), CERTLIB_OK);
    assert_memory_equal(out, want, 32);
}

/* docs/formats.md: the unbound device key is the Elligator 2 image of a fixed hash. */
static void test_unbound_device_key(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    const char *seed = "cn.gov.elicence.1 unbound device key";
    uint8_t h[32], point[32];
    crypto_hash_sha256(h, (const uint8_t *)seed, strlen(seed));
    crypto_core_ed25519_from_uniform(point, h);
    assert_int_equal(certlib__unbound_device_key_len, 8 + 32);
    static const uint8_t head[] = {0xa3, 0x01, 0x01, 0x20, 0x06, 0x21, 0x58, 0x20};
    assert_memory_equal(certlib__unbound_device_key, head, sizeof(head));
    assert_memory_equal(certlib__unbound_device_key + 8, point, 32);
    assert_true(crypto_core_ed25519_is_valid_point(point));
}

/* An Ed25519 signing key lives in libsodium's guarded memory only: OpenSSL keeps the public half. */
static void test_ed25519_private_key_not_in_openssl(void **state)
{
    (void)state;
    static const char pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MC4CAQAwBQYDK2VwBCIEIOuOWIeNTXyqhUT4WOpQE0r+vmXW/0Ew4o0yNM+L+h7x\n"
                              "-----END PRIVATE KEY-----\n";
    certlib__privkey key;
    assert_int_equal(certlib__privkey_from_pem((const uint8_t *)pem, sizeof(pem) - 1, &key), CERTLIB_OK);
    assert_int_equal(key.alg, CERTLIB_ALG_EDDSA);
    assert_non_null(key.ed25519_sk);
    uint8_t raw[32];
    size_t n = sizeof(raw);
    assert_int_not_equal(EVP_PKEY_get_raw_private_key(key.pkey, raw, &n), 1);
    n = sizeof(raw);
    assert_int_equal(EVP_PKEY_get_raw_public_key(key.pkey, raw, &n), 1);
    assert_memory_equal(raw, key.ed25519_sk + 32, 32); /* libsodium's secret key ends with the public key */
    uint8_t sig[64];
    assert_int_equal(certlib__sign(&key, (const uint8_t *)"m", 1, sig), CERTLIB_OK);
    certlib__privkey_clear(&key);
}

/* A key as PEM in the given form ("pkcs8" or "sec1"). */
static size_t pem_of(EVP_PKEY *k, const char *form, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    int ok = strcmp(form, "pkcs8") == 0
                 ? PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)
                 : PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
    assert_int_equal(ok, 1);
    size_t n = (size_t)BIO_read(b, out, (int)cap - 1);
    out[n] = 0;
    BIO_free(b);
    return n;
}

/* privkey_fast.c reads P-256 and Ed25519 PKCS#8 keys itself; every other form goes to OpenSSL. Either
 * way the key signs what its public half verifies, and a damaged PKCS#8 key is refused, never read
 * differently. */
static void test_private_keys_read_fast_or_by_openssl(void **state)
{
    (void)state;
    struct {
        EVP_PKEY *key;
        const char *form;
        bool fast;
    } cases[] = {{EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), "pkcs8", true},
                 {EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), "sec1", false},
                 {EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), "pkcs8", true},
                 {EVP_PKEY_Q_keygen(NULL, NULL, "SM2"), "pkcs8", false}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char pem[2048];
        size_t n = pem_of(cases[i].key, cases[i].form, pem, sizeof(pem));
        certlib__privkey priv;
        assert_int_equal(certlib__privkey_from_pem((const uint8_t *)pem, n, &priv), CERTLIB_OK);
        uint8_t sig[CERTLIB_SIG_LEN];
        assert_int_equal(certlib__sign(&priv, (const uint8_t *)"msg", 3, sig), CERTLIB_OK);
        certlib__pubkey pub;
        assert_int_equal(certlib__pubkey_from_pkey(cases[i].key, &pub), CERTLIB_OK);
        assert_int_equal(pub.alg, priv.alg);
        assert_int_equal(certlib__verify(&pub, (const uint8_t *)"msg", 3, sig, sizeof(sig)), CERTLIB_OK);
        certlib__pubkey_clear(&pub);
        certlib__privkey_clear(&priv);
        /* the fast path's own verdict on the DER: read, or left to OpenSSL */
        BIO *b = BIO_new_mem_buf(pem, (int)n);
        char *name, *header;
        unsigned char *der;
        long der_len;
        assert_int_equal(PEM_read_bio(b, &name, &header, &der, &der_len), 1);
        certlib_err fast = certlib__privkey_from_pkcs8(der, (size_t)der_len, &priv);
        assert_int_equal(fast == CERTLIB_OK, cases[i].fast);
        if (!fast) certlib__privkey_clear(&priv);
        if (cases[i].fast) { /* cut anywhere: never read as some other key */
            for (long cut = 1; cut < der_len; cut += 7) {
                certlib_err e = certlib__privkey_from_pkcs8(der, (size_t)cut, &priv);
                assert_int_not_equal(e, CERTLIB_OK);
            }
        }
        BIO_free(b);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        EVP_PKEY_free(cases[i].key);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sm2_known_answer),
        cmocka_unit_test(test_sm2_empty_id_differs),
        cmocka_unit_test(test_sm3),
        cmocka_unit_test(test_unbound_device_key),
        cmocka_unit_test(test_ed25519_private_key_not_in_openssl),
        cmocka_unit_test(test_private_keys_read_fast_or_by_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
