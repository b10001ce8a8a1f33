/*  test_vb_journal.c — the router's order journal: ids, state table, fills, decimals,
    open errors, and integrity after SIGKILL at random points.

    Expected ids are computed by hand in base 36 beside each assertion; the
    state table is restated here from the issue and DESIGN.md (terminal states
    never move, UNKNOWN goes anywhere) rather than read from the class. The
    crash test forks a writer, kills it after a seeded number of acknowledged
    commits, and checks the reopened journal with SQLite directly.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <dirent.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <czmq.h>
#include <sqlite3.h>
#include "vb_decimal.h"
#include "vb_error.h"
#include "vb_journal.h"

#define ROUTER     7
#define T0         INT64_C (1700000000000000000)  //  A wall-clock ns value
#define PATH_SIZE  512
#define ROUNDS     8    //  Crash rounds
#define ACKS_MIN   5    //  Fewest acknowledged commits before a kill
#define ACKS_SPAN  120  //  Extra acknowledged commits, by seed
#define CHILD_LOOP 1000000

static char dir[PATH_SIZE / 2];
static char path[PATH_SIZE];

//  --------------------------------------------------------------------------
//  Make a fresh directory for the journal.

static void
s_setup (void)
{
    snprintf (dir, sizeof (dir), "/tmp/vb_journal_test_XXXXXX");
    cr_assert_not_null (mkdtemp (dir));
    snprintf (path, sizeof (path), "%s/journal.db", dir);
}

//  --------------------------------------------------------------------------
//  Remove the directory and everything in it (journal, -wal, -shm, extras).

static void
s_teardown (void)
{
    DIR *handle = opendir (dir);
    if (!handle)
        return;
    struct dirent *entry;
    while ((entry = readdir (handle))) {
        if (streq (entry->d_name, ".") || streq (entry->d_name, ".."))
            continue;
        char file[PATH_SIZE * 2];
        snprintf (file, sizeof (file), "%s/%s", dir, entry->d_name);
        unlink (file);
    }
    closedir (handle);
    rmdir (dir);
}

TestSuite (vb_journal, .init = s_setup, .fini = s_teardown);

//  --------------------------------------------------------------------------
//  Parse a decimal literal or fail the test.

static vb_decimal_t
s_dec (const char *text)
{
    vb_decimal_t value;
    cr_assert_eq (vb_decimal_parse (text, strlen (text), &value), 0, "parse %s", text);
    return value;
}

//  --------------------------------------------------------------------------
//  A valid limit order with the given tag.

static vb_journal_new_t
s_limit (const char *tag)
{
    vb_journal_new_t order = {
        .strategy = "mm1",
        .client_tag = tag,
        .account = "main",
        .venue = "binance",
        .symbol = "BTC-USDT",
        .side = VB_JOURNAL_SIDE_BUY,
        .type = VB_JOURNAL_TYPE_LIMIT,
        .tif = VB_JOURNAL_TIF_GTC,
        .post_only = true,
        .price = s_dec ("65000.10"),
        .qty = s_dec ("0.00100000"),
        .created_ns = T0,
    };
    return order;
}

//  --------------------------------------------------------------------------
//  Open the test journal or fail with its message.

static vb_journal_t *
s_open (void)
{
    char *error = NULL;
    vb_journal_t *journal = vb_journal_open (path, ROUTER, &error);
    cr_assert_not_null (journal, "open: %s", error ? error : "?");
    return journal;
}

//  --------------------------------------------------------------------------
//  Open expecting failure; returns the message (caller frees).

static char *
s_open_fails (const char *file, uint32_t router_id)
{
    char *error = NULL;
    vb_journal_t *journal = vb_journal_open (file, router_id, &error);
    cr_assert_null (journal, "open of %s should fail", file);
    cr_assert_not_null (error);
    return error;
}

Test (vb_journal, usage_example)
{
    vb_journal_t *journal = s_open ();

    //  Journal the order before sending anything to the venue.
    vb_journal_new_t order = s_limit ("quote-1");
    int64_t sequence = 0;
    char client_order_id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &order, &sequence, client_order_id), 0);
    //  First sequence of router 7: "vb" + "0007" + eleven zeros and "1".
    cr_assert_eq (sequence, 1);
    cr_assert_str_eq (client_order_id, "vb0007000000000001");

    //  The venue acknowledged it.
    vb_journal_update_t ack = {.venue_order_id = "28457", .ts_ns = T0 + 1000};
    cr_assert_eq (vb_journal_transition (journal, client_order_id, VB_JOURNAL_STATE_NEW, &ack), 0);

    //  A fill arrives, possibly twice (stream, then REST).
    vb_journal_fill_t fill = {.client_order_id = client_order_id,
                              .venue_trade_id = "56",
                              .price = s_dec ("65000.10"),
                              .qty = s_dec ("0.0004"),
                              .fee = s_dec ("0.026"),
                              .fee_asset = "USDT",
                              .ts_ns = T0 + 2000};
    cr_assert_eq (vb_journal_add_fill (journal, &fill), 1);
    cr_assert_eq (vb_journal_add_fill (journal, &fill), 0);
    vb_journal_update_t partial = {.ts_ns = T0 + 2000};
    cr_assert_eq (vb_journal_transition (journal, client_order_id,
                                         VB_JOURNAL_STATE_PARTIALLY_FILLED, &partial),
                  0);

    vb_journal_order_t stored;
    cr_assert_eq (vb_journal_lookup (journal, client_order_id, &stored), 0);
    cr_assert_eq (stored.state, VB_JOURNAL_STATE_PARTIALLY_FILLED);
    cr_assert_str_eq (stored.venue_order_id, "28457");
    //  0.00100000 ordered, 0.0004 filled once (the replay did not count).
    cr_assert_eq (vb_decimal_cmp (stored.filled_qty, s_dec ("0.0004")), 0);

    vb_journal_order_t by_tag;
    cr_assert_eq (vb_journal_lookup_tag (journal, "mm1", "quote-1", &by_tag), 0);
    cr_assert_eq (by_tag.sequence, 1);

    vb_journal_fill_row_t *fills = NULL;
    cr_assert_eq (vb_journal_select_fills (journal, client_order_id, &fills), 1);
    cr_assert_str_eq (fills[0].venue_trade_id, "56");
    free (fills);

    vb_journal_order_t *active = NULL;
    cr_assert_eq (vb_journal_select_active (journal, &active), 1);
    cr_assert_str_eq (active[0].client_order_id, client_order_id);
    free (active);
    vb_journal_destroy (&journal);
    vb_journal_destroy (&journal);
    cr_assert_null (journal);
}

Test (vb_journal, client_order_ids_follow_the_documented_layout)
{
    char id[VB_JOURNAL_ID_SIZE];
    //  Hand-computed base 36 (0-9 then a-z): 35 = "z", 36 = "10", 1296 = 36^2 = "100".
    cr_assert_eq (vb_journal_format_id (1, 1, id), 0);
    cr_assert_str_eq (id, "vb0001000000000001");
    cr_assert_eq (vb_journal_format_id (35, 35, id), 0);
    cr_assert_str_eq (id, "vb000z00000000000z");
    cr_assert_eq (vb_journal_format_id (36, 1296, id), 0);
    cr_assert_str_eq (id, "vb0010000000000100");
    cr_assert_eq (vb_journal_format_id (0, 1, id), 0);
    cr_assert_str_eq (id, "vb0000000000000001");
    //  The extremes: 36^4 - 1 and 36^12 - 1 are all "z".
    cr_assert_eq (vb_journal_format_id (1679615, INT64_C (4738381338321616895), id), 0);
    cr_assert_str_eq (id, "vbzzzzzzzzzzzzzzzz");
    cr_assert_eq (vb_journal_format_id (1679616, 1, id), VB_EINVAL);
    cr_assert_eq (vb_journal_format_id (1, 0, id), VB_EINVAL);
    cr_assert_eq (vb_journal_format_id (1, -5, id), VB_EINVAL);
    cr_assert_eq (vb_journal_format_id (1, INT64_C (4738381338321616896), id), VB_EINVAL);

    uint32_t router_id;
    int64_t sequence;
    cr_assert_eq (vb_journal_parse_id ("vb0010000000000100", &router_id, &sequence), 0);
    cr_assert_eq (router_id, 36);
    cr_assert_eq (sequence, 1296);
    const char *bad[] = {"",
                         "vb000100000000000",    //  17 characters
                         "vb00010000000000001",  //  19 characters
                         "xb0001000000000001",   //  wrong prefix
                         "vb0001000000000A01",   //  upper case is not ours
                         "vb0001000000000-01",   //  not base 36
                         "vb0001000000000000",   //  sequence 0
                         NULL};
    for (int index = 0; bad[index]; index++)
        cr_assert_eq (vb_journal_parse_id (bad[index], NULL, NULL), VB_EINVAL, "%s", bad[index]);
    cr_assert_eq (vb_journal_parse_id (NULL, NULL, NULL), VB_EINVAL);
}

Test (vb_journal, client_order_ids_are_unique_and_fit_every_venue)
{
    //  venues.md §6.2 formats: Binance FIX and Bybit [A-Za-z0-9_-]{1,36}, OKX
    //  alphanumeric 1-32, Kraken free text at most 18.
    const char *formats[] = {"^[a-zA-Z0-9_-]{1,36}$", "^[A-Za-z0-9]{1,32}$", "^[ -~]{1,18}$", NULL};
    regex_t regex[3];
    for (int index = 0; formats[index]; index++)
        cr_assert_eq (regcomp (&regex[index], formats[index], REG_EXTENDED | REG_NOSUB), 0);
    zhashx_t *seen = zhashx_new ();
    const uint32_t routers[] = {0, 1, 36, 1679615};
    const int64_t per_router = 20000;
    for (size_t r = 0; r < sizeof (routers) / sizeof (routers[0]); r++) {
        for (int64_t step = 0; step < per_router; step++) {
            //  Dense low sequences plus a spread reaching the top of the range.
            int64_t sequence = step % 2 ? step + 1 : VB_JOURNAL_SEQUENCE_MAX - step * 7919;
            char id[VB_JOURNAL_ID_SIZE];
            cr_assert_eq (vb_journal_format_id (routers[r], sequence, id), 0);
            cr_assert_eq (strlen (id), 18);
            for (int index = 0; formats[index]; index++)
                cr_assert_eq (regexec (&regex[index], id, 0, NULL, 0), 0, "%s vs %s", id,
                              formats[index]);
            uint32_t router_back;
            int64_t sequence_back;
            cr_assert_eq (vb_journal_parse_id (id, &router_back, &sequence_back), 0);
            cr_assert_eq (router_back, routers[r]);
            cr_assert_eq (sequence_back, sequence);
            cr_assert_eq (zhashx_insert (seen, id, (void *)1), 0, "duplicate id %s", id);
        }
    }
    cr_assert_eq (zhashx_size (seen), 4 * per_router);
    zhashx_destroy (&seen);
    for (int index = 0; formats[index]; index++)
        regfree (&regex[index]);
}

//  The state table, restated from the issue: terminal states never move;
//  UNKNOWN goes anywhere the venue says; a venue never rejects an order it
//  has accepted; a refused cancel returns the order to NEW or PARTIALLY_FILLED.
static const char *const s_expected_allowed[] = {"PENDING_NEW>NEW",
                                                 "PENDING_NEW>PARTIALLY_FILLED",
                                                 "PENDING_NEW>FILLED",
                                                 "PENDING_NEW>PENDING_CANCEL",
                                                 "PENDING_NEW>CANCELED",
                                                 "PENDING_NEW>REJECTED",
                                                 "PENDING_NEW>EXPIRED",
                                                 "PENDING_NEW>UNKNOWN",
                                                 "NEW>PARTIALLY_FILLED",
                                                 "NEW>FILLED",
                                                 "NEW>PENDING_CANCEL",
                                                 "NEW>CANCELED",
                                                 "NEW>EXPIRED",
                                                 "NEW>UNKNOWN",
                                                 "PARTIALLY_FILLED>PARTIALLY_FILLED",
                                                 "PARTIALLY_FILLED>FILLED",
                                                 "PARTIALLY_FILLED>PENDING_CANCEL",
                                                 "PARTIALLY_FILLED>CANCELED",
                                                 "PARTIALLY_FILLED>EXPIRED",
                                                 "PARTIALLY_FILLED>UNKNOWN",
                                                 "PENDING_CANCEL>NEW",
                                                 "PENDING_CANCEL>PARTIALLY_FILLED",
                                                 "PENDING_CANCEL>FILLED",
                                                 "PENDING_CANCEL>CANCELED",
                                                 "PENDING_CANCEL>EXPIRED",
                                                 "PENDING_CANCEL>UNKNOWN",
                                                 "UNKNOWN>PENDING_NEW",
                                                 "UNKNOWN>NEW",
                                                 "UNKNOWN>PARTIALLY_FILLED",
                                                 "UNKNOWN>FILLED",
                                                 "UNKNOWN>PENDING_CANCEL",
                                                 "UNKNOWN>CANCELED",
                                                 "UNKNOWN>REJECTED",
                                                 "UNKNOWN>EXPIRED",
                                                 "UNKNOWN>UNKNOWN",
                                                 NULL};

static const char *const s_names[VB_JOURNAL_STATE_COUNT] = {
    "UNSET",          "PENDING_NEW", "NEW",      "PARTIALLY_FILLED", "FILLED",
    "PENDING_CANCEL", "CANCELED",    "REJECTED", "EXPIRED",          "UNKNOWN"};

//  --------------------------------------------------------------------------
//  True when "from>to" is in the expected table.

static bool
s_expected (int from, int to)
{
    if (from < 0 || from >= VB_JOURNAL_STATE_COUNT || to < 0 || to >= VB_JOURNAL_STATE_COUNT)
        return false;
    char pair[64];
    snprintf (pair, sizeof (pair), "%s>%s", s_names[from], s_names[to]);
    for (int index = 0; s_expected_allowed[index]; index++)
        if (streq (s_expected_allowed[index], pair))
            return true;
    return false;
}

Test (vb_journal, state_table_allows_and_refuses_every_pair_as_specified)
{
    int allowed = 0;
    for (int from = -1; from <= VB_JOURNAL_STATE_COUNT; from++)
        for (int to = -1; to <= VB_JOURNAL_STATE_COUNT; to++) {
            bool result =
                vb_journal_transition_allowed ((vb_journal_state_t)from, (vb_journal_state_t)to);
            cr_assert_eq (result, s_expected (from, to), "%d -> %d", from, to);
            allowed += result;
        }
    cr_assert_eq (allowed, 35);
    for (int state = 1; state < VB_JOURNAL_STATE_COUNT; state++) {
        cr_assert_str_eq (vb_journal_state_name ((vb_journal_state_t)state), s_names[state]);
        bool terminal = state == 4 || state == 6 || state == 7 || state == 8;
        cr_assert_eq (vb_journal_state_terminal ((vb_journal_state_t)state), terminal);
    }
    cr_assert_str_eq (vb_journal_state_name ((vb_journal_state_t)42), "INVALID");
}

//  --------------------------------------------------------------------------
//  Two reads of one order are equal, field by field (not memcmp: struct
//  padding holds whatever the copies left there).

static void
s_expect_same_order (const vb_journal_order_t *a, const vb_journal_order_t *b)
{
    cr_assert_eq (a->sequence, b->sequence);
    cr_assert_str_eq (a->client_order_id, b->client_order_id);
    cr_assert_str_eq (a->strategy, b->strategy);
    cr_assert_str_eq (a->client_tag, b->client_tag);
    cr_assert_str_eq (a->account, b->account);
    cr_assert_str_eq (a->venue, b->venue);
    cr_assert_str_eq (a->symbol, b->symbol);
    cr_assert_eq (a->side, b->side);
    cr_assert_eq (a->type, b->type);
    cr_assert_eq (a->tif, b->tif);
    cr_assert_eq (a->post_only, b->post_only);
    cr_assert_eq (a->price.mantissa, b->price.mantissa);
    cr_assert_eq (a->price.exponent, b->price.exponent);
    cr_assert_eq (a->qty.mantissa, b->qty.mantissa);
    cr_assert_eq (a->qty.exponent, b->qty.exponent);
    cr_assert_eq (a->state, b->state);
    cr_assert_eq (a->filled_qty.mantissa, b->filled_qty.mantissa);
    cr_assert_eq (a->filled_qty.exponent, b->filled_qty.exponent);
    cr_assert_str_eq (a->venue_order_id, b->venue_order_id);
    cr_assert_eq (a->reject_reason, b->reject_reason);
    cr_assert_str_eq (a->venue_code, b->venue_code);
    cr_assert_str_eq (a->venue_text, b->venue_text);
    cr_assert_eq (a->created_ns, b->created_ns);
    cr_assert_eq (a->updated_ns, b->updated_ns);
    cr_assert_eq (a->state_ns, b->state_ns);
}

Test (vb_journal, hands_back_the_stored_order_without_a_second_read)
{
    vb_journal_t *journal = s_open ();
    vb_journal_order_t written, read;
    vb_journal_new_t order = s_limit ("r1");
    order.result = &written;
    char id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, id), 0);
    cr_assert_eq (vb_journal_lookup (journal, id, &read), 0);
    s_expect_same_order (&written, &read);
    cr_assert_eq (written.state, VB_JOURNAL_STATE_PENDING_NEW);
    //  A venue text longer than VB_JOURNAL_TEXT_MAX is cut the same way in
    //  the result and in the row.
    char text[VB_JOURNAL_TEXT_MAX + 40];
    memset (text, 'x', sizeof (text) - 1);
    text[sizeof (text) - 1] = '\0';
    vb_journal_update_t update = {.venue_order_id = "12345",
                                  .venue_code = "-2010",
                                  .venue_text = text,
                                  .reject_reason = 3,
                                  .ts_ns = T0 + 5,
                                  .lazy = true,
                                  .result = &written};
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_REJECTED, &update), 0);
    cr_assert_eq (vb_journal_lookup (journal, id, &read), 0);
    s_expect_same_order (&written, &read);
    cr_assert_eq (strlen (written.venue_text), VB_JOURNAL_TEXT_MAX);
    //  A refused transition leaves the result alone.
    memset (&written, 0, sizeof (written));
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_NEW, &update), VB_ESTATE);
    cr_assert_eq (written.sequence, 0);
    vb_journal_destroy (&journal);
}

Test (vb_journal, transitions_follow_the_state_table_and_refusals_change_nothing)
{
    vb_journal_t *journal = s_open ();
    int tag = 0;
    for (int from = 1; from < VB_JOURNAL_STATE_COUNT; from++) {
        for (int to = 0; to <= VB_JOURNAL_STATE_COUNT; to++) {
            //  Every state is reachable from PENDING_NEW in one step.
            char tag_text[32];
            snprintf (tag_text, sizeof (tag_text), "t%d", tag++);
            vb_journal_new_t order = s_limit (tag_text);
            char id[VB_JOURNAL_ID_SIZE];
            cr_assert_eq (vb_journal_record_new (journal, &order, NULL, id), 0);
            vb_journal_update_t first = {.ts_ns = T0 + 1};
            if (from != VB_JOURNAL_STATE_PENDING_NEW)
                cr_assert_eq (vb_journal_transition (journal, id, (vb_journal_state_t)from, &first),
                              0);
            vb_journal_order_t before, after;
            cr_assert_eq (vb_journal_lookup (journal, id, &before), 0);
            vb_journal_update_t update = {.venue_code = "X", .ts_ns = T0 + 2};
            int rc = vb_journal_transition (journal, id, (vb_journal_state_t)to, &update);
            cr_assert_eq (vb_journal_lookup (journal, id, &after), 0);
            if (s_expected (from, to)) {
                cr_assert_eq (rc, 0, "%s -> %s", s_names[from], s_names[to]);
                cr_assert_eq ((int)after.state, to);
                cr_assert_str_eq (after.venue_code, "X");
                cr_assert_eq (after.updated_ns, T0 + 2);
                //  The state clock restarts only when the state changes.
                cr_assert_eq (after.state_ns, from == to ? before.state_ns : T0 + 2);
            } else {
                cr_assert_eq (rc, VB_ESTATE, "%d -> %d gave %d", from, to, rc);
                s_expect_same_order (&before, &after);
            }
        }
    }
    vb_journal_update_t update = {.ts_ns = T0};
    cr_assert_eq (
        vb_journal_transition (journal, "vb0007zzzzzzzzzzzz", VB_JOURNAL_STATE_NEW, &update),
        VB_ENOTFOUND);
    cr_assert_eq (vb_journal_transition (journal, "vb0007000000000001", VB_JOURNAL_STATE_NEW, NULL),
                  VB_EINVAL);
    vb_journal_destroy (&journal);
}

Test (vb_journal, venue_order_id_is_set_once_and_venue_text_is_cut_at_a_character)
{
    vb_journal_t *journal = s_open ();
    vb_journal_new_t order = s_limit ("a");
    char id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, id), 0);
    vb_journal_update_t ack = {.venue_order_id = "OK4GJX-KSTLS-7DZZO5", .ts_ns = T0};
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_NEW, &ack), 0);
    vb_journal_update_t other = {.venue_order_id = "OTHER", .ts_ns = T0};
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_CANCELED, &other),
                  VB_EINVAL);
    //  255 ASCII bytes then a 2-byte "é": byte 256 is the lead byte, 257 its
    //  continuation, so keeping 256 bytes would split it; 255 are kept.
    char text[300];
    memset (text, 'a', 255);
    memcpy (text + 255, "\xc3\xa9zz", 5);
    vb_journal_update_t cancel = {.venue_text = text, .ts_ns = T0};
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_CANCELED, &cancel), 0);
    vb_journal_order_t stored;
    cr_assert_eq (vb_journal_lookup (journal, id, &stored), 0);
    cr_assert_eq (strlen (stored.venue_text), 255);
    cr_assert_str_eq (stored.venue_order_id, "OK4GJX-KSTLS-7DZZO5");
    vb_journal_destroy (&journal);
}

Test (vb_journal, a_replayed_fill_is_counted_once)
{
    vb_journal_t *journal = s_open ();
    vb_journal_new_t order = s_limit ("f");
    order.qty = s_dec ("1.0");
    char id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, id), 0);
    vb_journal_fill_t fill = {.client_order_id = id,
                              .venue_trade_id = "900",
                              .price = s_dec ("65000"),
                              .qty = s_dec ("0.25"),
                              .fee = s_dec ("0"),
                              .ts_ns = T0};
    cr_assert_eq (vb_journal_add_fill (journal, &fill), 1);
    for (int replay = 0; replay < 3; replay++)
        cr_assert_eq (vb_journal_add_fill (journal, &fill), 0);
    //  The same trade id at the same scale-free qty ("0.250") is still a replay.
    fill.qty = s_dec ("0.250");
    cr_assert_eq (vb_journal_add_fill (journal, &fill), 0);
    //  Same key, other facts: refused, and nothing changes.
    fill.qty = s_dec ("0.3");
    cr_assert_eq (vb_journal_add_fill (journal, &fill), VB_EEXIST);
    //  Overfill: 0.25 + 0.8 = 1.05 > 1.0.
    fill.venue_trade_id = "901";
    fill.qty = s_dec ("0.8");
    cr_assert_eq (vb_journal_add_fill (journal, &fill), VB_EINVAL);
    //  Exactly the rest: 0.25 + 0.75 = 1.0.
    fill.qty = s_dec ("0.75");
    cr_assert_eq (vb_journal_add_fill (journal, &fill), 1);
    vb_journal_order_t stored;
    cr_assert_eq (vb_journal_lookup (journal, id, &stored), 0);
    cr_assert_eq (stored.filled_qty.mantissa, 100);  //  1.00 at the common exponent -2
    cr_assert_eq (stored.filled_qty.exponent, -2);
    vb_journal_fill_row_t *fills = NULL;
    cr_assert_eq (vb_journal_select_fills (journal, id, &fills), 2);
    free (fills);

    //  A self-trade: the same trade id on the sell side of the same account is another fill.
    vb_journal_new_t sell = s_limit ("g");
    sell.side = VB_JOURNAL_SIDE_SELL;
    char sell_id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &sell, NULL, sell_id), 0);
    vb_journal_fill_t other = {.client_order_id = sell_id,
                               .venue_trade_id = "900",
                               .price = s_dec ("65000"),
                               .qty = s_dec ("0.001"),
                               .fee = s_dec ("0"),
                               .ts_ns = T0};
    cr_assert_eq (vb_journal_add_fill (journal, &other), 1);
    //  ...but trade id 900 on the buy side is known, with another order: refused.
    vb_journal_new_t buy = s_limit ("h");
    char buy_id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &buy, NULL, buy_id), 0);
    other.client_order_id = buy_id;
    cr_assert_eq (vb_journal_add_fill (journal, &other), VB_EEXIST);

    //  Bad fills.
    vb_journal_fill_t bad = fill;
    bad.venue_trade_id = "902";
    bad.qty = s_dec ("0");
    cr_assert_eq (vb_journal_add_fill (journal, &bad), VB_EINVAL);
    bad.qty = s_dec ("-0.1");
    cr_assert_eq (vb_journal_add_fill (journal, &bad), VB_EINVAL);
    bad.qty = s_dec ("0.1");
    bad.venue_trade_id = "";
    cr_assert_eq (vb_journal_add_fill (journal, &bad), VB_EINVAL);
    bad.venue_trade_id = "903";
    bad.client_order_id = "vb0007zzzzzzzzzzzz";
    cr_assert_eq (vb_journal_add_fill (journal, &bad), VB_ENOTFOUND);
    cr_assert_eq (vb_journal_add_fill (journal, NULL), VB_EINVAL);
    vb_journal_destroy (&journal);
}

Test (vb_journal, decimals_keep_their_exact_scale)
{
    vb_journal_t *journal = s_open ();
    vb_journal_new_t order = s_limit ("d");
    order.price = s_dec ("0.00012300");
    order.qty = s_dec ("123456789.12345678");
    char id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, id), 0);
    vb_journal_destroy (&journal);
    journal = s_open ();
    vb_journal_order_t stored;
    cr_assert_eq (vb_journal_lookup (journal, id, &stored), 0);
    //  "0.00012300" is 12300 x 10^-8: the trailing zeros are kept.
    cr_assert_eq (stored.price.mantissa, 12300);
    cr_assert_eq (stored.price.exponent, -8);
    char text[VB_DECIMAL_TEXT_MAX];
    cr_assert_gt (vb_decimal_format (stored.price, text, sizeof (text)), 0);
    cr_assert_str_eq (text, "0.00012300");
    cr_assert_gt (vb_decimal_format (stored.qty, text, sizeof (text)), 0);
    cr_assert_str_eq (text, "123456789.12345678");
    //  Fills at mixed scales sum exactly: 0.1 + 0.02 + 0.003 = 0.123. The
    //  filled qty starts as zero at the qty's exponent (-8), the smallest seen,
    //  so the sum is 12300000 x 10^-8.
    const char *parts[] = {"0.1", "0.02", "0.003"};
    for (int index = 0; index < 3; index++) {
        char trade[16];
        snprintf (trade, sizeof (trade), "d%d", index);
        vb_journal_fill_t fill = {.client_order_id = id,
                                  .venue_trade_id = trade,
                                  .price = s_dec ("0.000123"),
                                  .qty = s_dec (parts[index]),
                                  .fee = s_dec ("-0.00000001"),
                                  .ts_ns = T0};
        cr_assert_eq (vb_journal_add_fill (journal, &fill), 1);
    }
    cr_assert_eq (vb_journal_lookup (journal, id, &stored), 0);
    cr_assert_eq (stored.filled_qty.mantissa, 12300000);
    cr_assert_eq (stored.filled_qty.exponent, -8);
    vb_journal_fill_row_t *fills = NULL;
    cr_assert_eq (vb_journal_select_fills (journal, id, &fills), 3);
    cr_assert_eq (fills[2].fee.mantissa, -1);
    cr_assert_eq (fills[2].fee.exponent, -8);
    cr_assert_eq (fills[1].qty.mantissa, 2);
    cr_assert_eq (fills[1].qty.exponent, -2);
    free (fills);
    vb_journal_destroy (&journal);
}

Test (vb_journal, new_orders_are_validated_and_tags_are_unique_per_strategy)
{
    vb_journal_t *journal = s_open ();
    vb_journal_new_t order = s_limit ("dup");
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, NULL), 0);
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, NULL), VB_EEXIST);
    order.strategy = "mm2";  //  Another strategy may use the same tag.
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, NULL), 0);
    order.client_tag = "";  //  No tag: never a duplicate.
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, NULL), 0);
    order.client_tag = NULL;
    int64_t sequence = 0;
    cr_assert_eq (vb_journal_record_new (journal, &order, &sequence, NULL), 0);
    //  The refused duplicate consumed no sequence that an id was derived from:
    //  sequences are 1, 2, 3, 4 for the four accepted orders (AUTOINCREMENT
    //  may skip after a rollback, never repeat).
    cr_assert_geq (sequence, 4);

    vb_journal_new_t bad;
    bad = s_limit ("b1"), bad.strategy = "";
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    bad = s_limit ("b2"), bad.account = NULL;
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    bad = s_limit ("b3"), bad.symbol = "BTC\nUSDT";
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    char long_name[VB_JOURNAL_NAME_MAX + 2];
    memset (long_name, 'x', sizeof (long_name) - 1);
    long_name[sizeof (long_name) - 1] = 0;
    bad = s_limit (long_name);
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    long_name[VB_JOURNAL_NAME_MAX] = 0;  //  Exactly the limit is fine.
    bad = s_limit (long_name);
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), 0);
    bad = s_limit ("b4"), bad.side = (vb_journal_side_t)3;
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    bad = s_limit ("b5"), bad.type = VB_JOURNAL_TYPE_UNSET;
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    bad = s_limit ("b6"), bad.tif = (vb_journal_tif_t)4;
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    bad = s_limit ("b7"), bad.qty = s_dec ("0");
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    bad = s_limit ("b8"), bad.price = s_dec ("-1");
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    bad = s_limit ("b9"), bad.type = VB_JOURNAL_TYPE_MARKET;  //  Still has a price.
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    bad.price = s_dec ("0");  //  Still post-only.
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    bad.post_only = false;
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), 0);
    bad = s_limit ("b10"), bad.qty.exponent = 1000;
    cr_assert_eq (vb_journal_record_new (journal, &bad, NULL, NULL), VB_EINVAL);
    cr_assert_eq (vb_journal_record_new (journal, NULL, NULL, NULL), VB_EINVAL);

    vb_journal_order_t found;
    cr_assert_eq (vb_journal_lookup_tag (journal, "mm1", "dup", &found), 0);
    cr_assert_eq (found.sequence, 1);
    cr_assert_eq (vb_journal_lookup_tag (journal, "mm1", "nope", &found), VB_ENOTFOUND);
    cr_assert_eq (vb_journal_lookup_tag (journal, "mm1", "", &found), VB_EINVAL);
    cr_assert_eq (vb_journal_lookup (journal, "not-an-id-and-far-too-long", &found), VB_EINVAL);
    cr_assert_eq (vb_journal_lookup (journal, "vb0007zzzzzzzzzzzz", &found), VB_ENOTFOUND);
    vb_journal_destroy (&journal);
}

Test (vb_journal, selects_active_orders_and_orders_long_unknown)
{
    vb_journal_t *journal = s_open ();
    const vb_journal_state_t states[] = {
        VB_JOURNAL_STATE_PENDING_NEW, VB_JOURNAL_STATE_NEW,      VB_JOURNAL_STATE_FILLED,
        VB_JOURNAL_STATE_UNKNOWN,     VB_JOURNAL_STATE_CANCELED, VB_JOURNAL_STATE_UNKNOWN,
        VB_JOURNAL_STATE_REJECTED,    VB_JOURNAL_STATE_EXPIRED,  VB_JOURNAL_STATE_PENDING_CANCEL};
    const int count = sizeof (states) / sizeof (states[0]);
    for (int index = 0; index < count; index++) {
        vb_journal_new_t order = s_limit (NULL);
        char id[VB_JOURNAL_ID_SIZE];
        cr_assert_eq (vb_journal_record_new (journal, &order, NULL, id), 0);
        //  Order index enters its state at T0 + index seconds.
        vb_journal_update_t update = {.ts_ns = T0 + index * INT64_C (1000000000)};
        if (states[index] != VB_JOURNAL_STATE_PENDING_NEW)
            cr_assert_eq (vb_journal_transition (journal, id, states[index], &update), 0);
    }
    vb_journal_order_t *orders = NULL;
    //  Non-terminal: indexes 0, 1, 3, 5, 8 (sequences 1, 2, 4, 6, 9).
    cr_assert_eq (vb_journal_select_active (journal, &orders), 5);
    const int64_t active[] = {1, 2, 4, 6, 9};
    for (int index = 0; index < 5; index++)
        cr_assert_eq (orders[index].sequence, active[index]);
    free (orders);
    //  UNKNOWN since T0 + 3 s (seq 4) and T0 + 5 s (seq 6). At T0 + 6 s, an
    //  age of 2 s selects only seq 4 (T0 + 3 <= T0 + 4); 1 s selects both.
    int64_t now = T0 + 6 * INT64_C (1000000000);
    cr_assert_eq (vb_journal_select_unknown (journal, now, INT64_C (2000000000), &orders), 1);
    cr_assert_eq (orders[0].sequence, 4);
    free (orders);
    cr_assert_eq (vb_journal_select_unknown (journal, now, INT64_C (1000000000), &orders), 2);
    free (orders);
    //  A further UNKNOWN -> UNKNOWN does not restart the age.
    char id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_format_id (ROUTER, 4, id), 0);
    vb_journal_update_t again = {.ts_ns = now};
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_UNKNOWN, &again), 0);
    cr_assert_eq (vb_journal_select_unknown (journal, now, INT64_C (2000000000), &orders), 1);
    free (orders);
    cr_assert_eq (vb_journal_select_unknown (journal, now, -1, &orders), VB_EINVAL);
    cr_assert_eq (vb_journal_select_unknown (journal, INT64_MIN, INT64_MAX, &orders), 0);
    cr_assert_null (orders);
    vb_journal_destroy (&journal);
}

Test (vb_journal, reopening_keeps_everything_and_sequences_continue)
{
    vb_journal_t *journal = s_open ();
    char first[VB_JOURNAL_ID_SIZE];
    vb_journal_new_t order = s_limit ("r1");
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, first), 0);
    vb_journal_destroy (&journal);
    journal = s_open ();
    vb_journal_order_t stored;
    cr_assert_eq (vb_journal_lookup (journal, first, &stored), 0);
    cr_assert_str_eq (stored.client_tag, "r1");
    cr_assert_eq (stored.state, VB_JOURNAL_STATE_PENDING_NEW);
    int64_t sequence;
    order = s_limit ("r2");
    cr_assert_eq (vb_journal_record_new (journal, &order, &sequence, NULL), 0);
    cr_assert_eq (sequence, 2);
    cr_assert_eq (vb_journal_router_id (journal), ROUTER);
    vb_journal_destroy (&journal);
}

Test (vb_journal, a_missing_directory_is_a_clear_error)
{
    char missing[PATH_SIZE + 32];
    snprintf (missing, sizeof (missing), "%s/no/such/dir/journal.db", dir);
    char *error = s_open_fails (missing, ROUTER);
    cr_assert_not_null (strstr (error, missing), "%s", error);
    cr_assert_not_null (strstr (error, "directory does not exist"), "%s", error);
    free (error);
    //  NULL error_p is allowed, and so are a bad path and router id.
    cr_assert_null (vb_journal_open (missing, ROUTER, NULL));
    error = s_open_fails ("", ROUTER);
    free (error);
    error = s_open_fails (path, VB_JOURNAL_ROUTER_ID_MAX + 1);
    cr_assert_not_null (strstr (error, "router id"), "%s", error);
    free (error);
}

Test (vb_journal, a_file_that_is_not_sqlite_is_a_clear_error)
{
    FILE *file = fopen (path, "w");
    cr_assert_not_null (file);
    for (int index = 0; index < 200; index++)
        fputs ("this is not a database, just text\n", file);
    fclose (file);
    char *error = s_open_fails (path, ROUTER);
    cr_assert_not_null (strstr (error, path), "%s", error);
    cr_assert_not_null (strstr (error, "not a SQLite database"), "%s", error);
    free (error);
}

Test (vb_journal, a_corrupted_journal_is_a_clear_error)
{
    vb_journal_t *journal = s_open ();
    for (int index = 0; index < 50; index++) {
        vb_journal_new_t order = s_limit (NULL);
        cr_assert_eq (vb_journal_record_new (journal, &order, NULL, NULL), 0);
    }
    vb_journal_destroy (&journal);
    //  Overwrite the SQLite header magic (the first 16 bytes).
    FILE *file = fopen (path, "r+b");
    cr_assert_not_null (file);
    fwrite ("garbage garbage!", 1, 16, file);
    fclose (file);
    char *error = s_open_fails (path, ROUTER);
    cr_assert_not_null (strstr (error, path), "%s", error);
    cr_assert_not_null (strstr (error, "not a SQLite database"), "%s", error);
    free (error);
}

//  --------------------------------------------------------------------------
//  Run SQL on the journal file with a plain SQLite connection.

static void
s_raw_exec (const char *sql)
{
    sqlite3 *db = NULL;
    cr_assert_eq (sqlite3_open (path, &db), SQLITE_OK);
    cr_assert_eq (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg (db));
    sqlite3_close (db);
}

Test (vb_journal, a_schema_from_the_future_is_refused)
{
    vb_journal_t *journal = s_open ();
    vb_journal_destroy (&journal);
    s_raw_exec ("PRAGMA user_version = 3");
    char *error = s_open_fails (path, ROUTER);
    cr_assert_not_null (strstr (error, path), "%s", error);
    cr_assert_not_null (strstr (error, "newer"), "%s", error);
    cr_assert_not_null (strstr (error, "version 3"), "%s", error);
    free (error);
}

Test (vb_journal, another_applications_database_and_another_router_are_refused)
{
    s_raw_exec ("CREATE TABLE customers (name TEXT)");
    char *error = s_open_fails (path, ROUTER);
    cr_assert_not_null (strstr (error, "not a venuebus journal"), "%s", error);
    free (error);
    unlink (path);

    vb_journal_t *journal = s_open ();
    vb_journal_destroy (&journal);
    error = s_open_fails (path, ROUTER + 1);
    cr_assert_not_null (strstr (error, "another router id"), "%s", error);
    free (error);
}

Test (vb_journal, a_journal_in_use_is_refused)
{
    vb_journal_t *journal = s_open ();
    char *error = s_open_fails (path, ROUTER);
    cr_assert_not_null (strstr (error, "in use"), "%s", error);
    free (error);
    vb_journal_destroy (&journal);
    journal = s_open ();
    vb_journal_destroy (&journal);
}

//  --------------------------------------------------------------------------
//  Crash test. The child writes one s_ack_t to the pipe after every commit.

typedef enum { S_ACK_ORDER = 1, S_ACK_TRANSITION = 2, S_ACK_FILL = 3 } s_ack_kind_t;

typedef struct {
    int32_t kind;      //  s_ack_kind_t
    int32_t state;     //  For S_ACK_TRANSITION: the new state
    int64_t sequence;  //  Order's sequence
    int64_t number;    //  For S_ACK_FILL: the fill's number within the order
} s_ack_t;

//  --------------------------------------------------------------------------
//  xorshift64: a deterministic generator from a seed.

static uint64_t
s_random (uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

//  --------------------------------------------------------------------------
//  Child helpers: write an ack, or die with a code the parent reports.

static void
s_ack (int fd, s_ack_kind_t kind, int64_t sequence, int state, int64_t number)
{
    s_ack_t ack = {(int32_t)kind, state, sequence, number};
    if (write (fd, &ack, sizeof (ack)) != (ssize_t)sizeof (ack))
        _exit (10);
}

static void
s_child_transition (vb_journal_t *journal, int fd, const char *id, int64_t sequence,
                    vb_journal_state_t state)
{
    vb_journal_update_t update = {.ts_ns = T0 + sequence};
    if (vb_journal_transition (journal, id, state, &update) != 0)
        _exit (11);
    s_ack (fd, S_ACK_TRANSITION, sequence, (int)state, 0);
}

//  --------------------------------------------------------------------------
//  The child: journal orders, transitions and fills forever, acking each commit.

static void
s_child (uint64_t seed, int fd)
{
    char *error = NULL;
    vb_journal_t *journal = vb_journal_open (path, ROUTER, &error);
    if (!journal)
        _exit (12);
    uint64_t rng = seed;
    for (int loop = 0; loop < CHILD_LOOP; loop++) {
        vb_journal_new_t order = s_limit (NULL);
        //  qty 1..9 thousandths; fills in whole thousandths.
        int64_t thousandths = 1 + (int64_t)(s_random (&rng) % 9);
        order.qty.mantissa = thousandths;
        order.qty.exponent = -3;
        int64_t sequence;
        char id[VB_JOURNAL_ID_SIZE];
        if (vb_journal_record_new (journal, &order, &sequence, id) != 0)
            _exit (13);
        s_ack (fd, S_ACK_ORDER, sequence, 0, 0);
        uint64_t fate = s_random (&rng) % 4;
        if (fate == 0)
            continue;  //  Left PENDING_NEW, as if killed before sending.
        s_child_transition (journal, fd, id, sequence, VB_JOURNAL_STATE_NEW);
        int64_t left = thousandths;
        int64_t number = 0;
        while (left > 0 && s_random (&rng) % 5) {
            int64_t part = 1 + (int64_t)(s_random (&rng) % (uint64_t)left);
            char trade[32];
            snprintf (trade, sizeof (trade), "T%" PRId64 "-%" PRId64, sequence, number);
            //  Alternate scales: 3 x 10^-3 or 30 x 10^-4.
            vb_decimal_t qty = {part, -3};
            if (number % 2) {
                qty.mantissa = part * 10;
                qty.exponent = -4;
            }
            vb_journal_fill_t fill = {.client_order_id = id,
                                      .venue_trade_id = trade,
                                      .price = order.price,
                                      .qty = qty,
                                      .fee = {0, 0},
                                      .ts_ns = T0 + sequence};
            if (vb_journal_add_fill (journal, &fill) != 1)
                _exit (14);
            s_ack (fd, S_ACK_FILL, sequence, 0, number);
            if (s_random (&rng) % 3 == 0 && vb_journal_add_fill (journal, &fill) != 0)
                _exit (15);  //  A replay must be a no-op.
            left -= part;
            number++;
            s_child_transition (journal, fd, id, sequence,
                                left ? VB_JOURNAL_STATE_PARTIALLY_FILLED : VB_JOURNAL_STATE_FILLED);
        }
        if (left > 0 && fate == 1) {
            s_child_transition (journal, fd, id, sequence, VB_JOURNAL_STATE_PENDING_CANCEL);
            s_child_transition (journal, fd, id, sequence, VB_JOURNAL_STATE_CANCELED);
        } else if (left > 0 && fate == 2)
            s_child_transition (journal, fd, id, sequence, VB_JOURNAL_STATE_UNKNOWN);
    }
    vb_journal_destroy (&journal);
    _exit (0);
}

//  --------------------------------------------------------------------------
//  Run one SQL query returning one integer on an open raw connection.

static int64_t
s_raw_int (sqlite3 *db, const char *sql)
{
    sqlite3_stmt *statement = NULL;
    cr_assert_eq (sqlite3_prepare_v2 (db, sql, -1, &statement, NULL), SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg (db));
    cr_assert_eq (sqlite3_step (statement), SQLITE_ROW, "%s", sql);
    int64_t value = sqlite3_column_int64 (statement, 0);
    sqlite3_finalize (statement);
    return value;
}

Test (vb_journal, survives_sigkill_at_random_points, .timeout = 240)
{
    int64_t last_max = 0;  //  Highest sequence journaled before this round
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t seed = UINT64_C (0x9e3779b97f4a7c15) * (uint64_t)(round + 1);
        uint64_t rng = seed ^ UINT64_C (0xabcdef);
        int kill_after = ACKS_MIN + (int)(s_random (&rng) % ACKS_SPAN);
        int fds[2];
        cr_assert_eq (pipe (fds), 0);
        pid_t pid = fork ();
        cr_assert_geq (pid, 0);
        if (pid == 0) {
            close (fds[0]);
            s_child (seed, fds[1]);
        }
        close (fds[1]);
        size_t capacity = 1024, count = 0;
        s_ack_t *acks = (s_ack_t *)malloc (capacity * sizeof (s_ack_t));
        cr_assert_not_null (acks);
        bool killed = false;
        s_ack_t ack;
        ssize_t got;
        //  Reads return whole acks: each write is one PIPE_BUF-atomic record.
        while ((got = read (fds[0], &ack, sizeof (ack))) == (ssize_t)sizeof (ack)) {
            if (count == capacity) {
                capacity *= 2;
                acks = (s_ack_t *)realloc (acks, capacity * sizeof (s_ack_t));
                cr_assert_not_null (acks);
            }
            acks[count++] = ack;
            if (!killed && (int)count >= kill_after) {
                cr_assert_eq (kill (pid, SIGKILL), 0);
                killed = true;
            }
        }
        cr_assert_eq (got, 0, "partial ack");
        close (fds[0]);
        int status = 0;
        cr_assert_eq (waitpid (pid, &status, 0), pid);
        cr_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL,
                   "round %d: child ended on its own (status 0x%x)", round, status);

        //  Reopen through the class: recovery, then the public views.
        vb_journal_t *journal = s_open ();
        vb_journal_order_t *active = NULL;
        cr_assert_geq (vb_journal_select_active (journal, &active), 0);
        free (active);
        for (size_t index = 0; index < count; index++) {
            char id[VB_JOURNAL_ID_SIZE];
            cr_assert_eq (vb_journal_format_id (ROUTER, acks[index].sequence, id), 0);
            vb_journal_order_t order;
            cr_assert_eq (vb_journal_lookup (journal, id, &order), 0, "round %d: lost order %s",
                          round, id);
            cr_assert_gt (acks[index].sequence, last_max, "round %d: sequence reused", round);
            if (acks[index].kind == S_ACK_FILL) {
                vb_journal_fill_row_t *fills = NULL;
                int fill_count = vb_journal_select_fills (journal, id, &fills);
                cr_assert_gt (fill_count, acks[index].number, "round %d: lost fill", round);
                free (fills);
            }
        }
        vb_journal_destroy (&journal);

        //  Then check the file itself with plain SQLite.
        sqlite3 *db = NULL;
        cr_assert_eq (sqlite3_open (path, &db), SQLITE_OK);
        sqlite3_stmt *statement = NULL;
        cr_assert_eq (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &statement, NULL),
                      SQLITE_OK);
        cr_assert_eq (sqlite3_step (statement), SQLITE_ROW);
        cr_assert_str_eq ((const char *)sqlite3_column_text (statement, 0), "ok");
        sqlite3_finalize (statement);
        cr_assert_eq (s_raw_int (db, "SELECT count(*) - count(DISTINCT sequence)"
                                     " - (SELECT count(*) - count(DISTINCT client_order_id)"
                                     " FROM orders) FROM orders"),
                      0, "duplicate sequences or ids");
        //  Every order's last history row is its state, and the first is PENDING_NEW.
        cr_assert_eq (s_raw_int (db, "SELECT count(*) FROM orders o WHERE o.state <>"
                                     " (SELECT to_state FROM transitions t WHERE t.sequence ="
                                     " o.sequence ORDER BY id DESC LIMIT 1)"),
                      0);
        cr_assert_eq (s_raw_int (db, "SELECT count(*) FROM orders o WHERE 1 <>"
                                     " (SELECT to_state FROM transitions t WHERE t.sequence ="
                                     " o.sequence ORDER BY id LIMIT 1)"),
                      0);
        for (size_t index = 0; index < count; index++) {
            if (acks[index].kind != S_ACK_TRANSITION)
                continue;
            char sql[256];
            snprintf (sql, sizeof (sql),
                      "SELECT count(*) FROM transitions WHERE sequence = %" PRId64
                      " AND to_state = %d",
                      acks[index].sequence, acks[index].state);
            cr_assert_geq (s_raw_int (db, sql), 1, "round %d: lost transition", round);
        }
        //  Every id is derived from its sequence, and every order's filled qty
        //  is the exact sum of its fills (summed here independently, in SQL,
        //  at exponent -4, since every fill is at -3 or -4).
        cr_assert_eq (sqlite3_prepare_v2 (db, "SELECT sequence, client_order_id FROM orders", -1,
                                          &statement, NULL),
                      SQLITE_OK);
        while (sqlite3_step (statement) == SQLITE_ROW) {
            char id[VB_JOURNAL_ID_SIZE];
            cr_assert_eq (vb_journal_format_id (ROUTER, sqlite3_column_int64 (statement, 0), id),
                          0);
            cr_assert_str_eq ((const char *)sqlite3_column_text (statement, 1), id);
        }
        sqlite3_finalize (statement);
        cr_assert_eq (
            s_raw_int (db,
                       "SELECT count(*) FROM orders o WHERE"
                       " o.filled_mantissa * (CASE o.filled_exponent WHEN -3 THEN 10 ELSE 1 END)"
                       " <> (SELECT coalesce (sum (f.qty_mantissa * (CASE f.qty_exponent"
                       " WHEN -3 THEN 10 ELSE 1 END)), 0) FROM fills f"
                       " WHERE f.sequence = o.sequence)"),
            0, "round %d: filled qty differs from the sum of fills", round);
        cr_assert_eq (s_raw_int (db, "SELECT count(*) FROM orders WHERE filled_exponent NOT IN"
                                     " (-3, -4)"),
                      0);
        last_max = s_raw_int (db, "SELECT coalesce (max (sequence), 0) FROM orders");
        sqlite3_close (db);
        free (acks);
    }
    cr_assert_gt (last_max, 0);
}

Test (vb_journal, orders_are_found_by_the_venues_own_id_within_an_account)
{
    vb_journal_t *journal = s_open ();
    vb_journal_new_t order = s_limit ("v1");
    char id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, id), 0);
    vb_journal_order_t found;
    //  No venue id yet: nothing matches, not even the empty string
    cr_assert_eq (vb_journal_lookup_venue_id (journal, "main", "", &found), VB_EINVAL);
    cr_assert_eq (vb_journal_lookup_venue_id (journal, "main", "8389765", &found), VB_ENOTFOUND);
    vb_journal_update_t ack = {.venue_order_id = "8389765", .ts_ns = T0};
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_NEW, &ack), 0);
    cr_assert_eq (vb_journal_lookup_venue_id (journal, "main", "8389765", &found), 0);
    cr_assert_str_eq (found.client_order_id, id);
    //  Venue ids are per account: another account's order is not this one
    cr_assert_eq (vb_journal_lookup_venue_id (journal, "other", "8389765", &found), VB_ENOTFOUND);
    vb_journal_destroy (&journal);
}

Test (vb_journal, a_version_1_journal_is_migrated_forward)
{
    vb_journal_t *journal = s_open ();
    vb_journal_new_t order = s_limit ("m1");
    char id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, id), 0);
    vb_journal_update_t ack = {.venue_order_id = "OABC-1", .ts_ns = T0};
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_NEW, &ack), 0);
    vb_journal_destroy (&journal);
    //  Back to what a version 1 build wrote
    s_raw_exec ("DROP INDEX orders_venue_id; PRAGMA user_version = 1");
    journal = s_open ();
    vb_journal_order_t found;
    cr_assert_eq (vb_journal_lookup_venue_id (journal, "main", "OABC-1", &found), 0);
    cr_assert_str_eq (found.client_order_id, id);
    vb_journal_destroy (&journal);
    sqlite3 *db = NULL;
    cr_assert_eq (sqlite3_open (path, &db), SQLITE_OK);
    sqlite3_stmt *statement = NULL;
    cr_assert_eq (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &statement, NULL), SQLITE_OK);
    cr_assert_eq (sqlite3_step (statement), SQLITE_ROW);
    cr_assert_eq (sqlite3_column_int (statement, 0), 2);
    sqlite3_finalize (statement);
    sqlite3_close (db);
}

//  A lazy transition is in the journal at once, for the next process too
//  (what survives a process crash); a refused one changes nothing.
Test (vb_journal, a_lazy_transition_is_kept_across_a_reopen)
{
    vb_journal_t *journal = s_open ();
    vb_journal_new_t order = s_limit ("lazy");
    char id[VB_JOURNAL_ID_SIZE];
    cr_assert_eq (vb_journal_record_new (journal, &order, NULL, id), 0);
    vb_journal_update_t ack = {.venue_order_id = "V-1", .ts_ns = T0, .lazy = true};
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_NEW, &ack), 0);
    vb_journal_destroy (&journal);
    journal = s_open ();
    vb_journal_order_t stored;
    cr_assert_eq (vb_journal_lookup (journal, id, &stored), 0);
    cr_assert_eq (stored.state, VB_JOURNAL_STATE_NEW);
    cr_assert_str_eq (stored.venue_order_id, "V-1");
    //  A refused lazy transition changes nothing either
    vb_journal_update_t bad = {.ts_ns = T0, .lazy = true};
    cr_assert_eq (vb_journal_transition (journal, id, VB_JOURNAL_STATE_PENDING_NEW, &bad),
                  VB_ESTATE);
    vb_journal_destroy (&journal);
}
