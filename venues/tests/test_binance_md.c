/*  test_binance_md.c — the Binance market-data adapter (venues/binance/md.c)
    through vb_md.h, with a fake core sink that owns real vb_books.

    The real captures in shared/fixtures/real/binance/ are replayed through
    the adapter's frame () and rest_done (); every expected figure is from
    SOURCES.md §4 or read from the capture text itself, and message formats
    and limits from venues.md §1.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vb_book.h"
#include "vb_decimal.h"
#include "vb_error.h"
#include "vb_md.h"

extern const vb_md_ops_t vb_binance_md_ops;

#define S_REAL        VB_SHARED_DIR "/fixtures/real/binance/"
#define S_HFT_CAPTURE S_REAL "hftbacktest/spot/btcusdt_20240808.head.txt"
#define S_HFT_USDM    S_REAL "hftbacktest/usdm/btcusdt_20240808.head.txt"
#define S_CF_HTTP     S_REAL "cryptofeed/BINANCE.http.0.0"
#define S_CF_WS       S_REAL "cryptofeed/BINANCE.ws.1.0"
//  The fake core's books: deeper than any snapshot plus diffs here.
#define S_BOOK_CAP     5000
#define S_BOOKS_MAX    8
#define S_TEXT_MAX     VB_DECIMAL_TEXT_MAX
#define S_RECORDS_MAX  4096
#define S_REQUESTS_MAX 64
#define S_RESYNCS_MAX  4096
#define S_SENT_MAX     8
#define S_SENT_TEXT    4096
#define S_WS_URL       "ws://127.0.0.1:9"

typedef struct {
    char bid[S_TEXT_MAX], bid_qty[S_TEXT_MAX];  //  Best bid as text
    char ask[S_TEXT_MAX], ask_qty[S_TEXT_MAX];  //  Best ask as text
} s_top_t;

typedef struct {
    uint64_t id;  //  u of a committed diff, or of a bookTicker
    s_top_t top;  //  Top after the diff, or b/B/a/A
} s_record_t;

//  One symbol as the fake core keeps it.
typedef struct {
    char name[32];           //  Normalised
    vb_book_t *book;         //  Real book
    bool changing;           //  Between book_begin and book_commit
    bool changing_snapshot;  //  That change is a snapshot
    bool synced;             //  A snapshot was committed and no resync since
    bool bridged;            //  A diff was committed after the snapshot
    bool usdm;               //  Set by the test: the book follows the USD-M rule
    uint64_t last_seq;       //  Last committed venue seq
    uint64_t snapshot_seq;   //  lastUpdateId of the last snapshot
    size_t snapshots;        //  Snapshot commits
    uint64_t bridge_first;   //  U, u of the first diff after the last snapshot
    uint64_t bridge_last;
    size_t diffs;         //  Diff commits
    s_record_t *commits;  //  Each diff commit, in order
    s_record_t *tickers;  //  Each bbo
    size_t ticker_count;
    size_t trades, candles, fundings;
    size_t depth_frames;  //  Depth frames the test fed for it
} s_book_t;

typedef struct {
    char symbol[32];
    char reason[16];
    uint64_t expected, received;
} s_resync_t;

typedef struct {
    s_book_t books[S_BOOKS_MAX];
    size_t book_count;
    vb_md_request_t requests[S_REQUESTS_MAX];
    size_t request_count;
    s_resync_t *resyncs;
    size_t resync_count;
    size_t anomalies;
    size_t commit_errors;  //  Commits refused (crossed)
    char sent[S_SENT_MAX][S_SENT_TEXT];
    size_t sent_index[S_SENT_MAX];
    size_t sent_count;
    vb_md_trade_t last_trade;
    char last_trade_id[32];
    vb_md_candle_t candles[8];
    size_t candle_count;
    vb_md_funding_t last_funding;
} s_core_t;

//  --------------------------------------------------------------------------
//  The fake core.

static s_book_t *
s_book (s_core_t *core, const char *symbol)
{
    for (size_t index = 0; index < core->book_count; index++)
        if (strcmp (core->books[index].name, symbol) == 0)
            return &core->books[index];
    return NULL;
}

static void
s_text (vb_decimal_t value, char *text)
{
    cr_assert_gt (vb_decimal_format (value, text, S_TEXT_MAX), 0);
}

static void
s_top (vb_book_t *book, s_top_t *top)
{
    vb_decimal_t price, qty;
    memset (top, 0, sizeof (*top));
    if (vb_book_best (book, VB_BOOK_BID, &price, &qty) == 0) {
        s_text (price, top->bid);
        s_text (qty, top->bid_qty);
    }
    if (vb_book_best (book, VB_BOOK_ASK, &price, &qty) == 0) {
        s_text (price, top->ask);
        s_text (qty, top->ask_qty);
    }
}

static vb_book_t *
s_sink_book (void *ctx, const char *symbol)
{
    s_book_t *book = s_book (ctx, symbol);
    return book ? book->book : NULL;
}

static int
s_sink_book_begin (void *ctx, const char *symbol, bool snapshot)
{
    s_book_t *book = s_book (ctx, symbol);
    cr_assert_not_null (book, "book_begin for %s", symbol);
    cr_assert_not (book->changing, "book_begin twice");
    //  Diffs are only applied to a synced book.
    cr_assert (snapshot || book->synced, "%s: diff before a snapshot", symbol);
    book->changing = true;
    book->changing_snapshot = snapshot;
    if (snapshot)
        vb_book_clear (book->book);
    return 0;
}

static int
s_sink_book_level (void *ctx, const char *symbol, vb_book_side_t side, vb_decimal_t price,
                   vb_decimal_t qty)
{
    s_book_t *book = s_book (ctx, symbol);
    cr_assert (book && book->changing);
    return vb_book_set (book->book, side, price, qty);
}

//  The fake core's own checks at commit: the sequence must continue as the
//  Binance rule says, and the book must not be crossed.
static int
s_sink_book_commit (void *ctx, const char *symbol, uint64_t first, uint64_t last,
                    int64_t exchange_ts_ns)
{
    s_core_t *core = ctx;
    s_book_t *book = s_book (core, symbol);
    (void)exchange_ts_ns;
    cr_assert (book && book->changing);
    book->changing = false;
    cr_assert_leq (first, last);
    if (book->changing_snapshot) {
        cr_assert_eq (first, last);
        //  A snapshot (first == last == lastUpdateId).
        book->synced = true;
        book->bridged = false;
        book->snapshot_seq = last;
        book->snapshots++;
    } else {
        cr_assert (book->synced);
        //  The bridge point: lastUpdateId + 1 (spot), lastUpdateId (USD-M).
        uint64_t bridge = book->last_seq + (book->usdm ? 0 : 1);
        if (!book->bridged) {
            cr_assert (first <= bridge && bridge <= last, "%s: (%llu, %llu) does not bridge %llu",
                       symbol, (unsigned long long)first, (unsigned long long)last,
                       (unsigned long long)book->last_seq);
            book->bridge_first = first;
            book->bridge_last = last;
            book->bridged = true;
        } else if (book->usdm)
            //  USD-M diffs link by pu, which the core does not see; U
            //  still comes after the previous u.
            cr_assert_gt (first, book->last_seq, "%s: U %llu after u %llu", symbol,
                          (unsigned long long)first, (unsigned long long)book->last_seq);
        else
            cr_assert_eq (first, book->last_seq + 1, "%s: U %llu after u %llu", symbol,
                          (unsigned long long)first, (unsigned long long)book->last_seq);
        cr_assert_lt (book->diffs, S_RECORDS_MAX);
        s_record_t *record = &book->commits[book->diffs++];
        record->id = last;
        s_top (book->book, &record->top);
    }
    book->last_seq = last;
    if (vb_book_crossed (book->book)) {
        core->commit_errors++;
        book->synced = false;
        return VB_ECROSSED;
    }
    return 0;
}

static void
s_sink_book_resync (void *ctx, const char *symbol, const char *reason, uint64_t expected,
                    uint64_t received)
{
    s_core_t *core = ctx;
    s_book_t *book = s_book (core, symbol);
    cr_assert_not_null (book);
    book->synced = false;
    book->changing = false;
    cr_assert_lt (core->resync_count, S_RESYNCS_MAX);
    s_resync_t *resync = &core->resyncs[core->resync_count++];
    snprintf (resync->symbol, sizeof (resync->symbol), "%s", symbol);
    snprintf (resync->reason, sizeof (resync->reason), "%s", reason);
    resync->expected = expected;
    resync->received = received;
}

static int
s_sink_trade (void *ctx, const char *symbol, const vb_md_trade_t *trade)
{
    s_core_t *core = ctx;
    s_book_t *book = s_book (core, symbol);
    cr_assert_not_null (book);
    book->trades++;
    core->last_trade = *trade;
    snprintf (core->last_trade_id, sizeof (core->last_trade_id), "%s", trade->trade_id);
    core->last_trade.trade_id = core->last_trade_id;
    return 0;
}

static int
s_sink_bbo (void *ctx, const char *symbol, const vb_md_bbo_t *bbo)
{
    s_book_t *book = s_book (ctx, symbol);
    cr_assert_not_null (book);
    cr_assert_lt (book->ticker_count, S_RECORDS_MAX);
    s_record_t *record = &book->tickers[book->ticker_count++];
    record->id = bbo->venue_seq;
    s_text (bbo->bid_price, record->top.bid);
    s_text (bbo->bid_qty, record->top.bid_qty);
    s_text (bbo->ask_price, record->top.ask);
    s_text (bbo->ask_qty, record->top.ask_qty);
    return 0;
}

static int
s_sink_candle (void *ctx, const char *symbol, const vb_md_candle_t *candle)
{
    s_core_t *core = ctx;
    s_book_t *book = s_book (core, symbol);
    cr_assert_not_null (book);
    book->candles++;
    if (core->candle_count < sizeof (core->candles) / sizeof (core->candles[0]))
        core->candles[core->candle_count++] = *candle;
    return 0;
}

static int
s_sink_funding (void *ctx, const char *symbol, const vb_md_funding_t *funding)
{
    s_core_t *core = ctx;
    s_book_t *book = s_book (core, symbol);
    cr_assert_not_null (book);
    book->fundings++;
    core->last_funding = *funding;
    return 0;
}

static int
s_sink_rest (void *ctx, const vb_md_request_t *request)
{
    s_core_t *core = ctx;
    //  A ring: the latest S_REQUESTS_MAX are kept.
    core->requests[core->request_count++ % S_REQUESTS_MAX] = *request;
    return 0;
}

static int
s_sink_send (void *ctx, size_t index, const char *text, size_t length)
{
    s_core_t *core = ctx;
    cr_assert_lt (core->sent_count, S_SENT_MAX);
    cr_assert_lt (length, S_SENT_TEXT);
    memcpy (core->sent[core->sent_count], text, length);
    core->sent[core->sent_count][length] = 0;
    core->sent_index[core->sent_count++] = index;
    return 0;
}

static void
s_sink_anomaly (void *ctx, const char *symbol, const char *what)
{
    s_core_t *core = ctx;
    (void)symbol;
    cr_assert_not_null (what);
    core->anomalies++;
}

//  --------------------------------------------------------------------------
//  A core with books for `symbols`, and the adapter over it.

typedef struct {
    s_core_t *core;
    vb_md_sink_t sink;
    vb_md_t *md;
} s_fixture_t;

static void
s_fixture_new (s_fixture_t *fixture, const char *const *symbols, size_t count, const char *ws_url,
               const char *futures_ws_url)
{
    memset (fixture, 0, sizeof (*fixture));
    s_core_t *core = calloc (1, sizeof (s_core_t));
    cr_assert_not_null (core);
    core->resyncs = calloc (S_RESYNCS_MAX, sizeof (s_resync_t));
    cr_assert_not_null (core->resyncs);
    cr_assert_leq (count, S_BOOKS_MAX);
    for (size_t index = 0; index < count; index++) {
        s_book_t *book = &core->books[core->book_count++];
        snprintf (book->name, sizeof (book->name), "%s", symbols[index]);
        book->book = vb_book_new (S_BOOK_CAP);
        book->commits = calloc (S_RECORDS_MAX, sizeof (s_record_t));
        book->tickers = calloc (S_RECORDS_MAX, sizeof (s_record_t));
        cr_assert (book->book && book->commits && book->tickers);
    }
    fixture->core = core;
    fixture->sink = (vb_md_sink_t){
        .ctx = core,
        .book = s_sink_book,
        .book_begin = s_sink_book_begin,
        .book_level = s_sink_book_level,
        .book_commit = s_sink_book_commit,
        .book_resync = s_sink_book_resync,
        .trade = s_sink_trade,
        .bbo = s_sink_bbo,
        .candle = s_sink_candle,
        .funding = s_sink_funding,
        .rest = s_sink_rest,
        .send = s_sink_send,
        .anomaly = s_sink_anomaly,
    };
    static const char *const intervals[] = {"1m"};
    vb_md_config_t config = {
        .symbols = symbols,
        .symbol_count = count,
        .rest_url = ws_url ? "http://127.0.0.1:9" : NULL,
        .ws_url = ws_url,
        .futures_ws_url = futures_ws_url,
        .candle_intervals = intervals,
        .candle_interval_count = 1,
        .book_depth = S_BOOK_CAP,
    };
    char error[256];
    fixture->md = vb_binance_md_ops.create (&config, &fixture->sink, error, sizeof (error));
    cr_assert_not_null (fixture->md, "create: %s", error);
    cr_assert_eq (fixture->md->ops, &vb_binance_md_ops);
}

static void
s_fixture_destroy (s_fixture_t *fixture)
{
    vb_binance_md_ops.destroy (&fixture->md);
    cr_assert_null (fixture->md);
    vb_binance_md_ops.destroy (&fixture->md);  //  Twice is safe
    s_core_t *core = fixture->core;
    for (size_t index = 0; index < core->book_count; index++) {
        vb_book_destroy (&core->books[index].book);
        free (core->books[index].commits);
        free (core->books[index].tickers);
    }
    free (core->resyncs);
    free (core);
}

//  --------------------------------------------------------------------------
//  Feed a frame.

static int
s_frame (s_fixture_t *fixture, size_t index, const char *text, size_t length)
{
    return fixture->md->ops->frame (fixture->md, index, text, length, 0);
}

static int
s_frame_text (s_fixture_t *fixture, size_t index, const char *text)
{
    return s_frame (fixture, index, text, strlen (text));
}

//  --------------------------------------------------------------------------
//  The one outstanding snapshot request for a symbol (the last one made).

static const vb_md_request_t *
s_snapshot_request (s_core_t *core, const char *symbol)
{
    size_t kept = core->request_count < S_REQUESTS_MAX ? core->request_count : S_REQUESTS_MAX;
    for (size_t back = 1; back <= kept; back++) {
        const vb_md_request_t *request =
            &core->requests[(core->request_count - back) % S_REQUESTS_MAX];
        if (request->kind == VB_MD_REST_SNAPSHOT && strcmp (request->symbol, symbol) == 0)
            return request;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Count bookTickers whose u is the u of a diff commit, and those equal to
//  the book's top after that commit.

static void
s_cross_check (s_book_t *book, size_t *checked, size_t *matched)
{
    for (size_t ticker = 0; ticker < book->ticker_count; ticker++)
        for (size_t commit = 0; commit < book->diffs; commit++) {
            if (book->commits[commit].id != book->tickers[ticker].id)
                continue;
            (*checked)++;
            if (memcmp (&book->commits[commit].top, &book->tickers[ticker].top, sizeof (s_top_t)) ==
                0)
                (*matched)++;
        }
}

static void
s_expect_final (s_book_t *book, uint64_t last_u, const char *bid, const char *bid_qty,
                const char *ask, const char *ask_qty, size_t bids, size_t asks)
{
    cr_assert (book->synced, "%s not synced", book->name);
    cr_assert_eq (book->last_seq, last_u, "%s last u", book->name);
    s_top_t top;
    s_top (book->book, &top);
    cr_assert_str_eq (top.bid, bid, "%s bid", book->name);
    cr_assert_str_eq (top.bid_qty, bid_qty, "%s bid qty", book->name);
    cr_assert_str_eq (top.ask, ask, "%s ask", book->name);
    cr_assert_str_eq (top.ask_qty, ask_qty, "%s ask qty", book->name);
    cr_assert_eq (vb_book_count (book->book, VB_BOOK_BID), bids, "%s bids", book->name);
    cr_assert_eq (vb_book_count (book->book, VB_BOOK_ASK), asks, "%s asks", book->name);
}

//  --------------------------------------------------------------------------
//  An hftbacktest capture of BTCUSDT: its file, and the field by which a
//  depth line links to the one before (spot U == previous u + 1, USD-M
//  pu == previous u).

typedef struct {
    const char *path;      //  The capture
    const char *link_key;  //  "\"U\":" or "\"pu\":"
} s_capture_t;

static const s_capture_t s_hft_spot = {S_HFT_CAPTURE, "\"U\":"};
static const s_capture_t s_hft_usdm = {S_HFT_USDM, "\"pu\":"};

//  --------------------------------------------------------------------------
//  Replay an hftbacktest capture: "<ns> <frame>" per line; the REST body
//  goes to rest_done when it appears. `skip_depth` (1-based, 0 = none) is
//  a depth line left out; its link (U or pu) and the next depth line's are
//  returned.

static void
s_replay_capture (s_fixture_t *fixture, const s_capture_t *capture, size_t skip_depth,
                  uint64_t *skipped_link, uint64_t *next_link, unsigned damage_seed)
{
    FILE *file = fopen (capture->path, "r");
    cr_assert_not_null (file, "cannot open %s", capture->path);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    size_t depth_lines = 0;
    bool after_skip = false;
    s_book_t *book = s_book (fixture->core, "BTC-USDT");
    while ((length = getline (&line, &capacity, file)) > 0) {
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
            line[--length] = 0;
        char *payload = strchr (line, ' ');
        cr_assert_not_null (payload);
        payload++;
        size_t payload_length = (size_t)(line + length - payload);
        if (strncmp (payload, "{\"lastUpdateId\"", 15) == 0) {
            const vb_md_request_t *request = s_snapshot_request (fixture->core, "BTC-USDT");
            if (damage_seed) {
                if (request)
                    (void)fixture->md->ops->rest_done (fixture->md, request, 200, payload,
                                                       payload_length);
                continue;
            }
            cr_assert_not_null (request, "the snapshot came before it was asked for");
            cr_assert_eq (
                fixture->md->ops->rest_done (fixture->md, request, 200, payload, payload_length),
                0);
            continue;
        }
        if (strstr (payload, "\"stream\":\"btcusdt@depth")) {
            depth_lines++;
            //  The capture's own link, read as text for the gap tests.
            const char *link = strstr (payload, capture->link_key);
            cr_assert_not_null (link);
            uint64_t link_id = strtoull (link + strlen (capture->link_key), NULL, 10);
            if (after_skip && next_link && *next_link == 0)
                *next_link = link_id;
            if (depth_lines == skip_depth) {
                *skipped_link = link_id;
                after_skip = true;
                continue;
            }
            book->depth_frames++;
        }
        if (damage_seed) {
            //  One line in four gets one to three bytes overwritten; the
            //  answer is not judged, only that nothing breaks.
            damage_seed = damage_seed * 1103515245u + 12345u;
            if ((damage_seed >> 16) % 4 == 0)
                for (unsigned flip = 0; flip <= (damage_seed >> 20) % 3; flip++) {
                    damage_seed = damage_seed * 1103515245u + 12345u;
                    payload[(damage_seed >> 16) % payload_length] = (char)(damage_seed >> 8);
                }
            (void)s_frame (fixture, 0, payload, payload_length);
            continue;
        }
        cr_assert_eq (s_frame (fixture, 0, payload, payload_length), 0, "frame: %.120s", payload);
    }
    free (line);
    fclose (file);
}

//  The spot capture, whole or with damaged lines.
static void
s_replay_hft_damaged (s_fixture_t *fixture, size_t skip_depth, uint64_t *skipped_first,
                      uint64_t *next_first, unsigned damage_seed)
{
    s_replay_capture (fixture, &s_hft_spot, skip_depth, skipped_first, next_first, damage_seed);
}

static void
s_replay_hft (s_fixture_t *fixture, size_t skip_depth, uint64_t *skipped_first,
              uint64_t *next_first)
{
    s_replay_capture (fixture, &s_hft_spot, skip_depth, skipped_first, next_first, 0);
}

//  --------------------------------------------------------------------------
//  What SOURCES.md says a correct replay of one hftbacktest capture derives.

typedef struct {
    uint64_t last_update_id;  //  The snapshot's lastUpdateId
    uint64_t bridge_first;    //  The bridging diff's U and u
    uint64_t bridge_last;
    size_t diffs;     //  Diffs applied
    size_t tickers;   //  bookTickers carrying an applied u (all must match)
    uint64_t last_u;  //  Last applied u
    const char *bid, *bid_qty, *ask, *ask_qty;  //  Final top of book
    size_t bid_levels, ask_levels;
    size_t depth_lines, ticker_lines, trade_lines;  //  Lines of each stream
} s_capture_facts_t;

static void
s_expect_capture (s_core_t *core, s_book_t *book, const s_capture_facts_t *facts)
{
    cr_assert_eq (book->snapshots, 1);
    cr_assert_eq (book->snapshot_seq, facts->last_update_id);
    cr_assert_eq (book->bridge_first, facts->bridge_first);
    cr_assert_eq (book->bridge_last, facts->bridge_last);
    cr_assert_eq (book->diffs, facts->diffs);
    cr_assert_eq (core->resync_count, 0, "no gap");
    cr_assert_eq (core->anomalies, 0);
    cr_assert_eq (core->commit_errors, 0);
    size_t checked = 0, matched = 0;
    s_cross_check (book, &checked, &matched);
    cr_assert_eq (checked, facts->tickers);
    cr_assert_eq (matched, facts->tickers, "%zu of %zu bookTickers match", matched, checked);
    s_expect_final (book, facts->last_u, facts->bid, facts->bid_qty, facts->ask, facts->ask_qty,
                    facts->bid_levels, facts->ask_levels);
    cr_assert_eq (book->depth_frames, facts->depth_lines);
    cr_assert_eq (book->ticker_count, facts->ticker_lines);
    cr_assert_eq (book->trades, facts->trade_lines);
}

Test (binance_md, replays_the_hftbacktest_capture_with_the_snapshot_after_the_bridging_diff)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    s_replay_hft (&fixture, 0, NULL, NULL);
    s_core_t *core = fixture.core;
    s_book_t *book = &core->books[0];

    //  One snapshot request, as venues.md 1.3 gives it (limit 1000: weight 50).
    cr_assert_eq (core->request_count, 1);
    cr_assert_str_eq (core->requests[0].path, "/api/v3/depth?symbol=BTCUSDT&limit=1000");
    cr_assert_eq (core->requests[0].weight, 50);
    cr_assert_str_eq (core->requests[0].base_url, "http://127.0.0.1:9");
    cr_assert_not (core->requests[0].futures);

    //  SOURCES.md §4: lastUpdateId 50093239218, bridge (50093239208,
    //  50093239224), 198 diffs applied, 0 gaps, 23/23 bookTickers, last
    //  applied u 50093247780, final top 61828.09000000 / 0.34217000 -
    //  61828.10000000 / 6.42937000 (1110 / 1092 levels); 200 depth lines,
    //  1614 bookTicker, 333 trade.
    s_capture_facts_t facts = {.last_update_id = 50093239218ULL,
                               .bridge_first = 50093239208ULL,
                               .bridge_last = 50093239224ULL,
                               .diffs = 198,
                               .tickers = 23,
                               .last_u = 50093247780ULL,
                               .bid = "61828.09000000",
                               .bid_qty = "0.34217000",
                               .ask = "61828.10000000",
                               .ask_qty = "6.42937000",
                               .bid_levels = 1110,
                               .ask_levels = 1092,
                               .depth_lines = 200,
                               .ticker_lines = 1614,
                               .trade_lines = 333};
    s_expect_capture (core, book, &facts);
    s_fixture_destroy (&fixture);
}

Test (binance_md, decodes_a_trade_with_the_aggressor_from_the_maker_flag)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    //  Line 4 of the hftbacktest capture.
    cr_assert_eq (
        s_frame_text (&fixture, 0,
                      "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1723161255343,"
                      "\"s\":\"BTCUSDT\",\"t\":3735683259,\"p\":\"61837.63000000\",\"q\":"
                      "\"0.02000000\",\"T\":1723161255342,\"m\":true,\"M\":true}}"),
        0);
    s_core_t *core = fixture.core;
    cr_assert_eq (core->books[0].trades, 1);
    //  m = true: the buyer was the maker, so the aggressor sold.
    cr_assert_eq (core->last_trade.side, VB_MD_SIDE_SELL);
    cr_assert_str_eq (core->last_trade_id, "3735683259");
    cr_assert_eq (core->last_trade.exchange_ts_ns, 1723161255342LL * 1000000);
    char text[S_TEXT_MAX];
    s_text (core->last_trade.price, text);
    cr_assert_str_eq (text, "61837.63000000");
    s_text (core->last_trade.qty, text);
    cr_assert_str_eq (text, "0.02000000");
    //  The same with m = false: the buyer took.
    cr_assert_eq (
        s_frame_text (&fixture, 0,
                      "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":"
                      "\"BTCUSDT\",\"t\":7,\"p\":\"1.5\",\"q\":\"2\",\"T\":1,\"m\":false,\"M\":"
                      "true}}"),
        0);
    cr_assert_eq (core->last_trade.side, VB_MD_SIDE_BUY);
    s_fixture_destroy (&fixture);
}

Test (binance_md, reports_one_gap_when_a_diff_is_removed)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    //  Depth line 50 is well after the snapshot (line 8): the book is live.
    uint64_t skipped_first = 0, next_first = 0;
    s_replay_hft (&fixture, 50, &skipped_first, &next_first);
    s_core_t *core = fixture.core;
    s_book_t *book = &core->books[0];
    cr_assert_gt (skipped_first, 0);
    cr_assert_gt (next_first, skipped_first);
    //  Exactly one break: the missing diff's U was expected, the next one's
    //  U arrived.
    cr_assert_eq (core->resync_count, 1);
    cr_assert_str_eq (core->resyncs[0].reason, "gap");
    cr_assert_eq (core->resyncs[0].expected, skipped_first);
    cr_assert_eq (core->resyncs[0].received, next_first);
    //  Lines 3..49 were applied (1 and 2 are older than the snapshot), and
    //  a fresh snapshot was asked for; none came, so nothing after the gap
    //  was committed.
    cr_assert_eq (book->diffs, 47);
    cr_assert_not (book->synced);
    cr_assert_eq (core->request_count, 2);
    cr_assert_eq (core->requests[1].kind, VB_MD_REST_SNAPSHOT);
    s_fixture_destroy (&fixture);
}

Test (binance_md, replays_the_usdm_capture_with_the_pu_rule)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    s_core_t *core = fixture.core;
    s_book_t *book = &core->books[0];
    book->usdm = true;
    s_replay_capture (&fixture, &s_hft_usdm, 0, NULL, NULL, 0);

    //  The diffs carry pu: one USD-M snapshot request (USD-M market data,
    //  order book: limit 1000 weighs 20), for the futures REST base, which
    //  this configuration (no futures URL) leaves to the core ("").
    cr_assert_eq (core->request_count, 1);
    cr_assert_str_eq (core->requests[0].path, "/fapi/v1/depth?symbol=BTCUSDT&limit=1000");
    cr_assert_eq (core->requests[0].weight, 20);
    cr_assert (core->requests[0].futures);
    cr_assert_str_eq (core->requests[0].base_url, "");

    //  SOURCES.md (binance/hftbacktest/usdm): "Bridging diff (5123107850310,
    //  5123107853551) against lastUpdateId 5123107852948. 150 diffs applied,
    //  0 pu gaps. 14/14 bookTicker cross-checks match. Last applied u
    //  5123108401087. Final top: 61800.10 / 4.817 - 61800.20 / 4.167
    //  (1287 / 1172 levels)." Streams: @depth@0ms with pu (154 lines),
    //  @bookTicker (1298), @trade (301).
    s_capture_facts_t facts = {.last_update_id = 5123107852948ULL,
                               .bridge_first = 5123107850310ULL,
                               .bridge_last = 5123107853551ULL,
                               .diffs = 150,
                               .tickers = 14,
                               .last_u = 5123108401087ULL,
                               .bid = "61800.10",
                               .bid_qty = "4.817",
                               .ask = "61800.20",
                               .ask_qty = "4.167",
                               .bid_levels = 1287,
                               .ask_levels = 1172,
                               .depth_lines = 154,
                               .ticker_lines = 1298,
                               .trade_lines = 301};
    s_expect_capture (core, book, &facts);
    s_fixture_destroy (&fixture);
}

Test (binance_md, reports_one_pu_gap_when_a_usdm_diff_is_removed)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    s_core_t *core = fixture.core;
    s_book_t *book = &core->books[0];
    book->usdm = true;
    //  Depth line 50 is well after the snapshot (file line 55, after 6
    //  depth lines): the book is live.
    uint64_t skipped_pu = 0, next_pu = 0;
    s_replay_capture (&fixture, &s_hft_usdm, 50, &skipped_pu, &next_pu, 0);
    cr_assert_gt (skipped_pu, 0);
    cr_assert_gt (next_pu, skipped_pu);
    //  Exactly one break: the missing diff's pu is the u last applied (the
    //  pu expected), the next diff's pu (the missing diff's u) arrived.
    cr_assert_eq (core->resync_count, 1);
    cr_assert_str_eq (core->resyncs[0].reason, "gap");
    cr_assert_eq (core->resyncs[0].expected, skipped_pu);
    cr_assert_eq (core->resyncs[0].received, next_pu);
    cr_assert_eq (book->last_seq, skipped_pu);
    //  SOURCES.md: 154 depth lines, 150 applied, 0 gaps, so 4 are older
    //  than the snapshot, all among the 6 before it. Lines 1..49 less those
    //  4 were applied; a fresh USD-M snapshot was asked for and none came,
    //  so nothing after the gap was committed.
    cr_assert_eq (book->diffs, 45);
    cr_assert_not (book->synced);
    cr_assert_eq (core->request_count, 2);
    cr_assert_eq (core->requests[1].kind, VB_MD_REST_SNAPSHOT);
    cr_assert (core->requests[1].futures);
    s_fixture_destroy (&fixture);
}

//  --------------------------------------------------------------------------
//  cryptofeed: "url -> T: body" (http) and "T: frame" (ws) merged by T.

typedef struct {
    char symbol[32];    //  Normalised
    vb_decimal_t time;  //  T, exact
    char *body;         //  Owned
    size_t length;
} s_http_t;

static void
s_parse_time (const char *text, size_t length, vb_decimal_t *time)
{
    cr_assert_eq (vb_decimal_parse (text, length, time), 0, "time %.*s", (int)length, text);
}

static const char *
s_normalise_cf (const char *venue)
{
    static const char *const map[][2] = {{"NKNUSDT", "NKN-USDT"},
                                         {"BLZETH", "BLZ-ETH"},
                                         {"LRCBTC", "LRC-BTC"},
                                         {"RUNEEUR", "RUNE-EUR"}};
    for (size_t index = 0; index < 4; index++)
        if (strcmp (map[index][0], venue) == 0)
            return map[index][1];
    return NULL;
}

Test (binance_md, replays_the_cryptofeed_session_of_four_symbols)
{
    static const char *const symbols[] = {"NKN-USDT", "BLZ-ETH", "LRC-BTC", "RUNE-EUR"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 4, S_WS_URL, NULL);
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    s_core_t *core = fixture.core;

    s_http_t http[4];
    size_t http_count = 0;
    FILE *file = fopen (S_CF_HTTP, "r");
    cr_assert_not_null (file);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline (&line, &capacity, file)) > 0) {
        const char *arrow = strstr (line, " -> ");
        if (!arrow)
            continue;
        cr_assert_lt (http_count, 4);
        s_http_t *record = &http[http_count++];
        const char *query = strstr (line, "symbol=");
        cr_assert (query && query < arrow);
        char venue[32];
        size_t venue_length = strcspn (query + 7, "&");
        cr_assert_lt (venue_length, sizeof (venue));
        memcpy (venue, query + 7, venue_length);
        venue[venue_length] = 0;
        cr_assert_not_null (s_normalise_cf (venue));
        snprintf (record->symbol, sizeof (record->symbol), "%s", s_normalise_cf (venue));
        const char *time = arrow + 4;
        const char *colon = strchr (time, ':');
        s_parse_time (time, (size_t)(colon - time), &record->time);
        const char *body = strchr (colon, '{');
        record->length = strcspn (body, "\r\n");
        record->body = strndup (body, record->length);
    }
    fclose (file);
    cr_assert_eq (http_count, 4);

    file = fopen (S_CF_WS, "r");
    cr_assert_not_null (file);
    bool delivered[4] = {false, false, false, false};
    while ((length = getline (&line, &capacity, file)) > 0) {
        if (strncmp (line, "wss://", 6) == 0)
            continue;  //  The connection record
        const char *colon = strstr (line, ": ");
        if (!colon)
            continue;  //  Blank lines
        vb_decimal_t time;
        s_parse_time (line, (size_t)(colon - line), &time);
        //  Every REST answer that arrived before this frame, first.
        for (size_t index = 0; index < http_count; index++) {
            if (delivered[index] || vb_decimal_cmp (http[index].time, time) > 0)
                continue;
            const vb_md_request_t *request = s_snapshot_request (core, http[index].symbol);
            cr_assert_not_null (request, "%s: snapshot before it was asked for",
                                http[index].symbol);
            cr_assert_eq (fixture.md->ops->rest_done (fixture.md, request, 200, http[index].body,
                                                      http[index].length),
                          0);
            delivered[index] = true;
        }
        const char *payload = colon + 2;
        size_t payload_length = strcspn (payload, "\r\n");
        const char *stream = strstr (payload, "\"stream\":\"");
        cr_assert_not_null (stream);
        if (strstr (payload, "@depth")) {
            char venue[32];
            size_t venue_length = strcspn (stream + 10, "@");
            cr_assert_lt (venue_length, sizeof (venue));
            for (size_t index = 0; index < venue_length; index++)
                venue[index] = (char)(stream[10 + index] - 'a' + 'A');
            venue[venue_length] = 0;
            s_book (core, s_normalise_cf (venue))->depth_frames++;
        }
        cr_assert_eq (s_frame (&fixture, 0, payload, payload_length), 0, "frame %.100s", payload);
    }
    free (line);
    fclose (file);
    for (size_t index = 0; index < http_count; index++) {
        cr_assert (delivered[index]);
        free (http[index].body);
    }

    //  SOURCES.md §4.
    static const struct {
        const char *name;
        uint64_t bridge_first, bridge_last;
        size_t dropped;
        uint64_t last_u;
        const char *bid, *bid_qty, *ask, *ask_qty;
        size_t bids, asks;
    } expected[] = {
        {"NKN-USDT", 499869753, 499869754, 1, 499870179, "0.35270000", "9602.00000000",
         "0.35310000", "152.00000000", 614, 994},
        {"BLZ-ETH", 281916628, 281916628, 1, 281916638, "0.00006547", "100.00000000", "0.00006560",
         "1528.00000000", 173, 999},
        {"LRC-BTC", 259345544, 259345545, 2, 259345563, "0.00000637", "2500.00000000", "0.00000638",
         "2285.00000000", 176, 1000},
        {"RUNE-EUR", 15602512, 15602513, 1, 15602513, "6.25100000", "69.30000000", "6.26900000",
         "69.30000000", 222, 468},
    };
    cr_assert_eq (core->resync_count, 0);
    cr_assert_eq (core->anomalies, 0);
    size_t checked = 0, matched = 0;
    for (size_t index = 0; index < 4; index++) {
        s_book_t *book = s_book (core, expected[index].name);
        cr_assert_eq (book->snapshots, 1, "%s", book->name);
        cr_assert_eq (book->bridge_first, expected[index].bridge_first, "%s", book->name);
        cr_assert_eq (book->bridge_last, expected[index].bridge_last, "%s", book->name);
        cr_assert_eq (book->depth_frames - book->diffs, expected[index].dropped, "%s dropped",
                      book->name);
        s_cross_check (book, &checked, &matched);
        s_expect_final (book, expected[index].last_u, expected[index].bid, expected[index].bid_qty,
                        expected[index].ask, expected[index].ask_qty, expected[index].bids,
                        expected[index].asks);
    }
    cr_assert_eq (checked, 26);
    cr_assert_eq (matched, 26, "%zu of %zu bookTickers match", matched, checked);
    s_fixture_destroy (&fixture);
}

Test (binance_md, subscribes_with_subscribe_messages_on_the_combined_endpoint)
{
    static const char *const symbols[] = {"BTC-USDT", "ETH-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 2, S_WS_URL "/", NULL);
    vb_md_connection_t connections[VB_MD_CONNECTIONS_MAX];
    size_t count = 0;
    cr_assert_eq (
        fixture.md->ops->connections (fixture.md, connections, VB_MD_CONNECTIONS_MAX, &count), 0);
    //  A sim URL for spot and none for futures: one spot connection only.
    cr_assert_eq (count, 1);
    cr_assert_str_eq (connections[0].url, S_WS_URL "/stream");
    //  venues.md 1.1: 24 h lifetime, 5 messages/s; the venue pings (20 s).
    cr_assert_eq (connections[0].lifetime_ms, 24LL * 3600 * 1000);
    cr_assert_eq (connections[0].max_messages_per_s, 5);
    cr_assert_eq (connections[0].app_ping_ms, 0);
    cr_assert_gt (connections[0].stale_ms, 20000);
    cr_assert_eq (fixture.md->ops->connections (fixture.md, connections, 0, &count), VB_ELIMIT);

    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    s_core_t *core = fixture.core;
    cr_assert_eq (core->sent_count, 1);
    cr_assert_eq (core->sent_index[0], 0);
    //  venues.md 1.2 SUBSCRIBE form and stream names.
    cr_assert_str_eq (core->sent[0],
                      "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@depth@100ms\","
                      "\"btcusdt@trade\",\"btcusdt@bookTicker\",\"btcusdt@kline_1m\","
                      "\"ethusdt@depth@100ms\",\"ethusdt@trade\",\"ethusdt@bookTicker\","
                      "\"ethusdt@kline_1m\"],\"id\":1}");
    //  The acknowledgement and a refusal (venues.md 1.2).
    cr_assert_eq (s_frame_text (&fixture, 0, "{\"result\":null,\"id\":1}"), 0);
    cr_assert_eq (core->anomalies, 0);
    cr_assert_eq (
        s_frame_text (&fixture, 0, "{\"code\":2,\"msg\":\"Invalid request: bad\",\"id\":1}"), 0);
    cr_assert_eq (core->anomalies, 1);
    s_fixture_destroy (&fixture);
}

Test (binance_md, defaults_to_production_urls_with_the_futures_mark_price)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, NULL, NULL);
    vb_md_connection_t connections[VB_MD_CONNECTIONS_MAX];
    size_t count = 0;
    cr_assert_eq (
        fixture.md->ops->connections (fixture.md, connections, VB_MD_CONNECTIONS_MAX, &count), 0);
    //  venues.md 0.1.
    cr_assert_eq (count, 2);
    cr_assert_str_eq (connections[0].url, "wss://stream.binance.com:9443/stream");
    cr_assert_str_eq (connections[1].url, "wss://fstream.binance.com/stream");
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 1), 0);
    s_core_t *core = fixture.core;
    cr_assert_eq (core->sent_count, 1);
    cr_assert_eq (core->sent_index[0], 1);
    cr_assert_str_eq (core->sent[0],
                      "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@markPrice@1s\"],\"id\":1}");
    //  venues.md 1.2 markPriceUpdate example, on the futures connection.
    const char *mark = "{\"stream\":\"btcusdt@markPrice@1s\",\"data\":{\"e\":\"markPriceUpdate\","
                       "\"E\":1562305380000,\"s\":\"BTCUSDT\",\"p\":\"11794.15000000\",\"i\":"
                       "\"11784.62659091\",\"P\":\"11784.25641265\",\"r\":\"0.00038167\",\"T\":"
                       "1562306400000}}";
    cr_assert_eq (s_frame_text (&fixture, 1, mark), 0);
    cr_assert_eq (core->books[0].fundings, 1);
    char text[S_TEXT_MAX];
    s_text (core->last_funding.mark_price, text);
    cr_assert_str_eq (text, "11794.15000000");
    s_text (core->last_funding.index_price, text);
    cr_assert_str_eq (text, "11784.62659091");
    s_text (core->last_funding.funding_rate, text);
    cr_assert_str_eq (text, "0.00038167");
    cr_assert_eq (core->last_funding.next_funding_ts_ns, 1562306400000LL * 1000000);
    cr_assert_eq (core->last_funding.exchange_ts_ns, 1562305380000LL * 1000000);
    //  The same on the spot connection is refused.
    cr_assert_lt (s_frame_text (&fixture, 0, mark), 0);
    cr_assert_eq (core->books[0].fundings, 1);
    //  Snapshot requests go to the production REST base.
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    cr_assert_eq (
        s_frame_text (&fixture, 0,
                      "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,"
                      "\"s\":\"BTCUSDT\",\"U\":5,\"u\":6,\"b\":[[\"1.0\",\"1\"]],\"a\":[]}}"),
        0);
    cr_assert_eq (core->request_count, 1);
    cr_assert_str_eq (core->requests[0].base_url, "https://api.binance.com");
    s_fixture_destroy (&fixture);
}

Test (binance_md, refuses_unknown_symbols_and_intervals_at_create)
{
    vb_md_sink_t sink;
    memset (&sink, 0, sizeof (sink));
    static const char *const unknown[] = {"DOGE-XYZ"};
    vb_md_config_t config = {.symbols = unknown, .symbol_count = 1};
    char error[128];
    //  An incomplete sink is refused before anything else.
    cr_assert_null (vb_binance_md_ops.create (&config, &sink, error, sizeof (error)));
    s_fixture_t fixture;
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    cr_assert_null (vb_binance_md_ops.create (&config, &fixture.sink, error, sizeof (error)));
    cr_assert_str_eq (error, "binance: unknown symbol DOGE-XYZ");
    static const char *const intervals[] = {"7m"};
    vb_md_config_t bad_interval = {.symbols = symbols,
                                   .symbol_count = 1,
                                   .candle_intervals = intervals,
                                   .candle_interval_count = 1};
    cr_assert_null (vb_binance_md_ops.create (&bad_interval, &fixture.sink, error, sizeof (error)));
    cr_assert_str_eq (error, "binance: unknown candle interval 7m");
    s_fixture_destroy (&fixture);
}

//  A depthUpdate for BTCUSDT with ids U..u and one bid.
static void
s_diff (char *text, size_t size, unsigned long long first, unsigned long long last, const char *bid)
{
    snprintf (text, size,
              "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":"
              "\"BTCUSDT\",\"U\":%llu,\"u\":%llu,\"b\":[[\"%s\",\"1.0\"]],\"a\":[]}}",
              first, last, bid);
}

Test (binance_md, asks_again_for_a_snapshot_older_than_the_buffer)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    s_core_t *core = fixture.core;
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    char text[512];
    s_diff (text, sizeof (text), 100, 105, "10.0");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    s_diff (text, sizeof (text), 106, 110, "10.5");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    cr_assert_eq (core->request_count, 1);  //  One at a time
    //  lastUpdateId 99 < first U 100: asked again (venues.md 1.3 step 3).
    const char *old =
        "{\"lastUpdateId\":99,\"bids\":[[\"9.0\",\"1\"]],\"asks\":[[\"11.0\",\"1\"]]}";
    cr_assert_eq (
        fixture.md->ops->rest_done (fixture.md, &core->requests[0], 200, old, strlen (old)), 0);
    cr_assert_eq (core->request_count, 2);
    cr_assert_eq (core->books[0].snapshots, 0);
    //  lastUpdateId 107: drop (100,105), bridge with (106,110).
    const char *good =
        "{\"lastUpdateId\":107,\"bids\":[[\"9.0\",\"1\"]],\"asks\":[[\"11.0\",\"1\"]]}";
    cr_assert_eq (
        fixture.md->ops->rest_done (fixture.md, &core->requests[1], 200, good, strlen (good)), 0);
    s_book_t *book = &core->books[0];
    cr_assert_eq (book->snapshots, 1);
    cr_assert_eq (book->diffs, 1);
    cr_assert_eq (book->bridge_first, 106);
    cr_assert_eq (book->bridge_last, 110);
    cr_assert_eq (vb_book_count (book->book, VB_BOOK_BID), 2);  //  9.0 and 10.5
    //  A duplicate of the last diff breaks continuity (U != u + 1).
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    cr_assert_eq (core->resync_count, 1);
    cr_assert_str_eq (core->resyncs[0].reason, "gap");
    cr_assert_eq (core->resyncs[0].expected, 111);
    cr_assert_eq (core->resyncs[0].received, 106);
    cr_assert_eq (core->request_count, 3);
    //  A failed request is reported; a 5xx is asked again at once.
    cr_assert_eq (fixture.md->ops->rest_done (fixture.md, &core->requests[2], 503, "", 0), VB_EIO);
    cr_assert_eq (core->request_count, 4);
    //  closed (): every book on the connection is reported broken.
    fixture.md->ops->closed (fixture.md, 0);
    cr_assert_eq (core->resync_count, 2);
    cr_assert_str_eq (core->resyncs[1].reason, "reconnect");
    s_fixture_destroy (&fixture);
}

//  A USD-M depthUpdate for BTCUSDT with ids U..u after pu, and one bid.
static void
s_usdm_diff (char *text, size_t size, unsigned long long first, unsigned long long last,
             unsigned long long previous, const char *bid)
{
    snprintf (text, size,
              "{\"stream\":\"btcusdt@depth@0ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"T\":1,"
              "\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,\"pu\":%llu,\"b\":[[\"%s\",\"1.0\"]],"
              "\"a\":[]}}",
              first, last, previous, bid);
}

//  Answer the symbol's outstanding snapshot request with `body`.
static int
s_answer_snapshot (s_fixture_t *fixture, const char *body)
{
    const vb_md_request_t *request = s_snapshot_request (fixture->core, "BTC-USDT");
    cr_assert_not_null (request);
    return fixture->md->ops->rest_done (fixture->md, request, 200, body, strlen (body));
}

Test (binance_md, bridges_usdm_diffs_at_last_update_id_and_links_them_by_pu)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    s_core_t *core = fixture.core;
    s_book_t *book = &core->books[0];
    book->usdm = true;
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    char text[512];
    s_usdm_diff (text, sizeof (text), 100, 105, 99, "10.0");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    s_usdm_diff (text, sizeof (text), 106, 110, 105, "10.5");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    cr_assert_eq (core->request_count, 1);
    //  lastUpdateId 105: u < 105 drops nothing and (100, 105) bridges, as
    //  U <= 105 <= u (the spot rule would drop it and bridge at 106).
    cr_assert_eq (s_answer_snapshot (&fixture, "{\"lastUpdateId\":105,\"E\":1,\"T\":1,\"bids\":"
                                               "[[\"9.0\",\"1\"]],\"asks\":[[\"11.0\",\"1\"]]}"),
                  0);
    cr_assert_eq (book->snapshots, 1);
    cr_assert_eq (book->bridge_first, 100);
    cr_assert_eq (book->bridge_last, 105);
    cr_assert_eq (book->diffs, 2);
    cr_assert_eq (vb_book_count (book->book, VB_BOOK_BID), 3);  //  9.0, 10.0, 10.5
    //  pu 110 == the last u: applied, though U is not u + 1.
    s_usdm_diff (text, sizeof (text), 115, 120, 110, "10.6");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    cr_assert_eq (book->diffs, 3);
    cr_assert_eq (core->resync_count, 0);
    //  pu 121 != 120: a gap, and a fresh USD-M snapshot is asked for.
    s_usdm_diff (text, sizeof (text), 125, 130, 121, "10.7");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    cr_assert_eq (core->resync_count, 1);
    cr_assert_str_eq (core->resyncs[0].reason, "gap");
    cr_assert_eq (core->resyncs[0].expected, 120);
    cr_assert_eq (core->resyncs[0].received, 121);
    cr_assert_eq (core->request_count, 2);
    cr_assert (core->requests[1].futures);
    //  A spot diff (no pu) cannot continue a USD-M sync: "decode".
    s_diff (text, sizeof (text), 131, 135, "10.8");
    cr_assert_eq (s_frame_text (&fixture, 0, text), VB_EINVAL);
    cr_assert_eq (core->resync_count, 2);
    cr_assert_str_eq (core->resyncs[1].reason, "decode");
    cr_assert_eq (core->anomalies, 1);
    //  pu must come before U.
    s_usdm_diff (text, sizeof (text), 140, 145, 140, "10.9");
    cr_assert_eq (s_frame_text (&fixture, 0, text), VB_EINVAL);
    cr_assert_eq (core->anomalies, 2);
    //  A spot sync starts while the USD-M request is still out: its answer
    //  is not used, and a spot snapshot is asked for instead.
    s_diff (text, sizeof (text), 150, 155, "10.8");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    cr_assert_eq (core->request_count, 2);
    cr_assert_eq (s_answer_snapshot (&fixture, "{\"lastUpdateId\":152,\"bids\":[[\"9.0\",\"1\"]],"
                                               "\"asks\":[[\"11.0\",\"1\"]]}"),
                  0);
    cr_assert_eq (book->snapshots, 1);
    cr_assert_eq (core->request_count, 3);
    cr_assert_not (core->requests[2].futures);
    cr_assert_str_eq (core->requests[2].path, "/api/v3/depth?symbol=BTCUSDT&limit=1000");
    s_fixture_destroy (&fixture);

    //  Live before the bridge: lastUpdateId 108 drops (100, 105); then
    //  (106, 108) is applied as the bridge, since u == lastUpdateId is kept
    //  (the spot rule would drop it).
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    core = fixture.core;
    book = &core->books[0];
    book->usdm = true;
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    s_usdm_diff (text, sizeof (text), 100, 105, 99, "10.0");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    cr_assert_eq (s_answer_snapshot (&fixture, "{\"lastUpdateId\":108,\"bids\":[[\"9.0\",\"1\"]],"
                                               "\"asks\":[[\"11.0\",\"1\"]]}"),
                  0);
    cr_assert_eq (book->diffs, 0);
    s_usdm_diff (text, sizeof (text), 106, 108, 105, "10.5");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    cr_assert_eq (book->diffs, 1);
    cr_assert_eq (book->bridge_first, 106);
    cr_assert_eq (book->bridge_last, 108);
    s_usdm_diff (text, sizeof (text), 109, 111, 108, "10.6");
    cr_assert_eq (s_frame_text (&fixture, 0, text), 0);
    cr_assert_eq (book->diffs, 2);
    cr_assert_eq (core->resync_count, 0);
    cr_assert_eq (core->anomalies, 0);
    s_fixture_destroy (&fixture);
}

Test (binance_md, pages_kline_backfill_and_marks_closed_candles)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    vb_md_request_t requests[4];
    //  2500 one-minute candles from 1633998480000 ms: pages of 1000 rows
    //  (60,000,000 ms), endTime inclusive, so by hand:
    //  [..480000, ..058479999], [..058480000, ..118479999],
    //  [..118480000, 1633998480000 + 150000000 - 1 = 1634148479999].
    int64_t from_ns = 1633998480000LL * 1000000;
    int64_t to_ns = from_ns + 2500LL * 60 * 1000 * 1000000;
    size_t count = fixture.md->ops->candle_requests (fixture.md, "BTC-USDT", "1m", from_ns, to_ns,
                                                     requests, 4);
    cr_assert_eq (count, 3);
    cr_assert_str_eq (requests[0].path, "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime="
                                        "1633998480000&endTime=1634058479999&limit=1000");
    cr_assert_str_eq (requests[1].path, "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime="
                                        "1634058480000&endTime=1634118479999&limit=1000");
    cr_assert_str_eq (requests[2].path, "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime="
                                        "1634118480000&endTime=1634148479999&limit=1000");
    cr_assert_eq (requests[0].weight, 2);
    cr_assert_eq (requests[0].kind, VB_MD_REST_CANDLES);
    cr_assert_eq (requests[0].from_ns, from_ns);
    cr_assert_eq (requests[2].to_ns, to_ns);
    cr_assert_eq (requests[1].from_ns, requests[0].to_ns);
    cr_assert_eq (fixture.md->ops->candle_requests (fixture.md, "BTC-USDT", "1m", from_ns, to_ns,
                                                    requests, 2),
                  2);
    cr_assert_eq (fixture.md->ops->candle_requests (fixture.md, "BTC-USDT", "7m", from_ns, to_ns,
                                                    requests, 4),
                  0);
    cr_assert_eq (fixture.md->ops->candle_requests (fixture.md, "BTC-USDT", "1m", to_ns, from_ns,
                                                    requests, 4),
                  0);

    //  The row of the Binance klines documentation, and one closing in 2100.
    const char *body =
        "[[1499040000000,\"0.01634790\",\"0.80000000\",\"0.01575800\",\"0.01577100\","
        "\"148976.11427815\",1499644799999,\"2434.19055334\",308,\"1756.87402397\","
        "\"28.46694368\",\"0\"],"
        "[4102444800000,\"1.0\",\"2.0\",\"0.5\",\"1.5\",\"3\",4102444859999,\"4\",5,"
        "\"1\",\"1\",\"0\"]]";
    s_core_t *core = fixture.core;
    cr_assert_eq (fixture.md->ops->rest_done (fixture.md, &requests[0], 200, body, strlen (body)),
                  0);
    cr_assert_eq (core->candle_count, 2);
    vb_md_candle_t *candle = &core->candles[0];
    cr_assert (candle->backfilled && candle->closed);
    cr_assert_str_eq (candle->interval, "1m");
    cr_assert_eq (candle->open_ts_ns, 1499040000000LL * 1000000);
    cr_assert_eq (candle->close_ts_ns, 1499644800000LL * 1000000);  //  T + 1 ms
    cr_assert_eq (candle->trades, 308);
    char text[S_TEXT_MAX];
    s_text (candle->high, text);
    cr_assert_str_eq (text, "0.80000000");
    s_text (candle->volume, text);
    cr_assert_str_eq (text, "148976.11427815");
    cr_assert (core->candles[1].backfilled);
    cr_assert_not (core->candles[1].closed);
    //  A broken answer is refused and reported.
    cr_assert_lt (fixture.md->ops->rest_done (fixture.md, &requests[0], 200, "[[1,\"x\"]]", 9), 0);
    cr_assert_eq (core->anomalies, 1);
    cr_assert_eq (fixture.md->ops->rest_done (fixture.md, &requests[0], 429, "", 0), VB_EIO);
    s_fixture_destroy (&fixture);
}

Test (binance_md, decodes_a_live_kline_and_its_closed_flag)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    //  venues.md 1.2 kline example, with x true.
    const char *kline =
        "{\"stream\":\"btcusdt@kline_1m\",\"data\":{\"e\":\"kline\",\"E\":1672515782136,\"s\":"
        "\"BTCUSDT\",\"k\":{\"t\":1672515780000,\"T\":1672515839999,\"s\":\"BTCUSDT\",\"i\":"
        "\"1m\",\"f\":100,\"L\":200,\"o\":\"0.0010\",\"c\":\"0.0020\",\"h\":\"0.0025\",\"l\":"
        "\"0.0015\",\"v\":\"1000\",\"n\":100,\"x\":true,\"q\":\"1.0000\",\"V\":\"500\",\"Q\":"
        "\"0.500\",\"B\":\"123456\"}}}";
    s_core_t *core = fixture.core;
    //  The example's open 0.0010 is below its low 0.0015: refused as
    //  inconsistent, and reported.
    cr_assert_eq (s_frame_text (&fixture, 0, kline), VB_EINVAL);
    cr_assert_eq (core->anomalies, 1);
    char fixed[1024];
    snprintf (fixed, sizeof (fixed), "%s", kline);
    char *open = strstr (fixed, "\"o\":\"0.0010\"");
    memcpy (open, "\"o\":\"0.0016\"", 12);
    cr_assert_eq (s_frame_text (&fixture, 0, fixed), 0);
    cr_assert_eq (core->candle_count, 1);
    cr_assert (core->candles[0].closed);
    cr_assert_not (core->candles[0].backfilled);
    cr_assert_eq (core->candles[0].trades, 100);
    cr_assert_eq (core->candles[0].close_ts_ns, 1672515840000LL * 1000000);
    s_fixture_destroy (&fixture);
}

//  --------------------------------------------------------------------------
//  Hostile input: every frame below is refused (negative), reported, and
//  nothing is committed; then the real capture still syncs.

Test (binance_md, counts_hostile_frames_and_never_crashes)
{
    static const char *const symbols[] = {"BTC-USDT"};
    s_fixture_t fixture;
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    s_core_t *core = fixture.core;
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    static const char *const hostile[] = {
        "",
        "garbage",
        "\xff\xfe\x00",
        "{}",
        "[]",
        "null",
        "{\"stream\":1,\"data\":{}}",
        "{\"data\":{},\"stream\":\"btcusdt@trade\"}",
        "{\"stream\":\"btcusdt@trade\"}",
        "{\"stream\":\"dogeusdt@trade\",\"data\":{}}",
        "{\"stream\":\"btcusdt@ticker\",\"data\":{}}",
        "{\"stream\":\"btcusdt@kline_7m\",\"data\":{}}",
        "{\"stream\":\"btcusdt\",\"data\":{}}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{}} x",
        "{\"stream\":\"btcusdt@trade\",\"data\":{},\"extra\":1}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"ETHUSDT\",\"t\":1,"
        "\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":true}}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,"
        "\"p\":\"1e999\",\"q\":\"1\",\"T\":1,\"m\":true}}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,"
        "\"p\":\"99999999999999999999999\",\"q\":\"1\",\"T\":1,\"m\":true}}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,"
        "\"p\":\"-1\",\"q\":\"1\",\"T\":1,\"m\":true}}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,"
        "\"p\":\"1\",\"q\":\"1\",\"T\":99999999999999999,\"m\":true}}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,"
        "\"p\":\"1\",\"q\":\"1\",\"T\":1,\"m\":\"yes\"}}",
        "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"s\":\"BTCUSDT\",\"t\":1,"
        "\"p\":\"1\",\"q\":\"1\",\"T\":1}}",
        "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"NaN\","
        "\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}}",
        "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":-1,\"s\":\"BTCUSDT\",\"b\":\"1\","
        "\"B\":\"1\",\"a\":\"2\",\"A\":\"1\"}}",
        "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":"
        "\"BTCUSDT\",\"U\":10,\"u\":9,\"b\":[],\"a\":[]}}",
        "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":"
        "\"BTCUSDT\",\"U\":0,\"u\":0,\"b\":[],\"a\":[]}}",
        "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":"
        "\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[[\"1\"]],\"a\":[]}}",
        "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":"
        "\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[[\"1\",\"2\",\"3\"]],\"a\":[]}}",
        "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":"
        "\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[[\"0\",\"2\"]],\"a\":[]}}",
        "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":"
        "\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":[[\"1\",\"-2\"]],\"a\":[]}}",
        "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":"
        "\"BTCUSDT\",\"U\":1,\"u\":184467440737095516150,\"b\":[],\"a\":[]}}",
        "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1,\"s\":"
        "\"BTCUSDT\",\"U\":1,\"u\":2,\"b\":{},\"a\":[]}}",
        "{\"code\":\"x\"}",
        "{\"result\":null,\"id\":1,\"bogus\":2}",
    };
    size_t count = sizeof (hostile) / sizeof (hostile[0]);
    for (size_t index = 0; index < count; index++) {
        size_t before = core->anomalies;
        int rc = s_frame (&fixture, 0, hostile[index], strlen (hostile[index]));
        cr_assert_lt (rc, 0, "accepted: %s", hostile[index]);
        cr_assert_eq (core->anomalies, before + 1, "not reported: %s", hostile[index]);
    }
    cr_assert_eq (core->books[0].trades, 0);
    cr_assert_eq (core->books[0].ticker_count, 0);
    cr_assert_eq (core->request_count, 0);  //  No diff was good enough to buffer
    cr_assert_lt (fixture.md->ops->frame (fixture.md, 7, "{}", 2, 0), 0);  //  No such connection

    //  Every truncation of a real depth frame and of a real snapshot.
    const char *diff = "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":"
                       "1723161255408,\"s\":\"BTCUSDT\",\"U\":50093239208,\"u\":50093239224,\"b\":"
                       "[[\"61837.63000000\",\"3.78826000\"]],\"a\":[[\"61837.64000000\","
                       "\"1.60520000\"]]}}";
    for (size_t length = 0; length < strlen (diff); length++)
        cr_assert_lt (s_frame (&fixture, 0, diff, length), 0, "prefix %zu accepted", length);
    cr_assert_eq (s_frame_text (&fixture, 0, diff), 0);
    cr_assert_eq (core->request_count, 1);
    const char *snapshot =
        "{\"lastUpdateId\":50093239218,\"bids\":[[\"61837.63000000\",\"3.78826000\"]],"
        "\"asks\":[[\"61837.64000000\",\"1.60520000\"]]}";
    for (size_t length = 0; length < strlen (snapshot); length++) {
        cr_assert_lt (
            fixture.md->ops->rest_done (fixture.md, &core->requests[0], 200, snapshot, length), 0);
        cr_assert_eq (core->books[0].snapshots, 0);
        //  The refused snapshot is asked for again with the next diff.
    }
    //  A snapshot that crosses: the fake core refuses the commit, so the
    //  adapter restarts and the book is never synced.
    const char *crossed =
        "{\"lastUpdateId\":50093239218,\"bids\":[[\"70000.0\",\"1\"]],\"asks\":[[\"60000.0\","
        "\"1\"]]}";
    cr_assert_eq (
        fixture.md->ops->rest_done (fixture.md, &core->requests[0], 200, crossed, strlen (crossed)),
        VB_ECROSSED);
    cr_assert_eq (core->commit_errors, 1);

    //  Random bytes and randomly damaged real frames (fixed seed). The fake
    //  core asserts every commit continues the sequence, whatever arrives.
    unsigned seed = 12345;
    char buffer[1024];
    for (int round = 0; round < 20000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t length = (seed >> 16) % sizeof (buffer);
        if (round % 2) {
            for (size_t index = 0; index < length; index++) {
                seed = seed * 1103515245u + 12345u;
                buffer[index] = (char)(seed >> 16);
            }
        } else {
            length = strlen (diff);
            memcpy (buffer, diff, length);
            for (int flip = 0; flip < 3; flip++) {
                seed = seed * 1103515245u + 12345u;
                buffer[(seed >> 16) % length] = (char)(seed >> 8);
            }
        }
        (void)s_frame (&fixture, 0, buffer, length);
    }
    s_fixture_destroy (&fixture);

    //  The real capture with damaged lines: the fake core checks that every
    //  commit continues the sequence; breaks are reported, never applied.
    for (unsigned damage = 1; damage <= 8; damage++) {
        s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
        cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
        s_replay_hft_damaged (&fixture, 0, NULL, NULL, damage);
        cr_assert_gt (fixture.core->anomalies, 0);
        s_fixture_destroy (&fixture);
    }

    //  A fresh adapter still reproduces the capture (SOURCES.md §4).
    s_fixture_new (&fixture, symbols, 1, S_WS_URL, NULL);
    cr_assert_eq (fixture.md->ops->opened (fixture.md, 0), 0);
    s_replay_hft (&fixture, 0, NULL, NULL);
    cr_assert_eq (fixture.core->books[0].diffs, 198);
    cr_assert_eq (fixture.core->resync_count, 0);
    s_fixture_destroy (&fixture);
}
