/*  test_prometheus.c — Debian's real Prometheus scrapes a running stack.

    Starts venuebus-bus, venuebus-sim (binance), venuebus-gateway and
    venuebus-router (the latter two on that sim), each with --metrics on
    port 0, reads the addresses they bound from their logs, writes a
    prometheus.yml with static targets at those addresses (1 s scrapes) and
    the repository's alerting rules (ops/alerts.yml), and runs
    /usr/bin/prometheus on a free loopback port. Prometheus's own HTTP API
    must then show every target up, the rule groups loaded and healthy,
    and the key series present: venuebus_up for each service, the
    router's open orders and rate-limit usage, the gateway's messages in
    and its book state, the bus's frames in (a SUB on the bus backend makes
    the frames flow, as a strategy would). The sim serves no /metrics
    yet, so it is not a target. Expected values come from the metric
    contracts (DESIGN.md section 3, rt_metrics.h, gw_metrics.h, the bus
    README), not from a previous run: venuebus_up is 1 while a service
    runs; a SYNCED book has book_state 1.
    A second test checks ops/alerts.yml with promtool (syntax and the
    rule unit tests in ops/alerts_test.yml).
    SPDX-License-Identifier: MPL-2.0
*/
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <czmq.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vb_json.h"
#include "vbt_http.h"
#include "vbt_proc.h"
#include "vbt_router.h"

#define PROMETHEUS_BIN "/usr/bin/prometheus"
#define PROMTOOL_BIN   "/usr/bin/promtool"

#define WAIT_MS      20000       //  Start-up of one of our services
#define SCRAPE_MS    60000       //  Prometheus up, targets scraped, series present
#define STOP_MS      15000       //  SIGTERM to exit
#define HTTP_MS      3000        //  One API request
#define POLL_PAUSE_S 0           //  Pause between polls: seconds part
#define POLL_PAUSE_N 200000000L  //  ... and nanoseconds (200 ms)
#define LINE_MAX_    512         //  One log or ready line
#define ADDRESS_MAX  128         //  An endpoint or HOST:PORT
#define PATH_MAX_    512         //  A file path
#define URL_MAX      1024        //  An API URL with its query

//  This file's path ends with this; what comes before is the source tree.
#define SELF_SUFFIX "tests/integration/test_prometheus.c"

//  The scrape jobs, as compose's ops/prometheus.yml names them.
static const char *const s_jobs[] = {"venuebus-bus", "venuebus-gateway", "venuebus-router"};
#define JOB_COUNT (sizeof (s_jobs) / sizeof (s_jobs[0]))

//  --------------------------------------------------------------------------
//  The source tree's root (from __FILE__, which CMake passes absolute).

static void
s_source_root (char *root, size_t size)
{
    const char *self = __FILE__;
    size_t length = strlen (self);
    size_t suffix = strlen (SELF_SUFFIX);
    cr_assert (self[0] == '/' && length > suffix && streq (self + length - suffix, SELF_SUFFIX),
               "cannot locate the source tree from %s", self);
    cr_assert_lt (length - suffix, size);
    memcpy (root, self, length - suffix);
    root[length - suffix] = '\0';
}

//  --------------------------------------------------------------------------
//  A loopback TCP port nobody listens on now: bind port 0, read it, close.

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    cr_assert_geq (fd, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    cr_assert_eq (bind (fd, (struct sockaddr *)&address, sizeof (address)), 0);
    socklen_t length = sizeof (address);
    cr_assert_eq (getsockname (fd, (struct sockaddr *)&address, &length), 0);
    close (fd);
    return ntohs (address.sin_port);
}

//  --------------------------------------------------------------------------
//  Short pause inside a bounded poll loop (not a synchronisation sleep).

static void
s_pause (void)
{
    struct timespec pause = {.tv_sec = POLL_PAUSE_S, .tv_nsec = POLL_PAUSE_N};
    nanosleep (&pause, NULL);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  --------------------------------------------------------------------------
//  The HOST:PORT a service logged after `text` ("... address=HOST:PORT").
//  The line may already have been read while waiting for another one, so
//  the whole stderr so far is searched first.

static void
s_logged_address (vbt_proc_t *proc, const char *text, char *address, size_t size)
{
    char line[LINE_MAX_];
    const char *seen = strstr (vbt_proc_stderr (proc), text);
    if (seen) {
        const char *end = strchr (seen, '\n');
        size_t length = end ? (size_t)(end - seen) : strlen (seen);
        cr_assert_lt (length, sizeof (line));
        memcpy (line, seen, length);
        line[length] = '\0';
    } else
        cr_assert_eq (vbt_proc_wait_stderr_line (proc, text, WAIT_MS, line, sizeof (line)), 0,
                      "no '%s' in: %s", text, vbt_proc_stderr (proc));
    cr_assert_eq (vbt_line_value (line, "address", address, size), 0, "%s", line);
    cr_assert_neq (strstr (address, "127.0.0.1:"), NULL, "%s", address);
}

//  --------------------------------------------------------------------------
//  GET a Prometheus API URL and parse it; returns 0 with *data set when the
//  answer is 200 with "status":"success", else -1 (the stack may still be
//  starting). The response is kept in *response until the next call.

static int
s_api (vb_json_t *json, const char *url, vbt_http_response_t *response, vb_json_val_t *data)
{
    vbt_http_response_free (response);
    if (vbt_http_request ("GET", url, NULL, NULL, HTTP_MS, response) != 0)
        return -1;
    //  A malformed query is the test's fault: no point in waiting
    cr_assert_neq (response->status, 400, "%s: %s", url, response->body);
    if (response->status != 200)
        return -1;
    vb_json_val_t root;
    cr_assert_eq (vb_json_parse (json, response->body, response->body_length, &root), 0,
                  "Prometheus answered no JSON: %s", response->body);
    //  {"status":"success","data":{...}}, fields read in document order
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_object_begin (&root, &iter), 0);
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    bool success = false;
    bool have_data = false;
    while (vb_json_object_next (&iter, &key, &key_length, &value) == 1) {
        const char *text;
        size_t length;
        if (key_length == 6 && memcmp (key, "status", 6) == 0) {
            cr_assert_eq (vb_json_string (&value, &text, &length), 0);
            success = length == 7 && memcmp (text, "success", 7) == 0;
        } else if (key_length == 4 && memcmp (key, "data", 4) == 0) {
            *data = value;
            have_data = true;
            break;
        }
    }
    return success && have_data ? 0 : -1;
}

//  True when a JSON string value equals text.
static bool
s_string_is (vb_json_val_t *value, const char *text)
{
    const char *got;
    size_t length;
    return vb_json_string (value, &got, &length) == 0 && length == strlen (text) &&
           memcmp (got, text, length) == 0;
}

//  Copy a JSON string value into out (truncated to size - 1).
static void
s_string_copy (vb_json_val_t *value, char *out, size_t size)
{
    const char *got;
    size_t length;
    cr_assert_eq (vb_json_string (value, &got, &length), 0);
    if (length >= size)
        length = size - 1;
    memcpy (out, got, length);
    out[length] = '\0';
}

//  --------------------------------------------------------------------------
//  /api/v1/targets: how many of s_jobs have an active target with health
//  "up"; the health of every job is written into health[] ("" if absent).

static size_t
s_targets_up (vb_json_t *json, const char *base, vbt_http_response_t *response,
              char health[JOB_COUNT][16])
{
    for (size_t job = 0; job < JOB_COUNT; job++)
        health[job][0] = '\0';
    char url[URL_MAX];
    snprintf (url, sizeof (url), "%s/api/v1/targets?state=active", base);
    vb_json_val_t data;
    if (s_api (json, url, response, &data) != 0)
        return 0;
    vb_json_val_t active;
    cr_assert_eq (vb_json_find (&data, "activeTargets", &active), 0);
    vb_json_iter_t targets;
    cr_assert_eq (vb_json_array_begin (&active, &targets), 0);
    vb_json_val_t target;
    while (vb_json_array_next (&targets, &target) == 1) {
        vb_json_iter_t fields;
        cr_assert_eq (vb_json_object_begin (&target, &fields), 0);
        const char *key;
        size_t key_length;
        vb_json_val_t value;
        char pool[64] = "", state[16] = "";
        while (vb_json_object_next (&fields, &key, &key_length, &value) == 1) {
            if (key_length == 10 && memcmp (key, "scrapePool", 10) == 0)
                s_string_copy (&value, pool, sizeof (pool));
            else if (key_length == 6 && memcmp (key, "health", 6) == 0)
                s_string_copy (&value, state, sizeof (state));
        }
        for (size_t job = 0; job < JOB_COUNT; job++)
            if (streq (pool, s_jobs[job]))
                snprintf (health[job], sizeof (health[job]), "%s", state);
    }
    size_t up = 0;
    for (size_t job = 0; job < JOB_COUNT; job++)
        if (streq (health[job], "up"))
            up++;
    return up;
}

//  --------------------------------------------------------------------------
//  Run an instant query; returns the number of result series (each with a
//  [time, "value"] sample), or -1 when the API did not answer.

static int
s_query (vb_json_t *json, const char *base, vbt_http_response_t *response, const char *query)
{
    char *escaped = curl_easy_escape (NULL, query, 0);
    cr_assert_not_null (escaped);
    char url[URL_MAX];
    snprintf (url, sizeof (url), "%s/api/v1/query?query=%s", base, escaped);
    curl_free (escaped);
    vb_json_val_t data;
    if (s_api (json, url, response, &data) != 0)
        return -1;
    //  {"resultType":"vector","result":[{"metric":{...},"value":[t,"v"]}]}
    vb_json_iter_t fields;
    cr_assert_eq (vb_json_object_begin (&data, &fields), 0);
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    int count = 0;
    while (vb_json_object_next (&fields, &key, &key_length, &value) == 1) {
        if (key_length == 10 && memcmp (key, "resultType", 10) == 0)
            cr_assert (s_string_is (&value, "vector"), "%s", response->body);
        if (key_length != 6 || memcmp (key, "result", 6) != 0)
            continue;
        vb_json_iter_t series_iter;
        cr_assert_eq (vb_json_array_begin (&value, &series_iter), 0);
        vb_json_val_t series;
        while (vb_json_array_next (&series_iter, &series) == 1) {
            vb_json_val_t sample;
            cr_assert_eq (vb_json_find (&series, "value", &sample), 0, "%s", response->body);
            vb_json_iter_t pair;
            cr_assert_eq (vb_json_array_begin (&sample, &pair), 0);
            vb_json_val_t item;
            cr_assert_eq (vb_json_array_next (&pair, &item), 1);  //  time stamp
            cr_assert_eq (vb_json_array_next (&pair, &item), 1);  //  value, a string
            cr_assert_eq (vb_json_type (&item), VB_JSON_STRING, "%s", response->body);
            count++;
        }
    }
    return count;
}

//  --------------------------------------------------------------------------
//  /api/v1/rules: number of rule groups loaded, and whether every rule's
//  health is "ok" or "unknown" (not evaluated yet) rather than "err".

static int
s_rule_groups (vb_json_t *json, const char *base, vbt_http_response_t *response, size_t *rules,
               size_t *evaluated_ok, char *error, size_t error_size)
{
    char url[URL_MAX];
    snprintf (url, sizeof (url), "%s/api/v1/rules", base);
    *rules = 0;
    *evaluated_ok = 0;
    error[0] = '\0';
    vb_json_val_t data;
    if (s_api (json, url, response, &data) != 0)
        return -1;
    vb_json_val_t groups;
    cr_assert_eq (vb_json_find (&data, "groups", &groups), 0);
    vb_json_iter_t group_iter;
    cr_assert_eq (vb_json_array_begin (&groups, &group_iter), 0);
    vb_json_val_t group;
    int count = 0;
    while (vb_json_array_next (&group_iter, &group) == 1) {
        count++;
        vb_json_iter_t group_fields;
        cr_assert_eq (vb_json_object_begin (&group, &group_fields), 0);
        const char *key;
        size_t key_length;
        vb_json_val_t value;
        while (vb_json_object_next (&group_fields, &key, &key_length, &value) == 1) {
            if (key_length != 5 || memcmp (key, "rules", 5) != 0)
                continue;
            vb_json_iter_t rule_iter;
            cr_assert_eq (vb_json_array_begin (&value, &rule_iter), 0);
            vb_json_val_t rule;
            while (vb_json_array_next (&rule_iter, &rule) == 1) {
                (*rules)++;
                vb_json_iter_t rule_fields;
                cr_assert_eq (vb_json_object_begin (&rule, &rule_fields), 0);
                const char *field;
                size_t field_length;
                vb_json_val_t field_value;
                char name[128] = "", health[16] = "", last_error[256] = "";
                while (vb_json_object_next (&rule_fields, &field, &field_length, &field_value) ==
                       1) {
                    if (field_length == 4 && memcmp (field, "name", 4) == 0)
                        s_string_copy (&field_value, name, sizeof (name));
                    else if (field_length == 6 && memcmp (field, "health", 6) == 0)
                        s_string_copy (&field_value, health, sizeof (health));
                    else if (field_length == 9 && memcmp (field, "lastError", 9) == 0)
                        s_string_copy (&field_value, last_error, sizeof (last_error));
                }
                if (streq (health, "ok"))
                    (*evaluated_ok)++;
                else if (streq (health, "err") && !error[0])
                    snprintf (error, error_size, "rule %s: %s", name, last_error);
            }
        }
    }
    return count;
}

//  --------------------------------------------------------------------------
//  Write the Prometheus configuration: one job per service, 1 s scrapes.

static void
s_write_config (const char *path, const char *rules, char addresses[JOB_COUNT][ADDRESS_MAX])
{
    FILE *file = fopen (path, "w");
    cr_assert_not_null (file);
    fprintf (file,
             "global:\n"
             "  scrape_interval: 1s\n"
             "  scrape_timeout: 1s\n"
             "  evaluation_interval: 1s\n"
             "rule_files:\n"
             "  - %s\n"
             "scrape_configs:\n",
             rules);
    for (size_t job = 0; job < JOB_COUNT; job++)
        fprintf (file,
                 "  - job_name: %s\n"
                 "    static_configs:\n"
                 "      - targets: ['%s']\n",
                 s_jobs[job], addresses[job]);
    cr_assert_eq (fclose (file), 0);
}

//  --------------------------------------------------------------------------
//  Run a command to its end; returns its exit status.

static int
s_run (char *const argv[], char *output, size_t size)
{
    vbt_proc_t *proc = vbt_proc_start (argv[0], argv, NULL);
    cr_assert_not_null (proc, "cannot start %s", argv[0]);
    int status = vbt_proc_wait_exit (proc, WAIT_MS);
    snprintf (output, size, "%s%s", vbt_proc_stdout (proc), vbt_proc_stderr (proc));
    vbt_proc_stop (&proc, STOP_MS);
    return status;
}

//  --------------------------------------------------------------------------
//  Usage: every service's target up in Prometheus, the key series present.

Test (prometheus, scrapes_every_service_and_sees_the_key_series, .timeout = 180)
{
    cr_assert_eq (access (PROMETHEUS_BIN, X_OK), 0,
                  PROMETHEUS_BIN " is missing: apt-get install prometheus (scripts/deps.sh)");
    char root[PATH_MAX_], rules[PATH_MAX_ + 32];
    s_source_root (root, sizeof (root));
    snprintf (rules, sizeof (rules), "%sops/alerts.yml", root);
    cr_assert_eq (access (rules, R_OK), 0, "%s is missing", rules);

    //  Bus, metrics on a free port
    char *bus_argv[] = {
        VB_BUS_BIN,  "--frontend",  "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*",
        "--metrics", "127.0.0.1:0", "--level",           "notice",    NULL};
    vbt_proc_t *bus = vbt_proc_start (VB_BUS_BIN, bus_argv, NULL);
    cr_assert_not_null (bus);
    char line[LINE_MAX_], frontend[ADDRESS_MAX], backend[ADDRESS_MAX];
    cr_assert_eq (vbt_proc_wait_line (bus, "ready ", WAIT_MS, line, sizeof (line)), 0, "%s",
                  vbt_proc_stderr (bus));
    cr_assert_eq (vbt_line_value (line, "frontend", frontend, sizeof (frontend)), 0);
    cr_assert_eq (vbt_line_value (line, "backend", backend, sizeof (backend)), 0);
    //  A subscriber, as a strategy would be: without one the publishers'
    //  PUB sockets filter everything out and the bus carries no frame.
    zsock_t *subscriber = zsock_new_sub (backend, "md.binance.");
    cr_assert_not_null (subscriber);
    char addresses[JOB_COUNT][ADDRESS_MAX];
    s_logged_address (bus, "metrics listening", addresses[0], sizeof (addresses[0]));

    //  Sim and router, the router publishing on the bus with metrics on
    char router_extra[LINE_MAX_];
    snprintf (router_extra, sizeof (router_extra),
              "    bus = \"%s\"\n"
              "    metrics = \"127.0.0.1:0\"\n"
              "    publish_interval = \"200ms\"",
              frontend);
    vbt_router_args_t router_args = {.sim_bin = VB_SIM_BIN,
                                     .router_bin = VB_ROUTER_BIN,
                                     .venue = "binance",
                                     .router_extra = router_extra};
    vbt_router_t *router = vbt_router_new (&router_args);
    s_logged_address (vbt_router_proc (router), "router metrics address=", addresses[2],
                      sizeof (addresses[2]));

    //  Gateway on the same sim
    char rest_url[ADDRESS_MAX], ws_url[ADDRESS_MAX], snapshot[PATH_MAX_];
    snprintf (rest_url, sizeof (rest_url), "http://127.0.0.1:%d", vbt_router_sim_port (router));
    snprintf (ws_url, sizeof (ws_url), "ws://127.0.0.1:%d", vbt_router_sim_port (router));
    snprintf (snapshot, sizeof (snapshot), "ipc://%s/snapshot.ipc", vbt_router_dir (router));
    char *gateway_argv[] = {VB_GATEWAY_BIN, "--venue",  "binance",    "--symbols", "BTC-USDT",
                            "--bus",        frontend,   "--snapshot", snapshot,    "--rest-url",
                            rest_url,       "--ws-url", ws_url,       "--metrics", "127.0.0.1:0",
                            "--level",      "notice",   NULL};
    vbt_proc_t *gateway = vbt_proc_start (VB_GATEWAY_BIN, gateway_argv, NULL);
    cr_assert_not_null (gateway);
    cr_assert_eq (vbt_proc_wait_line (gateway, "ready ", WAIT_MS, line, sizeof (line)), 0, "%s",
                  vbt_proc_stderr (gateway));
    s_logged_address (gateway, "metrics listening", addresses[1], sizeof (addresses[1]));

    //  Prometheus, its data in the router's temporary directory
    char config[PATH_MAX_ + 32], storage[PATH_MAX_ + 32], listen[ADDRESS_MAX],
        base[ADDRESS_MAX + 16];
    snprintf (config, sizeof (config), "%s/prometheus.yml", vbt_router_dir (router));
    snprintf (storage, sizeof (storage), "%s/tsdb", vbt_router_dir (router));
    cr_assert_eq (mkdir (storage, 0700), 0);
    s_write_config (config, rules, addresses);
    snprintf (listen, sizeof (listen), "127.0.0.1:%d", s_free_port ());
    snprintf (base, sizeof (base), "http://%s", listen);
    char config_flag[PATH_MAX_ + 64], storage_flag[PATH_MAX_ + 64], listen_flag[ADDRESS_MAX + 32];
    snprintf (config_flag, sizeof (config_flag), "--config.file=%s", config);
    snprintf (storage_flag, sizeof (storage_flag), "--storage.tsdb.path=%s", storage);
    snprintf (listen_flag, sizeof (listen_flag), "--web.listen-address=%s", listen);
    char *prometheus_argv[] = {PROMETHEUS_BIN, config_flag, storage_flag, listen_flag, NULL};
    vbt_proc_t *prometheus = vbt_proc_start (PROMETHEUS_BIN, prometheus_argv, NULL);
    cr_assert_not_null (prometheus);

    //  Every target up (bounded poll; Prometheus scrapes every second)
    vb_json_t *json = vb_json_new ();
    cr_assert_not_null (json);
    vbt_http_response_t response = {0};
    char health[JOB_COUNT][16];
    int64_t deadline = s_now_ms () + SCRAPE_MS;
    while (s_targets_up (json, base, &response, health) < JOB_COUNT && s_now_ms () < deadline)
        s_pause ();
    for (size_t job = 0; job < JOB_COUNT; job++)
        cr_assert_str_eq (health[job], "up", "target %s at %s is '%s'; prometheus: %s", s_jobs[job],
                          addresses[job], health[job], vbt_proc_stderr (prometheus));

    //  The key series, each polled until present (bounded): venuebus_up is 1
    //  for each service (vb_metrics contract); the gateway must have taken in
    //  venue messages and have its book SYNCED (book_state 1, gw_metrics.h),
    //  and the bus must have carried frames.
    static const char *const present[] = {
        "venuebus_up{job=\"venuebus-bus\",service=\"bus\"} == 1",
        "venuebus_up{job=\"venuebus-gateway\",service=\"gateway\"} == 1",
        "venuebus_up{job=\"venuebus-router\",service=\"router\"} == 1",
        "venuebus_healthy{service=\"bus\"} == 1",
        "venuebus_router_open_orders",
        "venuebus_router_unknown_orders",
        "venuebus_router_ratelimit_used",
        "venuebus_router_ratelimit_capacity > 0",
        "venuebus_router_alerts_firing",
        "venuebus_gateway_messages_total{direction=\"in\",kind=\"ws\"} > 0",
        "venuebus_gateway_book_state{venue=\"binance\",symbol=\"BTC-USDT\"} == 1",
        "venuebus_gateway_exchange_to_publish_seconds_count",
        "venuebus_bus_frames_total{direction=\"in\"} > 0",
    };
    for (size_t i = 0; i < sizeof (present) / sizeof (present[0]); i++) {
        int count = 0;
        deadline = s_now_ms () + SCRAPE_MS;
        while ((count = s_query (json, base, &response, present[i])) <= 0 && s_now_ms () < deadline)
            s_pause ();
        cr_assert_gt (count, 0, "no series for %s", present[i]);
    }

    //  The alerting rules loaded and evaluated without error
    size_t rule_count = 0, rules_ok = 0;
    char rule_error[512] = "";
    int groups = -1;
    deadline = s_now_ms () + SCRAPE_MS;
    while (s_now_ms () < deadline) {
        groups = s_rule_groups (json, base, &response, &rule_count, &rules_ok, rule_error,
                                sizeof (rule_error));
        if (rule_error[0] || (groups > 0 && rules_ok == rule_count && rule_count > 0))
            break;
        s_pause ();
    }
    cr_assert_eq (rule_error[0], '\0', "%s", rule_error);
    cr_assert_gt (groups, 0, "no rule groups loaded from %s", rules);
    cr_assert_eq (rules_ok, rule_count, "%zu of %zu rules evaluated ok", rules_ok, rule_count);

    vbt_http_response_free (&response);
    vb_json_destroy (&json);

    //  Everything stops on SIGTERM, Prometheus included
    cr_expect_eq (vbt_proc_stop (&prometheus, STOP_MS), 0, "prometheus did not exit cleanly");
    cr_expect_eq (vbt_proc_stop (&gateway, STOP_MS), 0);
    vbt_router_destroy (&router);
    zsock_destroy (&subscriber);
    cr_expect_eq (vbt_proc_stop (&bus, STOP_MS), 0);
}

//  --------------------------------------------------------------------------
//  The shipped rules pass promtool's syntax check and their unit tests.

Test (prometheus, alert_rules_pass_promtool_check_and_unit_tests)
{
    cr_assert_eq (access (PROMTOOL_BIN, X_OK), 0,
                  PROMTOOL_BIN " is missing: apt-get install prometheus (scripts/deps.sh)");
    char root[PATH_MAX_], rules[PATH_MAX_ + 32], tests[PATH_MAX_ + 32], config[PATH_MAX_ + 32];
    s_source_root (root, sizeof (root));
    snprintf (rules, sizeof (rules), "%sops/alerts.yml", root);
    snprintf (tests, sizeof (tests), "%sops/alerts_test.yml", root);
    snprintf (config, sizeof (config), "%sops/prometheus.yml", root);
    char output[8192];
    char *check_argv[] = {PROMTOOL_BIN, "check", "rules", rules, NULL};
    cr_assert_eq (s_run (check_argv, output, sizeof (output)), 0, "%s", output);
    cr_assert_neq (strstr (output, "SUCCESS"), NULL, "%s", output);
    char *test_argv[] = {PROMTOOL_BIN, "test", "rules", tests, NULL};
    cr_assert_eq (s_run (test_argv, output, sizeof (output)), 0, "%s", output);
    cr_assert_neq (strstr (output, "SUCCESS"), NULL, "%s", output);
    //  The compose scrape config, with the rule files it names relative to itself
    char *config_argv[] = {PROMTOOL_BIN, "check", "config", config, NULL};
    cr_assert_eq (s_run (config_argv, output, sizeof (output)), 0, "%s", output);
}
