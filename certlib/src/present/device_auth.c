/* The session transcripts and device signatures of this profile's presentations (docs/formats.md).
 * Presentations use OpenID4VP 1.0's (Appendix B.2.6.1, as ISO/IEC 18013-7 does): no device or reader
 * engagement, and the OpenID4VPHandover binding the verifier's client id, its nonce and the URI the
 * response goes to. The counter's offline challenge is mapped onto the same form, so any ISO 18013-7
 * verifier checks an offline answer from the challenge alone. A holder's own requests keep a handover of
 * their own, [label, licence id, nonce], so no presentation ever passes for one. */
#include <sodium.h>
#include <string.h>

#include "cose/cose_key.h"
#include "crypto/crypto.h"
#include "present/device_auth.h"

static const uint8_t empty_map = 0xa0;

/* DeviceAuthenticationBytes = #6.24(bstr .cbor ["DeviceAuthentication", [null, null, handover], docType,
 * #6.24(bstr .cbor {})]), with the handover already encoded. */
static void device_auth_bytes(cbw *out, const uint8_t *handover, size_t handover_len)
{
    cbw inner = {0};
    certlib__cbw_array(&inner, 4);
    certlib__cbw_tstr(&inner, "DeviceAuthentication");
    certlib__cbw_array(&inner, 3);
    certlib__cbw_raw(&inner, "\xf6\xf6", 2);
    certlib__cbw_raw(&inner, handover, handover_len);
    certlib__cbw_tstr(&inner, CERTLIB_DOCTYPE);
    cbw ns = {0};
    certlib__cbw_raw(&ns, &empty_map, 1);
    certlib__cbw_embedded(&inner, &ns);
    certlib__cbw_embedded(out, &inner);
    if (inner.oom || ns.oom) out->oom = true;
    certlib__cbw_free(&inner);
    certlib__cbw_free(&ns);
}

void certlib__oid4vp_handover(cbw *w, const certlib_oid4vp_session *s)
{
    cbw info = {0};
    certlib__cbw_array(&info, 4);
    certlib__cbw_tstr(&info, s->client_id);
    certlib__cbw_tstr(&info, s->nonce);
    if (s->jwk_thumbprint)
        certlib__cbw_bstr(&info, s->jwk_thumbprint, 32);
    else
        certlib__cbw_raw(&info, "\xf6", 1);
    certlib__cbw_tstr(&info, s->response_uri);
    uint8_t hash[32];
    certlib__sha256(info.buf, info.len, hash);
    if (info.oom) w->oom = true;
    certlib__cbw_free(&info);
    certlib__cbw_array(w, 2);
    certlib__cbw_tstr(w, "OpenID4VPHandover");
    certlib__cbw_bstr(w, hash, sizeof(hash));
}

void certlib__device_auth_bytes(cbw *out, const certlib_oid4vp_session *s)
{
    cbw handover = {0};
    certlib__oid4vp_handover(&handover, s);
    device_auth_bytes(out, handover.buf, handover.len);
    if (handover.oom) out->oom = true;
    certlib__cbw_free(&handover);
}

void certlib__device_auth_bytes_for(cbw *out, const char *label, const char *party, const uint8_t *nonce,
                                    size_t nonce_len)
{
    cbw handover = {0};
    certlib__cbw_array(&handover, 3);
    certlib__cbw_tstr(&handover, label);
    certlib__cbw_tstr(&handover, party);
    certlib__cbw_bstr(&handover, nonce, nonce_len);
    device_auth_bytes(out, handover.buf, handover.len);
    if (handover.oom) out->oom = true;
    certlib__cbw_free(&handover);
}

void certlib__challenge_session(const certlib_challenge *c, struct certlib__challenge_session *out)
{
    sodium_bin2base64(out->nonce, sizeof(out->nonce), c->nonce, CERTLIB_NONCE_LEN,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out->session = (certlib_oid4vp_session){
        .client_id = c->counter_id, .nonce = out->nonce, .response_uri = CERTLIB_OFFLINE_RESPONSE_URI};
}

void certlib__challenge_echo(cbw *w, const certlib_challenge *c)
{
    certlib__cbw_array(w, 3);
    certlib__cbw_tstr(w, CERTLIB__ECHO_LABEL);
    certlib__cbw_tstr(w, c->counter_id);
    certlib__cbw_bstr(w, c->nonce, CERTLIB_NONCE_LEN);
}

certlib_err certlib__holder_check(const struct certlib__holder_proof *p, certlib_slice device_key)
{
    const certlib_challenge *want = p->expected;
    /* The echo only names what went wrong; without one (a standard DeviceResponse) the signature over
     * the verifier's own transcript decides alone. */
    if (want && p->has_echo &&
        (p->echo_counter.len != strlen(want->counter_id) ||
         memcmp(p->echo_counter.ptr, want->counter_id, p->echo_counter.len) != 0))
        return CERTLIB_E_CHALLENGE_COUNTER;
    if (want && p->has_echo &&
        (p->echo_nonce.len != CERTLIB_NONCE_LEN ||
         memcmp(p->echo_nonce.ptr, want->nonce, CERTLIB_NONCE_LEN) != 0))
        return CERTLIB_E_CHALLENGE_NONCE;
    if (!p->has_signature) return CERTLIB_E_DEVICE_SIGNATURE_MISSING;
    certlib__cose_key key;
    certlib__pubkey pub;
    certlib_err err = certlib__cose_key_parse(device_key, &key);
    if (!err) err = certlib__cose_key_pubkey(&key, &pub);
    if (err) return err;
    cbw payload = {0};
    certlib__device_auth_bytes(&payload, p->session); /* the verifier's session, never the echo */
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
