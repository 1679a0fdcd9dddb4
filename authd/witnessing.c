/* Asking witnesses to cosign this authd's own checkpoints (witnessing.h). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certlib/tlog.h"
#include "metrics.h"
#include "monotonic.h"
#include "thread_name.h"
#include "witnessing.h"

#define PERIOD_MS 500           /* how often a log's newest checkpoint is offered to its witnesses */
#define REQUEST_TIMEOUT_MS 2000 /* a witness slower than this counts as down for this round */
#define ANSWER_MAX 4096

struct witness_peer {
    certlib_note_verifier key; /* its cosigner key */
    char url[1024];            /* <submission prefix>/add-checkpoint */
    uint64_t size;             /* what it cosigned last, as far as this authd knows */
};

struct witnessed_log {
    struct authd_log *log;
    struct witness_peer peers[AUTHD_MAX_LOG_WITNESSES];
    size_t n_peers, quorum;
};

struct authd_witnessing {
    struct witnessed_log logs[AUTHD_LOG_COUNT];
    size_t n_logs;
    struct authd_metrics *metrics;
    CURL *curl;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

struct answer {
    char text[ANSWER_MAX];
    size_t len;
};

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    struct answer *a = arg;
    size_t len = size * n;
    if (a->len + len >= sizeof(a->text)) return 0; /* too long for cosignature lines: the transfer fails */
    memcpy(a->text + a->len, data, len);
    a->len += len;
    a->text[a->len] = '\0';
    return len;
}

/* One add-checkpoint request: the HTTP status (0 when the witness cannot be reached), its body in *a. */
static long post(struct authd_witnessing *w, const char *url, const char *body, size_t len, struct answer *a)
{
    a->len = 0;
    a->text[0] = '\0';
    CURL *c = w->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: text/plain");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    return status;
}

/* Asks one witness to cosign `note` (the checkpoint of `size`): its cosignature line, checked under the
 * key configured for it (a witness is checked, not believed), is appended to `lines`; false when it
 * gave none. */
static bool ask(struct authd_witnessing *w, struct witnessed_log *wl, struct witness_peer *p,
                const char *note, size_t note_len, uint64_t size, char *lines, size_t *lines_len,
                size_t lines_cap)
{
    static char body[CERTLIB_WITNESS_REQUEST_MAX];
    struct answer a;
    for (int attempt = 0; attempt < 2; attempt++) { /* a 409 teaches the size it cosigned: once more */
        certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF];
        size_t n = 0, len;
        if (p->size > size ||
            (p->size && authd_log_consistency(wl->log, p->size, size, proof, &n) != AUTHD_OK) ||
            certlib_witness_request_format(p->size, (const certlib_tlog_hash *)proof, n, note, note_len, body,
                                           sizeof(body), &len) != CERTLIB_OK)
            return false;
        long status = post(w, p->url, body, len, &a);
        if (status == 409) {
            unsigned long long known;
            if (sscanf(a.text, "%llu", &known) != 1) return false;
            p->size = known;
            continue;
        }
        if (status != 200) return false;
        /* each line of the answer after the checkpoint: its own verifies, a forged one refuses it all */
        char cosigned[AUTHD_CHECKPOINT_MAX + ANSWER_MAX];
        memcpy(cosigned, note, note_len);
        for (const char *l = a.text, *end = a.text + a.len; l < end;) {
            const char *nl = memchr(l, '\n', (size_t)(end - l));
            size_t ll = nl ? (size_t)(nl - l) + 1 : (size_t)(end - l), one = 0;
            memcpy(cosigned + note_len, l, ll);
            if (certlib_cosignatures_verify(cosigned, note_len + ll, &p->key, 1, &one) != CERTLIB_OK)
                return false;
            if (one == 1) {
                if (*lines_len + ll >= lines_cap) return false;
                memcpy(lines + *lines_len, l, ll);
                *lines_len += ll;
                p->size = size;
                return true;
            }
            l += ll;
        }
        return false;
    }
    return false;
}

/* One round for one log: its newest checkpoint to every witness; witnessed when the quorum cosigned. */
static void round_for(struct authd_witnessing *w, struct witnessed_log *wl)
{
    char note[AUTHD_CHECKPOINT_MAX], lines[AUTHD_CHECKPOINT_MAX];
    uint64_t size, done_size;
    int64_t at;
    size_t note_len = authd_log_checkpoint(wl->log, note, &size), lines_len = 0, cosigned = 0;
    if (size == 0 || (authd_log_witnessed(wl->log, &done_size, &at) && done_size == size)) return;
    for (size_t i = 0; i < wl->n_peers; i++) {
        if (ask(w, wl, &wl->peers[i], note, note_len, size, lines, &lines_len, sizeof(lines)))
            cosigned++;
        else
            authd_metrics_count(w->metrics, AUTHD_M_WITNESS_FAILURES);
    }
    if (cosigned < wl->quorum || note_len + lines_len > AUTHD_CHECKPOINT_MAX) return;
    memcpy(note + note_len, lines, lines_len);
    authd_log_set_witnessed(wl->log, note, note_len + lines_len, size, (int64_t)time(NULL));
}

static void *run(void *arg)
{
    struct authd_witnessing *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        pthread_mutex_unlock(&w->lock);
        for (size_t i = 0; i < w->n_logs; i++)
            round_for(w, &w->logs[i]);
        pthread_mutex_lock(&w->lock);
        struct timespec until = authd_deadline_ns((long long)PERIOD_MS * 1000000);
        while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

authd_err authd_witnessing_start(const struct authd_config *config,
                                 struct authd_log *const logs[AUTHD_LOG_COUNT], struct authd_metrics *metrics,
                                 struct authd_witnessing **out, char *err, size_t err_cap)
{
    *out = NULL;
    const struct authd_log_config *lc[AUTHD_LOG_COUNT] = {
        [AUTHD_LOG_SIGNATURES] = &config->sig_log, [AUTHD_LOG_ACCESS] = &config->access_tlog};
    struct authd_witnessing *w = calloc(1, sizeof(*w));
    if (!w) return snprintf(err, err_cap, "out of memory"), AUTHD_E_NOMEM;
    w->metrics = metrics;
    for (int l = 0; l < AUTHD_LOG_COUNT; l++) {
        if (!lc[l]->n_witnesses) continue;
        struct witnessed_log *wl = &w->logs[w->n_logs++];
        wl->log = logs[l];
        wl->n_peers = lc[l]->n_witnesses;
        wl->quorum = lc[l]->witness_quorum;
        for (size_t i = 0; i < wl->n_peers; i++) {
            const struct authd_witness_server *s = &lc[l]->witnesses[i];
            if (certlib_cosigner_parse(s->key, strlen(s->key), &wl->peers[i].key) != CERTLIB_OK) {
                free(w);
                return snprintf(err, err_cap,
                                "logs: witness %s: key is not a cosigner key (<name>+<id>+<base64>)", s->url),
                       AUTHD_E_CONFIG;
            }
            size_t n = strlen(s->url);
            while (n && s->url[n - 1] == '/')
                n--;
            snprintf(wl->peers[i].url, sizeof(wl->peers[i].url), "%.*s/add-checkpoint", (int)n, s->url);
        }
    }
    if (!w->n_logs) {
        free(w);
        return AUTHD_OK;
    }
    if (!(w->curl = curl_easy_init())) {
        free(w);
        return snprintf(err, err_cap, "libcurl failed to initialise"), AUTHD_E_INTERNAL;
    }
    pthread_mutex_init(&w->lock, NULL);
    authd_cond_init_monotonic(&w->wake);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        curl_easy_cleanup(w->curl);
        free(w);
        return snprintf(err, err_cap, "cannot start the witnessing thread"), AUTHD_E_INTERNAL;
    }
    authd_thread_name(w->thread, "witness");
    *out = w;
    return AUTHD_OK;
}

void authd_witnessing_stop(struct authd_witnessing *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    curl_easy_cleanup(w->curl);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
