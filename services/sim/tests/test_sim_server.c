/*  test_sim_server.c — the sim's HTTP + WebSocket server and its faults,
    driven by a tiny echo personality defined here (the real personalities
    are tested in venues/). The server runs on its own thread; the test
    talks to it over loopback with vbt_http and vbt_ws.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim_engine.h"
#include "sim_server.h"
#include "vbt_http.h"
#include "vbt_ws.h"

#define WAIT_MS  5000
#define QUIET_MS 300  //  How long "nothing more arrives" is watched

//  ---------------------------------------------------------------------------
//  The echo personality.

typedef struct {
    vb_sim_venue_t base;
    vb_sim_engine_t *engine;
    vb_sim_server_t *server;
    int http_calls;
} s_echo_t;

static const vb_sim_instrument_t s_instruments[] = {
    {.symbol = "BTC-USD",
     .base = "BTC",
     .quote = "USD",
     .price_exponent = -2,
     .qty_exponent = -4,
     .tick = 1,
     .lot = 1,
     .min_qty = 1,
     .max_qty = 1000000,
     .min_notional = 0,
     .start_price = 5000000},
};

static const vb_sim_instrument_t *
s_echo_instruments (size_t *count)
{
    *count = 1;
    return s_instruments;
}

static const vb_sim_venue_ops_t s_echo_ops;

static vb_sim_venue_t *
s_echo_create (vb_sim_engine_t *engine, vb_sim_server_t *server)
{
    s_echo_t *self = calloc (1, sizeof (s_echo_t));
    self->base.ops = &s_echo_ops;
    self->engine = engine;
    self->server = server;
    return &self->base;
}

static void
s_echo_destroy (vb_sim_venue_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

static void
s_echo_http (vb_sim_venue_t *base, const vb_sim_request_t *request, vb_sim_response_t *response)
{
    s_echo_t *self = (s_echo_t *)base;
    self->http_calls++;
    if (strcmp (request->path, "/order") == 0) {
        vb_sim_order_req_t order = {
            .side = VB_SIM_BUY, .type = VB_SIM_LIMIT, .tif = VB_SIM_GTC, .price = 100, .qty = 1};
        vb_sim_order_t placed;
        vb_sim_result_t result = vb_sim_engine_place (
            self->engine, "demo", vb_sim_engine_instrument (self->engine, "BTC-USD"), &order,
            &placed);
        vb_sim_response_printf (response, 200, "{\"result\":%d}", (int)result);
        return;
    }
    //  The echo venue's own limit: /limited is always refused, /banned
    //  refuses and starts a ban, both with HTTP 200 as Kraken does.
    if (strcmp (request->path, "/limited") == 0 || strcmp (request->path, "/banned") == 0) {
        bool ban = strcmp (request->path, "/banned") == 0;
        vb_sim_count_violation (self->server, ban ? VB_SIM_VIOLATION_BAN : VB_SIM_VIOLATION_LIMIT);
        vb_sim_response_printf (response, 200, "{\"error\":[\"EAPI:Rate limit exceeded\"]}");
        return;
    }
    if (strcmp (request->path, "/orders") == 0) {
        size_t count = 0;
        while (vb_sim_engine_order_at (self->engine, "demo", NULL, false, count))
            count++;
        vb_sim_response_printf (response, 200, "{\"orders\":%zu,\"calls\":%d}", count,
                                self->http_calls);
        return;
    }
    const char *key = vb_sim_request_header (request, "x-mbx-apikey");
    vb_sim_response_printf (response, 200,
                            "{\"method\":\"%s\",\"path\":\"%s\",\"query\":\"%s\",\"body\":\"%s\","
                            "\"peer\":\"%s\",\"key\":\"%s\"}",
                            request->method, request->path, request->query, request->body,
                            request->peer, key ? key : "");
    vb_sim_response_header (response, "X-Echo", "yes");
}

static void
s_echo_error (vb_sim_venue_t *base, int status, vb_sim_response_t *response)
{
    (void)base;
    vb_sim_response_printf (response, status, "{\"code\":-1003,\"msg\":\"echo error %d\"}", status);
}

static int
s_echo_ws_open (vb_sim_venue_t *base, vb_sim_conn_t *conn, const char *path, const char *query)
{
    (void)base;
    (void)query;
    (void)conn;
    return strcmp (path, "/ws") == 0 ? 0 : -1;
}

//  "go N": send frames "0" .. "N-1" on stream "s"; "ctl": one control reply.
static void
s_echo_ws_message (vb_sim_venue_t *base, vb_sim_conn_t *conn, const char *text, size_t length)
{
    (void)base;
    (void)length;
    int count = 0;
    if (sscanf (text, "go %d", &count) == 1)
        for (int i = 0; i < count; i++) {
            char frame[32];
            int size = snprintf (frame, sizeof frame, "%d", i);
            vb_sim_conn_send (conn, "s", frame, (size_t)size);
        }
    else
        vb_sim_conn_send (conn, NULL, text, length);
}

static const vb_sim_venue_ops_t s_echo_ops = {
    .name = "echo",
    .instruments = s_echo_instruments,
    .create = s_echo_create,
    .destroy = s_echo_destroy,
    .http = s_echo_http,
    .ws_open = s_echo_ws_open,
    .ws_message = s_echo_ws_message,
    .error_response = s_echo_error,
};

//  ---------------------------------------------------------------------------
//  A running server on its own thread.

typedef struct {
    vb_clock_t *clock;
    vb_sim_engine_t *engine;
    vb_sim_server_t *server;
    pthread_t thread;
    volatile sig_atomic_t stop;
    int port;
    char base[64];
} s_sim_t;

static s_sim_t s_sim;

static void *
s_run (void *arg)
{
    s_sim_t *sim = arg;
    sim_server_run (sim->server, &sim->stop);
    return NULL;
}

static void
s_start (const sim_server_config_t *overrides)
{
    memset (&s_sim, 0, sizeof s_sim);
    s_sim.clock = vb_clock_new_system ();
    sim_engine_config_t flow = SIM_ENGINE_CONFIG_DEFAULT;
    flow.actions_per_s = 0;  //  A still market: only the test acts
    s_sim.engine = sim_engine_new (s_sim.clock, 1, &flow);
    cr_assert_not_null (s_sim.engine);
    cr_assert_eq (sim_engine_add_instrument (s_sim.engine, &s_instruments[0]), 0);
    cr_assert_eq (sim_engine_add_account (s_sim.engine, "demo"), 0);
    cr_assert_eq (sim_engine_credit (s_sim.engine, "demo", "USD", INT64_C (100000000000)), 0);
    sim_server_config_t config = overrides ? *overrides : SIM_SERVER_CONFIG_DEFAULT;
    s_sim.server = sim_server_new (&s_echo_ops, s_sim.engine, s_sim.clock, &config);
    cr_assert_not_null (s_sim.server);
    s_sim.port = sim_server_port (s_sim.server);
    cr_assert_gt (s_sim.port, 0);
    snprintf (s_sim.base, sizeof s_sim.base, "http://127.0.0.1:%d", s_sim.port);
    cr_assert_eq (pthread_create (&s_sim.thread, NULL, s_run, &s_sim), 0);
}

static void
s_stop (void)
{
    s_sim.stop = 1;
    pthread_join (s_sim.thread, NULL);
    sim_server_destroy (&s_sim.server);
    sim_engine_destroy (&s_sim.engine);
    vb_clock_destroy (&s_sim.clock);
}

static long
s_request (const char *method, const char *path, const char *body, vbt_http_response_t *response)
{
    char url[256];
    snprintf (url, sizeof url, "%s%s", s_sim.base, path);
    if (vbt_http_request (method, url, NULL, body, WAIT_MS, response) != 0)
        return -1;
    return response->status;
}

static vbt_ws_t *
s_ws (void)
{
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", s_sim.port, "/ws", WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade status %d", status);
    return ws;
}

//  Receive frames until QUIET_MS of silence, concatenated with ',' into out.
static void
s_collect (vbt_ws_t *ws, char *out, size_t size)
{
    out[0] = '\0';
    const char *text;
    size_t length;
    while (vbt_ws_recv (ws, QUIET_MS, &text, &length) == VBT_WS_TEXT) {
        if (out[0])
            strncat (out, ",", size - strlen (out) - 1);
        strncat (out, text, size - strlen (out) - 1);
    }
}

static void
s_fault (const char *body)
{
    vbt_http_response_t response;
    cr_assert_eq (s_request ("POST", "/_sim/faults", body, &response), 200, "%s",
                  response.body ? response.body : "");
    vbt_http_response_free (&response);
}

//  ---------------------------------------------------------------------------

Test (sim_server, hands_requests_to_the_personality_and_writes_its_response)
{
    s_start (NULL);
    char url[256];
    snprintf (url, sizeof url, "%s/api/v3/thing?symbol=BTCUSDT&x=a%%2Fb", s_sim.base);
    const char *headers[] = {"X-MBX-APIKEY: k123", NULL};
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("POST", url, headers, "a=1&b=2", WAIT_MS, &response), 0);
    cr_assert_eq (response.status, 200);
    cr_assert_str_eq (response.body,
                      "{\"method\":\"POST\",\"path\":\"/api/v3/thing\",\"query\":"
                      "\"symbol=BTCUSDT&x=a%2Fb\",\"body\":\"a=1&b=2\",\"peer\":\"127.0.0.1\","
                      "\"key\":\"k123\"}");
    char value[64];
    cr_assert_eq (vbt_http_header (&response, "X-Echo", value, sizeof value), 0);
    cr_assert_str_eq (value, "yes");
    cr_assert_eq (vbt_http_header (&response, "Content-Type", value, sizeof value), 0);
    cr_assert_str_eq (value, "application/json");
    vbt_http_response_free (&response);
    s_stop ();
}

Test (sim_server, lists_sets_and_clears_faults)
{
    s_start (NULL);
    vbt_http_response_t response;
    cr_assert_eq (s_request ("GET", "/_sim/faults", NULL, &response), 200);
    cr_assert_str_eq (response.body, "{\"faults\":[]}");
    vbt_http_response_free (&response);
    s_fault ("{\"fault\":\"drop\",\"count\":3,\"stream\":\"s\"}");
    cr_assert_eq (s_request ("GET", "/_sim/faults", NULL, &response), 200);
    cr_assert_str_eq (response.body,
                      "{\"faults\":[{\"fault\":\"drop\",\"stream\":\"s\",\"count\":3,"
                      "\"status\":0,\"ms\":0}]}");
    vbt_http_response_free (&response);
    cr_assert_eq (s_request ("DELETE", "/_sim/faults", NULL, &response), 200);
    vbt_http_response_free (&response);
    cr_assert_eq (s_request ("GET", "/_sim/faults", NULL, &response), 200);
    cr_assert_str_eq (response.body, "{\"faults\":[]}");
    vbt_http_response_free (&response);
    s_stop ();
}

Test (sim_server, refuses_bad_fault_bodies_with_400_and_a_reason)
{
    s_start (NULL);
    const char *bodies[] = {"",
                            "not json",
                            "[]",
                            "{\"fault\":\"dorp\"}",
                            "{\"count\":1}",
                            "{\"fault\":\"drop\",\"count\":-1}",
                            "{\"fault\":\"http_status\"}",
                            "{\"fault\":\"latency\"}",
                            "{\"fault\":\"drop\",\"colour\":1}",
                            "{\"fault\":\"drop\",\"count\":\"2\"}",
                            "{\"fault\":\"drop\""};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        vbt_http_response_t response;
        cr_assert_eq (s_request ("POST", "/_sim/faults", bodies[i], &response), 400, "body %s",
                      bodies[i]);
        cr_assert (strncmp (response.body, "{\"error\":\"", 10) == 0, "%s", response.body);
        vbt_http_response_free (&response);
    }
    s_stop ();
}

Test (sim_server, drops_duplicates_reorders_and_gaps_stream_frames)
{
    s_start (NULL);
    vbt_ws_t *ws = s_ws ();
    char got[512];
    s_fault ("{\"fault\":\"drop\",\"count\":2,\"stream\":\"s\"}");
    cr_assert_eq (vbt_ws_send_text (ws, "go 4", 4), 0);
    s_collect (ws, got, sizeof got);
    cr_assert_str_eq (got, "2,3");
    s_fault ("{\"fault\":\"duplicate\",\"stream\":\"*\"}");
    cr_assert_eq (vbt_ws_send_text (ws, "go 3", 4), 0);
    s_collect (ws, got, sizeof got);
    cr_assert_str_eq (got, "0,0,1,2");
    s_fault ("{\"fault\":\"reorder\",\"stream\":\"s\"}");
    cr_assert_eq (vbt_ws_send_text (ws, "go 3", 4), 0);
    s_collect (ws, got, sizeof got);
    cr_assert_str_eq (got, "1,0,2");
    s_fault ("{\"fault\":\"gap\",\"count\":2,\"stream\":\"s\"}");
    cr_assert_eq (vbt_ws_send_text (ws, "go 5", 4), 0);
    s_collect (ws, got, sizeof got);
    cr_assert_str_eq (got, "1,3,4");
    //  Faults on another stream, or control replies, leave frames alone.
    s_fault ("{\"fault\":\"drop\",\"stream\":\"other\"}");
    cr_assert_eq (vbt_ws_send_text (ws, "go 2", 4), 0);
    cr_assert_eq (vbt_ws_send_text (ws, "ctl", 3), 0);
    s_collect (ws, got, sizeof got);
    cr_assert_str_eq (got, "0,1,ctl");
    vbt_ws_destroy (&ws);
    s_stop ();
}

Test (sim_server, stalls_a_stream_then_releases_it_in_order)
{
    s_start (NULL);
    vbt_ws_t *ws = s_ws ();
    char got[512];
    s_fault ("{\"fault\":\"stall\",\"stream\":\"s\",\"ms\":400}");
    cr_assert_eq (vbt_ws_send_text (ws, "go 3", 4), 0);
    const char *text;
    size_t length;
    //  Nothing during the stall (200 ms of it), everything after.
    cr_assert_eq (vbt_ws_recv (ws, 200, &text, &length), VBT_WS_TIMEOUT);
    s_collect (ws, got, sizeof got);
    cr_assert_str_eq (got, "0,1,2");
    vbt_ws_destroy (&ws);
    s_stop ();
}

Test (sim_server, disconnect_closes_websocket_clients)
{
    s_start (NULL);
    vbt_ws_t *ws = s_ws ();
    s_fault ("{\"fault\":\"disconnect\"}");
    const char *text;
    size_t length;
    cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_CLOSED);
    vbt_ws_destroy (&ws);
    s_stop ();
}

Test (sim_server, http_status_fault_answers_with_the_venue_error_and_retry_after)
{
    s_start (NULL);
    s_fault ("{\"fault\":\"http_status\",\"status\":429,\"count\":2,\"ms\":1500}");
    for (int i = 0; i < 2; i++) {
        vbt_http_response_t response;
        cr_assert_eq (s_request ("GET", "/api/v3/ping", NULL, &response), 429);
        cr_assert_str_eq (response.body, "{\"code\":-1003,\"msg\":\"echo error 429\"}");
        char value[32];
        cr_assert_eq (vbt_http_header (&response, "Retry-After", value, sizeof value), 0);
        cr_assert_str_eq (value, "2");  //  1500 ms rounded up to whole seconds
        vbt_http_response_free (&response);
    }
    vbt_http_response_t response;
    cr_assert_eq (s_request ("GET", "/orders", NULL, &response), 200);
    //  The two faulted requests never reached the personality.
    cr_assert_str_eq (response.body, "{\"orders\":0,\"calls\":1}");
    vbt_http_response_free (&response);
    s_stop ();
}

Test (sim_server, accept_timeout_executes_the_order_and_withholds_the_answer)
{
    s_start (NULL);
    s_fault ("{\"fault\":\"accept_timeout\",\"ms\":100}");
    vbt_http_response_t response;
    //  A request that places no order is answered as usual.
    cr_assert_eq (s_request ("GET", "/orders", NULL, &response), 200);
    vbt_http_response_free (&response);
    cr_assert_eq (s_request ("POST", "/order", NULL, &response), -1);
    cr_assert_eq (s_request ("GET", "/orders", NULL, &response), 200);
    cr_assert_str_eq (response.body, "{\"orders\":1,\"calls\":3}");
    vbt_http_response_free (&response);
    s_stop ();
}

Test (sim_server, latency_fault_delays_the_response)
{
    s_start (NULL);
    s_fault ("{\"fault\":\"latency\",\"ms\":300,\"count\":1}");
    struct timespec start, end;
    clock_gettime (CLOCK_MONOTONIC, &start);
    vbt_http_response_t response;
    cr_assert_eq (s_request ("GET", "/x", NULL, &response), 200);
    clock_gettime (CLOCK_MONOTONIC, &end);
    vbt_http_response_free (&response);
    int64_t elapsed_ms =
        (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
    cr_assert_geq (elapsed_ms, 300);
    s_stop ();
}

Test (sim_server, refused_upgrade_gets_404_and_big_body_gets_413)
{
    sim_server_config_t config = SIM_SERVER_CONFIG_DEFAULT;
    config.http_body_max = 1024;
    s_start (&config);
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", s_sim.port, "/nope", WAIT_MS, &status);
    cr_assert_null (ws);
    cr_assert_eq (status, 404);
    char body[4096];
    memset (body, 'a', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    vbt_http_response_t response;
    cr_assert_eq (s_request ("POST", "/x", body, &response), 413);
    vbt_http_response_free (&response);
    s_stop ();
}

Test (sim_server, pings_clients_and_drops_those_that_never_pong)
{
    sim_server_config_t config = SIM_SERVER_CONFIG_DEFAULT;
    config.ws_ping_ms = 50;
    config.ws_pong_timeout_ms = 200;
    s_start (&config);
    vbt_ws_t *ws = s_ws ();
    vbt_ws_set_auto_pong (ws, false);
    const char *text;
    size_t length;
    cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_CLOSED);
    cr_assert_geq (vbt_ws_pings (ws), 2);
    vbt_ws_destroy (&ws);
    s_stop ();
}

Test (sim_server, closes_connections_at_the_end_of_their_lifetime)
{
    sim_server_config_t config = SIM_SERVER_CONFIG_DEFAULT;
    config.ws_lifetime_ms = 200;
    s_start (&config);
    vbt_ws_t *ws = s_ws ();
    const char *text;
    size_t length;
    cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_CLOSED);
    vbt_ws_destroy (&ws);
    s_stop ();
}

Test (sim_server, listens_on_extra_ports_with_the_same_state)
{
    sim_server_config_t config = SIM_SERVER_CONFIG_DEFAULT;
    config.extra_ports = 2;
    s_start (&config);
    cr_assert_eq (sim_server_port_count (s_sim.server), 3);
    cr_assert_eq (sim_server_port_at (s_sim.server, 0), s_sim.port);
    cr_assert_eq (sim_server_port_at (s_sim.server, 3), -1);
    int extra = sim_server_port_at (s_sim.server, 2);
    cr_assert (extra > 0 && extra != s_sim.port && extra != sim_server_port_at (s_sim.server, 1));
    char url[256];
    vbt_http_response_t response;
    //  An order through the main port is seen through the last one.
    cr_assert_eq (s_request ("POST", "/order", NULL, &response), 200);
    vbt_http_response_free (&response);
    snprintf (url, sizeof url, "http://127.0.0.1:%d/orders", extra);
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, WAIT_MS, &response), 0);
    cr_assert_str_eq (response.body, "{\"orders\":1,\"calls\":2}");
    vbt_http_response_free (&response);
    //  A fault for the last port leaves the main one alone.
    char body[128];
    snprintf (body, sizeof body, "{\"fault\":\"http_status\",\"status\":503,\"port\":%d}", extra);
    s_fault (body);
    cr_assert_eq (s_request ("GET", "/x", NULL, &response), 200);
    vbt_http_response_free (&response);
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, WAIT_MS, &response), 0);
    cr_assert_eq (response.status, 503);
    vbt_http_response_free (&response);
    s_stop ();
}

Test (sim_server, counts_the_personalitys_limit_violations_not_injected_statuses)
{
    s_start (NULL);
    vbt_http_response_t response;
    s_fault ("{\"fault\":\"http_status\",\"status\":429}");
    cr_assert_eq (s_request ("GET", "/limited", NULL, &response), 429);
    vbt_http_response_free (&response);
    cr_assert_eq (s_request ("GET", "/limited", NULL, &response), 200);
    vbt_http_response_free (&response);
    cr_assert_eq (s_request ("GET", "/banned", NULL, &response), 200);
    vbt_http_response_free (&response);
    cr_assert_eq (s_request ("POST", "/order", NULL, &response), 200);
    vbt_http_response_free (&response);
    char expected[512];
    snprintf (expected, sizeof expected,
              "{\"requests\":4,\"limit_violations\":2,\"bans\":1,\"orders_placed\":1,"
              "\"orders_rejected\":0,\"injected_statuses\":1,\"ws_messages\":0,"
              "\"ports\":[{\"port\":%d,\"requests\":4}]}",
              s_sim.port);
    cr_assert_eq (s_request ("GET", "/_sim/stats", NULL, &response), 200);
    cr_assert_str_eq (response.body, expected);
    vbt_http_response_free (&response);
    cr_assert_eq (s_request ("DELETE", "/_sim/stats", NULL, &response), 200);
    snprintf (expected, sizeof expected,
              "{\"ok\":true,\"requests\":0,\"limit_violations\":0,\"bans\":0,"
              "\"orders_placed\":0,\"orders_rejected\":0,\"injected_statuses\":0,"
              "\"ws_messages\":0,\"ports\":[{\"port\":%d,\"requests\":0}]}",
              s_sim.port);
    cr_assert_str_eq (response.body, expected);
    vbt_http_response_free (&response);
    s_stop ();
}
