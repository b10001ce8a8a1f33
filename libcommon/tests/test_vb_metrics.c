/*  test_vb_metrics.c — registry, exposition text, cardinality cap, atomics
    under threads, health, and the HTTP server over a raw socket.

    Every expected exposition text below is written by hand from the
    Prometheus text format 0.0.4 description ("Exposition formats", text
    format details): HELP/TYPE lines, escaping, cumulative buckets.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vb_error.h"
#include "vb_metrics.h"

#define RESPONSE_MAX  65536
#define IO_TIMEOUT_MS 5000
#define FULL_CHECK_MS 200  //  How long a queued connection must stay unserved
#define THREADS       4
#define ADDS_PER_CALL 3
#define ROUNDS        100000
#define NS_PER_MS     INT64_C (1000000)
#define NS_PER_SECOND INT64_C (1000000000)

static const char *const s_no_labels[] = {NULL};

//  --------------------------------------------------------------------------
//  Render and compare with the expected text, showing both on failure.

static void
s_assert_render (vb_metrics_t *metrics, const char *expected)
{
    size_t size = 0;
    char *text = vb_metrics_render (metrics, &size);
    cr_assert_not_null (text);
    cr_assert_eq (size, strlen (text));
    cr_assert_str_eq (text, expected, "got:\n%s\nexpected:\n%s", text, expected);
    free (text);
}

Test (vb_metrics, counts_and_renders_a_small_registry)
{
    //  Usage: declare families at start-up, take one handle per label set,
    //  update through the handles, render (or serve) the text.
    vb_metrics_t *metrics = vb_metrics_new ();
    cr_assert_not_null (metrics);
    static const char *const venue_kind[] = {"venue", "kind", NULL};
    vb_metrics_family_t *messages = vb_metrics_add_counter (metrics, "venuebus_messages_total",
                                                            "Messages published.", venue_kind, 16);
    vb_metrics_family_t *depth =
        vb_metrics_add_gauge (metrics, "venuebus_queue_depth", "Requests waiting.", NULL, 1);
    cr_assert_not_null (messages);
    cr_assert_not_null (depth);

    vb_metric_t *binance_trades =
        vb_metrics_series (messages, (const char *[]){"binance", "trade", NULL});
    vb_metric_t *kraken_books =
        vb_metrics_series (messages, (const char *[]){"kraken", "book", NULL});
    vb_metric_t *queue = vb_metrics_series (depth, NULL);
    cr_assert_not_null (binance_trades);
    cr_assert_not_null (kraken_books);
    cr_assert_not_null (queue);
    //  The same label values give the same handle.
    cr_assert_eq (vb_metrics_series (messages, (const char *[]){"binance", "trade", NULL}),
                  binance_trades);

    vb_metrics_counter_add (binance_trades, 3);
    vb_metrics_counter_add (binance_trades, 4);
    vb_metrics_counter_add (kraken_books, 1);
    vb_metrics_gauge_set (queue, 10);
    vb_metrics_gauge_add (queue, -12);
    cr_assert_eq (vb_metrics_counter_value (binance_trades), 7);
    cr_assert_eq (vb_metrics_gauge_value (queue), -2);

    s_assert_render (metrics, "# HELP venuebus_messages_total Messages published.\n"
                              "# TYPE venuebus_messages_total counter\n"
                              "venuebus_messages_total{venue=\"binance\",kind=\"trade\"} 7\n"
                              "venuebus_messages_total{venue=\"kraken\",kind=\"book\"} 1\n"
                              "# HELP venuebus_queue_depth Requests waiting.\n"
                              "# TYPE venuebus_queue_depth gauge\n"
                              "venuebus_queue_depth -2\n");
    vb_metrics_destroy (&metrics);
    cr_assert_null (metrics);
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, renders_an_empty_registry_as_empty_text)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    s_assert_render (metrics, "");
    //  A family with no series yet shows only its HELP and TYPE.
    static const char *const venue[] = {"venue", NULL};
    cr_assert_not_null (vb_metrics_add_counter (metrics, "a_total", "A.", venue, 2));
    s_assert_render (metrics, "# HELP a_total A.\n# TYPE a_total counter\n");
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, escapes_help_and_label_values)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    static const char *const path[] = {"path", NULL};
    //  HELP escapes backslash and newline only; label values also escape the
    //  double quote. UTF-8 passes through unchanged.
    vb_metrics_family_t *family = vb_metrics_add_gauge (
        metrics, "odd_values", "Back\\slash, \"quote\" and\nnewline.", path, 4);
    cr_assert_not_null (family);
    vb_metric_t *series = vb_metrics_series (family, (const char *[]){"C:\\dir \"x\"\nnext", NULL});
    vb_metric_t *accented = vb_metrics_series (family, (const char *[]){"caf\xc3\xa9", NULL});
    vb_metric_t *empty = vb_metrics_series (family, (const char *[]){"", NULL});
    vb_metrics_gauge_set (series, 1);
    vb_metrics_gauge_set (accented, 2);
    vb_metrics_gauge_set (empty, 3);
    s_assert_render (metrics, "# HELP odd_values Back\\\\slash, \"quote\" and\\nnewline.\n"
                              "# TYPE odd_values gauge\n"
                              "odd_values{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 1\n"
                              "odd_values{path=\"caf\xc3\xa9\"} 2\n"
                              "odd_values{path=\"\"} 3\n");
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, histogram_buckets_are_cumulative_and_seconds_come_from_nanoseconds)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    static const char *const venue[] = {"venue", NULL};
    const int64_t bounds[] = {1 * NS_PER_MS, 10 * NS_PER_MS, 100 * NS_PER_MS};
    vb_metrics_family_t *latency = vb_metrics_add_histogram (
        metrics, "venuebus_publish_latency_seconds", "Exchange to publish.", venue, 4, bounds, 3);
    cr_assert_not_null (latency);
    vb_metric_t *binance = vb_metrics_series (latency, (const char *[]){"binance", NULL});
    //  0.5 ms and exactly 1 ms go in le=0.001 (a bound is inclusive), 5 ms in
    //  le=0.01, 2 s only in +Inf. By hand: cumulative 2, 3, 3, 4; the sum is
    //  0.0005 + 0.001 + 0.005 + 2 = 2.0065 s.
    vb_metrics_histogram_observe (binance, NS_PER_MS / 2);
    vb_metrics_histogram_observe (binance, NS_PER_MS);
    vb_metrics_histogram_observe (binance, 5 * NS_PER_MS);
    vb_metrics_histogram_observe (binance, 2 * NS_PER_SECOND);
    cr_assert_eq (vb_metrics_histogram_count (binance), 4);
    //  A plain (not _seconds) histogram prints its integer bounds as given.
    const int64_t sizes[] = {-5, 0, 100};
    vb_metrics_family_t *size =
        vb_metrics_add_histogram (metrics, "batch_size", "Batch sizes.", NULL, 1, sizes, 3);
    vb_metric_t *batch = vb_metrics_series (size, NULL);
    vb_metrics_histogram_observe (batch, -7);
    vb_metrics_histogram_observe (batch, 100);
    vb_metrics_histogram_observe (batch, 101);
    s_assert_render (metrics,
                     "# HELP venuebus_publish_latency_seconds Exchange to publish.\n"
                     "# TYPE venuebus_publish_latency_seconds histogram\n"
                     "venuebus_publish_latency_seconds_bucket{venue=\"binance\",le=\"0.001\"} 2\n"
                     "venuebus_publish_latency_seconds_bucket{venue=\"binance\",le=\"0.01\"} 3\n"
                     "venuebus_publish_latency_seconds_bucket{venue=\"binance\",le=\"0.1\"} 3\n"
                     "venuebus_publish_latency_seconds_bucket{venue=\"binance\",le=\"+Inf\"} 4\n"
                     "venuebus_publish_latency_seconds_sum{venue=\"binance\"} 2.0065\n"
                     "venuebus_publish_latency_seconds_count{venue=\"binance\"} 4\n"
                     "# HELP batch_size Batch sizes.\n"
                     "# TYPE batch_size histogram\n"
                     "batch_size_bucket{le=\"-5\"} 1\n"
                     "batch_size_bucket{le=\"0\"} 1\n"
                     "batch_size_bucket{le=\"100\"} 2\n"
                     "batch_size_bucket{le=\"+Inf\"} 3\n"
                     "batch_size_sum 194\n"
                     "batch_size_count 3\n");
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, formats_nanoseconds_as_exact_decimal_seconds)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    static const char *const which[] = {"which", NULL};
    vb_metrics_family_t *family =
        vb_metrics_add_gauge (metrics, "clock_offset_seconds", "Offsets.", which, 8);
    //  Each value by hand: ns / 10^9 written out in decimal.
    struct {
        const char *name;
        int64_t ns;
    } cases[] = {
        {"zero", 0},         {"one_ns", 1},      {"micro", 1500},    {"minus_1_5", -1500000000},
        {"two", 2000000000}, {"min", INT64_MIN}, {"max", INT64_MAX},
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases[0]); index++)
        vb_metrics_gauge_set (vb_metrics_series (family, (const char *[]){cases[index].name, NULL}),
                              cases[index].ns);
    vb_metrics_family_t *busy =
        vb_metrics_add_counter (metrics, "cpu_busy_seconds_total", "Busy time.", NULL, 1);
    vb_metrics_counter_add (vb_metrics_series (busy, NULL), 3 * NS_PER_SECOND + 250 * NS_PER_MS);
    s_assert_render (metrics, "# HELP clock_offset_seconds Offsets.\n"
                              "# TYPE clock_offset_seconds gauge\n"
                              "clock_offset_seconds{which=\"zero\"} 0\n"
                              "clock_offset_seconds{which=\"one_ns\"} 0.000000001\n"
                              "clock_offset_seconds{which=\"micro\"} 0.0000015\n"
                              "clock_offset_seconds{which=\"minus_1_5\"} -1.5\n"
                              "clock_offset_seconds{which=\"two\"} 2\n"
                              "clock_offset_seconds{which=\"min\"} -9223372036.854775808\n"
                              "clock_offset_seconds{which=\"max\"} 9223372036.854775807\n"
                              "# HELP cpu_busy_seconds_total Busy time.\n"
                              "# TYPE cpu_busy_seconds_total counter\n"
                              "cpu_busy_seconds_total 3.25\n");
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, caps_label_sets_and_sends_the_rest_to_the_overflow_series)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    static const char *const labels[] = {"venue", "symbol", NULL};
    vb_metrics_family_t *family =
        vb_metrics_add_counter (metrics, "gaps_total", "Gaps.", labels, 2);
    vb_metric_t *first = vb_metrics_series (family, (const char *[]){"binance", "BTC-USDT", NULL});
    vb_metric_t *second = vb_metrics_series (family, (const char *[]){"binance", "ETH-USDT", NULL});
    cr_assert_eq (vb_metrics_family_size (family), 2);
    vb_metric_t *third = vb_metrics_series (family, (const char *[]){"kraken", "BTC-USD", NULL});
    vb_metric_t *fourth = vb_metrics_series (family, (const char *[]){"kraken", "ETH-USD", NULL});
    cr_assert_not_null (third);
    cr_assert_eq (third, fourth, "every label set past the cap shares one series");
    cr_assert_neq (third, first);
    cr_assert_neq (third, second);
    cr_assert_eq (vb_metrics_family_size (family), 3);
    //  Known label sets still get their own series after the cap is reached.
    cr_assert_eq (vb_metrics_series (family, (const char *[]){"binance", "ETH-USDT", NULL}),
                  second);
    vb_metrics_counter_add (first, 1);
    vb_metrics_counter_add (third, 2);
    vb_metrics_counter_add (fourth, 3);
    s_assert_render (metrics, "# HELP gaps_total Gaps.\n"
                              "# TYPE gaps_total counter\n"
                              "gaps_total{venue=\"binance\",symbol=\"BTC-USDT\"} 1\n"
                              "gaps_total{venue=\"binance\",symbol=\"ETH-USDT\"} 0\n"
                              "gaps_total{venue=\"__overflow__\",symbol=\"__overflow__\"} 5\n");
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, rejects_names_that_break_prometheus_rules)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    static const char *const good[] = {"venue", NULL};
    const int64_t bounds[] = {1, 2};
    const int64_t unordered[] = {2, 2};
    //  Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*
    cr_assert_null (vb_metrics_add_gauge (metrics, "", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "9lives", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "has-dash", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "has space", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "caf\xc3\xa9", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, NULL, "H.", NULL, 1));
    cr_assert_not_null (vb_metrics_add_gauge (metrics, "ns:sub_system:Name_9", "H.", NULL, 1));
    cr_assert_not_null (vb_metrics_add_gauge (metrics, "_leading", "H.", NULL, 1));
    char longest[VB_METRICS_NAME_MAX + 2];
    memset (longest, 'a', sizeof (longest) - 1);
    longest[sizeof (longest) - 1] = 0;
    cr_assert_null (vb_metrics_add_gauge (metrics, longest, "H.", NULL, 1));
    longest[VB_METRICS_NAME_MAX] = 0;
    cr_assert_not_null (vb_metrics_add_gauge (metrics, longest, "H.", NULL, 1));
    //  Counters end in _total; nothing else does.
    cr_assert_null (vb_metrics_add_counter (metrics, "frames", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "frames_total", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_histogram (metrics, "frames_total", "H.", NULL, 1, bounds, 2));
    //  Help is required and UTF-8.
    cr_assert_null (vb_metrics_add_gauge (metrics, "no_help", "", NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "no_help", NULL, NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "bad_help", "\xff", NULL, 1));
    //  Label names: [a-zA-Z_][a-zA-Z0-9_]*, not __*, no duplicates, le not
    //  on a histogram, at most VB_METRICS_LABELS_MAX.
    cr_assert_null (vb_metrics_add_gauge (metrics, "l1", "H.", (const char *[]){"a:b", NULL}, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "l2", "H.", (const char *[]){"1a", NULL}, 1));
    cr_assert_null (
        vb_metrics_add_gauge (metrics, "l3", "H.", (const char *[]){"__reserved", NULL}, 1));
    cr_assert_null (
        vb_metrics_add_gauge (metrics, "l4", "H.", (const char *[]){"a", "a", NULL}, 1));
    cr_assert_null (
        vb_metrics_add_histogram (metrics, "l5", "H.", (const char *[]){"le", NULL}, 1, bounds, 2));
    cr_assert_not_null (
        vb_metrics_add_gauge (metrics, "l6", "H.", (const char *[]){"le", NULL}, 1));
    const char *nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", NULL};
    cr_assert_null (vb_metrics_add_gauge (metrics, "l7", "H.", nine, 1));
    nine[VB_METRICS_LABELS_MAX] = NULL;
    cr_assert_not_null (vb_metrics_add_gauge (metrics, "l8", "H.", nine, 1));
    //  max_series within 1..VB_METRICS_SERIES_MAX (ignored without labels).
    cr_assert_null (vb_metrics_add_gauge (metrics, "m1", "H.", good, 0));
    cr_assert_null (vb_metrics_add_gauge (metrics, "m2", "H.", good, VB_METRICS_SERIES_MAX + 1));
    cr_assert_not_null (vb_metrics_add_gauge (metrics, "m3", "H.", s_no_labels, 0));
    //  Histogram bounds: 1..VB_METRICS_BUCKETS_MAX, strictly increasing.
    cr_assert_null (vb_metrics_add_histogram (metrics, "h1", "H.", NULL, 1, NULL, 0));
    cr_assert_null (vb_metrics_add_histogram (metrics, "h2", "H.", NULL, 1, unordered, 2));
    cr_assert_null (vb_metrics_add_histogram (metrics, "h3", "H.", NULL, 1, bounds,
                                              VB_METRICS_BUCKETS_MAX + 1));
    cr_assert_null (vb_metrics_add_histogram (metrics, "h_count", "H.", NULL, 1, bounds, 2));
    //  No two families may print the same line name.
    cr_assert_not_null (vb_metrics_add_histogram (metrics, "rtt", "H.", NULL, 1, bounds, 2));
    cr_assert_null (vb_metrics_add_gauge (metrics, "rtt", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "rtt_sum", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_gauge (metrics, "rtt_bucket", "H.", NULL, 1));
    cr_assert_not_null (vb_metrics_add_gauge (metrics, "wait_count", "H.", NULL, 1));
    cr_assert_null (vb_metrics_add_histogram (metrics, "wait", "H.", NULL, 1, bounds, 2));
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, rejects_label_values_of_the_wrong_count_or_encoding)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    static const char *const labels[] = {"venue", "kind", NULL};
    vb_metrics_family_t *family = vb_metrics_add_counter (metrics, "x_total", "X.", labels, 4);
    cr_assert_null (vb_metrics_series (family, NULL));
    cr_assert_null (vb_metrics_series (family, (const char *[]){"binance", NULL}));
    cr_assert_null (vb_metrics_series (family, (const char *[]){"a", "b", "c", NULL}));
    //  Invalid UTF-8: a lone continuation byte, an overlong '/', a surrogate,
    //  a sequence cut short.
    cr_assert_null (vb_metrics_series (family, (const char *[]){"\x80", "b", NULL}));
    cr_assert_null (vb_metrics_series (family, (const char *[]){"\xc0\xaf", "b", NULL}));
    cr_assert_null (vb_metrics_series (family, (const char *[]){"\xed\xa0\x80", "b", NULL}));
    cr_assert_null (vb_metrics_series (family, (const char *[]){"\xe2\x82", "b", NULL}));
    cr_assert_null (
        vb_metrics_series (family, (const char *[]){VB_METRICS_OVERFLOW_VALUE, "b", NULL}));
    char value[VB_METRICS_VALUE_MAX + 2];
    memset (value, 'v', sizeof (value) - 1);
    value[sizeof (value) - 1] = 0;
    cr_assert_null (vb_metrics_series (family, (const char *[]){value, "b", NULL}));
    value[VB_METRICS_VALUE_MAX] = 0;
    cr_assert_not_null (vb_metrics_series (family, (const char *[]){value, "b", NULL}));
    //  A 4-byte character (U+1F600) is fine.
    cr_assert_not_null (
        vb_metrics_series (family, (const char *[]){"\xf0\x9f\x98\x80", "b", NULL}));
    cr_assert_eq (vb_metrics_family_size (family), 2);
    //  A NULL handle is a no-op on every update.
    vb_metrics_counter_add (NULL, 1);
    vb_metrics_gauge_set (NULL, 1);
    vb_metrics_gauge_add (NULL, 1);
    vb_metrics_histogram_observe (NULL, 1);
    cr_assert_eq (vb_metrics_counter_value (NULL), 0);
    vb_metrics_destroy (&metrics);
}

typedef struct {
    vb_metric_t *counter;    //  Shared counter
    vb_metric_t *gauge;      //  Shared gauge
    vb_metric_t *histogram;  //  Shared histogram
} s_shared_t;

static void *
s_hammer (void *args)
{
    s_shared_t *shared = (s_shared_t *)args;
    for (int round = 0; round < ROUNDS; round++) {
        vb_metrics_counter_add (shared->counter, ADDS_PER_CALL);
        vb_metrics_gauge_add (shared->gauge, round % 2 ? -1 : 2);
        vb_metrics_histogram_observe (shared->histogram, round % 2);
    }
    return NULL;
}

Test (vb_metrics, concurrent_updates_from_several_threads_sum_exactly)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    const int64_t bounds[] = {0};
    s_shared_t shared = {
        .counter = vb_metrics_series (
            vb_metrics_add_counter (metrics, "hits_total", "Hits.", NULL, 1), NULL),
        .gauge =
            vb_metrics_series (vb_metrics_add_gauge (metrics, "level", "Level.", NULL, 1), NULL),
        .histogram = vb_metrics_series (
            vb_metrics_add_histogram (metrics, "parity", "Parity.", NULL, 1, bounds, 1), NULL),
    };
    pthread_t threads[THREADS];
    for (int index = 0; index < THREADS; index++)
        cr_assert_eq (pthread_create (&threads[index], NULL, s_hammer, &shared), 0);
    //  Scrapes while the threads run must not disturb them.
    for (int scrape = 0; scrape < 20; scrape++)
        free (vb_metrics_render (metrics, NULL));
    for (int index = 0; index < THREADS; index++)
        pthread_join (threads[index], NULL);
    //  By hand: each thread adds 3 per round; the gauge gains 2 on even
    //  rounds and loses 1 on odd ones, +1 per pair; half the observations are
    //  0 (bucket le=0) and half 1 (+Inf), and their sum is the count of 1s.
    const uint64_t total_rounds = (uint64_t)THREADS * ROUNDS;
    cr_assert_eq (vb_metrics_counter_value (shared.counter), total_rounds * ADDS_PER_CALL);
    cr_assert_eq (vb_metrics_gauge_value (shared.gauge), (int64_t)(total_rounds / 2));
    cr_assert_eq (vb_metrics_histogram_count (shared.histogram), total_rounds);
    char *text = vb_metrics_render (metrics, NULL);
    char expected[256];
    snprintf (expected, sizeof (expected),
              "parity_bucket{le=\"0\"} %" PRIu64 "\nparity_bucket{le=\"+Inf\"} %" PRIu64
              "\nparity_sum %" PRIu64 "\nparity_count %" PRIu64 "\n",
              total_rounds / 2, total_rounds, total_rounds / 2, total_rounds);
    cr_assert (strstr (text, expected), "%s", text);
    free (text);
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, process_metrics_follow_health)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    char reason[VB_METRICS_REASON_MAX + 1];
    cr_assert_not (vb_metrics_healthy (metrics, reason, sizeof (reason)));
    cr_assert_str_eq (reason, VB_METRICS_REASON_STARTING);
    //  1700000000.5 s after the epoch, in ns.
    cr_assert_eq (vb_metrics_add_process (metrics, "bus", INT64_C (1700000000500000000)), 0);
    cr_assert_eq (vb_metrics_add_process (metrics, "bus", 0), VB_EEXIST);
    vb_metrics_t *other = vb_metrics_new ();
    cr_assert_eq (vb_metrics_add_process (other, "", 0), VB_EINVAL);
    cr_assert_eq (vb_metrics_add_process (other, "\xff", 0), VB_EINVAL);
    vb_metrics_destroy (&other);
    const char *expected_head = "# HELP venuebus_up 1 while the service process runs.\n"
                                "# TYPE venuebus_up gauge\n"
                                "venuebus_up{service=\"bus\"} 1\n"
                                "# HELP venuebus_healthy 1 when the service reports itself "
                                "healthy (see /healthz).\n"
                                "# TYPE venuebus_healthy gauge\n";
    const char *expected_tail = "# HELP process_start_time_seconds Start time of the process "
                                "since the Unix epoch.\n"
                                "# TYPE process_start_time_seconds gauge\n"
                                "process_start_time_seconds 1700000000.5\n";
    char expected[1024];
    snprintf (expected, sizeof (expected), "%svenuebus_healthy{service=\"bus\"} 0\n%s",
              expected_head, expected_tail);
    s_assert_render (metrics, expected);

    vb_metrics_set_health (metrics, true, "ignored");
    cr_assert (vb_metrics_healthy (metrics, reason, sizeof (reason)));
    snprintf (expected, sizeof (expected), "%svenuebus_healthy{service=\"bus\"} 1\n%s",
              expected_head, expected_tail);
    s_assert_render (metrics, expected);

    vb_metrics_set_health (metrics, false, "proxy not answering");
    cr_assert_not (vb_metrics_healthy (metrics, reason, sizeof (reason)));
    cr_assert_str_eq (reason, "proxy not answering");
    //  Invalid bytes become '?'; a long reason is cut to VB_METRICS_REASON_MAX.
    vb_metrics_set_health (metrics, false, "bad \xff byte \xc3\xa9");
    vb_metrics_healthy (metrics, reason, sizeof (reason));
    cr_assert_str_eq (reason, "bad ? byte \xc3\xa9");
    char longer[VB_METRICS_REASON_MAX * 2];
    memset (longer, 'r', sizeof (longer) - 1);
    longer[sizeof (longer) - 1] = 0;
    vb_metrics_set_health (metrics, false, longer);
    vb_metrics_healthy (metrics, reason, sizeof (reason));
    cr_assert_eq (strlen (reason), VB_METRICS_REASON_MAX);
    //  A small buffer gets a cut copy; NULL asks only for the state.
    char small[4];
    vb_metrics_set_health (metrics, false, "abcdef");
    cr_assert_not (vb_metrics_healthy (metrics, small, sizeof (small)));
    cr_assert_str_eq (small, "abc");
    cr_assert_not (vb_metrics_healthy (metrics, NULL, 0));
    vb_metrics_destroy (&metrics);
}

//  --------------------------------------------------------------------------
//  HTTP over a raw socket: send `request` to 127.0.0.1:port, read until the
//  server closes, and return the response length (-1 on failure).

static int
s_connect (uint16_t port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq (fd, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons (port)};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *)&address, sizeof (address)) != 0) {
        int error = errno;
        close (fd);
        return -error;
    }
    return fd;
}

static ssize_t
s_exchange (int fd, const char *request, char *response, size_t size)
{
    size_t length = strlen (request);
    if (send (fd, request, length, MSG_NOSIGNAL) != (ssize_t)length)
        return -1;
    size_t got = 0;
    while (got < size - 1) {
        struct pollfd poll_fd = {.fd = fd, .events = POLLIN};
        if (poll (&poll_fd, 1, IO_TIMEOUT_MS) <= 0)
            return -1;
        ssize_t chunk = recv (fd, response + got, size - 1 - got, 0);
        if (chunk < 0)
            return got ? (ssize_t)got : -1;
        if (chunk == 0)
            break;
        got += (size_t)chunk;
    }
    response[got] = 0;
    return (ssize_t)got;
}

static ssize_t
s_http (uint16_t port, const char *request, char *response, size_t size)
{
    int fd = s_connect (port);
    cr_assert_geq (fd, 0, "connect failed: %s", strerror (-fd));
    ssize_t got = s_exchange (fd, request, response, size);
    close (fd);
    return got;
}

//  The body after the blank line that ends the headers.
static const char *
s_body (const char *response)
{
    const char *end = strstr (response, "\r\n\r\n");
    cr_assert_not_null (end, "no header end in: %s", response);
    return end + 4;
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"

Test (vb_metrics, serves_metrics_and_health_over_http)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    vb_metric_t *frames = vb_metrics_series (
        vb_metrics_add_counter (metrics, "frames_total", "Frames.", NULL, 1), NULL);
    vb_metrics_counter_add (frames, 42);
    int error = 0;
    vb_metrics_server_t *server = vb_metrics_server_new (metrics, "127.0.0.1:0", &error);
    cr_assert_not_null (server, "error %s", strerror (error));
    uint16_t port = vb_metrics_server_port (server);
    cr_assert_neq (port, 0);
    char expected_address[64];
    snprintf (expected_address, sizeof (expected_address), "127.0.0.1:%u", port);
    cr_assert_str_eq (vb_metrics_server_address (server), expected_address);

    char response[RESPONSE_MAX];
    cr_assert_gt (s_http (port, GET ("/metrics"), response, sizeof (response)), 0);
    cr_assert (strncmp (response, "HTTP/1.1 200", 12) == 0, "%s", response);
    cr_assert (strcasestr (response, "\r\nContent-Type: text/plain; version=0.0.4"), "%s",
               response);
    cr_assert_str_eq (
        s_body (response),
        "# HELP frames_total Frames.\n# TYPE frames_total counter\nframes_total 42\n");

    //  HEAD: the same status and headers, no body.
    cr_assert_gt (s_http (port, "HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                          response, sizeof (response)),
                  0);
    cr_assert (strncmp (response, "HTTP/1.1 200", 12) == 0, "%s", response);
    cr_assert_str_eq (s_body (response), "");

    //  Health: a new registry is "starting" (503) until the service says so.
    cr_assert_gt (s_http (port, GET ("/healthz"), response, sizeof (response)), 0);
    cr_assert (strncmp (response, "HTTP/1.1 503", 12) == 0, "%s", response);
    cr_assert_str_eq (s_body (response), "starting\n");
    vb_metrics_set_health (metrics, true, NULL);
    cr_assert_gt (s_http (port, GET ("/healthz"), response, sizeof (response)), 0);
    cr_assert (strncmp (response, "HTTP/1.1 200", 12) == 0, "%s", response);
    cr_assert_str_eq (s_body (response), "ok\n");
    vb_metrics_set_health (metrics, false, "venue banned until=12:00");
    cr_assert_gt (s_http (port, GET ("/healthz"), response, sizeof (response)), 0);
    cr_assert (strncmp (response, "HTTP/1.1 503", 12) == 0, "%s", response);
    cr_assert_str_eq (s_body (response), "venue banned until=12:00\n");

    //  Unknown paths are 404 (a query string is not part of the path).
    cr_assert_gt (s_http (port, GET ("/"), response, sizeof (response)), 0);
    cr_assert (strncmp (response, "HTTP/1.1 404", 12) == 0, "%s", response);
    cr_assert_gt (s_http (port, GET ("/metricsx"), response, sizeof (response)), 0);
    cr_assert (strncmp (response, "HTTP/1.1 404", 12) == 0, "%s", response);
    cr_assert_gt (s_http (port, GET ("/metrics?x=1"), response, sizeof (response)), 0);
    cr_assert (strncmp (response, "HTTP/1.1 200", 12) == 0, "%s", response);
    //  Other methods are 405 with Allow.
    cr_assert_gt (s_http (port,
                          "POST /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                          "Content-Length: 3\r\n\r\nabc",
                          response, sizeof (response)),
                  0);
    cr_assert (strncmp (response, "HTTP/1.1 405", 12) == 0, "%s", response);
    cr_assert (strcasestr (response, "\r\nAllow: GET, HEAD\r\n"), "%s", response);

    vb_metrics_server_destroy (&server);
    cr_assert_null (server);
    vb_metrics_server_destroy (&server);
    //  The listening socket is closed: nothing answers on the port now.
    cr_assert_eq (s_connect (port), -ECONNREFUSED);
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, bounds_the_number_of_open_connections)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    vb_metrics_set_health (metrics, true, NULL);
    vb_metrics_server_t *server = vb_metrics_server_new (metrics, "127.0.0.1:0", NULL);
    cr_assert_not_null (server);
    uint16_t port = vb_metrics_server_port (server);
    //  Fill every connection slot with a real (kept-alive) request, so each
    //  is known to be accepted before the next one opens.
    int idle[VB_METRICS_CONNECTIONS_MAX];
    char response[RESPONSE_MAX];
    for (int index = 0; index < VB_METRICS_CONNECTIONS_MAX; index++) {
        idle[index] = s_connect (port);
        cr_assert_geq (idle[index], 0);
        const char *request = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
        cr_assert_eq (send (idle[index], request, strlen (request), MSG_NOSIGNAL),
                      (ssize_t)strlen (request));
        struct pollfd poll_fd = {.fd = idle[index], .events = POLLIN};
        cr_assert_eq (poll (&poll_fd, 1, IO_TIMEOUT_MS), 1);
        ssize_t got = recv (idle[index], response, sizeof (response) - 1, 0);
        cr_assert_gt (got, 0);
        response[got] = 0;
        cr_assert (strncmp (response, "HTTP/1.1 200", 12) == 0, "%s", response);
    }
    //  One more connects (the kernel queues it) but is not served while every
    //  slot is taken...
    int extra = s_connect (port);
    cr_assert_geq (extra, 0);
    const char *request = GET ("/healthz");
    cr_assert_eq (send (extra, request, strlen (request), MSG_NOSIGNAL), (ssize_t)strlen (request));
    struct pollfd poll_fd = {.fd = extra, .events = POLLIN};
    cr_assert_eq (poll (&poll_fd, 1, FULL_CHECK_MS), 0, "served past the connection limit");
    //  ...and is served as soon as one slot frees.
    close (idle[0]);
    ssize_t got = s_exchange (extra, "", response, sizeof (response));
    cr_assert_gt (got, 0);
    cr_assert (strncmp (response, "HTTP/1.1 200", 12) == 0, "%s", response);
    close (extra);
    for (int index = 1; index < VB_METRICS_CONNECTIONS_MAX; index++)
        close (idle[index]);
    vb_metrics_server_destroy (&server);
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, refuses_bad_addresses_and_a_port_in_use)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    const char *bad[] = {"",
                         "127.0.0.1",
                         "127.0.0.1:",
                         ":9100",
                         "127.0.0.1:x",
                         "127.0.0.1:65536",
                         "127.0.0.1:-1",
                         "::1:9100",
                         "[::1:9100",
                         "[]:9100",
                         "127.0.0.1:123456"};
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        int error = 0;
        cr_assert_null (vb_metrics_server_new (metrics, bad[index], &error), "%s", bad[index]);
        cr_assert_eq (error, EINVAL, "%s: %s", bad[index], strerror (error));
    }
    int error = 0;
    cr_assert_null (vb_metrics_server_new (metrics, NULL, &error));
    cr_assert_eq (error, EINVAL);
    cr_assert_null (vb_metrics_server_new (metrics, "no-such-host.invalid:9100", &error));
    cr_assert_eq (error, EADDRNOTAVAIL);
    vb_metrics_server_t *first = vb_metrics_server_new (metrics, "127.0.0.1:0", &error);
    cr_assert_not_null (first);
    char taken[64];
    snprintf (taken, sizeof (taken), "127.0.0.1:%u", vb_metrics_server_port (first));
    cr_assert_null (vb_metrics_server_new (metrics, taken, &error));
    cr_assert_eq (error, EADDRINUSE, "%s", strerror (error));
    vb_metrics_server_destroy (&first);
    //  "*" is every IPv4 interface; "localhost" resolves.
    vb_metrics_server_t *any = vb_metrics_server_new (metrics, "*:0", &error);
    cr_assert_not_null (any, "%s", strerror (error));
    cr_assert (strncmp (vb_metrics_server_address (any), "0.0.0.0:", 8) == 0, "%s",
               vb_metrics_server_address (any));
    vb_metrics_server_destroy (&any);
    vb_metrics_server_t *named = vb_metrics_server_new (metrics, "localhost:0", &error);
    cr_assert_not_null (named, "%s", strerror (error));
    vb_metrics_server_destroy (&named);
    vb_metrics_destroy (&metrics);
}

Test (vb_metrics, listens_on_ipv6_when_the_host_has_it)
{
    vb_metrics_t *metrics = vb_metrics_new ();
    int error = 0;
    vb_metrics_server_t *server = vb_metrics_server_new (metrics, "[::1]:0", &error);
    if (!server && (error == EADDRNOTAVAIL || error == EAFNOSUPPORT)) {
        vb_metrics_destroy (&metrics);
        cr_skip_test ("no IPv6 loopback here: %s", strerror (error));
    }
    cr_assert_not_null (server, "%s", strerror (error));
    char expected[64];
    snprintf (expected, sizeof (expected), "[::1]:%u", vb_metrics_server_port (server));
    cr_assert_str_eq (vb_metrics_server_address (server), expected);
    vb_metrics_server_destroy (&server);
    vb_metrics_destroy (&metrics);
}
