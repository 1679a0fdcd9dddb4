/* /v1/ident: identity-number, USCC and organisation-code checks, one at a time or in batches. The
 * JSON of each result is certlib's (certlib_ident_to_json), the same certctl check --json prints. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "certlib/ident.h"
#include "router.h"

void authd_route_ident_get(struct authd_request *r)
{
    h2o_iovec_t number;
    if (authd_percent_decode(&r->req->pool, r->params[0], &number) != 0) {
        authd_problem(r->req, 400, "bad_path_encoding",
                      "the number in the path has a malformed percent-escape");
        return;
    }
    certlib_ident result;
    certlib_ident_opts opts = {.regions = r->server->regions};
    certlib_ident_check(number.base, number.len, &opts, &result);
    size_t need = certlib_ident_to_json(&result, opts.regions, number.base, number.len, NULL, 0);
    char *json = h2o_mem_alloc_pool(&r->req->pool, need + 1);
    certlib_ident_to_json(&result, opts.regions, number.base, number.len, json, need + 1);
    authd_send_json(r->req, 200, h2o_iovec_init(json, need));
}

static int is_json_content_type(h2o_req_t *req)
{
    ssize_t at = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (at < 0) return 1; /* curl -d without -H: take it as JSON rather than refuse */
    h2o_iovec_t v = req->headers.entries[at].value;
    size_t n = strlen("application/json");
    return v.len >= n && h2o_lcstris(v.base, n, "application/json", n) &&
           (v.len == n || v.base[n] == ';' || v.base[n] == ' ');
}

/* Validates the request document; on failure sends the problem and returns NULL. */
static json_t *parse_numbers(struct authd_request *r, json_t **doc_out)
{
    h2o_req_t *req = r->req;
    json_error_t error;
    /* ALLOW_NUL: a "\u0000" inside a number is an invalid number to report, not a broken request. */
    json_t *doc = json_loadb(req->entity.base ? req->entity.base : "", req->entity.len,
                             JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &error);
    *doc_out = doc;
    if (!doc) {
        /* error.text may quote the input, which may be an identity number: give the position only. */
        if (json_error_code(&error) == json_error_invalid_utf8)
            authd_problemf(req, 400, "invalid_utf8", "the body is not valid UTF-8 (line %d, column %d)",
                           error.line, error.column);
        else
            authd_problemf(req, 400, "malformed_json", "the body is not valid JSON (line %d, column %d)",
                           error.line, error.column);
        return NULL;
    }
    if (!json_is_object(doc)) {
        authd_problem(req, 400, "invalid_request", "the body must be a JSON object {\"numbers\": [...]}");
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(doc, key, value)
    {
        if (strcmp(key, "numbers") != 0) {
            authd_problem(req, 400, "unknown_field", "only the field 'numbers' is allowed");
            return NULL;
        }
    }
    json_t *numbers = json_object_get(doc, "numbers");
    if (!json_is_array(numbers)) {
        authd_problem(req, 400, "invalid_request", "'numbers' must be an array of strings");
        return NULL;
    }
    size_t n = json_array_size(numbers);
    if (n > r->server->config->max_batch) {
        authd_problemf(req, 413, "batch_too_large", "at most %zu numbers per request, got %zu",
                       r->server->config->max_batch, n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!json_is_string(json_array_get(numbers, i))) {
            authd_problemf(req, 400, "invalid_request", "numbers[%zu] is not a string", i);
            return NULL;
        }
    }
    return numbers;
}

void authd_route_ident_check(struct authd_request *r)
{
    h2o_req_t *req = r->req;
    if (!is_json_content_type(req)) {
        authd_problem(req, 415, "unsupported_media_type", "send the numbers as application/json");
        return;
    }
    json_t *doc;
    json_t *numbers = parse_numbers(r, &doc);
    if (!numbers) {
        json_decref(doc);
        return;
    }
    size_t n = json_array_size(numbers);
    certlib_slice *inputs = malloc((n ? n : 1) * sizeof(*inputs));
    certlib_ident *results = malloc((n ? n : 1) * sizeof(*results));
    if (!inputs || !results) {
        free(inputs);
        free(results);
        json_decref(doc);
        authd_problem(req, 503, "overloaded", "not enough memory for this batch; retry with fewer numbers");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(numbers, i);
        inputs[i] = (certlib_slice){(const uint8_t *)json_string_value(s), json_string_length(s)};
    }
    certlib_ident_opts opts = {.regions = r->server->regions};
    size_t valid = certlib_ident_check_batch(inputs, n, &opts, results);

    /* Two passes, measuring then writing, so the body is one pool allocation with no copies. */
    char head[64], tail[64];
    int head_len = snprintf(head, sizeof(head), "{\"count\":%zu,\"valid\":%zu,\"results\":[", n, valid);
    int tail_len = snprintf(tail, sizeof(tail), "]}");
    size_t total = (size_t)head_len + (size_t)tail_len + (n ? n - 1 : 0);
    for (size_t i = 0; i < n; i++)
        total += certlib_ident_to_json(&results[i], opts.regions, (const char *)inputs[i].ptr, inputs[i].len,
                                       NULL, 0);
    char *body = h2o_mem_alloc_pool(&req->pool, total + 1), *at = body;
    memcpy(at, head, (size_t)head_len);
    at += head_len;
    for (size_t i = 0; i < n; i++) {
        if (i) *at++ = ',';
        at += certlib_ident_to_json(&results[i], opts.regions, (const char *)inputs[i].ptr, inputs[i].len, at,
                                    total + 1 - (size_t)(at - body));
    }
    memcpy(at, tail, (size_t)tail_len);
    free(inputs);
    free(results);
    json_decref(doc);
    authd_send_json(req, 200, h2o_iovec_init(body, total));
}
