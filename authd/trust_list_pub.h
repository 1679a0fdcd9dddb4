/* This authd's signed trust list (certlib/trust_list.h), served at GET /v1/trust-list: the trust bundle
 * in force, the matters of the policies in force with their shared codes, and both logs' verifier keys,
 * signed with federation.trust_list.key. Every list gets the next sequence number, recorded in
 * state_dir/trust-list.sequence before the list is served, so a restart never reuses one and peers can
 * refuse a rollback. A list is signed at start-up, again after each SIGHUP reload (once, over both
 * the bundle and the policies it put in force), and again at half its validity. */
#ifndef AUTHD_TRUST_LIST_PUB_H
#define AUTHD_TRUST_LIST_PUB_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "errors.h"

struct authd_trust_list_pub;
struct authd_server;

/* The signed list served now. */
struct authd_signed_list {
    uint8_t *bytes;
    size_t len;
    int64_t issued;
    unsigned reloads; /* the server's reload count it was made after */
};

/* Loads the key and the last sequence number. AUTHD_E_CONFIG with a message. */
authd_err authd_trust_list_pub_new(const struct authd_config *c, struct authd_trust_list_pub **out, char *err,
                                   size_t err_cap);
void authd_trust_list_pub_free(struct authd_trust_list_pub *p);

/* Signs a new list when none is served, a SIGHUP reload completed since it was made, or it is half way
 * to expiry. AUTHD_OK (signed or not needed), or the
 * failure with a message (the list served stays). */
authd_err authd_trust_list_pub_refresh(struct authd_trust_list_pub *p, const struct authd_server *s,
                                       int64_t now, char *err, size_t err_cap);

/* The list served now, held until `pool` is cleared; NULL before the first. */
const struct authd_signed_list *authd_trust_list_pub_hold(struct authd_trust_list_pub *p,
                                                          h2o_mem_pool_t *pool);

#endif
