/*  vb_exec.h — the contract between the order router (services/router) and
    a venue's execution adapter (venues/<venue>/exec.c).

    Adapters translate; they do not own I/O (house style 3.4). The router
    owns the journal, the rate-limit authority, the HTTP client (curl multi),
    the private WebSocket session, retries, failover between base URLs and
    reconciliation. An adapter:
    - declares the venue's rate limits as data (buckets), and the cost of
      every request it builds in those buckets;
    - builds signed REST requests (place, cancel, cancel all, query by client
      order id, open orders, recent fills, balances, instruments, key
      permissions) with venues/<venue>/auth.c;
    - parses every answer into normalised results: order state, fills,
      balances, and for errors a normalised reason plus the venue's own code
      and text, classified as REJECTED (the venue said no), UNKNOWN (the
      outcome was not seen: timeout, 5xx, Binance -1007, any code the
      adapter does not know), RATE_LIMITED, AUTH or NOT_FOUND;
    - keeps the instrument rules (tick, lot, min notional) and rejects an
      order locally, with a clear reason, before it is ever sent;
    - drives the private stream: which URL, what to send once it is open
      (logon, subscribe; with a token fetched over REST first where the venue
      needs one), and how to read its frames into order updates and fills.
    Symbols here are normalised BASE-QUOTE; numbers are exact vb_decimal_t.
    Adapters are single-threaded: the router calls one from one thread.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_EXEC_H_INCLUDED
#define VB_EXEC_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_decimal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_exec_t vb_exec_t;

#define VB_EXEC_URL_MAX     2048
#define VB_EXEC_BODY_MAX    4096
#define VB_EXEC_HEADERS_MAX 8
#define VB_EXEC_HEADER_MAX  512
#define VB_EXEC_COSTS_MAX   4
#define VB_EXEC_ID_MAX      64
#define VB_EXEC_TEXT_MAX    256

//  Enum values equal the proto enums (venuebus.Side, OrderType, TimeInForce,
//  OrderState, RejectReason), so the router can cast between them.
typedef enum { VB_EXEC_BUY = 1, VB_EXEC_SELL = 2 } vb_exec_side_t;
typedef enum { VB_EXEC_LIMIT = 1, VB_EXEC_MARKET = 2 } vb_exec_type_t;
typedef enum { VB_EXEC_GTC = 1, VB_EXEC_IOC = 2, VB_EXEC_FOK = 3 } vb_exec_tif_t;
typedef enum {
    VB_EXEC_STATE_PENDING_NEW = 1,
    VB_EXEC_STATE_NEW = 2,
    VB_EXEC_STATE_PARTIALLY_FILLED = 3,
    VB_EXEC_STATE_FILLED = 4,
    VB_EXEC_STATE_PENDING_CANCEL = 5,
    VB_EXEC_STATE_CANCELED = 6,
    VB_EXEC_STATE_REJECTED = 7,
    VB_EXEC_STATE_EXPIRED = 8,
    VB_EXEC_STATE_UNKNOWN = 9,
} vb_exec_state_t;
typedef enum {
    VB_EXEC_REASON_NONE = 0,
    VB_EXEC_REASON_INSUFFICIENT_BALANCE = 1,
    VB_EXEC_REASON_INVALID_PRICE = 2,
    VB_EXEC_REASON_INVALID_QTY = 3,
    VB_EXEC_REASON_MIN_NOTIONAL = 4,
    VB_EXEC_REASON_UNKNOWN_SYMBOL = 5,
    VB_EXEC_REASON_UNKNOWN_ACCOUNT = 6,
    VB_EXEC_REASON_UNKNOWN_ORDER = 7,
    VB_EXEC_REASON_DUPLICATE_ORDER = 8,
    VB_EXEC_REASON_RATE_LIMITED = 9,
    VB_EXEC_REASON_POST_ONLY_WOULD_TAKE = 10,
    VB_EXEC_REASON_AUTH_FAILED = 11,
    VB_EXEC_REASON_VENUE_UNAVAILABLE = 12,
    VB_EXEC_REASON_INVALID_REQUEST = 13,
    VB_EXEC_REASON_RISK_LIMIT = 14,
    VB_EXEC_REASON_OTHER = 15,
} vb_exec_reason_t;

//  How an answer is to be taken.
typedef enum {
    VB_EXEC_OK = 1,            //  The venue did what was asked
    VB_EXEC_REJECTED = 2,      //  The venue refused it: a business rejection, final
    VB_EXEC_UNKNOWN = 3,       //  Outcome not seen: reconcile by client order id, never resend
    VB_EXEC_RATE_LIMITED = 4,  //  429/418 or the venue's rate-limit code; see retry_after_ms
    VB_EXEC_AUTH = 5,          //  Key, signature, timestamp/nonce, IP or permission problem
    VB_EXEC_NOT_FOUND = 6,     //  The order does not exist (query/cancel)
} vb_exec_outcome_t;

//  What a request is for; also selects how its answer is parsed.
typedef enum {
    VB_EXEC_REQ_INSTRUMENTS = 1,
    VB_EXEC_REQ_PLACE = 2,
    VB_EXEC_REQ_CANCEL = 3,
    VB_EXEC_REQ_CANCEL_ALL = 4,
    VB_EXEC_REQ_QUERY = 5,
    VB_EXEC_REQ_OPEN_ORDERS = 6,
    VB_EXEC_REQ_FILLS = 7,
    VB_EXEC_REQ_BALANCES = 8,
    VB_EXEC_REQ_KEY_PERMISSIONS = 9,
    VB_EXEC_REQ_STREAM_TOKEN = 10,  //  Kraken GetWebSocketsToken; unused by Binance
} vb_exec_kind_t;

//  Rate-limit priorities (vb_ratelimit lanes): cancel > order > query > market data.
typedef enum {
    VB_EXEC_PRIO_CANCEL = 1,
    VB_EXEC_PRIO_ORDER = 2,
    VB_EXEC_PRIO_QUERY = 3,
    VB_EXEC_PRIO_MARKET_DATA = 4,
} vb_exec_priority_t;

//  One rate-limit bucket, as data. GCRA state is the router's.
typedef struct {
    const char *name;   //  "binance.ip.request_weight_1m"
    const char *scope;  //  "ip" or "account"
    int64_t limit;      //  Weight per period
    int64_t period_ns;
    int64_t burst;             //  Most weight at once (keep limit-in-window safe on fixed windows)
    const char *usage_header;  //  Response header carrying the venue's own count, or NULL
} vb_exec_bucket_t;

typedef struct {
    size_t bucket;  //  Index into the adapter's bucket table
    int64_t weight;
} vb_exec_cost_t;

//  A request for the router to send. Everything is already signed.
typedef struct {
    vb_exec_kind_t kind;
    vb_exec_priority_t priority;
    char method[8];               //  "GET", "POST", "DELETE"
    char url[VB_EXEC_URL_MAX];    //  Full URL with query
    char body[VB_EXEC_BODY_MAX];  //  Form or JSON body, NUL-terminated
    size_t body_length;
    char headers[VB_EXEC_HEADERS_MAX][VB_EXEC_HEADER_MAX];  //  "Name: value"
    size_t header_count;
    vb_exec_cost_t costs[VB_EXEC_COSTS_MAX];  //  Rate-limit cost
    size_t cost_count;
    bool may_execute;                      //  A lost answer leaves an order UNKNOWN (place, cancel)
    char symbol[32];                       //  The symbol it concerns, "" if none
    char client_order_id[VB_EXEC_ID_MAX];  //  The order it concerns, "" if none
} vb_exec_request_t;

//  An order to place, already journaled (client_order_id from the journal).
typedef struct {
    const char *client_order_id;
    const char *symbol;
    vb_exec_side_t side;
    vb_exec_type_t type;
    vb_exec_tif_t tif;
    bool post_only;
    vb_decimal_t price;  //  Ignored for MARKET
    vb_decimal_t qty;
} vb_exec_order_t;

//  An order as the venue reports it (answers and private stream).
typedef struct {
    char client_order_id[VB_EXEC_ID_MAX];
    char venue_order_id[VB_EXEC_ID_MAX];
    char symbol[32];
    vb_exec_side_t side;
    vb_exec_state_t state;
    vb_decimal_t price;
    vb_decimal_t qty;
    vb_decimal_t filled_qty;  //  Cumulative
    int64_t update_ts_ns;
} vb_exec_report_t;

//  One fill. (venue, account, symbol, side, trade_id) identifies it.
typedef struct {
    char client_order_id[VB_EXEC_ID_MAX];
    char venue_order_id[VB_EXEC_ID_MAX];
    char trade_id[VB_EXEC_ID_MAX];
    char symbol[32];
    vb_exec_side_t side;
    vb_decimal_t price;
    vb_decimal_t qty;
    vb_decimal_t fee;
    char fee_asset[16];
    bool maker;
    int64_t ts_ns;
} vb_exec_fill_t;

typedef struct {
    bool can_read;
    bool can_trade;
    bool can_withdraw;
    bool ip_restricted;  //  The key has an IP whitelist
} vb_exec_permissions_t;

//  The normalised answer to one request.
typedef struct {
    vb_exec_outcome_t outcome;
    vb_exec_reason_t reason;  //  For REJECTED (and AUTH, RATE_LIMITED)
    char venue_code[32];      //  "-2010", "EOrder:Insufficient funds"
    char venue_text[VB_EXEC_TEXT_MAX];
    int64_t retry_after_ms;   //  RATE_LIMITED: how long to stop (0: unknown)
    bool banned;              //  Binance 418: the whole venue stops until then
    vb_exec_report_t report;  //  PLACE, CANCEL, QUERY: the order after it
    bool has_report;
} vb_exec_result_t;

//  Where parsed lists go (open orders, fills, balances, permissions, and
//  private-stream events). Any member may be NULL.
typedef struct {
    void *ctx;
    void (*order) (void *ctx, const vb_exec_report_t *report);
    void (*fill) (void *ctx, const vb_exec_fill_t *fill);
    void (*balance) (void *ctx, const char *asset, vb_decimal_t free, vb_decimal_t locked);
    void (*permissions) (void *ctx, const vb_exec_permissions_t *permissions);
    //  Private stream: send a text frame (logon, subscribe, pong).
    int (*send) (void *ctx, const char *text, size_t length);
    //  Private stream: the adapter needs a REST request first (Kraken token).
    int (*request) (void *ctx, const vb_exec_request_t *request);
} vb_exec_sink_t;

typedef struct {
    const char *account;  //  Account name in the router's config
    const char *api_key;  //  Borrowed; lives in the router's locked memory
    const char *secret;
    size_t secret_length;
    const char *passphrase;  //  OKX; NULL otherwise
    const char *rest_url;    //  Base REST URL (NULL/"" = the venue's production default)
    const char *ws_url;      //  Private WS URL (NULL/"" = production default)
    int64_t recv_window_ms;  //  Binance recvWindow (0 = 5000)
} vb_exec_config_t;

typedef struct {
    const char *name;  //  "binance", "kraken"

    //  The venue's rate limits, as data.
    const vb_exec_bucket_t *(*buckets) (size_t *count);

    vb_exec_t *(*create) (const vb_exec_config_t *config, char *error, size_t error_size);
    void (*destroy) (vb_exec_t **self_p);

    //  Point the adapter at another base REST URL (failover, e.g. api1..api4).
    int (*set_rest_url) (vb_exec_t *self, const char *rest_url);

    //  Request builders. now_ms is wall-clock time (timestamps, nonces).
    //  Each returns 0, or a negative VB_E* (e.g. VB_EINVAL for an order that
    //  breaks the instrument rules: then *result explains it and nothing
    //  may be sent).
    int (*instruments) (vb_exec_t *self, vb_exec_request_t *request);
    int (*place) (vb_exec_t *self, const vb_exec_order_t *order, int64_t now_ms,
                  vb_exec_request_t *request, vb_exec_result_t *result);
    int (*cancel) (vb_exec_t *self, const char *symbol, const char *client_order_id, int64_t now_ms,
                   vb_exec_request_t *request);
    int (*cancel_all) (vb_exec_t *self, const char *symbol, int64_t now_ms,
                       vb_exec_request_t *request);
    int (*query) (vb_exec_t *self, const char *symbol, const char *client_order_id, int64_t now_ms,
                  vb_exec_request_t *request);
    int (*open_orders) (vb_exec_t *self, const char *symbol, int64_t now_ms,
                        vb_exec_request_t *request);
    int (*fills) (vb_exec_t *self, const char *symbol, int64_t since_ms, int64_t now_ms,
                  vb_exec_request_t *request);
    int (*balances) (vb_exec_t *self, int64_t now_ms, vb_exec_request_t *request);
    int (*key_permissions) (vb_exec_t *self, int64_t now_ms, vb_exec_request_t *request);

    //  Parse the answer to `request`: HTTP status (0 = no answer: timeout or
    //  connection lost), response headers ("Name: value" lines, may be NULL),
    //  body. Lists go to the sink; INSTRUMENTS answers load the rules.
    //  Usage headers are reported as bucket usage through `usage` (index,
    //  used) when non-NULL. Returns 0, or a negative VB_E* when the answer
    //  could not be parsed at all (then result->outcome is UNKNOWN for
    //  requests that may_execute).
    int (*parse) (vb_exec_t *self, const vb_exec_request_t *request, int http_status,
                  const char *const *headers, size_t header_count, const char *body, size_t length,
                  const vb_exec_sink_t *sink, vb_exec_result_t *result,
                  void (*usage) (void *ctx, size_t bucket, int64_t used), void *usage_ctx);

    //  Private stream. stream_url: where to connect. stream_opened: send
    //  logon/subscribe through sink->send (or ask for a token through
    //  sink->request first, and continue in stream_token). stream_frame:
    //  one text frame → sink->order / sink->fill / sink->balance.
    int (*stream_url) (vb_exec_t *self, char *url, size_t size);
    int (*stream_opened) (vb_exec_t *self, int64_t now_ms, const vb_exec_sink_t *sink);
    int (*stream_frame) (vb_exec_t *self, const char *text, size_t length, int64_t now_ms,
                         const vb_exec_sink_t *sink);

    //  Private stream, second step for venues whose stream_opened asked for a
    //  token through sink->request (Kraken GetWebSocketsToken): once the
    //  router has parse()d the answer to that request (outcome OK), it calls
    //  stream_token to send the subscription through sink->send. `token` is
    //  the token text, or NULL to use the one parse() kept from the last
    //  STREAM_TOKEN answer. Returns 0 or a negative VB_E* (VB_ESTATE when no
    //  token is known). NULL for venues that need no token (Binance).
    int (*stream_token) (vb_exec_t *self, const char *token, const vb_exec_sink_t *sink);
} vb_exec_ops_t;

//  Base of every adapter state: the ops pointer comes first.
struct _vb_exec_t {
    const vb_exec_ops_t *ops;
};

//  The execution adapters linked into venuebus-router (venues/registry.c).
const vb_exec_ops_t *vb_exec_venue_find (const char *name);

#ifdef __cplusplus
}
#endif
#endif
