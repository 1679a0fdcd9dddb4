/* A holder's own requests (present.h): the device signature over the holder-request handover, made by
 * the app and checked by the service against the licence it holds. */
#include <string.h>

#include "cbor/cbor_read.h"
#include "cose/cose_key.h"
#include "licence/licence_parse.h"
#include "present/device_auth.h"

static bool arguments_ok(const char *licence_id, const uint8_t *nonce, size_t nonce_len)
{
    return licence_id && *licence_id && strlen(licence_id) <= CERTLIB_LICENCE_ID_MAX && nonce && nonce_len &&
           nonce_len <= CERTLIB_HOLDER_NONCE_MAX;
}

certlib_err certlib_holder_request_sign(const char *licence_id, const uint8_t *nonce, size_t nonce_len,
                                        certlib_slice device_key_pem, uint8_t **out, size_t *out_len)
{
    if (!arguments_ok(licence_id, nonce, nonce_len) || !device_key_pem.ptr || !out || !out_len)
        return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    certlib__privkey key;
    certlib_err err = certlib__device_key_load(device_key_pem, &key);
    if (err) return err;
    cbw auth = {0}, w = {0};
    certlib__device_auth_bytes_for(&auth, CERTLIB_HOLDER_REQUEST_HANDOVER, licence_id, nonce, nonce_len);
    err = cbw_status(&auth);
    if (!err) err = certlib__sign1_encode_detached(&w, &key, auth.buf, auth.len);
    if (!err) err = cbw_status(&w);
    if (!err) *out = certlib__cbw_take(&w, out_len);
    certlib__cbw_free(&w);
    certlib__cbw_free(&auth);
    certlib__privkey_clear(&key);
    return err;
}

certlib_err certlib_holder_request_verify(const uint8_t *licence, size_t len, const char *licence_id,
                                          const uint8_t *nonce, size_t nonce_len, const uint8_t *proof,
                                          size_t proof_len)
{
    if (!licence || !arguments_ok(licence_id, nonce, nonce_len) || !proof) return CERTLIB_E_INVALID_ARGUMENT;
    certlib__licence lic;
    certlib_err err = certlib__licence_parse(licence, len, &lic);
    if (err) return err;
    certlib_slice device_key = lic.mso.device_key;
    if (device_key.len == certlib__unbound_device_key_len &&
        memcmp(device_key.ptr, certlib__unbound_device_key, device_key.len) == 0) {
        certlib__licence_clear(&lic);
        return CERTLIB_E_NOT_HOLDER_BOUND;
    }
    certlib__sign1 signature;
    cbr r;
    cbr_init(&r, proof, proof_len);
    if (certlib__sign1_decode(&r, &signature) != CERTLIB_OK || cbr_done(&r) != CERTLIB_OK) {
        certlib__licence_clear(&lic);
        return CERTLIB_E_DEVICE_SIGNATURE;
    }
    certlib__cose_key key;
    certlib__pubkey pub;
    err = certlib__cose_key_parse(device_key, &key);
    if (!err) err = certlib__cose_key_pubkey(&key, &pub);
    certlib__licence_clear(&lic); /* the key is parsed out; the slices are not used past here */
    if (err) return err;
    cbw payload = {0};
    certlib__device_auth_bytes_for(&payload, CERTLIB_HOLDER_REQUEST_HANDOVER, licence_id, nonce, nonce_len);
    err = cbw_status(&payload);
    if (!err) err = certlib__sign1_verify_detached(&signature, &pub, payload.buf, payload.len);
    if (err && err != CERTLIB_E_NOMEM) err = CERTLIB_E_DEVICE_SIGNATURE;
    certlib__cbw_free(&payload);
    certlib__pubkey_clear(&pub);
    return err;
}
