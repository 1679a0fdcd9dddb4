/* SM2 keys in a cipher machine through its GM/T 0018 SDF library (sdf_key.h). */
#include <dlfcn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdf_api.h"
#include "sdf_key.h"
#include "secret_file.h"

#define SM2_DEFAULT_ID "1234567812345678" /* GM/T 0009 */

struct authd_sdf_key {
    void *lib;
    char *path;
    unsigned int index;
    char *pin; /* sodium_malloc: locked, wiped when freed */
    size_t pin_len;
    uint8_t z[32]; /* SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA) */
    pthread_mutex_t lock;
    void *device, *session; /* NULL when not open */
    SDF_OpenDevice_fn open_device;
    SDF_CloseDevice_fn close_device;
    SDF_OpenSession_fn open_session;
    SDF_CloseSession_fn close_session;
    SDF_GetPrivateKeyAccessRight_fn get_right;
    SDF_ReleasePrivateKeyAccessRight_fn release_right;
    SDF_ExportSignPublicKey_ECC_fn export_public;
    SDF_InternalSign_ECC_fn sign;
};

bool authd_is_sdf_ref(const char *ref)
{
    return ref && strncmp(ref, AUTHD_SDF_PREFIX, strlen(AUTHD_SDF_PREFIX)) == 0;
}

/* "sdf:PATH?key=N&pin-source=file:PIN" into its parts. */
static bool parse_ref(const char *ref, struct authd_sdf_key *k, char pin_path[4096])
{
    const char *path = ref + strlen(AUTHD_SDF_PREFIX), *q = strchr(path, '?');
    if (!q || q == path) return false;
    if (!(k->path = strndup(path, (size_t)(q - path)))) return false;
    bool have_key = false, have_pin = false;
    for (const char *p = q + 1; *p;) {
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 4 && strncmp(p, "key=", 4) == 0) {
            char *stop;
            unsigned long v = strtoul(p + 4, &stop, 10);
            if (stop != p + n || v > 0xffff) return false;
            k->index = (unsigned int)v;
            have_key = true;
        } else if (n > 11 && strncmp(p, "pin-source=", 11) == 0) {
            const char *src = p + 11;
            size_t m = n - 11;
            if (m > 5 && strncmp(src, "file:", 5) == 0) src += 5, m -= 5;
            if (m >= 4096) return false;
            memcpy(pin_path, src, m);
            pin_path[m] = '\0';
            have_pin = true;
        } else {
            return false;
        }
        p += n + (end ? 1 : 0);
    }
    return have_key && have_pin;
}

static bool resolve(struct authd_sdf_key *k)
{
#define SYM(field, name) (k->field = (__typeof__(k->field))dlsym(k->lib, name))
    return SYM(open_device, "SDF_OpenDevice") && SYM(close_device, "SDF_CloseDevice") &&
           SYM(open_session, "SDF_OpenSession") && SYM(close_session, "SDF_CloseSession") &&
           SYM(get_right, "SDF_GetPrivateKeyAccessRight") &&
           SYM(release_right, "SDF_ReleasePrivateKeyAccessRight") &&
           SYM(export_public, "SDF_ExportSignPublicKey_ECC") && SYM(sign, "SDF_InternalSign_ECC");
#undef SYM
}

static void close_device(struct authd_sdf_key *k)
{
    if (k->session) {
        k->release_right(k->session, k->index);
        k->close_session(k->session);
    }
    if (k->device) k->close_device(k->device);
    k->session = k->device = NULL;
}

/* The device, a session and the right to the key; the SDF code of what failed, and (*opened) whether the
 * device itself opened. */
static int open_device(struct authd_sdf_key *k, bool *opened)
{
    int rc = k->open_device(&k->device);
    *opened = rc == SDR_OK;
    if (rc != SDR_OK) k->device = NULL;
    if (rc == SDR_OK && (rc = k->open_session(k->device, &k->session)) != SDR_OK) k->session = NULL;
    if (rc == SDR_OK)
        rc = k->get_right(k->session, k->index, (unsigned char *)k->pin, (unsigned int)k->pin_len);
    if (rc != SDR_OK) close_device(k);
    return rc;
}

/* A 256-bit value of an ECCref field: the last 32 of its 64 bytes, the rest zero. */
static bool ref_value(const unsigned char field[ECCref_MAX_LEN], uint8_t out[32])
{
    for (int i = 0; i < ECCref_MAX_LEN - 32; i++)
        if (field[i]) return false;
    memcpy(out, field + ECCref_MAX_LEN - 32, 32);
    return true;
}

/* Z of GB/T 32918.2 for the default id, from the curve's parameters (OpenSSL's SM2 group) and the key. */
static bool compute_z(struct authd_sdf_key *k, const uint8_t x[32], const uint8_t y[32])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
    BIGNUM *p = BN_new(), *a = BN_new(), *b = BN_new(), *gx = BN_new(), *gy = BN_new();
    uint8_t buf[2 + 16 + 6 * 32];
    bool ok = g && p && a && b && gx && gy && EC_GROUP_get_curve(g, p, a, b, NULL) == 1 &&
              EC_POINT_get_affine_coordinates(g, EC_GROUP_get0_generator(g), gx, gy, NULL) == 1;
    if (ok) {
        size_t at = 0;
        buf[at++] = 0, buf[at++] = 128; /* ENTL: the id's length in bits */
        memcpy(buf + at, SM2_DEFAULT_ID, 16), at += 16;
        const BIGNUM *params[] = {a, b, gx, gy};
        for (int i = 0; i < 4 && ok; i++, at += 32)
            ok = BN_bn2binpad(params[i], buf + at, 32) == 32;
        memcpy(buf + at, x, 32), at += 32;
        memcpy(buf + at, y, 32), at += 32;
        unsigned int n = 0;
        ok = ok && EVP_Digest(buf, at, k->z, &n, EVP_sm3(), NULL) == 1 && n == 32;
    }
    BN_free(p), BN_free(a), BN_free(b), BN_free(gx), BN_free(gy);
    EC_GROUP_free(g);
    return ok;
}

authd_err authd_sdf_key_open(const char *ref, struct authd_sdf_key **out, char *err, size_t err_cap)
{
    *out = NULL;
    if (sodium_init() < 0) return snprintf(err, err_cap, "libsodium failed to initialise"), AUTHD_E_INTERNAL;
    struct authd_sdf_key *k = calloc(1, sizeof(*k));
    if (!k) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    pthread_mutex_init(&k->lock, NULL);
    char pin_path[4096];
    authd_err rc = AUTHD_OK;
    if (!parse_ref(ref, k, pin_path)) {
        snprintf(err, err_cap, "not an SDF key reference (sdf:LIBRARY?key=N&pin-source=file:PATH)");
        rc = AUTHD_E_CONFIG;
    } else if (!(k->lib = dlopen(k->path, RTLD_NOW | RTLD_LOCAL))) {
        snprintf(err, err_cap, "the SDF library %s does not load: %s", k->path, dlerror());
        rc = AUTHD_E_CONFIG;
    } else if (!resolve(k)) {
        snprintf(err, err_cap, "%s lacks the GM/T 0018 functions authd calls (SDF_InternalSign_ECC, ...)",
                 k->path);
        rc = AUTHD_E_CONFIG;
    }
    if (!rc) rc = authd_secret_file_read(pin_path, "password", &k->pin, &k->pin_len, err, err_cap);
    bool opened = false;
    int sdr = rc ? SDR_OK : open_device(k, &opened);
    if (!rc && sdr != SDR_OK && !opened) {
        snprintf(err, err_cap, "the SDF device does not open (SDF error 0x%08x)", (unsigned)sdr);
        rc = AUTHD_E_UNAVAILABLE;
    } else if (!rc && sdr != SDR_OK) {
        snprintf(err, err_cap,
                 "the SDF device refused the access right to key %u (SDF error 0x%08x: no such key, "
                 "or a wrong password)",
                 k->index, (unsigned)sdr);
        rc = AUTHD_E_CONFIG;
    }
    ECCrefPublicKey pub;
    uint8_t x[32], y[32];
    if (!rc && (k->export_public(k->session, k->index, &pub) != SDR_OK || pub.bits != 256 ||
                !ref_value(pub.x, x) || !ref_value(pub.y, y) || !compute_z(k, x, y))) {
        snprintf(err, err_cap, "the SDF device does not give key %u's SM2 public key", k->index);
        rc = AUTHD_E_CONFIG;
    }
    if (rc) {
        authd_sdf_key_close(k);
        return rc;
    }
    *out = k;
    return AUTHD_OK;
}

certlib_err authd_sdf_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
{
    struct authd_sdf_key *k = ctx;
    uint8_t e[32];
    unsigned int n = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool hashed = md && EVP_DigestInit_ex(md, EVP_sm3(), NULL) == 1 && EVP_DigestUpdate(md, k->z, 32) == 1 &&
                  EVP_DigestUpdate(md, msg, len) == 1 && EVP_DigestFinal_ex(md, e, &n) == 1 && n == 32;
    EVP_MD_CTX_free(md);
    if (!hashed) return CERTLIB_E_INTERNAL;
    ECCSignature s;
    pthread_mutex_lock(&k->lock);
    /* the session from before, else (or when it fails) a fresh one: signing resumes when the machine is back
     */
    int rc = k->session ? k->sign(k->session, k->index, e, 32, &s) : -1;
    if (rc != SDR_OK) {
        bool opened;
        close_device(k);
        rc = open_device(k, &opened);
        if (rc == SDR_OK) rc = k->sign(k->session, k->index, e, 32, &s);
        if (rc != SDR_OK) close_device(k);
    }
    pthread_mutex_unlock(&k->lock);
    if (rc != SDR_OK || !ref_value(s.r, sig) || !ref_value(s.s, sig + 32)) {
        fprintf(stderr, "authd: SDF device: cannot sign with key %u (SDF error 0x%08x)\n", k->index,
                (unsigned)rc);
        return CERTLIB_E_SIGNER_UNAVAILABLE;
    }
    return CERTLIB_OK;
}

void authd_sdf_key_close(struct authd_sdf_key *k)
{
    if (!k) return;
    if (k->lib) close_device(k);
    if (k->lib) dlclose(k->lib);
    if (k->pin) sodium_free(k->pin);
    free(k->path);
    pthread_mutex_destroy(&k->lock);
    free(k);
}
