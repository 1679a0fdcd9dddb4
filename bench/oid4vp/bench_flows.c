/* bench/oid4vp: complete OpenID4VP flows per second against a running authd, over HTTP/1.1 keep-alive on
 * loopback: the counter creates a request, the wallet fetches the request object, presents (certlib, a
 * P-256 device key read once as a wallet keeps it: the wallet's own work, done here on the same cores
 * as authd), posts vp_token, and the counter reads the verified result (released through the access
 * log). Each of THREADS threads runs flows one after another; every step's answer is checked, and a
 * flow counts only when the counter got a valid verdict. Prints the median rate of ROUNDS rounds. Baseline in
 * the same run: GET /healthz. usage: bench_flows URL COUNTER_TOKEN LICENCE.cbor DEVICE_KEY.pem THREADS
 * SECONDS ROUNDS */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"
#include "certlib/certlib.h"

struct shared {
    const char *url, *token;
    uint8_t *licence, *key;
    size_t licence_len, key_len;
    certlib_device_key *device_key; /* read once, as a wallet keeps its key */
    double seconds;
    int healthz; /* the baseline: GET /healthz, one request a "flow" */
    atomic_long flows, failures;
    atomic_int stop;
};

struct buf {
    char *p;
    size_t n;
};

/* A minimal HTTP/1.1 client on one keep-alive connection: libcurl cost the client more CPU than authd
 * spent on the flows it drove (poll and header handling per request), and the client shares the two
 * cores with authd. Responses must carry Content-Length (authd's do). */
struct conn {
    int fd;
    const char *host; /* "127.0.0.1:PORT" */
    char in[1 << 16];
    size_t have;
};

static int conn_open(struct conn *c, const char *url)
{
    const char *h = strstr(url, "://");
    c->host = h ? h + 3 : url;
    const char *colon = strrchr(c->host, ':');
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->have = 0;
    return connect(c->fd, (struct sockaddr *)&a, sizeof(a));
}

/* One request (a POST of `body` with `type`, or a GET); the body in *out. The HTTP status, 0 on failure. */
static long request(struct conn *c, const char *path, const char *auth, const char *type, const char *body,
                    struct buf *out)
{
    out->p = NULL;
    out->n = 0;
    size_t blen = body ? strlen(body) : 0, cap = blen + 1024;
    char *req = malloc(cap);
    int n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s%s", body ? "POST" : "GET", path, c->host,
                     auth ? "Authorization: Bearer " : "", auth ? auth : "", auth ? "\r\n" : "");
    if (body)
        n += snprintf(req + n, cap - (size_t)n, "Content-Type: %s\r\nContent-Length: %zu\r\n", type, blen);
    n += snprintf(req + n, cap - (size_t)n, "\r\n");
    if (body) memcpy(req + n, body, blen);
    size_t total = (size_t)n + blen, sent = 0;
    while (sent < total) {
        ssize_t w = write(c->fd, req + sent, total - sent);
        if (w <= 0) {
            free(req);
            return 0;
        }
        sent += (size_t)w;
    }
    free(req);
    char *end;
    while (!(end = memmem(c->in, c->have, "\r\n\r\n", 4))) {
        ssize_t r = read(c->fd, c->in + c->have, sizeof(c->in) - c->have);
        if (r <= 0) return 0;
        c->have += (size_t)r;
    }
    size_t head = (size_t)(end + 4 - c->in);
    long status = strtol(c->in + 9, NULL, 10);
    char *cl = memmem(c->in, head, "\r\ncontent-length:", 17);
    if (!cl) cl = memmem(c->in, head, "\r\nContent-Length:", 17);
    if (!cl) return 0;
    size_t len = strtoul(cl + 17, NULL, 10);
    if (head + len > sizeof(c->in)) return 0;
    while (c->have < head + len) {
        ssize_t r = read(c->fd, c->in + c->have, sizeof(c->in) - c->have);
        if (r <= 0) return 0;
        c->have += (size_t)r;
    }
    out->p = malloc(len + 1);
    memcpy(out->p, c->in + head, len);
    out->p[len] = 0;
    out->n = len;
    memmove(c->in, c->in + head + len, c->have - head - len);
    c->have -= head + len;
    return status;
}

/* A URL's path: what follows "scheme://host". */
static const char *path_of(const char *url)
{
    const char *h = strstr(url, "://");
    const char *p = h ? strchr(h + 3, '/') : NULL;
    return p ? p : url;
}

/* "x%2By" style escaping of a form value (RFC 3986 unreserved characters pass). */
static char *form_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = malloc(strlen(s) * 3 + 1), *q = o;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '_' || ch == '.' || ch == '~') {
            *q++ = (char)ch;
        } else {
            *q++ = '%';
            *q++ = hex[ch >> 4];
            *q++ = hex[ch & 15];
        }
    }
    *q = 0;
    return o;
}

static char *base64url(const uint8_t *b, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = malloc(cap);
    if (s) sodium_bin2base64(s, cap, b, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

/* The JWT's payload as JSON (no signature check: the wallet's verification is not authd's cost). */
static json_t *jwt_payload(const char *jwt)
{
    const char *a = strchr(jwt, '.'), *b = a ? strchr(a + 1, '.') : NULL;
    if (!b) return NULL;
    size_t n = (size_t)(b - a - 1), len;
    uint8_t *raw = malloc(n);
    json_t *doc = raw && certlib_base64url_decode(a + 1, n, raw, n, &len) == CERTLIB_OK
                      ? json_loadb((const char *)raw, len, 0, NULL)
                      : NULL;
    free(raw);
    return doc;
}

static int one_flow(struct conn *c, struct shared *s)
{
    static const char *const keep[] = {"licence_type_code", "holder_name",  "holder_id",
                                       "household_number",  "relationship", "address"};
    char path[512];
    struct buf b = {0};
    int ok = 0;
    json_t *created = NULL, *payload = NULL;
    uint8_t *presentation = NULL;
    char *token_json = NULL, *escaped = NULL, *body = NULL, *p64 = NULL;
    if (request(c, "/v1/presentation-requests", s->token, "application/json",
                "{\"matter\":\"ZJ-HYDJ-001\",\"use_cause\":\"结婚登记\"}", &b) != 201 ||
        !(created = json_loads(b.p, 0, NULL)))
        goto done;
    free(b.p);
    const char *id = json_string_value(json_object_get(created, "id"));
    snprintf(path, sizeof(path), "/v1/presentation-requests/%s/request", id);
    if (request(c, path, NULL, NULL, NULL, &b) != 200 || !(payload = jwt_payload(b.p))) goto done;
    free(b.p);
    b.p = NULL;
    certlib_oid4vp_session session = {.client_id = json_string_value(json_object_get(payload, "client_id")),
                                      .nonce = json_string_value(json_object_get(payload, "nonce")),
                                      .response_uri =
                                          json_string_value(json_object_get(payload, "response_uri"))};
    size_t len;
    if (certlib_present_oid4vp_with_key(s->licence, s->licence_len, keep, 6, s->device_key, &session,
                                        &presentation, &len))
        goto done;
    p64 = base64url(presentation, len);
    size_t tl = strlen(p64) + 64;
    token_json = malloc(tl);
    snprintf(token_json, tl, "{\"11100000000013338W004\":[\"%s\"]}", p64);
    escaped = form_escape(token_json);
    size_t bl = strlen(escaped) + 64;
    body = malloc(bl);
    snprintf(body, bl, "vp_token=%s&state=%s", escaped, id);
    if (request(c, path_of(session.response_uri), NULL, "application/x-www-form-urlencoded", body, &b) != 200)
        goto done;
    free(b.p);
    snprintf(path, sizeof(path), "/v1/presentation-requests/%s", id);
    if (request(c, path, s->token, NULL, NULL, &b) != 200) goto done;
    ok = strstr(b.p, "\"verdict\":\"valid\"") != NULL; /* the counter's answer */
done:
    free(b.p);
    json_decref(created);
    json_decref(payload);
    certlib_free(presentation);
    free(p64);
    free(token_json);
    free(escaped);
    free(body);
    return ok;
}

static void *worker(void *arg)
{
    struct shared *s = arg;
    struct conn *c = malloc(sizeof(*c));
    if (conn_open(c, s->url) != 0) {
        atomic_fetch_add(&s->failures, 1);
        free(c);
        return NULL;
    }
    while (!atomic_load(&s->stop)) {
        int ok;
        if (s->healthz) {
            struct buf b = {0};
            ok = request(c, "/healthz", NULL, NULL, NULL, &b) == 200;
            free(b.p);
        } else {
            ok = one_flow(c, s);
        }
        atomic_fetch_add(ok ? &s->flows : &s->failures, 1);
        if (!ok) { /* a broken connection: a fresh one */
            close(c->fd);
            if (conn_open(c, s->url) != 0) break;
        }
    }
    close(c->fd);
    free(c);
    return NULL;
}

/* One round of `threads` threads for s->seconds: completed flows per second. */
static double round_rate(struct shared *s, int threads, long *failures)
{
    pthread_t t[256];
    atomic_store(&s->flows, 0);
    atomic_store(&s->failures, 0);
    atomic_store(&s->stop, 0);
    double start = now_s();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, s);
    struct timespec ts = {(time_t)s->seconds, (long)((s->seconds - (time_t)s->seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&s->stop, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    *failures += atomic_load(&s->failures);
    return (double)atomic_load(&s->flows) / (now_s() - start);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *p = malloc(1 << 20);
    *len = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr,
                "usage: bench_flows URL COUNTER_TOKEN LICENCE.cbor DEVICE_KEY.pem THREADS SECONDS ROUNDS\n");
        return 2;
    }
    struct shared s = {.url = argv[1], .token = argv[2], .seconds = atof(argv[6])};
    int threads = atoi(argv[5]), rounds = atoi(argv[7]);
    if (!(s.licence = slurp(argv[3], &s.licence_len)) || !(s.key = slurp(argv[4], &s.key_len)) ||
        threads < 1 || threads > 256 || rounds < 1 || rounds > 64) {
        fprintf(stderr, "bench_flows: bad arguments\n");
        return 2;
    }
    if (certlib_device_key_new((certlib_slice){s.key, s.key_len}, &s.device_key) != CERTLIB_OK) {
        fprintf(stderr, "bench_flows: %s is not a P-256 or Ed25519 private key\n", argv[4]);
        return 2;
    }
    double flows[64], healthz[64];
    long failures = 0, health_failures = 0;
    for (int r = 0; r < rounds; r++) {
        s.healthz = 1;
        healthz[r] = round_rate(&s, threads, &health_failures);
        s.healthz = 0;
        flows[r] = round_rate(&s, threads, &failures);
    }
    double f = median(flows, (size_t)rounds), h = median(healthz, (size_t)rounds);
    printf(
        "flows %.0f/s (create, fetch, present, post, result: %.0f requests/s)   failures %ld   healthz "
        "%.0f/s   "
        "requests %.3fx healthz   (target >= 2000 flows/s: %s; medians of %d rounds of %.0f s, %d threads)\n",
        f, 4 * f, failures, h, 4 * f / h, f >= 2000 ? "met" : "NOT met", rounds, s.seconds, threads);
    certlib_device_key_free(s.device_key);
    free(s.licence);
    free(s.key);
    return failures ? 1 : 0;
}
