/* Holder device keys as COSE_Key: parsing, and encoding from PEM. */
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_read.h"
#include "cbor/cbor_write.h"
#include "certlib/licence.h"
#include "cose/cose_key.h"

enum { KTY_OKP = 1, KTY_EC2 = 2, CRV_P256 = 1, CRV_ED25519 = 6 };
enum { LABEL_KTY = 1, LABEL_CRV = -1, LABEL_X = -2, LABEL_Y = -3, LABEL_D = -4 };

certlib_err certlib__cose_key_parse(certlib_slice bytes, certlib__cose_key *out)
{
    memset(out, 0, sizeof(*out));
    cbr r;
    cbr_init(&r, bytes.ptr, bytes.len);
    uint64_t n;
    if (!bytes.ptr || certlib__cbr_map(&r, &n) || n > 8) return CERTLIB_E_KEY;
    certlib_slice keys[8];
    int64_t kty = 0, crv = 0;
    for (uint64_t i = 0; i < n; i++) {
        int64_t label;
        const uint8_t *key_start = r.p;
        if (certlib__cbr_int(&r, &label)) return CERTLIB_E_KEY;
        keys[i] = (certlib_slice){key_start, (size_t)(r.p - key_start)};
        certlib_err err;
        switch (label) {
        case LABEL_KTY:
            err = certlib__cbr_int(&r, &kty);
            break;
        case LABEL_CRV:
            err = certlib__cbr_int(&r, &crv);
            break;
        case LABEL_X:
            err = certlib__cbr_bstr(&r, &out->x);
            break;
        case LABEL_Y:
            err = certlib__cbr_bstr(&r, &out->y);
            break;
        case LABEL_D:
            return CERTLIB_E_KEY; /* a private key has no business in a licence */
        default:
            err = certlib__cbr_skip(&r, 1);
            break;
        }
        if (err) return CERTLIB_E_KEY;
    }
    if (certlib__cbr_unique_keys(keys, (size_t)n) || cbr_done(&r)) return CERTLIB_E_KEY;
    if (kty == KTY_OKP && crv == CRV_ED25519 && out->x.len == 32 && !out->y.ptr) {
        out->alg = CERTLIB_ALG_EDDSA;
        return CERTLIB_OK;
    }
    if (kty == KTY_EC2 && crv == CRV_P256 && out->x.len == 32 && out->y.len == 32) {
        out->alg = CERTLIB_ALG_ES256;
        return CERTLIB_OK;
    }
    return CERTLIB_E_KEY;
}

certlib_err certlib_cose_key_from_pem(certlib_slice pem, uint8_t **out, size_t *out_len)
{
    if (!pem.ptr || !out || !out_len || pem.len > 64 * 1024) return CERTLIB_E_INVALID_ARGUMENT;
    BIO *bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    if (!bio) return CERTLIB_E_NOMEM;
    EVP_PKEY *pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!pkey) return CERTLIB_E_KEY;
    certlib_alg alg = certlib__alg_of_pkey(pkey);
    cbw w = {0};
    certlib_err err = CERTLIB_OK;
    if (alg == CERTLIB_ALG_EDDSA) {
        uint8_t x[32];
        size_t n = sizeof(x);
        if (EVP_PKEY_get_raw_public_key(pkey, x, &n) != 1 || n != 32) {
            err = CERTLIB_E_KEY;
        } else {
            certlib__cbw_map(&w, 3);
            certlib__cbw_int(&w, LABEL_KTY), certlib__cbw_int(&w, KTY_OKP);
            certlib__cbw_int(&w, LABEL_CRV), certlib__cbw_int(&w, CRV_ED25519);
            certlib__cbw_int(&w, LABEL_X), certlib__cbw_bstr(&w, x, 32);
        }
    } else if (alg == CERTLIB_ALG_ES256) {
        uint8_t point[65];
        size_t n = 0;
        if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &n) != 1 ||
            n != 65 || point[0] != 0x04) {
            err = CERTLIB_E_KEY;
        } else {
            certlib__cbw_map(&w, 4);
            certlib__cbw_int(&w, LABEL_KTY), certlib__cbw_int(&w, KTY_EC2);
            certlib__cbw_int(&w, LABEL_CRV), certlib__cbw_int(&w, CRV_P256);
            certlib__cbw_int(&w, LABEL_X), certlib__cbw_bstr(&w, point + 1, 32);
            certlib__cbw_int(&w, LABEL_Y), certlib__cbw_bstr(&w, point + 33, 32);
        }
    } else {
        err = CERTLIB_E_KEY; /* device keys are P-256 or Ed25519: what phone secure elements offer */
    }
    EVP_PKEY_free(pkey);
    if (!err) err = cbw_status(&w);
    if (err) {
        certlib__cbw_free(&w);
        return err;
    }
    *out = certlib__cbw_take(&w, out_len);
    return CERTLIB_OK;
}

certlib_err certlib__cose_key_pubkey(const certlib__cose_key *key, certlib__pubkey *out)
{
    memset(out, 0, sizeof(*out));
    if (key->alg == CERTLIB_ALG_EDDSA) { /* libsodium verifies with the raw key: no EVP_PKEY needed */
        if (key->x.len != sizeof(out->ed25519)) return CERTLIB_E_KEY;
        out->alg = CERTLIB_ALG_EDDSA;
        memcpy(out->ed25519, key->x.ptr, sizeof(out->ed25519));
        return CERTLIB_OK;
    }
    if (key->alg != CERTLIB_ALG_ES256) return CERTLIB_E_KEY;
    uint8_t point[65];
    point[0] = 0x04;
    memcpy(point + 1, key->x.ptr, 32);
    memcpy(point + 33, key->y.ptr, 32);
    EVP_PKEY *pkey;
    certlib_err err = certlib__p256_pubkey(point, &pkey);
    if (err) return err;
    out->alg = CERTLIB_ALG_ES256;
    out->pkey = pkey;
    return CERTLIB_OK;
}
