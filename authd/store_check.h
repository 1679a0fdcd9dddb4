/* `authd --config FILE store check`: reads the whole store and says whether it is intact. */
#ifndef AUTHD_STORE_CHECK_H
#define AUTHD_STORE_CHECK_H

#include "config.h"

/* Every licence record opened under the data key (its MAC and encryption checked); every holder-index
 * entry naming a stored record; every log entry hashed and every stored subtree hash recomputed from
 * its children; each log against the checkpoint state_dir saved. Progress and the outcome go to standard
 * error. The exit status: 0 intact, 1 damaged or unreadable (a fault reading a damaged LMDB file too),
 * 2 the configuration is unusable. */
int authd_store_check_command(const struct authd_config *config);

#endif
