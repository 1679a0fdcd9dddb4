/* What one peer's signed trust list lets this authd do (federation.h): verify that peer's licences
 * (a certlib context loaded from the list, with the peer's signature-log key for receipts) and know
 * the shared matters it serves. Made whole from a verified list and never changed after, except for
 * the status lists peers staple to their answers, which the context takes in (certlib allows that from
 * any thread); replaced whole when a newer list arrives. */
#ifndef AUTHD_PEER_VIEW_H
#define AUTHD_PEER_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certlib/certlib.h"
#include "errors.h"

struct authd_peer_view {
    certlib_ctx *ctx;
    certlib_note_verifier sig_log; /* the peer's signature log, when its list names one */
    bool has_sig_log;
    uint64_t sequence;
    int64_t expires;
    char **shared_matters; /* the shared catalogue codes of its matters */
    size_t n_shared_matters;
    uint8_t *list; /* the signed list, as it came: kept in state_dir as the last good one */
    size_t len;
};

/* Verifies `list` under the pinned certificate `pin` at `now`, refusing a sequence below
 * `min_sequence`, and builds the view. AUTHD_E_CONFLICT with certlib's reason in err (the name of the
 * refusal first: "trust_list_rollback: ..."), AUTHD_E_NOMEM. */
authd_err authd_peer_view_new(const uint8_t *list, size_t len, const uint8_t *pin, size_t pin_len,
                              int64_t now, uint64_t min_sequence, struct authd_peer_view **out, char *err,
                              size_t err_cap);
void authd_peer_view_free(void *view);

/* Whether the peer's list names a matter with that shared code. */
bool authd_peer_view_serves(const struct authd_peer_view *v, const char *shared_code);

#endif
