/*  sim_rest.c — Binance simulator: REST routing, auth, rate limits, endpoints.

    Every response carries X-MBX-USED-WEIGHT-1M (the IP's weight in the
    current wall-clock minute, this request included); successful orders add
    X-MBX-ORDER-COUNT-10S and -1D. Limits (venues.md 1.7, fixed windows on
    wall-clock boundaries): REQUEST_WEIGHT 6000 per minute per IP (/fapi has
    its own 2400), ORDERS 50 per 10 s and 160000 per day per account.
    Ban rule: the first request that takes an IP over its weight in a minute
    gets 429 -1003 with Retry-After = seconds to the end of the minute. Any
    later request in that same minute while still over is a repeat offence:
    the IP is banned (418 -1003 "...IP banned until <ms>...") for 2 minutes,
    doubling with each further ban of that IP, at most 3 days, and never
    ending before the minute does. During a ban every request gets 418 with
    Retry-After = seconds left. Order-count breaches get 429 -1015 (the order
    is not placed and not counted).
    Signed endpoints (venues.md 1.5): X-MBX-APIKEY (absent or malformed ->
    401 -2014; unknown, IP not whitelisted or permission missing -> 401
    -2015), timestamp and signature mandatory (-1102), signature over query
    || body (-1022), recvWindow at most 60000 ms (-1102), timing -> -1021.
    Unknown paths get the venue's HTML 404 page; the retired listenKey
    endpoints (/api/v3/userDataStream, gone 2026-02-20) answer that way too.
    Parameters the venue has but the sim does not use are ignored.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include "vb_decimal.h"
#include "vb_error.h"
#include "auth.h"
#include "sim_binance.h"

#define S_WEIGHT_LIMIT        6000  //  REQUEST_WEIGHT per minute per IP
#define S_FAPI_WEIGHT_LIMIT   2400  //  USD-M futures REQUEST_WEIGHT per minute
#define S_ORDERS_10S_LIMIT    50
#define S_ORDERS_1D_LIMIT     160000
#define S_MINUTE_MS           INT64_C (60000)
#define S_TEN_SECONDS_MS      INT64_C (10000)
#define S_DAY_MS              INT64_C (86400000)
#define S_BAN_FIRST_MS        (2 * S_MINUTE_MS)
#define S_BAN_MAX_MS          (3 * S_DAY_MS)
#define S_DEPTH_DEFAULT       100
#define S_LIST_DEFAULT        500  //  trades, klines, allOrders, myTrades
#define S_LIST_MAX            1000
#define S_MAKER_COMMISSION    10  //  Basis points (the engine's default fee)
#define S_STATUS_BAD_REQUEST  400
#define S_STATUS_UNAUTHORIZED 401
#define S_STATUS_NOT_FOUND    404
#define S_STATUS_TEAPOT       418
#define S_STATUS_TOO_MANY     429
#define S_CLIENT_ID_MAX       36

#define S_DECIMAL_RANGE "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
#define S_INTEGER_RANGE "^[0-9]{1,20}$"

static const char s_not_found_page[] =
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not "
    "Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

//  --------------------------------------------------------------------------
//  Counters: per IP (weight) and per account (orders).

static bnsim_counter_t *s_counter (bnsim_t *self, const char *prefix, const char *name)
{
    char key[sizeof (((bnsim_counter_t *)0)->key)];
    snprintf (key, sizeof (key), "%s%s", prefix, name ? name : "");
    for (size_t index = 0; index < self->counter_count; index++)
        if (strcmp (self->counters[index].key, key) == 0)
            return &self->counters[index];
    if (self->counter_count == self->counter_capacity) {
        size_t capacity = self->counter_capacity ? 2 * self->counter_capacity : 16;
        bnsim_counter_t *counters = realloc (self->counters, capacity * sizeof (bnsim_counter_t));
        assert (counters);
        self->counters = counters;
        self->counter_capacity = capacity;
    }
    bnsim_counter_t *counter = &self->counters[self->counter_count++];
    memset (counter, 0, sizeof (*counter));
    snprintf (counter->key, sizeof (counter->key), "%s", key);
    return counter;
}

static int64_t s_seconds_until (int64_t now_ms, int64_t until_ms)
{
    int64_t left = until_ms - now_ms;
    return left <= 0 ? 1 : (left + BNSIM_MS_PER_S - 1) / BNSIM_MS_PER_S;
}

static int s_weight (bnsim_t *self, const char *prefix, int64_t limit, const char *peer,
                     int64_t weight, bnsim_error_t *error, int64_t *used)
{
    bnsim_counter_t *counter = s_counter (self, prefix, peer);
    int64_t now = bnsim_now_ms (self);
    int64_t window = now - (now % S_MINUTE_MS);
    if (window != counter->window_start_ms) {
        counter->window_start_ms = window;
        counter->used = 0;
        counter->warned = false;
    }
    counter->used += weight;
    *used = counter->used;
    if (counter->banned_until_ms > now) {
        bnsim_error_set (error, S_STATUS_TEAPOT, -1003,
                         "Way too much request weight used; IP banned until %" PRId64
                         ". Please use WebSocket Streams for live updates to avoid bans.",
                         counter->banned_until_ms);
        error->retry_after_s = s_seconds_until (now, counter->banned_until_ms);
        error->retry_at_ms = counter->banned_until_ms;
        return -1;
    }
    if (counter->used <= limit)
        return 0;
    if (!counter->warned) {
        counter->warned = true;
        bnsim_error_set (error, S_STATUS_TOO_MANY, -1003,
                         "Too much request weight used; current limit is %" PRId64
                         " request weight per 1 MINUTE. Please use WebSocket Streams for live "
                         "updates to avoid polling the API.",
                         limit);
        error->retry_after_s = s_seconds_until (now, window + S_MINUTE_MS);
        error->retry_at_ms = window + S_MINUTE_MS;
        return -1;
    }
    int64_t ban = S_BAN_FIRST_MS;
    for (int bans = 0; bans < counter->bans && ban < S_BAN_MAX_MS; bans++)
        ban *= 2;
    if (ban > S_BAN_MAX_MS)
        ban = S_BAN_MAX_MS;
    counter->bans++;
    counter->banned_until_ms = now + ban;
    if (counter->banned_until_ms < window + S_MINUTE_MS)
        counter->banned_until_ms = window + S_MINUTE_MS;
    bnsim_error_set (error, S_STATUS_TEAPOT, -1003,
                     "Way too much request weight used; IP banned until %" PRId64
                     ". Please use WebSocket Streams for live updates to avoid bans.",
                     counter->banned_until_ms);
    error->retry_after_s = s_seconds_until (now, counter->banned_until_ms);
    error->retry_at_ms = counter->banned_until_ms;
    return -1;
}

int bnsim_weight_take (bnsim_t *self, const char *peer, int64_t weight, bnsim_error_t *error,
                       int64_t *used)
{
    return s_weight (self, "ip:", S_WEIGHT_LIMIT, peer, weight, error, used);
}

int64_t bnsim_weight_used (bnsim_t *self, const char *peer)
{
    bnsim_counter_t *counter = s_counter (self, "ip:", peer);
    int64_t now = bnsim_now_ms (self);
    return counter->window_start_ms == now - (now % S_MINUTE_MS) ? counter->used : 0;
}

int bnsim_orders_take (bnsim_t *self, const char *account, bnsim_error_t *error, int64_t *count_10s,
                       int64_t *count_1d)
{
    bnsim_counter_t *counter = s_counter (self, "acct:", account);
    int64_t now = bnsim_now_ms (self);
    int64_t window = now - (now % S_TEN_SECONDS_MS);
    int64_t day = now - (now % S_DAY_MS);
    if (window != counter->window_start_ms) {
        counter->window_start_ms = window;
        counter->used = 0;
    }
    if (day != counter->day_start_ms) {
        counter->day_start_ms = day;
        counter->day_used = 0;
    }
    if (counter->used + 1 > S_ORDERS_10S_LIMIT) {
        bnsim_error_set (error, S_STATUS_TOO_MANY, -1015,
                         "Too many new orders; current limit is %d orders per 10 SECOND.",
                         S_ORDERS_10S_LIMIT);
        error->retry_after_s = s_seconds_until (now, window + S_TEN_SECONDS_MS);
        error->retry_at_ms = window + S_TEN_SECONDS_MS;
        return -1;
    }
    if (counter->day_used + 1 > S_ORDERS_1D_LIMIT) {
        bnsim_error_set (error, S_STATUS_TOO_MANY, -1015,
                         "Too many new orders; current limit is %d orders per DAY.",
                         S_ORDERS_1D_LIMIT);
        error->retry_after_s = s_seconds_until (now, day + S_DAY_MS);
        error->retry_at_ms = day + S_DAY_MS;
        return -1;
    }
    *count_10s = ++counter->used;
    *count_1d = ++counter->day_used;
    return 0;
}

//  --------------------------------------------------------------------------
//  Keys and timing.

vb_sim_key_t *bnsim_key_check (bnsim_t *self, const char *api_key, const char *peer,
                               bnsim_perm_t perm, bnsim_error_t *error)
{
    bool well_formed = api_key && *api_key && strlen (api_key) < VB_SIM_ID_MAX;
    for (const char *c = api_key; well_formed && *c; c++)
        well_formed = *c > ' ' && *c < 0x7f;
    if (!well_formed) {
        bnsim_error_set (error, S_STATUS_UNAUTHORIZED, -2014, "API-key format invalid.");
        return NULL;
    }
    vb_sim_key_t *key = vb_sim_engine_key (self->engine, api_key);
    bool allowed = key != NULL;
    if (key && key->ip_count > 0) {
        bool listed = false;
        for (size_t index = 0; index < key->ip_count && index < VB_SIM_IPS_MAX; index++)
            listed |= peer && strcmp (key->ips[index], peer) == 0;
        allowed = listed;
    }
    if (key && perm == BNSIM_PERM_READ && !(key->permissions & VB_SIM_PERM_READ))
        allowed = false;
    if (key && perm == BNSIM_PERM_TRADE && !(key->permissions & VB_SIM_PERM_TRADE))
        allowed = false;
    if (!allowed) {
        bnsim_error_set (error, S_STATUS_UNAUTHORIZED, -2015,
                         "Invalid API-key, IP, or permissions for action.");
        return NULL;
    }
    return key;
}

int bnsim_time_check (bnsim_t *self, const bnsim_params_t *params, bnsim_error_t *error)
{
    const char *text = bnsim_param (params, "timestamp");
    int64_t timestamp_us = 0, window_us = VB_BINANCE_RECV_WINDOW_DEFAULT_US;
    if (!text || vb_binance_parse_timestamp (text, strlen (text), &timestamp_us)) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1102,
                         "Mandatory parameter 'timestamp' was not sent, was empty/null, or "
                         "malformed.");
        return -1;
    }
    const char *window = bnsim_param (params, "recvWindow");
    if (window) {
        int rc = vb_binance_parse_recv_window (window, strlen (window), &window_us);
        if (rc == VB_ELIMIT) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1102,
                             "'recvWindow' contains unexpected value. Cannot be greater than "
                             "'60000'.");
            return -1;
        }
        if (rc) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                             "Illegal characters found in parameter 'recvWindow'; legal range "
                             "is '^[0-9]{1,9}(\\.[0-9]{1,3})?$'.");
            return -1;
        }
    }
    int64_t now_us = vb_sim_engine_now_ns (self->engine) / BNSIM_NS_PER_US;
    vb_binance_time_t verdict = vb_binance_timestamp_check (now_us, timestamp_us, window_us);
    if (verdict == VB_BINANCE_TIME_AHEAD) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1021,
                         "Timestamp for this request was 1000ms ahead of the server's time.");
        return -1;
    }
    if (verdict == VB_BINANCE_TIME_EXPIRED) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1021,
                         "Timestamp for this request is outside of the recvWindow.");
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Parameter helpers.

static void s_mandatory (bnsim_error_t *error, const char *name)
{
    bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1102,
                     "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", name);
}

//  The symbol parameter, checked. Returns the symbol or NULL with error set.
static bnsim_symbol_t *s_symbol_param (bnsim_t *self, const bnsim_params_t *params,
                                       bnsim_error_t *error)
{
    const char *text = bnsim_param (params, "symbol");
    if (!text) {
        s_mandatory (error, "symbol");
        return NULL;
    }
    size_t length = strlen (text);
    bool legal = length <= 20;
    for (size_t index = 0; legal && index < length; index++) {
        char c = text[index];
        legal =
            (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    }
    if (!legal) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                         "Illegal characters found in parameter 'symbol'; legal range is "
                         "'^[A-Z0-9-_.]{1,20}$'.");
        return NULL;
    }
    bnsim_symbol_t *symbol = bnsim_symbol (self, text);
    if (!symbol)
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1121, "Invalid symbol.");
    return symbol;
}

//  An optional unsigned integer parameter. Returns 0 (absent: *value kept),
//  or -1 with error set.
static int s_integer_param (const bnsim_params_t *params, const char *name, int64_t *value,
                            bnsim_error_t *error)
{
    const char *text = bnsim_param (params, name);
    if (!text)
        return 0;
    size_t length = strlen (text);
    bool legal = length > 0 && length <= 18;
    for (size_t index = 0; legal && index < length; index++)
        legal = text[index] >= '0' && text[index] <= '9';
    if (!legal) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                         "Illegal characters found in parameter '%s'; legal range is '%s'.", name,
                         S_INTEGER_RANGE);
        return -1;
    }
    *value = strtoll (text, NULL, 10);
    return 0;
}

static int s_limit_param (const bnsim_params_t *params, int64_t fallback, int64_t max,
                          int64_t *limit, bnsim_error_t *error)
{
    *limit = fallback;
    if (s_integer_param (params, "limit", limit, error))
        return -1;
    if (*limit <= 0)
        *limit = fallback;
    if (*limit > max)
        *limit = max;
    return 0;
}

//  A decimal parameter at the instrument exponent. Returns 1 when absent, 0
//  when parsed into *units, or -1 with error set. Binance rejects more than
//  8 decimals (-1111) and leaves off-step values to the filters: those give
//  *off_step = true with *units truncated.
static int s_decimal_param (const bnsim_params_t *params, const char *name, int32_t exponent,
                            int64_t *units, bool *off_step, bnsim_error_t *error)
{
    const char *text = bnsim_param (params, name);
    if (!text)
        return 1;
    size_t length = strlen (text);
    bool legal = length > 0 && length <= 41;
    int dots = 0;
    for (size_t index = 0; legal && index < length; index++) {
        if (text[index] == '.')
            dots++;
        else
            legal = text[index] >= '0' && text[index] <= '9';
    }
    vb_decimal_t value;
    if (!legal || dots > 1 || text[0] == '.' || text[length - 1] == '.' ||
        vb_decimal_parse (text, length, &value)) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                         "Illegal characters found in parameter '%s'; legal range is '%s'.", name,
                         S_DECIMAL_RANGE);
        return -1;
    }
    vb_decimal_t scaled;
    if (vb_decimal_rescale (value, BNSIM_EXPONENT, &scaled) == VB_EINVAL) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1111,
                         "Parameter '%s' has too much precision.", name);
        return -1;
    }
    *off_step = false;
    int rc = vb_decimal_rescale (value, exponent, &scaled);
    if (rc == VB_EINVAL) {
        //  Finer than the instrument: truncate and flag for the filter
        vb_decimal_t truncated = value;
        while (truncated.exponent < exponent) {
            truncated.mantissa /= 10;
            truncated.exponent++;
        }
        rc = vb_decimal_rescale (truncated, exponent, &scaled);
        *off_step = true;
    }
    if (rc) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1108, "Parameter '%s' overflowed.", name);
        return -1;
    }
    *units = scaled.mantissa;
    return 0;
}

static const char *s_status_text (vb_sim_status_t status)
{
    switch (status) {
        case VB_SIM_NEW:
            return "NEW";
        case VB_SIM_PARTIALLY_FILLED:
            return "PARTIALLY_FILLED";
        case VB_SIM_FILLED:
            return "FILLED";
        case VB_SIM_CANCELED:
            return "CANCELED";
        case VB_SIM_REJECTED:
            return "REJECTED";
        case VB_SIM_EXPIRED:
            return "EXPIRED";
    }
    return "NEW";
}

static const char *s_type_text (const vb_sim_order_t *order)
{
    if (order->type == VB_SIM_MARKET)
        return "MARKET";
    return order->post_only ? "LIMIT_MAKER" : "LIMIT";
}

static const char *s_tif_text (vb_sim_tif_t tif)
{
    return tif == VB_SIM_IOC ? "IOC" : tif == VB_SIM_FOK ? "FOK" : "GTC";
}

static bool s_open (const vb_sim_order_t *order)
{
    return order->status == VB_SIM_NEW || order->status == VB_SIM_PARTIALLY_FILLED;
}

static bnsim_symbol_t *s_order_symbol (bnsim_t *self, const vb_sim_order_t *order)
{
    for (size_t index = 0; index < self->symbol_count; index++)
        if (strcmp (self->symbols[index].instrument->symbol, order->instrument->symbol) == 0)
            return &self->symbols[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Order JSON.

//  price, origQty, executedQty, [origQuoteOrderQty,] cummulativeQuoteQty,
//  status, timeInForce, type, side.
static void s_order_core (bnsim_buf_t *out, const bnsim_listing_t *listing,
                          const vb_sim_order_t *order, bool quote_order_qty_first,
                          int64_t quote_order_qty)
{
    int32_t pe = listing->price_exponent, qe = listing->qty_exponent;
    bnsim_buf_str (out, ",\"price\":");
    bnsim_buf_dec (out, order->price, pe);
    bnsim_buf_str (out, ",\"origQty\":");
    bnsim_buf_dec (out, order->qty, qe);
    bnsim_buf_str (out, ",\"executedQty\":");
    bnsim_buf_dec (out, order->filled, qe);
    if (quote_order_qty_first) {
        bnsim_buf_str (out, ",\"origQuoteOrderQty\":");
        bnsim_buf_dec (out, quote_order_qty, pe + qe);
    }
    bnsim_buf_str (out, ",\"cummulativeQuoteQty\":");
    bnsim_buf_dec (out, order->filled_notional, pe + qe);
    bnsim_buf_printf (out,
                      ",\"status\":\"%s\",\"timeInForce\":\"%s\",\"type\":\"%s\",\"side\":\"%s\"",
                      s_status_text (order->status), s_tif_text (order->tif), s_type_text (order),
                      order->side == VB_SIM_BUY ? "BUY" : "SELL");
}

//  The query shape (GET /api/v3/order, openOrders, allOrders).
static void s_order_json (bnsim_buf_t *out, const bnsim_listing_t *listing,
                          const vb_sim_order_t *order)
{
    bnsim_buf_printf (
        out, "{\"symbol\":\"%s\",\"orderId\":%" PRIu64 ",\"orderListId\":-1,\"clientOrderId\":",
        listing->symbol, order->order_id);
    bnsim_buf_json (out, order->client_id);
    s_order_core (out, listing, order, false, 0);
    bnsim_buf_str (out, ",\"stopPrice\":");
    bnsim_buf_dec (out, 0, 0);
    bnsim_buf_str (out, ",\"icebergQty\":");
    bnsim_buf_dec (out, 0, 0);
    int64_t created = order->created_ns / BNSIM_NS_PER_MS;
    bnsim_buf_printf (out,
                      ",\"time\":%" PRId64 ",\"updateTime\":%" PRId64 ",\"isWorking\":%s,"
                      "\"workingTime\":%" PRId64 ",\"origQuoteOrderQty\":",
                      created, order->updated_ns / BNSIM_NS_PER_MS,
                      order->type == VB_SIM_LIMIT ? "true" : "false", created);
    bnsim_buf_dec (out, 0, 0);
    bnsim_buf_str (out, ",\"selfTradePreventionMode\":\"NONE\"}");
}

//  The cancel shape.
static void s_cancel_json (bnsim_buf_t *out, const bnsim_listing_t *listing,
                           const vb_sim_order_t *order, const char *cancel_id, int64_t now_ms)
{
    bnsim_buf_printf (out, "{\"symbol\":\"%s\",\"origClientOrderId\":", listing->symbol);
    bnsim_buf_json (out, order->client_id);
    bnsim_buf_printf (
        out, ",\"orderId\":%" PRIu64 ",\"orderListId\":-1,\"clientOrderId\":", order->order_id);
    bnsim_buf_json (out, cancel_id);
    bnsim_buf_printf (out, ",\"transactTime\":%" PRId64, now_ms);
    s_order_core (out, listing, order, true, 0);
    bnsim_buf_str (out, ",\"selfTradePreventionMode\":\"NONE\"}");
}

//  --------------------------------------------------------------------------
//  Orders (shared with the WS API).

//  The quantity a quoteOrderQty market order buys or sells: walk the
//  opposite side spending up to `quote` (at 10^(pe+qe)), whole lots only.
static int64_t s_quote_walk (bnsim_t *self, bnsim_symbol_t *symbol, vb_sim_side_t side,
                             int64_t quote, bool *empty)
{
    size_t count = 0;
    vb_sim_level_t *levels = zmalloc (BNSIM_DEPTH_LEVELS_MAX * sizeof (vb_sim_level_t));
    if (side == VB_SIM_BUY)
        vb_sim_engine_depth (self->engine, symbol->instrument, BNSIM_DEPTH_LEVELS_MAX, NULL, NULL,
                             levels, &count);
    else
        vb_sim_engine_depth (self->engine, symbol->instrument, BNSIM_DEPTH_LEVELS_MAX, levels,
                             &count, NULL, NULL);
    *empty = count == 0;
    int64_t qty = 0, lot = symbol->listing->lot;
    for (size_t index = 0; index < count && quote > 0; index++) {
        int64_t price = levels[index].price;
        if (price <= 0)
            break;
        int64_t affordable = quote / price;
        int64_t take = affordable < levels[index].qty ? affordable : levels[index].qty;
        take -= take % lot;
        qty += take;
        quote -= take * price;
        if (take < levels[index].qty)
            break;
    }
    free (levels);
    return qty;
}

int bnsim_order_place (bnsim_t *self, const char *account, const bnsim_params_t *params,
                       bool test_only, bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = s_symbol_param (self, params, error);
    if (!symbol)
        return -1;
    const bnsim_listing_t *listing = symbol->listing;
    const char *side_text = bnsim_param (params, "side");
    const char *type_text = bnsim_param (params, "type");
    if (!side_text) {
        s_mandatory (error, "side");
        return -1;
    }
    if (!type_text) {
        s_mandatory (error, "type");
        return -1;
    }
    vb_sim_order_req_t request = {0};
    if (strcmp (side_text, "BUY") == 0)
        request.side = VB_SIM_BUY;
    else if (strcmp (side_text, "SELL") == 0)
        request.side = VB_SIM_SELL;
    else {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                         "Illegal characters found in parameter 'side'; legal range is 'BUY, "
                         "SELL'.");
        return -1;
    }
    static const char *const unsupported[][2] = {
        {"STOP_LOSS", "Stop loss orders are not supported for this symbol."},
        {"STOP_LOSS_LIMIT", "Stop loss limit orders are not supported for this symbol."},
        {"TAKE_PROFIT", "Take profit orders are not supported for this symbol."},
        {"TAKE_PROFIT_LIMIT", "Take profit limit orders are not supported for this symbol."},
    };
    if (strcmp (type_text, "LIMIT") == 0)
        request.type = VB_SIM_LIMIT;
    else if (strcmp (type_text, "LIMIT_MAKER") == 0) {
        request.type = VB_SIM_LIMIT;
        request.post_only = true;
    } else if (strcmp (type_text, "MARKET") == 0)
        request.type = VB_SIM_MARKET;
    else {
        for (size_t index = 0; index < sizeof (unsupported) / sizeof (unsupported[0]); index++)
            if (strcmp (type_text, unsupported[index][0]) == 0) {
                bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2010, "%s", unsupported[index][1]);
                return -1;
            }
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                         "Illegal characters found in parameter 'type'; legal range is 'LIMIT, "
                         "MARKET, STOP_LOSS, STOP_LOSS_LIMIT, TAKE_PROFIT, TAKE_PROFIT_LIMIT, "
                         "LIMIT_MAKER'.");
        return -1;
    }
    const char *tif_text = bnsim_param (params, "timeInForce");
    bool limit = request.type == VB_SIM_LIMIT && !request.post_only;
    if (limit && !tif_text) {
        s_mandatory (error, "timeInForce");
        return -1;
    }
    if (!limit && tif_text) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1106,
                         "Parameter 'timeInForce' sent when not required.");
        return -1;
    }
    request.tif = VB_SIM_GTC;
    if (tif_text) {
        if (strcmp (tif_text, "GTC") == 0)
            request.tif = VB_SIM_GTC;
        else if (strcmp (tif_text, "IOC") == 0)
            request.tif = VB_SIM_IOC;
        else if (strcmp (tif_text, "FOK") == 0)
            request.tif = VB_SIM_FOK;
        else {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                             "Illegal characters found in parameter 'timeInForce'; legal range "
                             "is 'GTC, IOC, FOK'.");
            return -1;
        }
    }
    bool price_off = false, qty_off = false, quote_off = false;
    int price_rc = s_decimal_param (params, "price", listing->price_exponent, &request.price,
                                    &price_off, error);
    if (price_rc < 0)
        return -1;
    int qty_rc =
        s_decimal_param (params, "quantity", listing->qty_exponent, &request.qty, &qty_off, error);
    if (qty_rc < 0)
        return -1;
    int64_t quote_qty = 0;
    int quote_rc =
        s_decimal_param (params, "quoteOrderQty", listing->price_exponent + listing->qty_exponent,
                         &quote_qty, &quote_off, error);
    if (quote_rc < 0)
        return -1;
    if (request.type == VB_SIM_MARKET) {
        if (price_rc == 0) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1106,
                             "Parameter 'price' sent when not required.");
            return -1;
        }
        if (qty_rc == 1 && quote_rc == 1) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1102,
                             "Param 'quantity' or 'quoteOrderQty' must be sent, but both were "
                             "empty/null!");
            return -1;
        }
        if (qty_rc == 0 && quote_rc == 0) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1106,
                             "Parameter 'quoteOrderQty' sent when not required.");
            return -1;
        }
    } else {
        if (qty_rc == 1) {
            s_mandatory (error, "quantity");
            return -1;
        }
        if (price_rc == 1) {
            s_mandatory (error, "price");
            return -1;
        }
        if (quote_rc == 0) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1106,
                             "Parameter 'quoteOrderQty' sent when not required.");
            return -1;
        }
    }
    char client_id[VB_SIM_ID_MAX];
    const char *given_id = bnsim_param (params, "newClientOrderId");
    if (given_id) {
        size_t length = strlen (given_id);
        bool legal = length >= 1 && length <= S_CLIENT_ID_MAX;
        for (size_t index = 0; legal && index < length; index++)
            legal = isalnum ((unsigned char)given_id[index]) || given_id[index] == '-' ||
                    given_id[index] == '_';
        if (!legal) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                             "Illegal characters found in parameter 'newClientOrderId'; legal "
                             "range is '^[a-zA-Z0-9-_]{1,36}$'.");
            return -1;
        }
        snprintf (client_id, sizeof (client_id), "%s", given_id);
    } else
        bnsim_client_id (self, client_id, sizeof (client_id));
    request.client_id = client_id;
    const char *resp_text = bnsim_param (params, "newOrderRespType");
    enum { S_ACK, S_RESULT, S_FULL } resp = request.post_only ? S_ACK : S_FULL;
    if (resp_text) {
        if (strcmp (resp_text, "ACK") == 0)
            resp = S_ACK;
        else if (strcmp (resp_text, "RESULT") == 0)
            resp = S_RESULT;
        else if (strcmp (resp_text, "FULL") == 0)
            resp = S_FULL;
        else {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                             "Illegal characters found in parameter 'newOrderRespType'; legal "
                             "range is 'ACK, RESULT, FULL'.");
            return -1;
        }
    }
    //  Filters, in the venue's order
    if (request.type == VB_SIM_LIMIT &&
        (price_off || request.price < listing->min_price || request.price > listing->max_price ||
         request.price % listing->tick != 0)) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1013, "Filter failure: PRICE_FILTER");
        return -1;
    }
    if (quote_rc == 0) {
        if (quote_off || quote_qty <= 0) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1013, "Filter failure: NOTIONAL");
            return -1;
        }
        bool empty = false;
        request.qty = s_quote_walk (self, symbol, request.side, quote_qty, &empty);
        if (empty) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2010,
                             "Order book liquidity is less than symbol minimum quantity.");
            return -1;
        }
        if (request.qty < listing->min_qty) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2010,
                             "Order book liquidity is less than `LOT_SIZE` filter minimum "
                             "quantity.");
            return -1;
        }
    }
    if (qty_off || request.qty < listing->min_qty || request.qty > listing->max_qty ||
        request.qty % listing->lot != 0) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1013, "Filter failure: LOT_SIZE");
        return -1;
    }
    if (request.type == VB_SIM_LIMIT) {
        __int128 notional = (__int128)request.price * request.qty;
        if (notional < listing->min_notional || notional > listing->max_notional) {
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1013, "Filter failure: NOTIONAL");
            return -1;
        }
    }
    if (test_only) {
        bnsim_buf_str (out, "{}");
        return 0;
    }
    vb_sim_order_t order;
    memset (&order, 0, sizeof (order));
    vb_sim_result_t result =
        vb_sim_engine_place (self->engine, account, symbol->instrument, &request, &order);
    switch (result) {
        case VB_SIM_OK:
        case VB_SIM_ERR_FOK_UNFILLABLE:  //  Accepted, then EXPIRED
            break;
        case VB_SIM_ERR_UNKNOWN_SYMBOL:
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1121, "Invalid symbol.");
            return -1;
        case VB_SIM_ERR_INSUFFICIENT_BALANCE:
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2010,
                             "Account has insufficient balance for requested action.");
            return -1;
        case VB_SIM_ERR_DUPLICATE_CLIENT_ID:
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2010, "Duplicate order sent.");
            return -1;
        case VB_SIM_ERR_PRICE_FILTER:
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1013, "Filter failure: PRICE_FILTER");
            return -1;
        case VB_SIM_ERR_LOT_SIZE:
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1013, "Filter failure: LOT_SIZE");
            return -1;
        case VB_SIM_ERR_MIN_NOTIONAL:
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1013, "Filter failure: NOTIONAL");
            return -1;
        case VB_SIM_ERR_POST_ONLY_WOULD_TAKE:
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2010,
                             "Order would immediately match and take.");
            return -1;
        case VB_SIM_ERR_NO_LIQUIDITY:
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2010,
                             "Order book liquidity is less than symbol minimum quantity.");
            return -1;
        case VB_SIM_ERR_UNKNOWN_ACCOUNT:
            bnsim_error_set (error, S_STATUS_UNAUTHORIZED, -2015,
                             "Invalid API-key, IP, or permissions for action.");
            return -1;
        case VB_SIM_ERR_UNKNOWN_ORDER:
        case VB_SIM_ERR_INVALID:
        default:
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2010, "Unsupported order combination");
            return -1;
    }
    int64_t transact = order.created_ns / BNSIM_NS_PER_MS;
    bnsim_buf_printf (
        out, "{\"symbol\":\"%s\",\"orderId\":%" PRIu64 ",\"orderListId\":-1,\"clientOrderId\":",
        listing->symbol, order.order_id);
    bnsim_buf_json (out, order.client_id);
    bnsim_buf_printf (out, ",\"transactTime\":%" PRId64, transact);
    if (resp == S_ACK) {
        bnsim_buf_str (out, "}");
        return 0;
    }
    s_order_core (out, listing, &order, true, quote_rc == 0 ? quote_qty : 0);
    bnsim_buf_printf (out, ",\"workingTime\":%" PRId64 ",\"selfTradePreventionMode\":\"NONE\"",
                      order.type == VB_SIM_LIMIT ? transact : -1);
    if (resp == S_FULL) {
        bnsim_buf_str (out, ",\"fills\":[");
        bool first = true;
        for (size_t index = 0;; index++) {
            const vb_sim_fill_t *fill =
                vb_sim_engine_fill_at (self->engine, account, symbol->instrument, index);
            if (!fill)
                break;
            if (fill->order_id != order.order_id)
                continue;
            bnsim_buf_str (out, first ? "{\"price\":" : ",{\"price\":");
            bnsim_buf_dec (out, fill->price, listing->price_exponent);
            bnsim_buf_str (out, ",\"qty\":");
            bnsim_buf_dec (out, fill->qty, listing->qty_exponent);
            bnsim_buf_str (out, ",\"commission\":");
            bnsim_buf_dec (out, fill->fee, listing->price_exponent + listing->qty_exponent);
            bnsim_buf_printf (out, ",\"commissionAsset\":\"%s\",\"tradeId\":%" PRIu64 "}",
                              listing->quote, fill->trade_id);
            first = false;
        }
        bnsim_buf_str (out, "]");
    }
    bnsim_buf_str (out, "}");
    return 0;
}

//  The order a query or cancel names (orderId or origClientOrderId), or
//  NULL: sets *named false when neither was sent.
static const vb_sim_order_t *s_named_order (bnsim_t *self, const char *account,
                                            bnsim_symbol_t *symbol, const bnsim_params_t *params,
                                            bool *named, bnsim_error_t *error)
{
    int64_t order_id = 0;
    if (s_integer_param (params, "orderId", &order_id, error))
        return NULL;
    const char *client_id = bnsim_param (params, "origClientOrderId");
    *named = order_id > 0 || client_id;
    if (!*named) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1102,
                         "Param 'origClientOrderId' or 'orderId' must be sent, but both were "
                         "empty/null!");
        return NULL;
    }
    const vb_sim_order_t *order = vb_sim_engine_order (self->engine, account, (uint64_t)order_id,
                                                       order_id ? NULL : client_id);
    if (order && order_id && client_id && strcmp (order->client_id, client_id) != 0)
        order = NULL;
    if (order && strcmp (order->instrument->symbol, symbol->instrument->symbol) != 0)
        order = NULL;
    return order;
}

int bnsim_order_query (bnsim_t *self, const char *account, const bnsim_params_t *params,
                       bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = s_symbol_param (self, params, error);
    if (!symbol)
        return -1;
    bool named = false;
    const vb_sim_order_t *order = s_named_order (self, account, symbol, params, &named, error);
    if (!order) {
        if (named && error->code == 0)
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2013, "Order does not exist.");
        return -1;
    }
    s_order_json (out, symbol->listing, order);
    return 0;
}

//  Cancel one open order with a cancel client id; writes the cancel shape.
static int s_cancel_one (bnsim_t *self, const char *account, bnsim_symbol_t *symbol,
                         uint64_t order_id, const char *cancel_id, bnsim_buf_t *out,
                         bnsim_error_t *error)
{
    self->canceling_order = order_id;
    snprintf (self->cancel_client_id, sizeof (self->cancel_client_id), "%s", cancel_id);
    vb_sim_order_t canceled;
    vb_sim_result_t result =
        vb_sim_engine_cancel (self->engine, account, symbol->instrument, order_id, NULL, &canceled);
    self->canceling_order = 0;
    self->cancel_client_id[0] = 0;
    if (result != VB_SIM_OK) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2011, "Unknown order sent.");
        return -1;
    }
    s_cancel_json (out, symbol->listing, &canceled, cancel_id, bnsim_now_ms (self));
    return 0;
}

int bnsim_order_cancel (bnsim_t *self, const char *account, const bnsim_params_t *params,
                        bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = s_symbol_param (self, params, error);
    if (!symbol)
        return -1;
    const char *restriction = bnsim_param (params, "cancelRestrictions");
    if (restriction && strcmp (restriction, "ONLY_NEW") != 0 &&
        strcmp (restriction, "ONLY_PARTIALLY_FILLED") != 0) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1145,
                         "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED.");
        return -1;
    }
    bool named = false;
    const vb_sim_order_t *order = s_named_order (self, account, symbol, params, &named, error);
    if (!order || !s_open (order)) {
        if (named && (error->code == 0 || order))
            bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2011, "Unknown order sent.");
        return -1;
    }
    if (restriction && ((strcmp (restriction, "ONLY_NEW") == 0 && order->status != VB_SIM_NEW) ||
                        (strcmp (restriction, "ONLY_PARTIALLY_FILLED") == 0 &&
                         order->status != VB_SIM_PARTIALLY_FILLED))) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2011,
                         "Order was not canceled due to cancel restrictions.");
        return -1;
    }
    char cancel_id[VB_SIM_ID_MAX];
    const char *given = bnsim_param (params, "newClientOrderId");
    if (given)
        snprintf (cancel_id, sizeof (cancel_id), "%s", given);
    else
        bnsim_client_id (self, cancel_id, sizeof (cancel_id));
    return s_cancel_one (self, account, symbol, order->order_id, cancel_id, out, error);
}

int bnsim_open_orders (bnsim_t *self, const char *account, const bnsim_params_t *params,
                       bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = NULL;
    if (bnsim_param (params, "symbol")) {
        symbol = s_symbol_param (self, params, error);
        if (!symbol)
            return -1;
    }
    bnsim_buf_str (out, "[");
    bool first = true;
    for (size_t index = 0;; index++) {
        const vb_sim_order_t *order = vb_sim_engine_order_at (
            self->engine, account, symbol ? symbol->instrument : NULL, true, index);
        if (!order)
            break;
        bnsim_symbol_t *owner = symbol ? symbol : s_order_symbol (self, order);
        if (!owner || !s_open (order))
            continue;
        if (!first)
            bnsim_buf_str (out, ",");
        s_order_json (out, owner->listing, order);
        first = false;
    }
    bnsim_buf_str (out, "]");
    return 0;
}

static int s_cancel_all (bnsim_t *self, const char *account, const bnsim_params_t *params,
                         bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = s_symbol_param (self, params, error);
    if (!symbol)
        return -1;
    //  Collect first: canceling changes the list
    uint64_t *ids = NULL;
    size_t count = 0;
    for (size_t index = 0;; index++) {
        const vb_sim_order_t *order =
            vb_sim_engine_order_at (self->engine, account, symbol->instrument, true, index);
        if (!order)
            break;
        if (!s_open (order))
            continue;
        uint64_t *grown = realloc (ids, (count + 1) * sizeof (uint64_t));
        assert (grown);
        ids = grown;
        ids[count++] = order->order_id;
    }
    if (count == 0) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -2011, "Unknown order sent.");
        return -1;
    }
    bnsim_buf_str (out, "[");
    size_t written = 0;
    for (size_t index = 0; index < count; index++) {
        char cancel_id[VB_SIM_ID_MAX];
        bnsim_client_id (self, cancel_id, sizeof (cancel_id));
        bnsim_buf_t one = {0};
        bnsim_error_t ignored = {0};
        if (s_cancel_one (self, account, symbol, ids[index], cancel_id, &one, &ignored) == 0) {
            if (written++)
                bnsim_buf_str (out, ",");
            bnsim_buf_add (out, one.data, one.length);
        }
        bnsim_buf_free (&one);
    }
    bnsim_buf_str (out, "]");
    free (ids);
    return 0;
}

static int s_all_orders (bnsim_t *self, const char *account, const bnsim_params_t *params,
                         bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = s_symbol_param (self, params, error);
    if (!symbol)
        return -1;
    int64_t from_id = 0, start = 0, end = INT64_MAX, limit;
    if (s_integer_param (params, "orderId", &from_id, error) ||
        s_integer_param (params, "startTime", &start, error) ||
        s_integer_param (params, "endTime", &end, error) ||
        s_limit_param (params, S_LIST_DEFAULT, S_LIST_MAX, &limit, error))
        return -1;
    bnsim_buf_str (out, "[");
    int64_t written = 0;
    for (size_t index = 0; written < limit; index++) {
        const vb_sim_order_t *order =
            vb_sim_engine_order_at (self->engine, account, symbol->instrument, false, index);
        if (!order)
            break;
        int64_t created = order->created_ns / BNSIM_NS_PER_MS;
        if ((int64_t)order->order_id < from_id || created < start || created > end)
            continue;
        if (written++)
            bnsim_buf_str (out, ",");
        s_order_json (out, symbol->listing, order);
    }
    bnsim_buf_str (out, "]");
    return 0;
}

static int s_my_trades (bnsim_t *self, const char *account, const bnsim_params_t *params,
                        bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = s_symbol_param (self, params, error);
    if (!symbol)
        return -1;
    int64_t order_id = 0, from_id = -1, start = 0, end = INT64_MAX, limit;
    if (s_integer_param (params, "orderId", &order_id, error) ||
        s_integer_param (params, "fromId", &from_id, error) ||
        s_integer_param (params, "startTime", &start, error) ||
        s_integer_param (params, "endTime", &end, error) ||
        s_limit_param (params, S_LIST_DEFAULT, S_LIST_MAX, &limit, error))
        return -1;
    //  Matching fills, oldest first; without fromId the newest `limit`
    size_t matching = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        size_t skip = 0, written = 0;
        if (pass == 1) {
            bnsim_buf_str (out, "[");
            if (from_id < 0 && matching > (size_t)limit)
                skip = matching - (size_t)limit;
        }
        size_t seen = 0;
        for (size_t index = 0;; index++) {
            const vb_sim_fill_t *fill =
                vb_sim_engine_fill_at (self->engine, account, symbol->instrument, index);
            if (!fill)
                break;
            int64_t time = fill->ts_ns / BNSIM_NS_PER_MS;
            if ((order_id && (int64_t)fill->order_id != order_id) ||
                (from_id >= 0 && (int64_t)fill->trade_id < from_id) || time < start || time > end)
                continue;
            if (pass == 0) {
                matching++;
                continue;
            }
            if (seen++ < skip || written >= (size_t)limit)
                continue;
            const bnsim_listing_t *listing = symbol->listing;
            int32_t pe = listing->price_exponent, qe = listing->qty_exponent;
            bnsim_buf_printf (out,
                              "%s{\"symbol\":\"%s\",\"id\":%" PRIu64 ",\"orderId\":%" PRIu64
                              ",\"orderListId\":-1,\"price\":",
                              written ? "," : "", listing->symbol, fill->trade_id, fill->order_id);
            bnsim_buf_dec (out, fill->price, pe);
            bnsim_buf_str (out, ",\"qty\":");
            bnsim_buf_dec (out, fill->qty, qe);
            bnsim_buf_str (out, ",\"quoteQty\":");
            bnsim_buf_dec (out, fill->price * fill->qty, pe + qe);
            bnsim_buf_str (out, ",\"commission\":");
            bnsim_buf_dec (out, fill->fee, pe + qe);
            bnsim_buf_printf (out,
                              ",\"commissionAsset\":\"%s\",\"time\":%" PRId64
                              ",\"isBuyer\":%s,\"isMaker\":%s,\"isBestMatch\":true}",
                              listing->quote, time, fill->side == VB_SIM_BUY ? "true" : "false",
                              fill->maker ? "true" : "false");
            written++;
        }
    }
    bnsim_buf_str (out, "]");
    return 0;
}

int bnsim_account (bnsim_t *self, const vb_sim_key_t *key, const bnsim_params_t *params,
                   bnsim_buf_t *out, bnsim_error_t *error)
{
    (void)error;
    const char *omit = bnsim_param (params, "omitZeroBalances");
    bool omit_zero = omit && strcmp (omit, "true") == 0;
    uint32_t uid = 0;
    for (const char *c = key->account; *c; c++)
        uid = uid * 31 + (uint8_t)*c;
    bnsim_buf_printf (out,
                      "{\"makerCommission\":%d,\"takerCommission\":%d,\"buyerCommission\":0,"
                      "\"sellerCommission\":0,\"commissionRates\":{\"maker\":",
                      S_MAKER_COMMISSION, S_MAKER_COMMISSION);
    bnsim_buf_dec (out, S_MAKER_COMMISSION, -4);
    bnsim_buf_str (out, ",\"taker\":");
    bnsim_buf_dec (out, S_MAKER_COMMISSION, -4);
    bnsim_buf_str (out, ",\"buyer\":");
    bnsim_buf_dec (out, 0, 0);
    bnsim_buf_str (out, ",\"seller\":");
    bnsim_buf_dec (out, 0, 0);
    bnsim_buf_printf (
        out,
        "},\"canTrade\":%s,\"canWithdraw\":%s,\"canDeposit\":true,\"brokered\":false,"
        "\"requireSelfTradePrevention\":false,\"preventSor\":false,\"updateTime\":%" PRId64
        ",\"accountType\":\"SPOT\",\"balances\":[",
        key->permissions & VB_SIM_PERM_TRADE ? "true" : "false",
        key->permissions & VB_SIM_PERM_WITHDRAW ? "true" : "false", self->created_ms);
    size_t count = vb_sim_engine_balance_count (self->engine, key->account);
    size_t written = 0;
    for (size_t index = 0; index < count; index++) {
        const char *asset = NULL;
        int64_t free_units = 0, locked = 0;
        if (vb_sim_engine_balance_at (self->engine, key->account, index, &asset, &free_units,
                                      &locked) ||
            !asset)
            continue;
        if (omit_zero && free_units == 0 && locked == 0)
            continue;
        bnsim_buf_printf (out, "%s{\"asset\":", written++ ? "," : "");
        bnsim_buf_json (out, asset);
        bnsim_buf_str (out, ",\"free\":");
        bnsim_buf_dec (out, free_units, VB_SIM_ASSET_EXPONENT);
        bnsim_buf_str (out, ",\"locked\":");
        bnsim_buf_dec (out, locked, VB_SIM_ASSET_EXPONENT);
        bnsim_buf_str (out, "}");
    }
    bnsim_buf_printf (out, "],\"permissions\":[\"SPOT\"],\"uid\":%" PRIu32 "}", uid);
    return 0;
}

//  --------------------------------------------------------------------------
//  Public market data.

typedef struct {
    const vb_sim_request_t *request;
    const bnsim_params_t *params;
    const vb_sim_key_t *key;  //  Signed endpoints: the caller's key
    bnsim_buf_t *out;
    bnsim_error_t *error;
} s_call_t;

//  The symbols a ticker-style endpoint names: symbol, symbols (JSON array),
//  or all. Returns the count (0 with error set on failure), filling picks.
static size_t s_symbol_list (bnsim_t *self, const bnsim_params_t *params, bnsim_symbol_t **picks,
                             bool *single, bnsim_error_t *error)
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
        picks[0] = s_symbol_param (self, params, error);
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

static void s_filters_json (bnsim_buf_t *out, const bnsim_listing_t *listing)
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

static int s_exchange_info (bnsim_t *self, s_call_t *call)
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

static int s_depth (bnsim_t *self, s_call_t *call)
{
    bnsim_symbol_t *symbol = s_symbol_param (self, call->params, call->error);
    int64_t limit;
    if (!symbol ||
        s_limit_param (call->params, S_DEPTH_DEFAULT, BNSIM_DEPTH_LEVELS_MAX, &limit, call->error))
        return -1;
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

static int s_trades (bnsim_t *self, s_call_t *call)
{
    bnsim_symbol_t *symbol = s_symbol_param (self, call->params, call->error);
    int64_t limit;
    if (!symbol || s_limit_param (call->params, S_LIST_DEFAULT, S_LIST_MAX, &limit, call->error))
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
static void s_ring_stats (bnsim_t *self, bnsim_symbol_t *symbol, int64_t from_ms, int64_t to_ms,
                          int64_t *buy_volume, int64_t *buy_notional, int64_t *first_id,
                          int64_t *last_id)
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

static int s_klines (bnsim_t *self, s_call_t *call)
{
    bnsim_symbol_t *symbol = s_symbol_param (self, call->params, call->error);
    if (!symbol)
        return -1;
    const char *interval_text = bnsim_param (call->params, "interval");
    if (!interval_text) {
        s_mandatory (call->error, "interval");
        return -1;
    }
    int interval = bnsim_interval_find (interval_text);
    if (interval < 0) {
        bnsim_error_set (call->error, S_STATUS_BAD_REQUEST, -1120, "Invalid interval.");
        return -1;
    }
    int64_t start = -1, end = -1, limit;
    if (s_integer_param (call->params, "startTime", &start, call->error) ||
        s_integer_param (call->params, "endTime", &end, call->error) ||
        s_limit_param (call->params, S_LIST_DEFAULT, S_LIST_MAX, &limit, call->error))
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

static int s_book_ticker (bnsim_t *self, s_call_t *call)
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

static const vb_sim_fill_t *s_last_trade (bnsim_t *self, bnsim_symbol_t *symbol)
{
    size_t count = vb_sim_engine_trade_count (self->engine, symbol->instrument);
    return count ? vb_sim_engine_trade_at (self->engine, symbol->instrument, count - 1) : NULL;
}

static int s_ticker_price (bnsim_t *self, s_call_t *call)
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

static int s_ticker_24hr (bnsim_t *self, s_call_t *call)
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

static int s_premium_index (bnsim_t *self, s_call_t *call)
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

//  --------------------------------------------------------------------------
//  Signed endpoints.

static int s_ping (bnsim_t *self, s_call_t *call)
{
    (void)self;
    bnsim_buf_str (call->out, "{}");
    return 0;
}

static int s_time (bnsim_t *self, s_call_t *call)
{
    bnsim_buf_printf (call->out, "{\"serverTime\":%" PRId64 "}", bnsim_now_ms (self));
    return 0;
}

static int s_post_order (bnsim_t *self, s_call_t *call)
{
    return bnsim_order_place (self, call->key->account, call->params, false, call->out,
                              call->error);
}

static int s_test_order (bnsim_t *self, s_call_t *call)
{
    return bnsim_order_place (self, call->key->account, call->params, true, call->out, call->error);
}

static int s_get_order (bnsim_t *self, s_call_t *call)
{
    return bnsim_order_query (self, call->key->account, call->params, call->out, call->error);
}

static int s_delete_order (bnsim_t *self, s_call_t *call)
{
    return bnsim_order_cancel (self, call->key->account, call->params, call->out, call->error);
}

static int s_get_open_orders (bnsim_t *self, s_call_t *call)
{
    return bnsim_open_orders (self, call->key->account, call->params, call->out, call->error);
}

static int s_delete_open_orders (bnsim_t *self, s_call_t *call)
{
    return s_cancel_all (self, call->key->account, call->params, call->out, call->error);
}

static int s_get_all_orders (bnsim_t *self, s_call_t *call)
{
    return s_all_orders (self, call->key->account, call->params, call->out, call->error);
}

static int s_get_my_trades (bnsim_t *self, s_call_t *call)
{
    return s_my_trades (self, call->key->account, call->params, call->out, call->error);
}

static int s_get_account (bnsim_t *self, s_call_t *call)
{
    return bnsim_account (self, call->key, call->params, call->out, call->error);
}

static int s_api_restrictions (bnsim_t *self, s_call_t *call)
{
    const vb_sim_key_t *key = call->key;
    bnsim_buf_printf (
        call->out,
        "{\"ipRestrict\":%s,\"createTime\":%" PRId64
        ",\"enableInternalTransfer\":false,\"enableFutures\":false,"
        "\"enablePortfolioMarginTrading\":false,\"enableVanillaOptions\":false,"
        "\"permitsUniversalTransfer\":false,\"enableReading\":%s,"
        "\"enableSpotAndMarginTrading\":%s,\"enableWithdrawals\":%s,\"enableMargin\":false}",
        key->ip_count > 0 ? "true" : "false", self->created_ms,
        key->permissions & VB_SIM_PERM_READ ? "true" : "false",
        key->permissions & VB_SIM_PERM_TRADE ? "true" : "false",
        key->permissions & VB_SIM_PERM_WITHDRAW ? "true" : "false");
    return 0;
}

//  --------------------------------------------------------------------------
//  Weights.

static int64_t s_weight_depth (const bnsim_params_t *params)
{
    const char *text = bnsim_param (params, "limit");
    int64_t limit = text ? strtoll (text, NULL, 10) : S_DEPTH_DEFAULT;
    if (limit <= 0)
        limit = S_DEPTH_DEFAULT;
    return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

static int64_t s_symbol_count_param (const bnsim_params_t *params)
{
    if (bnsim_param (params, "symbol"))
        return 1;
    const char *many = bnsim_param (params, "symbols");
    if (!many)
        return -1;
    int64_t count = 1;
    for (const char *c = many; *c; c++)
        count += *c == ',';
    return count;
}

static int64_t s_weight_ticker_24hr (const bnsim_params_t *params)
{
    int64_t count = s_symbol_count_param (params);
    return count < 0 ? 80 : count <= 20 ? 2 : count <= 100 ? 40 : 80;
}

static int64_t s_weight_book_ticker (const bnsim_params_t *params)
{
    return s_symbol_count_param (params) == 1 ? 2 : 4;
}

static int64_t s_weight_exchange_info (const bnsim_params_t *params)
{
    (void)params;
    return 20;
}

static int64_t s_weight_open_orders (const bnsim_params_t *params)
{
    return bnsim_param (params, "symbol") ? 6 : 80;
}

static int64_t s_weight_my_trades (const bnsim_params_t *params)
{
    return bnsim_param (params, "orderId") ? 5 : 20;
}

static int64_t s_weight_premium (const bnsim_params_t *params)
{
    return bnsim_param (params, "symbol") ? 1 : 10;
}

//  --------------------------------------------------------------------------
//  Routes.

typedef enum { S_PUBLIC = 0, S_SIGNED = 1 } s_security_t;

typedef struct {
    const char *method;
    const char *path;
    int64_t weight;                                 //  Fixed weight, or ...
    int64_t (*weight_fn) (const bnsim_params_t *);  //  ... one that depends on params
    s_security_t security;
    bnsim_perm_t perm;
    bool fapi;    //  USD-M futures weight bucket
    bool orders;  //  Counts in ORDERS
    int (*handler) (bnsim_t *, s_call_t *);
} s_route_t;

static const s_route_t s_routes[] = {
    {"GET", "/api/v3/ping", 1, NULL, S_PUBLIC, BNSIM_PERM_NONE, false, false, s_ping},
    {"GET", "/api/v3/time", 1, NULL, S_PUBLIC, BNSIM_PERM_NONE, false, false, s_time},
    {"GET", "/api/v3/exchangeInfo", 0, s_weight_exchange_info, S_PUBLIC, BNSIM_PERM_NONE, false,
     false, s_exchange_info},
    {"GET", "/api/v3/depth", 0, s_weight_depth, S_PUBLIC, BNSIM_PERM_NONE, false, false, s_depth},
    {"GET", "/api/v3/trades", 25, NULL, S_PUBLIC, BNSIM_PERM_NONE, false, false, s_trades},
    {"GET", "/api/v3/klines", 2, NULL, S_PUBLIC, BNSIM_PERM_NONE, false, false, s_klines},
    {"GET", "/api/v3/ticker/bookTicker", 0, s_weight_book_ticker, S_PUBLIC, BNSIM_PERM_NONE, false,
     false, s_book_ticker},
    {"GET", "/api/v3/ticker/price", 0, s_weight_book_ticker, S_PUBLIC, BNSIM_PERM_NONE, false,
     false, s_ticker_price},
    {"GET", "/api/v3/ticker/24hr", 0, s_weight_ticker_24hr, S_PUBLIC, BNSIM_PERM_NONE, false, false,
     s_ticker_24hr},
    {"GET", "/fapi/v1/premiumIndex", 0, s_weight_premium, S_PUBLIC, BNSIM_PERM_NONE, true, false,
     s_premium_index},
    {"POST", "/api/v3/order", 1, NULL, S_SIGNED, BNSIM_PERM_TRADE, false, true, s_post_order},
    {"POST", "/api/v3/order/test", 1, NULL, S_SIGNED, BNSIM_PERM_TRADE, false, false, s_test_order},
    {"GET", "/api/v3/order", 4, NULL, S_SIGNED, BNSIM_PERM_READ, false, false, s_get_order},
    {"DELETE", "/api/v3/order", 1, NULL, S_SIGNED, BNSIM_PERM_TRADE, false, false, s_delete_order},
    {"GET", "/api/v3/openOrders", 0, s_weight_open_orders, S_SIGNED, BNSIM_PERM_READ, false, false,
     s_get_open_orders},
    {"DELETE", "/api/v3/openOrders", 1, NULL, S_SIGNED, BNSIM_PERM_TRADE, false, false,
     s_delete_open_orders},
    {"GET", "/api/v3/allOrders", 20, NULL, S_SIGNED, BNSIM_PERM_READ, false, false,
     s_get_all_orders},
    {"GET", "/api/v3/myTrades", 0, s_weight_my_trades, S_SIGNED, BNSIM_PERM_READ, false, false,
     s_get_my_trades},
    {"GET", "/api/v3/account", 20, NULL, S_SIGNED, BNSIM_PERM_READ, false, false, s_get_account},
    {"GET", "/sapi/v1/account/apiRestrictions", 1, NULL, S_SIGNED, BNSIM_PERM_NONE, false, false,
     s_api_restrictions},
};

//  --------------------------------------------------------------------------
//  One HTTP request.

static void s_respond_error (vb_sim_response_t *response, const bnsim_error_t *error)
{
    bnsim_buf_t body = {0};
    bnsim_buf_printf (&body, "{\"code\":%d,\"msg\":", error->code);
    bnsim_buf_json (&body, error->msg);
    bnsim_buf_str (&body, "}");
    if (error->retry_after_s > 0) {
        char seconds[32];
        snprintf (seconds, sizeof (seconds), "%" PRId64, error->retry_after_s);
        vb_sim_response_header (response, "Retry-After", seconds);
    }
    vb_sim_response_set (response, error->status, body.data, body.length);
    bnsim_buf_free (&body);
}

void bnsim_http (bnsim_t *self, const vb_sim_request_t *request, vb_sim_response_t *response)
{
    const s_route_t *route = NULL;
    for (size_t index = 0; index < sizeof (s_routes) / sizeof (s_routes[0]); index++)
        if (strcmp (s_routes[index].path, request->path) == 0 &&
            strcmp (s_routes[index].method, request->method) == 0) {
            route = &s_routes[index];
            break;
        }
    if (!route) {
        vb_sim_response_header (response, "Content-Type", "text/html");
        vb_sim_response_set (response, S_STATUS_NOT_FOUND, s_not_found_page,
                             strlen (s_not_found_page));
        return;
    }
    bnsim_params_t params;
    bnsim_error_t error = {.status = 200};
    bnsim_buf_t out = {0};
    int parse_rc = bnsim_params_parse (&params, request->query, request->body, &error);
    int64_t weight = parse_rc ? 1 : route->weight_fn ? route->weight_fn (&params) : route->weight;
    int64_t used = 0;
    bnsim_error_t limit_error = {0};
    int limit_rc = s_weight (
        self, route->fapi ? "fapi:" : "ip:", route->fapi ? S_FAPI_WEIGHT_LIMIT : S_WEIGHT_LIMIT,
        request->peer, weight, &limit_error, &used);
    char used_text[32];
    snprintf (used_text, sizeof (used_text), "%" PRId64, used);
    vb_sim_response_header (response, "X-MBX-USED-WEIGHT-1M", used_text);
    int rc = 0;
    vb_sim_key_t *key = NULL;
    if (limit_rc) {
        error = limit_error;
        rc = -1;
    } else if (parse_rc)
        rc = -1;
    else if (route->security == S_SIGNED) {
        key = bnsim_key_check (self, vb_sim_request_header (request, "x-mbx-apikey"), request->peer,
                               route->perm, &error);
        if (!key)
            rc = -1;
        else if (!bnsim_param (&params, "timestamp")) {
            s_mandatory (&error, "timestamp");
            rc = -1;
        } else {
            vb_hmac_t *signer = vb_binance_signer_new (key->secret);
            int verify =
                signer ? vb_binance_verify_rest (signer, request->query, request->body) : VB_EIO;
            vb_hmac_destroy (&signer);
            if (verify == VB_ENOTFOUND) {
                s_mandatory (&error, "signature");
                rc = -1;
            } else if (verify == VB_EINVAL) {
                bnsim_error_set (&error, S_STATUS_BAD_REQUEST, -1101,
                                 "Duplicate values for a parameter detected.");
                rc = -1;
            } else if (verify) {
                bnsim_error_set (&error, S_STATUS_BAD_REQUEST, -1022,
                                 "Signature for this request is not valid.");
                rc = -1;
            } else
                rc = bnsim_time_check (self, &params, &error);
        }
    }
    int64_t count_10s = 0, count_1d = 0;
    if (rc == 0 && route->orders)
        rc = bnsim_orders_take (self, key->account, &error, &count_10s, &count_1d);
    if (rc == 0) {
        s_call_t call = {request, &params, key, &out, &error};
        rc = route->handler (self, &call);
    }
    if (rc == 0) {
        if (route->orders) {
            char count_text[32];
            snprintf (count_text, sizeof (count_text), "%" PRId64, count_10s);
            vb_sim_response_header (response, "X-MBX-ORDER-COUNT-10S", count_text);
            snprintf (count_text, sizeof (count_text), "%" PRId64, count_1d);
            vb_sim_response_header (response, "X-MBX-ORDER-COUNT-1D", count_text);
        }
        vb_sim_response_set (response, 200, out.data ? out.data : "{}", out.data ? out.length : 2);
    } else
        s_respond_error (response, &error);
    bnsim_buf_free (&out);
    bnsim_params_free (&params);
}
