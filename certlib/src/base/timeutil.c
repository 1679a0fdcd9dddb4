/* Dates without the C library's time-zone state: licences, certificates and status lists all speak
 * UTC or China Standard Time, whatever TZ the process runs under. */
#include <time.h>

#include "base/timeutil.h"
#include "certlib/encoding.h"

int64_t certlib__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : days[m - 1];
}

/* Reads `n` digits at s; -1 when any is not a digit. */
static int digits(const uint8_t *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static certlib_err parse_date(const uint8_t *s, int64_t *days)
{
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1 || s[4] != '-' || s[7] != '-') return CERTLIB_E_DATE;
    if (d > days_in_month(y, (unsigned)m)) return CERTLIB_E_DATE;
    *days = certlib__days_from_civil(y, (unsigned)m, (unsigned)d);
    return CERTLIB_OK;
}

certlib_err certlib__full_date_parse(const uint8_t *s, size_t len, int64_t *days)
{
    if (len != 10) return CERTLIB_E_DATE;
    return parse_date(s, days);
}

certlib_err certlib__tdate_parse(const uint8_t *s, size_t len, int64_t *t)
{
    int64_t days;
    if (len != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') return CERTLIB_E_DATE;
    if (parse_date(s, &days)) return CERTLIB_E_DATE;
    int hh = digits(s + 11, 2), mm = digits(s + 14, 2), ss = digits(s + 17, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59) return CERTLIB_E_DATE;
    *t = days * 86400 + hh * 3600 + mm * 60 + ss;
    return CERTLIB_OK;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Writes v as `n` decimal digits. */
static void put_digits(char *out, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

static void put_date(char *out, int64_t days)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    put_digits(out, (unsigned)(y % 10000), 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
}

/* The times RFC 3339 can write, 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z: a time outside (a hostile
 * licence's validity, say) is written as the nearer end, and no arithmetic below can overflow. */
#define FIRST_TIME (-62167219200LL)
#define LAST_TIME 253402300799LL

static int64_t writable(int64_t t)
{
    return t < FIRST_TIME ? FIRST_TIME : t > LAST_TIME ? LAST_TIME : t;
}

void certlib__tdate_format(int64_t t, char out[21])
{
    t = writable(t);
    int64_t days = floor_div(t, 86400), secs = t - days * 86400;
    put_date(out, days);
    out[10] = 'T';
    put_digits(out + 11, (unsigned)(secs / 3600), 2);
    out[13] = ':';
    put_digits(out + 14, (unsigned)(secs / 60 % 60), 2);
    out[16] = ':';
    put_digits(out + 17, (unsigned)(secs % 60), 2);
    out[19] = 'Z';
    out[20] = '\0';
}

void certlib__cst_date_format(int64_t t, char out[11])
{
    int64_t local = writable(t) + CERTLIB_CST_OFFSET; /* within range, the sum cannot overflow */
    put_date(out, floor_div(writable(local), 86400));
    out[10] = '\0';
}

certlib_err certlib__asn1_time(const ASN1_TIME *at, int64_t *t)
{
    struct tm tm;
    if (!at || ASN1_TIME_to_tm(at, &tm) != 1) return CERTLIB_E_CERTIFICATE;
    *t = certlib__days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
         tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return CERTLIB_OK;
}

int64_t certlib__now(void)
{
    return (int64_t)time(NULL);
}

void certlib_time_format(int64_t t, char out[CERTLIB_TIME_TEXT_LEN])
{
    certlib__tdate_format(t, out);
}
