/*  gw_snapshot.c — snapshot endpoint actor: ROUTER <-> loop thread relay.

    Pipe messages:
        actor -> loop thread:  "REQUEST" [routing frames...] [request]
        loop thread -> actor:  "REPLY" [routing frames...] [reply]
    SPDX-License-Identifier: MPL-2.0
*/
#include <signal.h>

#include "gw_snapshot.h"
#include "vb_log.h"

//  Largest request frame relayed ("SNAPSHOT " + a topic, with room).
#define GW_SNAPSHOT_REQUEST_MAX 512
//  Most routing frames relayed (REQ through a few proxies).
#define GW_SNAPSHOT_ROUTING_MAX 8
//  Replies queued to slow peers before they are dropped.
#define GW_SNAPSHOT_HWM 1000

struct _gw_snapshot_t {
    zactor_t *actor;  //  Owns the ROUTER once started
    char *endpoint;   //  Bound endpoint
};

typedef struct {
    zsock_t *router;            //  Handed over to the actor
    gw_snapshot_wake_fn *wake;  //  After each forwarded request
    void *wake_arg;             //  Its argument
} s_args_t;

//  --------------------------------------------------------------------------
//  The actor: relay requests to the pipe (dropping malformed ones: too many
//  frames or an oversized request), and replies to the ROUTER.

static void
s_snapshot_actor (zsock_t *pipe, void *args)
{
    s_args_t settings = *(s_args_t *)args;
    zsock_t *router = settings.router;
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    //  Only $TERM stops the actor: main decides when the gateway stops.
    if (poller)
        zpoller_set_nonstop (poller, true);
    zsock_signal (pipe, 0);
    while (poller) {
        void *which = zpoller_wait (poller, -1);
        if (!which)
            break;  //  Interrupted or terminated
        zmsg_t *msg = zmsg_recv (which);
        if (!msg)
            break;
        if (which == pipe) {
            char *command = zmsg_popstr (msg);
            bool stop = !command || streq (command, "$TERM");
            if (command && streq (command, "REPLY"))
                zmsg_send (&msg, router);
            zstr_free (&command);
            zmsg_destroy (&msg);
            if (stop)
                break;
        } else {
            zframe_t *last = zmsg_last (msg);
            if (zmsg_size (msg) < 2 || zmsg_size (msg) > GW_SNAPSHOT_ROUTING_MAX + 1 ||
                zframe_size (last) > GW_SNAPSHOT_REQUEST_MAX) {
                zmsg_destroy (&msg);
                continue;
            }
            zmsg_pushstr (msg, "REQUEST");
            zmsg_send (&msg, pipe);
            settings.wake (settings.wake_arg);
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  --------------------------------------------------------------------------
//  Bind and start.

gw_snapshot_t *
gw_snapshot_new (const char *endpoint, gw_snapshot_wake_fn *wake, void *wake_arg)
{
    assert (endpoint);
    assert (wake);
    const char *plain = (*endpoint == '@' || *endpoint == '>') ? endpoint + 1 : endpoint;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    if (!router)
        return NULL;
    zsock_set_linger (router, 0);
    zsock_set_sndhwm (router, GW_SNAPSHOT_HWM);
    zsock_set_router_mandatory (router, 0);
    if (zsock_bind (router, "%s", plain) < 0) {
        vb_log_error ("snapshot endpoint cannot bind endpoint=%s error=%s", plain,
                      zmq_strerror (zmq_errno ()));
        zsock_destroy (&router);
        return NULL;
    }
    gw_snapshot_t *self = (gw_snapshot_t *)zmalloc (sizeof (gw_snapshot_t));
    self->endpoint = zsock_last_endpoint (router);
    s_args_t args = {.router = router, .wake = wake, .wake_arg = wake_arg};
    sigset_t signals, previous;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &previous);
    self->actor = zactor_new (s_snapshot_actor, &args);
    pthread_sigmask (SIG_SETMASK, &previous, NULL);
    if (!self->actor) {
        zsock_destroy (&router);
        gw_snapshot_destroy (&self);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Stop.

void
gw_snapshot_destroy (gw_snapshot_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gw_snapshot_t *self = *self_p;
        zactor_destroy (&self->actor);
        zstr_free (&self->endpoint);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The bound endpoint.

const char *
gw_snapshot_endpoint (gw_snapshot_t *self)
{
    assert (self);
    return self->endpoint ? self->endpoint : "";
}

//  --------------------------------------------------------------------------
//  Next request, or NULL.

zmsg_t *
gw_snapshot_request (gw_snapshot_t *self)
{
    assert (self);
    zsock_t *sock = zactor_sock (self->actor);
    while (zsock_events (sock) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (sock);
        if (!msg)
            return NULL;
        char *command = zmsg_popstr (msg);
        bool request = command && streq (command, "REQUEST") && zmsg_size (msg) >= 2;
        zstr_free (&command);
        if (request)
            return msg;
        zmsg_destroy (&msg);
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Answer a request.

int
gw_snapshot_reply (gw_snapshot_t *self, zmsg_t **request_p, const void *reply, size_t size)
{
    assert (self);
    assert (request_p && *request_p);
    zmsg_t *msg = *request_p;
    *request_p = NULL;
    zframe_t *last = zmsg_last (msg);
    zmsg_remove (msg, last);
    zframe_destroy (&last);
    zmsg_addmem (msg, reply, size);
    zmsg_pushstr (msg, "REPLY");
    if (zmsg_send (&msg, zactor_sock (self->actor)) != 0) {
        zmsg_destroy (&msg);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Answer a request with several frames (one multipart message).

int
gw_snapshot_reply_frames (gw_snapshot_t *self, zmsg_t **request_p, zmsg_t **frames_p)
{
    assert (self);
    assert (request_p && *request_p);
    assert (frames_p && *frames_p);
    zmsg_t *msg = *request_p;
    zmsg_t *frames = *frames_p;
    *request_p = NULL;
    *frames_p = NULL;
    zframe_t *last = zmsg_last (msg);
    zmsg_remove (msg, last);
    zframe_destroy (&last);
    zframe_t *frame;
    while ((frame = zmsg_pop (frames)))
        zmsg_append (msg, &frame);
    zmsg_destroy (&frames);
    zmsg_pushstr (msg, "REPLY");
    if (zmsg_send (&msg, zactor_sock (self->actor)) != 0) {
        zmsg_destroy (&msg);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The request frame of a request message, borrowed.

zframe_t *
gw_snapshot_request_frame (zmsg_t *request)
{
    return request ? zmsg_last (request) : NULL;
}
