/*  test_sim.c — the real venuebus-sim process: the ready line, the fault
    endpoint, an unknown venue, and a clean stop on SIGTERM, for every venue;
    /metrics and /healthz at --metrics, counting what the test made the venue
    do. (Each personality's protocol is tested beside it in venues/.)
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vb_hmac.h"
#include "vbt_http.h"
#include "vbt_proc.h"
#include "vbt_ws.h"

#define WAIT_MS   10000
#define STOP_MS   5000
#define URL_MAX   4096
#define MS_PER_S  1000
#define NS_PER_MS 1000000
//  Binance keys are 64 characters
#define METRICS_KEY    "vbMetricsKey0123456789abcdefABCDEF0123456789abcdefghijklmnopqrst"
#define METRICS_SECRET "vbMetricsSecret0123456789"
//  Binance's order-rate limit: 50 new orders per 10 s (venues.md 1.6), so
//  the 51st in a burst is refused with -1015; a burst of 101 always meets it.
#define METRICS_ORDERS_10S   50
#define METRICS_ORDERS_BURST (2 * METRICS_ORDERS_10S + 1)

//  Without any venue personality there is no venuebus-sim to test.
#ifndef VB_SIM_BIN
#define VB_SIM_BIN ""
#endif
#define SKIP_WITHOUT_SIM()                                                                         \
    do {                                                                                           \
        if (!*VB_SIM_BIN)                                                                          \
            cr_skip_test ("venuebus-sim is not built");                                            \
    } while (0)

static const char *const s_venues[] = {"binance", "kraken"};

static char *const s_env[] = {"VB_SIM_API_KEY=integration-key",
                              "VB_SIM_API_SECRET=aW50ZWdyYXRpb24tc2VjcmV0", NULL};

typedef struct {
    vbt_proc_t *proc;
    char base[64];
} s_sim_t;

static void
s_start (s_sim_t *sim, const char *venue)
{
    char *argv[] = {VB_SIM_BIN, "--venue", (char *)venue, "--port", "0", "--seed", "7", NULL};
    sim->proc = vbt_proc_start (VB_SIM_BIN, argv, s_env);
    cr_assert_not_null (sim->proc);
    char line[256], port[16], named[32];
    cr_assert_eq (vbt_proc_wait_line (sim->proc, "ready ", WAIT_MS, line, sizeof line), 0,
                  "%s never said ready; stderr: %s", venue, vbt_proc_stderr (sim->proc));
    cr_assert_eq (vbt_line_value (line, "venue", named, sizeof named), 0);
    cr_assert_str_eq (named, venue);
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    cr_assert_gt (atoi (port), 0);
    snprintf (sim->base, sizeof sim->base, "http://127.0.0.1:%s", port);
}

static long
s_request (s_sim_t *sim, const char *method, const char *body, char *out, size_t size)
{
    char url[128];
    snprintf (url, sizeof url, "%s/_sim/faults", sim->base);
    vbt_http_response_t response;
    if (vbt_http_request (method, url, NULL, body, WAIT_MS, &response) != 0)
        return -1;
    snprintf (out, size, "%s", response.body);
    long status = response.status;
    vbt_http_response_free (&response);
    return status;
}

Test (sim_process, serves_the_fault_endpoint_and_stops_on_sigterm)
{
    SKIP_WITHOUT_SIM ();
    for (size_t i = 0; i < sizeof s_venues / sizeof s_venues[0]; i++) {
        s_sim_t sim;
        s_start (&sim, s_venues[i]);
        char body[1024];
        cr_assert_eq (s_request (&sim, "GET", NULL, body, sizeof body), 200);
        cr_assert_str_eq (body, "{\"faults\":[]}");
        cr_assert_eq (s_request (&sim, "POST",
                                 "{\"fault\":\"http_status\",\"status\":503,\"count\":2}", body,
                                 sizeof body),
                      200, "%s", body);
        cr_assert_eq (s_request (&sim, "GET", NULL, body, sizeof body), 200);
        cr_assert_str_eq (body, "{\"faults\":[{\"fault\":\"http_status\",\"stream\":\"*\","
                                "\"count\":2,\"status\":503,\"ms\":0}]}");
        //  A fault that names no known kind is refused with a reason.
        cr_assert_eq (s_request (&sim, "POST", "{\"fault\":\"explode\"}", body, sizeof body), 400);
        cr_assert_str_eq (body, "{\"error\":\"unknown fault 'explode'\"}");
        cr_assert_eq (s_request (&sim, "POST", "{\"fault\":\"clear\"}", body, sizeof body), 200);
        cr_assert_eq (s_request (&sim, "GET", NULL, body, sizeof body), 200);
        cr_assert_str_eq (body, "{\"faults\":[]}");
        //  The demo secret never reaches the log.
        cr_assert_null (strstr (vbt_proc_stderr (sim.proc), "aW50ZWdyYXRpb24tc2VjcmV0"));
        cr_assert_eq (vbt_proc_stop (&sim.proc, STOP_MS), 0, "%s did not exit 0 on SIGTERM",
                      s_venues[i]);
    }
}

Test (sim_process, refuses_an_unknown_venue_by_name)
{
    SKIP_WITHOUT_SIM ();
    char *argv[] = {VB_SIM_BIN, "--venue", "nosuchvenue", "--port", "0", NULL};
    vbt_proc_t *proc = vbt_proc_start (VB_SIM_BIN, argv, NULL);
    cr_assert_not_null (proc);
    int status = vbt_proc_wait_exit (proc, WAIT_MS);
    cr_assert (status > 0 && status < 128, "exit status %d", status);
    cr_assert_not_null (strstr (vbt_proc_stderr (proc), "nosuchvenue"), "%s",
                        vbt_proc_stderr (proc));
    vbt_proc_stop (&proc, STOP_MS);
}

Test (sim_process, refuses_a_bad_accounts_file)
{
    SKIP_WITHOUT_SIM ();
    char path[] = "/tmp/test_sim_accounts_XXXXXX";
    int fd = mkstemp (path);
    cr_assert_geq (fd, 0);
    const char text[] = "account\n    alice\n        balances = \"BTC:ten\"\n";
    cr_assert_eq (write (fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close (fd);
    char *argv[] = {VB_SIM_BIN, "--venue", "binance", "--port", "0", "--accounts", path, NULL};
    vbt_proc_t *proc = vbt_proc_start (VB_SIM_BIN, argv, NULL);
    cr_assert_not_null (proc);
    int status = vbt_proc_wait_exit (proc, WAIT_MS);
    unlink (path);
    cr_assert (status > 0 && status < 128, "exit status %d", status);
    cr_assert_not_null (strstr (vbt_proc_stderr (proc), "BTC:ten"), "%s", vbt_proc_stderr (proc));
    vbt_proc_stop (&proc, STOP_MS);
}

//  --------------------------------------------------------------------------
//  /metrics and /healthz

typedef struct {
    vbt_proc_t *proc;
    int port;           //  Venue port
    char metrics[128];  //  HOST:PORT of /metrics
} s_metrics_sim_t;

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * MS_PER_S + now.tv_nsec / NS_PER_MS;
}

//  One request on the venue port; returns the status, body in *response.
static long
s_venue (s_metrics_sim_t *sim, const char *method, const char *path, const char *const *headers,
         const char *body, vbt_http_response_t *response)
{
    char url[2 * URL_MAX];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", sim->port, path);
    cr_assert_eq (vbt_http_request (method, url, headers, body, WAIT_MS, response), 0, "%s", url);
    return response->status;
}

//  A Binance signed request: HMAC-SHA256 hex of the query (venues.md 1.5).
static long
s_signed (s_metrics_sim_t *sim, const char *method, const char *path, const char *params,
          vbt_http_response_t *response)
{
    char query[URL_MAX];
    snprintf (query, sizeof query, "%s&timestamp=%" PRId64, params, s_now_ms ());
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, METRICS_SECRET, strlen (METRICS_SECRET));
    char signature[VB_HEX_SIZE (VB_SHA256_SIZE)];
    cr_assert_eq (vb_hmac_sign_hex (signer, query, strlen (query), signature, sizeof signature),
                  64);
    vb_hmac_destroy (&signer);
    char target[2 * URL_MAX];
    snprintf (target, sizeof target, "%s?%s&signature=%s", path, query, signature);
    const char *headers[] = {"X-MBX-APIKEY: " METRICS_KEY, NULL};
    return s_venue (sim, method, target, headers, NULL, response);
}

//  GET a path of the metrics server; returns the status, body in *response.
static long
s_scrape (s_metrics_sim_t *sim, const char *path, vbt_http_response_t *response)
{
    char url[256];
    snprintf (url, sizeof url, "http://%s%s", sim->metrics, path);
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, WAIT_MS, response), 0, "%s", url);
    return response->status;
}

//  The value of one sample line "series value" in an exposition.
static int64_t
s_sample (const char *exposition, const char *series)
{
    size_t length = strlen (series);
    for (const char *line = exposition; line && *line; line = strchr (line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp (line, series, length) == 0 && line[length] == ' ')
            return strtoll (line + length + 1, NULL, 10);
    }
    cr_assert_fail ("no sample %s in:\n%s", series, exposition);
    return -1;
}

Test (sim_process, serves_metrics_and_healthz_counting_what_clients_did)
{
    SKIP_WITHOUT_SIM ();
    s_metrics_sim_t sim;
    char *env[] = {"VB_SIM_API_KEY=" METRICS_KEY, "VB_SIM_API_SECRET=" METRICS_SECRET, NULL};
    char *argv[] = {VB_SIM_BIN, "--venue",   "binance",     "--port",
                    "0",        "--metrics", "127.0.0.1:0", NULL};
    sim.proc = vbt_proc_start (VB_SIM_BIN, argv, env);
    cr_assert_not_null (sim.proc);
    char line[512], value[128];
    //  The bound address is logged before the ready line (port 0 works).
    cr_assert_eq (vbt_proc_wait_line (sim.proc, "ready ", WAIT_MS, line, sizeof line), 0,
                  "never ready; stderr: %s", vbt_proc_stderr (sim.proc));
    cr_assert_eq (vbt_line_value (line, "port", value, sizeof value), 0);
    sim.port = atoi (value);
    cr_assert_eq (vbt_proc_wait_stderr_line (sim.proc, "metrics listening address=", WAIT_MS, line,
                                             sizeof line),
                  0, "%s", vbt_proc_stderr (sim.proc));
    cr_assert_eq (vbt_line_value (line, "address", sim.metrics, sizeof sim.metrics), 0);
    cr_assert (strncmp (sim.metrics, "127.0.0.1:", 10) == 0 && atoi (sim.metrics + 10) > 0, "%s",
               sim.metrics);

    //  Healthy once serving.
    vbt_http_response_t response;
    cr_assert_eq (s_scrape (&sim, "/healthz", &response), 200, "%s", response.body);
    cr_assert_str_eq (response.body, "ok\n");
    vbt_http_response_free (&response);

    //  What the test makes the venue do, counted by hand as it goes.
    int64_t requests = 0, placed = 0, rejected = 0, violations = 0;
    cr_assert_eq (s_venue (&sim, "GET", "/api/v3/ping", NULL, NULL, &response), 200);
    vbt_http_response_free (&response);
    requests++;
    //  One injected 503: a request and an injected status, no violation.
    cr_assert_eq (s_venue (&sim, "POST", "/_sim/faults", NULL,
                           "{\"fault\":\"http_status\",\"status\":503}", &response),
                  200, "%s", response.body);
    vbt_http_response_free (&response);
    cr_assert_eq (s_venue (&sim, "GET", "/api/v3/ping", NULL, NULL, &response), 503);
    vbt_http_response_free (&response);
    requests++;
    //  5000 BTC at 1000 = 5,000,000 USDT: more than the demo's 1,000,000.
    cr_assert_eq (s_signed (&sim, "POST", "/api/v3/order",
                            "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=5000&"
                            "price=1000.00",
                            &response),
                  400, "%s", response.body);
    vbt_http_response_free (&response);
    requests++;
    rejected++;
    //  Orders far below the market (they rest) until the venue refuses one
    //  with -1015: one limit violation, no ban.
    for (int order = 0; order < METRICS_ORDERS_BURST && violations == 0; order++) {
        long status = s_signed (&sim, "POST", "/api/v3/order",
                                "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&"
                                "quantity=0.01000&price=1000.00",
                                &response);
        requests++;
        if (status == 429) {
            cr_assert (strstr (response.body, "{\"code\":-1015,"), "%s", response.body);
            violations++;
        } else {
            cr_assert_eq (status, 200, "%s", response.body);
            placed++;
        }
        vbt_http_response_free (&response);
    }
    cr_assert_eq (violations, 1, "no -1015 within %d orders", METRICS_ORDERS_BURST);
    //  Two WS messages, each answered before the next is read.
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim.port, "/ws", WAIT_MS, NULL);
    cr_assert_not_null (ws);
    const char *requests_ws[] = {"{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1}",
                                 "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":2}"};
    for (size_t i = 0; i < sizeof requests_ws / sizeof requests_ws[0]; i++) {
        cr_assert_eq (vbt_ws_send_text (ws, requests_ws[i], strlen (requests_ws[i])), 0);
        const char *text;
        size_t length;
        cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
        cr_assert (strstr (text, "\"result\":[]"), "%.*s", (int)length, text);
    }
    vbt_ws_destroy (&ws);
    //  Two faults in force (the 503 was used up).
    cr_assert_eq (s_venue (&sim, "POST", "/_sim/faults", NULL,
                           "{\"fault\":\"drop\",\"stream\":\"btcusdt@trade\",\"count\":3}",
                           &response),
                  200, "%s", response.body);
    vbt_http_response_free (&response);
    cr_assert_eq (s_venue (&sim, "POST", "/_sim/faults", NULL,
                           "{\"fault\":\"duplicate\",\"stream\":\"btcusdt@depth\",\"count\":2}",
                           &response),
                  200, "%s", response.body);
    vbt_http_response_free (&response);

    cr_assert_eq (s_scrape (&sim, "/metrics", &response), 200, "%s", response.body);
    char content_type[128];
    cr_assert_eq (vbt_http_header (&response, "Content-Type", content_type, sizeof content_type),
                  0);
    cr_assert (strncmp (content_type, "text/plain; version=0.0.4", 25) == 0, "%s", content_type);
    const char *text = response.body;
    cr_assert (strstr (text, "# TYPE venuebus_sim_requests_total counter\n"), "%s", text);
    cr_assert (strstr (text, "# TYPE venuebus_sim_faults_active gauge\n"), "%s", text);
    cr_assert_eq (s_sample (text, "venuebus_sim_requests_total{venue=\"binance\"}"), requests);
    cr_assert_eq (s_sample (text, "venuebus_sim_limit_violations_total{venue=\"binance\"}"), 1);
    cr_assert_eq (s_sample (text, "venuebus_sim_bans_total{venue=\"binance\"}"), 0);
    cr_assert_eq (s_sample (text, "venuebus_sim_orders_placed_total{venue=\"binance\"}"), placed);
    cr_assert_eq (s_sample (text, "venuebus_sim_orders_rejected_total{venue=\"binance\"}"),
                  rejected);
    cr_assert_eq (s_sample (text, "venuebus_sim_ws_messages_total{venue=\"binance\"}"), 2);
    cr_assert_eq (s_sample (text, "venuebus_sim_injected_statuses_total{venue=\"binance\"}"), 1);
    cr_assert_eq (s_sample (text, "venuebus_sim_faults_active{venue=\"binance\"}"), 2);
    cr_assert_eq (s_sample (text, "venuebus_up{service=\"sim\"}"), 1);
    cr_assert_eq (s_sample (text, "venuebus_healthy{service=\"sim\"}"), 1);
    //  Started no later than now (whole seconds).
    int64_t started = s_sample (text, "process_start_time_seconds");
    cr_assert (started > 0 && started <= s_now_ms () / MS_PER_S, "%" PRId64, started);
    vbt_http_response_free (&response);

    //  DELETE /_sim/stats zeroes the stats, never a Prometheus counter;
    //  clearing the faults empties the gauge.
    cr_assert_eq (s_venue (&sim, "DELETE", "/_sim/stats", NULL, NULL, &response), 200);
    vbt_http_response_free (&response);
    cr_assert_eq (s_venue (&sim, "DELETE", "/_sim/faults", NULL, NULL, &response), 200);
    vbt_http_response_free (&response);
    cr_assert_eq (s_scrape (&sim, "/metrics", &response), 200);
    cr_assert_eq (s_sample (response.body, "venuebus_sim_requests_total{venue=\"binance\"}"),
                  requests);
    cr_assert_eq (s_sample (response.body, "venuebus_sim_orders_placed_total{venue=\"binance\"}"),
                  placed);
    cr_assert_eq (s_sample (response.body, "venuebus_sim_faults_active{venue=\"binance\"}"), 0);
    vbt_http_response_free (&response);
    cr_assert_eq (s_scrape (&sim, "/nothing", &response), 404);
    vbt_http_response_free (&response);
    cr_assert_eq (vbt_proc_stop (&sim.proc, STOP_MS), 0, "did not exit 0 on SIGTERM");
}

Test (sim_process, refuses_a_metrics_address_it_cannot_use)
{
    SKIP_WITHOUT_SIM ();
    char *argv[] = {VB_SIM_BIN, "--venue",   "binance",    "--port",
                    "0",        "--metrics", "nohostport", NULL};
    vbt_proc_t *proc = vbt_proc_start (VB_SIM_BIN, argv, NULL);
    cr_assert_not_null (proc);
    int status = vbt_proc_wait_exit (proc, WAIT_MS);
    cr_assert (status > 0 && status < 128, "exit status %d", status);
    cr_assert_not_null (strstr (vbt_proc_stderr (proc), "key=sim/metrics address=nohostport"), "%s",
                        vbt_proc_stderr (proc));
    vbt_proc_stop (&proc, STOP_MS);
}
