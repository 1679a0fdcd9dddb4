/* /v1/ident: identity-number, USCC and organisation-code checks, one at a time or in batches. The
 * JSON of each result is certlib's (certlib_ident_to_json), the same certctl check --json prints. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "batch_numbers.h"
#include "certlib/ident.h"
#include "router.h"
#include "turns.h"

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

static void refuse_too_many(h2o_req_t *req, size_t max, size_t n)
{
    authd_problemf(req, 413, "batch_too_large", "at most %zu numbers per request, got %zu", max, n);
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
        refuse_too_many(req, r->server->config->max_batch, n);
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

/* A batch's answer is streamed: each time h2o has sent the previous chunk it asks for the next, and
 * CHUNK numbers are checked and rendered (a slice of the loop's turn, turns.h: once the turn has had its
 * share the next chunk waits for a later one). A batch holds its numbers and one chunk, not its whole
 * answer (10,000 numbers: about 2.4 MB of JSON), however slowly its client reads. "valid" comes last: it
 * is known once every number is. */
#define CHUNK 64
#define TAIL_MAX 48 /* "],\"valid\":<n>}" */

struct batch {
    h2o_generator_t super; /* first: h2o hands it back to proceed */
    h2o_req_t *req;
    const certlib_regions *regions;
    struct authd_batch_numbers numbers;
    size_t next, valid;
    char *chunk;
    size_t chunk_cap;
    struct authd_turn_later later; /* linked while the next chunk waits for the next turn */
};

static void batch_dispose(void *p)
{
    struct batch *b = p;
    authd_turn_cancel(&b->later);
    free(b->numbers.strings);
    free(b->numbers.offsets);
    free(b->chunk);
}

static void batch_stop(h2o_generator_t *g, h2o_req_t *req)
{
    (void)g;
    (void)req; /* the client went away: the pool's disposal frees the batch */
}

/* Makes room for `need` more bytes after `at` in b->chunk; false out of memory. */
static bool chunk_room(struct batch *b, size_t at, size_t need)
{
    if (at + need <= b->chunk_cap) return true;
    size_t cap = b->chunk_cap ? b->chunk_cap : 16384;
    while (cap < at + need)
        cap *= 2;
    char *grown = realloc(b->chunk, cap);
    if (!grown) return false;
    b->chunk = grown;
    b->chunk_cap = cap;
    return true;
}

/* The next chunk's JSON into b->chunk, each result written in place (rendered again only when it did
 * not fit); its length, or SIZE_MAX out of memory. */
static size_t render_chunk(struct batch *b)
{
    size_t end = b->numbers.n - b->next < CHUNK ? b->numbers.n : b->next + CHUNK;
    size_t at = 0;
    for (size_t i = b->next; i < end; i++) {
        const char *s = b->numbers.strings + b->numbers.offsets[i];
        size_t len = b->numbers.offsets[i + 1] - b->numbers.offsets[i];
        certlib_ident result;
        certlib_ident_opts opts = {.regions = b->regions};
        if (certlib_ident_check(s, len, &opts, &result) == CERTLIB_OK) b->valid++;
        size_t sep = i ? 1 : 0, room = b->chunk_cap > at + sep ? b->chunk_cap - at - sep : 0;
        size_t n =
            certlib_ident_to_json(&result, b->regions, s, len, room ? b->chunk + at + sep : NULL, room);
        if (n + 1 > room) { /* the buffer holds the NUL too */
            if (!chunk_room(b, at, sep + n + 1)) return SIZE_MAX;
            certlib_ident_to_json(&result, b->regions, s, len, b->chunk + at + sep, n + 1);
        }
        if (sep) b->chunk[at] = ',';
        at += sep + n;
    }
    b->next = end;
    if (b->next == b->numbers.n) {
        if (!chunk_room(b, at, TAIL_MAX)) return SIZE_MAX;
        at += (size_t)snprintf(b->chunk + at, TAIL_MAX, "],\"valid\":%zu}", b->valid);
    }
    return at;
}

static void send_chunk(struct batch *b)
{
    size_t len = render_chunk(b);
    if (len == SIZE_MAX) { /* the head is sent: all that is left is to cut the answer short */
        h2o_send(b->req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    h2o_iovec_t buf = h2o_iovec_init(b->chunk, len);
    h2o_send(b->req, &buf, 1, b->next == b->numbers.n ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void send_later(struct authd_turn_later *later)
{
    send_chunk(H2O_STRUCT_FROM_MEMBER(struct batch, later, later));
}

static void batch_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    struct batch *b = (struct batch *)g;
    if (authd_turn_spent(req->conn->ctx, 1))
        authd_turn_later(req->conn->ctx, &b->later);
    else
        send_chunk(b);
}

/* The numbers copied out of the document, which is freed before the first chunk; -1 out of memory. */
static int take_numbers(json_t *numbers, struct authd_batch_numbers *out)
{
    out->n = json_array_size(numbers);
    size_t total = 0;
    for (size_t i = 0; i < out->n; i++)
        total += json_string_length(json_array_get(numbers, i));
    out->strings = malloc(total ? total : 1);
    out->offsets = malloc((out->n + 1) * sizeof(*out->offsets));
    if (!out->strings || !out->offsets) return -1;
    size_t at = 0;
    for (size_t i = 0; i < out->n; i++) {
        json_t *s = json_array_get(numbers, i);
        out->offsets[i] = at;
        memcpy(out->strings + at, json_string_value(s), json_string_length(s));
        at += json_string_length(s);
    }
    out->offsets[out->n] = at;
    return 0;
}

void authd_route_ident_check(struct authd_request *r)
{
    h2o_req_t *req = r->req;
    if (!is_json_content_type(req)) {
        authd_problem(req, 415, "unsupported_media_type", "send the numbers as application/json");
        return;
    }
    struct batch *b = h2o_mem_alloc_shared(&req->pool, sizeof(*b), batch_dispose);
    *b = (struct batch){.super = {batch_proceed, batch_stop},
                        .req = req,
                        .regions = r->server->regions,
                        .later = {.cb = send_later}};
    size_t max = r->server->config->max_batch;
    int taken = 0;
    switch (authd_batch_numbers_read(req->entity.base, req->entity.len, max, &b->numbers)) {
    case AUTHD_BATCH_READ:
        break;
    case AUTHD_BATCH_TOO_MANY:
        refuse_too_many(req, max, b->numbers.n);
        return;
    case AUTHD_BATCH_NO_MEMORY:
        taken = -1;
        break;
    case AUTHD_BATCH_NOT_PLAIN: {
        json_t *doc;
        json_t *numbers = parse_numbers(r, &doc);
        if (!numbers) {
            json_decref(doc);
            return;
        }
        taken = take_numbers(numbers, &b->numbers);
        json_decref(doc);
        break;
    }
    }
    if (taken != 0) {
        authd_problem(req, 503, "overloaded", "not enough memory for this batch; retry with fewer numbers");
        return;
    }
    char head[64];
    int head_len = snprintf(head, sizeof(head), "{\"count\":%zu,\"results\":[", b->numbers.n);
    authd_start_stream(req, 200, "application/json", &b->super);
    h2o_iovec_t first = h2o_strdup(&req->pool, head, (size_t)head_len);
    if (b->numbers.n == 0) {
        h2o_iovec_t bufs[2] = {first, h2o_iovec_init(H2O_STRLIT("],\"valid\":0}"))};
        h2o_send(req, bufs, 2, H2O_SEND_STATE_FINAL);
        return;
    }
    h2o_send(req, &first, 1, H2O_SEND_STATE_IN_PROGRESS);
}
