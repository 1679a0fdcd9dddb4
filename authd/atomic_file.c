/* Files replaced whole (atomic_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"

int authd_write_file_atomic(const char *path, const void *bytes, size_t len)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) return errno = ENAMETOOLONG, -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    ssize_t n = write(fd, bytes, len);
    int ok = n == (ssize_t)len && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        if (!ok) errno = saved ? saved : EIO;
        saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

int authd_state_file(const char *state_dir, const char *name, char *out, size_t cap, char *err,
                     size_t err_cap)
{
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST)
        return snprintf(err, err_cap, "state_dir %s: %s", state_dir, strerror(errno)), -1;
    if (snprintf(out, cap, "%s/%s", state_dir, name) >= (int)cap)
        return snprintf(err, err_cap, "state_dir %s: path too long", state_dir), -1;
    return 0;
}
