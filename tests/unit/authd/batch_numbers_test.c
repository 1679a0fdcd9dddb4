/* authd batch_numbers.h: the plain form of a batch check read without a JSON tree. Whatever it reads,
 * jansson reads to the same strings; whatever is not plain it leaves to jansson; and it never reads past
 * the body (every prefix of every case is tried, each in a buffer of its own size). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "batch_numbers.h"

/* Reads `doc` (len bytes, from a buffer of exactly that size) both ways and checks they agree. */
static enum authd_batch_read read_and_compare(const char *doc, size_t len, size_t max)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, doc, len);
    struct authd_batch_numbers got;
    enum authd_batch_read r = authd_batch_numbers_read(copy, len, max, &got);
    json_t *ref = json_loadb(copy, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    json_t *numbers = json_object_get(ref, "numbers");
    if (r == AUTHD_BATCH_READ || r == AUTHD_BATCH_TOO_MANY) {
        /* plain: jansson reads it, to an object with nothing but an array of strings */
        assert_non_null(ref);
        assert_int_equal(json_object_size(ref), 1);
        assert_true(json_is_array(numbers));
        assert_int_equal(json_array_size(numbers), got.n);
    }
    if (r == AUTHD_BATCH_READ) {
        for (size_t i = 0; i < got.n; i++) {
            json_t *s = json_array_get(numbers, i);
            assert_true(json_is_string(s));
            assert_int_equal(json_string_length(s), got.offsets[i + 1] - got.offsets[i]);
            assert_memory_equal(json_string_value(s), got.strings + got.offsets[i], json_string_length(s));
        }
    }
    free(got.strings);
    free(got.offsets);
    json_decref(ref);
    free(copy);
    return r;
}

static void test_plain_documents_read_as_jansson_reads_them(void **state)
{
    (void)state;
    static const char *const plain[] = {
        "{\"numbers\":[]}", "{\"numbers\":[\"11010519491231002X\"]}",
        " {\n\t\"numbers\" : [ \"11010519491231002X\" , \"\" ,\"91350100M000100Y43\"] } \r\n",
        "{\"numbers\":[\"张三\",\"x\x7f\"]}", /* UTF-8 and DEL need no escape */
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        assert_int_equal(read_and_compare(plain[i], strlen(plain[i]), 100), AUTHD_BATCH_READ);
}

static void test_anything_else_is_left_to_jansson(void **state)
{
    (void)state;
    static const char *const other[] = {
        "",
        "[]",
        "{}",
        "{\"numbers\":[\"a\\\"b\"]}",                /* an escape */
        "{\"numbers\":[\"\\u0031\"]}",               /* an escaped digit: jansson's to read */
        "{\"numb\\u0065rs\":[\"1\"]}",               /* an escaped key */
        "{\"numbers\":[\"1\"],\"numbers\":[\"2\"]}", /* a duplicate: jansson refuses it */
        "{\"numbers\":[\"1\"],\"other\":1}",
        "{\"other\":[\"1\"]}",
        "{\"numbers\":[1]}",
        "{\"numbers\":[\"1\",]}",
        "{\"numbers\":[\"1\" \"2\"]}",
        "{\"numbers\":[\"1\"]",
        "{\"numbers\":[\"1\"]}x",
        "{\"numbers\":[\"1\"]}{}",
        "{\"numbers\":\"1\"}",
        "{\"numbers\":[\"a\tb\"]}",     /* a raw control character: invalid JSON */
        "{\"numbers\":[\"\xff\"]}",     /* invalid UTF-8 */
        "{\"numbers\":[\"\xe5\xbc\"]}", /* a cut sequence */
        "{\"numbers\":[\"1]}",
    };
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        assert_int_equal(read_and_compare(other[i], strlen(other[i]), 100), AUTHD_BATCH_NOT_PLAIN);
}

static void test_too_many_numbers_are_counted_not_copied(void **state)
{
    (void)state;
    const char *doc = "{\"numbers\":[\"1\",\"2\",\"3\"]}";
    assert_int_equal(read_and_compare(doc, strlen(doc), 2), AUTHD_BATCH_TOO_MANY);
    assert_int_equal(read_and_compare(doc, strlen(doc), 3), AUTHD_BATCH_READ);
}

static void test_every_prefix_is_refused_or_read_within_bounds(void **state)
{
    (void)state;
    const char *doc = " {\"numbers\" : [\"11010519491231002X\", \"张三\", \"\"] } ";
    size_t len = strlen(doc);
    for (size_t n = 0; n <= len; n++) {
        enum authd_batch_read r = read_and_compare(doc, n, 100);
        assert_true(r == AUTHD_BATCH_NOT_PLAIN || (r == AUTHD_BATCH_READ && n >= len - 1));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_documents_read_as_jansson_reads_them),
        cmocka_unit_test(test_anything_else_is_left_to_jansson),
        cmocka_unit_test(test_too_many_numbers_are_counted_not_copied),
        cmocka_unit_test(test_every_prefix_is_refused_or_read_within_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
