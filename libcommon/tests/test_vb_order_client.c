/*  test_vb_order_client.c — the strategy's order client against a fake router.

    Each test binds a ROUTER on tcp://127.0.0.1:* that plays the router: it
    receives the client's requests (identity + one bare Envelope), decodes
    them with vb_msg to check what went on the wire, and answers with Acks,
    execution reports, rejects, balances and hostile frames. The client
    sends with a send timeout, so its first request waits for the TCP
    connection instead of the test sleeping. Expected values are decimals
    parsed from text and sums done by hand in the comments.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <string.h>
#include "vb_order_client.h"
#include "vb_error.h"

//  How long a test waits for a message before failing (real time).
#define TEST_WAIT_MS  5000
#define TEST_STRATEGY "mm-1"
#define TEST_ACCOUNT  "main"
#define TEST_SYMBOL   "BTC-USDT"

typedef struct {
    zsock_t *router;            //  The fake router
    vb_order_client_t *client;  //  Under test
    vb_msg_t *decoder;          //  Decodes what the router receives
    zframe_t *peer;             //  Routing id of the last request
    uint64_t seq;               //  header.seq of the router's replies
} s_rig_t;

//  --------------------------------------------------------------------------
//  Parse decimal text (the independent source of every expected value).

static vb_decimal_t
s_dec (const char *text)
{
    vb_decimal_t value;
    cr_assert_eq (vb_decimal_parse (text, strlen (text), &value), 0, "bad test decimal %s", text);
    return value;
}

//  --------------------------------------------------------------------------
//  Assert a decimal equals the value of text, whatever the scale.

static void
s_assert_dec (vb_decimal_t value, const char *text)
{
    char printed[VB_DECIMAL_TEXT_MAX];
    vb_decimal_format (value, printed, sizeof (printed));
    cr_assert_eq (vb_decimal_cmp (value, s_dec (text)), 0, "got %s, expected %s", printed, text);
}

//  --------------------------------------------------------------------------
//  A fake router and a client connected to it.

static s_rig_t *
s_rig_new (const vb_order_client_options_t *extra)
{
    s_rig_t *rig = (s_rig_t *)zmalloc (sizeof (s_rig_t));
    rig->router = zsock_new (ZMQ_ROUTER);
    cr_assert_not_null (rig->router);
    zsock_set_linger (rig->router, 0);
    int port = zsock_bind (rig->router, "tcp://127.0.0.1:*");
    cr_assert_gt (port, 0);
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d", port);
    vb_order_client_options_t options = extra ? *extra : (vb_order_client_options_t){0};
    options.send_timeout_ms = TEST_WAIT_MS;
    options.linger_ms = -1;
    rig->client = vb_order_client_new (endpoint, TEST_STRATEGY, &options);
    cr_assert_not_null (rig->client);
    rig->decoder = vb_msg_new ();
    cr_assert_not_null (rig->decoder);
    return rig;
}

static void
s_rig_destroy (s_rig_t **rig_p)
{
    s_rig_t *rig = *rig_p;
    vb_order_client_destroy (&rig->client);
    vb_msg_destroy (&rig->decoder);
    zframe_destroy (&rig->peer);
    zsock_destroy (&rig->router);
    free (rig);
    *rig_p = NULL;
}

//  --------------------------------------------------------------------------
//  The router receives one request; returns its envelope (borrowed until
//  the next request) after checking the header every request carries.

static const Venuebus__Envelope *
s_router_recv (s_rig_t *rig)
{
    zsock_set_rcvtimeo (rig->router, TEST_WAIT_MS);
    zframe_destroy (&rig->peer);
    rig->peer = zframe_recv (rig->router);
    cr_assert_not_null (rig->peer, "no request reached the router");
    cr_assert (zsock_rcvmore (rig->router));
    cr_assert_eq (vb_msg_recv_bare (rig->decoder, rig->router, 0), 0);
    cr_assert_not (zsock_rcvmore (rig->router), "a request is one frame");
    const Venuebus__Envelope *envelope = vb_msg_envelope (rig->decoder);
    cr_assert_str_eq (envelope->header->strategy, TEST_STRATEGY);
    cr_assert_str_eq (envelope->header->producer, TEST_STRATEGY);
    cr_assert_gt (envelope->header->publish_ts_ns, 0);
    //  The routing id is "<strategy>-<hex>".
    cr_assert (zframe_size (rig->peer) > strlen (TEST_STRATEGY) + 1);
    cr_assert (memcmp (zframe_data (rig->peer), TEST_STRATEGY "-", strlen (TEST_STRATEGY) + 1) ==
               0);
    return envelope;
}

//  --------------------------------------------------------------------------
//  The router answers the last peer with one envelope (header filled here).

static void
s_router_send (s_rig_t *rig, Venuebus__Envelope *envelope)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.strategy = TEST_STRATEGY;
    header.account = TEST_ACCOUNT;
    header.producer = "router.main";
    header.seq = ++rig->seq;
    envelope->header = &header;
    zframe_t *peer = zframe_dup (rig->peer);
    cr_assert_eq (zframe_send (&peer, rig->router, ZFRAME_MORE), 0);
    cr_assert_eq (vb_msg_send_bare (rig->router, envelope, 0), 0);
    envelope->header = NULL;
}

//  --------------------------------------------------------------------------
//  The router sends raw parts to the last peer (hostile frames).

static void
s_router_send_raw (s_rig_t *rig, const void *data, size_t size, bool more)
{
    zframe_t *peer = zframe_dup (rig->peer);
    cr_assert_eq (zframe_send (&peer, rig->router, ZFRAME_MORE), 0);
    zframe_t *frame = zframe_new (data, size);
    cr_assert_eq (zframe_send (&frame, rig->router, more ? ZFRAME_MORE : 0), 0);
    if (more) {
        zframe_t *tail = zframe_new ("tail", 4);
        cr_assert_eq (zframe_send (&tail, rig->router, 0), 0);
    }
}

static void
s_send_ack (s_rig_t *rig, const char *tag, const char *id, uint64_t journal_seq)
{
    Venuebus__Ack ack = VENUEBUS__ACK__INIT;
    ack.client_tag = (char *)tag;
    ack.client_order_id = (char *)id;
    ack.journal_seq = journal_seq;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_ACK;
    envelope.ack = &ack;
    s_router_send (rig, &envelope);
}

//  One execution report; fill_qty NULL for none, trade_id may be "".
typedef struct {
    const char *tag;
    const char *id;
    Venuebus__OrderState state;
    const char *filled;
    const char *fill_price;
    const char *fill_qty;
    const char *trade_id;
    Venuebus__Side side;
    const char *symbol;
    const char *account;
} s_report_t;

static void
s_send_report (s_rig_t *rig, const s_report_t *r)
{
    Venuebus__Decimal filled = VENUEBUS__DECIMAL__INIT;
    Venuebus__Decimal fill_price = VENUEBUS__DECIMAL__INIT;
    Venuebus__Decimal fill_qty = VENUEBUS__DECIMAL__INIT;
    Venuebus__ExecutionReport report = VENUEBUS__EXECUTION_REPORT__INIT;
    report.client_tag = (char *)(r->tag ? r->tag : "");
    report.client_order_id = (char *)(r->id ? r->id : "");
    report.state = r->state;
    if (r->filled) {
        vb_msg_decimal_set (&filled, s_dec (r->filled));
        report.filled_qty = &filled;
    }
    if (r->fill_qty) {
        vb_msg_decimal_set (&fill_price, s_dec (r->fill_price));
        vb_msg_decimal_set (&fill_qty, s_dec (r->fill_qty));
        report.last_fill_price = &fill_price;
        report.last_fill_qty = &fill_qty;
    }
    report.venue_trade_id = (char *)(r->trade_id ? r->trade_id : "");
    report.side = r->side;
    report.symbol = (char *)(r->symbol ? r->symbol : "");
    report.account = (char *)(r->account ? r->account : "");
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT;
    envelope.execution_report = &report;
    s_router_send (rig, &envelope);
}

//  --------------------------------------------------------------------------
//  The client's next event, which must be of `type`.

static void
s_expect (s_rig_t *rig, vb_order_event_t *event, vb_order_event_type_t type)
{
    cr_assert_eq (vb_order_client_recv (rig->client, event, TEST_WAIT_MS), 0, "no event");
    cr_assert_eq (event->type, type, "event type %d, expected %d", event->type, type);
}

//  --------------------------------------------------------------------------
//  Place a limit buy of 1.0 at 100.5 as "bid-1" and check the wire.

static void
s_place_bid (s_rig_t *rig, const char *tag, Venuebus__Side side)
{
    vb_decimal_t price = s_dec ("100.5");
    cr_assert_eq (vb_order_client_place (rig->client, TEST_ACCOUNT, TEST_SYMBOL, side,
                                         VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC,
                                         &price, s_dec ("1.0"), true, tag),
                  0);
    const Venuebus__Envelope *envelope = s_router_recv (rig);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_NEW_ORDER);
    cr_assert_str_eq (envelope->header->account, TEST_ACCOUNT);
    const Venuebus__NewOrder *order = envelope->new_order;
    cr_assert_str_eq (order->client_tag, tag);
    cr_assert_str_eq (order->account, TEST_ACCOUNT);
    cr_assert_str_eq (order->symbol, TEST_SYMBOL);
    cr_assert_eq (order->side, side);
    cr_assert_eq (order->type, VENUEBUS__ORDER_TYPE__LIMIT);
    cr_assert_eq (order->time_in_force, VENUEBUS__TIME_IN_FORCE__GTC);
    cr_assert (order->post_only);
    //  "100.5" is 1005 x 10^-1 and "1.0" is 10 x 10^-1: the scale is kept.
    cr_assert_eq (order->price->mantissa, 1005);
    cr_assert_eq (order->price->exponent, -1);
    cr_assert_eq (order->qty->mantissa, 10);
    cr_assert_eq (order->qty->exponent, -1);
}

Test (vb_order_client, places_an_order_and_follows_it_to_filled)
{
    s_rig_t *rig = s_rig_new (NULL);
    s_place_bid (rig, "bid-1", VENUEBUS__SIDE__BUY);
    vb_order_view_t view;
    cr_assert_eq (vb_order_client_order (rig->client, "bid-1", NULL, &view), 0);
    cr_assert_eq (view.state, VENUEBUS__ORDER_STATE__ORDER_STATE_UNSPECIFIED);
    cr_assert_eq (vb_order_client_open_count (rig->client), 1);

    s_send_ack (rig, "bid-1", "R1-000001", 1);
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_ACK);
    cr_assert_str_eq (event.client_tag, "bid-1");
    cr_assert_str_eq (event.client_order_id, "R1-000001");
    cr_assert_eq (event.journal_seq, 1);
    cr_assert_eq (event.state, VENUEBUS__ORDER_STATE__PENDING_NEW);
    cr_assert_eq (vb_order_client_order (rig->client, NULL, "R1-000001", &view), 0);
    cr_assert_str_eq (view.client_tag, "bid-1");
    cr_assert (view.acked);

    s_send_report (rig, &(s_report_t){.id = "R1-000001",
                                      .state = VENUEBUS__ORDER_STATE__NEW,
                                      .filled = "0",
                                      .side = VENUEBUS__SIDE__BUY,
                                      .symbol = TEST_SYMBOL});
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    cr_assert_eq (event.state, VENUEBUS__ORDER_STATE__NEW);
    cr_assert_not (event.has_fill);

    s_send_report (rig, &(s_report_t){.id = "R1-000001",
                                      .tag = "bid-1",
                                      .state = VENUEBUS__ORDER_STATE__PARTIALLY_FILLED,
                                      .filled = "0.4",
                                      .fill_price = "100.5",
                                      .fill_qty = "0.4",
                                      .trade_id = "T1",
                                      .side = VENUEBUS__SIDE__BUY,
                                      .symbol = TEST_SYMBOL});
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    cr_assert_eq (event.state, VENUEBUS__ORDER_STATE__PARTIALLY_FILLED);
    cr_assert (event.has_fill);
    cr_assert (event.fill_counted);
    s_assert_dec (event.last_fill_price, "100.5");
    s_assert_dec (event.last_fill_qty, "0.4");
    s_assert_dec (event.position, "0.4");
    cr_assert_str_eq (event.venue_trade_id, "T1");

    //  The last report leaves side and symbol out: the order supplies them.
    s_send_report (rig, &(s_report_t){.id = "R1-000001",
                                      .state = VENUEBUS__ORDER_STATE__FILLED,
                                      .filled = "1.0",
                                      .fill_price = "100.4",
                                      .fill_qty = "0.6",
                                      .trade_id = "T2"});
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    cr_assert_eq (event.state, VENUEBUS__ORDER_STATE__FILLED);
    cr_assert_str_eq (event.symbol, TEST_SYMBOL);
    cr_assert_eq (event.side, VENUEBUS__SIDE__BUY);
    //  0.4 + 0.6 = 1.0 bought.
    s_assert_dec (event.position, "1");

    cr_assert_eq (vb_order_client_order (rig->client, "bid-1", NULL, &view), 0);
    cr_assert_eq (view.state, VENUEBUS__ORDER_STATE__FILLED);
    cr_assert (view.terminal);
    s_assert_dec (view.filled_qty, "1");
    cr_assert_eq (vb_order_client_open_count (rig->client), 0);
    vb_decimal_t position;
    cr_assert_eq (vb_order_client_position (rig->client, TEST_ACCOUNT, TEST_SYMBOL, &position), 0);
    s_assert_dec (position, "1.0");
    vb_order_client_stats_t stats;
    vb_order_client_stats (rig->client, &stats);
    cr_assert_eq (stats.fills, 2);
    cr_assert_eq (stats.duplicate_fills, 0);
    cr_assert_eq (stats.malformed, 0);
    cr_assert_eq (stats.sent, 1);
    s_rig_destroy (&rig);
}

Test (vb_order_client, counts_a_repeated_fill_once)
{
    s_rig_t *rig = s_rig_new (NULL);
    s_place_bid (rig, "ask-1", VENUEBUS__SIDE__SELL);
    s_send_ack (rig, "ask-1", "R1-2", 2);
    s_report_t fill = {.id = "R1-2",
                       .state = VENUEBUS__ORDER_STATE__PARTIALLY_FILLED,
                       .filled = "0.25",
                       .fill_price = "100.5",
                       .fill_qty = "0.25",
                       .trade_id = "T77",
                       .side = VENUEBUS__SIDE__SELL,
                       .symbol = TEST_SYMBOL};
    s_send_report (rig, &fill);
    s_send_report (rig, &fill);  //  The router repeats it (a replay, a reconnect)
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_ACK);
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    cr_assert (event.fill_counted);
    s_assert_dec (event.position, "-0.25");
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    cr_assert (event.has_fill);
    cr_assert_not (event.fill_counted);
    //  Sold 0.25 once: the position is -0.25, not -0.5.
    s_assert_dec (event.position, "-0.25");
    vb_order_client_stats_t stats;
    vb_order_client_stats (rig->client, &stats);
    cr_assert_eq (stats.fills, 1);
    cr_assert_eq (stats.duplicate_fills, 1);
    s_rig_destroy (&rig);
}

Test (vb_order_client, counts_a_fill_without_trade_id_only_when_filled_qty_grows)
{
    s_rig_t *rig = s_rig_new (NULL);
    s_place_bid (rig, "bid-9", VENUEBUS__SIDE__BUY);
    s_report_t fill = {.tag = "bid-9",
                       .state = VENUEBUS__ORDER_STATE__PARTIALLY_FILLED,
                       .filled = "0.3",
                       .fill_price = "100.5",
                       .fill_qty = "0.3"};
    s_send_report (rig, &fill);
    s_send_report (rig, &fill);
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    cr_assert (event.fill_counted);
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    cr_assert_not (event.fill_counted);
    s_assert_dec (event.position, "0.3");
    s_rig_destroy (&rig);
}

Test (vb_order_client, reports_a_reject_and_marks_the_order_rejected)
{
    s_rig_t *rig = s_rig_new (NULL);
    s_place_bid (rig, "bid-2", VENUEBUS__SIDE__BUY);
    Venuebus__Reject reject = VENUEBUS__REJECT__INIT;
    reject.client_tag = "bid-2";
    reject.reason = VENUEBUS__REJECT_REASON__INSUFFICIENT_BALANCE;
    reject.venue_code = "-2010";
    reject.venue_text = "Account has insufficient balance for requested action.";
    reject.detail = "venue refused";
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_REJECT;
    envelope.reject = &reject;
    s_router_send (rig, &envelope);
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_REJECT);
    cr_assert_str_eq (event.client_tag, "bid-2");
    cr_assert_eq (event.reason, VENUEBUS__REJECT_REASON__INSUFFICIENT_BALANCE);
    cr_assert_str_eq (event.venue_code, "-2010");
    cr_assert_str_eq (event.venue_text, "Account has insufficient balance for requested action.");
    cr_assert_str_eq (event.detail, "venue refused");
    cr_assert_str_eq (event.account, TEST_ACCOUNT);
    cr_assert_eq (event.state, VENUEBUS__ORDER_STATE__REJECTED);
    vb_order_view_t view;
    cr_assert_eq (vb_order_client_order (rig->client, "bid-2", NULL, &view), 0);
    cr_assert (view.terminal);
    cr_assert_eq (vb_order_client_open_count (rig->client), 0);
    s_rig_destroy (&rig);
}

Test (vb_order_client, keeps_a_live_order_when_its_cancel_is_rejected)
{
    s_rig_t *rig = s_rig_new (NULL);
    s_place_bid (rig, "bid-3", VENUEBUS__SIDE__BUY);
    s_send_ack (rig, "bid-3", "R1-3", 3);
    s_send_report (rig, &(s_report_t){.id = "R1-3", .state = VENUEBUS__ORDER_STATE__NEW});
    cr_assert_eq (vb_order_client_cancel (rig->client, TEST_ACCOUNT, NULL, "bid-3", NULL), 0);
    (void)s_router_recv (rig);
    Venuebus__Reject reject = VENUEBUS__REJECT__INIT;
    reject.client_order_id = "R1-3";
    reject.reason = VENUEBUS__REJECT_REASON__RATE_LIMITED;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_REJECT;
    envelope.reject = &reject;
    s_router_send (rig, &envelope);
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_ACK);
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    s_expect (rig, &event, VB_ORDER_EVENT_REJECT);
    cr_assert_eq (event.state, VENUEBUS__ORDER_STATE__NEW);
    cr_assert_eq (vb_order_client_open_count (rig->client), 1);
    s_rig_destroy (&rig);
}

Test (vb_order_client, skips_malformed_frames_from_the_router)
{
    s_rig_t *rig = s_rig_new (NULL);
    s_place_bid (rig, "bid-4", VENUEBUS__SIDE__BUY);
    //  1. bytes that are no Envelope; 2. a multipart message; 3. an empty frame.
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x07, 0x00, 0x13};
    s_router_send_raw (rig, garbage, sizeof (garbage), false);
    s_router_send_raw (rig, garbage, sizeof (garbage), true);
    s_router_send_raw (rig, "", 0, false);
    //  4. a fill with a negative quantity; 5. a tag too long for the event.
    s_send_report (rig, &(s_report_t){.tag = "bid-4",
                                      .state = VENUEBUS__ORDER_STATE__PARTIALLY_FILLED,
                                      .fill_price = "100",
                                      .fill_qty = "-1",
                                      .trade_id = "T9"});
    char long_tag[VB_ORDER_CLIENT_TAG_MAX + 2];
    memset (long_tag, 'x', sizeof (long_tag) - 1);
    long_tag[sizeof (long_tag) - 1] = '\0';
    s_send_ack (rig, long_tag, "R1-4", 4);
    //  6. a fill with no price.
    s_send_report (rig, &(s_report_t){.tag = "bid-4",
                                      .state = VENUEBUS__ORDER_STATE__PARTIALLY_FILLED,
                                      .fill_price = "0",
                                      .fill_qty = "1",
                                      .trade_id = "T10"});
    //  7. a body the router never sends to a strategy (unexpected).
    Venuebus__CancelAll cancel_all = VENUEBUS__CANCEL_ALL__INIT;
    cancel_all.account = TEST_ACCOUNT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANCEL_ALL;
    envelope.cancel_all = &cancel_all;
    s_router_send (rig, &envelope);
    //  8. an Ack for another strategy (misrouted).
    Venuebus__Ack ack = VENUEBUS__ACK__INIT;
    ack.client_tag = "bid-4";
    ack.client_order_id = "R1-4";
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.strategy = "someone-else";
    Venuebus__Envelope misrouted = VENUEBUS__ENVELOPE__INIT;
    misrouted.header = &header;
    misrouted.body_case = VENUEBUS__ENVELOPE__BODY_ACK;
    misrouted.ack = &ack;
    zframe_t *peer = zframe_dup (rig->peer);
    zframe_send (&peer, rig->router, ZFRAME_MORE);
    cr_assert_eq (vb_msg_send_bare (rig->router, &misrouted, 0), 0);
    //  Then a good Ack, which is the first event.
    s_send_ack (rig, "bid-4", "R1-4", 4);
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_ACK);
    cr_assert_str_eq (event.client_order_id, "R1-4");
    vb_order_client_stats_t stats;
    vb_order_client_stats (rig->client, &stats);
    cr_assert_eq (stats.malformed, 6);
    cr_assert_eq (stats.unexpected, 1);
    cr_assert_eq (stats.misrouted, 1);
    cr_assert_eq (stats.received, 9);
    cr_assert_eq (stats.events, 1);
    vb_decimal_t position;
    vb_order_client_position (rig->client, TEST_ACCOUNT, TEST_SYMBOL, &position);
    cr_assert (vb_decimal_is_zero (position), "no malformed fill may move the position");
    cr_assert_eq (vb_order_client_recv (rig->client, &event, 0), VB_EAGAIN);
    s_rig_destroy (&rig);
}

Test (vb_order_client, encodes_cancels_and_queries)
{
    s_rig_t *rig = s_rig_new (NULL);
    s_place_bid (rig, "bid-5", VENUEBUS__SIDE__BUY);

    //  By tag, symbol taken from the tracked order.
    cr_assert_eq (vb_order_client_cancel (rig->client, TEST_ACCOUNT, NULL, "bid-5", NULL), 0);
    const Venuebus__Envelope *envelope = s_router_recv (rig);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_CANCEL);
    cr_assert_str_eq (envelope->header->account, TEST_ACCOUNT);
    cr_assert_eq (envelope->header->seq, 2);
    cr_assert_str_eq (envelope->cancel->client_tag, "bid-5");
    cr_assert_str_eq (envelope->cancel->client_order_id, "");
    cr_assert_str_eq (envelope->cancel->account, TEST_ACCOUNT);
    cr_assert_str_eq (envelope->cancel->symbol, TEST_SYMBOL);

    //  By client order id, with an explicit symbol.
    cr_assert_eq (vb_order_client_cancel (rig->client, "other", "ETH-USDT", NULL, "R9-1"), 0);
    envelope = s_router_recv (rig);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_CANCEL);
    cr_assert_str_eq (envelope->header->account, "other");
    cr_assert_str_eq (envelope->cancel->client_tag, "");
    cr_assert_str_eq (envelope->cancel->client_order_id, "R9-1");
    cr_assert_str_eq (envelope->cancel->symbol, "ETH-USDT");

    cr_assert_eq (vb_order_client_cancel_all (rig->client, TEST_ACCOUNT, NULL), 0);
    envelope = s_router_recv (rig);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_CANCEL_ALL);
    cr_assert_str_eq (envelope->cancel_all->account, TEST_ACCOUNT);
    cr_assert_str_eq (envelope->cancel_all->symbol, "");

    cr_assert_eq (vb_order_client_cancel_all (rig->client, TEST_ACCOUNT, TEST_SYMBOL), 0);
    envelope = s_router_recv (rig);
    cr_assert_str_eq (envelope->cancel_all->symbol, TEST_SYMBOL);

    cr_assert_eq (vb_order_client_query_order (rig->client, TEST_ACCOUNT, NULL, "bid-5", NULL), 0);
    envelope = s_router_recv (rig);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_QUERY_ORDER);
    cr_assert_str_eq (envelope->query_order->client_tag, "bid-5");
    cr_assert_str_eq (envelope->query_order->symbol, TEST_SYMBOL);

    cr_assert_eq (vb_order_client_query_balances (rig->client, TEST_ACCOUNT), 0);
    envelope = s_router_recv (rig);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_QUERY_BALANCES);
    cr_assert_str_eq (envelope->query_balances->account, TEST_ACCOUNT);
    cr_assert_eq (envelope->header->seq, 7);

    Venuebus__Decimal free_btc = VENUEBUS__DECIMAL__INIT, locked_btc = VENUEBUS__DECIMAL__INIT;
    vb_msg_decimal_set (&free_btc, s_dec ("1.5"));
    vb_msg_decimal_set (&locked_btc, s_dec ("0.25"));
    Venuebus__Balance btc = VENUEBUS__BALANCE__INIT;
    btc.asset = "BTC";
    btc.free = &free_btc;
    btc.locked = &locked_btc;
    Venuebus__Balance usdt = VENUEBUS__BALANCE__INIT;
    usdt.asset = "USDT";
    Venuebus__Balance *list[] = {&btc, &usdt};
    Venuebus__Balances balances = VENUEBUS__BALANCES__INIT;
    balances.account = TEST_ACCOUNT;
    balances.n_balance = 2;
    balances.balance = list;
    Venuebus__Envelope reply = VENUEBUS__ENVELOPE__INIT;
    reply.body_case = VENUEBUS__ENVELOPE__BODY_BALANCES;
    reply.balances = &balances;
    s_router_send (rig, &reply);
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_BALANCES);
    cr_assert_eq (event.balance_count, 2);
    cr_assert_str_eq (event.balances[0].asset, "BTC");
    s_assert_dec (event.balances[0].free, "1.5");
    s_assert_dec (event.balances[0].locked, "0.25");
    cr_assert_str_eq (event.balances[1].asset, "USDT");
    cr_assert (vb_decimal_is_zero (event.balances[1].free));
    s_rig_destroy (&rig);
}

Test (vb_order_client, refuses_bad_requests)
{
    s_rig_t *rig = s_rig_new (NULL);
    vb_decimal_t price = s_dec ("100"), qty = s_dec ("1");
    vb_decimal_t zero = s_dec ("0"), negative = s_dec ("-1");
    vb_order_client_t *c = rig->client;
    Venuebus__Side buy = VENUEBUS__SIDE__BUY;
    Venuebus__OrderType limit = VENUEBUS__ORDER_TYPE__LIMIT;
    Venuebus__OrderType market = VENUEBUS__ORDER_TYPE__MARKET;
    Venuebus__TimeInForce gtc = VENUEBUS__TIME_IN_FORCE__GTC;
    Venuebus__TimeInForce ioc = VENUEBUS__TIME_IN_FORCE__IOC;
    char long_tag[VB_ORDER_CLIENT_TAG_MAX + 2];
    memset (long_tag, 'a', sizeof (long_tag) - 1);
    long_tag[sizeof (long_tag) - 1] = '\0';

    cr_assert_eq (vb_order_client_place (c, "main", "BTC-USDT", buy, limit, gtc, &price, qty, false,
                                         long_tag),
                  VB_EINVAL);
    cr_assert_eq (
        vb_order_client_place (c, "main", "BTC-USDT", buy, limit, gtc, &price, qty, false, ""),
        VB_EINVAL);
    cr_assert_eq (
        vb_order_client_place (c, "main", "BTC-USDT", buy, limit, gtc, &price, qty, false, "a b"),
        VB_EINVAL);
    cr_assert_eq (
        vb_order_client_place (c, "main", "BTC-USDT", buy, limit, gtc, &price, zero, false, "t"),
        VB_EINVAL);
    cr_assert_eq (
        vb_order_client_place (c, "main", "BTC-USDT", buy, limit, gtc, &negative, qty, false, "t"),
        VB_EINVAL);
    cr_assert_eq (
        vb_order_client_place (c, "main", "BTC-USDT", buy, limit, gtc, NULL, qty, false, "t"),
        VB_EINVAL, "a limit order needs a price");
    cr_assert_eq (
        vb_order_client_place (c, "main", "BTC-USDT", buy, market, gtc, &price, qty, false, "t"),
        VB_EINVAL, "a market order has no price");
    cr_assert_eq (
        vb_order_client_place (c, "main", "BTC-USDT", buy, limit, ioc, &price, qty, true, "t"),
        VB_EINVAL, "post-only needs GTC");
    cr_assert_eq (
        vb_order_client_place (c, "main", "btc-usdt", buy, limit, gtc, &price, qty, false, "t"),
        VB_EINVAL, "symbols are normalised upper case");
    cr_assert_eq (
        vb_order_client_place (c, "ma.in", "BTC-USDT", buy, limit, gtc, &price, qty, false, "t"),
        VB_EINVAL);
    cr_assert_eq (vb_order_client_place (c, "main", "BTC-USDT", VENUEBUS__SIDE__SIDE_UNSPECIFIED,
                                         limit, gtc, &price, qty, false, "t"),
                  VB_EINVAL);
    cr_assert_eq (vb_order_client_place (c, "main", "BTC-USDT", buy, (Venuebus__OrderType)7, gtc,
                                         &price, qty, false, "t"),
                  VB_EINVAL);
    vb_decimal_t huge_exponent = {1, VB_DECIMAL_EXPONENT_MAX + 1};
    cr_assert_eq (vb_order_client_place (c, "main", "BTC-USDT", buy, limit, gtc, &price,
                                         huge_exponent, false, "t"),
                  VB_EINVAL);
    cr_assert_eq (vb_order_client_cancel (c, "main", NULL, "t", "R1"), VB_EINVAL,
                  "name the order once");
    cr_assert_eq (vb_order_client_cancel (c, "main", NULL, NULL, NULL), VB_EINVAL);
    cr_assert_eq (vb_order_client_cancel (c, "main", NULL, NULL, "has space"), VB_EINVAL);
    cr_assert_eq (vb_order_client_cancel_all (c, "", NULL), VB_EINVAL);
    cr_assert_eq (vb_order_client_query_balances (c, NULL), VB_EINVAL);
    vb_order_client_stats_t stats;
    vb_order_client_stats (c, &stats);
    cr_assert_eq (stats.sent, 0, "nothing refused reaches the wire");
    cr_assert_eq (vb_order_client_order_count (c), 0);

    //  A tag names one tracked order.
    s_place_bid (rig, "dup", VENUEBUS__SIDE__BUY);
    cr_assert_eq (
        vb_order_client_place (c, "main", "BTC-USDT", buy, limit, gtc, &price, qty, false, "dup"),
        VB_EEXIST);
    vb_order_view_t view;
    cr_assert_eq (vb_order_client_order (c, "dup", "R1", &view), VB_EINVAL);
    cr_assert_eq (vb_order_client_order (c, "nope", NULL, &view), VB_ENOTFOUND);

    cr_assert_null (vb_order_client_new (NULL, "s", NULL));
    cr_assert_null (vb_order_client_new ("tcp://127.0.0.1:1", "bad.strategy", NULL));
    cr_assert_null (vb_order_client_new ("tcp://127.0.0.1:1", "s",
                                         &(vb_order_client_options_t){.linger_ms = -2}));
    s_rig_destroy (&rig);
}

Test (vb_order_client, refuses_to_queue_orders_while_no_router_is_connected)
{
    //  Nothing listens on port 1: with ZMQ_IMMEDIATE the order is refused
    //  at once rather than sent whenever a router appears.
    vb_order_client_t *client = vb_order_client_new ("tcp://127.0.0.1:1", TEST_STRATEGY, NULL);
    cr_assert_not_null (client);
    vb_decimal_t price = s_dec ("100"), qty = s_dec ("1");
    cr_assert_eq (vb_order_client_place (client, TEST_ACCOUNT, TEST_SYMBOL, VENUEBUS__SIDE__BUY,
                                         VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC,
                                         &price, qty, false, "bid-1"),
                  VB_EAGAIN);
    cr_assert_eq (vb_order_client_order_count (client), 0, "an unsent order is not tracked");
    cr_assert_eq (vb_order_client_cancel_all (client, TEST_ACCOUNT, NULL), VB_EAGAIN);
    vb_order_event_t event;
    cr_assert_eq (vb_order_client_recv (client, &event, 0), VB_EAGAIN);
    cr_assert_eq (vb_order_client_recv (client, &event, 1), VB_EAGAIN);
    vb_order_client_destroy (&client);
    vb_order_client_destroy (&client);
    cr_assert_null (client);
}

Test (vb_order_client, forgets_terminal_orders_when_full)
{
    s_rig_t *rig = s_rig_new (&(vb_order_client_options_t){.orders_max = 2});
    s_place_bid (rig, "a", VENUEBUS__SIDE__BUY);
    s_place_bid (rig, "b", VENUEBUS__SIDE__BUY);
    vb_decimal_t price = s_dec ("1"), qty = s_dec ("1");
    cr_assert_eq (vb_order_client_place (rig->client, TEST_ACCOUNT, TEST_SYMBOL,
                                         VENUEBUS__SIDE__BUY, VENUEBUS__ORDER_TYPE__LIMIT,
                                         VENUEBUS__TIME_IN_FORCE__GTC, &price, qty, false, "c"),
                  VB_ELIMIT, "two open orders fill the table");
    s_send_report (rig, &(s_report_t){.tag = "a", .state = VENUEBUS__ORDER_STATE__CANCELED});
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    s_place_bid (rig, "c", VENUEBUS__SIDE__BUY);
    vb_order_view_t view;
    cr_assert_eq (vb_order_client_order (rig->client, "a", NULL, &view), VB_ENOTFOUND);
    cr_assert_eq (vb_order_client_order (rig->client, "c", NULL, &view), 0);
    cr_assert_eq (vb_order_client_order_count (rig->client), 2);
    s_rig_destroy (&rig);
}

Test (vb_order_client, adopts_orders_it_did_not_place)
{
    s_rig_t *rig = s_rig_new (NULL);
    //  Any request lets the fake router learn the peer.
    cr_assert_eq (vb_order_client_query_balances (rig->client, TEST_ACCOUNT), 0);
    (void)s_router_recv (rig);
    //  A strategy restarted: the router reports an order of the last run.
    s_send_report (rig, &(s_report_t){.id = "R0-17",
                                      .tag = "old-1",
                                      .state = VENUEBUS__ORDER_STATE__FILLED,
                                      .filled = "2",
                                      .fill_price = "99",
                                      .fill_qty = "2",
                                      .trade_id = "T5",
                                      .side = VENUEBUS__SIDE__SELL,
                                      .symbol = "ETH-USDT",
                                      .account = "other"});
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    cr_assert (event.fill_counted);
    cr_assert_str_eq (event.account, "other", "the report's account wins over the header's");
    vb_decimal_t position;
    vb_order_client_position (rig->client, "other", "ETH-USDT", &position);
    s_assert_dec (position, "-2");
    vb_order_client_position (rig->client, TEST_ACCOUNT, "ETH-USDT", &position);
    cr_assert (vb_decimal_is_zero (position));
    vb_order_view_t view;
    cr_assert_eq (vb_order_client_order (rig->client, NULL, "R0-17", &view), 0);
    cr_assert_eq (view.state, VENUEBUS__ORDER_STATE__FILLED);
    vb_order_client_stats_t stats;
    vb_order_client_stats (rig->client, &stats);
    cr_assert_eq (stats.unknown_orders, 1);
    s_rig_destroy (&rig);
}

Test (vb_order_client, keeps_terminal_states_final)
{
    s_rig_t *rig = s_rig_new (NULL);
    s_place_bid (rig, "bid-6", VENUEBUS__SIDE__BUY);
    s_send_report (rig, &(s_report_t){.tag = "bid-6", .state = VENUEBUS__ORDER_STATE__CANCELED});
    s_send_report (rig, &(s_report_t){.tag = "bid-6", .state = VENUEBUS__ORDER_STATE__NEW});
    vb_order_event_t event;
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    s_expect (rig, &event, VB_ORDER_EVENT_EXECUTION_REPORT);
    vb_order_view_t view;
    cr_assert_eq (vb_order_client_order (rig->client, "bid-6", NULL, &view), 0);
    cr_assert_eq (view.state, VENUEBUS__ORDER_STATE__CANCELED);
    cr_assert_str_eq (vb_order_client_state_name (view.state), "CANCELED");
    cr_assert_str_eq (vb_order_client_state_name ((Venuebus__OrderState)99), "UNSPECIFIED");
    s_rig_destroy (&rig);
}
