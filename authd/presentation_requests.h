/* Outstanding OpenID4VP presentation requests (route_presentation.c): made by one counter, fetched and
 * answered by a citizen's wallet once, read by that counter. In memory when one process owns the store
 * (a restart forgets them: the counter simply makes another); in the store when several nodes share it
 * (its request operations), so the wallet's fetch and answer and the counter's reads may each reach any
 * node. What a request says is sealed (record.h) before it is kept: its use cause and, once answered, the
 * licences the wallet disclosed. Thread-safe. */
#ifndef AUTHD_PRESENTATION_REQUESTS_H
#define AUTHD_PRESENTATION_REQUESTS_H

#include "storage/storage.h"

struct authd_requests;

/* At most `capacity` requests kept in memory, expired ones included until AUTHD_REQUEST_KEPT seconds past
 * their expiry (a shared store bounds its table by that age alone). */
struct authd_requests *authd_requests_new(size_t capacity, struct authd_storage *storage);
void authd_requests_free(struct authd_requests *rq);

/* Keeps a new request. AUTHD_E_FULL when the memory table holds `capacity` requests; AUTHD_E_UNAVAILABLE
 * when the shared store cannot be reached. */
authd_err authd_requests_put(struct authd_requests *rq, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                             const char *counter_id, int64_t expires, const uint8_t *blob, size_t len,
                             int64_t now);
/* The request (its blob malloc'd, freed by the caller). AUTHD_E_NOT_FOUND when unknown or long gone. */
authd_err authd_requests_get(struct authd_requests *rq, const uint8_t id[AUTHD_REQUEST_ID_LEN], int64_t now,
                             struct authd_stored_request *out);
/* Marks the request answered with a new blob, once: AUTHD_E_CONFLICT when it already was. */
authd_err authd_requests_answer(struct authd_requests *rq, const uint8_t id[AUTHD_REQUEST_ID_LEN],
                                const uint8_t *blob, size_t len);

#endif
