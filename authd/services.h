/* Start-up and teardown of authd's long-lived state around the HTTP front: policies, signing keys,
 * verification contexts, the store, status lists, the writer thread and metrics. */
#ifndef AUTHD_SERVICES_H
#define AUTHD_SERVICES_H

#include <stddef.h>

#include "errors.h"
#include "server.h"

/* Fills `server` from its configuration. AUTHD_OK, or the failure with a message in err:
 * AUTHD_E_CONFIG for the configuration (policies, keys, trust bundle), others for the store. A storage
 * the caller set in server->storage beforehand is used instead of the configured one (and closed by
 * authd_services_stop): tests put a backend they observe there. */
authd_err authd_services_start(struct authd_server *server, char *err, size_t err_cap);

struct authd_config;
struct authd_record_keys;
struct authd_storage;

/* Opens the store the configuration names (LMDB or PostgreSQL); `create`: make it when there is none
 * (authd init, a copy's target), otherwise a missing store is AUTHD_E_NOT_FOUND. Sets `keys` (may be
 * NULL) to the store's cipher suite, recording store.cipher in a store created now; AUTHD_E_CONFIG when
 * store.cipher names another suite than the store's. */
authd_err authd_store_open(const struct authd_config *c, struct authd_record_keys *keys, bool create,
                           struct authd_storage **out, char *err, size_t err_cap);

/* Opens both logs over the store and checks each against the checkpoint state_dir keeps for it (refusing
 * a store rolled back or replaced unless allow_rollback), then keeps that file up to date. */
struct authd_log;
authd_err authd_logs_open(const struct authd_config *c, struct authd_storage *storage,
                          struct authd_log *logs[AUTHD_LOG_COUNT], char *err, size_t err_cap);

/* SIGHUP: reopens the access log by its name (logrotate); puts the policies in policies_dir, and the
 * trust bundle, in force, each if it loads and checks whole (the bundle must accept authd's own status
 * lists), otherwise says why on standard error and keeps the one in force. Requests under way finish
 * under the versions they started with. */
void authd_services_reload(struct authd_server *server);

/* Stops the writer (after the workers: it finishes queued writes) and frees everything. */
void authd_services_stop(struct authd_server *server);

#endif
