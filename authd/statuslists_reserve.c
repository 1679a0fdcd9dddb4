/* Handing out status-list indices (statuslists.h). One process that owns its store picks a free index
 * at random, keeping lists at most 7/8 full so a probe finds one in a few tries. Nodes that share a
 * store draw counters from it in ranges and turn each counter into an index through a keyed
 * permutation (list_permutation.h): no two nodes ever give out one index, and the indices still say
 * nothing of the order of issuance. Indices the store already holds (a list begun under LMDB and
 * copied over, say) are skipped. */
#include <sodium.h>
#include <string.h>

#include "statuslists_internal.h"

#define COUNTER_RANGE 256 /* counters taken from the store at once: one round trip per 256 licences */

void authd_statuslists_share(struct authd_statuslists *s, struct authd_storage *storage,
                             const uint8_t key[AUTHD_LIST_KEY_LEN])
{
    pthread_mutex_lock(&s->lock);
    s->shared = storage;
    authd_list_permutation_init(&s->perm, key, s->size);
    pthread_mutex_unlock(&s->lock);
}

/* A random free index of a list at most 7/8 full. Caller holds the lock. */
static authd_err reserve_random(struct authd_statuslists *s, struct issuer *is, uint32_t *list_no,
                                uint32_t *idx)
{
    for (;;) {
        struct list *l = authd_statuslists_list_of(s, is->code, is->current);
        if (!l) return AUTHD_E_NOMEM;
        if (l->n_used >= s->size / 8 * 7) {
            if (is->current == UINT32_MAX) return AUTHD_E_FULL;
            is->current++;
            continue;
        }
        uint32_t i;
        do
            i = randombytes_uniform(s->size);
        while (list_used(l, i));
        list_mark(l, i);
        *list_no = l->no;
        *idx = i;
        return AUTHD_OK;
    }
}

/* The next counter of the issuer's current list, as an index no one holds. Caller holds the lock
 * (kept across the store's round trip: one in COUNTER_RANGE reservations waits for it). */
static authd_err reserve_counted(struct authd_statuslists *s, struct issuer *is, uint32_t *list_no,
                                 uint32_t *idx)
{
    for (;;) {
        if (is->next >= is->end) {
            uint64_t first;
            authd_err rc =
                s->shared->ops->list_counters(s->shared, is->code, is->current, COUNTER_RANGE, &first);
            if (rc) return rc;
            if (first >= s->size) { /* every counter of this list is taken: the next list */
                if (is->current == UINT32_MAX) return AUTHD_E_FULL;
                is->current++;
                is->next = is->end = 0;
                continue;
            }
            is->next = first;
            is->end = first + COUNTER_RANGE < s->size ? first + COUNTER_RANGE : s->size;
        }
        struct list *l = authd_statuslists_list_of(s, is->code, is->current);
        if (!l) return AUTHD_E_NOMEM;
        uint32_t i = authd_list_permute(&s->perm, is->code, is->current, (uint32_t)is->next++);
        if (list_used(l, i)) continue; /* held since before this list was counted */
        list_mark(l, i);
        *list_no = l->no;
        *idx = i;
        return AUTHD_OK;
    }
}

authd_err authd_statuslists_reserve(struct authd_statuslists *s, const char *issuer_code, uint32_t *list_no,
                                    uint32_t *idx)
{
    pthread_mutex_lock(&s->lock);
    struct issuer *is = authd_statuslists_issuer(s, issuer_code);
    authd_err rc = !is         ? AUTHD_E_NOT_FOUND
                   : s->shared ? reserve_counted(s, is, list_no, idx)
                               : reserve_random(s, is, list_no, idx);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void authd_statuslists_release(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                               uint32_t idx)
{
    pthread_mutex_lock(&s->lock);
    struct list *l = authd_statuslists_find(s, issuer_code, list_no);
    /* A counted index is not reused (its counter is spent); clearing it only keeps n_used true. */
    if (l && idx < s->size && list_used(l, idx)) {
        l->used[idx / 8] &= (uint8_t) ~(1u << (idx % 8));
        l->n_used--;
    }
    pthread_mutex_unlock(&s->lock);
}

void authd_statuslists_note(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                            uint32_t idx, unsigned status)
{
    pthread_mutex_lock(&s->lock);
    struct list *l = idx < s->size ? authd_statuslists_list_of(s, issuer_code, list_no) : NULL;
    if (l) {
        list_mark(l, idx);
        /* a change, or a list opened elsewhere: to be signed */
        if (list_set_status(l, idx, status) || !l->cwt) pthread_cond_signal(&s->wake);
        /* reservations follow the other nodes to their newest list */
        struct issuer *is = authd_statuslists_issuer(s, issuer_code);
        if (is && list_no > is->current) {
            is->current = list_no;
            is->next = is->end = 0;
        }
    }
    pthread_mutex_unlock(&s->lock);
}
