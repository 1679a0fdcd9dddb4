/* YAML files read with libyaml's document API, so every error can name the file, line and key. Shared
 * by the configuration (config.c) and the policies (policy.c). Unknown keys are errors everywhere: a
 * misspelt setting must not silently fall back to a default. */
#ifndef AUTHD_YAMLUTIL_H
#define AUTHD_YAMLUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

struct authd_yaml {
    yaml_document_t doc;
    const char *path;
    char *dir; /* directory of the file, for relative paths */
    char *err;
    size_t err_cap;
};

/* Parses `path`; on failure writes "path:line: message" into err and returns -1. On success the caller
 * walks yaml_document_get_root_node(&y->doc) and then calls authd_yaml_free. */
int authd_yaml_load(struct authd_yaml *y, const char *path, char *err, size_t err_cap);
void authd_yaml_free(struct authd_yaml *y);

/* Writes "path:line: message" and returns -1. */
int authd_yaml_fail(struct authd_yaml *y, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *authd_yaml_scalar(const yaml_node_t *node);
int authd_yaml_string(struct authd_yaml *y, const yaml_node_t *node, const char *key, char **out);
/* A path, resolved against the file's directory when relative. */
int authd_yaml_path(struct authd_yaml *y, const yaml_node_t *node, const char *key, char **out);
/* A key reference: a PKCS#11 URI ("pkcs11:...") or an SDF reference ("sdf:..."), kept as written, or a
 * path as authd_yaml_path. */
int authd_yaml_key_ref(struct authd_yaml *y, const yaml_node_t *node, const char *key, char **out);
/* An unsigned integer with an optional binary suffix (k, M, G), within [min, max]. */
int authd_yaml_uint(struct authd_yaml *y, const yaml_node_t *node, const char *key, uint64_t min,
                    uint64_t max, uint64_t *out);
/* "true" or "false". */
int authd_yaml_bool(struct authd_yaml *y, const yaml_node_t *node, const char *key, int *out);

typedef int (*authd_yaml_field_fn)(struct authd_yaml *y, yaml_node_t *value, void *target);

struct authd_yaml_field {
    const char *key;
    authd_yaml_field_fn parse;
};

/* Walks a mapping, dispatching each key to its parser; unknown keys are errors naming `what`. */
int authd_yaml_walk(struct authd_yaml *y, yaml_node_t *node, const char *what,
                    const struct authd_yaml_field *fields, size_t n_fields, void *target);

/* A sequence of strings: *out a NULL-terminated copy (free with authd_yaml_strings_free), *n its length
 * (0 for an empty list). On failure nothing is left allocated. */
int authd_yaml_strings(struct authd_yaml *y, yaml_node_t *node, const char *key, char ***out, size_t *n);
void authd_yaml_strings_free(char **list);

/* Calls `fn` for every item of a sequence. */
int authd_yaml_each(struct authd_yaml *y, yaml_node_t *node, const char *what,
                    int (*fn)(struct authd_yaml *y, yaml_node_t *item, size_t index, void *target),
                    void *target);

#endif
