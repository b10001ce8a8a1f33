/*  sim_ws.c — Kraken WebSocket v2 for venuebus-sim (venues.md 3.2, 3.3, 3.6).

    One endpoint (/v2, or /) serves both the public channels (book, trade,
    ticker, ohlc, instrument, heartbeat, status) and the private executions
    channel, which wants a token from GetWebSocketsToken.

    Book: each subscription keeps the client's view (the top `depth` levels
    it holds after applying our messages and truncating). After an engine
    book change we read the engine's top `depth` levels and send exactly the
    difference: new or changed levels, and deletes for levels that left the
    book while still inside the view. Levels pushed below the depth by better
    ones are not deleted: the client truncates, as with Kraken. The CRC32 of
    the new view's top 10 asks and bids, printed at the pair's precision,
    goes with every snapshot and update. In replay mode the book channel of
    a capture pair is served by sim_replay.c instead.
    SPDX-License-Identifier: MPL-2.0
*/
#include <zlib.h>
#include "vb_error.h"
#include "sim.h"

#define S_SYMBOLS_MAX    16   //  Symbols in one subscribe
#define S_TEXT_MAX       128  //  Method, channel, token, symbol texts
#define S_REQ_ID_MAX     24   //  req_id digits
#define S_DEPTH_DEFAULT  10
#define S_CHECKSUM_DEPTH 10  //  Levels per side in the checksum
#define S_TRADE_SNAPSHOT 50  //  Trades in a trade snapshot / snap_trades
#define S_OHLC_SNAPSHOT  60  //  Candles in an ohlc snapshot
#define S_INTERVAL_COUNT 9
#define S_HEARTBEAT_NS   VB_KSIM_NS_PER_S
#define S_MINUTE_S       60
#define S_DAY_S          86400
#define S_MAX_RATE_COUNT 125  //  executions ack maxratecount (Intermediate)
#define S_BIDS           0
#define S_ASKS           1

static const int64_t s_intervals[S_INTERVAL_COUNT] = {1, 5, 15, 30, 60, 240, 1440, 10080, 21600};
static const int64_t s_depths[] = {10, 25, 100, 500, 1000};

//  One book subscription: the client's view, best first per side.
typedef struct {
    size_t depth;               //  0 when not subscribed
    vb_sim_level_t *levels[2];  //  [S_BIDS], [S_ASKS], depth entries each
    vb_sim_level_t *spare[2];   //  Scratch for the engine's new top
    size_t counts[2];
} s_view_t;

//  Per-connection state.
typedef struct {
    vb_sim_conn_t *conn;
    s_view_t books[VB_KSIM_PAIRS_MAX];
    bool trades[VB_KSIM_PAIRS_MAX];
    bool tickers[VB_KSIM_PAIRS_MAX];
    bool ohlc[VB_KSIM_PAIRS_MAX][S_INTERVAL_COUNT];
    bool instrument;
    vb_ksim_token_t *token;         //  executions: the token in use, else NULL
    char account[VB_SIM_NAME_MAX];  //  executions: its account
    uint64_t sequence;              //  executions: last sequence sent
    int64_t heartbeat_ns;           //  Last heartbeat sent
} s_conn_t;

//  A parsed request.
typedef struct {
    char method[S_TEXT_MAX];
    char req_id[S_REQ_ID_MAX];  //  Raw number text, "" when absent
    bool has_params;
    char channel[S_TEXT_MAX];
    char symbols[S_SYMBOLS_MAX][S_TEXT_MAX];
    size_t symbol_count;
    bool has_symbols;
    int64_t depth;     //  0 when absent
    int64_t interval;  //  0 when absent
    bool snapshot;     //  Default true
    bool snap_orders;  //  Default true
    bool snap_trades;  //  Default false
    char token[S_TEXT_MAX];
    char event_trigger[S_TEXT_MAX];
    bool malformed;
    int64_t time_in_ns;
} s_request_t;

//  --------------------------------------------------------------------------
//  Send the scratch buffer on a connection.

static void
s_send (vb_ksim_t *self, s_conn_t *conn, const char *stream)
{
    vb_sim_conn_send (conn->conn, stream, self->scratch.data, self->scratch.length);
}

//  --------------------------------------------------------------------------
//  Append ,"req_id":N,"success":...,"time_in":..,"time_out":.. and close.

static void
s_ack_tail (vb_ksim_t *self, const s_request_t *request, bool success)
{
    vb_ksim_buf_t *out = &self->scratch;
    if (request->req_id[0])
        vb_ksim_buf_printf (out, ",\"req_id\":%s", request->req_id);
    vb_ksim_buf_printf (out, ",\"success\":%s,\"time_in\":\"", success ? "true" : "false");
    vb_ksim_buf_rfc3339 (out, request->time_in_ns, false);
    VB_KSIM_ADD (out, "\",\"time_out\":\"");
    vb_ksim_buf_rfc3339 (out, vb_sim_engine_now_ns (self->engine), false);
    VB_KSIM_ADD (out, "\"}");
}

//  --------------------------------------------------------------------------
//  An error reply, with the symbol it concerns when there is one.

static void
s_error (vb_ksim_t *self, s_conn_t *conn, const s_request_t *request, const char *error,
         const char *symbol)
{
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_reset (out);
    VB_KSIM_ADD (out, "{\"error\":");
    vb_ksim_buf_string (out, error, strlen (error));
    if (request->method[0]) {
        VB_KSIM_ADD (out, ",\"method\":");
        vb_ksim_buf_string (out, request->method, strlen (request->method));
    }
    if (symbol) {
        VB_KSIM_ADD (out, ",\"symbol\":");
        vb_ksim_buf_string (out, symbol, strlen (symbol));
    }
    s_ack_tail (self, request, false);
    s_send (self, conn, NULL);
}

//  --------------------------------------------------------------------------
//  Append a price or quantity as a JSON number at the pair's precision.

static void
s_price (vb_ksim_buf_t *out, const vb_ksim_pair_t *pair, int64_t price)
{
    vb_ksim_buf_decimal (out, price, pair->instrument->price_exponent, pair->price_decimals);
}

static void
s_qty (vb_ksim_buf_t *out, const vb_ksim_pair_t *pair, int64_t qty)
{
    vb_ksim_buf_decimal (out, qty, pair->instrument->qty_exponent, pair->qty_decimals);
}

//  A notional (cost) value, trimmed to at least one decimal.
static void
s_cost (vb_ksim_buf_t *out, const vb_ksim_pair_t *pair, int64_t notional)
{
    const vb_sim_instrument_t *instrument = pair->instrument;
    vb_ksim_buf_decimal_trim (out, notional, instrument->price_exponent + instrument->qty_exponent,
                              pair->price_decimals + pair->qty_decimals, 1);
}

//  --------------------------------------------------------------------------
//  Kraken's checksum text of one value: printed at its precision, the '.'
//  removed and leading zeros stripped (venues.md 3.3).

static void
s_checksum_value (vb_ksim_buf_t *text, int64_t value, int32_t exponent, int decimals)
{
    vb_ksim_buf_t printed = {0};
    vb_ksim_buf_decimal (&printed, value, exponent, decimals);
    bool leading = true;
    for (size_t index = 0; index < printed.length; index++) {
        char digit = printed.data[index];
        if (digit == '.' || (leading && digit == '0'))
            continue;
        leading = false;
        vb_ksim_buf_add (text, &digit, 1);
    }
    vb_ksim_buf_free (&printed);
}

//  --------------------------------------------------------------------------
//  CRC32 of the view's top 10 asks then top 10 bids.

static uint32_t
s_checksum (const s_view_t *view, const vb_ksim_pair_t *pair)
{
    vb_ksim_buf_t text = {0};
    vb_ksim_buf_reset (&text);
    const vb_sim_instrument_t *instrument = pair->instrument;
    const int sides[2] = {S_ASKS, S_BIDS};
    for (size_t side = 0; side < 2; side++) {
        size_t count = view->counts[sides[side]];
        for (size_t index = 0; index < count && index < S_CHECKSUM_DEPTH; index++) {
            const vb_sim_level_t *level = &view->levels[sides[side]][index];
            s_checksum_value (&text, level->price, instrument->price_exponent,
                              pair->price_decimals);
            s_checksum_value (&text, level->qty, instrument->qty_exponent, pair->qty_decimals);
        }
    }
    uint32_t checksum = (uint32_t)crc32 (0L, (const Bytef *)text.data, (uInt)text.length);
    vb_ksim_buf_free (&text);
    return checksum;
}

//  --------------------------------------------------------------------------
//  Append one {"price":..,"qty":..} level.

static void
s_level (vb_ksim_buf_t *out, const vb_ksim_pair_t *pair, int64_t price, int64_t qty, bool first)
{
    vb_ksim_buf_add (out, first ? "{\"price\":" : ",{\"price\":", first ? 9 : 10);
    s_price (out, pair, price);
    VB_KSIM_ADD (out, ",\"qty\":");
    s_qty (out, pair, qty);
    VB_KSIM_ADD (out, "}");
}

//  --------------------------------------------------------------------------
//  Close a book message: checksum (corrupted once per fault unit) and time.

static void
s_book_tail (vb_ksim_t *self, const s_view_t *view, const vb_ksim_pair_t *pair, int64_t ts_ns)
{
    uint32_t checksum = s_checksum (view, pair);
    if (vb_sim_fault_corrupt_checksum (self->server, "book"))
        checksum += 1;  //  Any other value is wrong; this one is easy to spot
    vb_ksim_buf_printf (&self->scratch, "],\"checksum\":%u,\"timestamp\":\"", checksum);
    vb_ksim_buf_rfc3339 (&self->scratch, ts_ns, false);
    VB_KSIM_ADD (&self->scratch, "\"}]}");
}

//  --------------------------------------------------------------------------
//  Read the engine's top `depth` levels into the view's spare arrays.

static void
s_read_top (vb_ksim_t *self, s_view_t *view, const vb_ksim_pair_t *pair, size_t counts[2])
{
    vb_sim_engine_depth (self->engine, pair->instrument, view->depth, view->spare[S_BIDS],
                         &counts[S_BIDS], view->spare[S_ASKS], &counts[S_ASKS]);
}

static void
s_swap (s_view_t *view, const size_t counts[2])
{
    for (int side = 0; side < 2; side++) {
        vb_sim_level_t *levels = view->levels[side];
        view->levels[side] = view->spare[side];
        view->spare[side] = levels;
        view->counts[side] = counts[side];
    }
}

//  --------------------------------------------------------------------------
//  Send a book snapshot and make it the view.

static void
s_book_snapshot (vb_ksim_t *self, s_conn_t *conn, const vb_ksim_pair_t *pair)
{
    s_view_t *view = &conn->books[pair - self->pairs];
    size_t counts[2];
    s_read_top (self, view, pair, counts);
    s_swap (view, counts);
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_reset (out);
    vb_ksim_buf_printf (out,
                        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"%s\","
                        "\"bids\":[",
                        pair->names->ws_symbol);
    for (size_t index = 0; index < view->counts[S_BIDS]; index++)
        s_level (out, pair, view->levels[S_BIDS][index].price, view->levels[S_BIDS][index].qty,
                 index == 0);
    VB_KSIM_ADD (out, "],\"asks\":[");
    for (size_t index = 0; index < view->counts[S_ASKS]; index++)
        s_level (out, pair, view->levels[S_ASKS][index].price, view->levels[S_ASKS][index].qty,
                 index == 0);
    s_book_tail (self, view, pair, vb_sim_engine_now_ns (self->engine));
    s_send (self, conn, "book");
}

//  --------------------------------------------------------------------------
//  True when price a is better than price b on this side.

static bool
s_better (int side, int64_t a, int64_t b)
{
    return side == S_BIDS ? a > b : a < b;
}

//  --------------------------------------------------------------------------
//  Append one side's difference between the view (old) and the new top.
//  Returns the number of levels written.

static size_t
s_diff_side (vb_ksim_buf_t *out, const vb_ksim_pair_t *pair, const s_view_t *view, int side,
             const vb_sim_level_t *fresh, size_t fresh_count)
{
    const vb_sim_level_t *old = view->levels[side];
    size_t old_count = view->counts[side];
    size_t written = 0;
    size_t i = 0, j = 0;
    while (i < old_count || j < fresh_count) {
        if (j < fresh_count && (i == old_count || s_better (side, fresh[j].price, old[i].price))) {
            s_level (out, pair, fresh[j].price, fresh[j].qty, written++ == 0);
            j++;
        } else if (i < old_count &&
                   (j == fresh_count || s_better (side, old[i].price, fresh[j].price))) {
            //  Gone from the top: deleted, unless pushed below a full view
            //  (the client's truncation drops it then).
            bool pushed_out = fresh_count == view->depth &&
                              s_better (side, fresh[fresh_count - 1].price, old[i].price);
            if (!pushed_out)
                s_level (out, pair, old[i].price, 0, written++ == 0);
            i++;
        } else {
            if (old[i].qty != fresh[j].qty)
                s_level (out, pair, fresh[j].price, fresh[j].qty, written++ == 0);
            i++;
            j++;
        }
    }
    return written;
}

//  --------------------------------------------------------------------------
//  Bring one subscriber's view to the engine's book; send the difference.

static void
s_book_update (vb_ksim_t *self, s_conn_t *conn, const vb_ksim_pair_t *pair, int64_t ts_ns)
{
    s_view_t *view = &conn->books[pair - self->pairs];
    size_t counts[2];
    s_read_top (self, view, pair, counts);
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_reset (out);
    vb_ksim_buf_printf (out,
                        "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"%s\","
                        "\"bids\":[",
                        pair->names->ws_symbol);
    size_t changes = s_diff_side (out, pair, view, S_BIDS, view->spare[S_BIDS], counts[S_BIDS]);
    VB_KSIM_ADD (out, "],\"asks\":[");
    changes += s_diff_side (out, pair, view, S_ASKS, view->spare[S_ASKS], counts[S_ASKS]);
    s_swap (view, counts);
    if (changes == 0)
        return;
    s_book_tail (self, view, pair, ts_ns);
    s_send (self, conn, "book");
}

//  --------------------------------------------------------------------------
//  Free a view's arrays.

static void
s_view_clear (s_view_t *view)
{
    for (int side = 0; side < 2; side++) {
        free (view->levels[side]);
        free (view->spare[side]);
        view->levels[side] = view->spare[side] = NULL;
        view->counts[side] = 0;
    }
    view->depth = 0;
}

//  --------------------------------------------------------------------------
//  Trades: one data entry.

static void
s_trade_entry (vb_ksim_t *self, const vb_ksim_pair_t *pair, const vb_sim_fill_t *trade,
               const char *ord_type, bool first)
{
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_printf (out, "%s{\"symbol\":\"%s\",\"side\":\"%s\",\"price\":", first ? "" : ",",
                        pair->names->ws_symbol, trade->side == VB_SIM_BUY ? "buy" : "sell");
    s_price (out, pair, trade->price);
    VB_KSIM_ADD (out, ",\"qty\":");
    s_qty (out, pair, trade->qty);
    vb_ksim_buf_printf (out, ",\"ord_type\":\"%s\",\"trade_id\":%" PRIu64 ",\"timestamp\":\"",
                        ord_type, trade->trade_id);
    vb_ksim_buf_rfc3339 (out, trade->ts_ns, false);
    VB_KSIM_ADD (out, "\"}");
}

static void
s_trade_snapshot (vb_ksim_t *self, s_conn_t *conn, const vb_ksim_pair_t *pair)
{
    size_t total = vb_sim_engine_trade_count (self->engine, pair->instrument);
    size_t first = total > S_TRADE_SNAPSHOT ? total - S_TRADE_SNAPSHOT : 0;
    vb_ksim_buf_reset (&self->scratch);
    VB_KSIM_ADD (&self->scratch, "{\"channel\":\"trade\",\"type\":\"snapshot\",\"data\":[");
    for (size_t index = first; index < total; index++)
        s_trade_entry (self, pair, vb_sim_engine_trade_at (self->engine, pair->instrument, index),
                       "market", index == first);
    VB_KSIM_ADD (&self->scratch, "]}");
    s_send (self, conn, "trade");
}

//  --------------------------------------------------------------------------
//  Ticker: one message of type snapshot or update.

static void
s_ticker (vb_ksim_t *self, s_conn_t *conn, const vb_ksim_pair_t *pair, const char *type)
{
    const vb_sim_instrument_t *instrument = pair->instrument;
    int64_t now = vb_sim_engine_now_ns (self->engine);
    vb_sim_level_t bid = {0}, ask = {0};
    size_t bid_count = 0, ask_count = 0;
    vb_sim_engine_depth (self->engine, instrument, 1, &bid, &bid_count, &ask, &ask_count);
    vb_ksim_stats_t stats;
    vb_ksim_stats (self, instrument, now, &stats);
    size_t trades = vb_sim_engine_trade_count (self->engine, instrument);
    const vb_sim_fill_t *last =
        trades ? vb_sim_engine_trade_at (self->engine, instrument, trades - 1) : NULL;
    int64_t last_price = last ? last->price : 0;
    int64_t change = stats.any_24h ? last_price - stats.open_24h : 0;
    int64_t change_bp = stats.open_24h ? change * 10000 / stats.open_24h : 0;  //  0.01 %
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_reset (out);
    vb_ksim_buf_printf (out,
                        "{\"channel\":\"ticker\",\"type\":\"%s\",\"data\":[{\"symbol\":\"%s\","
                        "\"bid\":",
                        type, pair->names->ws_symbol);
    s_price (out, pair, bid_count ? bid.price : 0);
    VB_KSIM_ADD (out, ",\"bid_qty\":");
    s_qty (out, pair, bid_count ? bid.qty : 0);
    VB_KSIM_ADD (out, ",\"ask\":");
    s_price (out, pair, ask_count ? ask.price : 0);
    VB_KSIM_ADD (out, ",\"ask_qty\":");
    s_qty (out, pair, ask_count ? ask.qty : 0);
    VB_KSIM_ADD (out, ",\"last\":");
    s_price (out, pair, last_price);
    VB_KSIM_ADD (out, ",\"volume\":");
    s_qty (out, pair, stats.volume_24h);
    VB_KSIM_ADD (out, ",\"vwap\":");
    s_price (out, pair, stats.volume_24h ? stats.notional_24h / stats.volume_24h : 0);
    VB_KSIM_ADD (out, ",\"low\":");
    s_price (out, pair, stats.low_24h);
    VB_KSIM_ADD (out, ",\"high\":");
    s_price (out, pair, stats.high_24h);
    VB_KSIM_ADD (out, ",\"change\":");
    s_price (out, pair, change);
    VB_KSIM_ADD (out, ",\"change_pct\":");
    vb_ksim_buf_decimal (out, change_bp, -2, 2);
    VB_KSIM_ADD (out, ",\"timestamp\":\"");
    vb_ksim_buf_rfc3339 (out, now, false);
    VB_KSIM_ADD (out, "\"}]}");
    s_send (self, conn, "ticker");
}

//  --------------------------------------------------------------------------
//  OHLC: candles of `minutes` that open at or after from_s (merged from the
//  engine's base interval), appended as data entries. Returns how many.

static size_t
s_ohlc_entries (vb_ksim_t *self, const vb_ksim_pair_t *pair, int64_t minutes, int64_t from_s,
                int64_t now_ns)
{
    int64_t interval_s = minutes * S_MINUTE_S;
    int64_t base_s = interval_s > S_DAY_S ? S_DAY_S : interval_s;
    int64_t now_s = now_ns / VB_KSIM_NS_PER_S;
    int64_t to_s = now_s - now_s % interval_s + interval_s;
    size_t count =
        vb_sim_engine_candles (self->engine, pair->instrument, base_s, from_s * VB_KSIM_NS_PER_S,
                               to_s * VB_KSIM_NS_PER_S, self->candles, VB_KSIM_CANDLES_MAX);
    vb_ksim_buf_t *out = &self->scratch;
    size_t written = 0;
    size_t index = 0;
    while (index < count) {
        vb_sim_candle_t merged = self->candles[index++];
        int64_t open_s = merged.open_ns / VB_KSIM_NS_PER_S;
        open_s -= open_s % interval_s;
        while (index < count &&
               self->candles[index].open_ns / VB_KSIM_NS_PER_S - open_s < interval_s) {
            const vb_sim_candle_t *next = &self->candles[index++];
            if (next->trades == 0)
                continue;
            if (merged.trades == 0) {
                merged = *next;
                continue;
            }
            merged.high = next->high > merged.high ? next->high : merged.high;
            merged.low = next->low < merged.low ? next->low : merged.low;
            merged.close = next->close;
            merged.volume += next->volume;
            merged.notional += next->notional;
            merged.trades += next->trades;
        }
        if (merged.trades == 0)
            continue;
        vb_ksim_buf_printf (out, "%s{\"symbol\":\"%s\",\"open\":", written ? "," : "",
                            pair->names->ws_symbol);
        s_price (out, pair, merged.open);
        VB_KSIM_ADD (out, ",\"high\":");
        s_price (out, pair, merged.high);
        VB_KSIM_ADD (out, ",\"low\":");
        s_price (out, pair, merged.low);
        VB_KSIM_ADD (out, ",\"close\":");
        s_price (out, pair, merged.close);
        vb_ksim_buf_printf (out, ",\"trades\":%" PRIu64 ",\"volume\":", merged.trades);
        s_qty (out, pair, merged.volume);
        VB_KSIM_ADD (out, ",\"vwap\":");
        s_price (out, pair, merged.volume ? merged.notional / merged.volume : 0);
        VB_KSIM_ADD (out, ",\"interval_begin\":\"");
        vb_ksim_buf_rfc3339 (out, open_s * VB_KSIM_NS_PER_S, true);
        vb_ksim_buf_printf (out, "\",\"interval\":%lld,\"timestamp\":\"", (long long)minutes);
        vb_ksim_buf_rfc3339 (out, (open_s + interval_s) * VB_KSIM_NS_PER_S, false);
        VB_KSIM_ADD (out, "\"}");
        written++;
    }
    return written;
}

static void
s_ohlc (vb_ksim_t *self, s_conn_t *conn, const vb_ksim_pair_t *pair, int64_t minutes, bool snapshot)
{
    int64_t now = vb_sim_engine_now_ns (self->engine);
    int64_t interval_s = minutes * S_MINUTE_S;
    int64_t now_s = now / VB_KSIM_NS_PER_S;
    int64_t current_s = now_s - now_s % interval_s;
    int64_t from_s = snapshot ? current_s - (S_OHLC_SNAPSHOT - 1) * interval_s : current_s;
    if (from_s < 0)
        from_s = 0;
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_reset (out);
    vb_ksim_buf_printf (out, "{\"channel\":\"ohlc\",\"type\":\"%s\",\"timestamp\":\"",
                        snapshot ? "snapshot" : "update");
    vb_ksim_buf_rfc3339 (out, now, true);
    VB_KSIM_ADD (out, "\",\"data\":[");
    size_t written = s_ohlc_entries (self, pair, minutes, from_s, now);
    VB_KSIM_ADD (out, "]}");
    if (written || snapshot)
        s_send (self, conn, "ohlc");
}

//  --------------------------------------------------------------------------
//  Instrument snapshot: assets and pairs.

static void
s_instrument_snapshot (vb_ksim_t *self, s_conn_t *conn)
{
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_reset (out);
    VB_KSIM_ADD (out, "{\"channel\":\"instrument\",\"type\":\"snapshot\",\"data\":{\"assets\":[");
    bool first = true;
    for (size_t index = 0; index < vb_kraken_asset_count (); index++) {
        const vb_kraken_asset_t *asset = vb_kraken_asset_at (index);
        bool served = false;
        for (size_t pair = 0; pair < self->pair_count; pair++)
            if (strcmp (self->pairs[pair].names->base, asset->code) == 0 ||
                strcmp (self->pairs[pair].names->quote, asset->code) == 0)
                served = true;
        if (!served)
            continue;
        vb_ksim_buf_printf (
            out,
            "%s{\"id\":\"%s\",\"status\":\"enabled\",\"precision\":%d,"
            "\"precision_display\":%d,\"borrowable\":false,\"collateral_value\":1.0,"
            "\"margin_rate\":0.0}",
            first ? "" : ",", asset->normalised, asset->decimals, asset->display_decimals);
        first = false;
    }
    VB_KSIM_ADD (out, "],\"pairs\":[");
    first = true;
    for (size_t index = 0; index < self->pair_count; index++) {
        const vb_ksim_pair_t *pair = &self->pairs[index];
        const vb_sim_instrument_t *instrument = pair->instrument;
        if (vb_ksim_replay_find (self->replay, pair->names->ws_symbol) >= 0)
            continue;  //  A replayed pair's precision is the capture's
        const vb_kraken_asset_t *base = vb_kraken_asset_find (pair->names->base);
        const vb_kraken_asset_t *quote = vb_kraken_asset_find (pair->names->quote);
        vb_ksim_buf_printf (out,
                            "%s{\"symbol\":\"%s\",\"base\":\"%s\",\"quote\":\"%s\",\"status\":"
                            "\"online\",\"qty_precision\":%d,\"qty_increment\":",
                            first ? "" : ",", pair->names->ws_symbol,
                            base ? base->normalised : instrument->base,
                            quote ? quote->normalised : instrument->quote, pair->qty_decimals);
        vb_ksim_buf_decimal (out, instrument->lot, instrument->qty_exponent, pair->qty_decimals);
        vb_ksim_buf_printf (out,
                            ",\"price_precision\":%d,\"cost_precision\":%d,"
                            "\"marginable\":false,\"has_index\":true,\"cost_min\":",
                            pair->price_decimals, VB_KSIM_COST_DECIMALS);
        vb_ksim_buf_decimal_trim (out, instrument->min_notional,
                                  instrument->price_exponent + instrument->qty_exponent,
                                  VB_KSIM_COST_DECIMALS, 1);
        VB_KSIM_ADD (out, ",\"tick_size\":");
        s_price (out, pair, instrument->tick);
        VB_KSIM_ADD (out, ",\"price_increment\":");
        s_price (out, pair, instrument->tick);
        VB_KSIM_ADD (out, ",\"qty_min\":");
        vb_ksim_buf_decimal_trim (out, instrument->min_qty, instrument->qty_exponent,
                                  pair->qty_decimals, 1);
        VB_KSIM_ADD (out, "}");
        first = false;
    }
    vb_ksim_replay_instrument (self->replay, out, first);
    VB_KSIM_ADD (out, "]}}");
    s_send (self, conn, "instrument");
}

//  --------------------------------------------------------------------------
//  Executions: the optional cl_ord_id and order_userref fields.

static void
s_exec_ids (vb_ksim_t *self, const vb_sim_order_t *order)
{
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_meta_t *meta = vb_ksim_meta (self, order->order_id);
    char txid[VB_KSIM_TXID_SIZE];
    vb_ksim_order_txid (order->order_id, txid);
    vb_ksim_buf_printf (out, "\"order_id\":\"%s\",\"order_userref\":%d", txid,
                        meta ? meta->userref : 0);
    if (meta && meta->client_given) {
        VB_KSIM_ADD (out, ",\"cl_ord_id\":");
        vb_ksim_buf_string (out, order->client_id, strlen (order->client_id));
    }
}

//  Cumulative fields: cum_qty, cum_cost, avg_price, fee_usd_equiv.
static void
s_exec_totals (vb_ksim_t *self, const vb_ksim_pair_t *pair, const vb_sim_order_t *order,
               int64_t fees)
{
    vb_ksim_buf_t *out = &self->scratch;
    VB_KSIM_ADD (out, ",\"cum_qty\":");
    s_qty (out, pair, order->filled);
    VB_KSIM_ADD (out, ",\"cum_cost\":");
    s_cost (out, pair, order->filled_notional);
    VB_KSIM_ADD (out, ",\"avg_price\":");
    s_price (out, pair, order->filled ? order->filled_notional / order->filled : 0);
    VB_KSIM_ADD (out, ",\"fee_usd_equiv\":");
    s_cost (out, pair, fees);
}

//  The full order record (pending_new, and snapshots of open orders).
static void
s_exec_order (vb_ksim_t *self, const vb_ksim_pair_t *pair, const vb_sim_order_t *order,
              const char *exec_type, const char *order_status, int64_t ts_ns)
{
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_meta_t *meta = vb_ksim_meta (self, order->order_id);
    static const char *tifs[] = {"GTC", "GTC", "IOC", "FOK"};
    VB_KSIM_ADD (out, "{");
    s_exec_ids (self, order);
    vb_ksim_buf_printf (out, ",\"symbol\":\"%s\",\"order_qty\":", pair->names->ws_symbol);
    s_qty (out, pair, order->qty);
    VB_KSIM_ADD (out, ",\"cum_cost\":");
    s_cost (out, pair, order->filled_notional);
    vb_ksim_buf_printf (out,
                        ",\"time_in_force\":\"%s\",\"exec_type\":\"%s\",\"side\":\"%s\","
                        "\"order_type\":\"%s\"",
                        tifs[order->tif <= VB_SIM_FOK ? order->tif : 0], exec_type,
                        order->side == VB_SIM_BUY ? "buy" : "sell",
                        order->type == VB_SIM_LIMIT ? "limit" : "market");
    if (order->type == VB_SIM_LIMIT) {
        VB_KSIM_ADD (out, ",\"limit_price_type\":\"static\",\"limit_price\":");
        s_price (out, pair, order->price);
    }
    vb_ksim_buf_printf (out,
                        ",\"post_only\":%s,\"order_status\":\"%s\",\"fee_usd_equiv\":0.0,"
                        "\"fee_ccy_pref\":\"%s\",\"timestamp\":\"",
                        order->post_only ? "true" : "false", order_status,
                        vb_ksim_fee_flag (order, meta));
    vb_ksim_buf_rfc3339 (out, ts_ns, false);
    VB_KSIM_ADD (out, "\"}");
}

//  A trade record.
static void
s_exec_trade (vb_ksim_t *self, const vb_ksim_pair_t *pair, const vb_sim_order_t *order,
              const vb_sim_fill_t *fill, const char *order_status, int64_t fees)
{
    vb_ksim_buf_t *out = &self->scratch;
    char exec_id[VB_KSIM_TXID_SIZE];
    vb_ksim_fill_txid (self, fill, exec_id);
    VB_KSIM_ADD (out, "{");
    s_exec_ids (self, order);
    vb_ksim_buf_printf (out,
                        ",\"exec_id\":\"%s\",\"exec_type\":\"trade\",\"trade_id\":%" PRIu64
                        ",\"symbol\":\"%s\",\"side\":\"%s\",\"last_qty\":",
                        exec_id, fill->trade_id, pair->names->ws_symbol,
                        fill->side == VB_SIM_BUY ? "buy" : "sell");
    s_qty (out, pair, fill->qty);
    VB_KSIM_ADD (out, ",\"last_price\":");
    s_price (out, pair, fill->price);
    vb_ksim_buf_printf (out, ",\"liquidity_ind\":\"%s\",\"cost\":", fill->maker ? "m" : "t");
    s_cost (out, pair, fill->price * fill->qty);
    vb_ksim_buf_printf (out, ",\"order_type\":\"%s\",\"timestamp\":\"",
                        order->type == VB_SIM_LIMIT ? "limit" : "market");
    vb_ksim_buf_rfc3339 (out, fill->ts_ns, false);
    vb_ksim_buf_printf (out, "\",\"order_status\":\"%s\"", order_status);
    s_exec_totals (self, pair, order, fees);
    //  The fee in the asset it was charged in (fcib: base, fciq: quote).
    vb_ksim_buf_printf (out, ",\"fees\":[{\"asset\":\"%s\",\"qty\":",
                        fill->fee_in_base ? pair->instrument->base : pair->instrument->quote);
    if (fill->fee_in_base)
        vb_ksim_buf_decimal_trim (out, fill->fee_base, VB_SIM_ASSET_EXPONENT,
                                  -VB_SIM_ASSET_EXPONENT, 1);
    else
        s_cost (out, pair, fill->fee);
    VB_KSIM_ADD (out, "}]}");
}

//  A sparse status record (new, filled, canceled, expired).
static void
s_exec_status (vb_ksim_t *self, const vb_ksim_pair_t *pair, const vb_sim_order_t *order,
               const char *exec_type, int64_t ts_ns, bool totals, int64_t fees)
{
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_meta_t *meta = vb_ksim_meta (self, order->order_id);
    VB_KSIM_ADD (out, "{\"timestamp\":\"");
    vb_ksim_buf_rfc3339 (out, ts_ns, false);
    vb_ksim_buf_printf (out, "\",\"order_status\":\"%s\",\"exec_type\":\"%s\",", exec_type,
                        exec_type);
    s_exec_ids (self, order);
    if (totals)
        s_exec_totals (self, pair, order, fees);
    if (strcmp (exec_type, "canceled") == 0 && meta && meta->user_canceled)
        VB_KSIM_ADD (out, ",\"cancel_reason\":\"User requested\",\"reason\":\"User requested\"");
    VB_KSIM_ADD (out, "}");
}

//  Fees an order paid so far, from the account's fills.
static int64_t
s_order_fees (vb_ksim_t *self, const vb_sim_order_t *order)
{
    int64_t fees = 0;
    for (size_t index = 0;; index++) {
        const vb_sim_fill_t *fill =
            vb_sim_engine_fill_at (self->engine, order->account, order->instrument, index);
        if (!fill)
            break;
        if (fill->order_id == order->order_id)
            fees += fill->fee;
    }
    return fees;
}

//  --------------------------------------------------------------------------
//  Send the scratch's data array as one executions message per subscriber
//  of the account, each with its own sequence.

static void
s_exec_broadcast (vb_ksim_t *self, const char *account, const char *type, s_conn_t *only)
{
    //  scratch holds the data entries; wrap them per connection.
    char *data = strdup (self->scratch.data);
    if (!data)
        return;
    s_conn_t *conn = (s_conn_t *)zlistx_first (self->conns);
    while (conn) {
        if (conn->token && strcmp (conn->account, account) == 0 && (!only || only == conn)) {
            vb_ksim_buf_reset (&self->scratch);
            vb_ksim_buf_printf (&self->scratch,
                                "{\"channel\":\"executions\",\"type\":\"%s\",\"data\":[%s],"
                                "\"sequence\":%" PRIu64 "}",
                                type, data, ++conn->sequence);
            s_send (self, conn, "executions");
        }
        conn = (s_conn_t *)zlistx_next (self->conns);
    }
    free (data);
}

//  True when some connection follows this account's executions.
static bool
s_exec_followed (vb_ksim_t *self, const char *account)
{
    s_conn_t *conn = (s_conn_t *)zlistx_first (self->conns);
    while (conn) {
        if (conn->token && strcmp (conn->account, account) == 0)
            return true;
        conn = (s_conn_t *)zlistx_next (self->conns);
    }
    return false;
}

//  --------------------------------------------------------------------------
//  An ORDER event: stream pending_new + new on first sight, then the trade,
//  then filled / canceled / expired once.

static void
s_exec_event (vb_ksim_t *self, const vb_sim_event_t *event)
{
    const vb_sim_order_t *order = event->order;
    const vb_ksim_pair_t *pair = vb_ksim_pair_by_instrument (self, order->instrument);
    if (!pair || !s_exec_followed (self, order->account))
        return;
    vb_ksim_meta_t *meta = vb_ksim_meta_ensure (self, order->order_id);
    int64_t fees = order->filled ? s_order_fees (self, order) : 0;
    if (!meta->announced) {
        meta->announced = true;
        vb_ksim_buf_reset (&self->scratch);
        s_exec_order (self, pair, order, "pending_new", "pending_new", order->created_ns);
        s_exec_broadcast (self, order->account, "update", NULL);
        vb_ksim_buf_reset (&self->scratch);
        s_exec_status (self, pair, order, "new", order->created_ns, false, 0);
        s_exec_broadcast (self, order->account, "update", NULL);
    }
    bool final = order->status == VB_SIM_FILLED || order->status == VB_SIM_CANCELED ||
                 order->status == VB_SIM_EXPIRED || order->status == VB_SIM_REJECTED;
    if (event->fill) {
        vb_ksim_buf_reset (&self->scratch);
        s_exec_trade (self, pair, order, event->fill,
                      order->status == VB_SIM_FILLED ? "filled" : "partially_filled", fees);
        s_exec_broadcast (self, order->account, "update", NULL);
    }
    if (final && !meta->final_sent) {
        meta->final_sent = true;
        const char *exec_type = order->status == VB_SIM_FILLED    ? "filled"
                                : order->status == VB_SIM_EXPIRED ? "expired"
                                                                  : "canceled";
        vb_ksim_buf_reset (&self->scratch);
        s_exec_status (self, pair, order, exec_type, event->ts_ns, true, fees);
        s_exec_broadcast (self, order->account, "update", NULL);
    }
}

//  --------------------------------------------------------------------------
//  executions snapshot: open orders and/or the last 50 fills.

static void
s_exec_snapshot (vb_ksim_t *self, s_conn_t *conn, bool orders, bool trades)
{
    vb_ksim_buf_reset (&self->scratch);
    bool first = true;
    if (trades) {
        size_t total = 0;
        while (vb_sim_engine_fill_at (self->engine, conn->account, NULL, total))
            total++;
        for (size_t index = total > S_TRADE_SNAPSHOT ? total - S_TRADE_SNAPSHOT : 0; index < total;
             index++) {
            const vb_sim_fill_t *fill =
                vb_sim_engine_fill_at (self->engine, conn->account, NULL, index);
            const vb_sim_order_t *order =
                vb_sim_engine_order (self->engine, conn->account, fill->order_id, NULL);
            const vb_ksim_pair_t *pair = vb_ksim_pair_by_instrument (self, fill->instrument);
            if (!order || !pair)
                continue;
            if (!first)
                VB_KSIM_ADD (&self->scratch, ",");
            s_exec_trade (self, pair, order, fill, vb_ksim_ws_status (order),
                          s_order_fees (self, order));
            first = false;
        }
    }
    if (orders)
        for (size_t index = 0;; index++) {
            const vb_sim_order_t *order =
                vb_sim_engine_order_at (self->engine, conn->account, NULL, true, index);
            if (!order)
                break;
            const vb_ksim_pair_t *pair = vb_ksim_pair_by_instrument (self, order->instrument);
            if (!pair)
                continue;
            vb_ksim_meta_ensure (self, order->order_id)->announced = true;
            if (!first)
                VB_KSIM_ADD (&self->scratch, ",");
            s_exec_order (self, pair, order, "new", vb_ksim_ws_status (order), order->updated_ns);
            first = false;
        }
    s_exec_broadcast (self, conn->account, "snapshot", conn);
}

//  --------------------------------------------------------------------------
//  Subscription bookkeeping for public channels; returns an error text or
//  NULL, and writes the ack's result fields.

static int64_t
s_interval_index (int64_t minutes)
{
    for (int64_t index = 0; index < S_INTERVAL_COUNT; index++)
        if (s_intervals[index] == minutes)
            return index;
    return -1;
}

static bool
s_has_any (vb_ksim_t *self, const s_conn_t *conn, size_t pair_count)
{
    if (conn->instrument || conn->token || vb_ksim_replay_active (self->replay, conn->conn))
        return true;
    for (size_t pair = 0; pair < pair_count; pair++) {
        if (conn->books[pair].depth || conn->trades[pair] || conn->tickers[pair])
            return true;
        for (size_t interval = 0; interval < S_INTERVAL_COUNT; interval++)
            if (conn->ohlc[pair][interval])
                return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Replay mode: subscribe or unsubscribe the book of a capture pair
//  (sim_replay.c sends the snapshot and the updates).

static void
s_replay_request (vb_ksim_t *self, s_conn_t *conn, const s_request_t *request, int pair,
                  bool subscribe)
{
    const char *symbol = vb_ksim_replay_symbol (self->replay, pair);
    size_t active = vb_ksim_replay_depth (self->replay, conn->conn, pair);
    if (subscribe && active) {
        s_error (self, conn, request, "Already subscribed", symbol);
        return;
    }
    if (!subscribe && !active) {
        s_error (self, conn, request, "Subscription Not Found", symbol);
        return;
    }
    size_t depth = subscribe ? (request->depth ? (size_t)request->depth : S_DEPTH_DEFAULT) : active;
    vb_ksim_buf_reset (&self->scratch);
    vb_ksim_buf_printf (&self->scratch,
                        "{\"method\":\"%s\",\"result\":{\"channel\":\"book\",\"depth\":%zu",
                        subscribe ? "subscribe" : "unsubscribe", depth);
    if (subscribe)
        vb_ksim_buf_printf (&self->scratch, ",\"snapshot\":%s",
                            request->snapshot ? "true" : "false");
    vb_ksim_buf_printf (&self->scratch, ",\"symbol\":\"%s\"}", symbol);
    s_ack_tail (self, request, true);
    s_send (self, conn, NULL);
    if (subscribe)
        vb_ksim_replay_subscribe (self, conn->conn, pair, depth);
    else
        vb_ksim_replay_unsubscribe (self, conn->conn, pair);
}

//  --------------------------------------------------------------------------
//  Subscribe or unsubscribe one symbol of a public channel.

static void
s_symbol_request (vb_ksim_t *self, s_conn_t *conn, const s_request_t *request, const char *symbol,
                  bool subscribe)
{
    char error[S_TEXT_MAX + 64];
    int replayed =
        strcmp (request->channel, "book") == 0 ? vb_ksim_replay_find (self->replay, symbol) : -1;
    if (replayed >= 0) {
        s_replay_request (self, conn, request, replayed, subscribe);
        return;
    }
    const vb_ksim_pair_t *pair = vb_ksim_pair_by_ws (self, symbol, strlen (symbol));
    if (!pair) {
        snprintf (error, sizeof (error), "Currency pair not supported %s", symbol);
        s_error (self, conn, request, error, symbol);
        return;
    }
    size_t index = (size_t)(pair - self->pairs);
    const char *channel = request->channel;
    bool book = strcmp (channel, "book") == 0;
    bool trade = strcmp (channel, "trade") == 0;
    bool ticker = strcmp (channel, "ticker") == 0;
    int64_t interval = -1;
    size_t depth = request->depth ? (size_t)request->depth : S_DEPTH_DEFAULT;
    if (!strcmp (channel, "ohlc")) {
        interval = s_interval_index (request->interval ? request->interval : 1);
        if (interval < 0) {
            s_error (self, conn, request, "Invalid interval", symbol);
            return;
        }
    }
    bool active = book     ? conn->books[index].depth != 0
                  : trade  ? conn->trades[index]
                  : ticker ? conn->tickers[index]
                           : conn->ohlc[index][interval];
    if (subscribe && active) {
        s_error (self, conn, request, "Already subscribed", symbol);
        return;
    }
    if (!subscribe && !active) {
        s_error (self, conn, request, "Subscription Not Found", symbol);
        return;
    }
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_reset (out);
    vb_ksim_buf_printf (out, "{\"method\":\"%s\",\"result\":{\"channel\":\"%s\"",
                        subscribe ? "subscribe" : "unsubscribe", channel);
    if (book)
        vb_ksim_buf_printf (out, ",\"depth\":%zu", subscribe ? depth : conn->books[index].depth);
    if (ticker && subscribe)
        VB_KSIM_ADD (out, ",\"event_trigger\":\"trades\"");
    if (interval >= 0)
        vb_ksim_buf_printf (out, ",\"interval\":%lld", (long long)s_intervals[interval]);
    if (subscribe)
        vb_ksim_buf_printf (out, ",\"snapshot\":%s", request->snapshot ? "true" : "false");
    vb_ksim_buf_printf (out, ",\"symbol\":\"%s\"}", pair->names->ws_symbol);
    s_ack_tail (self, request, true);
    s_send (self, conn, NULL);
    if (book) {
        s_view_t *view = &conn->books[index];
        if (!subscribe) {
            s_view_clear (view);
            return;
        }
        view->depth = depth;
        for (int side = 0; side < 2; side++) {
            view->levels[side] = (vb_sim_level_t *)zmalloc (depth * sizeof (vb_sim_level_t));
            view->spare[side] = (vb_sim_level_t *)zmalloc (depth * sizeof (vb_sim_level_t));
        }
        //  The snapshot is always sent: without it no update can be applied.
        s_book_snapshot (self, conn, pair);
    } else if (trade) {
        conn->trades[index] = subscribe;
        if (subscribe && request->snapshot)
            s_trade_snapshot (self, conn, pair);
    } else if (ticker) {
        conn->tickers[index] = subscribe;
        if (subscribe && request->snapshot)
            s_ticker (self, conn, pair, "snapshot");
    } else {
        conn->ohlc[index][interval] = subscribe;
        if (subscribe && request->snapshot)
            s_ohlc (self, conn, pair, s_intervals[interval], true);
    }
}

//  --------------------------------------------------------------------------
//  subscribe / unsubscribe.

static void
s_subscription (vb_ksim_t *self, s_conn_t *conn, const s_request_t *request, bool subscribe)
{
    const char *channel = request->channel;
    if (!request->has_params || !channel[0]) {
        s_error (self, conn, request, "Invalid request: params missing", NULL);
        return;
    }
    if (strcmp (channel, "executions") == 0) {
        if (!subscribe) {
            if (!conn->token) {
                s_error (self, conn, request, "Subscription Not Found", NULL);
                return;
            }
            conn->token->subscriptions--;
            conn->token = NULL;
        } else {
            vb_ksim_token_t *token =
                vb_ksim_token_find (self, request->token, strlen (request->token));
            if (!token) {
                s_error (self, conn, request, "EAPI:Invalid token", NULL);
                return;
            }
            if (conn->token) {
                s_error (self, conn, request, "Already subscribed", NULL);
                return;
            }
            token->subscriptions++;
            conn->token = token;
            snprintf (conn->account, sizeof (conn->account), "%s", token->account);
        }
        vb_ksim_buf_reset (&self->scratch);
        if (subscribe)
            vb_ksim_buf_printf (&self->scratch,
                                "{\"method\":\"subscribe\",\"result\":{\"channel\":\"executions\","
                                "\"maxratecount\":%d,\"snap_orders\":%s,\"snap_trades\":%s}",
                                S_MAX_RATE_COUNT, request->snap_orders ? "true" : "false",
                                request->snap_trades ? "true" : "false");
        else
            VB_KSIM_ADD (&self->scratch,
                         "{\"method\":\"unsubscribe\",\"result\":{\"channel\":\"executions\"}");
        s_ack_tail (self, request, true);
        s_send (self, conn, NULL);
        if (subscribe && (request->snap_orders || request->snap_trades))
            s_exec_snapshot (self, conn, request->snap_orders, request->snap_trades);
        return;
    }
    if (strcmp (channel, "instrument") == 0) {
        if (subscribe == conn->instrument) {
            s_error (self, conn, request,
                     subscribe ? "Already subscribed" : "Subscription Not Found", NULL);
            return;
        }
        conn->instrument = subscribe;
        vb_ksim_buf_reset (&self->scratch);
        vb_ksim_buf_printf (&self->scratch,
                            "{\"method\":\"%s\",\"result\":{\"channel\":\"instrument\"",
                            subscribe ? "subscribe" : "unsubscribe");
        if (subscribe)
            vb_ksim_buf_printf (&self->scratch, ",\"snapshot\":%s",
                                request->snapshot ? "true" : "false");
        VB_KSIM_ADD (&self->scratch, "}");
        s_ack_tail (self, request, true);
        s_send (self, conn, NULL);
        if (subscribe && request->snapshot)
            s_instrument_snapshot (self, conn);
        return;
    }
    if (strcmp (channel, "book") && strcmp (channel, "trade") && strcmp (channel, "ticker") &&
        strcmp (channel, "ohlc")) {
        s_error (self, conn, request, "Channel not supported", NULL);
        return;
    }
    if (!request->has_symbols || request->symbol_count == 0) {
        s_error (self, conn, request, "Invalid request: symbol missing", NULL);
        return;
    }
    if (strcmp (channel, "book") == 0 && request->depth) {
        bool valid = false;
        for (size_t index = 0; index < sizeof (s_depths) / sizeof (s_depths[0]); index++)
            valid = valid || s_depths[index] == request->depth;
        if (!valid) {
            s_error (self, conn, request, "Invalid depth", NULL);
            return;
        }
    }
    for (size_t index = 0; index < request->symbol_count; index++)
        s_symbol_request (self, conn, request, request->symbols[index], subscribe);
}

//  --------------------------------------------------------------------------
//  Copy a JSON string value into a fixed buffer; false if not a string or
//  too long.

static bool
s_copy_string (vb_json_val_t *value, char *out, size_t size)
{
    const char *text;
    size_t length;
    if (vb_json_string (value, &text, &length) < 0 || length >= size)
        return false;
    memcpy (out, text, length);
    out[length] = 0;
    return true;
}

//  --------------------------------------------------------------------------
//  Read the params object.

static void
s_parse_params (vb_json_val_t *params, s_request_t *request)
{
    vb_json_iter_t fields;
    if (vb_json_object_begin (params, &fields) < 0) {
        request->malformed = true;
        return;
    }
    request->has_params = true;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    int rc;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        bool ok = true;
        if (key_length == 7 && memcmp (key, "channel", 7) == 0)
            ok = s_copy_string (&value, request->channel, sizeof (request->channel));
        else if (key_length == 6 && memcmp (key, "symbol", 6) == 0) {
            vb_json_iter_t items;
            vb_json_val_t item;
            ok = vb_json_array_begin (&value, &items) == 0;
            request->has_symbols = true;
            int next;
            while (ok && (next = vb_json_array_next (&items, &item)) == 1) {
                if (request->symbol_count == S_SYMBOLS_MAX)
                    ok = false;
                else
                    ok = s_copy_string (&item, request->symbols[request->symbol_count++],
                                        S_TEXT_MAX);
            }
            ok = ok && next == 0;
        } else if (key_length == 5 && memcmp (key, "depth", 5) == 0)
            ok = vb_json_int64 (&value, &request->depth) == 0;
        else if (key_length == 8 && memcmp (key, "interval", 8) == 0)
            ok = vb_json_int64 (&value, &request->interval) == 0;
        else if (key_length == 8 && memcmp (key, "snapshot", 8) == 0)
            ok = vb_json_bool (&value, &request->snapshot) == 0;
        else if (key_length == 11 && memcmp (key, "snap_orders", 11) == 0)
            ok = vb_json_bool (&value, &request->snap_orders) == 0;
        else if (key_length == 11 && memcmp (key, "snap_trades", 11) == 0)
            ok = vb_json_bool (&value, &request->snap_trades) == 0;
        else if (key_length == 5 && memcmp (key, "token", 5) == 0)
            ok = s_copy_string (&value, request->token, sizeof (request->token));
        else if (key_length == 13 && memcmp (key, "event_trigger", 13) == 0)
            ok = s_copy_string (&value, request->event_trigger, sizeof (request->event_trigger));
        if (!ok) {
            request->malformed = true;
            return;
        }
    }
    if (rc < 0)
        request->malformed = true;
}

//  --------------------------------------------------------------------------
//  Parse a request message.

static void
s_parse_request (vb_ksim_t *self, const char *text, size_t length, s_request_t *request)
{
    memset (request, 0, sizeof (*request));
    request->snapshot = true;
    request->snap_orders = true;
    request->time_in_ns = vb_sim_engine_now_ns (self->engine);
    vb_json_val_t root, value;
    vb_json_iter_t fields;
    if (vb_json_parse (self->json, text, length, &root) < 0 ||
        vb_json_object_begin (&root, &fields) < 0) {
        request->malformed = true;
        return;
    }
    const char *key;
    size_t key_length;
    int rc;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (key_length == 6 && memcmp (key, "method", 6) == 0) {
            if (!s_copy_string (&value, request->method, sizeof (request->method)))
                request->malformed = true;
        } else if (key_length == 6 && memcmp (key, "req_id", 6) == 0) {
            int64_t req_id;
            if (vb_json_int64 (&value, &req_id) < 0)
                request->malformed = true;
            else
                snprintf (request->req_id, sizeof (request->req_id), "%lld", (long long)req_id);
        } else if (key_length == 6 && memcmp (key, "params", 6) == 0)
            s_parse_params (&value, request);
        if (request->malformed)
            return;
    }
    if (rc < 0 || !request->method[0])
        request->malformed = true;
}

//  --------------------------------------------------------------------------
//  A WebSocket upgrade: /v2 (or /) is the only endpoint.

int
vb_ksim_ws_open (vb_ksim_t *self, vb_sim_conn_t *conn, const char *path, const char *query)
{
    (void)query;
    if (!path || (strcmp (path, "/v2") && strcmp (path, "/v2/") && strcmp (path, "/")))
        return -1;
    s_conn_t *state = (s_conn_t *)zmalloc (sizeof (s_conn_t));
    state->conn = conn;
    state->heartbeat_ns = vb_sim_engine_now_ns (self->engine);
    vb_sim_conn_set_user (conn, state);
    zlistx_add_end (self->conns, state);
    uint64_t connection_id = ++self->connection_counter * UINT64_C (0x9E3779B97F4A7C15);
    vb_ksim_buf_reset (&self->scratch);
    vb_ksim_buf_printf (&self->scratch,
                        "{\"channel\":\"status\",\"data\":[{\"api_version\":\"v2\","
                        "\"connection_id\":%" PRIu64
                        ",\"system\":\"online\",\"version\":\"2.0.0\"}],"
                        "\"type\":\"update\"}",
                        connection_id);
    s_send (self, state, "status");
    return 0;
}

//  --------------------------------------------------------------------------
//  One message from a client.

void
vb_ksim_ws_message (vb_ksim_t *self, vb_sim_conn_t *conn, const char *text, size_t length)
{
    s_conn_t *state = (s_conn_t *)vb_sim_conn_user (conn);
    if (!state)
        return;
    s_request_t request;
    s_parse_request (self, text, length, &request);
    if (request.malformed) {
        s_error (self, state, &request, "Malformed request", NULL);
        return;
    }
    if (strcmp (request.method, "ping") == 0) {
        vb_ksim_buf_reset (&self->scratch);
        VB_KSIM_ADD (&self->scratch, "{\"method\":\"pong\"");
        if (request.req_id[0])
            vb_ksim_buf_printf (&self->scratch, ",\"req_id\":%s", request.req_id);
        VB_KSIM_ADD (&self->scratch, ",\"time_in\":\"");
        vb_ksim_buf_rfc3339 (&self->scratch, request.time_in_ns, false);
        VB_KSIM_ADD (&self->scratch, "\",\"time_out\":\"");
        vb_ksim_buf_rfc3339 (&self->scratch, vb_sim_engine_now_ns (self->engine), false);
        VB_KSIM_ADD (&self->scratch, "\"}");
        s_send (self, state, NULL);
    } else if (strcmp (request.method, "subscribe") == 0)
        s_subscription (self, state, &request, true);
    else if (strcmp (request.method, "unsubscribe") == 0)
        s_subscription (self, state, &request, false);
    else
        s_error (self, state, &request, "Method not supported", NULL);
}

//  --------------------------------------------------------------------------
//  Free one connection's state.

static void
s_conn_free (s_conn_t *state)
{
    for (size_t pair = 0; pair < VB_KSIM_PAIRS_MAX; pair++)
        s_view_clear (&state->books[pair]);
    if (state->token)
        state->token->subscriptions--;
    free (state);
}

void
vb_ksim_ws_close (vb_ksim_t *self, vb_sim_conn_t *conn)
{
    s_conn_t *state = (s_conn_t *)vb_sim_conn_user (conn);
    if (!state)
        return;
    void *handle = zlistx_find (self->conns, state);
    if (handle)
        zlistx_detach (self->conns, handle);
    vb_sim_conn_set_user (conn, NULL);
    if (self->replay)
        vb_ksim_replay_close (self, conn);
    s_conn_free (state);
}

void
vb_ksim_ws_destroy_all (vb_ksim_t *self)
{
    if (!self->conns)
        return;
    s_conn_t *state;
    while ((state = (s_conn_t *)zlistx_detach (self->conns, NULL)))
        s_conn_free (state);
}

//  --------------------------------------------------------------------------
//  Engine events to subscribers.

void
vb_ksim_ws_event (vb_ksim_t *self, const vb_sim_event_t *event)
{
    if (event->kind == VB_SIM_EVENT_ORDER && event->order) {
        s_exec_event (self, event);
        return;
    }
    const vb_ksim_pair_t *pair = vb_ksim_pair_by_instrument (self, event->instrument);
    if (!pair)
        return;
    size_t index = (size_t)(pair - self->pairs);
    s_conn_t *conn = (s_conn_t *)zlistx_first (self->conns);
    while (conn) {
        if (event->kind == VB_SIM_EVENT_BOOK && conn->books[index].depth)
            s_book_update (self, conn, pair, event->ts_ns);
        else if (event->kind == VB_SIM_EVENT_TRADE && event->fill) {
            if (conn->trades[index]) {
                //  The taker of a public print is the order being placed
                //  through the API, or else the synthetic flow's market order.
                vb_ksim_buf_reset (&self->scratch);
                VB_KSIM_ADD (&self->scratch,
                             "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[");
                const char *ord_type =
                    self->placing.active && !self->placing.market ? "limit" : "market";
                s_trade_entry (self, pair, event->fill, ord_type, true);
                VB_KSIM_ADD (&self->scratch, "]}");
                s_send (self, conn, "trade");
            }
            if (conn->tickers[index])
                s_ticker (self, conn, pair, "update");
            for (size_t interval = 0; interval < S_INTERVAL_COUNT; interval++)
                if (conn->ohlc[index][interval])
                    s_ohlc (self, conn, pair, s_intervals[interval], false);
        }
        conn = (s_conn_t *)zlistx_next (self->conns);
    }
}

//  --------------------------------------------------------------------------
//  Heartbeats: once a second to every connection that subscribed anything.

void
vb_ksim_ws_tick (vb_ksim_t *self, int64_t now_ns)
{
    s_conn_t *conn = (s_conn_t *)zlistx_first (self->conns);
    while (conn) {
        if (now_ns - conn->heartbeat_ns >= S_HEARTBEAT_NS &&
            s_has_any (self, conn, self->pair_count)) {
            conn->heartbeat_ns = now_ns;
            vb_ksim_buf_reset (&self->scratch);
            VB_KSIM_ADD (&self->scratch, "{\"channel\":\"heartbeat\"}");
            s_send (self, conn, "heartbeat");
        }
        conn = (s_conn_t *)zlistx_next (self->conns);
    }
}
