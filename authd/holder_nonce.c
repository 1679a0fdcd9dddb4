/* Holder nonces (holder_nonce.h): time (8 bytes, big-endian) || random (8) || MAC of the first 16 (16). */
#include <sodium.h>

#include "holder_nonce.h"

#define CLOCK_SKEW 30 /* seconds a nonce may seem to come from the future: nodes' clocks differ */

void authd_holder_nonce_make(const struct authd_record_keys *keys, int64_t now,
                             uint8_t out[AUTHD_HOLDER_NONCE_LEN])
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)((uint64_t)now >> (56 - 8 * i));
    randombytes_buf(out + 8, 8);
    authd_record_nonce_mac(keys, out, 16, out + 16);
}

enum authd_holder_nonce authd_holder_nonce_check(const struct authd_record_keys *keys, const uint8_t *nonce,
                                                 size_t len, int64_t now, uint32_t ttl)
{
    uint8_t mac[16];
    if (len != AUTHD_HOLDER_NONCE_LEN) return AUTHD_HOLDER_NONCE_FORGED;
    authd_record_nonce_mac(keys, nonce, 16, mac);
    if (sodium_memcmp(mac, nonce + 16, 16) != 0) return AUTHD_HOLDER_NONCE_FORGED;
    uint64_t made = 0;
    for (int i = 0; i < 8; i++)
        made = made << 8 | nonce[i];
    if ((int64_t)made > now + CLOCK_SKEW || now - (int64_t)made > (int64_t)ttl)
        return AUTHD_HOLDER_NONCE_EXPIRED;
    return AUTHD_HOLDER_NONCE_OK;
}
