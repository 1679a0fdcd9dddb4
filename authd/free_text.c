/* Identity data in free text (free_text.h). */
#include "certlib/ident.h"
#include "free_text.h"

bool authd_text_has_identity(const certlib_regions *regions, const char *text, size_t len, int *kind)
{
    certlib_ident_opts opts = {
        .regions = regions, .accept = CERTLIB_IDENT_ACCEPT_PERSON | CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC)};
    certlib_ident found;
    if (!text || !certlib_ident_find(text, len, &opts, &found, NULL, NULL)) return false;
    if (kind) *kind = found.kind;
    return true;
}

int authd_refuse_identity_in_text(struct authd_request *r, const char *field, const char *text, size_t len)
{
    int kind;
    if (!authd_text_has_identity(r->server->regions, text, len, &kind)) return 0;
    authd_problemf(r->req, 422, "identity_data_in_text",
                   "'%s' holds %s: free text is logged, so it must not carry identity numbers", field,
                   certlib_ident_kind_label((certlib_ident_kind)kind));
    return -1;
}
