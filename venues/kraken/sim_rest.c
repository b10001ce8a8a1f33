/*  sim_rest.c — Kraken Spot REST for venuebus-sim (venues.md 3.4, 3.5, 3.7, 3.8).

    Every answer is {"error":[],"result":{...}} with HTTP 200, or
    {"error":["E<Category>:<message>"]} (no result) with HTTP 200 for
    business errors, as Kraken sends them. Public methods are GET or POST
    under /0/public/; private methods are POST under /0/private/ with a form
    (or JSON) body, API-Key and API-Sign headers and a strictly increasing
    nonce per key. Checks run in Kraken's order: key, signature, nonce, IP,
    call counter, permission, then the arguments.
    SPDX-License-Identifier: MPL-2.0
*/
#include <time.h>
#include "vb_decimal.h"
#include "vb_error.h"
#include "auth.h"
#include "sim.h"

#define S_PARAMS_MAX      64   //  Parameters one request may carry
#define S_ERROR_MAX       160  //  Longest error text
#define S_PUBLIC_PREFIX   "/0/public/"
#define S_PRIVATE_PREFIX  "/0/private/"
#define S_DEPTH_DEFAULT   100  //  Depth count default and maximum
#define S_DEPTH_MAX       500
#define S_TRADES_DEFAULT  1000                   //  Trades count default and maximum
#define S_OHLC_ROWS       720                    //  OHLC returns at most this many rows
#define S_PAGE_SIZE       50                     //  ClosedOrders / TradesHistory page
#define S_QUERY_TXIDS_MAX 50                     //  QueryOrders txid list
#define S_SECONDS_MAX     INT64_C (10000000000)  //  since below this is seconds, else ns
#define S_MINUTE_S        60
#define S_DAY_S           86400
#define S_USERREF_MAX     INT64_C (2147483647)
#define S_CL_ORD_TEXT_MAX 18  //  Free-text cl_ord_id
#define S_UUID_LONG       36
#define S_UUID_SHORT      32
#define S_PERCENT         100

//  REST call counter (Intermediate tier) and trading counter (venues.md 3.7).
#define S_REST_MAX            20
#define S_REST_DECAY_PER_100  50  //  0.5 per second
#define S_TRADE_THRESHOLD     125
#define S_TRADE_DECAY_PER_100 234  //  2.34 per second
#define S_OPEN_ORDERS_MAX     80   //  Open orders per pair (Intermediate)

//  One decoded parameter.
typedef struct {
    const char *name;
    const char *value;
} s_param_t;

//  The request as handlers see it.
typedef struct {
    vb_ksim_t *self;
    const vb_sim_request_t *request;
    s_param_t params[S_PARAMS_MAX];
    size_t param_count;
    char *storage;            //  Decoded names and values
    const vb_sim_key_t *key;  //  Private calls: the caller's key
    const char *account;      //  Private calls: the key's account
    int64_t now_ns;           //  Engine time at arrival
    vb_ksim_buf_t result;     //  The handler's result object
    char error[S_ERROR_MAX];  //  Set when the call fails
} s_call_t;

typedef void (s_handler_fn) (s_call_t *call);

//  One REST method.
typedef struct {
    const char *name;     //  Method name after the prefix
    bool private_method;  //  Under /0/private/
    unsigned permission;  //  VB_SIM_PERM_* bits needed (private)
    int cost;             //  REST call counter cost; 0 = exempt
    s_handler_fn *handler;
} s_method_t;

//  --------------------------------------------------------------------------
//  Set the call's error text.

static void
s_fail (s_call_t *call, const char *text)
{
    snprintf (call->error, sizeof (call->error), "%s", text);
}

//  --------------------------------------------------------------------------
//  Parameter by name (first occurrence), or NULL.

static const char *
s_param (s_call_t *call, const char *name)
{
    for (size_t index = 0; index < call->param_count; index++)
        if (strcmp (call->params[index].name, name) == 0)
            return call->params[index].value;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Percent-decode length bytes into out ('+' is a space). Returns the end
//  of the written text (NUL-terminated), or NULL for a bad escape.

static int
s_hex (char digit)
{
    if (digit >= '0' && digit <= '9')
        return digit - '0';
    if (digit >= 'a' && digit <= 'f')
        return digit - 'a' + 10;
    if (digit >= 'A' && digit <= 'F')
        return digit - 'A' + 10;
    return -1;
}

static char *
s_decode (const char *text, size_t length, char *out)
{
    for (size_t index = 0; index < length; index++) {
        char byte = text[index];
        if (byte == '+')
            byte = ' ';
        else if (byte == '%') {
            if (index + 2 >= length)
                return NULL;
            int high = s_hex (text[index + 1]);
            int low = s_hex (text[index + 2]);
            if (high < 0 || low < 0 || (high == 0 && low == 0))
                return NULL;
            byte = (char)(high * 16 + low);
            index += 2;
        }
        *out++ = byte;
    }
    *out++ = 0;
    return out;
}

//  --------------------------------------------------------------------------
//  Add the parameters of a form text. Returns false when malformed.

static bool
s_parse_form (s_call_t *call, const char *text, size_t length, char **cursor)
{
    size_t start = 0;
    while (start < length) {
        const char *end_p = memchr (text + start, '&', length - start);
        size_t end = end_p ? (size_t)(end_p - text) : length;
        if (end > start) {
            if (call->param_count == S_PARAMS_MAX)
                return false;
            const char *pair = text + start;
            size_t pair_length = end - start;
            const char *equals = memchr (pair, '=', pair_length);
            size_t name_length = equals ? (size_t)(equals - pair) : pair_length;
            s_param_t *param = &call->params[call->param_count++];
            param->name = *cursor;
            *cursor = s_decode (pair, name_length, *cursor);
            if (!*cursor)
                return false;
            param->value = *cursor;
            *cursor = equals ? s_decode (equals + 1, pair_length - name_length - 1, *cursor)
                             : s_decode ("", 0, *cursor);
            if (!*cursor)
                return false;
        }
        start = end + 1;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Add the fields of a JSON object body: strings, numbers (raw text),
//  booleans and arrays of strings (joined with commas, as txid lists are).

static bool
s_parse_json (s_call_t *call, const char *text, size_t length, char **cursor)
{
    vb_json_val_t root, value;
    vb_json_iter_t fields;
    if (vb_json_parse (call->self->json, text, length, &root) < 0 ||
        vb_json_object_begin (&root, &fields) < 0)
        return false;
    const char *key;
    size_t key_length;
    int rc;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (call->param_count == S_PARAMS_MAX)
            return false;
        s_param_t *param = &call->params[call->param_count++];
        param->name = *cursor;
        memcpy (*cursor, key, key_length);
        *cursor += key_length;
        *(*cursor)++ = 0;
        param->value = *cursor;
        const char *item;
        size_t item_length;
        vb_json_type_t type = vb_json_type (&value);
        if (type == VB_JSON_STRING) {
            if (vb_json_string (&value, &item, &item_length) < 0)
                return false;
        } else if (type == VB_JSON_NUMBER) {
            if (vb_json_number_text (&value, &item, &item_length) < 0)
                return false;
        } else if (type == VB_JSON_BOOL) {
            bool flag;
            if (vb_json_bool (&value, &flag) < 0)
                return false;
            item = flag ? "true" : "false";
            item_length = strlen (item);
        } else if (type == VB_JSON_ARRAY) {
            vb_json_iter_t elements;
            vb_json_val_t element;
            if (vb_json_array_begin (&value, &elements) < 0)
                return false;
            bool first = true;
            int next;
            while ((next = vb_json_array_next (&elements, &element)) == 1) {
                if (vb_json_string (&element, &item, &item_length) < 0)
                    return false;
                if (!first)
                    *(*cursor)++ = ',';
                memcpy (*cursor, item, item_length);
                *cursor += item_length;
                first = false;
            }
            if (next < 0)
                return false;
            *(*cursor)++ = 0;
            continue;
        } else
            return false;
        memcpy (*cursor, item, item_length);
        *cursor += item_length;
        *(*cursor)++ = 0;
    }
    return rc == 0;
}

//  --------------------------------------------------------------------------
//  Decode the query and the body. Returns false when malformed.

static bool
s_parse_params (s_call_t *call, bool *json_body)
{
    const vb_sim_request_t *request = call->request;
    size_t query_length = strlen (request->query);
    //  Decoded text is never longer than its source; each parameter adds two
    //  NULs, and joining an array adds at most one comma per element.
    call->storage =
        (char *)zmalloc (2 * (query_length + request->body_length) + 2 * S_PARAMS_MAX + 2);
    char *cursor = call->storage;
    if (!s_parse_form (call, request->query, query_length, &cursor))
        return false;
    const char *type = vb_sim_request_header (request, "content-type");
    *json_body = type && strstr (type, "application/json");
    if (request->body_length == 0)
        return true;
    if (*json_body)
        return s_parse_json (call, request->body, request->body_length, &cursor);
    return s_parse_form (call, request->body, request->body_length, &cursor);
}

//  --------------------------------------------------------------------------
//  Public: Time.

static void
s_time (s_call_t *call)
{
    time_t seconds = (time_t)(call->now_ns / VB_KSIM_NS_PER_S);
    struct tm utc;
    gmtime_r (&seconds, &utc);
    //  Kraken prints a two-digit year: "Tue, 11 Nov 25 00:17:04 +0000".
    char day[32], clock[16];
    strftime (day, sizeof (day), "%a, %d %b", &utc);
    strftime (clock, sizeof (clock), "%H:%M:%S", &utc);
    vb_ksim_buf_printf (&call->result, "{\"unixtime\":%lld,\"rfc1123\":\"%s %02d %s +0000\"}",
                        (long long)seconds, day, utc.tm_year % 100, clock);
}

//  --------------------------------------------------------------------------
//  Public: SystemStatus.

static void
s_system_status (s_call_t *call)
{
    time_t seconds = (time_t)(call->now_ns / VB_KSIM_NS_PER_S);
    struct tm utc;
    gmtime_r (&seconds, &utc);
    char stamp[32];
    strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%SZ", &utc);
    vb_ksim_buf_printf (&call->result, "{\"status\":\"online\",\"timestamp\":\"%s\"}", stamp);
}

//  --------------------------------------------------------------------------
//  Split a comma list in place; calls each item. Returns false at the
//  first item the callback refuses.

typedef bool (s_item_fn) (s_call_t *call, const char *item, void *arg);

static bool
s_each_item (s_call_t *call, const char *list, s_item_fn *callback, void *arg)
{
    char item[VB_SIM_ID_MAX];
    const char *start = list;
    while (true) {
        const char *comma = strchr (start, ',');
        size_t length = comma ? (size_t)(comma - start) : strlen (start);
        if (length == 0 || length >= sizeof (item))
            return false;
        memcpy (item, start, length);
        item[length] = 0;
        if (!callback (call, item, arg))
            return false;
        if (!comma)
            return true;
        start = comma + 1;
    }
}

//  --------------------------------------------------------------------------
//  Pair lists: mark the pairs named in a `pair` list (all when absent).

static bool
s_mark_pair (s_call_t *call, const char *item, void *arg)
{
    bool *marks = (bool *)arg;
    const vb_ksim_pair_t *pair = vb_ksim_pair_by_rest (call->self, item);
    if (!pair)
        return false;
    marks[pair - call->self->pairs] = true;
    return true;
}

static bool
s_pair_marks (s_call_t *call, bool *marks)
{
    const char *list = s_param (call, "pair");
    for (size_t index = 0; index < call->self->pair_count; index++)
        marks[index] = list == NULL;
    if (list && !s_each_item (call, list, s_mark_pair, marks)) {
        s_fail (call, "EQuery:Unknown asset pair");
        return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  The single pair a market-data call names, or NULL with the error set.

static const vb_ksim_pair_t *
s_one_pair (s_call_t *call)
{
    const char *name = s_param (call, "pair");
    if (!name || !*name) {
        s_fail (call, "EGeneral:Invalid arguments");
        return NULL;
    }
    const vb_ksim_pair_t *pair = vb_ksim_pair_by_rest (call->self, name);
    if (!pair)
        s_fail (call, "EQuery:Unknown asset pair");
    return pair;
}

//  --------------------------------------------------------------------------
//  Parse a non-negative decimal integer parameter; false when malformed.

static bool
s_int_param (const char *text, int64_t *value)
{
    if (!text || !*text || strlen (text) > 19)
        return false;
    int64_t result = 0;
    for (const char *cursor = text; *cursor; cursor++) {
        if (*cursor < '0' || *cursor > '9')
            return false;
        result = result * 10 + (*cursor - '0');
    }
    *value = result;
    return true;
}

//  --------------------------------------------------------------------------
//  Public: Assets.

static bool
s_asset_served (vb_ksim_t *self, const vb_kraken_asset_t *asset)
{
    for (size_t index = 0; index < self->pair_count; index++)
        if (strcmp (self->pairs[index].names->base, asset->code) == 0 ||
            strcmp (self->pairs[index].names->quote, asset->code) == 0)
            return true;
    return false;
}

static bool
s_mark_asset (s_call_t *call, const char *item, void *arg)
{
    bool *marks = (bool *)arg;
    const vb_kraken_asset_t *asset = vb_kraken_asset_find (item);
    if (!asset || !s_asset_served (call->self, asset))
        return false;
    for (size_t index = 0; index < vb_kraken_asset_count (); index++)
        if (vb_kraken_asset_at (index) == asset)
            marks[index] = true;
    return true;
}

static void
s_assets (s_call_t *call)
{
    size_t count = vb_kraken_asset_count ();
    bool marks[64] = {false};
    if (count > sizeof (marks) / sizeof (marks[0]))
        count = sizeof (marks) / sizeof (marks[0]);
    const char *list = s_param (call, "asset");
    if (list && !s_each_item (call, list, s_mark_asset, marks)) {
        s_fail (call, "EQuery:Unknown asset");
        return;
    }
    VB_KSIM_ADD (&call->result, "{");
    bool first = true;
    for (size_t index = 0; index < count; index++) {
        const vb_kraken_asset_t *asset = vb_kraken_asset_at (index);
        if ((list && !marks[index]) || !s_asset_served (call->self, asset))
            continue;
        vb_ksim_buf_printf (&call->result,
                            "%s\"%s\":{\"aclass\":\"currency\",\"altname\":\"%s\",\"decimals\":%d,"
                            "\"display_decimals\":%d,\"collateral_value\":1.0,\"status\":"
                            "\"enabled\"}",
                            first ? "" : ",", asset->code, asset->altname, asset->decimals,
                            asset->display_decimals);
        first = false;
    }
    VB_KSIM_ADD (&call->result, "}");
}

//  --------------------------------------------------------------------------
//  Public: AssetPairs (info = info | leverage | fees | margin).

static const char s_fees_taker[] =
    "[[0,0.4],[10000,0.35],[50000,0.24],[100000,0.22],[250000,0.2],[500000,0.18],"
    "[1000000,0.16],[2500000,0.14],[5000000,0.12],[10000000,0.1]]";
static const char s_fees_maker[] =
    "[[0,0.25],[10000,0.2],[50000,0.14],[100000,0.12],[250000,0.1],[500000,0.08],"
    "[1000000,0.06],[2500000,0.04],[5000000,0.02],[10000000,0.0]]";
static const char s_leverage[] = "[2,3,4,5]";

static void
s_asset_pair (s_call_t *call, const vb_ksim_pair_t *pair, const char *info)
{
    vb_ksim_buf_t *out = &call->result;
    const vb_sim_instrument_t *instrument = pair->instrument;
    bool all = strcmp (info, "info") == 0;
    vb_ksim_buf_printf (out, "\"%s\":{", pair->names->key);
    if (all)
        vb_ksim_buf_printf (out,
                            "\"altname\":\"%s\",\"wsname\":\"%s\",\"aclass_base\":\"currency\","
                            "\"base\":\"%s\",\"aclass_quote\":\"currency\",\"quote\":\"%s\","
                            "\"lot\":\"unit\",\"cost_decimals\":%d,\"pair_decimals\":%d,"
                            "\"lot_decimals\":%d,\"lot_multiplier\":1,",
                            pair->names->altname, pair->names->wsname, pair->names->base,
                            pair->names->quote, VB_KSIM_COST_DECIMALS, pair->price_decimals,
                            pair->qty_decimals);
    if (all || strcmp (info, "leverage") == 0)
        vb_ksim_buf_printf (out, "\"leverage_buy\":%s,\"leverage_sell\":%s%s", s_leverage,
                            s_leverage, all ? "," : "");
    if (all || strcmp (info, "fees") == 0)
        vb_ksim_buf_printf (out, "\"fees\":%s,\"fees_maker\":%s,\"fee_volume_currency\":\"ZUSD\"%s",
                            s_fees_taker, s_fees_maker, all ? "," : "");
    if (all || strcmp (info, "margin") == 0)
        vb_ksim_buf_printf (out, "\"margin_call\":80,\"margin_stop\":40%s", all ? "," : "");
    if (all) {
        VB_KSIM_ADD (out, "\"ordermin\":\"");
        vb_ksim_buf_decimal_trim (out, instrument->min_qty, instrument->qty_exponent,
                                  pair->qty_decimals, 0);
        VB_KSIM_ADD (out, "\",\"costmin\":\"");
        vb_ksim_buf_decimal_trim (out, instrument->min_notional,
                                  instrument->price_exponent + instrument->qty_exponent,
                                  VB_KSIM_COST_DECIMALS, 0);
        VB_KSIM_ADD (out, "\",\"tick_size\":\"");
        vb_ksim_buf_decimal_trim (out, instrument->tick, instrument->price_exponent,
                                  pair->price_decimals, 0);
        VB_KSIM_ADD (out, "\",\"status\":\"online\",\"long_position_limit\":250,"
                          "\"short_position_limit\":200");
    }
    VB_KSIM_ADD (out, "}");
}

static void
s_asset_pairs (s_call_t *call)
{
    bool marks[VB_KSIM_PAIRS_MAX];
    if (!s_pair_marks (call, marks))
        return;
    const char *info = s_param (call, "info");
    if (!info)
        info = "info";
    if (strcmp (info, "info") && strcmp (info, "leverage") && strcmp (info, "fees") &&
        strcmp (info, "margin")) {
        s_fail (call, "EGeneral:Invalid arguments:info");
        return;
    }
    VB_KSIM_ADD (&call->result, "{");
    bool first = true;
    for (size_t index = 0; index < call->self->pair_count; index++) {
        if (!marks[index])
            continue;
        if (!first)
            VB_KSIM_ADD (&call->result, ",");
        s_asset_pair (call, &call->self->pairs[index], info);
        first = false;
    }
    VB_KSIM_ADD (&call->result, "}");
}

//  --------------------------------------------------------------------------
//  Public: Depth. Prices with 5 decimals, volumes trimmed to >= 3 decimals,
//  as Kraken prints them (fixtures/real/kraken/nautilus/http_order_book.json).

static void
s_depth_side (s_call_t *call, const vb_ksim_pair_t *pair, const vb_sim_level_t *levels,
              size_t count, int64_t seconds)
{
    const vb_sim_instrument_t *instrument = pair->instrument;
    VB_KSIM_ADD (&call->result, "[");
    for (size_t index = 0; index < count; index++) {
        vb_ksim_buf_add (&call->result, index ? ",[\"" : "[\"", index ? 3 : 2);
        vb_ksim_buf_decimal (&call->result, levels[index].price, instrument->price_exponent,
                             pair->price_decimals > VB_KSIM_REST_PRICE_DECIMALS
                                 ? pair->price_decimals
                                 : VB_KSIM_REST_PRICE_DECIMALS);
        VB_KSIM_ADD (&call->result, "\",\"");
        vb_ksim_buf_decimal_trim (&call->result, levels[index].qty, instrument->qty_exponent,
                                  pair->qty_decimals, 3);
        vb_ksim_buf_printf (&call->result, "\",%lld]", (long long)seconds);
    }
    VB_KSIM_ADD (&call->result, "]");
}

static void
s_depth (s_call_t *call)
{
    const vb_ksim_pair_t *pair = s_one_pair (call);
    if (!pair)
        return;
    int64_t count = S_DEPTH_DEFAULT;
    const char *count_text = s_param (call, "count");
    if (count_text && (!s_int_param (count_text, &count) || count < 1)) {
        s_fail (call, "EGeneral:Invalid arguments");
        return;
    }
    if (count > S_DEPTH_MAX)
        count = S_DEPTH_MAX;
    vb_sim_level_t *bids = (vb_sim_level_t *)zmalloc ((size_t)count * sizeof (vb_sim_level_t));
    vb_sim_level_t *asks = (vb_sim_level_t *)zmalloc ((size_t)count * sizeof (vb_sim_level_t));
    size_t bid_count = 0, ask_count = 0;
    vb_sim_engine_depth (call->self->engine, pair->instrument, (size_t)count, bids, &bid_count,
                         asks, &ask_count);
    int64_t seconds = call->now_ns / VB_KSIM_NS_PER_S;
    vb_ksim_buf_printf (&call->result, "{\"%s\":{\"asks\":", pair->names->key);
    s_depth_side (call, pair, asks, ask_count, seconds);
    VB_KSIM_ADD (&call->result, ",\"bids\":");
    s_depth_side (call, pair, bids, bid_count, seconds);
    VB_KSIM_ADD (&call->result, "}}");
    free (bids);
    free (asks);
}

//  --------------------------------------------------------------------------
//  Public: Trades (since = ns id from `last`, or Unix seconds).

static void
s_trades (s_call_t *call)
{
    const vb_ksim_pair_t *pair = s_one_pair (call);
    if (!pair)
        return;
    int64_t since_ns = 0;
    const char *since = s_param (call, "since");
    if (since && *since) {
        if (!s_int_param (since, &since_ns)) {
            s_fail (call, "EGeneral:Invalid arguments");
            return;
        }
        if (since_ns < S_SECONDS_MAX)
            since_ns *= VB_KSIM_NS_PER_S;
    }
    int64_t count = S_TRADES_DEFAULT;
    const char *count_text = s_param (call, "count");
    if (count_text && (!s_int_param (count_text, &count) || count < 1)) {
        s_fail (call, "EGeneral:Invalid arguments");
        return;
    }
    const vb_sim_instrument_t *instrument = pair->instrument;
    size_t total = vb_sim_engine_trade_count (call->self->engine, instrument);
    size_t first = 0;
    while (first < total &&
           vb_sim_engine_trade_at (call->self->engine, instrument, first)->ts_ns <= since_ns)
        first++;
    if (total - first > (size_t)count)
        first = total - (size_t)count;
    int64_t last_ns = since_ns;
    vb_ksim_buf_printf (&call->result, "{\"%s\":[", pair->names->key);
    for (size_t index = first; index < total; index++) {
        const vb_sim_fill_t *trade = vb_sim_engine_trade_at (call->self->engine, instrument, index);
        vb_ksim_buf_add (&call->result, index > first ? ",[\"" : "[\"", index > first ? 3 : 2);
        vb_ksim_buf_decimal (&call->result, trade->price, instrument->price_exponent,
                             pair->price_decimals > VB_KSIM_REST_PRICE_DECIMALS
                                 ? pair->price_decimals
                                 : VB_KSIM_REST_PRICE_DECIMALS);
        VB_KSIM_ADD (&call->result, "\",\"");
        vb_ksim_buf_decimal (&call->result, trade->qty, instrument->qty_exponent,
                             pair->qty_decimals);
        VB_KSIM_ADD (&call->result, "\",");
        vb_ksim_buf_seconds (&call->result, trade->ts_ns);
        vb_ksim_buf_printf (&call->result, ",\"%s\",\"%s\",\"\",%" PRIu64 "]",
                            trade->side == VB_SIM_BUY ? "b" : "s", trade->maker ? "l" : "m",
                            trade->trade_id);
        last_ns = trade->ts_ns;
    }
    vb_ksim_buf_printf (&call->result, "],\"last\":\"%lld\"}", (long long)last_ns);
}

//  --------------------------------------------------------------------------
//  Public: OHLC. Rows [time, open, high, low, close, vwap, volume, count],
//  at most 720, the last one the current (uncommitted) candle.

static bool
s_interval_ok (int64_t minutes)
{
    static const int64_t allowed[] = {1, 5, 15, 30, 60, 240, 1440, 10080, 21600};
    for (size_t index = 0; index < sizeof (allowed) / sizeof (allowed[0]); index++)
        if (allowed[index] == minutes)
            return true;
    return false;
}

static void
s_ohlc (s_call_t *call)
{
    const vb_ksim_pair_t *pair = s_one_pair (call);
    if (!pair)
        return;
    int64_t minutes = 1;
    const char *interval = s_param (call, "interval");
    if (interval && (!s_int_param (interval, &minutes) || !s_interval_ok (minutes))) {
        s_fail (call, "EGeneral:Invalid arguments");
        return;
    }
    int64_t since_s = 0;
    const char *since = s_param (call, "since");
    if (since && *since && !s_int_param (since, &since_s)) {
        s_fail (call, "EGeneral:Invalid arguments");
        return;
    }
    const vb_sim_instrument_t *instrument = pair->instrument;
    int64_t interval_s = minutes * S_MINUTE_S;
    //  Read candles at a base interval that divides a day, then merge.
    int64_t base_s = interval_s > S_DAY_S ? S_DAY_S : interval_s;
    int64_t now_s = call->now_ns / VB_KSIM_NS_PER_S;
    int64_t current_s = now_s - now_s % interval_s;
    int64_t from_s = current_s - (S_OHLC_ROWS - 1) * interval_s;
    if (from_s < 0)
        from_s = 0;
    size_t count = vb_sim_engine_candles (
        call->self->engine, instrument, base_s, from_s * VB_KSIM_NS_PER_S,
        (current_s + interval_s) * VB_KSIM_NS_PER_S, call->self->candles, VB_KSIM_CANDLES_MAX);
    vb_ksim_buf_printf (&call->result, "{\"%s\":[", pair->names->key);
    bool first = true;
    int64_t last_committed = current_s - interval_s;
    size_t index = 0;
    while (index < count) {
        vb_sim_candle_t merged = call->self->candles[index];
        int64_t open_s = merged.open_ns / VB_KSIM_NS_PER_S;
        open_s -= open_s % interval_s;
        index++;
        while (index < count &&
               call->self->candles[index].open_ns / VB_KSIM_NS_PER_S - open_s < interval_s) {
            const vb_sim_candle_t *next = &call->self->candles[index++];
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
        if (merged.trades == 0 || open_s <= since_s)
            continue;
        vb_ksim_buf_printf (&call->result, "%s[%lld,\"", first ? "" : ",", (long long)open_s);
        int64_t values[4] = {merged.open, merged.high, merged.low, merged.close};
        for (size_t field = 0; field < 4; field++) {
            vb_ksim_buf_decimal (&call->result, values[field], instrument->price_exponent,
                                 pair->price_decimals);
            VB_KSIM_ADD (&call->result, "\",\"");
        }
        int64_t vwap = merged.volume ? merged.notional / merged.volume : 0;
        vb_ksim_buf_decimal (&call->result, vwap, instrument->price_exponent, pair->price_decimals);
        VB_KSIM_ADD (&call->result, "\",\"");
        vb_ksim_buf_decimal (&call->result, merged.volume, instrument->qty_exponent,
                             pair->qty_decimals);
        vb_ksim_buf_printf (&call->result, "\",%" PRIu64 "]", merged.trades);
        first = false;
    }
    vb_ksim_buf_printf (&call->result, "],\"last\":%lld}", (long long)last_committed);
}

//  --------------------------------------------------------------------------
//  Public: Ticker.

static void
s_ticker_price (s_call_t *call, const vb_ksim_pair_t *pair, int64_t price)
{
    VB_KSIM_ADD (&call->result, "\"");
    vb_ksim_buf_decimal (&call->result, price, pair->instrument->price_exponent,
                         pair->price_decimals > VB_KSIM_REST_PRICE_DECIMALS
                             ? pair->price_decimals
                             : VB_KSIM_REST_PRICE_DECIMALS);
    VB_KSIM_ADD (&call->result, "\"");
}

static void
s_ticker_qty (s_call_t *call, const vb_ksim_pair_t *pair, int64_t qty)
{
    VB_KSIM_ADD (&call->result, "\"");
    vb_ksim_buf_decimal (&call->result, qty, pair->instrument->qty_exponent, pair->qty_decimals);
    VB_KSIM_ADD (&call->result, "\"");
}

static void
s_ticker_side (s_call_t *call, const vb_ksim_pair_t *pair, const vb_sim_level_t *level,
               size_t count)
{
    int32_t qe = pair->instrument->qty_exponent;
    int64_t price = count ? level->price : 0;
    int64_t qty = count ? level->qty : 0;
    int64_t unit = 1;
    for (int32_t step = qe; step < 0; step++)
        unit *= 10;
    VB_KSIM_ADD (&call->result, "[");
    s_ticker_price (call, pair, price);
    vb_ksim_buf_printf (&call->result, ",\"%lld\",\"", (long long)(qty / unit));
    vb_ksim_buf_decimal (&call->result, qty, qe, 3);
    VB_KSIM_ADD (&call->result, "\"]");
}

static void
s_ticker_one (s_call_t *call, const vb_ksim_pair_t *pair)
{
    vb_ksim_t *self = call->self;
    const vb_sim_instrument_t *instrument = pair->instrument;
    vb_sim_level_t bid, ask;
    size_t bid_count = 0, ask_count = 0;
    vb_sim_engine_depth (self->engine, instrument, 1, &bid, &bid_count, &ask, &ask_count);
    vb_ksim_stats_t stats;
    vb_ksim_stats (self, instrument, call->now_ns, &stats);
    size_t trades = vb_sim_engine_trade_count (self->engine, instrument);
    const vb_sim_fill_t *last =
        trades ? vb_sim_engine_trade_at (self->engine, instrument, trades - 1) : NULL;
    vb_ksim_buf_printf (&call->result, "\"%s\":{\"a\":", pair->names->key);
    s_ticker_side (call, pair, &ask, ask_count);
    VB_KSIM_ADD (&call->result, ",\"b\":");
    s_ticker_side (call, pair, &bid, bid_count);
    VB_KSIM_ADD (&call->result, ",\"c\":[");
    s_ticker_price (call, pair, last ? last->price : 0);
    VB_KSIM_ADD (&call->result, ",");
    s_ticker_qty (call, pair, last ? last->qty : 0);
    VB_KSIM_ADD (&call->result, "],\"v\":[");
    s_ticker_qty (call, pair, stats.volume_today);
    VB_KSIM_ADD (&call->result, ",");
    s_ticker_qty (call, pair, stats.volume_24h);
    VB_KSIM_ADD (&call->result, "],\"p\":[");
    s_ticker_price (call, pair, stats.volume_today ? stats.notional_today / stats.volume_today : 0);
    VB_KSIM_ADD (&call->result, ",");
    s_ticker_price (call, pair, stats.volume_24h ? stats.notional_24h / stats.volume_24h : 0);
    vb_ksim_buf_printf (&call->result, "],\"t\":[%" PRIu64 ",%" PRIu64 "],\"l\":[",
                        stats.trades_today, stats.trades_24h);
    s_ticker_price (call, pair, stats.low_24h);
    VB_KSIM_ADD (&call->result, ",");
    s_ticker_price (call, pair, stats.low_24h);
    VB_KSIM_ADD (&call->result, "],\"h\":[");
    s_ticker_price (call, pair, stats.high_24h);
    VB_KSIM_ADD (&call->result, ",");
    s_ticker_price (call, pair, stats.high_24h);
    VB_KSIM_ADD (&call->result, "],\"o\":");
    s_ticker_price (call, pair, stats.any_today ? stats.open_today : stats.open_24h);
    VB_KSIM_ADD (&call->result, "}");
}

static void
s_ticker (s_call_t *call)
{
    bool marks[VB_KSIM_PAIRS_MAX];
    if (!s_pair_marks (call, marks))
        return;
    VB_KSIM_ADD (&call->result, "{");
    bool first = true;
    for (size_t index = 0; index < call->self->pair_count; index++) {
        if (!marks[index])
            continue;
        if (!first)
            VB_KSIM_ADD (&call->result, ",");
        s_ticker_one (call, &call->self->pairs[index]);
        first = false;
    }
    VB_KSIM_ADD (&call->result, "}");
}

//  --------------------------------------------------------------------------
//  Private: Balance and BalanceEx (asset codes as Kraken spells them).

static void
s_balances (s_call_t *call, bool extended)
{
    vb_ksim_t *self = call->self;
    size_t count = vb_sim_engine_balance_count (self->engine, call->account);
    VB_KSIM_ADD (&call->result, "{");
    bool first = true;
    for (size_t index = 0; index < count; index++) {
        const char *asset = NULL;
        int64_t free_units = 0, locked = 0;
        if (vb_sim_engine_balance_at (self->engine, call->account, index, &asset, &free_units,
                                      &locked) < 0 ||
            !asset)
            continue;
        const vb_kraken_asset_t *known = vb_kraken_asset_find_normalised (asset);
        const char *code = known ? known->code : asset;
        int decimals = known ? known->decimals : -VB_SIM_ASSET_EXPONENT;
        vb_ksim_buf_printf (&call->result, "%s\"%s\":", first ? "" : ",", code);
        if (extended) {
            VB_KSIM_ADD (&call->result, "{\"balance\":\"");
            vb_ksim_buf_decimal (&call->result, free_units + locked, VB_SIM_ASSET_EXPONENT,
                                 decimals);
            VB_KSIM_ADD (&call->result, "\",\"hold_trade\":\"");
            vb_ksim_buf_decimal (&call->result, locked, VB_SIM_ASSET_EXPONENT, decimals);
            VB_KSIM_ADD (&call->result, "\"}");
        } else {
            VB_KSIM_ADD (&call->result, "\"");
            vb_ksim_buf_decimal (&call->result, free_units + locked, VB_SIM_ASSET_EXPONENT,
                                 decimals);
            VB_KSIM_ADD (&call->result, "\"");
        }
        first = false;
    }
    VB_KSIM_ADD (&call->result, "}");
}

static void
s_balance (s_call_t *call)
{
    s_balances (call, false);
}

static void
s_balance_ex (s_call_t *call)
{
    s_balances (call, true);
}

//  --------------------------------------------------------------------------
//  Order texts: "buy 1.25000000 XBTUSD @ limit 37500.0".

static void
s_order_text (vb_ksim_buf_t *out, const vb_ksim_pair_t *pair, vb_sim_side_t side,
              vb_sim_type_t type, int64_t price, int64_t qty)
{
    vb_ksim_buf_printf (out, "%s ", side == VB_SIM_BUY ? "buy" : "sell");
    vb_ksim_buf_decimal (out, qty, pair->instrument->qty_exponent, pair->qty_decimals);
    vb_ksim_buf_printf (out, " %s @ %s", pair->names->altname,
                        type == VB_SIM_LIMIT ? "limit " : "market");
    if (type == VB_SIM_LIMIT)
        vb_ksim_buf_decimal (out, price, pair->instrument->price_exponent, pair->price_decimals);
}

//  --------------------------------------------------------------------------
//  Kraken's REST and WS status names for an engine order.

const char *
vb_ksim_rest_status (const vb_sim_order_t *order)
{
    switch (order->status) {
        case VB_SIM_NEW:
        case VB_SIM_PARTIALLY_FILLED:
            return "open";
        case VB_SIM_FILLED:
            return "closed";
        case VB_SIM_CANCELED:
        case VB_SIM_REJECTED:
            return "canceled";
        case VB_SIM_EXPIRED:
            return "expired";
    }
    return "pending";
}

const char *
vb_ksim_ws_status (const vb_sim_order_t *order)
{
    switch (order->status) {
        case VB_SIM_NEW:
            return "new";
        case VB_SIM_PARTIALLY_FILLED:
            return "partially_filled";
        case VB_SIM_FILLED:
            return "filled";
        case VB_SIM_CANCELED:
        case VB_SIM_REJECTED:
            return "canceled";
        case VB_SIM_EXPIRED:
            return "expired";
    }
    return "pending_new";
}

//  --------------------------------------------------------------------------
//  Cost and fee of an order (at cost_decimals), from the engine's notional.

static int64_t
s_order_fee (vb_ksim_t *self, const vb_sim_order_t *order)
{
    int64_t fee = 0;
    for (size_t index = 0;; index++) {
        const vb_sim_fill_t *fill =
            vb_sim_engine_fill_at (self->engine, order->account, order->instrument, index);
        if (!fill)
            break;
        if (fill->order_id == order->order_id)
            fee += fill->fee;
    }
    return fee;
}

//  --------------------------------------------------------------------------
//  One order object as OpenOrders / ClosedOrders / QueryOrders show it.

static void
s_order_object (s_call_t *call, const vb_sim_order_t *order)
{
    vb_ksim_t *self = call->self;
    const vb_ksim_pair_t *pair = vb_ksim_pair_by_instrument (self, order->instrument);
    if (!pair)
        return;
    const vb_sim_instrument_t *instrument = pair->instrument;
    int32_t notional_exponent = instrument->price_exponent + instrument->qty_exponent;
    vb_ksim_meta_t *meta = vb_ksim_meta (self, order->order_id);
    vb_ksim_buf_t *out = &call->result;
    char txid[VB_KSIM_TXID_SIZE];
    vb_ksim_order_txid (order->order_id, txid);
    bool open = order->status == VB_SIM_NEW || order->status == VB_SIM_PARTIALLY_FILLED;
    vb_ksim_buf_printf (out, "\"%s\":{\"refid\":null,\"userref\":%d,", txid,
                        meta ? meta->userref : 0);
    if (meta && meta->client_given) {
        VB_KSIM_ADD (out, "\"cl_ord_id\":");
        vb_ksim_buf_string (out, order->client_id, strlen (order->client_id));
        VB_KSIM_ADD (out, ",");
    }
    vb_ksim_buf_printf (out, "\"status\":\"%s\",", vb_ksim_rest_status (order));
    if (!open) {
        if (order->status == VB_SIM_CANCELED && meta && meta->user_canceled)
            VB_KSIM_ADD (out, "\"reason\":\"User requested\",");
        else
            VB_KSIM_ADD (out, "\"reason\":null,");
    }
    VB_KSIM_ADD (out, "\"opentm\":");
    vb_ksim_buf_seconds (out, order->created_ns);
    if (!open) {
        VB_KSIM_ADD (out, ",\"closetm\":");
        vb_ksim_buf_seconds (out, order->updated_ns);
    }
    vb_ksim_buf_printf (out,
                        ",\"starttm\":0,\"expiretm\":0,\"descr\":{\"pair\":\"%s\",\"type\":\"%s\","
                        "\"ordertype\":\"%s\",\"price\":\"",
                        pair->names->altname, order->side == VB_SIM_BUY ? "buy" : "sell",
                        order->type == VB_SIM_LIMIT ? "limit" : "market");
    if (order->type == VB_SIM_LIMIT)
        vb_ksim_buf_decimal (out, order->price, instrument->price_exponent, pair->price_decimals);
    else
        VB_KSIM_ADD (out, "0");
    VB_KSIM_ADD (out, "\",\"price2\":\"0\",\"leverage\":\"none\",\"order\":\"");
    s_order_text (out, pair, order->side, order->type, order->price, order->qty);
    VB_KSIM_ADD (out, "\",\"close\":\"\"},\"vol\":\"");
    vb_ksim_buf_decimal (out, order->qty, instrument->qty_exponent, pair->qty_decimals);
    VB_KSIM_ADD (out, "\",\"vol_exec\":\"");
    vb_ksim_buf_decimal (out, order->filled, instrument->qty_exponent, pair->qty_decimals);
    VB_KSIM_ADD (out, "\",\"cost\":\"");
    vb_ksim_buf_decimal (out, order->filled_notional, notional_exponent, VB_KSIM_COST_DECIMALS);
    VB_KSIM_ADD (out, "\",\"fee\":\"");
    vb_ksim_buf_decimal (out, order->filled ? s_order_fee (self, order) : 0, notional_exponent,
                         VB_KSIM_COST_DECIMALS);
    VB_KSIM_ADD (out, "\",\"price\":\"");
    if (order->filled)
        vb_ksim_buf_decimal (out, order->filled_notional / order->filled,
                             instrument->price_exponent, VB_KSIM_COST_DECIMALS);
    else
        vb_ksim_buf_decimal (out, 0, 0, VB_KSIM_COST_DECIMALS);
    vb_ksim_buf_printf (out,
                        "\",\"stopprice\":\"0.00000\",\"limitprice\":\"0.00000\",\"misc\":\"\","
                        "\"oflags\":\"%s\"",
                        meta && meta->oflags[0] ? meta->oflags : vb_ksim_fee_flag (order, meta));
    VB_KSIM_ADD (out, "}");
}

//  --------------------------------------------------------------------------
//  Filters shared by OpenOrders, ClosedOrders and QueryOrders.

typedef struct {
    bool has_userref;
    int32_t userref;
    const char *cl_ord_id;  //  NULL when absent
} s_filter_t;

static bool
s_parse_userref (const char *text, int32_t *userref)
{
    if (!text || !*text || strlen (text) > 11)
        return false;
    const char *digits = text[0] == '-' ? text + 1 : text;
    int64_t value = 0;
    if (!s_int_param (digits, &value) || value > S_USERREF_MAX + (text[0] == '-'))
        return false;
    *userref = (int32_t)(text[0] == '-' ? -value : value);
    return true;
}

static bool
s_filter_parse (s_call_t *call, s_filter_t *filter)
{
    memset (filter, 0, sizeof (*filter));
    const char *userref = s_param (call, "userref");
    if (userref) {
        if (!s_parse_userref (userref, &filter->userref)) {
            s_fail (call, "EGeneral:Invalid arguments:userref");
            return false;
        }
        filter->has_userref = true;
    }
    filter->cl_ord_id = s_param (call, "cl_ord_id");
    return true;
}

static bool
s_filter_match (s_call_t *call, const s_filter_t *filter, const vb_sim_order_t *order)
{
    vb_ksim_meta_t *meta = vb_ksim_meta (call->self, order->order_id);
    if (filter->has_userref && (!meta || meta->userref != filter->userref))
        return false;
    if (filter->cl_ord_id &&
        (!meta || !meta->client_given || strcmp (order->client_id, filter->cl_ord_id) != 0))
        return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Private: OpenOrders.

static void
s_open_orders (s_call_t *call)
{
    s_filter_t filter;
    if (!s_filter_parse (call, &filter))
        return;
    VB_KSIM_ADD (&call->result, "{\"open\":{");
    bool first = true;
    for (size_t index = 0;; index++) {
        const vb_sim_order_t *order =
            vb_sim_engine_order_at (call->self->engine, call->account, NULL, true, index);
        if (!order)
            break;
        if (!s_filter_match (call, &filter, order))
            continue;
        if (!first)
            VB_KSIM_ADD (&call->result, ",");
        s_order_object (call, order);
        first = false;
    }
    VB_KSIM_ADD (&call->result, "}}");
}

//  --------------------------------------------------------------------------
//  Private: ClosedOrders (newest first, 50 a page from `ofs`).

static void
s_closed_orders (s_call_t *call)
{
    s_filter_t filter;
    if (!s_filter_parse (call, &filter))
        return;
    int64_t offset = 0;
    const char *ofs = s_param (call, "ofs");
    if (ofs && !s_int_param (ofs, &offset)) {
        s_fail (call, "EGeneral:Invalid arguments:ofs");
        return;
    }
    size_t total = 0;
    while (vb_sim_engine_order_at (call->self->engine, call->account, NULL, false, total))
        total++;
    VB_KSIM_ADD (&call->result, "{\"closed\":{");
    int64_t matched = 0;
    int64_t shown = 0;
    for (size_t back = total; back > 0; back--) {
        const vb_sim_order_t *order =
            vb_sim_engine_order_at (call->self->engine, call->account, NULL, false, back - 1);
        if (!order || order->status == VB_SIM_NEW || order->status == VB_SIM_PARTIALLY_FILLED ||
            !s_filter_match (call, &filter, order))
            continue;
        if (matched++ < offset || shown == S_PAGE_SIZE)
            continue;
        if (shown++)
            VB_KSIM_ADD (&call->result, ",");
        s_order_object (call, order);
    }
    vb_ksim_buf_printf (&call->result, "},\"count\":%lld}", (long long)matched);
}

//  --------------------------------------------------------------------------
//  Private: QueryOrders (txid list, or cl_ord_id, or userref).

static bool
s_query_txid (s_call_t *call, const char *item, void *arg)
{
    bool *first = (bool *)arg;
    uint64_t order_id = vb_ksim_order_id (item, strlen (item));
    const vb_sim_order_t *order =
        order_id ? vb_sim_engine_order (call->self->engine, call->account, order_id, NULL) : NULL;
    if (!order)
        return false;
    if (!*first)
        VB_KSIM_ADD (&call->result, ",");
    s_order_object (call, order);
    *first = false;
    return true;
}

static void
s_query_orders (s_call_t *call)
{
    const char *txids = s_param (call, "txid");
    s_filter_t filter;
    if (!s_filter_parse (call, &filter))
        return;
    if (!txids && !filter.cl_ord_id && !filter.has_userref) {
        s_fail (call, "EGeneral:Invalid arguments");
        return;
    }
    VB_KSIM_ADD (&call->result, "{");
    bool first = true;
    if (txids) {
        size_t commas = 0;
        for (const char *cursor = txids; *cursor; cursor++)
            commas += *cursor == ',';
        if (commas + 1 > S_QUERY_TXIDS_MAX || !s_each_item (call, txids, s_query_txid, &first)) {
            s_fail (call, "EOrder:Invalid order");
            return;
        }
    } else {
        for (size_t index = 0;; index++) {
            const vb_sim_order_t *order =
                vb_sim_engine_order_at (call->self->engine, call->account, NULL, false, index);
            if (!order)
                break;
            if (!s_filter_match (call, &filter, order))
                continue;
            if (!first)
                VB_KSIM_ADD (&call->result, ",");
            s_order_object (call, order);
            first = false;
        }
    }
    VB_KSIM_ADD (&call->result, "}");
}

//  --------------------------------------------------------------------------
//  Private: TradesHistory (newest first, 50 a page from `ofs`).

static void
s_trade_object (s_call_t *call, const vb_sim_fill_t *fill)
{
    vb_ksim_t *self = call->self;
    const vb_ksim_pair_t *pair = vb_ksim_pair_by_instrument (self, fill->instrument);
    if (!pair)
        return;
    const vb_sim_instrument_t *instrument = pair->instrument;
    const vb_sim_order_t *order =
        vb_sim_engine_order (self->engine, call->account, fill->order_id, NULL);
    char txid[VB_KSIM_TXID_SIZE], order_txid[VB_KSIM_TXID_SIZE], postxid[VB_KSIM_TXID_SIZE];
    vb_ksim_fill_txid (self, fill, txid);
    vb_ksim_order_txid (fill->order_id, order_txid);
    vb_ksim_trade_txid (fill->trade_id, 'T', postxid);
    postxid[1] = 'K';  //  Kraken's postxid values start "TK"
    int32_t notional_exponent = instrument->price_exponent + instrument->qty_exponent;
    vb_ksim_buf_t *out = &call->result;
    vb_ksim_buf_printf (
        out, "\"%s\":{\"ordertxid\":\"%s\",\"postxid\":\"%s\",\"pair\":\"%s\",\"time\":", txid,
        order_txid, postxid, pair->names->key);
    vb_ksim_buf_seconds (out, fill->ts_ns);
    vb_ksim_buf_printf (out, ",\"type\":\"%s\",\"ordertype\":\"%s\",\"price\":\"",
                        fill->side == VB_SIM_BUY ? "buy" : "sell",
                        order && order->type == VB_SIM_MARKET ? "market" : "limit");
    vb_ksim_buf_decimal (out, fill->price, instrument->price_exponent, pair->price_decimals);
    VB_KSIM_ADD (out, "\",\"cost\":\"");
    vb_ksim_buf_decimal (out, fill->price * fill->qty, notional_exponent, VB_KSIM_COST_DECIMALS);
    VB_KSIM_ADD (out, "\",\"fee\":\"");
    vb_ksim_buf_decimal (out, fill->fee, notional_exponent, VB_KSIM_COST_DECIMALS);
    VB_KSIM_ADD (out, "\",\"vol\":\"");
    vb_ksim_buf_decimal (out, fill->qty, instrument->qty_exponent, pair->qty_decimals);
    vb_ksim_buf_printf (
        out,
        "\",\"margin\":\"0.00000\",\"leverage\":\"0\",\"misc\":\"\",\"trade_id\":%" PRIu64
        ",\"maker\":%s}",
        fill->trade_id, fill->maker ? "true" : "false");
}

static void
s_trades_history (s_call_t *call)
{
    int64_t offset = 0;
    const char *ofs = s_param (call, "ofs");
    if (ofs && !s_int_param (ofs, &offset)) {
        s_fail (call, "EGeneral:Invalid arguments:ofs");
        return;
    }
    size_t total = 0;
    while (vb_sim_engine_fill_at (call->self->engine, call->account, NULL, total))
        total++;
    VB_KSIM_ADD (&call->result, "{\"trades\":{");
    int64_t shown = 0;
    int64_t skipped = 0;
    for (size_t back = total; back > 0 && shown < S_PAGE_SIZE; back--) {
        if (skipped++ < offset)
            continue;
        const vb_sim_fill_t *fill =
            vb_sim_engine_fill_at (call->self->engine, call->account, NULL, back - 1);
        if (shown++)
            VB_KSIM_ADD (&call->result, ",");
        s_trade_object (call, fill);
    }
    vb_ksim_buf_printf (&call->result, "},\"count\":%zu}", total);
}

//  --------------------------------------------------------------------------
//  cl_ord_id formats (venues.md 3.4): long UUID, short UUID, or ASCII <= 18.

static bool
s_is_hex (char digit)
{
    return s_hex (digit) >= 0;
}

static bool
s_cl_ord_id_ok (const char *text)
{
    size_t length = strlen (text);
    if (length == S_UUID_LONG) {
        for (size_t index = 0; index < length; index++) {
            bool dash = index == 8 || index == 13 || index == 18 || index == 23;
            if (dash ? text[index] != '-' : !s_is_hex (text[index]))
                return false;
        }
        return true;
    }
    if (length == S_UUID_SHORT) {
        for (size_t index = 0; index < length; index++)
            if (!s_is_hex (text[index]))
                return false;
        return true;
    }
    if (length == 0 || length > S_CL_ORD_TEXT_MAX)
        return false;
    for (size_t index = 0; index < length; index++)
        if ((unsigned char)text[index] < 0x20 || (unsigned char)text[index] > 0x7e)
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  A decimal parameter at an exponent, exactly. Returns 0, VB_EINVAL
//  (malformed, not positive) or VB_ETRUNC (too many decimals).

static int
s_units (const char *text, int32_t exponent, int64_t *units)
{
    vb_decimal_t value, scaled;
    if (!text || vb_decimal_parse (text, strlen (text), &value) < 0 ||
        vb_decimal_is_negative (value) || vb_decimal_is_zero (value))
        return VB_EINVAL;
    int rc = vb_decimal_rescale (value, exponent, &scaled);
    if (rc == VB_EINVAL)
        return VB_ETRUNC;
    if (rc < 0)
        return VB_EINVAL;
    *units = scaled.mantissa;
    return 0;
}

//  --------------------------------------------------------------------------
//  Map an engine refusal to Kraken's error.

static void
s_fail_result (s_call_t *call, vb_sim_result_t result)
{
    switch (result) {
        case VB_SIM_ERR_INSUFFICIENT_BALANCE:
            s_fail (call, "EOrder:Insufficient funds");
            break;
        case VB_SIM_ERR_POST_ONLY_WOULD_TAKE:
            s_fail (call, "EOrder:Post only order");
            break;
        case VB_SIM_ERR_MIN_NOTIONAL:
            s_fail (call, "EOrder:Cost minimum not met");
            break;
        case VB_SIM_ERR_LOT_SIZE:
            s_fail (call, "EGeneral:Invalid arguments:volume");
            break;
        case VB_SIM_ERR_PRICE_FILTER:
            s_fail (call, "EOrder:Invalid price");
            break;
        case VB_SIM_ERR_DUPLICATE_CLIENT_ID:
            s_fail (call, "EOrder:Duplicate cl_ord_id");
            break;
        case VB_SIM_ERR_UNKNOWN_SYMBOL:
            s_fail (call, "EQuery:Unknown asset pair");
            break;
        case VB_SIM_ERR_NO_LIQUIDITY:
        case VB_SIM_ERR_FOK_UNFILLABLE:
            s_fail (call, "EOrder:Insufficient liquidity");
            break;
        case VB_SIM_ERR_UNKNOWN_ORDER:
            s_fail (call, "EOrder:Unknown order");
            break;
        default:
            s_fail (call, "EGeneral:Invalid arguments");
            break;
    }
}

//  --------------------------------------------------------------------------
//  The fee currency flag of an order (sim.h).

const char *
vb_ksim_fee_flag (const vb_sim_order_t *order, const vb_ksim_meta_t *meta)
{
    if (meta && strstr (meta->oflags, "fcib"))
        return "fcib";
    if (meta && strstr (meta->oflags, "fciq"))
        return "fciq";
    return order->side == VB_SIM_SELL ? "fcib" : "fciq";
}

//  --------------------------------------------------------------------------
//  Parse oflags into post_only, the fee currency (fcib: base, fciq: quote;
//  mutually exclusive) and a normalised text. False when unknown.

static bool
s_parse_oflags (const char *text, bool *post_only, vb_sim_fee_pref_t *fee_pref, char *out,
                size_t out_size)
{
    static const char *known[] = {"post", "fcib", "fciq", "nompp", "viqc"};
    *post_only = false;
    *fee_pref = VB_SIM_FEE_PREF_DEFAULT;
    out[0] = 0;
    if (!text || !*text)
        return true;
    if (strlen (text) >= out_size)
        return false;
    snprintf (out, out_size, "%s", text);
    const char *start = text;
    while (true) {
        const char *comma = strchr (start, ',');
        size_t length = comma ? (size_t)(comma - start) : strlen (start);
        bool found = false;
        for (size_t index = 0; index < sizeof (known) / sizeof (known[0]); index++)
            if (strlen (known[index]) == length && memcmp (known[index], start, length) == 0)
                found = true;
        if (!found || (length == 4 && memcmp (start, "viqc", 4) == 0))
            return false;  //  viqc (volume in quote) is not simulated
        if (length == 4 && memcmp (start, "post", 4) == 0)
            *post_only = true;
        if (length == 4 && (memcmp (start, "fcib", 4) == 0 || memcmp (start, "fciq", 4) == 0)) {
            vb_sim_fee_pref_t pref = start[3] == 'b' ? VB_SIM_FEE_PREF_BASE : VB_SIM_FEE_PREF_QUOTE;
            if (*fee_pref != VB_SIM_FEE_PREF_DEFAULT && *fee_pref != pref)
                return false;
            *fee_pref = pref;
        }
        if (!comma)
            return true;
        start = comma + 1;
    }
}

//  --------------------------------------------------------------------------
//  Private: AddOrder.

static void
s_add_order (s_call_t *call)
{
    vb_ksim_t *self = call->self;
    const vb_ksim_pair_t *pair = s_one_pair (call);
    if (!pair)
        return;
    const vb_sim_instrument_t *instrument = pair->instrument;
    const char *type = s_param (call, "type");
    const char *ordertype = s_param (call, "ordertype");
    vb_sim_order_req_t request = {0};
    if (type && strcmp (type, "buy") == 0)
        request.side = VB_SIM_BUY;
    else if (type && strcmp (type, "sell") == 0)
        request.side = VB_SIM_SELL;
    else {
        s_fail (call, "EGeneral:Invalid arguments:type");
        return;
    }
    if (ordertype && strcmp (ordertype, "limit") == 0)
        request.type = VB_SIM_LIMIT;
    else if (ordertype && strcmp (ordertype, "market") == 0)
        request.type = VB_SIM_MARKET;
    else {
        s_fail (call, "EGeneral:Invalid arguments:ordertype");
        return;
    }
    int rc = s_units (s_param (call, "volume"), instrument->qty_exponent, &request.qty);
    if (rc < 0) {
        s_fail (call, "EGeneral:Invalid arguments:volume");
        return;
    }
    if (request.type == VB_SIM_LIMIT) {
        rc = s_units (s_param (call, "price"), instrument->price_exponent, &request.price);
        if (rc == VB_ETRUNC) {
            snprintf (call->error, sizeof (call->error),
                      "EOrder:Invalid price:%s price can only be specified up to %d decimals.",
                      pair->names->altname, pair->price_decimals);
            return;
        }
        if (rc < 0 || request.price % instrument->tick != 0) {
            s_fail (call, "EGeneral:Invalid arguments:price");
            return;
        }
    }
    char oflags[sizeof (((vb_ksim_meta_t *)0)->oflags)];
    if (!s_parse_oflags (s_param (call, "oflags"), &request.post_only, &request.fee_pref, oflags,
                         sizeof (oflags))) {
        s_fail (call, "EGeneral:Invalid arguments:oflags");
        return;
    }
    request.tif = VB_SIM_GTC;
    const char *tif = s_param (call, "timeinforce");
    if (tif && strcasecmp (tif, "IOC") == 0)
        request.tif = VB_SIM_IOC;
    else if (tif && strcasecmp (tif, "FOK") == 0 && request.type == VB_SIM_LIMIT)
        request.tif = VB_SIM_FOK;
    else if (tif && strcasecmp (tif, "GTC") != 0) {
        s_fail (call, "EGeneral:Invalid arguments:timeinforce");
        return;
    }
    if (request.post_only && (request.type == VB_SIM_MARKET || request.tif != VB_SIM_GTC)) {
        s_fail (call, "EGeneral:Invalid arguments:oflags");
        return;
    }
    const char *cl_ord_id = s_param (call, "cl_ord_id");
    const char *userref_text = s_param (call, "userref");
    int32_t userref = 0;
    if (cl_ord_id && userref_text) {
        s_fail (call, "EGeneral:Invalid arguments:cl_ord_id and userref are exclusive");
        return;
    }
    if (cl_ord_id && !s_cl_ord_id_ok (cl_ord_id)) {
        s_fail (call, "EGeneral:Invalid arguments:cl_ord_id");
        return;
    }
    if (userref_text && !s_parse_userref (userref_text, &userref)) {
        s_fail (call, "EGeneral:Invalid arguments:userref");
        return;
    }
    if (request.qty < instrument->min_qty) {
        s_fail (call, "EOrder:Order minimum not met");
        return;
    }
    if (request.qty > instrument->max_qty) {
        s_fail (call, "EGeneral:Invalid arguments:volume");
        return;
    }
    if (request.type == VB_SIM_LIMIT && (request.price > INT64_MAX / request.qty ||
                                         request.price * request.qty < instrument->min_notional)) {
        s_fail (call, request.price > INT64_MAX / request.qty ? "EGeneral:Invalid arguments"
                                                              : "EOrder:Cost minimum not met");
        return;
    }
    const char *validate = s_param (call, "validate");
    bool dry_run = validate && (strcmp (validate, "true") == 0 || strcmp (validate, "1") == 0);
    //  Limits: open orders per pair, then the trading counter (+1 per add).
    size_t open = 0;
    for (size_t index = 0;
         vb_sim_engine_order_at (self->engine, call->account, instrument, true, index); index++)
        open++;
    if (open >= S_OPEN_ORDERS_MAX) {
        s_fail (call, "EOrder:Orders limit exceeded");
        return;
    }
    if (!dry_run &&
        !vb_ksim_counter_take (vb_ksim_trade_counter (self, call->account, instrument),
                               call->now_ns, S_TRADE_DECAY_PER_100, 1, S_TRADE_THRESHOLD, false)) {
        vb_sim_count_violation (self->server, VB_SIM_VIOLATION_LIMIT);
        s_fail (call, "EOrder:Rate limit exceeded");
        return;
    }
    VB_KSIM_ADD (&call->result, "{\"descr\":{\"order\":\"");
    s_order_text (&call->result, pair, request.side, request.type, request.price, request.qty);
    VB_KSIM_ADD (&call->result, "\"}");
    if (dry_run) {
        VB_KSIM_ADD (&call->result, "}");
        return;
    }
    request.client_id = cl_ord_id;
    self->placing.active = true;
    self->placing.userref = userref;
    self->placing.client_given = cl_ord_id != NULL;
    self->placing.market = request.type == VB_SIM_MARKET;
    snprintf (self->placing.oflags, sizeof (self->placing.oflags), "%s", oflags);
    vb_sim_order_t order;
    memset (&order, 0, sizeof (order));
    vb_sim_result_t result =
        vb_sim_engine_place (self->engine, call->account, instrument, &request, &order);
    self->placing.active = false;
    if (result != VB_SIM_OK) {
        s_fail_result (call, result);
        return;
    }
    //  The events already tagged the order; make sure even without events.
    vb_ksim_meta_t *meta = vb_ksim_meta_ensure (self, order.order_id);
    meta->userref = userref;
    meta->client_given = cl_ord_id != NULL;
    snprintf (meta->oflags, sizeof (meta->oflags), "%s", oflags);
    char txid[VB_KSIM_TXID_SIZE];
    vb_ksim_order_txid (order.order_id, txid);
    vb_ksim_buf_printf (&call->result, ",\"txid\":[\"%s\"]}", txid);
}

//  --------------------------------------------------------------------------
//  Trading counter cost of canceling an order of this age (venues.md 3.7).

static int64_t
s_cancel_cost (int64_t age_ns)
{
    static const struct {
        int64_t below_s;
        int64_t cost;
    } steps[] = {{5, 8}, {10, 6}, {15, 5}, {45, 4}, {90, 2}, {300, 1}};
    for (size_t index = 0; index < sizeof (steps) / sizeof (steps[0]); index++)
        if (age_ns < steps[index].below_s * VB_KSIM_NS_PER_S)
            return steps[index].cost;
    return 0;
}

//  --------------------------------------------------------------------------
//  Cancel one engine order for the caller; charges the trading counter.

static bool
s_cancel_one (s_call_t *call, const vb_sim_order_t *order)
{
    vb_ksim_t *self = call->self;
    const vb_sim_instrument_t *instrument = order->instrument;
    int64_t cost = s_cancel_cost (call->now_ns - order->created_ns);
    vb_ksim_counter_t *counter = vb_ksim_trade_counter (self, call->account, instrument);
    if (cost > 0 && !vb_ksim_counter_take (counter, call->now_ns, S_TRADE_DECAY_PER_100, cost,
                                           S_TRADE_THRESHOLD, false)) {
        vb_sim_count_violation (self->server, VB_SIM_VIOLATION_LIMIT);
        s_fail (call, "EOrder:Rate limit exceeded");
        return false;
    }
    uint64_t order_id = order->order_id;
    vb_ksim_meta_t *meta = vb_ksim_meta_ensure (self, order_id);
    meta->user_canceled = true;  //  Set first: the cancel's events read it
    vb_sim_order_t canceled;
    vb_sim_result_t result =
        vb_sim_engine_cancel (self->engine, call->account, instrument, order_id, NULL, &canceled);
    if (result != VB_SIM_OK) {
        meta->user_canceled = false;
        s_fail (call, "EOrder:Unknown order");
        return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Private: CancelOrder (txid = order id or userref; or cl_ord_id).

static void
s_cancel_order (s_call_t *call)
{
    vb_ksim_t *self = call->self;
    const char *txid = s_param (call, "txid");
    const char *cl_ord_id = s_param (call, "cl_ord_id");
    if ((txid == NULL) == (cl_ord_id == NULL)) {
        s_fail (call, "EGeneral:Invalid arguments");
        return;
    }
    size_t count = 0;
    if (cl_ord_id) {
        const vb_sim_order_t *order =
            vb_sim_engine_order (self->engine, call->account, 0, cl_ord_id);
        vb_ksim_meta_t *meta = order ? vb_ksim_meta (self, order->order_id) : NULL;
        if (!order || !meta || !meta->client_given ||
            (order->status != VB_SIM_NEW && order->status != VB_SIM_PARTIALLY_FILLED)) {
            s_fail (call, "EOrder:Unknown order");
            return;
        }
        if (!s_cancel_one (call, order))
            return;
        count = 1;
    } else {
        uint64_t order_id = vb_ksim_order_id (txid, strlen (txid));
        int32_t userref = 0;
        if (order_id) {
            const vb_sim_order_t *order =
                vb_sim_engine_order (self->engine, call->account, order_id, NULL);
            if (!order ||
                (order->status != VB_SIM_NEW && order->status != VB_SIM_PARTIALLY_FILLED)) {
                s_fail (call, "EOrder:Unknown order");
                return;
            }
            if (!s_cancel_one (call, order))
                return;
            count = 1;
        } else if (s_parse_userref (txid, &userref)) {
            //  Every open order with that userref; collect ids first, as
            //  canceling changes the open list.
            uint64_t ids[S_OPEN_ORDERS_MAX * VB_KSIM_PAIRS_MAX];
            size_t id_count = 0;
            for (size_t index = 0; id_count < sizeof (ids) / sizeof (ids[0]); index++) {
                const vb_sim_order_t *order =
                    vb_sim_engine_order_at (self->engine, call->account, NULL, true, index);
                if (!order)
                    break;
                vb_ksim_meta_t *meta = vb_ksim_meta (self, order->order_id);
                if (meta && meta->userref == userref)
                    ids[id_count++] = order->order_id;
            }
            for (size_t index = 0; index < id_count; index++) {
                const vb_sim_order_t *order =
                    vb_sim_engine_order (self->engine, call->account, ids[index], NULL);
                if (order && s_cancel_one (call, order))
                    count++;
                else if (call->error[0])
                    return;
            }
            if (count == 0) {
                s_fail (call, "EOrder:Unknown order");
                return;
            }
        } else {
            s_fail (call, "EOrder:Unknown order");
            return;
        }
    }
    vb_ksim_buf_printf (&call->result, "{\"count\":%zu}", count);
}

//  --------------------------------------------------------------------------
//  Private: CancelAll.

static void
s_cancel_all (s_call_t *call)
{
    vb_ksim_t *self = call->self;
    //  Mark the owner's open orders as user-canceled before the engine's
    //  events stream their cancellation.
    for (size_t index = 0;; index++) {
        const vb_sim_order_t *order =
            vb_sim_engine_order_at (self->engine, call->account, NULL, true, index);
        if (!order)
            break;
        vb_ksim_meta_ensure (self, order->order_id)->user_canceled = true;
        vb_ksim_counter_take (vb_ksim_trade_counter (self, call->account, order->instrument),
                              call->now_ns, S_TRADE_DECAY_PER_100,
                              s_cancel_cost (call->now_ns - order->created_ns), S_TRADE_THRESHOLD,
                              true);
    }
    size_t count = vb_sim_engine_cancel_all (self->engine, call->account, NULL);
    vb_ksim_buf_printf (&call->result, "{\"count\":%zu}", count);
}

//  --------------------------------------------------------------------------
//  Private: GetWebSocketsToken.

static void
s_ws_token (s_call_t *call)
{
    const char *token = vb_ksim_token_issue (call->self, call->account, call->key->api_key);
    vb_ksim_buf_printf (&call->result, "{\"token\":\"%s\",\"expires\":%lld}", token,
                        (long long)(VB_KSIM_TOKEN_TTL_NS / VB_KSIM_NS_PER_S));
}

//  --------------------------------------------------------------------------
//  Private: GetApiKeyInfo (venues.md 3.8).

static void
s_api_key_info (s_call_t *call)
{
    const vb_sim_key_t *key = call->key;
    vb_ksim_buf_t *out = &call->result;
    VB_KSIM_ADD (out, "{\"apiKeyName\":");
    vb_ksim_buf_string (out, key->account, strlen (key->account));
    VB_KSIM_ADD (out, ",\"apiKey\":");
    vb_ksim_buf_string (out, key->api_key, strlen (key->api_key));
    vb_ksim_buf_printf (out, ",\"nonce\":\"%" PRIu64 "\",\"nonceWindow\":0,\"permissions\":[",
                        key->last_nonce);
    static const struct {
        unsigned bit;
        const char *names;
    } grants[] = {
        {VB_SIM_PERM_READ,
         "\"query-funds\",\"query-open-trades\",\"query-closed-trades\",\"query-ledger\""},
        {VB_SIM_PERM_TRADE, "\"modify-trades\",\"close-trades\",\"create-ws-token\""},
        {VB_SIM_PERM_WITHDRAW, "\"withdraw-funds\""},
    };
    bool first = true;
    for (size_t index = 0; index < sizeof (grants) / sizeof (grants[0]); index++)
        if (key->permissions & grants[index].bit) {
            vb_ksim_buf_printf (out, "%s%s", first ? "" : ",", grants[index].names);
            first = false;
        }
    VB_KSIM_ADD (out, "],\"iban\":\"\",\"validUntil\":\"0\",\"queryFrom\":\"0\",\"queryTo\":\"0\","
                      "\"createdTime\":\"0\",\"modifiedTime\":\"0\",\"ipAllowlist\":[");
    for (size_t index = 0; index < key->ip_count && index < VB_SIM_IPS_MAX; index++) {
        if (index)
            VB_KSIM_ADD (out, ",");
        vb_ksim_buf_string (out, key->ips[index], strnlen (key->ips[index], sizeof (key->ips[0])));
    }
    vb_ksim_buf_printf (out, "],\"lastUsed\":\"%lld\"}",
                        (long long)(call->now_ns / VB_KSIM_NS_PER_S));
}

//  --------------------------------------------------------------------------
//  The methods. Read covers queries; trade covers orders and WS tokens.

static const s_method_t s_methods[] = {
    {"Time", false, 0, 0, s_time},
    {"SystemStatus", false, 0, 0, s_system_status},
    {"Assets", false, 0, 0, s_assets},
    {"AssetPairs", false, 0, 0, s_asset_pairs},
    {"Depth", false, 0, 0, s_depth},
    {"Trades", false, 0, 0, s_trades},
    {"OHLC", false, 0, 0, s_ohlc},
    {"Ticker", false, 0, 0, s_ticker},
    {"Balance", true, VB_SIM_PERM_READ, 1, s_balance},
    {"BalanceEx", true, VB_SIM_PERM_READ, 1, s_balance_ex},
    {"OpenOrders", true, VB_SIM_PERM_READ, 1, s_open_orders},
    {"ClosedOrders", true, VB_SIM_PERM_READ, 1, s_closed_orders},
    {"QueryOrders", true, VB_SIM_PERM_READ, 1, s_query_orders},
    {"TradesHistory", true, VB_SIM_PERM_READ, 2, s_trades_history},
    {"AddOrder", true, VB_SIM_PERM_TRADE, 0, s_add_order},
    {"CancelOrder", true, VB_SIM_PERM_TRADE, 0, s_cancel_order},
    {"CancelAll", true, VB_SIM_PERM_TRADE, 1, s_cancel_all},
    {"GetWebSocketsToken", true, VB_SIM_PERM_TRADE, 1, s_ws_token},
    {"GetApiKeyInfo", true, 0, 1, s_api_key_info},
};

//  --------------------------------------------------------------------------
//  True when the peer is on the key's IP whitelist (empty: everyone).

static bool
s_ip_allowed (const vb_sim_key_t *key, const char *peer)
{
    if (key->ip_count == 0)
        return true;
    if (!peer)
        return false;
    if (strncmp (peer, "::ffff:", 7) == 0)
        peer += 7;
    for (size_t index = 0; index < key->ip_count && index < VB_SIM_IPS_MAX; index++)
        if (strcmp (key->ips[index], peer) == 0)
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Authenticate a private call; sets call->key/account or the error.

static void
s_authenticate (s_call_t *call, const s_method_t *method, bool json_body)
{
    vb_ksim_t *self = call->self;
    const vb_sim_request_t *request = call->request;
    const char *api_key = vb_sim_request_header (request, "api-key");
    vb_sim_key_t *key = api_key ? vb_sim_engine_key (self->engine, api_key) : NULL;
    vb_ksim_key_state_t *state = key ? vb_ksim_key_state (self, key) : NULL;
    if (!key || !state->signer) {
        s_fail (call, "EAPI:Invalid key");
        return;
    }
    //  The nonce text as signed: raw from the form, or the JSON value.
    const char *nonce = NULL;
    size_t nonce_length = 0;
    if (json_body) {
        nonce = s_param (call, "nonce");
        nonce_length = nonce ? strlen (nonce) : 0;
    } else if (vb_kraken_form_value (request->body, request->body_length, "nonce", &nonce,
                                     &nonce_length) < 0)
        nonce = NULL;
    if (!nonce) {
        s_fail (call, "EAPI:Invalid nonce");
        return;
    }
    const char *signature = vb_sim_request_header (request, "api-sign");
    if (!signature ||
        vb_kraken_verify (state->signer, request->path, nonce, nonce_length, request->body,
                          request->body_length, signature, strlen (signature)) != 0) {
        s_fail (call, "EAPI:Invalid signature");
        return;
    }
    uint64_t value = 0;
    if (vb_kraken_parse_nonce (nonce, nonce_length, &value) < 0 || value <= key->last_nonce) {
        s_fail (call, "EAPI:Invalid nonce");
        return;
    }
    key->last_nonce = value;
    if (!s_ip_allowed (key, request->peer)) {
        s_fail (call, "EGeneral:Permission denied");
        return;
    }
    if (method->cost > 0 &&
        !vb_ksim_counter_take (&state->counter, call->now_ns, S_REST_DECAY_PER_100, method->cost,
                               S_REST_MAX, false)) {
        vb_sim_count_violation (call->self->server, VB_SIM_VIOLATION_LIMIT);
        s_fail (call, "EAPI:Rate limit exceeded");
        return;
    }
    if ((key->permissions & method->permission) != method->permission) {
        s_fail (call, "EGeneral:Permission denied");
        return;
    }
    call->key = key;
    call->account = key->account;
}

//  --------------------------------------------------------------------------
//  Answer one REST request.

void
vb_ksim_rest (vb_ksim_t *self, const vb_sim_request_t *request, vb_sim_response_t *response)
{
    s_call_t call;
    memset (&call, 0, sizeof (call));
    call.self = self;
    call.request = request;
    call.now_ns = vb_sim_engine_now_ns (self->engine);
    const s_method_t *method = NULL;
    bool private_path = strncmp (request->path, S_PRIVATE_PREFIX, strlen (S_PRIVATE_PREFIX)) == 0;
    bool public_path = strncmp (request->path, S_PUBLIC_PREFIX, strlen (S_PUBLIC_PREFIX)) == 0;
    const char *name = request->path + (private_path  ? strlen (S_PRIVATE_PREFIX)
                                        : public_path ? strlen (S_PUBLIC_PREFIX)
                                                      : strlen (request->path));
    for (size_t index = 0; index < sizeof (s_methods) / sizeof (s_methods[0]); index++)
        if (strcmp (s_methods[index].name, name) == 0 &&
            s_methods[index].private_method == private_path && (private_path || public_path))
            method = &s_methods[index];
    if (!method) {
        vb_sim_response_printf (response, 404, "{\"error\":[\"EGeneral:Unknown method\"]}");
        return;
    }
    bool json_body = false;
    if (!s_parse_params (&call, &json_body))
        s_fail (&call, "EGeneral:Invalid arguments");
    else if (method->private_method && strcmp (request->method, "POST") != 0)
        s_fail (&call, "EGeneral:Invalid arguments");
    else if (method->private_method)
        s_authenticate (&call, method, json_body);
    if (!call.error[0]) {
        vb_ksim_buf_reset (&call.result);
        method->handler (&call);
    }
    if (call.error[0])
        vb_sim_response_printf (response, 200, "{\"error\":[\"%s\"]}", call.error);
    else
        vb_sim_response_printf (response, 200, "{\"error\":[],\"result\":%s}", call.result.data);
    vb_ksim_buf_free (&call.result);
    free (call.storage);
}
