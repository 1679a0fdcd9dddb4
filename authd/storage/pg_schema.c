/* The PostgreSQL backend's schema (postgres.c lists its tables): created by `authd init`, versioned in
 * authd_meta, and brought up to this authd's version at open. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "storage/pg_internal.h"

/* Schema 5: an access entry's holder beside it, indexed. A lookup writes one row and two index entries
 * for it where schema 4 wrote two rows (and its leaf hash a third). */
#define ENTRY_HOLDER_INDEX                                                                                   \
    "CREATE INDEX authd_log_entries_holder ON authd_log_entries (holder_key, idx) WHERE holder_key IS NOT "  \
    "NULL"

/* A sealed record (about 3 KB) stays in its row instead of going to the TOAST table at PostgreSQL's
 * default 2 KB threshold: a lookup then reads one heap tuple rather than following a pointer through
 * the TOAST index to two chunks. Measured on this machine: the lookup statement's server time went from
 * 35-40 to 22-24 us, lookups +15-25%, issuance +10% (docs/postgresql.md). Records beyond 8 KB still
 * move out of line. A storage parameter, not a change of what is stored: a database made before it
 * gains it when opened (keep_records_inline). */
#define RECORDS_INLINE "toast_tuple_target=8160"

/* Schema 7: the text of every key in byte order, whatever the database's locale. Licence ids, issuer
 * codes and client names are ASCII, and authd wants them ordered as LMDB orders them; a database made
 * with a locale of its own (zh_CN.UTF-8 is what a Chinese server's initdb takes from its environment)
 * would otherwise compare them by that locale's rules at every step of every index search. Measured on
 * this machine, 100,000 licence ids, an index search of one: 2.0-2.5 us in byte order, 18-22 us under
 * glibc's zh_CN.UTF-8, 3.7-4.5 us under ICU's zh (docs/postgresql.md, "Schema 7"). */
#define KEY_TEXT "text COLLATE \"C\""

static const char *const schema_sql[] = {
    "CREATE TABLE authd_licences (id " KEY_TEXT " PRIMARY KEY, log_index bigint NOT NULL, "
    "place bytea UNIQUE, record bytea NOT NULL) WITH (" RECORDS_INLINE ")",
    /* sealed records do not compress: do not try */
    "ALTER TABLE authd_licences ALTER COLUMN record SET STORAGE EXTERNAL",
    "CREATE TABLE authd_holders (holder_key bytea NOT NULL, id " KEY_TEXT " NOT NULL, "
    "PRIMARY KEY (holder_key, id))",
    "CREATE TABLE authd_log_state (log smallint PRIMARY KEY, size bigint NOT NULL)",
    "INSERT INTO authd_log_state VALUES (0, 0), (1, 0)",
    "CREATE TABLE authd_log_entries (log smallint NOT NULL, idx bigint NOT NULL, entry bytea NOT NULL, "
    "holder_key bytea, PRIMARY KEY (log, idx))",
    ENTRY_HOLDER_INDEX,
    "CREATE TABLE authd_log_hashes (log smallint NOT NULL, level smallint NOT NULL, idx bigint NOT NULL, "
    "hash bytea NOT NULL, PRIMARY KEY (log, level, idx))",
    "CREATE TABLE authd_challenges (nonce bytea PRIMARY KEY, counter_id " KEY_TEXT " NOT NULL, "
    "issued bigint NOT NULL, used boolean NOT NULL DEFAULT false)",
    "CREATE INDEX authd_challenges_counter ON authd_challenges (counter_id, issued)",
    "CREATE TABLE authd_list_counters (issuer " KEY_TEXT " NOT NULL, list_no integer NOT NULL, "
    "next bigint NOT NULL, PRIMARY KEY (issuer, list_no))",
    "INSERT INTO authd_meta VALUES ('records', 0)",
};

/* A lock id for schema creation, so two nodes starting together create it once. */
#define SCHEMA_LOCK 0x61757468643033LL /* "authd03" */

/* Runs statements in order, in the transaction pg_prepare_schema holds; stops at the first that fails. */
static authd_err run_all(PGconn *conn, const char *what, const char *const *sql, size_t n)
{
    authd_err rc = AUTHD_OK;
    for (size_t i = 0; !rc && i < n; i++)
        rc = pg_run(conn, what, sql[i], NULL);
    return rc;
}

/* A field of an access entry, by its place (certlib/logentry.h). */
#define ACCESS_FIELD(n) "split_part(convert_from(entry, 'UTF8'), ' ', " #n ")"
/* clang-format off */
/* Schema 3's holders, read from the entries' text: the sixth field, base64url of the 32-byte keyed hash
 * ("-" for none). */
#define FILL_FROM_3                                                                                        \
    "UPDATE authd_log_entries SET holder_key = "                                                           \
    "decode(translate(" ACCESS_FIELD(6) ", '-_', '+/') || '=', 'base64') "                                  \
    "WHERE log = 1 AND " ACCESS_FIELD(1) " IN ('access/v1', 'access/v2') AND length(" ACCESS_FIELD(6) ") = 43"
/* clang-format on */
/* Schema 4's, from its holder-access table. */
#define FILL_FROM_4                                                                                          \
    "UPDATE authd_log_entries e SET holder_key = a.holder_key FROM authd_holder_access a "                   \
    "WHERE e.log = 1 AND e.idx = a.idx"

/* Brings the schema from version `from` to `to` by `steps`, in the transaction pg_prepare_schema holds,
 * with the logs locked first so no node appends meanwhile, and the version written last. Every node runs
 * the new authd before any starts again: an older one would write or look for what the new schema no
 * longer has. */
static authd_err upgrade(PGconn *conn, uint32_t from, uint32_t to, const char *what, const char *const *steps,
                         size_t n)
{
    fprintf(stderr, "authd: upgrading the database from schema version %u to %u (%s)\n", from, to, what);
    struct pg_args v = {0};
    pg_arg_int8(&v, to);
    authd_err rc = pg_run(conn, "upgrading the schema", "SELECT 1 FROM authd_log_state FOR UPDATE", NULL);
    if (!rc) rc = run_all(conn, "upgrading the schema", steps, n);
    if (!rc)
        rc = pg_run(conn, "upgrading the schema",
                    "UPDATE authd_meta SET value = $1 WHERE name = 'schema_version'", &v);
    if (!rc) fprintf(stderr, "authd: database upgraded to schema version %u\n", to);
    return rc;
}

/* Schema 5 keeps an access entry's holder in the entry's row, indexed, and no longer stores leaf hashes,
 * which are their entries' (docs/postgresql.md, "The database"). A schema 4 database has the holders in
 * its holder-access table, which goes; a schema 3 one only in the entries themselves. The entries' table
 * is rewritten once, so on a large store this takes as long as copying that table. */
static authd_err upgrade_to_5(PGconn *conn, uint32_t from)
{
    const char *const steps[] = {
        "ALTER TABLE authd_log_entries ADD COLUMN holder_key bytea",
        from == 3 ? FILL_FROM_3 : FILL_FROM_4,
        ENTRY_HOLDER_INDEX,
        "DROP TABLE IF EXISTS authd_holder_access",
        "DELETE FROM authd_log_hashes WHERE level = 0",
    };
    return upgrade(conn, from, 5,
                   "the holder-access index in the access log's rows, leaf hashes no longer stored", steps,
                   sizeof(steps) / sizeof(steps[0]));
}

/* Schema 6 stores no subtree hash below level PG_STORED_FROM: they are computed from the entries when
 * read (pg_tree.c). */
static authd_err upgrade_to_6(PGconn *conn)
{
    const char *const steps[] = {"DELETE FROM authd_log_hashes WHERE level < " PG_STR(PG_STORED_FROM)};
    return upgrade(conn, 5, 6, "subtree hashes below level " PG_STR(PG_STORED_FROM) " no longer stored",
                   steps, sizeof(steps) / sizeof(steps[0]));
}

/* Schema 7 keys its text in byte order (KEY_TEXT). No table is rewritten (the values do not change);
 * the indexes on these columns are built again (0.4 s on 104,719 licences). */
static authd_err upgrade_to_7(PGconn *conn)
{
    const char *const steps[] = {
        "ALTER TABLE authd_licences ALTER COLUMN id TYPE " KEY_TEXT,
        "ALTER TABLE authd_holders ALTER COLUMN id TYPE " KEY_TEXT,
        "ALTER TABLE authd_challenges ALTER COLUMN counter_id TYPE " KEY_TEXT,
        "ALTER TABLE authd_list_counters ALTER COLUMN issuer TYPE " KEY_TEXT,
    };
    return upgrade(conn, 6, 7, "keys in byte order, whatever the database's locale", steps,
                   sizeof(steps) / sizeof(steps[0]));
}

/* Sets RECORDS_INLINE on a licence table made without it. Rows written before keep their form; both
 * read the same. */
static authd_err keep_records_inline(PGconn *conn)
{
    PGresult *r = NULL;
    authd_err rc = pg_exec(conn, "reading the licence table's storage",
                           "SELECT 1 FROM pg_class WHERE oid = 'authd_licences'::regclass AND "
                           "reloptions @> ARRAY['" RECORDS_INLINE "']",
                           NULL, &r);
    bool set = !rc && PQntuples(r) == 1;
    PQclear(r);
    if (!rc && !set)
        rc = pg_run(conn, "keeping records in their rows",
                    "ALTER TABLE authd_licences SET (" RECORDS_INLINE ")", NULL);
    return rc;
}

/* Reads the version of the schema there, or (`create`) creates it in a database without one, or
 * upgrades one of version 3 to 6. */
authd_err pg_prepare_schema(PGconn *conn, bool create, uint32_t *version, char *err, size_t err_cap)
{
    struct pg_args lock = {0};
    pg_arg_int8(&lock, SCHEMA_LOCK);
    authd_err rc = pg_run(conn, "creating the schema", "BEGIN", NULL);
    if (!rc) rc = pg_run(conn, "creating the schema", "SELECT pg_advisory_xact_lock($1)", &lock);
    if (!rc)
        rc = pg_run(conn, "creating the schema",
                    "CREATE TABLE IF NOT EXISTS authd_meta (name text PRIMARY KEY, value bigint NOT NULL)",
                    NULL);
    PGresult *r = NULL;
    if (!rc)
        rc = pg_exec(conn, "reading the schema version",
                     "SELECT value FROM authd_meta WHERE name = 'schema_version'", NULL, &r);
    if (!rc && PQntuples(r) == 0 && !create) {
        PQclear(r);
        pg_run(conn, "creating the schema", "ROLLBACK", NULL);
        snprintf(err, err_cap,
                 "the database holds no authd store: create one with `authd --config FILE init`, or restore "
                 "the database from a backup");
        return AUTHD_E_NOT_FOUND;
    }
    if (!rc && PQntuples(r) == 0) {
        rc = run_all(conn, "creating the schema", schema_sql, sizeof(schema_sql) / sizeof(schema_sql[0]));
        struct pg_args v = {0};
        pg_arg_int8(&v, AUTHD_SCHEMA_VERSION);
        if (!rc)
            rc = pg_run(conn, "creating the schema", "INSERT INTO authd_meta VALUES ('schema_version', $1)",
                        &v);
        *version = AUTHD_SCHEMA_VERSION;
    } else if (!rc) {
        int64_t v = PQntuples(r) == 1 ? pg_int8(r, 0, 0) : 0;
        *version = v > 0 && v < UINT32_MAX ? (uint32_t)v : 0;
    }
    PQclear(r);
    if (!rc && (*version == 3 || *version == 4) && (rc = upgrade_to_5(conn, *version)) == AUTHD_OK)
        *version = 5;
    if (!rc && *version == 5 && (rc = upgrade_to_6(conn)) == AUTHD_OK) *version = 6;
    if (!rc && *version == 6 && (rc = upgrade_to_7(conn)) == AUTHD_OK) *version = 7;
    /* Presentation requests live minutes: unlogged (never in the WAL, not on a standby; a failover only
     * makes counters ask again) and outside the versioned schema, made wherever missing; the sweep
     * deletes them by age. */
    static const char *const unversioned[] = {
        "CREATE UNLOGGED TABLE IF NOT EXISTS authd_requests (id bytea PRIMARY KEY, counter_id text NOT NULL, "
        "expires bigint NOT NULL, answered boolean NOT NULL, blob bytea NOT NULL)",
        "CREATE INDEX IF NOT EXISTS authd_requests_expires ON authd_requests (expires)",
    };
    if (!rc && *version == AUTHD_SCHEMA_VERSION) {
        rc = run_all(conn, "creating the schema", unversioned, sizeof(unversioned) / sizeof(unversioned[0]));
        if (!rc) rc = keep_records_inline(conn);
    }
    if (!rc) rc = pg_run(conn, "creating the schema", "COMMIT", NULL);
    if (rc) {
        if (PQstatus(conn) == CONNECTION_OK) pg_run(conn, "creating the schema", "ROLLBACK", NULL);
        snprintf(err, err_cap, "the database's authd schema cannot be created or read (%s): see above",
                 authd_err_name(rc));
    }
    return rc;
}
