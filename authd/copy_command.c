/* `authd --config FROM --copy-to TO` (copy_command.h): the store FROM names copied into the one TO names,
 * then both logs compared root for root. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "copy_command.h"
#include "data_key.h"
#include "record.h"
#include "services.h"
#include "storage/storage.h"
#include "store_copy.h"
#include "tlog.h"

/* Both stores' logs sign one tree: the checkpoints' bodies (origin, size, root) are the same. */
static int same_logs(const struct authd_config *c, struct authd_storage *from, struct authd_storage *to)
{
    const struct authd_log_config *logs[AUTHD_LOG_COUNT] = {&c->sig_log, &c->access_tlog};
    for (int l = 0; l < AUTHD_LOG_COUNT; l++) {
        struct authd_log *a = NULL, *b = NULL;
        char err[512], ca[AUTHD_CHECKPOINT_MAX], cb[AUTHD_CHECKPOINT_MAX];
        uint64_t sa = 0, sb = 0;
        int same = 0;
        if (authd_log_open(from, (enum authd_log_id)l, logs[l]->origin, logs[l]->key, &a, err, sizeof(err)) ||
            authd_log_open(to, (enum authd_log_id)l, logs[l]->origin, logs[l]->key, &b, err, sizeof(err))) {
            fprintf(stderr, "authd: checking the copy: %s\n", err);
        } else {
            size_t na = authd_log_checkpoint(a, ca, &sa), nb = authd_log_checkpoint(b, cb, &sb);
            const char *end = na ? strstr(ca, "\n\n") : NULL;
            same = end && na == nb && sa == sb && memcmp(ca, cb, (size_t)(end - ca)) == 0;
            if (same) {
                const char *root = strchr(strchr(ca, '\n') + 1, '\n') + 1;
                fprintf(stderr, "authd: log %s: %llu entries, root %.*s on both sides\n", logs[l]->origin,
                        (unsigned long long)sa, (int)strcspn(root, "\n"), root);
            } else {
                fprintf(stderr, "authd: log %s: the copy's tree differs from the source's\n",
                        logs[l]->origin);
            }
        }
        authd_log_close(a);
        authd_log_close(b);
        if (!same) return -1;
    }
    return 0;
}

/* One data key on both sides: the records are copied sealed. */
static int same_data_key(const struct authd_record_keys *a, const struct authd_record_keys *b)
{
    uint8_t ka[AUTHD_HOLDER_KEY_LEN], kb[AUTHD_HOLDER_KEY_LEN];
    authd_record_holder_key(a, "0", 1, ka);
    authd_record_holder_key(b, "0", 1, kb);
    return sodium_memcmp(ka, kb, sizeof(ka)) == 0;
}

int authd_copy_command(const struct authd_config *from_cfg, const char *to_path)
{
    struct authd_config to_cfg;
    struct authd_record_keys *keys = NULL, *to_keys = NULL;
    struct authd_storage *from = NULL, *to = NULL;
    char err[1024], from_name[512], to_name[512];
    int status = 2;
    if (authd_config_load(&to_cfg, to_path, err, sizeof(err)) != 0 || authd_config_derive(&to_cfg) != 0 ||
        authd_config_validate(&to_cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "authd: --copy-to: %s\n", err);
        goto out;
    }
    authd_config_describe_store(from_cfg, from_name, sizeof(from_name));
    authd_config_describe_store(&to_cfg, to_name, sizeof(to_name));
    if (strcmp(from_name, to_name) == 0) {
        fprintf(stderr, "authd: --copy-to: %s is the store being copied\n", to_name);
        goto out;
    }
    if (strcmp(from_cfg->sig_log.origin, to_cfg.sig_log.origin) != 0 ||
        strcmp(from_cfg->access_tlog.origin, to_cfg.access_tlog.origin) != 0) {
        fprintf(stderr, "authd: --copy-to: %s names other logs (origins differ): a copy keeps its logs\n",
                to_path);
        goto out;
    }
    if (authd_data_key_load(from_cfg, &keys, err, sizeof(err)) ||
        authd_data_key_load(&to_cfg, &to_keys, err, sizeof(err))) {
        fprintf(stderr, "authd: %s\n", err);
        goto out;
    }
    if (!same_data_key(keys, to_keys)) {
        fprintf(stderr,
                "authd: --copy-to: %s has another data_key: records are copied sealed, under one key\n",
                to_path);
        goto out;
    }
    status = 1;
    if (authd_store_open(from_cfg, keys, false, &from, err, sizeof(err))) {
        fprintf(stderr, "authd: %s\n", err);
        goto out;
    }
    /* records are copied sealed: the copy keeps the source's cipher */
    enum authd_cipher cipher = authd_record_keys_cipher(keys);
    if (to_cfg.store_cipher && to_cfg.store_cipher != (int)cipher) {
        fprintf(stderr, "authd: --copy-to: %s asks for store.cipher %s, but the records are sealed with %s\n",
                to_path, authd_cipher_name((enum authd_cipher)to_cfg.store_cipher),
                authd_cipher_name(cipher));
        goto out;
    }
    to_cfg.store_cipher = (int)cipher;
    if (authd_store_open(&to_cfg, keys, true, &to, err, sizeof(err))) {
        fprintf(stderr, "authd: %s\n", err);
        goto out;
    }
    fprintf(stderr, "authd: copying %s into %s\n", from_name, to_name);
    if (authd_store_copy(from, to, keys, stderr, err, sizeof(err)) != AUTHD_OK) {
        fprintf(stderr, "authd: %s\n", err);
        goto out;
    }
    if (same_logs(from_cfg, from, to) != 0) goto out;
    fprintf(stderr, "authd: copy complete; start authd with %s\n", to_path);
    status = 0;
out:
    if (to) authd_storage_close(to);
    if (from) authd_storage_close(from);
    authd_record_keys_free(to_keys);
    authd_record_keys_free(keys);
    authd_config_free(&to_cfg);
    return status;
}
