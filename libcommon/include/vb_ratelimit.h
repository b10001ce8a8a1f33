/*  vb_ratelimit.h — venue rate limits: GCRA buckets, weights, priority lanes.

    A venue adapter declares its limits as data: buckets with a sustained
    rate (limit units per period), a burst capacity and a scope label. The
    router keeps one vb_ratelimit_t per venue connection scope and asks it
    before every request. Each bucket holds one GCRA state, its theoretical
    arrival time (TAT): a request of weight w conforms at time now when

        max (TAT, now) + w * period / limit - now <= burst * period / limit

    and taking it moves TAT to max (TAT, now) + w * period / limit. The
    arithmetic is exact (no rounding drift, however the period divides).

    Choosing parameters: in any interval of length t, a bucket admits at most
    burst + t * limit / period units. A venue that counts over fixed or rolling
    windows of length W with a ceiling C is therefore never exceeded when
    burst + W * limit / period <= C; e.g. Binance ORDERS 50 per 10 s can be
    declared as limit 25 per 10 s with burst 25 (or limit 40, burst 10).
    Kraken's decaying counter (venues.md 3.7: threshold 125, decay 2.34/s) is
    a GCRA with limit 234 per 100 s and burst 125.

    A request names up to VB_RL_REQUEST_BUCKETS_MAX buckets with a weight for
    each (Binance order: REQUEST_WEIGHT 1 + ORDERS_10S 1 + ORDERS_1D 1) and is
    taken from all of them or none.

    Priority lanes. Requests wait in one bounded FIFO per priority:
    VB_RL_PRIO_CANCEL before VB_RL_PRIO_ORDER before VB_RL_PRIO_QUERY before
    VB_RL_PRIO_MARKET_DATA. The exact rule of vb_ratelimit_next:
      1. Only the head of each lane is considered (FIFO within a lane).
      2. Lanes are visited from the highest priority down. A head goes when it
         conforms in every one of its buckets now and none of its buckets is
         reserved by a higher lane.
      3. A head that cannot go (it does not conform, or one of its buckets is
         reserved) reserves all of its buckets against every lower lane.
    So a lower lane never overtakes a higher one that waits on a bucket they
    share, but it may use buckets the waiting higher requests do not touch.

    Time comes from the vb_clock_t given at construction (monotonic ns), so
    tests drive it with a manual clock. Not thread-safe: one owner, like every
    object. Pure libcommon: never logs.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_RATELIMIT_H_INCLUDED
#define VB_RATELIMIT_H_INCLUDED

#include <stddef.h>
#include <stdint.h>
#include "vb_clock.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VB_RL_BUCKETS_MAX         64           //  Buckets per vb_ratelimit_t
#define VB_RL_REQUEST_BUCKETS_MAX 4            //  Buckets one request may consume from
#define VB_RL_LIMIT_MAX           1000000000u  //  Largest limit or burst
#define VB_RL_PERIOD_MAX_NS       (INT64_C (31) * 24 * 3600 * VB_NS_PER_SEC)
#define VB_RL_ALL                 (-1)  //  "Every bucket" for vb_ratelimit_block_until

typedef enum {
    VB_RL_PRIO_UNSET = 0,        //  Reserved
    VB_RL_PRIO_CANCEL = 1,       //  Highest: cancels always go first
    VB_RL_PRIO_ORDER = 2,        //  New orders
    VB_RL_PRIO_QUERY = 3,        //  Account and order queries
    VB_RL_PRIO_MARKET_DATA = 4,  //  Lowest: snapshots and other market data
} vb_rl_priority_t;

#define VB_RL_PRIO_COUNT 4  //  Number of lanes

//  One bucket, as a venue adapter declares it.
typedef struct {
    const char *name;   //  Unique, e.g. "REQUEST_WEIGHT_1M"; copied
    uint32_t limit;     //  Sustained rate: limit units per period (1..VB_RL_LIMIT_MAX)
    int64_t period_ns;  //  1..VB_RL_PERIOD_MAX_NS
    uint32_t burst;     //  Units admissible at once (0 means limit; up to VB_RL_LIMIT_MAX)
    const char *scope;  //  Label only, e.g. "ip" or "account"; copied; may be NULL
} vb_rl_bucket_def_t;

//  What one request consumes: `count` (bucket, weight) pairs.
typedef struct {
    size_t count;                                //  1..VB_RL_REQUEST_BUCKETS_MAX
    int bucket[VB_RL_REQUEST_BUCKETS_MAX];       //  Indices from vb_ratelimit_add_bucket
    uint32_t weight[VB_RL_REQUEST_BUCKETS_MAX];  //  Each at least 1
} vb_rl_request_t;

typedef struct _vb_ratelimit_t vb_ratelimit_t;

//  Create a limiter that reads time from clock (borrowed; it must outlive the
//  limiter; NULL means the system clock) and queues at most queue_capacity
//  requests per lane. Returns NULL when queue_capacity is 0.
vb_ratelimit_t *vb_ratelimit_new (vb_clock_t *clock, size_t queue_capacity);

//  Destroy the limiter and set *self_p to NULL; queued user pointers are
//  dropped, not freed. Safe to call twice.
void vb_ratelimit_destroy (vb_ratelimit_t **self_p);

//  Add a bucket, initially empty (nothing used). Returns its index (>= 0),
//  VB_EINVAL for a bad definition or a duplicate name, or VB_ELIMIT when
//  VB_RL_BUCKETS_MAX buckets exist already (VB_ENOMEM if copying a name fails).
int vb_ratelimit_add_bucket (vb_ratelimit_t *self, const vb_rl_bucket_def_t *def);

//  Index of the bucket with this name, or VB_ENOTFOUND.
int vb_ratelimit_find (vb_ratelimit_t *self, const char *name);

//  Number of buckets, and a bucket's name and scope (borrowed; NULL for a
//  bad index; scope is "" when none was given).
size_t vb_ratelimit_bucket_count (vb_ratelimit_t *self);
const char *vb_ratelimit_bucket_name (vb_ratelimit_t *self, int bucket);
const char *vb_ratelimit_bucket_scope (vb_ratelimit_t *self, int bucket);

//  Take the request now, if it can go without jumping the queue: it must
//  conform in every bucket and no queued request may use any of its buckets
//  (queued requests came first). Returns 0 when taken (from every bucket),
//  VB_EAGAIN when not now (nothing taken), VB_ELIMIT when a weight exceeds
//  its bucket's burst (it can never go), or VB_EINVAL for a bad request
//  (count out of range, unknown or repeated bucket, zero weight).
int vb_ratelimit_try (vb_ratelimit_t *self, const vb_rl_request_t *request);

//  Nanoseconds until this request alone would conform (ignoring the queues),
//  0 if it conforms now, or VB_ELIMIT / VB_EINVAL as vb_ratelimit_try.
int64_t vb_ratelimit_request_wait_ns (vb_ratelimit_t *self, const vb_rl_request_t *request);

//  Queue a request (copied) at a priority, with a user pointer that
//  vb_ratelimit_next returns (not owned; must not be NULL). Returns 0,
//  VB_EAGAIN when that lane is full, VB_ELIMIT when the request can never
//  conform, or VB_EINVAL for a bad priority, request or NULL user.
int vb_ratelimit_enqueue (vb_ratelimit_t *self, vb_rl_priority_t priority,
                          const vb_rl_request_t *request, void *user);

//  Take the queued request that may go now under the rule in the file
//  comment, remove it from its lane, and return its user pointer; its weights
//  are already taken. Returns NULL when nothing may go now (call again after
//  vb_ratelimit_wait_ns). Call repeatedly to drain everything that may go.
void *vb_ratelimit_next (vb_ratelimit_t *self);

//  Nanoseconds until vb_ratelimit_next may return something: 0 if it would
//  now, VB_ENOTFOUND if every lane is empty. When it is positive, nothing can
//  go earlier, and (unless a correction or block intervenes) a request can go
//  once that much time has passed, so a loop that waits this long does not
//  spin.
int64_t vb_ratelimit_wait_ns (vb_ratelimit_t *self);

//  Requests waiting in one lane (0 for a bad priority).
size_t vb_ratelimit_depth (vb_ratelimit_t *self, vb_rl_priority_t priority);

//  Remove the first queued request carrying this user pointer (the caller
//  gave up on it, e.g. the order was cancelled before it was sent). Nothing
//  is taken from its buckets. Returns 0 or VB_ENOTFOUND.
int vb_ratelimit_remove (vb_ratelimit_t *self, void *user);

//  Correct a bucket from the venue's own count (e.g. X-MBX-USED-WEIGHT-1M):
//  used_now units are in use at this moment. The correction only ever
//  tightens: if the limiter already counts more, it keeps its own count,
//  because the venue's figure may predate requests still in flight. Values
//  beyond VB_RL_LIMIT_MAX are taken as VB_RL_LIMIT_MAX. Returns 0 or VB_EINVAL
//  for a bad bucket.
int vb_ratelimit_correct (vb_ratelimit_t *self, int bucket, uint64_t used_now);

//  Refuse every request using the bucket (or every bucket, with VB_RL_ALL)
//  until the monotonic time until_ns of this limiter's clock (429
//  Retry-After, Binance 418 ban). A block only ever extends; an earlier
//  until_ns than the current block is ignored. Returns 0 or VB_EINVAL.
int vb_ratelimit_block_until (vb_ratelimit_t *self, int bucket, int64_t until_ns);

//  The same for a duration from now (Retry-After seconds * VB_NS_PER_SEC).
//  A negative duration is VB_EINVAL.
int vb_ratelimit_block_for (vb_ratelimit_t *self, int bucket, int64_t duration_ns);

//  Utilisation of a bucket now: *used units in use (rounded up) out of
//  *capacity (its burst). Either pointer may be NULL. Returns 0 or VB_EINVAL.
int vb_ratelimit_usage (vb_ratelimit_t *self, int bucket, uint32_t *used, uint32_t *capacity);

#ifdef __cplusplus
}
#endif
#endif
