/*  gw_metrics.h — the gateway's Prometheus metrics and health (--metrics).

    With gateway/metrics set (--metrics HOST:PORT) the gateway serves
    /metrics and /healthz there (libcommon vb_metrics). Families, every one
    labelled venue="<venue>" (cardinality bounded by the shard):
        venuebus_gateway_messages_total{venue,direction,kind}
            direction "in": kind "ws" (venue WebSocket messages handed to the
            adapter), "rest" (REST answers); direction "out": one kind per
            published body (book_snapshot, book_delta, trade, bbo, candle,
            funding, status)
        venuebus_gateway_gaps_total{venue}          venue sequence gaps
        venuebus_gateway_resyncs_total{venue,reason}  books leaving SYNCED
                                                    (RESYNCING or STALE)
        venuebus_gateway_reconnects_total{venue,reason}  connections lost
                                                    (reconnect, stale, rollover)
        venuebus_gateway_anomalies_total{venue}     validation findings
        venuebus_gateway_decode_errors_total{venue} frames the adapter refused
        venuebus_gateway_exchange_to_publish_seconds{venue,kind}  histogram
                                                    of publish time minus the
                                                    exchange's time stamp
        venuebus_gateway_book_state{venue,symbol}   0 unspecified, 1 SYNCED,
                                                    2 RESYNCING, 3 STALE
    plus venuebus_up, venuebus_healthy and process_start_time_seconds.
    /healthz: 503 naming the book once a book has not been SYNCED for
    gateway/unhealthy_after (also from start), else 200.

    Every function takes a NULL object and then does nothing, so the core
    calls them whether metrics are on or not. Loop thread only (the HTTP
    server reads the atomics on its own thread).
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_METRICS_H_INCLUDED
#define GW_METRICS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _gw_metrics_t gw_metrics_t;

//  What came in from the venue.
typedef enum {
    GW_METRICS_IN_WS = 0,    //  A WebSocket message
    GW_METRICS_IN_REST = 1,  //  A REST answer
} gw_metrics_in_t;

//  Declare the families for the settings' venue and symbols (borrowed;
//  they must outlive the object) and start the HTTP server on
//  settings->metrics. Returns NULL with a message in error when the
//  address is malformed or cannot be bound.
gw_metrics_t *gw_metrics_new (const gw_settings_t *settings, char *error, size_t error_size);

//  Stop the server, free everything; *self_p = NULL. Safe twice.
void gw_metrics_destroy (gw_metrics_t **self_p);

//  The address bound, "HOST:PORT" (NULL for a NULL object).
const char *gw_metrics_address (gw_metrics_t *self);

//  Count one message in.
void gw_metrics_in (gw_metrics_t *self, gw_metrics_in_t kind);

//  Count one published message of Envelope body case `body_case`; when
//  exchange_ts_ns > 0, observe publish_ts_ns - exchange_ts_ns.
void gw_metrics_out (gw_metrics_t *self, int body_case, int64_t exchange_ts_ns,
                     int64_t publish_ts_ns);

//  The book of symbol `index` (in settings order) moved to `state`
//  (Venuebus__BookState) for `reason`, at monotonic time now_ns: sets its
//  gauge and counts a resync when it left SYNCED for another state.
void gw_metrics_book_state (gw_metrics_t *self, size_t index, int state, const char *reason,
                            int64_t now_ns);

//  Count a gap, an anomaly, a decode error, a lost connection (reason
//  "reconnect", "stale" or "rollover"; NULL counts as "reconnect").
void gw_metrics_gap (gw_metrics_t *self);
void gw_metrics_anomaly (gw_metrics_t *self);
void gw_metrics_decode_error (gw_metrics_t *self);
void gw_metrics_reconnect (gw_metrics_t *self, const char *reason);

//  Re-evaluate health at monotonic time now_ns (every tick).
void gw_metrics_tick (gw_metrics_t *self, int64_t now_ns);

#ifdef __cplusplus
}
#endif
#endif
