/*  test_vb_ratelimit.c — GCRA buckets, weights and priority lanes on a manual clock.

    Every expected number is worked by hand in the comment beside it from the
    GCRA rule in vb_ratelimit.h: with emission interval T = period / limit, a
    bucket admits `burst` units at once and then one unit per T.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_ratelimit.h"

#define MS  VB_NS_PER_MS
#define SEC VB_NS_PER_SEC

static vb_clock_t *clock_;
static vb_ratelimit_t *limiter;

static void
s_setup (void)
{
    clock_ = vb_clock_new_manual (1000 * SEC, 1700000000 * SEC);
    limiter = vb_ratelimit_new (clock_, 8);
    cr_assert_not_null (limiter);
}

static void
s_teardown (void)
{
    vb_ratelimit_destroy (&limiter);
    vb_clock_destroy (&clock_);
}

//  --------------------------------------------------------------------------
//  Add a bucket; returns its index.

static int
s_bucket (const char *name, uint32_t limit, int64_t period_ns, uint32_t burst)
{
    vb_rl_bucket_def_t def = {name, limit, period_ns, burst, "account"};
    int index = vb_ratelimit_add_bucket (limiter, &def);
    cr_assert_geq (index, 0, "bucket %s: %d", name, index);
    return index;
}

//  --------------------------------------------------------------------------
//  A request on one bucket.

static vb_rl_request_t
s_one (int bucket, uint32_t weight)
{
    vb_rl_request_t request = {1, {bucket}, {weight}};
    return request;
}

//  --------------------------------------------------------------------------
//  A request on two buckets.

static vb_rl_request_t
s_two (int first, uint32_t first_weight, int second, uint32_t second_weight)
{
    vb_rl_request_t request = {2, {first, second}, {first_weight, second_weight}};
    return request;
}

//  --------------------------------------------------------------------------
//  Units in use in a bucket.

static uint32_t
s_used (int bucket)
{
    uint32_t used = 0, capacity = 0;
    cr_assert_eq (vb_ratelimit_usage (limiter, bucket, &used, &capacity), 0);
    return used;
}

TestSuite (vb_ratelimit, .init = s_setup, .fini = s_teardown);

Test (vb_ratelimit, binance_order_takes_from_three_buckets)
{
    //  Usage: declare the venue's buckets (venues.md 1.7), then describe each
    //  request by the buckets it consumes. A Binance order costs request
    //  weight 1 and one order in each order-count bucket.
    int weight = s_bucket ("REQUEST_WEIGHT_1M", 6000, 60 * SEC, 0);
    int orders_10s = s_bucket ("ORDERS_10S", 25, 10 * SEC, 25);
    int orders_1d = s_bucket ("ORDERS_1D", 160000, 24 * 3600 * SEC, 0);
    vb_rl_request_t order = {3, {weight, orders_10s, orders_1d}, {1, 1, 1}};
    cr_assert_eq (vb_ratelimit_try (limiter, &order), 0);
    uint32_t used, capacity;
    cr_assert_eq (vb_ratelimit_usage (limiter, orders_10s, &used, &capacity), 0);
    cr_assert_eq (used, 1);
    cr_assert_eq (capacity, 25);
    cr_assert_eq (s_used (weight), 1);
    cr_assert_eq (s_used (orders_1d), 1);
    cr_assert_eq (vb_ratelimit_find (limiter, "ORDERS_1D"), orders_1d);
    cr_assert_str_eq (vb_ratelimit_bucket_name (limiter, orders_10s), "ORDERS_10S");
    cr_assert_str_eq (vb_ratelimit_bucket_scope (limiter, orders_10s), "account");
    cr_assert_eq (vb_ratelimit_bucket_count (limiter), 3);
}

Test (vb_ratelimit, admits_a_steady_rate_exactly_at_the_limit)
{
    //  10 per second, burst 10: T = 100 ms.
    int bucket = s_bucket ("B", 10, SEC, 10);
    vb_rl_request_t one = s_one (bucket, 1);
    for (int index = 0; index < 10; index++)
        cr_assert_eq (vb_ratelimit_try (limiter, &one), 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &one), VB_EAGAIN);
    for (int step = 0; step < 50; step++) {
        //  One ns early is too early; exactly T later one more unit fits.
        cr_assert_eq (vb_ratelimit_request_wait_ns (limiter, &one), 100 * MS);
        cr_assert_eq (vb_clock_advance (clock_, 100 * MS - 1), 0);
        cr_assert_eq (vb_ratelimit_request_wait_ns (limiter, &one), 1);
        cr_assert_eq (vb_ratelimit_try (limiter, &one), VB_EAGAIN);
        cr_assert_eq (vb_clock_advance (clock_, 1), 0);
        cr_assert_eq (vb_ratelimit_try (limiter, &one), 0);
        cr_assert_eq (vb_ratelimit_try (limiter, &one), VB_EAGAIN);
    }
}

Test (vb_ratelimit, has_no_drift_when_the_period_does_not_divide)
{
    //  RAW_REQUESTS 61000 per 5 minutes: T = 300 s / 61000 = 4,918,032.79 ns.
    //  After the burst at t = 0, the k-th further unit conforms at k x T, so
    //  by t = 300 s - 1 ns there are 60999 more, and the 61000th at 300 s.
    int bucket = s_bucket ("RAW_REQUESTS_5M", 61000, 300 * SEC, 0);
    vb_rl_request_t one = s_one (bucket, 1);
    int taken = 0;
    while (vb_ratelimit_try (limiter, &one) == 0)
        taken++;
    cr_assert_eq (taken, 61000);
    cr_assert_eq (vb_clock_advance (clock_, 300 * SEC - 1), 0);
    taken = 0;
    while (vb_ratelimit_try (limiter, &one) == 0)
        taken++;
    cr_assert_eq (taken, 60999);
    cr_assert_eq (vb_clock_advance (clock_, 1), 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &one), 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &one), VB_EAGAIN);
}

Test (vb_ratelimit, admits_a_burst_up_to_capacity)
{
    //  10 per second with burst 5: five at once, then T = 100 ms apart.
    int bucket = s_bucket ("B", 10, SEC, 5);
    vb_rl_request_t one = s_one (bucket, 1);
    for (int index = 0; index < 5; index++)
        cr_assert_eq (vb_ratelimit_try (limiter, &one), 0);
    cr_assert_eq (s_used (bucket), 5);
    cr_assert_eq (vb_ratelimit_try (limiter, &one), VB_EAGAIN);
    cr_assert_eq (vb_ratelimit_request_wait_ns (limiter, &one), 100 * MS);
    //  A weight of 5 needs the whole burst back: 5 x T = 500 ms.
    vb_rl_request_t five = s_one (bucket, 5);
    cr_assert_eq (vb_ratelimit_request_wait_ns (limiter, &five), 500 * MS);
    //  After a long idle the bucket is empty again but holds only the burst.
    cr_assert_eq (vb_clock_advance (clock_, 3600 * SEC), 0);
    cr_assert_eq (s_used (bucket), 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &five), 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &one), VB_EAGAIN);
}

Test (vb_ratelimit, refuses_a_weight_beyond_capacity)
{
    int bucket = s_bucket ("B", 10, SEC, 0);
    vb_rl_request_t heavy = s_one (bucket, 11);
    cr_assert_eq (vb_ratelimit_try (limiter, &heavy), VB_ELIMIT);
    cr_assert_eq (vb_ratelimit_request_wait_ns (limiter, &heavy), VB_ELIMIT);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_ORDER, &heavy, &heavy), VB_ELIMIT);
    cr_assert_eq (vb_ratelimit_depth (limiter, VB_RL_PRIO_ORDER), 0);
    vb_rl_request_t full = s_one (bucket, 10);
    cr_assert_eq (vb_ratelimit_try (limiter, &full), 0);
}

Test (vb_ratelimit, takes_all_buckets_or_none)
{
    int small = s_bucket ("SMALL", 2, SEC, 0);
    int large = s_bucket ("LARGE", 100, SEC, 0);
    vb_rl_request_t both = s_two (small, 1, large, 7);
    cr_assert_eq (vb_ratelimit_try (limiter, &both), 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &both), 0);
    cr_assert_eq (s_used (large), 14);
    cr_assert_eq (vb_ratelimit_try (limiter, &both), VB_EAGAIN);
    //  The refused request took nothing from the bucket that had room.
    cr_assert_eq (s_used (large), 14);
    cr_assert_eq (s_used (small), 2);
}

Test (vb_ratelimit, refuses_bad_requests_and_buckets)
{
    int bucket = s_bucket ("B", 10, SEC, 0);
    vb_rl_request_t empty = {0, {bucket}, {1}};
    vb_rl_request_t unknown = s_one (7, 1);
    vb_rl_request_t zero = s_one (bucket, 0);
    vb_rl_request_t twice = s_two (bucket, 1, bucket, 1);
    vb_rl_request_t many = {VB_RL_REQUEST_BUCKETS_MAX + 1, {bucket}, {1}};
    vb_rl_request_t *bad[] = {&empty, &unknown, &zero, &twice, &many, NULL};
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        cr_assert_eq (vb_ratelimit_try (limiter, bad[index]), VB_EINVAL, "request %zu", index);
        cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_QUERY, bad[index], &index),
                      VB_EINVAL);
    }
    vb_rl_request_t good = s_one (bucket, 1);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_UNSET, &good, &good), VB_EINVAL);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, (vb_rl_priority_t)5, &good, &good), VB_EINVAL);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_QUERY, &good, NULL), VB_EINVAL);

    vb_rl_bucket_def_t defs[] = {
        {"NOLIMIT", 0, SEC, 0, NULL},
        {"NOPERIOD", 1, 0, 0, NULL},
        {"NEGATIVE", 1, -SEC, 0, NULL},
        {"LONG", 1, VB_RL_PERIOD_MAX_NS + 1, 0, NULL},
        {"HUGE", VB_RL_LIMIT_MAX + 1, SEC, 0, NULL},
        {"BIGBURST", 1, SEC, VB_RL_LIMIT_MAX + 1, NULL},
        {"", 1, SEC, 0, NULL},
        {NULL, 1, SEC, 0, NULL},
        {"B", 1, SEC, 0, NULL},  //  Duplicate name
    };
    for (size_t index = 0; index < sizeof (defs) / sizeof (defs[0]); index++)
        cr_assert_eq (vb_ratelimit_add_bucket (limiter, &defs[index]), VB_EINVAL, "def %zu", index);
    cr_assert_eq (vb_ratelimit_add_bucket (limiter, NULL), VB_EINVAL);
    cr_assert_eq (vb_ratelimit_find (limiter, "NOPE"), VB_ENOTFOUND);
    cr_assert_null (vb_ratelimit_bucket_name (limiter, 1));
    cr_assert_eq (vb_ratelimit_usage (limiter, 1, NULL, NULL), VB_EINVAL);
    cr_assert_eq (vb_ratelimit_correct (limiter, -1, 1), VB_EINVAL);
    cr_assert_eq (vb_ratelimit_block_until (limiter, 1, 0), VB_EINVAL);
    cr_assert_eq (vb_ratelimit_block_for (limiter, bucket, -1), VB_EINVAL);
    cr_assert_null (vb_ratelimit_new (clock_, 0));
}

Test (vb_ratelimit, holds_at_most_the_bucket_maximum)
{
    char name[16];
    for (int index = 0; index < VB_RL_BUCKETS_MAX; index++) {
        snprintf (name, sizeof (name), "B%d", index);
        s_bucket (name, 1, SEC, 0);
    }
    vb_rl_bucket_def_t extra = {"EXTRA", 1, SEC, 0, NULL};
    cr_assert_eq (vb_ratelimit_add_bucket (limiter, &extra), VB_ELIMIT);
    //  The last bucket works like any other.
    vb_rl_request_t last = s_one (VB_RL_BUCKETS_MAX - 1, 1);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_ORDER, &last, &last), 0);
    cr_assert_eq (vb_ratelimit_next (limiter), &last);
}

Test (vb_ratelimit, serves_cancel_first_even_when_queued_last)
{
    //  One unit per second, burst 1: every request waits for the previous.
    int bucket = s_bucket ("B", 1, SEC, 0);
    vb_rl_request_t one = s_one (bucket, 1);
    int market_data, query, order, cancel;
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_MARKET_DATA, &one, &market_data), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_QUERY, &one, &query), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_ORDER, &one, &order), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_CANCEL, &one, &cancel), 0);
    cr_assert_eq (vb_ratelimit_wait_ns (limiter), 0);
    void *expected[] = {&cancel, &order, &query, &market_data};
    for (size_t index = 0; index < 4; index++) {
        cr_assert_eq (vb_ratelimit_next (limiter), expected[index], "position %zu", index);
        cr_assert_null (vb_ratelimit_next (limiter));
        if (index < 3) {
            cr_assert_eq (vb_ratelimit_wait_ns (limiter), SEC);
            cr_assert_eq (vb_clock_advance (clock_, SEC), 0);
        }
    }
    cr_assert_eq (vb_ratelimit_wait_ns (limiter), VB_ENOTFOUND);
    for (int lane = VB_RL_PRIO_CANCEL; lane <= VB_RL_PRIO_MARKET_DATA; lane++)
        cr_assert_eq (vb_ratelimit_depth (limiter, (vb_rl_priority_t)lane), 0);
}

Test (vb_ratelimit, keeps_fifo_order_within_a_lane)
{
    int bucket = s_bucket ("B", 3, SEC, 0);
    vb_rl_request_t one = s_one (bucket, 1);
    int orders[6];
    for (int index = 0; index < 6; index++)
        cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_ORDER, &one, &orders[index]), 0);
    cr_assert_eq (vb_ratelimit_depth (limiter, VB_RL_PRIO_ORDER), 6);
    //  Burst 3 goes at once, in order; the rest one per T = 333,333,333.3 ns.
    for (int index = 0; index < 3; index++)
        cr_assert_eq (vb_ratelimit_next (limiter), &orders[index]);
    cr_assert_null (vb_ratelimit_next (limiter));
    for (int index = 3; index < 6; index++) {
        cr_assert_eq (vb_clock_advance (clock_, vb_ratelimit_wait_ns (limiter)), 0);
        cr_assert_eq (vb_ratelimit_next (limiter), &orders[index]);
    }
    cr_assert_eq (vb_ratelimit_depth (limiter, VB_RL_PRIO_ORDER), 0);
}

Test (vb_ratelimit, lower_lane_never_overtakes_a_waiting_higher_lane)
{
    //  10 per second, burst 10. 5 used: an order of weight 10 must wait
    //  5 x T = 500 ms; a query of weight 1 would fit now but shares the
    //  bucket, so it waits behind the order.
    int shared = s_bucket ("SHARED", 10, SEC, 0);
    int other = s_bucket ("OTHER", 10, SEC, 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &(vb_rl_request_t){1, {shared}, {5}}), 0);
    vb_rl_request_t heavy = s_one (shared, 10);
    vb_rl_request_t light = s_one (shared, 1);
    vb_rl_request_t elsewhere = s_one (other, 1);
    int order, query, market_data;
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_ORDER, &heavy, &order), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_QUERY, &light, &query), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_MARKET_DATA, &elsewhere, &market_data),
                  0);
    //  Market data uses another bucket: it may go while the order waits.
    cr_assert_eq (vb_ratelimit_next (limiter), &market_data);
    cr_assert_null (vb_ratelimit_next (limiter));
    //  The wait is the order's 500 ms, not the query's 0 (no spinning).
    cr_assert_eq (vb_ratelimit_wait_ns (limiter), 500 * MS);
    //  An immediate try on the shared bucket defers to the queue as well.
    cr_assert_eq (vb_ratelimit_try (limiter, &light), VB_EAGAIN);
    cr_assert_eq (vb_clock_advance (clock_, 500 * MS), 0);
    cr_assert_eq (vb_ratelimit_next (limiter), &order);
    //  Now the query waits T = 100 ms behind the order's units.
    cr_assert_eq (vb_ratelimit_wait_ns (limiter), 100 * MS);
    cr_assert_eq (vb_clock_advance (clock_, 100 * MS), 0);
    cr_assert_eq (vb_ratelimit_next (limiter), &query);
}

Test (vb_ratelimit, reservation_passes_down_through_a_blocked_lane)
{
    //  The cancel waits on X; the order (X and Y) is behind it; the query
    //  uses only Y, but Y is the order's too, so the query waits as well.
    int x = s_bucket ("X", 1, SEC, 0);
    int y = s_bucket ("Y", 10, SEC, 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &(vb_rl_request_t){1, {x}, {1}}), 0);
    vb_rl_request_t on_x = s_one (x, 1);
    vb_rl_request_t on_both = s_two (x, 1, y, 10);
    vb_rl_request_t on_y = s_one (y, 1);
    int cancel, order, query;
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_CANCEL, &on_x, &cancel), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_ORDER, &on_both, &order), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_QUERY, &on_y, &query), 0);
    cr_assert_null (vb_ratelimit_next (limiter));
    cr_assert_eq (vb_ratelimit_wait_ns (limiter), SEC);
    cr_assert_eq (vb_clock_advance (clock_, SEC), 0);
    cr_assert_eq (vb_ratelimit_next (limiter), &cancel);
    cr_assert_null (vb_ratelimit_next (limiter));
    cr_assert_eq (vb_clock_advance (clock_, SEC), 0);
    cr_assert_eq (vb_ratelimit_next (limiter), &order);
    //  Y is now full (10 of 10); the query needs T = 100 ms.
    cr_assert_eq (vb_ratelimit_wait_ns (limiter), 100 * MS);
}

Test (vb_ratelimit, bounds_each_lane)
{
    int bucket = s_bucket ("B", 1, SEC, 0);
    vb_rl_request_t one = s_one (bucket, 1);
    int users[9];
    for (int index = 0; index < 8; index++)
        cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_QUERY, &one, &users[index]), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_QUERY, &one, &users[8]), VB_EAGAIN);
    cr_assert_eq (vb_ratelimit_depth (limiter, VB_RL_PRIO_QUERY), 8);
    //  Other lanes have their own room.
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_CANCEL, &one, &users[8]), 0);
    cr_assert_eq (vb_ratelimit_depth (limiter, VB_RL_PRIO_CANCEL), 1);
    cr_assert_eq (vb_ratelimit_depth (limiter, VB_RL_PRIO_UNSET), 0);
    //  Draining one makes room again; the ring wraps around in order.
    cr_assert_eq (vb_ratelimit_next (limiter), &users[8]);
    cr_assert_eq (vb_clock_advance (clock_, SEC), 0);
    cr_assert_eq (vb_ratelimit_next (limiter), &users[0]);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_QUERY, &one, &users[8]), 0);
    for (int index = 1; index <= 8; index++) {
        cr_assert_eq (vb_clock_advance (clock_, SEC), 0);
        cr_assert_eq (vb_ratelimit_next (limiter), &users[index]);
    }
}

Test (vb_ratelimit, removes_a_queued_request)
{
    int bucket = s_bucket ("B", 1, SEC, 0);
    vb_rl_request_t one = s_one (bucket, 1);
    int first, second, third;
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_ORDER, &one, &first), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_ORDER, &one, &second), 0);
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_ORDER, &one, &third), 0);
    cr_assert_eq (vb_ratelimit_remove (limiter, &second), 0);
    cr_assert_eq (vb_ratelimit_remove (limiter, &second), VB_ENOTFOUND);
    cr_assert_eq (vb_ratelimit_depth (limiter, VB_RL_PRIO_ORDER), 2);
    cr_assert_eq (vb_ratelimit_next (limiter), &first);
    cr_assert_eq (vb_clock_advance (clock_, SEC), 0);
    cr_assert_eq (vb_ratelimit_next (limiter), &third);
    //  Nothing is queued on the bucket any more, so a try may go.
    cr_assert_eq (vb_clock_advance (clock_, SEC), 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &one), 0);
}

Test (vb_ratelimit, corrects_from_the_venue_usage_header)
{
    //  X-MBX-USED-WEIGHT-1M: 5990 says 10 units of 6000 are left.
    int bucket = s_bucket ("REQUEST_WEIGHT_1M", 6000, 60 * SEC, 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &(vb_rl_request_t){1, {bucket}, {20}}), 0);
    cr_assert_eq (vb_ratelimit_correct (limiter, bucket, 5990), 0);
    cr_assert_eq (s_used (bucket), 5990);
    vb_rl_request_t eleven = s_one (bucket, 11);
    vb_rl_request_t ten = s_one (bucket, 10);
    cr_assert_eq (vb_ratelimit_try (limiter, &eleven), VB_EAGAIN);
    //  One unit drains every T = 10 ms.
    cr_assert_eq (vb_ratelimit_request_wait_ns (limiter, &eleven), 10 * MS);
    cr_assert_eq (vb_ratelimit_try (limiter, &ten), 0);
    cr_assert_eq (s_used (bucket), 6000);
    //  A lower figure (an older response) never loosens the count.
    cr_assert_eq (vb_ratelimit_correct (limiter, bucket, 100), 0);
    cr_assert_eq (s_used (bucket), 6000);
    //  An absurd header value is clamped, not overflowed.
    cr_assert_eq (vb_ratelimit_correct (limiter, bucket, UINT64_MAX), 0);
    cr_assert_eq (s_used (bucket), VB_RL_LIMIT_MAX);
}

Test (vb_ratelimit, honours_retry_after_and_bans)
{
    int weight = s_bucket ("REQUEST_WEIGHT_1M", 6000, 60 * SEC, 0);
    int orders = s_bucket ("ORDERS_10S", 25, 10 * SEC, 0);
    vb_rl_request_t query = s_one (weight, 1);
    vb_rl_request_t order = s_one (orders, 1);
    //  429 with Retry-After: 7 on the weight bucket only.
    cr_assert_eq (vb_ratelimit_block_for (limiter, weight, 7 * SEC), 0);
    cr_assert_eq (vb_ratelimit_try (limiter, &query), VB_EAGAIN);
    cr_assert_eq (vb_ratelimit_request_wait_ns (limiter, &query), 7 * SEC);
    cr_assert_eq (vb_ratelimit_try (limiter, &order), 0);
    //  418: everything stops for two minutes; an earlier end is ignored.
    int64_t ban_end = vb_clock_mono_ns (clock_) + 120 * SEC;
    cr_assert_eq (vb_ratelimit_block_until (limiter, VB_RL_ALL, ban_end), 0);
    cr_assert_eq (vb_ratelimit_block_until (limiter, VB_RL_ALL, ban_end - 60 * SEC), 0);
    int user;
    cr_assert_eq (vb_ratelimit_enqueue (limiter, VB_RL_PRIO_CANCEL, &order, &user), 0);
    cr_assert_eq (vb_ratelimit_wait_ns (limiter), 120 * SEC);
    cr_assert_eq (vb_clock_advance (clock_, 120 * SEC - 1), 0);
    cr_assert_null (vb_ratelimit_next (limiter));
    cr_assert_eq (vb_ratelimit_try (limiter, &query), VB_EAGAIN);
    cr_assert_eq (vb_clock_advance (clock_, 1), 0);
    cr_assert_eq (vb_ratelimit_next (limiter), &user);
    cr_assert_eq (vb_ratelimit_try (limiter, &query), 0);
}

Test (vb_ratelimit, models_the_kraken_decaying_counter)
{
    //  venues.md 3.7: Intermediate threshold 125, decay 2.34 per second, i.e.
    //  234 per 100 s with burst 125. "burst of 50 adds then 10 s ->
    //  50 - 10 x 2.34 = 26.6", reported rounded up as 27.
    int bucket = s_bucket ("TRADING_XBTUSD", 234, 100 * SEC, 125);
    vb_rl_request_t add = s_one (bucket, 1);
    for (int index = 0; index < 50; index++)
        cr_assert_eq (vb_ratelimit_try (limiter, &add), 0);
    cr_assert_eq (vb_clock_advance (clock_, 10 * SEC), 0);
    uint32_t used, capacity;
    cr_assert_eq (vb_ratelimit_usage (limiter, bucket, &used, &capacity), 0);
    cr_assert_eq (used, 27);
    cr_assert_eq (capacity, 125);
    //  The counter may rise to 125: 98 more fit now (26.6 + 98 = 124.6), the
    //  99th would make 125.6.
    int taken = 0;
    while (vb_ratelimit_try (limiter, &add) == 0)
        taken++;
    cr_assert_eq (taken, 98);
}

Test (vb_ratelimit, null_clock_uses_the_system_clock)
{
    vb_ratelimit_t *system = vb_ratelimit_new (NULL, 1);
    vb_rl_bucket_def_t def = {"B", 1, 3600 * SEC, 0, NULL};
    int bucket = vb_ratelimit_add_bucket (system, &def);
    vb_rl_request_t one = s_one (bucket, 1);
    cr_assert_eq (vb_ratelimit_try (system, &one), 0);
    cr_assert_eq (vb_ratelimit_try (system, &one), VB_EAGAIN);
    //  Waiting time is close to one hour (the test takes far less than 60 s).
    int64_t wait = vb_ratelimit_request_wait_ns (system, &one);
    cr_assert (wait > 3540 * SEC && wait <= 3600 * SEC);
    vb_ratelimit_destroy (&system);
    cr_assert_null (system);
}
