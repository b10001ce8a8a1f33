/*  test_gateway_hostile.c — the real venuebus-gateway fed hostile frames.

    The gateway's --ws-url points at a WebSocket server run inside the test
    (tests/support/vbt_ws_server) that speaks just enough Kraken v2 to be
    believed, and sends, among valid frames: random bytes (as text and as
    binary frames), truncated JSON, JSON of the wrong shape or types,
    absurd numbers (1e400, 30-digit integers, precisions out of range),
    deep nesting and a huge string, and book snapshots that lie (bad
    levels, a checksum of the wrong type, a wrong checksum). Then it sends a
    valid instrument and book snapshot. The gateway must not crash (this
    test also runs in the ASan/UBSan build), must count the findings
    (Status.anomalies), must not publish a wrong book, and must still sync
    the valid book and serve it: SYNCED, the book equal to what was sent,
    the snapshot endpoint answering, exit 0 on SIGTERM.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <inttypes.h>
#include <string.h>
#include <zlib.h>

#include "vbt_stack.h"
#include "vbt_ws_server.h"

#define RANDOM_BYTES   512                     //  Bytes of each random frame
#define NESTING        10000                   //  Depth of the nested-array frame
#define HUGE_STRING    100000                  //  Length of the huge string
#define HEARTBEAT_MS   500                     //  The server's heartbeat once the script is done
#define LCG_MULTIPLIER 6364136223846793005ULL  //  Knuth's MMIX LCG
#define LCG_INCREMENT  1442695040888963407ULL
#define SCRIPT_MAX     64

//  Deterministic pseudo-random bytes (any value 0..255, NUL included).
static void
s_random_bytes (uint8_t *out, size_t length, uint64_t seed)
{
    for (size_t i = 0; i < length; i++) {
        seed = seed * LCG_MULTIPLIER + LCG_INCREMENT;
        out[i] = (uint8_t)(seed >> 56);
    }
}

//  The valid book: asks 50001.0 x 1.5, 50002.5 x 0.25; bids 50000.0 x 2.0,
//  49999.5 x 0.0001, at price precision 1 and qty precision 8. Kraken's
//  checksum (venues.md 3.3, SOURCES.md §2 "Derive"): for the top 10 asks
//  (best first) then the top 10 bids, each price and qty written at the
//  precision, '.' removed, leading zeros stripped, concatenated; CRC32.
//  Written out by hand:
//    asks  50001.0 -> "500010",  1.50000000 -> "150000000"
//          50002.5 -> "500025",  0.25000000 -> "25000000"
//    bids  50000.0 -> "500000",  2.00000000 -> "200000000"
//          49999.5 -> "499995",  0.00010000 -> "10000"
#define CHECKSUM_TEXT                                                                              \
    "500010150000000500025250000005000002000000004999951"                                          \
    "0000"
#define BOOK_LEVELS                                                                                \
    "\"bids\":[{\"price\":50000.0,\"qty\":2.0},{\"price\":49999.5,\"qty\":0.0001}],"               \
    "\"asks\":[{\"price\":50001.0,\"qty\":1.5},{\"price\":50002.5,\"qty\":0.25}]"

static uint32_t
s_checksum (void)
{
    const char *text = CHECKSUM_TEXT;
    return (uint32_t)crc32 (crc32 (0L, Z_NULL, 0), (const Bytef *)text, (uInt)strlen (text));
}

Test (gateway_hostile, counts_hostile_frames_never_crashes_and_still_syncs_the_valid_book)
{
    static uint8_t random_text[RANDOM_BYTES], random_binary[RANDOM_BYTES];
    s_random_bytes (random_text, sizeof random_text, 1);
    s_random_bytes (random_binary, sizeof random_binary, 2);
    static char nested[NESTING + 1], huge[HUGE_STRING + 32];
    memset (nested, '[', NESTING);
    snprintf (huge, sizeof huge, "{\"channel\":\"%0*d\"}", HUGE_STRING, 7);
    char valid_book[1024], wrong_checksum_book[1024];
    snprintf (valid_book, sizeof valid_book,
              "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"BTC/USD\","
              "%s,\"checksum\":%u}]}",
              BOOK_LEVELS, s_checksum ());
    snprintf (wrong_checksum_book, sizeof wrong_checksum_book,
              "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"BTC/USD\","
              "%s,\"checksum\":%u}]}",
              BOOK_LEVELS, s_checksum () ^ 1u);

    const vbt_ws_step_t script[] = {
        {VBT_WS_WAIT_TEXT, "\"instrument\"", 0},
        //  Not JSON at all.
        {VBT_WS_SEND_TEXT, (const char *)random_text, sizeof random_text},
        {VBT_WS_SEND_BINARY, (const char *)random_binary, sizeof random_binary},
        {VBT_WS_SEND_TEXT, "", 0},
        {VBT_WS_SEND_TEXT, nested, 0},
        //  Truncated JSON.
        {VBT_WS_SEND_TEXT, "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"BT",
         0},
        {VBT_WS_SEND_TEXT, "{\"channel\":", 0},
        //  Valid JSON, wrong shape or types.
        {VBT_WS_SEND_TEXT, "[1,2,3]", 0},
        {VBT_WS_SEND_TEXT, "null", 0},
        {VBT_WS_SEND_TEXT, "12345", 0},
        {VBT_WS_SEND_TEXT, "{\"channel\":42,\"type\":\"update\",\"data\":[]}", 0},
        {VBT_WS_SEND_TEXT, "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":\"oops\"}", 0},
        {VBT_WS_SEND_TEXT, "{\"method\":\"subscribe\",\"success\":\"yes\",\"result\":7}", 0},
        {VBT_WS_SEND_TEXT,
         "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
         "\"side\":\"buy\",\"price\":\"abc\",\"qty\":true,\"ord_type\":\"limit\","
         "\"trade_id\":1,\"timestamp\":\"2026-01-01T00:00:00.000000Z\"}]}",
         0},
        {VBT_WS_SEND_TEXT, huge, 0},
        //  Absurd numbers.
        {VBT_WS_SEND_TEXT,
         "{\"channel\":\"instrument\",\"type\":\"snapshot\",\"data\":{\"assets\":[],\"pairs\":["
         "{\"symbol\":\"BTC/USD\",\"price_precision\":99999999999999999999999,"
         "\"qty_precision\":-3}]}}",
         0},
        {VBT_WS_SEND_TEXT,
         "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
         "\"side\":\"buy\",\"price\":1e400,\"qty\":123456789012345678901234567890,"
         "\"ord_type\":\"limit\",\"trade_id\":2,\"timestamp\":\"2026-01-01T00:00:00.000000Z\"}]}",
         0},
        {VBT_WS_SEND_TEXT,
         "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
         "\"bid\":-1,\"bid_qty\":1e-400,\"ask\":99999999999999999999999999999999,\"ask_qty\":0,"
         "\"last\":1,\"volume\":1,\"vwap\":1,\"low\":1,\"high\":1,\"change\":0,"
         "\"change_pct\":0}]}",
         0},
        //  The real instrument: the book gets subscribed.
        {VBT_WS_SEND_TEXT,
         "{\"channel\":\"instrument\",\"type\":\"snapshot\",\"data\":{\"assets\":[],\"pairs\":["
         "{\"symbol\":\"BTC/USD\",\"base\":\"BTC\",\"quote\":\"USD\",\"status\":\"online\","
         "\"qty_precision\":8,\"qty_increment\":0.00000001,\"price_precision\":1,"
         "\"price_increment\":0.1,\"qty_min\":0.0001}]}}",
         0},
        {VBT_WS_WAIT_TEXT, "\"book\"", 0},
        //  Books that lie: each must break the book, never sync it.
        {VBT_WS_SEND_TEXT,
         "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"BTC/USD\","
         "\"bids\":[{\"price\":1e400,\"qty\":1}],\"asks\":[],\"checksum\":1}]}",
         0},
        {VBT_WS_SEND_TEXT,
         "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"BTC/USD\","
         "\"bids\":[{\"price\":50000.0,\"qty\":-2}],\"asks\":[{\"price\":50001.0,\"qty\":1}],"
         "\"checksum\":1}]}",
         0},
        {VBT_WS_SEND_TEXT,
         "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"BTC/"
         "USD\"," BOOK_LEVELS ",\"checksum\":\"abc\"}]}",
         0},
        {VBT_WS_SEND_TEXT,
         "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"BTC/USD\","
         "\"bids\":[{\"price\":50002.0,\"qty\":1}],\"asks\":[{\"price\":50001.0,\"qty\":1}],"
         "\"checksum\":1}]}",
         0},
        {VBT_WS_SEND_TEXT, wrong_checksum_book, 0},
        //  And the truth.
        {VBT_WS_SEND_TEXT, valid_book, 0},
    };
    size_t steps = sizeof script / sizeof script[0];
    cr_assert_leq (steps, SCRIPT_MAX);
    vbt_ws_server_t *server =
        vbt_ws_server_new (script, steps, "{\"channel\":\"heartbeat\"}", HEARTBEAT_MS);
    cr_assert_not_null (server);
    char ws_url[64];
    snprintf (ws_url, sizeof ws_url, "ws://127.0.0.1:%d", vbt_ws_server_port (server));

    const char *names[] = {"BTC-USD"};
    const char *gateway_extra[] = {"--status-interval", "1s", NULL};
    vbt_stack_args_t args = {.bus_bin = VB_BUS_BIN,
                             .gateway_bin = VB_GATEWAY_BIN,
                             .venue = "kraken",
                             .symbols = "BTC-USD",
                             .names = names,
                             .count = 1,
                             .no_sim = true,
                             .rest_url = "http://127.0.0.1:1",
                             .ws_url = ws_url,
                             .gateway_extra = gateway_extra};
    vbt_stack_t *stack = vbt_stack_new (&args);
    vbt_mirror_t *mirror = vbt_stack_mirror (stack, "BTC-USD");
    cr_assert_eq (vbt_ws_server_wait_done (server, VBT_STACK_WAIT_MS), 0,
                  "the gateway never heard the whole script; stderr: %s",
                  vbt_proc_stderr (vbt_stack_gateway (stack)));
    vbt_stack_wait_synced (stack, VBT_STACK_WAIT_MS);
    cr_expect (vbt_mirror_level_is (mirror, VB_BOOK_BID, 0, "50000.0", "2.0"));
    cr_expect (vbt_mirror_level_is (mirror, VB_BOOK_BID, 1, "49999.5", "0.0001"));
    cr_expect (vbt_mirror_level_is (mirror, VB_BOOK_ASK, 0, "50001.0", "1.5"));
    cr_expect (vbt_mirror_level_is (mirror, VB_BOOK_ASK, 1, "50002.5", "0.25"));
    cr_expect_eq (vb_book_count (mirror->book, VB_BOOK_BID), 2);
    cr_expect_eq (vb_book_count (mirror->book, VB_BOOK_ASK), 2);
    //  The only book message is the valid snapshot: no lie was published.
    cr_expect_eq (mirror->book_messages, 1, "%" PRIu64 " book messages", mirror->book_messages);
    //  The lying snapshots were refused: at least one break was reported
    //  and the findings were counted (a status goes out every second).
    int64_t deadline = zclock_mono () + VBT_STACK_WAIT_MS;
    while (mirror->anomalies < 10 && zclock_mono () < deadline)
        vbt_stack_pump (stack, VBT_STACK_PUMP_MS);
    cr_expect_geq (mirror->anomalies, 10, "only %" PRIu64 " anomalies counted", mirror->anomalies);
    cr_expect_geq (mirror->breaks, 1, "a lying snapshot was not reported");
    cr_log_info ("hostile: anomalies=%" PRIu64 " breaks=%" PRIu64 " clients=%zu frames=%zu",
                 mirror->anomalies, mirror->breaks, vbt_ws_server_clients (server),
                 vbt_ws_server_frames_sent (server));
    const char *log = vbt_proc_stderr (vbt_stack_gateway (stack));
    cr_expect_null (strstr (log, "Sanitizer"), "%s", log);
    cr_expect_null (strstr (log, "runtime error"), "%s", log);
    vbt_stack_expect_clean (stack);
    vbt_stack_destroy (&stack);
    vbt_ws_server_destroy (&server);
}
