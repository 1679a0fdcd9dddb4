/* Licences as authd reads them back: a record from the storage, its header authenticated and, when
 * asked, its licence decrypted (record.h). Any thread. */
#ifndef AUTHD_LICENCES_H
#define AUTHD_LICENCES_H

#include "certlib/licence_id.h"
#include "record.h"
#include "storage/storage.h"

/* The licence's header and signature-log index, and with `licence` not NULL the licence itself
 * (malloc'd; the caller wipes and frees it: personal data). AUTHD_E_NOT_FOUND, AUTHD_E_CORRUPT (a
 * record altered at rest, or sealed under another data key), AUTHD_E_IO, AUTHD_E_NOMEM. */
authd_err authd_licence_get(struct authd_storage *storage, const struct authd_record_keys *keys,
                            const char *id, size_t id_len, struct authd_licence_meta *meta,
                            uint64_t *log_index, uint8_t **licence, size_t *licence_len);

/* One of a holder's licences, as authd_licence_each_of_holder hands it over. */
struct authd_holder_licence {
    const char *id;
    size_t id_len;
    struct authd_licence_meta meta; /* authenticated */
    const uint8_t *record;          /* the sealed record, valid during the call: authd_record_open */
    size_t record_len;
    uint64_t log_index; /* its issuance's index in the signature log; UINT64_MAX when none */
};

/* A holder's licences, in id order, all from one snapshot of the store. fn returns AUTHD_OK to go on,
 * or the error to stop with. A record whose header fails its MAC is left out (start-up checks every
 * header; one altered since reads as absent rather than failing the holder's other licences). */
authd_err authd_licence_each_of_holder(struct authd_storage *storage, const struct authd_record_keys *keys,
                                       const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                       int (*fn)(void *arg, const struct authd_holder_licence *licence),
                                       void *arg);

/* The same for `n` holders at once, on a store that reads them so (storage.h: holders_records, not NULL):
 * `which` says whose licence it is, results[which] how that holder's read ended; the return, how the
 * read as a whole did. */
authd_err authd_licence_each_of_holders(struct authd_storage *storage, const struct authd_record_keys *keys,
                                        const uint8_t (*holder_keys)[AUTHD_HOLDER_KEY_LEN], size_t n,
                                        int (*fn)(void *arg, size_t which,
                                                  const struct authd_holder_licence *licence),
                                        void *arg, authd_err *results);

/* Every licence's authenticated header (start-up rebuilds and checks). fn returns AUTHD_OK to go on,
 * or the error to stop with. AUTHD_E_CORRUPT when a header fails its MAC. */
authd_err authd_licence_each(struct authd_storage *storage, const struct authd_record_keys *keys,
                             int (*fn)(void *arg, const char *id, size_t id_len,
                                       const struct authd_licence_meta *meta, uint64_t log_index),
                             void *arg);

#endif
