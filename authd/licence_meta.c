/* Names of licence facts (licence_meta.h). */
#include <stdio.h>
#include <string.h>

#include "certlib/status.h"
#include "licence_meta.h"

const char *authd_status_value_name(unsigned status)
{
    return status == CERTLIB_STATUS_VALUE_REVOKED     ? "revoked"
           : status == CERTLIB_STATUS_VALUE_SUSPENDED ? "suspended"
                                                      : "valid";
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
