/*  test_gateway.c — the real venuebus-gateway between a real sim and a real bus.

    For Binance and for Kraken: venuebus-sim, venuebus-bus and
    venuebus-gateway run on loopback (tests/support/vbt_stack), and the
    test subscribes to the bus, decodes every frame with vb_msg and
    rebuilds each book from the gateway's BookSnapshot and BookDelta
    messages (taking a snapshot from the gateway's snapshot endpoint when
    it joined late or saw a gap, the Clone pattern). It checks:
    - every topic's Header.seq is gap-free;
    - each book reaches SYNCED, and the rebuilt book equals the sim's own
      REST depth: for Binance at the same venue update id (lastUpdateId ==
      the last BookDelta's venue_seq_last), for Kraken on the top 10 levels
      of each side (the levels Kraken's checksum covers);
    - after each fault injected through POST /_sim/faults (drop, gap,
      corrupt_checksum, disconnect) the status goes RESYNCING (or STALE)
      and back to SYNCED, and the book equals the sim's depth again;
    - a rebuilt book marked SYNCED is never crossed, and a Binance book at
      the REST snapshot's update id is never different from it.
    Expected books come from the sim's REST answers, an independent path
    through the sim (its engine's book, formatted by its REST personality).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <string.h>

#include "vb_msg.h"
#include "vbt_proc.h"
#include "vbt_stack.h"

//  --------------------------------------------------------------------------
//  Start sim, bus, gateway and the test's subscriber; sim_extra and
//  gateway_extra are NULL or NULL-terminated lists of more arguments. Every
//  frame on the bus must be for one of the mirrored symbols.

static vbt_stack_t *
s_start_with (const char *venue, const char *symbols, const char *const *names,
              const char *const *rest_names, size_t count, const char *const *sim_extra,
              const char *const *gateway_extra)
{
    vbt_stack_args_t args = {.sim_bin = VB_SIM_BIN,
                             .bus_bin = VB_BUS_BIN,
                             .gateway_bin = VB_GATEWAY_BIN,
                             .venue = venue,
                             .symbols = symbols,
                             .names = names,
                             .rest_names = rest_names,
                             .count = count,
                             .strict_symbols = true,
                             .sim_extra = sim_extra,
                             .gateway_extra = gateway_extra};
    return vbt_stack_new (&args);
}

//  --------------------------------------------------------------------------
//  Start everything with no extra arguments.

static vbt_stack_t *
s_start (const char *venue, const char *symbols, const char *const *names,
         const char *const *rest_names, size_t count)
{
    return s_start_with (venue, symbols, names, rest_names, count, NULL, NULL);
}

//  --------------------------------------------------------------------------
//  Start everything, wait for every book SYNCED and check each against the
//  sim's REST depth.

static vbt_stack_t *
s_start_verified (const char *venue, const char *symbols, const char *const *names,
                  const char *const *rest_names, size_t count)
{
    vbt_stack_t *stack = s_start (venue, symbols, names, rest_names, count);
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    for (size_t i = 0; i < count; i++)
        vbt_stack_verify (stack, vbt_stack_mirror_at (stack, i));
    return stack;
}

Test (gateway, binance_books_match_the_sim_and_recover_from_every_fault)
{
    const char *names[] = {"BTC-USDT", "ETH-USDT"};
    const char *rest_names[] = {"BTCUSDT", "ETHUSDT"};
    vbt_stack_t *stack = s_start_verified ("binance", "BTC-USDT,ETH-USDT", names, rest_names, 2);
    vbt_stack_fault (stack, "{\"fault\":\"drop\",\"stream\":\"btcusdt@depth@100ms\",\"count\":1}",
                     "BTC-USDT");
    vbt_stack_fault (stack, "{\"fault\":\"gap\",\"stream\":\"btcusdt@depth@100ms\",\"count\":1}",
                     "BTC-USDT");
    vbt_stack_fault (stack, "{\"fault\":\"disconnect\"}", "BTC-USDT");
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}

Test (gateway, kraken_books_match_the_sim_and_recover_from_every_fault)
{
    const char *names[] = {"BTC-USD", "ETH-USD"};
    const char *rest_names[] = {"XBTUSD", "ETHUSD"};
    vbt_stack_t *stack = s_start_verified ("kraken", "BTC-USD,ETH-USD", names, rest_names, 2);
    vbt_stack_fault (stack, "{\"fault\":\"corrupt_checksum\",\"stream\":\"book\",\"count\":1}",
                     "BTC-USD");
    //  Kraken's checksum covers the top 10 levels only, so a dropped update
    //  deeper than that is invisible until the level reaches the top: drop
    //  enough updates (about a second of the sim's flow) that one is near
    //  the top.
    vbt_stack_fault (stack, "{\"fault\":\"drop\",\"stream\":\"book\",\"count\":25}", "BTC-USD");
    vbt_stack_fault (stack, "{\"fault\":\"disconnect\"}", "BTC-USD");
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}

Test (gateway, snapshot_endpoint_answers_books_and_refuses_the_rest)
{
    const char *names[] = {"BTC-USDT"};
    const char *rest_names[] = {"BTCUSDT"};
    vbt_stack_t *stack = s_start ("binance", "BTC-USDT", names, rest_names, 1);
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    //  A snapshot decodes as a bus frame on the book topic; its seq is a
    //  book sequence already published (or about to be seen) on the bus.
    zframe_t *reply = vbt_stack_snapshot_request (stack, "SNAPSHOT md.binance.BTC-USDT.book");
    cr_assert_not_null (reply);
    vb_msg_t *msg = vb_msg_new ();
    cr_assert_not_null (msg);
    cr_assert_eq (vb_msg_decode (msg, zframe_data (reply), zframe_size (reply)), 0);
    zframe_destroy (&reply);
    const Venuebus__Envelope *envelope = vb_msg_envelope (msg);
    cr_assert_str_eq (vb_msg_topic (msg), "md.binance.BTC-USDT.book");
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT);
    cr_assert_geq (envelope->header->seq, 1);
    cr_assert_gt (envelope->book_snapshot->n_bid_price, 0);
    cr_assert_gt (envelope->book_snapshot->venue_seq, 0);
    vb_msg_destroy (&msg);

    const char *refusals[][2] = {
        {"SNAPSHOT md.binance.XRP-USDT.book", "ERROR unknown-topic md.binance.XRP-USDT.book"},
        {"SNAPSHOT md.kraken.BTC-USDT.book", "ERROR unknown-topic md.kraken.BTC-USDT.book"},
        {"SNAPSHOT md.binance.BTC-USDT.trade", "ERROR unknown-topic md.binance.BTC-USDT.trade"},
        {"HELLO", "ERROR unknown-request expected \"SNAPSHOT <topic>\""},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        zframe_t *refusal = vbt_stack_snapshot_request (stack, refusals[i][0]);
        char *text = zframe_strdup (refusal);
        zframe_destroy (&refusal);
        cr_assert_not_null (text);
        cr_expect_str_eq (text, refusals[i][1]);
        zstr_free (&text);
    }
    vbt_stack_destroy (&stack);
}

//  --------------------------------------------------------------------------
//  Start the gateway with bad arguments and expect a non-zero exit whose
//  log names the culprit.

static void
s_refused (char *const argv[], const char *culprit)
{
    vbt_proc_t *gateway = vbt_proc_start (VB_GATEWAY_BIN, argv, NULL);
    cr_assert_not_null (gateway);
    int status = vbt_proc_wait_exit (gateway, VBT_STACK_WAIT_MS);
    cr_expect_neq (status, 0);
    cr_expect_neq (status, -1, "gateway kept running");
    cr_expect (strstr (vbt_proc_stderr (gateway), culprit) != NULL, "stderr does not name %s: %s",
               culprit, vbt_proc_stderr (gateway));
    vbt_proc_stop (&gateway, VBT_STACK_WAIT_MS);
}

Test (gateway, refuses_an_unknown_venue_or_symbol_naming_it)
{
    char *unknown_venue[] = {VB_GATEWAY_BIN,      "--venue",    "nosuchvenue",        "--symbols",
                             "BTC-USDT",          "--bus",      "tcp://127.0.0.1:1",  "--snapshot",
                             "tcp://127.0.0.1:*", "--rest-url", "http://127.0.0.1:1", NULL};
    s_refused (unknown_venue, "nosuchvenue");
    char *unknown_symbol[] = {VB_GATEWAY_BIN,
                              "--venue",
                              "binance",
                              "--symbols",
                              "NOPE-USDT",
                              "--bus",
                              "tcp://127.0.0.1:1",
                              "--snapshot",
                              "tcp://127.0.0.1:*",
                              "--rest-url",
                              "http://127.0.0.1:1",
                              "--ws-url",
                              "ws://127.0.0.1:1",
                              NULL};
    s_refused (unknown_symbol, "NOPE-USDT");
    char *bad_symbol[] = {VB_GATEWAY_BIN,      "--venue", "binance",           "--symbols",
                          "btcusdt",           "--bus",   "tcp://127.0.0.1:1", "--snapshot",
                          "tcp://127.0.0.1:*", NULL};
    s_refused (bad_symbol, "btcusdt");
}

Test (gateway, rolls_connections_over_before_the_venue_closes_them)
{
    //  The sim closes every WebSocket connection after 3 s; told so, the
    //  gateway opens a replacement 300 ms (a tenth) before that and switches
    //  to it, so the books break only for "rollover", never "reconnect".
    const char *names[] = {"BTC-USDT"};
    const char *rest_names[] = {"BTCUSDT"};
    const char *sim_extra[] = {"--ws-lifetime", "3s", NULL};
    const char *gateway_extra[] = {"--ws-lifetime", "3s", NULL};
    vbt_stack_t *stack =
        s_start_with ("binance", "BTC-USDT", names, rest_names, 1, sim_extra, gateway_extra);
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    vbt_mirror_t *mirror = vbt_stack_mirror_at (stack, 0);
    int64_t deadline = zclock_mono () + VBT_STACK_WAIT_MS;
    while (mirror->rollovers < 2 && zclock_mono () < deadline)
        vbt_stack_pump (stack, VBT_STACK_PUMP_MS);
    cr_assert_geq (mirror->rollovers, 2, "no rollover seen; stderr: %s",
                   vbt_proc_stderr (vbt_stack_gateway (stack)));
    cr_expect_eq (mirror->reconnects, 0, "the venue closed a live connection first");
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    vbt_stack_verify (stack, mirror);
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}

Test (gateway, marks_a_stalled_stream_stale_and_rebuilds_the_book)
{
    //  The sim holds every stream's frames for 3 s; with a 1 s stale bound
    //  the gateway reports STALE, reconnects, and rebuilds once data flows.
    const char *names[] = {"BTC-USDT"};
    const char *rest_names[] = {"BTCUSDT"};
    const char *gateway_extra[] = {"--stale", "1s", NULL};
    vbt_stack_t *stack =
        s_start_with ("binance", "BTC-USDT", names, rest_names, 1, NULL, gateway_extra);
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    vbt_stack_fault (stack, "{\"fault\":\"stall\",\"stream\":\"*\",\"ms\":3000}", "BTC-USDT");
    cr_expect_geq (vbt_stack_mirror_at (stack, 0)->stales, 1,
                   "the break was not reported as STALE");
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}
