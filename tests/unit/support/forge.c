/* The licence forger (forge.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_write.h"
#include "cose/cose.h"
#include "fixtures.h"
#include "forge.h"
#include "licence/licence_parse.h"
#include "cose/signer_internal.h"
#include "base/timeutil.h"

static char forged_id[CERTLIB_LICENCE_ID_MAX];

void forge_defaults(struct forge *f, certlib_signer *signer)
{
    memset(f, 0, sizeof(*f));
    f->signer = signer;
    f->signed_at = FIXTURE_SIGNED;
    f->valid_from = FIXTURE_SIGNED;
    f->valid_until = FIXTURE_SIGNED + 365 * 86400;
    assert_int_equal(certlib_licence_id_make(FIXTURE_TYPE, certlib_signer_issuer_code(signer), "FORGED1", 1,
                                             forged_id, sizeof(forged_id)),
                     CERTLIB_OK);
    const char *meta[][2] = {{"licence_id", forged_id},
                             {"licence_type_code", FIXTURE_TYPE},
                             {"holder_name", "张三"},
                             {"holder_id", "11010519491231002X"},
                             {"issuer_code", certlib_signer_issuer_code(signer)}};
    for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
        f->items[f->n_items++] =
            (struct forge_item){.digest_id = i + 10, .identifier = meta[i][0], .text = meta[i][1]};
}

struct forge_item *forge_find(struct forge *f, const char *identifier)
{
    for (size_t i = 0; i < f->n_items; i++)
        if (strcmp(f->items[i].identifier, identifier) == 0) return &f->items[i];
    fail_msg("no forged item %s", identifier);
    return NULL;
}

static const char *ns_of(const struct forge_item *it)
{
    return it->ns ? it->ns : CERTLIB_NS_META;
}

static void tdate(cbw *w, int64_t t)
{
    char s[21];
    certlib__tdate_format(t, s);
    certlib__cbw_tag(w, 0);
    certlib__cbw_tstr(w, s);
}

uint8_t *forge_licence(const struct forge *f, size_t *len)
{
    size_t n = f->n_items + f->extra_namespaces;
    cbw encoded[FORGE_MAX_ITEMS + 16] = {{0}};
    struct forge_item all[FORGE_MAX_ITEMS + 16];
    char extra_ns[16][32];
    memcpy(all, f->items, f->n_items * sizeof(all[0]));
    for (size_t k = 0; k < f->extra_namespaces; k++) {
        snprintf(extra_ns[k], sizeof(extra_ns[k]), "extra.%zu", k);
        all[f->n_items + k] =
            (struct forge_item){.ns = extra_ns[k], .digest_id = 100 + k, .identifier = "x", .text = "y"};
    }
    for (size_t i = 0; i < n; i++) {
        cbw inner = {0};
        uint8_t random[64] = {0};
        certlib__cbw_map(&inner, 4);
        certlib__cbw_tstr(&inner, "digestID");
        certlib__cbw_uint(&inner, all[i].digest_id);
        certlib__cbw_tstr(&inner, "random");
        certlib__cbw_bstr(&inner, random, all[i].random_len ? all[i].random_len : 16);
        certlib__cbw_tstr(&inner, "elementIdentifier");
        certlib__cbw_tstrn(&inner, all[i].identifier,
                           all[i].identifier_len ? all[i].identifier_len : strlen(all[i].identifier));
        certlib__cbw_tstr(&inner, "elementValue");
        certlib__cbw_tstr(&inner, all[i].text);
        certlib__cbw_embedded(&encoded[i], &inner);
        certlib__cbw_free(&inner);
    }
    /* Namespaces in first-appearance order. */
    const char *names[32];
    size_t n_names = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < n_names && strcmp(names[k], ns_of(&all[i])) != 0)
            k++;
        if (k == n_names) names[n_names++] = ns_of(&all[i]);
    }
    bool sm3 = f->digest_alg && strcmp(f->digest_alg, "SM3") == 0;
    cbw mso = {0}, payload = {0}, prot = {0}, out = {0};
    certlib__cbw_map(&mso, 6);
    certlib__cbw_tstr(&mso, "version");
    certlib__cbw_tstr(&mso, f->version ? f->version : "1.0");
    certlib__cbw_tstr(&mso, "digestAlgorithm");
    certlib__cbw_tstr(&mso, f->digest_alg ? f->digest_alg : "SHA-256");
    certlib__cbw_tstr(&mso, "valueDigests");
    certlib__cbw_map(&mso, n_names);
    for (size_t k = 0; k < n_names; k++) {
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            count += strcmp(ns_of(&all[i]), names[k]) == 0 && !all[i].not_in_mso;
        certlib__cbw_tstr(&mso, names[k]);
        certlib__cbw_map(&mso, count);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(ns_of(&all[i]), names[k]) != 0 || all[i].not_in_mso) continue;
            uint8_t digest[32];
            assert_int_equal(certlib__digest(sm3 ? CERTLIB_DIGEST_SM3 : CERTLIB_DIGEST_SHA256, encoded[i].buf,
                                             encoded[i].len, digest),
                             CERTLIB_OK);
            certlib__cbw_uint(&mso, all[i].digest_id);
            certlib__cbw_bstr(&mso, digest, 32);
        }
    }
    certlib__cbw_tstr(&mso, "deviceKeyInfo");
    certlib__cbw_map(&mso, 1);
    certlib__cbw_tstr(&mso, "deviceKey");
    certlib__cbw_raw(&mso, certlib__unbound_device_key, certlib__unbound_device_key_len);
    certlib__cbw_tstr(&mso, "docType");
    certlib__cbw_tstr(&mso, f->doc_type ? f->doc_type : CERTLIB_DOCTYPE);
    certlib__cbw_tstr(&mso, "validityInfo");
    certlib__cbw_map(&mso, 3);
    certlib__cbw_tstr(&mso, "signed");
    tdate(&mso, f->signed_at);
    certlib__cbw_tstr(&mso, "validFrom");
    tdate(&mso, f->valid_from);
    certlib__cbw_tstr(&mso, "validUntil");
    tdate(&mso, f->valid_until);
    certlib__cbw_embedded(&payload, &mso);

    certlib__cbw_map(&prot, f->x5chain_in_both ? 3 : 2);
    certlib__cbw_uint(&prot, 1);
    certlib__cbw_int(&prot, f->alg ? f->alg : f->signer->key.alg);
    certlib__cbw_uint(&prot, 4);
    certlib__cbw_bstr(&prot, f->kid ? f->kid : f->signer->cert.kid, 8);
    if (f->x5chain_in_both) {
        certlib__cbw_uint(&prot, 33);
        certlib__cbw_bstr(&prot, f->signer->cert_der, f->signer->cert_der_len);
    }
    /* Sig_structure, then the signature by the signer's key whatever the headers claim. */
    cbw tbs = {0};
    certlib__cbw_array(&tbs, 4);
    certlib__cbw_tstr(&tbs, "Signature1");
    certlib__cbw_bstr(&tbs, prot.buf, prot.len);
    certlib__cbw_bstr(&tbs, "", 0);
    certlib__cbw_bstr(&tbs, payload.buf, payload.len);
    uint8_t sig[64];
    assert_int_equal(certlib__sign(&f->signer->key, tbs.buf, tbs.len, sig), CERTLIB_OK);

    certlib__cbw_map(&out, 2);
    certlib__cbw_tstr(&out, "nameSpaces");
    certlib__cbw_map(&out, n_names);
    for (size_t k = 0; k < n_names; k++) {
        size_t count = 0;
        for (size_t i = 0; i < n; i++)
            count += strcmp(ns_of(&all[i]), names[k]) == 0;
        certlib__cbw_tstr(&out, names[k]);
        certlib__cbw_array(&out, count);
        for (size_t i = 0; i < n; i++)
            if (strcmp(ns_of(&all[i]), names[k]) == 0) certlib__cbw_raw(&out, encoded[i].buf, encoded[i].len);
    }
    certlib__cbw_tstr(&out, "issuerAuth");
    certlib__cbw_array(&out, 4);
    certlib__cbw_bstr(&out, prot.buf, prot.len);
    certlib__cbw_map(&out, f->x5chain_in_both ? 1 : 0);
    if (f->x5chain_in_both) {
        certlib__cbw_uint(&out, 33);
        certlib__cbw_bstr(&out, f->signer->cert_der, f->signer->cert_der_len);
    }
    certlib__cbw_bstr(&out, payload.buf, payload.len);
    certlib__cbw_bstr(&out, sig, 64);
    assert_int_equal(cbw_status(&out), CERTLIB_OK);
    for (size_t i = 0; i < n; i++)
        certlib__cbw_free(&encoded[i]);
    certlib__cbw_free(&mso);
    certlib__cbw_free(&payload);
    certlib__cbw_free(&prot);
    certlib__cbw_free(&tbs);
    return certlib__cbw_take(&out, len);
}
