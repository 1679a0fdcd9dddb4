/* A Status List Token as parsed, before or after its signature is checked. Internal. */
#ifndef CERTLIB_STATUS_TOKEN_H
#define CERTLIB_STATUS_TOKEN_H

#include "certlib/status.h"
#include "cose/cose.h"

typedef struct certlib__status_token {
    certlib__sign1 sign1;
    certlib_slice uri;
    int64_t iat, exp;
    uint64_t ttl;
    unsigned bits;
    certlib_slice lst; /* compressed */
} certlib__status_token;

certlib_err certlib__status_token_parse(const uint8_t *cwt, size_t len, certlib__status_token *t);
/* Inflates the list (capped at CERTLIB_STATUS_LIST_MAX_BYTES). */
certlib_err certlib__status_token_list(const certlib__status_token *t, certlib_status_list **out);
const char *certlib__status_list_uri(const certlib_status_list *list);

#endif
