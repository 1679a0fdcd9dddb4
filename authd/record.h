/* A licence as it is stored, whatever the storage backend: a sealed record. Its cleartext header
 * (licence_meta.h) carries a keyed MAC over the licence id and the header, status included, so a status
 * patched at rest is detected; the licence CBOR is encrypted with the id and the header's fixed part as
 * associated data, so a record cannot be moved to another id or have its list place or type swapped.
 * The keys are derived from the data key and never leave protected memory. Backends store sealed
 * records as opaque bytes next to their signature-log index.
 *
 * Two cipher suites; a store uses the one chosen when it was created (its "cipher" setting):
 *   xchacha20-poly1305  version 3: MAC keyed BLAKE2b-128, XChaCha20-Poly1305; holder index keyed BLAKE2b
 *   sm4                 version 4: MAC HMAC-SM3 (16 bytes), SM4-CTR then HMAC-SM3 over the associated
 *                       data, IV and ciphertext (16 bytes; encrypt-then-MAC: OpenSSL 3.0 has no
 *                       SM4-GCM); holder index HMAC-SM3; keys derived from the data key with HMAC-SM3
 *
 *   [0] version  [1] status  [2,6) list number  [6,10) status index  [10,18) issue time
 *   [18,39) type code  [39,57) issuer code  [57,73) MAC  [73,97) nonce (sm4: [73,89) IV)
 *   then the ciphertext and the 16-byte tag
 */
#ifndef AUTHD_RECORD_H
#define AUTHD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "licence_meta.h"

struct authd_record_keys;

enum authd_cipher { AUTHD_CIPHER_XCHACHA20 = 1, AUTHD_CIPHER_SM4 = 2 };
/* "xchacha20-poly1305", "sm4" (store.cipher); authd_cipher_of gives -1 for any other name. */
const char *authd_cipher_name(enum authd_cipher cipher);
int authd_cipher_of(const char *name);

/* Reads the data key (64 hex digits) from `path` and derives the record keys into protected memory.
 * AUTHD_E_CONFIG with a message in err when the file is missing or malformed. */
authd_err authd_record_keys_load(const char *path, struct authd_record_keys **out, char *err, size_t err_cap);
/* The same from the data key itself (data_key.h unwraps a wrapped one); the caller wipes `master`. */
authd_err authd_record_keys_from_master(const uint8_t master[32], struct authd_record_keys **out, char *err,
                                        size_t err_cap);
void authd_record_keys_free(struct authd_record_keys *keys);
/* The suite the keys seal and open with: the store's (XChaCha20 until set). Set once the store is open,
 * before any other thread uses the keys. */
void authd_record_keys_use(struct authd_record_keys *keys, enum authd_cipher cipher);
enum authd_cipher authd_record_keys_cipher(const struct authd_record_keys *keys);

/* The holder-index key of a normalised holder id: BLAKE2b (sm4: HMAC-SM3) keyed with a subkey of the
 * data key, so the store holds no identity number in clear. */
void authd_record_holder_key(const struct authd_record_keys *keys, const char *holder_id, size_t len,
                             uint8_t out[AUTHD_HOLDER_KEY_LEN]);

/* The key of the status-list index permutation (list_permutation.h), a subkey of the data key: every
 * node of one store permutes alike, and no one without the data key can. The caller wipes it. */
void authd_record_list_key(const struct authd_record_keys *keys, uint8_t out[32]);

/* A 16-byte MAC of `msg` under a subkey of the data key (keyed BLAKE2b): the holder nonces any node of
 * one store can make and check (holder_nonce.h). */
void authd_record_nonce_mac(const struct authd_record_keys *keys, const uint8_t *msg, size_t len,
                            uint8_t out[16]);

/* The size of the sealed record of a licence of `licence_len` bytes. */
size_t authd_record_sealed_len(const struct authd_record_keys *keys, size_t licence_len);

/* Seals a licence into `out` (authd_record_sealed_len bytes). AUTHD_E_INTERNAL when OpenSSL fails the
 * sm4 suite. */
authd_err authd_record_seal(const struct authd_record_keys *keys, const char *id, size_t id_len,
                            const struct authd_licence_meta *meta, const uint8_t *licence, size_t licence_len,
                            uint8_t *out);

/* The header of a sealed record, once its MAC verified. AUTHD_E_CORRUPT when the record is not of this
 * format, was altered, or was sealed under another data key. */
authd_err authd_record_meta(const struct authd_record_keys *keys, const char *id, size_t id_len,
                            const uint8_t *record, size_t len, struct authd_licence_meta *meta);

/* The header and the licence (malloc'd; the caller wipes and frees it). AUTHD_E_CORRUPT as above,
 * AUTHD_E_NOMEM. */
authd_err authd_record_open(const struct authd_record_keys *keys, const char *id, size_t id_len,
                            const uint8_t *record, size_t len, struct authd_licence_meta *meta,
                            uint8_t **licence, size_t *licence_len);

/* The record with a new status (and a new MAC) into `out` (`len` bytes, as the record): the status
 * change a storage backend applies inside its transaction. *before receives the header as it was.
 * AUTHD_E_CONFLICT when the licence is revoked and `status` is not (revocation is final);
 * AUTHD_E_CORRUPT as above. */
authd_err authd_record_set_status(const struct authd_record_keys *keys, const char *id, size_t id_len,
                                  const uint8_t *record, size_t len, uint8_t status, uint8_t *out,
                                  struct authd_licence_meta *before);

/* Store schema 2 kept the signature-log index inside the record, under the associated data: such a
 * record is re-sealed into this format (*sealed malloc'd) with its log index returned apart.
 * AUTHD_E_CORRUPT when it is not a schema 2 record or does not decrypt. */
authd_err authd_record_upgrade_v2(const struct authd_record_keys *keys, const char *id, size_t id_len,
                                  const uint8_t *old, size_t old_len, uint8_t **sealed, size_t *sealed_len,
                                  uint64_t *log_index);

/* Sealed blobs: short-lived data the store keeps for the service, not licences (a presentation
 * request and its answer). The store's suite, under the licence-encryption key, with `ad` (which names
 * what the blob is, and for what key) as associated data: [suite version][nonce or IV][ciphertext][tag]. */
size_t authd_record_blob_len(const struct authd_record_keys *keys, size_t plain_len);
/* Seals `plain` into `out` (authd_record_blob_len bytes). AUTHD_E_INTERNAL when the sm4 suite fails. */
authd_err authd_record_seal_blob(const struct authd_record_keys *keys, const uint8_t *ad, size_t ad_len,
                                 const uint8_t *plain, size_t plain_len, uint8_t *out);
/* Opens a sealed blob into *plain (malloc'd, NUL-terminated after *plain_len bytes; the caller wipes and
 * frees it). AUTHD_E_CORRUPT when altered, sealed for other associated data or under another key. */
authd_err authd_record_open_blob(const struct authd_record_keys *keys, const uint8_t *ad, size_t ad_len,
                                 const uint8_t *blob, size_t len, uint8_t **plain, size_t *plain_len);

#endif
