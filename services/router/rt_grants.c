/*  rt_grants.c — the router's grants endpoint: a ROUTER socket, a fixed pool of pending grants.

    Each message is read whole, part by part, before anything is decided:
    [identity][envelope] is the only good shape. A message that carries no
    readable GrantRequest (garbage, a wrong body case, no parts after the
    identity) is counted as malformed and dropped; one that carries a
    GrantRequest but is wrong in another way (extra parts, an empty or
    over-long venue, a negative Retry-After) is counted as malformed too
    and answered with granted=false and a detail. Grants are encoded into
    a buffer first and sent only once encoded, so a failure never leaves a
    half message on the socket. ZMQ_MAXMSGSIZE bounds what a peer can
    make the socket read.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include <string.h>

#include "rt_grants.h"
#include "vb_error.h"
#include "vb_msg.h"

#define S_IDENTITY_MAX   255          //  Longest ZeroMQ routing id
#define S_VENUE_MAX      32           //  Venue name with its NUL (rt_limits_usage_t.venue)
#define S_ENDPOINT_MAX   256          //  Bound endpoint text
#define S_DETAIL_MAX     160          //  Refusal text
#define S_FRAME_MAX      1024         //  An encoded Grant, with wide room
#define S_MESSAGE_MAX    (64 * 1024)  //  ZMQ_MAXMSGSIZE: a GrantRequest is ~100 bytes
#define S_HWM            10000        //  Send and receive high-water marks (messages)
#define S_RECV_BATCH     RT_GRANTS_PENDING_MAX             //  Messages read per rt_grants_recv
#define S_PRODUCER       "router"                          //  Header.producer of every Grant
#define S_BAN_DEFAULT_MS 60000                             //  A ban reported without Retry-After
#define S_HOLD_MAX_MS    (INT64_C (7) * 24 * 3600 * 1000)  //  Longest accepted Retry-After
#define S_NO_SLOT        (-1)

//  One pending grant: who asked, and their id.
typedef struct {
    uint8_t identity[S_IDENTITY_MAX];  //  The gateway's routing id
    size_t identity_size;              //  Bytes in identity
    uint64_t request_id;               //  Echoed in the Grant
    char venue[S_VENUE_MAX];           //  For the Grant's header
    bool in_use;                       //  Holds a pending grant
    int next_free;                     //  Free list link
} s_slot_t;

struct _rt_grants_t {
    zsock_t *socket;                        //  ROUTER
    void *handle;                           //  Its raw libzmq socket
    rt_limits_t *limits;                    //  Borrowed
    char endpoint[S_ENDPOINT_MAX];          //  As bound
    vb_msg_t *decoder;                      //  Decodes requests
    uint8_t frame[S_FRAME_MAX];             //  Grants are encoded here
    s_slot_t slots[RT_GRANTS_PENDING_MAX];  //  The pool
    int free_head;                          //  First free slot, or S_NO_SLOT
    rt_grants_stats_t stats;                //  Counters
};

//  A request being answered: where the answer goes.
typedef struct {
    const uint8_t *identity;  //  Borrowed
    size_t identity_size;
    uint64_t request_id;
    const char *venue;  //  For the header ("" when unusable)
} s_peer_t;

//  --------------------------------------------------------------------------
//  Bind the endpoint.

rt_grants_t *
rt_grants_new (const char *endpoint, rt_limits_t *limits, char *error, size_t error_size)
{
    assert (limits);
    if (!endpoint || !*endpoint) {
        snprintf (error, error_size, "grants endpoint is empty");
        return NULL;
    }
    rt_grants_t *self = (rt_grants_t *)zmalloc (sizeof (rt_grants_t));
    self->limits = limits;
    for (int i = 0; i < RT_GRANTS_PENDING_MAX; i++)
        self->slots[i].next_free = i + 1 < RT_GRANTS_PENDING_MAX ? i + 1 : S_NO_SLOT;
    self->free_head = 0;
    self->decoder = vb_msg_new ();
    self->socket = zsock_new (ZMQ_ROUTER);
    if (!self->decoder || !self->socket) {
        snprintf (error, error_size, "cannot create the grants socket");
        rt_grants_destroy (&self);
        return NULL;
    }
    self->handle = zsock_resolve (self->socket);
    int64_t message_max = S_MESSAGE_MAX;
    int hwm = S_HWM;
    int linger = 0;
    zmq_setsockopt (self->handle, ZMQ_MAXMSGSIZE, &message_max, sizeof (message_max));
    zmq_setsockopt (self->handle, ZMQ_SNDHWM, &hwm, sizeof (hwm));
    zmq_setsockopt (self->handle, ZMQ_RCVHWM, &hwm, sizeof (hwm));
    zmq_setsockopt (self->handle, ZMQ_LINGER, &linger, sizeof (linger));
    if (zsock_bind (self->socket, "%s", endpoint) < 0) {
        snprintf (error, error_size, "cannot bind grants endpoint %s: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        rt_grants_destroy (&self);
        return NULL;
    }
    size_t size = sizeof (self->endpoint);
    if (zmq_getsockopt (self->handle, ZMQ_LAST_ENDPOINT, self->endpoint, &size) != 0)
        snprintf (self->endpoint, sizeof (self->endpoint), "%s", endpoint);
    return self;
}

//  --------------------------------------------------------------------------
//  Unbind and free. Pending grants leave the rate-limit queue first, so
//  rt_limits never hands back a pointer into freed memory.

void
rt_grants_destroy (rt_grants_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        rt_grants_t *self = *self_p;
        for (int i = 0; i < RT_GRANTS_PENDING_MAX; i++)
            if (self->slots[i].in_use)
                rt_limits_remove (self->limits, &self->slots[i]);
        zsock_destroy (&self->socket);
        vb_msg_destroy (&self->decoder);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Accessors.

const char *
rt_grants_endpoint (rt_grants_t *self)
{
    assert (self);
    return self->endpoint;
}

void *
rt_grants_socket (rt_grants_t *self)
{
    assert (self);
    return self->handle;
}

void
rt_grants_stats (rt_grants_t *self, rt_grants_stats_t *stats)
{
    assert (self);
    assert (stats);
    *stats = self->stats;
}

//  --------------------------------------------------------------------------
//  Send one Grant to a peer. Nothing is sent unless it encoded.

static void
s_send_grant (rt_grants_t *self, const s_peer_t *peer, bool granted, int64_t retry_after_ms,
              const char *detail)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__Grant grant = VENUEBUS__GRANT__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    header.venue = (char *)peer->venue;
    header.producer = (char *)S_PRODUCER;
    header.publish_ts_ns = vb_clock_now_real_ns ();
    grant.request_id = peer->request_id;
    grant.granted = granted;
    grant.retry_after_ms = retry_after_ms;
    grant.detail = (char *)(detail ? detail : "");
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_GRANT;
    envelope.grant = &grant;
    int size = vb_msg_encode_bare (&envelope, self->frame, sizeof (self->frame));
    if (size < 0)
        return;  //  Cannot happen with bounded details; never a half message
    if (granted)
        self->stats.granted++;
    else
        self->stats.refused++;
    //  A ROUTER drops a message for an unknown or slow peer; never blocks
    if (zmq_send (self->handle, peer->identity, peer->identity_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) <
        0)
        return;
    zmq_send (self->handle, self->frame, (size_t)size, ZMQ_DONTWAIT);
}

//  --------------------------------------------------------------------------
//  Refuse: granted=false with a detail (and a time to ask again).

static void s_refuse (rt_grants_t *self, const s_peer_t *peer, int64_t retry_after_ms,
                      const char *format, ...) __attribute__ ((format (printf, 4, 5)));

static void
s_refuse (rt_grants_t *self, const s_peer_t *peer, int64_t retry_after_ms, const char *format, ...)
{
    char detail[S_DETAIL_MAX];
    va_list args;
    va_start (args, format);
    vsnprintf (detail, sizeof (detail), format, args);
    va_end (args);
    s_send_grant (self, peer, false, retry_after_ms, detail);
}

//  --------------------------------------------------------------------------
//  Milliseconds, rounded up, of a positive ns duration.

static int64_t
s_ceil_ms (int64_t ns)
{
    return ns / VB_NS_PER_MS + (ns % VB_NS_PER_MS ? 1 : 0);
}

//  --------------------------------------------------------------------------
//  A report (weight 0): the venue's usage header and its 429/418.

static void
s_report (rt_grants_t *self, const s_peer_t *peer, const Venuebus__GrantRequest *request)
{
    if (request->retry_after_ms < 0 || request->retry_after_ms > S_HOLD_MAX_MS) {
        self->stats.malformed++;
        s_refuse (self, peer, 0, "retry_after_ms %" PRId64 " out of range 0..%" PRId64,
                  request->retry_after_ms, S_HOLD_MAX_MS);
        return;
    }
    int64_t hold_ms = request->retry_after_ms;
    if (request->banned && hold_ms == 0)
        hold_ms = S_BAN_DEFAULT_MS;
    //  With nothing to apply, a zero-length stop still checks the venue
    int rc = rt_limits_block_venue (self->limits, request->venue, hold_ms * VB_NS_PER_MS,
                                    request->banned);
    if (rc == 0 && request->used_weight > 0) {
        int64_t used = request->used_weight > INT64_MAX ? INT64_MAX : (int64_t)request->used_weight;
        rc = rt_limits_correct_venue (self->limits, request->venue, used);
    }
    if (rc == VB_ENOTFOUND)
        s_refuse (self, peer, 0, "unknown venue %s (or it has no ip-scope bucket)", request->venue);
    else if (rc != 0)
        s_refuse (self, peer, 0, "report not applied: %s", vb_strerror (rc));
    else
        self->stats.reports++;
}

//  --------------------------------------------------------------------------
//  A request for weight: grant now, keep it pending, or refuse.

static void
s_request (rt_grants_t *self, const s_peer_t *peer, const Venuebus__GrantRequest *request)
{
    self->stats.requests++;
    bool banned = false;
    int64_t stop_ns = rt_limits_venue_stop_ns (self->limits, request->venue, &banned);
    if (stop_ns > 0) {
        s_refuse (self, peer, s_ceil_ms (stop_ns), "venue %s is %s", request->venue,
                  banned ? "banned" : "rate limited");
        return;
    }
    if (self->free_head == S_NO_SLOT) {
        s_refuse (self, peer, RT_GRANTS_RETRY_MS, "too many pending grants");
        return;
    }
    int index = self->free_head;
    s_slot_t *slot = &self->slots[index];
    int rc =
        rt_limits_submit_grant (self->limits, request->venue, request->weight, RT_GRANTS_TAG, slot);
    if (rc == 0) {
        s_send_grant (self, peer, true, 0, NULL);
        return;
    }
    if (rc == 1) {
        self->free_head = slot->next_free;
        slot->next_free = S_NO_SLOT;
        slot->in_use = true;
        memcpy (slot->identity, peer->identity, peer->identity_size);
        slot->identity_size = peer->identity_size;
        slot->request_id = peer->request_id;
        snprintf (slot->venue, sizeof (slot->venue), "%s", request->venue);
        return;
    }
    if (rc == VB_ENOTFOUND)
        s_refuse (self, peer, 0, "unknown venue %s (or it has no ip-scope bucket)", request->venue);
    else if (rc == VB_ELIMIT)
        s_refuse (self, peer, 0, "weight %" PRIu32 " can never fit the venue's bucket",
                  request->weight);
    else if (rc == VB_EAGAIN)
        s_refuse (self, peer, RT_GRANTS_RETRY_MS, "grant queue full");
    else
        s_refuse (self, peer, 0, "refused: %s", vb_strerror (rc));
}

//  --------------------------------------------------------------------------
//  Handle one whole message: parts parts, the first after the identity in
//  payload (NULL when there is none).

static void
s_handle (rt_grants_t *self, zmq_msg_t *identity, zmq_msg_t *payload, size_t parts)
{
    size_t identity_size = zmq_msg_size (identity);
    if (!payload || identity_size == 0 || identity_size > S_IDENTITY_MAX ||
        vb_msg_decode_bare (self->decoder, (const uint8_t *)zmq_msg_data (payload),
                            zmq_msg_size (payload)) != 0) {
        self->stats.malformed++;
        return;
    }
    const Venuebus__Envelope *envelope = vb_msg_envelope (self->decoder);
    if (envelope->body_case != VENUEBUS__ENVELOPE__BODY_GRANT_REQUEST || !envelope->grant_request) {
        self->stats.malformed++;
        return;
    }
    const Venuebus__GrantRequest *request = envelope->grant_request;
    const char *venue = request->venue ? request->venue : "";
    size_t venue_length = strnlen (venue, S_VENUE_MAX);
    s_peer_t peer = {.identity = (const uint8_t *)zmq_msg_data (identity),
                     .identity_size = identity_size,
                     .request_id = request->request_id,
                     .venue = venue_length < S_VENUE_MAX ? venue : ""};
    if (parts != 2) {
        self->stats.malformed++;
        s_refuse (self, &peer, 0, "expected one frame after the identity, got %zu", parts - 1);
    } else if (venue_length == 0) {
        self->stats.malformed++;
        s_refuse (self, &peer, 0, "empty venue");
    } else if (venue_length == S_VENUE_MAX) {
        self->stats.malformed++;
        s_refuse (self, &peer, 0, "venue name longer than %d bytes", S_VENUE_MAX - 1);
    } else if (request->weight == 0)
        s_report (self, &peer, request);
    else
        s_request (self, &peer, request);
}

//  --------------------------------------------------------------------------
//  Read and handle waiting messages, at most S_RECV_BATCH per call so the
//  loop's other sockets are served too (the socket stays readable).

int
rt_grants_recv (rt_grants_t *self)
{
    assert (self);
    int messages = 0;
    while (messages < S_RECV_BATCH) {
        zmq_msg_t identity;
        zmq_msg_init (&identity);
        if (zmq_msg_recv (&identity, self->handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&identity);
            break;
        }
        //  The whole message: keep the first part after the identity
        size_t parts = 1;
        zmq_msg_t payload;
        zmq_msg_init (&payload);
        bool have_payload = false;
        bool more = zmq_msg_more (&identity);
        while (more) {
            zmq_msg_t part;
            zmq_msg_init (&part);
            if (zmq_msg_recv (&part, self->handle, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&part);
                break;  //  Parts of a message arrive together; only on shutdown
            }
            parts++;
            more = zmq_msg_more (&part);
            if (!have_payload) {
                zmq_msg_move (&payload, &part);
                have_payload = true;
            }
            zmq_msg_close (&part);
        }
        s_handle (self, &identity, have_payload ? &payload : NULL, parts);
        zmq_msg_close (&payload);
        zmq_msg_close (&identity);
        messages++;
    }
    return messages;
}

//  --------------------------------------------------------------------------
//  A pending grant's weight was taken: send it, free the slot.

void
rt_grants_granted (rt_grants_t *self, void *user)
{
    assert (self);
    s_slot_t *slot = (s_slot_t *)user;
    assert (slot >= self->slots && slot < self->slots + RT_GRANTS_PENDING_MAX);
    assert (slot->in_use);
    s_peer_t peer = {.identity = slot->identity,
                     .identity_size = slot->identity_size,
                     .request_id = slot->request_id,
                     .venue = slot->venue};
    s_send_grant (self, &peer, true, 0, NULL);
    slot->in_use = false;
    slot->next_free = self->free_head;
    self->free_head = (int)(slot - self->slots);
}
