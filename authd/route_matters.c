/* GET /v1/matters: the matters the signed-in counter serves, with what each needs: the licence types and
 * the elements disclosed of each, all with their Chinese names, and the use causes to pick from, for the
 * counter desk. */
#include <jansson.h>
#include <string.h>

#include "certlib/licence.h"
#include "policy.h"
#include "router.h"

/* An element's label: the type's own from the policies, else the metadata's from certlib. */
static const char *label_of(const struct authd_licence_type *type, const char *name)
{
    const struct authd_element_schema *schema = authd_type_element(type, name);
    return schema ? schema->label : certlib_element_label(name);
}

static json_t *need_json(const struct authd_matter_need *need)
{
    json_t *elements = json_array();
    for (size_t i = 0; elements && i < need->n_elements; i++)
        json_array_append_new(elements, json_pack("{s:s, s:s?}", "name", need->elements[i], "label",
                                                  label_of(need->type, need->elements[i])));
    return json_pack("{s:s, s:s, s:o*}", "type", need->type->code, "type_name", need->type->name, "elements",
                     elements);
}

void authd_route_matters(struct authd_request *r)
{
    const struct authd_client *client = r->client;
    json_t *matters = json_array();
    for (size_t i = 0; matters && i < client->n_matters; i++) {
        const struct authd_matter *m = client->matters[i];
        json_t *needs = json_array();
        for (size_t k = 0; needs && k < m->n_needs; k++)
            json_array_append_new(needs, need_json(&m->needs[k]));
        json_t *causes = json_array();
        for (size_t k = 0; causes && k < m->n_use_causes; k++)
            json_array_append_new(causes, json_string(m->use_causes[k]));
        json_array_append_new(matters, json_pack("{s:s, s:s, s:o*, s:o*}", "code", m->code, "name", m->name,
                                                 "needs", needs, "use_causes", causes));
    }
    json_t *doc = json_pack("{s:s, s:o*}", "counter", client->id, "matters", matters);
    if (!doc) {
        authd_problem(r->req, 503, "overloaded", "out of memory");
        return;
    }
    authd_send_json_doc(r->req, 200, doc);
}
