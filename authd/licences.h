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

/* The ids of a holder's licences, at most `max` (the rest are left out; *n tells how many came). */
authd_err authd_licence_holder_ids(struct authd_storage *storage, const uint8_t key[AUTHD_HOLDER_KEY_LEN],
                                   char (*ids)[CERTLIB_LICENCE_ID_MAX], size_t max, size_t *n);

/* Every licence's authenticated header (start-up rebuilds and checks). fn returns AUTHD_OK to go on,
 * or the error to stop with. AUTHD_E_CORRUPT when a header fails its MAC. */
authd_err authd_licence_each(struct authd_storage *storage, const struct authd_record_keys *keys,
                             int (*fn)(void *arg, const char *id, size_t id_len,
                                       const struct authd_licence_meta *meta, uint64_t log_index),
                             void *arg);

#endif
