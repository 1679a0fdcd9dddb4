/* Request smuggling (RFC 9112 §6.3): a request framed by both Content-Length and Transfer-Encoding, or by
 * Content-Lengths that disagree, may be framed one way by a proxy in front and another way here. Such a
 * request must be refused and its connection closed.
 *
 * h2o 2.2 frames it by the transfer coding and drops both framing headers before any handler runs, so a
 * handler cannot see the conflict. h2o parses request heads with picohttpparser's phr_parse_request, and
 * calls it through the PLT of libh2o: authd's own definition below comes first in symbol lookup, calls
 * picohttpparser's, and renames a conflicting Content-Length to AUTHD_FRAMING_CONFLICT_HEADER. h2o then
 * frames the request as it would have, and the router answers that header with a 400 problem and closes
 * the connection. tests/integration/test_authd_server.py checks that the interposition is in effect. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <strings.h>

#include "http1_framing.h"

/* picohttpparser's ABI, as libh2o 2.2 exports it (Debian ships no header for it). */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
typedef int (*phr_parse_request_fn)(const char *, size_t, const char **, size_t *, const char **, size_t *,
                                    int *, struct phr_header *, size_t *, size_t);
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len);

static phr_parse_request_fn real_parse;
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static void resolve(void)
{
    real_parse = (phr_parse_request_fn)dlsym(RTLD_NEXT, "phr_parse_request");
}

static int name_is(const struct phr_header *h, const char *name, size_t len)
{
    return h->name && h->name_len == len && strncasecmp(h->name, name, len) == 0;
}

static int same_value(const struct phr_header *a, const struct phr_header *b)
{
    return a->value_len == b->value_len && strncasecmp(a->value, b->value, a->value_len) == 0;
}

/* h2o lowercases header names in place, so the replacement name must be writable; one per thread, as
 * each worker parses on its own thread and the name is read while its request lives. */
static __thread char conflict_name[] = AUTHD_FRAMING_CONFLICT_HEADER;

int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len)
{
    pthread_once(&resolved, resolve);
    if (!real_parse) return -1; /* cannot happen while libh2o is linked; refuse rather than misparse */
    int rc = real_parse(buf, len, method, method_len, path, path_len, minor_version, headers, num_headers,
                        last_len);
    if (rc <= 0) return rc;
    const struct phr_header *te = NULL, *cl = NULL;
    size_t conflict = *num_headers;
    for (size_t i = 0; i < *num_headers; i++) {
        if (name_is(&headers[i], "transfer-encoding", 17)) {
            te = &headers[i];
        } else if (name_is(&headers[i], "content-length", 14)) {
            if (cl && !same_value(cl, &headers[i])) conflict = i;
            if (!cl) cl = &headers[i];
        }
    }
    if (te && cl) conflict = (size_t)(cl - headers);
    if (conflict < *num_headers) {
        headers[conflict].name = conflict_name;
        headers[conflict].name_len = sizeof(conflict_name) - 1;
    }
    return rc;
}
