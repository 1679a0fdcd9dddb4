/* Copying a whole store to another backend (`authd --copy-to`): one node's LMDB into the PostgreSQL
 * several nodes will share, or back. Licence ids, sealed records, status-list places, the holder index
 * and both logs arrive bit for bit, so the logs keep their roots and auditors' saved checkpoints keep
 * verifying. Records stay sealed: both sides must use one data key. */
#ifndef AUTHD_STORE_COPY_H
#define AUTHD_STORE_COPY_H

#include <stdio.h>

#include "errors.h"

struct authd_storage;
struct authd_record_keys;

/* Copies `from` into `to`, which must be empty (AUTHD_E_EXISTS otherwise). Every record's MAC is checked
 * on the way (AUTHD_E_CORRUPT names the first that fails). Progress lines go to `progress` (NULL: none).
 * No authd may write either store meanwhile. Memory: the holder index is read whole first, about 100
 * bytes per licence. */
authd_err authd_store_copy(struct authd_storage *from, struct authd_storage *to,
                           const struct authd_record_keys *keys, FILE *progress, char *err, size_t err_cap);

#endif
