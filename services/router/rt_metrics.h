/*  rt_metrics.h — the router's Prometheus metrics and /healthz (vb_metrics).

    Every series is declared at construction with bounded labels (venue,
    account, bucket, kind, outcome, state), so the hot path only does atomic
    adds. Names follow Prometheus conventions (venuebus_router_..._total,
    _seconds histograms). The HTTP side is libcommon's vb_metrics server
    (libmicrohttpd) at router/metrics.
    Series (labels in braces):
    - venuebus_router_orders_total{venue,state}: transitions into a state
    - venuebus_router_requests_total{venue,kind,outcome}: REST answers by parsed outcome
    - venuebus_router_request_seconds{venue,kind}: REST round trip, send to answer
    - venuebus_router_order_roundtrip_seconds{venue}: NewOrder read to first venue state
    - venuebus_router_order_own_seconds{venue}: the router's own share of an order: NewOrder
      read to request about to be written, plus answer complete to report sent, less the
      journal's writes and any rate-limit wait
    - venuebus_router_journal_commit_seconds: one order's durable journal write (fsync)
    - venuebus_router_unknown_orders: orders in UNKNOWN now
    - venuebus_router_open_orders: non-terminal orders now
    - venuebus_router_reconcile_drift_total{venue,kind}: what reconciliation found that the
      stream had not said
    - venuebus_router_failovers_total{account}: base URL switches
    - venuebus_router_strategy_messages_total{kind,result}: accepted, rejected, malformed
    - venuebus_router_stream_events_total{account,kind}: private stream opened, closed, frame
    - venuebus_router_ratelimit_used{bucket,scope}: units in use
    - venuebus_router_ratelimit_capacity{bucket,scope}: the bucket's burst
    - venuebus_router_ratelimit_queue_depth{venue}: requests waiting
    - venuebus_router_ratelimit_blocked{bucket,scope}: 1 while stopped by a 429 or 418
    - venuebus_router_alerts_firing{name}: 1 while an alert fires
    Thread-safety: updates are atomic (vb_metrics); the server thread only
    renders.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef RT_METRICS_H_INCLUDED
#define RT_METRICS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_limits.h"
#include "vb_exec.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _rt_metrics_t rt_metrics_t;

//  Create the registry for these venues and accounts (NULL-terminated
//  lists, copied) and, when address is not NULL or "", serve it there
//  ("HOST:PORT", port 0 picks one). Returns NULL with a message naming the
//  address and the cause in error.
rt_metrics_t *rt_metrics_new (const char *const *venues, const char *const *accounts,
                              const char *address, char *error, size_t error_size);

//  Stop serving, free, set *self_p to NULL. Safe twice.
void rt_metrics_destroy (rt_metrics_t **self_p);

//  The address served ("127.0.0.1:PORT"), or "" when not serving.
const char *rt_metrics_address (rt_metrics_t *self);

//  Updates. Unknown venues, accounts or names go to no series (ignored).
void rt_metrics_order_state (rt_metrics_t *self, const char *venue, vb_exec_state_t state);
void rt_metrics_request (rt_metrics_t *self, const char *venue, vb_exec_kind_t kind,
                         vb_exec_outcome_t outcome, int64_t round_trip_ns);
void rt_metrics_order_roundtrip (rt_metrics_t *self, const char *venue, int64_t ns);
void rt_metrics_order_own (rt_metrics_t *self, const char *venue, int64_t ns);
void rt_metrics_journal_commit (rt_metrics_t *self, int64_t ns);
void rt_metrics_unknown_orders (rt_metrics_t *self, int64_t count);
void rt_metrics_open_orders (rt_metrics_t *self, int64_t count);
void rt_metrics_drift (rt_metrics_t *self, const char *venue, const char *kind);
void rt_metrics_failover (rt_metrics_t *self, const char *account);
void rt_metrics_strategy_message (rt_metrics_t *self, const char *kind, const char *result);
void rt_metrics_stream_event (rt_metrics_t *self, const char *account, const char *kind);
void rt_metrics_ratelimit (rt_metrics_t *self, const rt_limits_usage_t *usage);
void rt_metrics_alert (rt_metrics_t *self, const char *name, bool firing);
void rt_metrics_health (rt_metrics_t *self, bool healthy, const char *reason);

#ifdef __cplusplus
}
#endif
#endif
