/* Benchmark: identifier checks per second on one core through certlib_ident_check_batch.
 *
 * Generates a fixed, seeded mix of inputs (valid 18- and 15-digit identity numbers from real GB/T 2260
 * counties and real dates, residence permits, USCCs, and invalid ones of each failure kind), writes
 * them to a file so the reference validator times the very same inputs, and prints the median of
 * several timed passes. Run through bench/ident/run.sh, which also times the reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"
#include "certlib/ident.h"

#define RUNS 7

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static const char *ric_check = "10X98765432";
static const int ric_w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

static void finish_ric(char *s)
{
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (s[i] - '0') * ric_w[i];
    s[17] = ric_check[sum % 11];
    s[18] = '\0';
}

static void finish_uscc(char *s)
{
    static const int ow[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (s[8 + i] - '0') * ow[i];
    int c = 11 - sum % 11;
    s[16] = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
    sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int)(strchr(uscc_alphabet, s[i]) - uscc_alphabet) * uscc_w[i];
    s[17] = uscc_alphabet[(31 - sum % 31) % 31];
    s[18] = '\0';
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 4000000;
    const char *inputs_path = argc > 2 ? argv[2] : NULL;

    uint32_t *counties = malloc(4000 * sizeof(*counties));
    size_t n_counties = 0;
    for (uint32_t code = 110101; code < 660000 && n_counties < 4000; code++)
        if (code % 100 && certlib_region_exists(NULL, code)) counties[n_counties++] = code;

    char *text = malloc(n * 19);
    certlib_slice *slices = malloc(n * sizeof(*slices));
    certlib_ident *results = malloc(n * sizeof(*results));
    size_t mix[8] = {0};
    for (size_t i = 0; i < n; i++) {
        char *s = text + i * 19;
        uint32_t kind = rnd(100);
        uint32_t county = counties[rnd((uint32_t)n_counties)];
        unsigned year = 1930 + rnd(90), month = 1 + rnd(12), day = 1 + rnd(28), seq = rnd(1000);
        size_t len = 18;
        if (kind < 60) { /* valid resident identity number */
            snprintf(s, 19, "%06u%04u%02u%02u%03u", county, year, month, day, seq), finish_ric(s), mix[0]++;
        } else if (kind < 68) { /* legacy 15-digit */
            snprintf(s, 19, "%06u%02u%02u%02u%03u", county, year % 100, month, day, seq), len = 15, mix[1]++;
        } else if (kind < 72) { /* HMT residence permit */
            snprintf(s, 19, "%06u%04u%02u%02u%03u", 810000 + 10000 * rnd(3), year, month, day, seq),
                finish_ric(s), mix[2]++;
        } else if (kind < 84) { /* USCC */
            snprintf(s, 19, "91%06u%08u", county, rnd(100000000)), finish_uscc(s), mix[3]++;
        } else if (kind < 90) { /* mistyped: check character off */
            snprintf(s, 19, "%06u%04u%02u%02u%03u", county, year, month, day, seq), finish_ric(s);
            s[17] = s[17] == '0' ? '1' : '0', mix[4]++;
        } else if (kind < 95) { /* impossible date, right check character */
            snprintf(s, 19, "%06u%04u%02u%02u%03u", county, year, 2, 30, seq), finish_ric(s), mix[5]++;
        } else { /* wrong length */
            snprintf(s, 19, "%06u%04u%02u%02u%02u", county, year, month, day, seq % 100), len = 16, mix[6]++;
        }
        slices[i] = (certlib_slice){(const uint8_t *)s, len};
    }
    if (inputs_path) {
        FILE *f = fopen(inputs_path, "w");
        if (!f) return perror(inputs_path), 2;
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%.*s\n", (int)slices[i].len, (const char *)slices[i].ptr);
        fclose(f);
    }

    certlib_ident_opts opts = {.today = 20261122};
    size_t valid = certlib_ident_check_batch(slices, n, &opts, results); /* warm-up */
    double rates[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = now();
        size_t v = certlib_ident_check_batch(slices, n, &opts, results);
        double t1 = now();
        if (v != valid) return fprintf(stderr, "non-deterministic result\n"), 1;
        rates[r] = (double)n / (t1 - t0);
    }
    qsort(rates, RUNS, sizeof(rates[0]), cmp_double);
    printf(
        "inputs: %zu (ric %zu, ric15 %zu, hmt %zu, uscc %zu, bad check %zu, bad date %zu, bad length %zu); "
        "valid %zu\n",
        n, mix[0], mix[1], mix[2], mix[3], mix[4], mix[5], mix[6], valid);
    printf("certlib batch: median %.1f M checks/s (min %.1f, max %.1f over %d runs)\n", rates[RUNS / 2] / 1e6,
           rates[0] / 1e6, rates[RUNS - 1] / 1e6, RUNS);
    printf("CERTLIB_RATE %.0f\n", rates[RUNS / 2]);
    free(counties), free(text), free(slices), free(results);
    return 0;
}
