/* Transparency logs: RFC 6962 / RFC 9162 Merkle trees, C2SP signed notes and checkpoints, C2SP
 * tlog-tiles paths and entry bundles, and C2SP tlog-proof receipts. Everything here verifies offline
 * from a log's public key; nothing needs the network.
 *
 *   leaf hash  SHA-256(0x00 || entry)
 *   node hash  SHA-256(0x01 || left || right)
 *
 * Trees are addressed by "stored hashes" as in C2SP tlog-tiles: the hash at (level L, index N) is
 * the root of the complete subtree over leaves [N * 2^L, (N + 1) * 2^L). A log that can produce those
 * hashes (from memory, a database or fetched tiles) gets roots and proofs for any size from the
 * functions below through a certlib_tlog_reader.
 */
#ifndef CERTLIB_TLOG_H
#define CERTLIB_TLOG_H

#include "error.h"
#include "signer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CERTLIB_TLOG_HASH_LEN 32
#define CERTLIB_TLOG_MAX_PROOF 64  /* hashes in any proof of a tree of fewer than 2^63 leaves */
#define CERTLIB_TLOG_TILE_HEIGHT 8 /* C2SP tlog-tiles: 256 hashes per full tile */
#define CERTLIB_TLOG_TILE_WIDTH 256
#define CERTLIB_TLOG_ENTRY_MAX 65535    /* entry bundles prefix each entry with a 16-bit length */
#define CERTLIB_NOTE_MAX_BYTES 65536    /* a signed note longer than this is refused */
#define CERTLIB_NOTE_MAX_SIGNATURES 100 /* C2SP asks verifiers to accept at least 16 */
#define CERTLIB_NOTE_NAME_MAX 256

typedef uint8_t certlib_tlog_hash[CERTLIB_TLOG_HASH_LEN];

/* --- Merkle hashing and proofs ------------------------------------------------------------------- */

CERTLIB_API void certlib_tlog_leaf_hash(const uint8_t *entry, size_t len, certlib_tlog_hash out);
CERTLIB_API void certlib_tlog_node_hash(const certlib_tlog_hash left, const certlib_tlog_hash right,
                                        certlib_tlog_hash out);

/**
 * Supplies the stored hash at (level, index). Returns CERTLIB_OK, or any error, which the caller
 * passes on (a database failure, a tile that could not be fetched).
 */
typedef certlib_err (*certlib_tlog_reader)(void *arg, unsigned level, uint64_t index, certlib_tlog_hash out);

/** A hash a log stores: the root of the complete subtree of 2^level leaves at `index` of its level
 *  (leaves are level 0). */
typedef struct certlib_tlog_stored_hash {
    unsigned level;
    uint64_t index;
    certlib_tlog_hash hash;
} certlib_tlog_stored_hash;
#define CERTLIB_TLOG_MAX_STORED 64 /* stored hashes of one append, for logs of fewer than 2^63 leaves */

/**
 * What a log stores when it appends leaf `index` (0-based: the log held `index` leaves) whose leaf hash
 * is `leaf`, as Go's tlog.StoredHashes: the leaf at level 0, then, for every complete subtree the leaf
 * completes, its root, hashing the left sibling `read` gives with the hash below. Writes *n (1 to
 * CERTLIB_TLOG_MAX_STORED) entries, lowest level first. A log that stores all of them serves any
 * tile, root or proof in O(log n) reads. Errors: those of `read`; CERTLIB_E_TLOG_INDEX past 2^63.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_tlog_stored_hashes(uint64_t index,
                                                                     const certlib_tlog_hash leaf,
                                                                     certlib_tlog_reader read, void *arg,
                                                                     certlib_tlog_stored_hash *out,
                                                                     size_t *n);

/** The root of the first `size` leaves; SHA-256("") for size 0. Reads at most 64 stored hashes. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_tlog_root(uint64_t size, certlib_tlog_reader read,
                                                            void *arg, certlib_tlog_hash out);

/** The RFC 6962 audit path of leaf `index` in the tree of `size` leaves, into proof[0..*n).
 *  CERTLIB_E_TLOG_INDEX unless index < size. */
CERTLIB_API CERTLIB_NODISCARD certlib_err
certlib_tlog_inclusion_proof(uint64_t index, uint64_t size, certlib_tlog_reader read, void *arg,
                             certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n);

/** The RFC 6962 consistency proof from size `old_size` to `size`. CERTLIB_E_TLOG_INDEX unless
 *  old_size <= size. Empty when old_size is 0 or equal to size. */
CERTLIB_API CERTLIB_NODISCARD certlib_err
certlib_tlog_consistency_proof(uint64_t old_size, uint64_t size, certlib_tlog_reader read, void *arg,
                               certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n);

/** RFC 9162 §2.1.3.2. CERTLIB_OK when `leaf` is leaf `index` of the tree with `root`;
 *  CERTLIB_E_TLOG_INDEX (index >= size), CERTLIB_E_PROOF_LENGTH (wrong number of hashes),
 *  CERTLIB_E_PROOF (the path leads to another root). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_tlog_verify_inclusion(uint64_t index, uint64_t size,
                                                                        const certlib_tlog_hash leaf,
                                                                        const certlib_tlog_hash *proof,
                                                                        size_t n,
                                                                        const certlib_tlog_hash root);

/** RFC 9162 §2.1.4.2: the tree with `root` at `size` extends the one with `old_root` at `old_size`.
 *  Every tree extends the empty one, whose root is SHA-256 of nothing: with `old_size` 0 the proof is
 *  empty and `old_root` must be that hash (CERTLIB_E_PROOF otherwise: a checkpoint claiming an empty
 *  tree with another root is not consistent with anything). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_tlog_verify_consistency(uint64_t old_size, uint64_t size,
                                                                          const certlib_tlog_hash *proof,
                                                                          size_t n,
                                                                          const certlib_tlog_hash old_root,
                                                                          const certlib_tlog_hash root);

/* --- C2SP signed notes (Ed25519) ----------------------------------------------------------------- */

/** A note verifier: a key name and an Ed25519 public key, with its 32-bit key id
 *  SHA-256(name || 0x0A || 0x01 || key)[0..4]. */
typedef struct certlib_note_verifier {
    char name[CERTLIB_NOTE_NAME_MAX];
    uint32_t key_id;
    uint8_t key[32];
} certlib_note_verifier;

/** Parses a verifier key "<name>+<8 hex key id>+<base64(0x01 || key)>" (C2SP signed-note).
 *  CERTLIB_E_KEY when malformed or when the key id does not match the key. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_note_verifier_parse(const char *text, size_t len,
                                                                      certlib_note_verifier *out);
/** A verifier for `name` and a raw Ed25519 public key. CERTLIB_E_KEY for an invalid name. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_note_verifier_from_key(const char *name,
                                                                         const uint8_t key[32],
                                                                         certlib_note_verifier *out);
/** Writes the verifier key text (NUL-terminated). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_note_verifier_format(const certlib_note_verifier *v,
                                                                       char *out, size_t cap);

/**
 * Signs `text` (which must be a valid note text: non-empty UTF-8 lines without control characters,
 * ending in a newline) with the Ed25519 secret key `sk` (libsodium's 64-byte form) under `name`.
 * Writes the whole note, NUL-terminated, into out (*out_len excludes the NUL).
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_note_sign(const char *text, size_t text_len,
                                                            const char *name, const uint8_t sk[64], char *out,
                                                            size_t cap, size_t *out_len);

/**
 * The same with an Ed25519 key kept outside certlib (a PKCS#11 token): `pk` is its public key, `sign`
 * signs the text with it (signer.h's certlib_sign_fn; CERTLIB_E_SIGNER_UNAVAILABLE passes through).
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_note_sign_with(const char *text, size_t text_len,
                                                                 const char *name, const uint8_t pk[32],
                                                                 certlib_sign_fn sign, void *ctx, char *out,
                                                                 size_t cap, size_t *out_len);

/**
 * Opens a signed note: checks its syntax, then its signatures against `verifiers`. Signature lines
 * under unknown keys are ignored (up to CERTLIB_NOTE_MAX_SIGNATURES lines); a signature by a known
 * key that does not verify rejects the note; so does a note no known key signed.
 * On success *text_len is the length of the signed text (which starts at note[0]) and *verified is
 * how many of `verifiers` signed.
 * Errors: CERTLIB_E_NOTE (syntax), CERTLIB_E_NOTE_SIGNATURE (a known key's signature fails, or no
 * known key signed).
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_note_open(const char *note, size_t len,
                                                            const certlib_note_verifier *verifiers,
                                                            size_t n_verifiers, size_t *text_len,
                                                            size_t *verified);

/* --- C2SP tlog-checkpoint ----------------------------------------------------------------------- */

#define CERTLIB_CHECKPOINT_ORIGIN_MAX 256

typedef struct certlib_checkpoint {
    char origin[CERTLIB_CHECKPOINT_ORIGIN_MAX];
    uint64_t size;
    certlib_tlog_hash root;
} certlib_checkpoint;

/** Formats the checkpoint text "<origin>\n<size>\n<base64 root>\n" (NUL-terminated). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_checkpoint_format(const certlib_checkpoint *cp, char *out,
                                                                    size_t cap, size_t *out_len);
/** Parses checkpoint text (the signed text of a note; extension lines are allowed and ignored).
 *  CERTLIB_E_CHECKPOINT when malformed (leading zeros, a bad hash, fewer than three lines). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_checkpoint_parse(const char *text, size_t len,
                                                                   certlib_checkpoint *out);
/** Opens a signed checkpoint with one log verifier: the note must verify under `log` and its origin
 *  must be the log's key name. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_checkpoint_open(const char *note, size_t len,
                                                                  const certlib_note_verifier *log,
                                                                  certlib_checkpoint *out);

/* --- C2SP tlog-tiles ----------------------------------------------------------------------------- */

/** A tile: level L, index N, width W (1..256; 256 is a full tile). level -1 is the entry bundle. */
typedef struct certlib_tile {
    int level;
    uint64_t index;
    unsigned width;
} certlib_tile;

/** Formats "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]" with N as x001/x234/067. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_tile_path(const certlib_tile *t, char *out, size_t cap);
/** Parses such a path (without a leading slash). CERTLIB_E_TILE for anything else, including
 *  non-canonical numbers and .p/256. Level is limited to 0..63. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_tile_parse_path(const char *path, size_t len,
                                                                  certlib_tile *out);

/** The tile at `level` that holds stored hash `index` of tree level level*8 (for level -1: entry
 *  `index`) in a tree of `size` leaves, its width clipped to what that tree has. */
CERTLIB_API certlib_tile certlib_tile_for(int level, uint64_t index, uint64_t size);

/**
 * Splits an entry bundle: calls fn for each length-prefixed entry, in order. Returns
 * CERTLIB_E_TILE when the bundle is truncated or holds a number of entries other than `expect`.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_entry_bundle_each(
    const uint8_t *bundle, size_t len, unsigned expect,
    certlib_err (*fn)(void *arg, uint64_t i, const uint8_t *entry, size_t entry_len), void *arg);

/* --- C2SP tlog-witness and tlog-cosignature (cosignature/v1, Ed25519) ---------------------------- */

#define CERTLIB_WITNESS_MAX_PROOF 63 /* consistency proof lines a request may carry */
#define CERTLIB_WITNESS_REQUEST_MAX (CERTLIB_NOTE_MAX_BYTES + 4096)

/** A tlog-witness add-checkpoint request body: "old <size>\n", up to 63 base64 hash lines, an empty
 *  line, then the signed checkpoint, which starts at body[*note_at]. CERTLIB_E_WITNESS_REQUEST when
 *  malformed (a size with leading zeros, a hash that is not 32 bytes, more than 63 lines, no empty
 *  line). The checkpoint itself is not looked at. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_witness_request_parse(
    const char *body, size_t len, uint64_t *old_size, certlib_tlog_hash proof[CERTLIB_WITNESS_MAX_PROOF],
    size_t *n_proof, size_t *note_at);

/** Writes an add-checkpoint request body (NUL-terminated): "old <size>", the proof's base64 lines, an
 *  empty line, and the signed checkpoint `note`. CERTLIB_E_BUFFER_TOO_SMALL when it does not fit. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_witness_request_format(uint64_t old_size,
                                                                         const certlib_tlog_hash *proof,
                                                                         size_t n_proof, const char *note,
                                                                         size_t note_len, char *out,
                                                                         size_t cap, size_t *out_len);

/** A cosigner's key id, SHA-256(name || 0x0A || 0x04 || key)[0..4] (C2SP tlog-cosignature, Ed25519). */
CERTLIB_API uint32_t certlib_cosigner_key_id(const char *name, const uint8_t key[32]);
/** A cosigner for `name` and a raw Ed25519 public key (key id over type 0x04). CERTLIB_E_KEY for an
 *  invalid name. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_cosigner_from_key(const char *name, const uint8_t key[32],
                                                                    certlib_note_verifier *out);
/** Writes a cosigner's verifier key, "<name>+<key id>+<base64(0x04 || key)>" (NUL-terminated). */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_cosigner_format(const certlib_note_verifier *v, char *out,
                                                                  size_t cap);

/** A cosignature/v1 signature line over checkpoint text `text` (its note body, ending in a newline, no
 *  signature lines) by cosigner `name` with the Ed25519 secret key `sk` (libsodium's 64-byte form) at
 *  POSIX time `timestamp`: "— <name> base64(key id || timestamp || signature)\n", NUL-terminated. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_cosign(const char *text, size_t text_len, const char *name,
                                                         const uint8_t sk[64], uint64_t timestamp, char *out,
                                                         size_t cap, size_t *out_len);

/** Parses a cosigner's verifier key, "<name>+<8 hex key id>+<base64(0x04 || Ed25519 key)>", into a
 *  certlib_note_verifier whose key_id is the cosignature/v1 one. CERTLIB_E_KEY when malformed or when
 *  the key id does not match. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_cosigner_parse(const char *text, size_t len,
                                                                 certlib_note_verifier *out);

/**
 * Checks the cosignature/v1 lines of a signed checkpoint against `cosigners` (certlib_cosigner_parse):
 * *valid is how many distinct cosigners signed it. Lines of other keys (the log's own, unknown
 * witnesses) are ignored; a line under a known cosigner's name and key id that does not verify
 * refuses the checkpoint with CERTLIB_E_NOTE_SIGNATURE (a forged cosignature), as a known key's bad
 * signature refuses a note. CERTLIB_E_NOTE when the note is malformed. The log's own signature is not
 * checked here (certlib_checkpoint_open does that). At most 64 cosigners (CERTLIB_E_INVALID_ARGUMENT).
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_cosignatures_verify(const char *note, size_t len,
                                                                      const certlib_note_verifier *cosigners,
                                                                      size_t n_cosigners, size_t *valid);

/* --- C2SP tlog-proof ----------------------------------------------------------------------------- */

#define CERTLIB_TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1"

typedef struct certlib_tlog_proof {
    uint64_t index;
    certlib_tlog_hash path[CERTLIB_TLOG_MAX_PROOF];
    size_t path_len;
    const char *checkpoint; /* points into the parsed text */
    size_t checkpoint_len;
    uint8_t extra[1024]; /* the log entry itself, when the log sends it along (C2SP tlog-proof extra data) */
    size_t extra_len;
} certlib_tlog_proof;

/** Writes a tlog-proof (NUL-terminated) from the parts. `extra` may be NULL. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_tlog_proof_format(
    uint64_t index, const certlib_tlog_hash *path, size_t path_len, const uint8_t *extra, size_t extra_len,
    const char *checkpoint, size_t checkpoint_len, char *out, size_t cap, size_t *out_len);
/** Parses a tlog-proof. CERTLIB_E_TLOG_PROOF when malformed. */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_tlog_proof_parse(const char *text, size_t len,
                                                                   certlib_tlog_proof *out);
/**
 * Verifies a tlog-proof offline: its checkpoint verifies under `log`, and `entry` is leaf
 * `index` of that checkpoint's tree. On success fills *cp (may be NULL) and *index.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_tlog_proof_verify(const char *text, size_t len,
                                                                    const certlib_note_verifier *log,
                                                                    const uint8_t *entry, size_t entry_len,
                                                                    certlib_checkpoint *cp, uint64_t *index);

#ifdef __cplusplus
}
#endif
#endif
