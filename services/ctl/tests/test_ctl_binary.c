/*  test_ctl_binary.c — the real venuebus-ctl against the real venuebus-bus:
    `books --json --duration 500` prints the book a publisher sent.

    The publisher is an XPUB socket connected to the bus frontend: the bus
    forwards ctl's subscription to it, so the test publishes only once ctl
    listens, with no sleep.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>

#include "ctl_test_msgs.h"
#include "vb_json.h"
#include "vbt_proc.h"

#define WAIT_MS      10000
#define TOPIC        "md.kraken.ETH-USD.book"
#define ENDPOINT_MAX 128

Test (ctl_binary, books_json_shows_what_the_bus_carried)
{
    char *bus_argv[] = {(char *)CTL_BUS_BIN,         (char *)"--frontend",
                        (char *)"tcp://127.0.0.1:*", (char *)"--backend",
                        (char *)"tcp://127.0.0.1:*", NULL};
    vbt_proc_t *bus = vbt_proc_start (CTL_BUS_BIN, bus_argv, NULL);
    cr_assert (bus);
    char line[512], frontend[ENDPOINT_MAX], backend[ENDPOINT_MAX];
    cr_assert_eq (vbt_proc_wait_line (bus, "ready", WAIT_MS, line, sizeof (line)), 0);
    cr_assert_eq (vbt_line_value (line, "frontend", frontend, sizeof (frontend)), 0);
    cr_assert_eq (vbt_line_value (line, "backend", backend, sizeof (backend)), 0);

    zsock_t *publisher = zsock_new (ZMQ_XPUB);
    cr_assert (publisher);
    cr_assert_eq (zsock_connect (publisher, "%s", frontend), 0);

    char *ctl_argv[] = {
        (char *)CTL_CTL_BIN, (char *)"books", (char *)"--json", (char *)"--duration",
        (char *)"500",       (char *)"--bus", backend,          NULL};
    vbt_proc_t *ctl = vbt_proc_start (CTL_CTL_BIN, ctl_argv, NULL);
    cr_assert (ctl);

    //  ctl's subscriptions reach the publisher through the bus.
    zpoller_t *poller = zpoller_new (publisher, NULL);
    cr_assert (zpoller_wait (poller, WAIT_MS) == publisher, "ctl never subscribed");
    zframe_t *subscription = zframe_recv (publisher);
    cr_assert (subscription && zframe_data (subscription)[0] == 1);
    zframe_destroy (&subscription);
    zpoller_destroy (&poller);

    //  seq 1 snapshot: bid 3000.25 x 1.5, ask 3000.50 x 2.0 (exponents -2, -1);
    //  seq 2 delta: bid 3000.30 x 0.7 becomes the best bid.
    int64_t bid_price[] = {300025}, bid_qty[] = {15};
    int64_t ask_price[] = {300050}, ask_qty[] = {20};
    s_msg_t msg;
    s_msg_book (&msg, true, "kraken", "ETH-USD", 1, -2, -1, bid_price, bid_qty, 1, ask_price,
                ask_qty, 1);
    cr_assert_eq (vb_msg_send (publisher, TOPIC, &msg.envelope, 0), 0);
    int64_t d_bid_price[] = {300030}, d_bid_qty[] = {7};
    s_msg_book (&msg, false, "kraken", "ETH-USD", 2, -2, -1, d_bid_price, d_bid_qty, 1, NULL, NULL,
                0);
    cr_assert_eq (vb_msg_send (publisher, TOPIC, &msg.envelope, 0), 0);

    cr_assert_eq (vbt_proc_wait_exit (ctl, WAIT_MS), 0, "stderr: %s", vbt_proc_stderr (ctl));
    const char *out = vbt_proc_stdout (ctl);
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, books, book, value;
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_parse (json, out, strlen (out), &root), 0, "%s", out);
    cr_assert_eq (vb_json_find (&root, "books", &books), 0, "%s", out);
    cr_assert_eq (vb_json_array_begin (&books, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &book), 1, "%s", out);
    //  Expected, by hand from the messages above.
    const char *keys[] = {"venue",   "symbol",    "state",  "bid_price",
                          "bid_qty", "ask_price", "ask_qty"};
    const char *expected[] = {"kraken", "ETH-USD", "synced", "3000.30", "0.7", "3000.50", "2.0"};
    for (size_t i = 0; i < sizeof (keys) / sizeof (keys[0]); i++) {
        const char *text;
        size_t length;
        cr_assert_eq (vb_json_find (&book, keys[i], &value), 0, "%s: %s", keys[i], out);
        cr_assert_eq (vb_json_string (&value, &text, &length), 0, "%s", keys[i]);
        cr_assert (length == strlen (expected[i]) && memcmp (text, expected[i], length) == 0,
                   "%s: %.*s in %s", keys[i], (int)length, text, out);
    }
    uint64_t number;
    cr_assert_eq (vb_json_find (&book, "bid_levels", &value), 0);
    cr_assert_eq (vb_json_uint64 (&value, &number), 0);
    cr_assert_eq (number, 2);
    cr_assert_eq (vb_json_find (&book, "last_seq", &value), 0);
    cr_assert_eq (vb_json_uint64 (&value, &number), 0);
    cr_assert_eq (number, 2);
    vb_json_destroy (&json);

    vbt_proc_stop (&ctl, WAIT_MS);
    zsock_destroy (&publisher);
    cr_assert_eq (vbt_proc_stop (&bus, WAIT_MS), 0);
}
