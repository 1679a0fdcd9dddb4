/* Holding a response until its access-log entry is durable, then releasing it with its disclosure
 * mark. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access_record.h"
#include "async.h"
#include "certlib/encoding.h"
#include "free_text.h"
#include "jsonw.h"
#include "log_entries.h"
#include "mark_batch.h"
#include "peer_answer.h"
#include "policy.h"
#include "server.h"
#include "tlog.h"
#include "utf8_check.h"
#include "writer.h"

struct access_job {
    struct authd_async async;
    struct authd_write_job job;
    struct authd_log *log; /* the access log, whose key signs the mark */
    int status;
    bool cbor; /* a peer's CBOR answer: its mark member follows the body */
    char *body;
    size_t body_len;
    certlib_mark mark; /* its index set by mark_leaf, once the writer gave it */
    char *mark_text;   /* its text, once the writer gave the index */
    size_t mark_text_len;
    uint8_t holder_key[AUTHD_HOLDER_KEY_LEN]; /* the holder-access index's key, when about a holder */
    char entry[];                             /* NUL-terminated */
};

/* The "disclosure" member: the mark's fields for display (the counter page's watermark), its
 * reference for a printed copy, and the signed mark itself. */
static void disclosure_json(struct authd_jsonw *w, const certlib_mark *m, const char *note)
{
    char when[CERTLIB_TIME_TEXT_LEN], reference[CERTLIB_MARK_REFERENCE_MAX];
    certlib_time_format(m->time, when);
    certlib_mark_reference(m, reference);
    authd_jsonw_lit(w, ",\"disclosure\":{\"log_index\":");
    authd_jsonw_int(w, (long long)m->index);
    authd_jsonw_lit(w, ",\"time\":");
    authd_jsonw_cstring(w, when);
    authd_jsonw_lit(w, ",\"client\":");
    authd_jsonw_cstring(w, m->client);
    authd_jsonw_lit(w, ",\"matter\":");
    authd_jsonw_cstring(w, m->matter[0] ? m->matter : NULL);
    authd_jsonw_lit(w, ",\"use_cause\":");
    authd_jsonw_cstring(w, m->use_cause[0] ? m->use_cause : NULL);
    authd_jsonw_lit(w, ",\"licences\":[");
    for (size_t i = 0; i < m->n_licences; i++) {
        if (i) authd_jsonw_lit(w, ",");
        authd_jsonw_base64url(w, m->licences[i], 32);
    }
    authd_jsonw_lit(w, "],\"reference\":");
    authd_jsonw_cstring(w, reference);
    authd_jsonw_lit(w, ",\"mark\":");
    authd_jsonw_cstring(w, note);
    authd_jsonw_lit(w, "}}");
}

static void access_respond(struct authd_async *a, h2o_req_t *req)
{
    struct access_job *j = (struct access_job *)a;
    if (j->job.w.result != AUTHD_OK) {
        authd_problem_store(req, j->job.w.result, "access_not_recorded",
                            "the access could not be recorded in the access log, so nothing is released");
        return;
    }
    char note[CERTLIB_MARK_MAX];
    size_t note_len;
    struct authd_jsonw w = {0};
    /* signed with its batch's; alone when the batch could not be signed, or its mark would not fit */
    bool marked =
        j->job.marks && authd_mark_batch_mark(j->job.marks, j->job.mark_position, j->mark_text,
                                              j->mark_text_len, note, sizeof(note), &note_len) == AUTHD_OK;
    if (!marked) marked = authd_log_sign_mark(j->log, &j->mark, note, sizeof(note), &note_len) == AUTHD_OK;
    if (marked && j->cbor)
        authd_peer_answer_mark(&w, note, note_len);
    else if (marked)
        disclosure_json(&w, &j->mark, note);
    size_t mark_len = 0;
    char *mark = marked ? authd_jsonw_take(&w, &mark_len) : NULL;
    if (!mark) {
        authd_problem(req, 500, "access_not_marked",
                      "the disclosure mark could not be made, so nothing is released");
        return;
    }
    /* the answer's object, its closing brace replaced by the mark's member; a CBOR map's last member */
    size_t head = j->cbor ? j->body_len : j->body_len - 1;
    char *out = h2o_mem_alloc_pool(&req->pool, head + mark_len);
    memcpy(out, j->body, head);
    memcpy(out + head, mark, mark_len);
    free(mark);
    if (j->cbor)
        authd_send(req, j->status, "application/cbor", h2o_iovec_init(out, head + mark_len));
    else
        authd_send_json(req, j->status, h2o_iovec_init(out, head + mark_len));
}

static void access_release(struct authd_async *a)
{
    struct access_job *j = (struct access_job *)a;
    sodium_memzero(j->body, j->body_len); /* personal data */
    free(j->body);
    free(j->mark_text);
    authd_mark_batch_release(j->job.marks);
    free(j);
}

/* On the writer thread, the entry stored: the mark's text, now that its index is known, and its leaf
 * for the batch's one signature. */
static authd_err mark_leaf(struct authd_write_job *job, certlib_tlog_hash leaf)
{
    struct access_job *j = AUTHD_JOB_OWNER(struct access_job, job, job);
    char text[CERTLIB_MARK_MAX];
    size_t len;
    j->mark.index = job->w.log_index;
    authd_err rc = authd_log_mark_text(j->log, &j->mark, text, sizeof(text), &len);
    if (!rc && !(j->mark_text = malloc(len + 1))) rc = AUTHD_E_NOMEM;
    if (rc) return rc;
    memcpy(j->mark_text, text, len + 1);
    j->mark_text_len = len;
    certlib_tlog_leaf_hash((const uint8_t *)text, len, leaf);
    return AUTHD_OK;
}

static void access_done(struct authd_write_job *job)
{
    struct access_job *j = AUTHD_JOB_OWNER(struct access_job, job, job);
    authd_async_complete(&j->async);
}

/* The mark's fields, all from what authd validated (client ids and matter codes from its policies). */
static bool mark_init(certlib_mark *m, const struct authd_access *a, int64_t now)
{
    if (a->n_released > CERTLIB_MARK_MAX_LICENCES || a->use_cause_len >= sizeof(m->use_cause) ||
        (size_t)snprintf(m->client, sizeof(m->client), "%s", a->client) >= sizeof(m->client) ||
        (size_t)snprintf(m->matter, sizeof(m->matter), "%s", a->matter ? a->matter : "") >= sizeof(m->matter))
        return false;
    m->kind = a->lookup ? CERTLIB_LOG_LOOKUP : CERTLIB_LOG_VERIFY;
    m->time = now;
    if (a->use_cause_len) memcpy(m->use_cause, a->use_cause, a->use_cause_len);
    m->use_cause[a->use_cause_len] = '\0';
    m->n_licences = a->n_released;
    if (a->n_released) memcpy(m->licences, a->released, a->n_released * 32);
    return true;
}

void authd_access_respond(struct authd_request *r, const struct authd_access *a, int status, char *body,
                          size_t body_len)
{
    int64_t now = time(NULL);
    char entry[CERTLIB_LOG_ENTRY_MAX];
    uint8_t digest[32];
    struct access_job *j = NULL;
    size_t n = 0;
    bool fits = (a->cbor ? body_len >= 1 : body_len >= 2 && body[body_len - 1] == '}') &&
                a->n_released <= CERTLIB_MARK_MAX_LICENCES;
    if (fits) {
        certlib_mark_digest(a->released, a->n_released, digest);
        n = authd_log_entry_access(entry, a->lookup, now, a->client, a->matter, a->holder_key, a->outcome,
                                   a->licences, a->use_cause, a->use_cause_len, digest);
    }
    if (n && (j = malloc(sizeof(*j) + n + 1))) {
        memset(j, 0, sizeof(*j));
        if (!mark_init(&j->mark, a, now)) free(j), j = NULL, n = 0;
    }
    if (!j) {
        int oom = n != 0;
        sodium_memzero(body, body_len);
        free(body);
        authd_problem(r->req, oom ? 503 : 500, oom ? "overloaded" : "access_not_recorded",
                      "the access could not be recorded in the access log, so nothing is released");
        return;
    }
    memcpy(j->entry, entry, n + 1);
    certlib_tlog_leaf_hash((const uint8_t *)j->entry, n, j->mark.entry_hash);
    j->log = r->server->logs[AUTHD_LOG_ACCESS];
    j->status = status;
    j->cbor = a->cbor;
    j->body = body;
    j->body_len = body_len;
    j->job.w = (struct authd_storage_write){.op = AUTHD_STORE_APPEND,
                                            .log = AUTHD_LOG_ACCESS,
                                            .entry = (const uint8_t *)j->entry,
                                            .entry_len = n};
    if (a->holder_key) { /* filed under the holder too: the citizen's use record */
        memcpy(j->holder_key, a->holder_key, AUTHD_HOLDER_KEY_LEN);
        j->job.w.holder_key = j->holder_key;
    }
    j->job.done = access_done;
    j->job.mark_leaf = mark_leaf;
    authd_async_init(&j->async, r->req, access_respond, access_release);
    authd_writer_submit(r->server->writer, &j->job);
}

const struct authd_matter *authd_access_purpose(struct authd_request *r, const char *code, size_t code_len,
                                                const char *use_cause, size_t use_len, int status,
                                                const char *where)
{
    if (!use_cause || use_len == 0 || use_len > AUTHD_USE_CAUSE_MAX ||
        !authd_utf8_valid(use_cause, use_len)) {
        authd_problemf(r->req, status, "missing_use_cause",
                       "state the use cause (用途/事由) as %s: 1 to %d bytes of UTF-8", where,
                       AUTHD_USE_CAUSE_MAX);
        return NULL;
    }
    if (authd_refuse_identity_in_text(r, "use_cause", use_cause, use_len) != 0) return NULL;
    /* A peer names matters by the shared catalogue's code (办事事项标准化); each side keeps its own. */
    bool peer = r->client->role == AUTHD_ROLE_PEER;
    const struct authd_matter *matter = peer ? authd_policy_shared_matter(r->policy, code, code_len)
                                             : authd_policy_matter(r->policy, code, code_len);
    if (!matter) {
        authd_problem(r->req, 404, "unknown_matter",
                      peer ? "no matter with that shared code in matters.yaml"
                           : "no such matter in matters.yaml");
        return NULL;
    }
    if (!authd_client_serves(r->client, matter)) {
        authd_problem(r->req, 403, "forbidden_matter",
                      peer ? "this peer may not ask for that matter"
                           : "this counter does not serve that matter");
        return NULL;
    }
    return matter;
}
