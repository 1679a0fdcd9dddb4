/* The verification context's insides: trust bundle, signer cache and status lists. Internal. */
#ifndef CERTLIB_CTX_INTERNAL_H
#define CERTLIB_CTX_INTERNAL_H

#include <pthread.h>

#include "certinfo.h"
#include "certlib/status.h"
#include "certlib/trust.h"

#define CTX_CACHE_MAX 256 /* x5chain signers verified on the fly and remembered */

typedef struct certlib__root {
    char *name;
    certlib__certinfo cert;
    char **types;   /* NULL-terminated; NULL when "*" */
    char **regions; /* NULL-terminated; NULL when "*" */
} certlib__root;

/* A signer certificate whose chain has been verified. */
typedef struct certlib__trusted {
    certlib__certinfo cert;
    size_t root;              /* index into trust.roots */
    int64_t chain_not_before; /* the latest notBefore along the chain */
    int64_t chain_not_after;  /* the earliest notAfter along the chain */
    bool status_signer;
} certlib__trusted;

typedef struct certlib__trust {
    certlib__root *roots;
    size_t n_roots;
    certlib__trusted *signers;
    size_t n_signers;
    X509_STORE *store;
} certlib__trust;

typedef struct certlib__status_entry {
    char *uri;
    certlib_status_list *list;
    int64_t iat, exp;
    size_t root;
} certlib__status_entry;

struct certlib_ctx {
    certlib__trust trust;
    certlib__hashes hashes; /* fetched once: verification digests every disclosed item */
    char trust_error[256];

    pthread_mutex_t cache_lock;
    certlib__trusted *cache; /* CTX_CACHE_MAX slots, never moved: entries stay valid while the ctx lives */
    size_t n_cache;

    pthread_rwlock_t status_lock;
    certlib__status_entry *status;
    size_t n_status, status_cap;
};

/* The trusted signer for a COSE_Sign1's kid or x5chain. `for_status` selects status signers (bundle
 * only) instead of document signers. */
struct certlib__sign1;
certlib_err certlib__ctx_find_signer(const certlib_ctx *ctx, const struct certlib__sign1 *s, bool for_status,
                                     const certlib__trusted **out);

/* Looks up the status of `idx` in the list for `uri` signed under `root`, judged at `now`. */
certlib_err certlib__ctx_status(const certlib_ctx *ctx, const uint8_t *uri, size_t uri_len, uint64_t idx,
                                size_t root, int64_t now, int64_t skew, int64_t max_age,
                                certlib_status *status);

void certlib__ctx_clear_status(certlib_ctx *ctx);

/* The list's raw value at idx (status_list.c). */
unsigned certlib__status_list_value(const certlib_status_list *list, uint64_t idx);

#endif
