/*  test_ground_kraken.c — Kraken WS v1 books rebuilt from a real capture.

    Replays shared/fixtures/real/kraken/cryptofeed/KRAKEN.ws.50.0 (10 pairs,
    book depth 1000, about 30 s of 2021-04-17) through vb_json and vb_book,
    recomputes every checksum Kraken sent, and checks the final top of every
    book. The expected figures are those of SOURCES.md §2, derived there by
    an independent replay.

    v1 wire format, as read below:
    - "T: [channelID, {"as":[...],"bs":[...]}, "book-1000", "PAIR"]" is a
      snapshot (no checksum);
    - "T: [channelID, {"a":[...]} or {"b":[...]}, "book-1000", "PAIR"]" is an
      update; "T: [channelID, {"a":[...]}, {"b":[...]}, "book-1000", "PAIR"]"
      carries both sides in two objects; "c" (the CRC32 as a decimal string)
      sits in the last of them;
    - a level is ["price", "volume", "timestamp"], with an optional 4th
      element "r" (a republished level); volume 0 deletes the level;
    - "T: {...}" lines are events (systemStatus, subscriptionStatus,
      heartbeat), "wss://..." lines are the capture's connection records, and
      the file ends with blank lines.
    After each update: apply all levels, truncate each side to the depth,
    then compare the checksum.
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

#define S_CAPTURE VB_SHARED_DIR "/fixtures/real/kraken/cryptofeed/KRAKEN.ws.50.0"
//  The subscribed depth; the book cap leaves room above it, because Kraken
//  truncates after the whole message, not after each level.
#define S_DEPTH     1000
#define S_BOOK_CAP  (2 * S_DEPTH)
#define S_PAIRS_MAX 16
#define S_PAIR_MAX  16
//  Most levels one message carries (the snapshots have 1000 per side).
#define S_LEVELS_MAX 4096

typedef struct {
    int64_t channel;        //  Kraken's channelID
    char pair[S_PAIR_MAX];  //  "XBT/CHF"
    vb_book_t *book;        //  The rebuilt book
} s_pair_t;

typedef struct {
    vb_book_side_t side;  //  Side of the level
    vb_decimal_t price;   //  As sent
    vb_decimal_t qty;     //  As sent; zero deletes
} s_level_t;

typedef struct {
    s_pair_t pairs[S_PAIRS_MAX];     //  One per channel seen
    size_t pair_count;               //  Pairs in use
    s_level_t levels[S_LEVELS_MAX];  //  Levels of the message being read
    size_t level_count;              //  Levels read so far
    bool snapshot;                   //  The message is a snapshot
    bool has_checksum;               //  The message carries "c"
    uint32_t checksum;               //  Its value
    size_t checked;                  //  Checksums compared
    size_t matched;                  //  Checksums equal
    size_t snapshots;                //  Snapshots applied
} s_replay_t;

//  --------------------------------------------------------------------------
//  Read one level array ["price","volume","timestamp"(,"r")] into the replay.

static int
s_read_level (s_replay_t *replay, vb_json_val_t *level, vb_book_side_t side)
{
    vb_json_iter_t iter;
    vb_json_val_t element;
    int rc = vb_json_array_begin (level, &iter);
    if (rc)
        return rc;
    cr_assert_lt (replay->level_count, S_LEVELS_MAX);
    s_level_t *out = &replay->levels[replay->level_count];
    out->side = side;
    int index = 0;
    while ((rc = vb_json_array_next (&iter, &element)) == 1) {
        if (index == 0)
            rc = vb_json_decimal (&element, &out->price);
        else if (index == 1)
            rc = vb_json_decimal (&element, &out->qty);
        else {
            //  Timestamp, then the optional republish flag: strings.
            const char *text;
            size_t length;
            rc = vb_json_string (&element, &text, &length);
        }
        if (rc)
            return rc;
        index++;
    }
    if (rc < 0)
        return rc;
    if (index < 3 || index > 4)
        return VB_EINVAL;
    replay->level_count++;
    return 0;
}

//  --------------------------------------------------------------------------
//  Read one book object: "as"/"bs" (snapshot) or "a"/"b" (update), "c".

static int
s_read_book_object (s_replay_t *replay, vb_json_val_t *object)
{
    vb_json_iter_t fields;
    vb_json_val_t value;
    const char *key;
    size_t key_length;
    int rc = vb_json_object_begin (object, &fields);
    if (rc)
        return rc;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (key_length == 1 && key[0] == 'c') {
            const char *text;
            size_t length;
            vb_decimal_t checksum;
            rc = vb_json_string (&value, &text, &length);
            if (rc == 0)
                rc = vb_decimal_parse (text, length, &checksum);
            if (rc)
                return rc;
            cr_assert (checksum.exponent == 0 && checksum.mantissa >= 0 &&
                       checksum.mantissa <= UINT32_MAX);
            replay->has_checksum = true;
            replay->checksum = (uint32_t)checksum.mantissa;
            continue;
        }
        vb_book_side_t side;
        if (key[0] == 'a')
            side = VB_BOOK_ASK;
        else if (key[0] == 'b')
            side = VB_BOOK_BID;
        else
            return VB_EINVAL;
        if (key_length == 2 && key[1] == 's')
            replay->snapshot = true;
        else if (key_length != 1)
            return VB_EINVAL;
        vb_json_iter_t levels;
        vb_json_val_t level;
        rc = vb_json_array_begin (&value, &levels);
        while (rc == 0 && (rc = vb_json_array_next (&levels, &level)) == 1)
            rc = s_read_level (replay, &level, side);
        if (rc < 0)
            return rc;
    }
    return rc < 0 ? rc : 0;
}

//  --------------------------------------------------------------------------
//  The book for a channel, created on first sight.

static s_pair_t *
s_pair (s_replay_t *replay, int64_t channel)
{
    for (size_t index = 0; index < replay->pair_count; index++)
        if (replay->pairs[index].channel == channel)
            return &replay->pairs[index];
    cr_assert_lt (replay->pair_count, S_PAIRS_MAX);
    s_pair_t *pair = &replay->pairs[replay->pair_count++];
    pair->channel = channel;
    pair->book = vb_book_new (S_BOOK_CAP);
    cr_assert_not_null (pair->book);
    return pair;
}

//  --------------------------------------------------------------------------
//  Handle one received array message: read it whole, then apply it.

static void
s_handle_book_message (s_replay_t *replay, vb_json_val_t *root, size_t line_number)
{
    replay->level_count = 0;
    replay->snapshot = false;
    replay->has_checksum = false;
    vb_json_iter_t iter;
    vb_json_val_t element;
    cr_assert_eq (vb_json_array_begin (root, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &element), 1);
    int64_t channel;
    cr_assert_eq (vb_json_int64 (&element, &channel), 0, "line %zu: no channelID", line_number);
    const char *strings[2] = {NULL, NULL};
    size_t lengths[2] = {0, 0};
    size_t string_count = 0;
    int rc;
    while ((rc = vb_json_array_next (&iter, &element)) == 1) {
        vb_json_type_t type = vb_json_type (&element);
        if (type == VB_JSON_OBJECT) {
            cr_assert_eq (string_count, 0, "line %zu: object after the channel name", line_number);
            cr_assert_eq (s_read_book_object (replay, &element), 0, "line %zu: bad book object",
                          line_number);
        } else {
            cr_assert_eq (type, VB_JSON_STRING, "line %zu", line_number);
            cr_assert_lt (string_count, 2, "line %zu", line_number);
            cr_assert_eq (vb_json_string (&element, &strings[string_count], &lengths[string_count]),
                          0);
            string_count++;
        }
    }
    cr_assert_eq (rc, 0, "line %zu: bad array", line_number);
    cr_assert_eq (string_count, 2, "line %zu: no channel name and pair", line_number);
    cr_assert (lengths[0] == strlen ("book-1000") && memcmp (strings[0], "book-1000", 9) == 0,
               "line %zu: not a book-1000 message", line_number);

    s_pair_t *pair = s_pair (replay, channel);
    cr_assert_lt (lengths[1], S_PAIR_MAX);
    memcpy (pair->pair, strings[1], lengths[1]);
    pair->pair[lengths[1]] = '\0';
    if (replay->snapshot) {
        cr_assert_not (replay->has_checksum, "line %zu: v1 snapshots carry no checksum",
                       line_number);
        vb_book_clear (pair->book);
        replay->snapshots++;
    }
    for (size_t index = 0; index < replay->level_count; index++) {
        s_level_t *level = &replay->levels[index];
        cr_assert_eq (vb_book_set (pair->book, level->side, level->price, level->qty), 0,
                      "line %zu: level %zu rejected", line_number, index);
    }
    vb_book_truncate (pair->book, S_DEPTH);
    if (replay->has_checksum) {
        replay->checked++;
        if (vb_book_checksum_kraken (pair->book) == replay->checksum)
            replay->matched++;
        cr_assert_not (vb_book_crossed (pair->book), "line %zu: %s crossed", line_number,
                       pair->pair);
    } else
        cr_assert (replay->snapshot, "line %zu: update without checksum", line_number);
}

//  --------------------------------------------------------------------------
//  Replay the whole capture.

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
            continue;  //  Trailing blank lines, connection records
        //  "T: payload": a received frame.
        char *payload = strstr (line, ": ");
        cr_assert_not_null (payload, "line %zu: no timestamp", line_number);
        payload += 2;
        if (*payload != '[')
            continue;  //  Events: systemStatus, subscriptionStatus, heartbeat
        vb_json_val_t root;
        cr_assert_eq (vb_json_parse (json, payload, strlen (payload), &root), 0,
                      "line %zu: bad JSON", line_number);
        s_handle_book_message (replay, &root, line_number);
    }
    free (line);
    vb_json_destroy (&json);
    fclose (file);
}

//  --------------------------------------------------------------------------
//  Assert the level text of a book's best level.

static void
s_expect_best (vb_book_t *book, vb_book_side_t side, const char *price, const char *qty,
               const char *pair)
{
    vb_decimal_t level_price, level_qty;
    cr_assert_eq (vb_book_best (book, side, &level_price, &level_qty), 0, "%s: empty side", pair);
    char text[VB_DECIMAL_TEXT_MAX];
    cr_assert_gt (vb_decimal_format (level_price, text, sizeof text), 0);
    cr_assert_str_eq (text, price, "%s best price", pair);
    cr_assert_gt (vb_decimal_format (level_qty, text, sizeof text), 0);
    cr_assert_str_eq (text, qty, "%s best qty", pair);
}

//  SOURCES.md §2: bid, bid qty, ask, ask qty, #bid levels, #ask levels.
static const struct {
    const char *pair, *bid, *bid_qty, *ask, *ask_qty;
    size_t bids, asks;
} s_final[] = {
    {"ADA/XBT", "0.000022880", "11947.13445094", "0.000022900", "7200.50427342", 707, 840},
    {"XBT/CHF", "56060.30000", "0.05804973", "56194.20000", "0.01700000", 500, 315},
    {"OMG/USD", "9.586075", "200.00000000", "9.604799", "200.00000000", 226, 298},
    {"OCEAN/XBT", "0.000027740", "606.11897000", "0.000027810", "606.16153000", 153, 248},
    {"ETH/CHF", "2183.69000", "3.00000000", "2190.17000", "0.31000000", 278, 148},
    {"SC/EUR", "0.043070", "5794.10440061", "0.043170", "20000.00000000", 847, 588},
    {"GRT/ETH", "0.000833500", "506.69981876", "0.000836200", "3304.00414043", 60, 73},
    {"KSM/XBT", "0.00756000", "0.21000000", "0.00756600", "2.18142427", 189, 243},
    {"XMR/USD", "353.64000000", "30.30000000", "354.48000000", "6.86050247", 657, 426},
    {"WAVES/EUR", "13.233000", "651.13730823", "13.258100", "29.25957971", 384, 272},
};

Test (ground_kraken, v1_book_checksums_and_final_tops_match_the_capture)
{
    s_replay_t *replay = calloc (1, sizeof (s_replay_t));
    cr_assert_not_null (replay);
    s_replay (replay);

    cr_assert_eq (replay->snapshots, 10);
    cr_assert_eq (replay->checked, 4269);
    cr_assert_eq (replay->matched, 4269, "%zu of %zu checksums match", replay->matched,
                  replay->checked);
    cr_assert_eq (replay->pair_count, 10);
    for (size_t index = 0; index < sizeof s_final / sizeof s_final[0]; index++) {
        s_pair_t *pair = NULL;
        for (size_t search = 0; search < replay->pair_count; search++)
            if (strcmp (replay->pairs[search].pair, s_final[index].pair) == 0)
                pair = &replay->pairs[search];
        cr_assert_not_null (pair, "no book for %s", s_final[index].pair);
        s_expect_best (pair->book, VB_BOOK_BID, s_final[index].bid, s_final[index].bid_qty,
                       pair->pair);
        s_expect_best (pair->book, VB_BOOK_ASK, s_final[index].ask, s_final[index].ask_qty,
                       pair->pair);
        cr_assert_eq (vb_book_count (pair->book, VB_BOOK_BID), s_final[index].bids, "%s bids",
                      pair->pair);
        cr_assert_eq (vb_book_count (pair->book, VB_BOOK_ASK), s_final[index].asks, "%s asks",
                      pair->pair);
    }
    for (size_t index = 0; index < replay->pair_count; index++)
        vb_book_destroy (&replay->pairs[index].book);
    free (replay);
}
