/* A peer's trust as its signed list gives it (peer_view.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peer_view.h"

void authd_peer_view_free(void *arg)
{
    struct authd_peer_view *v = arg;
    if (!v) return;
    certlib_ctx_free(v->ctx);
    for (size_t i = 0; i < v->n_shared_matters; i++)
        free(v->shared_matters[i]);
    free(v->shared_matters);
    free(v->list);
    free(v);
}

/* The log keys and shared matter codes: the payload has passed certlib's strict checks already. */
static authd_err read_extras(struct authd_peer_view *v, const certlib_trust_list_info *info, char *err,
                             size_t cap)
{
    json_t *doc = json_loadb((const char *)info->payload, info->payload_len, 0, NULL);
    if (!doc) return AUTHD_E_NOMEM;
    authd_err rc = AUTHD_OK;
    json_t *sig = json_object_get(json_object_get(doc, "logs"), "signatures");
    if (sig) {
        if (certlib_note_verifier_parse(json_string_value(sig), json_string_length(sig), &v->sig_log) !=
            CERTLIB_OK) {
            snprintf(err, cap, "logs.signatures: not a C2SP verifier key");
            rc = AUTHD_E_CONFLICT;
        }
        v->has_sig_log = rc == AUTHD_OK;
    }
    json_t *matters = json_object_get(doc, "matters");
    size_t n = json_array_size(matters);
    if (!rc && n && !(v->shared_matters = calloc(n, sizeof(*v->shared_matters)))) rc = AUTHD_E_NOMEM;
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *shared = json_object_get(json_array_get(matters, i), "shared_code");
        if (!shared) continue;
        if (!(v->shared_matters[v->n_shared_matters] = strdup(json_string_value(shared))))
            rc = AUTHD_E_NOMEM;
        else
            v->n_shared_matters++;
    }
    json_decref(doc);
    return rc;
}

authd_err authd_peer_view_new(const uint8_t *list, size_t len, const uint8_t *pin, size_t pin_len,
                              int64_t now, uint64_t min_sequence, struct authd_peer_view **out, char *err,
                              size_t err_cap)
{
    *out = NULL;
    struct authd_peer_view *v = calloc(1, sizeof(*v));
    if (!v || certlib_ctx_new(&v->ctx) != CERTLIB_OK || !(v->list = malloc(len ? len : 1))) {
        authd_peer_view_free(v);
        return AUTHD_E_NOMEM;
    }
    memcpy(v->list, list, len);
    v->len = len;
    certlib_trust_list_info info;
    certlib_err e = certlib_ctx_load_trust_list(v->ctx, v->list, len, pin, pin_len, now, min_sequence, &info);
    if (e) {
        snprintf(err, err_cap, "%s: %s", certlib_err_name(e), certlib_ctx_trust_error(v->ctx));
        authd_peer_view_free(v);
        return e == CERTLIB_E_NOMEM ? AUTHD_E_NOMEM : AUTHD_E_CONFLICT;
    }
    v->sequence = info.sequence;
    v->expires = info.expires;
    authd_err rc = read_extras(v, &info, err, err_cap);
    if (rc) {
        authd_peer_view_free(v);
        return rc;
    }
    *out = v;
    return AUTHD_OK;
}

bool authd_peer_view_serves(const struct authd_peer_view *v, const char *shared_code)
{
    for (size_t i = 0; v && i < v->n_shared_matters; i++)
        if (strcmp(v->shared_matters[i], shared_code) == 0) return true;
    return false;
}
