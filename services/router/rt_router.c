/*  rt_router.c — the order router: strategies in, signed REST out, the journal in between.

    See rt_router.h for the life of an order. The rules this file keeps:
    - Journal before acting: an order is journaled (fsynced) before its Ack
      and before any byte goes to the venue; a fill is journaled (fsynced)
      before it is reported; a transition is journaled before it is
      reported, in the WAL (it survives a process crash at once) and
      fsynced with the next order or fill: the venue holds every outcome,
      and start-up reconciliation restores it after a power loss.
    - The venue's word only: an order moves on an answer the adapter parsed
      as OK (with the venue's state), a business rejection, a fill, a
      stream report, or a query. A lost answer makes it UNKNOWN; a
      "no such order" ends an UNKNOWN order only once unknown_settle has
      passed since it could last have been sent (longer than the venue's
      recvWindow: a delayed request can no longer be accepted).
    - Never re-send a request that may have executed. A request that failed
      before any byte was written (connection refused) is re-sent, on the
      next base URL once failover_errors have been seen in a row.
    - Requests are signed when they leave the rate-limit queue, so a
      timestamp or nonce never goes stale while waiting, and Kraken nonces
      leave in increasing order.
    - A strategy cancels only its own orders; CancelAll cancels that
      strategy's open orders one by one, never the whole account.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rt_grants.h"
#include "rt_http.h"
#include "rt_limits.h"
#include "rt_live.h"
#include "rt_metrics.h"
#include "rt_router.h"
#include "rt_stream.h"
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_exec.h"
#include "vb_journal.h"
#include "vb_log.h"
#include "vb_msg.h"
#include "vb_secrets.h"
#include "vb_topic.h"

#define S_BODY_MAX             (64 * 1024 * 1024)  //  Largest answer (full instrument lists)
#define S_OPS_MAX              512                 //  Requests queued or in flight at once
#define S_TAG_OP               1                   //  rt_limits tag of router requests
#define S_TICK_MS              100                 //  Housekeeping period
#define S_BALANCES_MAX         512                 //  Assets in one Balances answer
#define S_SEEN_MAX             4096                //  Open orders one reconciliation compares
#define S_SYMBOLS_MAX          64     //  Symbols traded per account since the last fills check
#define S_UNKNOWN_RETRY_MAX_MS 10000  //  Longest wait between queries of an UNKNOWN order
#define S_START_RETRY_MS       1000   //  Start-up step retry after a failure
#define S_FILLS_OVERLAP_MS     60000  //  Fills reads overlap the last one by this much
#define S_IDENTITY_MAX         255    //  ZeroMQ routing id
#define S_PRODUCER             "router"
#define S_RESERVED_STRATEGY    "router"  //  ex.<account>.router carries account balances
#define S_NS_PER_MS            INT64_C (1000000)
#define S_POLL_ITEMS           (4 + RT_HTTP_POLL_MAX)

//  One request to a venue, from the moment it is wanted until its answer.
typedef struct {
    bool used;
    vb_exec_kind_t kind;
    int account;                               //  Index into accounts
    int strategy;                              //  Who to answer (BALANCES), or -1
    char client_order_id[VB_JOURNAL_ID_SIZE];  //  PLACE, CANCEL, QUERY
    char symbol[VB_JOURNAL_NAME_SIZE];         //  PLACE, CANCEL, QUERY, FILLS
    vb_exec_order_t order;                     //  PLACE (strings point into this op)
    int64_t since_ms;                          //  FILLS
    bool start;                                //  Part of the account's start sequence
    bool queued;                               //  Waiting in rt_limits
    bool in_flight;                            //  Handed to rt_http
    bool fresh;                                //  request holds a build not yet sent
    int attempts;                              //  Sends that failed before any byte left
    int64_t sent_mono_ns;                      //  Last send
    int64_t sent_real_ms;                      //  Last send, wall clock
    int64_t received_mono_ns;                  //  NewOrder read off the strategy socket
    int64_t journal_ns;                        //  PLACE: the order's durable write took
    int64_t queued_mono_ns;                    //  Entered the rate-limit queue
    int64_t waited_ns;                         //  Time spent in the rate-limit queue
    vb_exec_request_t request;                 //  The signed request
} s_op_t;

typedef rt_live_order_t s_live_t;  //  A live order (rt_live.h)

//  A strategy: its limits, where it is connected, what it has open.
typedef struct {
    char name[RT_NAME_MAX + 1];
    const rt_strategy_settings_t *limits;
    uint8_t identity[S_IDENTITY_MAX];
    size_t identity_size;  //  0: not connected (yet)
    int64_t open_orders;
    vb_decimal_t open_notional;
} s_strategy_t;

typedef enum {
    S_PHASE_PERMISSIONS = 0,
    S_PHASE_INSTRUMENTS,
    S_PHASE_RECONCILE,
    S_PHASE_READY,
} s_phase_t;

typedef struct {
    const rt_account_settings_t *settings;
    const vb_exec_ops_t *ops;
    vb_exec_t *adapter;
    vb_secrets_t *secrets;
    int limits;                //  rt_limits handle
    size_t url_index;          //  Base URL in use
    int64_t failures;          //  Consecutive connection failures / 5xx
    int64_t failover_mono_ns;  //  Last switch away from the first URL
    s_phase_t phase;
    int pending;            //  Start requests not yet answered
    int64_t retry_mono_ns;  //  Next start step attempt (after a failure)
    bool permissions_seen;
    vb_exec_permissions_t permissions;
    int64_t posture_warn_mono_ns;  //  Next unrestricted-IP warning
    int64_t next_reconcile_mono_ns;
    int64_t fills_since_ms;  //  Next fills read starts here
    uint64_t epoch;          //  Open-orders reconciliation epoch
    bool open_orders_outstanding;
    bool open_orders_done;           //  Start: the venue's open orders were read
    int fills_pending;               //  Start: fills reads not yet answered
    bool fills_done;                 //  Start: every fills read was submitted
    bool fills_failed;               //  Start: a fills read failed; submit them again
    bool reconcile_loaded;           //  Start: the journal's open orders are loaded
    int64_t stream_restart_mono_ns;  //  Reopen the private stream then (0: no)
    char symbols[S_SYMBOLS_MAX][VB_JOURNAL_NAME_SIZE];  //  Traded since the last fills read
    size_t symbol_count;
    bool stream_open;
    bool stream_reconcile;  //  Reconcile once the stream is back
} s_account_t;

struct _rt_router_t {
    const rt_settings_t *settings;
    vb_clock_t *clock;
    vb_journal_t *journal;
    rt_limits_t *limits;
    rt_grants_t *grants;
    rt_http_t *http;
    rt_stream_t *stream;
    rt_metrics_t *metrics;
    void *strategies_socket;  //  ROUTER (raw libzmq)
    void *bus;                //  PUB, or NULL
    char endpoint[256];
    vb_msg_t *decoder;
    rt_live_t *live;  //  Non-terminal orders by client order id
    zhashx_t *seqs;   //  topic -> uint64_t sequence
    s_account_t accounts[RT_ACCOUNTS_MAX];
    size_t account_count;
    s_strategy_t strategies[RT_STRATEGIES_MAX];
    size_t strategy_count;
    s_op_t ops[S_OPS_MAX];
    size_t ops_used;
    bool ready;  //  Strategies are served
    int fatal;   //  Exit code to stop with (0: keep running)
    int64_t next_publish_mono_ns;
    int64_t unknown_count;
    int64_t journal_ns;  //  Time spent in journal transitions, all orders (own share)
    //  What the sink callbacks are parsing for
    int sink_account;
    vb_exec_kind_t sink_kind;
    bool sink_authoritative;  //  Reports may undo a PENDING_CANCEL
    bool sink_start;          //  Part of a start-up reconciliation
    //  Balances being collected for one answer
    Venuebus__Balance balance_items[S_BALANCES_MAX];
    Venuebus__Balance *balance_pointers[S_BALANCES_MAX];
    Venuebus__Decimal balance_decimals[S_BALANCES_MAX][2];
    char balance_assets[S_BALANCES_MAX][16];
    size_t balance_count;
};

static void s_query (rt_router_t *self, s_live_t *live, const char *symbol);
static void s_report (rt_router_t *self, const vb_journal_order_t *order,
                      const vb_exec_fill_t *fill);
static int s_op_submit (rt_router_t *self, s_op_t *op, vb_exec_priority_t priority);
static s_op_t *s_op_new (rt_router_t *self, vb_exec_kind_t kind, int account);

//  --------------------------------------------------------------------------
//  Time.

static int64_t
s_mono_ns (rt_router_t *self)
{
    return vb_clock_mono_ns (self->clock);
}

static int64_t
s_real_ns (rt_router_t *self)
{
    return vb_clock_real_ns (self->clock);
}

static int64_t
s_real_ms (rt_router_t *self)
{
    return s_real_ns (self) / S_NS_PER_MS;
}

//  --------------------------------------------------------------------------
//  price x qty, exactly; false when it does not fit.

static bool
s_notional (vb_decimal_t price, vb_decimal_t qty, vb_decimal_t *out)
{
    int64_t mantissa;
    if (__builtin_mul_overflow (price.mantissa, qty.mantissa, &mantissa))
        return false;
    int64_t exponent = (int64_t)price.exponent + qty.exponent;
    if (exponent < INT32_MIN || exponent > INT32_MAX)
        return false;
    out->mantissa = mantissa;
    out->exponent = (int32_t)exponent;
    return true;
}

//  --------------------------------------------------------------------------
//  Account by name, or -1.

static int
s_account_find (rt_router_t *self, const char *name)
{
    for (size_t i = 0; i < self->account_count; i++)
        if (name && strcmp (self->accounts[i].settings->name, name) == 0)
            return (int)i;
    return -1;
}

//  --------------------------------------------------------------------------
//  Strategy by name, created on first sight (with its configured limits).
//  Returns -1 when the table is full.

static int
s_strategy_get (rt_router_t *self, const char *name)
{
    for (size_t i = 0; i < self->strategy_count; i++)
        if (strcmp (self->strategies[i].name, name) == 0)
            return (int)i;
    if (self->strategy_count == RT_STRATEGIES_MAX)
        return -1;
    s_strategy_t *strategy = &self->strategies[self->strategy_count];
    memset (strategy, 0, sizeof (*strategy));
    snprintf (strategy->name, sizeof (strategy->name), "%s", name);
    strategy->limits = rt_config_strategy (self->settings, name);
    strategy->open_notional = (vb_decimal_t){0, 0};
    return (int)self->strategy_count++;
}

//  --------------------------------------------------------------------------
//  Live orders.

static s_live_t *
s_live_find (rt_router_t *self, const char *id)
{
    return rt_live_find (self->live, id);
}

static s_live_t *
s_live_add (rt_router_t *self, const vb_journal_order_t *order, int account, int strategy)
{
    s_live_t *live = s_live_find (self, order->client_order_id);
    if (live)
        return live;
    live = rt_live_add (self->live, order->client_order_id);
    if (!live)
        return NULL;
    live->account = account;
    live->strategy = strategy;
    live->query_delay_ms = self->settings->unknown_retry_ms;
    if (order->type == VB_JOURNAL_TYPE_LIMIT &&
        !s_notional (order->price, order->qty, &live->notional))
        live->notional = (vb_decimal_t){0, 0};
    if (strategy >= 0) {
        s_strategy_t *owner = &self->strategies[strategy];
        owner->open_orders++;
        vb_decimal_t sum;
        if (vb_decimal_add (owner->open_notional, live->notional, &sum) == 0)
            owner->open_notional = sum;
    }
    return live;
}

static void
s_live_remove (rt_router_t *self, s_live_t *live)
{
    if (live->unknown)
        self->unknown_count--;
    if (live->strategy >= 0) {
        s_strategy_t *owner = &self->strategies[live->strategy];
        owner->open_orders--;
        vb_decimal_t rest;
        if (vb_decimal_sub (owner->open_notional, live->notional, &rest) == 0)
            owner->open_notional = rest;
    }
    rt_live_remove (self->live, live);
}

//  --------------------------------------------------------------------------
//  Remember a symbol the account traded, for the next fills read.

static void
s_symbol_touch (s_account_t *account, const char *symbol)
{
    for (size_t i = 0; i < account->symbol_count; i++)
        if (strcmp (account->symbols[i], symbol) == 0)
            return;
    if (account->symbol_count < S_SYMBOLS_MAX)
        snprintf (account->symbols[account->symbol_count++], sizeof (account->symbols[0]), "%s",
                  symbol);
}

//  --------------------------------------------------------------------------
//  Publish one envelope on the bus with the topic's next sequence. Returns
//  the sequence given (the direct copy to a strategy carries the same).

static uint64_t
s_next_seq (rt_router_t *self, const char *topic)
{
    uint64_t *seq = (uint64_t *)zhashx_lookup (self->seqs, topic);
    if (!seq) {
        seq = (uint64_t *)zmalloc (sizeof (uint64_t));
        zhashx_insert (self->seqs, topic, seq);
    }
    return ++*seq;
}

static void
s_publish (rt_router_t *self, const char *topic, Venuebus__Envelope *envelope)
{
    if (!self->bus)
        return;
    int rc = vb_msg_send (self->bus, topic, envelope, ZMQ_DONTWAIT);
    if (rc != 0)
        vb_log_warning ("router publish failed topic=%s error=%s", topic, vb_strerror (rc));
}

//  --------------------------------------------------------------------------
//  Header of a router frame or bus message.

static void
s_header (rt_router_t *self, Venuebus__Header *header, const char *venue, const char *symbol,
          const char *account, const char *strategy, const char *topic, uint64_t seq)
{
    venuebus__header__init (header);
    header->venue = (char *)(venue ? venue : "");
    header->symbol = (char *)(symbol ? symbol : "");
    header->account = (char *)(account ? account : "");
    header->strategy = (char *)(strategy ? strategy : "");
    header->producer = (char *)S_PRODUCER;
    header->topic = (char *)(topic ? topic : "");
    header->seq = seq;
    header->publish_ts_ns = s_real_ns (self);
}

//  --------------------------------------------------------------------------
//  Send a bare envelope to a connected strategy (or to an identity that
//  has no strategy yet, for rejects of malformed frames).

static void
s_send_identity (rt_router_t *self, const uint8_t *identity, size_t size,
                 Venuebus__Envelope *envelope)
{
    if (size == 0)
        return;
    if (zmq_send (self->strategies_socket, identity, size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        vb_log_info ("router strategy unreachable error=%s", zmq_strerror (zmq_errno ()));
        return;
    }
    int rc = vb_msg_send_bare (self->strategies_socket, envelope, ZMQ_DONTWAIT);
    if (rc != 0)
        vb_log_warning ("router reply failed error=%s", vb_strerror (rc));
}

static void
s_send_strategy (rt_router_t *self, int strategy, Venuebus__Envelope *envelope)
{
    if (strategy < 0)
        return;
    s_strategy_t *target = &self->strategies[strategy];
    s_send_identity (self, target->identity, target->identity_size, envelope);
}

//  --------------------------------------------------------------------------
//  Reject a strategy's request (not journaled, or journaled and refused).

static void
s_reject (rt_router_t *self, int strategy, const uint8_t *identity, size_t identity_size,
          const char *account, const char *client_tag, const char *client_order_id,
          vb_exec_reason_t reason, const char *venue_code, const char *venue_text,
          const char *detail)
{
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__Header header;
    Venuebus__Reject reject = VENUEBUS__REJECT__INIT;
    const char *name = strategy >= 0 ? self->strategies[strategy].name : "";
    s_header (self, &header, NULL, NULL, account, name, NULL, 0);
    reject.client_tag = (char *)(client_tag ? client_tag : "");
    reject.client_order_id = (char *)(client_order_id ? client_order_id : "");
    reject.reason = (Venuebus__RejectReason)reason;
    reject.venue_code = (char *)(venue_code ? venue_code : "");
    reject.venue_text = (char *)(venue_text ? venue_text : "");
    reject.detail = (char *)(detail ? detail : "");
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_REJECT;
    envelope.reject = &reject;
    if (identity)
        s_send_identity (self, identity, identity_size, &envelope);
    else
        s_send_strategy (self, strategy, &envelope);
    vb_log_info ("router reject strategy=%s tag=%s id=%s reason=%d detail=%s", name,
                 reject.client_tag, reject.client_order_id, (int)reason, reject.detail);
}

//  --------------------------------------------------------------------------
//  An order's current state (and the fill that changed it, if any) to its
//  strategy and onto the bus.

static void
s_report (rt_router_t *self, const vb_journal_order_t *order, const vb_exec_fill_t *fill)
{
    char topic[VB_TOPIC_MAX + 1];
    if (vb_topic_ex (topic, sizeof (topic), order->account, order->strategy) < 0)
        return;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__Header header;
    Venuebus__ExecutionReport report = VENUEBUS__EXECUTION_REPORT__INIT;
    Venuebus__Decimal filled, price, qty, fill_price, fill_qty, fee;
    s_header (self, &header, order->venue, order->symbol, order->account, order->strategy, topic,
              s_next_seq (self, topic));
    report.client_tag = (char *)order->client_tag;
    report.client_order_id = (char *)order->client_order_id;
    report.state = (Venuebus__OrderState)order->state;
    vb_msg_decimal_set (&filled, order->filled_qty);
    report.filled_qty = &filled;
    report.venue_order_id = (char *)order->venue_order_id;
    report.symbol = (char *)order->symbol;
    report.side = (Venuebus__Side)order->side;
    report.account = (char *)order->account;
    if (order->type == VB_JOURNAL_TYPE_LIMIT) {
        vb_msg_decimal_set (&price, order->price);
        report.price = &price;
    }
    vb_msg_decimal_set (&qty, order->qty);
    report.qty = &qty;
    if (fill) {
        vb_msg_decimal_set (&fill_price, fill->price);
        vb_msg_decimal_set (&fill_qty, fill->qty);
        vb_msg_decimal_set (&fee, fill->fee);
        report.last_fill_price = &fill_price;
        report.last_fill_qty = &fill_qty;
        report.fee = &fee;
        report.fee_asset = (char *)fill->fee_asset;
        report.venue_trade_id = (char *)fill->trade_id;
        header.exchange_ts_ns = fill->ts_ns;
    }
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT;
    envelope.execution_report = &report;
    s_live_t *live = s_live_find (self, order->client_order_id);
    int strategy = live ? live->strategy : s_strategy_get (self, order->strategy);
    s_send_strategy (self, strategy, &envelope);
    s_publish (self, topic, &envelope);
    if (order->state == VB_JOURNAL_STATE_REJECTED) {
        //  The strategy also gets a Reject carrying the reason and the venue's words
        s_reject (self, strategy, NULL, 0, order->account, order->client_tag,
                  order->client_order_id, (vb_exec_reason_t)order->reject_reason, order->venue_code,
                  order->venue_text, "refused");
    }
}

//  --------------------------------------------------------------------------
//  Alert: sys.router.alert, a warning line and metric state.

static void s_alert (rt_router_t *self, const char *name, bool firing, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_alert (rt_router_t *self, const char *name, bool firing, const char *format, ...)
{
    char text[512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    if (firing)
        vb_log_warning ("router alert name=%s %s", name, text);
    else
        vb_log_notice ("router alert cleared name=%s %s", name, text);
    rt_metrics_alert (self->metrics, name, firing);
    char topic[VB_TOPIC_MAX + 1];
    if (vb_topic_sys (topic, sizeof (topic), "router", "alert") < 0)
        return;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__Header header;
    Venuebus__Alert alert = VENUEBUS__ALERT__INIT;
    s_header (self, &header, NULL, NULL, NULL, NULL, topic, s_next_seq (self, topic));
    alert.name = (char *)name;
    alert.severity = firing ? VENUEBUS__SEVERITY__WARNING : VENUEBUS__SEVERITY__INFO;
    alert.text = text;
    alert.firing = firing;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_ALERT;
    envelope.alert = &alert;
    s_publish (self, topic, &envelope);
}

//  --------------------------------------------------------------------------
//  Journal a transition and report it. Returns 0, or a negative VB_E* (the
//  table refused it: nothing reported).

static int
s_transition (rt_router_t *self, vb_journal_order_t *order, vb_journal_state_t state,
              const char *venue_order_id, int reason, const char *code, const char *text,
              const vb_exec_fill_t *fill)
{
    vb_journal_update_t update = {.venue_order_id =
                                      venue_order_id && *venue_order_id ? venue_order_id : NULL,
                                  .reject_reason = reason,
                                  .venue_code = code && *code ? code : NULL,
                                  .venue_text = text && *text ? text : NULL,
                                  .ts_ns = s_real_ns (self),
                                  //  Outcomes the venue holds: fsynced with the next
                                  //  order or fill (vb_journal.h); the order itself
                                  //  was fsynced before it was sent
                                  .lazy = true,
                                  .result = order};
    if (order->venue_order_id[0] && update.venue_order_id &&
        strcmp (order->venue_order_id, update.venue_order_id) != 0)
        update.venue_order_id = NULL;  //  Never changes once set; keep the first
    int64_t journal_start = s_mono_ns (self);
    int rc = vb_journal_transition (self->journal, order->client_order_id, state, &update);
    self->journal_ns += s_mono_ns (self) - journal_start;
    if (rc != 0) {
        if (rc != VB_ESTATE)
            vb_log_error ("router journal transition failed id=%s to=%s error=%s detail=%s",
                          order->client_order_id, vb_journal_state_name (state), vb_strerror (rc),
                          vb_journal_errmsg (self->journal));
        return rc;
    }
    rt_metrics_order_state (self->metrics, order->venue, (vb_exec_state_t)state);
    s_live_t *live = s_live_find (self, order->client_order_id);
    if (live) {
        if (state == VB_JOURNAL_STATE_UNKNOWN && !live->unknown) {
            live->unknown = true;
            live->unknown_alerted = false;
            live->unknown_since_mono_ns = s_mono_ns (self);
            live->query_delay_ms = self->settings->unknown_retry_ms;
            live->next_query_mono_ns = s_mono_ns (self) + live->query_delay_ms * S_NS_PER_MS;
            self->unknown_count++;
        } else if (state != VB_JOURNAL_STATE_UNKNOWN && live->unknown) {
            live->unknown = false;
            self->unknown_count--;
            if (live->unknown_alerted)
                s_alert (self, "unknown_order", false, "id=%s state=%s", live->id,
                         vb_journal_state_name (state));
        }
        if (live->received_mono_ns && state != VB_JOURNAL_STATE_UNKNOWN) {
            rt_metrics_order_roundtrip (self->metrics, order->venue,
                                        s_mono_ns (self) - live->received_mono_ns);
            live->received_mono_ns = 0;
        }
    }
    vb_log_info ("router order id=%s state=%s filled=%" PRId64 "e%d venue_id=%s code=%s text=%s",
                 order->client_order_id, vb_journal_state_name (state), order->filled_qty.mantissa,
                 order->filled_qty.exponent, order->venue_order_id, order->venue_code,
                 order->venue_text);
    s_report (self, order, fill);
    if (vb_journal_state_terminal (state) && live && !live->place)
        s_live_remove (self, live);
    return 0;
}

//  --------------------------------------------------------------------------
//  Find the journal order a venue event is about: by client order id, or
//  by the venue's order id (trade histories name only that). Returns 0, or
//  VB_ENOTFOUND for an order that is not this router's.

static int
s_find_order (rt_router_t *self, s_account_t *account, const char *client_order_id,
              const char *venue_order_id, vb_journal_order_t *order)
{
    uint32_t router_id;
    int64_t sequence;
    if (client_order_id && *client_order_id) {
        if (vb_journal_parse_id (client_order_id, &router_id, &sequence) != 0 ||
            router_id != self->settings->router_id)
            return VB_ENOTFOUND;
        if (vb_journal_lookup (self->journal, client_order_id, order) != 0)
            return VB_ENOTFOUND;
    } else if (venue_order_id && *venue_order_id) {
        if (vb_journal_lookup_venue_id (self->journal, account->settings->name, venue_order_id,
                                        order) != 0)
            return VB_ENOTFOUND;
    } else
        return VB_ENOTFOUND;
    if (strcmp (order->account, account->settings->name) != 0)
        return VB_ENOTFOUND;
    return 0;
}

//  --------------------------------------------------------------------------
//  A fill, from any source. Journaled once per venue trade id; a new one
//  moves the order to PARTIALLY_FILLED or FILLED (a fill is the venue's
//  word that the order exists and traded) and is reported with the fill.

static void
s_apply_fill (rt_router_t *self, s_account_t *account, const vb_exec_fill_t *fill,
              bool from_reconcile)
{
    vb_journal_order_t order;
    if (s_find_order (self, account, fill->client_order_id, fill->venue_order_id, &order) != 0) {
        vb_log_debug ("router fill of another order ignored account=%s venue_id=%s trade=%s",
                      account->settings->name, fill->venue_order_id, fill->trade_id);
        return;
    }
    vb_journal_fill_t record = {.client_order_id = order.client_order_id,
                                .venue_trade_id = fill->trade_id,
                                .price = fill->price,
                                .qty = fill->qty,
                                .fee = fill->fee,
                                .fee_asset = fill->fee_asset,
                                .ts_ns = fill->ts_ns};
    int rc = vb_journal_add_fill (self->journal, &record);
    if (rc == 0)
        return;  //  Already journaled: a replay
    if (rc < 0) {
        s_alert (self, "reconcile_drift", true,
                 "fill refused by the journal id=%s trade=%s error=%s detail=%s",
                 order.client_order_id, fill->trade_id, vb_strerror (rc),
                 vb_journal_errmsg (self->journal));
        rt_metrics_drift (self->metrics, account->settings->venue, "fill_refused");
        return;
    }
    if (from_reconcile) {
        vb_log_warning ("router fill recovered by reconciliation id=%s trade=%s",
                        order.client_order_id, fill->trade_id);
        rt_metrics_drift (self->metrics, account->settings->venue, "fill_missed");
    }
    vb_journal_lookup (self->journal, order.client_order_id, &order);
    vb_journal_state_t target = order.state;
    if (vb_decimal_cmp (order.filled_qty, order.qty) >= 0)
        target = VB_JOURNAL_STATE_FILLED;
    else if (order.state == VB_JOURNAL_STATE_PENDING_NEW || order.state == VB_JOURNAL_STATE_NEW ||
             order.state == VB_JOURNAL_STATE_UNKNOWN)
        target = VB_JOURNAL_STATE_PARTIALLY_FILLED;
    if (target != order.state && vb_journal_transition_allowed (order.state, target))
        s_transition (self, &order, target, fill->venue_order_id, 0, NULL, NULL, fill);
    else
        s_report (self, &order, fill);
}

//  --------------------------------------------------------------------------
//  An order's state as the venue reports it (answer, stream, query, open
//  orders). `cancel_answer`: the answer to our cancel, which may move a
//  PENDING_CANCEL order back to NEW (cancel refused).

static void
s_apply_report (rt_router_t *self, s_account_t *account, const vb_exec_report_t *report,
                bool cancel_answer)
{
    vb_journal_order_t order;
    if (s_find_order (self, account, report->client_order_id, report->venue_order_id, &order) != 0)
        return;
    s_live_t *live = s_live_find (self, order.client_order_id);
    if (live)
        live->seen_epoch = account->epoch;
    vb_journal_state_t target = (vb_journal_state_t)report->state;
    if (target == VB_JOURNAL_STATE_PENDING_NEW || target == VB_JOURNAL_STATE_UNKNOWN ||
        target == VB_JOURNAL_STATE_PENDING_CANCEL)
        target = VB_JOURNAL_STATE_NEW;  //  Known to the venue, nothing more
    bool fills_missing = vb_decimal_cmp (report->filled_qty, order.filled_qty) > 0;
    if (fills_missing) {
        //  The venue counts more filled than the journal holds: read the
        //  fills (they move the state); do not claim a fill we cannot show.
        s_symbol_touch (account, order.symbol);
        s_op_t *op = s_op_new (self, VB_EXEC_REQ_FILLS, (int)(account - self->accounts));
        if (op) {
            snprintf (op->symbol, sizeof (op->symbol), "%s", order.symbol);
            op->since_ms = order.created_ns / S_NS_PER_MS - S_FILLS_OVERLAP_MS;
            s_op_submit (self, op, VB_EXEC_PRIO_QUERY);
        }
        if (target == VB_JOURNAL_STATE_FILLED || target == VB_JOURNAL_STATE_PARTIALLY_FILLED)
            target = order.state == VB_JOURNAL_STATE_PENDING_NEW ||
                             order.state == VB_JOURNAL_STATE_UNKNOWN
                         ? VB_JOURNAL_STATE_NEW
                         : order.state;
    }
    if (target == VB_JOURNAL_STATE_PARTIALLY_FILLED && !fills_missing &&
        order.state == VB_JOURNAL_STATE_PARTIALLY_FILLED)
        return;  //  Nothing new
    if (!cancel_answer && order.state == VB_JOURNAL_STATE_PENDING_CANCEL &&
        (target == VB_JOURNAL_STATE_NEW || target == VB_JOURNAL_STATE_PARTIALLY_FILLED))
        return;  //  An older view; the cancel's answer decides
    if (target == order.state) {
        if (report->venue_order_id[0] && !order.venue_order_id[0] &&
            vb_journal_transition_allowed (order.state, order.state))
            s_transition (self, &order, target, report->venue_order_id, 0, NULL, NULL, NULL);
        return;
    }
    if (!vb_journal_transition_allowed (order.state, target)) {
        if (vb_journal_state_terminal (order.state) && vb_journal_state_terminal (target))
            s_alert (self, "reconcile_drift", true, "id=%s journal=%s venue=%s",
                     order.client_order_id, vb_journal_state_name (order.state),
                     vb_journal_state_name (target));
        return;
    }
    s_transition (self, &order, target, report->venue_order_id, 0, NULL, NULL, NULL);
}

//  --------------------------------------------------------------------------
//  Requests: a pool of slots, no allocation per order.

static s_op_t *
s_op_new (rt_router_t *self, vb_exec_kind_t kind, int account)
{
    if (self->ops_used == S_OPS_MAX)
        return NULL;
    for (size_t i = 0; i < S_OPS_MAX; i++) {
        s_op_t *op = &self->ops[i];
        if (op->used)
            continue;
        op->used = true;
        op->kind = kind;
        op->account = account;
        op->strategy = -1;
        op->client_order_id[0] = '\0';
        op->symbol[0] = '\0';
        memset (&op->order, 0, sizeof (op->order));
        op->since_ms = 0;
        op->start = false;
        op->queued = false;
        op->in_flight = false;
        op->fresh = false;
        op->attempts = 0;
        op->sent_mono_ns = 0;
        op->sent_real_ms = 0;
        op->received_mono_ns = 0;
        op->journal_ns = 0;
        op->queued_mono_ns = 0;
        op->waited_ns = 0;
        self->ops_used++;
        return op;
    }
    return NULL;
}

static void
s_op_free (rt_router_t *self, s_op_t *op)
{
    if (op->used) {
        op->used = false;
        self->ops_used--;
    }
}

//  --------------------------------------------------------------------------
//  Build and sign the op's request now. Returns 0 or the adapter's error
//  (for PLACE, VB_EINVAL with result explaining a local rule violation).

static int
s_op_build (rt_router_t *self, s_op_t *op, vb_exec_result_t *result)
{
    s_account_t *account = &self->accounts[op->account];
    const vb_exec_ops_t *ops = account->ops;
    vb_exec_t *adapter = account->adapter;
    int64_t now_ms = s_real_ms (self);
    memset (result, 0, sizeof (*result));
    switch (op->kind) {
        case VB_EXEC_REQ_PLACE:
            op->order.client_order_id = op->client_order_id;
            op->order.symbol = op->symbol;
            return ops->place (adapter, &op->order, now_ms, &op->request, result);
        case VB_EXEC_REQ_CANCEL:
            return ops->cancel (adapter, op->symbol, op->client_order_id, now_ms, &op->request);
        case VB_EXEC_REQ_QUERY:
            return ops->query (adapter, op->symbol, op->client_order_id, now_ms, &op->request);
        case VB_EXEC_REQ_OPEN_ORDERS:
            return ops->open_orders (adapter, op->symbol[0] ? op->symbol : NULL, now_ms,
                                     &op->request);
        case VB_EXEC_REQ_FILLS:
            return ops->fills (adapter, op->symbol[0] ? op->symbol : NULL, op->since_ms, now_ms,
                               &op->request);
        case VB_EXEC_REQ_BALANCES:
            return ops->balances (adapter, now_ms, &op->request);
        case VB_EXEC_REQ_KEY_PERMISSIONS:
            return ops->key_permissions (adapter, now_ms, &op->request);
        case VB_EXEC_REQ_INSTRUMENTS:
            return ops->instruments (adapter, &op->request);
        case VB_EXEC_REQ_STREAM_TOKEN:
        case VB_EXEC_REQ_CANCEL_ALL:
            break;
    }
    return VB_EINVAL;  //  Built by the adapter itself (token), or never used
}

//  --------------------------------------------------------------------------
//  Put an order back to its open state after a cancel that never left.

static vb_journal_state_t
s_open_state (const vb_journal_order_t *order)
{
    return vb_decimal_is_zero (order->filled_qty) ? VB_JOURNAL_STATE_NEW
                                                  : VB_JOURNAL_STATE_PARTIALLY_FILLED;
}

//  --------------------------------------------------------------------------
//  A start-up request is answered (ok) or failed.

static void
s_start_op_done (rt_router_t *self, s_account_t *account, s_op_t *op, bool ok)
{
    if (!op->start)
        return;
    account->pending--;
    if (op->kind == VB_EXEC_REQ_FILLS) {
        account->fills_pending--;
        if (!ok)
            account->fills_failed = true;
    }
    if (!ok)
        account->retry_mono_ns = s_mono_ns (self) + S_START_RETRY_MS * S_NS_PER_MS;
}

//  --------------------------------------------------------------------------
//  A request that never reached the venue (refused by the rate-limit
//  authority, failed to build, or every connection attempt failed before a
//  byte was written). Nothing can have executed.

static void
s_op_not_sent (rt_router_t *self, s_op_t *op, vb_exec_reason_t reason, const char *detail)
{
    s_account_t *account = &self->accounts[op->account];
    s_live_t *live = op->client_order_id[0] ? s_live_find (self, op->client_order_id) : NULL;
    vb_journal_order_t order;
    bool have_order = op->client_order_id[0] &&
                      vb_journal_lookup (self->journal, op->client_order_id, &order) == 0;
    vb_log_warning ("router request not sent account=%s kind=%d id=%s reason=%d detail=%s",
                    account->settings->name, (int)op->kind, op->client_order_id, (int)reason,
                    detail);
    switch (op->kind) {
        case VB_EXEC_REQ_PLACE:
            //  Only called when no attempt was written (a written one always
            //  ends in an answer, even a lost one): the venue never saw it.
            if (live)
                live->place = NULL;
            if (have_order)
                s_transition (self, &order, VB_JOURNAL_STATE_REJECTED, NULL, (int)reason, "local",
                              detail, NULL);
            break;
        case VB_EXEC_REQ_CANCEL:
            if (live)
                live->cancel_outstanding = false;
            if (have_order && order.state == VB_JOURNAL_STATE_PENDING_CANCEL)
                s_transition (self, &order, s_open_state (&order), NULL, 0, NULL, NULL, NULL);
            if (have_order)
                s_reject (self, live ? live->strategy : -1, NULL, 0, order.account,
                          order.client_tag, order.client_order_id, reason, NULL, NULL,
                          "cancel not sent");
            break;
        case VB_EXEC_REQ_QUERY:
            if (live) {
                live->query_outstanding = false;
                live->pending_query = true;  //  Never left: ask again later
                live->next_query_mono_ns = s_mono_ns (self) + live->query_delay_ms * S_NS_PER_MS;
            }
            break;
        case VB_EXEC_REQ_OPEN_ORDERS:
            account->open_orders_outstanding = false;
            break;
        case VB_EXEC_REQ_BALANCES:
            if (op->strategy >= 0)
                s_reject (self, op->strategy, NULL, 0, account->settings->name, NULL, NULL, reason,
                          NULL, NULL, detail);
            break;
        default:
            break;
    }
    s_start_op_done (self, account, op, false);
    if (op->kind == VB_EXEC_REQ_KEY_PERMISSIONS || op->kind == VB_EXEC_REQ_INSTRUMENTS) {
        account->pending = 0;
        account->retry_mono_ns = s_mono_ns (self) + S_START_RETRY_MS * S_NS_PER_MS;
    }
    s_op_free (self, op);
}

//  --------------------------------------------------------------------------
//  Hand the op's request to the REST client, signing it again first unless
//  the build in hand was made just now.

static void
s_op_send (rt_router_t *self, s_op_t *op)
{
    if (!op->fresh) {
        vb_exec_result_t result;
        int rc = s_op_build (self, op, &result);
        if (rc != 0) {
            s_op_not_sent (self, op, result.reason ? result.reason : VB_EXEC_REASON_INVALID_REQUEST,
                           result.venue_text[0] ? result.venue_text : vb_strerror (rc));
            return;
        }
    }
    op->fresh = false;
    if (op->queued)
        op->waited_ns += s_mono_ns (self) - op->queued_mono_ns;
    int rc = rt_http_send (self->http, (uint64_t)(op - self->ops), &op->request);
    if (rc != 0) {
        s_op_not_sent (self, op, VB_EXEC_REASON_VENUE_UNAVAILABLE, "the REST client refused it");
        return;
    }
    op->in_flight = true;
    op->queued = false;
    op->sent_mono_ns = s_mono_ns (self);
    op->sent_real_ms = s_real_ms (self);
    if (op->request.may_execute && op->client_order_id[0]) {
        s_live_t *live = s_live_find (self, op->client_order_id);
        if (live)
            live->last_send_real_ms = op->sent_real_ms;
    }
}

//  --------------------------------------------------------------------------
//  Take the op's weight from the rate-limit authority and send it, or queue
//  it. Returns 0 when sent or queued; otherwise it was handled as not sent.

static int
s_op_submit (rt_router_t *self, s_op_t *op, vb_exec_priority_t priority)
{
    s_account_t *account = &self->accounts[op->account];
    if (!op->fresh) {
        vb_exec_result_t result;
        int rc = s_op_build (self, op, &result);
        if (rc != 0) {
            if (op->kind == VB_EXEC_REQ_PLACE && rc == VB_EINVAL) {
                //  The instrument rules refuse it: journaled, never sent
                vb_journal_order_t order;
                s_live_t *live = s_live_find (self, op->client_order_id);
                if (live)
                    live->place = NULL;
                if (vb_journal_lookup (self->journal, op->client_order_id, &order) == 0)
                    s_transition (self, &order, VB_JOURNAL_STATE_REJECTED, NULL,
                                  result.reason ? (int)result.reason
                                                : (int)VB_EXEC_REASON_INVALID_REQUEST,
                                  result.venue_code[0] ? result.venue_code : "local",
                                  result.venue_text[0] ? result.venue_text
                                                       : "refused by the instrument rules",
                                  NULL);
                s_op_free (self, op);
                return rc;
            }
            s_op_not_sent (self, op, VB_EXEC_REASON_INVALID_REQUEST,
                           result.venue_text[0] ? result.venue_text : vb_strerror (rc));
            return rc;
        }
        op->fresh = true;
    }
    int rc = op->request.cost_count == 0
                 ? 0
                 : rt_limits_submit (self->limits, account->limits, priority, op->request.costs,
                                     op->request.cost_count, S_TAG_OP, op);
    if (rc == 0) {
        s_op_send (self, op);
        return 0;
    }
    if (rc == 1) {
        op->queued = true;
        op->queued_mono_ns = s_mono_ns (self);
        //  Signed again when it leaves the queue (timestamps, nonce order),
        //  except a token request, which only the adapter can build
        op->fresh = op->kind == VB_EXEC_REQ_STREAM_TOKEN;
        return 0;
    }
    s_op_not_sent (self, op, VB_EXEC_REASON_RATE_LIMITED,
                   rc == VB_EAGAIN ? "rate-limit queue full" : "weight can never fit the limit");
    return rc;
}

//  --------------------------------------------------------------------------
//  Queries and cancels of one order.

static void
s_query (rt_router_t *self, s_live_t *live, const char *symbol)
{
    if (live->query_outstanding)
        return;
    s_op_t *op = s_op_new (self, VB_EXEC_REQ_QUERY, live->account);
    if (!op) {
        live->pending_query = true;  //  No free request slot: ask again later
        live->next_query_mono_ns = s_mono_ns (self) + live->query_delay_ms * S_NS_PER_MS;
        return;
    }
    snprintf (op->client_order_id, sizeof (op->client_order_id), "%s", live->id);
    snprintf (op->symbol, sizeof (op->symbol), "%s", symbol);
    live->query_outstanding = true;
    s_op_submit (self, op, VB_EXEC_PRIO_QUERY);
}

static void
s_send_cancel (rt_router_t *self, s_live_t *live, const char *symbol)
{
    s_op_t *op = s_op_new (self, VB_EXEC_REQ_CANCEL, live->account);
    live->cancel_wanted = false;
    live->cancel_retry = false;
    if (!op) {
        live->cancel_wanted = true;  //  Tried again on the next tick
        return;
    }
    snprintf (op->client_order_id, sizeof (op->client_order_id), "%s", live->id);
    snprintf (op->symbol, sizeof (op->symbol), "%s", symbol);
    live->cancel_outstanding = true;
    s_op_submit (self, op, VB_EXEC_PRIO_CANCEL);
}

//  Schedule the next query of an order whose state is not settled yet.

static void
s_query_later (rt_router_t *self, s_live_t *live)
{
    live->next_query_mono_ns = s_mono_ns (self) + live->query_delay_ms * S_NS_PER_MS;
    live->query_delay_ms = live->query_delay_ms * 2 > S_UNKNOWN_RETRY_MAX_MS
                               ? S_UNKNOWN_RETRY_MAX_MS
                               : live->query_delay_ms * 2;
}

//  --------------------------------------------------------------------------
//  What the adapter parses out of answers and stream frames. The account
//  is self->sink_account (set before every parse).

static void
s_sink_order (void *ctx, const vb_exec_report_t *report)
{
    rt_router_t *self = (rt_router_t *)ctx;
    s_account_t *account = &self->accounts[self->sink_account];
    vb_journal_order_t order;
    if (self->sink_kind == VB_EXEC_REQ_OPEN_ORDERS &&
        s_find_order (self, account, report->client_order_id, NULL, &order) != 0) {
        uint32_t router_id;
        int64_t sequence;
        if (vb_journal_parse_id (report->client_order_id, &router_id, &sequence) == 0 &&
            router_id == self->settings->router_id) {
            s_alert (self, "reconcile_drift", true,
                     "open at the venue but not in the journal account=%s id=%s",
                     account->settings->name, report->client_order_id);
            rt_metrics_drift (self->metrics, account->settings->venue, "order_unknown");
        }
        return;
    }
    s_apply_report (self, account, report, self->sink_authoritative);
}

static void
s_sink_fill (void *ctx, const vb_exec_fill_t *fill)
{
    rt_router_t *self = (rt_router_t *)ctx;
    s_apply_fill (self, &self->accounts[self->sink_account], fill,
                  self->sink_kind == VB_EXEC_REQ_FILLS && !self->sink_start);
}

static void
s_sink_balance (void *ctx, const char *asset, vb_decimal_t free_amount, vb_decimal_t locked)
{
    rt_router_t *self = (rt_router_t *)ctx;
    if (self->balance_count == S_BALANCES_MAX)
        return;
    size_t i = self->balance_count++;
    venuebus__balance__init (&self->balance_items[i]);
    snprintf (self->balance_assets[i], sizeof (self->balance_assets[i]), "%s", asset);
    vb_msg_decimal_set (&self->balance_decimals[i][0], free_amount);
    vb_msg_decimal_set (&self->balance_decimals[i][1], locked);
    self->balance_items[i].asset = self->balance_assets[i];
    self->balance_items[i].free = &self->balance_decimals[i][0];
    self->balance_items[i].locked = &self->balance_decimals[i][1];
    self->balance_pointers[i] = &self->balance_items[i];
}

static void
s_sink_permissions (void *ctx, const vb_exec_permissions_t *permissions)
{
    rt_router_t *self = (rt_router_t *)ctx;
    s_account_t *account = &self->accounts[self->sink_account];
    account->permissions = *permissions;
    account->permissions_seen = true;
}

static int
s_sink_send (void *ctx, const char *text, size_t length)
{
    rt_router_t *self = (rt_router_t *)ctx;
    return rt_stream_send (self->stream, self->sink_account, text, length);
}

static int
s_sink_request (void *ctx, const vb_exec_request_t *request)
{
    rt_router_t *self = (rt_router_t *)ctx;
    s_op_t *op = s_op_new (self, VB_EXEC_REQ_STREAM_TOKEN, self->sink_account);
    if (!op)
        return VB_ELIMIT;
    op->request = *request;
    op->fresh = true;
    return s_op_submit (self, op, VB_EXEC_PRIO_QUERY);
}

static void
s_sink_usage (void *ctx, size_t bucket, int64_t used)
{
    rt_router_t *self = (rt_router_t *)ctx;
    rt_limits_correct (self->limits, self->accounts[self->sink_account].limits, bucket, used);
}

static vb_exec_sink_t
s_sink (rt_router_t *self, int account, vb_exec_kind_t kind, bool authoritative, bool start)
{
    self->sink_account = account;
    self->sink_kind = kind;
    self->sink_authoritative = authoritative;
    self->sink_start = start;
    vb_exec_sink_t sink = {.ctx = self,
                           .order = s_sink_order,
                           .fill = s_sink_fill,
                           .balance = s_sink_balance,
                           .permissions = s_sink_permissions,
                           .send = s_sink_send,
                           .request = s_sink_request};
    return sink;
}

//  --------------------------------------------------------------------------
//  Failover: count connection failures and 5xx in a row per account; past
//  failover_errors switch to the next base URL.

static void
s_url_result (rt_router_t *self, s_account_t *account, bool failure)
{
    if (!failure) {
        account->failures = 0;
        return;
    }
    if (++account->failures < self->settings->failover_errors ||
        account->settings->rest_url_count < 2)
        return;
    size_t from = account->url_index;
    size_t to = (from + 1) % account->settings->rest_url_count;
    if (account->ops->set_rest_url (account->adapter, account->settings->rest_urls[to]) != 0)
        return;
    account->url_index = to;
    account->failures = 0;
    account->failover_mono_ns = s_mono_ns (self);
    rt_metrics_failover (self->metrics, account->settings->name);
    s_alert (self, "failover", true, "account=%s from=%s to=%s", account->settings->name,
             account->settings->rest_urls[from], account->settings->rest_urls[to]);
}

//  --------------------------------------------------------------------------
//  The posture check of DESIGN.md §6: refuse keys that can withdraw, that
//  cannot trade, or that have no IP whitelist (unless allowed).

static void s_fatal (rt_router_t *self, int code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_fatal (rt_router_t *self, int code, const char *format, ...)
{
    char text[512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof (text), format, args);
    va_end (args);
    vb_log_error ("router refuses to run: %s", text);
    if (!self->fatal)
        self->fatal = code;
}

static void
s_posture (rt_router_t *self, s_account_t *account)
{
    const char *name = account->settings->name;
    const vb_exec_permissions_t *permissions = &account->permissions;
    if (permissions->can_withdraw) {
        s_fatal (self, RT_EXIT_POSTURE,
                 "account=%s: its key can withdraw funds; create a key with trade permission "
                 "only",
                 name);
        return;
    }
    if (!permissions->can_trade) {
        s_fatal (self, RT_EXIT_POSTURE, "account=%s: its key has no trade permission", name);
        return;
    }
    if (!permissions->ip_restricted) {
        if (!account->settings->allow_unrestricted_ip) {
            s_fatal (self, RT_EXIT_POSTURE,
                     "account=%s: its key has no IP whitelist; restrict it to this host's "
                     "address, or set account/%s/allow_unrestricted_ip",
                     name, name);
            return;
        }
        vb_log_warning ("router key without IP whitelist account=%s allowed by "
                        "allow_unrestricted_ip",
                        name);
        account->posture_warn_mono_ns =
            s_mono_ns (self) + self->settings->posture_warn_ms * S_NS_PER_MS;
    }
    vb_log_notice ("router key posture ok account=%s trade=yes withdraw=no ip_whitelist=%s", name,
                   permissions->ip_restricted ? "yes" : "no");
    account->phase = S_PHASE_INSTRUMENTS;
    account->retry_mono_ns = 0;
}

//  --------------------------------------------------------------------------
//  Answer to a place.

static void
s_on_place (rt_router_t *self, s_op_t *op, s_account_t *account, const vb_exec_result_t *result)
{
    s_live_t *live = s_live_find (self, op->client_order_id);
    if (live)
        live->place = NULL;
    vb_journal_order_t order;
    if (vb_journal_lookup (self->journal, op->client_order_id, &order) != 0) {
        vb_log_error ("router answer for an order the journal lacks id=%s", op->client_order_id);
        return;
    }
    //  The venue's word may have come first (private stream, or a fill):
    //  then an answer that says nothing (lost, unreadable) must not move
    //  the order back to UNKNOWN
    bool venue_known = !(order.state == VB_JOURNAL_STATE_PENDING_NEW ||
                         (order.state == VB_JOURNAL_STATE_PENDING_CANCEL &&
                          !order.venue_order_id[0] && vb_decimal_is_zero (order.filled_qty)));
    switch (result->outcome) {
        case VB_EXEC_OK:
            if (result->has_report) {
                s_apply_report (self, account, &result->report, true);
                break;
            }
            if (!venue_known)
                s_transition (self, &order, VB_JOURNAL_STATE_UNKNOWN, NULL, 0, NULL,
                              "accepted without an order in the answer", NULL);
            break;
        case VB_EXEC_REJECTED:
        case VB_EXEC_RATE_LIMITED:
        case VB_EXEC_AUTH:
            //  The venue refused the request: nothing executed
            s_transition (self, &order, VB_JOURNAL_STATE_REJECTED, NULL,
                          result->reason ? (int)result->reason : (int)VB_EXEC_REASON_OTHER,
                          result->venue_code, result->venue_text, NULL);
            break;
        case VB_EXEC_NOT_FOUND:
        case VB_EXEC_UNKNOWN:
        default:
            if (!venue_known)
                s_transition (self, &order, VB_JOURNAL_STATE_UNKNOWN, NULL, 0, result->venue_code,
                              result->venue_text, NULL);
            break;
    }
    live = s_live_find (self, op->client_order_id);
    if (!live)
        return;
    vb_journal_lookup (self->journal, op->client_order_id, &order);
    if (vb_journal_state_terminal (order.state))
        s_live_remove (self, live);
    else if (live->cancel_wanted)
        s_send_cancel (self, live, order.symbol);
}

//  --------------------------------------------------------------------------
//  Answer to a cancel.

static void
s_on_cancel_answer (rt_router_t *self, s_op_t *op, s_account_t *account,
                    const vb_exec_result_t *result)
{
    s_live_t *live = s_live_find (self, op->client_order_id);
    if (live)
        live->cancel_outstanding = false;
    vb_journal_order_t order;
    if (vb_journal_lookup (self->journal, op->client_order_id, &order) != 0)
        return;
    switch (result->outcome) {
        case VB_EXEC_OK:
            if (result->has_report)
                s_apply_report (self, account, &result->report, true);
            else if (live)
                s_query (self, live, order.symbol);
            break;
        case VB_EXEC_RATE_LIMITED:
            //  Refused before it executed: cancels go again first when allowed
            if (live)
                s_send_cancel (self, live, order.symbol);
            break;
        case VB_EXEC_UNKNOWN:
            //  The cancel may or may not have executed: ask, and cancel
            //  again if the venue still has it open (a cancel cannot
            //  duplicate anything)
            if (live)
                live->cancel_retry = true;
            s_transition (self, &order, VB_JOURNAL_STATE_UNKNOWN, NULL, 0, result->venue_code,
                          result->venue_text, NULL);
            break;
        case VB_EXEC_REJECTED:
        case VB_EXEC_NOT_FOUND:
        case VB_EXEC_AUTH:
        default:
            //  Refused, or no such open order: it may have filled. Ask.
            if (live)
                s_query (self, live, order.symbol);
            if (result->outcome == VB_EXEC_REJECTED || result->outcome == VB_EXEC_AUTH)
                s_reject (self, live ? live->strategy : -1, NULL, 0, order.account,
                          order.client_tag, order.client_order_id,
                          result->reason ? result->reason : VB_EXEC_REASON_OTHER,
                          result->venue_code, result->venue_text, "cancel refused by the venue");
            break;
    }
}

//  --------------------------------------------------------------------------
//  Answer to a query by client order id.

static void
s_on_query_answer (rt_router_t *self, s_op_t *op, s_account_t *account,
                   const vb_exec_result_t *result)
{
    s_live_t *live = s_live_find (self, op->client_order_id);
    if (live)
        live->query_outstanding = false;
    vb_journal_order_t order;
    if (vb_journal_lookup (self->journal, op->client_order_id, &order) != 0)
        return;
    if (result->outcome == VB_EXEC_OK && result->has_report) {
        s_apply_report (self, account, &result->report, !(live && live->cancel_outstanding));
        if (live && (live = s_live_find (self, op->client_order_id)) != NULL) {
            live->reconciled = true;
            if (live->unknown)
                s_query_later (self, live);
            else if (live->cancel_retry && !live->cancel_outstanding && !live->place &&
                     vb_journal_lookup (self->journal, live->id, &order) == 0 &&
                     (order.state == VB_JOURNAL_STATE_NEW ||
                      order.state == VB_JOURNAL_STATE_PARTIALLY_FILLED)) {
                live->cancel_retry = false;
                s_transition (self, &order, VB_JOURNAL_STATE_PENDING_CANCEL, NULL, 0, NULL, NULL,
                              NULL);
                s_send_cancel (self, live, order.symbol);
            } else if (live->cancel_retry)
                s_query_later (self, live);  //  Not settled yet: ask again, with backoff
        }
        return;
    }
    if (result->outcome == VB_EXEC_NOT_FOUND) {
        if (live)
            live->reconciled = true;
        int64_t sent_ms = live && live->last_send_real_ms ? live->last_send_real_ms
                                                          : order.created_ns / S_NS_PER_MS;
        bool settled = s_real_ms (self) - sent_ms >= self->settings->unknown_settle_ms;
        if (order.venue_order_id[0]) {
            //  The venue acknowledged it once and now has no record of it
            if (live && !live->unknown_alerted) {
                s_alert (self, "reconcile_drift", true,
                         "acknowledged order no longer known to the venue id=%s venue_id=%s",
                         order.client_order_id, order.venue_order_id);
                rt_metrics_drift (self->metrics, account->settings->venue, "order_vanished");
                live->unknown_alerted = true;
            }
            return;
        }
        if (settled) {
            //  Past the settle window no delayed request can be accepted:
            //  the venue's "no such order" is final. It never executed.
            s_transition (
                self, &order, VB_JOURNAL_STATE_REJECTED, NULL, VB_EXEC_REASON_UNKNOWN_ORDER,
                result->venue_code,
                result->venue_text[0] ? result->venue_text : "the venue has no such order", NULL);
            return;
        }
        if (order.state == VB_JOURNAL_STATE_PENDING_NEW)
            s_transition (self, &order, VB_JOURNAL_STATE_UNKNOWN, NULL, 0, result->venue_code,
                          result->venue_text, NULL);
    }
    if (live && (live = s_live_find (self, op->client_order_id)) != NULL) {
        if (result->outcome != VB_EXEC_NOT_FOUND)
            live->pending_query = true;  //  The query failed (5xx, 429, lost): ask again
        s_query_later (self, live);
    }
}

//  --------------------------------------------------------------------------
//  Balances to the strategy that asked, or onto ex.<account>.router.

static void
s_send_balances (rt_router_t *self, s_op_t *op, s_account_t *account)
{
    char topic[VB_TOPIC_MAX + 1];
    if (vb_topic_ex (topic, sizeof (topic), account->settings->name, S_RESERVED_STRATEGY) < 0)
        return;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__Header header;
    Venuebus__Balances balances = VENUEBUS__BALANCES__INIT;
    balances.account = (char *)account->settings->name;
    balances.n_balance = self->balance_count;
    balances.balance = self->balance_pointers;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_BALANCES;
    envelope.balances = &balances;
    if (op->strategy >= 0) {
        s_header (self, &header, account->settings->venue, NULL, account->settings->name,
                  self->strategies[op->strategy].name, NULL, 0);
        s_send_strategy (self, op->strategy, &envelope);
    } else {
        s_header (self, &header, account->settings->venue, NULL, account->settings->name,
                  S_RESERVED_STRATEGY, topic, s_next_seq (self, topic));
        s_publish (self, topic, &envelope);
    }
}

//  --------------------------------------------------------------------------
//  After an open-orders answer: journal orders the venue no longer lists
//  (and that were sent before the list was asked for) are queried.

static void
s_open_orders_done (rt_router_t *self, s_op_t *op, s_account_t *account)
{
    int index = (int)(account - self->accounts);
    size_t live_cursor = 0;
    for (s_live_t *live; (live = rt_live_next (self->live, &live_cursor));) {
        if (live->account != index || live->seen_epoch == account->epoch || live->place ||
            live->query_outstanding || live->cancel_outstanding ||
            live->last_send_real_ms > op->sent_real_ms)
            continue;
        vb_journal_order_t order;
        if (vb_journal_lookup (self->journal, live->id, &order) != 0)
            continue;
        if (order.state == VB_JOURNAL_STATE_NEW ||
            order.state == VB_JOURNAL_STATE_PARTIALLY_FILLED ||
            order.state == VB_JOURNAL_STATE_PENDING_CANCEL) {
            vb_log_info ("router reconcile: not listed open, asking id=%s", live->id);
            live->next_query_mono_ns = 0;
            live->pending_query = true;
        }
    }
}

//  --------------------------------------------------------------------------
//  rt_http's done callback: parse the answer with the adapter, then act.

static void
s_on_http (void *ctx, const rt_http_answer_t *answer)
{
    rt_router_t *self = (rt_router_t *)ctx;
    if (answer->id >= S_OPS_MAX || !self->ops[answer->id].used)
        return;
    s_op_t *op = &self->ops[answer->id];
    s_account_t *account = &self->accounts[op->account];
    op->in_flight = false;
    if (answer->status == 0 && !answer->sent) {
        //  Nothing was written: safe to send again, on the next URL if due
        s_url_result (self, account, true);
        int64_t attempts_max =
            self->settings->failover_errors * (int64_t)account->settings->rest_url_count;
        if (++op->attempts <= attempts_max) {
            vb_log_info ("router connection failed, sending again account=%s attempt=%d "
                         "error=%s",
                         account->settings->name, op->attempts, answer->error);
            s_op_send (self, op);
            return;
        }
        s_op_not_sent (self, op, VB_EXEC_REASON_VENUE_UNAVAILABLE, answer->error);
        return;
    }
    s_url_result (self, account, answer->status == 0 || answer->status >= 500);
    if (op->kind == VB_EXEC_REQ_OPEN_ORDERS)
        account->epoch++;
    self->balance_count = 0;
    s_live_t *live = op->client_order_id[0] ? s_live_find (self, op->client_order_id) : NULL;
    vb_exec_sink_t sink =
        s_sink (self, op->account, op->kind,
                op->kind == VB_EXEC_REQ_QUERY ? !(live && live->cancel_outstanding)
                                              : op->kind == VB_EXEC_REQ_CANCEL,
                op->start);
    vb_exec_result_t result;
    memset (&result, 0, sizeof (result));
    int rc = account->ops->parse (account->adapter, &op->request, answer->status, answer->headers,
                                  answer->header_count, answer->body, answer->length, &sink,
                                  &result, s_sink_usage, self);
    if (rc != 0 || result.outcome == 0) {
        //  An answer nobody can read: for a request that may have executed
        //  that is an unseen outcome, never a rejection
        vb_log_warning ("router unreadable answer account=%s kind=%d status=%d error=%s",
                        account->settings->name, (int)op->kind, answer->status,
                        answer->status ? vb_strerror (rc) : answer->error);
        result.outcome = VB_EXEC_UNKNOWN;
    }
    rt_metrics_request (self->metrics, account->settings->venue, op->kind, result.outcome,
                        answer->done_ns - answer->queued_ns);
    if (result.outcome == VB_EXEC_RATE_LIMITED) {
        int64_t block_ms = result.retry_after_ms > 0 ? result.retry_after_ms : S_START_RETRY_MS;
        rt_limits_block (self->limits, account->limits, block_ms * S_NS_PER_MS, result.banned);
        s_alert (self, result.banned ? "venue_ban" : "venue_rate_limited", true,
                 "account=%s venue=%s code=%s stop_ms=%" PRId64, account->settings->name,
                 account->settings->venue, result.venue_code, block_ms);
    }
    switch (op->kind) {
        case VB_EXEC_REQ_PLACE: {
            int64_t journal_before = self->journal_ns;
            s_on_place (self, op, account, &result);
            //  The router's own share of an order sent on its first try:
            //  NewOrder read -> request about to be written, and answer
            //  complete -> report sent, less the journal's durable writes
            //  and the time the rate limit held it
            if (op->received_mono_ns && op->attempts == 0 && answer->written_ns) {
                int64_t before =
                    answer->written_ns - op->received_mono_ns - op->journal_ns - op->waited_ns;
                int64_t after =
                    s_mono_ns (self) - answer->done_ns - (self->journal_ns - journal_before);
                rt_metrics_order_own (self->metrics, account->settings->venue, before + after);
            }
            break;
        }
        case VB_EXEC_REQ_CANCEL:
            s_on_cancel_answer (self, op, account, &result);
            break;
        case VB_EXEC_REQ_QUERY:
            s_on_query_answer (self, op, account, &result);
            break;
        case VB_EXEC_REQ_OPEN_ORDERS:
            account->open_orders_outstanding = false;
            if (result.outcome == VB_EXEC_OK) {
                s_open_orders_done (self, op, account);
                if (op->start)
                    account->open_orders_done = true;
            }
            break;
        case VB_EXEC_REQ_FILLS:
            break;
        case VB_EXEC_REQ_BALANCES:
            if (result.outcome == VB_EXEC_OK)
                s_send_balances (self, op, account);
            else if (op->strategy >= 0)
                s_reject (self, op->strategy, NULL, 0, account->settings->name, NULL, NULL,
                          result.reason ? result.reason : VB_EXEC_REASON_VENUE_UNAVAILABLE,
                          result.venue_code, result.venue_text, "balances not available");
            break;
        case VB_EXEC_REQ_KEY_PERMISSIONS:
            if (result.outcome == VB_EXEC_OK && account->permissions_seen)
                s_posture (self, account);
            else if (result.outcome == VB_EXEC_AUTH)
                s_fatal (self, RT_EXIT_POSTURE,
                         "account=%s: the venue refused its key (code %s: %s)",
                         account->settings->name, result.venue_code, result.venue_text);
            else
                account->retry_mono_ns = s_mono_ns (self) + S_START_RETRY_MS * S_NS_PER_MS;
            account->pending = 0;
            break;
        case VB_EXEC_REQ_INSTRUMENTS:
            if (result.outcome == VB_EXEC_OK) {
                account->phase = S_PHASE_RECONCILE;
                account->retry_mono_ns = 0;
            } else
                account->retry_mono_ns = s_mono_ns (self) + S_START_RETRY_MS * S_NS_PER_MS;
            account->pending = 0;
            break;
        case VB_EXEC_REQ_STREAM_TOKEN:
            if (result.outcome == VB_EXEC_OK && account->ops->stream_token) {
                vb_exec_sink_t stream_sink = s_sink (self, op->account, op->kind, false, false);
                if (account->ops->stream_token (account->adapter, NULL, &stream_sink) != 0)
                    vb_log_warning ("router stream subscription failed account=%s",
                                    account->settings->name);
            } else {
                vb_log_warning ("router stream token refused account=%s code=%s text=%s",
                                account->settings->name, result.venue_code, result.venue_text);
                account->stream_restart_mono_ns = s_mono_ns (self) + S_START_RETRY_MS * S_NS_PER_MS;
            }
            break;
        case VB_EXEC_REQ_CANCEL_ALL:
            break;
    }
    s_start_op_done (self, account, op, result.outcome == VB_EXEC_OK);
    s_op_free (self, op);
}

//  --------------------------------------------------------------------------
//  Strategy requests. Each gets an answer: Ack + reports, a Reject with a
//  reason, Balances, or the order's ExecutionReport.

static bool
s_text_ok (const char *text, size_t max, bool allow_empty)
{
    size_t length = text ? strlen (text) : 0;
    if (length == 0)
        return allow_empty;
    if (length > max)
        return false;
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
            return false;
    return true;
}

static void
s_on_new_order (rt_router_t *self, int strategy, const Venuebus__Envelope *envelope,
                int64_t received_mono_ns)
{
    const Venuebus__NewOrder *request = envelope->new_order;
    s_strategy_t *owner = &self->strategies[strategy];
    const char *account_name =
        request->account && *request->account ? request->account : envelope->header->account;
    const char *tag = request->client_tag ? request->client_tag : "";
#define S_REFUSE(reason, detail)                                                                   \
    do {                                                                                           \
        rt_metrics_strategy_message (self->metrics, "new_order", "rejected");                      \
        s_reject (self, strategy, NULL, 0, account_name, s_text_ok (tag, 64, true) ? tag : "",     \
                  NULL, reason, NULL, NULL, detail);                                               \
        return;                                                                                    \
    } while (0)
    int index = s_account_find (self, account_name);
    if (index < 0)
        S_REFUSE (VB_EXEC_REASON_UNKNOWN_ACCOUNT, "no such account in the router's config");
    s_account_t *account = &self->accounts[index];
    if (!s_text_ok (tag, VB_JOURNAL_NAME_MAX, true))
        S_REFUSE (VB_EXEC_REASON_INVALID_REQUEST,
                  "client_tag must be at most 64 printable ASCII characters");
    if (!s_text_ok (request->symbol, 31, false))
        S_REFUSE (VB_EXEC_REASON_INVALID_REQUEST, "symbol missing or malformed");
    if (request->side != VENUEBUS__SIDE__BUY && request->side != VENUEBUS__SIDE__SELL)
        S_REFUSE (VB_EXEC_REASON_INVALID_REQUEST, "side must be BUY or SELL");
    if (request->type != VENUEBUS__ORDER_TYPE__LIMIT &&
        request->type != VENUEBUS__ORDER_TYPE__MARKET)
        S_REFUSE (VB_EXEC_REASON_INVALID_REQUEST, "type must be LIMIT or MARKET");
    Venuebus__TimeInForce tif = request->time_in_force;
    if (tif == VENUEBUS__TIME_IN_FORCE__TIME_IN_FORCE_UNSPECIFIED)
        tif = request->type == VENUEBUS__ORDER_TYPE__MARKET ? VENUEBUS__TIME_IN_FORCE__IOC
                                                            : VENUEBUS__TIME_IN_FORCE__GTC;
    if (tif != VENUEBUS__TIME_IN_FORCE__GTC && tif != VENUEBUS__TIME_IN_FORCE__IOC &&
        tif != VENUEBUS__TIME_IN_FORCE__FOK)
        S_REFUSE (VB_EXEC_REASON_INVALID_REQUEST, "time_in_force must be GTC, IOC or FOK");
    vb_decimal_t qty, price = {0, 0};
    if (vb_msg_decimal_get (request->qty, &qty) != 0 || vb_decimal_is_negative (qty) ||
        vb_decimal_is_zero (qty))
        S_REFUSE (VB_EXEC_REASON_INVALID_QTY, "qty must be a positive decimal");
    bool limit = request->type == VENUEBUS__ORDER_TYPE__LIMIT;
    if (limit) {
        if (vb_msg_decimal_get (request->price, &price) != 0 || vb_decimal_is_negative (price) ||
            vb_decimal_is_zero (price))
            S_REFUSE (VB_EXEC_REASON_INVALID_PRICE, "a LIMIT order needs a positive price");
    } else {
        if (request->price && (request->price->mantissa != 0))
            S_REFUSE (VB_EXEC_REASON_INVALID_PRICE, "a MARKET order takes no price");
        if (request->post_only)
            S_REFUSE (VB_EXEC_REASON_INVALID_REQUEST, "post_only needs a LIMIT order");
    }
    //  Per-strategy limits
    if (owner->open_orders >= owner->limits->max_open_orders)
        S_REFUSE (VB_EXEC_REASON_RISK_LIMIT, "the strategy's max_open_orders is reached");
    vb_decimal_t notional = {0, 0};
    if (owner->limits->has_max_notional) {
        if (!limit)
            S_REFUSE (VB_EXEC_REASON_RISK_LIMIT,
                      "max_notional is set: send a LIMIT IOC instead of a MARKET order");
        vb_decimal_t total;
        if (!s_notional (price, qty, &notional) ||
            vb_decimal_add (owner->open_notional, notional, &total) != 0 ||
            vb_decimal_cmp (total, owner->limits->max_notional) > 0)
            S_REFUSE (VB_EXEC_REASON_RISK_LIMIT, "the strategy's max_notional would be passed");
    }
#undef S_REFUSE
    vb_journal_order_t order;  //  The order as journaled (record.result)
    vb_journal_new_t record = {.strategy = owner->name,
                               .client_tag = tag,
                               .account = account->settings->name,
                               .venue = account->settings->venue,
                               .symbol = request->symbol,
                               .side = (vb_journal_side_t)request->side,
                               .type = (vb_journal_type_t)request->type,
                               .tif = (vb_journal_tif_t)tif,
                               .post_only = request->post_only,
                               .price = price,
                               .qty = qty,
                               .created_ns = s_real_ns (self),
                               .result = &order};
    int64_t sequence;
    char client_order_id[VB_JOURNAL_ID_SIZE];
    int64_t journal_start = s_mono_ns (self);
    int rc = vb_journal_record_new (self->journal, &record, &sequence, client_order_id);
    int64_t journal_ns = s_mono_ns (self) - journal_start;
    rt_metrics_journal_commit (self->metrics, journal_ns);
    if (rc != 0) {
        vb_journal_order_t existing;
        rt_metrics_strategy_message (self->metrics, "new_order", "rejected");
        if (rc == VB_EEXIST &&
            vb_journal_lookup_tag (self->journal, owner->name, tag, &existing) == 0)
            s_reject (self, strategy, NULL, 0, account->settings->name, tag,
                      existing.client_order_id, VB_EXEC_REASON_DUPLICATE_ORDER, NULL, NULL,
                      "this strategy already has an order with this client_tag");
        else
            s_reject (self, strategy, NULL, 0, account->settings->name, tag, NULL,
                      rc == VB_EINVAL ? VB_EXEC_REASON_INVALID_REQUEST : VB_EXEC_REASON_OTHER, NULL,
                      NULL,
                      rc == VB_EINVAL ? vb_journal_errmsg (self->journal)
                                      : "the journal could not record the order");
        if (rc != VB_EEXIST && rc != VB_EINVAL)
            vb_log_error ("router journal write failed error=%s detail=%s", vb_strerror (rc),
                          vb_journal_errmsg (self->journal));
        return;
    }
    rt_metrics_strategy_message (self->metrics, "new_order", "accepted");
    rt_metrics_order_state (self->metrics, account->settings->venue, VB_EXEC_STATE_PENDING_NEW);
    s_live_t *live = s_live_add (self, &order, index, strategy);
    if (!live) {
        //  Out of memory: journaled but never sent, so it ends here
        vb_log_error ("router cannot track order id=%s: out of memory", client_order_id);
        s_transition (self, &order, VB_JOURNAL_STATE_REJECTED, NULL, VB_EXEC_REASON_OTHER, "local",
                      "the router is out of memory", NULL);
        return;
    }
    live->received_mono_ns = received_mono_ns;

    //  Ack: journaled, with the client order id
    char topic[VB_TOPIC_MAX + 1];
    vb_topic_ex (topic, sizeof (topic), account->settings->name, owner->name);
    Venuebus__Envelope ack_envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__Header header;
    Venuebus__Ack ack = VENUEBUS__ACK__INIT;
    s_header (self, &header, account->settings->venue, request->symbol, account->settings->name,
              owner->name, topic, s_next_seq (self, topic));
    ack.client_tag = (char *)tag;
    ack.client_order_id = client_order_id;
    ack.journal_seq = (uint64_t)sequence;
    ack_envelope.header = &header;
    ack_envelope.body_case = VENUEBUS__ENVELOPE__BODY_ACK;
    ack_envelope.ack = &ack;
    s_send_strategy (self, strategy, &ack_envelope);
    s_publish (self, topic, &ack_envelope);

    s_op_t *op = s_op_new (self, VB_EXEC_REQ_PLACE, index);
    if (!op) {
        s_transition (self, &order, VB_JOURNAL_STATE_REJECTED, NULL, VB_EXEC_REASON_RATE_LIMITED,
                      "local", "the router has too many requests in flight", NULL);
        return;
    }
    snprintf (op->client_order_id, sizeof (op->client_order_id), "%s", client_order_id);
    snprintf (op->symbol, sizeof (op->symbol), "%s", request->symbol);
    op->order.side = (vb_exec_side_t)request->side;
    op->order.type = (vb_exec_type_t)request->type;
    op->order.tif = (vb_exec_tif_t)tif;
    op->order.post_only = request->post_only;
    op->order.price = price;
    op->order.qty = qty;
    op->received_mono_ns = received_mono_ns;
    op->journal_ns = journal_ns;
    live->place = op;
    s_symbol_touch (account, request->symbol);
    s_op_submit (self, op, VB_EXEC_PRIO_ORDER);
}

//  --------------------------------------------------------------------------
//  Cancel one order of this strategy (shared by Cancel and CancelAll).
//  Returns 0, or a reason to refuse with and *detail_p.

static vb_exec_reason_t
s_cancel_order (rt_router_t *self, int strategy, vb_journal_order_t *order, const char **detail_p)
{
    if (strcmp (order->strategy, self->strategies[strategy].name) != 0) {
        *detail_p = "not an order of this strategy";
        return VB_EXEC_REASON_UNKNOWN_ORDER;
    }
    if (vb_journal_state_terminal (order->state)) {
        *detail_p = "the order is already final";
        return VB_EXEC_REASON_UNKNOWN_ORDER;
    }
    s_live_t *live = s_live_find (self, order->client_order_id);
    if (!live)
        live = s_live_add (self, order, s_account_find (self, order->account), strategy);
    if (!live) {
        *detail_p = "the router is out of memory";
        return VB_EXEC_REASON_OTHER;
    }
    if (live->cancel_outstanding || live->cancel_wanted) {
        *detail_p = "a cancel is already pending";
        return VB_EXEC_REASON_OTHER;
    }
    s_op_t *place = (s_op_t *)live->place;
    if (place && place->queued) {
        //  Still waiting for the rate limit: it never left, so it is withdrawn here
        rt_limits_remove (self->limits, place);
        s_op_free (self, place);
        live->place = NULL;
        s_transition (self, order, VB_JOURNAL_STATE_CANCELED, NULL, 0, "local",
                      "canceled before it was sent", NULL);
        return VB_EXEC_REASON_NONE;
    }
    if (live->place) {
        //  In flight: cancel once the venue has answered the place
        live->cancel_wanted = true;
        s_transition (self, order, VB_JOURNAL_STATE_PENDING_CANCEL, NULL, 0, NULL, NULL, NULL);
        return VB_EXEC_REASON_NONE;
    }
    if (order->state != VB_JOURNAL_STATE_UNKNOWN)
        s_transition (self, order, VB_JOURNAL_STATE_PENDING_CANCEL, NULL, 0, NULL, NULL, NULL);
    s_send_cancel (self, live, order->symbol);
    return VB_EXEC_REASON_NONE;
}

static int
s_order_of (rt_router_t *self, int strategy, const char *client_order_id, const char *client_tag,
            vb_journal_order_t *order)
{
    if (client_order_id && *client_order_id)
        return vb_journal_lookup (self->journal, client_order_id, order);
    if (client_tag && *client_tag && s_text_ok (client_tag, VB_JOURNAL_NAME_MAX, false))
        return vb_journal_lookup_tag (self->journal, self->strategies[strategy].name, client_tag,
                                      order);
    return VB_EINVAL;
}

static void
s_on_cancel (rt_router_t *self, int strategy, const Venuebus__Envelope *envelope)
{
    const Venuebus__Cancel *request = envelope->cancel;
    vb_journal_order_t order;
    const char *tag = s_text_ok (request->client_tag, 64, true) ? request->client_tag : "";
    const char *id = s_text_ok (request->client_order_id, 64, true) ? request->client_order_id : "";
    int rc = s_order_of (self, strategy, id, tag, &order);
    const char *detail = NULL;
    vb_exec_reason_t reason = VB_EXEC_REASON_UNKNOWN_ORDER;
    if (rc == 0)
        reason = s_cancel_order (self, strategy, &order, &detail);
    else
        detail =
            rc == VB_EINVAL ? "name the order by client_tag or client_order_id" : "no such order";
    rt_metrics_strategy_message (self->metrics, "cancel", reason ? "rejected" : "accepted");
    if (reason)
        s_reject (self, strategy, NULL, 0, request->account, tag, id, reason, NULL, NULL, detail);
}

static void
s_on_cancel_all (rt_router_t *self, int strategy, const Venuebus__Envelope *envelope)
{
    const Venuebus__CancelAll *request = envelope->cancel_all;
    int account = s_account_find (
        self, request->account && *request->account ? request->account : envelope->header->account);
    if (account < 0) {
        rt_metrics_strategy_message (self->metrics, "cancel_all", "rejected");
        s_reject (self, strategy, NULL, 0, request->account, NULL, NULL,
                  VB_EXEC_REASON_UNKNOWN_ACCOUNT, NULL, NULL, "no such account");
        return;
    }
    rt_metrics_strategy_message (self->metrics, "cancel_all", "accepted");
    //  This strategy's orders only, one by one: never the whole account
    zlistx_t *ids = zlistx_new ();
    zlistx_set_destructor (ids, (zlistx_destructor_fn *)zstr_free);
    size_t live_cursor = 0;
    for (s_live_t *live; (live = rt_live_next (self->live, &live_cursor));)
        if (live->strategy == strategy && live->account == account)
            zlistx_add_end (ids, strdup (live->id));
    for (char *id = (char *)zlistx_first (ids); id; id = (char *)zlistx_next (ids)) {
        vb_journal_order_t order;
        const char *detail = NULL;
        if (vb_journal_lookup (self->journal, id, &order) != 0)
            continue;
        if (request->symbol && *request->symbol && strcmp (order.symbol, request->symbol) != 0)
            continue;
        s_cancel_order (self, strategy, &order, &detail);
    }
    zlistx_destroy (&ids);
}

static void
s_on_query_order (rt_router_t *self, int strategy, const Venuebus__Envelope *envelope)
{
    const Venuebus__QueryOrder *request = envelope->query_order;
    vb_journal_order_t order;
    const char *tag = s_text_ok (request->client_tag, 64, true) ? request->client_tag : "";
    int rc =
        s_order_of (self, strategy,
                    s_text_ok (request->client_order_id, 64, true) ? request->client_order_id : "",
                    tag, &order);
    if (rc != 0 || strcmp (order.strategy, self->strategies[strategy].name) != 0) {
        rt_metrics_strategy_message (self->metrics, "query_order", "rejected");
        s_reject (self, strategy, NULL, 0, request->account, tag, NULL,
                  VB_EXEC_REASON_UNKNOWN_ORDER, NULL, NULL, "no such order of this strategy");
        return;
    }
    rt_metrics_strategy_message (self->metrics, "query_order", "accepted");
    //  The journal's view, to this strategy only
    Venuebus__Envelope reply = VENUEBUS__ENVELOPE__INIT;
    Venuebus__Header header;
    Venuebus__ExecutionReport report = VENUEBUS__EXECUTION_REPORT__INIT;
    Venuebus__Decimal filled, price, qty;
    s_header (self, &header, order.venue, order.symbol, order.account, order.strategy, NULL, 0);
    report.client_tag = order.client_tag;
    report.client_order_id = order.client_order_id;
    report.state = (Venuebus__OrderState)order.state;
    vb_msg_decimal_set (&filled, order.filled_qty);
    vb_msg_decimal_set (&price, order.price);
    vb_msg_decimal_set (&qty, order.qty);
    report.filled_qty = &filled;
    report.price = order.type == VB_JOURNAL_TYPE_LIMIT ? &price : NULL;
    report.qty = &qty;
    report.venue_order_id = order.venue_order_id;
    report.symbol = order.symbol;
    report.side = (Venuebus__Side)order.side;
    report.account = order.account;
    reply.header = &header;
    reply.body_case = VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT;
    reply.execution_report = &report;
    s_send_strategy (self, strategy, &reply);
}

static void
s_on_query_balances (rt_router_t *self, int strategy, const Venuebus__Envelope *envelope)
{
    const Venuebus__QueryBalances *request = envelope->query_balances;
    int account = s_account_find (
        self, request->account && *request->account ? request->account : envelope->header->account);
    if (account < 0) {
        rt_metrics_strategy_message (self->metrics, "query_balances", "rejected");
        s_reject (self, strategy, NULL, 0, request->account, NULL, NULL,
                  VB_EXEC_REASON_UNKNOWN_ACCOUNT, NULL, NULL, "no such account");
        return;
    }
    s_op_t *op = s_op_new (self, VB_EXEC_REQ_BALANCES, account);
    if (!op) {
        s_reject (self, strategy, NULL, 0, request->account, NULL, NULL,
                  VB_EXEC_REASON_RATE_LIMITED, NULL, NULL, "the router is busy");
        return;
    }
    rt_metrics_strategy_message (self->metrics, "query_balances", "accepted");
    op->strategy = strategy;
    s_op_submit (self, op, VB_EXEC_PRIO_QUERY);
}

//  --------------------------------------------------------------------------
//  Read strategy frames: [identity][Envelope]. Anything else is refused
//  with a reason (when there is an identity to answer) and never crashes.

#define S_STRATEGY_BATCH 256  //  Frames read per loop turn

static void
s_drain_parts (void *socket)
{
    int more = 0;
    size_t size = sizeof (more);
    while (zmq_getsockopt (socket, ZMQ_RCVMORE, &more, &size) == 0 && more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        zmq_msg_recv (&part, socket, ZMQ_DONTWAIT);
        zmq_msg_close (&part);
    }
}

static void
s_strategies_recv (rt_router_t *self)
{
    for (int turn = 0; turn < S_STRATEGY_BATCH; turn++) {
        uint8_t identity[S_IDENTITY_MAX];
        int size = zmq_recv (self->strategies_socket, identity, sizeof (identity), ZMQ_DONTWAIT);
        if (size < 0)
            return;
        int64_t received = s_mono_ns (self);
        size_t identity_size = (size_t)size > sizeof (identity) ? sizeof (identity) : (size_t)size;
        int more = 0;
        size_t more_size = sizeof (more);
        zmq_getsockopt (self->strategies_socket, ZMQ_RCVMORE, &more, &more_size);
        if (!more) {
            rt_metrics_strategy_message (self->metrics, "frame", "malformed");
            continue;
        }
        int rc = vb_msg_recv_bare (self->decoder, self->strategies_socket, ZMQ_DONTWAIT);
        zmq_getsockopt (self->strategies_socket, ZMQ_RCVMORE, &more, &more_size);
        if (more) {
            s_drain_parts (self->strategies_socket);
            rc = VB_EINVAL;
        }
        const Venuebus__Envelope *envelope = rc == 0 ? vb_msg_envelope (self->decoder) : NULL;
        if (!envelope) {
            rt_metrics_strategy_message (self->metrics, "frame", "malformed");
            char detail[128];
            snprintf (detail, sizeof (detail), "a strategy frame is one venuebus.Envelope (%s)",
                      vb_strerror (rc));
            s_reject (self, -1, identity, identity_size, NULL, NULL, NULL,
                      VB_EXEC_REASON_INVALID_REQUEST, NULL, NULL, detail);
            continue;
        }
        const char *name = envelope->header->strategy;
        if (!rt_config_name_ok (name) || strcmp (name, S_RESERVED_STRATEGY) == 0) {
            rt_metrics_strategy_message (self->metrics, "frame", "malformed");
            s_reject (self, -1, identity, identity_size, NULL, NULL, NULL,
                      VB_EXEC_REASON_INVALID_REQUEST, NULL, NULL,
                      "header.strategy must be 1..40 characters of A-Z a-z 0-9 _ - (not "
                      "'router')");
            continue;
        }
        int strategy = s_strategy_get (self, name);
        if (strategy < 0) {
            s_reject (self, -1, identity, identity_size, NULL, NULL, NULL,
                      VB_EXEC_REASON_RISK_LIMIT, NULL, NULL, "too many strategies");
            continue;
        }
        s_strategy_t *owner = &self->strategies[strategy];
        memcpy (owner->identity, identity, identity_size);
        owner->identity_size = identity_size;
        switch (envelope->body_case) {
            case VENUEBUS__ENVELOPE__BODY_NEW_ORDER:
                s_on_new_order (self, strategy, envelope, received);
                break;
            case VENUEBUS__ENVELOPE__BODY_CANCEL:
                s_on_cancel (self, strategy, envelope);
                break;
            case VENUEBUS__ENVELOPE__BODY_CANCEL_ALL:
                s_on_cancel_all (self, strategy, envelope);
                break;
            case VENUEBUS__ENVELOPE__BODY_QUERY_ORDER:
                s_on_query_order (self, strategy, envelope);
                break;
            case VENUEBUS__ENVELOPE__BODY_QUERY_BALANCES:
                s_on_query_balances (self, strategy, envelope);
                break;
            default:
                rt_metrics_strategy_message (self->metrics, "frame", "malformed");
                s_reject (self, strategy, NULL, 0, NULL, NULL, NULL, VB_EXEC_REASON_INVALID_REQUEST,
                          NULL, NULL,
                          "a strategy sends new_order, cancel, cancel_all, query_order or "
                          "query_balances");
                break;
        }
    }
}

//  --------------------------------------------------------------------------
//  Private stream events.

static void
s_stream_events (rt_router_t *self)
{
    rt_stream_event_t event;
    while (rt_stream_event (self->stream, &event) == 0) {
        if (event.conn < 0 || (size_t)event.conn >= self->account_count)
            continue;
        s_account_t *account = &self->accounts[event.conn];
        vb_exec_sink_t sink = s_sink (self, event.conn, 0, false, false);
        int64_t now_ms = s_real_ms (self);
        switch (event.kind) {
            case RT_STREAM_OPENED:
                rt_metrics_stream_event (self->metrics, account->settings->name, "opened");
                vb_log_notice ("router private stream open account=%s", account->settings->name);
                account->stream_open = true;
                if (account->ops->stream_opened (account->adapter, now_ms, &sink) != 0)
                    vb_log_warning ("router stream logon failed account=%s",
                                    account->settings->name);
                if (account->stream_reconcile) {
                    //  Events may have been missed while it was down
                    account->next_reconcile_mono_ns = 0;
                    account->stream_reconcile = false;
                }
                break;
            case RT_STREAM_FRAME:
                rt_metrics_stream_event (self->metrics, account->settings->name, "frame");
                if (account->ops->stream_frame (account->adapter, event.text, event.length, now_ms,
                                                &sink) != 0)
                    vb_log_info ("router stream frame not understood account=%s",
                                 account->settings->name);
                break;
            case RT_STREAM_CLOSED:
                rt_metrics_stream_event (self->metrics, account->settings->name, "closed");
                vb_log_notice ("router private stream closed account=%s reason=%s",
                               account->settings->name, event.text ? event.text : "");
                account->stream_open = false;
                account->stream_reconcile = true;
                break;
        }
    }
}

//  --------------------------------------------------------------------------
//  Everything the rate-limit authority lets go now.

static void
s_drain_limits (rt_router_t *self)
{
    int tag = 0;
    void *user;
    while ((user = rt_limits_next (self->limits, &tag)) != NULL) {
        if (tag == RT_GRANTS_TAG && self->grants)
            rt_grants_granted (self->grants, user);
        else if (tag == S_TAG_OP) {
            s_op_t *op = (s_op_t *)user;
            op->queued = false;
            s_op_send (self, op);
        }
    }
}

//  --------------------------------------------------------------------------
//  Open an account's private stream.

static void
s_stream_open (rt_router_t *self, s_account_t *account)
{
    char url[VB_EXEC_URL_MAX];
    if (account->ops->stream_url (account->adapter, url, sizeof (url)) != 0 ||
        rt_stream_open (self->stream, (int)(account - self->accounts), url) != 0)
        vb_log_warning ("router cannot open the private stream account=%s",
                        account->settings->name);
}

//  --------------------------------------------------------------------------
//  Submit one start-up or reconciliation request.

static void
s_submit_simple (rt_router_t *self, s_account_t *account, vb_exec_kind_t kind, const char *symbol,
                 int64_t since_ms, bool start)
{
    s_op_t *op = s_op_new (self, kind, (int)(account - self->accounts));
    if (!op)
        return;
    op->start = start;
    if (symbol)
        snprintf (op->symbol, sizeof (op->symbol), "%s", symbol);
    op->since_ms = since_ms;
    if (start)
        account->pending++;
    if (start && kind == VB_EXEC_REQ_FILLS)
        account->fills_pending++;
    if (kind == VB_EXEC_REQ_OPEN_ORDERS)
        account->open_orders_outstanding = true;
    s_op_submit (self, op, VB_EXEC_PRIO_QUERY);
}

//  --------------------------------------------------------------------------
//  Fills reads for every symbol the account traded (one read for venues
//  whose history needs no symbol would do, but one per symbol is correct
//  for all).

static int
s_submit_fills (rt_router_t *self, s_account_t *account, int64_t since_ms, bool start)
{
    int count = 0;
    for (size_t i = 0; i < account->symbol_count; i++) {
        s_submit_simple (self, account, VB_EXEC_REQ_FILLS, account->symbols[i], since_ms, start);
        count++;
    }
    return count;
}

//  --------------------------------------------------------------------------
//  The start sequence of one account, driven from the tick.

static void
s_start_step (rt_router_t *self, s_account_t *account, int64_t now)
{
    int index = (int)(account - self->accounts);
    if (account->pending > 0 || now < account->retry_mono_ns)
        return;
    switch (account->phase) {
        case S_PHASE_PERMISSIONS:
            account->permissions_seen = false;
            s_submit_simple (self, account, VB_EXEC_REQ_KEY_PERMISSIONS, NULL, 0, false);
            account->pending = 1;
            break;
        case S_PHASE_INSTRUMENTS:
            s_submit_simple (self, account, VB_EXEC_REQ_INSTRUMENTS, NULL, 0, false);
            account->pending = 1;
            break;
        case S_PHASE_RECONCILE: {
            if (!account->reconcile_loaded) {
                account->reconcile_loaded = true;
                //  First pass: load the journal's open orders, open the stream
                vb_journal_order_t *orders = NULL;
                int count = vb_journal_select_active (self->journal, &orders);
                int64_t oldest_ms = s_real_ms (self);
                for (int i = 0; i < count; i++) {
                    if (strcmp (orders[i].account, account->settings->name) != 0)
                        continue;
                    int strategy = s_strategy_get (self, orders[i].strategy);
                    s_live_t *live = s_live_add (self, &orders[i], index, strategy);
                    if (!live) {
                        s_fatal (self, RT_EXIT_FAILURE,
                                 "cannot track journal order id=%s: out of memory",
                                 orders[i].client_order_id);
                        break;
                    }
                    if (orders[i].state == VB_JOURNAL_STATE_UNKNOWN && !live->unknown) {
                        live->unknown = true;
                        live->unknown_since_mono_ns = now;
                        self->unknown_count++;
                    }
                    live->pending_query = true;
                    s_symbol_touch (account, orders[i].symbol);
                    if (orders[i].created_ns / S_NS_PER_MS < oldest_ms)
                        oldest_ms = orders[i].created_ns / S_NS_PER_MS;
                }
                free (orders);
                vb_log_notice ("router reconciling account=%s open_orders=%d",
                               account->settings->name, count < 0 ? 0 : count);
                s_stream_open (self, account);
                account->fills_since_ms = oldest_ms - S_FILLS_OVERLAP_MS;
                account->fills_pending = 0;
            }
            if (account->fills_pending == 0 && account->fills_failed) {
                account->fills_failed = false;
                account->fills_done = false;
            }
            if (!account->open_orders_done && !account->open_orders_outstanding)
                s_submit_simple (self, account, VB_EXEC_REQ_OPEN_ORDERS, NULL, 0, true);
            if (!account->fills_done) {
                s_submit_fills (self, account, account->fills_since_ms, true);
                account->fills_done = true;  //  Answered ones count down fills_pending
            }
            bool all_reconciled = true;
            size_t live_cursor = 0;
            for (s_live_t *live; (live = rt_live_next (self->live, &live_cursor));)
                if (live->account == index && !live->reconciled)
                    all_reconciled = false;
            if (all_reconciled && account->open_orders_done && account->fills_done &&
                account->fills_pending == 0 && !account->fills_failed && account->pending == 0) {
                account->phase = S_PHASE_READY;
                account->next_reconcile_mono_ns = now + self->settings->reconcile_ms * S_NS_PER_MS;
                account->fills_since_ms = s_real_ms (self) - S_FILLS_OVERLAP_MS;
                vb_log_notice ("router account ready account=%s venue=%s", account->settings->name,
                               account->settings->venue);
            }
            break;
        }
        case S_PHASE_READY:
            break;
    }
}

//  --------------------------------------------------------------------------
//  Rate-limit usage on sys.router.ratelimit and in the metrics.

static void
s_on_limit_alert (void *ctx, const rt_limits_usage_t *usage)
{
    rt_router_t *self = (rt_router_t *)ctx;
    s_alert (self, "ratelimit_high", usage->alerting, "bucket=%s scope=%s used=%u capacity=%u",
             usage->bucket, usage->scope, usage->used, usage->capacity);
}

static void
s_publish_limits (rt_router_t *self)
{
    char topic[VB_TOPIC_MAX + 1];
    vb_topic_sys (topic, sizeof (topic), "router", "ratelimit");
    size_t count = rt_limits_bucket_count (self->limits);
    for (size_t i = 0; i < count; i++) {
        rt_limits_usage_t usage;
        if (rt_limits_usage (self->limits, i, &usage) != 0)
            continue;
        rt_metrics_ratelimit (self->metrics, &usage);
        Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
        Venuebus__Header header;
        Venuebus__RateLimit limit = VENUEBUS__RATE_LIMIT__INIT;
        s_header (self, &header, usage.venue, NULL, NULL, NULL, topic, s_next_seq (self, topic));
        limit.bucket = usage.bucket;
        limit.scope = usage.scope;
        limit.used = usage.used;
        limit.limit = usage.capacity;
        limit.utilisation_permille = usage.permille;
        limit.queue_depth = (uint32_t)usage.queue_depth;
        limit.window_ns = usage.window_ns;
        if (usage.blocked_until_ns)
            limit.banned_until_ns = s_real_ns (self) + (usage.blocked_until_ns - s_mono_ns (self));
        envelope.header = &header;
        envelope.body_case = VENUEBUS__ENVELOPE__BODY_RATE_LIMIT;
        envelope.rate_limit = &limit;
        s_publish (self, topic, &envelope);
    }
    rt_limits_alerts (self->limits, s_on_limit_alert, self);
}

//  --------------------------------------------------------------------------
//  Housekeeping: start steps, queries due, reconciliation, alerts,
//  publishing, failback, posture warnings.

static void
s_tick (rt_router_t *self)
{
    int64_t now = s_mono_ns (self);
    bool all_ready = true;
    for (size_t i = 0; i < self->account_count; i++) {
        s_account_t *account = &self->accounts[i];
        if (account->phase != S_PHASE_READY) {
            s_start_step (self, account, now);
            all_ready = all_ready && account->phase == S_PHASE_READY;
        }
        if (self->fatal)
            return;
        if (account->phase == S_PHASE_READY && now >= account->next_reconcile_mono_ns) {
            account->next_reconcile_mono_ns = now + self->settings->reconcile_ms * S_NS_PER_MS;
            if (!account->open_orders_outstanding)
                s_submit_simple (self, account, VB_EXEC_REQ_OPEN_ORDERS, NULL, 0, false);
            s_submit_fills (self, account, account->fills_since_ms, false);
            account->fills_since_ms = s_real_ms (self) - S_FILLS_OVERLAP_MS;
            account->symbol_count = 0;
            s_submit_simple (self, account, VB_EXEC_REQ_BALANCES, NULL, 0, false);
        }
        if (account->url_index != 0 &&
            now - account->failover_mono_ns >= self->settings->failback_ms * S_NS_PER_MS &&
            account->ops->set_rest_url (account->adapter, account->settings->rest_urls[0]) == 0) {
            s_alert (self, "failover", false, "account=%s back to=%s", account->settings->name,
                     account->settings->rest_urls[0]);
            account->url_index = 0;
            account->failures = 0;
        }
        if (account->posture_warn_mono_ns && now >= account->posture_warn_mono_ns) {
            vb_log_warning ("router key without IP whitelist account=%s: anyone holding it can "
                            "trade from anywhere",
                            account->settings->name);
            account->posture_warn_mono_ns = now + self->settings->posture_warn_ms * S_NS_PER_MS;
        }
        if (account->stream_restart_mono_ns && now >= account->stream_restart_mono_ns) {
            account->stream_restart_mono_ns = 0;
            s_stream_open (self, account);
        }
    }
    //  Orders that need the venue's word
    int64_t open = 0;
    size_t live_cursor = 0;
    for (s_live_t *live; (live = rt_live_next (self->live, &live_cursor));) {
        open++;
        if (live->place || live->query_outstanding)
            continue;
        //  A cancel whose outcome was not seen stays due until the venue has
        //  been asked (a stream report may have ended UNKNOWN first)
        bool due = (live->pending_query || live->unknown ||
                    (live->cancel_retry && !live->cancel_outstanding)) &&
                   now >= live->next_query_mono_ns;
        if (live->cancel_wanted || due) {
            vb_journal_order_t order;
            if (vb_journal_lookup (self->journal, live->id, &order) != 0)
                continue;
            if (live->cancel_wanted && !live->cancel_outstanding)
                s_send_cancel (self, live, order.symbol);
            if (due) {
                live->pending_query = false;
                s_query (self, live, order.symbol);
            }
        }
        if (live->unknown && !live->unknown_alerted &&
            now - live->unknown_since_mono_ns >= self->settings->unknown_alert_ms * S_NS_PER_MS) {
            live->unknown_alerted = true;
            s_alert (self, "unknown_order", true, "id=%s unknown_for_ms=%" PRId64, live->id,
                     (now - live->unknown_since_mono_ns) / S_NS_PER_MS);
        }
    }
    rt_metrics_open_orders (self->metrics, open);
    rt_metrics_unknown_orders (self->metrics, self->unknown_count);
    if (now >= self->next_publish_mono_ns) {
        self->next_publish_mono_ns = now + self->settings->publish_ms * S_NS_PER_MS;
        s_publish_limits (self);
    }
    if (all_ready && !self->ready) {
        self->ready = true;
        rt_metrics_health (self->metrics, true, NULL);
        printf ("ready accounts=%zu\n", self->account_count);
        fflush (stdout);
        vb_log_notice ("router ready accounts=%zu endpoint=%s grants=%s", self->account_count,
                       self->endpoint, self->grants ? rt_grants_endpoint (self->grants) : "");
    }
}

//  --------------------------------------------------------------------------
//  Construction.

static void
s_seq_free (void **item_p)
{
    if (item_p && *item_p) {
        free (*item_p);
        *item_p = NULL;
    }
}

static void *
s_bind_router (rt_router_t *self, const char *endpoint, char *error, size_t error_size)
{
    void *socket = zmq_socket (zsys_init (), ZMQ_ROUTER);
    if (!socket) {
        snprintf (error, error_size, "cannot create the strategy socket: %s",
                  zmq_strerror (zmq_errno ()));
        return NULL;
    }
    int mandatory = 1, linger = 200, hwm = 100000;
    zmq_setsockopt (socket, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof (mandatory));
    zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof (linger));
    zmq_setsockopt (socket, ZMQ_SNDHWM, &hwm, sizeof (hwm));
    zmq_setsockopt (socket, ZMQ_RCVHWM, &hwm, sizeof (hwm));
    if (zmq_bind (socket, endpoint) != 0) {
        snprintf (error, error_size, "router/endpoint: cannot bind %s: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        zmq_close (socket);
        return NULL;
    }
    size_t size = sizeof (self->endpoint);
    if (zmq_getsockopt (socket, ZMQ_LAST_ENDPOINT, self->endpoint, &size) != 0)
        snprintf (self->endpoint, sizeof (self->endpoint), "%s", endpoint);
    return socket;
}

rt_router_t *
rt_router_new (const rt_settings_t *settings, char *error, size_t error_size, int *exit_code_p)
{
    *exit_code_p = RT_EXIT_CONFIG;
    rt_router_t *self = (rt_router_t *)zmalloc (sizeof (rt_router_t));
    self->settings = settings;
    self->clock = vb_clock_new_system ();
    self->live = rt_live_new ();
    self->seqs = zhashx_new ();
    zhashx_set_destructor (self->seqs, s_seq_free);
    self->decoder = vb_msg_new ();
    char *journal_error = NULL;
    self->journal = vb_journal_open (settings->journal, settings->router_id, &journal_error);
    if (!self->journal) {
        snprintf (error, error_size, "router/journal: %s",
                  journal_error ? journal_error : "cannot open");
        free (journal_error);
        rt_router_destroy (&self);
        return NULL;
    }
    self->limits = rt_limits_new (self->clock, (size_t)settings->queue_max,
                                  (uint32_t)settings->alert_permille);
    rt_http_options_t http_options = {.max_in_flight = S_OPS_MAX,
                                      .timeout_ms = settings->http_timeout_ms,
                                      .body_max = S_BODY_MAX,
                                      .ca_file = settings->ca_file};
    self->http = rt_http_new (&http_options, s_on_http, self);
    rt_stream_options_t stream_options = {.ca_file = settings->ca_file};
    self->stream = rt_stream_new (&stream_options);
    if (!self->limits || !self->http || !self->stream || !self->decoder || !self->live) {
        snprintf (error, error_size, "cannot start the REST client or the stream thread");
        *exit_code_p = RT_EXIT_FAILURE;
        rt_router_destroy (&self);
        return NULL;
    }
    //  Keys, adapters and rate limits per account
    vb_secrets_options_t secret_options = {
        .keystore_passphrase_file =
            *settings->keystore_passphrase_file ? settings->keystore_passphrase_file : NULL,
        .keystore_passphrase_env =
            *settings->keystore_passphrase_env ? settings->keystore_passphrase_env : NULL,
        .vault_addr = *settings->vault_addr ? settings->vault_addr : NULL,
        .vault_token_file = *settings->vault_token_file ? settings->vault_token_file : NULL,
        .vault_ca_file = *settings->vault_ca_file ? settings->vault_ca_file : NULL,
        .allow_insecure_http = settings->vault_allow_http};
    const char *venues[RT_ACCOUNTS_MAX + 1] = {NULL};
    const char *accounts[RT_ACCOUNTS_MAX + 1] = {NULL};
    size_t venue_count = 0;
    for (size_t i = 0; i < settings->account_count; i++) {
        const rt_account_settings_t *config = &settings->accounts[i];
        s_account_t *account = &self->accounts[i];
        account->settings = config;
        account->ops = vb_exec_venue_find (config->venue);
        char detail[512];
        if (vb_secrets_load (config->secrets, config->name, &secret_options, &account->secrets,
                             detail, sizeof (detail)) != 0) {
            snprintf (error, error_size, "account/%s/secrets: %s", config->name, detail);
            rt_router_destroy (&self);
            return NULL;
        }
        self->account_count = i + 1;
        const char *keystore_venue = vb_secrets_venue (account->secrets);
        if (keystore_venue && strcmp (keystore_venue, config->venue) != 0) {
            snprintf (error, error_size,
                      "account/%s/secrets: the keystore entry is for venue %s, the account is "
                      "on %s",
                      config->name, keystore_venue, config->venue);
            rt_router_destroy (&self);
            return NULL;
        }
        if (strcmp (vb_secrets_backend (account->secrets), "env") == 0)
            vb_log_warning ("router account=%s keys from the environment: the environment is "
                            "no secrets store; prefer keystore:, vault: or dir:",
                            config->name);
        if (!vb_secrets_memory_locked (account->secrets))
            vb_log_warning ("router account=%s keys could not be locked in memory "
                            "(RLIMIT_MEMLOCK): they may reach swap",
                            config->name);
        const char *secret = vb_secrets_api_secret (account->secrets);
        vb_exec_config_t exec_config = {.account = config->name,
                                        .api_key = vb_secrets_api_key (account->secrets),
                                        .secret = secret,
                                        .secret_length = strlen (secret),
                                        .passphrase = vb_secrets_passphrase (account->secrets),
                                        .rest_url =
                                            config->rest_urls[0][0] ? config->rest_urls[0] : NULL,
                                        .ws_url = config->ws_url[0] ? config->ws_url : NULL,
                                        .recv_window_ms = config->recv_window_ms};
        account->adapter = account->ops->create (&exec_config, detail, sizeof (detail));
        if (!account->adapter) {
            snprintf (error, error_size, "account/%s: %s", config->name, detail);
            rt_router_destroy (&self);
            return NULL;
        }
        size_t bucket_count = 0;
        const vb_exec_bucket_t *buckets = account->ops->buckets (&bucket_count);
        account->limits = rt_limits_add_account (self->limits, config->venue, config->name, buckets,
                                                 bucket_count);
        if (account->limits < 0) {
            snprintf (error, error_size, "account/%s: rate limits refused: %s", config->name,
                      vb_strerror (account->limits));
            rt_router_destroy (&self);
            return NULL;
        }
        accounts[i] = config->name;
        bool seen = false;
        for (size_t v = 0; v < venue_count; v++)
            seen = seen || strcmp (venues[v], config->venue) == 0;
        if (!seen)
            venues[venue_count++] = config->venue;
    }
    //  Variables several accounts shared are wiped once every account has loaded
    vb_secrets_scrub_env (VB_SECRETS_ENV_VAULT_TOKEN);
    if (*settings->keystore_passphrase_env)
        vb_secrets_scrub_env (settings->keystore_passphrase_env);

    self->metrics = rt_metrics_new (venues, accounts, settings->metrics, error, error_size);
    if (!self->metrics) {
        rt_router_destroy (&self);
        return NULL;
    }
    rt_metrics_health (self->metrics, false, "starting: reconciling");
    if (*settings->metrics)
        vb_log_notice ("router metrics address=%s", rt_metrics_address (self->metrics));
    self->strategies_socket = s_bind_router (self, settings->endpoint, error, error_size);
    if (!self->strategies_socket) {
        rt_router_destroy (&self);
        return NULL;
    }
    if (*settings->grants) {
        self->grants = rt_grants_new (settings->grants, self->limits, error, error_size);
        if (!self->grants) {
            rt_router_destroy (&self);
            return NULL;
        }
    }
    if (*settings->bus) {
        self->bus = zmq_socket (zsys_init (), ZMQ_PUB);
        int linger = 200, hwm = 100000;
        zmq_setsockopt (self->bus, ZMQ_LINGER, &linger, sizeof (linger));
        zmq_setsockopt (self->bus, ZMQ_SNDHWM, &hwm, sizeof (hwm));
        if (zmq_connect (self->bus, settings->bus) != 0) {
            snprintf (error, error_size, "router/bus: cannot connect %s: %s", settings->bus,
                      zmq_strerror (zmq_errno ()));
            rt_router_destroy (&self);
            return NULL;
        }
    }
    *exit_code_p = 0;
    return self;
}

//  --------------------------------------------------------------------------

void
rt_router_destroy (rt_router_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rt_router_t *self = *self_p;
    rt_stream_destroy (&self->stream);
    rt_http_destroy (&self->http);
    rt_grants_destroy (&self->grants);
    for (size_t i = 0; i < self->account_count; i++) {
        s_account_t *account = &self->accounts[i];
        if (account->adapter)
            account->ops->destroy (&account->adapter);
        vb_secrets_destroy (&account->secrets);
    }
    vb_log_forget_secrets ();
    rt_limits_destroy (&self->limits);
    if (self->strategies_socket)
        zmq_close (self->strategies_socket);
    if (self->bus)
        zmq_close (self->bus);
    rt_metrics_destroy (&self->metrics);
    vb_journal_destroy (&self->journal);
    vb_msg_destroy (&self->decoder);
    rt_live_destroy (&self->live);
    zhashx_destroy (&self->seqs);
    vb_clock_destroy (&self->clock);
    free (self);
    *self_p = NULL;
}

const char *
rt_router_endpoint (rt_router_t *self)
{
    return self->endpoint;
}

//  --------------------------------------------------------------------------
//  The loop.

#define S_DRAIN_MS 3000  //  On stop: wait this long for answers in flight

int
rt_router_run (rt_router_t *self)
{
    int64_t next_tick = 0;
    int64_t stop_deadline = 0;
    while (!self->fatal) {
        if (zsys_interrupted && !stop_deadline) {
            vb_log_notice ("router stopping: waiting for answers in flight in_flight=%zu",
                           rt_http_in_flight (self->http));
            stop_deadline = s_mono_ns (self) + S_DRAIN_MS * S_NS_PER_MS;
        }
        if (stop_deadline &&
            (rt_http_in_flight (self->http) == 0 || s_mono_ns (self) >= stop_deadline))
            break;
        zmq_pollitem_t items[S_POLL_ITEMS];
        size_t count = 0;
        items[count++] = (zmq_pollitem_t){rt_stream_socket (self->stream), 0, ZMQ_POLLIN, 0};
        if (self->grants)
            items[count++] = (zmq_pollitem_t){rt_grants_socket (self->grants), 0, ZMQ_POLLIN, 0};
        bool serve = self->ready && !stop_deadline;
        if (serve)
            items[count++] = (zmq_pollitem_t){self->strategies_socket, 0, ZMQ_POLLIN, 0};
        size_t http_first = count;
        count += rt_http_pollitems (self->http, items + count, S_POLL_ITEMS - count);
        int64_t now = s_mono_ns (self);
        long timeout = (long)((next_tick - now) / S_NS_PER_MS);
        if (timeout < 0)
            timeout = 0;
        long http_timeout = rt_http_timeout_ms (self->http);
        if (http_timeout >= 0 && http_timeout < timeout)
            timeout = http_timeout;
        int64_t wait_ns = rt_limits_wait_ns (self->limits);
        if (wait_ns >= 0 && (wait_ns + S_NS_PER_MS - 1) / S_NS_PER_MS < timeout)
            timeout = (long)((wait_ns + S_NS_PER_MS - 1) / S_NS_PER_MS);
        int rc = zmq_poll (items, (int)count, timeout);
        if (rc < 0 && zmq_errno () != EINTR) {
            vb_log_error ("router poll failed: %s", zmq_strerror (zmq_errno ()));
            return RT_EXIT_FAILURE;
        }
        if (rc < 0)
            for (size_t i = 0; i < count; i++)
                items[i].revents = 0;
        rt_http_process (self->http, items + http_first, count - http_first);
        if (items[0].revents & ZMQ_POLLIN)
            s_stream_events (self);
        if (self->grants && (items[1].revents & ZMQ_POLLIN))
            rt_grants_recv (self->grants);
        if (serve && (items[http_first - 1].revents & ZMQ_POLLIN))
            s_strategies_recv (self);
        s_drain_limits (self);
        if (s_mono_ns (self) >= next_tick) {
            s_tick (self);
            s_drain_limits (self);
            next_tick = s_mono_ns (self) + S_TICK_MS * S_NS_PER_MS;
        }
    }
    if (self->fatal)
        return self->fatal;
    vb_log_notice ("router stopped open_orders=%zu unknown=%" PRId64, rt_live_size (self->live),
                   self->unknown_count);
    return 0;
}
