/*  test_gateway.c — the real venuebus-gateway between a real sim and a real bus.

    For Binance and for Kraken: venuebus-sim, venuebus-bus and
    venuebus-gateway run on loopback, and the test subscribes to the bus,
    decodes every frame with vb_msg and rebuilds each book from the
    gateway's BookSnapshot and BookDelta messages (taking a snapshot from
    the gateway's snapshot endpoint when it joined late or saw a gap, the
    Clone pattern). It checks:
    - every topic's Header.seq is gap-free;
    - each book reaches SYNCED, and the rebuilt book equals the sim's own
      REST depth: for Binance at the same venue update id (lastUpdateId ==
      the last BookDelta's venue_seq_last), for Kraken on the top 10 levels
      of each side (the levels Kraken's checksum covers);
    - after each fault injected through POST /_sim/faults (drop, gap,
      corrupt_checksum, disconnect) the status goes RESYNCING (or STALE)
      and back to SYNCED, and the book equals the sim's depth again;
    - a rebuilt book marked SYNCED is never crossed, and a Binance book at
      the REST snapshot's update id is never different from it.
    Expected books come from the sim's REST answers, an independent path
    through the sim (its engine's book, formatted by its REST personality).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <string.h>
#include <unistd.h>

#include "vb_book.h"
#include "vb_json.h"
#include "vb_msg.h"
#include "vbt_http.h"
#include "vbt_proc.h"

#define WAIT_MS         15000  //  Start-up and recovery bounds
#define PUMP_MS         100    //  One wait for a bus frame
#define HTTP_MS         5000   //  One REST call to the sim
#define VERIFY_TRIES    60     //  REST snapshots tried before giving up
#define VERIFY_ROUND_MS 3000   //  Bus time given to reach one REST snapshot
#define ENDPOINT_MAX    256
#define TOPICS_MAX      64
#define SYMBOLS_MAX     2
#define LEVELS_MAX      1000
#define KRAKEN_TOP      10  //  Levels per side Kraken's checksum covers
#define SUB_HWM         1000000

typedef struct {
    char topic[VB_TOPIC_MAX + 1];  //  A topic seen on the bus
    uint64_t seq;                  //  Its last Header.seq
} s_topic_seq_t;

typedef struct {
    const char *symbol;         //  Normalised, e.g. "BTC-USDT"
    const char *rest_symbol;    //  The venue's REST name, e.g. "BTCUSDT"
    vb_book_t *book;            //  Rebuilt from the bus
    bool have_book;             //  A snapshot was applied and no gap since
    uint64_t book_seq;          //  Header.seq of the last book message applied
    uint64_t venue_seq;         //  venue_seq of the last book message applied
    uint32_t depth;             //  BookSnapshot.depth
    Venuebus__BookState state;  //  From the last status
    uint64_t breaks;            //  RESYNCING or STALE statuses seen
    uint64_t rollovers;         //  ... of which for reason "rollover"
    uint64_t reconnects;        //  ... of which for reason "reconnect"
    uint64_t stales;            //  STALE statuses seen
} s_mirror_t;

typedef struct {
    const char *venue;
    vbt_proc_t *sim;
    vbt_proc_t *bus;
    vbt_proc_t *gateway;
    char sim_url[ENDPOINT_MAX];
    char frontend[ENDPOINT_MAX];
    char backend[ENDPOINT_MAX];
    char snapshot[ENDPOINT_MAX];
    zsock_t *sub;
    zsock_t *dealer;
    vb_msg_t *msg;
    vb_json_t *json;
    s_topic_seq_t topics[TOPICS_MAX];
    size_t topic_count;
    uint64_t seq_violations;   //  Topic sequence jumps or repeats
    uint64_t crossed_synced;   //  A SYNCED rebuilt book was crossed
    uint64_t snapshots_taken;  //  From the snapshot endpoint
    s_mirror_t mirrors[SYMBOLS_MAX];
    size_t mirror_count;
} s_world_t;

//  --------------------------------------------------------------------------
//  Start sim, bus, gateway and the test's subscriber.

#define EXTRA_MAX 8

//  Start everything; sim_extra and gateway_extra are NULL or NULL-terminated
//  lists of more arguments.
static void
s_world_start_with (s_world_t *self, const char *venue, const char *symbols,
                    const char *const *names, const char *const *rest_names, size_t count,
                    const char *const *sim_extra, const char *const *gateway_extra)
{
    memset (self, 0, sizeof (*self));
    self->venue = venue;
    char *sim_argv[8 + EXTRA_MAX] = {VB_SIM_BIN, "--venue", (char *)venue, "--port", "0",
                                     "--seed",   "7"};
    for (size_t i = 0; sim_extra && sim_extra[i] && i < EXTRA_MAX; i++)
        sim_argv[7 + i] = (char *)sim_extra[i];
    self->sim = vbt_proc_start (VB_SIM_BIN, sim_argv, NULL);
    cr_assert_not_null (self->sim);
    char line[1024], port[32];
    cr_assert_eq (vbt_proc_wait_line (self->sim, "ready ", WAIT_MS, line, sizeof line), 0,
                  "sim never said ready; stderr: %s", vbt_proc_stderr (self->sim));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    snprintf (self->sim_url, sizeof self->sim_url, "127.0.0.1:%s", port);

    char *bus_argv[] = {VB_BUS_BIN,  "--frontend",        "tcp://127.0.0.1:*",
                        "--backend", "tcp://127.0.0.1:*", NULL};
    self->bus = vbt_proc_start (VB_BUS_BIN, bus_argv, NULL);
    cr_assert_not_null (self->bus);
    cr_assert_eq (vbt_proc_wait_line (self->bus, "ready ", WAIT_MS, line, sizeof line), 0,
                  "bus never said ready; stderr: %s", vbt_proc_stderr (self->bus));
    cr_assert_eq (vbt_line_value (line, "frontend", self->frontend, sizeof self->frontend), 0);
    cr_assert_eq (vbt_line_value (line, "backend", self->backend, sizeof self->backend), 0);

    self->msg = vb_msg_new ();
    self->json = vb_json_new ();
    self->sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (self->sub, SUB_HWM);
    char prefix[64];
    snprintf (prefix, sizeof prefix, "md.%s.", venue);
    zsock_set_subscribe (self->sub, prefix);
    cr_assert_eq (zsock_connect (self->sub, "%s", self->backend), 0);

    for (size_t i = 0; i < count; i++) {
        self->mirrors[i].symbol = names[i];
        self->mirrors[i].rest_symbol = rest_names[i];
        self->mirrors[i].book = vb_book_new (2 * LEVELS_MAX);
    }
    self->mirror_count = count;

    snprintf (self->snapshot, sizeof self->snapshot, "ipc:///tmp/vbt-gateway-%d-%s.ipc",
              (int)getpid (), venue);
    char rest_url[ENDPOINT_MAX + 16], ws_url[ENDPOINT_MAX + 16];
    snprintf (rest_url, sizeof rest_url, "http://%s", self->sim_url);
    snprintf (ws_url, sizeof ws_url, "ws://%s", self->sim_url);
    char *gw_argv[16 + EXTRA_MAX] = {VB_GATEWAY_BIN,  "--venue",    (char *)venue,  "--symbols",
                                     (char *)symbols, "--bus",      self->frontend, "--snapshot",
                                     self->snapshot,  "--rest-url", rest_url,       "--ws-url",
                                     ws_url,          "--level",    "info"};
    for (size_t i = 0; gateway_extra && gateway_extra[i] && i < EXTRA_MAX; i++)
        gw_argv[15 + i] = (char *)gateway_extra[i];
    self->gateway = vbt_proc_start (VB_GATEWAY_BIN, gw_argv, NULL);
    cr_assert_not_null (self->gateway);
    cr_assert_eq (vbt_proc_wait_line (self->gateway, "ready ", WAIT_MS, line, sizeof line), 0,
                  "gateway never said ready; stderr: %s", vbt_proc_stderr (self->gateway));
    char expected[256];
    snprintf (expected, sizeof expected, "ready venue=%s symbols=%s", venue, symbols);
    cr_assert_str_eq (line, expected);

    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (self->dealer, WAIT_MS);
    zsock_set_sndtimeo (self->dealer, WAIT_MS);
    cr_assert_eq (zsock_connect (self->dealer, "%s", self->snapshot), 0);
}

static void
s_world_start (s_world_t *self, const char *venue, const char *symbols, const char *const *names,
               const char *const *rest_names, size_t count)
{
    s_world_start_with (self, venue, symbols, names, rest_names, count, NULL, NULL);
}

//  --------------------------------------------------------------------------
//  Stop everything; every process must exit 0 on SIGTERM.

static void
s_world_stop (s_world_t *self)
{
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->sub);
    cr_expect_eq (vbt_proc_stop (&self->gateway, WAIT_MS), 0, "gateway did not stop cleanly");
    cr_expect_eq (vbt_proc_stop (&self->bus, WAIT_MS), 0);
    cr_expect_eq (vbt_proc_stop (&self->sim, WAIT_MS), 0);
    for (size_t i = 0; i < self->mirror_count; i++)
        vb_book_destroy (&self->mirrors[i].book);
    vb_json_destroy (&self->json);
    vb_msg_destroy (&self->msg);
}

static s_mirror_t *
s_mirror (s_world_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->mirror_count; i++)
        if (strcmp (self->mirrors[i].symbol, symbol) == 0)
            return &self->mirrors[i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Apply packed levels (value = integer x 10^exponent) to one side.

static void
s_apply_side (vb_book_t *book, vb_book_side_t side, const int64_t *prices, const int64_t *qtys,
              size_t count, int32_t price_exponent, int32_t qty_exponent)
{
    for (size_t i = 0; i < count; i++) {
        vb_decimal_t price = {prices[i], price_exponent};
        vb_decimal_t qty = {qtys[i], qty_exponent};
        cr_assert_eq (vb_book_set (book, side, price, qty), 0, "bad level on the bus");
    }
}

static void
s_install_snapshot (s_mirror_t *mirror, const Venuebus__BookSnapshot *snapshot, uint64_t seq)
{
    cr_assert_eq (snapshot->n_bid_price, snapshot->n_bid_qty);
    cr_assert_eq (snapshot->n_ask_price, snapshot->n_ask_qty);
    vb_book_clear (mirror->book);
    s_apply_side (mirror->book, VB_BOOK_BID, snapshot->bid_price, snapshot->bid_qty,
                  snapshot->n_bid_price, snapshot->price_exponent, snapshot->qty_exponent);
    s_apply_side (mirror->book, VB_BOOK_ASK, snapshot->ask_price, snapshot->ask_qty,
                  snapshot->n_ask_price, snapshot->price_exponent, snapshot->qty_exponent);
    mirror->depth = snapshot->depth;
    mirror->venue_seq = snapshot->venue_seq;
    mirror->book_seq = seq;
    mirror->have_book = true;
}

//  --------------------------------------------------------------------------
//  Ask the gateway's snapshot endpoint for a book (Clone pattern).

static void
s_take_snapshot (s_world_t *self, s_mirror_t *mirror)
{
    char request[128];
    snprintf (request, sizeof request, "SNAPSHOT md.%s.%s.book", self->venue, mirror->symbol);
    cr_assert_eq (zstr_send (self->dealer, request), 0);
    zframe_t *reply = zframe_recv (self->dealer);
    cr_assert_not_null (reply, "no snapshot reply");
    if (zframe_size (reply) > 6 && memcmp (zframe_data (reply), "ERROR ", 6) == 0) {
        zframe_destroy (&reply);
        return;  //  Not synced right now: try again after the next status
    }
    cr_assert_eq (vb_msg_decode (self->msg, zframe_data (reply), zframe_size (reply)), 0);
    zframe_destroy (&reply);
    const Venuebus__Envelope *envelope = vb_msg_envelope (self->msg);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT);
    cr_assert_str_eq (envelope->header->symbol, mirror->symbol);
    //  Deltas with a larger seq follow on the bus; older ones are skipped.
    if (!mirror->have_book || envelope->header->seq > mirror->book_seq) {
        s_install_snapshot (mirror, envelope->book_snapshot, envelope->header->seq);
        self->snapshots_taken++;
    }
}

//  --------------------------------------------------------------------------
//  Check a topic's sequence: the first message seen may have any seq (we
//  may have joined late), every later one must be the previous + 1.

static void
s_check_seq (s_world_t *self, const char *topic, uint64_t seq)
{
    for (size_t i = 0; i < self->topic_count; i++)
        if (strcmp (self->topics[i].topic, topic) == 0) {
            if (seq != self->topics[i].seq + 1)
                self->seq_violations++;
            self->topics[i].seq = seq;
            return;
        }
    cr_assert_lt (self->topic_count, TOPICS_MAX);
    snprintf (self->topics[self->topic_count].topic, VB_TOPIC_MAX + 1, "%s", topic);
    self->topics[self->topic_count++].seq = seq;
}

//  --------------------------------------------------------------------------
//  Read and apply one bus frame; false when none came within timeout_ms.

static bool
s_pump (s_world_t *self, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (self->sub, NULL);
    void *which = zpoller_wait (poller, timeout_ms);
    zpoller_destroy (&poller);
    if (!which)
        return false;
    zframe_t *frame = zframe_recv (self->sub);
    cr_assert_not_null (frame);
    int rc = vb_msg_decode (self->msg, zframe_data (frame), zframe_size (frame));
    zframe_destroy (&frame);
    cr_assert_eq (rc, 0, "gateway published a frame vb_msg refuses: %d", rc);
    const Venuebus__Envelope *envelope = vb_msg_envelope (self->msg);
    const Venuebus__Header *header = envelope->header;
    cr_assert_str_eq (header->venue, self->venue);
    cr_assert_geq (header->seq, 1);
    cr_assert_gt (header->publish_ts_ns, 0);
    s_check_seq (self, vb_msg_topic (self->msg), header->seq);
    s_mirror_t *mirror = s_mirror (self, header->symbol);
    cr_assert_not_null (mirror, "unexpected symbol %s", header->symbol);
    switch (envelope->body_case) {
        case VENUEBUS__ENVELOPE__BODY_STATUS:
            if (envelope->status->book_state != VENUEBUS__BOOK_STATE__SYNCED &&
                envelope->status->book_state != mirror->state) {
                mirror->breaks++;
                if (strcmp (envelope->status->reason, "rollover") == 0)
                    mirror->rollovers++;
                if (strcmp (envelope->status->reason, "reconnect") == 0)
                    mirror->reconnects++;
                if (envelope->status->book_state == VENUEBUS__BOOK_STATE__STALE)
                    mirror->stales++;
            }
            mirror->state = envelope->status->book_state;
            break;
        case VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT:
            s_install_snapshot (mirror, envelope->book_snapshot, header->seq);
            break;
        case VENUEBUS__ENVELOPE__BODY_BOOK_DELTA: {
            const Venuebus__BookDelta *delta = envelope->book_delta;
            if (!mirror->have_book)
                break;
            if (header->seq <= mirror->book_seq)
                break;  //  Already in the snapshot we took
            if (header->seq != mirror->book_seq + 1) {
                mirror->have_book = false;  //  Lost one: take a snapshot
                break;
            }
            cr_assert_eq (delta->n_bid_price, delta->n_bid_qty);
            cr_assert_eq (delta->n_ask_price, delta->n_ask_qty);
            s_apply_side (mirror->book, VB_BOOK_BID, delta->bid_price, delta->bid_qty,
                          delta->n_bid_price, delta->price_exponent, delta->qty_exponent);
            s_apply_side (mirror->book, VB_BOOK_ASK, delta->ask_price, delta->ask_qty,
                          delta->n_ask_price, delta->price_exponent, delta->qty_exponent);
            vb_book_truncate (mirror->book, mirror->depth);  //  The depth rule
            mirror->book_seq = header->seq;
            mirror->venue_seq = delta->venue_seq_last;
            break;
        }
        default:
            break;
    }
    if (mirror->state == VENUEBUS__BOOK_STATE__SYNCED && mirror->have_book &&
        vb_book_crossed (mirror->book))
        self->crossed_synced++;
    return true;
}

//  --------------------------------------------------------------------------
//  Pump until every book is SYNCED and rebuilt.

static void
s_wait_synced (s_world_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        bool all = true;
        for (size_t i = 0; i < self->mirror_count; i++) {
            s_mirror_t *mirror = &self->mirrors[i];
            if (mirror->state == VENUEBUS__BOOK_STATE__SYNCED && !mirror->have_book)
                s_take_snapshot (self, mirror);
            if (mirror->state != VENUEBUS__BOOK_STATE__SYNCED || !mirror->have_book)
                all = false;
        }
        if (all)
            return;
        s_pump (self, PUMP_MS);
    }
    cr_assert_fail ("books not SYNCED in time; gateway stderr: %s",
                    vbt_proc_stderr (self->gateway));
}

//  --------------------------------------------------------------------------
//  Read a REST level list [[price, qty, ...], ...] into arrays.

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
        while (vb_json_array_next (&fields, &field) == 1)
            ;  //  Kraken's timestamp
        count++;
    }
    return count;
}

//  True when the mirror's top `count` levels of a side equal the arrays.
static bool
s_side_equal (s_mirror_t *mirror, vb_book_side_t side, const vb_decimal_t *prices,
              const vb_decimal_t *qtys, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        vb_decimal_t price, qty;
        if (vb_book_level (mirror->book, side, i, &price, &qty) != 0 ||
            vb_decimal_cmp (price, prices[i]) != 0 || vb_decimal_cmp (qty, qtys[i]) != 0)
            return false;
    }
    return true;
}

typedef struct {
    uint64_t update_id;  //  Binance lastUpdateId; 0 for Kraken
    vb_decimal_t bid_price[LEVELS_MAX], bid_qty[LEVELS_MAX];
    vb_decimal_t ask_price[LEVELS_MAX], ask_qty[LEVELS_MAX];
    size_t bids, asks;
} s_depth_t;

//  --------------------------------------------------------------------------
//  The sim's REST depth for a mirror's symbol.

static void
s_fetch_depth (s_world_t *self, s_mirror_t *mirror, s_depth_t *depth)
{
    char url[512];
    bool binance = strcmp (self->venue, "binance") == 0;
    if (binance)
        snprintf (url, sizeof url, "http://%s/api/v3/depth?symbol=%s&limit=100", self->sim_url,
                  mirror->rest_symbol);
    else
        snprintf (url, sizeof url, "http://%s/0/public/Depth?pair=%s&count=%d", self->sim_url,
                  mirror->rest_symbol, KRAKEN_TOP);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "%s -> %ld %s", url, response.status, response.body);
    vb_json_val_t root, value;
    cr_assert_eq (vb_json_parse (self->json, response.body, response.body_length, &root), 0);
    memset (depth, 0, sizeof (*depth));
    if (binance) {
        cr_assert_eq (vb_json_find (&root, "lastUpdateId", &value), 0);
        cr_assert_eq (vb_json_uint64 (&value, &depth->update_id), 0);
        cr_assert_eq (vb_json_find (&root, "bids", &value), 0);
        depth->bids = s_rest_levels (&value, depth->bid_price, depth->bid_qty, LEVELS_MAX);
        cr_assert_eq (vb_json_find (&root, "asks", &value), 0);
        depth->asks = s_rest_levels (&value, depth->ask_price, depth->ask_qty, LEVELS_MAX);
    } else {
        vb_json_val_t result, pair;
        vb_json_iter_t pairs;
        const char *key;
        size_t key_length;
        cr_assert_eq (vb_json_find (&root, "result", &result), 0);
        cr_assert_eq (vb_json_object_begin (&result, &pairs), 0);
        cr_assert_eq (vb_json_object_next (&pairs, &key, &key_length, &pair), 1);
        cr_assert_eq (vb_json_find (&pair, "asks", &value), 0);
        depth->asks = s_rest_levels (&value, depth->ask_price, depth->ask_qty, LEVELS_MAX);
        cr_assert_eq (vb_json_find (&pair, "bids", &value), 0);
        depth->bids = s_rest_levels (&value, depth->bid_price, depth->bid_qty, LEVELS_MAX);
    }
    vbt_http_response_free (&response);
    cr_assert_gt (depth->bids, 0);
    cr_assert_gt (depth->asks, 0);
}

//  --------------------------------------------------------------------------
//  Binance: the rebuilt book at update id L equals the REST depth whose
//  lastUpdateId is L. The gateway keeps `depth` levels per side, so the
//  counts must agree whenever the sim has fewer levels than that.

static bool
s_binance_equal (s_mirror_t *mirror, const s_depth_t *depth)
{
    size_t bids = vb_book_count (mirror->book, VB_BOOK_BID);
    size_t asks = vb_book_count (mirror->book, VB_BOOK_ASK);
    if ((depth->bids < mirror->depth && bids != depth->bids) ||
        (depth->asks < mirror->depth && asks != depth->asks))
        return false;
    return s_side_equal (mirror, VB_BOOK_BID, depth->bid_price, depth->bid_qty,
                         bids < depth->bids ? bids : depth->bids) &&
           s_side_equal (mirror, VB_BOOK_ASK, depth->ask_price, depth->ask_qty,
                         asks < depth->asks ? asks : depth->asks);
}

//  Kraken: the top 10 levels of each side equal the REST depth's.
static bool
s_kraken_equal (s_mirror_t *mirror, const s_depth_t *depth)
{
    return vb_book_count (mirror->book, VB_BOOK_BID) >= depth->bids &&
           vb_book_count (mirror->book, VB_BOOK_ASK) >= depth->asks &&
           s_side_equal (mirror, VB_BOOK_BID, depth->bid_price, depth->bid_qty, depth->bids) &&
           s_side_equal (mirror, VB_BOOK_ASK, depth->ask_price, depth->ask_qty, depth->asks);
}

//  --------------------------------------------------------------------------
//  The rebuilt book meets the sim's REST depth. Binance: take REST depth
//  (update id L), then follow the bus until the book's venue_seq reaches
//  L: equal to L it must match exactly (a mismatch is a wrong SYNCED book);
//  past L (a diff spanned it) try again. Kraken has no update id on REST:
//  follow the bus until the SYNCED book's top 10 equals the REST top 10.

static void
s_verify (s_world_t *self, s_mirror_t *mirror)
{
    static s_depth_t depth;
    bool binance = strcmp (self->venue, "binance") == 0;
    for (int attempt = 0; attempt < VERIFY_TRIES; attempt++) {
        s_fetch_depth (self, mirror, &depth);
        int64_t deadline = zclock_mono () + VERIFY_ROUND_MS;
        while (zclock_mono () < deadline) {
            bool synced = mirror->state == VENUEBUS__BOOK_STATE__SYNCED && mirror->have_book;
            if (synced && binance && mirror->venue_seq == depth.update_id) {
                cr_assert (s_binance_equal (mirror, &depth),
                           "%s book marked SYNCED at update id %" PRIu64
                           " differs from the sim's REST depth",
                           mirror->symbol, depth.update_id);
                return;
            }
            if (synced && binance && mirror->venue_seq > depth.update_id)
                break;  //  A diff spanned the REST snapshot: take another
            if (synced && !binance && s_kraken_equal (mirror, &depth))
                return;
            if (mirror->state == VENUEBUS__BOOK_STATE__SYNCED && !mirror->have_book)
                s_take_snapshot (self, mirror);
            s_pump (self, PUMP_MS);
        }
    }
    cr_assert_fail ("%s %s book never met the sim's REST depth", self->venue, mirror->symbol);
}

//  --------------------------------------------------------------------------
//  Inject a fault, then see a break (RESYNCING or STALE) on `symbol`, then
//  every book SYNCED and equal to the sim's depth again.

static void
s_fault (s_world_t *self, const char *body, const char *symbol)
{
    s_mirror_t *watched = s_mirror (self, symbol);
    cr_assert_not_null (watched);
    uint64_t breaks = watched->breaks;
    char url[512];
    snprintf (url, sizeof url, "http://%s/_sim/faults", self->sim_url);
    const char *headers[] = {"Content-Type: application/json", NULL};
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("POST", url, headers, body, HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "fault %s refused: %ld %s", body, response.status,
                  response.body);
    vbt_http_response_free (&response);
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (watched->breaks == breaks && zclock_mono () < deadline)
        s_pump (self, PUMP_MS);
    cr_assert_gt (watched->breaks, breaks, "fault %s: no RESYNCING status for %s; stderr: %s", body,
                  symbol, vbt_proc_stderr (self->gateway));
    s_wait_synced (self, WAIT_MS);
    for (size_t i = 0; i < self->mirror_count; i++)
        s_verify (self, &self->mirrors[i]);
}

//  --------------------------------------------------------------------------
//  The checks every scenario ends with.

static void
s_expect_clean (s_world_t *self)
{
    cr_expect_eq (self->seq_violations, 0, "topic sequence jumped %" PRIu64 " times",
                  self->seq_violations);
    cr_expect_eq (self->crossed_synced, 0, "a SYNCED book was crossed");
}

Test (gateway, binance_books_match_the_sim_and_recover_from_every_fault)
{
    s_world_t world;
    const char *names[] = {"BTC-USDT", "ETH-USDT"};
    const char *rest_names[] = {"BTCUSDT", "ETHUSDT"};
    s_world_start (&world, "binance", "BTC-USDT,ETH-USDT", names, rest_names, 2);
    s_wait_synced (&world, WAIT_MS);
    for (size_t i = 0; i < world.mirror_count; i++)
        s_verify (&world, &world.mirrors[i]);
    s_fault (&world, "{\"fault\":\"drop\",\"stream\":\"btcusdt@depth@100ms\",\"count\":1}",
             "BTC-USDT");
    s_fault (&world, "{\"fault\":\"gap\",\"stream\":\"btcusdt@depth@100ms\",\"count\":1}",
             "BTC-USDT");
    s_fault (&world, "{\"fault\":\"disconnect\"}", "BTC-USDT");
    s_expect_clean (&world);
    s_world_stop (&world);
}

Test (gateway, kraken_books_match_the_sim_and_recover_from_every_fault)
{
    s_world_t world;
    const char *names[] = {"BTC-USD", "ETH-USD"};
    const char *rest_names[] = {"XBTUSD", "ETHUSD"};
    s_world_start (&world, "kraken", "BTC-USD,ETH-USD", names, rest_names, 2);
    s_wait_synced (&world, WAIT_MS);
    for (size_t i = 0; i < world.mirror_count; i++)
        s_verify (&world, &world.mirrors[i]);
    s_fault (&world, "{\"fault\":\"corrupt_checksum\",\"stream\":\"book\",\"count\":1}", "BTC-USD");
    //  Kraken's checksum covers the top 10 levels only, so a dropped update
    //  deeper than that is invisible until the level reaches the top: drop
    //  enough updates (about a second of the sim's flow) that one is near
    //  the top.
    s_fault (&world, "{\"fault\":\"drop\",\"stream\":\"book\",\"count\":25}", "BTC-USD");
    s_fault (&world, "{\"fault\":\"disconnect\"}", "BTC-USD");
    s_expect_clean (&world);
    s_world_stop (&world);
}

Test (gateway, snapshot_endpoint_answers_books_and_refuses_the_rest)
{
    s_world_t world;
    const char *names[] = {"BTC-USDT"};
    const char *rest_names[] = {"BTCUSDT"};
    s_world_start (&world, "binance", "BTC-USDT", names, rest_names, 1);
    s_wait_synced (&world, WAIT_MS);
    //  A snapshot decodes as a bus frame on the book topic; its seq is a
    //  book sequence already published (or about to be seen) on the bus.
    zstr_send (world.dealer, "SNAPSHOT md.binance.BTC-USDT.book");
    zframe_t *reply = zframe_recv (world.dealer);
    cr_assert_not_null (reply);
    cr_assert_eq (vb_msg_decode (world.msg, zframe_data (reply), zframe_size (reply)), 0);
    zframe_destroy (&reply);
    const Venuebus__Envelope *envelope = vb_msg_envelope (world.msg);
    cr_assert_str_eq (vb_msg_topic (world.msg), "md.binance.BTC-USDT.book");
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT);
    cr_assert_geq (envelope->header->seq, 1);
    cr_assert_gt (envelope->book_snapshot->n_bid_price, 0);
    cr_assert_gt (envelope->book_snapshot->venue_seq, 0);

    const char *refusals[][2] = {
        {"SNAPSHOT md.binance.XRP-USDT.book", "ERROR unknown-topic md.binance.XRP-USDT.book"},
        {"SNAPSHOT md.kraken.BTC-USDT.book", "ERROR unknown-topic md.kraken.BTC-USDT.book"},
        {"SNAPSHOT md.binance.BTC-USDT.trade", "ERROR unknown-topic md.binance.BTC-USDT.trade"},
        {"HELLO", "ERROR unknown-request expected \"SNAPSHOT <topic>\""},
    };
    for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++) {
        zstr_send (world.dealer, refusals[i][0]);
        char *text = zstr_recv (world.dealer);
        cr_assert_not_null (text);
        cr_expect_str_eq (text, refusals[i][1]);
        zstr_free (&text);
    }
    s_world_stop (&world);
}

//  --------------------------------------------------------------------------
//  Start the gateway with bad arguments and expect a non-zero exit whose
//  log names the culprit.

static void
s_refused (char *const argv[], const char *culprit)
{
    vbt_proc_t *gateway = vbt_proc_start (VB_GATEWAY_BIN, argv, NULL);
    cr_assert_not_null (gateway);
    int status = vbt_proc_wait_exit (gateway, WAIT_MS);
    cr_expect_neq (status, 0);
    cr_expect_neq (status, -1, "gateway kept running");
    cr_expect (strstr (vbt_proc_stderr (gateway), culprit) != NULL, "stderr does not name %s: %s",
               culprit, vbt_proc_stderr (gateway));
    vbt_proc_stop (&gateway, WAIT_MS);
}

Test (gateway, refuses_an_unknown_venue_or_symbol_naming_it)
{
    char *unknown_venue[] = {VB_GATEWAY_BIN,      "--venue",    "nosuchvenue",        "--symbols",
                             "BTC-USDT",          "--bus",      "tcp://127.0.0.1:1",  "--snapshot",
                             "tcp://127.0.0.1:*", "--rest-url", "http://127.0.0.1:1", NULL};
    s_refused (unknown_venue, "nosuchvenue");
    char *unknown_symbol[] = {VB_GATEWAY_BIN,
                              "--venue",
                              "binance",
                              "--symbols",
                              "NOPE-USDT",
                              "--bus",
                              "tcp://127.0.0.1:1",
                              "--snapshot",
                              "tcp://127.0.0.1:*",
                              "--rest-url",
                              "http://127.0.0.1:1",
                              "--ws-url",
                              "ws://127.0.0.1:1",
                              NULL};
    s_refused (unknown_symbol, "NOPE-USDT");
    char *bad_symbol[] = {VB_GATEWAY_BIN,      "--venue", "binance",           "--symbols",
                          "btcusdt",           "--bus",   "tcp://127.0.0.1:1", "--snapshot",
                          "tcp://127.0.0.1:*", NULL};
    s_refused (bad_symbol, "btcusdt");
}

Test (gateway, rolls_connections_over_before_the_venue_closes_them)
{
    //  The sim closes every WebSocket connection after 3 s; told so, the
    //  gateway opens a replacement 300 ms (a tenth) before that and switches
    //  to it, so the books break only for "rollover", never "reconnect".
    s_world_t world;
    const char *names[] = {"BTC-USDT"};
    const char *rest_names[] = {"BTCUSDT"};
    const char *sim_extra[] = {"--ws-lifetime", "3s", NULL};
    const char *gateway_extra[] = {"--ws-lifetime", "3s", NULL};
    s_world_start_with (&world, "binance", "BTC-USDT", names, rest_names, 1, sim_extra,
                        gateway_extra);
    s_wait_synced (&world, WAIT_MS);
    s_mirror_t *mirror = &world.mirrors[0];
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (mirror->rollovers < 2 && zclock_mono () < deadline)
        s_pump (&world, PUMP_MS);
    cr_assert_geq (mirror->rollovers, 2, "no rollover seen; stderr: %s",
                   vbt_proc_stderr (world.gateway));
    cr_expect_eq (mirror->reconnects, 0, "the venue closed a live connection first");
    s_wait_synced (&world, WAIT_MS);
    s_verify (&world, mirror);
    s_expect_clean (&world);
    s_world_stop (&world);
}

Test (gateway, marks_a_stalled_stream_stale_and_rebuilds_the_book)
{
    //  The sim holds every stream's frames for 3 s; with a 1 s stale bound
    //  the gateway reports STALE, reconnects, and rebuilds once data flows.
    s_world_t world;
    const char *names[] = {"BTC-USDT"};
    const char *rest_names[] = {"BTCUSDT"};
    const char *gateway_extra[] = {"--stale", "1s", NULL};
    s_world_start_with (&world, "binance", "BTC-USDT", names, rest_names, 1, NULL, gateway_extra);
    s_wait_synced (&world, WAIT_MS);
    s_fault (&world, "{\"fault\":\"stall\",\"stream\":\"*\",\"ms\":3000}", "BTC-USDT");
    cr_expect_geq (world.mirrors[0].stales, 1, "the break was not reported as STALE");
    s_expect_clean (&world);
    s_world_stop (&world);
}
