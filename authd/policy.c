/* Policies at run time: read-only after loading (policy_load.c), so every worker reads them without
 * locks. */
#include <sodium.h>
#include <string.h>

#include "policy.h"

const struct authd_licence_type *authd_policy_type(const struct authd_policy *p, const char *code, size_t len)
{
    for (size_t i = 0; i < p->n_types; i++)
        if (strlen(p->types[i].code) == len && memcmp(p->types[i].code, code, len) == 0) return &p->types[i];
    return NULL;
}

const struct authd_matter *authd_policy_matter(const struct authd_policy *p, const char *code, size_t len)
{
    for (size_t i = 0; i < p->n_matters; i++)
        if (strlen(p->matters[i].code) == len && memcmp(p->matters[i].code, code, len) == 0)
            return &p->matters[i];
    return NULL;
}

const struct authd_matter *authd_policy_shared_matter(const struct authd_policy *p, const char *code,
                                                      size_t len)
{
    for (size_t i = 0; i < p->n_matters; i++) {
        const char *shared = p->matters[i].shared_code;
        if (shared && strlen(shared) == len && memcmp(shared, code, len) == 0) return &p->matters[i];
    }
    return NULL;
}

const struct authd_client *authd_policy_client_by_token(const struct authd_policy *p, const char *token,
                                                        size_t len)
{
    uint8_t h[32];
    /* libsodium's, not OpenSSL 3's one-shot SHA256(), which fetches the algorithm at every request */
    crypto_hash_sha256(h, (const unsigned char *)token, len);
    const struct authd_client *found = NULL;
    for (size_t i = 0; i < p->n_clients; i++) /* no early exit: the time does not depend on which matched */
        if (p->clients[i].has_token && sodium_memcmp(p->clients[i].token_sha256, h, 32) == 0)
            found = &p->clients[i];
    sodium_memzero(h, sizeof(h));
    return found;
}

const struct authd_client *authd_policy_client_by_cert(const struct authd_policy *p, const uint8_t sha256[32])
{
    for (size_t i = 0; i < p->n_clients; i++)
        if (p->clients[i].has_cert && memcmp(p->clients[i].cert_sha256, sha256, 32) == 0)
            return &p->clients[i];
    return NULL;
}

bool authd_client_may_issue(const struct authd_client *c, const struct authd_licence_type *t)
{
    for (size_t i = 0; c->role == AUTHD_ROLE_ISSUER && i < c->n_types; i++)
        if (c->types[i] == t) return true;
    return false;
}

bool authd_client_serves(const struct authd_client *c, const struct authd_matter *m)
{
    for (size_t i = 0; (c->role == AUTHD_ROLE_COUNTER || c->role == AUTHD_ROLE_PEER) && i < c->n_matters; i++)
        if (c->matters[i] == m) return true;
    return false;
}

const char *authd_role_name(enum authd_role role)
{
    switch (role) {
    case AUTHD_ROLE_ISSUER:
        return "issuer";
    case AUTHD_ROLE_COUNTER:
        return "counter";
    case AUTHD_ROLE_AUDITOR:
        return "auditor";
    case AUTHD_ROLE_PEER:
        return "peer";
    case AUTHD_ROLE_ADMIN:
        return "admin";
    default:
        return "unknown";
    }
}

const struct authd_element_schema *authd_type_element(const struct authd_licence_type *t, const char *name)
{
    for (size_t i = 0; i < t->n_elements; i++)
        if (strcmp(t->elements[i].name, name) == 0) return &t->elements[i];
    return NULL;
}

const char *authd_policy_element_label(void *policy, const char *type_code, const char *identifier)
{
    const struct authd_licence_type *type = authd_policy_type(policy, type_code, strlen(type_code));
    const struct authd_element_schema *schema = type ? authd_type_element(type, identifier) : NULL;
    return schema ? schema->label : NULL;
}
