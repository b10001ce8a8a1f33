/*  test_vb_clock.c — system and manual clocks.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <time.h>
#include "vb_clock.h"
#include "vb_error.h"

Test (vb_clock, manual_clock_moves_only_when_told)
{
    //  Usage: inject a manual clock where code would read the system clock.
    vb_clock_t *clock = vb_clock_new_manual (1000, 1700000000 * VB_NS_PER_SEC);
    cr_assert_not_null (clock);
    cr_assert (vb_clock_is_manual (clock));
    cr_assert_eq (vb_clock_mono_ns (clock), 1000);
    cr_assert_eq (vb_clock_real_ns (clock), 1700000000 * VB_NS_PER_SEC);
    cr_assert_eq (vb_clock_advance (clock, 250 * VB_NS_PER_MS), 0);
    cr_assert_eq (vb_clock_mono_ns (clock), 1000 + 250000000);
    cr_assert_eq (vb_clock_real_ns (clock), 1700000000 * VB_NS_PER_SEC + 250000000);
    vb_clock_destroy (&clock);
    cr_assert_null (clock);
    vb_clock_destroy (&clock);
}

Test (vb_clock, system_clock_matches_time_of_day)
{
    vb_clock_t *clock = vb_clock_new_system ();
    cr_assert_not_null (clock);
    cr_assert_not (vb_clock_is_manual (clock));
    //  time() is an independent reading of the same wall clock.
    int64_t before_sec = (int64_t)time (NULL);
    int64_t real_ns = vb_clock_real_ns (clock);
    int64_t after_sec = (int64_t)time (NULL);
    cr_assert_geq (real_ns / VB_NS_PER_SEC, before_sec);
    cr_assert_leq (real_ns / VB_NS_PER_SEC, after_sec);
    real_ns = vb_clock_now_real_ns ();
    cr_assert_geq (real_ns / VB_NS_PER_SEC, before_sec);
    vb_clock_destroy (&clock);
}

Test (vb_clock, system_monotonic_never_goes_back)
{
    vb_clock_t *clock = vb_clock_new_system ();
    int64_t previous = vb_clock_mono_ns (clock);
    cr_assert_gt (previous, 0);
    for (int i = 0; i < 10000; i++) {
        int64_t now = (i % 2) ? vb_clock_mono_ns (clock) : vb_clock_now_mono_ns ();
        cr_assert_geq (now, previous);
        previous = now;
    }
    vb_clock_destroy (&clock);
}

Test (vb_clock, null_clock_reads_the_system)
{
    int64_t before_sec = (int64_t)time (NULL);
    cr_assert_geq (vb_clock_real_ns (NULL) / VB_NS_PER_SEC, before_sec);
    int64_t mono = vb_clock_mono_ns (NULL);
    cr_assert_gt (mono, 0);
    cr_assert_geq (vb_clock_mono_ns (NULL), mono);
    cr_assert_not (vb_clock_is_manual (NULL));
}

Test (vb_clock, system_clock_cannot_be_moved)
{
    vb_clock_t *clock = vb_clock_new_system ();
    cr_assert_eq (vb_clock_advance (clock, 1), VB_ESTATE);
    cr_assert_eq (vb_clock_set (clock, 1, 1), VB_ESTATE);
    vb_clock_destroy (&clock);
}

Test (vb_clock, manual_monotonic_cannot_go_back)
{
    vb_clock_t *clock = vb_clock_new_manual (5000, 0);
    cr_assert_eq (vb_clock_advance (clock, -1), VB_EINVAL);
    cr_assert_eq (vb_clock_set (clock, 4999, 7), VB_EINVAL);
    cr_assert_eq (vb_clock_mono_ns (clock), 5000);
    cr_assert_eq (vb_clock_real_ns (clock), 0);
    //  Realtime may step back, as a wall clock does.
    cr_assert_eq (vb_clock_set (clock, 6000, -42), 0);
    cr_assert_eq (vb_clock_mono_ns (clock), 6000);
    cr_assert_eq (vb_clock_real_ns (clock), -42);
    cr_assert_eq (vb_clock_advance (clock, 0), 0);
    cr_assert_eq (vb_clock_mono_ns (clock), 6000);
    vb_clock_destroy (&clock);
}

Test (vb_clock, manual_advance_refuses_overflow)
{
    vb_clock_t *clock = vb_clock_new_manual (INT64_MAX - 10, 0);
    cr_assert_eq (vb_clock_advance (clock, 11), VB_EOVERFLOW);
    cr_assert_eq (vb_clock_mono_ns (clock), INT64_MAX - 10);
    cr_assert_eq (vb_clock_real_ns (clock), 0);
    cr_assert_eq (vb_clock_advance (clock, 10), 0);
    cr_assert_eq (vb_clock_mono_ns (clock), INT64_MAX);
    vb_clock_destroy (&clock);

    cr_assert_null (vb_clock_new_manual (-1, 0));
}
