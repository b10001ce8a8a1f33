/*  test_rt_metrics.c — the router's metrics, read back over HTTP.

    rt_metrics.h gives no access to the registry, so each test serves it at
    127.0.0.1:0 and reads /metrics and /healthz like Prometheus would.
    Expected lines are written by hand from the series list in rt_metrics.h
    and vb_metrics.h's exposition rules (nanoseconds printed as seconds,
    trailing zeros dropped, cumulative buckets).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_metrics.h"
#include "vbt_http.h"

#define TEST_TIMEOUT_MS 5000
#define TEST_ERROR_MAX  512
#define TEST_URL_MAX    512

static const char *const s_venues[] = {"binance", "kraken", NULL};
static const char *const s_accounts[] = {"main", "hedge", NULL};

//  --------------------------------------------------------------------------
//  Serve a new registry at 127.0.0.1:0.

static rt_metrics_t *
s_serve (void)
{
    char error[TEST_ERROR_MAX] = "";
    rt_metrics_t *metrics =
        rt_metrics_new (s_venues, s_accounts, "127.0.0.1:0", error, sizeof (error));
    cr_assert_not_null (metrics, "rt_metrics_new failed: %s", error);
    cr_assert_neq (rt_metrics_address (metrics)[0], 0);
    return metrics;
}

//  --------------------------------------------------------------------------
//  GET path; returns the status and the body in *body_p (caller frees).

static long
s_get (rt_metrics_t *metrics, const char *path, char **body_p)
{
    char url[TEST_URL_MAX];
    snprintf (url, sizeof (url), "http://%s%s", rt_metrics_address (metrics), path);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, TEST_TIMEOUT_MS, &response), 0,
                  "GET %s failed", url);
    long status = response.status;
    *body_p = strdup (response.body ? response.body : "");
    cr_assert_not_null (*body_p);
    vbt_http_response_free (&response);
    return status;
}

static char *
s_scrape (rt_metrics_t *metrics)
{
    char *body = NULL;
    cr_assert_eq (s_get (metrics, "/metrics", &body), 200);
    return body;
}

//  --------------------------------------------------------------------------
//  True when text holds line as a whole line.

static bool
s_has_line (const char *text, const char *line)
{
    size_t length = strlen (line);
    for (const char *at = strstr (text, line); at; at = strstr (at + 1, line))
        if ((at == text || at[-1] == '\n') && (at[length] == '\n' || at[length] == 0))
            return true;
    return false;
}

#define assert_line(text, line) cr_assert (s_has_line (text, line), "missing line: %s", line)

//  --------------------------------------------------------------------------
//  Usage.

Test (rt_metrics, counts_an_order_transition_and_serves_it_on_metrics)
{
    rt_metrics_t *metrics = s_serve ();
    rt_metrics_order_state (metrics, "binance", VB_EXEC_STATE_FILLED);
    rt_metrics_order_state (metrics, "binance", VB_EXEC_STATE_FILLED);
    char *text = s_scrape (metrics);
    assert_line (text, "venuebus_router_orders_total{venue=\"binance\",state=\"FILLED\"} 2");
    //  Every state of every venue is declared up front.
    assert_line (text, "venuebus_router_orders_total{venue=\"binance\",state=\"PENDING_NEW\"} 0");
    assert_line (text, "venuebus_router_orders_total{venue=\"kraken\",state=\"FILLED\"} 0");
    assert_line (text, "venuebus_router_orders_total{venue=\"kraken\",state=\"UNKNOWN\"} 0");
    assert_line (text, "venuebus_up{service=\"router\"} 1");
    free (text);
    rt_metrics_destroy (&metrics);
    cr_assert_null (metrics);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, counts_requests_by_outcome_and_times_their_round_trip)
{
    rt_metrics_t *metrics = s_serve ();
    //  1.5 ms: above the 1 ms bound, at or below 2.5 ms.
    rt_metrics_request (metrics, "kraken", VB_EXEC_REQ_PLACE, VB_EXEC_OK, 1500000);
    rt_metrics_request (metrics, "kraken", VB_EXEC_REQ_CANCEL_ALL, VB_EXEC_RATE_LIMITED, 20000);
    rt_metrics_request (metrics, "kraken", VB_EXEC_REQ_STREAM_TOKEN, VB_EXEC_NOT_FOUND, 10000);
    char *text = s_scrape (metrics);
    assert_line (
        text, "venuebus_router_requests_total{venue=\"kraken\",kind=\"place\",outcome=\"ok\"} 1");
    assert_line (text, "venuebus_router_requests_total{venue=\"kraken\",kind=\"cancel_all\","
                       "outcome=\"rate_limited\"} 1");
    assert_line (text, "venuebus_router_requests_total{venue=\"kraken\",kind=\"stream_token\","
                       "outcome=\"not_found\"} 1");
    assert_line (text, "venuebus_router_requests_total{venue=\"binance\",kind=\"key_permissions\","
                       "outcome=\"auth\"} 0");
    assert_line (text, "venuebus_router_requests_total{venue=\"binance\",kind=\"instruments\","
                       "outcome=\"unknown\"} 0");
    assert_line (text, "venuebus_router_request_seconds_bucket{venue=\"kraken\",kind=\"place\","
                       "le=\"0.001\"} 0");
    assert_line (text, "venuebus_router_request_seconds_bucket{venue=\"kraken\",kind=\"place\","
                       "le=\"0.0025\"} 1");
    assert_line (text, "venuebus_router_request_seconds_bucket{venue=\"kraken\",kind=\"place\","
                       "le=\"+Inf\"} 1");
    assert_line (text, "venuebus_router_request_seconds_sum{venue=\"kraken\",kind=\"place\"} "
                       "0.0015");
    assert_line (text, "venuebus_router_request_seconds_count{venue=\"kraken\",kind=\"place\"} 1");
    //  10 us is the first bound (inclusive); 20 us the second (25 us).
    assert_line (text, "venuebus_router_request_seconds_bucket{venue=\"kraken\",kind=\"stream_"
                       "token\",le=\"0.00001\"} 1");
    assert_line (text, "venuebus_router_request_seconds_bucket{venue=\"kraken\",kind=\"cancel_"
                       "all\",le=\"0.00001\"} 0");
    assert_line (text, "venuebus_router_request_seconds_bucket{venue=\"kraken\",kind=\"cancel_"
                       "all\",le=\"0.000025\"} 1");
    //  The last finite bound is 10 s.
    assert_line (text, "venuebus_router_request_seconds_bucket{venue=\"kraken\",kind=\"place\","
                       "le=\"10\"} 1");
    free (text);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, ignores_kinds_and_states_out_of_range_but_times_an_odd_outcome)
{
    rt_metrics_t *metrics = s_serve ();
    rt_metrics_order_state (metrics, "binance", (vb_exec_state_t)0);
    rt_metrics_order_state (metrics, "binance", (vb_exec_state_t)42);
    rt_metrics_request (metrics, "binance", (vb_exec_kind_t)0, VB_EXEC_OK, 1000);
    rt_metrics_request (metrics, "binance", (vb_exec_kind_t)99, VB_EXEC_OK, 1000);
    //  An outcome out of range counts no outcome but its round trip is real.
    rt_metrics_request (metrics, "binance", VB_EXEC_REQ_QUERY, (vb_exec_outcome_t)77, 1000);
    char *text = s_scrape (metrics);
    cr_assert_null (strstr (text, "state=\"0\""));
    cr_assert_null (strstr (text, "__overflow__"));
    assert_line (text, "venuebus_router_request_seconds_count{venue=\"binance\",kind=\"query\"} 1");
    assert_line (
        text, "venuebus_router_requests_total{venue=\"binance\",kind=\"query\",outcome=\"ok\"} 0");
    free (text);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, times_the_order_round_trip_and_sets_order_gauges)
{
    rt_metrics_t *metrics = s_serve ();
    //  2 s: above the 1 s bound, at or below 2.5 s.
    rt_metrics_order_roundtrip (metrics, "binance", 2000000000);
    rt_metrics_unknown_orders (metrics, 3);
    rt_metrics_open_orders (metrics, 7);
    rt_metrics_open_orders (metrics, 5);
    char *text = s_scrape (metrics);
    assert_line (text,
                 "venuebus_router_order_roundtrip_seconds_bucket{venue=\"binance\",le=\"1\"} 0");
    assert_line (text,
                 "venuebus_router_order_roundtrip_seconds_bucket{venue=\"binance\",le=\"2.5\"} 1");
    assert_line (text, "venuebus_router_order_roundtrip_seconds_sum{venue=\"binance\"} 2");
    assert_line (text, "venuebus_router_order_roundtrip_seconds_count{venue=\"kraken\"} 0");
    assert_line (text, "venuebus_router_unknown_orders 3");
    assert_line (text, "venuebus_router_open_orders 5");
    free (text);
    //  The own share: 7 us lands in the 10 us bucket, not the 5 us one; a
    //  negative figure (clock steps) counts as 0. The journal commit: 3 ms
    //  in the 5 ms bucket.
    rt_metrics_order_own (metrics, "binance", 7000);
    rt_metrics_order_own (metrics, "binance", -5);
    rt_metrics_journal_commit (metrics, 3000000);
    text = s_scrape (metrics);
    assert_line (text,
                 "venuebus_router_order_own_seconds_bucket{venue=\"binance\",le=\"0.000001\"} 1");
    assert_line (text,
                 "venuebus_router_order_own_seconds_bucket{venue=\"binance\",le=\"0.000005\"} 1");
    assert_line (text,
                 "venuebus_router_order_own_seconds_bucket{venue=\"binance\",le=\"0.00001\"} 2");
    assert_line (text, "venuebus_router_order_own_seconds_count{venue=\"binance\"} 2");
    assert_line (text, "venuebus_router_journal_commit_seconds_bucket{le=\"0.0025\"} 0");
    assert_line (text, "venuebus_router_journal_commit_seconds_bucket{le=\"0.005\"} 1");
    free (text);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, counts_drift_failovers_strategy_frames_and_stream_events)
{
    rt_metrics_t *metrics = s_serve ();
    rt_metrics_drift (metrics, "binance", "fill_missed");
    rt_metrics_drift (metrics, "kraken", "balance");  //  A word first seen now
    rt_metrics_failover (metrics, "hedge");
    rt_metrics_strategy_message (metrics, "new_order", "accepted");
    rt_metrics_strategy_message (metrics, "cancel", "malformed");
    rt_metrics_strategy_message (metrics, "cancel", "malformed");
    for (int frame = 0; frame < 3; frame++)
        rt_metrics_stream_event (metrics, "main", "frame");
    rt_metrics_stream_event (metrics, "hedge", "opened");
    char *text = s_scrape (metrics);
    assert_line (text,
                 "venuebus_router_reconcile_drift_total{venue=\"binance\",kind=\"fill_missed\"} 1");
    assert_line (
        text, "venuebus_router_reconcile_drift_total{venue=\"binance\",kind=\"fill_refused\"} 0");
    assert_line (
        text, "venuebus_router_reconcile_drift_total{venue=\"kraken\",kind=\"order_vanished\"} 0");
    assert_line (text,
                 "venuebus_router_strategy_messages_total{kind=\"frame\",result=\"malformed\"} 0");
    assert_line (text,
                 "venuebus_router_reconcile_drift_total{venue=\"kraken\",kind=\"balance\"} 1");
    assert_line (text, "venuebus_router_failovers_total{account=\"hedge\"} 1");
    assert_line (text, "venuebus_router_failovers_total{account=\"main\"} 0");
    assert_line (
        text, "venuebus_router_strategy_messages_total{kind=\"new_order\",result=\"accepted\"} 1");
    assert_line (text,
                 "venuebus_router_strategy_messages_total{kind=\"cancel\",result=\"malformed\"} 2");
    assert_line (
        text,
        "venuebus_router_strategy_messages_total{kind=\"query_balances\",result=\"rejected\"} 0");
    assert_line (text, "venuebus_router_stream_events_total{account=\"main\",kind=\"frame\"} 3");
    assert_line (text, "venuebus_router_stream_events_total{account=\"hedge\",kind=\"opened\"} 1");
    assert_line (text, "venuebus_router_stream_events_total{account=\"hedge\",kind=\"closed\"} 0");
    free (text);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, ignores_unknown_venues_accounts_and_bad_words)
{
    rt_metrics_t *metrics = s_serve ();
    rt_metrics_order_state (metrics, "bitmex", VB_EXEC_STATE_NEW);
    rt_metrics_order_state (metrics, NULL, VB_EXEC_STATE_NEW);
    rt_metrics_request (metrics, "bitmex", VB_EXEC_REQ_PLACE, VB_EXEC_OK, 1000);
    rt_metrics_order_roundtrip (metrics, "Binance", 1000);
    rt_metrics_drift (metrics, "bitmex", "fill_missed");
    rt_metrics_drift (metrics, "binance", "two words");
    rt_metrics_drift (metrics, "binance", "");
    rt_metrics_drift (metrics, "binance", NULL);
    rt_metrics_failover (metrics, "nobody");
    rt_metrics_stream_event (metrics, "nobody", "frame");
    rt_metrics_strategy_message (metrics, "new_order", "quote\"d");
    rt_metrics_strategy_message (metrics, NULL, "accepted");
    rt_metrics_alert (metrics, "line\nbreak", true);
    rt_limits_usage_t usage = {.bucket = "bitmex.ip", .venue = "bitmex", .scope = "ip"};
    rt_metrics_ratelimit (metrics, &usage);
    rt_metrics_ratelimit (metrics, NULL);
    //  NULL objects do nothing either.
    rt_metrics_order_state (NULL, "binance", VB_EXEC_STATE_NEW);
    rt_metrics_alert (NULL, "unknown_order", true);
    rt_metrics_health (NULL, true, NULL);
    cr_assert_str_eq (rt_metrics_address (NULL), "");
    char *text = s_scrape (metrics);
    cr_assert_null (strstr (text, "bitmex"));
    cr_assert_null (strstr (text, "nobody"));
    cr_assert_null (strstr (text, "Binance"));
    cr_assert_null (strstr (text, "two words"));
    cr_assert_null (strstr (text, "quote"));
    cr_assert_null (strstr (text, "break"));
    cr_assert_null (strstr (text, "kind=\"\""));
    assert_line (text, "venuebus_router_orders_total{venue=\"binance\",state=\"NEW\"} 0");
    assert_line (text, "venuebus_router_order_roundtrip_seconds_count{venue=\"binance\"} 0");
    free (text);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, publishes_rate_limit_usage_per_bucket)
{
    rt_metrics_t *metrics = s_serve ();
    rt_limits_usage_t usage = {.bucket = "binance.ip.request_weight_1m",
                               .venue = "binance",
                               .scope = "ip",
                               .used = 120,
                               .capacity = 6000,
                               .limit = 6000,
                               .window_ns = 60000000000,
                               .permille = 20,
                               .queue_depth = 4};
    rt_metrics_ratelimit (metrics, &usage);
    rt_limits_usage_t account = {.bucket = "binance.account.orders_10s@main",
                                 .venue = "binance",
                                 .scope = "account:main",
                                 .used = 50,
                                 .capacity = 50,
                                 .queue_depth = 4,
                                 .blocked_until_ns = 123456789};
    rt_metrics_ratelimit (metrics, &account);
    char *text = s_scrape (metrics);
    assert_line (text, "venuebus_router_ratelimit_used{bucket=\"binance.ip.request_weight_1m\","
                       "scope=\"ip\"} 120");
    assert_line (text, "venuebus_router_ratelimit_capacity{bucket=\"binance.ip.request_weight_"
                       "1m\",scope=\"ip\"} 6000");
    assert_line (text, "venuebus_router_ratelimit_blocked{bucket=\"binance.ip.request_weight_1m\","
                       "scope=\"ip\"} 0");
    assert_line (text, "venuebus_router_ratelimit_used{bucket=\"binance.account.orders_10s@main\","
                       "scope=\"account:main\"} 50");
    assert_line (text, "venuebus_router_ratelimit_blocked{bucket=\"binance.account.orders_10s@"
                       "main\",scope=\"account:main\"} 1");
    assert_line (text, "venuebus_router_ratelimit_queue_depth{venue=\"binance\"} 4");
    assert_line (text, "venuebus_router_ratelimit_queue_depth{venue=\"kraken\"} 0");
    free (text);

    //  The same bucket later: its series are updated, not duplicated.
    usage.used = 7;
    usage.queue_depth = 0;
    usage.banned = true;
    rt_metrics_ratelimit (metrics, &usage);
    account.blocked_until_ns = 0;
    rt_metrics_ratelimit (metrics, &account);
    text = s_scrape (metrics);
    assert_line (text, "venuebus_router_ratelimit_used{bucket=\"binance.ip.request_weight_1m\","
                       "scope=\"ip\"} 7");
    assert_line (text, "venuebus_router_ratelimit_blocked{bucket=\"binance.ip.request_weight_1m\","
                       "scope=\"ip\"} 1");
    assert_line (text, "venuebus_router_ratelimit_blocked{bucket=\"binance.account.orders_10s@"
                       "main\",scope=\"account:main\"} 0");
    const char *first = strstr (text, "venuebus_router_ratelimit_used{bucket=\"binance.ip.");
    cr_assert_not_null (first);
    cr_assert_null (strstr (first + 1, "venuebus_router_ratelimit_used{bucket=\"binance.ip."));
    free (text);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, raises_and_clears_alerts)
{
    rt_metrics_t *metrics = s_serve ();
    char *text = s_scrape (metrics);
    //  The router's alert names read 0 before they ever fire.
    assert_line (text, "venuebus_router_alerts_firing{name=\"unknown_order\"} 0");
    assert_line (text, "venuebus_router_alerts_firing{name=\"reconcile_drift\"} 0");
    assert_line (text, "venuebus_router_alerts_firing{name=\"ratelimit_high\"} 0");
    assert_line (text, "venuebus_router_alerts_firing{name=\"failover\"} 0");
    free (text);
    rt_metrics_alert (metrics, "unknown_order", true);
    rt_metrics_alert (metrics, "ratelimit", true);
    text = s_scrape (metrics);
    assert_line (text, "venuebus_router_alerts_firing{name=\"unknown_order\"} 1");
    assert_line (text, "venuebus_router_alerts_firing{name=\"ratelimit\"} 1");
    free (text);
    rt_metrics_alert (metrics, "unknown_order", false);
    text = s_scrape (metrics);
    assert_line (text, "venuebus_router_alerts_firing{name=\"unknown_order\"} 0");
    assert_line (text, "venuebus_router_alerts_firing{name=\"ratelimit\"} 1");
    free (text);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, bounds_new_words_per_family_without_an_overflow_series)
{
    rt_metrics_t *metrics = s_serve ();
    //  rt_metrics.c takes at most 64 new label sets per free-word family on
    //  top of the known words; the alerts family has 4 known names.
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf (name, sizeof (name), "alert_%d", i);
        rt_metrics_alert (metrics, name, true);
    }
    char *text = s_scrape (metrics);
    assert_line (text, "venuebus_router_alerts_firing{name=\"alert_63\"} 1");
    cr_assert_null (strstr (text, "name=\"alert_64\""));
    cr_assert_null (strstr (text, "__overflow__"));
    size_t series = 0;
    for (const char *at = strstr (text, "\nvenuebus_router_alerts_firing{"); at;
         at = strstr (at + 1, "\nvenuebus_router_alerts_firing{"))
        series++;
    cr_assert_eq (series, 4 + 64);
    free (text);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, healthz_follows_rt_metrics_health)
{
    rt_metrics_t *metrics = s_serve ();
    char *body = NULL;
    //  A new registry is "starting" (vb_metrics.h) until the router reports.
    cr_assert_eq (s_get (metrics, "/healthz", &body), 503);
    cr_assert_not_null (strstr (body, "starting"));
    free (body);
    rt_metrics_health (metrics, true, NULL);
    cr_assert_eq (s_get (metrics, "/healthz", &body), 200);
    cr_assert_not_null (strstr (body, "ok"));
    free (body);
    rt_metrics_health (metrics, false, "journal not writable");
    cr_assert_eq (s_get (metrics, "/healthz", &body), 503);
    cr_assert_not_null (strstr (body, "journal not writable"));
    free (body);
    body = s_scrape (metrics);
    assert_line (body, "venuebus_healthy{service=\"router\"} 0");
    free (body);
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, works_without_serving)
{
    char error[TEST_ERROR_MAX] = "";
    rt_metrics_t *metrics = rt_metrics_new (s_venues, s_accounts, NULL, error, sizeof (error));
    cr_assert_not_null (metrics, "%s", error);
    cr_assert_str_eq (rt_metrics_address (metrics), "");
    rt_metrics_order_state (metrics, "binance", VB_EXEC_STATE_NEW);
    rt_metrics_health (metrics, true, NULL);
    rt_metrics_destroy (&metrics);
    metrics = rt_metrics_new (NULL, NULL, "", error, sizeof (error));
    cr_assert_not_null (metrics, "%s", error);
    cr_assert_str_eq (rt_metrics_address (metrics), "");
    rt_metrics_destroy (&metrics);
}

Test (rt_metrics, refuses_a_bad_address_naming_it)
{
    char error[TEST_ERROR_MAX] = "";
    rt_metrics_t *metrics =
        rt_metrics_new (s_venues, s_accounts, "127.0.0.1:notaport", error, sizeof (error));
    cr_assert_null (metrics);
    cr_assert_not_null (strstr (error, "127.0.0.1:notaport"), "error: %s", error);

    //  A port already bound.
    rt_metrics_t *first = s_serve ();
    char taken[TEST_URL_MAX];
    snprintf (taken, sizeof (taken), "%s", rt_metrics_address (first));
    error[0] = 0;
    metrics = rt_metrics_new (s_venues, s_accounts, taken, error, sizeof (error));
    cr_assert_null (metrics);
    cr_assert_not_null (strstr (error, taken), "error: %s", error);
    rt_metrics_destroy (&first);
}

Test (rt_metrics, refuses_duplicate_and_empty_names)
{
    char error[TEST_ERROR_MAX] = "";
    const char *const twice[] = {"binance", "binance", NULL};
    cr_assert_null (rt_metrics_new (twice, s_accounts, NULL, error, sizeof (error)));
    cr_assert_not_null (strstr (error, "binance"), "error: %s", error);
    const char *const empty[] = {"", NULL};
    error[0] = 0;
    cr_assert_null (rt_metrics_new (s_venues, empty, NULL, error, sizeof (error)));
    cr_assert_neq (error[0], 0);
    //  Not valid UTF-8: no label value can carry it.
    const char *const bad[] = {"bin\xff", NULL};
    error[0] = 0;
    cr_assert_null (rt_metrics_new (bad, s_accounts, NULL, error, sizeof (error)));
    cr_assert_neq (error[0], 0);
}

Test (rt_metrics, takes_the_most_venues_and_accounts_and_refuses_more)
{
    //  RT_LIMITS_VENUES_MAX and RT_LIMITS_ACCOUNTS_MAX names, plus one.
    char venue_names[RT_LIMITS_VENUES_MAX + 1][32];
    char account_names[RT_LIMITS_ACCOUNTS_MAX + 1][32];
    const char *venues[RT_LIMITS_VENUES_MAX + 2] = {NULL};
    const char *accounts[RT_LIMITS_ACCOUNTS_MAX + 2] = {NULL};
    for (int i = 0; i <= RT_LIMITS_VENUES_MAX; i++) {
        snprintf (venue_names[i], sizeof (venue_names[i]), "venue%d", i);
        venues[i] = venue_names[i];
    }
    for (int i = 0; i <= RT_LIMITS_ACCOUNTS_MAX; i++) {
        snprintf (account_names[i], sizeof (account_names[i]), "account%d", i);
        accounts[i] = account_names[i];
    }
    char error[TEST_ERROR_MAX] = "";
    cr_assert_null (rt_metrics_new (venues, NULL, NULL, error, sizeof (error)));
    cr_assert_neq (error[0], 0);
    error[0] = 0;
    cr_assert_null (rt_metrics_new (NULL, accounts, NULL, error, sizeof (error)));
    cr_assert_neq (error[0], 0);
    venues[RT_LIMITS_VENUES_MAX] = NULL;
    accounts[RT_LIMITS_ACCOUNTS_MAX] = NULL;
    rt_metrics_t *metrics = rt_metrics_new (venues, accounts, "127.0.0.1:0", error, sizeof (error));
    cr_assert_not_null (metrics, "%s", error);
    rt_metrics_stream_event (metrics, "account63", "closed");
    rt_metrics_drift (metrics, "venue15", "state");
    char *text = s_scrape (metrics);
    assert_line (text,
                 "venuebus_router_stream_events_total{account=\"account63\",kind=\"closed\"} 1");
    assert_line (text, "venuebus_router_reconcile_drift_total{venue=\"venue15\",kind=\"state\"} 1");
    cr_assert_null (strstr (text, "__overflow__"));
    free (text);
    rt_metrics_destroy (&metrics);
}
