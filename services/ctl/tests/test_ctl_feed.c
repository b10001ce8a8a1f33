/*  test_ctl_feed.c — ctl_feed: envelopes published on an in-process bus go
    through vb_sub into the model (snapshot + deltas -> top of book; a seq
    jump -> a gap and a recovering book; a snapshot on the bus -> synced).

    The test's XPUB socket plays the bus: it binds inproc, waits for the
    feed's subscription to arrive (so nothing is published before the feed
    listens, without a sleep), then publishes.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>

#include "ctl_feed.h"
#include "ctl_test_msgs.h"
#include "vb_clock.h"

#define BUS     "inproc://ctl-feed-test"
#define TOPIC   "md.binance.BTC-USDT.book"
#define WAIT_MS 5000

//  Wait for the first subscription message on the XPUB.
static void
s_wait_subscribed (zsock_t *xpub)
{
    zpoller_t *poller = zpoller_new (xpub, NULL);
    cr_assert (zpoller_wait (poller, WAIT_MS) == xpub, "feed never subscribed");
    zframe_t *frame = zframe_recv (xpub);
    cr_assert (frame && zframe_size (frame) > 0 && zframe_data (frame)[0] == 1);
    zframe_destroy (&frame);
    zpoller_destroy (&poller);
}

//  Pump the feed until the book row satisfies `done` or time runs out.
static const ctl_book_row_t *
s_pump_until (ctl_feed_t *feed, ctl_model_t *model, bool (*done) (const ctl_book_row_t *))
{
    int64_t deadline = vb_clock_now_mono_ns () + (int64_t)WAIT_MS * 1000000;
    while (vb_clock_now_mono_ns () < deadline) {
        cr_assert_geq (ctl_feed_pump (feed, 50, -1), 0);
        const ctl_book_row_t *row = ctl_model_book (model, 0);
        if (row && done (row))
            return row;
    }
    cr_assert_fail ("condition not reached");
    return NULL;
}

static bool
s_seq3 (const ctl_book_row_t *row)
{
    return row->last_seq == 3;
}

static bool
s_gap (const ctl_book_row_t *row)
{
    return row->gaps == 1;
}

static bool
s_seq6 (const ctl_book_row_t *row)
{
    return row->last_seq == 6;
}

//  The usage example, and the gap and recovery path.
Test (ctl_feed, keeps_top_of_book_and_sees_gaps)
{
    zsock_t *xpub = zsock_new_xpub ("@" BUS);
    cr_assert (xpub);
    ctl_model_t *model = ctl_model_new ();
    ctl_feed_t *feed = ctl_feed_new (BUS, model);
    cr_assert (feed);
    cr_assert_neq (ctl_feed_add_snapshot (feed, "no-equals-sign"), 0);
    cr_assert_neq (ctl_feed_add_snapshot (feed, "=tcp://127.0.0.1:1"), 0);
    s_wait_subscribed (xpub);

    //  seq 1 snapshot: bids 100.5 x 2, 100.4 x 1; asks 100.7 x 3, 100.9 x 1
    //  (prices at exponent -1, quantities at exponent 0).
    int64_t bid_price[] = {1005, 1004}, bid_qty[] = {2, 1};
    int64_t ask_price[] = {1007, 1009}, ask_qty[] = {3, 1};
    s_msg_t msg;
    s_msg_book (&msg, true, "binance", "BTC-USDT", 1, -1, 0, bid_price, bid_qty, 2, ask_price,
                ask_qty, 2);
    cr_assert_eq (vb_msg_send (xpub, TOPIC, &msg.envelope, 0), 0);
    //  seq 2 delta: a new best bid 100.6 x 15 (qty exponent -1: 1.5).
    int64_t d2_bid_price[] = {1006}, d2_bid_qty[] = {15};
    s_msg_book (&msg, false, "binance", "BTC-USDT", 2, -1, -1, d2_bid_price, d2_bid_qty, 1, NULL,
                NULL, 0);
    cr_assert_eq (vb_msg_send (xpub, TOPIC, &msg.envelope, 0), 0);
    //  seq 3 delta: the best ask 100.7 is removed (qty 0), 100.8 x 4 added.
    int64_t d3_ask_price[] = {1007, 1008}, d3_ask_qty[] = {0, 4};
    s_msg_book (&msg, false, "binance", "BTC-USDT", 3, -1, 0, NULL, NULL, 0, d3_ask_price,
                d3_ask_qty, 2);
    cr_assert_eq (vb_msg_send (xpub, TOPIC, &msg.envelope, 0), 0);

    //  By hand: best bid 100.6 x 1.5, best ask 100.8 x 4; 3 bids, 2 asks.
    const ctl_book_row_t *row = s_pump_until (feed, model, s_seq3);
    cr_assert (row->in_sync);
    cr_assert_eq (vb_decimal_cmp (row->bid_price, s_dec ("100.6")), 0);
    cr_assert_eq (vb_decimal_cmp (row->bid_qty, s_dec ("1.5")), 0);
    cr_assert_eq (vb_decimal_cmp (row->ask_price, s_dec ("100.8")), 0);
    cr_assert_eq (vb_decimal_cmp (row->ask_qty, s_dec ("4")), 0);
    cr_assert_eq (row->bid_levels, 3);
    cr_assert_eq (row->ask_levels, 2);
    cr_assert_eq (row->gaps, 0);

    //  seq 5 (4 was lost): a gap; the book is no longer trusted.
    int64_t d5_bid_price[] = {1001}, d5_bid_qty[] = {1};
    s_msg_book (&msg, false, "binance", "BTC-USDT", 5, -1, 0, d5_bid_price, d5_bid_qty, 1, NULL,
                NULL, 0);
    cr_assert_eq (vb_msg_send (xpub, TOPIC, &msg.envelope, 0), 0);
    row = s_pump_until (feed, model, s_gap);
    cr_assert_not (row->in_sync);

    //  seq 6: the gateway publishes a fresh snapshot; synced again.
    int64_t s6_bid_price[] = {1002}, s6_bid_qty[] = {7};
    int64_t s6_ask_price[] = {1003}, s6_ask_qty[] = {8};
    s_msg_book (&msg, true, "binance", "BTC-USDT", 6, -1, 0, s6_bid_price, s6_bid_qty, 1,
                s6_ask_price, s6_ask_qty, 1);
    cr_assert_eq (vb_msg_send (xpub, TOPIC, &msg.envelope, 0), 0);
    row = s_pump_until (feed, model, s_seq6);
    cr_assert (row->in_sync);
    cr_assert_eq (vb_decimal_cmp (row->bid_price, s_dec ("100.2")), 0);
    cr_assert_eq (vb_decimal_cmp (row->ask_price, s_dec ("100.3")), 0);
    cr_assert_eq (row->gaps, 1);

    ctl_feed_destroy (&feed);
    ctl_feed_destroy (&feed);
    ctl_model_destroy (&model);
    zsock_destroy (&xpub);
}
