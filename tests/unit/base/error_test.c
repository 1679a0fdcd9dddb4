/* certlib/src/error.c: every code has a unique name, a description and a class. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "certlib/error.h"

static void test_names_unique_and_classes(void **state)
{
    (void)state;
    const char *names[1000] = {0};
    int known = 0;
    for (int code = 0; code < 1000; code++) {
        certlib_err err = (certlib_err)code;
        const char *name = certlib_err_name(err);
        if (strcmp(name, "unknown_error") == 0) {
            assert_int_equal(certlib_err_class_of(err), CERTLIB_CLASS_UNKNOWN);
            assert_string_equal(certlib_strerror(err), "unknown error code");
            continue;
        }
        known++;
        for (int i = 0; i < code; i++)
            if (names[i]) assert_string_not_equal(names[i], name);
        names[code] = name;
        assert_true(strlen(certlib_strerror(err)) > 0);
        certlib_err_class expected = code == 0    ? CERTLIB_CLASS_OK
                                     : code < 100 ? CERTLIB_CLASS_MISUSE
                                     : code < 200 ? CERTLIB_CLASS_IDENT
                                     : code < 300 ? CERTLIB_CLASS_MALFORMED
                                     : code < 400 ? CERTLIB_CLASS_CRYPTO
                                     : code < 500 ? CERTLIB_CLASS_POLICY
                                                  : CERTLIB_CLASS_IO;
        assert_int_equal(certlib_err_class_of(err), expected);
    }
    assert_true(known >= 20);
}

static void test_stable_numbers(void **state)
{
    (void)state;
    /* Numbers are a public contract: these must never change. */
    assert_int_equal(CERTLIB_E_IDENT_CHECKSUM, 104);
    assert_int_equal(CERTLIB_E_IDENT_REGION, 105);
    assert_int_equal(CERTLIB_E_IO_OPEN, 500);
    assert_string_equal(certlib_err_name(CERTLIB_E_IDENT_CHECKSUM), "ident_checksum");
    assert_string_equal(certlib_err_name(CERTLIB_OK), "ok");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_unique_and_classes),
        cmocka_unit_test(test_stable_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
