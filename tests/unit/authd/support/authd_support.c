/* authd's unit-test support (authd_support.h). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/sha.h>
#include <sodium.h>

#include "authd_support.h"
#include "metrics.h"
#include "record.h"
#include "services.h"

const char *test_repo = ".";

char *scratch_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *path = malloc(4096);
    assert_non_null(path);
    snprintf(path, 4096, "%s/authd-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(path));
    return path;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void scratch_remove(char *dir)
{
    if (!dir) return;
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* ---- the spy backend ---- */

static struct spy_storage *spy_of(struct authd_storage *s)
{
    return (struct spy_storage *)s;
}

static void spy_close(struct authd_storage *s)
{
    struct spy_storage *spy = spy_of(s);
    authd_storage_close(spy->inner);
    pthread_mutex_destroy(&spy->lock);
    pthread_cond_destroy(&spy->changed);
    free(spy);
}

static uint32_t spy_schema_version(struct authd_storage *s)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->schema_version(in);
}

static authd_err spy_stats(struct authd_storage *s, struct authd_storage_stats *out)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->stats(in, out);
}

static authd_err spy_apply(struct authd_storage *s, struct authd_storage_write *w, size_t n)
{
    struct spy_storage *spy = spy_of(s);
    pthread_mutex_lock(&spy->lock);
    spy->holding = spy->hold;
    pthread_cond_broadcast(&spy->changed);
    while (spy->hold)
        pthread_cond_wait(&spy->changed, &spy->lock);
    spy->holding = false;
    if (spy->applies < SPY_MAX_APPLIES) spy->sizes[spy->applies] = n;
    spy->applies++;
    authd_err fail = spy->fail_next;
    spy->fail_next = AUTHD_OK;
    pthread_cond_broadcast(&spy->changed);
    pthread_mutex_unlock(&spy->lock);
    if (fail) {
        for (size_t i = 0; i < n; i++)
            w[i].result = fail;
        return fail;
    }
    return authd_storage_apply(spy->inner, w, n);
}

static authd_err spy_get(struct authd_storage *s, const char *id, size_t id_len, uint8_t **record,
                         size_t *len, uint64_t *log_index)
{
    return authd_storage_get(spy_of(s)->inner, id, id_len, record, len, log_index);
}

static authd_err spy_holder_records(struct authd_storage *s, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                    int (*fn)(void *arg, const char *id, size_t id_len, const uint8_t *record,
                                              size_t len, uint64_t log_index),
                                    void *arg)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->holder_records(in, key, fn, arg);
}

static authd_err spy_each_record(struct authd_storage *s,
                                 int (*fn)(void *arg, const char *id, size_t id_len, const uint8_t *record,
                                           size_t len, uint64_t log_index),
                                 void *arg)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->each_record(in, fn, arg);
}

static authd_err spy_log_size(struct authd_storage *s, enum authd_log_id log, uint64_t *size)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->log_size(in, log, size);
}

static authd_err spy_log_entries(struct authd_storage *s, enum authd_log_id log, uint64_t start,
                                 uint64_t count,
                                 int (*fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len),
                                 void *arg)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->log_entries(in, log, start, count, fn, arg);
}

static authd_err spy_log_hashes(struct authd_storage *s, enum authd_log_id log, unsigned level,
                                uint64_t start, uint64_t count, certlib_tlog_hash *out)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->log_hashes(in, log, level, start, count, out);
}

static authd_err spy_log_border(struct authd_storage *s, enum authd_log_id log, uint64_t *size,
                                certlib_tlog_hash out[64])
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->log_border(in, log, size, out);
}

static authd_err spy_each_holder(struct authd_storage *s,
                                 int (*fn)(void *arg, const uint8_t key[AUTHD_HOLDER_KEY_LEN], const char *id,
                                           size_t id_len),
                                 void *arg)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->each_holder(in, fn, arg);
}

static authd_err spy_setting_get(struct authd_storage *s, const char *name, int64_t *value)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->setting_get(in, name, value);
}

static authd_err spy_setting_put(struct authd_storage *s, const char *name, int64_t value)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->setting_put(in, name, value);
}

static authd_err spy_holder_access(struct authd_storage *s, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                   uint64_t from, size_t limit, int (*fn)(void *arg, uint64_t index),
                                   void *arg)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->holder_access(in, key, from, limit, fn, arg);
}

static authd_err spy_challenge_issue(struct authd_storage *s, const char *counter_id,
                                     const uint8_t nonce[CERTLIB_NONCE_LEN], int64_t now, uint32_t ttl,
                                     size_t per_counter, uint32_t *retry_after)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->challenge_issue(in, counter_id, nonce, now, ttl, per_counter, retry_after);
}

static authd_err spy_challenge_take(struct authd_storage *s, const uint8_t nonce[CERTLIB_NONCE_LEN],
                                    const char *counter_id, int64_t now, uint32_t ttl,
                                    char issued_to[CERTLIB_COUNTER_ID_MAX + 1], int64_t *issued_at,
                                    bool *was_used)
{
    struct authd_storage *in = spy_of(s)->inner;
    return in->ops->challenge_take(in, nonce, counter_id, now, ttl, issued_to, issued_at, was_used);
}

struct spy_storage *spy_wrap(struct authd_storage *inner)
{
    struct spy_storage *spy = calloc(1, sizeof(*spy));
    assert_non_null(spy);
    /* forwarding functions for every operation the inner backend has */
    spy->ops = (struct authd_storage_ops){
        .name = inner->ops->name,
        .shared = inner->ops->shared,
        .close = spy_close,
        .schema_version = spy_schema_version,
        .stats = spy_stats,
        .setting_get = spy_setting_get,
        .setting_put = spy_setting_put,
        .apply = spy_apply,
        .get = spy_get,
        .holder_records = spy_holder_records,
        .each_record = spy_each_record,
        .each_holder = spy_each_holder,
        .log_size = spy_log_size,
        .log_entries = spy_log_entries,
        .log_hashes = spy_log_hashes,
        .log_border = spy_log_border,
        .holder_access = spy_holder_access,
        .challenge_issue = inner->ops->challenge_issue ? spy_challenge_issue : NULL,
        .challenge_take = inner->ops->challenge_take ? spy_challenge_take : NULL,
    };
    spy->base.ops = &spy->ops;
    spy->inner = inner;
    pthread_mutex_init(&spy->lock, NULL);
    pthread_cond_init(&spy->changed, NULL);
    return spy;
}

void spy_set_hold(struct spy_storage *spy, bool hold)
{
    pthread_mutex_lock(&spy->lock);
    spy->hold = hold;
    pthread_cond_broadcast(&spy->changed);
    pthread_mutex_unlock(&spy->lock);
}

static struct timespec deadline_in(int seconds)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += seconds;
    return t;
}

void spy_wait_holding(struct spy_storage *spy)
{
    struct timespec until = deadline_in(30);
    pthread_mutex_lock(&spy->lock);
    int rc = 0;
    while (!spy->holding && rc == 0)
        rc = pthread_cond_timedwait(&spy->changed, &spy->lock, &until);
    pthread_mutex_unlock(&spy->lock);
    if (rc) fail_msg("no apply() arrived within 30 s");
}

size_t spy_applies(struct spy_storage *spy)
{
    pthread_mutex_lock(&spy->lock);
    size_t n = spy->applies;
    pthread_mutex_unlock(&spy->lock);
    return n;
}

void spy_fail_next(struct spy_storage *spy, authd_err err)
{
    pthread_mutex_lock(&spy->lock);
    spy->fail_next = err;
    pthread_mutex_unlock(&spy->lock);
}

/* ---- LMDB and the services ---- */

struct authd_storage *open_lmdb(const char *dir, size_t map_bytes)
{
    struct authd_lmdb_options o = {
        .dir = dir, .map_bytes = map_bytes ? map_bytes : (size_t)64 << 20, .create = true};
    struct authd_storage *s = NULL;
    char err[512] = "";
    authd_err rc = authd_storage_open_lmdb(&o, &s, err, sizeof(err));
    if (rc) fail_msg("LMDB in %s: %s (%s)", dir, err, authd_err_name(rc));
    return s;
}

void test_server_start(struct test_server *t, uint32_t list_size)
{
    memset(t, 0, sizeof(*t));
    char path[4096], err[1024] = "";
    snprintf(path, sizeof(path), "%s/authd/authd.example.yaml", test_repo);
    if (authd_config_load(&t->config, path, err, sizeof(err)) != 0) fail_msg("%s", err);
    t->dir = scratch_dir();
    free(t->config.data_dir);
    t->config.data_dir = strdup(t->dir);
    snprintf(path, sizeof(path), "%s/state", t->dir);
    free(t->config.state_dir);
    t->config.state_dir = strdup(path);
    t->config.status_list_size = list_size;
    t->spy = spy_wrap(open_lmdb(t->dir, 0));
    t->server.config = &t->config;
    t->server.storage = &t->spy->base;
    authd_err rc = authd_services_start(&t->server, err, sizeof(err));
    if (rc) fail_msg("services: %s (%s)", err, authd_err_name(rc));
}

void test_server_stop(struct test_server *t)
{
    authd_services_stop(&t->server);
    authd_config_free(&t->config);
    scratch_remove(t->dir);
    memset(t, 0, sizeof(*t));
}

/* ---- waiting for completions ---- */

void waiter_init(struct waiter *w)
{
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->count = 0;
}

void waiter_signal(struct waiter *w)
{
    pthread_mutex_lock(&w->lock);
    w->count++;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void waiter_wait(struct waiter *w, size_t count)
{
    struct timespec until = deadline_in(30);
    pthread_mutex_lock(&w->lock);
    int rc = 0;
    while (w->count < count && rc == 0)
        rc = pthread_cond_timedwait(&w->cond, &w->lock, &until);
    size_t got = w->count;
    pthread_mutex_unlock(&w->lock);
    if (got < count) fail_msg("%zu of %zu completions within 30 s", got, count);
}

size_t waiter_count(struct waiter *w)
{
    pthread_mutex_lock(&w->lock);
    size_t n = w->count;
    pthread_mutex_unlock(&w->lock);
    return n;
}

void waiter_destroy(struct waiter *w)
{
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
}

/* ---- records ---- */

struct authd_record_keys *demo_record_keys(void)
{
    char path[4096], err[512] = "";
    snprintf(path, sizeof(path), "%s/keys-example/data.key", test_repo);
    struct authd_record_keys *keys = NULL;
    if (authd_record_keys_load(path, &keys, err, sizeof(err)) != AUTHD_OK) fail_msg("%s", err);
    return keys;
}

static void put_be(uint8_t *out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        out[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

uint8_t *seal_v2_record(const char *data_key_file, const char *id, const struct authd_licence_meta *m,
                        uint64_t log_index, const uint8_t *licence, size_t licence_len, size_t *len)
{
    enum { HEADER = 65, NONCE = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES };
    FILE *f = fopen(data_key_file, "r");
    assert_non_null(f);
    char hex[65] = {0};
    assert_int_equal(fread(hex, 1, 64, f), 64);
    fclose(f);
    uint8_t master[32], key[32];
    assert_int_equal(sodium_hex2bin(master, 32, hex, 64, NULL, NULL, NULL), 0);
    assert_int_equal(crypto_kdf_derive_from_key(key, 32, 1, "authdenc", master), 0);
    *len = HEADER + NONCE + licence_len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    uint8_t *r = calloc(1, *len);
    assert_non_null(r);
    r[0] = 2;
    r[1] = m->status;
    put_be(r + 2, m->list_no, 4);
    put_be(r + 6, m->status_idx, 4);
    put_be(r + 10, (uint64_t)m->issued_at, 8);
    memcpy(r + 18, m->type_code, strlen(m->type_code));
    memcpy(r + 39, m->issuer_code, strlen(m->issuer_code));
    put_be(r + 57, log_index, 8);
    randombytes_buf(r + HEADER, NONCE);
    uint8_t ad[256];
    size_t id_len = strlen(id);
    memcpy(ad, id, id_len);
    memcpy(ad + id_len, r + 2, HEADER - 2);
    crypto_aead_xchacha20poly1305_ietf_encrypt(r + HEADER + NONCE, NULL, licence, licence_len, ad,
                                               id_len + HEADER - 2, NULL, r + HEADER, key);
    sodium_memzero(master, sizeof(master));
    sodium_memzero(key, sizeof(key));
    return r;
}

void tree_hash(const certlib_tlog_hash *leaves, uint64_t n, certlib_tlog_hash out)
{
    if (n == 0) {
        SHA256((const unsigned char *)"", 0, out);
        return;
    }
    if (n == 1) {
        memcpy(out, leaves[0], CERTLIB_TLOG_HASH_LEN);
        return;
    }
    uint64_t k = 1; /* the largest power of two below n */
    while (k * 2 < n)
        k *= 2;
    certlib_tlog_hash l, r;
    tree_hash(leaves, k, l);
    tree_hash(leaves + k, n - k, r);
    certlib_tlog_node_hash(l, r, out);
}

double metric_value(struct authd_metrics *m, const char *series)
{
    size_t len;
    char *text = authd_metrics_render(m, &len);
    assert_non_null(text);
    size_t n = strlen(series);
    double value = 0;
    bool found = false;
    const char *line = text;
    while (!found && *line) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            value = strtod(line + n + 1, NULL);
            found = true;
        }
        const char *end = strchr(line, '\n');
        line = end ? end + 1 : line + strlen(line);
    }
    free(text);
    if (!found) fail_msg("no series %s in /metrics", series);
    return value;
}
