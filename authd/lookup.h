/* The 一证通办 lookup's answer as it is built (lookup.c): by route_lookup.c from this authd's store, then, when peers
 * are asked, by federated_lookup.c from their answers, and finished (what is missing, the access-log
 * entry, the disclosure mark) by whichever comes last. */
#ifndef AUTHD_LOOKUP_H
#define AUTHD_LOOKUP_H

#include <stdbool.h>

#include "http.h"
#include "jsonw.h"
#include "licence_meta.h"
#include "policy.h"

#define AUTHD_LOOKUP_MAX_LICENCES 256 /* a lookup names at most this many (the access-log entry's room) */
#define AUTHD_ACCESS_CLIENT_MAX 160   /* "<peer id>/<its counter id>" */

struct authd_lookup {
    const struct authd_matter *matter;
    bool unmasked; /* the client may see identity numbers */
    bool peer;     /* asked by a peer authd for one of its counters */
    bool cbor;     /* a peer's, answered in CBOR (peer_answer.h): `w` holds its licences' entries, then
                    * its status lists' member, and no JSON */
    uint8_t holder_key[AUTHD_HOLDER_KEY_LEN];
    char client[AUTHD_ACCESS_CLIENT_MAX]; /* as the access log names who asked */
    const char *use_cause;                /* the request's memory */
    size_t use_cause_len;
    bool needed[AUTHD_MATTER_MAX_NEEDS]; /* a licence of that need's type was shown */
    struct authd_jsonw w;                /* the answer, up to the licences array's last element */
    char *returned;                      /* the ids returned, comma-separated, for the access-log entry */
    size_t n_returned, returned_len, returned_cap;
    uint8_t (*released)[32]; /* SHA-256 of each licence returned, for the disclosure mark */
};

/* Records a licence the answer shows: its id and the SHA-256 of the bytes released. false when out of
 * memory or AUTHD_LOOKUP_MAX_LICENCES are shown already. */
bool authd_lookup_returned(struct authd_lookup *l, const char *id, const uint8_t released[32]);

/* Closes the licences array, adds what is missing and `extra` (JSON members, "" for none), records the
 * access and answers (a CBOR answer: around its entries, and without what is missing or `extra`).
 * Frees `l` in any case. */
void authd_lookup_finish(struct authd_request *r, struct authd_lookup *l, const char *extra);
void authd_lookup_free(struct authd_lookup *l);

/* The federated part (federated_lookup.c): asks the peers holding types the matter needs, then finishes
 * the lookup with their verified licences. false when no peer is to be asked: the caller finishes. */
bool authd_federated_lookup(struct authd_request *r, struct authd_lookup *l, const char *holder_id,
                            size_t holder_len);

#endif
