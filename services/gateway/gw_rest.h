/*  gw_rest.h — the gateway's REST worker: curl multi in its own actor.

    The loop thread must never block on the network (house style 3.5), so
    REST calls run in a dedicated actor that drives one curl multi handle.
    The loop thread hands over a call with gw_rest_call (the request and the
    URL are copied into a message: nothing is shared between threads); the
    worker runs it and posts the answer back, then calls the `wake`
    function given at creation (the gateway passes one that runs
    lws_cancel_service, so the lws loop drains answers in
    LWS_CALLBACK_EVENT_WAIT_CANCELLED). The answer is read with
    gw_rest_result on the loop thread.

    curl settings (performance.md §5): CURLOPT_NOSIGNAL, a timeout on every
    call, keep-alive. Finished easy handles are reset and reused, and the
    multi handle's connection cache keeps one warm connection per venue host.
    Answers larger than body_max fail the call (status 0) rather than grow
    without bound. Headers read: Retry-After (seconds form), and the
    request's usage_header when the adapter names one (the venue's count of
    used weight, e.g. Binance X-MBX-USED-WEIGHT-1M): a decimal integer, a
    malformed or overflowing value is ignored.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_REST_H_INCLUDED
#define GW_REST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_md.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _gw_rest_t gw_rest_t;

//  Called by the worker thread after posting an answer. Must be thread-safe.
typedef void (gw_rest_wake_fn) (void *arg);

//  One answer, owned by the caller of gw_rest_result.
typedef struct {
    vb_md_request_t request;  //  The request, as given to gw_rest_call
    int status;               //  HTTP status, or 0 when no answer was read
    int64_t retry_after_ms;   //  The answer's Retry-After, in ms (0 if none)
    bool has_usage;           //  The request's usage_header was in the answer
    uint64_t used_weight;     //  Its value (the venue's used weight), when has_usage
    char *body;               //  NUL-terminated body (owned; NULL when none)
    size_t length;            //  Body bytes, without the NUL
    char error[256];          //  curl's error text when status is 0
} gw_rest_result_t;

//  Start the worker. timeout_ms bounds each call; body_max bounds each
//  answer; ca_file is a CA bundle for https:// ("" or NULL: curl's
//  default). wake (with wake_arg) runs on the worker thread after each
//  answer. Returns NULL when the worker cannot start.
gw_rest_t *gw_rest_new (int64_t timeout_ms, size_t body_max, const char *ca_file,
                        gw_rest_wake_fn *wake, void *wake_arg);

//  Stop the worker (abandoning calls in flight) and set *self_p to NULL.
//  Safe to call twice.
void gw_rest_destroy (gw_rest_t **self_p);

//  Hand a GET of `url` for `request` to the worker. Returns 0, VB_EINVAL for
//  an empty or over-long URL, or VB_EIO when the message cannot be sent.
int gw_rest_call (gw_rest_t *self, const char *url, const vb_md_request_t *request);

//  Take the next answer without waiting. Returns 0 with *result filled (free
//  it with gw_rest_result_free), or VB_EAGAIN when none is waiting.
int gw_rest_result (gw_rest_t *self, gw_rest_result_t *result);

//  Free what a result holds.
void gw_rest_result_free (gw_rest_result_t *result);

//  Calls handed over and not yet read back with gw_rest_result.
size_t gw_rest_pending (gw_rest_t *self);

#ifdef __cplusplus
}
#endif
#endif
