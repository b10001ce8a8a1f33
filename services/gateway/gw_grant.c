/*  gw_grant.c — REST grants from the router's grants endpoint, with a local vb_ratelimit budget as
   fallback.

    Four places hold a user pointer, and every one counts against
    queue_max: `ready` (granted by the router, not yet handed out),
    `pending` (asked of the router, oldest first), the local limiter's lane
    with its mirror list `queued` (for gw_grant_drop). Because the local
    lane is as long as queue_max, moving a request from pending to the
    local budget can never fail.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>

#include "gw_grant.h"
#include "vb_error.h"
#include "vb_log.h"
#include "vb_msg.h"
#include "vb_ratelimit.h"

#define S_VENUE_MAX    32                                //  Venue name with its NUL
#define S_PRODUCER     "gateway"                         //  Header.producer of requests
#define S_PURPOSE      "rest"                            //  GrantRequest.purpose
#define S_RETRY_MAX_MS (INT64_C (7) * 24 * 3600 * 1000)  //  Longest router retry_after honoured
#define S_DRAIN_MAX    GW_GRANT_HWM                      //  Router messages read per call

//  A request asked of the router.
typedef struct {
    uint64_t id;          //  GrantRequest.request_id
    void *user;           //  The caller's pointer
    int weight;           //  Its weight
    int64_t deadline_ns;  //  Falls back to the local budget at this time (0: not asked now)
    int64_t resend_ns;    //  Ask again at this time (the router said retry_after), or 0
} s_pending_t;

struct _gw_grant_t {
    vb_clock_t *clock;        //  Borrowed; NULL: system
    vb_ratelimit_t *limiter;  //  Local budget: one bucket, market-data lane
    int bucket;               //  Its index
    size_t queue_max;         //  Requests held at most, everywhere
    zlist_t *queued;          //  User pointers in the local lane, for gw_grant_drop
    zlist_t *pending;         //  s_pending_t, asked of the router, oldest first
    zlist_t *ready;           //  User pointers the router granted
    zsock_t *dealer;          //  To the router's grants endpoint, or NULL
    char venue[S_VENUE_MAX];  //  GrantRequest.venue
    int64_t timeout_ns;       //  Wait for a Grant this long
    uint64_t next_id;         //  Last request id used
    bool router_down;         //  A request timed out and the router has not answered since
    int64_t probe_ns;         //  While down: next time a request goes to the router
    bool refusal_logged;      //  A refusal for good was logged since the last grant
    vb_msg_t *decoder;        //  Decodes Grants
    gw_grant_stats_t stats;   //  Counters
};

//  --------------------------------------------------------------------------
//  Create the budget.

gw_grant_t *
gw_grant_new_with_clock (int64_t limit, int64_t period_ms, int64_t burst, size_t queue_max,
                         vb_clock_t *clock)
{
    if (limit < 1 || limit > VB_RL_LIMIT_MAX || burst < 1 || burst > VB_RL_LIMIT_MAX ||
        period_ms < 1 || period_ms > VB_RL_PERIOD_MAX_NS / VB_NS_PER_MS || queue_max == 0)
        return NULL;
    gw_grant_t *self = (gw_grant_t *)zmalloc (sizeof (gw_grant_t));
    self->clock = clock;
    self->queue_max = queue_max;
    self->limiter = vb_ratelimit_new (clock, queue_max);
    self->queued = zlist_new ();
    self->pending = zlist_new ();
    self->ready = zlist_new ();
    vb_rl_bucket_def_t def = {.name = "REST_WEIGHT",
                              .limit = (uint32_t)limit,
                              .period_ns = period_ms * VB_NS_PER_MS,
                              .burst = (uint32_t)burst,
                              .scope = "ip"};
    self->bucket = self->limiter ? vb_ratelimit_add_bucket (self->limiter, &def) : VB_ENOMEM;
    if (!self->queued || !self->pending || !self->ready || self->bucket < 0)
        gw_grant_destroy (&self);
    return self;
}

gw_grant_t *
gw_grant_new (int64_t limit, int64_t period_ms, int64_t burst, size_t queue_max)
{
    return gw_grant_new_with_clock (limit, period_ms, burst, queue_max, NULL);
}

//  --------------------------------------------------------------------------
//  Destroy the budget.

void
gw_grant_destroy (gw_grant_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gw_grant_t *self = *self_p;
        if (self->pending) {
            s_pending_t *pending;
            while ((pending = (s_pending_t *)zlist_pop (self->pending)))
                free (pending);
            zlist_destroy (&self->pending);
        }
        vb_msg_destroy (&self->decoder);
        zsock_destroy (&self->dealer);
        zlist_destroy (&self->ready);
        zlist_destroy (&self->queued);
        vb_ratelimit_destroy (&self->limiter);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Connect to the router's grants endpoint.

int
gw_grant_set_router (gw_grant_t *self, const char *endpoint, const char *venue, int64_t timeout_ms)
{
    assert (self);
    if (self->dealer)
        return VB_ESTATE;
    if (!endpoint || !*endpoint || !venue || !*venue || strlen (venue) >= S_VENUE_MAX ||
        timeout_ms < 0 || timeout_ms > GW_GRANT_TIMEOUT_MAX_MS)
        return VB_EINVAL;
    self->decoder = vb_msg_new ();
    self->dealer = zsock_new (ZMQ_DEALER);
    if (!self->decoder || !self->dealer) {
        vb_msg_destroy (&self->decoder);
        zsock_destroy (&self->dealer);
        return VB_EIO;
    }
    zsock_set_linger (self->dealer, 0);
    zsock_set_sndhwm (self->dealer, GW_GRANT_HWM);
    zsock_set_rcvhwm (self->dealer, GW_GRANT_HWM);
    if (zsock_connect (self->dealer, "%s", endpoint) != 0) {
        vb_msg_destroy (&self->decoder);
        zsock_destroy (&self->dealer);
        return VB_EINVAL;
    }
    snprintf (self->venue, sizeof (self->venue), "%s", venue);
    self->timeout_ns = (timeout_ms ? timeout_ms : GW_GRANT_TIMEOUT_MS) * VB_NS_PER_MS;
    return 0;
}

void *
gw_grant_socket (gw_grant_t *self)
{
    assert (self);
    return self->dealer ? zsock_resolve (self->dealer) : NULL;
}

//  --------------------------------------------------------------------------
//  Send one GrantRequest without blocking. Returns 0 or a negative code.

static int
s_send (gw_grant_t *self, uint64_t id, int weight, uint64_t used_weight, int64_t retry_after_ms,
        bool banned)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__GrantRequest request = VENUEBUS__GRANT_REQUEST__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    header.venue = self->venue;
    header.producer = (char *)S_PRODUCER;
    header.publish_ts_ns = vb_clock_real_ns (self->clock);
    request.request_id = id;
    request.venue = self->venue;
    request.weight = (uint32_t)weight;
    request.purpose = (char *)S_PURPOSE;
    request.used_weight = used_weight;
    request.retry_after_ms = retry_after_ms;
    request.banned = banned;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_GRANT_REQUEST;
    envelope.grant_request = &request;
    return vb_msg_send_bare (self->dealer, &envelope, ZMQ_DONTWAIT);
}

//  --------------------------------------------------------------------------
//  Queue a request in the local budget. Cannot fail: the lane holds
//  queue_max and every request was checked against the burst.

static void
s_local (gw_grant_t *self, int weight, void *user)
{
    vb_rl_request_t request = {.count = 1, .bucket = {self->bucket}, .weight = {(uint32_t)weight}};
    int rc = vb_ratelimit_enqueue (self->limiter, VB_RL_PRIO_MARKET_DATA, &request, user);
    assert (rc == 0);
    (void)rc;
    zlist_append (self->queued, user);
}

//  A router request falls back to the local budget.
static void
s_fall_back (gw_grant_t *self, s_pending_t *pending)
{
    zlist_remove (self->pending, pending);
    s_local (self, pending->weight, pending->user);
    self->stats.fallbacks++;
    free (pending);
}

//  --------------------------------------------------------------------------
//  Ask the router (again) for a pending request; falls back when it cannot
//  be sent.

static void
s_ask (gw_grant_t *self, s_pending_t *pending, int64_t now)
{
    pending->resend_ns = 0;
    pending->deadline_ns = now + self->timeout_ns;
    if (s_send (self, pending->id, pending->weight, 0, 0, false) == 0)
        self->stats.router_requests++;
    else
        s_fall_back (self, pending);
}

//  --------------------------------------------------------------------------
//  The pending request with this id, or NULL.

static s_pending_t *
s_pending_find (gw_grant_t *self, uint64_t id)
{
    s_pending_t *pending = (s_pending_t *)zlist_first (self->pending);
    while (pending && pending->id != id)
        pending = (s_pending_t *)zlist_next (self->pending);
    return pending;
}

//  --------------------------------------------------------------------------
//  The router answered: it is up.

static void
s_router_up (gw_grant_t *self)
{
    if (self->router_down) {
        self->router_down = false;
        vb_log_notice ("grants router answering again venue=%s", self->venue);
    }
}

//  --------------------------------------------------------------------------
//  Handle one Grant.

static void
s_on_grant (gw_grant_t *self, const Venuebus__Grant *grant, int64_t now)
{
    s_router_up (self);
    s_pending_t *pending = s_pending_find (self, grant->request_id);
    if (!pending || pending->resend_ns) {
        self->stats.stray++;  //  Fell back already, a report's refusal, or stale
        return;
    }
    if (grant->granted) {
        self->stats.router_granted++;
        self->refusal_logged = false;
        zlist_remove (self->pending, pending);
        zlist_append (self->ready, pending->user);
        free (pending);
        return;
    }
    self->stats.router_refused++;
    if (grant->retry_after_ms > 0) {
        //  Not now: hold the local budget too, so a fallback waits as well
        int64_t retry_ms =
            grant->retry_after_ms > S_RETRY_MAX_MS ? S_RETRY_MAX_MS : grant->retry_after_ms;
        vb_ratelimit_block_for (self->limiter, self->bucket, retry_ms * VB_NS_PER_MS);
        pending->deadline_ns = 0;
        pending->resend_ns = now + retry_ms * VB_NS_PER_MS;
        return;
    }
    if (!self->refusal_logged) {
        self->refusal_logged = true;
        vb_log_warning ("grants router refused venue=%s detail=\"%s\": using the local budget",
                        self->venue, grant->detail ? grant->detail : "");
    }
    s_fall_back (self, pending);
}

//  --------------------------------------------------------------------------
//  Read the router's messages without blocking, then resend and time out.

static void
s_router_poll (gw_grant_t *self)
{
    if (!self->dealer)
        return;
    int64_t now = vb_clock_mono_ns (self->clock);
    for (int i = 0; i < S_DRAIN_MAX; i++) {
        int rc = vb_msg_recv_bare (self->decoder, self->dealer, ZMQ_DONTWAIT);
        if (rc == VB_EAGAIN || rc == VB_EIO)
            break;
        //  One part per message: drop any more a confused peer sent
        while (zsock_rcvmore (self->dealer)) {
            zframe_t *extra = zframe_recv (self->dealer);
            zframe_destroy (&extra);
        }
        const Venuebus__Envelope *envelope = rc == 0 ? vb_msg_envelope (self->decoder) : NULL;
        if (!envelope || envelope->body_case != VENUEBUS__ENVELOPE__BODY_GRANT ||
            !envelope->grant) {
            self->stats.stray++;
            continue;
        }
        s_on_grant (self, envelope->grant, now);
    }
    //  Oldest first: a deadline passed, or a retry is due. zlist_remove of
    //  the cursor item moves the cursor back, so zlist_next goes on right.
    s_pending_t *pending = (s_pending_t *)zlist_first (self->pending);
    while (pending) {
        if (pending->resend_ns && now >= pending->resend_ns)
            s_ask (self, pending, now);
        else if (!pending->resend_ns && now >= pending->deadline_ns) {
            if (!self->router_down) {
                self->router_down = true;
                vb_log_warning ("grants router not answering venue=%s timeout_ms=%" PRId64
                                ": using the local budget",
                                self->venue, self->timeout_ns / VB_NS_PER_MS);
            }
            self->probe_ns = now + self->timeout_ns;
            s_fall_back (self, pending);
        }
        pending = (s_pending_t *)zlist_next (self->pending);
    }
}

//  --------------------------------------------------------------------------
//  Requests held everywhere.

static size_t
s_held (gw_grant_t *self)
{
    return zlist_size (self->queued) + zlist_size (self->pending) + zlist_size (self->ready);
}

//  --------------------------------------------------------------------------
//  Ask for a grant.

int
gw_grant_request (gw_grant_t *self, int weight, void *user)
{
    assert (self);
    if (weight < 1 || !user)
        return VB_EINVAL;
    vb_rl_request_t request = {.count = 1, .bucket = {self->bucket}, .weight = {(uint32_t)weight}};
    int64_t wait = vb_ratelimit_request_wait_ns (self->limiter, &request);
    if (wait < 0)
        return (int)wait;  //  VB_ELIMIT: a fallback could never grant it
    if (s_held (self) >= self->queue_max)
        return VB_EAGAIN;
    int64_t now = vb_clock_mono_ns (self->clock);
    if (!self->dealer || (self->router_down && now < self->probe_ns)) {
        s_local (self, weight, user);
        if (self->dealer)
            self->stats.fallbacks++;
        return 0;
    }
    s_pending_t *pending = (s_pending_t *)zmalloc (sizeof (s_pending_t));
    pending->id = ++self->next_id;
    pending->user = user;
    pending->weight = weight;
    if (zlist_append (self->pending, pending) != 0) {
        free (pending);
        return VB_ENOMEM;
    }
    if (self->router_down)
        self->probe_ns = now + self->timeout_ns;
    s_ask (self, pending, now);
    return 0;
}

//  --------------------------------------------------------------------------
//  The next granted request, or NULL.

void *
gw_grant_next (gw_grant_t *self)
{
    assert (self);
    s_router_poll (self);
    void *user = zlist_pop (self->ready);
    if (user)
        return user;
    user = vb_ratelimit_next (self->limiter);
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
    if (zlist_size (self->ready))
        return 0;
    int64_t wait_ns = vb_ratelimit_wait_ns (self->limiter);
    int64_t wait_ms = wait_ns < 0 ? -1 : (wait_ns + VB_NS_PER_MS - 1) / VB_NS_PER_MS;
    if (zlist_size (self->pending) && (wait_ms < 0 || wait_ms > GW_GRANT_POLL_MS))
        wait_ms = GW_GRANT_POLL_MS;
    return wait_ms;
}

//  --------------------------------------------------------------------------
//  Hold local grants back after a 429/418.

int
gw_grant_block (gw_grant_t *self, int64_t duration_ms)
{
    assert (self);
    if (duration_ms < 0 || duration_ms > INT64_MAX / VB_NS_PER_MS)
        return VB_EINVAL;
    return vb_ratelimit_block_for (self->limiter, self->bucket, duration_ms * VB_NS_PER_MS);
}

//  --------------------------------------------------------------------------
//  Tell the router what the venue answered.

int
gw_grant_report (gw_grant_t *self, uint64_t used_weight, int64_t retry_after_ms, bool banned)
{
    assert (self);
    if (retry_after_ms < 0)
        return VB_EINVAL;
    if (!self->dealer)
        return 0;
    int rc = s_send (self, ++self->next_id, 0, used_weight, retry_after_ms, banned);
    if (rc == 0)
        self->stats.reports++;
    return rc;
}

//  --------------------------------------------------------------------------
//  Remove one queued request for teardown.

void *
gw_grant_drop (gw_grant_t *self)
{
    assert (self);
    void *user = zlist_pop (self->ready);
    if (user)
        return user;
    s_pending_t *pending = (s_pending_t *)zlist_pop (self->pending);
    if (pending) {
        user = pending->user;
        free (pending);
        return user;
    }
    user = zlist_pop (self->queued);
    if (user)
        vb_ratelimit_remove (self->limiter, user);
    return user;
}

//  --------------------------------------------------------------------------
//  Counters.

void
gw_grant_stats (gw_grant_t *self, gw_grant_stats_t *stats)
{
    assert (self);
    assert (stats);
    *stats = self->stats;
}
