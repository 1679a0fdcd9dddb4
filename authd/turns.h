/* Fairness within a worker's loop. h2o runs a stream's next step as soon as its last write went out, in
 * the same turn of the loop: on loopback, or with any client that reads quickly, a 10,000-number batch
 * rendered its whole 2.4 MB answer in one turn (15 ms) while the worker's other connections waited.
 * Work that comes in slices asks whether the turn has had its share, and if so goes on in the next turn,
 * after the loop has polled its connections and served what was ready (with no wait when nothing was).
 * Loop thread only. */
#ifndef AUTHD_TURNS_H
#define AUTHD_TURNS_H

#include <h2o.h>
#include <stdbool.h>

/* Slices of work (a slice: about 0.1 ms) one turn of a worker's loop does before the rest waits a turn. */
#define AUTHD_TURN_SLICES 16

/* Work put off to the next turn. */
struct authd_turn_later {
    h2o_linklist_t link;
    void (*cb)(struct authd_turn_later *later);
};

/* Counts `slices` against the current turn of ctx's loop; true when the turn had its share already,
 * the work not done: the caller then continues through authd_turn_later. */
bool authd_turn_spent(h2o_context_t *ctx, unsigned slices);

/* later->cb runs in the next turn of ctx's loop, after its I/O. */
void authd_turn_later(h2o_context_t *ctx, struct authd_turn_later *later);

/* Forgets `later` if it is waiting (its work was abandoned: the request went away). */
void authd_turn_cancel(struct authd_turn_later *later);

#endif
