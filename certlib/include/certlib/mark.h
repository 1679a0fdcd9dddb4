/* Disclosure marks (数据水印溯源): a service that records every access signs, over each answer it
 * releases, a mark naming the access-log entry that recorded it and the exact bytes it released, so a
 * copy found elsewhere can be traced to the counter, matter and use cause it was given for.
 *
 * A mark is a C2SP signed note under the access log's key (its key name is the log's origin):
 *
 *   <origin>
 *   disclosure/v1 <index> <entry hash>
 *   <lookup|verify> <time> <client> <matter> <use cause>
 *   <licence hash>                 one line per disclosed licence, in the answer's order
 *
 *   index         the access-log index of the entry that recorded the answer
 *   entry hash    base64url (no padding) of that entry's leaf hash, SHA-256(0x00 || entry)
 *   time, client, matter, use cause: the entry's (logentry.h: "-" when none, the use cause
 *                 percent-encoded)
 *   licence hash  base64url of SHA-256 over a licence's bytes as released: the reduced CBOR of a lookup,
 *                 the licence or presentation a counter had verified
 *
 * The entry itself (access/v2) ends with the disclosure digest, SHA-256 over the licence hashes
 * concatenated in order, so the log, not only the mark, binds what was released. A checkpoint's second
 * line is a tree size, a mark's "disclosure/v1 ...": no text is both, so one key signs both safely.
 *
 * A mark's reference, for a paper copy's QR code, is "ELM1:<index>:<entry hash>": with the access log
 * it finds the entry, and the entry hash proves it is the one the mark named.
 *
 * Batched marks. Signing each answer's mark cost a quarter to a third of a lookup's CPU (Ed25519, about
 * 30 us a signature), so a service may sign the marks of one commit together: an RFC 6962 Merkle tree
 * over the marks' texts (each leaf SHA-256(0x00 || text)), and one note over its root:
 *
 *   <origin>
 *   disclosure-batch/v1 <size> <root>      the batch's number of marks, base64url of the tree's root
 *
 * Each answer then carries its own mark's text, its place in the batch and audit path, and that note:
 *
 *   <mark text, as above>
 *                                          an empty line
 *   batch <position>                       the mark's leaf index in the batch's tree
 *   <hash>                                 base64url of each hash of the audit path, leaf to root
 *                                          an empty line
 *   <the signed batch note>
 *
 * It proves what a mark signed alone proves: the access log's key signed a root that only this text,
 * among others, hashes to. The other leaves say nothing of other answers (their texts are hashed whole,
 * and each names licence hashes only the answers' holders know). A batch note's second line is neither
 * a tree size nor "disclosure/v1 ...", so the key signs no text that is two of these things at once.
 */
#ifndef CERTLIB_MARK_H
#define CERTLIB_MARK_H

#include <stdbool.h>

#include "logentry.h"
#include "tlog.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_MARK_MAX_LICENCES 256 /* as many as a lookup returns */
#define CERTLIB_MARK_FIELD_MAX 128    /* a client id or matter code */
#define CERTLIB_MARK_MAX 16384        /* bytes of a signed mark */
#define CERTLIB_MARK_REFERENCE_MAX 72 /* "ELM1:" + 20 digits + ":" + 43 + NUL */

typedef struct certlib_mark {
    char origin[CERTLIB_CHECKPOINT_ORIGIN_MAX];
    uint64_t index;
    certlib_tlog_hash entry_hash;
    certlib_log_kind kind; /* CERTLIB_LOG_LOOKUP or CERTLIB_LOG_VERIFY */
    int64_t time;
    char client[CERTLIB_MARK_FIELD_MAX];
    char matter[CERTLIB_MARK_FIELD_MAX];   /* "" when none */
    char use_cause[CERTLIB_LOG_FIELD_MAX]; /* "" when none */
    size_t n_licences;
    uint8_t licences[CERTLIB_MARK_MAX_LICENCES][32];
} certlib_mark;

/** Writes the mark's text, to be signed as a note (NUL-terminated). CERTLIB_E_MARK when a field cannot
 *  be written (a client or matter with spaces or control characters, a use cause that is not UTF-8),
 *  CERTLIB_E_BUFFER_TOO_SMALL when it does not fit. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_mark_format(const certlib_mark *m, char *out, size_t cap,
                                                              size_t *out_len);

/** Opens a signed mark, signed alone or in a batch: its signature (alone, or its batch note's, and then
 *  its audit path to that note's root) verifies under `log` (the access log's verifier), its origin is
 *  the log's key name, and its text is of the form above. CERTLIB_E_NOTE / CERTLIB_E_NOTE_SIGNATURE as
 *  certlib_note_open (CERTLIB_E_NOTE_SIGNATURE too for a batched mark whose path does not lead to the
 *  signed root), CERTLIB_E_LOG_ORIGIN, CERTLIB_E_MARK for anything else malformed. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_mark_open(const char *note, size_t len,
                                                            const certlib_note_verifier *log,
                                                            certlib_mark *out);

/** The text of a batch note over `size` marks whose tree has `root`, to be signed as a note with the
 *  access log's key (NUL-terminated). CERTLIB_E_MARK for an origin with a newline or no batch (size 0),
 *  CERTLIB_E_BUFFER_TOO_SMALL when it does not fit. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_mark_batch_format(const char *origin, uint64_t size,
                                                                    const certlib_tlog_hash root, char *out,
                                                                    size_t cap, size_t *out_len);

/** A batched mark (NUL-terminated): a mark's text (certlib_mark_format's), its `position` in the
 *  batch, its audit path there (certlib_tlog_inclusion_proof of leaf certlib_tlog_leaf_hash(text)), and
 *  the signed batch note. CERTLIB_E_MARK for text that is not one line after another, or a note that
 *  does not end its last line; CERTLIB_E_BUFFER_TOO_SMALL when it does not fit. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_mark_batched(const char *text, size_t text_len,
                                                               uint64_t position,
                                                               const certlib_tlog_hash *path, size_t n_path,
                                                               const char *batch_note, size_t note_len,
                                                               char *out, size_t cap, size_t *out_len);

/** The disclosure digest of `n` licence hashes: SHA-256 over them concatenated (SHA-256 of nothing when
 *  n is 0). */
CERTLIB_API void certlib_mark_digest(const uint8_t (*licences)[32], size_t n, uint8_t out[32]);

/** CERTLIB_OK when `entry` is the access-log entry the mark names: its leaf hash is the mark's entry
 *  hash, it is an access/v2 entry of the mark's kind, time, client, matter and use cause, and its
 *  disclosure digest is that of the mark's licences; CERTLIB_E_MARK_ENTRY otherwise. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_mark_check_entry(const certlib_mark *m,
                                                                   const uint8_t *entry, size_t len);

/** The hash a mark names a licence by: SHA-256 over its bytes as released. */
CERTLIB_API void certlib_mark_licence_hash(const uint8_t *licence, size_t len, uint8_t out[32]);

/** True when SHA-256 of `licence` is one of the mark's licence hashes. */
CERTLIB_API bool certlib_mark_names(const certlib_mark *m, const uint8_t *licence, size_t len);

/** The mark's reference "ELM1:<index>:<entry hash>" (NUL-terminated). */
CERTLIB_API void certlib_mark_reference(const certlib_mark *m, char out[CERTLIB_MARK_REFERENCE_MAX]);
/** Parses a reference. CERTLIB_E_MARK when malformed (leading zeros, a bad hash, trailing bytes). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_mark_reference_parse(const char *text, size_t len,
                                                                       uint64_t *index,
                                                                       certlib_tlog_hash entry_hash);

#ifdef __cplusplus
}
#endif
#endif
