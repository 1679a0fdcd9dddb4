/* The verification result's insides. Internal. */
#ifndef CERTLIB_RESULT_H
#define CERTLIB_RESULT_H

#include "certlib/verify.h"
#include "licence/licence_parse.h"

struct certlib_result {
    certlib_verdict verdict;
    certlib_err reason;
    certlib_check_result checks[CERTLIB_CHECK_COUNT];

    const uint8_t *input; /* the caller's bytes, copied after this struct */
    size_t input_len;
    char *arena; /* NUL-terminated copies of every string handed out */
    size_t arena_used, arena_cap;

    certlib_element *elements;
    size_t n_elements;
    certlib__item *items;          /* the parsed items (slices into input), for certlib_result_disclose */
    certlib_slice issuer_auth_raw; /* likewise; NULL ptr when the structure was never read */
    const char *licence_id, *licence_type, *issuer_code, *issuer_name, *holder_name, *holder_id;
    certlib_alg alg;
    bool have_validity;
    int64_t signed_at, valid_from, valid_until;
    bool has_status_ref;
    const char *status_uri;
    uint64_t status_idx;
    certlib_status status;
    bool holder_bound;
    bool logged;
    uint64_t log_index;
};

/* Copies what a parsed licence discloses into the result (elements and facts). */
certlib_err certlib__result_fill(certlib_result *r, const certlib__licence *lic);
/* A NUL-terminated copy in the result's arena; NULL when out of room (the arena is sized to fit). */
const char *certlib__result_str(certlib_result *r, const void *s, size_t len);
/* Sets the verdict and reason from the checks. */
void certlib__result_conclude(certlib_result *r);

#endif
