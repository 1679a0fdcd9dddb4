/* Where certctl audit reads a log from: an http(s) base URL (libcurl, with an optional bearer token and
 * CA file) or a directory in the same layout, optionally mirroring every file read into another
 * directory. */
#ifndef CERTCTL_FETCH_H
#define CERTCTL_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct certctl_source {
    void *curl; /* CURL *, when http */
    struct curl_slist *headers;
    char *auth;      /* the authorization header; wiped on close */
    char base[4096]; /* URL or directory, without a trailing slash */
    bool http;
    const char *mirror;
};

/* Opens `where` (token_file, cacert: NULL when none; mirror: a directory, or NULL). 0, or -1 after
 * printing why. Close it in any case. */
int certctl_source_open(struct certctl_source *s, const char *where, const char *token_file,
                        const char *cacert, const char *mirror);
/* Fetches `rel` under the source: 0 with the bytes (malloc'd), 1 when the log does not have it (HTTP
 * 404, no such file), -1 when the source cannot be reached (printed). */
int certctl_fetch(struct certctl_source *s, const char *rel, uint8_t **out, size_t *len);
/* POSTs a JSON body to `rel` under an http(s) source: 0 with the answer's status and body (malloc'd,
 * NUL-terminated, whatever the status), -1 when no answer came (printed). */
int certctl_post_json(struct certctl_source *s, const char *rel, const char *body, long *status, char **out,
                      size_t *len);
/* The same for an absolute http(s) URL: a POST of `body` with `content_type`, or (body NULL) a GET. */
int certctl_exchange_url(struct certctl_source *s, const char *url, const char *content_type, const char *body,
                         long *status, char **out, size_t *len);
void certctl_source_close(struct certctl_source *s);

#endif
