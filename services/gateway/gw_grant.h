/*  gw_grant.h — REST rate-limit grants for the gateway's public REST calls.

    Before each REST call (book snapshot, candle backfill) the gateway asks
    for a grant of the request's venue weight. DESIGN.md makes the router
    the authority for grants: with gw_grant_set_router each request goes to
    the router's grants endpoint (a DEALER connected to its ROUTER, one bare
    venuebus.Envelope carrying a GrantRequest; proto/venuebus.proto), and
    the request waits for its Grant. Without a router, or whenever the
    router cannot answer, grants come from a local budget (one vb_ratelimit
    bucket, market-data priority), so a gateway never stalls on the router:
    - a request the router has not answered within the timeout (default
      GW_GRANT_TIMEOUT_MS) falls back to the local budget and is counted;
      after such a timeout the router counts as down: further requests go
      to the local budget at once, except one probe per timeout, until the
      router answers again;
    - a request the router refuses for good (unknown venue, a weight that
      never fits) falls back too; one refused for now (retry_after_ms: the
      venue is stopped, its queue is full) holds the local budget for that
      long and is asked again then.
    gw_grant_report tells the router what the venue answered (its usage
    header, a 429/418 with Retry-After) with a weight-0 GrantRequest.

    Usage: gw_grant_request queues a request (a user pointer); whenever
    gw_grant_wait_ms says something may go, gw_grant_next hands back the
    next granted pointer (it also reads the router's Grants, without
    blocking). Not thread-safe: the gateway's loop thread owns it. Logs
    once when the router stops or starts answering (vb_log).
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_GRANT_H_INCLUDED
#define GW_GRANT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_clock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GW_GRANT_TIMEOUT_MS     2000    //  Default wait for the router's Grant
#define GW_GRANT_TIMEOUT_MAX_MS 600000  //  Longest timeout accepted
#define GW_GRANT_POLL_MS        10      //  gw_grant_wait_ms while router grants are pending
#define GW_GRANT_HWM            1000    //  DEALER send/receive high-water mark (messages)

typedef struct _gw_grant_t gw_grant_t;

//  Counters since creation.
typedef struct {
    uint64_t router_requests;  //  GrantRequests sent (weight > 0; resends included)
    uint64_t router_granted;   //  Grants from the router for pending requests
    uint64_t router_refused;   //  Refusals from the router
    uint64_t fallbacks;        //  Requests granted from the local budget instead of the router
    uint64_t reports;          //  Reports sent
    uint64_t stray;            //  Router messages for no pending request, or malformed
} gw_grant_stats_t;

//  Create a local budget of `limit` weight per `period_ms`, with up to
//  `burst` weight at once, and room for `queue_max` waiting requests
//  (router-pending ones included). Returns NULL for bad values (zero or
//  out of vb_ratelimit's ranges).
gw_grant_t *gw_grant_new (int64_t limit, int64_t period_ms, int64_t burst, size_t queue_max);

//  The same, reading time from clock (borrowed; NULL: the system clock):
//  tests drive the budget and the router timeout with a manual clock.
gw_grant_t *gw_grant_new_with_clock (int64_t limit, int64_t period_ms, int64_t burst,
                                     size_t queue_max, vb_clock_t *clock);

//  Destroy the budget and set *self_p to NULL. Queued user pointers are not
//  freed (drain them with gw_grant_drop first). Safe to call twice.
void gw_grant_destroy (gw_grant_t **self_p);

//  Ask the router's grants endpoint (router/grants, e.g.
//  "tcp://router:5581") for grants of `venue`, falling back to the local
//  budget when it has not answered within timeout_ms (0: GW_GRANT_TIMEOUT_MS).
//  Connects a DEALER (ZMQ_LINGER 0, high-water marks GW_GRANT_HWM); the
//  router need not be up yet. Returns 0, VB_EINVAL (empty endpoint or
//  venue, a venue of 32 bytes or more, a timeout out of range, an endpoint
//  ZeroMQ refuses), VB_ESTATE when a router is set already, or VB_EIO.
int gw_grant_set_router (gw_grant_t *self, const char *endpoint, const char *venue,
                         int64_t timeout_ms);

//  The DEALER socket (raw libzmq) to poll for ZMQ_POLLIN, or NULL without
//  a router. When it is readable, gw_grant_next has Grants to read.
void *gw_grant_socket (gw_grant_t *self);

//  Ask for a grant of `weight` (at least 1) for `user` (not NULL, not
//  owned). Returns 0 when queued, VB_EAGAIN when the queue is full,
//  VB_ELIMIT when the weight can never be granted (above the local burst:
//  a fallback could never grant it).
int gw_grant_request (gw_grant_t *self, int weight, void *user);

//  The next request whose grant is given now (by the router, or from the
//  local budget; its weight is taken), or NULL when nothing may go yet.
//  Reads the router's Grants and applies the timeout first.
void *gw_grant_next (gw_grant_t *self);

//  Milliseconds until gw_grant_next may return something (0: now), at
//  most GW_GRANT_POLL_MS while router grants are pending, or -1 when
//  nothing is queued.
int64_t gw_grant_wait_ms (gw_grant_t *self);

//  Hold every local grant back for `duration_ms` (the venue said 429/418
//  with a Retry-After). Returns 0 or VB_EINVAL for a negative duration.
int gw_grant_block (gw_grant_t *self, int64_t duration_ms);

//  Tell the router what the venue answered: its usage header for the
//  venue's ip weight (used_weight, 0 if none), a 429/418's Retry-After
//  (retry_after_ms, 0 if none) and whether it was a ban (418). Sent as a
//  weight-0 GrantRequest; the router answers only when it cannot apply it.
//  Returns 0 (also without a router: nothing to tell), VB_EINVAL for a
//  negative retry_after_ms, or VB_EAGAIN / VB_EIO when it cannot be sent.
int gw_grant_report (gw_grant_t *self, uint64_t used_weight, int64_t retry_after_ms, bool banned);

//  Remove and return one queued user pointer (any order), or NULL when the
//  queue is empty; for teardown.
void *gw_grant_drop (gw_grant_t *self);

//  Counters since creation.
void gw_grant_stats (gw_grant_t *self, gw_grant_stats_t *stats);

#ifdef __cplusplus
}
#endif
#endif
