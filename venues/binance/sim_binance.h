/*  sim_binance.h — private to the Binance simulator personality (sim*.c).

    The personality is split by role: sim.c (ops, listings, engine events,
    public streams), sim_rest.c (REST routing, auth, rate limits),
    sim_market.c (public REST market data, klines, mark price),
    sim_orders.c (orders and account, shared by REST and the WS API),
    sim_wsapi.c (WS API: session.logon, user data) and sim_util.c (text
    buffer, parameters, decimals). Nothing here is exported
    beyond venuebus-sim; every name carries the bnsim_ prefix.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef BNSIM_H_INCLUDED
#define BNSIM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vb_sim.h"
#include "vb_hmac.h"

#define BNSIM_DECIMALS          8     //  Binance prints prices and quantities with 8 decimals
#define BNSIM_EXPONENT          (-8)  //  ... i.e. at 10^-8
#define BNSIM_NS_PER_MS         INT64_C (1000000)
#define BNSIM_NS_PER_US         INT64_C (1000)
#define BNSIM_MS_PER_S          INT64_C (1000)
#define BNSIM_PARAMS_MAX        48    //  Parameters one request may carry
#define BNSIM_MSG_MAX           512   //  Longest error message
#define BNSIM_SYMBOLS_MAX       16    //  Listings the personality serves
#define BNSIM_STREAMS_MAX       1024  //  Streams per connection (venues.md 1.1)
#define BNSIM_WS_MSGS_PER_S     5     //  Incoming messages per second per connection
#define BNSIM_SUBSCRIPTIONS_MAX 1000  //  User data subscriptions per WS API session
#define BNSIM_DEPTH_LEVELS_MAX  5000  //  REST depth limit maximum
#define BNSIM_INTERVAL_COUNT    16    //  Kline intervals, 1s .. 1M
#define BNSIM_NAME_MAX          64    //  Stream names

//  --------------------------------------------------------------------------
//  Growable text buffer (JSON is built into these).

typedef struct {
    char *data;       //  NUL-terminated text, or NULL when empty
    size_t length;    //  Bytes used, without the NUL
    size_t capacity;  //  Bytes allocated
} bnsim_buf_t;

void bnsim_buf_reset (bnsim_buf_t *buf);
void bnsim_buf_free (bnsim_buf_t *buf);
void bnsim_buf_add (bnsim_buf_t *buf, const char *text, size_t length);
void bnsim_buf_str (bnsim_buf_t *buf, const char *text);
void bnsim_buf_printf (bnsim_buf_t *buf, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
//  A JSON string, quoted and escaped.
void bnsim_buf_json (bnsim_buf_t *buf, const char *text);
//  A decimal mantissa x 10^exponent as a quoted string at 8 decimals.
void bnsim_buf_dec (bnsim_buf_t *buf, int64_t mantissa, int32_t exponent);
//  The same, unquoted, into a small buffer (at least VB_DECIMAL_TEXT_MAX).
void bnsim_format_dec (char *out, size_t size, int64_t mantissa, int32_t exponent);

//  --------------------------------------------------------------------------
//  Request parameters: decoded copies of query + form body (REST) or of a
//  WS API params object. Names are case-sensitive, as Binance's are.

typedef struct {
    const char *name;
    const char *value;
} bnsim_param_t;

typedef struct {
    bnsim_param_t items[BNSIM_PARAMS_MAX];
    size_t count;
    char *storage;  //  Owns every name and value
    size_t used;    //  Bytes of storage used
    size_t size;    //  Bytes of storage allocated
} bnsim_params_t;

//  Outcome of a request: an HTTP status and Binance's {code, msg}.
typedef struct {
    int status;  //  HTTP status (200 when no error)
    int code;    //  Binance error code (0 when none)
    char msg[BNSIM_MSG_MAX];
    int64_t retry_after_s;  //  For 429 / 418, else 0
    int64_t retry_at_ms;    //  For 418 on the WS API (error.data.retryAfter), else 0
} bnsim_error_t;

void bnsim_error_set (bnsim_error_t *error, int status, int code, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Parse `query` and `body` (x-www-form-urlencoded). Returns 0, or sets
//  error (-1101 too many or duplicate, -1100 bad encoding) and returns -1.
int bnsim_params_parse (bnsim_params_t *params, const char *query, const char *body,
                        bnsim_error_t *error);
//  Percent-decode length bytes into out (room for length + 1); '+' is a
//  space. Returns the decoded length (out is NUL-terminated) or -1.
int bnsim_url_decode (const char *text, size_t length, char *out);
//  Start empty params with storage for `size` bytes of names and values.
void bnsim_params_init (bnsim_params_t *params, size_t size);
//  Add one name/value pair (copied). Returns 0 or -1 when full.
int bnsim_params_add (bnsim_params_t *params, const char *name, size_t name_length,
                      const char *value, size_t value_length);
void bnsim_params_free (bnsim_params_t *params);
//  The value of a parameter, or NULL when absent. Empty counts as absent.
const char *bnsim_param (const bnsim_params_t *params, const char *name);

//  --------------------------------------------------------------------------
//  Listings and personality state

typedef struct {
    const char *symbol;      //  Venue symbol
    const char *normalised;  //  BASE-QUOTE
    const char *base;
    const char *quote;
    int32_t price_exponent;
    int32_t qty_exponent;
    int64_t tick;          //  Price units
    int64_t lot;           //  Qty units
    int64_t min_qty;       //  Qty units
    int64_t max_qty;       //  Qty units
    int64_t min_notional;  //  At 10^(pe + qe)
    int64_t max_notional;  //  At 10^(pe + qe)
    int64_t min_price;     //  Price units
    int64_t max_price;     //  Price units
    int64_t start_price;   //  Price units
} bnsim_listing_t;

//  A depth batch: levels changed since the last push, at their final qty.
typedef struct {
    uint64_t first_id;  //  U: first update id in the batch (0: empty)
    uint64_t last_id;   //  u: last update id
    vb_sim_level_t *levels;
    size_t count;
    size_t capacity;
} bnsim_batch_t;

typedef enum {
    BNSIM_STREAM_TRADE = 1,
    BNSIM_STREAM_AGG_TRADE,
    BNSIM_STREAM_BOOK_TICKER,
    BNSIM_STREAM_DEPTH,       //  speed_ms 1000 or 100
    BNSIM_STREAM_PARTIAL,     //  levels 5/10/20, speed_ms 1000 or 100
    BNSIM_STREAM_KLINE,       //  interval index
    BNSIM_STREAM_MARK_PRICE,  //  speed_ms 3000 or 1000
    BNSIM_STREAM_KINDS
} bnsim_stream_kind_t;

typedef struct {
    char name[BNSIM_NAME_MAX];  //  As subscribed, e.g. "btcusdt@depth@100ms"
    bnsim_stream_kind_t kind;
    int symbol;    //  Index into the state's symbols, or -1 (unknown: never sends)
    int speed_ms;  //  Push interval for batched streams
    int levels;    //  Partial depth levels
    int interval;  //  Kline interval index
} bnsim_stream_t;

typedef struct {
    const bnsim_listing_t *listing;
    const vb_sim_instrument_t *instrument;        //  The engine's copy
    char lower[VB_SIM_NAME_MAX];                  //  Stream symbol, lower case
    bnsim_batch_t batch_fast;                     //  For @depth@100ms
    bnsim_batch_t batch_slow;                     //  For @depth (1000 ms)
    int subscribers[BNSIM_STREAM_KINDS];          //  Streams of each kind on this symbol
    vb_sim_level_t best_bid, best_ask;            //  Last bookTicker sent (qty 0: none)
    int64_t kline_open_ms[BNSIM_INTERVAL_COUNT];  //  Last pushed candle per interval
} bnsim_symbol_t;

typedef enum { BNSIM_CONN_STREAM = 1, BNSIM_CONN_WSAPI = 2 } bnsim_conn_kind_t;

typedef struct {
    uint32_t id;                    //  subscriptionId
    char account[VB_SIM_NAME_MAX];  //  Whose events
} bnsim_subscription_t;

typedef struct {
    vb_sim_conn_t *conn;
    bnsim_conn_kind_t kind;
    bool combined;  //  Wrap payloads as {"stream":..,"data":..}
    bnsim_stream_t *streams;
    size_t stream_count;
    size_t stream_capacity;
    int64_t rate_second;  //  Second of the current message count
    int rate_count;       //  Messages received in that second
    char peer[48];
    //  WS API
    char logon_key[VB_SIM_KEY_MAX];  //  Key of session.logon, or ""
    bnsim_subscription_t subscriptions[BNSIM_SUBSCRIPTIONS_MAX];
    size_t subscription_count;
    uint32_t next_subscription;
    //  Replay mode (sim_replay.c): this connection's replay clock
    bool replay_started;      //  Started at its first stream of the replayed symbol
    int64_t replay_start_ns;  //  Monotonic time it started
    size_t replay_next;       //  Next capture frame to send
} bnsim_conn_t;

//  Per-IP weight counters and bans; per-account order counters.
typedef struct {
    char key[48];             //  IP address or account name
    int64_t window_start_ms;  //  Start of the current window
    int64_t used;             //  Weight or orders used in it
    int64_t day_start_ms;     //  Orders: start of the current day
    int64_t day_used;         //  Orders this day
    bool warned;              //  A 429 was sent in this window
    int64_t banned_until_ms;  //  418 until then
    int bans;                 //  Bans so far (the next one doubles)
} bnsim_counter_t;

typedef struct _bnsim_replay_t bnsim_replay_t;

typedef struct {
    vb_sim_venue_t base;  //  First: ops pointer
    vb_sim_engine_t *engine;
    vb_sim_server_t *server;
    bnsim_symbol_t symbols[BNSIM_SYMBOLS_MAX];
    size_t symbol_count;
    bnsim_conn_t **conns;
    size_t conn_count;
    size_t conn_capacity;
    bnsim_counter_t *counters;  //  Weight per IP (key "ip:...") and orders per account
    size_t counter_count;
    size_t counter_capacity;
    //  Balance changes waiting to go out as outboundAccountPosition
    struct {
        char account[VB_SIM_NAME_MAX];
        char asset[VB_SIM_NAME_MAX];
        int64_t free, locked;
        int64_t ts_ns;
    } * positions;
    size_t position_count;
    size_t position_capacity;
    uint64_t event_sequence;  //  executionReport "I" (an ignored, increasing field)
    //  Client id of the cancel in progress (for executionReport c / C)
    uint64_t canceling_order;
    char cancel_client_id[VB_SIM_ID_MAX];
    uint64_t id_state;       //  Generator of client order ids
    int64_t last_tick_ms;    //  Time of the previous tick
    int64_t created_ms;      //  Start time (keys' createTime)
    bnsim_buf_t scratch;     //  Stream payloads
    bnsim_buf_t wrap;        //  Combined-stream wrapping
    bnsim_replay_t *replay;  //  --replay capture (sim_replay.c), or NULL
    int replay_symbol;       //  Index of the replayed symbol, or -1
} bnsim_t;

//  --------------------------------------------------------------------------
//  Shared helpers

//  Listings served (sim.c).
const bnsim_listing_t *bnsim_listings (size_t *count);
//  Symbol state by venue symbol, or NULL.
bnsim_symbol_t *bnsim_symbol (bnsim_t *self, const char *symbol);
//  Engine time in ms.
int64_t bnsim_now_ms (bnsim_t *self);
//  A fresh 22-character client order id (Binance's shape).
void bnsim_client_id (bnsim_t *self, char *out, size_t size);

//  Kline intervals (sim.c): index by name, seconds, and candles at an interval
//  (gaps filled with the previous close, 3d/1w/1M merged from days).
typedef struct {
    const char *name;
    int64_t seconds;  //  Nominal length (1M: 31 days, only for limits)
} bnsim_interval_t;
int bnsim_interval_find (const char *name);
const bnsim_interval_t *bnsim_interval_at (int index);
//  Open time of the candle containing t_ms, and of the next one.
int64_t bnsim_interval_open (int index, int64_t t_ms);
int64_t bnsim_interval_next (int index, int64_t open_ms);
//  One candle at interval `index` opening at open_ms (prev_close carries
//  gaps). Returns true when the candle has a price (traded now or before).
bool bnsim_candle (bnsim_t *self, bnsim_symbol_t *symbol, int index, int64_t open_ms,
                   int64_t *prev_close, vb_sim_candle_t *candle, uint64_t *first_trade,
                   uint64_t *last_trade, int64_t *taker_buy_volume, int64_t *taker_buy_notional);
//  Write a kline row / stream payload body; false (nothing written) for a
//  market that has never traded.
bool bnsim_kline_json (bnsim_t *self, bnsim_buf_t *buf, bnsim_symbol_t *symbol, int index,
                       int64_t open_ms, bool stream, bool closed);

//  Order, account and trade results shared by REST and the WS API
//  (sim_rest.c). Each writes its JSON result to out, or sets error.
typedef enum {
    BNSIM_PERM_NONE = 0,
    BNSIM_PERM_READ = 1,
    BNSIM_PERM_TRADE = 2,
} bnsim_perm_t;

//  Authenticate a key for an action from a peer: known key, IP list,
//  permission. Returns the key or NULL with error set (-2015 / -2014).
vb_sim_key_t *bnsim_key_check (bnsim_t *self, const char *api_key, const char *peer,
                               bnsim_perm_t perm, bnsim_error_t *error);
//  Check timestamp and recvWindow of params. Returns 0 or -1 with error set.
int bnsim_time_check (bnsim_t *self, const bnsim_params_t *params, bnsim_error_t *error);
//  Order count (ORDERS 10S / 1D) for an account. Returns 0 or -1 (429 -1015).
int bnsim_orders_take (bnsim_t *self, const char *account, bnsim_error_t *error, int64_t *count_10s,
                       int64_t *count_1d);
//  Request weight for a peer. Returns 0, or -1 with error set (429 / 418).
int bnsim_weight_take (bnsim_t *self, const char *peer, int64_t weight, bnsim_error_t *error,
                       int64_t *used);
//  Weight a peer has used in the current minute (no side effect).
int64_t bnsim_weight_used (bnsim_t *self, const char *peer);

//  One REST call handed to an endpoint.
typedef struct {
    const vb_sim_request_t *request;
    const bnsim_params_t *params;
    const vb_sim_key_t *key;  //  Signed endpoints: the caller's key
    bnsim_buf_t *out;
    bnsim_error_t *error;
} bnsim_call_t;

//  Shared parameter checks (sim_util.c): each sets error and returns
//  NULL / -1 on failure. Integers: absent leaves *value as it was.
void bnsim_mandatory (bnsim_error_t *error, const char *name);
bnsim_symbol_t *bnsim_symbol_param (bnsim_t *self, const bnsim_params_t *params,
                                    bnsim_error_t *error);
int bnsim_integer_param (const bnsim_params_t *params, const char *name, int64_t *value,
                         bnsim_error_t *error);
int bnsim_limit_param (const bnsim_params_t *params, int64_t fallback, int64_t max, int64_t *limit,
                       bnsim_error_t *error);

//  Orders and account (sim_orders.c).
int bnsim_order_place (bnsim_t *self, const char *account, const bnsim_params_t *params,
                       bool test_only, bnsim_buf_t *out, bnsim_error_t *error);
int bnsim_order_cancel (bnsim_t *self, const char *account, const bnsim_params_t *params,
                        bnsim_buf_t *out, bnsim_error_t *error);
int bnsim_order_query (bnsim_t *self, const char *account, const bnsim_params_t *params,
                       bnsim_buf_t *out, bnsim_error_t *error);
int bnsim_open_orders (bnsim_t *self, const char *account, const bnsim_params_t *params,
                       bnsim_buf_t *out, bnsim_error_t *error);
int bnsim_account (bnsim_t *self, const vb_sim_key_t *key, const bnsim_params_t *params,
                   bnsim_buf_t *out, bnsim_error_t *error);
int bnsim_cancel_all (bnsim_t *self, const char *account, const bnsim_params_t *params,
                      bnsim_buf_t *out, bnsim_error_t *error);
int bnsim_all_orders (bnsim_t *self, const char *account, const bnsim_params_t *params,
                      bnsim_buf_t *out, bnsim_error_t *error);
int bnsim_my_trades (bnsim_t *self, const char *account, const bnsim_params_t *params,
                     bnsim_buf_t *out, bnsim_error_t *error);
//  Write a fill's commission (a quoted decimal) and return its asset.
const char *bnsim_commission (bnsim_buf_t *buf, const vb_sim_fill_t *fill,
                              const bnsim_listing_t *listing);

//  Public REST market data (sim_market.c).
int bnsim_rest_exchange_info (bnsim_t *self, bnsim_call_t *call);
int bnsim_rest_depth (bnsim_t *self, bnsim_call_t *call);
int bnsim_rest_trades (bnsim_t *self, bnsim_call_t *call);
int bnsim_rest_klines (bnsim_t *self, bnsim_call_t *call);
int bnsim_rest_book_ticker (bnsim_t *self, bnsim_call_t *call);
int bnsim_rest_ticker_price (bnsim_t *self, bnsim_call_t *call);
int bnsim_rest_ticker_24hr (bnsim_t *self, bnsim_call_t *call);
int bnsim_rest_premium_index (bnsim_t *self, bnsim_call_t *call);

//  Engine events for accounts (sim_wsapi.c): executionReport to each
//  subscription of the order's account, and queued account positions.
void bnsim_user_order (bnsim_t *self, const vb_sim_event_t *event);
void bnsim_user_balance (bnsim_t *self, const vb_sim_event_t *event);
void bnsim_user_flush (bnsim_t *self);
//  WS API message on a connection.
void bnsim_wsapi_message (bnsim_t *self, bnsim_conn_t *conn, const char *text, size_t length);

//  REST entry (sim_rest.c).
void bnsim_http (bnsim_t *self, const vb_sim_request_t *request, vb_sim_response_t *response);
//  The venue's answer to a status the core injects (fault http_status):
//  {"code":-1003,...} for 429 and 418 (the ban ends at the core's
//  Retry-After), -1008 for 503, -1007 for 504, -1001 for other 5xx, the
//  HTML page for 404, -1000 otherwise.
void bnsim_error_response (bnsim_t *self, int status, vb_sim_response_t *response);

//  Replay mode (sim_replay.c). Load a capture (NULL, logged, when it is
//  unusable); destroy it; its upper-case symbol.
bnsim_replay_t *bnsim_replay_new (const char *path);
void bnsim_replay_destroy (bnsim_replay_t **self_p);
const char *bnsim_replay_symbol (bnsim_replay_t *self);
//  REST depth of the replayed symbol from the capture's snapshot (limit
//  levels per side). Returns false, writing nothing, for other symbols.
bool bnsim_replay_depth (bnsim_t *self, const bnsim_symbol_t *symbol, int64_t limit,
                         bnsim_buf_t *out);
//  Send every connection the capture frames now due (called each tick).
void bnsim_replay_tick (bnsim_t *self);

//  Mark price, index and funding for the USD-M premium index (sim.c).
void bnsim_mark_price (bnsim_t *self, bnsim_symbol_t *symbol, int64_t *mark,
                       int64_t *funding_rate_e8, int64_t *next_funding_ms);

#endif
