/* authd statuslists.h: reservations at random inside lists kept at most 7/8 full, released indices
 * reused, status changes answered only once their list is signed, tokens that decode to the statuses
 * set, lists rebuilt from the store, the trust-bundle probe, re-signing at half the ttl, and nodes
 * sharing a store drawing indices from its counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd_support.h"
#include "certlib/certlib.h"
#include "record.h"
#include "statuslists.h"

#define ISSUER "11330100002498121J" /* 杭州市民政局, Ed25519 in keys-example */
#define URL "http://127.0.0.1:8080"
enum { SIZE = 64, FULL = SIZE / 8 * 7 };

struct fixture {
    char *dir;
    certlib_signer *signer;
    struct authd_storage *storage;
    struct authd_record_keys *keys;
    struct authd_statuslists *s;
};

static struct authd_statuslists *started(struct fixture *f, uint32_t size, uint32_t ttl, const char *url)
{
    struct authd_statuslists *s = authd_statuslists_new(size, ttl, url, NULL);
    assert_non_null(s);
    assert_int_equal(authd_statuslists_add_issuer(s, ISSUER, f->signer), 0);
    char err[512] = "";
    if (authd_statuslists_rebuild(s, f->storage, f->keys, err, sizeof(err))) fail_msg("%s", err);
    return s;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char key[4096], cert[4096];
    snprintf(key, sizeof(key), "%s/keys-example/pki/ed25519/status.key", test_repo);
    snprintf(cert, sizeof(cert), "%s/keys-example/pki/ed25519/status.crt", test_repo);
    assert_int_equal(certlib_signer_load(key, cert, &f->signer), CERTLIB_OK);
    f->dir = scratch_dir();
    f->storage = open_lmdb(f->dir, 0);
    f->keys = demo_record_keys();
    f->s = started(f, SIZE, 60, URL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    authd_statuslists_free(f->s);
    authd_record_keys_free(f->keys);
    authd_storage_close(f->storage);
    certlib_signer_free(f->signer);
    scratch_remove(f->dir);
    free(f);
    return 0;
}

/* The status at idx in list `no`'s current token (which must exist). */
static unsigned token_status(struct authd_statuslists *s, uint32_t no, uint32_t idx)
{
    char id[64];
    snprintf(id, sizeof(id), ISSUER "-%u", no);
    uint8_t *cwt;
    size_t len;
    assert_int_equal(authd_statuslists_token(s, id, strlen(id), &cwt, &len), 0);
    certlib_status_list *list;
    certlib_status_token_info info;
    assert_int_equal(certlib_status_list_decode(cwt, len, &list, &info), CERTLIB_OK);
    char uri[128];
    snprintf(uri, sizeof(uri), URL "/v1/status/%s", id);
    assert_string_equal(info.uri, uri);
    assert_int_equal(certlib_status_list_size(list), SIZE);
    unsigned v;
    assert_int_equal(certlib_status_list_get(list, idx, &v), CERTLIB_OK);
    certlib_status_list_free(list);
    free(cwt);
    return v;
}

static void test_reservations(void **state)
{
    struct fixture *f = *state;
    bool taken[SIZE] = {false};
    for (int i = 0; i < FULL; i++) {
        uint32_t no, idx;
        assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &idx), 0);
        assert_int_equal(no, 1);
        assert_true(idx < SIZE && !taken[idx]);
        taken[idx] = true;
    }
    uint32_t no, idx;
    assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &idx), 0);
    assert_int_equal(no, 2); /* 7/8 full: the next list opens */
    assert_int_equal(authd_statuslists_reserve(f->s, "113301000024981640", &no, &idx),
                     AUTHD_E_NOT_FOUND); /* not ours */
    char uri[128];
    authd_statuslists_uri(f->s, ISSUER, 2, uri, sizeof(uri));
    assert_string_equal(uri, URL "/v1/status/" ISSUER "-2");
}

static void test_released_indices_are_reused(void **state)
{
    struct fixture *f = *state;
    uint32_t idx[FULL], no;
    for (int i = 0; i < FULL - 1; i++)
        assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &idx[i]), 0);
    for (int i = 0; i < 10; i++)
        authd_statuslists_release(f->s, ISSUER, 1, idx[i]);
    authd_statuslists_release(f->s, ISSUER, 1, idx[0]); /* twice: no effect */
    authd_statuslists_release(f->s, ISSUER, 7, 3);      /* no such list: no effect */
    /* room for 11 more in list 1, not 12 */
    for (int i = 0; i < 11; i++) {
        assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &idx[0]), 0);
        assert_int_equal(no, 1);
    }
    assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &idx[0]), 0);
    assert_int_equal(no, 2);
}

static void signed_cb(void *arg)
{
    waiter_signal(arg);
}

static void test_changes_answered_once_signed(void **state)
{
    struct fixture *f = *state;
    uint32_t no, a, b;
    assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &a), 0);
    assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &b), 0);
    struct waiter w;
    waiter_init(&w);
    authd_statuslists_set(f->s, ISSUER, 1, a, CERTLIB_STATUS_VALUE_REVOKED, signed_cb, &w);
    authd_statuslists_set(f->s, ISSUER, 1, b, CERTLIB_STATUS_VALUE_SUSPENDED, signed_cb, &w);
    waiter_wait(&w, 2);
    /* when the answer comes, the token served says so */
    assert_int_equal(token_status(f->s, 1, a), CERTLIB_STATUS_VALUE_REVOKED);
    assert_int_equal(token_status(f->s, 1, b), CERTLIB_STATUS_VALUE_SUSPENDED);
    authd_statuslists_set(f->s, ISSUER, 1, b, CERTLIB_STATUS_VALUE_VALID, signed_cb, &w);
    authd_statuslists_drain(f->s);
    assert_int_equal(waiter_count(&w), 3);
    assert_int_equal(token_status(f->s, 1, b), CERTLIB_STATUS_VALUE_VALID);
    waiter_destroy(&w);
}

static void test_token_ids(void **state)
{
    struct fixture *f = *state;
    uint32_t no, idx;
    assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &idx), 0);
    authd_statuslists_set(f->s, ISSUER, 1, idx, CERTLIB_STATUS_VALUE_VALID, NULL, NULL);
    static const char *const bad[] = {"",
                                      ISSUER,
                                      ISSUER "-",
                                      ISSUER "-0",
                                      ISSUER "-01",
                                      ISSUER "-1x",
                                      ISSUER "-2",
                                      ISSUER "-4294967297",
                                      ISSUER "1",
                                      "113301000024981640-1",
                                      "11330100002498121j-1"};
    uint8_t *cwt;
    size_t len;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (authd_statuslists_token(f->s, bad[i], strlen(bad[i]), &cwt, &len) != -1)
            fail_msg("'%s' found", bad[i]);
    authd_statuslists_drain(f->s);
}

/* A sealed record in the store, as an issuance leaves it. */
static void store_record(struct fixture *f, const char *id, uint32_t list_no, uint32_t idx, uint8_t status)
{
    struct authd_licence_meta m = {.status = status, .list_no = list_no, .status_idx = idx, .issued_at = 1};
    snprintf(m.type_code, sizeof(m.type_code), "%s", "11100000000013338W002");
    snprintf(m.issuer_code, sizeof(m.issuer_code), "%s", ISSUER);
    size_t len = authd_record_sealed_len(f->keys, 4);
    uint8_t *rec = malloc(len), key[AUTHD_HOLDER_KEY_LEN] = {0};
    authd_record_seal(f->keys, id, strlen(id), &m, (const uint8_t *)"cbor", 4, rec);
    struct authd_storage_write w = {.op = AUTHD_STORE_PUT,
                                    .id = id,
                                    .id_len = strlen(id),
                                    .record = rec,
                                    .record_len = len,
                                    .holder_key = key};
    assert_int_equal(authd_storage_apply(f->storage, &w, 1), AUTHD_OK);
    assert_int_equal(w.result, AUTHD_OK);
    free(rec);
}

static void test_rebuilt_from_the_store(void **state)
{
    struct fixture *f = *state;
    store_record(f, "a", 1, 5, CERTLIB_STATUS_VALUE_VALID);
    store_record(f, "b", 3, 9, CERTLIB_STATUS_VALUE_REVOKED);
    store_record(f, "c", 3, 10, CERTLIB_STATUS_VALUE_SUSPENDED);
    authd_statuslists_free(f->s);
    f->s = started(f, SIZE, 60, URL);
    /* the lists are signed before the first request */
    assert_int_equal(token_status(f->s, 3, 9), CERTLIB_STATUS_VALUE_REVOKED);
    assert_int_equal(token_status(f->s, 3, 10), CERTLIB_STATUS_VALUE_SUSPENDED);
    assert_int_equal(token_status(f->s, 1, 5), CERTLIB_STATUS_VALUE_VALID);
    /* new reservations go to the newest list and never take a stored index */
    for (int i = 0; i < FULL - 2; i++) {
        uint32_t no, idx;
        assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &idx), 0);
        assert_int_equal(no, 3);
        assert_true(idx != 9 && idx != 10);
    }
    /* a stored index past the list size: the configuration shrank under the store */
    store_record(f, "d", 1, SIZE + 3, CERTLIB_STATUS_VALUE_VALID);
    struct authd_statuslists *s = authd_statuslists_new(SIZE, 60, URL, NULL);
    assert_int_equal(authd_statuslists_add_issuer(s, ISSUER, f->signer), 0);
    char err[512] = "";
    assert_int_equal(authd_statuslists_rebuild(s, f->storage, f->keys, err, sizeof(err)), AUTHD_E_CONFIG);
    assert_non_null(strstr(err, "status.list_size"));
    authd_statuslists_free(s);
}

static void test_probe(void **state)
{
    struct fixture *f = *state;
    char path[4096], err[512] = "";
    snprintf(path, sizeof(path), "%s/keys-example/trust.json", test_repo);
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    static uint8_t bundle[1 << 20];
    size_t len = fread(bundle, 1, sizeof(bundle), file);
    fclose(file);
    assert_int_equal(authd_statuslists_probe(f->s, bundle, len, err, sizeof(err)), 0);
    /* lists published elsewhere than the bundle allows this status signer */
    struct authd_statuslists *s = authd_statuslists_new(SIZE, 60, "https://status.elsewhere.example", NULL);
    assert_int_equal(authd_statuslists_add_issuer(s, ISSUER, f->signer), 0);
    assert_int_equal(authd_statuslists_probe(s, bundle, len, err, sizeof(err)), -1);
    if (!strstr(err, "the trust bundle refuses issuer " ISSUER)) fail_msg("%s", err);
    authd_statuslists_free(s);
}

static void test_resigned_at_half_the_ttl(void **state)
{
    struct fixture *f = *state;
    authd_statuslists_free(f->s);
    f->s = started(f, SIZE, 2, URL); /* re-signed once a second old */
    uint32_t no, idx;
    assert_int_equal(authd_statuslists_reserve(f->s, ISSUER, &no, &idx), 0);
    struct waiter w;
    waiter_init(&w);
    authd_statuslists_set(f->s, ISSUER, 1, idx, CERTLIB_STATUS_VALUE_REVOKED, signed_cb, &w);
    waiter_wait(&w, 1);
    uint8_t *first, *now;
    size_t first_len, now_len;
    assert_int_equal(authd_statuslists_token(f->s, ISSUER "-1", strlen(ISSUER) + 2, &first, &first_len), 0);
    bool fresh = false;
    for (int i = 0; i < 100 && !fresh; i++) { /* up to 10 s */
        usleep(100000);
        assert_int_equal(authd_statuslists_token(f->s, ISSUER "-1", strlen(ISSUER) + 2, &now, &now_len), 0);
        fresh = now_len != first_len || memcmp(now, first, now_len) != 0;
        free(now);
    }
    assert_true(fresh);
    assert_int_equal(token_status(f->s, 1, idx), CERTLIB_STATUS_VALUE_REVOKED);
    free(first);
    waiter_destroy(&w);
}


/* ---- nodes sharing a store ---- */

/* The counters of a shared store, as the PostgreSQL backend keeps them (one row per issuer and list),
 * here in memory: the statuslists' side of the contract is what is under test. */
struct counters {
    struct authd_storage base;
    struct {
        char issuer[32];
        uint32_t list_no;
        uint64_t next;
    } rows[64];
    size_t n_rows;
};

static authd_err take_counters(struct authd_storage *s, const char *issuer_code, uint32_t list_no, uint32_t count,
                               uint64_t *first)
{
    struct counters *c = (struct counters *)s;
    size_t i = 0;
    while (i < c->n_rows && !(strcmp(c->rows[i].issuer, issuer_code) == 0 && c->rows[i].list_no == list_no))
        i++;
    if (i == c->n_rows) {
        assert_true(c->n_rows < 64);
        snprintf(c->rows[i].issuer, sizeof(c->rows[i].issuer), "%s", issuer_code);
        c->rows[i].list_no = list_no;
        c->rows[i].next = 0;
        c->n_rows++;
    }
    *first = c->rows[i].next;
    c->rows[i].next += count;
    return AUTHD_OK;
}

static const struct authd_storage_ops counter_ops = {.list_counters = take_counters};

static void test_shared_counters(void **state)
{
    struct fixture *f = *state;
    static const char *const issuers[] = {ISSUER, "113301000024981640"};
    static const uint8_t key[32] = {7};
    struct counters store = {.base = {&counter_ops}};
    struct authd_statuslists *nodes[2];
    for (int n = 0; n < 2; n++) {
        nodes[n] = authd_statuslists_new(SIZE, 60, URL, NULL);
        for (int i = 0; i < 2; i++)
            assert_int_equal(authd_statuslists_add_issuer(nodes[n], issuers[i], f->signer), 0);
        authd_statuslists_share(nodes[n], &store.base, key);
    }
    /* both nodes, both issuers, three lists' worth: every index unique per (issuer, list); a range of
     * counters is bigger than these small lists, so each node may leave a list to the other */
    enum { ROUNDS = SIZE * 3 / 2 };
    static bool taken[2][6][SIZE];
    memset(taken, 0, sizeof(taken));
    for (int r = 0; r < ROUNDS; r++)
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 2; i++) {
                uint32_t no, idx;
                assert_int_equal(authd_statuslists_reserve(nodes[n], issuers[i], &no, &idx), 0);
                assert_true(no >= 1 && no <= 4 && idx < SIZE);
                assert_false(taken[i][no][idx]);
                taken[i][no][idx] = true;
            }
    /* a node that hears of a newer list (another node's licence) reserves there from then on */
    authd_statuslists_note(nodes[0], ISSUER, 5, 5, CERTLIB_STATUS_VALUE_VALID);
    uint32_t no, idx;
    assert_int_equal(authd_statuslists_reserve(nodes[0], ISSUER, &no, &idx), 0);
    assert_int_equal(no, 5);
    assert_int_not_equal(idx, 5);
    for (int n = 0; n < 2; n++)
        authd_statuslists_free(nodes[n]);
}

int main(int argc, char **argv)
{
    if (argc > 1) test_repo = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reservations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_released_indices_are_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_answered_once_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuilt_from_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resigned_at_half_the_ttl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_counters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
