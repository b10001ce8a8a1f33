/*  ctl_test_msgs.h — build the synthetic envelopes the ctl tests feed in.

    Header-only, static helpers: each test file includes it once. Envelopes
    point at caller storage (the arrays and sub-messages of a s_msg_t), so
    nothing is allocated.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef CTL_TEST_MSGS_H_INCLUDED
#define CTL_TEST_MSGS_H_INCLUDED

#include <string.h>
#include "vb_msg.h"

//  Storage for one test envelope and its body.
typedef struct {
    Venuebus__Envelope envelope;       //  The envelope
    Venuebus__Header header;           //  Its header
    Venuebus__BookSnapshot snapshot;   //  Body storage, as needed
    Venuebus__BookDelta delta;         //  "
    Venuebus__Status status;           //  "
    Venuebus__RateLimit rate_limit;    //  "
    Venuebus__Health health;           //  "
    Venuebus__Alert alert;             //  "
    Venuebus__ExecutionReport report;  //  "
    Venuebus__Decimal decimals[6];     //  Decimal fields of a report
} s_msg_t;

//  Start an envelope with a header for venue/symbol (NULL for ex/sys).
static inline Venuebus__Envelope *
s_msg_init (s_msg_t *msg, const char *venue, const char *symbol, uint64_t seq)
{
    memset (msg, 0, sizeof (*msg));
    venuebus__envelope__init (&msg->envelope);
    venuebus__header__init (&msg->header);
    msg->header.venue = (char *)(venue ? venue : "");
    msg->header.symbol = (char *)(symbol ? symbol : "");
    msg->header.seq = seq;
    msg->header.producer = (char *)"test";
    msg->envelope.header = &msg->header;
    return &msg->envelope;
}

//  A book snapshot or delta over the caller's arrays (n levels a side).
static inline Venuebus__Envelope *
s_msg_book (s_msg_t *msg, bool snapshot, const char *venue, const char *symbol, uint64_t seq,
            int32_t price_exponent, int32_t qty_exponent, int64_t *bid_price, int64_t *bid_qty,
            size_t bids, int64_t *ask_price, int64_t *ask_qty, size_t asks)
{
    s_msg_init (msg, venue, symbol, seq);
    if (snapshot) {
        venuebus__book_snapshot__init (&msg->snapshot);
        msg->snapshot.price_exponent = price_exponent;
        msg->snapshot.qty_exponent = qty_exponent;
        msg->snapshot.n_bid_price = msg->snapshot.n_bid_qty = bids;
        msg->snapshot.bid_price = bid_price;
        msg->snapshot.bid_qty = bid_qty;
        msg->snapshot.n_ask_price = msg->snapshot.n_ask_qty = asks;
        msg->snapshot.ask_price = ask_price;
        msg->snapshot.ask_qty = ask_qty;
        msg->envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT;
        msg->envelope.book_snapshot = &msg->snapshot;
    } else {
        venuebus__book_delta__init (&msg->delta);
        msg->delta.price_exponent = price_exponent;
        msg->delta.qty_exponent = qty_exponent;
        msg->delta.n_bid_price = msg->delta.n_bid_qty = bids;
        msg->delta.bid_price = bid_price;
        msg->delta.bid_qty = bid_qty;
        msg->delta.n_ask_price = msg->delta.n_ask_qty = asks;
        msg->delta.ask_price = ask_price;
        msg->delta.ask_qty = ask_qty;
        msg->envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
        msg->envelope.book_delta = &msg->delta;
    }
    return &msg->envelope;
}

//  A Status message.
static inline Venuebus__Envelope *
s_msg_status (s_msg_t *msg, const char *venue, const char *symbol, uint64_t seq,
              Venuebus__BookState state, const char *reason, uint64_t gaps)
{
    s_msg_init (msg, venue, symbol, seq);
    venuebus__status__init (&msg->status);
    msg->status.book_state = state;
    msg->status.reason = (char *)reason;
    msg->status.gaps = gaps;
    msg->envelope.body_case = VENUEBUS__ENVELOPE__BODY_STATUS;
    msg->envelope.status = &msg->status;
    return &msg->envelope;
}

//  A RateLimit message.
static inline Venuebus__Envelope *
s_msg_rate_limit (s_msg_t *msg, uint64_t seq, const char *bucket, uint64_t used, uint64_t limit,
                  uint32_t permille, uint32_t queue_depth)
{
    s_msg_init (msg, NULL, NULL, seq);
    venuebus__rate_limit__init (&msg->rate_limit);
    msg->rate_limit.bucket = (char *)bucket;
    msg->rate_limit.scope = (char *)"ip";
    msg->rate_limit.used = used;
    msg->rate_limit.limit = limit;
    msg->rate_limit.utilisation_permille = permille;
    msg->rate_limit.queue_depth = queue_depth;
    msg->envelope.body_case = VENUEBUS__ENVELOPE__BODY_RATE_LIMIT;
    msg->envelope.rate_limit = &msg->rate_limit;
    return &msg->envelope;
}

//  A Health message.
static inline Venuebus__Envelope *
s_msg_health (s_msg_t *msg, uint64_t seq, bool healthy, const char *detail)
{
    s_msg_init (msg, NULL, NULL, seq);
    venuebus__health__init (&msg->health);
    msg->health.healthy = healthy;
    msg->health.detail = (char *)detail;
    msg->envelope.body_case = VENUEBUS__ENVELOPE__BODY_HEALTH;
    msg->envelope.health = &msg->health;
    return &msg->envelope;
}

//  An ExecutionReport; fill_price/fill_qty NULL for none. Decimals are
//  given as text and parsed exactly.
static inline Venuebus__Envelope *
s_msg_report (s_msg_t *msg, uint64_t seq, const char *order_id, Venuebus__OrderState state,
              const char *filled, const char *fill_price, const char *fill_qty,
              const char *trade_id)
{
    s_msg_init (msg, NULL, NULL, seq);
    venuebus__execution_report__init (&msg->report);
    Venuebus__ExecutionReport *report = &msg->report;
    report->client_tag = (char *)"tag-1";
    report->client_order_id = (char *)order_id;
    report->state = state;
    report->symbol = (char *)"BTC-USDT";
    report->side = VENUEBUS__SIDE__BUY;
    report->venue_trade_id = (char *)(trade_id ? trade_id : "");
    const char *texts[] = {"65000.10", "0.5", filled, fill_price, fill_qty};
    Venuebus__Decimal **fields[] = {&report->price, &report->qty, &report->filled_qty,
                                    &report->last_fill_price, &report->last_fill_qty};
    for (size_t i = 0; i < sizeof (texts) / sizeof (texts[0]); i++) {
        if (!texts[i])
            continue;
        vb_decimal_t value;
        if (vb_decimal_parse (texts[i], strlen (texts[i]), &value) == 0) {
            vb_msg_decimal_set (&msg->decimals[i], value);
            *fields[i] = &msg->decimals[i];
        }
    }
    msg->envelope.body_case = VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT;
    msg->envelope.execution_report = report;
    return &msg->envelope;
}

//  A decimal from text, for expectations (the tests' inputs are valid).
static inline vb_decimal_t
s_dec (const char *text)
{
    vb_decimal_t value = {0, 0};
    vb_decimal_parse (text, strlen (text), &value);
    return value;
}

#endif
