/* GET /v1/marks/{reference}/qr: the QR code of a disclosure mark's reference (certlib/mark.h), as SVG,
 * for the counter desk's print view: a paper copy carries it, so the copy can be traced like a file can.
 * Only a well-formed ELM1: reference is drawn: this is no general QR service. */
#include <stdlib.h>
#include <string.h>

#include "certlib/mark.h"
#include "qr_svg.h"
#include "router.h"

void authd_route_mark_qr(struct authd_request *r)
{
    h2o_iovec_t ref;
    uint64_t index;
    certlib_tlog_hash hash;
    if (authd_percent_decode(&r->req->pool, r->params[0], &ref) != 0 ||
        ref.len >= CERTLIB_MARK_REFERENCE_MAX ||
        certlib_mark_reference_parse(ref.base, ref.len, &index, hash) != CERTLIB_OK) {
        authd_problem(r->req, 422, "invalid_reference",
                      "not a disclosure mark's ELM1:<index>:<entry hash> reference");
        return;
    }
    char text[CERTLIB_MARK_REFERENCE_MAX];
    memcpy(text, ref.base, ref.len);
    text[ref.len] = '\0';
    char *svg = authd_qr_svg(text);
    if (!svg) {
        authd_problem(r->req, 503, "overloaded", "out of memory");
        return;
    }
    authd_send_cache_control(r->req, 200, "image/svg+xml", authd_pool_copy(r->req, svg, strlen(svg)),
                             "no-store");
    free(svg);
}
