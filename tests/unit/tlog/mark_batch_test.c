/* Batched disclosure marks (certlib/mark.h): several marks under one signed root, each opened alone,
 * and each way of passing one mark off as another, or as signed when it is not, refused. The trees
 * here are computed by this file's own RFC 6962 recursion, not certlib's proof code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "certlib/certlib.h"

#define N_MARKS 5

static const char origin[] = "authd.example/access";
static uint8_t pk[32], sk[64];
static certlib_note_verifier verifier;

struct batch {
    char text[N_MARKS][1024];
    size_t len[N_MARKS];
    certlib_tlog_hash leaf[N_MARKS];
    char note[1024];
    size_t note_len;
};

static void node(const uint8_t *l, const uint8_t *r, uint8_t out[32])
{
    uint8_t buf[65] = {1};
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    crypto_hash_sha256(out, buf, sizeof(buf));
}

static size_t split_at(size_t n) /* the largest power of two below n */
{
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

/* RFC 6962 §2.1: MTH(D[n]) */
static void mth(const certlib_tlog_hash *leaf, size_t n, uint8_t out[32])
{
    if (n == 1) {
        memcpy(out, leaf[0], 32);
        return;
    }
    size_t k = split_at(n);
    uint8_t l[32], r[32];
    mth(leaf, k, l);
    mth(leaf + k, n - k, r);
    node(l, r, out);
}

/* RFC 6962 §2.1.1: PATH(m, D[n]), leaf to root */
static size_t path_of(size_t m, const certlib_tlog_hash *leaf, size_t n, certlib_tlog_hash *out)
{
    if (n == 1) return 0;
    size_t k = split_at(n), len;
    if (m < k) {
        len = path_of(m, leaf, k, out);
        mth(leaf + k, n - k, out[len]);
    } else {
        len = path_of(m - k, leaf + k, n - k, out);
        mth(leaf, k, out[len]);
    }
    return len + 1;
}

static void mark_text(size_t i, char *out, size_t cap, size_t *len)
{
    static certlib_mark m;
    memset(&m, 0, sizeof(m));
    strcpy(m.origin, origin);
    m.index = 40 + i;
    m.kind = i % 2 ? CERTLIB_LOG_VERIFY : CERTLIB_LOG_LOOKUP;
    m.time = 1796025600 + (int64_t)i;
    strcpy(m.client, "counter-hz");
    strcpy(m.matter, "ZJ-HYDJ-001");
    strcpy(m.use_cause, "婚姻");
    m.n_licences = 1;
    crypto_hash_sha256(m.licences[0], (const uint8_t *)&i, sizeof(i));
    crypto_hash_sha256(m.entry_hash, (const uint8_t *)"entry", 5);
    m.entry_hash[0] = (uint8_t)i;
    assert_int_equal(certlib_mark_format(&m, out, cap, len), CERTLIB_OK);
}

/* n marks and their batch note, signed with `key` under `name` */
static void make_batch(struct batch *b, size_t n, const char *name, const uint8_t *key)
{
    for (size_t i = 0; i < n; i++) {
        mark_text(i, b->text[i], sizeof(b->text[i]), &b->len[i]);
        certlib_tlog_leaf_hash((const uint8_t *)b->text[i], b->len[i], b->leaf[i]);
    }
    certlib_tlog_hash root;
    mth(b->leaf, n, root);
    char text[256];
    size_t tlen;
    assert_int_equal(certlib_mark_batch_format(name, n, root, text, sizeof(text), &tlen), CERTLIB_OK);
    assert_int_equal(certlib_note_sign(text, tlen, name, key, b->note, sizeof(b->note), &b->note_len),
                     CERTLIB_OK);
}

/* Mark i of a batch of n, with its own path, at `position` */
static size_t batched(const struct batch *b, size_t i, size_t n, uint64_t position, char *out, size_t cap)
{
    certlib_tlog_hash path[16];
    size_t n_path = path_of(i, b->leaf, n, path), len;
    assert_int_equal(certlib_mark_batched(b->text[i], b->len[i], position, path, n_path, b->note, b->note_len,
                                          out, cap, &len),
                     CERTLIB_OK);
    return len;
}

static int setup(void **state)
{
    (void)state;
    crypto_sign_keypair(pk, sk);
    return certlib_note_verifier_from_key(origin, pk, &verifier) == CERTLIB_OK ? 0 : -1;
}

static void test_each_mark_of_a_batch_opens(void **state)
{
    (void)state;
    static struct batch b;
    static certlib_mark m;
    char mark[CERTLIB_MARK_MAX];
    for (size_t n = 1; n <= N_MARKS; n++) {
        make_batch(&b, n, origin, sk);
        for (size_t i = 0; i < n; i++) {
            size_t len = batched(&b, i, n, i, mark, sizeof(mark));
            assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_OK);
            assert_int_equal(m.index, 40 + i);
            assert_int_equal(m.entry_hash[0], i);
            char again[1024];
            size_t again_len;
            assert_int_equal(certlib_mark_format(&m, again, sizeof(again), &again_len), CERTLIB_OK);
            assert_int_equal(again_len, b.len[i]);
            assert_memory_equal(again, b.text[i], again_len);
        }
    }
    /* the shape mark.h gives: the text, an empty line, the batch line, the path, an empty line, the note */
    size_t len = batched(&b, 2, N_MARKS, 2, mark, sizeof(mark));
    mark[len] = '\0';
    assert_memory_equal(mark, b.text[2], b.len[2]);
    assert_non_null(strstr(mark, "\n\nbatch 2\n"));
    assert_non_null(strstr(mark, "\n\nauthd.example/access\ndisclosure-batch/v1 5 "));
}

static void test_a_mark_passed_off_as_another_is_refused(void **state)
{
    (void)state;
    static struct batch b;
    static certlib_mark m;
    char mark[CERTLIB_MARK_MAX];
    make_batch(&b, N_MARKS, origin, sk);
    /* a byte of the text changed */
    size_t len = batched(&b, 1, N_MARKS, 1, mark, sizeof(mark));
    char *at = strstr(mark, "counter-hz");
    at[8] = 'x';
    assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_E_NOTE_SIGNATURE);
    /* another place in the batch than the path's */
    len = batched(&b, 1, N_MARKS, 3, mark, sizeof(mark));
    assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_E_NOTE_SIGNATURE);
    /* a place past the batch */
    len = batched(&b, 1, N_MARKS, N_MARKS, mark, sizeof(mark));
    assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_E_NOTE_SIGNATURE);
    /* a hash of the path changed, or one left out */
    certlib_tlog_hash path[16];
    size_t n_path = path_of(1, b.leaf, N_MARKS, path);
    path[1][5] ^= 1;
    assert_int_equal(certlib_mark_batched(b.text[1], b.len[1], 1, path, n_path, b.note, b.note_len, mark,
                                          sizeof(mark), &len),
                     CERTLIB_OK);
    assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_E_NOTE_SIGNATURE);
    path[1][5] ^= 1;
    assert_int_equal(certlib_mark_batched(b.text[1], b.len[1], 1, path, n_path - 1, b.note, b.note_len, mark,
                                          sizeof(mark), &len),
                     CERTLIB_OK);
    assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_E_NOTE_SIGNATURE);
    /* mark 0's text with mark 1's path */
    path_of(1, b.leaf, N_MARKS, path);
    assert_int_equal(certlib_mark_batched(b.text[0], b.len[0], 1, path, n_path, b.note, b.note_len, mark,
                                          sizeof(mark), &len),
                     CERTLIB_OK);
    assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_E_NOTE_SIGNATURE);
}

static void test_a_batch_note_not_the_logs_is_refused(void **state)
{
    (void)state;
    static struct batch b;
    static certlib_mark m;
    char mark[CERTLIB_MARK_MAX];
    /* signed by another key under the log's name */
    uint8_t pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    make_batch(&b, 3, origin, sk2);
    size_t len = batched(&b, 0, 3, 0, mark, sizeof(mark));
    assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_E_NOTE_SIGNATURE);
    /* the log's key, but a note of another log's name inside */
    make_batch(&b, 3, origin, sk);
    char text[256], note[1024];
    size_t tlen;
    certlib_tlog_hash root;
    mth(b.leaf, 3, root);
    assert_int_equal(certlib_mark_batch_format("authd.other/access", 3, root, text, sizeof(text), &tlen),
                     CERTLIB_OK);
    assert_int_equal(certlib_note_sign(text, tlen, origin, sk, note, sizeof(note), &b.note_len), CERTLIB_OK);
    memcpy(b.note, note, b.note_len);
    len = batched(&b, 0, 3, 0, mark, sizeof(mark));
    assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_E_LOG_ORIGIN);
    /* notes the key signs that are no batch note: a checkpoint, a mark signed alone, a size with a
     * leading zero */
    static const char *const not_batches[] = {
        "authd.example/access\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "authd.example/access\ndisclosure/v1 3 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n",
        "authd.example/access\ndisclosure-batch/v1 03 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n",
        "authd.example/access\ndisclosure-batch/v1 3 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuF\n",
        "authd.example/access\ndisclosure-batch/v1 0 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n",
        "authd.example/access\ndisclosure-batch/v1 3 47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\nmore\n",
    };
    for (size_t i = 0; i < sizeof(not_batches) / sizeof(not_batches[0]); i++) {
        assert_int_equal(certlib_note_sign(not_batches[i], strlen(not_batches[i]), origin, sk, b.note,
                                           sizeof(b.note), &b.note_len),
                         CERTLIB_OK);
        len = batched(&b, 0, 3, 0, mark, sizeof(mark));
        assert_int_equal(certlib_mark_open(mark, len, &verifier, &m), CERTLIB_E_MARK);
    }
}

static void test_malformed_batched_marks(void **state)
{
    (void)state;
    static struct batch b;
    static certlib_mark m;
    char mark[CERTLIB_MARK_MAX], bad[CERTLIB_MARK_MAX];
    make_batch(&b, 3, origin, sk);
    size_t len = batched(&b, 2, 3, 2, mark, sizeof(mark));
    mark[len] = '\0';
    char *batch_line = strstr(mark, "\nbatch 2\n") + 1;
    size_t head = (size_t)(batch_line - mark);
    /* the place spelled with a leading zero, or not a number */
    snprintf(bad, sizeof(bad), "%.*sbatch 02\n%s", (int)head, mark, batch_line + 8);
    assert_int_equal(certlib_mark_open(bad, strlen(bad), &verifier, &m), CERTLIB_E_MARK);
    snprintf(bad, sizeof(bad), "%.*sbatch two\n%s", (int)head, mark, batch_line + 8);
    assert_int_equal(certlib_mark_open(bad, strlen(bad), &verifier, &m), CERTLIB_E_MARK);
    /* a path hash one character short */
    snprintf(bad, sizeof(bad), "%.*sbatch 2\n%s", (int)head, mark, batch_line + 9);
    assert_int_equal(certlib_mark_open(bad, strlen(bad), &verifier, &m), CERTLIB_E_MARK);
    /* no empty line before the note, or the note cut short */
    snprintf(bad, sizeof(bad), "%.*sbatch 2\n", (int)head, mark);
    assert_int_equal(certlib_mark_open(bad, strlen(bad), &verifier, &m), CERTLIB_E_MARK);
    assert_int_not_equal(certlib_mark_open(mark, len - 2, &verifier, &m), CERTLIB_OK);
    /* what certlib_mark_batched refuses to write */
    certlib_tlog_hash path[16];
    size_t n_path = path_of(2, b.leaf, 3, path), out_len;
    char with_gap[64] = "authd.example/access\n\nx\n";
    assert_int_equal(certlib_mark_batched(with_gap, strlen(with_gap), 0, path, n_path, b.note, b.note_len,
                                          bad, sizeof(bad), &out_len),
                     CERTLIB_E_MARK);
    assert_int_equal(
        certlib_mark_batched(b.text[2], b.len[2], 2, path, n_path, b.note, b.note_len, bad, len, &out_len),
        CERTLIB_E_BUFFER_TOO_SMALL);
    certlib_tlog_hash root = {0};
    char text[256];
    assert_int_equal(certlib_mark_batch_format(origin, 0, root, text, sizeof(text), &out_len),
                     CERTLIB_E_MARK);
    assert_int_equal(certlib_mark_batch_format(origin, 3, root, text, 20, &out_len),
                     CERTLIB_E_BUFFER_TOO_SMALL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_mark_of_a_batch_opens),
        cmocka_unit_test(test_a_mark_passed_off_as_another_is_refused),
        cmocka_unit_test(test_a_batch_note_not_the_logs_is_refused),
        cmocka_unit_test(test_malformed_batched_marks),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
