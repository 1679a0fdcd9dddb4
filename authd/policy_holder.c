/* The policies in force (policy_holder.h): reference-counted, swapped under a mutex held only for the
 * pointer and the count. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "policy.h"
#include "policy_holder.h"

struct held {
    struct authd_policy *policy;
    atomic_size_t refs; /* the holder's own, and one per request */
};

struct authd_policy_holder {
    pthread_mutex_t lock;
    struct held *current;
};

static void release(struct held *h)
{
    if (atomic_fetch_sub(&h->refs, 1) != 1) return;
    authd_policy_free(h->policy);
    free(h->policy);
    free(h);
}

static struct held *hold_new(struct authd_policy *policy)
{
    struct held *h = malloc(sizeof(*h));
    if (!h) return NULL;
    h->policy = policy;
    atomic_init(&h->refs, 1);
    return h;
}

struct authd_policy_holder *authd_policy_holder_new(struct authd_policy *initial)
{
    struct authd_policy_holder *holder = calloc(1, sizeof(*holder));
    if (!holder || !(holder->current = hold_new(initial))) {
        free(holder);
        return NULL;
    }
    pthread_mutex_init(&holder->lock, NULL);
    return holder;
}

void authd_policy_holder_free(struct authd_policy_holder *holder)
{
    if (!holder) return;
    release(holder->current);
    pthread_mutex_destroy(&holder->lock);
    free(holder);
}

static void on_request_end(void *p)
{
    release(*(struct held **)p);
}

const struct authd_policy *authd_policy_hold(struct authd_policy_holder *holder, h2o_mem_pool_t *pool)
{
    struct held **ref = h2o_mem_alloc_shared(pool, sizeof(*ref), on_request_end);
    pthread_mutex_lock(&holder->lock);
    *ref = holder->current;
    atomic_fetch_add(&(*ref)->refs, 1);
    pthread_mutex_unlock(&holder->lock);
    return (*ref)->policy;
}

const struct authd_policy *authd_policy_current(struct authd_policy_holder *holder)
{
    return holder->current->policy;
}

void authd_policy_replace(struct authd_policy_holder *holder, struct authd_policy *fresh)
{
    struct held *h = hold_new(fresh);
    if (!h) { /* out of memory: keep what is in force */
        authd_policy_free(fresh);
        free(fresh);
        return;
    }
    pthread_mutex_lock(&holder->lock);
    struct held *old = holder->current;
    holder->current = h;
    pthread_mutex_unlock(&holder->lock);
    release(old);
}
