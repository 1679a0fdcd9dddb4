/* sdf_softcard: a STAND-IN for a cipher machine (密码机), for tests only. A shared library exporting the
 * GM/T 0018 SDF functions authd calls, exactly as a vendor's library does, but keeping its SM2 keys in
 * files over OpenSSL. It is no cipher machine: its keys are files anyone can read.
 *
 * Its "device" is the directory SDF_SOFTCARD_DIR: key<N>.pem holds internal SM2 key N (PEM), `pin` the
 * access password of every key, and while a file `removed` exists the device answers nothing (a machine
 * unplugged or down), so tests can take it away and bring it back. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../authd/sdf_api.h"

#define SDR_UNKNOWERR 0x01000001
#define SDR_OPENDEVICE 0x01000002
#define SDR_KEYNOTEXIST 0x01000008
#define SDR_PARDENY 0x0100000A
#define SDR_SIGNERR 0x01000019
#define SDR_PWDERR 0x01000020 /* not in GM/T 0018-2012; vendors use a code of their own */

#define EXPORT __attribute__((visibility("default")))

/* The exported functions, with the types authd calls them with (sdf_api.h): checked below. */
EXPORT int SDF_OpenDevice(void **phDeviceHandle);
EXPORT int SDF_CloseDevice(void *hDeviceHandle);
EXPORT int SDF_OpenSession(void *hDeviceHandle, void **phSessionHandle);
EXPORT int SDF_CloseSession(void *hSessionHandle);
EXPORT int SDF_GetPrivateKeyAccessRight(void *hSessionHandle, unsigned int uiKeyIndex,
                                        unsigned char *pucPassword, unsigned int uiPwdLength);
EXPORT int SDF_ReleasePrivateKeyAccessRight(void *hSessionHandle, unsigned int uiKeyIndex);
EXPORT int SDF_ExportSignPublicKey_ECC(void *hSessionHandle, unsigned int uiKeyIndex,
                                       ECCrefPublicKey *pucPublicKey);
EXPORT int SDF_InternalSign_ECC(void *hSessionHandle, unsigned int uiISKIndex, unsigned char *pucData,
                                unsigned int uiDataLength, ECCSignature *pucSignature);
__attribute__((unused)) static const struct {
    SDF_OpenDevice_fn a;
    SDF_CloseDevice_fn b;
    SDF_OpenSession_fn c;
    SDF_CloseSession_fn d;
    SDF_GetPrivateKeyAccessRight_fn e;
    SDF_ReleasePrivateKeyAccessRight_fn f;
    SDF_ExportSignPublicKey_ECC_fn g;
    SDF_InternalSign_ECC_fn h;
} same_types = {SDF_OpenDevice,
                SDF_CloseDevice,
                SDF_OpenSession,
                SDF_CloseSession,
                SDF_GetPrivateKeyAccessRight,
                SDF_ReleasePrivateKeyAccessRight,
                SDF_ExportSignPublicKey_ECC,
                SDF_InternalSign_ECC};

struct session {
    unsigned int granted; /* bit N: the access right to key N */
};

static const char *dir(void)
{
    const char *d = getenv("SDF_SOFTCARD_DIR");
    return d ? d : ".";
}

static int present(void)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/removed", dir());
    return access(path, F_OK) != 0;
}

static EVP_PKEY *load_key(unsigned int index)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/key%u.pem", dir(), index);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

EXPORT int SDF_OpenDevice(void **phDeviceHandle)
{
    if (!present()) return SDR_OPENDEVICE;
    *phDeviceHandle = strdup("softcard");
    return *phDeviceHandle ? SDR_OK : SDR_UNKNOWERR;
}

EXPORT int SDF_CloseDevice(void *hDeviceHandle)
{
    free(hDeviceHandle);
    return SDR_OK;
}

EXPORT int SDF_OpenSession(void *hDeviceHandle, void **phSessionHandle)
{
    (void)hDeviceHandle;
    if (!present()) return SDR_OPENDEVICE;
    *phSessionHandle = calloc(1, sizeof(struct session));
    return *phSessionHandle ? SDR_OK : SDR_UNKNOWERR;
}

EXPORT int SDF_CloseSession(void *hSessionHandle)
{
    free(hSessionHandle);
    return SDR_OK;
}

EXPORT int SDF_GetPrivateKeyAccessRight(void *hSessionHandle, unsigned int uiKeyIndex,
                                        unsigned char *pucPassword, unsigned int uiPwdLength)
{
    if (!present()) return SDR_OPENDEVICE;
    char path[4096], pin[256] = "";
    snprintf(path, sizeof(path), "%s/pin", dir());
    FILE *f = fopen(path, "r");
    if (!f || !fgets(pin, sizeof(pin), f)) {
        if (f) fclose(f);
        return SDR_UNKNOWERR;
    }
    fclose(f);
    pin[strcspn(pin, "\r\n")] = '\0';
    if (uiKeyIndex >= 32) return SDR_KEYNOTEXIST;
    EVP_PKEY *k = load_key(uiKeyIndex);
    if (!k) return SDR_KEYNOTEXIST;
    EVP_PKEY_free(k);
    if (uiPwdLength != strlen(pin) || memcmp(pucPassword, pin, uiPwdLength) != 0) return SDR_PWDERR;
    ((struct session *)hSessionHandle)->granted |= 1u << uiKeyIndex;
    return SDR_OK;
}

EXPORT int SDF_ReleasePrivateKeyAccessRight(void *hSessionHandle, unsigned int uiKeyIndex)
{
    if (uiKeyIndex < 32) ((struct session *)hSessionHandle)->granted &= ~(1u << uiKeyIndex);
    return SDR_OK;
}

/* A 256-bit value right-aligned in a 64-byte field, as ECCref keeps it. */
static void put_bn(unsigned char out[ECCref_MAX_LEN], const BIGNUM *v)
{
    memset(out, 0, ECCref_MAX_LEN);
    BN_bn2binpad(v, out + ECCref_MAX_LEN - 32, 32);
}

EXPORT int SDF_ExportSignPublicKey_ECC(void *hSessionHandle, unsigned int uiKeyIndex,
                                       ECCrefPublicKey *pucPublicKey)
{
    (void)hSessionHandle;
    if (!present()) return SDR_OPENDEVICE;
    EVP_PKEY *k = load_key(uiKeyIndex);
    if (!k) return SDR_KEYNOTEXIST;
    BIGNUM *x = NULL, *y = NULL;
    int ok = EVP_PKEY_get_bn_param(k, "qx", &x) == 1 && EVP_PKEY_get_bn_param(k, "qy", &y) == 1;
    if (ok) {
        pucPublicKey->bits = 256;
        put_bn(pucPublicKey->x, x);
        put_bn(pucPublicKey->y, y);
    }
    BN_free(x);
    BN_free(y);
    EVP_PKEY_free(k);
    return ok ? SDR_OK : SDR_UNKNOWERR;
}

EXPORT int SDF_InternalSign_ECC(void *hSessionHandle, unsigned int uiISKIndex, unsigned char *pucData,
                                unsigned int uiDataLength, ECCSignature *pucSignature)
{
    if (!present()) return SDR_OPENDEVICE;
    if (uiISKIndex >= 32 || !(((struct session *)hSessionHandle)->granted & (1u << uiISKIndex)))
        return SDR_PARDENY;
    if (uiDataLength != 32) return SDR_SIGNERR; /* e = SM3(Z ‖ M) */
    EVP_PKEY *k = load_key(uiISKIndex);
    if (!k) return SDR_KEYNOTEXIST;
    /* OpenSSL's SM2 EVP_PKEY_sign signs its input as the digest e, as the SDF interface wants */
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
    unsigned char der[128];
    size_t der_len = sizeof(der);
    int rc = ctx && EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_sign(ctx, der, &der_len, pucData, 32) == 1
                 ? SDR_OK
                 : SDR_SIGNERR;
    ECDSA_SIG *sig = NULL;
    const unsigned char *p = der;
    if (rc == SDR_OK && (sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len))) {
        put_bn(pucSignature->r, ECDSA_SIG_get0_r(sig));
        put_bn(pucSignature->s, ECDSA_SIG_get0_s(sig));
    } else {
        rc = SDR_SIGNERR;
    }
    ECDSA_SIG_free(sig);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(k);
    return rc;
}
