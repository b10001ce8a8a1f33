/*  vb_bench.h — the small benchmark harness every bench_*.c uses.

    A benchmark is a function that performs `iterations` operations. The harness
    runs it repeatedly, prints the median (and min/max) ns per operation and
    operations per second, and prints ratios against a baseline measured in the
    same run, interleaved, because these 2-core VMs are noisy.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_BENCH_H_INCLUDED
#define VB_BENCH_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  Performs `iterations` operations on `arg`.
typedef void (vb_bench_fn) (void *arg, size_t iterations);

typedef struct {
    double median_ns;  //  Median ns per operation over the repeats
    double min_ns;     //  Fastest repeat
    double max_ns;     //  Slowest repeat
} vb_bench_result_t;

//  Print the calibration line (null syscall ns, clock_gettime ns, a pure-compute
//  figure) so results can be compared across machines.
void vb_bench_calibrate (void);

//  Run fn `repeats` times over `iterations` operations each (after one warm-up
//  run), print one line "name: median ns/op, ops/s (min..max)" and return the
//  figures. Repeats defaults to 7 when 0.
vb_bench_result_t vb_bench_run (const char *name, vb_bench_fn *fn, void *arg, size_t iterations,
                                int repeats);

//  Print "name: X.XXx baseline" for a result against a baseline from the same run.
void vb_bench_ratio (const char *name, vb_bench_result_t result, vb_bench_result_t baseline);

//  Keep the compiler from optimising a computed value away.
void vb_bench_sink (uint64_t value);

//  Read a whole file into a NUL-terminated heap buffer (caller frees), or NULL.
char *vb_bench_slurp (const char *path, size_t *size);

//  Nearest-rank percentile q (0 < q <= 1) of n samples, sorting them in
//  place; NAN when n is 0.
double vb_bench_percentile (int64_t *samples, size_t n, double q);

//  Median of n values, sorting them in place; NAN when n is 0.
double vb_bench_median (double *values, size_t n);

#endif
