/* The logs' saved checkpoints (log_state.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "certlib/tlog.h"
#include "log_state.h"
#include "tlog.h"

authd_err authd_log_state_path(const char *dir, const char *name, char *out, size_t cap, char *err,
                               size_t err_cap)
{
    char file[128];
    snprintf(file, sizeof(file), "%s.checkpoint", name);
    return authd_state_file(dir, file, out, cap, err, err_cap) == 0 ? AUTHD_OK : AUTHD_E_IO;
}

/* The saved checkpoint; *found false when there is none. */
static authd_err read_saved(struct authd_log *log, const char *path, const certlib_note_verifier *v,
                            certlib_checkpoint *cp, bool *found, char *err, size_t err_cap)
{
    char note[AUTHD_CHECKPOINT_MAX];
    *found = false;
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT) return AUTHD_OK;
    if (!f) return snprintf(err, err_cap, "%s: %s", path, strerror(errno)), AUTHD_E_IO;
    size_t len = fread(note, 1, sizeof(note), f);
    int bad = ferror(f);
    fclose(f);
    if (bad) return snprintf(err, err_cap, "%s: cannot be read", path), AUTHD_E_IO;
    if (len == sizeof(note) || certlib_checkpoint_open(note, len, v, cp) != CERTLIB_OK)
        return snprintf(err, err_cap,
                        "%s holds no checkpoint of log %s signed by its key (a new log key starts a new log: "
                        "move the old file away)",
                        path, authd_log_origin(log)),
               AUTHD_E_CORRUPT;
    *found = true;
    return AUTHD_OK;
}

/* Why the store's tree does not extend the saved one, or "" when it does. */
static void compare(struct authd_log *log, const certlib_checkpoint *saved, const certlib_checkpoint *now,
                    char *why, size_t cap)
{
    why[0] = '\0';
    if (now->size < saved->size) {
        snprintf(why, cap,
                 "the store's log has %llu entries, but this authd signed a checkpoint of %llu: entries %llu "
                 "to %llu (%llu) are lost",
                 (unsigned long long)now->size, (unsigned long long)saved->size,
                 (unsigned long long)now->size, (unsigned long long)saved->size - 1,
                 (unsigned long long)(saved->size - now->size));
        return;
    }
    certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
    size_t n = 0;
    int consistent = now->size == saved->size
                         ? memcmp(now->root, saved->root, sizeof(now->root)) == 0
                         : saved->size == 0 ||
                               (authd_log_consistency(log, saved->size, now->size, proof, &n) == AUTHD_OK &&
                                certlib_tlog_verify_consistency(saved->size, now->size, proof, n, saved->root,
                                                                now->root) == CERTLIB_OK);
    if (!consistent)
        snprintf(why, cap,
                 "the store's first %llu entries are not those of the checkpoint this authd signed: it is "
                 "another log's store, or was altered",
                 (unsigned long long)saved->size);
}

authd_err authd_log_state_check(struct authd_log *log, const char *path, bool allow_rollback, char *err,
                                size_t err_cap)
{
    certlib_note_verifier v;
    const char *vkey = authd_log_vkey(log);
    if (certlib_note_verifier_parse(vkey, strlen(vkey), &v) != CERTLIB_OK)
        return snprintf(err, err_cap, "log %s: its own verifier key does not parse", authd_log_origin(log)),
               AUTHD_E_INTERNAL;
    certlib_checkpoint saved, now;
    bool found;
    authd_err rc = read_saved(log, path, &v, &saved, &found, err, err_cap);
    if (rc || !found) return rc;
    char note[AUTHD_CHECKPOINT_MAX];
    size_t len = authd_log_checkpoint(log, note, NULL);
    if (certlib_checkpoint_open(note, len, &v, &now) != CERTLIB_OK)
        return snprintf(err, err_cap, "log %s: its checkpoint does not open", authd_log_origin(log)),
               AUTHD_E_INTERNAL;
    char why[512];
    compare(log, &saved, &now, why, sizeof(why));
    if (!why[0]) return AUTHD_OK;
    if (allow_rollback) {
        fprintf(stderr, "authd: --allow-rollback: log %s: %s; continuing from the store's %llu entries\n",
                authd_log_origin(log), why, (unsigned long long)now.size);
        return AUTHD_OK;
    }
    snprintf(err, err_cap,
             "log %s: %s (per %s). Restore the newest backup of the store; to accept the loss, and fork the "
             "log for anyone who saw the lost checkpoints, start once with --allow-rollback",
             authd_log_origin(log), why, path);
    return AUTHD_E_CORRUPT;
}
