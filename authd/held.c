/* Versions in force (held.h): reference-counted, swapped under a mutex held only for the pointer and
 * the count. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "held.h"

struct authd_held_ref { /* one version */
    void *obj;
    void (*destroy)(void *);
    atomic_size_t refs; /* the holder's own, and one per reader */
};

struct authd_held {
    pthread_mutex_t lock;
    struct authd_held_ref *current;
    void (*destroy)(void *);
};

void authd_held_release(struct authd_held_ref *v)
{
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1) return;
    v->destroy(v->obj);
    free(v);
}

static struct authd_held_ref *version_new(void *obj, void (*destroy)(void *))
{
    struct authd_held_ref *v = malloc(sizeof(*v));
    if (!v) return NULL;
    v->obj = obj;
    v->destroy = destroy;
    atomic_init(&v->refs, 1);
    return v;
}

struct authd_held *authd_held_new(void *initial, void (*destroy)(void *))
{
    struct authd_held *h = calloc(1, sizeof(*h));
    if (!h || !(h->current = version_new(initial, destroy))) {
        free(h);
        return NULL;
    }
    h->destroy = destroy;
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

void authd_held_free(struct authd_held *h)
{
    if (!h) return;
    authd_held_release(h->current);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

struct authd_held_ref *authd_held_acquire(struct authd_held *h, void **obj)
{
    pthread_mutex_lock(&h->lock);
    struct authd_held_ref *v = h->current;
    atomic_fetch_add(&v->refs, 1);
    pthread_mutex_unlock(&h->lock);
    *obj = v->obj;
    return v;
}

static void on_pool_cleared(void *p)
{
    authd_held_release(*(struct authd_held_ref **)p);
}

void *authd_held_hold(struct authd_held *h, h2o_mem_pool_t *pool)
{
    struct authd_held_ref **slot = h2o_mem_alloc_shared(pool, sizeof(*slot), on_pool_cleared);
    void *obj;
    *slot = authd_held_acquire(h, &obj);
    return obj;
}

void *authd_held_current(struct authd_held *h)
{
    return h->current->obj;
}

int authd_held_replace(struct authd_held *h, void *fresh)
{
    struct authd_held_ref *v = version_new(fresh, h->destroy);
    if (!v) {
        h->destroy(fresh);
        return -1;
    }
    pthread_mutex_lock(&h->lock);
    struct authd_held_ref *old = h->current;
    h->current = v;
    pthread_mutex_unlock(&h->lock);
    authd_held_release(old);
    return 0;
}
