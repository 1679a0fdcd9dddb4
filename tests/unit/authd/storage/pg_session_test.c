/* What every connection of the PostgreSQL backend carries (storage/pg_conn.h): authd's TCP timeouts
 * unless the conninfo chose its own, and its session settings. Against a scratch server whose conninfo
 * is in AUTHD_TEST_PG (tests/support/pgscratch.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/pg_conn.h"

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

/* The value the connection was made with for a libpq keyword, "" for none. */
static const char *used(PGconn *conn, const char *keyword, char *out, size_t cap)
{
    PQconninfoOption *opts = PQconninfo(conn);
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, keyword) == 0 && o->val) snprintf(out, cap, "%s", o->val);
    PQconninfoFree(opts);
    return out;
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

/* A host that vanishes is given up in seconds, not after the kernel's retransmissions. */
static void test_timeouts_by_default(void **state)
{
    (void)state;
    char v[64];
    PGconn *conn = connect_with("");
    assert_string_equal(used(conn, "connect_timeout", v, sizeof(v)), "5");
    assert_string_equal(used(conn, "tcp_user_timeout", v, sizeof(v)), "10000");
    assert_string_equal(used(conn, "keepalives_idle", v, sizeof(v)), "10");
    assert_string_equal(used(conn, "keepalives_interval", v, sizeof(v)), "3");
    assert_string_equal(used(conn, "keepalives_count", v, sizeof(v)), "3");
    assert_string_equal(used(conn, "application_name", v, sizeof(v)), "authd");
    PQfinish(conn);
}

/* The operator's word stands where the conninfo gives one. */
static void test_the_conninfo_chooses(void **state)
{
    (void)state;
    char v[64];
    PGconn *conn = connect_with("tcp_user_timeout=30000 keepalives_idle=60 connect_timeout=2");
    assert_string_equal(used(conn, "tcp_user_timeout", v, sizeof(v)), "30000");
    assert_string_equal(used(conn, "keepalives_idle", v, sizeof(v)), "60");
    assert_string_equal(used(conn, "connect_timeout", v, sizeof(v)), "2");
    assert_string_equal(used(conn, "keepalives_count", v, sizeof(v)), "3");
    PQfinish(conn);
}

/* No JIT compilation; a transaction left idle (a node stopped mid-batch, holding the logs' lock) is
 * ended by the server. */
static void test_session_settings(void **state)
{
    (void)state;
    PGconn *conn = connect_with("");
    assert_setting(conn, "jit", "off");
    assert_setting(conn, "idle_in_transaction_session_timeout", "10s");
    PQfinish(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeouts_by_default),
        cmocka_unit_test(test_the_conninfo_chooses),
        cmocka_unit_test(test_session_settings),
    };
    return cmocka_run_group_tests_name("postgresql sessions", tests, NULL, NULL);
}
