/*  test_sim_engine.c — matching, holds, fees, validation, history, candles
    and seeded synthetic flow of the sim engine, on a manual clock.

    Instrument used throughout: BTC-USD with prices at 10^-2 and quantities
    at 10^-4, so notional is at 10^-6 and balances (10^-8) are notional x 100.
    Expected balances are worked out by hand in the comments.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim_engine.h"
#include "vb_error.h"

#define T0_NS INT64_C (1699999980000000000)  //  2023-11-14T22:13:00Z, a whole minute

static const vb_sim_instrument_t s_btc = {.symbol = "BTC-USD",
                                          .base = "BTC",
                                          .quote = "USD",
                                          .price_exponent = -2,
                                          .qty_exponent = -4,
                                          .tick = 1,
                                          .lot = 1,
                                          .min_qty = 1,
                                          .max_qty = 1000000,
                                          .min_notional = 10000000,  //  10 USD
                                          .start_price = 5000000};

typedef struct {
    vb_clock_t *clock;
    vb_sim_engine_t *engine;
    const vb_sim_instrument_t *btc;
} s_fixture_t;

static s_fixture_t
s_setup_policy (int64_t rate, uint64_t seed, vb_sim_fee_policy_t policy)
{
    s_fixture_t fixture;
    fixture.clock = vb_clock_new_manual (0, T0_NS);
    sim_engine_config_t config = SIM_ENGINE_CONFIG_DEFAULT;
    config.actions_per_s = rate;
    config.fee_policy = policy;
    fixture.engine = sim_engine_new (fixture.clock, seed, &config);
    cr_assert_not_null (fixture.engine);
    cr_assert_eq (sim_engine_add_instrument (fixture.engine, &s_btc), 0);
    fixture.btc = vb_sim_engine_instrument (fixture.engine, "BTC-USD");
    cr_assert_not_null (fixture.btc);
    cr_assert_eq (sim_engine_add_account (fixture.engine, "alice"), 0);
    cr_assert_eq (sim_engine_add_account (fixture.engine, "bob"), 0);
    cr_assert_eq (sim_engine_credit (fixture.engine, "alice", "BTC", INT64_C (200000000)), 0);
    cr_assert_eq (sim_engine_credit (fixture.engine, "bob", "USD", INT64_C (10000000000000)), 0);
    return fixture;
}

static s_fixture_t
s_setup (int64_t rate, uint64_t seed)
{
    return s_setup_policy (rate, seed, VB_SIM_FEE_QUOTE);
}

static void
s_teardown (s_fixture_t *fixture)
{
    sim_engine_destroy (&fixture->engine);
    vb_clock_destroy (&fixture->clock);
}

static void
s_balance (vb_sim_engine_t *engine, const char *account, const char *asset, int64_t *free,
           int64_t *locked)
{
    size_t count = vb_sim_engine_balance_count (engine, account);
    for (size_t i = 0; i < count; i++) {
        const char *name;
        int64_t f, l;
        cr_assert_eq (vb_sim_engine_balance_at (engine, account, i, &name, &f, &l), 0);
        if (strcmp (name, asset) == 0) {
            *free = f;
            *locked = l;
            return;
        }
    }
    cr_assert_fail ("no %s balance for %s", asset, account);
}

static vb_sim_result_t
s_limit (s_fixture_t *fixture, const char *account, vb_sim_side_t side, int64_t price, int64_t qty,
         vb_sim_tif_t tif, vb_sim_order_t *order)
{
    vb_sim_order_req_t request = {
        .side = side, .type = VB_SIM_LIMIT, .tif = tif, .price = price, .qty = qty};
    return vb_sim_engine_place (fixture->engine, account, fixture->btc, &request, order);
}

Test (sim_engine, matches_a_buy_against_a_resting_sell_with_fees_and_holds)
{
    s_fixture_t fixture = s_setup (0, 1);
    vb_sim_order_t sell, buy;
    //  Alice offers 1.0000 BTC at 50000.00: 1 BTC (10^8) moves to locked.
    cr_assert_eq (s_limit (&fixture, "alice", VB_SIM_SELL, 5000000, 10000, VB_SIM_GTC, &sell),
                  VB_SIM_OK);
    cr_assert_eq (sell.status, VB_SIM_NEW);
    cr_assert_eq (sell.order_id, 1);
    //  Bob bids 0.5000 at 50001.00 and trades 0.5 at the resting 50000.00.
    cr_assert_eq (s_limit (&fixture, "bob", VB_SIM_BUY, 5000100, 5000, VB_SIM_GTC, &buy),
                  VB_SIM_OK);
    cr_assert_eq (buy.status, VB_SIM_FILLED);
    cr_assert_eq (buy.filled, 5000);
    cr_assert_eq (buy.filled_notional, INT64_C (25000000000));  //  25000 USD at 10^-6

    int64_t free, locked;
    //  Bob pays 25000 + 0.1 % = 25025 USD; his hold is released in full.
    s_balance (fixture.engine, "bob", "USD", &free, &locked);
    cr_assert_eq (free, INT64_C (10000000000000) - INT64_C (2502500000000));
    cr_assert_eq (locked, 0);
    s_balance (fixture.engine, "bob", "BTC", &free, &locked);
    cr_assert_eq (free, 50000000);  //  0.5 BTC
    //  Alice receives 25000 - 25 USD, and 0.5 BTC stays locked for the rest.
    s_balance (fixture.engine, "alice", "USD", &free, &locked);
    cr_assert_eq (free, INT64_C (2497500000000));
    s_balance (fixture.engine, "alice", "BTC", &free, &locked);
    cr_assert_eq (free, 100000000);
    cr_assert_eq (locked, 50000000);

    const vb_sim_order_t *rest = vb_sim_engine_order (fixture.engine, "alice", 1, NULL);
    cr_assert_eq (rest->status, VB_SIM_PARTIALLY_FILLED);
    const vb_sim_fill_t *fill = vb_sim_engine_fill_at (fixture.engine, "alice", NULL, 0);
    cr_assert_not_null (fill);
    cr_assert (fill->maker);
    cr_assert_eq (fill->trade_id, 1);
    cr_assert_eq (fill->fee, 25000000);  //  25 USD at 10^-6
    cr_assert_eq (vb_sim_engine_trade_count (fixture.engine, fixture.btc), 1);
    cr_assert_eq (vb_sim_engine_trade_at (fixture.engine, fixture.btc, 0)->side, VB_SIM_BUY);

    vb_sim_level_t bids[4], asks[4];
    size_t bid_count, ask_count;
    //  Two actions changed levels: the sell rested, the buy took half of it.
    cr_assert_eq (
        vb_sim_engine_depth (fixture.engine, fixture.btc, 4, bids, &bid_count, asks, &ask_count),
        2);
    cr_assert_eq (bid_count, 0);
    cr_assert_eq (ask_count, 1);
    cr_assert_eq (asks[0].price, 5000000);
    cr_assert_eq (asks[0].qty, 5000);
    s_teardown (&fixture);
}

Test (sim_engine, fills_better_prices_first_then_older_orders_first)
{
    s_fixture_t fixture = s_setup (0, 1);
    cr_assert_eq (sim_engine_add_account (fixture.engine, "carol"), 0);
    cr_assert_eq (sim_engine_credit (fixture.engine, "carol", "BTC", 100000000), 0);
    vb_sim_order_t order;
    s_limit (&fixture, "alice", VB_SIM_SELL, 5000100, 1000, VB_SIM_GTC, &order);  //  id 1
    s_limit (&fixture, "carol", VB_SIM_SELL, 5000100, 1000, VB_SIM_GTC, &order);  //  id 2
    s_limit (&fixture, "carol", VB_SIM_SELL, 5000000, 1000, VB_SIM_GTC, &order);  //  id 3, best
    cr_assert_eq (s_limit (&fixture, "bob", VB_SIM_BUY, 5000100, 1500, VB_SIM_GTC, &order),
                  VB_SIM_OK);
    //  Id 3 (best price) fills 1000, then id 1 (older at 50001.00) fills 500.
    cr_assert_eq (vb_sim_engine_order (fixture.engine, "carol", 3, NULL)->status, VB_SIM_FILLED);
    cr_assert_eq (vb_sim_engine_order (fixture.engine, "alice", 1, NULL)->filled, 500);
    cr_assert_eq (vb_sim_engine_order (fixture.engine, "carol", 2, NULL)->filled, 0);
    cr_assert_eq (order.filled_notional, INT64_C (5000000) * 1000 + INT64_C (5000100) * 500);
    s_teardown (&fixture);
}

Test (sim_engine, refuses_orders_that_break_the_rules)
{
    s_fixture_t fixture = s_setup (0, 1);
    vb_sim_order_t order;
    cr_assert_eq (s_limit (&fixture, "nobody", VB_SIM_BUY, 5000000, 100, VB_SIM_GTC, &order),
                  VB_SIM_ERR_UNKNOWN_ACCOUNT);
    cr_assert_eq (s_limit (&fixture, "bob", VB_SIM_BUY, 0, 100, VB_SIM_GTC, &order),
                  VB_SIM_ERR_PRICE_FILTER);
    cr_assert_eq (s_limit (&fixture, "bob", VB_SIM_BUY, 5000000, 0, VB_SIM_GTC, &order),
                  VB_SIM_ERR_LOT_SIZE);
    cr_assert_eq (s_limit (&fixture, "bob", VB_SIM_BUY, 5000000, 2000000, VB_SIM_GTC, &order),
                  VB_SIM_ERR_LOT_SIZE);
    //  0.0001 BTC at 50000 is 5 USD, under the 10 USD minimum.
    cr_assert_eq (s_limit (&fixture, "bob", VB_SIM_BUY, 5000000, 1, VB_SIM_GTC, &order),
                  VB_SIM_ERR_MIN_NOTIONAL);
    //  Alice has no USD.
    cr_assert_eq (s_limit (&fixture, "alice", VB_SIM_BUY, 5000000, 100, VB_SIM_GTC, &order),
                  VB_SIM_ERR_INSUFFICIENT_BALANCE);
    vb_sim_order_req_t request = {.client_id = "c1",
                                  .side = VB_SIM_BUY,
                                  .type = VB_SIM_LIMIT,
                                  .tif = VB_SIM_GTC,
                                  .price = 4000000,
                                  .qty = 100};
    cr_assert_eq (vb_sim_engine_place (fixture.engine, "bob", fixture.btc, &request, &order),
                  VB_SIM_OK);
    cr_assert_str_eq (order.client_id, "c1");
    cr_assert_eq (vb_sim_engine_place (fixture.engine, "bob", fixture.btc, &request, &order),
                  VB_SIM_ERR_DUPLICATE_CLIENT_ID);
    vb_sim_order_req_t market = {
        .side = VB_SIM_SELL, .type = VB_SIM_MARKET, .tif = VB_SIM_IOC, .qty = 100};
    //  Nothing to sell into but bob's bid, so this market sell trades; a market
    //  buy finds no asks at all.
    market.side = VB_SIM_BUY;
    cr_assert_eq (vb_sim_engine_place (fixture.engine, "bob", fixture.btc, &market, &order),
                  VB_SIM_ERR_NO_LIQUIDITY);
    vb_sim_order_req_t maker = {.side = VB_SIM_SELL,
                                .type = VB_SIM_LIMIT,
                                .tif = VB_SIM_GTC,
                                .post_only = true,
                                .price = 4000000,
                                .qty = 100};
    cr_assert_eq (vb_sim_engine_place (fixture.engine, "alice", fixture.btc, &maker, &order),
                  VB_SIM_ERR_POST_ONLY_WOULD_TAKE);
    cr_assert_eq (s_limit (&fixture, "alice", VB_SIM_SELL, 4000000, 200, VB_SIM_FOK, &order),
                  VB_SIM_ERR_FOK_UNFILLABLE);
    cr_assert_eq (order.status, VB_SIM_EXPIRED);
    cr_assert_eq (order.filled, 0);
    //  The refused FOK left bob's bid untouched.
    cr_assert_eq (vb_sim_engine_order (fixture.engine, "bob", 0, "c1")->status, VB_SIM_NEW);
    //  Counted above: c1 and the FOK (recorded as EXPIRED) were accepted;
    //  the other nine refusals created no order.
    cr_assert_eq (sim_engine_orders_accepted (fixture.engine), 2);
    cr_assert_eq (sim_engine_orders_refused (fixture.engine), 9);
    s_teardown (&fixture);
}

Test (sim_engine, cancel_releases_the_hold_and_frees_the_client_id)
{
    s_fixture_t fixture = s_setup (0, 1);
    vb_sim_order_req_t request = {.client_id = "c1",
                                  .side = VB_SIM_BUY,
                                  .type = VB_SIM_LIMIT,
                                  .tif = VB_SIM_GTC,
                                  .price = 4000000,
                                  .qty = 10000};
    vb_sim_order_t order;
    cr_assert_eq (vb_sim_engine_place (fixture.engine, "bob", fixture.btc, &request, &order),
                  VB_SIM_OK);
    int64_t free, locked;
    //  40000 USD + 0.1 % = 40040 USD locked.
    s_balance (fixture.engine, "bob", "USD", &free, &locked);
    cr_assert_eq (locked, INT64_C (4004000000000));
    cr_assert_eq (vb_sim_engine_cancel (fixture.engine, "bob", fixture.btc, 0, "c1", &order),
                  VB_SIM_OK);
    cr_assert_eq (order.status, VB_SIM_CANCELED);
    s_balance (fixture.engine, "bob", "USD", &free, &locked);
    cr_assert_eq (locked, 0);
    cr_assert_eq (free, INT64_C (10000000000000));
    cr_assert_eq (vb_sim_engine_cancel (fixture.engine, "bob", fixture.btc, 0, "c1", &order),
                  VB_SIM_ERR_UNKNOWN_ORDER);
    cr_assert_eq (vb_sim_engine_place (fixture.engine, "bob", fixture.btc, &request, &order),
                  VB_SIM_OK);
    cr_assert_eq (vb_sim_engine_cancel_all (fixture.engine, "bob", NULL), 1);
    cr_assert_null (vb_sim_engine_order_at (fixture.engine, "bob", NULL, true, 0));
    cr_assert_not_null (vb_sim_engine_order_at (fixture.engine, "bob", NULL, false, 1));
    s_teardown (&fixture);
}

Test (sim_engine, ioc_remainder_expires_and_releases_its_hold)
{
    s_fixture_t fixture = s_setup (0, 1);
    vb_sim_order_t order;
    s_limit (&fixture, "alice", VB_SIM_SELL, 5000000, 1000, VB_SIM_GTC, &order);
    cr_assert_eq (s_limit (&fixture, "bob", VB_SIM_BUY, 5000000, 3000, VB_SIM_IOC, &order),
                  VB_SIM_OK);
    cr_assert_eq (order.status, VB_SIM_EXPIRED);
    cr_assert_eq (order.filled, 1000);
    int64_t free, locked;
    //  Paid 5000 USD + 5 USD fee for 0.1 BTC; nothing stays locked.
    s_balance (fixture.engine, "bob", "USD", &free, &locked);
    cr_assert_eq (locked, 0);
    cr_assert_eq (free, INT64_C (10000000000000) - INT64_C (500500000000));
    s_teardown (&fixture);
}

Test (sim_engine, builds_candles_for_any_interval_from_trades)
{
    s_fixture_t fixture = s_setup (0, 1);
    vb_sim_order_t order;
    //  Trades at T0+0s (50000.00), T0+30s (50010.00), T0+61s (49990.00).
    const int64_t prices[] = {5000000, 5001000, 4999000};
    const int64_t offsets_s[] = {0, 30, 61};
    int64_t at = 0;
    for (int i = 0; i < 3; i++) {
        vb_clock_advance (fixture.clock, (offsets_s[i] - at) * VB_NS_PER_SEC);
        at = offsets_s[i];
        s_limit (&fixture, "alice", VB_SIM_SELL, prices[i], 1000, VB_SIM_GTC, &order);
        s_limit (&fixture, "bob", VB_SIM_BUY, prices[i], 1000, VB_SIM_GTC, &order);
    }
    vb_sim_candle_t candles[4];
    size_t count =
        vb_sim_engine_candles (fixture.engine, fixture.btc, 60, 0, INT64_MAX, candles, 4);
    cr_assert_eq (count, 2);
    cr_assert_eq (candles[0].open_ns, T0_NS);
    cr_assert_eq (candles[0].open, 5000000);
    cr_assert_eq (candles[0].high, 5001000);
    cr_assert_eq (candles[0].low, 5000000);
    cr_assert_eq (candles[0].close, 5001000);
    cr_assert_eq (candles[0].volume, 2000);
    cr_assert_eq (candles[0].trades, 2);
    cr_assert_eq (candles[1].open_ns, T0_NS + 60 * VB_NS_PER_SEC);
    cr_assert_eq (candles[1].close, 4999000);
    count = vb_sim_engine_candles (fixture.engine, fixture.btc, 3600, 0, INT64_MAX, candles, 4);
    cr_assert_eq (count, 1);  //  T0 is 22:13:00, so all three fall in the 22:00 hour
    cr_assert_eq (candles[0].open_ns, T0_NS - 780 * VB_NS_PER_SEC);
    cr_assert_eq (candles[0].trades, 3);
    cr_assert_eq (vb_sim_engine_candles (fixture.engine, fixture.btc, 7, 0, INT64_MAX, candles, 4),
                  0);  //  7 s does not divide a day
    s_teardown (&fixture);
}

//  Records a digest of every event so two runs can be compared.
typedef struct {
    uint64_t hash;
    size_t events;
    uint64_t last_book_id;
    bool ids_consecutive;
} s_recorder_t;

static void
s_mix (s_recorder_t *recorder, uint64_t value)
{
    recorder->hash = (recorder->hash ^ value) * UINT64_C (0x100000001B3);
}

static void
s_record (void *arg, const vb_sim_event_t *event)
{
    s_recorder_t *recorder = arg;
    recorder->events++;
    s_mix (recorder, (uint64_t)event->kind);
    s_mix (recorder, (uint64_t)event->ts_ns);
    if (event->kind == VB_SIM_EVENT_BOOK) {
        if (event->book_update_id != recorder->last_book_id + 1)
            recorder->ids_consecutive = false;
        recorder->last_book_id = event->book_update_id;
        for (size_t i = 0; i < event->level_count; i++) {
            s_mix (recorder, (uint64_t)event->levels[i].price);
            s_mix (recorder, (uint64_t)event->levels[i].qty);
        }
    }
    if (event->kind == VB_SIM_EVENT_TRADE) {
        s_mix (recorder, (uint64_t)event->fill->price);
        s_mix (recorder, (uint64_t)event->fill->qty);
    }
}

static s_recorder_t
s_run_flow (uint64_t seed, bool check_book)
{
    s_fixture_t fixture = s_setup (200, seed);
    s_recorder_t recorder = {.hash = UINT64_C (0xcbf29ce484222325), .ids_consecutive = true};
    sim_engine_set_listener (fixture.engine, s_record, &recorder);
    sim_engine_flow (fixture.engine);
    for (int step = 0; step < 500; step++) {
        vb_clock_advance (fixture.clock, 10 * VB_NS_PER_MS);
        sim_engine_flow (fixture.engine);
        if (check_book) {
            vb_sim_level_t bids[64], asks[64];
            size_t bid_count, ask_count;
            vb_sim_engine_depth (fixture.engine, fixture.btc, 64, bids, &bid_count, asks,
                                 &ask_count);
            cr_assert_geq (bid_count, 20, "step %d", step);
            cr_assert_geq (ask_count, 20, "step %d", step);
            cr_assert_lt (bids[0].price, asks[0].price, "crossed at step %d", step);
        }
    }
    cr_assert_gt (vb_sim_engine_trade_count (fixture.engine, fixture.btc), 0);
    s_teardown (&fixture);
    return recorder;
}

Test (sim_engine, synthetic_flow_keeps_a_deep_uncrossed_book)
{
    s_recorder_t run = s_run_flow (7, true);
    cr_assert (run.ids_consecutive);
    cr_assert_gt (run.events, 500);
}

//  Count the trades the engine prints (its trade history is a ring).
static void
s_count_trades (void *arg, const vb_sim_event_t *event)
{
    if (event->kind == VB_SIM_EVENT_TRADE)
        (*(size_t *)arg)++;
}

//  A calm market must not wander off its own book: once the mid had walked
//  past the opposite best, every maker order on one side was pinned one tick
//  behind it, that side could not hold target_levels distinct levels, and
//  with the refill taking every action the flow never traded again (seed 7
//  at 2000 actions a second went quiet within seconds). Over a long run at
//  a brisk rate, every simulated second prints trades and both sides stay
//  deep and uncrossed.
Test (sim_engine, calm_flow_keeps_trading_over_a_long_run)
{
    const int64_t rate = 2000, seconds = 60, steps_per_s = 100;
    const uint64_t seeds[] = {7, 1, 42};
    for (size_t seed = 0; seed < sizeof seeds / sizeof seeds[0]; seed++) {
        s_fixture_t fixture = s_setup (rate, seeds[seed]);
        size_t printed = 0, trades = 0;
        sim_engine_set_listener (fixture.engine, s_count_trades, &printed);
        sim_engine_flow (fixture.engine);
        for (int64_t second = 0; second < seconds; second++) {
            for (int64_t step = 0; step < steps_per_s; step++) {
                vb_clock_advance (fixture.clock, VB_NS_PER_SEC / steps_per_s);
                sim_engine_flow (fixture.engine);
            }
            vb_sim_level_t bids[64], asks[64];
            size_t bid_count, ask_count;
            vb_sim_engine_depth (fixture.engine, fixture.btc, 64, bids, &bid_count, asks,
                                 &ask_count);
            cr_assert_gt (printed, trades, "seed %" PRIu64 ": no trade in second %" PRId64,
                          seeds[seed], second + 1);
            trades = printed;
            cr_assert_geq (bid_count, 20, "seed %" PRIu64 " second %" PRId64, seeds[seed],
                           second + 1);
            cr_assert_geq (ask_count, 20, "seed %" PRIu64 " second %" PRId64, seeds[seed],
                           second + 1);
            cr_assert_lt (bids[0].price, asks[0].price);
        }
        s_teardown (&fixture);
    }
}

Test (sim_engine, the_same_seed_replays_the_same_events)
{
    s_recorder_t first = s_run_flow (42, false);
    s_recorder_t second = s_run_flow (42, false);
    s_recorder_t other = s_run_flow (43, false);
    cr_assert_eq (first.events, second.events);
    cr_assert_eq (first.hash, second.hash);
    cr_assert_neq (first.hash, other.hash);
}

Test (sim_engine, refuses_bad_instruments_and_duplicates)
{
    s_fixture_t fixture = s_setup (0, 1);
    vb_sim_instrument_t bad = s_btc;
    cr_assert_eq (sim_engine_add_instrument (fixture.engine, &bad), VB_EEXIST);
    snprintf (bad.symbol, sizeof bad.symbol, "ETH-USD");
    bad.tick = 0;
    cr_assert_eq (sim_engine_add_instrument (fixture.engine, &bad), VB_EINVAL);
    bad.tick = 3;
    cr_assert_eq (sim_engine_add_instrument (fixture.engine, &bad), VB_EINVAL);  //  start % tick
    cr_assert_eq (sim_engine_add_account (fixture.engine, SIM_ENGINE_MM_ACCOUNT), VB_EINVAL);
    cr_assert_eq (sim_engine_credit (fixture.engine, "bob", "USD", INT64_MIN), VB_EINVAL);
    s_teardown (&fixture);
}

Test (sim_engine, charges_fees_in_the_asset_received_under_that_policy)
{
    //  Binance: a buy pays in the base it receives, a sell in the quote.
    s_fixture_t fixture = s_setup_policy (0, 1, VB_SIM_FEE_RECEIVED);
    vb_sim_order_t order;
    int64_t free, locked;
    //  Bob bids 0.5000 at 49000.00: exactly 24500 USD locked, no fee on top.
    cr_assert_eq (s_limit (&fixture, "bob", VB_SIM_BUY, 4900000, 5000, VB_SIM_GTC, &order),
                  VB_SIM_OK);
    s_balance (fixture.engine, "bob", "USD", &free, &locked);
    cr_assert_eq (locked, INT64_C (2450000000000));
    cr_assert_eq (free, INT64_C (10000000000000) - INT64_C (2450000000000));
    //  Alice sells 0.2000 into it: 9800 USD of notional, 0.1 % fee.
    cr_assert_eq (s_limit (&fixture, "alice", VB_SIM_SELL, 4900000, 2000, VB_SIM_GTC, &order),
                  VB_SIM_OK);
    cr_assert_eq (order.status, VB_SIM_FILLED);
    //  Bob: 0.2 - 0.0002 = 0.1998 BTC; 9800 USD left the hold, which now
    //  covers exactly the remaining 0.3 x 49000 = 14700 USD.
    s_balance (fixture.engine, "bob", "BTC", &free, &locked);
    cr_assert_eq (free, 19980000);
    s_balance (fixture.engine, "bob", "USD", &free, &locked);
    cr_assert_eq (locked, INT64_C (1470000000000));
    cr_assert_eq (free, INT64_C (10000000000000) - INT64_C (2450000000000));
    //  Alice: 9800 - 9.8 = 9790.2 USD; 2 - 0.2 = 1.8 BTC.
    s_balance (fixture.engine, "alice", "USD", &free, &locked);
    cr_assert_eq (free, INT64_C (979020000000));
    s_balance (fixture.engine, "alice", "BTC", &free, &locked);
    cr_assert_eq (free, 180000000);
    cr_assert_eq (locked, 0);
    const vb_sim_fill_t *fill = vb_sim_engine_fill_at (fixture.engine, "bob", NULL, 0);
    cr_assert (fill->fee_in_base);
    cr_assert_eq (fill->fee_base, 20000);  //  0.0002 BTC at 10^-8
    cr_assert_eq (fill->fee, 9800000);     //  Its quote value, 9.8 USD at 10^-6
    fill = vb_sim_engine_fill_at (fixture.engine, "alice", NULL, 0);
    cr_assert_not (fill->fee_in_base);
    cr_assert_eq (fill->fee_base, 0);
    cr_assert_eq (fill->fee, 9800000);
    //  Cancel: the whole remaining hold comes back, 100000 USD free again.
    cr_assert_eq (vb_sim_engine_cancel (fixture.engine, "bob", fixture.btc, 1, NULL, &order),
                  VB_SIM_OK);
    s_balance (fixture.engine, "bob", "USD", &free, &locked);
    cr_assert_eq (locked, 0);
    cr_assert_eq (free, INT64_C (10000000000000) - INT64_C (980000000000));
    s_teardown (&fixture);
}

Test (sim_engine, charges_fees_in_the_asset_given_under_that_policy)
{
    //  Kraken: a sell pays in the base (fcib), a buy in the quote (fciq),
    //  unless the order says otherwise.
    s_fixture_t fixture = s_setup_policy (0, 1, VB_SIM_FEE_SPENT);
    vb_sim_order_t order;
    int64_t free, locked;
    //  Alice offers 1 BTC at 50000.00: 1 BTC + 0.1 % = 1.001 BTC held.
    cr_assert_eq (s_limit (&fixture, "alice", VB_SIM_SELL, 5000000, 10000, VB_SIM_GTC, &order),
                  VB_SIM_OK);
    s_balance (fixture.engine, "alice", "BTC", &free, &locked);
    cr_assert_eq (locked, 100100000);
    cr_assert_eq (free, 99900000);
    //  Bob takes 0.5 at 50000: pays 25000 + 25 USD, receives 0.5 BTC.
    cr_assert_eq (s_limit (&fixture, "bob", VB_SIM_BUY, 5000100, 5000, VB_SIM_GTC, &order),
                  VB_SIM_OK);
    cr_assert_eq (order.status, VB_SIM_FILLED);
    s_balance (fixture.engine, "bob", "USD", &free, &locked);
    cr_assert_eq (free, INT64_C (10000000000000) - INT64_C (2502500000000));
    cr_assert_eq (locked, 0);
    s_balance (fixture.engine, "bob", "BTC", &free, &locked);
    cr_assert_eq (free, 50000000);
    //  Alice receives the full 25000 USD; 0.5 + 0.0005 BTC left her hold,
    //  which covers the remaining 0.5 + 0.0005.
    s_balance (fixture.engine, "alice", "USD", &free, &locked);
    cr_assert_eq (free, INT64_C (2500000000000));
    s_balance (fixture.engine, "alice", "BTC", &free, &locked);
    cr_assert_eq (locked, 50050000);
    cr_assert_eq (free, 99900000);
    const vb_sim_fill_t *fill = vb_sim_engine_fill_at (fixture.engine, "alice", NULL, 0);
    cr_assert (fill->fee_in_base);
    cr_assert_eq (fill->fee_base, 50000);  //  0.0005 BTC
    cr_assert_not (vb_sim_engine_fill_at (fixture.engine, "bob", NULL, 0)->fee_in_base);
    //  An order's own choice: fee in the quote holds the quantity alone.
    vb_sim_order_req_t request = {.side = VB_SIM_SELL,
                                  .type = VB_SIM_LIMIT,
                                  .tif = VB_SIM_GTC,
                                  .price = 6000000,
                                  .qty = 1000,
                                  .fee_pref = VB_SIM_FEE_PREF_QUOTE};
    cr_assert_eq (vb_sim_engine_place (fixture.engine, "alice", fixture.btc, &request, &order),
                  VB_SIM_OK);
    s_balance (fixture.engine, "alice", "BTC", &free, &locked);
    cr_assert_eq (locked, 50050000 + 10000000);
    request.fee_pref = 7;
    cr_assert_eq (vb_sim_engine_place (fixture.engine, "alice", fixture.btc, &request, &order),
                  VB_SIM_ERR_INVALID);
    //  Canceling both gives everything back: 2 - 0.5 - 0.0005 BTC.
    cr_assert_eq (vb_sim_engine_cancel_all (fixture.engine, "alice", NULL), 2);
    s_balance (fixture.engine, "alice", "BTC", &free, &locked);
    cr_assert_eq (locked, 0);
    cr_assert_eq (free, 149950000);
    s_teardown (&fixture);

    vb_clock_t *clock = vb_clock_new_manual (0, T0_NS);
    sim_engine_config_t config = SIM_ENGINE_CONFIG_DEFAULT;
    config.fee_policy = 3;  //  No such policy
    cr_assert_null (sim_engine_new (clock, 1, &config));
    vb_clock_destroy (&clock);
}
