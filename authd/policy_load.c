/* Loading the policy files: parsed with the shared YAML helpers, then cross-checked (a matter naming an
 * unknown type, a client serving an unknown matter, an issuer not allowed by the type: each is a
 * start-up error naming the place). The run-time lookups are in policy.c. */
#include <openssl/sha.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certlib/present.h"
#include "certlib/ident.h"
#include "certlib/licence.h"
#include "access_record.h"
#include "free_text.h"
#include "policy.h"
#include "utf8_check.h"
#include "yamlutil.h"

/* GB/T 36903 metadata elements (certlib names them) a matter may ask for. */
static bool is_metadata(const char *name)
{
    return certlib_element_label(name) != NULL;
}

/* Element identifiers as certlib issues them: [a-z][a-z0-9_]{0,63}. */
static bool identifier_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] < 'a' || s[0] > 'z') return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) return false;
    return true;
}

static bool valid_uscc(const char *s)
{
    certlib_ident r;
    certlib_ident_opts opts = {.accept = CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)};
    return strlen(s) == 18 && certlib_ident_check(s, 18, &opts, &r) == CERTLIB_OK &&
           strcmp(r.normalized, s) == 0;
}

static bool valid_type_code(const char *s)
{
    if (strlen(s) != 21) return false;
    char uscc[19];
    memcpy(uscc, s, 18);
    uscc[18] = '\0';
    for (int i = 18; i < 21; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return valid_uscc(uscc);
}

static int hex32(struct authd_yaml *y, yaml_node_t *v, const char *key, uint8_t out[32])
{
    const char *s = authd_yaml_scalar(v);
    size_t bin_len = 0;
    if (!s || strlen(s) != 64 || sodium_hex2bin(out, 32, s, 64, NULL, &bin_len, NULL) != 0 || bin_len != 32)
        return authd_yaml_fail(y, v, "%s: expected 64 hexadecimal digits (a SHA-256)", key);
    return 0;
}

/* A list of strings into a NULL-terminated array. */
/* ---- licence-types.yaml ---- */

static int el_name(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct authd_element_schema *e = t;
    if (authd_yaml_string(y, v, "elements.name", &e->name) != 0) return -1;
    return identifier_ok(e->name)
               ? 0
               : authd_yaml_fail(y, v, "elements.name: '%s' is not of the form [a-z][a-z0-9_]*", e->name);
}
static int el_label(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    return authd_yaml_string(y, v, "elements.label", &((struct authd_element_schema *)t)->label);
}
static int el_type(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    static const char *const names[AUTHD_VALUE_TYPE_COUNT] = {"text", "int",  "bool", "date",
                                                              "ric",  "uscc", "ident"};
    const char *s = authd_yaml_scalar(v);
    for (int i = 0; s && i < AUTHD_VALUE_TYPE_COUNT; i++)
        if (strcmp(s, names[i]) == 0)
            return ((struct authd_element_schema *)t)->type = (enum authd_value_type)i, 0;
    return authd_yaml_fail(y, v, "elements.type: expected text, int, bool, date, ric, uscc or ident");
}
static int el_required(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    int b;
    if (authd_yaml_bool(y, v, "elements.required", &b) != 0) return -1;
    ((struct authd_element_schema *)t)->required = b;
    return 0;
}

static int one_element(struct authd_yaml *y, yaml_node_t *item, size_t i, void *target)
{
    static const struct authd_yaml_field fields[] = {
        {"name", el_name}, {"label", el_label}, {"type", el_type}, {"required", el_required}};
    struct authd_licence_type *t = target;
    struct authd_element_schema *e = &t->elements[i];
    t->n_elements = i + 1; /* before the walk: what it sets is freed with the type, even on failure */
    if (authd_yaml_walk(y, item, "elements", fields, 4, e) != 0) return -1;
    if (!e->name || !e->label) return authd_yaml_fail(y, item, "elements: 'name' and 'label' are required");
    if (is_metadata(e->name))
        return authd_yaml_fail(y, item, "elements: '%s' is a metadata element", e->name);
    for (size_t j = 0; j < i; j++)
        if (strcmp(t->elements[j].name, e->name) == 0)
            return authd_yaml_fail(y, item, "elements: '%s' twice", e->name);
    return 0;
}

static int type_code(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct authd_licence_type *lt = t;
    if (authd_yaml_string(y, v, "code", &lt->code) != 0) return -1;
    return valid_type_code(lt->code)
               ? 0
               : authd_yaml_fail(y, v, "code: '%s' is not a GB/T 36904 type code (USCC + 3 digits)",
                                 lt->code);
}
static int type_name(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    return authd_yaml_string(y, v, "name", &((struct authd_licence_type *)t)->name);
}
static int type_holder(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    const char *s = authd_yaml_scalar(v);
    if (s && strcmp(s, "person") == 0)
        return ((struct authd_licence_type *)t)->holder = AUTHD_HOLDER_PERSON, 0;
    if (s && strcmp(s, "org") == 0) return ((struct authd_licence_type *)t)->holder = AUTHD_HOLDER_ORG, 0;
    return authd_yaml_fail(y, v, "holder: expected person or org");
}
static int type_issuers(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct authd_licence_type *lt = t;
    if (authd_yaml_strings(y, v, "issuers", &lt->issuers, &lt->n_issuers) != 0) return -1;
    for (size_t i = 0; i < lt->n_issuers; i++)
        if (!valid_uscc(lt->issuers[i]))
            return authd_yaml_fail(y, v, "issuers: '%s' is not a valid USCC", lt->issuers[i]);
    return 0;
}
static int type_validity(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    uint64_t n;
    if (authd_yaml_uint(y, v, "validity_days", 0, 36500, &n) != 0) return -1;
    ((struct authd_licence_type *)t)->validity_days = (uint32_t)n;
    return 0;
}
static int type_elements(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct authd_licence_type *lt = t;
    if (!v || v->type != YAML_SEQUENCE_NODE) return authd_yaml_fail(y, v, "elements: expected a list");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n > AUTHD_TYPE_MAX_ELEMENTS)
        return authd_yaml_fail(y, v, "elements: at most %d", AUTHD_TYPE_MAX_ELEMENTS);
    lt->elements = calloc(n ? n : 1, sizeof(*lt->elements));
    if (!lt->elements) return authd_yaml_fail(y, v, "out of memory");
    return authd_yaml_each(y, v, "elements", one_element, lt);
}

static int one_type(struct authd_yaml *y, yaml_node_t *item, size_t i, void *target)
{
    static const struct authd_yaml_field fields[] = {{"code", type_code},
                                                     {"name", type_name},
                                                     {"holder", type_holder},
                                                     {"issuers", type_issuers},
                                                     {"validity_days", type_validity},
                                                     {"elements", type_elements}};
    struct authd_policy *p = target;
    struct authd_licence_type *t = &p->types[i];
    p->n_types = i + 1;
    if (authd_yaml_walk(y, item, "licence_types", fields, sizeof(fields) / sizeof(fields[0]), t) != 0)
        return -1;
    if (!t->code || !t->name || !t->issuers)
        return authd_yaml_fail(y, item, "licence_types: 'code', 'name' and 'issuers' are required");
    for (size_t j = 0; j < i; j++)
        if (strcmp(p->types[j].code, t->code) == 0)
            return authd_yaml_fail(y, item, "licence_types: code %s twice", t->code);
    return 0;
}

/* ---- matters.yaml ---- */

struct matter_ctx {
    struct authd_policy *p;
    struct authd_matter *m;
};

static int one_need(struct authd_yaml *y, yaml_node_t *item, size_t i, void *target)
{
    struct matter_ctx *mc = target;
    struct authd_matter_need *n = &mc->m->needs[i];
    mc->m->n_needs = i + 1;
    if (!item || item->type != YAML_MAPPING_NODE)
        return authd_yaml_fail(y, item, "licences: expected a mapping");
    yaml_node_t *type = NULL, *elements = NULL;
    for (yaml_node_pair_t *pr = item->data.mapping.pairs.start; pr < item->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(&y->doc, pr->key),
                    *v = yaml_document_get_node(&y->doc, pr->value);
        const char *key = authd_yaml_scalar(k);
        if (key && strcmp(key, "type") == 0)
            type = v;
        else if (key && strcmp(key, "elements") == 0)
            elements = v;
        else
            return authd_yaml_fail(y, k, "licences: unknown key '%s'", key ? key : "?");
    }
    if (!type || !elements) return authd_yaml_fail(y, item, "licences: 'type' and 'elements' are required");
    const char *code = authd_yaml_scalar(type);
    if (!code) return authd_yaml_fail(y, type, "licences.type: expected a licence type code");
    n->type = authd_policy_type(mc->p, code, strlen(code));
    if (!n->type)
        return authd_yaml_fail(y, type, "licences.type: no licence type %s in licence-types.yaml", code);
    for (size_t j = 0; j < i; j++)
        if (mc->m->needs[j].type == n->type) return authd_yaml_fail(y, type, "licences.type: %s twice", code);
    if (authd_yaml_strings(y, elements, "licences.elements", &n->elements, &n->n_elements) != 0) return -1;
    for (size_t j = 0; j < n->n_elements; j++)
        if (!is_metadata(n->elements[j]) && !authd_type_element(n->type, n->elements[j]))
            return authd_yaml_fail(y, elements, "licences.elements: %s has no element '%s'", n->type->name,
                                   n->elements[j]);
    return 0;
}

static int matter_code(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct matter_ctx *mc = t;
    if (authd_yaml_string(y, v, "code", &mc->m->code) != 0) return -1;
    for (const char *c = mc->m->code; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return authd_yaml_fail(y, v, "code: use A-Z, 0-9 and '-' only");
    return 0;
}
static int matter_shared_code(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct matter_ctx *mc = t;
    if (authd_yaml_string(y, v, "shared_code", &mc->m->shared_code) != 0) return -1;
    size_t n = strlen(mc->m->shared_code);
    for (const char *c = mc->m->shared_code; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return authd_yaml_fail(y, v, "shared_code: use A-Z, 0-9 and '-' only");
    return n && n <= 64 ? 0 : authd_yaml_fail(y, v, "shared_code: 1 to 64 characters");
}
static int matter_name(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    return authd_yaml_string(y, v, "name", &((struct matter_ctx *)t)->m->name);
}
static int matter_licences(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct matter_ctx *mc = t;
    if (!v || v->type != YAML_SEQUENCE_NODE) return authd_yaml_fail(y, v, "licences: expected a list");
    size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    if (n == 0 || n > AUTHD_MATTER_MAX_NEEDS)
        return authd_yaml_fail(y, v, "licences: 1 to %d licence types", AUTHD_MATTER_MAX_NEEDS);
    mc->m->needs = calloc(n, sizeof(*mc->m->needs));
    if (!mc->m->needs) return authd_yaml_fail(y, v, "out of memory");
    return authd_yaml_each(y, v, "licences", one_need, mc);
}

/* The desk's pick list: each a use cause a lookup would accept (free_text.h: never an identity number). */
static int matter_use_causes(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct authd_matter *m = ((struct matter_ctx *)t)->m;
    if (authd_yaml_strings(y, v, "use_causes", &m->use_causes, &m->n_use_causes) != 0) return -1;
    if (m->n_use_causes > AUTHD_MATTER_MAX_USE_CAUSES)
        return authd_yaml_fail(y, v, "use_causes: at most %d", AUTHD_MATTER_MAX_USE_CAUSES);
    for (size_t i = 0; i < m->n_use_causes; i++) {
        size_t len = strlen(m->use_causes[i]);
        if (len == 0 || len > AUTHD_USE_CAUSE_MAX || !authd_utf8_valid(m->use_causes[i], len) ||
            authd_text_has_identity(NULL, m->use_causes[i], len, NULL))
            return authd_yaml_fail(y, v, "use_causes: 1 to %d bytes of UTF-8 each, no identity numbers",
                                   AUTHD_USE_CAUSE_MAX);
    }
    return 0;
}

static int one_matter(struct authd_yaml *y, yaml_node_t *item, size_t i, void *target)
{
    static const struct authd_yaml_field fields[] = {{"code", matter_code},
                                                     {"name", matter_name},
                                                     {"licences", matter_licences},
                                                     {"use_causes", matter_use_causes},
                                                     {"shared_code", matter_shared_code}};
    struct authd_policy *p = target;
    struct matter_ctx mc = {p, &p->matters[i]};
    p->n_matters = i + 1;
    if (authd_yaml_walk(y, item, "matters", fields, sizeof(fields) / sizeof(fields[0]), &mc) != 0) return -1;
    if (!mc.m->code || !mc.m->name || !mc.m->needs)
        return authd_yaml_fail(y, item, "matters: 'code', 'name' and 'licences' are required");
    for (size_t j = 0; j < i; j++)
        if (strcmp(p->matters[j].code, mc.m->code) == 0 ||
            (mc.m->shared_code && p->matters[j].shared_code &&
             strcmp(p->matters[j].shared_code, mc.m->shared_code) == 0))
            return authd_yaml_fail(y, item, "matters: code %s twice",
                                   mc.m->shared_code ? mc.m->shared_code : mc.m->code);
    return 0;
}

/* ---- clients.yaml ---- */

struct client_ctx {
    struct authd_policy *p;
    struct authd_client *c;
    char **types, **matters;
    size_t n_types, n_matters;
    bool has_unmasked, has_binding;
};

/* Client ids name counters in challenges and go into access-log entries as one space-free field, so
 * they follow certlib's counter-id rule. */
static int cl_id(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    char **id = &((struct client_ctx *)t)->c->id;
    if (authd_yaml_string(y, v, "id", id) != 0) return -1;
    if (certlib_counter_id_valid(*id, strlen(*id))) return 0;
    return authd_yaml_fail(y, v, "clients: id: 1 to 64 of a-z, 0-9, '.', '_' and '-'");
}
static int cl_name(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    return authd_yaml_string(y, v, "name", &((struct client_ctx *)t)->c->name);
}
static int cl_role(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    const char *s = authd_yaml_scalar(v);
    for (int r = AUTHD_ROLE_ISSUER; s && r <= AUTHD_ROLE_PEER; r++)
        if (strcmp(s, authd_role_name((enum authd_role)r)) == 0)
            return ((struct client_ctx *)t)->c->role = (enum authd_role)r, 0;
    return authd_yaml_fail(y, v, "role: expected issuer, counter, auditor, admin or peer");
}
static int cl_issuer(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct authd_client *c = ((struct client_ctx *)t)->c;
    if (authd_yaml_string(y, v, "issuer_code", &c->issuer_code) != 0) return -1;
    return valid_uscc(c->issuer_code) ? 0 : authd_yaml_fail(y, v, "issuer_code: not a valid USCC");
}
static int cl_types(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct client_ctx *cc = t;
    return authd_yaml_strings(y, v, "licence_types", &cc->types, &cc->n_types);
}
static int cl_matters(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct client_ctx *cc = t;
    return authd_yaml_strings(y, v, "matters", &cc->matters, &cc->n_matters);
}
static int cl_unmasked(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct client_ctx *cc = t;
    int b;
    if (authd_yaml_bool(y, v, "unmasked", &b) != 0) return -1;
    cc->c->unmasked = b;
    cc->has_unmasked = true;
    return 0;
}
static int cl_binding(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct client_ctx *cc = t;
    int b;
    if (authd_yaml_bool(y, v, "require_holder_binding", &b) != 0) return -1;
    cc->c->require_holder_binding = b;
    cc->has_binding = true;
    return 0;
}
static int cl_token(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct authd_client *c = ((struct client_ctx *)t)->c;
    c->has_token = true;
    return hex32(y, v, "token_sha256", c->token_sha256);
}
static int cl_cert(struct authd_yaml *y, yaml_node_t *v, void *t)
{
    struct authd_client *c = ((struct client_ctx *)t)->c;
    c->has_cert = true;
    return hex32(y, v, "cert_sha256", c->cert_sha256);
}

static int resolve_client_scope(struct authd_yaml *y, yaml_node_t *item, struct client_ctx *cc)
{
    struct authd_client *c = cc->c;
    bool issuer = c->role == AUTHD_ROLE_ISSUER;
    bool counter = c->role == AUTHD_ROLE_COUNTER || c->role == AUTHD_ROLE_PEER; /* a peer serves counters */
    if (issuer != (c->issuer_code != NULL) || issuer != (cc->types != NULL))
        return authd_yaml_fail(
            y, item, "clients: issuer_code and licence_types go with role issuer, and only with it");
    if (counter != (cc->matters != NULL) || ((cc->has_unmasked || cc->has_binding) && !counter))
        return authd_yaml_fail(y, item,
                               "clients: matters, unmasked and require_holder_binding go with role counter "
                               "or peer, and only with "
                               "them");
    if (cc->n_types) {
        c->types = calloc(cc->n_types, sizeof(*c->types));
        if (!c->types) return authd_yaml_fail(y, item, "out of memory");
    }
    for (size_t i = 0; i < cc->n_types; i++) {
        const struct authd_licence_type *lt = authd_policy_type(cc->p, cc->types[i], strlen(cc->types[i]));
        if (!lt) return authd_yaml_fail(y, item, "licence_types: no licence type %s", cc->types[i]);
        bool allowed = false;
        for (size_t k = 0; k < lt->n_issuers; k++)
            allowed = allowed || strcmp(lt->issuers[k], c->issuer_code) == 0;
        if (!allowed)
            return authd_yaml_fail(y, item, "licence_types: %s does not list issuer %s", lt->code,
                                   c->issuer_code);
        c->types[c->n_types++] = lt;
    }
    if (cc->n_matters) {
        c->matters = calloc(cc->n_matters, sizeof(*c->matters));
        if (!c->matters) return authd_yaml_fail(y, item, "out of memory");
    }
    for (size_t i = 0; i < cc->n_matters; i++) {
        const struct authd_matter *m = authd_policy_matter(cc->p, cc->matters[i], strlen(cc->matters[i]));
        if (!m) return authd_yaml_fail(y, item, "matters: no matter %s in matters.yaml", cc->matters[i]);
        if (c->role == AUTHD_ROLE_PEER && !m->shared_code)
            return authd_yaml_fail(y, item, "matters: %s has no shared_code, so no peer can ask for it",
                                   m->code);
        c->matters[c->n_matters++] = m;
    }
    return 0;
}

static int one_client(struct authd_yaml *y, yaml_node_t *item, size_t i, void *target)
{
    static const struct authd_yaml_field fields[] = {{"id", cl_id},
                                                     {"name", cl_name},
                                                     {"role", cl_role},
                                                     {"issuer_code", cl_issuer},
                                                     {"licence_types", cl_types},
                                                     {"matters", cl_matters},
                                                     {"unmasked", cl_unmasked},
                                                     {"require_holder_binding", cl_binding},
                                                     {"token_sha256", cl_token},
                                                     {"cert_sha256", cl_cert}};
    struct authd_policy *p = target;
    struct client_ctx cc = {.p = p, .c = &p->clients[i]};
    cc.c->role = (enum authd_role) - 1;
    p->n_clients = i + 1;
    int rc = authd_yaml_walk(y, item, "clients", fields, sizeof(fields) / sizeof(fields[0]), &cc);
    if (rc == 0 && (!cc.c->id || (int)cc.c->role < 0))
        rc = authd_yaml_fail(y, item, "clients: 'id' and 'role' are required");
    if (rc == 0 && !cc.c->has_token && !cc.c->has_cert)
        rc = authd_yaml_fail(y, item, "clients: a client needs token_sha256 or cert_sha256");
    for (size_t j = 0; rc == 0 && j < i; j++) {
        const struct authd_client *o = &p->clients[j];
        if (strcmp(o->id, cc.c->id) == 0) rc = authd_yaml_fail(y, item, "clients: id %s twice", cc.c->id);
        if ((o->has_token && cc.c->has_token && !memcmp(o->token_sha256, cc.c->token_sha256, 32)) ||
            (o->has_cert && cc.c->has_cert && !memcmp(o->cert_sha256, cc.c->cert_sha256, 32)))
            rc = authd_yaml_fail(y, item, "clients: %s shares a credential with %s", cc.c->id, o->id);
    }
    if (rc == 0) rc = resolve_client_scope(y, item, &cc);
    authd_yaml_strings_free(cc.types);
    authd_yaml_strings_free(cc.matters);
    return rc;
}

/* ---- files ---- */

static int load_list(const char *dir, const char *file, const char *key, struct authd_policy *p,
                     void *array_out, size_t elem_size,
                     int (*one)(struct authd_yaml *, yaml_node_t *, size_t, void *), char *err,
                     size_t err_cap)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    struct authd_yaml y;
    if (authd_yaml_load(&y, path, err, err_cap) != 0) return -1;
    yaml_node_t *root = yaml_document_get_root_node(&y.doc), *list = NULL;
    int rc = -1;
    if (root->type != YAML_MAPPING_NODE ||
        root->data.mapping.pairs.top - root->data.mapping.pairs.start != 1 ||
        strcmp(authd_yaml_scalar(yaml_document_get_node(&y.doc, root->data.mapping.pairs.start->key)) ?: "",
               key) != 0) {
        authd_yaml_fail(&y, root, "top level: expected one key, '%s'", key);
        goto done;
    }
    list = yaml_document_get_node(&y.doc, root->data.mapping.pairs.start->value);
    if (!list || list->type != YAML_SEQUENCE_NODE ||
        list->data.sequence.items.top == list->data.sequence.items.start) {
        authd_yaml_fail(&y, list, "%s: expected a non-empty list", key);
        goto done;
    }
    size_t n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    void *array = calloc(n, elem_size);
    if (!array) {
        authd_yaml_fail(&y, list, "out of memory");
        goto done;
    }
    *(void **)array_out = array;
    rc = authd_yaml_each(&y, list, key, one, p);
done:
    authd_yaml_free(&y);
    return rc;
}

int authd_policy_load(struct authd_policy *p, const char *dir, char *err, size_t err_cap)
{
    memset(p, 0, sizeof(*p));
    if (sodium_init() < 0) return snprintf(err, err_cap, "libsodium failed to initialise"), -1;
    if (load_list(dir, "licence-types.yaml", "licence_types", p, &p->types, sizeof(*p->types), one_type, err,
                  err_cap) != 0 ||
        load_list(dir, "matters.yaml", "matters", p, &p->matters, sizeof(*p->matters), one_matter, err,
                  err_cap) != 0 ||
        load_list(dir, "clients.yaml", "clients", p, &p->clients, sizeof(*p->clients), one_client, err,
                  err_cap) != 0) {
        authd_policy_free(p);
        return -1;
    }
    for (size_t i = 0; i < p->n_clients; i++)
        p->clients[i].policy = p;
    return 0;
}

void authd_policy_free(struct authd_policy *p)
{
    for (size_t i = 0; i < p->n_types; i++) {
        struct authd_licence_type *t = &p->types[i];
        free(t->code);
        free(t->name);
        for (size_t j = 0; j < t->n_elements; j++)
            free(t->elements[j].name), free(t->elements[j].label);
        free(t->elements);
        authd_yaml_strings_free(t->issuers);
    }
    free(p->types);
    for (size_t i = 0; i < p->n_matters; i++) {
        struct authd_matter *m = &p->matters[i];
        free(m->code);
        free(m->shared_code);
        free(m->name);
        for (size_t j = 0; j < m->n_needs; j++)
            authd_yaml_strings_free(m->needs[j].elements);
        free(m->needs);
        authd_yaml_strings_free(m->use_causes);
    }
    free(p->matters);
    for (size_t i = 0; i < p->n_clients; i++) {
        struct authd_client *c = &p->clients[i];
        free(c->id);
        free(c->name);
        free(c->issuer_code);
        free(c->types);
        free(c->matters);
    }
    free(p->clients);
    memset(p, 0, sizeof(*p));
}
