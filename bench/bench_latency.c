/*  bench_latency.c — tick to strategy: from the sim writing a trade frame to a
    subscriber holding the decoded envelope, against bare ZeroMQ (issue 4).

    Per rate (about 1 kHz and 10 kHz of trade frames), a fresh stack of real
    processes (tests/support/vbt_proc.c): venuebus-sim (binance, synthetic
    flow at --actions-1k / --actions-10k actions per second), venuebus-bus and
    venuebus-gateway (BTC-USDT), every ZeroMQ endpoint ipc in a temp
    directory. The bench process holds:
    - a raw WebSocket client on the sim's btcusdt@trade stream (the stream the
      gateway also reads): the arrival time of each trade frame here stands for
      "the sim wrote it";
    - a SUB on the bus backend for md.binance.BTC-USDT.trade, decoding every
      frame with vb_msg: the arrival time of the decoded envelope.
    Both run in their own threads all the time and record only inside a
    round's window; a latency is the two times of one trade id (CLOCK_MONOTONIC,
    same process). The gateway path is sim -> WS (tcp) -> gateway -> ipc ->
    bus (XSUB/XPUB proxy) -> ipc -> subscriber: two ZeroMQ hops.

    Baselines, bare ZeroMQ with frames of the mean size of the gateway's trade
    frames, timed send -> recv (send time carried in the frame):
    - bare 1 hop: PUB -> SUB over ipc;
    - bare 2 hops: PUB -> the same venuebus-bus (a bare zmq_proxy) -> SUB.
    By default they run CONCURRENTLY with the gateway window: the raw WS
    thread sends one bare frame on each PUB the moment each trade frame
    arrives, so both baselines see the same trades at the same rate, with the
    same bursts (the sim runs its flow every 10 ms) and the same background
    load as the gateway path; a thread per bare SUB records the arrivals.
    With --replay they run instead after each gateway window, one after the
    other, replaying that window's raw-WS arrival schedule from a sender
    thread (the stack keeps running meanwhile, as background load).
    In concurrent mode one unreported warm-up window sets the frame size.

    Percentiles are nearest-rank over a window's samples; the summary gives the
    median of the rounds' figures and the per-round differences and ratios.
    Every child is tied to this process (PR_SET_PDEATHSIG) and is stopped on
    exit and on every error path.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vb_bench.h"
#include "vb_msg.h"
#include "vbt_proc.h"
#include "vbt_ws.h"

#define S_SECONDS_DEFAULT     5      //  Gateway window per round
#define S_ROUNDS_DEFAULT      3      //  Rounds per rate
#define S_ROUNDS_MAX          20     //  Rounds, at most
#define S_ACTIONS_1K_DEFAULT  1900   //  Sim actions/s giving about 1 kHz of trades
#define S_ACTIONS_10K_DEFAULT 19000  //  ... about 10 kHz
#define S_MARKET_PERCENT      50     //  Share of sim actions that are market orders
#define S_RATES               2      //  Rate levels measured
#define S_WAIT_MS             20000  //  Start-up bounds
#define S_POLL_MS             100    //  Reader threads check their stop flag this often
#define S_DRAIN_MS            500    //  After a window: wait this long for late envelopes
#define S_PROBE_MS            1      //  Bare sender: probe period until the subscriber hears
#define S_BARE_TAIL_MS        2000   //  Bare receiver: give up this long after the last send
#define S_LINE_MAX            512    //  Lines read from children
#define S_FRAME_MAX           4096   //  Largest bare frame
#define S_STAMPS_INITIAL      65536  //  Initial stamp capacity
#define S_NS_PER_MS           1000000
#define S_NS_PER_US           1000.0
#define S_NS_PER_S            1000000000
#define S_TARGET_P50_US       5.0  //  Issue 4: p50 within 5 us of bare
#define S_TARGET_P99_RATIO    1.3  //  Issue 4: p99 at most 1.3x bare
#define S_CPU_PROCS           4    //  sim, gateway, bus, bench: CPU use reported per window
#define S_SYMBOL              "BTC-USDT"
#define S_STREAM_PATH         "/ws/btcusdt@trade"
#define S_TOPIC               "md.binance.BTC-USDT.trade"
#define S_BARE_TOPIC          "bench.bare"

//  The three timed paths.
typedef enum { S_GATEWAY = 0, S_BARE1 = 1, S_BARE2 = 2, S_PATHS = 3 } s_path_t;
static const char *s_path_name[S_PATHS] = {"gateway (sim->ws->gw->bus->sub, decoded)",
                                           "bare PUB->SUB (1 hop, ipc)",
                                           "bare PUB->bus->SUB (2 hops, ipc)"};

typedef struct {
    int seconds;              //  Gateway window per round
    int rounds;               //  Rounds per rate
    int actions[S_RATES];     //  Sim actions/s for each rate level
    int market_percent;       //  Sim market-order share
    const char *sim_bin;      //  venuebus-sim
    const char *bus_bin;      //  venuebus-bus
    const char *gateway_bin;  //  venuebus-gateway
    bool replay;              //  Baselines replayed after the window instead of concurrent
} s_args_t;

//  One arrival: a trade id (or bare sequence) and a CLOCK_MONOTONIC time.
typedef struct {
    uint64_t id;  //  Trade id or bare sequence number
    int64_t ns;   //  Arrival (or send) time
} s_stamp_t;

//  A growable list of stamps.
typedef struct {
    s_stamp_t *items;  //  Stamps, in arrival order
    size_t count;      //  Used
    size_t capacity;   //  Allocated
} s_stamps_t;

//  A reader thread (raw WS or gateway SUB) that records inside a window.
typedef struct {
    pthread_t thread;             //  The thread
    pthread_mutex_t lock;         //  Guards window and stamps
    int64_t from_ns;              //  Record arrivals at or after this ...
    int64_t to_ns;                //  ... and before this (0: not recording)
    s_stamps_t stamps;            //  Recorded stamps
    size_t bytes;                 //  Gateway SUB: sum of frame sizes recorded
    atomic_bool stop;             //  Asks the thread to end
    atomic_int failed;            //  The thread hit an error (nonzero)
    bool running;                 //  The thread was started
    vbt_ws_t *ws;                 //  Raw WS reader: the connection
    zsock_t *sub;                 //  SUB reader: the socket
    zsock_t *pub[2];              //  Raw WS reader, concurrent baseline: bare PUBs (1 hop, 2 hops)
    atomic_size_t size;           //  ... their frame size (0: send nothing yet)
    vb_msg_t *decoder;            //  SUB reader: its decoder
    atomic_size_t decode_errors;  //  SUB reader: frames that did not decode
} s_reader_t;

//  A bare sender thread.
typedef struct {
    pthread_t thread;        //  The thread
    const char *endpoint;    //  Where the PUB goes ("@ipc://..." binds, ">ipc://..." connects)
    const int64_t *offsets;  //  Send times relative to the start
    size_t count;            //  Frames to send
    size_t size;             //  Frame size
    int64_t *sent_ns;        //  Send time of frame i (written by the sender)
    atomic_bool heard;       //  The receiver has seen a probe
    atomic_bool done;        //  The sender has sent everything
    atomic_int failed;       //  The sender hit an error
} s_sender_t;

//  Percentiles of one window.
typedef struct {
    size_t samples;  //  Matched samples
    size_t missing;  //  Sent (or written by the sim) but never received
    double p50_us;   //  Nearest-rank percentiles, microseconds
    double p99_us;
    double p999_us;
    double max_us;
} s_stats_t;

typedef struct {
    s_args_t args;
    char dir[64];     //  Temp directory of the ipc endpoints
    vbt_proc_t *sim;  //  The children
    vbt_proc_t *bus;
    vbt_proc_t *gateway;
    int sim_port;               //  The sim's port
    char front[128];            //  Bus frontend (XSUB) endpoint
    char back[128];             //  Bus backend (XPUB) endpoint
    char bare[128];             //  Bare 1-hop endpoint
    s_reader_t ws_reader;       //  Raw WS
    s_reader_t sub_reader;      //  Gateway SUB
    s_reader_t bare_reader[2];  //  Concurrent baseline: bare SUBs, 1 hop and 2 hops
    bool readers_running;       //  The reader threads were started
    zsock_t *bare_sub[2];       //  Replay baseline: bare SUBs, 1 hop and 2 hops
    double cpu[S_CPU_PROCS];    //  CPU use in the last gateway window, share of one core
} s_bench_t;

static s_bench_t *s_current;  //  For s_fail from anywhere

//  --------------------------------------------------------------------------
//  CLOCK_MONOTONIC now, in ns.

static int64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * S_NS_PER_S + now.tv_nsec;
}

//  --------------------------------------------------------------------------
//  Sleep until a CLOCK_MONOTONIC time (ns).

static void
s_sleep_until (int64_t when_ns)
{
    struct timespec at = {.tv_sec = when_ns / S_NS_PER_S, .tv_nsec = when_ns % S_NS_PER_S};
    while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
        ;  //  A signal: sleep on to the same absolute time
}

static void s_stack_stop (s_bench_t *self);

//  --------------------------------------------------------------------------
//  CPU time (user + system, seconds) a process has used, from /proc; -1 if unknown.

static double
s_cpu_seconds (pid_t pid)
{
    char path[64], text[1024];
    snprintf (path, sizeof (path), "/proc/%d/stat", (int)pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    size_t length = fread (text, 1, sizeof (text) - 1, file);
    fclose (file);
    text[length] = '\0';
    //  Fields after the command (which may hold spaces): state is field 3,
    //  utime field 14, stime field 15.
    const char *at = strrchr (text, ')');
    unsigned long long user = 0, system = 0;
    if (!at || sscanf (at + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &user,
                       &system) != 2)
        return -1;
    return (double)(user + system) / (double)sysconf (_SC_CLK_TCK);
}

//  The processes whose CPU use is reported per window.
static const char *s_cpu_name[S_CPU_PROCS] = {"sim", "gateway", "bus", "bench"};

//  --------------------------------------------------------------------------
//  Print what went wrong, stop every child, remove the temp directory, exit 1.

static void
s_fail (const char *what)
{
    s_bench_t *self = s_current;
    fprintf (stderr, "bench_latency: %s\n", what);
    if (self && self->gateway)
        fprintf (stderr, "gateway stderr (tail):\n%.4000s\n", vbt_proc_stderr (self->gateway));
    if (self && self->sim)
        fprintf (stderr, "sim stderr (tail):\n%.2000s\n", vbt_proc_stderr (self->sim));
    if (self)
        s_stack_stop (self);
    exit (1);
}

//  --------------------------------------------------------------------------
//  Append a stamp (the caller holds the reader's lock, or owns the list).

static void
s_stamps_add (s_stamps_t *self, uint64_t id, int64_t ns)
{
    if (self->count == self->capacity) {
        size_t capacity = self->capacity ? self->capacity * 2 : S_STAMPS_INITIAL;
        s_stamp_t *items = (s_stamp_t *)realloc (self->items, capacity * sizeof (s_stamp_t));
        if (!items) {
            fprintf (stderr, "bench_latency: out of memory\n");
            abort ();
        }
        self->items = items;
        self->capacity = capacity;
    }
    self->items[self->count++] = (s_stamp_t){.id = id, .ns = ns};
}

//  --------------------------------------------------------------------------
//  Record (id, value_ns) if at_ns falls inside the reader's window; returns
//  whether it did.

static bool
s_reader_record (s_reader_t *self, uint64_t id, int64_t at_ns, int64_t value_ns, size_t bytes)
{
    pthread_mutex_lock (&self->lock);
    bool inside = self->to_ns && at_ns >= self->from_ns && at_ns < self->to_ns;
    if (inside) {
        s_stamps_add (&self->stamps, id, value_ns);
        self->bytes += bytes;
    }
    pthread_mutex_unlock (&self->lock);
    return inside;
}

//  --------------------------------------------------------------------------
//  A bare frame: topic, NUL, the id, the send time, padding to `size`.

static size_t
s_bare_frame (uint8_t *frame, size_t size, uint64_t id, int64_t sent_ns)
{
    size_t topic = strlen (S_BARE_TOPIC) + 1;
    size_t least = topic + sizeof (id) + sizeof (sent_ns);
    if (size < least)
        size = least;
    if (size > S_FRAME_MAX)
        size = S_FRAME_MAX;
    memcpy (frame, S_BARE_TOPIC, topic);
    memcpy (frame + topic, &id, sizeof (id));
    memcpy (frame + topic + sizeof (id), &sent_ns, sizeof (sent_ns));
    return size;
}

//  --------------------------------------------------------------------------
//  Raw WS reader: every trade frame's id ("t") and arrival time.

static void *
s_ws_thread (void *arg)
{
    s_reader_t *self = (s_reader_t *)arg;
    while (!atomic_load (&self->stop)) {
        const char *text = NULL;
        size_t length = 0;
        int rc = vbt_ws_recv (self->ws, S_POLL_MS, &text, &length);
        int64_t now = s_now_ns ();
        if (rc == VBT_WS_TIMEOUT)
            continue;
        if (rc != VBT_WS_TEXT) {
            atomic_store (&self->failed, rc == VBT_WS_CLOSED ? 1 : 2);
            break;
        }
        const char *at = strstr (text, "\"t\":");
        if (!at || !strstr (text, "\"e\":\"trade\"")) {
            atomic_store (&self->failed, 3);
            break;
        }
        uint64_t id = strtoull (at + 4, NULL, 10);
        size_t size = atomic_load (&self->size);
        if (s_reader_record (self, id, now, now, length) && self->pub[0] && size) {
            //  Concurrent baseline: the same trade, the same moment, bare ZeroMQ.
            uint8_t frame[S_FRAME_MAX];
            memset (frame, 'x', sizeof (frame));
            for (int hop = 0; hop < 2; hop++) {
                size_t bytes = s_bare_frame (frame, size, id, s_now_ns ());
                if (zmq_send (zsock_resolve (self->pub[hop]), frame, bytes, 0) < 0)
                    atomic_store (&self->failed, 4);
            }
        }
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Bare SUB reader (concurrent baseline): records (id, latency) per frame.

static void *
s_bare_thread (void *arg)
{
    s_reader_t *self = (s_reader_t *)arg;
    void *socket = zsock_resolve (self->sub);
    zmq_pollitem_t item = {.socket = socket, .events = ZMQ_POLLIN};
    uint8_t frame[S_FRAME_MAX];
    size_t topic = strlen (S_BARE_TOPIC) + 1;
    while (!atomic_load (&self->stop)) {
        if (zmq_poll (&item, 1, S_POLL_MS) <= 0)
            continue;
        int bytes;
        while ((bytes = zmq_recv (socket, frame, sizeof (frame), ZMQ_DONTWAIT)) >= 0) {
            int64_t now = s_now_ns ();
            uint64_t id;
            int64_t sent_ns;
            if ((size_t)bytes < topic + sizeof (id) + sizeof (sent_ns))
                continue;
            memcpy (&id, frame + topic, sizeof (id));
            memcpy (&sent_ns, frame + topic + sizeof (id), sizeof (sent_ns));
            if (id)  //  0: a start-up probe
                s_reader_record (self, id, now, now - sent_ns, (size_t)bytes);
        }
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Gateway SUB reader: decode every frame, take the trade id of the envelope.

static void *
s_sub_thread (void *arg)
{
    s_reader_t *self = (s_reader_t *)arg;
    void *socket = zsock_resolve (self->sub);
    zmq_pollitem_t item = {.socket = socket, .events = ZMQ_POLLIN};
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    while (!atomic_load (&self->stop)) {
        if (zmq_poll (&item, 1, S_POLL_MS) <= 0)
            continue;
        while (zmq_msg_recv (&frame, socket, ZMQ_DONTWAIT) >= 0) {
            size_t size = zmq_msg_size (&frame);
            int rc = vb_msg_decode (self->decoder, (const uint8_t *)zmq_msg_data (&frame), size);
            int64_t now = s_now_ns ();
            const Venuebus__Envelope *envelope = rc == 0 ? vb_msg_envelope (self->decoder) : NULL;
            if (!envelope || envelope->body_case != VENUEBUS__ENVELOPE__BODY_TRADE ||
                !envelope->trade->trade_id) {
                atomic_fetch_add (&self->decode_errors, 1);
                continue;
            }
            s_reader_record (self, strtoull (envelope->trade->trade_id, NULL, 10), now, now, size);
        }
    }
    zmq_msg_close (&frame);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Open a recording window on a reader (clears what it held).

static void
s_reader_window (s_reader_t *self, int64_t from_ns, int64_t to_ns)
{
    pthread_mutex_lock (&self->lock);
    self->stamps.count = 0;
    self->bytes = 0;
    self->from_ns = from_ns;
    self->to_ns = to_ns;
    pthread_mutex_unlock (&self->lock);
}

//  --------------------------------------------------------------------------
//  Copy a reader's stamps out (after its window has passed).

static void
s_reader_take (s_reader_t *self, s_stamps_t *out, size_t *bytes)
{
    pthread_mutex_lock (&self->lock);
    out->count = 0;
    for (size_t i = 0; i < self->stamps.count; i++)
        s_stamps_add (out, self->stamps.items[i].id, self->stamps.items[i].ns);
    if (bytes)
        *bytes = self->bytes;
    self->to_ns = 0;
    pthread_mutex_unlock (&self->lock);
}

//  --------------------------------------------------------------------------
//  Percentiles of n latencies (ns, sorted in place), in us.

static s_stats_t
s_stats (int64_t *latencies, size_t n, size_t missing)
{
    s_stats_t stats = {.samples = n, .missing = missing};
    if (n == 0) {
        stats.p50_us = stats.p99_us = stats.p999_us = stats.max_us = NAN;
        return stats;
    }
    stats.p50_us = vb_bench_percentile (latencies, n, 0.50) / S_NS_PER_US;
    stats.p99_us = vb_bench_percentile (latencies, n, 0.99) / S_NS_PER_US;
    stats.p999_us = vb_bench_percentile (latencies, n, 0.999) / S_NS_PER_US;
    stats.max_us = (double)latencies[n - 1] / S_NS_PER_US;
    return stats;
}

//  --------------------------------------------------------------------------
//  qsort comparators: stamps by id, and size_t.

static int
s_compare_stamp_id (const void *a, const void *b)
{
    uint64_t x = ((const s_stamp_t *)a)->id, y = ((const s_stamp_t *)b)->id;
    return (x > y) - (x < y);
}

static int
s_compare_size (const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

//  --------------------------------------------------------------------------
//  Start the sim, the bus and the gateway for one rate; open both readers.

static void
s_stack_start (s_bench_t *self, int actions)
{
    memset (self->dir, 0, sizeof (self->dir));
    snprintf (self->dir, sizeof (self->dir), "/tmp/vb-bench-latency-XXXXXX");
    if (!mkdtemp (self->dir))
        s_fail ("mkdtemp failed");
    snprintf (self->front, sizeof (self->front), "ipc://%s/front", self->dir);
    snprintf (self->back, sizeof (self->back), "ipc://%s/back", self->dir);
    snprintf (self->bare, sizeof (self->bare), "ipc://%s/bare", self->dir);
    char snapshot[128], rate[16], market[16], rest_url[64], ws_url[64];
    snprintf (snapshot, sizeof (snapshot), "ipc://%s/snapshot", self->dir);
    snprintf (rate, sizeof (rate), "%d", actions);
    snprintf (market, sizeof (market), "%d", self->args.market_percent);

    char *sim_argv[] = {(char *)self->args.sim_bin,
                        "--venue",
                        "binance",
                        "--port",
                        "0",
                        "--seed",
                        "3",
                        "--rate",
                        rate,
                        "--market-percent",
                        market,
                        "--level",
                        "warning",
                        NULL};
    self->sim = vbt_proc_start (sim_argv[0], sim_argv, NULL);
    char line[S_LINE_MAX], value[32];
    if (!self->sim || vbt_proc_wait_line (self->sim, "ready ", S_WAIT_MS, line, sizeof (line)) ||
        vbt_line_value (line, "port", value, sizeof (value)))
        s_fail ("the sim did not start");
    self->sim_port = atoi (value);
    snprintf (rest_url, sizeof (rest_url), "http://127.0.0.1:%d", self->sim_port);
    snprintf (ws_url, sizeof (ws_url), "ws://127.0.0.1:%d", self->sim_port);

    char *bus_argv[] = {(char *)self->args.bus_bin,
                        "--frontend",
                        self->front,
                        "--backend",
                        self->back,
                        "--level",
                        "warning",
                        NULL};
    self->bus = vbt_proc_start (bus_argv[0], bus_argv, NULL);
    if (!self->bus || vbt_proc_wait_line (self->bus, "ready ", S_WAIT_MS, line, sizeof (line)))
        s_fail ("the bus did not start");

    char *gateway_argv[] = {(char *)self->args.gateway_bin,
                            "--venue",
                            "binance",
                            "--symbols",
                            S_SYMBOL,
                            "--bus",
                            self->front,
                            "--snapshot",
                            snapshot,
                            "--rest-url",
                            rest_url,
                            "--ws-url",
                            ws_url,
                            "--level",
                            "warning",
                            NULL};
    self->gateway = vbt_proc_start (gateway_argv[0], gateway_argv, NULL);
    if (!self->gateway ||
        vbt_proc_wait_line (self->gateway, "ready ", S_WAIT_MS, line, sizeof (line)))
        s_fail ("the gateway did not start");

    //  The raw WS client and the gateway SUB.
    int status = 0;
    self->ws_reader.ws =
        vbt_ws_connect ("127.0.0.1", self->sim_port, S_STREAM_PATH, S_WAIT_MS, &status);
    if (!self->ws_reader.ws)
        s_fail ("the raw WebSocket client could not connect to the sim");
    self->sub_reader.sub = zsock_new_sub (self->back, NULL);
    self->sub_reader.decoder = vb_msg_new ();
    if (!self->sub_reader.sub || !self->sub_reader.decoder ||
        vb_msg_subscribe_exact (self->sub_reader.sub, S_TOPIC) != 0)
        s_fail ("cannot open the gateway SUB");

    //  The bare subscribers: 1 hop on its own ipc endpoint, 2 hops on the bus.
    for (int hop = 0; hop < 2; hop++) {
        self->bare_sub[hop] = zsock_new (ZMQ_SUB);
        if (!self->bare_sub[hop] ||
            zsock_connect (self->bare_sub[hop], "%s", hop ? self->back : self->bare) != 0)
            s_fail ("cannot open the bare SUBs");
        zsock_set_subscribe (self->bare_sub[hop], S_BARE_TOPIC);
    }
    if (!self->args.replay) {
        //  Concurrent baseline: the WS reader's PUBs; probe until both SUBs
        //  hear (slow joiner), then hand the SUBs to their reader threads.
        self->ws_reader.pub[0] = zsock_new (ZMQ_PUB);
        self->ws_reader.pub[1] = zsock_new (ZMQ_PUB);
        if (!self->ws_reader.pub[0] || !self->ws_reader.pub[1] ||
            zsock_bind (self->ws_reader.pub[0], "%s", self->bare) != 0 ||
            zsock_connect (self->ws_reader.pub[1], "%s", self->front) != 0)
            s_fail ("cannot open the bare PUBs");
        for (int hop = 0; hop < 2; hop++) {
            uint8_t frame[S_FRAME_MAX];
            int64_t deadline = s_now_ns () + (int64_t)S_WAIT_MS * S_NS_PER_MS;
            while (true) {
                size_t bytes = s_bare_frame (frame, 0, 0, s_now_ns ());
                zmq_send (zsock_resolve (self->ws_reader.pub[hop]), frame, bytes, ZMQ_DONTWAIT);
                zmq_pollitem_t item = {.socket = zsock_resolve (self->bare_sub[hop]),
                                       .events = ZMQ_POLLIN};
                if (zmq_poll (&item, 1, S_PROBE_MS) > 0)
                    break;
                if (s_now_ns () > deadline)
                    s_fail ("the bare SUB never heard the bare PUB");
            }
        }
        for (int hop = 0; hop < 2; hop++) {
            s_reader_t *reader = &self->bare_reader[hop];
            reader->sub = self->bare_sub[hop];
            self->bare_sub[hop] = NULL;
        }
    }

    //  The reader threads, running until the stack stops.
    s_reader_t *readers[] = {&self->ws_reader, &self->sub_reader, &self->bare_reader[0],
                             &self->bare_reader[1]};
    void *(*threads[]) (void *) = {s_ws_thread, s_sub_thread, s_bare_thread, s_bare_thread};
    for (size_t which = 0; which < sizeof (readers) / sizeof (readers[0]); which++) {
        s_reader_t *reader = readers[which];
        pthread_mutex_init (&reader->lock, NULL);
        atomic_store (&reader->stop, false);
        atomic_store (&reader->failed, 0);
        reader->to_ns = 0;
        reader->stamps.count = 0;
        reader->running = false;
        if (which >= 2 && !reader->sub)
            continue;
        if (pthread_create (&reader->thread, NULL, threads[which], reader))
            s_fail ("pthread_create failed");
        reader->running = true;
    }
    self->readers_running = true;

    //  Warm-up: the first decoded trade envelope (books sync meanwhile).
    int64_t deadline = s_now_ns () + (int64_t)S_WAIT_MS * S_NS_PER_MS;
    s_stamps_t seen = {0};
    while (seen.count == 0) {
        if (s_now_ns () > deadline)
            s_fail ("no trade envelope from the gateway");
        s_reader_window (&self->sub_reader, s_now_ns (), INT64_MAX);
        zclock_sleep (S_POLL_MS);  //  Start-up only: waits for the first trade, not timed
        s_reader_take (&self->sub_reader, &seen, NULL);
    }
    free (seen.items);
}

//  --------------------------------------------------------------------------
//  Stop the readers and every child; remove the temp directory. Idempotent.

static void
s_stack_stop (s_bench_t *self)
{
    s_reader_t *readers[] = {&self->ws_reader, &self->sub_reader, &self->bare_reader[0],
                             &self->bare_reader[1]};
    for (size_t which = 0; which < sizeof (readers) / sizeof (readers[0]); which++) {
        s_reader_t *reader = readers[which];
        if (self->readers_running) {
            if (reader->running) {
                atomic_store (&reader->stop, true);
                pthread_join (reader->thread, NULL);
                reader->running = false;
            }
            pthread_mutex_destroy (&reader->lock);
        }
        free (reader->stamps.items);
        reader->stamps = (s_stamps_t){0};
        zsock_destroy (&reader->sub);
        zsock_destroy (&reader->pub[0]);
        zsock_destroy (&reader->pub[1]);
        atomic_store (&reader->size, 0);
    }
    self->readers_running = false;
    vbt_ws_destroy (&self->ws_reader.ws);
    vb_msg_destroy (&self->sub_reader.decoder);
    zsock_destroy (&self->bare_sub[0]);
    zsock_destroy (&self->bare_sub[1]);
    if (self->gateway)
        vbt_proc_stop (&self->gateway, S_WAIT_MS);
    if (self->bus)
        vbt_proc_stop (&self->bus, S_WAIT_MS);
    if (self->sim)
        vbt_proc_stop (&self->sim, S_WAIT_MS);
    if (self->dir[0]) {
        char command[128];
        snprintf (command, sizeof (command), "rm -rf '%s'", self->dir);
        if (system (command) != 0)
            fprintf (stderr, "bench_latency: cannot remove %s\n", self->dir);
        self->dir[0] = '\0';
    }
}

//  --------------------------------------------------------------------------
//  Bare sender: probe until heard, then send on the schedule.

static void *
s_sender_thread (void *arg)
{
    s_sender_t *self = (s_sender_t *)arg;
    zsock_t *pub = zsock_new (ZMQ_PUB);
    if (!pub || zsock_attach (pub, self->endpoint, self->endpoint[0] == '@') != 0) {
        atomic_store (&self->failed, 1);
        zsock_destroy (&pub);
        atomic_store (&self->done, true);
        return NULL;
    }
    void *socket = zsock_resolve (pub);
    uint8_t frame[S_FRAME_MAX];
    memset (frame, 'x', sizeof (frame));
    size_t topic = strlen (S_BARE_TOPIC) + 1;
    memcpy (frame, S_BARE_TOPIC, topic);  //  Topic and its NUL
    uint64_t sequence = 0;                //  0: a probe
    while (!atomic_load (&self->heard)) {
        memcpy (frame + topic, &sequence, sizeof (sequence));
        zmq_send (socket, frame, self->size, ZMQ_DONTWAIT);
        zclock_sleep (S_PROBE_MS);  //  Slow-joiner probe period, before timing starts
    }
    int64_t start = s_now_ns ();
    for (size_t i = 0; i < self->count; i++) {
        s_sleep_until (start + self->offsets[i]);
        sequence = i + 1;
        memcpy (frame + topic, &sequence, sizeof (sequence));
        self->sent_ns[i] = s_now_ns ();
        if (zmq_send (socket, frame, self->size, 0) < 0)
            atomic_store (&self->failed, 2);
    }
    atomic_store (&self->done, true);
    zsock_set_linger (pub, S_BARE_TAIL_MS);  //  Frames still queued are delivered
    zsock_destroy (&pub);
    return NULL;
}

//  --------------------------------------------------------------------------
//  One bare window: send `count` frames of `size` bytes on the schedule.

static s_stats_t
s_bare (s_bench_t *self, int hops, const int64_t *offsets, size_t count, size_t size)
{
    char endpoint[160];
    snprintf (endpoint, sizeof (endpoint), "%c%s", hops == 1 ? '@' : '>',
              hops == 1 ? self->bare : self->front);
    size_t topic = strlen (S_BARE_TOPIC) + 1;
    if (size < topic + sizeof (uint64_t))
        size = topic + sizeof (uint64_t);
    if (size > S_FRAME_MAX)
        size = S_FRAME_MAX;
    s_sender_t sender = {.endpoint = endpoint, .offsets = offsets, .count = count, .size = size};
    sender.sent_ns = (int64_t *)calloc (count ? count : 1, sizeof (int64_t));
    int64_t *received_ns = (int64_t *)calloc (count ? count : 1, sizeof (int64_t));
    if (!sender.sent_ns || !received_ns)
        s_fail ("out of memory");
    atomic_store (&sender.heard, false);
    atomic_store (&sender.done, false);
    atomic_store (&sender.failed, 0);
    if (pthread_create (&sender.thread, NULL, s_sender_thread, &sender))
        s_fail ("pthread_create failed");

    void *socket = zsock_resolve (self->bare_sub[hops - 1]);
    zmq_pollitem_t item = {.socket = socket, .events = ZMQ_POLLIN};
    uint8_t frame[S_FRAME_MAX];
    size_t received = 0;
    int64_t quiet_since = 0;
    while (received < count) {
        if (zmq_poll (&item, 1, S_POLL_MS) > 0) {
            int bytes = zmq_recv (socket, frame, sizeof (frame), ZMQ_DONTWAIT);
            int64_t now = s_now_ns ();
            if (bytes < (int)(topic + sizeof (uint64_t)))
                continue;
            uint64_t sequence;
            memcpy (&sequence, frame + topic, sizeof (sequence));
            if (sequence == 0)
                atomic_store (&sender.heard, true);
            else if (sequence <= count && received_ns[sequence - 1] == 0) {
                received_ns[sequence - 1] = now;
                received++;
            }
            continue;
        }
        if (!atomic_load (&sender.done))
            continue;
        if (quiet_since == 0)
            quiet_since = s_now_ns ();
        else if (s_now_ns () - quiet_since > (int64_t)S_BARE_TAIL_MS * S_NS_PER_MS)
            break;
    }
    pthread_join (sender.thread, NULL);
    if (atomic_load (&sender.failed))
        s_fail ("the bare sender failed");
    //  Late probes may still sit in the SUB: drop them.
    while (zmq_recv (socket, frame, sizeof (frame), ZMQ_DONTWAIT) >= 0)
        ;
    int64_t *latencies = (int64_t *)calloc (count ? count : 1, sizeof (int64_t));
    if (!latencies)
        s_fail ("out of memory");
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (received_ns[i])
            latencies[n++] = received_ns[i] - sender.sent_ns[i];
    s_stats_t stats = s_stats (latencies, n, count - n);
    free (latencies);
    free (received_ns);
    free (sender.sent_ns);
    return stats;
}

//  --------------------------------------------------------------------------
//  One gateway window: record both readers for `seconds`, pair by trade id.
//  Returns the stats; *schedule gets the raw-WS arrival offsets, *size the
//  mean bus frame size, *rate the trade frames per second written.

static s_stats_t
s_gateway (s_bench_t *self, int64_t **schedule, size_t *schedule_count, size_t *size, double *rate,
           s_stats_t bare[2])
{
    int64_t from = s_now_ns ();
    int64_t to = from + (int64_t)self->args.seconds * S_NS_PER_S;
    //  Envelopes and bare frames may arrive after `to` for frames written before it.
    int64_t late = to + (int64_t)S_DRAIN_MS * S_NS_PER_MS;
    s_reader_window (&self->sub_reader, from, late);
    s_reader_window (&self->bare_reader[0], from, late);
    s_reader_window (&self->bare_reader[1], from, late);
    s_reader_window (&self->ws_reader, from, to);
    pid_t pids[S_CPU_PROCS] = {vbt_proc_pid (self->sim), vbt_proc_pid (self->gateway),
                               vbt_proc_pid (self->bus), getpid ()};
    double cpu_before[S_CPU_PROCS];
    for (int i = 0; i < S_CPU_PROCS; i++)
        cpu_before[i] = s_cpu_seconds (pids[i]);
    s_sleep_until (to);
    for (int i = 0; i < S_CPU_PROCS; i++)
        self->cpu[i] = (s_cpu_seconds (pids[i]) - cpu_before[i]) * S_NS_PER_S / (double)(to - from);
    s_sleep_until (to + (int64_t)S_DRAIN_MS * S_NS_PER_MS + (int64_t)S_POLL_MS * S_NS_PER_MS);
    if (atomic_load (&self->ws_reader.failed) || atomic_load (&self->sub_reader.failed))
        s_fail ("a reader thread failed (WS closed or an unexpected frame)");
    s_stamps_t ws = {0}, sub = {0};
    size_t bytes = 0;
    s_reader_take (&self->ws_reader, &ws, NULL);
    s_reader_take (&self->sub_reader, &sub, &bytes);
    if (ws.count == 0)
        s_fail ("no trade frame on the raw WebSocket during the window");

    //  Size: the mean bus frame of the window (trade frames vary by a few bytes).
    *size = sub.count ? bytes / sub.count : 0;
    *rate = (double)ws.count * S_NS_PER_S / (double)(to - from);
    *schedule = (int64_t *)calloc (ws.count, sizeof (int64_t));
    if (!*schedule)
        s_fail ("out of memory");
    for (size_t i = 0; i < ws.count; i++)
        (*schedule)[i] = ws.items[i].ns - ws.items[0].ns;
    *schedule_count = ws.count;

    //  Pair by trade id; ids in the WS window that never came through count as missing.
    qsort (sub.items, sub.count, sizeof (s_stamp_t), s_compare_stamp_id);
    int64_t *latencies = (int64_t *)calloc (ws.count, sizeof (int64_t));
    if (!latencies)
        s_fail ("out of memory");
    size_t n = 0;
    for (size_t i = 0; i < ws.count; i++) {
        s_stamp_t key = {.id = ws.items[i].id};
        const s_stamp_t *found = (const s_stamp_t *)bsearch (
            &key, sub.items, sub.count, sizeof (s_stamp_t), s_compare_stamp_id);
        if (found)
            latencies[n++] = found->ns - ws.items[i].ns;
    }
    s_stats_t stats = s_stats (latencies, n, ws.count - n);
    if (self->bare_reader[0].running)
        atomic_store (&self->ws_reader.size, *size);  //  From now on, bare frames of this size

    //  Concurrent baseline: each bare reader holds (id, latency) per frame.
    for (int hop = 0; hop < 2; hop++) {
        s_stamps_t got = {0};
        s_reader_take (&self->bare_reader[hop], &got, NULL);
        size_t count = got.count < ws.count ? got.count : ws.count;
        for (size_t i = 0; i < count; i++)
            latencies[i] = got.items[i].ns;
        bare[hop] = s_stats (latencies, count, ws.count - count);
        free (got.items);
    }
    free (latencies);
    free (ws.items);
    free (sub.items);
    return stats;
}

//  --------------------------------------------------------------------------
//  Print one path's figures of one window.

static void
s_print_stats (const char *label, s_stats_t stats)
{
    printf ("  %-44s n=%-6zu missing=%-4zu p50 %8.1f us  p99 %8.1f us  p99.9 %8.1f us  max "
            "%8.1f us\n",
            label, stats.samples, stats.missing, stats.p50_us, stats.p99_us, stats.p999_us,
            stats.max_us);
}

//  --------------------------------------------------------------------------
//  One rate level: a fresh stack, rounds of gateway + bare 1 hop + bare 2 hops.

static void
s_level (s_bench_t *self, int level)
{
    int actions = self->args.actions[level];
    printf ("\n== rate level %d: sim --rate %d --market-percent %d (BTC-USDT), %d s windows, "
            "%d rounds\n",
            level + 1, actions, self->args.market_percent, self->args.seconds, self->args.rounds);
    fflush (stdout);
    s_stack_start (self, actions);
    s_stats_t all[S_ROUNDS_MAX][S_PATHS];
    double rates[S_ROUNDS_MAX];
    size_t sizes[S_ROUNDS_MAX];
    if (!self->args.replay) {
        //  A warm-up window, not reported: it sets the bare frame size.
        int64_t *schedule = NULL;
        size_t count = 0, size = 0;
        double rate = 0;
        s_stats_t bare[2];
        s_gateway (self, &schedule, &count, &size, &rate, bare);
        free (schedule);
        printf ("warm-up window: %.0f trade frames/s, bus frame %zu B\n", rate, size);
    }
    for (int round = 0; round < self->args.rounds; round++) {
        int64_t *schedule = NULL;
        size_t count = 0, size = 0;
        s_stats_t bare[2];
        all[round][S_GATEWAY] = s_gateway (self, &schedule, &count, &size, &rates[round], bare);
        sizes[round] = size;
        if (self->args.replay) {
            all[round][S_BARE1] = s_bare (self, 1, schedule, count, size);
            all[round][S_BARE2] = s_bare (self, 2, schedule, count, size);
        } else {
            all[round][S_BARE1] = bare[0];
            all[round][S_BARE2] = bare[1];
        }
        free (schedule);
        printf ("round %d: achieved %.0f trade frames/s (%zu in the window), bus frame %zu B, "
                "gateway decode errors %zu\n",
                round + 1, rates[round], count, size,
                atomic_load (&self->sub_reader.decode_errors));
        printf ("  CPU in the window (share of one core; 2 cores in all):");
        for (int i = 0; i < S_CPU_PROCS; i++)
            printf (" %s %.0f%%", s_cpu_name[i], self->cpu[i] * 100);
        printf ("\n");
        for (int path = 0; path < S_PATHS; path++)
            s_print_stats (s_path_name[path], all[round][path]);
        fflush (stdout);
    }

    //  Summary: medians of the rounds' figures; differences and ratios per round.
    int rounds = self->args.rounds;
    double values[S_ROUNDS_MAX];
    for (int i = 0; i < rounds; i++)
        values[i] = rates[i];
    double rate = vb_bench_median (values, (size_t)rounds);
    qsort (sizes, (size_t)rounds, sizeof (size_t), s_compare_size);
    printf ("summary level %d: achieved %.0f trade frames/s (median of rounds), frame %zu B\n",
            level + 1, rate, sizes[rounds / 2]);
    for (int path = 0; path < S_PATHS; path++) {
        double p50[S_ROUNDS_MAX], p99[S_ROUNDS_MAX], p999[S_ROUNDS_MAX];
        size_t missing = 0;
        for (int i = 0; i < rounds; i++) {
            p50[i] = all[i][path].p50_us;
            p99[i] = all[i][path].p99_us;
            p999[i] = all[i][path].p999_us;
            missing += all[i][path].missing;
        }
        printf ("  %-44s p50 %8.1f us  p99 %8.1f us  p99.9 %8.1f us  (missing %zu)\n",
                s_path_name[path], vb_bench_median (p50, (size_t)rounds),
                vb_bench_median (p99, (size_t)rounds), vb_bench_median (p999, (size_t)rounds),
                missing);
    }
    for (int bare = S_BARE1; bare <= S_BARE2; bare++) {
        double difference[S_ROUNDS_MAX], ratio[S_ROUNDS_MAX];
        for (int i = 0; i < rounds; i++) {
            difference[i] = all[i][S_GATEWAY].p50_us - all[i][bare].p50_us;
            ratio[i] = all[i][S_GATEWAY].p99_us / all[i][bare].p99_us;
        }
        double low_d = INFINITY, high_d = -INFINITY, low_r = INFINITY, high_r = -INFINITY;
        for (int i = 0; i < rounds; i++) {
            low_d = fmin (low_d, difference[i]);
            high_d = fmax (high_d, difference[i]);
            low_r = fmin (low_r, ratio[i]);
            high_r = fmax (high_r, ratio[i]);
        }
        double d = vb_bench_median (difference, (size_t)rounds),
               r = vb_bench_median (ratio, (size_t)rounds);
        const char *name = bare == S_BARE1 ? "bare 1 hop" : "bare 2 hops";
        printf ("  vs %-11s p50 gateway - bare = %+.1f us (%+.1f..%+.1f), target <= %.0f us: %s\n",
                name, d, low_d, high_d, S_TARGET_P50_US, d <= S_TARGET_P50_US ? "met" : "NOT met");
        printf ("  vs %-11s p99 gateway / bare = %.2fx (%.2f..%.2f), target <= %.1fx: %s\n", name,
                r, low_r, high_r, S_TARGET_P99_RATIO, r <= S_TARGET_P99_RATIO ? "met" : "NOT met");
    }
    fflush (stdout);
    s_stack_stop (self);
}

//  --------------------------------------------------------------------------

//  --------------------------------------------------------------------------
//  An integer option in low..high, or exit 2.

static int
s_int_arg (const char *name, const char *value, int low, int high)
{
    char *end = NULL;
    long number = value ? strtol (value, &end, 10) : 0;
    if (!value || *end || number < low || number > high) {
        fprintf (stderr, "bench_latency: %s wants an integer in %d..%d\n", name, low, high);
        exit (2);
    }
    return (int)number;
}

//  --------------------------------------------------------------------------
//  Options, calibration, then each rate level.

int
main (int argc, char *argv[])
{
    s_bench_t bench = {
        .args = {.seconds = S_SECONDS_DEFAULT,
                 .rounds = S_ROUNDS_DEFAULT,
                 .actions = {S_ACTIONS_1K_DEFAULT, S_ACTIONS_10K_DEFAULT},
                 .market_percent = S_MARKET_PERCENT,
                 .sim_bin = getenv ("VB_SIM_BIN") ? getenv ("VB_SIM_BIN") : VB_BENCH_SIM_BIN,
                 .bus_bin = getenv ("VB_BUS_BIN") ? getenv ("VB_BUS_BIN") : VB_BENCH_BUS_BIN,
                 .gateway_bin =
                     getenv ("VB_GATEWAY_BIN") ? getenv ("VB_GATEWAY_BIN") : VB_BENCH_GATEWAY_BIN}};
    int only = -1;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (streq (argv[i], "--seconds"))
            bench.args.seconds = s_int_arg (argv[i], value, 1, 3600);
        else if (streq (argv[i], "--rounds"))
            bench.args.rounds = s_int_arg (argv[i], value, 1, S_ROUNDS_MAX);
        else if (streq (argv[i], "--actions-1k"))
            bench.args.actions[0] = s_int_arg (argv[i], value, 1, 1000000);
        else if (streq (argv[i], "--actions-10k"))
            bench.args.actions[1] = s_int_arg (argv[i], value, 1, 1000000);
        else if (streq (argv[i], "--market-percent"))
            bench.args.market_percent = s_int_arg (argv[i], value, 1, 100);
        else if (streq (argv[i], "--replay")) {
            bench.args.replay = true;
            continue;
        } else if (streq (argv[i], "--only"))
            only = s_int_arg (argv[i], value, 1, S_RATES) - 1;
        else if (streq (argv[i], "--sim") && value)
            bench.args.sim_bin = value;
        else if (streq (argv[i], "--bus") && value)
            bench.args.bus_bin = value;
        else if (streq (argv[i], "--gateway") && value)
            bench.args.gateway_bin = value;
        else {
            fprintf (
                stderr,
                "usage: bench_latency [--seconds S] [--rounds N] [--actions-1k A] "
                "[--actions-10k A]\n"
                "                     [--market-percent P] [--only 1|2] [--replay] [--sim PATH] "
                "[--bus PATH] [--gateway PATH]\n");
            return 2;
        }
        i++;
    }
    zsys_init ();
    zsys_set_linger (0);
    s_current = &bench;
    vb_bench_calibrate ();
    printf ("tick to strategy over ipc: sim %s, bus %s, gateway %s\n", bench.args.sim_bin,
            bench.args.bus_bin, bench.args.gateway_bin);
    for (int level = 0; level < S_RATES; level++)
        if (only < 0 || only == level)
            s_level (&bench, level);
    s_current = NULL;
    return 0;
}
