/*  ctl_feed.h — venuebus-ctl's bus input: a vb_sub subscriber (books kept
    in sync through gateway snapshots, ask-on-gap) whose events are folded
    into a ctl_model.

    The feed subscribes to every md.*, ex.* and sys.* topic. Each
    --snapshot VENUE=EP adds that gateway's snapshot endpoint, so books
    recover after a late join or a gap; without one a book recovers only
    from a snapshot the gateway publishes on the bus.
    Single-threaded: the caller drives it with ctl_feed_pump.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef CTL_FEED_H_INCLUDED
#define CTL_FEED_H_INCLUDED

#include <stdbool.h>
#include "ctl_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _ctl_feed_t ctl_feed_t;

//  Most events drained in one ctl_feed_pump, so a flood cannot starve the
//  screen or the keyboard.
#define CTL_FEED_DRAIN_MAX 10000

//  Create a feed on the bus backend (XPUB) endpoint, subscribed to md., ex.
//  and sys., feeding model (borrowed; must outlive the feed). Returns NULL
//  when the endpoint cannot be used.
ctl_feed_t *ctl_feed_new (const char *endpoint, ctl_model_t *model);

//  Destroy the feed and set *self_p to NULL. Safe to call twice.
void ctl_feed_destroy (ctl_feed_t **self_p);

//  Add a gateway's snapshot endpoint from "VENUE=ENDPOINT". Returns 0, or
//  VB_EINVAL for a malformed spec, or vb_sub_add_gateway's error.
int ctl_feed_add_snapshot (ctl_feed_t *self, const char *spec);

//  Wait at most timeout_ms (0: do not wait) for bus traffic, or for fd
//  (e.g. the terminal; -1 for none) to become readable, then fold every
//  pending event (at most CTL_FEED_DRAIN_MAX) into the model. Returns 1
//  when fd is readable, 0 otherwise, or VB_EIO when polling failed. An
//  interrupted wait (a signal) returns 0 early.
int ctl_feed_pump (ctl_feed_t *self, int timeout_ms, int fd);

#ifdef __cplusplus
}
#endif
#endif
