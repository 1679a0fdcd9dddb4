/* The PostgreSQL backend's plumbing (libpq): connection parameters (pg_params.c) and a pool of connections,
 * queries with binary parameters and results, arrays in PostgreSQL's binary format for one-statement bulk
 * writes, and the mapping of libpq's failures onto authd_err. Only the backend's files include it. */
#ifndef AUTHD_PG_CONN_H
#define AUTHD_PG_CONN_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"

/* Type OIDs of the parameters authd sends (pg_type.h). */
#define PG_MAX_PARAMS 8 /* the most parameters a statement of authd's takes */

#define PG_BOOL 16
#define PG_BYTEA 17
#define PG_INT8 20
#define PG_INT2 21
#define PG_TEXT 25
#define PG_INT2_ARRAY 1005
#define PG_TEXT_ARRAY 1009
#define PG_BYTEA_ARRAY 1001
#define PG_INT8_ARRAY 1016

/* Connection parameters: the conninfo's, the passfile, and authd's own (application_name; a connect
 * timeout, TCP keepalives and a TCP user timeout, each unless the conninfo sets it: a lost host is
 * given up within about 20 s). */
struct pg_params {
    const char **keywords, **values;
    PQconninfoOption *parsed;
    char *passfile;
};

/* Parses `conninfo` (libpq's key=value form or a URI; several hosts allowed) and adds `passfile`
 * (may be NULL). AUTHD_E_CONFIG, saying why, when it does not parse, holds a password, lists several
 * hosts without wanting the primary (target_session_attrs), or names a passfile libpq would pass over
 * (missing, not a plain file, open to group or others). */
authd_err pg_params_init(struct pg_params *p, const char *conninfo, const char *passfile, char *err,
                         size_t err_cap);
void pg_params_free(struct pg_params *p);

/* A new connection to a server that accepts writes (libpq tries the hosts in order; the conninfo's
 * target_session_attrs says which qualify), with authd's session settings (no JIT; a transaction left
 * idle for 10 s ended by the server; READ COMMITTED; synchronous_commit at least on) and a notice
 * receiver for the server's warnings. AUTHD_E_UNAVAILABLE with libpq's message, without any password,
 * when none answers. */
authd_err pg_connect(const struct pg_params *p, PGconn **out, char *err, size_t err_cap);
/* Runs a SET on the connection: true when it took, or when the server has no such setting (an older
 * PostgreSQL, another server of the same protocol, which does without). */
bool pg_session_set(PGconn *conn, const char *sql);

/* A statement each pooled connection prepares as it opens: the hot reads then skip parsing and planning
 * (planning alone was 60% of a holder lookup's time in the server). */
struct pg_statement {
    const char *name, *sql;
    int n_params;
    Oid types[PG_MAX_PARAMS];
};

/* Prepares the statements on the connection; AUTHD_E_UNAVAILABLE when it is gone. */
authd_err pg_prepare(PGconn *conn, const struct pg_statement *const *statements, size_t n);

/* Connections for readers, opened on demand up to `max`; a caller waits when all are in use. */
struct pg_pool {
    const struct pg_params *params;
    const struct pg_statement *const *statements; /* prepared on every new connection */
    size_t n_statements;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    PGconn **idle;
    size_t n_idle, n_open, max;
};
authd_err pg_pool_init(struct pg_pool *pool, const struct pg_params *params, size_t max,
                       const struct pg_statement *const *statements, size_t n_statements);
void pg_pool_free(struct pg_pool *pool);
/* A connection (AUTHD_E_UNAVAILABLE when no server answers). */
authd_err pg_pool_get(struct pg_pool *pool, PGconn **out);
/* Gives it back; a broken connection is closed instead of pooled. */
void pg_pool_put(struct pg_pool *pool, PGconn *conn);

/* A statement's parameters, binary. */
struct pg_args {
    int n;
    Oid types[PG_MAX_PARAMS];
    const char *values[PG_MAX_PARAMS];
    int lengths[PG_MAX_PARAMS];
    int formats[PG_MAX_PARAMS];
    uint8_t scratch[PG_MAX_PARAMS][8]; /* integers in network order */
};
void pg_arg_bytes(struct pg_args *a, Oid type, const void *data, size_t len);
void pg_arg_text(struct pg_args *a, const char *s, size_t len);
void pg_arg_int8(struct pg_args *a, int64_t v);
void pg_arg_int2(struct pg_args *a, int16_t v);

/* Runs a statement with binary results. *res is the result when it succeeded (the caller PQclears it).
 * Errors: AUTHD_E_UNAVAILABLE when the connection is gone (nothing of this statement took effect
 * unless it was a COMMIT), AUTHD_E_EXISTS for a unique violation, AUTHD_E_IO otherwise. The server's
 * message goes to standard error with the statement's name, never with parameter values. */
authd_err pg_exec(PGconn *conn, const char *what, const char *sql, const struct pg_args *a, PGresult **res);
/* The same for a statement the connection prepared (a pooled one: struct pg_pool). */
authd_err pg_exec_prepared(PGconn *conn, const char *what, const struct pg_statement *st,
                           const struct pg_args *a, PGresult **res);
/* The same for a statement whose result is not needed. */
authd_err pg_run(PGconn *conn, const char *what, const char *sql, const struct pg_args *a);

/* Statements sent together and answered together (libpq's pipeline mode): one round trip to the server
 * instead of one per statement. When one fails the server skips the rest; an open transaction is then
 * left failed, for the caller to roll back. */
#define PG_PIPE_MAX 10
struct pg_pipe {
    PGconn *conn;
    int n;
    const char *what[PG_PIPE_MAX];
    PGresult **res[PG_PIPE_MAX];
    authd_err rc; /* the first failure */
};
void pg_pipe_start(struct pg_pipe *p, PGconn *conn);
/* Queues a statement with binary results; *res, when res is not NULL, receives its result if it
 * succeeded (the caller PQclears it; set it to NULL before). */
void pg_pipe_add(struct pg_pipe *p, const char *what, const char *sql, const struct pg_args *a,
                 PGresult **res);
/* The same for a statement the connection prepared. */
void pg_pipe_add_prepared(struct pg_pipe *p, const char *what, const struct pg_statement *st,
                          const struct pg_args *a, PGresult **res);
/* Sends what was queued and reads every answer. The first failure, as pg_exec reports it; after
 * AUTHD_E_UNAVAILABLE the server may have run any of the statements, and the connection is not to be
 * used again. */
authd_err pg_pipe_end(struct pg_pipe *p);

/* Whether the connection is still usable after a failure. */
bool pg_conn_ok(PGconn *conn);

/* An array parameter in PostgreSQL's binary array format, built element by element. */
struct pg_array {
    uint8_t *buf;
    size_t len, cap;
    uint32_t n;
    Oid element;
    bool has_null;
    bool failed; /* out of memory */
};
void pg_array_init(struct pg_array *a, Oid element);
void pg_array_add(struct pg_array *a, const void *data, size_t len);
void pg_array_add_int8(struct pg_array *a, int64_t v);
void pg_array_add_int2(struct pg_array *a, int16_t v);
void pg_array_add_null(struct pg_array *a);
/* Finishes the header; the array is valid until pg_array_free. */
void pg_array_finish(struct pg_array *a);
void pg_array_free(struct pg_array *a);
void pg_arg_array(struct pg_args *a, Oid array_type, const struct pg_array *array);

/* Binary result fields. */
int64_t pg_int8(const PGresult *r, int row, int col);
int16_t pg_int2(const PGresult *r, int row, int col);

#endif
