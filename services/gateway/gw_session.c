/*  gw_session.c — WebSocket connections: connect, frames, liveness, rollover.

    Each connection index (a "slot") has up to two live links: the active
    one, and during a rollover its replacement. Links live in a fixed pool
    that is only freed with the session, because libwebsockets may call back
    with a link pointer (its opaque user data) until it destroys the wsi
    (LWS_CALLBACK_WSI_DESTROY): a link is reused only after that ("held"
    cleared), so every callback for a link concerns its current wsi.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <libwebsockets.h>
#include <unistd.h>

#include "gw_session.h"
#include "vb_backoff.h"
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_log.h"

//  Links in the pool per connection: active, replacement, and some closing.
#define GW_LINKS_PER_SLOT 6
#define GW_LINKS_MAX      (VB_MD_CONNECTIONS_MAX * GW_LINKS_PER_SLOT)
//  lws receive buffer per read.
#define GW_RX_CHUNK 65536
//  Longest host name in a URL.
#define GW_HOST_MAX 256
//  Largest rollover margin as a fraction of the lifetime (1/10).
#define GW_ROLLOVER_FRACTION 10
//  Stale bound when neither the venue nor the operator gives one.
#define GW_STALE_DEFAULT_MS 30000
//  Pings that may go unanswered before a connection is dead.
#define GW_PINGS_UNANSWERED 2
//  Default ports.
#define GW_PORT_WS  80
#define GW_PORT_WSS 443

typedef enum {
    S_LINK_FREE = 0,        //  Not connected (maybe still held by lws)
    S_LINK_CONNECTING = 1,  //  Connect or handshake in progress
    S_LINK_OPEN = 2,        //  Established
    S_LINK_RETIRING = 3,    //  Closed on purpose; events are ignored
} s_link_state_t;

//  One queued outgoing message: LWS_PRE bytes of headroom, then the text.
typedef struct {
    size_t length;  //  Text bytes
    unsigned char data[];
} s_out_t;

typedef struct {
    gw_session_t *session;   //  Back pointer for callbacks
    size_t slot;             //  Connection index
    s_link_state_t state;    //  See above
    bool held;               //  lws may still call back (until WSI_DESTROY)
    struct lws *wsi;         //  Current wsi, NULL when none
    char *rx;                //  Message being reassembled (NUL-terminated)
    size_t rx_length;        //  Bytes in rx
    size_t rx_capacity;      //  Allocated
    int64_t rx_ts_ns;        //  Realtime of the message's first fragment
    bool rx_binary;          //  The message is binary (ignored)
    int64_t opened_ns;       //  Monotonic time it opened
    int64_t last_rx_ns;      //  Monotonic time of the last frame or pong (liveness)
    int64_t last_frame_ns;   //  Monotonic time of the last data frame (staleness)
    int64_t ping_at_ns;      //  Next WebSocket ping
    int64_t app_ping_at_ns;  //  Next application ping
    bool ping_due;           //  Write a ping at the next writeable
    zlist_t *queue;          //  s_out_t waiting to be written
    bool subscribed;         //  Opened ran and its queue has drained since
} s_link_t;

typedef struct {
    vb_md_connection_t connection;  //  What the adapter asked for
    char host[GW_HOST_MAX];         //  Parsed from the URL
    int port;
    const char *path;           //  Into connection.url
    bool tls;                   //  wss://
    s_link_t *active;           //  Carries the index, or NULL
    s_link_t *replacement;      //  Rollover in progress, or NULL
    vb_backoff_t *backoff;      //  Reconnect delays
    int64_t reconnect_at_ns;    //  Monotonic time to reconnect (0 = none)
    int64_t rollover_retry_ns;  //  Earliest next rollover attempt
    int64_t next_send_ns;       //  Earliest next message (rate limit)
    int64_t send_interval_ns;   //  1 s / max_messages_per_s (0 = none)
    int64_t stale_ns;           //  Stale bound
    bool ever_opened;           //  Opened at least once
} s_slot_t;

struct _gw_session_t {
    const gw_settings_t *settings;    //  Borrowed
    vb_md_t *adapter;                 //  Borrowed
    gw_session_hooks_t hooks;         //  Copied
    struct lws_context *context;      //  The one lws context
    lws_sorted_usec_list_t tick_sul;  //  Housekeeping timer
    s_slot_t slots[VB_MD_CONNECTIONS_MAX];
    size_t slot_count;
    s_link_t links[GW_LINKS_MAX];
    bool stopping;  //  Teardown: no callbacks into the adapter
};

static int s_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len);

static const struct lws_protocols s_protocols[] = {
    {"venuebus-gateway", s_callback, 0, GW_RX_CHUNK, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};

//  --------------------------------------------------------------------------
//  Parse ws[s]://host[:port][/path] into the slot. Returns 0 or -1.

static int
s_parse_url (s_slot_t *slot)
{
    const char *url = slot->connection.url;
    const char *rest;
    if (strncmp (url, "wss://", 6) == 0) {
        slot->tls = true;
        rest = url + 6;
    } else if (strncmp (url, "ws://", 5) == 0) {
        slot->tls = false;
        rest = url + 5;
    } else
        return -1;
    const char *host_end;
    const char *host = rest;
    if (*rest == '[') {  //  [v6]
        host = rest + 1;
        host_end = strchr (host, ']');
        if (!host_end)
            return -1;
        rest = host_end + 1;
    } else {
        host_end = rest + strcspn (rest, ":/?");
        rest = host_end;
    }
    size_t host_length = (size_t)(host_end - host);
    if (host_length == 0 || host_length >= sizeof (slot->host))
        return -1;
    memcpy (slot->host, host, host_length);
    slot->host[host_length] = 0;
    slot->port = slot->tls ? GW_PORT_WSS : GW_PORT_WS;
    if (*rest == ':') {
        char *end;
        long port = strtol (rest + 1, &end, 10);
        if (end == rest + 1 || port < 1 || port > 65535)
            return -1;
        slot->port = (int)port;
        rest = end;
    }
    if (*rest != '/' && *rest != '?' && *rest != 0)
        return -1;
    slot->path = *rest == '/' ? rest : "/";
    return 0;
}

//  --------------------------------------------------------------------------
//  Drop a link's queue and receive buffer.

static void
s_link_clear (s_link_t *link)
{
    s_out_t *out;
    while (link->queue && (out = (s_out_t *)zlist_pop (link->queue)))
        free (out);
    free (link->rx);
    link->rx = NULL;
    link->rx_length = link->rx_capacity = 0;
    link->subscribed = false;
    link->ping_due = false;
}

//  --------------------------------------------------------------------------
//  Start a connection for a slot; returns the link or NULL (logged).

static s_link_t *
s_connect (gw_session_t *self, size_t index)
{
    s_slot_t *slot = &self->slots[index];
    s_link_t *link = NULL;
    for (size_t i = 0; i < GW_LINKS_MAX && !link; i++)
        if (self->links[i].state == S_LINK_FREE && !self->links[i].held)
            link = &self->links[i];
    if (!link) {
        vb_log_error ("ws no free link connection=%zu", index);
        return NULL;
    }
    s_link_clear (link);
    link->session = self;
    link->slot = index;
    link->state = S_LINK_CONNECTING;
    link->held = true;
    link->wsi = NULL;
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
    vb_log_info ("ws connecting connection=%zu url=%s", index, slot->connection.url);
    struct lws *wsi = lws_client_connect_via_info (&info);
    if (!wsi) {
        //  lws has finished with it (any callback already ran).
        link->held = false;
        if (link->state == S_LINK_CONNECTING) {
            link->state = S_LINK_FREE;
            vb_log_warning ("ws connect failed connection=%zu url=%s", index, slot->connection.url);
        }
        return NULL;
    }
    if (link->state == S_LINK_CONNECTING)
        link->wsi = wsi;
    return link;
}

//  --------------------------------------------------------------------------
//  Schedule the slot's reconnect after the next backoff delay.

static void
s_schedule_reconnect (s_slot_t *slot, size_t index)
{
    uint32_t delay_ms = vb_backoff_next_ms (slot->backoff);
    slot->reconnect_at_ns = vb_clock_now_mono_ns () + (int64_t)delay_ms * VB_NS_PER_MS;
    if (slot->reconnect_at_ns == 0)
        slot->reconnect_at_ns = 1;
    vb_log_warning ("ws reconnect scheduled connection=%zu retry_in_ms=%u attempt=%u", index,
                    delay_ms, vb_backoff_attempt (slot->backoff));
}

//  --------------------------------------------------------------------------
//  Tell the adapter the slot's books broke, with the core told why.

static void
s_adapter_closed (gw_session_t *self, size_t index, const char *reason)
{
    if (self->hooks.breaking)
        self->hooks.breaking (self->hooks.ctx, index, reason);
    self->adapter->ops->closed (self->adapter, index);
    if (self->hooks.breaking)
        self->hooks.breaking (self->hooks.ctx, index, NULL);
}

//  --------------------------------------------------------------------------
//  Close a link on purpose: lws closes it asynchronously; its later events
//  are ignored.

static void
s_retire (s_link_t *link)
{
    link->state = S_LINK_RETIRING;
    s_link_clear (link);
    if (link->wsi)
        lws_set_timeout (link->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

//  --------------------------------------------------------------------------
//  The active link of a slot is gone (closed, failed or stale): break its
//  books, schedule the reconnect.

static void
s_active_down (gw_session_t *self, s_slot_t *slot, const char *reason)
{
    s_link_t *link = slot->active;
    size_t index = link->slot;
    bool was_open = link->state == S_LINK_OPEN;
    int64_t now = vb_clock_now_mono_ns ();
    if (was_open && now - link->opened_ns >= self->settings->stable_ms * VB_NS_PER_MS)
        vb_backoff_reset (slot->backoff);
    slot->active = NULL;
    if (!self->stopping) {
        if (was_open)
            s_adapter_closed (self, index, reason);
        s_schedule_reconnect (slot, index);
    }
}

//  --------------------------------------------------------------------------
//  A link went down by itself (error or close from the peer).

static void
s_link_down (s_link_t *link, const char *why)
{
    gw_session_t *self = link->session;
    if (link->state == S_LINK_FREE || link->state == S_LINK_RETIRING) {
        link->state = S_LINK_FREE;
        return;
    }
    s_slot_t *slot = &self->slots[link->slot];
    if (!self->stopping)
        vb_log_warning ("ws closed connection=%zu reason=%s state=%s", link->slot, why,
                        link->state == S_LINK_OPEN ? "open" : "connecting");
    if (slot->replacement == link) {
        slot->replacement = NULL;
        slot->rollover_retry_ns =
            vb_clock_now_mono_ns () + (int64_t)vb_backoff_next_ms (slot->backoff) * VB_NS_PER_MS;
        link->state = S_LINK_FREE;
        s_link_clear (link);
        return;
    }
    if (slot->active == link)
        s_active_down (self, slot, "reconnect");
    link->state = S_LINK_FREE;
    s_link_clear (link);
}

//  --------------------------------------------------------------------------
//  A link is established: either the slot's (re)connection, or the
//  replacement of a rollover, which takes over the index now.

static void
s_link_open (s_link_t *link)
{
    gw_session_t *self = link->session;
    s_slot_t *slot = &self->slots[link->slot];
    int64_t now = vb_clock_now_mono_ns ();
    link->state = S_LINK_OPEN;
    link->opened_ns = now;
    link->last_rx_ns = now;
    link->last_frame_ns = now;
    link->ping_at_ns = now + self->settings->ws_ping_ms * VB_NS_PER_MS;
    link->app_ping_at_ns = now + slot->connection.app_ping_ms * VB_NS_PER_MS;
    if (!link->queue)
        link->queue = zlist_new ();
    if (self->stopping)
        return;
    bool rollover = slot->replacement == link;
    bool reopened = slot->ever_opened;
    if (!rollover && slot->active != link) {
        s_retire (link);  //  Neither the slot's link nor its replacement: stray
        return;
    }
    if (rollover) {
        s_link_t *old = slot->active;
        slot->replacement = NULL;
        slot->active = link;
        if (old) {
            s_retire (old);
            s_adapter_closed (self, link->slot, "rollover");
        }
        vb_log_notice ("ws rolled over connection=%zu", link->slot);
    } else
        vb_log_notice ("ws connected connection=%zu url=%s", link->slot, slot->connection.url);
    slot->ever_opened = true;
    int rc = self->adapter->ops->opened (self->adapter, link->slot);
    if (rc < 0)
        vb_log_warning ("adapter refused an opened connection connection=%zu error=%s", link->slot,
                        vb_strerror (rc));
    if (zlist_size (link->queue) == 0)
        link->subscribed = true;
    else
        lws_callback_on_writable (link->wsi);
    if (reopened && self->hooks.reopened)
        self->hooks.reopened (self->hooks.ctx, link->slot);
}

//  --------------------------------------------------------------------------
//  Append received bytes; hand a whole text message to the adapter.

static int
s_link_receive (s_link_t *link, struct lws *wsi, const char *data, size_t length)
{
    gw_session_t *self = link->session;
    if (link->state != S_LINK_OPEN)
        return 0;
    link->last_rx_ns = vb_clock_now_mono_ns ();
    link->last_frame_ns = link->last_rx_ns;
    if (link->rx_length == 0) {
        link->rx_ts_ns = vb_clock_now_real_ns ();
        link->rx_binary = lws_frame_is_binary (wsi);
    }
    if (link->rx_length + length + 1 > self->settings->frame_max) {
        vb_log_warning ("ws message too large connection=%zu limit=%zu", link->slot,
                        self->settings->frame_max);
        s_slot_t *slot = &self->slots[link->slot];
        if (slot->active == link)
            s_active_down (self, slot, "reconnect");
        s_retire (link);
        return 0;
    }
    if (link->rx_length + length + 1 > link->rx_capacity) {
        size_t capacity = link->rx_capacity ? link->rx_capacity : GW_RX_CHUNK;
        while (capacity < link->rx_length + length + 1)
            capacity *= 2;
        char *rx = (char *)realloc (link->rx, capacity);
        if (!rx)
            return -1;
        link->rx = rx;
        link->rx_capacity = capacity;
    }
    memcpy (link->rx + link->rx_length, data, length);
    link->rx_length += length;
    link->rx[link->rx_length] = 0;
    if (!lws_is_final_fragment (wsi) || lws_remaining_packet_payload (wsi) > 0)
        return 0;
    size_t message_length = link->rx_length;
    link->rx_length = 0;
    if (link->rx_binary) {
        if (self->hooks.frame_failed)
            self->hooks.frame_failed (self->hooks.ctx, link->slot, VB_ETYPE);
        return 0;
    }
    if (self->slots[link->slot].active != link || self->stopping)
        return 0;  //  A rollover replacement before the switch, or teardown
    if (self->hooks.received)
        self->hooks.received (self->hooks.ctx, link->rx_ts_ns);
    int rc = self->adapter->ops->frame (self->adapter, link->slot, link->rx, message_length,
                                        link->rx_ts_ns);
    if (rc < 0 && self->hooks.frame_failed)
        self->hooks.frame_failed (self->hooks.ctx, link->slot, rc);
    return 0;
}

//  --------------------------------------------------------------------------
//  Write a ping or one queued message, within the slot's message rate.

static int
s_link_writeable (s_link_t *link, struct lws *wsi)
{
    gw_session_t *self = link->session;
    if (link->state == S_LINK_RETIRING)
        return -1;
    if (link->state != S_LINK_OPEN)
        return 0;
    if (link->ping_due) {
        unsigned char ping[LWS_PRE + 1];
        link->ping_due = false;
        if (lws_write (wsi, ping + LWS_PRE, 0, LWS_WRITE_PING) < 0)
            return -1;
        if (zlist_size (link->queue))
            lws_callback_on_writable (wsi);
        return 0;
    }
    s_slot_t *slot = &self->slots[link->slot];
    s_out_t *out = (s_out_t *)zlist_first (link->queue);
    if (!out)
        return 0;
    int64_t now = vb_clock_now_mono_ns ();
    if (now < slot->next_send_ns)
        return 0;  //  The tick asks for writeable again once the rate allows
    zlist_pop (link->queue);
    int written = lws_write (wsi, out->data + LWS_PRE, out->length, LWS_WRITE_TEXT);
    free (out);
    if (written < 0)
        return -1;
    slot->next_send_ns = now + slot->send_interval_ns;
    if (zlist_size (link->queue) == 0)
        link->subscribed = true;
    else if (slot->send_interval_ns == 0)
        lws_callback_on_writable (wsi);
    return 0;
}

//  --------------------------------------------------------------------------
//  The one lws callback.

static int
s_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        gw_session_t *self = (gw_session_t *)lws_context_user (lws_get_context (wsi));
        if (self && self->hooks.wake && !self->stopping)
            self->hooks.wake (self->hooks.ctx);
        return 0;
    }
    s_link_t *link = (s_link_t *)lws_get_opaque_user_data (wsi);
    if (!link)
        return 0;
    switch (reason) {
        case LWS_CALLBACK_CLIENT_ESTABLISHED:
            if (link->state != S_LINK_CONNECTING)
                return -1;
            link->wsi = wsi;
            s_link_open (link);
            break;
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            link->wsi = NULL;
            s_link_down (link, in ? (const char *)in : "connection error");
            break;
        case LWS_CALLBACK_CLIENT_CLOSED:
            link->wsi = NULL;
            s_link_down (link, "closed");
            break;
        case LWS_CALLBACK_WSI_DESTROY:
            link->wsi = NULL;
            s_link_down (link, "destroyed");
            link->held = false;
            break;
        case LWS_CALLBACK_CLIENT_RECEIVE:
            if (link->state == S_LINK_RETIRING)
                return -1;
            return s_link_receive (link, wsi, (const char *)in, len);
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
            link->last_rx_ns = vb_clock_now_mono_ns ();
            break;
        case LWS_CALLBACK_CLIENT_WRITEABLE:
            return s_link_writeable (link, wsi);
        default:
            break;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Housekeeping, every GW_SESSION_TICK_MS. Duties:
//  - reconnect slots whose backoff delay has passed;
//  - detect stale links (no frame or pong for stale_ms): STALE, reconnect;
//  - request writeable for due WebSocket pings, app pings and rate-limited
//    sends;
//  - start make-before-break replacements before the lifetime ends;
//  - call the tick hook (the core's statuses, the REST grants).

static void
s_tick (lws_sorted_usec_list_t *sul)
{
    gw_session_t *self = lws_container_of (sul, gw_session_t, tick_sul);
    int64_t now = vb_clock_now_mono_ns ();
    for (size_t index = 0; index < self->slot_count && !self->stopping; index++) {
        s_slot_t *slot = &self->slots[index];
        if (!slot->active && slot->reconnect_at_ns && now >= slot->reconnect_at_ns) {
            slot->reconnect_at_ns = 0;
            slot->active = s_connect (self, index);
            if (!slot->active)
                s_schedule_reconnect (slot, index);
            continue;
        }
        s_link_t *link = slot->active;
        if (!link || link->state != S_LINK_OPEN)
            continue;
        //  Stale: the stream sent no data (pongs do not count) for the bound.
        if (now - link->last_frame_ns > slot->stale_ns) {
            vb_log_warning ("ws stale connection=%zu silent_ms=%" PRId64, index,
                            (now - link->last_frame_ns) / VB_NS_PER_MS);
            s_active_down (self, slot, "stale");
            s_retire (link);
            continue;
        }
        //  Dead: not even a pong for two ping intervals.
        if (now - link->last_rx_ns >
            GW_PINGS_UNANSWERED * self->settings->ws_ping_ms * VB_NS_PER_MS) {
            vb_log_warning ("ws ping unanswered connection=%zu silent_ms=%" PRId64, index,
                            (now - link->last_rx_ns) / VB_NS_PER_MS);
            s_active_down (self, slot, "reconnect");
            s_retire (link);
            continue;
        }
        bool write = false;
        if (now >= link->ping_at_ns) {
            link->ping_due = true;
            link->ping_at_ns = now + self->settings->ws_ping_ms * VB_NS_PER_MS;
            write = true;
        }
        const vb_md_connection_t *connection = &slot->connection;
        if (connection->app_ping_ms > 0 && connection->ping_text[0] &&
            now >= link->app_ping_at_ns) {
            link->app_ping_at_ns = now + connection->app_ping_ms * VB_NS_PER_MS;
            gw_session_send (self, index, connection->ping_text, strlen (connection->ping_text));
        }
        if (zlist_size (link->queue) && now >= slot->next_send_ns)
            write = true;
        if (write)
            lws_callback_on_writable (link->wsi);
        if (connection->lifetime_ms > 0 && !slot->replacement && now >= slot->rollover_retry_ns) {
            int64_t margin_ms = self->settings->rollover_margin_ms;
            if (margin_ms > connection->lifetime_ms / GW_ROLLOVER_FRACTION)
                margin_ms = connection->lifetime_ms / GW_ROLLOVER_FRACTION;
            if (now >= link->opened_ns + (connection->lifetime_ms - margin_ms) * VB_NS_PER_MS) {
                vb_log_notice ("ws rollover starting connection=%zu", index);
                slot->replacement = s_connect (self, index);
                if (!slot->replacement)
                    slot->rollover_retry_ns =
                        now + (int64_t)vb_backoff_next_ms (slot->backoff) * VB_NS_PER_MS;
            }
        }
    }
    if (self->hooks.tick && !self->stopping)
        self->hooks.tick (self->hooks.ctx);
    lws_sul_schedule (self->context, 0, &self->tick_sul, s_tick,
                      GW_SESSION_TICK_MS * LWS_US_PER_MS);
}

//  --------------------------------------------------------------------------
//  Create the session and its lws context.

gw_session_t *
gw_session_new (const gw_settings_t *settings, vb_md_t *adapter, const gw_session_hooks_t *hooks)
{
    assert (settings);
    assert (adapter);
    assert (hooks);
    gw_session_t *self = (gw_session_t *)zmalloc (sizeof (gw_session_t));
    self->settings = settings;
    self->adapter = adapter;
    self->hooks = *hooks;
    lws_set_log_level (LLL_ERR | LLL_WARN, vb_log_lws_emit);
    struct lws_context_creation_info info;
    memset (&info, 0, sizeof (info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = s_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = self;
    info.timeout_secs = (unsigned int)((settings->connect_timeout_ms + 999) / 1000);
    info.gid = -1;
    info.uid = -1;
    if (settings->ca_file && *settings->ca_file && access (settings->ca_file, R_OK) == 0)
        info.client_ssl_ca_filepath = settings->ca_file;
    self->context = lws_create_context (&info);
    if (!self->context) {
        vb_log_error ("ws cannot create the lws context");
        gw_session_destroy (&self);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy: lws closes every wsi (their callbacks see `stopping`).

void
gw_session_destroy (gw_session_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gw_session_t *self = *self_p;
        self->stopping = true;
        if (self->context) {
            lws_sul_cancel (&self->tick_sul);
            lws_context_destroy (self->context);
        }
        for (size_t i = 0; i < GW_LINKS_MAX; i++) {
            s_link_clear (&self->links[i]);
            zlist_destroy (&self->links[i].queue);
        }
        for (size_t i = 0; i < self->slot_count; i++)
            vb_backoff_destroy (&self->slots[i].backoff);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Take the adapter's connection list and start connecting.

int
gw_session_start (gw_session_t *self)
{
    assert (self);
    vb_md_connection_t connections[VB_MD_CONNECTIONS_MAX];
    memset (connections, 0, sizeof (connections));
    size_t count = 0;
    int rc =
        self->adapter->ops->connections (self->adapter, connections, VB_MD_CONNECTIONS_MAX, &count);
    if (rc < 0 || count == 0 || count > VB_MD_CONNECTIONS_MAX) {
        vb_log_error ("adapter gave no usable connection list error=%s count=%zu", vb_strerror (rc),
                      count);
        return -1;
    }
    uint64_t seed = (uint64_t)vb_clock_now_real_ns () ^ ((uint64_t)getpid () << 32);
    for (size_t index = 0; index < count; index++) {
        s_slot_t *slot = &self->slots[index];
        slot->connection = connections[index];
        slot->connection.url[VB_MD_URL_MAX - 1] = 0;
        slot->connection.ping_text[sizeof (slot->connection.ping_text) - 1] = 0;
        if (s_parse_url (slot) != 0) {
            vb_log_error ("adapter gave a bad WebSocket URL connection=%zu url=%s", index,
                          slot->connection.url);
            return -1;
        }
        slot->backoff = vb_backoff_new ((uint32_t)self->settings->backoff_base_ms,
                                        (uint32_t)self->settings->backoff_cap_ms, seed + index);
        if (!slot->backoff)
            return -1;
        if (self->settings->ws_lifetime_ms > 0 &&
            (slot->connection.lifetime_ms == 0 ||
             self->settings->ws_lifetime_ms < slot->connection.lifetime_ms))
            slot->connection.lifetime_ms = self->settings->ws_lifetime_ms;
        //  The venue's bound (GW_STALE_DEFAULT_MS when it gives none), or
        //  the operator's when that is shorter.
        int64_t stale_ms =
            slot->connection.stale_ms > 0 ? slot->connection.stale_ms : GW_STALE_DEFAULT_MS;
        if (self->settings->stale_ms > 0 && self->settings->stale_ms < stale_ms)
            stale_ms = self->settings->stale_ms;
        slot->stale_ns = stale_ms * VB_NS_PER_MS;
        slot->send_interval_ns = slot->connection.max_messages_per_s > 0
                                     ? VB_NS_PER_SEC / slot->connection.max_messages_per_s
                                     : 0;
        self->slot_count = index + 1;
    }
    for (size_t index = 0; index < count; index++) {
        s_slot_t *slot = &self->slots[index];
        slot->active = s_connect (self, index);
        if (!slot->active)
            s_schedule_reconnect (slot, index);
    }
    lws_sul_schedule (self->context, 0, &self->tick_sul, s_tick,
                      GW_SESSION_TICK_MS * LWS_US_PER_MS);
    return 0;
}

//  --------------------------------------------------------------------------
//  Queue a text message on a connection.

int
gw_session_send (gw_session_t *self, size_t index, const char *text, size_t length)
{
    assert (self);
    if (index >= self->slot_count)
        return VB_ENOTFOUND;
    s_link_t *link = self->slots[index].active;
    if (!link || link->state != S_LINK_OPEN || !link->queue)
        return VB_ESTATE;
    if (length > self->settings->frame_max)
        return VB_ELIMIT;
    if (zlist_size (link->queue) >= self->settings->send_queue_max) {
        vb_log_warning ("ws send queue full connection=%zu", index);
        return VB_EAGAIN;
    }
    s_out_t *out = (s_out_t *)malloc (sizeof (s_out_t) + LWS_PRE + length);
    if (!out)
        return VB_ENOMEM;
    out->length = length;
    memcpy (out->data + LWS_PRE, text, length);
    zlist_append (link->queue, out);
    link->subscribed = false;
    if (link->wsi)
        lws_callback_on_writable (link->wsi);
    return 0;
}

//  --------------------------------------------------------------------------
//  True once every connection is open and its subscriptions are written.

bool
gw_session_subscribed (gw_session_t *self)
{
    assert (self);
    if (self->slot_count == 0)
        return false;
    for (size_t index = 0; index < self->slot_count; index++) {
        s_link_t *link = self->slots[index].active;
        if (!link || link->state != S_LINK_OPEN || !link->subscribed)
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Service until interrupted.

int
gw_session_run (gw_session_t *self)
{
    assert (self);
    while (!zsys_interrupted) {
        if (lws_service (self->context, 0) < 0) {
            if (zsys_interrupted)
                break;
            vb_log_error ("ws service loop failed");
            return -1;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Wake the loop from another thread.

void
gw_session_wake (gw_session_t *self)
{
    assert (self);
    lws_cancel_service (self->context);
}

//  --------------------------------------------------------------------------
//  Number of connections.

size_t
gw_session_count (gw_session_t *self)
{
    assert (self);
    return self->slot_count;
}
