/* Names of licence facts (licence_meta.h). */
#include <stdio.h>

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
