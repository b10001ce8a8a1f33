/*  rt_grants.h — the router's grants endpoint: gateways ask here before each public REST call.

    A ROUTER socket bound at router/grants. Each message from a gateway
    (DEALER) is one bare venuebus.Envelope carrying a GrantRequest
    (proto/venuebus.proto). A request with weight > 0 is submitted to the
    rate-limit authority (rt_limits_submit_grant, market-data priority);
    the Grant goes back when the weight is taken, at once if it fits now.
    While the venue is stopped (a 429's Retry-After or a ban, however
    learnt), a request is refused at once with retry_after_ms = the time
    left, so a gateway never waits out a ban in the queue.
    A request with weight 0 is a report: used_weight corrects the venue's
    bucket, retry_after_ms (and banned; a ban without Retry-After stops the
    venue 60 s) stops it. A report that applies gets no answer; one that
    cannot (unknown venue, retry_after_ms out of range) is refused.
    Malformed, hostile or unknown-venue requests get a Grant with
    granted=false and a detail naming the problem (or, when not even the
    request id can be read: garbage, a wrong body case, no envelope after
    the identity, are counted and dropped); the endpoint never stops
    serving. Pending grants live in a fixed pool of RT_GRANTS_PENDING_MAX
    slots (no allocation per request); a full pool, or a full market-data
    lane, refuses with retry_after_ms = RT_GRANTS_RETRY_MS.

    The router's loop polls rt_grants_socket, calls rt_grants_recv, and
    passes each user that rt_limits_next returns with tag RT_GRANTS_TAG to
    rt_grants_granted. Not thread-safe: the loop thread owns it.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef RT_GRANTS_H_INCLUDED
#define RT_GRANTS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "rt_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RT_GRANTS_TAG         2     //  rt_limits tag of pending grants
#define RT_GRANTS_PENDING_MAX 1024  //  Grants waiting at once
#define RT_GRANTS_RETRY_MS    1000  //  retry_after_ms when the pool is full

typedef struct _rt_grants_t rt_grants_t;

typedef struct {
    uint64_t requests;   //  GrantRequests with weight > 0
    uint64_t granted;    //  Grants sent with granted=true
    uint64_t refused;    //  Grants sent with granted=false
    uint64_t reports;    //  Weight-0 reports applied
    uint64_t malformed;  //  Messages that were no valid GrantRequest
} rt_grants_stats_t;

//  Bind a ROUTER socket at endpoint (tcp://, ipc://; "tcp://127.0.0.1:*"
//  picks a port) serving limits (borrowed). Returns NULL and writes a
//  message into error when the bind fails.
rt_grants_t *rt_grants_new (const char *endpoint, rt_limits_t *limits, char *error,
                            size_t error_size);

//  Unbind, drop pending grants (removed from the rate-limit queue, so
//  limits must still exist), free, set *self_p to NULL. Safe twice.
void rt_grants_destroy (rt_grants_t **self_p);

//  The endpoint actually bound (port resolved).
const char *rt_grants_endpoint (rt_grants_t *self);

//  The socket to poll for ZMQ_POLLIN (raw libzmq socket).
void *rt_grants_socket (rt_grants_t *self);

//  Read and handle every waiting message without blocking, at most
//  RT_GRANTS_PENDING_MAX per call (the socket then stays readable, so the
//  loop's other sockets are served in between). Returns the number of
//  messages read.
int rt_grants_recv (rt_grants_t *self);

//  A pending grant's weight was taken (rt_limits_next gave `user` with
//  RT_GRANTS_TAG): send its Grant and free its slot.
void rt_grants_granted (rt_grants_t *self, void *user);

//  Counters since start.
void rt_grants_stats (rt_grants_t *self, rt_grants_stats_t *stats);

#ifdef __cplusplus
}
#endif
#endif
