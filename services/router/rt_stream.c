/*  rt_stream.c — the router's private WebSocket streams (libwebsockets 4.1), in their own thread.

    Two halves share nothing but a PAIR-PAIR channel (and the lws context
    pointer, used only for lws_cancel_service, the one thread-safe lws call):
    - the loop side (rt_stream_t) sends commands and reads events;
    - the actor (s_actor_t) runs lws_service. After each command the loop
      calls lws_cancel_service, which wakes lws_service at once; the actor
      drains the channel in LWS_CALLBACK_EVENT_WAIT_CANCELLED. A send
      therefore reaches lws_write in one wake-up, with no polling tick.

    The channel is not the zactor pipe (which only starts and ends the
    thread): both of its ends have no high-water mark, set before they
    connect, because libzmq cannot lift the mark of a connected pipe
    reliably. So the thread never blocks on a slow loop (events wait in the
    channel) and the loop never blocks on the thread (it bounds what it has
    in flight per connection by queue_max itself).

    Channel messages (both directions) are one fixed s_wire_t frame, then
    for some kinds a second frame:
      OPEN     conn epoch           + url (NUL-terminated)
      SEND     conn session         + LWS_PRE bytes of headroom, then the text
      CLOSE    conn epoch
      STOP     (shutdown, step 1: the loop stops calling lws_cancel_service)
      OPENED   conn epoch session
      FRAME    conn epoch session recv_ns + text (NUL-terminated)
      CLOSED   conn epoch session   + reason (NUL-terminated)
      WRITTEN  conn epoch session count (messages taken off the queue)
    zactor_destroy's "$TERM" (step 2) comes on the actor pipe.

    Epochs and sessions keep stale traffic apart. The loop counts an epoch
    per connection, bumped by each rt_stream_open or rt_stream_close, and the
    actor stamps events with the epoch of the command it is obeying: an
    OPENED from before the latest open/close is dropped. The actor numbers
    each established link (its session); a SEND names the session the loop
    saw OPENED for, and a send for a session that has gone is dropped.
    WRITTEN (sent when a connection's queue drains) lets the loop bound the
    messages it has in flight by queue_max without asking the thread.

    Links live in a fixed pool freed only with the actor, because lws may
    call back with a link pointer (its opaque user data) until it destroys
    the wsi (LWS_CALLBACK_WSI_DESTROY): a link is reused only after that
    ("held" cleared). This is the gateway's gw_session.c scheme.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <libwebsockets.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "rt_stream.h"
#include "vb_backoff.h"
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_log.h"

//  Defaults for zero options.
#define RT_STREAM_PING_DEFAULT_MS        20000
#define RT_STREAM_BACKOFF_MIN_DEFAULT_MS 250
#define RT_STREAM_BACKOFF_MAX_DEFAULT_MS 30000
#define RT_STREAM_FRAME_MAX_DEFAULT      (4 * 1024 * 1024)
#define RT_STREAM_QUEUE_MAX_DEFAULT      1024
//  Largest frame_max accepted (the receive buffer doubles up to it).
#define RT_STREAM_FRAME_MAX_LIMIT (1024 * 1024 * 1024)
//  A connection up this long resets its backoff when it goes down.
#define S_STABLE_MS 30000
//  Pings that may go unanswered before a connection is dead.
#define S_PINGS_UNANSWERED 2
//  Links in the pool per connection: the current one and some closing.
#define S_LINKS_PER_CONN 4
#define S_LINKS_MAX      (RT_STREAM_CONNECTIONS_MAX * S_LINKS_PER_CONN)
//  lws receive buffer per read.
#define S_RX_CHUNK 65536
//  Longest host name in a URL.
#define S_HOST_MAX 256
//  Bound for connect plus TLS and WebSocket handshakes (lws timeout_secs).
#define S_CONNECT_TIMEOUT_S 10
//  Bound for a polite close (our close frame, the peer's answer).
#define S_CLOSE_TIMEOUT_S 2
//  Default ports.
#define S_PORT_WS  80
#define S_PORT_WSS 443
#define S_PORT_MAX 65535
//  Printable ASCII bounds, for URLs.
#define S_URL_CHAR_FIRST 0x21
#define S_URL_CHAR_LAST  0x7E
#define S_US_PER_MS      1000
#define S_TERM           "$TERM"
//  Room for "inproc://rt-stream-<pointer>".
#define S_ENDPOINT_MAX 64
//  WRITTEN goes when a queue drains, and also after each 1/S_WRITTEN_PARTS
//  of queue_max written, so a busy connection does not look full.
#define S_WRITTEN_PARTS 4

typedef enum {
    S_WIRE_OPEN = 1,     //  Loop -> actor
    S_WIRE_SEND = 2,     //  Loop -> actor
    S_WIRE_CLOSE = 3,    //  Loop -> actor
    S_WIRE_STOP = 4,     //  Loop -> actor
    S_WIRE_OPENED = 5,   //  Actor -> loop
    S_WIRE_FRAME = 6,    //  Actor -> loop
    S_WIRE_CLOSED = 7,   //  Actor -> loop
    S_WIRE_WRITTEN = 8,  //  Actor -> loop
} s_wire_kind_t;

//  The first frame of every channel message (same process, same ABI).
typedef struct {
    int32_t kind;      //  s_wire_kind_t
    int32_t conn;      //  Connection index
    uint32_t epoch;    //  Loop's open/close count for the connection
    uint32_t session;  //  Established link number (0: none)
    int64_t recv_ns;   //  FRAME: wall-clock ns read
    uint64_t count;    //  WRITTEN: messages taken off the queue this session
} s_wire_t;

//  ==========================================================================
//  The actor (lws thread)

typedef enum {
    S_LINK_FREE = 0,        //  Not connected (maybe still held by lws)
    S_LINK_CONNECTING = 1,  //  Connect or handshake in progress
    S_LINK_OPEN = 2,        //  Established
    S_LINK_RETIRING = 3,    //  Closed on purpose; events are ignored
} s_link_state_t;

typedef struct _s_actor_t s_actor_t;

typedef struct {
    s_actor_t *actor;      //  Back pointer for callbacks
    int conn;              //  Connection index
    s_link_state_t state;  //  See above
    bool held;             //  lws may still call back (until WSI_DESTROY)
    struct lws *wsi;       //  Current wsi, NULL when none
    char *rx;              //  Message being reassembled (NUL-terminated)
    size_t rx_length;      //  Bytes in rx
    size_t rx_capacity;    //  Allocated
    int64_t rx_ns;         //  Wall-clock time of the message's first fragment
    bool rx_binary;        //  The message is binary (dropped)
    bool close_polite;     //  RETIRING: write a close frame at writeable
} s_link_t;

typedef struct {
    s_actor_t *actor;                      //  Back pointer for timers
    int conn;                              //  Its index
    bool in_use;                           //  Opened and not closed: keep connected
    char url[RT_STREAM_URL_MAX];           //  As given
    char host[S_HOST_MAX];                 //  Parsed from url
    int port;                              //  Parsed from url
    const char *path;                      //  Into url
    bool tls;                              //  wss://
    uint32_t epoch;                        //  Of the latest OPEN/CLOSE
    uint32_t session;                      //  Of the open link, 0 when none
    s_link_t *link;                        //  Current attempt, NULL while waiting
    zlist_t *queue;                        //  zframe_t (LWS_PRE + text) to write
    uint64_t taken;                        //  Messages taken off the queue this session
    vb_backoff_t *backoff;                 //  Reconnect delays
    lws_sorted_usec_list_t reconnect_sul;  //  Backoff timer
    lws_sorted_usec_list_t live_sul;       //  Ping and liveness timer
    int64_t opened_ns;                     //  Monotonic time the link opened
    int64_t last_rx_ns;                    //  Monotonic time of the last frame or pong
    int64_t ping_at_ns;                    //  Next ping, monotonic
    bool ping_due;                         //  Write a ping at the next writeable
} s_slot_t;

struct _s_actor_t {
    zsock_t *pipe;                //  zactor pipe: $TERM
    zsock_t *channel;             //  Commands in, events out
    rt_stream_options_t options;  //  Resolved (ca_file borrowed from the loop side)
    struct lws_context *context;  //  The one lws context
    s_slot_t slots[RT_STREAM_CONNECTIONS_MAX];
    s_link_t links[S_LINKS_MAX];
    uint32_t sessions;  //  Last session number given
    bool stopping;      //  STOP or $TERM seen: no more events, leave the loop
    bool term_seen;     //  $TERM seen: the loop side is waiting for us
};

//  What rt_stream_new hands the actor, and what it hands back.
typedef struct {
    const rt_stream_options_t *options;  //  Resolved options
    const char *endpoint;                //  The channel's inproc endpoint
    struct lws_context *context;         //  Set by the actor before it signals
} s_boot_t;

static int s_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);

static const struct lws_protocols s_protocols[] = {
    {"venuebus-router-stream", s_callback, 0, S_RX_CHUNK, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}};

//  --------------------------------------------------------------------------
//  Parse ws[s]://host[:port][/path][?query]: printable ASCII only, shorter
//  than RT_STREAM_URL_MAX. Fills host (S_HOST_MAX), port, path (into url)
//  and tls; any out-pointer may be NULL. Returns 0 or VB_EINVAL.

static int
s_parse_url (const char *url, char *host_out, int *port_out, const char **path_out, bool *tls_out)
{
    if (!url)
        return VB_EINVAL;
    size_t length = strnlen (url, RT_STREAM_URL_MAX);
    if (length == RT_STREAM_URL_MAX)
        return VB_EINVAL;
    for (size_t index = 0; index < length; index++)
        if ((unsigned char)url[index] < S_URL_CHAR_FIRST ||
            (unsigned char)url[index] > S_URL_CHAR_LAST)
            return VB_EINVAL;
    const char *rest;
    bool tls;
    if (strncmp (url, "wss://", 6) == 0) {
        tls = true;
        rest = url + 6;
    } else if (strncmp (url, "ws://", 5) == 0) {
        tls = false;
        rest = url + 5;
    } else
        return VB_EINVAL;
    const char *host = rest;
    const char *host_end;
    if (*rest == '[') {  //  [v6]
        host = rest + 1;
        host_end = strchr (host, ']');
        if (!host_end)
            return VB_EINVAL;
        rest = host_end + 1;
    } else {
        host_end = rest + strcspn (rest, ":/?");
        rest = host_end;
    }
    size_t host_length = (size_t)(host_end - host);
    if (host_length == 0 || host_length >= S_HOST_MAX)
        return VB_EINVAL;
    int port = tls ? S_PORT_WSS : S_PORT_WS;
    if (*rest == ':') {
        if (rest[1] < '0' || rest[1] > '9')
            return VB_EINVAL;
        char *end;
        long value = strtol (rest + 1, &end, 10);
        if (value < 1 || value > S_PORT_MAX)
            return VB_EINVAL;
        port = (int)value;
        rest = end;
    }
    if (*rest != '/' && *rest != '?' && *rest != 0)
        return VB_EINVAL;
    if (host_out) {
        memcpy (host_out, host, host_length);
        host_out[host_length] = 0;
    }
    if (port_out)
        *port_out = port;
    if (path_out)
        *path_out = *rest == '/' ? rest : "/";
    if (tls_out)
        *tls_out = tls;
    return 0;
}

//  --------------------------------------------------------------------------
//  Send an event to the loop side; text (may be NULL) goes as a second
//  frame with its NUL. Nothing is sent once stopping.

static void
s_emit (s_actor_t *self, s_slot_t *slot, s_wire_kind_t kind, const char *text, size_t length,
        int64_t recv_ns)
{
    if (self->stopping)
        return;
    s_wire_t wire = {.kind = kind,
                     .conn = slot->conn,
                     .epoch = slot->epoch,
                     .session = slot->session,
                     .recv_ns = recv_ns,
                     .count = slot->taken};
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, &wire, sizeof (wire));
    if (text) {
        zframe_t *frame = zframe_new (NULL, length + 1);
        memcpy (zframe_data (frame), text, length);
        zframe_data (frame)[length] = 0;
        zmsg_append (msg, &frame);
    }
    if (zmsg_send (&msg, self->channel) != 0) {
        vb_log_error ("stream event lost connection=%d kind=%d", slot->conn, (int)kind);
        zmsg_destroy (&msg);
    }
}

//  --------------------------------------------------------------------------
//  Report CLOSED with a reason (cut to RT_STREAM_REASON_MAX - 1 bytes).

static void
s_emit_closed (s_actor_t *self, s_slot_t *slot, const char *reason)
{
    s_emit (self, slot, S_WIRE_CLOSED, reason, strnlen (reason, RT_STREAM_REASON_MAX - 1), 0);
}

//  --------------------------------------------------------------------------
//  Drop a link's receive buffer.

static void
s_link_clear (s_link_t *link)
{
    free (link->rx);
    link->rx = NULL;
    link->rx_length = link->rx_capacity = 0;
    link->rx_binary = false;
    link->close_polite = false;
}

//  --------------------------------------------------------------------------
//  Drop what a slot has queued.

static void
s_slot_drop_queue (s_slot_t *slot)
{
    zframe_t *frame;
    while (slot->queue && (frame = (zframe_t *)zlist_pop (slot->queue)))
        zframe_destroy (&frame);
}

//  --------------------------------------------------------------------------
//  End a slot's session: drop its queue and its liveness timer.

static void
s_slot_end_session (s_slot_t *slot)
{
    s_slot_drop_queue (slot);
    lws_sul_cancel (&slot->live_sul);
    slot->session = 0;
    slot->taken = 0;
    slot->ping_due = false;
}

//  --------------------------------------------------------------------------
//  Close a link on purpose; its later events are ignored. Polite: an open
//  link writes a close frame first (bounded by S_CLOSE_TIMEOUT_S); else it
//  is killed at once.

static void
s_link_retire (s_link_t *link, bool polite)
{
    bool was_open = link->state == S_LINK_OPEN;
    link->state = S_LINK_RETIRING;
    s_link_clear (link);
    if (!link->wsi)
        return;  //  Still inside lws_client_connect_via_info: ESTABLISHED is refused
    if (polite && was_open) {
        link->close_polite = true;
        lws_set_timeout (link->wsi, PENDING_TIMEOUT_CLOSE_SEND, S_CLOSE_TIMEOUT_S);
        lws_callback_on_writable (link->wsi);
    } else
        lws_set_timeout (link->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void s_slot_connect (s_slot_t *slot);

//  --------------------------------------------------------------------------
//  The backoff timer: connect again.

static void
s_on_reconnect (lws_sorted_usec_list_t *sul)
{
    s_slot_t *slot = lws_container_of (sul, s_slot_t, reconnect_sul);
    if (slot->in_use && !slot->link && !slot->actor->stopping)
        s_slot_connect (slot);
}

//  --------------------------------------------------------------------------
//  Schedule the slot's reconnect after the next backoff delay.

static void
s_slot_schedule_reconnect (s_slot_t *slot)
{
    if (!slot->in_use || slot->actor->stopping)
        return;
    uint32_t delay_ms = vb_backoff_next_ms (slot->backoff);
    vb_log_warning ("stream reconnect scheduled connection=%d retry_in_ms=%u attempt=%u",
                    slot->conn, delay_ms, vb_backoff_attempt (slot->backoff));
    lws_sul_schedule (slot->actor->context, 0, &slot->reconnect_sul, s_on_reconnect,
                      (lws_usec_t)delay_ms * S_US_PER_MS);
}

//  --------------------------------------------------------------------------
//  The slot's current attempt has ended (error, peer close, death, too
//  large): CLOSED, then the reconnect. The caller has retired or freed the
//  link.

static void
s_slot_attempt_ended (s_slot_t *slot, bool was_open, const char *reason)
{
    s_actor_t *self = slot->actor;
    if (was_open &&
        vb_clock_now_mono_ns () - slot->opened_ns >= (int64_t)S_STABLE_MS * VB_NS_PER_MS)
        vb_backoff_reset (slot->backoff);
    slot->link = NULL;
    if (!self->stopping)
        vb_log_warning ("stream closed connection=%d reason=%s state=%s", slot->conn, reason,
                        was_open ? "open" : "connecting");
    s_emit_closed (self, slot, reason);
    s_slot_end_session (slot);
    s_slot_schedule_reconnect (slot);
}

//  --------------------------------------------------------------------------
//  Drop the slot's current link on our side (death, oversized message) and
//  reconnect.

static void
s_slot_drop (s_slot_t *slot, const char *reason)
{
    s_link_t *link = slot->link;
    bool was_open = link->state == S_LINK_OPEN;
    s_link_retire (link, false);
    s_slot_attempt_ended (slot, was_open, reason);
}

//  --------------------------------------------------------------------------
//  A link went down by itself (error or close from the peer).

static void
s_link_down (s_link_t *link, const char *reason)
{
    if (link->state == S_LINK_FREE || link->state == S_LINK_RETIRING) {
        link->state = S_LINK_FREE;
        s_link_clear (link);
        return;
    }
    s_slot_t *slot = &link->actor->slots[link->conn];
    bool was_open = link->state == S_LINK_OPEN;
    link->state = S_LINK_FREE;
    s_link_clear (link);
    if (slot->link == link)
        s_slot_attempt_ended (slot, was_open, reason);
}

//  --------------------------------------------------------------------------
//  Start a connection attempt for a slot. A failure to start ends the
//  attempt at once (CLOSED, reconnect).

static void
s_slot_connect (s_slot_t *slot)
{
    s_actor_t *self = slot->actor;
    s_link_t *link = NULL;
    for (size_t index = 0; index < S_LINKS_MAX && !link; index++)
        if (self->links[index].state == S_LINK_FREE && !self->links[index].held)
            link = &self->links[index];
    if (!link) {
        vb_log_error ("stream no free link connection=%d", slot->conn);
        s_slot_attempt_ended (slot, false, "no free link");
        return;
    }
    s_link_clear (link);
    link->actor = self;
    link->conn = slot->conn;
    link->state = S_LINK_CONNECTING;
    link->held = true;
    link->wsi = NULL;
    slot->link = link;
    struct lws_client_connect_info info;
    memset (&info, 0, sizeof (info));
    info.context = self->context;
    info.address = slot->host;
    info.port = slot->port;
    info.path = slot->path;
    info.host = slot->host;
    info.origin = slot->host;
    info.ssl_connection = slot->tls ? LCCSCF_USE_SSL : 0;
    info.local_protocol_name = s_protocols[0].name;
    info.opaque_user_data = link;
    vb_log_info ("stream connecting connection=%d url=%s", slot->conn, slot->url);
    struct lws *wsi = lws_client_connect_via_info (&info);
    if (!wsi) {
        //  lws has finished with the link; any callback has already run.
        link->held = false;
        if (slot->link == link && link->state == S_LINK_CONNECTING) {
            link->state = S_LINK_FREE;
            s_slot_attempt_ended (slot, false, "connect failed");
        } else if (link->state != S_LINK_FREE) {
            link->state = S_LINK_FREE;
            s_link_clear (link);
        }
        return;
    }
    if (link->state == S_LINK_CONNECTING)
        link->wsi = wsi;
    else if (link->state == S_LINK_RETIRING) {
        //  Retired while lws_client_connect_via_info ran: kill it now.
        link->wsi = wsi;
        lws_set_timeout (wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

//  --------------------------------------------------------------------------
//  Liveness timer: dead after S_PINGS_UNANSWERED ping intervals without a
//  frame or pong; otherwise ping when due. Runs at the earlier of the next
//  ping and the death line.

static void
s_on_live (lws_sorted_usec_list_t *sul)
{
    s_slot_t *slot = lws_container_of (sul, s_slot_t, live_sul);
    s_actor_t *self = slot->actor;
    s_link_t *link = slot->link;
    if (self->stopping || !link || link->state != S_LINK_OPEN)
        return;
    int64_t ping_ns = self->options.ping_ms * VB_NS_PER_MS;
    int64_t dead_at_ns = slot->last_rx_ns + S_PINGS_UNANSWERED * ping_ns;
    int64_t now = vb_clock_now_mono_ns ();
    if (now >= dead_at_ns) {
        vb_log_warning ("stream dead connection=%d silent_ms=%" PRId64, slot->conn,
                        (now - slot->last_rx_ns) / VB_NS_PER_MS);
        s_slot_drop (slot, "dead");
        return;
    }
    if (now >= slot->ping_at_ns) {
        slot->ping_due = true;
        slot->ping_at_ns = now + ping_ns;
        lws_callback_on_writable (link->wsi);
    }
    int64_t next_ns = slot->ping_at_ns < dead_at_ns ? slot->ping_at_ns : dead_at_ns;
    lws_sul_schedule (self->context, 0, &slot->live_sul, s_on_live,
                      (lws_usec_t)((next_ns - now) / VB_NS_PER_US));
}

//  --------------------------------------------------------------------------
//  A link is established: a new session, OPENED, liveness starts.

static int
s_link_open (s_link_t *link, struct lws *wsi)
{
    s_actor_t *self = link->actor;
    s_slot_t *slot = &self->slots[link->conn];
    if (link->state != S_LINK_CONNECTING || slot->link != link || self->stopping)
        return -1;
    link->wsi = wsi;
    link->state = S_LINK_OPEN;
    s_slot_end_session (slot);
    slot->session = ++self->sessions;
    if (slot->session == 0)
        slot->session = ++self->sessions;  //  0 means "none"
    int64_t now = vb_clock_now_mono_ns ();
    slot->opened_ns = now;
    slot->last_rx_ns = now;
    slot->ping_at_ns = now + self->options.ping_ms * VB_NS_PER_MS;
    lws_sul_schedule (self->context, 0, &slot->live_sul, s_on_live,
                      (lws_usec_t)self->options.ping_ms * S_US_PER_MS);
    vb_log_notice ("stream connected connection=%d url=%s", slot->conn, slot->url);
    s_emit (self, slot, S_WIRE_OPENED, NULL, 0, 0);
    return 0;
}

//  --------------------------------------------------------------------------
//  Append received bytes; report a whole text message as FRAME. Binary
//  messages are dropped; one over frame_max drops the connection.

static int
s_link_receive (s_link_t *link, struct lws *wsi, const char *data, size_t length)
{
    s_actor_t *self = link->actor;
    s_slot_t *slot = &self->slots[link->conn];
    if (link->state == S_LINK_RETIRING)
        return -1;
    if (link->state != S_LINK_OPEN || slot->link != link)
        return 0;
    slot->last_rx_ns = vb_clock_now_mono_ns ();
    if (link->rx_length == 0) {
        link->rx_ns = vb_clock_now_real_ns ();
        link->rx_binary = lws_frame_is_binary (wsi) != 0;
    }
    if (length > self->options.frame_max - link->rx_length) {
        vb_log_warning ("stream message too large connection=%d limit=%zu", slot->conn,
                        self->options.frame_max);
        s_slot_drop (slot, "message too large");
        return -1;
    }
    if (link->rx_length + length + 1 > link->rx_capacity) {
        size_t capacity = link->rx_capacity ? link->rx_capacity : S_RX_CHUNK;
        while (capacity < link->rx_length + length + 1)
            capacity *= 2;
        char *rx = (char *)realloc (link->rx, capacity);
        if (!rx) {
            vb_log_error ("stream out of memory connection=%d bytes=%zu", slot->conn, capacity);
            s_slot_drop (slot, "out of memory");
            return -1;
        }
        link->rx = rx;
        link->rx_capacity = capacity;
    }
    if (length)
        memcpy (link->rx + link->rx_length, data, length);
    link->rx_length += length;
    link->rx[link->rx_length] = 0;
    if (!lws_is_final_fragment (wsi) || lws_remaining_packet_payload (wsi) > 0)
        return 0;
    size_t message_length = link->rx_length;
    link->rx_length = 0;
    if (link->rx_binary) {
        vb_log_warning ("stream binary message dropped connection=%d bytes=%zu", slot->conn,
                        message_length);
        return 0;
    }
    s_emit (self, slot, S_WIRE_FRAME, link->rx, message_length, link->rx_ns);
    return 0;
}

//  --------------------------------------------------------------------------
//  Write a ping, a close frame or one queued message. WRITTEN tells the loop
//  when the queue has drained.

static int
s_link_writeable (s_link_t *link, struct lws *wsi)
{
    s_actor_t *self = link->actor;
    s_slot_t *slot = &self->slots[link->conn];
    if (link->state == S_LINK_RETIRING) {
        if (link->close_polite)
            lws_close_reason (wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (link->state != S_LINK_OPEN || slot->link != link)
        return 0;
    if (slot->ping_due) {
        unsigned char ping[LWS_PRE + 1];
        slot->ping_due = false;
        if (lws_write (wsi, ping + LWS_PRE, 0, LWS_WRITE_PING) < 0)
            return -1;
        if (zlist_size (slot->queue))
            lws_callback_on_writable (wsi);
        return 0;
    }
    zframe_t *frame = (zframe_t *)zlist_pop (slot->queue);
    if (!frame)
        return 0;
    int written = lws_write (wsi, zframe_data (frame) + LWS_PRE, zframe_size (frame) - LWS_PRE,
                             LWS_WRITE_TEXT);
    zframe_destroy (&frame);
    slot->taken++;
    if (written < 0)
        return -1;
    size_t every = self->options.queue_max / S_WRITTEN_PARTS;
    if (zlist_size (slot->queue))
        lws_callback_on_writable (wsi);
    if (zlist_size (slot->queue) == 0 || every == 0 || slot->taken % every == 0)
        s_emit (self, slot, S_WIRE_WRITTEN, NULL, 0, 0);
    return 0;
}

//  --------------------------------------------------------------------------
//  Close the slot's connection on purpose (CLOSE, or OPEN on a slot in use):
//  CLOSED with the reason, no reconnect.

static void
s_slot_shut (s_slot_t *slot, const char *reason)
{
    if (slot->link)
        s_link_retire (slot->link, true);
    slot->link = NULL;
    lws_sul_cancel (&slot->reconnect_sul);
    s_emit_closed (slot->actor, slot, reason);
    s_slot_end_session (slot);
    slot->in_use = false;
    vb_log_info ("stream closed on purpose connection=%d reason=%s", slot->conn, reason);
}

//  --------------------------------------------------------------------------
//  Handle one command from the loop side.

static void
s_handle_command (s_actor_t *self, zmsg_t *msg)
{
    zframe_t *head = zmsg_first (msg);
    s_wire_t wire;
    assert (zframe_size (head) == sizeof (wire));
    memcpy (&wire, zframe_data (head), sizeof (wire));
    if (wire.kind == S_WIRE_STOP) {
        self->stopping = true;
        return;
    }
    assert (wire.conn >= 0 && wire.conn < RT_STREAM_CONNECTIONS_MAX);
    s_slot_t *slot = &self->slots[wire.conn];
    switch (wire.kind) {
        case S_WIRE_OPEN: {
            zframe_t *url = zmsg_next (msg);
            assert (url && zframe_size (url) > 0 && zframe_size (url) <= RT_STREAM_URL_MAX);
            slot->epoch = wire.epoch;
            if (slot->in_use)
                s_slot_shut (slot, "reopened");
            memcpy (slot->url, zframe_data (url), zframe_size (url));
            slot->url[RT_STREAM_URL_MAX - 1] = 0;
            if (s_parse_url (slot->url, slot->host, &slot->port, &slot->path, &slot->tls) != 0) {
                //  The loop side checked it: only a programming error lands here.
                s_emit_closed (self, slot, "bad url");
                break;
            }
            slot->in_use = true;
            vb_backoff_reset (slot->backoff);
            s_slot_connect (slot);
            break;
        }
        case S_WIRE_SEND: {
            zframe_t *text = zmsg_next (msg);
            assert (text && zframe_size (text) >= LWS_PRE);
            if (!slot->link || slot->link->state != S_LINK_OPEN || slot->session == 0 ||
                wire.session != slot->session) {
                vb_log_debug ("stream send dropped connection=%d session=%u", wire.conn,
                              wire.session);
                break;
            }
            if (zlist_size (slot->queue) >= self->options.queue_max) {
                //  The loop side bounds what it has in flight, so this is a
                //  backstop only.
                vb_log_warning ("stream send queue full connection=%d", wire.conn);
                break;
            }
            zmsg_remove (msg, text);
            zlist_append (slot->queue, text);
            lws_callback_on_writable (slot->link->wsi);
            break;
        }
        case S_WIRE_CLOSE:
            if (slot->in_use) {
                slot->epoch = wire.epoch;
                s_slot_shut (slot, "closed");
            }
            break;
        default:
            assert (false);
            break;
    }
}

//  --------------------------------------------------------------------------
//  Read every command waiting, without blocking. Stops at STOP. ($TERM
//  without STOP is not how rt_stream_destroy ends us, but is obeyed.)

static void
s_drain (s_actor_t *self)
{
    while (!self->stopping && (zsock_events (self->channel) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv (self->channel);
        if (!msg)
            break;
        s_handle_command (self, msg);
        zmsg_destroy (&msg);
    }
    if (!self->stopping && (zsock_events (self->pipe) & ZMQ_POLLIN)) {
        zmsg_t *msg = zmsg_recv (self->pipe);
        if (msg && zframe_streq (zmsg_first (msg), S_TERM))
            self->term_seen = self->stopping = true;
        zmsg_destroy (&msg);
    }
}

//  --------------------------------------------------------------------------
//  The one lws callback.

static int
s_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        s_actor_t *self = (s_actor_t *)lws_context_user (lws_get_context (wsi));
        if (self)
            s_drain (self);
        return 0;
    }
    s_link_t *link = (s_link_t *)lws_get_opaque_user_data (wsi);
    if (!link)
        return 0;
    switch (reason) {
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            return s_link_open (link, wsi);
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
            //  lws passes its reason as text in `in` (len bytes, or a C
            //  string when len is 0).
            char text[RT_STREAM_REASON_MAX] = "connection error";
            if (in) {
                size_t length = len ? len : strnlen ((const char *)in, sizeof (text) - 1);
                if (length > sizeof (text) - 1)
                    length = sizeof (text) - 1;
                if (length) {
                    memcpy (text, in, length);
                    text[length] = 0;
                }
            }
            link->wsi = NULL;
            s_link_down (link, text);
            break;
        }
        case LWS_CALLBACK_CLIENT_CLOSED:
            link->wsi = NULL;
            s_link_down (link, "closed by peer");
            break;
        case LWS_CALLBACK_WSI_DESTROY:
            link->wsi = NULL;
            s_link_down (link, "connection lost");
            link->held = false;
            break;
        case LWS_CALLBACK_CLIENT_RECEIVE:
            return s_link_receive (link, wsi, (const char *)in, len);
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
            if (link->state == S_LINK_OPEN)
                link->actor->slots[link->conn].last_rx_ns = vb_clock_now_mono_ns ();
            break;
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return s_link_writeable (link, wsi);
        default:
            break;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Destroy the actor state: lws closes every wsi (callbacks see stopping).

static void
s_actor_destroy (s_actor_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        s_actor_t *self = *self_p;
        self->stopping = true;
        if (self->context) {
            for (size_t index = 0; index < RT_STREAM_CONNECTIONS_MAX; index++) {
                lws_sul_cancel (&self->slots[index].reconnect_sul);
                lws_sul_cancel (&self->slots[index].live_sul);
            }
            lws_context_destroy (self->context);
        }
        for (size_t index = 0; index < S_LINKS_MAX; index++)
            s_link_clear (&self->links[index]);
        for (size_t index = 0; index < RT_STREAM_CONNECTIONS_MAX; index++) {
            s_slot_t *slot = &self->slots[index];
            s_slot_drop_queue (slot);
            zlist_destroy (&slot->queue);
            vb_backoff_destroy (&slot->backoff);
        }
        zsock_destroy (&self->channel);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The CA bundle: the configured one, else the system's (SSL_CERT_FILE,
//  else OpenSSL's default file). lws on its own would look in a directory
//  fixed at its build (Debian's: "../share"), where no CAs are.

static const char *
s_ca_file (const char *configured)
{
    if (configured && *configured)
        return configured;
    const char *system = getenv (X509_get_default_cert_file_env ());
    if (!system || !*system)
        system = X509_get_default_cert_file ();
    if (access (system, R_OK) == 0)
        return system;
    vb_log_warning ("stream found no system CA bundle ca_file=%s", system);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Create the actor state and its lws context; NULL on failure (logged).

static s_actor_t *
s_actor_new (zsock_t *pipe, const s_boot_t *boot)
{
    s_actor_t *self = (s_actor_t *)zmalloc (sizeof (s_actor_t));
    self->pipe = pipe;
    self->options = *boot->options;
    const rt_stream_options_t *options = &self->options;
    self->channel = zsock_new (ZMQ_PAIR);
    if (self->channel) {
        zsock_set_sndhwm (self->channel, 0);
        zsock_set_rcvhwm (self->channel, 0);
    }
    if (!self->channel || zsock_connect (self->channel, "%s", boot->endpoint) != 0) {
        vb_log_error ("stream cannot connect its channel endpoint=%s", boot->endpoint);
        s_actor_destroy (&self);
        return NULL;
    }
    uint64_t seed = (uint64_t)vb_clock_now_real_ns () ^ ((uint64_t)getpid () << 32);
    for (int index = 0; index < RT_STREAM_CONNECTIONS_MAX; index++) {
        s_slot_t *slot = &self->slots[index];
        slot->actor = self;
        slot->conn = index;
        slot->queue = zlist_new ();
        slot->backoff = vb_backoff_new ((uint32_t)options->backoff_min_ms,
                                        (uint32_t)options->backoff_max_ms, seed + (uint64_t)index);
        if (!slot->queue || !slot->backoff) {
            vb_log_error ("stream cannot create its connection state");
            s_actor_destroy (&self);
            return NULL;
        }
    }
    lws_set_log_level (LLL_ERR | LLL_WARN, vb_log_lws_emit);
    struct lws_context_creation_info info;
    memset (&info, 0, sizeof (info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = s_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = self;
    info.timeout_secs = S_CONNECT_TIMEOUT_S;
    info.gid = -1;
    info.uid = -1;
    info.client_ssl_ca_filepath = s_ca_file (options->ca_file);
    self->context = lws_create_context (&info);
    if (!self->context) {
        vb_log_error ("stream cannot create the lws context");
        s_actor_destroy (&self);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  The actor: service lws until STOP; then wait for $TERM before the
//  context goes (the loop side may call lws_cancel_service until it sends
//  $TERM).

static void
s_actor (zsock_t *pipe, void *args)
{
    s_boot_t *boot = (s_boot_t *)args;
    s_actor_t *self = s_actor_new (pipe, boot);
    boot->context = self ? self->context : NULL;
    zsock_signal (pipe, 0);
    if (!self)
        return;
    while (!self->stopping) {
        if (lws_service (self->context, 0) < 0) {
            vb_log_error ("stream service loop failed");
            for (size_t index = 0; index < RT_STREAM_CONNECTIONS_MAX; index++)
                if (self->slots[index].in_use)
                    s_emit_closed (self, &self->slots[index], "stream thread failed");
            break;
        }
        s_drain (self);
    }
    self->stopping = true;
    while (!self->term_seen) {
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg) {
            if (zmq_errno () == EINTR)
                continue;  //  A signal: $TERM is still to come
            break;         //  The pipe is gone: nobody can wake us any more
        }
        if (zframe_streq (zmsg_first (msg), S_TERM))
            self->term_seen = true;
        zmsg_destroy (&msg);
    }
    s_actor_destroy (&self);
}

//  ==========================================================================
//  The loop side

//  What the loop side knows of one connection.
typedef struct {
    bool open;         //  Last event read said OPENED
    uint32_t epoch;    //  open/close calls so far
    uint32_t session;  //  From the OPENED read
    uint64_t sent;     //  Messages sent this session
    uint64_t written;  //  Messages the thread took off its queue this session
} s_view_t;

struct _rt_stream_t {
    zactor_t *actor;              //  The lws thread
    zsock_t *channel;             //  Commands out, events in
    struct lws_context *context;  //  Its context: lws_cancel_service only
    rt_stream_options_t options;  //  Resolved
    char *ca_file;                //  Copy of options.ca_file, or NULL
    s_view_t views[RT_STREAM_CONNECTIONS_MAX];
    zmsg_t *event;  //  Holds the text of the last event
};

//  --------------------------------------------------------------------------
//  Send a command and wake the thread.

static int
s_command (rt_stream_t *self, zmsg_t **msg_p)
{
    if (zmsg_send (msg_p, self->channel) != 0) {
        zmsg_destroy (msg_p);
        return VB_EIO;
    }
    lws_cancel_service (self->context);
    return 0;
}

//  --------------------------------------------------------------------------
//  A command message with its fixed frame.

static zmsg_t *
s_command_new (s_wire_kind_t kind, int conn, uint32_t epoch, uint32_t session)
{
    s_wire_t wire = {.kind = kind, .conn = conn, .epoch = epoch, .session = session};
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, &wire, sizeof (wire));
    return msg;
}

//  --------------------------------------------------------------------------
//  Start the thread.

rt_stream_t *
rt_stream_new (const rt_stream_options_t *options)
{
    rt_stream_options_t resolved;
    memset (&resolved, 0, sizeof (resolved));
    if (options)
        resolved = *options;
    if (resolved.ping_ms < 0 || resolved.backoff_min_ms < 0 || resolved.backoff_max_ms < 0 ||
        resolved.ping_ms > INT32_MAX || resolved.backoff_max_ms > UINT32_MAX ||
        resolved.frame_max > RT_STREAM_FRAME_MAX_LIMIT) {
        vb_log_error ("stream options out of range");
        return NULL;
    }
    if (resolved.ping_ms == 0)
        resolved.ping_ms = RT_STREAM_PING_DEFAULT_MS;
    if (resolved.backoff_min_ms == 0)
        resolved.backoff_min_ms = RT_STREAM_BACKOFF_MIN_DEFAULT_MS;
    if (resolved.backoff_max_ms == 0)
        resolved.backoff_max_ms = RT_STREAM_BACKOFF_MAX_DEFAULT_MS;
    if (resolved.frame_max == 0)
        resolved.frame_max = RT_STREAM_FRAME_MAX_DEFAULT;
    if (resolved.queue_max == 0)
        resolved.queue_max = RT_STREAM_QUEUE_MAX_DEFAULT;
    if (resolved.backoff_max_ms < resolved.backoff_min_ms) {
        vb_log_error ("stream options out of range backoff_min_ms=%" PRId64
                      " backoff_max_ms=%" PRId64,
                      resolved.backoff_min_ms, resolved.backoff_max_ms);
        return NULL;
    }
    if (resolved.ca_file && *resolved.ca_file && access (resolved.ca_file, R_OK) != 0) {
        vb_log_error ("stream cannot read the CA file ca_file=%s", resolved.ca_file);
        return NULL;
    }
    rt_stream_t *self = (rt_stream_t *)zmalloc (sizeof (rt_stream_t));
    if (resolved.ca_file && *resolved.ca_file) {
        self->ca_file = strdup (resolved.ca_file);
        if (!self->ca_file) {
            rt_stream_destroy (&self);
            return NULL;
        }
    }
    resolved.ca_file = self->ca_file;
    self->options = resolved;
    char endpoint[S_ENDPOINT_MAX];
    snprintf (endpoint, sizeof (endpoint), "inproc://rt-stream-%p", (void *)self);
    self->channel = zsock_new (ZMQ_PAIR);
    if (self->channel) {
        zsock_set_sndhwm (self->channel, 0);
        zsock_set_rcvhwm (self->channel, 0);
    }
    if (!self->channel || zsock_bind (self->channel, "%s", endpoint) != 0) {
        vb_log_error ("stream cannot bind its channel endpoint=%s", endpoint);
        rt_stream_destroy (&self);
        return NULL;
    }
    s_boot_t boot = {.options = &self->options, .endpoint = endpoint, .context = NULL};
    self->actor = zactor_new (s_actor, &boot);
    if (!self->actor || !boot.context) {
        rt_stream_destroy (&self);
        return NULL;
    }
    self->context = boot.context;
    return self;
}

//  --------------------------------------------------------------------------
//  Stop the thread and free everything.

void
rt_stream_destroy (rt_stream_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        rt_stream_t *self = *self_p;
        if (self->actor && self->context) {
            //  STOP, wake, then $TERM (zactor_destroy): after $TERM we never
            //  touch the context, and the thread frees it only after $TERM.
            zmsg_t *msg = s_command_new (S_WIRE_STOP, 0, 0, 0);
            s_command (self, &msg);
        }
        zactor_destroy (&self->actor);
        zsock_destroy (&self->channel);
        zmsg_destroy (&self->event);
        free (self->ca_file);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Connect a connection to url.

int
rt_stream_open (rt_stream_t *self, int conn, const char *url)
{
    assert (self);
    if (conn < 0 || conn >= RT_STREAM_CONNECTIONS_MAX || s_parse_url (url, NULL, NULL, NULL, NULL))
        return VB_EINVAL;
    s_view_t *view = &self->views[conn];
    view->epoch++;
    view->open = false;
    view->session = 0;
    zmsg_t *msg = s_command_new (S_WIRE_OPEN, conn, view->epoch, 0);
    zmsg_addmem (msg, url, strlen (url) + 1);
    return s_command (self, &msg);
}

//  --------------------------------------------------------------------------
//  Queue a text message on an open connection.

int
rt_stream_send (rt_stream_t *self, int conn, const char *text, size_t length)
{
    assert (self);
    if (conn < 0 || conn >= RT_STREAM_CONNECTIONS_MAX || !text)
        return VB_EINVAL;
    if (length > self->options.frame_max)
        return VB_ELIMIT;
    s_view_t *view = &self->views[conn];
    if (!view->open)
        return VB_ESTATE;
    if (view->sent - view->written >= self->options.queue_max)
        return VB_ELIMIT;
    zmsg_t *msg = s_command_new (S_WIRE_SEND, conn, view->epoch, view->session);
    zframe_t *frame = zframe_new (NULL, LWS_PRE + length);
    if (length)
        memcpy (zframe_data (frame) + LWS_PRE, text, length);
    zmsg_append (msg, &frame);
    int rc = s_command (self, &msg);
    if (rc == 0)
        view->sent++;
    return rc;
}

//  --------------------------------------------------------------------------
//  Close a connection for good.

int
rt_stream_close (rt_stream_t *self, int conn)
{
    assert (self);
    if (conn < 0 || conn >= RT_STREAM_CONNECTIONS_MAX)
        return VB_EINVAL;
    s_view_t *view = &self->views[conn];
    view->epoch++;
    view->open = false;
    view->session = 0;
    zmsg_t *msg = s_command_new (S_WIRE_CLOSE, conn, view->epoch, 0);
    return s_command (self, &msg);
}

//  --------------------------------------------------------------------------
//  The socket to poll.

void *
rt_stream_socket (rt_stream_t *self)
{
    assert (self);
    return zsock_resolve (self->channel);
}

//  --------------------------------------------------------------------------
//  Read one event without blocking. WRITTEN is consumed here; so is an
//  OPENED from before the latest open/close (the connection it names is
//  gone).

int
rt_stream_event (rt_stream_t *self, rt_stream_event_t *event)
{
    assert (self);
    assert (event);
    while (true) {
        zmsg_destroy (&self->event);
        if (!(zsock_events (self->channel) & ZMQ_POLLIN))
            return VB_EAGAIN;
        zmsg_t *msg = zmsg_recv (self->channel);
        if (!msg)
            return VB_EAGAIN;
        self->event = msg;
        zframe_t *head = zmsg_first (msg);
        s_wire_t wire;
        assert (head && zframe_size (head) == sizeof (wire));
        memcpy (&wire, zframe_data (head), sizeof (wire));
        assert (wire.conn >= 0 && wire.conn < RT_STREAM_CONNECTIONS_MAX);
        s_view_t *view = &self->views[wire.conn];
        bool current = wire.epoch == view->epoch;
        memset (event, 0, sizeof (*event));
        event->conn = wire.conn;
        zframe_t *text = zmsg_next (msg);
        if (text) {
            assert (zframe_size (text) >= 1);
            event->text = (const char *)zframe_data (text);
            event->length = zframe_size (text) - 1;
        } else
            event->text = "";
        switch (wire.kind) {
            case S_WIRE_WRITTEN:
                if (current && view->open && wire.session == view->session)
                    view->written = wire.count;
                continue;
            case S_WIRE_OPENED:
                if (!current)
                    continue;
                view->open = true;
                view->session = wire.session;
                view->sent = view->written = 0;
                event->kind = RT_STREAM_OPENED;
                return 0;
            case S_WIRE_FRAME:
                event->kind = RT_STREAM_FRAME;
                event->recv_ns = wire.recv_ns;
                return 0;
            case S_WIRE_CLOSED:
                if (current) {
                    view->open = false;
                    view->session = 0;
                }
                event->kind = RT_STREAM_CLOSED;
                return 0;
            default:
                assert (false);
                continue;
        }
    }
}

//  --------------------------------------------------------------------------
//  True when the connection is open, as last read.

bool
rt_stream_is_open (rt_stream_t *self, int conn)
{
    assert (self);
    if (conn < 0 || conn >= RT_STREAM_CONNECTIONS_MAX)
        return false;
    return self->views[conn].open;
}
