/* A presentation request's state as sealed (request_text.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "request_text.h"

authd_err authd_request_text(json_t *doc, const char *body, size_t body_len, char **text, size_t *len)
{
    char *head = json_dumps(doc, JSON_COMPACT);
    if (!head) return AUTHD_E_NOMEM;
    size_t head_len = strlen(head);
    if (!body) {
        *text = head, *len = head_len;
        return AUTHD_OK;
    }
    *len = head_len + 1 + body_len;
    if ((*text = malloc(*len))) {
        memcpy(*text, head, head_len + 1); /* its NUL the separator */
        memcpy(*text + head_len + 1, body, body_len);
    }
    sodium_memzero(head, head_len); /* the use cause */
    free(head);
    return *text ? AUTHD_OK : AUTHD_E_NOMEM;
}

authd_err authd_request_text_read(const char *text, size_t len, json_t **doc, const char **body,
                                  size_t *body_len)
{
    const char *nul = memchr(text, '\0', len);
    size_t head_len = nul ? (size_t)(nul - text) : len;
    *body = NULL, *body_len = 0;
    if (!(*doc = json_loadb(text, head_len, 0, NULL))) return AUTHD_E_CORRUPT;
    if (nul) {
        *body = nul + 1, *body_len = len - head_len - 1;
        return AUTHD_OK;
    }
    json_t *kept = json_object_get(json_object_get(*doc, "answer"), "body"); /* an earlier authd's */
    if (json_is_string(kept)) *body = json_string_value(kept), *body_len = json_string_length(kept);
    return AUTHD_OK;
}
