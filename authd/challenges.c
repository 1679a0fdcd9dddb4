/* An open-addressed table keyed by the nonce (random, so its first bytes hash well). Expired and used
 * slots are reused; a used challenge is kept until its ttl ends, so a replay within the ttl is named
 * as such rather than as unknown. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "challenges.h"

struct slot {
    certlib_challenge c;
    int64_t issued;
    bool live, used;
};

struct authd_challenges {
    pthread_mutex_t lock;
    struct slot *slots;
    size_t capacity;
    uint32_t ttl;
};

struct authd_challenges *authd_challenges_new(size_t capacity, uint32_t ttl)
{
    struct authd_challenges *c = calloc(1, sizeof(*c));
    if (!c || !(c->slots = calloc(capacity, sizeof(*c->slots)))) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->capacity = capacity;
    c->ttl = ttl;
    return c;
}

void authd_challenges_free(struct authd_challenges *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->lock);
    free(c->slots);
    free(c);
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

int authd_challenges_issue(struct authd_challenges *c, const char *counter_id, int64_t now,
                           certlib_challenge *out)
{
    if (certlib_challenge_new(counter_id, out) != CERTLIB_OK) return -1;
    pthread_mutex_lock(&c->lock);
    size_t i = home(c, out->nonce);
    int rc = -1;
    for (size_t probe = 0; probe < c->capacity; probe++, i = (i + 1) % c->capacity) {
        struct slot *s = &c->slots[i];
        if (s->live && !expired(c, s, now)) continue;
        *s = (struct slot){.c = *out, .issued = now, .live = true};
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

enum authd_challenge_state authd_challenges_take(struct authd_challenges *c,
                                                 const uint8_t nonce[CERTLIB_NONCE_LEN],
                                                 const char *counter_id, int64_t now, certlib_challenge *out)
{
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
