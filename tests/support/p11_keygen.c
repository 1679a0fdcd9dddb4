/* p11_keygen: generates a key pair inside a PKCS#11 token (sensitive, not extractable: the private key
 * can never leave it) and writes its public key as PEM, for a certificate to be issued for it; or (aes)
 * an AES-256 secret key, to wrap authd's data key (nothing is written). What an HSM's own tool does at a
 * key ceremony; the tests use it with SoftHSM2.
 *
 * usage: p11_keygen MODULE TOKEN_LABEL PIN_FILE p256|ed25519|aes LABEL ID_HEX OUT.pem */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <p11-kit/p11-kit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, CK_RV rv)
{
    fprintf(stderr, "p11_keygen: %s: %s\n", what, rv ? p11_kit_strerror(rv) : "failed");
    return 1;
}

static CK_SLOT_ID find_slot(CK_FUNCTION_LIST *m, const char *label, CK_RV *rv)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = 64;
    if ((*rv = m->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) return 0;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO info;
        if (m->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
        size_t len = sizeof(info.label);
        while (len && info.label[len - 1] == ' ')
            len--;
        if (len == strlen(label) && memcmp(info.label, label, len) == 0) return slots[i];
    }
    *rv = CKR_TOKEN_NOT_PRESENT;
    return 0;
}

/* The public key from CKA_EC_POINT (a DER OCTET STRING around the point, or the bare point). */
static EVP_PKEY *public_key(const uint8_t *point, CK_ULONG len, int ed25519)
{
    if (len >= 2 && point[0] == 0x04 && point[1] == len - 2 && (ed25519 ? len == 34 : len == 67))
        point += 2, len -= 2;
    if (ed25519) return len == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, point, 32) : NULL;
    if (len != 65) return NULL;
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point, len);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1) EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    return key;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: p11_keygen MODULE TOKEN_LABEL PIN_FILE p256|ed25519 LABEL ID_HEX OUT.pem\n");
        return 2;
    }
    const char *label = argv[5], *id_hex = argv[6];
    int ed25519 = strcmp(argv[4], "ed25519") == 0;
    char pin[256] = "";
    FILE *f = fopen(argv[3], "r");
    if (!f || !fgets(pin, sizeof(pin), f)) return fail("reading the PIN file", 0);
    fclose(f);
    pin[strcspn(pin, "\r\n")] = '\0';
    unsigned char id[32];
    size_t id_len = strlen(id_hex) / 2;
    for (size_t i = 0; i < id_len && i < sizeof(id); i++)
        sscanf(id_hex + 2 * i, "%2hhx", &id[i]);

    CK_FUNCTION_LIST *m = p11_kit_module_load(argv[1], 0);
    if (!m) return fail("loading the module", 0);
    CK_RV rv = p11_kit_module_initialize(m);
    if (rv != CKR_OK) return fail("initialising the module", rv);
    CK_SLOT_ID slot = find_slot(m, argv[2], &rv);
    CK_SESSION_HANDLE s;
    if (rv == CKR_OK) rv = m->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
    if (rv == CKR_OK) rv = m->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
    if (rv != CKR_OK) return fail("opening the token", rv);

    if (strcmp(argv[4], "aes") == 0) {
        CK_BBOOL t = CK_TRUE, no_ = CK_FALSE;
        CK_ULONG value_len = 32;
        CK_MECHANISM gen = {CKM_AES_KEY_GEN, NULL, 0};
        CK_ATTRIBUTE tmpl[] = {
            {CKA_TOKEN, &t, sizeof(t)},
            {CKA_PRIVATE, &t, sizeof(t)},
            {CKA_SENSITIVE, &t, sizeof(t)},
            {CKA_EXTRACTABLE, &no_, sizeof(no_)},
            {CKA_ENCRYPT, &t, sizeof(t)},
            {CKA_DECRYPT, &t, sizeof(t)},
            {CKA_VALUE_LEN, &value_len, sizeof(value_len)},
            {CKA_LABEL, (void *)label, strlen(label)},
            {CKA_ID, id, id_len},
        };
        CK_OBJECT_HANDLE h;
        rv = m->C_GenerateKey(s, &gen, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &h);
        if (rv != CKR_OK) return fail("generating the AES key", rv);
        m->C_Logout(s);
        m->C_CloseSession(s);
        p11_kit_module_finalize(m);
        p11_kit_module_release(m);
        return 0;
    }
    static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    static const uint8_t ed25519_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_MECHANISM mech = {ed25519 ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_ATTRIBUTE pub[] = {
        {CKA_EC_PARAMS, (void *)(ed25519 ? ed25519_oid : p256_oid),
         ed25519 ? sizeof(ed25519_oid) : sizeof(p256_oid)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_VERIFY, &yes, sizeof(yes)},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_ID, id, id_len},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)},
        {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_SIGN, &yes, sizeof(yes)},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_ID, id, id_len},
    };
    CK_OBJECT_HANDLE pub_h, priv_h;
    rv = m->C_GenerateKeyPair(s, &mech, pub, sizeof(pub) / sizeof(pub[0]), priv,
                              sizeof(priv) / sizeof(priv[0]), &pub_h, &priv_h);
    if (rv != CKR_OK) return fail("generating the key pair", rv);
    uint8_t point[128];
    CK_ATTRIBUTE value = {CKA_EC_POINT, point, sizeof(point)};
    if ((rv = m->C_GetAttributeValue(s, pub_h, &value, 1)) != CKR_OK)
        return fail("reading the public key", rv);
    EVP_PKEY *key = public_key(point, value.ulValueLen, ed25519);
    if (!key) return fail("the token's public key", 0);
    f = fopen(argv[7], "w");
    if (!f || PEM_write_PUBKEY(f, key) != 1) return fail("writing the public key", 0);
    fclose(f);
    EVP_PKEY_free(key);
    m->C_Logout(s);
    m->C_CloseSession(s);
    p11_kit_module_finalize(m);
    p11_kit_module_release(m);
    return 0;
}
