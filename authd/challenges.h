/* Outstanding holder-binding challenges (certlib present.h): made for one counter, alive for `ttl`
 * seconds, answered once. In memory when one process owns the store: a challenge that a restart
 * forgets is simply answered again by a fresh one, and nothing durable may depend on it. In the store
 * when several nodes share it (its challenge operations), so the counter's next request may reach any
 * node and a challenge is still answered once. Thread-safe. */
#ifndef AUTHD_CHALLENGES_H
#define AUTHD_CHALLENGES_H

#include <stdint.h>

#include "certlib/present.h"

struct authd_challenges;

/* At most `capacity` outstanding challenges, and at most `per_counter` issued to one counter within
 * any `ttl` seconds: one counter (or a stolen counter token) cannot fill the table for the others. */
struct authd_storage;
/* `storage` (may be NULL): when it keeps challenges itself, they are kept there. */
struct authd_challenges *authd_challenges_new(size_t capacity, size_t per_counter, uint32_t ttl,
                                              struct authd_storage *storage);
void authd_challenges_free(struct authd_challenges *c);

enum authd_challenge_issue {
    AUTHD_CHALLENGE_ISSUED = 0,
    AUTHD_CHALLENGE_FULL = 1,  /* every slot holds a live, unanswered challenge */
    AUTHD_CHALLENGE_QUOTA = 2, /* this counter had per_counter challenges in the last ttl seconds */
    AUTHD_CHALLENGE_STORE_UNAVAILABLE = 3, /* the shared store cannot be reached */
};

/* A fresh challenge for `counter_id`. On QUOTA, *retry_after says in how many seconds the counter's
 * oldest challenge of the window expires. */
enum authd_challenge_issue authd_challenges_issue(struct authd_challenges *c, const char *counter_id,
                                                  int64_t now, certlib_challenge *out, uint32_t *retry_after);

enum authd_challenge_state {
    AUTHD_CHALLENGE_OK = 0,         /* taken: it cannot be used again */
    AUTHD_CHALLENGE_UNKNOWN = 1,    /* never issued here, or long gone */
    AUTHD_CHALLENGE_EXPIRED = 2,    /* issued, but older than the ttl */
    AUTHD_CHALLENGE_USED = 3,       /* already answered: a replay */
    AUTHD_CHALLENGE_NOT_YOURS = 4,  /* issued to another counter */
    AUTHD_CHALLENGE_UNREACHABLE = 5 /* the shared store cannot be reached: nothing is known */
};

/* Takes the challenge with this nonce for `counter_id`, once. Fills *out on OK (and on EXPIRED/USED,
 * so the caller can still verify and report). */
enum authd_challenge_state authd_challenges_take(struct authd_challenges *c,
                                                 const uint8_t nonce[CERTLIB_NONCE_LEN],
                                                 const char *counter_id, int64_t now, certlib_challenge *out);

#endif
