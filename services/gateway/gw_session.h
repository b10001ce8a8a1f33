/*  gw_session.h — the gateway's WebSocket connections (libwebsockets 4.1).

    One lws context, serviced on the gateway's loop thread (the thread that
    also owns the PUB socket: house style 3.5). For each connection the
    adapter asks for (vb_md_connection_t), the session:
    - connects (ws:// or wss://, TLS verified against the CA bundle), then
      calls the adapter's opened, which sends its subscriptions;
    - reassembles fragmented messages up to frame_max (larger: reconnect)
      and hands each text message to the adapter's frame;
    - on close or error calls the adapter's closed, then reconnects after an
      exponential backoff with full jitter (vb_backoff); a connection that
      stayed up stable_ms resets the backoff;
        - sends a WebSocket ping every ws_ping_ms and the adapter's app-level
      ping text every app_ping_ms; a connection with no frame and no pong
      for two ping intervals is dead (reconnect); a connection with no data
      frame for the stale bound (the venue's stale_ms, or the operator's
      shorter gateway/stale) is stale: the core marks its books STALE, the
      adapter's closed runs and the session reconnects;
    - rolls over make-before-break when the venue's lifetime is ending: it
      opens a replacement rollover_margin before the end (at most a tenth of
      the lifetime); once the replacement is open it becomes the connection
      at that index, the old one is closed and its frames ignored, and the
      adapter sees closed then opened for that index (its books resync from
      a fresh snapshot on the new connection, which DESIGN.md asks of every
      resubscribe);
    - queues what the adapter sends (bounded) and writes at most
      max_messages_per_s messages per second on each connection.
    "Subscribed" (for the ready line): every connection is open, the
    adapter's opened has run on it, and everything it queued then has been
    written to the socket.

    A housekeeping timer (GW_SESSION_TICK_MS) drives reconnects, pings,
    stale checks, rollovers and rate-limited sends, and calls the tick hook.
    Another thread wakes the loop with gw_session_wake (lws_cancel_service,
    the only lws call that may cross threads); the loop then calls the wake
    hook, which drains the inproc sockets.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_SESSION_H_INCLUDED
#define GW_SESSION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_config.h"
#include "vb_md.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Housekeeping period.
#define GW_SESSION_TICK_MS 100

typedef struct _gw_session_t gw_session_t;

//  What the session calls on the loop thread.
typedef struct {
    void *ctx;                                         //  Passed back unchanged
    void (*wake) (void *ctx);                          //  Another thread called gw_session_wake
    void (*tick) (void *ctx);                          //  Every GW_SESSION_TICK_MS
    void (*received) (void *ctx, int64_t recv_ts_ns);  //  Before each frame reaches the adapter
    void (*frame_failed) (void *ctx, size_t index, int rc);  //  The adapter refused a frame
    //  Around the adapter's closed for connection index: reason is "stale",
    //  "reconnect" or "rollover" before it, NULL after it.
    void (*breaking) (void *ctx, size_t index, const char *reason);
    //  A connection index opened again after a break (not the first time):
    //  a chance to backfill what was missed.
    void (*reopened) (void *ctx, size_t index);
} gw_session_hooks_t;

//  Create the session (no connection yet) for the adapter (borrowed; it
//  must outlive the session). settings are borrowed too. Returns NULL when
//  the lws context cannot be created (logged).
gw_session_t *gw_session_new (const gw_settings_t *settings, vb_md_t *adapter,
                              const gw_session_hooks_t *hooks);

//  Close every connection, destroy the context, set *self_p to NULL.
void gw_session_destroy (gw_session_t **self_p);

//  Ask the adapter for its connections and start connecting them. Returns
//  0, or -1 when the adapter's list is unusable (logged: a bad URL, too
//  many connections).
int gw_session_start (gw_session_t *self);

//  Queue a text message on connection index. Returns 0, VB_ENOTFOUND for a
//  bad index, VB_ESTATE when that connection is not open, VB_EAGAIN when
//  its queue is full, VB_ELIMIT when the text is over frame_max.
int gw_session_send (gw_session_t *self, size_t index, const char *text, size_t length);

//  True once every connection counts as subscribed (see above).
bool gw_session_subscribed (gw_session_t *self);

//  Service the loop until zsys_interrupted is set. Returns 0, or -1 when lws
//  fails.
int gw_session_run (gw_session_t *self);

//  Wake the loop from another thread (thread-safe).
void gw_session_wake (gw_session_t *self);

//  Number of connections the adapter asked for.
size_t gw_session_count (gw_session_t *self);

#ifdef __cplusplus
}
#endif
#endif
