/* `authd --config FROM --copy-to TO`: copies the store FROM's configuration names into the empty one
 * TO's names (LMDB to PostgreSQL when a node grows into several, or back), then checks that both logs
 * have the same roots. Both configurations must name one data key and the same log origins. */
#ifndef AUTHD_COPY_COMMAND_H
#define AUTHD_COPY_COMMAND_H

#include "config.h"

/* The exit status: 0 copied and checked, 1 the copy failed, 2 a configuration is unusable. */
int authd_copy_command(const struct authd_config *from, const char *to_path);

#endif
