/* certlib/src/ident_format.c: names, region names and the JSON shared by certctl and authd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/ident.h"

static json_t *render(const char *input, size_t len)
{
    certlib_ident r;
    certlib_ident_check(input, len, NULL, &r);
    size_t need = certlib_ident_to_json(&r, NULL, input, len, NULL, 0);
    char *buf = malloc(need + 1);
    assert_int_equal(certlib_ident_to_json(&r, NULL, input, len, buf, need + 1), need);
    json_error_t error;
    json_t *doc = json_loads(buf, JSON_ALLOW_NUL, &error);
    if (!doc) fail_msg("invalid JSON %s: %s", buf, error.text);
    free(buf);
    return doc;
}

static const char *str(json_t *doc, const char *key)
{
    json_t *v = json_object_get(doc, key);
    if (!json_is_string(v)) fail_msg("%s is not a string", key);
    return json_string_value(v);
}

static void test_valid_person(void **state)
{
    (void)state;
    json_t *doc = render("33090219900101123x", 18);
    json_decref(doc);
    doc = render("11010519491231002x", 18);
    assert_true(json_is_true(json_object_get(doc, "valid")));
    assert_string_equal(str(doc, "input"), "11010519491231002x");
    assert_string_equal(str(doc, "normalized"), "11010519491231002X");
    assert_string_equal(str(doc, "kind"), "ric");
    assert_string_equal(str(doc, "region_code"), "110105");
    assert_string_equal(str(doc, "region_name"), "北京市 朝阳区");
    assert_string_equal(str(doc, "birth_date"), "1949-12-31");
    assert_string_equal(str(doc, "sex"), "female");
    assert_true(json_is_null(json_object_get(doc, "reason")));
    json_decref(doc);
}

static void test_valid_org(void **state)
{
    (void)state;
    json_t *doc = render("91330106123456788X", 18);
    json_decref(doc);
    doc = render("11100000000013338W", 18);
    assert_string_equal(str(doc, "kind"), "uscc");
    assert_string_equal(str(doc, "region_name"), "中央");
    assert_string_equal(str(doc, "org_code"), "00001333-8");
    assert_string_equal(str(doc, "authority"), "机构编制");
    assert_string_equal(str(doc, "category"), "机关");
    assert_null(json_object_get(doc, "birth_date"));
    json_decref(doc);
    doc = render("830000198802110027", 18);
    assert_string_equal(str(doc, "kind"), "hmt");
    assert_string_equal(str(doc, "region_name"), "台湾地区");
    json_decref(doc);
}

static void test_invalid_and_hostile(void **state)
{
    (void)state;
    json_t *doc = render("\xff\x00\"", 3);
    assert_true(json_is_false(json_object_get(doc, "valid")));
    assert_string_equal(str(doc, "reason"), "ident_encoding");
    assert_true(json_is_null(json_object_get(doc, "normalized")));
    json_decref(doc);

    char long_input[1000];
    memset(long_input, '7', sizeof(long_input));
    doc = render(long_input, sizeof(long_input));
    assert_int_equal(strlen(str(doc, "input")), 256);
    assert_true(json_is_true(json_object_get(doc, "input_truncated")));
    assert_string_equal(str(doc, "reason"), "ident_length");
    json_decref(doc);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(certlib_ident_kind_name(CERTLIB_IDENT_FOREIGN_PR), "foreign_pr");
    assert_string_equal(certlib_ident_kind_name((certlib_ident_kind)99), "unknown");
    assert_string_equal(certlib_ident_kind_label(CERTLIB_IDENT_USCC), "统一社会信用代码");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_person),
        cmocka_unit_test(test_valid_org),
        cmocka_unit_test(test_invalid_and_hostile),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
