/* One licence as the API returns it: the CBOR (reduced to what a matter needs, still verifiable), its
 * elements with their Chinese labels, and identity numbers masked for clients that may not see them. */
#ifndef AUTHD_LICENCE_VIEW_H
#define AUTHD_LICENCE_VIEW_H

#include <stdbool.h>

#include "jsonw.h"

#include "licence_meta.h"
#include "policy.h"
#include "server.h"

/* Appends the licence as one JSON object to `w`: licence_id, type, type_name, issuer_code, status,
 * licence (base64url CBOR), elements [{name, label, value}] and masked {name: masked value}.
 * `need`: the matter's needs for this licence's type, or NULL for the whole licence. Masked (unless
 * `unmasked`): holder_id and every type element named *_id are withheld from the CBOR and shown masked
 * in `masked`. Returns false, having written nothing, when the stored licence cannot be read (or memory
 * runs out); running out while writing fails the writer instead.
 * `holder_key`, when not NULL, receives the holder-index key of the licence's holder (for the access
 * log) and *holder_found whether the licence names a holder id. `policy`: the request's, for the type's
 * labels. */
bool authd_licence_view(struct authd_jsonw *w, const struct authd_server *s,
                        const struct authd_policy *policy, const char *id,
                        const struct authd_licence_meta *meta, const uint8_t *licence, size_t len,
                        const struct authd_matter_need *need, bool unmasked, uint8_t *holder_key,
                        bool *holder_found);

/* An identifier masked for display (330102********123X), as a JSON string. */
void authd_jsonw_masked(struct authd_jsonw *w, const char *id, size_t len);

#endif
