/*  test_ctl_report.c — ctl_report: JSON parses back (vb_json), plain text
    holds the rows, decimals are exact.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl_report.h"
#include "ctl_screen.h"
#include "ctl_test_msgs.h"
#include "vb_book.h"
#include "vb_json.h"

#define NOW_NS 1700000000000000000LL

//  A model with one book, one bucket, one open order with a fill, one
//  unhealthy service whose detail needs JSON escaping.
static ctl_model_t *
s_model (void)
{
    ctl_model_t *model = ctl_model_new ();
    vb_book_t *book = vb_book_new (10);
    vb_book_set (book, VB_BOOK_BID, s_dec ("0.00012300"), s_dec ("1500"));
    vb_book_set (book, VB_BOOK_ASK, s_dec ("0.00012400"), s_dec ("20.5"));
    s_msg_t msg;
    s_msg_book (&msg, true, "binance", "PEPE-USDT", 3, -8, 0, NULL, NULL, 0, NULL, NULL, 0);
    vb_sub_event_t event = {.type = VB_SUB_EVENT_BOOK,
                            .topic = "md.binance.PEPE-USDT.book",
                            .envelope = &msg.envelope,
                            .book = book,
                            .in_sync = true,
                            .seq = 3};
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    vb_book_destroy (&book);

    s_msg_rate_limit (&msg, 1, "binance.ip.weight_1m", 540, 1200, 450, 2);
    event = (vb_sub_event_t){
        .type = VB_SUB_EVENT_MESSAGE, .topic = "sys.router.ratelimit", .envelope = &msg.envelope};
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);

    s_msg_report (&msg, 1, "vb-7-1", VENUEBUS__ORDER_STATE__PARTIALLY_FILLED, "0.1", "65000.10",
                  "0.1", "t-1");
    event = (vb_sub_event_t){
        .type = VB_SUB_EVENT_MESSAGE, .topic = "ex.main.mm-1", .envelope = &msg.envelope};
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);

    s_msg_health (&msg, 1, false, "ban \"418\"\nuntil\tlater\x01");
    event = (vb_sub_event_t){.type = VB_SUB_EVENT_MESSAGE,
                             .topic = "sys.gateway-binance-0.health",
                             .envelope = &msg.envelope};
    cr_assert_eq (ctl_model_apply (model, &event, NOW_NS), 0);
    ctl_model_refresh (model, NOW_NS);
    return model;
}

//  Print a report into a string (caller frees).
static char *
s_print (ctl_report_t report, ctl_model_t *model, bool json)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    cr_assert (out);
    cr_assert_eq (ctl_report_print (report, model, out, json, 2000), 0);
    fclose (out);
    return text;
}

//  Find a string field of an object and compare it.
static void
s_expect_string (vb_json_val_t *object, const char *key, const char *expected)
{
    vb_json_val_t value;
    const char *text;
    size_t length;
    cr_assert_eq (vb_json_find (object, key, &value), 0, "key %s", key);
    cr_assert_eq (vb_json_string (&value, &text, &length), 0, "key %s", key);
    cr_assert_eq (length, strlen (expected), "key %s: %.*s", key, (int)length, text);
    cr_assert_eq (memcmp (text, expected, length), 0, "key %s: %.*s", key, (int)length, text);
}

//  Parse a document and return its first element of the array at key.
static void
s_first (vb_json_t *json, const char *text, const char *key, vb_json_val_t *root,
         vb_json_val_t *first)
{
    cr_assert_eq (vb_json_parse (json, text, strlen (text), root), 0, "%s", text);
    vb_json_val_t array;
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_find (root, key, &array), 0, "%s", text);
    cr_assert_eq (vb_json_array_begin (&array, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, first), 1, "%s", text);
}

//  The usage example: books as JSON, decimals as exact strings.
Test (ctl_report, prints_books_as_json_with_exact_decimals)
{
    ctl_model_t *model = s_model ();
    char *text = s_print (CTL_REPORT_BOOKS, model, true);
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, book, value;
    s_first (json, text, "books", &root, &book);
    s_expect_string (&book, "venue", "binance");
    s_expect_string (&book, "symbol", "PEPE-USDT");
    s_expect_string (&book, "state", "synced");
    s_expect_string (&book, "bid_price", "0.00012300");  //  The scale as sent
    s_expect_string (&book, "bid_qty", "1500");
    s_expect_string (&book, "ask_price", "0.00012400");
    s_expect_string (&book, "ask_qty", "20.5");
    uint64_t seq;
    cr_assert_eq (vb_json_find (&book, "last_seq", &value), 0);
    cr_assert_eq (vb_json_uint64 (&value, &seq), 0);
    cr_assert_eq (seq, 3);
    vb_json_destroy (&json);
    free (text);
    ctl_model_destroy (&model);
}

Test (ctl_report, escapes_strings_in_health_json)
{
    ctl_model_t *model = s_model ();
    char *text = s_print (CTL_REPORT_HEALTH, model, true);
    cr_assert (strstr (text, "\\\"418\\\"\\nuntil\\tlater\\u0001"), "%s", text);
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, service, value;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    bool healthy = true;
    cr_assert_eq (vb_json_find (&root, "healthy", &value), 0);
    cr_assert_eq (vb_json_bool (&value, &healthy), 0);
    cr_assert_not (healthy);
    s_first (json, text, "services", &root, &service);
    s_expect_string (&service, "service", "gateway-binance-0");
    s_expect_string (&service, "detail", "ban \"418\"\nuntil\tlater\x01");
    vb_json_destroy (&json);
    free (text);
    ctl_model_destroy (&model);
}

Test (ctl_report, prints_limits_and_orders_as_json)
{
    ctl_model_t *model = s_model ();
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, row, value;
    char *text = s_print (CTL_REPORT_LIMITS, model, true);
    s_first (json, text, "limits", &root, &row);
    s_expect_string (&row, "bucket", "binance.ip.weight_1m");
    uint64_t number;
    cr_assert_eq (vb_json_find (&row, "utilisation_permille", &value), 0);
    cr_assert_eq (vb_json_uint64 (&value, &number), 0);
    cr_assert_eq (number, 450);
    free (text);

    text = s_print (CTL_REPORT_ORDERS, model, true);
    s_first (json, text, "orders", &root, &row);
    s_expect_string (&row, "client_order_id", "vb-7-1");
    s_expect_string (&row, "state", "PARTIALLY_FILLED");
    s_expect_string (&row, "price", "65000.10");
    s_expect_string (&row, "filled_qty", "0.1");
    s_first (json, text, "fills", &root, &row);
    s_expect_string (&row, "trade_id", "t-1");
    s_expect_string (&row, "price", "65000.10");
    free (text);
    vb_json_destroy (&json);
    ctl_model_destroy (&model);
}

Test (ctl_report, prints_plain_tables_and_no_data)
{
    ctl_model_t *model = s_model ();
    char *text = s_print (CTL_REPORT_BOOKS, model, false);
    cr_assert (strstr (text, "VENUE") && strstr (text, "PEPE-USDT"), "%s", text);
    cr_assert (strstr (text, "0.00012300") && strstr (text, "0.00012400"), "%s", text);
    free (text);
    text = s_print (CTL_REPORT_LIMITS, model, false);
    cr_assert (strstr (text, "binance.ip.weight_1m") && strstr (text, "45.0"), "%s", text);
    free (text);
    text = s_print (CTL_REPORT_ORDERS, model, false);
    cr_assert (strstr (text, "open orders: 1") && strstr (text, "recent fills: 1"), "%s", text);
    free (text);
    text = s_print (CTL_REPORT_HEALTH, model, false);
    cr_assert (strncmp (text, "unhealthy: service gateway-binance-0", 36) == 0, "%s", text);
    free (text);
    ctl_model_destroy (&model);

    ctl_model_t *empty = ctl_model_new ();
    for (int report = CTL_REPORT_BOOKS; report <= CTL_REPORT_ORDERS; report++) {
        text = s_print ((ctl_report_t)report, empty, false);
        cr_assert_str_eq (text, "no data\n");
        free (text);
    }
    cr_assert_eq (ctl_report_print (CTL_REPORT_UNSET, empty, stdout, false, 0), -1);
    cr_assert_eq (ctl_report_from_name ("limits"), CTL_REPORT_LIMITS);
    cr_assert_eq (ctl_report_from_name ("watch"), CTL_REPORT_UNSET);
    ctl_model_destroy (&empty);
}

//  Collect the screen's lines into one text.
static void
s_collect (void *arg, int row, ctl_style_t style, const char *text)
{
    (void)style;
    char *screen = (char *)arg;
    char line[CTL_SCREEN_MAX_WIDTH + 16];
    snprintf (line, sizeof (line), "%02d|%s\n", row, text);
    strcat (screen, line);
}

Test (ctl_screen, lays_out_every_pane_within_the_screen)
{
    ctl_model_t *model = s_model ();
    static char screen[64 * (CTL_SCREEN_MAX_WIDTH + 16)];
    screen[0] = '\0';
    ctl_screen_info_t info = {.bus = "tcp://127.0.0.1:5556", .now_ns = NOW_NS, .status = "hi"};
    ctl_screen_render (model, &info, 132, 40, s_collect, screen);
    cr_assert (strstr (screen, "00|venuebus-ctl  bus=tcp://127.0.0.1:5556"), "%s", screen);
    cr_assert (strstr (screen, "rates/s:"), "%s", screen);
    cr_assert (strstr (screen, "PEPE-USDT") && strstr (screen, "0.00012300"), "%s", screen);
    cr_assert (strstr (screen, "RATE LIMITS (1)") && strstr (screen, "[#########..........."), "%s",
               screen);  //  450 permille of 20 cells: 9 filled
    cr_assert (strstr (screen, "OPEN ORDERS (1)") && strstr (screen, "RECENT FILLS (1)"), "%s",
               screen);
    cr_assert (strstr (screen, "HEALTH: unhealthy"), "%s", screen);
    cr_assert (strstr (screen, "39|hi\n"), "%s", screen);
    //  No line is wider than the screen.
    for (char *line = strtok (screen, "\n"); line; line = strtok (NULL, "\n"))
        cr_assert_leq (strlen (line), 3 + 132, "%s", line);

    screen[0] = '\0';
    ctl_screen_render (model, &info, 20, 5, s_collect, screen);
    //  "terminal too small (20x5)" cut to 20 columns.
    cr_assert_str_eq (screen, "00|terminal too small (\n");
    ctl_model_destroy (&model);
}
