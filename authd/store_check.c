/* The store check (store_check.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "data_key.h"
#include "monotonic.h"
#include "record.h"
#include "services.h"
#include "storage/storage.h"
#include "store_check.h"
#include "store_guard.h"
#include "tlog.h"

#define PROGRESS_EVERY 100000u
#define HASH_CHUNK 256u

struct check {
    struct authd_storage *storage;
    const struct authd_record_keys *keys;
    uint64_t records, holders, bad, sig_size;
    char first_bad[256];
};

/* A damaged id may hold any bytes: printable ASCII is shown, the rest as \xNN. */
static void printable(const char *id, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        unsigned char b = (unsigned char)id[i];
        o += (size_t)snprintf(out + o, cap - o, b >= 0x20 && b < 0x7f && b != '\\' ? "%c" : "\\x%02x", b);
    }
    out[o] = '\0';
}

static void found_bad(struct check *c, const char *what, const char *id, size_t id_len, const char *why)
{
    if (c->bad++) return;
    char shown[140];
    printable(id, id_len, shown, sizeof(shown));
    snprintf(c->first_bad, sizeof(c->first_bad), "%s %s: %s", what, shown, why);
}

static void progress(uint64_t n, const char *what)
{
    if (n % PROGRESS_EVERY == 0) fprintf(stderr, "authd: store check: %" PRIu64 " %s checked\n", n, what);
}

static int visit_record(void *arg, const char *id, size_t id_len, const uint8_t *record, size_t len,
                        uint64_t log_index)
{
    struct check *c = arg;
    struct authd_licence_meta meta;
    uint8_t *licence = NULL;
    size_t licence_len = 0;
    authd_err rc = authd_record_open(c->keys, id, id_len, record, len, &meta, &licence, &licence_len);
    if (rc)
        found_bad(c, "licence", id, id_len, authd_err_name(rc));
    else if (log_index >= c->sig_size)
        found_bad(c, "licence", id, id_len, "its log entry is past the log's end");
    if (licence) {
        sodium_memzero(licence, licence_len);
        free(licence);
    }
    progress(++c->records, "licences");
    return 0;
}

static int visit_holder(void *arg, const uint8_t key[AUTHD_HOLDER_KEY_LEN], const char *id, size_t id_len)
{
    (void)key;
    struct check *c = arg;
    uint8_t *record = NULL;
    size_t len;
    uint64_t index;
    authd_err rc = c->storage->ops->get(c->storage, id, id_len, &record, &len, &index);
    if (rc)
        found_bad(c, "holder-index entry for", id, id_len,
                  rc == AUTHD_E_NOT_FOUND ? "no such record" : authd_err_name(rc));
    free(record);
    progress(++c->holders, "holder-index entries");
    return 0;
}

/* Level 0: each entry's leaf hash is the stored one. */
struct leaves {
    struct authd_storage *storage;
    enum authd_log_id log;
    uint64_t base, bad_at;
    certlib_tlog_hash stored[HASH_CHUNK];
};

static int visit_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    struct leaves *l = arg;
    certlib_tlog_hash h;
    certlib_tlog_leaf_hash(entry, len, h);
    if (memcmp(h, l->stored[index - l->base], sizeof(h)) != 0) return l->bad_at = index, 1;
    return 0;
}

/* Every entry and stored hash of a log; "" or what is wrong in `why`. */
static void check_log(struct authd_storage *s, enum authd_log_id log, uint64_t size, char *why, size_t cap)
{
    why[0] = '\0';
    struct leaves *l = calloc(1, sizeof(*l));
    certlib_tlog_hash *below = malloc(2 * HASH_CHUNK * sizeof(certlib_tlog_hash));
    if (!l || !below) {
        snprintf(why, cap, "out of memory");
        goto out;
    }
    l->storage = s;
    l->log = log;
    l->bad_at = UINT64_MAX;
    for (uint64_t i = 0; i < size; i += HASH_CHUNK) {
        uint64_t n = size - i < HASH_CHUNK ? size - i : HASH_CHUNK;
        l->base = i;
        authd_err rc = s->ops->log_hashes(s, log, 0, i, n, l->stored);
        if (!rc) rc = s->ops->log_entries(s, log, i, n, visit_entry, l);
        if (rc && l->bad_at == UINT64_MAX) {
            snprintf(why, cap, "entries %" PRIu64 "..: %s", i, authd_err_name(rc));
            goto out;
        }
        if (l->bad_at != UINT64_MAX) {
            snprintf(why, cap, "entry %" PRIu64 " does not hash to its stored leaf hash", l->bad_at);
            goto out;
        }
        progress(i + n, "log entries");
    }
    for (unsigned level = 1; level < 64 && (size >> level) > 0; level++) {
        uint64_t count = size >> level;
        for (uint64_t i = 0; i < count; i += HASH_CHUNK) {
            uint64_t n = count - i < HASH_CHUNK ? count - i : HASH_CHUNK;
            authd_err rc = s->ops->log_hashes(s, log, level, i, n, l->stored);
            if (!rc) rc = s->ops->log_hashes(s, log, level - 1, 2 * i, 2 * n, below);
            if (rc) {
                snprintf(why, cap, "stored hashes at level %u from %" PRIu64 ": %s", level, i,
                         authd_err_name(rc));
                goto out;
            }
            for (uint64_t k = 0; k < n; k++) {
                certlib_tlog_hash h;
                certlib_tlog_node_hash(below[2 * k], below[2 * k + 1], h);
                if (memcmp(h, l->stored[k], sizeof(h)) != 0) {
                    snprintf(why, cap, "the stored hash at level %u index %" PRIu64 " is not its children's",
                             level, i + k);
                    goto out;
                }
            }
        }
    }
out:
    free(below);
    free(l);
}

static int check_store(const struct authd_config *config, struct authd_storage *storage,
                       const struct authd_record_keys *keys)
{
    struct authd_log *logs[AUTHD_LOG_COUNT] = {0};
    char err[1024], why[512];
    int status = 1;
    int64_t started = authd_monotonic_ms();
    struct check c = {.storage = storage, .keys = keys};
    uint64_t sizes[AUTHD_LOG_COUNT] = {0};
    const char *names[AUTHD_LOG_COUNT] = {"signature", "access"};
    if (authd_logs_open(config, storage, logs, err, sizeof(err)) != AUTHD_OK) {
        fprintf(stderr, "authd: store check: %s\n", err);
        goto out;
    }
    for (int l = 0; l < AUTHD_LOG_COUNT; l++) {
        authd_err rc = storage->ops->log_size(storage, (enum authd_log_id)l, &sizes[l]);
        if (!rc) check_log(storage, (enum authd_log_id)l, sizes[l], why, sizeof(why));
        if (rc || why[0]) {
            fprintf(stderr, "authd: store check: the %s log is damaged: %s\n", names[l],
                    rc ? authd_err_name(rc) : why);
            goto out;
        }
    }
    c.sig_size = sizes[AUTHD_LOG_SIGNATURES];
    authd_err rc = storage->ops->each_record(storage, visit_record, &c);
    if (!rc) rc = storage->ops->each_holder(storage, visit_holder, &c);
    if (rc) {
        fprintf(stderr, "authd: store check: the store cannot be read through: %s\n", authd_err_name(rc));
        goto out;
    }
    if (c.bad) {
        fprintf(stderr, "authd: store check: %" PRIu64 " damaged, the first: %s\n", c.bad, c.first_bad);
        goto out;
    }
    fprintf(stderr,
            "authd: store check: intact: %" PRIu64 " licences, %" PRIu64
            " holder-index entries, signature log %" PRIu64 " entries, access log %" PRIu64
            " entries, both consistent with the checkpoints in %s (%.1f s)\n",
            c.records, c.holders, sizes[0], sizes[1], config->state_dir,
            (double)(authd_monotonic_ms() - started) / 1000.0);
    status = 0;
out:
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        authd_log_close(logs[l]);
    return status;
}

int authd_store_check_command(const struct authd_config *config)
{
    struct authd_record_keys *keys = NULL;
    struct authd_storage *storage = NULL;
    char err[1024];
    if (authd_data_key_load(config, &keys, err, sizeof(err)) != AUTHD_OK) {
        fprintf(stderr, "authd: %s\n", err);
        return 2;
    }
    int status = 1;
    if (config->store_backend == AUTHD_STORE_LMDB) authd_store_guard_begin("checking it");
    if (authd_store_open(config, keys, false, &storage, err, sizeof(err)) != AUTHD_OK)
        fprintf(stderr, "authd: store check: %s\n", err);
    else
        status = check_store(config, storage, keys);
    authd_storage_close(storage);
    if (config->store_backend == AUTHD_STORE_LMDB) authd_store_guard_end();
    authd_record_keys_free(keys);
    return status;
}
