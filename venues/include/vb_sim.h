/*  vb_sim.h — the contract between the simulator core (services/sim) and a
    venue's protocol personality (venues/<venue>/sim.c).

    The core owns everything venue-neutral: the matching engine, accounts,
    keys, synthetic order flow, the libwebsockets HTTP + WebSocket server on
    one port, fault injection (POST/GET /_sim/faults) and timers. A
    personality translates: it turns HTTP requests and WS messages into
    engine calls, and engine events into the venue's exact wire messages. It
    owns no sockets and no threads.

    Layering: venues compile against this header only; the functions it
    declares under "Engine" and "Server" are implemented by services/sim and
    linked into venuebus-sim. All calls happen on the sim's one lws service
    thread, so nothing here is locked.

    Numbers: an instrument fixes a price exponent and a quantity exponent.
    Every price in the engine is an int64 count of 10^price_exponent and every
    quantity a count of 10^qty_exponent ("units"); notional values are at
    10^(price_exponent + qty_exponent). Personalities format them with
    vb_decimal_format at the instrument's exponents (the venue's precision).
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_SIM_H_INCLUDED
#define VB_SIM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_sim_engine_t vb_sim_engine_t;
typedef struct _vb_sim_server_t vb_sim_server_t;
typedef struct _vb_sim_conn_t vb_sim_conn_t;
typedef struct _vb_sim_venue_t vb_sim_venue_t;

#define VB_SIM_NAME_MAX   32   //  Symbols, assets, account names
#define VB_SIM_ID_MAX     64   //  Client order ids, venue order ids
#define VB_SIM_KEY_MAX    128  //  API keys (Binance's are 64 characters)
#define VB_SIM_SECRET_MAX 128  //  API secrets (Kraken's are base64 of 64 bytes)
#define VB_SIM_IPS_MAX    8    //  IP whitelist entries per key

//  ---------------------------------------------------------------------------
//  Instruments

typedef struct {
    char symbol[VB_SIM_NAME_MAX];  //  Normalised BASE-QUOTE, e.g. "BTC-USDT"
    char base[VB_SIM_NAME_MAX];    //  Normalised base asset, e.g. "BTC"
    char quote[VB_SIM_NAME_MAX];   //  Normalised quote asset, e.g. "USDT"
    int32_t price_exponent;        //  Prices are counts of 10^price_exponent (e.g. -2)
    int32_t qty_exponent;          //  Quantities are counts of 10^qty_exponent (e.g. -5)
    int64_t tick;                  //  Price step, in price units (usually 1)
    int64_t lot;                   //  Quantity step, in qty units
    int64_t min_qty;               //  Smallest order quantity, qty units
    int64_t max_qty;               //  Largest order quantity, qty units
    int64_t min_notional;          //  Smallest price x qty, at 10^(price_exp + qty_exp)
    int64_t start_price;           //  Where synthetic flow starts, price units
} vb_sim_instrument_t;

//  ---------------------------------------------------------------------------
//  Accounts and keys

#define VB_SIM_PERM_READ     (1u << 0)
#define VB_SIM_PERM_TRADE    (1u << 1)
#define VB_SIM_PERM_WITHDRAW (1u << 2)

typedef struct {
    char api_key[VB_SIM_KEY_MAX];      //  Public key
    char secret[VB_SIM_SECRET_MAX];    //  Secret as the venue issues it (Kraken: base64)
    char passphrase[VB_SIM_NAME_MAX];  //  OKX-style passphrase, or empty
    char account[VB_SIM_NAME_MAX];     //  Account the key belongs to
    unsigned permissions;              //  VB_SIM_PERM_* bits
    char ips[VB_SIM_IPS_MAX][48];      //  IP whitelist; none means unrestricted
    size_t ip_count;                   //  Entries used in ips
    uint64_t last_nonce;               //  Highest nonce seen (Kraken), for replay checks
} vb_sim_key_t;

//  ---------------------------------------------------------------------------
//  Orders and fills

typedef enum { VB_SIM_BUY = 1, VB_SIM_SELL = 2 } vb_sim_side_t;
typedef enum { VB_SIM_LIMIT = 1, VB_SIM_MARKET = 2 } vb_sim_type_t;
typedef enum { VB_SIM_GTC = 1, VB_SIM_IOC = 2, VB_SIM_FOK = 3 } vb_sim_tif_t;
typedef enum {
    VB_SIM_NEW = 1,
    VB_SIM_PARTIALLY_FILLED = 2,
    VB_SIM_FILLED = 3,
    VB_SIM_CANCELED = 4,
    VB_SIM_REJECTED = 5,
    VB_SIM_EXPIRED = 6,  //  IOC/FOK/market remainder, venue reports as it does
} vb_sim_status_t;

//  In which asset a venue charges trading fees by default (the personality's
//  fee_policy). Balances stay exact at 10^VB_SIM_ASSET_EXPONENT either way.
typedef enum {
    VB_SIM_FEE_QUOTE = 0,     //  Always the quote asset (the default)
    VB_SIM_FEE_RECEIVED = 1,  //  The asset received: buy -> base, sell -> quote (Binance)
    VB_SIM_FEE_SPENT = 2,     //  The asset given: buy -> quote, sell -> base (Kraken)
} vb_sim_fee_policy_t;

//  One order's choice, overriding the venue's policy (Kraken oflags fciq/fcib).
typedef enum {
    VB_SIM_FEE_PREF_DEFAULT = 0,  //  The venue's fee_policy
    VB_SIM_FEE_PREF_QUOTE = 1,    //  Fee in the quote asset
    VB_SIM_FEE_PREF_BASE = 2,     //  Fee in the base asset
} vb_sim_fee_pref_t;

//  Why the engine refused an order or a cancel. Personalities map these to
//  the venue's exact codes and texts.
typedef enum {
    VB_SIM_OK = 0,
    VB_SIM_ERR_UNKNOWN_SYMBOL = 1,
    VB_SIM_ERR_UNKNOWN_ACCOUNT = 2,
    VB_SIM_ERR_INSUFFICIENT_BALANCE = 3,
    VB_SIM_ERR_DUPLICATE_CLIENT_ID = 4,  //  Same client id among open orders
    VB_SIM_ERR_UNKNOWN_ORDER = 5,
    VB_SIM_ERR_PRICE_FILTER = 6,  //  Not a multiple of tick, or <= 0
    VB_SIM_ERR_LOT_SIZE = 7,      //  Not a multiple of lot, or outside min..max
    VB_SIM_ERR_MIN_NOTIONAL = 8,
    VB_SIM_ERR_POST_ONLY_WOULD_TAKE = 9,
    VB_SIM_ERR_FOK_UNFILLABLE = 10,  //  Reported as EXPIRED by most venues
    VB_SIM_ERR_NO_LIQUIDITY = 11,    //  Market order with an empty opposite side
    VB_SIM_ERR_INVALID = 12,         //  Anything else malformed
} vb_sim_result_t;

typedef struct {
    const char *client_id;  //  Venue-format client order id, or NULL: engine makes one
    vb_sim_side_t side;
    vb_sim_type_t type;
    vb_sim_tif_t tif;
    bool post_only;
    int64_t price;               //  Price units; ignored for MARKET
    int64_t qty;                 //  Qty units
    vb_sim_fee_pref_t fee_pref;  //  Fee asset for this order (0: the venue's policy)
} vb_sim_order_req_t;

typedef struct {
    uint64_t order_id;              //  Engine order id, unique per sim run, from 1
    char client_id[VB_SIM_ID_MAX];  //  Client order id (given or generated)
    char account[VB_SIM_NAME_MAX];  //  Owner
    const vb_sim_instrument_t *instrument;
    vb_sim_side_t side;
    vb_sim_type_t type;
    vb_sim_tif_t tif;
    bool post_only;
    int64_t price;            //  Price units (0 for MARKET)
    int64_t qty;              //  Ordered, qty units
    int64_t filled;           //  Cumulative filled, qty units
    int64_t filled_notional;  //  Cumulative price x qty, at 10^(pe + qe)
    vb_sim_status_t status;
    int64_t created_ns;  //  Engine (venue) time, ns since epoch
    int64_t updated_ns;  //  Last change
} vb_sim_order_t;

typedef struct {
    uint64_t trade_id;              //  Public trade id, per instrument, from 1
    uint64_t order_id;              //  This side's order (0 for synthetic flow)
    char account[VB_SIM_NAME_MAX];  //  This side's account ("" for synthetic flow)
    const vb_sim_instrument_t *instrument;
    vb_sim_side_t side;  //  This side's side
    int64_t price;       //  Price units
    int64_t qty;         //  Qty units
    int64_t fee;         //  At 10^(pe + qe) in the quote asset (its quote value if fee_in_base)
    bool maker;          //  This side was resting
    int64_t ts_ns;       //  Engine time
    bool fee_in_base;    //  The fee was charged in the base asset: fee_base, not fee
    int64_t fee_base;    //  That fee at 10^VB_SIM_ASSET_EXPONENT of the base asset, else 0
} vb_sim_fill_t;

//  ---------------------------------------------------------------------------
//  Engine events, delivered to the personality's on_event in order.

typedef enum {
    VB_SIM_EVENT_BOOK = 1,     //  Price levels changed; book_update_id advanced
    VB_SIM_EVENT_TRADE = 2,    //  A public trade printed (taker side in trade.side)
    VB_SIM_EVENT_ORDER = 3,    //  An account's order changed (fill set when it traded)
    VB_SIM_EVENT_BALANCE = 4,  //  An account's balance of one asset changed
} vb_sim_event_kind_t;

typedef struct {
    vb_sim_side_t side;  //  Which side of the book
    int64_t price;       //  Price units
    int64_t qty;         //  New aggregate qty at that price, 0 = level gone
} vb_sim_level_t;

typedef struct {
    vb_sim_event_kind_t kind;
    const vb_sim_instrument_t *instrument;  //  BOOK, TRADE, ORDER
    int64_t ts_ns;                          //  Engine time of the event
    //  BOOK: the levels changed by one engine action, and the book's update
    //  id after it (ids run 1, 2, 3 ... per instrument; one per action).
    const vb_sim_level_t *levels;
    size_t level_count;
    uint64_t book_update_id;
    //  TRADE: the public print (side = taker side, order_id/account empty).
    //  ORDER: the order after the change, plus the fill that caused it if any.
    const vb_sim_fill_t *fill;
    const vb_sim_order_t *order;
    //  BALANCE: account, asset and the new free/locked, at 10^asset_exponent.
    const char *account;
    const char *asset;
    int64_t free;
    int64_t locked;
    int32_t asset_exponent;
} vb_sim_event_t;

//  ---------------------------------------------------------------------------
//  Engine (implemented in services/sim/sim_engine.c)

//  Instruments the engine knows, in the order the personality declared them.
size_t vb_sim_engine_instrument_count (vb_sim_engine_t *engine);
const vb_sim_instrument_t *vb_sim_engine_instrument_at (vb_sim_engine_t *engine, size_t index);
//  By normalised symbol ("BTC-USDT"), or NULL.
const vb_sim_instrument_t *vb_sim_engine_instrument (vb_sim_engine_t *engine, const char *symbol);

//  Turn the synthetic order flow of one instrument off (or back on); added
//  for replay mode, where the capture is that instrument's market. Call it
//  from create: an instrument whose flow is off is never primed either.
//  Orders of accounts still match on the engine's own book.
void vb_sim_engine_set_flow (vb_sim_engine_t *engine, const vb_sim_instrument_t *instrument,
                             bool enabled);

//  Engine time (realtime ns, including any clock_skew fault).
int64_t vb_sim_engine_now_ns (vb_sim_engine_t *engine);

//  Keys: by public key, or NULL. The returned key is mutable so that the
//  personality can record nonces.
vb_sim_key_t *vb_sim_engine_key (vb_sim_engine_t *engine, const char *api_key);

//  Balances of an account: asset -> free and locked at 10^exponent of the
//  asset (the engine keeps every asset at a fixed exponent, -8).
#define VB_SIM_ASSET_EXPONENT (-8)
size_t vb_sim_engine_balance_count (vb_sim_engine_t *engine, const char *account);
int vb_sim_engine_balance_at (vb_sim_engine_t *engine, const char *account, size_t index,
                              const char **asset, int64_t *free, int64_t *locked);

//  Place an order for an account. On VB_SIM_OK *order is the order after
//  matching (which may already be FILLED or EXPIRED). Fills it made are
//  delivered as events and can be read with vb_sim_engine_fill_*.
vb_sim_result_t vb_sim_engine_place (vb_sim_engine_t *engine, const char *account,
                                     const vb_sim_instrument_t *instrument,
                                     const vb_sim_order_req_t *request, vb_sim_order_t *order);

//  Cancel by order id (non-zero) or client id. On VB_SIM_OK *order is the
//  canceled order. Unknown, or already final: VB_SIM_ERR_UNKNOWN_ORDER.
vb_sim_result_t vb_sim_engine_cancel (vb_sim_engine_t *engine, const char *account,
                                      const vb_sim_instrument_t *instrument, uint64_t order_id,
                                      const char *client_id, vb_sim_order_t *order);

//  Cancel every open order of the account (on one instrument, or all when
//  NULL). Returns how many were canceled.
size_t vb_sim_engine_cancel_all (vb_sim_engine_t *engine, const char *account,
                                 const vb_sim_instrument_t *instrument);

//  Find an order (open or final) by order id (non-zero) or client id. When
//  several orders share a client id the newest is returned. NULL if none.
const vb_sim_order_t *vb_sim_engine_order (vb_sim_engine_t *engine, const char *account,
                                           uint64_t order_id, const char *client_id);

//  Iterate an account's orders, newest last; open_only skips final ones;
//  instrument NULL means all. index runs from 0 until NULL.
const vb_sim_order_t *vb_sim_engine_order_at (vb_sim_engine_t *engine, const char *account,
                                              const vb_sim_instrument_t *instrument, bool open_only,
                                              size_t index);

//  Iterate an account's fills, oldest first (instrument NULL: all).
const vb_sim_fill_t *vb_sim_engine_fill_at (vb_sim_engine_t *engine, const char *account,
                                            const vb_sim_instrument_t *instrument, size_t index);

//  The aggregated book: up to `limit` levels per side, best first, into the
//  caller's arrays; returns the update id the book is at.
uint64_t vb_sim_engine_depth (vb_sim_engine_t *engine, const vb_sim_instrument_t *instrument,
                              size_t limit, vb_sim_level_t *bids, size_t *bid_count,
                              vb_sim_level_t *asks, size_t *ask_count);

//  Recent public trades, oldest first, up to the engine's ring size.
size_t vb_sim_engine_trade_count (vb_sim_engine_t *engine, const vb_sim_instrument_t *instrument);
const vb_sim_fill_t *vb_sim_engine_trade_at (vb_sim_engine_t *engine,
                                             const vb_sim_instrument_t *instrument, size_t index);

//  Candles built from trades, for any interval that divides a day, in
//  seconds (60, 300, 3600 ...). Returns how many candles with open time
//  in [from_ns, to_ns) were written to out (oldest first, at most max).
typedef struct {
    int64_t open_ns;  //  Interval start
    int64_t open;     //  Price units
    int64_t high;
    int64_t low;
    int64_t close;
    int64_t volume;    //  Qty units
    int64_t notional;  //  At 10^(pe + qe)
    uint64_t trades;   //  Number of trades
} vb_sim_candle_t;
size_t vb_sim_engine_candles (vb_sim_engine_t *engine, const vb_sim_instrument_t *instrument,
                              int64_t interval_s, int64_t from_ns, int64_t to_ns,
                              vb_sim_candle_t *out, size_t max);

//  ---------------------------------------------------------------------------
//  Server (implemented in services/sim/sim_server.c)

//  Queue a WebSocket text frame to one connection. `stream` names the
//  venue stream the frame belongs to (e.g. "btcusdt@depth@100ms", "book"),
//  which the stream faults match against; NULL for control replies, which
//  faults never touch. The text is copied. Returns 0, or -1 if the
//  connection is closing or its send queue is over its bound (it is then
//  closed, as a venue drops a slow client).
int vb_sim_conn_send (vb_sim_conn_t *conn, const char *stream, const char *text, size_t length);

//  Close a connection (with a WS close frame).
void vb_sim_conn_close (vb_sim_conn_t *conn);

//  The personality's per-connection state, and the peer's IP address.
void vb_sim_conn_set_user (vb_sim_conn_t *conn, void *user);
void *vb_sim_conn_user (vb_sim_conn_t *conn);
const char *vb_sim_conn_peer (vb_sim_conn_t *conn);

//  The --replay FILE given to venuebus-sim, or NULL when there is none
//  (added by the core; replaying it is the personality's job).
const char *vb_sim_server_replay_path (vb_sim_server_t *server);

//  The replay pace (--replay-speed): 1 replays the capture in real time by
//  its receive timestamps, N > 1 N times faster, 0 without waiting.
int64_t vb_sim_server_replay_speed (vb_sim_server_t *server);

//  True, once per injected fault unit, when the personality should corrupt
//  the checksum it is about to send on `stream` (fault corrupt_checksum).
bool vb_sim_fault_corrupt_checksum (vb_sim_server_t *server, const char *stream);

//  What a personality's OWN limit enforcement refused (added by the core
//  for GET /_sim/stats, so that tests can check that a client kept within
//  the venue's limits).
typedef enum {
    VB_SIM_VIOLATION_LIMIT = 0,  //  A request or message refused by a rate limit
    VB_SIM_VIOLATION_BAN = 1,    //  The same, and this refusal starts a ban (Binance 418)
} vb_sim_violation_t;

//  Count one refusal by the venue's own limits: call it at each place the
//  personality answers a request or WS message with its rate-limit error
//  (Binance 429 -1003/-1015 and 418, REST and WS API; Kraken "EAPI:Rate
//  limit exceeded" or "EOrder:Rate limit exceeded", which Kraken sends
//  with HTTP 200) or drops a connection for sending too fast. Every call
//  adds one to limit_violations; VB_SIM_VIOLATION_BAN adds one to bans
//  too. Answers the core injects (fault http_status) are never counted.
void vb_sim_count_violation (vb_sim_server_t *server, vb_sim_violation_t kind);

//  ---------------------------------------------------------------------------
//  HTTP exchange handed to the personality

#define VB_SIM_HEADERS_MAX 16

typedef struct {
    const char *method;  //  "GET", "POST", "DELETE", "PUT"
    const char *path;    //  "/api/v3/order" (no query)
    const char *query;   //  Raw query string without '?', "" if none
    const char *body;    //  Raw body (NUL-terminated copy), "" if none
    size_t body_length;
    const char *peer;                              //  Client IP address
    const char *header_names[VB_SIM_HEADERS_MAX];  //  Lower-case names
    const char *header_values[VB_SIM_HEADERS_MAX];
    size_t header_count;
} vb_sim_request_t;

typedef struct _vb_sim_response_t vb_sim_response_t;

//  Set the status and the body (copied). Content type defaults to
//  application/json. Returns 0 or -1 on allocation failure.
int vb_sim_response_set (vb_sim_response_t *response, int status, const char *body, size_t length);
//  printf-style body.
int vb_sim_response_printf (vb_sim_response_t *response, int status, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
//  Add a header ("Retry-After", "120"). At most VB_SIM_HEADERS_MAX.
int vb_sim_response_header (vb_sim_response_t *response, const char *name, const char *value);
//  Value of a header already added (case-insensitive name), or NULL.
const char *vb_sim_response_header_value (const vb_sim_response_t *response, const char *name);

//  A request header by lower-case name, or NULL.
const char *vb_sim_request_header (const vb_sim_request_t *request, const char *name);

//  ---------------------------------------------------------------------------
//  The personality (one per venue, in venues/<venue>/sim.c)

typedef struct {
    const char *name;  //  "binance", "kraken"

    //  The instruments this venue lists by default (DESIGN.md: Binance BTCUSDT,
    //  ETHUSDT; Kraken XBT/USD, ETH/USD), copied by the core into the engine.
    const vb_sim_instrument_t *(*instruments) (size_t *count);

    //  Create the personality's state once the engine and server exist.
    vb_sim_venue_t *(*create) (vb_sim_engine_t *engine, vb_sim_server_t *server);
    void (*destroy) (vb_sim_venue_t **self_p);

    //  One HTTP request (paths under /_sim/ never reach the personality).
    //  Fill *response; an unknown path gets the venue's own 404 shape.
    void (*http) (vb_sim_venue_t *self, const vb_sim_request_t *request,
                  vb_sim_response_t *response);

    //  A WebSocket upgrade on `path` (with query). Return 0 to accept, or -1
    //  to refuse (the core answers 404). Then messages, then close.
    int (*ws_open) (vb_sim_venue_t *self, vb_sim_conn_t *conn, const char *path, const char *query);
    void (*ws_message) (vb_sim_venue_t *self, vb_sim_conn_t *conn, const char *text, size_t length);
    void (*ws_close) (vb_sim_venue_t *self, vb_sim_conn_t *conn);

    //  An engine event (book, trade, order, balance), in engine order.
    void (*event) (vb_sim_venue_t *self, const vb_sim_event_t *event);

    //  Called every `tick_ms` with the engine time: batch streams such as
    //  Binance depth@100ms, heartbeats, kline pushes, expiry of tokens.
    int tick_ms;
    void (*tick) (vb_sim_venue_t *self, int64_t now_ns);

    //  Optional (may be NULL), added by the core: the venue's error body for
    //  an HTTP status the core injects (fault http_status), e.g. Binance's
    //  {"code":-1003,"msg":"..."} for 429. Set status, body and headers as
    //  in http. For 418, 429 and 503 the core has already added Retry-After
    //  (read it with vb_sim_response_header_value; do not add another).
    //  NULL: the core answers {"error":"simulated HTTP <status>"}.
    void (*error_response) (vb_sim_venue_t *self, int status, vb_sim_response_t *response);

    //  Optional (may be NULL), added by the core: non-standard request
    //  headers the personality reads, lower-case, NULL-terminated, e.g.
    //  {"x-mbx-apikey", NULL}. libwebsockets 4.1 only hands over custom
    //  headers it is asked for by name; the core always asks for the common
    //  API auth headers (see services/sim/README.md) plus these.
    const char *const *request_headers;

    //  Added by the core: the asset the venue charges fees in by default
    //  (VB_SIM_FEE_*). Zero, the default, means the quote asset. The core
    //  hands it to the engine; an order may override it (fee_pref).
    vb_sim_fee_policy_t fee_policy;
} vb_sim_venue_ops_t;

//  Base of every personality state: the ops pointer comes first.
struct _vb_sim_venue_t {
    const vb_sim_venue_ops_t *ops;
};

//  The personalities linked into venuebus-sim, by name (venues/registry.c).
const vb_sim_venue_ops_t *vb_sim_venue_find (const char *name);

#ifdef __cplusplus
}
#endif
#endif
