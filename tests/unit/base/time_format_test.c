/* certlib_time_format (certlib/src/base/timeutil.c): the text gmtime_r and strftime write, for every day
 * from 1970 back to 1000 and on to 9999, at times across the day. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "certlib/encoding.h"

static void libc_format(int64_t t, char out[64])
{
    time_t tt = (time_t)t;
    struct tm tm;
    assert_non_null(gmtime_r(&tt, &tm));
    assert_int_equal(strftime(out, 64, "%Y-%m-%dT%H:%M:%SZ", &tm), 20);
}

static void test_as_strftime_writes(void **state)
{
    (void)state;
    const int64_t first = -30610224000LL,
                  last = 253402300799LL; /* 1000-01-01T00:00:00Z, 9999-12-31T23:59:59Z */
    char ours[CERTLIB_TIME_TEXT_LEN], theirs[64];
    size_t n = 0;
    /* each day, at a second that moves through the day, and each day's edges */
    for (int64_t t = first; t <= last; t += 86400 + 3607, n++) {
        int64_t day = t - ((t - first) % 86400);
        const int64_t times[] = {t, day, day + 86399};
        for (size_t i = 0; i < 3; i++) {
            if (times[i] > last) continue;
            certlib_time_format(times[i], ours);
            libc_format(times[i], theirs);
            assert_string_equal(ours, theirs);
        }
    }
    assert_true(n > 3000000);
    static const struct {
        int64_t t;
        const char *text;
    } known[] = {{0, "1970-01-01T00:00:00Z"},
                 {-1, "1969-12-31T23:59:59Z"},
                 {951782400, "2000-02-29T00:00:00Z"},
                 {4107456000LL, "2100-02-28T00:00:00Z"},
                 {4107542400LL, "2100-03-01T00:00:00Z"},
                 {last, "9999-12-31T23:59:59Z"}};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        certlib_time_format(known[i].t, ours);
        assert_string_equal(ours, known[i].text);
    }
}

/* Times RFC 3339 cannot write, a hostile licence's say: the nearer end, with no overflow on the way (the
 * sanitizer build's UBSan would stop here). */
static void test_beyond_the_years_it_can_write(void **state)
{
    (void)state;
    static const struct {
        int64_t t;
        const char *text;
    } edges[] = {{INT64_MIN, "0000-01-01T00:00:00Z"},      {INT64_MIN + 1, "0000-01-01T00:00:00Z"},
                 {-62167219201LL, "0000-01-01T00:00:00Z"}, {-62167219200LL, "0000-01-01T00:00:00Z"},
                 {-62167219199LL, "0000-01-01T00:00:01Z"}, {253402300800LL, "9999-12-31T23:59:59Z"},
                 {INT64_MAX - 1, "9999-12-31T23:59:59Z"},  {INT64_MAX, "9999-12-31T23:59:59Z"}};
    char out[CERTLIB_TIME_TEXT_LEN];
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        certlib_time_format(edges[i].t, out);
        assert_string_equal(out, edges[i].text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_as_strftime_writes),
                                       cmocka_unit_test(test_beyond_the_years_it_can_write)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
