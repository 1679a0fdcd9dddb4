/* Store-to-store copies (store_copy.h): the logs first, entry for entry, then every record with its
 * holder key and place, in batches of one transaction each. The holder-access index is a function of
 * the access log, so each access entry is filed again from its own holder field as it is copied. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log_entries.h"
#include "record.h"
#include "storage/storage.h"
#include "store_copy.h"

#define BATCH 512                  /* writes per transaction */
#define PROGRESS_EVERY (64 * 1024) /* a progress line per this many entries or records */

struct copy {
    struct authd_storage *from, *to;
    const struct authd_record_keys *keys;
    FILE *progress;
    char *err;
    size_t err_cap;
    /* the pending batch: its writes and the bytes they point into */
    struct authd_storage_write w[BATCH];
    uint8_t *owned[BATCH];
    uint8_t holder_of[BATCH][AUTHD_HOLDER_KEY_LEN]; /* an access entry's holder */
    size_t n;
    uint64_t done;
    /* the holder index, sorted by id */
    struct holder {
        char *id;
        uint8_t key[AUTHD_HOLDER_KEY_LEN];
    } * holders;
    size_t n_holders, cap_holders;
};

static const char *const log_names[AUTHD_LOG_COUNT] = {"signature", "access"};
static const char *const entry_names[AUTHD_LOG_COUNT] = {"signature-log entries", "access-log entries"};

static authd_err failed(struct copy *c, authd_err rc, const char *what)
{
    snprintf(c->err, c->err_cap, "copying the store: %s: %s", what, authd_err_name(rc));
    return rc;
}

static void clear_batch(struct copy *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->owned[i]);
    c->n = 0;
}

/* Applies the pending batch. Entries are appended at the log's next index, which must be the index
 * each had in the source (a batch holds one log's entries, or records alone). */
static authd_err flush(struct copy *c, const char *what)
{
    if (!c->n) return AUTHD_OK;
    bool entries = c->w[0].op == AUTHD_STORE_APPEND;
    uint64_t first = c->w[0].log_index;
    authd_err rc = authd_storage_apply(c->to, c->w, c->n);
    for (size_t i = 0; !rc && i < c->n; i++)
        rc = c->w[i].result                              ? c->w[i].result
             : entries && c->w[i].log_index != first + i ? AUTHD_E_CORRUPT
                                                         : AUTHD_OK;
    clear_batch(c);
    return rc ? failed(c, rc, what) : AUTHD_OK;
}

static void progress(struct copy *c, const char *what, uint64_t of)
{
    if (c->progress && (c->done % PROGRESS_EVERY == 0 || c->done == of))
        fprintf(c->progress, "authd: copied %llu of %llu %s\n", (unsigned long long)c->done,
                (unsigned long long)of, what);
}

/* ---- logs ---- */

struct log_copy {
    struct copy *c;
    enum authd_log_id log;
    uint64_t size;
    authd_err rc;
};

static int copy_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    struct log_copy *lc = arg;
    struct copy *c = lc->c;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return lc->rc = AUTHD_E_NOMEM, 1;
    memcpy(copy, entry, len);
    c->owned[c->n] = copy;
    bool about_holder = lc->log == AUTHD_LOG_ACCESS && authd_log_entry_holder(copy, len, c->holder_of[c->n]);
    c->w[c->n] = (struct authd_storage_write){.op = AUTHD_STORE_APPEND,
                                              .log = lc->log,
                                              .entry = copy,
                                              .entry_len = len,
                                              .log_index = index,
                                              .holder_key = about_holder ? c->holder_of[c->n] : NULL};
    c->n++;
    if (c->n == BATCH && (lc->rc = flush(c, "writing log entries")) != AUTHD_OK) return 1;
    c->done = index + 1;
    progress(c, entry_names[lc->log], lc->size);
    return 0;
}

static authd_err copy_log(struct copy *c, enum authd_log_id log)
{
    struct log_copy lc = {c, log, 0, AUTHD_OK};
    authd_err rc = c->from->ops->log_size(c->from, log, &lc.size);
    if (rc) return failed(c, rc, "reading the source log's size");
    c->done = 0;
    if (!lc.size) return AUTHD_OK;
    rc = c->from->ops->log_entries(c->from, log, 0, lc.size, copy_entry, &lc);
    if (lc.rc) rc = lc.rc;
    if (!rc) rc = flush(c, "writing log entries");
    clear_batch(c);
    if (rc) {
        snprintf(c->err, c->err_cap, "copying the store: the %s log, near entry %llu: %s", log_names[log],
                 (unsigned long long)c->done, authd_err_name(rc));
        return rc;
    }
    uint64_t copied;
    if ((rc = c->to->ops->log_size(c->to, log, &copied)) || copied != lc.size) {
        snprintf(c->err, c->err_cap,
                 "copying the store: the %s log has %llu entries after the copy, not %llu", log_names[log],
                 (unsigned long long)copied, (unsigned long long)lc.size);
        return rc ? rc : AUTHD_E_CORRUPT;
    }
    return AUTHD_OK;
}

/* ---- records ---- */

static int add_holder(void *arg, const uint8_t key[AUTHD_HOLDER_KEY_LEN], const char *id, size_t id_len)
{
    struct copy *c = arg;
    if (c->n_holders == c->cap_holders) {
        size_t cap = c->cap_holders ? c->cap_holders * 2 : 1024;
        struct holder *grown = realloc(c->holders, cap * sizeof(*grown));
        if (!grown) return AUTHD_E_NOMEM;
        c->holders = grown;
        c->cap_holders = cap;
    }
    struct holder *h = &c->holders[c->n_holders];
    if (!(h->id = strndup(id, id_len))) return AUTHD_E_NOMEM;
    memcpy(h->key, key, AUTHD_HOLDER_KEY_LEN);
    c->n_holders++;
    return 0;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct holder *)a)->id, ((const struct holder *)b)->id);
}

struct record_copy {
    struct copy *c;
    uint64_t records;
    authd_err rc;
    char failed_id[128];
};

static int copy_record(void *arg, const char *id, size_t id_len, const uint8_t *record, size_t len,
                       uint64_t log_index)
{
    struct record_copy *rc = arg;
    struct copy *c = rc->c;
    struct authd_licence_meta meta;
    char *key_id = strndup(id, id_len);
    struct holder probe = {.id = key_id}, *h = NULL;
    if (key_id) h = bsearch(&probe, c->holders, c->n_holders, sizeof(*c->holders), by_id);
    free(key_id);
    authd_err e = !h ? AUTHD_E_CORRUPT : authd_record_meta(c->keys, id, id_len, record, len, &meta);
    /* one allocation for the id, the record and the place the write points to */
    uint8_t *copy = e ? NULL : malloc(id_len + len + AUTHD_PLACE_LEN);
    if (!e && !copy) e = AUTHD_E_NOMEM;
    if (e) {
        snprintf(rc->failed_id, sizeof(rc->failed_id), "%.*s%s", (int)(id_len < 100 ? id_len : 100), id,
                 h ? "" : " (not in the holder index)");
        return rc->rc = e, 1;
    }
    memcpy(copy, id, id_len);
    memcpy(copy + id_len, record, len);
    authd_licence_place(&meta, copy + id_len + len);
    c->owned[c->n] = copy;
    c->w[c->n++] = (struct authd_storage_write){.op = AUTHD_STORE_RESTORE,
                                                .id = (const char *)copy,
                                                .id_len = id_len,
                                                .record = copy + id_len,
                                                .record_len = len,
                                                .holder_key = h->key,
                                                .place = copy + id_len + len,
                                                .log_index = log_index};
    if (c->n == BATCH && (rc->rc = flush(c, "writing records")) != AUTHD_OK) return 1;
    c->done++;
    progress(c, "licences", rc->records);
    return 0;
}

static authd_err copy_records(struct copy *c)
{
    struct authd_storage_stats stats;
    authd_err rc = c->from->ops->stats(c->from, &stats);
    if (rc) return failed(c, rc, "reading the source's size");
    if ((rc = c->from->ops->each_holder(c->from, add_holder, c)))
        return failed(c, rc, "reading the holder index");
    qsort(c->holders, c->n_holders, sizeof(*c->holders), by_id);
    struct record_copy r = {.c = c, .records = stats.records};
    c->done = 0;
    rc = c->from->ops->each_record(c->from, copy_record, &r);
    if (r.rc) rc = r.rc;
    if (!rc) rc = flush(c, "writing records");
    clear_batch(c);
    if (rc) {
        if (r.failed_id[0])
            snprintf(c->err, c->err_cap, "copying the store: licence %s: %s", r.failed_id,
                     rc == AUTHD_E_CORRUPT ? "fails its authentication (altered, or another data key)"
                                           : authd_err_name(rc));
        else if (!c->err[0])
            failed(c, rc, "reading records");
        return rc;
    }
    if (c->done != c->n_holders) {
        snprintf(c->err, c->err_cap, "copying the store: %llu records but %zu holder-index entries",
                 (unsigned long long)c->done, c->n_holders);
        return AUTHD_E_CORRUPT;
    }
    return AUTHD_OK;
}

authd_err authd_store_copy(struct authd_storage *from, struct authd_storage *to,
                           const struct authd_record_keys *keys, FILE *progress_out, char *err,
                           size_t err_cap)
{
    struct copy *c = calloc(1, sizeof(*c));
    if (!c) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    *c = (struct copy){
        .from = from, .to = to, .keys = keys, .progress = progress_out, .err = err, .err_cap = err_cap};
    err[0] = '\0';
    struct authd_storage_stats there;
    authd_err rc = to->ops->stats(to, &there);
    if (rc) {
        failed(c, rc, "reading the destination");
    } else if (there.records || there.log_size[0] || there.log_size[1]) {
        snprintf(
            err, err_cap,
            "copying the store: the destination is not empty (%llu licences, %llu and %llu log entries); "
            "a copy goes into a new store only",
            (unsigned long long)there.records, (unsigned long long)there.log_size[0],
            (unsigned long long)there.log_size[1]);
        rc = AUTHD_E_EXISTS;
    } else if (from->ops->schema_version(from) != AUTHD_SCHEMA_VERSION) {
        snprintf(err, err_cap, "copying the store: the source is not at schema %u (start authd on it once)",
                 AUTHD_SCHEMA_VERSION);
        rc = AUTHD_E_SCHEMA;
    } else {
        for (int l = 0; !rc && l < AUTHD_LOG_COUNT; l++)
            rc = copy_log(c, (enum authd_log_id)l);
        if (!rc) rc = copy_records(c);
        if (!rc && to->ops->loaded) {
            if (progress_out) fprintf(progress_out, "authd: taking the copy's statistics\n");
            if ((rc = to->ops->loaded(to)) != AUTHD_OK) failed(c, rc, "taking the copy's statistics");
        }
    }
    for (size_t i = 0; i < c->n_holders; i++)
        free(c->holders[i].id);
    free(c->holders);
    free(c);
    return rc;
}
