/* certlib tlog: RFC 6962 hashing and proofs against the certificate-transparency test vectors and a
 * naive reference, C2SP signed notes (the spec's PeterNeumann vector), checkpoints, tile paths,
 * tlog-proof receipts and log entries, with their refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/logentry.h"
#include "certlib/tlog.h"

/* The certificate-transparency project's eight test leaves and the roots of their prefixes. */
static const struct {
    const char *bytes;
    size_t len;
} ct_leaves[] = {
    {"", 0},
    {"\x00", 1},
    {"\x10", 1},
    {"\x20\x21", 2},
    {"\x30\x31", 2},
    {"\x40\x41\x42\x43", 4},
    {"\x50\x51\x52\x53\x54\x55\x56\x57", 8},
    {"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16},
};
static const char *const ct_roots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void unhex(const char *h, uint8_t *out)
{
    size_t n;
    assert_int_equal(sodium_hex2bin(out, 32, h, 64, NULL, &n, NULL), 0);
    assert_int_equal(n, 32);
}

/* A tree of synthetic leaves: leaf i is its 8-byte big-endian index, or a CT leaf below 8. */
struct tree {
    uint64_t size;
    int ct;
};

static void leaf_of(const struct tree *t, uint64_t i, certlib_tlog_hash out)
{
    if (t->ct) {
        certlib_tlog_leaf_hash((const uint8_t *)ct_leaves[i].bytes, ct_leaves[i].len, out);
        return;
    }
    uint8_t b[8];
    for (int k = 0; k < 8; k++)
        b[k] = (uint8_t)(i >> (56 - 8 * k));
    certlib_tlog_leaf_hash(b, 8, out);
}

static certlib_err stored(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    const struct tree *t = arg;
    assert_true(((index + 1) << level) <= t->size); /* only complete subtrees are ever asked for */
    if (level == 0) {
        leaf_of(t, index, out);
        return CERTLIB_OK;
    }
    certlib_tlog_hash l, r;
    stored(arg, level - 1, 2 * index, l);
    stored(arg, level - 1, 2 * index + 1, r);
    certlib_tlog_node_hash(l, r, out);
    return CERTLIB_OK;
}

/* RFC 6962's MTH, written from the definition, independent of the library's decomposition. */
static void mth(const struct tree *t, uint64_t lo, uint64_t hi, certlib_tlog_hash out)
{
    if (hi - lo == 1) {
        leaf_of(t, lo, out);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < hi - lo)
        k *= 2;
    certlib_tlog_hash l, r;
    mth(t, lo, lo + k, l);
    mth(t, lo + k, hi, r);
    certlib_tlog_node_hash(l, r, out);
}

static void test_ct_roots(void **state)
{
    (void)state;
    for (uint64_t n = 0; n <= 8; n++) {
        struct tree t = {n, 1};
        certlib_tlog_hash root, want;
        assert_int_equal(certlib_tlog_root(n, stored, &t, root), CERTLIB_OK);
        unhex(ct_roots[n], want);
        assert_memory_equal(root, want, 32);
    }
}

static void expect_proof(const certlib_tlog_hash *got, size_t n, const char *const *want, size_t want_n)
{
    assert_int_equal(n, want_n);
    for (size_t i = 0; i < n; i++) {
        certlib_tlog_hash w;
        unhex(want[i], w);
        assert_memory_equal(got[i], w, 32);
    }
}

static void test_ct_proofs(void **state)
{
    (void)state;
    struct tree t8 = {8, 1}, t5 = {5, 1};
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
    size_t n;
    static const char *const incl_0_8[] = {
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
    static const char *const incl_5_8[] = {
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
    static const char *const cons_6_8[] = {
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
    static const char *const cons_2_5[] = {
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"};
    assert_int_equal(certlib_tlog_inclusion_proof(0, 8, stored, &t8, proof, &n), CERTLIB_OK);
    expect_proof((const certlib_tlog_hash *)proof, n, incl_0_8, 3);
    assert_int_equal(certlib_tlog_inclusion_proof(5, 8, stored, &t8, proof, &n), CERTLIB_OK);
    expect_proof((const certlib_tlog_hash *)proof, n, incl_5_8, 3);
    assert_int_equal(certlib_tlog_consistency_proof(1, 8, stored, &t8, proof, &n), CERTLIB_OK);
    expect_proof((const certlib_tlog_hash *)proof, n, incl_0_8, 3); /* the same three hashes */
    assert_int_equal(certlib_tlog_consistency_proof(6, 8, stored, &t8, proof, &n), CERTLIB_OK);
    expect_proof((const certlib_tlog_hash *)proof, n, cons_6_8, 3);
    assert_int_equal(certlib_tlog_consistency_proof(2, 5, stored, &t5, proof, &n), CERTLIB_OK);
    expect_proof((const certlib_tlog_hash *)proof, n, cons_2_5, 2);
    assert_int_equal(certlib_tlog_consistency_proof(8, 8, stored, &t8, proof, &n), CERTLIB_OK);
    assert_int_equal(n, 0);
}

/* Every index and every pair of sizes up to 70 (none of them special), plus some large trees:
 * roots agree with the reference, proofs verify, and any changed hash or length is refused. */
static void test_roundtrip_and_tamper(void **state)
{
    (void)state;
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], root, ref, leaf, old_root;
    size_t n;
    for (uint64_t size = 1; size <= 70; size++) {
        struct tree t = {size, 0};
        assert_int_equal(certlib_tlog_root(size, stored, &t, root), CERTLIB_OK);
        mth(&t, 0, size, ref);
        assert_memory_equal(root, ref, 32);
        for (uint64_t i = 0; i < size; i++) {
            assert_int_equal(certlib_tlog_inclusion_proof(i, size, stored, &t, proof, &n), CERTLIB_OK);
            leaf_of(&t, i, leaf);
            assert_int_equal(
                certlib_tlog_verify_inclusion(i, size, leaf, (const certlib_tlog_hash *)proof, n, root),
                CERTLIB_OK);
            if (size > 1) {
                /* the path of another index: another root, or another number of hashes */
                certlib_err e = certlib_tlog_verify_inclusion((i + 1) % size, size, leaf,
                                                              (const certlib_tlog_hash *)proof, n, root);
                assert_true(e == CERTLIB_E_PROOF || e == CERTLIB_E_PROOF_LENGTH);
                assert_int_equal(certlib_tlog_verify_inclusion(i, size, leaf,
                                                               (const certlib_tlog_hash *)proof, n - 1, root),
                                 CERTLIB_E_PROOF_LENGTH);
                proof[n / 2][7] ^= 1;
                assert_int_equal(
                    certlib_tlog_verify_inclusion(i, size, leaf, (const certlib_tlog_hash *)proof, n, root),
                    CERTLIB_E_PROOF);
            }
        }
        assert_int_equal(certlib_tlog_inclusion_proof(size, size, stored, &t, proof, &n),
                         CERTLIB_E_TLOG_INDEX);
        assert_int_equal(
            certlib_tlog_verify_inclusion(size, size, leaf, (const certlib_tlog_hash *)proof, 0, root),
            CERTLIB_E_TLOG_INDEX);
        for (uint64_t m = 0; m <= size; m++) {
            struct tree old = {m, 0};
            assert_int_equal(certlib_tlog_root(m, stored, &old, old_root), CERTLIB_OK);
            assert_int_equal(certlib_tlog_consistency_proof(m, size, stored, &t, proof, &n), CERTLIB_OK);
            assert_int_equal(
                certlib_tlog_verify_consistency(m, size, (const certlib_tlog_hash *)proof, n, old_root, root),
                CERTLIB_OK);
            if (m == 0) { /* the empty tree has one root, SHA-256 of nothing: no other passes for it */
                old_root[0] ^= 1;
                assert_int_equal(certlib_tlog_verify_consistency(0, size, (const certlib_tlog_hash *)proof, n,
                                                                 old_root, root),
                                 CERTLIB_E_PROOF);
                old_root[0] ^= 1;
            }
            if (m == 0 || m == size) continue;
            /* a forked history: the old root of another tree */
            old_root[0] ^= 1;
            assert_int_equal(
                certlib_tlog_verify_consistency(m, size, (const certlib_tlog_hash *)proof, n, old_root, root),
                CERTLIB_E_PROOF);
            old_root[0] ^= 1;
            proof[n - 1][31] ^= 1;
            assert_int_equal(
                certlib_tlog_verify_consistency(m, size, (const certlib_tlog_hash *)proof, n, old_root, root),
                CERTLIB_E_PROOF);
            assert_int_equal(certlib_tlog_verify_consistency(m, size, (const certlib_tlog_hash *)proof, n + 1,
                                                             old_root, root),
                             CERTLIB_E_PROOF_LENGTH);
        }
        assert_int_equal(certlib_tlog_consistency_proof(size + 1, size, stored, &t, proof, &n),
                         CERTLIB_E_TLOG_INDEX);
    }
    /* deep trees: proofs need only O(log n) stored hashes */
    static const uint64_t big[] = {100003, 1u << 17, (1u << 17) + 1};
    for (size_t b = 0; b < 3; b++) {
        struct tree t = {big[b], 0};
        assert_int_equal(certlib_tlog_root(big[b], stored, &t, root), CERTLIB_OK);
        uint64_t i = big[b] - 2;
        assert_int_equal(certlib_tlog_inclusion_proof(i, big[b], stored, &t, proof, &n), CERTLIB_OK);
        leaf_of(&t, i, leaf);
        assert_int_equal(
            certlib_tlog_verify_inclusion(i, big[b], leaf, (const certlib_tlog_hash *)proof, n, root),
            CERTLIB_OK);
    }
}

/* Sizes near 2^64 end promptly in a refusal (a doubling loop once hung on them: fuzz/tlog_proof_fuzz). */
static void test_huge_sizes(void **state)
{
    (void)state;
    certlib_tlog_hash h = {0}, proof[CERTLIB_TLOG_MAX_PROOF] = {{0}};
    static const uint64_t sizes[] = {UINT64_MAX, UINT64_MAX - 1, ((uint64_t)1 << 63) + 1, (uint64_t)1 << 63};
    for (size_t i = 0; i < 4; i++) {
        for (size_t n = 0; n <= CERTLIB_TLOG_MAX_PROOF; n += 16) {
            assert_int_not_equal(certlib_tlog_verify_inclusion(sizes[i] - 2, sizes[i], h,
                                                               (const certlib_tlog_hash *)proof, n, h),
                                 CERTLIB_OK);
            assert_int_not_equal(certlib_tlog_verify_consistency(sizes[i] / 3, sizes[i],
                                                                 (const certlib_tlog_hash *)proof, n, h, h),
                                 CERTLIB_OK);
        }
    }
}

/* C2SP signed-note's example, signed by the Go sumdb/note test key. */
static const char peter_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char peter_text[] = "If you think cryptography is the answer to your problem,\n"
                                 "then you don't know what your problem is.\n";
static const char peter_sig[] =
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2"
    "pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static size_t peter_note(char *out, size_t cap, const char *extra_lines)
{
    return (size_t)snprintf(out, cap, "%s\n%s%s", peter_text, extra_lines, peter_sig);
}

/* A log built only from what certlib_tlog_stored_hashes returns, appending 1,100 leaves: each append
 * stores the leaf and one more hash per trailing one bit of its index, every stored hash is the subtree
 * the naive definition gives, and roots over the stored hashes match the CT vectors. */
struct store {
    certlib_tlog_hash *by_level[12];
    uint64_t size;
};

static certlib_err from_store(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    const struct store *st = arg;
    if (level >= 12 || ((index + 1) << level) > st->size) return CERTLIB_E_IO_READ; /* never stored */
    memcpy(out, st->by_level[level][index], CERTLIB_TLOG_HASH_LEN);
    return CERTLIB_OK;
}

static void test_stored_hashes(void **state)
{
    (void)state;
    struct store st = {.size = 0};
    for (int l = 0; l < 12; l++)
        st.by_level[l] = calloc(1100, sizeof(certlib_tlog_hash));
    struct tree t = {1100, 0};
    for (uint64_t i = 0; i < 1100; i++) {
        certlib_tlog_hash leaf;
        leaf_of(&t, i, leaf);
        certlib_tlog_stored_hash out[CERTLIB_TLOG_MAX_STORED];
        size_t n;
        assert_int_equal(certlib_tlog_stored_hashes(i, leaf, from_store, &st, out, &n), CERTLIB_OK);
        size_t ones = 0;
        while ((i >> ones) & 1)
            ones++;
        assert_int_equal(n, 1 + ones);
        for (size_t k = 0; k < n; k++) {
            certlib_tlog_hash want;
            assert_int_equal(out[k].level, k);
            assert_int_equal(out[k].index, i >> k);
            mth(&t, out[k].index << k, (out[k].index + 1) << k, want);
            assert_memory_equal(out[k].hash, want, CERTLIB_TLOG_HASH_LEN);
            memcpy(st.by_level[k][out[k].index], out[k].hash, CERTLIB_TLOG_HASH_LEN);
        }
        st.size = i + 1;
        certlib_tlog_hash root, want;
        assert_int_equal(certlib_tlog_root(st.size, from_store, &st, root), CERTLIB_OK);
        mth(&t, 0, st.size, want);
        assert_memory_equal(root, want, CERTLIB_TLOG_HASH_LEN);
    }
    /* a reader that fails stops the append */
    certlib_tlog_hash leaf = {0};
    certlib_tlog_stored_hash out[CERTLIB_TLOG_MAX_STORED];
    size_t n;
    st.size = 0;
    assert_int_equal(certlib_tlog_stored_hashes(1, leaf, from_store, &st, out, &n), CERTLIB_E_IO_READ);
    assert_int_equal(certlib_tlog_stored_hashes((uint64_t)1 << 63, leaf, from_store, &st, out, &n),
                     CERTLIB_E_TLOG_INDEX);
    for (int l = 0; l < 12; l++)
        free(st.by_level[l]);
}

static void test_note_spec_vector(void **state)
{
    (void)state;
    certlib_note_verifier v;
    assert_int_equal(certlib_note_verifier_parse(peter_vkey, strlen(peter_vkey), &v), CERTLIB_OK);
    assert_string_equal(v.name, "PeterNeumann");
    assert_int_equal(v.key_id, 0xc74f20a3u);
    char back[160];
    assert_int_equal(certlib_note_verifier_format(&v, back, sizeof(back)), CERTLIB_OK);
    assert_string_equal(back, peter_vkey);

    char note[8192];
    size_t len = peter_note(note, sizeof(note), ""), tlen, good;
    assert_int_equal(certlib_note_open(note, len, &v, 1, &tlen, &good), CERTLIB_OK);
    assert_int_equal(tlen, strlen(peter_text));
    assert_int_equal(good, 1);

    /* 16 signatures under unknown keys are ignored */
    char extra[4096] = "";
    for (int i = 0; i < 16; i++) {
        char line[128];
        snprintf(line, sizeof(line),
                 "\xe2\x80\x94 witness%d.example AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", i);
        strcat(extra, line);
    }
    len = peter_note(note, sizeof(note), extra);
    assert_int_equal(certlib_note_open(note, len, &v, 1, &tlen, &good), CERTLIB_OK);
    /* ... but a note only unknown keys signed is refused */
    len = (size_t)snprintf(note, sizeof(note), "%s\n%s", peter_text, extra);
    assert_int_equal(certlib_note_open(note, len, &v, 1, &tlen, &good), CERTLIB_E_NOTE_SIGNATURE);
    /* a changed text, or a known key's bad signature */
    len = peter_note(note, sizeof(note), "");
    note[3] = 'Y';
    assert_int_equal(certlib_note_open(note, len, &v, 1, &tlen, &good), CERTLIB_E_NOTE_SIGNATURE);
    char bad_sig[] =
        "\xe2\x80\x94 PeterNeumann "
        "x08go/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    len = (size_t)snprintf(note, sizeof(note), "%s\n%s%s", peter_text, bad_sig, peter_sig);
    assert_int_equal(certlib_note_open(note, len, &v, 1, &tlen, &good), CERTLIB_E_NOTE_SIGNATURE);
    /* the verifier key's id must match its key */
    char wrong_id[] = "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert_int_equal(certlib_note_verifier_parse(wrong_id, strlen(wrong_id), &v), CERTLIB_E_KEY);
    assert_int_equal(certlib_note_verifier_parse("a+b", 3, &v), CERTLIB_E_KEY);
}

static void test_note_syntax(void **state)
{
    (void)state;
    certlib_note_verifier v;
    assert_int_equal(certlib_note_verifier_parse(peter_vkey, strlen(peter_vkey), &v), CERTLIB_OK);
    size_t tlen, good;
    static const char *const bad[] = {
        "",
        "no blank line\n\xe2\x80\x94 PeterNeumann x08go/ZJ=\n",
        "text\n\n",                                               /* no signature lines */
        "text\x01\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9U\n", /* a control character */
        "text\n\n-- PeterNeumann x08go/ZJkuBS9U\n",               /* not an em dash */
        "text\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9U",       /* no final newline */
        "text\n\n\xe2\x80\x94 PeterNeumann x08go/Z!kuBS9U\n",     /* not base64 */
        "text\n\n\xe2\x80\x94 Peter+Neumann x08go/ZJkuBS9U\n",    /* '+' in a name */
        "text\n\n\xe2\x80\x94 PeterNeumann AAAA\n",               /* shorter than a key id and a byte */
        "\xff\n\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9U\n",     /* not UTF-8 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(certlib_note_open(bad[i], strlen(bad[i]), &v, 1, &tlen, &good), CERTLIB_E_NOTE);
    /* more than 100 signature lines */
    size_t cap = 200 * 80, len = 0;
    char *note = malloc(cap);
    len += (size_t)snprintf(note, cap, "%s\n", peter_text);
    for (int i = 0; i < 101; i++)
        len += (size_t)snprintf(note + len, cap - len,
                                "\xe2\x80\x94 w%d AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", i);
    assert_int_equal(certlib_note_open(note, len, &v, 1, &tlen, &good), CERTLIB_E_NOTE);
    free(note);
}

static void test_note_sign_and_checkpoint(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    certlib_note_verifier v;
    assert_int_equal(certlib_note_verifier_from_key("zj.example/log/signatures", pk, &v), CERTLIB_OK);
    certlib_checkpoint cp = {.size = 8};
    strcpy(cp.origin, "zj.example/log/signatures");
    unhex(ct_roots[8], cp.root);
    char text[512], note[1024];
    size_t tlen, nlen;
    assert_int_equal(certlib_checkpoint_format(&cp, text, sizeof(text), &tlen), CERTLIB_OK);
    assert_string_equal(text, "zj.example/log/signatures\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
    assert_int_equal(certlib_note_sign(text, tlen, v.name, sk, note, sizeof(note), &nlen), CERTLIB_OK);
    certlib_checkpoint back;
    assert_int_equal(certlib_checkpoint_open(note, nlen, &v, &back), CERTLIB_OK);
    assert_int_equal(back.size, 8);
    assert_memory_equal(back.root, cp.root, 32);
    /* another log's key, or the right key under another origin */
    certlib_note_verifier other;
    assert_int_equal(certlib_note_verifier_from_key("zj.example/log/access", pk, &other), CERTLIB_OK);
    assert_int_equal(certlib_checkpoint_open(note, nlen, &other, &back), CERTLIB_E_NOTE_SIGNATURE);
    strcpy(cp.origin, "zj.example/log/access");
    assert_int_equal(certlib_checkpoint_format(&cp, text, sizeof(text), &tlen), CERTLIB_OK);
    assert_int_equal(certlib_note_sign(text, tlen, v.name, sk, note, sizeof(note), &nlen), CERTLIB_OK);
    assert_int_equal(certlib_checkpoint_open(note, nlen, &v, &back), CERTLIB_E_LOG_ORIGIN);

    /* the tlog-checkpoint spec's example text, and malformed ones */
    static const char spec[] =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    assert_int_equal(certlib_checkpoint_parse(spec, strlen(spec), &back), CERTLIB_OK);
    assert_string_equal(back.origin, "example.com/behind-the-sofa");
    assert_int_equal(back.size, 20852163);
    static const char ext[] = "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nextension\n";
    assert_int_equal(certlib_checkpoint_parse(ext, strlen(ext), &back), CERTLIB_OK);
    static const char *const bad[] = {
        "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",                   /* leading zero */
        "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",                   /* sign */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",                     /* unpadded */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n",                        /* short hash */
        "o\n1\n",                                                                  /* two lines */
        "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",                     /* empty origin */
        "o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", /* 2^64 */
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n", /* an empty extension line */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(certlib_checkpoint_parse(bad[i], strlen(bad[i]), &back), CERTLIB_E_CHECKPOINT);
}

static void test_tiles(void **state)
{
    (void)state;
    static const struct {
        certlib_tile t;
        const char *path;
    } vec[] = {
        {{0, 1234067, 256}, "tile/0/x001/x234/067"},
        {{1, 0, 256}, "tile/1/000"},
        {{2, 5, 16}, "tile/2/005.p/16"},
        {{-1, 1000, 256}, "tile/entries/x001/000"},
        {{-1, 7, 1}, "tile/entries/007.p/1"},
    };
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        char path[64];
        certlib_tile back;
        assert_int_equal(certlib_tile_path(&vec[i].t, path, sizeof(path)), CERTLIB_OK);
        assert_string_equal(path, vec[i].path);
        assert_int_equal(certlib_tile_parse_path(path, strlen(path), &back), CERTLIB_OK);
        assert_int_equal(back.level, vec[i].t.level);
        assert_int_equal(back.index, vec[i].t.index);
        assert_int_equal(back.width, vec[i].t.width);
    }
    static const char *const bad[] = {
        "tile/0/x000/067",  "tile/0/67",        "tile/0/0067",     "tile/64/000", "tile/01/000",
        "tile/0/000.p/256", "tile/0/000.p/0",   "tile/0/000.p/",   "tile/0/000/", "tile/entries/x001",
        "tile/../000",      "tile/0/x001/x002", "tile/0/000.p/01", "tile//000",   "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        certlib_tile back;
        assert_int_equal(certlib_tile_parse_path(bad[i], strlen(bad[i]), &back), CERTLIB_E_TILE);
    }
    certlib_tile t = certlib_tile_for(0, 300, 1000); /* hashes 256..511 of 1000: full */
    assert_int_equal(t.index, 1);
    assert_int_equal(t.width, 256);
    t = certlib_tile_for(0, 900, 1000);
    assert_int_equal(t.index, 3);
    assert_int_equal(t.width, 1000 - 768);
    t = certlib_tile_for(1, 0, 1000); /* level-8 hashes: 3 of them */
    assert_int_equal(t.width, 3);
}

static certlib_err count_entry(void *arg, uint64_t i, const uint8_t *entry, size_t len)
{
    (void)entry;
    size_t *total = arg;
    *total += len + i;
    return CERTLIB_OK;
}

static void test_entry_bundles(void **state)
{
    (void)state;
    static const uint8_t b[] = {0, 2, 'a', 'b', 0, 0, 0, 1, 'c'};
    size_t total = 0;
    assert_int_equal(certlib_entry_bundle_each(b, sizeof(b), 3, count_entry, &total), CERTLIB_OK);
    assert_int_equal(total, 2 + 0 + 1 + 0 + 1 + 2);
    assert_int_equal(certlib_entry_bundle_each(b, sizeof(b), 2, count_entry, &total), CERTLIB_E_TILE);
    assert_int_equal(certlib_entry_bundle_each(b, sizeof(b), 4, count_entry, &total), CERTLIB_E_TILE);
    for (size_t cut = 1; cut < sizeof(b); cut++)
        if (cut != 4 && cut != 6)
            assert_int_equal(certlib_entry_bundle_each(b, cut, 3, count_entry, &total), CERTLIB_E_TILE);
}

static void test_tlog_proof(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    certlib_note_verifier v;
    assert_int_equal(certlib_note_verifier_from_key("zj.example/log/signatures", pk, &v), CERTLIB_OK);
    struct tree t = {8, 1};
    certlib_checkpoint cp = {.size = 8};
    strcpy(cp.origin, v.name);
    assert_int_equal(certlib_tlog_root(8, stored, &t, cp.root), CERTLIB_OK);
    char text[256], note[512], proof_text[4096];
    size_t tlen, nlen, plen;
    assert_int_equal(certlib_checkpoint_format(&cp, text, sizeof(text), &tlen), CERTLIB_OK);
    assert_int_equal(certlib_note_sign(text, tlen, v.name, sk, note, sizeof(note), &nlen), CERTLIB_OK);
    certlib_tlog_hash path[CERTLIB_TLOG_MAX_PROOF];
    size_t n;
    assert_int_equal(certlib_tlog_inclusion_proof(5, 8, stored, &t, path, &n), CERTLIB_OK);
    assert_int_equal(certlib_tlog_proof_format(5, (const certlib_tlog_hash *)path, n, (const uint8_t *)"xy",
                                               2, note, nlen, proof_text, sizeof(proof_text), &plen),
                     CERTLIB_OK);
    assert_true(strncmp(proof_text, "c2sp.org/tlog-proof@v1\nextra eHk=\nindex 5\n", 42) == 0);
    certlib_checkpoint got;
    uint64_t idx;
    const char *e5 = ct_leaves[5].bytes;
    assert_int_equal(certlib_tlog_proof_verify(proof_text, plen, &v, (const uint8_t *)e5, 4, &got, &idx),
                     CERTLIB_OK);
    assert_int_equal(idx, 5);
    assert_int_equal(got.size, 8);
    /* another entry, a truncated proof, a wrong index, a dropped hash */
    assert_int_equal(certlib_tlog_proof_verify(proof_text, plen, &v, (const uint8_t *)"@ABD", 4, NULL, NULL),
                     CERTLIB_E_PROOF);
    for (size_t cut = 0; cut < plen; cut += 7)
        assert_int_not_equal(
            certlib_tlog_proof_verify(proof_text, cut, &v, (const uint8_t *)e5, 4, NULL, NULL), CERTLIB_OK);
    char *i5 = strstr(proof_text, "index 5");
    i5[6] = '9';
    assert_int_equal(certlib_tlog_proof_verify(proof_text, plen, &v, (const uint8_t *)e5, 4, NULL, NULL),
                     CERTLIB_E_TLOG_INDEX);
    i5[6] = '4';
    assert_int_equal(certlib_tlog_proof_verify(proof_text, plen, &v, (const uint8_t *)e5, 4, NULL, NULL),
                     CERTLIB_E_PROOF);
    assert_int_equal(certlib_tlog_proof_format(5, (const certlib_tlog_hash *)path, n - 1, NULL, 0, note, nlen,
                                               proof_text, sizeof(proof_text), &plen),
                     CERTLIB_OK);
    assert_int_equal(certlib_tlog_proof_verify(proof_text, plen, &v, (const uint8_t *)e5, 4, NULL, NULL),
                     CERTLIB_E_PROOF_LENGTH);
}

static void test_log_entries(void **state)
{
    (void)state;
    certlib_log_entry e;
    static const char issue[] =
        "sig/v1 issue 2026-11-22T16:00:00Z 11100000000013338W001-X 11100000000013338W001 "
        "11330100002498113P 11330100002498113P-0 42 "
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";
    assert_int_equal(certlib_log_entry_parse((const uint8_t *)issue, strlen(issue), &e), CERTLIB_OK);
    assert_int_equal(e.kind, CERTLIB_LOG_ISSUE);
    assert_int_equal(e.time, 1795363200);
    assert_int_equal(e.status_idx, 42);
    assert_int_equal(e.issuer.len, 18);
    assert_int_equal(e.sig_hash[0], 0xe3);
    char enc[256];
    assert_true(certlib_log_field_encode("证件 遗失%", strlen("证件 遗失%"), enc, sizeof(enc)) > 0);
    assert_string_equal(enc, "证件%20遗失%25");
    char status[512];
    snprintf(
        status, sizeof(status),
        "sig/v1 status 2026-11-22T16:00:01Z 11100000000013338W001-X 11100000000013338W001 11330100002498113P "
        "11330100002498113P-0 42 revoked %s",
        enc);
    assert_int_equal(certlib_log_entry_parse((const uint8_t *)status, strlen(status), &e), CERTLIB_OK);
    assert_int_equal(e.kind, CERTLIB_LOG_STATUS);
    assert_string_equal(e.text, "证件 遗失%");
    static const char access[] = "access/v1 lookup 2026-11-22T16:00:02Z counter-hz ZJ-HYDJ-001 "
                                 "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU ok a,b %E5%A9%9A%E5%A7%BB";
    assert_int_equal(certlib_log_entry_parse((const uint8_t *)access, strlen(access), &e), CERTLIB_OK);
    assert_int_equal(e.kind, CERTLIB_LOG_LOOKUP);
    assert_string_equal(e.text, "婚姻");
    assert_int_equal(e.licences.len, 3);
    assert_false(e.has_disclosed);
    static const char access2[] = "access/v2 verify 2026-11-22T16:00:02Z counter-hz - - valid - - "
                                  "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";
    assert_int_equal(certlib_log_entry_parse((const uint8_t *)access2, strlen(access2), &e), CERTLIB_OK);
    assert_int_equal(e.kind, CERTLIB_LOG_VERIFY);
    assert_true(e.has_disclosed);
    assert_int_equal(e.disclosed[0], 0xe3); /* SHA-256 of nothing: e3b0c442... */
    assert_int_equal(certlib_log_field_encode("-", 1, enc, sizeof(enc)), 3);
    assert_string_equal(enc, "%2D");
    assert_int_equal(certlib_log_field_encode("\xff", 1, enc, sizeof(enc)), 0);

    static const char *const bad[] = {
        "",
        "sig/v2 issue 2026-11-22T16:00:00Z a b c d 1 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "sig/v1 issue 2026-11-22T16:00:00Z a b c d 01 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "sig/v1 issue 2026-11-22 a b c d 1 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "sig/v1 issue 2026-11-22T16:00:00Z a b c d 1 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuF",
        "sig/v1 issue 2026-11-22T16:00:00Z a  b c d 1 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "sig/v1 status 2026-11-22T16:00:00Z a b c d 1 lost -",
        "sig/v1 status 2026-11-22T16:00:00Z a b c d 1 revoked %ZZ",
        "access/v1 lookup 2026-11-22T16:00:00Z c m h ok l",
        "access/v1 peek 2026-11-22T16:00:00Z c m h ok l -",
        "access/v2 lookup 2026-11-22T16:00:00Z c m h ok l -", /* no digest */
        "access/v1 lookup 2026-11-22T16:00:00Z c m h ok l - "
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
        "access/v2 lookup 2026-11-22T16:00:00Z c m h ok l - "
        "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuF", /* short
                                                       */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(certlib_log_entry_parse((const uint8_t *)bad[i], strlen(bad[i]), &e),
                         CERTLIB_E_LOG_ENTRY);
}

/* C2SP tlog-witness request bodies and tlog-cosignature/v1 lines. */
static void test_witness(void **state)
{
    (void)state;
    static const char body[] =
        "old 20852014\n"
        "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
        "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
        "\n"
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n";
    uint64_t old;
    certlib_tlog_hash proof[CERTLIB_WITNESS_MAX_PROOF];
    size_t n, at;
    assert_int_equal(certlib_witness_request_parse(body, strlen(body), &old, proof, &n, &at), CERTLIB_OK);
    assert_int_equal(old, 20852014);
    assert_int_equal(n, 2);
    assert_int_equal(proof[0][0], 0x3e);
    assert_string_equal(
        body + at, "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n");
    /* formatted back from its parts, the body is the same bytes */
    char again[sizeof(body) + 64];
    size_t again_len;
    assert_int_equal(certlib_witness_request_format(old, (const certlib_tlog_hash *)proof, n, body + at,
                                                    strlen(body) - at, again, sizeof(again), &again_len),
                     CERTLIB_OK);
    assert_int_equal(again_len, strlen(body));
    assert_memory_equal(again, body, again_len);
    assert_int_equal(certlib_witness_request_format(old, (const certlib_tlog_hash *)proof, n, body + at,
                                                    strlen(body) - at, again, 40, &again_len),
                     CERTLIB_E_BUFFER_TOO_SMALL);
    static const char *const bad[] = {
        "",
        "old\n\nx",
        "old 01\n\nx",
        "old -1\n\nx",
        "new 1\n\nx",
        "old 1\nnot base64\n\nx",
        "old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpka==\n\nx", /* 31 bytes */
        "old 1\n",
        "old 1\n\n",                                             /* no checkpoint */
        "old 1\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n", /* no empty line */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(certlib_witness_request_parse(bad[i], strlen(bad[i]), &old, proof, &n, &at),
                         CERTLIB_E_WITNESS_REQUEST);
    /* 64 proof lines: one more than the protocol allows */
    char many[8192];
    size_t len = (size_t)snprintf(many, sizeof(many), "old 1\n");
    for (int i = 0; i < 64; i++)
        len += (size_t)snprintf(many + len, sizeof(many) - len,
                                "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n");
    len += (size_t)snprintf(many + len, sizeof(many) - len, "\nx\n");
    assert_int_equal(certlib_witness_request_parse(many, len, &old, proof, &n, &at),
                     CERTLIB_E_WITNESS_REQUEST);

    /* a cosignature: key id over 0x04, timestamp big-endian, Ed25519 over the cosignature/v1 message */
    uint8_t pk[32], sk[64], seed[32] = {7};
    crypto_sign_seed_keypair(pk, sk, seed);
    static const char text[] =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    char line[256];
    size_t line_len;
    assert_int_equal(certlib_cosign(text, strlen(text), "witness.example/w1", sk, 1679315147, line,
                                    sizeof(line), &line_len),
                     CERTLIB_OK);
    assert_int_equal(
        strncmp(line, "\xe2\x80\x94 witness.example/w1 ", strlen("\xe2\x80\x94 witness.example/w1 ")), 0);
    assert_int_equal(line[line_len - 1], '\n');
    const char *b64 = line + strlen("\xe2\x80\x94 witness.example/w1 ");
    uint8_t blob[80];
    size_t blob_len;
    assert_int_equal(sodium_base642bin(blob, sizeof(blob), b64, line_len - 1 - (size_t)(b64 - line), NULL,
                                       &blob_len, NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(blob_len, 76);
    uint32_t id = certlib_cosigner_key_id("witness.example/w1", pk);
    assert_int_equal((uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 | (uint32_t)blob[2] << 8 | blob[3],
                     id);
    uint64_t ts = 0;
    for (int i = 0; i < 8; i++)
        ts = ts << 8 | blob[4 + i];
    assert_int_equal(ts, 1679315147);
    char message[512];
    int mlen = snprintf(message, sizeof(message), "cosignature/v1\ntime 1679315147\n%s", text);
    assert_int_equal(crypto_sign_verify_detached(blob + 12, (const uint8_t *)message, (size_t)mlen, pk), 0);
    /* not a note signature: the same bytes under type 0x01 would have another key id */
    certlib_note_verifier v;
    assert_int_equal(certlib_note_verifier_from_key("witness.example/w1", pk, &v), CERTLIB_OK);
    assert_int_not_equal(v.key_id, id);
    assert_int_equal(
        certlib_cosign(text, strlen(text) - 1, "witness.example/w1", sk, 1, line, sizeof(line), &line_len),
        CERTLIB_E_NOTE); /* the text must end in a newline */
    assert_int_equal(certlib_cosign(text, strlen(text), "bad name", sk, 1, line, sizeof(line), &line_len),
                     CERTLIB_E_KEY);

    /* checking cosignatures: the cosigner key as C2SP prints it, a note with the log's line and ours */
    char vkey[256], b64k[64];
    uint8_t raw[33] = {0x04};
    memcpy(raw + 1, pk, 32);
    sodium_bin2base64(b64k, sizeof(b64k), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
    snprintf(vkey, sizeof(vkey), "witness.example/w1+%08x+%s", id, b64k);
    certlib_note_verifier cosigner;
    assert_int_equal(certlib_cosigner_parse(vkey, strlen(vkey), &cosigner), CERTLIB_OK);
    assert_int_equal(cosigner.key_id, id);
    certlib_note_verifier made;
    char made_text[256];
    assert_int_equal(certlib_cosigner_from_key("witness.example/w1", pk, &made), CERTLIB_OK);
    assert_int_equal(certlib_cosigner_format(&made, made_text, sizeof(made_text)), CERTLIB_OK);
    assert_string_equal(made_text, vkey); /* the same text as written by hand above */
    assert_int_equal(certlib_cosigner_from_key("bad name", pk, &made), CERTLIB_E_KEY);
    vkey[19] = vkey[19] == '0' ? '1' : '0'; /* another key id */
    assert_int_equal(certlib_cosigner_parse(vkey, strlen(vkey), &v), CERTLIB_E_KEY);
    char note[1024];
    assert_int_equal(certlib_cosign(text, strlen(text), "witness.example/w1", sk, 1679315147, line,
                                    sizeof(line), &line_len),
                     CERTLIB_OK);
    int nn = snprintf(
        note, sizeof(note),
        "%s\n\xe2\x80\x94 example.com/behind-the-sofa "
        "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n%s",
        text, line);
    size_t valid;
    assert_int_equal(certlib_cosignatures_verify(note, (size_t)nn, &cosigner, 1, &valid), CERTLIB_OK);
    assert_int_equal(valid, 1);
    note[nn - 10] = note[nn - 10] == 'A' ? 'B' : 'A'; /* the cosignature altered: forged */
    assert_int_equal(certlib_cosignatures_verify(note, (size_t)nn, &cosigner, 1, &valid),
                     CERTLIB_E_NOTE_SIGNATURE);
    nn = snprintf(note, sizeof(note), "%s\n%s%s", text, line, line); /* the same cosigner twice counts once */
    assert_int_equal(certlib_cosignatures_verify(note, (size_t)nn, &cosigner, 1, &valid), CERTLIB_OK);
    assert_int_equal(valid, 1);
    nn = snprintf(note, sizeof(note), "%s\n%s",
                  "example.com/other\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", line);
    assert_int_equal(certlib_cosignatures_verify(note, (size_t)nn, &cosigner, 1, &valid),
                     CERTLIB_E_NOTE_SIGNATURE);
    assert_int_equal(certlib_cosignatures_verify("no blank line\n", 14, &cosigner, 1, &valid),
                     CERTLIB_E_NOTE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ct_roots),
        cmocka_unit_test(test_ct_proofs),
        cmocka_unit_test(test_roundtrip_and_tamper),
        cmocka_unit_test(test_huge_sizes),
        cmocka_unit_test(test_stored_hashes),
        cmocka_unit_test(test_note_spec_vector),
        cmocka_unit_test(test_note_syntax),
        cmocka_unit_test(test_note_sign_and_checkpoint),
        cmocka_unit_test(test_tiles),
        cmocka_unit_test(test_entry_bundles),
        cmocka_unit_test(test_tlog_proof),
        cmocka_unit_test(test_log_entries),
        cmocka_unit_test(test_witness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
