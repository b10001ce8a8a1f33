/*  vb_sub.c — a bus subscriber for strategies: sequence tracking, verified
    books and self-recovery through gateway snapshots (the Clone pattern).
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <string.h>
#include "vb_sub.h"
#include "vb_backoff.h"
#include "vb_error.h"

//  Book storage per side as a multiple of the snapshot's depth: room for a
//  whole delta above the depth before truncation (the gateway's own rule).
#define S_DEPTH_HEADROOM 2
//  Request verb, with its space ("SNAPSHOT <topic>").
#define S_REQUEST_VERB "SNAPSHOT "
//  Error reply prefix, with its space ("ERROR <reason> <detail>").
#define S_ERROR_PREFIX "ERROR "
//  Longest error reason kept ("not-synced", "unknown-topic", ...).
#define S_REASON_MAX 32
//  Longest request frame: the verb and a topic.
#define S_REQUEST_MAX (sizeof (S_REQUEST_VERB) + VB_TOPIC_MAX)
//  Requests a DEALER may queue towards a peer that is not reading.
#define S_DEALER_HWM 100
//  Messages the bus SUB may queue before ZeroMQ drops (default 1000 is
//  short for a busy bus with a strategy that stalls a moment).
#define S_SUB_HWM 100000
//  Events one step can produce: a gap and the message that showed it.
#define S_EVENTS_MAX 2
//  Permille in one.
#define S_PERMILLE 1000
//  Bits in an int64 latency.
#define S_LATENCY_BITS 64
//  Most levels one book message may carry before it is refused as absurd.
#define S_LEVELS_MAX VB_BOOK_DEPTH_MAX

//  One delta kept during a recovery.
typedef struct {
    uint64_t seq;     //  Its header.seq
    zframe_t *frame;  //  The whole bus frame, decoded again at replay
} s_buffered_t;

//  One topic seen on the bus.
typedef struct {
    char *name;                              //  The topic
    vb_topic_kind_t kind;                    //  md kind (UNSET for ex/sys)
    char venue[VB_TOPIC_COMPONENT_MAX + 1];  //  md venue, "" otherwise
    bool seen;                               //  A message has been received
    uint64_t last_seq;                       //  Last seq received (or installed)
    //  Books only
    vb_book_t *book;          //  The book (NULL until a snapshot fits it)
    size_t depth;             //  Truncation depth from the last snapshot (0: none)
    bool valid;               //  The book holds a verified state at last_seq
    bool status_broken;       //  The gateway said RESYNCING or STALE since
    bool recovering;          //  Waiting for a snapshot
    void *recovering_handle;  //  In self->recovering while recovering
    bool request_pending;     //  A request is out
    int64_t deadline_ns;      //  Its timeout (mono)
    int64_t retry_at_ns;      //  When to send the next request (mono)
    size_t gateway;           //  Index of the gateway to ask next
    bool gateway_known;       //  That gateway answered for this topic
    size_t unknown_count;     //  unknown-topic replies in this round
    vb_backoff_t *backoff;    //  Retry delays
    s_buffered_t *buffer;     //  Deltas received during the recovery
    size_t buffer_count;      //  In use
    size_t buffer_capacity;   //  Allocated
} s_topic_t;

//  One snapshot endpoint.
typedef struct {
    char venue[VB_TOPIC_COMPONENT_MAX + 1];  //  Venue it serves
    zsock_t *dealer;                         //  Connected to its ROUTER
    char *endpoint;                          //  Its endpoint (vb_sub_candles' own DEALER)
} s_gateway_t;

struct _vb_sub_t {
    zsock_t *sub;                               //  Bus backend SUB
    s_gateway_t gateways[VB_SUB_GATEWAYS_MAX];  //  Snapshot endpoints
    size_t gateway_count;                       //  In use
    zhashx_t *topics;                           //  name -> s_topic_t
    zlistx_t *recovering;                       //  s_topic_t * waiting for a snapshot
    vb_msg_t *decoder;                          //  Bus frames (the events' envelopes)
    vb_msg_t *reply_decoder;                    //  Snapshot replies
    vb_msg_t *replay_decoder;                   //  Buffered deltas at replay
    vb_clock_t *clock;                          //  Borrowed; NULL: the system clock
    int64_t snapshot_timeout_ns;                //  Request timeout
    size_t buffer_max;                          //  Deltas buffered per recovery
    uint64_t seed;                              //  Backoff seeds derive from it
    uint64_t backoff_count;                     //  Backoffs made (varies the seeds)
    vb_sub_event_t events[S_EVENTS_MAX];        //  Events ready to return
    size_t event_head;                          //  Next to return
    size_t event_count;                         //  Ready
    vb_sub_stats_t stats;                       //  Counters
    uint64_t latency[VB_SUB_LATENCY_BUCKETS];   //  Latency histogram
    uint64_t latency_count;                     //  Observations
    vb_decimal_t *prices;                       //  Conversion scratch
    vb_decimal_t *qtys;                         //  Conversion scratch
    size_t scratch_capacity;                    //  Of each
};

//  --------------------------------------------------------------------------
//  Free a topic (the zhashx destructor).

static void
s_topic_destroy (s_topic_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        s_topic_t *self = *self_p;
        for (size_t i = 0; i < self->buffer_count; i++)
            zframe_destroy (&self->buffer[i].frame);
        free (self->buffer);
        vb_backoff_destroy (&self->backoff);
        vb_book_destroy (&self->book);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  zhashx item destructor.

static void
s_topic_free (void **item)
{
    s_topic_destroy ((s_topic_t **)item);
}

//  --------------------------------------------------------------------------
//  Create a subscriber.

vb_sub_t *
vb_sub_new (const char *endpoint)
{
    if (!endpoint || !*endpoint)
        return NULL;
    vb_sub_t *self = (vb_sub_t *)zmalloc (sizeof (vb_sub_t));
    self->sub = zsock_new (ZMQ_SUB);
    self->topics = zhashx_new ();
    self->recovering = zlistx_new ();
    self->decoder = vb_msg_new ();
    self->reply_decoder = vb_msg_new ();
    self->replay_decoder = vb_msg_new ();
    if (!self->sub || !self->topics || !self->recovering || !self->decoder ||
        !self->reply_decoder || !self->replay_decoder) {
        vb_sub_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->topics, s_topic_free);
    zsock_set_rcvhwm (self->sub, S_SUB_HWM);
    zsock_set_linger (self->sub, 0);
    if (zsock_attach (self->sub, endpoint, false) != 0) {
        vb_sub_destroy (&self);
        return NULL;
    }
    self->snapshot_timeout_ns = (int64_t)VB_SUB_SNAPSHOT_TIMEOUT_MS * VB_NS_PER_MS;
    self->buffer_max = VB_SUB_BUFFER_MAX;
    self->seed = (uint64_t)vb_clock_now_real_ns () ^ (uint64_t)(uintptr_t)self;
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy a subscriber.

void
vb_sub_destroy (vb_sub_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        vb_sub_t *self = *self_p;
        free (self->qtys);
        free (self->prices);
        vb_msg_destroy (&self->replay_decoder);
        vb_msg_destroy (&self->reply_decoder);
        vb_msg_destroy (&self->decoder);
        zlistx_destroy (&self->recovering);
        zhashx_destroy (&self->topics);
        for (size_t i = 0; i < self->gateway_count; i++) {
            zsock_destroy (&self->gateways[i].dealer);
            zstr_free (&self->gateways[i].endpoint);
        }
        zsock_destroy (&self->sub);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  True when text is a valid topic component (vb_topic.h rules).

static bool
s_component_valid (const char *text)
{
    size_t length = text ? strlen (text) : 0;
    if (length == 0 || length > VB_TOPIC_COMPONENT_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Add a snapshot endpoint.

int
vb_sub_add_gateway (vb_sub_t *self, const char *venue, const char *endpoint)
{
    assert (self);
    if (!s_component_valid (venue) || !endpoint || !*endpoint)
        return VB_EINVAL;
    if (self->gateway_count >= VB_SUB_GATEWAYS_MAX)
        return VB_ELIMIT;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return VB_EIO;
    zsock_set_linger (dealer, 0);
    zsock_set_sndhwm (dealer, S_DEALER_HWM);
    if (zsock_attach (dealer, endpoint, false) != 0) {
        zsock_destroy (&dealer);
        return VB_EIO;
    }
    char *copy = strdup (endpoint);
    if (!copy) {
        zsock_destroy (&dealer);
        return VB_ENOMEM;
    }
    s_gateway_t *gateway = &self->gateways[self->gateway_count++];
    snprintf (gateway->venue, sizeof (gateway->venue), "%s", venue);
    gateway->dealer = dealer;
    gateway->endpoint = copy;
    return 0;
}

//  --------------------------------------------------------------------------
//  Copy a slice into a NUL-terminated buffer of VB_TOPIC_COMPONENT_MAX + 1.

static void
s_slice_copy (char *buffer, vb_topic_slice_t slice)
{
    size_t length = slice.length <= VB_TOPIC_COMPONENT_MAX ? slice.length : 0;
    if (length)
        memcpy (buffer, slice.data, length);
    buffer[length] = 0;
}

//  --------------------------------------------------------------------------
//  Subscribe to a topic or a prefix.

int
vb_sub_subscribe (vb_sub_t *self, const char *topic_or_prefix)
{
    assert (self);
    if (!topic_or_prefix)
        return VB_EINVAL;
    size_t length = strlen (topic_or_prefix);
    if (length > VB_TOPIC_MAX)
        return VB_EINVAL;
    vb_topic_t parsed;
    if (length == 0 || vb_topic_parse (topic_or_prefix, length, &parsed) != 0) {
        zsock_set_subscribe (self->sub, topic_or_prefix);
        return 0;
    }
    int rc = vb_msg_subscribe_exact (self->sub, topic_or_prefix);
    if (rc || parsed.kind != VB_TOPIC_KIND_BOOK)
        return rc;
    char venue[VB_TOPIC_COMPONENT_MAX + 1], symbol[VB_TOPIC_COMPONENT_MAX + 1];
    char status[VB_TOPIC_MAX + 1];
    s_slice_copy (venue, parsed.venue);
    s_slice_copy (symbol, parsed.symbol);
    rc = vb_topic_md (status, sizeof (status), venue, symbol, VB_TOPIC_KIND_STATUS, NULL);
    return rc < 0 ? rc : vb_msg_subscribe_exact (self->sub, status);
}

//  --------------------------------------------------------------------------
//  Monotonic now of the protocol clock.

static int64_t
s_now (vb_sub_t *self)
{
    return vb_clock_mono_ns (self->clock);
}

//  --------------------------------------------------------------------------
//  Find or create a topic's state. Returns NULL past VB_SUB_TOPICS_MAX.

static s_topic_t *
s_topic_get (vb_sub_t *self, const char *name, const vb_topic_t *view)
{
    s_topic_t *topic = (s_topic_t *)zhashx_lookup (self->topics, name);
    if (topic)
        return topic;
    if (zhashx_size (self->topics) >= VB_SUB_TOPICS_MAX)
        return NULL;
    topic = (s_topic_t *)zmalloc (sizeof (s_topic_t));
    topic->name = strdup (name);
    assert (topic->name);
    topic->kind = view->kind;
    if (view->domain == VB_TOPIC_DOMAIN_MD)
        s_slice_copy (topic->venue, view->venue);
    zhashx_insert (self->topics, name, topic);
    return topic;
}

//  --------------------------------------------------------------------------
//  Queue an event.

static vb_sub_event_t *
s_event_push (vb_sub_t *self, vb_sub_event_type_t type, s_topic_t *topic)
{
    assert (self->event_head + self->event_count < S_EVENTS_MAX);
    vb_sub_event_t *event = &self->events[self->event_head + self->event_count++];
    memset (event, 0, sizeof (*event));
    event->type = type;
    event->topic = topic->name;
    return event;
}

//  --------------------------------------------------------------------------
//  Record a latency observation.

static int64_t
s_latency (vb_sub_t *self, const Venuebus__Header *header)
{
    if (header->publish_ts_ns <= 0)
        return 0;
    int64_t latency = vb_clock_real_ns (self->clock) - header->publish_ts_ns;
    size_t bucket = 0;
    if (latency > 0) {
        bucket = (size_t)(S_LATENCY_BITS - __builtin_clzll ((unsigned long long)latency));
        if (bucket >= VB_SUB_LATENCY_BUCKETS)
            bucket = VB_SUB_LATENCY_BUCKETS - 1;
    }
    self->latency[bucket]++;
    self->latency_count++;
    return latency;
}

//  --------------------------------------------------------------------------
//  Make sure the conversion scratch holds count levels.

static int
s_scratch (vb_sub_t *self, size_t count)
{
    if (count <= self->scratch_capacity)
        return 0;
    if (count > S_LEVELS_MAX)
        return VB_ELIMIT;
    vb_decimal_t *prices = (vb_decimal_t *)realloc (self->prices, count * sizeof (vb_decimal_t));
    if (!prices)
        return VB_ENOMEM;
    self->prices = prices;
    vb_decimal_t *qtys = (vb_decimal_t *)realloc (self->qtys, count * sizeof (vb_decimal_t));
    if (!qtys)
        return VB_ENOMEM;
    self->qtys = qtys;
    self->scratch_capacity = count;
    return 0;
}

//  --------------------------------------------------------------------------
//  Convert one side's packed arrays into the scratch, checking every level:
//  price > 0, qty >= 0 (qty 0 allowed only when allow_zero). Returns 0 or
//  VB_EINVAL / VB_ELIMIT / VB_ENOMEM.

static int
s_convert (vb_sub_t *self, const int64_t *price, size_t price_count, const int64_t *qty,
           size_t qty_count, int32_t price_exponent, int32_t qty_exponent, bool allow_zero)
{
    if (price_count != qty_count || (price_count && (!price || !qty)))
        return VB_EINVAL;
    int rc = s_scratch (self, price_count);
    if (rc)
        return rc;
    for (size_t i = 0; i < price_count; i++) {
        if (price[i] <= 0 || qty[i] < 0 || (qty[i] == 0 && !allow_zero))
            return VB_EINVAL;
        self->prices[i] = (vb_decimal_t){price[i], price_exponent};
        self->qtys[i] = (vb_decimal_t){qty[i], qty_exponent};
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  True when an exponent can be stored in a book level.

static bool
s_exponent_valid (int32_t exponent)
{
    return exponent >= VB_DECIMAL_EXPONENT_MIN && exponent <= VB_DECIMAL_EXPONENT_MAX;
}

//  --------------------------------------------------------------------------
//  Apply one side of a delta from the scratch.

static int
s_apply_side (vb_sub_t *self, s_topic_t *topic, vb_book_side_t side, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        int rc = vb_book_set (topic->book, side, self->prices[i], self->qtys[i]);
        if (rc)
            return rc;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Apply a delta to a valid book: the whole message, then truncation to the
//  depth, then the crossing check. Returns 0 or a negative code (the book is
//  then not valid).

static int
s_apply_delta (vb_sub_t *self, s_topic_t *topic, const Venuebus__BookDelta *delta)
{
    if (!topic->book || !s_exponent_valid (delta->price_exponent) ||
        !s_exponent_valid (delta->qty_exponent))
        return VB_EINVAL;
    int rc = s_convert (self, delta->bid_price, delta->n_bid_price, delta->bid_qty,
                        delta->n_bid_qty, delta->price_exponent, delta->qty_exponent, true);
    if (rc == 0)
        rc = s_apply_side (self, topic, VB_BOOK_BID, delta->n_bid_price);
    if (rc == 0)
        rc = s_convert (self, delta->ask_price, delta->n_ask_price, delta->ask_qty,
                        delta->n_ask_qty, delta->price_exponent, delta->qty_exponent, true);
    if (rc == 0)
        rc = s_apply_side (self, topic, VB_BOOK_ASK, delta->n_ask_price);
    if (rc == 0 && topic->depth)
        vb_book_truncate (topic->book, topic->depth);
    if (rc == 0 && vb_book_crossed (topic->book))
        rc = VB_ECROSSED;
    return rc;
}

//  --------------------------------------------------------------------------
//  Replace the book with a snapshot. Returns 0 or a negative code (the book
//  is then not valid).

static int
s_apply_snapshot (vb_sub_t *self, s_topic_t *topic, const Venuebus__BookSnapshot *snapshot)
{
    if (!s_exponent_valid (snapshot->price_exponent) || !s_exponent_valid (snapshot->qty_exponent))
        return VB_EINVAL;
    size_t depth = snapshot->depth;
    size_t cap = depth ? depth * S_DEPTH_HEADROOM : VB_SUB_DEPTH_DEFAULT;
    if (cap > VB_BOOK_DEPTH_MAX)
        return VB_ELIMIT;
    if (topic->book && vb_book_depth_cap (topic->book) != cap)
        vb_book_destroy (&topic->book);
    if (!topic->book) {
        topic->book = vb_book_new (cap);
        if (!topic->book)
            return VB_ENOMEM;
    }
    topic->depth = depth;
    int rc =
        s_convert (self, snapshot->bid_price, snapshot->n_bid_price, snapshot->bid_qty,
                   snapshot->n_bid_qty, snapshot->price_exponent, snapshot->qty_exponent, false);
    if (rc == 0)
        rc = vb_book_snapshot (topic->book, VB_BOOK_BID, self->prices, self->qtys,
                               snapshot->n_bid_price);
    if (rc == 0)
        rc = s_convert (self, snapshot->ask_price, snapshot->n_ask_price, snapshot->ask_qty,
                        snapshot->n_ask_qty, snapshot->price_exponent, snapshot->qty_exponent,
                        false);
    if (rc == 0)
        rc = vb_book_snapshot (topic->book, VB_BOOK_ASK, self->prices, self->qtys,
                               snapshot->n_ask_price);
    if (rc == 0 && depth)
        vb_book_truncate (topic->book, depth);
    if (rc == 0 && vb_book_crossed (topic->book))
        rc = VB_ECROSSED;
    if (rc)
        vb_book_clear (topic->book);
    return rc;
}

//  --------------------------------------------------------------------------
//  Drop a topic's buffered deltas.

static void
s_buffer_clear (s_topic_t *topic)
{
    for (size_t i = 0; i < topic->buffer_count; i++)
        zframe_destroy (&topic->buffer[i].frame);
    topic->buffer_count = 0;
}

//  --------------------------------------------------------------------------
//  Keep a copy of a delta's frame during a recovery.

static void
s_buffer_add (vb_sub_t *self, s_topic_t *topic, uint64_t seq, const uint8_t *data, size_t size)
{
    if (topic->buffer_count >= self->buffer_max) {
        self->stats.buffer_overflows++;
        s_buffer_clear (topic);
        //  The deltas before this one are gone: ask again now, for a
        //  snapshot that the new buffer can follow.
        topic->request_pending = false;
        topic->retry_at_ns = s_now (self);
    }
    if (topic->buffer_count == topic->buffer_capacity) {
        size_t capacity = topic->buffer_capacity ? topic->buffer_capacity * 2 : 16;
        if (capacity > self->buffer_max)
            capacity = self->buffer_max;
        s_buffered_t *buffer =
            (s_buffered_t *)realloc (topic->buffer, capacity * sizeof (s_buffered_t));
        if (!buffer) {
            self->stats.buffer_overflows++;
            s_buffer_clear (topic);
            return;
        }
        topic->buffer = buffer;
        topic->buffer_capacity = capacity;
    }
    zframe_t *frame = zframe_new (data, size);
    assert (frame);
    topic->buffer[topic->buffer_count].seq = seq;
    topic->buffer[topic->buffer_count].frame = frame;
    topic->buffer_count++;
}

//  --------------------------------------------------------------------------
//  Start (or keep) a recovery: the book is not valid until a snapshot.

static void
s_recover (vb_sub_t *self, s_topic_t *topic)
{
    topic->valid = false;
    if (topic->recovering)
        return;
    topic->recovering = true;
    topic->request_pending = false;
    topic->retry_at_ns = s_now (self);
    topic->unknown_count = 0;
    if (!topic->backoff)
        topic->backoff = vb_backoff_new (VB_SUB_RETRY_BASE_MS, VB_SUB_RETRY_CAP_MS,
                                         self->seed + self->backoff_count++);
    else
        vb_backoff_reset (topic->backoff);
    assert (topic->backoff);
    topic->recovering_handle = zlistx_add_end (self->recovering, topic);
}

//  --------------------------------------------------------------------------
//  End a recovery: the book is valid at last_seq.

static void
s_recovered (vb_sub_t *self, s_topic_t *topic)
{
    s_buffer_clear (topic);
    topic->valid = true;
    topic->status_broken = false;
    if (topic->recovering) {
        zlistx_delete (self->recovering, topic->recovering_handle);
        topic->recovering_handle = NULL;
        topic->recovering = false;
        topic->request_pending = false;
    }
}

//  --------------------------------------------------------------------------
//  Ask again after a backoff delay.

static void
s_retry_later (vb_sub_t *self, s_topic_t *topic)
{
    topic->request_pending = false;
    topic->retry_at_ns = s_now (self) + (int64_t)vb_backoff_next_ms (topic->backoff) * VB_NS_PER_MS;
}

//  --------------------------------------------------------------------------
//  Install a snapshot whose header.seq is seq, then replay the buffered
//  deltas after it. Returns 0 when the book is valid, or a negative code
//  (VB_ESEQ: the buffer does not follow the snapshot).

static int
s_install (vb_sub_t *self, s_topic_t *topic, const Venuebus__BookSnapshot *snapshot, uint64_t seq)
{
    //  The buffered deltas after seq must be exactly seq+1 .. last_seq.
    uint64_t last = topic->last_seq > seq ? topic->last_seq : seq;
    uint64_t expected = seq + 1;
    for (size_t i = 0; i < topic->buffer_count; i++)
        if (topic->buffer[i].seq > seq && topic->buffer[i].seq != expected++)
            return VB_ESEQ;
    if (expected - 1 != last)
        return VB_ESEQ;
    int rc = s_apply_snapshot (self, topic, snapshot);
    if (rc)
        return rc;
    for (size_t i = 0; i < topic->buffer_count && rc == 0; i++) {
        if (topic->buffer[i].seq <= seq)
            continue;
        zframe_t *frame = topic->buffer[i].frame;
        rc = vb_msg_decode (self->replay_decoder, zframe_data (frame), zframe_size (frame));
        if (rc == 0)
            rc = s_apply_delta (self, topic, vb_msg_envelope (self->replay_decoder)->book_delta);
    }
    if (rc)
        return rc;
    topic->last_seq = last;
    return 0;
}

//  --------------------------------------------------------------------------
//  A book_snapshot or book_delta from the bus, already in sequence order
//  (gap says whether a gap was just seen).

static void
s_book_message (vb_sub_t *self, s_topic_t *topic, const Venuebus__Envelope *envelope,
                const uint8_t *data, size_t size, bool gap, int64_t latency_ns)
{
    uint64_t seq = envelope->header->seq;
    if (envelope->body_case == VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT) {
        //  Every buffered delta is older than this snapshot: s_install skips
        //  them all.
        if (s_install (self, topic, envelope->book_snapshot, seq) != 0) {
            self->stats.bad_books++;
            s_recover (self, topic);
            return;
        }
        self->stats.bus_snapshots++;
        s_recovered (self, topic);
    } else {
        if (gap || !topic->valid || topic->recovering) {
            s_recover (self, topic);
            s_buffer_add (self, topic, seq, data, size);
            return;
        }
        if (s_apply_delta (self, topic, envelope->book_delta) != 0) {
            self->stats.bad_books++;
            s_recover (self, topic);
            return;
        }
    }
    vb_sub_event_t *event = s_event_push (self, VB_SUB_EVENT_BOOK, topic);
    event->envelope = envelope;
    event->book = topic->book;
    event->in_sync = topic->valid && !topic->status_broken;
    event->seq = seq;
    event->latency_ns = latency_ns;
}

//  --------------------------------------------------------------------------
//  A status message: RESYNCING or STALE marks the symbol's book out of sync.

static void
s_status_message (vb_sub_t *self, const vb_topic_t *view, const Venuebus__Status *status)
{
    if (status->book_state != VENUEBUS__BOOK_STATE__RESYNCING &&
        status->book_state != VENUEBUS__BOOK_STATE__STALE)
        return;
    char venue[VB_TOPIC_COMPONENT_MAX + 1], symbol[VB_TOPIC_COMPONENT_MAX + 1];
    char book[VB_TOPIC_MAX + 1];
    s_slice_copy (venue, view->venue);
    s_slice_copy (symbol, view->symbol);
    if (vb_topic_md (book, sizeof (book), venue, symbol, VB_TOPIC_KIND_BOOK, NULL) < 0)
        return;
    s_topic_t *topic = (s_topic_t *)zhashx_lookup (self->topics, book);
    if (topic)
        topic->status_broken = true;
}

//  --------------------------------------------------------------------------
//  Handle one bus frame: decode, sequence, dispatch. Queues 0 to 2 events.

static void
s_handle_frame (vb_sub_t *self, const uint8_t *data, size_t size)
{
    self->stats.messages++;
    if (vb_msg_decode (self->decoder, data, size) != 0) {
        self->stats.bad_frames++;
        return;
    }
    const Venuebus__Envelope *envelope = vb_msg_envelope (self->decoder);
    const vb_topic_t *view = vb_msg_topic_view (self->decoder);
    uint64_t seq = envelope->header->seq;
    if (seq == 0) {
        self->stats.bad_frames++;
        return;
    }
    s_topic_t *topic = s_topic_get (self, vb_msg_topic (self->decoder), view);
    if (!topic) {
        self->stats.topics_dropped++;
        return;
    }
    uint64_t expected = 0;
    bool gap = false;
    if (!topic->seen)
        gap = seq != 1;  //  A late join; from 1 nothing was missed
    else if (seq > topic->last_seq) {
        expected = topic->last_seq + 1;
        gap = seq != expected;
    } else if (seq == 1) {
        expected = topic->last_seq + 1;  //  The publisher restarted
        gap = true;
    } else {
        self->stats.duplicates++;
        return;
    }
    topic->seen = true;
    topic->last_seq = seq;
    if (gap) {
        self->stats.gaps++;
        vb_sub_event_t *event = s_event_push (self, VB_SUB_EVENT_GAP, topic);
        event->expected_seq = expected;
        event->received_seq = seq;
    }
    int64_t latency_ns = s_latency (self, envelope->header);
    if (topic->kind == VB_TOPIC_KIND_BOOK) {
        s_book_message (self, topic, envelope, data, size, gap, latency_ns);
        return;
    }
    if (topic->kind == VB_TOPIC_KIND_STATUS)
        s_status_message (self, view, envelope->status);
    vb_sub_event_t *event = s_event_push (self, VB_SUB_EVENT_MESSAGE, topic);
    event->envelope = envelope;
    event->seq = seq;
    event->latency_ns = latency_ns;
}

//  --------------------------------------------------------------------------
//  Read one bus frame without waiting. Returns 0 (a frame was handled),
//  VB_EAGAIN (none waiting) or VB_EIO.

static int
s_read_bus (vb_sub_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, zsock_resolve (self->sub), ZMQ_DONTWAIT) < 0) {
        int error = zmq_errno ();
        zmq_msg_close (&msg);
        return error == EAGAIN || error == EINTR ? VB_EAGAIN : VB_EIO;
    }
    if (zmq_msg_more (&msg)) {
        //  A bus message is one frame: drop every part of this one.
        self->stats.messages++;
        self->stats.bad_frames++;
        while (zmq_msg_more (&msg))
            if (zmq_msg_recv (&msg, zsock_resolve (self->sub), 0) < 0)
                break;
    } else
        s_handle_frame (self, (const uint8_t *)zmq_msg_data (&msg), zmq_msg_size (&msg));
    zmq_msg_close (&msg);
    return 0;
}

//  --------------------------------------------------------------------------
//  Index of the first gateway at or after `from` (cyclically) serving venue,
//  or gateway_count when none does.

static size_t
s_gateway_for (vb_sub_t *self, const char *venue, size_t from)
{
    for (size_t i = 0; i < self->gateway_count; i++) {
        size_t index = (from + i) % self->gateway_count;
        if (streq (self->gateways[index].venue, venue))
            return index;
    }
    return self->gateway_count;
}

//  --------------------------------------------------------------------------
//  Number of gateways serving venue.

static size_t
s_gateways_serving (vb_sub_t *self, const char *venue)
{
    size_t count = 0;
    for (size_t i = 0; i < self->gateway_count; i++)
        if (streq (self->gateways[i].venue, venue))
            count++;
    return count;
}

//  --------------------------------------------------------------------------
//  Send a topic's snapshot request now.

static void
s_send_request (vb_sub_t *self, s_topic_t *topic)
{
    size_t index = s_gateway_for (self, topic->venue, topic->gateway);
    if (index == self->gateway_count) {
        //  No gateway for this venue: only a snapshot on the bus helps.
        topic->retry_at_ns = INT64_MAX;
        return;
    }
    topic->gateway = index;
    char request[S_REQUEST_MAX];
    int length = snprintf (request, sizeof (request), "%s%s", S_REQUEST_VERB, topic->name);
    assert (length > 0 && (size_t)length < sizeof (request));
    if (zmq_send (zsock_resolve (self->gateways[index].dealer), request, (size_t)length,
                  ZMQ_DONTWAIT) < 0) {
        s_retry_later (self, topic);  //  Queue full: that peer is not reading
        return;
    }
    self->stats.requests++;
    topic->request_pending = true;
    topic->deadline_ns = s_now (self) + self->snapshot_timeout_ns;
}

//  --------------------------------------------------------------------------
//  Send due requests and expire late ones.

static void
s_service_timers (vb_sub_t *self)
{
    if (zlistx_size (self->recovering) == 0)
        return;
    int64_t now = s_now (self);
    s_topic_t *topic = (s_topic_t *)zlistx_first (self->recovering);
    while (topic) {
        if (topic->request_pending && now >= topic->deadline_ns) {
            self->stats.timeouts++;
            if (!topic->gateway_known)  //  Try the venue's next shard
                topic->gateway = (topic->gateway + 1) % self->gateway_count;
            s_retry_later (self, topic);
        } else if (!topic->request_pending && now >= topic->retry_at_ns)
            s_send_request (self, topic);
        topic = (s_topic_t *)zlistx_next (self->recovering);
    }
}

//  --------------------------------------------------------------------------
//  Handle "ERROR <reason> <detail>" from gateway index.

static void
s_handle_error_reply (vb_sub_t *self, size_t index, const char *text, size_t size)
{
    const char *reason = text + strlen (S_ERROR_PREFIX);
    const char *end = text + size;
    const char *space = memchr (reason, ' ', (size_t)(end - reason));
    if (!space || space == reason || (size_t)(space - reason) >= S_REASON_MAX ||
        (size_t)(end - space - 1) > VB_TOPIC_MAX) {
        self->stats.bad_replies++;
        return;
    }
    char reason_text[S_REASON_MAX], name[VB_TOPIC_MAX + 1];
    memcpy (reason_text, reason, (size_t)(space - reason));
    reason_text[space - reason] = 0;
    memcpy (name, space + 1, (size_t)(end - space - 1));
    name[end - space - 1] = 0;
    s_topic_t *topic = (s_topic_t *)zhashx_lookup (self->topics, name);
    if (!topic || !topic->recovering)
        return;  //  Late, or about a topic not asked for (unknown-request)
    if (streq (reason_text, "unknown-topic")) {
        if (topic->gateway_known && topic->gateway == index)
            topic->gateway_known = false;
        topic->gateway = (index + 1) % self->gateway_count;
        topic->request_pending = false;
        if (++topic->unknown_count < s_gateways_serving (self, topic->venue))
            topic->retry_at_ns = s_now (self);  //  Ask the next shard now
        else {
            topic->unknown_count = 0;
            s_retry_later (self, topic);
        }
        return;
    }
    if (streq (reason_text, "not-synced")) {
        self->stats.not_synced++;
        topic->gateway = index;
        topic->gateway_known = true;
    }
    s_retry_later (self, topic);
}

//  --------------------------------------------------------------------------
//  Handle one reply frame from gateway index. Queues at most one event.

static void
s_handle_reply (vb_sub_t *self, size_t index, const uint8_t *data, size_t size)
{
    self->stats.replies++;
    size_t prefix = strlen (S_ERROR_PREFIX);
    if (size >= prefix && memcmp (data, S_ERROR_PREFIX, prefix) == 0) {
        s_handle_error_reply (self, index, (const char *)data, size);
        return;
    }
    if (vb_msg_decode (self->reply_decoder, data, size) != 0) {
        self->stats.bad_replies++;
        return;
    }
    const Venuebus__Envelope *envelope = vb_msg_envelope (self->reply_decoder);
    if (envelope->body_case != VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT) {
        self->stats.bad_replies++;
        return;
    }
    s_topic_t *topic =
        (s_topic_t *)zhashx_lookup (self->topics, vb_msg_topic (self->reply_decoder));
    if (!topic || !topic->recovering)
        return;  //  Late: the book recovered meanwhile
    topic->gateway = index;
    topic->gateway_known = true;
    topic->unknown_count = 0;
    uint64_t seq = envelope->header->seq;
    int rc = s_install (self, topic, envelope->book_snapshot, seq);
    if (rc) {
        if (rc == VB_ESEQ)
            self->stats.buffer_holes++;
        else
            self->stats.bad_books++;
        s_retry_later (self, topic);
        return;
    }
    self->stats.recoveries++;
    s_recovered (self, topic);
    vb_sub_event_t *event = s_event_push (self, VB_SUB_EVENT_BOOK, topic);
    event->envelope = envelope;
    event->book = topic->book;
    event->in_sync = true;
    event->seq = topic->last_seq;
}

//  --------------------------------------------------------------------------
//  Read replies without waiting until one queues an event or none is left.

static void
s_read_replies (vb_sub_t *self)
{
    for (size_t index = 0; index < self->gateway_count && self->event_count == 0; index++) {
        void *dealer = zsock_resolve (self->gateways[index].dealer);
        while (self->event_count == 0) {
            zmq_msg_t msg;
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, dealer, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&msg);
                break;
            }
            if (zmq_msg_more (&msg)) {
                self->stats.replies++;
                self->stats.bad_replies++;
                while (zmq_msg_more (&msg))
                    if (zmq_msg_recv (&msg, dealer, 0) < 0)
                        break;
            } else
                s_handle_reply (self, index, (const uint8_t *)zmq_msg_data (&msg),
                                zmq_msg_size (&msg));
            zmq_msg_close (&msg);
        }
    }
}

//  --------------------------------------------------------------------------
//  Time to the next internal deadline in ns, or -1.

static int64_t
s_next_deadline_ns (vb_sub_t *self)
{
    int64_t next = INT64_MAX;
    s_topic_t *topic = (s_topic_t *)zlistx_first (self->recovering);
    while (topic) {
        int64_t at = topic->request_pending ? topic->deadline_ns : topic->retry_at_ns;
        if (at < next)
            next = at;
        topic = (s_topic_t *)zlistx_next (self->recovering);
    }
    if (next == INT64_MAX)
        return -1;
    int64_t now = s_now (self);
    return next > now ? next - now : 0;
}

//  --------------------------------------------------------------------------
//  Pop the next queued event into *event. Returns true when there was one.

static bool
s_event_pop (vb_sub_t *self, vb_sub_event_t *event)
{
    if (self->event_count == 0)
        return false;
    *event = self->events[self->event_head++];
    if (--self->event_count == 0)
        self->event_head = 0;
    self->stats.events++;
    return true;
}

//  --------------------------------------------------------------------------
//  Next event.

int
vb_sub_recv (vb_sub_t *self, int timeout_ms, vb_sub_event_t *event)
{
    assert (self);
    assert (event);
    int64_t start_ns = vb_clock_now_mono_ns ();
    while (true) {
        if (s_event_pop (self, event))
            return 0;
        s_service_timers (self);
        s_read_replies (self);
        if (s_event_pop (self, event))
            return 0;
        int rc = s_read_bus (self);
        if (rc == 0)
            continue;
        if (rc != VB_EAGAIN)
            return rc;
        //  Nothing waiting: sleep in zmq_poll until input, a deadline, or
        //  the caller's time runs out.
        long wait_ms = -1;
        if (timeout_ms >= 0) {
            int64_t left_ns =
                start_ns + (int64_t)timeout_ms * VB_NS_PER_MS - vb_clock_now_mono_ns ();
            if (left_ns <= 0)
                return VB_EAGAIN;
            wait_ms = (long)((left_ns + VB_NS_PER_MS - 1) / VB_NS_PER_MS);
        }
        int64_t timer_ns = s_next_deadline_ns (self);
        if (timer_ns >= 0) {
            long timer_ms = (long)((timer_ns + VB_NS_PER_MS - 1) / VB_NS_PER_MS);
            if (wait_ms < 0 || timer_ms < wait_ms)
                wait_ms = timer_ms;
        }
        zmq_pollitem_t items[1 + VB_SUB_GATEWAYS_MAX];
        items[0] = (zmq_pollitem_t){zsock_resolve (self->sub), 0, ZMQ_POLLIN, 0};
        for (size_t i = 0; i < self->gateway_count; i++)
            items[1 + i] =
                (zmq_pollitem_t){zsock_resolve (self->gateways[i].dealer), 0, ZMQ_POLLIN, 0};
        if (zmq_poll (items, (int)(1 + self->gateway_count), wait_ms) < 0)
            return zmq_errno () == EINTR ? VB_EAGAIN : VB_EIO;
    }
}

//  --------------------------------------------------------------------------
//  The bus socket.

zsock_t *
vb_sub_socket (vb_sub_t *self)
{
    assert (self);
    return self->sub;
}

//  --------------------------------------------------------------------------
//  Every socket to watch.

size_t
vb_sub_sockets (vb_sub_t *self, zsock_t **sockets, size_t max)
{
    assert (self);
    size_t count = 1 + self->gateway_count;
    for (size_t i = 0; i < count && i < max; i++)
        sockets[i] = i == 0 ? self->sub : self->gateways[i - 1].dealer;
    return count;
}

//  --------------------------------------------------------------------------
//  Time to the next internal deadline.

int
vb_sub_timeout_ms (vb_sub_t *self)
{
    assert (self);
    if (self->event_count)
        return 0;
    int64_t next_ns = s_next_deadline_ns (self);
    if (next_ns < 0)
        return -1;
    int64_t next_ms = (next_ns + VB_NS_PER_MS - 1) / VB_NS_PER_MS;
    return next_ms > INT_MAX ? INT_MAX : (int)next_ms;
}

//  --------------------------------------------------------------------------
//  A book topic's book.

vb_book_t *
vb_sub_book (vb_sub_t *self, const char *topic, bool *in_sync)
{
    assert (self);
    s_topic_t *state = topic ? (s_topic_t *)zhashx_lookup (self->topics, topic) : NULL;
    if (in_sync)
        *in_sync = state && state->valid && !state->status_broken;
    return state ? state->book : NULL;
}

//  --------------------------------------------------------------------------
//  Last seq of a topic.

uint64_t
vb_sub_last_seq (vb_sub_t *self, const char *topic)
{
    assert (self);
    s_topic_t *state = topic ? (s_topic_t *)zhashx_lookup (self->topics, topic) : NULL;
    return state ? state->last_seq : 0;
}

//  --------------------------------------------------------------------------
//  Gaps seen.

uint64_t
vb_sub_gaps (vb_sub_t *self)
{
    assert (self);
    return self->stats.gaps;
}

//  --------------------------------------------------------------------------
//  Counters.

void
vb_sub_stats (vb_sub_t *self, vb_sub_stats_t *stats)
{
    assert (self);
    assert (stats);
    *stats = self->stats;
}

//  --------------------------------------------------------------------------
//  Latency quantile as a bucket's upper bound.

int64_t
vb_sub_latency_quantile_ns (vb_sub_t *self, unsigned permille)
{
    assert (self);
    if (self->latency_count == 0)
        return 0;
    if (permille > S_PERMILLE)
        permille = S_PERMILLE;
    //  Rank of the observation wanted, 1-based, rounded up.
    uint64_t rank = (self->latency_count * permille + S_PERMILLE - 1) / S_PERMILLE;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (size_t bucket = 0; bucket < VB_SUB_LATENCY_BUCKETS; bucket++) {
        seen += self->latency[bucket];
        if (seen >= rank)
            return bucket == 0 ? 0 : (int64_t)1 << bucket;
    }
    return (int64_t)1 << (VB_SUB_LATENCY_BUCKETS - 1);
}

//  --------------------------------------------------------------------------
//  Latency histogram.

void
vb_sub_latency_histogram (vb_sub_t *self, uint64_t counts[VB_SUB_LATENCY_BUCKETS])
{
    assert (self);
    assert (counts);
    memcpy (counts, self->latency, sizeof (self->latency));
}

//  --------------------------------------------------------------------------
//  Use a test clock for protocol timers.

void
vb_sub_set_clock (vb_sub_t *self, vb_clock_t *clock)
{
    assert (self);
    self->clock = clock;
}

//  --------------------------------------------------------------------------
//  Set the request timeout.

int
vb_sub_set_snapshot_timeout_ms (vb_sub_t *self, uint32_t timeout_ms)
{
    assert (self);
    if (timeout_ms == 0)
        return VB_EINVAL;
    self->snapshot_timeout_ns = (int64_t)timeout_ms * VB_NS_PER_MS;
    return 0;
}

//  --------------------------------------------------------------------------
//  Set the recovery buffer bound.

int
vb_sub_set_buffer_max (vb_sub_t *self, size_t frames)
{
    assert (self);
    if (frames == 0)
        return VB_EINVAL;
    self->buffer_max = frames;
    return 0;
}

//  --------------------------------------------------------------------------
//  Seed the retry backoff.

void
vb_sub_set_seed (vb_sub_t *self, uint64_t seed)
{
    assert (self);
    self->seed = seed;
}

//  --------------------------------------------------------------------------
//  Read one history reply's candle frame into out[*count]. Returns 0 or a
//  negative code (a frame that does not decode, or not a candle of the
//  request's symbol and interval, or candles out of order).

static int
s_history_candle (vb_msg_t *decoder, zframe_t *frame, const char *symbol, const char *interval,
                  vb_sub_candle_t *out, size_t count)
{
    if (vb_msg_decode (decoder, zframe_data (frame), zframe_size (frame)) != 0)
        return VB_ETYPE;
    const Venuebus__Envelope *envelope = vb_msg_envelope (decoder);
    const Venuebus__Candle *candle = envelope->candle;
    if (envelope->body_case != VENUEBUS__ENVELOPE__BODY_CANDLE || !candle || !envelope->header ||
        !envelope->header->symbol || strcmp (envelope->header->symbol, symbol) != 0 ||
        !candle->interval || strcmp (candle->interval, interval) != 0)
        return VB_ETYPE;
    vb_sub_candle_t *item = &out[count];
    memset (item, 0, sizeof (*item));
    if (vb_msg_decimal_get (candle->open, &item->open) != 0 ||
        vb_msg_decimal_get (candle->high, &item->high) != 0 ||
        vb_msg_decimal_get (candle->low, &item->low) != 0 ||
        vb_msg_decimal_get (candle->close, &item->close) != 0 ||
        vb_msg_decimal_get (candle->volume, &item->volume) != 0)
        return VB_ETYPE;
    item->open_ts_ns = candle->open_ts_ns;
    item->close_ts_ns = candle->close_ts_ns;
    item->trades = candle->trades;
    item->closed = candle->closed;
    if (count > 0 && item->open_ts_ns <= out[count - 1].open_ts_ns)
        return VB_ESEQ;
    return 0;
}

//  --------------------------------------------------------------------------
//  Ask one endpoint. Returns 0 with the candles, VB_ENOTFOUND for
//  "ERROR unknown-symbol" (another shard), or as vb_sub_candles.

static int
s_history_ask (const char *endpoint, const char *request, const char *symbol, const char *interval,
               int64_t deadline_ms, vb_sub_candle_t **candles, size_t *count, char *error,
               size_t error_size)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return VB_EIO;
    zsock_set_linger (dealer, 0);
    int rc = zsock_attach (dealer, endpoint, false) == 0 ? 0 : VB_EIO;
    if (rc == 0 && zstr_send (dealer, request) != 0)
        rc = VB_EIO;
    zmsg_t *reply = NULL;
    while (rc == 0 && !reply) {
        int64_t left = deadline_ms - zclock_mono ();
        if (left <= 0) {
            rc = VB_EAGAIN;
            break;
        }
        zpoller_t *poller = zpoller_new (dealer, NULL);
        void *ready = poller ? zpoller_wait (poller, (int)(left > INT_MAX ? INT_MAX : left)) : NULL;
        bool interrupted = poller && zpoller_terminated (poller);
        zpoller_destroy (&poller);
        if (ready)
            reply = zmsg_recv (dealer);
        else if (interrupted)
            rc = VB_EAGAIN;
    }
    zsock_destroy (&dealer);
    if (rc)
        return rc;
    size_t frames = zmsg_size (reply);
    zframe_t *last = zmsg_last (reply);
    char text[VB_SUB_HISTORY_ERROR_MAX];
    size_t length = zframe_size (last) < sizeof (text) - 1 ? zframe_size (last) : sizeof (text) - 1;
    memcpy (text, zframe_data (last), length);
    text[length] = 0;
    if (frames == 1 && strncmp (text, S_ERROR_PREFIX, strlen (S_ERROR_PREFIX)) == 0) {
        snprintf (error, error_size, "%s", text);
        zmsg_destroy (&reply);
        return strncmp (text, "ERROR unknown-symbol ", strlen ("ERROR unknown-symbol ")) == 0
                   ? VB_ENOTFOUND
                   : VB_EIO;
    }
    //  Candle frames, then "END ... <N>" with N the number of candles.
    const char *space = strrchr (text, ' ');
    char *end = NULL;
    unsigned long long announced = space ? strtoull (space + 1, &end, 10) : 0;
    if (strncmp (text, "END ", 4) != 0 || !space || !end || *end || announced != frames - 1) {
        snprintf (error, error_size, "malformed candle history reply");
        zmsg_destroy (&reply);
        return VB_ETYPE;
    }
    vb_sub_candle_t *out =
        (vb_sub_candle_t *)malloc ((frames > 1 ? frames - 1 : 1) * sizeof (vb_sub_candle_t));
    vb_msg_t *decoder = vb_msg_new ();
    if (!out || !decoder) {
        free (out);
        vb_msg_destroy (&decoder);
        zmsg_destroy (&reply);
        return VB_ENOMEM;
    }
    size_t taken = 0;
    for (zframe_t *frame = zmsg_first (reply); frame && frame != last && rc == 0;
         frame = zmsg_next (reply))
        if ((rc = s_history_candle (decoder, frame, symbol, interval, out, taken)) == 0)
            taken++;
    vb_msg_destroy (&decoder);
    zmsg_destroy (&reply);
    if (rc) {
        snprintf (error, error_size, "malformed candle in the history reply");
        free (out);
        return rc;
    }
    *candles = out;
    *count = taken;
    return 0;
}

//  --------------------------------------------------------------------------
//  Candle history from the venue's gateways.

int
vb_sub_candles (vb_sub_t *self, const char *venue, const char *symbol, const char *interval,
                int64_t from_ms, int64_t to_ms, int timeout_ms, vb_sub_candle_t **candles,
                size_t *count, char *error, size_t error_size)
{
    assert (self);
    if (!candles || !count || !error || error_size == 0)
        return VB_EINVAL;
    *candles = NULL;
    *count = 0;
    error[0] = 0;
    if (!s_component_valid (venue) || !s_component_valid (symbol) ||
        !s_component_valid (interval) || from_ms < 0 || to_ms <= from_ms || timeout_ms < 1) {
        snprintf (error, error_size, "bad arguments");
        return VB_EINVAL;
    }
    char request[VB_SUB_HISTORY_ERROR_MAX];
    int length = snprintf (request, sizeof (request), "CANDLES %s %s %s %" PRId64 " %" PRId64,
                           venue, symbol, interval, from_ms, to_ms);
    if (length < 0 || (size_t)length >= sizeof (request)) {
        snprintf (error, error_size, "bad arguments");
        return VB_EINVAL;
    }
    int64_t deadline_ms = zclock_mono () + timeout_ms;
    int rc = VB_ENOTFOUND;
    for (size_t i = 0; i < self->gateway_count && rc == VB_ENOTFOUND; i++)
        if (streq (self->gateways[i].venue, venue))
            rc = s_history_ask (self->gateways[i].endpoint, request, symbol, interval, deadline_ms,
                                candles, count, error, error_size);
    if (rc == VB_ENOTFOUND && !error[0])
        snprintf (error, error_size, "no gateway for venue %s", venue);
    return rc;
}
