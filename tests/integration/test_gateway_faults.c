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
#include <string.h>

#include "vbt_stack.h"

//  About a second of the sim's Kraken book flow (20 actions/s per pair):
//  enough reordered updates that some reach the checksummed top 10.
#define KRAKEN_REORDERS "25"

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
    //  Every stream of the connection at once.
    vbt_stack_fault (stack, "{\"fault\":\"duplicate\",\"stream\":\"*\",\"count\":1}", "BTC-USDT");
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}

Test (gateway_faults, binance_resyncs_after_a_reordered_diff)
{
    const char *names[] = {"BTC-USDT", "ETH-USDT"};
    const char *rest_names[] = {"BTCUSDT", "ETHUSDT"};
    vbt_stack_t *stack = s_start ("binance", "BTC-USDT,ETH-USDT", names, rest_names, 2);
    vbt_mirror_t *btc = vbt_stack_mirror (stack, "BTC-USDT");
    vbt_stack_fault (stack,
                     "{\"fault\":\"reorder\",\"stream\":\"btcusdt@depth@100ms\",\"count\":1}",
                     "BTC-USDT");
    cr_expect_str_eq (btc->reason, "gap", "a diff ahead of its turn breaks the U/u chain");
    vbt_stack_fault (stack, "{\"fault\":\"reorder\",\"stream\":\"*\",\"count\":1}", "BTC-USDT");
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}

Test (gateway_faults, kraken_keeps_a_right_book_through_duplicates_and_resyncs_on_reorder)
{
    const char *names[] = {"BTC-USD", "ETH-USD"};
    const char *rest_names[] = {"XBTUSD", "ETHUSD"};
    vbt_stack_t *stack = s_start ("kraken", "BTC-USD,ETH-USD", names, rest_names, 2);
    vbt_mirror_t *btc = vbt_stack_mirror (stack, "BTC-USD");
    //  A Kraken update sets absolute quantities: applying it twice leaves
    //  the same book and the same checksum, so no resync is needed, and the
    //  book must still equal the sim's depth.
    uint64_t breaks = btc->breaks;
    vbt_stack_post_fault (stack, "{\"fault\":\"duplicate\",\"stream\":\"book\",\"count\":10}");
    for (size_t i = 0; i < 2; i++)
        vbt_stack_verify (stack, vbt_stack_mirror_at (stack, i));
    cr_expect_eq (btc->breaks, breaks, "a duplicated update broke a right book (%s)", btc->reason);
    //  Swapped updates give an intermediate book the venue never had: the
    //  checksum catches it once a swapped update reaches the top 10.
    vbt_stack_fault (stack,
                     "{\"fault\":\"reorder\",\"stream\":\"book\",\"count\":" KRAKEN_REORDERS "}",
                     "BTC-USD");
    cr_expect_str_eq (btc->reason, "checksum");
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
}
