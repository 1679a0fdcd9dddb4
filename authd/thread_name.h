/* Names for authd's threads, as top -H, ps -L, perf and gdb show them. */
#ifndef AUTHD_THREAD_NAME_H
#define AUTHD_THREAD_NAME_H

#include <pthread.h>

/* Names `thread` "authd-" NAME, cut to the kernel's 15 bytes. Best effort: a name not taken changes
 * nothing but what those tools show. */
void authd_thread_name(pthread_t thread, const char *name);

#endif
