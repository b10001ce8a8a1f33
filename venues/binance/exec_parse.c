/*  exec_parse.c — Binance execution adapter: REST answers -> normalised
    results, lists to the sink, and exchangeInfo -> instrument rules.

    Outcomes (venues.md 1.7, 6.1; vb_exec.h):
    - no answer (status 0), any HTTP 5xx, -1000, -1001, -1006, -1007, -1008,
      a body that cannot be read, and every code this file does not know:
      UNKNOWN (never REJECTED) — the router reconciles by client order id;
    - 418: RATE_LIMITED with banned = true; 429, -1003, -1015: RATE_LIMITED;
      retry_after_ms from Retry-After (seconds);
    - -1002, -1021, -1022, -2014, -2015: AUTH;
    - -2013, -2026 (query) and -2011 "Unknown order sent." (cancel):
      NOT_FOUND. DELETE openOrders with nothing open answers -2011 "Unknown
      order sent." too: that is OK (nothing was left to cancel);
    - -2010 (insufficient balance, duplicate, post-only would take, other
      NEW_ORDER_REJECTED texts), -1013 (filter failures by their text),
      -1121 and the documented -11xx parameter errors, -1014, -1020, other
      -2011 texts: REJECTED with a reason.
    The venue's code and text are kept in venue_code / venue_text ("HTTP
    503" when the body carried no code).
    Successful answers: PLACE (FULL: each fill goes to sink->fill with its
    tradeId, before the result's report is returned), CANCEL (the report is
    the original order: origClientOrderId), QUERY, CANCEL_ALL (each canceled
    order to sink->order), OPEN_ORDERS (sink->order), FILLS (myTrades rows
    to sink->fill; no client id there), BALANCES (sink->balance),
    KEY_PERMISSIONS (sink->permissions; every flag must be present),
    INSTRUMENTS (the rules are replaced only when the whole answer reads).
    A report whose client order id differs from the request's is UNKNOWN.
    Usage headers are reported for the buckets the request was charged to.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include "vb_error.h"
#include "exec_binance.h"

#define S_HTTP_OK_MIN       200
#define S_HTTP_OK_MAX       299
#define S_HTTP_BANNED       418
#define S_HTTP_TOO_MANY     429
#define S_HTTP_SERVER_ERROR 500
#define S_MS_PER_S          INT64_C (1000)
#define S_RETRY_AFTER_MAX_S (INT64_C (3) * 24 * 3600)  //  The longest ban (venues.md 1.7)
#define S_ASSET_MAX         16
#define S_HEADER_NAME_MAX   64
#define S_DIGITS_MAX        18  //  Fits int64 whatever the digits

//  How one venue error code is taken. `text` (a case-insensitive substring
//  of msg) narrows the row; NULL matches any text. First match wins.
typedef struct {
    int code;
    const char *text;
    vb_exec_outcome_t outcome;
    vb_exec_reason_t reason;
} s_error_t;

static const s_error_t s_errors[] = {
    //  Outcome not seen
    {-1000, NULL, VB_EXEC_UNKNOWN, VB_EXEC_REASON_VENUE_UNAVAILABLE},
    {-1001, NULL, VB_EXEC_UNKNOWN, VB_EXEC_REASON_VENUE_UNAVAILABLE},
    {-1006, NULL, VB_EXEC_UNKNOWN, VB_EXEC_REASON_VENUE_UNAVAILABLE},
    {-1007, NULL, VB_EXEC_UNKNOWN, VB_EXEC_REASON_VENUE_UNAVAILABLE},
    {-1008, NULL, VB_EXEC_UNKNOWN, VB_EXEC_REASON_VENUE_UNAVAILABLE},
    //  Rate limits
    {-1003, NULL, VB_EXEC_RATE_LIMITED, VB_EXEC_REASON_RATE_LIMITED},
    {-1015, NULL, VB_EXEC_RATE_LIMITED, VB_EXEC_REASON_RATE_LIMITED},
    //  Key, signature, time, IP, permission
    {-1002, NULL, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {-1021, NULL, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {-1022, NULL, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {-2014, NULL, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {-2015, NULL, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    //  Unknown orders
    {-2013, NULL, VB_EXEC_NOT_FOUND, VB_EXEC_REASON_UNKNOWN_ORDER},
    {-2026, NULL, VB_EXEC_NOT_FOUND, VB_EXEC_REASON_UNKNOWN_ORDER},
    {-2011, "unknown order", VB_EXEC_NOT_FOUND, VB_EXEC_REASON_UNKNOWN_ORDER},
    {-2011, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_OTHER},
    //  NEW_ORDER_REJECTED
    {-2010, "insufficient balance", VB_EXEC_REJECTED, VB_EXEC_REASON_INSUFFICIENT_BALANCE},
    {-2010, "duplicate order", VB_EXEC_REJECTED, VB_EXEC_REASON_DUPLICATE_ORDER},
    {-2010, "immediately match", VB_EXEC_REJECTED, VB_EXEC_REASON_POST_ONLY_WOULD_TAKE},
    {-2010, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_OTHER},
    //  Filters (-1013 INVALID_MESSAGE)
    {-1013, "PERCENT_PRICE", VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_PRICE},
    {-1013, "PRICE_FILTER", VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_PRICE},
    {-1013, "LOT_SIZE", VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_QTY},
    {-1013, "NOTIONAL", VB_EXEC_REJECTED, VB_EXEC_REASON_MIN_NOTIONAL},
    {-1013, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    //  Request errors: the venue refused the request as sent (errors.md)
    {-1121, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_UNKNOWN_SYMBOL},
    {-1014, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1020, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1100, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1101, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1102, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1103, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1104, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1105, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1106, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1108, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1111, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1114, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1115, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1116, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1117, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1118, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1119, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1128, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1130, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {-1145, NULL, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
};

//  --------------------------------------------------------------------------
//  Small text helpers.

static bool
s_key (const char *key, size_t length, const char *name)
{
    return strlen (name) == length && memcmp (key, name, length) == 0;
}

static bool
s_contains (const char *text, const char *needle)
{
    size_t needle_length = strlen (needle);
    for (const char *cursor = text; *cursor; cursor++)
        if (strncasecmp (cursor, needle, needle_length) == 0)
            return true;
    return false;
}

//  Copy text into out, control bytes as '?', truncated to fit.
static void
s_copy_text (char *out, size_t size, const char *text, size_t length)
{
    if (length >= size)
        length = size - 1;
    for (size_t i = 0; i < length; i++)
        out[i] = (unsigned char)text[i] < ' ' ? '?' : text[i];
    out[length] = 0;
}

//  A small non-negative decimal integer, as headers carry. Returns 0 or -1.
static int
s_header_int (const char *text, size_t length, int64_t *value)
{
    if (length == 0 || length > S_DIGITS_MAX)
        return -1;
    int64_t result = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        result = result * 10 + (text[i] - '0');
    }
    *value = result;
    return 0;
}

//  Find header `name` ("Name: value" lines, case-insensitive name). Returns
//  its trimmed value and length, or NULL.
static const char *
s_header (const char *const *headers, size_t count, const char *name, size_t *length)
{
    size_t name_length = strlen (name);
    for (size_t index = 0; headers && index < count; index++) {
        const char *line = headers[index];
        if (!line || strncasecmp (line, name, name_length) != 0)
            continue;
        const char *cursor = line + name_length;
        while (*cursor == ' ' || *cursor == '\t')
            cursor++;
        if (*cursor != ':')
            continue;
        cursor++;
        while (*cursor == ' ' || *cursor == '\t')
            cursor++;
        size_t value_length = strlen (cursor);
        while (value_length > 0 &&
               (cursor[value_length - 1] == ' ' || cursor[value_length - 1] == '\t' ||
                cursor[value_length - 1] == '\r' || cursor[value_length - 1] == '\n'))
            value_length--;
        *length = value_length;
        return cursor;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Usage headers, for the buckets this request was charged to.

static void
s_usage (const vb_exec_request_t *request, const char *const *headers, size_t count,
         void (*usage) (void *ctx, size_t bucket, int64_t used), void *usage_ctx)
{
    if (!usage || !headers)
        return;
    size_t bucket_count = 0;
    const vb_exec_bucket_t *buckets = vb_binance_exec_ops.buckets (&bucket_count);
    for (size_t cost = 0; cost < request->cost_count && cost < VB_EXEC_COSTS_MAX; cost++) {
        size_t bucket = request->costs[cost].bucket;
        if (bucket >= bucket_count || !buckets[bucket].usage_header)
            continue;
        size_t length = 0;
        const char *value = s_header (headers, count, buckets[bucket].usage_header, &length);
        int64_t used;
        if (value && s_header_int (value, length, &used) == 0)
            usage (usage_ctx, bucket, used);
    }
}

//  --------------------------------------------------------------------------
//  Order objects (place, cancel, query, open orders, cancel all).

typedef struct {
    bool has_fills;      //  A "fills" array was seen (read in a second pass)
    bool has_order_id;   //  orderId was present
    bool has_client_id;  //  clientOrderId (or origClientOrderId) was present
    bool has_status;     //  status was present
    bool has_symbol;     //  symbol was present
} s_seen_t;

static int s_order_list (vb_binance_exec_t *self, vb_json_val_t *array, const vb_exec_sink_t *sink);

static int
s_order_fields (vb_binance_exec_t *self, vb_json_val_t *object, vb_exec_report_t *report,
                s_seen_t *seen, const vb_exec_sink_t *nested_sink)
{
    memset (report, 0, sizeof (*report));
    memset (seen, 0, sizeof (*seen));
    char orig_client_id[VB_EXEC_ID_MAX] = "";
    int64_t transact_ns = 0, update_ns = 0, time_ns = 0;
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (object, &iter);
    if (rc)
        return rc;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (s_key (key, key_length, "symbol")) {
            const char *text;
            size_t length;
            if ((rc = vb_json_string (&value, &text, &length)) ||
                (rc = vb_binance_exec_normalise (self, text, length, report->symbol,
                                                 sizeof (report->symbol))))
                return rc;
            seen->has_symbol = true;
        } else if (s_key (key, key_length, "orderId")) {
            if ((rc = vb_binance_exec_id_text (&value, report->venue_order_id,
                                               sizeof (report->venue_order_id))))
                return rc;
            seen->has_order_id = true;
        } else if (s_key (key, key_length, "clientOrderId")) {
            if ((rc = vb_binance_exec_string (&value, report->client_order_id,
                                              sizeof (report->client_order_id))))
                return rc;
            seen->has_client_id = true;
        } else if (s_key (key, key_length, "origClientOrderId")) {
            if ((rc = vb_binance_exec_string (&value, orig_client_id, sizeof (orig_client_id))))
                return rc;
        } else if (s_key (key, key_length, "price")) {
            if ((rc = vb_json_decimal (&value, &report->price)))
                return rc;
        } else if (s_key (key, key_length, "origQty")) {
            if ((rc = vb_json_decimal (&value, &report->qty)))
                return rc;
        } else if (s_key (key, key_length, "executedQty")) {
            if ((rc = vb_json_decimal (&value, &report->filled_qty)))
                return rc;
        } else if (s_key (key, key_length, "status")) {
            const char *text;
            size_t length;
            if ((rc = vb_json_string (&value, &text, &length)))
                return rc;
            report->state = vb_binance_exec_state (text, length);
            seen->has_status = true;
        } else if (s_key (key, key_length, "side")) {
            const char *text;
            size_t length;
            if ((rc = vb_json_string (&value, &text, &length)))
                return rc;
            if (length == 3 && memcmp (text, "BUY", 3) == 0)
                report->side = VB_EXEC_BUY;
            else if (length == 4 && memcmp (text, "SELL", 4) == 0)
                report->side = VB_EXEC_SELL;
            else
                return VB_EINVAL;
        } else if (s_key (key, key_length, "transactTime")) {
            if ((rc = vb_binance_exec_ms_to_ns (&value, &transact_ns)))
                return rc;
        } else if (s_key (key, key_length, "updateTime")) {
            if ((rc = vb_binance_exec_ms_to_ns (&value, &update_ns)))
                return rc;
        } else if (s_key (key, key_length, "time")) {
            if ((rc = vb_binance_exec_ms_to_ns (&value, &time_ns)))
                return rc;
        } else if (s_key (key, key_length, "fills"))
            seen->has_fills = true;
        else if (s_key (key, key_length, "orderReports") && nested_sink) {
            if ((rc = s_order_list (self, &value, nested_sink)))
                return rc;
        }
    }
    if (rc < 0)
        return rc;
    //  On a cancel, clientOrderId is the cancel's own id: the order's is the original
    if (orig_client_id[0]) {
        memcpy (report->client_order_id, orig_client_id, sizeof (orig_client_id));
        seen->has_client_id = true;
    }
    report->update_ts_ns = update_ns ? update_ns : transact_ns ? transact_ns : time_ns;
    return 0;
}

//  A whole order: every field the router needs must be there.
static int
s_order (vb_binance_exec_t *self, vb_json_val_t *object, vb_exec_report_t *report, s_seen_t *seen)
{
    int rc = s_order_fields (self, object, report, seen, NULL);
    if (rc)
        return rc;
    if (!seen->has_symbol || !seen->has_order_id || !seen->has_client_id || !seen->has_status ||
        report->side == 0)
        return VB_EINVAL;
    return 0;
}

//  An array of orders (or of order-list answers with orderReports) -> sink.
static int
s_order_list (vb_binance_exec_t *self, vb_json_val_t *array, const vb_exec_sink_t *sink)
{
    vb_json_iter_t iter;
    int rc = vb_json_array_begin (array, &iter);
    if (rc)
        return rc;
    vb_json_val_t element;
    while ((rc = vb_json_array_next (&iter, &element)) == 1) {
        vb_exec_report_t report;
        s_seen_t seen;
        if ((rc = s_order_fields (self, &element, &report, &seen, sink)))
            return rc;
        if (!seen.has_order_id)
            continue;  //  An order list's own record: its orders came as orderReports
        if (!seen.has_symbol || !seen.has_client_id || !seen.has_status || report.side == 0)
            return VB_EINVAL;
        if (sink->order)
            sink->order (sink->ctx, &report);
    }
    return rc;
}

//  The fills of a FULL answer (second pass over the body).
static int
s_place_fills (vb_binance_exec_t *self, const char *body, size_t length,
               const vb_exec_report_t *report, const vb_exec_sink_t *sink)
{
    vb_json_val_t root, fills, element;
    int rc = vb_json_parse (self->json, body, length, &root);
    if (rc || (rc = vb_json_find (&root, "fills", &fills)))
        return rc;
    vb_json_iter_t iter;
    if ((rc = vb_json_array_begin (&fills, &iter)))
        return rc;
    while ((rc = vb_json_array_next (&iter, &element)) == 1) {
        vb_exec_fill_t fill;
        memset (&fill, 0, sizeof (fill));
        memcpy (fill.client_order_id, report->client_order_id, sizeof (fill.client_order_id));
        memcpy (fill.venue_order_id, report->venue_order_id, sizeof (fill.venue_order_id));
        memcpy (fill.symbol, report->symbol, sizeof (fill.symbol));
        fill.side = report->side;
        fill.ts_ns = report->update_ts_ns;
        fill.maker = false;  //  Fills in the place answer are this order taking
        bool has_price = false, has_qty = false, has_id = false;
        vb_json_iter_t fields;
        if ((rc = vb_json_object_begin (&element, &fields)))
            return rc;
        const char *key;
        size_t key_length;
        vb_json_val_t value;
        while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
            if (s_key (key, key_length, "price")) {
                if ((rc = vb_json_decimal (&value, &fill.price)))
                    return rc;
                has_price = true;
            } else if (s_key (key, key_length, "qty")) {
                if ((rc = vb_json_decimal (&value, &fill.qty)))
                    return rc;
                has_qty = true;
            } else if (s_key (key, key_length, "commission")) {
                if ((rc = vb_json_decimal (&value, &fill.fee)))
                    return rc;
            } else if (s_key (key, key_length, "commissionAsset")) {
                if (vb_json_type (&value) != VB_JSON_NULL &&
                    (rc = vb_binance_exec_string (&value, fill.fee_asset, sizeof (fill.fee_asset))))
                    return rc;
            } else if (s_key (key, key_length, "tradeId")) {
                if ((rc = vb_binance_exec_id_text (&value, fill.trade_id, sizeof (fill.trade_id))))
                    return rc;
                has_id = true;
            }
        }
        if (rc < 0)
            return rc;
        if (!has_price || !has_qty || !has_id)
            return VB_EINVAL;
        if (sink->fill)
            sink->fill (sink->ctx, &fill);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  myTrades rows -> sink->fill.

static int
s_trades (vb_binance_exec_t *self, vb_json_val_t *array, const vb_exec_sink_t *sink)
{
    vb_json_iter_t iter;
    int rc = vb_json_array_begin (array, &iter);
    if (rc)
        return rc;
    vb_json_val_t element;
    while ((rc = vb_json_array_next (&iter, &element)) == 1) {
        vb_exec_fill_t fill;
        memset (&fill, 0, sizeof (fill));
        bool has_symbol = false, has_id = false, has_order = false, has_price = false,
             has_qty = false, has_side = false;
        vb_json_iter_t fields;
        if ((rc = vb_json_object_begin (&element, &fields)))
            return rc;
        const char *key;
        size_t key_length;
        vb_json_val_t value;
        while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
            if (s_key (key, key_length, "symbol")) {
                const char *text;
                size_t length;
                if ((rc = vb_json_string (&value, &text, &length)) ||
                    (rc = vb_binance_exec_normalise (self, text, length, fill.symbol,
                                                     sizeof (fill.symbol))))
                    return rc;
                has_symbol = true;
            } else if (s_key (key, key_length, "id")) {
                if ((rc = vb_binance_exec_id_text (&value, fill.trade_id, sizeof (fill.trade_id))))
                    return rc;
                has_id = true;
            } else if (s_key (key, key_length, "orderId")) {
                if ((rc = vb_binance_exec_id_text (&value, fill.venue_order_id,
                                                   sizeof (fill.venue_order_id))))
                    return rc;
                has_order = true;
            } else if (s_key (key, key_length, "price")) {
                if ((rc = vb_json_decimal (&value, &fill.price)))
                    return rc;
                has_price = true;
            } else if (s_key (key, key_length, "qty")) {
                if ((rc = vb_json_decimal (&value, &fill.qty)))
                    return rc;
                has_qty = true;
            } else if (s_key (key, key_length, "commission")) {
                if ((rc = vb_json_decimal (&value, &fill.fee)))
                    return rc;
            } else if (s_key (key, key_length, "commissionAsset")) {
                if (vb_json_type (&value) != VB_JSON_NULL &&
                    (rc = vb_binance_exec_string (&value, fill.fee_asset, sizeof (fill.fee_asset))))
                    return rc;
            } else if (s_key (key, key_length, "time")) {
                if ((rc = vb_binance_exec_ms_to_ns (&value, &fill.ts_ns)))
                    return rc;
            } else if (s_key (key, key_length, "isBuyer")) {
                bool buyer;
                if ((rc = vb_json_bool (&value, &buyer)))
                    return rc;
                fill.side = buyer ? VB_EXEC_BUY : VB_EXEC_SELL;
                has_side = true;
            } else if (s_key (key, key_length, "isMaker")) {
                if ((rc = vb_json_bool (&value, &fill.maker)))
                    return rc;
            }
        }
        if (rc < 0)
            return rc;
        if (!has_symbol || !has_id || !has_order || !has_price || !has_qty || !has_side)
            return VB_EINVAL;
        if (sink->fill)
            sink->fill (sink->ctx, &fill);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  GET /api/v3/account -> sink->balance.

static int
s_balances (vb_json_val_t *root, const vb_exec_sink_t *sink)
{
    vb_json_val_t balances, element;
    int rc = vb_json_find (root, "balances", &balances);
    vb_json_iter_t iter;
    if (rc || (rc = vb_json_array_begin (&balances, &iter)))
        return rc;
    while ((rc = vb_json_array_next (&iter, &element)) == 1) {
        char asset[S_ASSET_MAX] = "";
        vb_decimal_t free_amount = {0, 0}, locked = {0, 0};
        bool has_free = false, has_locked = false;
        vb_json_iter_t fields;
        if ((rc = vb_json_object_begin (&element, &fields)))
            return rc;
        const char *key;
        size_t key_length;
        vb_json_val_t value;
        while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
            if (s_key (key, key_length, "asset")) {
                if ((rc = vb_binance_exec_string (&value, asset, sizeof (asset))))
                    return rc;
            } else if (s_key (key, key_length, "free")) {
                if ((rc = vb_json_decimal (&value, &free_amount)))
                    return rc;
                has_free = true;
            } else if (s_key (key, key_length, "locked")) {
                if ((rc = vb_json_decimal (&value, &locked)))
                    return rc;
                has_locked = true;
            }
        }
        if (rc < 0)
            return rc;
        if (!asset[0] || !has_free || !has_locked)
            return VB_EINVAL;
        if (sink->balance)
            sink->balance (sink->ctx, asset, free_amount, locked);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  GET /sapi/v1/account/apiRestrictions -> sink->permissions.

static int
s_permissions (vb_json_val_t *root, const vb_exec_sink_t *sink)
{
    vb_exec_permissions_t permissions = {0};
    unsigned seen = 0;
    enum { S_READ = 1, S_TRADE = 2, S_WITHDRAW = 4, S_IP = 8, S_ALL = 15 };
    vb_json_iter_t fields;
    int rc = vb_json_object_begin (root, &fields);
    if (rc)
        return rc;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        bool *flag = NULL;
        unsigned bit = 0;
        if (s_key (key, key_length, "enableReading"))
            flag = &permissions.can_read, bit = S_READ;
        else if (s_key (key, key_length, "enableSpotAndMarginTrading"))
            flag = &permissions.can_trade, bit = S_TRADE;
        else if (s_key (key, key_length, "enableWithdrawals"))
            flag = &permissions.can_withdraw, bit = S_WITHDRAW;
        else if (s_key (key, key_length, "ipRestrict"))
            flag = &permissions.ip_restricted, bit = S_IP;
        if (flag) {
            if ((rc = vb_json_bool (&value, flag)))
                return rc;
            seen |= bit;
        }
    }
    if (rc < 0)
        return rc;
    if (seen != S_ALL)
        return VB_EINVAL;  //  A posture check must not guess a missing flag
    if (sink->permissions)
        sink->permissions (sink->ctx, &permissions);
    return 0;
}

//  --------------------------------------------------------------------------
//  An error answer: classify by the venue's code (and text).

static void
s_error (const vb_exec_request_t *request, int http_status, int code, bool has_code,
         vb_exec_result_t *result)
{
    result->outcome = VB_EXEC_UNKNOWN;
    result->reason = VB_EXEC_REASON_VENUE_UNAVAILABLE;
    if (http_status == S_HTTP_BANNED) {
        result->outcome = VB_EXEC_RATE_LIMITED;
        result->reason = VB_EXEC_REASON_RATE_LIMITED;
        result->banned = true;
        return;
    }
    if (http_status == S_HTTP_TOO_MANY) {
        result->outcome = VB_EXEC_RATE_LIMITED;
        result->reason = VB_EXEC_REASON_RATE_LIMITED;
        return;
    }
    if (http_status >= S_HTTP_SERVER_ERROR || !has_code)
        return;  //  Execution status unknown (venues.md 1.7)
    for (size_t index = 0; index < sizeof (s_errors) / sizeof (s_errors[0]); index++) {
        const s_error_t *row = &s_errors[index];
        if (row->code != code || (row->text && !s_contains (result->venue_text, row->text)))
            continue;
        result->outcome = row->outcome;
        result->reason = row->reason;
        if (row->outcome == VB_EXEC_RATE_LIMITED && s_contains (result->venue_text, "banned"))
            result->banned = true;
        break;
    }
    //  DELETE openOrders with nothing open: nothing was left to cancel
    if (request->kind == VB_EXEC_REQ_CANCEL_ALL && result->outcome == VB_EXEC_NOT_FOUND) {
        result->outcome = VB_EXEC_OK;
        result->reason = VB_EXEC_REASON_NONE;
    }
}

//  Read {"code":..,"msg":..} into the result. Returns true when a code was read.
static bool
s_error_body (vb_binance_exec_t *self, const char *body, size_t length, int *code,
              vb_exec_result_t *result)
{
    vb_json_val_t root, value;
    int64_t number;
    if (!body || length == 0 || vb_json_parse (self->json, body, length, &root) ||
        vb_json_find (&root, "code", &value) || vb_json_int64 (&value, &number) ||
        number < INT32_MIN || number > INT32_MAX)
        return false;
    *code = (int)number;
    snprintf (result->venue_code, sizeof (result->venue_code), "%d", *code);
    const char *text;
    size_t text_length;
    if (vb_json_find (&root, "msg", &value) == 0 &&
        vb_json_string (&value, &text, &text_length) == 0)
        s_copy_text (result->venue_text, sizeof (result->venue_text), text, text_length);
    return true;
}

//  --------------------------------------------------------------------------
//  A list answer: checked whole first (pass 0 reports to no one), then
//  reported, so the sink never sees part of an answer that turns out bad.

static int
s_list (vb_binance_exec_t *self, vb_exec_kind_t kind, const char *body, size_t length,
        vb_json_val_t *root, const vb_exec_sink_t *sink)
{
    static const vb_exec_sink_t s_dry = {0};
    int rc = 0;
    for (int pass = 0; pass < 2; pass++) {
        const vb_exec_sink_t *target = pass ? (sink ? sink : &s_dry) : &s_dry;
        if (pass && (rc = vb_json_parse (self->json, body, length, root)))
            return rc;
        switch (kind) {
            case VB_EXEC_REQ_FILLS:
                rc = s_trades (self, root, target);
                break;
            case VB_EXEC_REQ_BALANCES:
                rc = s_balances (root, target);
                break;
            case VB_EXEC_REQ_KEY_PERMISSIONS:
                rc = s_permissions (root, target);
                break;
            default:
                rc = s_order_list (self, root, target);
                break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  A successful answer, by request kind.

static int
s_success (vb_binance_exec_t *self, const vb_exec_request_t *request, const char *body,
           size_t length, const vb_exec_sink_t *sink, vb_exec_result_t *result)
{
    vb_json_val_t root;
    int rc = vb_json_parse (self->json, body, length, &root);
    if (rc)
        return rc;
    switch (request->kind) {
        case VB_EXEC_REQ_PLACE:
        case VB_EXEC_REQ_CANCEL:
        case VB_EXEC_REQ_QUERY: {
            s_seen_t seen;
            if ((rc = s_order (self, &root, &result->report, &seen)))
                return rc;
            if (request->client_order_id[0] &&
                strcmp (request->client_order_id, result->report.client_order_id) != 0)
                return VB_EINVAL;  //  Not the order asked about
            //  Every fill is checked before the sink sees any (pass 0 reports to no one)
            static const vb_exec_sink_t s_dry = {0};
            for (int pass = 0; request->kind == VB_EXEC_REQ_PLACE && seen.has_fills && pass < 2;
                 pass++)
                if ((rc = s_place_fills (self, body, length, &result->report,
                                         pass && sink ? sink : &s_dry)))
                    return rc;
            result->has_report = true;
            result->outcome = VB_EXEC_OK;
            if (request->kind == VB_EXEC_REQ_PLACE &&
                result->report.state == VB_EXEC_STATE_REJECTED) {
                result->outcome = VB_EXEC_REJECTED;
                result->reason = VB_EXEC_REASON_OTHER;
            }
            return 0;
        }
        case VB_EXEC_REQ_CANCEL_ALL:
        case VB_EXEC_REQ_OPEN_ORDERS:
        case VB_EXEC_REQ_FILLS:
        case VB_EXEC_REQ_BALANCES:
        case VB_EXEC_REQ_KEY_PERMISSIONS:
            rc = s_list (self, request->kind, body, length, &root, sink);
            break;
        case VB_EXEC_REQ_INSTRUMENTS:
            rc = vb_binance_exec_load_instruments (self, &root);
            break;
        case VB_EXEC_REQ_STREAM_TOKEN:
        default:
            return VB_EINVAL;  //  Not a Binance request
    }
    if (rc == 0)
        result->outcome = VB_EXEC_OK;
    return rc;
}

//  --------------------------------------------------------------------------
//  Parse the answer to a request.

int
vb_binance_exec_parse (vb_exec_t *base, const vb_exec_request_t *request, int http_status,
                       const char *const *headers, size_t header_count, const char *body,
                       size_t length, const vb_exec_sink_t *sink, vb_exec_result_t *result,
                       void (*usage) (void *ctx, size_t bucket, int64_t used), void *usage_ctx)
{
    vb_binance_exec_t *self = (vb_binance_exec_t *)base;
    if (!result)
        return VB_EINVAL;
    memset (result, 0, sizeof (*result));
    result->outcome = VB_EXEC_UNKNOWN;
    result->reason = VB_EXEC_REASON_VENUE_UNAVAILABLE;
    if (!self || !request)
        return VB_EINVAL;
    if (!body)
        length = 0;
    s_usage (request, headers, header_count, usage, usage_ctx);

    if (http_status <= 0) {
        snprintf (result->venue_text, sizeof (result->venue_text),
                  "no answer (timeout or connection lost)");
        return 0;
    }
    size_t retry_length = 0;
    const char *retry = s_header (headers, header_count, "Retry-After", &retry_length);
    int64_t retry_s;
    if (retry && s_header_int (retry, retry_length, &retry_s) == 0) {
        if (retry_s > S_RETRY_AFTER_MAX_S)
            retry_s = S_RETRY_AFTER_MAX_S;
        result->retry_after_ms = retry_s * S_MS_PER_S;
    }
    if (http_status >= S_HTTP_OK_MIN && http_status <= S_HTTP_OK_MAX) {
        int rc = length ? s_success (self, request, body, length, sink, result) : VB_EINVAL;
        if (rc) {
            memset (&result->report, 0, sizeof (result->report));
            result->has_report = false;
            result->outcome = VB_EXEC_UNKNOWN;
            result->reason = VB_EXEC_REASON_VENUE_UNAVAILABLE;
            snprintf (result->venue_code, sizeof (result->venue_code), "HTTP %d", http_status);
            snprintf (result->venue_text, sizeof (result->venue_text), "unreadable answer (%s)",
                      rc == VB_ENOTFOUND ? "unknown symbol or field" : "malformed");
            return rc < 0 ? rc : VB_EINVAL;
        }
        return 0;
    }
    int code = 0;
    bool has_code = s_error_body (self, body, length, &code, result);
    if (!has_code) {
        snprintf (result->venue_code, sizeof (result->venue_code), "HTTP %d", http_status);
        s_copy_text (result->venue_text, sizeof (result->venue_text), body ? body : "", length);
    }
    s_error (request, http_status, code, has_code, result);
    return 0;
}
