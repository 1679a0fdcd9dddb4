/* Formatting log entries. Every field but the percent-encoded texts comes from authd itself
 * (identifiers it validated, codes from its policies), so none can hold a space. */
#include <stdio.h>
#include <string.h>

#include "certlib/encoding.h"
#include "log_entries.h"

static size_t finish(int n)
{
    return n > 0 && n < CERTLIB_LOG_ENTRY_MAX ? (size_t)n : 0;
}

size_t authd_log_entry_issue(char out[CERTLIB_LOG_ENTRY_MAX], const char *licence_id,
                             const struct authd_licence_meta *meta, const uint8_t sig_hash[32])
{
    char when[CERTLIB_TIME_TEXT_LEN], list[AUTHD_LIST_ID_MAX], hash[48];
    certlib_time_format(meta->issued_at, when);
    authd_status_list_id(meta->issuer_code, meta->list_no, list);
    hash[certlib_base64url_encode(sig_hash, 32, hash)] = '\0';
    return finish(snprintf(out, CERTLIB_LOG_ENTRY_MAX, "sig/v1 issue %s %s %s %s %s %u %s", when, licence_id,
                           meta->type_code, meta->issuer_code, list, meta->status_idx, hash));
}

size_t authd_log_entry_status(char out[CERTLIB_LOG_ENTRY_MAX], const char *licence_id,
                              const struct authd_licence_meta *meta, uint8_t status, int64_t time,
                              const char *reason)
{
    char when[CERTLIB_TIME_TEXT_LEN], list[AUTHD_LIST_ID_MAX], why[CERTLIB_LOG_FIELD_MAX * 3];
    certlib_time_format(time, when);
    authd_status_list_id(meta->issuer_code, meta->list_no, list);
    if (!certlib_log_field_encode(reason ? reason : "", reason ? strlen(reason) : 0, why, sizeof(why)))
        return 0;
    return finish(snprintf(out, CERTLIB_LOG_ENTRY_MAX, "sig/v1 status %s %s %s %s %s %u %s %s", when,
                           licence_id, meta->type_code, meta->issuer_code, list, meta->status_idx,
                           authd_status_value_name(status), why));
}

size_t authd_log_entry_access(char out[CERTLIB_LOG_ENTRY_MAX], bool lookup, int64_t time, const char *client,
                              const char *matter, const uint8_t *holder_key, const char *outcome,
                              const char *licences, const char *use_cause, size_t use_cause_len,
                              const uint8_t disclosed[32])
{
    char when[CERTLIB_TIME_TEXT_LEN], holder[48] = "-", cause[CERTLIB_LOG_FIELD_MAX * 3], digest[48];
    certlib_time_format(time, when);
    if (holder_key) holder[certlib_base64url_encode(holder_key, AUTHD_HOLDER_KEY_LEN, holder)] = '\0';
    if (!certlib_log_field_encode(use_cause ? use_cause : "", use_cause ? use_cause_len : 0, cause,
                                  sizeof(cause)))
        return 0;
    digest[certlib_base64url_encode(disclosed, 32, digest)] = '\0';
    return finish(snprintf(out, CERTLIB_LOG_ENTRY_MAX, "access/v2 %s %s %s %s %s %s %s %s %s",
                           lookup ? "lookup" : "verify", when, client, matter && *matter ? matter : "-",
                           holder, outcome, licences && *licences ? licences : "-", cause, digest));
}

bool authd_log_entry_holder(const uint8_t *entry, size_t len, uint8_t holder_key[AUTHD_HOLDER_KEY_LEN])
{
    certlib_log_entry e;
    size_t got = 0;
    if (certlib_log_entry_parse(entry, len, &e) != CERTLIB_OK ||
        (e.kind != CERTLIB_LOG_LOOKUP && e.kind != CERTLIB_LOG_VERIFY) || e.holder.len == 0)
        return false;
    return certlib_base64url_decode((const char *)e.holder.ptr, e.holder.len, holder_key,
                                    AUTHD_HOLDER_KEY_LEN, &got) == CERTLIB_OK &&
           got == AUTHD_HOLDER_KEY_LEN;
}
