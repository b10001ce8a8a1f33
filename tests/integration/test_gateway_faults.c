/*  test_gateway_faults.c — duplicated and reordered frames through the
    real venuebus-gateway.

    venuebus-sim, venuebus-bus and venuebus-gateway run on loopback
    (tests/support/vbt_stack); the sim duplicates or reorders stream frames
    (POST /_sim/faults). Binance diffs carry U/u, so a duplicated or
    reordered diff breaks the chain: the book must go RESYNCING, come back
    SYNCED, and equal the sim's REST depth at the same update id. Kraken
    book updates carry absolute levels and a CRC32 of the top 10: a
    duplicate changes nothing (the book stays right without a resync), a
    reorder that reaches the top 10 fails the checksum and forces a
    resync. In every case no book marked SYNCED is wrong: each one is
    checked against the sim's own REST depth, never crossed, and every
    topic's sequence stays gap-free.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "vbt_http.h"
#include "vbt_stack.h"

static vbt_stack_t *
s_start (const char *venue, const char *symbols, const char *const *names,
         const char *const *rest_names, size_t count)
{
    vbt_stack_args_t args = {.sim_bin = VB_SIM_BIN,
                             .bus_bin = VB_BUS_BIN,
                             .gateway_bin = VB_GATEWAY_BIN,
                             .venue = venue,
                             .symbols = symbols,
                             .names = names,
                             .rest_names = rest_names,
                             .count = count};
    vbt_stack_t *stack = vbt_stack_new (&args);
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    for (size_t i = 0; i < count; i++)
        vbt_stack_verify (stack, vbt_stack_mirror_at (stack, i));
    return stack;
}

Test (gateway_faults, binance_resyncs_after_a_duplicated_diff)
{
    const char *names[] = {"BTC-USDT", "ETH-USDT"};
    const char *rest_names[] = {"BTCUSDT", "ETHUSDT"};
    vbt_stack_t *stack = s_start ("binance", "BTC-USDT,ETH-USDT", names, rest_names, 2);
    vbt_mirror_t *btc = vbt_stack_mirror (stack, "BTC-USDT");
    vbt_stack_fault (stack,
                     "{\"fault\":\"duplicate\",\"stream\":\"btcusdt@depth@100ms\",\"count\":1}",
                     "BTC-USDT");
    cr_expect_str_eq (btc->reason, "gap", "a repeated diff breaks the U/u chain");
    //  Every stream of the connection: a burst of duplicates, some of them
    //  depth diffs of one symbol or the other.
    vbt_stack_fault (stack, "{\"fault\":\"duplicate\",\"stream\":\"*\",\"count\":50}", NULL);
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}

//  --------------------------------------------------------------------------
//  The sim's reorder holds one frame of the stream until the connection's
//  next frame has gone; the stream is reordered only when that next frame
//  is of the same stream (another stream's frame in between leaves the
//  stream's order intact). So inject it again, each time after the last
//  one was consumed and the books were verified, until one break shows,
//  then expect the resync and a book equal to the sim's. Returns the
//  attempts that left the order of the stream intact.

#define REORDER_TRIES 40

static int
s_reorder_until_break (vbt_stack_t *stack, const char *body, const char *symbol, size_t count)
{
    vbt_mirror_t *watched = vbt_stack_mirror (stack, symbol);
    for (int attempt = 0; attempt < REORDER_TRIES; attempt++) {
        uint64_t breaks = watched->breaks;
        vbt_stack_post_fault (stack, body);
        vbt_stack_wait_faults_done (stack, VBT_STACK_WAIT_MS);
        //  The last held frame goes with the connection's next frame.
        for (int frames = 0; frames < 2 && vbt_stack_pump (stack, VBT_STACK_WAIT_MS); frames++)
            ;
        vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
        for (size_t i = 0; i < count; i++)
            vbt_stack_verify (stack, vbt_stack_mirror_at (stack, i));
        if (watched->breaks > breaks)
            return attempt;
    }
    cr_assert_fail ("%s: no reorder reached the book stream in %d tries", body, REORDER_TRIES);
    return REORDER_TRIES;
}

Test (gateway_faults, binance_resyncs_after_a_reordered_diff)
{
    const char *names[] = {"BTC-USDT"};
    const char *rest_names[] = {"BTCUSDT"};
    vbt_stack_t *stack = s_start ("binance", "BTC-USDT", names, rest_names, 1);
    vbt_mirror_t *btc = vbt_stack_mirror (stack, "BTC-USDT");
    int misses = s_reorder_until_break (
        stack, "{\"fault\":\"reorder\",\"stream\":\"btcusdt@depth@100ms\",\"count\":1}", "BTC-USDT",
        1);
    cr_log_info ("binance reorder: %d injections left the diff order intact first", misses);
    cr_expect_str_eq (btc->reason, "gap", "a diff ahead of its turn breaks the U/u chain");
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}

Test (gateway_faults, kraken_keeps_a_right_book_through_duplicates_and_resyncs_on_reorder)
{
    const char *names[] = {"BTC-USD"};
    const char *rest_names[] = {"XBTUSD"};
    vbt_stack_t *stack = s_start ("kraken", "BTC-USD", names, rest_names, 1);
    vbt_mirror_t *btc = vbt_stack_mirror (stack, "BTC-USD");
    //  A Kraken update sets absolute quantities: applying it twice leaves
    //  the same book and the same checksum, so no resync is needed, and the
    //  book must still equal the sim's depth once the duplicates went out.
    uint64_t breaks = btc->breaks;
    vbt_stack_post_fault (stack, "{\"fault\":\"duplicate\",\"stream\":\"book\",\"count\":10}");
    vbt_stack_wait_faults_done (stack, VBT_STACK_WAIT_MS);
    vbt_stack_verify (stack, btc);
    cr_expect_eq (btc->breaks, breaks, "a duplicated update broke a right book (%s)", btc->reason);
    //  Swapped updates give a book the venue never had: the checksum
    //  catches it when a swapped level is in the top 10.
    int misses = s_reorder_until_break (
        stack, "{\"fault\":\"reorder\",\"stream\":\"book\",\"count\":1}", "BTC-USD", 1);
    cr_log_info ("kraken reorder: %d injections left the book right first", misses);
    cr_expect_str_eq (btc->reason, "checksum");
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}

//  --------------------------------------------------------------------------
//  --metrics: /metrics counts what the faults did, /healthz follows the
//  books.

#define METRICS_LINE_MAX 512

//  The value of the exposition line that starts with `series` (name and
//  labels exactly as rendered), or -1 when absent.
static int64_t
s_metric (const char *body, const char *series)
{
    size_t length = strlen (series);
    for (const char *line = body; line && *line;
         line = strchr (line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp (line, series, length) == 0 && line[length] == ' ')
            return strtoll (line + length + 1, NULL, 10);
    return -1;
}

static char *
s_get (const char *address, const char *path, long *status)
{
    char url[METRICS_LINE_MAX];
    snprintf (url, sizeof url, "http://%s%s", address, path);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, VBT_STACK_WAIT_MS, &response), 0,
                  "GET %s failed", url);
    *status = response.status;
    char *body = strdup (response.body);
    vbt_http_response_free (&response);
    return body;
}

//  Pump the bus until /healthz answers `want`; returns its body.
static char *
s_wait_health (vbt_stack_t *stack, const char *address, long want)
{
    int64_t deadline = zclock_mono () + VBT_STACK_WAIT_MS;
    while (true) {
        long status;
        char *body = s_get (address, "/healthz", &status);
        if (status == want)
            return body;
        free (body);
        cr_assert_lt (zclock_mono (), deadline, "/healthz never answered %ld", want);
        vbt_stack_pump (stack, VBT_STACK_PUMP_MS);
    }
}

Test (gateway_faults, metrics_count_the_faults_and_healthz_follows_the_books)
{
    const char *names[] = {"BTC-USDT"};
    const char *rest_names[] = {"BTCUSDT"};
    const char *gateway_extra[] = {
        "--metrics", "127.0.0.1:0",   "--stale", "1s", "--unhealthy-after",
        "500ms",     "--stuck-alert", "1s",      NULL};
    vbt_stack_args_t args = {.sim_bin = VB_SIM_BIN,
                             .bus_bin = VB_BUS_BIN,
                             .gateway_bin = VB_GATEWAY_BIN,
                             .venue = "binance",
                             .symbols = "BTC-USDT",
                             .names = names,
                             .rest_names = rest_names,
                             .count = 1,
                             .gateway_extra = gateway_extra};
    vbt_stack_t *stack = vbt_stack_new (&args);
    char line[METRICS_LINE_MAX], address[METRICS_LINE_MAX];
    cr_assert_eq (vbt_proc_wait_stderr_line (vbt_stack_gateway (stack), "metrics listening",
                                             VBT_STACK_WAIT_MS, line, sizeof line),
                  0);
    cr_assert_eq (vbt_line_value (line, "address", address, sizeof address), 0);
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    vbt_stack_verify (stack, vbt_stack_mirror_at (stack, 0));
    vbt_stack_fault (stack,
                     "{\"fault\":\"duplicate\",\"stream\":\"btcusdt@depth@100ms\",\"count\":1}",
                     "BTC-USDT");
    char *body = s_wait_health (stack, address, 200);
    cr_expect (strncmp (body, "ok", 2) == 0, "/healthz: %s", body);
    free (body);

    long status;
    body = s_get (address, "/metrics", &status);
    cr_assert_eq (status, 200);
    const char *v = "venue=\"binance\"";
    char series[METRICS_LINE_MAX];
    snprintf (series, sizeof series,
              "venuebus_gateway_messages_total{%s,direction=\"in\",kind=\"ws\"}", v);
    cr_expect_gt (s_metric (body, series), 0, "%s\n%s", series, body);
    snprintf (series, sizeof series,
              "venuebus_gateway_messages_total{%s,direction=\"in\",kind=\"rest\"}", v);
    cr_expect_geq (s_metric (body, series), 2, "two REST snapshots: start and resync");
    snprintf (series, sizeof series,
              "venuebus_gateway_messages_total{%s,direction=\"out\",kind=\"book_snapshot\"}", v);
    cr_expect_geq (s_metric (body, series), 2, "a book snapshot at start and after the resync");
    snprintf (series, sizeof series,
              "venuebus_gateway_messages_total{%s,direction=\"out\",kind=\"book_delta\"}", v);
    cr_expect_gt (s_metric (body, series), 0);
    snprintf (series, sizeof series, "venuebus_gateway_gaps_total{%s}", v);
    cr_expect_geq (s_metric (body, series), 1, "the duplicated diff is a gap");
    snprintf (series, sizeof series, "venuebus_gateway_resyncs_total{%s,reason=\"gap\"}", v);
    cr_expect_geq (s_metric (body, series), 1);
    snprintf (series, sizeof series, "venuebus_gateway_book_state{%s,symbol=\"BTC-USDT\"}", v);
    cr_expect_eq (s_metric (body, series), 1, "SYNCED is 1");
    snprintf (series, sizeof series,
              "venuebus_gateway_exchange_to_publish_seconds_count{%s,kind=\"book_delta\"}", v);
    cr_expect_gt (s_metric (body, series), 0, "no latency observed");
    snprintf (series, sizeof series, "venuebus_gateway_decode_errors_total{%s}", v);
    const char *log = vbt_proc_stderr (vbt_stack_gateway (stack));
    const char *unusable = strstr (log, "frame unusable");
    cr_expect_eq (s_metric (body, series), 0, "the sim's frames all decode: %.300s",
                  unusable ? unusable : "(no line)");
    cr_expect_eq (s_metric (body, "venuebus_up{service=\"gateway\"}"), 1);
    free (body);

    //  A stream stalled past the stale bound and unhealthy_after: 503 naming
    //  the book, then healthy again once it is rebuilt.
    zsock_t *alerts = zsock_new_sub (vbt_stack_bus_backend (stack), "sys.gateway.alert");
    cr_assert_not_null (alerts);
    vbt_stack_post_fault (stack, "{\"fault\":\"stall\",\"stream\":\"*\",\"ms\":3000}");
    body = s_wait_health (stack, address, 503);
    cr_expect (strstr (body, "BTC-USDT") != NULL, "reason does not name the book: %s", body);
    free (body);
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    free (s_wait_health (stack, address, 200));
    //  Out of SYNCED past --stuck-alert: the alert fired on sys.gateway.alert
    //  and in the log, and cleared once the book was back
    cr_assert_eq (vbt_proc_wait_stderr_line (vbt_stack_gateway (stack), "gateway alert name=",
                                             VBT_STACK_WAIT_MS, line, sizeof line),
                  0);
    cr_expect (strstr (line, "symbol=BTC-USDT") != NULL, "%s", line);
    cr_assert_eq (vbt_proc_wait_stderr_line (vbt_stack_gateway (stack), "gateway alert cleared",
                                             VBT_STACK_WAIT_MS, line, sizeof line),
                  0);
    vb_msg_t *decoder = vb_msg_new ();
    bool fired = false, cleared = false;
    zsock_set_rcvtimeo (alerts, VBT_STACK_WAIT_MS);
    while (!cleared && vb_msg_recv (decoder, alerts, 0) == 0) {
        const Venuebus__Envelope *envelope = vb_msg_envelope (decoder);
        cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_ALERT);
        fired = fired || envelope->alert->firing;
        cleared = fired && !envelope->alert->firing;
    }
    cr_expect (fired && cleared, "alert fired %d cleared %d on the bus", fired, cleared);
    vb_msg_destroy (&decoder);
    zsock_destroy (&alerts);
    body = s_get (address, "/metrics", &status);
    snprintf (series, sizeof series, "venuebus_gateway_reconnects_total{%s,reason=\"stale\"}", v);
    cr_expect_geq (s_metric (body, series), 1, "%s", body);
    free (body);
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}
