/* authd as a C2SP tlog-witness: for each log it is configured with (its verifier key), it cosigns a
 * checkpoint only when the checkpoint verifies under that key and a consistency proof shows it extends
 * the checkpoint it cosigned last, so it never cosigns two views of one log that disagree. What it
 * cosigned last is persisted (state_dir/witness.state, replaced atomically) before it answers, and the
 * check and the update are one step under a lock: two requests racing cannot roll the state back.
 * Cosignatures are C2SP tlog-cosignature/v1 (Ed25519, timestamped). */
#ifndef AUTHD_WITNESS_H
#define AUTHD_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "errors.h"

struct authd_witness;

/* Opens the witness of `config->witness` (NULL *out when the configuration has none): its key, the
 * logs it knows, and its state file, read back. AUTHD_E_CONFIG with a message for a bad key, a bad
 * verifier key or a damaged state file; AUTHD_E_NOMEM. */
authd_err authd_witness_open(const struct authd_config *config, struct authd_witness **out, char *err,
                             size_t err_cap);
void authd_witness_close(struct authd_witness *w);

/* The answer to one add-checkpoint request. */
struct authd_witness_answer {
    int status;         /* 200, 400, 403, 404, 409, 422, or 500/503 when the state cannot be saved */
    const char *code;   /* the problem code when status is not 200 or 409 */
    const char *detail; /* its detail */
    char body[512];     /* 200: the cosignature line; 409: the size cosigned last, "<size>\n" */
    size_t body_len;
};

/* Handles one request body (C2SP tlog-witness add-checkpoint) at POSIX time `now`. Any thread. */
void authd_witness_add_checkpoint(struct authd_witness *w, const char *body, size_t len, uint64_t now,
                                  struct authd_witness_answer *out);

/* This witness's verifier key, "<name>+<key id>+<base64(0x04 || key)>", for the logs that ask it. */
const char *authd_witness_vkey(const struct authd_witness *w);

#endif
