/*  vb_backoff.c — exponential backoff with full jitter, seedable.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include "vb_backoff.h"

struct _vb_backoff_t {
    uint32_t base_ms;  //  Ceiling of the first draw
    uint32_t cap_ms;   //  Ceiling of every draw
    uint32_t attempt;  //  Draws since creation or reset, saturating
    uint64_t state;    //  splitmix64 state
};

//  splitmix64 constants (Steele, Lea, Flood, "Fast splittable pseudorandom
//  number generators", 2014; Vigna's reference implementation).
#define S_SPLITMIX_GAMMA  UINT64_C (0x9E3779B97F4A7C15)
#define S_SPLITMIX_MIX1   UINT64_C (0xBF58476D1CE4E5B9)
#define S_SPLITMIX_MIX2   UINT64_C (0x94D049BB133111EB)
#define S_SPLITMIX_SHIFT1 30
#define S_SPLITMIX_SHIFT2 27
#define S_SPLITMIX_SHIFT3 31
//  Doubling a uint32 ceiling more than this many times always passes any cap.
#define S_MAX_DOUBLINGS 32

//  --------------------------------------------------------------------------
//  Next 64 random bits.

static uint64_t
s_next_u64 (vb_backoff_t *self)
{
    uint64_t value = (self->state += S_SPLITMIX_GAMMA);
    value = (value ^ (value >> S_SPLITMIX_SHIFT1)) * S_SPLITMIX_MIX1;
    value = (value ^ (value >> S_SPLITMIX_SHIFT2)) * S_SPLITMIX_MIX2;
    return value ^ (value >> S_SPLITMIX_SHIFT3);
}

//  --------------------------------------------------------------------------
//  Create a policy.

vb_backoff_t *
vb_backoff_new (uint32_t base_ms, uint32_t cap_ms, uint64_t seed)
{
    if (base_ms == 0 || cap_ms < base_ms)
        return NULL;
    vb_backoff_t *self = (vb_backoff_t *)zmalloc (sizeof (vb_backoff_t));
    self->base_ms = base_ms;
    self->cap_ms = cap_ms;
    self->state = seed;
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy a policy.

void
vb_backoff_destroy (vb_backoff_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  min (cap, base * 2^attempt) without overflow: the shift is done in 64 bits
//  and only while the result cannot pass the cap.

uint32_t
vb_backoff_ceiling_ms (vb_backoff_t *self)
{
    assert (self);
    if (self->attempt >= S_MAX_DOUBLINGS)
        return self->cap_ms;
    uint64_t ceiling = (uint64_t)self->base_ms << self->attempt;
    return ceiling < self->cap_ms ? (uint32_t)ceiling : self->cap_ms;
}

//  --------------------------------------------------------------------------
//  Draw uniformly from [0, ceiling]. range = ceiling + 1 <= 2^32; values of
//  the generator below 2^64 mod range are redrawn so that every result is
//  equally likely.

uint32_t
vb_backoff_next_ms (vb_backoff_t *self)
{
    assert (self);
    uint64_t range = (uint64_t)vb_backoff_ceiling_ms (self) + 1;
    uint64_t threshold = (0 - range) % range;
    uint64_t value;
    do
        value = s_next_u64 (self);
    while (value < threshold);
    if (self->attempt < UINT32_MAX)
        self->attempt++;
    return (uint32_t)(value % range);
}

//  --------------------------------------------------------------------------
//  Attempts so far.

uint32_t
vb_backoff_attempt (vb_backoff_t *self)
{
    assert (self);
    return self->attempt;
}

//  --------------------------------------------------------------------------
//  Back to attempt 0.

void
vb_backoff_reset (vb_backoff_t *self)
{
    assert (self);
    self->attempt = 0;
}
