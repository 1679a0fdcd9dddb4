/* Offline verification of e-licences.
 *
 *   certlib_result *r = NULL;
 *   certlib_err err = certlib_licence_verify(ctx, bytes, len, NULL, &r);
 *   if (err == CERTLIB_OK && certlib_result_verdict(r) == CERTLIB_VERDICT_VALID) ...
 *   certlib_result_free(r);
 *
 * certlib_licence_verify returns an error only when it could not produce a result at all (bad
 * arguments, out of memory). A licence that fails any check still yields a result whose verdict is
 * INVALID and whose checks say which failed and why. Licence data in the result (identifiers,
 * elements) comes from the licence as presented: rely on it only when the verdict is VALID.
 */
#ifndef CERTLIB_VERIFY_H
#define CERTLIB_VERIFY_H

#include <stdbool.h>

#include "licence.h"
#include "status.h"
#include "tlog.h"
#include "trust.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum certlib_verdict {
    CERTLIB_VERDICT_VALID = 0,         /* every check passed */
    CERTLIB_VERDICT_INVALID = 1,       /* some check failed */
    CERTLIB_VERDICT_INDETERMINATE = 2, /* nothing failed, but the status could not be checked */
} certlib_verdict;

/** The checks, in the order they run. */
typedef enum certlib_check {
    CERTLIB_CHECK_STRUCTURE = 0,        /* well-formed IssuerSigned, MSO, licence identifier, doc type */
    CERTLIB_CHECK_SIGNER = 1,           /* a trusted document signer: its kid is in the bundle, or its x5chain
                                           leads to a trusted root; it carries the document-signer role and is
                                           not revoked (a root's CRL, the bundle's revoked_signers) */
    CERTLIB_CHECK_SIGNATURE = 2,        /* issuerAuth verifies under the signer's key and algorithm */
    CERTLIB_CHECK_CERTIFICATES = 3,     /* every certificate from signer to root is in date */
    CERTLIB_CHECK_SCOPE = 4,            /* licence type and issuer region within the root's scope and the
                                           signer's own; the licence's issuer is the certificate's subject */
    CERTLIB_CHECK_VALIDITY = 5,         /* validFrom <= now < validUntil, signed within the certificate */
    CERTLIB_CHECK_DIGESTS = 6,          /* every disclosed element matches its signed digest */
    CERTLIB_CHECK_STATUS = 7,           /* the status list says valid */
    CERTLIB_CHECK_LOGGED = 8,           /* a receipt proves the signature is in the signature log */
    CERTLIB_CHECK_HOLDER = 9,           /* holder binding: the device key the licence names answered this
                                           counter's challenge (certlib_holder_rule says when it must) */
    CERTLIB_CHECK_EXPECTED_HOLDER = 10, /* the disclosed holder_id is the one the caller expected */
    CERTLIB_CHECK_COUNT = 11,
} certlib_check;

typedef enum certlib_check_state {
    CERTLIB_CHECK_NOT_RUN = 0, /* an earlier check failed, so this one means nothing */
    CERTLIB_CHECK_PASSED = 1,
    CERTLIB_CHECK_FAILED = 2,
    CERTLIB_CHECK_UNKNOWN = 3,        /* could not be decided (status: no fresh list) */
    CERTLIB_CHECK_NOT_APPLICABLE = 4, /* status: no status reference; logged: no receipt given;
                                         holder: a licence without a device key (or the caller's rule
                                         is CERTLIB_HOLDER_NOT_CHECKED); expected_holder: none given */
} certlib_check_state;

/**
 * When the holder check demands a device signature. A licence bound to a device key (its MSO names the
 * holder's key) proves who shows it only through a presentation answering the verifier's challenge;
 * verified on its own it is a copy that anyone could show: an issuance QR, a screenshot, a forwarded
 * file. Presentations always have their device signature checked, whatever the rule.
 */
typedef enum certlib_holder_rule {
    /* The default. A bound licence verified on its own fails the holder check with
     * CERTLIB_E_DEVICE_SIGNATURE_MISSING; a licence that binds no one leaves it not applicable (and
     * certlib_result_holder_bound false: the counter must identify the holder otherwise). */
    CERTLIB_HOLDER_IF_BOUND = 0,
    /* As CERTLIB_HOLDER_IF_BOUND, and a licence that binds no one fails with CERTLIB_E_NOT_HOLDER_BOUND:
     * for matters that accept only holder-bound licences. */
    CERTLIB_HOLDER_REQUIRED = 1,
    /* The licence itself, not who shows it: the holder check is not applicable to a licence verified
     * on its own. For issuers checking what they signed and holders' apps checking what they hold;
     * never for a counter deciding whether to accept what it is shown. */
    CERTLIB_HOLDER_NOT_CHECKED = 2,
} certlib_holder_rule;

typedef struct certlib_check_result {
    certlib_check_state state;
    certlib_err reason; /* CERTLIB_OK when passed; why it failed or is unknown otherwise */
} certlib_check_result;

/** Options; a zeroed struct or NULL means the defaults. */
typedef struct certlib_verify_opts {
    int64_t now;        /* the check time, Unix seconds; 0: the system clock */
    int64_t clock_skew; /* seconds of tolerance on every time comparison; 0: none */
    int64_t
        status_max_age;  /* treat lists older than this (by iat) as stale; 0: CERTLIB_STATUS_DEFAULT_MAX_AGE
                            for lists without exp, none otherwise (exp and ttl still apply) */
    bool require_status; /* a licence without a status reference fails the status check */
    /* The logged check: a C2SP tlog-proof receipt from the issuer's signature log (logentry.h; the
     * service that issued the licence hands it out with the licence) and the log's verifier key. The
     * receipt's entry must be this licence's issuance, with the SHA-256 of its issuerAuth, and be in a
     * checkpoint the key signed. */
    const char *receipt;
    size_t receipt_len;
    const certlib_note_verifier *log_key;
    bool require_logged;        /* without a receipt the logged check fails */
    /* A witness policy for the receipt's checkpoint: at least witness_quorum of `witnesses` (cosigner
     * keys, certlib_cosigner_parse) must have cosigned it (C2SP tlog-cosignature/v1), else the logged
     * check fails with CERTLIB_E_NOT_WITNESSED; a forged cosignature fails it with
     * CERTLIB_E_NOTE_SIGNATURE. witness_quorum 0: no policy. */
    const certlib_note_verifier *witnesses;
    size_t n_witnesses;
    size_t witness_quorum;
    certlib_holder_rule holder; /* when holder binding is demanded (above); 0: CERTLIB_HOLDER_IF_BOUND */
    /* The holder the caller expects (an identity number or USCC, normalised as certlib_ident_check
     * does): the licence must disclose holder_id and it must be this one, else the expected_holder
     * check fails with CERTLIB_E_HOLDER_NOT_DISCLOSED or CERTLIB_E_HOLDER_MISMATCH. NULL: no such check. */
    const char *expected_holder_id;
    /* For presentations, what the caller's own challenge bookkeeping says of the challenge answered:
     * CERTLIB_E_CHALLENGE_EXPIRED or CERTLIB_E_CHALLENGE_REPLAYED fail the holder check with that
     * reason (everything else is still verified and reported); CERTLIB_OK when it was live. */
    certlib_err challenge_state;
} certlib_verify_opts;

typedef struct certlib_result certlib_result;

/**
 * Verifies one licence (IssuerSigned CBOR) against the context's trust bundle and status lists.
 * `*out` is always set on CERTLIB_OK and must be freed with certlib_result_free. The input is copied;
 * the caller may reuse its buffer at once.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_licence_verify(const certlib_ctx *ctx,
                                                                 const uint8_t *licence, size_t len,
                                                                 const certlib_verify_opts *opts,
                                                                 certlib_result **out);

/**
 * Reads a licence without verifying anything: its structure is checked and its elements, facts and
 * disclosure (certlib_result_disclose) are available, for a store that shows what it holds or a tool
 * that inspects a file. No trust is involved: the verdict is always CERTLIB_VERDICT_INVALID, with the
 * structure's error when it is malformed and CERTLIB_E_NOT_VERIFIED otherwise, so a read can never pass
 * for a verification. Returns an error only for bad arguments or lack of memory.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_licence_read(const uint8_t *licence, size_t len,
                                                               certlib_result **out);

CERTLIB_API void certlib_result_free(certlib_result *result);

CERTLIB_API certlib_verdict certlib_result_verdict(const certlib_result *result);
/** The first failing (or, failing none, unknown) check's reason; CERTLIB_OK when valid. */
CERTLIB_API certlib_err certlib_result_reason(const certlib_result *result);
CERTLIB_API certlib_check_result certlib_result_check(const certlib_result *result, certlib_check check);
/** "structure", "signer", ... "status". Static string. */
CERTLIB_API const char *certlib_check_name(certlib_check check);
CERTLIB_API const char *certlib_check_state_name(certlib_check_state state);
CERTLIB_API const char *certlib_verdict_name(certlib_verdict verdict);

/* Licence facts. Strings are NUL-terminated, owned by the result, NULL when unknown (not parsed, or
 * the element was not disclosed). */
CERTLIB_API const char *certlib_result_licence_id(const certlib_result *result);
CERTLIB_API const char *certlib_result_licence_type(const certlib_result *result);
CERTLIB_API const char *certlib_result_issuer_code(const certlib_result *result);
CERTLIB_API const char *certlib_result_issuer_name(const certlib_result *result); /* signer certificate O */
CERTLIB_API const char *certlib_result_holder_name(const certlib_result *result);
CERTLIB_API const char *certlib_result_holder_id(const certlib_result *result);
CERTLIB_API certlib_alg certlib_result_alg(const certlib_result *result);

/** validityInfo (Unix seconds); false when the MSO was not parsed. */
CERTLIB_API bool certlib_result_validity(const certlib_result *result, int64_t *signed_at,
                                         int64_t *valid_from, int64_t *valid_until);

CERTLIB_API certlib_status certlib_result_status(const certlib_result *result);
/** The status reference; false when the licence has none. `uri` lives as long as the result. */
CERTLIB_API bool certlib_result_status_ref(const certlib_result *result, const char **uri, uint64_t *idx);

/** True when the licence carries a holder device key (an unbound licence carries the profile's
 *  "no one's key" instead; see docs/formats.md). */
CERTLIB_API bool certlib_result_holder_bound(const certlib_result *result);

/** The receipt's log index when the logged check passed; false otherwise. */
CERTLIB_API bool certlib_result_log_index(const certlib_result *result, uint64_t *index);

/** Disclosed elements, in the order they appear. */
CERTLIB_API size_t certlib_result_element_count(const certlib_result *result);
CERTLIB_API const certlib_element *certlib_result_element(const certlib_result *result, size_t i);
/** The element `identifier` in namespace `ns` (NULL: any namespace); NULL when not disclosed. */
CERTLIB_API const certlib_element *certlib_result_find(const certlib_result *result, const char *ns,
                                                       const char *identifier);

/**
 * The licence just read, reduced to the elements named in `keep` exactly as certlib_licence_disclose
 * reduces it (same bytes), from what verification already parsed: a counter that verified a licence
 * can pass on less of it without parsing it again. Whatever the verdict, as long as the licence's
 * structure could be read; CERTLIB_E_INVALID_ARGUMENT otherwise. `*out` is freed with certlib_free.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_result_disclose(const certlib_result *result,
                                                                  const char *const *keep, size_t n_keep,
                                                                  uint8_t **out, size_t *out_len);

/**
 * The result as one JSON object (certctl verify --json prints it): verdict, reason, every check with
 * its state and reason, the licence facts, validity, status and the disclosed elements with their
 * Chinese labels. A NUL-terminated malloc'd string freed with certlib_free; NULL when out of memory.
 */
CERTLIB_API char *certlib_result_to_json(const certlib_result *result, size_t *len);

/** The verdict, reason and checks of the result alone, as certlib_result_to_json renders them:
 *  {"verdict", "reason", "checks"}. For a service that shows a licence its own way and its
 *  verification as certlib reports it. Freed with certlib_free; NULL when out of memory. */
CERTLIB_API char *certlib_result_checks_to_json(const certlib_result *result, size_t *len);

/** The label of a type-specific element, which only the caller's policies know (a licence type's
 *  element schema): NULL when it has none. `type_code` is the type its namespace names (a presentation
 *  may withhold the licence's own type code element). */
typedef const char *(*certlib_label_fn)(void *arg, const char *type_code, const char *identifier);

/** certlib_result_to_json with the labels of type-specific elements from `labels` (NULL: null labels, as
 *  certlib_result_to_json gives them). */
CERTLIB_API char *certlib_result_to_json_labelled(const certlib_result *result, certlib_label_fn labels,
                                                  void *arg, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
