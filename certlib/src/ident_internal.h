/* Shared between the identifier checkers. Internal. */
#ifndef CERTLIB_IDENT_INTERNAL_H
#define CERTLIB_IDENT_INTERNAL_H

#include "certlib/ident.h"

/* What one check needs, resolved once per call or per batch. */
struct ident_env {
    const certlib_regions *regions;
    const uint64_t *bits; /* region bitmap of `regions` */
    uint32_t today;       /* YYYYMMDD */
};

static inline bool ident_region_ok(const struct ident_env *env, uint32_t code)
{
    return (env->bits[code >> 6] >> (code & 63)) & 1;
}

/* Each writes a complete result for an input of its length (18, 9-10) and returns out->reason. */
certlib_err certlib__uscc_check(const struct ident_env *env, const char *s, certlib_ident *out);
certlib_err certlib__org_code_check(const char *s, size_t len, certlib_ident *out);

/* GB 32100 labels for the registration authority and organisation category of a valid USCC. */
const char *certlib__uscc_authority_label(char authority);
const char *certlib__uscc_category_label(char authority, char category);

/* True when any byte is a control character or the input is not UTF-8: the reason is then
 * CERTLIB_E_IDENT_ENCODING whatever else is wrong. */
bool certlib__ident_bad_encoding(const char *s, size_t len);

#endif
