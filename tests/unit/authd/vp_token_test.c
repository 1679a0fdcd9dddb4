/* authd vp_token.h: a wallet's vp_token read without a JSON tree when plain. Whatever the plain reader
 * takes, jansson reads to the same entries; what it leaves (escapes, a query answered twice or by other
 * than one string, a key twice, broken JSON) jansson reads or refuses with the reason; and no prefix of
 * any case is read past its end (each in a buffer of its own size). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "vp_token.h"

/* Reads `doc` both ways, from a buffer of exactly its size: when plain, jansson agrees. */
static int read_and_compare(const char *doc, size_t len)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, doc, len);
    struct authd_vp_token plain, full;
    int is_plain = authd_vp_token_read_plain(copy, len, &plain);
    json_t *ref = json_loadb(copy, len, 0, NULL);
    if (is_plain) {
        assert_non_null(ref);
        assert_true(json_is_object(ref));
        assert_int_equal(json_object_size(ref), plain.n);
        for (size_t i = 0; i < plain.n; i++) {
            const struct authd_vp_entry *e = &plain.entries[i];
            char *key = strndup(e->id, e->id_len);
            json_t *list = json_object_get(ref, key);
            free(key);
            assert_true(json_is_array(list) && json_array_size(list) == 1);
            json_t *p = json_array_get(list, 0);
            assert_int_equal(json_string_length(p), e->presentation_len);
            assert_memory_equal(json_string_value(p), e->presentation, e->presentation_len);
        }
    }
    const char *why = authd_vp_token_read(copy, len, &full);
    if (!why) assert_true(full.n >= 1 && full.n <= AUTHD_MATTER_MAX_NEEDS);
    if (is_plain && plain.n) assert_null(why);
    authd_vp_token_free(&full);
    json_decref(ref);
    free(copy);
    return is_plain;
}

static void every_prefix(const char *doc)
{
    for (size_t n = 0; n <= strlen(doc); n++)
        read_and_compare(doc, n);
}

static void test_plain_tokens_read_as_jansson_reads_them(void **state)
{
    (void)state;
    static const char *const plain[] = {
        "{\"hukou\":[\"o2d2ZXJzaW9uYzEuMGlkb2N1bWVudHOB\"]}",
        " {\n\t\"hukou\" : [ \"AAAA\" ] , \"divorce\":[\"\"] } \r\n",
        "{\"张\":[\"x\x7f\"]}", /* UTF-8 and DEL need no escape */
        "{}",                   /* plain, and refused: no query answered */
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        assert_int_equal(read_and_compare(plain[i], strlen(plain[i])), 1);
        every_prefix(plain[i]);
    }
    struct authd_vp_token t;
    assert_null(authd_vp_token_read(plain[1], strlen(plain[1]), &t));
    assert_int_equal(t.n, 2);
    assert_null(t.doc); /* no tree built */
    assert_memory_equal(t.entries[1].id, "divorce", 7);
    assert_int_equal(t.entries[1].presentation_len, 0);
    assert_non_null(authd_vp_token_read("{}", 2, &t));
}

static void test_anything_else_is_left_to_jansson(void **state)
{
    (void)state;
    static const struct {
        const char *doc, *why; /* NULL: jansson reads it */
    } cases[] = {
        {"{\"hu\\u006bou\":[\"AAAA\"]}", NULL},  /* an escape in the key */
        {"{\"hukou\":[\"AA\\/AA\"]}", NULL},     /* in the presentation */
        {"{\"a\":[\"1\"],\"a\":[\"2\"]}", NULL}, /* a key twice: jansson keeps the last */
        {"{\"hukou\":[\"A\",\"B\"]}",
         "each credential query is answered by one presentation, a base64url string"},
        {"{\"hukou\":[]}", "each credential query is answered by one presentation, a base64url string"},
        {"{\"hukou\":\"AAAA\"}", "each credential query is answered by one presentation, a base64url string"},
        {"{\"hukou\":[1]}", "each credential query is answered by one presentation, a base64url string"},
        {"[\"AAAA\"]", "vp_token is a JSON object of the request's credential query ids"},
        {"{\"hukou\":[\"AAAA\"]", "vp_token is missing or not JSON"},
        {"{\"hukou\":[\"AAAA\"]} x", "vp_token is missing or not JSON"},
        {"{\"hukou\":[\"A\nA\"]}", "vp_token is missing or not JSON"}, /* a raw control character */
        {"{\"hukou\":[\"\xff\"]}", "vp_token is missing or not JSON"}, /* not UTF-8 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(read_and_compare(cases[i].doc, strlen(cases[i].doc)), 0);
        every_prefix(cases[i].doc);
        struct authd_vp_token t;
        const char *why = authd_vp_token_read(cases[i].doc, strlen(cases[i].doc), &t);
        if (cases[i].why)
            assert_string_equal(why, cases[i].why);
        else
            assert_null(why);
        authd_vp_token_free(&t);
    }
}

static void test_more_queries_than_any_request_holds(void **state)
{
    (void)state;
    char doc[1024] = "{";
    for (int i = 0; i <= AUTHD_MATTER_MAX_NEEDS; i++)
        snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc), "%s\"q%d\":[\"AA\"]", i ? "," : "", i);
    strcat(doc, "}");
    assert_int_equal(read_and_compare(doc, strlen(doc)), 0);
    struct authd_vp_token t;
    assert_string_equal(authd_vp_token_read(doc, strlen(doc), &t),
                        "vp_token is a JSON object of the request's credential query ids");
    authd_vp_token_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_tokens_read_as_jansson_reads_them),
        cmocka_unit_test(test_anything_else_is_left_to_jansson),
        cmocka_unit_test(test_more_queries_than_any_request_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
