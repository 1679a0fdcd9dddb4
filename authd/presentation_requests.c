/* An open-addressed table keyed by the request id (random, so its first bytes hash well). A slot is
 * reused AUTHD_REQUEST_KEPT seconds after its request expired; probing stops at a slot never used. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "presentation_requests.h"

#define KEPT AUTHD_REQUEST_KEPT /* a late answer is named expired rather than unknown */

struct slot {
    uint8_t id[AUTHD_REQUEST_ID_LEN];
    bool ever, live;
    struct authd_stored_request r;
};

struct authd_requests {
    pthread_mutex_t lock;
    struct slot *slots;
    size_t capacity, count;
    struct authd_storage *shared; /* keeps the requests instead, when set */
};

struct authd_requests *authd_requests_new(size_t capacity, struct authd_storage *storage)
{
    struct authd_requests *rq = calloc(1, sizeof(*rq));
    if (!rq) return NULL;
    if (storage && storage->ops->request_put && storage->ops->request_get && storage->ops->request_answer) {
        rq->shared = storage;
        rq->capacity = capacity;
        return rq;
    }
    if (!(rq->slots = calloc(capacity, sizeof(*rq->slots)))) {
        free(rq);
        return NULL;
    }
    pthread_mutex_init(&rq->lock, NULL);
    rq->capacity = capacity;
    return rq;
}

static void slot_clear(struct slot *s)
{
    if (s->r.blob) {
        sodium_memzero(s->r.blob, s->r.blob_len);
        free(s->r.blob);
    }
    memset(&s->r, 0, sizeof(s->r));
    s->live = false;
}

void authd_requests_free(struct authd_requests *rq)
{
    if (!rq) return;
    if (rq->slots) {
        for (size_t i = 0; i < rq->capacity; i++)
            slot_clear(&rq->slots[i]);
        free(rq->slots);
        pthread_mutex_destroy(&rq->lock);
    }
    free(rq);
}

static size_t home(const struct authd_requests *rq, const uint8_t id[AUTHD_REQUEST_ID_LEN])
{
    uint64_t h;
    memcpy(&h, id, sizeof(h));
    return (size_t)(h % rq->capacity);
}

/* The live slot of `id`, or NULL. Caller holds the lock. */
static struct slot *find(struct authd_requests *rq, const uint8_t id[AUTHD_REQUEST_ID_LEN])
{
    for (size_t i = 0, at = home(rq, id); i < rq->capacity; i++, at = (at + 1) % rq->capacity) {
        struct slot *s = &rq->slots[at];
        if (!s->ever) return NULL;
        if (s->live && memcmp(s->id, id, AUTHD_REQUEST_ID_LEN) == 0) return s;
    }
    return NULL;
}

authd_err authd_requests_put(struct authd_requests *rq, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                             const char *counter_id, int64_t expires, const uint8_t *blob, size_t len,
                             int64_t now)
{
    if (rq->shared)
        return rq->shared->ops->request_put(rq->shared, id, counter_id, expires, blob, len, now,
                                            rq->capacity);
    if (strlen(counter_id) > CERTLIB_COUNTER_ID_MAX) return AUTHD_E_INTERNAL;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return AUTHD_E_NOMEM;
    memcpy(copy, blob, len);
    pthread_mutex_lock(&rq->lock);
    struct slot *free_slot = NULL;
    for (size_t i = 0, at = home(rq, id); i < rq->capacity && !free_slot; i++, at = (at + 1) % rq->capacity) {
        struct slot *s = &rq->slots[at];
        if (s->live && s->r.expires + KEPT < now) slot_clear(s);
        if (!s->live) free_slot = s;
    }
    if (free_slot) {
        free_slot->ever = free_slot->live = true;
        memcpy(free_slot->id, id, AUTHD_REQUEST_ID_LEN);
        memcpy(free_slot->r.counter_id, counter_id, strlen(counter_id) + 1);
        free_slot->r.expires = expires;
        free_slot->r.blob = copy;
        free_slot->r.blob_len = len;
    }
    pthread_mutex_unlock(&rq->lock);
    if (!free_slot) free(copy);
    return free_slot ? AUTHD_OK : AUTHD_E_FULL;
}

authd_err authd_requests_get(struct authd_requests *rq, const uint8_t id[AUTHD_REQUEST_ID_LEN], int64_t now,
                             struct authd_stored_request *out)
{
    authd_err rc;
    if (rq->shared) {
        rc = rq->shared->ops->request_get(rq->shared, id, out);
    } else {
        pthread_mutex_lock(&rq->lock);
        struct slot *s = find(rq, id);
        rc = s ? AUTHD_OK : AUTHD_E_NOT_FOUND;
        if (s) {
            *out = s->r;
            if (!(out->blob = malloc(s->r.blob_len ? s->r.blob_len : 1)))
                rc = AUTHD_E_NOMEM;
            else
                memcpy(out->blob, s->r.blob, s->r.blob_len);
        }
        pthread_mutex_unlock(&rq->lock);
    }
    if (rc == AUTHD_OK && out->expires + KEPT < now) { /* long gone, though not yet swept */
        free(out->blob);
        out->blob = NULL;
        rc = AUTHD_E_NOT_FOUND;
    }
    return rc;
}

authd_err authd_requests_answer(struct authd_requests *rq, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                                const uint8_t *blob, size_t len)
{
    if (rq->shared) return rq->shared->ops->request_answer(rq->shared, id, blob, len);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return AUTHD_E_NOMEM;
    memcpy(copy, blob, len);
    pthread_mutex_lock(&rq->lock);
    struct slot *s = find(rq, id);
    authd_err rc = !s ? AUTHD_E_NOT_FOUND : s->r.answered ? AUTHD_E_CONFLICT : AUTHD_OK;
    if (rc == AUTHD_OK) {
        sodium_memzero(s->r.blob, s->r.blob_len);
        free(s->r.blob);
        s->r.blob = copy;
        s->r.blob_len = len;
        s->r.answered = true;
        copy = NULL;
    }
    pthread_mutex_unlock(&rq->lock);
    free(copy);
    return rc;
}
