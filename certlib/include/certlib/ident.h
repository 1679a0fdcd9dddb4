/* Identity numbers of people and organisations, checked to the national standards.
 *
 * People:
 *   - resident identity number (居民身份证号码), GB 11643-1999: 6-digit GB/T 2260 address code,
 *     8-digit birth date, 3-digit sequence (odd = male), ISO 7064 MOD 11-2 check character;
 *   - legacy 15-digit numbers, GB 11643-1989 (YYMMDD, no check character), reported as legacy and
 *     upgradable to 18 digits;
 *   - 港澳台居民居住证 numbers: the same layout with address code 810000, 820000 or 830000;
 *   - 外国人永久居留身份证 (2023): first digit 9, digits 2-3 the accepting province, 4-6 the
 *     nationality code, then birth date, sequence and the MOD 11-2 check.
 * Organisations:
 *   - unified social credit code (统一社会信用代码), GB 32100-2015;
 *   - organisation code (组织机构代码), GB 11714-1997, 8 characters plus a check character.
 *
 * Every rejection names its reason as a certlib_err in the CERTLIB_CLASS_IDENT range.
 */
#ifndef CERTLIB_IDENT_H
#define CERTLIB_IDENT_H

#include <stdbool.h>

#include "error.h"
#include "region.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum certlib_ident_kind {
    CERTLIB_IDENT_UNKNOWN = 0,
    CERTLIB_IDENT_RIC = 1,        /* "ric": 18-digit resident identity number */
    CERTLIB_IDENT_RIC15 = 2,      /* "ric15": legacy 15-digit resident identity number */
    CERTLIB_IDENT_HMT = 3,        /* "hmt": Hong Kong, Macao and Taiwan residence permit */
    CERTLIB_IDENT_FOREIGN_PR = 4, /* "foreign_pr": 2023 foreign permanent resident ID card */
    CERTLIB_IDENT_USCC = 5,       /* "uscc": unified social credit code */
    CERTLIB_IDENT_ORG_CODE = 6,   /* "org_code": GB 11714 organisation code */
} certlib_ident_kind;

/* Masks for certlib_ident_opts.accept. */
#define CERTLIB_IDENT_ACCEPT(kind) (1u << (kind))
#define CERTLIB_IDENT_ACCEPT_PERSON                                                                          \
    (CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_RIC) | CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_RIC15) |                   \
     CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_HMT) | CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_FOREIGN_PR))
#define CERTLIB_IDENT_ACCEPT_ORG                                                                             \
    (CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_USCC) | CERTLIB_IDENT_ACCEPT(CERTLIB_IDENT_ORG_CODE))
#define CERTLIB_IDENT_ACCEPT_ANY (CERTLIB_IDENT_ACCEPT_PERSON | CERTLIB_IDENT_ACCEPT_ORG)

typedef enum certlib_sex {
    CERTLIB_SEX_NONE = 0, /* not a person's number */
    CERTLIB_SEX_MALE = 1,
    CERTLIB_SEX_FEMALE = 2,
} certlib_sex;

/** How to check. A zeroed struct (or a NULL pointer) means: built-in region table, today's date in
 *  China Standard Time, every kind accepted. */
typedef struct certlib_ident_opts {
    const certlib_regions *regions; /* NULL: the built-in GB/T 2260 table */
    uint32_t today;                 /* YYYYMMDD birth dates may not exceed; 0: today in UTC+8 */
    uint32_t accept;                /* CERTLIB_IDENT_ACCEPT_* mask; 0: any kind */
} certlib_ident_opts;

/** The outcome of one check. Fields other than `reason` and `kind` are set only when the number
 *  parsed far enough to have them; they are zero (or empty) otherwise. */
typedef struct certlib_ident {
    certlib_err reason;     /* CERTLIB_OK when valid */
    uint8_t kind;           /* certlib_ident_kind; for an invalid input, the kind it was checked as */
    uint8_t sex;            /* certlib_sex */
    uint8_t normalized_len; /* length of `normalized` */
    char normalized[19];    /* canonical form, NUL-terminated: upper-case X, "XXXXXXXX-X" org codes */
    uint32_t region_code;   /* GB/T 2260 code (USCC: 100000 for central bodies); 0 when none */
    uint32_t birth_date;    /* YYYYMMDD for people; 0 otherwise */
} certlib_ident;

/**
 * Checks one identifier of any accepted kind. `s` need not be NUL-terminated and may hold any bytes.
 * Returns `out->reason`: CERTLIB_OK or the CERTLIB_E_IDENT_* reason.
 *
 * An 18-character input is tried as a person's number first and then as a USCC; when both fail, the
 * reason reported is the person check's if the input has the shape of one (17 digits then a digit or
 * X) and the USCC check's otherwise. A valid number of a kind outside `opts->accept` gives
 * CERTLIB_E_IDENT_KIND with the rest of `out` filled in.
 */
CERTLIB_API certlib_err certlib_ident_check(const char *s, size_t len, const certlib_ident_opts *opts,
                                            certlib_ident *out);

/**
 * Checks `n` identifiers; result i describes input i. The date for "not in the future" is taken once
 * for the whole batch. Returns how many are valid. Safe to call from many threads at once.
 */
CERTLIB_API size_t certlib_ident_check_batch(const certlib_slice *inputs, size_t n,
                                             const certlib_ident_opts *opts, certlib_ident *results);

/**
 * Upgrades a legacy 15-digit number to 18 digits (GB 11643-1999 §6: insert the century "19" before the
 * year and append the MOD 11-2 check character). The 15-digit number is checked first. `out` receives
 * 18 characters and a NUL. CERTLIB_E_IDENT_NOT_LEGACY when the input is a valid number of another
 * kind.
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ident_upgrade15(const char *s, size_t len,
                                                                  const certlib_ident_opts *opts,
                                                                  char out[19]);

/**
 * Masks an identifier for display: keeps `keep_head` leading and `keep_tail` trailing characters and
 * replaces each one between with '*', e.g. (6, 4) turns 33010219200403064X into 330102********064X.
 * When head and tail would cover the whole input, everything is masked (a short input is not shown in
 * clear by accident). `out` must hold len + 1 bytes (CERTLIB_E_BUFFER_TOO_SMALL otherwise). The input
 * must be ASCII (CERTLIB_E_IDENT_CHARSET otherwise).
 */
CERTLIB_API CERTLIB_NODISCARD certlib_err certlib_ident_mask(const char *s, size_t len, size_t keep_head,
                                                             size_t keep_tail, char *out, size_t cap);

/**
 * Writes the place a valid result's region code names, as certlib_region_describe does, also naming
 * the codes that are not GB/T 2260 places: 100000 in a USCC (中央, central bodies) and 830000 in a
 * residence permit (台湾地区). Returns the length needed, like snprintf; 0 when there is no region.
 */
CERTLIB_API size_t certlib_ident_region_name(const certlib_ident *result, const certlib_regions *regions,
                                             char *buf, size_t cap);

/**
 * Looks for a valid identifier of an accepted kind (`opts->accept`; 0: any) inside free text (a reason, a
 * use cause) so it can be refused before it reaches a log. `text` is UTF-8 (invalid bytes are treated as
 * separators). The candidates are its tokens: maximal runs of ASCII or full-width (U+FF10-U+FF5A) letters
 * and digits, and runs of tokens joined by one space, hyphen or full-width space when together they have
 * 15 or 18 characters ("330106 19851111 7777"). Returns true and fills `*found` (when not NULL) for the
 * first valid one; the byte offset and length of its text in `*at`, `*at_len` (when not NULL).
 */
CERTLIB_API bool certlib_ident_find(const char *text, size_t len, const certlib_ident_opts *opts,
                                    certlib_ident *found, size_t *at, size_t *at_len);

/** "ric", "ric15", "hmt", "foreign_pr", "uscc", "org_code" or "unknown". Static. */
CERTLIB_API const char *certlib_ident_kind_name(certlib_ident_kind kind);

/** A Chinese label for the kind, e.g. "居民身份证号码". Static. */
CERTLIB_API const char *certlib_ident_kind_label(certlib_ident_kind kind);

/**
 * Renders one result as a single-line JSON object, the one format for every tool and service that
 * reports identifier checks (certctl check --json among them): input, valid, kind, reason, normalized, and,
 * as they apply, legacy, region_code, region_name, birth_date (YYYY-MM-DD), sex, org_code. `input` is echoed
 * with invalid UTF-8 replaced by U+FFFD and cut at 256 bytes (then "input_truncated": true). Writes at most
 * `cap` bytes, always NUL-terminated when cap > 0, and returns the length the whole text needs, like
 * snprintf.
 */
CERTLIB_API size_t certlib_ident_to_json(const certlib_ident *result, const certlib_regions *regions,
                                         const char *input, size_t input_len, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
