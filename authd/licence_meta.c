/* Names of licence facts (licence_meta.h). */
#include <stdio.h>
#include <string.h>

#include "certlib/status.h"
#include "licence_meta.h"

static const char *const status_names[] = {
    [CERTLIB_STATUS_VALUE_VALID] = "valid",
    [CERTLIB_STATUS_VALUE_REVOKED] = "revoked",
    [CERTLIB_STATUS_VALUE_SUSPENDED] = "suspended",
};

const char *authd_status_value_name(unsigned status)
{
    return status < sizeof(status_names) / sizeof(status_names[0]) && status_names[status]
               ? status_names[status]
               : "unknown";
}

int authd_status_value_of(const char *name, size_t len)
{
    for (size_t v = 0; v < sizeof(status_names) / sizeof(status_names[0]); v++)
        if (status_names[v] && len == strlen(status_names[v]) && memcmp(name, status_names[v], len) == 0)
            return (int)v;
    return -1;
}

void authd_status_list_id(const char *issuer_code, uint32_t list_no, char out[AUTHD_LIST_ID_MAX])
{
    snprintf(out, AUTHD_LIST_ID_MAX, "%s-%u", issuer_code, list_no);
}

void authd_licence_place(const struct authd_licence_meta *m, uint8_t out[AUTHD_PLACE_LEN])
{
    memcpy(out, m->issuer_code, AUTHD_ISSUER_CODE_LEN);
    uint8_t *p = out + AUTHD_ISSUER_CODE_LEN;
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(m->list_no >> (24 - 8 * i)), p[4 + i] = (uint8_t)(m->status_idx >> (24 - 8 * i));
}

bool authd_status_list_id_parse(const char *id, size_t len, char issuer_code[AUTHD_ISSUER_CODE_LEN + 1],
                                uint32_t *list_no)
{
    if (len < AUTHD_ISSUER_CODE_LEN + 2 || len > AUTHD_ISSUER_CODE_LEN + 11 ||
        id[AUTHD_ISSUER_CODE_LEN] != '-' || id[AUTHD_ISSUER_CODE_LEN + 1] == '0')
        return false;
    uint64_t v = 0;
    for (size_t i = AUTHD_ISSUER_CODE_LEN + 1; i < len; i++) {
        if (id[i] < '0' || id[i] > '9') return false;
        v = v * 10 + (uint64_t)(id[i] - '0');
    }
    if (v > UINT32_MAX) return false;
    memcpy(issuer_code, id, AUTHD_ISSUER_CODE_LEN);
    issuer_code[AUTHD_ISSUER_CODE_LEN] = '\0';
    *list_no = (uint32_t)v;
    return true;
}
