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

struct collect {
    char (*ids)[CERTLIB_LICENCE_ID_MAX];
    size_t max, n;
};

static int collect_id(void *arg, const char *id, size_t id_len)
{
    struct collect *c = arg;
    if (c->n == c->max) return 1;
    if (id_len < CERTLIB_LICENCE_ID_MAX) {
        memcpy(c->ids[c->n], id, id_len);
        c->ids[c->n++][id_len] = '\0';
    }
    return 0;
}

authd_err authd_licence_holder_ids(struct authd_storage *storage, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                   char (*ids)[CERTLIB_LICENCE_ID_MAX], size_t max, size_t *n)
{
    struct collect c = {ids, max, 0};
    authd_err rc = storage->ops->holder_ids(storage, key, collect_id, &c);
    *n = c.n;
    return rc;
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
