/*  sim.c — Binance Spot (and USD-M mark price) protocol personality for
    venuebus-sim: listings, engine events, and the public market streams.

    Public streams (venues.md 1.1, 1.2), on any path the core routes here:
    - /ws/<stream>[/<stream>...]  raw payloads; /ws alone, then SUBSCRIBE
    - /stream?streams=a/b         combined: {"stream":"a","data":{...}}
    - methods SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY and
      GET_PROPERTY ("combined"); replies {"result":..,"id":..} and the
      documented flat errors {"code":0|1|2|3,"msg":..}. A stream name whose
      kind is unknown is refused with code 2 ("Invalid request: ..."); a
      well-formed name for an unlisted symbol is accepted and never sends,
      as the venue does. More than 5 incoming messages in one second, or
      more than 1024 streams, closes the connection.
    - streams: <s>@trade, <s>@aggTrade (one per engine trade, a = t),
      <s>@bookTicker (u = engine book update id), <s>@depth (1000 ms) and
      <s>@depth@100ms (depthUpdate: U = first update id in the batch, u = the
      last, each level at its final qty in the batch), <s>@depth5/10/20
      [@100ms] (partial book), <s>@kline_<interval> (every 2 s, 1 s for 1s,
      and at once with x:true when a candle closes), <s>@markPrice (3 s)
      and <s>@markPrice@1s (USD-M futures: the gateway's futures WS URL may
      point at this same port).
    The WS API (/ws-api/v3) is in sim_wsapi.c and REST in sim_rest.c.
    With --replay FILE, sim_replay.c serves a capture as the market of its
    symbol: that symbol's synthetic flow is off and its engine events are
    not published on the streams.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <time.h>
#include "vb_decimal.h"
#include "vb_error.h"
#include "vb_json.h"
#include "vb_log.h"
#include "sim_binance.h"
#include "symbols.h"

#define S_TICK_MS       100   //  Tick period: the depth@100ms batch
#define S_SLOW_MS       1000  //  @depth and partial depth without @100ms
#define S_KLINE_PUSH_MS 2000  //  Kline push period (1000 for 1s)
#define S_MARK_SLOW_MS  3000  //  @markPrice
#define S_MARK_FAST_MS  1000  //  @markPrice@1s
#define S_PARTIAL_MAX   20    //  Deepest partial depth stream
#define S_WS_ID_MAX     36    //  Longest string id

//  Listings: BTCUSDT and ETHUSDT with Binance's real filters (tick 0.01,
//  step 0.00001 / 0.0001, min notional 5 USDT).
static const bnsim_listing_t s_listings[] = {
    {.symbol = "BTCUSDT",
     .normalised = "BTC-USDT",
     .base = "BTC",
     .quote = "USDT",
     .price_exponent = -2,
     .qty_exponent = -5,
     .tick = 1,
     .lot = 1,
     .min_qty = 1,
     .max_qty = INT64_C (900000000),            //  9000 BTC
     .min_notional = INT64_C (50000000),        //  5 USDT at 10^-7
     .max_notional = INT64_C (90000000000000),  //  9,000,000 USDT
     .min_price = 1,
     .max_price = INT64_C (100000000),   //  1,000,000.00
     .start_price = INT64_C (6500000)},  //  65,000.00
    {.symbol = "ETHUSDT",
     .normalised = "ETH-USDT",
     .base = "ETH",
     .quote = "USDT",
     .price_exponent = -2,
     .qty_exponent = -4,
     .tick = 1,
     .lot = 1,
     .min_qty = 1,
     .max_qty = INT64_C (90000000),            //  9000 ETH
     .min_notional = INT64_C (5000000),        //  5 USDT at 10^-6
     .max_notional = INT64_C (9000000000000),  //  9,000,000 USDT
     .min_price = 1,
     .max_price = INT64_C (100000000),
     .start_price = INT64_C (350000)},  //  3,500.00
};
#define S_LISTING_COUNT (sizeof (s_listings) / sizeof (s_listings[0]))

static vb_sim_instrument_t s_instrument_table[S_LISTING_COUNT];

//  --------------------------------------------------------------------------
//  Listings and instruments.

const bnsim_listing_t *
bnsim_listings (size_t *count)
{
    *count = S_LISTING_COUNT;
    return s_listings;
}

static const vb_sim_instrument_t *
s_instruments (size_t *count)
{
    for (size_t index = 0; index < S_LISTING_COUNT; index++) {
        const bnsim_listing_t *listing = &s_listings[index];
        vb_sim_instrument_t *instrument = &s_instrument_table[index];
        memset (instrument, 0, sizeof (*instrument));
        snprintf (instrument->symbol, sizeof (instrument->symbol), "%s", listing->normalised);
        snprintf (instrument->base, sizeof (instrument->base), "%s", listing->base);
        snprintf (instrument->quote, sizeof (instrument->quote), "%s", listing->quote);
        instrument->price_exponent = listing->price_exponent;
        instrument->qty_exponent = listing->qty_exponent;
        instrument->tick = listing->tick;
        instrument->lot = listing->lot;
        instrument->min_qty = listing->min_qty;
        instrument->max_qty = listing->max_qty;
        instrument->min_notional = listing->min_notional;
        instrument->start_price = listing->start_price;
    }
    *count = S_LISTING_COUNT;
    return s_instrument_table;
}

bnsim_symbol_t *
bnsim_symbol (bnsim_t *self, const char *symbol)
{
    if (!symbol)
        return NULL;
    for (size_t index = 0; index < self->symbol_count; index++)
        if (strcmp (self->symbols[index].listing->symbol, symbol) == 0)
            return &self->symbols[index];
    return NULL;
}

int64_t
bnsim_now_ms (bnsim_t *self)
{
    return vb_sim_engine_now_ns (self->engine) / BNSIM_NS_PER_MS;
}

//  --------------------------------------------------------------------------
//  Client order ids: 22 characters of [A-Za-z0-9], deterministic per run.

void
bnsim_client_id (bnsim_t *self, char *out, size_t size)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const size_t length = 22;
    size_t index = 0;
    for (; index < length && index + 1 < size; index++) {
        //  splitmix64 step
        uint64_t z = (self->id_state += UINT64_C (0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
        z ^= z >> 31;
        out[index] = alphabet[z % (sizeof (alphabet) - 1)];
    }
    if (size)
        out[index] = 0;
}

//  --------------------------------------------------------------------------

static int64_t
s_floor_div (int64_t value, int64_t divisor)
{
    int64_t quotient = value / divisor;
    return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient;
}

//  --------------------------------------------------------------------------
//  Stream names.

//  Parse a stream name into stream. Returns 0, or -1 when its kind is not
//  one the venue has.
static int
s_stream_parse (bnsim_t *self, const char *name, size_t length, bnsim_stream_t *stream)
{
    memset (stream, 0, sizeof (*stream));
    if (length == 0 || length >= sizeof (stream->name))
        return -1;
    memcpy (stream->name, name, length);
    stream->name[length] = 0;
    const char *at = strchr (stream->name, '@');
    if (!at || at == stream->name)
        return -1;
    size_t symbol_length = (size_t)(at - stream->name);
    stream->symbol = -1;
    for (size_t index = 0; index < self->symbol_count; index++)
        if (strlen (self->symbols[index].lower) == symbol_length &&
            memcmp (self->symbols[index].lower, stream->name, symbol_length) == 0)
            stream->symbol = (int)index;
    for (size_t index = 0; index < symbol_length; index++) {
        char c = stream->name[index];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return -1;
    }
    const char *kind = at + 1;
    if (strcmp (kind, "trade") == 0)
        stream->kind = BNSIM_STREAM_TRADE;
    else if (strcmp (kind, "aggTrade") == 0)
        stream->kind = BNSIM_STREAM_AGG_TRADE;
    else if (strcmp (kind, "bookTicker") == 0)
        stream->kind = BNSIM_STREAM_BOOK_TICKER;
    else if (strcmp (kind, "depth") == 0 || strcmp (kind, "depth@1000ms") == 0 ||
             strcmp (kind, "depth@100ms") == 0) {
        stream->kind = BNSIM_STREAM_DEPTH;
        stream->speed_ms = strcmp (kind, "depth@100ms") == 0 ? S_TICK_MS : S_SLOW_MS;
    } else if (strncmp (kind, "depth", 5) == 0) {
        char *end = NULL;
        long levels = strtol (kind + 5, &end, 10);
        if (levels != 5 && levels != 10 && levels != 20)
            return -1;
        if (*end == 0 || strcmp (end, "@1000ms") == 0)
            stream->speed_ms = S_SLOW_MS;
        else if (strcmp (end, "@100ms") == 0)
            stream->speed_ms = S_TICK_MS;
        else
            return -1;
        stream->kind = BNSIM_STREAM_PARTIAL;
        stream->levels = (int)levels;
    } else if (strncmp (kind, "kline_", 6) == 0) {
        stream->interval = bnsim_interval_find (kind + 6);
        if (stream->interval < 0)
            return -1;
        stream->kind = BNSIM_STREAM_KLINE;
        stream->speed_ms = stream->interval == 0 ? S_SLOW_MS : S_KLINE_PUSH_MS;
    } else if (strcmp (kind, "markPrice") == 0 || strcmp (kind, "markPrice@1s") == 0) {
        stream->kind = BNSIM_STREAM_MARK_PRICE;
        stream->speed_ms = strcmp (kind, "markPrice") == 0 ? S_MARK_SLOW_MS : S_MARK_FAST_MS;
    } else
        return -1;
    return 0;
}

static void
s_count (bnsim_t *self, const bnsim_stream_t *stream, int delta)
{
    if (stream->symbol >= 0)
        self->symbols[stream->symbol].subscribers[stream->kind] += delta;
}

//  Add a stream to a connection (no duplicate). Returns 0, or -1 when the
//  connection would pass 1024 streams.
static int
s_subscribe (bnsim_t *self, bnsim_conn_t *conn, const bnsim_stream_t *stream)
{
    for (size_t index = 0; index < conn->stream_count; index++)
        if (strcmp (conn->streams[index].name, stream->name) == 0)
            return 0;
    if (conn->stream_count >= BNSIM_STREAMS_MAX)
        return -1;
    if (conn->stream_count == conn->stream_capacity) {
        size_t capacity = conn->stream_capacity ? 2 * conn->stream_capacity : 8;
        bnsim_stream_t *streams = realloc (conn->streams, capacity * sizeof (bnsim_stream_t));
        assert (streams);
        conn->streams = streams;
        conn->stream_capacity = capacity;
    }
    conn->streams[conn->stream_count++] = *stream;
    s_count (self, stream, 1);
    return 0;
}

static void
s_unsubscribe (bnsim_t *self, bnsim_conn_t *conn, const char *name)
{
    for (size_t index = 0; index < conn->stream_count; index++)
        if (strcmp (conn->streams[index].name, name) == 0) {
            s_count (self, &conn->streams[index], -1);
            memmove (&conn->streams[index], &conn->streams[index + 1],
                     (conn->stream_count - index - 1) * sizeof (bnsim_stream_t));
            conn->stream_count--;
            return;
        }
}

//  --------------------------------------------------------------------------
//  Send a payload to every connection subscribed to a matching stream.

typedef bool (s_match_fn) (const bnsim_stream_t *stream, const void *arg);

static void
s_send_to (bnsim_t *self, bnsim_conn_t *conn, const bnsim_stream_t *stream, const char *payload,
           size_t length)
{
    if (!conn->combined) {
        vb_sim_conn_send (conn->conn, stream->name, payload, length);
        return;
    }
    bnsim_buf_reset (&self->wrap);
    bnsim_buf_printf (&self->wrap, "{\"stream\":\"%s\",\"data\":", stream->name);
    bnsim_buf_add (&self->wrap, payload, length);
    bnsim_buf_str (&self->wrap, "}");
    vb_sim_conn_send (conn->conn, stream->name, self->wrap.data, self->wrap.length);
}

static void
s_publish (bnsim_t *self, int symbol, bnsim_stream_kind_t kind, s_match_fn *match, const void *arg,
           const char *payload, size_t length)
{
    for (size_t index = 0; index < self->conn_count; index++) {
        bnsim_conn_t *conn = self->conns[index];
        for (size_t at = 0; at < conn->stream_count; at++) {
            const bnsim_stream_t *stream = &conn->streams[at];
            if (stream->symbol == symbol && stream->kind == kind && (!match || match (stream, arg)))
                s_send_to (self, conn, stream, payload, length);
        }
    }
}

static bool
s_match_speed (const bnsim_stream_t *stream, const void *arg)
{
    return stream->speed_ms == *(const int *)arg;
}

//  --------------------------------------------------------------------------
//  Depth batches.

static void
s_batch_add (bnsim_batch_t *batch, const vb_sim_event_t *event)
{
    if (batch->first_id == 0)
        batch->first_id = event->book_update_id;
    batch->last_id = event->book_update_id;
    for (size_t index = 0; index < event->level_count; index++) {
        const vb_sim_level_t *level = &event->levels[index];
        size_t at = 0;
        while (at < batch->count &&
               !(batch->levels[at].side == level->side && batch->levels[at].price == level->price))
            at++;
        if (at == batch->count) {
            if (batch->count == batch->capacity) {
                size_t capacity = batch->capacity ? 2 * batch->capacity : 64;
                vb_sim_level_t *levels = realloc (batch->levels, capacity * sizeof (*levels));
                assert (levels);
                batch->levels = levels;
                batch->capacity = capacity;
            }
            batch->count++;
        }
        batch->levels[at] = *level;
    }
}

static void
s_levels_json (bnsim_buf_t *buf, const bnsim_listing_t *listing, const vb_sim_level_t *levels,
               size_t count, vb_sim_side_t side)
{
    bool first = true;
    bnsim_buf_str (buf, "[");
    for (size_t index = 0; index < count; index++) {
        if (levels[index].side != side)
            continue;
        bnsim_buf_str (buf, first ? "[" : ",[");
        bnsim_buf_dec (buf, levels[index].price, listing->price_exponent);
        bnsim_buf_str (buf, ",");
        bnsim_buf_dec (buf, levels[index].qty, listing->qty_exponent);
        bnsim_buf_str (buf, "]");
        first = false;
    }
    bnsim_buf_str (buf, "]");
}

static void
s_batch_flush (bnsim_t *self, int index, bnsim_batch_t *batch, int speed_ms)
{
    if (batch->first_id == 0)
        return;
    bnsim_symbol_t *symbol = &self->symbols[index];
    if (symbol->subscribers[BNSIM_STREAM_DEPTH] > 0) {
        bnsim_buf_t *buf = &self->scratch;
        bnsim_buf_reset (buf);
        bnsim_buf_printf (buf,
                          "{\"e\":\"depthUpdate\",\"E\":%" PRId64 ",\"s\":\"%s\",\"U\":%" PRIu64
                          ",\"u\":%" PRIu64 ",\"b\":",
                          bnsim_now_ms (self), symbol->listing->symbol, batch->first_id,
                          batch->last_id);
        s_levels_json (buf, symbol->listing, batch->levels, batch->count, VB_SIM_BUY);
        bnsim_buf_str (buf, ",\"a\":");
        s_levels_json (buf, symbol->listing, batch->levels, batch->count, VB_SIM_SELL);
        bnsim_buf_str (buf, "}");
        s_publish (self, index, BNSIM_STREAM_DEPTH, s_match_speed, &speed_ms, buf->data,
                   buf->length);
    }
    batch->first_id = batch->last_id = 0;
    batch->count = 0;
}

//  --------------------------------------------------------------------------
//  Engine events.

static int
s_symbol_index (bnsim_t *self, const vb_sim_instrument_t *instrument)
{
    for (size_t index = 0; index < self->symbol_count; index++)
        if (self->symbols[index].instrument == instrument ||
            (instrument &&
             strcmp (self->symbols[index].instrument->symbol, instrument->symbol) == 0))
            return (int)index;
    return -1;
}

static void
s_book_ticker (bnsim_t *self, int index, uint64_t update_id)
{
    bnsim_symbol_t *symbol = &self->symbols[index];
    vb_sim_level_t bid = {VB_SIM_BUY, 0, 0}, ask = {VB_SIM_SELL, 0, 0};
    size_t bids = 0, asks = 0;
    vb_sim_engine_depth (self->engine, symbol->instrument, 1, &bid, &bids, &ask, &asks);
    if (!bids)
        bid.price = bid.qty = 0;
    if (!asks)
        ask.price = ask.qty = 0;
    if (bid.price == symbol->best_bid.price && bid.qty == symbol->best_bid.qty &&
        ask.price == symbol->best_ask.price && ask.qty == symbol->best_ask.qty)
        return;
    symbol->best_bid = bid;
    symbol->best_ask = ask;
    const bnsim_listing_t *listing = symbol->listing;
    bnsim_buf_t *buf = &self->scratch;
    bnsim_buf_reset (buf);
    bnsim_buf_printf (buf, "{\"u\":%" PRIu64 ",\"s\":\"%s\",\"b\":", update_id, listing->symbol);
    bnsim_buf_dec (buf, bid.price, listing->price_exponent);
    bnsim_buf_str (buf, ",\"B\":");
    bnsim_buf_dec (buf, bid.qty, listing->qty_exponent);
    bnsim_buf_str (buf, ",\"a\":");
    bnsim_buf_dec (buf, ask.price, listing->price_exponent);
    bnsim_buf_str (buf, ",\"A\":");
    bnsim_buf_dec (buf, ask.qty, listing->qty_exponent);
    bnsim_buf_str (buf, "}");
    s_publish (self, index, BNSIM_STREAM_BOOK_TICKER, NULL, NULL, buf->data, buf->length);
}

static void
s_trade (bnsim_t *self, int index, const vb_sim_event_t *event)
{
    bnsim_symbol_t *symbol = &self->symbols[index];
    const vb_sim_fill_t *fill = event->fill;
    if (!fill)
        return;
    const bnsim_listing_t *listing = symbol->listing;
    int64_t now = event->ts_ns / BNSIM_NS_PER_MS;
    bool buyer_maker = fill->side == VB_SIM_SELL;  //  The taker sold
    for (int pass = 0; pass < 2; pass++) {
        bnsim_stream_kind_t kind = pass ? BNSIM_STREAM_AGG_TRADE : BNSIM_STREAM_TRADE;
        if (symbol->subscribers[kind] <= 0)
            continue;
        bnsim_buf_t *buf = &self->scratch;
        bnsim_buf_reset (buf);
        if (pass)
            bnsim_buf_printf (
                buf,
                "{\"e\":\"aggTrade\",\"E\":%" PRId64 ",\"s\":\"%s\",\"a\":%" PRIu64 ",\"p\":", now,
                listing->symbol, fill->trade_id);
        else
            bnsim_buf_printf (
                buf,
                "{\"e\":\"trade\",\"E\":%" PRId64 ",\"s\":\"%s\",\"t\":%" PRIu64 ",\"p\":", now,
                listing->symbol, fill->trade_id);
        bnsim_buf_dec (buf, fill->price, listing->price_exponent);
        bnsim_buf_str (buf, ",\"q\":");
        bnsim_buf_dec (buf, fill->qty, listing->qty_exponent);
        if (pass)
            bnsim_buf_printf (buf, ",\"f\":%" PRIu64 ",\"l\":%" PRIu64, fill->trade_id,
                              fill->trade_id);
        bnsim_buf_printf (buf, ",\"T\":%" PRId64 ",\"m\":%s,\"M\":true}",
                          fill->ts_ns / BNSIM_NS_PER_MS, buyer_maker ? "true" : "false");
        s_publish (self, index, kind, NULL, NULL, buf->data, buf->length);
    }
}

static void
s_event (vb_sim_venue_t *venue, const vb_sim_event_t *event)
{
    bnsim_t *self = (bnsim_t *)venue;
    if (event->kind == VB_SIM_EVENT_BALANCE) {
        bnsim_user_balance (self, event);
        return;
    }
    int index = s_symbol_index (self, event->instrument);
    if (event->kind == VB_SIM_EVENT_ORDER) {
        bnsim_user_order (self, event);
        return;
    }
    if (index < 0 || index == self->replay_symbol)
        return;  //  Replay mode: the capture alone feeds the replayed symbol's streams
    if (event->kind == VB_SIM_EVENT_BOOK) {
        bnsim_symbol_t *symbol = &self->symbols[index];
        s_batch_add (&symbol->batch_fast, event);
        s_batch_add (&symbol->batch_slow, event);
        if (symbol->subscribers[BNSIM_STREAM_BOOK_TICKER] > 0)
            s_book_ticker (self, index, event->book_update_id);
    } else if (event->kind == VB_SIM_EVENT_TRADE)
        s_trade (self, index, event);
}

//  --------------------------------------------------------------------------
//  Periodic pushes: depth batches, partial depth, klines, mark price.

static void
s_partial (bnsim_t *self, int index, int speed_ms)
{
    bnsim_symbol_t *symbol = &self->symbols[index];
    vb_sim_level_t bids[S_PARTIAL_MAX], asks[S_PARTIAL_MAX];
    size_t bid_count = 0, ask_count = 0;
    uint64_t update_id = vb_sim_engine_depth (self->engine, symbol->instrument, S_PARTIAL_MAX, bids,
                                              &bid_count, asks, &ask_count);
    static const int depths[] = {5, 10, 20};
    for (size_t which = 0; which < 3; which++) {
        int levels = depths[which];
        bnsim_buf_t *buf = &self->scratch;
        bnsim_buf_reset (buf);
        bnsim_buf_printf (buf, "{\"lastUpdateId\":%" PRIu64 ",\"bids\":", update_id);
        s_levels_json (buf, symbol->listing, bids,
                       bid_count < (size_t)levels ? bid_count : (size_t)levels, VB_SIM_BUY);
        bnsim_buf_str (buf, ",\"asks\":");
        s_levels_json (buf, symbol->listing, asks,
                       ask_count < (size_t)levels ? ask_count : (size_t)levels, VB_SIM_SELL);
        bnsim_buf_str (buf, "}");
        for (size_t at = 0; at < self->conn_count; at++) {
            bnsim_conn_t *conn = self->conns[at];
            for (size_t s = 0; s < conn->stream_count; s++) {
                const bnsim_stream_t *stream = &conn->streams[s];
                if (stream->symbol == index && stream->kind == BNSIM_STREAM_PARTIAL &&
                    stream->levels == levels && stream->speed_ms == speed_ms)
                    s_send_to (self, conn, stream, buf->data, buf->length);
            }
        }
    }
}

static void
s_klines (bnsim_t *self, int index, int64_t now_ms, bool push_due, bool fast_due)
{
    bnsim_symbol_t *symbol = &self->symbols[index];
    for (int interval = 0; interval < BNSIM_INTERVAL_COUNT; interval++) {
        bool subscribed = false;
        for (size_t at = 0; at < self->conn_count && !subscribed; at++)
            for (size_t s = 0; s < self->conns[at]->stream_count; s++) {
                const bnsim_stream_t *stream = &self->conns[at]->streams[s];
                if (stream->symbol == index && stream->kind == BNSIM_STREAM_KLINE &&
                    stream->interval == interval) {
                    subscribed = true;
                    break;
                }
            }
        int64_t open_ms = bnsim_interval_open (interval, now_ms);
        int64_t last_open = symbol->kline_open_ms[interval];
        symbol->kline_open_ms[interval] = open_ms;
        if (!subscribed)
            continue;
        bool closed_now = last_open != 0 && last_open != open_ms;
        bool due = interval == 0 ? fast_due : push_due;
        if (!closed_now && !due)
            continue;
        for (int pass = closed_now ? 0 : 1; pass < 2; pass++) {
            bnsim_buf_t *buf = &self->scratch;
            bnsim_buf_reset (buf);
            if (!bnsim_kline_json (self, buf, symbol, interval, pass == 0 ? last_open : open_ms,
                                   true, pass == 0))
                continue;
            for (size_t at = 0; at < self->conn_count; at++) {
                bnsim_conn_t *conn = self->conns[at];
                for (size_t s = 0; s < conn->stream_count; s++) {
                    const bnsim_stream_t *stream = &conn->streams[s];
                    if (stream->symbol == index && stream->kind == BNSIM_STREAM_KLINE &&
                        stream->interval == interval)
                        s_send_to (self, conn, stream, buf->data, buf->length);
                }
            }
        }
    }
}

static void
s_mark (bnsim_t *self, int index, int speed_ms)
{
    bnsim_symbol_t *symbol = &self->symbols[index];
    int64_t mark, rate, next;
    bnsim_mark_price (self, symbol, &mark, &rate, &next);
    int32_t pe = symbol->listing->price_exponent;
    bnsim_buf_t *buf = &self->scratch;
    bnsim_buf_reset (buf);
    bnsim_buf_printf (buf, "{\"e\":\"markPriceUpdate\",\"E\":%" PRId64 ",\"s\":\"%s\",\"p\":",
                      bnsim_now_ms (self), symbol->listing->symbol);
    bnsim_buf_dec (buf, mark, pe);
    bnsim_buf_str (buf, ",\"i\":");
    bnsim_buf_dec (buf, mark, pe);
    bnsim_buf_str (buf, ",\"P\":");
    bnsim_buf_dec (buf, mark, pe);
    bnsim_buf_str (buf, ",\"r\":");
    bnsim_buf_dec (buf, rate, BNSIM_EXPONENT);
    bnsim_buf_printf (buf, ",\"T\":%" PRId64 "}", next);
    s_publish (self, index, BNSIM_STREAM_MARK_PRICE, s_match_speed, &speed_ms, buf->data,
               buf->length);
}

static bool
s_crossed (int64_t previous_ms, int64_t now_ms, int64_t period_ms)
{
    return s_floor_div (previous_ms, period_ms) != s_floor_div (now_ms, period_ms);
}

static void
s_tick (vb_sim_venue_t *venue, int64_t now_ns)
{
    bnsim_t *self = (bnsim_t *)venue;
    int64_t now_ms = now_ns / BNSIM_NS_PER_MS;
    int64_t previous = self->last_tick_ms ? self->last_tick_ms : now_ms - S_TICK_MS;
    self->last_tick_ms = now_ms;
    bool slow = s_crossed (previous, now_ms, S_SLOW_MS);
    bool kline = s_crossed (previous, now_ms, S_KLINE_PUSH_MS);
    bool mark_slow = s_crossed (previous, now_ms, S_MARK_SLOW_MS);
    for (size_t index = 0; index < self->symbol_count; index++) {
        bnsim_symbol_t *symbol = &self->symbols[index];
        s_batch_flush (self, (int)index, &symbol->batch_fast, S_TICK_MS);
        if (slow)
            s_batch_flush (self, (int)index, &symbol->batch_slow, S_SLOW_MS);
        if (symbol->subscribers[BNSIM_STREAM_PARTIAL] > 0) {
            s_partial (self, (int)index, S_TICK_MS);
            if (slow)
                s_partial (self, (int)index, S_SLOW_MS);
        }
        s_klines (self, (int)index, now_ms, kline, slow);
        if (symbol->subscribers[BNSIM_STREAM_MARK_PRICE] > 0) {
            if (slow)
                s_mark (self, (int)index, S_MARK_FAST_MS);
            if (mark_slow)
                s_mark (self, (int)index, S_MARK_SLOW_MS);
        }
    }
    bnsim_replay_tick (self);
    bnsim_user_flush (self);
}

//  --------------------------------------------------------------------------
//  Connections.

static int
s_ws_open (vb_sim_venue_t *venue, vb_sim_conn_t *conn, const char *path, const char *query)
{
    bnsim_t *self = (bnsim_t *)venue;
    bnsim_conn_t *state = zmalloc (sizeof (bnsim_conn_t));
    state->conn = conn;
    snprintf (state->peer, sizeof (state->peer), "%s", vb_sim_conn_peer (conn));
    int rc = 0;
    if (strcmp (path, "/ws-api/v3") == 0)
        state->kind = BNSIM_CONN_WSAPI;
    else if (strcmp (path, "/ws") == 0 || strncmp (path, "/ws/", 4) == 0 ||
             strcmp (path, "/stream") == 0) {
        state->kind = BNSIM_CONN_STREAM;
        const char *list = NULL;
        char *decoded = NULL;
        if (strncmp (path, "/ws/", 4) == 0)
            list = path + 4;
        else if (strcmp (path, "/stream") == 0) {
            state->combined = true;
            const char *found = query ? strstr (query, "streams=") : NULL;
            if (found && (found == query || found[-1] == '&')) {
                found += strlen ("streams=");
                size_t length = strcspn (found, "&");
                decoded = zmalloc (length + 1);
                int written = bnsim_url_decode (found, length, decoded);
                if (written < 0)
                    rc = -1;
                else {
                    decoded[written] = 0;
                    list = decoded;
                }
            }
        }
        //  On /ws/ a path segment that is no stream name subscribes nothing:
        //  the venue opens the raw connection anyway (ccxt opens /ws/0 and
        //  then sends SUBSCRIBE). A combined list must hold only streams.
        bool raw = !state->combined;
        while (list && *list && rc == 0) {
            size_t length = strcspn (list, "/&");
            bnsim_stream_t stream;
            int parsed = s_stream_parse (self, list, length, &stream);
            if ((parsed && !raw) || (parsed == 0 && s_subscribe (self, state, &stream)))
                rc = -1;
            list += length;
            if (*list != '/')
                break;
            list++;
        }
        free (decoded);
    } else
        rc = -1;
    if (rc) {
        for (size_t index = 0; index < state->stream_count; index++)
            s_count (self, &state->streams[index], -1);
        free (state->streams);
        free (state);
        return -1;
    }
    if (self->conn_count == self->conn_capacity) {
        size_t capacity = self->conn_capacity ? 2 * self->conn_capacity : 16;
        bnsim_conn_t **conns = realloc (self->conns, capacity * sizeof (bnsim_conn_t *));
        assert (conns);
        self->conns = conns;
        self->conn_capacity = capacity;
    }
    self->conns[self->conn_count++] = state;
    vb_sim_conn_set_user (conn, state);
    return 0;
}

static void
s_ws_close (vb_sim_venue_t *venue, vb_sim_conn_t *conn)
{
    bnsim_t *self = (bnsim_t *)venue;
    bnsim_conn_t *state = vb_sim_conn_user (conn);
    if (!state)
        return;
    for (size_t index = 0; index < self->conn_count; index++)
        if (self->conns[index] == state) {
            self->conns[index] = self->conns[--self->conn_count];
            break;
        }
    for (size_t index = 0; index < state->stream_count; index++)
        s_count (self, &state->streams[index], -1);
    free (state->streams);
    free (state);
    vb_sim_conn_set_user (conn, NULL);
}

//  Reply on a stream connection: result or flat error, with the raw id.
static void
s_reply (bnsim_conn_t *conn, const char *json)
{
    vb_sim_conn_send (conn->conn, NULL, json, strlen (json));
}

//  The request id as raw JSON (number, checked string, or null) into out.
//  Returns 0 or -1 when the id is not one the venue accepts.
static int
s_request_id (vb_json_val_t *root, char *out, size_t size)
{
    vb_json_val_t id;
    snprintf (out, size, "null");
    if (vb_json_find (root, "id", &id) != 0)
        return 0;
    vb_json_type_t type = vb_json_type (&id);
    if (type == VB_JSON_NULL)
        return 0;
    if (type == VB_JSON_NUMBER) {
        uint64_t value;
        if (vb_json_uint64 (&id, &value))
            return -1;
        snprintf (out, size, "%" PRIu64, value);
        return 0;
    }
    if (type == VB_JSON_STRING) {
        const char *text;
        size_t length;
        if (vb_json_string (&id, &text, &length) || length == 0 || length > S_WS_ID_MAX)
            return -1;
        for (size_t index = 0; index < length; index++)
            if (!isalnum ((unsigned char)text[index]))
                return -1;
        snprintf (out, size, "\"%.*s\"", (int)length, text);
        return 0;
    }
    return -1;
}

static void
s_stream_message (bnsim_t *self, bnsim_conn_t *conn, const char *text, size_t length)
{
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, method, params;
    char reply[1024];
    char id[S_WS_ID_MAX + 8];
    if (vb_json_parse (json, text, length, &root) || vb_json_type (&root) != VB_JSON_OBJECT) {
        s_reply (conn, "{\"code\":3,\"msg\":\"Invalid JSON: expected value at line 1 column 1\"}");
        vb_json_destroy (&json);
        return;
    }
    if (s_request_id (&root, id, sizeof (id))) {
        s_reply (
            conn,
            "{\"code\":2,\"msg\":\"Invalid request: request ID must be an unsigned integer\"}");
        vb_json_destroy (&json);
        return;
    }
    const char *name = NULL;
    size_t name_length = 0;
    int found = vb_json_find (&root, "method", &method);
    int typed = found ? found : vb_json_string (&method, &name, &name_length);
    if (typed == VB_EINVAL) {
        //  The parser is lazy: a document broken after its start shows here
        s_reply (conn, "{\"code\":3,\"msg\":\"Invalid JSON: EOF while parsing a value\"}");
        vb_json_destroy (&json);
        return;
    }
    if (typed) {
        snprintf (reply, sizeof (reply),
                  "{\"code\":2,\"msg\":\"Invalid request: missing field `method` at line 1 column "
                  "%zu\",\"id\":%s}",
                  length, id);
        s_reply (conn, reply);
        vb_json_destroy (&json);
        return;
    }
    char method_name[32];
    snprintf (method_name, sizeof (method_name), "%.*s", (int)name_length, name);
    bool has_params =
        vb_json_find (&root, "params", &params) == 0 && vb_json_type (&params) == VB_JSON_ARRAY;
    if (strcmp (method_name, "SUBSCRIBE") == 0 || strcmp (method_name, "UNSUBSCRIBE") == 0) {
        bool subscribe = method_name[0] == 'S';
        vb_json_iter_t iter;
        vb_json_val_t item;
        int rc = has_params ? vb_json_array_begin (&params, &iter) : -1;
        const char *error = NULL;
        while (rc == 0 && (rc = vb_json_array_next (&iter, &item)) == 1) {
            rc = 0;
            const char *stream_name;
            size_t stream_length;
            bnsim_stream_t stream;
            if (vb_json_string (&item, &stream_name, &stream_length) ||
                s_stream_parse (self, stream_name, stream_length, &stream)) {
                error = "Invalid request: invalid stream name";
                break;
            }
            if (!subscribe)
                s_unsubscribe (self, conn, stream.name);
            else if (s_subscribe (self, conn, &stream)) {
                vb_json_destroy (&json);
                vb_sim_conn_close (conn->conn);  //  Over 1024 streams
                return;
            }
        }
        if (!error && rc < 0)
            error = "Invalid request: too many parameters";
        if (error)
            snprintf (reply, sizeof (reply), "{\"code\":2,\"msg\":\"%s\",\"id\":%s}", error, id);
        else
            snprintf (reply, sizeof (reply), "{\"result\":null,\"id\":%s}", id);
        s_reply (conn, reply);
    } else if (strcmp (method_name, "LIST_SUBSCRIPTIONS") == 0) {
        bnsim_buf_t buf = {0};
        bnsim_buf_str (&buf, "{\"result\":[");
        for (size_t index = 0; index < conn->stream_count; index++) {
            if (index)
                bnsim_buf_str (&buf, ",");
            bnsim_buf_json (&buf, conn->streams[index].name);
        }
        bnsim_buf_printf (&buf, "],\"id\":%s}", id);
        s_reply (conn, buf.data);
        bnsim_buf_free (&buf);
    } else if (strcmp (method_name, "SET_PROPERTY") == 0 ||
               strcmp (method_name, "GET_PROPERTY") == 0) {
        bool set = method_name[0] == 'S';
        vb_json_iter_t iter;
        vb_json_val_t property, value;
        const char *property_name = NULL;
        size_t property_length = 0;
        if (!has_params || vb_json_array_begin (&params, &iter) != 0 ||
            vb_json_array_next (&iter, &property) != 1 ||
            vb_json_string (&property, &property_name, &property_length))
            snprintf (reply, sizeof (reply),
                      "{\"code\":2,\"msg\":\"Invalid request: property name must be a "
                      "string\",\"id\":%s}",
                      id);
        else if (property_length != 8 || memcmp (property_name, "combined", 8) != 0)
            snprintf (reply, sizeof (reply), "{\"code\":0,\"msg\":\"Unknown property\",\"id\":%s}",
                      id);
        else if (!set)
            snprintf (reply, sizeof (reply), "{\"result\":%s,\"id\":%s}",
                      conn->combined ? "true" : "false", id);
        else {
            bool combined;
            if (vb_json_array_next (&iter, &value) != 1 || vb_json_bool (&value, &combined))
                snprintf (reply, sizeof (reply),
                          "{\"code\":1,\"msg\":\"Invalid value type: expected Boolean\"}");
            else {
                conn->combined = combined;
                snprintf (reply, sizeof (reply), "{\"result\":null,\"id\":%s}", id);
            }
        }
        s_reply (conn, reply);
    } else {
        snprintf (reply, sizeof (reply),
                  "{\"code\":2,\"msg\":\"Invalid request: unknown variant %s, expected one of "
                  "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, "
                  "`GET_PROPERTY` at line 1 column 28\",\"id\":%s}",
                  method_name[0] ? method_name : "``", id);
        s_reply (conn, reply);
    }
    vb_json_destroy (&json);
}

static void
s_ws_message (vb_sim_venue_t *venue, vb_sim_conn_t *conn, const char *text, size_t length)
{
    bnsim_t *self = (bnsim_t *)venue;
    bnsim_conn_t *state = vb_sim_conn_user (conn);
    if (!state)
        return;
    if (state->kind == BNSIM_CONN_WSAPI) {
        bnsim_wsapi_message (self, state, text, length);
        bnsim_user_flush (self);
        return;
    }
    //  5 incoming messages per second: the sixth in one second disconnects
    int64_t second = bnsim_now_ms (self) / BNSIM_MS_PER_S;
    if (second != state->rate_second) {
        state->rate_second = second;
        state->rate_count = 0;
    }
    if (++state->rate_count > BNSIM_WS_MSGS_PER_S) {
        vb_sim_count_violation (self->server, VB_SIM_VIOLATION_LIMIT);
        vb_sim_conn_close (conn);
        return;
    }
    s_stream_message (self, state, text, length);
}

//  --------------------------------------------------------------------------
//  Lifecycle.

static vb_sim_venue_t *s_create (vb_sim_engine_t *engine, vb_sim_server_t *server);
static void s_destroy (vb_sim_venue_t **self_p);

static void
s_http (vb_sim_venue_t *venue, const vb_sim_request_t *request, vb_sim_response_t *response)
{
    bnsim_t *self = (bnsim_t *)venue;
    bnsim_http (self, request, response);
    bnsim_user_flush (self);
}

static void
s_error_response (vb_sim_venue_t *venue, int status, vb_sim_response_t *response)
{
    bnsim_error_response ((bnsim_t *)venue, status, response);
}

const vb_sim_venue_ops_t vb_binance_sim_ops = {
    .name = "binance",
    .instruments = s_instruments,
    .create = s_create,
    .destroy = s_destroy,
    .http = s_http,
    .ws_open = s_ws_open,
    .ws_message = s_ws_message,
    .ws_close = s_ws_close,
    .event = s_event,
    .tick_ms = S_TICK_MS,
    .tick = s_tick,
    .error_response = s_error_response,
    .fee_policy = VB_SIM_FEE_RECEIVED,  //  Fees are charged in the asset received
};

static vb_sim_venue_t *
s_create (vb_sim_engine_t *engine, vb_sim_server_t *server)
{
    bnsim_t *self = zmalloc (sizeof (bnsim_t));
    self->base.ops = &vb_binance_sim_ops;
    self->engine = engine;
    self->server = server;
    self->id_state = UINT64_C (0x62696e616e6365);  //  "binance": ids are the same every run
    self->created_ms = vb_sim_engine_now_ns (engine) / BNSIM_NS_PER_MS;
    size_t count = vb_sim_engine_instrument_count (engine);
    for (size_t index = 0; index < count && self->symbol_count < BNSIM_SYMBOLS_MAX; index++) {
        const vb_sim_instrument_t *instrument = vb_sim_engine_instrument_at (engine, index);
        for (size_t at = 0; at < S_LISTING_COUNT; at++)
            if (strcmp (s_listings[at].normalised, instrument->symbol) == 0) {
                bnsim_symbol_t *symbol = &self->symbols[self->symbol_count++];
                symbol->listing = &s_listings[at];
                symbol->instrument = instrument;
                const vb_binance_symbol_t *entry = vb_binance_symbol_find (s_listings[at].symbol);
                snprintf (symbol->lower, sizeof (symbol->lower), "%s",
                          entry ? entry->symbol : s_listings[at].symbol);
                for (char *c = symbol->lower; *c; c++)
                    *c = (char)tolower ((unsigned char)*c);
            }
    }
    self->replay_symbol = -1;
    const char *replay = vb_sim_server_replay_path (server);
    if (replay) {
        //  Replay mode: the capture is its symbol's market (sim_replay.c)
        self->replay = bnsim_replay_new (replay);
        bnsim_symbol_t *symbol =
            self->replay ? bnsim_symbol (self, bnsim_replay_symbol (self->replay)) : NULL;
        if (!symbol) {
            if (self->replay)
                vb_log_error ("sim replay symbol=%s is not listed",
                              bnsim_replay_symbol (self->replay));
            vb_sim_venue_t *venue = &self->base;
            s_destroy (&venue);
            return NULL;
        }
        self->replay_symbol = (int)(symbol - self->symbols);
        vb_sim_engine_set_flow (engine, symbol->instrument, false);
    }
    return &self->base;
}

static void
s_destroy (vb_sim_venue_t **self_p)
{
    assert (self_p);
    bnsim_t *self = (bnsim_t *)*self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->conn_count; index++) {
        free (self->conns[index]->streams);
        free (self->conns[index]);
    }
    free (self->conns);
    for (size_t index = 0; index < self->symbol_count; index++) {
        free (self->symbols[index].batch_fast.levels);
        free (self->symbols[index].batch_slow.levels);
    }
    free (self->counters);
    free (self->positions);
    bnsim_buf_free (&self->scratch);
    bnsim_buf_free (&self->wrap);
    bnsim_replay_destroy (&self->replay);
    free (self);
    *self_p = NULL;
}
