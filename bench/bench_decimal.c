/*  bench_decimal.c — price/qty string -> exact decimal, against strtod.

    The corpus is every quoted decimal string ("61837.63000000",
    "3.78826000", ...) of the real Binance spot capture in shared/, in file
    order, so the branch pattern is the venue's own. The timed loop parses
    each string once per operation; the baseline is strtod on the same bytes
    in the same run. Exactness is checked outside the timed loops: every
    vb_decimal value must format back to its exact input text, and the
    strings whose value a double cannot hold exactly are counted.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vb_bench.h"
#include "vb_decimal.h"

#define S_CAPTURE VB_SHARED_DIR "/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt"
//  Longest quoted text taken as a corpus entry.
#define S_TEXT_MAX 32
//  Passes over the corpus per timed run.
#define S_PASSES 4
//  Powers of five up to 5^27 fit an uint64.
#define S_POW5_MAX 27

typedef struct {
    const char *text;  //  Start of the digits inside the capture buffer
    size_t length;     //  Bytes of the number
} s_entry_t;

typedef struct {
    s_entry_t *entries;  //  The corpus, in file order
    size_t count;        //  Entries
} s_corpus_t;

//  --------------------------------------------------------------------------
//  True when text is a plain decimal with a point: digits '.' digits.

static bool
s_is_decimal (const char *text, size_t length)
{
    bool point = false;
    for (size_t index = 0; index < length; index++) {
        if (text[index] == '.' && !point && index > 0 && index + 1 < length)
            point = true;
        else if (text[index] < '0' || text[index] > '9')
            return false;
    }
    return point;
}

//  --------------------------------------------------------------------------
//  Collect every quoted decimal string of the capture.

static int
s_corpus_load (s_corpus_t *corpus, char *buffer, size_t size)
{
    size_t capacity = 1024;
    corpus->entries = malloc (capacity * sizeof (s_entry_t));
    corpus->count = 0;
    if (!corpus->entries)
        return -1;
    const char *cursor = buffer, *end = buffer + size;
    while ((cursor = memchr (cursor, '"', (size_t)(end - cursor))) != NULL) {
        const char *start = cursor + 1;
        const char *close = memchr (start, '"', (size_t)(end - start));
        if (!close)
            break;
        size_t length = (size_t)(close - start);
        if (length < S_TEXT_MAX && s_is_decimal (start, length)) {
            if (corpus->count == capacity) {
                capacity *= 2;
                s_entry_t *grown = realloc (corpus->entries, capacity * sizeof (s_entry_t));
                if (!grown)
                    return -1;
                corpus->entries = grown;
            }
            corpus->entries[corpus->count++] = (s_entry_t){start, length};
        }
        cursor = close + 1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Timed: vb_decimal_parse over the corpus.

static void
s_bench_parse (void *arg, size_t iterations)
{
    s_corpus_t *corpus = arg;
    uint64_t sum = 0;
    for (size_t done = 0; done < iterations;) {
        for (size_t index = 0; index < corpus->count && done < iterations; index++, done++) {
            vb_decimal_t value;
            if (vb_decimal_parse (corpus->entries[index].text, corpus->entries[index].length,
                                  &value) == 0)
                sum += (uint64_t)value.mantissa + (uint64_t)value.exponent;
        }
    }
    vb_bench_sink (sum);
}

//  --------------------------------------------------------------------------
//  Baseline: strtod over the same bytes (it stops at the closing quote).

static void
s_bench_strtod (void *arg, size_t iterations)
{
    s_corpus_t *corpus = arg;
    double sum = 0;
    for (size_t done = 0; done < iterations;) {
        for (size_t index = 0; index < corpus->count && done < iterations; index++, done++)
            sum += strtod (corpus->entries[index].text, NULL);
    }
    vb_bench_sink ((uint64_t)sum);
}

//  --------------------------------------------------------------------------
//  True when a binary double holds the decimal exactly: with trailing zeros
//  removed, m x 10^-k = m / (2^k 5^k) is dyadic only if 5^k divides m, and
//  then the quotient must fit 53 bits.

static bool
s_double_exact (vb_decimal_t value)
{
    int64_t mantissa = value.mantissa;
    int32_t exponent = value.exponent;
    while (mantissa != 0 && mantissa % 10 == 0 && exponent < 0) {
        mantissa /= 10;
        exponent++;
    }
    if (exponent >= 0)
        return mantissa < (1LL << 53);
    if (-exponent > S_POW5_MAX)
        return false;
    uint64_t five = 1;
    for (int32_t index = 0; index < -exponent; index++)
        five *= 5;
    return (uint64_t)mantissa % five == 0 && (uint64_t)mantissa / five < (1ULL << 53);
}

int
main (void)
{
    size_t size;
    char *buffer = vb_bench_slurp (S_CAPTURE, &size);
    if (!buffer) {
        fprintf (stderr, "bench_decimal: cannot read %s\n", S_CAPTURE);
        return 1;
    }
    s_corpus_t corpus;
    if (s_corpus_load (&corpus, buffer, size) != 0 || corpus.count == 0) {
        fprintf (stderr, "bench_decimal: no decimal strings in %s\n", S_CAPTURE);
        return 1;
    }
    //  Exactness, outside the timed loops.
    size_t round_trip = 0, double_inexact = 0, characters = 0;
    for (size_t index = 0; index < corpus.count; index++) {
        vb_decimal_t value;
        char text[VB_DECIMAL_TEXT_MAX];
        characters += corpus.entries[index].length;
        if (vb_decimal_parse (corpus.entries[index].text, corpus.entries[index].length, &value) !=
            0)
            continue;
        int length = vb_decimal_format (value, text, sizeof text);
        if (length == (int)corpus.entries[index].length &&
            memcmp (text, corpus.entries[index].text, (size_t)length) == 0)
            round_trip++;
        if (!s_double_exact (value))
            double_inexact++;
    }
    printf ("corpus: %zu strings from the Binance BTCUSDT capture, %.1f chars on average\n",
            corpus.count, (double)characters / (double)corpus.count);
    printf ("exactness: vb_decimal round-trips %zu/%zu strings byte for byte; "
            "%zu/%zu values are not representable as a double (strtod rounds them)\n",
            round_trip, corpus.count, double_inexact, corpus.count);
    vb_bench_calibrate ();
    size_t iterations = corpus.count * S_PASSES;
    //  Interleaved: baseline, candidate, baseline, candidate.
    vb_bench_result_t baseline =
        vb_bench_run ("strtod (baseline, inexact)", s_bench_strtod, &corpus, iterations, 0);
    vb_bench_result_t parse =
        vb_bench_run ("vb_decimal_parse (exact)", s_bench_parse, &corpus, iterations, 0);
    vb_bench_result_t baseline2 =
        vb_bench_run ("strtod (baseline, inexact, again)", s_bench_strtod, &corpus, iterations, 0);
    vb_bench_result_t parse2 =
        vb_bench_run ("vb_decimal_parse (exact, again)", s_bench_parse, &corpus, iterations, 0);
    vb_bench_ratio ("vb_decimal_parse", parse, baseline);
    vb_bench_ratio ("vb_decimal_parse (again)", parse2, baseline2);
    free (corpus.entries);
    free (buffer);
    return round_trip == corpus.count ? 0 : 1;
}
