/* Status lists (draft-ietf-oauth-status-list): one series per issuer, each list `list_size` entries of
 * 2 bits. Indices are handed out at random inside a list (herd privacy: a licence's index says nothing
 * about when it was issued). The lists live in memory, rebuilt at start-up from the licence headers
 * (the store is the truth). Signing is off the request path: a thread of its own re-signs a list when a
 * status in it changed or when it is half a ttl old, and hands every list it signs to the verification
 * context, so authd's own verification always has fresh lists. Thread-safe. */
#ifndef AUTHD_STATUSLISTS_H
#define AUTHD_STATUSLISTS_H

#include <stddef.h>
#include <stdint.h>

#include "certlib/certlib.h"
#include "errors.h"

struct authd_statuslists;
struct authd_storage;
struct authd_record_keys;

/* `trust`, when not NULL, holds the trust bundle in force (a struct authd_trust, trust_bundle.h), whose
 * verification context receives every list signed. */
struct authd_held;
struct authd_statuslists *authd_statuslists_new(uint32_t list_size, uint32_t ttl, const char *public_url,
                                                struct authd_held *trust);
/* Gives `ctx` every list signed so far (a trust bundle about to be put in force). 0, or -1 when the
 * context refused one (out of memory). */
int authd_statuslists_feed(struct authd_statuslists *s, certlib_ctx *ctx);
/* Stops the signing thread (after a last pass that completes every waiter) and frees everything. */
void authd_statuslists_free(struct authd_statuslists *s);
int authd_statuslists_add_issuer(struct authd_statuslists *s, const char *issuer_code,
                                 const certlib_signer *signer);

/* Start-up: signs a probe list for every issuer and has a context over `bundle` (the trust bundle)
 * accept it, so a bundle that would refuse authd's own status lists (a status signer scoped to other
 * URIs or issuers, a revoked one) is a configuration error, not a stream of "unknown" statuses. */
int authd_statuslists_probe(struct authd_statuslists *s, const uint8_t *bundle, size_t len, char *err,
                            size_t err_cap);

/* Start-up: marks every licence in the store as allocated with its current status, signs every list
 * and starts the signing thread. */
authd_err authd_statuslists_rebuild(struct authd_statuslists *s, struct authd_storage *storage,
                                    const struct authd_record_keys *keys, char *err, size_t err_cap);

/* A store that several nodes share: indices are then drawn from its counters (list_permutation.h),
 * under `key` (authd_record_list_key), so no two nodes hand out one. Before the first reservation. */
void authd_statuslists_share(struct authd_statuslists *s, struct authd_storage *storage,
                             const uint8_t key[32]);

/* Reserves an index for the issuer, opening a new list when the current one is full: a random free one,
 * or in a shared store the next counter's. AUTHD_E_NOT_FOUND for an issuer this authd does not sign
 * for, AUTHD_E_FULL, or the store's error (AUTHD_E_UNAVAILABLE) when counters cannot be had. */
authd_err authd_statuslists_reserve(struct authd_statuslists *s, const char *issuer_code, uint32_t *list_no,
                                    uint32_t *idx);
/* Gives back a reservation whose licence was never stored. */
void authd_statuslists_release(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                               uint32_t idx);
/* Records a committed status. `signed_cb` (may be NULL) runs on the signing thread once the list holding
 * it has been re-signed and handed to the verification context: a status change is answered only
 * then, so a verification after the answer sees it. */
void authd_statuslists_set(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                           uint32_t idx, unsigned status, void (*signed_cb)(void *arg), void *arg);
/* Runs `signed_cb` once list `list_no` has a signed token (at once when it has one already): a licence
 * that opened a new list is answered only when the list its status points to can be fetched and is in
 * the verification context. */
void authd_statuslists_await(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                             void (*signed_cb)(void *arg), void *arg);
/* What another node did, as its signature-log entry says: the index is held, with this status. The
 * list is re-signed when the status changed. */
void authd_statuslists_note(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                            uint32_t idx, unsigned status);
/* Waits until every signed_cb registered so far has run (shutdown). */
void authd_statuslists_drain(struct authd_statuslists *s);

/* The list's URI as written into licences and into the list's own token: <public_url>/v1/status/<id>. */
void authd_statuslists_uri(const struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                           char *out, size_t cap);

/* The signed CWT of list `id` ("<issuer code>-<list number>"): a malloc'd copy of the token the signing
 * thread keeps fresh. -1 when no such list. */
int authd_statuslists_token(struct authd_statuslists *s, const char *id, size_t id_len, uint8_t **cwt,
                            size_t *len);

#endif
