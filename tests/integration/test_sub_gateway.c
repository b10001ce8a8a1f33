/*  test_sub_gateway.c — vb_sub against a real venuebus-gateway.

    venuebus-sim (binance), venuebus-bus and venuebus-gateway run on
    loopback. The subscriber joins late, once the gateway's book is already
    SYNCED and has published past seq 1, so its first book frame is a gap:
    vb_sub must ask the gateway's snapshot endpoint by itself, apply the
    stream after it, and hold a book equal to the sim's own REST depth at
    the same venue update id (lastUpdateId == the venue_seq the book is at).
    The expected book comes from the sim's REST answer, an independent path
    through the sim.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "vb_error.h"
#include "vb_json.h"
#include "vb_sub.h"
#include "vbt_http.h"
#include "vbt_proc.h"

#define WAIT_MS         15000  //  Start-up and recovery bounds
#define HTTP_MS         5000   //  One REST call to the sim
#define VERIFY_TRIES    60     //  REST snapshots tried before giving up
#define VERIFY_ROUND_MS 3000   //  Bus time given to reach one REST snapshot
#define ENDPOINT_MAX    256
#define LEVELS_MAX      1000
#define BOOK_TOPIC      "md.binance.BTC-USDT.book"

typedef struct {
    uint64_t update_id;  //  lastUpdateId
    vb_decimal_t bid_price[LEVELS_MAX], bid_qty[LEVELS_MAX];
    vb_decimal_t ask_price[LEVELS_MAX], ask_qty[LEVELS_MAX];
    size_t bids, asks;
} s_depth_t;

//  --------------------------------------------------------------------------
//  Read a REST level list [[price, qty], ...] into arrays.

static size_t
s_rest_levels (vb_json_val_t *array, vb_decimal_t *prices, vb_decimal_t *qtys, size_t max)
{
    vb_json_iter_t levels;
    cr_assert_eq (vb_json_array_begin (array, &levels), 0);
    vb_json_val_t level;
    size_t count = 0;
    while (vb_json_array_next (&levels, &level) == 1) {
        cr_assert_lt (count, max);
        vb_json_iter_t fields;
        vb_json_val_t field;
        cr_assert_eq (vb_json_array_begin (&level, &fields), 0);
        cr_assert_eq (vb_json_array_next (&fields, &field), 1);
        cr_assert_eq (vb_json_decimal (&field, &prices[count]), 0);
        cr_assert_eq (vb_json_array_next (&fields, &field), 1);
        cr_assert_eq (vb_json_decimal (&field, &qtys[count]), 0);
        count++;
    }
    return count;
}

//  --------------------------------------------------------------------------
//  The sim's REST depth of BTCUSDT.

static void
s_fetch_depth (vb_json_t *json, const char *sim_url, s_depth_t *depth)
{
    char url[512];
    snprintf (url, sizeof url, "http://%s/api/v3/depth?symbol=BTCUSDT&limit=100", sim_url);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "%s -> %ld %s", url, response.status, response.body);
    vb_json_val_t root, value;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    memset (depth, 0, sizeof (*depth));
    cr_assert_eq (vb_json_find (&root, "lastUpdateId", &value), 0);
    cr_assert_eq (vb_json_uint64 (&value, &depth->update_id), 0);
    cr_assert_eq (vb_json_find (&root, "bids", &value), 0);
    depth->bids = s_rest_levels (&value, depth->bid_price, depth->bid_qty, LEVELS_MAX);
    cr_assert_eq (vb_json_find (&root, "asks", &value), 0);
    depth->asks = s_rest_levels (&value, depth->ask_price, depth->ask_qty, LEVELS_MAX);
    vbt_http_response_free (&response);
    cr_assert_gt (depth->bids, 0);
    cr_assert_gt (depth->asks, 0);
}

//  --------------------------------------------------------------------------
//  True when the top levels of a side (as many as both have) are equal.

static bool
s_side_equal (vb_book_t *book, vb_book_side_t side, const vb_decimal_t *prices,
              const vb_decimal_t *qtys, size_t count)
{
    size_t levels = vb_book_count (book, side);
    if (levels == 0)
        return false;
    for (size_t i = 0; i < count && i < levels; i++) {
        vb_decimal_t price, qty;
        if (vb_book_level (book, side, i, &price, &qty) != 0 ||
            vb_decimal_cmp (price, prices[i]) != 0 || vb_decimal_cmp (qty, qtys[i]) != 0)
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Wait on the bus until the gateway has published its book at least
//  twice, so that a subscriber joining now starts with a gap.

static void
s_wait_book_published (const char *backend)
{
    zsock_t *watch = zsock_new (ZMQ_SUB);
    zsock_set_rcvtimeo (watch, WAIT_MS);
    cr_assert_eq (vb_msg_subscribe_exact (watch, BOOK_TOPIC), 0);
    cr_assert_eq (zsock_connect (watch, "%s", backend), 0);
    vb_msg_t *msg = vb_msg_new ();
    while (true) {
        cr_assert_eq (vb_msg_recv (msg, watch, 0), 0, "no book on the bus");
        if (vb_msg_envelope (msg)->header->seq >= 2)
            break;
    }
    vb_msg_destroy (&msg);
    zsock_destroy (&watch);
}

Test (sub_gateway, late_joiner_recovers_a_book_equal_to_the_sim, .timeout = 120)
{
    char line[1024], port[32], sim_url[ENDPOINT_MAX];
    char *sim_argv[] = {VB_SIM_BIN, "--venue", "binance", "--port", "0", "--seed", "7", NULL};
    vbt_proc_t *sim = vbt_proc_start (VB_SIM_BIN, sim_argv, NULL);
    cr_assert_not_null (sim);
    cr_assert_eq (vbt_proc_wait_line (sim, "ready ", WAIT_MS, line, sizeof line), 0,
                  "sim never said ready; stderr: %s", vbt_proc_stderr (sim));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    snprintf (sim_url, sizeof sim_url, "127.0.0.1:%s", port);

    char frontend[ENDPOINT_MAX], backend[ENDPOINT_MAX];
    char *bus_argv[] = {VB_BUS_BIN,  "--frontend",        "tcp://127.0.0.1:*",
                        "--backend", "tcp://127.0.0.1:*", NULL};
    vbt_proc_t *bus = vbt_proc_start (VB_BUS_BIN, bus_argv, NULL);
    cr_assert_not_null (bus);
    cr_assert_eq (vbt_proc_wait_line (bus, "ready ", WAIT_MS, line, sizeof line), 0,
                  "bus never said ready; stderr: %s", vbt_proc_stderr (bus));
    cr_assert_eq (vbt_line_value (line, "frontend", frontend, sizeof frontend), 0);
    cr_assert_eq (vbt_line_value (line, "backend", backend, sizeof backend), 0);

    char snapshot[ENDPOINT_MAX], rest_url[ENDPOINT_MAX + 16], ws_url[ENDPOINT_MAX + 16];
    snprintf (snapshot, sizeof snapshot, "ipc:///tmp/vbt-sub-gateway-%d.ipc", (int)getpid ());
    snprintf (rest_url, sizeof rest_url, "http://%s", sim_url);
    snprintf (ws_url, sizeof ws_url, "ws://%s", sim_url);
    char *gw_argv[] = {VB_GATEWAY_BIN, "--venue",  "binance",    "--symbols", "BTC-USDT",
                       "--bus",        frontend,   "--snapshot", snapshot,    "--rest-url",
                       rest_url,       "--ws-url", ws_url,       NULL};
    vbt_proc_t *gateway = vbt_proc_start (VB_GATEWAY_BIN, gw_argv, NULL);
    cr_assert_not_null (gateway);
    cr_assert_eq (vbt_proc_wait_line (gateway, "ready ", WAIT_MS, line, sizeof line), 0,
                  "gateway never said ready; stderr: %s", vbt_proc_stderr (gateway));
    s_wait_book_published (backend);

    //  Join late: the first book frame has seq > 1, a gap.
    vb_sub_t *sub = vb_sub_new (backend);
    cr_assert_not_null (sub);
    cr_assert_eq (vb_sub_add_gateway (sub, "binance", snapshot), 0);
    cr_assert_eq (vb_sub_subscribe (sub, BOOK_TOPIC), 0);

    static s_depth_t depth;
    vb_json_t *json = vb_json_new ();
    uint64_t venue_seq = 0;  //  Venue update id the book is at (0: unknown)
    bool verified = false;
    for (int attempt = 0; attempt < VERIFY_TRIES && !verified; attempt++) {
        s_fetch_depth (json, sim_url, &depth);
        int64_t deadline = zclock_mono () + VERIFY_ROUND_MS;
        while (!verified && zclock_mono () < deadline) {
            //  The book is at venue_seq between events: compare it with the
            //  REST depth when they are at the same update id.
            bool in_sync = false;
            vb_book_t *book = vb_sub_book (sub, BOOK_TOPIC, &in_sync);
            if (in_sync && venue_seq == depth.update_id) {
                cr_assert (
                    s_side_equal (book, VB_BOOK_BID, depth.bid_price, depth.bid_qty, depth.bids) &&
                        s_side_equal (book, VB_BOOK_ASK, depth.ask_price, depth.ask_qty,
                                      depth.asks),
                    "book in sync at update id %" PRIu64 " differs from the sim's depth",
                    venue_seq);
                verified = true;
                break;
            }
            if (in_sync && venue_seq > depth.update_id)
                break;  //  A diff spanned the REST snapshot: take another
            vb_sub_event_t event;
            int rc = vb_sub_recv (sub, 100, &event);
            if (rc == VB_EAGAIN)
                continue;
            cr_assert_eq (rc, 0);
            if (event.type != VB_SUB_EVENT_BOOK)
                continue;
            const Venuebus__Envelope *envelope = event.envelope;
            if (envelope->body_case == VENUEBUS__ENVELOPE__BODY_BOOK_DELTA)
                venue_seq = envelope->book_delta->venue_seq_last;
            else if (envelope->header->seq == event.seq)
                venue_seq = envelope->book_snapshot->venue_seq;
            else
                venue_seq = 0;  //  Snapshot plus buffered deltas: wait for the next
        }
    }
    cr_assert (verified, "the book never met the sim's REST depth");
    vb_sub_stats_t stats;
    vb_sub_stats (sub, &stats);
    cr_assert_geq (stats.gaps, 1, "the late join was not seen as a gap");
    cr_assert_geq (stats.recoveries, 1, "no recovery through the snapshot endpoint");
    cr_assert_eq (stats.bad_frames + stats.bad_books, 0);
    cr_assert_gt (vb_sub_latency_quantile_ns (sub, 500), 0);

    vb_json_destroy (&json);
    vb_sub_destroy (&sub);
    cr_expect_eq (vbt_proc_stop (&gateway, WAIT_MS), 0, "gateway did not stop cleanly");
    cr_expect_eq (vbt_proc_stop (&bus, WAIT_MS), 0);
    cr_expect_eq (vbt_proc_stop (&sim, WAIT_MS), 0);
}
