/* Reads authd's YAML configuration with libyaml's document API, so every error can name the file,
 * line and key. Unknown keys are errors: a misspelt limit must not silently fall back to a default. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"

struct loader {
    yaml_document_t doc;
    const char *path;
    char *dir; /* directory of the file, for relative paths */
    char *err;
    size_t err_cap;
};

__attribute__((format(printf, 3, 4))) static int fail(struct loader *l, const yaml_node_t *node,
                                                      const char *fmt, ...)
{
    int n = snprintf(l->err, l->err_cap, "%s:%zu: ", l->path, node ? node->start_mark.line + 1 : 0);
    if (n < 0 || (size_t)n >= l->err_cap) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err + n, l->err_cap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *scalar(const yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

static int get_string(struct loader *l, const yaml_node_t *node, const char *key, char **out)
{
    const char *s = scalar(node);
    if (!s || !*s) return fail(l, node, "%s: expected a non-empty string", key);
    free(*out);
    *out = strdup(s);
    return *out ? 0 : fail(l, node, "out of memory");
}

static int get_path(struct loader *l, const yaml_node_t *node, const char *key, char **out)
{
    const char *s = scalar(node);
    if (!s || !*s) return fail(l, node, "%s: expected a path", key);
    free(*out);
    if (s[0] == '/' || !l->dir) {
        *out = strdup(s);
    } else {
        size_t n = strlen(l->dir) + strlen(s) + 2;
        *out = malloc(n);
        if (*out) snprintf(*out, n, "%s/%s", l->dir, s);
    }
    return *out ? 0 : fail(l, node, "out of memory");
}

/* Unsigned integer with an optional binary suffix (k, m, g) for sizes. */
static int get_uint(struct loader *l, const yaml_node_t *node, const char *key, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    const char *s = scalar(node);
    if (!s || !*s || *s == '-' || *s == '+') return fail(l, node, "%s: expected a non-negative integer", key);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1ull << 10, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1ull << 20, end++;
    else if (*end == 'g' || *end == 'G')
        mult = 1ull << 30, end++;
    if (errno || end == s || *end || v > UINT64_MAX / mult)
        return fail(l, node, "%s: '%s' is not a valid integer", key, s);
    v *= mult;
    if (v < min || v > max)
        return fail(l, node, "%s: %llu is out of range [%llu, %llu]", key, v, (unsigned long long)min,
                    (unsigned long long)max);
    *out = v;
    return 0;
}

int authd_config_parse_listen(const char *text, struct authd_listener_config *out)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text) return -1;
    size_t host_len = (size_t)(colon - text);
    const char *host = text;
    if (host[0] == '[') {
        if (host_len < 3 || host[host_len - 1] != ']') return -1;
        host++;
        host_len -= 2;
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port == 0 || port > 65535) return -1;
    char buf[INET6_ADDRSTRLEN];
    unsigned char addr[sizeof(struct in6_addr)];
    if (host_len >= sizeof(buf)) return -1;
    memcpy(buf, host, host_len);
    buf[host_len] = '\0';
    if (inet_pton(AF_INET, buf, addr) != 1 && inet_pton(AF_INET6, buf, addr) != 1) return -1;
    memset(out, 0, sizeof(*out));
    out->host = strdup(buf);
    out->port = (uint16_t)port;
    return out->host ? 0 : -1;
}

typedef int (*field_fn)(struct loader *l, yaml_node_t *value, void *target);

struct field {
    const char *key;
    field_fn parse;
};

/* Walks a mapping, dispatching each key to its field parser; unknown keys are errors. */
static int walk_mapping(struct loader *l, yaml_node_t *node, const char *what, const struct field *fields,
                        size_t n_fields, void *target)
{
    if (!node || node->type != YAML_MAPPING_NODE) return fail(l, node, "%s: expected a mapping", what);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
        const char *key = scalar(k);
        size_t i = 0;
        while (key && i < n_fields && strcmp(key, fields[i].key) != 0)
            i++;
        if (!key || i == n_fields) return fail(l, k, "%s: unknown key '%s'", what, key ? key : "?");
        if (fields[i].parse(l, v, target) != 0) return -1;
    }
    return 0;
}

static int tls_cert(struct loader *l, yaml_node_t *v, void *t)
{
    return get_path(l, v, "tls.certificate", &((struct authd_listener_config *)t)->tls_cert);
}
static int tls_key(struct loader *l, yaml_node_t *v, void *t)
{
    return get_path(l, v, "tls.key", &((struct authd_listener_config *)t)->tls_key);
}
static int listener_address(struct loader *l, yaml_node_t *v, void *t)
{
    struct authd_listener_config *lc = t, parsed;
    const char *s = scalar(v);
    if (!s || authd_config_parse_listen(s, &parsed) != 0)
        return fail(l, v, "listen.address: expected HOST:PORT with a numeric host, e.g. 127.0.0.1:8080");
    free(lc->host);
    lc->host = parsed.host;
    lc->port = parsed.port;
    return 0;
}
static int listener_tls(struct loader *l, yaml_node_t *v, void *t)
{
    static const struct field fields[] = {{"certificate", tls_cert}, {"key", tls_key}};
    return walk_mapping(l, v, "listen.tls", fields, 2, t);
}

static int top_listen(struct loader *l, yaml_node_t *v, void *t)
{
    static const struct field fields[] = {{"address", listener_address}, {"tls", listener_tls}};
    struct authd_config *c = t;
    if (!v || v->type != YAML_SEQUENCE_NODE) return fail(l, v, "listen: expected a list of listeners");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(&l->doc, *it);
        if (c->listener_count == AUTHD_MAX_LISTENERS)
            return fail(l, item, "listen: at most %d listeners", AUTHD_MAX_LISTENERS);
        struct authd_listener_config *lc = &c->listeners[c->listener_count++];
        if (walk_mapping(l, item, "listen", fields, 2, lc) != 0) return -1;
        if (!lc->host) return fail(l, item, "listen: 'address' is required");
        if (!lc->tls_cert != !lc->tls_key)
            return fail(l, item, "listen.tls: both 'certificate' and 'key' are required");
    }
    return 0;
}

static int top_workers(struct loader *l, yaml_node_t *v, void *t)
{
    uint64_t n = 0;
    if (get_uint(l, v, "workers", 1, 256, &n) != 0) return -1;
    ((struct authd_config *)t)->workers = (unsigned)n;
    return 0;
}
static int top_data_dir(struct loader *l, yaml_node_t *v, void *t)
{
    return get_path(l, v, "data_dir", &((struct authd_config *)t)->data_dir);
}
static int top_regions(struct loader *l, yaml_node_t *v, void *t)
{
    return get_path(l, v, "regions_file", &((struct authd_config *)t)->regions_file);
}
static int top_access_log(struct loader *l, yaml_node_t *v, void *t)
{
    const char *s = scalar(v);
    if (s && strcmp(s, "-") == 0)
        return get_string(l, v, "access_log", &((struct authd_config *)t)->access_log);
    return get_path(l, v, "access_log", &((struct authd_config *)t)->access_log);
}

#define SIZE_FIELD(fn, name, member, min, max)                                                               \
    static int fn(struct loader *l, yaml_node_t *v, void *t)                                                 \
    {                                                                                                        \
        uint64_t n = 0;                                                                                      \
        if (get_uint(l, v, name, min, max, &n) != 0) return -1;                                              \
        ((struct authd_config *)t)->member = (size_t)n;                                                      \
        return 0;                                                                                            \
    }
SIZE_FIELD(limit_body, "limits.max_body_bytes", max_body_bytes, 1024, 1ull << 30)
SIZE_FIELD(limit_header, "limits.max_header_bytes", max_header_bytes, 1024, 256ull << 10)
SIZE_FIELD(limit_batch, "limits.max_batch", max_batch, 1, 1000000)
SIZE_FIELD(store_map, "store.map_size", lmdb_map_bytes, 1ull << 20, 1ull << 40)

static int limit_grace(struct loader *l, yaml_node_t *v, void *t)
{
    uint64_t n = 0;
    if (get_uint(l, v, "limits.shutdown_grace_ms", 0, 600000, &n) != 0) return -1;
    ((struct authd_config *)t)->shutdown_grace_ms = n;
    return 0;
}

static int top_limits(struct loader *l, yaml_node_t *v, void *t)
{
    static const struct field fields[] = {{"max_body_bytes", limit_body},
                                          {"max_header_bytes", limit_header},
                                          {"max_batch", limit_batch},
                                          {"shutdown_grace_ms", limit_grace}};
    return walk_mapping(l, v, "limits", fields, sizeof(fields) / sizeof(fields[0]), t);
}

static int top_store(struct loader *l, yaml_node_t *v, void *t)
{
    static const struct field fields[] = {{"map_size", store_map}};
    return walk_mapping(l, v, "store", fields, 1, t);
}

static void set_defaults(struct authd_config *c)
{
    memset(c, 0, sizeof(*c));
    c->workers = 2;
    c->lmdb_map_bytes = (size_t)8 << 30;
    c->max_body_bytes = (size_t)2 << 20;
    c->max_header_bytes = (size_t)16 << 10;
    c->max_batch = 10000;
    c->shutdown_grace_ms = 5000;
}

int authd_config_load(struct authd_config *config, const char *path, char *err, size_t err_cap)
{
    static const struct field fields[] = {
        {"listen", top_listen},        {"workers", top_workers},       {"data_dir", top_data_dir},
        {"regions_file", top_regions}, {"access_log", top_access_log}, {"limits", top_limits},
        {"store", top_store}};
    struct loader l = {.path = path, .err = err, .err_cap = err_cap};
    set_defaults(config);
    int rc = -1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    const char *slash = strrchr(path, '/');
    l.dir = slash ? strndup(path, (size_t)(slash - path)) : NULL;
    if (slash && slash == path) {
        free(l.dir);
        l.dir = strdup("/");
    }

    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &l.doc)) {
        snprintf(err, err_cap, "%s:%zu: %s", path, parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "YAML syntax error");
        yaml_parser_delete(&parser);
        goto out;
    }
    yaml_node_t *root = yaml_document_get_root_node(&l.doc);
    if (!root)
        snprintf(err, err_cap, "%s: the file is empty", path);
    else
        rc = walk_mapping(&l, root, "top level", fields, sizeof(fields) / sizeof(fields[0]), config);
    yaml_document_delete(&l.doc);
    yaml_parser_delete(&parser);
out:
    fclose(f);
    free(l.dir);
    return rc;
}

static bool is_loopback(const char *host)
{
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1) return a[0] == 127;
    return strcmp(host, "::1") == 0;
}

int authd_config_validate(const struct authd_config *c, char *err, size_t err_cap)
{
    if (c->listener_count == 0) {
        snprintf(err, err_cap, "no listeners: add 'listen' to the configuration or pass --listen");
        return -1;
    }
    for (size_t i = 0; i < c->listener_count; i++) {
        const struct authd_listener_config *lc = &c->listeners[i];
        /* Identity numbers cross this API: cleartext is for development on this machine only. */
        if (!lc->tls_cert && !is_loopback(lc->host)) {
            snprintf(err, err_cap, "listener %s:%u: plain HTTP is allowed on loopback only; configure tls",
                     lc->host, lc->port);
            return -1;
        }
    }
    if (!c->data_dir) {
        snprintf(err, err_cap, "no data directory: set 'data_dir' or pass --data");
        return -1;
    }
    return 0;
}

void authd_config_replace_listeners(struct authd_config *c, const struct authd_listener_config *listeners,
                                    size_t count)
{
    for (size_t i = 0; i < c->listener_count; i++) {
        free(c->listeners[i].host);
        free(c->listeners[i].tls_cert);
        free(c->listeners[i].tls_key);
    }
    if (count) memcpy(c->listeners, listeners, count * sizeof(listeners[0]));
    c->listener_count = count;
}

void authd_config_free(struct authd_config *c)
{
    authd_config_replace_listeners(c, NULL, 0);
    free(c->data_dir);
    free(c->access_log);
    free(c->regions_file);
    memset(c, 0, sizeof(*c));
}
