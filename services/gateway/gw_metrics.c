/*  gw_metrics.c — the gateway's Prometheus metrics and health.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>

#include "gw_metrics.h"
#include "vb_clock.h"
#include "vb_metrics.h"
#include "vb_msg.h"

//  Published body kinds, in the order of s_out_kinds.
typedef enum {
    S_OUT_BOOK_SNAPSHOT,
    S_OUT_BOOK_DELTA,
    S_OUT_TRADE,
    S_OUT_BBO,
    S_OUT_CANDLE,
    S_OUT_FUNDING,
    S_OUT_STATUS,
    S_OUT_OTHER,
    S_OUT_COUNT
} s_out_t;

static const char *const s_out_kinds[S_OUT_COUNT] = {
    "book_snapshot", "book_delta", "trade", "bbo", "candle", "funding", "status", "other"};

//  Latency buckets, in nanoseconds: 100 us .. 10 s.
static const int64_t s_latency_bounds[] = {
    100000,   250000,    500000,    1000000,   2500000,    5000000,    10000000,   25000000,
    50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000};
#define S_LATENCY_BOUNDS (sizeof (s_latency_bounds) / sizeof (s_latency_bounds[0]))

//  Distinct break and reconnect reasons kept before the overflow series.
#define S_REASONS_MAX 32
//  Longest health reason written.
#define S_HEALTH_MAX 256

//  One book's health bookkeeping.
typedef struct {
    vb_metric_t *state;         //  Its book_state gauge
    bool synced;                //  SYNCED now
    int64_t unsynced_since_ns;  //  Monotonic time it last left SYNCED (or start)
} s_book_t;

struct _gw_metrics_t {
    const gw_settings_t *settings;      //  Borrowed
    vb_metrics_t *registry;             //  Families and health
    vb_metrics_server_t *server;        //  /metrics and /healthz
    vb_metrics_family_t *resyncs;       //  resyncs_total{venue,reason}
    vb_metrics_family_t *reconnects;    //  reconnects_total{venue,reason}
    vb_metric_t *in[2];                 //  messages_total in, per gw_metrics_in_t
    vb_metric_t *out[S_OUT_COUNT];      //  messages_total out, per kind
    vb_metric_t *latency[S_OUT_COUNT];  //  exchange_to_publish_seconds, per kind
    vb_metric_t *gaps;                  //  gaps_total
    vb_metric_t *anomalies;             //  anomalies_total
    vb_metric_t *decode_errors;         //  decode_errors_total
    s_book_t books[GW_SYMBOLS_MAX];     //  One per shard symbol
    bool reported;                      //  Health was set once
    bool healthy;                       //  Last health reported
    char health_reason[S_HEALTH_MAX];   //  Last reason reported
};

//  --------------------------------------------------------------------------
//  Declare the families and take the fixed handles. Returns 0 or -1.

static int
s_declare (gw_metrics_t *self)
{
    const char *venue = self->settings->venue;
    static const char *const flow_labels[] = {"venue", "direction", "kind", NULL};
    static const char *const venue_labels[] = {"venue", NULL};
    static const char *const reason_labels[] = {"venue", "reason", NULL};
    static const char *const kind_labels[] = {"venue", "kind", NULL};
    static const char *const symbol_labels[] = {"venue", "symbol", NULL};
    vb_metrics_t *registry = self->registry;
    vb_metrics_family_t *messages = vb_metrics_add_counter (
        registry, "venuebus_gateway_messages_total",
        "Messages in from the venue (kind ws, rest) and published to the bus (kind = body).",
        flow_labels, 2 + S_OUT_COUNT);
    vb_metrics_family_t *gaps = vb_metrics_add_counter (
        registry, "venuebus_gateway_gaps_total", "Venue sequence gaps detected.", venue_labels, 1);
    self->resyncs = vb_metrics_add_counter (registry, "venuebus_gateway_resyncs_total",
                                            "Books that left SYNCED (RESYNCING or STALE).",
                                            reason_labels, S_REASONS_MAX);
    self->reconnects = vb_metrics_add_counter (
        registry, "venuebus_gateway_reconnects_total",
        "Venue connections lost (reconnect, stale, rollover).", reason_labels, S_REASONS_MAX);
    vb_metrics_family_t *anomalies = vb_metrics_add_counter (
        registry, "venuebus_gateway_anomalies_total",
        "Validation findings (counted, dropped or resynced).", venue_labels, 1);
    vb_metrics_family_t *decode_errors = vb_metrics_add_counter (
        registry, "venuebus_gateway_decode_errors_total",
        "Venue frames and REST answers the adapter could not use.", venue_labels, 1);
    vb_metrics_family_t *latency = vb_metrics_add_histogram (
        registry, "venuebus_gateway_exchange_to_publish_seconds",
        "Publish time minus the exchange's time stamp, per published kind.", kind_labels,
        S_OUT_COUNT, s_latency_bounds, S_LATENCY_BOUNDS);
    vb_metrics_family_t *state = vb_metrics_add_gauge (
        registry, "venuebus_gateway_book_state",
        "Book state per symbol: 0 unspecified, 1 SYNCED, 2 RESYNCING, 3 STALE.", symbol_labels,
        self->settings->symbol_count);
    if (!messages || !gaps || !self->resyncs || !self->reconnects || !anomalies || !decode_errors ||
        !latency || !state ||
        vb_metrics_add_process (registry, "gateway", vb_clock_now_real_ns ()) != 0)
        return -1;
    self->in[GW_METRICS_IN_WS] =
        vb_metrics_series (messages, (const char *[]){venue, "in", "ws", NULL});
    self->in[GW_METRICS_IN_REST] =
        vb_metrics_series (messages, (const char *[]){venue, "in", "rest", NULL});
    for (size_t kind = 0; kind < S_OUT_COUNT; kind++) {
        self->out[kind] =
            vb_metrics_series (messages, (const char *[]){venue, "out", s_out_kinds[kind], NULL});
        self->latency[kind] =
            vb_metrics_series (latency, (const char *[]){venue, s_out_kinds[kind], NULL});
    }
    self->gaps = vb_metrics_series (gaps, (const char *[]){venue, NULL});
    self->anomalies = vb_metrics_series (anomalies, (const char *[]){venue, NULL});
    self->decode_errors = vb_metrics_series (decode_errors, (const char *[]){venue, NULL});
    int64_t now = vb_clock_now_mono_ns ();
    for (size_t i = 0; i < self->settings->symbol_count; i++) {
        self->books[i].state =
            vb_metrics_series (state, (const char *[]){venue, self->settings->symbols[i], NULL});
        self->books[i].unsynced_since_ns = now;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Constructor and destructor.

gw_metrics_t *
gw_metrics_new (const gw_settings_t *settings, char *error, size_t error_size)
{
    assert (settings);
    gw_metrics_t *self = (gw_metrics_t *)zmalloc (sizeof (gw_metrics_t));
    self->settings = settings;
    self->registry = vb_metrics_new ();
    if (!self->registry || s_declare (self) != 0) {
        snprintf (error, error_size, "gateway/metrics: cannot declare the metrics");
        gw_metrics_destroy (&self);
        return NULL;
    }
    int code = 0;
    self->server = vb_metrics_server_new (self->registry, settings->metrics, &code);
    if (!self->server) {
        snprintf (error, error_size, "gateway/metrics: cannot serve on %s: %s", settings->metrics,
                  strerror (code));
        gw_metrics_destroy (&self);
        return NULL;
    }
    return self;
}

void
gw_metrics_destroy (gw_metrics_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gw_metrics_t *self = *self_p;
        vb_metrics_server_destroy (&self->server);
        vb_metrics_destroy (&self->registry);
        free (self);
        *self_p = NULL;
    }
}

const char *
gw_metrics_address (gw_metrics_t *self)
{
    return self ? vb_metrics_server_address (self->server) : NULL;
}

//  --------------------------------------------------------------------------
//  Counting.

void
gw_metrics_in (gw_metrics_t *self, gw_metrics_in_t kind)
{
    if (self && (kind == GW_METRICS_IN_WS || kind == GW_METRICS_IN_REST))
        vb_metrics_counter_add (self->in[kind], 1);
}

static s_out_t
s_out_kind (int body_case)
{
    switch (body_case) {
        case VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT:
            return S_OUT_BOOK_SNAPSHOT;
        case VENUEBUS__ENVELOPE__BODY_BOOK_DELTA:
            return S_OUT_BOOK_DELTA;
        case VENUEBUS__ENVELOPE__BODY_TRADE:
            return S_OUT_TRADE;
        case VENUEBUS__ENVELOPE__BODY_BBO:
            return S_OUT_BBO;
        case VENUEBUS__ENVELOPE__BODY_CANDLE:
            return S_OUT_CANDLE;
        case VENUEBUS__ENVELOPE__BODY_FUNDING:
            return S_OUT_FUNDING;
        case VENUEBUS__ENVELOPE__BODY_STATUS:
            return S_OUT_STATUS;
        default:
            return S_OUT_OTHER;
    }
}

void
gw_metrics_out (gw_metrics_t *self, int body_case, int64_t exchange_ts_ns, int64_t publish_ts_ns)
{
    if (!self)
        return;
    s_out_t kind = s_out_kind (body_case);
    vb_metrics_counter_add (self->out[kind], 1);
    //  A clock behind the exchange's gives a negative value: it lands in
    //  the first bucket and lowers the sum, visibly.
    if (exchange_ts_ns > 0)
        vb_metrics_histogram_observe (self->latency[kind], publish_ts_ns - exchange_ts_ns);
}

void
gw_metrics_book_state (gw_metrics_t *self, size_t index, int state, const char *reason,
                       int64_t now_ns)
{
    if (!self || index >= self->settings->symbol_count)
        return;
    s_book_t *book = &self->books[index];
    vb_metrics_gauge_set (book->state, state);
    bool synced = state == VENUEBUS__BOOK_STATE__SYNCED;
    if (!synced) {
        //  Label values must be non-empty and bounded: the reason is one of
        //  the adapter's or the core's words, capped by S_REASONS_MAX.
        const char *label = reason && reason[0] ? reason : "unknown";
        vb_metrics_counter_add (
            vb_metrics_series (self->resyncs, (const char *[]){self->settings->venue, label, NULL}),
            1);
        if (book->synced)
            book->unsynced_since_ns = now_ns;
    }
    book->synced = synced;
}

void
gw_metrics_gap (gw_metrics_t *self)
{
    if (self)
        vb_metrics_counter_add (self->gaps, 1);
}

void
gw_metrics_anomaly (gw_metrics_t *self)
{
    if (self)
        vb_metrics_counter_add (self->anomalies, 1);
}

void
gw_metrics_decode_error (gw_metrics_t *self)
{
    if (self)
        vb_metrics_counter_add (self->decode_errors, 1);
}

void
gw_metrics_reconnect (gw_metrics_t *self, const char *reason)
{
    if (!self)
        return;
    const char *label = reason && reason[0] ? reason : "reconnect";
    vb_metrics_counter_add (
        vb_metrics_series (self->reconnects, (const char *[]){self->settings->venue, label, NULL}),
        1);
}

//  --------------------------------------------------------------------------
//  Health: unhealthy while any book has not been SYNCED for longer than
//  unhealthy_after. The first such book is named.

void
gw_metrics_tick (gw_metrics_t *self, int64_t now_ns)
{
    if (!self)
        return;
    int64_t bound_ns = self->settings->unhealthy_after_ms * VB_NS_PER_MS;
    char reason[S_HEALTH_MAX] = "";
    for (size_t i = 0; i < self->settings->symbol_count && !reason[0]; i++) {
        const s_book_t *book = &self->books[i];
        if (!book->synced && now_ns - book->unsynced_since_ns > bound_ns)
            snprintf (reason, sizeof (reason), "book %s not SYNCED for more than %" PRId64 " ms",
                      self->settings->symbols[i], self->settings->unhealthy_after_ms);
    }
    bool healthy = reason[0] == 0;
    //  The registry starts unhealthy ("starting"): the first tick reports.
    if (!self->reported || healthy != self->healthy || strcmp (reason, self->health_reason) != 0) {
        vb_metrics_set_health (self->registry, healthy, healthy ? NULL : reason);
        snprintf (self->health_reason, sizeof (self->health_reason), "%s", reason);
        self->healthy = healthy;
        self->reported = true;
    }
}
