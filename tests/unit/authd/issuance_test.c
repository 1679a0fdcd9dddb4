/* authd issuance.h and status_change.h: the services with no HTTP in front. A licence issued is stored,
 * logged and verifies against authd's own context; every refusal queues nothing; every failure after a
 * reservation gives the status-list index back (one path); a revocation reaches verification. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authd_support.h"
#include "issuance.h"
#include "licences.h"
#include "policy.h"
#include "held.h"
#include "trust_bundle.h"
#include "statuslists.h"
#include "status_change.h"
#include "tlog.h"

#define MZ "11330100002498121J" /* 杭州市民政局: issues 结婚证 (11100000000013338W002) */
#define MARRIAGE "11100000000013338W002"
#define HOLDER "11010519491231002X"
enum { LIST = 64, FULL = LIST / 8 * 7 };

static const struct authd_client *client(const struct test_server *t, const char *id)
{
    const struct authd_policy *policy = authd_held_current(t->server.policies);
    for (size_t i = 0; i < policy->n_clients; i++)
        if (strcmp(policy->clients[i].id, id) == 0) return &policy->clients[i];
    fail_msg("no client %s", id);
    return NULL;
}

static certlib_element text(const char *name, const char *value)
{
    return (certlib_element){
        .identifier = name, .type = CERTLIB_VALUE_TEXT, .text = value, .text_len = strlen(value)};
}

static certlib_element marriage[4];

static struct authd_issue_input request(const struct test_server *t)
{
    marriage[0] = text("spouse_name", "李四");
    marriage[1] = text("spouse_id", "110105194912310021");
    marriage[2] = (certlib_element){
        .identifier = "registration_date", .type = CERTLIB_VALUE_DATE, .text = "2026-11-20", .text_len = 10};
    marriage[3] = text("registration_authority", "杭州市上城区民政局");
    return (struct authd_issue_input){.client = client(t, "issuer-mz"),
                                      .type_code = MARRIAGE,
                                      .holder_id = HOLDER,
                                      .holder_name = "张三",
                                      .elements = marriage,
                                      .n_elements = 4,
                                      .now = (int64_t)time(NULL)};
}

struct issued {
    struct authd_issuance iss;
    struct waiter done;
};

static void on_issued(struct authd_issuance *iss)
{
    waiter_signal(&((struct issued *)iss)->done);
}

/* Issues and waits; the issuance's result is in out->iss.result. */
static enum authd_issue_refusal issue(struct test_server *t, const struct authd_issue_input *in,
                                      struct issued *out)
{
    waiter_init(&out->done);
    char detail[256] = "";
    enum authd_issue_refusal why = authd_issue(&t->server, in, &out->iss, on_issued, detail, sizeof(detail));
    if (why == AUTHD_ISSUE_ACCEPTED) waiter_wait(&out->done, 1);
    waiter_destroy(&out->done);
    return why;
}

static uint64_t log_size(struct test_server *t)
{
    uint64_t n;
    assert_int_equal(t->server.storage->ops->log_size(t->server.storage, AUTHD_LOG_SIGNATURES, &n), AUTHD_OK);
    return n;
}

static certlib_result *verify(struct test_server *t, const uint8_t *licence, size_t len)
{
    certlib_result *r = NULL;
    certlib_verify_opts opts = {0};
    assert_int_equal(certlib_licence_verify(((struct authd_trust *)authd_held_current(t->server.trust))->ctx,
                                            licence, len, &opts, &r),
                     CERTLIB_OK);
    return r;
}

/* authd's services, and one 结婚证 issued and durable. */
static void start_and_issue(struct test_server *t, struct issued *out)
{
    test_server_start(t, LIST);
    struct authd_issue_input in = request(t);
    assert_int_equal(issue(t, &in, out), AUTHD_ISSUE_ACCEPTED);
}

static void test_issue_store_log_verify(void **state)
{
    (void)state;
    struct test_server t;
    struct issued out;
    start_and_issue(&t, &out);
    assert_int_equal(out.iss.result, AUTHD_OK);
    assert_int_equal(out.iss.log_index, 0);
    assert_string_equal(out.iss.meta.issuer_code, MZ);
    assert_int_equal(out.iss.meta.list_no, 1);
    /* stored: the same licence comes back */
    struct authd_licence_meta meta;
    uint8_t *licence;
    size_t len;
    uint64_t index;
    const char *id = out.iss.licence_id;
    assert_int_equal(
        authd_licence_get(t.server.storage, t.server.keys, id, strlen(id), &meta, &index, &licence, &len),
        AUTHD_OK);
    assert_int_equal(len, out.iss.licence_len);
    assert_memory_equal(licence, out.iss.licence, len);
    assert_int_equal(meta.status_idx, out.iss.meta.status_idx);
    assert_int_equal(index, 0);
    /* verifies against authd's own context: its trust bundle and its own status lists */
    certlib_result *r = verify(&t, licence, len);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_VALID);
    assert_int_equal(certlib_result_status(r), CERTLIB_STATUS_VALID);
    assert_string_equal(certlib_result_holder_id(r), HOLDER);
    certlib_result_free(r);
    free(licence);
    /* logged, and the log names no holder */
    uint8_t *entry;
    size_t entry_len;
    assert_int_equal(authd_log_entry(t.server.logs[AUTHD_LOG_SIGNATURES], 0, &entry, &entry_len), AUTHD_OK);
    assert_true(entry_len > 13 && memcmp(entry, "sig/v1 issue ", 13) == 0);
    assert_non_null(memmem(entry, entry_len, id, strlen(id)));
    assert_null(memmem(entry, entry_len, HOLDER, strlen(HOLDER)));
    free(entry);
    authd_issuance_clear(&out.iss);
    test_server_stop(&t);
}

static void test_refusals_queue_nothing(void **state)
{
    (void)state;
    struct test_server t;
    test_server_start(&t, LIST);
    struct {
        const char *what;
        enum authd_issue_refusal want;
    } cases[] = {{"unknown type", AUTHD_ISSUE_UNKNOWN_TYPE},
                 {"another issuer's type", AUTHD_ISSUE_FORBIDDEN_TYPE},
                 {"bad holder id", AUTHD_ISSUE_BAD_HOLDER_ID},
                 {"an organisation for a person's licence", AUTHD_ISSUE_BAD_HOLDER_ID},
                 {"empty holder name", AUTHD_ISSUE_BAD_HOLDER_NAME},
                 {"long holder name", AUTHD_ISSUE_BAD_HOLDER_NAME},
                 {"unknown element", AUTHD_ISSUE_UNKNOWN_ELEMENT},
                 {"missing element", AUTHD_ISSUE_MISSING_ELEMENT},
                 {"validity backwards", AUTHD_ISSUE_BAD_VALIDITY},
                 {"past 9999", AUTHD_ISSUE_BAD_VALIDITY},
                 {"bad device key", AUTHD_ISSUE_BAD_DEVICE_KEY},
                 {"no signing key here", AUTHD_ISSUE_NO_KEYS}};
    char long_name[202];
    memset(long_name, 'x', 201);
    long_name[201] = '\0';
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct authd_issue_input in = request(&t);
        certlib_element extra[5];
        memcpy(extra, marriage, sizeof(marriage));
        size_t n_issuers = t.server.n_issuers;
        switch (i) {
        case 0:
            in.type_code = "11100000000013338W099";
            break;
        case 1:
            in.type_code = "11100000000013338W001";
            break;
        case 2:
            in.holder_id = "110105194912310020";
            break;
        case 3:
            in.holder_id = "91330100MA27XL0Q1K";
            break;
        case 4:
            in.holder_name = "";
            break;
        case 5:
            in.holder_name = long_name;
            break;
        case 6:
            extra[4] = text("shoe_size", "42");
            in.elements = extra, in.n_elements = 5;
            break;
        case 7:
            in.n_elements = 3;
            break;
        case 8:
            in.valid_from = in.now, in.valid_until = in.now - 1;
            break;
        case 9:
            in.valid_until = 253402272000LL;
            break;
        case 10:
            in.device_key_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
            break;
        case 11:
            /* this authd without 民政局's keys */
            for (size_t k = 0; k < t.server.n_issuers; k++)
                if (strcmp(t.server.issuers[k].issuer_code, MZ) == 0) {
                    struct authd_issuer_keys last = t.server.issuers[t.server.n_issuers - 1];
                    t.server.issuers[t.server.n_issuers - 1] = t.server.issuers[k];
                    t.server.issuers[k] = last;
                }
            t.server.n_issuers--;
            break;
        }
        struct issued out;
        char detail[256] = "";
        enum authd_issue_refusal why =
            authd_issue(&t.server, &in, &out.iss, on_issued, detail, sizeof(detail));
        t.server.n_issuers = n_issuers;
        if (why != cases[i].want)
            fail_msg("%s: refusal %d, not %d (%s)", cases[i].what, why, cases[i].want, detail);
        assert_true(detail[0] != '\0');
        assert_null(strstr(detail, HOLDER)); /* no personal data in the sentence */
        assert_null(out.iss.licence);
    }
    authd_writer_drain(t.server.writer);
    assert_int_equal(spy_applies(t.spy), 0);
    assert_int_equal(log_size(&t), 0);
    /* and every reservation made on the way was given back: the first list still has room for all */
    for (int i = 0; i < FULL; i++) {
        uint32_t no, idx;
        assert_int_equal(authd_statuslists_reserve(t.server.statuslists, MZ, &no, &idx), 0);
        assert_int_equal(no, 1);
    }
    test_server_stop(&t);
}

/* Failures after the reservation: certlib refuses the licence (before the writer), the storage fails
 * (in the writer). Both give the index back; the first list never fills. */
static void test_failures_release_the_index(void **state)
{
    (void)state;
    struct test_server t;
    test_server_start(&t, LIST);
    for (int round = 0; round < 10; round++) {
        struct authd_issue_input in = request(&t);
        struct issued out;
        if (round % 2) {
            certlib_element bad[4];
            memcpy(bad, marriage, sizeof(bad));
            bad[0] = text("spouse_name", "\xff\xfe not UTF-8");
            in.elements = bad;
            char detail[256] = "";
            assert_int_equal(authd_issue(&t.server, &in, &out.iss, on_issued, detail, sizeof(detail)),
                             AUTHD_ISSUE_REFUSED_BY_CERTLIB);
            assert_null(out.iss.licence);
        } else {
            spy_fail_next(t.spy, AUTHD_E_IO);
            assert_int_equal(issue(&t, &in, &out), AUTHD_ISSUE_ACCEPTED);
            assert_int_equal(out.iss.result, AUTHD_E_IO);
            authd_issuance_clear(&out.iss);
        }
    }
    assert_int_equal(log_size(&t), 0);
    for (int i = 0; i < FULL; i++) {
        uint32_t no, idx;
        assert_int_equal(authd_statuslists_reserve(t.server.statuslists, MZ, &no, &idx), 0);
        assert_int_equal(no, 1);
    }
    test_server_stop(&t);
}

struct changed {
    struct authd_status_change c;
    struct waiter done;
};

static void on_changed(struct authd_status_change *c)
{
    waiter_signal(&((struct changed *)c)->done);
}

static authd_err change(struct test_server *t, const char *issuer, const char *id, uint8_t status,
                        struct changed *out)
{
    waiter_init(&out->done);
    authd_err rc = authd_status_change(&t->server, issuer, id, strlen(id), status, (int64_t)time(NULL),
                                       "统一社会信用代码注销", &out->c, on_changed);
    if (rc == AUTHD_OK) {
        waiter_wait(&out->done, 1);
        rc = out->c.result;
    }
    waiter_destroy(&out->done);
    return rc;
}

static void test_revocation_reaches_verification(void **state)
{
    (void)state;
    struct test_server t;
    struct issued out;
    start_and_issue(&t, &out);
    const char *id = out.iss.licence_id;
    struct changed c;
    assert_int_equal(change(&t, "11330100002498113P", id, CERTLIB_STATUS_VALUE_REVOKED, &c),
                     AUTHD_E_NOT_FOUND);
    assert_int_equal(change(&t, MZ, "no-such-licence", CERTLIB_STATUS_VALUE_REVOKED, &c), AUTHD_E_NOT_FOUND);
    assert_int_equal(change(&t, MZ, id, CERTLIB_STATUS_VALUE_REVOKED, &c), AUTHD_OK);
    assert_int_equal(c.c.before.status, CERTLIB_STATUS_VALUE_VALID);
    assert_int_equal(c.c.log_index, 1);
    /* answered: authd's own verification already sees it */
    certlib_result *r = verify(&t, out.iss.licence, out.iss.licence_len);
    assert_int_equal(certlib_result_status(r), CERTLIB_STATUS_REVOKED);
    assert_int_equal(certlib_result_verdict(r), CERTLIB_VERDICT_INVALID);
    certlib_result_free(r);
    /* stored and logged */
    struct authd_licence_meta meta;
    assert_int_equal(
        authd_licence_get(t.server.storage, t.server.keys, id, strlen(id), &meta, NULL, NULL, NULL),
        AUTHD_OK);
    assert_int_equal(meta.status, CERTLIB_STATUS_VALUE_REVOKED);
    uint8_t *entry;
    size_t entry_len;
    assert_int_equal(authd_log_entry(t.server.logs[AUTHD_LOG_SIGNATURES], 1, &entry, &entry_len), AUTHD_OK);
    assert_true(entry_len > 14 && memcmp(entry, "sig/v1 status ", 14) == 0);
    free(entry);
    /* revocation is final */
    assert_int_equal(change(&t, MZ, id, CERTLIB_STATUS_VALUE_VALID, &c), AUTHD_E_CONFLICT);
    assert_int_equal(log_size(&t), 2);
    authd_issuance_clear(&out.iss);
    test_server_stop(&t);
}

int main(int argc, char **argv)
{
    if (argc > 1) test_repo = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_store_log_verify),
        cmocka_unit_test(test_refusals_queue_nothing),
        cmocka_unit_test(test_failures_release_the_index),
        cmocka_unit_test(test_revocation_reaches_verification),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
