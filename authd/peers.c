/* Following the other nodes of a shared store (peers.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certlib/logentry.h"
#include "certlib/status.h"
#include "licence_meta.h"
#include "monotonic.h"
#include "peers.h"
#include "statuslists.h"
#include "thread_name.h"
#include "tlog.h"

#define CHUNK 4096 /* entries read per round trip */

struct authd_peers {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    struct authd_storage *storage;
    struct authd_log *logs[AUTHD_LOG_COUNT];
    struct authd_statuslists *lists;
    uint64_t followed; /* signature-log entries applied */
    unsigned period_ms;
};

static int apply_entry(void *arg, uint64_t index, const uint8_t *entry, size_t len)
{
    struct authd_peers *p = arg;
    certlib_log_entry e;
    char issuer[AUTHD_ISSUER_CODE_LEN + 1];
    uint32_t list_no;
    int value = CERTLIB_STATUS_VALUE_VALID;
    if (certlib_log_entry_parse(entry, len, &e) != CERTLIB_OK ||
        !authd_status_list_id_parse((const char *)e.status_list.ptr, e.status_list.len, issuer, &list_no) ||
        e.status_idx > UINT32_MAX ||
        (e.kind == CERTLIB_LOG_STATUS &&
         (value = authd_status_value_of((const char *)e.status.ptr, e.status.len)) < 0)) {
        fprintf(stderr, "authd: signature log entry %llu is not one authd writes; skipped\n",
                (unsigned long long)index);
    } else {
        authd_statuslists_note(p->lists, issuer, list_no, (uint32_t)e.status_idx, (unsigned)value);
    }
    p->followed = index + 1;
    return 0;
}

/* One look: the signature log's new entries, then the checkpoints. */
static void follow(struct authd_peers *p)
{
    uint64_t size;
    if (p->storage->ops->log_size(p->storage, AUTHD_LOG_SIGNATURES, &size) != AUTHD_OK)
        return; /* next time */
    while (p->followed < size) {
        uint64_t n = size - p->followed < CHUNK ? size - p->followed : CHUNK, before = p->followed;
        if (p->storage->ops->log_entries(p->storage, AUTHD_LOG_SIGNATURES, p->followed, n, apply_entry, p) !=
                AUTHD_OK ||
            p->followed == before)
            break;
    }
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        authd_log_publish(p->logs[l]);
}

static void *peers_main(void *arg)
{
    struct authd_peers *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        struct timespec until = authd_deadline_ns(p->period_ms * 1000000LL);
        pthread_cond_timedwait(&p->wake, &p->lock, &until);
        if (p->stopping) break;
        pthread_mutex_unlock(&p->lock);
        follow(p);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct authd_peers *authd_peers_start(struct authd_storage *storage,
                                      struct authd_log *const logs[AUTHD_LOG_COUNT],
                                      struct authd_statuslists *lists, uint64_t from, unsigned period_ms)
{
    struct authd_peers *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->storage = storage;
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        p->logs[l] = logs[l];
    p->lists = lists;
    p->followed = from;
    p->period_ms = period_ms ? period_ms : 1000;
    pthread_mutex_init(&p->lock, NULL);
    authd_cond_init_monotonic(&p->wake);
    if (pthread_create(&p->thread, NULL, peers_main, p) != 0) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->wake);
        free(p);
        return NULL;
    }
    authd_thread_name(p->thread, "peers");
    return p;
}

void authd_peers_stop(struct authd_peers *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
}
