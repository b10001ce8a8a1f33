/*  test_mm_quote.c — the market maker's quoting arithmetic.

    Every expected value is worked out by hand in the comment beside it.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <string.h>
#include "mm_quote.h"
#include "vb_error.h"

static vb_decimal_t
s_dec (const char *text)
{
    vb_decimal_t value;
    cr_assert_eq (vb_decimal_parse (text, strlen (text), &value), 0, "bad test decimal %s", text);
    return value;
}

static void
s_assert_dec (vb_decimal_t value, const char *text)
{
    char printed[VB_DECIMAL_TEXT_MAX];
    vb_decimal_format (value, printed, sizeof (printed));
    cr_assert_eq (vb_decimal_cmp (value, s_dec (text)), 0, "got %s, expected %s", printed, text);
}

Test (mm_quote, quotes_around_the_mid_on_the_tick)
{
    vb_decimal_t mid;
    //  (100.00 + 100.10) / 2 = 100.05
    cr_assert_eq (mm_quote_mid (s_dec ("100.00"), s_dec ("100.10"), &mid), 0);
    s_assert_dec (mid, "100.05");
    mm_quote_t quote;
    //  10 bps total, 5 each side: 100.05 x 0.0005 = 0.050025.
    //  bid 100.05 - 0.050025 = 99.999975, down to the cent: 99.99;
    //  ask 100.05 + 0.050025 = 100.100025, up to the cent: 100.11.
    cr_assert_eq (mm_quote_prices (mid, 10, s_dec ("0.01"), &quote), 0);
    cr_assert (quote.has_bid && quote.has_ask);
    s_assert_dec (quote.bid, "99.99");
    s_assert_dec (quote.ask, "100.11");
    //  The quote is expressed at the tick's scale.
    cr_assert_eq (quote.bid.exponent, -2);
}

Test (mm_quote, halves_an_odd_sum_exactly)
{
    vb_decimal_t mid;
    //  100.0 + 100.1 = 200.1 (2001 x 10^-1), half is 100.05.
    cr_assert_eq (mm_quote_mid (s_dec ("100.0"), s_dec ("100.1"), &mid), 0);
    s_assert_dec (mid, "100.05");
    //  1 + 2 = 3, half is 1.5.
    cr_assert_eq (mm_quote_mid (s_dec ("1"), s_dec ("2"), &mid), 0);
    s_assert_dec (mid, "1.5");
    //  Mixed scales: 0.5 + 0.75 = 1.25, half is 0.625.
    cr_assert_eq (mm_quote_mid (s_dec ("0.5"), s_dec ("0.75"), &mid), 0);
    s_assert_dec (mid, "0.625");
}

Test (mm_quote, refuses_crossed_locked_and_empty_prices)
{
    vb_decimal_t mid;
    cr_assert_eq (mm_quote_mid (s_dec ("101"), s_dec ("100"), &mid), VB_EINVAL);
    cr_assert_eq (mm_quote_mid (s_dec ("100"), s_dec ("100.00"), &mid), VB_EINVAL);
    cr_assert_eq (mm_quote_mid (s_dec ("0"), s_dec ("100"), &mid), VB_EINVAL);
    mm_quote_t quote;
    cr_assert_eq (mm_quote_prices (s_dec ("100"), 0, s_dec ("0.01"), &quote), VB_EINVAL);
    cr_assert_eq (
        mm_quote_prices (s_dec ("100"), MM_QUOTE_SPREAD_BPS_MAX + 1, s_dec ("0.01"), &quote),
        VB_EINVAL);
    cr_assert_eq (mm_quote_prices (s_dec ("100"), 10, s_dec ("0"), &quote), VB_EINVAL);
    cr_assert_eq (mm_quote_prices (s_dec ("-100"), 10, s_dec ("0.01"), &quote), VB_EINVAL);
}

Test (mm_quote, keeps_prices_already_on_the_tick)
{
    mm_quote_t quote;
    //  20 bps of 100 is 0.2, 0.1 each side: 99.9 and 100.1 exactly.
    cr_assert_eq (mm_quote_prices (s_dec ("100"), 20, s_dec ("0.1"), &quote), 0);
    s_assert_dec (quote.bid, "99.9");
    s_assert_dec (quote.ask, "100.1");
    //  2 bps of 65000.5 is 13.0001, 6.50005 each side: 64993.99995 down
    //  to 64993.9 and 65007.00005 up to 65007.1.
    cr_assert_eq (mm_quote_prices (s_dec ("65000.5"), 2, s_dec ("0.1"), &quote), 0);
    s_assert_dec (quote.bid, "64993.9");
    s_assert_dec (quote.ask, "65007.1");
}

Test (mm_quote, widens_to_a_coarse_tick)
{
    mm_quote_t quote;
    //  1 bp of 100.05 is 0.010005, half 0.0050025: 100.0449975 down to
    //  the unit tick is 100, 100.0550025 up is 101.
    cr_assert_eq (mm_quote_prices (s_dec ("100.05"), 1, s_dec ("1"), &quote), 0);
    s_assert_dec (quote.bid, "100");
    s_assert_dec (quote.ask, "101");
    //  A tick of 5: 1000 x (1 -+ 0.0005) = 999.5 and 1000.5; down to 995
    //  and up to 1005.
    cr_assert_eq (mm_quote_prices (s_dec ("1000"), 10, s_dec ("5"), &quote), 0);
    s_assert_dec (quote.bid, "995");
    s_assert_dec (quote.ask, "1005");
}

Test (mm_quote, drops_a_bid_that_rounds_to_zero)
{
    mm_quote_t quote;
    //  100 % spread of 0.0001: bid 0.00005 rounds down to 0, ask 0.00015
    //  rounds up to 0.0002.
    cr_assert_eq (mm_quote_prices (s_dec ("0.0001"), 10000, s_dec ("0.0001"), &quote), 0);
    cr_assert_not (quote.has_bid);
    cr_assert (quote.has_ask);
    s_assert_dec (quote.ask, "0.0002");
}

Test (mm_quote, reports_overflow_instead_of_rounding)
{
    mm_quote_t quote;
    //  A mid of 9e18 at a tick of 1e-30 is 9e48 ticks: no int64 holds it.
    vb_decimal_t mid = {9000000000000000000LL, 0};
    vb_decimal_t tick = {1, -30};
    cr_assert_eq (mm_quote_prices (mid, 10, tick, &quote), VB_EOVERFLOW);
    vb_decimal_t far_tick = {1, -40};
    vb_decimal_t far_mid = {1, 24};
    cr_assert_eq (mm_quote_prices (far_mid, 10, far_tick, &quote), VB_EOVERFLOW);
}

Test (mm_quote, detects_a_mid_move_beyond_the_threshold)
{
    //  5 bps of 100 is 0.05: a move of exactly 0.05 is not more than it.
    cr_assert_not (mm_quote_moved (s_dec ("100"), s_dec ("100.05"), 5));
    cr_assert (mm_quote_moved (s_dec ("100"), s_dec ("100.06"), 5));
    cr_assert (mm_quote_moved (s_dec ("100"), s_dec ("99.94"), 5));
    cr_assert_not (mm_quote_moved (s_dec ("100.00"), s_dec ("100"), 0));
    cr_assert (mm_quote_moved (s_dec ("100"), s_dec ("100.00001"), 0));
}

Test (mm_quote, stops_the_side_that_would_pass_the_position_limit)
{
    bool bid, ask;
    //  Flat, qty 1, limit 2: both sides fit.
    mm_quote_sides (s_dec ("0"), s_dec ("1"), s_dec ("2"), &bid, &ask);
    cr_assert (bid && ask);
    //  Long 1.5: buying 1 more makes 2.5 > 2; selling makes 0.5.
    mm_quote_sides (s_dec ("1.5"), s_dec ("1"), s_dec ("2"), &bid, &ask);
    cr_assert_not (bid);
    cr_assert (ask);
    //  Short 2: selling makes -3 < -2; buying makes -1.
    mm_quote_sides (s_dec ("-2"), s_dec ("1"), s_dec ("2"), &bid, &ask);
    cr_assert (bid);
    cr_assert_not (ask);
    //  Long exactly 1: buying 1 reaches the limit of 2, which is allowed.
    mm_quote_sides (s_dec ("1"), s_dec ("1"), s_dec ("2"), &bid, &ask);
    cr_assert (bid && ask);
    mm_quote_sides (s_dec ("0"), s_dec ("1"), s_dec ("0"), &bid, &ask);
    cr_assert_not (bid || ask);
}
