/* Files replaced whole (atomic_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
