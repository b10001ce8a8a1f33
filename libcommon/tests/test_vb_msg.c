/*  test_vb_msg.c — Envelope <-> frames: round trips of every body case, real
    inproc sockets, hostile frames and the decode arena.

    Expected values are the ones each test puts in, or wire bytes worked out by
    hand from the protobuf encoding rules (tag = field << 3 | wire type,
    varints 7 bits per byte low first, sint zigzag), shown in the comments.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <string.h>
#include "vb_msg.h"
#include "vb_error.h"

//  How long a socket test waits for a message before failing.
#define TEST_WAIT_MS 5000

static uint8_t s_frame[VB_MSG_FRAME_MAX];

//  --------------------------------------------------------------------------
//  Fill header with the md fields of a topic.

static void
s_header (Venuebus__Header *header, const char *venue, const char *symbol, uint64_t seq)
{
    venuebus__header__init (header);
    header->venue = (char *)venue;
    header->symbol = (char *)symbol;
    header->seq = seq;
    header->exchange_ts_ns = 1723075200123000000;
    header->recv_ts_ns = 1723075200124000000;
    header->publish_ts_ns = 1723075200124500000;
    header->producer = "gateway.binance.0";
}

static vb_decimal_t
s_decimal (int64_t mantissa, int32_t exponent)
{
    vb_decimal_t value = {mantissa, exponent};
    return value;
}

static void
s_assert_decimal (const Venuebus__Decimal *field, int64_t mantissa, int32_t exponent)
{
    vb_decimal_t value;
    cr_assert_eq (vb_msg_decimal_get (field, &value), 0);
    cr_assert_eq (value.mantissa, mantissa);
    cr_assert_eq (value.exponent, exponent);
}

//  Encode then decode through one decoder; returns the decoded envelope.
static const Venuebus__Envelope *
s_round_trip (vb_msg_t *decoder, const char *topic, const Venuebus__Envelope *envelope)
{
    int length = vb_msg_encode (topic, envelope, s_frame, sizeof (s_frame));
    cr_assert_gt (length, 0, "encode %s: %s", topic, vb_strerror (length));
    int rc = vb_msg_decode (decoder, s_frame, (size_t)length);
    cr_assert_eq (rc, 0, "decode %s: %s", topic, vb_strerror (rc));
    cr_assert_str_eq (vb_msg_topic (decoder), topic);
    const Venuebus__Envelope *decoded = vb_msg_envelope (decoder);
    cr_assert_not_null (decoded);
    cr_assert_eq (decoded->body_case, envelope->body_case);
    cr_assert_eq (decoded->header->seq, envelope->header->seq);
    cr_assert_str_eq (decoded->header->venue, envelope->header->venue);
    cr_assert_str_eq (decoded->header->symbol, envelope->header->symbol);
    cr_assert_eq (decoded->header->exchange_ts_ns, envelope->header->exchange_ts_ns);
    cr_assert_eq (decoded->header->recv_ts_ns, envelope->header->recv_ts_ns);
    cr_assert_eq (decoded->header->publish_ts_ns, envelope->header->publish_ts_ns);
    cr_assert_str_eq (decoded->header->producer, envelope->header->producer);
    return decoded;
}

//  Wait for one part on socket; fails the test on timeout.
static void
s_wait_readable (zsock_t *socket)
{
    zpoller_t *poller = zpoller_new (socket, NULL);
    void *which = zpoller_wait (poller, TEST_WAIT_MS);
    zpoller_destroy (&poller);
    cr_assert_eq (which, (void *)socket, "timed out waiting for a message");
}

//  --------------------------------------------------------------------------

Test (vb_msg, publishes_and_decodes_a_trade)
{
    //  A gateway builds the envelope on the stack and sends it...
    zsock_t *publisher = zsock_new_xpub ("@inproc://vb_msg_usage");
    zsock_t *subscriber = zsock_new_sub (">inproc://vb_msg_usage", "md.binance.");
    cr_assert (publisher && subscriber);
    s_wait_readable (publisher);  //  The subscription has arrived
    zframe_t *subscription = zframe_recv (publisher);
    zframe_destroy (&subscription);

    Venuebus__Header header;
    s_header (&header, "binance", "BTC-USDT", 1);
    Venuebus__Decimal price, qty;
    vb_msg_decimal_set (&price, s_decimal (6500012, -2));  //  65000.12
    vb_msg_decimal_set (&qty, s_decimal (15, -4));         //  0.0015
    Venuebus__Trade trade = VENUEBUS__TRADE__INIT;
    trade.price = &price;
    trade.qty = &qty;
    trade.side = VENUEBUS__SIDE__BUY;
    trade.trade_id = "3698542117";
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = &trade;
    cr_assert_eq (vb_msg_send (publisher, "md.binance.BTC-USDT.trade", &envelope, 0), 0);

    //  ... and a strategy receives, switches on the body and reads it.
    vb_msg_t *decoder = vb_msg_new ();
    s_wait_readable (subscriber);
    cr_assert_eq (vb_msg_recv (decoder, subscriber, 0), 0);
    const Venuebus__Envelope *received = vb_msg_envelope (decoder);
    cr_assert_str_eq (vb_msg_topic (decoder), "md.binance.BTC-USDT.trade");
    cr_assert_eq (vb_msg_topic_view (decoder)->kind, VB_TOPIC_KIND_TRADE);
    cr_assert_eq (received->body_case, VENUEBUS__ENVELOPE__BODY_TRADE);
    cr_assert_eq (received->header->seq, 1);
    s_assert_decimal (received->trade->price, 6500012, -2);
    s_assert_decimal (received->trade->qty, 15, -4);
    cr_assert_eq (received->trade->side, VENUEBUS__SIDE__BUY);
    cr_assert_str_eq (received->trade->trade_id, "3698542117");

    vb_msg_destroy (&decoder);
    vb_msg_destroy (&decoder);
    cr_assert_null (decoder);
    zsock_destroy (&subscriber);
    zsock_destroy (&publisher);
}

Test (vb_msg, matches_hand_encoded_wire_bytes)
{
    //  Envelope { header { seq: 1 } health { healthy: true } } on sys.r.health:
    //    header: tag 1 LEN = 0x0a, length 2, { tag 3 varint = 0x18, 1 }
    //    health: tag 52 LEN = 418 = varint 0xa2 0x03, length 2, { 0x08, 1 }
    static const uint8_t expected[] = {'s',  'y',  's',  '.',  'r',  '.',  'h',  'e',
                                       'a',  'l',  't',  'h',  0x00, 0x0a, 0x02, 0x18,
                                       0x01, 0xa2, 0x03, 0x02, 0x08, 0x01};
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.seq = 1;
    Venuebus__Health health = VENUEBUS__HEALTH__INIT;
    health.healthy = true;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_HEALTH;
    envelope.health = &health;
    uint8_t buffer[64];
    int length = vb_msg_encode ("sys.r.health", &envelope, buffer, sizeof (buffer));
    cr_assert_eq (length, (int)sizeof (expected));
    cr_assert_eq (memcmp (buffer, expected, sizeof (expected)), 0);

    //  Decimal { mantissa: -1, exponent: -2 }: zigzag(-1) = 1, zigzag(-2) = 3,
    //  so the Trade body is 0x0a 0x04 { 0x08 0x01 0x10 0x03 }.
    Venuebus__Decimal price;
    vb_msg_decimal_set (&price, s_decimal (-1, -2));
    Venuebus__Trade trade = VENUEBUS__TRADE__INIT;
    trade.price = &price;
    header.venue = "b";
    header.symbol = "X-Y";
    header.seq = 0;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = &trade;
    length = vb_msg_encode_bare (&envelope, buffer, sizeof (buffer));
    //  header { venue "b" symbol "X-Y" } = 0x0a 0x08 { 0x0a 0x01 'b' 0x12 0x03 'X' '-' 'Y' }
    //  trade = tag 10 LEN = 0x52, length 6, { 0x0a 0x04 0x08 0x01 0x10 0x03 }
    static const uint8_t bare[] = {0x0a, 0x08, 0x0a, 0x01, 'b',  0x12, 0x03, 'X',  '-',
                                   'Y',  0x52, 0x06, 0x0a, 0x04, 0x08, 0x01, 0x10, 0x03};
    cr_assert_eq (length, (int)sizeof (bare));
    cr_assert_eq (memcmp (buffer, bare, sizeof (bare)), 0);
}

Test (vb_msg, round_trips_every_market_data_body)
{
    vb_msg_t *decoder = vb_msg_new ();
    Venuebus__Header header;
    s_header (&header, "kraken", "BTC-USD", 7);
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;

    //  Book delta with packed arrays; qty 0 removes a level.
    int64_t bid_price[] = {6500010, 6500000, 6499990};
    int64_t bid_qty[] = {12, 0, 3400000000};
    int64_t ask_price[] = {6500020};
    int64_t ask_qty[] = {-1};  //  Negative survives zigzag (validation is the book's job)
    Venuebus__BookDelta delta = VENUEBUS__BOOK_DELTA__INIT;
    delta.price_exponent = -1;
    delta.qty_exponent = -8;
    delta.n_bid_price = delta.n_bid_qty = 3;
    delta.bid_price = bid_price;
    delta.bid_qty = bid_qty;
    delta.n_ask_price = delta.n_ask_qty = 1;
    delta.ask_price = ask_price;
    delta.ask_qty = ask_qty;
    delta.venue_seq_first = 100;
    delta.venue_seq_last = 104;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
    envelope.book_delta = &delta;
    const Venuebus__Envelope *out = s_round_trip (decoder, "md.kraken.BTC-USD.book", &envelope);
    cr_assert_eq (out->book_delta->price_exponent, -1);
    cr_assert_eq (out->book_delta->qty_exponent, -8);
    cr_assert_eq (out->book_delta->n_bid_price, 3);
    cr_assert_eq (out->book_delta->n_bid_qty, 3);
    cr_assert_arr_eq (out->book_delta->bid_price, bid_price, sizeof (bid_price));
    cr_assert_arr_eq (out->book_delta->bid_qty, bid_qty, sizeof (bid_qty));
    cr_assert_eq (out->book_delta->n_ask_price, 1);
    cr_assert_eq (out->book_delta->ask_price[0], 6500020);
    cr_assert_eq (out->book_delta->ask_qty[0], -1);
    cr_assert_eq (out->book_delta->venue_seq_first, 100);
    cr_assert_eq (out->book_delta->venue_seq_last, 104);

    //  Book snapshot on the same topic.
    Venuebus__BookSnapshot snapshot = VENUEBUS__BOOK_SNAPSHOT__INIT;
    snapshot.price_exponent = -1;
    snapshot.qty_exponent = -8;
    snapshot.n_bid_price = snapshot.n_bid_qty = 3;
    snapshot.bid_price = bid_price;
    snapshot.bid_qty = bid_qty;
    snapshot.venue_seq = 99;
    snapshot.depth = 1000;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT;
    envelope.book_snapshot = &snapshot;
    out = s_round_trip (decoder, "md.kraken.BTC-USD.book", &envelope);
    cr_assert_eq (out->book_snapshot->n_bid_price, 3);
    cr_assert_eq (out->book_snapshot->n_ask_price, 0);
    cr_assert_eq (out->book_snapshot->bid_qty[2], 3400000000);
    cr_assert_eq (out->book_snapshot->venue_seq, 99);
    cr_assert_eq (out->book_snapshot->depth, 1000);

    //  Best bid and offer.
    Venuebus__Decimal bid, bid_size, ask, ask_size;
    vb_msg_decimal_set (&bid, s_decimal (650001, -1));
    vb_msg_decimal_set (&bid_size, s_decimal (5, 0));
    vb_msg_decimal_set (&ask, s_decimal (650002, -1));
    vb_msg_decimal_set (&ask_size, s_decimal (25, -1));
    Venuebus__Bbo bbo = VENUEBUS__BBO__INIT;
    bbo.bid_price = &bid;
    bbo.bid_qty = &bid_size;
    bbo.ask_price = &ask;
    bbo.ask_qty = &ask_size;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BBO;
    envelope.bbo = &bbo;
    out = s_round_trip (decoder, "md.kraken.BTC-USD.bbo", &envelope);
    s_assert_decimal (out->bbo->bid_price, 650001, -1);
    s_assert_decimal (out->bbo->bid_qty, 5, 0);
    s_assert_decimal (out->bbo->ask_price, 650002, -1);
    s_assert_decimal (out->bbo->ask_qty, 25, -1);

    //  Candle: the interval rides in the topic too and must agree.
    Venuebus__Candle candle = VENUEBUS__CANDLE__INIT;
    candle.interval = "5m";
    candle.open_ts_ns = 1723075200000000000;
    candle.close_ts_ns = 1723075499999999999;
    candle.open = &bid;
    candle.close = &ask;
    candle.closed = true;
    candle.trades = 812;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANDLE;
    envelope.candle = &candle;
    out = s_round_trip (decoder, "md.kraken.BTC-USD.candle.5m", &envelope);
    cr_assert_str_eq (out->candle->interval, "5m");
    cr_assert_eq (out->candle->close_ts_ns, 1723075499999999999);
    cr_assert (out->candle->closed);
    cr_assert_eq (out->candle->trades, 812);
    s_assert_decimal (out->candle->close, 650002, -1);
    cr_assert_null (out->candle->high);
    vb_decimal_t absent = {0, 0};
    cr_assert_eq (vb_msg_decimal_get (out->candle->high, &absent), VB_ENOTFOUND);
    cr_assert_eq (vb_msg_topic_view (decoder)->kind, VB_TOPIC_KIND_CANDLE);

    //  Funding.
    Venuebus__Decimal rate;
    vb_msg_decimal_set (&rate, s_decimal (-125, -6));
    Venuebus__Funding funding = VENUEBUS__FUNDING__INIT;
    funding.mark_price = &bid;
    funding.funding_rate = &rate;
    funding.next_funding_ts_ns = 1723104000000000000;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_FUNDING;
    envelope.funding = &funding;
    out = s_round_trip (decoder, "md.kraken.BTC-USD.funding", &envelope);
    s_assert_decimal (out->funding->funding_rate, -125, -6);
    cr_assert_eq (out->funding->next_funding_ts_ns, 1723104000000000000);

    //  Status.
    Venuebus__Status status = VENUEBUS__STATUS__INIT;
    status.book_state = VENUEBUS__BOOK_STATE__RESYNCING;
    status.reason = "gap";
    status.gaps = 2;
    status.expected_seq = 105;
    status.received_seq = 109;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_STATUS;
    envelope.status = &status;
    out = s_round_trip (decoder, "md.kraken.BTC-USD.status", &envelope);
    cr_assert_eq (out->status->book_state, VENUEBUS__BOOK_STATE__RESYNCING);
    cr_assert_str_eq (out->status->reason, "gap");
    cr_assert_eq (out->status->gaps, 2);
    cr_assert_eq (out->status->expected_seq, 105);
    cr_assert_eq (out->status->received_seq, 109);

    vb_msg_destroy (&decoder);
}

Test (vb_msg, round_trips_order_and_system_bodies)
{
    vb_msg_t *decoder = vb_msg_new ();
    Venuebus__Header header;
    s_header (&header, "binance", "BTC-USDT", 3);
    header.account = "main";
    header.strategy = "mm1";
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;

    Venuebus__Decimal price, qty, filled;
    vb_msg_decimal_set (&price, s_decimal (6500000, -2));
    vb_msg_decimal_set (&qty, s_decimal (1, -3));
    vb_msg_decimal_set (&filled, s_decimal (4, -4));

    //  Execution report on ex.<account>.<strategy>.
    Venuebus__ExecutionReport report = VENUEBUS__EXECUTION_REPORT__INIT;
    report.client_tag = "t-17";
    report.client_order_id = "vbR1J0000000042";
    report.state = VENUEBUS__ORDER_STATE__PARTIALLY_FILLED;
    report.filled_qty = &filled;
    report.last_fill_price = &price;
    report.last_fill_qty = &filled;
    report.venue_trade_id = "28457";
    report.side = VENUEBUS__SIDE__SELL;
    report.fee_asset = "USDT";
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT;
    envelope.execution_report = &report;
    const Venuebus__Envelope *out = s_round_trip (decoder, "ex.main.mm1", &envelope);
    cr_assert_str_eq (out->header->account, "main");
    cr_assert_str_eq (out->header->strategy, "mm1");
    cr_assert_eq (out->execution_report->state, VENUEBUS__ORDER_STATE__PARTIALLY_FILLED);
    cr_assert_str_eq (out->execution_report->client_tag, "t-17");
    cr_assert_str_eq (out->execution_report->client_order_id, "vbR1J0000000042");
    s_assert_decimal (out->execution_report->filled_qty, 4, -4);
    s_assert_decimal (out->execution_report->last_fill_price, 6500000, -2);
    cr_assert_str_eq (out->execution_report->venue_trade_id, "28457");
    cr_assert_eq (out->execution_report->side, VENUEBUS__SIDE__SELL);

    //  Reject on the same topic, with a UTF-8 venue text.
    Venuebus__Reject reject = VENUEBUS__REJECT__INIT;
    reject.client_tag = "t-18";
    reject.reason = VENUEBUS__REJECT_REASON__INSUFFICIENT_BALANCE;
    reject.venue_code = "-2010";
    reject.venue_text = "Account has insufficient balance — 残高不足";
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_REJECT;
    envelope.reject = &reject;
    out = s_round_trip (decoder, "ex.main.mm1", &envelope);
    cr_assert_eq (out->reject->reason, VENUEBUS__REJECT_REASON__INSUFFICIENT_BALANCE);
    cr_assert_str_eq (out->reject->venue_code, "-2010");
    cr_assert_str_eq (out->reject->venue_text, "Account has insufficient balance — 残高不足");

    //  Balances: a repeated nested message.
    Venuebus__Balance usdt = VENUEBUS__BALANCE__INIT, btc = VENUEBUS__BALANCE__INIT;
    usdt.asset = "USDT";
    usdt.free = &price;
    btc.asset = "BTC";
    btc.locked = &qty;
    Venuebus__Balance *list[] = {&usdt, &btc};
    Venuebus__Balances balances = VENUEBUS__BALANCES__INIT;
    balances.account = "main";
    balances.n_balance = 2;
    balances.balance = list;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BALANCES;
    envelope.balances = &balances;
    out = s_round_trip (decoder, "ex.main.mm1", &envelope);
    cr_assert_eq (out->balances->n_balance, 2);
    cr_assert_str_eq (out->balances->balance[1]->asset, "BTC");
    s_assert_decimal (out->balances->balance[1]->locked, 1, -3);
    cr_assert_null (out->balances->balance[1]->free);

    //  Rate-limit usage and an alert on sys.* topics.
    header.symbol = "";
    Venuebus__RateLimit limit = VENUEBUS__RATE_LIMIT__INIT;
    limit.bucket = "binance.ip.weight_1m";
    limit.scope = "ip";
    limit.used = 4800;
    limit.limit = 6000;
    limit.utilisation_permille = 800;
    limit.window_ns = 60000000000;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_RATE_LIMIT;
    envelope.rate_limit = &limit;
    out = s_round_trip (decoder, "sys.router.ratelimit", &envelope);
    cr_assert_str_eq (out->rate_limit->bucket, "binance.ip.weight_1m");
    cr_assert_eq (out->rate_limit->used, 4800);
    cr_assert_eq (out->rate_limit->limit, 6000);
    cr_assert_eq (out->rate_limit->utilisation_permille, 800);
    cr_assert_eq (out->rate_limit->window_ns, 60000000000);

    Venuebus__Alert alert = VENUEBUS__ALERT__INIT;
    alert.name = "ratelimit_high";
    alert.severity = VENUEBUS__SEVERITY__WARNING;
    alert.text = "binance.ip.weight_1m at 80%";
    alert.firing = true;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_ALERT;
    envelope.alert = &alert;
    out = s_round_trip (decoder, "sys.router.alert", &envelope);
    cr_assert_str_eq (out->alert->name, "ratelimit_high");
    cr_assert_eq (out->alert->severity, VENUEBUS__SEVERITY__WARNING);
    cr_assert (out->alert->firing);
    vb_msg_destroy (&decoder);
}

Test (vb_msg, carries_orders_between_dealer_and_router)
{
    zsock_t *router = zsock_new_router ("@inproc://vb_msg_router");
    zsock_t *dealer = zsock_new_dealer (">inproc://vb_msg_router");
    cr_assert (router && dealer);
    vb_msg_t *decoder = vb_msg_new ();

    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.account = "main";
    header.strategy = "mm1";
    Venuebus__Decimal price, qty;
    vb_msg_decimal_set (&price, s_decimal (6500000, -2));
    vb_msg_decimal_set (&qty, s_decimal (1, -3));
    Venuebus__NewOrder order = VENUEBUS__NEW_ORDER__INIT;
    order.client_tag = "t-1";
    order.account = "main";
    order.symbol = "BTC-USDT";
    order.side = VENUEBUS__SIDE__BUY;
    order.type = VENUEBUS__ORDER_TYPE__LIMIT;
    order.time_in_force = VENUEBUS__TIME_IN_FORCE__GTC;
    order.price = &price;
    order.qty = &qty;
    order.post_only = true;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_NEW_ORDER;
    envelope.new_order = &order;
    cr_assert_eq (vb_msg_send_bare (dealer, &envelope, 0), 0);

    //  The router reads the identity part, then the envelope.
    s_wait_readable (router);
    zframe_t *identity = zframe_recv (router);
    cr_assert (zsock_rcvmore (router));
    cr_assert_eq (vb_msg_recv_bare (decoder, router, 0), 0);
    const Venuebus__Envelope *received = vb_msg_envelope (decoder);
    cr_assert_str_eq (vb_msg_topic (decoder), "");
    cr_assert_eq (vb_msg_topic_view (decoder)->domain, VB_TOPIC_DOMAIN_UNSET);
    cr_assert_eq (received->body_case, VENUEBUS__ENVELOPE__BODY_NEW_ORDER);
    cr_assert_str_eq (received->new_order->client_tag, "t-1");
    cr_assert_eq (received->new_order->type, VENUEBUS__ORDER_TYPE__LIMIT);
    cr_assert_eq (received->new_order->time_in_force, VENUEBUS__TIME_IN_FORCE__GTC);
    cr_assert (received->new_order->post_only);
    s_assert_decimal (received->new_order->qty, 1, -3);

    //  Cancel and query bodies travel the same way.
    Venuebus__Cancel cancel = VENUEBUS__CANCEL__INIT;
    cancel.client_order_id = "vbR1J0000000001";
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANCEL;
    envelope.cancel = &cancel;
    cr_assert_eq (vb_msg_send_bare (dealer, &envelope, 0), 0);
    s_wait_readable (router);
    zframe_t *again = zframe_recv (router);
    zframe_destroy (&again);
    cr_assert_eq (vb_msg_recv_bare (decoder, router, 0), 0);
    cr_assert_str_eq (vb_msg_envelope (decoder)->cancel->client_order_id, "vbR1J0000000001");

    //  The reply: identity with SNDMORE, then the bare ack.
    Venuebus__Ack ack = VENUEBUS__ACK__INIT;
    ack.client_tag = "t-1";
    ack.client_order_id = "vbR1J0000000001";
    ack.journal_seq = 1;
    Venuebus__Envelope reply = VENUEBUS__ENVELOPE__INIT;
    reply.header = &header;
    reply.body_case = VENUEBUS__ENVELOPE__BODY_ACK;
    reply.ack = &ack;
    cr_assert_eq (zframe_send (&identity, router, ZFRAME_MORE), 0);
    cr_assert_eq (vb_msg_send_bare (router, &reply, 0), 0);
    s_wait_readable (dealer);
    cr_assert_eq (vb_msg_recv_bare (decoder, dealer, 0), 0);
    cr_assert_eq (vb_msg_envelope (decoder)->body_case, VENUEBUS__ENVELOPE__BODY_ACK);
    cr_assert_str_eq (vb_msg_envelope (decoder)->ack->client_order_id, "vbR1J0000000001");
    cr_assert_eq (vb_msg_envelope (decoder)->ack->journal_seq, 1);

    vb_msg_destroy (&decoder);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}

//  Publish one trade with the given topic and sequence.
static void
s_publish_trade (zsock_t *publisher, const char *venue, const char *symbol, uint64_t seq)
{
    char topic[VB_TOPIC_MAX + 1];
    cr_assert_gt (vb_topic_md (topic, sizeof (topic), venue, symbol, VB_TOPIC_KIND_TRADE, NULL), 0);
    Venuebus__Header header;
    s_header (&header, venue, symbol, seq);
    Venuebus__Trade trade = VENUEBUS__TRADE__INIT;
    trade.trade_id = "1";
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = &trade;
    cr_assert_eq (vb_msg_send (publisher, topic, &envelope, 0), 0);
}

Test (vb_msg, prefix_subscription_selects_one_symbol)
{
    zsock_t *publisher = zsock_new_xpub ("@inproc://vb_msg_prefix");
    char prefix[VB_TOPIC_MAX + 1];
    cr_assert_gt (vb_topic_md_prefix (prefix, sizeof (prefix), "binance", "BTC-USDT"), 0);
    zsock_t *subscriber = zsock_new_sub (">inproc://vb_msg_prefix", prefix);
    cr_assert (publisher && subscriber);
    s_wait_readable (publisher);
    zframe_t *subscription = zframe_recv (publisher);
    zframe_destroy (&subscription);

    //  Frames arrive in order, so if the first two were let through they
    //  would be read before the BTC-USDT ones.
    s_publish_trade (publisher, "binance", "ETH-USDT", 1);
    s_publish_trade (publisher, "binance", "BTC-USDTX", 1);
    s_publish_trade (publisher, "binance", "BTC-USDT", 1);
    s_publish_trade (publisher, "binance", "BTC-USDT", 2);

    vb_msg_t *decoder = vb_msg_new ();
    for (uint64_t seq = 1; seq <= 2; seq++) {
        s_wait_readable (subscriber);
        cr_assert_eq (vb_msg_recv (decoder, subscriber, ZMQ_DONTWAIT), 0);
        cr_assert_str_eq (vb_msg_topic (decoder), "md.binance.BTC-USDT.trade");
        cr_assert_eq (vb_msg_envelope (decoder)->header->seq, seq);
    }
    cr_assert_eq (vb_msg_recv (decoder, subscriber, ZMQ_DONTWAIT), VB_EAGAIN);
    cr_assert_null (vb_msg_envelope (decoder));
    vb_msg_destroy (&decoder);
    zsock_destroy (&subscriber);
    zsock_destroy (&publisher);
}

Test (vb_msg, exact_subscription_ignores_longer_topics)
{
    zsock_t *publisher = zsock_new_xpub ("@inproc://vb_msg_exact");
    zsock_t *subscriber = zsock_new_sub (">inproc://vb_msg_exact", NULL);
    cr_assert (publisher && subscriber);
    cr_assert_eq (vb_msg_subscribe_exact (subscriber, "ex.main.mm1"), 0);
    cr_assert_eq (vb_msg_subscribe_exact (subscriber, "ex.main"), VB_EINVAL);
    s_wait_readable (publisher);
    zframe_t *subscription = zframe_recv (publisher);
    //  An XPUB subscription frame is 0x01 then the subscribed bytes.
    cr_assert_eq (zframe_size (subscription), 1 + strlen ("ex.main.mm1") + 1);
    cr_assert_eq (zframe_data (subscription)[zframe_size (subscription) - 1], 0);
    zframe_destroy (&subscription);

    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__Ack ack = VENUEBUS__ACK__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_ACK;
    envelope.ack = &ack;
    ack.journal_seq = 1;
    cr_assert_eq (vb_msg_send (publisher, "ex.main.mm10", &envelope, 0), 0);
    ack.journal_seq = 2;
    cr_assert_eq (vb_msg_send (publisher, "ex.main.mm1", &envelope, 0), 0);

    vb_msg_t *decoder = vb_msg_new ();
    s_wait_readable (subscriber);
    cr_assert_eq (vb_msg_recv (decoder, subscriber, 0), 0);
    cr_assert_str_eq (vb_msg_topic (decoder), "ex.main.mm1");
    cr_assert_eq (vb_msg_envelope (decoder)->ack->journal_seq, 2);
    vb_msg_destroy (&decoder);
    zsock_destroy (&subscriber);
    zsock_destroy (&publisher);
}

Test (vb_msg, sends_a_large_snapshot_in_one_frame)
{
    //  5000 levels a side: well past the stack path, so the frame is packed
    //  straight into a ZeroMQ message of exact size.
    enum { LEVELS = 5000 };
    static int64_t bid_price[LEVELS], bid_qty[LEVELS], ask_price[LEVELS], ask_qty[LEVELS];
    for (int level = 0; level < LEVELS; level++) {
        bid_price[level] = 6500000 - level;
        ask_price[level] = 6500001 + level;
        bid_qty[level] = ask_qty[level] = 100000000 + level;
    }
    Venuebus__BookSnapshot snapshot = VENUEBUS__BOOK_SNAPSHOT__INIT;
    snapshot.n_bid_price = snapshot.n_bid_qty = snapshot.n_ask_price = snapshot.n_ask_qty = LEVELS;
    snapshot.bid_price = bid_price;
    snapshot.bid_qty = bid_qty;
    snapshot.ask_price = ask_price;
    snapshot.ask_qty = ask_qty;
    Venuebus__Header header;
    s_header (&header, "binance", "BTC-USDT", 1);
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT;
    envelope.book_snapshot = &snapshot;

    zsock_t *sender = zsock_new_pair ("@inproc://vb_msg_large");
    zsock_t *receiver = zsock_new_pair (">inproc://vb_msg_large");
    cr_assert (sender && receiver);
    cr_assert_eq (vb_msg_send (sender, "md.binance.BTC-USDT.book", &envelope, 0), 0);
    vb_msg_t *decoder = vb_msg_new ();
    s_wait_readable (receiver);
    cr_assert_eq (vb_msg_recv (decoder, receiver, 0), 0);
    cr_assert (!zsock_rcvmore (receiver));
    const Venuebus__BookSnapshot *out = vb_msg_envelope (decoder)->book_snapshot;
    cr_assert_eq (out->n_bid_price, LEVELS);
    cr_assert_eq (out->n_ask_qty, LEVELS);
    cr_assert_arr_eq (out->bid_price, bid_price, sizeof (bid_price));
    cr_assert_arr_eq (out->ask_qty, ask_qty, sizeof (ask_qty));
    vb_msg_destroy (&decoder);
    zsock_destroy (&receiver);
    zsock_destroy (&sender);
}

Test (vb_msg, non_blocking_send_reports_eagain)
{
    //  A PUSH socket with no peer cannot queue anything.
    zsock_t *push = zsock_new_push ("@inproc://vb_msg_nobody");
    cr_assert (push);
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__Health health = VENUEBUS__HEALTH__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_HEALTH;
    envelope.health = &health;
    cr_assert_eq (vb_msg_send (push, "sys.gateway.health", &envelope, ZMQ_DONTWAIT), VB_EAGAIN);
    cr_assert_eq (vb_msg_send_bare (push, &envelope, ZMQ_DONTWAIT), VB_EAGAIN);
    zsock_destroy (&push);
}

Test (vb_msg, encode_refuses_what_decode_would_refuse)
{
    Venuebus__Header header;
    s_header (&header, "binance", "BTC-USDT", 1);
    Venuebus__Trade trade = VENUEBUS__TRADE__INIT;
    Venuebus__Bbo bbo = VENUEBUS__BBO__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = &trade;
    uint8_t buffer[512];
    const char *topic = "md.binance.BTC-USDT.trade";
    cr_assert_gt (vb_msg_encode (topic, &envelope, buffer, sizeof (buffer)), 0);

    cr_assert_eq (vb_msg_encode ("md.binance.BTC-USDT", &envelope, buffer, sizeof (buffer)),
                  VB_EINVAL);
    cr_assert_eq (vb_msg_encode (NULL, &envelope, buffer, sizeof (buffer)), VB_EINVAL);
    //  Wrong body for the topic, wrong symbol or venue in the header.
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BBO;
    envelope.bbo = &bbo;
    cr_assert_eq (vb_msg_encode (topic, &envelope, buffer, sizeof (buffer)), VB_EPERM);
    cr_assert_gt (vb_msg_encode ("md.binance.BTC-USDT.bbo", &envelope, buffer, sizeof (buffer)), 0);
    cr_assert_eq (vb_msg_encode ("md.binance.ETH-USDT.bbo", &envelope, buffer, sizeof (buffer)),
                  VB_EPERM);
    cr_assert_eq (vb_msg_encode ("md.kraken.BTC-USDT.bbo", &envelope, buffer, sizeof (buffer)),
                  VB_EPERM);
    cr_assert_eq (vb_msg_encode ("ex.main.mm1", &envelope, buffer, sizeof (buffer)), VB_EPERM);
    //  A candle whose interval disagrees with its topic.
    Venuebus__Candle candle = VENUEBUS__CANDLE__INIT;
    candle.interval = "1h";
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANDLE;
    envelope.candle = &candle;
    cr_assert_eq (
        vb_msg_encode ("md.binance.BTC-USDT.candle.1m", &envelope, buffer, sizeof (buffer)),
        VB_EPERM);
    cr_assert_gt (
        vb_msg_encode ("md.binance.BTC-USDT.candle.1h", &envelope, buffer, sizeof (buffer)), 0);
    //  Order requests never travel on the bus, but any known body is a valid router frame.
    Venuebus__CancelAll cancel_all = VENUEBUS__CANCEL_ALL__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANCEL_ALL;
    envelope.cancel_all = &cancel_all;
    cr_assert_eq (vb_msg_encode ("ex.main.mm1", &envelope, buffer, sizeof (buffer)), VB_EPERM);
    cr_assert_gt (vb_msg_encode_bare (&envelope, buffer, sizeof (buffer)), 0);
    //  Missing header, missing body, a case set with no body, an unknown case.
    envelope.header = NULL;
    cr_assert_eq (vb_msg_encode_bare (&envelope, buffer, sizeof (buffer)), VB_ENOTFOUND);
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY__NOT_SET;
    cr_assert_eq (vb_msg_encode_bare (&envelope, buffer, sizeof (buffer)), VB_ENOTFOUND);
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = NULL;
    cr_assert_eq (vb_msg_encode (topic, &envelope, buffer, sizeof (buffer)), VB_ENOTFOUND);
    envelope.body_case = (Venuebus__Envelope__BodyCase)29;
    cr_assert_eq (vb_msg_encode_bare (&envelope, buffer, sizeof (buffer)), VB_EVERSION);
    //  A string that is not UTF-8 (a lone continuation byte).
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = &trade;
    trade.trade_id = "12\x80";
    cr_assert_eq (vb_msg_encode (topic, &envelope, buffer, sizeof (buffer)), VB_ETYPE);
    trade.trade_id = "12";
    //  A repeated field with a count and no array.
    Venuebus__BookDelta delta = VENUEBUS__BOOK_DELTA__INIT;
    delta.n_bid_price = 3;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
    envelope.book_delta = &delta;
    cr_assert_eq (vb_msg_encode ("md.binance.BTC-USDT.book", &envelope, buffer, sizeof (buffer)),
                  VB_ENOTFOUND);
}

Test (vb_msg, short_buffer_is_reported_without_overrun)
{
    Venuebus__Header header;
    s_header (&header, "binance", "BTC-USDT", 1);
    Venuebus__Status status = VENUEBUS__STATUS__INIT;
    status.book_state = VENUEBUS__BOOK_STATE__SYNCED;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_STATUS;
    envelope.status = &status;
    const char *topic = "md.binance.BTC-USDT.status";
    uint8_t exact[256];
    int length = vb_msg_encode (topic, &envelope, exact, sizeof (exact));
    cr_assert_gt (length, 0);

    //  Every buffer size below the frame fails; the byte after it is untouched.
    uint8_t buffer[256];
    for (int size = 0; size < length; size++) {
        memset (buffer, 0x5a, sizeof (buffer));
        cr_assert_eq (vb_msg_encode (topic, &envelope, buffer, (size_t)size), VB_ETRUNC, "size %d",
                      size);
        cr_assert_eq (buffer[size], 0x5a);
    }
    //  The exact size is enough, even though the upper bound is larger.
    memset (buffer, 0x5a, sizeof (buffer));
    cr_assert_eq (vb_msg_encode (topic, &envelope, buffer, (size_t)length), length);
    cr_assert_eq (memcmp (buffer, exact, (size_t)length), 0);
    cr_assert_eq (buffer[length], 0x5a);
}

//  Build a frame from a topic and raw payload bytes.
static size_t
s_raw_frame (uint8_t *frame, const char *topic, const uint8_t *payload, size_t size)
{
    size_t topic_length = strlen (topic);
    memcpy (frame, topic, topic_length + 1);
    memcpy (frame + topic_length + 1, payload, size);
    return topic_length + 1 + size;
}

Test (vb_msg, rejects_hostile_frames_with_distinct_codes)
{
    vb_msg_t *decoder = vb_msg_new ();
    uint8_t frame[512];

    //  Empty and NULL.
    cr_assert_eq (vb_msg_decode (decoder, frame, 0), VB_ETRUNC);
    cr_assert_eq (vb_msg_decode (decoder, NULL, 10), VB_ETRUNC);
    cr_assert_eq (vb_msg_decode_bare (decoder, frame, 0), VB_ETRUNC);
    //  No NUL: short (truncated) or longer than any topic.
    const char *topic_only = "md.binance.BTC-USDT.trade";
    cr_assert_eq (vb_msg_decode (decoder, (const uint8_t *)topic_only, strlen (topic_only)),
                  VB_ETRUNC);
    memset (frame, 'a', sizeof (frame));
    cr_assert_eq (vb_msg_decode (decoder, frame, sizeof (frame)), VB_ELIMIT);
    //  Bad topic before the NUL, including an empty one.
    static const uint8_t header_only[] = {0x0a, 0x00};
    size_t size = s_raw_frame (frame, "md.binance.btc-usdt.trade", header_only, 2);
    cr_assert_eq (vb_msg_decode (decoder, frame, size), VB_EINVAL);
    size = s_raw_frame (frame, "", header_only, 2);
    cr_assert_eq (vb_msg_decode (decoder, frame, size), VB_EINVAL);
    //  Oversize frame.
    cr_assert_eq (vb_msg_decode (decoder, s_frame, VB_MSG_FRAME_MAX + 1), VB_ELIMIT);
    //  Header only: no body. Body only: no header.
    size = s_raw_frame (frame, "sys.r.health", header_only, 2);
    cr_assert_eq (vb_msg_decode (decoder, frame, size), VB_ENOTFOUND);
    static const uint8_t body_only[] = {0xa2, 0x03, 0x00};  //  health {}, tag 52 LEN
    cr_assert_eq (vb_msg_decode_bare (decoder, body_only, sizeof (body_only)), VB_ENOTFOUND);
    //  Unknown oneof case: header {} then field 17 LEN {} (tag 138 = 0x8a 0x01).
    static const uint8_t unknown_body[] = {0x0a, 0x00, 0x8a, 0x01, 0x00};
    size = s_raw_frame (frame, "md.binance.BTC-USDT.trade", unknown_body, sizeof (unknown_body));
    cr_assert_eq (vb_msg_decode (decoder, frame, size), VB_EVERSION);
    cr_assert_eq (vb_msg_decode_bare (decoder, unknown_body, sizeof (unknown_body)), VB_EVERSION);
    //  A length prefix that claims far more than is there: header, then
    //  book_delta (tag 12 LEN = 0x62) of length 2^32 - 1 (0xff 0xff 0xff 0xff 0x0f).
    static const uint8_t absurd_length[] = {0x0a, 0x00, 0x62, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
    cr_assert_eq (vb_msg_decode_bare (decoder, absurd_length, sizeof (absurd_length)), VB_ETYPE);
    //  A wire type the field cannot have: header as varint (tag 1 varint = 0x08).
    static const uint8_t wrong_type[] = {0x08, 0x01, 0xa2, 0x03, 0x00};
    cr_assert_eq (vb_msg_decode_bare (decoder, wrong_type, sizeof (wrong_type)), VB_ETYPE);
    //  Invalid UTF-8 in a string: header { venue "\xff" }, health {}.
    static const uint8_t bad_utf8[] = {0x0a, 0x03, 0x0a, 0x01, 0xff, 0xa2, 0x03, 0x00};
    cr_assert_eq (vb_msg_decode_bare (decoder, bad_utf8, sizeof (bad_utf8)), VB_ETYPE);
    //  Field number 0 (no schema has it) spelled as the non-canonical varint
    //  0x81 0x00, wire type fixed64, after a valid header and health body.
    static const uint8_t field_zero[] = {0x0a, 0x00, 0xa2, 0x03, 0x00, 0x81, 0x00, 0x00,
                                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    cr_assert_eq (vb_msg_decode_bare (decoder, field_zero, sizeof (field_zero)), VB_ETYPE);
    //  A body that does not belong on its topic: a bare health envelope
    //  behind an md trade topic.
    static const uint8_t health[] = {0x0a, 0x00, 0xa2, 0x03, 0x00};
    cr_assert_eq (vb_msg_decode_bare (decoder, health, sizeof (health)), 0);
    size = s_raw_frame (frame, "md.binance.BTC-USDT.trade", health, sizeof (health));
    cr_assert_eq (vb_msg_decode (decoder, frame, size), VB_EPERM);
    cr_assert_null (vb_msg_envelope (decoder));
    cr_assert_str_eq (vb_msg_topic (decoder), "");
    size = s_raw_frame (frame, "sys.r.health", health, sizeof (health));
    cr_assert_eq (vb_msg_decode (decoder, frame, size), 0);
    cr_assert_not_null (vb_msg_envelope (decoder));
    vb_msg_destroy (&decoder);
}

Test (vb_msg, every_truncation_of_a_frame_fails_cleanly)
{
    Venuebus__Header header;
    s_header (&header, "binance", "BTC-USDT", 42);
    int64_t prices[] = {1, 2, 3}, quantities[] = {4, 5, 6};
    Venuebus__BookDelta delta = VENUEBUS__BOOK_DELTA__INIT;
    delta.n_bid_price = delta.n_bid_qty = 3;
    delta.bid_price = prices;
    delta.bid_qty = quantities;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
    envelope.book_delta = &delta;
    uint8_t frame[512];
    int length = vb_msg_encode ("md.binance.BTC-USDT.book", &envelope, frame, sizeof (frame));
    cr_assert_gt (length, 0);
    vb_msg_t *decoder = vb_msg_new ();
    for (int cut = 0; cut < length; cut++) {
        //  Copy so ASan sees any read past the cut.
        uint8_t *copy = (uint8_t *)malloc ((size_t)cut + 1);
        memcpy (copy, frame, (size_t)cut);
        int rc = vb_msg_decode (decoder, copy, (size_t)cut);
        //  The header is field 1 and packs first, the body last: a cut leaves
        //  no NUL, a broken field or a missing body.
        cr_assert (rc == VB_ETRUNC || rc == VB_ETYPE || rc == VB_ENOTFOUND, "cut %d gave %d", cut,
                   rc);
        free (copy);
    }
    cr_assert_eq (vb_msg_decode (decoder, frame, (size_t)length), 0);
    vb_msg_destroy (&decoder);
}

Test (vb_msg, random_bytes_never_crash)
{
    vb_msg_t *decoder = vb_msg_new ();
    uint8_t frame[300];
    uint32_t state = 12345;
    for (int round = 0; round < 20000; round++) {
        size_t size = 1 + (size_t)(round % (int)sizeof (frame));
        for (size_t index = 0; index < size; index++) {
            state = state * 1103515245u + 12345u;  //  Plain LCG, fixed seed
            frame[index] = (uint8_t)(state >> 16);
        }
        //  Half the rounds get a valid topic so the payload parser is reached.
        if (round % 2 && size > 14)
            memcpy (frame, "sys.gw.health", 14);
        int rc = vb_msg_decode (decoder, frame, size);
        cr_assert_leq (rc, 0);
        cr_assert (rc == 0 || rc == VB_ETRUNC || rc == VB_ELIMIT || rc == VB_EINVAL ||
                       rc == VB_ETYPE || rc == VB_ENOTFOUND || rc == VB_EVERSION || rc == VB_EPERM,
                   "round %d gave %d", round, rc);
        rc = vb_msg_decode_bare (decoder, frame, size);
        cr_assert_leq (rc, 0);
    }
    vb_msg_destroy (&decoder);
}

Test (vb_msg, absurd_repeated_counts_hit_the_arena_limit)
{
    //  Balances { balance {} x N }: each empty element is two bytes on the
    //  wire (0x12 0x00) but a pointer plus a Balance struct in memory, so a
    //  frame under VB_MSG_FRAME_MAX asks for more than VB_MSG_ARENA_LIMIT.
    size_t elements = (VB_MSG_FRAME_MAX - 64) / 2;
    size_t body = elements * 2;
    uint8_t *frame = (uint8_t *)malloc (VB_MSG_FRAME_MAX);
    size_t used = 0;
    memcpy (frame, "ex.a.s", 7);
    used += 7;
    frame[used++] = 0x0a;  //  header {}
    frame[used++] = 0x00;
    frame[used++] = 0xda;  //  tag 43 LEN = 346 = varint 0xda 0x02
    frame[used++] = 0x02;
    size_t rest = body;  //  Body length as a varint: 7 bits a byte, low first
    for (; rest >= 0x80; rest >>= 7)
        frame[used++] = (uint8_t)(rest | 0x80);
    frame[used++] = (uint8_t)rest;
    for (size_t index = 0; index < elements; index++) {
        frame[used++] = 0x12;
        frame[used++] = 0x00;
    }
    cr_assert_leq (used, VB_MSG_FRAME_MAX);
    vb_msg_t *decoder = vb_msg_new ();
    cr_assert_eq (vb_msg_decode (decoder, frame, used), VB_ELIMIT);
    //  The decoder is still good afterwards.
    static const uint8_t health[] = {0x0a, 0x00, 0xa2, 0x03, 0x00};
    cr_assert_eq (vb_msg_decode_bare (decoder, health, sizeof (health)), 0);
    vb_msg_destroy (&decoder);
    free (frame);
}

Test (vb_msg, arena_is_reused_across_decodes)
{
    Venuebus__Header header;
    s_header (&header, "binance", "BTC-USDT", 1);
    int64_t prices[27], quantities[27];
    for (int level = 0; level < 27; level++) {
        prices[level] = 6500000 + level;
        quantities[level] = 1000 * level;
    }
    Venuebus__BookDelta delta = VENUEBUS__BOOK_DELTA__INIT;
    delta.n_bid_price = delta.n_bid_qty = delta.n_ask_price = delta.n_ask_qty = 27;
    delta.bid_price = delta.ask_price = prices;
    delta.bid_qty = delta.ask_qty = quantities;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
    envelope.book_delta = &delta;
    static uint8_t small[4096];
    int small_length = vb_msg_encode ("md.binance.BTC-USDT.book", &envelope, small, sizeof (small));
    cr_assert_gt (small_length, 0);

    vb_msg_t *decoder = vb_msg_new ();
    size_t created = vb_msg_arena_mallocs (decoder);
    for (int round = 0; round < 1000; round++)
        cr_assert_eq (vb_msg_decode (decoder, small, (size_t)small_length), 0);
    cr_assert_eq (vb_msg_arena_mallocs (decoder), created, "steady decodes must not malloc");
    cr_assert_eq (vb_msg_envelope (decoder)->book_delta->bid_qty[26], 26000);

    //  A much larger message spills once; the arena then grows to hold it.
    enum { LEVELS = 4000 };
    static int64_t big_prices[LEVELS], big_quantities[LEVELS];
    for (int level = 0; level < LEVELS; level++) {
        big_prices[level] = 6500000 + level;
        big_quantities[level] = level;
    }
    delta.n_bid_price = delta.n_bid_qty = delta.n_ask_price = delta.n_ask_qty = LEVELS;
    delta.bid_price = delta.ask_price = big_prices;
    delta.bid_qty = delta.ask_qty = big_quantities;
    int big_length =
        vb_msg_encode ("md.binance.BTC-USDT.book", &envelope, s_frame, sizeof (s_frame));
    cr_assert_gt (big_length, 0);
    cr_assert_eq (vb_msg_decode (decoder, s_frame, (size_t)big_length), 0);
    cr_assert_gt (vb_msg_arena_mallocs (decoder), created);
    cr_assert_eq (vb_msg_envelope (decoder)->book_delta->ask_price[LEVELS - 1],
                  6500000 + LEVELS - 1);
    cr_assert_eq (vb_msg_decode (decoder, s_frame, (size_t)big_length), 0);
    size_t warmed = vb_msg_arena_mallocs (decoder);
    for (int round = 0; round < 100; round++) {
        cr_assert_eq (vb_msg_decode (decoder, s_frame, (size_t)big_length), 0);
        cr_assert_eq (vb_msg_decode (decoder, small, (size_t)small_length), 0);
    }
    cr_assert_eq (vb_msg_arena_mallocs (decoder), warmed);
    vb_msg_destroy (&decoder);
}

Test (vb_msg, decimal_helpers_check_the_exponent)
{
    Venuebus__Decimal wire;
    vb_msg_decimal_set (&wire, s_decimal (INT64_MIN, VB_DECIMAL_EXPONENT_MIN));
    vb_decimal_t value = {7, 7};
    cr_assert_eq (vb_msg_decimal_get (&wire, &value), 0);
    cr_assert_eq (value.mantissa, INT64_MIN);
    cr_assert_eq (value.exponent, VB_DECIMAL_EXPONENT_MIN);
    wire.exponent = VB_DECIMAL_EXPONENT_MAX + 1;
    value.mantissa = 7;
    cr_assert_eq (vb_msg_decimal_get (&wire, &value), VB_EOVERFLOW);
    cr_assert_eq (value.mantissa, 7);
    wire.exponent = VB_DECIMAL_EXPONENT_MIN - 1;
    cr_assert_eq (vb_msg_decimal_get (&wire, &value), VB_EOVERFLOW);
    cr_assert_eq (vb_msg_decimal_get (NULL, &value), VB_ENOTFOUND);
}

Test (vb_msg, names_body_cases)
{
    cr_assert_str_eq (vb_msg_body_name (VENUEBUS__ENVELOPE__BODY_BOOK_DELTA), "book_delta");
    cr_assert_str_eq (vb_msg_body_name (VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT),
                      "execution_report");
    cr_assert_null (vb_msg_body_name (VENUEBUS__ENVELOPE__BODY__NOT_SET));
    cr_assert_null (vb_msg_body_name ((Venuebus__Envelope__BodyCase)17));
}
