/*  main.c — venuebus-bus: the XSUB -> XPUB proxy every publisher and subscriber meets at.

    Publishers (gateways, the router) connect to the frontend (XSUB);
    subscribers (strategies, ctl) connect to the backend (XPUB). The bus has no
    logic of its own: subscriptions flow upstream, frames flow downstream,
    through zmq_proxy_steerable. A stats actor asks the proxy for its counters
    every stats interval and logs them; an optional capture endpoint (PUB)
    receives a copy of every frame for recording or debugging.

        venuebus-bus --frontend EP --backend EP [--capture EP] [--config FILE]

    It prints "ready frontend=EP backend=EP" with the endpoints actually bound
    (so tcp://127.0.0.1:* shows its port), and stops cleanly on SIGINT/SIGTERM.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vb_config.h"
#include "vb_log.h"

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
    {.name = "log/level",
     .type = VB_CONFIG_ENUM,
     .fallback = "notice",
     .values = s_levels,
     .help = "most verbose log level"},
};

#define BUS_CONTROL_ENDPOINT "inproc://bus-control"
#define BUS_STATS_COUNTERS   8

//  --------------------------------------------------------------------------
//  The stats actor: every interval, ask the proxy for its eight counters
//  (frontend and backend: messages in, bytes in, messages out, bytes out)
//  and log them. The interval arrives as the actor's argument.

static void
s_stats_actor (zsock_t *pipe, void *args)
{
    int64_t interval_ms = *(int64_t *)args;
    zsock_t *control = zsock_new_req (BUS_CONTROL_ENDPOINT);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    while (control && !zsys_interrupted) {
        void *which = zpoller_wait (poller, (int)interval_ms);
        if (which == pipe)
            break;  //  $TERM
        if (zpoller_terminated (poller))
            break;
        zstr_send (control, "STATISTICS");
        uint64_t counters[BUS_STATS_COUNTERS] = {0};
        zmsg_t *reply = zmsg_recv (control);
        if (!reply)
            break;
        zframe_t *frame = zmsg_first (reply);
        for (int i = 0; frame && i < BUS_STATS_COUNTERS; i++, frame = zmsg_next (reply))
            if (zframe_size (frame) == sizeof (uint64_t))
                memcpy (&counters[i], zframe_data (frame), sizeof (uint64_t));
        zmsg_destroy (&reply);
        vb_log_info ("bus stats frontend_msgs_in=%" PRIu64 " frontend_bytes_in=%" PRIu64
                     " backend_msgs_out=%" PRIu64 " backend_bytes_out=%" PRIu64
                     " subscriptions_in=%" PRIu64,
                     counters[0], counters[1], counters[6], counters[7], counters[4]);
    }
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
    int64_t stats_interval_ms = vb_config_int (config, "bus/stats_interval");
    const char *capture_endpoint = vb_config_str (config, "bus/capture");
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
    //  The stats thread must not take SIGINT/SIGTERM: only the proxy's
    //  thread should, so its zmq_poll returns EINTR and we stop.
    sigset_t signals, previous;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &previous);
    stats = zactor_new (s_stats_actor, &stats_interval_ms);
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
    zsock_destroy (&capture);
    zsock_destroy (&control);
    zsock_destroy (&backend);
    zsock_destroy (&frontend);
    vb_config_destroy (&config);
    return rc;
}
