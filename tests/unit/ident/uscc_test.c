/* certlib/src/uscc.c: USCC (GB 32100) and organisation codes (GB 11714). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "certlib/ident.h"
#include "ident/uscc.h"

static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int value_of(char c)
{
    return (int)(strchr(alphabet, c) - alphabet);
}

/* Completes 17 characters with the GB 32100 check character. */
static void complete_uscc(char code[19])
{
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += value_of(code[i]) * w[i];
    code[17] = alphabet[(31 - sum % 31) % 31];
    code[18] = '\0';
}

/* GB 32100-2015 and its later assignments, as the design lists them. */
static int pair_assigned(char authority, char category)
{
    static const char *const pairs[] = {"11", "12", "13", "19", "21", "29", "31", "32", "33",
                                        "34", "35", "39", "41", "49", "51", "52", "53", "59",
                                        "61", "62", "69", "71", "72", "79", "81", "89", "91",
                                        "92", "93", "A1", "A9", "N1", "N2", "N3", "N9", "Y1"};
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        if (pairs[i][0] == authority && pairs[i][1] == category) return 1;
    return 0;
}

static void test_every_category_pair(void **state)
{
    (void)state;
    int accepted = 0;
    for (const char *a = alphabet; *a; a++) {
        for (const char *c = alphabet; *c; c++) {
            char code[19];
            /* region 330106, organisation code 12345678-8 */
            snprintf(code, sizeof(code), "%c%c330106123456788", *a, *c);
            complete_uscc(code);
            certlib_ident r;
            certlib_err err = certlib_ident_check(code, 18, NULL, &r);
            if (pair_assigned(*a, *c)) {
                assert_int_equal(err, CERTLIB_OK);
                assert_non_null(certlib__uscc_category_label(*a, *c));
                accepted++;
            } else if (err == CERTLIB_OK) {
                fail_msg("%s accepted with unassigned pair %c%c", code, *a, *c);
            }
        }
    }
    assert_int_equal(accepted, 36);
}

static void test_labels(void **state)
{
    (void)state;
    assert_string_equal(certlib__uscc_authority_label('9'), "工商");
    assert_string_equal(certlib__uscc_category_label('9', '2'), "个体工商户");
    assert_string_equal(certlib__uscc_category_label('5', '3'), "基金会");
    assert_null(certlib__uscc_authority_label('Z'));
    assert_null(certlib__uscc_category_label('9', '9'));
}

static void test_central_region(void **state)
{
    (void)state;
    certlib_ident r;
    assert_int_equal(certlib_ident_check("11100000000013338W", 18, NULL, &r), CERTLIB_OK);
    assert_int_equal(r.region_code, 100000);
}

static void test_org_code_forms(void **state)
{
    (void)state;
    certlib_ident r;
    assert_int_equal(certlib_ident_check("60003734-1", 10, NULL, &r), CERTLIB_OK);
    assert_string_equal(r.normalized, "60003734-1");
    assert_int_equal(certlib_ident_check("600037341", 9, NULL, &r), CERTLIB_OK);
    assert_string_equal(r.normalized, "60003734-1");
    /* Check value 10 is written X, 11 is written 0 (GB 11714-1997 §5). */
    assert_int_equal(certlib_ident_check("MA2PBQAH-7", 10, NULL, &r), CERTLIB_OK);
    assert_int_equal(certlib_ident_check("ma2pbqah7", 9, NULL, &r), CERTLIB_OK);
    assert_string_equal(r.normalized, "MA2PBQAH-7");
    assert_int_equal(certlib_ident_check("60003734_1", 10, NULL, &r), CERTLIB_E_IDENT_LENGTH);
    assert_int_equal(certlib_ident_check("60003734-A", 10, NULL, &r), CERTLIB_E_IDENT_CHARSET);
}

static void test_org_code_check_values(void **state)
{
    (void)state;
    /* Bodies whose check value is 10 and 11, found by search so both encodings are exercised. */
    int found_x = 0, found_0 = 0;
    char body[10];
    for (int n = 0; n < 100000 && !(found_x && found_0); n++) {
        snprintf(body, sizeof(body), "%08d", n);
        static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
        int sum = 0;
        for (int i = 0; i < 8; i++)
            sum += (body[i] - '0') * w[i];
        int check = 11 - sum % 11;
        if (check != 10 && check != 11) continue;
        body[8] = check == 10 ? 'X' : '0';
        body[9] = '\0';
        certlib_ident r;
        assert_int_equal(certlib_ident_check(body, 9, NULL, &r), CERTLIB_OK);
        if (check == 10)
            found_x = 1;
        else
            found_0 = 1;
    }
    assert_true(found_x && found_0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_category_pair),   cmocka_unit_test(test_labels),
        cmocka_unit_test(test_central_region),        cmocka_unit_test(test_org_code_forms),
        cmocka_unit_test(test_org_code_check_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
