/*  vb_order_client.h — a strategy's side of the order path: DEALER to the router.

    Usage:

        vb_order_client_t *client = vb_order_client_new ("tcp://127.0.0.1:5570", "mm-1", NULL);
        vb_decimal_t price = {6500010, -2}, qty = {1, -3};     //  65000.10, 0.001
        vb_order_client_place (client, "main", "BTC-USDT", VENUEBUS__SIDE__BUY,
                               VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC,
                               &price, qty, true, "bid-1");
        vb_order_event_t event;
        while (vb_order_client_recv (client, &event, 1000) == 0)
            if (event.type == VB_ORDER_EVENT_EXECUTION_REPORT) ... event.state, event.position ...
        vb_order_client_destroy (&client);

    Wire (DESIGN.md §3 "Orders", proto/README.md "Orders"): every frame, both
    ways, is one bare venuebus.Envelope with no topic. Requests carry
    new_order, cancel, cancel_all, query_order or query_balances, with
    header.strategy = the strategy id (the router routes execution reports
    by it), header.account = the account, header.producer = the strategy id,
    header.seq = this client's request counter (from 1) and
    header.publish_ts_ns. Replies are ack, execution_report, reject and
    balances; anything else from the router (multipart messages, frames that
    do not decode, other body cases, a header.strategy naming another
    strategy, strings too long for the event buffers, bad decimals) is
    counted in vb_order_client_stats_t and skipped, never a crash.

    Sending never blocks by default: the socket has ZMQ_IMMEDIATE set, so
    while no router is connected a request is refused with VB_EAGAIN
    instead of being queued and sent minutes later when a router appears
    (a stale order is worse than none). The options can change that.

    Local view. The client tracks each order it placed (by client_tag, and
    by client_order_id once acknowledged) and each order the router reports
    that it did not place (after a strategy restart, for example):
    - state: ORDER_STATE_UNSPECIFIED until the first Ack or report, then the
      router's word; a terminal state (FILLED, CANCELED, REJECTED, EXPIRED)
      is final, and later reports no longer change it;
    - filled_qty: the largest cumulative filled_qty reported;
    - net position per (account, symbol): + qty for BUY fills and - qty for
      SELL fills. A fill is a report with last_fill_qty > 0. A fill with a
      venue_trade_id is counted once per (account, symbol, venue_trade_id),
      however often a report repeats it (the last VB_ORDER_CLIENT_FILLS_MAX
      ids are remembered); a fill without one is counted only when the
      order's cumulative filled_qty grew. A Reject marks the named order
      REJECTED.
    At most options.orders_max orders are tracked; when full, the oldest
    terminal order is forgotten (its tag is free again); if none is
    terminal, place returns VB_ELIMIT.

    Names: account and strategy are 1..VB_TOPIC_COMPONENT_MAX bytes of
    [A-Za-z0-9_-] (they are ex.<account>.<strategy> topic components); a
    symbol is normalised BASE-QUOTE (vb_topic.h); a client_tag is
    1..VB_ORDER_CLIENT_TAG_MAX bytes of [A-Za-z0-9_.:-]; a client_order_id
    is 1..VB_ORDER_CLIENT_ID_MAX bytes of printable ASCII without spaces.

    Not thread-safe: one client belongs to one thread. This class never
    logs; errors are negative VB_E* codes (vb_error.h):
        VB_EINVAL     bad argument (name, decimal, enum, combination)
        VB_EEXIST     place: client_tag already names a tracked order
        VB_ELIMIT     place: orders_max orders tracked and none terminal
        VB_EAGAIN     send: no router connected, or the send queue is full;
                      recv: nothing arrived within the timeout (or a signal)
        VB_EIO        the socket failed
        VB_ENOTFOUND  lookup: no such order
        VB_ENOMEM     allocation failed
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_ORDER_CLIENT_H_INCLUDED
#define VB_ORDER_CLIENT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>
#include "vb_decimal.h"
#include "vb_msg.h"
#include "vb_topic.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_order_client_t vb_order_client_t;

//  Longest client_tag, in bytes.
#define VB_ORDER_CLIENT_TAG_MAX 64
//  Longest client_order_id, venue_order_id or venue_trade_id kept, in bytes.
#define VB_ORDER_CLIENT_ID_MAX 64
//  Longest symbol, in bytes (a topic component).
#define VB_ORDER_CLIENT_SYMBOL_MAX VB_TOPIC_COMPONENT_MAX
//  Longest account or strategy name, in bytes (a topic component).
#define VB_ORDER_CLIENT_NAME_MAX VB_TOPIC_COMPONENT_MAX
//  Longest asset name (fee asset, balance asset), in bytes.
#define VB_ORDER_CLIENT_ASSET_MAX 32
//  Longest reject venue_code, in bytes.
#define VB_ORDER_CLIENT_CODE_MAX 64
//  Longest reject venue_text or detail, in bytes.
#define VB_ORDER_CLIENT_TEXT_MAX 512
//  Most balances one Balances reply may carry; more makes it malformed.
#define VB_ORDER_CLIENT_BALANCES_MAX 4096
//  Most venue trade ids remembered for deduplication (oldest forgotten first).
#define VB_ORDER_CLIENT_FILLS_MAX 100000
//  Most (account, symbol) positions tracked; fills beyond are counted in
//  stats.position_errors.
#define VB_ORDER_CLIENT_POSITIONS_MAX 4096

//  Defaults of vb_order_client_options_t.
#define VB_ORDER_CLIENT_HWM_DEFAULT        10000
#define VB_ORDER_CLIENT_LINGER_MS_DEFAULT  1000
#define VB_ORDER_CLIENT_ORDERS_MAX_DEFAULT 10000
//  Bounds of the options.
#define VB_ORDER_CLIENT_LINGER_MS_MAX       60000
#define VB_ORDER_CLIENT_SEND_TIMEOUT_MS_MAX 60000
#define VB_ORDER_CLIENT_ORDERS_MAX_MAX      1000000

//  Socket and tracking options. Zero a struct and set what you need, or
//  pass NULL for all defaults: a zero field takes its default.
typedef struct {
    int sndhwm;              //  Send high-water mark, frames (default 10000)
    int rcvhwm;              //  Receive high-water mark, frames (default 10000)
    int linger_ms;           //  Linger on destroy, 1..60000 ms (default 1000);
                             //  -1 means 0 (drop unsent frames at once)
    int send_timeout_ms;     //  How long a send may wait for a router or for
                             //  queue room, 0..60000 ms (default 0: never waits)
    bool queue_unconnected;  //  Queue requests while no router is connected
                             //  (clears ZMQ_IMMEDIATE; default false)
    size_t orders_max;       //  Orders tracked (default 10000, at most 1000000)
} vb_order_client_options_t;

//  What vb_order_client_recv returns.
typedef enum {
    VB_ORDER_EVENT_UNSET = 0,         //  Reserved
    VB_ORDER_EVENT_ACK,               //  The router journaled a NewOrder
    VB_ORDER_EVENT_EXECUTION_REPORT,  //  An order changed state, or filled
    VB_ORDER_EVENT_REJECT,            //  A request was refused
    VB_ORDER_EVENT_BALANCES,          //  Answer to query_balances
} vb_order_event_type_t;

//  One balance of a Balances reply.
typedef struct {
    char asset[VB_ORDER_CLIENT_ASSET_MAX + 1];  //  "BTC"
    vb_decimal_t free;                          //  Available
    vb_decimal_t locked;                        //  Held by open orders
} vb_order_balance_t;

//  An event. Strings are copied into the struct and always NUL-terminated
//  ("" when absent); decimals are exact; a has_* flag tells whether an
//  optional decimal was present. Only `balances` is borrowed: valid until
//  the next vb_order_client_recv or destroy.
typedef struct {
    vb_order_event_type_t type;                        //  What arrived
    char account[VB_ORDER_CLIENT_NAME_MAX + 1];        //  Report's account, else header.account
    char client_tag[VB_ORDER_CLIENT_TAG_MAX + 1];      //  ACK, REPORT, REJECT
    char client_order_id[VB_ORDER_CLIENT_ID_MAX + 1];  //  ACK, REPORT, REJECT
    uint64_t journal_seq;                              //  ACK
    Venuebus__OrderState state;                        //  REPORT; ACK, REJECT: the order's
                                                       //  local state after it
    char symbol[VB_ORDER_CLIENT_SYMBOL_MAX + 1];       //  REPORT: report's, else the order's
    Venuebus__Side side;                               //  REPORT: report's, else the order's
    vb_decimal_t price;                                //  REPORT: order price
    bool has_price;                                    //  price was present
    vb_decimal_t qty;                                  //  REPORT: order quantity
    bool has_qty;                                      //  qty was present
    vb_decimal_t filled_qty;                           //  REPORT: cumulative filled
    bool has_filled_qty;                               //  filled_qty was present
    vb_decimal_t last_fill_price;                      //  REPORT: this fill's price
    vb_decimal_t last_fill_qty;                        //  REPORT: this fill's quantity
    bool has_fill;                                     //  The report carries a fill
    bool fill_counted;                                 //  That fill changed the position
                                                       //  (false: a repeat, or unattributable)
    vb_decimal_t fee;                                  //  REPORT: fee of this fill
    bool has_fee;                                      //  fee was present
    char fee_asset[VB_ORDER_CLIENT_ASSET_MAX + 1];     //  REPORT
    char venue_trade_id[VB_ORDER_CLIENT_ID_MAX + 1];   //  REPORT
    char venue_order_id[VB_ORDER_CLIENT_ID_MAX + 1];   //  REPORT
    vb_decimal_t position;                             //  REPORT: net position of
                                                       //  (account, symbol) after it
    Venuebus__RejectReason reason;                     //  REJECT
    char venue_code[VB_ORDER_CLIENT_CODE_MAX + 1];     //  REJECT
    char venue_text[VB_ORDER_CLIENT_TEXT_MAX + 1];     //  REJECT
    char detail[VB_ORDER_CLIENT_TEXT_MAX + 1];         //  REJECT
    const vb_order_balance_t *balances;                //  BALANCES: borrowed array
    size_t balance_count;                              //  BALANCES: entries in it
} vb_order_event_t;

//  The local view of one order.
typedef struct {
    char account[VB_ORDER_CLIENT_NAME_MAX + 1];        //  Account it was placed on
    char symbol[VB_ORDER_CLIENT_SYMBOL_MAX + 1];       //  "" when a report did not say
    char client_tag[VB_ORDER_CLIENT_TAG_MAX + 1];      //  "" for an order adopted by id
    char client_order_id[VB_ORDER_CLIENT_ID_MAX + 1];  //  "" until acknowledged
    Venuebus__Side side;                               //  SIDE_UNSPECIFIED if not known
    vb_decimal_t price;                                //  Limit price (has_price)
    bool has_price;                                    //  false for MARKET or unknown
    vb_decimal_t qty;                                  //  Order quantity (zero if unknown)
    vb_decimal_t filled_qty;                           //  Largest cumulative filled reported
    Venuebus__OrderState state;                        //  UNSPECIFIED until the router spoke
    bool acked;                                        //  An Ack was received
    bool terminal;                                     //  FILLED, CANCELED, REJECTED, EXPIRED
} vb_order_view_t;

//  Counters since creation.
typedef struct {
    uint64_t sent;              //  Requests sent
    uint64_t received;          //  Frames received (good or bad)
    uint64_t events;            //  Events returned
    uint64_t malformed;         //  Frames skipped: multipart, undecodable, bad fields
    uint64_t unexpected;        //  Frames skipped: a body case that is not a reply
    uint64_t misrouted;         //  Frames skipped: header.strategy names another strategy
    uint64_t unknown_orders;    //  Reports for orders the client had not seen (adopted)
    uint64_t fills;             //  Fills counted into a position
    uint64_t duplicate_fills;   //  Fills already counted (same venue_trade_id or no growth)
    uint64_t position_errors;   //  Fills that could not be counted (no side or symbol,
                                //  overflow, too many positions)
    uint64_t orders_forgotten;  //  Terminal orders dropped to make room
} vb_order_client_stats_t;

//  Create a client: a DEALER connected to the router's strategy endpoint
//  (a czmq endpoint list, e.g. "tcp://127.0.0.1:5570"), with routing id
//  "<strategy>-<16 random hex digits>". options may be NULL (defaults).
//  The connection completes in the background. Returns NULL when endpoint
//  is NULL or unusable, strategy is not a valid name, or an option is out
//  of range.
vb_order_client_t *vb_order_client_new (const char *endpoint, const char *strategy,
                                        const vb_order_client_options_t *options);

//  Destroy the client and its socket (lingering at most options.linger_ms
//  for unsent frames), and set *self_p to NULL. Safe to call twice.
void vb_order_client_destroy (vb_order_client_t **self_p);

//  Send a NewOrder. price is required (> 0) for LIMIT and must be NULL for
//  MARKET; qty must be > 0; post_only needs LIMIT with GTC. client_tag must
//  not name an order already tracked. Returns 0 once the frame is queued
//  (the Ack or Reject comes later as an event), or VB_EINVAL, VB_EEXIST,
//  VB_ELIMIT, VB_EAGAIN (nothing was sent, nothing is tracked) or VB_EIO.
int vb_order_client_place (vb_order_client_t *self, const char *account, const char *symbol,
                           Venuebus__Side side, Venuebus__OrderType type,
                           Venuebus__TimeInForce time_in_force, const vb_decimal_t *price,
                           vb_decimal_t qty, bool post_only, const char *client_tag);

//  Send a Cancel naming the order by exactly one of client_tag and
//  client_order_id (the other NULL). symbol may be NULL: the tracked
//  order's symbol is used when known, else it is left empty. Returns 0,
//  VB_EINVAL, VB_EAGAIN or VB_EIO.
int vb_order_client_cancel (vb_order_client_t *self, const char *account, const char *symbol,
                            const char *client_tag, const char *client_order_id);

//  Send a CancelAll for one symbol of account, or every symbol when symbol
//  is NULL. Returns 0, VB_EINVAL, VB_EAGAIN or VB_EIO.
int vb_order_client_cancel_all (vb_order_client_t *self, const char *account, const char *symbol);

//  Send a QueryOrder, naming the order as vb_order_client_cancel does. The
//  answer is an ExecutionReport (or a Reject). Returns as cancel.
int vb_order_client_query_order (vb_order_client_t *self, const char *account, const char *symbol,
                                 const char *client_tag, const char *client_order_id);

//  Send a QueryBalances for account. The answer is a BALANCES event.
//  Returns 0, VB_EINVAL, VB_EAGAIN or VB_EIO.
int vb_order_client_query_balances (vb_order_client_t *self, const char *account);

//  Wait at most timeout_ms (0: do not wait; -1: forever) for the next reply
//  and fill *event, after updating the local view from it. Frames that are
//  skipped (see above) do not end the wait. Returns 0 with an event,
//  VB_EAGAIN when the time ran out or a signal interrupted the wait, or
//  VB_EIO when the socket failed.
int vb_order_client_recv (vb_order_client_t *self, vb_order_event_t *event, int timeout_ms);

//  The DEALER, for a caller's zpoller. Borrowed. After it polls readable,
//  call vb_order_client_recv (self, &event, 0) until VB_EAGAIN.
zsock_t *vb_order_client_socket (vb_order_client_t *self);

//  The socket's ZMQ_FD, for a foreign event loop. The descriptor is edge
//  triggered in ZeroMQ's sense: after it signals, drain with
//  vb_order_client_recv (..., 0) until VB_EAGAIN.
int vb_order_client_fd (vb_order_client_t *self);

//  The routing id this client uses ("<strategy>-<hex>"). Borrowed.
const char *vb_order_client_routing_id (vb_order_client_t *self);

//  The strategy id. Borrowed.
const char *vb_order_client_strategy (vb_order_client_t *self);

//  Copy the local view of an order named by exactly one of client_tag and
//  client_order_id into *view. Returns 0, VB_EINVAL (both or neither
//  given), or VB_ENOTFOUND.
int vb_order_client_order (vb_order_client_t *self, const char *client_tag,
                           const char *client_order_id, vb_order_view_t *view);

//  Number of orders tracked, and of those not terminal.
size_t vb_order_client_order_count (vb_order_client_t *self);
size_t vb_order_client_open_count (vb_order_client_t *self);

//  The net position of (account, symbol) from counted fills: zero when
//  none. Returns 0, or VB_EINVAL for NULL names.
int vb_order_client_position (vb_order_client_t *self, const char *account, const char *symbol,
                              vb_decimal_t *position);

//  Copy the counters into *stats.
void vb_order_client_stats (vb_order_client_t *self, vb_order_client_stats_t *stats);

//  The name of an order state ("NEW", "FILLED", ...), or "UNSPECIFIED" for
//  values this build does not know. For logs.
const char *vb_order_client_state_name (Venuebus__OrderState state);

//  True for FILLED, CANCELED, REJECTED and EXPIRED.
bool vb_order_client_state_terminal (Venuebus__OrderState state);

#ifdef __cplusplus
}
#endif
#endif
