/* Sealed licence records (record.h): header, MAC and encryption, with XChaCha20-Poly1305 (xchacha.h)
 * and libsodium's keyed BLAKE2b, or with the 国密 algorithms through OpenSSL (SM4-CTR, HMAC-SM3;
 * gm_crypto.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/licence_id.h"
#include "certlib/status.h"
#include "gm_crypto.h"
#include "record.h"
#include "secret_file.h"
#include "xchacha.h"

#define RECORD_VERSION 3                                                         /* XChaCha20-Poly1305 */
#define RECORD_VERSION_SM4 4                                                     /* SM4-CTR, HMAC-SM3 */
#define HEADER_LEN (2 + 4 + 4 + 8 + AUTHD_TYPE_CODE_LEN + AUTHD_ISSUER_CODE_LEN) /* 57 */
#define MAC_LEN 16
#define NONCE_LEN AUTHD_XCHACHA_NONCE_LEN
#define TAG_LEN 16 /* Poly1305's, or HMAC-SM3's first 16 bytes */
#define NONCE_AT (HEADER_LEN + MAC_LEN)

#define V2_HEADER_LEN (HEADER_LEN + 8) /* schema 2: the log index closed the header */

struct authd_record_keys {
    uint8_t *keys; /* sodium_malloc, read-only: encryption, holder index, header MAC */
    enum authd_cipher cipher;
    /* the 国密 suite's keys made ready (gm_crypto.h) */
    struct authd_sm4 *sm4;
    struct authd_hmac_sm3 *sm_emac, *sm_index, *sm_mac;
};
#define KEY_ENC 0
#define KEY_INDEX 32
#define KEY_MAC 64
#define KEY_LIST 96
#define KEY_NONCE 128
/* the 国密 suite's, derived with HMAC-SM3 from the data key */
#define KEY_SM4 160      /* SM4 key (16 bytes used) */
#define KEY_SM_EMAC 192  /* HMAC-SM3 over the ciphertext */
#define KEY_SM_INDEX 224 /* HMAC-SM3 of holder ids */
#define KEY_SM_MAC 256   /* HMAC-SM3 of headers */
#define KEYS_LEN 288

const char *authd_cipher_name(enum authd_cipher c)
{
    return c == AUTHD_CIPHER_SM4 ? "sm4" : c == AUTHD_CIPHER_XCHACHA20 ? "xchacha20-poly1305" : "unknown";
}

int authd_cipher_of(const char *name)
{
    return strcmp(name, "sm4") == 0                  ? AUTHD_CIPHER_SM4
           : strcmp(name, "xchacha20-poly1305") == 0 ? AUTHD_CIPHER_XCHACHA20
                                                     : -1;
}

/* A subkey of the 国密 suite: HMAC-SM3(data key, label), so neither suite's keys derive from the
 * other's algorithms. */
static bool sm_subkey(const uint8_t master[32], const char *label, uint8_t *out)
{
    const struct authd_bytes part = {label, strlen(label)};
    return authd_hmac_sm3(master, 32, &part, 1, out, 32);
}

static void be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24), out[1] = (uint8_t)(v >> 16), out[2] = (uint8_t)(v >> 8), out[3] = (uint8_t)v;
}

static uint32_t read_be32(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

authd_err authd_record_keys_from_master(const uint8_t master[32], struct authd_record_keys **out, char *err,
                                        size_t err_cap)
{
    *out = NULL;
    if (sodium_init() < 0) return snprintf(err, err_cap, "libsodium failed to initialise"), AUTHD_E_INTERNAL;
    struct authd_record_keys *k = calloc(1, sizeof(*k));
    authd_err rc = AUTHD_OK;
    if (!k || !(k->keys = sodium_malloc(KEYS_LEN))) {
        snprintf(err, err_cap, "data key: out of protected memory");
        rc = AUTHD_E_NOMEM;
    } else if (crypto_kdf_derive_from_key(k->keys + KEY_ENC, 32, 1, "authdenc", master) != 0 ||
               crypto_kdf_derive_from_key(k->keys + KEY_INDEX, 32, 2, "authdidx", master) != 0 ||
               crypto_kdf_derive_from_key(k->keys + KEY_MAC, 32, 3, "authdmac", master) != 0 ||
               crypto_kdf_derive_from_key(k->keys + KEY_LIST, 32, 4, "authdlst", master) != 0 ||
               crypto_kdf_derive_from_key(k->keys + KEY_NONCE, 32, 5, "authdnce", master) != 0 ||
               !sm_subkey(master, "authd sm4 encryption", k->keys + KEY_SM4) ||
               !sm_subkey(master, "authd sm4 ciphertext mac", k->keys + KEY_SM_EMAC) ||
               !sm_subkey(master, "authd sm4 holder index", k->keys + KEY_SM_INDEX) ||
               !sm_subkey(master, "authd sm4 header mac", k->keys + KEY_SM_MAC)) {
        snprintf(err, err_cap, "data key: derivation failed");
        rc = AUTHD_E_INTERNAL;
    }
    if (!rc && (!(k->sm4 = authd_sm4_new(k->keys + KEY_SM4)) ||
                !(k->sm_emac = authd_hmac_sm3_new(k->keys + KEY_SM_EMAC, 32)) ||
                !(k->sm_index = authd_hmac_sm3_new(k->keys + KEY_SM_INDEX, 32)) ||
                !(k->sm_mac = authd_hmac_sm3_new(k->keys + KEY_SM_MAC, 32)))) {
        snprintf(err, err_cap, "data key: OpenSSL has no SM3 or SM4");
        rc = AUTHD_E_INTERNAL;
    }
    if (rc) {
        authd_record_keys_free(k);
        return rc;
    }
    sodium_mprotect_readonly(k->keys);
    k->cipher = AUTHD_CIPHER_XCHACHA20;
    *out = k;
    return AUTHD_OK;
}

/* The data key file holds 64 hex digits; the working keys are derived from it (libsodium KDF, and
 * HMAC-SM3 for the 国密 suite), so each is independent of the others. */
authd_err authd_record_keys_load(const char *path, struct authd_record_keys **out, char *err, size_t err_cap)
{
    *out = NULL;
    if (sodium_init() < 0) return snprintf(err, err_cap, "libsodium failed to initialise"), AUTHD_E_INTERNAL;
    char *hex = NULL;
    size_t n = 0, bin_len = 0;
    authd_err rc = authd_secret_file_read(path, "data key", &hex, &n, err, err_cap);
    if (rc) return rc;
    uint8_t *master = sodium_malloc(32);
    if (!master) {
        snprintf(err, err_cap, "data key: out of protected memory");
        rc = AUTHD_E_NOMEM;
    } else if (n != 64 || sodium_hex2bin(master, 32, hex, n, NULL, &bin_len, NULL) != 0 || bin_len != 32) {
        snprintf(err, err_cap, "data key %s: expected 64 hexadecimal digits%s", path,
                 strncmp(hex, "aes-256-gcm:", 12) == 0 ? " (this one is wrapped: configure data_key_wrapping)"
                                                       : "");
        rc = AUTHD_E_CONFIG;
    } else {
        rc = authd_record_keys_from_master(master, out, err, err_cap);
    }
    sodium_free(hex); /* wipes */
    if (master) sodium_free(master);
    return rc;
}

void authd_record_keys_use(struct authd_record_keys *k, enum authd_cipher cipher)
{
    k->cipher = cipher;
}

enum authd_cipher authd_record_keys_cipher(const struct authd_record_keys *k)
{
    return k->cipher;
}

static bool sm4(const struct authd_record_keys *k)
{
    return k->cipher == AUTHD_CIPHER_SM4;
}

static uint8_t version_of(const struct authd_record_keys *k)
{
    return sm4(k) ? RECORD_VERSION_SM4 : RECORD_VERSION;
}

/* Where the body starts: after the nonce (24 bytes) or the IV (16). */
static size_t body_at(const struct authd_record_keys *k)
{
    return NONCE_AT + (sm4(k) ? AUTHD_SM4_IV_LEN : NONCE_LEN);
}

void authd_record_keys_free(struct authd_record_keys *k)
{
    if (!k) return;
    authd_sm4_free(k->sm4);
    authd_hmac_sm3_free(k->sm_emac);
    authd_hmac_sm3_free(k->sm_index);
    authd_hmac_sm3_free(k->sm_mac);
    if (k->keys) sodium_free(k->keys); /* wipes */
    free(k);
}

void authd_record_holder_key(const struct authd_record_keys *k, const char *holder_id, size_t len,
                             uint8_t out[AUTHD_HOLDER_KEY_LEN])
{
    if (sm4(k)) {
        const struct authd_bytes part = {holder_id, len};
        if (!authd_hmac_sm3_with(k->sm_index, &part, 1, out, AUTHD_HOLDER_KEY_LEN))
            sodium_memzero(out, AUTHD_HOLDER_KEY_LEN); /* OpenSSL without SM3: refused at load */
        return;
    }
    crypto_generichash(out, AUTHD_HOLDER_KEY_LEN, (const uint8_t *)holder_id, len, k->keys + KEY_INDEX, 32);
}

size_t authd_record_sealed_len(const struct authd_record_keys *k, size_t licence_len)
{
    return body_at(k) + licence_len + TAG_LEN;
}

static void write_header(uint8_t *h, uint8_t version, const struct authd_licence_meta *m)
{
    h[0] = version;
    h[1] = m->status;
    be32(h + 2, m->list_no);
    be32(h + 6, m->status_idx);
    be32(h + 10, (uint32_t)((uint64_t)m->issued_at >> 32));
    be32(h + 14, (uint32_t)m->issued_at);
    memcpy(h + 18, m->type_code, AUTHD_TYPE_CODE_LEN);
    memcpy(h + 18 + AUTHD_TYPE_CODE_LEN, m->issuer_code, AUTHD_ISSUER_CODE_LEN);
}

static void read_header(const uint8_t *h, struct authd_licence_meta *m)
{
    m->status = h[1];
    m->list_no = read_be32(h + 2);
    m->status_idx = read_be32(h + 6);
    m->issued_at = (int64_t)((uint64_t)read_be32(h + 10) << 32 | read_be32(h + 14));
    memcpy(m->type_code, h + 18, AUTHD_TYPE_CODE_LEN);
    m->type_code[AUTHD_TYPE_CODE_LEN] = '\0';
    memcpy(m->issuer_code, h + 18 + AUTHD_TYPE_CODE_LEN, AUTHD_ISSUER_CODE_LEN);
    m->issuer_code[AUTHD_ISSUER_CODE_LEN] = '\0';
}

/* The header MAC: keyed BLAKE2b-128 (or HMAC-SM3's first 16 bytes) over the id's length, the id and the
 * header. */
static void header_mac(const struct authd_record_keys *k, const char *id, size_t id_len,
                       const uint8_t *header, uint8_t out[MAC_LEN])
{
    crypto_generichash_state st;
    uint8_t n = (uint8_t)id_len; /* ids are shorter than CERTLIB_LICENCE_ID_MAX < 256 */
    if (sm4(k)) {
        const struct authd_bytes parts[] = {{&n, 1}, {id, id_len}, {header, HEADER_LEN}};
        if (!authd_hmac_sm3_with(k->sm_mac, parts, 3, out, MAC_LEN)) sodium_memzero(out, MAC_LEN);
        return;
    }
    crypto_generichash_init(&st, k->keys + KEY_MAC, 32, MAC_LEN);
    crypto_generichash_update(&st, &n, 1);
    crypto_generichash_update(&st, (const uint8_t *)id, id_len);
    crypto_generichash_update(&st, header, HEADER_LEN);
    crypto_generichash_final(&st, out, MAC_LEN);
}

/* Associated data: the id and the header's fixed part (everything but version and status). */
static size_t make_ad(uint8_t *ad, const char *id, size_t id_len, const uint8_t *header, size_t header_len)
{
    memcpy(ad, id, id_len);
    memcpy(ad + id_len, header + 2, header_len - 2);
    return id_len + header_len - 2;
}

/* The 国密 suite's tag: HMAC-SM3 over the associated data's length and bytes, the IV and the ciphertext
 * (encrypt-then-MAC), its first 16 bytes. */
static bool sm_tag(const struct authd_record_keys *k, const uint8_t *ad, size_t ad_len, const uint8_t *iv,
                   const uint8_t *ct, size_t ct_len, uint8_t out[TAG_LEN])
{
    uint8_t n[2] = {(uint8_t)(ad_len >> 8), (uint8_t)ad_len};
    const struct authd_bytes parts[] = {{n, 2}, {ad, ad_len}, {iv, AUTHD_SM4_IV_LEN}, {ct, ct_len}};
    return authd_hmac_sm3_with(k->sm_emac, parts, 4, out, TAG_LEN);
}

authd_err authd_record_seal(const struct authd_record_keys *k, const char *id, size_t id_len,
                            const struct authd_licence_meta *meta, const uint8_t *licence, size_t licence_len,
                            uint8_t *out)
{
    uint8_t ad[CERTLIB_LICENCE_ID_MAX + V2_HEADER_LEN];
    size_t at = body_at(k);
    write_header(out, version_of(k), meta);
    header_mac(k, id, id_len, out, out + HEADER_LEN);
    randombytes_buf(out + NONCE_AT, at - NONCE_AT);
    size_t ad_len = make_ad(ad, id, id_len, out, HEADER_LEN);
    if (sm4(k)) {
        if (!authd_sm4_ctr(k->sm4, out + NONCE_AT, licence, licence_len, out + at) ||
            !sm_tag(k, ad, ad_len, out + NONCE_AT, out + at, licence_len, out + at + licence_len))
            return AUTHD_E_INTERNAL;
        return AUTHD_OK;
    }
    return authd_xchacha_seal(k->keys + KEY_ENC, out + NONCE_AT, ad, ad_len, licence, licence_len, out + at);
}

authd_err authd_record_meta(const struct authd_record_keys *k, const char *id, size_t id_len,
                            const uint8_t *record, size_t len, struct authd_licence_meta *meta)
{
    uint8_t mac[MAC_LEN];
    if (len < body_at(k) + TAG_LEN || record[0] != version_of(k) || id_len == 0 ||
        id_len >= CERTLIB_LICENCE_ID_MAX)
        return AUTHD_E_CORRUPT;
    header_mac(k, id, id_len, record, mac);
    if (sodium_memcmp(mac, record + HEADER_LEN, MAC_LEN) != 0) return AUTHD_E_CORRUPT;
    read_header(record, meta);
    return AUTHD_OK;
}

/* The 国密 suite's body: the tag checked first (encrypt-then-MAC), then SM4-CTR. */
static authd_err sm_decrypt(const struct authd_record_keys *k, const uint8_t *ad, size_t ad_len,
                            const uint8_t *iv, const uint8_t *body, size_t body_len, uint8_t *plain)
{
    uint8_t tag[TAG_LEN];
    size_t ct_len = body_len - TAG_LEN;
    if (!sm_tag(k, ad, ad_len, iv, body, ct_len, tag)) return AUTHD_E_INTERNAL;
    if (sodium_memcmp(tag, body + ct_len, TAG_LEN) != 0)
        return AUTHD_E_CORRUPT; /* tampered, or another key */
    return authd_sm4_ctr(k->sm4, iv, body, ct_len, plain) ? AUTHD_OK : AUTHD_E_INTERNAL;
}

/* Decrypts the body behind `header_len` header bytes (and a MAC in this format). */
static authd_err decrypt(const struct authd_record_keys *k, const char *id, size_t id_len,
                         const uint8_t *record, size_t len, size_t header_len, size_t nonce_at,
                         uint8_t **licence, size_t *licence_len)
{
    size_t at = nonce_at + (sm4(k) ? AUTHD_SM4_IV_LEN : NONCE_LEN);
    if (len < at + TAG_LEN) return AUTHD_E_CORRUPT;
    uint8_t ad[CERTLIB_LICENCE_ID_MAX + V2_HEADER_LEN];
    size_t ad_len = make_ad(ad, id, id_len, record, header_len);
    uint8_t *plain = malloc(len - at);
    if (!plain) return AUTHD_E_NOMEM;
    authd_err err = AUTHD_OK;
    if (sm4(k))
        err = sm_decrypt(k, ad, ad_len, record + nonce_at, record + at, len - at, plain);
    else /* AUTHD_E_CORRUPT: tampered, or another data key */
        err = authd_xchacha_open(k->keys + KEY_ENC, record + nonce_at, ad, ad_len, record + at, len - at,
                                 plain);
    if (err) {
        sodium_memzero(plain, len - at);
        free(plain);
        return err;
    }
    *licence = plain;
    *licence_len = len - at - TAG_LEN;
    return AUTHD_OK;
}

authd_err authd_record_open(const struct authd_record_keys *k, const char *id, size_t id_len,
                            const uint8_t *record, size_t len, struct authd_licence_meta *meta,
                            uint8_t **licence, size_t *licence_len)
{
    authd_err err = authd_record_meta(k, id, id_len, record, len, meta);
    if (err) return err;
    return decrypt(k, id, id_len, record, len, HEADER_LEN, NONCE_AT, licence, licence_len);
}

authd_err authd_record_set_status(const struct authd_record_keys *k, const char *id, size_t id_len,
                                  const uint8_t *record, size_t len, uint8_t status, uint8_t *out,
                                  struct authd_licence_meta *before)
{
    authd_err err = authd_record_meta(k, id, id_len, record, len, before);
    if (err) return err;
    if (before->status == CERTLIB_STATUS_VALUE_REVOKED && status != CERTLIB_STATUS_VALUE_REVOKED)
        return AUTHD_E_CONFLICT;
    /* The status is outside the associated data: the same bytes with a new status and its MAC. */
    memcpy(out, record, len);
    out[1] = status;
    header_mac(k, id, id_len, out, out + HEADER_LEN);
    return AUTHD_OK;
}

authd_err authd_record_upgrade_v2(const struct authd_record_keys *k, const char *id, size_t id_len,
                                  const uint8_t *old, size_t old_len, uint8_t **sealed, size_t *sealed_len,
                                  uint64_t *log_index)
{
    if (sm4(k) || old_len < V2_HEADER_LEN + NONCE_LEN + TAG_LEN || old[0] != 2 ||
        id_len == 0 || /* v2 predates sm4 */
        id_len >= CERTLIB_LICENCE_ID_MAX)
        return AUTHD_E_CORRUPT;
    uint8_t *licence;
    size_t licence_len;
    authd_err err =
        decrypt(k, id, id_len, old, old_len, V2_HEADER_LEN, V2_HEADER_LEN, &licence, &licence_len);
    if (err) return err;
    struct authd_licence_meta meta;
    read_header(old, &meta);
    *log_index = (uint64_t)read_be32(old + HEADER_LEN) << 32 | read_be32(old + HEADER_LEN + 4);
    *sealed_len = authd_record_sealed_len(k, licence_len);
    if (!(*sealed = malloc(*sealed_len))) {
        err = AUTHD_E_NOMEM;
    } else {
        err = authd_record_seal(k, id, id_len, &meta, licence, licence_len, *sealed);
    }
    sodium_memzero(licence, licence_len); /* personal data */
    free(licence);
    return err;
}

void authd_record_list_key(const struct authd_record_keys *k, uint8_t out[32])
{
    memcpy(out, k->keys + KEY_LIST, 32);
}

void authd_record_nonce_mac(const struct authd_record_keys *k, const uint8_t *msg, size_t len,
                            uint8_t out[16])
{
    crypto_generichash(out, 16, msg, len, k->keys + KEY_NONCE, 32);
}

/* ---- sealed blobs ---- */

size_t authd_record_blob_len(const struct authd_record_keys *k, size_t plain_len)
{
    return 1 + (sm4(k) ? AUTHD_SM4_IV_LEN : NONCE_LEN) + plain_len + TAG_LEN;
}

authd_err authd_record_seal_blob(const struct authd_record_keys *k, const uint8_t *ad, size_t ad_len,
                                 const uint8_t *plain, size_t plain_len, uint8_t *out)
{
    size_t iv_len = sm4(k) ? AUTHD_SM4_IV_LEN : NONCE_LEN;
    uint8_t *iv = out + 1, *body = iv + iv_len;
    out[0] = version_of(k);
    randombytes_buf(iv, iv_len);
    if (sm4(k))
        return authd_sm4_ctr(k->sm4, iv, plain, plain_len, body) &&
                       sm_tag(k, ad, ad_len, iv, body, plain_len, body + plain_len)
                   ? AUTHD_OK
                   : AUTHD_E_INTERNAL;
    return authd_xchacha_seal(k->keys + KEY_ENC, iv, ad, ad_len, plain, plain_len, body);
}

authd_err authd_record_open_blob(const struct authd_record_keys *k, const uint8_t *ad, size_t ad_len,
                                 const uint8_t *blob, size_t len, uint8_t **plain, size_t *plain_len)
{
    size_t iv_len = sm4(k) ? AUTHD_SM4_IV_LEN : NONCE_LEN, at = 1 + iv_len;
    if (len < at + TAG_LEN || blob[0] != version_of(k)) return AUTHD_E_CORRUPT;
    size_t n = len - at - TAG_LEN;
    uint8_t *out = malloc(n + 1);
    if (!out) return AUTHD_E_NOMEM;
    authd_err err = AUTHD_OK;
    if (sm4(k))
        err = sm_decrypt(k, ad, ad_len, blob + 1, blob + at, len - at, out);
    else
        err = authd_xchacha_open(k->keys + KEY_ENC, blob + 1, ad, ad_len, blob + at, len - at, out);
    if (err) {
        sodium_memzero(out, n + 1);
        free(out);
        return err;
    }
    out[n] = 0; /* a text blob reads as a string */
    *plain = out;
    *plain_len = n;
    return AUTHD_OK;
}
