/* Unified social credit codes (GB 32100) and organisation codes (GB 11714): the checkers ident.c
 * dispatches to, and the labels ident_format.c renders. Internal. */
#ifndef CERTLIB_USCC_H
#define CERTLIB_USCC_H

#include "ident/ident_env.h"

/* Each writes a complete result for an input of its length (18, 9-10) and returns out->reason. */
certlib_err certlib__uscc_check(const struct ident_env *env, const char *s, certlib_ident *out);
certlib_err certlib__org_code_check(const char *s, size_t len, certlib_ident *out);

/* GB 32100 labels for the registration authority and organisation category of a valid USCC. */
const char *certlib__uscc_authority_label(char authority);
const char *certlib__uscc_category_label(char authority, char category);

#endif
