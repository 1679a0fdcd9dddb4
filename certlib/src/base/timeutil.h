/* Calendar arithmetic and the date forms licences use: RFC 3339 tdate (ISO 18013-5: UTC, "Z", no
 * fractional seconds) and full-date. Times are Unix seconds. Independent of the process's time zone.
 * Internal. */
#ifndef CERTLIB_TIMEUTIL_H
#define CERTLIB_TIMEUTIL_H

#include <openssl/asn1.h>

#include "certlib/error.h"

#define CERTLIB_CST_OFFSET (8 * 3600) /* China Standard Time, UTC+8: the calendar of licence dates */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
int64_t certlib__days_from_civil(int64_t y, unsigned m, unsigned d);

/* "YYYY-MM-DDTHH:MM:SSZ" → Unix seconds. CERTLIB_E_DATE for any other form or an impossible date. */
certlib_err certlib__tdate_parse(const uint8_t *s, size_t len, int64_t *t);
/* Unix seconds → "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL). */
void certlib__tdate_format(int64_t t, char out[21]);

/* "YYYY-MM-DD" → days since 1970-01-01. */
certlib_err certlib__full_date_parse(const uint8_t *s, size_t len, int64_t *days);
/* The calendar date in China Standard Time of a Unix time, as "YYYY-MM-DD" (11 bytes with NUL). */
void certlib__cst_date_format(int64_t t, char out[11]);

/* An X.509 time → Unix seconds. */
certlib_err certlib__asn1_time(const ASN1_TIME *at, int64_t *t);

int64_t certlib__now(void);

#endif
