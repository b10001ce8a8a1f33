/*  vb_sub.h — a bus subscriber for strategies: sequence tracking, verified
    books and self-recovery through gateway snapshots (the Clone pattern).

    Usage:

        vb_sub_t *sub = vb_sub_new ("tcp://127.0.0.1:5556");     //  bus backend
        vb_sub_add_gateway (sub, "binance", "tcp://127.0.0.1:5560");
        vb_sub_subscribe (sub, "md.binance.BTC-USDT.book");
        vb_sub_subscribe (sub, "md.binance.BTC-USDT.trade");
        vb_sub_event_t event;
        while (vb_sub_recv (sub, 1000, &event) == 0)
            if (event.type == VB_SUB_EVENT_BOOK && event.in_sync)
                ... read event.book (vb_book.h) ...

    A strategy that polls its own sockets too puts vb_sub_sockets in its
    zpoller, waits at most vb_sub_timeout_ms, and whenever one of them is
    ready (or the wait timed out) drains with vb_sub_recv (sub, 0, &event)
    until it returns VB_EAGAIN. The object is single-threaded: the caller
    owns it and drives it; nothing happens between calls.

    Sequence (proto/README.md "Sequence contract"): the library keeps the
    last header.seq of every topic it receives.
    - The first message of a topic with seq > 1 (a late join), and any jump
      (seq > last + 1), is a gap: counted and reported as a
      VB_SUB_EVENT_GAP (expected_seq 0 for a late join), before the message
      itself.
    - seq <= last is a duplicate, or a frame older than a snapshot the
      library installed: counted and dropped. Except seq 1, which means the
      publisher restarted: reported as a gap and tracked from 1 again.
    - seq 0 (unset) is refused as a bad frame.

    Books: every md.<venue>.<SYMBOL>.book topic received gets a vb_book_t
    owned by the library. A book_snapshot (on the bus, or requested) replaces
    it; a book_delta in sequence is applied to it (qty 0 removes a level),
    the whole message first and then truncated to the snapshot's depth, as
    the gateway does, so the two books stay equal level for level. After a
    gap the book is out of sync and recovery starts:
    1. request "SNAPSHOT <topic>" from the topic's venue gateway over a
       DEALER (gw_snapshot.h); meanwhile the live deltas are buffered (at
       most vb_sub_set_buffer_max frames; on overflow the buffer is dropped
       and the snapshot asked again);
    2. the reply's header.seq is the last seq published on the topic: the
       library installs the snapshot, then applies the buffered deltas with
       a larger seq, which must follow it without a hole (else it asks
       again), and from then on drops bus frames at or below that seq;
    3. no reply within the snapshot timeout, "ERROR not-synced", or any
       other error: ask again after a vb_backoff delay (full jitter, base
       VB_SUB_RETRY_BASE_MS, cap VB_SUB_RETRY_CAP_MS);
    4. a book_snapshot on the bus (the gateway publishes one after each of
       its own resyncs) installs at once and ends any recovery.
    A status message (md.<venue>.<SYMBOL>.status) whose book_state is
    RESYNCING or STALE marks the symbol's book out of sync until the next
    snapshot. Subscribing to an exact .book topic also subscribes to its
    .status topic for this reason; those status messages are delivered as
    events like any other.

    Gateways and shards: vb_sub_add_gateway may be called several times per
    venue (one per symbol shard). A book topic's request goes to the
    endpoint that last answered for it; the first time, the venue's
    endpoints are asked in the order added, moving on at each
    "ERROR unknown-topic", until one knows the topic (then remembered). When
    every endpoint says unknown-topic the round starts again after a
    backoff delay. A venue with no gateway has books that only recover from
    snapshots published on the bus.

    Replies are matched to topics by their content (the topic in the reply
    frame or in the error's detail), so a late reply to an earlier request
    is still used if it helps and ignored otherwise; no socket is ever
    re-created, so the handles from vb_sub_sockets stay valid.

    Decimals: a book level is integer x 10^exponent, converted exactly into
    vb_decimal_t; an exponent outside VB_DECIMAL_EXPONENT_MIN..MAX, a
    non-positive price, a negative quantity or misaligned arrays make the
    message bad (counted; a bad book message puts the book into recovery).

    Hostile input (frames that do not decode, multipart messages, bodies
    that do not belong on their topic, absurd books) is counted in
    vb_sub_stats and skipped; never a crash.

    Latency: each event carries latency_ns = now (realtime) - publish_ts_ns
    of its message (0 when publish_ts_ns is unset), and the library keeps a
    histogram of it (vb_sub_latency_quantile_ns), "publish to strategy"
    in DESIGN.md §5.

    This class never logs; errors are negative VB_E* codes (vb_error.h).
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_SUB_H_INCLUDED
#define VB_SUB_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>
#include "vb_book.h"
#include "vb_clock.h"
#include "vb_decimal.h"
#include "vb_msg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_sub_t vb_sub_t;

//  First backoff ceiling and cap of snapshot retries, ms.
#define VB_SUB_RETRY_BASE_MS 50
#define VB_SUB_RETRY_CAP_MS  5000
//  Default time a snapshot request waits for its reply, ms.
#define VB_SUB_SNAPSHOT_TIMEOUT_MS 2000
//  Default number of deltas buffered per book during a recovery.
#define VB_SUB_BUFFER_MAX 10000
//  Levels per side kept when a snapshot gives no depth (BookSnapshot.depth 0).
#define VB_SUB_DEPTH_DEFAULT 5000
//  Most snapshot endpoints one subscriber can use.
#define VB_SUB_GATEWAYS_MAX 64
//  Most topics tracked; frames on further new topics are counted and dropped.
#define VB_SUB_TOPICS_MAX 65536
//  Buckets of the latency histogram: bucket b counts latencies in
//  [2^(b-1), 2^b) ns (bucket 0: 0 and below, the last: everything above).
#define VB_SUB_LATENCY_BUCKETS 48

typedef enum {
    VB_SUB_EVENT_UNSET = 0,  //  Reserved
    VB_SUB_EVENT_MESSAGE,    //  A decoded envelope on a topic that is not a book
    VB_SUB_EVENT_BOOK,       //  A book changed: a message applied, or a recovery done
    VB_SUB_EVENT_GAP,        //  Messages were lost on a topic (or a late join)
} vb_sub_event_type_t;

//  What vb_sub_recv returns. Every pointer is borrowed: valid until the next
//  vb_sub_recv or vb_sub_destroy.
typedef struct {
    vb_sub_event_type_t type;            //  What happened
    const char *topic;                   //  The topic it happened on
    const Venuebus__Envelope *envelope;  //  MESSAGE, BOOK: the message (BOOK after a
                                         //  recovery from a requested snapshot: the snapshot)
    vb_book_t *book;                     //  BOOK: the library's book of the topic
    bool in_sync;                        //  BOOK: the book is verified and current
    uint64_t seq;                        //  MESSAGE, BOOK: the topic seq the event is at
    uint64_t expected_seq;               //  GAP: seq expected (0: first message seen)
    uint64_t received_seq;               //  GAP: seq received
    int64_t latency_ns;                  //  MESSAGE, BOOK: now - publish_ts_ns (0: unknown)
} vb_sub_event_t;

//  Counters since creation.
typedef struct {
    uint64_t messages;          //  Frames received from the bus (good or bad)
    uint64_t events;            //  Events returned
    uint64_t gaps;              //  Gaps seen (late joins, jumps, restarts)
    uint64_t duplicates;        //  Frames dropped as seq <= last
    uint64_t bad_frames;        //  Frames that did not decode or were multipart
    uint64_t bad_books;         //  Book messages refused (absurd levels, crossed, misaligned)
    uint64_t requests;          //  Snapshot requests sent
    uint64_t replies;           //  Snapshot replies received (snapshots and errors)
    uint64_t bad_replies;       //  Replies that did not parse
    uint64_t timeouts;          //  Requests that got no reply in time
    uint64_t not_synced;        //  "ERROR not-synced" replies
    uint64_t recoveries;        //  Books brought back in sync from a requested snapshot
    uint64_t bus_snapshots;     //  Snapshots installed from the bus
    uint64_t buffer_overflows;  //  Recovery buffers dropped for being full
    uint64_t buffer_holes;      //  Snapshots refused: the buffer did not follow them
    uint64_t topics_dropped;    //  Frames dropped because VB_SUB_TOPICS_MAX was reached
} vb_sub_stats_t;

//  Create a subscriber connected to the bus backend (XPUB) at endpoint (a
//  czmq endpoint list: "tcp://host:port", "ipc://...", comma-separated,
//  '@' binds). It subscribes to nothing yet. Returns NULL when endpoint is
//  NULL or cannot be used.
vb_sub_t *vb_sub_new (const char *endpoint);

//  Destroy the subscriber, its sockets and books, and set *self_p to NULL.
//  Safe to call twice.
void vb_sub_destroy (vb_sub_t **self_p);

//  Add the snapshot endpoint (a gateway's ROUTER) serving venue. Call once
//  per gateway shard. Returns 0, VB_EINVAL for a bad venue or endpoint,
//  VB_ELIMIT past VB_SUB_GATEWAYS_MAX, or VB_EIO when it cannot connect.
int vb_sub_add_gateway (vb_sub_t *self, const char *venue, const char *endpoint);

//  Subscribe to a topic or a prefix. A complete valid topic is subscribed
//  exactly (with its NUL, so .candle.1m does not also get .candle.1mo...),
//  and an exact .book topic also brings its .status topic. Anything else is
//  a prefix ("md.binance.BTC-USDT." for all of one symbol, "" for all).
//  Returns 0, or VB_EINVAL for NULL or a text longer than VB_TOPIC_MAX.
int vb_sub_subscribe (vb_sub_t *self, const char *topic_or_prefix);

//  Wait at most timeout_ms (0: do not wait; -1: forever) for the next event
//  and fill *event. Snapshot requests, retries and timeouts are handled
//  inside. Returns 0 with an event, VB_EAGAIN when the time ran out, or
//  VB_EIO when the bus socket failed (interrupted: VB_EAGAIN).
int vb_sub_recv (vb_sub_t *self, int timeout_ms, vb_sub_event_t *event);

//  The bus SUB socket, for a caller's zpoller. Borrowed.
zsock_t *vb_sub_socket (vb_sub_t *self);

//  Write up to `max` sockets to watch into sockets: the bus SUB first, then
//  one DEALER per vb_sub_add_gateway in order. Returns how many exist (may
//  be more than max). Call again after adding a gateway. Borrowed.
size_t vb_sub_sockets (vb_sub_t *self, zsock_t **sockets, size_t max);

//  Milliseconds until the next internal deadline (a request's timeout or
//  a retry), 0 when one is due, -1 when there is none. A caller that polls
//  its own sockets waits no longer than this before calling vb_sub_recv.
int vb_sub_timeout_ms (vb_sub_t *self);

//  The library's book of a book topic, or NULL when none has been seen.
//  *in_sync (may be NULL) tells whether it is verified and current. The
//  book is borrowed: read it only; valid until the next vb_sub_recv.
vb_book_t *vb_sub_book (vb_sub_t *self, const char *topic, bool *in_sync);

//  The last seq received on a topic (for a book in sync: the seq its
//  content corresponds to), 0 when none.
uint64_t vb_sub_last_seq (vb_sub_t *self, const char *topic);

//  Gaps seen since creation (vb_sub_stats_t.gaps).
uint64_t vb_sub_gaps (vb_sub_t *self);

//  Copy the counters into *stats.
void vb_sub_stats (vb_sub_t *self, vb_sub_stats_t *stats);

//  The latency (publish to now, ns) at or below which `permille` of the
//  observed events lie, as the upper bound of its histogram bucket (a
//  power of two). Returns 0 when nothing has been observed.
int64_t vb_sub_latency_quantile_ns (vb_sub_t *self, unsigned permille);

//  Copy the latency histogram (VB_SUB_LATENCY_BUCKETS counts, see above).
void vb_sub_latency_histogram (vb_sub_t *self, uint64_t counts[VB_SUB_LATENCY_BUCKETS]);

//  Use `clock` (borrowed; must outlive the subscriber) for request timeouts
//  and retry delays instead of the system clock: tests drive them with a
//  manual clock. vb_sub_recv's own timeout_ms is always real time.
void vb_sub_set_clock (vb_sub_t *self, vb_clock_t *clock);

//  Set how long a snapshot request waits for its reply (at least 1 ms).
//  Returns 0 or VB_EINVAL.
int vb_sub_set_snapshot_timeout_ms (vb_sub_t *self, uint32_t timeout_ms);

//  Set how many deltas a recovering book may buffer (at least 1). Returns
//  0 or VB_EINVAL.
int vb_sub_set_buffer_max (vb_sub_t *self, size_t frames);

//  Seed the retry backoff (default: from the clock and the object's
//  address). Tests set it to reproduce a run.
void vb_sub_set_seed (vb_sub_t *self, uint64_t seed);

//  Longest request or error reply text of vb_sub_candles, with its NUL.
#define VB_SUB_HISTORY_ERROR_MAX 256

//  One candle of a candle history (vb_sub_candles).
typedef struct {
    int64_t open_ts_ns;   //  Open time, ns since the epoch
    int64_t close_ts_ns;  //  End of the candle
    vb_decimal_t open, high, low, close, volume;
    uint64_t trades;  //  Trades in the candle (0 when the venue does not say)
    bool closed;      //  Final (false for the candle still open)
} vb_sub_candle_t;

//  Candle history: ask the venue's gateway (its snapshot endpoint, as given
//  to vb_sub_add_gateway) for the candles of symbol and interval ("1m",
//  any the venue serves) whose open time t has from_ms <= t < to_ms, ms
//  since the epoch; the gateway fetches them from the venue's REST API
//  (request and reply: services/gateway/gw_candles.h, "CANDLES ..."). The
//  venue's endpoints are asked in the order added, moving on at
//  "ERROR unknown-symbol" (another shard). This call blocks for at most
//  timeout_ms, on a DEALER of its own (nothing else of the subscriber is
//  touched: its bus and recoveries wait until it returns).
//  On success *candles is a new array (free it with free) of *count
//  candles ordered by open time, *count may be 0. Returns 0; VB_EINVAL for
//  bad arguments; VB_ENOTFOUND when no gateway of the venue knows the
//  symbol; VB_EAGAIN when no reply came in time; VB_EIO for an ERROR reply
//  (its whole text in error, e.g. "ERROR too-many ...") or a socket that
//  cannot be used; VB_ETYPE for a malformed reply; VB_ENOMEM. error
//  (error_size bytes) always holds a NUL-terminated reason ("" on success).
int vb_sub_candles (vb_sub_t *self, const char *venue, const char *symbol, const char *interval,
                    int64_t from_ms, int64_t to_ms, int timeout_ms, vb_sub_candle_t **candles,
                    size_t *count, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif
#endif
