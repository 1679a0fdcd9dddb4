/* Identity data in free text (free_text.h). */
#include "certlib/ident.h"
#include "free_text.h"

int authd_refuse_identity_in_text(struct authd_request *r, const char *field, const char *text, size_t len)
{
    certlib_ident_opts opts = {.regions = r->server->regions,
                               .accept =
                                   CERTLIB_IDENT_ACCEPT_PERSON | CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)};
    certlib_ident found;
    if (!text || !certlib_ident_find(text, len, &opts, &found, NULL, NULL)) return 0;
    authd_problemf(r->req, 422, "identity_data_in_text",
                   "'%s' holds %s: free text is logged, so it must not carry identity numbers", field,
                   certlib_ident_kind_label((certlib_ident_kind)found.kind));
    return -1;
}
