/*  vb_md.h — the contract between the gateway core (services/gateway) and a
    venue's market-data adapter (venues/<venue>/md.c).

    Adapters translate; they do not own I/O (house style 3.4). The core owns
    the WebSocket sessions (libwebsockets: connect, TLS, ping/pong, backoff,
    make-before-break rollover), the REST calls (behind a rate-limit grant),
    one vb_book per symbol, validation at ingestion, per-topic sequence
    numbers and publishing on the bus. An adapter:
    - says which WebSocket connections to open and what to send on each once
      it is open (subscribe messages), within the venue's limits;
    - decodes every text frame it receives and reports what it found through
      the sink: trades, best bid/ask, candles, funding, and book changes;
    - applies the venue's book sync rule: what needs a REST snapshot (and
      builds that request and decodes its answer), how venue sequence numbers
      must continue, and how to verify a checksum against the core's book;
    - reports any break (gap, bad checksum, unparseable frame) so the core
      marks the book RESYNCING and the adapter rebuilds it.
    Every call happens on the gateway's one lws service thread.

    Layering: venues compile against this header; services/gateway
    implements the sink and calls the ops. Symbols at this interface are
    always normalised BASE-QUOTE; venue names are mapped in symbols.c.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_MD_H_INCLUDED
#define VB_MD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_book.h"
#include "vb_decimal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_md_t vb_md_t;

#define VB_MD_URL_MAX         512
#define VB_MD_CONNECTIONS_MAX 16
#define VB_MD_REQUEST_MAX     2048
#define VB_MD_HEADER_MAX      64  //  vb_md_request_t.usage_header

//  What the core tells an adapter when it creates it.
typedef struct {
    const char *const *symbols;  //  Normalised symbols of this shard, e.g. "BTC-USDT"
    size_t symbol_count;
    const char *rest_url;          //  Base REST URL (production default, or the sim)
    const char *ws_url;            //  Base public WS URL (production default, or the sim)
    const char *futures_rest_url;  //  Binance USD-M (funding), or NULL / "" when unused
    const char *futures_ws_url;
    const char *const *candle_intervals;  //  e.g. "1m", "5m"; may be empty
    size_t candle_interval_count;
    size_t book_depth;  //  Levels kept and published per side
} vb_md_config_t;

//  One WebSocket connection the core must keep open.
typedef struct {
    char url[VB_MD_URL_MAX];  //  Full ws:// or wss:// URL with path and query
    int64_t lifetime_ms;      //  Venue's connection lifetime (0 = none); core rolls over before it
    int64_t stale_ms;         //  No frame for this long = stale (venue heartbeat bound)
    int64_t app_ping_ms;     //  Send ping_text every this often (0 = none; WS pings are the core's)
    char ping_text[128];     //  Application-level ping (Kraken {"method":"ping"})
    int max_messages_per_s;  //  Venue's limit on client messages on this connection
} vb_md_connection_t;

//  A REST request the adapter needs (book snapshot, candle backfill).
typedef struct {
    char path[VB_MD_REQUEST_MAX];  //  Path and query, appended to the REST base URL
    bool futures;                  //  Against futures_rest_url instead of rest_url
    int weight;                    //  Venue request weight, for the rate-limit grant
    char symbol[32];               //  The symbol it is for
    int kind;                      //  VB_MD_REST_SNAPSHOT or VB_MD_REST_CANDLES
    int64_t from_ns;               //  CANDLES: range asked for
    int64_t to_ns;
    char interval[8];  //  CANDLES: "1m"
    //  Added for the production defaults: the REST base URL the path goes
    //  to, as the adapter resolved it (the config's URL, or the venue's
    //  production default when the config's is NULL or ""). "" = the core
    //  picks rest_url or futures_rest_url from the config by `futures`.
    char base_url[VB_MD_URL_MAX];
    //  Added for REST usage reporting: the name of the answer's header that
    //  carries the venue's count of used request weight for the IP (Binance
    //  spot "X-MBX-USED-WEIGHT-1M"), "" when the venue sends none. The core
    //  reads it and reports it to the rate-limit authority.
    char usage_header[VB_MD_HEADER_MAX];
    //  The core's own mark on a request (e.g. a candle history query it
    //  made): adapters leave it 0 and never read it.
    uint64_t tag;
} vb_md_request_t;

#define VB_MD_REST_SNAPSHOT 1
#define VB_MD_REST_CANDLES  2

typedef enum {
    VB_MD_SIDE_BUY = 1,   //  Aggressor bought
    VB_MD_SIDE_SELL = 2,  //  Aggressor sold
} vb_md_side_t;

typedef struct {
    vb_decimal_t price;
    vb_decimal_t qty;
    vb_md_side_t side;  //  0 when the venue does not say
    const char *trade_id;
    int64_t exchange_ts_ns;
} vb_md_trade_t;

typedef struct {
    vb_decimal_t bid_price, bid_qty, ask_price, ask_qty;
    uint64_t venue_seq;  //  Binance bookTicker u (0 if none)
    int64_t exchange_ts_ns;
} vb_md_bbo_t;

typedef struct {
    const char *interval;  //  "1m"
    int64_t open_ts_ns;
    int64_t close_ts_ns;
    vb_decimal_t open, high, low, close, volume;
    uint64_t trades;
    bool closed;      //  Final (Binance x=true; Kraken: the interval has passed)
    bool backfilled;  //  From REST
} vb_md_candle_t;

//  Receives one decoded candle (vb_md_ops_t.candles_decode); returns 0 or a
//  negative VB_E* code that stops the decoding.
typedef int (vb_md_candle_fn) (void *arg, const vb_md_candle_t *candle);

typedef struct {
    vb_decimal_t mark_price, index_price, funding_rate;
    int64_t next_funding_ts_ns;
    int64_t exchange_ts_ns;
} vb_md_funding_t;

//  The core's side. `ctx` is passed back unchanged. Every function returns
//  0, or a negative VB_E* code the adapter should treat as "resync this
//  symbol" (the core has already logged and counted it).
typedef struct {
    void *ctx;
    //  The core's book for a symbol (NULL if the symbol is not in the shard).
    //  The adapter applies levels with vb_book_set between book_begin and
    //  book_commit, and may read it (checksums, crossed checks).
    vb_book_t *(*book) (void *ctx, const char *symbol);
    //  Start a change of `symbol`'s book. snapshot = true clears it first.
    int (*book_begin) (void *ctx, const char *symbol, bool snapshot);
    //  Apply one level change (qty zero deletes) and record it for the delta
    //  the core will publish.
    int (*book_level) (void *ctx, const char *symbol, vb_book_side_t side, vb_decimal_t price,
                       vb_decimal_t qty);
    //  End the change: the book is verified (sequence continues, checksum
    //  matches) and covers venue updates first..last (0 if the venue has
    //  none). The core validates (crossed, non-positive), publishes a
    //  snapshot or a delta, and marks the book SYNCED.
    int (*book_commit) (void *ctx, const char *symbol, uint64_t venue_seq_first,
                        uint64_t venue_seq_last, int64_t exchange_ts_ns);
    //  The book broke (reason: "gap", "checksum", "crossed", "decode",
    //  "reconnect"): the core marks it RESYNCING and publishes status; the
    //  adapter then rebuilds it (asking for a snapshot or resubscribing).
    void (*book_resync) (void *ctx, const char *symbol, const char *reason, uint64_t expected_seq,
                         uint64_t received_seq);
    int (*trade) (void *ctx, const char *symbol, const vb_md_trade_t *trade);
    int (*bbo) (void *ctx, const char *symbol, const vb_md_bbo_t *bbo);
    int (*candle) (void *ctx, const char *symbol, const vb_md_candle_t *candle);
    int (*funding) (void *ctx, const char *symbol, const vb_md_funding_t *funding);
    //  Ask the core to make a REST call; the answer comes to on_rest.
    int (*rest) (void *ctx, const vb_md_request_t *request);
    //  Send a text frame on connection `index` (subscribe, resubscribe, pong).
    int (*send) (void *ctx, size_t index, const char *text, size_t length);
    //  A frame that could not be used: counted and reported as an anomaly.
    void (*anomaly) (void *ctx, const char *symbol, const char *what);
} vb_md_sink_t;

//  Which base URL vb_md_ops_t.default_url is asked for.
typedef enum {
    VB_MD_URL_UNSET = 0,         //  Reserved
    VB_MD_URL_REST = 1,          //  vb_md_config_t.rest_url
    VB_MD_URL_WS = 2,            //  vb_md_config_t.ws_url
    VB_MD_URL_FUTURES_REST = 3,  //  vb_md_config_t.futures_rest_url
    VB_MD_URL_FUTURES_WS = 4,    //  vb_md_config_t.futures_ws_url
} vb_md_url_kind_t;

typedef struct {
    const char *name;  //  "binance", "kraken"

    //  Create the adapter for a shard, or NULL with a reason in error (e.g.
    //  an unknown symbol). The sink is kept for the adapter's lifetime.
    vb_md_t *(*create) (const vb_md_config_t *config, const vb_md_sink_t *sink, char *error,
                        size_t error_size);
    void (*destroy) (vb_md_t **self_p);

    //  The connections to open (count written to *count, at most max).
    int (*connections) (vb_md_t *self, vb_md_connection_t *out, size_t max, size_t *count);

    //  Connection `index` is open (first time, after a reconnect, or a
    //  rollover replacement): send subscriptions through sink->send and
    //  restart the book sync of every symbol it carries (every resubscribe
    //  starts with a fresh snapshot).
    int (*opened) (vb_md_t *self, size_t index);
    //  Connection `index` closed or went stale: every book it carried is
    //  broken; report book_resync ("reconnect") for each.
    void (*closed) (vb_md_t *self, size_t index);

    //  One text frame from connection `index`, read at recv_ts_ns. Returns 0,
    //  or a negative VB_E* when the frame was unusable (the core counts it as
    //  a decode error; the adapter has already resynced what it had to).
    int (*frame) (vb_md_t *self, size_t index, const char *text, size_t length, int64_t recv_ts_ns);

    //  The answer to a REST request: HTTP status and body (status 0 = the
    //  request failed before an answer; the adapter retries via a new
    //  request or resyncs).
    int (*rest_done) (vb_md_t *self, const vb_md_request_t *request, int status, const char *body,
                      size_t length);

    //  Build the REST requests that backfill closed candles of `interval`
    //  for `symbol` over [from_ns, to_ns) (after a reconnect, or for a
    //  history request), at most max requests (pagination). Returns count.
    size_t (*candle_requests) (vb_md_t *self, const char *symbol, const char *interval,
                               int64_t from_ns, int64_t to_ns, vb_md_request_t *out, size_t max);

    //  Optional (may be NULL): the venue's production URL of one kind, a
    //  static string, or NULL / "" when the venue has none (e.g. no futures).
    //  The core passes it in vb_md_config_t whenever the operator left that
    //  URL empty, so production defaults live with the venue, never in a
    //  service (added by the gateway; DESIGN.md §3 "URLs default to the
    //  venue's production ones").
    const char *(*default_url) (vb_md_url_kind_t kind);

    //  Optional (may be NULL): the depth_cap the core must give the vb_book
    //  of `symbol` (levels per side), when config book_depth is not enough.
    //  An adapter may subscribe deeper than book_depth (Kraken: the next
    //  depth above it, so truncation never starves the checksum) and applies
    //  a whole venue message through book_level before it truncates, so the
    //  book needs room above the subscribed depth. NULL or 0 returned: use
    //  book_depth (added by the Kraken adapter).
    size_t (*book_capacity) (vb_md_t *self, const char *symbol);

    //  Optional (may be NULL; added for candle history on the snapshot
    //  endpoint): decode the answer to a request built by candle_requests
    //  without reporting anything to the sink: each candle of the answer
    //  that lies in the request's [from_ns, to_ns) goes to fn (with
    //  backfilled = true, closed as the venue says), in the venue's order.
    //  Returns 0, or a negative VB_E* code with a short reason in error (the
    //  venue's own error text when it gave one). Without it the gateway
    //  serves no candle history.
    int (*candles_decode) (vb_md_t *self, const vb_md_request_t *request, int status,
                           const char *body, size_t length, vb_md_candle_fn *fn, void *arg,
                           char *error, size_t error_size);

    //  Optional (may be NULL): the open time (ns) of the oldest candle of
    //  `interval` the venue can still serve at now_ns, or 0 when it serves
    //  any (Kraken: its latest 720 only). A history request starting before
    //  it is refused rather than answered with a silent hole.
    int64_t (*candle_horizon) (vb_md_t *self, const char *interval, int64_t now_ns);
} vb_md_ops_t;

//  Base of every adapter state: the ops pointer comes first.
struct _vb_md_t {
    const vb_md_ops_t *ops;
};

//  The market-data adapters linked into venuebus-gateway (venues/registry.c).
const vb_md_ops_t *vb_md_venue_find (const char *name);

#ifdef __cplusplus
}
#endif
#endif
