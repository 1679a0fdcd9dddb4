/* Fairness within a worker's loop. h2o runs a stream's next step as soon as its last write went out, in
 * the same turn of the loop: on loopback, or with any client that reads quickly, a 10,000-number batch
 * rendered its whole 2.4 MB answer in one turn (15 ms) while the worker's other connections waited.
 * Work that comes in slices asks whether the turn has had its share, and if so goes on from a timer,
 * in a later turn, after the loop has served what else is ready. Loop thread only. */
#ifndef AUTHD_TURNS_H
#define AUTHD_TURNS_H

#include <h2o.h>
#include <stdbool.h>

/* Slices of work (a slice: about 0.1 ms) one turn of a worker's loop does before the rest waits a turn. */
#define AUTHD_TURN_SLICES 16

/* Counts `slices` against the current turn of ctx's loop; true when the turn had its share already,
 * the work not done: the caller then continues through authd_turn_later. */
bool authd_turn_spent(h2o_context_t *ctx, unsigned slices);

/* Runs entry->cb in a later turn (a 1 ms timer: h2o runs an expired zero-delay timer within the same
 * turn). The caller unlinks the entry (h2o_timeout_unlink) if its work is abandoned first. */
void authd_turn_later(h2o_context_t *ctx, h2o_timeout_entry_t *entry);

#endif
