/*  test_gw_grant.c — REST grants from the local budget.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <inttypes.h>

#include "gw_grant.h"
#include "vb_error.h"

Test (gw_grant, grants_within_the_burst_then_makes_the_rest_wait)
{
    //  10 weight per minute, 5 at once: weights 2 and 3 go now, 1 more waits
    //  for 6 s (one unit per 60 s / 10).
    gw_grant_t *grant = gw_grant_new (10, 60000, 5, 16);
    cr_assert_not_null (grant);
    int a = 1, b = 2, c = 3;
    cr_assert_eq (gw_grant_request (grant, 2, &a), 0);
    cr_assert_eq (gw_grant_request (grant, 3, &b), 0);
    cr_assert_eq (gw_grant_request (grant, 1, &c), 0);
    cr_assert_eq (gw_grant_next (grant), &a);
    cr_assert_eq (gw_grant_next (grant), &b);
    cr_assert_null (gw_grant_next (grant));
    int64_t wait_ms = gw_grant_wait_ms (grant);
    cr_assert (wait_ms > 0 && wait_ms <= 6000, "wait %" PRId64 " ms", wait_ms);
    cr_assert_eq (gw_grant_drop (grant), &c);
    cr_assert_eq (gw_grant_wait_ms (grant), -1);
    gw_grant_destroy (&grant);
    gw_grant_destroy (&grant);
}

Test (gw_grant, refuses_weights_it_can_never_grant_and_bad_budgets)
{
    gw_grant_t *grant = gw_grant_new (10, 60000, 5, 1);
    int a = 1, b = 2;
    cr_assert_eq (gw_grant_request (grant, 6, &a), VB_ELIMIT);
    cr_assert_eq (gw_grant_request (grant, 0, &a), VB_EINVAL);
    cr_assert_eq (gw_grant_request (grant, 1, NULL), VB_EINVAL);
    cr_assert_eq (gw_grant_request (grant, 1, &a), 0);
    cr_assert_eq (gw_grant_request (grant, 1, &b), VB_EAGAIN, "queue of one is full");
    gw_grant_destroy (&grant);
    cr_assert_null (gw_grant_new (0, 60000, 5, 1));
    cr_assert_null (gw_grant_new (10, 0, 5, 1));
    cr_assert_null (gw_grant_new (10, 60000, 0, 1));
    cr_assert_null (gw_grant_new (10, 60000, 5, 0));
}

Test (gw_grant, holds_every_grant_back_after_a_rate_limit_answer)
{
    gw_grant_t *grant = gw_grant_new (100, 1000, 100, 4);
    int a = 1;
    cr_assert_eq (gw_grant_block (grant, 30000), 0);
    cr_assert_eq (gw_grant_request (grant, 1, &a), 0);
    cr_assert_null (gw_grant_next (grant));
    cr_assert_gt (gw_grant_wait_ms (grant), 29000);
    cr_assert_eq (gw_grant_block (grant, -1), VB_EINVAL);
    gw_grant_drop (grant);
    gw_grant_destroy (&grant);
}
