/* The keyed permutation of status-list indices (list_permutation.h). Hand-written on libsodium's
 * keyed BLAKE2b: a small-domain pseudorandom permutation is not in any Debian library authd uses, and
 * the Feistel construction with cycle walking is a few lines (Black and Rogaway, "Ciphers with
 * arbitrary finite domains", 2002). */
#include <sodium.h>
#include <string.h>

#include "licence_meta.h"
#include "list_permutation.h"

#define ROUNDS 4

void authd_list_permutation_init(struct authd_list_permutation *p, const uint8_t key[AUTHD_LIST_KEY_LEN],
                                 uint32_t size)
{
    memcpy(p->key, key, AUTHD_LIST_KEY_LEN);
    p->size = size;
    unsigned bits = 1;
    while (bits < 32 && ((uint64_t)1 << bits) < size)
        bits++;
    p->half_bits = (bits + 1) / 2;
}

/* Round function: keyed BLAKE2b over (issuer, list, round, half), cut to half_bits. */
static uint32_t round_fn(const struct authd_list_permutation *p, const char *issuer, uint32_t list_no,
                         int round, uint32_t half)
{
    uint8_t in[AUTHD_ISSUER_CODE_LEN + 9], out[8];
    memset(in, 0, sizeof(in));
    memcpy(in, issuer, strnlen(issuer, AUTHD_ISSUER_CODE_LEN));
    uint8_t *q = in + AUTHD_ISSUER_CODE_LEN;
    for (int i = 0; i < 4; i++)
        q[i] = (uint8_t)(list_no >> (24 - 8 * i)), q[5 + i] = (uint8_t)(half >> (24 - 8 * i));
    q[4] = (uint8_t)round;
    crypto_generichash(out, sizeof(out), in, sizeof(in), p->key, AUTHD_LIST_KEY_LEN);
    uint32_t v = (uint32_t)out[0] << 24 | (uint32_t)out[1] << 16 | (uint32_t)out[2] << 8 | out[3];
    return v & ((1u << p->half_bits) - 1);
}

static uint32_t feistel(const struct authd_list_permutation *p, const char *issuer, uint32_t list_no,
                        uint32_t x)
{
    uint32_t mask = (1u << p->half_bits) - 1, left = x >> p->half_bits, right = x & mask;
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t next = left ^ round_fn(p, issuer, list_no, r, right);
        left = right;
        right = next;
    }
    return left << p->half_bits | right;
}

uint32_t authd_list_permute(const struct authd_list_permutation *p, const char *issuer_code, uint32_t list_no,
                            uint32_t k)
{
    /* cycle walking: a permutation of the covering domain, applied until it lands inside the list;
     * it is a permutation of [0, size) because each cycle of the bigger one is walked in order */
    uint32_t x = k;
    do
        x = feistel(p, issuer_code, list_no, x);
    while (x >= p->size);
    return x;
}

void authd_list_permutation_wipe(struct authd_list_permutation *p)
{
    sodium_memzero(p, sizeof(*p));
}
