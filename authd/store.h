/* authd's LMDB store: one environment in the data directory, with named databases. This slice
 * creates the environment and its schema version; licences, indexes and logs join it later. */
#ifndef AUTHD_STORE_H
#define AUTHD_STORE_H

#include <stddef.h>
#include <stdint.h>

#define AUTHD_SCHEMA_VERSION 1u

struct authd_store;

/* Opens (creating if needed, mode 0700) the environment in `dir` and checks or writes the schema
 * version. On error writes a message into err and returns -1. */
int authd_store_open(struct authd_store **out, const char *dir, size_t map_bytes, char *err, size_t err_cap);

/* Reads the schema version in a read transaction: a cheap liveness probe for /healthz. Returns the
 * version, or 0 when the store cannot be read. Safe from any thread. */
uint32_t authd_store_schema_version(struct authd_store *store);

void authd_store_close(struct authd_store *store);

#endif
