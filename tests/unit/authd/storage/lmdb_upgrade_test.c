/* The LMDB backend's upgrades (storage/lmdb.c). A schema 2 store written in the old layout by this test
 * (LMDB directly, records sealed as schema 2 sealed them) opens at the current schema with every
 * record and log index intact, over more than one upgrade batch; a half-upgraded store finishes; a
 * record under another data key stops the upgrade with a message saying so. A schema 3 store gets its
 * holder-access index built from its access log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authd_support.h"
#include "certlib/status.h"
#include "log_entries.h"
#include "record.h"
#include "storage/storage.h"

enum { RECORDS = 5000 }; /* more than one batch of 4,096 */

static void record_id(char out[32], int i)
{
    snprintf(out, 32, "licence-%05d", i);
}

static struct authd_licence_meta meta_of(int i)
{
    struct authd_licence_meta m = {.status = (uint8_t)(i % 3 == 0 ? CERTLIB_STATUS_VALUE_REVOKED : 0),
                                   .list_no = 1,
                                   .status_idx = (uint32_t)i * 7,
                                   .issued_at = 1790000000 + i};
    snprintf(m.type_code, sizeof(m.type_code), "%s", "113301000024981130001");
    snprintf(m.issuer_code, sizeof(m.issuer_code), "%s", "11330100002498113P");
    return m;
}

static void be(uint8_t *out, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

#define OK(call) assert_int_equal((call), MDB_SUCCESS)

/* Schema 2: meta, licences (id -> v2 record), holders, the signature log's entries. Records [0,
 * upgraded) are written as schema 3 already (an upgrade interrupted after them); `foreign` seals that
 * one under another data key (-1: none). */
static void write_v2_store(const char *dir, int upgraded, int foreign)
{
    char key_file[4096], other_file[4200];
    snprintf(key_file, sizeof(key_file), "%s/keys-example/data.key", test_repo);
    snprintf(other_file, sizeof(other_file), "%s/other.key", dir);
    FILE *f = fopen(other_file, "w");
    fputs("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n", f);
    fclose(f);
    struct authd_record_keys *keys = demo_record_keys();
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, licences, holders, entries;
    OK(mdb_env_create(&env));
    OK(mdb_env_set_mapsize(env, (size_t)64 << 20));
    OK(mdb_env_set_maxdbs(env, 16));
    OK(mdb_env_open(env, dir, 0, 0600));
    OK(mdb_txn_begin(env, NULL, 0, &txn));
    OK(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta));
    OK(mdb_dbi_open(txn, "licences", MDB_CREATE, &licences));
    OK(mdb_dbi_open(txn, "holders", MDB_CREATE | MDB_DUPSORT, &holders));
    OK(mdb_dbi_open(txn, "log.signatures.entries", MDB_CREATE, &entries));
    uint8_t version[4] = {0, 0, 0, 2};
    MDB_val k = {14, "schema_version"}, v = {4, version};
    OK(mdb_put(txn, meta, &k, &v, 0));
    for (int i = 0; i < RECORDS; i++) {
        char id[32], text[48];
        record_id(id, i);
        struct authd_licence_meta m = meta_of(i);
        int n = snprintf(text, sizeof(text), "licence body %d", i);
        size_t len;
        uint8_t *rec;
        if (i < upgraded) {
            len = 8 + authd_record_sealed_len(keys, (size_t)n);
            rec = malloc(len);
            be(rec, (uint64_t)i, 8);
            authd_record_seal(keys, id, strlen(id), &m, (const uint8_t *)text, (size_t)n, rec + 8);
        } else {
            rec = seal_v2_record(i == foreign ? other_file : key_file, id, &m, (uint64_t)i,
                                 (const uint8_t *)text, (size_t)n, &len);
        }
        k = (MDB_val){strlen(id), id};
        v = (MDB_val){len, rec};
        OK(mdb_put(txn, licences, &k, &v, 0));
        free(rec);
        uint8_t index[8];
        be(index, (uint64_t)i, 8);
        k = (MDB_val){8, index};
        v = (MDB_val){(size_t)n, text};
        OK(mdb_put(txn, entries, &k, &v, MDB_APPEND));
    }
    OK(mdb_txn_commit(txn));
    mdb_env_close(env);
    authd_record_keys_free(keys);
}

static struct authd_storage *open_with(const char *dir, const struct authd_record_keys *keys, authd_err want,
                                       const char *message)
{
    struct authd_lmdb_options o = {.dir = dir, .map_bytes = (size_t)64 << 20, .keys = keys, .create = true};
    struct authd_storage *s = NULL;
    char err[512] = "";
    assert_int_equal(authd_storage_open_lmdb(&o, &s, err, sizeof(err)), want);
    if (message && !strstr(err, message)) fail_msg("expected \"%s\" in: %s", message, err);
    return s;
}

static void check_upgraded(const char *dir)
{
    struct authd_record_keys *keys = demo_record_keys();
    struct authd_storage *s = open_with(dir, keys, AUTHD_OK, NULL);
    assert_int_equal(s->ops->schema_version(s), AUTHD_SCHEMA_VERSION);
    uint64_t size;
    assert_int_equal(s->ops->log_size(s, AUTHD_LOG_SIGNATURES, &size), AUTHD_OK);
    assert_int_equal(size, RECORDS);
    for (int i = 0; i < RECORDS; i++) {
        char id[32], text[48];
        record_id(id, i);
        uint8_t *rec, *licence;
        size_t len, licence_len;
        uint64_t index;
        assert_int_equal(authd_storage_get(s, id, strlen(id), &rec, &len, &index), AUTHD_OK);
        assert_int_equal(index, (uint64_t)i);
        struct authd_licence_meta got, want = meta_of(i);
        assert_int_equal(authd_record_open(keys, id, strlen(id), rec, len, &got, &licence, &licence_len),
                         AUTHD_OK);
        assert_int_equal(got.status, want.status);
        assert_int_equal(got.status_idx, want.status_idx);
        assert_int_equal(got.issued_at, want.issued_at);
        int n = snprintf(text, sizeof(text), "licence body %d", i);
        assert_int_equal(licence_len, (size_t)n);
        assert_memory_equal(licence, text, licence_len);
        free(licence);
        free(rec);
    }
    authd_storage_close(s);
    /* a second opening finds the current schema and changes nothing */
    s = open_with(dir, NULL, AUTHD_OK, NULL);
    assert_int_equal(s->ops->schema_version(s), AUTHD_SCHEMA_VERSION);
    authd_storage_close(s);
    authd_record_keys_free(keys);
}

static void test_upgrade(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    write_v2_store(dir, 0, -1);
    check_upgraded(dir);
    scratch_remove(dir);
}

static void test_interrupted_upgrade_finishes(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    write_v2_store(dir, 2500, -1);
    check_upgraded(dir);
    scratch_remove(dir);
}

static void test_needs_the_data_key(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    write_v2_store(dir, 0, -1);
    assert_null(open_with(dir, NULL, AUTHD_E_SCHEMA, "holds schema version 2"));
    scratch_remove(dir);
}

static void test_record_under_another_key(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    write_v2_store(dir, 0, 4500); /* in the second batch: the first one stays upgraded */
    struct authd_record_keys *keys = demo_record_keys();
    assert_null(open_with(dir, keys, AUTHD_E_CORRUPT, "does not open under this data key"));
    /* still schema 2 (the version moves last), and the same error again */
    assert_null(open_with(dir, keys, AUTHD_E_CORRUPT, "does not open under this data key"));
    authd_record_keys_free(keys);
    scratch_remove(dir);
}

/* A schema 3 store: an access log of RECORDS entries (more than one upgrade batch), entry i about holder
 * i % 3, or about no one when i % 3 == 2; no holder-access index. */
static void write_v3_store(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, entries;
    OK(mdb_env_create(&env));
    OK(mdb_env_set_mapsize(env, (size_t)64 << 20));
    OK(mdb_env_set_maxdbs(env, 16));
    OK(mdb_env_open(env, dir, 0, 0600));
    OK(mdb_txn_begin(env, NULL, 0, &txn));
    OK(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta));
    OK(mdb_dbi_open(txn, "log.access.entries", MDB_CREATE, &entries));
    uint8_t version[4] = {0, 0, 0, 3};
    MDB_val k = {14, "schema_version"}, v = {4, version};
    OK(mdb_put(txn, meta, &k, &v, 0));
    uint8_t holders[2][AUTHD_HOLDER_KEY_LEN], digest[32] = {0};
    memset(holders[0], 0x11, AUTHD_HOLDER_KEY_LEN);
    memset(holders[1], 0x22, AUTHD_HOLDER_KEY_LEN);
    for (int i = 0; i < RECORDS; i++) {
        static char entry[CERTLIB_LOG_ENTRY_MAX];
        size_t n = authd_log_entry_access(entry, i % 2 == 0, 1790000000 + i, "counter-a", "m01",
                                          i % 3 == 2 ? NULL : holders[i % 3], "ok", "-", "", 0, digest);
        assert_true(n > 0);
        uint8_t index[8];
        be(index, (uint64_t)i, 8);
        k = (MDB_val){8, index};
        v = (MDB_val){n, entry};
        OK(mdb_put(txn, entries, &k, &v, MDB_APPEND));
    }
    OK(mdb_txn_commit(txn));
    mdb_env_close(env);
}

struct filed {
    int holder;
    size_t n;
};

static int check_filed(void *arg, uint64_t index)
{
    struct filed *f = arg;
    assert_int_equal(index % 3, (uint64_t)f->holder);
    f->n++;
    return 0;
}

static void test_holder_access_index_built(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    write_v3_store(dir);
    struct authd_storage *s = open_with(dir, NULL, AUTHD_OK, NULL);
    assert_int_equal(s->ops->schema_version(s), AUTHD_SCHEMA_VERSION);
    for (int h = 0; h < 2; h++) {
        uint8_t key[AUTHD_HOLDER_KEY_LEN];
        memset(key, h ? 0x22 : 0x11, AUTHD_HOLDER_KEY_LEN);
        struct filed f = {h, 0};
        assert_int_equal(s->ops->holder_access(s, key, 0, RECORDS, check_filed, &f), AUTHD_OK);
        assert_int_equal(f.n, (RECORDS + 2 - h) / 3); /* every entry about this holder, none other */
    }
    authd_storage_close(s);
    scratch_remove(dir);
}

/* Sets the store's schema number, as an older authd left it. */
static void set_version(const char *dir, uint8_t number)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    OK(mdb_env_create(&env));
    OK(mdb_env_set_mapsize(env, (size_t)64 << 20));
    OK(mdb_env_set_maxdbs(env, 16));
    OK(mdb_env_open(env, dir, 0, 0600));
    OK(mdb_txn_begin(env, NULL, 0, &txn));
    OK(mdb_dbi_open(txn, "meta", 0, &meta));
    uint8_t version[4] = {0, 0, 0, number};
    MDB_val k = {14, "schema_version"}, v = {4, version};
    OK(mdb_put(txn, meta, &k, &v, 0));
    OK(mdb_txn_commit(txn));
    mdb_env_close(env);
}

/* Schemas 5, 6 and 7 changed PostgreSQL's tables only: a schema 4, 5 or 6 LMDB store takes the number and
 * keeps its data; a number this authd does not know is refused. */
static void test_schemas_4_to_6_take_the_number(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    write_v3_store(dir);
    authd_storage_close(open_with(dir, NULL, AUTHD_OK, NULL));
    for (uint8_t older = 4; older <= 6; older++) {
        set_version(dir, older);
        struct authd_storage *s = open_with(dir, NULL, AUTHD_OK, NULL);
        assert_int_equal(s->ops->schema_version(s), AUTHD_SCHEMA_VERSION);
        uint8_t key[AUTHD_HOLDER_KEY_LEN];
        memset(key, 0x11, AUTHD_HOLDER_KEY_LEN);
        struct filed f = {0, 0};
        assert_int_equal(s->ops->holder_access(s, key, 0, RECORDS, check_filed, &f), AUTHD_OK);
        assert_int_equal(f.n, (RECORDS + 2) / 3);
        uint64_t size;
        assert_int_equal(s->ops->log_size(s, AUTHD_LOG_ACCESS, &size), AUTHD_OK);
        assert_int_equal(size, RECORDS);
        authd_storage_close(s);
    }
    set_version(dir, AUTHD_SCHEMA_VERSION + 1);
    open_with(dir, NULL, AUTHD_E_SCHEMA, "this authd uses");
    scratch_remove(dir);
}

int main(int argc, char **argv)
{
    if (argc > 1) test_repo = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upgrade),
        cmocka_unit_test(test_interrupted_upgrade_finishes),
        cmocka_unit_test(test_needs_the_data_key),
        cmocka_unit_test(test_record_under_another_key),
        cmocka_unit_test(test_holder_access_index_built),
        cmocka_unit_test(test_schemas_4_to_6_take_the_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
