/* authd log_limit.h: a line about one key said at most once an interval, the rest counted and told with
 * the next; another key said at once; the line as written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log_limit.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_once_an_interval(void **state)
{
    (void)state;
    struct authd_log_limit l = AUTHD_LOG_LIMIT_INIT;
    unsigned long unsaid = 99;
    assert_true(authd_log_limit(&l, "", 200, &unsaid));
    assert_int_equal(unsaid, 0);
    for (int i = 0; i < 5; i++)
        assert_false(authd_log_limit(&l, "", 200, &unsaid));
    sleep_ms(250);
    assert_true(authd_log_limit(&l, "", 200, &unsaid));
    assert_int_equal(unsaid, 5);
    assert_false(authd_log_limit(&l, "", 200, &unsaid));
}

static void test_another_key_at_once(void **state)
{
    (void)state;
    struct authd_log_limit l = AUTHD_LOG_LIMIT_INIT;
    unsigned long unsaid;
    assert_true(authd_log_limit(&l, "SyncRepWaitForLSN", 60000, &unsaid));
    assert_false(authd_log_limit(&l, "SyncRepWaitForLSN", 60000, &unsaid));
    assert_true(authd_log_limit(&l, "GetNewTransactionId", 60000, &unsaid));
    assert_int_equal(unsaid, 0); /* the count held back was the other key's */
    assert_false(authd_log_limit(&l, "GetNewTransactionId", 60000, &unsaid));
}

/* Many threads at once: exactly one says it, and every other is counted. */
static struct authd_log_limit shared = AUTHD_LOG_LIMIT_INIT;
static int said;
static pthread_mutex_t said_lock = PTHREAD_MUTEX_INITIALIZER;

static void *hammer(void *arg)
{
    (void)arg;
    unsigned long unsaid;
    for (int i = 0; i < 1000; i++)
        if (authd_log_limit(&shared, "unavailable", 60000, &unsaid)) {
            pthread_mutex_lock(&said_lock);
            said++;
            pthread_mutex_unlock(&said_lock);
        }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(said, 1);
    assert_int_equal(shared.unsaid, 7999);
}

/* The line as standard error gets it: said, then said again after the interval with the count. */
static void test_the_line_said(void **state)
{
    (void)state;
    FILE *out = tmpfile();
    assert_non_null(out);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(out), STDERR_FILENO);
    struct authd_log_limit l = AUTHD_LOG_LIMIT_INIT;
    for (int i = 0; i < 3; i++)
        authd_log_limited(&l, "", 200, "batch %d failed", i);
    sleep_ms(250);
    authd_log_limited(&l, "", 200, "batch %d failed", 3);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char text[256] = "";
    rewind(out);
    size_t len = fread(text, 1, sizeof(text) - 1, out);
    text[len] = '\0';
    fclose(out);
    assert_string_equal(text,
                        "batch 0 failed\nbatch 3 failed (and 2 more like it since the last one said)\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_once_an_interval),
        cmocka_unit_test(test_another_key_at_once),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_the_line_said),
    };
    return cmocka_run_group_tests_name("log limit", tests, NULL, NULL);
}
