/*  vb_clock.c — monotonic and realtime nanoseconds, injectable for tests.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <time.h>
#include "vb_clock.h"
#include "vb_error.h"

struct _vb_clock_t {
    bool manual;      //  True for a test clock that moves only when told
    int64_t mono_ns;  //  Manual clock: current monotonic time
    int64_t real_ns;  //  Manual clock: current realtime (ns since the epoch)
};

//  --------------------------------------------------------------------------
//  Read one POSIX clock as ns. clock_gettime cannot fail for these two ids
//  on Linux; if it ever did, 0 is returned rather than garbage.

static int64_t
s_read (clockid_t id)
{
    struct timespec now;
    if (clock_gettime (id, &now) != 0)
        return 0;
    return (int64_t)now.tv_sec * VB_NS_PER_SEC + (int64_t)now.tv_nsec;
}

//  --------------------------------------------------------------------------
//  Create a clock backed by the operating system.

vb_clock_t *
vb_clock_new_system (void)
{
    vb_clock_t *self = (vb_clock_t *)zmalloc (sizeof (vb_clock_t));
    self->manual = false;
    return self;
}

//  --------------------------------------------------------------------------
//  Create a manual clock for tests.

vb_clock_t *
vb_clock_new_manual (int64_t start_mono_ns, int64_t start_real_ns)
{
    if (start_mono_ns < 0)
        return NULL;
    vb_clock_t *self = (vb_clock_t *)zmalloc (sizeof (vb_clock_t));
    self->manual = true;
    self->mono_ns = start_mono_ns;
    self->real_ns = start_real_ns;
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the clock.

void
vb_clock_destroy (vb_clock_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  True for a manual clock.

bool
vb_clock_is_manual (vb_clock_t *self)
{
    return self && self->manual;
}

//  --------------------------------------------------------------------------
//  Monotonic ns; NULL means the system clock.

int64_t
vb_clock_mono_ns (vb_clock_t *self)
{
    if (self && self->manual)
        return self->mono_ns;
    return s_read (CLOCK_MONOTONIC);
}

//  --------------------------------------------------------------------------
//  Realtime ns since the epoch; NULL means the system clock.

int64_t
vb_clock_real_ns (vb_clock_t *self)
{
    if (self && self->manual)
        return self->real_ns;
    return s_read (CLOCK_REALTIME);
}

//  --------------------------------------------------------------------------
//  Move a manual clock forward on both timelines, all or nothing.

int
vb_clock_advance (vb_clock_t *self, int64_t ns)
{
    assert (self);
    if (!self->manual)
        return VB_ESTATE;
    if (ns < 0)
        return VB_EINVAL;
    if (self->mono_ns > INT64_MAX - ns || self->real_ns > INT64_MAX - ns)
        return VB_EOVERFLOW;
    self->mono_ns += ns;
    self->real_ns += ns;
    return 0;
}

//  --------------------------------------------------------------------------
//  Set a manual clock; monotonic time may not go back.

int
vb_clock_set (vb_clock_t *self, int64_t mono_ns, int64_t real_ns)
{
    assert (self);
    if (!self->manual)
        return VB_ESTATE;
    if (mono_ns < self->mono_ns)
        return VB_EINVAL;
    self->mono_ns = mono_ns;
    self->real_ns = real_ns;
    return 0;
}

//  --------------------------------------------------------------------------
//  The system clocks without an object.

int64_t
vb_clock_now_mono_ns (void)
{
    return s_read (CLOCK_MONOTONIC);
}

int64_t
vb_clock_now_real_ns (void)
{
    return s_read (CLOCK_REALTIME);
}
