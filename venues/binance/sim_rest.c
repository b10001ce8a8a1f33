/*  sim_rest.c — Binance simulator: REST routing, auth, rate limits, endpoints.

    Every response carries X-MBX-USED-WEIGHT-1M (the IP's weight in the
    current wall-clock minute, this request included); successful orders add
    X-MBX-ORDER-COUNT-10S and -1D. Limits (venues.md 1.7, fixed windows on
    wall-clock boundaries): REQUEST_WEIGHT 6000 per minute per IP (/fapi and
    /dapi have their own 2400, /sapi its own 12000), ORDERS 50 per 10 s and
    160000 per day per account.
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
    MARKET_DATA endpoints (margin pair lists) need the key header alone.
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

#define S_WEIGHT_LIMIT        6000               //  REQUEST_WEIGHT per minute per IP
#define S_FAPI_WEIGHT_LIMIT   2400               //  USD-M futures REQUEST_WEIGHT per minute
#define S_DAPI_WEIGHT_LIMIT   2400               //  COIN-M futures REQUEST_WEIGHT per minute
#define S_SAPI_WEIGHT_LIMIT   12000              //  /sapi IP weight per minute
#define S_FAPI_ORDERS_1M      1200               //  USD-M futures ORDERS per minute
#define S_FAPI_ORDERS_10S     300                //  USD-M futures ORDERS per 10 seconds
#define S_AGG_HOUR_MS         INT64_C (3600000)  //  aggTrades: startTime..endTime at most 1 h
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
#define S_STATUS_SERVER_ERROR 500
#define S_STATUS_UNAVAILABLE  503
#define S_STATUS_GW_TIMEOUT   504
#define S_CLIENT_ID_MAX       36

#define S_DECIMAL_RANGE "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
#define S_INTEGER_RANGE "^[0-9]{1,20}$"

static const char s_not_found_page[] =
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not "
    "Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

//  --------------------------------------------------------------------------
//  Counters: per IP (weight) and per account (orders).

static bnsim_counter_t *
s_counter (bnsim_t *self, const char *prefix, const char *name)
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

static int64_t
s_seconds_until (int64_t now_ms, int64_t until_ms)
{
    int64_t left = until_ms - now_ms;
    return left <= 0 ? 1 : (left + BNSIM_MS_PER_S - 1) / BNSIM_MS_PER_S;
}

static int
s_weight (bnsim_t *self, const char *prefix, int64_t limit, const char *peer, int64_t weight,
          bnsim_error_t *error, int64_t *used)
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
        vb_sim_count_violation (self->server, VB_SIM_VIOLATION_LIMIT);
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
        vb_sim_count_violation (self->server, VB_SIM_VIOLATION_LIMIT);
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
    vb_sim_count_violation (self->server, VB_SIM_VIOLATION_BAN);
    return -1;
}

int
bnsim_weight_take (bnsim_t *self, const char *peer, int64_t weight, bnsim_error_t *error,
                   int64_t *used)
{
    return s_weight (self, "ip:", S_WEIGHT_LIMIT, peer, weight, error, used);
}

int64_t
bnsim_weight_used (bnsim_t *self, const char *peer)
{
    bnsim_counter_t *counter = s_counter (self, "ip:", peer);
    int64_t now = bnsim_now_ms (self);
    return counter->window_start_ms == now - (now % S_MINUTE_MS) ? counter->used : 0;
}

int
bnsim_orders_take (bnsim_t *self, const char *account, bnsim_error_t *error, int64_t *count_10s,
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
        vb_sim_count_violation (self->server, VB_SIM_VIOLATION_LIMIT);
        return -1;
    }
    if (counter->day_used + 1 > S_ORDERS_1D_LIMIT) {
        bnsim_error_set (error, S_STATUS_TOO_MANY, -1015,
                         "Too many new orders; current limit is %d orders per DAY.",
                         S_ORDERS_1D_LIMIT);
        error->retry_after_s = s_seconds_until (now, day + S_DAY_MS);
        error->retry_at_ms = day + S_DAY_MS;
        vb_sim_count_violation (self->server, VB_SIM_VIOLATION_LIMIT);
        return -1;
    }
    *count_10s = ++counter->used;
    *count_1d = ++counter->day_used;
    return 0;
}

//  --------------------------------------------------------------------------
//  Keys and timing.

vb_sim_key_t *
bnsim_key_check (bnsim_t *self, const char *api_key, const char *peer, bnsim_perm_t perm,
                 bnsim_error_t *error)
{
    bool well_formed = api_key && *api_key && strlen (api_key) < VB_SIM_KEY_MAX;
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

int
bnsim_time_check (bnsim_t *self, const bnsim_params_t *params, bnsim_error_t *error)
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
//  Signed endpoints.

static int
s_ping (bnsim_t *self, bnsim_call_t *call)
{
    (void)self;
    bnsim_buf_str (call->out, "{}");
    return 0;
}

static int
s_time (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_buf_printf (call->out, "{\"serverTime\":%" PRId64 "}", bnsim_now_ms (self));
    return 0;
}

static int
s_post_order (bnsim_t *self, bnsim_call_t *call)
{
    return bnsim_order_place (self, call->key->account, call->params, false, call->out,
                              call->error);
}

static int
s_test_order (bnsim_t *self, bnsim_call_t *call)
{
    return bnsim_order_place (self, call->key->account, call->params, true, call->out, call->error);
}

static int
s_get_order (bnsim_t *self, bnsim_call_t *call)
{
    return bnsim_order_query (self, call->key->account, call->params, call->out, call->error);
}

static int
s_delete_order (bnsim_t *self, bnsim_call_t *call)
{
    return bnsim_order_cancel (self, call->key->account, call->params, call->out, call->error);
}

static int
s_get_open_orders (bnsim_t *self, bnsim_call_t *call)
{
    return bnsim_open_orders (self, call->key->account, call->params, call->out, call->error);
}

static int
s_delete_open_orders (bnsim_t *self, bnsim_call_t *call)
{
    return bnsim_cancel_all (self, call->key->account, call->params, call->out, call->error);
}

static int
s_get_all_orders (bnsim_t *self, bnsim_call_t *call)
{
    return bnsim_all_orders (self, call->key->account, call->params, call->out, call->error);
}

static int
s_get_my_trades (bnsim_t *self, bnsim_call_t *call)
{
    return bnsim_my_trades (self, call->key->account, call->params, call->out, call->error);
}

static int
s_get_account (bnsim_t *self, bnsim_call_t *call)
{
    return bnsim_account (self, call->key, call->params, call->out, call->error);
}

static int
s_api_restrictions (bnsim_t *self, bnsim_call_t *call)
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
//  GET /api/v3/aggTrades: each engine print is one aggregate trade (the
//  aggTrade stream's shape: a = f = l = the trade id). fromId: from that
//  id up; startTime/endTime (at most an hour apart when both are given):
//  oldest first in the range; neither: the newest `limit`.

static int
s_agg_trades (bnsim_t *self, bnsim_call_t *call)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, call->params, call->error);
    if (!symbol)
        return -1;
    int64_t from_id = -1, start = -1, end = -1, limit;
    if (bnsim_integer_param (call->params, "fromId", &from_id, call->error) ||
        bnsim_integer_param (call->params, "startTime", &start, call->error) ||
        bnsim_integer_param (call->params, "endTime", &end, call->error) ||
        bnsim_limit_param (call->params, S_LIST_DEFAULT, S_LIST_MAX, &limit, call->error))
        return -1;
    if (start >= 0 && end >= 0 && end - start > S_AGG_HOUR_MS) {
        bnsim_error_set (call->error, S_STATUS_BAD_REQUEST, -1127,
                         "More than 1 hours between startTime and endTime.");
        return -1;
    }
    bool newest = from_id < 0 && start < 0 && end < 0;
    size_t count = vb_sim_engine_trade_count (self->engine, symbol->instrument);
    //  The oldest matching print to write, so that at most `limit` go out.
    size_t first = 0;
    if (newest)
        first = count > (size_t)limit ? count - (size_t)limit : 0;
    int32_t pe = symbol->listing->price_exponent, qe = symbol->listing->qty_exponent;
    size_t written = 0;
    bnsim_buf_str (call->out, "[");
    for (size_t index = first; index < count && written < (size_t)limit; index++) {
        const vb_sim_fill_t *trade =
            vb_sim_engine_trade_at (self->engine, symbol->instrument, index);
        if (!trade)
            continue;
        int64_t time = trade->ts_ns / BNSIM_NS_PER_MS;
        if ((from_id >= 0 && (int64_t)trade->trade_id < from_id) || (start >= 0 && time < start) ||
            (end >= 0 && time > end))
            continue;
        bnsim_buf_printf (call->out, "%s{\"a\":%" PRIu64 ",\"p\":", written ? "," : "",
                          trade->trade_id);
        bnsim_buf_dec (call->out, trade->price, pe);
        bnsim_buf_str (call->out, ",\"q\":");
        bnsim_buf_dec (call->out, trade->qty, qe);
        bnsim_buf_printf (
            call->out,
            ",\"f\":%" PRIu64 ",\"l\":%" PRIu64 ",\"T\":%" PRId64 ",\"m\":%s,\"M\":true}",
            trade->trade_id, trade->trade_id, time, trade->side == VB_SIM_SELL ? "true" : "false");
        written++;
    }
    bnsim_buf_str (call->out, "]");
    return 0;
}

//  --------------------------------------------------------------------------
//  GET /sapi/v1/capital/config/getall: every coin the venue lists or the
//  account holds, with the account's free and locked and one network.

typedef struct {
    const char *coin;
    const char *name;
    const char *network;       //  Default network
    const char *network_name;  //  Its display name
    const char *multiple;      //  withdrawIntegerMultiple
    const char *withdraw_fee;
    const char *withdraw_min;
    const char *withdraw_max;
    int min_confirm;
    int unlock_confirm;
    bool legal_money;  //  Fiat
} s_coin_t;

static const s_coin_t s_coins[] = {
    {"BTC", "Bitcoin", "BTC", "Bitcoin", "0.00000001", "0.0002", "0.001", "9000", 1, 2, false},
    {"ETH", "Ethereum", "ETH", "Ethereum (ERC20)", "0.00000001", "0.0008", "0.0016", "10000", 12,
     64, false},
    {"USDT", "TetherUS", "ETH", "Ethereum (ERC20)", "0.000001", "4", "10", "9999999", 12, 64,
     false},
    {"USD", "US Dollar", "USD", "US Dollar", "0.01", "15", "20", "5000000", 1, 0, true},
};

static void
s_coin_json (bnsim_t *self, bnsim_buf_t *out, const char *account, const char *asset, bool comma)
{
    const s_coin_t *coin = NULL;
    for (size_t index = 0; index < sizeof (s_coins) / sizeof (s_coins[0]); index++)
        if (strcmp (s_coins[index].coin, asset) == 0)
            coin = &s_coins[index];
    int64_t free = 0, locked = 0;
    size_t count = vb_sim_engine_balance_count (self->engine, account);
    for (size_t index = 0; index < count; index++) {
        const char *name;
        int64_t f, l;
        if (vb_sim_engine_balance_at (self->engine, account, index, &name, &f, &l) == 0 &&
            strcmp (name, asset) == 0) {
            free = f;
            locked = l;
        }
    }
    bnsim_buf_str (out, comma ? ",{\"coin\":" : "{\"coin\":");
    bnsim_buf_json (out, asset);
    bnsim_buf_str (out, ",\"depositAllEnable\":true,\"withdrawAllEnable\":true,\"name\":");
    bnsim_buf_json (out, coin ? coin->name : asset);
    bnsim_buf_str (out, ",\"free\":");
    bnsim_buf_dec (out, free, VB_SIM_ASSET_EXPONENT);
    bnsim_buf_str (out, ",\"locked\":");
    bnsim_buf_dec (out, locked, VB_SIM_ASSET_EXPONENT);
    bnsim_buf_printf (out,
                      ",\"freeze\":\"0\",\"withdrawing\":\"0\",\"ipoing\":\"0\",\"ipoable\":\"0\","
                      "\"storage\":\"0\",\"isLegalMoney\":%s,\"trading\":true,\"networkList\":"
                      "[{\"network\":",
                      coin && coin->legal_money ? "true" : "false");
    bnsim_buf_json (out, coin ? coin->network : asset);
    bnsim_buf_str (out, ",\"coin\":");
    bnsim_buf_json (out, asset);
    bnsim_buf_printf (
        out,
        ",\"withdrawIntegerMultiple\":\"%s\",\"isDefault\":true,\"depositEnable\":true,"
        "\"withdrawEnable\":true,\"depositDesc\":\"\",\"withdrawDesc\":\"\",\"specialTips\":\"\","
        "\"specialWithdrawTips\":\"\",\"name\":",
        coin ? coin->multiple : "0.00000001");
    bnsim_buf_json (out, coin ? coin->network_name : asset);
    bnsim_buf_printf (out,
                      ",\"resetAddressStatus\":false,\"addressRegex\":\"\",\"addressRule\":\"\","
                      "\"memoRegex\":\"\",\"withdrawFee\":\"%s\",\"withdrawMin\":\"%s\","
                      "\"withdrawMax\":\"%s\",\"minConfirm\":%d,\"unLockConfirm\":%d,"
                      "\"sameAddress\":false,\"estimatedArrivalTime\":5,\"busy\":false}]}",
                      coin ? coin->withdraw_fee : "0", coin ? coin->withdraw_min : "0",
                      coin ? coin->withdraw_max : "0", coin ? coin->min_confirm : 1,
                      coin ? coin->unlock_confirm : 0);
}

//  Asset number `index` of the coin list: the listings' bases and quotes,
//  then the account's balances. NULL past the end.
static const char *
s_capital_asset (bnsim_t *self, const char *account, size_t index)
{
    if (index < 2 * self->symbol_count) {
        const bnsim_listing_t *listing = self->symbols[index / 2].listing;
        return index % 2 ? listing->quote : listing->base;
    }
    const char *asset = NULL;
    if (vb_sim_engine_balance_at (self->engine, account, index - 2 * self->symbol_count, &asset,
                                  NULL, NULL) != 0)
        return NULL;
    return asset;
}

static int
s_capital_config (bnsim_t *self, bnsim_call_t *call)
{
    const char *account = call->key->account;
    bool comma = false;
    bnsim_buf_str (call->out, "[");
    const char *asset;
    for (size_t index = 0; (asset = s_capital_asset (self, account, index)); index++) {
        bool seen = false;
        for (size_t other = 0; other < index && !seen; other++)
            seen = strcmp (s_capital_asset (self, account, other), asset) == 0;
        if (!seen) {
            s_coin_json (self, call->out, account, asset, comma);
            comma = true;
        }
    }
    bnsim_buf_str (call->out, "]");
    return 0;
}

//  --------------------------------------------------------------------------
//  GET /sapi/v1/margin/allPairs and /sapi/v1/margin/isolated/allPairs
//  (MARKET_DATA): the sim offers no margin trading (exchangeInfo says
//  isMarginTradingAllowed false), so neither lists a pair.

static int
s_margin_pairs (bnsim_t *self, bnsim_call_t *call)
{
    (void)self;
    bnsim_buf_str (call->out, "[]");
    return 0;
}

//  --------------------------------------------------------------------------
//  GET /fapi/v1/exchangeInfo and /dapi/v1/exchangeInfo. The sim trades no
//  futures (it serves the USD-M premium index for funding only), so both
//  list no symbols: a client that loads every market type finds none to
//  trade there rather than markets it cannot use.

static int
s_futures_exchange_info (bnsim_t *self, bnsim_call_t *call)
{
    bool usd_m = strncmp (call->request->path, "/fapi/", 6) == 0;
    bnsim_buf_printf (call->out,
                      "{\"timezone\":\"UTC\",\"serverTime\":%" PRId64 ",%s\"rateLimits\":["
                      "{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
                      "\"intervalNum\":1,\"limit\":%d},{\"rateLimitType\":\"ORDERS\","
                      "\"interval\":\"MINUTE\",\"intervalNum\":1,\"limit\":%d}",
                      bnsim_now_ms (self), usd_m ? "\"futuresType\":\"U_MARGINED\"," : "",
                      usd_m ? S_FAPI_WEIGHT_LIMIT : S_DAPI_WEIGHT_LIMIT, S_FAPI_ORDERS_1M);
    if (usd_m)
        bnsim_buf_printf (call->out,
                          ",{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\","
                          "\"intervalNum\":10,\"limit\":%d}",
                          S_FAPI_ORDERS_10S);
    bnsim_buf_str (call->out, "],\"exchangeFilters\":[],");
    if (usd_m)
        bnsim_buf_str (call->out, "\"assets\":[],");
    bnsim_buf_str (call->out, "\"symbols\":[]}");
    return 0;
}

//  --------------------------------------------------------------------------
//  Weights.

static int64_t
s_weight_depth (const bnsim_params_t *params)
{
    const char *text = bnsim_param (params, "limit");
    int64_t limit = text ? strtoll (text, NULL, 10) : S_DEPTH_DEFAULT;
    if (limit <= 0)
        limit = S_DEPTH_DEFAULT;
    return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

static int64_t
s_symbol_count_param (const bnsim_params_t *params)
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

static int64_t
s_weight_ticker_24hr (const bnsim_params_t *params)
{
    int64_t count = s_symbol_count_param (params);
    return count < 0 ? 80 : count <= 20 ? 2 : count <= 100 ? 40 : 80;
}

static int64_t
s_weight_book_ticker (const bnsim_params_t *params)
{
    return s_symbol_count_param (params) == 1 ? 2 : 4;
}

static int64_t
s_weight_exchange_info (const bnsim_params_t *params)
{
    (void)params;
    return 20;
}

static int64_t
s_weight_open_orders (const bnsim_params_t *params)
{
    return bnsim_param (params, "symbol") ? 6 : 80;
}

static int64_t
s_weight_my_trades (const bnsim_params_t *params)
{
    return bnsim_param (params, "orderId") ? 5 : 20;
}

static int64_t
s_weight_premium (const bnsim_params_t *params)
{
    return bnsim_param (params, "symbol") ? 1 : 10;
}

//  --------------------------------------------------------------------------
//  Routes.

//  PUBLIC: no key. KEYED (MARKET_DATA): X-MBX-APIKEY only. SIGNED
//  (TRADE, USER_DATA): key, timestamp and signature.
typedef enum { S_PUBLIC = 0, S_SIGNED = 1, S_KEYED = 2 } s_security_t;

//  Weight buckets: spot /api, USD-M /fapi, COIN-M /dapi and /sapi each
//  count their own REQUEST_WEIGHT per IP.
typedef enum { S_SPOT = 0, S_FAPI = 1, S_DAPI = 2, S_SAPI = 3 } s_bucket_t;

static const struct {
    const char *prefix;  //  Counter key prefix
    int64_t limit;       //  Weight per minute
} s_buckets[] = {
    {"ip:", S_WEIGHT_LIMIT},
    {"fapi:", S_FAPI_WEIGHT_LIMIT},
    {"dapi:", S_DAPI_WEIGHT_LIMIT},
    {"sapi:", S_SAPI_WEIGHT_LIMIT},
};

typedef struct {
    const char *method;
    const char *path;
    int64_t weight;                                 //  Fixed weight, or ...
    int64_t (*weight_fn) (const bnsim_params_t *);  //  ... one that depends on params
    s_security_t security;
    bnsim_perm_t perm;
    s_bucket_t bucket;  //  Which REQUEST_WEIGHT limit the weight counts against
    bool orders;        //  Counts in ORDERS
    int (*handler) (bnsim_t *, bnsim_call_t *);
} s_route_t;

static const s_route_t s_routes[] = {
    {"GET", "/api/v3/ping", 1, NULL, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT, false, s_ping},
    {"GET", "/api/v3/time", 1, NULL, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT, false, s_time},
    {"GET", "/api/v3/exchangeInfo", 0, s_weight_exchange_info, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT,
     false, bnsim_rest_exchange_info},
    {"GET", "/api/v3/depth", 0, s_weight_depth, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT, false,
     bnsim_rest_depth},
    {"GET", "/api/v3/trades", 25, NULL, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT, false,
     bnsim_rest_trades},
    {"GET", "/api/v3/aggTrades", 4, NULL, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT, false, s_agg_trades},
    {"GET", "/api/v3/klines", 2, NULL, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT, false, bnsim_rest_klines},
    {"GET", "/api/v3/ticker/bookTicker", 0, s_weight_book_ticker, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT,
     false, bnsim_rest_book_ticker},
    {"GET", "/api/v3/ticker/price", 0, s_weight_book_ticker, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT,
     false, bnsim_rest_ticker_price},
    {"GET", "/api/v3/ticker/24hr", 0, s_weight_ticker_24hr, S_PUBLIC, BNSIM_PERM_NONE, S_SPOT,
     false, bnsim_rest_ticker_24hr},
    {"GET", "/fapi/v1/premiumIndex", 0, s_weight_premium, S_PUBLIC, BNSIM_PERM_NONE, S_FAPI, false,
     bnsim_rest_premium_index},
    {"POST", "/api/v3/order", 1, NULL, S_SIGNED, BNSIM_PERM_TRADE, S_SPOT, true, s_post_order},
    {"POST", "/api/v3/order/test", 1, NULL, S_SIGNED, BNSIM_PERM_TRADE, S_SPOT, false,
     s_test_order},
    {"GET", "/api/v3/order", 4, NULL, S_SIGNED, BNSIM_PERM_READ, S_SPOT, false, s_get_order},
    {"DELETE", "/api/v3/order", 1, NULL, S_SIGNED, BNSIM_PERM_TRADE, S_SPOT, false, s_delete_order},
    {"GET", "/api/v3/openOrders", 0, s_weight_open_orders, S_SIGNED, BNSIM_PERM_READ, S_SPOT, false,
     s_get_open_orders},
    {"DELETE", "/api/v3/openOrders", 1, NULL, S_SIGNED, BNSIM_PERM_TRADE, S_SPOT, false,
     s_delete_open_orders},
    {"GET", "/api/v3/allOrders", 20, NULL, S_SIGNED, BNSIM_PERM_READ, S_SPOT, false,
     s_get_all_orders},
    {"GET", "/api/v3/myTrades", 0, s_weight_my_trades, S_SIGNED, BNSIM_PERM_READ, S_SPOT, false,
     s_get_my_trades},
    {"GET", "/api/v3/account", 20, NULL, S_SIGNED, BNSIM_PERM_READ, S_SPOT, false, s_get_account},
    {"GET", "/sapi/v1/account/apiRestrictions", 1, NULL, S_SIGNED, BNSIM_PERM_NONE, S_SAPI, false,
     s_api_restrictions},
    {"GET", "/sapi/v1/capital/config/getall", 10, NULL, S_SIGNED, BNSIM_PERM_READ, S_SAPI, false,
     s_capital_config},
    {"GET", "/sapi/v1/margin/allPairs", 1, NULL, S_KEYED, BNSIM_PERM_NONE, S_SAPI, false,
     s_margin_pairs},
    {"GET", "/sapi/v1/margin/isolated/allPairs", 10, NULL, S_KEYED, BNSIM_PERM_NONE, S_SAPI, false,
     s_margin_pairs},
    {"GET", "/fapi/v1/exchangeInfo", 1, NULL, S_PUBLIC, BNSIM_PERM_NONE, S_FAPI, false,
     s_futures_exchange_info},
    {"GET", "/dapi/v1/exchangeInfo", 1, NULL, S_PUBLIC, BNSIM_PERM_NONE, S_DAPI, false,
     s_futures_exchange_info},
};

//  --------------------------------------------------------------------------
//  One HTTP request.

static void
s_respond_error (vb_sim_response_t *response, const bnsim_error_t *error)
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

void
bnsim_error_response (bnsim_t *self, int status, vb_sim_response_t *response)
{
    if (status == S_STATUS_NOT_FOUND) {
        vb_sim_response_header (response, "Content-Type", "text/html");
        vb_sim_response_set (response, status, s_not_found_page, strlen (s_not_found_page));
        return;
    }
    bnsim_error_t error = {0};
    if (status == S_STATUS_TEAPOT) {
        //  The ban ends when the core's Retry-After says
        const char *retry = vb_sim_response_header_value (response, "Retry-After");
        int64_t seconds = retry ? strtoll (retry, NULL, 10) : 0;
        bnsim_error_set (&error, status, -1003,
                         "Way too much request weight used; IP banned until %" PRId64
                         ". Please use WebSocket Streams for live updates to avoid bans.",
                         bnsim_now_ms (self) + seconds * BNSIM_MS_PER_S);
    } else if (status == S_STATUS_TOO_MANY)
        bnsim_error_set (&error, status, -1003,
                         "Too much request weight used; current limit is %d request weight per 1 "
                         "MINUTE. Please use WebSocket Streams for live updates to avoid polling "
                         "the API.",
                         S_WEIGHT_LIMIT);
    else if (status == S_STATUS_UNAVAILABLE)
        bnsim_error_set (&error, status, -1008,
                         "Server is currently overloaded with other requests. Please try again in "
                         "a few minutes.");
    else if (status == S_STATUS_GW_TIMEOUT)
        bnsim_error_set (&error, status, -1007,
                         "Timeout waiting for response from backend server. Send status unknown; "
                         "execution status unknown.");
    else if (status >= S_STATUS_SERVER_ERROR)
        bnsim_error_set (&error, status, -1001,
                         "Internal error; unable to process your request. Please try again.");
    else
        //  Binance's own spelling
        bnsim_error_set (&error, status, -1000,
                         "An unknown error occured while processing the request.");
    s_respond_error (response, &error);
}

void
bnsim_http (bnsim_t *self, const vb_sim_request_t *request, vb_sim_response_t *response)
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
    int limit_rc = s_weight (self, s_buckets[route->bucket].prefix, s_buckets[route->bucket].limit,
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
    else if (route->security == S_KEYED) {
        key = bnsim_key_check (self, vb_sim_request_header (request, "x-mbx-apikey"), request->peer,
                               route->perm, &error);
        if (!key)
            rc = -1;
    } else if (route->security == S_SIGNED) {
        key = bnsim_key_check (self, vb_sim_request_header (request, "x-mbx-apikey"), request->peer,
                               route->perm, &error);
        if (!key)
            rc = -1;
        else if (!bnsim_param (&params, "timestamp")) {
            bnsim_mandatory (&error, "timestamp");
            rc = -1;
        } else {
            vb_hmac_t *signer = vb_binance_signer_new (key->secret);
            int verify =
                signer ? vb_binance_verify_rest (signer, request->query, request->body) : VB_EIO;
            vb_hmac_destroy (&signer);
            if (verify == VB_ENOTFOUND) {
                bnsim_mandatory (&error, "signature");
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
        bnsim_call_t call = {request, &params, key, &out, &error};
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
