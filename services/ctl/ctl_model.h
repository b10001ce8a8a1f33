/*  ctl_model.h — what venuebus-ctl knows: bus events aggregated into books,
    rates, latencies, rate-limit buckets, orders, fills and health.

    The model is fed vb_sub events (vb_sub.h): the subscriber keeps the
    books in sequence and recovers them through gateway snapshots, and the
    model keeps, per venue and symbol, what the screen and the reports
    show: local sync state, top of book, level counts, last seq, gaps,
    the gateway's own status, the last trade and message rates. From ex.*
    it keeps orders (open ones and a bounded set of finished ones) and the
    most recent fills; from sys.* the rate-limit buckets, health and alerts.

    The model does no I/O and never logs: ctl_feed fills it from the bus,
    ctl_report and ctl_screen read it. Every time is passed in (ns since
    the epoch), so tests drive it with synthetic events and fixed clocks.
    Hostile events (unknown body cases, bad decimals, empty ids, states out
    of range) are counted in ctl_model_ignored and otherwise skipped.

    Rows are returned by index in a stable sorted order (books by venue
    then symbol, limits by service then bucket, orders by account then
    client order id, services by name). A returned row pointer is borrowed:
    valid until the next ctl_model_apply or destroy.
    Not thread-safe: one model belongs to one thread.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef CTL_MODEL_H_INCLUDED
#define CTL_MODEL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vb_decimal.h"
#include "vb_sub.h"
#include "vb_topic.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _ctl_model_t ctl_model_t;

//  Most venue/symbol rows, rate-limit buckets, services and alerts kept;
//  events for further new keys are counted in ctl_model_ignored.
#define CTL_MODEL_ROWS_MAX 4096
//  Most orders kept; when full, the finished order updated longest ago is
//  forgotten to make room (open orders are never dropped for finished ones).
#define CTL_MODEL_ORDERS_MAX 4096
//  Fills kept, newest first.
#define CTL_MODEL_FILLS_MAX 64
//  Latency samples kept per series (the most recent ones).
#define CTL_MODEL_LATENCY_SAMPLES 4096
//  Window over which message rates are measured, seconds.
#define CTL_MODEL_RATE_WINDOW_S 10
//  Longest free text kept (status reasons, health details, alert texts).
#define CTL_MODEL_TEXT_MAX 128
//  Longest id kept (client order ids, tags, trade ids, bucket names).
#define CTL_MODEL_ID_MAX 64
//  A component name with its NUL.
#define CTL_MODEL_NAME_MAX (VB_TOPIC_COMPONENT_MAX + 1)

//  The kinds of message counted by ctl_model_kind_*.
typedef enum {
    CTL_KIND_TRADE = 0,  //  md.*.trade
    CTL_KIND_BOOK,       //  md.*.book: snapshots and deltas
    CTL_KIND_BBO,        //  md.*.bbo
    CTL_KIND_CANDLE,     //  md.*.candle.<i>
    CTL_KIND_FUNDING,    //  md.*.funding
    CTL_KIND_STATUS,     //  md.*.status
    CTL_KIND_EXEC,       //  ex.*: acks, reports, rejects, balances
    CTL_KIND_SYS,        //  sys.*: rate limits, alerts, health
    CTL_KIND_COUNT       //  Number of kinds, not a kind
} ctl_kind_t;

//  Latency series.
typedef enum {
    CTL_LATENCY_PUBLISH_TO_CTL = 0,   //  ctl's receive time - header.publish_ts_ns
    CTL_LATENCY_EXCHANGE_TO_PUBLISH,  //  header.publish_ts_ns - header.exchange_ts_ns
    CTL_LATENCY_COUNT                 //  Number of series, not a series
} ctl_latency_series_t;

//  Percentiles of one latency series over its recent samples (nearest rank).
typedef struct {
    size_t count;    //  Samples the figures are taken over (0: no data)
    int64_t p50_ns;  //  Median
    int64_t p90_ns;  //  90th percentile
    int64_t p99_ns;  //  99th percentile
    int64_t max_ns;  //  Largest sample
} ctl_latency_t;

//  One venue and symbol.
typedef struct {
    char venue[CTL_MODEL_NAME_MAX];   //  e.g. "binance"
    char symbol[CTL_MODEL_NAME_MAX];  //  e.g. "BTC-USDT"
    bool has_book;                    //  A book message was applied at least once
    bool in_sync;                     //  The subscriber's book is verified and current
    bool has_bid;                     //  bid_price/bid_qty are set
    bool has_ask;                     //  ask_price/ask_qty are set
    vb_decimal_t bid_price;           //  Best bid, exact
    vb_decimal_t bid_qty;             //  Quantity at the best bid
    vb_decimal_t ask_price;           //  Best ask, exact
    vb_decimal_t ask_qty;             //  Quantity at the best ask
    size_t bid_levels;                //  Levels on the bid side
    size_t ask_levels;                //  Levels on the ask side
    uint64_t last_seq;                //  Last header.seq on the .book topic
    uint64_t gaps;                    //  Sequence jumps seen on this symbol's topics
    int gateway_state;                //  Last Status.book_state (Venuebus__BookState), 0: none
    char reason[CTL_MODEL_TEXT_MAX];  //  Last Status.reason
    uint64_t gateway_gaps;            //  Last Status.gaps
    uint64_t anomalies;               //  Last Status.anomalies
    uint64_t reconnects;              //  Last Status.reconnects
    bool has_trade;                   //  last_trade_* are set
    vb_decimal_t last_trade_price;    //  Price of the last trade
    vb_decimal_t last_trade_qty;      //  Quantity of the last trade
    bool has_bbo;                     //  bbo_* are set (from md.*.bbo)
    vb_decimal_t bbo_bid_price;       //  Last Bbo.bid_price
    vb_decimal_t bbo_ask_price;       //  Last Bbo.ask_price
    uint64_t messages;                //  Messages on this symbol's topics
    double rate;                      //  Messages per second (ctl_model_refresh)
    int64_t last_ns;                  //  When the last message arrived
} ctl_book_row_t;

//  One rate-limit bucket, from sys.<service>.ratelimit.
typedef struct {
    char service[CTL_MODEL_NAME_MAX];  //  Publishing service (from the topic)
    char bucket[CTL_MODEL_ID_MAX];     //  e.g. "binance.ip.weight_1m"
    char scope[CTL_MODEL_ID_MAX];      //  "ip" or "account:<name>"
    uint64_t used;                     //  Used in the current window
    uint64_t limit;                    //  Capacity of the window
    uint32_t permille;                 //  Utilisation as published (or used/limit)
    uint32_t queue_depth;              //  Requests waiting for this bucket
    int64_t window_ns;                 //  Window length
    int64_t banned_until_ns;           //  Ban end (ns since epoch), 0: none
    int64_t last_ns;                   //  When the last update arrived
} ctl_limit_row_t;

//  One order, from ex.<account>.<strategy>.
typedef struct {
    char account[CTL_MODEL_NAME_MAX];        //  From the topic
    char strategy[CTL_MODEL_NAME_MAX];       //  From the topic
    char client_tag[CTL_MODEL_ID_MAX];       //  The strategy's id
    char client_order_id[CTL_MODEL_ID_MAX];  //  The router's id
    char venue_order_id[CTL_MODEL_ID_MAX];   //  The venue's id, when known
    char symbol[CTL_MODEL_NAME_MAX];         //  BASE-QUOTE, when known
    int side;                                //  Venuebus__Side, 0: unknown
    int state;                               //  Venuebus__OrderState, 0: unknown
    bool has_price;                          //  price is set
    vb_decimal_t price;                      //  Limit price
    bool has_qty;                            //  qty is set
    vb_decimal_t qty;                        //  Order quantity
    bool has_filled;                         //  filled_qty is set
    vb_decimal_t filled_qty;                 //  Cumulative filled quantity
    char reject[CTL_MODEL_TEXT_MAX];         //  Reject reason and venue text, if any
    int64_t last_ns;                         //  When the last report arrived
} ctl_order_row_t;

//  One fill.
typedef struct {
    char account[CTL_MODEL_NAME_MAX];        //  From the topic
    char strategy[CTL_MODEL_NAME_MAX];       //  From the topic
    char client_order_id[CTL_MODEL_ID_MAX];  //  Order it belongs to
    char symbol[CTL_MODEL_NAME_MAX];         //  BASE-QUOTE, when known
    int side;                                //  Venuebus__Side, 0: unknown
    vb_decimal_t price;                      //  Fill price
    vb_decimal_t qty;                        //  Fill quantity
    char trade_id[CTL_MODEL_ID_MAX];         //  Venue trade id
    int64_t ts_ns;                           //  When it arrived
} ctl_fill_row_t;

//  One service seen on sys.<service>.*.
typedef struct {
    char service[CTL_MODEL_NAME_MAX];  //  From the topic
    bool has_health;                   //  A Health message arrived
    bool healthy;                      //  Last Health.healthy
    char detail[CTL_MODEL_TEXT_MAX];   //  Last Health.detail
    int64_t uptime_ns;                 //  Last Health.uptime_ns
    uint64_t messages;                 //  sys.* messages from this service
    int64_t last_ns;                   //  When the last one arrived
} ctl_service_row_t;

//  One alert, from sys.<service>.alert, keyed by service and name.
typedef struct {
    char service[CTL_MODEL_NAME_MAX];  //  From the topic
    char name[CTL_MODEL_ID_MAX];       //  Alert.name
    int severity;                      //  Venuebus__Severity
    bool firing;                       //  Last Alert.firing
    char text[CTL_MODEL_TEXT_MAX];     //  Last Alert.text
    int64_t last_ns;                   //  When the last update arrived
} ctl_alert_row_t;

//  Create an empty model. Returns NULL when memory runs out.
ctl_model_t *ctl_model_new (void);

//  Destroy the model and set *self_p to NULL. Safe to call twice.
void ctl_model_destroy (ctl_model_t **self_p);

//  Fold one subscriber event, received at now_ns, into the model. The event
//  and everything it points to are borrowed for the call only. Returns 0,
//  or VB_EINVAL when the event was not usable (counted, model unchanged),
//  or VB_ELIMIT when a table is full (counted).
int ctl_model_apply (ctl_model_t *self, const vb_sub_event_t *event, int64_t now_ns);

//  Recompute the message rates for now_ns. Call before reading rows.
void ctl_model_refresh (ctl_model_t *self, int64_t now_ns);

//  Events applied, and events ignored (bad or over a limit), since creation.
uint64_t ctl_model_events (ctl_model_t *self);
uint64_t ctl_model_ignored (ctl_model_t *self);

//  Messages of a kind since creation, and their rate at the last refresh.
uint64_t ctl_model_kind_total (ctl_model_t *self, ctl_kind_t kind);
double ctl_model_kind_rate (ctl_model_t *self, ctl_kind_t kind);
//  The kind's name ("trade", "book", ..., "ex", "sys"), or "?" when out of range.
const char *ctl_model_kind_name (ctl_kind_t kind);
//  All messages since creation, and their rate at the last refresh.
uint64_t ctl_model_total (ctl_model_t *self);
double ctl_model_rate (ctl_model_t *self);

//  Percentiles of a latency series into *out (count 0 when no samples).
void ctl_model_latency (ctl_model_t *self, ctl_latency_series_t series, ctl_latency_t *out);

//  Rows, by index (0 .. count - 1) in sorted order; NULL past the end.
size_t ctl_model_book_count (ctl_model_t *self);
const ctl_book_row_t *ctl_model_book (ctl_model_t *self, size_t index);
size_t ctl_model_limit_count (ctl_model_t *self);
const ctl_limit_row_t *ctl_model_limit (ctl_model_t *self, size_t index);
size_t ctl_model_order_count (ctl_model_t *self);
const ctl_order_row_t *ctl_model_order (ctl_model_t *self, size_t index);
size_t ctl_model_service_count (ctl_model_t *self);
const ctl_service_row_t *ctl_model_service (ctl_model_t *self, size_t index);
size_t ctl_model_alert_count (ctl_model_t *self);
const ctl_alert_row_t *ctl_model_alert (ctl_model_t *self, size_t index);

//  Fills, newest first (index 0); NULL past the end.
size_t ctl_model_fill_count (ctl_model_t *self);
const ctl_fill_row_t *ctl_model_fill (ctl_model_t *self, size_t index);

//  True when the order state is open (not FILLED, CANCELED, REJECTED or
//  EXPIRED; UNKNOWN counts as open until reconciled).
bool ctl_model_order_open (int state);

//  Names for enum values as shown: "SYNCED", "BUY", "PARTIALLY_FILLED",
//  "CRITICAL"... and "-" for 0 or a value this build does not know.
const char *ctl_model_book_state_name (int state);
const char *ctl_model_side_name (int side);
const char *ctl_model_order_state_name (int state);
const char *ctl_model_severity_name (int severity);

//  The health verdict: false when any service reported unhealthy, a
//  critical alert is firing, a gateway reported a book RESYNCING or STALE,
//  or no health or status message arrived at all. When false and why is
//  not NULL, writes the first reason found into why (size bytes).
bool ctl_model_healthy (ctl_model_t *self, char *why, size_t size);

#ifdef __cplusplus
}
#endif
#endif
