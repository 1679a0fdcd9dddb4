/* The status lists' state, shared by statuslists.c (signing, serving, changes) and
 * statuslists_reserve.c (handing out indices). */
#ifndef AUTHD_STATUSLISTS_INTERNAL_H
#define AUTHD_STATUSLISTS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "licence_meta.h"
#include "list_permutation.h"
#include "statuslists.h"
#include "storage/storage.h"

struct list {
    char issuer_code[AUTHD_ISSUER_CODE_LEN + 1];
    uint32_t no;
    uint8_t *used; /* 1 bit per entry: reserved or stored */
    uint32_t n_used;
    certlib_status_list *bits;
    uint64_t version; /* bumped at every change: a snapshot older than this leaves the list dirty */
    uint8_t *cwt;     /* the latest signed token */
    size_t cwt_len;
    int64_t cwt_iat;
    uint64_t cwt_version;
};

struct issuer {
    char code[AUTHD_ISSUER_CODE_LEN + 1];
    const certlib_signer *signer;
    uint32_t current;   /* list number new reservations go to */
    uint64_t next, end; /* shared store: the counters of `current` this node holds, [next, end) */
};

struct waiter {
    void (*cb)(void *arg);
    void *arg;
    struct waiter *next;
};

struct authd_statuslists {
    pthread_mutex_t lock;
    pthread_cond_t wake, drained;
    pthread_t thread;
    bool running, stopping;
    struct waiter *waiting; /* status changes whose list the next pass signs */
    size_t n_waiting;       /* registered and not yet called back */
    uint32_t size, ttl;
    char *public_url;
    struct authd_held *trust; /* NULL, or the trust bundle in force, whose context gets every list signed */
    struct issuer *issuers;
    size_t n_issuers;
    struct list *lists;
    size_t n_lists, cap_lists;
    struct authd_storage *shared; /* a store several nodes share: counters come from it */
    struct authd_list_permutation perm;
};

/* The issuer, the list (NULL when none), and the list created when missing. Callers hold the lock. */
struct issuer *authd_statuslists_issuer(struct authd_statuslists *s, const char *code);
struct list *authd_statuslists_find(struct authd_statuslists *s, const char *code, uint32_t no);
struct list *authd_statuslists_list_of(struct authd_statuslists *s, const char *code, uint32_t no);

static inline bool list_used(const struct list *l, uint32_t i)
{
    return l->used[i / 8] & (1u << (i % 8));
}

static inline void list_mark(struct list *l, uint32_t i)
{
    if (!list_used(l, i)) l->n_used++;
    l->used[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* Sets an entry's status; a change bumps the list's version (its token must be signed again). */
static inline bool list_set_status(struct list *l, uint32_t i, unsigned status)
{
    unsigned was;
    if (certlib_status_list_get(l->bits, i, &was) != CERTLIB_OK || was == status ||
        certlib_status_list_set(l->bits, i, status) != CERTLIB_OK)
        return false;
    l->version++;
    return true;
}

#endif
