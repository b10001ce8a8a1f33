/*  sim_market.c — Binance simulator: public market data over REST
    (exchangeInfo, depth, trades, klines, tickers, USD-M premiumIndex).

    exchangeInfo carries the real structure and filters (PRICE_FILTER,
    LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL) at 8 decimals. depth's lastUpdateId
    is the engine's book update id, the same id the depth streams' U/u count.
    klines come from the engine's candles; an interval without trades
    repeats the previous close with zero volume, and intervals before the
    first trade are left out. ticker/24hr is the rolling 24 h from minute
    candles. premiumIndex: mark = index = the spot mid, funding rate = the
    0.01 % base interest rate, next funding on the 8-hour grid.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <time.h>
#include "vb_decimal.h"
#include "sim_binance.h"

#define S_STATUS_BAD_REQUEST 400
#define S_DEPTH_DEFAULT      100
#define S_LIST_DEFAULT       500  //  trades, klines
#define S_LIST_MAX           1000
#define S_MINUTE_MS          INT64_C (60000)
#define S_DAY_MS             INT64_C (86400000)
#define S_WEIGHT_LIMIT       6000
#define S_ORDERS_10S_LIMIT   50
#define S_ORDERS_1D_LIMIT    160000

#define S_DAY_S             86400
#define S_WEEK_OFFSET_S     (4 * 86400)  //  1970-01-05 was the first Monday
#define S_FUNDING_PERIOD_MS (8 * 3600 * INT64_C (1000))
#define S_FUNDING_RATE_E8   10000  //  0.00010000: the base interest rate, no premium

//  Kline intervals, case-sensitive (venues.md 1.2).
static const bnsim_interval_t s_intervals[] = {
    {"1s", 1},     {"1m", 60},     {"3m", 180},    {"5m", 300},     {"15m", 900},  {"30m", 1800},
    {"1h", 3600},  {"2h", 7200},   {"4h", 14400},  {"6h", 21600},   {"8h", 28800}, {"12h", 43200},
    {"1d", 86400}, {"3d", 259200}, {"1w", 604800}, {"1M", 2678400},
};
#define S_INTERVAL_COUNT (int)(sizeof (s_intervals) / sizeof (s_intervals[0]))
_Static_assert(S_INTERVAL_COUNT == BNSIM_INTERVAL_COUNT, "interval table size");
#define S_INTERVAL_3D 13
#define S_INTERVAL_1W 14
#define S_INTERVAL_1M 15

//  --------------------------------------------------------------------------
//  Kline intervals and candles.

int
bnsim_interval_find (const char *name)
{
    for (int index = 0; name && index < S_INTERVAL_COUNT; index++)
        if (strcmp (s_intervals[index].name, name) == 0)
            return index;
    return -1;
}

const bnsim_interval_t *
bnsim_interval_at (int index)
{
    return index >= 0 && index < S_INTERVAL_COUNT ? &s_intervals[index] : NULL;
}

static int64_t
s_floor_div (int64_t value, int64_t divisor)
{
    int64_t quotient = value / divisor;
    return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient;
}

int64_t
bnsim_interval_open (int index, int64_t t_ms)
{
    int64_t t_s = s_floor_div (t_ms, BNSIM_MS_PER_S);
    if (index == S_INTERVAL_1M) {
        time_t seconds = (time_t)t_s;
        struct tm parts;
        gmtime_r (&seconds, &parts);
        parts.tm_mday = 1;
        parts.tm_hour = parts.tm_min = parts.tm_sec = 0;
        return (int64_t)timegm (&parts) * BNSIM_MS_PER_S;
    }
    int64_t length = s_intervals[index].seconds;
    int64_t offset = index == S_INTERVAL_1W ? S_WEEK_OFFSET_S : 0;
    return (s_floor_div (t_s - offset, length) * length + offset) * BNSIM_MS_PER_S;
}

int64_t
bnsim_interval_next (int index, int64_t open_ms)
{
    if (index == S_INTERVAL_1M) {
        time_t seconds = (time_t)(open_ms / BNSIM_MS_PER_S);
        struct tm parts;
        gmtime_r (&seconds, &parts);
        parts.tm_mon += 1;
        return (int64_t)timegm (&parts) * BNSIM_MS_PER_S;
    }
    return open_ms + s_intervals[index].seconds * BNSIM_MS_PER_S;
}

//  The last trade price before t_ns from the trade ring, or 0.
static int64_t
s_close_before (bnsim_t *self, bnsim_symbol_t *symbol, int64_t t_ns)
{
    size_t count = vb_sim_engine_trade_count (self->engine, symbol->instrument);
    for (size_t index = count; index > 0; index--) {
        const vb_sim_fill_t *trade =
            vb_sim_engine_trade_at (self->engine, symbol->instrument, index - 1);
        if (trade && trade->ts_ns < t_ns)
            return trade->price;
    }
    //  Older than the ring: the last minute candle before t (two days back)
    const size_t minutes = 2 * S_DAY_S / 60;
    vb_sim_candle_t *candles = zmalloc (minutes * sizeof (vb_sim_candle_t));
    int64_t from = t_ns - 2 * S_DAY_S * INT64_C (1000000000);
    size_t written = vb_sim_engine_candles (self->engine, symbol->instrument, 60, from,
                                            s_floor_div (t_ns, 60 * INT64_C (1000000000)) * 60 *
                                                INT64_C (1000000000),
                                            candles, minutes);
    int64_t close = written ? candles[written - 1].close : 0;
    free (candles);
    return close;
}

bool
bnsim_candle (bnsim_t *self, bnsim_symbol_t *symbol, int index, int64_t open_ms,
              int64_t *prev_close, vb_sim_candle_t *candle, uint64_t *first_trade,
              uint64_t *last_trade, int64_t *taker_buy_volume, int64_t *taker_buy_notional)
{
    int64_t next_ms = bnsim_interval_next (index, open_ms);
    int64_t from_ns = open_ms * BNSIM_NS_PER_MS;
    int64_t to_ns = next_ms * BNSIM_NS_PER_MS;
    memset (candle, 0, sizeof (*candle));
    vb_sim_candle_t parts[32];  //  Days of a 3d/1w/1M candle (at most 31)
    size_t count;
    if (s_intervals[index].seconds <= S_DAY_S)
        count = vb_sim_engine_candles (self->engine, symbol->instrument, s_intervals[index].seconds,
                                       from_ns, to_ns, parts, 1);
    else
        count = vb_sim_engine_candles (self->engine, symbol->instrument, S_DAY_S, from_ns, to_ns,
                                       parts, sizeof (parts) / sizeof (parts[0]));
    for (size_t part = 0; part < count; part++) {
        if (candle->trades == 0) {
            *candle = parts[part];
            continue;
        }
        if (parts[part].high > candle->high)
            candle->high = parts[part].high;
        if (parts[part].low < candle->low)
            candle->low = parts[part].low;
        candle->close = parts[part].close;
        candle->volume += parts[part].volume;
        candle->notional += parts[part].notional;
        candle->trades += parts[part].trades;
    }
    candle->open_ns = from_ns;
    *first_trade = *last_trade = 0;
    *taker_buy_volume = *taker_buy_notional = 0;
    if (candle->trades == 0) {
        if (*prev_close <= 0)
            return false;
        candle->open = candle->high = candle->low = candle->close = *prev_close;
        return true;
    }
    *prev_close = candle->close;
    size_t trades = vb_sim_engine_trade_count (self->engine, symbol->instrument);
    for (size_t at = 0; at < trades; at++) {
        const vb_sim_fill_t *trade = vb_sim_engine_trade_at (self->engine, symbol->instrument, at);
        if (!trade || trade->ts_ns < from_ns || trade->ts_ns >= to_ns)
            continue;
        if (*first_trade == 0)
            *first_trade = trade->trade_id;
        *last_trade = trade->trade_id;
        if (trade->side == VB_SIM_BUY) {
            *taker_buy_volume += trade->qty;
            *taker_buy_notional += trade->price * trade->qty;
        }
    }
    return true;
}

bool
bnsim_kline_json (bnsim_t *self, bnsim_buf_t *buf, bnsim_symbol_t *symbol, int index,
                  int64_t open_ms, bool stream, bool closed)
{
    const bnsim_listing_t *listing = symbol->listing;
    int32_t pe = listing->price_exponent, qe = listing->qty_exponent;
    int64_t prev_close = s_close_before (self, symbol, open_ms * BNSIM_NS_PER_MS);
    vb_sim_candle_t candle;
    uint64_t first = 0, last = 0;
    int64_t buy_volume = 0, buy_notional = 0;
    bool priced = bnsim_candle (self, symbol, index, open_ms, &prev_close, &candle, &first, &last,
                                &buy_volume, &buy_notional);
    if (!priced) {
        //  A market that has never traded: Binance has no candle to give
        //  (never one priced at zero).
        return false;
    }
    int64_t close_ms = bnsim_interval_next (index, open_ms) - 1;
    if (!stream) {
        bnsim_buf_printf (buf, "[%" PRId64 ",", open_ms);
        bnsim_buf_dec (buf, candle.open, pe);
        bnsim_buf_str (buf, ",");
        bnsim_buf_dec (buf, candle.high, pe);
        bnsim_buf_str (buf, ",");
        bnsim_buf_dec (buf, candle.low, pe);
        bnsim_buf_str (buf, ",");
        bnsim_buf_dec (buf, candle.close, pe);
        bnsim_buf_str (buf, ",");
        bnsim_buf_dec (buf, candle.volume, qe);
        bnsim_buf_printf (buf, ",%" PRId64 ",", close_ms);
        bnsim_buf_dec (buf, candle.notional, pe + qe);
        bnsim_buf_printf (buf, ",%" PRIu64 ",", candle.trades);
        bnsim_buf_dec (buf, buy_volume, qe);
        bnsim_buf_str (buf, ",");
        bnsim_buf_dec (buf, buy_notional, pe + qe);
        bnsim_buf_str (buf, ",\"0\"]");
        return true;
    }
    bnsim_buf_printf (
        buf,
        "{\"e\":\"kline\",\"E\":%" PRId64 ",\"s\":\"%s\",\"k\":{\"t\":%" PRId64 ",\"T\":%" PRId64
        ",\"s\":\"%s\",\"i\":\"%s\",\"f\":%" PRId64 ",\"L\":%" PRId64 ",\"o\":",
        bnsim_now_ms (self), listing->symbol, open_ms, close_ms, listing->symbol,
        s_intervals[index].name, first ? (int64_t)first : -1, last ? (int64_t)last : -1);
    bnsim_buf_dec (buf, candle.open, pe);
    bnsim_buf_str (buf, ",\"c\":");
    bnsim_buf_dec (buf, candle.close, pe);
    bnsim_buf_str (buf, ",\"h\":");
    bnsim_buf_dec (buf, candle.high, pe);
    bnsim_buf_str (buf, ",\"l\":");
    bnsim_buf_dec (buf, candle.low, pe);
    bnsim_buf_str (buf, ",\"v\":");
    bnsim_buf_dec (buf, candle.volume, qe);
    bnsim_buf_printf (buf, ",\"n\":%" PRIu64 ",\"x\":%s,\"q\":", candle.trades,
                      closed ? "true" : "false");
    bnsim_buf_dec (buf, candle.notional, pe + qe);
    bnsim_buf_str (buf, ",\"V\":");
    bnsim_buf_dec (buf, buy_volume, qe);
    bnsim_buf_str (buf, ",\"Q\":");
    bnsim_buf_dec (buf, buy_notional, pe + qe);
    bnsim_buf_str (buf, ",\"B\":\"0\"}}");
    return true;
}

//  --------------------------------------------------------------------------
//  Mark price: the spot mid (else last trade, else the start price); the
//  funding rate is the base interest rate (no premium in the sim).

void
bnsim_mark_price (bnsim_t *self, bnsim_symbol_t *symbol, int64_t *mark, int64_t *funding_rate_e8,
                  int64_t *next_funding_ms)
{
    vb_sim_level_t bid, ask;
    size_t bids = 0, asks = 0;
    vb_sim_engine_depth (self->engine, symbol->instrument, 1, &bid, &bids, &ask, &asks);
    if (bids && asks)
        *mark = (bid.price + ask.price) / 2;
    else {
        *mark = s_close_before (self, symbol, INT64_MAX);
        if (*mark <= 0)
            *mark = symbol->listing->start_price;
    }
    *funding_rate_e8 = S_FUNDING_RATE_E8;
    int64_t now = bnsim_now_ms (self);
    *next_funding_ms = (s_floor_div (now, S_FUNDING_PERIOD_MS) + 1) * S_FUNDING_PERIOD_MS;
}

//  --------------------------------------------------------------------------
//  Public market data.

//  The symbols a ticker-style endpoint names: symbol, symbols (JSON array),
//  or all. Returns the count (0 with error set on failure), filling picks.
static size_t
s_symbol_list (bnsim_t *self, const bnsim_params_t *params, bnsim_symbol_t **picks, bool *single,
               bnsim_error_t *error)
{
    const char *one = bnsim_param (params, "symbol");
    const char *many = bnsim_param (params, "symbols");
    *single = false;
    if (one && many) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1128,
                         "Combination of optional parameters invalid.");
        return 0;
    }
    if (one) {
        picks[0] = bnsim_symbol_param (self, params, error);
        *single = true;
        return picks[0] ? 1 : 0;
    }
    if (!many) {
        for (size_t index = 0; index < self->symbol_count; index++)
            picks[index] = &self->symbols[index];
        return self->symbol_count;
    }
    //  ["BTCUSDT","ETHUSDT"]: strict, no duplicates
    size_t count = 0;
    const char *cursor = many;
    if (*cursor++ != '[')
        goto invalid;
    while (*cursor) {
        if (*cursor++ != '"')
            goto invalid;
        const char *end = strchr (cursor, '"');
        if (!end || end == cursor || end - cursor >= VB_SIM_NAME_MAX)
            goto invalid;
        char name[VB_SIM_NAME_MAX];
        snprintf (name, sizeof (name), "%.*s", (int)(end - cursor), cursor);
        bnsim_symbol_t *symbol = bnsim_symbol (self, name);
        if (!symbol) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1121, "Invalid symbol.");
            return 0;
        }
        for (size_t index = 0; index < count; index++)
            if (picks[index] == symbol) {
                bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1151,
                                 "Symbol is present multiple times in the list.");
                return 0;
            }
        if (count >= BNSIM_SYMBOLS_MAX)
            goto invalid;
        picks[count++] = symbol;
        cursor = end + 1;
        if (*cursor == ',') {
            cursor++;
            continue;
        }
        if (*cursor == ']' && cursor[1] == 0 && count > 0)
            return count;
        goto invalid;
    }
invalid:
    bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                     "Illegal characters found in parameter 'symbols'; legal range is "
                     "'^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.");
    return 0;
}

static void
s_filters_json (bnsim_buf_t *out, const bnsim_listing_t *listing)
{
    int32_t pe = listing->price_exponent, qe = listing->qty_exponent;
    bnsim_buf_str (out, "[{\"filterType\":\"PRICE_FILTER\",\"minPrice\":");
    bnsim_buf_dec (out, listing->min_price, pe);
    bnsim_buf_str (out, ",\"maxPrice\":");
    bnsim_buf_dec (out, listing->max_price, pe);
    bnsim_buf_str (out, ",\"tickSize\":");
    bnsim_buf_dec (out, listing->tick, pe);
    bnsim_buf_str (out, "},{\"filterType\":\"LOT_SIZE\",\"minQty\":");
    bnsim_buf_dec (out, listing->min_qty, qe);
    bnsim_buf_str (out, ",\"maxQty\":");
    bnsim_buf_dec (out, listing->max_qty, qe);
    bnsim_buf_str (out, ",\"stepSize\":");
    bnsim_buf_dec (out, listing->lot, qe);
    bnsim_buf_str (out, "},{\"filterType\":\"MARKET_LOT_SIZE\",\"minQty\":");
    bnsim_buf_dec (out, 0, 0);
    bnsim_buf_str (out, ",\"maxQty\":");
    bnsim_buf_dec (out, listing->max_qty, qe);
    bnsim_buf_str (out, ",\"stepSize\":");
    bnsim_buf_dec (out, 0, 0);
    bnsim_buf_str (out, "},{\"filterType\":\"NOTIONAL\",\"minNotional\":");
    bnsim_buf_dec (out, listing->min_notional, pe + qe);
    bnsim_buf_str (out, ",\"applyMinToMarket\":true,\"maxNotional\":");
    bnsim_buf_dec (out, listing->max_notional, pe + qe);
    bnsim_buf_str (out, ",\"applyMaxToMarket\":false,\"avgPriceMins\":5}]");
}

int
bnsim_rest_exchange_info (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_symbol_t *picks[BNSIM_SYMBOLS_MAX];
    bool single;
    size_t count = s_symbol_list (self, call->params, picks, &single, call->error);
    if (count == 0)
        return -1;
    bnsim_buf_t *out = call->out;
    bnsim_buf_printf (
        out,
        "{\"timezone\":\"UTC\",\"serverTime\":%" PRId64
        ",\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
        "\"intervalNum\":1,\"limit\":%d},{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\","
        "\"intervalNum\":10,\"limit\":%d},{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\","
        "\"intervalNum\":1,\"limit\":%d},{\"rateLimitType\":\"RAW_REQUESTS\",\"interval\":"
        "\"MINUTE\",\"intervalNum\":5,\"limit\":61000}],\"exchangeFilters\":[],\"symbols\":[",
        bnsim_now_ms (self), S_WEIGHT_LIMIT, S_ORDERS_10S_LIMIT, S_ORDERS_1D_LIMIT);
    for (size_t index = 0; index < count; index++) {
        const bnsim_listing_t *listing = picks[index]->listing;
        bnsim_buf_printf (
            out,
            "%s{\"symbol\":\"%s\",\"status\":\"TRADING\",\"baseAsset\":\"%s\","
            "\"baseAssetPrecision\":8,\"quoteAsset\":\"%s\",\"quotePrecision\":8,"
            "\"quoteAssetPrecision\":8,\"baseCommissionPrecision\":8,"
            "\"quoteCommissionPrecision\":8,\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\",\"MARKET\"],"
            "\"icebergAllowed\":false,\"ocoAllowed\":false,\"otoAllowed\":false,"
            "\"quoteOrderQtyMarketAllowed\":true,\"allowTrailingStop\":false,"
            "\"cancelReplaceAllowed\":false,\"amendAllowed\":false,\"isSpotTradingAllowed\":true,"
            "\"isMarginTradingAllowed\":false,\"filters\":",
            index ? "," : "", listing->symbol, listing->base, listing->quote);
        s_filters_json (out, listing);
        bnsim_buf_str (out, ",\"permissions\":[],\"permissionSets\":[[\"SPOT\"]],"
                            "\"defaultSelfTradePreventionMode\":\"NONE\","
                            "\"allowedSelfTradePreventionModes\":[\"NONE\"]}");
    }
    bnsim_buf_str (out, "]}");
    return 0;
}

int
bnsim_rest_depth (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, call->params, call->error);
    int64_t limit;
    if (!symbol || bnsim_limit_param (call->params, S_DEPTH_DEFAULT, BNSIM_DEPTH_LEVELS_MAX, &limit,
                                      call->error))
        return -1;
    if (bnsim_replay_depth (self, symbol, limit, call->out))
        return 0;  //  Replay mode: the capture's snapshot
    vb_sim_level_t *bids = zmalloc ((size_t)limit * sizeof (vb_sim_level_t));
    vb_sim_level_t *asks = zmalloc ((size_t)limit * sizeof (vb_sim_level_t));
    size_t bid_count = 0, ask_count = 0;
    uint64_t update_id = vb_sim_engine_depth (self->engine, symbol->instrument, (size_t)limit, bids,
                                              &bid_count, asks, &ask_count);
    int32_t pe = symbol->listing->price_exponent, qe = symbol->listing->qty_exponent;
    bnsim_buf_printf (call->out, "{\"lastUpdateId\":%" PRIu64 ",\"bids\":[", update_id);
    for (size_t index = 0; index < bid_count; index++) {
        bnsim_buf_str (call->out, index ? ",[" : "[");
        bnsim_buf_dec (call->out, bids[index].price, pe);
        bnsim_buf_str (call->out, ",");
        bnsim_buf_dec (call->out, bids[index].qty, qe);
        bnsim_buf_str (call->out, "]");
    }
    bnsim_buf_str (call->out, "],\"asks\":[");
    for (size_t index = 0; index < ask_count; index++) {
        bnsim_buf_str (call->out, index ? ",[" : "[");
        bnsim_buf_dec (call->out, asks[index].price, pe);
        bnsim_buf_str (call->out, ",");
        bnsim_buf_dec (call->out, asks[index].qty, qe);
        bnsim_buf_str (call->out, "]");
    }
    bnsim_buf_str (call->out, "]}");
    free (bids);
    free (asks);
    return 0;
}

int
bnsim_rest_trades (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, call->params, call->error);
    int64_t limit;
    if (!symbol ||
        bnsim_limit_param (call->params, S_LIST_DEFAULT, S_LIST_MAX, &limit, call->error))
        return -1;
    size_t count = vb_sim_engine_trade_count (self->engine, symbol->instrument);
    size_t first = count > (size_t)limit ? count - (size_t)limit : 0;
    int32_t pe = symbol->listing->price_exponent, qe = symbol->listing->qty_exponent;
    bnsim_buf_str (call->out, "[");
    for (size_t index = first; index < count; index++) {
        const vb_sim_fill_t *trade =
            vb_sim_engine_trade_at (self->engine, symbol->instrument, index);
        if (!trade)
            continue;
        bnsim_buf_printf (call->out, "%s{\"id\":%" PRIu64 ",\"price\":", index > first ? "," : "",
                          trade->trade_id);
        bnsim_buf_dec (call->out, trade->price, pe);
        bnsim_buf_str (call->out, ",\"qty\":");
        bnsim_buf_dec (call->out, trade->qty, qe);
        bnsim_buf_str (call->out, ",\"quoteQty\":");
        bnsim_buf_dec (call->out, trade->price * trade->qty, pe + qe);
        bnsim_buf_printf (
            call->out, ",\"time\":%" PRId64 ",\"isBuyerMaker\":%s,\"isBestMatch\":true}",
            trade->ts_ns / BNSIM_NS_PER_MS, trade->side == VB_SIM_SELL ? "true" : "false");
    }
    bnsim_buf_str (call->out, "]");
    return 0;
}

//  Taker-buy volume and notional, first and last trade id in [from, to) ms,
//  from the engine's trade ring.
static void
s_ring_stats (bnsim_t *self, bnsim_symbol_t *symbol, int64_t from_ms, int64_t to_ms,
              int64_t *buy_volume, int64_t *buy_notional, int64_t *first_id, int64_t *last_id)
{
    *buy_volume = *buy_notional = 0;
    *first_id = *last_id = -1;
    size_t count = vb_sim_engine_trade_count (self->engine, symbol->instrument);
    for (size_t index = 0; index < count; index++) {
        const vb_sim_fill_t *trade =
            vb_sim_engine_trade_at (self->engine, symbol->instrument, index);
        int64_t time = trade ? trade->ts_ns / BNSIM_NS_PER_MS : -1;
        if (!trade || time < from_ms || time >= to_ms)
            continue;
        if (*first_id < 0)
            *first_id = (int64_t)trade->trade_id;
        *last_id = (int64_t)trade->trade_id;
        if (trade->side == VB_SIM_BUY) {
            *buy_volume += trade->qty;
            *buy_notional += trade->price * trade->qty;
        }
    }
}

int
bnsim_rest_klines (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, call->params, call->error);
    if (!symbol)
        return -1;
    const char *interval_text = bnsim_param (call->params, "interval");
    if (!interval_text) {
        bnsim_mandatory (call->error, "interval");
        return -1;
    }
    int interval = bnsim_interval_find (interval_text);
    if (interval < 0) {
        bnsim_error_set (call->error, S_STATUS_BAD_REQUEST, -1120, "Invalid interval.");
        return -1;
    }
    int64_t start = -1, end = -1, limit;
    if (bnsim_integer_param (call->params, "startTime", &start, call->error) ||
        bnsim_integer_param (call->params, "endTime", &end, call->error) ||
        bnsim_limit_param (call->params, S_LIST_DEFAULT, S_LIST_MAX, &limit, call->error))
        return -1;
    int64_t now = bnsim_now_ms (self);
    int64_t last_open = bnsim_interval_open (interval, end >= 0 && end < now ? end : now);
    int64_t open = last_open;
    if (start >= 0)
        open = bnsim_interval_open (interval, start);
    else
        for (int64_t back = 1; back < limit; back++)
            open = bnsim_interval_open (interval, open - 1);
    if (open > last_open) {
        bnsim_buf_str (call->out, "[]");
        return 0;
    }
    //  One engine call for the whole range, in steps of at most a day
    int64_t step_s = bnsim_interval_at (interval)->seconds;
    if (step_s > S_DAY_MS / BNSIM_MS_PER_S)
        step_s = S_DAY_MS / BNSIM_MS_PER_S;
    int64_t range_end = bnsim_interval_next (interval, last_open);
    int64_t steps = (range_end - open) / (step_s * BNSIM_MS_PER_S) + 1;
    size_t max = (size_t)(steps < S_LIST_MAX * 31 ? steps : S_LIST_MAX * 31);
    vb_sim_candle_t *parts = zmalloc (max * sizeof (vb_sim_candle_t));
    size_t part_count =
        vb_sim_engine_candles (self->engine, symbol->instrument, step_s, open * BNSIM_NS_PER_MS,
                               range_end * BNSIM_NS_PER_MS, parts, max);
    int64_t prev_close = 0;
    size_t ring = vb_sim_engine_trade_count (self->engine, symbol->instrument);
    for (size_t index = ring; index > 0 && prev_close == 0; index--) {
        const vb_sim_fill_t *trade =
            vb_sim_engine_trade_at (self->engine, symbol->instrument, index - 1);
        if (trade && trade->ts_ns < open * BNSIM_NS_PER_MS)
            prev_close = trade->price;
    }
    const bnsim_listing_t *listing = symbol->listing;
    int32_t pe = listing->price_exponent, qe = listing->qty_exponent;
    bnsim_buf_str (call->out, "[");
    int64_t written = 0;
    size_t part = 0;
    for (; open <= last_open && written < limit; open = bnsim_interval_next (interval, open)) {
        int64_t next = bnsim_interval_next (interval, open);
        vb_sim_candle_t candle = {0};
        for (; part < part_count && parts[part].open_ns < next * BNSIM_NS_PER_MS; part++) {
            const vb_sim_candle_t *piece = &parts[part];
            if (piece->open_ns < open * BNSIM_NS_PER_MS)
                continue;
            if (candle.trades == 0) {
                candle = *piece;
                continue;
            }
            candle.high = piece->high > candle.high ? piece->high : candle.high;
            candle.low = piece->low < candle.low ? piece->low : candle.low;
            candle.close = piece->close;
            candle.volume += piece->volume;
            candle.notional += piece->notional;
            candle.trades += piece->trades;
        }
        if (candle.trades == 0) {
            if (prev_close <= 0)
                continue;  //  Nothing has traded yet: no candle, as on the venue
            candle.open = candle.high = candle.low = candle.close = prev_close;
        }
        prev_close = candle.close;
        int64_t buy_volume, buy_notional, first_id, last_id;
        s_ring_stats (self, symbol, open, next, &buy_volume, &buy_notional, &first_id, &last_id);
        bnsim_buf_printf (call->out, "%s[%" PRId64 ",", written++ ? "," : "", open);
        bnsim_buf_dec (call->out, candle.open, pe);
        bnsim_buf_str (call->out, ",");
        bnsim_buf_dec (call->out, candle.high, pe);
        bnsim_buf_str (call->out, ",");
        bnsim_buf_dec (call->out, candle.low, pe);
        bnsim_buf_str (call->out, ",");
        bnsim_buf_dec (call->out, candle.close, pe);
        bnsim_buf_str (call->out, ",");
        bnsim_buf_dec (call->out, candle.volume, qe);
        bnsim_buf_printf (call->out, ",%" PRId64 ",", next - 1);
        bnsim_buf_dec (call->out, candle.notional, pe + qe);
        bnsim_buf_printf (call->out, ",%" PRIu64 ",", candle.trades);
        bnsim_buf_dec (call->out, buy_volume, qe);
        bnsim_buf_str (call->out, ",");
        bnsim_buf_dec (call->out, buy_notional, pe + qe);
        bnsim_buf_str (call->out, ",\"0\"]");
    }
    bnsim_buf_str (call->out, "]");
    free (parts);
    return 0;
}

int
bnsim_rest_book_ticker (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_symbol_t *picks[BNSIM_SYMBOLS_MAX];
    bool single;
    size_t count = s_symbol_list (self, call->params, picks, &single, call->error);
    if (count == 0)
        return -1;
    if (!single)
        bnsim_buf_str (call->out, "[");
    for (size_t index = 0; index < count; index++) {
        vb_sim_level_t bid = {VB_SIM_BUY, 0, 0}, ask = {VB_SIM_SELL, 0, 0};
        size_t bids = 0, asks = 0;
        vb_sim_engine_depth (self->engine, picks[index]->instrument, 1, &bid, &bids, &ask, &asks);
        int32_t pe = picks[index]->listing->price_exponent;
        int32_t qe = picks[index]->listing->qty_exponent;
        bnsim_buf_printf (call->out, "%s{\"symbol\":\"%s\",\"bidPrice\":", index ? "," : "",
                          picks[index]->listing->symbol);
        bnsim_buf_dec (call->out, bids ? bid.price : 0, pe);
        bnsim_buf_str (call->out, ",\"bidQty\":");
        bnsim_buf_dec (call->out, bids ? bid.qty : 0, qe);
        bnsim_buf_str (call->out, ",\"askPrice\":");
        bnsim_buf_dec (call->out, asks ? ask.price : 0, pe);
        bnsim_buf_str (call->out, ",\"askQty\":");
        bnsim_buf_dec (call->out, asks ? ask.qty : 0, qe);
        bnsim_buf_str (call->out, "}");
    }
    if (!single)
        bnsim_buf_str (call->out, "]");
    return 0;
}

static const vb_sim_fill_t *
s_last_trade (bnsim_t *self, bnsim_symbol_t *symbol)
{
    size_t count = vb_sim_engine_trade_count (self->engine, symbol->instrument);
    return count ? vb_sim_engine_trade_at (self->engine, symbol->instrument, count - 1) : NULL;
}

int
bnsim_rest_ticker_price (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_symbol_t *picks[BNSIM_SYMBOLS_MAX];
    bool single;
    size_t count = s_symbol_list (self, call->params, picks, &single, call->error);
    if (count == 0)
        return -1;
    if (!single)
        bnsim_buf_str (call->out, "[");
    for (size_t index = 0; index < count; index++) {
        const vb_sim_fill_t *last = s_last_trade (self, picks[index]);
        bnsim_buf_printf (call->out, "%s{\"symbol\":\"%s\",\"price\":", index ? "," : "",
                          picks[index]->listing->symbol);
        bnsim_buf_dec (call->out, last ? last->price : 0, picks[index]->listing->price_exponent);
        bnsim_buf_str (call->out, "}");
    }
    if (!single)
        bnsim_buf_str (call->out, "]");
    return 0;
}

int
bnsim_rest_ticker_24hr (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_symbol_t *picks[BNSIM_SYMBOLS_MAX];
    bool single;
    size_t count = s_symbol_list (self, call->params, picks, &single, call->error);
    if (count == 0)
        return -1;
    int64_t now = bnsim_now_ms (self);
    int64_t open_time = now - S_DAY_MS;
    const size_t minutes = 24 * 60 + 1;
    vb_sim_candle_t *candles = zmalloc (minutes * sizeof (vb_sim_candle_t));
    if (!single)
        bnsim_buf_str (call->out, "[");
    for (size_t index = 0; index < count; index++) {
        bnsim_symbol_t *symbol = picks[index];
        const bnsim_listing_t *listing = symbol->listing;
        int32_t pe = listing->price_exponent, qe = listing->qty_exponent;
        size_t got = vb_sim_engine_candles (self->engine, symbol->instrument, 60,
                                            (open_time - open_time % S_MINUTE_MS) * BNSIM_NS_PER_MS,
                                            (now + 1) * BNSIM_NS_PER_MS, candles, minutes);
        int64_t open = 0, high = 0, low = 0, volume = 0, notional = 0;
        uint64_t trades = 0;
        for (size_t at = 0; at < got; at++) {
            if (at == 0) {
                open = candles[at].open;
                high = candles[at].high;
                low = candles[at].low;
            }
            high = candles[at].high > high ? candles[at].high : high;
            low = candles[at].low < low ? candles[at].low : low;
            volume += candles[at].volume;
            notional += candles[at].notional;
            trades += candles[at].trades;
        }
        const vb_sim_fill_t *last = s_last_trade (self, symbol);
        int64_t last_price = last ? last->price : 0;
        int64_t change = got ? last_price - open : 0;
        //  Percent at 10^-3, truncated toward zero; weighted average exact to 8 places
        int64_t percent = open ? (int64_t)((__int128)change * 100000 / open) : 0;
        __int128 scale = 1;
        for (int32_t digits = pe; digits > BNSIM_EXPONENT; digits--)
            scale *= 10;  //  notional / volume is at 10^pe; print at 10^-8
        int64_t average = volume ? (int64_t)((__int128)notional * scale / volume) : 0;
        int64_t first_id = -1, last_id = -1;
        size_t ring = vb_sim_engine_trade_count (self->engine, symbol->instrument);
        for (size_t at = 0; at < ring; at++) {
            const vb_sim_fill_t *trade =
                vb_sim_engine_trade_at (self->engine, symbol->instrument, at);
            if (trade && trade->ts_ns / BNSIM_NS_PER_MS >= open_time) {
                if (first_id < 0)
                    first_id = (int64_t)trade->trade_id;
                last_id = (int64_t)trade->trade_id;
            }
        }
        vb_sim_level_t bid = {VB_SIM_BUY, 0, 0}, ask = {VB_SIM_SELL, 0, 0};
        size_t bids = 0, asks = 0;
        vb_sim_engine_depth (self->engine, symbol->instrument, 1, &bid, &bids, &ask, &asks);
        char percent_text[VB_DECIMAL_TEXT_MAX];
        vb_decimal_format ((vb_decimal_t){percent, -3}, percent_text, sizeof (percent_text));
        bnsim_buf_printf (call->out, "%s{\"symbol\":\"%s\",\"priceChange\":", index ? "," : "",
                          listing->symbol);
        bnsim_buf_dec (call->out, change, pe);
        bnsim_buf_printf (call->out,
                          ",\"priceChangePercent\":\"%s\",\"weightedAvgPrice\":", percent_text);
        bnsim_buf_dec (call->out, average, BNSIM_EXPONENT);
        bnsim_buf_str (call->out, ",\"prevClosePrice\":");
        bnsim_buf_dec (call->out, open, pe);
        bnsim_buf_str (call->out, ",\"lastPrice\":");
        bnsim_buf_dec (call->out, last_price, pe);
        bnsim_buf_str (call->out, ",\"lastQty\":");
        bnsim_buf_dec (call->out, last ? last->qty : 0, qe);
        bnsim_buf_str (call->out, ",\"bidPrice\":");
        bnsim_buf_dec (call->out, bids ? bid.price : 0, pe);
        bnsim_buf_str (call->out, ",\"bidQty\":");
        bnsim_buf_dec (call->out, bids ? bid.qty : 0, qe);
        bnsim_buf_str (call->out, ",\"askPrice\":");
        bnsim_buf_dec (call->out, asks ? ask.price : 0, pe);
        bnsim_buf_str (call->out, ",\"askQty\":");
        bnsim_buf_dec (call->out, asks ? ask.qty : 0, qe);
        bnsim_buf_str (call->out, ",\"openPrice\":");
        bnsim_buf_dec (call->out, open, pe);
        bnsim_buf_str (call->out, ",\"highPrice\":");
        bnsim_buf_dec (call->out, high, pe);
        bnsim_buf_str (call->out, ",\"lowPrice\":");
        bnsim_buf_dec (call->out, low, pe);
        bnsim_buf_str (call->out, ",\"volume\":");
        bnsim_buf_dec (call->out, volume, qe);
        bnsim_buf_str (call->out, ",\"quoteVolume\":");
        bnsim_buf_dec (call->out, notional, pe + qe);
        bnsim_buf_printf (call->out,
                          ",\"openTime\":%" PRId64 ",\"closeTime\":%" PRId64 ",\"firstId\":%" PRId64
                          ",\"lastId\":%" PRId64 ",\"count\":%" PRIu64 "}",
                          open_time, now, first_id, last_id, trades);
    }
    if (!single)
        bnsim_buf_str (call->out, "]");
    free (candles);
    return 0;
}

int
bnsim_rest_premium_index (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_symbol_t *picks[BNSIM_SYMBOLS_MAX];
    bool single;
    size_t count = s_symbol_list (self, call->params, picks, &single, call->error);
    if (count == 0)
        return -1;
    if (!single)
        bnsim_buf_str (call->out, "[");
    for (size_t index = 0; index < count; index++) {
        int64_t mark, rate, next;
        bnsim_mark_price (self, picks[index], &mark, &rate, &next);
        int32_t pe = picks[index]->listing->price_exponent;
        bnsim_buf_printf (call->out, "%s{\"symbol\":\"%s\",\"markPrice\":", index ? "," : "",
                          picks[index]->listing->symbol);
        bnsim_buf_dec (call->out, mark, pe);
        bnsim_buf_str (call->out, ",\"indexPrice\":");
        bnsim_buf_dec (call->out, mark, pe);
        bnsim_buf_str (call->out, ",\"estimatedSettlePrice\":");
        bnsim_buf_dec (call->out, mark, pe);
        bnsim_buf_str (call->out, ",\"lastFundingRate\":");
        bnsim_buf_dec (call->out, rate, BNSIM_EXPONENT);
        bnsim_buf_str (call->out, ",\"interestRate\":");
        bnsim_buf_dec (call->out, rate, BNSIM_EXPONENT);
        bnsim_buf_printf (call->out, ",\"nextFundingTime\":%" PRId64 ",\"time\":%" PRId64 "}", next,
                          bnsim_now_ms (self));
    }
    if (!single)
        bnsim_buf_str (call->out, "]");
    return 0;
}
