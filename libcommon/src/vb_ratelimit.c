/*  vb_ratelimit.c — venue rate limits: GCRA buckets, weights, priority lanes.

    GCRA arithmetic is done in "scaled time": nanoseconds multiplied by the
    bucket's limit, held in a 128-bit integer. One unit of weight then costs
    exactly period_ns scaled units, so no division happens until a wait is
    reported in ns (rounded up), and nothing can overflow: |now| < 2^63 and
    limit < 2^30 keep every value below 2^94.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include "vb_error.h"
#include "vb_ratelimit.h"

typedef __int128 s_wide_t;  //  Scaled time: ns x limit

typedef struct {
    char *name;                //  Unique bucket name
    char *scope;               //  Scope label ("" when none)
    uint32_t limit;            //  Units per period, sustained
    uint32_t burst;            //  Units admissible at once
    int64_t period_ns;         //  Period of the sustained rate
    s_wide_t tat;              //  Theoretical arrival time, scaled (ns x limit)
    int64_t blocked_until_ns;  //  Refuse everything before this monotonic time
    size_t queued;             //  Queued requests that use this bucket
} s_bucket_t;

typedef struct {
    vb_rl_request_t request;  //  What the request consumes
    uint64_t mask;            //  Bit per bucket it uses
    void *user;               //  Returned by vb_ratelimit_next
} s_entry_t;

typedef struct {
    s_entry_t *entries;  //  Ring buffer of queue_capacity entries
    size_t head;         //  Index of the oldest entry
    size_t count;        //  Entries queued
} s_lane_t;

struct _vb_ratelimit_t {
    vb_clock_t *clock;                      //  Borrowed; NULL is the system clock
    size_t queue_capacity;                  //  Entries per lane
    size_t bucket_count;                    //  Buckets in use
    s_bucket_t buckets[VB_RL_BUCKETS_MAX];  //  Bucket states
    s_lane_t lanes[VB_RL_PRIO_COUNT];       //  Index 0 is VB_RL_PRIO_CANCEL
};

//  --------------------------------------------------------------------------
//  Current monotonic time of the limiter's clock.

static int64_t
s_now (vb_ratelimit_t *self)
{
    return vb_clock_mono_ns (self->clock);
}

//  --------------------------------------------------------------------------
//  Check a request. Returns 0, VB_EINVAL or VB_ELIMIT, and its bucket mask.

static int
s_check_request (vb_ratelimit_t *self, const vb_rl_request_t *request, uint64_t *mask_p)
{
    if (!request || request->count == 0 || request->count > VB_RL_REQUEST_BUCKETS_MAX)
        return VB_EINVAL;
    uint64_t mask = 0;
    bool too_heavy = false;
    for (size_t index = 0; index < request->count; index++) {
        int bucket = request->bucket[index];
        if (bucket < 0 || (size_t)bucket >= self->bucket_count || request->weight[index] == 0)
            return VB_EINVAL;
        uint64_t bit = UINT64_C (1) << bucket;
        if (mask & bit)
            return VB_EINVAL;
        mask |= bit;
        if (request->weight[index] > self->buckets[bucket].burst)
            too_heavy = true;
    }
    if (mask_p)
        *mask_p = mask;
    return too_heavy ? VB_ELIMIT : 0;
}

//  --------------------------------------------------------------------------
//  ns until `weight` conforms in one bucket at now_ns (0 if it does now).
//  weight <= burst is checked by the caller.

static int64_t
s_bucket_wait (s_bucket_t *bucket, uint32_t weight, int64_t now_ns)
{
    s_wide_t now = (s_wide_t)now_ns * bucket->limit;
    //  Conforms when TAT + (weight - burst) x period <= now (scaled).
    s_wide_t earliest = bucket->tat + ((s_wide_t)weight - bucket->burst) * bucket->period_ns;
    int64_t wait = 0;
    if (earliest > now) {
        s_wide_t scaled = earliest - now;
        s_wide_t ns = (scaled + bucket->limit - 1) / bucket->limit;
        wait = ns > INT64_MAX ? INT64_MAX : (int64_t)ns;
    }
    if (bucket->blocked_until_ns > now_ns && bucket->blocked_until_ns - now_ns > wait)
        wait = bucket->blocked_until_ns - now_ns;
    return wait;
}

//  --------------------------------------------------------------------------
//  ns until a checked request conforms in all its buckets.

static int64_t
s_request_wait (vb_ratelimit_t *self, const vb_rl_request_t *request, int64_t now_ns)
{
    int64_t wait = 0;
    for (size_t index = 0; index < request->count; index++) {
        int64_t bucket_wait =
            s_bucket_wait (&self->buckets[request->bucket[index]], request->weight[index], now_ns);
        if (bucket_wait > wait)
            wait = bucket_wait;
    }
    return wait;
}

//  --------------------------------------------------------------------------
//  Take a conforming, checked request from all of its buckets.

static void
s_take (vb_ratelimit_t *self, const vb_rl_request_t *request, int64_t now_ns)
{
    for (size_t index = 0; index < request->count; index++) {
        s_bucket_t *bucket = &self->buckets[request->bucket[index]];
        s_wide_t now = (s_wide_t)now_ns * bucket->limit;
        s_wide_t start = bucket->tat > now ? bucket->tat : now;
        bucket->tat = start + (s_wide_t)request->weight[index] * bucket->period_ns;
    }
}

//  --------------------------------------------------------------------------
//  Count a request in or out of its buckets' queued totals.

static void
s_count_queued (vb_ratelimit_t *self, const vb_rl_request_t *request, bool queued)
{
    for (size_t index = 0; index < request->count; index++) {
        s_bucket_t *bucket = &self->buckets[request->bucket[index]];
        if (queued)
            bucket->queued++;
        else {
            assert (bucket->queued > 0);
            bucket->queued--;
        }
    }
}

//  --------------------------------------------------------------------------
//  Create a limiter.

vb_ratelimit_t *
vb_ratelimit_new (vb_clock_t *clock, size_t queue_capacity)
{
    if (queue_capacity == 0 || queue_capacity > SIZE_MAX / sizeof (s_entry_t))
        return NULL;
    vb_ratelimit_t *self = (vb_ratelimit_t *)zmalloc (sizeof (vb_ratelimit_t));
    self->clock = clock;
    self->queue_capacity = queue_capacity;
    for (size_t lane = 0; lane < VB_RL_PRIO_COUNT; lane++)
        self->lanes[lane].entries = (s_entry_t *)zmalloc (queue_capacity * sizeof (s_entry_t));
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy a limiter.

void
vb_ratelimit_destroy (vb_ratelimit_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        vb_ratelimit_t *self = *self_p;
        for (size_t lane = 0; lane < VB_RL_PRIO_COUNT; lane++)
            free (self->lanes[lane].entries);
        for (size_t index = 0; index < self->bucket_count; index++) {
            free (self->buckets[index].name);
            free (self->buckets[index].scope);
        }
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Add a bucket.

int
vb_ratelimit_add_bucket (vb_ratelimit_t *self, const vb_rl_bucket_def_t *def)
{
    assert (self);
    if (!def || !def->name || !*def->name || def->limit == 0 || def->limit > VB_RL_LIMIT_MAX ||
        def->period_ns <= 0 || def->period_ns > VB_RL_PERIOD_MAX_NS || def->burst > VB_RL_LIMIT_MAX)
        return VB_EINVAL;
    if (vb_ratelimit_find (self, def->name) >= 0)
        return VB_EINVAL;
    if (self->bucket_count >= VB_RL_BUCKETS_MAX)
        return VB_ELIMIT;
    s_bucket_t *bucket = &self->buckets[self->bucket_count];
    memset (bucket, 0, sizeof (s_bucket_t));
    bucket->name = strdup (def->name);
    bucket->scope = strdup (def->scope ? def->scope : "");
    if (!bucket->name || !bucket->scope) {
        free (bucket->name);
        free (bucket->scope);
        return VB_ENOMEM;
    }
    bucket->limit = def->limit;
    bucket->burst = def->burst ? def->burst : def->limit;
    bucket->period_ns = def->period_ns;
    bucket->tat = 0;
    bucket->blocked_until_ns = INT64_MIN;
    return (int)self->bucket_count++;
}

//  --------------------------------------------------------------------------
//  Find a bucket by name.

int
vb_ratelimit_find (vb_ratelimit_t *self, const char *name)
{
    assert (self);
    if (!name)
        return VB_ENOTFOUND;
    for (size_t index = 0; index < self->bucket_count; index++)
        if (streq (self->buckets[index].name, name))
            return (int)index;
    return VB_ENOTFOUND;
}

//  --------------------------------------------------------------------------
//  Bucket count, names and scopes.

size_t
vb_ratelimit_bucket_count (vb_ratelimit_t *self)
{
    assert (self);
    return self->bucket_count;
}

const char *
vb_ratelimit_bucket_name (vb_ratelimit_t *self, int bucket)
{
    assert (self);
    if (bucket < 0 || (size_t)bucket >= self->bucket_count)
        return NULL;
    return self->buckets[bucket].name;
}

const char *
vb_ratelimit_bucket_scope (vb_ratelimit_t *self, int bucket)
{
    assert (self);
    if (bucket < 0 || (size_t)bucket >= self->bucket_count)
        return NULL;
    return self->buckets[bucket].scope;
}

//  --------------------------------------------------------------------------
//  Take a request now if it conforms and no queued request shares a bucket.

int
vb_ratelimit_try (vb_ratelimit_t *self, const vb_rl_request_t *request)
{
    assert (self);
    int rc = s_check_request (self, request, NULL);
    if (rc)
        return rc;
    for (size_t index = 0; index < request->count; index++)
        if (self->buckets[request->bucket[index]].queued > 0)
            return VB_EAGAIN;
    int64_t now_ns = s_now (self);
    if (s_request_wait (self, request, now_ns) > 0)
        return VB_EAGAIN;
    s_take (self, request, now_ns);
    return 0;
}

//  --------------------------------------------------------------------------
//  Wait for one request alone.

int64_t
vb_ratelimit_request_wait_ns (vb_ratelimit_t *self, const vb_rl_request_t *request)
{
    assert (self);
    int rc = s_check_request (self, request, NULL);
    if (rc)
        return rc;
    return s_request_wait (self, request, s_now (self));
}

//  --------------------------------------------------------------------------
//  Queue a request in its lane.

int
vb_ratelimit_enqueue (vb_ratelimit_t *self, vb_rl_priority_t priority,
                      const vb_rl_request_t *request, void *user)
{
    assert (self);
    if (priority < VB_RL_PRIO_CANCEL || priority > VB_RL_PRIO_MARKET_DATA || !user)
        return VB_EINVAL;
    uint64_t mask = 0;
    int rc = s_check_request (self, request, &mask);
    if (rc)
        return rc;
    s_lane_t *lane = &self->lanes[priority - VB_RL_PRIO_CANCEL];
    if (lane->count == self->queue_capacity)
        return VB_EAGAIN;
    s_entry_t *entry = &lane->entries[(lane->head + lane->count) % self->queue_capacity];
    entry->request = *request;
    entry->mask = mask;
    entry->user = user;
    lane->count++;
    s_count_queued (self, request, true);
    return 0;
}

//  --------------------------------------------------------------------------
//  Walk the lane heads under the priority rule. With take set, take and
//  return the first head that may go; otherwise return NULL and report in
//  *wait_p the shortest wait of any head that is not behind a reservation
//  (VB_ENOTFOUND when every lane is empty).

static void *
s_walk (vb_ratelimit_t *self, bool take, int64_t *wait_p)
{
    int64_t now_ns = s_now (self);
    uint64_t reserved = 0;
    int64_t best = VB_ENOTFOUND;
    for (size_t index = 0; index < VB_RL_PRIO_COUNT; index++) {
        s_lane_t *lane = &self->lanes[index];
        if (lane->count == 0)
            continue;
        s_entry_t *entry = &lane->entries[lane->head];
        if (entry->mask & reserved) {
            //  Behind a higher lane's waiting head: it can go no earlier
            //  than that head, whose wait is already counted.
            reserved |= entry->mask;
            continue;
        }
        int64_t wait = s_request_wait (self, &entry->request, now_ns);
        if (wait == 0) {
            if (!take) {
                *wait_p = 0;
                return NULL;
            }
            s_take (self, &entry->request, now_ns);
            s_count_queued (self, &entry->request, false);
            void *user = entry->user;
            memset (entry, 0, sizeof (s_entry_t));
            lane->head = (lane->head + 1) % self->queue_capacity;
            lane->count--;
            return user;
        }
        if (best < 0 || wait < best)
            best = wait;
        reserved |= entry->mask;
    }
    if (wait_p)
        *wait_p = best;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Take the queued request that may go now.

void *
vb_ratelimit_next (vb_ratelimit_t *self)
{
    assert (self);
    return s_walk (self, true, NULL);
}

//  --------------------------------------------------------------------------
//  Time until vb_ratelimit_next may return something.

int64_t
vb_ratelimit_wait_ns (vb_ratelimit_t *self)
{
    assert (self);
    int64_t wait = VB_ENOTFOUND;
    s_walk (self, false, &wait);
    return wait;
}

//  --------------------------------------------------------------------------
//  Depth of one lane.

size_t
vb_ratelimit_depth (vb_ratelimit_t *self, vb_rl_priority_t priority)
{
    assert (self);
    if (priority < VB_RL_PRIO_CANCEL || priority > VB_RL_PRIO_MARKET_DATA)
        return 0;
    return self->lanes[priority - VB_RL_PRIO_CANCEL].count;
}

//  --------------------------------------------------------------------------
//  Remove a queued request by user pointer, keeping the order of the rest.

int
vb_ratelimit_remove (vb_ratelimit_t *self, void *user)
{
    assert (self);
    for (size_t index = 0; index < VB_RL_PRIO_COUNT; index++) {
        s_lane_t *lane = &self->lanes[index];
        for (size_t position = 0; position < lane->count; position++) {
            size_t slot = (lane->head + position) % self->queue_capacity;
            if (lane->entries[slot].user != user)
                continue;
            s_count_queued (self, &lane->entries[slot].request, false);
            //  Close the gap by moving every later entry one slot forward.
            for (size_t later = position + 1; later < lane->count; later++) {
                size_t from = (lane->head + later) % self->queue_capacity;
                size_t to = (lane->head + later - 1) % self->queue_capacity;
                lane->entries[to] = lane->entries[from];
            }
            lane->count--;
            memset (&lane->entries[(lane->head + lane->count) % self->queue_capacity], 0,
                    sizeof (s_entry_t));
            return 0;
        }
    }
    return VB_ENOTFOUND;
}

//  --------------------------------------------------------------------------
//  Tighten a bucket to the venue's count: used_now units in use now means
//  TAT = now + used_now x period (scaled).

int
vb_ratelimit_correct (vb_ratelimit_t *self, int bucket, uint64_t used_now)
{
    assert (self);
    if (bucket < 0 || (size_t)bucket >= self->bucket_count)
        return VB_EINVAL;
    if (used_now > VB_RL_LIMIT_MAX)
        used_now = VB_RL_LIMIT_MAX;
    s_bucket_t *state = &self->buckets[bucket];
    s_wide_t tat = (s_wide_t)s_now (self) * state->limit + (s_wide_t)used_now * state->period_ns;
    if (tat > state->tat)
        state->tat = tat;
    return 0;
}

//  --------------------------------------------------------------------------
//  Block one bucket or all until a monotonic time.

int
vb_ratelimit_block_until (vb_ratelimit_t *self, int bucket, int64_t until_ns)
{
    assert (self);
    if (bucket != VB_RL_ALL && (bucket < 0 || (size_t)bucket >= self->bucket_count))
        return VB_EINVAL;
    for (size_t index = 0; index < self->bucket_count; index++)
        if ((bucket == VB_RL_ALL || (size_t)bucket == index) &&
            until_ns > self->buckets[index].blocked_until_ns)
            self->buckets[index].blocked_until_ns = until_ns;
    return 0;
}

//  --------------------------------------------------------------------------
//  Block for a duration from now.

int
vb_ratelimit_block_for (vb_ratelimit_t *self, int bucket, int64_t duration_ns)
{
    assert (self);
    if (duration_ns < 0)
        return VB_EINVAL;
    int64_t now_ns = s_now (self);
    int64_t until_ns = now_ns > INT64_MAX - duration_ns ? INT64_MAX : now_ns + duration_ns;
    return vb_ratelimit_block_until (self, bucket, until_ns);
}

//  --------------------------------------------------------------------------
//  Units in use now: (TAT - now) / period, rounded up, out of the burst.

int
vb_ratelimit_usage (vb_ratelimit_t *self, int bucket, uint32_t *used, uint32_t *capacity)
{
    assert (self);
    if (bucket < 0 || (size_t)bucket >= self->bucket_count)
        return VB_EINVAL;
    s_bucket_t *state = &self->buckets[bucket];
    s_wide_t lead = state->tat - (s_wide_t)s_now (self) * state->limit;
    s_wide_t units = lead > 0 ? (lead + state->period_ns - 1) / state->period_ns : 0;
    if (used)
        *used = units > UINT32_MAX ? UINT32_MAX : (uint32_t)units;
    if (capacity)
        *capacity = state->burst;
    return 0;
}
