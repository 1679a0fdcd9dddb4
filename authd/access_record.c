/* Holding a response until its access-log entry is durable. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access_record.h"
#include "async.h"
#include "log_entries.h"
#include "server.h"
#include "writer.h"

struct access_job {
    struct authd_async async;
    struct authd_write_job job;
    int status;
    char *body;
    size_t body_len;
    char entry[]; /* NUL-terminated */
};

static void access_respond(struct authd_async *a, h2o_req_t *req)
{
    struct access_job *j = (struct access_job *)a;
    if (j->job.w.result != AUTHD_OK) {
        authd_problem_store(req, j->job.w.result, "access_not_recorded",
                            "the access could not be recorded in the access log, so nothing is released");
        return;
    }
    authd_send_json(req, j->status, authd_pool_copy(req, j->body, j->body_len));
}

static void access_release(struct authd_async *a)
{
    struct access_job *j = (struct access_job *)a;
    sodium_memzero(j->body, j->body_len); /* personal data */
    free(j->body);
    free(j);
}

static void access_done(struct authd_write_job *job)
{
    struct access_job *j = AUTHD_JOB_OWNER(struct access_job, job, job);
    authd_async_complete(&j->async);
}

void authd_access_respond(struct authd_request *r, const struct authd_access *a, int status, char *body,
                          size_t body_len)
{
    char entry[CERTLIB_LOG_ENTRY_MAX];
    size_t n = authd_log_entry_access(entry, a->lookup, time(NULL), a->client, a->matter, a->holder_key,
                                      a->outcome, a->licences, a->use_cause, a->use_cause_len);
    struct access_job *j = n ? malloc(sizeof(*j) + n + 1) : NULL;
    if (!j) {
        int oom = n != 0;
        sodium_memzero(body, body_len);
        free(body);
        authd_problem(r->req, oom ? 503 : 500, oom ? "overloaded" : "access_not_recorded",
                      "the access could not be recorded in the access log, so nothing is released");
        return;
    }
    memset(j, 0, sizeof(*j));
    memcpy(j->entry, entry, n + 1);
    j->status = status;
    j->body = body;
    j->body_len = body_len;
    j->job.w = (struct authd_storage_write){.op = AUTHD_STORE_APPEND,
                                            .log = AUTHD_LOG_ACCESS,
                                            .entry = (const uint8_t *)j->entry,
                                            .entry_len = n};
    j->job.done = access_done;
    authd_async_init(&j->async, r->req, access_respond, access_release);
    authd_writer_submit(r->server->writer, &j->job);
}
