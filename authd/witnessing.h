/* authd as a witnessed log: a thread offers each log's newest checkpoint to the C2SP tlog-witness
 * servers configured for it (logs.*.witnesses), with a consistency proof from the size each cosigned
 * last (learnt from a 409 when unknown), checks every cosignature line it gets under that witness's
 * key, and once witness_quorum of them cosigned one checkpoint, hands it with the cosignatures to the
 * log (tlog.h: authd_log_set_witnessed), which serves it and puts it in receipts. A witness that is
 * down or refuses only counts in authd_witness_failures_total: issuance never waits for witnesses. */
#ifndef AUTHD_WITNESSING_H
#define AUTHD_WITNESSING_H

#include "config.h"
#include "errors.h"
#include "tlog.h"

struct authd_metrics;
struct authd_witnessing;

/* Starts the thread when any log has witnesses (*out NULL otherwise). AUTHD_E_CONFIG with a message for
 * a witness key that does not parse. */
authd_err authd_witnessing_start(const struct authd_config *config,
                                 struct authd_log *const logs[AUTHD_LOG_COUNT], struct authd_metrics *metrics,
                                 struct authd_witnessing **out, char *err, size_t err_cap);
void authd_witnessing_stop(struct authd_witnessing *w);

#endif
