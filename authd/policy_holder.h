/* The policies in force, replaced whole on SIGHUP. Each request holds the policies it started with until
 * its memory is freed, so a reload never frees a client, matter or type a request still reads, and a
 * request never sees half of one policy and half of another. */
#ifndef AUTHD_POLICY_HOLDER_H
#define AUTHD_POLICY_HOLDER_H

#include <h2o.h>

struct authd_policy;
struct authd_policy_holder;

/* Takes over `initial` (calloc'd, loaded). NULL out of memory. */
struct authd_policy_holder *authd_policy_holder_new(struct authd_policy *initial);
/* Frees the holder and the policies in force; no request may hold them any more. */
void authd_policy_holder_free(struct authd_policy_holder *h);

/* The policies in force, held until `pool` (a request's) is cleared. Any thread. */
const struct authd_policy *authd_policy_hold(struct authd_policy_holder *h, h2o_mem_pool_t *pool);
/* The policies in force, for start-up and tests: not safe across a reload. */
const struct authd_policy *authd_policy_current(struct authd_policy_holder *h);

/* Puts `fresh` (calloc'd, loaded) in force; the old policies are freed when the last request holding
 * them is. Any thread. */
void authd_policy_replace(struct authd_policy_holder *h, struct authd_policy *fresh);

#endif
