/*  test_vb_backoff.c — exponential backoff with full jitter.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include "vb_backoff.h"

Test (vb_backoff, draws_grow_then_reset)
{
    //  Usage: one policy per connection; draw before each reconnect, reset
    //  once the connection is healthy again.
    vb_backoff_t *backoff = vb_backoff_new (100, 30000, 42);
    cr_assert_not_null (backoff);
    //  Ceilings by hand: 100 * 2^n = 100, 200, 400, ..., 25600, then the cap.
    static const uint32_t ceilings[] = {100,  200,   400,   800,   1600, 3200,
                                        6400, 12800, 25600, 30000, 30000};
    for (size_t attempt = 0; attempt < sizeof (ceilings) / sizeof (ceilings[0]); attempt++) {
        cr_assert_eq (vb_backoff_attempt (backoff), attempt);
        cr_assert_eq (vb_backoff_ceiling_ms (backoff), ceilings[attempt]);
        cr_assert_leq (vb_backoff_next_ms (backoff), ceilings[attempt]);
    }
    vb_backoff_reset (backoff);
    cr_assert_eq (vb_backoff_attempt (backoff), 0);
    cr_assert_eq (vb_backoff_ceiling_ms (backoff), 100);
    cr_assert_leq (vb_backoff_next_ms (backoff), 100);
    vb_backoff_destroy (&backoff);
    cr_assert_null (backoff);
    vb_backoff_destroy (&backoff);
}

Test (vb_backoff, stays_within_bounds_over_many_draws)
{
    vb_backoff_t *backoff = vb_backoff_new (250, 8000, 7);
    for (int round = 0; round < 200; round++) {
        for (int attempt = 0; attempt < 10; attempt++) {
            uint32_t ceiling = vb_backoff_ceiling_ms (backoff);
            cr_assert_leq (ceiling, 8000);
            cr_assert_leq (vb_backoff_next_ms (backoff), ceiling);
        }
        vb_backoff_reset (backoff);
    }
    vb_backoff_destroy (&backoff);
}

Test (vb_backoff, is_deterministic_per_seed)
{
    vb_backoff_t *first = vb_backoff_new (100, 60000, 12345);
    vb_backoff_t *second = vb_backoff_new (100, 60000, 12345);
    vb_backoff_t *other = vb_backoff_new (100, 60000, 54321);
    int differences = 0;
    for (int draw = 0; draw < 64; draw++) {
        uint32_t value = vb_backoff_next_ms (first);
        cr_assert_eq (value, vb_backoff_next_ms (second));
        if (value != vb_backoff_next_ms (other))
            differences++;
        if (draw % 16 == 15) {
            vb_backoff_reset (first);
            vb_backoff_reset (second);
            vb_backoff_reset (other);
        }
    }
    //  Another seed gives another sequence (ties are possible, not 64 of them).
    cr_assert_gt (differences, 32);
    vb_backoff_destroy (&first);
    vb_backoff_destroy (&second);
    vb_backoff_destroy (&other);
}

Test (vb_backoff, jitter_covers_the_whole_range)
{
    //  At the cap the draw is uniform on [0, 1000]; over 4000 draws each
    //  quarter should get about 1000, so each gets at least 800 (a bound far
    //  beyond 5 standard deviations of ~27), and both ends are reachable.
    vb_backoff_t *backoff = vb_backoff_new (1000, 1000, 99);
    int quarters[4] = {0, 0, 0, 0};
    bool saw_low = false, saw_high = false;
    for (int draw = 0; draw < 4000; draw++) {
        uint32_t value = vb_backoff_next_ms (backoff);
        cr_assert_leq (value, 1000);
        quarters[value >= 1000 ? 3 : value / 250]++;
        saw_low |= value <= 5;
        saw_high |= value >= 995;
    }
    for (int quarter = 0; quarter < 4; quarter++)
        cr_assert_gt (quarters[quarter], 800, "quarter %d got %d", quarter, quarters[quarter]);
    cr_assert (saw_low && saw_high);
    vb_backoff_destroy (&backoff);
}

Test (vb_backoff, survives_huge_attempt_counts)
{
    vb_backoff_t *backoff = vb_backoff_new (UINT32_MAX / 2, UINT32_MAX, 1);
    for (int draw = 0; draw < 100; draw++)
        vb_backoff_next_ms (backoff);
    cr_assert_eq (vb_backoff_ceiling_ms (backoff), UINT32_MAX);
    vb_backoff_destroy (&backoff);

    //  Attempt 31 and 32 of a base of 3: 3 << 31 does not fit 32 bits.
    backoff = vb_backoff_new (3, 4000000000u, 1);
    for (int draw = 0; draw < 40; draw++) {
        uint32_t ceiling = vb_backoff_ceiling_ms (backoff);
        cr_assert_geq (ceiling, draw < 31 ? (3u << (draw < 30 ? draw : 30)) : 4000000000u);
        cr_assert_leq (ceiling, 4000000000u);
        vb_backoff_next_ms (backoff);
    }
    cr_assert_eq (vb_backoff_ceiling_ms (backoff), 4000000000u);
    vb_backoff_destroy (&backoff);
}

Test (vb_backoff, one_ms_base_may_return_zero_or_one)
{
    vb_backoff_t *backoff = vb_backoff_new (1, 1, 3);
    int zeros = 0, ones = 0;
    for (int draw = 0; draw < 200; draw++) {
        uint32_t value = vb_backoff_next_ms (backoff);
        cr_assert_leq (value, 1);
        value ? ones++ : zeros++;
    }
    cr_assert (zeros > 50 && ones > 50);
    vb_backoff_destroy (&backoff);
}

Test (vb_backoff, refuses_bad_arguments)
{
    cr_assert_null (vb_backoff_new (0, 1000, 1));
    cr_assert_null (vb_backoff_new (500, 499, 1));
}
