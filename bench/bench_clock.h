/* Timing helpers every benchmark shares: a monotonic clock, medians, and an operation against its
 * baseline in alternating rounds. */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v in place. */
static inline double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One benchmarked operation; returns 0 when it failed (which ends the benchmark). */
typedef int (*bench_op)(void *arg);

/* Operations per second in one round of `seconds`. */
static inline double bench_round_rate(bench_op op, void *arg, double seconds)
{
    long n = 0;
    double start = now_s(), t;
    do {
        for (int k = 0; k < 20; k++)
            if (!op(arg)) {
                fprintf(stderr, "benchmark: an operation failed\n");
                exit(1);
            }
        n += 20;
    } while ((t = now_s() - start) < seconds);
    return n / t;
}

/* `op` against `baseline` in `rounds` (at most 31) alternating rounds, so clock-frequency drift hits
 * both alike: the median rates, and the median of the per-round ratios. */
static inline void bench_compare(bench_op op, bench_op baseline, void *arg, double seconds, int rounds,
                                 double *op_rate, double *baseline_rate, double *ratio)
{
    double v[31], r[31], q[31];
    if (rounds > 31) rounds = 31;
    for (int i = 0; i < rounds; i++) {
        v[i] = bench_round_rate(op, arg, seconds);
        r[i] = bench_round_rate(baseline, arg, seconds);
        q[i] = v[i] / r[i];
    }
    *op_rate = median(v, (size_t)rounds);
    *baseline_rate = median(r, (size_t)rounds);
    *ratio = median(q, (size_t)rounds);
}

#endif
