/*  gw_grant.c — REST grants from a local vb_ratelimit budget.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>

#include "gw_grant.h"
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_ratelimit.h"

struct _gw_grant_t {
    vb_ratelimit_t *limiter;  //  One bucket, market-data lane
    int bucket;               //  Its index
    zlist_t *queued;          //  User pointers waiting, for gw_grant_drop
};

//  --------------------------------------------------------------------------
//  Create the budget.

gw_grant_t *
gw_grant_new (int64_t limit, int64_t period_ms, int64_t burst, size_t queue_max)
{
    if (limit < 1 || limit > VB_RL_LIMIT_MAX || burst < 1 || burst > VB_RL_LIMIT_MAX ||
        period_ms < 1 || period_ms > VB_RL_PERIOD_MAX_NS / VB_NS_PER_MS || queue_max == 0)
        return NULL;
    gw_grant_t *self = (gw_grant_t *)zmalloc (sizeof (gw_grant_t));
    self->limiter = vb_ratelimit_new (NULL, queue_max);
    self->queued = zlist_new ();
    vb_rl_bucket_def_t def = {.name = "REST_WEIGHT",
                              .limit = (uint32_t)limit,
                              .period_ns = period_ms * VB_NS_PER_MS,
                              .burst = (uint32_t)burst,
                              .scope = "ip"};
    self->bucket = self->limiter ? vb_ratelimit_add_bucket (self->limiter, &def) : VB_ENOMEM;
    if (!self->queued || self->bucket < 0)
        gw_grant_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the budget.

void
gw_grant_destroy (gw_grant_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gw_grant_t *self = *self_p;
        zlist_destroy (&self->queued);
        vb_ratelimit_destroy (&self->limiter);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Queue a request for a grant.

int
gw_grant_request (gw_grant_t *self, int weight, void *user)
{
    assert (self);
    if (weight < 1 || !user)
        return VB_EINVAL;
    vb_rl_request_t request = {.count = 1, .bucket = {self->bucket}, .weight = {(uint32_t)weight}};
    int rc = vb_ratelimit_enqueue (self->limiter, VB_RL_PRIO_MARKET_DATA, &request, user);
    if (rc == 0)
        zlist_append (self->queued, user);
    return rc;
}

//  --------------------------------------------------------------------------
//  The next granted request, or NULL.

void *
gw_grant_next (gw_grant_t *self)
{
    assert (self);
    void *user = vb_ratelimit_next (self->limiter);
    if (user)
        zlist_remove (self->queued, user);
    return user;
}

//  --------------------------------------------------------------------------
//  Milliseconds until the next grant, rounded up; -1 when none is queued.

int64_t
gw_grant_wait_ms (gw_grant_t *self)
{
    assert (self);
    int64_t wait_ns = vb_ratelimit_wait_ns (self->limiter);
    if (wait_ns < 0)
        return -1;
    return (wait_ns + VB_NS_PER_MS - 1) / VB_NS_PER_MS;
}

//  --------------------------------------------------------------------------
//  Hold grants back after a 429/418.

int
gw_grant_block (gw_grant_t *self, int64_t duration_ms)
{
    assert (self);
    if (duration_ms < 0 || duration_ms > INT64_MAX / VB_NS_PER_MS)
        return VB_EINVAL;
    return vb_ratelimit_block_for (self->limiter, self->bucket, duration_ms * VB_NS_PER_MS);
}

//  --------------------------------------------------------------------------
//  Remove one queued request for teardown.

void *
gw_grant_drop (gw_grant_t *self)
{
    assert (self);
    void *user = zlist_pop (self->queued);
    if (user)
        vb_ratelimit_remove (self->limiter, user);
    return user;
}
