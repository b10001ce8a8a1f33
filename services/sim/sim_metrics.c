/*  sim_metrics.c — venuebus-sim's Prometheus series (see sim_metrics.h).
    SPDX-License-Identifier: MPL-2.0
*/
#include "sim_metrics.h"

#include <assert.h>
#include <czmq.h>

//  Series per family: one venue per process.
#define SIM_METRICS_VENUES_MAX 1

//  The server's own counters, in sim_metrics_counter_t order.
static const struct {
    const char *name;  //  Family name
    const char *help;  //  # HELP text
} s_counters[SIM_METRICS_COUNTERS] = {
    [SIM_METRICS_REQUESTS] = {"venuebus_sim_requests_total",
                              "HTTP requests to venue paths (not /_sim/), injected answers "
                              "included."},
    [SIM_METRICS_LIMIT_VIOLATIONS] = {"venuebus_sim_limit_violations_total",
                                      "Answers made by the venue's own limit enforcement."},
    [SIM_METRICS_BANS] = {"venuebus_sim_bans_total", "Bans imposed (Binance 418)."},
    [SIM_METRICS_WS_MESSAGES] = {"venuebus_sim_ws_messages_total",
                                 "WebSocket text messages handed to the personality."},
    [SIM_METRICS_INJECTED_STATUSES] = {"venuebus_sim_injected_statuses_total",
                                       "Answers made by the http_status fault."},
};

struct _sim_metrics_t {
    vb_metric_t *counters[SIM_METRICS_COUNTERS];  //  Per sim_metrics_counter_t
    vb_metric_t *orders_placed;                   //  venuebus_sim_orders_placed_total
    vb_metric_t *orders_rejected;                 //  venuebus_sim_orders_rejected_total
    vb_metric_t *faults_active;                   //  venuebus_sim_faults_active
    uint64_t accepted_seen;                       //  Engine total at the last sync
    uint64_t refused_seen;                        //  Engine total at the last sync
};

//  --------------------------------------------------------------------------
//  Declare a counter family and take the venue's series, or NULL.

static vb_metric_t *
s_counter (vb_metrics_t *registry, const char *name, const char *help, const char *venue)
{
    static const char *const labels[] = {"venue", NULL};
    vb_metrics_family_t *family =
        vb_metrics_add_counter (registry, name, help, labels, SIM_METRICS_VENUES_MAX);
    return family ? vb_metrics_series (family, (const char *[]){venue, NULL}) : NULL;
}

//  --------------------------------------------------------------------------
//  Constructor and destructor.

sim_metrics_t *
sim_metrics_new (vb_metrics_t *registry, const char *venue, int64_t start_real_ns)
{
    assert (registry && venue);
    static const char *const labels[] = {"venue", NULL};
    sim_metrics_t *self = (sim_metrics_t *)zmalloc (sizeof (sim_metrics_t));
    bool complete = true;
    for (size_t i = 0; i < SIM_METRICS_COUNTERS; i++) {
        self->counters[i] = s_counter (registry, s_counters[i].name, s_counters[i].help, venue);
        complete = complete && self->counters[i];
    }
    self->orders_placed = s_counter (registry, "venuebus_sim_orders_placed_total",
                                     "Account orders the engine accepted (an expired FOK "
                                     "included).",
                                     venue);
    self->orders_rejected = s_counter (registry, "venuebus_sim_orders_rejected_total",
                                       "Account orders the engine refused.", venue);
    vb_metrics_family_t *faults = vb_metrics_add_gauge (
        registry, "venuebus_sim_faults_active",
        "Injected faults in force, as listed by GET /_sim/faults.", labels, SIM_METRICS_VENUES_MAX);
    self->faults_active = faults ? vb_metrics_series (faults, (const char *[]){venue, NULL}) : NULL;
    if (!complete || !self->orders_placed || !self->orders_rejected || !self->faults_active ||
        vb_metrics_add_process (registry, "sim", start_real_ns) != 0)
        sim_metrics_destroy (&self);
    return self;
}

void
sim_metrics_destroy (sim_metrics_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Updates, from the lws thread.

void
sim_metrics_count (sim_metrics_t *self, sim_metrics_counter_t counter, uint64_t n)
{
    if (!self)
        return;
    assert (counter < SIM_METRICS_COUNTERS);
    vb_metrics_counter_add (self->counters[counter], n);
}

//  Add what an engine total gained since the last reading.
static void
s_advance (vb_metric_t *metric, uint64_t total, uint64_t *seen)
{
    if (total > *seen) {
        vb_metrics_counter_add (metric, total - *seen);
        *seen = total;
    }
}

void
sim_metrics_orders (sim_metrics_t *self, uint64_t accepted, uint64_t refused)
{
    if (!self)
        return;
    s_advance (self->orders_placed, accepted, &self->accepted_seen);
    s_advance (self->orders_rejected, refused, &self->refused_seen);
}

void
sim_metrics_faults (sim_metrics_t *self, size_t active)
{
    if (!self)
        return;
    vb_metrics_gauge_set (self->faults_active, (int64_t)active);
}
