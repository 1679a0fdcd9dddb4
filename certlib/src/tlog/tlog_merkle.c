/* RFC 6962 Merkle trees over stored hashes: roots, audit paths and consistency proofs (generation
 * follows RFC 6962 §2.1.1-2.1.2, verification RFC 9162 §2.1.3.2 and §2.1.4.2). */

/* The low-level SHA-256 functions are deprecated in OpenSSL 3 but are what a Merkle tree needs: one
 * 65-byte message per node with no context to allocate. On this machine (SHA-NI) SHA256_Init/Update/
 * Final hashes a node in 0.09 µs against 0.21 µs for EVP_Digest with a fetched EVP_MD and 0.46 µs for
 * libsodium (bench/tlog), and the offline audit is bound by exactly this. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <sodium.h>
#include <string.h>

#include "certlib/tlog.h"
#include "tlog/tlog_internal.h"

void certlib_tlog_leaf_hash(const uint8_t *entry, size_t len, certlib_tlog_hash out)
{
    static const uint8_t prefix = 0x00;
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, &prefix, 1);
    SHA256_Update(&c, entry, len);
    SHA256_Final(out, &c);
}

void certlib_tlog_node_hash(const certlib_tlog_hash left, const certlib_tlog_hash right,
                            certlib_tlog_hash out)
{
    static const uint8_t prefix = 0x01;
    SHA256_CTX
    c; /* not the one-shot SHA256(): in OpenSSL 3 it fetches the algorithm, under a lock, each time */
    SHA256_Init(&c);
    SHA256_Update(&c, &prefix, 1);
    SHA256_Update(&c, left, CERTLIB_TLOG_HASH_LEN);
    SHA256_Update(&c, right, CERTLIB_TLOG_HASH_LEN);
    SHA256_Final(out, &c);
}

/* The largest power of two strictly below n (n >= 2): the highest bit of n - 1. (A doubling loop
 * would never end for n > 2^63: fuzz/tlog_proof_fuzz found that.) */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* MTH(D[lo:hi]) for the ranges RFC 6962's recursions produce: hi > lo and lo a multiple of the
 * largest power of two not above hi - lo. The range is the complete subtrees of a greedy
 * decomposition from lo, folded from the right. */
static certlib_err range_hash(uint64_t lo, uint64_t hi, certlib_tlog_reader read, void *arg,
                              certlib_tlog_hash out)
{
    certlib_tlog_hash parts[64];
    size_t n = 0;
    if (lo >= hi) return CERTLIB_E_INTERNAL;
    while (lo < hi && n < 64) {
        unsigned level = 0;
        while (level < 63 && (lo & ((uint64_t)1 << level)) == 0 && lo + ((uint64_t)2 << level) <= hi)
            level++;
        certlib_err e = read(arg, level, lo >> level, parts[n]);
        if (e) return e;
        n++;
        lo += (uint64_t)1 << level;
    }
    if (n == 0 || lo != hi) return CERTLIB_E_INTERNAL;
    memcpy(out, parts[n - 1], CERTLIB_TLOG_HASH_LEN);
    while (n-- > 1)
        certlib_tlog_node_hash(parts[n - 1], out, out);
    return CERTLIB_OK;
}

certlib_err certlib_tlog_stored_hashes(uint64_t index, const certlib_tlog_hash leaf, certlib_tlog_reader read,
                                       void *arg, certlib_tlog_stored_hash *out, size_t *n)
{
    if (!leaf || !read || !out || !n) return CERTLIB_E_INVALID_ARGUMENT;
    if (index >= (uint64_t)1 << 63) return CERTLIB_E_TLOG_INDEX;
    *n = 0;
    out[0] = (certlib_tlog_stored_hash){.level = 0, .index = index};
    memcpy(out[0].hash, leaf, CERTLIB_TLOG_HASH_LEN);
    size_t k = 1;
    /* A right child (odd index) completes its parent; the parent may be a right child in turn. */
    for (uint64_t i = index; i & 1; i >>= 1, k++) {
        certlib_tlog_hash left;
        certlib_err err = read(arg, out[k - 1].level, i - 1, left);
        if (err) return err;
        out[k] = (certlib_tlog_stored_hash){.level = out[k - 1].level + 1, .index = i >> 1};
        certlib_tlog_node_hash(left, out[k - 1].hash, out[k].hash);
    }
    *n = k;
    return CERTLIB_OK;
}

certlib_err certlib_tlog_root(uint64_t size, certlib_tlog_reader read, void *arg, certlib_tlog_hash out)
{
    if (!read || !out) return CERTLIB_E_INVALID_ARGUMENT;
    if (size == 0) {
        SHA256_CTX c;
        SHA256_Init(&c);
        SHA256_Final(out, &c); /* SHA-256 of nothing */
        return CERTLIB_OK;
    }
    return range_hash(0, size, read, arg, out);
}

struct proof_out {
    certlib_tlog_hash *hashes;
    size_t n;
    certlib_tlog_reader read;
    void *arg;
};

static certlib_err append_range(struct proof_out *p, uint64_t lo, uint64_t hi)
{
    if (p->n == CERTLIB_TLOG_MAX_PROOF) return CERTLIB_E_INTERNAL;
    certlib_err e = range_hash(lo, hi, p->read, p->arg, p->hashes[p->n]);
    if (!e) p->n++;
    return e;
}

/* PATH(m, D[lo:hi]) of RFC 6962 §2.1.1. */
static certlib_err path(struct proof_out *p, uint64_t m, uint64_t lo, uint64_t hi)
{
    if (hi - lo == 1) return CERTLIB_OK;
    uint64_t k = split_point(hi - lo);
    certlib_err e;
    if (m < lo + k) {
        if ((e = path(p, m, lo, lo + k))) return e;
        return append_range(p, lo + k, hi);
    }
    if ((e = path(p, m, lo + k, hi))) return e;
    return append_range(p, lo, lo + k);
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 6962 §2.1.2, m counted from lo. */
static certlib_err subproof(struct proof_out *p, uint64_t m, uint64_t lo, uint64_t hi, int b)
{
    if (m == hi - lo) return b ? CERTLIB_OK : append_range(p, lo, hi);
    uint64_t k = split_point(hi - lo);
    certlib_err e;
    if (m <= k) {
        if ((e = subproof(p, m, lo, lo + k, b))) return e;
        return append_range(p, lo + k, hi);
    }
    if ((e = subproof(p, m - k, lo + k, hi, 0))) return e;
    return append_range(p, lo, lo + k);
}

certlib_err certlib_tlog_inclusion_proof(uint64_t index, uint64_t size, certlib_tlog_reader read, void *arg,
                                         certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF], size_t *n)
{
    if (!read || !proof || !n) return CERTLIB_E_INVALID_ARGUMENT;
    *n = 0;
    if (index >= size) return CERTLIB_E_TLOG_INDEX;
    struct proof_out p = {proof, 0, read, arg};
    certlib_err e = path(&p, index, 0, size);
    *n = p.n;
    return e;
}

certlib_err certlib_tlog_consistency_proof(uint64_t old_size, uint64_t size, certlib_tlog_reader read,
                                           void *arg, certlib_tlog_hash proof[CERTLIB_TLOG_MAX_PROOF],
                                           size_t *n)
{
    if (!read || !proof || !n) return CERTLIB_E_INVALID_ARGUMENT;
    *n = 0;
    if (old_size > size) return CERTLIB_E_TLOG_INDEX;
    if (old_size == 0 || old_size == size) return CERTLIB_OK;
    struct proof_out p = {proof, 0, read, arg};
    certlib_err e = subproof(&p, old_size, 0, size, 1);
    *n = p.n;
    return e;
}

size_t certlib__tlog_inclusion_len(uint64_t index, uint64_t size)
{
    size_t n = 0;
    uint64_t lo = 0, hi = size;
    while (hi - lo > 1) {
        uint64_t k = split_point(hi - lo);
        if (index < lo + k)
            hi = lo + k;
        else
            lo += k;
        n++;
    }
    return n;
}

static size_t consistency_len(uint64_t old_size, uint64_t size)
{
    size_t n = 0;
    uint64_t m = old_size, lo = 0, hi = size;
    int b = 1;
    while (m != hi - lo) {
        uint64_t k = split_point(hi - lo);
        if (m <= k) {
            hi = lo + k;
        } else {
            m -= k;
            lo += k;
            b = 0;
        }
        n++;
    }
    return n + (b ? 0 : 1);
}

static int hash_eq(const certlib_tlog_hash a, const certlib_tlog_hash b)
{
    return sodium_memcmp(a, b, CERTLIB_TLOG_HASH_LEN) == 0;
}

certlib_err certlib_tlog_verify_inclusion(uint64_t index, uint64_t size, const certlib_tlog_hash leaf,
                                          const certlib_tlog_hash *proof, size_t n,
                                          const certlib_tlog_hash root)
{
    if (!leaf || !root || (n && !proof)) return CERTLIB_E_INVALID_ARGUMENT;
    if (index >= size) return CERTLIB_E_TLOG_INDEX;
    if (n != certlib__tlog_inclusion_len(index, size)) return CERTLIB_E_PROOF_LENGTH;
    uint64_t fn = index, sn = size - 1;
    certlib_tlog_hash r;
    memcpy(r, leaf, sizeof(r));
    for (size_t i = 0; i < n; i++) {
        if (sn == 0) return CERTLIB_E_PROOF_LENGTH;
        if ((fn & 1) || fn == sn) {
            certlib_tlog_node_hash(proof[i], r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            certlib_tlog_node_hash(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return CERTLIB_E_PROOF_LENGTH;
    return hash_eq(r, root) ? CERTLIB_OK : CERTLIB_E_PROOF;
}

certlib_err certlib_tlog_verify_consistency(uint64_t old_size, uint64_t size, const certlib_tlog_hash *proof,
                                            size_t n, const certlib_tlog_hash old_root,
                                            const certlib_tlog_hash root)
{
    if (!old_root || !root || (n && !proof)) return CERTLIB_E_INVALID_ARGUMENT;
    if (old_size > size) return CERTLIB_E_TLOG_INDEX;
    if (old_size == size) {
        if (n) return CERTLIB_E_PROOF_LENGTH;
        return hash_eq(old_root, root) ? CERTLIB_OK : CERTLIB_E_PROOF;
    }
    if (old_size == 0) { /* RFC 9162 §2.1.4: the empty tree's root is SHA-256 of nothing */
        certlib_tlog_hash empty;
        SHA256((const uint8_t *)"", 0, empty);
        if (n) return CERTLIB_E_PROOF_LENGTH;
        return hash_eq(old_root, empty) ? CERTLIB_OK : CERTLIB_E_PROOF;
    }
    if (n != consistency_len(old_size, size)) return CERTLIB_E_PROOF_LENGTH;

    /* When the old tree is a complete subtree its root is the proof's implicit first element. */
    size_t i = 0;
    const uint8_t *first = proof[0];
    if ((old_size & (old_size - 1)) == 0) {
        first = old_root;
    } else {
        i = 1;
    }
    uint64_t fn = old_size - 1, sn = size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    certlib_tlog_hash fr, sr;
    memcpy(fr, first, sizeof(fr));
    memcpy(sr, first, sizeof(sr));
    for (; i < n; i++) {
        if (sn == 0) return CERTLIB_E_PROOF_LENGTH;
        if ((fn & 1) || fn == sn) {
            certlib_tlog_node_hash(proof[i], fr, fr);
            certlib_tlog_node_hash(proof[i], sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            certlib_tlog_node_hash(sr, proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return CERTLIB_E_PROOF_LENGTH;
    return hash_eq(fr, old_root) && hash_eq(sr, root) ? CERTLIB_OK : CERTLIB_E_PROOF;
}
