/* A presentation request's state as sealed in the store (route_presentation.c; presentation_requests.h
 * keeps the sealed blob): a compact JSON head {matter, use_cause, nonce[, answer]} and, once answered,
 * a NUL and the counter's answer as the text it is sent as (presentation_answer.h). The answer is not a
 * JSON string inside the head: escaping it there and parsing it back out was a tenth of an OpenID4VP
 * flow's CPU. An earlier authd kept it as the head's answer.body, which is still read. */
#ifndef AUTHD_REQUEST_TEXT_H
#define AUTHD_REQUEST_TEXT_H

#include <jansson.h>
#include <stddef.h>

#include "errors.h"

/* The head `doc` and the `body` (NULL: none yet) as one text (malloc'd, wiped and freed by the caller). */
authd_err authd_request_text(json_t *doc, const char *body, size_t body_len, char **text, size_t *len);

/* Reads a text: *doc (the head, the caller's) and *body (into `text` or *doc; NULL when unanswered).
 * AUTHD_E_CORRUPT when the head is not JSON. */
authd_err authd_request_text_read(const char *text, size_t len, json_t **doc, const char **body,
                                  size_t *body_len);

#endif
