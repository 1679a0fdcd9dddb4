/* The library-wide error model.
 *
 * Every fallible certlib function returns a certlib_err: CERTLIB_OK (0) on success, otherwise one of
 * the codes below. Codes are stable forever: a number is never reused, and a retired code stays
 * reserved. They are grouped in ranges by cause so callers can classify an error without knowing
 * every code (certlib_err_class), and each has a stable snake_case name (certlib_err_name) that the
 * daemon and the command-line tool use as the machine-readable `code`/`reason` in their output.
 *
 *   0          success
 *   1 - 99     misuse of the API or resource exhaustion           (CERTLIB_CLASS_MISUSE)
 *   100 - 199  an identifier (identity number, USCC, ...) is invalid (CERTLIB_CLASS_IDENT)
 *   200 - 299  malformed encoded input (CBOR, COSE, Base45, ...)   (CERTLIB_CLASS_MALFORMED)
 *   300 - 399  a cryptographic check failed                        (CERTLIB_CLASS_CRYPTO)
 *   400 - 499  a policy, trust, validity or status check failed    (CERTLIB_CLASS_POLICY)
 *   500 - 599  input/output                                        (CERTLIB_CLASS_IO)
 */
#ifndef CERTLIB_ERROR_H
#define CERTLIB_ERROR_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum certlib_err {
    CERTLIB_OK = 0,

    /* misuse and resources */
    CERTLIB_E_INVALID_ARGUMENT = 1, /* a NULL pointer or out-of-range argument */
    CERTLIB_E_NOMEM = 2,            /* memory allocation failed */
    CERTLIB_E_BUFFER_TOO_SMALL = 3, /* the caller's output buffer cannot hold the result */
    CERTLIB_E_INTERNAL = 4,         /* a dependency failed in a way that is not the input's fault */

    /* identifiers (GB 11643, GB 32100, GB 11714, GB/T 2260) */
    CERTLIB_E_IDENT_EMPTY = 100,      /* no characters at all */
    CERTLIB_E_IDENT_ENCODING = 101,   /* NUL, control characters or invalid UTF-8 */
    CERTLIB_E_IDENT_LENGTH = 102,     /* not a length any supported identifier has */
    CERTLIB_E_IDENT_CHARSET = 103,    /* a character the identifier's alphabet does not allow */
    CERTLIB_E_IDENT_CHECKSUM = 104,   /* the check character does not match */
    CERTLIB_E_IDENT_REGION = 105,     /* the address/region code never appeared in GB/T 2260 */
    CERTLIB_E_IDENT_DATE = 106,       /* the birth date is not a calendar date */
    CERTLIB_E_IDENT_DATE_RANGE = 107, /* the birth date is before 1870 or in the future */
    CERTLIB_E_IDENT_CATEGORY = 108,   /* USCC authority/category pair not assigned by GB 32100 */
    CERTLIB_E_IDENT_ORG_CODE = 109,   /* the embedded GB 11714 organisation code fails its check */
    CERTLIB_E_IDENT_KIND = 110,       /* valid, but not of a kind the caller accepts */
    CERTLIB_E_IDENT_NOT_LEGACY = 111, /* upgrade asked for a number that is not a 15-digit one */
    CERTLIB_E_REGION_CODE = 112,      /* a region code given to the region table is malformed */

    /* input/output */
    CERTLIB_E_IO_OPEN = 500,   /* a file could not be opened */
    CERTLIB_E_IO_READ = 501,   /* reading a file failed */
    CERTLIB_E_IO_FORMAT = 502, /* a data file is not in the documented format */
} certlib_err;

typedef enum certlib_err_class {
    CERTLIB_CLASS_OK = 0,
    CERTLIB_CLASS_MISUSE = 1,
    CERTLIB_CLASS_IDENT = 2,
    CERTLIB_CLASS_MALFORMED = 3,
    CERTLIB_CLASS_CRYPTO = 4,
    CERTLIB_CLASS_POLICY = 5,
    CERTLIB_CLASS_IO = 6,
    CERTLIB_CLASS_UNKNOWN = 7,
} certlib_err_class;

/** The range an error belongs to; CERTLIB_CLASS_UNKNOWN for numbers this build does not know. */
CERTLIB_API certlib_err_class certlib_err_class_of(certlib_err err);

/** A stable machine-readable name such as "ident_checksum"; "unknown_error" for unknown numbers.
 *  The returned string is static. */
CERTLIB_API const char *certlib_err_name(certlib_err err);

/** A one-sentence English description. The returned string is static. Never contains input data. */
CERTLIB_API const char *certlib_strerror(certlib_err err);

#ifdef __cplusplus
}
#endif
#endif
