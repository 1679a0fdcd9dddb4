/* The storage contract (authd/storage/storage.h), written once and run against every backend named
 * on the command line ("lmdb", "postgresql": the latter in a scratch server whose conninfo is in
 * AUTHD_TEST_PG, tests/support/pgscratch.py). Records are opaque bytes to a backend, so these tests
 * store arbitrary ones; log hashes are checked against roots the test computes itself from the
 * entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authd_support.h"
#include "storage/storage.h"

/* ---- backends ---- */

struct fixture;

struct backend {
    const char *name;
    /* A fresh, empty store: a directory or a database, named by a malloc'd string. */
    char *(*create)(void);
    struct authd_storage *(*open)(const char *where);
    void (*destroy)(char *where);
    /* Makes the next big batch (64 records of 64 KiB) fail as a whole by the backend's own means, and
     * undoes it. */
    void (*sabotage)(struct fixture *f);
    void (*heal)(struct fixture *f);
};

struct fixture {
    char *where;
    struct authd_storage *s;
};

static const struct backend *backend;

static char *lmdb_create(void)
{
    return scratch_dir();
}

static struct authd_storage *lmdb_open(const char *dir)
{
    return open_lmdb(dir, 0);
}

/* LMDB: reopened with a map of one megabyte, the batch does not fit. */
static void lmdb_sabotage(struct fixture *f)
{
    authd_storage_close(f->s);
    f->s = open_lmdb(f->where, (size_t)1 << 20);
}

static void lmdb_heal(struct fixture *f)
{
    (void)f;
}

/* PostgreSQL: a database per test, made through the scratch server's maintenance database. */
static void pg_admin(const char *sql)
{
    const char *conninfo = getenv("AUTHD_TEST_PG");
    if (!conninfo) fail_msg("AUTHD_TEST_PG is not set: run under tests/support/pgscratch.py");
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) fail_msg("%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

static char *pg_create(void)
{
    static int n;
    char name[64], sql[256];
    snprintf(name, sizeof(name), "authd_contract_%d_%d", (int)getpid(), ++n);
    /* A collation that orders text otherwise than bytes do ("h1-a" before "h1-B"), as a database made
     * with a locale such as zh_CN.UTF-8 would: the order of ids must not depend on it. */
    snprintf(sql, sizeof(sql),
             "CREATE DATABASE %s TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'",
             name);
    pg_admin(sql);
    char *where = malloc(strlen(getenv("AUTHD_TEST_PG")) + 80);
    sprintf(where, "%s dbname=%s", getenv("AUTHD_TEST_PG"), name); /* the later dbname wins */
    return where;
}

static struct authd_storage *pg_open(const char *where)
{
    struct authd_postgres_options o = {.conninfo = where, .pool_size = 4, .create = true};
    struct authd_storage *s = NULL;
    char err[512] = "";
    authd_err rc = authd_storage_open_postgres(&o, &s, err, sizeof(err));
    if (rc) fail_msg("PostgreSQL %s: %s (%s)", where, err, authd_err_name(rc));
    return s;
}

static void pg_destroy(char *where)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", strstr(where, "dbname=authd_contract") + 7);
    pg_admin(sql);
    free(where);
}

static void pg_on(const struct fixture *f, const char *sql)
{
    PGconn *c = PQconnectdb(f->where);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_msg("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* PostgreSQL: the hashes' table refuses every row, so the batch fails at its last statements, after
 * the records, the index and the entries went in. (Hashes are stored from level 4: the sabotaged batch
 * appends 64 entries, completing subtrees of 16, 32 and 64 leaves.) */
static void pg_sabotage(struct fixture *f)
{
    pg_on(f, "ALTER TABLE authd_log_hashes ADD CONSTRAINT sabotage CHECK (level < 0) NOT VALID");
}

static void pg_heal(struct fixture *f)
{
    pg_on(f, "ALTER TABLE authd_log_hashes DROP CONSTRAINT sabotage");
}

static const struct backend backends[] = {
    {"lmdb", lmdb_create, lmdb_open, scratch_remove, lmdb_sabotage, lmdb_heal},
    {"postgresql", pg_create, pg_open, pg_destroy, pg_sabotage, pg_heal},
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->where = backend->create();
    f->s = backend->open(f->where);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    authd_storage_close(f->s);
    backend->destroy(f->where);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static uint64_t log_size(struct authd_storage *s, enum authd_log_id log)
{
    uint64_t n = UINT64_MAX;
    assert_int_equal(s->ops->log_size(s, log, &n), AUTHD_OK);
    return n;
}

static void holder_key(uint8_t key[AUTHD_HOLDER_KEY_LEN], int holder)
{
    memset(key, 0, AUTHD_HOLDER_KEY_LEN);
    key[0] = (uint8_t)holder;
    key[AUTHD_HOLDER_KEY_LEN - 1] = 0x5a;
}

/* A PUT of record "record of <id>" with its signature-log entry "issue <id>". */
struct put {
    char id[64], entry[96];
    uint8_t record[128], key[AUTHD_HOLDER_KEY_LEN], place[AUTHD_PLACE_LEN];
    size_t record_len;
};

static struct authd_storage_write put_write(struct put *p, const char *id, int holder)
{
    snprintf(p->id, sizeof(p->id), "%s", id);
    snprintf(p->entry, sizeof(p->entry), "issue %s", id);
    p->record_len = (size_t)snprintf((char *)p->record, sizeof(p->record), "record of %s", id);
    holder_key(p->key, holder);
    memset(p->place, '.', AUTHD_PLACE_LEN); /* a place of its own: the id, padded */
    memcpy(p->place, p->id, strlen(p->id) < AUTHD_PLACE_LEN ? strlen(p->id) : AUTHD_PLACE_LEN);
    return (struct authd_storage_write){.op = AUTHD_STORE_PUT,
                                        .id = p->id,
                                        .id_len = strlen(p->id),
                                        .record = p->record,
                                        .record_len = p->record_len,
                                        .holder_key = p->key,
                                        .place = p->place,
                                        .log = AUTHD_LOG_SIGNATURES,
                                        .entry = (const uint8_t *)p->entry,
                                        .entry_len = strlen(p->entry)};
}

static void assert_record(struct authd_storage *s, const char *id, const char *want, uint64_t want_index)
{
    uint8_t *rec = NULL;
    size_t len = 0;
    uint64_t index = 0;
    assert_int_equal(authd_storage_get(s, id, strlen(id), &rec, &len, &index), AUTHD_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(rec, want, len);
    assert_int_equal(index, want_index);
    free(rec);
}

struct collected {
    char items[16][96];
    uint64_t index[16];
    size_t n, stop_after;
};

/* holder_records' callback: the ids, checking each record is the one stored under it. */
static int collect_id(void *arg, const char *id, size_t len, const uint8_t *record, size_t record_len,
                      uint64_t log_index)
{
    (void)log_index;
    struct collected *c = arg;
    snprintf(c->items[c->n], sizeof(c->items[0]), "%.*s", (int)len, id);
    char want[128];
    int n = snprintf(want, sizeof(want), "record of %s", c->items[c->n]);
    if (record_len != (size_t)n || memcmp(record, want, record_len) != 0) return (int)AUTHD_E_CORRUPT;
    return ++c->n == c->stop_after ? -1 : 0;
}

static int collect_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    struct collected *c = arg;
    snprintf(c->items[c->n], sizeof(c->items[0]), "%.*s", (int)len, (const char *)entry);
    c->index[c->n] = index;
    return ++c->n == c->stop_after;
}

static void assert_entry(struct authd_storage *s, enum authd_log_id log, uint64_t index, const char *want)
{
    struct collected c = {0};
    assert_int_equal(s->ops->log_entries(s, log, index, 1, collect_entry, &c), AUTHD_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.items[0], want);
    assert_int_equal(c.index[0], index);
}

/* ---- the contract ---- */

static void test_empty_store(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    assert_int_equal(s->ops->schema_version(s), AUTHD_SCHEMA_VERSION);
    assert_int_equal(log_size(s, AUTHD_LOG_SIGNATURES), 0);
    assert_int_equal(log_size(s, AUTHD_LOG_ACCESS), 0);
    uint8_t *rec;
    size_t len;
    assert_int_equal(authd_storage_get(s, "x", 1, &rec, &len, NULL), AUTHD_E_NOT_FOUND);
    certlib_tlog_hash h;
    assert_int_equal(s->ops->log_hashes(s, AUTHD_LOG_SIGNATURES, 0, 0, 1, &h), AUTHD_E_NOT_FOUND);
    certlib_tlog_hash border[64];
    uint64_t border_size = 1;
    assert_int_equal(s->ops->log_border(s, AUTHD_LOG_SIGNATURES, &border_size, border), AUTHD_OK);
    assert_int_equal(border_size, 0);
    struct collected c = {0};
    assert_int_equal(s->ops->log_entries(s, AUTHD_LOG_SIGNATURES, 0, 1, collect_entry, &c),
                     AUTHD_E_NOT_FOUND);
    struct authd_storage_stats st;
    assert_int_equal(s->ops->stats(s, &st), AUTHD_OK);
    assert_int_equal(st.records, 0);
}

/* Clause 2: a batch's entries take consecutive indices in order, and each record carries its own. */
static void test_batch_of_puts(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    struct put p[3];
    struct authd_storage_write w[3] = {put_write(&p[0], "b-licence", 1), put_write(&p[1], "a-licence", 1),
                                       put_write(&p[2], "c-licence", 2)};
    assert_int_equal(authd_storage_apply(s, w, 3), AUTHD_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(w[i].result, AUTHD_OK);
        assert_int_equal(w[i].log_index, i);
    }
    assert_int_equal(log_size(s, AUTHD_LOG_SIGNATURES), 3);
    assert_int_equal(log_size(s, AUTHD_LOG_ACCESS), 0);
    assert_record(s, "b-licence", "record of b-licence", 0);
    assert_record(s, "a-licence", "record of a-licence", 1);
    assert_record(s, "c-licence", "record of c-licence", 2);
    struct collected c = {0};
    assert_int_equal(s->ops->log_entries(s, AUTHD_LOG_SIGNATURES, 0, 3, collect_entry, &c), AUTHD_OK);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.items[0], "issue b-licence");
    assert_string_equal(c.items[2], "issue c-licence");
    /* the holder index, in id order */
    uint8_t key[AUTHD_HOLDER_KEY_LEN];
    holder_key(key, 1);
    struct collected ids = {0};
    assert_int_equal(s->ops->holder_records(s, key, collect_id, &ids), AUTHD_OK);
    assert_int_equal(ids.n, 2);
    assert_string_equal(ids.items[0], "a-licence");
    assert_string_equal(ids.items[1], "b-licence");
    holder_key(key, 9);
    struct collected none = {0};
    assert_int_equal(s->ops->holder_records(s, key, collect_id, &none), AUTHD_OK);
    assert_int_equal(none.n, 0);
    struct authd_storage_stats st;
    assert_int_equal(s->ops->stats(s, &st), AUTHD_OK);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.log_size[AUTHD_LOG_SIGNATURES], 3);
}

/* Clause 1: a write refused on its own changes nothing and the rest of its batch takes effect. */
static void test_existing_id_refused_alone(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    struct put first;
    struct authd_storage_write w0 = put_write(&first, "taken", 1);
    assert_int_equal(authd_storage_apply(s, &w0, 1), AUTHD_OK);
    struct put p[3];
    struct authd_storage_write w[3] = {put_write(&p[0], "new-1", 1), put_write(&p[1], "taken", 2),
                                       put_write(&p[2], "new-2", 1)};
    memcpy(p[1].record, "another", 7);
    p[1].record_len = w[1].record_len = 7;
    assert_int_equal(authd_storage_apply(s, w, 3), AUTHD_OK);
    assert_int_equal(w[0].result, AUTHD_OK);
    assert_int_equal(w[1].result, AUTHD_E_EXISTS);
    assert_int_equal(w[2].result, AUTHD_OK);
    assert_int_equal(w[0].log_index, 1);
    assert_int_equal(w[2].log_index, 2); /* the refused write took no index */
    assert_int_equal(log_size(s, AUTHD_LOG_SIGNATURES), 3);
    assert_record(s, "taken", "record of taken", 0);
    assert_record(s, "new-2", "record of new-2", 2);
    uint8_t key[AUTHD_HOLDER_KEY_LEN];
    holder_key(key, 2);
    struct collected ids = {0};
    assert_int_equal(s->ops->holder_records(s, key, collect_id, &ids), AUTHD_OK);
    assert_int_equal(ids.n, 0); /* nor an index entry */
}

/* Clause 1 for places, and repeats inside one batch: the later write is refused alone. A backend
 * that several nodes share refuses a second record in a place; one process's backend may not look. */
static void test_places_and_repeats(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    struct put p[4];
    struct authd_storage_write w[4] = {put_write(&p[0], "one", 1), put_write(&p[1], "one", 1),
                                       put_write(&p[2], "two", 1), put_write(&p[3], "three", 1)};
    memcpy(p[3].place, p[2].place, AUTHD_PLACE_LEN); /* "three" in the place of "two" */
    assert_int_equal(authd_storage_apply(s, w, 4), AUTHD_OK);
    assert_int_equal(w[0].result, AUTHD_OK);
    assert_int_equal(w[1].result, AUTHD_E_EXISTS);
    assert_int_equal(w[2].result, AUTHD_OK);
    assert_int_equal(w[3].result, s->ops->shared ? AUTHD_E_CONFLICT : AUTHD_OK);
    assert_int_equal(w[0].log_index, 0);
    assert_int_equal(w[2].log_index, 1);
    assert_int_equal(log_size(s, AUTHD_LOG_SIGNATURES), s->ops->shared ? 2 : 3);
    /* and against what is stored */
    struct put q[2];
    struct authd_storage_write later[2] = {put_write(&q[0], "four", 2), put_write(&q[1], "five", 2)};
    memcpy(q[0].place, p[0].place, AUTHD_PLACE_LEN);
    assert_int_equal(authd_storage_apply(s, later, 2), AUTHD_OK);
    assert_int_equal(later[0].result, s->ops->shared ? AUTHD_E_CONFLICT : AUTHD_OK);
    assert_int_equal(later[1].result, AUTHD_OK);
    if (s->ops->shared) {
        uint8_t *rec;
        size_t len;
        assert_int_equal(authd_storage_get(s, "four", 4, &rec, &len, NULL), AUTHD_E_NOT_FOUND);
    }
}

/* The update callback: upper-cases the record, or refuses when it starts with "final". */
static authd_err upper(void *arg, const char *id, size_t id_len, const uint8_t *current, uint8_t *next,
                       size_t len)
{
    (void)id, (void)id_len;
    int *calls = arg;
    (*calls)++;
    if (len >= 5 && memcmp(current, "final", 5) == 0) return AUTHD_E_CONFLICT;
    for (size_t i = 0; i < len; i++)
        next[i] = (uint8_t)(current[i] >= 'a' && current[i] <= 'z' ? current[i] - 32 : current[i]);
    return AUTHD_OK;
}

/* Appends nothing but marks the record's last byte: each call sees what the one before wrote. */
static authd_err count_up(void *arg, const char *id, size_t id_len, const uint8_t *current, uint8_t *next,
                          size_t len)
{
    (void)arg, (void)id, (void)id_len;
    memcpy(next, current, len);
    next[len - 1] = (uint8_t)(current[len - 1] + 1);
    return AUTHD_OK;
}

static struct authd_storage_write update_write(const char *id,
                                               authd_err (*fn)(void *, const char *, size_t, const uint8_t *,
                                                               uint8_t *, size_t),
                                               void *arg, const char *entry)
{
    return (struct authd_storage_write){.op = AUTHD_STORE_UPDATE,
                                        .id = id,
                                        .id_len = strlen(id),
                                        .update = fn,
                                        .update_arg = arg,
                                        .log = AUTHD_LOG_SIGNATURES,
                                        .entry = (const uint8_t *)entry,
                                        .entry_len = entry ? strlen(entry) : 0};
}

static void test_update(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    struct put p[2];
    struct authd_storage_write w[2] = {put_write(&p[0], "lic", 1), put_write(&p[1], "final-lic", 1)};
    memcpy(p[1].record, "final", 5);
    assert_int_equal(authd_storage_apply(s, w, 2), AUTHD_OK);

    int calls = 0;
    struct authd_storage_write u[3] = {update_write("lic", upper, &calls, "status lic"),
                                       update_write("final-lic", upper, &calls, "status final-lic"),
                                       update_write("missing", upper, &calls, "status missing")};
    assert_int_equal(authd_storage_apply(s, u, 3), AUTHD_OK);
    assert_int_equal(u[0].result, AUTHD_OK);
    assert_int_equal(u[0].log_index, 2);
    assert_int_equal(u[1].result, AUTHD_E_CONFLICT); /* the callback's refusal, as it gave it */
    assert_int_equal(u[2].result, AUTHD_E_NOT_FOUND);
    assert_int_equal(calls, 2); /* never called for a missing record */
    assert_int_equal(log_size(s, AUTHD_LOG_SIGNATURES), 3);
    assert_entry(s, AUTHD_LOG_SIGNATURES, 2, "status lic");
    /* the new bytes, under the record's own (issuance) log index */
    assert_record(s, "lic", "RECORD OF LIC", 0);
    assert_record(s, "final-lic", "finald of final-lic", 1);
}

/* Clause 6: updates of one record in one batch see each other's outcome. */
static void test_updates_serialize(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    struct put p;
    struct authd_storage_write w = put_write(&p, "counter", 1);
    p.record[p.record_len - 1] = '0';
    assert_int_equal(authd_storage_apply(s, &w, 1), AUTHD_OK);
    struct authd_storage_write u[4];
    for (int i = 0; i < 4; i++)
        u[i] = update_write("counter", count_up, NULL, NULL); /* no log entry */
    assert_int_equal(authd_storage_apply(s, u, 4), AUTHD_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(u[i].result, AUTHD_OK);
    assert_record(s, "counter", "record of counte4", 0);
    assert_int_equal(log_size(s, AUTHD_LOG_SIGNATURES), 1);
}

static struct authd_storage_write append_write(enum authd_log_id log, const char *entry)
{
    return (struct authd_storage_write){
        .op = AUTHD_STORE_APPEND, .log = log, .entry = (const uint8_t *)entry, .entry_len = strlen(entry)};
}

static void test_logs_are_separate_sequences(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    struct put p;
    struct authd_storage_write w[4] = {append_write(AUTHD_LOG_ACCESS, "access 0"), put_write(&p, "lic", 1),
                                       append_write(AUTHD_LOG_ACCESS, "access 1"),
                                       append_write(AUTHD_LOG_SIGNATURES, "sig 1")};
    assert_int_equal(authd_storage_apply(s, w, 4), AUTHD_OK);
    assert_int_equal(w[0].log_index, 0);
    assert_int_equal(w[1].log_index, 0);
    assert_int_equal(w[2].log_index, 1);
    assert_int_equal(w[3].log_index, 1);
    assert_int_equal(log_size(s, AUTHD_LOG_ACCESS), 2);
    assert_int_equal(log_size(s, AUTHD_LOG_SIGNATURES), 2);
    assert_entry(s, AUTHD_LOG_ACCESS, 1, "access 1");
    assert_entry(s, AUTHD_LOG_SIGNATURES, 1, "sig 1");
    struct collected c = {.stop_after = 1};
    assert_int_equal(s->ops->log_entries(s, AUTHD_LOG_ACCESS, 0, 2, collect_entry, &c), AUTHD_OK);
    assert_int_equal(c.n, 1); /* stopped when asked */
    struct collected past = {0};
    assert_int_equal(s->ops->log_entries(s, AUTHD_LOG_ACCESS, 1, 2, collect_entry, &past), AUTHD_E_NOT_FOUND);
}

/* ---- the holder-access index ---- */

struct indices {
    uint64_t v[16];
    size_t n, stop_after;
};

static int collect_index(void *arg, uint64_t index)
{
    struct indices *c = arg;
    assert_true(c->n < 16);
    c->v[c->n++] = index;
    return c->stop_after && c->n == c->stop_after ? (int)AUTHD_E_FULL : 0;
}

static void test_holder_access(void **state)
{
    struct fixture *f = *state;
    uint8_t one[AUTHD_HOLDER_KEY_LEN], two[AUTHD_HOLDER_KEY_LEN];
    holder_key(one, 1);
    holder_key(two, 2);
    struct authd_storage_write w[5] = {
        append_write(AUTHD_LOG_ACCESS, "about one"), append_write(AUTHD_LOG_ACCESS, "about no one"),
        append_write(AUTHD_LOG_ACCESS, "about two"), append_write(AUTHD_LOG_ACCESS, "one again"),
        append_write(AUTHD_LOG_SIGNATURES, "a signature entry names no holder")};
    w[0].holder_key = w[3].holder_key = one;
    w[2].holder_key = two;
    w[4].holder_key = one; /* ignored: only the access log is indexed */
    assert_int_equal(authd_storage_apply(f->s, w, 5), AUTHD_OK);
    struct indices c = {0};
    assert_int_equal(f->s->ops->holder_access(f->s, one, 0, 100, collect_index, &c), AUTHD_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.v[0], 0);
    assert_int_equal(c.v[1], 3);
    struct indices from = {0}, limited = {0}, stopped = {.stop_after = 1}, other = {0};
    assert_int_equal(f->s->ops->holder_access(f->s, one, 1, 100, collect_index, &from), AUTHD_OK);
    assert_int_equal(from.n, 1);
    assert_int_equal(from.v[0], 3);
    assert_int_equal(f->s->ops->holder_access(f->s, one, 0, 1, collect_index, &limited), AUTHD_OK);
    assert_int_equal(limited.n, 1);
    assert_int_equal(f->s->ops->holder_access(f->s, one, 0, 100, collect_index, &stopped), AUTHD_E_FULL);
    assert_int_equal(f->s->ops->holder_access(f->s, two, 0, 100, collect_index, &other), AUTHD_OK);
    assert_int_equal(other.n, 1);
    assert_int_equal(other.v[0], 2);
    uint8_t nobody[AUTHD_HOLDER_KEY_LEN];
    holder_key(nobody, 9);
    struct indices none = {0};
    assert_int_equal(f->s->ops->holder_access(f->s, nobody, 0, 100, collect_index, &none), AUTHD_OK);
    assert_int_equal(none.n, 0);
    /* a failed batch files nothing */
    backend->sabotage(f);
    enum { N = 64, BIG = 64 * 1024 };
    uint8_t *big = calloc(1, BIG);
    struct authd_storage_write many[N];
    for (int i = 0; i < N; i++)
        many[i] = (struct authd_storage_write){.op = AUTHD_STORE_APPEND,
                                               .log = AUTHD_LOG_ACCESS,
                                               .entry = big,
                                               .entry_len = BIG,
                                               .holder_key = two};
    assert_int_not_equal(authd_storage_apply(f->s, many, N), AUTHD_OK);
    backend->heal(f);
    free(big);
    struct indices after = {0};
    assert_int_equal(f->s->ops->holder_access(f->s, two, 0, 100, collect_index, &after), AUTHD_OK);
    assert_int_equal(after.n, 1);
    /* and the index survives reopening */
    authd_storage_close(f->s);
    f->s = backend->open(f->where);
    struct indices reopened = {0};
    assert_int_equal(f->s->ops->holder_access(f->s, one, 0, 100, collect_index, &reopened), AUTHD_OK);
    assert_int_equal(reopened.n, 2);
}

/* ---- settings ---- */

static void test_settings(void **state)
{
    struct fixture *f = *state;
    int64_t v = 0;
    assert_int_equal(f->s->ops->setting_get(f->s, "cipher", &v), AUTHD_E_NOT_FOUND);
    assert_int_equal(f->s->ops->setting_put(f->s, "cipher", 2), AUTHD_OK);
    assert_int_equal(f->s->ops->setting_put(f->s, "other_thing", -7), AUTHD_OK);
    assert_int_equal(f->s->ops->setting_get(f->s, "cipher", &v), AUTHD_OK);
    assert_int_equal(v, 2);
    assert_int_equal(f->s->ops->setting_put(f->s, "cipher", 1), AUTHD_OK); /* replaced */
    authd_storage_close(f->s);
    f->s = backend->open(f->where);
    assert_int_equal(f->s->ops->setting_get(f->s, "cipher", &v), AUTHD_OK);
    assert_int_equal(v, 1);
    assert_int_equal(f->s->ops->setting_get(f->s, "other_thing", &v), AUTHD_OK);
    assert_int_equal(v, -7);
    /* names are authd's own: anything else is refused, never stored */
    assert_int_equal(f->s->ops->setting_put(f->s, "Robert'); DROP", 1), AUTHD_E_INTERNAL);
    assert_int_equal(f->s->ops->setting_get(f->s, "", &v), AUTHD_E_INTERNAL);
}

/* ---- clause 4: stored hashes ---- */

struct storage_reader {
    struct authd_storage *s;
    enum authd_log_id log;
};

static certlib_err read_hash(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out)
{
    struct storage_reader *r = arg;
    return r->s->ops->log_hashes(r->s, r->log, level, index, 1, (certlib_tlog_hash *)out) ? CERTLIB_E_IO_READ
                                                                                          : CERTLIB_OK;
}

static void check_hashes(struct authd_storage *s, enum authd_log_id log, const certlib_tlog_hash *leaves,
                         uint64_t size)
{
    for (unsigned level = 0; (size >> level) > 0; level++) {
        uint64_t complete = size >> level;
        /* a whole level in one call, as a hash tile is read */
        certlib_tlog_hash *got = malloc(complete * sizeof(*got));
        assert_int_equal(s->ops->log_hashes(s, log, level, 0, complete, got), AUTHD_OK);
        for (uint64_t i = 0; i < complete; i++) {
            certlib_tlog_hash want;
            tree_hash(leaves + (i << level), (uint64_t)1 << level, want);
            assert_memory_equal(got[i], want, CERTLIB_TLOG_HASH_LEN);
        }
        free(got);
        certlib_tlog_hash h;
        assert_int_equal(s->ops->log_hashes(s, log, level, complete, 1, &h), AUTHD_E_NOT_FOUND);
    }
    certlib_tlog_hash want, got;
    tree_hash(leaves, size, want);
    struct storage_reader r = {s, log};
    assert_int_equal(certlib_tlog_root(size, read_hash, &r, got), CERTLIB_OK);
    assert_memory_equal(got, want, CERTLIB_TLOG_HASH_LEN);
    /* the border, read at once: the size, and the subtree ending the prefix at each of its set bits */
    certlib_tlog_hash border[64];
    uint64_t border_size = 0;
    assert_int_equal(s->ops->log_border(s, log, &border_size, border), AUTHD_OK);
    assert_int_equal(border_size, size);
    for (unsigned level = 0; (size >> level) > 0; level++) {
        if (!((size >> level) & 1)) continue;
        uint64_t index = (size >> level) - 1;
        tree_hash(leaves + (index << level), (uint64_t)1 << level, want);
        assert_memory_equal(border[level], want, CERTLIB_TLOG_HASH_LEN);
    }
}

static void test_stored_hashes(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    enum { TOTAL = 700 };
    static const size_t batches[] = {1, 1, 2, 7, 245, 1, 255, 188}; /* 700, crossing tile edges */
    certlib_tlog_hash *leaves = malloc(TOTAL * sizeof(*leaves));
    char(*entries)[32] = malloc(TOTAL * sizeof(*entries));
    struct authd_storage_write *w = calloc(TOTAL, sizeof(*w));
    uint64_t size = 0;
    for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
        for (size_t i = 0; i < batches[b]; i++) {
            snprintf(entries[size + i], sizeof(entries[0]), "access entry %zu", (size_t)(size + i));
            w[i] = append_write(AUTHD_LOG_ACCESS, entries[size + i]);
            certlib_tlog_leaf_hash((const uint8_t *)entries[size + i], strlen(entries[size + i]),
                                   leaves[size + i]);
        }
        assert_int_equal(authd_storage_apply(s, w, batches[b]), AUTHD_OK);
        size += batches[b];
        assert_int_equal(log_size(s, AUTHD_LOG_ACCESS), size);
        check_hashes(s, AUTHD_LOG_ACCESS, leaves, size);
    }
    assert_int_equal(size, TOTAL);
    free(leaves);
    free(entries);
    free(w);
}

/* ---- clause 3: durable ---- */

static void test_survives_reopening(void **state)
{
    struct fixture *f = *state;
    struct put p;
    struct authd_storage_write w[2] = {put_write(&p, "kept", 4), append_write(AUTHD_LOG_ACCESS, "seen")};
    assert_int_equal(authd_storage_apply(f->s, w, 2), AUTHD_OK);
    authd_storage_close(f->s);
    f->s = backend->open(f->where);
    assert_int_equal(f->s->ops->schema_version(f->s), AUTHD_SCHEMA_VERSION);
    assert_record(f->s, "kept", "record of kept", 0);
    assert_int_equal(log_size(f->s, AUTHD_LOG_SIGNATURES), 1);
    assert_entry(f->s, AUTHD_LOG_ACCESS, 0, "seen");
    /* and appending goes on where it stopped */
    struct authd_storage_write more = append_write(AUTHD_LOG_ACCESS, "after");
    assert_int_equal(authd_storage_apply(f->s, &more, 1), AUTHD_OK);
    assert_int_equal(more.log_index, 1);
}

/* ---- clause 1: all or none ---- */

static void test_failed_batch_changes_nothing(void **state)
{
    struct fixture *f = *state;
    struct put p;
    struct authd_storage_write first = put_write(&p, "before", 1);
    assert_int_equal(authd_storage_apply(f->s, &first, 1), AUTHD_OK);
    backend->sabotage(f);
    /* a batch larger than the store can hold: a record of 64 KiB each, 64 of them */
    enum { N = 64, BIG = 64 * 1024 };
    uint8_t *big = calloc(1, BIG);
    static char ids[N][16], entries[N][24];
    struct authd_storage_write w[N];
    uint8_t key[AUTHD_HOLDER_KEY_LEN];
    holder_key(key, 7);
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "big-%d", i);
        snprintf(entries[i], sizeof(entries[i]), "issue big-%d", i);
        w[i] = (struct authd_storage_write){.op = AUTHD_STORE_PUT,
                                            .id = ids[i],
                                            .id_len = strlen(ids[i]),
                                            .record = big,
                                            .record_len = BIG,
                                            .holder_key = key,
                                            .log = AUTHD_LOG_SIGNATURES,
                                            .entry = (const uint8_t *)entries[i],
                                            .entry_len = strlen(entries[i])};
    }
    authd_err rc = authd_storage_apply(f->s, w, N);
    assert_int_not_equal(rc, AUTHD_OK);
    for (int i = 0; i < N; i++)
        assert_int_not_equal(w[i].result, AUTHD_OK);
    uint8_t *rec;
    size_t len;
    assert_int_equal(authd_storage_get(f->s, "big-0", 5, &rec, &len, NULL), AUTHD_E_NOT_FOUND);
    assert_int_equal(log_size(f->s, AUTHD_LOG_SIGNATURES), 1);
    struct collected ids_seen = {0};
    assert_int_equal(f->s->ops->holder_records(f->s, key, collect_id, &ids_seen), AUTHD_OK);
    assert_int_equal(ids_seen.n, 0);
    backend->heal(f);
    /* the store goes on: the next write gets the index the failed batch would have taken */
    struct put q;
    struct authd_storage_write next = put_write(&q, "after", 1);
    assert_int_equal(authd_storage_apply(f->s, &next, 1), AUTHD_OK);
    assert_int_equal(next.log_index, 1);
    certlib_tlog_hash leaves[2];
    certlib_tlog_leaf_hash((const uint8_t *)"issue before", 12, leaves[0]);
    certlib_tlog_leaf_hash((const uint8_t *)"issue after", 11, leaves[1]);
    check_hashes(f->s, AUTHD_LOG_SIGNATURES, leaves, 2);
    free(big);
}

/* ---- callbacks that stop ---- */

static int stop_with(void *arg, const char *id, size_t id_len, const uint8_t *record, size_t len,
                     uint64_t index)
{
    (void)id, (void)id_len, (void)record, (void)len, (void)index;
    int *seen = arg;
    (*seen)++;
    return *seen == 2 ? (int)AUTHD_E_CORRUPT : 0;
}

static int stop_negative(void *arg, const char *id, size_t id_len, const uint8_t *record, size_t len,
                         uint64_t index)
{
    (void)arg, (void)id, (void)id_len, (void)record, (void)len, (void)index;
    return -1;
}

struct every {
    size_t n;
    uint64_t index_sum;
};

static int count_records(void *arg, const char *id, size_t id_len, const uint8_t *record, size_t len,
                         uint64_t index)
{
    (void)id, (void)id_len;
    struct every *e = arg;
    assert_true(len > 10 && memcmp(record, "record of ", 10) == 0);
    e->n++;
    e->index_sum += index;
    return 0;
}

static void test_each_record(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    struct put p[4];
    struct authd_storage_write w[4] = {put_write(&p[0], "r0", 1), put_write(&p[1], "r1", 1),
                                       put_write(&p[2], "r2", 2), put_write(&p[3], "r3", 3)};
    assert_int_equal(authd_storage_apply(s, w, 4), AUTHD_OK);
    struct every e = {0};
    assert_int_equal(s->ops->each_record(s, count_records, &e), AUTHD_OK);
    assert_int_equal(e.n, 4);
    assert_int_equal(e.index_sum, 0 + 1 + 2 + 3);
    int seen = 0;
    assert_int_equal(s->ops->each_record(s, stop_with, &seen), AUTHD_E_CORRUPT);
    assert_int_equal(seen, 2);
    assert_int_equal(s->ops->each_record(s, stop_negative, NULL), AUTHD_E_INTERNAL);
    uint8_t key[AUTHD_HOLDER_KEY_LEN];
    holder_key(key, 1);
    struct collected first = {.stop_after = 1};
    assert_int_equal(s->ops->holder_records(s, key, collect_id, &first), AUTHD_E_INTERNAL); /* -1 */
    assert_int_equal(first.n, 1);
}

/* holders_records: several holders in one read, each record beside the key it is under. */
struct by_holder {
    struct collected of[4];
};

static int collect_which(void *arg, size_t which, const char *id, size_t len, const uint8_t *record,
                         size_t record_len, uint64_t log_index)
{
    struct by_holder *b = arg;
    assert_true(which < 4);
    return collect_id(&b->of[which], id, len, record, record_len, log_index);
}

static void test_holders_in_one_read(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    if (!s->ops->holders_records) skip(); /* a backend read in place has none */
    struct put p[3];
    /* ids in byte order ("B" is 0x42, "a" 0x61), which is not the database's order of text (pg_create) */
    struct authd_storage_write w[3] = {put_write(&p[0], "h1-a", 1), put_write(&p[1], "h2-a", 2),
                                       put_write(&p[2], "h1-B", 1)};
    assert_int_equal(authd_storage_apply(s, w, 3), AUTHD_OK);
    uint8_t keys[4][AUTHD_HOLDER_KEY_LEN];
    holder_key(keys[0], 2);
    holder_key(keys[1], 1);
    holder_key(keys[2], 9); /* holds nothing */
    holder_key(keys[3], 1); /* asked twice: answered twice */
    authd_err results[4] = {AUTHD_E_IO, AUTHD_E_IO, AUTHD_E_IO, AUTHD_E_IO};
    struct by_holder b = {0};
    assert_int_equal(s->ops->holders_records(s, (const uint8_t(*)[AUTHD_HOLDER_KEY_LEN])keys, 4,
                                             collect_which, &b, results),
                     AUTHD_OK);
    for (int k = 0; k < 4; k++)
        assert_int_equal(results[k], AUTHD_OK);
    assert_int_equal(b.of[0].n, 1);
    assert_string_equal(b.of[0].items[0], "h2-a");
    assert_int_equal(b.of[2].n, 0);
    for (int k = 1; k < 4; k += 2) { /* in id order, as holder_records gives them */
        assert_int_equal(b.of[k].n, 2);
        assert_string_equal(b.of[k].items[0], "h1-B");
        assert_string_equal(b.of[k].items[1], "h1-a");
    }
    struct collected one = {0};
    assert_int_equal(s->ops->holder_records(s, keys[1], collect_id, &one), AUTHD_OK);
    assert_int_equal(one.n, 2);
    assert_string_equal(one.items[0], "h1-B");
    assert_string_equal(one.items[1], "h1-a");
    /* a callback that stops stops its own holder's calls only */
    struct by_holder stopped = {.of[1].stop_after = 1};
    assert_int_equal(s->ops->holders_records(s, (const uint8_t(*)[AUTHD_HOLDER_KEY_LEN])keys, 4,
                                             collect_which, &stopped, results),
                     AUTHD_OK);
    assert_int_equal(results[1], AUTHD_E_INTERNAL); /* -1, as holder_records passes it back */
    assert_int_equal(stopped.of[1].n, 1);
    assert_int_equal(results[3], AUTHD_OK);
    assert_int_equal(stopped.of[3].n, 2);
    assert_int_equal(results[0], AUTHD_OK);
    assert_int_equal(stopped.of[0].n, 1);
    assert_int_equal(s->ops->holders_records(s, NULL, 0, collect_which, &b, results), AUTHD_OK);
}

/* ---- clause 5: readers during writes ---- */

enum { RACE_WRITES = 300 };

struct race {
    struct authd_storage *s;
    _Atomic int done;
    size_t checks;
};

static void race_id(char out[32], size_t k)
{
    snprintf(out, 32, "race-%05zu", k);
}

static void *race_reader(void *arg)
{
    struct race *r = arg;
    while (!r->done) {
        uint64_t size;
        if (r->s->ops->log_size(r->s, AUTHD_LOG_SIGNATURES, &size)) return "log_size failed";
        if (size == 0) continue;
        /* log_size never leads the data: the record of the last durable entry is there */
        char id[32];
        race_id(id, (size_t)(size - 1));
        uint8_t *rec = NULL;
        size_t len;
        uint64_t index;
        if (authd_storage_get(r->s, id, strlen(id), &rec, &len, &index) != AUTHD_OK)
            return "record behind log";
        free(rec);
        if (index != size - 1) return "record with another log index";
        /* and a record seen has its entry, at its index, below log_size once apply() has returned */
        char entry[48];
        snprintf(entry, sizeof(entry), "issue %s", id);
        struct collected c = {0};
        if (r->s->ops->log_entries(r->s, AUTHD_LOG_SIGNATURES, index, 1, collect_entry, &c) != AUTHD_OK ||
            c.n != 1 || strcmp(c.items[0], entry) != 0)
            return "entry missing or different";
        r->checks++;
    }
    return NULL;
}

static void test_readers_during_writes(void **state)
{
    struct authd_storage *s = ((struct fixture *)*state)->s;
    struct race r = {.s = s};
    pthread_t reader;
    assert_int_equal(pthread_create(&reader, NULL, race_reader, &r), 0);
    for (size_t k = 0; k < RACE_WRITES; k++) {
        char id[32];
        race_id(id, k);
        struct put p;
        struct authd_storage_write w = put_write(&p, id, (int)(k % 5));
        assert_int_equal(authd_storage_apply(s, &w, 1), AUTHD_OK);
        assert_int_equal(w.log_index, k);
    }
    r.done = 1;
    void *failed;
    pthread_join(reader, &failed);
    if (failed) fail_msg("reader: %s", (const char *)failed);
    assert_int_equal(log_size(s, AUTHD_LOG_SIGNATURES), RACE_WRITES);
    print_message("  %zu consistent reads during %d commits\n", r.checks, RACE_WRITES);
}

/* ---- several writers on one store (backends several nodes share) ---- */

struct writer_thread {
    struct authd_storage *s;
    int which;
    uint64_t indices[200];
    certlib_tlog_hash leaves[200];
    char entries[200][40];
};

static void *write_many(void *arg)
{
    struct writer_thread *t = arg;
    for (int k = 0; k < 200; k += 4) { /* batches of 4 */
        struct authd_storage_write w[4];
        for (int j = 0; j < 4; j++) {
            snprintf(t->entries[k + j], sizeof(t->entries[0]), "node %d entry %d", t->which, k + j);
            w[j] = append_write(AUTHD_LOG_ACCESS, t->entries[k + j]);
        }
        if (authd_storage_apply(t->s, w, 4) != AUTHD_OK) return "apply failed";
        for (int j = 0; j < 4; j++)
            t->indices[k + j] = w[j].log_index;
    }
    return NULL;
}

/* Two handles on one store, as two nodes: their appends interleave in one linear log whose stored
 * hashes are those of that sequence. */
static void test_two_writers(void **state)
{
    struct fixture *f = *state;
    if (!f->s->ops->shared) {
        print_message("  (%s is one process's: skipped)\n", backend->name);
        return;
    }
    struct authd_storage *other = backend->open(f->where);
    static struct writer_thread t[2];
    t[0] = (struct writer_thread){.s = f->s, .which = 0};
    t[1] = (struct writer_thread){.s = other, .which = 1};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, write_many, &t[i]), 0);
    for (int i = 0; i < 2; i++) {
        void *failed;
        pthread_join(th[i], &failed);
        if (failed) fail_msg("writer %d: %s", i, (const char *)failed);
    }
    assert_int_equal(log_size(f->s, AUTHD_LOG_ACCESS), 400);
    /* every index once, and the entry there is the one that got it */
    static certlib_tlog_hash leaves[400];
    static bool seen[400];
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 200; k++) {
            uint64_t at = t[i].indices[k];
            assert_true(at < 400 && !seen[at]);
            seen[at] = true;
            assert_entry(f->s, AUTHD_LOG_ACCESS, at, t[i].entries[k]);
            certlib_tlog_leaf_hash((const uint8_t *)t[i].entries[k], strlen(t[i].entries[k]), leaves[at]);
        }
    check_hashes(f->s, AUTHD_LOG_ACCESS, leaves, 400);
    check_hashes(other, AUTHD_LOG_ACCESS, leaves, 400);
    authd_storage_close(other);
}

/* What apply() remembers of the tree it left (committed_border, where a backend has it) is the stored
 * tree's border. */
static void assert_remembered_border(struct authd_storage *s, enum authd_log_id log)
{
    if (!s->ops->committed_border) return;
    certlib_tlog_hash stored[64], remembered[64];
    uint64_t stored_size = 0, remembered_size = 0;
    assert_int_equal(s->ops->log_border(s, log, &stored_size, stored), AUTHD_OK);
    assert_int_equal(s->ops->committed_border(s, log, &remembered_size, remembered), AUTHD_OK);
    assert_int_equal(remembered_size, stored_size);
    for (unsigned l = 0; l < 64; l++)
        if ((stored_size >> l) & 1) assert_memory_equal(remembered[l], stored[l], CERTLIB_TLOG_HASH_LEN);
}

/* A writer's later batches keep clauses 1 and 2 as its first did (on a shared store they are planned on
 * the borders the last batch left and sent in one round trip): a record colliding with a stored one is
 * refused alone, another node's appends in between move the batch to the right indices, and what the
 * writer remembers of each tree it left is the stored tree. */
static void test_a_warm_writer(void **state)
{
    struct fixture *f = *state;
    struct authd_storage *s = f->s;
    static char entries[8][32];
    certlib_tlog_hash leaves[8];
    uint64_t n = 0;
    for (; n < 6; n++) { /* warm: a batch after a batch */
        snprintf(entries[n], sizeof(entries[n]), "access %d", (int)n);
        struct authd_storage_write w = append_write(AUTHD_LOG_ACCESS, entries[n]);
        assert_int_equal(authd_storage_apply(s, &w, 1), AUTHD_OK);
        assert_int_equal(w.log_index, n);
        certlib_tlog_leaf_hash((const uint8_t *)entries[n], strlen(entries[n]), leaves[n]);
        assert_remembered_border(s, AUTHD_LOG_ACCESS);
    }
    struct put taken, p[3];
    struct authd_storage_write w0 = put_write(&taken, "taken", 1);
    assert_int_equal(authd_storage_apply(s, &w0, 1), AUTHD_OK);
    struct authd_storage_write w[3] = {put_write(&p[0], "new-1", 1), put_write(&p[1], "taken", 2),
                                       put_write(&p[2], "new-2", 1)};
    assert_int_equal(authd_storage_apply(s, w, 3), AUTHD_OK);
    assert_int_equal(w[0].result, AUTHD_OK);
    assert_int_equal(w[1].result, AUTHD_E_EXISTS);
    assert_int_equal(w[2].result, AUTHD_OK);
    assert_int_equal(w[2].log_index, 2);
    assert_int_equal(log_size(s, AUTHD_LOG_SIGNATURES), 3);
    assert_record(s, "new-2", "record of new-2", 2);
    assert_remembered_border(s, AUTHD_LOG_SIGNATURES);
    struct authd_storage_stats st;
    assert_int_equal(s->ops->stats(s, &st), AUTHD_OK);
    assert_int_equal(st.records, 3);
    if (!s->ops->shared) return;
    struct authd_storage *other = backend->open(f->where);
    for (int k = 0; k < 2; k++, n++) { /* another node, then this one again */
        snprintf(entries[n], sizeof(entries[n]), "access %d from %s", (int)n, k ? "this" : "the other");
        struct authd_storage_write a = append_write(AUTHD_LOG_ACCESS, entries[n]);
        assert_int_equal(authd_storage_apply(k ? s : other, &a, 1), AUTHD_OK);
        assert_int_equal(a.log_index, n);
        certlib_tlog_leaf_hash((const uint8_t *)entries[n], strlen(entries[n]), leaves[n]);
    }
    assert_remembered_border(s, AUTHD_LOG_ACCESS);
    for (uint64_t i = 0; i < n; i++)
        assert_entry(s, AUTHD_LOG_ACCESS, i, entries[i]);
    check_hashes(s, AUTHD_LOG_ACCESS, leaves, n);
    authd_storage_close(other);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: storage_contract_test BACKEND...\n");
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_of_puts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_id_refused_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_places_and_repeats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_updates_serialize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs_are_separate_sequences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holder_access, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stored_hashes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_survives_reopening, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_batch_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_each_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holders_in_one_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readers_during_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_warm_writer, setup, teardown),
    };
    int failed = 0;
    for (int a = 1; a < argc; a++) {
        backend = NULL;
        for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++)
            if (strcmp(argv[a], backends[b].name) == 0) backend = &backends[b];
        if (!backend) {
            fprintf(stderr, "storage_contract_test: no backend %s\n", argv[a]);
            return 2;
        }
        char group[64];
        snprintf(group, sizeof(group), "storage contract: %s", backend->name);
        failed += cmocka_run_group_tests_name(group, tests, NULL, NULL);
    }
    return failed;
}
