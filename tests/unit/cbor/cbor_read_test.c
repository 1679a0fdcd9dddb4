/* certlib/src/cbor_read.c: the strict reader's verdict on every vector of tests/vectors/cbor-reader.tsv,
 * plus the typed reads and the writer's round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_read.h"
#include "cbor/cbor_write.h"
#include "tsv.h"

static const char *vectors_path;

static size_t from_hex(const char *hex, size_t len, uint8_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i + 1 < len; i += 2) {
        char pair[3] = {hex[i], hex[i + 1], 0};
        out[n++] = (uint8_t)strtoul(pair, NULL, 16);
    }
    return n;
}

static void check_vector(const struct tsv_row *row, void *arg)
{
    int *rows = arg;
    uint8_t bytes[256];
    size_t n = from_hex(row->fields[0], row->lens[0], bytes);
    cbr r;
    cbr_init(&r, bytes, n);
    certlib_err err = certlib__cbr_skip(&r, 0);
    if (!err) err = cbr_done(&r);
    if (strcmp(certlib_err_name(err), row->fields[1]) != 0)
        fail_msg("line %zu (%s): expected %s, got %s", row->line, row->fields[2], row->fields[1],
                 certlib_err_name(err));
    (*rows)++;
}

static void test_vectors(void **state)
{
    (void)state;
    int rows = 0;
    assert_true(tsv_each(vectors_path, check_vector, &rows) > 30);
    assert_true(rows > 30);
}

static void test_typed_reads(void **state)
{
    (void)state;
    /* [-5, "ab", h'0102', {1: 2}, 24(h'00')] */
    static const uint8_t in[] = {0x85, 0x24, 0x62, 'a',  'b',  0x42, 1,   2,
                                 0xa1, 0x01, 0x02, 0xd8, 0x18, 0x41, 0x00};
    cbr r;
    cbr_init(&r, in, sizeof(in));
    uint64_t n;
    int64_t v;
    certlib_slice s, whole;
    assert_int_equal(certlib__cbr_array(&r, &n), CERTLIB_OK);
    assert_int_equal(n, 5);
    assert_int_equal(certlib__cbr_tstr(&r, &s), CERTLIB_E_CBOR_TYPE); /* the next item is an int */
    assert_int_equal(certlib__cbr_int(&r, &v), CERTLIB_OK);
    assert_int_equal(v, -5);
    assert_int_equal(certlib__cbr_tstr(&r, &s), CERTLIB_OK);
    assert_true(slice_eq_str(s, "ab"));
    assert_int_equal(certlib__cbr_bstr(&r, &s), CERTLIB_OK);
    assert_int_equal(s.len, 2);
    assert_int_equal(certlib__cbr_map(&r, &n), CERTLIB_OK);
    assert_int_equal(certlib__cbr_skip(&r, 0), CERTLIB_OK);
    assert_int_equal(certlib__cbr_skip(&r, 0), CERTLIB_OK);
    assert_int_equal(certlib__cbr_embedded(&r, &s, &whole), CERTLIB_OK);
    assert_int_equal(s.len, 1);
    assert_int_equal(whole.len, 4);
    assert_ptr_equal(whole.ptr, in + 11);
    assert_int_equal(cbr_done(&r), CERTLIB_OK);
    assert_int_equal(certlib__cbr_uint(&r, &n), CERTLIB_E_CBOR_TRUNCATED);
}

static void test_unique_keys(void **state)
{
    (void)state;
    certlib_slice keys[3] = {
        {(const uint8_t *)"\x61\x61", 2}, {(const uint8_t *)"\x61\x62", 2}, {(const uint8_t *)"\x61\x61", 2}};
    assert_int_equal(certlib__cbr_unique_keys(keys, 2), CERTLIB_OK);
    assert_int_equal(certlib__cbr_unique_keys(keys, 3), CERTLIB_E_CBOR_DUPLICATE_KEY);
}

/* Whatever the writer produces, the strict reader accepts: heads are always preferred. */
static void test_writer_round_trip(void **state)
{
    (void)state;
    static const int64_t ints[] = {0,     23,    24,           255,          256,
                                   65535, 65536, 4294967295LL, 4294967296LL, INT64_MAX,
                                   -1,    -24,   -25,          -65600,       INT64_MIN};
    cbw w = {0};
    certlib__cbw_array(&w, sizeof(ints) / sizeof(ints[0]) + 2);
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        certlib__cbw_int(&w, ints[i]);
    uint8_t big[300] = {0};
    certlib__cbw_bstr(&w, big, sizeof(big));
    certlib__cbw_tstr(&w, "电子证照");
    assert_int_equal(cbw_status(&w), CERTLIB_OK);
    cbr r;
    cbr_init(&r, w.buf, w.len);
    uint64_t n;
    assert_int_equal(certlib__cbr_array(&r, &n), CERTLIB_OK);
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        int64_t v;
        assert_int_equal(certlib__cbr_int(&r, &v), CERTLIB_OK); /* INT64_MIN too: n = 2^63 - 1 */
        assert_true(v == ints[i]);
    }
    certlib_slice s;
    assert_int_equal(certlib__cbr_bstr(&r, &s), CERTLIB_OK);
    assert_int_equal(s.len, sizeof(big));
    assert_int_equal(certlib__cbr_tstr(&r, &s), CERTLIB_OK);
    assert_int_equal(cbr_done(&r), CERTLIB_OK);
    certlib__cbw_free(&w);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: cbor_read_test cbor-reader.tsv\n");
        return 2;
    }
    vectors_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_typed_reads),
        cmocka_unit_test(test_unique_keys),
        cmocka_unit_test(test_writer_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
