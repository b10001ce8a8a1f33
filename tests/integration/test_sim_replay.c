/*  test_sim_replay.c — venuebus-sim --replay, end to end on the wire.

    Runs the real binary on the real captures in shared/fixtures/real with
    --replay-speed 0 (no pacing) and checks, as a client would, the figures
    that SOURCES.md gives for those captures:
    - Binance (section 4, hftbacktest spot): the REST snapshot, then the
      diff stream synced by Binance's documented procedure in this file;
      bridging diff, diffs applied, gaps, bookTicker cross-checks, final top
      and level counts. Stream faults still act on replayed frames.
    - Kraken (section 2, cryptofeed KRAKEN.ws.50.0): v2 book channels rebuilt
      in a libcommon vb_book, whose Kraken checksum over the text received
      must equal every checksum sent; final tops per pair.
    Waiting is on messages with timeouts, never a sleep.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vb_book.h"
#include "vb_json.h"
#include "vbt_http.h"
#include "vbt_proc.h"
#include "vbt_ws.h"

#define S_TIMEOUT_MS  10000
#define S_HTTP_MS     5000
#define S_BINANCE     VB_SHARED_DIR "/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt"
#define S_KRAKEN      VB_SHARED_DIR "/fixtures/real/kraken/cryptofeed/KRAKEN.ws.50.0"
#define S_BOOK_CAP    5000  //  Levels per side a test book may hold
#define S_DIFFS_MAX   256   //  Depth diffs in the Binance capture: 200
#define S_TICKERS_MAX 2048  //  bookTickers in it: 1614
#define S_TEXT        64

//  SOURCES.md section 4, btcusdt_20240808.head.txt
#define S_LAST_UPDATE_ID UINT64_C (50093239218)
#define S_BRIDGE_U       UINT64_C (50093239208)
#define S_BRIDGE_LAST    UINT64_C (50093239224)
#define S_LAST_APPLIED   UINT64_C (50093247780)

//  --------------------------------------------------------------------------
//  Start the sim on a capture; returns the process and sets *port.

static vbt_proc_t *
s_start (const char *venue, const char *capture, int *port)
{
    char *argv[] = {VB_SIM_BIN, "--venue",       (char *)venue,    "--port", "0",
                    "--replay", (char *)capture, "--replay-speed", "0",      NULL};
    vbt_proc_t *proc = vbt_proc_start (VB_SIM_BIN, argv, NULL);
    cr_assert_not_null (proc);
    char line[256], value[16];
    cr_assert_eq (vbt_proc_wait_line (proc, "ready ", S_TIMEOUT_MS, line, sizeof (line)), 0,
                  "no ready line: %s", vbt_proc_stderr (proc));
    cr_assert_eq (vbt_line_value (line, "port", value, sizeof (value)), 0);
    *port = atoi (value);
    return proc;
}

static void
s_text (vb_decimal_t value, char *out)
{
    cr_assert_gt (vb_decimal_format (value, out, S_TEXT), 0);
}

//  Best level of a side as text.
static void
s_best (vb_book_t *book, vb_book_side_t side, char *price, char *qty)
{
    vb_decimal_t p, q;
    cr_assert_eq (vb_book_best (book, side, &p, &q), 0);
    s_text (p, price);
    s_text (q, qty);
}

//  Apply [["price","qty"],...] to one side.
static void
s_apply_levels (vb_json_val_t *object, const char *key, vb_book_t *book, vb_book_side_t side)
{
    vb_json_val_t array, level, field;
    vb_json_iter_t iter, inner;
    cr_assert_eq (vb_json_find (object, key, &array), 0, "no %s", key);
    cr_assert_eq (vb_json_array_begin (&array, &iter), 0);
    while (vb_json_array_next (&iter, &level) == 1) {
        vb_decimal_t price, qty;
        cr_assert_eq (vb_json_array_begin (&level, &inner), 0);
        cr_assert_eq (vb_json_array_next (&inner, &field), 1);
        cr_assert_eq (vb_json_decimal (&field, &price), 0);
        cr_assert_eq (vb_json_array_next (&inner, &field), 1);
        cr_assert_eq (vb_json_decimal (&field, &qty), 0);
        cr_assert_eq (vb_book_set (book, side, price, qty), 0);
    }
}

//  --------------------------------------------------------------------------
//  Binance: what the stream gave, collected before the sync.

typedef struct {
    char *text;  //  Raw combined frame
} s_frame_t;

typedef struct {
    uint64_t u;
    char bid[S_TEXT], bid_qty[S_TEXT], ask[S_TEXT], ask_qty[S_TEXT];
} s_top_t;

//  A string field of an object as text.
static void
s_field (vb_json_val_t *object, const char *key, char *out)
{
    vb_json_val_t value;
    const char *text;
    size_t length;
    cr_assert_eq (vb_json_find (object, key, &value), 0);
    cr_assert_eq (vb_json_string (&value, &text, &length), 0);
    cr_assert_lt (length, S_TEXT);
    memcpy (out, text, length);
    out[length] = 0;
}

static uint64_t
s_uint (vb_json_val_t *object, const char *key)
{
    vb_json_val_t value;
    uint64_t number;
    cr_assert_eq (vb_json_find (object, key, &value), 0, "no %s", key);
    cr_assert_eq (vb_json_uint64 (&value, &number), 0);
    return number;
}

//  The usage example: a client syncs the replayed book by the documented
//  procedure and lands on the capture's figures.
Test (sim_replay, binance_client_syncs_capture_by_the_official_procedure)
{
    int port;
    vbt_proc_t *proc = s_start ("binance", S_BINANCE, &port);
    //  1. Open the stream and buffer it (the replay starts at subscription)
    vbt_ws_t *ws =
        vbt_ws_connect ("127.0.0.1", port, "/stream?streams=btcusdt@depth@100ms/btcusdt@bookTicker",
                        S_TIMEOUT_MS, NULL);
    cr_assert_not_null (ws);
    //  2. Fetch the snapshot
    char url[256];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/api/v3/depth?symbol=BTCUSDT&limit=5000",
              port);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200);
    vb_json_t *json = vb_json_new ();
    vb_book_t *book = vb_book_new (S_BOOK_CAP);
    vb_json_val_t root;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    uint64_t last_update_id = s_uint (&root, "lastUpdateId");
    cr_assert_eq (last_update_id, S_LAST_UPDATE_ID);
    s_apply_levels (&root, "bids", book, VB_BOOK_BID);
    s_apply_levels (&root, "asks", book, VB_BOOK_ASK);
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 1000);
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 1000);
    vbt_http_response_free (&response);
    //  3. Apply the buffered and following diffs
    static s_top_t applied[S_DIFFS_MAX], tickers[S_TICKERS_MAX];
    size_t applied_count = 0, ticker_count = 0, dropped = 0, gaps = 0;
    uint64_t previous_u = 0, bridge_first = 0, bridge_last = 0;
    //  The capture's 200 depth and 1614 bookTicker frames (SOURCES.md)
    while (applied_count + dropped < 200 || ticker_count < 1614) {
        const char *text;
        size_t length;
        cr_assert_eq (vbt_ws_recv (ws, S_TIMEOUT_MS, &text, &length), VBT_WS_TEXT,
                      "stream ended after u=%llu", (unsigned long long)previous_u);
        vb_json_val_t frame, data, stream;
        cr_assert_eq (vb_json_parse (json, text, length, &frame), 0);
        const char *name;
        size_t name_length;
        cr_assert_eq (vb_json_find (&frame, "stream", &stream), 0);
        cr_assert_eq (vb_json_string (&stream, &name, &name_length), 0);
        bool ticker = name_length == strlen ("btcusdt@bookTicker") &&
                      memcmp (name, "btcusdt@bookTicker", name_length) == 0;
        cr_assert_eq (vb_json_find (&frame, "data", &data), 0);
        if (ticker) {
            cr_assert_lt (ticker_count, S_TICKERS_MAX);
            s_top_t *top = &tickers[ticker_count++];
            top->u = s_uint (&data, "u");
            s_field (&data, "b", top->bid);
            s_field (&data, "B", top->bid_qty);
            s_field (&data, "a", top->ask);
            s_field (&data, "A", top->ask_qty);
            continue;
        }
        cr_assert_lt (applied_count + dropped, 200, "more depth frames than the capture's");
        uint64_t first = s_uint (&data, "U"), last = s_uint (&data, "u");
        if (last <= last_update_id) {
            dropped++;
            continue;
        }
        if (previous_u == 0) {
            cr_assert (first <= last_update_id + 1 && last_update_id + 1 <= last);
            bridge_first = first;
            bridge_last = last;
        } else if (first != previous_u + 1)
            gaps++;
        s_apply_levels (&data, "b", book, VB_BOOK_BID);
        s_apply_levels (&data, "a", book, VB_BOOK_ASK);
        cr_assert_not (vb_book_crossed (book));
        previous_u = last;
        cr_assert_lt (applied_count, S_DIFFS_MAX);
        s_top_t *top = &applied[applied_count++];
        top->u = last;
        s_best (book, VB_BOOK_BID, top->bid, top->bid_qty);
        s_best (book, VB_BOOK_ASK, top->ask, top->ask_qty);
    }
    //  SOURCES.md section 4: the figures of this capture
    cr_assert_eq (bridge_first, S_BRIDGE_U);
    cr_assert_eq (bridge_last, S_BRIDGE_LAST);
    cr_assert_eq (applied_count, 198);
    cr_assert_eq (dropped, 2);  //  200 depth lines, 198 applied
    cr_assert_eq (gaps, 0);
    cr_assert_eq (previous_u, S_LAST_APPLIED);
    size_t checks = 0, matches = 0;
    for (size_t index = 0; index < ticker_count; index++)
        for (size_t at = 0; at < applied_count; at++)
            if (applied[at].u == tickers[index].u) {
                checks++;
                matches += strcmp (applied[at].bid, tickers[index].bid) == 0 &&
                           strcmp (applied[at].bid_qty, tickers[index].bid_qty) == 0 &&
                           strcmp (applied[at].ask, tickers[index].ask) == 0 &&
                           strcmp (applied[at].ask_qty, tickers[index].ask_qty) == 0;
            }
    cr_assert_eq (ticker_count, 1614);
    cr_assert_eq (checks, 23);
    cr_assert_eq (matches, 23);
    char bid[S_TEXT], bid_qty[S_TEXT], ask[S_TEXT], ask_qty[S_TEXT];
    s_best (book, VB_BOOK_BID, bid, bid_qty);
    s_best (book, VB_BOOK_ASK, ask, ask_qty);
    cr_assert_str_eq (bid, "61828.09000000");
    cr_assert_str_eq (bid_qty, "0.34217000");
    cr_assert_str_eq (ask, "61828.10000000");
    cr_assert_str_eq (ask_qty, "6.42937000");
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 1110);
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 1092);
    vb_book_destroy (&book);
    vb_json_destroy (&json);
    vbt_ws_destroy (&ws);
    cr_assert_eq (vbt_proc_stop (&proc, S_TIMEOUT_MS), 0);
}

//  The REST snapshot is the capture's body byte for byte when the limit
//  covers it, and its first levels otherwise (default limit 100).
Test (sim_replay, binance_rest_depth_is_the_capture_snapshot)
{
    int port;
    vbt_proc_t *proc = s_start ("binance", S_BINANCE, &port);
    //  Line 8 of the capture holds the snapshot (SOURCES.md section 4)
    FILE *file = fopen (S_BINANCE, "r");
    cr_assert_not_null (file);
    char *line = NULL;
    size_t size = 0;
    for (int index = 0; index < 8; index++)
        cr_assert_gt (getline (&line, &size, file), 0);
    fclose (file);
    char *body = strchr (line, ' ') + 1;
    body[strcspn (body, "\r\n")] = 0;
    char url[256];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/api/v3/depth?symbol=BTCUSDT&limit=1000",
              port);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200);
    cr_assert_str_eq (response.body, body);
    vbt_http_response_free (&response);
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/api/v3/depth?symbol=BTCUSDT", port);
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200);
    vb_json_t *json = vb_json_new ();
    vb_book_t *book = vb_book_new (S_BOOK_CAP);
    vb_json_val_t root;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    cr_assert_eq (s_uint (&root, "lastUpdateId"), S_LAST_UPDATE_ID);
    s_apply_levels (&root, "bids", book, VB_BOOK_BID);
    s_apply_levels (&root, "asks", book, VB_BOOK_ASK);
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), 100);
    cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), 100);
    //  The snapshot's own best levels, as the capture prints them
    cr_assert (strstr (body, "\"bids\":[[\"61837.63000000\",\"3.78826000\"]"));
    char price[S_TEXT], qty[S_TEXT];
    s_best (book, VB_BOOK_BID, price, qty);
    cr_assert_str_eq (price, "61837.63000000");
    cr_assert_str_eq (qty, "3.78826000");
    vbt_http_response_free (&response);
    vb_book_destroy (&book);
    vb_json_destroy (&json);
    free (line);
    cr_assert_eq (vbt_proc_stop (&proc, S_TIMEOUT_MS), 0);
}

//  A drop fault removes replayed frames as it does synthetic ones.
Test (sim_replay, binance_stream_faults_act_on_replayed_frames)
{
    int port;
    vbt_proc_t *proc = s_start ("binance", S_BINANCE, &port);
    char url[256];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/_sim/faults", port);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("POST", url, NULL,
                                    "{\"fault\":\"drop\",\"stream\":\"btcusdt@depth@100ms\","
                                    "\"count\":3}",
                                    S_HTTP_MS, &response),
                  0);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    vbt_ws_t *ws =
        vbt_ws_connect ("127.0.0.1", port, "/ws/btcusdt@depth@100ms", S_TIMEOUT_MS, NULL);
    cr_assert_not_null (ws);
    const char *text;
    size_t length;
    cr_assert_eq (vbt_ws_recv (ws, S_TIMEOUT_MS, &text, &length), VBT_WS_TEXT);
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root;
    cr_assert_eq (vb_json_parse (json, text, length, &root), 0);
    //  The first three diffs are gone: the fourth follows the bridging one
    //  (u 50093239224) with no gap (SOURCES.md: 0 gaps)
    cr_assert_eq (s_uint (&root, "U"), S_BRIDGE_LAST + 1);
    vb_json_destroy (&json);
    vbt_ws_destroy (&ws);
    cr_assert_eq (vbt_proc_stop (&proc, S_TIMEOUT_MS), 0);
}

//  --------------------------------------------------------------------------
//  Kraken

typedef struct {
    const char *symbol;  //  v2
    const char *bid, *bid_qty, *ask, *ask_qty;
    size_t bids, asks;
} s_expected_t;

//  SOURCES.md section 2, final tops of KRAKEN.ws.50.0
static const s_expected_t s_expected[] = {
    {"ADA/BTC", "0.000022880", "11947.13445094", "0.000022900", "7200.50427342", 707, 840},
    {"BTC/CHF", "56060.30000", "0.05804973", "56194.20000", "0.01700000", 500, 315},
    {"OMG/USD", "9.586075", "200.00000000", "9.604799", "200.00000000", 226, 298},
    {"OCEAN/BTC", "0.000027740", "606.11897000", "0.000027810", "606.16153000", 153, 248},
    {"ETH/CHF", "2183.69000", "3.00000000", "2190.17000", "0.31000000", 278, 148},
    {"SC/EUR", "0.043070", "5794.10440061", "0.043170", "20000.00000000", 847, 588},
    {"GRT/ETH", "0.000833500", "506.69981876", "0.000836200", "3304.00414043", 60, 73},
    {"KSM/BTC", "0.00756000", "0.21000000", "0.00756600", "2.18142427", 189, 243},
    {"XMR/USD", "353.64000000", "30.30000000", "354.48000000", "6.86050247", 657, 426},
    {"WAVES/EUR", "13.233000", "651.13730823", "13.258100", "29.25957971", 384, 272},
};
#define S_PAIRS (sizeof (s_expected) / sizeof (s_expected[0]))

//  Apply v2 levels [{"price":p,"qty":q},...] to one side.
static void
s_apply_v2 (vb_json_val_t *entry, const char *key, vb_book_t *book, vb_book_side_t side)
{
    vb_json_val_t array, level, field;
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_find (entry, key, &array), 0);
    cr_assert_eq (vb_json_array_begin (&array, &iter), 0);
    while (vb_json_array_next (&iter, &level) == 1) {
        vb_decimal_t price, qty;
        cr_assert_eq (vb_json_find (&level, "price", &field), 0);
        cr_assert_eq (vb_json_decimal (&field, &price), 0);
        cr_assert_eq (vb_json_find (&level, "qty", &field), 0);
        cr_assert_eq (vb_json_decimal (&field, &qty), 0);
        cr_assert_eq (vb_book_set (book, side, price, qty), 0);
    }
}

//  Subscribe `count` pairs at `depth`, rebuild every book, check every
//  checksum and the final tops. Returns the number of updates received.
static size_t
s_kraken_run (size_t first, size_t count, int depth)
{
    int port;
    vbt_proc_t *proc = s_start ("kraken", S_KRAKEN, &port);
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", port, "/v2", S_TIMEOUT_MS, NULL);
    cr_assert_not_null (ws);
    char request[1024];
    int used = snprintf (request, sizeof (request),
                         "{\"method\":\"subscribe\",\"params\":{\"channel\":\"book\",\"depth\":%d,"
                         "\"symbol\":[",
                         depth);
    for (size_t index = first; index < first + count; index++)
        used += snprintf (request + used, sizeof (request) - (size_t)used, "%s\"%s\"",
                          index > first ? "," : "", s_expected[index].symbol);
    snprintf (request + used, sizeof (request) - (size_t)used, "]},\"req_id\":7}");
    cr_assert_eq (vbt_ws_send_text (ws, request, strlen (request)), 0);
    vb_book_t *books[S_PAIRS] = {NULL};
    for (size_t index = first; index < first + count; index++)
        books[index] = vb_book_new (2 * (size_t)depth);
    vb_json_t *json = vb_json_new ();
    size_t acks = 0, snapshots = 0, updates = 0, quiet_heartbeats = 0;
    //  With no pacing the whole capture goes out at once; two heartbeats in
    //  a row with no book message between them mean it is over.
    while (quiet_heartbeats < 2) {
        const char *text;
        size_t length;
        cr_assert_eq (vbt_ws_recv (ws, S_TIMEOUT_MS, &text, &length), VBT_WS_TEXT);
        vb_json_val_t root, value, data, entry;
        cr_assert_eq (vb_json_parse (json, text, length, &root), 0);
        if (vb_json_find (&root, "method", &value) == 0) {
            const char *method;
            size_t method_length;
            cr_assert_eq (vb_json_string (&value, &method, &method_length), 0);
            cr_assert_eq (vb_json_find (&root, "success", &value), 0, "%s", text);
            bool success = false;
            cr_assert_eq (vb_json_bool (&value, &success), 0);
            cr_assert (success, "%s", text);
            acks++;
            continue;
        }
        cr_assert_eq (vb_json_find (&root, "channel", &value), 0);
        const char *channel;
        size_t channel_length;
        cr_assert_eq (vb_json_string (&value, &channel, &channel_length), 0);
        if (channel_length == 9 && memcmp (channel, "heartbeat", 9) == 0) {
            if (acks == count && snapshots == count)
                quiet_heartbeats++;
            continue;
        }
        if (channel_length != 4 || memcmp (channel, "book", 4) != 0)
            continue;  //  status
        quiet_heartbeats = 0;
        const char *type;
        size_t type_length;
        cr_assert_eq (vb_json_find (&root, "type", &value), 0);
        cr_assert_eq (vb_json_string (&value, &type, &type_length), 0);
        bool snapshot = type_length == 8 && memcmp (type, "snapshot", 8) == 0;
        cr_assert_eq (vb_json_find (&root, "data", &data), 0);
        vb_json_iter_t iter;
        cr_assert_eq (vb_json_array_begin (&data, &iter), 0);
        cr_assert_eq (vb_json_array_next (&iter, &entry), 1);
        const char *symbol;
        size_t symbol_length;
        char name[32];
        cr_assert_eq (vb_json_find (&entry, "symbol", &value), 0);
        cr_assert_eq (vb_json_string (&value, &symbol, &symbol_length), 0);
        cr_assert_lt (symbol_length, sizeof (name));
        memcpy (name, symbol, symbol_length);
        name[symbol_length] = 0;
        size_t pair = S_PAIRS;
        for (size_t index = first; index < first + count; index++)
            if (strcmp (s_expected[index].symbol, name) == 0)
                pair = index;
        cr_assert_lt (pair, S_PAIRS, "unexpected symbol %s", name);
        vb_book_t *book = books[pair];
        if (snapshot) {
            vb_book_clear (book);
            snapshots++;
        } else
            updates++;
        s_apply_v2 (&entry, "bids", book, VB_BOOK_BID);
        s_apply_v2 (&entry, "asks", book, VB_BOOK_ASK);
        vb_book_truncate (book, (size_t)depth);
        uint64_t checksum;
        cr_assert_eq (vb_json_find (&entry, "checksum", &value), 0);
        cr_assert_eq (vb_json_uint64 (&value, &checksum), 0);
        cr_assert_eq (vb_book_checksum_kraken (book), (uint32_t)checksum,
                      "%s checksum mismatch after message %zu", name, snapshots + updates);
    }
    for (size_t index = first; index < first + count; index++) {
        const s_expected_t *expected = &s_expected[index];
        char bid[S_TEXT], bid_qty[S_TEXT], ask[S_TEXT], ask_qty[S_TEXT];
        s_best (books[index], VB_BOOK_BID, bid, bid_qty);
        s_best (books[index], VB_BOOK_ASK, ask, ask_qty);
        cr_assert_str_eq (bid, expected->bid, "%s", expected->symbol);
        cr_assert_str_eq (bid_qty, expected->bid_qty, "%s", expected->symbol);
        cr_assert_str_eq (ask, expected->ask, "%s", expected->symbol);
        cr_assert_str_eq (ask_qty, expected->ask_qty, "%s", expected->symbol);
        size_t bids = expected->bids < (size_t)depth ? expected->bids : (size_t)depth;
        size_t asks = expected->asks < (size_t)depth ? expected->asks : (size_t)depth;
        cr_assert_eq (vb_book_count (books[index], VB_BOOK_BID), bids, "%s", expected->symbol);
        cr_assert_eq (vb_book_count (books[index], VB_BOOK_ASK), asks, "%s", expected->symbol);
        vb_book_destroy (&books[index]);
    }
    vb_json_destroy (&json);
    vbt_ws_destroy (&ws);
    cr_assert_eq (vbt_proc_stop (&proc, S_TIMEOUT_MS), 0);
    return updates;
}

//  Every pair at the capture's depth: each v1 update becomes one v2 update
//  (SOURCES.md: 4269 updates, all checksums valid) and the tops match.
Test (sim_replay, kraken_book_replays_all_pairs_with_original_checksums)
{
    size_t updates = s_kraken_run (0, S_PAIRS, 1000);
    cr_assert_eq (updates, 4269);
}

//  At depth 10 the client's view still checks out against the original
//  checksums (levels that enter the view are sent), and the tops match.
Test (sim_replay, kraken_book_depth_10_view_matches_original_checksums)
{
    size_t updates = s_kraken_run (0, 2, 10);
    cr_assert_gt (updates, 0);
}
