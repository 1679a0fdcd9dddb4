/* libpq plumbing for the PostgreSQL backend (pg_conn.h): sessions, the pool, statements and their results,
 * pipelines, arrays. The connection parameters are pg_params.c's. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_limit.h"
#include "storage/pg_conn.h"

/* ---- sessions ---- */

/* Set when the server ended a COMMIT's wait for its synchronous standby with a WARNING, since the last
 * statement's result was read on this thread (libpq calls a connection's notice receiver on the thread
 * reading its results, before the result it came with). The warning is known by the server function
 * that raised it, a field no lc_messages translates; PostgreSQL's wording is "canceling wait for
 * synchronous replication due to user request ... committed locally, but might not have been
 * replicated to the standby". */
static _Thread_local bool standby_wait_cancelled;

/* Warnings are the operator's news, but some come with every write (a database nearing transaction-id
 * wraparound): one from the same server function is written at most once a minute, with how many more
 * came meanwhile. */
static void say_warning(const PGresult *r, const char *function)
{
    static struct authd_log_limit limit = AUTHD_LOG_LIMIT_INIT;
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    authd_log_limited(&limit, function, 60000, "authd: postgresql: the server warns: %s%s%s",
                      msg ? msg : "(no message)", detail ? ": " : "", detail ? detail : "");
}

static void notice(void *arg, const PGresult *r)
{
    (void)arg;
    const char *severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (!severity || strcmp(severity, "WARNING") != 0) return; /* NOTICEs ("already exists, skipping") */
    const char *function = PQresultErrorField(r, PG_DIAG_SOURCE_FUNCTION);
    say_warning(r, function ? function : "");
    if (function && strcmp(function, "SyncRepWaitForLSN") == 0) standby_wait_cancelled = true;
}

/* Each session's settings. A server without one of them (an older PostgreSQL, another server of the
 * same protocol) does without: its refusal of the name is not an error. */
static const char *const session_settings[] = {
    /* authd's statements each touch a few rows by key; JIT compilation only pays for long scans.
     * PostgreSQL compiles whenever a plan's estimated cost passes jit_above_cost, and without statistics
     * (a store just filled or copied) the estimates of key lookups pass it: every execution then
     * compiled for tens of milliseconds (docs/postgresql.md). */
    "SET jit = off",
    /* Memoize keeps each inner row of a nested loop for the next outer row with the same key. A batch of
     * lookups reads each holder and each licence once, so it only copied every record (about 3 KB) into
     * a cache never read: the batched holder read took 0.17-0.22 ms a statement with it and 0.14-0.17
     * without (pgbench, nine holders a statement; docs/postgresql.md). */
    "SET enable_memoize = off",
    /* authd holds a transaction open only across its own round trips (milliseconds). One left open
     * longer belongs to a node that stopped or lost the database mid-batch, and it may hold the logs'
     * lock every other node's batch waits for: the server ends it. */
    "SET idle_in_transaction_session_timeout = '10s'",
    /* A batch waits for the logs' row lock, then reads the sizes the other node's batch left: READ
     * COMMITTED's next statement sees that commit. Under REPEATABLE READ or SERIALIZABLE, set for the
     * database by a DBA, the row the batch locks was changed after its snapshot, and every batch that
     * waited for another node's would fail (40001) instead. */
    "SET default_transaction_isolation = 'read committed'",
};

bool pg_session_set(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    bool ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || (state && strcmp(state, "42704") == 0));
    PQclear(r);
    return ok;
}

/* authd answers 201 once a COMMIT returned, which must mean flushed. synchronous_commit = off (set for
 * authd's role or database, for speed, say) returns before the flush, and a crash of the server's host
 * would lose licences already answered: authd's sessions raise it to on, which with no synchronous
 * standby named is a local flush. Other values are the operator's choice of standbys. A server run with
 * fsync = off cannot be helped from a session: that is said, once. A server of the same protocol without
 * these settings is not checked. */
static bool durable_commits(PGconn *conn)
{
    static atomic_bool said_sync, said_fsync;
    PGresult *r = PQexec(conn, "SELECT current_setting('synchronous_commit'), current_setting('fsync')");
    bool checked = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    bool sync_off = checked && strcmp(PQgetvalue(r, 0, 0), "off") == 0;
    bool fsync_off = checked && strcmp(PQgetvalue(r, 0, 1), "off") == 0;
    PQclear(r);
    if (fsync_off && !atomic_exchange(&said_fsync, true))
        fprintf(stderr, "authd: postgresql: the server runs with fsync = off: a crash of its host may lose "
                        "licences already answered 201\n");
    if (!sync_off) return true;
    if (!atomic_exchange(&said_sync, true))
        fprintf(stderr, "authd: postgresql: synchronous_commit is off for authd's sessions; they set it on "
                        "(a 201 is a commit flushed)\n");
    return pg_session_set(conn, "SET synchronous_commit = on");
}

authd_err pg_connect(const struct pg_params *p, PGconn **out, char *err, size_t err_cap)
{
    PGconn *conn = PQconnectdbParams(p->keywords, p->values, 0);
    if (!conn) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    if (PQstatus(conn) != CONNECTION_OK) {
        /* libpq's message names hosts and users, never a password */
        snprintf(err, err_cap, "%s", PQerrorMessage(conn));
        size_t len = strlen(err);
        while (len && (err[len - 1] == '\n' || err[len - 1] == ' '))
            err[--len] = '\0';
        if (PQconnectionNeedsPassword(conn)) /* the server asked for one and libpq had none to give */
            snprintf(err + len, err_cap - len,
                     " (the passfile has no line for this host, port, database and user: "
                     "host:port:dbname:user:password)");
        PQfinish(conn);
        return AUTHD_E_UNAVAILABLE;
    }
    PQsetNoticeReceiver(conn, notice, NULL);
    for (size_t i = 0; i < sizeof(session_settings) / sizeof(session_settings[0]); i++)
        if (!pg_session_set(conn, session_settings[i])) {
            snprintf(err, err_cap, "%s: %s", session_settings[i], PQerrorMessage(conn));
            PQfinish(conn);
            return AUTHD_E_UNAVAILABLE;
        }
    if (!durable_commits(conn)) {
        snprintf(err, err_cap, "SET synchronous_commit = on: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return AUTHD_E_UNAVAILABLE;
    }
    *out = conn;
    return AUTHD_OK;
}

/* ---- the pool ---- */

authd_err pg_pool_init(struct pg_pool *pool, const struct pg_params *params, size_t max,
                       const struct pg_statement *const *statements, size_t n_statements)
{
    memset(pool, 0, sizeof(*pool));
    pool->params = params;
    pool->statements = statements;
    pool->n_statements = n_statements;
    pool->max = max ? max : 1;
    if (!(pool->idle = calloc(pool->max, sizeof(*pool->idle)))) return AUTHD_E_NOMEM;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    return AUTHD_OK;
}

void pg_pool_free(struct pg_pool *pool)
{
    if (!pool->idle) return;
    for (size_t i = 0; i < pool->n_idle; i++)
        PQfinish(pool->idle[i]);
    free(pool->idle);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->freed);
    memset(pool, 0, sizeof(*pool));
}

authd_err pg_prepare(PGconn *conn, const struct pg_statement *const *statements, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct pg_statement *st = statements[i];
        PGresult *r = PQprepare(conn, st->name, st->sql, st->n_params, st->types);
        bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            fprintf(stderr, "authd: postgresql: preparing %s: %s", st->name, PQerrorMessage(conn));
            return PQstatus(conn) == CONNECTION_OK ? AUTHD_E_IO : AUTHD_E_UNAVAILABLE;
        }
    }
    return AUTHD_OK;
}

authd_err pg_pool_get(struct pg_pool *pool, PGconn **out)
{
    pthread_mutex_lock(&pool->lock);
    while (!pool->n_idle && pool->n_open == pool->max)
        pthread_cond_wait(&pool->freed, &pool->lock);
    if (pool->n_idle) {
        *out = pool->idle[--pool->n_idle];
        pthread_mutex_unlock(&pool->lock);
        return AUTHD_OK;
    }
    pool->n_open++; /* a slot for the connection opened below, outside the lock */
    pthread_mutex_unlock(&pool->lock);
    char err[512];
    authd_err rc = pg_connect(pool->params, out, err, sizeof(err));
    if (!rc && (rc = pg_prepare(*out, pool->statements, pool->n_statements)) != AUTHD_OK) {
        PQfinish(*out);
        *out = NULL;
    }
    if (rc) {
        pthread_mutex_lock(&pool->lock);
        pool->n_open--;
        pthread_cond_signal(&pool->freed);
        pthread_mutex_unlock(&pool->lock);
    }
    return rc;
}

void pg_pool_put(struct pg_pool *pool, PGconn *conn)
{
    bool keep = pg_conn_ok(conn);
    if (!keep) PQfinish(conn);
    pthread_mutex_lock(&pool->lock);
    if (keep)
        pool->idle[pool->n_idle++] = conn;
    else
        pool->n_open--;
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

bool pg_conn_ok(PGconn *conn)
{
    return conn && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) == PQTRANS_IDLE;
}

/* ---- statements ---- */

static void put_be(uint8_t *out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        out[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *in, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | in[i];
    return v;
}

void pg_arg_bytes(struct pg_args *a, Oid type, const void *data, size_t len)
{
    int i = a->n++;
    a->types[i] = type;
    a->values[i] = len ? data : "";
    a->lengths[i] = (int)len;
    a->formats[i] = 1;
}

void pg_arg_text(struct pg_args *a, const char *s, size_t len)
{
    pg_arg_bytes(a, PG_TEXT, s, len);
}

void pg_arg_int8(struct pg_args *a, int64_t v)
{
    put_be(a->scratch[a->n], (uint64_t)v, 8);
    pg_arg_bytes(a, PG_INT8, a->scratch[a->n], 8);
}

void pg_arg_int2(struct pg_args *a, int16_t v)
{
    put_be(a->scratch[a->n], (uint16_t)v, 2);
    pg_arg_bytes(a, PG_INT2, a->scratch[a->n], 2);
}

/* SQLSTATEs that mean try again: the server is going or gone (08 connection exception, 57P0x shutdown,
 * 25006 a read-only server: a standby that is not promoted yet), or the statement gave way and nothing
 * was done (55P03 a lock_timeout a DBA set, passed while waiting for the logs' lock; 57014 cancelled;
 * 40001 and 40P01 serialization failure and deadlock). */
static bool unavailable(const char *state)
{
    static const char *const again[] = {"25006", "55P03", "57014", "40001", "40P01"};
    if (!state || strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0) return true;
    for (size_t i = 0; i < sizeof(again) / sizeof(again[0]); i++)
        if (strcmp(state, again[i]) == 0) return true;
    return false;
}

/* A statement's result as an authd_err: *res on success, logged (never with its parameters) otherwise. */
static authd_err result_of(PGconn *conn, const char *what, PGresult *r, PGresult **res)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    bool done = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    bool cancelled = standby_wait_cancelled;
    standby_wait_cancelled = false;
    if (done && cancelled) {
        /* a COMMIT (or a change committed on its own) done on this server only, not the durability a 201
         * promises: in doubt, as a COMMIT lost on the wire */
        fprintf(stderr, "authd: postgresql: %s: committed here, perhaps not on the standby: in doubt\n",
                what);
        PQclear(r);
        return AUTHD_E_INDOUBT;
    }
    if (done) {
        *res = r;
        return AUTHD_OK;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    /* 53100: the server's disk is full (a table that cannot grow; a full WAL disk stops the server,
     * which is unavailable): what LMDB's map full or ENOSPC is, 507 store_full */
    authd_err rc = PQstatus(conn) != CONNECTION_OK || unavailable(state) ? AUTHD_E_UNAVAILABLE
                   : strcmp(state, "23505") == 0                         ? AUTHD_E_EXISTS
                   : strcmp(state, "53100") == 0                         ? AUTHD_E_FULL
                                                                         : AUTHD_E_IO;
    if (rc != AUTHD_E_EXISTS) {
        const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
        fprintf(stderr, "authd: postgresql: %s: %s\n", what,
                msg                       ? msg
                : PQerrorMessage(conn)[0] ? PQerrorMessage(conn)
                                          : "no answer");
    }
    PQclear(r);
    return rc;
}

static const struct pg_args no_args;

authd_err pg_exec(PGconn *conn, const char *what, const char *sql, const struct pg_args *a, PGresult **res)
{
    if (!a) a = &no_args;
    return result_of(conn, what,
                     PQexecParams(conn, sql, a->n, a->types, a->values, a->lengths, a->formats, 1), res);
}

authd_err pg_exec_prepared(PGconn *conn, const char *what, const struct pg_statement *st,
                           const struct pg_args *a, PGresult **res)
{
    if (!a) a = &no_args;
    return result_of(conn, what, PQexecPrepared(conn, st->name, a->n, a->values, a->lengths, a->formats, 1),
                     res);
}

authd_err pg_run(PGconn *conn, const char *what, const char *sql, const struct pg_args *a)
{
    PGresult *r = NULL;
    authd_err rc = pg_exec(conn, what, sql, a, &r);
    PQclear(r);
    return rc;
}

/* ---- pipelines ---- */

static authd_err send_failed(struct pg_pipe *p, const char *what)
{
    fprintf(stderr, "authd: postgresql: %s: %s\n", what,
            PQerrorMessage(p->conn)[0] ? PQerrorMessage(p->conn) : "cannot send");
    return PQstatus(p->conn) != CONNECTION_OK ? AUTHD_E_UNAVAILABLE : AUTHD_E_IO;
}

void pg_pipe_start(struct pg_pipe *p, PGconn *conn)
{
    *p = (struct pg_pipe){.conn = conn};
    if (!PQenterPipelineMode(conn)) p->rc = send_failed(p, "starting a pipeline");
}

/* Queues a statement: SQL text, or (sql NULL) the prepared `st`. */
static void pipe_add(struct pg_pipe *p, const char *what, const char *sql, const struct pg_statement *st,
                     const struct pg_args *a, PGresult **res)
{
    if (p->rc) return;
    if (p->n == PG_PIPE_MAX) {
        p->rc = AUTHD_E_INTERNAL;
        return;
    }
    if (!a) a = &no_args;
    int sent = sql ? PQsendQueryParams(p->conn, sql, a->n, a->types, a->values, a->lengths, a->formats, 1)
                   : PQsendQueryPrepared(p->conn, st->name, a->n, a->values, a->lengths, a->formats, 1);
    if (!sent) {
        p->rc = send_failed(p, what);
        return;
    }
    p->what[p->n] = what;
    p->res[p->n++] = res;
}

void pg_pipe_add(struct pg_pipe *p, const char *what, const char *sql, const struct pg_args *a,
                 PGresult **res)
{
    pipe_add(p, what, sql, NULL, a, res);
}

void pg_pipe_add_prepared(struct pg_pipe *p, const char *what, const struct pg_statement *st,
                          const struct pg_args *a, PGresult **res)
{
    pipe_add(p, what, NULL, st, a, res);
}

/* The next statement's result, and the end of it (PQgetResult's NULL). */
static PGresult *next_result(PGconn *conn)
{
    PGresult *r = PQgetResult(conn);
    if (r)
        for (PGresult *extra; (extra = PQgetResult(conn)) != NULL;)
            PQclear(extra);
    return r;
}

authd_err pg_pipe_end(struct pg_pipe *p)
{
    authd_err rc = p->rc;
    if (PQpipelineStatus(p->conn) == PQ_PIPELINE_OFF) return rc;
    if (!PQpipelineSync(p->conn)) {
        send_failed(p, "sending a pipeline");
        return AUTHD_E_UNAVAILABLE; /* still in pipeline mode: the caller drops the connection */
    }
    for (int i = 0; i < p->n; i++) {
        PGresult *r = next_result(p->conn);
        if (r && PQresultStatus(r) == PGRES_PIPELINE_ABORTED) { /* a statement before it failed */
            PQclear(r);
            continue;
        }
        PGresult *kept = NULL;
        authd_err one = result_of(p->conn, p->what[i], r, &kept);
        if (!one && p->res[i])
            *p->res[i] = kept;
        else
            PQclear(kept);
        if (!rc) rc = one;
        if (PQstatus(p->conn) != CONNECTION_OK) return AUTHD_E_UNAVAILABLE; /* nothing more will come */
    }
    PGresult *sync = PQgetResult(p->conn);
    bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
    PQclear(sync);
    if (synced && PQexitPipelineMode(p->conn)) return rc;
    send_failed(p, "ending a pipeline");
    return AUTHD_E_UNAVAILABLE; /* the connection is in a state nothing else expects: the caller drops it */
}

/* ---- arrays ---- */

#define ARRAY_HEADER 20 /* ndim, has-null flag, element type, dimension, lower bound */

void pg_array_init(struct pg_array *a, Oid element)
{
    memset(a, 0, sizeof(*a));
    a->element = element;
    a->cap = 4096;
    if (!(a->buf = malloc(a->cap))) a->failed = true;
    a->len = ARRAY_HEADER;
}

static uint8_t *reserve(struct pg_array *a, size_t n)
{
    if (a->failed) return NULL;
    if (a->len + n > a->cap) {
        size_t cap = (a->cap + n) * 2;
        uint8_t *grown = realloc(a->buf, cap);
        if (!grown) return a->failed = true, NULL;
        a->buf = grown, a->cap = cap;
    }
    uint8_t *p = a->buf + a->len;
    a->len += n;
    return p;
}

void pg_array_add(struct pg_array *a, const void *data, size_t len)
{
    uint8_t *p = reserve(a, 4 + len);
    if (!p) return;
    put_be(p, (uint32_t)len, 4);
    if (len) memcpy(p + 4, data, len);
    a->n++;
}

void pg_array_add_int8(struct pg_array *a, int64_t v)
{
    uint8_t b[8];
    put_be(b, (uint64_t)v, 8);
    pg_array_add(a, b, 8);
}

void pg_array_add_int2(struct pg_array *a, int16_t v)
{
    uint8_t b[2];
    put_be(b, (uint16_t)v, 2);
    pg_array_add(a, b, 2);
}

void pg_array_add_null(struct pg_array *a)
{
    uint8_t *p = reserve(a, 4);
    if (!p) return;
    put_be(p, 0xffffffffu, 4); /* length -1 */
    a->has_null = true;
    a->n++;
}

void pg_array_finish(struct pg_array *a)
{
    if (a->failed) return;
    put_be(a->buf, a->n ? 1 : 0, 4); /* an empty array has no dimension */
    put_be(a->buf + 4, a->has_null, 4);
    put_be(a->buf + 8, a->element, 4);
    put_be(a->buf + 12, a->n, 4);
    put_be(a->buf + 16, 1, 4);
    if (!a->n) a->len = 12;
}

void pg_array_free(struct pg_array *a)
{
    free(a->buf);
    memset(a, 0, sizeof(*a));
}

void pg_arg_array(struct pg_args *a, Oid array_type, const struct pg_array *array)
{
    pg_arg_bytes(a, array_type, array->buf, array->len);
}

int64_t pg_int8(const PGresult *r, int row, int col)
{
    return PQgetlength(r, row, col) == 8 ? (int64_t)get_be((const uint8_t *)PQgetvalue(r, row, col), 8) : -1;
}

int16_t pg_int2(const PGresult *r, int row, int col)
{
    return PQgetlength(r, row, col) == 2 ? (int16_t)get_be((const uint8_t *)PQgetvalue(r, row, col), 2) : -1;
}
