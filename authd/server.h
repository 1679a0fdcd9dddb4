/* The state every request handler sees, and the server's lifecycle. */
#ifndef AUTHD_SERVER_H
#define AUTHD_SERVER_H

#include <stdatomic.h>

#include "certlib/region.h"
#include "config.h"

struct authd_store;
struct authd_accesslog;

struct authd_server {
    const struct authd_config *config;
    struct authd_store *store;
    certlib_regions *regions; /* NULL: certlib's built-in table */
    struct authd_accesslog *accesslog;
    atomic_int stopping;
};

/* Binds every listener, starts config->workers event-loop threads, and runs until authd_server_stop.
 * Returns 0 after a clean shutdown, -1 (message in err) when start-up failed. */
int authd_server_run(struct authd_server *server, char *err, size_t err_cap);

/* Asks the workers to stop accepting, finish in-flight requests within the grace period, and exit.
 * Async-signal-safe. */
void authd_server_stop(struct authd_server *server);

#endif
