/* The vp_token of a wallet's direct_post answer (OpenID4VP 1.0 §8.1): a JSON object naming each credential
 * query of the request with the presentations that answer it, {"<query id>": ["<base64url>"], ...}.
 *
 * Read without a JSON tree when it is in the plain form (each query answered by one string, no escape in
 * any string, no key twice), by hand for a measured reason: jansson reads about 40 MB/s, and parsing the
 * 3 KB presentation was 4.6% of a whole OpenID4VP flow's CPU (bench/oid4vp, perf). What the plain reader
 * takes, jansson reads to the same entries (fuzz/vp_token_fuzz.c checks it); anything else goes to
 * jansson, which reads all of JSON. */
#ifndef AUTHD_VP_TOKEN_H
#define AUTHD_VP_TOKEN_H

#include <jansson.h>
#include <stddef.h>

#include "policy.h"

/* One credential query's answer: slices of the text read (or of the jansson document). */
struct authd_vp_entry {
    const char *id, *presentation;
    size_t id_len, presentation_len;
};

struct authd_vp_token {
    struct authd_vp_entry entries[AUTHD_MATTER_MAX_NEEDS]; /* no request holds more queries */
    size_t n;
    json_t *doc; /* when read by jansson: the entries point into it */
};

/* Reads vp_token `text`: NULL, or the wallet-facing reason it is not of the shape above (at most
 * AUTHD_MATTER_MAX_NEEDS queries, each answered by one string). Free with authd_vp_token_free in any
 * case. The entries point into `text`, which must outlive them. */
const char *authd_vp_token_read(const char *text, size_t len, struct authd_vp_token *out);
void authd_vp_token_free(struct authd_vp_token *t);

/* The plain form alone: 1 when read, 0 when `text` is not plain (or has more entries than fit). */
int authd_vp_token_read_plain(const char *text, size_t len, struct authd_vp_token *out);

#endif
