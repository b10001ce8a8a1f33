/*  gw_rest.c — REST worker actor: curl multi, answers posted back by value.

    Pipe messages (loop thread -> worker):
        "CALL" [vb_md_request_t bytes] [url]
        "$TERM"
    and (worker -> loop thread):
        "DONE" [vb_md_request_t bytes] [status int32] [retry_after_ms int64]
               [used_weight uint64, empty when the usage header was absent]
               [body] [error text]
    Everything travels by value, so an answer left in the pipe at shutdown
    is freed with the pipe and nothing leaks.
    SPDX-License-Identifier: MPL-2.0
*/
#include <curl/curl.h>
#include <czmq.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "gw_rest.h"
#include "vb_error.h"

//  Longest the worker sleeps in curl_multi_poll when curl asks for no
//  timeout; the pipe wakes it earlier.
#define GW_REST_POLL_MAX_MS 1000
//  Idle easy handles kept for reuse.
#define GW_REST_IDLE_MAX 8
//  Longest URL handed to the worker.
#define GW_REST_URL_MAX (VB_MD_URL_MAX + VB_MD_REQUEST_MAX)
//  Initial body buffer.
#define GW_REST_BODY_INITIAL 4096

struct _gw_rest_t {
    zactor_t *actor;  //  The worker
    size_t pending;   //  Calls handed over and not read back
};

//  Settings copied to the worker.
typedef struct {
    int64_t timeout_ms;     //  Per call
    size_t body_max;        //  Per answer
    char ca_file[1024];     //  CA bundle, "" for curl's default
    gw_rest_wake_fn *wake;  //  After each answer
    void *wake_arg;         //  Its argument
} s_settings_t;

//  One call in flight (worker thread only).
typedef struct {
    CURL *easy;                   //  The handle, in the multi
    vb_md_request_t request;      //  Copied from the CALL message
    char *body;                   //  Answer so far
    size_t length;                //  Bytes in body
    size_t capacity;              //  Allocated bytes
    size_t body_max;              //  Bound
    bool overflow;                //  The answer passed body_max
    int64_t retry_after_ms;       //  From the Retry-After header
    bool has_usage;               //  The request's usage header was read
    uint64_t used_weight;         //  Its value
    char error[CURL_ERROR_SIZE];  //  curl's error buffer
} s_call_t;

//  --------------------------------------------------------------------------
//  curl write callback: append to the call's body, within its bound.

static size_t
s_write (char *data, size_t size, size_t count, void *arg)
{
    s_call_t *call = (s_call_t *)arg;
    size_t bytes = size * count;
    if (call->length + bytes + 1 > call->body_max) {
        call->overflow = true;
        return 0;  //  Fails the transfer with CURLE_WRITE_ERROR
    }
    if (call->length + bytes + 1 > call->capacity) {
        size_t capacity = call->capacity ? call->capacity : GW_REST_BODY_INITIAL;
        while (capacity < call->length + bytes + 1)
            capacity *= 2;
        if (capacity > call->body_max)
            capacity = call->body_max;
        char *body = (char *)realloc (call->body, capacity);
        if (!body)
            return 0;
        call->body = body;
        call->capacity = capacity;
    }
    memcpy (call->body + call->length, data, bytes);
    call->length += bytes;
    call->body[call->length] = 0;
    return bytes;
}

//  --------------------------------------------------------------------------
//  The request's usage header ("Name: 123"), when it names one: a decimal
//  count; anything else in the value (or an overflow) ignores the line.

static void
s_usage_header (s_call_t *call, const char *data, size_t bytes)
{
    const char *name = call->request.usage_header;
    size_t name_length = strnlen (name, sizeof (call->request.usage_header));
    if (name_length == 0 || name_length == sizeof (call->request.usage_header) ||
        bytes <= name_length || strncasecmp (data, name, name_length) != 0 ||
        data[name_length] != ':')
        return;
    size_t i = name_length + 1;
    while (i < bytes && (data[i] == ' ' || data[i] == '\t'))
        i++;
    uint64_t value = 0;
    size_t digits = 0;
    for (; i < bytes && data[i] >= '0' && data[i] <= '9'; i++, digits++) {
        uint64_t digit = (uint64_t)(data[i] - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return;  //  Overflow: not a count we can use
        value = value * 10 + digit;
    }
    while (i < bytes && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (digits == 0 || i != bytes)
        return;
    call->used_weight = value;
    call->has_usage = true;
}

//  --------------------------------------------------------------------------
//  curl header callback: read Retry-After (seconds form) for the grants.

static void s_usage_header (s_call_t *call, const char *data, size_t bytes);

static size_t
s_header (char *data, size_t size, size_t count, void *arg)
{
    s_call_t *call = (s_call_t *)arg;
    size_t bytes = size * count;
    s_usage_header (call, data, bytes);
    static const char name[] = "retry-after:";
    if (bytes > sizeof (name) - 1 && strncasecmp (data, name, sizeof (name) - 1) == 0) {
        int64_t seconds = 0;
        size_t i = sizeof (name) - 1;
        while (i < bytes && data[i] == ' ')
            i++;
        while (i < bytes && data[i] >= '0' && data[i] <= '9' && seconds < 86400)
            seconds = seconds * 10 + (data[i++] - '0');
        call->retry_after_ms = seconds * 1000;
    }
    return bytes;
}

//  --------------------------------------------------------------------------
//  Post an answer back to the loop thread, then wake it.

static void
s_post (zsock_t *pipe, const s_settings_t *settings, const vb_md_request_t *request, int status,
        int64_t retry_after_ms, const uint64_t *used_weight, const char *body, size_t length,
        const char *error)
{
    int32_t status32 = status;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "DONE");
    zmsg_addmem (msg, request, sizeof (*request));
    zmsg_addmem (msg, &status32, sizeof (status32));
    zmsg_addmem (msg, &retry_after_ms, sizeof (retry_after_ms));
    zmsg_addmem (msg, used_weight, used_weight ? sizeof (*used_weight) : 0);
    zmsg_addmem (msg, body, body ? length : 0);
    zmsg_addstr (msg, error ? error : "");
    zmsg_send (&msg, pipe);
    settings->wake (settings->wake_arg);
}

//  --------------------------------------------------------------------------
//  Start one call from a CALL message.

static void
s_start (CURLM *multi, zlist_t *idle, zlist_t *calls, const s_settings_t *settings, zsock_t *pipe,
         zmsg_t *msg)
{
    zframe_t *request_frame = zmsg_pop (msg);
    char *url = zmsg_popstr (msg);
    if (!request_frame || zframe_size (request_frame) != sizeof (vb_md_request_t) || !url) {
        //  Our own loop thread built this message: a bad one is a bug.
        assert (false);
        zframe_destroy (&request_frame);
        zstr_free (&url);
        return;
    }
    s_call_t *call = (s_call_t *)zmalloc (sizeof (s_call_t));
    memcpy (&call->request, zframe_data (request_frame), sizeof (vb_md_request_t));
    zframe_destroy (&request_frame);
    call->body_max = settings->body_max;
    call->easy = (CURL *)zlist_pop (idle);
    if (!call->easy)
        call->easy = curl_easy_init ();
    if (!call->easy) {
        s_post (pipe, settings, &call->request, 0, 0, NULL, NULL, 0, "curl_easy_init failed");
        free (call);
        zstr_free (&url);
        return;
    }
    CURL *easy = call->easy;
    curl_easy_setopt (easy, CURLOPT_URL, url);
    curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long)settings->timeout_ms);
    curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS, (long)settings->timeout_ms);
    curl_easy_setopt (easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt (easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt (easy, CURLOPT_WRITEDATA, call);
    curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, s_header);
    curl_easy_setopt (easy, CURLOPT_HEADERDATA, call);
    curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, call->error);
    curl_easy_setopt (easy, CURLOPT_PRIVATE, call);
    curl_easy_setopt (easy, CURLOPT_USERAGENT, "venuebus-gateway");
    if (settings->ca_file[0])
        curl_easy_setopt (easy, CURLOPT_CAINFO, settings->ca_file);
    zstr_free (&url);
    CURLMcode mrc = curl_multi_add_handle (multi, easy);
    if (mrc != CURLM_OK) {
        s_post (pipe, settings, &call->request, 0, 0, NULL, NULL, 0, curl_multi_strerror (mrc));
        curl_easy_cleanup (easy);
        free (call);
        return;
    }
    zlist_append (calls, call);
}

//  --------------------------------------------------------------------------
//  Finish one call: post its answer, keep its handle for reuse.

static void
s_finish (CURLM *multi, zlist_t *idle, zlist_t *calls, const s_settings_t *settings, zsock_t *pipe,
          s_call_t *call, CURLcode result)
{
    long status = 0;
    if (result == CURLE_OK)
        curl_easy_getinfo (call->easy, CURLINFO_RESPONSE_CODE, &status);
    const char *error = NULL;
    if (result != CURLE_OK)
        error = call->overflow   ? "answer larger than gateway/rest_body_max"
                : call->error[0] ? call->error
                                 : curl_easy_strerror (result);
    s_post (pipe, settings, &call->request, result == CURLE_OK ? (int)status : 0,
            call->retry_after_ms, result == CURLE_OK && call->has_usage ? &call->used_weight : NULL,
            result == CURLE_OK ? call->body : NULL, result == CURLE_OK ? call->length : 0, error);
    curl_multi_remove_handle (multi, call->easy);
    if (zlist_size (idle) < GW_REST_IDLE_MAX) {
        curl_easy_reset (call->easy);
        zlist_append (idle, call->easy);
    } else
        curl_easy_cleanup (call->easy);
    zlist_remove (calls, call);
    free (call->body);
    free (call);
}

//  --------------------------------------------------------------------------
//  The worker: wait on curl's sockets and the pipe together (the pipe's
//  ZMQ_FD as an extra descriptor), start calls, finish calls, until $TERM.

static void
s_rest_actor (zsock_t *pipe, void *args)
{
    s_settings_t settings = *(s_settings_t *)args;
    CURLM *multi = curl_multi_init ();
    zlist_t *idle = zlist_new ();
    zlist_t *calls = zlist_new ();
    zsock_signal (pipe, 0);
    bool terminated = !multi;
    while (!terminated) {
        //  ZMQ_FD is edge-like: drain the pipe until ZMQ_EVENTS says it is
        //  empty before sleeping on the descriptor again.
        while (!terminated && (zsock_events (pipe) & ZMQ_POLLIN)) {
            zmsg_t *msg = zmsg_recv (pipe);
            if (!msg) {
                terminated = true;
                break;
            }
            char *command = zmsg_popstr (msg);
            if (!command || streq (command, "$TERM"))
                terminated = true;
            else if (streq (command, "CALL"))
                s_start (multi, idle, calls, &settings, pipe, msg);
            zstr_free (&command);
            zmsg_destroy (&msg);
        }
        if (terminated)
            break;
        int running = 0;
        curl_multi_perform (multi, &running);
        CURLMsg *info;
        int queued;
        while ((info = curl_multi_info_read (multi, &queued))) {
            if (info->msg != CURLMSG_DONE)
                continue;
            s_call_t *call = NULL;
            curl_easy_getinfo (info->easy_handle, CURLINFO_PRIVATE, (char **)&call);
            if (call)
                s_finish (multi, idle, calls, &settings, pipe, call, info->data.result);
        }
        if (zsock_events (pipe) & ZMQ_POLLIN)
            continue;
        long timeout_ms = -1;
        curl_multi_timeout (multi, &timeout_ms);
        if (timeout_ms < 0 || timeout_ms > GW_REST_POLL_MAX_MS)
            timeout_ms = GW_REST_POLL_MAX_MS;
        struct curl_waitfd extra = {.fd = zsock_fd (pipe), .events = CURL_WAIT_POLLIN};
        curl_multi_poll (multi, &extra, 1, (int)timeout_ms, NULL);
    }
    s_call_t *call;
    while ((call = (s_call_t *)zlist_pop (calls))) {
        curl_multi_remove_handle (multi, call->easy);
        curl_easy_cleanup (call->easy);
        free (call->body);
        free (call);
    }
    CURL *easy;
    while ((easy = zlist_pop (idle)))
        curl_easy_cleanup (easy);
    zlist_destroy (&calls);
    zlist_destroy (&idle);
    if (multi)
        curl_multi_cleanup (multi);
}

//  --------------------------------------------------------------------------
//  Start the worker. SIGINT and SIGTERM stay with the main thread.

gw_rest_t *
gw_rest_new (int64_t timeout_ms, size_t body_max, const char *ca_file, gw_rest_wake_fn *wake,
             void *wake_arg)
{
    assert (wake);
    if (timeout_ms < 1 || body_max < 2)
        return NULL;
    s_settings_t settings = {
        .timeout_ms = timeout_ms, .body_max = body_max, .wake = wake, .wake_arg = wake_arg};
    if (ca_file && *ca_file && access (ca_file, R_OK) == 0)
        snprintf (settings.ca_file, sizeof (settings.ca_file), "%s", ca_file);
    gw_rest_t *self = (gw_rest_t *)zmalloc (sizeof (gw_rest_t));
    sigset_t signals, previous;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &previous);
    //  zactor_new returns after the actor has signalled, so `settings` on
    //  our stack has been copied by then.
    self->actor = zactor_new (s_rest_actor, &settings);
    pthread_sigmask (SIG_SETMASK, &previous, NULL);
    if (!self->actor)
        gw_rest_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Stop the worker.

void
gw_rest_destroy (gw_rest_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gw_rest_t *self = *self_p;
        zactor_destroy (&self->actor);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Hand a call to the worker.

int
gw_rest_call (gw_rest_t *self, const char *url, const vb_md_request_t *request)
{
    assert (self);
    assert (request);
    if (!url || !*url || strlen (url) >= GW_REST_URL_MAX)
        return VB_EINVAL;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "CALL");
    zmsg_addmem (msg, request, sizeof (*request));
    zmsg_addstr (msg, url);
    if (zmsg_send (&msg, zactor_sock (self->actor)) != 0) {
        zmsg_destroy (&msg);
        return VB_EIO;
    }
    self->pending++;
    return 0;
}

//  --------------------------------------------------------------------------
//  Take the next answer, if any.

int
gw_rest_result (gw_rest_t *self, gw_rest_result_t *result)
{
    assert (self);
    assert (result);
    memset (result, 0, sizeof (*result));
    zsock_t *sock = zactor_sock (self->actor);
    if (!(zsock_events (sock) & ZMQ_POLLIN))
        return VB_EAGAIN;
    zmsg_t *msg = zmsg_recv (sock);
    if (!msg)
        return VB_EAGAIN;
    char *command = zmsg_popstr (msg);
    zframe_t *request = zmsg_pop (msg);
    zframe_t *status = zmsg_pop (msg);
    zframe_t *retry = zmsg_pop (msg);
    zframe_t *usage = zmsg_pop (msg);
    zframe_t *body = zmsg_pop (msg);
    char *error = zmsg_popstr (msg);
    int rc = VB_EAGAIN;
    //  The worker is our own code; these checks keep a bug from reading
    //  out of bounds rather than validate hostile input.
    if (command && streq (command, "DONE") && request &&
        zframe_size (request) == sizeof (vb_md_request_t) && status &&
        zframe_size (status) == sizeof (int32_t) && retry &&
        zframe_size (retry) == sizeof (int64_t) && usage &&
        (zframe_size (usage) == 0 || zframe_size (usage) == sizeof (uint64_t)) && body && error) {
        int32_t status32;
        memcpy (&result->request, zframe_data (request), sizeof (vb_md_request_t));
        memcpy (&status32, zframe_data (status), sizeof (status32));
        memcpy (&result->retry_after_ms, zframe_data (retry), sizeof (int64_t));
        result->status = status32;
        result->has_usage = zframe_size (usage) == sizeof (uint64_t);
        if (result->has_usage)
            memcpy (&result->used_weight, zframe_data (usage), sizeof (uint64_t));
        result->length = zframe_size (body);
        result->body = (char *)malloc (result->length + 1);
        assert (result->body);
        memcpy (result->body, zframe_data (body), result->length);
        result->body[result->length] = 0;
        snprintf (result->error, sizeof (result->error), "%s", error);
        if (self->pending)
            self->pending--;
        rc = 0;
    }
    zstr_free (&command);
    zstr_free (&error);
    zframe_destroy (&request);
    zframe_destroy (&status);
    zframe_destroy (&retry);
    zframe_destroy (&usage);
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    return rc;
}

//  --------------------------------------------------------------------------
//  Free a result's body.

void
gw_rest_result_free (gw_rest_result_t *result)
{
    if (result) {
        free (result->body);
        result->body = NULL;
        result->length = 0;
    }
}

//  --------------------------------------------------------------------------
//  Calls not yet read back.

size_t
gw_rest_pending (gw_rest_t *self)
{
    assert (self);
    return self->pending;
}
