/* In-memory status lists behind one mutex: reservations are a few random probes under it. Signing (a
 * 2-bit array compressed with zlib: milliseconds for a list of a million) happens on the signing
 * thread, on a snapshot taken under the lock, so reservations never wait for it. */
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "held.h"
#include "licences.h"
#include "monotonic.h"
#include "statuslists_internal.h"
#include "thread_name.h"
#include "trust_bundle.h"

struct authd_statuslists *authd_statuslists_new(uint32_t list_size, uint32_t ttl, const char *public_url,
                                                struct authd_held *trust)
{
    struct authd_statuslists *s = calloc(1, sizeof(*s));
    if (!s || !(s->public_url = strdup(public_url))) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    authd_cond_init_monotonic(&s->wake);
    pthread_cond_init(&s->drained, NULL);
    s->size = list_size;
    s->ttl = ttl;
    s->trust = trust;
    return s;
}

void authd_statuslists_free(struct authd_statuslists *s)
{
    if (!s) return;
    if (s->running) {
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
    }
    while (s->waiting) { /* registered, never started (no rebuild): nothing will call them back */
        struct waiter *w = s->waiting;
        s->waiting = w->next;
        free(w);
    }
    for (size_t i = 0; i < s->n_lists; i++) {
        free(s->lists[i].used);
        certlib_status_list_free(s->lists[i].bits);
        certlib_free(s->lists[i].cwt);
    }
    free(s->lists);
    free(s->issuers);
    authd_list_permutation_wipe(&s->perm);
    free(s->public_url);
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->drained);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int authd_statuslists_add_issuer(struct authd_statuslists *s, const char *issuer_code,
                                 const certlib_signer *signer)
{
    struct issuer *grown = realloc(s->issuers, (s->n_issuers + 1) * sizeof(*grown));
    if (!grown || strlen(issuer_code) != AUTHD_ISSUER_CODE_LEN) return -1;
    s->issuers = grown;
    struct issuer *is = &s->issuers[s->n_issuers++];
    *is = (struct issuer){.signer = signer, .current = 1};
    memcpy(is->code, issuer_code, sizeof(is->code));
    return 0;
}

void authd_statuslists_uri(const struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                           char *out, size_t cap)
{
    char id[AUTHD_LIST_ID_MAX];
    authd_status_list_id(issuer_code, list_no, id);
    snprintf(out, cap, "%s/v1/status/%s", s->public_url, id);
}

struct issuer *authd_statuslists_issuer(struct authd_statuslists *s, const char *code)
{
    for (size_t i = 0; i < s->n_issuers; i++)
        if (strcmp(s->issuers[i].code, code) == 0) return &s->issuers[i];
    return NULL;
}

struct list *authd_statuslists_find(struct authd_statuslists *s, const char *code, uint32_t no)
{
    for (size_t i = 0; i < s->n_lists; i++)
        if (s->lists[i].no == no && strcmp(s->lists[i].issuer_code, code) == 0) return &s->lists[i];
    return NULL;
}

struct list *authd_statuslists_list_of(struct authd_statuslists *s, const char *code, uint32_t no)
{
    struct list *l = authd_statuslists_find(s, code, no);
    if (l) return l;
    if (s->n_lists == s->cap_lists) {
        size_t cap = s->cap_lists ? s->cap_lists * 2 : 8;
        struct list *grown = realloc(s->lists, cap * sizeof(*grown));
        if (!grown) return NULL;
        s->lists = grown;
        s->cap_lists = cap;
    }
    l = &s->lists[s->n_lists];
    memset(l, 0, sizeof(*l));
    memcpy(l->issuer_code, code, sizeof(l->issuer_code));
    l->no = no;
    l->used = calloc(s->size / 8, 1);
    if (!l->used || certlib_status_list_new(s->size, 2, &l->bits) != CERTLIB_OK) {
        free(l->used);
        return NULL;
    }
    l->version = 1; /* never signed */
    s->n_lists++;
    pthread_cond_signal(&s->wake);
    return l;
}

/* ---- signing ---- */

/* Changed, never signed, or half a ttl old: verifiers stop trusting a list ttl seconds after they fetched
 * it, so a counter fetching it gets at least half a ttl of use. */
static bool stale(const struct authd_statuslists *s, const struct list *l, int64_t now)
{
    return l->cwt_version != l->version || !l->cwt || now - l->cwt_iat >= (int64_t)(s->ttl + 1) / 2;
}

/* A list to sign, taken under the lock and signed without it. */
struct snapshot {
    size_t list;
    certlib_status_list *bits;
    uint64_t version;
    const certlib_signer *signer;
    char issuer_code[AUTHD_ISSUER_CODE_LEN + 1];
    uint32_t no;
};

/* Signs a snapshot (no lock held) and installs the token if no newer one got there first. */
static void sign_snapshot(struct authd_statuslists *s, struct snapshot *snap, int64_t now)
{
    uint8_t *fresh;
    size_t fresh_len;
    char uri[512];
    authd_statuslists_uri(s, snap->issuer_code, snap->no, uri, sizeof(uri));
    certlib_err err = certlib_status_list_sign(snap->bits, snap->signer, uri, now, now + (int64_t)s->ttl * 10,
                                               s->ttl, &fresh, &fresh_len);
    if (err) {
        fprintf(stderr, "authd: status list %s could not be signed: %s\n", uri, certlib_err_name(err));
        return;
    }
    /* Installed first, then given to the verifier in force: a trust bundle put in force meanwhile is fed
     * every installed list after it is in force (authd_statuslists_feed), so neither misses this one. A
     * copy goes to the verifier: another signing (a worker's, for a list just opened) may replace and
     * free the installed bytes as soon as the lock is let go. */
    pthread_mutex_lock(&s->lock);
    struct list *l = &s->lists[snap->list];
    uint8_t *copy = NULL;
    bool installed = snap->version >= l->cwt_version;
    if (installed) {
        certlib_free(l->cwt);
        l->cwt = fresh;
        l->cwt_len = fresh_len;
        l->cwt_iat = now;
        l->cwt_version = snap->version;
        if (s->trust && (copy = malloc(fresh_len))) memcpy(copy, fresh, fresh_len);
        fresh = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    certlib_free(fresh);
    if (copy) {
        /* Our own freshly signed list: the context can only refuse it for lack of memory (the trust
         * bundle was probed with these signers). */
        struct authd_trust *trust;
        struct authd_held_ref *ref = authd_held_acquire(s->trust, (void **)&trust);
        if (certlib_ctx_add_status_list(trust->ctx, copy, fresh_len) != CERTLIB_OK)
            fprintf(stderr, "authd: status list %s could not be given to the verifier\n", uri);
        authd_held_release(ref);
        free(copy);
    } else if (s->trust && installed) {
        fprintf(stderr, "authd: status list %s could not be given to the verifier (out of memory)\n", uri);
    }
}

/* Snapshots every stale list. Caller holds the lock; *snaps is malloc'd. */
static size_t take_snapshots(struct authd_statuslists *s, int64_t now, struct snapshot **snaps)
{
    size_t n = 0;
    *snaps = NULL;
    for (size_t i = 0; i < s->n_lists; i++) {
        struct list *l = &s->lists[i];
        struct issuer *is = authd_statuslists_issuer(s, l->issuer_code);
        if (!is || !stale(s, l, now)) continue;
        struct snapshot *grown = realloc(*snaps, (n + 1) * sizeof(*grown));
        if (!grown) break;
        *snaps = grown;
        struct snapshot *snap = &(*snaps)[n];
        if (certlib_status_list_dup(l->bits, &snap->bits) != CERTLIB_OK) break;
        snap->list = i;
        snap->version = l->version;
        snap->signer = is->signer;
        memcpy(snap->issuer_code, l->issuer_code, sizeof(snap->issuer_code));
        snap->no = l->no;
        n++;
    }
    return n;
}

/* One pass: every stale list signed, then the status changes it covers called back. */
static void sign_pass(struct authd_statuslists *s)
{
    int64_t now = (int64_t)time(NULL);
    struct snapshot *snaps;
    pthread_mutex_lock(&s->lock);
    struct waiter *covered = s->waiting;
    s->waiting = NULL;
    size_t n = take_snapshots(s, now, &snaps);
    pthread_mutex_unlock(&s->lock);
    for (size_t i = 0; i < n; i++) {
        sign_snapshot(s, &snaps[i], now);
        certlib_status_list_free(snaps[i].bits);
    }
    free(snaps);
    size_t called = 0;
    while (covered) {
        struct waiter *w = covered;
        covered = w->next;
        w->cb(w->arg);
        free(w);
        called++;
    }
    if (called) {
        pthread_mutex_lock(&s->lock);
        s->n_waiting -= called;
        if (!s->n_waiting) pthread_cond_broadcast(&s->drained);
        pthread_mutex_unlock(&s->lock);
    }
}

static void *signer_main(void *arg)
{
    struct authd_statuslists *s = arg;
    long period = s->ttl >= 8 ? (long)s->ttl / 4 : 1; /* seconds between looks at the lists' age */
    for (;;) {
        pthread_mutex_lock(&s->lock);
        if (!s->waiting && !s->stopping) {
            struct timespec until = authd_deadline_ns(period * 1000000000LL);
            pthread_cond_timedwait(&s->wake, &s->lock, &until);
        }
        bool stop = s->stopping && !s->waiting;
        pthread_mutex_unlock(&s->lock);
        if (stop) break;
        sign_pass(s);
    }
    return NULL;
}

int authd_statuslists_feed(struct authd_statuslists *s, certlib_ctx *ctx)
{
    int rc = 0;
    pthread_mutex_lock(&s->lock); /* the signing thread replaces a list's bytes under it */
    for (size_t i = 0; i < s->n_lists && rc == 0; i++)
        if (s->lists[i].cwt &&
            certlib_ctx_add_status_list(ctx, s->lists[i].cwt, s->lists[i].cwt_len) != CERTLIB_OK)
            rc = -1;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---- start-up ---- */

int authd_statuslists_probe(struct authd_statuslists *s, const uint8_t *bundle, size_t len, char *err,
                            size_t err_cap)
{
    certlib_ctx *ctx = NULL;
    certlib_status_list *list = NULL;
    int rc = -1;
    if (certlib_ctx_new(&ctx) != CERTLIB_OK || certlib_ctx_load_trust(ctx, bundle, len) != CERTLIB_OK ||
        certlib_status_list_new(8, 2, &list) != CERTLIB_OK) {
        snprintf(err, err_cap, "status lists: cannot set up the probe");
        goto done;
    }
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < s->n_issuers; i++) {
        char uri[512];
        uint8_t *cwt = NULL;
        size_t cwt_len;
        authd_statuslists_uri(s, s->issuers[i].code, 1, uri, sizeof(uri));
        certlib_err e = certlib_status_list_sign(list, s->issuers[i].signer, uri, now, now + s->ttl, s->ttl,
                                                 &cwt, &cwt_len);
        if (!e) e = certlib_ctx_add_status_list_at(ctx, cwt, cwt_len, now, 0);
        certlib_free(cwt);
        if (e) {
            snprintf(err, err_cap, "the trust bundle refuses issuer %s's status lists at %s: %s (%s)",
                     s->issuers[i].code, uri, certlib_err_name(e), certlib_strerror(e));
            goto done;
        }
    }
    rc = 0;
done:
    certlib_status_list_free(list);
    certlib_ctx_free(ctx);
    return rc;
}

static int mark(void *arg, const char *id, size_t id_len, const struct authd_licence_meta *m,
                uint64_t log_index)
{
    (void)id, (void)id_len, (void)log_index;
    struct authd_statuslists *s = arg;
    struct list *l = authd_statuslists_list_of(s, m->issuer_code, m->list_no);
    if (!l) return AUTHD_E_NOMEM;
    if (m->status_idx >= s->size) return AUTHD_E_CONFIG;
    list_mark(l, m->status_idx);
    if (certlib_status_list_set(l->bits, m->status_idx, m->status) != CERTLIB_OK) return AUTHD_E_CORRUPT;
    struct issuer *is = authd_statuslists_issuer(s, m->issuer_code);
    if (is && m->list_no > is->current) is->current = m->list_no;
    return AUTHD_OK;
}

authd_err authd_statuslists_rebuild(struct authd_statuslists *s, struct authd_storage *storage,
                                    const struct authd_record_keys *keys, char *err, size_t err_cap)
{
    pthread_mutex_lock(&s->lock);
    authd_err rc = authd_licence_each(storage, keys, mark, s);
    pthread_mutex_unlock(&s->lock);
    if (rc) {
        snprintf(err, err_cap, "rebuilding the status lists from the store failed: %s%s", authd_err_name(rc),
                 rc == AUTHD_E_CONFIG ? " (an index past the configured status.list_size)" : "");
        return rc;
    }
    sign_pass(s); /* the verification context has every list before the first request */
    if (pthread_create(&s->thread, NULL, signer_main, s) != 0) {
        snprintf(err, err_cap, "cannot start the status-list signing thread");
        return AUTHD_E_INTERNAL;
    }
    authd_thread_name(s->thread, "lists");
    s->running = true;
    return AUTHD_OK;
}

/* ---- changes ---- */

void authd_statuslists_set(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                           uint32_t idx, unsigned status, void (*signed_cb)(void *arg), void *arg)
{
    struct waiter *w = signed_cb ? malloc(sizeof(*w)) : NULL;
    pthread_mutex_lock(&s->lock);
    struct list *l = authd_statuslists_find(s, issuer_code, list_no);
    if (l) list_set_status(l, idx, status);
    if (w) {
        *w = (struct waiter){signed_cb, arg, s->waiting};
        s->waiting = w;
        s->n_waiting++;
    }
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    if (signed_cb && !w) signed_cb(arg); /* out of memory: answer without waiting rather than never */
}

void authd_statuslists_await(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                             void (*signed_cb)(void *arg), void *arg)
{
    struct waiter *w = malloc(sizeof(*w));
    pthread_mutex_lock(&s->lock);
    const struct list *l = authd_statuslists_find(s, issuer_code, list_no);
    bool wait = !(l && l->cwt) && w;
    if (wait) {
        *w = (struct waiter){signed_cb, arg, s->waiting};
        s->waiting = w;
        s->n_waiting++;
        pthread_cond_signal(&s->wake);
    }
    pthread_mutex_unlock(&s->lock);
    if (!wait) {
        free(w);
        signed_cb(arg); /* signed already; or out of memory, and answering beats never answering */
    }
}

void authd_statuslists_drain(struct authd_statuslists *s)
{
    if (!s) return;
    pthread_mutex_lock(&s->lock);
    while (s->n_waiting && s->running)
        pthread_cond_wait(&s->drained, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

/* ---- serving ---- */

int authd_statuslists_token(struct authd_statuslists *s, const char *id, size_t id_len, uint8_t **cwt,
                            size_t *len)
{
    char code[AUTHD_ISSUER_CODE_LEN + 1];
    uint32_t no;
    if (!authd_status_list_id_parse(id, id_len, code, &no)) return -1;

    int rc = -1;
    pthread_mutex_lock(&s->lock);
    struct issuer *is = authd_statuslists_issuer(s, code);
    struct list *l = is ? authd_statuslists_find(s, code, no) : NULL;
    if (!l && is && no <= is->current)
        l = authd_statuslists_list_of(s, code, no); /* announced but still empty */
    bool unsigned_yet = l && !l->cwt;
    pthread_mutex_unlock(&s->lock);
    if (unsigned_yet) sign_pass(s); /* a list just opened, asked for before the thread came by: once */
    pthread_mutex_lock(&s->lock);
    if (l && (l = authd_statuslists_find(s, code, no)) && l->cwt && (*cwt = malloc(l->cwt_len))) {
        memcpy(*cwt, l->cwt, l->cwt_len);
        *len = l->cwt_len;
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
