/*  test_ctl_model.c — ctl_model: synthetic subscriber events in, rows out.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>

#include "ctl_model.h"
#include "ctl_test_msgs.h"
#include "vb_book.h"
#include "vb_error.h"

#define NOW_NS     1700000000000000000LL
#define BOOK_TOPIC "md.binance.BTC-USDT.book"

//  A MESSAGE event for an envelope on a topic.
static vb_sub_event_t
s_message (const char *topic, const Venuebus__Envelope *envelope)
{
    return (vb_sub_event_t){.type = VB_SUB_EVENT_MESSAGE,
                            .topic = topic,
                            .envelope = envelope,
                            .seq = envelope->header->seq};
}

//  The usage example: a subscriber's book event becomes a row with the top
//  of book, exactly as the book holds it.
Test (ctl_model, shows_top_of_book_from_a_book_event)
{
    ctl_model_t *model = ctl_model_new ();
    vb_book_t *book = vb_book_new (100);
    vb_book_set (book, VB_BOOK_BID, s_dec ("65000.10"), s_dec ("0.500"));
    vb_book_set (book, VB_BOOK_BID, s_dec ("64999.00"), s_dec ("1"));
    vb_book_set (book, VB_BOOK_ASK, s_dec ("65000.20"), s_dec ("0.25"));
    s_msg_t msg;
    s_msg_book (&msg, true, "binance", "BTC-USDT", 7, -2, -3, NULL, NULL, 0, NULL, NULL, 0);
    vb_sub_event_t event = {.type = VB_SUB_EVENT_BOOK,
                            .topic = BOOK_TOPIC,
                            .envelope = &msg.envelope,
                            .book = book,
                            .in_sync = true,
                            .seq = 7};
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);

    cr_assert_eq (ctl_model_book_count (model), 1);
    const ctl_book_row_t *row = ctl_model_book (model, 0);
    cr_assert_str_eq (row->venue, "binance");
    cr_assert_str_eq (row->symbol, "BTC-USDT");
    cr_assert (row->has_book && row->in_sync && row->has_bid && row->has_ask);
    cr_assert_eq (vb_decimal_cmp (row->bid_price, s_dec ("65000.1")), 0);
    cr_assert_eq (vb_decimal_cmp (row->bid_qty, s_dec ("0.5")), 0);
    cr_assert_eq (vb_decimal_cmp (row->ask_price, s_dec ("65000.2")), 0);
    cr_assert_eq (vb_decimal_cmp (row->ask_qty, s_dec ("0.25")), 0);
    cr_assert_eq (row->bid_levels, 2);
    cr_assert_eq (row->ask_levels, 1);
    cr_assert_eq (row->last_seq, 7);
    cr_assert_eq (ctl_model_kind_total (model, CTL_KIND_BOOK), 1);
    vb_book_destroy (&book);
    ctl_model_destroy (&model);
    ctl_model_destroy (&model);  //  Safe twice
}

Test (ctl_model, counts_sequence_jumps_as_gaps_but_not_late_joins)
{
    ctl_model_t *model = ctl_model_new ();
    vb_sub_event_t late = {
        .type = VB_SUB_EVENT_GAP, .topic = BOOK_TOPIC, .expected_seq = 0, .received_seq = 40};
    cr_assert_eq (ctl_model_apply (model, &late, NOW_NS), 0);
    cr_assert_eq (ctl_model_book_count (model), 0);

    vb_sub_event_t jump = {
        .type = VB_SUB_EVENT_GAP, .topic = BOOK_TOPIC, .expected_seq = 41, .received_seq = 45};
    cr_assert_eq (ctl_model_apply (model, &jump, NOW_NS), 0);
    vb_sub_event_t trade_jump = {.type = VB_SUB_EVENT_GAP,
                                 .topic = "md.binance.BTC-USDT.trade",
                                 .expected_seq = 3,
                                 .received_seq = 9};
    cr_assert_eq (ctl_model_apply (model, &trade_jump, NOW_NS), 0);
    const ctl_book_row_t *row = ctl_model_book (model, 0);
    cr_assert_eq (row->gaps, 2);
    cr_assert_not (row->in_sync);
    ctl_model_destroy (&model);
}

Test (ctl_model, follows_gateway_status_transitions)
{
    ctl_model_t *model = ctl_model_new ();
    const char *topic = "md.kraken.ETH-USD.status";
    s_msg_t msg;
    vb_sub_event_t event;

    s_msg_status (&msg, "kraken", "ETH-USD", 1, VENUEBUS__BOOK_STATE__SYNCED, "", 0);
    event = s_message (topic, &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    cr_assert_eq (ctl_model_book (model, 0)->gateway_state, VENUEBUS__BOOK_STATE__SYNCED);
    cr_assert (ctl_model_healthy (model, NULL, 0));

    s_msg_status (&msg, "kraken", "ETH-USD", 2, VENUEBUS__BOOK_STATE__RESYNCING, "checksum", 1);
    event = s_message (topic, &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    const ctl_book_row_t *row = ctl_model_book (model, 0);
    cr_assert_eq (row->gateway_state, VENUEBUS__BOOK_STATE__RESYNCING);
    cr_assert_str_eq (row->reason, "checksum");
    cr_assert_eq (row->gateway_gaps, 1);
    char why[256];
    cr_assert_not (ctl_model_healthy (model, why, sizeof (why)));
    cr_assert (strstr (why, "ETH-USD") && strstr (why, "RESYNCING"), "why: %s", why);

    s_msg_status (&msg, "kraken", "ETH-USD", 3, VENUEBUS__BOOK_STATE__SYNCED, "", 1);
    event = s_message (topic, &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    cr_assert_str_eq (ctl_model_book_state_name (ctl_model_book (model, 0)->gateway_state),
                      "SYNCED");
    cr_assert (ctl_model_healthy (model, NULL, 0));

    //  A state this build does not know is not trusted.
    s_msg_status (&msg, "kraken", "ETH-USD", 4, (Venuebus__BookState)42, "", 1);
    event = s_message (topic, &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    cr_assert_eq (ctl_model_book (model, 0)->gateway_state, 0);
    ctl_model_destroy (&model);
}

Test (ctl_model, aggregates_rate_limit_buckets)
{
    ctl_model_t *model = ctl_model_new ();
    s_msg_t msg;
    //  Unset utilisation is derived: 540 / 1200 = 0.45 = 450 permille.
    s_msg_rate_limit (&msg, 1, "binance.ip.weight_1m", 540, 1200, 0, 3);
    vb_sub_event_t event = s_message ("sys.router.ratelimit", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    s_msg_rate_limit (&msg, 2, "binance.account.orders_10s", 10, 50, 200, 0);
    event = s_message ("sys.router.ratelimit", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    //  A later update of the first bucket replaces it.
    s_msg_rate_limit (&msg, 3, "binance.ip.weight_1m", 600, 1200, 500, 1);
    event = s_message ("sys.router.ratelimit", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);

    cr_assert_eq (ctl_model_limit_count (model), 2);
    //  Sorted by bucket: "binance.account..." before "binance.ip...".
    const ctl_limit_row_t *first = ctl_model_limit (model, 0);
    const ctl_limit_row_t *second = ctl_model_limit (model, 1);
    cr_assert_str_eq (first->bucket, "binance.account.orders_10s");
    cr_assert_eq (first->permille, 200);
    cr_assert_str_eq (second->bucket, "binance.ip.weight_1m");
    cr_assert_eq (second->used, 600);
    cr_assert_eq (second->limit, 1200);
    cr_assert_eq (second->permille, 500);
    cr_assert_eq (second->queue_depth, 1);
    cr_assert_str_eq (second->service, "router");

    s_msg_rate_limit (&msg, 4, "binance.ip.raw_5m", 30, 120, 0, 0);
    event = s_message ("sys.router.ratelimit", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    //  30 / 120 = 0.25 = 250 permille.
    cr_assert_eq (ctl_model_limit (model, 1)->permille, 250);

    //  A bucket without a name is refused.
    s_msg_rate_limit (&msg, 5, "", 1, 2, 0, 0);
    event = s_message ("sys.router.ratelimit", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), VB_EINVAL);
    cr_assert_eq (ctl_model_ignored (model), 1);
    ctl_model_destroy (&model);
}

Test (ctl_model, tracks_orders_and_fills_from_execution_reports)
{
    ctl_model_t *model = ctl_model_new ();
    const char *topic = "ex.main.mm-1";
    s_msg_t msg;
    vb_sub_event_t event;

    s_msg_report (&msg, 1, "vb-1-1", VENUEBUS__ORDER_STATE__NEW, "0", NULL, NULL, NULL);
    event = s_message (topic, &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    s_msg_report (&msg, 2, "vb-1-1", VENUEBUS__ORDER_STATE__PARTIALLY_FILLED, "0.2", "65000.10",
                  "0.2", "t-100");
    event = s_message (topic, &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS + 1), 0);
    //  The same fill again (a replayed report) is not counted twice.
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS + 2), 0);

    cr_assert_eq (ctl_model_order_count (model), 1);
    const ctl_order_row_t *order = ctl_model_order (model, 0);
    cr_assert_str_eq (order->account, "main");
    cr_assert_str_eq (order->strategy, "mm-1");
    cr_assert_str_eq (order->client_order_id, "vb-1-1");
    cr_assert_eq (order->state, VENUEBUS__ORDER_STATE__PARTIALLY_FILLED);
    cr_assert (ctl_model_order_open (order->state));
    cr_assert_eq (vb_decimal_cmp (order->filled_qty, s_dec ("0.2")), 0);
    cr_assert_eq (ctl_model_fill_count (model), 1);
    const ctl_fill_row_t *fill = ctl_model_fill (model, 0);
    cr_assert_str_eq (fill->trade_id, "t-100");
    cr_assert_eq (vb_decimal_cmp (fill->price, s_dec ("65000.10")), 0);

    s_msg_report (&msg, 3, "vb-1-1", VENUEBUS__ORDER_STATE__FILLED, "0.5", "65000.20", "0.3",
                  "t-101");
    event = s_message (topic, &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS + 3), 0);
    cr_assert_eq (ctl_model_order (model, 0)->state, VENUEBUS__ORDER_STATE__FILLED);
    cr_assert_not (ctl_model_order_open (ctl_model_order (model, 0)->state));
    cr_assert_eq (ctl_model_fill_count (model), 2);
    cr_assert_str_eq (ctl_model_fill (model, 0)->trade_id, "t-101");  //  Newest first
    cr_assert_str_eq (ctl_model_fill (model, 1)->trade_id, "t-100");

    //  A late NEW after FILLED does not reopen the order.
    s_msg_report (&msg, 4, "vb-1-1", VENUEBUS__ORDER_STATE__NEW, NULL, NULL, NULL, NULL);
    event = s_message (topic, &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS + 4), 0);
    cr_assert_eq (ctl_model_order (model, 0)->state, VENUEBUS__ORDER_STATE__FILLED);

    //  A report naming no order is refused.
    s_msg_report (&msg, 5, "", VENUEBUS__ORDER_STATE__NEW, NULL, NULL, NULL, NULL);
    msg.report.client_tag = (char *)"";
    event = s_message (topic, &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS + 5), VB_EINVAL);
    ctl_model_destroy (&model);
}

Test (ctl_model, forgets_the_oldest_finished_order_when_full)
{
    ctl_model_t *model = ctl_model_new ();
    s_msg_t msg;
    char id[32];
    for (int i = 0; i < CTL_MODEL_ORDERS_MAX; i++) {
        snprintf (id, sizeof (id), "o-%05d", i);
        s_msg_report (&msg, (uint64_t)i + 1, id,
                      i == 10 ? VENUEBUS__ORDER_STATE__CANCELED : VENUEBUS__ORDER_STATE__NEW, NULL,
                      NULL, NULL, NULL);
        vb_sub_event_t event = s_message ("ex.main.s", &msg.envelope);
        cr_assert_eq (ctl_model_apply (model, &event, NOW_NS + i), 0);
    }
    s_msg_report (&msg, 99999, "o-new", VENUEBUS__ORDER_STATE__NEW, NULL, NULL, NULL, NULL);
    vb_sub_event_t event = s_message ("ex.main.s", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS + CTL_MODEL_ORDERS_MAX), 0);
    cr_assert_eq (ctl_model_order_count (model), CTL_MODEL_ORDERS_MAX);
    for (size_t i = 0; i < ctl_model_order_count (model); i++)
        cr_assert_str_neq (ctl_model_order (model, i)->client_order_id, "o-00010");

    //  Now every order is open: one more is refused, none is dropped.
    s_msg_report (&msg, 100000, "o-more", VENUEBUS__ORDER_STATE__NEW, NULL, NULL, NULL, NULL);
    event = s_message ("ex.main.s", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), VB_ELIMIT);
    ctl_model_destroy (&model);
}

Test (ctl_model, judges_health_from_services_and_alerts)
{
    ctl_model_t *model = ctl_model_new ();
    char why[256];
    cr_assert_not (ctl_model_healthy (model, why, sizeof (why)));
    cr_assert (strstr (why, "no health"), "why: %s", why);

    s_msg_t msg;
    s_msg_health (&msg, 1, true, "ok");
    vb_sub_event_t event = s_message ("sys.router.health", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    cr_assert (ctl_model_healthy (model, NULL, 0));

    s_msg_health (&msg, 1, false, "venue binance banned");
    event = s_message ("sys.gateway-binance-0.health", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    cr_assert_not (ctl_model_healthy (model, why, sizeof (why)));
    cr_assert (strstr (why, "gateway-binance-0"), "why: %s", why);
    cr_assert_eq (ctl_model_service_count (model), 2);

    s_msg_health (&msg, 2, true, "ok");
    event = s_message ("sys.gateway-binance-0.health", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    cr_assert (ctl_model_healthy (model, NULL, 0));

    s_msg_init (&msg, NULL, NULL, 1);
    venuebus__alert__init (&msg.alert);
    msg.alert.name = (char *)"ratelimit_high";
    msg.alert.severity = VENUEBUS__SEVERITY__CRITICAL;
    msg.alert.firing = true;
    msg.alert.text = (char *)"binance.ip.weight_1m at 95%";
    msg.envelope.body_case = VENUEBUS__ENVELOPE__BODY_ALERT;
    msg.envelope.alert = &msg.alert;
    event = s_message ("sys.router.alert", &msg.envelope);
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    cr_assert_not (ctl_model_healthy (model, why, sizeof (why)));
    cr_assert (strstr (why, "ratelimit_high"), "why: %s", why);
    msg.alert.firing = false;
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    cr_assert (ctl_model_healthy (model, NULL, 0));
    cr_assert_eq (ctl_model_alert_count (model), 1);
    ctl_model_destroy (&model);
}

Test (ctl_model, computes_nearest_rank_latency_percentiles)
{
    ctl_model_t *model = ctl_model_new ();
    s_msg_t msg;
    //  Latencies 1..100 ns in a shuffled order. By nearest rank over 100
    //  samples, p50 is the 50th smallest (50), p90 90, p99 99, max 100.
    for (int i = 0; i < 100; i++) {
        int latency = (i * 37) % 100 + 1;  //  37 is coprime with 100: a permutation
        s_msg_health (&msg, (uint64_t)i + 1, true, "");
        msg.header.exchange_ts_ns = NOW_NS;
        msg.header.publish_ts_ns = NOW_NS + 2 * latency;
        vb_sub_event_t event = s_message ("sys.router.health", &msg.envelope);
        event.latency_ns = latency;
        cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    }
    ctl_latency_t figures;
    ctl_model_latency (model, CTL_LATENCY_PUBLISH_TO_CTL, &figures);
    cr_assert_eq (figures.count, 100);
    cr_assert_eq (figures.p50_ns, 50);
    cr_assert_eq (figures.p90_ns, 90);
    cr_assert_eq (figures.p99_ns, 99);
    cr_assert_eq (figures.max_ns, 100);
    ctl_model_latency (model, CTL_LATENCY_EXCHANGE_TO_PUBLISH, &figures);
    cr_assert_eq (figures.p50_ns, 100);
    cr_assert_eq (figures.max_ns, 200);
    ctl_model_destroy (&model);
}

Test (ctl_model, measures_message_rates_over_its_window)
{
    ctl_model_t *model = ctl_model_new ();
    s_msg_t msg;
    s_msg_status (&msg, "binance", "BTC-USDT", 1, VENUEBUS__BOOK_STATE__SYNCED, "", 0);
    vb_sub_event_t event = s_message ("md.binance.BTC-USDT.status", &msg.envelope);
    //  20 messages spread evenly over 2 s (one every 100 ms): 10 per second.
    int64_t start = NOW_NS - NOW_NS % 1000000000LL;
    for (int i = 0; i < 20; i++)
        cr_assert_eq (ctl_model_apply (model, &event, start + i * 100000000LL), 0);
    ctl_model_refresh (model, start + 2000000000LL);
    const ctl_book_row_t *row = ctl_model_book (model, 0);
    cr_assert_float_eq (row->rate, 10.0, 1e-9);
    cr_assert_float_eq (ctl_model_kind_rate (model, CTL_KIND_STATUS), 10.0, 1e-9);
    cr_assert_float_eq (ctl_model_rate (model), 10.0, 1e-9);
    cr_assert_eq (ctl_model_kind_total (model, CTL_KIND_STATUS), 20);
    //  Once the window has passed with no traffic, the rate is 0.
    ctl_model_refresh (model, start + 30000000000LL);
    cr_assert_float_eq (ctl_model_book (model, 0)->rate, 0.0, 1e-9);
    ctl_model_destroy (&model);
}

Test (ctl_model, refuses_unusable_events)
{
    ctl_model_t *model = ctl_model_new ();
    cr_assert_eq (ctl_model_apply (model, NULL, NOW_NS), VB_EINVAL);
    vb_sub_event_t event = {.type = VB_SUB_EVENT_MESSAGE, .topic = NULL};
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), VB_EINVAL);
    event.topic = "not a topic";
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), VB_EINVAL);
    event.topic = "sys.router.health";  //  No envelope
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), VB_EINVAL);
    s_msg_t msg;
    s_msg_health (&msg, 1, true, "");
    event = (vb_sub_event_t){.type = VB_SUB_EVENT_BOOK,  //  A book event without a book
                             .topic = BOOK_TOPIC,
                             .envelope = &msg.envelope};
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), VB_EINVAL);
    cr_assert_eq (ctl_model_ignored (model), 5);
    cr_assert_eq (ctl_model_events (model), 0);
    cr_assert_eq (ctl_model_book_count (model), 0);
    ctl_model_destroy (&model);
}
