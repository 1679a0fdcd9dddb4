/* An open-addressed table keyed by the nonce (random, so its first bytes hash well). Expired and used
 * slots are reused; a used challenge is kept until its ttl ends, so a replay within the ttl is named
 * as such rather than as unknown. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenges.h"
#include "storage/storage.h"

struct slot {
    certlib_challenge c;
    int64_t issued;
    bool live, used;
};

/* A counter's quota: the issue times of its last `per_counter` challenges, oldest at `head`. Counters
 * are the policy's clients, so there are few of them; they are found by a linear search. */
struct quota {
    char counter_id[CERTLIB_COUNTER_ID_MAX + 1];
    int64_t *issued;
    size_t head, count;
};

struct authd_challenges {
    pthread_mutex_t lock;
    struct slot *slots;
    size_t capacity, per_counter;
    uint32_t ttl;
    struct quota *quotas;
    size_t n_quotas;
    struct authd_storage *shared; /* keeps the challenges instead, when set */
};

struct authd_challenges *authd_challenges_new(size_t capacity, size_t per_counter, uint32_t ttl,
                                              struct authd_storage *storage)
{
    struct authd_challenges *c = calloc(1, sizeof(*c));
    if (c && storage && storage->ops->challenge_issue && storage->ops->challenge_take) {
        c->shared = storage;
        capacity = 1; /* the store keeps them */
    }
    if (!c || !(c->slots = calloc(capacity, sizeof(*c->slots)))) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->capacity = capacity;
    c->per_counter = per_counter;
    c->ttl = ttl;
    return c;
}

void authd_challenges_free(struct authd_challenges *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n_quotas; i++)
        free(c->quotas[i].issued);
    free(c->quotas);
    pthread_mutex_destroy(&c->lock);
    free(c->slots);
    free(c);
}

/* The counter's quota, created on its first challenge. NULL when out of memory. Caller holds the lock. */
static struct quota *quota_of(struct authd_challenges *c, const char *counter_id)
{
    for (size_t i = 0; i < c->n_quotas; i++)
        if (strcmp(c->quotas[i].counter_id, counter_id) == 0) return &c->quotas[i];
    struct quota *grown = realloc(c->quotas, (c->n_quotas + 1) * sizeof(*grown));
    if (!grown) return NULL;
    c->quotas = grown;
    struct quota *q = &c->quotas[c->n_quotas];
    memset(q, 0, sizeof(*q));
    if (!(q->issued = calloc(c->per_counter, sizeof(*q->issued)))) return NULL;
    snprintf(q->counter_id, sizeof(q->counter_id), "%s", counter_id);
    c->n_quotas++;
    return q;
}

static size_t home(const struct authd_challenges *c, const uint8_t *nonce)
{
    uint64_t h;
    memcpy(&h, nonce, sizeof(h));
    return (size_t)(h % c->capacity);
}

static bool expired(const struct authd_challenges *c, const struct slot *s, int64_t now)
{
    return now - s->issued > (int64_t)c->ttl;
}

/* ---- in the shared store ---- */

static enum authd_challenge_issue issue_shared(struct authd_challenges *c, const char *counter_id,
                                               int64_t now, const certlib_challenge *out,
                                               uint32_t *retry_after)
{
    authd_err rc = c->shared->ops->challenge_issue(c->shared, counter_id, out->nonce, now, c->ttl,
                                                   c->per_counter, retry_after);
    return rc == AUTHD_OK       ? AUTHD_CHALLENGE_ISSUED
           : rc == AUTHD_E_FULL ? AUTHD_CHALLENGE_QUOTA
                                : AUTHD_CHALLENGE_STORE_UNAVAILABLE;
}

static enum authd_challenge_state take_shared(struct authd_challenges *c,
                                              const uint8_t nonce[CERTLIB_NONCE_LEN], const char *counter_id,
                                              int64_t now, certlib_challenge *out)
{
    char issued_to[CERTLIB_COUNTER_ID_MAX + 1];
    int64_t issued_at;
    bool was_used;
    authd_err rc = c->shared->ops->challenge_take(c->shared, nonce, counter_id, now, c->ttl, issued_to,
                                                  &issued_at, &was_used);
    if (rc == AUTHD_E_NOT_FOUND) return AUTHD_CHALLENGE_UNKNOWN;
    if (rc) return AUTHD_CHALLENGE_UNREACHABLE;
    memset(out, 0, sizeof(*out));
    memcpy(out->counter_id, issued_to, strlen(issued_to) + 1);
    memcpy(out->nonce, nonce, CERTLIB_NONCE_LEN);
    if (strcmp(issued_to, counter_id) != 0) return AUTHD_CHALLENGE_NOT_YOURS;
    if (now - issued_at > (int64_t)c->ttl) return AUTHD_CHALLENGE_EXPIRED;
    return was_used ? AUTHD_CHALLENGE_USED : AUTHD_CHALLENGE_OK;
}

/* ---- in memory ---- */

enum authd_challenge_issue authd_challenges_issue(struct authd_challenges *c, const char *counter_id,
                                                  int64_t now, certlib_challenge *out, uint32_t *retry_after)
{
    if (certlib_challenge_new(counter_id, out) != CERTLIB_OK) return AUTHD_CHALLENGE_FULL;
    if (c->shared) return issue_shared(c, counter_id, now, out, retry_after);
    pthread_mutex_lock(&c->lock);
    enum authd_challenge_issue rc = AUTHD_CHALLENGE_FULL;
    struct quota *q = quota_of(c, counter_id);
    if (q && q->count == c->per_counter && now - q->issued[q->head] <= (int64_t)c->ttl) {
        *retry_after = (uint32_t)(q->issued[q->head] + (int64_t)c->ttl + 1 - now);
        rc = AUTHD_CHALLENGE_QUOTA;
        q = NULL;
    }
    size_t i = home(c, out->nonce);
    for (size_t probe = 0; q && probe < c->capacity; probe++, i = (i + 1) % c->capacity) {
        struct slot *s = &c->slots[i];
        if (s->live && !expired(c, s, now)) continue;
        *s = (struct slot){.c = *out, .issued = now, .live = true};
        if (q->count == c->per_counter) { /* the oldest has left the window: its place is reused */
            q->issued[q->head] = now;
            q->head = (q->head + 1) % c->per_counter;
        } else {
            q->issued[(q->head + q->count++) % c->per_counter] = now;
        }
        rc = AUTHD_CHALLENGE_ISSUED;
        break;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

enum authd_challenge_state authd_challenges_take(struct authd_challenges *c,
                                                 const uint8_t nonce[CERTLIB_NONCE_LEN],
                                                 const char *counter_id, int64_t now, certlib_challenge *out)
{
    if (c->shared) return take_shared(c, nonce, counter_id, now, out);
    enum authd_challenge_state st = AUTHD_CHALLENGE_UNKNOWN;
    pthread_mutex_lock(&c->lock);
    size_t i = home(c, nonce);
    for (size_t probe = 0; probe < c->capacity; probe++, i = (i + 1) % c->capacity) {
        struct slot *s = &c->slots[i];
        if (!s->live) break; /* never reused past an empty slot: the nonce is not here */
        if (memcmp(s->c.nonce, nonce, CERTLIB_NONCE_LEN) != 0) continue;
        *out = s->c;
        if (strcmp(s->c.counter_id, counter_id) != 0)
            st = AUTHD_CHALLENGE_NOT_YOURS;
        else if (expired(c, s, now))
            st = AUTHD_CHALLENGE_EXPIRED;
        else if (s->used)
            st = AUTHD_CHALLENGE_USED;
        else
            st = AUTHD_CHALLENGE_OK, s->used = true;
        break;
    }
    pthread_mutex_unlock(&c->lock);
    return st;
}
