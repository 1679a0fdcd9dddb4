/* What a counter's OpenID4VP request asks for: a DCQL query (OpenID4VP 1.0 §6) built from a matter's
 * needs (最少必要), and the check that a presented licence discloses nothing beyond it. One credential
 * query per licence type the matter needs, its id the type code: format mso_mdoc, docType
 * cn.gov.elicence.1, the claims the matter names (licence_id always, licence_type_code constrained to
 * the type), each need optional (a credential set of its own), as lookups report missing types. */
#ifndef AUTHD_DCQL_H
#define AUTHD_DCQL_H

#include <stdbool.h>

#include "certlib/verify.h"
#include "jsonw.h"
#include "policy.h"

/* Writes the DCQL query for `matter` (a JSON object) to `w`. */
void authd_dcql_write(struct authd_jsonw *w, const struct authd_matter *matter);

/* The need the credential query `id` stands for, or NULL. */
const struct authd_matter_need *authd_dcql_need(const struct authd_matter *matter, const char *id,
                                                size_t len);

/* True when every element the verified licence `r` discloses is one `need` asks for; else false with
 * *beyond naming the first that is not (owned by `r`). */
bool authd_dcql_within(const struct authd_matter_need *need, const certlib_result *r, const char **beyond);

#endif
