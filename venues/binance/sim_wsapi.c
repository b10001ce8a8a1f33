/*  sim_wsapi.c — Binance simulator: the WS API (/ws-api/v3) and user data.

    Requests {"id":..,"method":..,"params":{..}} get {"id":..,"status":200,
    "result":..,"rateLimits":[..]} or {"id":..,"status":4xx,"error":{"code":..,
    "msg":..},"rateLimits":[..]} (429/418 add error.data {serverTime,
    retryAfter}). Weights count in the IP's REQUEST_WEIGHT with REST.
    Methods: ping, time, session.logon / session.status / session.logout,
    userDataStream.subscribe (after logon), userDataStream.subscribe.signature
    (apiKey + timestamp + signature, no logon needed, several accounts per
    connection), userDataStream.unsubscribe, session.subscriptions,
    order.place, order.test, order.status, order.cancel, openOrders.status,
    account.status. Signed methods take apiKey + signature over the sorted
    params (venues.md 1.5), or nothing but timestamp after session.logon.
    session.logon is documented for Ed25519 keys only; the sim accepts the
    HMAC signature of the sorted params, which is what the docs' own logon
    example (vector B5) carries. The retired userDataStream.start / ping /
    stop answer as unknown methods (400, -1020 "This operation is not
    supported.").
    Events go to each subscription of the account as {"subscriptionId":N,
    "event":{..}}: executionReport for every order change (the conditional
    "v", prevented match id, is never sent: the sim has no self-trade
    prevention; "eR" is sent on EXPIRED), and outboundAccountPosition with
    every asset that changed, after the executionReports of the same action.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include "vb_error.h"
#include "vb_json.h"
#include "auth.h"
#include "sim_binance.h"

#define S_ID_MAX      80  //  Raw JSON id text
#define S_METHOD_MAX  64
#define S_STATUS_OK   200
#define S_STATUS_BAD  400
#define S_STATUS_AUTH 401

//  --------------------------------------------------------------------------
//  Replies.

static void
s_rate_limits (bnsim_t *self, bnsim_conn_t *conn, bnsim_buf_t *out)
{
    int64_t used = bnsim_weight_used (self, conn->peer);
    bnsim_buf_printf (out,
                      ",\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":"
                      "\"MINUTE\",\"intervalNum\":1,\"limit\":6000,\"count\":%" PRId64 "}]}",
                      used);
}

static void
s_send (bnsim_conn_t *conn, bnsim_buf_t *out)
{
    vb_sim_conn_send (conn->conn, NULL, out->data, out->length);
}

static void
s_result (bnsim_t *self, bnsim_conn_t *conn, const char *id, const char *result, size_t length)
{
    bnsim_buf_t out = {0};
    bnsim_buf_printf (&out, "{\"id\":%s,\"status\":200,\"result\":", id);
    bnsim_buf_add (&out, result, length);
    s_rate_limits (self, conn, &out);
    s_send (conn, &out);
    bnsim_buf_free (&out);
}

static void
s_error (bnsim_t *self, bnsim_conn_t *conn, const char *id, const bnsim_error_t *error)
{
    bnsim_buf_t out = {0};
    bnsim_buf_printf (&out, "{\"id\":%s,\"status\":%d,\"error\":{\"code\":%d,\"msg\":", id,
                      error->status, error->code);
    bnsim_buf_json (&out, error->msg);
    if (error->retry_at_ms > 0)
        bnsim_buf_printf (&out, ",\"data\":{\"serverTime\":%" PRId64 ",\"retryAfter\":%" PRId64 "}",
                          bnsim_now_ms (self), error->retry_at_ms);
    bnsim_buf_str (&out, "}");
    s_rate_limits (self, conn, &out);
    s_send (conn, &out);
    bnsim_buf_free (&out);
}

//  --------------------------------------------------------------------------
//  Authentication of a WS API request: the session's logon key, or apiKey +
//  signature in params. Returns the key or NULL with error set.

static vb_sim_key_t *
s_authenticate (bnsim_t *self, bnsim_conn_t *conn, const bnsim_params_t *params, bnsim_perm_t perm,
                bool allow_session, bnsim_error_t *error)
{
    const char *api_key = bnsim_param (params, "apiKey");
    bool session = allow_session && !api_key && conn->logon_key[0];
    if (session)
        api_key = conn->logon_key;
    if (!api_key) {
        bnsim_error_set (error, S_STATUS_BAD, -1102,
                         "Mandatory parameter 'apiKey' was not sent, was empty/null, or "
                         "malformed.");
        return NULL;
    }
    vb_sim_key_t *key = bnsim_key_check (self, api_key, conn->peer, perm, error);
    if (!key)
        return NULL;
    if (!bnsim_param (params, "timestamp")) {
        bnsim_error_set (error, S_STATUS_BAD, -1102,
                         "Mandatory parameter 'timestamp' was not sent, was empty/null, or "
                         "malformed.");
        return NULL;
    }
    if (!session) {
        vb_binance_param_t list[BNSIM_PARAMS_MAX];
        for (size_t index = 0; index < params->count; index++)
            list[index] = (vb_binance_param_t){
                params->items[index].name, strlen (params->items[index].name),
                params->items[index].value, strlen (params->items[index].value)};
        vb_hmac_t *signer = vb_binance_signer_new (key->secret);
        int rc = signer ? vb_binance_verify_ws (signer, list, params->count) : VB_EIO;
        vb_hmac_destroy (&signer);
        if (rc == VB_ENOTFOUND) {
            bnsim_error_set (error, S_STATUS_BAD, -1102,
                             "Mandatory parameter 'signature' was not sent, was empty/null, or "
                             "malformed.");
            return NULL;
        }
        if (rc) {
            bnsim_error_set (error, S_STATUS_BAD, -1022,
                             "Signature for this request is not valid.");
            return NULL;
        }
    }
    if (bnsim_time_check (self, params, error))
        return NULL;
    return key;
}

//  --------------------------------------------------------------------------
//  Parse the request's params object into params.

static int
s_params (vb_json_val_t *root, size_t length, bnsim_params_t *params, bnsim_error_t *error)
{
    bnsim_params_init (params, length);
    vb_json_val_t object;
    if (vb_json_find (root, "params", &object) != 0)
        return 0;
    vb_json_iter_t iter;
    if (vb_json_object_begin (&object, &iter) != 0) {
        bnsim_error_set (error, S_STATUS_BAD, -1102,
                         "Mandatory parameter 'params' was not sent, was empty/null, or "
                         "malformed.");
        return -1;
    }
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    int rc;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        const char *text = NULL;
        size_t text_length = 0;
        bool flag;
        vb_json_type_t type = vb_json_type (&value);
        if (type == VB_JSON_STRING)
            rc = vb_json_string (&value, &text, &text_length);
        else if (type == VB_JSON_NUMBER)
            rc = vb_json_number_text (&value, &text, &text_length);
        else if (type == VB_JSON_BOOL) {
            rc = vb_json_bool (&value, &flag);
            text = flag ? "true" : "false";
            text_length = strlen (text);
        } else {
            bnsim_error_set (error, S_STATUS_BAD, -1100,
                             "Illegal characters found in parameter '%.*s'.", (int)key_length, key);
            return -1;
        }
        if (rc) {
            bnsim_error_set (error, S_STATUS_BAD, -1100,
                             "Illegal characters found in a parameter.");
            return -1;
        }
        for (size_t index = 0; index < params->count; index++)
            if (strlen (params->items[index].name) == key_length &&
                memcmp (params->items[index].name, key, key_length) == 0) {
                bnsim_error_set (error, S_STATUS_BAD, -1101,
                                 "Duplicate values for a parameter detected.");
                return -1;
            }
        if (bnsim_params_add (params, key, key_length, text, text_length)) {
            bnsim_error_set (error, S_STATUS_BAD, -1101,
                             "Too many parameters sent for this endpoint.");
            return -1;
        }
    }
    if (rc < 0) {
        bnsim_error_set (error, S_STATUS_BAD, -1102,
                         "Mandatory parameter 'params' was not sent, was empty/null, or "
                         "malformed.");
        return -1;
    }
    return 0;
}

//  The request id as raw JSON: number, string (re-escaped) or null.
static void
s_request_id (vb_json_val_t *root, char *out, size_t size)
{
    vb_json_val_t id;
    snprintf (out, size, "null");
    if (vb_json_find (root, "id", &id) != 0)
        return;
    vb_json_type_t type = vb_json_type (&id);
    const char *text;
    size_t length;
    if (type == VB_JSON_NUMBER && vb_json_number_text (&id, &text, &length) == 0 && length < size)
        snprintf (out, size, "%.*s", (int)length, text);
    else if (type == VB_JSON_STRING && vb_json_string (&id, &text, &length) == 0 &&
             length + 3 < size) {
        bool plain = true;
        for (size_t index = 0; index < length; index++)
            plain &= text[index] >= ' ' && text[index] != '"' && text[index] != '\\';
        if (plain)
            snprintf (out, size, "\"%.*s\"", (int)length, text);
    }
}

//  --------------------------------------------------------------------------
//  Methods.

static void
s_session_json (bnsim_t *self, bnsim_conn_t *conn, bnsim_buf_t *out)
{
    int64_t now = bnsim_now_ms (self);
    bnsim_buf_str (out, "{\"apiKey\":");
    if (conn->logon_key[0])
        bnsim_buf_json (out, conn->logon_key);
    else
        bnsim_buf_str (out, "null");
    bnsim_buf_printf (out,
                      ",\"authorizedSince\":%" PRId64 ",\"connectedSince\":%" PRId64
                      ",\"returnRateLimits\":true,\"serverTime\":%" PRId64
                      ",\"userDataStream\":%s}",
                      now, now, now, conn->subscription_count ? "true" : "false");
}

static int
s_add_subscription (bnsim_conn_t *conn, const char *account, bnsim_buf_t *out, bnsim_error_t *error)
{
    if (conn->subscription_count >= BNSIM_SUBSCRIPTIONS_MAX) {
        bnsim_error_set (error, S_STATUS_BAD, -1191,
                         "Too many subscriptions. Connection may create up to '%d' "
                         "subscriptions at a time.",
                         BNSIM_SUBSCRIPTIONS_MAX);
        return -1;
    }
    bnsim_subscription_t *subscription = &conn->subscriptions[conn->subscription_count++];
    subscription->id = conn->next_subscription++;
    snprintf (subscription->account, sizeof (subscription->account), "%s", account);
    bnsim_buf_printf (out, "{\"subscriptionId\":%" PRIu32 "}", subscription->id);
    return 0;
}

typedef struct {
    const char *method;
    int64_t weight;
} s_method_t;

static const s_method_t s_methods[] = {
    {"ping", 1},
    {"time", 1},
    {"session.logon", 2},
    {"session.status", 2},
    {"session.logout", 2},
    {"session.subscriptions", 2},
    {"userDataStream.subscribe", 2},
    {"userDataStream.subscribe.signature", 2},
    {"userDataStream.unsubscribe", 2},
    {"order.place", 1},
    {"order.test", 1},
    {"order.status", 4},
    {"order.cancel", 1},
    {"openOrders.status", 6},
    {"account.status", 20},
};

void
bnsim_wsapi_message (bnsim_t *self, bnsim_conn_t *conn, const char *text, size_t length)
{
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, method_value;
    char id[S_ID_MAX];
    bnsim_error_t error = {.status = S_STATUS_OK};
    bnsim_params_t params = {0};
    bnsim_buf_t out = {0};
    snprintf (id, sizeof (id), "null");
    if (vb_json_parse (json, text, length, &root) || vb_json_type (&root) != VB_JSON_OBJECT) {
        bnsim_error_set (&error, S_STATUS_BAD, -1102,
                         "Mandatory parameter 'method' was not sent, was empty/null, or "
                         "malformed.");
        goto reply;
    }
    s_request_id (&root, id, sizeof (id));
    const char *name;
    size_t name_length;
    char method[S_METHOD_MAX];
    if (vb_json_find (&root, "method", &method_value) ||
        vb_json_string (&method_value, &name, &name_length) || name_length >= sizeof (method)) {
        bnsim_error_set (&error, S_STATUS_BAD, -1102,
                         "Mandatory parameter 'method' was not sent, was empty/null, or "
                         "malformed.");
        goto reply;
    }
    snprintf (method, sizeof (method), "%.*s", (int)name_length, name);
    if (s_params (&root, length, &params, &error))
        goto reply;
    const s_method_t *known = NULL;
    for (size_t index = 0; index < sizeof (s_methods) / sizeof (s_methods[0]); index++)
        if (strcmp (s_methods[index].method, method) == 0)
            known = &s_methods[index];
    int64_t weight = known ? known->weight : 1;
    if (known && strcmp (method, "openOrders.status") == 0 && !bnsim_param (&params, "symbol"))
        weight = 80;
    int64_t used;
    if (bnsim_weight_take (self, conn->peer, weight, &error, &used))
        goto reply;
    if (!known) {
        bnsim_error_set (&error, S_STATUS_BAD, -1020, "This operation is not supported.");
        goto reply;
    }
    if (strcmp (method, "ping") == 0)
        bnsim_buf_str (&out, "{}");
    else if (strcmp (method, "time") == 0)
        bnsim_buf_printf (&out, "{\"serverTime\":%" PRId64 "}", bnsim_now_ms (self));
    else if (strcmp (method, "session.logon") == 0) {
        vb_sim_key_t *key = s_authenticate (self, conn, &params, BNSIM_PERM_NONE, false, &error);
        if (!key)
            goto reply;
        snprintf (conn->logon_key, sizeof (conn->logon_key), "%s", key->api_key);
        s_session_json (self, conn, &out);
    } else if (strcmp (method, "session.status") == 0)
        s_session_json (self, conn, &out);
    else if (strcmp (method, "session.logout") == 0) {
        conn->logon_key[0] = 0;
        s_session_json (self, conn, &out);
    } else if (strcmp (method, "session.subscriptions") == 0) {
        bnsim_buf_str (&out, "[");
        for (size_t index = 0; index < conn->subscription_count; index++)
            bnsim_buf_printf (&out, "%s{\"subscriptionId\":%" PRIu32 "}", index ? "," : "",
                              conn->subscriptions[index].id);
        bnsim_buf_str (&out, "]");
    } else if (strcmp (method, "userDataStream.subscribe") == 0) {
        vb_sim_key_t *key =
            conn->logon_key[0] ? vb_sim_engine_key (self->engine, conn->logon_key) : NULL;
        if (!key) {
            bnsim_error_set (&error, S_STATUS_AUTH, -1002,
                             "You are not authorized to execute this request.");
            goto reply;
        }
        if (s_add_subscription (conn, key->account, &out, &error))
            goto reply;
    } else if (strcmp (method, "userDataStream.subscribe.signature") == 0) {
        vb_sim_key_t *key = s_authenticate (self, conn, &params, BNSIM_PERM_NONE, false, &error);
        if (!key || s_add_subscription (conn, key->account, &out, &error))
            goto reply;
    } else if (strcmp (method, "userDataStream.unsubscribe") == 0) {
        const char *which = bnsim_param (&params, "subscriptionId");
        if (!which)
            conn->subscription_count = 0;
        else {
            char *end = NULL;
            unsigned long wanted = strtoul (which, &end, 10);
            size_t index = 0;
            while (index < conn->subscription_count && conn->subscriptions[index].id != wanted)
                index++;
            if (*end || index == conn->subscription_count) {
                bnsim_error_set (&error, S_STATUS_BAD, -1130,
                                 "Data sent for parameter 'subscriptionId' is not valid.");
                goto reply;
            }
            conn->subscriptions[index] = conn->subscriptions[--conn->subscription_count];
        }
        bnsim_buf_str (&out, "{}");
    } else {
        bool trade = strcmp (method, "order.place") == 0 || strcmp (method, "order.test") == 0 ||
                     strcmp (method, "order.cancel") == 0;
        vb_sim_key_t *key = s_authenticate (
            self, conn, &params, trade ? BNSIM_PERM_TRADE : BNSIM_PERM_READ, true, &error);
        if (!key)
            goto reply;
        int rc;
        if (strcmp (method, "order.place") == 0) {
            int64_t count_10s, count_1d;
            rc = bnsim_orders_take (self, key->account, &error, &count_10s, &count_1d);
            if (rc == 0)
                rc = bnsim_order_place (self, key->account, &params, false, &out, &error);
        } else if (strcmp (method, "order.test") == 0)
            rc = bnsim_order_place (self, key->account, &params, true, &out, &error);
        else if (strcmp (method, "order.status") == 0)
            rc = bnsim_order_query (self, key->account, &params, &out, &error);
        else if (strcmp (method, "order.cancel") == 0)
            rc = bnsim_order_cancel (self, key->account, &params, &out, &error);
        else if (strcmp (method, "openOrders.status") == 0)
            rc = bnsim_open_orders (self, key->account, &params, &out, &error);
        else
            rc = bnsim_account (self, key, &params, &out, &error);
        if (rc)
            goto reply;
    }
reply:
    if (error.code)
        s_error (self, conn, id, &error);
    else
        s_result (self, conn, id, out.data ? out.data : "{}", out.data ? out.length : 2);
    bnsim_buf_free (&out);
    bnsim_params_free (&params);
    vb_json_destroy (&json);
}

//  --------------------------------------------------------------------------
//  User data events.

static void
s_deliver (bnsim_t *self, const char *account, const char *stream, const char *event, size_t length)
{
    bnsim_buf_t *wrap = &self->wrap;
    for (size_t index = 0; index < self->conn_count; index++) {
        bnsim_conn_t *conn = self->conns[index];
        if (conn->kind != BNSIM_CONN_WSAPI)
            continue;
        for (size_t at = 0; at < conn->subscription_count; at++) {
            if (strcmp (conn->subscriptions[at].account, account) != 0)
                continue;
            bnsim_buf_reset (wrap);
            bnsim_buf_printf (
                wrap, "{\"subscriptionId\":%" PRIu32 ",\"event\":", conn->subscriptions[at].id);
            bnsim_buf_add (wrap, event, length);
            bnsim_buf_str (wrap, "}");
            vb_sim_conn_send (conn->conn, stream, wrap->data, wrap->length);
        }
    }
}

static bool
s_subscribed (bnsim_t *self, const char *account)
{
    for (size_t index = 0; index < self->conn_count; index++)
        for (size_t at = 0; at < self->conns[index]->subscription_count; at++)
            if (strcmp (self->conns[index]->subscriptions[at].account, account) == 0)
                return true;
    return false;
}

void
bnsim_user_order (bnsim_t *self, const vb_sim_event_t *event)
{
    const vb_sim_order_t *order = event->order;
    if (!order || !s_subscribed (self, order->account))
        return;
    bnsim_symbol_t *symbol = NULL;
    for (size_t index = 0; index < self->symbol_count; index++)
        if (strcmp (self->symbols[index].instrument->symbol, order->instrument->symbol) == 0)
            symbol = &self->symbols[index];
    if (!symbol)
        return;
    const bnsim_listing_t *listing = symbol->listing;
    int32_t pe = listing->price_exponent, qe = listing->qty_exponent;
    const vb_sim_fill_t *fill = event->fill;
    static const char *const statuses[] = {"NEW",      "NEW",      "PARTIALLY_FILLED", "FILLED",
                                           "CANCELED", "REJECTED", "EXPIRED"};
    const char *status = order->status >= VB_SIM_NEW && order->status <= VB_SIM_EXPIRED
                             ? statuses[order->status]
                             : "NEW";
    const char *execution = fill                               ? "TRADE"
                            : order->status == VB_SIM_CANCELED ? "CANCELED"
                            : order->status == VB_SIM_EXPIRED  ? "EXPIRED"
                            : order->status == VB_SIM_REJECTED ? "REJECTED"
                                                               : "NEW";
    bool canceling = order->status == VB_SIM_CANCELED && self->canceling_order == order->order_id &&
                     self->cancel_client_id[0];
    const char *type = order->type == VB_SIM_MARKET ? "MARKET"
                       : order->post_only           ? "LIMIT_MAKER"
                                                    : "LIMIT";
    const char *tif = order->tif == VB_SIM_IOC ? "IOC" : order->tif == VB_SIM_FOK ? "FOK" : "GTC";
    int64_t now = bnsim_now_ms (self);
    int64_t created = order->created_ns / BNSIM_NS_PER_MS;
    bool working = order->type == VB_SIM_LIMIT &&
                   (order->status == VB_SIM_NEW || order->status == VB_SIM_PARTIALLY_FILLED);
    bnsim_buf_t buf = {0};
    bnsim_buf_printf (&buf, "{\"e\":\"executionReport\",\"E\":%" PRId64 ",\"s\":\"%s\",\"c\":", now,
                      listing->symbol);
    bnsim_buf_json (&buf, canceling ? self->cancel_client_id : order->client_id);
    bnsim_buf_printf (&buf, ",\"S\":\"%s\",\"o\":\"%s\",\"f\":\"%s\",\"q\":",
                      order->side == VB_SIM_BUY ? "BUY" : "SELL", type, tif);
    bnsim_buf_dec (&buf, order->qty, qe);
    bnsim_buf_str (&buf, ",\"p\":");
    bnsim_buf_dec (&buf, order->price, pe);
    bnsim_buf_str (&buf, ",\"P\":");
    bnsim_buf_dec (&buf, 0, 0);
    bnsim_buf_str (&buf, ",\"F\":");
    bnsim_buf_dec (&buf, 0, 0);
    bnsim_buf_str (&buf, ",\"g\":-1,\"C\":");
    bnsim_buf_json (&buf, canceling ? order->client_id : "");
    bnsim_buf_printf (&buf, ",\"x\":\"%s\",\"X\":\"%s\",\"r\":\"NONE\",\"i\":%" PRIu64 ",\"l\":",
                      execution, status, order->order_id);
    bnsim_buf_dec (&buf, fill ? fill->qty : 0, qe);
    bnsim_buf_str (&buf, ",\"z\":");
    bnsim_buf_dec (&buf, order->filled, qe);
    bnsim_buf_str (&buf, ",\"L\":");
    bnsim_buf_dec (&buf, fill ? fill->price : 0, pe);
    bnsim_buf_str (&buf, ",\"n\":");
    if (fill) {
        const char *asset = bnsim_commission (&buf, fill, listing);
        bnsim_buf_printf (&buf, ",\"N\":\"%s\"", asset);
    } else
        bnsim_buf_str (&buf, "\"0\",\"N\":null");
    bnsim_buf_printf (&buf,
                      ",\"T\":%" PRId64 ",\"t\":%" PRId64 ",\"I\":%" PRIu64
                      ",\"w\":%s,\"m\":%s,\"M\":false,\"O\":%" PRId64 ",\"Z\":",
                      event->ts_ns / BNSIM_NS_PER_MS, fill ? (int64_t)fill->trade_id : -1,
                      ++self->event_sequence, working ? "true" : "false",
                      fill && fill->maker ? "true" : "false", created);
    bnsim_buf_dec (&buf, order->filled_notional, pe + qe);
    bnsim_buf_str (&buf, ",\"Y\":");
    bnsim_buf_dec (&buf, fill ? fill->price * fill->qty : 0, pe + qe);
    bnsim_buf_str (&buf, ",\"Q\":");
    bnsim_buf_dec (&buf, 0, 0);
    bnsim_buf_printf (&buf, ",\"W\":%" PRId64 ",\"V\":\"NONE\"", created);
    if (order->status == VB_SIM_EXPIRED && !fill)
        bnsim_buf_printf (&buf, ",\"eR\":\"%s\"",
                          order->type == VB_SIM_MARKET ? "INSUFFICIENT_LIQUIDITY"
                          : order->tif == VB_SIM_FOK   ? "UNFILLED_FOK_ORDER_EXPIRED"
                                                       : "UNFILLED_IOC_QUANTITY_EXPIRED");
    bnsim_buf_str (&buf, "}");
    s_deliver (self, order->account, "executionReport", buf.data, buf.length);
    bnsim_buf_free (&buf);
}

void
bnsim_user_balance (bnsim_t *self, const vb_sim_event_t *event)
{
    if (!event->account || !event->asset || !s_subscribed (self, event->account))
        return;
    for (size_t index = 0; index < self->position_count; index++)
        if (strcmp (self->positions[index].account, event->account) == 0 &&
            strcmp (self->positions[index].asset, event->asset) == 0) {
            self->positions[index].free = event->free;
            self->positions[index].locked = event->locked;
            self->positions[index].ts_ns = event->ts_ns;
            return;
        }
    if (self->position_count == self->position_capacity) {
        size_t capacity = self->position_capacity ? 2 * self->position_capacity : 8;
        void *grown = realloc (self->positions, capacity * sizeof (*self->positions));
        assert (grown);
        self->positions = grown;
        self->position_capacity = capacity;
    }
    size_t at = self->position_count++;
    snprintf (self->positions[at].account, sizeof (self->positions[at].account), "%s",
              event->account);
    snprintf (self->positions[at].asset, sizeof (self->positions[at].asset), "%s", event->asset);
    self->positions[at].free = event->free;
    self->positions[at].locked = event->locked;
    self->positions[at].ts_ns = event->ts_ns;
}

void
bnsim_user_flush (bnsim_t *self)
{
    while (self->position_count > 0) {
        //  One message per account, with every asset of that account
        const char *account = self->positions[0].account;
        char owner[VB_SIM_NAME_MAX];
        snprintf (owner, sizeof (owner), "%s", account);
        bnsim_buf_t buf = {0};
        int64_t update = 0;
        for (size_t index = 0; index < self->position_count; index++)
            if (strcmp (self->positions[index].account, owner) == 0 &&
                self->positions[index].ts_ns / BNSIM_NS_PER_MS > update)
                update = self->positions[index].ts_ns / BNSIM_NS_PER_MS;
        bnsim_buf_printf (
            &buf, "{\"e\":\"outboundAccountPosition\",\"E\":%" PRId64 ",\"u\":%" PRId64 ",\"B\":[",
            bnsim_now_ms (self), update);
        size_t kept = 0, written = 0;
        for (size_t index = 0; index < self->position_count; index++) {
            if (strcmp (self->positions[index].account, owner) != 0) {
                self->positions[kept++] = self->positions[index];
                continue;
            }
            bnsim_buf_str (&buf, written++ ? ",{\"a\":" : "{\"a\":");
            bnsim_buf_json (&buf, self->positions[index].asset);
            bnsim_buf_str (&buf, ",\"f\":");
            bnsim_buf_dec (&buf, self->positions[index].free, VB_SIM_ASSET_EXPONENT);
            bnsim_buf_str (&buf, ",\"l\":");
            bnsim_buf_dec (&buf, self->positions[index].locked, VB_SIM_ASSET_EXPONENT);
            bnsim_buf_str (&buf, "}");
        }
        self->position_count = kept;
        bnsim_buf_str (&buf, "]}");
        s_deliver (self, owner, "outboundAccountPosition", buf.data, buf.length);
        bnsim_buf_free (&buf);
    }
}
