/* Policies: licence types, 一证通办 matters and clients (the YAML files in policies/), loaded and
 * cross-checked at start-up; read-only afterwards, so every worker reads them without locks. */
#ifndef AUTHD_POLICY_H
#define AUTHD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTHD_TYPE_MAX_ELEMENTS 64 /* type-specific elements of one licence type */
#define AUTHD_MATTER_MAX_NEEDS 16  /* licence types one matter needs */

/* An element's type. The identifier types are text checked as certlib checks the holder's number and
 * stored in canonical form: `ric` a person's (resident, legacy 15-digit, HMT permit, foreign permanent
 * resident), `uscc` an organisation's unified social credit code, `ident` any kind certlib knows. */
enum authd_value_type {
    AUTHD_VALUE_TEXT,
    AUTHD_VALUE_INT,
    AUTHD_VALUE_BOOL,
    AUTHD_VALUE_DATE,
    AUTHD_VALUE_RIC,
    AUTHD_VALUE_USCC,
    AUTHD_VALUE_IDENT,
    AUTHD_VALUE_TYPE_COUNT
};
enum authd_holder_kind { AUTHD_HOLDER_PERSON, AUTHD_HOLDER_ORG };
/* peer: another authd (federation.h), asking federated lookups on its counters' behalf. */
enum authd_role {
    AUTHD_ROLE_ISSUER,
    AUTHD_ROLE_COUNTER,
    AUTHD_ROLE_AUDITOR,
    AUTHD_ROLE_ADMIN,
    AUTHD_ROLE_PEER
};

struct authd_element_schema {
    char *name;
    char *label;
    enum authd_value_type type;
    bool required;
};

struct authd_licence_type {
    char *code; /* GB/T 36904 type code, 21 characters */
    char *name; /* 证照名称 */
    enum authd_holder_kind holder;
    struct authd_element_schema *elements;
    size_t n_elements;
    char **issuers; /* USCCs allowed to issue it */
    size_t n_issuers;
    uint32_t validity_days; /* 0: long-term */
};

struct authd_matter_need {
    const struct authd_licence_type *type;
    char **elements; /* metadata or type-specific element names (licence_view.c shows licence_id too) */
    size_t n_elements;
};

#define AUTHD_MATTER_MAX_USE_CAUSES 12 /* a pick list a clerk reads at a glance */

struct authd_matter {
    char *code;
    char *shared_code; /* the shared catalogue's code (办事事项标准化) federated lookups use; NULL: none */
    char *name;
    struct authd_matter_need *needs;
    size_t n_needs;
    char **use_causes; /* the counter desk's pick list (用途/事由); NULL-terminated, may be NULL */
    size_t n_use_causes;
};

struct authd_client {
    char *id;
    char *name;
    enum authd_role role;
    bool has_token, has_cert;
    uint8_t token_sha256[32];
    uint8_t cert_sha256[32];
    char *issuer_code;                       /* issuer */
    const struct authd_licence_type **types; /* issuer: what it may issue */
    size_t n_types;
    const struct authd_matter **matters; /* counter: what it serves; peer: what it may look up */
    size_t n_matters;
    bool unmasked;               /* counter: sees identifiers in clear */
    bool require_holder_binding; /* counter: accepts only licences bound to the holder's device, presented */
    const struct authd_policy *policy; /* the policies this client is part of */
};

struct authd_policy {
    struct authd_licence_type *types;
    size_t n_types;
    struct authd_matter *matters;
    size_t n_matters;
    struct authd_client *clients;
    size_t n_clients;
};

/* Loads licence-types.yaml, matters.yaml and clients.yaml from `dir` and checks every reference
 * between them (policy_load.c). On error writes "file:line: message" into err and returns -1. */
int authd_policy_load(struct authd_policy *policy, const char *dir, char *err, size_t err_cap);
void authd_policy_free(struct authd_policy *policy);

const struct authd_licence_type *authd_policy_type(const struct authd_policy *p, const char *code,
                                                   size_t len);
const struct authd_matter *authd_policy_matter(const struct authd_policy *p, const char *code, size_t len);
/* The matter with that shared catalogue code, NULL when none. */
const struct authd_matter *authd_policy_shared_matter(const struct authd_policy *p, const char *code,
                                                      size_t len);
/* Constant-time over the stored hashes. NULL when no client matches. */
const struct authd_client *authd_policy_client_by_token(const struct authd_policy *p, const char *token,
                                                        size_t len);
const struct authd_client *authd_policy_client_by_cert(const struct authd_policy *p,
                                                       const uint8_t sha256[32]);

bool authd_client_may_issue(const struct authd_client *c, const struct authd_licence_type *t);
bool authd_client_serves(const struct authd_client *c, const struct authd_matter *m);
const char *authd_role_name(enum authd_role role);

/* The element schema of a type-specific element, NULL when the type has none of that name. */
const struct authd_element_schema *authd_type_element(const struct authd_licence_type *t, const char *name);

/* A type-specific element's label in the policies `policy` (a const struct authd_policy *), NULL when the
 * policies label none: the certlib_label_fn verifications render their results with. */
const char *authd_policy_element_label(void *policy, const char *type_code, const char *identifier);

#endif
