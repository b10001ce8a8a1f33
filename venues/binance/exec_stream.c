/*  exec_stream.c — Binance execution adapter: the private stream over the
    WS API (venues.md 1.6; listenKey streams were retired 2026-02-20).

    URL: <ws_url>/ws-api/v3 (production wss://ws-api.binance.com:443/ws-api/v3).
    Once open, one request subscribes the account:
        {"id":"vb-<n>","method":"userDataStream.subscribe.signature",
         "params":{"apiKey":..,"timestamp":..,"signature":..}}
    with the HMAC-SHA256 hex over the params sorted by name (auth.c). This
    is chosen over session.logon + userDataStream.subscribe because the
    venue documents session.logon for Ed25519 keys only, and the router's
    keys are HMAC keys; the signed subscribe works with any key type and
    needs no session state.
    Frames:
    - {"id":..,"status":200,"result":{"subscriptionId":N}}: subscribed;
      other 200 answers are ignored. A non-200 answer returns VB_EAUTH for
      an authentication failure (401/403, -1002, -1021, -1022, -2014,
      -2015), VB_EAGAIN for 418/429 (the router backs off), VB_EINVAL
      otherwise; the router reconnects or alerts.
    - {"subscriptionId":N,"event":{..}} (also a bare event, and the legacy
      {"stream":..,"data":{..}} wrapper): executionReport -> sink->fill when
      x is TRADE (t, l, L, n, N, m), then sink->order (X, z cumulative, c;
      on cancels the order's own id is C); outboundAccountPosition ->
      sink->balance for each asset. eventStreamTerminated returns
      VB_ESTATE (the subscription is gone: resubscribe). balanceUpdate (a
      delta; the position event carries the totals), listStatus and
      externalLockUpdate are ignored.
    Anything malformed returns a negative VB_E* and reaches no sink.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include "vb_error.h"
#include "auth.h"
#include "exec_binance.h"

#define S_WS_PATH          "/ws-api/v3"
#define S_STATUS_OK        200
#define S_STATUS_AUTH      401
#define S_STATUS_FORBIDDEN 403
#define S_STATUS_BANNED    418
#define S_STATUS_TOO_MANY  429
#define S_FRAME_MAX        512
#define S_ASSET_MAX        16
#define S_EXEC_TYPE_MAX    32

//  --------------------------------------------------------------------------
//  Where to connect.

int
vb_binance_exec_stream_url (vb_exec_t *base, char *url, size_t size)
{
    vb_binance_exec_t *self = (vb_binance_exec_t *)base;
    if (!self || !url || size == 0)
        return VB_EINVAL;
    size_t length = strlen (self->ws_url);
    size_t path_length = strlen (S_WS_PATH);
    //  A base that already names the endpoint is taken as it is
    bool has_path =
        length >= path_length && strcmp (self->ws_url + length - path_length, S_WS_PATH) == 0;
    int written = snprintf (url, size, "%s%s", self->ws_url, has_path ? "" : S_WS_PATH);
    if (written < 0 || (size_t)written >= size)
        return VB_ETRUNC;
    return 0;
}

//  --------------------------------------------------------------------------
//  The connection is open: subscribe the account.

int
vb_binance_exec_stream_opened (vb_exec_t *base, int64_t now_ms, const vb_exec_sink_t *sink)
{
    vb_binance_exec_t *self = (vb_binance_exec_t *)base;
    if (!self || !sink || !sink->send || now_ms <= 0)
        return VB_EINVAL;
    self->subscription_id = -1;
    char timestamp[32];
    int timestamp_length = snprintf (timestamp, sizeof (timestamp), "%" PRId64, now_ms);
    vb_binance_param_t params[] = {
        {"apiKey", strlen ("apiKey"), self->api_key, strlen (self->api_key)},
        {"timestamp", strlen ("timestamp"), timestamp, (size_t)timestamp_length},
    };
    char signature[VB_BINANCE_SIGNATURE_SIZE];
    int rc = vb_binance_sign_ws (self->signer, params, sizeof (params) / sizeof (params[0]),
                                 signature, sizeof (signature));
    if (rc < 0)
        return rc;
    char frame[S_FRAME_MAX];
    int length = snprintf (frame, sizeof (frame),
                           "{\"id\":\"vb-%" PRIu64 "\",\"method\":\"userDataStream.subscribe."
                           "signature\",\"params\":{\"apiKey\":\"%s\",\"timestamp\":%s,"
                           "\"signature\":\"%s\"}}",
                           ++self->stream_request_id, self->api_key, timestamp, signature);
    if (length < 0 || (size_t)length >= sizeof (frame))
        return VB_ETRUNC;
    return sink->send (sink->ctx, frame, (size_t)length);
}

//  --------------------------------------------------------------------------
//  Helpers.

static bool
s_key (const char *key, size_t length, const char *name)
{
    return strlen (name) == length && memcmp (key, name, length) == 0;
}

static bool
s_text_is (const char *text, size_t length, const char *expected)
{
    return strlen (expected) == length && memcmp (text, expected, length) == 0;
}

//  --------------------------------------------------------------------------
//  executionReport -> fill (on a trade), then order.

static int
s_execution_report (vb_binance_exec_t *self, vb_json_val_t *event, const vb_exec_sink_t *sink)
{
    vb_exec_report_t report;
    vb_exec_fill_t fill;
    memset (&report, 0, sizeof (report));
    memset (&fill, 0, sizeof (fill));
    char client_id[VB_EXEC_ID_MAX] = "", original_id[VB_EXEC_ID_MAX] = "";
    char exec_type[S_EXEC_TYPE_MAX] = "";
    bool has_symbol = false, has_state = false, has_order = false, has_qty = false, has_cum = false,
         has_last = false, has_last_price = false, has_trade = false;
    int64_t event_ns = 0, transaction_ns = 0;
    vb_json_iter_t fields;
    int rc = vb_json_object_begin (event, &fields);
    if (rc)
        return rc;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (key_length != 1)
            continue;
        const char *text;
        size_t length;
        switch (key[0]) {
            case 's':
                if ((rc = vb_json_string (&value, &text, &length)) ||
                    (rc = vb_binance_exec_normalise (self, text, length, report.symbol,
                                                     sizeof (report.symbol))))
                    return rc;
                has_symbol = true;
                break;
            case 'c':
                rc = vb_binance_exec_string (&value, client_id, sizeof (client_id));
                break;
            case 'C':
                if (vb_json_type (&value) != VB_JSON_NULL)
                    rc = vb_binance_exec_string (&value, original_id, sizeof (original_id));
                break;
            case 'S':
                if ((rc = vb_json_string (&value, &text, &length)))
                    return rc;
                if (s_text_is (text, length, "BUY"))
                    report.side = VB_EXEC_BUY;
                else if (s_text_is (text, length, "SELL"))
                    report.side = VB_EXEC_SELL;
                else
                    return VB_EINVAL;
                break;
            case 'x':
                rc = vb_binance_exec_string (&value, exec_type, sizeof (exec_type));
                break;
            case 'X':
                if ((rc = vb_json_string (&value, &text, &length)))
                    return rc;
                report.state = vb_binance_exec_state (text, length);
                has_state = true;
                break;
            case 'i':
                rc = vb_binance_exec_id_text (&value, report.venue_order_id,
                                              sizeof (report.venue_order_id));
                has_order = true;
                break;
            case 'p':
                rc = vb_json_decimal (&value, &report.price);
                break;
            case 'q':
                rc = vb_json_decimal (&value, &report.qty);
                has_qty = true;
                break;
            case 'z':
                rc = vb_json_decimal (&value, &report.filled_qty);
                has_cum = true;
                break;
            case 'l':
                rc = vb_json_decimal (&value, &fill.qty);
                has_last = true;
                break;
            case 'L':
                rc = vb_json_decimal (&value, &fill.price);
                has_last_price = true;
                break;
            case 'n':
                if (vb_json_type (&value) != VB_JSON_NULL)
                    rc = vb_json_decimal (&value, &fill.fee);
                break;
            case 'N':
                if (vb_json_type (&value) != VB_JSON_NULL)
                    rc = vb_binance_exec_string (&value, fill.fee_asset, sizeof (fill.fee_asset));
                break;
            case 't': {
                int64_t trade;
                if ((rc = vb_json_int64 (&value, &trade)))
                    return rc;
                if (trade >= 0) {
                    snprintf (fill.trade_id, sizeof (fill.trade_id), "%" PRId64, trade);
                    has_trade = true;
                }
                break;
            }
            case 'm':
                rc = vb_json_bool (&value, &fill.maker);
                break;
            case 'E':
                rc = vb_binance_exec_ms_to_ns (&value, &event_ns);
                break;
            case 'T':
                rc = vb_binance_exec_ms_to_ns (&value, &transaction_ns);
                break;
            default:
                break;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    //  On a cancel, c is the cancel's id and C the order's own
    const char *order_id = original_id[0] ? original_id : client_id;
    if (!has_symbol || !has_state || !has_order || !has_qty || !has_cum || !order_id[0] ||
        !exec_type[0] || report.side == 0)
        return VB_EINVAL;
    snprintf (report.client_order_id, sizeof (report.client_order_id), "%s", order_id);
    report.update_ts_ns = transaction_ns ? transaction_ns : event_ns;
    if (strcmp (exec_type, "TRADE") == 0) {
        if (!has_trade || !has_last || !has_last_price)
            return VB_EINVAL;
        memcpy (fill.client_order_id, report.client_order_id, sizeof (fill.client_order_id));
        memcpy (fill.venue_order_id, report.venue_order_id, sizeof (fill.venue_order_id));
        memcpy (fill.symbol, report.symbol, sizeof (fill.symbol));
        fill.side = report.side;
        fill.ts_ns = report.update_ts_ns;
        if (sink->fill)
            sink->fill (sink->ctx, &fill);
    }
    if (sink->order)
        sink->order (sink->ctx, &report);
    return 0;
}

//  --------------------------------------------------------------------------
//  outboundAccountPosition -> balances. Everything is checked before the
//  sink sees any of it (a two-pass walk: the second pass reports).

static int
s_positions (vb_json_val_t *array, const vb_exec_sink_t *sink)
{
    vb_json_iter_t iter;
    int rc = vb_json_array_begin (array, &iter);
    if (rc)
        return rc;
    vb_json_val_t element;
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
            if (s_key (key, key_length, "a"))
                rc = vb_binance_exec_string (&value, asset, sizeof (asset));
            else if (s_key (key, key_length, "f")) {
                rc = vb_json_decimal (&value, &free_amount);
                has_free = true;
            } else if (s_key (key, key_length, "l")) {
                rc = vb_json_decimal (&value, &locked);
                has_locked = true;
            }
            if (rc < 0)
                return rc;
        }
        if (rc < 0)
            return rc;
        if (!asset[0] || !has_free || !has_locked)
            return VB_EINVAL;
        if (sink && sink->balance)
            sink->balance (sink->ctx, asset, free_amount, locked);
    }
    return rc;
}

static int
s_account_position (vb_binance_exec_t *self, const char *text, size_t length, bool wrapped,
                    const vb_exec_sink_t *sink)
{
    //  Pass 1 checks (no sink), pass 2 reports
    for (int pass = 0; pass < 2; pass++) {
        vb_json_val_t root, event, balances;
        int rc = vb_json_parse (self->json, text, length, &root);
        if (rc)
            return rc;
        if (wrapped) {
            if ((rc = vb_json_find (&root, "event", &event)) == VB_ENOTFOUND)
                rc = vb_json_find (&root, "data", &event);
        } else
            event = root;
        if (rc || (rc = vb_json_find (&event, "B", &balances)) ||
            (rc = s_positions (&balances, pass ? sink : NULL)))
            return rc;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  A WS API answer: {"id":..,"status":..,"result"|"error":..}.

static int
s_answer (vb_binance_exec_t *self, vb_json_val_t *root)
{
    int64_t status = 0, code = 0, subscription = -1;
    bool has_status = false;
    vb_json_iter_t fields;
    int rc = vb_json_object_begin (root, &fields);
    if (rc)
        return rc;
    const char *key;
    size_t key_length;
    vb_json_val_t value, inner;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (s_key (key, key_length, "status")) {
            if ((rc = vb_json_int64 (&value, &status)))
                return rc;
            has_status = true;
        } else if (s_key (key, key_length, "result") && vb_json_type (&value) == VB_JSON_OBJECT) {
            if (vb_json_find (&value, "subscriptionId", &inner) == 0 &&
                (rc = vb_json_int64 (&inner, &subscription)))
                return rc;
        } else if (s_key (key, key_length, "error") && vb_json_type (&value) == VB_JSON_OBJECT) {
            if (vb_json_find (&value, "code", &inner) == 0 && (rc = vb_json_int64 (&inner, &code)))
                return rc;
        }
    }
    if (rc < 0)
        return rc;
    if (!has_status)
        return VB_EINVAL;
    if (status == S_STATUS_OK) {
        if (subscription >= 0)
            self->subscription_id = subscription;
        return 0;
    }
    if (status == S_STATUS_BANNED || status == S_STATUS_TOO_MANY)
        return VB_EAGAIN;
    if (status == S_STATUS_AUTH || status == S_STATUS_FORBIDDEN || code == -1002 || code == -1021 ||
        code == -1022 || code == -2014 || code == -2015)
        return VB_EAUTH;
    return VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  One text frame from the private stream.

int
vb_binance_exec_stream_frame (vb_exec_t *base, const char *text, size_t length, int64_t now_ms,
                              const vb_exec_sink_t *sink)
{
    vb_binance_exec_t *self = (vb_binance_exec_t *)base;
    (void)now_ms;
    if (!self || !text || length == 0 || !sink)
        return VB_EINVAL;
    vb_json_val_t root, event, type;
    int rc = vb_json_parse (self->json, text, length, &root);
    if (rc)
        return rc;
    if (vb_json_type (&root) != VB_JSON_OBJECT)
        return VB_EINVAL;
    //  Which shape: an answer, a wrapped event, or a bare event
    bool wrapped = true;
    rc = vb_json_find (&root, "event", &event);
    if (rc == VB_ENOTFOUND)
        rc = vb_json_find (&root, "data", &event);
    if (rc == VB_ENOTFOUND) {
        rc = vb_json_parse (self->json, text, length, &root);
        if (rc)
            return rc;
        if (vb_json_find (&root, "status", &type) == 0) {
            if ((rc = vb_json_parse (self->json, text, length, &root)))
                return rc;
            return s_answer (self, &root);
        }
        if ((rc = vb_json_parse (self->json, text, length, &event)))
            return rc;
        wrapped = false;
    } else if (rc)
        return rc;
    if (vb_json_type (&event) != VB_JSON_OBJECT)
        return VB_EINVAL;
    const char *name;
    size_t name_length;
    if ((rc = vb_json_find (&event, "e", &type)) ||
        (rc = vb_json_string (&type, &name, &name_length)))
        return rc == VB_ENOTFOUND ? VB_EINVAL : rc;
    if (s_text_is (name, name_length, "executionReport")) {
        //  Re-enter the event from its start: "e" has been read
        if ((rc = vb_json_parse (self->json, text, length, &root)))
            return rc;
        if (wrapped) {
            if ((rc = vb_json_find (&root, "event", &event)) == VB_ENOTFOUND)
                rc = vb_json_find (&root, "data", &event);
            if (rc)
                return rc;
        } else
            event = root;
        return s_execution_report (self, &event, sink);
    }
    if (s_text_is (name, name_length, "outboundAccountPosition"))
        return s_account_position (self, text, length, wrapped, sink);
    if (s_text_is (name, name_length, "eventStreamTerminated")) {
        self->subscription_id = -1;
        return VB_ESTATE;
    }
    return 0;  //  balanceUpdate, listStatus, externalLockUpdate, others: nothing to report
}
