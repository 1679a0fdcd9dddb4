/* authd peer_answer.h: a peer's CBOR answer read back as written; each entry that is not as the format
 * says refused alone while the others are read; an answer that is not one (wrong shape, a member twice,
 * trailing bytes, any prefix, indefinite or long-form heads, over the maxima) refused whole; and the
 * JSON answer of an older peer read to the same fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cborw.h"
#include "peer_answer.h"

#define ID1 "11100000000013338W004-330000-000001-A"
#define ID2 "11100000000013338W003-320000-000002-B"
#define TYPE1 "11100000000013338W004"
#define TYPE2 "11100000000013338W003"
#define ISSUER1 "11330000002482100P"
#define ISSUER2 "11320000002482100Q"

static const uint8_t licence1[] = {0xd2, 0x84, 0x43, 0xa1, 0x01, 0x26, 0xa0, 0x00};
static const uint8_t licence2[] = {0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x40};
static const uint8_t cwt[] = {0xd2, 0x84, 0x01, 0x02, 0x03};
static const char receipt[] = "c2sp.org/tlog-proof@v1\nindex 0\n";

/* Entries written by `entries` into a whole answer with its mark: what a peer sends. */
static uint8_t *answer(void (*entries)(struct authd_jsonw *), size_t n_licences, size_t *len)
{
    struct authd_jsonw e = {0}, w = {0};
    entries(&e);
    authd_peer_answer_open(&w, n_licences, &e);
    authd_peer_answer_mark(&w, "— mark", strlen("— mark"));
    authd_jsonw_discard(&e);
    return (uint8_t *)authd_jsonw_take(&w, len);
}

static void two_licences(struct authd_jsonw *w)
{
    authd_peer_answer_licence(w, ID1, TYPE1, ISSUER1, licence1, sizeof(licence1), receipt, strlen(receipt));
    authd_peer_answer_licence(w, ID2, TYPE2, ISSUER2, licence2, sizeof(licence2), NULL, 0);
    authd_peer_answer_lists(w, 2);
    authd_peer_answer_list(w, "330000-1", cwt, sizeof(cwt));
    authd_peer_answer_list(w, "320000-1", cwt, 3);
}

static authd_err read_cbor(const uint8_t *body, size_t len, struct authd_peer_answer *a)
{
    char err[160];
    return authd_peer_answer_read(body, len, true, a, err, sizeof(err));
}

static void test_an_answer_reads_back_as_written(void **state)
{
    (void)state;
    size_t len;
    uint8_t *body = answer(two_licences, 2, &len);
    struct authd_peer_answer a;
    assert_int_equal(read_cbor(body, len, &a), AUTHD_OK);
    assert_int_equal(a.n_licences, 2);
    const struct authd_peer_licence *l = &a.licences[0];
    assert_false(l->malformed);
    assert_string_equal(l->id, ID1);
    assert_string_equal(l->type, TYPE1);
    assert_string_equal(l->issuer, ISSUER1);
    assert_int_equal(l->len, sizeof(licence1));
    assert_memory_equal(l->licence, licence1, sizeof(licence1));
    assert_true(l->licence > body && l->licence < body + len); /* read in place */
    assert_int_equal(l->receipt_len, strlen(receipt));
    assert_memory_equal(l->receipt, receipt, strlen(receipt));
    l = &a.licences[1];
    assert_false(l->malformed);
    assert_string_equal(l->id, ID2);
    assert_memory_equal(l->licence, licence2, sizeof(licence2));
    assert_null(l->receipt);
    assert_int_equal(a.n_lists, 2);
    assert_int_equal(a.lists[0].len, sizeof(cwt));
    assert_memory_equal(a.lists[0].cwt, cwt, sizeof(cwt));
    assert_int_equal(a.lists[1].len, 3);
    authd_peer_answer_free(&a);
    /* every strict prefix is refused, never read past */
    for (size_t n = 0; n < len; n++) {
        uint8_t *prefix = malloc(n ? n : 1);
        memcpy(prefix, body, n);
        assert_int_equal(read_cbor(prefix, n, &a), AUTHD_E_CORRUPT);
        authd_peer_answer_free(&a);
        free(prefix);
    }
    free(body);
}

/* Each entry below is refused alone: the good one after it is read. */
static void bad_entries(struct authd_jsonw *w)
{
    static const struct {
        const char *key, *value;
    } missing[] = {{"type", TYPE1}, {"issuer_code", ISSUER1}};
    authd_cborw_map(w, 2); /* no licence_id, no licence */
    for (size_t i = 0; i < 2; i++) {
        authd_cborw_ctext(w, missing[i].key);
        authd_cborw_ctext(w, missing[i].value);
    }
    authd_cborw_array(w, 0); /* not a map */
    /* licence as text */
    authd_cborw_map(w, 4);
    authd_cborw_ctext(w, "licence_id"), authd_cborw_ctext(w, ID1);
    authd_cborw_ctext(w, "type"), authd_cborw_ctext(w, TYPE1);
    authd_cborw_ctext(w, "issuer_code"), authd_cborw_ctext(w, ISSUER1);
    authd_cborw_ctext(w, "licence"), authd_cborw_ctext(w, "AAAA");
    /* licence_id twice */
    authd_cborw_map(w, 5);
    authd_cborw_ctext(w, "licence_id"), authd_cborw_ctext(w, ID1);
    authd_cborw_ctext(w, "licence_id"), authd_cborw_ctext(w, ID2);
    authd_cborw_ctext(w, "type"), authd_cborw_ctext(w, TYPE1);
    authd_cborw_ctext(w, "issuer_code"), authd_cborw_ctext(w, ISSUER1);
    authd_cborw_ctext(w, "licence"), authd_cborw_bytes(w, licence1, sizeof(licence1));
    /* a type longer than any type code, and an id holding a NUL */
    char long_type[64];
    memset(long_type, 'A', sizeof(long_type) - 1);
    long_type[sizeof(long_type) - 1] = '\0';
    authd_peer_answer_licence(w, ID1, long_type, ISSUER1, licence1, sizeof(licence1), NULL, 0);
    authd_cborw_map(w, 4);
    authd_cborw_ctext(w, "licence_id"), authd_cborw_text(w, "A\0B", 3);
    authd_cborw_ctext(w, "type"), authd_cborw_ctext(w, TYPE1);
    authd_cborw_ctext(w, "issuer_code"), authd_cborw_ctext(w, ISSUER1);
    authd_cborw_ctext(w, "licence"), authd_cborw_bytes(w, licence1, sizeof(licence1));
    /* good, with a member a later authd may add: skipped */
    authd_cborw_map(w, 5);
    authd_cborw_ctext(w, "licence_id"), authd_cborw_ctext(w, ID2);
    authd_cborw_ctext(w, "type"), authd_cborw_ctext(w, TYPE2);
    authd_cborw_ctext(w, "issuer_code"), authd_cborw_ctext(w, ISSUER2);
    authd_cborw_ctext(w, "licence"), authd_cborw_bytes(w, licence2, sizeof(licence2));
    authd_cborw_ctext(w, "later"), authd_cborw_array(w, 1), authd_cborw_map(w, 0);
    /* a status list that is not bytes is left out */
    authd_peer_answer_lists(w, 2);
    authd_cborw_ctext(w, "330000-1"), authd_cborw_ctext(w, "not bytes");
    authd_peer_answer_list(w, "320000-1", cwt, sizeof(cwt));
}

static void test_a_bad_entry_is_refused_alone(void **state)
{
    (void)state;
    size_t len;
    uint8_t *body = answer(bad_entries, 7, &len);
    struct authd_peer_answer a;
    assert_int_equal(read_cbor(body, len, &a), AUTHD_OK);
    assert_int_equal(a.n_licences, 7);
    for (size_t i = 0; i < 6; i++) {
        assert_true(a.licences[i].malformed);
        assert_null(a.licences[i].licence);
    }
    assert_false(a.licences[6].malformed);
    assert_string_equal(a.licences[6].id, ID2);
    assert_int_equal(a.n_lists, 1);
    assert_int_equal(a.lists[0].len, sizeof(cwt));
    authd_peer_answer_free(&a);
    free(body);
}

static void expect_refused(const uint8_t *body, size_t len)
{
    struct authd_peer_answer a;
    char err[160] = "";
    assert_int_equal(authd_peer_answer_read(body, len, true, &a, err, sizeof(err)), AUTHD_E_CORRUPT);
    assert_non_null(strstr(err, "not a peer's answer"));
    authd_peer_answer_free(&a);
}

static void test_what_is_not_an_answer_is_refused_whole(void **state)
{
    (void)state;
    static const uint8_t not_map[] = {0x80};
    static const uint8_t key_not_text[] = {0xa1, 0x01, 0x80};
    static const uint8_t licences_not_array[] = {0xa1, 0x68, 'l', 'i', 'c', 'e', 'n', 'c', 'e', 's', 0xa0};
    static const uint8_t twice[] = {0xa2, 0x68, 'l', 'i', 'c', 'e', 'n', 'c', 'e', 's', 0x80,
                                    0x68, 'l',  'i', 'c', 'e', 'n', 'c', 'e', 's', 0x80};
    static const uint8_t trailing[] = {0xa1, 0x68, 'l', 'i', 'c', 'e', 'n', 'c', 'e', 's', 0x80, 0x00};
    static const uint8_t indefinite[] = {0xbf, 0x68, 'l', 'i', 'c', 'e', 'n', 'c', 'e', 's', 0x80, 0xff};
    static const uint8_t long_head[] = {0xa1, 0x68, 'l', 'i', 'c', 'e', 'n', 'c', 'e', 's', 0x98, 0x00};
    static const uint8_t no_licences[] = {0xa1, 0x64, 'm', 'a', 'r', 'k', 0x60};
    static const uint8_t lists_not_map[] = {0xa2, 0x68, 'l',  'i', 'c', 'e', 'n', 'c', 'e',
                                            's',  0x80, 0x6c, 's', 't', 'a', 't', 'u', 's',
                                            '_',  'l',  'i',  's', 't', 's', 0x80};
    static const uint8_t deep[] = {0xa1, 0x64, 'm',  'a',  'r',  'k',  0x81, 0x81, 0x81, 0x81, 0x81, 0x81,
                                   0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x80};
    static const uint8_t bad_utf8[] = {0xa1, 0x62, 0xff, 0xfe, 0x80};
    const struct {
        const uint8_t *b;
        size_t n;
    } cases[] = {{not_map, sizeof(not_map)},
                 {key_not_text, sizeof(key_not_text)},
                 {licences_not_array, sizeof(licences_not_array)},
                 {twice, sizeof(twice)},
                 {trailing, sizeof(trailing)},
                 {indefinite, sizeof(indefinite)},
                 {long_head, sizeof(long_head)},
                 {no_licences, sizeof(no_licences)},
                 {lists_not_map, sizeof(lists_not_map)},
                 {deep, sizeof(deep)},
                 {bad_utf8, sizeof(bad_utf8)}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_refused(cases[i].b, cases[i].n);
    /* more licences than an authd sends, and more status lists */
    struct authd_jsonw w = {0};
    authd_cborw_map(&w, 1);
    authd_cborw_ctext(&w, "licences");
    authd_cborw_array(&w, AUTHD_PEER_ANSWER_MAX_LICENCES + 1);
    for (size_t i = 0; i <= AUTHD_PEER_ANSWER_MAX_LICENCES; i++)
        authd_cborw_map(&w, 0);
    expect_refused((const uint8_t *)w.buf, w.len);
    authd_jsonw_discard(&w);
    authd_cborw_map(&w, 2);
    authd_cborw_ctext(&w, "licences");
    authd_cborw_array(&w, 0);
    authd_peer_answer_lists(&w, AUTHD_PEER_ANSWER_MAX_LISTS + 1);
    for (size_t i = 0; i <= AUTHD_PEER_ANSWER_MAX_LISTS; i++)
        authd_cborw_ctext(&w, "x"), authd_cborw_bytes(&w, cwt, 1);
    expect_refused((const uint8_t *)w.buf, w.len);
    authd_jsonw_discard(&w);
}

static void test_an_older_peers_json_answer_reads_the_same(void **state)
{
    (void)state;
    /* licence1 and cwt in base64url, as an authd's JSON answer carries them */
    static const char json[] = "{\"holder_id\":\"330106********001X\",\"licences\":["
                               "{\"licence_id\":\"" ID1 "\",\"type\":\"" TYPE1
                               "\",\"type_name\":\"居民户口簿\",\"issuer_code\":\"" ISSUER1
                               "\",\"status\":\"valid\",\"licence\":\"0oRDoQEmoAA\",\"receipt\":\"c2sp.org/"
                               "tlog-proof@v1\\nindex 0\\n\"},"
                               "{\"licence_id\":\"" ID2 "\",\"type\":\"" TYPE2 "\",\"issuer_code\":\"" ISSUER2
                               "\",\"licence\":\"!!\"},"
                               "{\"type\":\"" TYPE2 "\"}],"
                               "\"status_lists\":{\"330000-1\":\"0oQBAgM\",\"320000-1\":7},\"missing\":[]}";
    struct authd_peer_answer a;
    char err[160];
    assert_int_equal(authd_peer_answer_read((const uint8_t *)json, strlen(json), false, &a, err, sizeof(err)),
                     AUTHD_OK);
    assert_int_equal(a.n_licences, 3);
    assert_false(a.licences[0].malformed);
    assert_string_equal(a.licences[0].id, ID1);
    assert_string_equal(a.licences[0].issuer, ISSUER1);
    assert_int_equal(a.licences[0].len, sizeof(licence1));
    assert_memory_equal(a.licences[0].licence, licence1, sizeof(licence1));
    assert_int_equal(a.licences[0].receipt_len, strlen(receipt));
    assert_memory_equal(a.licences[0].receipt, receipt, strlen(receipt));
    assert_true(a.licences[1].malformed); /* not base64url */
    assert_true(a.licences[2].malformed); /* no id, no licence */
    assert_int_equal(a.n_lists, 1);       /* 7 is no list */
    assert_int_equal(a.lists[0].len, sizeof(cwt));
    assert_memory_equal(a.lists[0].cwt, cwt, sizeof(cwt));
    authd_peer_answer_free(&a);
    static const char *const not_answers[] = {"{not json", "[]", "{\"licences\":{}}",
                                              "{\"status_lists\":{}}"};
    for (size_t i = 0; i < sizeof(not_answers) / sizeof(not_answers[0]); i++) {
        assert_int_equal(authd_peer_answer_read((const uint8_t *)not_answers[i], strlen(not_answers[i]),
                                                false, &a, err, sizeof(err)),
                         AUTHD_E_CORRUPT);
        authd_peer_answer_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_answer_reads_back_as_written),
        cmocka_unit_test(test_a_bad_entry_is_refused_alone),
        cmocka_unit_test(test_what_is_not_an_answer_is_refused_whole),
        cmocka_unit_test(test_an_older_peers_json_answer_reads_the_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
