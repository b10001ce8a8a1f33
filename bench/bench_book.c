/*  bench_book.c — applying real Binance depth diffs to vb_book, against the
    previous vb_book (a slack array) and a naive best-first sorted array.

    Input: shared/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt.
    Its REST snapshot (1000 x 1000 levels) and every depth diff are parsed
    with vb_json into plain arrays before any timing, so the timed loops
    measure book work only. One operation is one diff message. Each timed
    pass reloads the snapshot (the book must start from the same state) and
    then applies every diff in file order; the "reload only" rows measure
    that reload alone, and the net per-message figure subtracts it.
    Baselines, same run, interleaved:
    - the previous vb_book (up to 2026-07: each side one sorted array, best
      level last, slack at both ends, 32-byte levels compared with
      vb_decimal), kept here as a static copy so old and new are measured
      side by side;
    - a naive book that keeps each side best first in one array,
      binary-searches it and memmoves on every insert and delete (the
      prototype of performance.md §3.9).
    All three agree on the final level counts, and vb_book and the old copy
    on every level, before any timing.
    `bench_book profile` runs only vb_book, for perf record.
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
//  Passes run by `bench_book profile`.
#define S_PROFILE_PASSES 2000
//  The old book: first buffer size of a side, growth threshold NUM/DEN.
#define S_OLD_CAPACITY_MIN 64
#define S_OLD_GROW_NUM     3
#define S_OLD_GROW_DEN     4

typedef struct {
    vb_book_side_t side;  //  Side of the level
    vb_decimal_t price;   //  As sent
    vb_decimal_t qty;     //  As sent
} s_level_t;

typedef struct {
    s_level_t *levels;       //  Every level: snapshot first, then the diffs
    size_t level_count;      //  Levels
    size_t snapshot_end;     //  Levels [0, snapshot_end) are the snapshot
    size_t *diff_end;        //  Diff i is levels [diff_end[i-1] or snapshot_end, diff_end[i])
    size_t diff_count;       //  Diffs
    size_t capacity;         //  Allocated levels
    vb_book_t *book;         //  The book under test
    struct s_old_book *old;  //  The previous vb_book
    struct s_naive *naive;   //  The baseline book
} s_input_t;

//  --------------------------------------------------------------------------
//  The previous vb_book storage, verbatim but for names: each side one sorted
//  run, best level last, with slack at both ends.

typedef struct {
    vb_decimal_t price;  //  Price as the venue sent it
    vb_decimal_t qty;    //  Quantity as the venue sent it, always > 0
} s_old_level_t;

typedef struct {
    s_old_level_t *levels;  //  Buffer; the run is levels[head .. head + count)
    size_t head;            //  Index of the worst level in the buffer
    size_t count;           //  Levels held
    size_t capacity;        //  Buffer size in levels
    int direction;          //  +1 for bids (ascending), -1 for asks (descending)
} s_old_side_t;

struct s_old_book {
    s_old_side_t bids;  //  Ascending price, best (highest) last
    s_old_side_t asks;  //  Descending price, best (lowest) last
    size_t depth_cap;   //  Most levels kept per side
};

//  --------------------------------------------------------------------------
//  Compare two prices exactly. Prices of one book nearly always share their
//  exponent, so that case skips the general comparison.

static inline int
s_old_price_cmp (vb_decimal_t a, vb_decimal_t b)
{
    if (a.exponent == b.exponent)
        return (a.mantissa > b.mantissa) - (a.mantissa < b.mantissa);
    return vb_decimal_cmp (a, b);
}

//  --------------------------------------------------------------------------
//  Find price in a side by binary search over the run. Returns the run index
//  where the price is or would be inserted; *found tells which.

static size_t
s_old_side_search (s_old_side_t *side, vb_decimal_t price, bool *found)
{
    *found = false;
    if (side->count == 0)
        return 0;  //  The buffer may not exist yet
    const s_old_level_t *run = side->levels + side->head;
    size_t low = 0, high = side->count;
    //  Check the best level first: most updates touch the top of the book.
    int best_order = s_old_price_cmp (run[high - 1].price, price) * side->direction;
    if (best_order == 0) {
        *found = true;
        return high - 1;
    }
    if (best_order < 0)
        return high;
    high--;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = s_old_price_cmp (run[middle].price, price) * side->direction;
        if (order == 0) {
            *found = true;
            return middle;
        }
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    *found = false;
    return low;
}

//  --------------------------------------------------------------------------
//  Make room for one more level at either end: recentre the run in its
//  buffer, doubling the buffer first when it is mostly full. Returns 0 or
//  -1.

static int
s_old_side_make_room (s_old_side_t *side)
{
    size_t capacity = side->capacity;
    if (capacity < S_OLD_CAPACITY_MIN ||
        (side->count + 1) * S_OLD_GROW_DEN > capacity * S_OLD_GROW_NUM)
        capacity = capacity < S_OLD_CAPACITY_MIN ? S_OLD_CAPACITY_MIN : capacity * 2;
    size_t head = (capacity - side->count) / 2;
    if (capacity != side->capacity) {
        s_old_level_t *levels = (s_old_level_t *)malloc (capacity * sizeof (s_old_level_t));
        if (!levels)
            return -1;
        if (side->count)
            memcpy (levels + head, side->levels + side->head, side->count * sizeof (s_old_level_t));
        free (side->levels);
        side->levels = levels;
        side->capacity = capacity;
    } else
        memmove (side->levels + head, side->levels + side->head,
                 side->count * sizeof (s_old_level_t));
    side->head = head;
    return 0;
}

//  --------------------------------------------------------------------------
//  Insert a level at run index `index`, moving the shorter part of the run
//  into the slack on its end. Returns 0 or -1.

static int
s_old_side_insert (s_old_side_t *side, size_t index, vb_decimal_t price, vb_decimal_t qty)
{
    bool room_front = side->head > 0;
    bool room_back = side->head + side->count < side->capacity;
    bool move_front = index < side->count - index;
    if ((move_front && !room_front) || (!move_front && !room_back)) {
        int rc = s_old_side_make_room (side);
        if (rc)
            return rc;
    }
    s_old_level_t *run = side->levels + side->head;
    if (move_front) {
        memmove (run - 1, run, index * sizeof (s_old_level_t));
        side->head--;
        run--;
    } else
        memmove (run + index + 1, run + index, (side->count - index) * sizeof (s_old_level_t));
    run[index].price = price;
    run[index].qty = qty;
    side->count++;
    return 0;
}

//  --------------------------------------------------------------------------
//  Remove the level at run index `index`, moving the shorter part.

static void
s_old_side_remove (s_old_side_t *side, size_t index)
{
    s_old_level_t *run = side->levels + side->head;
    if (index < side->count - 1 - index) {
        memmove (run + 1, run, index * sizeof (s_old_level_t));
        side->head++;
    } else
        memmove (run + index, run + index + 1, (side->count - 1 - index) * sizeof (s_old_level_t));
    side->count--;
}

//  --------------------------------------------------------------------------
//  Keep only the best `depth` levels: drop from the worst end.

static void
s_old_side_truncate (s_old_side_t *side, size_t depth)
{
    if (side->count > depth) {
        side->head += side->count - depth;
        side->count = depth;
    }
}

//  --------------------------------------------------------------------------
//  The previous vb_book_set: validate, search, then replace, delete or
//  insert and apply the depth cap. Kept out of line like the library call.

static __attribute__ ((noinline)) int
s_old_set (struct s_old_book *self, vb_book_side_t side_id, vb_decimal_t price, vb_decimal_t qty)
{
    s_old_side_t *side = side_id == VB_BOOK_BID   ? &self->bids
                         : side_id == VB_BOOK_ASK ? &self->asks
                                                  : NULL;
    if (!side || price.mantissa <= 0 || qty.mantissa < 0 ||
        price.exponent < VB_DECIMAL_EXPONENT_MIN || price.exponent > VB_DECIMAL_EXPONENT_MAX ||
        qty.exponent < VB_DECIMAL_EXPONENT_MIN || qty.exponent > VB_DECIMAL_EXPONENT_MAX)
        return -1;
    bool found;
    size_t index = s_old_side_search (side, price, &found);
    if (qty.mantissa == 0) {
        if (found)
            s_old_side_remove (side, index);
        return 0;
    }
    if (found) {
        s_old_level_t *level = side->levels + side->head + index;
        level->price = price;
        level->qty = qty;
        return 0;
    }
    int rc = s_old_side_insert (side, index, price, qty);
    if (rc)
        return rc;
    s_old_side_truncate (side, self->depth_cap);
    return 0;
}

//  --------------------------------------------------------------------------
//  The previous vb_book_clear.

static void
s_old_clear (struct s_old_book *self)
{
    self->bids.count = 0;
    self->bids.head = self->bids.capacity / 2;
    self->asks.count = 0;
    self->asks.head = self->asks.capacity / 2;
}

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
//  Timed baseline: the same with the previous vb_book.

static void
s_bench_old (void *arg, size_t iterations)
{
    s_input_t *input = arg;
    uint64_t sink = 0;
    for (size_t done = 0; done < iterations;) {
        s_old_clear (input->old);
        for (size_t index = 0; index < input->snapshot_end; index++)
            s_old_set (input->old, input->levels[index].side, input->levels[index].price,
                       input->levels[index].qty);
        size_t start = input->snapshot_end;
        for (size_t diff = 0; diff < input->diff_count && done < iterations; diff++, done++) {
            for (size_t index = start; index < input->diff_end[diff]; index++)
                s_old_set (input->old, input->levels[index].side, input->levels[index].price,
                           input->levels[index].qty);
            start = input->diff_end[diff];
        }
        sink += input->old->bids.count;
    }
    vb_bench_sink (sink);
}

//  --------------------------------------------------------------------------
//  Timed baseline: the previous vb_book's snapshot reload alone.

static void
s_bench_old_reload (void *arg, size_t iterations)
{
    s_input_t *input = arg;
    uint64_t sink = 0;
    for (size_t done = 0; done < iterations; done += input->diff_count) {
        s_old_clear (input->old);
        for (size_t index = 0; index < input->snapshot_end; index++)
            s_old_set (input->old, input->levels[index].side, input->levels[index].price,
                       input->levels[index].qty);
        sink += input->old->bids.count;
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

//  --------------------------------------------------------------------------
//  True when vb_book and the previous vb_book hold the same levels, with
//  the same text, on both sides.

static bool
s_books_agree (s_input_t *input)
{
    for (int side_index = 0; side_index < 2; side_index++) {
        vb_book_side_t side = side_index ? VB_BOOK_ASK : VB_BOOK_BID;
        s_old_side_t *old = side_index ? &input->old->asks : &input->old->bids;
        if (vb_book_count (input->book, side) != old->count)
            return false;
        for (size_t index = 0; index < old->count; index++) {
            const s_old_level_t *level = old->levels + old->head + old->count - 1 - index;
            vb_decimal_t price, qty;
            if (vb_book_level (input->book, side, index, &price, &qty) != 0 ||
                price.mantissa != level->price.mantissa ||
                price.exponent != level->price.exponent || qty.mantissa != level->qty.mantissa ||
                qty.exponent != level->qty.exponent)
                return false;
        }
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Print the net diff-apply figures of one implementation; returns ns per
//  message.

static double
s_report_net (const char *name, vb_bench_result_t total, vb_bench_result_t reload,
              double levels_per_diff)
{
    double net = total.median_ns - reload.median_ns;
    printf ("net diff apply, %s: %.0f ns/message, %.1f ns/level, %.0f messages/s\n", name, net,
            net / levels_per_diff, 1e9 / net);
    return net;
}

int
main (int argc, char *argv[])
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
    input.old = calloc (1, sizeof (struct s_old_book));
    input.naive = calloc (1, sizeof (struct s_naive));
    if (!input.book || !input.old || !input.naive)
        return 1;
    input.old->bids.direction = 1;
    input.old->asks.direction = -1;
    input.old->depth_cap = S_BOOK_CAP;
    if (argc > 1 && strcmp (argv[1], "profile") == 0) {
        s_bench_book (&input, input.diff_count * S_PROFILE_PASSES);
        vb_book_destroy (&input.book);
        return 0;
    }
    size_t diff_levels = input.level_count - input.snapshot_end;
    double levels_per_diff = (double)diff_levels / (double)input.diff_count;
    printf ("input: snapshot of %zu levels, %zu diffs, %zu diff levels (%.1f per message)\n",
            input.snapshot_end, input.diff_count, diff_levels, levels_per_diff);

    //  The books must agree after a full pass.
    s_bench_book (&input, input.diff_count);
    s_bench_old (&input, input.diff_count);
    s_bench_naive (&input, input.diff_count);
    if (!s_books_agree (&input) ||
        vb_book_count (input.book, VB_BOOK_BID) != input.naive->count[0] ||
        vb_book_count (input.book, VB_BOOK_ASK) != input.naive->count[1]) {
        fprintf (stderr, "bench_book: the books disagree\n");
        return 1;
    }
    printf ("final book: %zu bids, %zu asks (all three implementations; vb_book and the "
            "previous vb_book level for level)\n",
            vb_book_count (input.book, VB_BOOK_BID), vb_book_count (input.book, VB_BOOK_ASK));

    vb_bench_calibrate ();
    size_t iterations = input.diff_count * S_PASSES;
    vb_bench_result_t naive = vb_bench_run ("naive best-first array: reload + diffs", s_bench_naive,
                                            &input, iterations, 0);
    vb_bench_result_t old = vb_bench_run ("previous vb_book (slack array): reload + diffs",
                                          s_bench_old, &input, iterations, 0);
    vb_bench_result_t book =
        vb_bench_run ("vb_book: reload + diffs", s_bench_book, &input, iterations, 0);
    vb_bench_result_t naive_reload = vb_bench_run ("naive best-first array: reload only",
                                                   s_bench_naive_reload, &input, iterations, 0);
    vb_bench_result_t old_reload = vb_bench_run ("previous vb_book (slack array): reload only",
                                                 s_bench_old_reload, &input, iterations, 0);
    vb_bench_result_t book_reload =
        vb_bench_run ("vb_book: reload only", s_bench_book_reload, &input, iterations, 0);
    vb_bench_ratio ("vb_book reload + diffs vs naive", book, naive);
    vb_bench_ratio ("vb_book reload + diffs vs previous vb_book", book, old);
    double naive_net = s_report_net ("naive", naive, naive_reload, levels_per_diff);
    double old_net = s_report_net ("previous vb_book", old, old_reload, levels_per_diff);
    double book_net = s_report_net ("vb_book", book, book_reload, levels_per_diff);
    printf ("net diff apply: vb_book is %.2fx the naive book's speed, %.2fx the previous "
            "vb_book's\n",
            naive_net / book_net, old_net / book_net);
    vb_book_destroy (&input.book);
    free (input.old->bids.levels);
    free (input.old->asks.levels);
    free (input.old);
    free (input.naive);
    free (input.diff_end);
    free (input.levels);
    free (buffer);
    return 0;
}
