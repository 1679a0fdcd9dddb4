/* authd jsonw.h: strings escaped as RFC 8259 wants, text that is not UTF-8 refused, bytes in
 * base64url, and output far larger than the first buffer; every result parsed back with jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static json_t *parse_taken(struct authd_jsonw *w)
{
    size_t len;
    char *text = authd_jsonw_take(w, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    json_error_t error;
    json_t *doc = json_loadb(text, len, 0, &error);
    if (!doc) fail_msg("not JSON (%s): %s", error.text, text);
    free(text);
    return doc;
}

static void test_strings(void **state)
{
    (void)state;
    static const char hostile[] = "a\"b\\c\nd\x01\x1f 杭州 \x7f end";
    struct authd_jsonw w = {0};
    authd_jsonw_lit(&w, "[");
    authd_jsonw_string(&w, hostile, sizeof(hostile) - 1);
    authd_jsonw_lit(&w, ",");
    authd_jsonw_cstring(&w, NULL);
    authd_jsonw_lit(&w, ",");
    authd_jsonw_int(&w, -9223372036854775807LL - 1);
    authd_jsonw_lit(&w, ",");
    static const uint8_t bytes[] = {0xfb, 0xff, 0xbf, 0x00, 0x01};
    authd_jsonw_base64url(&w, bytes, sizeof(bytes));
    authd_jsonw_lit(&w, "]");
    json_t *doc = parse_taken(&w);
    assert_null(w.buf); /* taken: the writer is empty again */
    assert_string_equal(json_string_value(json_array_get(doc, 0)), hostile);
    assert_true(json_is_null(json_array_get(doc, 1)));
    assert_true(json_integer_value(json_array_get(doc, 2)) == -9223372036854775807LL - 1);
    assert_string_equal(json_string_value(json_array_get(doc, 3)), "-_-_AAE");
    json_decref(doc);
}

static void test_invalid_utf8_fails_the_writer(void **state)
{
    (void)state;
    static const char *const bad[] = {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe6\x9d"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct authd_jsonw w = {0};
        authd_jsonw_lit(&w, "{\"a\":");
        authd_jsonw_cstring(&w, bad[i]);
        authd_jsonw_lit(&w, "}");
        assert_true(w.failed);
        size_t len = 99;
        assert_null(authd_jsonw_take(&w, &len));
        assert_null(w.buf);
        assert_false(w.failed); /* empty and usable again */
    }
}

static void test_growth(void **state)
{
    (void)state;
    struct authd_jsonw w = {0};
    uint8_t *bytes = malloc(100000);
    for (size_t i = 0; i < 100000; i++)
        bytes[i] = (uint8_t)(i * 7);
    authd_jsonw_lit(&w, "[");
    for (int i = 0; i < 3000; i++) {
        if (i) authd_jsonw_lit(&w, ",");
        authd_jsonw_cstring(&w, "电子证照\"");
    }
    authd_jsonw_lit(&w, ",");
    authd_jsonw_base64url(&w, bytes, 100000);
    authd_jsonw_lit(&w, "]");
    json_t *doc = parse_taken(&w);
    assert_int_equal(json_array_size(doc), 3001);
    assert_string_equal(json_string_value(json_array_get(doc, 2999)), "电子证照\"");
    assert_int_equal(json_string_length(json_array_get(doc, 3000)), (100000 * 4 + 2) / 3);
    json_decref(doc);
    authd_jsonw_lit(&w, "partial");
    authd_jsonw_discard(&w);
    assert_null(w.buf);
    free(bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_invalid_utf8_fails_the_writer),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
