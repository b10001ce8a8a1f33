/*  test_gw_core.c — the gateway core through its sink: books, deltas,
    sequences, validation and the snapshot reply, read back off a SUB socket.
    Expected values are worked out by hand in the comments.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>

#include "gw_core.h"
#include "vb_error.h"
#include "vb_log.h"
#include "vb_msg.h"

#define RECV_MS  2000
#define PROBE_MS 20

typedef struct {
    gw_settings_t settings;
    gw_core_t *core;
    const vb_md_sink_t *sink;
    zsock_t *sub;
    vb_msg_t *msg;
} s_fixture_t;

static int s_instance = 0;

//  Bind a SUB on inproc, start a core publishing to it, and wait until the
//  core's status heartbeats arrive (the subscription is then in place).
static void
s_setup (s_fixture_t *self)
{
    memset (self, 0, sizeof (*self));
    vb_log_set_level (VB_LOG_ERROR);
    gw_settings_t *settings = &self->settings;
    static char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://gw-core-test-%d", s_instance++);
    settings->venue = "sim";
    snprintf (settings->symbols[0], GW_NAME_MAX, "BTC-USDT");
    settings->symbol_count = 1;
    snprintf (settings->intervals[0], GW_NAME_MAX, "1m");
    settings->interval_count = 1;
    settings->bus = endpoint;
    settings->depth = 10;
    settings->hwm = 10000;
    settings->status_interval_ms = 100000;
    settings->max_deviation_bps = 2000;  //  20 %
    settings->ts_tolerance_ms = 0;
    settings->warnings_per_s = 10;
    self->sub = zsock_new (ZMQ_SUB);
    zsock_set_subscribe (self->sub, "");
    zsock_set_rcvtimeo (self->sub, RECV_MS);
    cr_assert_eq (zsock_bind (self->sub, "%s", endpoint), 0);
    self->core = gw_core_new (settings);
    cr_assert_not_null (self->core);
    self->sink = gw_core_sink (self->core);
    self->msg = vb_msg_new ();
    //  The first tick publishes the initial RESYNCING status; anomalies make
    //  the next ticks publish again, until one arrives.
    zpoller_t *poller = zpoller_new (self->sub, NULL);
    bool arrived = false;
    for (int i = 0; i < RECV_MS / PROBE_MS && !arrived; i++) {
        self->sink->anomaly (self->sink->ctx, "BTC-USDT", "warm-up");
        gw_core_tick (self->core);
        arrived = zpoller_wait (poller, PROBE_MS) != NULL;
    }
    zpoller_destroy (&poller);
    cr_assert (arrived, "no status heartbeat reached the subscriber");
    while (zsock_events (self->sub) & ZMQ_POLLIN)
        cr_assert_eq (vb_msg_recv (self->msg, self->sub, 0), 0);
}

static void
s_teardown (s_fixture_t *self)
{
    vb_msg_destroy (&self->msg);
    gw_core_destroy (&self->core);
    zsock_destroy (&self->sub);
}

//  Receive the next frame and return its envelope.
static const Venuebus__Envelope *
s_next (s_fixture_t *self)
{
    cr_assert_eq (vb_msg_recv (self->msg, self->sub, 0), 0, "nothing published");
    return vb_msg_envelope (self->msg);
}

static void
s_level (s_fixture_t *self, vb_book_side_t side, int64_t price, int32_t price_exponent, int64_t qty,
         int32_t qty_exponent)
{
    cr_assert_eq (self->sink->book_level (self->sink->ctx, "BTC-USDT", side,
                                          (vb_decimal_t){price, price_exponent},
                                          (vb_decimal_t){qty, qty_exponent}),
                  0);
}

//  A book of bid 100 x 1 and ask 101 x 1, committed as a snapshot.
static void
s_sync (s_fixture_t *self)
{
    cr_assert_eq (self->sink->book_begin (self->sink->ctx, "BTC-USDT", true), 0);
    s_level (self, VB_BOOK_BID, 100, 0, 1, 0);
    s_level (self, VB_BOOK_ASK, 101, 0, 1, 0);
    cr_assert_eq (self->sink->book_commit (self->sink->ctx, "BTC-USDT", 7, 7, 1000), 0);
}

Test (gw_core, publishes_a_snapshot_then_synced_then_deltas_at_the_finest_exponents)
{
    s_fixture_t fx;
    s_setup (&fx);
    s_sync (&fx);
    const Venuebus__Envelope *envelope = s_next (&fx);
    cr_assert_str_eq (vb_msg_topic (fx.msg), "md.sim.BTC-USDT.book");
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT);
    cr_assert_eq (envelope->header->seq, 1);
    cr_assert_eq (envelope->book_snapshot->venue_seq, 7);
    cr_assert_eq (envelope->book_snapshot->depth, 10);
    cr_assert_eq (envelope->book_snapshot->n_bid_price, 1);
    cr_assert_eq (envelope->book_snapshot->bid_price[0], 100);
    envelope = s_next (&fx);
    cr_assert_str_eq (vb_msg_topic (fx.msg), "md.sim.BTC-USDT.status");
    cr_assert_eq (envelope->status->book_state, VENUEBUS__BOOK_STATE__SYNCED);

    //  Levels 100.5 x 2 and 100.25 x 0.125 on the bid, 101 removed on the
    //  ask: the finest exponents are -2 (price) and -3 (qty), so 100.5 is
    //  10050, 100.25 is 10025, 2 is 2000 and 0.125 is 125; the removal is
    //  101 -> 10100 with qty 0.
    cr_assert_eq (fx.sink->book_begin (fx.sink->ctx, "BTC-USDT", false), 0);
    s_level (&fx, VB_BOOK_BID, 1005, -1, 2, 0);
    s_level (&fx, VB_BOOK_BID, 10025, -2, 125, -3);
    s_level (&fx, VB_BOOK_ASK, 101, 0, 0, 0);
    s_level (&fx, VB_BOOK_ASK, 1015, -1, 3, 0);
    cr_assert_eq (fx.sink->book_commit (fx.sink->ctx, "BTC-USDT", 8, 9, 2000), 0);
    envelope = s_next (&fx);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_BOOK_DELTA);
    const Venuebus__BookDelta *delta = envelope->book_delta;
    cr_assert_eq (envelope->header->seq, 2);
    cr_assert_eq (envelope->header->exchange_ts_ns, 2000);
    cr_assert_eq (delta->price_exponent, -2);
    cr_assert_eq (delta->qty_exponent, -3);
    cr_assert_eq (delta->n_bid_price, 2);
    cr_assert_eq (delta->bid_price[0], 10050);
    cr_assert_eq (delta->bid_qty[0], 2000);
    cr_assert_eq (delta->bid_price[1], 10025);
    cr_assert_eq (delta->bid_qty[1], 125);
    cr_assert_eq (delta->n_ask_price, 2);
    cr_assert_eq (delta->ask_price[0], 10100);
    cr_assert_eq (delta->ask_qty[0], 0);
    cr_assert_eq (delta->ask_price[1], 10150);
    cr_assert_eq (delta->ask_qty[1], 3000);
    cr_assert_eq (delta->venue_seq_first, 8);
    cr_assert_eq (delta->venue_seq_last, 9);
    s_teardown (&fx);
}

Test (gw_core, resyncs_a_crossed_book_and_never_publishes_it)
{
    s_fixture_t fx;
    s_setup (&fx);
    s_sync (&fx);
    s_next (&fx);  //  Snapshot
    s_next (&fx);  //  SYNCED
    //  A bid at 102 crosses the ask at 101.
    cr_assert_eq (fx.sink->book_begin (fx.sink->ctx, "BTC-USDT", false), 0);
    s_level (&fx, VB_BOOK_BID, 102, 0, 1, 0);
    cr_assert_eq (fx.sink->book_commit (fx.sink->ctx, "BTC-USDT", 8, 8, 2000), VB_ECROSSED);
    const Venuebus__Envelope *envelope = s_next (&fx);
    cr_assert_str_eq (vb_msg_topic (fx.msg), "md.sim.BTC-USDT.status");
    cr_assert_eq (envelope->status->book_state, VENUEBUS__BOOK_STATE__RESYNCING);
    cr_assert_str_eq (envelope->status->reason, "crossed");
    cr_assert_geq (envelope->status->anomalies, 1);
    //  The next commit after the resync is a snapshot again.
    s_sync (&fx);
    envelope = s_next (&fx);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT);
    cr_assert_eq (envelope->header->seq, 2, "the crossed change took no sequence number");
    s_teardown (&fx);
}

Test (gw_core, refuses_non_positive_levels_and_fails_the_commit)
{
    s_fixture_t fx;
    s_setup (&fx);
    cr_assert_eq (fx.sink->book_begin (fx.sink->ctx, "BTC-USDT", true), 0);
    cr_assert_eq (fx.sink->book_level (fx.sink->ctx, "BTC-USDT", VB_BOOK_BID, (vb_decimal_t){0, 0},
                                       (vb_decimal_t){1, 0}),
                  VB_EINVAL);
    cr_assert_eq (fx.sink->book_level (fx.sink->ctx, "BTC-USDT", VB_BOOK_ASK,
                                       (vb_decimal_t){101, 0}, (vb_decimal_t){-1, 0}),
                  VB_EINVAL);
    cr_assert_eq (fx.sink->book_commit (fx.sink->ctx, "BTC-USDT", 1, 1, 0), VB_EINVAL);
    cr_assert_not (gw_core_all_synced (fx.core));
    s_teardown (&fx);
}

Test (gw_core, drops_trades_far_from_mid_or_back_in_time_and_numbers_the_rest)
{
    s_fixture_t fx;
    s_setup (&fx);
    s_sync (&fx);
    s_next (&fx);
    s_next (&fx);
    //  Mid is 100.5; 20 % of it is 20.1, so 121 (20.5 away) is too far and
    //  120 (19.5 away) is not.
    vb_md_trade_t far = {.price = {121, 0}, .qty = {1, 0}, .trade_id = "1", .exchange_ts_ns = 10};
    vb_md_trade_t near = {.price = {120, 0}, .qty = {1, 0}, .trade_id = "2", .exchange_ts_ns = 10};
    vb_md_trade_t older = {.price = {100, 0}, .qty = {1, 0}, .trade_id = "3", .exchange_ts_ns = 9};
    vb_md_trade_t zero = {.price = {100, 0}, .qty = {0, 0}, .trade_id = "4", .exchange_ts_ns = 11};
    vb_md_trade_t next = {.price = {100, 0}, .qty = {1, 0}, .trade_id = "5", .exchange_ts_ns = 11};
    cr_assert_eq (fx.sink->trade (fx.sink->ctx, "BTC-USDT", &far), 0);
    cr_assert_eq (fx.sink->trade (fx.sink->ctx, "BTC-USDT", &near), 0);
    cr_assert_eq (fx.sink->trade (fx.sink->ctx, "BTC-USDT", &older), 0);
    cr_assert_eq (fx.sink->trade (fx.sink->ctx, "BTC-USDT", &zero), 0);
    cr_assert_eq (fx.sink->trade (fx.sink->ctx, "BTC-USDT", &next), 0);
    const Venuebus__Envelope *envelope = s_next (&fx);
    cr_assert_str_eq (vb_msg_topic (fx.msg), "md.sim.BTC-USDT.trade");
    cr_assert_str_eq (envelope->trade->trade_id, "2");
    cr_assert_eq (envelope->header->seq, 1);
    envelope = s_next (&fx);
    cr_assert_str_eq (envelope->trade->trade_id, "5");
    cr_assert_eq (envelope->header->seq, 2);
    //  Three anomalies are reported on the next status.
    gw_core_tick (fx.core);
    envelope = s_next (&fx);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_STATUS);
    cr_assert_geq (envelope->status->anomalies, 3);
    s_teardown (&fx);
}

Test (gw_core, marks_books_stale_while_the_session_reports_a_stale_stream)
{
    s_fixture_t fx;
    s_setup (&fx);
    s_sync (&fx);
    s_next (&fx);
    s_next (&fx);
    gw_core_set_break_reason (fx.core, "stale");
    fx.sink->book_resync (fx.sink->ctx, "BTC-USDT", "reconnect", 0, 0);
    gw_core_set_break_reason (fx.core, NULL);
    const Venuebus__Envelope *envelope = s_next (&fx);
    cr_assert_eq (envelope->status->book_state, VENUEBUS__BOOK_STATE__STALE);
    cr_assert_str_eq (envelope->status->reason, "stale");
    cr_assert_eq (envelope->status->reconnects, 1);
    s_teardown (&fx);
}

Test (gw_core, answers_snapshots_only_for_synced_books_of_its_shard)
{
    s_fixture_t fx;
    s_setup (&fx);
    static uint8_t buffer[VB_MSG_FRAME_MAX];
    const char *reason = NULL;
    cr_assert_eq (
        gw_core_snapshot (fx.core, "md.sim.BTC-USDT.book", buffer, sizeof buffer, &reason), -1);
    cr_assert_str_eq (reason, "not-synced");
    s_sync (&fx);
    cr_assert_eq (
        gw_core_snapshot (fx.core, "md.sim.ETH-USDT.book", buffer, sizeof buffer, &reason), -1);
    cr_assert_str_eq (reason, "unknown-topic");
    cr_assert_eq (gw_core_snapshot (fx.core, "garbage", buffer, sizeof buffer, &reason), -1);
    cr_assert_str_eq (reason, "unknown-topic");
    int length = gw_core_snapshot (fx.core, "md.sim.BTC-USDT.book", buffer, sizeof buffer, &reason);
    cr_assert_gt (length, 0);
    cr_assert_eq (vb_msg_decode (fx.msg, buffer, (size_t)length), 0);
    const Venuebus__Envelope *envelope = vb_msg_envelope (fx.msg);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT);
    cr_assert_eq (envelope->header->seq, 1, "the seq of the last book message published");
    cr_assert_eq (envelope->book_snapshot->ask_price[0], 101);
    s_teardown (&fx);
}
