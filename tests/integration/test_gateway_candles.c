/*  test_gateway_candles.c — candles through the real gateway: history on
    the snapshot endpoint, backfill after a reconnect, and the venue's usage
    header reported to the grants router.

    venuebus-sim, venuebus-bus and venuebus-gateway run on loopback. The
    expected candles always come from the sim's own REST answer (klines or
    OHLC) for the same range, fetched here over plain HTTP: an independent
    path through the sim. Checks:
    - Binance: a range of more than 1000 one-second candles (the clock_skew
      fault moves the sim's engine 25 minutes ahead, and the sim fills
      intervals without trades from the previous close, as the venue does)
      asked with vb_sub_candles comes back complete, ordered and equal to
      the sim's klines, which takes two pages of 1000;
    - bad requests get an ERROR reply naming the problem;
    - Kraken: a range of closed 1m candles equals the sim's OHLC rows, and
      a range older than the 720 candles Kraken serves is refused;
    - after disconnect faults, closed candles the gateway missed arrive
      with backfilled = true, after a status reporting the reconnect, and
      together with the live ones they cover every kline the sim has for
      the outage;
    - with --grants, the gateway reports the sim's X-MBX-USED-WEIGHT-1M to
      the grants endpoint (a weight-0 GrantRequest with used_weight): at
      least the weight granted so far, and at most what the sim says later.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vb_error.h"
#include "vb_json.h"
#include "vb_msg.h"
#include "vb_sub.h"
#include "vbt_http.h"
#include "vbt_proc.h"

#define WAIT_MS       15000  //  Start-up bounds
#define HTTP_MS       5000   //  One REST call to the sim
#define HISTORY_MS    20000  //  One history request
#define ENDPOINT_MAX  256
#define EXPECTED_MAX  4096
#define SKEW_MS       1500000  //  25 minutes: 1500 one-second candles
#define SECOND_MS     1000
#define MINUTE_MS     60000
#define ATTEMPTS_MAX  20    //  Disconnect faults tried before giving up
#define ATTEMPT_MS    8000  //  Bus time given to each
#define PUBLISHED_MAX 100000

//  A running stack.
typedef struct {
    vbt_proc_t *sim, *bus, *gateway;
    char sim_url[ENDPOINT_MAX];   //  127.0.0.1:PORT
    char backend[ENDPOINT_MAX];   //  Bus XPUB
    char snapshot[ENDPOINT_MAX];  //  Gateway ROUTER
} s_stack_t;

//  A candle as the sim's REST API gave it.
typedef struct {
    int64_t open_ms;
    vb_decimal_t open, high, low, close, volume;
    uint64_t trades;
} s_expected_t;

//  --------------------------------------------------------------------------
//  Start sim and bus; then the gateway with `extra` arguments (NULL-ended).
//  wait_ready false: do not wait for the gateway's ready line.

static void
s_start (s_stack_t *stack, const char *venue, const char *symbol, const char *candles,
         const char *const *extra, bool wait_ready)
{
    memset (stack, 0, sizeof (*stack));
    char line[1024], port[32];
    char *sim_argv[] = {VB_SIM_BIN, "--venue", (char *)venue, "--port", "0", "--seed", "7", NULL};
    stack->sim = vbt_proc_start (VB_SIM_BIN, sim_argv, NULL);
    cr_assert_not_null (stack->sim);
    cr_assert_eq (vbt_proc_wait_line (stack->sim, "ready ", WAIT_MS, line, sizeof line), 0,
                  "sim never said ready; stderr: %s", vbt_proc_stderr (stack->sim));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    snprintf (stack->sim_url, sizeof stack->sim_url, "127.0.0.1:%s", port);

    char frontend[ENDPOINT_MAX];
    char *bus_argv[] = {VB_BUS_BIN,  "--frontend",        "tcp://127.0.0.1:*",
                        "--backend", "tcp://127.0.0.1:*", NULL};
    stack->bus = vbt_proc_start (VB_BUS_BIN, bus_argv, NULL);
    cr_assert_not_null (stack->bus);
    cr_assert_eq (vbt_proc_wait_line (stack->bus, "ready ", WAIT_MS, line, sizeof line), 0);
    cr_assert_eq (vbt_line_value (line, "frontend", frontend, sizeof frontend), 0);
    cr_assert_eq (vbt_line_value (line, "backend", stack->backend, sizeof stack->backend), 0);

    static char rest_url[ENDPOINT_MAX + 16], ws_url[ENDPOINT_MAX + 16];
    snprintf (stack->snapshot, sizeof stack->snapshot, "ipc:///tmp/vbt-gw-candles-%d.ipc",
              (int)getpid ());
    snprintf (rest_url, sizeof rest_url, "http://%s", stack->sim_url);
    snprintf (ws_url, sizeof ws_url, "ws://%s", stack->sim_url);
    char *argv[32] = {VB_GATEWAY_BIN, "--venue",  (char *)venue, "--symbols",     (char *)symbol,
                      "--bus",        frontend,   "--snapshot",  stack->snapshot, "--rest-url",
                      rest_url,       "--ws-url", ws_url,        "--candles",     (char *)candles};
    size_t argc = 15;
    for (size_t i = 0; extra && extra[i] && argc < 31; i++)
        argv[argc++] = (char *)extra[i];
    argv[argc] = NULL;
    stack->gateway = vbt_proc_start (VB_GATEWAY_BIN, argv, NULL);
    cr_assert_not_null (stack->gateway);
    if (wait_ready)
        cr_assert_eq (vbt_proc_wait_line (stack->gateway, "ready ", WAIT_MS, line, sizeof line), 0,
                      "gateway never said ready; stderr: %s", vbt_proc_stderr (stack->gateway));
}

static void
s_stop (s_stack_t *stack)
{
    cr_expect_eq (vbt_proc_stop (&stack->gateway, WAIT_MS), 0, "gateway did not stop cleanly");
    cr_expect_eq (vbt_proc_stop (&stack->bus, WAIT_MS), 0);
    cr_expect_eq (vbt_proc_stop (&stack->sim, WAIT_MS), 0);
}

//  --------------------------------------------------------------------------
//  GET a sim path; returns the response (caller frees), status 200 asserted.

static vbt_http_response_t
s_get (const s_stack_t *stack, const char *path)
{
    char url[1024];
    snprintf (url, sizeof url, "http://%s%s", stack->sim_url, path);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, HTTP_MS, &response), 0, "%s", url);
    cr_assert_eq (response.status, 200, "%s -> %ld %s", url, response.status, response.body);
    return response;
}

static void
s_post_fault (const s_stack_t *stack, const char *body)
{
    char url[512];
    snprintf (url, sizeof url, "http://%s/_sim/faults", stack->sim_url);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("POST", url, NULL, body, HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "%s -> %ld %s", body, response.status, response.body);
    vbt_http_response_free (&response);
}

//  --------------------------------------------------------------------------
//  Read a decimal that may be a JSON string or number.

static vb_decimal_t
s_decimal (vb_json_val_t *value)
{
    vb_decimal_t out;
    cr_assert_eq (vb_json_decimal (value, &out), 0);
    return out;
}

//  --------------------------------------------------------------------------
//  The sim's klines with open times in [start_ms, end_ms] (both inclusive,
//  as Binance reads them), one page of at most 1000, appended to out.

static size_t
s_klines_page (const s_stack_t *stack, vb_json_t *json, const char *interval, int64_t start_ms,
               int64_t end_ms, s_expected_t *out, size_t count)
{
    char path[512];
    snprintf (path, sizeof path,
              "/api/v3/klines?symbol=BTCUSDT&interval=%s&startTime=%" PRId64 "&endTime=%" PRId64
              "&limit=1000",
              interval, start_ms, end_ms);
    vbt_http_response_t response = s_get (stack, path);
    vb_json_val_t root, row, field;
    vb_json_iter_t rows, fields;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &rows), 0);
    while (vb_json_array_next (&rows, &row) == 1) {
        cr_assert_lt (count, EXPECTED_MAX);
        s_expected_t *candle = &out[count++];
        cr_assert_eq (vb_json_array_begin (&row, &fields), 0);
        for (int position = 0; position < 9; position++) {
            cr_assert_eq (vb_json_array_next (&fields, &field), 1);
            if (position == 0)
                cr_assert_eq (vb_json_int64 (&field, &candle->open_ms), 0);
            else if (position == 1)
                candle->open = s_decimal (&field);
            else if (position == 2)
                candle->high = s_decimal (&field);
            else if (position == 3)
                candle->low = s_decimal (&field);
            else if (position == 4)
                candle->close = s_decimal (&field);
            else if (position == 5)
                candle->volume = s_decimal (&field);
            else if (position == 8)
                cr_assert_eq (vb_json_uint64 (&field, &candle->trades), 0);
        }
    }
    vbt_http_response_free (&response);
    return count;
}

//  All klines with open times in [from_ms, to_ms), paged by 1000.
static size_t
s_klines (const s_stack_t *stack, vb_json_t *json, const char *interval, int64_t interval_ms,
          int64_t from_ms, int64_t to_ms, s_expected_t *out)
{
    size_t count = 0;
    for (int64_t page = from_ms; page < to_ms; page += 1000 * interval_ms) {
        int64_t end = page + 1000 * interval_ms - 1;
        count =
            s_klines_page (stack, json, interval, page, end < to_ms ? end : to_ms - 1, out, count);
    }
    return count;
}

//  --------------------------------------------------------------------------
//  The sim's engine time (Binance serverTime), ms.

static int64_t
s_binance_time (const s_stack_t *stack, vb_json_t *json)
{
    vbt_http_response_t response = s_get (stack, "/api/v3/time");
    vb_json_val_t root, value;
    int64_t ms = 0;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    cr_assert_eq (vb_json_find (&root, "serverTime", &value), 0);
    cr_assert_eq (vb_json_int64 (&value, &ms), 0);
    vbt_http_response_free (&response);
    return ms;
}

//  --------------------------------------------------------------------------
//  True when a history candle equals the sim's.

static bool
s_same (const vb_sub_candle_t *got, const s_expected_t *expected, int64_t interval_ms)
{
    return got->open_ts_ns == expected->open_ms * 1000000 &&
           got->close_ts_ns == (expected->open_ms + interval_ms) * 1000000 &&
           vb_decimal_cmp (got->open, expected->open) == 0 &&
           vb_decimal_cmp (got->high, expected->high) == 0 &&
           vb_decimal_cmp (got->low, expected->low) == 0 &&
           vb_decimal_cmp (got->close, expected->close) == 0 &&
           vb_decimal_cmp (got->volume, expected->volume) == 0 && got->trades == expected->trades;
}

//  --------------------------------------------------------------------------
//  Wait on the bus for `closed` closed candles of a topic; returns the open
//  time (ms) of the first.

static int64_t
s_wait_closed (const s_stack_t *stack, const char *topic, int closed)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvtimeo (sub, WAIT_MS);
    cr_assert_eq (vb_msg_subscribe_exact (sub, topic), 0);
    cr_assert_eq (zsock_connect (sub, "%s", stack->backend), 0);
    vb_msg_t *msg = vb_msg_new ();
    int64_t first_ms = 0;
    int seen = 0;
    while (seen < closed) {
        cr_assert_eq (vb_msg_recv (msg, sub, 0), 0, "no closed candle on %s", topic);
        const Venuebus__Candle *candle = vb_msg_envelope (msg)->candle;
        cr_assert_not_null (candle);
        if (!candle->closed)
            continue;
        if (seen++ == 0)
            first_ms = candle->open_ts_ns / 1000000;
    }
    vb_msg_destroy (&msg);
    zsock_destroy (&sub);
    return first_ms;
}

//  --------------------------------------------------------------------------
//  Send a raw request to the snapshot endpoint; return the one-frame reply.

static char *
s_raw_request (const s_stack_t *stack, const char *request)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (dealer, HISTORY_MS);
    cr_assert_eq (zsock_connect (dealer, "%s", stack->snapshot), 0);
    cr_assert_eq (zstr_send (dealer, request), 0);
    zmsg_t *reply = zmsg_recv (dealer);
    cr_assert_not_null (reply, "no reply to %s", request);
    cr_assert_eq (zmsg_size (reply), 1, "%s: a one-frame reply", request);
    char *text = zmsg_popstr (reply);
    zmsg_destroy (&reply);
    zsock_destroy (&dealer);
    return text;
}

Test (gateway_candles, binance_history_over_two_pages_equals_the_sims_klines, .timeout = 300)
{
    s_stack_t stack;
    s_start (&stack, "binance", "BTC-USDT", "1s", NULL, true);
    vb_json_t *json = vb_json_new ();
    int64_t from_ms = s_wait_closed (&stack, "md.binance.BTC-USDT.candle.1s", 2);
    //  25 minutes ahead: every second since the first trade has a kline.
    s_post_fault (&stack, "{\"fault\":\"clock_skew\",\"ms\":1500000}");
    int64_t now_ms = s_binance_time (&stack, json);
    cr_assert_geq (now_ms, from_ms + SKEW_MS);
    int64_t to_ms = now_ms - now_ms % SECOND_MS - SECOND_MS;  //  Closed candles only

    vb_sub_t *sub = vb_sub_new (stack.backend);
    cr_assert_eq (vb_sub_add_gateway (sub, "binance", stack.snapshot), 0);
    vb_sub_candle_t *candles = NULL;
    size_t count = 0;
    char error[VB_SUB_HISTORY_ERROR_MAX];
    int rc = vb_sub_candles (sub, "binance", "BTC-USDT", "1s", from_ms, to_ms, HISTORY_MS, &candles,
                             &count, error, sizeof error);
    cr_assert_eq (rc, 0, "vb_sub_candles: %s (%s)", vb_strerror (rc), error);

    static s_expected_t expected[EXPECTED_MAX];
    size_t expected_count = s_klines (&stack, json, "1s", SECOND_MS, from_ms, to_ms, expected);
    cr_assert_gt (expected_count, 1000, "the range must take two pages");
    cr_assert_eq (count, expected_count, "gateway %zu candles, sim %zu", count, expected_count);
    for (size_t i = 0; i < count; i++)
        cr_assert (s_same (&candles[i], &expected[i], SECOND_MS),
                   "candle %zu (open %" PRId64 " ms) differs from the sim's kline", i,
                   expected[i].open_ms);
    free (candles);

    //  Refusals name the problem.
    const char *refusals[][2] = {
        {"CANDLES binance BTC-USDT 1s 0 20000000", "ERROR too-many "},
        {"CANDLES binance BTC-USDT 7x 0 1000", "ERROR unknown-interval 7x"},
        {"CANDLES binance BTC-USDT 7s 0 1000", "ERROR unknown-interval binance has no 7s"},
        {"CANDLES binance XRP-USDT 1m 0 1000", "ERROR unknown-symbol XRP-USDT"},
        {"CANDLES kraken BTC-USDT 1m 0 1000", "ERROR unknown-venue kraken"},
        {"CANDLES binance BTC-USDT 1m 2000 1000", "ERROR bad-range "},
        {"CANDLES binance BTC-USDT 1m soon 1000", "ERROR unknown-request "},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        char *text = s_raw_request (&stack, refusals[i][0]);
        cr_expect_eq (strncmp (text, refusals[i][1], strlen (refusals[i][1])), 0,
                      "%s -> %s, expected %s...", refusals[i][0], text, refusals[i][1]);
        zstr_free (&text);
    }
    //  Through vb_sub: an error reply is VB_EIO with its text.
    rc = vb_sub_candles (sub, "binance", "BTC-USDT", "1m", 5000, 1000, HISTORY_MS, &candles, &count,
                         error, sizeof error);
    cr_assert_eq (rc, VB_EINVAL);
    rc = vb_sub_candles (sub, "binance", "XRP-USDT", "1m", 0, 1000, HISTORY_MS, &candles, &count,
                         error, sizeof error);
    cr_assert_eq (rc, VB_ENOTFOUND, "%s", error);
    rc = vb_sub_candles (sub, "binance", "BTC-USDT", "1s", 0, 20000000, HISTORY_MS, &candles,
                         &count, error, sizeof error);
    cr_assert_eq (rc, VB_EIO);
    cr_assert_eq (strncmp (error, "ERROR too-many ", 15), 0, "%s", error);
    //  An empty range: no candle, and no error.
    rc = vb_sub_candles (sub, "binance", "BTC-USDT", "1s", 1000, 5000, HISTORY_MS, &candles, &count,
                         error, sizeof error);
    cr_assert_eq (rc, 0, "%s", error);
    cr_assert_eq (count, 0);
    free (candles);

    vb_sub_destroy (&sub);
    vb_json_destroy (&json);
    s_stop (&stack);
}

//  --------------------------------------------------------------------------
//  The sim's Kraken OHLC rows with open times in [from_ms, to_ms).

static size_t
s_ohlc (const s_stack_t *stack, vb_json_t *json, int64_t from_ms, int64_t to_ms, s_expected_t *out)
{
    char path[256];
    snprintf (path, sizeof path, "/0/public/OHLC?pair=XBTUSD&interval=1&since=%" PRId64,
              from_ms / 1000 - 1);
    vbt_http_response_t response = s_get (stack, path);
    vb_json_val_t root, result, rows, row, field;
    vb_json_iter_t members, iter, fields;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    cr_assert_eq (vb_json_find (&root, "result", &result), 0, "%s", response.body);
    cr_assert_eq (vb_json_object_begin (&result, &members), 0);
    const char *key;
    size_t key_length, count = 0;
    bool found = false;
    while (vb_json_object_next (&members, &key, &key_length, &rows) == 1) {
        if (key_length == 4 && memcmp (key, "last", 4) == 0)
            continue;
        found = true;
        cr_assert_eq (vb_json_array_begin (&rows, &iter), 0);
        while (vb_json_array_next (&iter, &row) == 1) {
            s_expected_t candle = {0};
            int64_t open_s = 0;
            cr_assert_eq (vb_json_array_begin (&row, &fields), 0);
            for (int position = 0; position < 8; position++) {
                cr_assert_eq (vb_json_array_next (&fields, &field), 1);
                if (position == 0)
                    cr_assert_eq (vb_json_int64 (&field, &open_s), 0);
                else if (position == 1)
                    candle.open = s_decimal (&field);
                else if (position == 2)
                    candle.high = s_decimal (&field);
                else if (position == 3)
                    candle.low = s_decimal (&field);
                else if (position == 4)
                    candle.close = s_decimal (&field);
                else if (position == 6)
                    candle.volume = s_decimal (&field);
                else if (position == 7)
                    cr_assert_eq (vb_json_uint64 (&field, &candle.trades), 0);
            }
            candle.open_ms = open_s * 1000;
            if (candle.open_ms >= from_ms && candle.open_ms < to_ms) {
                cr_assert_lt (count, EXPECTED_MAX);
                out[count++] = candle;
            }
        }
    }
    cr_assert (found, "no rows in %s", response.body);
    vbt_http_response_free (&response);
    return count;
}

Test (gateway_candles, kraken_history_equals_the_sims_ohlc_and_refuses_what_kraken_forgot,
      .timeout = 300)
{
    s_stack_t stack;
    s_start (&stack, "kraken", "BTC-USD", "1m", NULL, true);
    vb_json_t *json = vb_json_new ();
    //  Wait for trades (an ohlc update), then move the sim two minutes on
    //  so the minute that holds them is closed.
    zsock_t *watch = zsock_new (ZMQ_SUB);
    zsock_set_rcvtimeo (watch, WAIT_MS);
    cr_assert_eq (vb_msg_subscribe_exact (watch, "md.kraken.BTC-USD.candle.1m"), 0);
    cr_assert_eq (zsock_connect (watch, "%s", stack.backend), 0);
    vb_msg_t *msg = vb_msg_new ();
    cr_assert_eq (vb_msg_recv (msg, watch, 0), 0, "no candle on the bus");
    vb_msg_destroy (&msg);
    zsock_destroy (&watch);
    s_post_fault (&stack, "{\"fault\":\"clock_skew\",\"ms\":120000}");
    vbt_http_response_t response = s_get (&stack, "/0/public/Time");
    vb_json_val_t root, result, value;
    int64_t unixtime = 0;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    cr_assert_eq (vb_json_find (&root, "result", &result), 0);
    cr_assert_eq (vb_json_find (&result, "unixtime", &value), 0);
    cr_assert_eq (vb_json_int64 (&value, &unixtime), 0);
    vbt_http_response_free (&response);
    int64_t to_ms = (unixtime - unixtime % 60) * 1000;  //  The open minute is excluded
    int64_t from_ms = to_ms - 30 * MINUTE_MS;

    vb_sub_t *sub = vb_sub_new (stack.backend);
    cr_assert_eq (vb_sub_add_gateway (sub, "kraken", stack.snapshot), 0);
    vb_sub_candle_t *candles = NULL;
    size_t count = 0;
    char error[VB_SUB_HISTORY_ERROR_MAX];
    int rc = vb_sub_candles (sub, "kraken", "BTC-USD", "1m", from_ms, to_ms, HISTORY_MS, &candles,
                             &count, error, sizeof error);
    cr_assert_eq (rc, 0, "vb_sub_candles: %s (%s)", vb_strerror (rc), error);
    static s_expected_t expected[EXPECTED_MAX];
    size_t expected_count = s_ohlc (&stack, json, from_ms, to_ms, expected);
    cr_assert_geq (expected_count, 1, "the sim traded in a closed minute");
    cr_assert_eq (count, expected_count);
    for (size_t i = 0; i < count; i++) {
        cr_assert (s_same (&candles[i], &expected[i], MINUTE_MS), "candle %zu differs", i);
        cr_assert (candles[i].closed);
    }
    free (candles);

    //  Kraken keeps 720 candles: 800 minutes back is refused, not holed.
    rc = vb_sub_candles (sub, "kraken", "BTC-USD", "1m", to_ms - 800 * MINUTE_MS, to_ms, HISTORY_MS,
                         &candles, &count, error, sizeof error);
    cr_assert_eq (rc, VB_EIO);
    cr_assert_eq (strncmp (error, "ERROR out-of-range ", 19), 0, "%s", error);

    vb_sub_destroy (&sub);
    vb_json_destroy (&json);
    s_stop (&stack);
}

//  --------------------------------------------------------------------------
//  A closed candle seen on the bus.

typedef struct {
    int64_t open_ms;
    bool backfilled;
    vb_sub_candle_t value;
} s_published_t;

Test (gateway_candles, candles_missed_during_a_disconnect_are_backfilled, .timeout = 300)
{
    //  A reconnect delay of up to 1.5 s (full jitter) makes a missed close
    //  of a 1 s candle likely on each disconnect; the test repeats the
    //  fault until one was missed.
    const char *extra[] = {"--backoff-base", "1500ms", "--backoff-cap", "1500ms", NULL};
    s_stack_t stack;
    s_start (&stack, "binance", "BTC-USDT", "1s", extra, true);
    vb_json_t *json = vb_json_new ();
    zsock_t *sub = zsock_new (ZMQ_SUB);
    cr_assert_eq (vb_msg_subscribe_exact (sub, "md.binance.BTC-USDT.candle.1s"), 0);
    cr_assert_eq (vb_msg_subscribe_exact (sub, "md.binance.BTC-USDT.status"), 0);
    cr_assert_eq (zsock_connect (sub, "%s", stack.backend), 0);
    zsock_set_rcvtimeo (sub, 100);
    vb_msg_t *msg = vb_msg_new ();
    static s_published_t published[PUBLISHED_MAX];
    size_t count = 0;
    bool reconnect_reported = false;    //  A status said RESYNCING reason reconnect
    bool backfill_after_report = true;  //  No backfilled candle before that status
    int64_t live_before_ms = 0;         //  Last live closed candle before the first backfill
    int64_t first_backfill_ms = 0;
    int64_t live_after_ms = 0;  //  First live closed candle after the backfill
    for (int attempt = 0; attempt < ATTEMPTS_MAX && !live_after_ms; attempt++) {
        //  Let a live closed candle arrive first, then break the connection.
        int64_t deadline = zclock_mono () + ATTEMPT_MS;
        bool live = false;
        while (!live && zclock_mono () < deadline) {
            if (vb_msg_recv (msg, sub, 0) != 0)
                continue;
            const Venuebus__Envelope *envelope = vb_msg_envelope (msg);
            if (envelope->body_case == VENUEBUS__ENVELOPE__BODY_CANDLE &&
                envelope->candle->closed && !envelope->candle->backfilled) {
                live = true;
                live_before_ms = envelope->candle->open_ts_ns / 1000000;
            }
        }
        cr_assert (live, "no live closed candle");
        s_post_fault (&stack, "{\"fault\":\"disconnect\"}");
        deadline = zclock_mono () + ATTEMPT_MS;
        while (zclock_mono () < deadline && !live_after_ms) {
            if (vb_msg_recv (msg, sub, 0) != 0)
                continue;
            const Venuebus__Envelope *envelope = vb_msg_envelope (msg);
            if (envelope->body_case == VENUEBUS__ENVELOPE__BODY_STATUS) {
                if (envelope->status->book_state == VENUEBUS__BOOK_STATE__RESYNCING &&
                    envelope->status->reason &&
                    strcmp (envelope->status->reason, "reconnect") == 0 &&
                    envelope->status->reconnects >= 1)
                    reconnect_reported = true;
                continue;
            }
            const Venuebus__Candle *candle = envelope->candle;
            cr_assert_not_null (candle);
            if (!candle->closed)
                continue;
            int64_t open_ms = candle->open_ts_ns / 1000000;
            if (candle->backfilled) {
                if (!reconnect_reported)
                    backfill_after_report = false;
                if (!first_backfill_ms)
                    first_backfill_ms = open_ms;
            } else if (first_backfill_ms)
                live_after_ms = open_ms;
            else
                live_before_ms = open_ms;
            cr_assert_lt (count, PUBLISHED_MAX);
            s_published_t *item = &published[count++];
            item->open_ms = open_ms;
            item->backfilled = candle->backfilled;
            item->value.open_ts_ns = candle->open_ts_ns;
            item->value.close_ts_ns = candle->close_ts_ns;
            cr_assert_eq (vb_msg_decimal_get (candle->open, &item->value.open), 0);
            cr_assert_eq (vb_msg_decimal_get (candle->high, &item->value.high), 0);
            cr_assert_eq (vb_msg_decimal_get (candle->low, &item->value.low), 0);
            cr_assert_eq (vb_msg_decimal_get (candle->close, &item->value.close), 0);
            cr_assert_eq (vb_msg_decimal_get (candle->volume, &item->value.volume), 0);
            item->value.trades = candle->trades;
        }
    }
    cr_assert_gt (first_backfill_ms, 0, "no candle was backfilled after %d disconnects",
                  ATTEMPTS_MAX);
    cr_assert_gt (live_after_ms, 0, "no live candle after the backfill");
    cr_assert (reconnect_reported, "no status reported the reconnect");
    cr_assert (backfill_after_report, "backfilled candles came before the status");
    cr_assert_gt (first_backfill_ms, live_before_ms);

    //  Every kline the sim has between the last live candle before the
    //  outage and the first after it was published (live or backfilled),
    //  and each backfilled one equals the sim's.
    static s_expected_t expected[EXPECTED_MAX];
    size_t expected_count = s_klines (&stack, json, "1s", SECOND_MS, live_before_ms + SECOND_MS,
                                      live_after_ms, expected);
    cr_assert_geq (expected_count, 1);
    size_t backfilled = 0;
    for (size_t i = 0; i < expected_count; i++) {
        const s_published_t *found = NULL;
        for (size_t j = 0; j < count && !found; j++)
            if (published[j].open_ms == expected[i].open_ms)
                found = &published[j];
        cr_assert_not_null (found, "kline at %" PRId64 " ms never published", expected[i].open_ms);
        if (found->backfilled) {
            backfilled++;
            cr_assert (s_same (&found->value, &expected[i], SECOND_MS),
                       "backfilled candle at %" PRId64 " ms differs from the sim's kline",
                       expected[i].open_ms);
        }
    }
    cr_assert_geq (backfilled, 1);
    vb_msg_destroy (&msg);
    zsock_destroy (&sub);
    vb_json_destroy (&json);
    s_stop (&stack);
}

//  --------------------------------------------------------------------------
//  The X-MBX-USED-WEIGHT-1M value in a raw header block, or -1.

static int64_t
s_used_weight (const char *headers)
{
    static const char name[] = "x-mbx-used-weight-1m:";
    for (const char *line = headers; line && *line;) {
        if (strncasecmp (line, name, sizeof (name) - 1) == 0)
            return strtoll (line + sizeof (name) - 1, NULL, 10);
        const char *next = strchr (line, '\n');
        line = next ? next + 1 : NULL;
    }
    return -1;
}

Test (gateway_candles, reports_the_venues_used_weight_to_the_grants_router, .timeout = 300)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    cr_assert_not_null (router);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    cr_assert_gt (port, 0);
    char grants[64];
    snprintf (grants, sizeof grants, "tcp://127.0.0.1:%d", port);
    const char *extra[] = {"--grants", grants, "--grants-timeout", "10s", NULL};
    s_stack_t stack;
    s_start (&stack, "binance", "BTC-USDT", "1m", extra, false);

    vb_msg_t *msg = vb_msg_new ();
    zsock_set_rcvtimeo (router, WAIT_MS);
    uint64_t granted = 0, reported = 0;
    while (reported == 0) {
        zframe_t *identity = zframe_recv (router);
        cr_assert_not_null (identity, "no GrantRequest from the gateway");
        cr_assert_eq (vb_msg_recv_bare (msg, zsock_resolve (router), 0), 0);
        const Venuebus__Envelope *envelope = vb_msg_envelope (msg);
        cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_GRANT_REQUEST);
        const Venuebus__GrantRequest *request = envelope->grant_request;
        cr_assert_str_eq (request->venue, "binance");
        if (request->weight > 0) {
            granted += request->weight;
            Venuebus__Grant grant = VENUEBUS__GRANT__INIT;
            grant.request_id = request->request_id;
            grant.granted = true;
            Venuebus__Header header = VENUEBUS__HEADER__INIT;
            Venuebus__Envelope reply = VENUEBUS__ENVELOPE__INIT;
            reply.header = &header;
            reply.body_case = VENUEBUS__ENVELOPE__BODY_GRANT;
            reply.grant = &grant;
            cr_assert_eq (zframe_send (&identity, router, ZFRAME_MORE), 0);
            cr_assert_eq (vb_msg_send_bare (zsock_resolve (router), &reply, 0), 0);
        } else if (request->used_weight > 0)
            reported = request->used_weight;
        zframe_destroy (&identity);
    }
    //  The sim counted at least the weight granted before the answer, and
    //  its count only grows: our own call (weight 1) sees more.
    cr_assert_geq (reported, granted, "reported %" PRIu64 ", granted %" PRIu64, reported, granted);
    vbt_http_response_t response = s_get (&stack, "/api/v3/ping");
    int64_t later = s_used_weight (response.headers);
    vbt_http_response_free (&response);
    cr_assert_gt (later, (int64_t)reported);
    vb_msg_destroy (&msg);
    s_stop (&stack);
    zsock_destroy (&router);
}
