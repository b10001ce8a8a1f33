/*  vb_bench.c — the benchmark harness behind vb_bench.h.

    Times with CLOCK_MONOTONIC around whole runs of `iterations` operations,
    so the clock's own cost is amortised. One warm-up run, then `repeats`
    timed runs; the median is the figure to quote, min and max show the noise.
    SPDX-License-Identifier: MPL-2.0
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "vb_bench.h"

//  Repeats when the caller passes 0, and the most we keep figures for.
#define S_DEFAULT_REPEATS 7
#define S_MAX_REPEATS     101
//  Operations per calibration figure.
#define S_CALIBRATE_SYSCALLS 200000
#define S_CALIBRATE_CLOCKS   1000000
#define S_CALIBRATE_COMPUTE  10000000
#define S_NS_PER_S           1000000000.0

static volatile uint64_t s_sink;

//  --------------------------------------------------------------------------
//  Monotonic time in ns.

static uint64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

//  --------------------------------------------------------------------------
//  Keep a value alive.

void
vb_bench_sink (uint64_t value)
{
    s_sink += value;
}

//  --------------------------------------------------------------------------
//  The three calibration workloads.

static void
s_null_syscall (void *arg, size_t iterations)
{
    (void)arg;
    for (size_t index = 0; index < iterations; index++)
        vb_bench_sink ((uint64_t)syscall (SYS_getppid));
}

static void
s_clock_read (void *arg, size_t iterations)
{
    (void)arg;
    for (size_t index = 0; index < iterations; index++)
        vb_bench_sink (s_now_ns ());
}

//  A dependent chain of xorshift steps: pure ALU work, no memory traffic.
static void
s_compute (void *arg, size_t iterations)
{
    (void)arg;
    uint64_t state = 0x9E3779B97F4A7C15u;
    for (size_t index = 0; index < iterations; index++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
    }
    vb_bench_sink (state);
}

//  --------------------------------------------------------------------------
//  Time one run, in ns per operation.

static double
s_time_run (vb_bench_fn *fn, void *arg, size_t iterations)
{
    uint64_t start = s_now_ns ();
    fn (arg, iterations);
    uint64_t end = s_now_ns ();
    return (double)(end - start) / (double)iterations;
}

static int
s_compare_double (const void *a, const void *b)
{
    double left = *(const double *)a;
    double right = *(const double *)b;
    return (left > right) - (left < right);
}

//  --------------------------------------------------------------------------
//  Run, time, sort, report.

static vb_bench_result_t
s_measure (vb_bench_fn *fn, void *arg, size_t iterations, int repeats)
{
    vb_bench_result_t result = {0, 0, 0};
    double figures[S_MAX_REPEATS];
    if (iterations == 0)
        return result;
    if (repeats <= 0)
        repeats = S_DEFAULT_REPEATS;
    if (repeats > S_MAX_REPEATS)
        repeats = S_MAX_REPEATS;
    s_time_run (fn, arg, iterations);  //  Warm-up: caches, branch predictors, buffer growth
    for (int index = 0; index < repeats; index++)
        figures[index] = s_time_run (fn, arg, iterations);
    qsort (figures, (size_t)repeats, sizeof (double), s_compare_double);
    result.min_ns = figures[0];
    result.max_ns = figures[repeats - 1];
    result.median_ns =
        repeats % 2 ? figures[repeats / 2] : (figures[repeats / 2 - 1] + figures[repeats / 2]) / 2;
    return result;
}

vb_bench_result_t
vb_bench_run (const char *name, vb_bench_fn *fn, void *arg, size_t iterations, int repeats)
{
    vb_bench_result_t result = s_measure (fn, arg, iterations, repeats);
    double per_second = result.median_ns > 0 ? S_NS_PER_S / result.median_ns : 0;
    printf ("%-32s %10.1f ns/op %14.0f ops/s  (min %.1f .. max %.1f)\n", name, result.median_ns,
            per_second, result.min_ns, result.max_ns);
    fflush (stdout);
    return result;
}

//  --------------------------------------------------------------------------
//  The calibration line.

void
vb_bench_calibrate (void)
{
    vb_bench_result_t syscall_ns = s_measure (s_null_syscall, NULL, S_CALIBRATE_SYSCALLS, 0);
    vb_bench_result_t clock_ns = s_measure (s_clock_read, NULL, S_CALIBRATE_CLOCKS, 0);
    vb_bench_result_t compute_ns = s_measure (s_compute, NULL, S_CALIBRATE_COMPUTE, 0);
    printf ("calibration: null syscall %.1f ns, clock_gettime %.1f ns, xorshift step %.2f ns\n",
            syscall_ns.median_ns, clock_ns.median_ns, compute_ns.median_ns);
    fflush (stdout);
}

//  --------------------------------------------------------------------------
//  Ratio against a same-run baseline.

void
vb_bench_ratio (const char *name, vb_bench_result_t result, vb_bench_result_t baseline)
{
    if (baseline.median_ns > 0)
        printf ("%-32s %6.2fx baseline\n", name, result.median_ns / baseline.median_ns);
    else
        printf ("%-32s (no baseline)\n", name);
    fflush (stdout);
}

//  --------------------------------------------------------------------------
//  Read a whole file.

char *
vb_bench_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *data = NULL;
    long length = -1;
    if (fseek (file, 0, SEEK_END) == 0)
        length = ftell (file);
    if (length >= 0 && fseek (file, 0, SEEK_SET) == 0)
        data = malloc ((size_t)length + 1);
    if (data && fread (data, 1, (size_t)length, file) != (size_t)length) {
        free (data);
        data = NULL;
    }
    fclose (file);
    if (!data)
        return NULL;
    data[length] = '\0';
    if (size)
        *size = (size_t)length;
    return data;
}

//  --------------------------------------------------------------------------
//  Order statistics.

static int
s_compare_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

double
vb_bench_percentile (int64_t *samples, size_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort (samples, n, sizeof (int64_t), s_compare_i64);
    size_t rank = (size_t)ceil (q * (double)n);
    if (rank < 1)
        rank = 1;
    return (double)samples[rank - 1];
}

double
vb_bench_median (double *values, size_t n)
{
    if (n == 0)
        return NAN;
    qsort (values, n, sizeof (double), s_compare_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}
