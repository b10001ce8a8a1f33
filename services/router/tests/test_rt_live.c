/*  test_rt_live.c — the router's live-order table (rt_live).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rt_live.h"

#define S_MANY 5000  //  Past several doublings of the 256-entry chunks

static void
s_id (char *id, size_t size, int n)
{
    snprintf (id, size, "vb0001%012d", n);
}

Test (rt_live, keeps_orders_by_client_order_id)
{
    rt_live_t *live = rt_live_new ();
    cr_assert_not_null (live);
    rt_live_order_t *order = rt_live_add (live, "vb0001000000000001");
    cr_assert_not_null (order);
    cr_expect_str_eq (order->id, "vb0001000000000001");
    cr_expect_eq (order->strategy, 0, "added zeroed");
    order->strategy = 3;
    cr_expect_eq (rt_live_find (live, "vb0001000000000001"), order);
    cr_expect_null (rt_live_find (live, "vb0001000000000002"));
    cr_expect_eq (rt_live_size (live), 1);
    rt_live_remove (live, order);
    cr_expect_null (rt_live_find (live, "vb0001000000000001"));
    cr_expect_eq (rt_live_size (live), 0);
    rt_live_destroy (&live);
    cr_expect_null (live);
}

Test (rt_live, refuses_empty_too_long_and_duplicate_ids)
{
    rt_live_t *live = rt_live_new ();
    cr_expect_null (rt_live_add (live, ""));
    cr_expect_null (rt_live_add (live, NULL));
    cr_expect_null (rt_live_add (live, "vb0001000000000001x"), "19 characters: one too many");
    cr_assert_not_null (rt_live_add (live, "vb0001000000000001"));
    cr_expect_null (rt_live_add (live, "vb0001000000000001"));
    cr_expect_eq (rt_live_size (live), 1);
    cr_expect_null (rt_live_find (live, NULL));
    rt_live_destroy (&live);
}

Test (rt_live, grows_without_moving_entries)
{
    rt_live_t *live = rt_live_new ();
    static rt_live_order_t *seen[S_MANY];
    char id[VB_JOURNAL_ID_SIZE];
    for (int n = 0; n < S_MANY; n++) {
        s_id (id, sizeof id, n);
        seen[n] = rt_live_add (live, id);
        cr_assert_not_null (seen[n], "add %d", n);
        seen[n]->account = n;
    }
    cr_expect_eq (rt_live_size (live), S_MANY);
    for (int n = 0; n < S_MANY; n++) {
        s_id (id, sizeof id, n);
        cr_assert_eq (rt_live_find (live, id), seen[n], "entry %d moved or was lost", n);
        cr_assert_eq (seen[n]->account, n);
    }
    rt_live_destroy (&live);
}

Test (rt_live, iterates_while_entries_are_removed)
{
    rt_live_t *live = rt_live_new ();
    char id[VB_JOURNAL_ID_SIZE];
    for (int n = 0; n < 600; n++) {
        s_id (id, sizeof id, n);
        rt_live_add (live, id)->account = n;
    }
    //  Remove every even entry as it is visited: the rest are still all
    //  visited once.
    int visited = 0;
    size_t cursor = 0;
    for (rt_live_order_t *order; (order = rt_live_next (live, &cursor));) {
        visited++;
        if (order->account % 2 == 0)
            rt_live_remove (live, order);
    }
    cr_expect_eq (visited, 600);
    cr_expect_eq (rt_live_size (live), 300);
    int odd = 0;
    cursor = 0;
    for (rt_live_order_t *order; (order = rt_live_next (live, &cursor));) {
        cr_expect_eq (order->account % 2, 1);
        odd++;
    }
    cr_expect_eq (odd, 300);
    rt_live_destroy (&live);
}

Test (rt_live, stays_consistent_over_many_adds_and_removes)
{
    //  A reference of which ids are in: the table must agree after every
    //  step, while tombstones pile up and the index is rebuilt.
    rt_live_t *live = rt_live_new ();
    static bool in[S_MANY];
    memset (in, 0, sizeof in);
    size_t count = 0;
    char id[VB_JOURNAL_ID_SIZE];
    uint32_t state = 12345;
    for (int step = 0; step < 60000; step++) {
        state = state * 1103515245u + 12345u;
        int n = (int)((state >> 8) % 700);  //  At most 700 live at once
        s_id (id, sizeof id, n);
        if (in[n]) {
            rt_live_order_t *order = rt_live_find (live, id);
            cr_assert_not_null (order, "step %d: %s lost", step, id);
            cr_assert_eq (order->account, n);
            rt_live_remove (live, order);
            in[n] = false;
            count--;
        } else {
            cr_assert_null (rt_live_find (live, id), "step %d: %s found after removal", step, id);
            rt_live_order_t *order = rt_live_add (live, id);
            cr_assert_not_null (order);
            order->account = n;
            in[n] = true;
            count++;
        }
        cr_assert_eq (rt_live_size (live), count);
    }
    size_t cursor = 0, listed = 0;
    for (rt_live_order_t *order; (order = rt_live_next (live, &cursor));) {
        cr_assert (in[order->account]);
        listed++;
    }
    cr_expect_eq (listed, count);
    rt_live_destroy (&live);
}
