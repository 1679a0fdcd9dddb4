/* Who is calling: a bearer token (Authorization: Bearer ..., compared by SHA-256) or a mutual-TLS
 * client certificate (its SHA-256 fingerprint), mapped to a client of policies/clients.yaml. Tokens
 * and certificates never appear in logs or problem documents. */
#ifndef AUTHD_AUTH_H
#define AUTHD_AUTH_H

#include "http.h"
#include "policy.h"

/* The client, or NULL after sending 401 (no or unknown credentials). */
const struct authd_client *authd_authenticate(struct authd_request *r);

/* The client when its role is one of `roles` (a mask of 1 << AUTHD_ROLE_*); otherwise sends 401 or 403
 * and returns NULL. */
const struct authd_client *authd_require(struct authd_request *r, unsigned roles);
#define AUTHD_ANY_ROLE 0xFu
#define AUTHD_ROLE(r) (1u << (r))

#endif
