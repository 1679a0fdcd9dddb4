/* What can be replaced while authd runs (the policies, the trust bundle), held by whoever reads it. A
 * SIGHUP puts a new version in force whole; each request holds the version it started with until its
 * memory is freed, so a reload never frees what a request still reads, and no request sees half of one
 * version and half of another. */
#ifndef AUTHD_HELD_H
#define AUTHD_HELD_H

#include <h2o.h>

struct authd_held;
struct authd_held_ref;

/* Takes over `initial`, freed with `destroy` once nothing holds it. NULL out of memory. */
struct authd_held *authd_held_new(void *initial, void (*destroy)(void *));
/* Frees the holder and the version in force; nothing may hold it any more. */
void authd_held_free(struct authd_held *h);

/* The version in force, held until `pool` (a request's) is cleared. Any thread. */
void *authd_held_hold(struct authd_held *h, h2o_mem_pool_t *pool);
/* The version in force in *obj, held until authd_held_release(the returned reference). Any thread. */
struct authd_held_ref *authd_held_acquire(struct authd_held *h, void **obj);
void authd_held_release(struct authd_held_ref *ref);
/* The version in force, for start-up and tests: not safe across a replacement. */
void *authd_held_current(struct authd_held *h);

/* Puts `fresh` in force; the old version is destroyed when the last holder lets go. -1 out of memory
 * (then `fresh` is destroyed and the old version stays). Any thread. */
int authd_held_replace(struct authd_held *h, void *fresh);

#endif
