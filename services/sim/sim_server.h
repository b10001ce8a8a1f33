/*  sim_server.h — venuebus-sim's HTTP + WebSocket server (libwebsockets, one
    port or several serving the same venue, one service thread), its timers,
    its fault injection and its counters.

    The server owns the lws context, the personality (ops->create at start),
    the fault list and every connection. It routes /_sim/ requests to itself
    and everything else to the personality, turns engine events into
    ops->event calls, runs the synthetic flow and ops->tick from one
    housekeeping timer, and applies faults to frames and responses. It
    implements the "Server" half of venues/include/vb_sim.h.

    Core-only paths:
      GET    /_sim/faults      {"faults":[...]} (sim_faults.h)
      POST   /_sim/faults      set a fault; 200 {"ok":true,"faults":[...]},
                               400 {"error":"..."} for a bad body
      DELETE /_sim/faults      clear every fault
      GET    /_sim/stats       {"requests":N,"limit_violations":N,"bans":N,
                               "orders_placed":N,"orders_rejected":N,
                               "injected_statuses":N,"ws_messages":N,
                               "ports":[{"port":P,"requests":N},...]}
      DELETE /_sim/stats       reset those counters; 200 {"ok":true,...}
      WS     /_sim/firehose?count=N&size=B   push N frames of B bytes as
                               fast as the client reads (benchmarks)
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef SIM_SERVER_H_INCLUDED
#define SIM_SERVER_H_INCLUDED

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_metrics.h"
#include "vb_clock.h"
#include "vb_sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *interface;       //  Address to listen on; NULL or "" or "*": every interface
    int port;                    //  TCP port; 0: the kernel picks one
    int64_t ws_ping_ms;          //  Ping every WS client this often
    int64_t ws_pong_timeout_ms;  //  Close a client whose last pong is older than this
    int64_t ws_lifetime_ms;      //  Close every WS connection after this long
    size_t ws_queue_max;         //  Frames queued per connection before it is dropped
    size_t ws_message_max;       //  Largest incoming WS message, bytes
    size_t http_body_max;        //  Largest HTTP request body, bytes (over: 413)
    int64_t housekeeping_ms;     //  Flow, tick and fault-expiry timer period
    const char *replay_path;     //  --replay FILE for the personality, or NULL
    int64_t replay_speed;        //  Replay pace: 1 real time, N faster, 0 no waiting
    int extra_ports;             //  More ephemeral ports serving the same venue (0..max)
    sim_metrics_t *metrics;      //  Prometheus series to keep up to date (borrowed), or NULL
} sim_server_config_t;

#define SIM_SERVER_EXTRA_PORTS_MAX 16  //  Largest extra_ports

#define SIM_SERVER_CONFIG_DEFAULT                                                                  \
    ((sim_server_config_t){.interface = "127.0.0.1",                                               \
                           .port = 0,                                                              \
                           .ws_ping_ms = 20000,                                                    \
                           .ws_pong_timeout_ms = 60000,                                            \
                           .ws_lifetime_ms = 24 * 3600 * 1000LL,                                   \
                           .ws_queue_max = 100000,                                                 \
                           .ws_message_max = 1 << 20,                                              \
                           .http_body_max = 1 << 20,                                               \
                           .housekeeping_ms = 10,                                                  \
                           .replay_speed = 1})

//  Create the server: the lws context listening on the port, the fault list
//  and the personality (ops->create). The engine and clock are borrowed and
//  must outlive the server, and so must config->metrics when set: the server
//  counts into it what /_sim/stats counts, the engine's order totals and the
//  active faults (at each request, WS message and housekeeping tick). The
//  config is copied (strings too). Becomes the
//  engine's listener. Returns NULL (after logging why) if the port or one
//  of the extra_ports cannot be bound, extra_ports is outside
//  0..SIM_SERVER_EXTRA_PORTS_MAX, or the personality cannot be created.
vb_sim_server_t *sim_server_new (const vb_sim_venue_ops_t *ops, vb_sim_engine_t *engine,
                                 vb_clock_t *clock, const sim_server_config_t *config);

//  Destroy the personality, every connection and the context; set *self_p
//  to NULL. Safe to call twice.
void sim_server_destroy (vb_sim_server_t **self_p);

//  The port actually listened on (the main one).
int sim_server_port (vb_sim_server_t *self);

//  How many ports the server listens on: 1 + extra_ports. Every port serves
//  the same engine, accounts, personality and faults (REST, WebSocket and
//  /_sim/); a fault with a "port" acts on that port alone.
size_t sim_server_port_count (vb_sim_server_t *self);

//  The port at index (0: the main port, then the extra ones in the order
//  they were opened), or -1 past the end.
int sim_server_port_at (vb_sim_server_t *self, size_t index);

//  Serve until *stop becomes non-zero (checked at least every
//  housekeeping_ms) or lws fails. Returns 0 on a requested stop, -1 on
//  failure. Call from the thread that created the server.
int sim_server_run (vb_sim_server_t *self, volatile sig_atomic_t *stop);

#ifdef __cplusplus
}
#endif
#endif
