/*  test_vb_sub.c — the subscriber: sequence tracking, books, recovery
    through snapshot requests, hostile frames.

    Each test drives an XPUB bound on inproc:// standing in for the bus
    backend and a ROUTER standing in for a gateway's snapshot endpoint. The
    subscriber's protocol timers run on a manual clock, so timeouts and
    retries are tested without sleeping. Expected books come from a model
    kept by the test itself: one quantity per price tick and side, where
    prices and quantities are small integers (price = tick x 10^-1, qty =
    units x 10^-3) whose book order is evident by hand.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <string.h>
#include "vb_sub.h"
#include "vb_error.h"

//  How long a test waits for a message before failing (real time).
#define TEST_WAIT_MS   5000
#define TEST_BUS       "inproc://test-vb-sub-bus"
#define TEST_GATEWAY   "inproc://test-vb-sub-gateway"
#define TEST_GATEWAY_2 "inproc://test-vb-sub-gateway-2"
#define TEST_BOOK      "md.test.BTC-USDT.book"
#define TEST_STATUS    "md.test.BTC-USDT.status"
#define TEST_TRADE     "md.test.BTC-USDT.trade"
//  Model: ticks per side; bids at ticks BID_BASE.., asks at ASK_BASE.. so
//  the model book is never crossed.
#define MODEL_TICKS    32
#define MODEL_BID_BASE 1000
#define MODEL_ASK_BASE 1100
#define PRICE_EXPONENT (-1)
#define QTY_EXPONENT   (-3)
//  Manual clock start and publish time (realtime ns).
#define TEST_REAL_NS 1723075200000000000LL

//  The publisher's book: qty (units of 10^-3) per tick, 0 = no level.
typedef struct {
    int64_t bid[MODEL_TICKS];
    int64_t ask[MODEL_TICKS];
} s_model_t;

//  One change of a delta.
typedef struct {
    vb_book_side_t side;
    int tick;
    int64_t qty;
} s_change_t;

typedef struct {
    zsock_t *bus;        //  XPUB: the bus backend
    zsock_t *gateway;    //  ROUTER: the snapshot endpoint
    vb_clock_t *clock;   //  Manual protocol clock
    vb_sub_t *sub;       //  Under test
    uint64_t trade_seq;  //  Seq of the marker trades
    uint8_t frame[VB_MSG_FRAME_MAX];
} s_rig_t;

//  --------------------------------------------------------------------------
//  Wait for one subscription message on the XPUB.

static void
s_expect_subscription (s_rig_t *rig)
{
    zframe_t *frame = zframe_recv (rig->bus);
    cr_assert_not_null (frame, "no subscription reached the bus");
    cr_assert_eq (zframe_data (frame)[0], 1);
    zframe_destroy (&frame);
}

//  --------------------------------------------------------------------------
//  Bus, gateway, a subscriber on the book and the marker trade topic.

static s_rig_t *
s_rig_new (void)
{
    s_rig_t *rig = (s_rig_t *)zmalloc (sizeof (s_rig_t));
    rig->bus = zsock_new_xpub ("@" TEST_BUS);
    rig->gateway = zsock_new_router ("@" TEST_GATEWAY);
    cr_assert (rig->bus && rig->gateway);
    zsock_set_rcvtimeo (rig->bus, TEST_WAIT_MS);
    zsock_set_rcvtimeo (rig->gateway, TEST_WAIT_MS);
    rig->clock = vb_clock_new_manual (0, TEST_REAL_NS);
    rig->sub = vb_sub_new (TEST_BUS);
    cr_assert_not_null (rig->sub);
    vb_sub_set_clock (rig->sub, rig->clock);
    vb_sub_set_seed (rig->sub, 42);
    cr_assert_eq (vb_sub_add_gateway (rig->sub, "test", TEST_GATEWAY), 0);
    cr_assert_eq (vb_sub_subscribe (rig->sub, TEST_BOOK), 0);
    s_expect_subscription (rig);  //  The book
    s_expect_subscription (rig);  //  Its status, brought along
    cr_assert_eq (vb_sub_subscribe (rig->sub, TEST_TRADE), 0);
    s_expect_subscription (rig);
    return rig;
}

static void
s_rig_destroy (s_rig_t **rig_p)
{
    s_rig_t *rig = *rig_p;
    vb_sub_destroy (&rig->sub);
    vb_clock_destroy (&rig->clock);
    zsock_destroy (&rig->gateway);
    zsock_destroy (&rig->bus);
    free (rig);
    *rig_p = NULL;
}

//  --------------------------------------------------------------------------
//  Header for the test symbol.

static void
s_header (Venuebus__Header *header, uint64_t seq)
{
    venuebus__header__init (header);
    header->venue = "test";
    header->symbol = "BTC-USDT";
    header->seq = seq;
    header->publish_ts_ns = TEST_REAL_NS;
    header->producer = "gateway.test.0";
}

//  --------------------------------------------------------------------------
//  Encode the model as a book_snapshot frame at seq into rig->frame.

static int
s_encode_snapshot (s_rig_t *rig, const s_model_t *model, uint64_t seq, uint32_t depth)
{
    int64_t bid_price[MODEL_TICKS], bid_qty[MODEL_TICKS];
    int64_t ask_price[MODEL_TICKS], ask_qty[MODEL_TICKS];
    size_t bids = 0, asks = 0;
    for (int i = MODEL_TICKS - 1; i >= 0; i--)  //  Best bid = highest first
        if (model->bid[i]) {
            bid_price[bids] = MODEL_BID_BASE + i;
            bid_qty[bids++] = model->bid[i];
        }
    for (int i = 0; i < MODEL_TICKS; i++)  //  Best ask = lowest first
        if (model->ask[i]) {
            ask_price[asks] = MODEL_ASK_BASE + i;
            ask_qty[asks++] = model->ask[i];
        }
    Venuebus__BookSnapshot snapshot = VENUEBUS__BOOK_SNAPSHOT__INIT;
    snapshot.price_exponent = PRICE_EXPONENT;
    snapshot.qty_exponent = QTY_EXPONENT;
    snapshot.n_bid_price = snapshot.n_bid_qty = bids;
    snapshot.bid_price = bid_price;
    snapshot.bid_qty = bid_qty;
    snapshot.n_ask_price = snapshot.n_ask_qty = asks;
    snapshot.ask_price = ask_price;
    snapshot.ask_qty = ask_qty;
    snapshot.depth = depth;
    Venuebus__Header header;
    s_header (&header, seq);
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT;
    envelope.book_snapshot = &snapshot;
    int length = vb_msg_encode (TEST_BOOK, &envelope, rig->frame, sizeof (rig->frame));
    cr_assert_gt (length, 0);
    return length;
}

//  --------------------------------------------------------------------------
//  Publish the model as a snapshot on the bus.

static void
s_publish_snapshot (s_rig_t *rig, const s_model_t *model, uint64_t seq, uint32_t depth)
{
    int length = s_encode_snapshot (rig, model, seq, depth);
    cr_assert_eq (zmq_send (zsock_resolve (rig->bus), rig->frame, (size_t)length, 0), length);
}

//  --------------------------------------------------------------------------
//  Apply changes to the model (when not NULL) and publish them as a delta.

static void
s_publish_delta (s_rig_t *rig, s_model_t *model, const s_change_t *changes, size_t count,
                 uint64_t seq, bool deliver)
{
    int64_t bid_price[MODEL_TICKS * 2], bid_qty[MODEL_TICKS * 2];
    int64_t ask_price[MODEL_TICKS * 2], ask_qty[MODEL_TICKS * 2];
    size_t bids = 0, asks = 0;
    for (size_t i = 0; i < count; i++) {
        if (changes[i].side == VB_BOOK_BID) {
            bid_price[bids] = MODEL_BID_BASE + changes[i].tick;
            bid_qty[bids++] = changes[i].qty;
            if (model)
                model->bid[changes[i].tick] = changes[i].qty;
        } else {
            ask_price[asks] = MODEL_ASK_BASE + changes[i].tick;
            ask_qty[asks++] = changes[i].qty;
            if (model)
                model->ask[changes[i].tick] = changes[i].qty;
        }
    }
    if (!deliver)
        return;  //  The "lost" frame: the model moves, the subscriber never sees it
    Venuebus__BookDelta delta = VENUEBUS__BOOK_DELTA__INIT;
    delta.price_exponent = PRICE_EXPONENT;
    delta.qty_exponent = QTY_EXPONENT;
    delta.n_bid_price = delta.n_bid_qty = bids;
    delta.bid_price = bid_price;
    delta.bid_qty = bid_qty;
    delta.n_ask_price = delta.n_ask_qty = asks;
    delta.ask_price = ask_price;
    delta.ask_qty = ask_qty;
    Venuebus__Header header;
    s_header (&header, seq);
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
    envelope.book_delta = &delta;
    cr_assert_eq (vb_msg_send (rig->bus, TEST_BOOK, &envelope, 0), 0);
}

//  --------------------------------------------------------------------------
//  Publish a status on the symbol's status topic.

static void
s_publish_status (s_rig_t *rig, Venuebus__BookState state, uint64_t seq)
{
    Venuebus__Status status = VENUEBUS__STATUS__INIT;
    status.book_state = state;
    status.reason = "gap";
    Venuebus__Header header;
    s_header (&header, seq);
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_STATUS;
    envelope.status = &status;
    cr_assert_eq (vb_msg_send (rig->bus, TEST_STATUS, &envelope, 0), 0);
}

//  --------------------------------------------------------------------------
//  Publish a marker trade and take events until it arrives: every frame
//  published before it has then been handled (one PUB, one pipe, in order).
//  Returns the number of BOOK events seen on the way.

static size_t
s_sync (s_rig_t *rig)
{
    Venuebus__Decimal price = VENUEBUS__DECIMAL__INIT, qty = VENUEBUS__DECIMAL__INIT;
    price.mantissa = 1;
    qty.mantissa = 1;
    Venuebus__Trade trade = VENUEBUS__TRADE__INIT;
    trade.price = &price;
    trade.qty = &qty;
    trade.trade_id = "marker";
    Venuebus__Header header;
    s_header (&header, ++rig->trade_seq);
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = &trade;
    cr_assert_eq (vb_msg_send (rig->bus, TEST_TRADE, &envelope, 0), 0);
    size_t books = 0;
    while (true) {
        vb_sub_event_t event;
        cr_assert_eq (vb_sub_recv (rig->sub, TEST_WAIT_MS, &event), 0, "marker never arrived");
        if (event.type == VB_SUB_EVENT_BOOK)
            books++;
        if (event.type == VB_SUB_EVENT_MESSAGE && streq (event.topic, TEST_TRADE) &&
            event.seq == rig->trade_seq)
            return books;
    }
}

//  --------------------------------------------------------------------------
//  Take the next request off the gateway ROUTER; check its text.

static zmsg_t *
s_expect_request (s_rig_t *rig, zsock_t *gateway)
{
    //  The subscriber sends due requests when it runs: let it run once.
    vb_sub_event_t event;
    int rc = vb_sub_recv (rig->sub, 0, &event);
    cr_assert (rc == VB_EAGAIN || rc == 0);
    zmsg_t *request = zmsg_recv (gateway);
    cr_assert_not_null (request, "no snapshot request");
    cr_assert_eq (zmsg_size (request), 2);
    char *text = zframe_strdup (zmsg_last (request));
    cr_assert_str_eq (text, "SNAPSHOT " TEST_BOOK);
    free (text);
    return request;
}

//  --------------------------------------------------------------------------
//  Answer a request with `size` bytes.

static void
s_reply (zsock_t *gateway, zmsg_t **request_p, const void *data, size_t size)
{
    zmsg_t *request = *request_p;
    zframe_t *last = zmsg_last (request);
    zmsg_remove (request, last);
    zframe_destroy (&last);
    zmsg_addmem (request, data, size);
    cr_assert_eq (zmsg_send (request_p, gateway), 0);
}

//  --------------------------------------------------------------------------
//  Answer a request on gateway with the model as a snapshot at seq.

static void
s_reply_snapshot_from (s_rig_t *rig, zsock_t *gateway, zmsg_t **request_p, const s_model_t *model,
                       uint64_t seq)
{
    int length = s_encode_snapshot (rig, model, seq, 0);
    s_reply (gateway, request_p, rig->frame, (size_t)length);
}

//  --------------------------------------------------------------------------
//  Answer a request with the model as a snapshot at seq.

static void
s_reply_snapshot (s_rig_t *rig, zmsg_t **request_p, const s_model_t *model, uint64_t seq)
{
    s_reply_snapshot_from (rig, rig->gateway, request_p, model, seq);
}

//  --------------------------------------------------------------------------
//  Run the subscriber until it has read `replies` snapshot replies in all.

static void
s_wait_replies (s_rig_t *rig, uint64_t replies)
{
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    int64_t deadline = zclock_mono () + TEST_WAIT_MS;
    while (stats.replies < replies) {
        cr_assert_lt (zclock_mono (), deadline, "reply never read");
        vb_sub_event_t event;
        int rc = vb_sub_recv (rig->sub, 1, &event);
        cr_assert (rc == 0 || rc == VB_EAGAIN);
        vb_sub_stats (rig->sub, &stats);
    }
}

//  --------------------------------------------------------------------------
//  Take events until a BOOK event for the book topic.

static vb_sub_event_t
s_expect_book (s_rig_t *rig)
{
    while (true) {
        vb_sub_event_t event;
        cr_assert_eq (vb_sub_recv (rig->sub, TEST_WAIT_MS, &event), 0, "no book event");
        if (event.type == VB_SUB_EVENT_BOOK)
            return event;
    }
}

//  --------------------------------------------------------------------------
//  The subscriber's book equals the model, level by level, best first.

static void
s_assert_book (s_rig_t *rig, const s_model_t *model)
{
    bool in_sync = false;
    vb_book_t *book = vb_sub_book (rig->sub, TEST_BOOK, &in_sync);
    cr_assert_not_null (book);
    cr_assert (in_sync, "book not in sync");
    size_t level = 0;
    for (int i = MODEL_TICKS - 1; i >= 0; i--) {
        if (!model->bid[i])
            continue;
        vb_decimal_t price, qty;
        cr_assert_eq (vb_book_level (book, VB_BOOK_BID, level++, &price, &qty), 0);
        cr_assert_eq (vb_decimal_cmp (price, (vb_decimal_t){MODEL_BID_BASE + i, PRICE_EXPONENT}), 0,
                      "bid level %zu", level - 1);
        cr_assert_eq (vb_decimal_cmp (qty, (vb_decimal_t){model->bid[i], QTY_EXPONENT}), 0);
    }
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), level);
    level = 0;
    for (int i = 0; i < MODEL_TICKS; i++) {
        if (!model->ask[i])
            continue;
        vb_decimal_t price, qty;
        cr_assert_eq (vb_book_level (book, VB_BOOK_ASK, level++, &price, &qty), 0);
        cr_assert_eq (vb_decimal_cmp (price, (vb_decimal_t){MODEL_ASK_BASE + i, PRICE_EXPONENT}), 0,
                      "ask level %zu", level - 1);
        cr_assert_eq (vb_decimal_cmp (qty, (vb_decimal_t){model->ask[i], QTY_EXPONENT}), 0);
    }
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), level);
}

//  --------------------------------------------------------------------------
//  A model with three levels a side.

static void
s_model_init (s_model_t *model)
{
    memset (model, 0, sizeof (*model));
    model->bid[10] = 1000;  //  100.0 @ 1.000 (best bid is tick 12: 101.2)
    model->bid[11] = 2000;
    model->bid[12] = 500;
    model->ask[0] = 750;  //  110.0 @ 0.750 (best ask)
    model->ask[1] = 1250;
    model->ask[5] = 3000;
}

Test (vb_sub, usage_example)
{
    //  A strategy: subscribe to a book, read it as it changes.
    zsock_t *bus = zsock_new_xpub ("@" TEST_BUS);
    zsock_set_rcvtimeo (bus, TEST_WAIT_MS);
    vb_sub_t *sub = vb_sub_new (TEST_BUS);
    cr_assert_not_null (sub);
    cr_assert_eq (vb_sub_add_gateway (sub, "test", TEST_GATEWAY), 0);
    cr_assert_eq (vb_sub_subscribe (sub, TEST_BOOK), 0);
    zframe_t *subscription = zframe_recv (bus);  //  Only once the bus knows
    zframe_destroy (&subscription);

    //  The gateway's first book message is a snapshot with seq 1: 101.2 @
    //  0.500 best bid, 110.0 @ 0.750 best ask.
    s_rig_t *publisher = (s_rig_t *)zmalloc (sizeof (s_rig_t));  //  Test helper's buffer
    publisher->bus = bus;
    s_model_t model;
    s_model_init (&model);
    s_publish_snapshot (publisher, &model, 1, 0);
    free (publisher);
    vb_sub_event_t event;
    cr_assert_eq (vb_sub_recv (sub, TEST_WAIT_MS, &event), 0);
    cr_assert_eq (event.type, VB_SUB_EVENT_BOOK);
    cr_assert_str_eq (event.topic, TEST_BOOK);
    cr_assert (event.in_sync);
    cr_assert_eq (event.seq, 1);
    vb_decimal_t price, qty;
    cr_assert_eq (vb_book_best (event.book, VB_BOOK_BID, &price, &qty), 0);
    cr_assert_eq (price.mantissa, 1012);
    cr_assert_eq (price.exponent, -1);
    cr_assert_eq (qty.mantissa, 500);
    cr_assert_eq (vb_book_best (event.book, VB_BOOK_ASK, &price, &qty), 0);
    cr_assert_eq (price.mantissa, 1100);
    cr_assert_eq (vb_sub_gaps (sub), 0);  //  From seq 1: nothing missed
    vb_sub_destroy (&sub);
    cr_assert_null (sub);
    vb_sub_destroy (&sub);
    zsock_destroy (&bus);
}

Test (vb_sub, applies_deltas_in_order)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    s_publish_snapshot (rig, &model, 1, 0);
    //  Seq 2: a better bid 101.5 @ 0.300 and the 110.0 ask removed.
    s_change_t first[] = {{VB_BOOK_BID, 15, 300}, {VB_BOOK_ASK, 0, 0}};
    s_publish_delta (rig, &model, first, 2, 2, true);
    //  Seq 3: the 101.5 bid changes to 0.900.
    s_change_t second[] = {{VB_BOOK_BID, 15, 900}};
    s_publish_delta (rig, &model, second, 1, 3, true);
    cr_assert_eq (s_sync (rig), 3);
    s_assert_book (rig, &model);
    bool in_sync;
    vb_book_t *book = vb_sub_book (rig->sub, TEST_BOOK, &in_sync);
    vb_decimal_t price, qty;
    cr_assert_eq (vb_book_best (book, VB_BOOK_BID, &price, &qty), 0);
    cr_assert_eq (price.mantissa, 1015);
    cr_assert_eq (qty.mantissa, 900);
    cr_assert_eq (vb_book_best (book, VB_BOOK_ASK, &price, &qty), 0);
    cr_assert_eq (price.mantissa, 1101);
    cr_assert_eq (vb_sub_last_seq (rig->sub, TEST_BOOK), 3);
    cr_assert_eq (vb_sub_gaps (rig->sub), 0);
    s_rig_destroy (&rig);
}

Test (vb_sub, recovers_from_a_dropped_delta_with_a_snapshot_and_the_buffer)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    s_publish_snapshot (rig, &model, 1, 0);
    cr_assert_eq (s_sync (rig), 1);
    //  Seq 2 is lost; seq 3 shows the gap.
    s_change_t lost[] = {{VB_BOOK_BID, 20, 111}};
    s_publish_delta (rig, &model, lost, 1, 2, false);
    s_change_t after[] = {{VB_BOOK_ASK, 3, 222}};
    s_publish_delta (rig, &model, after, 1, 3, true);
    vb_sub_event_t event;
    cr_assert_eq (vb_sub_recv (rig->sub, TEST_WAIT_MS, &event), 0);
    cr_assert_eq (event.type, VB_SUB_EVENT_GAP);
    cr_assert_str_eq (event.topic, TEST_BOOK);
    cr_assert_eq (event.expected_seq, 2);
    cr_assert_eq (event.received_seq, 3);
    bool in_sync = true;
    vb_sub_book (rig->sub, TEST_BOOK, &in_sync);
    cr_assert_not (in_sync);
    //  The gateway's book at seq 3 is kept for the reply; seq 4 and 5 arrive
    //  meanwhile and are buffered (no book events while recovering).
    s_model_t at_seq3 = model;
    s_change_t fourth[] = {{VB_BOOK_BID, 20, 0}, {VB_BOOK_BID, 1, 50}};
    s_publish_delta (rig, &model, fourth, 2, 4, true);
    s_change_t fifth[] = {{VB_BOOK_ASK, 3, 333}};
    s_publish_delta (rig, &model, fifth, 1, 5, true);
    cr_assert_eq (s_sync (rig), 0);
    zmsg_t *request = s_expect_request (rig, rig->gateway);
    s_reply_snapshot (rig, &request, &at_seq3, 3);
    event = s_expect_book (rig);
    cr_assert (event.in_sync);
    cr_assert_eq (event.seq, 5);  //  Snapshot at 3, then buffered 4 and 5
    s_assert_book (rig, &model);
    //  The live stream goes on from 6.
    s_change_t sixth[] = {{VB_BOOK_ASK, 2, 10}};
    s_publish_delta (rig, &model, sixth, 1, 6, true);
    cr_assert_eq (s_sync (rig), 1);
    s_assert_book (rig, &model);
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.gaps, 1);
    cr_assert_eq (stats.requests, 1);
    cr_assert_eq (stats.recoveries, 1);
    cr_assert_eq (stats.bad_frames, 0);
    s_rig_destroy (&rig);
}

Test (vb_sub, drops_bus_frames_older_than_a_snapshot_ahead_of_the_bus)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    //  Late join: the first book frame is a delta at seq 7.
    s_change_t seventh[] = {{VB_BOOK_BID, 2, 70}};
    s_publish_delta (rig, &model, seventh, 1, 7, true);
    vb_sub_event_t event;
    cr_assert_eq (vb_sub_recv (rig->sub, TEST_WAIT_MS, &event), 0);
    cr_assert_eq (event.type, VB_SUB_EVENT_GAP);
    cr_assert_eq (event.expected_seq, 0);  //  Nothing seen before
    cr_assert_eq (event.received_seq, 7);
    //  The gateway answers with its book at seq 8, before seq 8 reaches the
    //  subscriber through the bus.
    zmsg_t *request = s_expect_request (rig, rig->gateway);
    s_change_t eighth[] = {{VB_BOOK_ASK, 9, 80}};
    s_publish_delta (rig, &model, eighth, 1, 8, false);
    s_reply_snapshot (rig, &request, &model, 8);
    event = s_expect_book (rig);
    cr_assert (event.in_sync);
    cr_assert_eq (event.seq, 8);
    s_assert_book (rig, &model);
    //  Seq 8 then arrives on the bus: already in the book, dropped.
    s_change_t again[] = {{VB_BOOK_ASK, 9, 80}};
    s_publish_delta (rig, NULL, again, 1, 8, true);
    s_change_t ninth[] = {{VB_BOOK_ASK, 9, 90}};
    s_publish_delta (rig, &model, ninth, 1, 9, true);
    cr_assert_eq (s_sync (rig), 1);
    s_assert_book (rig, &model);
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.duplicates, 1);
    cr_assert_eq (stats.gaps, 1);
    s_rig_destroy (&rig);
}

Test (vb_sub, retries_after_not_synced_then_succeeds)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    s_change_t change[] = {{VB_BOOK_BID, 3, 30}};
    s_publish_delta (rig, &model, change, 1, 4, true);
    cr_assert_eq (s_sync (rig), 0);
    zmsg_t *request = s_expect_request (rig, rig->gateway);
    static const char not_synced[] = "ERROR not-synced " TEST_BOOK;
    s_reply (rig->gateway, &request, not_synced, strlen (not_synced));
    //  The error is read; the retry waits for its backoff delay (at most
    //  the first ceiling, VB_SUB_RETRY_BASE_MS).
    s_wait_replies (rig, 1);
    vb_sub_event_t event;
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.not_synced, 1);
    cr_assert_eq (stats.requests, 1);
    cr_assert_leq (vb_sub_timeout_ms (rig->sub), VB_SUB_RETRY_BASE_MS);
    vb_clock_advance (rig->clock, (int64_t)VB_SUB_RETRY_BASE_MS * VB_NS_PER_MS);
    request = s_expect_request (rig, rig->gateway);
    s_reply_snapshot (rig, &request, &model, 4);
    event = s_expect_book (rig);
    cr_assert (event.in_sync);
    s_assert_book (rig, &model);
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.requests, 2);
    cr_assert_eq (stats.recoveries, 1);
    s_rig_destroy (&rig);
}

Test (vb_sub, asks_again_after_a_timeout)
{
    s_rig_t *rig = s_rig_new ();
    cr_assert_eq (vb_sub_set_snapshot_timeout_ms (rig->sub, 100), 0);
    cr_assert_eq (vb_sub_set_snapshot_timeout_ms (rig->sub, 0), VB_EINVAL);
    s_model_t model;
    s_model_init (&model);
    s_change_t change[] = {{VB_BOOK_BID, 3, 30}};
    s_publish_delta (rig, &model, change, 1, 2, true);
    cr_assert_eq (s_sync (rig), 0);
    zmsg_t *ignored = s_expect_request (rig, rig->gateway);
    zmsg_destroy (&ignored);  //  The gateway never answers this one
    cr_assert_eq (vb_sub_timeout_ms (rig->sub), 100);
    vb_clock_advance (rig->clock, 100 * VB_NS_PER_MS);
    vb_sub_event_t event;
    cr_assert_eq (vb_sub_recv (rig->sub, 0, &event), VB_EAGAIN);
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.timeouts, 1);
    vb_clock_advance (rig->clock, (int64_t)VB_SUB_RETRY_BASE_MS * VB_NS_PER_MS);
    zmsg_t *request = s_expect_request (rig, rig->gateway);
    s_reply_snapshot (rig, &request, &model, 2);
    event = s_expect_book (rig);
    cr_assert (event.in_sync);
    s_assert_book (rig, &model);
    s_rig_destroy (&rig);
}

Test (vb_sub, asks_the_next_shard_when_one_does_not_know_the_topic)
{
    s_rig_t *rig = s_rig_new ();
    //  Two shards of the venue: the first added does not serve this symbol.
    zsock_t *second = zsock_new_router ("@" TEST_GATEWAY_2);
    zsock_set_rcvtimeo (second, TEST_WAIT_MS);
    cr_assert_eq (vb_sub_add_gateway (rig->sub, "test", TEST_GATEWAY_2), 0);
    cr_assert_eq (vb_sub_add_gateway (rig->sub, "bad venue!", TEST_GATEWAY_2), VB_EINVAL);
    zsock_t *sockets[4];
    cr_assert_eq (vb_sub_sockets (rig->sub, sockets, 4), 3);
    cr_assert_eq (sockets[0], vb_sub_socket (rig->sub));
    s_model_t model;
    s_model_init (&model);
    s_change_t change[] = {{VB_BOOK_BID, 3, 30}};
    s_publish_delta (rig, &model, change, 1, 9, true);
    cr_assert_eq (s_sync (rig), 0);
    zmsg_t *request = s_expect_request (rig, rig->gateway);
    static const char unknown[] = "ERROR unknown-topic " TEST_BOOK;
    s_reply (rig->gateway, &request, unknown, strlen (unknown));
    //  Read the error; the next shard is asked at once (no clock move).
    s_wait_replies (rig, 1);
    vb_sub_event_t event;
    request = s_expect_request (rig, second);
    s_reply_snapshot_from (rig, second, &request, &model, 9);
    event = s_expect_book (rig);
    cr_assert (event.in_sync);
    s_assert_book (rig, &model);
    zsock_destroy (&second);
    s_rig_destroy (&rig);
}

Test (vb_sub, counts_and_skips_garbage_frames)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    s_publish_snapshot (rig, &model, 1, 0);
    //  1. Not an envelope after the topic.
    static const char garbage[] = TEST_BOOK "\0\xff\xff\xff\xff garbage";
    zmq_send (zsock_resolve (rig->bus), garbage, sizeof (garbage) - 1, 0);
    //  2. The topic and its NUL, then nothing (no envelope).
    static const char empty[] = TEST_BOOK;
    zmq_send (zsock_resolve (rig->bus), empty, sizeof (empty), 0);
    //  3. Two frames.
    zmq_send (zsock_resolve (rig->bus), garbage, sizeof (garbage) - 1, ZMQ_SNDMORE);
    zmq_send (zsock_resolve (rig->bus), "x", 1, 0);
    //  4. A trade body on the book topic: a valid trade frame with its
    //  topic swapped for the book topic.
    Venuebus__Decimal price = VENUEBUS__DECIMAL__INIT, qty = VENUEBUS__DECIMAL__INIT;
    Venuebus__Trade trade = VENUEBUS__TRADE__INIT;
    trade.price = &price;
    trade.qty = &qty;
    Venuebus__Header header;
    s_header (&header, 2);
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = &trade;
    int length = vb_msg_encode (TEST_TRADE, &envelope, rig->frame, sizeof (rig->frame));
    cr_assert_gt (length, 0);
    size_t payload = (size_t)length - sizeof (TEST_TRADE);  //  After the topic's NUL
    uint8_t *swapped = (uint8_t *)malloc (sizeof (TEST_BOOK) + payload);
    memcpy (swapped, TEST_BOOK, sizeof (TEST_BOOK));  //  Topic and NUL
    memcpy (swapped + sizeof (TEST_BOOK), rig->frame + sizeof (TEST_TRADE), payload);
    zmq_send (zsock_resolve (rig->bus), swapped, sizeof (TEST_BOOK) + payload, 0);
    free (swapped);
    //  5. A delta with seq 0 (unset).
    s_change_t change[] = {{VB_BOOK_BID, 1, 10}};
    s_publish_delta (rig, NULL, change, 1, 0, true);
    //  6. A delta whose arrays do not line up (two prices, one qty).
    int64_t prices[] = {1001, 1002}, qtys[] = {5};
    Venuebus__BookDelta delta = VENUEBUS__BOOK_DELTA__INIT;
    delta.price_exponent = PRICE_EXPONENT;
    delta.qty_exponent = QTY_EXPONENT;
    delta.n_bid_price = 2;
    delta.bid_price = prices;
    delta.n_bid_qty = 1;
    delta.bid_qty = qtys;
    s_header (&header, 2);
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
    envelope.book_delta = &delta;
    cr_assert_eq (vb_msg_send (rig->bus, TEST_BOOK, &envelope, 0), 0);
    cr_assert_eq (s_sync (rig), 1);  //  Only the snapshot made a book event
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.bad_frames, 5);  //  1 to 5
    cr_assert_eq (stats.bad_books, 1);   //  6, which also starts a recovery
    bool in_sync = true;
    vb_sub_book (rig->sub, TEST_BOOK, &in_sync);
    cr_assert_not (in_sync);
    //  The recovery works as usual; seq 2 was the bad delta (not applied),
    //  so the gateway's book at seq 2 is the model.
    zmsg_t *request = s_expect_request (rig, rig->gateway);
    s_reply_snapshot (rig, &request, &model, 2);
    cr_assert (s_expect_book (rig).in_sync);
    s_assert_book (rig, &model);
    //  Garbage replies are counted too.
    s_change_t next[] = {{VB_BOOK_BID, 4, 40}};
    s_publish_delta (rig, &model, next, 1, 4, true);  //  Gap: 3 missing
    cr_assert_eq (s_sync (rig), 0);
    request = s_expect_request (rig, rig->gateway);
    zmsg_t *copy = zmsg_dup (request);
    s_reply (rig->gateway, &copy, "\x01\x02\x03", 3);
    s_reply_snapshot (rig, &request, &model, 4);
    cr_assert (s_expect_book (rig).in_sync);
    s_assert_book (rig, &model);
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.bad_replies, 1);
    s_rig_destroy (&rig);
}

Test (vb_sub, resets_the_book_from_a_snapshot_on_the_bus)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    s_publish_snapshot (rig, &model, 1, 0);
    cr_assert_eq (s_sync (rig), 1);
    //  A gap starts a recovery; before the reply, the gateway resyncs and
    //  publishes a whole new book on the bus at seq 5.
    s_change_t change[] = {{VB_BOOK_BID, 3, 30}};
    s_publish_delta (rig, &model, change, 1, 3, true);
    cr_assert_eq (s_sync (rig), 0);
    zmsg_t *request = s_expect_request (rig, rig->gateway);
    s_model_t fresh = {0};
    fresh.bid[7] = 70;
    fresh.ask[8] = 80;
    s_publish_snapshot (rig, &fresh, 5, 0);
    cr_assert_eq (s_sync (rig), 1);
    s_assert_book (rig, &fresh);
    //  The late reply to the request is ignored: the book stays the bus one.
    s_reply_snapshot (rig, &request, &model, 3);
    s_change_t next[] = {{VB_BOOK_ASK, 8, 81}};
    s_publish_delta (rig, &fresh, next, 1, 6, true);
    cr_assert_eq (s_sync (rig), 1);
    s_assert_book (rig, &fresh);
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.bus_snapshots, 2);
    cr_assert_eq (stats.recoveries, 0);
    s_rig_destroy (&rig);
}

Test (vb_sub, marks_the_book_out_of_sync_on_a_resyncing_status)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    s_publish_snapshot (rig, &model, 1, 0);
    s_publish_status (rig, VENUEBUS__BOOK_STATE__SYNCED, 1);
    cr_assert_eq (s_sync (rig), 1);
    bool in_sync = false;
    vb_sub_book (rig->sub, TEST_BOOK, &in_sync);
    cr_assert (in_sync);
    s_publish_status (rig, VENUEBUS__BOOK_STATE__RESYNCING, 2);
    s_sync (rig);
    vb_sub_book (rig->sub, TEST_BOOK, &in_sync);
    cr_assert_not (in_sync);
    //  The gateway's snapshot after its resync brings it back.
    model.bid[0] = 5;
    s_publish_snapshot (rig, &model, 2, 0);
    cr_assert_eq (s_sync (rig), 1);
    s_assert_book (rig, &model);
    //  STALE does the same.
    s_publish_status (rig, VENUEBUS__BOOK_STATE__STALE, 3);
    s_sync (rig);
    vb_sub_book (rig->sub, TEST_BOOK, &in_sync);
    cr_assert_not (in_sync);
    s_rig_destroy (&rig);
}

Test (vb_sub, truncates_to_the_snapshot_depth_like_the_gateway)
{
    s_rig_t *rig = s_rig_new ();
    //  Depth 2: bids 100.0 and 100.1, asks 110.0 and 110.1.
    s_model_t model = {0};
    model.bid[0] = 10;
    model.bid[1] = 11;
    model.ask[0] = 20;
    model.ask[1] = 21;
    s_publish_snapshot (rig, &model, 1, 2);
    //  A better bid 100.2 pushes 100.0 out of the top 2 (the gateway
    //  truncates its own book the same way and sends no removal).
    s_change_t change[] = {{VB_BOOK_BID, 2, 12}};
    s_publish_delta (rig, &model, change, 1, 2, true);
    model.bid[0] = 0;
    cr_assert_eq (s_sync (rig), 2);
    s_assert_book (rig, &model);
    s_rig_destroy (&rig);
}

Test (vb_sub, asks_again_when_the_buffer_does_not_follow_the_snapshot)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    s_publish_snapshot (rig, &model, 1, 0);
    cr_assert_eq (s_sync (rig), 1);
    //  Seq 2 and 4 are lost: seq 3 shows the first gap, and the buffer
    //  then holds 3 and 5.
    s_change_t c2[] = {{VB_BOOK_BID, 2, 2}};
    s_publish_delta (rig, &model, c2, 1, 2, false);
    s_model_t at_seq3;
    s_change_t c3[] = {{VB_BOOK_BID, 3, 3}};
    s_publish_delta (rig, &model, c3, 1, 3, true);
    at_seq3 = model;
    s_change_t c4[] = {{VB_BOOK_BID, 4, 4}};
    s_publish_delta (rig, &model, c4, 1, 4, false);
    s_change_t c5[] = {{VB_BOOK_BID, 5, 5}};
    s_publish_delta (rig, &model, c5, 1, 5, true);
    cr_assert_eq (s_sync (rig), 0);
    //  A snapshot at 3 cannot be followed (4 is missing): refused.
    zmsg_t *request = s_expect_request (rig, rig->gateway);
    s_reply_snapshot (rig, &request, &at_seq3, 3);
    s_wait_replies (rig, 1);
    vb_sub_event_t event;
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.buffer_holes, 1);
    cr_assert_eq (stats.gaps, 2);
    //  Asked again after the backoff: a snapshot at 4 is followed by 5.
    s_model_t at_seq4 = model;
    at_seq4.bid[5] = 0;
    vb_clock_advance (rig->clock, (int64_t)VB_SUB_RETRY_CAP_MS * VB_NS_PER_MS);
    request = s_expect_request (rig, rig->gateway);
    s_reply_snapshot (rig, &request, &at_seq4, 4);
    event = s_expect_book (rig);
    cr_assert (event.in_sync);
    cr_assert_eq (event.seq, 5);
    s_assert_book (rig, &model);
    s_rig_destroy (&rig);
}

Test (vb_sub, drops_a_full_buffer_and_asks_again)
{
    s_rig_t *rig = s_rig_new ();
    cr_assert_eq (vb_sub_set_buffer_max (rig->sub, 0), VB_EINVAL);
    cr_assert_eq (vb_sub_set_buffer_max (rig->sub, 2), 0);
    s_model_t model;
    s_model_init (&model);
    //  Late join at seq 10, then 11 and 12: the third delta overflows.
    for (uint64_t seq = 10; seq <= 12; seq++) {
        s_change_t change[] = {{VB_BOOK_BID, (int)seq, (int64_t)seq}};
        s_publish_delta (rig, &model, change, 1, seq, true);
    }
    cr_assert_eq (s_sync (rig), 0);
    zmsg_t *request = s_expect_request (rig, rig->gateway);
    zmsg_destroy (&request);
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.buffer_overflows, 1);
    //  One request went out for the gap and one after the overflow
    //  (the first may have been sent before or after it: both are there).
    cr_assert_eq (stats.requests, 2);
    request = zmsg_recv (rig->gateway);
    cr_assert_not_null (request);
    s_reply_snapshot (rig, &request, &model, 12);
    cr_assert (s_expect_book (rig).in_sync);
    s_assert_book (rig, &model);
    s_rig_destroy (&rig);
}

Test (vb_sub, treats_seq_one_as_a_publisher_restart)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    s_publish_snapshot (rig, &model, 1, 0);
    s_change_t change[] = {{VB_BOOK_BID, 1, 1}};
    s_publish_delta (rig, &model, change, 1, 2, true);
    //  A duplicate seq 2 is dropped.
    s_publish_delta (rig, NULL, change, 1, 2, true);
    cr_assert_eq (s_sync (rig), 2);
    //  The gateway restarts: a fresh snapshot with seq 1.
    s_model_t fresh = {0};
    fresh.ask[4] = 44;
    s_publish_snapshot (rig, &fresh, 1, 0);
    vb_sub_event_t event;
    cr_assert_eq (vb_sub_recv (rig->sub, TEST_WAIT_MS, &event), 0);
    cr_assert_eq (event.type, VB_SUB_EVENT_GAP);
    cr_assert_eq (event.expected_seq, 3);
    cr_assert_eq (event.received_seq, 1);
    cr_assert_eq (s_sync (rig), 1);
    s_assert_book (rig, &fresh);
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.duplicates, 1);
    s_rig_destroy (&rig);
}

Test (vb_sub, measures_publish_to_receive_latency)
{
    s_rig_t *rig = s_rig_new ();
    cr_assert_eq (vb_sub_latency_quantile_ns (rig->sub, 500), 0);
    //  Every frame is published at TEST_REAL_NS; the manual clock reads
    //  1500 ns later, so each latency is 1500 ns, in bucket [1024, 2048).
    vb_clock_advance (rig->clock, 1500);
    s_model_t model;
    s_model_init (&model);
    s_publish_snapshot (rig, &model, 1, 0);
    vb_sub_event_t event = s_expect_book (rig);
    cr_assert_eq (event.latency_ns, 1500);
    s_sync (rig);
    cr_assert_eq (vb_sub_latency_quantile_ns (rig->sub, 500), 2048);
    cr_assert_eq (vb_sub_latency_quantile_ns (rig->sub, 1000), 2048);
    uint64_t counts[VB_SUB_LATENCY_BUCKETS];
    vb_sub_latency_histogram (rig->sub, counts);
    cr_assert_eq (counts[11], 2);  //  The snapshot and the marker trade
    s_rig_destroy (&rig);
}

Test (vb_sub, refuses_bad_arguments)
{
    cr_assert_null (vb_sub_new (NULL));
    cr_assert_null (vb_sub_new (""));
    cr_assert_null (vb_sub_new ("nonsense://nowhere"));
    vb_sub_t *sub = vb_sub_new (TEST_BUS);
    cr_assert_not_null (sub);
    cr_assert_eq (vb_sub_subscribe (sub, NULL), VB_EINVAL);
    char longer[VB_TOPIC_MAX + 2];
    memset (longer, 'a', sizeof (longer) - 1);
    longer[sizeof (longer) - 1] = 0;
    cr_assert_eq (vb_sub_subscribe (sub, longer), VB_EINVAL);
    cr_assert_eq (vb_sub_subscribe (sub, "md.binance."), 0);  //  A prefix
    cr_assert_eq (vb_sub_add_gateway (sub, NULL, TEST_GATEWAY), VB_EINVAL);
    cr_assert_eq (vb_sub_add_gateway (sub, "test", ""), VB_EINVAL);
    cr_assert_null (vb_sub_book (sub, TEST_BOOK, NULL));
    cr_assert_eq (vb_sub_last_seq (sub, TEST_BOOK), 0);
    cr_assert_eq (vb_sub_timeout_ms (sub), -1);
    vb_sub_event_t event;
    cr_assert_eq (vb_sub_recv (sub, 0, &event), VB_EAGAIN);
    vb_sub_destroy (&sub);
}

//  --------------------------------------------------------------------------
//  Deterministic generator for the random test (xorshift64*).

static uint64_t
s_random (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C (2685821657736338717);
}

Test (vb_sub, recovers_from_hundreds_of_random_gaps)
{
    s_rig_t *rig = s_rig_new ();
    s_model_t model;
    s_model_init (&model);
    uint64_t seq = 1;
    s_publish_snapshot (rig, &model, seq, 0);
    cr_assert_eq (s_sync (rig), 1);
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    //  The model at each seq of the round, so a reply can be an older book.
    static s_model_t history[64];
    size_t recoveries = 0, gaps = 0;
    for (int round = 0; round < 400; round++) {
        uint64_t round_start = seq;
        uint64_t last_dropped = 0;
        size_t deltas = 1 + s_random (&state) % 8;
        for (size_t d = 0; d < deltas; d++) {
            s_change_t changes[4];
            size_t count = 1 + s_random (&state) % 4;
            for (size_t c = 0; c < count; c++) {
                changes[c].side = s_random (&state) % 2 ? VB_BOOK_BID : VB_BOOK_ASK;
                changes[c].tick = (int)(s_random (&state) % MODEL_TICKS);
                changes[c].qty = (int64_t)(s_random (&state) % 4) * 250;  //  0 removes
            }
            //  A quarter are lost, but never the last of a round, which
            //  shows the gap.
            bool deliver = d + 1 == deltas || s_random (&state) % 4 != 0;
            seq++;
            if (!deliver)
                last_dropped = seq;
            s_publish_delta (rig, &model, changes, count, seq, deliver);
            history[seq - round_start] = model;
        }
        s_sync (rig);
        bool in_sync = false;
        vb_sub_book (rig->sub, TEST_BOOK, &in_sync);
        if (last_dropped) {
            gaps++;
            cr_assert_not (in_sync, "round %d: a lost delta went unnoticed", round);
            //  Any book from the last lost delta on can be followed by the
            //  buffer; pick one at random.
            uint64_t reply_seq = last_dropped + s_random (&state) % (seq - last_dropped + 1);
            zmsg_t *request = s_expect_request (rig, rig->gateway);
            s_reply_snapshot (rig, &request, &history[reply_seq - round_start], reply_seq);
            vb_sub_event_t event = s_expect_book (rig);
            cr_assert (event.in_sync);
            cr_assert_eq (event.seq, seq);
            recoveries++;
        }
        s_assert_book (rig, &model);
    }
    cr_assert_gt (recoveries, 100);  //  A quarter lost over 400 rounds
    vb_sub_stats_t stats;
    vb_sub_stats (rig->sub, &stats);
    cr_assert_eq (stats.recoveries, recoveries);
    cr_assert_eq (stats.requests, recoveries);
    cr_assert_eq (stats.bad_frames + stats.bad_books + stats.buffer_holes, 0);
    cr_assert_geq (stats.gaps, gaps);
    s_rig_destroy (&rig);
}
