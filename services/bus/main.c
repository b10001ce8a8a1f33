/*  main.c — venuebus-bus: the XSUB -> XPUB proxy every publisher and subscriber meets at.

    Publishers (gateways, the router) connect to the frontend (XSUB);
    subscribers (strategies, ctl) connect to the backend (XPUB). The bus has no
    logic of its own: subscriptions flow upstream, frames flow downstream,
    through zmq_proxy_steerable. A stats actor asks the proxy for its counters
    every stats interval and logs them; an optional capture endpoint (PUB)
    receives a copy of every frame for recording or debugging.

    With --metrics HOST:PORT the bus also serves /metrics and /healthz there
    (vb_metrics): the stats actor then asks the proxy at least every
    BUS_METRICS_REFRESH_MS and turns the proxy's counters into
    venuebus_bus_frames_total and venuebus_bus_bytes_total; the bus is
    healthy while the proxy answers. It logs "metrics listening
    address=HOST:PORT" (the port actually bound, so port 0 works).

        venuebus-bus --frontend EP --backend EP [--capture EP] [--metrics HOST:PORT]
                     [--config FILE]

    It prints "ready frontend=EP backend=EP" with the endpoints actually bound
    (so tcp://127.0.0.1:* shows its port), and stops cleanly on SIGINT/SIGTERM.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vb_clock.h"
#include "vb_config.h"
#include "vb_log.h"
#include "vb_metrics.h"

static const char *const s_levels[] = {"error", "warning", "notice", "info", "debug", NULL};

static const vb_config_key_t s_keys[] = {
    {.name = "bus/frontend",
     .type = VB_CONFIG_ENDPOINT,
     .flags = VB_CONFIG_REQUIRED,
     .help = "XSUB endpoint publishers connect to, e.g. tcp://*:5555"},
    {.name = "bus/backend",
     .type = VB_CONFIG_ENDPOINT,
     .flags = VB_CONFIG_REQUIRED,
     .help = "XPUB endpoint subscribers connect to, e.g. tcp://*:5556"},
    {.name = "bus/capture",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "optional PUB endpoint that gets a copy of every frame (empty: none)"},
    {.name = "bus/hwm",
     .type = VB_CONFIG_INT,
     .fallback = "100000",
     .min = 1000,
     .max = 10000000,
     .help = "high-water mark, in frames, per socket (bounded on purpose)"},
    {.name = "bus/stats_interval",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "60s",
     .min = 100,
     .max = 86400000,
     .help = "how often the proxy counters are logged"},
    {.name = "bus/metrics",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "HOST:PORT serving /metrics and /healthz, e.g. 0.0.0.0:9100 (empty: off)"},
    {.name = "log/level",
     .type = VB_CONFIG_ENUM,
     .fallback = "notice",
     .values = s_levels,
     .help = "most verbose log level"},
};

#define BUS_CONTROL_ENDPOINT "inproc://bus-control"
#define BUS_STATS_COUNTERS   8
//  With metrics on, the proxy counters are read at least this often.
#define BUS_METRICS_REFRESH_MS 1000
//  A proxy that has not answered STATISTICS in this long makes the bus unhealthy.
#define BUS_STATS_REPLY_TIMEOUT_MS 5000
//  After a signal, the stats actor stops the proxy within this long.
#define BUS_INTERRUPT_CHECK_MS 250
//  Label sets per bus family: direction is "in" or "out".
#define BUS_DIRECTIONS 2

//  Indexes of the proxy's STATISTICS reply (zmq_proxy_steerable (3)): for
//  the frontend then the backend, messages in, bytes in, messages out,
//  bytes out.
enum {
    BUS_FRONTEND_MSGS_IN = 0,
    BUS_FRONTEND_BYTES_IN = 1,
    BUS_BACKEND_MSGS_IN = 4,
    BUS_BACKEND_MSGS_OUT = 6,
    BUS_BACKEND_BYTES_OUT = 7,
};

//  What the stats actor needs; owned by main, which outlives the actor.
typedef struct {
    int64_t interval_ms;      //  How often counters are logged
    vb_metrics_t *metrics;    //  Registry for health, or NULL with metrics off
    vb_metric_t *frames_in;   //  venuebus_bus_frames_total{direction="in"}
    vb_metric_t *frames_out;  //  venuebus_bus_frames_total{direction="out"}
    vb_metric_t *bytes_in;    //  venuebus_bus_bytes_total{direction="in"}
    vb_metric_t *bytes_out;   //  venuebus_bus_bytes_total{direction="out"}
} s_stats_args_t;

//  --------------------------------------------------------------------------
//  Declare the bus's metrics and take their handles. Returns 0 or -1.

static int
s_metrics_declare (s_stats_args_t *args, int64_t start_real_ns)
{
    static const char *const direction[] = {"direction", NULL};
    vb_metrics_family_t *frames =
        vb_metrics_add_counter (args->metrics, "venuebus_bus_frames_total",
                                "Frames through the bus: in from publishers, out to subscribers.",
                                direction, BUS_DIRECTIONS);
    vb_metrics_family_t *bytes = vb_metrics_add_counter (
        args->metrics, "venuebus_bus_bytes_total",
        "Payload bytes through the bus: in from publishers, out to subscribers.", direction,
        BUS_DIRECTIONS);
    if (!frames || !bytes || vb_metrics_add_process (args->metrics, "bus", start_real_ns) != 0)
        return -1;
    args->frames_in = vb_metrics_series (frames, (const char *[]){"in", NULL});
    args->frames_out = vb_metrics_series (frames, (const char *[]){"out", NULL});
    args->bytes_in = vb_metrics_series (bytes, (const char *[]){"in", NULL});
    args->bytes_out = vb_metrics_series (bytes, (const char *[]){"out", NULL});
    return 0;
}

//  --------------------------------------------------------------------------
//  Add what a proxy counter gained since the last reading to a metric.

static void
s_metrics_advance (vb_metric_t *metric, uint64_t now, uint64_t *last)
{
    if (now > *last)
        vb_metrics_counter_add (metric, now - *last);
    *last = now;
}

//  --------------------------------------------------------------------------
//  Read the proxy's eight counters from a STATISTICS reply.

static void
s_read_counters (zmsg_t *reply, uint64_t counters[BUS_STATS_COUNTERS])
{
    zframe_t *frame = zmsg_first (reply);
    for (int i = 0; frame && i < BUS_STATS_COUNTERS; i++, frame = zmsg_next (reply))
        if (zframe_size (frame) == sizeof (uint64_t))
            memcpy (&counters[i], zframe_data (frame), sizeof (uint64_t));
}

//  --------------------------------------------------------------------------
//  Stop the proxy after SIGINT/SIGTERM, then wait for main's $TERM.
//  The proxy normally stops by itself: the signal interrupts its zmq_poll.
//  But a signal that lands while the proxy thread is busy outside zmq_poll
//  (forwarding a frame, answering STATISTICS) only sets zsys_interrupted,
//  and the proxy would then poll forever. TERMINATE on the control socket
//  covers that case; if the proxy has already stopped it is never read. The
//  control socket stays open until main has seen the proxy return.

static void
s_stop_proxy (zsock_t *pipe, zsock_t *control)
{
    zstr_send (control, "TERMINATE");
    zmsg_t *command = zmsg_recv (pipe);  //  $TERM, sent once the proxy returned
    zmsg_destroy (&command);
}

//  --------------------------------------------------------------------------
//  The stats actor. Its one timer has these duties:
//  - every BUS_INTERRUPT_CHECK_MS at most: after a signal, stop the proxy
//    (s_stop_proxy) and end;
//  - each tick: ask the proxy for its eight counters (STATISTICS on the
//    control socket); with metrics on, add what they gained to the bus
//    metrics and report the bus healthy when the proxy answered, unhealthy
//    when it has not within BUS_STATS_REPLY_TIMEOUT_MS;
//  - once per stats interval: log the counters at info.
//  The tick is the stats interval, or BUS_METRICS_REFRESH_MS with metrics on
//  if that is shorter; with metrics on the first tick is at once. While
//  waiting for a reply it still watches the pipe, so $TERM is never stuck
//  behind a proxy that has stopped.

static void
s_stats_actor (zsock_t *pipe, void *args_)
{
    s_stats_args_t *args = (s_stats_args_t *)args_;
    zsock_t *control = zsock_new_req (BUS_CONTROL_ENDPOINT);
    if (control) {
        //  A timed-out request may be sent again; late replies are dropped.
        zsock_set_req_relaxed (control, 1);
        zsock_set_req_correlate (control, 1);
    }
    zsock_signal (pipe, 0);
    int64_t tick_ms = args->interval_ms;
    if (args->metrics && tick_ms > BUS_METRICS_REFRESH_MS)
        tick_ms = BUS_METRICS_REFRESH_MS;
    int64_t next_tick = zclock_mono () + (args->metrics ? 0 : tick_ms);
    int64_t next_log = zclock_mono () + args->interval_ms;
    uint64_t last[BUS_STATS_COUNTERS] = {0};
    bool answering = true;
    zpoller_t *poller = zpoller_new (pipe, NULL);
    zpoller_t *reply_poller = zpoller_new (pipe, control, NULL);
    while (control && poller && reply_poller) {
        int64_t wait_ms = next_tick - zclock_mono ();
        wait_ms = wait_ms < 0                        ? 0
                  : wait_ms > BUS_INTERRUPT_CHECK_MS ? BUS_INTERRUPT_CHECK_MS
                                                     : wait_ms;
        //  Once interrupted, zpoller_wait returns at once without polling.
        void *which = zpoller_wait (poller, (int)wait_ms);
        if (which == pipe)
            break;  //  $TERM
        if (zsys_interrupted) {
            s_stop_proxy (pipe, control);
            break;
        }
        if (zclock_mono () < next_tick)
            continue;
        next_tick = zclock_mono () + tick_ms;
        zstr_send (control, "STATISTICS");
        which = zpoller_wait (reply_poller, BUS_STATS_REPLY_TIMEOUT_MS);
        if (which == pipe)
            break;
        if (zsys_interrupted) {
            s_stop_proxy (pipe, control);
            break;
        }
        if (which != control) {
            if (answering)
                vb_log_warning ("bus proxy not answering timeout_ms=%d",
                                BUS_STATS_REPLY_TIMEOUT_MS);
            answering = false;
            if (args->metrics)
                vb_metrics_set_health (args->metrics, false, "proxy not answering");
            continue;
        }
        zmsg_t *reply = zmsg_recv (control);
        if (!reply)
            break;
        uint64_t counters[BUS_STATS_COUNTERS] = {0};
        s_read_counters (reply, counters);
        zmsg_destroy (&reply);
        if (!answering)
            vb_log_notice ("bus proxy answering again");
        answering = true;
        if (args->metrics) {
            s_metrics_advance (args->frames_in, counters[BUS_FRONTEND_MSGS_IN],
                               &last[BUS_FRONTEND_MSGS_IN]);
            s_metrics_advance (args->bytes_in, counters[BUS_FRONTEND_BYTES_IN],
                               &last[BUS_FRONTEND_BYTES_IN]);
            s_metrics_advance (args->frames_out, counters[BUS_BACKEND_MSGS_OUT],
                               &last[BUS_BACKEND_MSGS_OUT]);
            s_metrics_advance (args->bytes_out, counters[BUS_BACKEND_BYTES_OUT],
                               &last[BUS_BACKEND_BYTES_OUT]);
            vb_metrics_set_health (args->metrics, true, NULL);
        }
        if (zclock_mono () >= next_log) {
            next_log = zclock_mono () + args->interval_ms;
            vb_log_info ("bus stats frontend_msgs_in=%" PRIu64 " frontend_bytes_in=%" PRIu64
                         " backend_msgs_out=%" PRIu64 " backend_bytes_out=%" PRIu64
                         " subscriptions_in=%" PRIu64,
                         counters[BUS_FRONTEND_MSGS_IN], counters[BUS_FRONTEND_BYTES_IN],
                         counters[BUS_BACKEND_MSGS_OUT], counters[BUS_BACKEND_BYTES_OUT],
                         counters[BUS_BACKEND_MSGS_IN]);
        }
    }
    zpoller_destroy (&reply_poller);
    zpoller_destroy (&poller);
    zsock_destroy (&control);
}

//  --------------------------------------------------------------------------
//  Bind one socket, logging the failure at its origin.

static int
s_bind (zsock_t *sock, const char *role, const char *endpoint, int hwm)
{
    zsock_set_sndhwm (sock, hwm);
    zsock_set_rcvhwm (sock, hwm);
    zsock_set_linger (sock, 0);
    if (zsock_bind (sock, "%s", endpoint) < 0) {
        vb_log_error ("bus cannot bind role=%s endpoint=%s error=%s", role, endpoint,
                      zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

//  Strip czmq's optional '@'/'>' prefix: the bus always binds.
static const char *
s_plain (const char *endpoint)
{
    return (*endpoint == '@' || *endpoint == '>') ? endpoint + 1 : endpoint;
}

int
main (int argc, char *argv[])
{
    int64_t start_real_ns = vb_clock_now_real_ns ();
    zsys_init ();
    vb_log_init ("bus", VB_LOG_NOTICE);
    vb_config_t *config = vb_config_new (s_keys, sizeof (s_keys) / sizeof (s_keys[0]));
    assert (config);
    if (vb_config_load (config, argc, argv, NULL) != 0) {
        vb_log_error ("bus config invalid: %s", vb_config_error (config));
        vb_config_destroy (&config);
        return 2;
    }
    if (vb_config_help_requested (config)) {
        vb_config_help (config, stdout);
        vb_config_destroy (&config);
        return 0;
    }
    vb_log_set_level ((vb_log_level_t)vb_log_level_from_name (vb_config_str (config, "log/level")));
    vb_config_print (config, stderr);

    int hwm = (int)vb_config_int (config, "bus/hwm");
    s_stats_args_t stats_args = {.interval_ms = vb_config_int (config, "bus/stats_interval")};
    const char *capture_endpoint = vb_config_str (config, "bus/capture");
    const char *metrics_address = vb_config_str (config, "bus/metrics");
    vb_metrics_server_t *metrics_server = NULL;
    int rc = 1;
    zsock_t *frontend = zsock_new (ZMQ_XSUB);
    zsock_t *backend = zsock_new (ZMQ_XPUB);
    zsock_t *capture = NULL;
    zsock_t *control = zsock_new (ZMQ_REP);
    zactor_t *stats = NULL;
    if (!frontend || !backend || !control)
        goto cleanup;
    if (s_bind (frontend, "frontend", s_plain (vb_config_str (config, "bus/frontend")), hwm) ||
        s_bind (backend, "backend", s_plain (vb_config_str (config, "bus/backend")), hwm) ||
        zsock_bind (control, BUS_CONTROL_ENDPOINT) < 0)
        goto cleanup;
    if (capture_endpoint && *capture_endpoint) {
        capture = zsock_new (ZMQ_PUB);
        if (!capture || s_bind (capture, "capture", s_plain (capture_endpoint), hwm))
            goto cleanup;
    }
    if (metrics_address && *metrics_address) {
        stats_args.metrics = vb_metrics_new ();
        if (!stats_args.metrics || s_metrics_declare (&stats_args, start_real_ns) != 0) {
            vb_log_error ("bus cannot declare its metrics");
            goto cleanup;
        }
        int error = 0;
        metrics_server = vb_metrics_server_new (stats_args.metrics, metrics_address, &error);
        if (!metrics_server) {
            vb_log_error ("bus cannot serve metrics key=bus/metrics address=%s error=%s",
                          metrics_address, strerror (error));
            goto cleanup;
        }
        vb_log_notice ("metrics listening address=%s", vb_metrics_server_address (metrics_server));
    }
    //  The stats thread must not take SIGINT/SIGTERM: only the proxy's
    //  thread should, so its zmq_poll returns EINTR and we stop.
    sigset_t signals, previous;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &previous);
    stats = zactor_new (s_stats_actor, &stats_args);
    pthread_sigmask (SIG_SETMASK, &previous, NULL);

    char *frontend_bound = zsock_last_endpoint (frontend);
    char *backend_bound = zsock_last_endpoint (backend);
    vb_log_notice ("bus started frontend=%s backend=%s hwm=%d", frontend_bound, backend_bound, hwm);
    printf ("ready frontend=%s backend=%s\n", frontend_bound, backend_bound);
    fflush (stdout);
    zstr_free (&frontend_bound);
    zstr_free (&backend_bound);

    int proxy_rc =
        zmq_proxy_steerable (zsock_resolve (frontend), zsock_resolve (backend),
                             capture ? zsock_resolve (capture) : NULL, zsock_resolve (control));
    if (proxy_rc < 0 && zmq_errno () != EINTR && zmq_errno () != ETERM)
        vb_log_error ("bus proxy failed error=%s", zmq_strerror (zmq_errno ()));
    else {
        vb_log_notice ("bus stopping reason=signal");
        rc = 0;
    }
cleanup:
    zactor_destroy (&stats);
    vb_metrics_server_destroy (&metrics_server);
    vb_metrics_destroy (&stats_args.metrics);
    zsock_destroy (&capture);
    zsock_destroy (&control);
    zsock_destroy (&backend);
    zsock_destroy (&frontend);
    vb_config_destroy (&config);
    return rc;
}
