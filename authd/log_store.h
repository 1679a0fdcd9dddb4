/* One append-only Merkle log (the signature log or the access log) inside the store's LMDB
 * environment:
 *   log.<name>.entries  index (8 bytes, big-endian) -> entry text
 *   log.<name>.hashes   level (1 byte) || index (8 bytes, big-endian) -> the 32-byte stored hash of the
 *                       complete subtree at that place; every level is kept, so a C2SP tile is one
 *                       contiguous key range and any proof is O(log n) reads.
 * Entries are appended by the writer thread inside the transaction of the change they record. Once
 * that transaction is durable the writer publishes: it signs a checkpoint of the new size with the
 * log's Ed25519 key. Only durable trees are ever signed, and a durable tree only grows, so no two
 * checkpoints this log signs are inconsistent, across crashes and restarts too (at start-up the
 * checkpoint is signed afresh over what is on disk; Ed25519 is deterministic, so a size signed before
 * gets the same checkpoint again). */
#ifndef AUTHD_LOG_STORE_H
#define AUTHD_LOG_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "certlib/tlog.h"

#define AUTHD_CHECKPOINT_MAX 1024

struct authd_log;

/* Opens (creating) the log's databases in `txn` and reads its size. `key_file` is a PEM PKCS#8
 * Ed25519 private key; `origin` the log's name in its checkpoints and its note key name. */
int authd_log_open(struct authd_log **out, MDB_env *env, MDB_txn *txn, const char *name, const char *origin,
                   const char *key_file, char *err, size_t err_cap);
void authd_log_close(struct authd_log *log);

/* Writer thread, inside its write transaction: appends one entry; *index is its place. Returns an
 * LMDB error code (MDB_SUCCESS). */
int authd_log_append(struct authd_log *log, MDB_txn *txn, const uint8_t *entry, size_t len, uint64_t *index);
/* Writer thread: the index the next appended entry will get. */
uint64_t authd_log_next_index(const struct authd_log *log);
/* Writer thread: the transaction was aborted; forget what was appended in it. */
void authd_log_rollback(struct authd_log *log);
/* Writer thread: the transaction is durable; sign and publish a checkpoint of the new size. Also
 * called once at start-up. Returns 0, or -1 (then the previous checkpoint stays published). */
int authd_log_publish(struct authd_log *log);

/* Any thread. The latest published checkpoint (a signed note) and its size. */
size_t authd_log_checkpoint(struct authd_log *log, char out[AUTHD_CHECKPOINT_MAX], uint64_t *size);
const char *authd_log_origin(const struct authd_log *log);
/* The verifier key text of the log ("<origin>+<id>+<key>"). */
const char *authd_log_vkey(const struct authd_log *log);

enum { AUTHD_LOG_OK = 0, AUTHD_LOG_NOT_FOUND = 1, AUTHD_LOG_ERROR = -1 };

/* A tile (hash tile or entry bundle) of the published tree, malloc'd into *out. NOT_FOUND when the
 * published tree does not have it at that width. */
int authd_log_tile(struct authd_log *log, const certlib_tile *tile, uint8_t **out, size_t *len);
/* Calls fn for every entry of the durable tree in order, in one read transaction (start-up checks);
 * stops at fn's first non-zero return, which it returns. AUTHD_LOG_ERROR when the log cannot be read. */
int authd_log_each(struct authd_log *log,
                   int (*fn)(uint64_t index, const uint8_t *entry, size_t len, void *arg), void *arg);
/* One entry (malloc'd). */
int authd_log_entry(struct authd_log *log, uint64_t index, uint8_t **out, size_t *len);
/* Proofs against the tree of `size` leaves (<= the published size). */
int authd_log_inclusion(struct authd_log *log, uint64_t index, uint64_t size,
                        certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n);
int authd_log_consistency(struct authd_log *log, uint64_t old_size, uint64_t size,
                          certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n);
/* A C2SP tlog-proof that entry `index` is in the published tree, with the entry as its extra data.
 * malloc'd, NUL-terminated. */
int authd_log_receipt(struct authd_log *log, uint64_t index, char **out, size_t *len);

#endif
