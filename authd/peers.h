/* What the other nodes of a shared store did (storage.h's `shared`). A thread reads the signature log's
 * new entries every `period_ms` (every licence issued and every status changed by any node, with its
 * status-list place) into this node's status lists, so its lists hold every place taken and every
 * revocation within about a second, and re-signs them; and it republishes both logs' checkpoints when
 * other nodes grew them. Not started for a store one process owns. */
#ifndef AUTHD_PEERS_H
#define AUTHD_PEERS_H

#include <stdint.h>

#include "storage/storage.h"

struct authd_peers;
struct authd_log;
struct authd_statuslists;

/* Follows the signature log from entry `from` (its size when the status lists were rebuilt). */
struct authd_peers *authd_peers_start(struct authd_storage *storage,
                                      struct authd_log *const logs[AUTHD_LOG_COUNT],
                                      struct authd_statuslists *lists, uint64_t from, unsigned period_ms);
void authd_peers_stop(struct authd_peers *p);

#endif
