/* certlib_ident_find: identifiers inside free text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "certlib/ident.h"

static bool find(const char *text, uint32_t accept, certlib_ident *found, size_t *at, size_t *len)
{
    certlib_ident_opts opts = {.accept = accept, .today = 20261130};
    return certlib_ident_find(text, strlen(text), &opts, found, at, len);
}

static void test_found_in_text(void **state)
{
    (void)state;
    certlib_ident id;
    size_t at, len;
    assert_true(find("身份证号11010519491231002X", 0, &id, &at, &len));
    assert_int_equal(id.kind, CERTLIB_IDENT_RIC);
    assert_int_equal(at, 12);
    assert_int_equal(len, 18);
    assert_true(find("11010519491231002x", 0, &id, NULL, NULL));
    assert_true(find("applicant (11010519491231002X) asked", 0, &id, NULL, NULL));
    assert_true(find("营业执照91330106MA2H12349J补办", 0, &id, NULL, NULL));
    assert_int_equal(id.kind, CERTLIB_IDENT_USCC);
    assert_true(find("old card 110105491231002", 0, &id, NULL, NULL));
    assert_int_equal(id.kind, CERTLIB_IDENT_RIC15);
}

static void test_typed_with_separators_or_full_width(void **state)
{
    (void)state;
    certlib_ident id;
    size_t at, len;
    assert_true(find("110105 19491231 002X", 0, &id, &at, &len));
    assert_int_equal(at, 0);
    assert_int_equal(len, 20);
    assert_true(find("号码 110105-1949-1231-002X 。", 0, &id, NULL, NULL));
    assert_true(find("１１０１０５１９４９１２３１００２Ｘ", 0, &id, &at, &len));
    assert_int_equal(len, 54);
    assert_true(find("１１０１０５　１９４９１２３１００２ｘ", 0, &id, NULL, NULL));
    /* two separators in a row end the run */
    assert_false(find("110105  19491231002X", 0, &id, NULL, NULL));
}

static void test_not_found(void **state)
{
    (void)state;
    certlib_ident id;
    assert_false(find("", 0, &id, NULL, NULL));
    assert_false(find("证件遗失，申请补办", 0, &id, NULL, NULL));
    assert_false(find("11010519491231002Y", 0, &id, NULL, NULL)); /* check character wrong */
    assert_false(find("case 2024-0001 of 12345678", 0, &id, NULL, NULL));
    /* a licence type code holds a USCC but is a longer token: not an identifier on its own */
    assert_false(find("type 11100000000013338W001", 0, &id, NULL, NULL));
    /* a longer token around a valid number is not it either */
    assert_false(find("x11010519491231002X", 0, &id, NULL, NULL));
    /* kinds outside `accept` */
    assert_false(find("91330106MA2H12349J", CERTLIB_IDENT_ACCEPT_PERSON, &id, NULL, NULL));
    assert_true(find("91330106MA2H12349J", CERTLIB_IDENT_ACCEPT_ORG, &id, NULL, NULL));
}

static void test_many_tokens_and_hostile_bytes(void **state)
{
    (void)state;
    char text[4096] = "";
    for (int i = 0; i < 200; i++)
        strcat(text, "1 ");
    strcat(text, "11010519491231002X");
    certlib_ident id;
    assert_true(find(text, 0, &id, NULL, NULL));
    static const char hostile[] = "\xEF\xBC\x91\xEF\xBC\xff\xE3\x80\xC0\xF0\x90 11010519491231002X \xEF\xBC";
    assert_true(certlib_ident_find(hostile, sizeof(hostile) - 1, NULL, &id, NULL, NULL));
    for (size_t cut = 0; cut < sizeof(hostile); cut++) /* every truncation: no read past the end */
        (void)certlib_ident_find(hostile, cut, NULL, NULL, NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found_in_text),
        cmocka_unit_test(test_typed_with_separators_or_full_width),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_many_tokens_and_hostile_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
