/* The disclosure marks of one commit, signed together (certlib/mark.h's batched marks): an Ed25519
 * signature took a quarter to a third of a lookup's CPU when every answer's mark had one of its own
 * (bench/authd, 2026-12-02), and one a batch costs a few microseconds an answer. The writer makes a
 * batch after each commit, from the leaves of its marks (writer.h); each answer then takes its mark from
 * it on its own thread and lets go of the batch. */
#ifndef AUTHD_MARK_BATCH_H
#define AUTHD_MARK_BATCH_H

#include <stddef.h>

#include "certlib/tlog.h"
#include "errors.h"

struct authd_log;
struct authd_mark_batch;

/* Builds the tree over `n` leaves (each certlib_tlog_leaf_hash of a mark's text, in the batch's order)
 * and signs its note with the log's key. The batch is held `n` times, once for each mark; NULL when it
 * cannot be made (out of memory, the key failing), and the marks are then signed alone. */
struct authd_mark_batch *authd_mark_batch_sign(struct authd_log *log, const certlib_tlog_hash *leaves,
                                               size_t n);

/* The batched mark of leaf `position`, whose text is `text` (NUL-terminated into `out`). AUTHD_E_FULL
 * when it does not fit. */
authd_err authd_mark_batch_mark(const struct authd_mark_batch *b, size_t position, const char *text,
                                size_t len, char *out, size_t cap, size_t *out_len);

/* Lets go of one hold of the batch; the last frees it. Any thread. */
void authd_mark_batch_release(struct authd_mark_batch *b);

#endif
