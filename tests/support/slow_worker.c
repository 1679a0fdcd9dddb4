/* LD_PRELOAD shim for tests: the second event loop authd's workers make (libh2o 2.2 makes each with
 * epoll_create) is made two seconds late, so a test can fill the descriptor table while a worker is
 * still starting and the other already accepts. Only for tests; calls the C library's own. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <unistd.h>

__attribute__((visibility("default"))) int epoll_create(int size)
{
    static atomic_int made;
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "epoll_create");
    if (atomic_fetch_add(&made, 1) == 1) usleep(2000 * 1000);
    return real(size);
}
