/* The federation: block of the configuration (config.h): this authd's trust list, and the peers it asks
 * in federated lookups. Kept apart from config.c, which reads the rest. */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_federation.h"

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')) return false;
    return true;
}

static bool digits_ok(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

static bool type_ok(const char *s)
{
    if (strlen(s) != 21) return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z'))) return false;
    return true;
}

static bool region_ok(const char *s)
{
    return digits_ok(s, 2, 6) && strlen(s) % 2 == 0;
}

/* A list of 1 to 256 strings, each passing `ok`. On failure what was read stays in *out for
 * authd_config_federation_free. */
static int checked_list(struct authd_yaml *l, yaml_node_t *v, const char *key, bool (*ok)(const char *),
                        char ***out, size_t *n)
{
    if (authd_yaml_strings(l, v, key, out, n) != 0) return -1;
    if (*n == 0 || *n > 256) return authd_yaml_fail(l, v, "%s: 1 to 256 entries are required", key);
    for (size_t i = 0; i < *n; i++)
        if (!ok((*out)[i])) return authd_yaml_fail(l, v, "%s[%zu]: not a valid entry", key, i);
    return 0;
}

#define PEER_FIELD(fn, name, member, read)                                                                   \
    static int fn(struct authd_yaml *l, yaml_node_t *v, void *t)                                             \
    {                                                                                                        \
        return read(l, v, "federation.peers." name, &((struct authd_peer_config *)t)->member);               \
    }
PEER_FIELD(peer_name, "name", name, authd_yaml_string)
PEER_FIELD(peer_url, "url", url, authd_yaml_string)
PEER_FIELD(peer_key, "trust_list_key", trust_list_key, authd_yaml_path)
PEER_FIELD(peer_ca, "ca", ca, authd_yaml_path)

static int peer_types(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    struct authd_peer_config *p = t;
    return checked_list(l, v, "federation.peers.licence_types", type_ok, &p->licence_types,
                        &p->n_licence_types);
}

static int peer_regions(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    struct authd_peer_config *p = t;
    return checked_list(l, v, "federation.peers.regions", region_ok, &p->regions, &p->n_regions);
}

static int one_peer(struct authd_yaml *l, yaml_node_t *item, size_t i, void *t)
{
    static const struct authd_yaml_field fields[] = {
        {"name", peer_name},           {"url", peer_url},
        {"trust_list_key", peer_key},  {"ca", peer_ca},
        {"licence_types", peer_types}, {"regions", peer_regions}};
    struct authd_federation_config *f = t;
    if (i >= AUTHD_MAX_PEERS)
        return authd_yaml_fail(l, item, "federation.peers: at most %d", AUTHD_MAX_PEERS);
    struct authd_peer_config *p = &f->peers[i];
    f->n_peers = i + 1;
    if (authd_yaml_walk(l, item, "federation.peers", fields, sizeof(fields) / sizeof(fields[0]), p) != 0)
        return -1;
    if (!p->name || !p->url || !p->trust_list_key || !p->licence_types)
        return authd_yaml_fail(l, item,
                               "federation.peers: name, url, trust_list_key and licence_types are required");
    if (!name_ok(p->name))
        return authd_yaml_fail(l, item, "federation.peers.name: [a-z0-9_-], 1 to 32 characters");
    if (strncmp(p->url, "https://", 8) != 0 && strncmp(p->url, "http://127.", 11) != 0 &&
        strncmp(p->url, "http://[::1]", 12) != 0)
        return authd_yaml_fail(l, item, "federation.peers.url: https:// (plain http only on loopback)");
    for (size_t k = 0; k < i; k++)
        if (strcmp(f->peers[k].name, p->name) == 0)
            return authd_yaml_fail(l, item, "federation.peers: %s is named twice", p->name);
    return 0;
}

static int fed_peers(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    return authd_yaml_each(l, v, "federation.peers", one_peer, t);
}

static int fed_name(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    struct authd_federation_config *f = t;
    if (authd_yaml_string(l, v, "federation.name", &f->name) != 0) return -1;
    /* It goes into peers' access-log entries, whose fields hold no space. */
    for (const char *s = f->name; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == '/' || *s == 0x7f)
            return authd_yaml_fail(l, v, "federation.name: no spaces, slashes or control characters");
    if (!*f->name || strlen(f->name) > 128) return authd_yaml_fail(l, v, "federation.name: 1 to 128 bytes");
    return 0;
}

#define FED_PATH(fn, name, member)                                                                           \
    static int fn(struct authd_yaml *l, yaml_node_t *v, void *t)                                             \
    {                                                                                                        \
        return authd_yaml_path(l, v, "federation." name, &((struct authd_federation_config *)t)->member);    \
    }
FED_PATH(tl_key, "trust_list.key", trust_list_key)
FED_PATH(tl_cert, "trust_list.certificate", trust_list_certificate)
FED_PATH(client_cert, "client_tls.certificate", client_certificate)
FED_PATH(client_key, "client_tls.key", client_key)

static int tl_validity(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n;
    if (authd_yaml_uint(l, v, "federation.trust_list.validity", 600, 90 * 86400, &n) != 0) return -1;
    ((struct authd_federation_config *)t)->trust_list_validity = (uint32_t)n;
    return 0;
}

static int fed_trust_list(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {
        {"key", tl_key}, {"certificate", tl_cert}, {"validity", tl_validity}};
    return authd_yaml_walk(l, v, "federation.trust_list", fields, 3, t);
}

static int fed_refresh(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n;
    if (authd_yaml_uint(l, v, "federation.refresh", 1, 86400, &n) != 0) return -1;
    ((struct authd_federation_config *)t)->refresh = (uint32_t)n;
    return 0;
}

static int fed_deadline(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    uint64_t n;
    if (authd_yaml_uint(l, v, "federation.deadline_ms", 50, 30000, &n) != 0) return -1;
    ((struct authd_federation_config *)t)->deadline_ms = (uint32_t)n;
    return 0;
}

static int fed_client_tls(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {{"certificate", client_cert}, {"key", client_key}};
    return authd_yaml_walk(l, v, "federation.client_tls", fields, 2, t);
}

int authd_config_federation(struct authd_yaml *l, yaml_node_t *v, void *t)
{
    static const struct authd_yaml_field fields[] = {{"name", fed_name},
                                                     {"trust_list", fed_trust_list},
                                                     {"refresh", fed_refresh},
                                                     {"deadline_ms", fed_deadline},
                                                     {"client_tls", fed_client_tls},
                                                     {"peers", fed_peers}};
    struct authd_federation_config *f = &((struct authd_config *)t)->federation;
    if (authd_yaml_walk(l, v, "federation", fields, sizeof(fields) / sizeof(fields[0]), f) != 0) return -1;
    if (!f->name || !f->trust_list_key || !f->trust_list_certificate)
        return authd_yaml_fail(l, v, "federation: name and trust_list.{key, certificate} are required");
    if (!f->client_certificate != !f->client_key)
        return authd_yaml_fail(l, v, "federation.client_tls: both certificate and key, or neither");
    return 0;
}

void authd_config_federation_defaults(struct authd_federation_config *f)
{
    f->trust_list_validity = 86400;
    f->refresh = 300;
    f->deadline_ms = 1500;
}

void authd_config_federation_free(struct authd_federation_config *f)
{
    free(f->name);
    free(f->trust_list_key);
    free(f->trust_list_certificate);
    free(f->client_certificate);
    free(f->client_key);
    for (size_t i = 0; i < f->n_peers; i++) {
        struct authd_peer_config *p = &f->peers[i];
        free(p->name), free(p->url), free(p->trust_list_key), free(p->ca);
        authd_yaml_strings_free(p->licence_types);
        authd_yaml_strings_free(p->regions);
    }
}
