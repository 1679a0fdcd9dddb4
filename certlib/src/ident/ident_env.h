/* What one identifier check needs, resolved once per call or per batch: the region table and today's
 * date in China Standard Time. Shared by the people's (ident.c) and organisations' (uscc.c) checkers.
 * Internal. */
#ifndef CERTLIB_IDENT_ENV_H
#define CERTLIB_IDENT_ENV_H

#include "certlib/ident.h"

struct ident_env {
    const certlib_regions *regions;
    const uint64_t *bits; /* region bitmap of `regions` */
    uint32_t today;       /* YYYYMMDD */
};

void certlib__ident_env_init(struct ident_env *env, const certlib_ident_opts *opts);

/* Did this six-digit code ever appear in GB/T 2260 (or the deployment's additions)? */
static inline bool ident_region_ok(const struct ident_env *env, uint32_t code)
{
    return (env->bits[code >> 6] >> (code & 63)) & 1;
}

#endif
