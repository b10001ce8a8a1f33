/*  test_exec_binance.c — the Binance execution adapter (venues/binance/exec*.c)
    against the real venuebus-sim: the adapter builds and signs, libcurl
    (vbt_http) and a plain WebSocket client (vbt_ws) carry the bytes, the
    adapter parses. This is what the router will do, without the router.

    Expected values come from the venue's rules, not from the adapter: the
    sim lists BTCUSDT with Binance's filters (tick 0.01, step 0.00001), order
    states and codes are venues.md 1.4-1.7, the key posture is what the sim
    was started with (DESIGN.md 3: VB_SIM_API_PERMISSIONS, default whitelist
    127.0.0.1), and a 503 injected before the venue sees the order leaves no
    order behind (the sim answers the fault without placing it).

    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vb_decimal.h"
#include "vb_error.h"
#include "vb_exec.h"
#include "vbt_http.h"
#include "vbt_proc.h"
#include "vbt_ws.h"

extern const vb_exec_ops_t vb_binance_exec_ops;
#define OPS (&vb_binance_exec_ops)

#define WAIT_MS     10000
#define HTTP_MS     10000
#define API_KEY     "vbExecKey0123456789abcdefABCDEF0123456789abcdefghijklmnopqrstuvw"
#define API_SECRET  "vbExecSecret0123456789abcdefABCDEF"
#define RECORDS     64
#define HEADERS_MAX 64
#define FRAMES_MAX  100

typedef struct {
    vbt_proc_t *proc;
    int port;
} s_sim_t;

//  What the sink received.
typedef struct {
    vb_exec_report_t orders[RECORDS];
    size_t order_count;
    vb_exec_fill_t fills[RECORDS];
    size_t fill_count;
    char assets[RECORDS][16];
    vb_decimal_t free_amount[RECORDS];
    size_t balance_count;
    vb_exec_permissions_t permissions;
    size_t permission_count;
    vbt_ws_t *ws;  //  Where sink->send goes
    int64_t weight_used;
} s_record_t;

static void
s_start (s_sim_t *self, const char *permissions)
{
    char perms[128];
    snprintf (perms, sizeof perms, "VB_SIM_API_PERMISSIONS=%s", permissions);
    //  No VB_SIM_API_IPS: the default whitelist (127.0.0.1) applies
    char *env[] = {"VB_SIM_API_KEY=" API_KEY, "VB_SIM_API_SECRET=" API_SECRET, perms, NULL};
    char *argv[] = {VB_SIM_BIN, "--venue", "binance", "--port", "0", "--seed", "11", NULL};
    self->proc = vbt_proc_start (VB_SIM_BIN, argv, env);
    cr_assert_not_null (self->proc);
    char line[256], port[32];
    cr_assert_eq (vbt_proc_wait_line (self->proc, "ready ", WAIT_MS, line, sizeof line), 0,
                  "sim never said ready; stderr: %s", vbt_proc_stderr (self->proc));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    self->port = atoi (port);
    cr_assert_gt (self->port, 0);
}

static void
s_stop (s_sim_t *self)
{
    cr_assert_eq (vbt_proc_stop (&self->proc, WAIT_MS), 0);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
s_on_order (void *ctx, const vb_exec_report_t *report)
{
    s_record_t *record = ctx;
    cr_assert_lt (record->order_count, RECORDS);
    record->orders[record->order_count++] = *report;
}

static void
s_on_fill (void *ctx, const vb_exec_fill_t *fill)
{
    s_record_t *record = ctx;
    cr_assert_lt (record->fill_count, RECORDS);
    record->fills[record->fill_count++] = *fill;
}

static void
s_on_balance (void *ctx, const char *asset, vb_decimal_t free_amount, vb_decimal_t locked)
{
    (void)locked;
    s_record_t *record = ctx;
    cr_assert_lt (record->balance_count, RECORDS);
    snprintf (record->assets[record->balance_count], sizeof record->assets[0], "%s", asset);
    record->free_amount[record->balance_count++] = free_amount;
}

static void
s_on_permissions (void *ctx, const vb_exec_permissions_t *permissions)
{
    s_record_t *record = ctx;
    record->permissions = *permissions;
    record->permission_count++;
}

static int
s_on_send (void *ctx, const char *text, size_t length)
{
    s_record_t *record = ctx;
    return vbt_ws_send_text (record->ws, text, length);
}

static void
s_on_usage (void *ctx, size_t bucket, int64_t used)
{
    s_record_t *record = ctx;
    if (bucket == 0)
        record->weight_used = used;
}

static vb_exec_sink_t
s_sink (s_record_t *record)
{
    vbt_ws_t *ws = record->ws;
    memset (record, 0, sizeof (*record));
    record->ws = ws;
    record->weight_used = -1;
    vb_exec_sink_t sink = {.ctx = record,
                           .order = s_on_order,
                           .fill = s_on_fill,
                           .balance = s_on_balance,
                           .permissions = s_on_permissions,
                           .send = s_on_send};
    return sink;
}

static vb_exec_t *
s_adapter (s_sim_t *sim, const char *secret)
{
    char rest[64], ws[64];
    snprintf (rest, sizeof rest, "http://127.0.0.1:%d", sim->port);
    snprintf (ws, sizeof ws, "ws://127.0.0.1:%d", sim->port);
    vb_exec_config_t config = {.account = "main",
                               .api_key = API_KEY,
                               .secret = secret,
                               .secret_length = strlen (secret),
                               .rest_url = rest,
                               .ws_url = ws};
    char error[256] = "";
    vb_exec_t *adapter = OPS->create (&config, error, sizeof error);
    cr_assert_not_null (adapter, "%s", error);
    return adapter;
}

//  Send a built request over HTTP and parse the answer, as the router will.
static void
s_exchange (vb_exec_t *adapter, const vb_exec_request_t *request, s_record_t *record,
            const vb_exec_sink_t *sink, vb_exec_result_t *result)
{
    const char *headers[VB_EXEC_HEADERS_MAX + 1] = {NULL};
    for (size_t i = 0; i < request->header_count; i++)
        headers[i] = request->headers[i];
    vbt_http_response_t response;
    int rc = vbt_http_request (request->method, request->url, headers,
                               request->body_length ? request->body : NULL, HTTP_MS, &response);
    //  Response headers as "Name: value" lines
    char *lines[HEADERS_MAX];
    size_t count = 0;
    char *block = rc == 0 ? strdup (response.headers) : NULL;
    for (char *cursor = block, *save = NULL; cursor && count < HEADERS_MAX; cursor = NULL) {
        char *line = strtok_r (cursor, "\r\n", &save);
        while (line && count < HEADERS_MAX) {
            lines[count++] = line;
            line = strtok_r (NULL, "\r\n", &save);
        }
    }
    int parsed = OPS->parse (adapter, request, rc == 0 ? (int)response.status : 0,
                             (const char *const *)lines, count, rc == 0 ? response.body : NULL,
                             rc == 0 ? response.body_length : 0, sink, result, s_on_usage, record);
    cr_assert (parsed == 0 || result->outcome == VB_EXEC_UNKNOWN);
    free (block);
    if (rc == 0)
        vbt_http_response_free (&response);
}

static vb_exec_order_t
s_order (const char *id, vb_exec_side_t side, vb_exec_type_t type, const char *price,
         const char *qty)
{
    vb_exec_order_t order = {.client_order_id = id,
                             .symbol = "BTC-USDT",
                             .side = side,
                             .type = type,
                             .tif = VB_EXEC_GTC};
    if (price)
        cr_assert_eq (vb_decimal_parse (price, strlen (price), &order.price), 0);
    cr_assert_eq (vb_decimal_parse (qty, strlen (qty), &order.qty), 0);
    return order;
}

static void
s_load_instruments (vb_exec_t *adapter, s_record_t *record)
{
    vb_exec_sink_t sink = s_sink (record);
    vb_exec_request_t request;
    vb_exec_result_t result;
    cr_assert_eq (OPS->instruments (adapter, &request), 0);
    s_exchange (adapter, &request, record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    //  exchangeInfo weighs 20 (venues.md 1.4); the sim counts it in the usage header
    cr_assert_eq (record->weight_used, 20);
}

//  Free balance of one asset.
static vb_decimal_t
s_balance (vb_exec_t *adapter, s_record_t *record, const char *asset)
{
    vb_exec_sink_t sink = s_sink (record);
    vb_exec_request_t request;
    vb_exec_result_t result;
    cr_assert_eq (OPS->balances (adapter, s_now_ms (), &request), 0);
    s_exchange (adapter, &request, record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    for (size_t i = 0; i < record->balance_count; i++)
        if (strcmp (record->assets[i], asset) == 0)
            return record->free_amount[i];
    cr_assert_fail ("no %s balance", asset);
    return (vb_decimal_t){0, 0};
}

//  --------------------------------------------------------------------------

Test (exec_binance, places_queries_lists_cancels_and_fills_against_the_sim)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    vb_exec_t *adapter = s_adapter (&sim, API_SECRET);
    s_record_t record = {0};
    s_load_instruments (adapter, &record);
    vb_exec_request_t request;
    vb_exec_result_t result;

    //  A resting limit buy far below the market (it starts at 65,000)
    vb_exec_order_t order = s_order ("vbExecT1", VB_EXEC_BUY, VB_EXEC_LIMIT, "30000.5", "0.001");
    cr_assert_eq (OPS->place (adapter, &order, s_now_ms (), &request, &result), 0, "%s",
                  result.venue_text);
    vb_exec_sink_t sink = s_sink (&record);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    cr_assert_eq (result.report.state, VB_EXEC_STATE_NEW);
    cr_assert_str_eq (result.report.client_order_id, "vbExecT1");
    cr_assert_str_eq (result.report.symbol, "BTC-USDT");
    char text[64];
    cr_assert_gt (vb_decimal_format (result.report.price, text, sizeof text), 0);
    cr_assert_str_eq (text, "30000.50000000");
    cr_assert_eq (record.fill_count, 0);
    char venue_id[VB_EXEC_ID_MAX];
    snprintf (venue_id, sizeof venue_id, "%s", result.report.venue_order_id);

    //  Query by client order id
    cr_assert_eq (OPS->query (adapter, "BTC-USDT", "vbExecT1", s_now_ms (), &request), 0);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    cr_assert_eq (result.report.state, VB_EXEC_STATE_NEW);
    cr_assert_str_eq (result.report.venue_order_id, venue_id);

    //  Open orders list it
    sink = s_sink (&record);
    cr_assert_eq (OPS->open_orders (adapter, "BTC-USDT", s_now_ms (), &request), 0);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK);
    cr_assert_eq (record.order_count, 1);
    cr_assert_str_eq (record.orders[0].client_order_id, "vbExecT1");
    cr_assert_eq (record.orders[0].state, VB_EXEC_STATE_NEW);

    //  Cancel: the report names the order, not the cancel
    cr_assert_eq (OPS->cancel (adapter, "BTC-USDT", "vbExecT1", s_now_ms (), &request), 0);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    cr_assert_eq (result.report.state, VB_EXEC_STATE_CANCELED);
    cr_assert_str_eq (result.report.client_order_id, "vbExecT1");
    //  A second cancel: the venue no longer knows it as open
    cr_assert_eq (OPS->cancel (adapter, "BTC-USDT", "vbExecT1", s_now_ms (), &request), 0);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_NOT_FOUND, "%s %s", result.venue_code, result.venue_text);
    cr_assert_str_eq (result.venue_code, "-2011");

    //  A marketable order fills, with the venue's trade ids, and moves balances
    vb_decimal_t btc_before = s_balance (adapter, &record, "BTC");
    vb_decimal_t usdt_before = s_balance (adapter, &record, "USDT");
    order = s_order ("vbExecT2", VB_EXEC_BUY, VB_EXEC_MARKET, NULL, "0.001");
    cr_assert_eq (OPS->place (adapter, &order, s_now_ms (), &request, &result), 0);
    sink = s_sink (&record);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    cr_assert_eq (result.report.state, VB_EXEC_STATE_FILLED);
    cr_assert_gt (record.fill_count, 0);
    vb_decimal_t total = {0, 0};
    for (size_t i = 0; i < record.fill_count; i++) {
        cr_assert_str_eq (record.fills[i].client_order_id, "vbExecT2");
        cr_assert_neq (record.fills[i].trade_id[0], 0);
        cr_assert_eq (vb_decimal_add (total, record.fills[i].qty, &total), 0);
    }
    cr_assert_eq (vb_decimal_cmp (total, result.report.filled_qty), 0);
    vb_decimal_t expected_qty = {1, -3};
    cr_assert_eq (vb_decimal_cmp (total, expected_qty), 0);
    //  The same fills through myTrades, keyed by the same trade ids
    char first_trade[VB_EXEC_ID_MAX];
    snprintf (first_trade, sizeof first_trade, "%s", record.fills[0].trade_id);
    sink = s_sink (&record);
    cr_assert_eq (OPS->fills (adapter, "BTC-USDT", s_now_ms () - 60000, s_now_ms (), &request), 0);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    bool found = false;
    for (size_t i = 0; i < record.fill_count; i++)
        found |= strcmp (record.fills[i].trade_id, first_trade) == 0;
    cr_assert (found);
    cr_assert_gt (vb_decimal_cmp (s_balance (adapter, &record, "BTC"), btc_before), 0);
    cr_assert_lt (vb_decimal_cmp (s_balance (adapter, &record, "USDT"), usdt_before), 0);

    //  Cancel all with nothing open is not an error
    cr_assert_eq (OPS->cancel_all (adapter, "BTC-USDT", s_now_ms (), &request), 0);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);

    //  The venue's own filters agree with the local ones: a bad tick never leaves
    order = s_order ("vbExecT3", VB_EXEC_BUY, VB_EXEC_LIMIT, "30000.001", "0.001");
    cr_assert_eq (OPS->place (adapter, &order, s_now_ms (), &request, &result), VB_EINVAL);
    cr_assert_eq (result.reason, VB_EXEC_REASON_INVALID_PRICE);
    //  A business rejection from the venue: more BTC than the demo account holds (10)
    order = s_order ("vbExecT4", VB_EXEC_SELL, VB_EXEC_LIMIT, "90000", "50");
    cr_assert_eq (OPS->place (adapter, &order, s_now_ms (), &request, &result), 0, "%s",
                  result.venue_text);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_REJECTED, "%s %s", result.venue_code, result.venue_text);
    cr_assert_eq (result.reason, VB_EXEC_REASON_INSUFFICIENT_BALANCE);
    cr_assert_str_eq (result.venue_code, "-2010");
    OPS->destroy (&adapter);
    s_stop (&sim);
}

Test (exec_binance, reads_key_permissions_and_refuses_a_bad_secret)
{
    static const struct {
        const char *permissions;
        bool can_trade;
        bool can_withdraw;
    } rows[] = {{"read,trade", true, false}, {"read,trade,withdraw", true, true}};
    for (size_t i = 0; i < 2; i++) {
        s_sim_t sim;
        s_start (&sim, rows[i].permissions);
        vb_exec_t *adapter = s_adapter (&sim, API_SECRET);
        s_record_t record = {0};
        vb_exec_sink_t sink = s_sink (&record);
        vb_exec_request_t request;
        vb_exec_result_t result;
        cr_assert_eq (OPS->key_permissions (adapter, s_now_ms (), &request), 0);
        s_exchange (adapter, &request, &record, &sink, &result);
        cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
        cr_assert_eq (record.permission_count, 1);
        cr_assert (record.permissions.can_read);
        cr_assert_eq (record.permissions.can_trade, rows[i].can_trade);
        cr_assert_eq (record.permissions.can_withdraw, rows[i].can_withdraw);
        cr_assert (record.permissions.ip_restricted);  //  The default whitelist
        OPS->destroy (&adapter);

        //  The right key with a wrong secret
        adapter = s_adapter (&sim, "notTheSecret0123456789");
        cr_assert_eq (OPS->balances (adapter, s_now_ms (), &request), 0);
        s_exchange (adapter, &request, &record, &sink, &result);
        cr_assert_eq (result.outcome, VB_EXEC_AUTH, "%s %s", result.venue_code, result.venue_text);
        cr_assert_str_eq (result.venue_code, "-1022");
        OPS->destroy (&adapter);
        s_stop (&sim);
    }
}

Test (exec_binance, follows_orders_on_the_private_stream)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    vb_exec_t *adapter = s_adapter (&sim, API_SECRET);
    s_record_t record = {0};
    s_load_instruments (adapter, &record);
    char url[256];
    cr_assert_eq (OPS->stream_url (adapter, url, sizeof url), 0);
    char expected[256];
    snprintf (expected, sizeof expected, "ws://127.0.0.1:%d/ws-api/v3", sim.port);
    cr_assert_str_eq (url, expected);
    int status = 0;
    record.ws = vbt_ws_connect ("127.0.0.1", sim.port, strstr (url + strlen ("ws://"), "/"),
                                WAIT_MS, &status);
    cr_assert_not_null (record.ws, "upgrade status %d", status);
    vb_exec_sink_t sink = s_sink (&record);
    cr_assert_eq (OPS->stream_opened (adapter, s_now_ms (), &sink), 0);
    const char *text;
    size_t length;
    cr_assert_eq (vbt_ws_recv (record.ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert_eq (OPS->stream_frame (adapter, text, length, s_now_ms (), &sink), 0, "%s", text);

    //  A resting order, then a marketable one: NEW, then a TRADE with its fill
    vb_exec_request_t request;
    vb_exec_result_t result;
    vb_exec_order_t order = s_order ("vbStream1", VB_EXEC_BUY, VB_EXEC_LIMIT, "30000", "0.001");
    cr_assert_eq (OPS->place (adapter, &order, s_now_ms (), &request, &result), 0);
    s_record_t rest_record = {0};
    vb_exec_sink_t rest_sink = s_sink (&rest_record);
    s_exchange (adapter, &request, &rest_record, &rest_sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    order = s_order ("vbStream2", VB_EXEC_BUY, VB_EXEC_MARKET, NULL, "0.002");
    cr_assert_eq (OPS->place (adapter, &order, s_now_ms (), &request, &result), 0);
    s_exchange (adapter, &request, &rest_record, &rest_sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    cr_assert_eq (result.report.state, VB_EXEC_STATE_FILLED);
    size_t rest_fills = rest_record.fill_count;

    bool saw_new = false, saw_filled = false;
    //  ... and the balances that moved (outboundAccountPosition follows the reports)
    for (int frame = 0; frame < FRAMES_MAX && !(saw_new && saw_filled && record.balance_count);
         frame++) {
        cr_assert_eq (vbt_ws_recv (record.ws, WAIT_MS, &text, &length), VBT_WS_TEXT,
                      "stream ended; new %d filled %d", saw_new, saw_filled);
        cr_assert_eq (OPS->stream_frame (adapter, text, length, s_now_ms (), &sink), 0, "%s", text);
        for (size_t i = 0; i < record.order_count; i++) {
            saw_new |= strcmp (record.orders[i].client_order_id, "vbStream1") == 0 &&
                       record.orders[i].state == VB_EXEC_STATE_NEW;
            saw_filled |= strcmp (record.orders[i].client_order_id, "vbStream2") == 0 &&
                          record.orders[i].state == VB_EXEC_STATE_FILLED;
        }
    }
    cr_assert (saw_new);
    cr_assert (saw_filled);
    //  The stream's fills are the REST answer's fills: same trade ids
    size_t stream_fills = 0;
    for (size_t i = 0; i < record.fill_count; i++)
        if (strcmp (record.fills[i].client_order_id, "vbStream2") == 0) {
            bool same = false;
            for (size_t j = 0; j < rest_record.fill_count; j++)
                same |= strcmp (rest_record.fills[j].trade_id, record.fills[i].trade_id) == 0;
            cr_assert (same, "trade %s", record.fills[i].trade_id);
            stream_fills++;
        }
    cr_assert_eq (stream_fills, rest_fills);
    cr_assert_gt (record.balance_count, 0);
    vbt_ws_destroy (&record.ws);
    OPS->destroy (&adapter);
    s_stop (&sim);
}

Test (exec_binance, a_503_on_place_is_unknown_until_the_query_answers)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    vb_exec_t *adapter = s_adapter (&sim, API_SECRET);
    s_record_t record = {0};
    s_load_instruments (adapter, &record);
    char url[128];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/_sim/faults", sim.port);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("POST", url, NULL,
                                    "{\"fault\":\"http_status\",\"status\":503,\"count\":1}",
                                    HTTP_MS, &response),
                  0);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);

    vb_exec_request_t request;
    vb_exec_result_t result;
    vb_exec_order_t order = s_order ("vbFault1", VB_EXEC_BUY, VB_EXEC_LIMIT, "30000", "0.001");
    cr_assert_eq (OPS->place (adapter, &order, s_now_ms (), &request, &result), 0);
    vb_exec_sink_t sink = s_sink (&record);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_UNKNOWN, "%s %s", result.venue_code, result.venue_text);
    cr_assert_not (result.has_report);

    //  The venue's word: the order does not exist (the fault answered before the venue)
    cr_assert_eq (OPS->query (adapter, "BTC-USDT", "vbFault1", s_now_ms (), &request), 0);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_NOT_FOUND, "%s %s", result.venue_code, result.venue_text);
    cr_assert_str_eq (result.venue_code, "-2013");

    //  The same id placed again now reaches the venue, and the query finds it
    cr_assert_eq (OPS->place (adapter, &order, s_now_ms (), &request, &result), 0);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    cr_assert_eq (OPS->query (adapter, "BTC-USDT", "vbFault1", s_now_ms (), &request), 0);
    s_exchange (adapter, &request, &record, &sink, &result);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    cr_assert_eq (result.report.state, VB_EXEC_STATE_NEW);
    OPS->destroy (&adapter);
    s_stop (&sim);
}
