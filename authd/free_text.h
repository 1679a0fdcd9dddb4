/* Free text that reaches a log (a status change's reason, published in the signature log; a use cause,
 * kept in the access log) must carry no identity data: a clerk typing the citizen's number into it would
 * publish it, or keep it beside the keyed holder index that exists so the log never holds it. */
#ifndef AUTHD_FREE_TEXT_H
#define AUTHD_FREE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "certlib/region.h"

#include "http.h"

/* True when `text` holds a valid identity number or unified social credit code (certlib_ident_find over
 * its tokens), under `regions` (NULL: certlib's built-in table); *kind says which. */
bool authd_text_has_identity(const certlib_regions *regions, const char *text, size_t len, int *kind);

/* 0 when `text` holds no valid identity number or unified social credit code (certlib_ident_find over
 * its tokens); otherwise sends 422 identity_data_in_text naming `field`, never the text, and returns -1. */
int authd_refuse_identity_in_text(struct authd_request *r, const char *field, const char *text, size_t len);

#endif
