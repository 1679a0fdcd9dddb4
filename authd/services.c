/* What authd holds while it runs, built in dependency order and torn down in reverse. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "admission.h"
#include "challenges.h"
#include "presentation_requests.h"
#include "reader_key.h"
#include "data_key.h"
#include "federation.h"
#include "held.h"
#include "holder_reads.h"
#include "log_state.h"
#include "metrics.h"
#include "peers.h"
#include "pkcs11_key.h"
#include "policy.h"
#include "record.h"
#include "router.h"
#include "sdf_key.h"
#include "services.h"
#include "status_check.h"
#include "statuslists.h"
#include "store_guard.h"
#include "tlog.h"
#include "trust_bundle.h"
#include "witness.h"
#include "witnessing.h"
#include "writer.h"

/* How often a node of a shared store looks at what the others did: revocations reach its status lists
 * (and its verification) within about this long. */
#define PEERS_PERIOD_MS 1000

static void close_p11(void *key)
{
    authd_p11_key_close(key);
}

static void close_sdf(void *key)
{
    authd_sdf_key_close(key);
}

/* A signer from a PEM key file, a PKCS#11 URI or an SDF reference (the key stays in its device, which
 * *device keeps open). The message says which key and why, never a PIN. */
static authd_err open_signer(const char *key, const char *cert, certlib_signer **out,
                             struct authd_key_device *device, char *err, size_t err_cap)
{
    if (!authd_is_pkcs11_uri(key) && !authd_is_sdf_ref(key)) {
        certlib_err e = certlib_signer_load(key, cert, out);
        return e ? snprintf(err, err_cap, "%s", certlib_strerror(e)), AUTHD_E_CONFIG : AUTHD_OK;
    }
    certlib_sign_fn sign;
    authd_err rc;
    if (authd_is_pkcs11_uri(key)) {
        struct authd_p11_key *p11 = NULL;
        rc = authd_p11_key_open(key, &p11, err, err_cap);
        *device = (struct authd_key_device){p11, close_p11};
        sign = authd_p11_sign;
    } else {
        struct authd_sdf_key *sdf = NULL;
        rc = authd_sdf_key_open(key, &sdf, err, err_cap);
        *device = (struct authd_key_device){sdf, close_sdf};
        sign = authd_sdf_sign;
    }
    if (rc) return rc;
    FILE *f = fopen(cert, "rb");
    uint8_t pem[65536];
    size_t n = f ? fread(pem, 1, sizeof(pem), f) : 0;
    if (f) fclose(f);
    if (!n) return snprintf(err, err_cap, "the certificate %s cannot be read", cert), AUTHD_E_CONFIG;
    certlib_err e = certlib_signer_new_external((certlib_slice){pem, n}, sign, device->key, out);
    if (e == CERTLIB_E_SIGNER_UNAVAILABLE)
        return snprintf(err, err_cap, "the device cannot sign"), AUTHD_E_UNAVAILABLE;
    if (e == CERTLIB_E_KEY)
        return snprintf(err, err_cap, "the device's key is not the one %s certifies", cert), AUTHD_E_CONFIG;
    return e ? snprintf(err, err_cap, "%s", certlib_strerror(e)), AUTHD_E_CONFIG : AUTHD_OK;
}

static authd_err load_keys(struct authd_server *s, char *err, size_t err_cap)
{
    const struct authd_config *c = s->config;
    authd_p11_default_module(c->pkcs11_module);
    s->issuers = calloc(c->signer_count ? c->signer_count : 1, sizeof(*s->issuers));
    if (!s->issuers) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    for (size_t i = 0; i < c->signer_count; i++) {
        const struct authd_signer_config *sc = &c->signers[i];
        struct authd_issuer_keys *k = &s->issuers[s->n_issuers++];
        char why[512];
        authd_err rc = open_signer(sc->key, sc->certificate, &k->signer, &k->devices[0], why, sizeof(why));
        if (!rc)
            rc = open_signer(sc->status_key, sc->status_certificate, &k->status_signer, &k->devices[1], why,
                             sizeof(why));
        if (rc) return snprintf(err, err_cap, "signers[%zu] (%s): %s", i, sc->issuer_code, why), rc;
        /* The licence's issuer code is the certificate's: a mismatch would issue in someone else's name. */
        if (strcmp(certlib_signer_issuer_code(k->signer), sc->issuer_code) != 0)
            return snprintf(err, err_cap, "signers[%zu]: the certificate is %s's, not %s's", i,
                            certlib_signer_issuer_code(k->signer), sc->issuer_code),
                   AUTHD_E_CONFIG;
        snprintf(k->issuer_code, sizeof(k->issuer_code), "%s", sc->issuer_code);
    }
    return AUTHD_OK;
}

static authd_err load_readers(struct authd_server *s, char *err, size_t err_cap)
{
    const struct authd_config *c = s->config;
    if (!c->reader_count) return AUTHD_OK;
    if (!(s->readers = calloc(c->reader_count, sizeof(*s->readers))))
        return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    for (size_t i = 0; i < c->reader_count; i++) {
        const struct authd_reader_config *rc = &c->readers[i];
        if (!certlib_counter_id_valid(rc->client, strlen(rc->client)))
            return snprintf(err, err_cap, "readers[%zu]: '%.64s' is not a counter id", i, rc->client),
                   AUTHD_E_CONFIG;
        char why[512];
        struct authd_server_reader *r = &s->readers[s->n_readers++];
        authd_err e = authd_reader_key_load(rc->key, rc->certificate, &r->key, why, sizeof(why));
        if (e) return snprintf(err, err_cap, "readers[%zu] (%s): %s", i, rc->client, why), e;
        snprintf(r->client, sizeof(r->client), "%s", rc->client);
    }
    return AUTHD_OK;
}

const struct authd_reader_key *authd_server_reader(const struct authd_server *s, const char *client)
{
    for (size_t i = 0; i < s->n_readers; i++)
        if (strcmp(s->readers[i].client, client) == 0) return s->readers[i].key;
    return NULL;
}

static authd_err load_trust(struct authd_server *s, char *err, size_t err_cap)
{
    struct authd_trust *trust;
    authd_err rc = authd_trust_load(s->config->trust_bundle, &trust, err, err_cap);
    if (rc) return rc;
    if (!(s->trust = authd_held_new(trust, authd_trust_free))) {
        authd_trust_free(trust);
        return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    }
    return AUTHD_OK;
}

static authd_err open_backend(const struct authd_config *c, const struct authd_record_keys *keys, bool create,
                              struct authd_storage **out, char *err, size_t err_cap)
{
    if (c->store_backend == AUTHD_STORE_POSTGRESQL) {
        /* readers: every worker, the status lists' follower and the challenge routes at once */
        const struct authd_postgres_options pg = {.conninfo = c->pg_conninfo,
                                                  .passfile = c->pg_passfile,
                                                  .pool_size =
                                                      c->pg_pool_size ? c->pg_pool_size : c->workers + 4,
                                                  .create = create};
        return authd_storage_open_postgres(&pg, out, err, err_cap);
    }
    const struct authd_lmdb_options lmdb = {
        .dir = c->data_dir, .map_bytes = c->lmdb_map_bytes, .keys = keys, .create = create};
    return authd_storage_open_lmdb(&lmdb, out, err, err_cap);
}

/* The cipher suite of the store's records: the one recorded when it was created (a store from before
 * the setting existed: XChaCha20), recorded now for a store being created. store.cipher, when given, must
 * be the store's: records of one suite do not open under the other. */
static authd_err use_store_cipher(const struct authd_config *c, struct authd_storage *s,
                                  struct authd_record_keys *keys, bool create, char *err, size_t err_cap)
{
    int64_t v = 0;
    authd_err rc = s->ops->setting_get(s, "cipher", &v);
    if (rc == AUTHD_E_NOT_FOUND) {
        struct authd_storage_stats st;
        bool empty = s->ops->stats(s, &st) == AUTHD_OK && !st.records && !st.log_size[0] && !st.log_size[1];
        v = create && empty && c->store_cipher ? c->store_cipher : AUTHD_CIPHER_XCHACHA20;
        rc = create && empty ? s->ops->setting_put(s, "cipher", v) : AUTHD_OK;
    }
    if (rc)
        return snprintf(err, err_cap, "the store's cipher cannot be read or recorded (%s)",
                        authd_err_name(rc)),
               rc;
    if (v != AUTHD_CIPHER_XCHACHA20 && v != AUTHD_CIPHER_SM4)
        return snprintf(err, err_cap, "the store records an unknown cipher (%lld)", (long long)v),
               AUTHD_E_SCHEMA;
    if (c->store_cipher && c->store_cipher != v)
        return snprintf(
                   err, err_cap,
                   "store.cipher is %s, but the store was created with %s (a store keeps the cipher it was "
                   "created with)",
                   authd_cipher_name((enum authd_cipher)c->store_cipher),
                   authd_cipher_name((enum authd_cipher)v)),
               AUTHD_E_CONFIG;
    if (keys) authd_record_keys_use(keys, (enum authd_cipher)v);
    return AUTHD_OK;
}

authd_err authd_store_open(const struct authd_config *c, struct authd_record_keys *keys, bool create,
                           struct authd_storage **out, char *err, size_t err_cap)
{
    authd_err rc = open_backend(c, keys, create, out, err, err_cap);
    if (!rc && (rc = use_store_cipher(c, *out, keys, create, err, err_cap)) != AUTHD_OK) {
        authd_storage_close(*out);
        *out = NULL;
    }
    return rc;
}

authd_err authd_logs_open(const struct authd_config *c, struct authd_storage *storage,
                          struct authd_log *logs[AUTHD_LOG_COUNT], char *err, size_t err_cap)
{
    static const char *const names[AUTHD_LOG_COUNT] = {"signatures", "access"};
    authd_p11_default_module(c->pkcs11_module); /* log keys may be in a token (authd init opens them first) */
    const struct authd_log_config *lc[AUTHD_LOG_COUNT] = {&c->sig_log, &c->access_tlog};
    for (int l = 0; l < AUTHD_LOG_COUNT; l++) {
        char path[4096];
        authd_err rc =
            authd_log_open(storage, (enum authd_log_id)l, lc[l]->origin, lc[l]->key, &logs[l], err, err_cap);
        if (!rc) rc = authd_log_state_path(c->state_dir, names[l], path, sizeof(path), err, err_cap);
        if (!rc) rc = authd_log_state_check(logs[l], path, c->allow_rollback, err, err_cap);
        if (rc) return rc;
        authd_log_keep_state(logs[l], path);
    }
    return AUTHD_OK;
}

static authd_err open_store(struct authd_server *s, char *err, size_t err_cap)
{
    const struct authd_config *c = s->config;
    authd_err rc = authd_data_key_load(c, &s->keys, err, err_cap);
    if (rc) return rc;
    if (!s->storage && (rc = authd_store_open(c, s->keys, false, &s->storage, err, err_cap))) return rc;
    return authd_logs_open(c, s->storage, s->logs, err, err_cap);
}

static authd_err start_status_lists(struct authd_server *s, uint64_t *followed, char *err, size_t err_cap)
{
    const struct authd_config *c = s->config;
    s->statuslists = authd_statuslists_new(c->status_list_size, c->status_ttl, c->public_url, s->trust);
    if (!s->statuslists) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    for (size_t i = 0; i < s->n_issuers; i++)
        if (authd_statuslists_add_issuer(s->statuslists, s->issuers[i].issuer_code,
                                         s->issuers[i].status_signer) != 0)
            return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    const struct authd_trust *trust = authd_held_current(s->trust);
    if (authd_statuslists_probe(s->statuslists, trust->bundle, trust->len, err, err_cap) != 0)
        return AUTHD_E_CONFIG;
    if (s->storage->ops->shared) { /* indices from the store's counters: unique across its nodes */
        uint8_t key[32];
        authd_record_list_key(s->keys, key);
        authd_statuslists_share(s->statuslists, s->storage, key);
        sodium_memzero(key, sizeof(key));
    }
    /* What other nodes do from now on reaches the lists through the log, from this entry on. */
    authd_err rc = s->storage->ops->log_size(s->storage, AUTHD_LOG_SIGNATURES, followed);
    if (rc) return snprintf(err, err_cap, "the signature log cannot be read: %s", authd_err_name(rc)), rc;
    /* The statuses are checked against the signature log before any list is built from them. */
    rc = authd_status_check(s->storage, s->keys, s->logs[AUTHD_LOG_SIGNATURES], err, err_cap);
    if (rc) return rc;
    return authd_statuslists_rebuild(s->statuslists, s->storage, s->keys, err, err_cap);
}

static void destroy_policy(void *p)
{
    authd_policy_free(p);
    free(p);
}

/* policies_dir loaded and checked whole, into a new struct (at start, and on SIGHUP). */
static authd_err policy_new(const char *dir, struct authd_policy **out, char *err, size_t err_cap)
{
    if (!(*out = calloc(1, sizeof(**out)))) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    if (authd_policy_load(*out, dir, err, err_cap) == 0) return AUTHD_OK;
    free(*out);
    *out = NULL;
    return AUTHD_E_CONFIG;
}

authd_err authd_services_start(struct authd_server *s, char *err, size_t err_cap)
{
    const struct authd_config *c = s->config;
    struct authd_policy *policy;
    authd_err rc = policy_new(c->policies_dir, &policy, err, err_cap);
    if (rc) return rc;
    if (!(s->policies = authd_held_new(policy, destroy_policy))) {
        destroy_policy(policy);
        return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    }
    rc = load_keys(s, err, err_cap);
    if (!rc) rc = load_readers(s, err, err_cap);
    if (!rc) rc = load_trust(s, err, err_cap);
    if (rc) return rc;
    size_t n_routes;
    const char *const *routes = authd_route_patterns(&n_routes);
    if (!(s->metrics = authd_metrics_new(routes, n_routes)))
        return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    authd_accesslog_set_metrics(s->accesslog, s->metrics);
    if (!(s->admission = authd_admission_new(c, s->metrics)))
        return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    uint64_t followed = 0;
    /* Start-up reads the whole store: every log's border, every record's status. */
    bool mapped = c->store_backend == AUTHD_STORE_LMDB && !s->storage;
    if (mapped) authd_store_guard_begin("opening it at start-up");
    rc = open_store(s, err, err_cap);
    if (!rc) rc = start_status_lists(s, &followed, err, err_cap);
    if (mapped) authd_store_guard_end();
    if (rc) return rc;
    if (!(s->challenges = authd_challenges_new(c->challenge_capacity, c->challenge_per_counter,
                                               c->challenge_ttl, s->storage)))
        return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    if (!(s->requests = authd_requests_new(c->request_capacity, s->storage)))
        return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    if ((rc = authd_witness_open(c, &s->witness, err, err_cap))) return rc;
    if ((rc = authd_witnessing_start(c, s->logs, s->metrics, &s->witnessing, err, err_cap))) return rc;
    if (!(s->writer =
              authd_writer_start(s->storage, s->logs, c->writer_max_batch, c->writer_commit_delay_us,
                                 c->writer_commit_fill, s->metrics, authd_admission_in_flight, s->admission)))
        return snprintf(err, err_cap, "cannot start the writer thread"), AUTHD_E_INTERNAL;
    if (!(s->holder_reads = authd_holder_reads_start(s->storage, s->keys, s->metrics)))
        return snprintf(err, err_cap, "cannot start the holder-reading thread"), AUTHD_E_INTERNAL;
    if (s->storage->ops->shared &&
        !(s->peers = authd_peers_start(s->storage, s->logs, s->statuslists, followed, PEERS_PERIOD_MS)))
        return snprintf(err, err_cap, "cannot start the thread following other nodes"), AUTHD_E_INTERNAL;
    if ((rc = authd_federation_start(s, &s->federation, err, err_cap))) return rc;
    return AUTHD_OK;
}

/* A new trust bundle goes in force only if it accepts authd's own status lists, and with every list
 * signed so far in its context: fed once before it is in force, and once after, for a list the signing
 * thread installed in between (statuslists.c gives each new list to the bundle in force). */
static void reload_trust(struct authd_server *s)
{
    char err[1024];
    struct authd_trust *fresh;
    if (authd_trust_load(s->config->trust_bundle, &fresh, err, sizeof(err)) != AUTHD_OK) {
        fprintf(stderr, "authd: SIGHUP: %s; the trust bundle in force stays\n", err);
        return;
    }
    if (authd_statuslists_probe(s->statuslists, fresh->bundle, fresh->len, err, sizeof(err)) != 0 ||
        authd_statuslists_feed(s->statuslists, fresh->ctx) != 0) {
        fprintf(stderr, "authd: SIGHUP: trust_bundle %s: %s; the trust bundle in force stays\n",
                s->config->trust_bundle, err[0] ? err : "out of memory");
        authd_trust_free(fresh);
        return;
    }
    if (authd_held_replace(s->trust, fresh) != 0) {
        fprintf(stderr, "authd: SIGHUP: out of memory; the trust bundle in force stays\n");
        return;
    }
    struct authd_trust *now;
    struct authd_held_ref *ref = authd_held_acquire(s->trust, (void **)&now);
    if (authd_statuslists_feed(s->statuslists, now->ctx) != 0)
        fprintf(stderr,
                "authd: SIGHUP: a status list could not be given to the new verifier (out of memory)\n");
    authd_held_release(ref);
    fprintf(stderr, "authd: SIGHUP: trust bundle reloaded (%zu bytes)\n", now->len);
}

static void reload_policies(struct authd_server *s)
{
    char err[1024];
    struct authd_policy *fresh;
    if (policy_new(s->config->policies_dir, &fresh, err, sizeof(err)) != AUTHD_OK) {
        fprintf(stderr, "authd: SIGHUP: %s; the policies in force stay\n", err);
        return;
    }
    size_t types = fresh->n_types, matters = fresh->n_matters, clients = fresh->n_clients;
    if (authd_held_replace(s->policies, fresh) != 0)
        fprintf(stderr, "authd: SIGHUP: out of memory; the policies in force stay\n");
    else
        fprintf(stderr, "authd: SIGHUP: policies reloaded: %zu licence types, %zu matters, %zu clients\n",
                types, matters, clients);
}

void authd_services_reload(struct authd_server *s)
{
    char err[1024];
    if (authd_accesslog_reopen(s->accesslog, err, sizeof(err)) != 0)
        fprintf(stderr, "authd: SIGHUP: %s\n", err);
    reload_policies(s);
    reload_trust(s);
    atomic_fetch_add(&s->reloads, 1); /* after both: the trust list is re-signed once, over both */
}

void authd_services_stop(struct authd_server *s)
{
    authd_federation_stop(s->federation);
    authd_witnessing_stop(s->witnessing);
    authd_peers_stop(s->peers);
    authd_holder_reads_stop(s->holder_reads); /* before the writer: a lookup read goes on to a write */
    authd_writer_stop(s->writer);
    authd_statuslists_free(s->statuslists); /* after the writer: its last status changes are signed */
    authd_challenges_free(s->challenges);
    authd_requests_free(s->requests);
    for (size_t i = 0; i < s->n_readers; i++)
        authd_reader_key_free(s->readers[i].key);
    free(s->readers);
    authd_witness_close(s->witness);
    for (int l = 0; l < AUTHD_LOG_COUNT; l++)
        authd_log_close(s->logs[l]);
    authd_storage_close(s->storage);
    authd_record_keys_free(s->keys);
    authd_admission_free(s->admission);
    authd_metrics_free(s->metrics);
    authd_held_free(s->trust);
    for (size_t i = 0; i < s->n_issuers; i++) {
        certlib_signer_free(s->issuers[i].signer);
        certlib_signer_free(s->issuers[i].status_signer);
        for (int d = 0; d < 2; d++)
            if (s->issuers[i].devices[d].key) s->issuers[i].devices[d].close(s->issuers[i].devices[d].key);
    }
    free(s->issuers);
    authd_held_free(s->policies);
}
