/*  test_vb_book.c — the L2 order book and its venue checksums.

    The checksum expectations are the official vectors in venues.md §3.3
    (Kraken K1, K2) and §4.3 (OKX O1, O2); other expectations are worked out
    by hand in the comments, or come from a naive reference model kept in
    this file.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "vb_book.h"
#include "vb_decimal.h"
#include "vb_error.h"

//  Parse a NUL-terminated decimal, asserting success.
static vb_decimal_t
s_dec (const char *text)
{
    vb_decimal_t value = {0, 0};
    int rc = vb_decimal_parse (text, strlen (text), &value);
    cr_assert_eq (rc, 0, "parse \"%s\": %d", text, rc);
    return value;
}

//  Set one level from text, asserting success.
static void
s_set (vb_book_t *book, vb_book_side_t side, const char *price, const char *qty)
{
    int rc = vb_book_set (book, side, s_dec (price), s_dec (qty));
    cr_assert_eq (rc, 0, "set %s %s: %d", price, qty, rc);
}

//  Assert the level `index` from the best reads back as exactly this text.
static void
s_expect_level (vb_book_t *book, vb_book_side_t side, size_t index, const char *price,
                const char *qty)
{
    vb_decimal_t level_price, level_qty;
    cr_assert_eq (vb_book_level (book, side, index, &level_price, &level_qty), 0,
                  "no level %zu on side %d", index, side);
    char text[VB_DECIMAL_TEXT_MAX];
    cr_assert_gt (vb_decimal_format (level_price, text, sizeof text), 0);
    cr_assert_str_eq (text, price, "level %zu price", index);
    cr_assert_gt (vb_decimal_format (level_qty, text, sizeof text), 0);
    cr_assert_str_eq (text, qty, "level %zu qty", index);
}

Test (vb_book, usage_example)
{
    vb_book_t *book = vb_book_new (1000);
    cr_assert_not_null (book);
    s_set (book, VB_BOOK_BID, "45283.5", "0.10000000");
    s_set (book, VB_BOOK_BID, "45281.0", "0.10000000");
    s_set (book, VB_BOOK_ASK, "45285.2", "0.00100000");
    s_set (book, VB_BOOK_ASK, "45286.4", "1.54571953");
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 2);
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 2);
    cr_assert_not (vb_book_crossed (book));

    //  The best level reads back with the venue's own scale.
    vb_decimal_t price, qty;
    cr_assert_eq (vb_book_best (book, VB_BOOK_BID, &price, &qty), 0);
    cr_assert_eq (vb_decimal_cmp (price, s_dec ("45283.5")), 0);
    s_expect_level (book, VB_BOOK_BID, 1, "45281.0", "0.10000000");
    s_expect_level (book, VB_BOOK_ASK, 0, "45285.2", "0.00100000");

    //  Zero deletes.
    s_set (book, VB_BOOK_ASK, "45285.2", "0.00000000");
    s_expect_level (book, VB_BOOK_ASK, 0, "45286.4", "1.54571953");
    vb_book_destroy (&book);
    cr_assert_null (book);
    vb_book_destroy (&book);
}

Test (vb_book, new_rejects_bad_depth_cap)
{
    cr_assert_null (vb_book_new (0));
    cr_assert_null (vb_book_new (VB_BOOK_DEPTH_MAX + 1));
    vb_book_t *book = vb_book_new (VB_BOOK_DEPTH_MAX);
    cr_assert_not_null (book);
    cr_assert_eq (vb_book_depth_cap (book), VB_BOOK_DEPTH_MAX);
    vb_book_destroy (&book);
}

Test (vb_book, keeps_each_side_best_first)
{
    vb_book_t *book = vb_book_new (100);
    //  Inserted out of order on purpose.
    const char *bids[] = {"100.5", "101", "99.25", "100.75", "98"};
    const char *asks[] = {"103", "102.5", "104.125", "102", "105"};
    for (size_t index = 0; index < 5; index++) {
        s_set (book, VB_BOOK_BID, bids[index], "1");
        s_set (book, VB_BOOK_ASK, asks[index], "2");
    }
    const char *bids_sorted[] = {"101", "100.75", "100.5", "99.25", "98"};
    const char *asks_sorted[] = {"102", "102.5", "103", "104.125", "105"};
    for (size_t index = 0; index < 5; index++) {
        s_expect_level (book, VB_BOOK_BID, index, bids_sorted[index], "1");
        s_expect_level (book, VB_BOOK_ASK, index, asks_sorted[index], "2");
    }
    cr_assert_eq (vb_book_level (book, VB_BOOK_BID, 5, NULL, NULL), VB_ENOTFOUND);
    cr_assert_eq (vb_book_level (book, VB_BOOK_SIDE_UNSET, 0, NULL, NULL), VB_EINVAL);
    cr_assert_eq (vb_book_level (book, (vb_book_side_t)7, 0, NULL, NULL), VB_EINVAL);
    vb_book_destroy (&book);
}

Test (vb_book, deletes_levels_and_ignores_absent_deletes)
{
    vb_book_t *book = vb_book_new (100);
    s_set (book, VB_BOOK_BID, "10", "1");
    s_set (book, VB_BOOK_BID, "9", "1");
    s_set (book, VB_BOOK_BID, "8", "1");
    //  Delete the middle, at a different scale: 9.000 is the level 9.
    s_set (book, VB_BOOK_BID, "9.000", "0");
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 2);
    s_expect_level (book, VB_BOOK_BID, 0, "10", "1");
    s_expect_level (book, VB_BOOK_BID, 1, "8", "1");
    //  Binance documents deletes for unknown levels as normal.
    s_set (book, VB_BOOK_BID, "7", "0.00000000");
    s_set (book, VB_BOOK_ASK, "11", "0");
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 2);
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 0);
    s_set (book, VB_BOOK_BID, "10", "0");
    s_set (book, VB_BOOK_BID, "8", "0");
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 0);
    cr_assert_eq (vb_book_best (book, VB_BOOK_BID, NULL, NULL), VB_ENOTFOUND);
    vb_book_destroy (&book);
}

Test (vb_book, replaces_a_level_with_the_new_text)
{
    vb_book_t *book = vb_book_new (100);
    s_set (book, VB_BOOK_ASK, "45281.0", "0.5");
    s_set (book, VB_BOOK_ASK, "45281.00", "0.25000");
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 1);
    //  The latest text is what the venue's checksum uses from now on.
    s_expect_level (book, VB_BOOK_ASK, 0, "45281.00", "0.25000");
    vb_decimal_t qty;
    cr_assert_eq (vb_book_qty (book, VB_BOOK_ASK, s_dec ("45281"), &qty), 0);
    cr_assert_eq (vb_decimal_cmp (qty, s_dec ("0.25")), 0);
    cr_assert_eq (vb_book_qty (book, VB_BOOK_ASK, s_dec ("45281.01"), &qty), VB_ENOTFOUND);
    cr_assert_eq (vb_book_qty (book, VB_BOOK_BID, s_dec ("45281"), &qty), VB_ENOTFOUND);
    vb_book_destroy (&book);
}

Test (vb_book, detects_crossed_and_locked_books)
{
    vb_book_t *book = vb_book_new (100);
    cr_assert_not (vb_book_crossed (book));  //  Empty
    s_set (book, VB_BOOK_BID, "100", "1");
    cr_assert_not (vb_book_crossed (book));  //  One side only
    s_set (book, VB_BOOK_ASK, "100.01", "1");
    cr_assert_not (vb_book_crossed (book));
    //  Locked (bid == ask) counts as crossed, across scales.
    s_set (book, VB_BOOK_BID, "100.0100", "1");
    cr_assert (vb_book_crossed (book));
    s_set (book, VB_BOOK_BID, "100.0100", "0");
    cr_assert_not (vb_book_crossed (book));
    s_set (book, VB_BOOK_BID, "101", "1");
    cr_assert (vb_book_crossed (book));
    vb_book_destroy (&book);
}

Test (vb_book, truncates_to_the_best_levels)
{
    vb_book_t *book = vb_book_new (100);
    char price[16];
    for (int index = 1; index <= 20; index++) {
        snprintf (price, sizeof price, "%d", index);
        s_set (book, VB_BOOK_BID, price, "1");
        snprintf (price, sizeof price, "%d", 100 + index);
        s_set (book, VB_BOOK_ASK, price, "1");
    }
    vb_book_truncate (book, 5);
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 5);
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 5);
    s_expect_level (book, VB_BOOK_BID, 0, "20", "1");
    s_expect_level (book, VB_BOOK_BID, 4, "16", "1");
    s_expect_level (book, VB_BOOK_ASK, 0, "101", "1");
    s_expect_level (book, VB_BOOK_ASK, 4, "105", "1");
    //  A larger depth changes nothing; the book still takes updates.
    vb_book_truncate (book, 50);
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 5);
    s_set (book, VB_BOOK_BID, "1", "1");
    s_expect_level (book, VB_BOOK_BID, 5, "1", "1");
    vb_book_truncate (book, 0);
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 0);
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 0);
    vb_book_destroy (&book);
}

Test (vb_book, depth_cap_drops_the_worst_level)
{
    vb_book_t *book = vb_book_new (3);
    s_set (book, VB_BOOK_ASK, "10", "1");
    s_set (book, VB_BOOK_ASK, "11", "1");
    s_set (book, VB_BOOK_ASK, "12", "1");
    //  Worse than every kept level: set, then dropped at once.
    s_set (book, VB_BOOK_ASK, "13", "1");
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 3);
    s_expect_level (book, VB_BOOK_ASK, 2, "12", "1");
    //  Better: kept, and 12 falls out.
    s_set (book, VB_BOOK_ASK, "9", "1");
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 3);
    s_expect_level (book, VB_BOOK_ASK, 0, "9", "1");
    s_expect_level (book, VB_BOOK_ASK, 2, "11", "1");
    cr_assert_eq (vb_book_qty (book, VB_BOOK_ASK, s_dec ("12"), NULL), VB_ENOTFOUND);
    vb_book_destroy (&book);
}

Test (vb_book, rejects_hostile_values_and_stays_unchanged)
{
    vb_book_t *book = vb_book_new (10);
    s_set (book, VB_BOOK_BID, "5", "1");
    cr_assert_eq (vb_book_set (book, VB_BOOK_BID, s_dec ("5"), s_dec ("-1")), VB_EINVAL);
    cr_assert_eq (vb_book_set (book, VB_BOOK_BID, s_dec ("0"), s_dec ("1")), VB_EINVAL);
    cr_assert_eq (vb_book_set (book, VB_BOOK_BID, s_dec ("-5"), s_dec ("1")), VB_EINVAL);
    cr_assert_eq (vb_book_set (book, VB_BOOK_BID, s_dec ("-5"), s_dec ("0")), VB_EINVAL);
    cr_assert_eq (vb_book_set (book, VB_BOOK_SIDE_UNSET, s_dec ("5"), s_dec ("1")), VB_EINVAL);
    cr_assert_eq (vb_book_set (book, (vb_book_side_t)3, s_dec ("5"), s_dec ("1")), VB_EINVAL);
    //  Values no venue text can produce: the checksums could not print them.
    cr_assert_eq (vb_book_set (book, VB_BOOK_BID, (vb_decimal_t){1, INT32_MAX}, s_dec ("1")),
                  VB_EINVAL);
    cr_assert_eq (vb_book_set (book, VB_BOOK_BID, s_dec ("6"), (vb_decimal_t){1, INT32_MIN}),
                  VB_EINVAL);
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 1);
    s_expect_level (book, VB_BOOK_BID, 0, "5", "1");
    //  Extremes that are valid are ordered exactly.
    cr_assert_eq (vb_book_set (book, VB_BOOK_BID,
                               (vb_decimal_t){INT64_MAX, VB_DECIMAL_EXPONENT_MAX},
                               (vb_decimal_t){INT64_MAX, 0}),
                  0);
    cr_assert_eq (vb_book_set (book, VB_BOOK_BID, (vb_decimal_t){1, VB_DECIMAL_EXPONENT_MIN},
                               (vb_decimal_t){1, VB_DECIMAL_EXPONENT_MIN}),
                  0);
    vb_decimal_t price;
    cr_assert_eq (vb_book_best (book, VB_BOOK_BID, &price, NULL), 0);
    cr_assert_eq (price.mantissa, INT64_MAX);
    cr_assert_eq (vb_book_level (book, VB_BOOK_BID, 2, &price, NULL), 0);
    cr_assert_eq (price.exponent, VB_DECIMAL_EXPONENT_MIN);
    //  And the checksums can still print every level.
    (void)vb_book_checksum_kraken (book);
    (void)vb_book_checksum_okx (book);
    vb_book_destroy (&book);
}

Test (vb_book, snapshot_replaces_a_side_in_any_order)
{
    vb_book_t *book = vb_book_new (3);
    s_set (book, VB_BOOK_BID, "1", "1");
    vb_decimal_t prices[] = {s_dec ("10"), s_dec ("12"), s_dec ("11"), s_dec ("9"), s_dec ("13")};
    vb_decimal_t qtys[] = {s_dec ("1"), s_dec ("2"), s_dec ("3"), s_dec ("0"), s_dec ("5")};
    cr_assert_eq (vb_book_snapshot (book, VB_BOOK_BID, prices, qtys, 5), 0);
    //  The cap keeps the best three; 1 from before is gone, 9 had qty 0.
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 3);
    s_expect_level (book, VB_BOOK_BID, 0, "13", "5");
    s_expect_level (book, VB_BOOK_BID, 1, "12", "2");
    s_expect_level (book, VB_BOOK_BID, 2, "11", "3");
    //  A bad level empties the side and is reported.
    qtys[2] = s_dec ("-3");
    cr_assert_eq (vb_book_snapshot (book, VB_BOOK_BID, prices, qtys, 5), VB_EINVAL);
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 0);
    cr_assert_eq (vb_book_snapshot (book, VB_BOOK_ASK, NULL, NULL, 0), 0);
    cr_assert_eq (vb_book_snapshot (book, VB_BOOK_ASK, NULL, qtys, 1), VB_EINVAL);
    vb_book_destroy (&book);
}

Test (vb_book, clear_empties_both_sides)
{
    vb_book_t *book = vb_book_new (10);
    s_set (book, VB_BOOK_BID, "1", "1");
    s_set (book, VB_BOOK_ASK, "2", "1");
    vb_book_clear (book);
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 0);
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 0);
    s_set (book, VB_BOOK_ASK, "3", "1");
    s_expect_level (book, VB_BOOK_ASK, 0, "3", "1");
    vb_book_destroy (&book);
}

//  A naive reference: sorted int arrays, best first, for the model test.
typedef struct {
    int64_t price[64];
    int64_t qty[64];
    size_t count;
} s_model_t;

static void
s_model_set (s_model_t *model, bool bid, int64_t price, int64_t qty)
{
    size_t index = 0;
    while (index < model->count &&
           (bid ? model->price[index] > price : model->price[index] < price))
        index++;
    bool found = index < model->count && model->price[index] == price;
    if (qty == 0) {
        if (found) {
            memmove (model->price + index, model->price + index + 1,
                     (model->count - index - 1) * sizeof (int64_t));
            memmove (model->qty + index, model->qty + index + 1,
                     (model->count - index - 1) * sizeof (int64_t));
            model->count--;
        }
        return;
    }
    if (found) {
        model->qty[index] = qty;
        return;
    }
    memmove (model->price + index + 1, model->price + index,
             (model->count - index) * sizeof (int64_t));
    memmove (model->qty + index + 1, model->qty + index, (model->count - index) * sizeof (int64_t));
    model->price[index] = price;
    model->qty[index] = qty;
    model->count++;
}

Test (vb_book, matches_a_naive_model_over_random_updates)
{
    //  64 distinct prices and a cap of 64 per side, so the model never
    //  truncates; a fixed seed keeps the run reproducible. Every 3rd update
    //  uses a different scale for the same price, to exercise exact compares.
    vb_book_t *book = vb_book_new (64);
    s_model_t models[2] = {{.count = 0}, {.count = 0}};
    srand (42);
    for (int step = 0; step < 20000; step++) {
        bool bid = rand () % 2;
        int64_t price = 1 + rand () % 64;
        int64_t qty = rand () % 3 == 0 ? 0 : 1 + rand () % 1000;
        vb_decimal_t price_decimal =
            step % 3 ? (vb_decimal_t){price, 0} : (vb_decimal_t){price * 100, -2};
        int rc = vb_book_set (book, bid ? VB_BOOK_BID : VB_BOOK_ASK, price_decimal,
                              (vb_decimal_t){qty, -3});
        cr_assert_eq (rc, 0);
        s_model_t *model = &models[bid ? 0 : 1];
        s_model_set (model, bid, price, qty);
        vb_book_side_t side = bid ? VB_BOOK_BID : VB_BOOK_ASK;
        cr_assert_eq (vb_book_count (book, side), model->count, "step %d", step);
        for (size_t index = 0; index < model->count; index++) {
            vb_decimal_t level_price, level_qty;
            cr_assert_eq (vb_book_level (book, side, index, &level_price, &level_qty), 0);
            cr_assert_eq (vb_decimal_cmp (level_price, (vb_decimal_t){model->price[index], 0}), 0,
                          "step %d index %zu", step, index);
            cr_assert_eq (level_qty.mantissa, model->qty[index]);
        }
    }
    vb_book_destroy (&book);
}

Test (vb_book, grows_past_its_first_buffer_in_both_directions)
{
    //  Worst-first then best-first inserts force recentring and growth at
    //  both ends: 1..2000 ascending then 4000..2001 descending.
    vb_book_t *book = vb_book_new (5000);
    char price[16];
    for (int index = 1; index <= 2000; index++) {
        snprintf (price, sizeof price, "%d", index);
        s_set (book, VB_BOOK_BID, price, "1");
    }
    for (int index = 4000; index > 2000; index--) {
        snprintf (price, sizeof price, "%d", index);
        s_set (book, VB_BOOK_BID, price, "1");
    }
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 4000);
    for (size_t index = 0; index < 4000; index++) {
        snprintf (price, sizeof price, "%zu", 4000 - index);
        s_expect_level (book, VB_BOOK_BID, index, price, "1");
    }
    vb_book_destroy (&book);
}

//  Load one side from text pairs given best first.
static void
s_load (vb_book_t *book, vb_book_side_t side, const char *levels[][2], size_t count)
{
    for (size_t index = 0; index < count; index++)
        s_set (book, side, levels[index][0], levels[index][1]);
}

//  Official Kraken WS v2 book (venues.md §3.3, K1).
static const char *s_k1_asks[][2] = {{"45285.2", "0.00100000"}, {"45286.4", "1.54571953"},
                                     {"45286.6", "1.54571109"}, {"45289.6", "1.54560911"},
                                     {"45290.2", "0.15890660"}, {"45291.8", "1.54553491"},
                                     {"45294.7", "0.04454749"}, {"45296.1", "0.35380000"},
                                     {"45297.5", "0.09945542"}, {"45299.5", "0.18772827"}};
static const char *s_k1_bids[][2] = {{"45283.5", "0.10000000"}, {"45283.4", "1.54582015"},
                                     {"45282.1", "0.10000000"}, {"45281.0", "0.10000000"},
                                     {"45280.3", "1.54592586"}, {"45279.0", "0.07990000"},
                                     {"45277.6", "0.03310103"}, {"45277.5", "0.30000000"},
                                     {"45277.3", "1.54602737"}, {"45276.6", "0.15445238"}};

Test (vb_book, kraken_checksum_matches_official_vector_k1)
{
    vb_book_t *book = vb_book_new (100);
    s_load (book, VB_BOOK_ASK, s_k1_asks, 10);
    s_load (book, VB_BOOK_BID, s_k1_bids, 10);
    cr_assert_eq (vb_book_checksum_kraken (book), 3310070434u);
    //  Levels beyond the top 10 do not take part.
    s_set (book, VB_BOOK_ASK, "45300.0", "9.00000000");
    s_set (book, VB_BOOK_BID, "45200.0", "9.00000000");
    cr_assert_eq (vb_book_checksum_kraken (book), 3310070434u);
    //  A change inside the top 10 does.
    s_set (book, VB_BOOK_BID, "45276.6", "0.15445239");
    cr_assert_neq (vb_book_checksum_kraken (book), 3310070434u);
    vb_book_destroy (&book);
}

Test (vb_book, kraken_checksum_matches_official_vector_k2)
{
    vb_book_t *book = vb_book_new (100);
    const char *asks[] = {"0.05005", "0.05010", "0.05015", "0.05020", "0.05025",
                          "0.05030", "0.05035", "0.05040", "0.05045", "0.05050"};
    const char *bids[] = {"0.05000", "0.04995", "0.04990", "0.04980", "0.04975",
                          "0.04970", "0.04965", "0.04960", "0.04955", "0.04950"};
    //  Inserted worst first, to show the order comes from the book.
    for (int index = 9; index >= 0; index--) {
        s_set (book, VB_BOOK_ASK, asks[index], "0.00000500");
        s_set (book, VB_BOOK_BID, bids[index], "0.00000500");
    }
    cr_assert_eq (vb_book_checksum_kraken (book), 974947235u);
    vb_book_destroy (&book);
}

Test (vb_book, kraken_v2_checksum_rescales_json_numbers_to_the_pair_precision)
{
    //  Kraken v2 sends numbers: 45281.0 may arrive as "45281" and 0.10000000
    //  as "0.1". At the pair's precision (price 1, qty 8) the checksum is K1.
    vb_book_t *book = vb_book_new (100);
    for (size_t index = 0; index < 10; index++) {
        vb_decimal_t price = s_dec (s_k1_asks[index][0]), qty = s_dec (s_k1_asks[index][1]);
        vb_decimal_t short_price, short_qty;
        //  Strip trailing zeros as a JSON number printer would.
        while (price.mantissa % 10 == 0 &&
               vb_decimal_rescale (price, price.exponent + 1, &short_price) == 0)
            price = short_price;
        while (qty.mantissa % 10 == 0 &&
               vb_decimal_rescale (qty, qty.exponent + 1, &short_qty) == 0)
            qty = short_qty;
        cr_assert_eq (vb_book_set (book, VB_BOOK_ASK, price, qty), 0);
        price = s_dec (s_k1_bids[index][0]);
        qty = s_dec (s_k1_bids[index][1]);
        while (price.mantissa % 10 == 0 &&
               vb_decimal_rescale (price, price.exponent + 1, &short_price) == 0)
            price = short_price;
        while (qty.mantissa % 10 == 0 &&
               vb_decimal_rescale (qty, qty.exponent + 1, &short_qty) == 0)
            qty = short_qty;
        cr_assert_eq (vb_book_set (book, VB_BOOK_BID, price, qty), 0);
    }
    s_expect_level (book, VB_BOOK_BID, 3, "45281", "0.1");
    //  Over the shortened text the checksum is wrong...
    cr_assert_neq (vb_book_checksum_kraken (book), 3310070434u);
    //  ...and at the instrument's precision it is the official value.
    uint32_t checksum = 0;
    cr_assert_eq (vb_book_checksum_kraken_scaled (book, -1, -8, &checksum), 0);
    cr_assert_eq (checksum, 3310070434u);
    //  A precision too coarse for a level cannot be used without rounding.
    cr_assert_eq (vb_book_checksum_kraken_scaled (book, 0, -8, &checksum), VB_EINVAL);
    vb_book_destroy (&book);
}

Test (vb_book, okx_checksum_matches_official_vector_o1)
{
    //  venues.md §4.3 O1: "3366.1:7:3366.8:9:3366:6:3368:8" -> -1881014294.
    vb_book_t *book = vb_book_new (400);
    s_set (book, VB_BOOK_BID, "3366.1", "7");
    s_set (book, VB_BOOK_BID, "3366", "6");
    s_set (book, VB_BOOK_ASK, "3366.8", "9");
    s_set (book, VB_BOOK_ASK, "3368", "8");
    cr_assert_eq (vb_book_checksum_okx (book), -1881014294);
    vb_book_destroy (&book);
}

Test (vb_book, okx_checksum_matches_official_vector_o2_with_uneven_sides)
{
    //  venues.md §4.3 O2: "3366.1:7:3366.8:9:3368:8:3372:8" -> 831078360.
    vb_book_t *book = vb_book_new (400);
    s_set (book, VB_BOOK_BID, "3366.1", "7");
    s_set (book, VB_BOOK_ASK, "3372", "8");
    s_set (book, VB_BOOK_ASK, "3366.8", "9");
    s_set (book, VB_BOOK_ASK, "3368", "8");
    cr_assert_eq (vb_book_checksum_okx (book), 831078360);
    vb_book_destroy (&book);
}

Test (vb_book, okx_checksum_of_empty_book_is_crc_of_empty_string)
{
    //  CRC32 of no bytes is 0 by definition.
    vb_book_t *book = vb_book_new (400);
    cr_assert_eq (vb_book_checksum_okx (book), 0);
    cr_assert_eq (vb_book_checksum_kraken (book), 0u);
    vb_book_destroy (&book);
}

//  A larger naive reference for the block tests: one side, best first,
//  integer prices at exponent 0, up to S_WIDE_MAX levels.
#define S_WIDE_MAX 4096
typedef struct {
    int64_t price[S_WIDE_MAX];
    int64_t qty[S_WIDE_MAX];
    size_t count;
} s_wide_t;

//  Apply one level to the wide model (same rules as s_model_set), then cap.
static void
s_wide_set (s_wide_t *model, bool bid, int64_t price, int64_t qty, size_t cap)
{
    size_t index = 0;
    while (index < model->count &&
           (bid ? model->price[index] > price : model->price[index] < price))
        index++;
    bool found = index < model->count && model->price[index] == price;
    if (qty == 0 || found) {
        if (found && qty)
            model->qty[index] = qty;
        else if (found) {
            memmove (model->price + index, model->price + index + 1,
                     (model->count - index - 1) * sizeof (int64_t));
            memmove (model->qty + index, model->qty + index + 1,
                     (model->count - index - 1) * sizeof (int64_t));
            model->count--;
        }
        return;
    }
    memmove (model->price + index + 1, model->price + index,
             (model->count - index) * sizeof (int64_t));
    memmove (model->qty + index + 1, model->qty + index, (model->count - index) * sizeof (int64_t));
    model->price[index] = price;
    model->qty[index] = qty;
    model->count++;
    if (model->count > cap)
        model->count = cap;  //  Drop the worst
}

//  Assert one side of the book equals the wide model, level for level.
static void
s_expect_wide (vb_book_t *book, vb_book_side_t side, const s_wide_t *model, int step)
{
    cr_assert_eq (vb_book_count (book, side), model->count, "step %d", step);
    for (size_t index = 0; index < model->count; index++) {
        vb_decimal_t price, qty;
        cr_assert_eq (vb_book_level (book, side, index, &price, &qty), 0);
        cr_assert_eq (vb_decimal_cmp (price, (vb_decimal_t){model->price[index], 0}), 0,
                      "step %d index %zu", step, index);
        cr_assert_eq (qty.mantissa, model->qty[index], "step %d index %zu", step, index);
    }
}

//  Set an integer price level on the book and the model together.
static void
s_wide_apply (vb_book_t *book, s_wide_t *model, bool bid, int64_t price, int64_t qty)
{
    cr_assert_eq (vb_book_set (book, bid ? VB_BOOK_BID : VB_BOOK_ASK, (vb_decimal_t){price, 0},
                               (vb_decimal_t){qty, 0}),
                  0);
    s_wide_set (model, bid, price, qty, vb_book_depth_cap (book));
}

Test (vb_book, splits_and_merges_blocks_at_every_boundary)
{
    //  Blocks hold 32 levels: fill both sides around 31, 32, 33, 64, 65 and
    //  200 levels from the worst end, the best end and the middle, then
    //  empty them every other level (merges) and from the ends.
    static s_wide_t model;
    const int64_t sizes[] = {31, 32, 33, 64, 65, 200};
    for (size_t size_index = 0; size_index < sizeof sizes / sizeof sizes[0]; size_index++) {
        int64_t size = sizes[size_index];
        for (int pattern = 0; pattern < 3; pattern++) {
            for (int bid = 0; bid < 2; bid++) {
                vb_book_t *book = vb_book_new (1000);
                model.count = 0;
                for (int64_t step = 0; step < size; step++) {
                    //  0: ascending prices, 1: descending, 2: from the middle out.
                    int64_t price = pattern == 0   ? 1 + step
                                    : pattern == 1 ? size - step
                                    : step % 2     ? size / 2 - step / 2
                                                   : size / 2 + 1 + step / 2;
                    s_wide_apply (book, &model, bid, price, 1 + step);
                }
                s_expect_wide (book, bid ? VB_BOOK_BID : VB_BOOK_ASK, &model, (int)size);
                //  Every other level out, then the rest from alternate ends.
                for (int64_t price = 1; price <= size; price += 2)
                    s_wide_apply (book, &model, bid, price, 0);
                s_expect_wide (book, bid ? VB_BOOK_BID : VB_BOOK_ASK, &model, (int)size);
                for (int64_t low = 2, high = size - size % 2; low <= high; low += 2, high -= 2) {
                    s_wide_apply (book, &model, bid, high, 0);
                    s_wide_apply (book, &model, bid, low, 0);
                    s_expect_wide (book, bid ? VB_BOOK_BID : VB_BOOK_ASK, &model, (int)low);
                }
                cr_assert_eq (vb_book_count (book, bid ? VB_BOOK_BID : VB_BOOK_ASK), 0);
                vb_book_destroy (&book);
            }
        }
    }
}

Test (vb_book, matches_a_naive_model_over_a_deep_book)
{
    //  Like the 64-level model test, over 1,500 prices so the book spans
    //  dozens of blocks, with lookups; a fixed seed keeps it reproducible.
    static s_wide_t models[2];
    models[0].count = models[1].count = 0;
    vb_book_t *book = vb_book_new (S_WIDE_MAX);
    srand (7);
    for (int step = 0; step < 60000; step++) {
        bool bid = rand () % 2;
        int64_t price = 1 + rand () % 1500;
        int64_t qty = rand () % 4 == 0 ? 0 : 1 + rand () % 1000;
        s_wide_apply (book, &models[bid ? 0 : 1], bid, price, qty);
        if (step % 5000 == 0 || step == 59999) {
            s_expect_wide (book, VB_BOOK_BID, &models[0], step);
            s_expect_wide (book, VB_BOOK_ASK, &models[1], step);
        }
        if (step % 7 == 0) {
            //  A lookup agrees with the model.
            const s_wide_t *model = &models[bid ? 0 : 1];
            int64_t probe = 1 + rand () % 1500, expected = 0;
            for (size_t index = 0; index < model->count; index++)
                if (model->price[index] == probe)
                    expected = model->qty[index];
            vb_decimal_t qty_found;
            int rc = vb_book_qty (book, bid ? VB_BOOK_BID : VB_BOOK_ASK, (vb_decimal_t){probe, 0},
                                  &qty_found);
            cr_assert_eq (rc, expected ? 0 : VB_ENOTFOUND, "step %d", step);
            if (expected)
                cr_assert_eq (qty_found.mantissa, expected);
        }
    }
    vb_book_destroy (&book);
}

Test (vb_book, depth_cap_and_truncate_cross_block_boundaries)
{
    //  A cap of 40 spans two blocks. New best levels push the worst out; new
    //  worst levels are dropped at once.
    static s_wide_t model;
    model.count = 0;
    vb_book_t *book = vb_book_new (40);
    for (int64_t price = 1; price <= 100; price++)
        s_wide_apply (book, &model, true, price, price);
    for (int64_t price = 50; price >= 1; price--)
        s_wide_apply (book, &model, true, price, 1);
    s_expect_wide (book, VB_BOOK_BID, &model, 0);
    //  Best is 100, worst kept is 61 (40 levels).
    s_expect_level (book, VB_BOOK_BID, 0, "100", "100");
    s_expect_level (book, VB_BOOK_BID, 39, "61", "61");
    //  Truncate inside a block, at a block edge, to one, then to nothing.
    const size_t depths[] = {33, 32, 31, 1, 0};
    for (size_t index = 0; index < sizeof depths / sizeof depths[0]; index++) {
        vb_book_truncate (book, depths[index]);
        model.count = depths[index];
        s_expect_wide (book, VB_BOOK_BID, &model, (int)depths[index]);
    }
    //  The emptied side takes updates again.
    s_wide_apply (book, &model, true, 7, 7);
    s_expect_wide (book, VB_BOOK_BID, &model, 7);
    vb_book_destroy (&book);
}

Test (vb_book, a_finer_scale_rescales_the_side_and_keeps_every_text)
{
    vb_book_t *book = vb_book_new (100);
    s_set (book, VB_BOOK_ASK, "101", "1");
    s_set (book, VB_BOOK_ASK, "100", "2");
    //  Finer than every level so far: 100.5 sits between 100 and 101.
    s_set (book, VB_BOOK_ASK, "100.5", "3");
    s_set (book, VB_BOOK_ASK, "100.25", "4");
    s_expect_level (book, VB_BOOK_ASK, 0, "100", "2");
    s_expect_level (book, VB_BOOK_ASK, 1, "100.25", "4");
    s_expect_level (book, VB_BOOK_ASK, 2, "100.5", "3");
    s_expect_level (book, VB_BOOK_ASK, 3, "101", "1");
    //  The same values at other scales find and replace those levels.
    s_set (book, VB_BOOK_ASK, "101.000", "5");
    s_expect_level (book, VB_BOOK_ASK, 3, "101.000", "5");
    vb_decimal_t qty;
    cr_assert_eq (vb_book_qty (book, VB_BOOK_ASK, s_dec ("100.50000"), &qty), 0);
    cr_assert_eq (qty.mantissa, 3);
    cr_assert_eq (vb_book_qty (book, VB_BOOK_ASK, s_dec ("1E+2"), &qty), 0);
    cr_assert_eq (qty.mantissa, 2);
    //  Finer than the side and not a level: absent, and deleting it is a no-op.
    cr_assert_eq (vb_book_qty (book, VB_BOOK_ASK, s_dec ("100.251"), NULL), VB_ENOTFOUND);
    s_set (book, VB_BOOK_ASK, "100.251", "0");
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 4);
    s_set (book, VB_BOOK_ASK, "100.2500", "0");
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 3);
    //  Kraken checksum text comes from each level's own scale: "100" "2",
    //  then "1005" "3", then "101000" "5" (no bids).
    cr_assert_eq (vb_book_checksum_kraken (book), (uint32_t)crc32 (0L,
                                                                   (const Bytef *)"100210053101000"
                                                                                  "5",
                                                                   16));
    vb_book_destroy (&book);
}

Test (vb_book, scales_too_far_apart_for_one_integer_still_compare_exactly)
{
    //  9e18 at exponent 0 cannot be rescaled to exponent -1 in an int64, and
    //  1e24 next to 1e-40 cannot share any exponent: the side then compares
    //  decimals exactly, in the same order.
    vb_book_t *book = vb_book_new (100);
    cr_assert_eq (
        vb_book_set (book, VB_BOOK_BID, (vb_decimal_t){9000000000000000000LL, 0}, s_dec ("1")), 0);
    s_set (book, VB_BOOK_BID, "0.5", "2");
    s_set (book, VB_BOOK_BID, "7", "3");
    cr_assert_eq (
        vb_book_set (book, VB_BOOK_BID, (vb_decimal_t){1, VB_DECIMAL_EXPONENT_MAX}, s_dec ("4")),
        0);
    cr_assert_eq (
        vb_book_set (book, VB_BOOK_BID, (vb_decimal_t){1, VB_DECIMAL_EXPONENT_MIN}, s_dec ("5")),
        0);
    s_set (book, VB_BOOK_BID, "7.0", "6");  //  Replaces 7
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 5);
    vb_decimal_t price, qty;
    const int64_t expected_qty[] = {4, 1, 6, 2, 5};  //  1e24, 9e18, 7.0, 0.5, 1e-40
    for (size_t index = 0; index < 5; index++) {
        cr_assert_eq (vb_book_level (book, VB_BOOK_BID, index, &price, &qty), 0);
        cr_assert_eq (qty.mantissa, expected_qty[index], "index %zu", index);
    }
    s_expect_level (book, VB_BOOK_BID, 2, "7.0", "6");
    cr_assert_eq (vb_book_qty (book, VB_BOOK_BID, s_dec ("0.50"), &qty), 0);
    cr_assert_eq (qty.mantissa, 2);
    s_set (book, VB_BOOK_BID, "0.500", "0");
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 4);
    //  Emptied, the side starts afresh with ordinary prices.
    vb_book_truncate (book, 0);
    s_set (book, VB_BOOK_BID, "10.5", "1");
    s_set (book, VB_BOOK_BID, "10.25", "2");
    s_expect_level (book, VB_BOOK_BID, 0, "10.5", "1");
    s_expect_level (book, VB_BOOK_BID, 1, "10.25", "2");
    vb_book_destroy (&book);
}
