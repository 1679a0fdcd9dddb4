/* What the nodes of one database share beyond the store itself (pg_internal.h): status-list counters and
 * holder-binding challenges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/pg_internal.h"

/* ---- status-list counters ---- */

authd_err pg_list_counters(struct authd_storage *s, const char *issuer_code, uint32_t list_no, uint32_t count,
                           uint64_t *first)
{
    struct pg_args a = {0};
    pg_arg_text(&a, issuer_code, strlen(issuer_code));
    pg_arg_int8(&a, list_no);
    pg_arg_int8(&a, count);
    PGresult *r = NULL;
    /* one statement: the row is created or advanced under its lock, so two nodes never share a range */
    authd_err rc =
        pg_read_exec(pg_of(s), "taking status-list counters",
                     "INSERT INTO authd_list_counters AS c (issuer, list_no, next) VALUES ($1, $2, $3) "
                     "ON CONFLICT (issuer, list_no) DO UPDATE SET next = c.next + $3 "
                     "RETURNING next - $3",
                     &a, &r);
    if (!rc && PQntuples(r) != 1) rc = AUTHD_E_CORRUPT;
    if (!rc) *first = (uint64_t)pg_int8(r, 0, 0);
    PQclear(r);
    return rc;
}

/* ---- challenges ---- */

/* Expired challenges are deleted by whichever node issues one, at most once a ttl. */
static void sweep_challenges(struct pg_storage *st, PGconn *conn, int64_t now, uint32_t ttl)
{
    pthread_mutex_lock(&st->sweep_lock);
    bool due = now - st->challenges_swept >= (int64_t)ttl;
    if (due) st->challenges_swept = now;
    pthread_mutex_unlock(&st->sweep_lock);
    if (!due) return;
    struct pg_args a = {0};
    pg_arg_int8(&a, now - 2 * (int64_t)ttl); /* a used one is kept a ttl longer: a replay is named as such */
    pg_run(conn, "deleting expired challenges", "DELETE FROM authd_challenges WHERE issued < $1", &a);
}

authd_err pg_challenge_issue(struct authd_storage *s, const char *counter_id,
                             const uint8_t nonce[CERTLIB_NONCE_LEN], int64_t now, uint32_t ttl,
                             size_t per_counter, uint32_t *retry_after)
{
    struct pg_storage *st = pg_of(s);
    PGconn *conn;
    authd_err rc = pg_pool_get(&st->readers, &conn);
    if (rc) return rc;
    sweep_challenges(st, conn, now, ttl);
    /* The quota's count and the insert are one transaction under a lock per counter, so two nodes
     * cannot both take the last place of a counter's quota. */
    struct pg_args a = {0};
    pg_arg_bytes(&a, PG_BYTEA, nonce, CERTLIB_NONCE_LEN);
    pg_arg_text(&a, counter_id, strlen(counter_id));
    pg_arg_int8(&a, now);
    pg_arg_int8(&a, now - (int64_t)ttl);
    pg_arg_int8(&a, (int64_t)per_counter);
    PGresult *r = NULL;
    rc = pg_run(conn, "issuing a challenge", "BEGIN", NULL);
    struct pg_args lock = {0};
    pg_arg_text(&lock, counter_id, strlen(counter_id));
    if (!rc) rc = pg_run(conn, "issuing a challenge", "SELECT pg_advisory_xact_lock(hashtext($1))", &lock);
    if (!rc)
        rc = pg_exec(conn, "issuing a challenge",
                     "WITH quota AS (SELECT count(*) AS n, min(issued) AS oldest FROM authd_challenges "
                     "WHERE counter_id = $2 AND issued > $4), "
                     "ins AS (INSERT INTO authd_challenges (nonce, counter_id, issued) "
                     "SELECT $1, $2, $3 FROM quota WHERE quota.n < $5 RETURNING 1) "
                     "SELECT (SELECT count(*) FROM ins), (SELECT oldest FROM quota)",
                     &a, &r);
    if (!rc) rc = pg_run(conn, "issuing a challenge", "COMMIT", NULL);
    if (rc && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        pg_run(conn, "issuing a challenge", "ROLLBACK", NULL);
    if (!rc && pg_int8(r, 0, 0) != 1) {
        int64_t oldest = PQgetisnull(r, 0, 1) ? now : pg_int8(r, 0, 1);
        int64_t wait = oldest + (int64_t)ttl - now;
        *retry_after = wait > 0 ? (uint32_t)wait : 1;
        rc = AUTHD_E_FULL;
    }
    PQclear(r);
    pg_release(st, conn, rc);
    return rc;
}

authd_err pg_challenge_take(struct authd_storage *s, const uint8_t nonce[CERTLIB_NONCE_LEN],
                            const char *counter_id, int64_t now, uint32_t ttl,
                            char issued_to[CERTLIB_COUNTER_ID_MAX + 1], int64_t *issued_at, bool *was_used)
{
    struct pg_args a = {0};
    pg_arg_bytes(&a, PG_BYTEA, nonce, CERTLIB_NONCE_LEN);
    pg_arg_text(&a, counter_id, strlen(counter_id));
    pg_arg_int8(&a, now - (int64_t)ttl);
    PGresult *r = NULL;
    /* the row as it was, and taken only by its own counter while it is live: one statement, atomic */
    authd_err rc =
        pg_read_exec(pg_of(s), "taking a challenge",
                     "WITH old AS (SELECT counter_id, issued, used FROM authd_challenges WHERE nonce = $1 "
                     "FOR UPDATE), "
                     "took AS (UPDATE authd_challenges SET used = true WHERE nonce = $1 AND counter_id = $2 "
                     "AND issued >= $3 RETURNING 1) "
                     "SELECT counter_id, issued, used, (SELECT count(*) FROM took) FROM old",
                     &a, &r);
    if (rc) return rc;
    if (PQntuples(r) != 1 || PQgetlength(r, 0, 0) > CERTLIB_COUNTER_ID_MAX) {
        PQclear(r);
        return AUTHD_E_NOT_FOUND;
    }
    size_t len = (size_t)PQgetlength(r, 0, 0);
    memcpy(issued_to, PQgetvalue(r, 0, 0), len);
    issued_to[len] = '\0';
    *issued_at = pg_int8(r, 0, 1);
    *was_used = PQgetlength(r, 0, 2) == 1 && PQgetvalue(r, 0, 2)[0] != 0;
    PQclear(r);
    return AUTHD_OK;
}

/* ---- presentation requests ---- */

authd_err pg_request_put(struct authd_storage *s, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                         const char *counter_id, int64_t expires, const uint8_t *blob, size_t len,
                         int64_t now, size_t capacity)
{
    struct pg_storage *st = pg_of(s);
    pthread_mutex_lock(&st->sweep_lock);
    bool due = now - st->requests_swept >= 60;
    if (due) st->requests_swept = now;
    pthread_mutex_unlock(&st->sweep_lock);
    if (due) {
        struct pg_args old = {0};
        pg_arg_int8(&old, now - AUTHD_REQUEST_KEPT);
        PGresult *gone = NULL;
        pg_read_exec(st, "deleting expired presentation requests",
                     "DELETE FROM authd_requests WHERE expires < $1", &old, &gone);
        PQclear(gone);
    }
    /* No count against `capacity`: counting the table at every request would read all of it. Its size is
     * bounded by the sweep above (nothing older than AUTHD_REQUEST_KEPT past its expiry) and by the
     * admission limits on the counters that make requests. */
    (void)capacity;
    struct pg_args a = {0};
    pg_arg_bytes(&a, PG_BYTEA, id, AUTHD_REQUEST_ID_LEN);
    pg_arg_text(&a, counter_id, strlen(counter_id));
    pg_arg_int8(&a, expires);
    pg_arg_bytes(&a, PG_BYTEA, blob, len);
    PGresult *r = NULL;
    authd_err rc = pg_read_exec(st, "keeping a presentation request",
                                "INSERT INTO authd_requests (id, counter_id, expires, answered, blob) "
                                "VALUES ($1, $2, $3, false, $4)",
                                &a, &r);
    PQclear(r);
    return rc;
}

authd_err pg_request_get(struct authd_storage *s, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                         struct authd_stored_request *out)
{
    struct pg_args a = {0};
    pg_arg_bytes(&a, PG_BYTEA, id, AUTHD_REQUEST_ID_LEN);
    PGresult *r = NULL;
    authd_err rc =
        pg_read_exec(pg_of(s), "reading a presentation request",
                     "SELECT counter_id, expires, answered, blob FROM authd_requests WHERE id = $1", &a, &r);
    if (rc) return rc;
    size_t n = PQntuples(r) == 1 ? (size_t)PQgetlength(r, 0, 0) : 0;
    if (n == 0 || n > CERTLIB_COUNTER_ID_MAX) {
        PQclear(r);
        return AUTHD_E_NOT_FOUND;
    }
    memcpy(out->counter_id, PQgetvalue(r, 0, 0), n);
    out->counter_id[n] = '\0';
    out->expires = pg_int8(r, 0, 1);
    out->answered = PQgetlength(r, 0, 2) == 1 && PQgetvalue(r, 0, 2)[0] != 0;
    out->blob_len = (size_t)PQgetlength(r, 0, 3);
    out->blob = malloc(out->blob_len ? out->blob_len : 1);
    if (out->blob) memcpy(out->blob, PQgetvalue(r, 0, 3), out->blob_len);
    PQclear(r);
    return out->blob ? AUTHD_OK : AUTHD_E_NOMEM;
}

authd_err pg_request_answer(struct authd_storage *s, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                            const uint8_t *blob, size_t len)
{
    struct pg_args a = {0};
    pg_arg_bytes(&a, PG_BYTEA, id, AUTHD_REQUEST_ID_LEN);
    pg_arg_bytes(&a, PG_BYTEA, blob, len);
    PGresult *r = NULL;
    /* answered once: the row as it was, and the update only of an unanswered one, in one statement */
    authd_err rc = pg_read_exec(pg_of(s), "answering a presentation request",
                                "WITH old AS (SELECT answered FROM authd_requests WHERE id = $1 FOR UPDATE), "
                                "upd AS (UPDATE authd_requests SET answered = true, blob = $2 WHERE id = $1 "
                                "AND NOT answered RETURNING 1) "
                                "SELECT (SELECT count(*) FROM old), (SELECT count(*) FROM upd)",
                                &a, &r);
    if (!rc)
        rc = pg_int8(r, 0, 0) == 0 ? AUTHD_E_NOT_FOUND : pg_int8(r, 0, 1) == 1 ? AUTHD_OK : AUTHD_E_CONFLICT;
    PQclear(r);
    return rc;
}
