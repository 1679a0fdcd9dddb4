/* authd init (init_command.h). */
#include <stdio.h>

#include "data_key.h"
#include "init_command.h"
#include "record.h"
#include "services.h"
#include "storage/storage.h"
#include "tlog.h"

int authd_init_command(const struct authd_config *config)
{
    struct authd_record_keys *keys = NULL;
    struct authd_storage *storage = NULL;
    struct authd_log *logs[AUTHD_LOG_COUNT] = {0};
    char err[1024], where[512];
    authd_config_describe_store(config, where, sizeof(where));
    if (authd_data_key_load(config, &keys, err, sizeof(err)) != AUTHD_OK) {
        fprintf(stderr, "authd: %s\n", err);
        return 2;
    }
    int status = 1;
    authd_err rc = authd_store_open(config, keys, false, &storage, err, sizeof(err));
    if (rc == AUTHD_OK) { /* nothing to do: make run calls init every time */
        fprintf(stderr, "authd: init: %s holds a store already; nothing to do\n", where);
        status = 0;
        goto out;
    }
    if (rc != AUTHD_E_NOT_FOUND) {
        fprintf(stderr, "authd: init: %s\n", err);
        goto out;
    }
    if (authd_store_open(config, keys, true, &storage, err, sizeof(err)) != AUTHD_OK ||
        authd_logs_open(config, storage, logs, err, sizeof(err)) != AUTHD_OK) {
        fprintf(stderr, "authd: init: %s\n", err);
        goto out;
    }
    fprintf(stderr,
            "authd: init: created the store in %s (schema %u); its logs' checkpoints are kept in %s\n", where,
            AUTHD_SCHEMA_VERSION, config->state_dir);
    status = 0;
out:
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        authd_log_close(logs[l]);
    authd_storage_close(storage);
    authd_record_keys_free(keys);
    return status;
}
