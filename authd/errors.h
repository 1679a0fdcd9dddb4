/* The one status code of authd's internal functions (storage, records, logs, services): 0 is success,
 * and each other value says what kind of failure it is, never which backend produced it. Process exit
 * codes and HTTP statuses are derived from it at the edges (main.c, the routes). */
#ifndef AUTHD_ERRORS_H
#define AUTHD_ERRORS_H

typedef enum authd_err {
    AUTHD_OK = 0,
    AUTHD_E_NOT_FOUND = 1,    /* no such record, list or log entry */
    AUTHD_E_EXISTS = 2,       /* a record with this key is stored already */
    AUTHD_E_CONFLICT = 3,     /* not allowed from the current state: a revoked licence stays revoked */
    AUTHD_E_FULL = 4,         /* a table or the store is full */
    AUTHD_E_NOMEM = 5,        /* out of memory */
    AUTHD_E_IO = 6,           /* the store could not be read or written */
    AUTHD_E_CORRUPT = 7,      /* stored data fails its authentication or is not of its format */
    AUTHD_E_SCHEMA = 8,       /* the store holds a schema version this authd does not know */
    AUTHD_E_CONFIG = 9,       /* the configuration, a key or a policy is unusable */
    AUTHD_E_INTERNAL = 10,    /* a library failed in a way that is no input's fault */
    AUTHD_E_UNAVAILABLE = 11, /* the store cannot be reached now (a database failing over): nothing was
                                 written; try again */
    AUTHD_E_INDOUBT = 12,     /* the store went away while committing: the writes may or may not have
                                 taken effect, so nothing that depends on either outcome may follow */
} authd_err;

/* "ok", "not_found", ...: a stable name for logs and messages. Static string. */
const char *authd_err_name(authd_err err);

#endif
