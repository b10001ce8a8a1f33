/*  test_kraken_md.c — the Kraken WS v2 market-data adapter (venues/kraken/md.c).

    A fake core (sink) owns real vb_books and records what the adapter
    reports. Expected values come from independent sources only:
    - the official K1 book checksum vector (venues.md 3.3, 3310070434), and
      checksums of books derived from it by hand, computed here with a
      bit-by-bit CRC32 that is itself checked against K1;
    - the real v1 capture kraken/cryptofeed/KRAKEN.ws.50.0, converted here to
      v2 messages with every number's original text copied verbatim, and the
      counts and final tops listed in fixtures/real/SOURCES.md section 2;
    - Kraken's documented message examples (venues.md 3.2), with the
      symbol changed to a listed pair; timestamps converted to epoch seconds
      with Python's datetime (2023-09-25T07:49:37Z = 1695628177,
      2023-10-04T16:25:00Z = 1696436700).
    SPDX-License-Identifier: MPL-2.0
*/
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vb_book.h"
#include "vb_decimal.h"
#include "vb_error.h"
#include "vb_json.h"
#include "vb_md.h"

extern const vb_md_ops_t vb_kraken_md_ops;

#define FAKE_SYMBOLS    16
#define FAKE_SENT       64
#define FAKE_CANDLES    64
#define FAKE_TEXT       4096
#define NS_PER_S        INT64_C (1000000000)
#define K1_CHECKSUM     UINT32_C (3310070434)
#define CAPTURE_PAIRS   10
#define CAPTURE_UPDATES 4269

//  --------------------------------------------------------------------------
//  The fake core.

typedef struct {
    const vb_md_ops_t *ops;
    vb_md_t *md;
    char names[FAKE_SYMBOLS][16];
    vb_book_t *books[FAKE_SYMBOLS];
    size_t count;
    size_t begins, levels, commits, resyncs, trades, bbos, anomalies;
    char resync_reason[32];
    char resync_symbol[16];
    vb_md_trade_t trade;
    char trade_id[32];
    char trade_symbol[16];
    vb_md_bbo_t bbo;
    char bbo_symbol[16];
    vb_md_candle_t candles[FAKE_CANDLES];
    size_t candle_count;
    char sent[FAKE_SENT][FAKE_TEXT];
    size_t sent_count;
    char anomaly[256];
} fake_t;

static int
fake_index (fake_t *fake, const char *symbol)
{
    for (size_t index = 0; index < fake->count; index++)
        if (strcmp (fake->names[index], symbol) == 0)
            return (int)index;
    return -1;
}

static vb_book_t *
fake_book (void *ctx, const char *symbol)
{
    fake_t *fake = ctx;
    int index = fake_index (fake, symbol);
    return index < 0 ? NULL : fake->books[index];
}

static int
fake_book_begin (void *ctx, const char *symbol, bool snapshot)
{
    fake_t *fake = ctx;
    vb_book_t *book = fake_book (ctx, symbol);
    cr_assert_not_null (book);
    if (snapshot)
        vb_book_clear (book);
    fake->begins++;
    return 0;
}

static int
fake_book_level (void *ctx, const char *symbol, vb_book_side_t side, vb_decimal_t price,
                 vb_decimal_t qty)
{
    fake_t *fake = ctx;
    fake->levels++;
    return vb_book_set (fake_book (ctx, symbol), side, price, qty);
}

static int
fake_book_commit (void *ctx, const char *symbol, uint64_t first, uint64_t last, int64_t ts)
{
    fake_t *fake = ctx;
    (void)ts;
    cr_assert_eq (first, 0);
    cr_assert_eq (last, 0);
    fake->commits++;
    return vb_book_crossed (fake_book (ctx, symbol)) ? VB_ECROSSED : 0;
}

static void
fake_book_resync (void *ctx, const char *symbol, const char *reason, uint64_t expected,
                  uint64_t received)
{
    fake_t *fake = ctx;
    (void)expected;
    (void)received;
    fake->resyncs++;
    snprintf (fake->resync_reason, sizeof (fake->resync_reason), "%s", reason);
    snprintf (fake->resync_symbol, sizeof (fake->resync_symbol), "%s", symbol);
}

static int
fake_trade (void *ctx, const char *symbol, const vb_md_trade_t *trade)
{
    fake_t *fake = ctx;
    fake->trades++;
    fake->trade = *trade;
    snprintf (fake->trade_id, sizeof (fake->trade_id), "%s", trade->trade_id);
    snprintf (fake->trade_symbol, sizeof (fake->trade_symbol), "%s", symbol);
    return 0;
}

static int
fake_bbo (void *ctx, const char *symbol, const vb_md_bbo_t *bbo)
{
    fake_t *fake = ctx;
    fake->bbos++;
    fake->bbo = *bbo;
    snprintf (fake->bbo_symbol, sizeof (fake->bbo_symbol), "%s", symbol);
    return 0;
}

static int
fake_candle (void *ctx, const char *symbol, const vb_md_candle_t *candle)
{
    fake_t *fake = ctx;
    (void)symbol;
    cr_assert_lt (fake->candle_count, FAKE_CANDLES);
    fake->candles[fake->candle_count++] = *candle;
    return 0;
}

static int
fake_send (void *ctx, size_t index, const char *text, size_t length)
{
    fake_t *fake = ctx;
    cr_assert_eq (index, 0);
    cr_assert_lt (length, FAKE_TEXT);
    cr_assert_lt (fake->sent_count, FAKE_SENT);
    memcpy (fake->sent[fake->sent_count], text, length);
    fake->sent[fake->sent_count][length] = '\0';
    fake->sent_count++;
    return 0;
}

static void
fake_anomaly (void *ctx, const char *symbol, const char *what)
{
    fake_t *fake = ctx;
    (void)symbol;
    fake->anomalies++;
    snprintf (fake->anomaly, sizeof (fake->anomaly), "%s", what);
}

//  The sink over a fake core.
static vb_md_sink_t
fake_sink (fake_t *fake)
{
    return (vb_md_sink_t){
        .ctx = fake,
        .book = fake_book,
        .book_begin = fake_book_begin,
        .book_level = fake_book_level,
        .book_commit = fake_book_commit,
        .book_resync = fake_book_resync,
        .trade = fake_trade,
        .bbo = fake_bbo,
        .candle = fake_candle,
        .send = fake_send,
        .anomaly = fake_anomaly,
    };
}

//  Create the adapter over `count` symbols, with books sized as it asks,
//  and open its connection.
static void
fake_setup (fake_t *fake, const char *const *symbols, size_t count, size_t depth,
            const char *const *intervals, size_t interval_count)
{
    memset (fake, 0, sizeof (*fake));
    vb_md_sink_t sink = fake_sink (fake);
    vb_md_config_t config = {
        .symbols = symbols,
        .symbol_count = count,
        .candle_intervals = intervals,
        .candle_interval_count = interval_count,
        .book_depth = depth,
    };
    char error[128] = "";
    fake->ops = vb_md_venue_find ("kraken");
    cr_assert_eq (fake->ops, &vb_kraken_md_ops);
    fake->md = fake->ops->create (&config, &sink, error, sizeof (error));
    cr_assert_not_null (fake->md, "create failed: %s", error);
    cr_assert_not_null (fake->ops->book_capacity);
    for (size_t index = 0; index < count; index++) {
        snprintf (fake->names[index], sizeof (fake->names[index]), "%s", symbols[index]);
        size_t capacity = fake->ops->book_capacity (fake->md, symbols[index]);
        cr_assert_geq (capacity, depth);
        fake->books[index] = vb_book_new (capacity);
        cr_assert_not_null (fake->books[index]);
    }
    fake->count = count;
    cr_assert_eq (fake->ops->opened (fake->md, 0), 0);
}

static void
fake_teardown (fake_t *fake)
{
    fake->ops->destroy (&fake->md);
    cr_assert_null (fake->md);
    fake->ops->destroy (&fake->md);  //  Twice is safe
    for (size_t index = 0; index < fake->count; index++)
        vb_book_destroy (&fake->books[index]);
}

static int
feed (fake_t *fake, const char *text)
{
    return fake->ops->frame (fake->md, 0, text, strlen (text), 0);
}

//  True when some message sent since `from` contains every needle.
static bool
sent_with (fake_t *fake, size_t from, const char *needle, const char *needle2)
{
    for (size_t index = from; index < fake->sent_count; index++)
        if (strstr (fake->sent[index], needle) && (!needle2 || strstr (fake->sent[index], needle2)))
            return true;
    return false;
}

static void
assert_decimal (vb_decimal_t value, const char *text)
{
    char buffer[VB_DECIMAL_TEXT_MAX];
    cr_assert_geq (vb_decimal_format (value, buffer, sizeof (buffer)), 0);
    cr_assert_str_eq (buffer, text);
}

//  Value equality whatever the scale.
static void
assert_value (vb_decimal_t value, const char *text)
{
    vb_decimal_t expected;
    cr_assert_eq (vb_decimal_parse (text, strlen (text), &expected), 0);
    cr_assert_eq (vb_decimal_cmp (value, expected), 0, "value is not %s", text);
}

//  --------------------------------------------------------------------------
//  Test-side CRC32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by
//  bit, independent of the library's; checked against K1 below.

static uint32_t
test_crc32 (const char *text)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (const unsigned char *byte = (const unsigned char *)text; *byte; byte++) {
        crc ^= *byte;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

//  Kraken's checksum text of one value: '.' removed, leading zeros stripped.
static void
checksum_text (char *out, size_t size, const char *value)
{
    char digits[64];
    size_t used = 0;
    for (const char *cursor = value; *cursor && used + 1 < sizeof (digits); cursor++)
        if (*cursor != '.')
            digits[used++] = *cursor;
    digits[used] = '\0';
    const char *start = digits;
    while (*start == '0')
        start++;
    strncat (out, start, size - strlen (out) - 1);
}

//  The K1 vector (venues.md 3.3), strings as published.
static const char *k1_asks[10][2] = {
    {"45285.2", "0.00100000"}, {"45286.4", "1.54571953"}, {"45286.6", "1.54571109"},
    {"45289.6", "1.54560911"}, {"45290.2", "0.15890660"}, {"45291.8", "1.54553491"},
    {"45294.7", "0.04454749"}, {"45296.1", "0.35380000"}, {"45297.5", "0.09945542"},
    {"45299.5", "0.18772827"},
};
static const char *k1_bids[10][2] = {
    {"45283.5", "0.10000000"}, {"45283.4", "1.54582015"}, {"45282.1", "0.10000000"},
    {"45281.0", "0.10000000"}, {"45280.3", "1.54592586"}, {"45279.0", "0.07990000"},
    {"45277.6", "0.03310103"}, {"45277.5", "0.30000000"}, {"45277.3", "1.54602737"},
    {"45276.6", "0.15445238"},
};

//  The K1 book as a v2 snapshot of BTC/USD. Prices 45281.0 and 45279.0 are
//  sent as 45281 and 45279, and qty 0.10000000 as 0.1, the way a JSON
//  number encoder prints them (venues.md 3.2: trailing zeros are lost).
static void
k1_snapshot (char *out, size_t size, uint32_t checksum)
{
    size_t used = (size_t)snprintf (out, size,
                                    "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{"
                                    "\"symbol\":\"BTC/USD\",\"bids\":[");
    for (int side = 0; side < 2; side++) {
        const char *(*levels)[2] = side == 0 ? k1_bids : k1_asks;
        for (int index = 0; index < 10; index++) {
            const char *price = levels[index][0];
            const char *qty = levels[index][1];
            char short_price[16], short_qty[16];
            snprintf (short_price, sizeof (short_price), "%s", price);
            snprintf (short_qty, sizeof (short_qty), "%s", qty);
            size_t length = strlen (short_price);
            if (length > 2 && strcmp (short_price + length - 2, ".0") == 0)
                short_price[length - 2] = '\0';
            if (strcmp (short_qty, "0.10000000") == 0)
                snprintf (short_qty, sizeof (short_qty), "0.1");
            used += (size_t)snprintf (out + used, size - used, "%s{\"price\":%s,\"qty\":%s}",
                                      index ? "," : "", short_price, short_qty);
        }
        used += (size_t)snprintf (out + used, size - used, side == 0 ? "],\"asks\":[" : "]");
    }
    snprintf (out + used, size - used, ",\"checksum\":%u}]}", checksum);
}

static const char *const btc_usd[] = {"BTC-USD"};
static const char *const btc_instrument =
    "{\"channel\":\"instrument\",\"type\":\"snapshot\",\"data\":{\"assets\":[{\"id\":\"BTC\"}],"
    "\"pairs\":[{\"symbol\":\"ETH/USD\",\"price_precision\":2,\"qty_precision\":8},"
    "{\"symbol\":\"BTC/USD\",\"base\":\"BTC\",\"quote\":\"USD\",\"status\":\"online\","
    "\"qty_precision\":8,\"qty_increment\":1e-08,\"price_precision\":1,\"cost_precision\":5,"
    "\"marginable\":true,\"has_index\":true,\"cost_min\":0.5,\"tick_size\":0.1,"
    "\"price_increment\":0.1,\"qty_min\":0.0001}]}}";

//  --------------------------------------------------------------------------

Test (kraken_md, subscribes_and_accepts_the_official_checksum_vector)
{
    fake_t fake;
    fake_setup (&fake, btc_usd, 1, 10, NULL, 0);
    //  Opened: instrument, trades without history, ticker on every bbo.
    cr_assert (sent_with (&fake, 0, "\"method\":\"subscribe\"", "\"channel\":\"instrument\""));
    cr_assert (sent_with (&fake, 0, "\"channel\":\"trade\"", "\"symbol\":[\"BTC/USD\"]"));
    cr_assert (sent_with (&fake, 0, "\"channel\":\"ticker\"", "\"event_trigger\":\"bbo\""));
    cr_assert_not (sent_with (&fake, 0, "\"channel\":\"book\"", NULL),
                   "no book before its precision is known");
    size_t before = fake.sent_count;
    cr_assert_eq (feed (&fake, btc_instrument), 0);
    //  Depth 10 published -> subscribed 25 (venues.md 3.3 tip).
    cr_assert (sent_with (&fake, before, "\"channel\":\"book\"", "\"depth\":25"));
    cr_assert (sent_with (&fake, before, "\"channel\":\"book\"", "\"symbol\":[\"BTC/USD\"]"));

    char text[FAKE_TEXT];
    k1_snapshot (text, sizeof (text), K1_CHECKSUM);
    cr_assert_eq (feed (&fake, text), 0);
    cr_assert_eq (fake.commits, 1);
    cr_assert_eq (fake.resyncs, 0);
    vb_decimal_t price, qty;
    cr_assert_eq (vb_book_best (fake.books[0], VB_BOOK_BID, &price, &qty), 0);
    assert_value (price, "45283.5");
    assert_value (qty, "0.1");
    cr_assert_eq (vb_book_best (fake.books[0], VB_BOOK_ASK, &price, &qty), 0);
    assert_value (price, "45285.2");
    assert_value (qty, "0.001");
    cr_assert_eq (vb_book_count (fake.books[0], VB_BOOK_BID), 10);
    cr_assert_eq (vb_book_count (fake.books[0], VB_BOOK_ASK), 10);
    fake_teardown (&fake);
}

Test (kraken_md, test_crc32_reproduces_the_official_vector)
{
    char text[1024] = "";
    for (int index = 0; index < 10; index++) {
        checksum_text (text, sizeof (text), k1_asks[index][0]);
        checksum_text (text, sizeof (text), k1_asks[index][1]);
    }
    for (int index = 0; index < 10; index++) {
        checksum_text (text, sizeof (text), k1_bids[index][0]);
        checksum_text (text, sizeof (text), k1_bids[index][1]);
    }
    cr_assert_eq (test_crc32 (text), K1_CHECKSUM);
}

//  Checksum of K1 with its best ask removed (hand-derived book: 9 asks from
//  45286.4 up, the 10 K1 bids).
static uint32_t
k1_without_best_ask (void)
{
    char text[1024] = "";
    for (int index = 1; index < 10; index++) {
        checksum_text (text, sizeof (text), k1_asks[index][0]);
        checksum_text (text, sizeof (text), k1_asks[index][1]);
    }
    for (int index = 0; index < 10; index++) {
        checksum_text (text, sizeof (text), k1_bids[index][0]);
        checksum_text (text, sizeof (text), k1_bids[index][1]);
    }
    return test_crc32 (text);
}

Test (kraken_md, commits_a_verified_update_and_resubscribes_after_a_bad_checksum)
{
    fake_t fake;
    fake_setup (&fake, btc_usd, 1, 10, NULL, 0);
    cr_assert_eq (feed (&fake, btc_instrument), 0);
    char text[FAKE_TEXT];
    k1_snapshot (text, sizeof (text), K1_CHECKSUM);
    cr_assert_eq (feed (&fake, text), 0);

    //  Delete the best ask: verified against the hand-derived checksum.
    uint32_t good = k1_without_best_ask ();
    snprintf (text, sizeof (text),
              "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
              "\"bids\":[],\"asks\":[{\"price\":45285.2,\"qty\":0}],\"checksum\":%u,"
              "\"timestamp\":\"2023-10-06T17:35:55.440295Z\"}]}",
              good);
    cr_assert_eq (feed (&fake, text), 0);
    cr_assert_eq (fake.commits, 2);
    cr_assert_eq (vb_book_count (fake.books[0], VB_BOOK_ASK), 9);

    //  The same kind of update with a checksum off by one.
    size_t before = fake.sent_count;
    snprintf (text, sizeof (text),
              "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
              "\"bids\":[{\"price\":45283.5,\"qty\":0.2}],\"asks\":[],\"checksum\":%u}]}",
              good + 1);
    cr_assert_eq (feed (&fake, text), VB_ECHECKSUM);
    cr_assert_eq (fake.commits, 2);
    cr_assert_eq (fake.resyncs, 1);
    cr_assert_str_eq (fake.resync_reason, "checksum");
    cr_assert_str_eq (fake.resync_symbol, "BTC-USD");
    cr_assert_eq (fake.sent_count, before + 2);
    cr_assert (strstr (fake.sent[before], "\"method\":\"unsubscribe\""));
    cr_assert (strstr (fake.sent[before], "\"channel\":\"book\""));
    cr_assert (strstr (fake.sent[before], "\"BTC/USD\""));
    cr_assert (strstr (fake.sent[before + 1], "\"method\":\"subscribe\""));
    cr_assert (strstr (fake.sent[before + 1], "\"channel\":\"book\""));
    cr_assert (strstr (fake.sent[before + 1], "\"BTC/USD\""));

    //  Updates in flight before the fresh snapshot are ignored.
    cr_assert_eq (feed (&fake, text), 0);
    cr_assert_eq (fake.resyncs, 1);
    cr_assert_eq (fake.commits, 2);

    //  The fresh snapshot syncs the book again.
    k1_snapshot (text, sizeof (text), K1_CHECKSUM);
    cr_assert_eq (feed (&fake, text), 0);
    cr_assert_eq (fake.commits, 3);
    cr_assert_eq (vb_book_count (fake.books[0], VB_BOOK_ASK), 10);
    fake_teardown (&fake);
}

Test (kraken_md, truncates_to_the_subscribed_depth_before_the_checksum)
{
    //  Published depth 10 -> subscribed 25. A snapshot of 25 asks and one
    //  update adding a better ask: the 26th (worst) ask must go before the
    //  checksum, which covers the 10 best.
    fake_t fake;
    fake_setup (&fake, btc_usd, 1, 10, NULL, 0);
    cr_assert_eq (feed (&fake, btc_instrument), 0);
    char text[FAKE_TEXT * 2];
    size_t used = (size_t)snprintf (text, sizeof (text),
                                    "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{"
                                    "\"symbol\":\"BTC/USD\",\"bids\":[{\"price\":99,\"qty\":1}],"
                                    "\"asks\":[");
    for (int index = 0; index < 25; index++)
        used += (size_t)snprintf (text + used, sizeof (text) - used, "%s{\"price\":%d,\"qty\":1}",
                                  index ? "," : "", 101 + index);
    //  Asks 101.0 .. 110.0 then bid 99.0, each qty 1.00000000 at precision
    //  1 / 8: "1010" "100000000" ... "990" "100000000".
    char expected[1024] = "";
    for (int index = 0; index < 10; index++) {
        char price[16];
        snprintf (price, sizeof (price), "%d.0", 101 + index);
        checksum_text (expected, sizeof (expected), price);
        checksum_text (expected, sizeof (expected), "1.00000000");
    }
    checksum_text (expected, sizeof (expected), "99.0");
    checksum_text (expected, sizeof (expected), "1.00000000");
    snprintf (text + used, sizeof (text) - used, "],\"checksum\":%u}]}", test_crc32 (expected));
    cr_assert_eq (feed (&fake, text), 0);
    cr_assert_eq (fake.commits, 1);
    cr_assert_eq (vb_book_count (fake.books[0], VB_BOOK_ASK), 25);

    //  New best ask 100.5: asks 100.5, 101 .. 109 in the checksum; 125 drops.
    expected[0] = '\0';
    checksum_text (expected, sizeof (expected), "100.5");
    checksum_text (expected, sizeof (expected), "1.00000000");
    for (int index = 0; index < 9; index++) {
        char price[16];
        snprintf (price, sizeof (price), "%d.0", 101 + index);
        checksum_text (expected, sizeof (expected), price);
        checksum_text (expected, sizeof (expected), "1.00000000");
    }
    checksum_text (expected, sizeof (expected), "99.0");
    checksum_text (expected, sizeof (expected), "1.00000000");
    snprintf (text, sizeof (text),
              "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
              "\"bids\":[],\"asks\":[{\"price\":100.5,\"qty\":1}],\"checksum\":%u}]}",
              test_crc32 (expected));
    cr_assert_eq (feed (&fake, text), 0);
    cr_assert_eq (fake.commits, 2);
    cr_assert_eq (vb_book_count (fake.books[0], VB_BOOK_ASK), 25);
    vb_decimal_t worst;
    cr_assert_eq (vb_book_level (fake.books[0], VB_BOOK_ASK, 24, &worst, NULL), 0);
    assert_value (worst, "124");
    fake_teardown (&fake);
}

//  --------------------------------------------------------------------------
//  The real v1 capture, converted to v2.

//  Capture pair -> a listed pair standing in for it (the adapter maps only
//  listed pairs; the numbers are what matters), and SOURCES.md 2's final
//  top: bid, bid qty, ask, ask qty, bid levels, ask levels.
typedef struct {
    const char *v1;
    const char *v2;
    const char *symbol;
    const char *bid, *bid_qty, *ask, *ask_qty;
    size_t bid_levels, ask_levels;
    int price_precision, qty_precision;  //  Implied by the capture's strings (set on load)
    bool have_precision;
} capture_pair_t;

static capture_pair_t s_pairs[CAPTURE_PAIRS] = {
    {"ADA/XBT", "BTC/USD", "BTC-USD", "0.000022880", "11947.13445094", "0.000022900",
     "7200.50427342", 707, 840, 0, 0, false},
    {"XBT/CHF", "ETH/USD", "ETH-USD", "56060.30000", "0.05804973", "56194.20000", "0.01700000", 500,
     315, 0, 0, false},
    {"OMG/USD", "BTC/EUR", "BTC-EUR", "9.586075", "200.00000000", "9.604799", "200.00000000", 226,
     298, 0, 0, false},
    {"OCEAN/XBT", "ETH/EUR", "ETH-EUR", "0.000027740", "606.11897000", "0.000027810",
     "606.16153000", 153, 248, 0, 0, false},
    {"ETH/CHF", "BTC/USDT", "BTC-USDT", "2183.69000", "3.00000000", "2190.17000", "0.31000000", 278,
     148, 0, 0, false},
    {"SC/EUR", "ETH/USDT", "ETH-USDT", "0.043070", "5794.10440061", "0.043170", "20000.00000000",
     847, 588, 0, 0, false},
    {"GRT/ETH", "ETH/BTC", "ETH-BTC", "0.000833500", "506.69981876", "0.000836200", "3304.00414043",
     60, 73, 0, 0, false},
    {"KSM/XBT", "XRP/USD", "XRP-USD", "0.00756000", "0.21000000", "0.00756600", "2.18142427", 189,
     243, 0, 0, false},
    {"XMR/USD", "DOGE/USD", "DOGE-USD", "353.64000000", "30.30000000", "354.48000000", "6.86050247",
     657, 426, 0, 0, false},
    {"WAVES/EUR", "SOL/USD", "SOL-USD", "13.233000", "651.13730823", "13.258100", "29.25957971",
     384, 272, 0, 0, false},
};

static capture_pair_t *
capture_pair (const char *v1, size_t length)
{
    for (size_t index = 0; index < CAPTURE_PAIRS; index++)
        if (strlen (s_pairs[index].v1) == length && memcmp (s_pairs[index].v1, v1, length) == 0)
            return &s_pairs[index];
    return NULL;
}

static int
decimals_of (const char *text, size_t length)
{
    const char *dot = memchr (text, '.', length);
    return dot ? (int)(length - (size_t)(dot - text) - 1) : 0;
}

//  A growing text buffer.
typedef struct {
    char *data;
    size_t used, size;
} text_t;

static void
text_add (text_t *text, const char *bytes, size_t length)
{
    if (text->used + length + 1 > text->size) {
        text->size = (text->used + length + 1) * 2;
        text->data = realloc (text->data, text->size);
        cr_assert_not_null (text->data);
    }
    memcpy (text->data + text->used, bytes, length);
    text->used += length;
    text->data[text->used] = '\0';
}

static void
text_cat (text_t *text, const char *string)
{
    text_add (text, string, strlen (string));
}

//  One v1 side array [[price, volume, time(, "r")], ...] -> v2 level list,
//  numbers copied verbatim. For a snapshot, the first 10 levels' strings
//  also go into checksum (test-side, venues.md 3.3 algorithm).
static void
convert_levels (vb_json_val_t *array, text_t *out, capture_pair_t *pair, char *checksum,
                size_t checksum_size)
{
    vb_json_iter_t levels;
    cr_assert_eq (vb_json_array_begin (array, &levels), 0);
    vb_json_val_t level;
    int count = 0;
    while (vb_json_array_next (&levels, &level) == 1) {
        vb_json_iter_t fields;
        vb_json_val_t value;
        const char *price, *qty;
        size_t price_length, qty_length;
        cr_assert_eq (vb_json_array_begin (&level, &fields), 0);
        cr_assert_eq (vb_json_array_next (&fields, &value), 1);
        cr_assert_eq (vb_json_string (&value, &price, &price_length), 0);
        char price_copy[64];
        cr_assert_lt (price_length, sizeof (price_copy));
        memcpy (price_copy, price, price_length);
        price_copy[price_length] = '\0';
        cr_assert_eq (vb_json_array_next (&fields, &value), 1);
        cr_assert_eq (vb_json_string (&value, &qty, &qty_length), 0);
        char qty_copy[64];
        cr_assert_lt (qty_length, sizeof (qty_copy));
        memcpy (qty_copy, qty, qty_length);
        qty_copy[qty_length] = '\0';
        if (!pair->have_precision) {
            pair->price_precision = decimals_of (price_copy, price_length);
            pair->qty_precision = decimals_of (qty_copy, qty_length);
            pair->have_precision = true;
        }
        cr_assert_eq (decimals_of (price_copy, price_length), pair->price_precision);
        cr_assert_eq (decimals_of (qty_copy, qty_length), pair->qty_precision);
        char level_text[160];
        snprintf (level_text, sizeof (level_text), "%s{\"price\":%s,\"qty\":%s}", count ? "," : "",
                  price_copy, qty_copy);
        text_cat (out, level_text);
        if (checksum && count < 10) {
            checksum_text (checksum, checksum_size, price_copy);
            checksum_text (checksum, checksum_size, qty_copy);
        }
        count++;
    }
}

typedef struct {
    text_t *messages;  //  v2 frames in capture order
    capture_pair_t **pairs;
    bool *snapshot;
    size_t count, size;
} replay_t;

//  Convert one received v1 book frame (an array) to a v2 frame, or return
//  false for anything else (events, heartbeats).
static bool
convert_frame (vb_json_t *json, const char *line, size_t length, text_t *out,
               capture_pair_t **pair_out, bool *snapshot_out)
{
    vb_json_val_t root;
    cr_assert_eq (vb_json_parse (json, line, length, &root), 0);
    if (vb_json_type (&root) != VB_JSON_ARRAY)
        return false;
    //  Pass 1: the pair name (last element) and which keys are present.
    vb_json_iter_t items;
    vb_json_val_t item;
    const char *name = NULL;
    size_t name_length = 0;
    cr_assert_eq (vb_json_array_begin (&root, &items), 0);
    while (vb_json_array_next (&items, &item) == 1)
        if (vb_json_type (&item) == VB_JSON_STRING)
            cr_assert_eq (vb_json_string (&item, &name, &name_length), 0);
    capture_pair_t *pair = capture_pair (name, name_length);
    cr_assert_not_null (pair, "unexpected pair");
    //  Pass 2: convert.
    cr_assert_eq (vb_json_parse (json, line, length, &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &items), 0);
    cr_assert_eq (vb_json_array_next (&items, &item), 1);  //  channelID
    bool snapshot = false, have_checksum = false;
    char checksum[1024] = "", asks_text[512] = "", bids_text[512] = "";
    uint64_t crc = 0;
    text_t levels = {0};
    text_cat (&levels, "");
    bool first_side = true;
    while (vb_json_array_next (&items, &item) == 1) {
        if (vb_json_type (&item) != VB_JSON_OBJECT)
            continue;
        vb_json_iter_t fields;
        const char *key;
        size_t key_length;
        vb_json_val_t value;
        cr_assert_eq (vb_json_object_begin (&item, &fields), 0);
        while (vb_json_object_next (&fields, &key, &key_length, &value) == 1) {
            bool asks = (key_length == 2 && memcmp (key, "as", 2) == 0) ||
                        (key_length == 1 && key[0] == 'a');
            bool bids = (key_length == 2 && memcmp (key, "bs", 2) == 0) ||
                        (key_length == 1 && key[0] == 'b');
            if (asks || bids) {
                snapshot = key_length == 2;
                text_cat (&levels, first_side ? "" : ",");
                text_cat (&levels, asks ? "\"asks\":[" : "\"bids\":[");
                convert_levels (&value, &levels, pair,
                                snapshot ? (asks ? asks_text : bids_text) : NULL,
                                asks ? sizeof (asks_text) : sizeof (bids_text));
                text_cat (&levels, "]");
                first_side = false;
            } else if (key_length == 1 && key[0] == 'c') {
                const char *text;
                size_t text_length;
                cr_assert_eq (vb_json_string (&value, &text, &text_length), 0);
                char digits[16];
                cr_assert_lt (text_length, sizeof (digits));
                memcpy (digits, text, text_length);
                digits[text_length] = '\0';
                crc = strtoull (digits, NULL, 10);
                have_checksum = true;
            }
        }
    }
    if (snapshot) {
        //  v1 snapshots carry no checksum; v2 ones do: compute it here
        //  (asks ascending then bids descending, as the snapshot lists them).
        snprintf (checksum, sizeof (checksum), "%s%s", asks_text, bids_text);
        crc = test_crc32 (checksum);
        have_checksum = true;
    }
    cr_assert (have_checksum, "every v1 update in this capture carries \"c\"");
    char head[160];
    snprintf (head, sizeof (head),
              "{\"channel\":\"book\",\"type\":\"%s\",\"data\":[{\"symbol\":\"%s\",",
              snapshot ? "snapshot" : "update", pair->v2);
    text_cat (out, head);
    text_add (out, levels.data, levels.used);
    char tail[64];
    snprintf (tail, sizeof (tail), ",\"checksum\":%" PRIu64 "}]}", crc);
    text_cat (out, tail);
    free (levels.data);
    *pair_out = pair;
    *snapshot_out = snapshot;
    return true;
}

static void
load_capture (replay_t *replay)
{
    const char *path = VB_SHARED_DIR "/fixtures/real/kraken/cryptofeed/KRAKEN.ws.50.0";
    FILE *file = fopen (path, "r");
    cr_assert_not_null (file, "cannot open %s", path);
    vb_json_t *json = vb_json_new ();
    memset (replay, 0, sizeof (*replay));
    char *line = NULL;
    size_t line_size = 0;
    ssize_t length;
    while ((length = getline (&line, &line_size, file)) > 0) {
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
            line[--length] = '\0';
        if (length == 0 || strncmp (line, "wss://", 6) == 0)
            continue;
        char *payload = strstr (line, ": ");
        cr_assert_not_null (payload);
        payload += 2;
        if (replay->count == replay->size) {
            replay->size = replay->size ? replay->size * 2 : 1024;
            replay->messages = realloc (replay->messages, replay->size * sizeof (text_t));
            replay->pairs = realloc (replay->pairs, replay->size * sizeof (capture_pair_t *));
            replay->snapshot = realloc (replay->snapshot, replay->size * sizeof (bool));
        }
        text_t out = {0};
        if (convert_frame (json, payload, strlen (payload), &out, &replay->pairs[replay->count],
                           &replay->snapshot[replay->count]))
            replay->messages[replay->count++] = out;
    }
    free (line);
    fclose (file);
    vb_json_destroy (&json);
}

static void
free_capture (replay_t *replay)
{
    for (size_t index = 0; index < replay->count; index++)
        free (replay->messages[index].data);
    free (replay->messages);
    free (replay->pairs);
    free (replay->snapshot);
}

//  Set up the ten stand-in symbols at depth 1000 (as captured) and send
//  the instrument snapshot with the precisions the capture's strings imply.
static void
capture_setup (fake_t *fake, replay_t *replay)
{
    load_capture (replay);
    const char *symbols[CAPTURE_PAIRS];
    for (size_t index = 0; index < CAPTURE_PAIRS; index++)
        symbols[index] = s_pairs[index].symbol;
    fake_setup (fake, symbols, CAPTURE_PAIRS, 1000, NULL, 0);
    text_t instrument = {0};
    text_cat (&instrument,
              "{\"channel\":\"instrument\",\"type\":\"snapshot\",\"data\":{\"pairs\":[");
    for (size_t index = 0; index < CAPTURE_PAIRS; index++) {
        cr_assert (s_pairs[index].have_precision);
        char entry[160];
        snprintf (entry, sizeof (entry),
                  "%s{\"symbol\":\"%s\",\"price_precision\":%d,\"qty_precision\":%d}",
                  index ? "," : "", s_pairs[index].v2, s_pairs[index].price_precision,
                  s_pairs[index].qty_precision);
        text_cat (&instrument, entry);
    }
    text_cat (&instrument, "]}}");
    size_t before = fake->sent_count;
    cr_assert_eq (feed (fake, instrument.data), 0);
    free (instrument.data);
    cr_assert (sent_with (fake, before, "\"channel\":\"book\"", "\"depth\":1000"));
    cr_assert_eq (fake->anomalies, 0, "anomaly: %s", fake->anomaly);
}

Test (kraken_md, replays_the_real_capture_with_every_checksum_verified, .timeout = 120)
{
    fake_t fake;
    replay_t replay;
    capture_setup (&fake, &replay);
    size_t snapshots = 0, updates = 0;
    for (size_t index = 0; index < replay.count; index++) {
        int rc = fake.ops->frame (fake.md, 0, replay.messages[index].data,
                                  replay.messages[index].used, 0);
        cr_assert_eq (rc, 0, "frame %zu: %s", index, vb_strerror (rc));
        if (replay.snapshot[index])
            snapshots++;
        else
            updates++;
    }
    cr_assert_eq (snapshots, CAPTURE_PAIRS);
    cr_assert_eq (updates, CAPTURE_UPDATES);
    cr_assert_eq (fake.commits, CAPTURE_PAIRS + CAPTURE_UPDATES);
    cr_assert_eq (fake.resyncs, 0);
    cr_assert_eq (fake.anomalies, 0);
    for (size_t index = 0; index < CAPTURE_PAIRS; index++) {
        const capture_pair_t *pair = &s_pairs[index];
        vb_book_t *book = fake.books[index];
        vb_decimal_t price, qty;
        cr_assert_eq (vb_book_best (book, VB_BOOK_BID, &price, &qty), 0);
        assert_decimal (price, pair->bid);
        assert_decimal (qty, pair->bid_qty);
        cr_assert_eq (vb_book_best (book, VB_BOOK_ASK, &price, &qty), 0);
        assert_decimal (price, pair->ask);
        assert_decimal (qty, pair->ask_qty);
        cr_assert_eq (vb_book_count (book, VB_BOOK_BID), pair->bid_levels, "%s bids", pair->v1);
        cr_assert_eq (vb_book_count (book, VB_BOOK_ASK), pair->ask_levels, "%s asks", pair->v1);
    }
    fake_teardown (&fake);
    free_capture (&replay);
}

Test (kraken_md, one_altered_update_in_the_capture_gives_exactly_one_resync, .timeout = 120)
{
    fake_t fake;
    replay_t replay;
    capture_setup (&fake, &replay);
    //  Alter the 100th update: add one to its checksum.
    size_t altered = 0, seen = 0;
    for (size_t index = 0; index < replay.count && !altered; index++)
        if (!replay.snapshot[index] && ++seen == 100)
            altered = index;
    cr_assert_gt (altered, 0);
    text_t *message = &replay.messages[altered];
    char *field = strstr (message->data, "\"checksum\":");
    cr_assert_not_null (field);
    unsigned long long crc = strtoull (field + strlen ("\"checksum\":"), NULL, 10);
    char tail[64];
    snprintf (tail, sizeof (tail), "\"checksum\":%llu}]}", (crc + 1) & 0xFFFFFFFFull);
    message->used = (size_t)(field - message->data);
    text_cat (message, tail);
    capture_pair_t *victim = replay.pairs[altered];
    //  Updates of the victim from the altered one on are not committed
    //  (no fresh snapshot comes in a replay); everything else is.
    size_t lost = 0;
    for (size_t index = altered; index < replay.count; index++)
        if (replay.pairs[index] == victim && !replay.snapshot[index])
            lost++;
    size_t before = fake.sent_count;
    size_t errors = 0;
    for (size_t index = 0; index < replay.count; index++) {
        int rc = fake.ops->frame (fake.md, 0, replay.messages[index].data,
                                  replay.messages[index].used, 0);
        if (rc < 0) {
            cr_assert_eq (rc, VB_ECHECKSUM);
            cr_assert_eq (index, altered);
            errors++;
        }
    }
    cr_assert_eq (errors, 1);
    cr_assert_eq (fake.resyncs, 1);
    cr_assert_str_eq (fake.resync_reason, "checksum");
    cr_assert_str_eq (fake.resync_symbol, victim->symbol);
    cr_assert_eq (fake.commits, CAPTURE_PAIRS + CAPTURE_UPDATES - lost);
    char needle[32];
    snprintf (needle, sizeof (needle), "[\"%s\"]", victim->v2);
    cr_assert (sent_with (&fake, before, "\"method\":\"unsubscribe\"", needle));
    cr_assert (sent_with (&fake, before, "\"method\":\"subscribe\"", needle));
    fake_teardown (&fake);
    free_capture (&replay);
}

//  --------------------------------------------------------------------------

Test (kraken_md, refuses_garbage_truncated_json_and_absurd_numbers_without_crashing)
{
    fake_t fake;
    fake_setup (&fake, btc_usd, 1, 10, NULL, 0);
    cr_assert_eq (feed (&fake, btc_instrument), 0);
    char snapshot[FAKE_TEXT];
    k1_snapshot (snapshot, sizeof (snapshot), K1_CHECKSUM);
    cr_assert_eq (feed (&fake, snapshot), 0);

    const char *garbage[] = {
        "",
        "{",
        "[1,2,3]",
        "null",
        "\"book\"",
        "{\"channel\":\"book\"} trailing",
        "{\"channel\":7}",
        "{\"data\":[],\"channel\":\"book\",\"type\":\"update\"}",
        "{\"channel\":\"book\",\"type\":\"sideways\",\"data\":[]}",
        "{\"channel\":\"nonsense\",\"type\":\"update\",\"data\":[]}",
        "{\"unrelated\":true}",
        "{\"channel\":\"book\",\"type\":\"update\",\"data\":{}}",
        "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
        "\"side\":\"up\",\"price\":1,\"qty\":1,\"trade_id\":1,"
        "\"timestamp\":\"2023-09-25T07:49:37.708706Z\"}]}",
        "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
        "\"side\":\"buy\",\"price\":\"1\",\"qty\":1,\"trade_id\":1,"
        "\"timestamp\":\"2023-09-25T07:49:37.708706Z\"}]}",
        "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
        "\"side\":\"buy\",\"price\":1,\"qty\":1,\"trade_id\":1,"
        "\"timestamp\":\"2023-02-30T07:49:37Z\"}]}",
        "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
        "\"bid\":1e999,\"bid_qty\":1,\"ask\":2,\"ask_qty\":1}]}",
        "{\"channel\":\"ohlc\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
        "\"open\":2,\"high\":1,\"low\":1,\"close\":1,\"trades\":1,\"volume\":1,"
        "\"interval_begin\":\"2023-10-04T16:25:00.000000000Z\",\"interval\":1}]}",
        "{\"channel\":\"instrument\",\"type\":\"update\",\"data\":{\"pairs\":[{\"symbol\":"
        "\"BTC/USD\",\"price_precision\":99,\"qty_precision\":8}]}}",
        "\xff\xfe{}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]",
    };
    for (size_t index = 0; index < sizeof (garbage) / sizeof (garbage[0]); index++)
        cr_assert_lt (feed (&fake, garbage[index]), 0, "accepted: %s", garbage[index]);
    cr_assert_eq (fake.resyncs, 0, "nothing above touched the book");
    cr_assert_eq (fake.trades, 0);
    cr_assert_eq (fake.bbos, 0);
    cr_assert_eq (fake.candle_count, 0);
    cr_assert_geq (fake.anomalies, sizeof (garbage) / sizeof (garbage[0]) - 1);

    //  Every strict prefix of valid frames is refused.
    const char *valid[] = {snapshot, btc_instrument, "{\"channel\":\"heartbeat\"}",
                           "{\"method\":\"pong\",\"req_id\":101,\"time_in\":\"2023-09-24T14:10:"
                           "23.799685Z\",\"time_out\":\"2023-09-24T14:10:23.799703Z\"}"};
    for (size_t index = 0; index < sizeof (valid) / sizeof (valid[0]); index++) {
        size_t length = strlen (valid[index]);
        for (size_t cut = 0; cut < length; cut++)
            cr_assert_lt (fake.ops->frame (fake.md, 0, valid[index], cut, 0), 0,
                          "prefix %zu of frame %zu accepted", cut, index);
    }

    //  Absurd numbers inside a book update break the book: resync, resubscribe.
    const char *absurd[] = {
        "{\"price\":1e999,\"qty\":1}",
        "{\"price\":99999999999999999999999999,\"qty\":1}",
        "{\"price\":45283.5,\"qty\":-1}",
        "{\"price\":0,\"qty\":1}",
        "{\"price\":45283.5}",
    };
    for (size_t index = 0; index < sizeof (absurd) / sizeof (absurd[0]); index++) {
        cr_assert_eq (feed (&fake, snapshot), 0);
        size_t resyncs = fake.resyncs, before = fake.sent_count;
        char text[256];
        snprintf (text, sizeof (text),
                  "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
                  "\"bids\":[%s],\"asks\":[],\"checksum\":1}]}",
                  absurd[index]);
        cr_assert_lt (feed (&fake, text), 0, "accepted %s", absurd[index]);
        cr_assert_eq (fake.resyncs, resyncs + 1);
        cr_assert_str_eq (fake.resync_reason, "decode");
        cr_assert (sent_with (&fake, before, "\"method\":\"subscribe\"", "\"channel\":\"book\""));
    }
    //  A checksum that does not fit 32 bits.
    cr_assert_eq (feed (&fake, snapshot), 0);
    cr_assert_lt (feed (&fake, "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":"
                               "\"BTC/USD\",\"bids\":[],\"asks\":[],\"checksum\":4294967296}]}"),
                  0);

    //  Random bytes, and random mutations of a valid frame.
    uint64_t state = 0x9E3779B97F4A7C15ull;
    char noise[512];
    for (int round = 0; round < 2000; round++) {
        size_t length = 0;
        if (round % 2) {
            length = strlen (snapshot) < sizeof (noise) ? strlen (snapshot) : sizeof (noise);
            memcpy (noise, snapshot, length);
        } else
            length = (size_t)(round % (int)sizeof (noise));
        for (size_t index = 0; index < length; index++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            if (round % 2 == 0 || (state >> 60) == 0)
                noise[index] = (char)(state >> 33);
        }
        fake.ops->frame (fake.md, 0, noise, length, 0);
    }
    //  Still works afterwards.
    size_t commits = fake.commits;
    cr_assert_eq (feed (&fake, snapshot), 0);
    cr_assert_eq (fake.commits, commits + 1);
    cr_assert_eq (fake.ops->frame (fake.md, 1, "{}", 2, 0), VB_EINVAL);
    cr_assert_eq (fake.ops->frame (fake.md, 0, NULL, 3, 0), VB_EINVAL);
    fake_teardown (&fake);
}

//  --------------------------------------------------------------------------

Test (kraken_md, decodes_docs_shaped_trade_ticker_and_subscribe_errors)
{
    fake_t fake;
    fake_setup (&fake, btc_usd, 1, 10, NULL, 0);
    //  venues.md 3.2 trade example (symbol changed from MATIC/USD).
    cr_assert_eq (feed (&fake, "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{\"symbol\":"
                               "\"BTC/USD\",\"side\":\"sell\",\"price\":0.5117,\"qty\":40.0,"
                               "\"ord_type\":\"market\",\"trade_id\":4665906,\"timestamp\":"
                               "\"2023-09-25T07:49:37.708706Z\"}]}"),
                  0);
    cr_assert_eq (fake.trades, 1);
    cr_assert_str_eq (fake.trade_symbol, "BTC-USD");
    cr_assert_eq (fake.trade.side, VB_MD_SIDE_SELL);
    assert_decimal (fake.trade.price, "0.5117");
    assert_decimal (fake.trade.qty, "40.0");
    cr_assert_str_eq (fake.trade_id, "4665906");
    cr_assert_eq (fake.trade.exchange_ts_ns, INT64_C (1695628177) * NS_PER_S + 708706000);

    //  Ticker, fields as venues.md 3.2 lists them.
    cr_assert_eq (feed (&fake,
                        "{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[{\"symbol\":"
                        "\"BTC/USD\",\"bid\":26982.4,\"bid_qty\":0.12345678,\"ask\":26982.5,"
                        "\"ask_qty\":1.5,\"last\":26982.5,\"volume\":1234.5,\"vwap\":26900.1,"
                        "\"low\":26800.0,\"high\":27000.0,\"change\":50.0,\"change_pct\":"
                        "0.19,\"timestamp\":\"2023-09-25T07:49:37.708706Z\"}]}"),
                  0);
    cr_assert_eq (fake.bbos, 1);
    cr_assert_str_eq (fake.bbo_symbol, "BTC-USD");
    assert_decimal (fake.bbo.bid_price, "26982.4");
    assert_decimal (fake.bbo.bid_qty, "0.12345678");
    assert_decimal (fake.bbo.ask_price, "26982.5");
    assert_decimal (fake.bbo.ask_qty, "1.5");
    cr_assert_eq (fake.bbo.venue_seq, 0);
    cr_assert_eq (fake.bbo.exchange_ts_ns, INT64_C (1695628177) * NS_PER_S + 708706000);

    //  Acks, pong, heartbeat, status: accepted; a failed subscribe is an
    //  anomaly naming the symbol.
    size_t anomalies = fake.anomalies;
    cr_assert_eq (feed (&fake, "{\"method\":\"subscribe\",\"result\":{\"channel\":\"book\","
                               "\"depth\":25,\"snapshot\":true,\"symbol\":\"BTC/USD\"},\"success\":"
                               "true,\"time_in\":\"2023-10-06T17:35:55.219022Z\",\"time_out\":"
                               "\"2023-10-06T17:35:55.219067Z\"}"),
                  0);
    cr_assert_eq (feed (&fake, "{\"method\":\"pong\",\"req_id\":101}"), 0);
    cr_assert_eq (feed (&fake, "{\"channel\":\"heartbeat\"}"), 0);
    cr_assert_eq (feed (&fake, "{\"channel\":\"status\",\"type\":\"update\",\"data\":[{"
                               "\"api_version\":\"v2\",\"connection_id\":1,\"system\":\"online\","
                               "\"version\":\"2.0.0\"}]}"),
                  0);
    cr_assert_eq (fake.anomalies, anomalies);
    cr_assert_eq (feed (&fake, "{\"error\":\"Currency pair not supported XBT/USD\",\"method\":"
                               "\"subscribe\",\"success\":false,\"symbol\":\"BTC/USD\"}"),
                  0);
    cr_assert_eq (fake.anomalies, anomalies + 1);
    cr_assert (strstr (fake.anomaly, "Currency pair not supported"));
    cr_assert_eq (feed (&fake, "{\"channel\":\"status\",\"type\":\"update\",\"data\":[{"
                               "\"system\":\"maintenance\"}]}"),
                  0);
    cr_assert_eq (fake.anomalies, anomalies + 2);
    fake_teardown (&fake);
}

Test (kraken_md, closes_a_candle_once_a_later_interval_begins)
{
    fake_t fake;
    const char *intervals[] = {"1m", "5m"};
    fake_setup (&fake, btc_usd, 1, 10, intervals, 2);
    cr_assert (sent_with (&fake, 0, "\"channel\":\"ohlc\"", "\"interval\":1,"));
    cr_assert (sent_with (&fake, 0, "\"channel\":\"ohlc\"", "\"interval\":5,"));
    //  venues.md 3.2 ohlc example (symbol changed), then a second update of
    //  the same candle, then the next candle.
    const char *first =
        "{\"channel\":\"ohlc\",\"type\":\"update\",\"timestamp\":\"2023-10-04T16:26:30."
        "524394914Z\","
        "\"data\":[{\"symbol\":\"BTC/USD\",\"open\":0.5624,\"high\":0.5628,\"low\":0.5622,"
        "\"close\":0.5627,\"trades\":12,\"volume\":30927.68066226,\"vwap\":0.5626,"
        "\"interval_begin\":\"2023-10-04T16:25:00.000000000Z\",\"interval\":5,"
        "\"timestamp\":\"2023-10-04T16:30:00.000000Z\"}]}";
    const char *second =
        "{\"channel\":\"ohlc\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/"
        "USD\",\"open\":0.5624,"
        "\"high\":0.5630,\"low\":0.5622,\"close\":0.5630,\"trades\":13,\"volume\":30930.0,"
        "\"vwap\":0.5626,\"interval_begin\":\"2023-10-04T16:25:00.000000000Z\",\"interval\":5}]}";
    const char *next =
        "{\"channel\":\"ohlc\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/"
        "USD\",\"open\":0.5631,"
        "\"high\":0.5631,\"low\":0.5631,\"close\":0.5631,\"trades\":1,\"volume\":1.0,"
        "\"vwap\":0.5631,\"interval_begin\":\"2023-10-04T16:30:00.000000000Z\",\"interval\":5}]}";
    cr_assert_eq (feed (&fake, first), 0);
    cr_assert_eq (feed (&fake, second), 0);
    cr_assert_eq (fake.candle_count, 2);
    cr_assert_not (fake.candles[0].closed);
    cr_assert_not (fake.candles[1].closed);
    cr_assert_str_eq (fake.candles[0].interval, "5m");
    assert_decimal (fake.candles[0].open, "0.5624");
    assert_decimal (fake.candles[0].high, "0.5628");
    assert_decimal (fake.candles[0].low, "0.5622");
    assert_decimal (fake.candles[0].close, "0.5627");
    assert_decimal (fake.candles[0].volume, "30927.68066226");
    cr_assert_eq (fake.candles[0].trades, 12);
    cr_assert_eq (fake.candles[0].open_ts_ns, INT64_C (1696436700) * NS_PER_S);
    cr_assert_eq (fake.candles[0].close_ts_ns, INT64_C (1696437000) * NS_PER_S);
    cr_assert_eq (feed (&fake, next), 0);
    cr_assert_eq (fake.candle_count, 4);
    //  The 16:25 candle, final, with its last values; then the open 16:30.
    cr_assert (fake.candles[2].closed);
    cr_assert_not (fake.candles[2].backfilled);
    cr_assert_eq (fake.candles[2].open_ts_ns, INT64_C (1696436700) * NS_PER_S);
    assert_decimal (fake.candles[2].close, "0.5630");
    cr_assert_eq (fake.candles[2].trades, 13);
    cr_assert_not (fake.candles[3].closed);
    cr_assert_eq (fake.candles[3].open_ts_ns, INT64_C (1696437000) * NS_PER_S);
    //  An old candle again (e.g. a snapshot after a reconnect): skipped.
    cr_assert_eq (feed (&fake, second), 0);
    cr_assert_eq (fake.candle_count, 4);
    //  An interval that was not subscribed is refused.
    cr_assert_lt (feed (&fake, "{\"channel\":\"ohlc\",\"type\":\"update\",\"data\":[{\"symbol\":"
                               "\"BTC/USD\",\"open\":1,\"high\":1,\"low\":1,\"close\":1,\"trades\":"
                               "1,\"volume\":1,\"interval_begin\":\"2023-10-04T16:30:00Z\","
                               "\"interval\":15}]}"),
                  0);
    fake_teardown (&fake);
}

Test (kraken_md, backfills_candles_over_rest_with_only_committed_ones_closed)
{
    fake_t fake;
    fake_setup (&fake, btc_usd, 1, 10, NULL, 0);
    vb_md_request_t requests[4];
    int64_t from = INT64_C (1688671200) * NS_PER_S, to = INT64_C (1688671380) * NS_PER_S;
    cr_assert_eq (fake.ops->candle_requests (fake.md, "BTC-USD", "1m", from, to, requests, 4), 1);
    cr_assert_str_eq (requests[0].path, "/0/public/OHLC?pair=XBTUSD&interval=1&since=1688671199");
    cr_assert_eq (requests[0].kind, VB_MD_REST_CANDLES);
    cr_assert_str_eq (requests[0].symbol, "BTC-USD");
    cr_assert_str_eq (requests[0].interval, "1m");
    cr_assert_not (requests[0].futures);
    cr_assert_str_eq (requests[0].base_url, "https://api.kraken.com");
    cr_assert_eq (fake.ops->candle_requests (fake.md, "ETH-USD", "1m", from, to, requests, 4), 0);
    cr_assert_eq (fake.ops->candle_requests (fake.md, "BTC-USD", "7m", from, to, requests, 4), 0);

    //  Kraken's OHLC answer shape (docs.kraken.com getOHLCData): `last` is
    //  the newest committed candle, so the 1688671320 row is still open.
    const char *body =
        "{\"error\":[],\"result\":{\"XXBTZUSD\":["
        "[1688671140,\"30300.0\",\"30300.0\",\"30300.0\",\"30300.0\",\"30300.0\",\"1.0\",1],"
        "[1688671200,\"30306.1\",\"30306.2\",\"30305.7\",\"30305.7\",\"30306.1\",\"3.39243896\",23]"
        ","
        "[1688671260,\"30304.5\",\"30304.5\",\"30300.0\",\"30300.0\",\"30300.0\",\"4.42996871\",18]"
        ","
        "[1688671320,\"30300.3\",\"30300.4\",\"30291.4\",\"30291.4\",\"30294.7\",\"2.13024789\",25]"
        "],\"last\":1688671260}}";
    cr_assert_eq (fake.ops->rest_done (fake.md, &requests[0], 200, body, strlen (body)), 0);
    cr_assert_eq (fake.candle_count, 3, "the row before `from` is not reported");
    for (size_t index = 0; index < 3; index++) {
        cr_assert (fake.candles[index].backfilled);
        cr_assert_str_eq (fake.candles[index].interval, "1m");
    }
    cr_assert (fake.candles[0].closed);
    cr_assert (fake.candles[1].closed);
    cr_assert_not (fake.candles[2].closed, "the last row is the current candle");
    cr_assert_eq (fake.candles[0].open_ts_ns, from);
    cr_assert_eq (fake.candles[0].close_ts_ns, from + 60 * NS_PER_S);
    assert_decimal (fake.candles[0].open, "30306.1");
    assert_decimal (fake.candles[0].high, "30306.2");
    assert_decimal (fake.candles[0].low, "30305.7");
    assert_decimal (fake.candles[0].close, "30305.7");
    assert_decimal (fake.candles[0].volume, "3.39243896");
    cr_assert_eq (fake.candles[0].trades, 23);

    //  Errors, HTTP failures and malformed rows.
    const char *bad[] = {
        "{\"error\":[\"EGeneral:Invalid arguments\"]}",
        "{\"error\":[],\"result\":{\"XETHZUSD\":[],\"last\":1}}",
        "{\"error\":[],\"result\":{\"XXBTZUSD\":[[1688671200,\"1\",\"1\",\"1\"]],\"last\":1}}",
        "{\"error\":[],\"result\":{\"XXBTZUSD\":[[1688671200,\"2\",\"1\",\"1\",\"1\",\"1\",\"1\","
        "1]],\"last\":1}}",
        "{\"error\":[],\"result\":{\"XXBTZUSD\":[[1688671260,\"1\",\"1\",\"1\",\"1\",\"1\",\"1\","
        "1],[1688671200,\"1\",\"1\",\"1\",\"1\",\"1\",\"1\",1]],\"last\":1}}",
        "{\"error\":[]}",
        "not json",
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++)
        cr_assert_lt (
            fake.ops->rest_done (fake.md, &requests[0], 200, bad[index], strlen (bad[index])), 0,
            "accepted %s", bad[index]);
    cr_assert_lt (fake.ops->rest_done (fake.md, &requests[0], 0, NULL, 0), 0);
    cr_assert_lt (fake.ops->rest_done (fake.md, &requests[0], 429, "{}", 2), 0);
    fake_teardown (&fake);
}

Test (kraken_md, reports_every_carried_book_on_close_and_restarts_on_open)
{
    fake_t fake;
    fake_setup (&fake, btc_usd, 1, 10, NULL, 0);
    cr_assert_eq (feed (&fake, btc_instrument), 0);
    char snapshot[FAKE_TEXT];
    k1_snapshot (snapshot, sizeof (snapshot), K1_CHECKSUM);
    cr_assert_eq (feed (&fake, snapshot), 0);
    fake.ops->closed (fake.md, 0);
    cr_assert_eq (fake.resyncs, 1);
    cr_assert_str_eq (fake.resync_reason, "reconnect");
    //  Reopened: everything is subscribed again, the book after the
    //  instrument snapshot.
    size_t before = fake.sent_count;
    cr_assert_eq (fake.ops->opened (fake.md, 0), 0);
    cr_assert (sent_with (&fake, before, "\"channel\":\"instrument\"", NULL));
    cr_assert_not (sent_with (&fake, before, "\"channel\":\"book\"", NULL));
    cr_assert_eq (feed (&fake, btc_instrument), 0);
    cr_assert (sent_with (&fake, before, "\"channel\":\"book\"", "\"depth\":25"));
    cr_assert_eq (feed (&fake, snapshot), 0);
    cr_assert_eq (fake.commits, 2);

    vb_md_connection_t connections[2];
    size_t count = 0;
    cr_assert_eq (fake.ops->connections (fake.md, connections, 2, &count), 0);
    cr_assert_eq (count, 1);
    cr_assert_str_eq (connections[0].url, "wss://ws.kraken.com/v2");
    cr_assert_str_eq (connections[0].ping_text, "{\"method\":\"ping\"}");
    cr_assert_gt (connections[0].app_ping_ms, 0);
    cr_assert_lt (connections[0].app_ping_ms, 60000, "Kraken closes idle connections at ~1 min");
    cr_assert_gt (connections[0].stale_ms, 1000, "heartbeats come every second");
    cr_assert_str_eq (fake.ops->default_url (VB_MD_URL_REST), "https://api.kraken.com");
    cr_assert_str_eq (fake.ops->default_url (VB_MD_URL_WS), "wss://ws.kraken.com/v2");
    cr_assert_null (fake.ops->default_url (VB_MD_URL_FUTURES_WS));
    fake_teardown (&fake);
}

Test (kraken_md, refuses_to_create_for_unknown_symbols_or_depths)
{
    fake_t fake;
    memset (&fake, 0, sizeof (fake));
    vb_md_sink_t sink = fake_sink (&fake);
    char error[128] = "";
    const char *unknown[] = {"BTC-XYZ"};
    vb_md_config_t config = {.symbols = unknown, .symbol_count = 1, .book_depth = 10};
    cr_assert_null (vb_kraken_md_ops.create (&config, &sink, error, sizeof (error)));
    cr_assert (strstr (error, "BTC-XYZ"));
    const char *intervals[] = {"7m"};
    config.symbols = btc_usd;
    config.candle_intervals = intervals;
    config.candle_interval_count = 1;
    cr_assert_null (vb_kraken_md_ops.create (&config, &sink, error, sizeof (error)));
    config.candle_interval_count = 0;
    const char *symbols[] = {"BTC-USD", "BTC-USD"};
    config.symbols = symbols;
    config.symbol_count = 2;
    cr_assert_null (vb_kraken_md_ops.create (&config, &sink, error, sizeof (error)));
    config.symbol_count = 1;
    config.book_depth = 1001;
    cr_assert_null (vb_kraken_md_ops.create (&config, &sink, error, sizeof (error)));
    cr_assert (strstr (error, "depth"));
}
