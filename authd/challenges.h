/* Outstanding holder-binding challenges (certlib present.h): made for one counter, alive for `ttl`
 * seconds, answered once. In memory: a challenge that a restart forgets is simply answered again by a
 * fresh one, and nothing durable may depend on it. Thread-safe. */
#ifndef AUTHD_CHALLENGES_H
#define AUTHD_CHALLENGES_H

#include <stdint.h>

#include "certlib/present.h"

struct authd_challenges;

/* At most `capacity` outstanding challenges. */
struct authd_challenges *authd_challenges_new(size_t capacity, uint32_t ttl);
void authd_challenges_free(struct authd_challenges *c);

/* A fresh challenge for `counter_id`. -1 when full (every slot holds a live, unanswered challenge). */
int authd_challenges_issue(struct authd_challenges *c, const char *counter_id, int64_t now,
                           certlib_challenge *out);

enum authd_challenge_state {
    AUTHD_CHALLENGE_OK = 0,       /* taken: it cannot be used again */
    AUTHD_CHALLENGE_UNKNOWN = 1,  /* never issued here, or long gone */
    AUTHD_CHALLENGE_EXPIRED = 2,  /* issued, but older than the ttl */
    AUTHD_CHALLENGE_USED = 3,     /* already answered: a replay */
    AUTHD_CHALLENGE_NOT_YOURS = 4 /* issued to another counter */
};

/* Takes the challenge with this nonce for `counter_id`, once. Fills *out on OK (and on EXPIRED/USED,
 * so the caller can still verify and report). */
enum authd_challenge_state authd_challenges_take(struct authd_challenges *c,
                                                 const uint8_t nonce[CERTLIB_NONCE_LEN],
                                                 const char *counter_id, int64_t now, certlib_challenge *out);

#endif
