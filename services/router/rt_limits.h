/*  rt_limits.h — the router's rate-limit authority: one GCRA state per venue bucket.

    Every REST call the router makes, and every public REST call a gateway
    asks a grant for (rt_grants.h), takes its weight here first. For each
    venue there is one vb_ratelimit_t (priority lanes: cancel > order >
    query > market data; vb_ratelimit.h has the exact rule). It holds:
    - the venue's IP-scope buckets (vb_exec_bucket_t.scope "ip"), once per
      venue, shared by every account of that venue and by the gateways'
      grants, named as the adapter names them ("binance.ip.request_weight_1m");
    - each account's account-scope buckets, named "<bucket>@<account>".
    A request's costs name buckets by their index in the adapter's table;
    this class maps them to the right limiter and buckets.

    Corrections and stops:
    - rt_limits_correct: the venue's own usage header (X-MBX-USED-WEIGHT-1M)
      for a bucket: the venue's count in its current fixed window, aligned
      to wall-clock multiples of the bucket's period (Binance). It is
      converted to GCRA units in use now by subtracting what GCRA drains
      over the elapsed part of the window (elapsed x limit / period, rounded
      down), which is safe because adapters declare burst + limit <= the
      venue's ceiling; vb_ratelimit_correct then only ever tightens;
    - rt_limits_block: 429 with Retry-After stops the venue's buckets for
      that long; a ban (Binance 418) stops the whole venue until it ends and
      is reported as banned_until.
    Usage (used / capacity per bucket, queue depth, blocked-until) is read
    with rt_limits_usage for publishing on sys.router.ratelimit and metrics.
    rt_limits_alerts reports each bucket whose utilisation crossed the alert
    threshold (default 80 %), up or down, once per crossing.

    Users are opaque pointers with an int tag the caller chooses (the
    router tells order requests from gateway grants by it). Time comes from
    the given clock (tests use a manual one). Not thread-safe. Never logs.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef RT_LIMITS_H_INCLUDED
#define RT_LIMITS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_clock.h"
#include "vb_exec.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RT_LIMITS_VENUES_MAX    16   //  Venues per authority
#define RT_LIMITS_ACCOUNTS_MAX  64   //  Accounts per authority
#define RT_LIMITS_NAME_MAX      128  //  Longest bucket name, with "@<account>"
#define RT_LIMITS_ALERT_DEFAULT 800  //  Alert threshold, per mille of capacity

typedef struct _rt_limits_t rt_limits_t;

typedef struct {
    char bucket[RT_LIMITS_NAME_MAX];  //  "binance.ip.request_weight_1m", "...@main"
    char venue[32];                   //  "binance"
    char scope[RT_LIMITS_NAME_MAX];   //  "ip" or "account:<name>"
    uint32_t used;                    //  Units in use now (rounded up)
    uint32_t capacity;                //  The bucket's burst
    uint32_t limit;                   //  Sustained units per window
    int64_t window_ns;                //  The window (period)
    uint32_t permille;                //  used * 1000 / capacity
    size_t queue_depth;               //  Requests waiting on the venue (all lanes)
    int64_t blocked_until_ns;         //  Monotonic ns the bucket is stopped until (0: not)
    bool banned;                      //  The stop is a ban (Binance 418)
    bool alerting;                    //  Utilisation is at or over the alert threshold
} rt_limits_usage_t;

//  Create the authority. clock is borrowed (NULL: system clock);
//  queue_capacity bounds each priority lane of each venue;
//  alert_permille is the alert threshold (0: RT_LIMITS_ALERT_DEFAULT).
//  Returns NULL on bad arguments.
rt_limits_t *rt_limits_new (vb_clock_t *clock, size_t queue_capacity, uint32_t alert_permille);

//  Destroy and set *self_p to NULL. Queued users are dropped, not freed.
void rt_limits_destroy (rt_limits_t **self_p);

//  Declare an account of a venue with the adapter's bucket table. The
//  venue's ip-scope buckets are added on its first account; later
//  accounts of the venue must pass the same table. Returns the account's
//  handle (>= 0), VB_EEXIST for an account name already declared,
//  VB_ELIMIT past RT_LIMITS_VENUES_MAX / RT_LIMITS_ACCOUNTS_MAX, or
//  VB_EINVAL (bad table: a limit, period or burst out of vb_ratelimit's
//  range, an unknown scope).
int rt_limits_add_account (rt_limits_t *self, const char *venue, const char *account,
                           const vb_exec_bucket_t *buckets, size_t count);

//  Take a request of `account` now, or queue it. costs index the adapter's
//  table. Returns 0 when taken now (user is not queued), 1 when queued
//  (rt_limits_next hands it back later), VB_EAGAIN when its lane is full,
//  VB_ELIMIT when it can never fit (a weight above a burst), or VB_EINVAL.
//  A request is never taken ahead of queued ones that share its buckets.
int rt_limits_submit (rt_limits_t *self, int account, vb_exec_priority_t priority,
                      const vb_exec_cost_t *costs, size_t count, int tag, void *user);

//  A gateway's grant: `weight` on the venue's first ip-scope bucket at
//  market-data priority. Returns as rt_limits_submit, or VB_ENOTFOUND for
//  a venue with no account or with no ip-scope bucket (Kraken's table has
//  none: its gateways keep their local budget).
int rt_limits_submit_grant (rt_limits_t *self, const char *venue, uint32_t weight, int tag,
                            void *user);

//  The next queued user that may go now (its weight is taken), across all
//  venues, with its tag in *tag_p; NULL when nothing may go. Call until NULL.
void *rt_limits_next (rt_limits_t *self, int *tag_p);

//  Nanoseconds until rt_limits_next may return something (0: now), or -1
//  when nothing is queued.
int64_t rt_limits_wait_ns (rt_limits_t *self);

//  Remove a queued user (given up). Returns 0 or VB_ENOTFOUND.
int rt_limits_remove (rt_limits_t *self, void *user);

//  The venue said `used` units of the adapter's bucket `bucket` are used in
//  its current window (usage header) for account's venue/account; see the
//  file comment for the conversion. Returns 0 or VB_EINVAL.
int rt_limits_correct (rt_limits_t *self, int account, size_t bucket, int64_t used);

//  The same for a gateway's report: the venue's first ip-scope bucket.
//  Returns 0, VB_ENOTFOUND (unknown venue, or no ip-scope bucket) or
//  VB_EINVAL (negative used).
int rt_limits_correct_venue (rt_limits_t *self, const char *venue, int64_t used);

//  Stop every bucket of the account's venue (its ip buckets and every
//  account's buckets of that venue) for duration_ns: a 429's Retry-After,
//  or with banned a 418 ban. Extends, never shortens. Returns 0 or VB_EINVAL.
int rt_limits_block (rt_limits_t *self, int account, int64_t duration_ns, bool banned);

//  The same by venue name (gateway reports). VB_ENOTFOUND for an unknown venue.
int rt_limits_block_venue (rt_limits_t *self, const char *venue, int64_t duration_ns, bool banned);

//  Number of buckets across every venue, and the usage of one (0 ..
//  count-1, in a stable order). Returns 0 or VB_EINVAL.
size_t rt_limits_bucket_count (rt_limits_t *self);
int rt_limits_usage (rt_limits_t *self, size_t index, rt_limits_usage_t *usage);

//  Call fn for every bucket whose utilisation crossed the alert threshold
//  since the last call (usage->alerting tells which way). Returns the
//  number of calls.
size_t rt_limits_alerts (rt_limits_t *self, void (*fn) (void *ctx, const rt_limits_usage_t *usage),
                         void *ctx);

//  True while the venue of this account is stopped (block or ban), with
//  the monotonic ns it ends at in *until_ns_p (may be NULL).
bool rt_limits_blocked (rt_limits_t *self, int account, int64_t *until_ns_p);

//  Nanoseconds left of a venue's stop (0: not stopped, or an unknown
//  venue), with whether the stop is a ban in *banned_p (may be NULL). The
//  grants endpoint refuses at once, with the time left, while a venue is
//  stopped, so a gateway never waits out a ban in the queue.
int64_t rt_limits_venue_stop_ns (rt_limits_t *self, const char *venue, bool *banned_p);

#ifdef __cplusplus
}
#endif
#endif
