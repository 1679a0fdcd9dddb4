/* Certificate facts certlib checks against: key id, issuer USCC, validity window, key and role. */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "crypto/certinfo.h"
#include "base/timeutil.h"

#define MDOC_DS_EKU "1.0.18013.5.1.2" /* ISO/IEC 18013-5 Annex B: id-mdl-kp-mdlDS */

static void subject_text(X509_NAME *name, int nid, char *out, size_t cap)
{
    out[0] = '\0';
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0) return;
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
    if (n >= 0 && (size_t)n < cap && memchr(utf8, '\0', (size_t)n) == NULL) {
        memcpy(out, utf8, (size_t)n);
        out[n] = '\0';
    }
    OPENSSL_free(utf8);
}

bool certlib__x509_has_eku(X509 *x509, const char *oid)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x509, NID_ext_key_usage, NULL, NULL);
    if (!eku) return false;
    ASN1_OBJECT *want = OBJ_txt2obj(oid, 1);
    bool found = false;
    for (int i = 0; want && i < sk_ASN1_OBJECT_num(eku); i++)
        if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0) found = true;
    ASN1_OBJECT_free(want);
    EXTENDED_KEY_USAGE_free(eku);
    return found;
}

certlib_err certlib__certinfo_from_x509(X509 *x509, certlib__certinfo *out)
{
    memset(out, 0, sizeof(*out));
    out->x509 = x509;
    certlib_err err = certlib__x509_set_sm2_id(x509);
    if (err) goto fail;

    unsigned char *der = NULL;
    int der_len = i2d_X509(x509, &der);
    if (der_len <= 0) {
        err = CERTLIB_E_CERTIFICATE;
        goto fail;
    }
    certlib__sha256(der, (size_t)der_len, out->fingerprint);
    OPENSSL_free(der);
    memcpy(out->kid, out->fingerprint, CERTLIB_KID_LEN);

    X509_NAME *subject = X509_get_subject_name(x509);
    char org_id[64];
    subject_text(subject, NID_organizationIdentifier, org_id, sizeof(org_id));
    /* ETSI EN 319 412-1 §5.1.4: legal person semantics identifier "NTR" + country + "-" + number. */
    if (strncmp(org_id, "NTRCN-", 6) == 0 && strlen(org_id + 6) == 18)
        memcpy(out->issuer_code, org_id + 6, 19);
    subject_text(subject, NID_organizationName, out->org_name, sizeof(out->org_name));

    if ((err = certlib__x509_window(x509, &out->not_before, &out->not_after))) goto fail;
    out->is_ca = X509_check_ca(x509) != 0;
    out->mdoc_ds = certlib__x509_has_eku(x509, MDOC_DS_EKU);
    /* X509_get_key_usage answers "everything" when the extension is absent: ask for it explicitly. */
    out->signs =
        (X509_get_extension_flags(x509) & EXFLAG_KUSAGE) && (X509_get_key_usage(x509) & KU_DIGITAL_SIGNATURE);

    EVP_PKEY *pkey = X509_get0_pubkey(x509);
    if (!pkey) {
        err = CERTLIB_E_CERTIFICATE;
        goto fail;
    }
    if ((err = certlib__pubkey_from_pkey(pkey, &out->key))) goto fail;
    return CERTLIB_OK;
fail:
    certlib__certinfo_clear(out);
    return err;
}

certlib_err certlib__certinfo_parse(const uint8_t *bytes, size_t len, certlib__certinfo *out)
{
    memset(out, 0, sizeof(*out));
    if (len == 0 || len > 64 * 1024) return CERTLIB_E_CERTIFICATE;
    X509 *x509 = NULL;
    if (len >= 10 && memcmp(bytes, "-----BEGIN", 10) == 0) {
        BIO *bio = BIO_new_mem_buf(bytes, (int)len);
        if (!bio) return CERTLIB_E_NOMEM;
        x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
    } else {
        const unsigned char *p = bytes;
        x509 = d2i_X509(NULL, &p, (long)len);
        if (x509 && p != bytes + len) { /* trailing bytes after the certificate */
            X509_free(x509);
            x509 = NULL;
        }
    }
    if (!x509) return CERTLIB_E_CERTIFICATE;
    return certlib__certinfo_from_x509(x509, out);
}

void certlib__certinfo_clear(certlib__certinfo *info)
{
    X509_free(info->x509);
    certlib__pubkey_clear(&info->key);
    memset(info, 0, sizeof(*info));
}

certlib_err certlib__x509_window(const X509 *x509, int64_t *not_before, int64_t *not_after)
{
    certlib_err err = certlib__asn1_time(X509_get0_notBefore(x509), not_before);
    return err ? err : certlib__asn1_time(X509_get0_notAfter(x509), not_after);
}
