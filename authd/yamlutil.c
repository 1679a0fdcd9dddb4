/* YAML helpers: loading a document and reading typed values with file:line errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamlutil.h"

int authd_yaml_fail(struct authd_yaml *y, const yaml_node_t *node, const char *fmt, ...)
{
    int n = snprintf(y->err, y->err_cap, "%s:%zu: ", y->path, node ? node->start_mark.line + 1 : 0);
    if (n < 0 || (size_t)n >= y->err_cap) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(y->err + n, y->err_cap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

const char *authd_yaml_scalar(const yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

int authd_yaml_string(struct authd_yaml *y, const yaml_node_t *node, const char *key, char **out)
{
    const char *s = authd_yaml_scalar(node);
    if (!s || !*s) return authd_yaml_fail(y, node, "%s: expected a non-empty string", key);
    free(*out);
    *out = strdup(s);
    return *out ? 0 : authd_yaml_fail(y, node, "out of memory");
}

int authd_yaml_path(struct authd_yaml *y, const yaml_node_t *node, const char *key, char **out)
{
    const char *s = authd_yaml_scalar(node);
    if (!s || !*s) return authd_yaml_fail(y, node, "%s: expected a path", key);
    free(*out);
    if (s[0] == '/' || !y->dir) {
        *out = strdup(s);
    } else {
        size_t n = strlen(y->dir) + strlen(s) + 2;
        *out = malloc(n);
        if (*out) snprintf(*out, n, "%s/%s", y->dir, s);
    }
    return *out ? 0 : authd_yaml_fail(y, node, "out of memory");
}

int authd_yaml_key_ref(struct authd_yaml *y, const yaml_node_t *node, const char *key, char **out)
{
    const char *s = authd_yaml_scalar(node);
    if (!s || (strncmp(s, "pkcs11:", 7) != 0 && strncmp(s, "sdf:", 4) != 0))
        return authd_yaml_path(y, node, key, out);
    free(*out);
    *out = strdup(s);
    return *out ? 0 : authd_yaml_fail(y, node, "out of memory");
}

int authd_yaml_uint(struct authd_yaml *y, const yaml_node_t *node, const char *key, uint64_t min,
                    uint64_t max, uint64_t *out)
{
    const char *s = authd_yaml_scalar(node);
    if (!s || !*s || *s == '-' || *s == '+')
        return authd_yaml_fail(y, node, "%s: expected a non-negative integer", key);
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
        return authd_yaml_fail(y, node, "%s: '%s' is not a valid integer", key, s);
    v *= mult;
    if (v < min || v > max)
        return authd_yaml_fail(y, node, "%s: %llu is out of range [%llu, %llu]", key, v,
                               (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

int authd_yaml_bool(struct authd_yaml *y, const yaml_node_t *node, const char *key, int *out)
{
    const char *s = authd_yaml_scalar(node);
    if (s && strcmp(s, "true") == 0) return *out = 1, 0;
    if (s && strcmp(s, "false") == 0) return *out = 0, 0;
    return authd_yaml_fail(y, node, "%s: expected true or false", key);
}

int authd_yaml_walk(struct authd_yaml *y, yaml_node_t *node, const char *what,
                    const struct authd_yaml_field *fields, size_t n_fields, void *target)
{
    if (!node || node->type != YAML_MAPPING_NODE)
        return authd_yaml_fail(y, node, "%s: expected a mapping", what);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&y->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&y->doc, p->value);
        const char *key = authd_yaml_scalar(k);
        size_t i = 0;
        while (key && i < n_fields && strcmp(key, fields[i].key) != 0)
            i++;
        if (!key || i == n_fields)
            return authd_yaml_fail(y, k, "%s: unknown key '%s'", what, key ? key : "?");
        if (fields[i].parse(y, v, target) != 0) return -1;
    }
    return 0;
}

int authd_yaml_each(struct authd_yaml *y, yaml_node_t *node, const char *what,
                    int (*fn)(struct authd_yaml *y, yaml_node_t *item, size_t index, void *target),
                    void *target)
{
    if (!node || node->type != YAML_SEQUENCE_NODE)
        return authd_yaml_fail(y, node, "%s: expected a list", what);
    size_t i = 0;
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top;
         it++, i++)
        if (fn(y, yaml_document_get_node(&y->doc, *it), i, target) != 0) return -1;
    return 0;
}

int authd_yaml_load(struct authd_yaml *y, const char *path, char *err, size_t err_cap)
{
    memset(y, 0, sizeof(*y));
    y->path = path;
    y->err = err;
    y->err_cap = err_cap;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    const char *slash = strrchr(path, '/');
    y->dir = slash == path ? strdup("/") : slash ? strndup(path, (size_t)(slash - path)) : NULL;
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int rc = 0;
    if (!yaml_parser_load(&parser, &y->doc)) {
        snprintf(err, err_cap, "%s:%zu: %s", path, parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "YAML syntax error");
        rc = -1;
    } else if (!yaml_document_get_root_node(&y->doc)) {
        snprintf(err, err_cap, "%s: the file is empty", path);
        yaml_document_delete(&y->doc);
        rc = -1;
    }
    yaml_parser_delete(&parser);
    fclose(f);
    if (rc) {
        free(y->dir);
        y->dir = NULL;
    }
    return rc;
}

void authd_yaml_free(struct authd_yaml *y)
{
    yaml_document_delete(&y->doc);
    free(y->dir);
    y->dir = NULL;
}

int authd_yaml_strings(struct authd_yaml *y, yaml_node_t *v, const char *key, char ***out, size_t *n)
{
    if (!v || v->type != YAML_SEQUENCE_NODE) return authd_yaml_fail(y, v, "%s: expected a list", key);
    size_t count = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
    char **list = calloc(count + 1, sizeof(*list));
    if (!list) return authd_yaml_fail(y, v, "out of memory");
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yaml_document_get_node(&y->doc, v->data.sequence.items.start[i]);
        if (authd_yaml_string(y, item, key, &list[i]) != 0) {
            authd_yaml_strings_free(list);
            return -1;
        }
    }
    *out = list;
    *n = count;
    return 0;
}

void authd_yaml_strings_free(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}
