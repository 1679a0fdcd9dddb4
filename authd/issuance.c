/* The issuance service (issuance.h). */
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuance.h"
#include "log_entries.h"
#include "metrics.h"
#include "policy.h"
#include "record.h"
#include "server.h"
#include "statuslists.h"

/* 9999-12-31 23:59:59 China Standard Time, the last moment a licence can name (a four-digit year). */
#define AUTHD_MAX_TIME 253402271999LL
#define HOLDER_NAME_MAX 200

static enum authd_issue_refusal refuse(char *detail, size_t cap, enum authd_issue_refusal why,
                                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum authd_issue_refusal refuse(char *detail, size_t cap, enum authd_issue_refusal why,
                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, cap, fmt, ap);
    va_end(ap);
    return why;
}

/* The holder: a valid number of the kind the type is for, normalised into `out`. */
static enum authd_issue_refusal check_holder(const struct authd_server *s,
                                             const struct authd_licence_type *type,
                                             const struct authd_issue_input *in, certlib_ident *out,
                                             char *detail, size_t cap)
{
    size_t name_len = in->holder_name ? strlen(in->holder_name) : 0;
    if (name_len == 0 || name_len > HOLDER_NAME_MAX)
        return refuse(detail, cap, AUTHD_ISSUE_BAD_HOLDER_NAME, "holder.name must be 1 to %d bytes",
                      HOLDER_NAME_MAX);
    certlib_ident_opts opts = {.regions = s->regions,
                               .accept = type->holder == AUTHD_HOLDER_ORG
                                             ? CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)
                                             : CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_RIC) |
                                                   CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_HMT) |
                                                   CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_FOREIGN_PR)};
    certlib_err err =
        certlib_ident_check(in->holder_id, in->holder_id ? strlen(in->holder_id) : 0, &opts, out);
    if (err)
        return refuse(detail, cap, AUTHD_ISSUE_BAD_HOLDER_ID, "holder.id is not a valid %s: %s",
                      type->holder == AUTHD_HOLDER_ORG ? "unified social credit code" : "identity number",
                      certlib_err_name(err));
    return AUTHD_ISSUE_ACCEPTED;
}

/* Every element is one the type defines, and every required one is there. */
static enum authd_issue_refusal check_elements(const struct authd_licence_type *type,
                                               const struct authd_issue_input *in, char *detail, size_t cap)
{
    for (size_t i = 0; i < in->n_elements; i++)
        if (!authd_type_element(type, in->elements[i].identifier))
            return refuse(detail, cap, AUTHD_ISSUE_UNKNOWN_ELEMENT,
                          "%s has no element by one of the given names (licence-types.yaml lists them)",
                          type->name);
    for (size_t k = 0; k < type->n_elements; k++) {
        bool given = false;
        for (size_t i = 0; !given && i < in->n_elements; i++)
            given = strcmp(in->elements[i].identifier, type->elements[k].name) == 0;
        if (type->elements[k].required && !given)
            return refuse(detail, cap, AUTHD_ISSUE_MISSING_ELEMENT, "%s needs element '%s'", type->name,
                          type->elements[k].name);
    }
    return AUTHD_ISSUE_ACCEPTED;
}

enum authd_issue_refusal authd_issue_type(const struct authd_server *s, const struct authd_client *client,
                                          const char *type_code, const struct authd_licence_type **type,
                                          char *detail, size_t cap)
{
    *type = type_code ? authd_policy_type(client->policy, type_code, strlen(type_code)) : NULL;
    if (!*type)
        return refuse(detail, cap, AUTHD_ISSUE_UNKNOWN_TYPE,
                      "'type' must be a licence type code from licence-types.yaml");
    if (!authd_client_may_issue(client, *type))
        return refuse(detail, cap, AUTHD_ISSUE_FORBIDDEN_TYPE, "this issuer may not issue %s", (*type)->name);
    if (!authd_server_issuer(s, client->issuer_code))
        return refuse(detail, cap, AUTHD_ISSUE_NO_KEYS, "this authd has no signing key for the issuer");
    return AUTHD_ISSUE_ACCEPTED;
}

/* The one release path: an issuance that will never be stored gives its status-list index back,
 * whether it failed before the writer (abandon) or in it (stored). */
static void release_index(struct authd_issuance *iss)
{
    authd_statuslists_release(iss->server->statuslists, iss->meta.issuer_code, iss->meta.list_no,
                              iss->meta.status_idx);
}

/* Before submission: the index, the licence and the record all go. */
static void abandon(struct authd_issuance *iss)
{
    release_index(iss);
    authd_issuance_clear(iss);
}

/* The licence's status list can be fetched: the issuance is complete. */
static void listed(void *arg)
{
    struct authd_issuance *iss = arg;
    iss->done(iss);
}

/* Writer thread: the batch is durable, or failed. */
static void stored(struct authd_write_job *job)
{
    struct authd_issuance *iss = AUTHD_JOB_OWNER(struct authd_issuance, job, job);
    iss->result = job->w.result;
    iss->log_index = job->w.log_index;
    free(iss->record); /* sealed: nothing in clear */
    iss->record = NULL;
    if (iss->result != AUTHD_OK) {
        /* in doubt, the place may be the stored licence's; taken, it is another's: kept either way */
        if (iss->result != AUTHD_E_INDOUBT && iss->result != AUTHD_E_CONFLICT) release_index(iss);
        iss->done(iss);
        return;
    }
    authd_metrics_count(iss->server->metrics, AUTHD_M_ISSUED);
    /* the first licence of a list waits for the list's first signature */
    authd_statuslists_await(iss->server->statuslists, iss->meta.issuer_code, iss->meta.list_no, listed, iss);
}

enum authd_issue_refusal authd_issue(struct authd_server *s, const struct authd_issue_input *in,
                                     struct authd_issuance *iss, void (*done)(struct authd_issuance *iss),
                                     char *detail, size_t cap)
{
    memset(iss, 0, sizeof(*iss));
    iss->server = s;
    iss->done = done;
    const struct authd_licence_type *type;
    enum authd_issue_refusal why = authd_issue_type(s, in->client, in->type_code, &type, detail, cap);
    if (why) return why;
    const struct authd_issuer_keys *keys = authd_server_issuer(s, in->client->issuer_code);
    certlib_ident holder;
    why = check_holder(s, type, in, &holder, detail, cap);
    if (!why) why = check_elements(type, in, detail, cap);
    if (why) return why;
    int64_t from = in->valid_from ? in->valid_from : in->now;
    int64_t until = in->valid_until       ? in->valid_until
                    : type->validity_days ? from + (int64_t)type->validity_days * 86400
                                          : AUTHD_MAX_TIME;
    if (until <= from || until > AUTHD_MAX_TIME)
        return refuse(detail, cap, AUTHD_ISSUE_BAD_VALIDITY,
                      "valid_until must be after valid_from and before the year 10000");
    uint8_t *device_key = NULL;
    size_t device_key_len = 0;
    if (in->device_key_pem && certlib_cose_key_from_pem((certlib_slice){(const uint8_t *)in->device_key_pem,
                                                                        strlen(in->device_key_pem)},
                                                        &device_key, &device_key_len) != CERTLIB_OK)
        return refuse(detail, cap, AUTHD_ISSUE_BAD_DEVICE_KEY,
                      "device_key must be a PEM public key, P-256 or Ed25519");

    struct authd_licence_meta *m = &iss->meta;
    memcpy(m->issuer_code, in->client->issuer_code, sizeof(m->issuer_code));
    memcpy(m->type_code, type->code, sizeof(m->type_code));
    m->issued_at = in->now;
    m->status = CERTLIB_STATUS_VALUE_VALID;
    authd_err reserved =
        authd_statuslists_reserve(s->statuslists, m->issuer_code, &m->list_no, &m->status_idx);
    if (reserved) {
        certlib_free(device_key);
        if (reserved == AUTHD_E_FULL || reserved == AUTHD_E_NOT_FOUND)
            return refuse(detail, cap, AUTHD_ISSUE_LISTS_FULL, "no free status-list index");
        if (reserved == AUTHD_E_NOMEM) return refuse(detail, cap, AUTHD_ISSUE_OVERLOADED, "out of memory");
        return refuse(detail, cap, AUTHD_ISSUE_STORE_UNAVAILABLE, "the store cannot be reached; try again");
    }
    char uri[512];
    uint8_t sig_hash[32];
    authd_statuslists_uri(s->statuslists, m->issuer_code, m->list_no, uri, sizeof(uri));
    certlib_licence_spec spec = {.licence_type_code = type->code,
                                 .licence_name = type->name,
                                 .holder_name = in->holder_name,
                                 .holder_id = holder.normalized,
                                 .signed_at = in->now,
                                 .valid_from = from,
                                 .valid_until = until,
                                 .elements = in->elements,
                                 .n_elements = in->n_elements,
                                 .status_uri = uri,
                                 .status_idx = m->status_idx,
                                 .device_key = {device_key, device_key_len},
                                 /* any ISO 18013-5 verifier then checks it with the root alone */
                                 .with_x5chain = s->config->issue_x5chain};
    certlib_err err = certlib_licence_issue_ex(keys->signer, &spec, &iss->licence, &iss->licence_len,
                                               iss->licence_id, sig_hash);
    certlib_free(device_key);
    size_t id_len = strlen(iss->licence_id), sealed_len = authd_record_sealed_len(s->keys, iss->licence_len);
    if (!err) {
        authd_record_holder_key(s->keys, holder.normalized, holder.normalized_len, iss->holder_key);
        iss->record = malloc(sealed_len);
    }
    sodium_memzero(&holder, sizeof(holder)); /* an identity number */
    size_t entry_len =
        err || !iss->record ? 0 : authd_log_entry_issue(iss->entry, iss->licence_id, m, sig_hash);
    if (err || !iss->record || !entry_len) {
        abandon(iss);
        if (err == CERTLIB_E_SIGNER_UNAVAILABLE)
            return refuse(detail, cap, AUTHD_ISSUE_SIGNER_UNAVAILABLE,
                          "the issuer's signing device cannot sign now; try again shortly");
        if (err)
            return refuse(detail, cap, AUTHD_ISSUE_REFUSED_BY_CERTLIB, "the licence cannot be issued: %s",
                          certlib_err_name(err));
        return refuse(detail, cap, AUTHD_ISSUE_OVERLOADED, "out of memory");
    }
    if (authd_record_seal(s->keys, iss->licence_id, id_len, m, iss->licence, iss->licence_len, iss->record) !=
        AUTHD_OK) {
        abandon(iss);
        return refuse(detail, cap, AUTHD_ISSUE_INTERNAL, "the licence cannot be sealed for the store");
    }
    authd_licence_place(m, iss->place);
    iss->job.w = (struct authd_storage_write){.op = AUTHD_STORE_PUT,
                                              .id = iss->licence_id,
                                              .id_len = id_len,
                                              .record = iss->record,
                                              .record_len = sealed_len,
                                              .holder_key = iss->holder_key,
                                              .place = iss->place,
                                              .log = AUTHD_LOG_SIGNATURES,
                                              .entry = (const uint8_t *)iss->entry,
                                              .entry_len = entry_len};
    iss->job.done = stored;
    authd_writer_submit(s->writer, &iss->job);
    return AUTHD_ISSUE_ACCEPTED;
}

void authd_issuance_clear(struct authd_issuance *iss)
{
    if (iss->licence) {
        sodium_memzero(iss->licence, iss->licence_len); /* personal data */
        certlib_free(iss->licence);
    }
    free(iss->record);
    iss->licence = iss->record = NULL;
    iss->licence_len = 0;
}
