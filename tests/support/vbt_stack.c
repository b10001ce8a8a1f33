/*  vbt_stack.c — a running market-data stack for integration tests.

    Sim, bus and gateway as real processes, and a subscriber that rebuilds
    every book from the bus (see vbt_stack.h). Moved here from
    tests/integration/test_gateway.c so that several test files share it.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "vb_json.h"
#include "vbt_http.h"
#include "vbt_stack.h"

#define S_HTTP_MS         5000     //  One REST call to the sim
#define S_VERIFY_TRIES    60       //  REST snapshots tried before giving up
#define S_VERIFY_ROUND_MS 3000     //  Bus time given to reach one REST snapshot
#define S_ENDPOINT_MAX    256      //  One endpoint or URL
#define S_LINE_MAX        1024     //  One ready line
#define S_TOPICS_MAX      256      //  Topics whose sequence is followed
#define S_LEVELS_MAX      5000     //  Levels per side mirrored
#define S_KRAKEN_TOP      10       //  Levels per side Kraken's checksum covers
#define S_DRAIN_MAX       10000    //  Bus frames read between two sim polls
#define S_SUB_HWM         1000000  //  Subscriber's receive high-water mark
#define S_SIM_FIXED       7        //  Fixed sim arguments before the extras
#define S_GATEWAY_FIXED   15       //  Fixed gateway arguments before the extras

typedef struct {
    char topic[VB_TOPIC_MAX + 1];  //  A topic seen on the bus
    uint64_t seq;                  //  Its last Header.seq
} s_topic_seq_t;

struct _vbt_stack_t {
    const char *venue;                            //  Borrowed from the args
    vbt_proc_t *sim;                              //  NULL with no_sim
    vbt_proc_t *bus;                              //  The bus
    vbt_proc_t *gateway;                          //  The gateway under test
    char sim_url[S_ENDPOINT_MAX];                 //  "127.0.0.1:PORT"
    char frontend[S_ENDPOINT_MAX];                //  Bus XSUB endpoint
    char backend[S_ENDPOINT_MAX];                 //  Bus XPUB endpoint
    char snapshot[S_ENDPOINT_MAX];                //  Gateway ROUTER endpoint
    zsock_t *sub;                                 //  Subscriber on the bus
    zsock_t *dealer;                              //  Snapshot requests
    zpoller_t *poller;                            //  On sub
    vb_msg_t *msg;                                //  Decoder
    vb_json_t *json;                              //  REST answers
    s_topic_seq_t topics[S_TOPICS_MAX];           //  Sequences per topic
    size_t topic_count;                           //  Topics in use
    uint64_t seq_violations;                      //  Topic sequence jumps or repeats
    uint64_t crossed_synced;                      //  A SYNCED rebuilt book was crossed
    vbt_mirror_t mirrors[VBT_STACK_SYMBOLS_MAX];  //  One per mirrored symbol
    size_t mirror_count;                          //  Mirrors in use
    bool strict_symbols;                          //  Other symbols fail the test
};

typedef struct {
    uint64_t update_id;  //  Binance lastUpdateId; 0 for Kraken
    vb_decimal_t bid_price[S_LEVELS_MAX], bid_qty[S_LEVELS_MAX];  //  Bids, best first
    vb_decimal_t ask_price[S_LEVELS_MAX], ask_qty[S_LEVELS_MAX];  //  Asks, best first
    size_t bids, asks;                                            //  Counts
} s_depth_t;

//  --------------------------------------------------------------------------
//  Start one process and wait for its ready line.

static vbt_proc_t *
s_start (const char *path, char **argv, const char *name, char *line, size_t size)
{
    vbt_proc_t *proc = vbt_proc_start (path, argv, NULL);
    cr_assert_not_null (proc, "%s could not be started", name);
    cr_assert_eq (vbt_proc_wait_line (proc, "ready ", VBT_STACK_WAIT_MS, line, size), 0,
                  "%s never said ready; stderr: %s", name, vbt_proc_stderr (proc));
    return proc;
}

//  --------------------------------------------------------------------------
//  Start everything.

vbt_stack_t *
vbt_stack_new (const vbt_stack_args_t *args)
{
    cr_assert (args && args->bus_bin && args->gateway_bin && (args->no_sim || args->sim_bin));
    cr_assert_leq (args->count, VBT_STACK_SYMBOLS_MAX);
    vbt_stack_t *self = (vbt_stack_t *)zmalloc (sizeof (vbt_stack_t));
    cr_assert_not_null (self);
    self->venue = args->venue;
    self->strict_symbols = args->strict_symbols;
    char line[S_LINE_MAX], port[32];
    if (!args->no_sim) {
        char *sim_argv[S_SIM_FIXED + VBT_STACK_EXTRA_MAX + 1] = {
            (char *)args->sim_bin, "--venue", (char *)args->venue, "--port", "0", "--seed", "7"};
        for (size_t i = 0; args->sim_extra && args->sim_extra[i]; i++) {
            cr_assert_lt (i, VBT_STACK_EXTRA_MAX);
            sim_argv[S_SIM_FIXED + i] = (char *)args->sim_extra[i];
        }
        self->sim = s_start (args->sim_bin, sim_argv, "sim", line, sizeof line);
        cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
        snprintf (self->sim_url, sizeof self->sim_url, "127.0.0.1:%s", port);
    }
    char *bus_argv[] = {(char *)args->bus_bin, "--frontend",        "tcp://127.0.0.1:*",
                        "--backend",           "tcp://127.0.0.1:*", NULL};
    self->bus = s_start (args->bus_bin, bus_argv, "bus", line, sizeof line);
    cr_assert_eq (vbt_line_value (line, "frontend", self->frontend, sizeof self->frontend), 0);
    cr_assert_eq (vbt_line_value (line, "backend", self->backend, sizeof self->backend), 0);

    self->msg = vb_msg_new ();
    self->json = vb_json_new ();
    self->sub = zsock_new (ZMQ_SUB);
    cr_assert (self->msg && self->json && self->sub);
    zsock_set_rcvhwm (self->sub, S_SUB_HWM);
    char prefix[64];
    snprintf (prefix, sizeof prefix, "md.%s.", args->venue);
    zsock_set_subscribe (self->sub, prefix);
    cr_assert_eq (zsock_connect (self->sub, "%s", self->backend), 0);
    self->poller = zpoller_new (self->sub, NULL);

    for (size_t i = 0; i < args->count; i++) {
        self->mirrors[i].symbol = args->names[i];
        self->mirrors[i].rest_symbol = args->rest_names ? args->rest_names[i] : NULL;
        self->mirrors[i].book = vb_book_new (2 * S_LEVELS_MAX);
        cr_assert_not_null (self->mirrors[i].book);
    }
    self->mirror_count = args->count;

    static int instance = 0;
    snprintf (self->snapshot, sizeof self->snapshot, "ipc:///tmp/vbt-stack-%d-%s-%d.ipc",
              (int)getpid (), args->venue, instance++);
    char rest_url[S_ENDPOINT_MAX + 16], ws_url[S_ENDPOINT_MAX + 16];
    snprintf (rest_url, sizeof rest_url, "%s%s", args->rest_url ? "" : "http://",
              args->rest_url ? args->rest_url : self->sim_url);
    snprintf (ws_url, sizeof ws_url, "%s%s", args->ws_url ? "" : "ws://",
              args->ws_url ? args->ws_url : self->sim_url);
    char *gw_argv[S_GATEWAY_FIXED + VBT_STACK_EXTRA_MAX + 1] = {(char *)args->gateway_bin,
                                                                "--venue",
                                                                (char *)args->venue,
                                                                "--symbols",
                                                                (char *)args->symbols,
                                                                "--bus",
                                                                self->frontend,
                                                                "--snapshot",
                                                                self->snapshot,
                                                                "--rest-url",
                                                                rest_url,
                                                                "--ws-url",
                                                                ws_url,
                                                                "--level",
                                                                "info"};
    for (size_t i = 0; args->gateway_extra && args->gateway_extra[i]; i++) {
        cr_assert_lt (i, VBT_STACK_EXTRA_MAX);
        gw_argv[S_GATEWAY_FIXED + i] = (char *)args->gateway_extra[i];
    }
    self->gateway = s_start (args->gateway_bin, gw_argv, "gateway", line, sizeof line);
    char expected[S_LINE_MAX];
    snprintf (expected, sizeof expected, "ready venue=%s symbols=%s", args->venue, args->symbols);
    cr_assert_str_eq (line, expected);

    self->dealer = zsock_new (ZMQ_DEALER);
    cr_assert_not_null (self->dealer);
    zsock_set_rcvtimeo (self->dealer, VBT_STACK_WAIT_MS);
    zsock_set_sndtimeo (self->dealer, VBT_STACK_WAIT_MS);
    cr_assert_eq (zsock_connect (self->dealer, "%s", self->snapshot), 0);
    return self;
}

//  --------------------------------------------------------------------------
//  Stop everything; every process must exit 0 on SIGTERM.

void
vbt_stack_destroy (vbt_stack_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vbt_stack_t *self = *self_p;
    zsock_destroy (&self->dealer);
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->sub);
    if (self->gateway)
        cr_expect_eq (vbt_proc_stop (&self->gateway, VBT_STACK_WAIT_MS), 0,
                      "gateway did not stop cleanly");
    if (self->bus)
        cr_expect_eq (vbt_proc_stop (&self->bus, VBT_STACK_WAIT_MS), 0);
    if (self->sim)
        cr_expect_eq (vbt_proc_stop (&self->sim, VBT_STACK_WAIT_MS), 0);
    for (size_t i = 0; i < self->mirror_count; i++)
        vb_book_destroy (&self->mirrors[i].book);
    vb_json_destroy (&self->json);
    vb_msg_destroy (&self->msg);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Mirrors and accessors.

vbt_mirror_t *
vbt_stack_mirror (vbt_stack_t *self, const char *symbol)
{
    for (size_t i = 0; i < self->mirror_count; i++)
        if (strcmp (self->mirrors[i].symbol, symbol) == 0)
            return &self->mirrors[i];
    return NULL;
}

vbt_mirror_t *
vbt_stack_mirror_at (vbt_stack_t *self, size_t index)
{
    return index < self->mirror_count ? &self->mirrors[index] : NULL;
}

vbt_proc_t *
vbt_stack_gateway (vbt_stack_t *self)
{
    return self->gateway;
}

vbt_proc_t *
vbt_stack_sim (vbt_stack_t *self)
{
    return self->sim;
}

const char *
vbt_stack_sim_url (vbt_stack_t *self)
{
    return self->sim_url;
}

uint64_t
vbt_stack_seq_violations (vbt_stack_t *self)
{
    return self->seq_violations;
}

uint64_t
vbt_stack_crossed_synced (vbt_stack_t *self)
{
    return self->crossed_synced;
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
s_install_snapshot (vbt_mirror_t *mirror, const Venuebus__BookSnapshot *snapshot, uint64_t seq)
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
//  One request to the gateway's snapshot endpoint, and its reply.

zframe_t *
vbt_stack_snapshot_request (vbt_stack_t *self, const char *request)
{
    cr_assert_eq (zstr_send (self->dealer, request), 0, "could not send %s", request);
    zframe_t *reply = zframe_recv (self->dealer);
    cr_assert_not_null (reply, "no reply to %s", request);
    return reply;
}

//  --------------------------------------------------------------------------
//  Ask the gateway's snapshot endpoint for a book (Clone pattern).

static void
s_take_snapshot (vbt_stack_t *self, vbt_mirror_t *mirror)
{
    char request[128];
    snprintf (request, sizeof request, "SNAPSHOT md.%s.%s.book", self->venue, mirror->symbol);
    zframe_t *reply = vbt_stack_snapshot_request (self, request);
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
    if (!mirror->have_book || envelope->header->seq > mirror->book_seq)
        s_install_snapshot (mirror, envelope->book_snapshot, envelope->header->seq);
}

//  --------------------------------------------------------------------------
//  Check a topic's sequence: the first message seen may have any seq (we
//  may have joined late), every later one must be the previous + 1.

static void
s_check_seq (vbt_stack_t *self, const char *topic, uint64_t seq)
{
    for (size_t i = 0; i < self->topic_count; i++)
        if (strcmp (self->topics[i].topic, topic) == 0) {
            if (seq != self->topics[i].seq + 1)
                self->seq_violations++;
            self->topics[i].seq = seq;
            return;
        }
    cr_assert_lt (self->topic_count, S_TOPICS_MAX);
    snprintf (self->topics[self->topic_count].topic, VB_TOPIC_MAX + 1, "%s", topic);
    self->topics[self->topic_count++].seq = seq;
}

//  --------------------------------------------------------------------------
//  A status message.

static void
s_on_status (vbt_mirror_t *mirror, const Venuebus__Status *status)
{
    if (status->book_state != VENUEBUS__BOOK_STATE__SYNCED && status->book_state != mirror->state) {
        mirror->breaks++;
        snprintf (mirror->reason, sizeof mirror->reason, "%s", status->reason);
        if (strcmp (status->reason, "rollover") == 0)
            mirror->rollovers++;
        if (strcmp (status->reason, "reconnect") == 0)
            mirror->reconnects++;
        if (status->book_state == VENUEBUS__BOOK_STATE__STALE)
            mirror->stales++;
    }
    mirror->state = status->book_state;
    mirror->seen_status = true;
    mirror->gaps = status->gaps;
    mirror->anomalies = status->anomalies;
    mirror->status_reconnects = status->reconnects;
}

//  --------------------------------------------------------------------------
//  A book delta.

static void
s_on_delta (vbt_mirror_t *mirror, const Venuebus__BookDelta *delta, uint64_t seq)
{
    if (!mirror->have_book || seq <= mirror->book_seq)
        return;  //  No book yet, or already in the snapshot we took
    if (seq != mirror->book_seq + 1) {
        mirror->have_book = false;  //  Lost one: take a snapshot
        return;
    }
    cr_assert_eq (delta->n_bid_price, delta->n_bid_qty);
    cr_assert_eq (delta->n_ask_price, delta->n_ask_qty);
    s_apply_side (mirror->book, VB_BOOK_BID, delta->bid_price, delta->bid_qty, delta->n_bid_price,
                  delta->price_exponent, delta->qty_exponent);
    s_apply_side (mirror->book, VB_BOOK_ASK, delta->ask_price, delta->ask_qty, delta->n_ask_price,
                  delta->price_exponent, delta->qty_exponent);
    vb_book_truncate (mirror->book, mirror->depth);  //  The depth rule
    mirror->book_seq = seq;
    mirror->venue_seq = delta->venue_seq_last;
}

//  --------------------------------------------------------------------------
//  Read and apply one bus frame; false when none came within timeout_ms.

bool
vbt_stack_pump (vbt_stack_t *self, int timeout_ms)
{
    if (!zpoller_wait (self->poller, timeout_ms))
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
    vbt_mirror_t *mirror = vbt_stack_mirror (self, header->symbol);
    cr_assert (mirror || !self->strict_symbols, "unexpected symbol %s", header->symbol);
    if (!mirror)
        return true;  //  A symbol of the shard this test does not mirror
    switch (envelope->body_case) {
        case VENUEBUS__ENVELOPE__BODY_STATUS:
            s_on_status (mirror, envelope->status);
            break;
        case VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT:
            mirror->book_messages++;
            s_install_snapshot (mirror, envelope->book_snapshot, header->seq);
            break;
        case VENUEBUS__ENVELOPE__BODY_BOOK_DELTA:
            mirror->book_messages++;
            s_on_delta (mirror, envelope->book_delta, header->seq);
            break;
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

void
vbt_stack_wait_synced (vbt_stack_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        bool all = true;
        for (size_t i = 0; i < self->mirror_count; i++) {
            vbt_mirror_t *mirror = &self->mirrors[i];
            if (mirror->state == VENUEBUS__BOOK_STATE__SYNCED && !mirror->have_book)
                s_take_snapshot (self, mirror);
            if (mirror->state != VENUEBUS__BOOK_STATE__SYNCED || !mirror->have_book)
                all = false;
        }
        if (all)
            return;
        vbt_stack_pump (self, VBT_STACK_PUMP_MS);
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
s_side_equal (vbt_mirror_t *mirror, vb_book_side_t side, const vb_decimal_t *prices,
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

//  --------------------------------------------------------------------------
//  The sim's REST depth for a mirror's symbol.

static void
s_fetch_depth (vbt_stack_t *self, vbt_mirror_t *mirror, s_depth_t *depth)
{
    cr_assert_not_null (mirror->rest_symbol, "no REST name for %s", mirror->symbol);
    char url[512];
    bool binance = strcmp (self->venue, "binance") == 0;
    if (binance)
        snprintf (url, sizeof url, "http://%s/api/v3/depth?symbol=%s&limit=100", self->sim_url,
                  mirror->rest_symbol);
    else
        snprintf (url, sizeof url, "http://%s/0/public/Depth?pair=%s&count=%d", self->sim_url,
                  mirror->rest_symbol, S_KRAKEN_TOP);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "%s -> %ld %s", url, response.status, response.body);
    vb_json_val_t root, value;
    cr_assert_eq (vb_json_parse (self->json, response.body, response.body_length, &root), 0);
    memset (depth, 0, sizeof (*depth));
    if (binance) {
        cr_assert_eq (vb_json_find (&root, "lastUpdateId", &value), 0);
        cr_assert_eq (vb_json_uint64 (&value, &depth->update_id), 0);
        cr_assert_eq (vb_json_find (&root, "bids", &value), 0);
        depth->bids = s_rest_levels (&value, depth->bid_price, depth->bid_qty, S_LEVELS_MAX);
        cr_assert_eq (vb_json_find (&root, "asks", &value), 0);
        depth->asks = s_rest_levels (&value, depth->ask_price, depth->ask_qty, S_LEVELS_MAX);
    } else {
        vb_json_val_t result, pair;
        vb_json_iter_t pairs;
        const char *key;
        size_t key_length;
        cr_assert_eq (vb_json_find (&root, "result", &result), 0);
        cr_assert_eq (vb_json_object_begin (&result, &pairs), 0);
        cr_assert_eq (vb_json_object_next (&pairs, &key, &key_length, &pair), 1);
        cr_assert_eq (vb_json_find (&pair, "asks", &value), 0);
        depth->asks = s_rest_levels (&value, depth->ask_price, depth->ask_qty, S_LEVELS_MAX);
        cr_assert_eq (vb_json_find (&pair, "bids", &value), 0);
        depth->bids = s_rest_levels (&value, depth->bid_price, depth->bid_qty, S_LEVELS_MAX);
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
s_binance_equal (vbt_mirror_t *mirror, const s_depth_t *depth)
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
s_kraken_equal (vbt_mirror_t *mirror, const s_depth_t *depth)
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

void
vbt_stack_verify (vbt_stack_t *self, vbt_mirror_t *mirror)
{
    static s_depth_t depth;
    bool binance = strcmp (self->venue, "binance") == 0;
    for (int attempt = 0; attempt < S_VERIFY_TRIES; attempt++) {
        s_fetch_depth (self, mirror, &depth);
        int64_t deadline = zclock_mono () + S_VERIFY_ROUND_MS;
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
            vbt_stack_pump (self, VBT_STACK_PUMP_MS);
        }
    }
    cr_assert_fail ("%s %s book never met the sim's REST depth", self->venue, mirror->symbol);
}

//  --------------------------------------------------------------------------
//  Faults.

void
vbt_stack_post_fault (vbt_stack_t *self, const char *body)
{
    char url[512];
    snprintf (url, sizeof url, "http://%s/_sim/faults", self->sim_url);
    const char *headers[] = {"Content-Type: application/json", NULL};
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("POST", url, headers, body, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "fault %s refused: %ld %s", body, response.status,
                  response.body);
    vbt_http_response_free (&response);
}

//  Breaks seen on one symbol, or on all mirrors when symbol is NULL.
static uint64_t
s_breaks (vbt_stack_t *self, const char *symbol)
{
    uint64_t breaks = 0;
    for (size_t i = 0; i < self->mirror_count; i++)
        if (!symbol || strcmp (self->mirrors[i].symbol, symbol) == 0)
            breaks += self->mirrors[i].breaks;
    return breaks;
}

void
vbt_stack_fault (vbt_stack_t *self, const char *body, const char *symbol)
{
    cr_assert (!symbol || vbt_stack_mirror (self, symbol), "%s is not mirrored", symbol);
    uint64_t breaks = s_breaks (self, symbol);
    vbt_stack_post_fault (self, body);
    int64_t deadline = zclock_mono () + VBT_STACK_WAIT_MS;
    while (s_breaks (self, symbol) == breaks && zclock_mono () < deadline)
        vbt_stack_pump (self, VBT_STACK_PUMP_MS);
    cr_assert_gt (s_breaks (self, symbol), breaks,
                  "fault %s: no RESYNCING status for %s; stderr: %s", body,
                  symbol ? symbol : "any book", vbt_proc_stderr (self->gateway));
    vbt_stack_wait_synced (self, VBT_STACK_WAIT_MS);
    for (size_t i = 0; i < self->mirror_count; i++)
        vbt_stack_verify (self, &self->mirrors[i]);
}

//  --------------------------------------------------------------------------
//  Faults still active on the sim.

size_t
vbt_stack_faults_active (vbt_stack_t *self)
{
    char url[512];
    snprintf (url, sizeof url, "http://%s/_sim/faults", self->sim_url);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "GET /_sim/faults -> %ld", response.status);
    size_t count = 0;
    for (const char *at = response.body; (at = strstr (at, "{\"fault\":")) != NULL; at++)
        count++;
    vbt_http_response_free (&response);
    return count;
}

void
vbt_stack_wait_faults_done (vbt_stack_t *self, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (vbt_stack_faults_active (self) > 0) {
        cr_assert_lt (zclock_mono (), deadline, "the sim's faults were never consumed");
        //  Drain what is there, then wait one pump for more.
        for (size_t frames = 0; frames < S_DRAIN_MAX; frames++)
            if (!vbt_stack_pump (self, frames ? 0 : VBT_STACK_PUMP_MS))
                break;
    }
}

//  --------------------------------------------------------------------------
//  The checks every scenario ends with.

void
vbt_stack_expect_clean (vbt_stack_t *self)
{
    cr_expect_eq (self->seq_violations, 0, "topic sequence jumped %" PRIu64 " times",
                  self->seq_violations);
    cr_expect_eq (self->crossed_synced, 0, "a SYNCED book was crossed");
}

//  --------------------------------------------------------------------------
//  One level against decimal strings.

bool
vbt_mirror_level_is (vbt_mirror_t *mirror, vb_book_side_t side, size_t index, const char *price,
                     const char *qty)
{
    vb_decimal_t want_price, want_qty, have_price, have_qty;
    if (vb_decimal_parse (price, strlen (price), &want_price) != 0 ||
        vb_decimal_parse (qty, strlen (qty), &want_qty) != 0)
        return false;
    if (vb_book_level (mirror->book, side, index, &have_price, &have_qty) != 0)
        return false;
    return vb_decimal_cmp (want_price, have_price) == 0 && vb_decimal_cmp (want_qty, have_qty) == 0;
}

const char *
vbt_stack_bus_backend (vbt_stack_t *self)
{
    return self->backend;
}
