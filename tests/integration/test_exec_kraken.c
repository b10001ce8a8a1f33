/*  test_exec_kraken.c — the Kraken execution adapter against the real
    simulator (venuebus-sim --venue kraken): every request the adapter
    builds is sent as is over HTTP (vbt_http) or WebSocket (vbt_ws), and
    every answer goes back through the adapter's parse / stream_frame.
    Links vb_venues_exec (tests/CMakeLists.txt). Waiting is on answers and
    frames with timeouts, never a sleep.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vb_error.h"
#include "vb_exec.h"
#include "vb_hmac.h"
#include "vbt_http.h"
#include "vbt_proc.h"
#include "vbt_ws.h"

#define S_KEY        "vbt-kexec-key"
#define S_TIMEOUT_MS 10000
#define S_HTTP_MS    5000
#define S_MAX        64

//  A running sim and an adapter pointed at it.
typedef struct {
    vbt_proc_t *proc;
    int port;
    char secret[VB_BASE64_SIZE (64)];
    char rest_url[64];
    vb_exec_t *exec;
    const vb_exec_ops_t *ops;
} s_sim_t;

//  What the sink saw.
typedef struct {
    vb_exec_report_t orders[S_MAX];
    size_t order_count;
    vb_exec_fill_t fills[S_MAX];
    size_t fill_count;
    char assets[S_MAX][16];
    size_t balance_count;
    vb_exec_permissions_t permissions;
    size_t permission_count;
    vbt_ws_t *ws;
    vb_exec_request_t request;
    size_t request_count;
} s_seen_t;

static void
s_order (void *ctx, const vb_exec_report_t *report)
{
    s_seen_t *seen = (s_seen_t *)ctx;
    if (seen->order_count < S_MAX)
        seen->orders[seen->order_count++] = *report;
}

static void
s_fill (void *ctx, const vb_exec_fill_t *fill)
{
    s_seen_t *seen = (s_seen_t *)ctx;
    if (seen->fill_count < S_MAX)
        seen->fills[seen->fill_count++] = *fill;
}

static void
s_balance (void *ctx, const char *asset, vb_decimal_t free_amount, vb_decimal_t locked)
{
    (void)free_amount;
    (void)locked;
    s_seen_t *seen = (s_seen_t *)ctx;
    if (seen->balance_count < S_MAX)
        snprintf (seen->assets[seen->balance_count++], 16, "%s", asset);
}

static void
s_permissions (void *ctx, const vb_exec_permissions_t *permissions)
{
    s_seen_t *seen = (s_seen_t *)ctx;
    seen->permissions = *permissions;
    seen->permission_count++;
}

static int
s_send_frame (void *ctx, const char *text, size_t length)
{
    s_seen_t *seen = (s_seen_t *)ctx;
    return seen->ws && vbt_ws_send_text (seen->ws, text, length) == 0 ? 0 : -1;
}

static int
s_request (void *ctx, const vb_exec_request_t *request)
{
    s_seen_t *seen = (s_seen_t *)ctx;
    seen->request = *request;
    seen->request_count++;
    return 0;
}

static vb_exec_sink_t
s_sink (s_seen_t *seen)
{
    vbt_ws_t *ws = seen->ws;
    memset (seen, 0, sizeof (*seen));
    seen->ws = ws;
    vb_exec_sink_t sink = {seen,          s_order,      s_fill,   s_balance,
                           s_permissions, s_send_frame, s_request};
    return sink;
}

//  --------------------------------------------------------------------------
//  Start the sim with a fresh random secret, and an adapter with `secret`
//  (NULL: the sim's own).

static void
s_random_secret (char *out, size_t size)
{
    uint8_t raw[64];
    FILE *random = fopen ("/dev/urandom", "rb");
    cr_assert_not_null (random);
    cr_assert_eq (fread (raw, 1, sizeof (raw), random), sizeof (raw));
    fclose (random);
    cr_assert_gt (vb_base64_encode (raw, sizeof (raw), out, size), 0);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
s_start (s_sim_t *sim, const char *permissions, const char *ips, const char *secret)
{
    memset (sim, 0, sizeof (*sim));
    s_random_secret (sim->secret, sizeof (sim->secret));
    char key_env[64], secret_env[160], perm_env[64], ips_env[64];
    snprintf (key_env, sizeof (key_env), "VB_SIM_API_KEY=%s", S_KEY);
    snprintf (secret_env, sizeof (secret_env), "VB_SIM_API_SECRET=%s", sim->secret);
    snprintf (perm_env, sizeof (perm_env), "VB_SIM_API_PERMISSIONS=%s", permissions);
    snprintf (ips_env, sizeof (ips_env), "VB_SIM_API_IPS=%s", ips);
    char *env[] = {key_env, secret_env, perm_env, ips_env, NULL};
    char *argv[] = {VB_SIM_BIN, "--venue", "kraken", "--port", "0", NULL};
    sim->proc = vbt_proc_start (VB_SIM_BIN, argv, env);
    cr_assert_not_null (sim->proc);
    char line[256], port[16];
    cr_assert_eq (vbt_proc_wait_line (sim->proc, "ready ", S_TIMEOUT_MS, line, sizeof (line)), 0,
                  "no ready line: %s", vbt_proc_stderr (sim->proc));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof (port)), 0);
    sim->port = atoi (port);
    snprintf (sim->rest_url, sizeof (sim->rest_url), "http://127.0.0.1:%d", sim->port);
    char ws_url[64];
    snprintf (ws_url, sizeof (ws_url), "ws://127.0.0.1:%d/v2", sim->port);
    sim->ops = vb_exec_venue_find ("kraken");
    cr_assert_not_null (sim->ops);
    vb_exec_config_t config = {0};
    config.account = "main";
    config.api_key = S_KEY;
    config.secret = secret ? secret : sim->secret;
    config.secret_length = strlen (config.secret);
    config.rest_url = sim->rest_url;
    config.ws_url = ws_url;
    char error[128];
    sim->exec = sim->ops->create (&config, error, sizeof (error));
    cr_assert_not_null (sim->exec, "%s", error);
}

static void
s_stop (s_sim_t *sim)
{
    sim->ops->destroy (&sim->exec);
    cr_assert_eq (vbt_proc_stop (&sim->proc, S_TIMEOUT_MS), 0);
}

//  --------------------------------------------------------------------------
//  Send a built request and parse the answer; returns parse's code.

static int
s_exchange (s_sim_t *sim, const vb_exec_request_t *request, s_seen_t *seen,
            vb_exec_result_t *result)
{
    const char *headers[VB_EXEC_HEADERS_MAX + 1];
    for (size_t index = 0; index < request->header_count; index++)
        headers[index] = request->headers[index];
    headers[request->header_count] = NULL;
    vbt_http_response_t response;
    int rc = vbt_http_request (request->method, request->url, headers,
                               request->body_length ? request->body : NULL, S_HTTP_MS, &response);
    vb_exec_sink_t sink = s_sink (seen);
    int parsed = sim->ops->parse (sim->exec, request, rc == 0 ? (int)response.status : 0, NULL, 0,
                                  response.body, response.body_length, &sink, result, NULL, NULL);
    vbt_http_response_free (&response);
    return parsed;
}

static vb_decimal_t
s_dec (const char *text)
{
    vb_decimal_t value;
    cr_assert_eq (vb_decimal_parse (text, strlen (text), &value), 0);
    return value;
}

static void
s_load_rules (s_sim_t *sim)
{
    vb_exec_request_t request;
    vb_exec_result_t result;
    s_seen_t seen;
    cr_assert_eq (sim->ops->instruments (sim->exec, &request), 0);
    cr_assert_eq (s_exchange (sim, &request, &seen, &result), 0);
    cr_assert_eq (result.outcome, VB_EXEC_OK);
}

static vb_exec_result_t
s_place (s_sim_t *sim, const char *id, vb_exec_side_t side, vb_exec_type_t type, const char *price,
         const char *qty)
{
    vb_exec_order_t order = {id,          "BTC-USD", side,          type,
                             VB_EXEC_GTC, false,     s_dec (price), s_dec (qty)};
    if (type == VB_EXEC_MARKET)
        order.tif = VB_EXEC_IOC;
    vb_exec_request_t request;
    vb_exec_result_t result;
    cr_assert_eq (sim->ops->place (sim->exec, &order, s_now_ms (), &request, &result), 0, "%s",
                  result.venue_text);
    s_seen_t seen;
    s_exchange (sim, &request, &seen, &result);
    return result;
}

static vb_exec_result_t
s_query (s_sim_t *sim, const char *id)
{
    vb_exec_request_t request;
    vb_exec_result_t result;
    s_seen_t seen;
    cr_assert_eq (sim->ops->query (sim->exec, "BTC-USD", id, s_now_ms (), &request), 0);
    cr_assert_eq (s_exchange (sim, &request, &seen, &result), 0);
    return result;
}

//  --------------------------------------------------------------------------

Test (exec_kraken, place_query_cancel_fill_and_balances_against_the_sim)
{
    s_sim_t sim;
    s_start (&sim, "read,trade", "", NULL);
    s_load_rules (&sim);
    //  AssetPairs rules are in force: a qty below ordermin never leaves.
    vb_exec_order_t tiny = {"t1",        "BTC-USD", VB_EXEC_BUY,     VB_EXEC_LIMIT,
                            VB_EXEC_GTC, false,     s_dec ("10000"), s_dec ("0.00000001")};
    vb_exec_request_t request;
    vb_exec_result_t result;
    s_seen_t seen;
    cr_assert_eq (sim.ops->place (sim.exec, &tiny, s_now_ms (), &request, &result), VB_EINVAL);
    cr_assert_eq (result.reason, VB_EXEC_REASON_INVALID_QTY);
    cr_assert (strstr (result.venue_text, "ordermin"), "%s", result.venue_text);

    //  A resting limit order: NEW, found by cl_ord_id and in open orders.
    result = s_place (&sim, "vbt-rest-1", VB_EXEC_BUY, VB_EXEC_LIMIT, "10000", "0.01");
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    cr_assert_eq (result.report.state, VB_EXEC_STATE_NEW);
    char txid[VB_EXEC_ID_MAX];
    snprintf (txid, sizeof (txid), "%s", result.report.venue_order_id);
    cr_assert (txid[0]);
    result = s_query (&sim, "vbt-rest-1");
    cr_assert_eq (result.outcome, VB_EXEC_OK);
    cr_assert_eq (result.report.state, VB_EXEC_STATE_NEW);
    cr_assert_str_eq (result.report.venue_order_id, txid);
    cr_assert_str_eq (result.report.symbol, "BTC-USD");
    cr_assert_eq (vb_decimal_cmp (result.report.price, s_dec ("10000")), 0);
    cr_assert_eq (sim.ops->open_orders (sim.exec, "BTC-USD", s_now_ms (), &request), 0);
    cr_assert_eq (s_exchange (&sim, &request, &seen, &result), 0);
    cr_assert_eq (seen.order_count, 1);
    cr_assert_str_eq (seen.orders[0].client_order_id, "vbt-rest-1");

    //  Cancel: CANCELED, and the venue agrees; a second cancel: NOT_FOUND.
    cr_assert_eq (sim.ops->cancel (sim.exec, "BTC-USD", "vbt-rest-1", s_now_ms (), &request), 0);
    cr_assert_eq (s_exchange (&sim, &request, &seen, &result), 0);
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s", result.venue_code);
    cr_assert_eq (result.report.state, VB_EXEC_STATE_CANCELED);
    cr_assert_eq (s_query (&sim, "vbt-rest-1").report.state, VB_EXEC_STATE_CANCELED);
    cr_assert_eq (sim.ops->cancel (sim.exec, "BTC-USD", "vbt-rest-1", s_now_ms (), &request), 0);
    cr_assert_eq (s_exchange (&sim, &request, &seen, &result), 0);
    cr_assert_eq (result.outcome, VB_EXEC_NOT_FOUND, "%s", result.venue_code);
    cr_assert_eq (s_query (&sim, "never-sent").outcome, VB_EXEC_NOT_FOUND);

    //  A marketable order: FILLED, with its fills in TradesHistory.
    result = s_place (&sim, "vbt-mkt-1", VB_EXEC_BUY, VB_EXEC_MARKET, "0", "0.001");
    cr_assert_eq (result.outcome, VB_EXEC_OK, "%s %s", result.venue_code, result.venue_text);
    snprintf (txid, sizeof (txid), "%s", result.report.venue_order_id);
    result = s_query (&sim, "vbt-mkt-1");
    cr_assert_eq (result.report.state, VB_EXEC_STATE_FILLED);
    cr_assert_eq (vb_decimal_cmp (result.report.filled_qty, s_dec ("0.001")), 0);
    cr_assert_eq (sim.ops->fills (sim.exec, "BTC-USD", s_now_ms () - 60000, s_now_ms (), &request),
                  0);
    cr_assert_eq (s_exchange (&sim, &request, &seen, &result), 0);
    cr_assert_eq (result.outcome, VB_EXEC_OK);
    cr_assert_geq (seen.fill_count, 1);
    vb_decimal_t total = {0, 0};
    for (size_t index = 0; index < seen.fill_count; index++) {
        cr_assert_str_eq (seen.fills[index].venue_order_id, txid);
        cr_assert_eq (seen.fills[index].side, VB_EXEC_BUY);
        cr_assert (seen.fills[index].trade_id[0]);
        cr_assert_eq (vb_decimal_add (total, seen.fills[index].qty, &total), 0);
    }
    cr_assert_eq (vb_decimal_cmp (total, s_dec ("0.001")), 0);

    //  Balances, normalised.
    cr_assert_eq (sim.ops->balances (sim.exec, s_now_ms (), &request), 0);
    cr_assert_eq (s_exchange (&sim, &request, &seen, &result), 0);
    cr_assert_eq (result.outcome, VB_EXEC_OK);
    bool btc = false, usd = false;
    for (size_t index = 0; index < seen.balance_count; index++) {
        btc |= strcmp (seen.assets[index], "BTC") == 0;
        usd |= strcmp (seen.assets[index], "USD") == 0;
    }
    cr_assert (btc && usd);
    s_stop (&sim);
}

Test (exec_kraken, key_permissions_and_bad_secret)
{
    s_sim_t sim;
    vb_exec_request_t request;
    vb_exec_result_t result;
    s_seen_t seen;
    s_start (&sim, "read,trade", "", NULL);
    cr_assert_eq (sim.ops->key_permissions (sim.exec, s_now_ms (), &request), 0);
    cr_assert_eq (s_exchange (&sim, &request, &seen, &result), 0);
    cr_assert_eq (result.outcome, VB_EXEC_OK);
    cr_assert_eq (seen.permission_count, 1);
    cr_assert (seen.permissions.can_read && seen.permissions.can_trade);
    cr_assert_not (seen.permissions.can_withdraw);
    cr_assert_not (seen.permissions.ip_restricted);
    s_stop (&sim);

    s_start (&sim, "read,trade,withdraw", "127.0.0.1", NULL);
    cr_assert_eq (sim.ops->key_permissions (sim.exec, s_now_ms (), &request), 0);
    cr_assert_eq (s_exchange (&sim, &request, &seen, &result), 0);
    cr_assert (seen.permissions.can_withdraw);
    cr_assert (seen.permissions.ip_restricted);
    s_stop (&sim);

    char other[VB_BASE64_SIZE (64)];
    s_random_secret (other, sizeof (other));
    s_start (&sim, "read,trade", "", other);
    cr_assert_eq (sim.ops->balances (sim.exec, s_now_ms (), &request), 0);
    cr_assert_eq (s_exchange (&sim, &request, &seen, &result), 0);
    cr_assert_eq (result.outcome, VB_EXEC_AUTH);
    cr_assert_str_eq (result.venue_code, "EAPI:Invalid signature");
    s_stop (&sim);
}

Test (exec_kraken, executions_stream_through_a_token)
{
    s_sim_t sim;
    s_start (&sim, "read,trade", "", NULL);
    s_load_rules (&sim);
    char url[128];
    cr_assert_eq (sim.ops->stream_url (sim.exec, url, sizeof (url)), 0);
    cr_assert (strstr (url, "/v2"));
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim.port, "/v2", S_TIMEOUT_MS, &status);
    cr_assert_not_null (ws, "status %d", status);
    s_seen_t seen = {0};
    seen.ws = ws;
    vb_exec_sink_t sink = s_sink (&seen);
    cr_assert_eq (sim.ops->stream_opened (sim.exec, s_now_ms (), &sink), 0);
    cr_assert_eq (seen.request_count, 1);
    vb_exec_request_t token_request = seen.request;
    vb_exec_result_t result;
    s_seen_t rest;
    cr_assert_eq (s_exchange (&sim, &token_request, &rest, &result), 0);
    cr_assert_eq (result.outcome, VB_EXEC_OK);
    sink = s_sink (&seen);
    cr_assert_eq (sim.ops->stream_token (sim.exec, NULL, &sink), 0);
    //  The ack and the (empty) snapshot parse cleanly.
    bool subscribed = false;
    const char *text;
    size_t length;
    while (!subscribed) {
        cr_assert_eq (vbt_ws_recv (ws, S_TIMEOUT_MS, &text, &length), VBT_WS_TEXT);
        int rc = sim.ops->stream_frame (sim.exec, text, length, s_now_ms (), &sink);
        cr_assert_eq (rc, 0, "%s", text);
        subscribed = strstr (text, "\"channel\":\"executions\"") != NULL;
    }
    //  A resting order shows up on the stream: pending_new then new.
    vb_exec_result_t placed =
        s_place (&sim, "vbt-ws-1", VB_EXEC_BUY, VB_EXEC_LIMIT, "10000", "0.01");
    cr_assert_eq (placed.outcome, VB_EXEC_OK);
    bool seen_new = false;
    while (!seen_new) {
        cr_assert_eq (vbt_ws_recv (ws, S_TIMEOUT_MS, &text, &length), VBT_WS_TEXT);
        cr_assert_eq (sim.ops->stream_frame (sim.exec, text, length, s_now_ms (), &sink), 0, "%s",
                      text);
        for (size_t index = 0; index < seen.order_count; index++)
            if (seen.orders[index].state == VB_EXEC_STATE_NEW) {
                cr_assert_str_eq (seen.orders[index].client_order_id, "vbt-ws-1");
                cr_assert_str_eq (seen.orders[index].venue_order_id, placed.report.venue_order_id);
                cr_assert_str_eq (seen.orders[index].symbol, "BTC-USD");
                cr_assert_eq (seen.orders[index].side, VB_EXEC_BUY);
                seen_new = true;
            }
    }
    //  A marketable order: a fill and FILLED arrive on the stream.
    placed = s_place (&sim, "vbt-ws-2", VB_EXEC_BUY, VB_EXEC_MARKET, "0", "0.001");
    cr_assert_eq (placed.outcome, VB_EXEC_OK);
    bool filled = false;
    size_t fills = 0;
    while (!filled) {
        cr_assert_eq (vbt_ws_recv (ws, S_TIMEOUT_MS, &text, &length), VBT_WS_TEXT);
        cr_assert_eq (sim.ops->stream_frame (sim.exec, text, length, s_now_ms (), &sink), 0, "%s",
                      text);
        fills = seen.fill_count;
        for (size_t index = 0; index < seen.order_count; index++)
            filled |= seen.orders[index].state == VB_EXEC_STATE_FILLED &&
                      strcmp (seen.orders[index].client_order_id, "vbt-ws-2") == 0;
    }
    cr_assert_geq (fills, 1);
    cr_assert_str_eq (seen.fills[0].venue_order_id, placed.report.venue_order_id);
    vbt_ws_destroy (&ws);
    s_stop (&sim);
}

Test (exec_kraken, a_503_on_add_order_is_unknown_and_query_tells_the_truth)
{
    s_sim_t sim;
    s_start (&sim, "read,trade", "", NULL);
    s_load_rules (&sim);
    char url[128];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/_sim/faults", sim.port);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("POST", url, NULL,
                                    "{\"fault\":\"http_status\",\"status\":503,\"count\":1}",
                                    S_HTTP_MS, &response),
                  0);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    vb_exec_result_t result =
        s_place (&sim, "vbt-503-1", VB_EXEC_BUY, VB_EXEC_LIMIT, "10000", "0.01");
    cr_assert_eq (result.outcome, VB_EXEC_UNKNOWN);
    cr_assert_str_eq (result.venue_code, "HTTP 503");
    //  The venue's word: the order either exists (NEW) or does not.
    vb_exec_result_t truth = s_query (&sim, "vbt-503-1");
    cr_assert (truth.outcome == VB_EXEC_NOT_FOUND ||
                   (truth.outcome == VB_EXEC_OK && truth.report.state == VB_EXEC_STATE_NEW),
               "outcome %d", truth.outcome);
    vb_exec_request_t request;
    s_seen_t seen;
    cr_assert_eq (sim.ops->open_orders (sim.exec, NULL, s_now_ms (), &request), 0);
    cr_assert_eq (s_exchange (&sim, &request, &seen, &result), 0);
    cr_assert_eq (seen.order_count, truth.outcome == VB_EXEC_OK ? 1u : 0u);
    s_stop (&sim);
}
