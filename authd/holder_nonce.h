/* The nonces a citizen's app signs to ask authd about its own records (the use record, 用证记录;
 * certlib present.h's holder requests). Stateless: the time it was made, 8 random bytes and a MAC under
 * a subkey of the data key, so any node sharing the store checks one another's nonces, and nothing is
 * kept per citizen (the routes are public: no table for strangers to fill). A nonce is good for `ttl`
 * seconds and not single-use: a request only reads the holder's own entries, over TLS, and one replayed
 * within the ttl tells its replayer nothing the signed request's sender had not been told. */
#ifndef AUTHD_HOLDER_NONCE_H
#define AUTHD_HOLDER_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define AUTHD_HOLDER_NONCE_LEN 32

void authd_holder_nonce_make(const struct authd_record_keys *keys, int64_t now,
                             uint8_t out[AUTHD_HOLDER_NONCE_LEN]);

enum authd_holder_nonce {
    AUTHD_HOLDER_NONCE_OK = 0,
    AUTHD_HOLDER_NONCE_FORGED = 1,  /* not made by a node of this store (or altered) */
    AUTHD_HOLDER_NONCE_EXPIRED = 2, /* made more than `ttl` seconds ago (or in the future) */
};
enum authd_holder_nonce authd_holder_nonce_check(const struct authd_record_keys *keys, const uint8_t *nonce,
                                                 size_t len, int64_t now, uint32_t ttl);

#endif
