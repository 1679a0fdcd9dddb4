/* What authd holds while it runs, built in dependency order and torn down in reverse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "challenges.h"
#include "metrics.h"
#include "policy.h"
#include "router.h"
#include "services.h"
#include "status_check.h"
#include "statuslists.h"
#include "store.h"
#include "writer.h"

static int load_keys(struct authd_server *s, char *err, size_t err_cap)
{
    const struct authd_config *c = s->config;
    s->issuers = calloc(c->signer_count ? c->signer_count : 1, sizeof(*s->issuers));
    if (!s->issuers) return snprintf(err, err_cap, "out of memory"), 2;
    for (size_t i = 0; i < c->signer_count; i++) {
        const struct authd_signer_config *sc = &c->signers[i];
        struct authd_issuer_keys *k = &s->issuers[s->n_issuers++];
        certlib_err e = certlib_signer_load(sc->key, sc->certificate, &k->signer);
        if (!e) e = certlib_signer_load(sc->status_key, sc->status_certificate, &k->status_signer);
        if (e)
            return snprintf(err, err_cap, "signers[%zu] (%s): %s", i, sc->issuer_code, certlib_strerror(e)),
                   2;
        /* The licence's issuer code is the certificate's: a mismatch would issue in someone else's name. */
        if (strcmp(certlib_signer_issuer_code(k->signer), sc->issuer_code) != 0)
            return snprintf(err, err_cap, "signers[%zu]: the certificate is %s's, not %s's", i,
                            certlib_signer_issuer_code(k->signer), sc->issuer_code),
                   2;
        memcpy(k->issuer_code, sc->issuer_code, 19);
    }
    return 0;
}

static int load_trust(struct authd_server *s, char *err, size_t err_cap)
{
    FILE *f = fopen(s->config->trust_bundle, "rb");
    if (!f) return snprintf(err, err_cap, "trust_bundle %s: cannot open", s->config->trust_bundle), 2;
    size_t cap = CERTLIB_TRUST_MAX_BYTES + 1;
    s->trust_bundle = malloc(cap);
    s->trust_bundle_len = s->trust_bundle ? fread(s->trust_bundle, 1, cap, f) : 0;
    fclose(f);
    if (!s->trust_bundle || s->trust_bundle_len == cap)
        return snprintf(err, err_cap, "trust_bundle %s: unreadable or too large", s->config->trust_bundle), 2;
    if (certlib_ctx_new(&s->verify_ctx) || certlib_ctx_new(&s->inspect_ctx))
        return snprintf(err, err_cap, "out of memory"), 2;
    if (certlib_ctx_load_trust(s->verify_ctx, s->trust_bundle, s->trust_bundle_len) != CERTLIB_OK)
        return snprintf(err, err_cap, "trust_bundle %s: %s", s->config->trust_bundle,
                        certlib_ctx_trust_error(s->verify_ctx)),
               2;
    return 0;
}

int authd_services_start(struct authd_server *s, char *err, size_t err_cap)
{
    const struct authd_config *c = s->config;
    struct authd_policy *policy = calloc(1, sizeof(*policy));
    if (!policy) return snprintf(err, err_cap, "out of memory"), 1;
    s->policy = policy;
    if (authd_policy_load(policy, c->policies_dir, err, err_cap) != 0) return 2;
    int rc = load_keys(s, err, err_cap);
    if (!rc) rc = load_trust(s, err, err_cap);
    if (rc) return rc;
    size_t n_routes;
    const char *const *routes = authd_route_patterns(&n_routes);
    if (!(s->metrics = authd_metrics_new(routes, n_routes)))
        return snprintf(err, err_cap, "out of memory"), 1;
    authd_accesslog_set_metrics(s->accesslog, s->metrics);
    const struct authd_store_logs logs = {c->sig_log.origin, c->sig_log.key, c->access_tlog.origin,
                                          c->access_tlog.key};
    if (authd_store_open(&s->store, c->data_dir, c->lmdb_map_bytes, c->data_key, &logs, err, err_cap) != 0)
        return 1;
    s->statuslists = authd_statuslists_new(c->status_list_size, c->status_ttl, c->public_url, s->verify_ctx);
    if (!s->statuslists) return snprintf(err, err_cap, "out of memory"), 1;
    for (size_t i = 0; i < s->n_issuers; i++)
        if (authd_statuslists_add_issuer(s->statuslists, s->issuers[i].issuer_code,
                                         s->issuers[i].status_signer) != 0)
            return snprintf(err, err_cap, "out of memory"), 1;
    if (authd_statuslists_probe(s->statuslists, s->trust_bundle, s->trust_bundle_len, err, err_cap) != 0)
        return 2;
    if (authd_status_check(s->store, err, err_cap) != 0) return 1;
    if (authd_statuslists_rebuild(s->statuslists, s->store, err, err_cap) != 0) return 1;
    if (!(s->challenges =
              authd_challenges_new(c->challenge_capacity, c->challenge_per_counter, c->challenge_ttl)))
        return snprintf(err, err_cap, "out of memory"), 1;
    if (!(s->writer = authd_writer_start(s->store, c->writer_max_batch, c->writer_commit_delay_us,
                                         c->writer_commit_fill, s->metrics)))
        return snprintf(err, err_cap, "cannot start the writer thread"), 1;
    return 0;
}

void authd_services_stop(struct authd_server *s)
{
    authd_writer_stop(s->writer);
    authd_challenges_free(s->challenges);
    authd_statuslists_free(s->statuslists);
    authd_store_close(s->store);
    authd_metrics_free(s->metrics);
    certlib_ctx_free(s->verify_ctx);
    certlib_ctx_free(s->inspect_ctx);
    free(s->trust_bundle);
    for (size_t i = 0; i < s->n_issuers; i++) {
        certlib_signer_free(s->issuers[i].signer);
        certlib_signer_free(s->issuers[i].status_signer);
    }
    free(s->issuers);
    if (s->policy) {
        authd_policy_free((struct authd_policy *)s->policy);
        free((void *)s->policy);
    }
}
