/*  test_sim_ports.c — venuebus-sim --extra-ports and GET /_sim/stats, on
    the real binary with the real personalities.

    - --extra-ports 2: a "ports" line with three distinct ports before the
      unchanged ready line; an order placed through the first port is the
      same order, with the same locked balance, through the others; the
      WebSocket streams answer on an extra port too.
    - A fault with "port" acts on that port alone (http_status, disconnect);
      a port the sim does not have, or a port on a stream fault, is refused.
    - /_sim/stats counts what the venue's own limits refused: Binance's
      ORDERS 50 per 10 s (429 -1015), its weight 429 and 418 ban; Kraken's
      REST call counter and trading counter, whose refusals come with HTTP
      200. An http_status fault's 429 is not counted.
    Expected figures come from the venues' documented limits (venues.md 1.7
    and 3.7) and from what this test itself sent and saw.
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

#define S_WAIT_MS    10000
#define S_HTTP_MS    10000
#define S_URL_MAX    4096
#define S_PORTS_MAX  8
#define S_MS_PER_S   1000
#define S_NS_PER_MS  1000000
#define S_NS_PER_US  1000
#define S_US_PER_S   1000000
#define S_BODY_MAX   1024
#define S_STATS_MAX  1024
#define S_FRAMES_MAX 1000  //  Frames read at most while waiting for a close
//  Binance keys are 64 characters
#define S_BINANCE_KEY    "vbPortsKey0123456789abcdefABCDEF0123456789abcdefghijklmnopqrstuvw"
#define S_BINANCE_SECRET "vbPortsSecret0123456789"
#define S_KRAKEN_KEY     "vbt-ports-kraken-key"
//  Binance ORDERS limit: 50 per 10 s (venues.md 1.7). Orders sent within
//  one 10 s stretch fall into at most two fixed windows, so 2 x 50 + 1
//  quick orders always take one window over.
#define S_ORDERS_10S   50
#define S_ORDERS_BURST (2 * S_ORDERS_10S + 1)
//  Binance REQUEST_WEIGHT 6000 per minute; depth limit 5000 weighs 250:
//  the 25th such request in a minute is over.
#define S_DEPTH_BURST 60
//  Kraken Intermediate: REST counter 20 (-0.5/s), trading counter 125
//  (-2.34/s) where add +1 and a cancel under 5 s +8 (venues.md 3.7).
#define S_KRAKEN_REST_MAX    20
#define S_KRAKEN_CALLS_MAX   (S_KRAKEN_REST_MAX + 20)
#define S_KRAKEN_ADD_CANCELS 40  //  40 x 9 = 360, far over 125 in a second or two

typedef struct {
    vbt_proc_t *proc;
    int port;                          //  From the ready line
    int ports[S_PORTS_MAX];            //  From the ports line
    size_t port_count;                 //  Used
    char secret[VB_BASE64_SIZE (64)];  //  Kraken: base64 of 64 random bytes
    uint64_t nonce;                    //  Kraken: last nonce sent
} s_sim_t;

//  --------------------------------------------------------------------------
//  Start and stop.

static void
s_start (s_sim_t *sim, const char *venue, const char *extra_ports)
{
    memset (sim, 0, sizeof *sim);
    char key_env[128], secret_env[160];
    if (strcmp (venue, "kraken") == 0) {
        uint8_t raw[64];
        FILE *random = fopen ("/dev/urandom", "rb");
        cr_assert_not_null (random);
        cr_assert_eq (fread (raw, 1, sizeof raw, random), sizeof raw);
        fclose (random);
        cr_assert_gt (vb_base64_encode (raw, sizeof raw, sim->secret, sizeof sim->secret), 0);
        snprintf (key_env, sizeof key_env, "VB_SIM_API_KEY=%s", S_KRAKEN_KEY);
        snprintf (secret_env, sizeof secret_env, "VB_SIM_API_SECRET=%s", sim->secret);
    } else {
        snprintf (key_env, sizeof key_env, "VB_SIM_API_KEY=%s", S_BINANCE_KEY);
        snprintf (secret_env, sizeof secret_env, "VB_SIM_API_SECRET=%s", S_BINANCE_SECRET);
    }
    char *env[] = {key_env, secret_env, NULL};
    char *argv[] = {VB_SIM_BIN,
                    "--venue",
                    (char *)venue,
                    "--port",
                    "0",
                    "--seed",
                    "7",
                    extra_ports ? "--extra-ports" : NULL,
                    (char *)extra_ports,
                    NULL};
    sim->proc = vbt_proc_start (VB_SIM_BIN, argv, env);
    cr_assert_not_null (sim->proc);
    char line[256], value[128];
    cr_assert_eq (vbt_proc_wait_line (sim->proc, "ports ", S_WAIT_MS, line, sizeof line), 0,
                  "no ports line; stderr: %s", vbt_proc_stderr (sim->proc));
    cr_assert_eq (vbt_line_value (line, "venue", value, sizeof value), 0, "%s", line);
    cr_assert_str_eq (value, venue);
    cr_assert_eq (vbt_line_value (line, "ports", value, sizeof value), 0, "%s", line);
    char *save = NULL;
    for (char *item = strtok_r (value, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        cr_assert_lt (sim->port_count, S_PORTS_MAX);
        sim->ports[sim->port_count++] = atoi (item);
    }
    cr_assert_eq (vbt_proc_wait_line (sim->proc, "ready ", S_WAIT_MS, line, sizeof line), 0,
                  "no ready line; stderr: %s", vbt_proc_stderr (sim->proc));
    //  The ready line keeps its exact shape
    char expected[128];
    cr_assert_eq (vbt_line_value (line, "port", value, sizeof value), 0);
    sim->port = atoi (value);
    snprintf (expected, sizeof expected, "ready venue=%s port=%d", venue, sim->port);
    cr_assert_str_eq (line, expected);
    cr_assert_gt (sim->port, 0);
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    sim->nonce = (uint64_t)now.tv_sec * S_US_PER_S + (uint64_t)now.tv_nsec / S_NS_PER_US;
}

static void
s_stop (s_sim_t *sim)
{
    cr_assert_eq (vbt_proc_stop (&sim->proc, S_WAIT_MS), 0);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * S_MS_PER_S + now.tv_nsec / S_NS_PER_MS;
}

//  --------------------------------------------------------------------------
//  Requests.

static void
s_request (int port, const char *method, const char *path, const char *body,
           vbt_http_response_t *response)
{
    char url[S_URL_MAX];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    cr_assert_eq (vbt_http_request (method, url, NULL, body, S_HTTP_MS, response), 0, "%s", url);
}

//  POST /_sim/faults; returns the status.
static long
s_fault (int port, const char *body)
{
    vbt_http_response_t response;
    s_request (port, "POST", "/_sim/faults", body, &response);
    long status = response.status;
    vbt_http_response_free (&response);
    return status;
}

//  A Binance signed request (HMAC-SHA256 hex of the query) on one port.
static void
s_binance_signed (int port, const char *method, const char *path, const char *params,
                  vbt_http_response_t *response)
{
    char query[S_URL_MAX];
    snprintf (query, sizeof query, "%s%stimestamp=%" PRId64, params, *params ? "&" : "",
              s_now_ms ());
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, S_BINANCE_SECRET, strlen (S_BINANCE_SECRET));
    char signature[VB_HEX_SIZE (VB_SHA256_SIZE)];
    cr_assert_eq (vb_hmac_sign_hex (signer, query, strlen (query), signature, sizeof signature),
                  64);
    vb_hmac_destroy (&signer);
    char url[2 * S_URL_MAX];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s?%s&signature=%s", port, path, query,
              signature);
    const char *headers[] = {"X-MBX-APIKEY: " S_BINANCE_KEY, NULL};
    cr_assert_eq (vbt_http_request (method, url, headers, NULL, S_HTTP_MS, response), 0, "%s", url);
}

//  A Kraken private call on the main port: body "nonce=N&fields", API-Sign
//  per venues.md 3.5 from libcommon primitives. Returns the HTTP status and
//  the body in *response.
static long
s_kraken_private (s_sim_t *sim, const char *method, const char *fields,
                  vbt_http_response_t *response)
{
    char path[128], nonce[32], body[S_BODY_MAX], url[256];
    snprintf (path, sizeof path, "/0/private/%s", method);
    snprintf (nonce, sizeof nonce, "%llu", (unsigned long long)++sim->nonce);
    snprintf (body, sizeof body, "nonce=%s%s%s", nonce, fields ? "&" : "", fields ? fields : "");
    uint8_t key[128];
    int key_size = vb_base64_decode (sim->secret, strlen (sim->secret), key, sizeof key);
    cr_assert_gt (key_size, 0);
    uint8_t digest[VB_SHA256_SIZE];
    vb_bytes_t inner[2] = {{nonce, strlen (nonce)}, {body, strlen (body)}};
    cr_assert_eq (vb_sha256_parts (inner, 2, digest), VB_SHA256_SIZE);
    uint8_t message[512];
    size_t path_length = strlen (path);
    memcpy (message, path, path_length);
    memcpy (message + path_length, digest, sizeof digest);
    vb_hmac_t *hmac = vb_hmac_new (VB_HMAC_SHA512, key, (size_t)key_size);
    char signature[VB_BASE64_SIZE (VB_SHA512_SIZE)];
    cr_assert_gt (vb_hmac_sign_base64 (hmac, message, path_length + sizeof digest, signature,
                                       sizeof signature),
                  0);
    vb_hmac_destroy (&hmac);
    char key_header[128], sign_header[160];
    snprintf (key_header, sizeof key_header, "API-Key: %s", S_KRAKEN_KEY);
    snprintf (sign_header, sizeof sign_header, "API-Sign: %s", signature);
    const char *headers[] = {key_header, sign_header,
                             "Content-Type: application/x-www-form-urlencoded", NULL};
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", sim->port, path);
    cr_assert_eq (vbt_http_request ("POST", url, headers, body, S_HTTP_MS, response), 0);
    return response->status;
}

//  An integer field of a JSON object.
static int64_t
s_int (const char *text, const char *key)
{
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, field;
    int64_t value = 0;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0, "%s", text);
    cr_assert_eq (vb_json_find (&root, key, &field), 0, "%s in %s", key, text);
    cr_assert_eq (vb_json_int64 (&field, &value), 0, "%s in %s", key, text);
    vb_json_destroy (&json);
    return value;
}

//  GET /_sim/stats into text.
static void
s_stats (int port, char *text, size_t size)
{
    vbt_http_response_t response;
    s_request (port, "GET", "/_sim/stats", NULL, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    snprintf (text, size, "%s", response.body);
    vbt_http_response_free (&response);
}

//  --------------------------------------------------------------------------
//  Extra ports.

Test (sim_ports, extra_ports_serve_one_venue_state)
{
    s_sim_t sim;
    s_start (&sim, "binance", "2");
    cr_assert_eq (sim.port_count, 3);
    cr_assert_eq (sim.ports[0], sim.port, "the main port comes first");
    cr_assert (sim.ports[1] > 0 && sim.ports[2] > 0);
    cr_assert (sim.ports[0] != sim.ports[1] && sim.ports[1] != sim.ports[2] &&
               sim.ports[0] != sim.ports[2]);

    //  1000.00 x 0.01 = 10 USDT, far below the market: it rests.
    vbt_http_response_t response;
    s_binance_signed (sim.ports[0], "POST", "/api/v3/order",
                      "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&"
                      "price=1000.00&newClientOrderId=viaPortOne",
                      &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    int64_t order_id = s_int (response.body, "orderId");
    vbt_http_response_free (&response);

    //  The third port knows the order, by client id, with the same id.
    s_binance_signed (sim.ports[2], "GET", "/api/v3/order",
                      "symbol=BTCUSDT&origClientOrderId=viaPortOne", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert_eq (s_int (response.body, "orderId"), order_id);
    cr_assert (strstr (response.body, "\"status\":\"NEW\""), "%s", response.body);
    vbt_http_response_free (&response);
    //  The second port sees the account with those 10 USDT locked.
    s_binance_signed (sim.ports[1], "GET", "/api/v3/account", "", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "{\"asset\":\"USDT\",\"free\":\"999990.00000000\","
                                      "\"locked\":\"10.00000000\"}"),
               "%s", response.body);
    vbt_http_response_free (&response);
    //  Canceled through the third, it is gone for the first.
    s_binance_signed (sim.ports[2], "DELETE", "/api/v3/order",
                      "symbol=BTCUSDT&origClientOrderId=viaPortOne", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    s_binance_signed (sim.ports[0], "GET", "/api/v3/order",
                      "symbol=BTCUSDT&origClientOrderId=viaPortOne", &response);
    cr_assert (strstr (response.body, "\"status\":\"CANCELED\""), "%s", response.body);
    vbt_http_response_free (&response);

    //  The streams answer on an extra port.
    vbt_ws_t *ws =
        vbt_ws_connect ("127.0.0.1", sim.ports[2], "/ws/btcusdt@depth@100ms", S_WAIT_MS, NULL);
    cr_assert_not_null (ws);
    const char *text;
    size_t length;
    cr_assert_eq (vbt_ws_recv (ws, S_WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert (strstr (text, "\"e\":\"depthUpdate\""), "%s", text);
    vbt_ws_destroy (&ws);

    //  Requests per port, as sent above: 2, 1, 2.
    char stats[S_STATS_MAX], expected[128];
    s_stats (sim.ports[1], stats, sizeof stats);
    cr_assert_eq (s_int (stats, "requests"), 5, "%s", stats);
    cr_assert_eq (s_int (stats, "orders_placed"), 1, "%s", stats);
    const int per_port[] = {2, 1, 2};
    for (size_t i = 0; i < 3; i++) {
        snprintf (expected, sizeof expected, "{\"port\":%d,\"requests\":%d}", sim.ports[i],
                  per_port[i]);
        cr_assert (strstr (stats, expected), "%s not in %s", expected, stats);
    }
    s_stop (&sim);
}

Test (sim_ports, without_extra_ports_the_ports_line_names_the_main_port)
{
    s_sim_t sim;
    s_start (&sim, "kraken", NULL);
    cr_assert_eq (sim.port_count, 1);
    cr_assert_eq (sim.ports[0], sim.port);
    s_stop (&sim);
}

Test (sim_ports, a_port_scoped_fault_hits_that_port_alone)
{
    s_sim_t sim;
    s_start (&sim, "binance", "2");
    char body[256];
    snprintf (body, sizeof body,
              "{\"fault\":\"http_status\",\"status\":503,\"count\":2,\"port\":%d}", sim.ports[1]);
    cr_assert_eq (s_fault (sim.ports[0], body), 200);
    vbt_http_response_t response;
    //  The other ports answer; they do not use up the fault's count.
    for (int round = 0; round < 2; round++) {
        s_request (sim.ports[0], "GET", "/api/v3/ping", NULL, &response);
        cr_assert_eq (response.status, 200, "%s", response.body);
        vbt_http_response_free (&response);
        s_request (sim.ports[2], "GET", "/api/v3/ping", NULL, &response);
        cr_assert_eq (response.status, 200, "%s", response.body);
        vbt_http_response_free (&response);
    }
    //  The faulted port: Binance's 503 body (-1008, errors.md) twice, then served.
    for (int round = 0; round < 2; round++) {
        s_request (sim.ports[1], "GET", "/api/v3/ping", NULL, &response);
        cr_assert_eq (response.status, 503, "%s", response.body);
        cr_assert (strstr (response.body, "{\"code\":-1008,"), "%s", response.body);
        vbt_http_response_free (&response);
    }
    s_request (sim.ports[1], "GET", "/api/v3/ping", NULL, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);

    //  disconnect on one port closes that port's connections only.
    vbt_ws_t *kept =
        vbt_ws_connect ("127.0.0.1", sim.ports[0], "/ws/btcusdt@depth@100ms", S_WAIT_MS, NULL);
    vbt_ws_t *closed =
        vbt_ws_connect ("127.0.0.1", sim.ports[2], "/ws/btcusdt@depth@100ms", S_WAIT_MS, NULL);
    cr_assert (kept && closed);
    const char *text;
    size_t length;
    //  Both are established and streaming before the fault.
    cr_assert_eq (vbt_ws_recv (kept, S_WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert_eq (vbt_ws_recv (closed, S_WAIT_MS, &text, &length), VBT_WS_TEXT);
    snprintf (body, sizeof body, "{\"fault\":\"disconnect\",\"port\":%d}", sim.ports[2]);
    cr_assert_eq (s_fault (sim.ports[1], body), 200);
    //  Frames queued before the close may still come first.
    int rc = VBT_WS_TEXT;
    for (int frame = 0; frame < S_FRAMES_MAX && rc == VBT_WS_TEXT; frame++)
        rc = vbt_ws_recv (closed, S_WAIT_MS, &text, &length);
    cr_assert_eq (rc, VBT_WS_CLOSED);
    //  The other keeps streaming: a frame cut after the fault still comes.
    for (int frame = 0; frame < 5; frame++)
        cr_assert_eq (vbt_ws_recv (kept, S_WAIT_MS, &text, &length), VBT_WS_TEXT);
    vbt_ws_destroy (&kept);
    vbt_ws_destroy (&closed);

    //  The listing names the port; a port the sim lacks, or a port on a
    //  fault that has none, is refused.
    snprintf (body, sizeof body, "{\"fault\":\"latency\",\"ms\":50,\"count\":1,\"port\":%d}",
              sim.ports[2]);
    cr_assert_eq (s_fault (sim.ports[0], body), 200);
    s_request (sim.ports[0], "GET", "/_sim/faults", NULL, &response);
    char expected[256];
    snprintf (expected, sizeof expected,
              "{\"faults\":[{\"fault\":\"latency\",\"stream\":\"*\",\"count\":1,\"status\":0,"
              "\"ms\":50,\"port\":%d}]}",
              sim.ports[2]);
    cr_assert_str_eq (response.body, expected);
    vbt_http_response_free (&response);
    cr_assert_eq (s_fault (sim.ports[0], "{\"fault\":\"http_status\",\"status\":503,\"port\":1}"),
                  400);
    cr_assert_eq (s_fault (sim.ports[0], "{\"fault\":\"http_status\",\"status\":503,\"port\":-1}"),
                  400);
    snprintf (body, sizeof body, "{\"fault\":\"drop\",\"port\":%d}", sim.ports[0]);
    cr_assert_eq (s_fault (sim.ports[0], body), 400);
    s_stop (&sim);
}

//  --------------------------------------------------------------------------
//  Stats.

Test (sim_stats, counts_binance_order_rate_violations_not_injected_429s)
{
    s_sim_t sim;
    s_start (&sim, "binance", NULL);
    char stats[S_STATS_MAX];
    int64_t requests = 0;

    //  An injected 429 looks like the venue's but is not the venue's limit.
    cr_assert_eq (s_fault (sim.port, "{\"fault\":\"http_status\",\"status\":429}"), 200);
    vbt_http_response_t response;
    s_request (sim.port, "GET", "/api/v3/ping", NULL, &response);
    requests++;
    cr_assert_eq (response.status, 429);
    cr_assert (strstr (response.body, "{\"code\":-1003,"), "%s", response.body);
    vbt_http_response_free (&response);
    s_stats (sim.port, stats, sizeof stats);
    cr_assert_eq (s_int (stats, "limit_violations"), 0, "%s", stats);
    cr_assert_eq (s_int (stats, "injected_statuses"), 1, "%s", stats);

    //  5000 BTC at 1000 = 5,000,000 USDT: more than the demo's 1,000,000.
    s_binance_signed (sim.port, "POST", "/api/v3/order",
                      "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5000&"
                      "price=1000.00",
                      &response);
    requests++;
    cr_assert_eq (response.status, 400, "%s", response.body);
    cr_assert (strstr (response.body, "{\"code\":-2010,"), "%s", response.body);
    vbt_http_response_free (&response);

    //  Orders until the venue says -1015 (ORDERS 50 per 10 s).
    int64_t placed = 0, refused_by_limit = 0;
    for (int order = 0; order < S_ORDERS_BURST && refused_by_limit == 0; order++) {
        s_binance_signed (sim.port, "POST", "/api/v3/order",
                          "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&"
                          "price=1000.00",
                          &response);
        requests++;
        if (response.status == 429) {
            cr_assert (strstr (response.body, "{\"code\":-1015,\"msg\":\"Too many new orders; "
                                              "current limit is 50 orders per 10 SECOND.\"}"),
                       "%s", response.body);
            refused_by_limit++;
        } else {
            cr_assert_eq (response.status, 200, "%s", response.body);
            placed++;
        }
        vbt_http_response_free (&response);
    }
    cr_assert_eq (refused_by_limit, 1, "no -1015 within %d orders", S_ORDERS_BURST);
    cr_assert_geq (placed,
                   S_ORDERS_10S - 1);  //  The refused one's window held 50, less the -2010 one
    s_stats (sim.port, stats, sizeof stats);
    cr_assert_eq (s_int (stats, "limit_violations"), 1, "%s", stats);
    cr_assert_eq (s_int (stats, "bans"), 0, "%s", stats);
    cr_assert_eq (s_int (stats, "orders_placed"), placed, "%s", stats);
    cr_assert_eq (s_int (stats, "orders_rejected"), 1, "%s", stats);
    cr_assert_eq (s_int (stats, "requests"), requests, "%s", stats);
    cr_assert_eq (s_int (stats, "injected_statuses"), 1, "%s", stats);

    //  DELETE resets every counter.
    s_request (sim.port, "DELETE", "/_sim/stats", NULL, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strncmp (response.body, "{\"ok\":true,", 11) == 0, "%s", response.body);
    vbt_http_response_free (&response);
    s_stats (sim.port, stats, sizeof stats);
    const char *fields[] = {"requests",        "limit_violations",  "bans",       "orders_placed",
                            "orders_rejected", "injected_statuses", "ws_messages"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        cr_assert_eq (s_int (stats, fields[i]), 0, "%s in %s", fields[i], stats);
    s_request (sim.port, "POST", "/_sim/stats", "{}", &response);
    cr_assert_eq (response.status, 405, "%s", response.body);
    vbt_http_response_free (&response);
    s_stop (&sim);
}

Test (sim_stats, counts_a_binance_weight_429_and_the_418_ban)
{
    s_sim_t sim;
    s_start (&sim, "binance", NULL);
    //  As in test_sim_binance: a minute boundary inside the burst resets the
    //  weight, so the burst may run twice. The stats must match what came.
    int64_t too_many = 0, banned = 0;
    for (int attempt = 0; attempt < 2 && banned == 0; attempt++) {
        for (int request = 0; request < S_DEPTH_BURST; request++) {
            vbt_http_response_t response;
            s_request (sim.port, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=5000", NULL, &response);
            long status = response.status;
            vbt_http_response_free (&response);
            if (status != 429) {
                cr_assert_eq (status, 200);
                continue;
            }
            too_many++;
            s_request (sim.port, "GET", "/api/v3/ping", NULL, &response);
            if (response.status == 418) {
                cr_assert (strstr (response.body, "IP banned until"), "%s", response.body);
                banned++;
            }
            vbt_http_response_free (&response);
            break;
        }
    }
    cr_assert_eq (banned, 1, "no 429 then 418");
    char stats[S_STATS_MAX];
    s_stats (sim.port, stats, sizeof stats);
    cr_assert_eq (s_int (stats, "limit_violations"), too_many + banned, "%s", stats);
    cr_assert_eq (s_int (stats, "bans"), 1, "%s", stats);
    //  Every request during the ban is refused and counted, the ban not again.
    vbt_http_response_t response;
    s_request (sim.port, "GET", "/api/v3/time", NULL, &response);
    cr_assert_eq (response.status, 418, "%s", response.body);
    vbt_http_response_free (&response);
    s_stats (sim.port, stats, sizeof stats);
    cr_assert_eq (s_int (stats, "limit_violations"), too_many + banned + 1, "%s", stats);
    cr_assert_eq (s_int (stats, "bans"), 1, "%s", stats);
    s_stop (&sim);
}

//  The txid of an AddOrder answer ("txid":["OXXXXX-XXXXX-XXXXXX"]) into out.
static bool
s_kraken_txid (const char *body, char *out, size_t size)
{
    const char *start = strstr (body, "\"txid\":[\"");
    if (!start)
        return false;
    start += strlen ("\"txid\":[\"");
    const char *end = strchr (start, '"');
    if (!end || (size_t)(end - start) >= size)
        return false;
    memcpy (out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return true;
}

Test (sim_stats, counts_kraken_rate_limit_answers_sent_with_http_200)
{
    s_sim_t sim;
    s_start (&sim, "kraken", NULL);
    vbt_http_response_t response;
    //  The injected 429 carries Kraken's text, but is not counted.
    cr_assert_eq (s_fault (sim.port, "{\"fault\":\"http_status\",\"status\":429}"), 200);
    cr_assert_eq (s_kraken_private (&sim, "Balance", NULL, &response), 429);
    cr_assert (strstr (response.body, "EAPI:Rate limit exceeded"), "%s", response.body);
    vbt_http_response_free (&response);
    char stats[S_STATS_MAX];
    s_stats (sim.port, stats, sizeof stats);
    cr_assert_eq (s_int (stats, "limit_violations"), 0, "%s", stats);

    //  REST call counter: Balance costs 1 of 20.
    int64_t rest_limited = 0;
    for (int call = 0; call < S_KRAKEN_CALLS_MAX && rest_limited == 0; call++) {
        cr_assert_eq (s_kraken_private (&sim, "Balance", NULL, &response), 200);
        if (strcmp (response.body, "{\"error\":[\"EAPI:Rate limit exceeded\"]}") == 0)
            rest_limited++;
        else
            cr_assert (strstr (response.body, "{\"error\":[],"), "%s", response.body);
        vbt_http_response_free (&response);
    }
    cr_assert_eq (rest_limited, 1);
    s_stats (sim.port, stats, sizeof stats);
    cr_assert_eq (s_int (stats, "limit_violations"), 1, "%s", stats);

    //  Trading counter: add (+1) then cancel at once (+8), until refused.
    int64_t trade_limited = 0, placed = 0;
    for (int round = 0; round < S_KRAKEN_ADD_CANCELS && trade_limited == 0; round++) {
        cr_assert_eq (s_kraken_private (&sim, "AddOrder",
                                        "ordertype=limit&pair=XBTUSD&price=30000.0&type=buy&"
                                        "volume=0.001",
                                        &response),
                      200);
        char txid[64];
        if (strstr (response.body, "EOrder:Rate limit exceeded")) {
            trade_limited++;
            vbt_http_response_free (&response);
            break;
        }
        cr_assert (s_kraken_txid (response.body, txid, sizeof txid), "%s", response.body);
        placed++;
        vbt_http_response_free (&response);
        char fields[128];
        snprintf (fields, sizeof fields, "txid=%s", txid);
        cr_assert_eq (s_kraken_private (&sim, "CancelOrder", fields, &response), 200);
        if (strstr (response.body, "EOrder:Rate limit exceeded"))
            trade_limited++;
        else
            cr_assert_str_eq (response.body, "{\"error\":[],\"result\":{\"count\":1}}");
        vbt_http_response_free (&response);
    }
    cr_assert_eq (trade_limited, 1, "no EOrder:Rate limit exceeded in %d add-cancels",
                  S_KRAKEN_ADD_CANCELS);
    s_stats (sim.port, stats, sizeof stats);
    cr_assert_eq (s_int (stats, "limit_violations"), 2, "%s", stats);
    cr_assert_eq (s_int (stats, "bans"), 0, "%s", stats);
    cr_assert_eq (s_int (stats, "orders_placed"), placed, "%s", stats);
    s_stop (&sim);
}
