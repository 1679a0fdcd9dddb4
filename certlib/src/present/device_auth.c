/* The session transcript and device signature of this profile's presentations (docs/formats.md): no
 * device or reader engagement (a QR code goes one way), so both are null and the handover names the
 * counter and its nonce. */
#include <string.h>

#include "cose/cose_key.h"
#include "present/device_auth.h"

static const uint8_t empty_map = 0xa0;

static void handover_of(cbw *w, const char *label, const char *party, const uint8_t *nonce, size_t nonce_len)
{
    certlib__cbw_array(w, 3);
    certlib__cbw_tstr(w, label);
    certlib__cbw_tstr(w, party);
    certlib__cbw_bstr(w, nonce, nonce_len);
}

void certlib__handover(cbw *w, const certlib_challenge *c)
{
    handover_of(w, CERTLIB__HANDOVER, c->counter_id, c->nonce, CERTLIB_NONCE_LEN);
}

void certlib__device_auth_bytes(cbw *out, const certlib_challenge *c)
{
    certlib__device_auth_bytes_for(out, CERTLIB__HANDOVER, c->counter_id, c->nonce, CERTLIB_NONCE_LEN);
}

void certlib__device_auth_bytes_for(cbw *out, const char *label, const char *party, const uint8_t *nonce,
                                    size_t nonce_len)
{
    cbw inner = {0}, ns = {0};
    certlib__cbw_raw(&ns, &empty_map, 1);
    certlib__cbw_array(&inner, 4);
    certlib__cbw_tstr(&inner, "DeviceAuthentication");
    certlib__cbw_array(&inner, 3); /* SessionTranscript: no device engagement, no reader key */
    certlib__cbw_raw(&inner, "\xf6\xf6", 2);
    handover_of(&inner, label, party, nonce, nonce_len);
    certlib__cbw_tstr(&inner, CERTLIB_DOCTYPE);
    certlib__cbw_embedded(&inner, &ns);
    certlib__cbw_embedded(out, &inner);
    if (inner.oom || ns.oom) out->oom = true;
    certlib__cbw_free(&inner);
    certlib__cbw_free(&ns);
}

certlib_err certlib__holder_check(const struct certlib__holder_proof *p, certlib_slice device_key)
{
    const certlib_challenge *want = p->expected;
    /* The echo only names what went wrong; without one (a standard DeviceResponse) the signature over
     * the counter's own transcript decides alone. */
    if (p->has_echo && (p->echo_counter.len != strlen(want->counter_id) ||
                        memcmp(p->echo_counter.ptr, want->counter_id, p->echo_counter.len) != 0))
        return CERTLIB_E_CHALLENGE_COUNTER;
    if (p->has_echo && (p->echo_nonce.len != CERTLIB_NONCE_LEN ||
                        memcmp(p->echo_nonce.ptr, want->nonce, CERTLIB_NONCE_LEN) != 0))
        return CERTLIB_E_CHALLENGE_NONCE;
    if (!p->has_signature) return CERTLIB_E_DEVICE_SIGNATURE_MISSING;
    certlib__cose_key key;
    certlib__pubkey pub;
    certlib_err err = certlib__cose_key_parse(device_key, &key);
    if (!err) err = certlib__cose_key_pubkey(&key, &pub);
    if (err) return err;
    cbw payload = {0};
    certlib__device_auth_bytes(&payload, want); /* built from what the counter expects, never the echo */
    err = cbw_status(&payload);
    if (!err) err = certlib__sign1_verify_detached(&p->signature, &pub, payload.buf, payload.len);
    if (err && err != CERTLIB_E_NOMEM) err = CERTLIB_E_DEVICE_SIGNATURE;
    certlib__cbw_free(&payload);
    certlib__pubkey_clear(&pub);
    return err;
}

certlib_err certlib__device_key_load(certlib_slice pem, certlib__privkey *out)
{
    certlib_err err = certlib__privkey_from_pem(pem.ptr, pem.len, out);
    if (err) return err;
    if (out->alg != CERTLIB_ALG_ES256 && out->alg != CERTLIB_ALG_EDDSA) {
        certlib__privkey_clear(out);
        return CERTLIB_E_KEY;
    }
    return CERTLIB_OK;
}
