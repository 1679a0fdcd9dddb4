/* Reading licences back (licences.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "licences.h"

authd_err authd_licence_get(struct authd_storage *storage, const struct authd_record_keys *keys,
                            const char *id, size_t id_len, struct authd_licence_meta *meta,
                            uint64_t *log_index, uint8_t **licence, size_t *licence_len)
{
    if (id_len == 0 || id_len >= CERTLIB_LICENCE_ID_MAX) return AUTHD_E_NOT_FOUND;
    uint8_t *record;
    size_t len;
    uint64_t index;
    authd_err rc = authd_storage_get(storage, id, id_len, &record, &len, &index);
    if (rc) return rc;
    rc = licence ? authd_record_open(keys, id, id_len, record, len, meta, licence, licence_len)
                 : authd_record_meta(keys, id, id_len, record, len, meta);
    if (!rc && log_index) *log_index = index;
    free(record); /* sealed: nothing in clear to wipe */
    return rc;
}

struct of_holder {
    const struct authd_record_keys *keys;
    int (*fn)(void *arg, const struct authd_holder_licence *licence);
    void *arg;
};

static int one_of_holder(void *arg, const char *id, size_t id_len, const uint8_t *record, size_t len,
                         uint64_t log_index)
{
    struct of_holder *h = arg;
    struct authd_holder_licence l = {
        .id = id, .id_len = id_len, .record = record, .record_len = len, .log_index = log_index};
    if (authd_record_meta(h->keys, id, id_len, record, len, &l.meta) != AUTHD_OK) return 0;
    return h->fn(h->arg, &l);
}

authd_err authd_licence_each_of_holder(struct authd_storage *storage, const struct authd_record_keys *keys,
                                       const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                       int (*fn)(void *arg, const struct authd_holder_licence *licence),
                                       void *arg)
{
    struct of_holder h = {keys, fn, arg};
    return storage->ops->holder_records(storage, key, one_of_holder, &h);
}

struct of_holders {
    const struct authd_record_keys *keys;
    int (*fn)(void *arg, size_t which, const struct authd_holder_licence *licence);
    void *arg;
};

static int one_of_holders(void *arg, size_t which, const char *id, size_t id_len, const uint8_t *record,
                          size_t len, uint64_t log_index)
{
    struct of_holders *h = arg;
    struct authd_holder_licence l = {
        .id = id, .id_len = id_len, .record = record, .record_len = len, .log_index = log_index};
    if (authd_record_meta(h->keys, id, id_len, record, len, &l.meta) != AUTHD_OK) return 0;
    return h->fn(h->arg, which, &l);
}

authd_err authd_licence_each_of_holders(struct authd_storage *storage, const struct authd_record_keys *keys,
                                        const uint8_t (*holder_keys)[AUTHD_HOLDER_KEY_LEN], size_t n,
                                        int (*fn)(void *arg, size_t which,
                                                  const struct authd_holder_licence *licence),
                                        void *arg, authd_err *results)
{
    struct of_holders h = {keys, fn, arg};
    return storage->ops->holders_records(storage, holder_keys, n, one_of_holders, &h, results);
}

struct each {
    const struct authd_record_keys *keys;
    int (*fn)(void *arg, const char *id, size_t id_len, const struct authd_licence_meta *meta,
              uint64_t log_index);
    void *arg;
};

static int each_header(void *arg, const char *id, size_t id_len, const uint8_t *record, size_t len,
                       uint64_t log_index)
{
    struct each *e = arg;
    struct authd_licence_meta meta;
    authd_err rc = authd_record_meta(e->keys, id, id_len, record, len, &meta);
    if (rc) return (int)rc;
    return e->fn(e->arg, id, id_len, &meta, log_index);
}

authd_err authd_licence_each(struct authd_storage *storage, const struct authd_record_keys *keys,
                             int (*fn)(void *arg, const char *id, size_t id_len,
                                       const struct authd_licence_meta *meta, uint64_t log_index),
                             void *arg)
{
    struct each e = {keys, fn, arg};
    return storage->ops->each_record(storage, each_header, &e);
}
