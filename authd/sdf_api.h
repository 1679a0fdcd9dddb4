/* The part of GM/T 0018-2012 (密码设备应用接口规范, the SDF interface Chinese cipher machines ship as a C
 * library) that authd uses: opening the device and a session, the right to use an internal SM2 key,
 * exporting its public key and signing with it. Declared here from the standard: no Debian package
 * carries a vendor's header, and every vendor's library exports these names with these types. */
#ifndef AUTHD_SDF_API_H
#define AUTHD_SDF_API_H

#define SDR_OK 0x0
#define ECCref_MAX_BITS 512
#define ECCref_MAX_LEN ((ECCref_MAX_BITS + 7) / 8) /* 64: 256-bit values sit right-aligned in the last 32 */

typedef struct ECCrefPublicKey_st {
    unsigned int bits;
    unsigned char x[ECCref_MAX_LEN];
    unsigned char y[ECCref_MAX_LEN];
} ECCrefPublicKey;

typedef struct ECCSignature_st {
    unsigned char r[ECCref_MAX_LEN];
    unsigned char s[ECCref_MAX_LEN];
} ECCSignature;

typedef int (*SDF_OpenDevice_fn)(void **phDeviceHandle);
typedef int (*SDF_CloseDevice_fn)(void *hDeviceHandle);
typedef int (*SDF_OpenSession_fn)(void *hDeviceHandle, void **phSessionHandle);
typedef int (*SDF_CloseSession_fn)(void *hSessionHandle);
typedef int (*SDF_GetPrivateKeyAccessRight_fn)(void *hSessionHandle, unsigned int uiKeyIndex,
                                               unsigned char *pucPassword, unsigned int uiPwdLength);
typedef int (*SDF_ReleasePrivateKeyAccessRight_fn)(void *hSessionHandle, unsigned int uiKeyIndex);
typedef int (*SDF_ExportSignPublicKey_ECC_fn)(void *hSessionHandle, unsigned int uiKeyIndex,
                                              ECCrefPublicKey *pucPublicKey);
/* Signs pucData, which by the standard's convention is the SM3 digest e = SM3(Z ‖ M) the caller made. */
typedef int (*SDF_InternalSign_ECC_fn)(void *hSessionHandle, unsigned int uiISKIndex, unsigned char *pucData,
                                       unsigned int uiDataLength, ECCSignature *pucSignature);

#endif
