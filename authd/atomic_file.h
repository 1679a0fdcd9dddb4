/* Small files replaced whole: a reader sees the old bytes or the new, never a mix, across a crash too. */
#ifndef AUTHD_ATOMIC_FILE_H
#define AUTHD_ATOMIC_FILE_H

#include <stddef.h>

/* Replaces the file at `path` with `len` bytes, durably and atomically (a temporary file beside it,
 * fsync'd, renamed over it). 0, or -1 with errno. */
int authd_write_file_atomic(const char *path, const void *bytes, size_t len);

/* The path of state_dir/<name> (what authd keeps outside its store: the logs' last checkpoints, the
 * witness's state, trust lists), the directory made (0700) when missing. 0, or -1 with a message. */
int authd_state_file(const char *state_dir, const char *name, char *out, size_t cap, char *err,
                     size_t err_cap);

#endif
