/* certlib/src/utf8.c: UTF-8 validation and JSON string output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/utf8.h"

static int valid(const char *s, size_t len)
{
    return certlib__utf8_valid((const uint8_t *)s, len);
}

static void test_validation(void **state)
{
    (void)state;
    assert_true(valid("", 0));
    assert_true(valid("abc", 3));
    assert_true(valid("浙江省", strlen("浙江省")));
    assert_true(valid("\xF0\x9F\x98\x80", 4));  /* U+1F600 */
    assert_true(valid("\xF4\x8F\xBF\xBF", 4));  /* U+10FFFF */
    assert_false(valid("\xC0\xAF", 2));         /* overlong '/' */
    assert_false(valid("\xE0\x80\xAF", 3));     /* overlong */
    assert_false(valid("\xED\xA0\x80", 3));     /* surrogate U+D800 */
    assert_false(valid("\xF4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(valid("\xE6\xB5", 2));         /* truncated */
    assert_false(valid("\xFF", 1));
    assert_false(valid("\x80", 1));
}

static const char *json(const char *s, size_t len, char *buf, size_t cap)
{
    struct certlib__out out = {buf, cap, 0};
    certlib__out_json_string(&out, (const uint8_t *)s, len);
    certlib__out_finish(&out);
    return buf;
}

static void test_json_string(void **state)
{
    (void)state;
    char buf[128];
    assert_string_equal(json("a\"b\\c", 5, buf, sizeof(buf)), "\"a\\\"b\\\\c\"");
    assert_string_equal(json("\x00\x1f\x7f", 3, buf, sizeof(buf)), "\"\\u0000\\u001f\\u007f\"");
    assert_string_equal(json("\xff"
                             "a",
                             2, buf, sizeof(buf)),
                        "\"\xEF\xBF\xBD"
                        "a\"");
    assert_string_equal(json("浙", 3, buf, sizeof(buf)), "\"浙\"");
    /* Truncation keeps the NUL inside the buffer and still counts the full length. */
    struct certlib__out out = {buf, 4, 0};
    certlib__out_json_string(&out, (const uint8_t *)"abcdef", 6);
    assert_int_equal(certlib__out_finish(&out), 8);
    assert_string_equal(buf, "\"ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_json_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
