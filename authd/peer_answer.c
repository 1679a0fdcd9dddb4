/* A peer's answer to a federated lookup, written and read (peer_answer.h). */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbor/cbor_read.h"
#include "cborw.h"
#include "certlib/encoding.h"
#include "peer_answer.h"

/* ---- the peer's side ---- */

void authd_peer_answer_licence(struct authd_jsonw *w, const char *id, const char *type, const char *issuer,
                               const uint8_t *licence, size_t len, const char *receipt, size_t receipt_len)
{
    authd_cborw_map(w, receipt ? 5 : 4);
    authd_cborw_ctext(w, "licence_id");
    authd_cborw_ctext(w, id);
    authd_cborw_ctext(w, "type");
    authd_cborw_ctext(w, type);
    authd_cborw_ctext(w, "issuer_code");
    authd_cborw_ctext(w, issuer);
    authd_cborw_ctext(w, "licence");
    authd_cborw_bytes(w, licence, len);
    if (receipt) {
        authd_cborw_ctext(w, "receipt");
        authd_cborw_text(w, receipt, receipt_len);
    }
}

void authd_peer_answer_lists(struct authd_jsonw *w, size_t n)
{
    authd_cborw_ctext(w, "status_lists");
    authd_cborw_map(w, n);
}

void authd_peer_answer_list(struct authd_jsonw *w, const char *id, const uint8_t *cwt, size_t len)
{
    authd_cborw_ctext(w, id);
    authd_cborw_bytes(w, cwt, len);
}

void authd_peer_answer_open(struct authd_jsonw *w, size_t n_licences, const struct authd_jsonw *entries)
{
    authd_cborw_map(w, 3);
    authd_cborw_ctext(w, "licences");
    authd_cborw_array(w, n_licences);
    authd_jsonw_raw(w, entries->buf, entries->len);
    if (entries->failed) w->failed = true;
}

void authd_peer_answer_mark(struct authd_jsonw *w, const char *mark, size_t len)
{
    authd_cborw_ctext(w, "mark");
    authd_cborw_text(w, mark, len);
}

/* ---- the asker's side ---- */

enum field { F_ID, F_TYPE, F_ISSUER, F_LICENCE, F_RECEIPT, F_COUNT };
static const char *const field_names[F_COUNT] = {"licence_id", "type", "issuer_code", "licence", "receipt"};
#define REQUIRED (1u << F_ID | 1u << F_TYPE | 1u << F_ISSUER | 1u << F_LICENCE)

static int field_of(const char *key, size_t len)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strlen(field_names[f]) == len && memcmp(field_names[f], key, len) == 0) return f;
    return -1;
}

/* Text into a fixed field: false when it does not fit or holds a NUL. */
static bool copy_text(char *out, size_t cap, const void *s, size_t len)
{
    if (len >= cap || memchr(s, '\0', len)) return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

static bool slice_is(certlib_slice s, const char *name)
{
    return s.len == strlen(name) && memcmp(s.ptr, name, s.len) == 0;
}

static authd_err refuse(char *err, size_t cap, const char *what, certlib_err e)
{
    if (e)
        snprintf(err, cap, "not a peer's answer: %s (%s)", what, certlib_err_name(e));
    else
        snprintf(err, cap, "not a peer's answer: %s", what);
    return AUTHD_E_CORRUPT;
}

/* One licence's entry, from its own bytes (well-formed CBOR already): `l` malformed unless it is a map
 * of the fields above, each once and of its type, the required ones present. Other keys are skipped:
 * a later authd may send more. */
static void cbor_licence(certlib_slice raw, struct authd_peer_licence *l)
{
    cbr r;
    cbr_init(&r, raw.ptr, raw.len);
    uint64_t n;
    unsigned seen = 0;
    bool ok = certlib__cbr_map(&r, &n) == CERTLIB_OK;
    for (uint64_t i = 0; ok && i < n; i++) {
        certlib_slice key, value;
        if (certlib__cbr_tstr(&r, &key) != CERTLIB_OK) {
            ok = false;
            break;
        }
        int f = field_of((const char *)key.ptr, key.len);
        if (f < 0) {
            ok = certlib__cbr_skip(&r, 1) == CERTLIB_OK;
            continue;
        }
        if (seen & 1u << f) {
            ok = false;
            break;
        }
        seen |= 1u << f;
        ok = (f == F_LICENCE ? certlib__cbr_bstr(&r, &value) : certlib__cbr_tstr(&r, &value)) == CERTLIB_OK;
        if (!ok) break;
        switch (f) {
        case F_ID:
            ok = copy_text(l->id, sizeof(l->id), value.ptr, value.len);
            break;
        case F_TYPE:
            ok = copy_text(l->type, sizeof(l->type), value.ptr, value.len);
            break;
        case F_ISSUER:
            ok = copy_text(l->issuer, sizeof(l->issuer), value.ptr, value.len);
            break;
        case F_LICENCE:
            l->licence = value.ptr, l->len = value.len;
            break;
        default:
            l->receipt = (const char *)value.ptr, l->receipt_len = value.len;
        }
    }
    if (!ok || (seen & REQUIRED) != REQUIRED) *l = (struct authd_peer_licence){.malformed = true};
}

static authd_err cbor_licences(cbr *r, struct authd_peer_answer *a, char *err, size_t cap)
{
    uint64_t n;
    certlib_err e = certlib__cbr_array(r, &n);
    if (e) return refuse(err, cap, "licences is not an array", e);
    if (n > AUTHD_PEER_ANSWER_MAX_LICENCES) return refuse(err, cap, "more licences than any authd sends", 0);
    if (n && !(a->licences = calloc(n, sizeof(*a->licences)))) return AUTHD_E_NOMEM;
    for (a->n_licences = 0; a->n_licences < n; a->n_licences++) {
        certlib_slice raw;
        if ((e = certlib__cbr_raw(r, 2, &raw))) return refuse(err, cap, "a licence is not well-formed", e);
        cbor_licence(raw, &a->licences[a->n_licences]);
    }
    return AUTHD_OK;
}

/* The stapled lists; a value that is not bytes is left out (its licences' status is then unknown). */
static authd_err cbor_lists(cbr *r, struct authd_peer_answer *a, char *err, size_t cap)
{
    uint64_t n;
    certlib_err e = certlib__cbr_map(r, &n);
    if (e) return refuse(err, cap, "status_lists is not a map", e);
    if (n > AUTHD_PEER_ANSWER_MAX_LISTS) return refuse(err, cap, "more status lists than any authd sends", 0);
    if (n && !(a->lists = calloc(n, sizeof(*a->lists)))) return AUTHD_E_NOMEM;
    for (uint64_t i = 0; i < n; i++) {
        certlib_slice id, cwt;
        if ((e = certlib__cbr_tstr(r, &id))) return refuse(err, cap, "a status list's key is not text", e);
        if (certlib__cbr_peek(r) != CBR_BSTR) {
            if ((e = certlib__cbr_skip(r, 2))) return refuse(err, cap, "a status list is not well-formed", e);
            continue;
        }
        if ((e = certlib__cbr_bstr(r, &cwt))) return refuse(err, cap, "a status list is not well-formed", e);
        a->lists[a->n_lists++] = (struct authd_peer_status_list){.cwt = cwt.ptr, .len = cwt.len};
    }
    return AUTHD_OK;
}

enum member { M_LICENCES, M_LISTS, M_MARK, M_COUNT };
static const char *const member_names[M_COUNT] = {"licences", "status_lists", "mark"};

static authd_err read_cbor(const uint8_t *body, size_t len, struct authd_peer_answer *a, char *err,
                           size_t cap)
{
    cbr r;
    cbr_init(&r, body, len);
    uint64_t n;
    certlib_err e = certlib__cbr_map(&r, &n);
    if (e) return refuse(err, cap, "not a CBOR map", e);
    unsigned seen = 0;
    for (uint64_t i = 0; i < n; i++) {
        certlib_slice key;
        if ((e = certlib__cbr_tstr(&r, &key))) return refuse(err, cap, "a key is not text", e);
        int m = 0;
        while (m < M_COUNT && !slice_is(key, member_names[m]))
            m++;
        if (m < M_COUNT && (seen & 1u << m)) return refuse(err, cap, "a member appears twice", 0);
        seen |= 1u << m;
        authd_err rc = AUTHD_OK;
        if (m == M_LICENCES)
            rc = cbor_licences(&r, a, err, cap);
        else if (m == M_LISTS)
            rc = cbor_lists(&r, a, err, cap);
        else if ((e = certlib__cbr_skip(&r, 1))) /* the mark (the asker keeps its own), or unknown */
            rc = refuse(err, cap, "a member is not well-formed", e);
        if (rc) return rc;
    }
    if ((e = cbr_done(&r))) return refuse(err, cap, "bytes after the answer", e);
    return seen & 1u << M_LICENCES ? AUTHD_OK : refuse(err, cap, "no licences member", 0);
}

/* A base64url JSON string, decoded into a buffer of its own; NULL when it is none. */
static uint8_t *decoded(const json_t *text, size_t *len)
{
    if (!json_is_string(text)) return NULL;
    size_t cap = CERTLIB_BASE64URL_DECODED_MAX(json_string_length(text));
    uint8_t *out = malloc(cap ? cap : 1);
    if (out && certlib_base64url_decode(json_string_value(text), json_string_length(text), out, cap, len)) {
        free(out);
        return NULL;
    }
    return out;
}

static bool json_text(const json_t *v, char *out, size_t cap)
{
    return json_is_string(v) && copy_text(out, cap, json_string_value(v), json_string_length(v));
}

static void json_licence(json_t *e, struct authd_peer_licence *l)
{
    json_t *receipt = json_object_get(e, "receipt");
    bool ok = json_text(json_object_get(e, "licence_id"), l->id, sizeof(l->id)) &&
              json_text(json_object_get(e, "type"), l->type, sizeof(l->type)) &&
              json_text(json_object_get(e, "issuer_code"), l->issuer, sizeof(l->issuer)) &&
              (l->licence = decoded(json_object_get(e, "licence"), &l->len)) != NULL;
    if (!ok) {
        free((uint8_t *)l->licence);
        *l = (struct authd_peer_licence){.malformed = true};
        return;
    }
    if (json_is_string(receipt))
        l->receipt = json_string_value(receipt), l->receipt_len = json_string_length(receipt);
}

static authd_err read_json(const uint8_t *body, size_t len, struct authd_peer_answer *a, char *err,
                           size_t cap)
{
    json_t *doc = json_loadb((const char *)body, len, 0, NULL);
    a->json = doc;
    json_t *licences = json_object_get(doc, "licences"), *lists = json_object_get(doc, "status_lists");
    if (!json_is_array(licences)) return refuse(err, cap, "no licences array in the JSON", 0);
    size_t n = json_array_size(licences), k = json_object_size(lists);
    if (n > AUTHD_PEER_ANSWER_MAX_LICENCES || k > AUTHD_PEER_ANSWER_MAX_LISTS)
        return refuse(err, cap, "more licences or status lists than any authd sends", 0);
    if ((n && !(a->licences = calloc(n, sizeof(*a->licences)))) ||
        (k && !(a->lists = calloc(k, sizeof(*a->lists)))))
        return AUTHD_E_NOMEM;
    for (a->n_licences = 0; a->n_licences < n; a->n_licences++)
        json_licence(json_array_get(licences, a->n_licences), &a->licences[a->n_licences]);
    const char *key;
    json_t *value;
    json_object_foreach(lists, key, value)
    {
        struct authd_peer_status_list *l = &a->lists[a->n_lists];
        if ((l->cwt = decoded(value, &l->len))) a->n_lists++;
    }
    return AUTHD_OK;
}

authd_err authd_peer_answer_read(const uint8_t *body, size_t len, bool cbor, struct authd_peer_answer *a,
                                 char *err, size_t err_cap)
{
    *a = (struct authd_peer_answer){0};
    return cbor ? read_cbor(body, len, a, err, err_cap) : read_json(body, len, a, err, err_cap);
}

void authd_peer_answer_free(struct authd_peer_answer *a)
{
    if (a->json) { /* the decoded copies are this answer's: licences hold personal data */
        for (size_t i = 0; i < a->n_licences; i++)
            if (a->licences[i].licence) {
                sodium_memzero((uint8_t *)a->licences[i].licence, a->licences[i].len);
                free((uint8_t *)a->licences[i].licence);
            }
        for (size_t i = 0; i < a->n_lists; i++)
            free((uint8_t *)a->lists[i].cwt);
        json_decref(a->json);
    }
    free(a->licences);
    free(a->lists);
    *a = (struct authd_peer_answer){0};
}
