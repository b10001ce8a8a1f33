/*  ctl_feed.c — vb_sub events into the ctl model.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <errno.h>
#include <string.h>

#include "ctl_feed.h"
#include "vb_clock.h"
#include "vb_error.h"

//  Prefixes subscribed: every topic ctl shows.
static const char *const s_prefixes[] = {"md.", "ex.", "sys."};

//  Poll items: the subscriber's sockets plus one descriptor.
#define S_POLL_MAX (VB_SUB_GATEWAYS_MAX + 2)

struct _ctl_feed_t {
    vb_sub_t *sub;       //  Bus subscriber with book recovery
    ctl_model_t *model;  //  Where events go, borrowed
};

//  --------------------------------------------------------------------------
//  Create a feed.

ctl_feed_t *
ctl_feed_new (const char *endpoint, ctl_model_t *model)
{
    assert (model);
    ctl_feed_t *self = (ctl_feed_t *)zmalloc (sizeof (ctl_feed_t));
    self->model = model;
    self->sub = vb_sub_new (endpoint);
    for (size_t i = 0; self->sub && i < sizeof (s_prefixes) / sizeof (s_prefixes[0]); i++)
        if (vb_sub_subscribe (self->sub, s_prefixes[i]) != 0)
            vb_sub_destroy (&self->sub);
    if (!self->sub)
        ctl_feed_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the feed.

void
ctl_feed_destroy (ctl_feed_t **self_p)
{
    assert (self_p);
    ctl_feed_t *self = *self_p;
    if (!self)
        return;
    vb_sub_destroy (&self->sub);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Add a gateway from "VENUE=ENDPOINT".

int
ctl_feed_add_snapshot (ctl_feed_t *self, const char *spec)
{
    assert (self);
    const char *equals = spec ? strchr (spec, '=') : NULL;
    if (!equals || equals == spec || equals[1] == '\0' ||
        (size_t)(equals - spec) > VB_TOPIC_COMPONENT_MAX)
        return VB_EINVAL;
    char venue[VB_TOPIC_COMPONENT_MAX + 1];
    memcpy (venue, spec, (size_t)(equals - spec));
    venue[equals - spec] = '\0';
    return vb_sub_add_gateway (self->sub, venue, equals + 1);
}

//  --------------------------------------------------------------------------
//  Wait for traffic or fd, then drain the subscriber into the model.

int
ctl_feed_pump (ctl_feed_t *self, int timeout_ms, int fd)
{
    assert (self);
    zsock_t *sockets[S_POLL_MAX];
    size_t count = vb_sub_sockets (self->sub, sockets, S_POLL_MAX - 1);
    if (count > S_POLL_MAX - 1)
        count = S_POLL_MAX - 1;
    zmq_pollitem_t items[S_POLL_MAX];
    memset (items, 0, sizeof (items));
    for (size_t i = 0; i < count; i++) {
        items[i].socket = zsock_resolve (sockets[i]);
        items[i].events = ZMQ_POLLIN;
    }
    size_t nitems = count;
    if (fd >= 0) {
        items[nitems].fd = fd;
        items[nitems].events = ZMQ_POLLIN;
        nitems++;
    }
    //  The subscriber's own deadlines (snapshot timeouts, retries) bound the
    //  wait, so recovery runs even on a quiet bus.
    int deadline = vb_sub_timeout_ms (self->sub);
    if (deadline >= 0 && (timeout_ms < 0 || deadline < timeout_ms))
        timeout_ms = deadline;
    int rc = zmq_poll (items, (int)nitems, timeout_ms);
    if (rc < 0 && zmq_errno () != EINTR)
        return VB_EIO;
    vb_sub_event_t event;
    for (size_t drained = 0; drained < CTL_FEED_DRAIN_MAX; drained++) {
        int got = vb_sub_recv (self->sub, 0, &event);
        if (got == VB_EAGAIN)
            break;
        if (got != 0)
            return VB_EIO;
        //  Bad events are counted by the model; nothing else to do here.
        ctl_model_apply (self->model, &event, vb_clock_now_real_ns ());
    }
    return rc > 0 && fd >= 0 && (items[nitems - 1].revents & ZMQ_POLLIN) ? 1 : 0;
}
