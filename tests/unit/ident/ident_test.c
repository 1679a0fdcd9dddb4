/* certlib/src/ident.c: identity numbers of people, the dispatch by length, batches and upgrades. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/ident.h"
#include "tsv.h"

static const char *vectors_path, *reasons_path;

static void check_public_vector(const struct tsv_row *row, void *arg)
{
    (void)arg;
    /* input, valid, kind, source */
    certlib_ident r;
    certlib_ident_opts opts = {.today = 20261122};
    certlib_err err = certlib_ident_check(row->fields[0], row->lens[0], &opts, &r);
    int expect_valid = strcmp(row->fields[1], "true") == 0;
    if ((err == CERTLIB_OK) != expect_valid)
        fail_msg("line %zu: %s: expected %s, got %s (%s)", row->line, row->fields[0], row->fields[1],
                 err ? "invalid" : "valid", certlib_err_name(err));
    if (expect_valid) assert_string_equal(certlib_ident_kind_name(r.kind), row->fields[2]);
}

static void test_public_vectors(void **state)
{
    (void)state;
    long rows = tsv_each(vectors_path, check_public_vector, NULL);
    assert_true(rows > 200);
}

static uint32_t accept_of(const char *name)
{
    if (strcmp(name, "person") == 0) return CERTLIB_IDENT_ACCEPT_PERSON;
    if (strcmp(name, "org") == 0) return CERTLIB_IDENT_ACCEPT_ORG;
    return CERTLIB_IDENT_ACCEPT_ANY;
}

static void check_reason_vector(const struct tsv_row *row, void *arg)
{
    /* input, accept, today, reason, kind, normalized */
    int *seen = arg;
    certlib_ident r;
    certlib_ident_opts opts = {.accept = accept_of(row->fields[1]), .today = (uint32_t)atol(row->fields[2])};
    certlib_err err = certlib_ident_check(row->fields[0], row->lens[0], &opts, &r);
    if (strcmp(certlib_err_name(err), row->fields[3]) != 0 ||
        strcmp(certlib_ident_kind_name(r.kind), row->fields[4]))
        fail_msg("line %zu: expected %s/%s, got %s/%s", row->line, row->fields[3], row->fields[4],
                 certlib_err_name(err), certlib_ident_kind_name(r.kind));
    assert_int_equal(err, r.reason);
    if (err == CERTLIB_OK || err == CERTLIB_E_IDENT_KIND) assert_string_equal(r.normalized, row->fields[5]);
    if (err >= 100 && err < 200) seen[err - 100] = 1;
}

static void test_every_reason(void **state)
{
    (void)state;
    int seen[100] = {0};
    assert_true(tsv_each(reasons_path, check_reason_vector, seen) > 30);
    /* Every identifier rejection the checker can give appears in the vector file. */
    for (int code = CERTLIB_E_IDENT_EMPTY; code <= CERTLIB_E_IDENT_KIND; code++)
        if (!seen[code - 100]) fail_msg("no vector for %s", certlib_err_name((certlib_err)code));
}

static void test_person_fields(void **state)
{
    (void)state;
    certlib_ident r;
    assert_int_equal(certlib_ident_check("33010219200403064X", 18, NULL, &r), CERTLIB_OK);
    assert_int_equal(r.kind, CERTLIB_IDENT_RIC);
    assert_int_equal(r.region_code, 330102);
    assert_int_equal(r.birth_date, 19200403);
    assert_int_equal(r.sex, CERTLIB_SEX_FEMALE);
    assert_int_equal(r.normalized_len, 18);

    /* GB 11643-1999 Annex A: born 1880, still a valid number. */
    assert_int_equal(certlib_ident_check("440524188001010014", 18, NULL, &r), CERTLIB_OK);
    assert_int_equal(r.birth_date, 18800101);
    assert_int_equal(r.sex, CERTLIB_SEX_MALE);

    assert_int_equal(certlib_ident_check("110101491001001", 15, NULL, &r), CERTLIB_OK);
    assert_int_equal(r.kind, CERTLIB_IDENT_RIC15);
    assert_int_equal(r.birth_date, 19491001);
    assert_int_equal(r.sex, CERTLIB_SEX_MALE);

    assert_int_equal(certlib_ident_check("932682198501010017", 18, NULL, &r), CERTLIB_OK);
    assert_int_equal(r.kind, CERTLIB_IDENT_FOREIGN_PR);
    assert_int_equal(r.region_code, 320000);
}

static void test_default_today_rejects_future(void **state)
{
    (void)state;
    certlib_ident r;
    /* Born 2300-01-01 with a correct check character: the real clock must reject it. */
    assert_int_equal(certlib_ident_check("110105230001010013", 18, NULL, &r), CERTLIB_E_IDENT_DATE_RANGE);
}

static void test_upgrade15(void **state)
{
    (void)state;
    char out[19];
    assert_int_equal(certlib_ident_upgrade15("110101491001001", 15, NULL, out), CERTLIB_OK);
    assert_string_equal(out, "11010119491001001X");
    certlib_ident r;
    assert_int_equal(certlib_ident_check(out, 18, NULL, &r), CERTLIB_OK);
    assert_int_equal(certlib_ident_upgrade15("150102880730303", 15, NULL, out), CERTLIB_OK);
    assert_int_equal(certlib_ident_check(out, 18, NULL, &r), CERTLIB_OK);
    assert_int_equal(r.birth_date, 19880730);
    assert_int_equal(certlib_ident_upgrade15("11010519491231002X", 18, NULL, out),
                     CERTLIB_E_IDENT_NOT_LEGACY);
    assert_int_equal(certlib_ident_upgrade15("110101940231001", 15, NULL, out), CERTLIB_E_IDENT_DATE);
    assert_int_equal(certlib_ident_upgrade15("12", 2, NULL, out), CERTLIB_E_IDENT_LENGTH);
}

static void test_batch(void **state)
{
    (void)state;
    static const char *inputs[] = {"11010519491231002X", "bad", "", "91110000600037341L", "110101491001001",
                                   "91110000600037341N"};
    enum { N = sizeof(inputs) / sizeof(inputs[0]) };
    certlib_slice slices[N + 1];
    certlib_ident results[N + 1];
    for (size_t i = 0; i < N; i++)
        slices[i] = (certlib_slice){(const uint8_t *)inputs[i], strlen(inputs[i])};
    slices[N] = (certlib_slice){NULL, 5}; /* a NULL pointer is an empty input, not a crash */
    assert_int_equal(certlib_ident_check_batch(slices, N + 1, NULL, results), 3);
    assert_int_equal(results[0].reason, CERTLIB_OK);
    assert_int_equal(results[1].reason, CERTLIB_E_IDENT_LENGTH);
    assert_int_equal(results[2].reason, CERTLIB_E_IDENT_EMPTY);
    assert_int_equal(results[3].kind, CERTLIB_IDENT_USCC);
    assert_int_equal(results[4].kind, CERTLIB_IDENT_RIC15);
    assert_int_equal(results[5].reason, CERTLIB_E_IDENT_CHECKSUM);
    assert_int_equal(results[6].reason, CERTLIB_E_IDENT_EMPTY);
    assert_int_equal(certlib_ident_check_batch(NULL, 3, NULL, results), 0);
}

static void test_hostile_input(void **state)
{
    (void)state;
    size_t len = 1 << 20;
    char *big = malloc(len);
    memset(big, '1', len);
    certlib_ident r;
    assert_int_equal(certlib_ident_check(big, len, NULL, &r), CERTLIB_E_IDENT_LENGTH);
    big[7] = '\0';
    assert_int_equal(certlib_ident_check(big, len, NULL, &r), CERTLIB_E_IDENT_ENCODING);
    free(big);
    assert_int_equal(certlib_ident_check(NULL, 0, NULL, &r), CERTLIB_E_IDENT_EMPTY);
    assert_int_equal(certlib_ident_check(NULL, 3, NULL, &r), CERTLIB_E_INVALID_ARGUMENT);
    assert_int_equal(certlib_ident_check("x", 1, NULL, NULL), CERTLIB_E_INVALID_ARGUMENT);
}

static void test_mask(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(certlib_ident_mask("33010219200403064X", 18, 6, 4, out, sizeof(out)), CERTLIB_OK);
    assert_string_equal(out, "330102********064X");
    assert_int_equal(certlib_ident_mask("12345", 5, 3, 2, out, sizeof(out)), CERTLIB_OK);
    assert_string_equal(out, "*****"); /* head and tail would show everything */
    assert_int_equal(certlib_ident_mask("33010219200403064X", 18, 6, 4, out, 18), CERTLIB_E_BUFFER_TOO_SMALL);
    assert_int_equal(certlib_ident_mask("3301\n", 5, 1, 1, out, sizeof(out)), CERTLIB_E_IDENT_CHARSET);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ident_test ident-vectors.tsv ident-reasons.tsv\n");
        return 2;
    }
    vectors_path = argv[1];
    reasons_path = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_vectors), cmocka_unit_test(test_every_reason),
        cmocka_unit_test(test_person_fields),  cmocka_unit_test(test_default_today_rejects_future),
        cmocka_unit_test(test_upgrade15),      cmocka_unit_test(test_batch),
        cmocka_unit_test(test_hostile_input),  cmocka_unit_test(test_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
