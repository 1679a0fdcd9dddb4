/* The signature log's last word on each licence it changed the status of, in a hash table of their
 * ids (status changes are few next to issuances), then one pass over the records. Issue entries are
 * skipped by their prefix without being parsed: the pass over the log costs little more than reading
 * it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/logentry.h"
#include "certlib/status.h"
#include "licence_meta.h"
#include "licences.h"
#include "status_check.h"
#include "tlog.h"

struct change {
    char id[CERTLIB_LICENCE_ID_MAX];
    uint8_t status; /* the last as of the log's first reading */
    uint8_t later;  /* bit per status value the log recorded after it (a shared store's other nodes) */
    bool used, seen;
};

struct table {
    struct change *slots;
    size_t cap, n;
    char *err;
    size_t err_cap;
    size_t checked;
    authd_err failed; /* what stopped the pass over the log */
    bool catching_up; /* entries read now come after the first reading */
    struct authd_storage *storage;
    uint64_t read_to; /* the log's entries read so far */
    bool caught_up;
};

static size_t hash(const char *id, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a: the ids are authd's own, not an attacker's */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)id[i]) * 1099511628211ull;
    return (size_t)h;
}

static struct change *find(struct table *t, const char *id, size_t len)
{
    for (size_t i = hash(id, len) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        struct change *c = &t->slots[i];
        if (!c->used || (strlen(c->id) == len && memcmp(c->id, id, len) == 0)) return c;
    }
}

static int grow(struct table *t)
{
    struct table bigger = {.cap = t->cap ? t->cap * 2 : 1024};
    if (!(bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots)))) return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].used) *find(&bigger, t->slots[i].id, strlen(t->slots[i].id)) = t->slots[i];
    free(t->slots);
    t->slots = bigger.slots;
    t->cap = bigger.cap;
    return 0;
}

static int note_change(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    static const char prefix[] = "sig/v1 status ";
    struct table *t = arg;
    if (len < sizeof(prefix) - 1 || memcmp(entry, prefix, sizeof(prefix) - 1) != 0) return 0;
    certlib_log_entry e;
    int value;
    if (certlib_log_entry_parse(entry, len, &e) != CERTLIB_OK || e.licence_id.len >= CERTLIB_LICENCE_ID_MAX ||
        (value = authd_status_value_of((const char *)e.status.ptr, e.status.len)) < 0) {
        snprintf(t->err, t->err_cap, "signature log entry %llu is not a status change authd writes",
                 (unsigned long long)index);
        return t->failed = AUTHD_E_CORRUPT, 1;
    }
    if (2 * (t->n + 1) > t->cap && grow(t) != 0) {
        snprintf(t->err, t->err_cap, "out of memory checking statuses against the signature log");
        return t->failed = AUTHD_E_NOMEM, 1;
    }
    struct change *c = find(t, (const char *)e.licence_id.ptr, e.licence_id.len);
    if (!c->used) {
        memcpy(c->id, e.licence_id.ptr, e.licence_id.len);
        c->id[e.licence_id.len] = '\0';
        c->used = true;
        t->n++;
    }
    if (t->catching_up)
        c->later |= (uint8_t)(1u << value);
    else
        c->status = (uint8_t)value; /* later entries win */
    return 0;
}

/* A shared store: other nodes went on writing while the records were read, so a record may be newer
 * than the log's first reading. The log's entries since are read once, and a record may carry any
 * status the log recorded for it after that reading. */
static authd_err catch_up(struct table *t)
{
    uint64_t size;
    authd_err rc = t->storage->ops->log_size(t->storage, AUTHD_LOG_SIGNATURES, &size);
    t->caught_up = true;
    t->catching_up = true;
    if (!rc && size > t->read_to)
        rc = t->storage->ops->log_entries(t->storage, AUTHD_LOG_SIGNATURES, t->read_to, size - t->read_to,
                                          note_change, t);
    t->catching_up = false;
    return rc ? rc : t->failed;
}

static int compare(void *arg, const char *id, size_t id_len, const struct authd_licence_meta *meta,
                   uint64_t log_index)
{
    (void)log_index;
    struct table *t = arg;
    unsigned expected = CERTLIB_STATUS_VALUE_VALID;
    struct change *c = t->cap ? find(t, id, id_len) : NULL;
    if (c && c->used) {
        expected = c->status;
        c->seen = true;
    }
    t->checked++;
    if (meta->status == expected) return AUTHD_OK;
    if (t->storage->ops->shared && !t->caught_up) {
        authd_err rc = catch_up(t);
        if (rc) return rc;
        c = t->cap ? find(t, id, id_len) : NULL; /* no table when the log has no status entry at all */
        if (c && c->used && !c->seen) c->seen = true, expected = c->status;
    }
    if (c && c->used && (c->later & (1u << meta->status))) return AUTHD_OK;
    snprintf(t->err, t->err_cap,
             "licence %.*s: the store says %s but the signature log says %s: the store was altered outside "
             "authd, or restored without its log; refusing to publish status lists from it",
             (int)id_len, id, authd_status_value_name(meta->status), authd_status_value_name(expected));
    return AUTHD_E_CORRUPT;
}

authd_err authd_status_check(struct authd_storage *storage, const struct authd_record_keys *keys,
                             struct authd_log *log, char *err, size_t err_cap)
{
    if (!log) return AUTHD_OK;
    struct table t = {.err = err, .err_cap = err_cap, .storage = storage};
    err[0] = '\0';
    authd_err rc = storage->ops->log_size(storage, AUTHD_LOG_SIGNATURES, &t.read_to);
    if (!rc) rc = storage->ops->log_entries(storage, AUTHD_LOG_SIGNATURES, 0, t.read_to, note_change, &t);
    if (rc == AUTHD_OK) rc = t.failed;
    if (rc == AUTHD_OK) {
        rc = authd_licence_each(storage, keys, compare, &t);
        if (rc == AUTHD_E_CORRUPT && !err[0])
            snprintf(err, err_cap,
                     "a licence record fails its authentication: the store was altered outside "
                     "authd, or the data key is not the one it was written with");
    }
    for (size_t i = 0; rc == AUTHD_OK && i < t.cap; i++)
        if (t.slots[i].used && !t.slots[i].seen) {
            snprintf(err, err_cap,
                     "the signature log records a status change of licence %s, which the store "
                     "does not hold: the store was altered or rolled back",
                     t.slots[i].id);
            rc = AUTHD_E_CORRUPT;
        }
    if (rc != AUTHD_OK && !err[0])
        snprintf(err, err_cap, "the store or the signature log cannot be read: %s", authd_err_name(rc));
    free(t.slots);
    return rc;
}
