/* Scope lists of the trust bundle: which licence types, regions, issuers or URIs a root or a signer
 * may speak for. */
#include <stdlib.h>
#include <string.h>

#include "trust/ctx_internal.h"

bool certlib__listed(char *const *list, const char *s, bool prefix)
{
    if (!list) return true; /* "*" */
    for (size_t i = 0; list[i]; i++) {
        size_t n = strlen(list[i]);
        if (prefix ? strncmp(s, list[i], n) == 0 : strcmp(s, list[i]) == 0) return true;
    }
    return false;
}

void certlib__strings_free(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

void certlib__scope_free(certlib__scope *scope)
{
    certlib__strings_free(scope->types);
    certlib__strings_free(scope->regions);
    scope->types = scope->regions = NULL;
}
