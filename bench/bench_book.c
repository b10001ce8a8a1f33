/*  bench_book.c — applying real Binance depth diffs to vb_book, against a
    naive best-first sorted array.

    Input: shared/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt.
    Its REST snapshot (1000 x 1000 levels) and every depth diff are parsed
    with vb_json into plain arrays before any timing, so the timed loops
    measure book work only. One operation is one diff message. Each timed
    pass reloads the snapshot (the book must start from the same state) and
    then applies every diff in file order; the "reload only" rows measure
    that reload alone, and the net per-message figure subtracts it.
    Baseline, same run, interleaved: a naive book that keeps each side best
    first in one array, binary-searches it and memmoves on every insert and
    delete (the prototype of performance.md §3.9).
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vb_bench.h"
#include "vb_book.h"
#include "vb_decimal.h"
#include "vb_json.h"

#define S_CAPTURE  VB_SHARED_DIR "/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt"
#define S_BOOK_CAP 5000
//  Passes over the capture per timed run.
#define S_PASSES    20
#define S_NAIVE_CAP 8192

typedef struct {
    vb_book_side_t side;  //  Side of the level
    vb_decimal_t price;   //  As sent
    vb_decimal_t qty;     //  As sent
} s_level_t;

typedef struct {
    s_level_t *levels;      //  Every level: snapshot first, then the diffs
    size_t level_count;     //  Levels
    size_t snapshot_end;    //  Levels [0, snapshot_end) are the snapshot
    size_t *diff_end;       //  Diff i is levels [diff_end[i-1] or snapshot_end, diff_end[i])
    size_t diff_count;      //  Diffs
    size_t capacity;        //  Allocated levels
    vb_book_t *book;        //  The book under test
    struct s_naive *naive;  //  The baseline book
} s_input_t;

//  --------------------------------------------------------------------------
//  The naive baseline: each side best first, memmove on every change.

typedef struct {
    vb_decimal_t price;  //  Price
    vb_decimal_t qty;    //  Quantity
} s_naive_level_t;

struct s_naive {
    s_naive_level_t side[2][S_NAIVE_CAP];  //  [0] bids descending, [1] asks ascending
    size_t count[2];                       //  Levels per side
};

static void
s_naive_set (struct s_naive *naive, vb_book_side_t book_side, vb_decimal_t price, vb_decimal_t qty)
{
    int side = book_side == VB_BOOK_BID ? 0 : 1;
    s_naive_level_t *levels = naive->side[side];
    size_t low = 0, high = naive->count[side];
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = vb_decimal_cmp (levels[middle].price, price);
        if (side == 0)
            order = -order;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    bool found = low < naive->count[side] && vb_decimal_cmp (levels[low].price, price) == 0;
    if (qty.mantissa == 0) {
        if (found) {
            memmove (levels + low, levels + low + 1,
                     (naive->count[side] - low - 1) * sizeof (s_naive_level_t));
            naive->count[side]--;
        }
        return;
    }
    if (found) {
        levels[low].qty = qty;
        return;
    }
    if (naive->count[side] == S_NAIVE_CAP)
        return;
    memmove (levels + low + 1, levels + low, (naive->count[side] - low) * sizeof (s_naive_level_t));
    levels[low] = (s_naive_level_t){price, qty};
    naive->count[side]++;
}

//  --------------------------------------------------------------------------
//  Append one level to the input.

static void
s_push (s_input_t *input, vb_book_side_t side, vb_decimal_t price, vb_decimal_t qty)
{
    if (input->level_count == input->capacity) {
        input->capacity = input->capacity ? input->capacity * 2 : 4096;
        input->levels = realloc (input->levels, input->capacity * sizeof (s_level_t));
        if (!input->levels)
            abort ();
    }
    input->levels[input->level_count++] = (s_level_t){side, price, qty};
}

//  --------------------------------------------------------------------------
//  Read an array of ["price","qty"] pairs into the input.

static int
s_read_levels (s_input_t *input, vb_json_val_t *array, vb_book_side_t side)
{
    vb_json_iter_t iter, fields;
    vb_json_val_t pair, field;
    int rc = vb_json_array_begin (array, &iter);
    while (rc == 0 && (rc = vb_json_array_next (&iter, &pair)) == 1) {
        vb_decimal_t price, qty;
        rc = vb_json_array_begin (&pair, &fields);
        if (rc == 0)
            rc = vb_json_array_next (&fields, &field) == 1 ? vb_json_decimal (&field, &price) : -1;
        if (rc == 0)
            rc = vb_json_array_next (&fields, &field) == 1 ? vb_json_decimal (&field, &qty) : -1;
        if (rc == 0)
            s_push (input, side, price, qty);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Parse the capture: the snapshot, then every diff with u > lastUpdateId
//  (the bridged sequence; diffs seen before the snapshot are buffered).

static int
s_load (s_input_t *input, char *buffer)
{
    vb_json_t *json = vb_json_new ();
    int64_t snapshot_id = 0;
    //  Diffs before the snapshot: kept aside as (U, u, level range).
    s_input_t early;
    memset (&early, 0, sizeof early);
    int64_t early_last[64];
    size_t early_end[64], early_count = 0;
    input->diff_end = calloc (8192, sizeof (size_t));
    int rc = 0;
    for (char *line = strtok (buffer, "\n"); line && rc == 0; line = strtok (NULL, "\n")) {
        char *payload = strchr (line, '{');
        if (!payload)
            continue;
        vb_json_val_t root, value, data;
        const char *key;
        size_t key_length;
        vb_json_iter_t fields;
        rc = vb_json_parse (json, payload, strlen (payload), &root);
        if (rc)
            break;
        if (strncmp (payload, "{\"lastUpdateId\"", 15) == 0) {
            rc = vb_json_object_begin (&root, &fields);
            while (rc == 0 &&
                   (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
                if (key[0] == 'l')
                    rc = vb_json_int64 (&value, &snapshot_id);
                else
                    rc = s_read_levels (input, &value, key[0] == 'b' ? VB_BOOK_BID : VB_BOOK_ASK);
            }
            input->snapshot_end = input->level_count;
            //  Bring in the buffered diffs that the snapshot does not cover.
            for (size_t index = 0; index < early_count; index++) {
                if (early_last[index] <= snapshot_id)
                    continue;
                size_t start = index ? early_end[index - 1] : 0;
                for (size_t level = start; level < early_end[index]; level++)
                    s_push (input, early.levels[level].side, early.levels[level].price,
                            early.levels[level].qty);
                input->diff_end[input->diff_count++] = input->level_count;
            }
            continue;
        }
        if (!strstr (payload, "@depth"))
            continue;
        if (vb_json_find (&root, "data", &data) != 0)
            return -1;
        s_input_t *target = snapshot_id ? input : &early;
        int64_t last = 0;
        rc = vb_json_object_begin (&data, &fields);
        while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
            if (key_length == 1 && key[0] == 'u')
                rc = vb_json_int64 (&value, &last);
            else if (key_length == 1 && (key[0] == 'b' || key[0] == 'a'))
                rc = s_read_levels (target, &value, key[0] == 'b' ? VB_BOOK_BID : VB_BOOK_ASK);
            else
                rc = 0;
        }
        if (snapshot_id)
            input->diff_end[input->diff_count++] = input->level_count;
        else if (early_count < 64) {
            early_last[early_count] = last;
            early_end[early_count++] = early.level_count;
        }
    }
    free (early.levels);
    vb_json_destroy (&json);
    return rc == 0 && snapshot_id && input->diff_count ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Timed: reload the snapshot into vb_book, then apply every diff.

static void
s_bench_book (void *arg, size_t iterations)
{
    s_input_t *input = arg;
    uint64_t sink = 0;
    for (size_t done = 0; done < iterations;) {
        vb_book_clear (input->book);
        for (size_t index = 0; index < input->snapshot_end; index++)
            vb_book_set (input->book, input->levels[index].side, input->levels[index].price,
                         input->levels[index].qty);
        size_t start = input->snapshot_end;
        for (size_t diff = 0; diff < input->diff_count && done < iterations; diff++, done++) {
            for (size_t index = start; index < input->diff_end[diff]; index++)
                vb_book_set (input->book, input->levels[index].side, input->levels[index].price,
                             input->levels[index].qty);
            start = input->diff_end[diff];
        }
        sink += vb_book_count (input->book, VB_BOOK_BID);
    }
    vb_bench_sink (sink);
}

//  --------------------------------------------------------------------------
//  Timed: the snapshot reload alone, once per diff-count operations.

static void
s_bench_book_reload (void *arg, size_t iterations)
{
    s_input_t *input = arg;
    uint64_t sink = 0;
    for (size_t done = 0; done < iterations; done += input->diff_count) {
        vb_book_clear (input->book);
        for (size_t index = 0; index < input->snapshot_end; index++)
            vb_book_set (input->book, input->levels[index].side, input->levels[index].price,
                         input->levels[index].qty);
        sink += vb_book_count (input->book, VB_BOOK_BID);
    }
    vb_bench_sink (sink);
}

//  --------------------------------------------------------------------------
//  Timed baseline: the same with the naive book.

static void
s_bench_naive (void *arg, size_t iterations)
{
    s_input_t *input = arg;
    uint64_t sink = 0;
    for (size_t done = 0; done < iterations;) {
        input->naive->count[0] = input->naive->count[1] = 0;
        for (size_t index = 0; index < input->snapshot_end; index++)
            s_naive_set (input->naive, input->levels[index].side, input->levels[index].price,
                         input->levels[index].qty);
        size_t start = input->snapshot_end;
        for (size_t diff = 0; diff < input->diff_count && done < iterations; diff++, done++) {
            for (size_t index = start; index < input->diff_end[diff]; index++)
                s_naive_set (input->naive, input->levels[index].side, input->levels[index].price,
                             input->levels[index].qty);
            start = input->diff_end[diff];
        }
        sink += input->naive->count[0];
    }
    vb_bench_sink (sink);
}

//  --------------------------------------------------------------------------
//  Timed baseline: the naive snapshot reload alone.

static void
s_bench_naive_reload (void *arg, size_t iterations)
{
    s_input_t *input = arg;
    uint64_t sink = 0;
    for (size_t done = 0; done < iterations; done += input->diff_count) {
        input->naive->count[0] = input->naive->count[1] = 0;
        for (size_t index = 0; index < input->snapshot_end; index++)
            s_naive_set (input->naive, input->levels[index].side, input->levels[index].price,
                         input->levels[index].qty);
        sink += input->naive->count[0];
    }
    vb_bench_sink (sink);
}

int
main (void)
{
    size_t size;
    char *buffer = vb_bench_slurp (S_CAPTURE, &size);
    if (!buffer) {
        fprintf (stderr, "bench_book: cannot read %s\n", S_CAPTURE);
        return 1;
    }
    s_input_t input;
    memset (&input, 0, sizeof input);
    if (s_load (&input, buffer) != 0) {
        fprintf (stderr, "bench_book: cannot parse %s\n", S_CAPTURE);
        return 1;
    }
    input.book = vb_book_new (S_BOOK_CAP);
    input.naive = calloc (1, sizeof (struct s_naive));
    if (!input.book || !input.naive)
        return 1;
    size_t diff_levels = input.level_count - input.snapshot_end;
    double levels_per_diff = (double)diff_levels / (double)input.diff_count;
    printf ("input: snapshot of %zu levels, %zu diffs, %zu diff levels (%.1f per message)\n",
            input.snapshot_end, input.diff_count, diff_levels, levels_per_diff);

    //  Both books must agree after a full pass.
    s_bench_book (&input, input.diff_count);
    s_bench_naive (&input, input.diff_count);
    if (vb_book_count (input.book, VB_BOOK_BID) != input.naive->count[0] ||
        vb_book_count (input.book, VB_BOOK_ASK) != input.naive->count[1]) {
        fprintf (stderr, "bench_book: the two books disagree\n");
        return 1;
    }
    printf ("final book: %zu bids, %zu asks (both implementations)\n",
            vb_book_count (input.book, VB_BOOK_BID), vb_book_count (input.book, VB_BOOK_ASK));

    vb_bench_calibrate ();
    size_t iterations = input.diff_count * S_PASSES;
    vb_bench_result_t naive = vb_bench_run ("naive best-first array: reload + diffs", s_bench_naive,
                                            &input, iterations, 0);
    vb_bench_result_t book =
        vb_bench_run ("vb_book: reload + diffs", s_bench_book, &input, iterations, 0);
    vb_bench_result_t naive_reload = vb_bench_run ("naive best-first array: reload only",
                                                   s_bench_naive_reload, &input, iterations, 0);
    vb_bench_result_t book_reload =
        vb_bench_run ("vb_book: reload only", s_bench_book_reload, &input, iterations, 0);
    vb_bench_ratio ("vb_book reload + diffs", book, naive);
    double naive_net = naive.median_ns - naive_reload.median_ns;
    double book_net = book.median_ns - book_reload.median_ns;
    printf ("net diff apply, naive: %.0f ns/message, %.1f ns/level, %.0f messages/s\n", naive_net,
            naive_net / levels_per_diff, 1e9 / naive_net);
    printf ("net diff apply, vb_book: %.0f ns/message, %.1f ns/level, %.0f messages/s\n", book_net,
            book_net / levels_per_diff, 1e9 / book_net);
    printf ("net diff apply: vb_book is %.2fx the naive book's speed\n", naive_net / book_net);
    vb_book_destroy (&input.book);
    free (input.naive);
    free (input.diff_end);
    free (input.levels);
    free (buffer);
    return 0;
}
