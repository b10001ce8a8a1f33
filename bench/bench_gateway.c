/*  bench_gateway.c — the gateway hot path on the real Binance capture:
    adapter frame () -> gw_core sink -> vb_book -> protobuf (vb_msg) ->
    zmq_send on a PUB over ipc to a subscriber process that drains it,
    against the floor (fastest parse + pack + bare zmq_send of the same
    messages) and, with --ccxt, ccxt pro's handleMessage on the same frames
    (bench_ccxt.mjs run by node between rounds).

    What runs is the gateway's own code: the Binance adapter (venues/binance/
    md.c) and the core (services/gateway/gw_core.c, the vb_gateway library)
    with the settings the gateway's config defaults give (depth 100, hwm
    100000, max_deviation_bps 2000, warnings 10/s), except ts_tolerance (one
    day, so a pass that replays the capture again is not refused as going
    back in time; the check still runs). Not included: the lws service loop,
    WebSocket deframing and TLS (the session's work; performance.md §4
    counts deframing ≈ 0 and TLS +0.2-1 µs), and gw_core_tick (per loop
    turn, not per message).

    Corpus: shared/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.
    head.txt. Each pass starts the symbol afresh as a reconnect does: closed
    (), opened (), then the frames before the REST snapshot line and the
    snapshot through rest_done () (untimed: the prefix), then the timed
    frames after it, filtered by kind: mix (all), depth, trade, bbo.

    Rows, per kind, each CPU ns per input frame from getrusage (RUSAGE_SELF:
    every thread of this process, ZeroMQ's I/O thread included; the
    subscriber is another process), timed until the subscriber confirmed it
    holds every message published (lossless, counted):
    - gateway: the full path, published over ipc;
    - gateway compute: the same path into a second core whose PUB's only
      peer subscribes to nothing, so zmq_send drops each message at once
      (parse, validate, book, encode and a filtered send call);
    - floor: vb_json parse + extract of the same frames in one document-
      order pass (fields as exact decimals), one protobuf pack of the same
      envelope (header + body, BookDelta as packed arrays) with vb_msg_encode,
      and a bare zmq_send of those bytes on a second PUB to the same
      subscriber;
    - floor compute: the floor without the send.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gw_config.h"
#include "gw_core.h"
#include "vb_bench.h"
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_json.h"
#include "vb_log.h"
#include "vb_md.h"
#include "vb_msg.h"

#define S_CAPTURE        VB_SHARED_DIR "/fixtures/real/binance/hftbacktest/spot/btcusdt_20240808.head.txt"
#define S_SNAPSHOT_MARK  "{\"lastUpdateId\""
#define S_SYMBOL         "BTC-USDT"
#define S_VENUE          "binance"
#define S_PRODUCER_FLOOR "bench.floor"
#define S_NS_PER_US      1000.0
#define S_NS_PER_SEC     1e9
//  Gateway config defaults (gw_config.c) used as they are.
#define S_DEPTH_DEFAULT      100
#define S_HWM                100000
#define S_MAX_DEVIATION_BPS  2000
#define S_WARNINGS_PER_S     10
#define S_STATUS_INTERVAL_MS 5000
//  One day: replayed passes go back in time; the check still runs.
#define S_TS_TOLERANCE_MS (24LL * 3600 * 1000)
//  Rounds (samples per row) and passes per sample.
#define S_ROUNDS_DEFAULT 5
#define S_PASSES_DEFAULT 10
#define S_ROUNDS_MAX     50
//  How long the subscriber may take to confirm before we call it a loss.
#define S_DRAIN_TIMEOUT_MS 20000
//  Warm-up: probe until the subscriptions are in place.
#define S_PROBE_MS     10
#define S_PROBE_TRIES  500
#define S_SETTLE_MS    200
#define S_LEVELS_MAX   4096
#define S_FRAME_BUFFER VB_MSG_FRAME_MAX
#define S_LINE_MAX     64
#define S_STOP         UINT64_MAX

typedef enum { S_DEPTH = 0, S_TRADE, S_BBO, S_KINDS } s_kind_t;

//  The corpora a pass replays (S_MIX = every kind).
typedef enum { S_MIX = 0, S_ONLY_DEPTH, S_ONLY_TRADE, S_ONLY_BBO, S_CORPORA } s_corpus_t;
static const char *s_corpus_name[S_CORPORA] = {"mix", "depth", "trade", "bbo"};

typedef struct {
    const char *text;  //  The frame, as the combined stream sent it
    size_t length;     //  Its length
    int64_t recv_ns;   //  Capture receive time
    s_kind_t kind;     //  depth, trade or bbo
} s_frame_t;

typedef struct {
    char *buffer;              //  The capture file
    s_frame_t *frames;         //  Every frame except the snapshot, in order
    size_t frame_count;        //  Their number
    size_t prefix_count;       //  Frames before the snapshot line
    const char *snapshot;      //  The REST answer body
    size_t snapshot_length;    //  Its length
    size_t counts[S_CORPORA];  //  Timed frames per corpus
} s_capture_t;

//  One gateway instance: a core and its Binance adapter.
typedef struct {
    gw_settings_t settings;   //  What the core reads
    gw_core_t *core;          //  The core (its PUB socket)
    vb_md_t *md;              //  The adapter
    vb_md_request_t request;  //  Last REST request the adapter asked for
    bool requested;           //  request holds one
} s_gateway_t;

//  The floor's state: a parser, an encode buffer and a PUB.
typedef struct {
    vb_json_t *json;  //  Parser
    zsock_t *pub;     //  Bare PUB to the subscriber (NULL = no send)
    uint8_t *buffer;  //  Encode buffer
    int64_t *arrays;  //  Packed arrays: 4 x S_LEVELS_MAX
    uint64_t seq;     //  Header seq
    uint64_t sent;    //  Frames handed to ZeroMQ
} s_floor_t;

//  Control channel to the subscriber process.
typedef struct {
    pid_t pid;       //  Subscriber
    int to_child;    //  Write: uint64 target count
    int from_child;  //  Read: uint64 count reached
    uint64_t base;   //  Count at the end of the warm-up
    uint64_t sent;   //  Frames published to it since then
} s_subscriber_t;

//  --------------------------------------------------------------------------
//  CPU time of the whole process (every thread), ns.

static int64_t
s_cpu_ns (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return ((int64_t)usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000LL +
           ((int64_t)usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000LL;
}

//  --------------------------------------------------------------------------
//  Sorting for medians.

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double
s_median (const double *values, size_t count, double *min, double *max)
{
    double sorted[S_ROUNDS_MAX];
    memcpy (sorted, values, count * sizeof (double));
    qsort (sorted, count, sizeof (double), s_cmp_double);
    if (min)
        *min = sorted[0];
    if (max)
        *max = sorted[count - 1];
    return count % 2 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
}

//  --------------------------------------------------------------------------
//  Load the capture: "<recv ns> <frame>" per line.

static int
s_capture_load (s_capture_t *self, const char *path)
{
    memset (self, 0, sizeof (*self));
    size_t size;
    self->buffer = vb_bench_slurp (path, &size);
    if (!self->buffer)
        return -1;
    size_t lines = 0;
    for (size_t i = 0; i < size; i++)
        lines += self->buffer[i] == '\n';
    self->frames = (s_frame_t *)calloc (lines + 1, sizeof (s_frame_t));
    if (!self->frames)
        return -1;
    char *cursor = self->buffer, *end = self->buffer + size;
    while (cursor < end) {
        char *newline = memchr (cursor, '\n', (size_t)(end - cursor));
        char *line_end = newline ? newline : end;
        *line_end = 0;
        char *space = memchr (cursor, ' ', (size_t)(line_end - cursor));
        if (space) {
            const char *text = space + 1;
            size_t length = (size_t)(line_end - text);
            if (strncmp (text, S_SNAPSHOT_MARK, strlen (S_SNAPSHOT_MARK)) == 0) {
                self->snapshot = text;
                self->snapshot_length = length;
                self->prefix_count = self->frame_count;
            } else {
                s_frame_t *frame = &self->frames[self->frame_count];
                frame->text = text;
                frame->length = length;
                frame->recv_ns = strtoll (cursor, NULL, 10);
                if (strstr (text, "\"stream\":\"btcusdt@depth"))
                    frame->kind = S_DEPTH;
                else if (strstr (text, "\"stream\":\"btcusdt@trade\""))
                    frame->kind = S_TRADE;
                else if (strstr (text, "\"stream\":\"btcusdt@bookTicker\""))
                    frame->kind = S_BBO;
                else
                    return -1;
                if (self->snapshot) {
                    self->counts[S_MIX]++;
                    self->counts[S_ONLY_DEPTH + frame->kind]++;
                }
                self->frame_count++;
            }
        }
        cursor = line_end + 1;
    }
    return self->snapshot && self->counts[S_ONLY_DEPTH] ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  True when a timed frame belongs to a corpus.

static bool
s_in_corpus (const s_frame_t *frame, s_corpus_t corpus)
{
    return corpus == S_MIX || (int)frame->kind == (int)corpus - S_ONLY_DEPTH;
}

//  --------------------------------------------------------------------------
//  The subscriber process: SUB bound on ipc, subscribed to everything,
//  drains and counts; answers "reached target" on the control pipe.

static void
s_subscriber_run (const char *endpoint, int control_in, int control_out)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (!sub || zsock_bind (sub, "%s", endpoint) < 0)
        _exit (2);
    zsock_set_subscribe (sub, "");
    uint64_t ready = 0;
    if (write (control_out, &ready, sizeof ready) != sizeof ready)
        _exit (2);
    uint64_t count = 0, target = 0;
    bool waiting = false;
    zmq_msg_t message;
    zmq_msg_init (&message);
    zmq_pollitem_t items[2] = {{zsock_resolve (sub), 0, ZMQ_POLLIN, 0},
                               {NULL, control_in, ZMQ_POLLIN, 0}};
    while (true) {
        if (zmq_poll (items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            while (zmq_msg_recv (&message, zsock_resolve (sub), ZMQ_DONTWAIT) >= 0)
                count++;
        if (items[1].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
            if (read (control_in, &target, sizeof target) != sizeof target || target == S_STOP)
                break;
            waiting = true;
        }
        if (waiting && count >= target) {
            waiting = false;
            if (write (control_out, &count, sizeof count) != sizeof count)
                break;
        }
    }
    zmq_msg_close (&message);
    zsock_destroy (&sub);
    _exit (0);
}

//  --------------------------------------------------------------------------
//  Ask the subscriber for its count once it reached target. Returns the
//  count, or 0 on a timeout (a loss) or a broken pipe.

static uint64_t
s_subscriber_wait (s_subscriber_t *self, uint64_t target, int timeout_ms)
{
    if (write (self->to_child, &target, sizeof target) != sizeof target)
        return 0;
    struct pollfd item = {self->from_child, POLLIN, 0};
    if (poll (&item, 1, timeout_ms) != 1)
        return 0;
    uint64_t count;
    if (read (self->from_child, &count, sizeof count) != sizeof count)
        return 0;
    return count;
}

//  --------------------------------------------------------------------------
//  Wait until the subscriber holds everything sent so far; false on a loss.

static bool
s_drain (s_subscriber_t *self)
{
    uint64_t target = self->base + self->sent;
    uint64_t count = s_subscriber_wait (self, target, S_DRAIN_TIMEOUT_MS);
    if (count != target) {
        fprintf (stderr,
                 "bench_gateway: subscriber holds %" PRIu64 " of %" PRIu64 " messages: lost\n",
                 count, target);
        return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  The gateway's io: subscribe messages go nowhere, REST requests are kept
//  (the capture holds the answer).

static int
s_io_send (void *ctx, size_t index, const char *text, size_t length)
{
    (void)ctx;
    (void)index;
    (void)text;
    (void)length;
    return 0;
}

static int
s_io_rest (void *ctx, const vb_md_request_t *request)
{
    s_gateway_t *self = (s_gateway_t *)ctx;
    self->request = *request;
    self->requested = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  Create one gateway (core + Binance adapter) publishing to bus.

static int
s_gateway_new (s_gateway_t *self, const char *bus, size_t depth)
{
    memset (self, 0, sizeof (*self));
    gw_settings_t *settings = &self->settings;
    settings->venue = S_VENUE;
    snprintf (settings->symbols[0], GW_NAME_MAX, "%s", S_SYMBOL);
    settings->symbol_count = 1;
    settings->bus = bus;
    settings->depth = depth;
    settings->hwm = S_HWM;
    settings->status_interval_ms = S_STATUS_INTERVAL_MS;
    settings->max_deviation_bps = S_MAX_DEVIATION_BPS;
    settings->ts_tolerance_ms = S_TS_TOLERANCE_MS;
    settings->warnings_per_s = S_WARNINGS_PER_S;
    self->core = gw_core_new (settings);
    if (!self->core)
        return -1;
    gw_core_io_t io = {.ctx = self, .send = s_io_send, .rest = s_io_rest};
    gw_core_set_io (self->core, &io);
    const vb_md_ops_t *ops = vb_md_venue_find (S_VENUE);
    if (!ops)
        return -1;
    static const char *const symbols[] = {S_SYMBOL};
    vb_md_config_t config = {.symbols = symbols,
                             .symbol_count = 1,
                             .rest_url = "http://127.0.0.1:1",
                             .ws_url = "ws://127.0.0.1:1",
                             .futures_rest_url = "",
                             .futures_ws_url = "",
                             .book_depth = depth};
    char error[256] = "";
    self->md = ops->create (&config, gw_core_sink (self->core), error, sizeof error);
    if (!self->md) {
        fprintf (stderr, "bench_gateway: adapter: %s\n", error);
        return -1;
    }
    vb_md_connection_t connections[VB_MD_CONNECTIONS_MAX];
    size_t count = 0;
    if (ops->connections (self->md, connections, VB_MD_CONNECTIONS_MAX, &count) || count != 1)
        return -1;
    return 0;
}

static void
s_gateway_destroy (s_gateway_t *self)
{
    if (self->md)
        self->md->ops->destroy (&self->md);
    gw_core_destroy (&self->core);
}

//  --------------------------------------------------------------------------
//  Start the symbol afresh (reconnect), replay the prefix and the snapshot.

static int
s_gateway_prefix (s_gateway_t *self, const s_capture_t *capture)
{
    const vb_md_ops_t *ops = self->md->ops;
    ops->closed (self->md, 0);
    self->requested = false;
    int rc = ops->opened (self->md, 0);
    for (size_t i = 0; rc == 0 && i < capture->prefix_count; i++) {
        const s_frame_t *frame = &capture->frames[i];
        gw_core_set_recv_ts (self->core, frame->recv_ns);
        rc = ops->frame (self->md, 0, frame->text, frame->length, frame->recv_ns);
    }
    if (rc == 0 && !self->requested)
        rc = VB_ESTATE;
    if (rc == 0)
        rc = ops->rest_done (self->md, &self->request, 200, capture->snapshot,
                             capture->snapshot_length);
    if (rc == 0 && !gw_core_all_synced (self->core))
        rc = VB_ESTATE;
    if (rc)
        fprintf (stderr, "bench_gateway: prefix failed: %s\n", vb_strerror (rc));
    return rc;
}

//  --------------------------------------------------------------------------
//  The timed part: every frame of the corpus after the snapshot.

static int
s_gateway_timed (s_gateway_t *self, const s_capture_t *capture, s_corpus_t corpus)
{
    const vb_md_ops_t *ops = self->md->ops;
    for (size_t i = capture->prefix_count; i < capture->frame_count; i++) {
        const s_frame_t *frame = &capture->frames[i];
        if (!s_in_corpus (frame, corpus))
            continue;
        gw_core_set_recv_ts (self->core, frame->recv_ns);
        int rc = ops->frame (self->md, 0, frame->text, frame->length, frame->recv_ns);
        if (rc)
            return rc;
    }
    return gw_core_all_synced (self->core) ? 0 : VB_ESTATE;
}

//  --------------------------------------------------------------------------
//  Floor: read one decimal string.

static int
s_floor_decimal (vb_json_val_t *value, Venuebus__Decimal *out)
{
    vb_decimal_t decimal;
    int rc = vb_json_decimal (value, &decimal);
    if (rc == 0)
        vb_msg_decimal_set (out, decimal);
    return rc;
}

//  --------------------------------------------------------------------------
//  Floor: read one side of a depth diff into packed arrays (exponent -8,
//  Binance's scale; anything else is rescaled exactly).

static int
s_floor_levels (vb_json_val_t *array, int64_t *prices, int64_t *qtys, size_t *count)
{
    vb_json_iter_t levels, pair;
    vb_json_val_t level, value;
    int rc = vb_json_array_begin (array, &levels);
    *count = 0;
    while (rc == 0 && (rc = vb_json_array_next (&levels, &level)) == 1) {
        if (*count == S_LEVELS_MAX)
            return VB_ELIMIT;
        vb_decimal_t price, qty, scaled;
        rc = vb_json_array_begin (&level, &pair);
        if (rc == 0)
            rc = vb_json_array_next (&pair, &value) == 1 ? vb_json_decimal (&value, &price)
                                                         : VB_EINVAL;
        if (rc == 0)
            rc = vb_json_array_next (&pair, &value) == 1 ? vb_json_decimal (&value, &qty)
                                                         : VB_EINVAL;
        if (rc == 0)
            rc = vb_decimal_rescale (price, -8, &scaled);
        if (rc == 0) {
            prices[*count] = scaled.mantissa;
            rc = vb_decimal_rescale (qty, -8, &scaled);
        }
        if (rc == 0)
            qtys[(*count)++] = scaled.mantissa;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Floor: one frame, parse + extract in document order, one pack of the
//  same envelope the gateway publishes, and (with a PUB) a bare zmq_send.

static int
s_floor_one (s_floor_t *self, const s_frame_t *frame, const char *producer)
{
    vb_json_val_t root, value, data;
    vb_json_iter_t fields;
    const char *key;
    size_t key_length;
    int rc = vb_json_parse (self->json, frame->text, frame->length, &root);
    if (rc == 0)
        rc = vb_json_find (&root, "data", &data);
    if (rc == 0)
        rc = vb_json_object_begin (&data, &fields);
    if (rc)
        return rc;
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__BookDelta delta = VENUEBUS__BOOK_DELTA__INIT;
    Venuebus__Trade trade = VENUEBUS__TRADE__INIT;
    Venuebus__Bbo bbo = VENUEBUS__BBO__INIT;
    Venuebus__Decimal d[4];
    int64_t *bid_price = self->arrays, *bid_qty = bid_price + S_LEVELS_MAX;
    int64_t *ask_price = bid_qty + S_LEVELS_MAX, *ask_qty = ask_price + S_LEVELS_MAX;
    size_t bids = 0, asks = 0;
    char symbol[16] = "";
    const char *topic = NULL;
    int64_t ms = 0;
    uint64_t id = 0;
    bool flag;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        char k = key_length == 1 ? key[0] : 0;
        rc = 0;  //  Fields not read are skipped
        if (k == 's') {
            const char *text;
            size_t length;
            rc = vb_json_string (&value, &text, &length);
            if (rc == 0 && length < sizeof symbol) {
                memcpy (symbol, text, length);
                symbol[length] = 0;
            }
        } else if (frame->kind == S_DEPTH) {
            if (k == 'E')
                rc = vb_json_int64 (&value, &ms), header.exchange_ts_ns = ms * 1000000;
            else if (k == 'U')
                rc = vb_json_uint64 (&value, &delta.venue_seq_first);
            else if (k == 'u')
                rc = vb_json_uint64 (&value, &delta.venue_seq_last);
            else if (k == 'b')
                rc = s_floor_levels (&value, bid_price, bid_qty, &bids);
            else if (k == 'a')
                rc = s_floor_levels (&value, ask_price, ask_qty, &asks);
        } else if (frame->kind == S_TRADE) {
            if (k == 'E' || k == 'T')
                rc = vb_json_int64 (&value, &ms), header.exchange_ts_ns = ms * 1000000;
            else if (k == 't')
                rc = vb_json_uint64 (&value, &id);
            else if (k == 'p')
                rc = s_floor_decimal (&value, &d[0]);
            else if (k == 'q')
                rc = s_floor_decimal (&value, &d[1]);
            else if (k == 'm')
                rc = vb_json_bool (&value, &flag),
                trade.side = flag ? VENUEBUS__SIDE__SELL : VENUEBUS__SIDE__BUY;
        } else {
            if (k == 'u')
                rc = vb_json_uint64 (&value, &id);
            else if (k == 'b')
                rc = s_floor_decimal (&value, &d[0]);
            else if (k == 'B')
                rc = s_floor_decimal (&value, &d[1]);
            else if (k == 'a')
                rc = s_floor_decimal (&value, &d[2]);
            else if (k == 'A')
                rc = s_floor_decimal (&value, &d[3]);
        }
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    char trade_id[24];
    if (frame->kind == S_DEPTH) {
        delta.price_exponent = delta.qty_exponent = -8;
        delta.n_bid_price = delta.n_bid_qty = bids;
        delta.bid_price = bid_price;
        delta.bid_qty = bid_qty;
        delta.n_ask_price = delta.n_ask_qty = asks;
        delta.ask_price = ask_price;
        delta.ask_qty = ask_qty;
        envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
        envelope.book_delta = &delta;
        topic = "md.binance.BTC-USDT.book";
    } else if (frame->kind == S_TRADE) {
        snprintf (trade_id, sizeof trade_id, "%" PRIu64, id);
        trade.price = &d[0];
        trade.qty = &d[1];
        trade.trade_id = trade_id;
        envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
        envelope.trade = &trade;
        topic = "md.binance.BTC-USDT.trade";
    } else {
        bbo.bid_price = &d[0];
        bbo.bid_qty = &d[1];
        bbo.ask_price = &d[2];
        bbo.ask_qty = &d[3];
        envelope.body_case = VENUEBUS__ENVELOPE__BODY_BBO;
        envelope.bbo = &bbo;
        topic = "md.binance.BTC-USDT.bbo";
    }
    header.venue = (char *)S_VENUE;
    header.symbol = (char *)S_SYMBOL;
    header.seq = ++self->seq;
    header.recv_ts_ns = frame->recv_ns;
    header.producer = (char *)producer;
    header.topic = (char *)topic;
    header.publish_ts_ns = vb_clock_now_real_ns ();
    envelope.header = &header;
    int length = vb_msg_encode (topic, &envelope, self->buffer, S_FRAME_BUFFER);
    if (length < 0)
        return length;
    vb_bench_sink ((uint64_t)length + (uint64_t)symbol[0]);
    if (self->pub) {
        if (zmq_send (zsock_resolve (self->pub), self->buffer, (size_t)length, 0) != length)
            return VB_EIO;
        self->sent++;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Floor: every timed frame of the corpus.

static int
s_floor_timed (s_floor_t *self, const s_capture_t *capture, s_corpus_t corpus)
{
    for (size_t i = capture->prefix_count; i < capture->frame_count; i++) {
        const s_frame_t *frame = &capture->frames[i];
        if (!s_in_corpus (frame, corpus))
            continue;
        int rc = s_floor_one (self, frame, S_PRODUCER_FLOOR);
        if (rc) {
            fprintf (stderr, "bench_gateway: floor failed: %s on %.80s\n", vb_strerror (rc),
                     frame->text);
            return rc;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Run the ccxt side (one node process); fill ns per message per corpus.

static int
s_ccxt_run (const char *command, double out[S_CORPORA])
{
    FILE *pipe = popen (command, "r");
    if (!pipe)
        return -1;
    char line[512];
    int found = 0;
    while (fgets (line, sizeof line, pipe)) {
        char kind[S_LINE_MAX];
        unsigned long messages;
        double median;
        if (sscanf (line, "CCXT %63s %lu %lf", kind, &messages, &median) == 3) {
            for (int c = 0; c < S_CORPORA; c++)
                if (streq (kind, s_corpus_name[c])) {
                    out[c] = median;
                    found++;
                }
        } else if (strncmp (line, "ccxt ", 5) == 0)
            printf ("  %s", line);
    }
    int status = pclose (pipe);
    return status == 0 && found == S_CORPORA ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Print one row: median (min..max) ns per message and messages/s per core.

static double
s_row (const char *name, const double *values, size_t rounds)
{
    double min, max, median = s_median (values, rounds, &min, &max);
    printf ("  %-34s %8.0f ns/msg CPU  (%.0f..%.0f)  = %7.0f k msgs/s per core\n", name, median,
            min, max, S_NS_PER_SEC / median / 1000.0);
    return median;
}

static void
s_ratio (const char *name, const double *numerator, const double *denominator, size_t rounds,
         const char *target)
{
    double ratios[S_ROUNDS_MAX];
    for (size_t r = 0; r < rounds; r++)
        ratios[r] = numerator[r] / denominator[r];
    double min, max, median = s_median (ratios, rounds, &min, &max);
    printf ("  %-34s %6.2fx  (%.2f..%.2f)  %s\n", name, median, min, max, target);
}

static void
s_usage (void)
{
    fprintf (stderr, "usage: bench_gateway [--rounds N] [--passes N] [--depth N] [--ccxt DIR]\n"
                     "  --ccxt DIR: the ccxt package directory (node_modules/ccxt); runs\n"
                     "  bench/bench_ccxt.mjs with node between rounds\n");
}

int
main (int argc, char *argv[])
{
    int rounds = S_ROUNDS_DEFAULT, passes = S_PASSES_DEFAULT;
    size_t depth = S_DEPTH_DEFAULT;
    const char *ccxt = NULL;
    for (int i = 1; i < argc; i++) {
        if (streq (argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi (argv[++i]);
        else if (streq (argv[i], "--passes") && i + 1 < argc)
            passes = atoi (argv[++i]);
        else if (streq (argv[i], "--depth") && i + 1 < argc)
            depth = (size_t)atoi (argv[++i]);
        else if (streq (argv[i], "--ccxt") && i + 1 < argc)
            ccxt = argv[++i];
        else {
            s_usage ();
            return 2;
        }
    }
    if (rounds < 1 || rounds > S_ROUNDS_MAX || passes < 1 || depth < 1) {
        s_usage ();
        return 2;
    }
    s_capture_t capture;
    if (s_capture_load (&capture, S_CAPTURE)) {
        fprintf (stderr, "bench_gateway: cannot read %s\n", S_CAPTURE);
        return 1;
    }
    //  The subscriber is forked before any ZeroMQ context exists.
    char endpoint[128];
    snprintf (endpoint, sizeof endpoint, "ipc:///tmp/vb-bench-gateway-%d.ipc", (int)getpid ());
    int down[2], up[2];
    if (pipe (down) || pipe (up))
        return 1;
    s_subscriber_t subscriber = {0};
    subscriber.pid = fork ();
    if (subscriber.pid < 0)
        return 1;
    if (subscriber.pid == 0) {
        close (down[1]);
        close (up[0]);
        s_subscriber_run (endpoint, down[0], up[1]);
    }
    close (down[0]);
    close (up[1]);
    subscriber.to_child = down[1];
    subscriber.from_child = up[0];
    uint64_t ready;
    if (read (subscriber.from_child, &ready, sizeof ready) != sizeof ready)
        return 1;

    vb_log_set_level (VB_LOG_ERROR);
    vb_bench_calibrate ();
    printf ("capture: %zu frames after the snapshot (%zu depth, %zu trade, %zu bookTicker), "
            "%zu before it; depth %zu; %d rounds x %d passes\n",
            capture.counts[S_MIX], capture.counts[S_ONLY_DEPTH], capture.counts[S_ONLY_TRADE],
            capture.counts[S_ONLY_BBO], capture.prefix_count, depth, rounds, passes);

    //  The published gateway, the compute-only one (its PUB's only peer
    //  subscribes to nothing) and the floor's bare PUB.
    zsock_t *null_sub = zsock_new_sub ("@inproc://bench-gateway-null", NULL);
    s_gateway_t gateway, compute;
    int rc = s_gateway_new (&gateway, endpoint, depth);
    if (rc == 0)
        rc = s_gateway_new (&compute, "inproc://bench-gateway-null", depth);
    s_floor_t floor_ = {0};
    floor_.json = vb_json_new ();
    floor_.pub = zsock_new (ZMQ_PUB);
    floor_.buffer = (uint8_t *)malloc (S_FRAME_BUFFER);
    floor_.arrays = (int64_t *)malloc (4 * S_LEVELS_MAX * sizeof (int64_t));
    if (rc || !null_sub || !floor_.json || !floor_.pub || !floor_.buffer || !floor_.arrays) {
        fprintf (stderr, "bench_gateway: setup failed\n");
        return 1;
    }
    zsock_set_sndhwm (floor_.pub, S_HWM);
    zsock_set_linger (floor_.pub, 0);
    if (zsock_connect (floor_.pub, "%s", endpoint) < 0)
        return 1;
    s_floor_t floor_compute = floor_;
    floor_compute.pub = NULL;

    //  Warm-up: publish until the subscriber gets both PUBs' messages, then
    //  let it settle and take its count as the base.
    bool joined = false;
    for (int i = 0; i < S_PROBE_TRIES && !joined; i++) {
        uint64_t before = s_subscriber_wait (&subscriber, 0, S_DRAIN_TIMEOUT_MS);
        if (s_gateway_prefix (&gateway, &capture))
            return 1;
        zclock_sleep (S_PROBE_MS);
        uint64_t middle = s_subscriber_wait (&subscriber, 0, S_DRAIN_TIMEOUT_MS);
        if ((rc = s_floor_one (&floor_, &capture.frames[0], S_PRODUCER_FLOOR))) {
            fprintf (stderr, "bench_gateway: floor failed: %s\n", vb_strerror (rc));
            return 1;
        }
        zclock_sleep (S_PROBE_MS);
        uint64_t after = s_subscriber_wait (&subscriber, 0, S_DRAIN_TIMEOUT_MS);
        joined = middle > before && after > middle;
    }
    if (!joined) {
        fprintf (stderr, "bench_gateway: the subscriber never joined\n");
        return 1;
    }
    zclock_sleep (S_SETTLE_MS);
    subscriber.base = s_subscriber_wait (&subscriber, 0, S_DRAIN_TIMEOUT_MS);
    floor_.sent = 0;
    uint64_t published_base = gw_core_published (gateway.core);

    char command[1024] = "";
    if (ccxt)
        snprintf (command, sizeof command,
                  "node %s/bench_ccxt.mjs --ccxt '%s' --capture '%s' --repeats 5 --passes 5",
                  VB_BENCH_SOURCE_DIR, ccxt, S_CAPTURE);

    //  Per round, per corpus: ns per message.
    static double gw_ns[S_CORPORA][S_ROUNDS_MAX], compute_ns[S_CORPORA][S_ROUNDS_MAX];
    static double floor_ns[S_CORPORA][S_ROUNDS_MAX], floor_compute_ns[S_CORPORA][S_ROUNDS_MAX];
    static double ccxt_ns[S_CORPORA][S_ROUNDS_MAX], gw_wall_ns[S_CORPORA][S_ROUNDS_MAX];
    uint64_t published_timed[S_CORPORA] = {0};
    for (int round = -1; round < rounds; round++) {  //  Round -1 warms up
        for (int c = 0; c < S_CORPORA; c++) {
            s_corpus_t corpus = (s_corpus_t)c;
            double messages = (double)passes * (double)capture.counts[c];
            int64_t cpu = 0, wall = 0;
            //  Gateway, published.
            for (int p = 0; p < passes; p++) {
                if (s_gateway_prefix (&gateway, &capture))
                    return 1;
                subscriber.sent = gw_core_published (gateway.core) - published_base + floor_.sent;
                if (!s_drain (&subscriber))
                    return 1;
                uint64_t published0 = gw_core_published (gateway.core);
                int64_t cpu0 = s_cpu_ns (), wall0 = vb_clock_now_mono_ns ();
                if ((rc = s_gateway_timed (&gateway, &capture, corpus))) {
                    fprintf (stderr, "bench_gateway: gateway frame failed: %s\n", vb_strerror (rc));
                    return 1;
                }
                subscriber.sent = gw_core_published (gateway.core) - published_base + floor_.sent;
                if (!s_drain (&subscriber))
                    return 1;
                cpu += s_cpu_ns () - cpu0;
                wall += vb_clock_now_mono_ns () - wall0;
                if (round == 0)
                    published_timed[c] += gw_core_published (gateway.core) - published0;
            }
            if (round >= 0) {
                gw_ns[c][round] = (double)cpu / messages;
                gw_wall_ns[c][round] = (double)wall / messages;
            }
            //  Gateway, compute only.
            cpu = 0;
            for (int p = 0; p < passes; p++) {
                if (s_gateway_prefix (&compute, &capture))
                    return 1;
                int64_t cpu0 = s_cpu_ns ();
                if (s_gateway_timed (&compute, &capture, corpus))
                    return 1;
                cpu += s_cpu_ns () - cpu0;
            }
            if (round >= 0)
                compute_ns[c][round] = (double)cpu / messages;
            //  Floor, with the bare send.
            cpu = 0;
            for (int p = 0; p < passes; p++) {
                int64_t cpu0 = s_cpu_ns ();
                if (s_floor_timed (&floor_, &capture, corpus))
                    return 1;
                subscriber.sent = gw_core_published (gateway.core) - published_base + floor_.sent;
                if (!s_drain (&subscriber))
                    return 1;
                cpu += s_cpu_ns () - cpu0;
            }
            if (round >= 0)
                floor_ns[c][round] = (double)cpu / messages;
            //  Floor, compute only.
            cpu = 0;
            for (int p = 0; p < passes; p++) {
                int64_t cpu0 = s_cpu_ns ();
                if (s_floor_timed (&floor_compute, &capture, corpus))
                    return 1;
                cpu += s_cpu_ns () - cpu0;
            }
            if (round >= 0)
                floor_compute_ns[c][round] = (double)cpu / messages;
        }
        if (ccxt && round >= 0) {
            double ns[S_CORPORA];
            if (s_ccxt_run (command, ns)) {
                fprintf (stderr, "bench_gateway: ccxt run failed: %s\n", command);
                return 1;
            }
            for (int c = 0; c < S_CORPORA; c++)
                ccxt_ns[c][round] = ns[c];
        }
    }

    printf ("CPU per input frame, median of %d rounds (min..max); every thread of the gateway "
            "process (ZeroMQ I/O included); lossless: the subscriber held every message\n",
            rounds);
    for (int c = 0; c < S_CORPORA; c++) {
        printf ("%s (%zu frames per pass, %.0f messages published per pass):\n", s_corpus_name[c],
                capture.counts[c], (double)published_timed[c] / passes);
        s_row ("gateway (frame -> ipc subscriber)", gw_ns[c], (size_t)rounds);
        double wall = s_median (gw_wall_ns[c], (size_t)rounds, NULL, NULL);
        printf ("  %-34s %8.0f ns/msg wall (incl. final drain) = %7.0f k msgs/s\n", "gateway wall",
                wall, S_NS_PER_SEC / wall / 1000.0);
        s_row ("gateway compute (send filtered)", compute_ns[c], (size_t)rounds);
        s_row ("floor (parse + pack + zmq_send)", floor_ns[c], (size_t)rounds);
        s_row ("floor compute (parse + pack)", floor_compute_ns[c], (size_t)rounds);
        s_ratio ("gateway / floor", gw_ns[c], floor_ns[c], (size_t)rounds, "(target <= 1.25x)");
        s_ratio ("gateway compute / floor compute", compute_ns[c], floor_compute_ns[c],
                 (size_t)rounds, "");
        if (ccxt) {
            s_row ("ccxt JSON.parse + handleMessage", ccxt_ns[c], (size_t)rounds);
            const char *target = c == S_MIX ? "(target >= 10x)" : "";
            s_ratio ("ccxt / gateway (through publish)", ccxt_ns[c], gw_ns[c], (size_t)rounds,
                     target);
            target = c == S_ONLY_DEPTH   ? "(target >= 14x)"
                     : c == S_ONLY_TRADE ? "(target >= 40x)"
                                         : "";
            s_ratio ("ccxt / gateway compute", ccxt_ns[c], compute_ns[c], (size_t)rounds, target);
        }
    }
    printf ("targets per core (issue 4): mix >= 600 k msgs/s, depth >= 300 k msgs/s\n");

    uint64_t stop = S_STOP;
    if (write (subscriber.to_child, &stop, sizeof stop) != sizeof stop)
        kill (subscriber.pid, SIGTERM);
    waitpid (subscriber.pid, NULL, 0);
    s_gateway_destroy (&gateway);
    s_gateway_destroy (&compute);
    zsock_destroy (&floor_.pub);
    zsock_destroy (&null_sub);
    vb_json_destroy (&floor_.json);
    free (floor_.buffer);
    free (floor_.arrays);
    free (capture.frames);
    free (capture.buffer);
    return 0;
}
