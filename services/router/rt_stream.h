/*  rt_stream.h — the router's private WebSocket streams (libwebsockets 4.1), in their own thread.

    One connection per account (Binance WS API /ws-api/v3, Kraken
    wss://ws-auth.kraken.com/v2). The streams run in a zactor with one lws
    client context; the router's loop talks to it over an inproc PAIR
    channel (rt_stream_socket) and stays free of lws. The loop never calls a venue adapter from
   here: it reads events with rt_stream_event and hands frames to the adapter itself (adapters are
   single-threaded and live on the loop thread).

    For each connection the thread:
    - connects (ws:// or wss://, TLS verified against ca_file or the system
      CA bundle: $SSL_CERT_FILE, else OpenSSL's default file) and reports
      OPENED; the loop then sends logon/subscribe through rt_stream_send;
    - reassembles fragmented messages up to frame_max and reports each text
      message as FRAME (larger: the connection is dropped and reconnected;
      binary messages are dropped with a warning);
    - sends a WebSocket ping every ping_ms; a connection with no frame and
      no pong for 2 * ping_ms is dead (CLOSED "dead", then a reconnect);
    - on close, error or death reports CLOSED with a reason (every attempt
      that fails or ends reports exactly one CLOSED), then reconnects
      after an exponential backoff with full jitter (vb_backoff, from
      backoff_min_ms to backoff_max_ms; a connection that stayed up 30 s
      resets it), until rt_stream_close or destroy;
    - queues what the loop sends (bounded by queue_max messages per
      connection; beyond it the send fails) and writes in order.
    Sends made while a connection is not open are refused (VB_ESTATE): after
    each OPENED the loop sends the logon again anyway. A send made after
    OPENED was read but after the connection went down in the thread (its
    CLOSED not yet read) is dropped there, never written to a later
    connection; so is anything still queued when a connection goes down.

    Messages on rt_stream_socket are internal to this class (besides the
    events, the thread reports there what it has written, which is how the
    queue bound is kept without asking it). Call rt_stream_event after
    rt_stream_socket polls readable, until it returns VB_EAGAIN; nothing is
    dropped if the loop reads late, the events wait (without bound).

    Threading: every function must be called from the one thread that owns
    the rt_stream_t (the loop). A send reaches lws_write in one wake-up of
    the stream thread (lws_cancel_service), not on a polling tick.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef RT_STREAM_H_INCLUDED
#define RT_STREAM_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RT_STREAM_CONNECTIONS_MAX 64    //  Connections per rt_stream_t
#define RT_STREAM_URL_MAX         2048  //  Longest URL
#define RT_STREAM_REASON_MAX      256   //  Longest CLOSED reason

typedef struct _rt_stream_t rt_stream_t;

typedef struct {
    int64_t ping_ms;         //  0: 20000
    int64_t backoff_min_ms;  //  0: 250
    int64_t backoff_max_ms;  //  0: 30000
    size_t frame_max;        //  Largest message; 0: 4 MiB
    size_t queue_max;        //  Messages queued per connection; 0: 1024
    const char *ca_file;     //  NULL/"": system CAs
} rt_stream_options_t;

typedef enum {
    RT_STREAM_OPENED = 1,  //  The connection is open: send logon/subscribe now
    RT_STREAM_FRAME = 2,   //  One complete text message
    RT_STREAM_CLOSED = 3,  //  It closed (reason); a reconnect follows unless closed on purpose
} rt_stream_event_kind_t;

typedef struct {
    rt_stream_event_kind_t kind;
    int conn;          //  The connection, as given to rt_stream_open
    const char *text;  //  FRAME: the message (NUL-terminated); CLOSED: the reason
    size_t length;     //  Bytes of text without the NUL
    int64_t recv_ns;   //  Wall-clock ns the message was read (FRAME)
} rt_stream_event_t;

//  Start the thread (options may be NULL; ca_file is copied). Returns NULL
//  when it cannot start (lws context creation failed) or an option is out
//  of range: a negative value, ping_ms above INT32_MAX, backoff_max_ms
//  above UINT32_MAX or below backoff_min_ms, frame_max above 1 GiB, or a
//  ca_file that cannot be read. Logs why.
rt_stream_t *rt_stream_new (const rt_stream_options_t *options);

//  Close every connection, stop the thread, free everything and set
//  *self_p to NULL. Safe to call twice.
void rt_stream_destroy (rt_stream_t **self_p);

//  Connect connection `conn` (0..RT_STREAM_CONNECTIONS_MAX-1) to url (copied),
//  and keep it connected. Opening a connection that is in use closes it
//  first (CLOSED "reopened" is reported) and connects to the new url; an
//  OPENED from before that call is not reported. Returns 0, or VB_EINVAL
//  for a bad conn or a url that is not ws[s]://host[:port][/path][?query]
//  in printable ASCII shorter than RT_STREAM_URL_MAX.
int rt_stream_open (rt_stream_t *self, int conn, const char *url);

//  Queue a text message (length bytes, copied) on an open connection.
//  Returns 0; VB_ESTATE when the connection is not open (as last reported
//  to this side); VB_ELIMIT when the message is over frame_max or when
//  queue_max messages are in flight (sent since OPENED and not yet reported
//  written as of the last rt_stream_event: read events to make room);
//  VB_EINVAL for a bad conn or NULL text; VB_EIO if the thread is gone.
int rt_stream_send (rt_stream_t *self, int conn, const char *text, size_t length);

//  Close a connection and do not reconnect it. If it was in use, CLOSED
//  "closed" follows (an open connection says goodbye with a close frame);
//  closing an idle connection does nothing. Returns 0 or VB_EINVAL.
int rt_stream_close (rt_stream_t *self, int conn);

//  The socket to poll (ZMQ_POLLIN) for events: the raw libzmq socket
//  (already resolved), for zmq_pollitem_t.socket or zpoller/zloop. Owned by
//  rt_stream; never read from or write to it directly.
void *rt_stream_socket (rt_stream_t *self);

//  Read one event without blocking. The event's text is borrowed until the
//  next call (or destroy). Returns 0, or VB_EAGAIN when none is waiting.
int rt_stream_event (rt_stream_t *self, rt_stream_event_t *event);

//  True when connection `conn` is open (as last reported to this side).
bool rt_stream_is_open (rt_stream_t *self, int conn);

#ifdef __cplusplus
}
#endif
#endif
