/* The main thread's supervision (supervise.h). */
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "supervise.h"

void authd_supervised_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

void authd_block_signals(void)
{
    sigset_t set;
    authd_supervised_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* The next signal; with a watchdog, the watchdog fed every half of its interval while waiting. */
static int next_signal(const struct authd_supervision *s, const sigset_t *signals, uint64_t watchdog_us)
{
    for (;;) {
        int sig;
        if (!watchdog_us) {
            if (sigwait(signals, &sig) == 0) return sig;
            continue;
        }
        struct timespec wait = {.tv_sec = (time_t)(watchdog_us / 2 / 1000000),
                                .tv_nsec = (long)(watchdog_us / 2 % 1000000) * 1000};
        if ((sig = sigtimedwait(signals, NULL, &wait)) >= 0) return sig;
        if (s->alive(s->arg)) sd_notify(0, "WATCHDOG=1");
    }
}

int authd_supervise(const struct authd_supervision *s)
{
    sigset_t signals;
    authd_supervised_signals(&signals);
    uint64_t watchdog_us = 0;
    if (sd_watchdog_enabled(0, &watchdog_us) <= 0) watchdog_us = 0;
    sd_notifyf(0, "READY=1\nSTATUS=%s", s->status);
    for (;;) {
        int sig = next_signal(s, &signals, watchdog_us);
        if (sig != SIGHUP) {
            sd_notify(0, "STOPPING=1\nSTATUS=finishing in-flight requests");
            return sig;
        }
        sd_notify(0, "RELOADING=1\nSTATUS=reloading");
        fprintf(stderr, "authd: SIGHUP received: reopening the access log, reloading the policies and the "
                        "trust bundle\n");
        s->reload(s->arg);
        sd_notifyf(0, "READY=1\nSTATUS=%s", s->status);
    }
}
