/* In-memory status lists behind one mutex: reservations are a few random probes, and signing a list
 * (a 2-bit array compressed with zlib) happens only on a fetch after a change. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "statuslists.h"
#include "store.h"

struct list {
    char issuer_code[19];
    uint32_t no;
    uint8_t *used; /* 1 bit per entry: reserved or stored */
    uint32_t n_used;
    certlib_status_list *bits;
    uint8_t *cwt; /* cached token */
    size_t cwt_len;
    int64_t cwt_iat;
    int dirty;
};

struct issuer {
    char code[19];
    const certlib_signer *signer;
    uint32_t current; /* list number new reservations go to */
};

struct authd_statuslists {
    pthread_mutex_t lock;
    uint32_t size, ttl;
    char *public_url;
    certlib_ctx *ctx;
    struct issuer *issuers;
    size_t n_issuers;
    struct list *lists;
    size_t n_lists, cap_lists;
};

struct authd_statuslists *authd_statuslists_new(uint32_t list_size, uint32_t ttl, const char *public_url,
                                                certlib_ctx *ctx)
{
    struct authd_statuslists *s = calloc(1, sizeof(*s));
    if (!s || !(s->public_url = strdup(public_url))) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->size = list_size;
    s->ttl = ttl;
    s->ctx = ctx;
    return s;
}

void authd_statuslists_free(struct authd_statuslists *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_lists; i++) {
        free(s->lists[i].used);
        certlib_status_list_free(s->lists[i].bits);
        certlib_free(s->lists[i].cwt);
    }
    free(s->lists);
    free(s->issuers);
    free(s->public_url);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int authd_statuslists_add_issuer(struct authd_statuslists *s, const char *issuer_code,
                                 const certlib_signer *signer)
{
    struct issuer *grown = realloc(s->issuers, (s->n_issuers + 1) * sizeof(*grown));
    if (!grown || strlen(issuer_code) != 18) return -1;
    s->issuers = grown;
    struct issuer *is = &s->issuers[s->n_issuers++];
    memcpy(is->code, issuer_code, 19);
    is->signer = signer;
    is->current = 1;
    return 0;
}

const char *authd_status_value_name(unsigned status)
{
    return status == CERTLIB_STATUS_VALUE_REVOKED     ? "revoked"
           : status == CERTLIB_STATUS_VALUE_SUSPENDED ? "suspended"
                                                      : "valid";
}

void authd_statuslists_id(const char *issuer_code, uint32_t list_no, char out[32])
{
    snprintf(out, 32, "%s-%u", issuer_code, list_no);
}

void authd_statuslists_uri(const struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                           char *out, size_t cap)
{
    char id[32];
    authd_statuslists_id(issuer_code, list_no, id);
    snprintf(out, cap, "%s/v1/status/%s", s->public_url, id);
}

static struct issuer *find_issuer(struct authd_statuslists *s, const char *code)
{
    for (size_t i = 0; i < s->n_issuers; i++)
        if (strcmp(s->issuers[i].code, code) == 0) return &s->issuers[i];
    return NULL;
}

static struct list *find_list(struct authd_statuslists *s, const char *code, uint32_t no)
{
    for (size_t i = 0; i < s->n_lists; i++)
        if (s->lists[i].no == no && strcmp(s->lists[i].issuer_code, code) == 0) return &s->lists[i];
    return NULL;
}

/* Finds or creates the list. Caller holds the lock. */
static struct list *list_of(struct authd_statuslists *s, const char *code, uint32_t no)
{
    struct list *l = find_list(s, code, no);
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
    memcpy(l->issuer_code, code, 19);
    l->no = no;
    l->used = calloc(s->size / 8, 1);
    if (!l->used || certlib_status_list_new(s->size, 2, &l->bits) != CERTLIB_OK) {
        free(l->used);
        return NULL;
    }
    l->dirty = 1;
    s->n_lists++;
    return l;
}

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

struct rebuild {
    struct authd_statuslists *s;
    int failed;
};

static int mark(const char *id, size_t id_len, const struct authd_licence_meta *m, void *arg)
{
    (void)id, (void)id_len;
    struct rebuild *rb = arg;
    struct authd_statuslists *s = rb->s;
    struct list *l = list_of(s, m->issuer_code, m->list_no);
    if (!l || m->status_idx >= s->size) return rb->failed = 1;
    if (!(l->used[m->status_idx / 8] & (1u << (m->status_idx % 8)))) l->n_used++;
    l->used[m->status_idx / 8] |= (uint8_t)(1u << (m->status_idx % 8));
    if (certlib_status_list_set(l->bits, m->status_idx, m->status) != CERTLIB_OK) return rb->failed = 1;
    struct issuer *is = find_issuer(s, m->issuer_code);
    if (is && m->list_no > is->current) is->current = m->list_no;
    return 0;
}

int authd_statuslists_rebuild(struct authd_statuslists *s, struct authd_store *store, char *err,
                              size_t err_cap)
{
    struct rebuild rb = {s, 0};
    pthread_mutex_lock(&s->lock);
    int rc = authd_store_each(store, mark, &rb);
    pthread_mutex_unlock(&s->lock);
    if (rc != 0 || rb.failed) {
        snprintf(err, err_cap, "rebuilding the status lists from the store failed%s",
                 rb.failed ? " (an index past the configured status.list_size?)" : "");
        return -1;
    }
    return 0;
}

int authd_statuslists_reserve(struct authd_statuslists *s, const char *issuer_code, uint32_t *list_no,
                              uint32_t *idx)
{
    int rc = -1;
    pthread_mutex_lock(&s->lock);
    struct issuer *is = find_issuer(s, issuer_code);
    while (is) {
        struct list *l = list_of(s, issuer_code, is->current);
        if (!l) break;
        /* Keep lists at most 7/8 full so a random probe finds a free index in a few tries. */
        if (l->n_used >= s->size / 8 * 7) {
            is->current++;
            continue;
        }
        uint32_t i;
        do
            i = randombytes_uniform(s->size);
        while (l->used[i / 8] & (1u << (i % 8)));
        l->used[i / 8] |= (uint8_t)(1u << (i % 8));
        l->n_used++;
        *list_no = l->no;
        *idx = i;
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void authd_statuslists_release(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                               uint32_t idx)
{
    pthread_mutex_lock(&s->lock);
    struct list *l = find_list(s, issuer_code, list_no);
    if (l && idx < s->size && (l->used[idx / 8] & (1u << (idx % 8)))) {
        l->used[idx / 8] &= (uint8_t) ~(1u << (idx % 8));
        l->n_used--;
    }
    pthread_mutex_unlock(&s->lock);
}

void authd_statuslists_set(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                           uint32_t idx, unsigned status)
{
    pthread_mutex_lock(&s->lock);
    struct list *l = find_list(s, issuer_code, list_no);
    if (l && certlib_status_list_set(l->bits, idx, status) == CERTLIB_OK) l->dirty = 1;
    pthread_mutex_unlock(&s->lock);
}

/* Signs a list and keeps the token; feeds the verification context. Caller holds the lock. */
static void sign_list(struct authd_statuslists *s, struct list *l, const struct issuer *is, int64_t now)
{
    uint8_t *fresh;
    size_t fresh_len;
    char uri[512];
    authd_statuslists_uri(s, l->issuer_code, l->no, uri, sizeof(uri));
    if (certlib_status_list_sign(l->bits, is->signer, uri, now, now + (int64_t)s->ttl * 10, s->ttl, &fresh,
                                 &fresh_len) != CERTLIB_OK)
        return;
    certlib_free(l->cwt);
    l->cwt = fresh;
    l->cwt_len = fresh_len;
    l->cwt_iat = now;
    l->dirty = 0;
    /* Our own freshly signed list: the context can only refuse it for lack of memory. */
    if (s->ctx && certlib_ctx_add_status_list(s->ctx, fresh, fresh_len) != CERTLIB_OK)
        fprintf(stderr, "authd: status list %s could not be given to the verifier\n", uri);
}

/* Stale: changed, never signed, or half its ttl old. Verifiers (certlib among them, authd's own
 * verification context too) stop trusting a list ttl seconds after they fetched it, so a list is
 * re-signed well before: a counter fetching it gets at least half a ttl of use. exp is ten ttls after
 * iat, for verifiers that keep lists by exp alone. */
static int stale(const struct authd_statuslists *s, const struct list *l, int64_t now)
{
    return l->dirty || !l->cwt || now - l->cwt_iat >= (int64_t)(s->ttl + 1) / 2;
}

void authd_statuslists_sync(struct authd_statuslists *s)
{
    int64_t now = (int64_t)time(NULL);
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_lists; i++) {
        struct issuer *is = find_issuer(s, s->lists[i].issuer_code);
        if (is && stale(s, &s->lists[i], now)) sign_list(s, &s->lists[i], is, now);
    }
    pthread_mutex_unlock(&s->lock);
}

int authd_statuslists_token(struct authd_statuslists *s, const char *id, size_t id_len, uint8_t **cwt,
                            size_t *len)
{
    /* "<18-character issuer code>-<decimal list number>" */
    if (id_len < 20 || id_len > 29 || id[18] != '-') return -1;
    char code[19], digits[12];
    memcpy(code, id, 18);
    code[18] = '\0';
    memcpy(digits, id + 19, id_len - 19);
    digits[id_len - 19] = '\0';
    char *end;
    unsigned long no = strtoul(digits, &end, 10);
    if (*end || digits[0] == '0' || no == 0 || no > UINT32_MAX) return -1;

    int rc = -1;
    pthread_mutex_lock(&s->lock);
    struct issuer *is = find_issuer(s, code);
    struct list *l = is ? find_list(s, code, (uint32_t)no) : NULL;
    if (!l && is && no <= is->current) l = list_of(s, code, (uint32_t)no); /* announced but still empty */
    int64_t now = (int64_t)time(NULL);
    if (l && stale(s, l, now)) sign_list(s, l, is, now);
    if (l && l->cwt && (*cwt = malloc(l->cwt_len))) {
        memcpy(*cwt, l->cwt, l->cwt_len);
        *len = l->cwt_len;
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
