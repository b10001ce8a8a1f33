/*  gw_core.c — books, validation, per-topic sequences and publishing.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <unistd.h>

#include "gw_core.h"
#include "gw_metrics.h"
#include "vb_book.h"
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_log.h"
#include "vb_msg.h"
#include "vb_topic.h"

//  Level changes one commit may carry before it is refused (resync).
#define GW_CHANGES_MAX 1000000
//  Book storage per side, as a multiple of the published depth: headroom
//  for venues whose rule is "apply the whole message, then truncate".
#define GW_DEPTH_HEADROOM 2
//  Basis points in one.
#define GW_BPS 10000
//  Longest status reason kept.
#define GW_REASON_MAX 32
//  Where the gateway's alerts go (DESIGN.md §3: sys.<service>.<kind>).
#define GW_ALERT_TOPIC "sys.gateway.alert"

//  Longest producer id.
#define GW_PRODUCER_MAX 96

//  One recorded level change of the open commit.
typedef struct {
    vb_book_side_t side;  //  Bid or ask
    vb_decimal_t price;   //  As given
    vb_decimal_t qty;     //  As given; zero removes
} s_change_t;

//  Everything the core keeps for one symbol.
typedef struct {
    const char *symbol;                        //  Borrowed from the settings
    vb_book_t *book;                           //  The verified book
    Venuebus__BookState state;                 //  SYNCED, RESYNCING or STALE
    char reason[GW_REASON_MAX];                //  Why the last state change
    bool status_dirty;                         //  Publish status at the next tick
    int64_t status_at_ns;                      //  Monotonic time of the last status
    uint64_t gaps;                             //  Gaps detected since start
    uint64_t anomalies;                        //  Anomalies flagged since start
    uint64_t reconnects;                       //  Reconnect breaks since start
    uint64_t expected_seq;                     //  Last gap: venue sequence expected
    uint64_t received_seq;                     //  Last gap: venue sequence received
    bool in_change;                            //  Between book_begin and book_commit
    bool change_snapshot;                      //  The open change started from empty
    bool change_failed;                        //  A level of the open change was refused
    uint64_t venue_seq;                        //  Venue update id of the book
    int64_t book_ts_ns;                        //  Exchange time of the last commit
    int64_t trade_ts_ns;                       //  Exchange time of the last trade
    int64_t bbo_ts_ns;                         //  Exchange time of the last BBO
    int64_t candle_open_ns[GW_INTERVALS_MAX];  //  Last closed candle open, per interval
    uint64_t seq_book;                         //  Per-topic sequences: last published
    uint64_t seq_trade;
    uint64_t seq_bbo;
    uint64_t seq_funding;
    uint64_t seq_status;
    int64_t broken_at_ns;    //  Monotonic time it left SYNCED (0: synced)
    bool stuck_alert;        //  The stuck alert is firing
    const char *stuck_name;  //  ... under this name
    uint64_t seq_candle[GW_INTERVALS_MAX];
    char topic_book[VB_TOPIC_MAX + 1];  //  Topics, built once
    char topic_trade[VB_TOPIC_MAX + 1];
    char topic_bbo[VB_TOPIC_MAX + 1];
    char topic_funding[VB_TOPIC_MAX + 1];
    char topic_status[VB_TOPIC_MAX + 1];
    char topic_candle[GW_INTERVALS_MAX][VB_TOPIC_MAX + 1];
} s_symbol_t;

struct _gw_core_t {
    const gw_settings_t *settings;   //  Borrowed
    vb_md_sink_t sink;               //  Handed to the adapter
    gw_core_io_t io;                 //  send and rest targets
    zsock_t *pub;                    //  Connected to the bus frontend
    s_symbol_t *symbols;             //  One per shard symbol
    size_t symbol_count;             //  Their number
    char producer[GW_PRODUCER_MAX];  //  "gateway.<venue>.<pid>"
    int64_t recv_ts_ns;              //  Read time of the current input
    const char *break_reason;        //  "stale" while a stale link closes
    uint64_t unattributed;           //  Anomalies with no symbol (decode errors)
    uint64_t published;              //  Frames handed to ZeroMQ
    uint64_t seq_alert;              //  sys.gateway.alert sequence
    gw_metrics_t *metrics;           //  Borrowed; NULL with metrics off
    s_change_t *changes;             //  The open change's levels
    size_t change_count;             //  In use
    s_symbol_t *open_symbol;         //  Whose change is open (one at a time)
    size_t change_capacity;          //  Allocated
    int64_t *scratch;                //  Packed arrays: 4 x scratch_capacity
    size_t scratch_capacity;         //  Values per array
    int64_t warn_window_ns;          //  Start of the warning window (monotonic)
    int64_t warn_count;              //  Warnings in this window
    uint64_t warn_suppressed;        //  Warnings not logged in this window
};

//  --------------------------------------------------------------------------
//  Log a validation finding at warning, at most warnings_per_s per second;
//  the rest are counted and summed up when the window turns.

static void s_warn (gw_core_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_warn (gw_core_t *self, const char *format, ...)
{
    int64_t now = vb_clock_now_mono_ns ();
    if (now - self->warn_window_ns >= VB_NS_PER_SEC) {
        if (self->warn_suppressed)
            vb_log_warning ("validation warnings suppressed count=%" PRIu64, self->warn_suppressed);
        self->warn_window_ns = now;
        self->warn_count = 0;
        self->warn_suppressed = 0;
    }
    if (self->warn_count >= self->settings->warnings_per_s) {
        self->warn_suppressed++;
        return;
    }
    self->warn_count++;
    va_list args;
    va_start (args, format);
    vb_log_vwrite (VB_LOG_WARNING, format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  Find a symbol of the shard, or NULL.

static s_symbol_t *
s_find (gw_core_t *self, const char *symbol)
{
    if (!symbol)
        return NULL;
    for (size_t i = 0; i < self->symbol_count; i++)
        if (strcmp (self->symbols[i].symbol, symbol) == 0)
            return &self->symbols[i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Fill the header and publish one frame; count the topic's sequence only
//  when the frame was handed to ZeroMQ, so the numbering a subscriber sees
//  is gap-free unless ZeroMQ itself dropped something.

static int
s_publish (gw_core_t *self, s_symbol_t *sym, const char *topic, uint64_t *seq,
           Venuebus__Envelope *envelope, int64_t exchange_ts_ns)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.venue = (char *)self->settings->venue;
    header.symbol = (char *)sym->symbol;
    header.seq = *seq + 1;
    header.exchange_ts_ns = exchange_ts_ns;
    header.recv_ts_ns = self->recv_ts_ns ? self->recv_ts_ns : vb_clock_now_real_ns ();
    header.producer = self->producer;
    header.topic = (char *)topic;
    header.publish_ts_ns = vb_clock_now_real_ns ();
    envelope->header = &header;
    int rc = vb_msg_send (self->pub, topic, envelope, 0);
    if (rc == 0) {
        (*seq)++;
        self->published++;
        gw_metrics_out (self->metrics, envelope->body_case, exchange_ts_ns, header.publish_ts_ns);
    } else
        s_warn (self, "publish failed topic=%s error=%s", topic, vb_strerror (rc));
    envelope->header = NULL;
    return rc;
}

//  --------------------------------------------------------------------------
//  Publish the symbol's status now.

static void
s_publish_status (gw_core_t *self, s_symbol_t *sym)
{
    Venuebus__Status status = VENUEBUS__STATUS__INIT;
    status.book_state = sym->state;
    status.reason = sym->reason;
    status.gaps = sym->gaps;
    status.anomalies = sym->anomalies + self->unattributed;
    status.reconnects = sym->reconnects;
    status.expected_seq = sym->expected_seq;
    status.received_seq = sym->received_seq;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_STATUS;
    envelope.status = &status;
    s_publish (self, sym, sym->topic_status, &sym->seq_status, &envelope, 0);
    sym->status_dirty = false;
    sym->status_at_ns = vb_clock_now_mono_ns ();
}

//  --------------------------------------------------------------------------
//  Move a book to a state, publishing the status when it changed.

static void
s_set_state (gw_core_t *self, s_symbol_t *sym, Venuebus__BookState state, const char *reason)
{
    bool changed = sym->state != state || strncmp (sym->reason, reason, GW_REASON_MAX) != 0;
    sym->state = state;
    snprintf (sym->reason, sizeof (sym->reason), "%s", reason);
    if (state == VENUEBUS__BOOK_STATE__SYNCED)
        sym->broken_at_ns = 0;
    else if (!sym->broken_at_ns)
        sym->broken_at_ns = vb_clock_now_mono_ns ();
    if (changed) {
        gw_metrics_book_state (self->metrics, (size_t)(sym - self->symbols), state, reason,
                               vb_clock_now_mono_ns ());
        if (state == VENUEBUS__BOOK_STATE__SYNCED)
            vb_log_info ("book synced venue=%s symbol=%s venue_seq=%" PRIu64, self->settings->venue,
                         sym->symbol, sym->venue_seq);
        else
            s_warn (self, "book %s venue=%s symbol=%s reason=%s",
                    state == VENUEBUS__BOOK_STATE__STALE ? "stale" : "resyncing",
                    self->settings->venue, sym->symbol, reason);
        s_publish_status (self, sym);
    }
}

//  --------------------------------------------------------------------------
//  Count an anomaly on a symbol (or on the shard when symbol is NULL).

static void
s_anomaly (gw_core_t *self, s_symbol_t *sym, const char *what)
{
    gw_metrics_anomaly (self->metrics);
    if (sym) {
        sym->anomalies++;
        sym->status_dirty = true;
    } else {
        self->unattributed++;
        for (size_t i = 0; i < self->symbol_count; i++)
            self->symbols[i].status_dirty = true;
    }
    s_warn (self, "anomaly venue=%s symbol=%s what=%s", self->settings->venue,
            sym ? sym->symbol : "-", what);
}

//  --------------------------------------------------------------------------
//  True when price lies further than max_deviation_bps from the book's mid
//  (exact: |2p - (bid + ask)| * 10000 > bps * (bid + ask)). False when the
//  check is off, the book is not SYNCED or has an empty side, or the
//  arithmetic would overflow (no judgement is better than a wrong one).

static bool
s_far_from_mid (gw_core_t *self, s_symbol_t *sym, vb_decimal_t price)
{
    int64_t bps = self->settings->max_deviation_bps;
    if (bps == 0 || sym->state != VENUEBUS__BOOK_STATE__SYNCED)
        return false;
    vb_decimal_t bid, ask, sum, twice, diff, sum_scaled;
    if (vb_book_best (sym->book, VB_BOOK_BID, &bid, NULL) ||
        vb_book_best (sym->book, VB_BOOK_ASK, &ask, NULL) || vb_decimal_add (bid, ask, &sum) ||
        vb_decimal_add (price, price, &twice) || vb_decimal_sub (twice, sum, &diff) ||
        vb_decimal_rescale (sum, diff.exponent, &sum_scaled))
        return false;
    __int128 distance = diff.mantissa < 0 ? -(__int128)diff.mantissa : (__int128)diff.mantissa;
    return distance * GW_BPS > (__int128)bps * sum_scaled.mantissa;
}

//  --------------------------------------------------------------------------
//  True when an exchange timestamp goes back past the tolerance.

static bool
s_backwards (gw_core_t *self, int64_t last_ns, int64_t ts_ns)
{
    return ts_ns > 0 && last_ns > 0 &&
           ts_ns < last_ns - self->settings->ts_tolerance_ms * VB_NS_PER_MS;
}

//  --------------------------------------------------------------------------
//  Make room for `count` values in each of the four packed arrays.

static int
s_scratch (gw_core_t *self, size_t count)
{
    if (count <= self->scratch_capacity)
        return 0;
    size_t capacity = self->scratch_capacity ? self->scratch_capacity : 256;
    while (capacity < count)
        capacity *= 2;
    int64_t *scratch = (int64_t *)realloc (self->scratch, 4 * capacity * sizeof (int64_t));
    if (!scratch)
        return VB_ENOMEM;
    self->scratch = scratch;
    self->scratch_capacity = capacity;
    return 0;
}

//  --------------------------------------------------------------------------
//  Pack levels into one side's arrays at the given exponents (exactly).

static int
s_pack (vb_decimal_t price, vb_decimal_t qty, int32_t price_exponent, int32_t qty_exponent,
        int64_t *price_out, int64_t *qty_out)
{
    vb_decimal_t scaled;
    int rc = vb_decimal_rescale (price, price_exponent, &scaled);
    if (rc)
        return rc;
    *price_out = scaled.mantissa;
    rc = vb_decimal_rescale (qty, qty_exponent, &scaled);
    if (rc)
        return rc;
    *qty_out = scaled.mantissa;
    return 0;
}

//  --------------------------------------------------------------------------
//  Fill a BookSnapshot from the symbol's book (best first), using the
//  core's scratch arrays. Returns 0 or a VB_E* code.

static int
s_fill_snapshot (gw_core_t *self, s_symbol_t *sym, Venuebus__BookSnapshot *snapshot)
{
    size_t bids = vb_book_count (sym->book, VB_BOOK_BID);
    size_t asks = vb_book_count (sym->book, VB_BOOK_ASK);
    int rc = s_scratch (self, bids > asks ? bids : asks);
    if (rc)
        return rc;
    //  The finest exponents among the levels: every value rescales exactly.
    int32_t price_exponent = INT32_MAX, qty_exponent = INT32_MAX;
    vb_decimal_t price, qty;
    for (int side = VB_BOOK_BID; side <= VB_BOOK_ASK; side++)
        for (size_t i = 0; vb_book_level (sym->book, side, i, &price, &qty) == 0; i++) {
            if (price.exponent < price_exponent)
                price_exponent = price.exponent;
            if (!vb_decimal_is_zero (qty) && qty.exponent < qty_exponent)
                qty_exponent = qty.exponent;
        }
    if (price_exponent == INT32_MAX)
        price_exponent = 0;
    if (qty_exponent == INT32_MAX)
        qty_exponent = 0;
    int64_t *bid_price = self->scratch, *bid_qty = bid_price + self->scratch_capacity;
    int64_t *ask_price = bid_qty + self->scratch_capacity;
    int64_t *ask_qty = ask_price + self->scratch_capacity;
    for (size_t i = 0; i < bids; i++) {
        vb_book_level (sym->book, VB_BOOK_BID, i, &price, &qty);
        if ((rc = s_pack (price, qty, price_exponent, qty_exponent, &bid_price[i], &bid_qty[i])))
            return rc;
    }
    for (size_t i = 0; i < asks; i++) {
        vb_book_level (sym->book, VB_BOOK_ASK, i, &price, &qty);
        if ((rc = s_pack (price, qty, price_exponent, qty_exponent, &ask_price[i], &ask_qty[i])))
            return rc;
    }
    snapshot->price_exponent = price_exponent;
    snapshot->qty_exponent = qty_exponent;
    snapshot->n_bid_price = snapshot->n_bid_qty = bids;
    snapshot->bid_price = bid_price;
    snapshot->bid_qty = bid_qty;
    snapshot->n_ask_price = snapshot->n_ask_qty = asks;
    snapshot->ask_price = ask_price;
    snapshot->ask_qty = ask_qty;
    snapshot->venue_seq = sym->venue_seq;
    snapshot->depth = (uint32_t)self->settings->depth;
    return 0;
}

//  --------------------------------------------------------------------------
//  Publish the book as a BookSnapshot.

static int
s_publish_snapshot (gw_core_t *self, s_symbol_t *sym)
{
    Venuebus__BookSnapshot snapshot = VENUEBUS__BOOK_SNAPSHOT__INIT;
    int rc = s_fill_snapshot (self, sym, &snapshot);
    if (rc)
        return rc;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT;
    envelope.book_snapshot = &snapshot;
    return s_publish (self, sym, sym->topic_book, &sym->seq_book, &envelope, sym->book_ts_ns);
}

//  --------------------------------------------------------------------------
//  Publish the open change as a BookDelta (nothing when it is empty).

static int
s_publish_delta (gw_core_t *self, s_symbol_t *sym, uint64_t first, uint64_t last)
{
    if (self->change_count == 0)
        return 0;
    int rc = s_scratch (self, self->change_count);
    if (rc)
        return rc;
    int32_t price_exponent = INT32_MAX, qty_exponent = INT32_MAX;
    size_t bids = 0, asks = 0;
    for (size_t i = 0; i < self->change_count; i++) {
        s_change_t *change = &self->changes[i];
        if (change->price.exponent < price_exponent)
            price_exponent = change->price.exponent;
        if (!vb_decimal_is_zero (change->qty) && change->qty.exponent < qty_exponent)
            qty_exponent = change->qty.exponent;
    }
    if (qty_exponent == INT32_MAX)
        qty_exponent = 0;  //  Only removals: qty 0 at any exponent
    int64_t *bid_price = self->scratch, *bid_qty = bid_price + self->scratch_capacity;
    int64_t *ask_price = bid_qty + self->scratch_capacity;
    int64_t *ask_qty = ask_price + self->scratch_capacity;
    for (size_t i = 0; i < self->change_count; i++) {
        s_change_t *change = &self->changes[i];
        if (change->side == VB_BOOK_BID) {
            rc = s_pack (change->price, change->qty, price_exponent, qty_exponent, &bid_price[bids],
                         &bid_qty[bids]);
            bids++;
        } else {
            rc = s_pack (change->price, change->qty, price_exponent, qty_exponent, &ask_price[asks],
                         &ask_qty[asks]);
            asks++;
        }
        if (rc)
            return rc;
    }
    Venuebus__BookDelta delta = VENUEBUS__BOOK_DELTA__INIT;
    delta.price_exponent = price_exponent;
    delta.qty_exponent = qty_exponent;
    delta.n_bid_price = delta.n_bid_qty = bids;
    delta.bid_price = bid_price;
    delta.bid_qty = bid_qty;
    delta.n_ask_price = delta.n_ask_qty = asks;
    delta.ask_price = ask_price;
    delta.ask_qty = ask_qty;
    delta.venue_seq_first = first;
    delta.venue_seq_last = last;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_DELTA;
    envelope.book_delta = &delta;
    return s_publish (self, sym, sym->topic_book, &sym->seq_book, &envelope, sym->book_ts_ns);
}

static void s_break (gw_core_t *self, s_symbol_t *sym, const char *reason);

//  --------------------------------------------------------------------------
//  Sink: the core's book for a symbol.

static vb_book_t *
s_sink_book (void *ctx, const char *symbol)
{
    s_symbol_t *sym = s_find ((gw_core_t *)ctx, symbol);
    return sym ? sym->book : NULL;
}

//  --------------------------------------------------------------------------
//  Sink: open a change.

static int
s_sink_book_begin (void *ctx, const char *symbol, bool snapshot)
{
    gw_core_t *self = (gw_core_t *)ctx;
    s_symbol_t *sym = s_find (self, symbol);
    if (!sym)
        return VB_ENOTFOUND;
    //  One change is open at a time: a begin for another symbol abandons
    //  the open one, whose book is then half-applied and must be rebuilt.
    if (self->open_symbol && self->open_symbol != sym && self->open_symbol->in_change) {
        s_anomaly (self, self->open_symbol, "change abandoned");
        s_break (self, self->open_symbol, "invalid");
    }
    self->open_symbol = sym;
    sym->in_change = true;
    sym->change_snapshot = snapshot;
    sym->change_failed = false;
    self->change_count = 0;
    if (snapshot)
        vb_book_clear (sym->book);
    return 0;
}

//  --------------------------------------------------------------------------
//  Sink: apply and record one level.

static int
s_sink_book_level (void *ctx, const char *symbol, vb_book_side_t side, vb_decimal_t price,
                   vb_decimal_t qty)
{
    gw_core_t *self = (gw_core_t *)ctx;
    s_symbol_t *sym = s_find (self, symbol);
    if (!sym)
        return VB_ENOTFOUND;
    if (!sym->in_change)
        return VB_ESTATE;
    if (sym->change_failed)
        return VB_EINVAL;
    if (vb_decimal_is_negative (price) || vb_decimal_is_zero (price) ||
        vb_decimal_is_negative (qty) || (side != VB_BOOK_BID && side != VB_BOOK_ASK)) {
        sym->change_failed = true;
        s_anomaly (self, sym, "non-positive level");
        return VB_EINVAL;
    }
    if (self->change_count == GW_CHANGES_MAX) {
        sym->change_failed = true;
        s_anomaly (self, sym, "too many levels in one change");
        return VB_ELIMIT;
    }
    int rc = vb_book_set (sym->book, side, price, qty);
    if (rc) {
        sym->change_failed = true;
        s_anomaly (self, sym, "level refused by the book");
        return rc;
    }
    if (self->change_count == self->change_capacity) {
        size_t capacity = self->change_capacity ? self->change_capacity * 2 : 1024;
        s_change_t *changes = (s_change_t *)realloc (self->changes, capacity * sizeof (s_change_t));
        if (!changes) {
            sym->change_failed = true;
            return VB_ENOMEM;
        }
        self->changes = changes;
        self->change_capacity = capacity;
    }
    self->changes[self->change_count++] = (s_change_t){side, price, qty};
    return 0;
}

//  --------------------------------------------------------------------------
//  Mark a book broken: RESYNCING (or STALE while the session says so).

static void
s_break (gw_core_t *self, s_symbol_t *sym, const char *reason)
{
    sym->in_change = false;
    bool stale = self->break_reason && streq (self->break_reason, "stale");
    s_set_state (self, sym, stale ? VENUEBUS__BOOK_STATE__STALE : VENUEBUS__BOOK_STATE__RESYNCING,
                 self->break_reason ? self->break_reason : reason);
}

//  --------------------------------------------------------------------------
//  Sink: close a change, validate, publish, mark SYNCED.

static int
s_sink_book_commit (void *ctx, const char *symbol, uint64_t first, uint64_t last,
                    int64_t exchange_ts_ns)
{
    gw_core_t *self = (gw_core_t *)ctx;
    s_symbol_t *sym = s_find (self, symbol);
    if (!sym)
        return VB_ENOTFOUND;
    if (!sym->in_change) {
        s_anomaly (self, sym, "commit without begin");
        return VB_ESTATE;
    }
    sym->in_change = false;
    if (sym->change_failed) {
        s_break (self, sym, "invalid");
        return VB_EINVAL;
    }
    vb_book_truncate (sym->book, self->settings->depth);
    if (vb_book_crossed (sym->book)) {
        s_anomaly (self, sym, "crossed book");
        s_break (self, sym, "crossed");
        return VB_ECROSSED;
    }
    if (s_backwards (self, sym->book_ts_ns, exchange_ts_ns))
        s_anomaly (self, sym, "book timestamp went back");
    if (exchange_ts_ns > sym->book_ts_ns)
        sym->book_ts_ns = exchange_ts_ns;
    sym->venue_seq = last;
    int rc;
    if (sym->change_snapshot || sym->state != VENUEBUS__BOOK_STATE__SYNCED)
        rc = s_publish_snapshot (self, sym);
    else {
        rc = s_publish_delta (self, sym, first, last);
        if (rc == VB_EOVERFLOW || rc == VB_EINVAL)
            rc = s_publish_snapshot (self, sym);  //  No common exponent: send it whole
    }
    if (rc) {
        s_anomaly (self, sym, "book cannot be encoded");
        s_break (self, sym, "encode");
        return rc;
    }
    s_set_state (self, sym, VENUEBUS__BOOK_STATE__SYNCED, "");
    return 0;
}

//  --------------------------------------------------------------------------
//  Sink: the adapter found a break.

static void
s_sink_book_resync (void *ctx, const char *symbol, const char *reason, uint64_t expected_seq,
                    uint64_t received_seq)
{
    gw_core_t *self = (gw_core_t *)ctx;
    s_symbol_t *sym = s_find (self, symbol);
    if (!sym)
        return;
    if (!reason)
        reason = "unknown";
    if (streq (reason, "gap")) {
        sym->gaps++;
        gw_metrics_gap (self->metrics);
        sym->expected_seq = expected_seq;
        sym->received_seq = received_seq;
    } else if (streq (reason, "reconnect"))
        sym->reconnects++;
    else if (!streq (reason, "crossed")) {  //  crossed was counted at commit
        sym->anomalies++;
        gw_metrics_anomaly (self->metrics);
    }
    s_break (self, sym, reason);
}

//  --------------------------------------------------------------------------
//  Sink: a trade.

static int
s_sink_trade (void *ctx, const char *symbol, const vb_md_trade_t *trade)
{
    gw_core_t *self = (gw_core_t *)ctx;
    s_symbol_t *sym = s_find (self, symbol);
    if (!sym || !trade)
        return VB_ENOTFOUND;
    if (vb_decimal_is_negative (trade->price) || vb_decimal_is_zero (trade->price) ||
        vb_decimal_is_negative (trade->qty) || vb_decimal_is_zero (trade->qty)) {
        s_anomaly (self, sym, "non-positive trade");
        return 0;
    }
    if (s_far_from_mid (self, sym, trade->price)) {
        s_anomaly (self, sym, "trade price far from mid");
        return 0;
    }
    if (s_backwards (self, sym->trade_ts_ns, trade->exchange_ts_ns)) {
        s_anomaly (self, sym, "trade timestamp went back");
        return 0;
    }
    if (trade->exchange_ts_ns > sym->trade_ts_ns)
        sym->trade_ts_ns = trade->exchange_ts_ns;
    Venuebus__Decimal price, qty;
    vb_msg_decimal_set (&price, trade->price);
    vb_msg_decimal_set (&qty, trade->qty);
    Venuebus__Trade body = VENUEBUS__TRADE__INIT;
    body.price = &price;
    body.qty = &qty;
    body.side = trade->side == VB_MD_SIDE_BUY    ? VENUEBUS__SIDE__BUY
                : trade->side == VB_MD_SIDE_SELL ? VENUEBUS__SIDE__SELL
                                                 : VENUEBUS__SIDE__SIDE_UNSPECIFIED;
    body.trade_id = (char *)(trade->trade_id ? trade->trade_id : "");
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope.trade = &body;
    s_publish (self, sym, sym->topic_trade, &sym->seq_trade, &envelope, trade->exchange_ts_ns);
    return 0;
}

//  --------------------------------------------------------------------------
//  Sink: best bid and ask.

static int
s_sink_bbo (void *ctx, const char *symbol, const vb_md_bbo_t *bbo)
{
    gw_core_t *self = (gw_core_t *)ctx;
    s_symbol_t *sym = s_find (self, symbol);
    if (!sym || !bbo)
        return VB_ENOTFOUND;
    if (vb_decimal_is_negative (bbo->bid_price) || vb_decimal_is_zero (bbo->bid_price) ||
        vb_decimal_is_negative (bbo->ask_price) || vb_decimal_is_zero (bbo->ask_price) ||
        vb_decimal_is_negative (bbo->bid_qty) || vb_decimal_is_zero (bbo->bid_qty) ||
        vb_decimal_is_negative (bbo->ask_qty) || vb_decimal_is_zero (bbo->ask_qty)) {
        s_anomaly (self, sym, "non-positive bbo");
        return 0;
    }
    if (vb_decimal_cmp (bbo->bid_price, bbo->ask_price) >= 0) {
        s_anomaly (self, sym, "crossed bbo");
        return 0;
    }
    if (s_far_from_mid (self, sym, bbo->bid_price) || s_far_from_mid (self, sym, bbo->ask_price)) {
        s_anomaly (self, sym, "bbo price far from mid");
        return 0;
    }
    if (s_backwards (self, sym->bbo_ts_ns, bbo->exchange_ts_ns)) {
        s_anomaly (self, sym, "bbo timestamp went back");
        return 0;
    }
    if (bbo->exchange_ts_ns > sym->bbo_ts_ns)
        sym->bbo_ts_ns = bbo->exchange_ts_ns;
    Venuebus__Decimal bid_price, bid_qty, ask_price, ask_qty;
    vb_msg_decimal_set (&bid_price, bbo->bid_price);
    vb_msg_decimal_set (&bid_qty, bbo->bid_qty);
    vb_msg_decimal_set (&ask_price, bbo->ask_price);
    vb_msg_decimal_set (&ask_qty, bbo->ask_qty);
    Venuebus__Bbo body = VENUEBUS__BBO__INIT;
    body.bid_price = &bid_price;
    body.bid_qty = &bid_qty;
    body.ask_price = &ask_price;
    body.ask_qty = &ask_qty;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BBO;
    envelope.bbo = &body;
    s_publish (self, sym, sym->topic_bbo, &sym->seq_bbo, &envelope, bbo->exchange_ts_ns);
    return 0;
}

//  --------------------------------------------------------------------------
//  Sink: a candle. Closed candles are published once per open time, so a
//  REST backfill that overlaps the live stream adds nothing twice.

static int
s_sink_candle (void *ctx, const char *symbol, const vb_md_candle_t *candle)
{
    gw_core_t *self = (gw_core_t *)ctx;
    s_symbol_t *sym = s_find (self, symbol);
    if (!sym || !candle)
        return VB_ENOTFOUND;
    size_t index = 0;
    while (index < self->settings->interval_count &&
           (!candle->interval || strcmp (self->settings->intervals[index], candle->interval)))
        index++;
    if (index == self->settings->interval_count) {
        s_anomaly (self, sym, "candle of an interval not configured");
        return 0;
    }
    if (vb_decimal_is_negative (candle->open) || vb_decimal_is_negative (candle->high) ||
        vb_decimal_is_negative (candle->low) || vb_decimal_is_negative (candle->close) ||
        vb_decimal_is_negative (candle->volume) || candle->close_ts_ns < candle->open_ts_ns) {
        s_anomaly (self, sym, "invalid candle");
        return 0;
    }
    if (candle->closed) {
        if (candle->open_ts_ns <= sym->candle_open_ns[index])
            return 0;  //  Already published (live or backfill)
        sym->candle_open_ns[index] = candle->open_ts_ns;
    }
    Venuebus__Decimal open, high, low, close, volume;
    vb_msg_decimal_set (&open, candle->open);
    vb_msg_decimal_set (&high, candle->high);
    vb_msg_decimal_set (&low, candle->low);
    vb_msg_decimal_set (&close, candle->close);
    vb_msg_decimal_set (&volume, candle->volume);
    Venuebus__Candle body = VENUEBUS__CANDLE__INIT;
    body.interval = (char *)self->settings->intervals[index];
    body.open_ts_ns = candle->open_ts_ns;
    body.close_ts_ns = candle->close_ts_ns;
    body.open = &open;
    body.high = &high;
    body.low = &low;
    body.close = &close;
    body.volume = &volume;
    body.closed = candle->closed;
    body.trades = candle->trades;
    body.backfilled = candle->backfilled;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANDLE;
    envelope.candle = &body;
    s_publish (self, sym, sym->topic_candle[index], &sym->seq_candle[index], &envelope,
               candle->close_ts_ns);
    return 0;
}

//  --------------------------------------------------------------------------
//  Sink: funding and mark price.

static int
s_sink_funding (void *ctx, const char *symbol, const vb_md_funding_t *funding)
{
    gw_core_t *self = (gw_core_t *)ctx;
    s_symbol_t *sym = s_find (self, symbol);
    if (!sym || !funding)
        return VB_ENOTFOUND;
    Venuebus__Decimal mark, index, rate;
    vb_msg_decimal_set (&mark, funding->mark_price);
    vb_msg_decimal_set (&index, funding->index_price);
    vb_msg_decimal_set (&rate, funding->funding_rate);
    Venuebus__Funding body = VENUEBUS__FUNDING__INIT;
    body.mark_price = &mark;
    body.index_price = &index;
    body.funding_rate = &rate;
    body.next_funding_ts_ns = funding->next_funding_ts_ns;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_FUNDING;
    envelope.funding = &body;
    s_publish (self, sym, sym->topic_funding, &sym->seq_funding, &envelope,
               funding->exchange_ts_ns);
    return 0;
}

//  --------------------------------------------------------------------------
//  Sink: REST call and WebSocket send, forwarded to the server.

static int
s_sink_rest (void *ctx, const vb_md_request_t *request)
{
    gw_core_t *self = (gw_core_t *)ctx;
    if (!self->io.rest || !request)
        return VB_ESTATE;
    return self->io.rest (self->io.ctx, request);
}

static int
s_sink_send (void *ctx, size_t index, const char *text, size_t length)
{
    gw_core_t *self = (gw_core_t *)ctx;
    if (!self->io.send || !text)
        return VB_ESTATE;
    return self->io.send (self->io.ctx, index, text, length);
}

//  --------------------------------------------------------------------------
//  Sink: an unusable frame.

static void
s_sink_anomaly (void *ctx, const char *symbol, const char *what)
{
    gw_core_t *self = (gw_core_t *)ctx;
    s_anomaly (self, s_find (self, symbol), what ? what : "unknown");
}

//  --------------------------------------------------------------------------
//  Create the core.

gw_core_t *
gw_core_new (const gw_settings_t *settings)
{
    assert (settings);
    gw_core_t *self = (gw_core_t *)zmalloc (sizeof (gw_core_t));
    self->settings = settings;
    snprintf (self->producer, sizeof (self->producer), "gateway.%s.%d", settings->venue,
              (int)getpid ());
    self->sink = (vb_md_sink_t){.ctx = self,
                                .book = s_sink_book,
                                .book_begin = s_sink_book_begin,
                                .book_level = s_sink_book_level,
                                .book_commit = s_sink_book_commit,
                                .book_resync = s_sink_book_resync,
                                .trade = s_sink_trade,
                                .bbo = s_sink_bbo,
                                .candle = s_sink_candle,
                                .funding = s_sink_funding,
                                .rest = s_sink_rest,
                                .send = s_sink_send,
                                .anomaly = s_sink_anomaly};
    self->symbols = (s_symbol_t *)zmalloc (settings->symbol_count * sizeof (s_symbol_t));
    self->symbol_count = settings->symbol_count;
    for (size_t i = 0; i < settings->symbol_count; i++) {
        s_symbol_t *sym = &self->symbols[i];
        sym->symbol = settings->symbols[i];
        sym->book = vb_book_new (settings->depth * GW_DEPTH_HEADROOM);
        sym->state = VENUEBUS__BOOK_STATE__RESYNCING;
        snprintf (sym->reason, sizeof (sym->reason), "start");
        sym->status_dirty = true;
        const char *venue = settings->venue;
        if (!sym->book ||
            vb_topic_md (sym->topic_book, sizeof (sym->topic_book), venue, sym->symbol,
                         VB_TOPIC_KIND_BOOK, NULL) < 0 ||
            vb_topic_md (sym->topic_trade, sizeof (sym->topic_trade), venue, sym->symbol,
                         VB_TOPIC_KIND_TRADE, NULL) < 0 ||
            vb_topic_md (sym->topic_bbo, sizeof (sym->topic_bbo), venue, sym->symbol,
                         VB_TOPIC_KIND_BBO, NULL) < 0 ||
            vb_topic_md (sym->topic_funding, sizeof (sym->topic_funding), venue, sym->symbol,
                         VB_TOPIC_KIND_FUNDING, NULL) < 0 ||
            vb_topic_md (sym->topic_status, sizeof (sym->topic_status), venue, sym->symbol,
                         VB_TOPIC_KIND_STATUS, NULL) < 0) {
            vb_log_error ("gateway cannot build topics venue=%s symbol=%s", venue, sym->symbol);
            gw_core_destroy (&self);
            return NULL;
        }
        for (size_t j = 0; j < settings->interval_count; j++)
            if (vb_topic_md (sym->topic_candle[j], sizeof (sym->topic_candle[j]), venue,
                             sym->symbol, VB_TOPIC_KIND_CANDLE, settings->intervals[j]) < 0) {
                vb_log_error ("gateway cannot build topics venue=%s symbol=%s interval=%s", venue,
                              sym->symbol, settings->intervals[j]);
                gw_core_destroy (&self);
                return NULL;
            }
    }
    self->pub = zsock_new (ZMQ_PUB);
    if (!self->pub) {
        gw_core_destroy (&self);
        return NULL;
    }
    zsock_set_sndhwm (self->pub, settings->hwm);
    zsock_set_linger (self->pub, 0);
    const char *bus = settings->bus;
    if (*bus == '@' || *bus == '>')
        bus++;
    if (zsock_connect (self->pub, "%s", bus) < 0) {
        vb_log_error ("gateway cannot connect to the bus endpoint=%s error=%s", bus,
                      zmq_strerror (zmq_errno ()));
        gw_core_destroy (&self);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the core.

void
gw_core_destroy (gw_core_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gw_core_t *self = *self_p;
        zsock_destroy (&self->pub);
        for (size_t i = 0; self->symbols && i < self->symbol_count; i++)
            vb_book_destroy (&self->symbols[i].book);
        free (self->symbols);
        free (self->changes);
        free (self->scratch);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Accessors and setters.

const vb_md_sink_t *
gw_core_sink (gw_core_t *self)
{
    assert (self);
    return &self->sink;
}

void
gw_core_set_io (gw_core_t *self, const gw_core_io_t *io)
{
    assert (self);
    assert (io);
    self->io = *io;
}

void
gw_core_set_recv_ts (gw_core_t *self, int64_t recv_ts_ns)
{
    assert (self);
    self->recv_ts_ns = recv_ts_ns;
}

void
gw_core_set_break_reason (gw_core_t *self, const char *reason)
{
    assert (self);
    self->break_reason = reason;
}

uint64_t
gw_core_published (gw_core_t *self)
{
    assert (self);
    return self->published;
}

//  --------------------------------------------------------------------------
//  Report into metrics (borrowed; NULL turns it off).

void
gw_core_set_metrics (gw_core_t *self, gw_metrics_t *metrics)
{
    assert (self);
    self->metrics = metrics;
}

//  --------------------------------------------------------------------------
//  Count an unusable frame.

void
gw_core_decode_error (gw_core_t *self, size_t index, int rc)
{
    assert (self);
    gw_metrics_decode_error (self->metrics);
    self->unattributed++;
    for (size_t i = 0; i < self->symbol_count; i++)
        self->symbols[i].status_dirty = true;
    s_warn (self, "frame unusable venue=%s connection=%zu error=%s", self->settings->venue, index,
            vb_strerror (rc));
}

//  --------------------------------------------------------------------------
//  A book stuck out of SYNCED (resyncing, or a stale stream) for longer than
//  stuck_alert: an Alert on sys.gateway.alert and a warning line; cleared
//  the same way once the book is SYNCED again. (Metric state: the book
//  state gauges, which the Prometheus rules in ops/alerts.yml use.)

static void
s_stuck_alert (gw_core_t *self, s_symbol_t *sym, bool firing, int64_t now)
{
    char text[256];
    snprintf (text, sizeof (text), "venue=%s symbol=%s state=%s reason=%s for_ms=%" PRId64,
              self->settings->venue, sym->symbol,
              sym->state == VENUEBUS__BOOK_STATE__STALE    ? "STALE"
              : sym->state == VENUEBUS__BOOK_STATE__SYNCED ? "SYNCED"
                                                           : "RESYNCING",
              sym->reason, sym->broken_at_ns ? (now - sym->broken_at_ns) / VB_NS_PER_MS : 0);
    if (firing)
        sym->stuck_name =
            sym->state == VENUEBUS__BOOK_STATE__STALE ? "stale_stream" : "book_stuck_resyncing";
    const char *name = sym->stuck_name ? sym->stuck_name : "book_stuck_resyncing";
    if (firing)
        vb_log_warning ("gateway alert name=%s %s", name, text);
    else
        vb_log_notice ("gateway alert cleared name=%s %s", name, text);
    Venuebus__Alert alert = VENUEBUS__ALERT__INIT;
    alert.name = (char *)name;
    alert.severity = firing ? VENUEBUS__SEVERITY__WARNING : VENUEBUS__SEVERITY__INFO;
    alert.text = text;
    alert.firing = firing;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_ALERT;
    envelope.alert = &alert;
    s_publish (self, sym, GW_ALERT_TOPIC, &self->seq_alert, &envelope, 0);
    sym->stuck_alert = firing;
}

//  --------------------------------------------------------------------------
//  Housekeeping, every tick: publish statuses that are due (dirty after an
//  anomaly, or older than the status interval), and flush the suppressed
//  warning count once its window has passed.

void
gw_core_tick (gw_core_t *self)
{
    assert (self);
    int64_t now = vb_clock_now_mono_ns ();
    int64_t interval_ns = self->settings->status_interval_ms * VB_NS_PER_MS;
    self->recv_ts_ns = 0;
    gw_metrics_tick (self->metrics, now);
    for (size_t i = 0; i < self->symbol_count; i++) {
        s_symbol_t *sym = &self->symbols[i];
        if (sym->status_dirty || now - sym->status_at_ns >= interval_ns)
            s_publish_status (self, sym);
        bool stuck = sym->broken_at_ns &&
                     now - sym->broken_at_ns >= self->settings->stuck_alert_ms * VB_NS_PER_MS;
        if (stuck != sym->stuck_alert)
            s_stuck_alert (self, sym, stuck, now);
    }
    if (self->warn_suppressed && now - self->warn_window_ns >= VB_NS_PER_SEC) {
        vb_log_warning ("validation warnings suppressed count=%" PRIu64, self->warn_suppressed);
        self->warn_suppressed = 0;
        self->warn_count = 0;
        self->warn_window_ns = now;
    }
}

//  --------------------------------------------------------------------------
//  Build the snapshot reply for a topic.

int
gw_core_snapshot (gw_core_t *self, const char *topic, uint8_t *buffer, size_t size,
                  const char **reason)
{
    assert (self);
    assert (reason);
    vb_topic_t parsed;
    s_symbol_t *sym = NULL;
    if (topic && vb_topic_parse (topic, strlen (topic), &parsed) == 0 &&
        parsed.domain == VB_TOPIC_DOMAIN_MD && parsed.kind == VB_TOPIC_KIND_BOOK &&
        vb_topic_slice_eq (parsed.venue, self->settings->venue))
        for (size_t i = 0; i < self->symbol_count && !sym; i++)
            if (vb_topic_slice_eq (parsed.symbol, self->symbols[i].symbol))
                sym = &self->symbols[i];
    if (!sym) {
        *reason = "unknown-topic";
        return -1;
    }
    if (sym->state != VENUEBUS__BOOK_STATE__SYNCED || sym->in_change || sym->seq_book == 0) {
        *reason = "not-synced";
        return -1;
    }
    Venuebus__BookSnapshot snapshot = VENUEBUS__BOOK_SNAPSHOT__INIT;
    if (s_fill_snapshot (self, sym, &snapshot)) {
        *reason = "too-large";
        return -1;
    }
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.venue = (char *)self->settings->venue;
    header.symbol = (char *)sym->symbol;
    header.seq = sym->seq_book;  //  The last message published on the topic
    header.exchange_ts_ns = sym->book_ts_ns;
    header.recv_ts_ns = vb_clock_now_real_ns ();
    header.publish_ts_ns = header.recv_ts_ns;
    header.producer = self->producer;
    header.topic = sym->topic_book;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT;
    envelope.book_snapshot = &snapshot;
    int length = vb_msg_encode (sym->topic_book, &envelope, buffer, size);
    if (length < 0) {
        *reason = "too-large";
        return -1;
    }
    return length;
}

//  --------------------------------------------------------------------------
//  Open time of the last closed candle published.

int64_t
gw_core_last_closed_candle (gw_core_t *self, const char *symbol, const char *interval)
{
    assert (self);
    s_symbol_t *sym = s_find (self, symbol);
    if (!sym || !interval)
        return 0;
    for (size_t i = 0; i < self->settings->interval_count; i++)
        if (streq (self->settings->intervals[i], interval))
            return sym->candle_open_ns[i];
    return 0;
}

//  --------------------------------------------------------------------------
//  True when every book is SYNCED.

bool
gw_core_all_synced (gw_core_t *self)
{
    assert (self);
    for (size_t i = 0; i < self->symbol_count; i++)
        if (self->symbols[i].state != VENUEBUS__BOOK_STATE__SYNCED)
            return false;
    return true;
}
