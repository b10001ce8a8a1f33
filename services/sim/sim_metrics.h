/*  sim_metrics.h — venuebus-sim's Prometheus series: the /_sim/stats
    counters, the active fault count and the process series, in a vb_metrics
    registry that `--metrics HOST:PORT` serves at /metrics and /healthz.

        venuebus_sim_requests_total{venue}            HTTP requests to venue paths
        venuebus_sim_limit_violations_total{venue}    the venue's own limit refusals
        venuebus_sim_bans_total{venue}                Binance 418 bans imposed
        venuebus_sim_orders_placed_total{venue}       account orders the engine accepted
        venuebus_sim_orders_rejected_total{venue}     account orders the engine refused
        venuebus_sim_ws_messages_total{venue}         WS text messages to the personality
        venuebus_sim_injected_statuses_total{venue}   answers made by the http_status fault
        venuebus_sim_faults_active{venue}             faults listed by GET /_sim/faults
        venuebus_up, venuebus_healthy, process_start_time_seconds (vb_metrics_add_process)

    The counts are the same events /_sim/stats counts, but counted since the
    start: DELETE /_sim/stats resets the stats, never a Prometheus counter.
    The sim's lws thread updates them (relaxed atomics in vb_metrics) while
    the metrics server renders them on its own thread. Every update function
    accepts a NULL object and then does nothing, so the server runs the same
    code with metrics off.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef SIM_METRICS_H_INCLUDED
#define SIM_METRICS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "vb_metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _sim_metrics_t sim_metrics_t;

//  The counters the server adds to directly. Orders come from the engine's
//  totals instead (sim_metrics_orders).
typedef enum {
    SIM_METRICS_REQUESTS = 0,           //  venuebus_sim_requests_total
    SIM_METRICS_LIMIT_VIOLATIONS = 1,   //  venuebus_sim_limit_violations_total
    SIM_METRICS_BANS = 2,               //  venuebus_sim_bans_total
    SIM_METRICS_WS_MESSAGES = 3,        //  venuebus_sim_ws_messages_total
    SIM_METRICS_INJECTED_STATUSES = 4,  //  venuebus_sim_injected_statuses_total
    SIM_METRICS_COUNTERS = 5            //  How many
} sim_metrics_counter_t;

//  Declare the sim's families in `registry` (borrowed: it must outlive the
//  object), with the process series of service "sim" started at
//  start_real_ns, and take one series per family for `venue`. Returns NULL
//  if a family cannot be declared (a name already declared in the registry,
//  a venue name that is no valid label value).
sim_metrics_t *sim_metrics_new (vb_metrics_t *registry, const char *venue, int64_t start_real_ns);

//  Destroy the object (the registry keeps its families); set *self_p to
//  NULL. Safe to call twice.
void sim_metrics_destroy (sim_metrics_t **self_p);

//  Add n to one counter. NULL self does nothing.
void sim_metrics_count (sim_metrics_t *self, sim_metrics_counter_t counter, uint64_t n);

//  Bring the order counters up to the engine's totals since the start
//  (sim_engine_orders_accepted, sim_engine_orders_refused): each counter
//  gains what its total gained since the last call. Totals never go down; a
//  smaller total is ignored. NULL self does nothing.
void sim_metrics_orders (sim_metrics_t *self, uint64_t accepted, uint64_t refused);

//  Set the number of active faults. NULL self does nothing.
void sim_metrics_faults (sim_metrics_t *self, size_t active);

#ifdef __cplusplus
}
#endif
#endif
