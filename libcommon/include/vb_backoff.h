/*  vb_backoff.h — exponential backoff with full jitter, seedable.

    Each call to vb_backoff_next_ms draws a delay uniformly from
    [0, min (cap_ms, base_ms * 2^attempt)] and then counts the attempt
    (attempt starts at 0), the "full jitter" scheme that spreads reconnecting
    clients apart. The generator is the object's own (splitmix64), so a seed
    reproduces a sequence exactly in tests and two objects never share state.
    Seed from something that differs per process in production.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_BACKOFF_H_INCLUDED
#define VB_BACKOFF_H_INCLUDED

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_backoff_t vb_backoff_t;

//  Create a backoff policy. base_ms is the ceiling for the first draw and must
//  be at least 1; cap_ms bounds every draw and must be at least base_ms.
//  Returns NULL for bad arguments.
vb_backoff_t *vb_backoff_new (uint32_t base_ms, uint32_t cap_ms, uint64_t seed);

//  Destroy the policy and set *self_p to NULL. Safe to call twice.
void vb_backoff_destroy (vb_backoff_t **self_p);

//  Draw the next delay in ms, uniform over [0, vb_backoff_ceiling_ms (self)]
//  (both ends included, no modulo bias), then count one more attempt. The
//  ceiling saturates at cap_ms, so any number of attempts is safe.
uint32_t vb_backoff_next_ms (vb_backoff_t *self);

//  The ceiling the next draw will use: min (cap_ms, base_ms * 2^attempt).
uint32_t vb_backoff_ceiling_ms (vb_backoff_t *self);

//  Attempts drawn since creation or the last reset (saturates at UINT32_MAX).
uint32_t vb_backoff_attempt (vb_backoff_t *self);

//  Start again from attempt 0, after a connection has proved healthy. The
//  generator state carries on (it is not reseeded).
void vb_backoff_reset (vb_backoff_t *self);

#ifdef __cplusplus
}
#endif
#endif
