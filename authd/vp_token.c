/* A wallet's vp_token (vp_token.h): the plain form by hand, the rest by jansson. */
#include <stdbool.h>
#include <string.h>

#include "plain_json.h"
#include "vp_token.h"

#define SHAPE "vp_token is a JSON object of the request's credential query ids"
#define ONE "each credential query is answered by one presentation, a base64url string"

/* A plain string at s[*i] (plain_json.h), as a slice. */
static bool plain_string(const char *s, size_t len, size_t *i, const char **out, size_t *out_len)
{
    size_t start, end;
    if (!authd_plain_string(s, len, i, &start, &end)) return false;
    *out = s + start;
    *out_len = end - start;
    return true;
}

int authd_vp_token_read_plain(const char *s, size_t len, struct authd_vp_token *out)
{
    *out = (struct authd_vp_token){0};
    size_t i = 0;
    if (!authd_plain_expect(s, len, &i, '{')) return 0;
    i = authd_plain_ws(s, len, i);
    bool empty = i < len && s[i] == '}';
    if (empty) i++;
    while (!empty) {
        struct authd_vp_entry e;
        if (out->n == AUTHD_MATTER_MAX_NEEDS || !plain_string(s, len, &i, &e.id, &e.id_len) ||
            !authd_plain_expect(s, len, &i, ':') || !authd_plain_expect(s, len, &i, '[') ||
            !plain_string(s, len, &i, &e.presentation, &e.presentation_len) ||
            !authd_plain_expect(s, len, &i, ']'))
            return 0;
        for (size_t k = 0; k < out->n; k++) /* jansson keeps the last of a key twice: its reading */
            if (out->entries[k].id_len == e.id_len && memcmp(out->entries[k].id, e.id, e.id_len) == 0)
                return 0;
        out->entries[out->n++] = e;
        i = authd_plain_ws(s, len, i);
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        if (!authd_plain_expect(s, len, &i, '}')) return 0;
        break;
    }
    if (authd_plain_ws(s, len, i) != len) return 0;
    return 1;
}

const char *authd_vp_token_read(const char *text, size_t len, struct authd_vp_token *out)
{
    if (authd_vp_token_read_plain(text, len, out)) return out->n ? NULL : SHAPE;
    *out = (struct authd_vp_token){.doc = json_loadb(text, len, 0, NULL)};
    if (!out->doc) return "vp_token is missing or not JSON";
    if (!json_is_object(out->doc) || json_object_size(out->doc) == 0 ||
        json_object_size(out->doc) > AUTHD_MATTER_MAX_NEEDS)
        return SHAPE;
    const char *id;
    json_t *list;
    json_object_foreach(out->doc, id, list)
    {
        json_t *p = json_array_get(list, 0);
        if (!json_is_array(list) || json_array_size(list) != 1 || !json_is_string(p)) return ONE;
        out->entries[out->n++] = (struct authd_vp_entry){.id = id,
                                                         .id_len = strlen(id),
                                                         .presentation = json_string_value(p),
                                                         .presentation_len = json_string_length(p)};
    }
    return NULL;
}

void authd_vp_token_free(struct authd_vp_token *t)
{
    json_decref(t->doc);
    t->doc = NULL;
}
