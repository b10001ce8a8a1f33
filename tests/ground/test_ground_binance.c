/*  test_ground_binance.c — Binance spot book sync replayed from real captures.

    Two captures from shared/fixtures/real/binance/, read in place:
    - hftbacktest/spot/btcusdt_20240808.head.txt: BTCUSDT, "<ns> <json>" per
      line; the REST snapshot appears as a bare {"lastUpdateId":...} line at
      the moment its response arrived, AFTER the bridging diff, so diffs are
      buffered until the snapshot is in;
    - cryptofeed/BINANCE.http.0.0 (four REST snapshots, "url -> T: json")
      with cryptofeed/BINANCE.ws.1.0 (the combined stream, "T: json").
    The documented spot procedure (venues.md §1.3): buffer diffs; drop every
    diff with u <= lastUpdateId; the first applied diff must have
    U <= lastUpdateId + 1 <= u; each later one U == previous u + 1; qty 0
    deletes. Cross-check: each bookTicker whose u equals the u of an applied
    diff must show the book's best bid/ask and their quantities after that
    diff, as the same text. Every expected figure is from SOURCES.md §4.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vb_book.h"
#include "vb_decimal.h"
#include "vb_error.h"
#include "vb_json.h"

#define S_REAL        VB_SHARED_DIR "/fixtures/real/binance/"
#define S_HFT_CAPTURE S_REAL "hftbacktest/spot/btcusdt_20240808.head.txt"
#define S_CF_HTTP     S_REAL "cryptofeed/BINANCE.http.0.0"
#define S_CF_WS       S_REAL "cryptofeed/BINANCE.ws.1.0"
//  Binance spot snapshots hold at most 5000 levels per side.
#define S_BOOK_CAP    5000
#define S_SYMBOLS_MAX 8
#define S_SYMBOL_MAX  16
#define S_TEXT_MAX    VB_DECIMAL_TEXT_MAX
//  Diffs and tickers kept per symbol.
#define S_DIFFS_MAX   4096
#define S_TICKERS_MAX 4096
#define S_LEVELS_MAX  2048

typedef struct {
    char bid[S_TEXT_MAX], bid_qty[S_TEXT_MAX];  //  Best bid as text
    char ask[S_TEXT_MAX], ask_qty[S_TEXT_MAX];  //  Best ask as text
} s_top_t;

typedef struct {
    vb_book_side_t side;  //  Side of the level
    vb_decimal_t price;   //  As sent
    vb_decimal_t qty;     //  As sent; zero deletes
} s_level_t;

typedef struct {
    int64_t first;       //  U
    int64_t last;        //  u
    s_level_t *levels;   //  Levels in message order
    size_t level_count;  //  Levels
} s_diff_t;

typedef struct {
    int64_t update_id;  //  u of the ticker
    s_top_t top;        //  b, B, a, A
} s_ticker_t;

typedef struct {
    char name[S_SYMBOL_MAX];            //  "BTCUSDT"
    vb_book_t *book;                    //  The local book
    bool synced;                        //  The snapshot is in
    int64_t last_update_id;             //  u of the last applied diff (or lastUpdateId)
    int64_t snapshot_id;                //  lastUpdateId of the snapshot
    s_diff_t *buffered;                 //  Diffs received before the snapshot
    size_t buffered_count;              //  Buffered diffs
    int64_t bridge_first, bridge_last;  //  U and u of the bridging diff
    size_t applied, dropped, gaps;      //  Diff counters
    int64_t *applied_ids;               //  u of each applied diff
    s_top_t *applied_tops;              //  Top of book after each applied diff
    s_ticker_t *tickers;                //  Every bookTicker seen
    size_t ticker_count;                //  bookTickers seen
} s_symbol_t;

typedef struct {
    s_symbol_t symbols[S_SYMBOLS_MAX];  //  One per symbol seen
    size_t symbol_count;                //  In use
    vb_json_t *json;                    //  Reused parser
} s_replay_t;

//  --------------------------------------------------------------------------
//  True when a borrowed JSON key equals text.

static bool
s_equals (const char *string, size_t length, const char *text)
{
    return length == strlen (text) && memcmp (string, text, length) == 0;
}

//  --------------------------------------------------------------------------
//  The state for a symbol (upper case), created on first sight.

static s_symbol_t *
s_symbol (s_replay_t *replay, const char *name, size_t length)
{
    for (size_t index = 0; index < replay->symbol_count; index++)
        if (s_equals (name, length, replay->symbols[index].name))
            return &replay->symbols[index];
    cr_assert_lt (replay->symbol_count, S_SYMBOLS_MAX);
    cr_assert_lt (length, S_SYMBOL_MAX);
    s_symbol_t *symbol = &replay->symbols[replay->symbol_count++];
    memset (symbol, 0, sizeof *symbol);
    memcpy (symbol->name, name, length);
    symbol->book = vb_book_new (S_BOOK_CAP);
    symbol->buffered = calloc (S_DIFFS_MAX, sizeof (s_diff_t));
    symbol->applied_ids = calloc (S_DIFFS_MAX, sizeof (int64_t));
    symbol->applied_tops = calloc (S_DIFFS_MAX, sizeof (s_top_t));
    symbol->tickers = calloc (S_TICKERS_MAX, sizeof (s_ticker_t));
    cr_assert (symbol->book && symbol->buffered && symbol->applied_ids && symbol->applied_tops &&
               symbol->tickers);
    return symbol;
}

//  --------------------------------------------------------------------------
//  Free every symbol.

static void
s_replay_destroy (s_replay_t *replay)
{
    for (size_t index = 0; index < replay->symbol_count; index++) {
        s_symbol_t *symbol = &replay->symbols[index];
        for (size_t diff = 0; diff < symbol->buffered_count; diff++)
            free (symbol->buffered[diff].levels);
        free (symbol->buffered);
        free (symbol->applied_ids);
        free (symbol->applied_tops);
        free (symbol->tickers);
        vb_book_destroy (&symbol->book);
    }
    vb_json_destroy (&replay->json);
}

//  --------------------------------------------------------------------------
//  Read an array of ["price","qty"] pairs, appending to levels.

static int
s_read_levels (vb_json_val_t *array, vb_book_side_t side, s_level_t *levels, size_t *count)
{
    vb_json_iter_t iter;
    vb_json_val_t pair;
    int rc = vb_json_array_begin (array, &iter);
    while (rc == 0 && (rc = vb_json_array_next (&iter, &pair)) == 1) {
        cr_assert_lt (*count, S_LEVELS_MAX);
        s_level_t *level = &levels[*count];
        vb_json_iter_t fields;
        vb_json_val_t field;
        int index = 0;
        level->side = side;
        rc = vb_json_array_begin (&pair, &fields);
        while (rc == 0 && (rc = vb_json_array_next (&fields, &field)) == 1) {
            if (index == 0)
                rc = vb_json_decimal (&field, &level->price);
            else if (index == 1)
                rc = vb_json_decimal (&field, &level->qty);
            else
                rc = VB_EINVAL;
            index++;
        }
        if (rc == 0 && index != 2)
            rc = VB_EINVAL;
        if (rc == 0)
            (*count)++;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Format a decimal into text.

static void
s_text (vb_decimal_t value, char *text)
{
    cr_assert_gt (vb_decimal_format (value, text, S_TEXT_MAX), 0);
}

//  --------------------------------------------------------------------------
//  The book's top as text.

static void
s_book_top (vb_book_t *book, s_top_t *top)
{
    vb_decimal_t price, qty;
    cr_assert_eq (vb_book_best (book, VB_BOOK_BID, &price, &qty), 0);
    s_text (price, top->bid);
    s_text (qty, top->bid_qty);
    cr_assert_eq (vb_book_best (book, VB_BOOK_ASK, &price, &qty), 0);
    s_text (price, top->ask);
    s_text (qty, top->ask_qty);
}

//  --------------------------------------------------------------------------
//  Apply one diff to a synced book, following the spot procedure.

static void
s_apply_diff (s_symbol_t *symbol, const s_diff_t *diff)
{
    if (diff->last <= symbol->last_update_id) {
        symbol->dropped++;  //  Already in the snapshot (or a replayed diff)
        return;
    }
    if (symbol->applied == 0) {
        cr_assert (diff->first <= symbol->snapshot_id + 1 && symbol->snapshot_id + 1 <= diff->last,
                   "%s: first diff (%lld, %lld) does not bridge %lld", symbol->name,
                   (long long)diff->first, (long long)diff->last, (long long)symbol->snapshot_id);
        symbol->bridge_first = diff->first;
        symbol->bridge_last = diff->last;
    } else if (diff->first != symbol->last_update_id + 1) {
        symbol->gaps++;
        return;
    }
    for (size_t index = 0; index < diff->level_count; index++) {
        const s_level_t *level = &diff->levels[index];
        cr_assert_eq (vb_book_set (symbol->book, level->side, level->price, level->qty), 0);
    }
    cr_assert_not (vb_book_crossed (symbol->book), "%s crossed after u=%lld", symbol->name,
                   (long long)diff->last);
    cr_assert_lt (symbol->applied, S_DIFFS_MAX);
    symbol->applied_ids[symbol->applied] = diff->last;
    s_book_top (symbol->book, &symbol->applied_tops[symbol->applied]);
    symbol->applied++;
    symbol->last_update_id = diff->last;
}

//  --------------------------------------------------------------------------
//  Load a REST snapshot {"lastUpdateId":..,"bids":[..],"asks":[..]}, then
//  apply the diffs buffered before it.

static void
s_handle_snapshot (s_symbol_t *symbol, vb_json_val_t *root)
{
    static s_level_t levels[2 * S_BOOK_CAP];
    size_t count = 0;
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (root, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (s_equals (key, key_length, "lastUpdateId"))
            rc = vb_json_int64 (&value, &symbol->snapshot_id);
        else if (s_equals (key, key_length, "bids") || s_equals (key, key_length, "asks")) {
            vb_book_side_t side = key[0] == 'b' ? VB_BOOK_BID : VB_BOOK_ASK;
            size_t before = count;
            vb_json_iter_t iter;
            vb_json_val_t pair;
            rc = vb_json_array_begin (&value, &iter);
            while (rc == 0 && (rc = vb_json_array_next (&iter, &pair)) == 1) {
                vb_json_iter_t pair_fields;
                vb_json_val_t field;
                cr_assert_lt (count, 2 * S_BOOK_CAP);
                levels[count].side = side;
                rc = vb_json_array_begin (&pair, &pair_fields);
                if (rc == 0)
                    rc = vb_json_array_next (&pair_fields, &field) == 1
                             ? vb_json_decimal (&field, &levels[count].price)
                             : VB_EINVAL;
                if (rc == 0)
                    rc = vb_json_array_next (&pair_fields, &field) == 1
                             ? vb_json_decimal (&field, &levels[count].qty)
                             : VB_EINVAL;
                if (rc == 0 && vb_json_array_next (&pair_fields, &field) != 0)
                    rc = VB_EINVAL;
                count++;
            }
            cr_assert_gt (count, before, "%s: empty snapshot side", symbol->name);
        } else
            rc = 0;  //  Futures snapshots add "E" and "T"
    }
    cr_assert_eq (rc, 0, "%s: bad snapshot", symbol->name);
    cr_assert_gt (symbol->snapshot_id, 0);
    vb_book_clear (symbol->book);
    for (size_t index = 0; index < count; index++)
        cr_assert_eq (
            vb_book_set (symbol->book, levels[index].side, levels[index].price, levels[index].qty),
            0);
    symbol->synced = true;
    symbol->last_update_id = symbol->snapshot_id;
    for (size_t index = 0; index < symbol->buffered_count; index++) {
        s_apply_diff (symbol, &symbol->buffered[index]);
        free (symbol->buffered[index].levels);
    }
    symbol->buffered_count = 0;
}

//  --------------------------------------------------------------------------
//  Handle the "data" of a depthUpdate: buffer it or apply it.

static void
s_handle_depth (s_replay_t *replay, vb_json_val_t *data)
{
    s_diff_t diff = {0, 0, NULL, 0};
    diff.levels = calloc (S_LEVELS_MAX, sizeof (s_level_t));
    cr_assert_not_null (diff.levels);
    s_symbol_t *symbol = NULL;
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (data, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (s_equals (key, key_length, "s")) {
            const char *name;
            size_t length;
            rc = vb_json_string (&value, &name, &length);
            if (rc == 0)
                symbol = s_symbol (replay, name, length);
        } else if (s_equals (key, key_length, "U"))
            rc = vb_json_int64 (&value, &diff.first);
        else if (s_equals (key, key_length, "u"))
            rc = vb_json_int64 (&value, &diff.last);
        else if (s_equals (key, key_length, "b"))
            rc = s_read_levels (&value, VB_BOOK_BID, diff.levels, &diff.level_count);
        else if (s_equals (key, key_length, "a"))
            rc = s_read_levels (&value, VB_BOOK_ASK, diff.levels, &diff.level_count);
        else
            rc = 0;  //  "e", "E": not needed
    }
    cr_assert_eq (rc, 0, "bad depthUpdate");
    cr_assert_not_null (symbol);
    cr_assert (diff.first > 0 && diff.first <= diff.last);
    if (symbol->synced) {
        s_apply_diff (symbol, &diff);
        free (diff.levels);
    } else {
        cr_assert_lt (symbol->buffered_count, S_DIFFS_MAX);
        symbol->buffered[symbol->buffered_count++] = diff;
    }
}

//  --------------------------------------------------------------------------
//  Record a bookTicker {"u","s","b","B","a","A"} for the cross-check.

static void
s_handle_ticker (s_replay_t *replay, vb_json_val_t *data)
{
    s_ticker_t ticker;
    memset (&ticker, 0, sizeof ticker);
    s_symbol_t *symbol = NULL;
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (data, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (s_equals (key, key_length, "u")) {
            rc = vb_json_int64 (&value, &ticker.update_id);
            continue;
        }
        if (s_equals (key, key_length, "s")) {
            const char *name;
            size_t length;
            rc = vb_json_string (&value, &name, &length);
            if (rc == 0)
                symbol = s_symbol (replay, name, length);
            continue;
        }
        char *target = s_equals (key, key_length, "b")   ? ticker.top.bid
                       : s_equals (key, key_length, "B") ? ticker.top.bid_qty
                       : s_equals (key, key_length, "a") ? ticker.top.ask
                       : s_equals (key, key_length, "A") ? ticker.top.ask_qty
                                                         : NULL;
        cr_assert_not_null (target, "unexpected bookTicker field %.*s", (int)key_length, key);
        //  Through a decimal, so the text compared is exactly what the book
        //  would hold for the same venue string.
        vb_decimal_t decimal;
        rc = vb_json_decimal (&value, &decimal);
        if (rc == 0)
            s_text (decimal, target);
    }
    cr_assert_eq (rc, 0, "bad bookTicker");
    cr_assert_not_null (symbol);
    cr_assert_lt (symbol->ticker_count, S_TICKERS_MAX);
    symbol->tickers[symbol->ticker_count++] = ticker;
}

//  --------------------------------------------------------------------------
//  Handle one combined-stream frame {"stream":..,"data":{..}}.

static void
s_handle_stream (s_replay_t *replay, vb_json_val_t *root)
{
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    const char *stream = NULL;
    size_t stream_length = 0;
    int rc = vb_json_object_begin (root, &fields);
    while (rc == 0 && (rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (s_equals (key, key_length, "stream"))
            rc = vb_json_string (&value, &stream, &stream_length);
        else if (s_equals (key, key_length, "data")) {
            cr_assert_not_null (stream, "data before stream");
            const char *at = memchr (stream, '@', stream_length);
            cr_assert_not_null (at);
            size_t kind_length = stream_length - (size_t)(at + 1 - stream);
            if (kind_length >= 5 && memcmp (at + 1, "depth", 5) == 0)
                s_handle_depth (replay, &value);
            else if (s_equals (at + 1, kind_length, "bookTicker"))
                s_handle_ticker (replay, &value);
            return;  //  trade, aggTrade, kline: not used here
        }
    }
    cr_assert_eq (rc, 0, "bad stream frame");
}

//  --------------------------------------------------------------------------
//  Replay one capture file. Each line's JSON starts at its first '{'. A
//  REST body belongs to `default_symbol` unless the line names the symbol
//  in a "symbol=" query parameter (cryptofeed's http capture).

static void
s_replay_file (s_replay_t *replay, const char *path, const char *default_symbol)
{
    FILE *file = fopen (path, "r");
    cr_assert_not_null (file, "cannot open %s", path);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline (&line, &capacity, file)) >= 0) {
        if (strncmp (line, "wss://", 6) == 0)
            continue;  //  Connection records and sent frames
        char *payload = memchr (line, '{', (size_t)length);
        if (!payload)
            continue;  //  Blank lines
        vb_json_val_t root;
        cr_assert_eq (
            vb_json_parse (replay->json, payload, (size_t)(line + length - payload), &root), 0);
        if (strncmp (payload, "{\"lastUpdateId\"", 15) == 0) {
            const char *name = default_symbol;
            size_t name_length = name ? strlen (name) : 0;
            const char *query = strstr (line, "symbol=");
            if (query && query < payload) {
                name = query + strlen ("symbol=");
                name_length = strcspn (name, "&");
            }
            cr_assert_not_null (name, "snapshot without a symbol");
            s_handle_snapshot (s_symbol (replay, name, name_length), &root);
        } else
            s_handle_stream (replay, &root);
    }
    free (line);
    fclose (file);
}

//  --------------------------------------------------------------------------
//  Count bookTickers whose u is the u of an applied diff, and those that
//  show the book's top after that diff.

static void
s_cross_check (s_symbol_t *symbol, size_t *checked, size_t *matched)
{
    for (size_t index = 0; index < symbol->ticker_count; index++) {
        const s_ticker_t *ticker = &symbol->tickers[index];
        for (size_t diff = 0; diff < symbol->applied; diff++) {
            if (symbol->applied_ids[diff] != ticker->update_id)
                continue;
            const s_top_t *top = &symbol->applied_tops[diff];
            (*checked)++;
            if (strcmp (top->bid, ticker->top.bid) == 0 &&
                strcmp (top->bid_qty, ticker->top.bid_qty) == 0 &&
                strcmp (top->ask, ticker->top.ask) == 0 &&
                strcmp (top->ask_qty, ticker->top.ask_qty) == 0)
                (*matched)++;
        }
    }
}

//  --------------------------------------------------------------------------
//  Assert a symbol's final state.

static void
s_expect_final (s_symbol_t *symbol, int64_t last_u, const char *bid, const char *bid_qty,
                const char *ask, const char *ask_qty, size_t bids, size_t asks)
{
    cr_assert_eq (symbol->last_update_id, last_u, "%s last u", symbol->name);
    s_top_t top;
    s_book_top (symbol->book, &top);
    cr_assert_str_eq (top.bid, bid, "%s bid", symbol->name);
    cr_assert_str_eq (top.bid_qty, bid_qty, "%s bid qty", symbol->name);
    cr_assert_str_eq (top.ask, ask, "%s ask", symbol->name);
    cr_assert_str_eq (top.ask_qty, ask_qty, "%s ask qty", symbol->name);
    cr_assert_eq (vb_book_count (symbol->book, VB_BOOK_BID), bids, "%s bids", symbol->name);
    cr_assert_eq (vb_book_count (symbol->book, VB_BOOK_ASK), asks, "%s asks", symbol->name);
}

Test (ground_binance, spot_sync_with_snapshot_after_the_bridging_diff)
{
    s_replay_t replay;
    memset (&replay, 0, sizeof replay);
    replay.json = vb_json_new ();
    cr_assert_not_null (replay.json);
    s_replay_file (&replay, S_HFT_CAPTURE, "BTCUSDT");

    cr_assert_eq (replay.symbol_count, 1);
    s_symbol_t *symbol = &replay.symbols[0];
    cr_assert (symbol->synced);
    cr_assert_eq (symbol->snapshot_id, 50093239218);
    cr_assert_eq (symbol->bridge_first, 50093239208);
    cr_assert_eq (symbol->bridge_last, 50093239224);
    cr_assert_eq (symbol->applied, 198);
    cr_assert_eq (symbol->gaps, 0);
    size_t checked = 0, matched = 0;
    s_cross_check (symbol, &checked, &matched);
    cr_assert_eq (checked, 23);
    cr_assert_eq (matched, 23, "%zu of %zu bookTickers match", matched, checked);
    s_expect_final (symbol, 50093247780, "61828.09000000", "0.34217000", "61828.10000000",
                    "6.42937000", 1110, 1092);
    s_replay_destroy (&replay);
}

Test (ground_binance, spot_sync_of_four_symbols_in_one_cryptofeed_session)
{
    s_replay_t replay;
    memset (&replay, 0, sizeof replay);
    replay.json = vb_json_new ();
    cr_assert_not_null (replay.json);
    //  The REST snapshots first: every diff before them is buffered anyway,
    //  and the procedure does not depend on when the snapshot arrived.
    s_replay_file (&replay, S_CF_HTTP, NULL);
    s_replay_file (&replay, S_CF_WS, NULL);

    static const struct {
        const char *name;
        int64_t bridge_first, bridge_last;
        size_t dropped;
        int64_t last_u;
        const char *bid, *bid_qty, *ask, *ask_qty;
        size_t bids, asks;
    } expected[] = {
        {"NKNUSDT", 499869753, 499869754, 1, 499870179, "0.35270000", "9602.00000000", "0.35310000",
         "152.00000000", 614, 994},
        {"BLZETH", 281916628, 281916628, 1, 281916638, "0.00006547", "100.00000000", "0.00006560",
         "1528.00000000", 173, 999},
        {"LRCBTC", 259345544, 259345545, 2, 259345563, "0.00000637", "2500.00000000", "0.00000638",
         "2285.00000000", 176, 1000},
        {"RUNEEUR", 15602512, 15602513, 1, 15602513, "6.25100000", "69.30000000", "6.26900000",
         "69.30000000", 222, 468},
    };
    cr_assert_eq (replay.symbol_count, 4);
    size_t checked = 0, matched = 0;
    for (size_t index = 0; index < 4; index++) {
        s_symbol_t *symbol =
            s_symbol (&replay, expected[index].name, strlen (expected[index].name));
        cr_assert (symbol->synced, "%s never synced", symbol->name);
        cr_assert_eq (symbol->bridge_first, expected[index].bridge_first, "%s", symbol->name);
        cr_assert_eq (symbol->bridge_last, expected[index].bridge_last, "%s", symbol->name);
        cr_assert_eq (symbol->dropped, expected[index].dropped, "%s dropped", symbol->name);
        cr_assert_eq (symbol->gaps, 0, "%s gaps", symbol->name);
        s_cross_check (symbol, &checked, &matched);
        s_expect_final (symbol, expected[index].last_u, expected[index].bid,
                        expected[index].bid_qty, expected[index].ask, expected[index].ask_qty,
                        expected[index].bids, expected[index].asks);
    }
    cr_assert_eq (checked, 26);
    cr_assert_eq (matched, 26, "%zu of %zu bookTickers match", matched, checked);
    s_replay_destroy (&replay);
}
