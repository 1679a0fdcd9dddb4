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

/* Opens the store the configuration names (LMDB or PostgreSQL). */
authd_err authd_store_open(const struct authd_config *c, const struct authd_record_keys *keys,
                           struct authd_storage **out, char *err, size_t err_cap);

/* Stops the writer (after the workers: it finishes queued writes) and frees everything. */
void authd_services_stop(struct authd_server *server);

#endif
