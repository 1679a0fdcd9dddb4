/* One licence as the API returns it: the CBOR (reduced to what a matter needs, still verifiable), its
 * elements with their Chinese labels, and identity numbers masked for clients that may not see them. */
#ifndef AUTHD_LICENCE_VIEW_H
#define AUTHD_LICENCE_VIEW_H

#include <jansson.h>
#include <stdbool.h>

#include "policy.h"
#include "server.h"
#include "store.h"

/* `need`: the matter's needs for this licence's type, or NULL for the whole licence. Masked (unless
 * `unmasked`): holder_id and every type element named *_id are withheld from the CBOR and shown masked
 * in `masked`. Returns NULL when out of memory or when the stored licence cannot be read.
 * `holder_key`, when not NULL, receives the holder-index key of the licence's holder (for the access
 * log) and *holder_found whether the licence names a holder id. */
json_t *authd_licence_view(const struct authd_server *s, const char *id,
                           const struct authd_licence_meta *meta, const uint8_t *licence, size_t len,
                           const struct authd_matter_need *need, bool unmasked, uint8_t *holder_key,
                           bool *holder_found);

/* base64url without padding, as a JSON string. */
json_t *authd_json_base64url(const uint8_t *bytes, size_t len);

/* An identifier masked for display: 330102********123X. */
json_t *authd_json_masked(const char *id, size_t len);

#endif
