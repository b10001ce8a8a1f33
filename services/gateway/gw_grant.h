/*  gw_grant.h — REST rate-limit grants for the gateway's public REST calls.

    Before each REST call (book snapshot, candle backfill) the gateway asks
    for a grant of the request's venue weight. DESIGN.md makes the router the
    authority for grants; until the router exists this class answers from a
    local budget (one vb_ratelimit bucket, market-data priority). It is kept
    this small so a router-backed implementation can replace it behind the
    same four calls.

    Usage: gw_grant_request queues a request (a user pointer); whenever
    gw_grant_wait_ms says something may go, gw_grant_next hands back the
    next granted pointer. Not thread-safe: the gateway's loop thread owns it.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_GRANT_H_INCLUDED
#define GW_GRANT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _gw_grant_t gw_grant_t;

//  Create a local budget of `limit` weight per `period_ms`, with up to
//  `burst` weight at once, and room for `queue_max` waiting requests.
//  Returns NULL for bad values (zero or out of vb_ratelimit's ranges).
gw_grant_t *gw_grant_new (int64_t limit, int64_t period_ms, int64_t burst, size_t queue_max);

//  Destroy the budget and set *self_p to NULL. Queued user pointers are not
//  freed (drain them with gw_grant_drop first). Safe to call twice.
void gw_grant_destroy (gw_grant_t **self_p);

//  Ask for a grant of `weight` (at least 1) for `user` (not NULL, not
//  owned). Returns 0 when queued, VB_EAGAIN when the queue is full,
//  VB_ELIMIT when the weight can never be granted (above the burst).
int gw_grant_request (gw_grant_t *self, int weight, void *user);

//  The next request whose grant is given now (its weight is taken), or
//  NULL when nothing may go yet.
void *gw_grant_next (gw_grant_t *self);

//  Milliseconds until gw_grant_next may return something (0: now), or -1
//  when nothing is queued.
int64_t gw_grant_wait_ms (gw_grant_t *self);

//  Hold every grant back for `duration_ms` (the venue said 429/418 with a
//  Retry-After). Returns 0 or VB_EINVAL for a negative duration.
int gw_grant_block (gw_grant_t *self, int64_t duration_ms);

//  Remove and return one queued user pointer (any order), or NULL when the
//  queue is empty; for teardown.
void *gw_grant_drop (gw_grant_t *self);

#ifdef __cplusplus
}
#endif
#endif
