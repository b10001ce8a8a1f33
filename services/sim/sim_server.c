/*  sim_server.c — libwebsockets HTTP + WebSocket server for venuebus-sim.

    One lws context, one vhost per listening port (the main one, then
    config.extra_ports more, all on the same interface and with the same
    protocol), one protocol whose callback sees both HTTP and WebSocket
    connections, one service thread. Every lws session has an s_session_t:
    an HTTP exchange (request being collected or response being written) or
    a WebSocket connection (vb_sim_conn_t). Each exchange and connection
    remembers the port it arrived on, for port-scoped faults and the
    per-port request counts of /_sim/stats.

    HTTP: LWS_CALLBACK_HTTP collects method, path, query, headers and peer;
    a request with a Content-Length body waits for HTTP_BODY_COMPLETION.
    Then s_dispatch answers /_sim/ itself or asks the personality, applies
    the response faults (http_status, accept_timeout, latency) and asks for
    HTTP_WRITEABLE, where headers and then the body are written (a delayed
    response waits on a per-exchange lws_sul timer first).

    WebSocket: the upgrade is offered to ops->ws_open in
    FILTER_PROTOCOL_CONNECTION; refused upgrades get 404. Frames queue per
    connection (vb_sim_conn_send, bounded) and are written in
    SERVER_WRITEABLE while the socket is not choked. Each connection has a
    ping timer and a lifetime timer.
    SPDX-License-Identifier: MPL-2.0
*/
#include "sim_server.h"

#include <assert.h>
#include <czmq.h>
#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_engine.h"
#include "sim_faults.h"
#include "vb_log.h"

#define SIM_PROTOCOL_NAME     "venuebus-sim"
#define SIM_HEADER_DATA_MAX   16384         //  lws header buffer: long signed query strings
#define SIM_HEADER_BUFFER     8192          //  Response header block
#define SIM_PATH_MAX          4096          //  Longest path or query kept
#define SIM_FRAGMENT_MAX      4096          //  Longest single query argument
#define SIM_PEER_MAX          48            //  IPv6 text plus slack
#define SIM_WRITES_PER_EVENT  1024          //  Most WS frames written per writeable callback
#define SIM_BATCH_MAX         (256 * 1024)  //  Bytes of frames written in one go
#define SIM_STREAMS_PER_CONN  64            //  Stream names remembered per connection
#define SIM_RETRY_AFTER_S     1             //  Default Retry-After, seconds
#define SIM_PING_PAYLOAD      "venuebus-sim"
#define SIM_FIREHOSE_PATH     "/_sim/firehose"
#define SIM_FIREHOSE_SIZE_MAX 65536
#define SIM_FAULTS_PATH       "/_sim/faults"
#define SIM_STATS_PATH        "/_sim/stats"
#define SIM_VHOST_NAME        "venuebus-sim"
#define SIM_VHOST_NAME_MAX    32  //  "venuebus-sim-16" and its NUL
#define SIM_PORTS_MAX         (1 + SIM_SERVER_EXTRA_PORTS_MAX)
#define SIM_PATH_PREFIX       "/_sim/"

//  Headers read by name on every request (lws 4.1 cannot list unknown
//  headers): the common API auth headers of the venues we simulate.
static const char *const s_custom_headers[] = {"x-mbx-apikey",
                                               "api-key",
                                               "api-sign",
                                               "x-api-key",
                                               "ok-access-key",
                                               "ok-access-sign",
                                               "ok-access-timestamp",
                                               "ok-access-passphrase",
                                               NULL};

//  A queued WebSocket frame: LWS_PRE bytes of headroom, then the payload.
typedef struct {
    size_t length;         //  Payload bytes
    unsigned char data[];  //  LWS_PRE + length
} s_frame_t;

//  A frame ring.
typedef struct {
    s_frame_t **frames;  //  Ring storage
    size_t start;        //  Oldest
    size_t count;        //  Used
    size_t capacity;     //  Allocated
} s_queue_t;

struct _vb_sim_conn_t {
    vb_sim_server_t *server;    //  Owner
    struct lws *wsi;            //  lws connection (NULL once closed)
    void *user;                 //  Personality state
    char peer[SIM_PEER_MAX];    //  Client IP
    int port;                   //  Listening port it arrived on
    bool opened;                //  ws_open accepted: ws_close is owed
    bool closing;               //  Close at the next writeable
    bool ping_due;              //  Send a ping at the next writeable
    bool firehose;              //  /_sim/firehose connection
    int64_t firehose_left;      //  Frames still to push
    size_t firehose_size;       //  Bytes per frame
    int64_t opened_mono_ns;     //  When the upgrade completed
    int64_t last_pong_mono_ns;  //  Last pong (or the open)
    s_queue_t queue;            //  Frames to write
    s_queue_t stalled;          //  Frames held by a stall fault
    s_frame_t *swap_held;       //  Frame held by a reorder fault
    char *rx;                   //  Incoming message being assembled
    size_t rx_length;           //  Bytes in rx
    char streams[SIM_STREAMS_PER_CONN][SIM_FAULT_STREAM_MAX];  //  Streams carried
    size_t stream_count;                                       //  Used
    lws_sorted_usec_list_t ping_timer;                         //  Every ws_ping_ms
    lws_sorted_usec_list_t lifetime_timer;                     //  At ws_lifetime_ms
    vb_sim_conn_t *next;                                       //  Server's list
    vb_sim_conn_t *prev;                                       //  Server's list
};

struct _vb_sim_response_t {
    int status;                        //  HTTP status, 0 = not set
    unsigned char *buffer;             //  LWS_PRE + body + NUL
    size_t length;                     //  Body bytes
    char *names[VB_SIM_HEADERS_MAX];   //  Extra header names
    char *values[VB_SIM_HEADERS_MAX];  //  Their values
    size_t header_count;               //  Used
};

typedef enum {
    S_HTTP_COLLECTING = 0,  //  Reading the body
    S_HTTP_DELAYED = 1,     //  Waiting on the latency or accept_timeout timer
    S_HTTP_HEADERS = 2,     //  Next writeable writes the headers
    S_HTTP_BODY = 3,        //  Next writeable writes the body
    S_HTTP_CLOSE = 4,       //  Next writeable closes without answering
} s_http_phase_t;

typedef struct {
    vb_sim_server_t *server;                  //  Owner
    struct lws *wsi;                          //  The connection
    s_http_phase_t phase;                     //  Where the exchange is
    bool withhold;                            //  accept_timeout: close when the timer fires
    bool close_after;                         //  Close after writing (body not drained)
    char method[8];                           //  "GET" ...
    char *path;                               //  Decoded path
    char *query;                              //  Query rebuilt from lws's fragments
    char *body;                               //  NUL-terminated body
    size_t body_length;                       //  Bytes in body
    size_t body_expected;                     //  Content-Length
    bool body_too_large;                      //  Over http_body_max
    char peer[SIM_PEER_MAX];                  //  Client IP
    int port;                                 //  Listening port it arrived on
    char *header_names[VB_SIM_HEADERS_MAX];   //  Lower-case names
    char *header_values[VB_SIM_HEADERS_MAX];  //  Values
    size_t header_count;                      //  Used
    vb_sim_response_t response;               //  What will be written
    lws_sorted_usec_list_t timer;             //  Delay
} s_http_t;

typedef struct {
    s_http_t *http;       //  HTTP exchange in progress, or NULL
    vb_sim_conn_t *conn;  //  WebSocket connection, or NULL
} s_session_t;

//  GET /_sim/stats. The engine's order counters run from the start; the
//  server keeps their values at the last reset.
typedef struct {
    uint64_t requests;                      //  HTTP requests to venue paths (not /_sim/)
    uint64_t port_requests[SIM_PORTS_MAX];  //  The same, per port (by index)
    uint64_t ws_messages;                   //  WS text messages handed to the personality
    uint64_t limit_violations;              //  vb_sim_count_violation calls
    uint64_t bans;                          //  ... of kind VB_SIM_VIOLATION_BAN
    uint64_t injected_statuses;             //  Answers made by the http_status fault
    uint64_t orders_accepted_base;          //  sim_engine_orders_accepted at the reset
    uint64_t orders_refused_base;           //  sim_engine_orders_refused at the reset
} s_stats_t;

struct _vb_sim_server_t {
    const vb_sim_venue_ops_t *ops;                        //  The personality's table
    vb_sim_venue_t *venue;                                //  Its state
    vb_sim_engine_t *engine;                              //  Borrowed
    vb_clock_t *clock;                                    //  Borrowed
    sim_server_config_t config;                           //  Copied; strings below
    char *interface;                                      //  Copy of config.interface
    char *replay_path;                                    //  Copy of config.replay_path
    sim_faults_t *faults;                                 //  Injected faults
    struct lws_context *context;                          //  lws
    struct lws_vhost *vhost;                              //  The main listening vhost
    struct lws_protocols protocols[2];                    //  Ours plus the terminator
    int port;                                             //  Actual main port
    int ports[SIM_PORTS_MAX];                             //  Every port listened on; [0] is port
    size_t port_count;                                    //  Used in ports
    char vhost_names[SIM_PORTS_MAX][SIM_VHOST_NAME_MAX];  //  lws keeps the name pointers
    s_stats_t stats;                                      //  GET /_sim/stats
    vb_sim_conn_t *conns;                                 //  Every WebSocket connection
    lws_sorted_usec_list_t housekeeping;                  //  Flow, tick, fault expiry
    int64_t next_tick_mono_ns;                            //  When ops->tick is due
    unsigned char *batch;  //  LWS_PRE + SIM_BATCH_MAX: frames written in one go
    bool failed;           //  A fatal lws error
};

static void s_housekeeping (lws_sorted_usec_list_t *sul);

//  --------------------------------------------------------------------------
//  Small helpers.

static int64_t
s_mono (vb_sim_server_t *self)
{
    return vb_clock_mono_ns (self->clock);
}

static char *
s_strdup (const char *text)
{
    size_t length = strlen (text);
    char *copy = zmalloc (length + 1);
    memcpy (copy, text, length);
    return copy;
}

//  The listening port a connection arrived on, or 0 if lws cannot say.
static int
s_wsi_port (struct lws *wsi)
{
    struct lws_vhost *vhost = lws_get_vhost (wsi);
    int port = vhost ? lws_get_vhost_listen_port (vhost) : 0;
    return port > 0 ? port : 0;
}

//  Index of a port among the server's, or -1.
static int
s_port_index (vb_sim_server_t *self, int port)
{
    for (size_t i = 0; i < self->port_count; i++)
        if (self->ports[i] == port)
            return (int)i;
    return -1;
}

//  Client address without the IPv4-mapped IPv6 prefix.
static void
s_peer (struct lws *wsi, char *peer, size_t size)
{
    char text[SIM_PEER_MAX] = "";
    lws_get_peer_simple (wsi, text, sizeof text);
    const char *address = strncmp (text, "::ffff:", 7) == 0 ? text + 7 : text;
    snprintf (peer, size, "%s", address);
}

static s_frame_t *
s_frame_new (const char *text, size_t length)
{
    s_frame_t *frame = malloc (sizeof (s_frame_t) + LWS_PRE + length);
    assert (frame);
    frame->length = length;
    if (length)
        memcpy (frame->data + LWS_PRE, text, length);
    return frame;
}

static void
s_queue_push (s_queue_t *queue, s_frame_t *frame)
{
    if (queue->count == queue->capacity) {
        size_t capacity = queue->capacity ? queue->capacity * 2 : 64;
        s_frame_t **frames = zmalloc (capacity * sizeof (s_frame_t *));
        for (size_t i = 0; i < queue->count; i++)
            frames[i] = queue->frames[(queue->start + i) % queue->capacity];
        free (queue->frames);
        queue->frames = frames;
        queue->capacity = capacity;
        queue->start = 0;
    }
    queue->frames[(queue->start + queue->count++) % queue->capacity] = frame;
}

static s_frame_t *
s_queue_pop (s_queue_t *queue)
{
    if (queue->count == 0)
        return NULL;
    s_frame_t *frame = queue->frames[queue->start];
    queue->start = (queue->start + 1) % queue->capacity;
    queue->count--;
    return frame;
}

static void
s_queue_free (s_queue_t *queue)
{
    s_frame_t *frame;
    while ((frame = s_queue_pop (queue)))
        free (frame);
    free (queue->frames);
    memset (queue, 0, sizeof *queue);
}

//  --------------------------------------------------------------------------
//  vb_sim.h: responses and requests.

int
vb_sim_response_set (vb_sim_response_t *response, int status, const char *body, size_t length)
{
    assert (response);
    unsigned char *buffer = malloc (LWS_PRE + length + 1);
    if (!buffer)
        return -1;
    if (length)
        memcpy (buffer + LWS_PRE, body, length);
    buffer[LWS_PRE + length] = '\0';
    free (response->buffer);
    response->buffer = buffer;
    response->length = length;
    response->status = status;
    return 0;
}

int
vb_sim_response_printf (vb_sim_response_t *response, int status, const char *format, ...)
{
    assert (response && format);
    va_list args;
    va_start (args, format);
    va_list again;
    va_copy (again, args);
    int length = vsnprintf (NULL, 0, format, args);
    va_end (args);
    if (length < 0) {
        va_end (again);
        return -1;
    }
    char *text = malloc ((size_t)length + 1);
    if (!text) {
        va_end (again);
        return -1;
    }
    vsnprintf (text, (size_t)length + 1, format, again);
    va_end (again);
    int rc = vb_sim_response_set (response, status, text, (size_t)length);
    free (text);
    return rc;
}

int
vb_sim_response_header (vb_sim_response_t *response, const char *name, const char *value)
{
    assert (response && name && value);
    if (response->header_count == VB_SIM_HEADERS_MAX || !*name || strchr (name, ':') ||
        strpbrk (name, "\r\n") || strpbrk (value, "\r\n"))
        return -1;
    response->names[response->header_count] = s_strdup (name);
    response->values[response->header_count] = s_strdup (value);
    response->header_count++;
    return 0;
}

const char *
vb_sim_response_header_value (const vb_sim_response_t *response, const char *name)
{
    assert (response && name);
    for (size_t i = 0; i < response->header_count; i++)
        if (strcasecmp (response->names[i], name) == 0)
            return response->values[i];
    return NULL;
}

static void
s_response_reset (vb_sim_response_t *response)
{
    free (response->buffer);
    for (size_t i = 0; i < response->header_count; i++) {
        free (response->names[i]);
        free (response->values[i]);
    }
    memset (response, 0, sizeof *response);
}

const char *
vb_sim_request_header (const vb_sim_request_t *request, const char *name)
{
    assert (request && name);
    for (size_t i = 0; i < request->header_count; i++)
        if (strcmp (request->header_names[i], name) == 0)
            return request->header_values[i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  HTTP exchange lifecycle.

static void
s_http_destroy (s_http_t **http_p)
{
    s_http_t *http = *http_p;
    if (!http)
        return;
    lws_sul_cancel (&http->timer);
    free (http->path);
    free (http->query);
    free (http->body);
    for (size_t i = 0; i < http->header_count; i++) {
        free (http->header_names[i]);
        free (http->header_values[i]);
    }
    s_response_reset (&http->response);
    free (http);
    *http_p = NULL;
}

static void
s_http_add_header (s_http_t *http, const char *name, const char *value)
{
    if (http->header_count == VB_SIM_HEADERS_MAX)
        return;
    http->header_names[http->header_count] = s_strdup (name);
    http->header_values[http->header_count] = s_strdup (value);
    http->header_count++;
}

//  Read a header by lws token into a new string, or NULL if absent.
static char *
s_token (struct lws *wsi, enum lws_token_indexes token)
{
    int length = lws_hdr_total_length (wsi, token);
    if (length <= 0)
        return NULL;
    char *text = zmalloc ((size_t)length + 1);
    if (lws_hdr_copy (wsi, text, length + 1, token) < 0) {
        free (text);
        return NULL;
    }
    return text;
}

//  Rebuild the query string from lws's decoded argument fragments,
//  joining them with '&'. Each fragment is re-encoded with RFC 3986 rules
//  (unreserved characters and the first '=' kept, the rest as %XX), which
//  is the form clients sign (see README: raw query strings).
static char *
s_query (struct lws *wsi)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t capacity = SIM_PATH_MAX, used = 0;
    char *query = zmalloc (capacity);
    char fragment[SIM_FRAGMENT_MAX];
    for (int index = 0;; index++) {
        int length =
            lws_hdr_copy_fragment (wsi, fragment, sizeof fragment, WSI_TOKEN_HTTP_URI_ARGS, index);
        if (length < 0)
            break;
        bool seen_equals = false;
        if (used + (size_t)length * 3 + 2 > capacity) {
            capacity = used + (size_t)length * 3 + 2 + SIM_PATH_MAX;
            char *grown = realloc (query, capacity);
            assert (grown);
            query = grown;
        }
        if (index > 0)
            query[used++] = '&';
        for (int i = 0; i < length; i++) {
            unsigned char c = (unsigned char)fragment[i];
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.' || c == '~' || (c == '=' && !seen_equals)) {
                if (c == '=')
                    seen_equals = true;
                query[used++] = (char)c;
            } else {
                query[used++] = '%';
                query[used++] = hex[c >> 4];
                query[used++] = hex[c & 0x0f];
            }
        }
        query[used] = '\0';
    }
    return query;
}

//  Collect everything about the request that lws parsed.
static s_http_t *
s_http_new (vb_sim_server_t *self, struct lws *wsi, const char *uri)
{
    static const struct {
        enum lws_token_indexes token;
        const char *method;
    } methods[] = {
        {WSI_TOKEN_GET_URI, "GET"},     {WSI_TOKEN_POST_URI, "POST"},
        {WSI_TOKEN_PUT_URI, "PUT"},     {WSI_TOKEN_DELETE_URI, "DELETE"},
        {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
        {WSI_TOKEN_HEAD_URI, "HEAD"},
    };
    s_http_t *http = zmalloc (sizeof (s_http_t));
    http->server = self;
    http->wsi = wsi;
    snprintf (http->method, sizeof http->method, "GET");
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (lws_hdr_total_length (wsi, methods[i].token) > 0) {
            snprintf (http->method, sizeof http->method, "%s", methods[i].method);
            break;
        }
    http->path = s_strdup (uri && *uri ? uri : "/");
    http->query = s_query (wsi);
    http->body = s_strdup ("");
    s_peer (wsi, http->peer, sizeof http->peer);
    http->port = s_wsi_port (wsi);

    //  Custom headers first (auth lives there), then lws's known ones.
    char value[SIM_HEADER_DATA_MAX];
    for (int pass = 0; pass < 2; pass++) {
        const char *const *names = pass == 0 ? s_custom_headers : self->ops->request_headers;
        for (size_t i = 0; names && names[i]; i++) {
            char name[SIM_PEER_MAX * 2];
            int length = snprintf (name, sizeof name, "%s:", names[i]);
            if (length <= 0 || (size_t)length >= sizeof name)
                continue;
            bool known = false;
            for (size_t j = 0; j < http->header_count; j++)
                known |= strcmp (http->header_names[j], names[i]) == 0;
            if (known || lws_hdr_custom_length (wsi, name, length) <= 0)
                continue;
            if (lws_hdr_custom_copy (wsi, value, sizeof value, name, length) >= 0)
                s_http_add_header (http, names[i], value);
        }
    }
    for (int token = 0; token < WSI_TOKEN_COUNT; token++) {
        const unsigned char *name = lws_token_to_string ((enum lws_token_indexes)token);
        if (!name || name[0] == ':' || lws_hdr_total_length (wsi, token) <= 0)
            continue;
        size_t length = strlen ((const char *)name);
        if (length < 2 || name[length - 1] != ':')
            continue;  //  A method token ("get "), not a header
        char lower[SIM_PEER_MAX * 2];
        if (length >= sizeof lower)
            continue;
        for (size_t i = 0; i + 1 < length; i++)
            lower[i] = (char)tolower (name[i]);
        lower[length - 1] = '\0';
        if (lws_hdr_copy (wsi, value, sizeof value, token) >= 0)
            s_http_add_header (http, lower, value);
    }
    return http;
}

//  --------------------------------------------------------------------------
//  /_sim/ requests: the fault endpoint.

static void
s_error_json (vb_sim_response_t *response, int status, const char *message)
{
    vb_sim_response_printf (response, status, "{\"error\":\"%s\"}", message);
}

//  Close the WS connections that carried the stream ("*": every one), on
//  one listening port or on all (port 0).
static void
s_close_matching (vb_sim_server_t *self, const char *stream, int port)
{
    size_t closed = 0;
    for (vb_sim_conn_t *conn = self->conns; conn; conn = conn->next) {
        bool match = strcmp (stream, "*") == 0;
        for (size_t i = 0; !match && i < conn->stream_count; i++)
            match = strcmp (conn->streams[i], stream) == 0;
        if (port != 0 && conn->port != port)
            match = false;
        if (match && !conn->closing) {
            vb_sim_conn_close (conn);
            closed++;
        }
    }
    vb_log_notice ("sim fault disconnect stream=%s port=%d connections=%zu", stream, port, closed);
}

static void
s_handle_faults (vb_sim_server_t *self, s_http_t *http, vb_sim_response_t *response)
{
    bool clear = strcmp (http->method, "DELETE") == 0;
    if (strcmp (http->method, "POST") == 0) {
        sim_fault_t fault;
        char error[SIM_FAULT_ERROR_MAX];
        if (sim_faults_parse (http->body, http->body_length, &fault, error, sizeof error) != 0) {
            vb_log_info ("sim fault refused reason=\"%s\"", error);
            s_error_json (response, 400, error);
            return;
        }
        if (fault.port != 0 && s_port_index (self, fault.port) < 0) {
            snprintf (error, sizeof error, "'port' %d is not one of this sim's ports", fault.port);
            vb_log_info ("sim fault refused reason=\"%s\"", error);
            s_error_json (response, 400, error);
            return;
        }
        if (fault.kind == SIM_FAULT_CLEAR)
            clear = true;
        else if (fault.kind == SIM_FAULT_DISCONNECT)
            s_close_matching (self, fault.stream, fault.port);
        else {
            if (sim_faults_add (self->faults, &fault, s_mono (self)) != 0) {
                s_error_json (response, 400, "too many active faults; clear them first");
                return;
            }
            if (fault.kind == SIM_FAULT_CLOCK_SKEW)
                sim_engine_set_skew_ns (self->engine, fault.ms * VB_NS_PER_MS);
            if (fault.kind == SIM_FAULT_VOLATILITY)
                sim_engine_set_volatility (self->engine, fault.count);
            vb_log_notice ("sim fault set fault=%s stream=%s count=%" PRId64
                           " status=%d ms=%" PRId64 " port=%d",
                           sim_faults_kind_name (fault.kind), fault.stream, fault.count,
                           fault.status, fault.ms, fault.port);
        }
    } else if (!clear && strcmp (http->method, "GET") != 0) {
        s_error_json (response, 405, "use GET, POST or DELETE on /_sim/faults");
        vb_sim_response_header (response, "Allow", "GET, POST, DELETE");
        return;
    }
    if (clear) {
        sim_faults_clear (self->faults);
        sim_engine_set_skew_ns (self->engine, 0);
        sim_engine_set_volatility (self->engine, 1);
        //  Frames held by a stall go out now.
        for (vb_sim_conn_t *conn = self->conns; conn; conn = conn->next) {
            s_frame_t *frame;
            while ((frame = s_queue_pop (&conn->stalled)))
                s_queue_push (&conn->queue, frame);
            if (conn->wsi)
                lws_callback_on_writable (conn->wsi);
        }
        vb_log_notice ("sim faults cleared");
    }
    char *list = sim_faults_json (self->faults);
    if (strcmp (http->method, "GET") == 0)
        vb_sim_response_set (response, 200, list, strlen (list));
    else
        //  {"faults":[...]} becomes {"ok":true,"faults":[...]}.
        vb_sim_response_printf (response, 200, "{\"ok\":true,%s", list + 1);
    free (list);
}

//  --------------------------------------------------------------------------
//  /_sim/stats: what clients made the venue do, since the start or the last
//  DELETE.

static void
s_handle_stats (vb_sim_server_t *self, s_http_t *http, vb_sim_response_t *response)
{
    bool reset = strcmp (http->method, "DELETE") == 0;
    if (!reset && strcmp (http->method, "GET") != 0) {
        s_error_json (response, 405, "use GET or DELETE on /_sim/stats");
        vb_sim_response_header (response, "Allow", "GET, DELETE");
        return;
    }
    s_stats_t *stats = &self->stats;
    uint64_t accepted = sim_engine_orders_accepted (self->engine);
    uint64_t refused = sim_engine_orders_refused (self->engine);
    if (reset) {
        memset (stats, 0, sizeof *stats);
        stats->orders_accepted_base = accepted;
        stats->orders_refused_base = refused;
        vb_log_notice ("sim stats reset");
    }
    //  Fixed part ~ 250 bytes; each port ~ 50.
    char text[512 + SIM_PORTS_MAX * 64];
    size_t used = (size_t)snprintf (
        text, sizeof text,
        "{%s\"requests\":%" PRIu64 ",\"limit_violations\":%" PRIu64 ",\"bans\":%" PRIu64
        ",\"orders_placed\":%" PRIu64 ",\"orders_rejected\":%" PRIu64
        ",\"injected_statuses\":%" PRIu64 ",\"ws_messages\":%" PRIu64 ",\"ports\":[",
        reset ? "\"ok\":true," : "", stats->requests, stats->limit_violations, stats->bans,
        accepted - stats->orders_accepted_base, refused - stats->orders_refused_base,
        stats->injected_statuses, stats->ws_messages);
    for (size_t i = 0; i < self->port_count && used < sizeof text; i++)
        used += (size_t)snprintf (text + used, sizeof text - used,
                                  "%s{\"port\":%d,\"requests\":%" PRIu64 "}", i ? "," : "",
                                  self->ports[i], stats->port_requests[i]);
    if (used < sizeof text)
        used += (size_t)snprintf (text + used, sizeof text - used, "]}");
    assert (used < sizeof text);
    vb_sim_response_set (response, 200, text, used);
}

//  Count a request to a venue path, in all and for its port.
static void
s_count_request (vb_sim_server_t *self, const s_http_t *http)
{
    self->stats.requests++;
    sim_metrics_count (self->config.metrics, SIM_METRICS_REQUESTS, 1);
    int index = s_port_index (self, http->port);
    if (index >= 0)
        self->stats.port_requests[index]++;
}

void
vb_sim_count_violation (vb_sim_server_t *self, vb_sim_violation_t kind)
{
    assert (self);
    self->stats.limit_violations++;
    sim_metrics_count (self->config.metrics, SIM_METRICS_LIMIT_VIOLATIONS, 1);
    if (kind == VB_SIM_VIOLATION_BAN) {
        self->stats.bans++;
        sim_metrics_count (self->config.metrics, SIM_METRICS_BANS, 1);
    }
}

//  Bring the metrics that follow engine and fault state up to date (orders
//  placed and refused, active faults). Cheap: two reads and at most three
//  atomic updates. Called after each request and WS message, so that a
//  client that got its answer sees its orders counted, and every
//  housekeeping tick for what changed in between.
static void
s_metrics_sync (vb_sim_server_t *self)
{
    if (!self->config.metrics)
        return;
    sim_metrics_orders (self->config.metrics, sim_engine_orders_accepted (self->engine),
                        sim_engine_orders_refused (self->engine));
    sim_metrics_faults (self->config.metrics, sim_faults_size (self->faults));
}

//  --------------------------------------------------------------------------
//  Answer a complete request: /_sim/ here, the rest through the personality,
//  with the response faults applied.

static void
s_http_timer (lws_sorted_usec_list_t *sul)
{
    s_http_t *http = lws_container_of (sul, s_http_t, timer);
    http->phase = http->withhold ? S_HTTP_CLOSE : S_HTTP_HEADERS;
    lws_callback_on_writable (http->wsi);
}

static void
s_dispatch (vb_sim_server_t *self, s_http_t *http)
{
    vb_sim_response_t *response = &http->response;
    int64_t delay_ms = 0;
    if (strncmp (http->path, SIM_PATH_PREFIX, strlen (SIM_PATH_PREFIX)) == 0) {
        if (strcmp (http->path, SIM_FAULTS_PATH) == 0)
            s_handle_faults (self, http, response);
        else if (strcmp (http->path, SIM_STATS_PATH) == 0)
            s_handle_stats (self, http, response);
        else
            s_error_json (response, 404, "unknown simulator path");
    } else {
        s_count_request (self, http);
        sim_fault_t fault;
        if (sim_faults_take_on_port (self->faults, SIM_FAULT_HTTP_STATUS, NULL, http->port,
                                     &fault)) {
            self->stats.injected_statuses++;
            sim_metrics_count (self->config.metrics, SIM_METRICS_INJECTED_STATUSES, 1);
            //  Retry-After first, so that the personality's body can quote
            //  it (Binance's 418 names the end of the ban).
            if (fault.status == 418 || fault.status == 429 || fault.status == 503) {
                char seconds[32];
                int64_t value = fault.ms > 0 ? (fault.ms + 999) / 1000 : SIM_RETRY_AFTER_S;
                snprintf (seconds, sizeof seconds, "%" PRId64, value);
                vb_sim_response_header (response, "Retry-After", seconds);
            }
            if (self->ops->error_response)
                self->ops->error_response (self->venue, fault.status, response);
            if (response->status == 0)
                vb_sim_response_printf (response, fault.status, "{\"error\":\"simulated HTTP %d\"}",
                                        fault.status);
            vb_log_info ("sim fault applied fault=http_status status=%d path=%s port=%d",
                         fault.status, http->path, http->port);
        } else {
            vb_sim_request_t request = {.method = http->method,
                                        .path = http->path,
                                        .query = http->query,
                                        .body = http->body,
                                        .body_length = http->body_length,
                                        .peer = http->peer,
                                        .header_count = http->header_count};
            for (size_t i = 0; i < http->header_count; i++) {
                request.header_names[i] = http->header_names[i];
                request.header_values[i] = http->header_values[i];
            }
            uint64_t accepted = sim_engine_orders_accepted (self->engine);
            if (self->ops->http)
                self->ops->http (self->venue, &request, response);
            if (response->status == 0)
                s_error_json (response, 500, "the simulator produced no response");
            if (sim_engine_orders_accepted (self->engine) != accepted &&
                sim_faults_take_on_port (self->faults, SIM_FAULT_ACCEPT_TIMEOUT, NULL, http->port,
                                         &fault)) {
                http->withhold = true;
                delay_ms = fault.ms;
                vb_log_info ("sim fault applied fault=accept_timeout path=%s close_in_ms=%" PRId64,
                             http->path, fault.ms);
            }
        }
        sim_fault_t latency;
        if (!http->withhold &&
            sim_faults_take_on_port (self->faults, SIM_FAULT_LATENCY, NULL, http->port, &latency))
            delay_ms = latency.ms;
    }
    s_metrics_sync (self);
    if (delay_ms > 0) {
        http->phase = S_HTTP_DELAYED;
        lws_sul_schedule (lws_get_context (http->wsi), 0, &http->timer, s_http_timer,
                          delay_ms * LWS_US_PER_MS);
    } else {
        http->phase = http->withhold ? S_HTTP_CLOSE : S_HTTP_HEADERS;
        lws_callback_on_writable (http->wsi);
    }
}

//  Write the next part of the response. Returns -1 to close the connection.
static int
s_http_write (s_http_t *http)
{
    struct lws *wsi = http->wsi;
    vb_sim_response_t *response = &http->response;
    if (http->phase == S_HTTP_CLOSE)
        return -1;
    if (http->phase == S_HTTP_HEADERS) {
        unsigned char buffer[LWS_PRE + SIM_HEADER_BUFFER];
        unsigned char *start = buffer + LWS_PRE, *p = start, *end = buffer + sizeof buffer - 1;
        const char *content_type = "application/json";
        for (size_t i = 0; i < response->header_count; i++)
            if (strcasecmp (response->names[i], "Content-Type") == 0)
                content_type = response->values[i];
        if (lws_add_http_header_status (wsi, (unsigned int)response->status, &p, end) ||
            lws_add_http_header_by_token (wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                          (const unsigned char *)content_type,
                                          (int)strlen (content_type), &p, end) ||
            lws_add_http_header_content_length (wsi, response->length, &p, end))
            return -1;
        for (size_t i = 0; i < response->header_count; i++) {
            if (strcasecmp (response->names[i], "Content-Type") == 0)
                continue;
            char name[256];
            snprintf (name, sizeof name, "%s:", response->names[i]);
            if (lws_add_http_header_by_name (wsi, (const unsigned char *)name,
                                             (const unsigned char *)response->values[i],
                                             (int)strlen (response->values[i]), &p, end))
                return -1;
        }
        if (http->close_after &&
            lws_add_http_header_by_token (wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close",
                                          5, &p, end))
            return -1;
        if (lws_finalize_write_http_header (wsi, start, &p, end))
            return -1;
        http->phase = S_HTTP_BODY;
        lws_callback_on_writable (wsi);
        return 0;
    }
    if (http->phase == S_HTTP_BODY) {
        if (strcmp (http->method, "HEAD") != 0 &&
            lws_write (wsi, response->buffer + LWS_PRE, response->length, LWS_WRITE_HTTP_FINAL) <
                (int)response->length)
            return -1;
        if (http->close_after)
            return -1;
        s_session_t *session = lws_wsi_user (wsi);
        s_http_destroy (&session->http);
        return lws_http_transaction_completed (wsi) ? -1 : 0;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  WebSocket connections.

static void s_conn_ping_timer (lws_sorted_usec_list_t *sul);
static void s_conn_lifetime_timer (lws_sorted_usec_list_t *sul);

static void
s_conn_link (vb_sim_server_t *self, vb_sim_conn_t *conn)
{
    conn->next = self->conns;
    if (self->conns)
        self->conns->prev = conn;
    self->conns = conn;
}

static void
s_conn_unlink (vb_sim_server_t *self, vb_sim_conn_t *conn)
{
    if (conn->prev)
        conn->prev->next = conn->next;
    else if (self->conns == conn)
        self->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    conn->next = conn->prev = NULL;
}

static void
s_conn_destroy (vb_sim_conn_t **conn_p)
{
    vb_sim_conn_t *conn = *conn_p;
    if (!conn)
        return;
    lws_sul_cancel (&conn->ping_timer);
    lws_sul_cancel (&conn->lifetime_timer);
    s_queue_free (&conn->queue);
    s_queue_free (&conn->stalled);
    free (conn->swap_held);
    free (conn->rx);
    free (conn);
    *conn_p = NULL;
}

//  Queue one frame, subject to the queue bound.
static int
s_conn_enqueue (vb_sim_conn_t *conn, s_frame_t *frame)
{
    if (conn->queue.count >= conn->server->config.ws_queue_max) {
        free (frame);
        vb_log_warning ("sim ws client too slow peer=%s queued=%zu", conn->peer, conn->queue.count);
        vb_sim_conn_close (conn);
        return -1;
    }
    s_queue_push (&conn->queue, frame);
    return 0;
}

static void
s_remember_stream (vb_sim_conn_t *conn, const char *stream)
{
    for (size_t i = conn->stream_count; i-- > 0;)
        if (strcmp (conn->streams[i], stream) == 0)
            return;
    if (conn->stream_count < SIM_STREAMS_PER_CONN && strlen (stream) < SIM_FAULT_STREAM_MAX)
        snprintf (conn->streams[conn->stream_count++], SIM_FAULT_STREAM_MAX, "%s", stream);
}

int
vb_sim_conn_send (vb_sim_conn_t *conn, const char *stream, const char *text, size_t length)
{
    assert (conn);
    if (conn->closing || !conn->wsi || (!text && length))
        return -1;
    vb_sim_server_t *self = conn->server;
    sim_fault_action_t action = SIM_FAULT_PASS;
    if (stream) {
        s_remember_stream (conn, stream);
        int64_t release = 0;
        action = sim_faults_on_frame (self->faults, stream, s_mono (self), &release);
    }
    int rc = 0;
    switch (action) {
        case SIM_FAULT_SKIP:
            return 0;
        case SIM_FAULT_HOLD:
            s_queue_push (&conn->stalled, s_frame_new (text, length));
            return 0;
        case SIM_FAULT_SWAP:
            //  Held until the next frame on this connection has gone.
            if (conn->swap_held)
                rc = s_conn_enqueue (conn, conn->swap_held);
            conn->swap_held = rc == 0 ? s_frame_new (text, length) : NULL;
            return rc;
        case SIM_FAULT_TWICE:
            rc = s_conn_enqueue (conn, s_frame_new (text, length));
            if (rc == 0)
                rc = s_conn_enqueue (conn, s_frame_new (text, length));
            break;
        case SIM_FAULT_PASS:
            rc = s_conn_enqueue (conn, s_frame_new (text, length));
            break;
    }
    if (rc == 0 && conn->swap_held) {
        s_frame_t *held = conn->swap_held;
        conn->swap_held = NULL;
        rc = s_conn_enqueue (conn, held);
    }
    if (rc == 0)
        lws_callback_on_writable (conn->wsi);
    return rc;
}

void
vb_sim_conn_close (vb_sim_conn_t *conn)
{
    assert (conn);
    if (conn->closing || !conn->wsi)
        return;
    conn->closing = true;
    lws_callback_on_writable (conn->wsi);
}

void
vb_sim_conn_set_user (vb_sim_conn_t *conn, void *user)
{
    assert (conn);
    conn->user = user;
}

void *
vb_sim_conn_user (vb_sim_conn_t *conn)
{
    assert (conn);
    return conn->user;
}

const char *
vb_sim_conn_peer (vb_sim_conn_t *conn)
{
    assert (conn);
    return conn->peer;
}

bool
vb_sim_fault_corrupt_checksum (vb_sim_server_t *self, const char *stream)
{
    assert (self);
    return sim_faults_take (self->faults, SIM_FAULT_CORRUPT_CHECKSUM, stream, NULL);
}

const char *
vb_sim_server_replay_path (vb_sim_server_t *self)
{
    assert (self);
    return self->replay_path;
}

int64_t
vb_sim_server_replay_speed (vb_sim_server_t *self)
{
    assert (self);
    return self->config.replay_speed;
}

static void
s_conn_ping_timer (lws_sorted_usec_list_t *sul)
{
    vb_sim_conn_t *conn = lws_container_of (sul, vb_sim_conn_t, ping_timer);
    vb_sim_server_t *self = conn->server;
    if (s_mono (self) - conn->last_pong_mono_ns > self->config.ws_pong_timeout_ms * VB_NS_PER_MS) {
        vb_log_info ("sim ws client gave no pong peer=%s", conn->peer);
        vb_sim_conn_close (conn);
        return;
    }
    conn->ping_due = true;
    lws_callback_on_writable (conn->wsi);
    lws_sul_schedule (self->context, 0, &conn->ping_timer, s_conn_ping_timer,
                      self->config.ws_ping_ms * LWS_US_PER_MS);
}

static void
s_conn_lifetime_timer (lws_sorted_usec_list_t *sul)
{
    vb_sim_conn_t *conn = lws_container_of (sul, vb_sim_conn_t, lifetime_timer);
    vb_log_info ("sim ws lifetime over peer=%s", conn->peer);
    vb_sim_conn_close (conn);
}

//  Parse the firehose query: count=N&size=B.
static void
s_firehose_args (const char *query, int64_t *count, size_t *size)
{
    *count = 100000;
    *size = 64;
    const char *at = strstr (query, "count=");
    if (at)
        *count = strtoll (at + 6, NULL, 10);
    at = strstr (query, "size=");
    if (at) {
        long long value = strtoll (at + 5, NULL, 10);
        *size = value > 0 && value <= SIM_FIREHOSE_SIZE_MAX ? (size_t)value : 64;
    }
    if (*count < 0)
        *count = 0;
}

//  Offer an upgrade to the personality. Returns 0 to accept.
static int
s_ws_filter (vb_sim_server_t *self, struct lws *wsi)
{
    char *path = s_token (wsi, WSI_TOKEN_GET_URI);
    char *query = s_query (wsi);
    vb_sim_conn_t *conn = zmalloc (sizeof (vb_sim_conn_t));
    conn->server = self;
    conn->wsi = wsi;
    s_peer (wsi, conn->peer, sizeof conn->peer);
    conn->port = s_wsi_port (wsi);
    int rc = -1;
    if (path && strcmp (path, SIM_FIREHOSE_PATH) == 0) {
        conn->firehose = true;
        s_firehose_args (query, &conn->firehose_left, &conn->firehose_size);
        rc = 0;
    } else if (path && strncmp (path, SIM_PATH_PREFIX, strlen (SIM_PATH_PREFIX)) != 0 &&
               self->ops->ws_open) {
        s_conn_link (self, conn);  //  ws_open may already send
        rc = self->ops->ws_open (self->venue, conn, path, query);
        s_conn_unlink (self, conn);
        conn->opened = rc == 0;
    }
    vb_log_info ("sim ws upgrade peer=%s path=%s accepted=%s", conn->peer, path ? path : "",
                 rc == 0 ? "yes" : "no");
    free (path);
    free (query);
    if (rc != 0) {
        s_conn_destroy (&conn);
        return -1;
    }
    s_conn_link (self, conn);
    lws_set_opaque_user_data (wsi, conn);
    return 0;
}

static void
s_ws_established (vb_sim_server_t *self, vb_sim_conn_t *conn)
{
    conn->opened_mono_ns = conn->last_pong_mono_ns = s_mono (self);
    if (self->config.ws_ping_ms > 0)
        lws_sul_schedule (self->context, 0, &conn->ping_timer, s_conn_ping_timer,
                          self->config.ws_ping_ms * LWS_US_PER_MS);
    if (self->config.ws_lifetime_ms > 0)
        lws_sul_schedule (self->context, 0, &conn->lifetime_timer, s_conn_lifetime_timer,
                          self->config.ws_lifetime_ms * LWS_US_PER_MS);
    if (conn->firehose || conn->queue.count)
        lws_callback_on_writable (conn->wsi);
}

//  Write queued frames while the socket takes them. Returns -1 to close.
static int
s_ws_write (vb_sim_server_t *self, vb_sim_conn_t *conn)
{
    struct lws *wsi = conn->wsi;
    if (conn->closing) {
        lws_close_reason (wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (conn->ping_due) {
        unsigned char ping[LWS_PRE + sizeof SIM_PING_PAYLOAD];
        memcpy (ping + LWS_PRE, SIM_PING_PAYLOAD, sizeof SIM_PING_PAYLOAD - 1);
        conn->ping_due = false;
        if (lws_write (wsi, ping + LWS_PRE, sizeof SIM_PING_PAYLOAD - 1, LWS_WRITE_PING) < 0)
            return -1;
        lws_callback_on_writable (wsi);
        return 0;
    }
    //  The firehose refills its queue from here, a batch at a time.
    while (conn->firehose && conn->firehose_left > 0 && conn->queue.count < SIM_WRITES_PER_EVENT) {
        s_frame_t *frame = s_frame_new (NULL, 0);
        frame = realloc (frame, sizeof (s_frame_t) + LWS_PRE + conn->firehose_size);
        assert (frame);
        frame->length = conn->firehose_size;
        memset (frame->data + LWS_PRE, 'x', frame->length);
        s_queue_push (&conn->queue, frame);
        conn->firehose_left--;
    }
    //  Frame as many queued messages as fit the batch buffer ourselves and
    //  hand them to lws as one raw write: one syscall for many frames. A
    //  server frame is FIN + text opcode, then the length (7 bits, or 126 +
    //  16 bits, or 127 + 64 bits), unmasked, then the payload.
    unsigned char *batch = self->batch + LWS_PRE;
    size_t used = 0;
    for (int framed = 0; framed < SIM_WRITES_PER_EVENT && conn->queue.count; framed++) {
        s_frame_t *frame = conn->queue.frames[conn->queue.start];
        size_t header = frame->length < 126 ? 2 : frame->length <= 0xffff ? 4 : 10;
        if (used + header + frame->length > SIM_BATCH_MAX) {
            if (used > 0)
                break;
            //  Larger than the whole batch: let lws frame it alone.
            s_queue_pop (&conn->queue);
            int rc = lws_write (wsi, frame->data + LWS_PRE, frame->length, LWS_WRITE_TEXT);
            free (frame);
            if (rc < 0)
                return -1;
            lws_callback_on_writable (wsi);
            return 0;
        }
        s_queue_pop (&conn->queue);
        batch[used++] = 0x81;
        if (header == 2)
            batch[used++] = (unsigned char)frame->length;
        else if (header == 4) {
            batch[used++] = 126;
            batch[used++] = (unsigned char)(frame->length >> 8);
            batch[used++] = (unsigned char)frame->length;
        } else {
            batch[used++] = 127;
            for (int shift = 56; shift >= 0; shift -= 8)
                batch[used++] = (unsigned char)((uint64_t)frame->length >> shift);
        }
        memcpy (batch + used, frame->data + LWS_PRE, frame->length);
        used += frame->length;
        free (frame);
    }
    if (used > 0 && lws_write (wsi, batch, used, LWS_WRITE_RAW) < 0)
        return -1;
    if (conn->queue.count || (conn->firehose && conn->firehose_left > 0))
        lws_callback_on_writable (wsi);
    return 0;
}

//  One incoming piece of a WS message; complete text messages go to the
//  personality. Returns -1 to close.
static int
s_ws_receive (vb_sim_server_t *self, vb_sim_conn_t *conn, struct lws *wsi, const char *data,
              size_t length)
{
    if (lws_frame_is_binary (wsi))
        return 0;  //  Venues speak text; binary frames are ignored
    if (conn->rx_length + length > self->config.ws_message_max) {
        vb_log_info ("sim ws message too large peer=%s", conn->peer);
        lws_close_reason (wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
    }
    char *grown = realloc (conn->rx, conn->rx_length + length + 1);
    assert (grown);
    conn->rx = grown;
    memcpy (conn->rx + conn->rx_length, data, length);
    conn->rx_length += length;
    conn->rx[conn->rx_length] = '\0';
    if (!lws_is_final_fragment (wsi) || lws_remaining_packet_payload (wsi) > 0)
        return 0;
    if (conn->opened && self->ops->ws_message) {
        self->stats.ws_messages++;
        sim_metrics_count (self->config.metrics, SIM_METRICS_WS_MESSAGES, 1);
        self->ops->ws_message (self->venue, conn, conn->rx, conn->rx_length);
        s_metrics_sync (self);
    }
    conn->rx_length = 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Refuse a request the core cannot hand over (bad Content-Length, body
//  over http_body_max): in the venue's error shape when the personality
//  has one (ops->error_response; /_sim/ paths always get the core's).

static void
s_refuse (vb_sim_server_t *self, s_http_t *http, int status, const char *message)
{
    vb_sim_response_t *response = &http->response;
    bool own = strncmp (http->path, SIM_PATH_PREFIX, strlen (SIM_PATH_PREFIX)) == 0;
    if (!own)
        s_count_request (self, http);
    if (!own && self->ops->error_response)
        self->ops->error_response (self->venue, status, response);
    if (response->status == 0)
        s_error_json (response, status, message);
    vb_log_info ("sim http refused status=%d reason=\"%s\" peer=%s path=%s", status, message,
                 http->peer, http->path);
}

//  --------------------------------------------------------------------------
//  The one lws callback.

static int
s_callback (struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct lws_context *context = lws_get_context (wsi);
    vb_sim_server_t *self = context ? lws_context_user (context) : NULL;
    s_session_t *session = user;
    switch (reason) {
        case LWS_CALLBACK_HTTP: {
            if (!session)
                return -1;
            s_http_destroy (&session->http);
            s_http_t *http = s_http_new (self, wsi, in);
            session->http = http;
            char *length_text = s_token (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
            if (length_text) {
                char *end = NULL;
                unsigned long long expected = strtoull (length_text, &end, 10);
                bool valid = end && *end == '\0' && length_text[0] != '-';
                free (length_text);
                if (!valid) {
                    s_refuse (self, http, 400, "bad Content-Length");
                    http->close_after = true;
                    http->phase = S_HTTP_HEADERS;
                    lws_callback_on_writable (wsi);
                    return 0;
                }
                if (expected > self->config.http_body_max) {
                    s_refuse (self, http, 413, "request body too large");
                    http->close_after = true;
                    http->phase = S_HTTP_HEADERS;
                    lws_callback_on_writable (wsi);
                    return 0;
                }
                http->body_expected = (size_t)expected;
            }
            if (http->body_expected == 0)
                s_dispatch (self, http);
            return 0;
        }
        case LWS_CALLBACK_HTTP_BODY: {
            s_http_t *http = session ? session->http : NULL;
            if (!http || http->phase != S_HTTP_COLLECTING)
                return 0;
            if (http->body_length + len > self->config.http_body_max) {
                http->body_too_large = true;
                return 0;
            }
            char *grown = realloc (http->body, http->body_length + len + 1);
            assert (grown);
            http->body = grown;
            memcpy (http->body + http->body_length, in, len);
            http->body_length += len;
            http->body[http->body_length] = '\0';
            return 0;
        }
        case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
            s_http_t *http = session ? session->http : NULL;
            if (!http || http->phase != S_HTTP_COLLECTING)
                return 0;
            if (http->body_too_large) {
                s_refuse (self, http, 413, "request body too large");
                http->phase = S_HTTP_HEADERS;
                lws_callback_on_writable (wsi);
            } else
                s_dispatch (self, http);
            return 0;
        }
        case LWS_CALLBACK_HTTP_WRITEABLE: {
            s_http_t *http = session ? session->http : NULL;
            if (!http)
                return 0;
            return s_http_write (http);
        }
        case LWS_CALLBACK_CLOSED_HTTP:
        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
            if (session)
                s_http_destroy (&session->http);
            return 0;

        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            //  The upgrade is still an HTTP request here, so a refusal can
            //  be a real 404. The session does not exist yet: the new
            //  connection waits in the wsi's opaque pointer until ESTABLISHED.
            if (!in || strcmp (in, "websocket") != 0)
                return -1;
            if (s_ws_filter (self, wsi) != 0) {
                lws_return_http_status (wsi, HTTP_STATUS_NOT_FOUND, NULL);
                return 1;
            }
            return 0;
        case LWS_CALLBACK_ESTABLISHED: {
            vb_sim_conn_t *conn = lws_get_opaque_user_data (wsi);
            if (!session || !conn)
                return -1;
            lws_set_opaque_user_data (wsi, NULL);
            session->conn = conn;
            s_ws_established (self, conn);
            return 0;
        }
        case LWS_CALLBACK_RECEIVE:
            if (!session || !session->conn)
                return -1;
            return s_ws_receive (self, session->conn, wsi, in, len);
        case LWS_CALLBACK_RECEIVE_PONG:
            if (session && session->conn)
                session->conn->last_pong_mono_ns = s_mono (self);
            return 0;
        case LWS_CALLBACK_SERVER_WRITEABLE:
            if (!session || !session->conn)
                return -1;
            return s_ws_write (self, session->conn);
        case LWS_CALLBACK_CLOSED:
        case LWS_CALLBACK_WSI_DESTROY:
            if (reason == LWS_CALLBACK_CLOSED && session && session->conn) {
                vb_sim_conn_t *conn = session->conn;
                session->conn = NULL;
                s_conn_unlink (self, conn);
                if (conn->opened && self->ops->ws_close)
                    self->ops->ws_close (self->venue, conn);
                conn->wsi = NULL;
                s_conn_destroy (&conn);
            }
            if (reason == LWS_CALLBACK_WSI_DESTROY) {
                //  Upgraded but never established: the connection is ours.
                vb_sim_conn_t *pending = lws_get_opaque_user_data (wsi);
                if (pending) {
                    lws_set_opaque_user_data (wsi, NULL);
                    s_conn_unlink (self, pending);
                    if (pending->opened && self->ops->ws_close)
                        self->ops->ws_close (self->venue, pending);
                    s_conn_destroy (&pending);
                }
            }
            return 0;
        default:
            break;
    }
    return lws_callback_http_dummy (wsi, reason, user, in, len);
}

//  --------------------------------------------------------------------------
//  Engine events go to the personality.

static void
s_on_event (void *arg, const vb_sim_event_t *event)
{
    vb_sim_server_t *self = arg;
    if (self->venue && self->ops->event)
        self->ops->event (self->venue, event);
}

//  --------------------------------------------------------------------------
//  Housekeeping, every housekeeping_ms. Duties: run the synthetic flow;
//  call ops->tick every tick_ms; end stall windows (releasing the frames
//  they held) and volatility windows.

static void
s_housekeeping (lws_sorted_usec_list_t *sul)
{
    vb_sim_server_t *self = lws_container_of (sul, vb_sim_server_t, housekeeping);
    int64_t now = s_mono (self);
    bool stall_ended = false, volatility_ended = false;
    sim_faults_expire (self->faults, now, &stall_ended, &volatility_ended);
    if (stall_ended && !sim_faults_find (self->faults, SIM_FAULT_STALL))
        for (vb_sim_conn_t *conn = self->conns; conn; conn = conn->next) {
            s_frame_t *frame;
            while ((frame = s_queue_pop (&conn->stalled)))
                if (s_conn_enqueue (conn, frame) != 0)
                    break;
            if (conn->wsi && conn->queue.count)
                lws_callback_on_writable (conn->wsi);
        }
    if (volatility_ended && !sim_faults_find (self->faults, SIM_FAULT_VOLATILITY))
        sim_engine_set_volatility (self->engine, 1);
    sim_engine_flow (self->engine);
    if (self->ops->tick && self->ops->tick_ms > 0 && now >= self->next_tick_mono_ns) {
        self->next_tick_mono_ns = now + self->ops->tick_ms * VB_NS_PER_MS;
        self->ops->tick (self->venue, vb_sim_engine_now_ns (self->engine));
    }
    s_metrics_sync (self);
    lws_sul_schedule (self->context, 0, &self->housekeeping, s_housekeeping,
                      self->config.housekeeping_ms * LWS_US_PER_MS);
}

//  --------------------------------------------------------------------------
//  Constructor, destructor, run.

vb_sim_server_t *
sim_server_new (const vb_sim_venue_ops_t *ops, vb_sim_engine_t *engine, vb_clock_t *clock,
                const sim_server_config_t *config)
{
    assert (ops && engine);
    vb_sim_server_t *self = zmalloc (sizeof (vb_sim_server_t));
    self->ops = ops;
    self->engine = engine;
    self->clock = clock;
    self->config = config ? *config : SIM_SERVER_CONFIG_DEFAULT;
    if (self->config.housekeeping_ms <= 0)
        self->config.housekeeping_ms = SIM_SERVER_CONFIG_DEFAULT.housekeeping_ms;
    if (self->config.ws_queue_max == 0)
        self->config.ws_queue_max = SIM_SERVER_CONFIG_DEFAULT.ws_queue_max;
    const char *interface = self->config.interface;
    if (interface && *interface && strcmp (interface, "*") != 0)
        self->interface = s_strdup (interface);
    self->config.interface = self->interface;
    if (self->config.replay_path && *self->config.replay_path)
        self->replay_path = s_strdup (self->config.replay_path);
    self->config.replay_path = self->replay_path;
    self->faults = sim_faults_new ();
    self->batch = zmalloc (LWS_PRE + SIM_BATCH_MAX);

    lws_set_log_level (LLL_ERR | LLL_WARN, vb_log_lws_emit);
    self->protocols[0] = (struct lws_protocols){.name = SIM_PROTOCOL_NAME,
                                                .callback = s_callback,
                                                .per_session_data_size = sizeof (s_session_t)};
    struct lws_context_creation_info info;
    memset (&info, 0, sizeof info);
    info.port = self->config.port;
    info.iface = self->interface;
    info.protocols = self->protocols;
    info.user = self;
    info.max_http_header_data = SIM_HEADER_DATA_MAX;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (self->interface && !strchr (self->interface, ':'))
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    snprintf (self->vhost_names[0], SIM_VHOST_NAME_MAX, "%s", SIM_VHOST_NAME);
    info.vhost_name = self->vhost_names[0];
    self->context = lws_create_context (&info);
    if (!self->context) {
        vb_log_error ("sim cannot listen interface=%s port=%d",
                      self->interface ? self->interface : "*", self->config.port);
        sim_server_destroy (&self);
        return NULL;
    }
    self->vhost = lws_get_vhost_by_name (self->context, SIM_VHOST_NAME);
    self->port = self->vhost ? lws_get_vhost_listen_port (self->vhost) : -1;
    if (self->port <= 0) {
        vb_log_error ("sim has no listening port port=%d", self->config.port);
        sim_server_destroy (&self);
        return NULL;
    }
    self->ports[0] = self->port;
    self->port_count = 1;
    //  Extra ports: more vhosts of the same context, each on a port the
    //  kernel picks, with the same protocol (so the same callback, server,
    //  engine and personality).
    if (self->config.extra_ports < 0 || self->config.extra_ports > SIM_SERVER_EXTRA_PORTS_MAX) {
        vb_log_error ("sim extra ports out of range extra_ports=%d max=%d",
                      self->config.extra_ports, SIM_SERVER_EXTRA_PORTS_MAX);
        sim_server_destroy (&self);
        return NULL;
    }
    for (int extra = 1; extra <= self->config.extra_ports; extra++) {
        snprintf (self->vhost_names[extra], SIM_VHOST_NAME_MAX, "%s-%d", SIM_VHOST_NAME, extra);
        info.vhost_name = self->vhost_names[extra];
        info.port = 0;
        struct lws_vhost *vhost = lws_create_vhost (self->context, &info);
        int port = vhost ? lws_get_vhost_listen_port (vhost) : -1;
        if (port <= 0 || s_port_index (self, port) >= 0) {
            vb_log_error ("sim cannot listen on an extra port interface=%s extra=%d",
                          self->interface ? self->interface : "*", extra);
            sim_server_destroy (&self);
            return NULL;
        }
        self->ports[self->port_count++] = port;
    }
    sim_engine_set_listener (engine, s_on_event, self);
    if (ops->create) {
        self->venue = ops->create (engine, self);
        if (!self->venue) {
            vb_log_error ("sim personality failed to start venue=%s", ops->name);
            sim_server_destroy (&self);
            return NULL;
        }
    }
    self->next_tick_mono_ns = s_mono (self);
    lws_sul_schedule (self->context, 0, &self->housekeeping, s_housekeeping, 0);
    return self;
}

void
sim_server_destroy (vb_sim_server_t **self_p)
{
    assert (self_p);
    vb_sim_server_t *self = *self_p;
    if (!self)
        return;
    if (self->context)
        lws_sul_cancel (&self->housekeeping);
    //  lws closes every connection (CLOSED callbacks call ws_close while
    //  the personality still exists), then the personality goes.
    if (self->context)
        lws_context_destroy (self->context);
    self->context = NULL;
    while (self->conns) {
        vb_sim_conn_t *conn = self->conns;
        s_conn_unlink (self, conn);
        s_conn_destroy (&conn);
    }
    sim_engine_set_listener (self->engine, NULL, NULL);
    if (self->venue && self->ops->destroy)
        self->ops->destroy (&self->venue);
    sim_faults_destroy (&self->faults);
    free (self->batch);
    free (self->interface);
    free (self->replay_path);
    free (self);
    *self_p = NULL;
}

int
sim_server_port (vb_sim_server_t *self)
{
    assert (self);
    return self->port;
}

size_t
sim_server_port_count (vb_sim_server_t *self)
{
    assert (self);
    return self->port_count;
}

int
sim_server_port_at (vb_sim_server_t *self, size_t index)
{
    assert (self);
    return index < self->port_count ? self->ports[index] : -1;
}

int
sim_server_run (vb_sim_server_t *self, volatile sig_atomic_t *stop)
{
    assert (self && stop);
    while (!*stop) {
        if (lws_service (self->context, 0) < 0) {
            vb_log_error ("sim lws service failed");
            return -1;
        }
    }
    return 0;
}
