/* `authd --config FILE init`: creates the store the configuration names. authd never creates one
 * implicitly: a store that went missing or was emptied must not start afresh. */
#ifndef AUTHD_INIT_COMMAND_H
#define AUTHD_INIT_COMMAND_H

#include "config.h"

/* Creates the store (the LMDB directory and file, or the tables in the PostgreSQL database) with both
 * logs empty; a store that exists is left as it is. Refuses (unless allow_rollback) when state_dir holds
 * a checkpoint of a log with entries: a new store under that log key would fork the log; and a damaged
 * store (an empty data.mdb is not "none"). The exit status: 0 created or there already, 1 refused or
 * failed, 2 the configuration is unusable. */
int authd_init_command(const struct authd_config *config);

#endif
