/*  sim_orders.c — Binance simulator: orders, cancels, queries, fills and the
    account, shared by REST (sim_rest.c) and the WS API (sim_wsapi.c).

    Validation follows the venue's order: symbol (-1102 / -1100 / -1121),
    side and type (-1100 with the legal range; STOP_LOSS and TAKE_PROFIT
    kinds are -2010 "... not supported for this symbol.", as exchangeInfo
    lists only LIMIT, LIMIT_MAKER and MARKET), mandatory and forbidden
    parameters (-1102 / -1106), more than 8 decimals (-1111), then the
    filters PRICE_FILTER, LOT_SIZE and NOTIONAL (-1013 "Filter failure: X").
    Engine refusals map to -2010 texts; an FOK that cannot fill is accepted
    and EXPIRED, as on the venue. quoteOrderQty market orders walk the book
    for the quantity they can buy or sell in whole lots. Fees are the
    engine's (10 bps, in the quote asset).
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include "vb_decimal.h"
#include "vb_error.h"
#include "sim_binance.h"

#define S_STATUS_BAD_REQUEST  400
#define S_STATUS_UNAUTHORIZED 401
#define S_CLIENT_ID_MAX       36
#define S_LIST_DEFAULT        500  //  allOrders, myTrades
#define S_LIST_MAX            1000
#define S_MAKER_COMMISSION    10  //  Basis points (the engine's default fee)
#define S_DECIMAL_RANGE       "^([0-9]{1,20})(\\.[0-9]{1,20})?$"

//  --------------------------------------------------------------------------
//  Decimal parameters.

static int
s_decimal_param (const bnsim_params_t *params, const char *name, int32_t exponent, int64_t *units,
                 bool *off_step, bnsim_error_t *error)
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

static const char *
s_status_text (vb_sim_status_t status)
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

static const char *
s_type_text (const vb_sim_order_t *order)
{
    if (order->type == VB_SIM_MARKET)
        return "MARKET";
    return order->post_only ? "LIMIT_MAKER" : "LIMIT";
}

static const char *
s_tif_text (vb_sim_tif_t tif)
{
    return tif == VB_SIM_IOC ? "IOC" : tif == VB_SIM_FOK ? "FOK" : "GTC";
}

static bool
s_open (const vb_sim_order_t *order)
{
    return order->status == VB_SIM_NEW || order->status == VB_SIM_PARTIALLY_FILLED;
}

static bnsim_symbol_t *
s_order_symbol (bnsim_t *self, const vb_sim_order_t *order)
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
static void
s_order_core (bnsim_buf_t *out, const bnsim_listing_t *listing, const vb_sim_order_t *order,
              bool quote_order_qty_first, int64_t quote_order_qty)
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
static void
s_order_json (bnsim_buf_t *out, const bnsim_listing_t *listing, const vb_sim_order_t *order)
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
static void
s_cancel_json (bnsim_buf_t *out, const bnsim_listing_t *listing, const vb_sim_order_t *order,
               const char *cancel_id, int64_t now_ms)
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
//  Commission of a fill: Binance charges it in the asset received (a buy
//  pays in the base asset, a sell in the quote), at 8 decimals.

const char *
bnsim_commission (bnsim_buf_t *buf, const vb_sim_fill_t *fill, const bnsim_listing_t *listing)
{
    if (fill->fee_in_base) {
        bnsim_buf_dec (buf, fill->fee_base, VB_SIM_ASSET_EXPONENT);
        return listing->base;
    }
    bnsim_buf_dec (buf, fill->fee, listing->price_exponent + listing->qty_exponent);
    return listing->quote;
}

//  --------------------------------------------------------------------------
//  Orders (shared with the WS API).

//  The quantity a quoteOrderQty market order buys or sells: walk the
//  opposite side spending up to `quote` (at 10^(pe+qe)), whole lots only.
static int64_t
s_quote_walk (bnsim_t *self, bnsim_symbol_t *symbol, vb_sim_side_t side, int64_t quote, bool *empty)
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

int
bnsim_order_place (bnsim_t *self, const char *account, const bnsim_params_t *params, bool test_only,
                   bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, params, error);
    if (!symbol)
        return -1;
    const bnsim_listing_t *listing = symbol->listing;
    const char *side_text = bnsim_param (params, "side");
    const char *type_text = bnsim_param (params, "type");
    if (!side_text) {
        bnsim_mandatory (error, "side");
        return -1;
    }
    if (!type_text) {
        bnsim_mandatory (error, "type");
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
        bnsim_mandatory (error, "timeInForce");
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
            bnsim_mandatory (error, "quantity");
            return -1;
        }
        if (price_rc == 1) {
            bnsim_mandatory (error, "price");
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
            const char *asset = bnsim_commission (out, fill, listing);
            bnsim_buf_printf (out, ",\"commissionAsset\":\"%s\",\"tradeId\":%" PRIu64 "}", asset,
                              fill->trade_id);
            first = false;
        }
        bnsim_buf_str (out, "]");
    }
    bnsim_buf_str (out, "}");
    return 0;
}

//  The order a query or cancel names (orderId or origClientOrderId), or
//  NULL: sets *named false when neither was sent.
static const vb_sim_order_t *
s_named_order (bnsim_t *self, const char *account, bnsim_symbol_t *symbol,
               const bnsim_params_t *params, bool *named, bnsim_error_t *error)
{
    int64_t order_id = 0;
    if (bnsim_integer_param (params, "orderId", &order_id, error))
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

int
bnsim_order_query (bnsim_t *self, const char *account, const bnsim_params_t *params,
                   bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, params, error);
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
static int
s_cancel_one (bnsim_t *self, const char *account, bnsim_symbol_t *symbol, uint64_t order_id,
              const char *cancel_id, bnsim_buf_t *out, bnsim_error_t *error)
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

int
bnsim_order_cancel (bnsim_t *self, const char *account, const bnsim_params_t *params,
                    bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, params, error);
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

int
bnsim_open_orders (bnsim_t *self, const char *account, const bnsim_params_t *params,
                   bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = NULL;
    if (bnsim_param (params, "symbol")) {
        symbol = bnsim_symbol_param (self, params, error);
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

int
bnsim_cancel_all (bnsim_t *self, const char *account, const bnsim_params_t *params,
                  bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, params, error);
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

int
bnsim_all_orders (bnsim_t *self, const char *account, const bnsim_params_t *params,
                  bnsim_buf_t *out, bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, params, error);
    if (!symbol)
        return -1;
    int64_t from_id = 0, start = 0, end = INT64_MAX, limit;
    if (bnsim_integer_param (params, "orderId", &from_id, error) ||
        bnsim_integer_param (params, "startTime", &start, error) ||
        bnsim_integer_param (params, "endTime", &end, error) ||
        bnsim_limit_param (params, S_LIST_DEFAULT, S_LIST_MAX, &limit, error))
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

int
bnsim_my_trades (bnsim_t *self, const char *account, const bnsim_params_t *params, bnsim_buf_t *out,
                 bnsim_error_t *error)
{
    bnsim_symbol_t *symbol = bnsim_symbol_param (self, params, error);
    if (!symbol)
        return -1;
    int64_t order_id = 0, from_id = -1, start = 0, end = INT64_MAX, limit;
    if (bnsim_integer_param (params, "orderId", &order_id, error) ||
        bnsim_integer_param (params, "fromId", &from_id, error) ||
        bnsim_integer_param (params, "startTime", &start, error) ||
        bnsim_integer_param (params, "endTime", &end, error) ||
        bnsim_limit_param (params, S_LIST_DEFAULT, S_LIST_MAX, &limit, error))
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
            const char *asset = bnsim_commission (out, fill, listing);
            bnsim_buf_printf (out,
                              ",\"commissionAsset\":\"%s\",\"time\":%" PRId64
                              ",\"isBuyer\":%s,\"isMaker\":%s,\"isBestMatch\":true}",
                              asset, time, fill->side == VB_SIM_BUY ? "true" : "false",
                              fill->maker ? "true" : "false");
            written++;
        }
    }
    bnsim_buf_str (out, "]");
    return 0;
}

int
bnsim_account (bnsim_t *self, const vb_sim_key_t *key, const bnsim_params_t *params,
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
