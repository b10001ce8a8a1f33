/*  sim.h — private header of the Kraken simulator personality (sim.c,
    sim_rest.c, sim_ws.c). Nothing here is used outside venues/kraken.

    sim.c owns the state, the engine events, the text helpers (JSON buffer,
    decimals at a pair's precision, times, Kraken-shaped ids), the rate
    counters and WS tokens; sim_rest.c answers REST (venues.md 3.4-3.8);
    sim_ws.c speaks WS v2 (3.2, 3.3, 3.6).
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_KRAKEN_SIM_H_INCLUDED
#define VB_KRAKEN_SIM_H_INCLUDED

#include <czmq.h>
#include "vb_sim.h"
#include "vb_hmac.h"
#include "vb_json.h"
#include "symbols.h"

#define VB_KSIM_PAIRS_MAX           8  //  Instruments one personality serves
#define VB_KSIM_NS_PER_S            INT64_C (1000000000)
#define VB_KSIM_NS_PER_US           INT64_C (1000)
#define VB_KSIM_TOKEN_TTL_NS        (900 * VB_KSIM_NS_PER_S)  //  GetWebSocketsToken "expires": 900
#define VB_KSIM_TOKEN_SIZE          48                        //  43 characters of token and a NUL
#define VB_KSIM_TXID_SIZE           20                        //  "OXXXXX-XXXXX-XXXXXX" and a NUL
#define VB_KSIM_REST_PRICE_DECIMALS 5  //  Depth, Trades and Ticker print prices with 5 decimals
#define VB_KSIM_COST_DECIMALS       5  //  AssetPairs cost_decimals
#define VB_KSIM_TIME_DECIMALS       4  //  opentm / closetm / trade times: seconds with 4 decimals

//  A growable text buffer for building JSON; out of memory aborts (zmalloc).
typedef struct {
    char *data;     //  NUL-terminated text
    size_t length;  //  Bytes used, without the NUL
    size_t size;    //  Bytes allocated
} vb_ksim_buf_t;

//  One served pair: the engine's instrument and Kraken's names for it.
typedef struct {
    const vb_sim_instrument_t *instrument;  //  Engine's copy
    const vb_kraken_pair_t *names;          //  Spellings (symbols.c)
    int price_decimals;                     //  pair_decimals = -price_exponent
    int qty_decimals;                       //  lot_decimals = -qty_exponent
} vb_ksim_pair_t;

//  What sim_rest.c is placing, so that the ORDER events the engine sends
//  during vb_sim_engine_place can be tagged with the request's extras.
typedef struct {
    bool active;        //  A placement is in progress
    int32_t userref;    //  Kraken userref (0 when none)
    bool client_given;  //  The client sent cl_ord_id
    bool market;        //  A market order (the ord_type of the prints it takes)
    char oflags[32];    //  oflags as sent (normalised)
} vb_ksim_placing_t;

//  Extras Kraken shows that the engine does not keep, per engine order id.
typedef struct {
    uint64_t order_id;   //  Engine order id
    int32_t userref;     //  userref / order_userref
    bool client_given;   //  cl_ord_id came from the client
    char oflags[32];     //  oflags text for OpenOrders
    bool announced;      //  pending_new/new already streamed
    bool final_sent;     //  filled/canceled/expired already streamed
    bool user_canceled;  //  Canceled by the owner ("User requested")
} vb_ksim_meta_t;

typedef struct _vb_ksim_replay_t vb_ksim_replay_t;

//  The personality's state; the base struct comes first (vb_sim.h).
typedef struct {
    vb_sim_venue_t base;
    vb_sim_engine_t *engine;  //  Borrowed
    vb_sim_server_t *server;  //  Borrowed
    vb_ksim_pair_t pairs[VB_KSIM_PAIRS_MAX];
    size_t pair_count;
    vb_json_t *json;              //  Parser for WS messages and JSON bodies
    zhashx_t *keys;               //  api key -> vb_ksim_key_state_t
    zhashx_t *trade_counters;     //  "account\x1fsymbol" -> vb_ksim_counter_t
    zhashx_t *metas;              //  "order id" -> vb_ksim_meta_t
    zlistx_t *tokens;             //  vb_ksim_token_t, oldest first
    zlistx_t *conns;              //  vb_ksim_conn_t of open WS connections
    vb_ksim_placing_t placing;    //  Context of the placement in progress
    uint64_t token_counter;       //  Tokens issued, for their derivation
    uint64_t connection_counter;  //  WS connections accepted
    vb_ksim_buf_t scratch;        //  Reused for each outgoing message
    vb_sim_candle_t *candles;     //  Scratch for candle reads
    vb_ksim_replay_t *replay;     //  --replay capture (sim_replay.c), or NULL
} vb_ksim_t;

//  Minute candles a 24-hour window holds: the candle scratch's capacity.
#define VB_KSIM_CANDLES_MAX 1440

//  Rolling 24-hour and since-midnight (UTC) statistics of one pair.
typedef struct {
    bool any_24h;      //  A trade printed in the last 24 h
    int64_t open_24h;  //  First trade price of the window
    int64_t high_24h;
    int64_t low_24h;
    int64_t volume_24h;    //  Qty units
    int64_t notional_24h;  //  At 10^(pe + qe)
    uint64_t trades_24h;
    bool any_today;
    int64_t open_today;
    int64_t volume_today;
    int64_t notional_today;
    uint64_t trades_today;
} vb_ksim_stats_t;

//  A decaying counter in nano-units (one call = VB_KSIM_NS_PER_S units).
typedef struct {
    int64_t value;       //  Nano-units
    int64_t updated_ns;  //  Engine time of the last decay
} vb_ksim_counter_t;

//  Per API key: its signer (keyed once) and its REST call counter.
typedef struct {
    vb_hmac_t *signer;          //  NULL when the key's secret is not base64
    vb_ksim_counter_t counter;  //  REST call counter
} vb_ksim_key_state_t;

//  A WS token from GetWebSocketsToken.
typedef struct {
    char token[VB_KSIM_TOKEN_SIZE];
    char account[VB_SIM_NAME_MAX];
    int64_t issued_ns;     //  Must be used within 900 s of this
    size_t subscriptions;  //  Active executions subscriptions using it
} vb_ksim_token_t;

//  ---------------------------------------------------------------------------
//  Text helpers (sim.c)

void vb_ksim_buf_reset (vb_ksim_buf_t *self);
void vb_ksim_buf_free (vb_ksim_buf_t *self);
void vb_ksim_buf_add (vb_ksim_buf_t *self, const char *text, size_t length);
//  Append a string literal (its length known at compile time).
#define VB_KSIM_ADD(buf, literal) vb_ksim_buf_add ((buf), (literal), sizeof (literal) - 1)
void vb_ksim_buf_printf (vb_ksim_buf_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
//  A JSON string literal with quotes and escapes.
void vb_ksim_buf_string (vb_ksim_buf_t *self, const char *text, size_t length);
//  value x 10^exponent with exactly `decimals` fraction digits; digits
//  dropped are truncated toward zero. Always writes something ("0" on error).
void vb_ksim_buf_decimal (vb_ksim_buf_t *self, int64_t value, int32_t exponent, int decimals);
//  The same, then trailing zeros trimmed down to at least min_decimals.
void vb_ksim_buf_decimal_trim (vb_ksim_buf_t *self, int64_t value, int32_t exponent, int decimals,
                               int min_decimals);
//  RFC 3339 with microseconds ("2023-09-22T10:33:05.709950Z"), or nanoseconds.
void vb_ksim_buf_rfc3339 (vb_ksim_buf_t *self, int64_t ns, bool nanoseconds);
//  Unix seconds with VB_KSIM_TIME_DECIMALS decimals (opentm).
void vb_ksim_buf_seconds (vb_ksim_buf_t *self, int64_t ns);

//  Kraken-shaped ids, deterministic from engine numbers. Orders are
//  'O'-prefixed and reversible; trade ids 'T'.
void vb_ksim_order_txid (uint64_t order_id, char out[VB_KSIM_TXID_SIZE]);
//  The engine order id of an order txid, or 0 when the text is not one.
uint64_t vb_ksim_order_id (const char *txid, size_t length);
void vb_ksim_trade_txid (uint64_t serial, char prefix, char out[VB_KSIM_TXID_SIZE]);
//  The txid of an account's fill (one per side of a public trade), the same
//  in TradesHistory and in the executions stream's exec_id.
void vb_ksim_fill_txid (vb_ksim_t *self, const vb_sim_fill_t *fill, char out[VB_KSIM_TXID_SIZE]);

//  ---------------------------------------------------------------------------
//  State helpers (sim.c)

const vb_ksim_pair_t *vb_ksim_pair_by_instrument (vb_ksim_t *self,
                                                  const vb_sim_instrument_t *instrument);
//  By REST spelling (key, altname, wsname) or by WS v2 symbol.
const vb_ksim_pair_t *vb_ksim_pair_by_rest (vb_ksim_t *self, const char *name);
const vb_ksim_pair_t *vb_ksim_pair_by_ws (vb_ksim_t *self, const char *symbol, size_t length);
vb_ksim_meta_t *vb_ksim_meta (vb_ksim_t *self, uint64_t order_id);
vb_ksim_meta_t *vb_ksim_meta_ensure (vb_ksim_t *self, uint64_t order_id);
vb_ksim_key_state_t *vb_ksim_key_state (vb_ksim_t *self, const vb_sim_key_t *key);

//  Decay the counter to now at rate_per_100s calls per 100 s, then add cost
//  calls unless that would pass max calls. Returns true when added.
bool vb_ksim_counter_take (vb_ksim_counter_t *counter, int64_t now_ns, int64_t rate_per_100s,
                           int64_t cost, int64_t max, bool force);
//  24 h and today's statistics of an instrument at now_ns, from minute candles.
void vb_ksim_stats (vb_ksim_t *self, const vb_sim_instrument_t *instrument, int64_t now_ns,
                    vb_ksim_stats_t *stats);

//  Trading counter of an account on one pair.
vb_ksim_counter_t *vb_ksim_trade_counter (vb_ksim_t *self, const char *account,
                                          const vb_sim_instrument_t *instrument);

//  Issue a token for an account; find a usable one (NULL when unknown/expired).
const char *vb_ksim_token_issue (vb_ksim_t *self, const char *account, const char *api_key);
vb_ksim_token_t *vb_ksim_token_find (vb_ksim_t *self, const char *token, size_t length);

//  ---------------------------------------------------------------------------
//  REST (sim_rest.c) and WS (sim_ws.c)

void vb_ksim_rest (vb_ksim_t *self, const vb_sim_request_t *request, vb_sim_response_t *response);
//  The fee currency flag of an order: its oflags' fcib / fciq, else Kraken's
//  default, "fcib" for a sell and "fciq" for a buy.
const char *vb_ksim_fee_flag (const vb_sim_order_t *order, const vb_ksim_meta_t *meta);

int vb_ksim_ws_open (vb_ksim_t *self, vb_sim_conn_t *conn, const char *path, const char *query);
void vb_ksim_ws_message (vb_ksim_t *self, vb_sim_conn_t *conn, const char *text, size_t length);
void vb_ksim_ws_close (vb_ksim_t *self, vb_sim_conn_t *conn);
void vb_ksim_ws_event (vb_ksim_t *self, const vb_sim_event_t *event);
void vb_ksim_ws_tick (vb_ksim_t *self, int64_t now_ns);
//  Release every connection's state (at destroy).
void vb_ksim_ws_destroy_all (vb_ksim_t *self);

//  ---------------------------------------------------------------------------
//  Replay mode (sim_replay.c): a v1 book capture served as v2 book channels.

//  Load a capture; NULL (logged) when it is unusable. Destroy it.
vb_ksim_replay_t *vb_ksim_replay_new (const char *path);
void vb_ksim_replay_destroy (vb_ksim_replay_t **self_p);
//  The capture pair of a v2 symbol ("BTC/CHF"), or -1; its v2 symbol.
int vb_ksim_replay_find (vb_ksim_replay_t *self, const char *symbol);
const char *vb_ksim_replay_symbol (vb_ksim_replay_t *self, int pair);
//  Append the capture's pairs to an instrument snapshot's "pairs" array
//  (a comma first unless `first`), their price_precision and qty_precision
//  being the decimals of the capture's strings, so that a client checks
//  the checksums at the precision the capture has. Returns the entries
//  written.
size_t vb_ksim_replay_instrument (vb_ksim_replay_t *self, vb_ksim_buf_t *out, bool first);
//  Depth of a connection's book subscription to a pair (0: none), and
//  whether the connection follows any replayed pair.
size_t vb_ksim_replay_depth (vb_ksim_replay_t *self, vb_sim_conn_t *conn, int pair);
bool vb_ksim_replay_active (vb_ksim_replay_t *self, vb_sim_conn_t *conn);
//  Start a subscription (sends the snapshot) / end one / end all of a
//  connection's.
void vb_ksim_replay_subscribe (vb_ksim_t *self, vb_sim_conn_t *conn, int pair, size_t depth);
void vb_ksim_replay_unsubscribe (vb_ksim_t *self, vb_sim_conn_t *conn, int pair);
void vb_ksim_replay_close (vb_ksim_t *self, vb_sim_conn_t *conn);
//  Send every subscription the capture messages now due (each tick).
void vb_ksim_replay_tick (vb_ksim_t *self);

//  Kraken's order status text for REST, and its WS v2 order_status.
const char *vb_ksim_rest_status (const vb_sim_order_t *order);
const char *vb_ksim_ws_status (const vb_sim_order_t *order);

#endif
