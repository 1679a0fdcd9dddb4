/* libFuzzer target for a peer's answer to a federated lookup (authd/peer_answer.h), read as CBOR and as
 * JSON. Whatever it reads must hold: counts within the maxima, CBOR slices inside the input (ASan),
 * every entry either malformed and empty or with its fields set; and written again with the writer, the
 * entries read back the same (the reader takes nothing the writer cannot say). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peer_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct authd_peer_answer *a, const uint8_t *data, size_t size, bool cbor)
{
    if (a->n_licences > AUTHD_PEER_ANSWER_MAX_LICENCES || a->n_lists > AUTHD_PEER_ANSWER_MAX_LISTS) abort();
    for (size_t i = 0; i < a->n_licences; i++) {
        const struct authd_peer_licence *l = &a->licences[i];
        if (l->malformed ? l->licence || l->id[0] : !l->licence) abort();
        if (cbor && l->licence && (l->licence < data || l->licence + l->len > data + size)) abort();
    }
    for (size_t i = 0; cbor && i < a->n_lists; i++)
        if (a->lists[i].cwt < data || a->lists[i].cwt + a->lists[i].len > data + size) abort();
}

/* The good entries, written again, read back the same. */
static void round_trip(const struct authd_peer_answer *a)
{
    struct authd_jsonw e = {0}, w = {0};
    size_t n = 0;
    for (size_t i = 0; i < a->n_licences; i++) {
        const struct authd_peer_licence *l = &a->licences[i];
        if (l->malformed) continue;
        authd_peer_answer_licence(&e, l->id, l->type, l->issuer, l->licence, l->len, l->receipt,
                                  l->receipt_len);
        n++;
    }
    authd_peer_answer_lists(&e, a->n_lists);
    for (size_t i = 0; i < a->n_lists; i++)
        authd_peer_answer_list(&e, "x", a->lists[i].cwt, a->lists[i].len);
    authd_peer_answer_open(&w, n, &e);
    authd_peer_answer_mark(&w, "m", 1);
    struct authd_peer_answer b;
    char err[160];
    if (e.failed || w.failed ||
        authd_peer_answer_read((const uint8_t *)w.buf, w.len, true, &b, err, sizeof(err)))
        abort();
    if (b.n_licences != n || b.n_lists != a->n_lists) abort();
    for (size_t i = 0, k = 0; i < a->n_licences; i++) {
        const struct authd_peer_licence *l = &a->licences[i];
        if (l->malformed) continue;
        const struct authd_peer_licence *m = &b.licences[k++];
        if (m->malformed || strcmp(l->id, m->id) || strcmp(l->type, m->type) ||
            strcmp(l->issuer, m->issuer) || l->len != m->len || memcmp(l->licence, m->licence, l->len) ||
            !l->receipt != !m->receipt || l->receipt_len != m->receipt_len ||
            (l->receipt && memcmp(l->receipt, m->receipt, l->receipt_len)))
            abort();
    }
    authd_peer_answer_free(&b);
    authd_jsonw_discard(&e);
    authd_jsonw_discard(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int cbor = 0; cbor < 2; cbor++) {
        struct authd_peer_answer a;
        char err[160];
        authd_err rc = authd_peer_answer_read(data, size, cbor, &a, err, sizeof(err));
        if (rc == AUTHD_OK) {
            check(&a, data, size, cbor);
            round_trip(&a);
        }
        authd_peer_answer_free(&a);
    }
    return 0;
}
