/* DCQL queries from matters, and the minimum-necessary check of what a wallet disclosed. */
#include <stdio.h>
#include <string.h>

#include "certlib/licence.h"
#include "dcql.h"

/* The namespace of element `name` of licence type `type` (docs/formats.md): the metadata's, whose labels
 * certlib knows, or the type's own. */
static void ns_of(const char *type, const char *name, char *out, size_t cap)
{
    if (certlib_element_label(name))
        snprintf(out, cap, "%s", CERTLIB_NS_META);
    else if (certlib_type_namespace(type, out, cap) != CERTLIB_OK)
        out[0] = '\0'; /* not reached: policy_load.c checks every type code */
}

static void claim(struct authd_jsonw *w, const char *type, const char *name, bool constrain)
{
    char ns[64];
    ns_of(type, name, ns, sizeof(ns));
    authd_jsonw_lit(w, "{\"path\":[");
    authd_jsonw_cstring(w, ns);
    authd_jsonw_lit(w, ",");
    authd_jsonw_cstring(w, name);
    authd_jsonw_lit(w, "]");
    if (constrain) {
        authd_jsonw_lit(w, ",\"values\":[");
        authd_jsonw_cstring(w, type);
        authd_jsonw_lit(w, "]");
    }
    authd_jsonw_lit(w, "}");
}

/* licence_id and licence_type_code are asked for always: the first names the licence, the second ties
 * the answer to the type. */
static bool implied(const char *name)
{
    return strcmp(name, "licence_id") == 0 || strcmp(name, "licence_type_code") == 0;
}

void authd_dcql_write(struct authd_jsonw *w, const struct authd_matter *m)
{
    authd_jsonw_lit(w, "{\"credentials\":[");
    for (size_t i = 0; i < m->n_needs; i++) {
        const struct authd_matter_need *need = &m->needs[i];
        const char *type = need->type->code;
        if (i) authd_jsonw_lit(w, ",");
        authd_jsonw_lit(w, "{\"id\":");
        authd_jsonw_cstring(w, type);
        authd_jsonw_lit(w, ",\"format\":\"mso_mdoc\",\"meta\":{\"doctype_value\":\"" CERTLIB_DOCTYPE
                           "\"},\"claims\":[");
        claim(w, type, "licence_id", false);
        authd_jsonw_lit(w, ",");
        claim(w, type, "licence_type_code", true);
        for (size_t e = 0; e < need->n_elements; e++) {
            if (implied(need->elements[e])) continue;
            authd_jsonw_lit(w, ",");
            claim(w, type, need->elements[e], false);
        }
        authd_jsonw_lit(w, "]}");
    }
    authd_jsonw_lit(w, "],\"credential_sets\":[");
    for (size_t i = 0; i < m->n_needs; i++) {
        if (i) authd_jsonw_lit(w, ",");
        authd_jsonw_lit(w, "{\"options\":[[");
        authd_jsonw_cstring(w, m->needs[i].type->code);
        authd_jsonw_lit(w, "]],\"required\":false}");
    }
    authd_jsonw_lit(w, "]}");
}

const struct authd_matter_need *authd_dcql_need(const struct authd_matter *m, const char *id, size_t len)
{
    for (size_t i = 0; i < m->n_needs; i++)
        if (strlen(m->needs[i].type->code) == len && memcmp(m->needs[i].type->code, id, len) == 0)
            return &m->needs[i];
    return NULL;
}

bool authd_dcql_within(const struct authd_matter_need *need, const certlib_result *r, const char **beyond)
{
    const char *type = need->type->code;
    for (size_t i = 0, n = certlib_result_element_count(r); i < n; i++) {
        const certlib_element *e = certlib_result_element(r, i);
        char ns[64];
        ns_of(type, e->identifier, ns, sizeof(ns));
        bool asked = strcmp(ns, e->ns) == 0 && implied(e->identifier);
        for (size_t k = 0; !asked && k < need->n_elements; k++)
            asked = strcmp(ns, e->ns) == 0 && strcmp(need->elements[k], e->identifier) == 0;
        if (!asked) {
            *beyond = e->identifier;
            return false;
        }
    }
    return true;
}
