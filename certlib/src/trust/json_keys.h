/* Strict JSON objects, as every trust document is read: no key but the allowed ones. Internal. */
#ifndef CERTLIB_JSON_KEYS_H
#define CERTLIB_JSON_KEYS_H

#include <jansson.h>
#include <stdbool.h>

/* True when every key of `obj` is in `allowed` (NULL-terminated); else false with *unknown the first
 * key that is not. */
bool certlib__json_only_keys(json_t *obj, const char *const *allowed, const char **unknown);

#endif
