/* A keyed permutation of a status list's indices [0, size): the k-th licence of a list gets index
 * permute(k). Nodes that share a store take counters k from the store in ranges, so no two of them ever
 * give out one index, while the indices still say nothing about the order of issuance (herd privacy:
 * without the key, consecutive counters land on unrelated indices). A four-round Feistel network over
 * the smallest even-bit power of two covering the list, keyed BLAKE2b as its round function, and cycle
 * walking down to the list's size. */
#ifndef AUTHD_LIST_PERMUTATION_H
#define AUTHD_LIST_PERMUTATION_H

#include <stdint.h>

#define AUTHD_LIST_KEY_LEN 32

struct authd_list_permutation {
    uint8_t key[AUTHD_LIST_KEY_LEN];
    uint32_t size;      /* the list's entries */
    unsigned half_bits; /* each Feistel half: the domain is 2^(2*half_bits) >= size */
};

/* `size` >= 2. The key is copied (the caller wipes its own). */
void authd_list_permutation_init(struct authd_list_permutation *p, const uint8_t key[AUTHD_LIST_KEY_LEN],
                                 uint32_t size);
/* The index of counter k (k < size) in list `list_no` of `issuer_code` (each list is permuted
 * differently). */
uint32_t authd_list_permute(const struct authd_list_permutation *p, const char *issuer_code, uint32_t list_no,
                            uint32_t k);
void authd_list_permutation_wipe(struct authd_list_permutation *p);

#endif
