/* Publishing this authd's signed trust list (trust_list_pub.h). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "held.h"
#include "policy.h"
#include "server.h"
#include "tlog.h"
#include "trust_bundle.h"
#include "trust_list_pub.h"

struct authd_trust_list_pub {
    const struct authd_federation_config *config;
    certlib_signer *signer;
    char seq_path[PATH_MAX];
    uint64_t sequence; /* the last one used (recorded) */
    struct authd_held *current;
};

static void signed_list_free(void *arg)
{
    struct authd_signed_list *l = arg;
    if (!l) return;
    free(l->bytes);
    free(l);
}

static authd_err read_sequence(struct authd_trust_list_pub *p, char *err, size_t err_cap)
{
    FILE *f = fopen(p->seq_path, "r");
    if (!f) {
        if (errno == ENOENT) return p->sequence = 0, AUTHD_OK;
        return snprintf(err, err_cap, "%s: %s", p->seq_path, strerror(errno)), AUTHD_E_IO;
    }
    char text[32] = "", *end;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || (*end && *end != '\n') || errno || v >= (1ULL << 53))
        return snprintf(err, err_cap, "%s: not a sequence number", p->seq_path), AUTHD_E_CORRUPT;
    p->sequence = v;
    return AUTHD_OK;
}

authd_err authd_trust_list_pub_new(const struct authd_config *c, struct authd_trust_list_pub **out, char *err,
                                   size_t err_cap)
{
    *out = NULL;
    const struct authd_federation_config *f = &c->federation;
    struct authd_trust_list_pub *p = calloc(1, sizeof(*p));
    if (!p || !(p->current = authd_held_new(NULL, signed_list_free))) {
        free(p);
        return AUTHD_E_NOMEM;
    }
    p->config = f;
    certlib_err e = certlib_signer_load(f->trust_list_key, f->trust_list_certificate, &p->signer);
    authd_err rc = AUTHD_OK;
    if (e) {
        snprintf(err, err_cap, "federation.trust_list: %s", certlib_strerror(e));
        rc = AUTHD_E_CONFIG;
    }
    if (!rc &&
        authd_state_file(c->state_dir, "trust-list.sequence", p->seq_path, sizeof(p->seq_path), err, err_cap))
        rc = AUTHD_E_IO;
    if (!rc) rc = read_sequence(p, err, err_cap);
    if (rc) {
        authd_trust_list_pub_free(p);
        return rc;
    }
    *out = p;
    return AUTHD_OK;
}

void authd_trust_list_pub_free(struct authd_trust_list_pub *p)
{
    if (!p) return;
    certlib_signer_free(p->signer);
    authd_held_free(p->current);
    free(p);
}

/* The matters catalogue: local code, shared code, the types each needs. */
static json_t *matters_json(const struct authd_policy *policy)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < policy->n_matters; i++) {
        const struct authd_matter *m = &policy->matters[i];
        json_t *types = json_array(), *o = json_object();
        for (size_t k = 0; types && k < m->n_needs; k++)
            json_array_append_new(types, json_string(m->needs[k].type->code));
        json_object_set_new(o, "code", json_string(m->code));
        if (m->shared_code) json_object_set_new(o, "shared_code", json_string(m->shared_code));
        json_object_set_new(o, "licence_types", types);
        json_array_append_new(arr, o);
    }
    return arr;
}

static char *payload(const struct authd_trust_list_pub *p, const struct authd_server *s,
                     const struct authd_trust *trust, const struct authd_policy *policy, uint64_t sequence,
                     int64_t now, char *err, size_t err_cap)
{
    json_error_t jerr;
    json_t *bundle = json_loadb((const char *)trust->bundle, trust->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!bundle) return snprintf(err, err_cap, "the trust bundle: %s", jerr.text), NULL;
    json_t *doc = json_object(), *logs = json_object();
    json_object_set_new(doc, "trust_list", json_integer(1));
    json_object_set_new(doc, "issuer", json_string(p->config->name));
    json_object_set_new(doc, "sequence", json_integer((json_int_t)sequence));
    json_object_set_new(doc, "issued", json_integer(now));
    json_object_set_new(doc, "expires", json_integer(now + p->config->trust_list_validity));
    json_object_set_new(doc, "bundle", bundle);
    json_object_set_new(logs, "signatures", json_string(authd_log_vkey(s->logs[AUTHD_LOG_SIGNATURES])));
    json_object_set_new(logs, "access", json_string(authd_log_vkey(s->logs[AUTHD_LOG_ACCESS])));
    json_object_set_new(doc, "logs", logs);
    json_object_set_new(doc, "matters", matters_json(policy));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text) snprintf(err, err_cap, "out of memory");
    return text;
}

authd_err authd_trust_list_pub_refresh(struct authd_trust_list_pub *p, const struct authd_server *s,
                                       int64_t now, char *err, size_t err_cap)
{
    unsigned reloads = atomic_load(&s->reloads); /* before reading what the reloads put in force */
    void *trust_obj, *policy_obj, *cur_obj;
    struct authd_held_ref *cr = authd_held_acquire(p->current, &cur_obj);
    const struct authd_signed_list *cur = cur_obj;
    bool due =
        !cur || cur->reloads != reloads || now - cur->issued >= (int64_t)p->config->trust_list_validity / 2;
    authd_held_release(cr);
    if (!due) return AUTHD_OK;
    struct authd_held_ref *tr = authd_held_acquire(s->trust, &trust_obj);
    struct authd_held_ref *pr = authd_held_acquire(s->policies, &policy_obj);
    authd_err rc = AUTHD_OK;
    char *text = NULL;
    struct authd_signed_list *fresh = NULL;
    uint64_t sequence = p->sequence + 1;
    if (!(text = payload(p, s, trust_obj, policy_obj, sequence, now, err, err_cap))) {
        rc = AUTHD_E_CONFIG;
        goto done;
    }
    if (!(fresh = calloc(1, sizeof(*fresh)))) {
        rc = AUTHD_E_NOMEM;
        goto done;
    }
    char why[256] = "";
    certlib_err e = certlib_trust_list_sign(p->signer, (const uint8_t *)text, strlen(text), &fresh->bytes,
                                            &fresh->len, why, sizeof(why));
    if (e) {
        snprintf(err, err_cap, "the trust list: %s", why[0] ? why : certlib_strerror(e));
        rc = AUTHD_E_CONFIG;
        goto done;
    }
    /* The number is spent before anyone sees the list: a crash now skips it, never repeats it. */
    char num[32];
    int n = snprintf(num, sizeof(num), "%" PRIu64 "\n", sequence);
    if (authd_write_file_atomic(p->seq_path, num, (size_t)n) != 0) {
        snprintf(err, err_cap, "%s: %s", p->seq_path, strerror(errno));
        rc = AUTHD_E_IO;
        goto done;
    }
    p->sequence = sequence;
    fresh->issued = now;
    fresh->reloads = reloads;
    if (authd_held_replace(p->current, fresh) != 0) rc = AUTHD_E_NOMEM;
    fresh = NULL; /* the holder's now, or destroyed */
done:
    signed_list_free(fresh);
    free(text);
    authd_held_release(pr);
    authd_held_release(tr);
    return rc;
}

const struct authd_signed_list *authd_trust_list_pub_hold(struct authd_trust_list_pub *p,
                                                          h2o_mem_pool_t *pool)
{
    return authd_held_hold(p->current, pool);
}
