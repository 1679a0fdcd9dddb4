/* The verification context's insides: the trust bundle, the x5chain signer cache, CRLs and status
 * lists. ctx.c owns the context's life; trust_bundle.c fills `trust`; signer_lookup.c resolves and
 * caches signers; crl.c keeps the CRLs; status_store.c the status lists. Internal. */
#ifndef CERTLIB_CTX_INTERNAL_H
#define CERTLIB_CTX_INTERNAL_H

#include "trust/registry.h"
#include <pthread.h>

#include "crypto/certinfo.h"
#include "certlib/status.h"
#include "certlib/tlog.h"
#include "certlib/trust.h"

#define CTX_CACHE_MAX 256  /* x5chain signers remembered after a good signature; least recently used go */
#define CTX_CHECKPOINTS 16 /* receipts' checkpoints remembered after a good signature; oldest go */

/* A scope: the licence types and issuer regions a root or a signer may sign for. Each list is
 * NULL-terminated, or NULL for "*". */
typedef struct certlib__scope {
    char **types;   /* 21-character type codes */
    char **regions; /* GB/T 2260 prefixes the issuer USCC's characters 3-8 must start with */
} certlib__scope;

typedef struct certlib__root {
    char *name;
    certlib__certinfo cert;
    certlib__scope scope;
} certlib__root;

/* A signer certificate whose chain has been verified. */
typedef struct certlib__trusted {
    certlib__certinfo cert;
    size_t root;                     /* index into trust.roots */
    int64_t chain_not_before;        /* the latest notBefore along the chain */
    int64_t chain_not_after;         /* the earliest notAfter along the chain */
    ASN1_INTEGER *serial_under_root; /* the serial of the chain's certificate the root issued (CRLs) */
    bool status_signer;
    bool listed;          /* in the bundle; false for an x5chain signer found on the fly */
    certlib__scope scope; /* document signers: the bundle's per-signer scope (NULL lists: none) */
    char **issuers;       /* status signers: the issuer codes it speaks for; NULL: any under its root */
    char **uri_prefixes;  /* status signers: the list URIs it may sign; NULL: any */
    /* x5chain signers only (heap-allocated): references held, under ctx->cache_lock */
    unsigned refs;
    uint64_t last_used;
} certlib__trusted;

typedef struct certlib__trust {
    certlib__root *roots;
    size_t n_roots;
    certlib__trusted *signers;
    size_t n_signers;
    uint8_t (*denied)[32]; /* revoked_signers: SHA-256 fingerprints no chain may contain */
    size_t n_denied;
    bool listed_only; /* require_listed_signers: x5chain signers must be in the bundle too */
    X509_STORE *store;
    certlib__registry registry; /* reader roots, the matters catalogue, registered readers */
} certlib__trust;

typedef struct certlib__status_entry {
    char *uri;
    size_t root;
    certlib_status_list *list;
    int64_t iat, exp, added_at;
    uint64_t ttl;
    const certlib__trusted *signer; /* a bundle status signer: lives as long as the bundle */
    uint8_t token_hash[32];         /* SHA-256 of the CWT it came in: the same token again is a re-fetch */
} certlib__status_entry;

struct certlib_ctx {
    certlib__trust trust;
    certlib__hashes hashes; /* fetched once: verification digests every disclosed item */
    char trust_error[256];

    pthread_mutex_t cache_lock;
    certlib__trusted *cache[CTX_CACHE_MAX]; /* x5chain signers, each with a reference of the cache's */
    size_t n_cache;
    uint64_t cache_clock; /* stamps last_used */

    pthread_rwlock_t crl_lock;
    X509_CRL **crls; /* the newest CRL of each root that sent one, indexed like trust.roots */

    pthread_rwlock_t status_lock;
    certlib__status_entry *status;
    size_t n_status, status_cap;

    /* Receipts' checkpoints whose signature verified, under cache_lock: a log's checkpoint changes only
     * when the log grows, and every receipt until then carries the same one. */
    struct certlib__checkpoint_seen {
        uint8_t key[32]; /* SHA-256 of the verifier's name and key and the checkpoint note */
        certlib_checkpoint cp;
    } checkpoints[CTX_CHECKPOINTS];
    size_t n_checkpoints, next_checkpoint;
};

/* ---- scopes (scope.c) ---- */

/* True when `s` is in `list` (NULL: "*"), exactly or, with `prefix`, as a prefix of `s`. */
bool certlib__listed(char *const *list, const char *s, bool prefix);
void certlib__strings_free(char **list);
void certlib__scope_free(certlib__scope *scope);

/* ---- chains (trust_chain.c) ---- */

/* Verifies `leaf` (intermediates from `untrusted`) up to a root of `t`, and fills `out`'s root, chain
 * window and serial under the root. CERTLIB_E_UNTRUSTED when no chain; CERTLIB_E_SIGNER_REVOKED when
 * a certificate of the chain is on the bundle's deny-list. */
certlib_err certlib__chain_verify(const certlib__trust *t, X509 *leaf, STACK_OF(X509) * untrusted,
                                  certlib__trusted *out);
bool certlib__trust_denied(const certlib__trust *t, const uint8_t fingerprint[32]);
void certlib__trusted_clear(certlib__trusted *t);

/* ---- signers (signer_lookup.c) ---- */

/* The trusted signer of a COSE_Sign1 by kid or x5chain: a bundle signer, a cached x5chain signer, or
 * one verified now. `for_status` selects status signers (bundle only). Release every signer found
 * with certlib__ctx_signer_release. An x5chain signer enters the cache only through
 * certlib__ctx_signer_remember, once its signature verified: a forged licence leaves no trace. */
struct certlib__sign1;
certlib_err certlib__ctx_find_signer(const certlib_ctx *ctx, const struct certlib__sign1 *s, bool for_status,
                                     const certlib__trusted **out);
void certlib__ctx_signer_remember(const certlib_ctx *ctx, const certlib__trusted *t);
void certlib__ctx_signer_release(const certlib_ctx *ctx, const certlib__trusted *t);
/* Forgets every cached signer (a bundle is being replaced). */
void certlib__ctx_cache_clear(certlib_ctx *ctx);

/* ---- revocation (crl.c) ---- */

/* CERTLIB_E_SIGNER_REVOKED when the root's CRL lists the signer's chain, or the bundle denies it. */
certlib_err certlib__ctx_revoked(const certlib_ctx *ctx, const certlib__trusted *t);
void certlib__ctx_clear_crls(certlib_ctx *ctx, size_t n_roots);

/* ---- status lists (status_store.c) ---- */

/* The status of `idx` in the list for `uri` signed under `root` by a signer that speaks for
 * `issuer_code`, judged at `now`. */
certlib_err certlib__ctx_status(const certlib_ctx *ctx, const uint8_t *uri, size_t uri_len, uint64_t idx,
                                size_t root, const char *issuer_code, int64_t now, int64_t skew,
                                int64_t max_age, certlib_status *status);
void certlib__ctx_clear_status(certlib_ctx *ctx);

/* The list's raw value at idx (status_list.c). */
unsigned certlib__status_list_value(const certlib_status_list *list, uint64_t idx);

#endif
