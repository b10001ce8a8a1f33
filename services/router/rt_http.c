/*  rt_http.c — the router's REST client: libcurl multi, driven from the router's own loop.

    Each transfer runs on one easy handle from a fixed pool. The handles are
    configured once at construction (callbacks, timeouts, TLS, HTTP/1.1);
    rt_http_send only sets what changes per request (URL, method, body,
    headers), so nothing is reset and the connection cache of the multi
    handle keeps the warm connections. Request bodies and header lists live
    in the handle (the header list is a curl_slist built over the handle's
    own nodes, never allocated); answers are collected into per-handle
    buffers kept between transfers.

    The pool holds one handle more than max_in_flight: the finishing
    transfer keeps its handle (its answer is borrowed) while done runs, and
    done may start a new transfer at the same time.

    At most once: the prerequisite callback (CURLOPT_PREREQFUNCTION) runs
    once per attempt, after the connection is ready and before the request
    is written. A may_execute transfer is aborted on its second attempt.
    The same counter answers `sent`: once any attempt reached that point
    the request may have been written.

    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <czmq.h>
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "rt_http.h"
#include "vb_clock.h"
#include "vb_error.h"

#define S_IN_FLIGHT_DEFAULT      64
#define S_IN_FLIGHT_MAX          4096  //  Largest max_in_flight accepted
#define S_TIMEOUT_DEFAULT_MS     10000
#define S_CONNECT_DEFAULT_MS     3000
#define S_BODY_DEFAULT           (4 * 1024 * 1024)
#define S_BODY_LIMIT             (256 * 1024 * 1024)  //  Largest body_max accepted
#define S_BODY_INITIAL           (16 * 1024)          //  Answer buffer made at construction
#define S_HEADER_BYTES           (16 * 1024)          //  Answer header text kept per transfer
#define S_SOCKETS_PER_CONNECTION 2                    //  Happy eyeballs: IPv4 and IPv6 at once
#define S_CONNECTIONS_MAX        (RT_HTTP_POLL_MAX / S_SOCKETS_PER_CONNECTION)
#define S_KEEPALIVE_IDLE_S       30  //  TCP keep-alive probes on idle connections
#define S_KEEPALIVE_INTERVAL_S   15
#define S_NS_PER_MS              INT64_C (1000000)
#define S_ATTEMPTS_AT_MOST_ONCE  1  //  may_execute: one attempt only
#define S_PROTOCOLS              "http,https"
#define S_NO_EXPECT              "Expect:"  //  Never wait for 100-continue
#define S_ERROR_BODY_TOO_LARGE   "answer body larger than body_max"
#define S_ERROR_NOT_RESENT       "connection lost after the request was sent; not sent again"
#define S_ERROR_TOO_MANY_SOCKETS "too many sockets to watch"

_Static_assert(RT_HTTP_ERROR_MAX >= CURL_ERROR_SIZE, "curl's error buffer must fit the answer");
_Static_assert(S_CONNECTIONS_MAX > 0, "RT_HTTP_POLL_MAX too small");

//  How a method carries a body.
typedef enum {
    S_BODY_NEVER = 1,     //  GET: a body is a bad request
    S_BODY_ALWAYS = 2,    //  POST, PUT: sent even when empty (Content-Length: 0)
    S_BODY_OPTIONAL = 3,  //  DELETE: sent when there is one
} s_body_rule_t;

typedef struct {
    const char *name;    //  As on the request line
    const char *custom;  //  CURLOPT_CUSTOMREQUEST, or NULL for curl's own
    s_body_rule_t body;
} s_method_t;

static const s_method_t s_methods[] = {
    {"GET", NULL, S_BODY_NEVER},
    {"POST", NULL, S_BODY_ALWAYS},
    {"PUT", "PUT", S_BODY_ALWAYS},
    {"DELETE", "DELETE", S_BODY_OPTIONAL},
};

//  One easy handle and everything its transfer needs.
typedef struct {
    rt_http_t *owner;                     //  For the callbacks
    CURL *easy;                           //  Configured once, reused
    bool busy;                            //  Owns a transfer (running or finishing)
    uint64_t id;                          //  Caller's id of the transfer
    bool may_execute;                     //  At most one attempt
    int attempts;                         //  Prerequisite callbacks seen
    bool refused_retry;                   //  Aborted a second attempt
    bool too_large;                       //  The answer body passed body_max
    bool starved;                         //  curl asked for a socket we could not watch
    int64_t queued_ns;                    //  rt_http_send called
    int64_t written_ns;                   //  Last attempt about to write (prereq)
    char error[CURL_ERROR_SIZE];          //  CURLOPT_ERRORBUFFER
    char request_body[VB_EXEC_BODY_MAX];  //  Copy of the request body
    char request_headers[VB_EXEC_HEADERS_MAX][VB_EXEC_HEADER_MAX];  //  Copies
    struct curl_slist nodes[VB_EXEC_HEADERS_MAX + 1];               //  Header list over the copies
    char *body;                                                     //  Answer body, NUL-terminated
    size_t body_length;                                             //  Bytes without the NUL
    size_t body_capacity;                                           //  Bytes allocated
    char header_text[S_HEADER_BYTES];          //  Answer header lines, each NUL-terminated
    size_t header_used;                        //  Bytes of header_text in use
    const char *headers[RT_HTTP_HEADERS_MAX];  //  Lines in header_text
    size_t header_count;                       //  Entries in headers
} s_handle_t;

//  One socket curl asked us to watch.
typedef struct {
    curl_socket_t fd;  //  Raw socket
    short events;      //  ZMQ_POLLIN | ZMQ_POLLOUT
} s_socket_t;

struct _rt_http_t {
    rt_http_options_t options;             //  With defaults filled in (ca_file copied)
    char *ca_file;                         //  Owned copy of options.ca_file, or NULL
    rt_http_done_fn *done;                 //  Called for every finished transfer
    void *ctx;                             //  done's context
    bool curl_initialised;                 //  curl_global_init succeeded
    CURLM *multi;                          //  Connection cache, sockets, timer
    CURLSH *share;                         //  TLS sessions shared by the handles
    s_handle_t *handles;                   //  Pool, max_in_flight + 1
    size_t handle_count;                   //  Handles in the pool
    s_handle_t **idle;                     //  Stack of handles without a transfer
    size_t idle_count;                     //  Entries in idle
    size_t in_flight;                      //  Transfers running
    s_socket_t sockets[RT_HTTP_POLL_MAX];  //  What curl wants watched
    size_t socket_count;                   //  Entries in sockets
    bool starved;                          //  Some handle is starved (see s_handle_t)
    int64_t timer_due_ns;                  //  Curl's timer, monotonic ns; -1: none
    bool finished;                         //  A transfer ended inside rt_http_send
    bool in_done;                          //  Inside the done callback
};

//  --------------------------------------------------------------------------
//  Curl's header callback: keep the final answer's header lines, without the
//  status line, the blank line and the line ends.

static size_t
s_header_cb (char *data, size_t size, size_t count, void *userp)
{
    s_handle_t *handle = (s_handle_t *)userp;
    size_t length = size * count;
    size_t line_length = length;
    while (line_length > 0 && (data[line_length - 1] == '\n' || data[line_length - 1] == '\r'))
        line_length--;
    if (line_length >= strlen ("HTTP/") && memcmp (data, "HTTP/", strlen ("HTTP/")) == 0) {
        //  A new answer begins (after a 1xx): keep only the last one's lines
        handle->header_used = 0;
        handle->header_count = 0;
        return length;
    }
    if (line_length == 0)
        return length;
    //  Lines beyond RT_HTTP_HEADERS_MAX or S_HEADER_BYTES are not kept
    if (handle->header_count < RT_HTTP_HEADERS_MAX &&
        handle->header_used + line_length + 1 <= S_HEADER_BYTES) {
        char *line = handle->header_text + handle->header_used;
        memcpy (line, data, line_length);
        line[line_length] = '\0';
        handle->headers[handle->header_count++] = line;
        handle->header_used += line_length + 1;
    }
    return length;
}

//  --------------------------------------------------------------------------
//  Curl's write callback: append to the answer body, up to body_max.

static size_t
s_write_cb (char *data, size_t size, size_t count, void *userp)
{
    s_handle_t *handle = (s_handle_t *)userp;
    size_t length = size * count;
    size_t body_max = handle->owner->options.body_max;
    if (length > body_max - handle->body_length) {
        handle->too_large = true;
        return 0;  //  Anything but length fails the transfer (CURLE_WRITE_ERROR)
    }
    size_t needed = handle->body_length + length + 1;
    if (needed > handle->body_capacity) {
        size_t capacity = handle->body_capacity;
        while (capacity < needed)
            capacity *= 2;
        if (capacity > body_max + 1)
            capacity = body_max + 1;
        char *body = (char *)realloc (handle->body, capacity);
        if (!body)
            return 0;  //  Fails the transfer; the caller sees curl's write error
        handle->body = body;
        handle->body_capacity = capacity;
    }
    memcpy (handle->body + handle->body_length, data, length);
    handle->body_length += length;
    handle->body[handle->body_length] = '\0';
    return length;
}

//  --------------------------------------------------------------------------
//  Curl's prerequisite callback: one call per attempt, on a ready connection,
//  before any byte of the request is written. A may_execute transfer gets
//  one attempt only.

static int
s_prereq_cb (void *userp, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    s_handle_t *handle = (s_handle_t *)userp;
    handle->attempts++;
    handle->written_ns = vb_clock_now_mono_ns ();
    if (handle->may_execute && handle->attempts > S_ATTEMPTS_AT_MOST_ONCE) {
        handle->refused_retry = true;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

//  --------------------------------------------------------------------------
//  Curl's socket callback: keep the table of sockets to watch up to date.

static int
s_socket_cb (CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)socketp;
    rt_http_t *self = (rt_http_t *)userp;
    size_t index = 0;
    while (index < self->socket_count && self->sockets[index].fd != fd)
        index++;
    if (what == CURL_POLL_REMOVE) {
        if (index < self->socket_count)
            self->sockets[index] = self->sockets[--self->socket_count];
        return 0;
    }
    short events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= ZMQ_POLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= ZMQ_POLLOUT;
    if (index == self->socket_count) {
        if (self->socket_count == RT_HTTP_POLL_MAX) {
            //  Cannot happen with the connection cap set in rt_http_new; if
            //  it does, the transfer fails in rt_http_process rather than
            //  wait for a socket nobody watches. Returning -1 would kill
            //  every transfer of the multi handle.
            char *private_data = NULL;
            if (curl_easy_getinfo (easy, CURLINFO_PRIVATE, &private_data) == CURLE_OK &&
                private_data) {
                ((s_handle_t *)private_data)->starved = true;
                self->starved = true;
            }
            zsys_error ("http socket table full sockets=%d", RT_HTTP_POLL_MAX);
            return 0;
        }
        self->sockets[self->socket_count++].fd = fd;
    }
    self->sockets[index].events = events;
    return 0;
}

//  --------------------------------------------------------------------------
//  Curl's timer callback: remember when curl wants to be called back.

static int
s_timer_cb (CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    rt_http_t *self = (rt_http_t *)userp;
    if (timeout_ms < 0)
        self->timer_due_ns = -1;
    else
        self->timer_due_ns = vb_clock_now_mono_ns () + (int64_t)timeout_ms * S_NS_PER_MS;
    return 0;
}

//  --------------------------------------------------------------------------
//  Configure one easy handle for its whole life. Returns 0 or -1.

static int
s_handle_setup (rt_http_t *self, s_handle_t *handle)
{
    CURL *easy = handle->easy;
    const rt_http_options_t *options = &self->options;
    CURLcode rc = CURLE_OK;
    //  An rc-chain: the first failure stops the rest
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_PRIVATE, (void *)handle);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_TCP_NODELAY, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_TCP_KEEPALIVE, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_TCP_KEEPIDLE, (long)S_KEEPALIVE_IDLE_S);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_TCP_KEEPINTVL, (long)S_KEEPALIVE_INTERVAL_S);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long)options->timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS, (long)options->connect_timeout_ms);
    //  HTTP/1.1: HTTP/2 through the multi interface costs more per request
    //  on a reused connection (performance.md 2.6, curl #4639)
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, S_PROTOCOLS);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (rc == CURLE_OK && self->ca_file)
        rc = curl_easy_setopt (easy, CURLOPT_CAINFO, self->ca_file);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_SHARE, self->share);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, handle->error);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, s_header_cb);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HEADERDATA, (void *)handle);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_write_cb);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_WRITEDATA, (void *)handle);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_PREREQFUNCTION, s_prereq_cb);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_PREREQDATA, (void *)handle);
    return rc == CURLE_OK ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Create the client.

rt_http_t *
rt_http_new (const rt_http_options_t *options, rt_http_done_fn *done, void *ctx)
{
    if (!done)
        return NULL;
    rt_http_options_t settings = {0};
    if (options)
        settings = *options;
    if (settings.max_in_flight > S_IN_FLIGHT_MAX || settings.timeout_ms < 0 ||
        settings.timeout_ms > LONG_MAX || settings.connect_timeout_ms < 0 ||
        settings.connect_timeout_ms > LONG_MAX || settings.body_max > S_BODY_LIMIT)
        return NULL;
    if (settings.max_in_flight == 0)
        settings.max_in_flight = S_IN_FLIGHT_DEFAULT;
    if (settings.timeout_ms == 0)
        settings.timeout_ms = S_TIMEOUT_DEFAULT_MS;
    if (settings.connect_timeout_ms == 0)
        settings.connect_timeout_ms = S_CONNECT_DEFAULT_MS;
    if (settings.body_max == 0)
        settings.body_max = S_BODY_DEFAULT;

    rt_http_t *self = (rt_http_t *)zmalloc (sizeof (rt_http_t));
    self->done = done;
    self->ctx = ctx;
    self->timer_due_ns = -1;
    if (settings.ca_file && settings.ca_file[0])
        self->ca_file = strdup (settings.ca_file);
    settings.ca_file = self->ca_file;
    self->options = settings;

    int rc = 0;
    if (settings.ca_file == NULL && options && options->ca_file && options->ca_file[0])
        rc = -1;  //  strdup failed
    if (rc == 0) {
        self->curl_initialised = curl_global_init (CURL_GLOBAL_DEFAULT) == CURLE_OK;
        rc = self->curl_initialised ? 0 : -1;
    }
    if (rc == 0) {
        self->multi = curl_multi_init ();
        self->share = curl_share_init ();
        rc = self->multi && self->share ? 0 : -1;
    }
    if (rc == 0 &&
        (curl_share_setopt (self->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
             CURLSHE_OK ||
         curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, s_socket_cb) != CURLM_OK ||
         curl_multi_setopt (self->multi, CURLMOPT_SOCKETDATA, (void *)self) != CURLM_OK ||
         curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, s_timer_cb) != CURLM_OK ||
         curl_multi_setopt (self->multi, CURLMOPT_TIMERDATA, (void *)self) != CURLM_OK ||
         curl_multi_setopt (self->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)S_CONNECTIONS_MAX) !=
             CURLM_OK ||
         curl_multi_setopt (self->multi, CURLMOPT_MAXCONNECTS, (long)S_CONNECTIONS_MAX) !=
             CURLM_OK))
        rc = -1;
    if (rc == 0) {
        self->handle_count = settings.max_in_flight + 1;
        self->handles = (s_handle_t *)calloc (self->handle_count, sizeof (s_handle_t));
        self->idle = (s_handle_t **)calloc (self->handle_count, sizeof (s_handle_t *));
        rc = self->handles && self->idle ? 0 : -1;
    }
    for (size_t index = 0; rc == 0 && index < self->handle_count; index++) {
        s_handle_t *handle = &self->handles[index];
        handle->owner = self;
        handle->easy = curl_easy_init ();
        handle->body_capacity =
            S_BODY_INITIAL < settings.body_max + 1 ? S_BODY_INITIAL : settings.body_max + 1;
        handle->body = (char *)malloc (handle->body_capacity);
        if (!handle->easy || !handle->body || s_handle_setup (self, handle) != 0)
            rc = -1;
        else {
            handle->body[0] = '\0';
            self->idle[self->idle_count++] = handle;
        }
    }
    if (rc != 0)
        rt_http_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Abort every transfer without calling done, and free everything.

void
rt_http_destroy (rt_http_t **self_p)
{
    assert (self_p);
    rt_http_t *self = *self_p;
    if (!self)
        return;
    assert (!self->in_done);  //  Never from inside the done callback
    //  Order from curl's documentation: take the handles out of the multi
    //  handle, clean them up, then the multi handle, then the share.
    if (self->handles) {
        for (size_t index = 0; index < self->handle_count; index++) {
            s_handle_t *handle = &self->handles[index];
            if (handle->busy && self->multi)
                curl_multi_remove_handle (self->multi, handle->easy);
        }
        for (size_t index = 0; index < self->handle_count; index++) {
            s_handle_t *handle = &self->handles[index];
            if (handle->easy)
                curl_easy_cleanup (handle->easy);
            free (handle->body);
        }
        free (self->handles);
    }
    free (self->idle);
    if (self->multi)
        curl_multi_cleanup (self->multi);
    if (self->share)
        curl_share_cleanup (self->share);
    if (self->curl_initialised)
        curl_global_cleanup ();
    free (self->ca_file);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Find a method by its exact name, or NULL.

static const s_method_t *
s_method_find (const char *name, size_t size)
{
    if (!memchr (name, '\0', size))
        return NULL;
    for (size_t index = 0; index < sizeof (s_methods) / sizeof (s_methods[0]); index++)
        if (strcmp (s_methods[index].name, name) == 0)
            return &s_methods[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  True when the URL is NUL-terminated, http:// or https://, with a host,
//  and holds only printable ASCII without spaces.

static bool
s_url_valid (const char *url)
{
    const char *end = (const char *)memchr (url, '\0', VB_EXEC_URL_MAX);
    if (!end)
        return false;
    size_t scheme = 0;
    if (strncasecmp (url, "http://", strlen ("http://")) == 0)
        scheme = strlen ("http://");
    else if (strncasecmp (url, "https://", strlen ("https://")) == 0)
        scheme = strlen ("https://");
    else
        return false;
    if (url + scheme == end || url[scheme] == '/')
        return false;  //  No host
    for (const char *cursor = url; cursor < end; cursor++)
        if (*cursor <= ' ' || *cursor >= 0x7f)
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  True when the header is NUL-terminated "Name: value": a non-empty name of
//  visible characters without ':', and a value without control characters
//  other than tab (no CR/LF: nothing can be smuggled into the request).

static bool
s_header_valid (const char *header)
{
    const char *end = (const char *)memchr (header, '\0', VB_EXEC_HEADER_MAX);
    const char *colon = end ? (const char *)memchr (header, ':', (size_t)(end - header)) : NULL;
    if (!colon || colon == header)
        return false;
    for (const char *cursor = header; cursor < colon; cursor++)
        if (*cursor <= ' ' || *cursor >= 0x7f)
            return false;
    for (const char *cursor = colon + 1; cursor < end; cursor++)
        if ((*cursor < ' ' && *cursor != '\t') || *cursor == 0x7f)
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Start a transfer.

int
rt_http_send (rt_http_t *self, uint64_t id, const vb_exec_request_t *request)
{
    assert (self);
    if (!request)
        return VB_EINVAL;
    const s_method_t *method = s_method_find (request->method, sizeof (request->method));
    if (!method || !s_url_valid (request->url) || request->body_length > VB_EXEC_BODY_MAX ||
        request->header_count > VB_EXEC_HEADERS_MAX ||
        (method->body == S_BODY_NEVER && request->body_length > 0))
        return VB_EINVAL;
    for (size_t index = 0; index < request->header_count; index++)
        if (!s_header_valid (request->headers[index]))
            return VB_EINVAL;
    if (self->in_flight >= self->options.max_in_flight)
        return VB_ELIMIT;
    assert (self->idle_count > 0);  //  One handle more than max_in_flight
    s_handle_t *handle = self->idle[self->idle_count - 1];
    CURL *easy = handle->easy;

    //  The header list: the request's lines, then no 100-continue wait
    size_t node_count = 0;
    for (size_t index = 0; index < request->header_count; index++) {
        memcpy (handle->request_headers[index], request->headers[index], VB_EXEC_HEADER_MAX);
        handle->nodes[node_count++].data = handle->request_headers[index];
    }
    handle->nodes[node_count++].data = (char *)S_NO_EXPECT;
    for (size_t index = 0; index < node_count; index++)
        handle->nodes[index].next = index + 1 < node_count ? &handle->nodes[index + 1] : NULL;

    bool with_body = method->body == S_BODY_ALWAYS ||
                     (method->body == S_BODY_OPTIONAL && request->body_length > 0);
    memcpy (handle->request_body, request->body, request->body_length);
    CURLcode rc = curl_easy_setopt (easy, CURLOPT_URL, request->url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HTTPHEADER, handle->nodes);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, method->custom);
    if (rc == CURLE_OK && with_body) {
        rc = curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE, (long)request->body_length);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt (easy, CURLOPT_POSTFIELDS, handle->request_body);
    } else if (rc == CURLE_OK)
        rc = curl_easy_setopt (easy, CURLOPT_HTTPGET, 1L);
    if (rc != CURLE_OK)
        return rc == CURLE_OUT_OF_MEMORY ? VB_ENOMEM : VB_EINVAL;

    handle->id = id;
    handle->may_execute = request->may_execute;
    handle->attempts = 0;
    handle->refused_retry = false;
    handle->too_large = false;
    handle->starved = false;
    handle->error[0] = '\0';
    handle->body_length = 0;
    handle->body[0] = '\0';
    handle->header_used = 0;
    handle->header_count = 0;
    handle->queued_ns = vb_clock_now_mono_ns ();
    handle->written_ns = 0;
    CURLMcode added = curl_multi_add_handle (self->multi, easy);
    if (added != CURLM_OK)
        return added == CURLM_OUT_OF_MEMORY ? VB_ENOMEM : VB_ESTATE;
    handle->busy = true;
    self->idle_count--;
    self->in_flight++;
    //  Start it now rather than on the loop's next turn (curl's first timer
    //  is 0 ms anyway): that spares a poll round on every order. A transfer
    //  that ends in here is reported by the next rt_http_process, which
    //  rt_http_timeout_ms then asks for at once.
    int running = 0;
    curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    if ((size_t)running < self->in_flight)
        self->finished = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  Fill items with the sockets curl wants watched.

size_t
rt_http_pollitems (rt_http_t *self, zmq_pollitem_t *items, size_t max)
{
    assert (self);
    assert (items || max == 0);
    size_t count = 0;
    for (size_t index = 0; index < self->socket_count && count < max; index++) {
        items[count].socket = NULL;
        items[count].fd = self->sockets[index].fd;
        items[count].events = self->sockets[index].events;
        items[count].revents = 0;
        count++;
    }
    return count;
}

//  --------------------------------------------------------------------------
//  Milliseconds until curl's timer fires, rounded up, or -1.

long
rt_http_timeout_ms (rt_http_t *self)
{
    assert (self);
    if (self->starved || self->finished)
        return 0;  //  rt_http_process has transfers to report
    if (self->timer_due_ns < 0)
        return -1;
    int64_t remaining_ns = self->timer_due_ns - vb_clock_now_mono_ns ();
    if (remaining_ns <= 0)
        return 0;
    return (long)((remaining_ns + S_NS_PER_MS - 1) / S_NS_PER_MS);
}

//  --------------------------------------------------------------------------
//  Take a transfer out of curl, report it through done, and give its handle
//  back to the pool.

static void
s_finish (rt_http_t *self, s_handle_t *handle, CURLcode result)
{
    curl_multi_remove_handle (self->multi, handle->easy);
    self->in_flight--;

    rt_http_answer_t answer = {
        .id = handle->id,
        .sent = handle->attempts > 0,
        .headers = handle->headers,
        .header_count = handle->header_count,
        .body = handle->body,
        .length = handle->body_length,
        .queued_ns = handle->queued_ns,
        .written_ns = handle->written_ns,
        .done_ns = vb_clock_now_mono_ns (),
    };
    long status = 0;
    if (result == CURLE_OK && !handle->starved &&
        curl_easy_getinfo (handle->easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status > 0)
        answer.status = (int)status;
    else {
        const char *text = handle->too_large       ? S_ERROR_BODY_TOO_LARGE
                           : handle->refused_retry ? S_ERROR_NOT_RESENT
                           : handle->starved       ? S_ERROR_TOO_MANY_SOCKETS
                           : handle->error[0]      ? handle->error
                                                   : curl_easy_strerror (result);
        snprintf (answer.error, sizeof (answer.error), "%s", text);
        if (answer.error[0] == '\0')
            snprintf (answer.error, sizeof (answer.error), "%s", "no answer");
    }
    self->in_done = true;
    self->done (self->ctx, &answer);
    self->in_done = false;

    handle->busy = false;
    handle->body_length = 0;
    handle->body[0] = '\0';
    self->idle[self->idle_count++] = handle;
}

//  --------------------------------------------------------------------------
//  Report every transfer curl has finished. Returns how many.

static int
s_drain (rt_http_t *self)
{
    int finished = 0;
    int left = 0;
    CURLMsg *message;
    while ((message = curl_multi_info_read (self->multi, &left))) {
        if (message->msg != CURLMSG_DONE)
            continue;
        char *private_data = NULL;
        CURLcode result = message->data.result;  //  message dies with remove_handle
        curl_easy_getinfo (message->easy_handle, CURLINFO_PRIVATE, &private_data);
        s_handle_t *handle = (s_handle_t *)private_data;
        assert (handle && handle->busy);
        s_finish (self, handle, result);
        finished++;
    }
    return finished;
}

//  --------------------------------------------------------------------------
//  After zmq_poll: act on ready sockets and on curl's timer.

int
rt_http_process (rt_http_t *self, const zmq_pollitem_t *items, size_t count)
{
    assert (self);
    assert (items || count == 0);
    assert (!self->in_done);
    int running = 0;
    for (size_t index = 0; index < count; index++) {
        if (items[index].socket || items[index].revents == 0)
            continue;
        int mask = 0;
        if (items[index].revents & ZMQ_POLLIN)
            mask |= CURL_CSELECT_IN;
        if (items[index].revents & ZMQ_POLLOUT)
            mask |= CURL_CSELECT_OUT;
        if (items[index].revents & ZMQ_POLLERR)
            mask |= CURL_CSELECT_ERR;
        curl_multi_socket_action (self->multi, items[index].fd, mask, &running);
    }
    if (self->timer_due_ns >= 0 && self->timer_due_ns <= vb_clock_now_mono_ns ()) {
        self->timer_due_ns = -1;  //  The call below may set a new one
        curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    self->finished = false;
    int finished = s_drain (self);
    if (self->starved) {
        self->starved = false;
        for (size_t index = 0; index < self->handle_count; index++) {
            s_handle_t *handle = &self->handles[index];
            if (handle->busy && handle->starved) {
                s_finish (self, handle, CURLE_COULDNT_CONNECT);
                finished++;
            }
        }
    }
    return finished;
}

//  --------------------------------------------------------------------------
//  Transfers running now.

size_t
rt_http_in_flight (rt_http_t *self)
{
    assert (self);
    return self->in_flight;
}
