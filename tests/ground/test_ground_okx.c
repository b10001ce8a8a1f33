/*  test_ground_okx.c — OKX v5 books rebuilt from a real capture.

    Replays shared/fixtures/real/okx/cryptofeed/OKX.ws.1.0 (books channel,
    400 levels, three instruments, 2022-05-13) through vb_json and vb_book,
    recomputes all 290 checksums OKX sent, and checks the final tops. The
    expected figures are those of SOURCES.md §3.

    Wire format, as read below ("T: " then one JSON object per line):
        {"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot",
         "data":[{"asks":[["px","sz","0","orders"],...],"bids":[...],
                  "ts":"...","checksum":-123}]}
    A size of "0" deletes the level; "update" merges into the book.

    Also holds the trap SOURCES.md names: the OKX documentation's example
    book (BTC-USDT 8476.98) carries checksum -855196043, which does not match
    its own levels; a correct implementation gets -2102840145.
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

#define S_CAPTURE VB_SHARED_DIR "/fixtures/real/okx/cryptofeed/OKX.ws.1.0"
//  The books channel keeps 400 levels; OKX itself sends the deletes that
//  keep it there, so the cap only bounds memory and must never bite.
#define S_BOOK_CAP        4000
#define S_INSTRUMENTS_MAX 8
#define S_INSTRUMENT_MAX  32

typedef struct {
    char inst_id[S_INSTRUMENT_MAX];  //  "BTC-USDT"
    vb_book_t *book;                 //  The rebuilt book
} s_instrument_t;

typedef struct {
    s_instrument_t instruments[S_INSTRUMENTS_MAX];  //  One per instId seen
    size_t instrument_count;                        //  In use
    size_t snapshots;                               //  Snapshots applied
    size_t checked;                                 //  Checksums compared
    size_t matched;                                 //  Checksums equal
} s_replay_t;

//  --------------------------------------------------------------------------
//  True when a borrowed JSON string equals text.

static bool
s_equals (const char *string, size_t length, const char *text)
{
    return length == strlen (text) && memcmp (string, text, length) == 0;
}

//  --------------------------------------------------------------------------
//  The book for an instId, created on first sight.

static s_instrument_t *
s_instrument (s_replay_t *replay, const char *inst_id, size_t length)
{
    for (size_t index = 0; index < replay->instrument_count; index++)
        if (s_equals (inst_id, length, replay->instruments[index].inst_id))
            return &replay->instruments[index];
    cr_assert_lt (replay->instrument_count, S_INSTRUMENTS_MAX);
    cr_assert_lt (length, S_INSTRUMENT_MAX);
    s_instrument_t *instrument = &replay->instruments[replay->instrument_count++];
    memcpy (instrument->inst_id, inst_id, length);
    instrument->inst_id[length] = '\0';
    instrument->book = vb_book_new (S_BOOK_CAP);
    cr_assert_not_null (instrument->book);
    return instrument;
}

//  --------------------------------------------------------------------------
//  Apply one side's array of ["px","sz","liquidated","orders"] levels.

static int
s_apply_levels (vb_book_t *book, vb_book_side_t side, vb_json_val_t *levels)
{
    vb_json_iter_t iter;
    vb_json_val_t level;
    int rc = vb_json_array_begin (levels, &iter);
    while (rc == 0 && (rc = vb_json_array_next (&iter, &level)) == 1) {
        vb_json_iter_t fields;
        vb_json_val_t field;
        vb_decimal_t price = {0, 0}, qty = {0, 0};
        int index = 0;
        rc = vb_json_array_begin (&level, &fields);
        while (rc == 0 && (rc = vb_json_array_next (&fields, &field)) == 1) {
            if (index == 0)
                rc = vb_json_decimal (&field, &price);
            else if (index == 1)
                rc = vb_json_decimal (&field, &qty);
            else {
                const char *text;
                size_t length;
                rc = vb_json_string (&field, &text, &length);
            }
            if (rc == 0)
                index++;
        }
        if (rc == 0 && index != 4)
            rc = VB_EINVAL;
        if (rc == 0)
            rc = vb_book_set (book, side, price, qty);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Handle one books message: find its book, apply, check the checksum.

static void
s_handle_books (s_replay_t *replay, vb_json_val_t *root, size_t line_number)
{
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    s_instrument_t *instrument = NULL;
    bool snapshot = false, have_action = false;
    int rc = vb_json_object_begin (root, &fields);
    cr_assert_eq (rc, 0);
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (s_equals (key, key_length, "arg")) {
            vb_json_val_t field;
            const char *text;
            size_t length;
            cr_assert_eq (vb_json_find (&value, "channel", &field), 0);
            cr_assert_eq (vb_json_string (&field, &text, &length), 0);
            if (!s_equals (text, length, "books"))
                return;  //  tickers, trades
            cr_assert_eq (vb_json_find (&value, "instId", &field), 0);
            cr_assert_eq (vb_json_string (&field, &text, &length), 0);
            instrument = s_instrument (replay, text, length);
        } else if (s_equals (key, key_length, "action")) {
            const char *text;
            size_t length;
            cr_assert_eq (vb_json_string (&value, &text, &length), 0);
            snapshot = s_equals (text, length, "snapshot");
            cr_assert (snapshot || s_equals (text, length, "update"), "line %zu", line_number);
            have_action = true;
        } else if (s_equals (key, key_length, "data")) {
            cr_assert_not_null (instrument, "line %zu: data before arg", line_number);
            cr_assert (have_action, "line %zu: data before action", line_number);
            if (snapshot) {
                vb_book_clear (instrument->book);
                replay->snapshots++;
            }
            vb_json_iter_t items;
            vb_json_val_t item;
            cr_assert_eq (vb_json_array_begin (&value, &items), 0);
            while ((rc = vb_json_array_next (&items, &item)) == 1) {
                vb_json_iter_t item_fields;
                vb_json_val_t item_value;
                cr_assert_eq (vb_json_object_begin (&item, &item_fields), 0);
                while ((rc = vb_json_object_next (&item_fields, &key, &key_length, &item_value)) ==
                       1) {
                    if (s_equals (key, key_length, "asks"))
                        rc = s_apply_levels (instrument->book, VB_BOOK_ASK, &item_value);
                    else if (s_equals (key, key_length, "bids"))
                        rc = s_apply_levels (instrument->book, VB_BOOK_BID, &item_value);
                    else if (s_equals (key, key_length, "checksum")) {
                        //  Sent after the levels, so the book is complete here.
                        int64_t checksum;
                        rc = vb_json_int64 (&item_value, &checksum);
                        replay->checked++;
                        if (rc == 0 && checksum == vb_book_checksum_okx (instrument->book))
                            replay->matched++;
                    } else if (s_equals (key, key_length, "ts")) {
                        const char *text;
                        size_t length;
                        rc = vb_json_string (&item_value, &text, &length);
                    }
                    cr_assert_eq (rc, 0, "line %zu: bad field %.*s", line_number, (int)key_length,
                                  key);
                }
                cr_assert_eq (rc, 0, "line %zu", line_number);
            }
            cr_assert_eq (rc, 0, "line %zu", line_number);
            cr_assert_not (vb_book_crossed (instrument->book), "line %zu: %s crossed", line_number,
                           instrument->inst_id);
        }
    }
    cr_assert_eq (rc, 0, "line %zu", line_number);
}

//  --------------------------------------------------------------------------
//  Replay the whole capture: every received object with "action".

static void
s_replay (s_replay_t *replay)
{
    FILE *file = fopen (S_CAPTURE, "r");
    cr_assert_not_null (file, "cannot open %s", S_CAPTURE);
    vb_json_t *json = vb_json_new ();
    cr_assert_not_null (json);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    size_t line_number = 0;
    while ((length = getline (&line, &capacity, file)) >= 0) {
        line_number++;
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
            line[--length] = '\0';
        if (length == 0 || strncmp (line, "wss://", 6) == 0)
            continue;  //  Blank lines, connection records, sent frames
        char *payload = strstr (line, ": ");
        cr_assert_not_null (payload, "line %zu: no timestamp", line_number);
        payload += 2;
        if (!strstr (payload, "\"action\""))
            continue;  //  Subscribe acks
        vb_json_val_t root;
        cr_assert_eq (vb_json_parse (json, payload, strlen (payload), &root), 0,
                      "line %zu: bad JSON", line_number);
        s_handle_books (replay, &root, line_number);
    }
    free (line);
    vb_json_destroy (&json);
    fclose (file);
}

//  --------------------------------------------------------------------------
//  Assert the text of a book's best level.

static void
s_expect_best (vb_book_t *book, vb_book_side_t side, const char *price, const char *qty,
               const char *inst_id)
{
    vb_decimal_t level_price, level_qty;
    cr_assert_eq (vb_book_best (book, side, &level_price, &level_qty), 0, "%s: empty", inst_id);
    char text[VB_DECIMAL_TEXT_MAX];
    cr_assert_gt (vb_decimal_format (level_price, text, sizeof text), 0);
    cr_assert_str_eq (text, price, "%s best price", inst_id);
    cr_assert_gt (vb_decimal_format (level_qty, text, sizeof text), 0);
    cr_assert_str_eq (text, qty, "%s best qty", inst_id);
}

//  SOURCES.md §3: bid, qty, ask, qty, #bids, #asks.
static const struct {
    const char *inst_id, *bid, *bid_qty, *ask, *ask_qty;
    size_t bids, asks;
} s_final[] = {
    {"BTC-USD-220527", "30229.4", "2", "30238.8", "3", 74, 62},
    {"UNI-USD-SWAP", "5.137", "20", "5.145", "50", 125, 118},
    {"BTC-USDT", "30236.1", "0.18050747", "30236.2", "0.001", 400, 400},
};

Test (ground_okx, books_checksums_and_final_tops_match_the_capture)
{
    s_replay_t replay;
    memset (&replay, 0, sizeof replay);
    s_replay (&replay);
    cr_assert_eq (replay.snapshots, 3);
    cr_assert_eq (replay.checked, 290);
    cr_assert_eq (replay.matched, 290, "%zu of %zu checksums match", replay.matched,
                  replay.checked);
    cr_assert_eq (replay.instrument_count, 3);
    for (size_t index = 0; index < sizeof s_final / sizeof s_final[0]; index++) {
        s_instrument_t *instrument = NULL;
        for (size_t search = 0; search < replay.instrument_count; search++)
            if (strcmp (replay.instruments[search].inst_id, s_final[index].inst_id) == 0)
                instrument = &replay.instruments[search];
        cr_assert_not_null (instrument, "no book for %s", s_final[index].inst_id);
        s_expect_best (instrument->book, VB_BOOK_BID, s_final[index].bid, s_final[index].bid_qty,
                       instrument->inst_id);
        s_expect_best (instrument->book, VB_BOOK_ASK, s_final[index].ask, s_final[index].ask_qty,
                       instrument->inst_id);
        cr_assert_eq (vb_book_count (instrument->book, VB_BOOK_BID), s_final[index].bids);
        cr_assert_eq (vb_book_count (instrument->book, VB_BOOK_ASK), s_final[index].asks);
    }
    for (size_t index = 0; index < replay.instrument_count; index++)
        vb_book_destroy (&replay.instruments[index].book);
}

Test (ground_okx, docs_example_checksum_is_a_trap_that_must_not_match)
{
    //  The OKX v5 documentation's books snapshot example (also nautilus'
    //  ws_books_snapshot.json, not copied on purpose). SOURCES.md §3: its
    //  checksum -855196043 does not match its levels; recomputed -2102840145.
    static const char *asks[][2] = {{"8476.98", "415"}, {"8477", "7"},     {"8477.34", "85"},
                                    {"8477.56", "1"},   {"8505.84", "8"},  {"8506.37", "85"},
                                    {"8506.49", "2"},   {"8506.96", "100"}};
    static const char *bids[][2] = {{"8476.97", "256"}, {"8475.55", "101"}, {"8475.54", "100"},
                                    {"8475.3", "1"},    {"8447.32", "6"},   {"8447.02", "246"},
                                    {"8446.83", "24"},  {"8446", "95"}};
    vb_book_t *book = vb_book_new (400);
    for (size_t index = 0; index < 8; index++) {
        vb_decimal_t price, qty;
        cr_assert_eq (vb_decimal_parse (asks[index][0], strlen (asks[index][0]), &price), 0);
        cr_assert_eq (vb_decimal_parse (asks[index][1], strlen (asks[index][1]), &qty), 0);
        cr_assert_eq (vb_book_set (book, VB_BOOK_ASK, price, qty), 0);
        cr_assert_eq (vb_decimal_parse (bids[index][0], strlen (bids[index][0]), &price), 0);
        cr_assert_eq (vb_decimal_parse (bids[index][1], strlen (bids[index][1]), &qty), 0);
        cr_assert_eq (vb_book_set (book, VB_BOOK_BID, price, qty), 0);
    }
    cr_assert_neq (vb_book_checksum_okx (book), -855196043);
    cr_assert_eq (vb_book_checksum_okx (book), -2102840145);
    vb_book_destroy (&book);
}
