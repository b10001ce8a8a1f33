/*  md.c — Binance Spot (and USD-M mark price) market-data adapter for
    venuebus-gateway, behind vb_md.h.

    Connections (venues.md 1.1, 1.2). Every connection is the combined
    endpoint `<ws base>/stream` (payloads arrive as {"stream":..,"data":..});
    streams are added with SUBSCRIBE messages sent from opened(), not in the
    URL, because a URL listing many streams would pass VB_MD_URL_MAX. Each
    message carries at most S_STREAMS_PER_MESSAGE streams and a connection
    at most S_STREAMS_PER_CONNECTION (the venue's 1024), so a connection is
    subscribed with at most four messages: under the venue's 5 messages/s
    even when they go out back to back. Per symbol on the spot connection:
    <sym>@depth@100ms, <sym>@trade, <sym>@bookTicker and one
    <sym>@kline_<i> per configured interval; symbols are split across
    connections beyond 1024 streams. When USD-M is used, a futures
    connection carries <sym>@markPrice@1s (funding, mark and index price).
    Lifetime 24 h; stale after S_STALE_MS (the venue pings every 20 s and
    depth@100ms sends every 100 ms while the book moves).

    Production defaults: a NULL or "" ws_url / rest_url is the production
    spot URL. The futures URLs default to production only when the spot URLs
    do too (a gateway pointed at the sim never opens a production futures
    connection); with a spot URL set and no futures_ws_url, USD-M is unused.
    Requests carry the resolved REST base in vb_md_request_t.base_url.

    Book sync (venues.md 1.3, the official procedure):
    - from the connection's open, every depthUpdate of a symbol is buffered
      (the buffer must itself be continuous: U == previous u + 1);
    - after the first diff is buffered, a REST snapshot is asked for
      (/api/v3/depth?limit=1000, weight 50), one at a time per symbol;
    - on the answer: lastUpdateId < the first buffered U -> ask again;
      otherwise drop buffered diffs with u <= lastUpdateId; the first one
      left must have U <= lastUpdateId + 1 <= u; the snapshot is committed
      (venue_seq lastUpdateId..lastUpdateId), then each diff left is applied
      and committed (U..u);
    - while live: before the first applied diff, diffs with u <= the
      snapshot's id are dropped and the first must bridge as above; after
      it, each diff must have U == previous u + 1. Anything else (including
      a duplicated or reordered diff) is book_resync ("gap", expected U,
      received U) and a restart: the diff that showed the gap starts a new
      buffer and a fresh snapshot is asked for.
    - a buffer that passes S_BUFFER_DIFFS_MAX diffs or S_BUFFER_LEVELS_MAX
      levels while the snapshot is awaited is dropped: book_resync
      ("overflow") and the diff that overflowed starts a new buffer.
    - a depthUpdate that cannot be decoded is book_resync ("decode") for its
      symbol; a sink book function or bbo that returns an error restarts
      the symbol's sync (the core has already marked it resyncing).

    USD-M futures depth (the futures "How to manage a local order book
    correctly"; replays such as the hftbacktest usdm capture, streams
    <sym>@depth, @depth@0ms): a diff carrying "pu" (the previous diff's u)
    exists only on USD-M, so the first diff of a sync decides the book's
    rule (s_rules) and the rest of that sync must be of the same market
    (otherwise book_resync "decode"). Under the USD-M rule the snapshot is
    /fapi/v1/depth?limit=1000 (weight 20) on the futures REST base; diffs
    with u < lastUpdateId are dropped, the first one left must have
    U <= lastUpdateId <= u, and each later one must have pu == previous u
    (book_resync "gap", expected previous u, received pu). Both rules are
    one check: a diff's link (spot U, USD-M pu) must equal the previous u
    plus the rule's offset (spot 1, USD-M 0), and the bridge point is
    lastUpdateId plus that offset.

    Every frame is validated before anything reaches the sink: types, exact
    decimals (vb_json_decimal, the venue's scale kept), positive prices,
    non-negative quantities, U <= u, the event type and the symbol.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_json.h"
#include "vb_md.h"
#include "symbols.h"

#define S_SPOT_WS_DEFAULT      "wss://stream.binance.com:9443"
#define S_SPOT_REST_DEFAULT    "https://api.binance.com"
#define S_FUTURES_WS_DEFAULT   "wss://fstream.binance.com"
#define S_FUTURES_REST_DEFAULT "https://fapi.binance.com"
#define S_STREAM_PATH          "/stream"

//  Venue limits and timing (venues.md 1.1).
#define S_STREAMS_PER_CONNECTION 1024
#define S_STREAMS_PER_MESSAGE    256
#define S_MESSAGES_PER_S         5
#define S_LIFETIME_MS            (24LL * 60 * 60 * 1000)
#define S_STALE_MS               30000
//  Streams per symbol on a spot connection besides its klines: depth,
//  trade, bookTicker.
#define S_SPOT_STREAMS_BASE 3
//  Longest stream name: symbol, '@', the longest kind ("depth@100ms",
//  "kline_" + interval, "markPrice@1s").
#define S_STREAM_NAME_MAX 64

//  REST (venues.md 1.3, 1.2): depth limit 1000 costs 50; klines cost 2 and
//  return at most 1000 rows.
#define S_SNAPSHOT_LIMIT  1000
#define S_SNAPSHOT_WEIGHT 50
#define S_KLINES_LIMIT    1000
#define S_KLINES_WEIGHT   2
#define S_HTTP_OK         200
//  Spot REST answers carry the IP's used weight in this header (venues.md 1.3).
#define S_USAGE_HEADER      "X-MBX-USED-WEIGHT-1M"
#define S_HTTP_TOO_MANY     429
#define S_HTTP_BANNED       418
#define S_HTTP_SERVER_ERROR 500
//  USD-M depth limit 1000 costs 20 (USD-M market data, order book).
#define S_FUTURES_SNAPSHOT_WEIGHT 20
//  A snapshot holds at most 5000 levels per side.
#define S_SNAPSHOT_LEVELS_MAX (2 * 5000)

//  Bounds on what one diff, and the buffer awaiting a snapshot, may hold.
#define S_DIFF_LEVELS_MAX   10000
#define S_BUFFER_DIFFS_MAX  1000
#define S_BUFFER_LEVELS_MAX 200000

#define S_SYMBOL_MAX   32
#define S_TRADE_ID_MAX 24
#define S_WHAT_MAX     160
#define S_NS_PER_MS    1000000LL
#define S_MS_PER_S     1000LL
//  A timestamp in ms must fit int64 once in ns.
#define S_MS_MAX (INT64_MAX / S_NS_PER_MS)

typedef enum {
    S_SYNC_IDLE = 0,   //  Nothing buffered: waiting for the first diff
    S_SYNC_BUFFERING,  //  Diffs buffered, snapshot asked for
    S_SYNC_LIVE,       //  Snapshot applied: applying diffs as they come
} s_sync_t;

//  A depth sync rule (see the header comment): spot or USD-M futures.
typedef struct {
    uint64_t offset;            //  Link == previous u + offset; bridge at lastUpdateId + offset
    const char *snapshot_path;  //  REST depth path, before "?symbol="
    int snapshot_weight;        //  Its weight at S_SNAPSHOT_LIMIT
    bool futures;               //  Snapshot from the futures REST base
} s_rule_t;

typedef enum {
    S_RULE_SPOT = 0,  //  U == previous u + 1
    S_RULE_USDM = 1,  //  pu == previous u
} s_rule_id_t;

static const s_rule_t s_rules[] = {
    [S_RULE_SPOT] = {1, "/api/v3/depth", S_SNAPSHOT_WEIGHT, false},
    [S_RULE_USDM] = {0, "/fapi/v1/depth", S_FUTURES_SNAPSHOT_WEIGHT, true},
};

//  One level of a diff or snapshot, as the venue sent it.
typedef struct {
    vb_decimal_t price;   //  Positive
    vb_decimal_t qty;     //  Zero deletes
    vb_book_side_t side;  //  Bid or ask
} s_level_t;

//  One buffered depthUpdate; its levels are in the symbol's level buffer.
typedef struct {
    uint64_t first;          //  U
    uint64_t last;           //  u
    int64_t exchange_ts_ns;  //  E
    size_t level_offset;     //  First level in s_symbol_t.levels
    size_t level_count;      //  Levels
} s_diff_t;

typedef struct {
    char name[S_SYMBOL_MAX];    //  Normalised, "BTC-USDT"
    char venue[S_SYMBOL_MAX];   //  Venue symbol, "BTCUSDT"
    char stream[S_SYMBOL_MAX];  //  Stream symbol, "btcusdt"
    size_t connection;          //  Index of the spot connection carrying it
    size_t futures_connection;  //  Index of the futures connection, if any
    s_sync_t state;             //  Book sync state
    const s_rule_t *rule;       //  Sync rule, set by the first diff of a sync
    bool snapshot_in_flight;    //  A snapshot request is out
    bool bridged;               //  LIVE: a diff has been applied after the snapshot
    uint64_t last_update_id;    //  LIVE: u of the last applied diff (or lastUpdateId)
    s_diff_t *diffs;            //  Buffered diffs
    size_t diff_count;          //  In use
    size_t diff_capacity;       //  Allocated
    s_level_t *levels;          //  Levels of the buffered diffs
    size_t level_count;         //  In use
    size_t level_capacity;      //  Allocated
} s_symbol_t;

//  One connection: a range of symbols, spot or futures.
typedef struct {
    bool futures;         //  Carries markPrice streams
    size_t symbol_first;  //  First symbol index
    size_t symbol_count;  //  Symbols carried
} s_connection_t;

//  A stream symbol -> symbol index, sorted by stream name for bsearch.
typedef struct {
    const char *stream;  //  Points into s_symbol_t.stream
    size_t index;        //  Symbol index
} s_lookup_t;

//  Kline intervals (venues.md 1.2) and their length; 1M pages by 28 days,
//  so a page never holds more than the limit.
typedef struct {
    const char *name;   //  "1m"
    int64_t length_ms;  //  Candle length (1M: shortest month)
} s_interval_t;

#define S_MINUTE_MS (60LL * S_MS_PER_S)
#define S_HOUR_MS   (60LL * S_MINUTE_MS)
#define S_DAY_MS    (24LL * S_HOUR_MS)

static const s_interval_t s_intervals[] = {
    {"1s", S_MS_PER_S},      {"1m", S_MINUTE_MS},       {"3m", 3 * S_MINUTE_MS},
    {"5m", 5 * S_MINUTE_MS}, {"15m", 15 * S_MINUTE_MS}, {"30m", 30 * S_MINUTE_MS},
    {"1h", S_HOUR_MS},       {"2h", 2 * S_HOUR_MS},     {"4h", 4 * S_HOUR_MS},
    {"6h", 6 * S_HOUR_MS},   {"8h", 8 * S_HOUR_MS},     {"12h", 12 * S_HOUR_MS},
    {"1d", S_DAY_MS},        {"3d", 3 * S_DAY_MS},      {"1w", 7 * S_DAY_MS},
    {"1M", 28 * S_DAY_MS},
};
#define S_INTERVAL_COUNT (sizeof (s_intervals) / sizeof (s_intervals[0]))

typedef struct {
    vb_md_t base;                                       //  Must be first
    vb_md_sink_t sink;                                  //  The core
    s_symbol_t *symbols;                                //  The shard
    size_t symbol_count;                                //  Symbols
    s_lookup_t *lookup;                                 //  Sorted by stream name
    const s_interval_t **intervals;                     //  Kline streams
    size_t interval_count;                              //  Kline intervals
    s_connection_t connections[VB_MD_CONNECTIONS_MAX];  //  Spot, then futures
    size_t connection_count;                            //  In use
    char spot_ws[VB_MD_URL_MAX];                        //  Resolved URLs
    char spot_rest[VB_MD_URL_MAX];
    char futures_ws[VB_MD_URL_MAX];
    char futures_rest[VB_MD_URL_MAX];
    bool futures;                   //  USD-M mark price is used
    vb_json_t *json;                //  Parser for WS frames
    vb_json_t *json_rest;           //  Parser for REST bodies
    s_level_t *scratch;             //  Levels of the diff or snapshot being decoded
    size_t scratch_count;           //  In use
    size_t scratch_capacity;        //  Allocated
    uint64_t request_id;            //  Last SUBSCRIBE id
    char trade_id[S_TRADE_ID_MAX];  //  Borrowed by sink->trade
} s_md_t;

extern const vb_md_ops_t vb_binance_md_ops;
static void s_md_destroy (vb_md_t **self_p);

//  --------------------------------------------------------------------------
//  True when `length` bytes of text equal the NUL-terminated string.

static bool
s_equals (const char *text, size_t length, const char *string)
{
    return length == strlen (string) && memcmp (text, string, length) == 0;
}

//  --------------------------------------------------------------------------
//  Copy a base URL without trailing '/' and without a trailing "/ws" or
//  "/stream" path (venues.md lists bases both ways). Returns 0 or VB_ETRUNC.

static int
s_base_url (const char *url, char *out, size_t size)
{
    size_t length = strlen (url);
    while (length > 0 && url[length - 1] == '/')
        length--;
    if (length >= strlen ("/ws") && memcmp (url + length - 3, "/ws", 3) == 0)
        length -= 3;
    else if (length >= strlen (S_STREAM_PATH) &&
             memcmp (url + length - strlen (S_STREAM_PATH), S_STREAM_PATH,
                     strlen (S_STREAM_PATH)) == 0)
        length -= strlen (S_STREAM_PATH);
    if (length + 1 > size)
        return VB_ETRUNC;
    memcpy (out, url, length);
    out[length] = 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Order of the lookup table.

static int
s_lookup_cmp (const void *a, const void *b)
{
    return strcmp (((const s_lookup_t *)a)->stream, ((const s_lookup_t *)b)->stream);
}

//  --------------------------------------------------------------------------
//  The symbol whose stream name is `length` bytes of text, or NULL.

static s_symbol_t *
s_symbol_by_stream (s_md_t *self, const char *text, size_t length)
{
    size_t low = 0, high = self->symbol_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        const char *stream = self->lookup[middle].stream;
        size_t stream_length = strlen (stream);
        int cmp = memcmp (stream, text, length < stream_length ? length : stream_length);
        if (cmp == 0)
            cmp = stream_length < length ? -1 : stream_length > length ? 1 : 0;
        if (cmp == 0)
            return &self->symbols[self->lookup[middle].index];
        if (cmp < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  The symbol with this normalised name, or NULL.

static s_symbol_t *
s_symbol_by_name (s_md_t *self, const char *name)
{
    for (size_t index = 0; index < self->symbol_count; index++)
        if (strcmp (self->symbols[index].name, name) == 0)
            return &self->symbols[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  The interval with this name (`length` bytes), or NULL.

static const s_interval_t *
s_interval_find (const char *name, size_t length)
{
    for (size_t index = 0; index < S_INTERVAL_COUNT; index++)
        if (s_equals (name, length, s_intervals[index].name))
            return &s_intervals[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Plan the connections: spot symbols in config order, as many per
//  connection as the stream limit allows, then the futures ones. Returns 0
//  or VB_ELIMIT when more than VB_MD_CONNECTIONS_MAX would be needed.

static int
s_plan_connections (s_md_t *self)
{
    size_t per_symbol = S_SPOT_STREAMS_BASE + self->interval_count;
    size_t per_connection = S_STREAMS_PER_CONNECTION / per_symbol;
    if (per_connection == 0)
        return VB_ELIMIT;
    for (int futures = 0; futures <= (self->futures ? 1 : 0); futures++) {
        size_t capacity = futures ? S_STREAMS_PER_CONNECTION : per_connection;
        for (size_t first = 0; first < self->symbol_count; first += capacity) {
            if (self->connection_count == VB_MD_CONNECTIONS_MAX)
                return VB_ELIMIT;
            s_connection_t *connection = &self->connections[self->connection_count];
            connection->futures = futures != 0;
            connection->symbol_first = first;
            connection->symbol_count =
                self->symbol_count - first < capacity ? self->symbol_count - first : capacity;
            for (size_t index = first; index < first + connection->symbol_count; index++) {
                if (futures)
                    self->symbols[index].futures_connection = self->connection_count;
                else
                    self->symbols[index].connection = self->connection_count;
            }
            self->connection_count++;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Resolve the URLs (see the header comment). Returns 0 or VB_ETRUNC.

static int
s_resolve_urls (s_md_t *self, const vb_md_config_t *config)
{
    bool spot_default = !config->ws_url || !*config->ws_url;
    bool rest_default = !config->rest_url || !*config->rest_url;
    int rc = s_base_url (spot_default ? S_SPOT_WS_DEFAULT : config->ws_url, self->spot_ws,
                         sizeof (self->spot_ws));
    if (rc == 0)
        rc = s_base_url (rest_default ? S_SPOT_REST_DEFAULT : config->rest_url, self->spot_rest,
                         sizeof (self->spot_rest));
    bool futures_set = config->futures_ws_url && *config->futures_ws_url;
    self->futures = futures_set || spot_default;
    if (rc == 0 && self->futures)
        rc = s_base_url (futures_set ? config->futures_ws_url : S_FUTURES_WS_DEFAULT,
                         self->futures_ws, sizeof (self->futures_ws));
    if (rc == 0 && self->futures) {
        bool futures_rest_set = config->futures_rest_url && *config->futures_rest_url;
        rc = s_base_url (futures_rest_set ? config->futures_rest_url : S_FUTURES_REST_DEFAULT,
                         self->futures_rest, sizeof (self->futures_rest));
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Create the adapter for a shard.

static vb_md_t *
s_md_create (const vb_md_config_t *config, const vb_md_sink_t *sink, char *error, size_t error_size)
{
    char dummy[1];
    if (!error || error_size == 0) {
        error = dummy;
        error_size = sizeof (dummy);
    }
    error[0] = 0;
    if (!config || !sink || !sink->book || !sink->book_begin || !sink->book_level ||
        !sink->book_commit || !sink->book_resync || !sink->trade || !sink->bbo || !sink->candle ||
        !sink->funding || !sink->rest || !sink->send || !sink->anomaly) {
        snprintf (error, error_size, "binance: missing config or sink function");
        return NULL;
    }
    if (config->symbol_count == 0 || !config->symbols ||
        (config->candle_interval_count > 0 && !config->candle_intervals)) {
        snprintf (error, error_size, "binance: no symbols");
        return NULL;
    }
    s_md_t *self = (s_md_t *)zmalloc (sizeof (s_md_t));
    self->base.ops = NULL;  //  Set last, once the adapter is complete
    self->sink = *sink;
    self->symbols = (s_symbol_t *)zmalloc (config->symbol_count * sizeof (s_symbol_t));
    self->lookup = (s_lookup_t *)zmalloc (config->symbol_count * sizeof (s_lookup_t));
    self->symbol_count = config->symbol_count;
    if (config->candle_interval_count > 0)
        self->intervals = (const s_interval_t **)zmalloc (config->candle_interval_count *
                                                          sizeof (s_interval_t *));
    self->json = vb_json_new ();
    self->json_rest = vb_json_new ();
    if (!self->json || !self->json_rest) {
        snprintf (error, error_size, "binance: cannot create the JSON parser");
        goto failed;
    }
    for (size_t index = 0; index < config->symbol_count; index++) {
        s_symbol_t *symbol = &self->symbols[index];
        const char *name = config->symbols[index];
        if (!name || strlen (name) >= sizeof (symbol->name) ||
            vb_binance_symbol_venue (name, symbol->venue, sizeof (symbol->venue)) < 0 ||
            vb_binance_symbol_stream (name, symbol->stream, sizeof (symbol->stream)) < 0) {
            snprintf (error, error_size, "binance: unknown symbol %s", name ? name : "(null)");
            goto failed;
        }
        strcpy (symbol->name, name);
        symbol->rule = &s_rules[S_RULE_SPOT];
        for (size_t other = 0; other < index; other++)
            if (strcmp (self->symbols[other].name, name) == 0) {
                snprintf (error, error_size, "binance: symbol %s given twice", name);
                goto failed;
            }
        self->lookup[index].stream = symbol->stream;
        self->lookup[index].index = index;
    }
    qsort (self->lookup, self->symbol_count, sizeof (s_lookup_t), s_lookup_cmp);
    for (size_t index = 0; index < config->candle_interval_count; index++) {
        const char *name = config->candle_intervals[index];
        const s_interval_t *interval = name ? s_interval_find (name, strlen (name)) : NULL;
        if (!interval) {
            snprintf (error, error_size, "binance: unknown candle interval %s",
                      name ? name : "(null)");
            goto failed;
        }
        for (size_t other = 0; other < self->interval_count; other++)
            if (self->intervals[other] == interval)
                interval = NULL;
        if (interval)  //  A repeated interval is one stream
            self->intervals[self->interval_count++] = interval;
    }
    if (s_resolve_urls (self, config) < 0) {
        snprintf (error, error_size, "binance: URL too long");
        goto failed;
    }
    if (s_plan_connections (self) < 0) {
        snprintf (error, error_size, "binance: too many symbols for %d connections",
                  VB_MD_CONNECTIONS_MAX);
        goto failed;
    }
    self->base.ops = &vb_binance_md_ops;
    return &self->base;

failed:;
    vb_md_t *base = &self->base;
    s_md_destroy (&base);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Free a symbol's diff buffer.

static void
s_buffer_free (s_symbol_t *symbol)
{
    free (symbol->diffs);
    free (symbol->levels);
    symbol->diffs = NULL;
    symbol->levels = NULL;
    symbol->diff_count = symbol->diff_capacity = 0;
    symbol->level_count = symbol->level_capacity = 0;
}

//  --------------------------------------------------------------------------
//  Destroy the adapter. Safe on NULL and twice.

static void
s_md_destroy (vb_md_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        s_md_t *self = (s_md_t *)*self_p;
        for (size_t index = 0; index < self->symbol_count; index++)
            s_buffer_free (&self->symbols[index]);
        free (self->scratch);
        vb_json_destroy (&self->json_rest);
        vb_json_destroy (&self->json);
        free (self->intervals);
        free (self->lookup);
        free (self->symbols);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The connections to open.

static int
s_md_connections (vb_md_t *base, vb_md_connection_t *out, size_t max, size_t *count)
{
    s_md_t *self = (s_md_t *)base;
    if (!self || !out || !count)
        return VB_EINVAL;
    if (max < self->connection_count)
        return VB_ELIMIT;
    for (size_t index = 0; index < self->connection_count; index++) {
        vb_md_connection_t *connection = &out[index];
        memset (connection, 0, sizeof (*connection));
        int length = snprintf (connection->url, sizeof (connection->url), "%s%s",
                               self->connections[index].futures ? self->futures_ws : self->spot_ws,
                               S_STREAM_PATH);
        if (length < 0 || (size_t)length >= sizeof (connection->url))
            return VB_ETRUNC;
        connection->lifetime_ms = S_LIFETIME_MS;
        connection->stale_ms = S_STALE_MS;
        connection->app_ping_ms = 0;  //  WS pings only (the venue pings every 20 s)
        connection->max_messages_per_s = S_MESSAGES_PER_S;
    }
    *count = self->connection_count;
    return 0;
}

//  --------------------------------------------------------------------------
//  Forget a symbol's sync state: drop its buffer and wait for a first diff.
//  A snapshot request already out stays out (its answer is judged then).

static void
s_restart (s_symbol_t *symbol)
{
    symbol->state = S_SYNC_IDLE;
    symbol->bridged = false;
    symbol->last_update_id = 0;
    symbol->diff_count = 0;
    symbol->level_count = 0;
}

//  --------------------------------------------------------------------------
//  Report a break and restart the symbol's sync.

static void
s_resync (s_md_t *self, s_symbol_t *symbol, const char *reason, uint64_t expected,
          uint64_t received)
{
    self->sink.book_resync (self->sink.ctx, symbol->name, reason, expected, received);
    s_restart (symbol);
}

//  --------------------------------------------------------------------------
//  Build one stream name of a symbol into out. Returns 0 or VB_ETRUNC.

static int
s_stream_name (const s_symbol_t *symbol, const char *kind, const char *suffix, char *out,
               size_t size)
{
    int length = snprintf (out, size, "%s@%s%s", symbol->stream, kind, suffix ? suffix : "");
    return length < 0 || (size_t)length >= size ? VB_ETRUNC : 0;
}

//  --------------------------------------------------------------------------
//  Send a SUBSCRIBE for `count` stream names on a connection.

static int
s_send_subscribe (s_md_t *self, size_t index, char (*streams)[S_STREAM_NAME_MAX], size_t count)
{
    //  {"method":"SUBSCRIBE","params":[..],"id":N}: quotes and a comma per
    //  stream, and room for the id.
    size_t size = 64 + count * (S_STREAM_NAME_MAX + 3);
    char *text = (char *)zmalloc (size);
    size_t length = (size_t)snprintf (text, size, "{\"method\":\"SUBSCRIBE\",\"params\":[");
    for (size_t stream = 0; stream < count; stream++)
        length += (size_t)snprintf (text + length, size - length, "%s\"%s\"", stream ? "," : "",
                                    streams[stream]);
    length += (size_t)snprintf (text + length, size - length, "],\"id\":%" PRIu64 "}",
                                ++self->request_id);
    assert (length < size);
    int rc = self->sink.send (self->sink.ctx, index, text, length);
    free (text);
    return rc;
}

//  --------------------------------------------------------------------------
//  Connection `index` is open: restart the books it carries, subscribe.

static int
s_md_opened (vb_md_t *base, size_t index)
{
    s_md_t *self = (s_md_t *)base;
    if (!self || index >= self->connection_count)
        return VB_EINVAL;
    const s_connection_t *connection = &self->connections[index];
    char (*streams)[S_STREAM_NAME_MAX] =
        (char (*)[S_STREAM_NAME_MAX])zmalloc (S_STREAMS_PER_MESSAGE * S_STREAM_NAME_MAX);
    size_t count = 0;
    int rc = 0;
    for (size_t offset = 0; offset < connection->symbol_count && rc == 0; offset++) {
        s_symbol_t *symbol = &self->symbols[connection->symbol_first + offset];
        if (!connection->futures) {
            //  A resubscribe starts with a fresh snapshot (a rollover
            //  replacement arrives here without closed ()).
            if (symbol->state != S_SYNC_IDLE)
                s_resync (self, symbol, "reconnect", 0, 0);
            s_restart (symbol);
        }
        //  Names of this symbol's streams, then flushed by message.
        char names[S_SPOT_STREAMS_BASE + S_INTERVAL_COUNT][S_STREAM_NAME_MAX];
        size_t name_count = 0;
        if (connection->futures)
            rc = s_stream_name (symbol, "markPrice@1s", NULL, names[name_count++],
                                S_STREAM_NAME_MAX);
        else {
            rc =
                s_stream_name (symbol, "depth@100ms", NULL, names[name_count++], S_STREAM_NAME_MAX);
            if (rc == 0)
                rc = s_stream_name (symbol, "trade", NULL, names[name_count++], S_STREAM_NAME_MAX);
            if (rc == 0)
                rc = s_stream_name (symbol, "bookTicker", NULL, names[name_count++],
                                    S_STREAM_NAME_MAX);
            for (size_t interval = 0; interval < self->interval_count && rc == 0; interval++)
                rc = s_stream_name (symbol, "kline_", self->intervals[interval]->name,
                                    names[name_count++], S_STREAM_NAME_MAX);
        }
        for (size_t name = 0; name < name_count && rc == 0; name++) {
            memcpy (streams[count++], names[name], S_STREAM_NAME_MAX);
            if (count == S_STREAMS_PER_MESSAGE) {
                rc = s_send_subscribe (self, index, streams, count);
                count = 0;
            }
        }
    }
    if (rc == 0 && count > 0)
        rc = s_send_subscribe (self, index, streams, count);
    free (streams);
    return rc;
}

//  --------------------------------------------------------------------------
//  Connection `index` closed or went stale: its books are broken.

static void
s_md_closed (vb_md_t *base, size_t index)
{
    s_md_t *self = (s_md_t *)base;
    if (!self || index >= self->connection_count || self->connections[index].futures)
        return;
    const s_connection_t *connection = &self->connections[index];
    for (size_t offset = 0; offset < connection->symbol_count; offset++)
        s_resync (self, &self->symbols[connection->symbol_first + offset], "reconnect", 0, 0);
}

//  --------------------------------------------------------------------------
//  Ask the core for a depth snapshot of a symbol (one at a time), from the
//  market of its sync rule. A USD-M snapshot with USD-M unused has base_url
//  "": the core picks its futures REST URL.

static int
s_request_snapshot (s_md_t *self, s_symbol_t *symbol)
{
    if (symbol->snapshot_in_flight)
        return 0;
    const s_rule_t *rule = symbol->rule;
    vb_md_request_t request;
    memset (&request, 0, sizeof (request));
    snprintf (request.path, sizeof (request.path), "%s?symbol=%s&limit=%d", rule->snapshot_path,
              symbol->venue, S_SNAPSHOT_LIMIT);
    request.futures = rule->futures;
    request.weight = rule->snapshot_weight;
    request.kind = VB_MD_REST_SNAPSHOT;
    snprintf (request.usage_header, sizeof (request.usage_header), "%s", S_USAGE_HEADER);
    snprintf (request.symbol, sizeof (request.symbol), "%s", symbol->name);
    snprintf (request.base_url, sizeof (request.base_url), "%s",
              rule->futures ? self->futures_rest : self->spot_rest);
    symbol->snapshot_in_flight = true;
    int rc = self->sink.rest (self->sink.ctx, &request);
    if (rc < 0)
        symbol->snapshot_in_flight = false;  //  Asked again with the next diff
    return rc;
}

//  --------------------------------------------------------------------------
//  Grow an array to hold `needed` elements. Returns 0 or VB_ENOMEM.

static int
s_reserve (void **array, size_t *capacity, size_t needed, size_t element)
{
    if (needed <= *capacity)
        return 0;
    size_t grown = *capacity ? *capacity : 16;
    while (grown < needed)
        grown *= 2;
    void *larger = realloc (*array, grown * element);
    if (!larger)
        return VB_ENOMEM;
    *array = larger;
    *capacity = grown;
    return 0;
}

//  --------------------------------------------------------------------------
//  Apply one verified change to the core's book: the levels, then commit
//  first..last. On a sink error the symbol restarts (the core has marked
//  it). Returns 0 or the sink's error.

static int
s_apply (s_md_t *self, s_symbol_t *symbol, bool snapshot, const s_level_t *levels, size_t count,
         uint64_t first, uint64_t last, int64_t exchange_ts_ns)
{
    const vb_md_sink_t *sink = &self->sink;
    int rc = sink->book_begin (sink->ctx, symbol->name, snapshot);
    for (size_t index = 0; index < count && rc == 0; index++)
        rc = sink->book_level (sink->ctx, symbol->name, levels[index].side, levels[index].price,
                               levels[index].qty);
    if (rc == 0)
        rc = sink->book_commit (sink->ctx, symbol->name, first, last, exchange_ts_ns);
    if (rc < 0) {
        s_restart (symbol);
        return rc;
    }
    symbol->last_update_id = last;
    return 0;
}

//  --------------------------------------------------------------------------
//  Buffer a diff (levels in self->scratch) while the snapshot is awaited,
//  then make sure a snapshot is asked for. `link` is the diff's U (spot)
//  or pu (USD-M), checked by the symbol's rule.

static int
s_buffer_diff (s_md_t *self, s_symbol_t *symbol, uint64_t first, uint64_t last, uint64_t link,
               int64_t exchange_ts_ns)
{
    if (symbol->diff_count > 0) {
        uint64_t expected = symbol->diffs[symbol->diff_count - 1].last + symbol->rule->offset;
        if (link != expected) {
            //  The buffer cannot bridge across a hole: start it again here.
            s_resync (self, symbol, "gap", expected, link);
        }
    }
    if (symbol->diff_count >= S_BUFFER_DIFFS_MAX ||
        symbol->level_count + self->scratch_count > S_BUFFER_LEVELS_MAX)
        s_resync (self, symbol, "overflow", 0, 0);
    if (s_reserve ((void **)&symbol->diffs, &symbol->diff_capacity, symbol->diff_count + 1,
                   sizeof (s_diff_t)) ||
        s_reserve ((void **)&symbol->levels, &symbol->level_capacity,
                   symbol->level_count + self->scratch_count, sizeof (s_level_t))) {
        s_resync (self, symbol, "overflow", 0, 0);
        return VB_ENOMEM;
    }
    s_diff_t *diff = &symbol->diffs[symbol->diff_count++];
    diff->first = first;
    diff->last = last;
    diff->exchange_ts_ns = exchange_ts_ns;
    diff->level_offset = symbol->level_count;
    diff->level_count = self->scratch_count;
    if (self->scratch_count > 0)
        memcpy (symbol->levels + symbol->level_count, self->scratch,
                self->scratch_count * sizeof (s_level_t));
    symbol->level_count += self->scratch_count;
    symbol->state = S_SYNC_BUFFERING;
    return s_request_snapshot (self, symbol);
}

//  --------------------------------------------------------------------------
//  A decoded depthUpdate (levels in self->scratch): buffer, apply or resync.
//  Before the bridge, `expected` is the bridge point (lastUpdateId plus the
//  rule's offset); after it, the link the next diff must carry.

static int
s_on_diff (s_md_t *self, s_symbol_t *symbol, uint64_t first, uint64_t last, uint64_t link,
           int64_t exchange_ts_ns)
{
    if (symbol->state != S_SYNC_LIVE)
        return s_buffer_diff (self, symbol, first, last, link, exchange_ts_ns);
    uint64_t expected = symbol->last_update_id + symbol->rule->offset;
    if (!symbol->bridged) {
        if (last < expected)
            return 0;  //  Already in the snapshot
        if (first > expected) {
            s_resync (self, symbol, "gap", expected, first);
            return s_buffer_diff (self, symbol, first, last, link, exchange_ts_ns);
        }
    } else if (link != expected) {
        s_resync (self, symbol, "gap", expected, link);
        return s_buffer_diff (self, symbol, first, last, link, exchange_ts_ns);
    }
    int rc = s_apply (self, symbol, false, self->scratch, self->scratch_count, first, last,
                      exchange_ts_ns);
    if (rc == 0)
        symbol->bridged = true;
    return rc;
}

//  --------------------------------------------------------------------------
//  Read a timestamp in ms as ns. Returns 0, a JSON error or VB_EOVERFLOW.

static int
s_read_ms (vb_json_val_t *value, int64_t *out_ns)
{
    int64_t ms;
    int rc = vb_json_int64 (value, &ms);
    if (rc == 0 && (ms < 0 || ms > S_MS_MAX))
        rc = VB_EOVERFLOW;
    if (rc == 0)
        *out_ns = ms * S_NS_PER_MS;
    return rc;
}

//  --------------------------------------------------------------------------
//  Read a decimal that must be positive (prices) or non-negative (quantities).

static int
s_read_decimal (vb_json_val_t *value, bool positive, vb_decimal_t *out)
{
    int rc = vb_json_decimal (value, out);
    if (rc == 0 && (vb_decimal_is_negative (*out) || (positive && vb_decimal_is_zero (*out))))
        rc = VB_EINVAL;
    return rc;
}

//  --------------------------------------------------------------------------
//  Read a string field and compare it with an expected value.

static int
s_expect_string (vb_json_val_t *value, const char *expected)
{
    const char *text;
    size_t length;
    int rc = vb_json_string (value, &text, &length);
    if (rc == 0 && !s_equals (text, length, expected))
        rc = VB_EINVAL;
    return rc;
}

//  --------------------------------------------------------------------------
//  Append an array of ["price","qty"] pairs to self->scratch, at most `max`
//  levels in all. Returns 0 or VB_E*.

static int
s_read_levels (s_md_t *self, vb_json_val_t *array, vb_book_side_t side, size_t max)
{
    vb_json_iter_t iter;
    vb_json_val_t pair;
    int rc = vb_json_array_begin (array, &iter);
    while (rc == 0 && (rc = vb_json_array_next (&iter, &pair)) == 1) {
        if (self->scratch_count >= max)
            return VB_ELIMIT;
        rc = s_reserve ((void **)&self->scratch, &self->scratch_capacity, self->scratch_count + 1,
                        sizeof (s_level_t));
        if (rc < 0)
            return rc;
        s_level_t *level = &self->scratch[self->scratch_count];
        level->side = side;
        vb_json_iter_t fields;
        vb_json_val_t field;
        rc = vb_json_array_begin (&pair, &fields);
        if (rc == 0)
            rc = vb_json_array_next (&fields, &field) == 1
                     ? s_read_decimal (&field, true, &level->price)
                     : VB_EINVAL;
        if (rc == 0)
            rc = vb_json_array_next (&fields, &field) == 1
                     ? s_read_decimal (&field, false, &level->qty)
                     : VB_EINVAL;
        //  Exactly two: a third element (or a broken end) is refused.
        if (rc == 0 && vb_json_array_next (&fields, &field) != 0)
            rc = VB_EINVAL;
        if (rc == 0)
            self->scratch_count++;
    }
    return rc;
}

//  Field bits for required-field checks.
#define S_FIELD(n) (1u << (n))

//  --------------------------------------------------------------------------
//  Check the "s" field of an event against the symbol of its stream.

static int
s_expect_symbol (vb_json_val_t *value, const s_symbol_t *symbol)
{
    return s_expect_string (value, symbol->venue);
}

//  --------------------------------------------------------------------------
//  depthUpdate {"e","E","s","U","u","b","a"}; USD-M adds "T" and "pu".

static int
s_handle_depth (s_md_t *self, s_symbol_t *symbol, vb_json_val_t *data)
{
    //  F_PREVIOUS (pu) is USD-M only, so not part of F_ALL.
    enum { F_E = 0, F_TIME, F_SYMBOL, F_FIRST, F_LAST, F_BIDS, F_ASKS, F_PREVIOUS, F_ALL = 0x7f };
    unsigned seen = 0;
    uint64_t first = 0, last = 0, previous = 0;
    int64_t exchange_ts_ns = 0;
    self->scratch_count = 0;
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (data, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        rc = 0;
        if (s_equals (key, key_length, "e")) {
            rc = s_expect_string (&value, "depthUpdate");
            seen |= S_FIELD (F_E);
        } else if (s_equals (key, key_length, "E")) {
            rc = s_read_ms (&value, &exchange_ts_ns);
            seen |= S_FIELD (F_TIME);
        } else if (s_equals (key, key_length, "s")) {
            rc = s_expect_symbol (&value, symbol);
            seen |= S_FIELD (F_SYMBOL);
        } else if (s_equals (key, key_length, "U")) {
            rc = vb_json_uint64 (&value, &first);
            seen |= S_FIELD (F_FIRST);
        } else if (s_equals (key, key_length, "u")) {
            rc = vb_json_uint64 (&value, &last);
            seen |= S_FIELD (F_LAST);
        } else if (s_equals (key, key_length, "b")) {
            rc = s_read_levels (self, &value, VB_BOOK_BID, S_DIFF_LEVELS_MAX);
            seen |= S_FIELD (F_BIDS);
        } else if (s_equals (key, key_length, "a")) {
            rc = s_read_levels (self, &value, VB_BOOK_ASK, S_DIFF_LEVELS_MAX);
            seen |= S_FIELD (F_ASKS);
        } else if (s_equals (key, key_length, "pu")) {
            rc = vb_json_uint64 (&value, &previous);
            seen |= S_FIELD (F_PREVIOUS);
        }
    }
    if (rc == 0 && ((seen & F_ALL) != F_ALL || first == 0 || first > last))
        rc = VB_EINVAL;
    //  The rule of this diff's market; pu is the u of a diff before U.
    bool usdm = (seen & S_FIELD (F_PREVIOUS)) != 0;
    const s_rule_t *rule = &s_rules[usdm ? S_RULE_USDM : S_RULE_SPOT];
    if (rc == 0 && usdm && previous >= first)
        rc = VB_EINVAL;
    //  One sync, one market: a diff of the other one cannot continue it.
    if (rc == 0 && symbol->state != S_SYNC_IDLE && symbol->rule != rule)
        rc = VB_EINVAL;
    if (rc < 0) {
        //  A diff of this symbol is lost: its book cannot continue.
        self->sink.anomaly (self->sink.ctx, symbol->name, "binance: bad depthUpdate");
        s_resync (self, symbol, "decode", 0, 0);
        return rc;
    }
    symbol->rule = rule;
    return s_on_diff (self, symbol, first, last, usdm ? previous : first, exchange_ts_ns);
}

//  --------------------------------------------------------------------------
//  trade {"e","E","s","t","p","q","T","m","M"} and aggTrade
//  {"e","E","s","a","p","q","f","l","T","m","M"}. m = the buyer is the
//  maker, so the aggressor sold.

static int
s_handle_trade (s_md_t *self, s_symbol_t *symbol, vb_json_val_t *data, bool aggregate)
{
    enum { F_E = 0, F_SYMBOL, F_ID, F_PRICE, F_QTY, F_TIME, F_MAKER, F_ALL = 0x7f };
    unsigned seen = 0;
    vb_md_trade_t trade;
    memset (&trade, 0, sizeof (trade));
    uint64_t id = 0;
    bool maker = false;
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (data, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        rc = 0;
        if (s_equals (key, key_length, "e")) {
            rc = s_expect_string (&value, aggregate ? "aggTrade" : "trade");
            seen |= S_FIELD (F_E);
        } else if (s_equals (key, key_length, "s")) {
            rc = s_expect_symbol (&value, symbol);
            seen |= S_FIELD (F_SYMBOL);
        } else if (s_equals (key, key_length, aggregate ? "a" : "t")) {
            rc = vb_json_uint64 (&value, &id);
            seen |= S_FIELD (F_ID);
        } else if (s_equals (key, key_length, "p")) {
            rc = s_read_decimal (&value, true, &trade.price);
            seen |= S_FIELD (F_PRICE);
        } else if (s_equals (key, key_length, "q")) {
            rc = s_read_decimal (&value, true, &trade.qty);
            seen |= S_FIELD (F_QTY);
        } else if (s_equals (key, key_length, "T")) {
            rc = s_read_ms (&value, &trade.exchange_ts_ns);
            seen |= S_FIELD (F_TIME);
        } else if (s_equals (key, key_length, "m")) {
            rc = vb_json_bool (&value, &maker);
            seen |= S_FIELD (F_MAKER);
        }
    }
    if (rc == 0 && seen != F_ALL)
        rc = VB_EINVAL;
    if (rc < 0) {
        self->sink.anomaly (self->sink.ctx, symbol->name, "binance: bad trade");
        return rc;
    }
    trade.side = maker ? VB_MD_SIDE_SELL : VB_MD_SIDE_BUY;
    snprintf (self->trade_id, sizeof (self->trade_id), "%" PRIu64, id);
    trade.trade_id = self->trade_id;
    return self->sink.trade (self->sink.ctx, symbol->name, &trade);
}

//  --------------------------------------------------------------------------
//  bookTicker {"u","s","b","B","a","A"} (USD-M adds "e","E","T").

static int
s_handle_bbo (s_md_t *self, s_symbol_t *symbol, vb_json_val_t *data)
{
    enum { F_SEQ = 0, F_SYMBOL, F_BID, F_BID_QTY, F_ASK, F_ASK_QTY, F_ALL = 0x3f };
    unsigned seen = 0;
    vb_md_bbo_t bbo;
    memset (&bbo, 0, sizeof (bbo));
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (data, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        rc = 0;
        if (s_equals (key, key_length, "u")) {
            rc = vb_json_uint64 (&value, &bbo.venue_seq);
            seen |= S_FIELD (F_SEQ);
        } else if (s_equals (key, key_length, "s")) {
            rc = s_expect_symbol (&value, symbol);
            seen |= S_FIELD (F_SYMBOL);
        } else if (s_equals (key, key_length, "b")) {
            rc = s_read_decimal (&value, true, &bbo.bid_price);
            seen |= S_FIELD (F_BID);
        } else if (s_equals (key, key_length, "B")) {
            rc = s_read_decimal (&value, false, &bbo.bid_qty);
            seen |= S_FIELD (F_BID_QTY);
        } else if (s_equals (key, key_length, "a")) {
            rc = s_read_decimal (&value, true, &bbo.ask_price);
            seen |= S_FIELD (F_ASK);
        } else if (s_equals (key, key_length, "A")) {
            rc = s_read_decimal (&value, false, &bbo.ask_qty);
            seen |= S_FIELD (F_ASK_QTY);
        } else if (s_equals (key, key_length, "T"))
            rc = s_read_ms (&value, &bbo.exchange_ts_ns);
    }
    if (rc == 0 && seen != F_ALL)
        rc = VB_EINVAL;
    if (rc < 0) {
        self->sink.anomaly (self->sink.ctx, symbol->name, "binance: bad bookTicker");
        return rc;
    }
    rc = self->sink.bbo (self->sink.ctx, symbol->name, &bbo);
    if (rc < 0)
        s_restart (symbol);  //  The core found it inconsistent with the book
    return rc;
}

//  --------------------------------------------------------------------------
//  The "k" object of a kline event, or a REST kline row's fields.

static int
s_read_kline (s_symbol_t *symbol, vb_json_val_t *object, const s_interval_t *interval,
              vb_md_candle_t *candle)
{
    enum {
        F_OPEN_TS = 0,
        F_CLOSE_TS,
        F_SYMBOL,
        F_INTERVAL,
        F_OPEN,
        F_CLOSE,
        F_HIGH,
        F_LOW,
        F_VOLUME,
        F_TRADES,
        F_CLOSED,
        F_ALL = 0x7ff
    };
    unsigned seen = 0;
    int64_t close_ms_ns = 0;
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (object, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        rc = 0;
        if (key_length != 1)
            continue;
        switch (key[0]) {
            case 't':
                rc = s_read_ms (&value, &candle->open_ts_ns);
                seen |= S_FIELD (F_OPEN_TS);
                break;
            case 'T':
                rc = s_read_ms (&value, &close_ms_ns);
                seen |= S_FIELD (F_CLOSE_TS);
                break;
            case 's':
                rc = s_expect_symbol (&value, symbol);
                seen |= S_FIELD (F_SYMBOL);
                break;
            case 'i':
                rc = s_expect_string (&value, interval->name);
                seen |= S_FIELD (F_INTERVAL);
                break;
            case 'o':
                rc = s_read_decimal (&value, true, &candle->open);
                seen |= S_FIELD (F_OPEN);
                break;
            case 'c':
                rc = s_read_decimal (&value, true, &candle->close);
                seen |= S_FIELD (F_CLOSE);
                break;
            case 'h':
                rc = s_read_decimal (&value, true, &candle->high);
                seen |= S_FIELD (F_HIGH);
                break;
            case 'l':
                rc = s_read_decimal (&value, true, &candle->low);
                seen |= S_FIELD (F_LOW);
                break;
            case 'v':
                rc = s_read_decimal (&value, false, &candle->volume);
                seen |= S_FIELD (F_VOLUME);
                break;
            case 'n':
                rc = vb_json_uint64 (&value, &candle->trades);
                seen |= S_FIELD (F_TRADES);
                break;
            case 'x':
                rc = vb_json_bool (&value, &candle->closed);
                seen |= S_FIELD (F_CLOSED);
                break;
            default:
                break;
        }
    }
    if (rc == 0 && seen != F_ALL)
        rc = VB_EINVAL;
    if (rc == 0) {
        //  Binance's T is the candle's last millisecond; the close time
        //  published is the end of the candle (T + 1 ms).
        candle->close_ts_ns = close_ms_ns + S_NS_PER_MS;
        candle->interval = interval->name;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Check a candle's prices hold together: low <= open, close <= high and
//  the candle ends after it opens.

static int
s_check_candle (const vb_md_candle_t *candle)
{
    if (vb_decimal_cmp (candle->low, candle->high) > 0 ||
        vb_decimal_cmp (candle->open, candle->low) < 0 ||
        vb_decimal_cmp (candle->open, candle->high) > 0 ||
        vb_decimal_cmp (candle->close, candle->low) < 0 ||
        vb_decimal_cmp (candle->close, candle->high) > 0 ||
        candle->close_ts_ns <= candle->open_ts_ns)
        return VB_EINVAL;
    return 0;
}

//  --------------------------------------------------------------------------
//  kline {"e","E","s","k":{..}}.

static int
s_handle_kline (s_md_t *self, s_symbol_t *symbol, vb_json_val_t *data, const s_interval_t *interval)
{
    enum { F_E = 0, F_SYMBOL, F_KLINE, F_ALL = 0x7 };
    unsigned seen = 0;
    vb_md_candle_t candle;
    memset (&candle, 0, sizeof (candle));
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (data, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        rc = 0;
        if (s_equals (key, key_length, "e")) {
            rc = s_expect_string (&value, "kline");
            seen |= S_FIELD (F_E);
        } else if (s_equals (key, key_length, "s")) {
            rc = s_expect_symbol (&value, symbol);
            seen |= S_FIELD (F_SYMBOL);
        } else if (s_equals (key, key_length, "k")) {
            rc = s_read_kline (symbol, &value, interval, &candle);
            seen |= S_FIELD (F_KLINE);
        }
    }
    if (rc == 0 && seen != F_ALL)
        rc = VB_EINVAL;
    if (rc == 0)
        rc = s_check_candle (&candle);
    if (rc < 0) {
        self->sink.anomaly (self->sink.ctx, symbol->name, "binance: bad kline");
        return rc;
    }
    return self->sink.candle (self->sink.ctx, symbol->name, &candle);
}

//  --------------------------------------------------------------------------
//  markPriceUpdate {"e","E","s","p","i","P","r","T"} (USD-M).

static int
s_handle_mark_price (s_md_t *self, s_symbol_t *symbol, vb_json_val_t *data)
{
    enum { F_E = 0, F_TIME, F_SYMBOL, F_MARK, F_INDEX, F_RATE, F_NEXT, F_ALL = 0x7f };
    unsigned seen = 0;
    vb_md_funding_t funding;
    memset (&funding, 0, sizeof (funding));
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (data, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        rc = 0;
        if (s_equals (key, key_length, "e")) {
            rc = s_expect_string (&value, "markPriceUpdate");
            seen |= S_FIELD (F_E);
        } else if (s_equals (key, key_length, "E")) {
            rc = s_read_ms (&value, &funding.exchange_ts_ns);
            seen |= S_FIELD (F_TIME);
        } else if (s_equals (key, key_length, "s")) {
            rc = s_expect_symbol (&value, symbol);
            seen |= S_FIELD (F_SYMBOL);
        } else if (s_equals (key, key_length, "p")) {
            rc = s_read_decimal (&value, true, &funding.mark_price);
            seen |= S_FIELD (F_MARK);
        } else if (s_equals (key, key_length, "i")) {
            rc = s_read_decimal (&value, true, &funding.index_price);
            seen |= S_FIELD (F_INDEX);
        } else if (s_equals (key, key_length, "r")) {
            rc = vb_json_decimal (&value, &funding.funding_rate);  //  Either sign
            seen |= S_FIELD (F_RATE);
        } else if (s_equals (key, key_length, "T")) {
            rc = s_read_ms (&value, &funding.next_funding_ts_ns);
            seen |= S_FIELD (F_NEXT);
        }
    }
    if (rc == 0 && seen != F_ALL)
        rc = VB_EINVAL;
    if (rc < 0) {
        self->sink.anomaly (self->sink.ctx, symbol->name, "binance: bad markPriceUpdate");
        return rc;
    }
    return self->sink.funding (self->sink.ctx, symbol->name, &funding);
}

//  --------------------------------------------------------------------------
//  A reply to a control message: {"result":..,"id":N} or an error
//  {"code":N,"msg":"..","id":N}. The first field is already read.

static int
s_handle_reply (s_md_t *self, vb_json_iter_t *fields, const char *key, size_t key_length,
                vb_json_val_t *value)
{
    int64_t code = 0;
    bool error = false;
    const char *message = "";
    size_t message_length = 0;
    int rc = 1;
    while (rc == 1) {
        if (s_equals (key, key_length, "code")) {
            error = true;
            rc = vb_json_int64 (value, &code);
        } else if (s_equals (key, key_length, "msg"))
            rc = vb_json_string (value, &message, &message_length);
        else if (s_equals (key, key_length, "id") || s_equals (key, key_length, "result"))
            rc = 0;  //  A subscription was taken (result null) or listed
        else
            rc = VB_EINVAL;
        if (rc == 0)
            rc = vb_json_object_next (fields, &key, &key_length, value);
    }
    if (rc < 0) {
        self->sink.anomaly (self->sink.ctx, NULL, "binance: bad control reply");
        return rc;
    }
    if (error) {
        char what[S_WHAT_MAX];
        snprintf (what, sizeof (what), "binance: request refused code=%" PRId64 " msg=%.*s", code,
                  (int)(message_length > S_WHAT_MAX ? S_WHAT_MAX : message_length), message);
        self->sink.anomaly (self->sink.ctx, NULL, what);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Dispatch the data of a combined-stream frame by its stream name.

static int
s_handle_stream (s_md_t *self, size_t index, const char *stream, size_t length, vb_json_val_t *data)
{
    if (length > 0 && stream[0] == '!')
        return 0;  //  !serverShutdown: the close that follows is handled by closed ()
    const char *at = (const char *)memchr (stream, '@', length);
    s_symbol_t *symbol = at ? s_symbol_by_stream (self, stream, (size_t)(at - stream)) : NULL;
    if (!symbol) {
        self->sink.anomaly (self->sink.ctx, NULL, "binance: stream of an unknown symbol");
        return VB_ENOTFOUND;
    }
    const char *kind = at + 1;
    size_t kind_length = length - (size_t)(kind - stream);
    bool futures = self->connections[index].futures;
    bool mark_price =
        s_equals (kind, kind_length, "markPrice@1s") || s_equals (kind, kind_length, "markPrice");
    if (futures != mark_price ||
        (futures ? symbol->futures_connection : symbol->connection) != index) {
        self->sink.anomaly (self->sink.ctx, symbol->name,
                            "binance: stream on the wrong connection");
        return VB_EINVAL;
    }
    if (mark_price)
        return s_handle_mark_price (self, symbol, data);
    if (s_equals (kind, kind_length, "depth@100ms") || s_equals (kind, kind_length, "depth"))
        return s_handle_depth (self, symbol, data);
    if (s_equals (kind, kind_length, "bookTicker"))
        return s_handle_bbo (self, symbol, data);
    if (s_equals (kind, kind_length, "trade"))
        return s_handle_trade (self, symbol, data, false);
    if (s_equals (kind, kind_length, "aggTrade"))
        return s_handle_trade (self, symbol, data, true);
    if (s_equals (kind, kind_length, "depth@0ms"))
        return s_handle_depth (self, symbol, data);  //  USD-M real time
    const char *prefix = "kline_";
    if (kind_length > strlen (prefix) && memcmp (kind, prefix, strlen (prefix)) == 0) {
        const s_interval_t *interval =
            s_interval_find (kind + strlen (prefix), kind_length - strlen (prefix));
        if (interval)
            return s_handle_kline (self, symbol, data, interval);
    }
    self->sink.anomaly (self->sink.ctx, symbol->name, "binance: unknown stream");
    return VB_ENOTFOUND;
}

//  --------------------------------------------------------------------------
//  One text frame from connection `index`.

static int
s_md_frame (vb_md_t *base, size_t index, const char *text, size_t length, int64_t recv_ts_ns)
{
    s_md_t *self = (s_md_t *)base;
    (void)recv_ts_ns;
    if (!self || index >= self->connection_count || (!text && length > 0))
        return VB_EINVAL;
    vb_json_val_t root, value;
    vb_json_iter_t fields;
    const char *key;
    size_t key_length;
    int rc = vb_json_parse (self->json, text, length, &root);
    if (rc == 0)
        rc = vb_json_object_begin (&root, &fields);
    if (rc == 0)
        rc = vb_json_object_next (&fields, &key, &key_length, &value);
    if (rc == 1 && !s_equals (key, key_length, "stream"))
        return s_handle_reply (self, &fields, key, key_length, &value);
    const char *stream = NULL;
    size_t stream_length = 0;
    if (rc == 0)
        rc = VB_EINVAL;  //  {}
    if (rc == 1)
        rc = vb_json_string (&value, &stream, &stream_length);
    if (rc == 0)
        rc = vb_json_object_next (&fields, &key, &key_length, &value);
    if (rc == 1 && s_equals (key, key_length, "data")) {
        rc = s_handle_stream (self, index, stream, stream_length, &value);
        //  The envelope must end there ({"stream":..,"data":..}). The
        //  handler has reported anything it found itself.
        if (rc < 0)
            return rc;
        rc = vb_json_object_next (&fields, &key, &key_length, &value);
        if (rc == 0)
            return 0;
        rc = VB_EINVAL;
    } else if (rc >= 0)
        rc = VB_EINVAL;  //  Empty object, or no data after the stream
    self->sink.anomaly (self->sink.ctx, NULL, "binance: unusable frame");
    return rc;
}

//  --------------------------------------------------------------------------
//  Decode a depth snapshot {"lastUpdateId":N,"bids":[..],"asks":[..]} into
//  self->scratch. Returns 0 or VB_E*.

static int
s_read_snapshot (s_md_t *self, const char *body, size_t length, uint64_t *last_update_id)
{
    enum { F_ID = 0, F_BIDS, F_ASKS, F_ALL = 0x7 };
    unsigned seen = 0;
    self->scratch_count = 0;
    vb_json_val_t root, value;
    vb_json_iter_t fields;
    const char *key;
    size_t key_length;
    int rc = vb_json_parse (self->json_rest, body, length, &root);
    if (rc == 0)
        rc = vb_json_object_begin (&root, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        rc = 0;
        if (s_equals (key, key_length, "lastUpdateId")) {
            rc = vb_json_uint64 (&value, last_update_id);
            seen |= S_FIELD (F_ID);
        } else if (s_equals (key, key_length, "bids")) {
            rc = s_read_levels (self, &value, VB_BOOK_BID, S_SNAPSHOT_LEVELS_MAX);
            seen |= S_FIELD (F_BIDS);
        } else if (s_equals (key, key_length, "asks")) {
            rc = s_read_levels (self, &value, VB_BOOK_ASK, S_SNAPSHOT_LEVELS_MAX);
            seen |= S_FIELD (F_ASKS);
        }
    }
    if (rc == 0 && (seen != F_ALL || *last_update_id == 0))
        rc = VB_EINVAL;
    for (size_t index = 0; index < self->scratch_count && rc == 0; index++)
        if (vb_decimal_is_zero (self->scratch[index].qty))
            rc = VB_EINVAL;  //  A snapshot level always has a quantity
    return rc;
}

//  --------------------------------------------------------------------------
//  The answer to a snapshot request.

static int
s_snapshot_done (s_md_t *self, s_symbol_t *symbol, const vb_md_request_t *request, int status,
                 const char *body, size_t length)
{
    symbol->snapshot_in_flight = false;
    if (status != S_HTTP_OK) {
        self->sink.anomaly (self->sink.ctx, symbol->name, "binance: snapshot request failed");
        //  Transient failures are asked again at once (the core's grant
        //  paces them); a refusal waits for the next diff.
        bool transient = status == 0 || status == S_HTTP_TOO_MANY || status == S_HTTP_BANNED ||
                         status >= S_HTTP_SERVER_ERROR;
        if (transient && symbol->state == S_SYNC_BUFFERING)
            s_request_snapshot (self, symbol);
        return VB_EIO;
    }
    if (symbol->state != S_SYNC_BUFFERING)
        return 0;  //  Asked for before a restart that left nothing buffered
    if (request->futures != symbol->rule->futures) {
        //  Asked for before a restart into the other market's rule.
        return s_request_snapshot (self, symbol);
    }
    uint64_t last_update_id = 0;
    int rc = s_read_snapshot (self, body, length, &last_update_id);
    if (rc < 0) {
        self->sink.anomaly (self->sink.ctx, symbol->name, "binance: bad depth snapshot");
        return rc;  //  Asked again with the next diff
    }
    assert (symbol->diff_count > 0);
    if (last_update_id < symbol->diffs[0].first) {
        //  Older than the buffer: it cannot bridge (venues.md 1.3 step 3).
        return s_request_snapshot (self, symbol);
    }
    //  The bridge point: lastUpdateId + 1 (spot), lastUpdateId (USD-M).
    uint64_t bridge = last_update_id + symbol->rule->offset;
    size_t next = 0;
    while (next < symbol->diff_count && symbol->diffs[next].last < bridge)
        next++;  //  Already in the snapshot
    if (next < symbol->diff_count && symbol->diffs[next].first > bridge) {
        s_resync (self, symbol, "gap", bridge, symbol->diffs[next].first);
        return VB_ESEQ;
    }
    rc = s_apply (self, symbol, true, self->scratch, self->scratch_count, last_update_id,
                  last_update_id, 0);
    if (rc < 0)
        return rc;
    symbol->state = S_SYNC_LIVE;
    symbol->bridged = false;
    //  The buffer was checked continuous as it filled, and the first diff
    //  left bridges, so each one continues the last.
    for (; next < symbol->diff_count; next++) {
        const s_diff_t *diff = &symbol->diffs[next];
        rc = s_apply (self, symbol, false, symbol->levels + diff->level_offset, diff->level_count,
                      diff->first, diff->last, diff->exchange_ts_ns);
        if (rc < 0)
            return rc;
        symbol->bridged = true;
    }
    s_buffer_free (symbol);
    return 0;
}

//  --------------------------------------------------------------------------
//  Decode a klines page: rows [t,"o","h","l","c","v",T,"q",n,..]. Each
//  candle goes to fn; with in_range, only those whose open time lies in the
//  request's [from_ns, to_ns) (a backfill passes all: the core drops what
//  it has published already).

static int
s_klines_decode (s_md_t *self, const vb_md_request_t *request, const char *body, size_t length,
                 bool in_range, vb_md_candle_fn *fn, void *arg)
{
    enum { S_ROW_FIELDS_MIN = 9 };
    const s_interval_t *interval = s_interval_find (request->interval, strlen (request->interval));
    if (!interval)
        return VB_EINVAL;
    int64_t now_ns = vb_clock_now_real_ns ();
    vb_json_val_t root, row, field;
    vb_json_iter_t rows, fields;
    int rc = vb_json_parse (self->json_rest, body, length, &root);
    if (rc == 0)
        rc = vb_json_array_begin (&root, &rows);
    while (rc == 0 && (rc = vb_json_array_next (&rows, &row)) == 1) {
        vb_md_candle_t candle;
        memset (&candle, 0, sizeof (candle));
        int64_t close_ns = 0;
        int position = 0;
        rc = vb_json_array_begin (&row, &fields);
        while (rc == 0 && (rc = vb_json_array_next (&fields, &field)) == 1) {
            switch (position++) {
                case 0:
                    rc = s_read_ms (&field, &candle.open_ts_ns);
                    break;
                case 1:
                    rc = s_read_decimal (&field, true, &candle.open);
                    break;
                case 2:
                    rc = s_read_decimal (&field, true, &candle.high);
                    break;
                case 3:
                    rc = s_read_decimal (&field, true, &candle.low);
                    break;
                case 4:
                    rc = s_read_decimal (&field, true, &candle.close);
                    break;
                case 5:
                    rc = s_read_decimal (&field, false, &candle.volume);
                    break;
                case 6:
                    rc = s_read_ms (&field, &close_ns);
                    break;
                case 8:
                    rc = vb_json_uint64 (&field, &candle.trades);
                    break;
                default:
                    rc = 0;
                    break;  //  Quote volume, taker volumes, ignore
            }
        }
        if (rc == 0 && position < S_ROW_FIELDS_MIN)
            rc = VB_EINVAL;
        if (rc == 0 && close_ns > INT64_MAX - S_NS_PER_MS)
            rc = VB_EOVERFLOW;
        if (rc < 0)
            break;
        candle.interval = interval->name;
        candle.close_ts_ns = close_ns + S_NS_PER_MS;  //  As for the stream: T + 1 ms
        candle.closed = candle.close_ts_ns <= now_ns;
        candle.backfilled = true;
        rc = s_check_candle (&candle);
        if (rc == 0 && in_range &&
            (candle.open_ts_ns < request->from_ns || candle.open_ts_ns >= request->to_ns))
            continue;  //  Outside the page asked for
        if (rc == 0)
            rc = fn (arg, &candle);
    }
    return rc < 0 ? rc : 0;
}

//  --------------------------------------------------------------------------
//  Sink adapter for s_klines_decode: a backfilled candle goes to the core.

typedef struct {
    s_md_t *self;
    const char *symbol;
} s_to_sink_t;

static int
s_candle_to_sink (void *arg, const vb_md_candle_t *candle)
{
    s_to_sink_t *target = (s_to_sink_t *)arg;
    return target->self->sink.candle (target->self->sink.ctx, target->symbol, candle);
}

//  --------------------------------------------------------------------------
//  The answer to a klines page, for a backfill after a reconnect.

static int
s_candles_done (s_md_t *self, s_symbol_t *symbol, const vb_md_request_t *request, int status,
                const char *body, size_t length)
{
    if (status != S_HTTP_OK) {
        self->sink.anomaly (self->sink.ctx, symbol->name, "binance: klines request failed");
        return VB_EIO;
    }
    s_to_sink_t target = {.self = self, .symbol = symbol->name};
    int rc = s_klines_decode (self, request, body, length, false, s_candle_to_sink, &target);
    if (rc < 0)
        self->sink.anomaly (self->sink.ctx, symbol->name, "binance: bad klines answer");
    return rc;
}

//  --------------------------------------------------------------------------
//  Decode a klines page for a caller (candle history): nothing goes to the
//  sink. A venue error answer {"code":-1121,"msg":"..."} is quoted.

static int
s_md_candles_decode (vb_md_t *base, const vb_md_request_t *request, int status, const char *body,
                     size_t length, vb_md_candle_fn *fn, void *arg, char *error, size_t error_size)
{
    enum { S_QUOTED_MAX = 96 };
    s_md_t *self = (s_md_t *)base;
    if (!self || !request || !fn || !error || error_size == 0 || (!body && length > 0) ||
        request->kind != VB_MD_REST_CANDLES) {
        if (error && error_size)
            snprintf (error, error_size, "bad arguments");
        return VB_EINVAL;
    }
    error[0] = 0;
    if (status != S_HTTP_OK) {
        //  Quote the venue's "msg" when the body has one.
        vb_json_val_t root, value;
        const char *text = NULL;
        size_t text_length = 0;
        if (body && vb_json_parse (self->json_rest, body, length, &root) == 0 &&
            vb_json_find (&root, "msg", &value) == 0 &&
            vb_json_string (&value, &text, &text_length) == 0 && text_length > 0) {
            int shown = text_length > S_QUOTED_MAX ? S_QUOTED_MAX : (int)text_length;
            snprintf (error, error_size, "HTTP %d: %.*s", status, shown, text);
        } else
            snprintf (error, error_size, "HTTP %d", status);
        return VB_EIO;
    }
    int rc = s_klines_decode (self, request, body, length, true, fn, arg);
    if (rc < 0)
        snprintf (error, error_size, "unusable klines answer (%s)", vb_strerror (rc));
    return rc;
}

//  --------------------------------------------------------------------------
//  The answer to a REST request.

static int
s_md_rest_done (vb_md_t *base, const vb_md_request_t *request, int status, const char *body,
                size_t length)
{
    s_md_t *self = (s_md_t *)base;
    if (!self || !request || (!body && length > 0))
        return VB_EINVAL;
    s_symbol_t *symbol = s_symbol_by_name (self, request->symbol);
    if (!symbol)
        return VB_ENOTFOUND;
    if (request->kind == VB_MD_REST_SNAPSHOT)
        return s_snapshot_done (self, symbol, request, status, body, length);
    if (request->kind == VB_MD_REST_CANDLES)
        return s_candles_done (self, symbol, request, status, body, length);
    return VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  Build the klines pages that cover [from_ns, to_ns). Returns the count
//  (at most max; ask again from the last page's to_ns for the rest).

static size_t
s_md_candle_requests (vb_md_t *base, const char *symbol, const char *interval, int64_t from_ns,
                      int64_t to_ns, vb_md_request_t *out, size_t max)
{
    s_md_t *self = (s_md_t *)base;
    char venue[S_SYMBOL_MAX];
    if (!self || !symbol || !interval || !out || from_ns < 0 || to_ns <= from_ns ||
        strlen (symbol) >= sizeof (out->symbol) ||
        vb_binance_symbol_venue (symbol, venue, sizeof (venue)) < 0)
        return 0;
    const s_interval_t *found = s_interval_find (interval, strlen (interval));
    if (!found)
        return 0;
    //  Binance times are ms; startTime and endTime are both inclusive.
    int64_t start_ms = from_ns / S_NS_PER_MS;
    int64_t end_ms = (to_ns - 1) / S_NS_PER_MS;
    int64_t span_ms = S_KLINES_LIMIT * found->length_ms;
    size_t count = 0;
    for (int64_t page = start_ms; page <= end_ms && count < max; count++) {
        int64_t page_end = end_ms - page < span_ms ? end_ms : page + span_ms - 1;
        vb_md_request_t *request = &out[count];
        memset (request, 0, sizeof (*request));
        snprintf (request->path, sizeof (request->path),
                  "/api/v3/klines?symbol=%s&interval=%s&startTime=%" PRId64 "&endTime=%" PRId64
                  "&limit=%d",
                  venue, found->name, page, page_end, S_KLINES_LIMIT);
        request->weight = S_KLINES_WEIGHT;
        request->kind = VB_MD_REST_CANDLES;
        snprintf (request->usage_header, sizeof (request->usage_header), "%s", S_USAGE_HEADER);
        snprintf (request->symbol, sizeof (request->symbol), "%s", symbol);
        snprintf (request->interval, sizeof (request->interval), "%s", found->name);
        snprintf (request->base_url, sizeof (request->base_url), "%s", self->spot_rest);
        request->from_ns = page * S_NS_PER_MS;
        request->to_ns = (page_end + 1) * S_NS_PER_MS;
        if (page_end == end_ms)
            request->to_ns = to_ns;
        page = page_end + 1;
    }
    return count;
}

//  --------------------------------------------------------------------------
//  Production base URLs, for the gateway's defaults.

static const char *
s_md_default_url (vb_md_url_kind_t kind)
{
    switch (kind) {
        case VB_MD_URL_REST:
            return S_SPOT_REST_DEFAULT;
        case VB_MD_URL_WS:
            return S_SPOT_WS_DEFAULT;
        case VB_MD_URL_FUTURES_REST:
            return S_FUTURES_REST_DEFAULT;
        case VB_MD_URL_FUTURES_WS:
            return S_FUTURES_WS_DEFAULT;
        default:
            return NULL;
    }
}

const vb_md_ops_t vb_binance_md_ops = {
    .name = "binance",
    .create = s_md_create,
    .destroy = s_md_destroy,
    .connections = s_md_connections,
    .opened = s_md_opened,
    .closed = s_md_closed,
    .frame = s_md_frame,
    .rest_done = s_md_rest_done,
    .candle_requests = s_md_candle_requests,
    .default_url = s_md_default_url,
    .candles_decode = s_md_candles_decode,
};
