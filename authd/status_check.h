/* Start-up cross-check of the licence statuses in the store against the signature log. Every status
 * change is logged in the transaction that makes it, so the last status entry the log holds for a
 * licence (valid when it has none) is the status its record must carry. A record that disagrees was
 * altered outside authd, or the store was rolled back without its log: authd refuses to start rather
 * than publish status lists built on it. */
#ifndef AUTHD_STATUS_CHECK_H
#define AUTHD_STATUS_CHECK_H

#include <stddef.h>

struct authd_store;

/* 0 when every status agrees; -1 with the first disagreement (or a read failure) described in err. */
int authd_status_check(struct authd_store *store, char *err, size_t err_cap);

#endif
