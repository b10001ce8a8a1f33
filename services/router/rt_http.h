/*  rt_http.h — the router's REST client: libcurl multi, driven from the router's own loop.

    The router has one loop thread (zmq_poll). This class runs curl multi in
    that thread with no thread of its own: curl's sockets are handed out as
    zmq_pollitem_t entries (raw fds, CURLMOPT_SOCKETFUNCTION), curl's timer
    as a poll timeout (CURLMOPT_TIMERFUNCTION), and after each poll the loop
    gives the ready items back to rt_http_process, which calls
    curl_multi_socket_action and reports finished transfers through the
    `done` callback. No socket is ever blocked on.

    Settings (performance.md §5): CURLOPT_NOSIGNAL, TCP_NODELAY, keep-alive
    with the multi handle's connection cache (one warm connection per
    host), a timeout on every transfer, TLS verified (a CA file may be
    given), HTTP/1.1 only (curl #4639: HTTP/2 through multi costs more per
    request), no redirects, http:// and https:// only, no 100-continue
    wait. Easy handles come from a fixed pool made at construction and are
    configured once; a send sets only URL, method, body and headers, so our
    side makes no allocation once warm (curl copies the URL). Because of
    NOSIGNAL the process must ignore SIGPIPE (main's job).

    Connections are capped at RT_HTTP_POLL_MAX / 2 (a connection being
    set up may try IPv4 and IPv6 at once: two sockets), so the sockets curl asks for always fit
    RT_HTTP_POLL_MAX items; transfers beyond that wait inside curl for a
    free connection.

    A request that may execute (vb_exec_request_t.may_execute: place,
    cancel) is written to the network AT MOST ONCE. libcurl silently
    re-sends a request when a reused keep-alive connection turns out dead
    after the request went out with no answer; for an order that could be
    a second order. CURLOPT_PREREQFUNCTION sees every attempt: the second
    attempt of a may_execute transfer is aborted, and the answer reports
    status 0 with `sent` true, so the router takes the outcome as UNKNOWN
    and reconciles instead of trusting a retry.

    Not thread-safe: the loop thread owns it.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef RT_HTTP_H_INCLUDED
#define RT_HTTP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "vb_exec.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RT_HTTP_HEADERS_MAX 64   //  Response header lines kept per answer
#define RT_HTTP_ERROR_MAX   256  //  curl's error text
#define RT_HTTP_POLL_MAX    64   //  Most sockets curl may ask to watch

typedef struct _rt_http_t rt_http_t;

typedef struct {
    size_t max_in_flight;        //  Transfers at once (pool size); 0: 64
    int64_t timeout_ms;          //  Whole-transfer timeout; 0: 10000
    int64_t connect_timeout_ms;  //  0: 3000
    size_t body_max;             //  Largest answer body kept; larger fails the call; 0: 4 MiB
    const char *ca_file;         //  CA bundle for https:// (NULL/"": curl's default)
} rt_http_options_t;

//  One finished transfer. Everything is borrowed for the duration of the
//  done callback only.
typedef struct {
    uint64_t id;                 //  The id given to rt_http_send
    int status;                  //  HTTP status, or 0 when no complete answer was read
    bool sent;                   //  The request may have reached the server (bytes were
                                 //  written). false with status 0: the connection failed
                                 //  before anything was sent, so it is safe to send the
                                 //  same request elsewhere (failover).
    const char *const *headers;  //  Response header lines "Name: value", no CRLF,
                                 //  status line left out; lines past
                                 //  RT_HTTP_HEADERS_MAX (or 16 KiB) are dropped
    size_t header_count;
    const char *body;               //  NUL-terminated ("" when none)
    size_t length;                  //  Body bytes without the NUL
    char error[RT_HTTP_ERROR_MAX];  //  curl's text when status is 0, else ""
    int64_t queued_ns;              //  Monotonic ns: rt_http_send was called
    int64_t written_ns;             //  Monotonic ns: the last attempt's request was about
                                    //  to be written (its connection ready); 0: never
    int64_t done_ns;                //  Monotonic ns: the transfer finished
} rt_http_answer_t;

typedef void (rt_http_done_fn) (void *ctx, const rt_http_answer_t *answer);

//  Create the client (options may be NULL for defaults). done is called
//  from rt_http_process (never from rt_http_send) for every transfer that
//  was accepted, exactly once. done may call rt_http_send (the finishing
//  transfer no longer counts in rt_http_in_flight), but not rt_http_process
//  or rt_http_destroy. Returns NULL on bad options (negative timeouts,
//  max_in_flight over 4096, body_max over 256 MiB), a NULL done, or when
//  curl cannot be initialised.
rt_http_t *rt_http_new (const rt_http_options_t *options, rt_http_done_fn *done, void *ctx);

//  Abort every transfer (done is NOT called for them), free everything and
//  set *self_p to NULL. Safe to call twice.
void rt_http_destroy (rt_http_t **self_p);

//  Start a transfer of a signed request (method, url, headers, body).
//  Everything needed is copied. Returns 0, VB_ELIMIT when max_in_flight
//  transfers are running (nothing started), or VB_EINVAL for a bad request:
//  NULL, method not GET/POST/PUT/DELETE, URL not http(s)://host with only
//  printable ASCII, body_length beyond the buffer, a GET with a body, more
//  than VB_EXEC_HEADERS_MAX headers, a header that is not "Name: value" or
//  holds CR/LF. VB_ENOMEM or VB_ESTATE when curl refuses the transfer.
int rt_http_send (rt_http_t *self, uint64_t id, const vb_exec_request_t *request);

//  Fill items (at most max) with the sockets curl wants watched: fd set,
//  socket NULL, events ZMQ_POLLIN and/or ZMQ_POLLOUT. Returns the count.
size_t rt_http_pollitems (rt_http_t *self, zmq_pollitem_t *items, size_t max);

//  Milliseconds until curl's timer fires (0: now), or -1 when curl has no
//  timer set.
long rt_http_timeout_ms (rt_http_t *self);

//  After zmq_poll: act on the items rt_http_pollitems filled (their revents
//  set by the poll), and on curl's timer if it is due. Calls done for each
//  finished transfer. Returns the number of transfers finished.
int rt_http_process (rt_http_t *self, const zmq_pollitem_t *items, size_t count);

//  Transfers running now.
size_t rt_http_in_flight (rt_http_t *self);

#ifdef __cplusplus
}
#endif
#endif
