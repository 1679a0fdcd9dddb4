/* What every connection of the PostgreSQL backend carries (storage/pg_conn.h): authd's TCP timeouts
 * unless the conninfo chose its own, its session settings, and the writer's plans. Against a scratch server
 * whose conninfo is in AUTHD_TEST_PG (tests/support/pgscratch.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/pg_conn.h"
#include "storage/pg_internal.h"
#include "storage/storage.h"

static PGconn *connect_with(const char *extra)
{
    const char *base = getenv("AUTHD_TEST_PG");
    if (!base) fail_msg("AUTHD_TEST_PG is not set: run under tests/support/pgscratch.py");
    char conninfo[1024], err[512] = "";
    snprintf(conninfo, sizeof(conninfo), "%s %s", base, extra);
    struct pg_params p;
    assert_int_equal(pg_params_init(&p, conninfo, NULL, err, sizeof(err)), AUTHD_OK);
    PGconn *conn = NULL;
    authd_err rc = pg_connect(&p, &conn, err, sizeof(err));
    if (rc) fail_msg("%s", err);
    pg_params_free(&p); /* libpq keeps its own copy of what it connected with */
    return conn;
}

/* The connection was made with each keyword's value (want: keyword, value pairs). */
static void assert_used(PGconn *conn, const char *const want[][2], size_t n)
{
    PQconninfoOption *opts = PQconninfo(conn);
    for (size_t i = 0; i < n; i++) {
        const char *val = NULL;
        for (PQconninfoOption *o = opts; o && o->keyword; o++)
            if (strcmp(o->keyword, want[i][0]) == 0) val = o->val;
        if (!val || strcmp(val, want[i][1]) != 0)
            fail_msg("%s: %s, not %s", want[i][0], val ? val : "(none)", want[i][1]);
    }
    PQconninfoFree(opts);
}

static void assert_setting(PGconn *conn, const char *name, const char *want)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SHOW %s", name);
    PGresult *r = PQexec(conn, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), want);
    PQclear(r);
}

/* A connection made with `extra` in the conninfo has the setting `name` at `want`. */
static void assert_setting_with(const char *extra, const char *name, const char *want)
{
    PGconn *conn = connect_with(extra);
    assert_setting(conn, name, want);
    PQfinish(conn);
}

/* A host that vanishes is given up in seconds, not after the kernel's retransmissions. */
static void test_timeouts_by_default(void **state)
{
    (void)state;
    static const char *const want[][2] = {{"connect_timeout", "5"},  {"tcp_user_timeout", "10000"},
                                          {"keepalives_idle", "10"}, {"keepalives_interval", "3"},
                                          {"keepalives_count", "3"}, {"application_name", "authd"}};
    PGconn *conn = connect_with("");
    assert_used(conn, want, sizeof(want) / sizeof(want[0]));
    PQfinish(conn);
}

/* The operator's word stands where the conninfo gives one (a node's own name for its sessions too);
 * authd's where it gives none. */
static void test_the_conninfo_chooses(void **state)
{
    (void)state;
    static const char *const want[][2] = {{"tcp_user_timeout", "30000"},
                                          {"keepalives_idle", "60"},
                                          {"connect_timeout", "2"},
                                          {"keepalives_count", "3"},
                                          {"application_name", "authd-hz1"}};
    PGconn *conn = connect_with(
        "tcp_user_timeout=30000 keepalives_idle=60 connect_timeout=2 application_name=authd-hz1");
    assert_used(conn, want, sizeof(want) / sizeof(want[0]));
    PQfinish(conn);
}

/* No JIT compilation, no Memoize caches; a transaction left idle (a node stopped mid-batch, holding the
 * logs' lock) is ended by the server. */
static void test_session_settings(void **state)
{
    (void)state;
    PGconn *conn = connect_with("");
    assert_setting(conn, "jit", "off");
    assert_setting(conn, "enable_memoize", "off");
    assert_setting(conn, "idle_in_transaction_session_timeout", "10s");
    PQfinish(conn);
    /* a DBA's stricter default for the database would fail every batch that waited for the logs' lock */
    assert_setting_with("options='-c default_transaction_isolation=serializable'",
                        "default_transaction_isolation", "read committed");
}

/* A 201 is a flushed commit: synchronous_commit = off, set for authd's role or database, is raised to on;
 * the operator's other choices stand. */
static void test_commits_are_flushed(void **state)
{
    (void)state;
    assert_setting_with("", "synchronous_commit", "on");
    assert_setting_with("options='-c synchronous_commit=off'", "synchronous_commit", "on");
    assert_setting_with("options='-c synchronous_commit=remote_write'", "synchronous_commit", "remote_write");
}

/* Several hosts are there for a failover: without target_session_attrs=read-write (or primary) libpq
 * would take a standby that answers first, and every write fail. Refused with what to add. */
static void test_several_hosts_want_the_primary(void **state)
{
    (void)state;
    struct pg_params p;
    char err[512] = "";
    assert_int_equal(pg_params_init(&p, "host=db1,db2 port=5432,5432 dbname=authd", NULL, err, sizeof(err)),
                     AUTHD_E_CONFIG);
    assert_non_null(
        strstr(err, "store.postgresql.conninfo lists 2 hosts: add target_session_attrs=read-write"));
    assert_int_equal(
        pg_params_init(&p, "postgresql://db1,db2,db3/authd?target_session_attrs=any", NULL, err, sizeof(err)),
        AUTHD_E_CONFIG);
    assert_non_null(strstr(err, "lists 3 hosts"));
    const char *fine[] = {"host=db1,db2 dbname=authd target_session_attrs=read-write",
                          "postgresql://db1,db2/authd?target_session_attrs=primary", "host=db1 dbname=authd"};
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
        assert_int_equal(pg_params_init(&p, fine[i], NULL, err, sizeof(err)), AUTHD_OK);
        pg_params_free(&p);
    }
}

/* The writer's batch statements are planned once: PostgreSQL's default planned the logs' size update
 * again at every batch, its plan for the values at hand always estimated cheaper than the generic one,
 * at four times the cost of running it. */
static void test_batches_are_not_planned_each_time(void **state)
{
    (void)state;
    struct authd_postgres_options o = {.conninfo = getenv("AUTHD_TEST_PG"), .pool_size = 1, .create = true};
    struct authd_storage *s = NULL;
    char err[512] = "";
    if (authd_storage_open_postgres(&o, &s, err, sizeof(err))) fail_msg("%s", err);
    authd_storage_close(s); /* the schema is there now */
    PGconn *conn = connect_with("");
    assert_int_equal(pg_writer_prepare(conn), AUTHD_OK);
    PQclear(PQexec(conn, "BEGIN"));
    const char *values[] = {"{0,0}", "{1}", "{0}"}; /* a guard that holds back: nothing changes */
    for (int i = 0; i < 8; i++) {
        PGresult *r = PQexecPrepared(conn, "authd_w_grow", 3, values, NULL, NULL, 0);
        assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
        PQclear(r);
    }
    PGresult *r = PQexec(conn, "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                               "WHERE name = 'authd_w_grow'");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(r), 1);
    assert_string_equal(PQgetvalue(r, 0, 1), "0");
    assert_string_equal(PQgetvalue(r, 0, 0), "8");
    PQclear(r);
    PQclear(PQexec(conn, "ROLLBACK"));
    PQfinish(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeouts_by_default),
        cmocka_unit_test(test_the_conninfo_chooses),
        cmocka_unit_test(test_session_settings),
        cmocka_unit_test(test_commits_are_flushed),
        cmocka_unit_test(test_several_hosts_want_the_primary),
        cmocka_unit_test(test_batches_are_not_planned_each_time),
    };
    return cmocka_run_group_tests_name("postgresql sessions", tests, NULL, NULL);
}
