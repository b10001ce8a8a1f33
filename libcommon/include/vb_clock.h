/*  vb_clock.h — monotonic and realtime nanoseconds, injectable for tests.

    Code that needs the time takes a vb_clock_t and asks it. In production that
    is the system clock (or NULL, which means the system clock); in tests it is
    a manual clock that only moves when the test moves it, so time-dependent
    behaviour (rate limits, timeouts, backoff) is tested without sleeping.
    Monotonic time is for durations and deadlines; realtime (ns since the Unix
    epoch) is for venue timestamps and wall-clock aligned windows.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_CLOCK_H_INCLUDED
#define VB_CLOCK_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VB_NS_PER_US  INT64_C (1000)
#define VB_NS_PER_MS  INT64_C (1000000)
#define VB_NS_PER_SEC INT64_C (1000000000)

typedef struct _vb_clock_t vb_clock_t;

//  Create a clock that reads the operating system (CLOCK_MONOTONIC and
//  CLOCK_REALTIME). It holds no state, so one instance may be read from any
//  thread. Returns a new clock; the caller destroys it.
vb_clock_t *vb_clock_new_system (void);

//  Create a manual clock for tests that starts at the given monotonic and
//  realtime values and moves only through vb_clock_advance and vb_clock_set.
//  Returns NULL if start_mono_ns is negative. A manual clock belongs to one
//  thread, like every other object.
vb_clock_t *vb_clock_new_manual (int64_t start_mono_ns, int64_t start_real_ns);

//  Destroy the clock and set *self_p to NULL. Safe to call twice.
void vb_clock_destroy (vb_clock_t **self_p);

//  True when the clock is a manual (test) clock.
bool vb_clock_is_manual (vb_clock_t *self);

//  Monotonic time in ns (arbitrary origin, never goes back). self may be NULL,
//  which reads the system clock.
int64_t vb_clock_mono_ns (vb_clock_t *self);

//  Realtime in ns since the Unix epoch (may step). self may be NULL, which
//  reads the system clock.
int64_t vb_clock_real_ns (vb_clock_t *self);

//  Move a manual clock forward by ns on both timelines. Returns 0, VB_EINVAL
//  if ns is negative, VB_EOVERFLOW if either value would overflow (the clock
//  is then unchanged), or VB_ESTATE for a system clock.
int vb_clock_advance (vb_clock_t *self, int64_t ns);

//  Set a manual clock. The monotonic value may not go back (VB_EINVAL, clock
//  unchanged); the realtime value may jump either way, as a wall clock does
//  when it is stepped. Returns 0, VB_EINVAL or VB_ESTATE for a system clock.
int vb_clock_set (vb_clock_t *self, int64_t mono_ns, int64_t real_ns);

//  The system's monotonic and realtime clocks in ns, without an object.
int64_t vb_clock_now_mono_ns (void);
int64_t vb_clock_now_real_ns (void);

#ifdef __cplusplus
}
#endif
#endif
