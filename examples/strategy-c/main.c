/*  main.c — venuebus-strategy-c: a small market maker on one venue and symbol.

    It subscribes through the bus to md.<venue>.<SYMBOL>.book (vb_sub keeps
    the book verified and recovers it from the gateway's snapshot endpoint
    after a gap), and quotes one bid and one ask around the mid at
    --spread-bps, rounded outwards to --tick (mm_quote, exact decimals). It
    talks to the router through vb_order_client (DEALER, bare Envelopes):
    - a quote is placed LIMIT GTC post-only with a fresh client_tag;
    - when the mid moves more than --requote-bps from the mid it quoted
      at, both quotes are cancelled and replaced once their cancels are
      confirmed (a side never has two orders at once);
    - fills move the position (vb_order_client counts each venue trade id
      once); a side stops quoting when one more fill of --qty would take
      the position past +-(--max-position);
    - while the book is out of sync (gap, RESYNCING, STALE) it quotes
      nothing and cancels what it has;
    - a request that got no answer in MM_STUCK_MS is followed up with a
      query_order, so a lost frame never wedges a side.
    On SIGINT/SIGTERM (or after --duration seconds) it sends cancel_all for
    the symbol, waits up to MM_SHUTDOWN_WAIT_MS for the confirmations, and
    exits 0. With nothing listening it keeps waiting: vb_sub reconnects by
    itself, and orders are refused (not queued) while no router is
    connected.

        venuebus-strategy-c --bus EP --router EP [--snapshot EP] [--venue V]
            [--symbol S] [--account A] [--strategy ID] [--spread-bps N]
            [--requote-bps N] [--qty Q] [--max-position P] [--tick T]
            [--duration S] [--config FILE]

    Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <string.h>

#include "mm_quote.h"
#include "vb_clock.h"
#include "vb_config.h"
#include "vb_error.h"
#include "vb_log.h"
#include "vb_order_client.h"
#include "vb_sub.h"
#include "vb_topic.h"

static const char *const s_levels[] = {"error", "warning", "notice", "info", "debug", NULL};

static const vb_config_key_t s_keys[] = {
    {.name = "mm/bus",
     .type = VB_CONFIG_ENDPOINT,
     .flags = VB_CONFIG_REQUIRED,
     .help = "bus backend (XPUB) to subscribe to, e.g. tcp://127.0.0.1:5556"},
    {.name = "mm/snapshot",
     .type = VB_CONFIG_ENDPOINT,
     .help = "gateway snapshot endpoint for book recovery (unset: bus snapshots only)"},
    {.name = "mm/router",
     .type = VB_CONFIG_ENDPOINT,
     .flags = VB_CONFIG_REQUIRED,
     .help = "router strategy endpoint (ROUTER), e.g. tcp://127.0.0.1:5560"},
    {.name = "mm/venue", .type = VB_CONFIG_STRING, .fallback = "binance", .help = "venue name"},
    {.name = "mm/symbol",
     .type = VB_CONFIG_STRING,
     .fallback = "BTC-USDT",
     .help = "normalised BASE-QUOTE symbol"},
    {.name = "mm/account", .type = VB_CONFIG_STRING, .fallback = "main", .help = "router account"},
    {.name = "mm/strategy",
     .type = VB_CONFIG_STRING,
     .fallback = "mm-c",
     .help = "strategy id (header.strategy; routes execution reports)"},
    {.name = "mm/spread_bps",
     .type = VB_CONFIG_INT,
     .fallback = "10",
     .min = 1,
     .max = MM_QUOTE_SPREAD_BPS_MAX,
     .help = "total quoted spread around the mid, basis points"},
    {.name = "mm/requote_bps",
     .type = VB_CONFIG_INT,
     .fallback = "5",
     .min = 0,
     .max = MM_QUOTE_BPS_ONE,
     .help = "cancel and replace when the mid moves more than this, basis points"},
    {.name = "mm/qty",
     .type = VB_CONFIG_STRING,
     .fallback = "0.001",
     .help = "quantity of each quote, decimal"},
    {.name = "mm/max_position",
     .type = VB_CONFIG_STRING,
     .fallback = "0.01",
     .help = "largest absolute position, decimal; the side that would pass it stops"},
    {.name = "mm/tick",
     .type = VB_CONFIG_STRING,
     .fallback = "0.01",
     .help = "the instrument's price tick, decimal; quotes are rounded outwards to it"},
    {.name = "mm/duration",
     .type = VB_CONFIG_INT,
     .fallback = "0",
     .min = 0,
     .max = 315360000,
     .help = "stop after this many seconds (0: run until SIGINT/SIGTERM)"},
    {.name = "log/level",
     .type = VB_CONFIG_ENUM,
     .fallback = "notice",
     .values = s_levels,
     .help = "most verbose log level"},
};

//  Exit codes.
#define MM_EXIT_OK      0
#define MM_EXIT_FAILURE 1
#define MM_EXIT_CONFIG  2
//  Housekeeping period: follow-ups and retries run at least this often.
#define MM_TICK_MS 1000
//  A request unanswered this long is followed up with query_order.
#define MM_STUCK_MS 5000
//  After a reject, a side waits this long before quoting again.
#define MM_REJECT_BACKOFF_MS 1000
//  On shutdown, how long to wait for cancel confirmations.
#define MM_SHUTDOWN_WAIT_MS 2000
//  Most events taken from one socket before the other gets its turn.
#define MM_DRAIN_MAX 1000
//  Sockets polled: the bus SUB, the gateway DEALERs, the order DEALER.
#define MM_SOCKETS_MAX (VB_SUB_GATEWAYS_MAX + 2)
//  Milliseconds in a second.
#define MM_MS_PER_S 1000

//  Where one side's quote is.
typedef enum {
    MM_SLOT_EMPTY = 0,  //  No order
    MM_SLOT_PLACING,    //  NewOrder sent, no Ack yet
    MM_SLOT_LIVE,       //  Acknowledged, working
    MM_SLOT_CANCELING,  //  Cancel sent, not yet confirmed
} mm_slot_state_t;

//  One side's quote.
typedef struct {
    Venuebus__Side side;                    //  BUY for the bid, SELL for the ask
    const char *name;                       //  "bid" or "ask", for logs
    mm_slot_state_t state;                  //  Where the order is
    char tag[VB_ORDER_CLIENT_TAG_MAX + 1];  //  Its client_tag ("" when empty)
    vb_decimal_t price;                     //  Its limit price
    int64_t since_ms;                       //  Last request about it (mono)
    int64_t retry_at_ms;                    //  No new order before this (mono)
} mm_slot_t;

//  The strategy's state; owned by main.
typedef struct {
    vb_config_t *config;                //  Loaded configuration
    const char *account;                //  mm/account (borrowed from config)
    const char *symbol;                 //  mm/symbol
    char book_topic[VB_TOPIC_MAX + 1];  //  md.<venue>.<SYMBOL>.book
    uint32_t spread_bps;                //  mm/spread_bps
    uint32_t requote_bps;               //  mm/requote_bps
    vb_decimal_t qty;                   //  mm/qty
    vb_decimal_t max_position;          //  mm/max_position
    vb_decimal_t tick;                  //  mm/tick
    vb_sub_t *sub;                      //  Market data
    vb_order_client_t *orders;          //  Order path
    mm_slot_t bid;                      //  The bid quote
    mm_slot_t ask;                      //  The ask quote
    bool quoting;                       //  A target quote is set
    vb_decimal_t quoted_mid;            //  Mid the target was computed at
    mm_quote_t target;                  //  Prices to quote
    bool book_in_sync;                  //  Last seen state of the book
    bool router_down;                   //  The last send found no router
    uint64_t tag_seq;                   //  Counter in client tags
    uint64_t run_id;                    //  Start time (ms), makes tags unique per run
} mm_t;

//  --------------------------------------------------------------------------
//  Format a decimal for a log line.

static const char *
s_text (vb_decimal_t value, char buffer[VB_DECIMAL_TEXT_MAX])
{
    if (vb_decimal_format (value, buffer, VB_DECIMAL_TEXT_MAX) < 0)
        snprintf (buffer, VB_DECIMAL_TEXT_MAX, "%" PRId64 "e%" PRId32, value.mantissa,
                  value.exponent);
    return buffer;
}

//  --------------------------------------------------------------------------
//  Read a positive decimal key. Returns 0, or -1 after logging the key.

static int
s_positive_decimal (vb_config_t *config, const char *key, vb_decimal_t *out)
{
    const char *text = vb_config_str (config, key);
    if (!text || vb_decimal_parse (text, strlen (text), out) != 0 || out->mantissa <= 0) {
        vb_log_error ("strategy config invalid key=%s value=%s reason=not a positive decimal", key,
                      text ? text : "");
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Check the configuration and fill the strategy's settings. Returns 0,
//  or -1 after logging what is wrong.

static int
s_settings (mm_t *self)
{
    vb_config_t *config = self->config;
    const char *venue = vb_config_str (config, "mm/venue");
    self->account = vb_config_str (config, "mm/account");
    self->symbol = vb_config_str (config, "mm/symbol");
    if (vb_topic_md (self->book_topic, sizeof (self->book_topic), venue, self->symbol,
                     VB_TOPIC_KIND_BOOK, NULL) < 0) {
        vb_log_error ("strategy config invalid key=mm/venue,mm/symbol venue=%s symbol=%s "
                      "reason=not a venue name and a BASE-QUOTE symbol",
                      venue, self->symbol);
        return -1;
    }
    char topic[VB_TOPIC_MAX + 1];
    if (vb_topic_ex (topic, sizeof (topic), self->account, vb_config_str (config, "mm/strategy")) <
        0) {
        vb_log_error ("strategy config invalid key=mm/account,mm/strategy "
                      "reason=names are 1..%d characters of A-Z a-z 0-9 _ -",
                      VB_TOPIC_COMPONENT_MAX);
        return -1;
    }
    self->spread_bps = (uint32_t)vb_config_int (config, "mm/spread_bps");
    self->requote_bps = (uint32_t)vb_config_int (config, "mm/requote_bps");
    if (s_positive_decimal (config, "mm/qty", &self->qty) ||
        s_positive_decimal (config, "mm/max_position", &self->max_position) ||
        s_positive_decimal (config, "mm/tick", &self->tick))
        return -1;
    return 0;
}

//  --------------------------------------------------------------------------
//  The slot a client_tag belongs to, or NULL.

static mm_slot_t *
s_slot_of (mm_t *self, const char *tag)
{
    if (*tag && streq (tag, self->bid.tag))
        return &self->bid;
    if (*tag && streq (tag, self->ask.tag))
        return &self->ask;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Note a send's outcome: log once when the router goes away or comes back.

static void
s_router_state (mm_t *self, int rc, const char *request)
{
    if (rc == VB_EAGAIN) {
        if (!self->router_down)
            vb_log_warning ("router not connected request=%s", request);
        self->router_down = true;
    } else if (rc == 0 && self->router_down) {
        vb_log_notice ("router connected");
        self->router_down = false;
    } else if (rc != 0)
        vb_log_error ("order request failed request=%s error=%s", request, vb_strerror (rc));
}

//  --------------------------------------------------------------------------
//  Place a quote in an empty slot.

static void
s_slot_place (mm_t *self, mm_slot_t *slot, vb_decimal_t price, int64_t now_ms)
{
    char tag[VB_ORDER_CLIENT_TAG_MAX + 1];
    snprintf (tag, sizeof (tag), "%c-%" PRIx64 "-%" PRIu64, slot->name[0], self->run_id,
              self->tag_seq + 1);
    int rc = vb_order_client_place (self->orders, self->account, self->symbol, slot->side,
                                    VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC,
                                    &price, self->qty, true, tag);
    s_router_state (self, rc, "place");
    if (rc != 0)
        return;
    self->tag_seq++;
    snprintf (slot->tag, sizeof (slot->tag), "%s", tag);
    slot->state = MM_SLOT_PLACING;
    slot->price = price;
    slot->since_ms = now_ms;
    char price_text[VB_DECIMAL_TEXT_MAX], qty_text[VB_DECIMAL_TEXT_MAX];
    vb_log_info ("quote placed side=%s tag=%s price=%s qty=%s", slot->name, tag,
                 s_text (price, price_text), s_text (self->qty, qty_text));
}

//  --------------------------------------------------------------------------
//  Cancel a slot's order.

static void
s_slot_cancel (mm_t *self, mm_slot_t *slot, int64_t now_ms)
{
    int rc = vb_order_client_cancel (self->orders, self->account, self->symbol, slot->tag, NULL);
    s_router_state (self, rc, "cancel");
    if (rc != 0)
        return;
    slot->state = MM_SLOT_CANCELING;
    slot->since_ms = now_ms;
    vb_log_info ("quote cancel sent side=%s tag=%s", slot->name, slot->tag);
}

//  --------------------------------------------------------------------------
//  Empty a slot whose order is over.

static void
s_slot_clear (mm_slot_t *slot, int64_t retry_at_ms)
{
    slot->state = MM_SLOT_EMPTY;
    slot->tag[0] = '\0';
    slot->retry_at_ms = retry_at_ms;
}

//  --------------------------------------------------------------------------
//  Recompute the target quote from the book, if it is in sync and the mid
//  moved far enough; drop the target when the book cannot be trusted.

static void
s_update_target (mm_t *self)
{
    bool in_sync = false;
    vb_book_t *book = vb_sub_book (self->sub, self->book_topic, &in_sync);
    vb_decimal_t bid, ask, qty, mid;
    if (!book || !in_sync || vb_book_best (book, VB_BOOK_BID, &bid, &qty) != 0 ||
        vb_book_best (book, VB_BOOK_ASK, &ask, &qty) != 0 || mm_quote_mid (bid, ask, &mid) != 0) {
        if (self->book_in_sync || self->quoting)
            vb_log_notice ("quoting paused topic=%s reason=book not in sync", self->book_topic);
        self->book_in_sync = false;
        self->quoting = false;
        return;
    }
    if (!self->book_in_sync)
        vb_log_notice ("book in sync topic=%s", self->book_topic);
    self->book_in_sync = true;
    if (self->quoting && !mm_quote_moved (self->quoted_mid, mid, self->requote_bps))
        return;
    mm_quote_t target;
    int rc = mm_quote_prices (mid, self->spread_bps, self->tick, &target);
    char mid_text[VB_DECIMAL_TEXT_MAX];
    if (rc != 0) {
        vb_log_warning ("cannot quote mid=%s error=%s", s_text (mid, mid_text), vb_strerror (rc));
        self->quoting = false;
        return;
    }
    char bid_text[VB_DECIMAL_TEXT_MAX], ask_text[VB_DECIMAL_TEXT_MAX];
    vb_log_info ("quote target mid=%s bid=%s ask=%s", s_text (mid, mid_text),
                 target.has_bid ? s_text (target.bid, bid_text) : "none",
                 s_text (target.ask, ask_text));
    self->target = target;
    self->quoted_mid = mid;
    self->quoting = true;
}

//  --------------------------------------------------------------------------
//  Bring one side in line with the target: cancel what is wrong, place what
//  is missing, follow up what is stuck.

static void
s_reconcile_slot (mm_t *self, mm_slot_t *slot, bool has_price, vb_decimal_t price, bool allowed,
                  int64_t now_ms)
{
    bool want = self->quoting && has_price && allowed;
    switch (slot->state) {
        case MM_SLOT_EMPTY:
            if (want && now_ms >= slot->retry_at_ms)
                s_slot_place (self, slot, price, now_ms);
            break;
        case MM_SLOT_PLACING:
        case MM_SLOT_LIVE:
            if (!want || vb_decimal_cmp (slot->price, price) != 0)
                s_slot_cancel (self, slot, now_ms);
            else if (slot->state == MM_SLOT_PLACING && now_ms - slot->since_ms >= MM_STUCK_MS) {
                s_router_state (self,
                                vb_order_client_query_order (self->orders, self->account,
                                                             self->symbol, slot->tag, NULL),
                                "query");
                slot->since_ms = now_ms;
            }
            break;
        case MM_SLOT_CANCELING:
            if (now_ms - slot->since_ms >= MM_STUCK_MS) {
                //  No confirmation: ask again, and ask where the order is.
                s_slot_cancel (self, slot, now_ms);
                s_router_state (self,
                                vb_order_client_query_order (self->orders, self->account,
                                                             self->symbol, slot->tag, NULL),
                                "query");
            }
            break;
    }
}

//  --------------------------------------------------------------------------
//  Bring both sides in line with the book and the position.

static void
s_reconcile (mm_t *self)
{
    int64_t now_ms = zclock_mono ();
    s_update_target (self);
    vb_decimal_t position;
    vb_order_client_position (self->orders, self->account, self->symbol, &position);
    bool bid_ok, ask_ok;
    mm_quote_sides (position, self->qty, self->max_position, &bid_ok, &ask_ok);
    s_reconcile_slot (self, &self->bid, self->target.has_bid, self->target.bid, bid_ok, now_ms);
    s_reconcile_slot (self, &self->ask, self->target.has_ask, self->target.ask, ask_ok, now_ms);
}

//  --------------------------------------------------------------------------
//  Log one order event and move the slot it belongs to.

static void
s_on_order_event (mm_t *self, const vb_order_event_t *event)
{
    mm_slot_t *slot = s_slot_of (self, event->client_tag);
    int64_t now_ms = zclock_mono ();
    char a[VB_DECIMAL_TEXT_MAX], b[VB_DECIMAL_TEXT_MAX], c[VB_DECIMAL_TEXT_MAX];
    switch (event->type) {
        case VB_ORDER_EVENT_ACK:
            vb_log_info ("order acked tag=%s client_order_id=%s journal_seq=%" PRIu64,
                         event->client_tag, event->client_order_id, event->journal_seq);
            if (slot && slot->state == MM_SLOT_PLACING)
                slot->state = MM_SLOT_LIVE;
            break;
        case VB_ORDER_EVENT_EXECUTION_REPORT:
            if (event->has_fill)
                vb_log_notice ("order filled tag=%s client_order_id=%s side=%s price=%s qty=%s "
                               "trade_id=%s counted=%s position=%s",
                               event->client_tag, event->client_order_id,
                               event->side == VENUEBUS__SIDE__BUY ? "buy" : "sell",
                               s_text (event->last_fill_price, a), s_text (event->last_fill_qty, b),
                               event->venue_trade_id, event->fill_counted ? "yes" : "no",
                               s_text (event->position, c));
            vb_log_info ("order report tag=%s client_order_id=%s state=%s filled=%s",
                         event->client_tag, event->client_order_id,
                         vb_order_client_state_name (event->state), s_text (event->filled_qty, a));
            if (!slot)
                break;
            if (vb_order_client_state_terminal (event->state))
                s_slot_clear (slot, event->state == VENUEBUS__ORDER_STATE__REJECTED
                                        ? now_ms + MM_REJECT_BACKOFF_MS
                                        : 0);
            else if (slot->state == MM_SLOT_PLACING)
                slot->state = MM_SLOT_LIVE;
            break;
        case VB_ORDER_EVENT_REJECT:
            vb_log_warning ("order rejected tag=%s client_order_id=%s reason=%d venue_code=%s "
                            "venue_text=\"%s\" detail=\"%s\"",
                            event->client_tag, event->client_order_id, (int)event->reason,
                            event->venue_code, event->venue_text, event->detail);
            if (!slot)
                break;
            if (event->state == VENUEBUS__ORDER_STATE__REJECTED)
                s_slot_clear (slot, now_ms + MM_REJECT_BACKOFF_MS);
            else
                //  A refused cancel or query: find out where the order is.
                s_router_state (self,
                                vb_order_client_query_order (self->orders, self->account,
                                                             self->symbol, slot->tag, NULL),
                                "query");
            break;
        case VB_ORDER_EVENT_BALANCES:
        case VB_ORDER_EVENT_UNSET:
            break;
    }
}

//  --------------------------------------------------------------------------
//  Drain the bus. Returns 0, or -1 when the bus socket failed.

static int
s_drain_bus (mm_t *self)
{
    vb_sub_event_t event;
    for (int i = 0; i < MM_DRAIN_MAX; i++) {
        int rc = vb_sub_recv (self->sub, 0, &event);
        if (rc == VB_EAGAIN)
            return 0;
        if (rc != 0) {
            vb_log_error ("bus receive failed error=%s", vb_strerror (rc));
            return -1;
        }
        //  expected_seq 0 is a late join (the first frame of a topic seen
        //  since start): nothing was lost that this strategy had seen.
        if (event.type == VB_SUB_EVENT_GAP && event.expected_seq == 0)
            vb_log_info ("bus joined topic=%s received_seq=%" PRIu64, event.topic,
                         event.received_seq);
        else if (event.type == VB_SUB_EVENT_GAP)
            vb_log_warning ("bus gap topic=%s expected_seq=%" PRIu64 " received_seq=%" PRIu64,
                            event.topic, event.expected_seq, event.received_seq);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Drain the order socket. Returns 0, or -1 when it failed.

static int
s_drain_orders (mm_t *self, int timeout_ms)
{
    vb_order_event_t event;
    for (int i = 0; i < MM_DRAIN_MAX; i++) {
        int rc = vb_order_client_recv (self->orders, &event, i == 0 ? timeout_ms : 0);
        if (rc == VB_EAGAIN)
            return 0;
        if (rc != 0) {
            vb_log_error ("order receive failed error=%s", vb_strerror (rc));
            return -1;
        }
        s_on_order_event (self, &event);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Cancel everything of the symbol and wait a moment for the confirmations.

static void
s_shutdown (mm_t *self)
{
    int rc = vb_order_client_cancel_all (self->orders, self->account, self->symbol);
    if (rc != 0) {
        vb_log_warning ("cancel all not sent account=%s symbol=%s error=%s", self->account,
                        self->symbol, vb_strerror (rc));
        return;
    }
    vb_log_notice ("cancel all sent account=%s symbol=%s open_orders=%zu", self->account,
                   self->symbol, vb_order_client_open_count (self->orders));
    int64_t deadline = zclock_mono () + MM_SHUTDOWN_WAIT_MS;
    while (vb_order_client_open_count (self->orders) > 0) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0 || s_drain_orders (self, (int)left) != 0)
            break;
    }
    size_t open = vb_order_client_open_count (self->orders);
    if (open > 0)
        vb_log_warning ("orders still open at exit count=%zu", open);
}

//  --------------------------------------------------------------------------
//  The poll loop: until a signal, the duration, or a socket failure.
//  Returns the exit code.

static int
s_run (mm_t *self, int64_t duration_ms)
{
    zsock_t *sockets[MM_SOCKETS_MAX];
    size_t count = vb_sub_sockets (self->sub, sockets, MM_SOCKETS_MAX - 1);
    assert (count < MM_SOCKETS_MAX);
    zpoller_t *poller = zpoller_new (NULL);
    if (!poller)
        return MM_EXIT_FAILURE;
    for (size_t i = 0; i < count; i++)
        zpoller_add (poller, sockets[i]);
    zpoller_add (poller, vb_order_client_socket (self->orders));
    int64_t end_ms = duration_ms > 0 ? zclock_mono () + duration_ms : 0;
    int64_t next_tick_ms = zclock_mono () + MM_TICK_MS;
    int rc = MM_EXIT_OK;
    while (!zsys_interrupted) {
        int64_t now_ms = zclock_mono ();
        if (end_ms && now_ms >= end_ms) {
            vb_log_notice ("strategy stopping reason=duration");
            break;
        }
        int64_t wait_ms = next_tick_ms - now_ms;
        int sub_wait = vb_sub_timeout_ms (self->sub);
        if (sub_wait >= 0 && sub_wait < wait_ms)
            wait_ms = sub_wait;
        if (end_ms && end_ms - now_ms < wait_ms)
            wait_ms = end_ms - now_ms;
        zpoller_wait (poller, (int)(wait_ms > 0 ? wait_ms : 0));
        if (zpoller_terminated (poller) || zsys_interrupted)
            break;
        if (s_drain_bus (self) != 0 || s_drain_orders (self, 0) != 0) {
            rc = MM_EXIT_FAILURE;
            break;
        }
        if (zclock_mono () >= next_tick_ms)
            next_tick_ms = zclock_mono () + MM_TICK_MS;
        s_reconcile (self);
    }
    if (zsys_interrupted)
        vb_log_notice ("strategy stopping reason=signal");
    zpoller_destroy (&poller);
    return rc;
}

int
main (int argc, char *argv[])
{
    zsys_init ();
    vb_log_init ("strategy-c", VB_LOG_NOTICE);
    mm_t self = {.bid = {.side = VENUEBUS__SIDE__BUY, .name = "bid"},
                 .ask = {.side = VENUEBUS__SIDE__SELL, .name = "ask"}};
    self.config = vb_config_new (s_keys, sizeof (s_keys) / sizeof (s_keys[0]));
    assert (self.config);
    if (vb_config_load (self.config, argc, argv, NULL) != 0) {
        vb_log_error ("strategy config invalid: %s", vb_config_error (self.config));
        vb_config_destroy (&self.config);
        return MM_EXIT_CONFIG;
    }
    if (vb_config_help_requested (self.config)) {
        vb_config_help (self.config, stdout);
        vb_config_destroy (&self.config);
        return MM_EXIT_OK;
    }
    vb_log_set_level (
        (vb_log_level_t)vb_log_level_from_name (vb_config_str (self.config, "log/level")));
    if (s_settings (&self) != 0) {
        vb_config_destroy (&self.config);
        return MM_EXIT_CONFIG;
    }
    vb_config_print (self.config, stderr);
    self.run_id = (uint64_t)(vb_clock_now_real_ns () / VB_NS_PER_MS);

    int rc = MM_EXIT_FAILURE;
    const char *bus = vb_config_str (self.config, "mm/bus");
    const char *router = vb_config_str (self.config, "mm/router");
    const char *strategy = vb_config_str (self.config, "mm/strategy");
    self.sub = vb_sub_new (bus);
    if (!self.sub) {
        vb_log_error ("cannot use bus endpoint key=mm/bus endpoint=%s", bus);
        goto cleanup;
    }
    if (vb_config_has (self.config, "mm/snapshot")) {
        const char *snapshot = vb_config_str (self.config, "mm/snapshot");
        int added =
            vb_sub_add_gateway (self.sub, vb_config_str (self.config, "mm/venue"), snapshot);
        if (added != 0) {
            vb_log_error ("cannot use snapshot endpoint key=mm/snapshot endpoint=%s error=%s",
                          snapshot, vb_strerror (added));
            goto cleanup;
        }
    }
    if (vb_sub_subscribe (self.sub, self.book_topic) != 0) {
        vb_log_error ("cannot subscribe topic=%s", self.book_topic);
        goto cleanup;
    }
    self.orders = vb_order_client_new (router, strategy, NULL);
    if (!self.orders) {
        vb_log_error ("cannot use router endpoint key=mm/router endpoint=%s", router);
        goto cleanup;
    }
    char qty[VB_DECIMAL_TEXT_MAX], limit[VB_DECIMAL_TEXT_MAX], tick[VB_DECIMAL_TEXT_MAX];
    vb_log_notice ("strategy started topic=%s router=%s strategy=%s routing_id=%s account=%s "
                   "spread_bps=%u requote_bps=%u qty=%s max_position=%s tick=%s",
                   self.book_topic, router, strategy, vb_order_client_routing_id (self.orders),
                   self.account, self.spread_bps, self.requote_bps, s_text (self.qty, qty),
                   s_text (self.max_position, limit), s_text (self.tick, tick));
    rc = s_run (&self, vb_config_int (self.config, "mm/duration") * MM_MS_PER_S);
    s_shutdown (&self);
    vb_log_notice ("strategy stopped exit=%d", rc);
cleanup:
    vb_order_client_destroy (&self.orders);
    vb_sub_destroy (&self.sub);
    vb_config_destroy (&self.config);
    return rc;
}
