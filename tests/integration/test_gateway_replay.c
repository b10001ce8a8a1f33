/*  test_gateway_replay.c — real captures through sim, bus and gateway.

    venuebus-sim serves a real capture (--replay, --replay-speed 0: as fast
    as the gateway reads), the gateway syncs on it as on the venue, and the
    test rebuilds the published books from the bus (tests/support/vbt_stack).
    Expected values are those of ../shared/fixtures/real/SOURCES.md, derived
    there independently of this code:
    - Kraken KRAKEN.ws.50.0 (§2): the gateway checks every update's CRC32
      and resyncs on a mismatch, so no break after the first SYNCED means
      every checksum verified; once the replay has run out, each book's top
      and level counts (gateway depth 1000, the capture's) equal the final
      figures of §2.
    - Binance btcusdt_20240808.head.txt (§4): the snapshot bridges, the
      diffs chain with 0 gaps up to the last applied u 50093247780, and the
      top equals the final top of §4.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <inttypes.h>
#include <string.h>

#include "vbt_stack.h"

#define KRAKEN_CAPTURE VB_SHARED_DIR "/fixtures/real/kraken/cryptofeed/KRAKEN.ws.50.0"
#define BINANCE_CAPTURE                                                                            \
    VB_SHARED_DIR "/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt"
#define REPLAY_MS 60000  //  Bound for a whole replay to reach the gateway's books

//  SOURCES.md §2, final top of book (bid, bid qty, ask, ask qty, levels).
typedef struct {
    const char *symbol;  //  Normalised; the capture's v1 name in the comment
    const char *bid, *bid_qty, *ask, *ask_qty;
    size_t bids, asks;
} s_final_t;

static const s_final_t s_kraken_final[] = {
    //  ADA/XBT
    {"ADA-BTC", "0.000022880", "11947.13445094", "0.000022900", "7200.50427342", 707, 840},
    //  XBT/CHF
    {"BTC-CHF", "56060.30000", "0.05804973", "56194.20000", "0.01700000", 500, 315},
    //  XMR/USD
    {"XMR-USD", "353.64000000", "30.30000000", "354.48000000", "6.86050247", 657, 426},
};
#define KRAKEN_PAIRS (sizeof s_kraken_final / sizeof s_kraken_final[0])

static bool
s_at_final (vbt_mirror_t *mirror, const s_final_t *final)
{
    return mirror->have_book && mirror->state == VENUEBUS__BOOK_STATE__SYNCED &&
           vb_book_count (mirror->book, VB_BOOK_BID) == final->bids &&
           vb_book_count (mirror->book, VB_BOOK_ASK) == final->asks &&
           vbt_mirror_level_is (mirror, VB_BOOK_BID, 0, final->bid, final->bid_qty) &&
           vbt_mirror_level_is (mirror, VB_BOOK_ASK, 0, final->ask, final->ask_qty);
}

Test (gateway_replay, kraken_capture_books_verify_every_checksum_and_end_at_the_final_tops)
{
    const char *names[KRAKEN_PAIRS];
    for (size_t i = 0; i < KRAKEN_PAIRS; i++)
        names[i] = s_kraken_final[i].symbol;
    const char *sim_extra[] = {"--replay", KRAKEN_CAPTURE, "--replay-speed", "0", NULL};
    const char *gateway_extra[] = {"--depth", "1000", NULL};
    vbt_stack_args_t args = {.sim_bin = VB_SIM_BIN,
                             .bus_bin = VB_BUS_BIN,
                             .gateway_bin = VB_GATEWAY_BIN,
                             .venue = "kraken",
                             .symbols = "ADA-BTC,BTC-CHF,XMR-USD",
                             .names = names,
                             .count = KRAKEN_PAIRS,
                             .sim_extra = sim_extra,
                             .gateway_extra = gateway_extra};
    vbt_stack_t *stack = vbt_stack_new (&args);
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    uint64_t breaks[KRAKEN_PAIRS];
    for (size_t i = 0; i < KRAKEN_PAIRS; i++)
        breaks[i] = vbt_stack_mirror_at (stack, i)->breaks;

    int64_t deadline = zclock_mono () + REPLAY_MS;
    size_t done = 0;
    while (done < KRAKEN_PAIRS && zclock_mono () < deadline) {
        vbt_stack_pump (stack, VBT_STACK_PUMP_MS);
        done = 0;
        for (size_t i = 0; i < KRAKEN_PAIRS; i++)
            done += s_at_final (vbt_stack_mirror_at (stack, i), &s_kraken_final[i]);
    }
    for (size_t i = 0; i < KRAKEN_PAIRS; i++) {
        vbt_mirror_t *mirror = vbt_stack_mirror_at (stack, i);
        cr_expect (s_at_final (mirror, &s_kraken_final[i]),
                   "%s never reached the final top of SOURCES.md §2 (%zu bids, %zu asks)",
                   mirror->symbol, vb_book_count (mirror->book, VB_BOOK_BID),
                   vb_book_count (mirror->book, VB_BOOK_ASK));
        cr_expect_eq (mirror->breaks, breaks[i], "%s resynced (%s): a checksum failed",
                      mirror->symbol, mirror->reason);
        cr_expect_gt (mirror->book_messages, 1, "%s: no update published", mirror->symbol);
    }
    cr_expect_null (strstr (vbt_proc_stderr (vbt_stack_gateway (stack)), "resyncing"),
                    "gateway log: %s", vbt_proc_stderr (vbt_stack_gateway (stack)));
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}

Test (gateway_replay, binance_capture_bridges_with_no_gap_and_ends_at_the_final_top)
{
    const char *names[] = {"BTC-USDT"};
    const char *sim_extra[] = {"--replay", BINANCE_CAPTURE, "--replay-speed", "0", NULL};
    vbt_stack_args_t args = {.sim_bin = VB_SIM_BIN,
                             .bus_bin = VB_BUS_BIN,
                             .gateway_bin = VB_GATEWAY_BIN,
                             .venue = "binance",
                             .symbols = "BTC-USDT",
                             .names = names,
                             .count = 1,
                             .sim_extra = sim_extra};
    vbt_stack_t *stack = vbt_stack_new (&args);
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    vbt_mirror_t *mirror = vbt_stack_mirror_at (stack, 0);
    uint64_t breaks = mirror->breaks;
    //  SOURCES.md §4: last applied u 50093247780.
    const uint64_t last_u = 50093247780ULL;
    int64_t deadline = zclock_mono () + REPLAY_MS;
    while (!(mirror->have_book && mirror->venue_seq >= last_u) && zclock_mono () < deadline)
        vbt_stack_pump (stack, VBT_STACK_PUMP_MS);
    cr_assert_eq (mirror->venue_seq, last_u, "book at update id %" PRIu64, mirror->venue_seq);
    cr_expect_eq (mirror->state, VENUEBUS__BOOK_STATE__SYNCED);
    cr_expect (vbt_mirror_level_is (mirror, VB_BOOK_BID, 0, "61828.09000000", "0.34217000"),
               "best bid differs from SOURCES.md §4");
    cr_expect (vbt_mirror_level_is (mirror, VB_BOOK_ASK, 0, "61828.10000000", "6.42937000"),
               "best ask differs from SOURCES.md §4");
    cr_expect_eq (mirror->breaks, breaks, "the book resynced (%s)", mirror->reason);
    cr_expect_eq (mirror->gaps, 0, "gaps reported on status");
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}
