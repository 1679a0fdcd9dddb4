/* Status lists (draft-ietf-oauth-status-list): one series per issuer, each list `list_size` entries of
 * 2 bits. Indices are handed out at random inside a list (herd privacy: a licence's index says nothing
 * about when it was issued). The lists live in memory, rebuilt at start-up from the licence headers in
 * the store, which are the truth; signed CWTs are cached and re-signed when a status changes or the
 * cached one nears its expiry. Thread-safe. */
#ifndef AUTHD_STATUSLISTS_H
#define AUTHD_STATUSLISTS_H

#include <stddef.h>
#include <stdint.h>

#include "certlib/certlib.h"

struct authd_statuslists;
struct authd_store;

/* One status-list signer per issuer; `ctx`, when not NULL, receives every list signed (so authd's own
 * verification always has fresh lists). */
struct authd_statuslists *authd_statuslists_new(uint32_t list_size, uint32_t ttl, const char *public_url,
                                                certlib_ctx *ctx);
void authd_statuslists_free(struct authd_statuslists *s);
int authd_statuslists_add_issuer(struct authd_statuslists *s, const char *issuer_code,
                                 const certlib_signer *signer);

/* Start-up: signs a probe list for every issuer and has a context over `bundle` (the trust bundle)
 * accept it, so a bundle that would refuse authd's own status lists (a status signer scoped to other
 * URIs or issuers, a revoked one) is a configuration error, not a stream of "unknown" statuses. */
int authd_statuslists_probe(struct authd_statuslists *s, const uint8_t *bundle, size_t len, char *err,
                            size_t err_cap);

/* Marks every licence in the store as allocated with its current status. */
int authd_statuslists_rebuild(struct authd_statuslists *s, struct authd_store *store, char *err,
                              size_t err_cap);

/* Reserves a random free index for the issuer (opening a new list when the current one is full). */
int authd_statuslists_reserve(struct authd_statuslists *s, const char *issuer_code, uint32_t *list_no,
                              uint32_t *idx);
/* Gives back a reservation whose licence was never stored. */
void authd_statuslists_release(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                               uint32_t idx);
/* Records a committed status. */
void authd_statuslists_set(struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                           uint32_t idx, unsigned status);

/* "valid", "revoked", "suspended": a status value's name in the API and the signature log. */
const char *authd_status_value_name(unsigned status);

/* The list id in URIs and routes: "<issuer code>-<list number>". */
void authd_statuslists_id(const char *issuer_code, uint32_t list_no, char out[32]);

/* The list's URI as written into licences and into the list's own token: <public_url>/v1/status/<id>. */
void authd_statuslists_uri(const struct authd_statuslists *s, const char *issuer_code, uint32_t list_no,
                           char *out, size_t cap);

/* Re-signs every list changed since it was last signed and hands it to the verification context, so a
 * verification right after a status change sees the change. */
void authd_statuslists_sync(struct authd_statuslists *s);

/* The signed CWT of list `id`, fresh (re-signed if stale): a malloc'd copy. -1 when no such list. */
int authd_statuslists_token(struct authd_statuslists *s, const char *id, size_t id_len, uint8_t **cwt,
                            size_t *len);

#endif
