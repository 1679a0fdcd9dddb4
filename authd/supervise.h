/* The main thread's life while authd serves: it alone takes SIGINT, SIGTERM and SIGHUP (by sigwait), tells
 * systemd how things stand (sd_notify: READY, RELOADING, STOPPING) and feeds its watchdog while the
 * workers live. */
#ifndef AUTHD_SUPERVISE_H
#define AUTHD_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>

/* The signals the main thread takes. */
void authd_supervised_signals(sigset_t *set);

/* Blocks them in the calling thread and every thread it starts from now on: call it before starting any
 * thread (the writer, the status lists'), or the kernel may hand a signal to one of them, whose default
 * action ends the process. */
void authd_block_signals(void);

struct authd_supervision {
    const char *status;        /* READY's STATUS= text */
    bool (*alive)(void *arg);  /* every worker turned since the last call: only then is the
                                  watchdog (WatchdogSec) fed */
    void (*reload)(void *arg); /* SIGHUP */
    void *arg;
};

/* Tells systemd authd is ready, then waits: SIGHUP reloads (RELOADING=1, then READY=1 again); SIGINT or
 * SIGTERM is returned, once systemd has been told authd is stopping. The signals must be blocked. */
int authd_supervise(const struct authd_supervision *s);

#endif
