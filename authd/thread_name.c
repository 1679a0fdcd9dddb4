/* Names for authd's threads (thread_name.h). */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdio.h>

#include "thread_name.h"

void authd_thread_name(pthread_t thread, const char *name)
{
    char full[16]; /* the kernel's TASK_COMM_LEN */
    snprintf(full, sizeof(full), "authd-%s", name);
    (void)pthread_setname_np(thread, full);
}
