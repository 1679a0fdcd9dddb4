/* Record first, then release: a counter's lookup or verification is answered only once its entry in
 * the access log is durable, so no data leaves authd without a record of who asked, for what matter
 * and why. The entry goes to the writer thread with the response held back; the writer's group commit
 * makes this cheap under load.
 *
 * Every answer released this way carries a disclosure mark (数据水印溯源, certlib/mark.h), signed with
 * the access log's key once the entry's index is known, together with the other marks of its commit
 * (mark_batch.h): it names the entry and the SHA-256 of each licence the answer releases, so a copy
 * found elsewhere traces back to this access. */
#ifndef AUTHD_ACCESS_RECORD_H
#define AUTHD_ACCESS_RECORD_H

#include <stdbool.h>

#include "http.h"

#define AUTHD_USE_CAUSE_MAX 200 /* bytes of a use cause (用途/事由), which the access log records */

struct authd_access {
    bool lookup;               /* a lookup, or a verification */
    const char *client;        /* the client id */
    const char *matter;        /* NULL or "" when none */
    const uint8_t *holder_key; /* the holder's keyed hash, or NULL */
    const char *outcome;       /* "ok", "valid", "invalid", "indeterminate" */
    const char *licences;      /* comma-separated licence ids; NULL or "" when none */
    const char *use_cause;     /* NULL when none */
    size_t use_cause_len;
    const uint8_t (*released)[32]; /* SHA-256 of each licence's bytes as the answer releases them */
    size_t n_released;             /* at most CERTLIB_MARK_MAX_LICENCES */
    bool cbor; /* the body is a peer's CBOR answer (peer_answer.h), its last member the mark */
};

/* Why a counter asks, as every access records it: the use cause (用途/事由: provincial data-sharing rules
 * ask every lookup to say why), 1 to AUTHD_USE_CAUSE_MAX bytes of UTF-8 holding no identity number, and
 * the matter `code` names, which must exist and be one the counter serves. The matter, or NULL after a
 * problem: `status` missing_use_cause (the detail says the cause is given as `where`), free_text.h's
 * refusal, 404 unknown_matter, 403 forbidden_matter. */
struct authd_matter;
const struct authd_matter *authd_access_purpose(struct authd_request *r, const char *code, size_t code_len,
                                                const char *use_cause, size_t use_len, int status,
                                                const char *where);

/* Logs the access, then sends `body` (malloc'd JSON object, taken over) with `status`, a "disclosure"
 * member added: {log_index, time, client, matter, use_cause, licences, reference, mark}; a CBOR body
 * (access->cbor) gets its "mark" member, the signed mark, and goes as application/cbor. On failure
 * sends a problem and the body is never released. */
void authd_access_respond(struct authd_request *r, const struct authd_access *access, int status, char *body,
                          size_t body_len);

#endif
