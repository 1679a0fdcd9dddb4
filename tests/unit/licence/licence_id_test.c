/* certlib/src/licence_id.c: GB/T 36904 identifiers against tests/vectors/licence-ids.tsv, and
 * composition round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "certlib/licence_id.h"
#include "tsv.h"

static const char *vectors_path;

static void check_vector(const struct tsv_row *row, void *arg)
{
    int *rows = arg;
    certlib_licence_id id;
    certlib_err err = certlib_licence_id_parse(row->fields[0], row->lens[0], &id);
    if (strcmp(certlib_err_name(err), row->fields[1]) != 0)
        fail_msg("line %zu (%s): expected %s, got %s", row->line, row->fields[2], row->fields[1],
                 certlib_err_name(err));
    if (err == CERTLIB_OK) {
        /* Composing from the parts gives the identifier back. */
        char again[CERTLIB_LICENCE_ID_MAX];
        assert_int_equal(certlib_licence_id_make(id.type_code, id.issuer_code, id.serial, id.version, again,
                                                 sizeof(again)),
                         CERTLIB_OK);
        assert_string_equal(again, row->fields[0]);
    }
    (*rows)++;
}

static void test_vectors(void **state)
{
    (void)state;
    int rows = 0;
    assert_true(tsv_each(vectors_path, check_vector, &rows) >= 20);
}

static void test_parts(void **state)
{
    (void)state;
    certlib_licence_id id;
    const char *s = "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0";
    assert_int_equal(certlib_licence_id_parse(s, strlen(s), &id), CERTLIB_OK);
    assert_string_equal(id.type_code, "11100000000013338W009");
    assert_string_equal(id.issuer_code, "11330105002500287C");
    assert_string_equal(id.serial, "2025052201");
    assert_int_equal(id.version, 2);
    assert_int_equal(id.check, '0');
}

static void test_make_errors(void **state)
{
    (void)state;
    char out[CERTLIB_LICENCE_ID_MAX];
    assert_int_equal(
        certlib_licence_id_make("11100000000013338W011", "11430000006122244L", "A", 1000, out, sizeof(out)),
        CERTLIB_E_LICENCE_ID);
    assert_int_equal(
        certlib_licence_id_make("11100000000013338W011", "11430000006122244L", "a", 1, out, sizeof(out)),
        CERTLIB_E_LICENCE_ID);
    assert_int_equal(certlib_licence_id_make("11100000000013338W011", "11430000006122244L", "A", 1, out, 10),
                     CERTLIB_E_BUFFER_TOO_SMALL);
    assert_int_equal(certlib_mod37_36("a", 1), '\0');
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    vectors_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_make_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
