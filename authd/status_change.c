/* The status-change service (status_change.h). */
#include <string.h>

#include "licences.h"
#include "log_entries.h"
#include "metrics.h"
#include "record.h"
#include "server.h"
#include "status_change.h"
#include "statuslists.h"

/* Storage transaction: the record with its new status, unless the current one forbids it. */
static authd_err reseal(void *arg, const char *id, size_t id_len, const uint8_t *current, uint8_t *next,
                        size_t len)
{
    struct authd_status_change *c = arg;
    return authd_record_set_status(c->server->keys, id, id_len, current, len, c->status, next, &c->before);
}

static void published(void *arg)
{
    struct authd_status_change *c = arg;
    c->done(c);
}

/* Writer thread: durable (or refused, or failed). */
static void stored(struct authd_write_job *job)
{
    struct authd_status_change *c = AUTHD_JOB_OWNER(struct authd_status_change, job, job);
    c->result = job->w.result;
    c->log_index = job->w.log_index;
    if (c->result != AUTHD_OK) {
        c->done(c);
        return;
    }
    authd_metrics_count(c->server->metrics, AUTHD_M_STATUS_CHANGES);
    authd_statuslists_set(c->server->statuslists, c->before.issuer_code, c->before.list_no,
                          c->before.status_idx, c->status, published, c);
}

authd_err authd_status_change(struct authd_server *s, const char *issuer_code, const char *id, size_t id_len,
                              uint8_t status, int64_t time, const char *reason, struct authd_status_change *c,
                              void (*done)(struct authd_status_change *c))
{
    memset(c, 0, sizeof(*c));
    if (id_len == 0 || id_len >= sizeof(c->licence_id)) return AUTHD_E_NOT_FOUND;
    /* The header's fixed part names the licence in the log entry; the transaction re-reads the status. */
    struct authd_licence_meta meta;
    authd_err rc = authd_licence_get(s->storage, s->keys, id, id_len, &meta, NULL, NULL, NULL);
    if (rc) return rc;
    if (strcmp(meta.issuer_code, issuer_code) != 0) return AUTHD_E_NOT_FOUND;
    memcpy(c->licence_id, id, id_len);
    c->server = s;
    c->done = done;
    c->status = status;
    size_t entry_len = authd_log_entry_status(c->entry, c->licence_id, &meta, status, time, reason);
    if (!entry_len) return AUTHD_E_CONFIG;
    c->job.w = (struct authd_storage_write){.op = AUTHD_STORE_UPDATE,
                                            .id = c->licence_id,
                                            .id_len = id_len,
                                            .update = reseal,
                                            .update_arg = c,
                                            .log = AUTHD_LOG_SIGNATURES,
                                            .entry = (const uint8_t *)c->entry,
                                            .entry_len = entry_len};
    c->job.done = stored;
    authd_writer_submit(s->writer, &c->job);
    return AUTHD_OK;
}
