/* authd request_text.h: a presentation request's state as sealed. The head and the answer read back as
 * written (an answer of any bytes, NULs and all: the first NUL ends the head, which JSON text never
 * holds raw); an earlier authd's state, the answer inside the head, reads the same; a head
 * that is not JSON is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "request_text.h"

static void round_trip(json_t *doc, const char *body, size_t body_len)
{
    char *text;
    size_t len;
    assert_int_equal(authd_request_text(doc, body, body_len, &text, &len), AUTHD_OK);
    json_t *read;
    const char *got;
    size_t got_len;
    assert_int_equal(authd_request_text_read(text, len, &read, &got, &got_len), AUTHD_OK);
    assert_true(json_equal(doc, read));
    if (body) {
        assert_int_equal(got_len, body_len);
        assert_memory_equal(got, body, body_len);
    } else {
        assert_null(got);
    }
    json_decref(read);
    free(text);
}

static void test_head_and_answer_read_back(void **state)
{
    (void)state;
    json_t *doc =
        json_pack("{s:s, s:s, s:s}", "matter", "ZJ-HYDJ-001", "use_cause", "结婚登记", "nonce", "n-1");
    round_trip(doc, NULL, 0); /* made, not answered */
    json_object_set_new(doc, "answer",
                        json_pack("{s:s, s:s, s:[s]}", "outcome", "valid", "holder_key", "k", "licences",
                                  "11100000000013338W004-1"));
    static const char body[] =
        "{\"id\":\"x\",\"verdict\":\"valid\",\"licences\":[{\"n\":\"张三 \\\"\\u0000\"}]}";
    round_trip(doc, body, strlen(body));
    round_trip(doc, "a\0b\0", 4); /* the answer is opaque: NULs and all */
    round_trip(doc, "", 0);
    json_decref(doc);
}

static void test_an_earlier_authds_state_reads_the_same(void **state)
{
    (void)state;
    static const char old[] = "{\"matter\":\"ZJ-HYDJ-001\",\"use_cause\":\"结婚登记\",\"nonce\":\"n-1\","
                              "\"answer\":{\"outcome\":\"valid\",\"body\":\"{\\\"id\\\":\\\"x\\\"}\"}}";
    json_t *doc;
    const char *body;
    size_t len;
    assert_int_equal(authd_request_text_read(old, strlen(old), &doc, &body, &len), AUTHD_OK);
    assert_int_equal(len, strlen("{\"id\":\"x\"}"));
    assert_memory_equal(body, "{\"id\":\"x\"}", len);
    json_decref(doc);
    static const char unanswered[] = "{\"matter\":\"ZJ-HYDJ-001\",\"nonce\":\"n-1\"}";
    assert_int_equal(authd_request_text_read(unanswered, strlen(unanswered), &doc, &body, &len), AUTHD_OK);
    assert_null(body);
    json_decref(doc);
}

static void test_a_head_that_is_not_json_is_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "{", "{\"matter\":1", "not json"};
    json_t *doc;
    const char *body;
    size_t len;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(authd_request_text_read(bad[i], strlen(bad[i]), &doc, &body, &len), AUTHD_E_CORRUPT);
    static const char cut[] = "{\"matter\"\0{}"; /* the separator inside the head */
    assert_int_equal(authd_request_text_read(cut, sizeof(cut) - 1, &doc, &body, &len), AUTHD_E_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_and_answer_read_back),
        cmocka_unit_test(test_an_earlier_authds_state_reads_the_same),
        cmocka_unit_test(test_a_head_that_is_not_json_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
