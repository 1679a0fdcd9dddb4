/* PKCS#11 signing keys (pkcs11_key.h): RFC 7512 URIs parsed by p11-kit, libraries shared by path
 * (pkcs11_module.h). */
#include <openssl/sha.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11_key.h"
#include "pkcs11_module.h"
#include "secret_file.h"

struct authd_p11_key {
    struct authd_p11_module *mod;
    uint64_t generation;      /* the module's initialisation the session belongs to */
    CK_FUNCTION_LIST *module; /* mod's functions */
    P11KitUri *uri;
    char *pin; /* sodium_malloc: locked, wiped when freed */
    size_t pin_len;
    pthread_mutex_t lock;
    CK_SESSION_HANDLE session; /* CK_INVALID_HANDLE when none is open */
    CK_OBJECT_HANDLE key;
    CK_OBJECT_CLASS cls;  /* CKO_PRIVATE_KEY (signing) or CKO_SECRET_KEY (the data key's wrapping) */
    CK_KEY_TYPE key_type; /* CKK_EC (P-256), CKK_EC_EDWARDS (Ed25519) or CKK_AES */
};

static const char *default_module;

void authd_p11_default_module(const char *path)
{
    default_module = path;
}

bool authd_is_pkcs11_uri(const char *ref)
{
    return ref && strncmp(ref, AUTHD_PKCS11_PREFIX, strlen(AUTHD_PKCS11_PREFIX)) == 0;
}

/* Failures that mean "the token is not there now", as against a refusal that will not change. */
static bool gone(CK_RV rv)
{
    return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_SESSION_HANDLE_INVALID ||
           rv == CKR_SESSION_CLOSED || rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_DEVICE_ERROR ||
           rv == CKR_TOKEN_NOT_RECOGNIZED || rv == CKR_CRYPTOKI_NOT_INITIALIZED;
}

/* The PIN the URI gives: pin-value, or the first line of the file pin-source names. */
static authd_err read_pin(struct authd_p11_key *k, char *err, size_t err_cap)
{
    const char *value = p11_kit_uri_get_pin_value(k->uri), *source = p11_kit_uri_get_pin_source(k->uri);
    if (value) {
        if (strlen(value) > AUTHD_SECRET_MAX)
            return snprintf(err, err_cap, "the PIN is too long"), AUTHD_E_CONFIG;
        if (!(k->pin = sodium_malloc(AUTHD_SECRET_MAX + 1)))
            return snprintf(err, err_cap, "out of protected memory"), AUTHD_E_NOMEM;
        k->pin_len = strlen(value);
        memcpy(k->pin, value, k->pin_len);
        return AUTHD_OK;
    }
    if (!source) {
        snprintf(err, err_cap, "the URI gives no PIN: add pin-source=file:/path (or pin-value)");
        return AUTHD_E_CONFIG;
    }
    return authd_secret_file_read(strncmp(source, "file:", 5) == 0 ? source + 5 : source, "PIN", &k->pin,
                                  &k->pin_len, err, err_cap);
}

/* The slot of the first token the URI's token attributes match. */
static CK_RV find_slot(struct authd_p11_key *k, CK_SLOT_ID *slot)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = sizeof(slots) / sizeof(slots[0]);
    CK_RV rv = k->module->C_GetSlotList(CK_TRUE, slots, &n);
    if (rv != CKR_OK) return rv;
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO info;
        if (k->module->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
            p11_kit_uri_match_token_info(k->uri, &info)) {
            *slot = slots[i];
            return CKR_OK;
        }
    }
    return CKR_TOKEN_NOT_PRESENT;
}

/* The one key of the key's class matching the URI's object attributes, and its type. */
static CK_RV find_key(struct authd_p11_key *k)
{
    CK_ATTRIBUTE want[8] = {{CKA_CLASS, &k->cls, sizeof(k->cls)}};
    CK_ULONG n_want = 1, n_uri = 0;
    CK_ATTRIBUTE *from_uri = p11_kit_uri_get_attributes(k->uri, &n_uri);
    for (CK_ULONG i = 0; i < n_uri && n_want < 8; i++)
        if (from_uri[i].type == CKA_LABEL || from_uri[i].type == CKA_ID) want[n_want++] = from_uri[i];
    if (n_want == 1) return CKR_TEMPLATE_INCOMPLETE; /* the URI must name the key */
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    CK_RV rv = k->module->C_FindObjectsInit(k->session, want, n_want);
    if (rv != CKR_OK) return rv;
    rv = k->module->C_FindObjects(k->session, found, 2, &n);
    k->module->C_FindObjectsFinal(k->session);
    if (rv != CKR_OK) return rv;
    if (n != 1) return n == 0 ? CKR_KEY_HANDLE_INVALID : CKR_TEMPLATE_INCONSISTENT;
    CK_ATTRIBUTE type = {CKA_KEY_TYPE, &k->key_type, sizeof(k->key_type)};
    if ((rv = k->module->C_GetAttributeValue(k->session, found[0], &type, 1)) != CKR_OK) return rv;
    if (k->cls == CKO_PRIVATE_KEY ? k->key_type != CKK_EC && k->key_type != CKK_EC_EDWARDS
                                  : k->key_type != CKK_AES)
        return CKR_KEY_TYPE_INCONSISTENT;
    k->key = found[0];
    return CKR_OK;
}

/* No C_Logout: a login is the token's, shared by every key's session on it (PKCS#11 §5.6); the token
 * logs out by itself when its last session closes. */
static void close_session(struct authd_p11_key *k)
{
    if (k->session == CK_INVALID_HANDLE) return;
    k->module->C_CloseSession(k->session);
    k->session = CK_INVALID_HANDLE;
}

/* A session, logged in, with the key found. */
static CK_RV open_session(struct authd_p11_key *k)
{
    CK_SLOT_ID slot;
    CK_RV rv = find_slot(k, &slot);
    if (rv == CKR_OK) rv = k->module->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &k->session);
    if (rv != CKR_OK) return rv;
    rv = k->module->C_Login(k->session, CKU_USER, (CK_UTF8CHAR_PTR)k->pin, k->pin_len);
    if (rv == CKR_USER_ALREADY_LOGGED_IN) rv = CKR_OK; /* another key's session on this token did */
    if (rv == CKR_OK) rv = find_key(k);
    if (rv != CKR_OK) close_session(k);
    return rv;
}

static const char *why(CK_RV rv)
{
    switch (rv) {
    case CKR_PIN_INCORRECT:
        return "the PIN is wrong";
    case CKR_PIN_LOCKED:
        return "the PIN is locked";
    case CKR_TOKEN_NOT_PRESENT:
        return "no token matches the URI (not present?)";
    case CKR_KEY_HANDLE_INVALID:
        return "the token holds no key of this kind matching the URI";
    case CKR_TEMPLATE_INCONSISTENT:
        return "more than one key matches the URI";
    case CKR_TEMPLATE_INCOMPLETE:
        return "the URI names no key (object= or id=)";
    case CKR_KEY_TYPE_INCONSISTENT:
        return "the key is not of a usable type (P-256 or Ed25519 to sign, AES to wrap the data key)";
    case CKR_ENCRYPTED_DATA_INVALID:
        return "the wrapped data key does not open under this key";
    default:
        return p11_kit_strerror(rv);
    }
}

static authd_err key_open(const char *uri, CK_OBJECT_CLASS cls, struct authd_p11_key **out, char *err,
                          size_t err_cap);

authd_err authd_p11_key_open(const char *uri, struct authd_p11_key **out, char *err, size_t err_cap)
{
    return key_open(uri, CKO_PRIVATE_KEY, out, err, err_cap);
}

authd_err authd_p11_wrapping_key_open(const char *uri, struct authd_p11_key **out, char *err, size_t err_cap)
{
    return key_open(uri, CKO_SECRET_KEY, out, err, err_cap);
}

static authd_err key_open(const char *uri, CK_OBJECT_CLASS cls, struct authd_p11_key **out, char *err,
                          size_t err_cap)
{
    *out = NULL;
    if (sodium_init() < 0) return snprintf(err, err_cap, "libsodium failed to initialise"), AUTHD_E_INTERNAL;
    struct authd_p11_key *k = calloc(1, sizeof(*k));
    if (!k || !(k->uri = p11_kit_uri_new())) {
        free(k);
        return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    }
    pthread_mutex_init(&k->lock, NULL);
    k->session = CK_INVALID_HANDLE;
    k->cls = cls;
    authd_err rc = AUTHD_OK;
    int parsed = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, k->uri);
    const char *module = parsed == P11_KIT_URI_OK ? p11_kit_uri_get_module_path(k->uri) : NULL;
    if (!module) module = default_module;
    if (parsed != P11_KIT_URI_OK) {
        snprintf(err, err_cap, "not a PKCS#11 URI (RFC 7512): %s", p11_kit_uri_message(parsed));
        rc = AUTHD_E_CONFIG;
    } else if (!module) {
        snprintf(err, err_cap, "the PKCS#11 URI has no module-path, and no pkcs11_module is configured");
        rc = AUTHD_E_CONFIG;
    } else if ((rc = authd_p11_module_get(module, &k->mod, err, err_cap)) == AUTHD_OK) {
        k->module = k->mod->fl;
        k->generation = k->mod->generation;
    }
    if (!rc) rc = read_pin(k, err, err_cap);
    if (!rc) authd_p11_module_enter(k->mod);
    CK_RV rv = rc ? CKR_OK : open_session(k);
    if (!rc) authd_p11_module_leave(k->mod);
    if (!rc && rv != CKR_OK) {
        snprintf(err, err_cap, "PKCS#11 token: %s", why(rv));
        rc = rv == CKR_TOKEN_NOT_PRESENT || gone(rv) ? AUTHD_E_UNAVAILABLE : AUTHD_E_CONFIG;
    }
    if (rc) {
        authd_p11_key_close(k);
        return rc;
    }
    *out = k;
    return AUTHD_OK;
}

static CK_RV sign_once(struct authd_p11_key *k, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    uint8_t digest[SHA256_DIGEST_LENGTH];
    CK_MECHANISM mech = {k->key_type == CKK_EC ? CKM_ECDSA : CKM_EDDSA, NULL, 0};
    CK_BYTE_PTR data = (CK_BYTE_PTR)msg;
    CK_ULONG data_len = len, sig_len = 64;
    if (k->key_type == CKK_EC) { /* ES256: the token signs the digest */
        SHA256(msg, len, digest);
        data = digest;
        data_len = sizeof(digest);
    }
    CK_RV rv = k->module->C_SignInit(k->session, &mech, k->key);
    if (rv == CKR_OK) rv = k->module->C_Sign(k->session, data, data_len, sig, &sig_len);
    if (rv == CKR_OK && sig_len != 64) rv = CKR_SIGNATURE_LEN_RANGE;
    return rv;
}

certlib_err authd_p11_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    struct authd_p11_key *k = ctx;
    CK_RV rv = CKR_GENERAL_ERROR;
    pthread_mutex_lock(&k->lock);
    /* At most: the session kept from before, a fresh one, and a fresh one after the library looked for
     * tokens again. Whatever failed (the token pulled, the session lost, the device in error), the next
     * signature starts from a fresh session, so signing resumes by itself when the token is back. */
    for (int attempt = 0; attempt < 3; attempt++) {
        authd_p11_module_enter(k->mod);
        uint64_t generation = k->mod->generation;
        if (k->generation != generation) { /* the library was initialised again: that session is gone */
            k->session = CK_INVALID_HANDLE;
            k->generation = generation;
        }
        bool fresh = k->session == CK_INVALID_HANDLE;
        rv = fresh ? open_session(k) : CKR_OK;
        bool opened = rv == CKR_OK;
        if (opened) rv = sign_once(k, msg, len, sig);
        if (rv != CKR_OK) close_session(k);
        authd_p11_module_leave(k->mod);
        if (rv == CKR_OK || (fresh && opened)) break; /* signed, or a working session that cannot sign */
        if (fresh && attempt < 2) authd_p11_module_restart(k->mod, generation); /* no token: look again */
    }
    pthread_mutex_unlock(&k->lock);
    if (rv == CKR_OK) return CERTLIB_OK;
    fprintf(stderr, "authd: PKCS#11 token: cannot sign: %s\n", why(rv));
    return CERTLIB_E_SIGNER_UNAVAILABLE;
}

/* CKA_EC_POINT of an Ed25519 public key: the 32 bytes, bare or as a DER OCTET STRING. */
static bool ed25519_point(const uint8_t *v, CK_ULONG n, uint8_t pk[32])
{
    if (n == 34 && v[0] == 0x04 && v[1] == 32) v += 2, n = 32;
    if (n != 32) return false;
    memcpy(pk, v, 32);
    return true;
}

authd_err authd_p11_key_ed25519_public(struct authd_p11_key *k, uint8_t pk[32], char *err, size_t err_cap)
{
    if (k->key_type != CKK_EC_EDWARDS)
        return snprintf(err, err_cap, "the key is not Ed25519"), AUTHD_E_CONFIG;
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_ATTRIBUTE want[8] = {{CKA_CLASS, &cls, sizeof(cls)}};
    CK_ULONG n_want = 1, n_uri = 0, n = 0;
    CK_ATTRIBUTE *from_uri = p11_kit_uri_get_attributes(k->uri, &n_uri);
    for (CK_ULONG i = 0; i < n_uri && n_want < 8; i++)
        if (from_uri[i].type == CKA_LABEL || from_uri[i].type == CKA_ID) want[n_want++] = from_uri[i];
    uint8_t point[64];
    CK_ATTRIBUTE value = {CKA_EC_POINT, point, sizeof(point)};
    CK_OBJECT_HANDLE found;
    pthread_mutex_lock(&k->lock);
    authd_p11_module_enter(k->mod);
    CK_RV rv = k->session == CK_INVALID_HANDLE ? CKR_SESSION_HANDLE_INVALID
                                               : k->module->C_FindObjectsInit(k->session, want, n_want);
    if (rv == CKR_OK) {
        rv = k->module->C_FindObjects(k->session, &found, 1, &n);
        k->module->C_FindObjectsFinal(k->session);
    }
    if (rv == CKR_OK && n == 1) rv = k->module->C_GetAttributeValue(k->session, found, &value, 1);
    authd_p11_module_leave(k->mod);
    pthread_mutex_unlock(&k->lock);
    if (rv != CKR_OK || n != 1 || !ed25519_point(point, value.ulValueLen, pk))
        return snprintf(err, err_cap,
                        "the token holds no Ed25519 public key matching the URI (import it with "
                        "the private key)"),
               AUTHD_E_CONFIG;
    return AUTHD_OK;
}

authd_err authd_p11_aes_gcm(struct authd_p11_key *k, bool encrypt, const uint8_t iv[12], const uint8_t *aad,
                            size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len,
                            char *err, size_t err_cap)
{
    if (k->key_type != CKK_AES) return snprintf(err, err_cap, "not an AES key"), AUTHD_E_CONFIG;
    CK_GCM_PARAMS gcm = {.pIv = (CK_BYTE_PTR)iv,
                         .ulIvLen = 12,
                         .ulIvBits = 96,
                         .pAAD = (CK_BYTE_PTR)aad,
                         .ulAADLen = aad_len,
                         .ulTagBits = 128};
    CK_MECHANISM mech = {CKM_AES_GCM, &gcm, sizeof(gcm)};
    CK_ULONG n = *out_len;
    pthread_mutex_lock(&k->lock);
    authd_p11_module_enter(k->mod);
    CK_RV rv = encrypt ? k->module->C_EncryptInit(k->session, &mech, k->key)
                       : k->module->C_DecryptInit(k->session, &mech, k->key);
    if (rv == CKR_OK)
        rv = encrypt ? k->module->C_Encrypt(k->session, (CK_BYTE_PTR)in, len, out, &n)
                     : k->module->C_Decrypt(k->session, (CK_BYTE_PTR)in, len, out, &n);
    authd_p11_module_leave(k->mod);
    pthread_mutex_unlock(&k->lock);
    if (rv != CKR_OK) {
        /* tokens differ in what they say for a tag that does not match (SoftHSM2: a general error) */
        if (encrypt)
            snprintf(err, err_cap, "PKCS#11 token: %s", why(rv));
        else
            snprintf(err, err_cap, "PKCS#11 token: %s (the token says: %s)", why(CKR_ENCRYPTED_DATA_INVALID),
                     p11_kit_strerror(rv));
        return AUTHD_E_CONFIG;
    }
    *out_len = n;
    return AUTHD_OK;
}

void authd_p11_key_close(struct authd_p11_key *k)
{
    if (!k) return;
    if (k->mod) {
        authd_p11_module_enter(k->mod);
        if (k->generation == k->mod->generation) close_session(k);
        authd_p11_module_leave(k->mod);
        authd_p11_module_put(k->mod);
    }
    if (k->pin) sodium_free(k->pin);
    p11_kit_uri_free(k->uri);
    pthread_mutex_destroy(&k->lock);
    free(k);
}
