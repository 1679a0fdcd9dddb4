/* bench/verify: certlib_licence_verify per second against the raw signature primitive over the same
 * Sig_structure bytes, per algorithm, in the same run (issue #3 target: >= 0.85x, i.e. parsing,
 * digests and every check cost at most 15%). The licence discloses its 12 GB/T 36903 metadata
 * elements; its signer is in the trust bundle, whose chains are verified once at load ("cached").
 * Also prints the size of a compact licence (kid, no x5chain, 10 elements) raw and as zlib+Base45.
 * usage: bench_verify KEYS_EXAMPLE_DIR [SECONDS_PER_ROUND] */
#include <openssl/evp.h>
#include <pthread.h>
#include <openssl/pem.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "bench_clock.h"
#include "cbor/cbor_write.h"
#include "certlib/certlib.h"
#include "licence/licence_parse.h"

#define ROUNDS 7

struct job {
    const certlib_ctx *ctx;
    const uint8_t *licence;
    size_t len;
    /* raw primitive */
    certlib_alg alg;
    EVP_PKEY *pkey;
    uint8_t ed_pk[32];
    uint8_t *tbs;
    size_t tbs_len;
    uint8_t sig[64], der[80];
    size_t der_len;
};

static int op_certlib(void *arg)
{
    struct job *j = arg;
    certlib_verify_opts opts = {.now = 1795500000};
    certlib_result *r;
    if (certlib_licence_verify(j->ctx, j->licence, j->len, &opts, &r) != CERTLIB_OK) return 0;
    int ok = certlib_result_verdict(r) == CERTLIB_VERDICT_VALID;
    certlib_result_free(r);
    return ok;
}

static int op_raw(void *arg)
{
    struct job *j = arg;
    if (j->alg == CERTLIB_ALG_EDDSA)
        return crypto_sign_verify_detached(j->sig, j->tbs, j->tbs_len, j->ed_pk) == 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = EVP_DigestVerifyInit(md, &pctx, j->alg == CERTLIB_ALG_SM2_SM3 ? EVP_sm3() : EVP_sha256(), NULL,
                                  j->pkey) == 1;
    if (ok && j->alg == CERTLIB_ALG_SM2_SM3) ok = EVP_PKEY_CTX_set1_id(pctx, "1234567812345678", 16) == 1;
    ok = ok && EVP_DigestVerify(md, j->der, j->der_len, j->tbs, j->tbs_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

/* Medians of ROUNDS alternating rounds of each operation; the ratio is the median of per-round ratios. */
static void rates(struct job *j, double seconds, double *verify, double *raw, double *ratio)
{
    bench_compare(op_certlib, op_raw, j, seconds, ROUNDS, verify, raw, ratio);
}

/* The Sig_structure and signature of a licence, as the raw primitive will see them. */
static void prepare_raw(struct job *j, const char *keys, const char *alg_dir)
{
    certlib__licence lic;
    if (certlib__licence_parse(j->licence, j->len, &lic)) exit(1);
    cbw w = {0};
    certlib__cbw_array(&w, 4);
    certlib__cbw_tstr(&w, "Signature1");
    certlib__cbw_bstr(&w, lic.auth.protected_bytes.ptr, lic.auth.protected_bytes.len);
    certlib__cbw_bstr(&w, "", 0);
    certlib__cbw_bstr(&w, lic.auth.payload.ptr, lic.auth.payload.len);
    j->tbs = certlib__cbw_take(&w, &j->tbs_len);
    memcpy(j->sig, lic.auth.signature.ptr, 64);
    j->alg = lic.auth.alg;
    certlib__licence_clear(&lic);

    char path[1024];
    snprintf(path, sizeof(path), "%s/pki/%s/scjg.crt", keys, alg_dir);
    FILE *f = fopen(path, "r");
    X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f) fclose(f);
    if (!cert) exit(1);
    j->pkey = X509_get_pubkey(cert);
    X509_free(cert);
    if (j->alg == CERTLIB_ALG_EDDSA) {
        size_t n = 32;
        EVP_PKEY_get_raw_public_key(j->pkey, j->ed_pk, &n);
    } else {
        ECDSA_SIG *s = ECDSA_SIG_new();
        ECDSA_SIG_set0(s, BN_bin2bn(j->sig, 32, NULL), BN_bin2bn(j->sig + 32, 32, NULL));
        unsigned char *p = j->der;
        j->der_len = (size_t)i2d_ECDSA_SIG(s, &p);
        ECDSA_SIG_free(s);
    }
}

/* RFC 9285 Base45, only to size the QR text here (the QR transport itself belongs to certlib). */
static char *base45(const uint8_t *in, size_t n)
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    char *out = malloc(n / 2 * 3 + 3 + 5), *p = out;
    memcpy(p, "EL1:", 4);
    p += 4;
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned v = in[i] * 256u + in[i + 1];
        *p++ = alphabet[v % 45], *p++ = alphabet[v / 45 % 45], *p++ = alphabet[v / 2025];
    }
    if (n % 2) *p++ = alphabet[in[n - 1] % 45], *p++ = alphabet[in[n - 1] / 45];
    *p = '\0';
    return out;
}

/* A compact licence (EdDSA, kid, 10 of its 12 metadata elements disclosed), with and without a status
 * reference: its CBOR size, its zlib size, and the QR code its EL1: text needs at ECC level M. */
static void compact_sizes(const char *keys)
{
    char key[1024], crt[1024];
    snprintf(key, sizeof(key), "%s/pki/ed25519/scjg.key", keys);
    snprintf(crt, sizeof(crt), "%s/pki/ed25519/scjg.crt", keys);
    certlib_signer *signer;
    if (certlib_signer_load(key, crt, &signer)) exit(1);
    for (int with_status = 0; with_status <= 1; with_status++) {
        certlib_licence_spec spec = {.licence_type_code = "11100000000013338W001",
                                     .licence_name = "营业执照",
                                     .holder_name = "杭州某某科技有限公司",
                                     .holder_id = "91330106MA2H12349J",
                                     .signed_at = 1795400000,
                                     .valid_until = 1795400000 + 86400 * 3650,
                                     .status_uri = with_status ? "https://authd.example/v1/status/1" : NULL,
                                     .status_idx = 12345};
        uint8_t *full, *compact;
        size_t full_len, compact_len;
        const char *keep[] = {"licence_type_code", "licence_name", "licence_number",
                              "holder_name",       "holder_id",    "issuer_name",
                              "issuer_code",       "issue_date",   "valid_until"};
        if (certlib_licence_issue(signer, &spec, &full, &full_len, NULL) ||
            certlib_licence_disclose(full, full_len, keep, 9, &compact, &compact_len))
            exit(1);
        uLongf packed = compressBound((uLong)compact_len);
        uint8_t *z = malloc(packed);
        compress2(z, &packed, compact, (uLong)compact_len, 9);
        char *text = base45(z, packed);
        QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        printf("compact licence, 10 elements%s: %zu bytes CBOR (target <= 1000), %lu bytes zlib, %zu QR "
               "characters, "
               "QR version %d-M\n",
               with_status ? " + status reference" : "", compact_len, (unsigned long)packed, strlen(text),
               qr ? qr->version : -1);
        QRcode_free(qr);
        free(text);
        free(z);
        certlib_free(full);
        certlib_free(compact);
    }
    certlib_signer_free(signer);
}

/* --rate KEYS LICENCE THREADS: certlib_licence_verify of one licence on THREADS threads for 3 s,
 * printed as "RATE <verifications per second>" (bench/authd compares HTTP verification with it). */
struct rate_thread {
    pthread_t t;
    const certlib_ctx *ctx;
    const uint8_t *licence;
    size_t len;
    long done;
    double seconds;
};

static void *rate_main(void *arg)
{
    struct rate_thread *rt = arg;
    double start = now_s();
    while (now_s() - start < rt->seconds) {
        certlib_result *r;
        if (certlib_licence_verify(rt->ctx, rt->licence, rt->len, NULL, &r) == CERTLIB_OK)
            certlib_result_free(r);
        rt->done++;
    }
    return NULL;
}

static int rate_mode(const char *keys, const char *licence_path, int threads)
{
    char path[1024];
    certlib_ctx *ctx;
    snprintf(path, sizeof(path), "%s/trust.json", keys);
    if (certlib_ctx_new(&ctx) || certlib_ctx_load_trust_file(ctx, path)) return 1;
    FILE *f = fopen(licence_path, "rb");
    if (!f) return 1;
    static uint8_t licence[65536];
    size_t len = fread(licence, 1, sizeof(licence), f);
    fclose(f);
    struct rate_thread rt[16] = {0};
    if (threads < 1 || threads > 16) threads = 1;
    for (int i = 0; i < threads; i++) {
        rt[i] = (struct rate_thread){.ctx = ctx, .licence = licence, .len = len, .seconds = 3};
        pthread_create(&rt[i].t, NULL, rate_main, &rt[i]);
    }
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(rt[i].t, NULL);
        total += rt[i].done;
    }
    printf("RATE %.0f\n", total / 3.0);
    certlib_ctx_free(ctx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--rate") == 0) return rate_mode(argv[2], argv[3], atoi(argv[4]));
    if (argc < 2) {
        fprintf(stderr, "usage: bench_verify KEYS_EXAMPLE_DIR [SECONDS_PER_ROUND]\n");
        return 2;
    }
    const char *keys = argv[1];
    double seconds = argc > 2 ? atof(argv[2]) : 0.4;
    char path[1024];
    certlib_ctx *ctx;
    snprintf(path, sizeof(path), "%s/trust.json", keys);
    if (certlib_ctx_new(&ctx) || certlib_ctx_load_trust_file(ctx, path)) return 1;

    printf("bench/verify: median of %d rounds of %.1f s; licence with 12 disclosed elements, signer in the "
           "bundle\n",
           ROUNDS, seconds);
    printf("%-8s %12s %12s %7s  %s\n", "alg", "verify/s", "raw/s", "ratio", "target >= 0.85");
    static const char *const dirs[] = {"ed25519", "p256", "sm2"};
    int all_met = 1;
    for (int a = 0; a < 3; a++) {
        certlib_signer *signer;
        char key[1024], crt[1024];
        snprintf(key, sizeof(key), "%s/pki/%s/scjg.key", keys, dirs[a]);
        snprintf(crt, sizeof(crt), "%s/pki/%s/scjg.crt", keys, dirs[a]);
        if (certlib_signer_load(key, crt, &signer)) return 1;
        certlib_licence_spec spec = {.licence_type_code = "11100000000013338W001",
                                     .licence_name = "营业执照",
                                     .holder_name = "杭州某某科技有限公司",
                                     .holder_id = "91330106MA2H12349J",
                                     .signed_at = 1795400000,
                                     .valid_until = 1795400000 + 86400 * 3650};
        struct job j = {.ctx = ctx};
        uint8_t *licence;
        if (certlib_licence_issue(signer, &spec, &licence, &j.len, NULL)) return 1;
        j.licence = licence;
        prepare_raw(&j, keys, dirs[a]);
        double v, r, q;
        rates(&j, seconds, &v, &r, &q);
        int met = q >= 0.85;
        all_met &= met;
        printf("%-8s %12.0f %12.0f %7.3f  %s\n", certlib_alg_name(certlib_signer_alg(signer)), v, r, q,
               met ? "met" : "NOT met");
        free(j.tbs);
        EVP_PKEY_free(j.pkey);
        certlib_free(licence);
        certlib_signer_free(signer);
    }

    compact_sizes(keys);
    certlib_ctx_free(ctx);
    printf("all verification targets %s\n", all_met ? "met" : "NOT met");
    return 0;
}
