/* Sealed licence records (record.h): header, MAC and AEAD with libsodium. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/licence_id.h"
#include "certlib/status.h"
#include "record.h"

#define RECORD_VERSION 3
#define HEADER_LEN (2 + 4 + 4 + 8 + AUTHD_TYPE_CODE_LEN + AUTHD_ISSUER_CODE_LEN) /* 57 */
#define MAC_LEN 16
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define NONCE_AT (HEADER_LEN + MAC_LEN)
#define BODY_AT (NONCE_AT + NONCE_LEN)

#define V2_HEADER_LEN (HEADER_LEN + 8) /* schema 2: the log index closed the header */

struct authd_record_keys {
    uint8_t *keys; /* sodium_malloc, read-only: encryption, holder index, header MAC */
};
#define KEY_ENC 0
#define KEY_INDEX 32
#define KEY_MAC 64
#define KEY_LIST 96
#define KEY_NONCE 128
#define KEYS_LEN 160

static void be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24), out[1] = (uint8_t)(v >> 16), out[2] = (uint8_t)(v >> 8), out[3] = (uint8_t)v;
}

static uint32_t read_be32(const uint8_t in[4])
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

/* The data key file holds 64 hex digits; the working keys are derived from it (libsodium KDF), so each
 * is independent of the others. */
authd_err authd_record_keys_load(const char *path, struct authd_record_keys **out, char *err, size_t err_cap)
{
    *out = NULL;
    if (sodium_init() < 0) return snprintf(err, err_cap, "libsodium failed to initialise"), AUTHD_E_INTERNAL;
    FILE *f = fopen(path, "r");
    if (!f) return snprintf(err, err_cap, "data key %s: %s", path, strerror(errno)), AUTHD_E_CONFIG;
    char hex[80] = {0};
    size_t n = fread(hex, 1, sizeof(hex) - 1, f);
    fclose(f);
    while (n && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
        n--;
    struct authd_record_keys *k = calloc(1, sizeof(*k));
    uint8_t *master = sodium_malloc(32);
    size_t bin_len = 0;
    authd_err rc = AUTHD_E_CONFIG;
    if (!k || !master || !(k->keys = sodium_malloc(KEYS_LEN))) {
        snprintf(err, err_cap, "data key: out of protected memory");
        rc = AUTHD_E_NOMEM;
    } else if (n != 64 || sodium_hex2bin(master, 32, hex, n, NULL, &bin_len, NULL) != 0 || bin_len != 32) {
        snprintf(err, err_cap, "data key %s: expected 64 hexadecimal digits", path);
    } else if (crypto_kdf_derive_from_key(k->keys + KEY_ENC, 32, 1, "authdenc", master) != 0 ||
               crypto_kdf_derive_from_key(k->keys + KEY_INDEX, 32, 2, "authdidx", master) != 0 ||
               crypto_kdf_derive_from_key(k->keys + KEY_MAC, 32, 3, "authdmac", master) != 0 ||
               crypto_kdf_derive_from_key(k->keys + KEY_LIST, 32, 4, "authdlst", master) != 0 ||
               crypto_kdf_derive_from_key(k->keys + KEY_NONCE, 32, 5, "authdnce", master) != 0) {
        snprintf(err, err_cap, "data key: derivation failed");
        rc = AUTHD_E_INTERNAL;
    } else {
        rc = AUTHD_OK;
    }
    sodium_memzero(hex, sizeof(hex));
    if (master) sodium_free(master);
    if (rc) {
        authd_record_keys_free(k);
        return rc;
    }
    sodium_mprotect_readonly(k->keys);
    *out = k;
    return AUTHD_OK;
}

void authd_record_keys_free(struct authd_record_keys *k)
{
    if (!k) return;
    if (k->keys) sodium_free(k->keys); /* wipes */
    free(k);
}

void authd_record_holder_key(const struct authd_record_keys *k, const char *holder_id, size_t len,
                             uint8_t out[AUTHD_HOLDER_KEY_LEN])
{
    crypto_generichash(out, AUTHD_HOLDER_KEY_LEN, (const uint8_t *)holder_id, len, k->keys + KEY_INDEX, 32);
}

size_t authd_record_sealed_len(size_t licence_len)
{
    return BODY_AT + licence_len + TAG_LEN;
}

static void write_header(uint8_t *h, const struct authd_licence_meta *m)
{
    h[0] = RECORD_VERSION;
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

/* The header MAC: keyed BLAKE2b-128 over the id's length, the id and the header. */
static void header_mac(const struct authd_record_keys *k, const char *id, size_t id_len,
                       const uint8_t *header, uint8_t out[MAC_LEN])
{
    crypto_generichash_state st;
    uint8_t n = (uint8_t)id_len; /* ids are shorter than CERTLIB_LICENCE_ID_MAX < 256 */
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

void authd_record_seal(const struct authd_record_keys *k, const char *id, size_t id_len,
                       const struct authd_licence_meta *meta, const uint8_t *licence, size_t licence_len,
                       uint8_t *out)
{
    uint8_t ad[CERTLIB_LICENCE_ID_MAX + V2_HEADER_LEN];
    write_header(out, meta);
    header_mac(k, id, id_len, out, out + HEADER_LEN);
    randombytes_buf(out + NONCE_AT, NONCE_LEN);
    size_t ad_len = make_ad(ad, id, id_len, out, HEADER_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + BODY_AT, NULL, licence, licence_len, ad, ad_len, NULL,
                                               out + NONCE_AT, k->keys + KEY_ENC);
}

authd_err authd_record_meta(const struct authd_record_keys *k, const char *id, size_t id_len,
                            const uint8_t *record, size_t len, struct authd_licence_meta *meta)
{
    uint8_t mac[MAC_LEN];
    if (len < BODY_AT + TAG_LEN || record[0] != RECORD_VERSION || id_len == 0 ||
        id_len >= CERTLIB_LICENCE_ID_MAX)
        return AUTHD_E_CORRUPT;
    header_mac(k, id, id_len, record, mac);
    if (sodium_memcmp(mac, record + HEADER_LEN, MAC_LEN) != 0) return AUTHD_E_CORRUPT;
    read_header(record, meta);
    return AUTHD_OK;
}

/* Decrypts the body behind `header_len` header bytes (and a MAC in this format). */
static authd_err decrypt(const struct authd_record_keys *k, const char *id, size_t id_len,
                         const uint8_t *record, size_t len, size_t header_len, size_t nonce_at,
                         uint8_t **licence, size_t *licence_len)
{
    size_t body_at = nonce_at + NONCE_LEN;
    if (len < body_at + TAG_LEN) return AUTHD_E_CORRUPT;
    uint8_t ad[CERTLIB_LICENCE_ID_MAX + V2_HEADER_LEN];
    size_t ad_len = make_ad(ad, id, id_len, record, header_len);
    unsigned long long mlen;
    uint8_t *plain = malloc(len - body_at);
    if (!plain) return AUTHD_E_NOMEM;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &mlen, NULL, record + body_at, len - body_at, ad,
                                                   ad_len, record + nonce_at, k->keys + KEY_ENC) != 0) {
        free(plain);
        return AUTHD_E_CORRUPT; /* tampered, or another data key */
    }
    *licence = plain;
    *licence_len = (size_t)mlen;
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
    if (old_len < V2_HEADER_LEN + NONCE_LEN + TAG_LEN || old[0] != 2 || id_len == 0 ||
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
    *sealed_len = authd_record_sealed_len(licence_len);
    if (!(*sealed = malloc(*sealed_len))) {
        err = AUTHD_E_NOMEM;
    } else {
        authd_record_seal(k, id, id_len, &meta, licence, licence_len, *sealed);
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
