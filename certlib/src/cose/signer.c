/* Signing keys paired with their certificates. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/signer.h"
#include "base/fileio.h"
#include "cose/signer_internal.h"

#define MAX_PEM_BYTES (64 * 1024)

/* The certificate's DER, kept for x5chain. */
static certlib_err keep_der(certlib_signer *s)
{
    unsigned char *der = NULL;
    int n = i2d_X509(s->cert.x509, &der);
    if (n <= 0) return CERTLIB_E_CERTIFICATE;
    s->cert_der = der;
    s->cert_der_len = (size_t)n;
    return CERTLIB_OK;
}

certlib_err certlib_signer_new(certlib_slice key_pem, certlib_slice cert_pem, certlib_signer **out)
{
    if (!out || !key_pem.ptr || !cert_pem.ptr) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    if (sodium_init() < 0) return CERTLIB_E_INTERNAL;
    certlib_signer *s = calloc(1, sizeof(*s));
    if (!s) return CERTLIB_E_NOMEM;
    certlib_err err = certlib__certinfo_parse(cert_pem.ptr, cert_pem.len, &s->cert);
    if (!err) err = certlib__privkey_from_pem(key_pem.ptr, key_pem.len, &s->key);
    if (!err && (s->key.alg != s->cert.key.alg || X509_check_private_key(s->cert.x509, s->key.pkey) != 1))
        err = CERTLIB_E_KEY;
    if (!err) err = keep_der(s);
    if (err) {
        certlib_signer_free(s);
        return err;
    }
    *out = s;
    return CERTLIB_OK;
}

certlib_err certlib_signer_new_external(certlib_slice cert_pem, certlib_sign_fn sign, void *ctx,
                                        certlib_signer **out)
{
    static const uint8_t probe[] = "certlib: does this device hold the certificate's key?";
    if (!out || !cert_pem.ptr || !sign) return CERTLIB_E_INVALID_ARGUMENT;
    *out = NULL;
    if (sodium_init() < 0) return CERTLIB_E_INTERNAL;
    certlib_signer *s = calloc(1, sizeof(*s));
    if (!s) return CERTLIB_E_NOMEM;
    certlib_err err = certlib__certinfo_parse(cert_pem.ptr, cert_pem.len, &s->cert);
    if (!err) {
        s->key = (certlib__privkey){.alg = s->cert.key.alg, .external = sign, .external_ctx = ctx};
        err = s->key.alg == CERTLIB_ALG_NONE ? CERTLIB_E_UNSUPPORTED_ALG : CERTLIB_OK;
    }
    uint8_t sig[CERTLIB_SIG_LEN];
    if (!err) err = certlib__sign(&s->key, probe, sizeof(probe) - 1, sig);
    if (!err && certlib__verify(&s->cert.key, probe, sizeof(probe) - 1, sig, sizeof(sig)) != CERTLIB_OK)
        err = CERTLIB_E_KEY;
    if (!err) err = keep_der(s);
    if (err) {
        certlib_signer_free(s);
        return err;
    }
    *out = s;
    return CERTLIB_OK;
}

certlib_err certlib_signer_load(const char *key_path, const char *cert_path, certlib_signer **out)
{
    if (!key_path || !cert_path || !out) return CERTLIB_E_INVALID_ARGUMENT;
    uint8_t *key = NULL, *cert = NULL;
    size_t key_len = 0, cert_len = 0;
    certlib_err err = certlib__read_file(key_path, MAX_PEM_BYTES, &key, &key_len);
    if (!err) err = certlib__read_file(cert_path, MAX_PEM_BYTES, &cert, &cert_len);
    if (!err) err = certlib_signer_new((certlib_slice){key, key_len}, (certlib_slice){cert, cert_len}, out);
    if (key) {
        sodium_memzero(key, key_len);
        free(key);
    }
    free(cert);
    return err;
}

void certlib_signer_free(certlib_signer *signer)
{
    if (!signer) return;
    certlib__privkey_clear(&signer->key);
    certlib__certinfo_clear(&signer->cert);
    OPENSSL_free(signer->cert_der);
    free(signer);
}

certlib_alg certlib_signer_alg(const certlib_signer *signer)
{
    return signer->key.alg;
}
const char *certlib_signer_issuer_code(const certlib_signer *signer)
{
    return signer->cert.issuer_code;
}
const char *certlib_signer_org_name(const certlib_signer *signer)
{
    return signer->cert.org_name;
}
void certlib_signer_kid(const certlib_signer *signer, uint8_t kid[8])
{
    memcpy(kid, signer->cert.kid, 8);
}
