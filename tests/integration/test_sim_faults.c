/*  test_sim_faults.c — the faults of POST /_sim/faults, seen on the wire
    of the real binary with the real personalities (the echo personality of
    services/sim/tests/test_sim_server.c covers the core's mechanics).

    - clock_skew: Binance serverTime and Kraken unixtime move by the skew,
      and a request signed with the client's unskewed clock flips to -1021.
    - volatility: with the same seed, the synthetic flow's trade prices
      spread far wider with the walk's step raised.
    - http_status 418 / 503 on both venues: the venue's error body and
      Retry-After (README: ceil(ms / 1000)).
    - accept_timeout: no answer, yet the order exists when queried.
    - drop, duplicate and disconnect on Binance btcusdt@depth@100ms: a U/u
      gap, a repeated update id, a closed connection while another stream's
      connection stays open.
    Expected texts are the venues' (venues.md 1.7, 3.7); times are checked
    against the test's own clock.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vb_hmac.h"
#include "vb_json.h"
#include "vbt_http.h"
#include "vbt_proc.h"
#include "vbt_ws.h"

#define S_WAIT_MS 10000
#define S_HTTP_MS 10000
#define S_URL_MAX 4096
//  Binance keys are 64 characters
#define S_KEY      "vbFaultsKey0123456789abcdefABCDEF0123456789abcdefghijklmnopqrstuv"
#define S_SECRET   "vbFaultsSecret0123456789"
#define S_SKEW_MS  INT64_C (3600000)  //  One hour
#define S_MS_PER_S 1000
#define S_TRADES   150  //  Trades compared per run in the volatility test

typedef struct {
    vbt_proc_t *proc;
    int port;
} s_sim_t;

//  Start the sim; extra arguments (NULL-terminated) go after --seed 7.
static void
s_start (s_sim_t *self, const char *venue, const char *secret, char *const *extra)
{
    char secret_env[160];
    snprintf (secret_env, sizeof secret_env, "VB_SIM_API_SECRET=%s", secret);
    char *env[] = {"VB_SIM_API_KEY=" S_KEY, secret_env, NULL};
    char *argv[16] = {VB_SIM_BIN, "--venue", (char *)venue, "--port", "0", "--seed", "7"};
    size_t used = 7;
    for (size_t index = 0; extra && extra[index] && used < 15; index++)
        argv[used++] = extra[index];
    argv[used] = NULL;
    self->proc = vbt_proc_start (VB_SIM_BIN, argv, env);
    cr_assert_not_null (self->proc);
    char line[256], port[32];
    cr_assert_eq (vbt_proc_wait_line (self->proc, "ready ", S_WAIT_MS, line, sizeof line), 0,
                  "sim never said ready; stderr: %s", vbt_proc_stderr (self->proc));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    self->port = atoi (port);
}

static void
s_stop (s_sim_t *self)
{
    cr_assert_eq (vbt_proc_stop (&self->proc, S_WAIT_MS), 0);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * S_MS_PER_S + now.tv_nsec / 1000000;
}

static void
s_request (s_sim_t *self, const char *method, const char *path, const char *const *headers,
           const char *body, vbt_http_response_t *response)
{
    char url[S_URL_MAX];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", self->port, path);
    cr_assert_eq (vbt_http_request (method, url, headers, body, S_HTTP_MS, response), 0, "%s", url);
}

static void
s_fault (s_sim_t *self, const char *body)
{
    vbt_http_response_t response;
    s_request (self, "POST", "/_sim/faults", NULL, body, &response);
    cr_assert_eq (response.status, 200, "%s -> %s", body, response.body);
    vbt_http_response_free (&response);
}

//  An integer field of a JSON object.
static int64_t
s_int (const char *text, size_t length, const char *key)
{
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, field;
    int64_t value = 0;
    cr_assert_eq (vb_json_parse (json, text, length, &root), 0, "%s", text);
    cr_assert_eq (vb_json_find (&root, key, &field), 0, "%s in %s", key, text);
    cr_assert_eq (vb_json_int64 (&field, &value), 0, "%s in %s", key, text);
    vb_json_destroy (&json);
    return value;
}

//  Binance serverTime, checked to lie between the test's clock readings
//  around the request, shifted by skew_ms.
static void
s_binance_time_is (s_sim_t *sim, int64_t skew_ms)
{
    vbt_http_response_t response;
    int64_t before = s_now_ms ();
    s_request (sim, "GET", "/api/v3/time", NULL, NULL, &response);
    int64_t after = s_now_ms ();
    cr_assert_eq (response.status, 200, "%s", response.body);
    int64_t server = s_int (response.body, response.body_length, "serverTime");
    cr_assert (server >= before + skew_ms && server <= after + skew_ms,
               "serverTime %" PRId64 " not in [%" PRId64 ", %" PRId64 "] + %" PRId64, server,
               before, after, skew_ms);
    vbt_http_response_free (&response);
}

//  GET /api/v3/account signed with HMAC-SHA256 at `timestamp`.
static void
s_binance_signed (s_sim_t *sim, const char *method, const char *path, const char *params,
                  int64_t timestamp, vbt_http_response_t *response)
{
    char query[S_URL_MAX];
    snprintf (query, sizeof query, "%s%stimestamp=%" PRId64, params, *params ? "&" : "", timestamp);
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, S_SECRET, strlen (S_SECRET));
    char signature[VB_HEX_SIZE (VB_SHA256_SIZE)];
    cr_assert_eq (vb_hmac_sign_hex (signer, query, strlen (query), signature, sizeof signature),
                  64);
    vb_hmac_destroy (&signer);
    char url[2 * S_URL_MAX];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s?%s&signature=%s", sim->port, path, query,
              signature);
    const char *headers[] = {"X-MBX-APIKEY: " S_KEY, NULL};
    int rc = vbt_http_request (method, url, headers, NULL, S_HTTP_MS, response);
    if (rc != 0)
        memset (response, 0, sizeof *response);
}

//  --------------------------------------------------------------------------
//  clock_skew

Test (sim_faults, clock_skew_moves_binance_time_and_flips_the_timestamp_check)
{
    s_sim_t sim;
    s_start (&sim, "binance", S_SECRET, NULL);
    s_binance_time_is (&sim, 0);
    vbt_http_response_t response;
    s_binance_signed (&sim, "GET", "/api/v3/account", "", s_now_ms (), &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);

    //  The venue's clock an hour ahead: a request stamped with the client's
    //  clock is an hour old (recvWindow 5000); one stamped +1 h is fine.
    s_fault (&sim, "{\"fault\":\"clock_skew\",\"ms\":3600000}");
    s_binance_time_is (&sim, S_SKEW_MS);
    s_binance_signed (&sim, "GET", "/api/v3/account", "", s_now_ms (), &response);
    cr_assert_eq (response.status, 400, "%s", response.body);
    cr_assert_str_eq (response.body, "{\"code\":-1021,\"msg\":\"Timestamp for this request is "
                                     "outside of the recvWindow.\"}");
    vbt_http_response_free (&response);
    s_binance_signed (&sim, "GET", "/api/v3/account", "", s_now_ms () + S_SKEW_MS, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    //  The stream's event times move too
    vbt_ws_t *ws =
        vbt_ws_connect ("127.0.0.1", sim.port, "/ws/btcusdt@depth@100ms", S_WAIT_MS, NULL);
    cr_assert_not_null (ws);
    const char *text;
    size_t length;
    int64_t before = s_now_ms ();
    cr_assert_eq (vbt_ws_recv (ws, S_WAIT_MS, &text, &length), VBT_WS_TEXT);
    int64_t after = s_now_ms ();
    int64_t event = s_int (text, length, "E");
    //  The batch was cut at most one 100 ms tick before it arrived
    cr_assert (event >= before + S_SKEW_MS - 100 && event <= after + S_SKEW_MS, "E %" PRId64,
               event);
    vbt_ws_destroy (&ws);

    //  A second skew replaces the first: an hour behind, so the client's
    //  clock is ahead of the server's
    s_fault (&sim, "{\"fault\":\"clock_skew\",\"ms\":-3600000}");
    s_binance_time_is (&sim, -S_SKEW_MS);
    s_binance_signed (&sim, "GET", "/api/v3/account", "", s_now_ms (), &response);
    cr_assert_eq (response.status, 400, "%s", response.body);
    cr_assert_str_eq (response.body, "{\"code\":-1021,\"msg\":\"Timestamp for this request was "
                                     "1000ms ahead of the server's time.\"}");
    vbt_http_response_free (&response);

    //  Cleared: back to the true time
    s_request (&sim, "DELETE", "/_sim/faults", NULL, NULL, &response);
    cr_assert_eq (response.status, 200);
    vbt_http_response_free (&response);
    s_binance_time_is (&sim, 0);
    s_binance_signed (&sim, "GET", "/api/v3/account", "", s_now_ms (), &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    s_stop (&sim);
}

//  Kraken Time: unixtime in whole seconds.
static void
s_kraken_time_is (s_sim_t *sim, int64_t skew_ms)
{
    vbt_http_response_t response;
    int64_t before = s_now_ms ();
    s_request (sim, "GET", "/0/public/Time", NULL, NULL, &response);
    int64_t after = s_now_ms ();
    cr_assert_eq (response.status, 200, "%s", response.body);
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, result, field;
    int64_t unixtime;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    cr_assert_eq (vb_json_find (&root, "result", &result), 0, "%s", response.body);
    cr_assert_eq (vb_json_find (&result, "unixtime", &field), 0);
    cr_assert_eq (vb_json_int64 (&field, &unixtime), 0);
    vb_json_destroy (&json);
    cr_assert (unixtime >= (before + skew_ms) / S_MS_PER_S &&
                   unixtime <= (after + skew_ms) / S_MS_PER_S,
               "unixtime %" PRId64 " for skew %" PRId64, unixtime, skew_ms);
    vbt_http_response_free (&response);
}

Test (sim_faults, clock_skew_moves_kraken_time)
{
    s_sim_t sim;
    //  base64 of 64 zero bytes: a well-formed Kraken secret
    s_start (
        &sim, "kraken",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        NULL);
    s_kraken_time_is (&sim, 0);
    s_fault (&sim, "{\"fault\":\"clock_skew\",\"ms\":-3600000}");
    s_kraken_time_is (&sim, -S_SKEW_MS);
    s_fault (&sim, "{\"fault\":\"clear\"}");
    s_kraken_time_is (&sim, 0);
    s_stop (&sim);
}

//  --------------------------------------------------------------------------
//  volatility

//  A price string with 8 decimals ("65000.12000000") as an integer of 10^-8.
static int64_t
s_price_e8 (const char *text, size_t length)
{
    int64_t value = 0;
    int decimals = -1;
    for (size_t index = 0; index < length; index++) {
        if (text[index] == '.') {
            decimals = 0;
            continue;
        }
        cr_assert (text[index] >= '0' && text[index] <= '9', "%.*s", (int)length, text);
        value = value * 10 + (text[index] - '0');
        if (decimals >= 0)
            decimals++;
    }
    cr_assert_eq (decimals, 8, "%.*s", (int)length, text);
    return value;
}

//  Run a sim with seed 7 at a brisk flow rate, optionally raise volatility
//  by `factor`, then return the range (max - min) of the prices of the
//  next S_TRADES trades printed after the fault was in place. The flow
//  prints trades all the time (hundreds a second at this rate; the engine
//  test calm_flow_keeps_trading_over_a_long_run checks every second of a
//  minute), so S_WAIT_MS without one means a dead market, not a slow
//  machine. (Before that fix a calm market could go quiet for good after a
//  few seconds of flow, which a test delayed by a loaded machine reached.)
static int64_t
s_trade_range (int factor)
{
    s_sim_t sim;
    char *extra[] = {"--rate", "2000", NULL};
    s_start (&sim, "binance", S_SECRET, extra);
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim.port, "/ws/btcusdt@trade", S_WAIT_MS, NULL);
    cr_assert_not_null (ws);
    if (factor > 1) {
        char body[128];
        snprintf (body, sizeof body, "{\"fault\":\"volatility\",\"count\":%d}", factor);
        s_fault (&sim, body);
    }
    //  Trades with a higher id than the newest one now were printed with the
    //  fault in place
    vbt_http_response_t response;
    s_request (&sim, "GET", "/api/v3/trades?symbol=BTCUSDT&limit=1", NULL, NULL, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    int64_t last = 0;
    const char *at = strstr (response.body, "\"id\":");
    if (at)
        last = strtoll (at + 5, NULL, 10);
    vbt_http_response_free (&response);
    vb_json_t *json = vb_json_new ();
    int64_t low = INT64_MAX, high = 0;
    int seen = 0;
    while (seen < S_TRADES) {
        const char *text;
        size_t length;
        int kind = vbt_ws_recv (ws, S_WAIT_MS, &text, &length);
        cr_assert_eq (
            kind, VBT_WS_TEXT,
            "trade %d of %d (factor %d) never came: vbt_ws_recv returned %d; sim stderr: %s",
            seen + 1, S_TRADES, factor, kind, vbt_proc_stderr (sim.proc));
        vb_json_val_t root, field;
        int64_t id;
        const char *price;
        size_t price_length;
        cr_assert_eq (vb_json_parse (json, text, length, &root), 0);
        cr_assert_eq (vb_json_find (&root, "t", &field), 0, "%s", text);
        cr_assert_eq (vb_json_int64 (&field, &id), 0);
        if (id <= last)
            continue;
        cr_assert_eq (vb_json_find (&root, "p", &field), 0, "%s", text);
        cr_assert_eq (vb_json_string (&field, &price, &price_length), 0);
        int64_t value = s_price_e8 (price, price_length);
        low = value < low ? value : low;
        high = value > high ? value : high;
        seen++;
    }
    vb_json_destroy (&json);
    vbt_ws_destroy (&ws);
    s_stop (&sim);
    return high - low;
}

Test (sim_faults, volatility_widens_the_synthetic_price_walk)
{
    //  The walk moves the mid by one tick (0.01) per step, and by `count`
    //  ticks under the fault. Without it, trades stay near a slowly walking
    //  mid (makers rest within 40 ticks of it); with a 200-fold step the mid
    //  moves two USDT per step, so the same number of trades spans many
    //  times the calm range. Both runs use seed 7.
    int64_t calm = s_trade_range (1);
    int64_t wild = s_trade_range (200);
    cr_assert_gt (calm, 0, "no price movement at all");
    cr_assert_gt (wild, 10 * calm, "calm range %" PRId64 ", volatile range %" PRId64 " (1e-8)",
                  calm, wild);
}

//  --------------------------------------------------------------------------
//  http_status: the venue's body and Retry-After

Test (sim_faults, http_status_418_and_503_answer_in_binance_shape)
{
    s_sim_t sim;
    s_start (&sim, "binance", S_SECRET, NULL);
    s_fault (&sim, "{\"fault\":\"http_status\",\"status\":418,\"count\":2,\"ms\":5000}");
    for (int index = 0; index < 2; index++) {
        vbt_http_response_t response;
        int64_t before = s_now_ms ();
        s_request (&sim, "GET", "/api/v3/ping", NULL, NULL, &response);
        int64_t after = s_now_ms ();
        cr_assert_eq (response.status, 418, "%s", response.body);
        char retry[32];
        cr_assert_eq (vbt_http_header (&response, "Retry-After", retry, sizeof retry), 0);
        cr_assert_str_eq (retry, "5");  //  5000 ms
        const char *prefix =
            "{\"code\":-1003,\"msg\":\"Way too much request weight used; IP banned until ";
        cr_assert (strncmp (response.body, prefix, strlen (prefix)) == 0, "%s", response.body);
        char *end = NULL;
        int64_t until = strtoll (response.body + strlen (prefix), &end, 10);
        cr_assert_str_eq (end, ". Please use WebSocket Streams for live updates to avoid bans.\"}");
        //  The ban ends when Retry-After says
        cr_assert (until >= before + 5000 && until <= after + 5000, "until %" PRId64, until);
        vbt_http_response_free (&response);
    }
    vbt_http_response_t response;
    s_request (&sim, "GET", "/api/v3/ping", NULL, NULL, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    //  503: status unknown, -1008, with the default Retry-After of 1 s
    s_fault (&sim, "{\"fault\":\"http_status\",\"status\":503}");
    s_request (&sim, "GET", "/api/v3/ping", NULL, NULL, &response);
    cr_assert_eq (response.status, 503, "%s", response.body);
    cr_assert (strncmp (response.body, "{\"code\":-1008,\"msg\":\"", 21) == 0, "%s", response.body);
    char retry[32];
    cr_assert_eq (vbt_http_header (&response, "Retry-After", retry, sizeof retry), 0);
    cr_assert_str_eq (retry, "1");
    vbt_http_response_free (&response);
    s_stop (&sim);
}

Test (sim_faults, http_status_answers_in_kraken_shape)
{
    s_sim_t sim;
    s_start (
        &sim, "kraken",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        NULL);
    s_fault (&sim, "{\"fault\":\"http_status\",\"status\":429,\"ms\":2500}");
    vbt_http_response_t response;
    s_request (&sim, "GET", "/0/public/Time", NULL, NULL, &response);
    cr_assert_eq (response.status, 429);
    cr_assert_str_eq (response.body, "{\"error\":[\"EAPI:Rate limit exceeded\"]}");
    char retry[32];
    cr_assert_eq (vbt_http_header (&response, "Retry-After", retry, sizeof retry), 0);
    cr_assert_str_eq (retry, "3");  //  2500 ms rounded up
    vbt_http_response_free (&response);
    s_fault (&sim, "{\"fault\":\"http_status\",\"status\":503}");
    s_request (&sim, "GET", "/0/public/Time", NULL, NULL, &response);
    cr_assert_eq (response.status, 503);
    cr_assert_str_eq (response.body, "{\"error\":[\"EService:Unavailable\"]}");
    vbt_http_response_free (&response);
    s_stop (&sim);
}

//  --------------------------------------------------------------------------
//  accept_timeout: the order executes though its answer never comes

Test (sim_faults, accept_timeout_places_the_binance_order_without_answering)
{
    s_sim_t sim;
    s_start (&sim, "binance", S_SECRET, NULL);
    s_fault (&sim, "{\"fault\":\"accept_timeout\",\"ms\":200}");
    //  A request that places nothing is answered
    vbt_http_response_t response;
    s_request (&sim, "GET", "/api/v3/ping", NULL, NULL, &response);
    cr_assert_eq (response.status, 200);
    vbt_http_response_free (&response);
    //  1000.00 x 0.01 = 10 USDT, far below the market: rests as NEW
    s_binance_signed (&sim, "POST", "/api/v3/order",
                      "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price="
                      "1000.00&newClientOrderId=acceptTimeout1",
                      s_now_ms (), &response);
    cr_assert_eq (response.status, 0, "answered %ld: %s", response.status, response.body);
    //  ... and yet it is there, as the venue's docs tell a client to check
    s_binance_signed (&sim, "GET", "/api/v3/order",
                      "symbol=BTCUSDT&origClientOrderId=acceptTimeout1", s_now_ms (), &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"clientOrderId\":\"acceptTimeout1\""), "%s", response.body);
    cr_assert (strstr (response.body, "\"status\":\"NEW\""), "%s", response.body);
    vbt_http_response_free (&response);
    //  The count was one: the next order is answered
    s_binance_signed (&sim, "POST", "/api/v3/order",
                      "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price="
                      "1000.00&newClientOrderId=acceptTimeout2",
                      s_now_ms (), &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    s_stop (&sim);
}

//  --------------------------------------------------------------------------
//  Stream faults on a real personality stream

static const char *
s_recv (vbt_ws_t *ws, size_t *length)
{
    const char *text;
    int rc = vbt_ws_recv (ws, S_WAIT_MS, &text, length);
    cr_assert_eq (rc, VBT_WS_TEXT, "rc %d", rc);
    return text;
}

Test (sim_faults, drop_on_binance_depth_leaves_a_u_gap)
{
    s_sim_t sim;
    s_start (&sim, "binance", S_SECRET, NULL);
    vbt_ws_t *ws =
        vbt_ws_connect ("127.0.0.1", sim.port, "/ws/btcusdt@depth@100ms", S_WAIT_MS, NULL);
    cr_assert_not_null (ws);
    size_t length;
    const char *text = s_recv (ws, &length);
    int64_t previous = s_int (text, length, "u");
    //  Unfaulted, each diff starts where the last ended (venues.md 1.3)
    for (int index = 0; index < 3; index++) {
        text = s_recv (ws, &length);
        cr_assert_eq (s_int (text, length, "U"), previous + 1, "%s", text);
        previous = s_int (text, length, "u");
    }
    s_fault (&sim, "{\"fault\":\"drop\",\"stream\":\"btcusdt@depth@100ms\",\"count\":2}");
    //  Frames in flight arrive chained; then exactly one jump, then chained
    //  again: the two dropped diffs each covered at least one id
    int gaps = 0;
    int64_t gap_size = 0;
    for (int index = 0; index < 20; index++) {
        text = s_recv (ws, &length);
        int64_t first = s_int (text, length, "U");
        if (first != previous + 1) {
            gaps++;
            gap_size = first - previous - 1;
        }
        previous = s_int (text, length, "u");
    }
    cr_assert_eq (gaps, 1);
    cr_assert_geq (gap_size, 2, "two whole diffs are missing");
    vbt_ws_destroy (&ws);
    s_stop (&sim);
}

Test (sim_faults, duplicate_on_binance_depth_repeats_an_update)
{
    s_sim_t sim;
    s_start (&sim, "binance", S_SECRET, NULL);
    vbt_ws_t *ws =
        vbt_ws_connect ("127.0.0.1", sim.port, "/ws/btcusdt@depth@100ms", S_WAIT_MS, NULL);
    cr_assert_not_null (ws);
    size_t length;
    const char *text = s_recv (ws, &length);
    s_fault (&sim, "{\"fault\":\"duplicate\",\"stream\":\"btcusdt@depth@100ms\",\"count\":1}");
    char *last = strdup (text);
    int repeats = 0;
    for (int index = 0; index < 20; index++) {
        text = s_recv (ws, &length);
        if (strcmp (text, last) == 0)
            repeats++;  //  Same bytes, same U/u: a client's u <= lastUpdateId check drops it
        free (last);
        last = strdup (text);
    }
    free (last);
    cr_assert_eq (repeats, 1);
    vbt_ws_destroy (&ws);
    s_stop (&sim);
}

Test (sim_faults, disconnect_closes_only_the_connections_of_the_stream)
{
    s_sim_t sim;
    s_start (&sim, "binance", S_SECRET, NULL);
    vbt_ws_t *btc =
        vbt_ws_connect ("127.0.0.1", sim.port, "/ws/btcusdt@depth@100ms", S_WAIT_MS, NULL);
    vbt_ws_t *eth =
        vbt_ws_connect ("127.0.0.1", sim.port, "/ws/ethusdt@depth@100ms", S_WAIT_MS, NULL);
    cr_assert_not_null (btc);
    cr_assert_not_null (eth);
    size_t length;
    s_recv (btc, &length);  //  Both have carried their stream
    s_recv (eth, &length);
    s_fault (&sim, "{\"fault\":\"disconnect\",\"stream\":\"btcusdt@depth@100ms\"}");
    const char *text;
    int rc = VBT_WS_TEXT;
    for (int round = 0; round < 100 && rc == VBT_WS_TEXT; round++)
        rc = vbt_ws_recv (btc, S_WAIT_MS, &text, &length);
    cr_assert_eq (rc, VBT_WS_CLOSED);
    cr_assert_eq (vbt_ws_close_status (btc), 1000);  //  A normal close
    //  The other stream goes on
    for (int index = 0; index < 3; index++) {
        text = s_recv (eth, &length);
        cr_assert (strncmp (text, "{\"e\":\"depthUpdate\"", 18) == 0, "%s", text);
        cr_assert (strstr (text, "\"s\":\"ETHUSDT\""), "%s", text);
    }
    //  "*" closes every connection
    s_fault (&sim, "{\"fault\":\"disconnect\"}");
    rc = VBT_WS_TEXT;
    for (int round = 0; round < 100 && rc == VBT_WS_TEXT; round++)
        rc = vbt_ws_recv (eth, S_WAIT_MS, &text, &length);
    cr_assert_eq (rc, VBT_WS_CLOSED);
    vbt_ws_destroy (&btc);
    vbt_ws_destroy (&eth);
    s_stop (&sim);
}
