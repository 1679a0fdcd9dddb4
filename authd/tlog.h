/* One append-only Merkle log (the signature log or the access log) over the storage interface. The
 * storage appends entries and their stored hashes in the transaction of the change each records; this
 * module signs checkpoints of the durable tree with the log's Ed25519 key and serves tiles, entries,
 * proofs and receipts. Only durable trees are ever signed, and a durable tree only grows, so no two
 * checkpoints this log signs are inconsistent, across crashes and restarts too (at start-up the
 * checkpoint is signed afresh over what is durable; Ed25519 is deterministic, so a size signed before
 * gets the same checkpoint again). */
#ifndef AUTHD_TLOG_H
#define AUTHD_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certlib/mark.h"
#include "certlib/tlog.h"
#include "storage/storage.h"

#define AUTHD_CHECKPOINT_MAX 2048 /* a checkpoint with its own signature and up to 8 cosignatures */

struct authd_log;

/* Opens log `id` of the storage: `key_file` is a PEM PKCS#8 Ed25519 private key, `origin` the log's
 * name in its checkpoints and its note key name. Signs and publishes a checkpoint of the durable tree.
 * AUTHD_E_CONFIG with a message for a bad key or origin. */
authd_err authd_log_open(struct authd_storage *storage, enum authd_log_id id, const char *origin,
                         const char *key_file, struct authd_log **out, char *err, size_t err_cap);
/* Saves the published checkpoint now, once, and thereafter at most every second and at close (to the state
 * file of log_state.h), having been checked against it. */
void authd_log_keep_state(struct authd_log *log, const char *path);
void authd_log_close(struct authd_log *log);

/* After a commit (the writer thread), or when other nodes of a shared store grew the log (peers.c):
 * signs and publishes a checkpoint of the durable tree if it grew. On failure the previous checkpoint
 * stays published and the next call tries again. Any thread. */
authd_err authd_log_publish(struct authd_log *log);
/* The writer thread's, right after a commit: the same for the tree that commit left, taken from what the
 * store remembers of it when it can (storage.h's committed_border) instead of read back. */
authd_err authd_log_publish_committed(struct authd_log *log);

/* Any thread. The latest published checkpoint as served: with the witnesses' cosignatures when they
 * cosigned this very checkpoint (authd_log_set_witnessed), plain otherwise. */
size_t authd_log_checkpoint_served(struct authd_log *log, char out[AUTHD_CHECKPOINT_MAX], uint64_t *size);
/* The witnessing thread's: `note` (the checkpoint of `size` with its cosignatures appended) counts as
 * witnessed from `now` (Unix seconds). */
void authd_log_set_witnessed(struct authd_log *log, const char *note, size_t len, uint64_t size, int64_t now);
/* The newest witnessed checkpoint's size and when it was witnessed; false when none yet. */
bool authd_log_witnessed(struct authd_log *log, uint64_t *size, int64_t *at);

/* Any thread. The latest published checkpoint (a signed note) and its size. */
size_t authd_log_checkpoint(struct authd_log *log, char out[AUTHD_CHECKPOINT_MAX], uint64_t *size);
const char *authd_log_origin(const struct authd_log *log);
/* The verifier key text of the log ("<origin>+<id>+<key>"). */
const char *authd_log_vkey(const struct authd_log *log);
/* The same, parsed: for certlib's checks of this log's receipts. */
const certlib_note_verifier *authd_log_verifier(const struct authd_log *log);

/* Any thread. Signs a disclosure mark (certlib/mark.h) over an entry of this log: sets m->origin to the
 * log's, formats the mark and signs it with the log's key, into `out` (NUL-terminated). AUTHD_E_INTERNAL
 * when a field cannot be written (authd validated them all), AUTHD_E_FULL when it does not fit. */
authd_err authd_log_sign_mark(struct authd_log *log, certlib_mark *m, char *out, size_t cap, size_t *len);
/* Any thread. The text of a mark over an entry of this log, to be signed in a batch: sets m->origin and
 * formats the mark, as authd_log_sign_mark does before it signs. */
authd_err authd_log_mark_text(struct authd_log *log, certlib_mark *m, char *out, size_t cap, size_t *len);
/* Any thread. Signs the note of a batch of `size` marks whose tree has `root` (certlib/mark.h's batched
 * marks) with the log's key, into `out`. */
authd_err authd_log_sign_mark_batch(struct authd_log *log, uint64_t size, const certlib_tlog_hash root,
                                    char *out, size_t cap, size_t *len);

/* A tile (hash tile or entry bundle) of the published tree, malloc'd into *out. AUTHD_E_NOT_FOUND
 * when the published tree does not have it at that width. */
authd_err authd_log_tile(struct authd_log *log, const certlib_tile *tile, uint8_t **out, size_t *len);
/* One entry of the published tree (malloc'd). */
authd_err authd_log_entry(struct authd_log *log, uint64_t index, uint8_t **out, size_t *len);
/* Every durable entry, in order (start-up checks), until fn returns non-zero. */
authd_err authd_log_each(struct authd_log *log,
                         int (*fn)(void *arg, uint64_t index, const uint8_t *entry, size_t len), void *arg);
/* Proofs against the tree of `size` leaves (<= the published size). */
authd_err authd_log_inclusion(struct authd_log *log, uint64_t index, uint64_t size,
                              certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n);
authd_err authd_log_consistency(struct authd_log *log, uint64_t old_size, uint64_t size,
                                certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n);
/* A C2SP tlog-proof that entry `index` is in the published tree, with the entry as its extra data:
 * against the newest witnessed checkpoint (with its cosignatures) when that one holds the entry, the
 * latest published one otherwise. malloc'd, NUL-terminated. */
authd_err authd_log_receipt(struct authd_log *log, uint64_t index, char **out, size_t *len);

#endif
