/* Admission control: how many requests are in flight (admitted, and not yet answered in full) and how
 * much memory they hold, in all and per client, so that no client, however many streams it opens,
 * can make authd hold more than the configured limits (limits.max_in_flight*, client_max_in_flight*).
 * A request's share is released when h2o frees its memory pool, after its last byte was sent. */
#ifndef AUTHD_ADMISSION_H
#define AUTHD_ADMISSION_H

#include <h2o.h>
#include <stdbool.h>
#include <stddef.h>

struct authd_admission;
struct authd_config;
struct authd_metrics;

struct authd_admission *authd_admission_new(const struct authd_config *config, struct authd_metrics *metrics);
void authd_admission_free(struct authd_admission *a);

/* The memory a request with a body of `body_len` bytes is taken to hold while in flight: its body as h2o
 * buffered it, what the route parses out of it, and a response chunk. */
size_t authd_admission_cost(size_t body_len);

/* Admits the request for `client` (NULL: counted in the totals only) or answers it: 503 overloaded, 429
 * too_many_requests, each with Retry-After. 0 when admitted, -1 when the problem was sent. Any thread;
 * lock-free. */
int authd_admit(struct authd_admission *a, h2o_req_t *req, const char *client);

/* True once when a burst that held more than 32 MB in flight is over (nothing in flight): the moment to
 * hand freed memory back to the kernel (malloc_trim). Any thread. */
bool authd_admission_burst_over(struct authd_admission *a);

/* Requests in flight in all, now (a hint: it may change at once). `a`: a struct authd_admission *, as
 * the writer's authd_writer_company_fn. Any thread. */
size_t authd_admission_in_flight(void *a);

#endif
