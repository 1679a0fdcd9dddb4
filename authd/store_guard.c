/* The store guard (store_guard.h). */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "store_guard.h"

static const char *guarded_what;
static struct sigaction saved_segv, saved_bus;

static void say(const char *s)
{
    ssize_t ignored = write(STDERR_FILENO, s, strlen(s));
    (void)ignored;
}

static void on_fault(int sig)
{
    say("authd: the store is damaged: reading it faulted (");
    say(sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
    say(") while ");
    say(guarded_what);
    say(". `authd --config FILE store check` tells more; restore the store from a backup\n");
    _exit(1);
}

void authd_store_guard_begin(const char *what)
{
    guarded_what = what;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fault;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &saved_segv);
    sigaction(SIGBUS, &sa, &saved_bus);
}

void authd_store_guard_end(void)
{
    sigaction(SIGSEGV, &saved_segv, NULL);
    sigaction(SIGBUS, &saved_bus, NULL);
}
