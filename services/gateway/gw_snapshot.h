/*  gw_snapshot.h — the snapshot endpoint: a ROUTER socket in its own actor.

    The Clone pattern (DESIGN.md §1): a late joiner, or a subscriber that saw
    a sequence gap, asks the gateway for the current book of a topic and then
    applies the live stream after the snapshot's sequence.

    The ROUTER is bound on the loop thread (so a bad endpoint fails start-up
    with a clear error) and then handed over to the actor, which owns it
    from then on. The actor forwards each request to the loop thread (the
    books live there) and calls `wake`; the loop thread takes requests with
    gw_snapshot_request and answers with gw_snapshot_reply.

    Request (one frame after the peer's routing frames; a REQ peer's empty
    delimiter is kept and echoed):
        SNAPSHOT <topic>          e.g. "SNAPSHOT md.binance.BTC-USDT.book"
        CANDLES <venue> <SYMBOL> <interval> <from_ms> <to_ms>
                                  candle history, answered as a multipart
                                  reply (gw_candles.h has the contract)
    Reply (one frame):
        <topic> NUL <Envelope>    a bus frame (vb_msg_decode reads it) whose
                                  body is book_snapshot and whose header.seq is
                                  the sequence of the last message published on
                                  the topic: apply deltas with a larger seq.
        ERROR <reason> <detail>   reason: "unknown-request", "unknown-topic",
                                  "not-synced" (book resyncing or stale; ask
                                  again later), "too-large"
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_SNAPSHOT_H_INCLUDED
#define GW_SNAPSHOT_H_INCLUDED

#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _gw_snapshot_t gw_snapshot_t;

//  Called on the actor's thread after each request is forwarded. Must be
//  thread-safe.
typedef void (gw_snapshot_wake_fn) (void *arg);

//  Bind a ROUTER on `endpoint` and start the actor. Returns NULL when the
//  endpoint cannot be bound (logged here, with the reason).
gw_snapshot_t *gw_snapshot_new (const char *endpoint, gw_snapshot_wake_fn *wake, void *wake_arg);

//  Stop the actor, close the socket and set *self_p to NULL. Safe twice.
void gw_snapshot_destroy (gw_snapshot_t **self_p);

//  The endpoint actually bound (tcp://...:* shows its port). Borrowed.
const char *gw_snapshot_endpoint (gw_snapshot_t *self);

//  Take the next request without waiting: the peer's routing frames, then
//  the request frame last. Returns a new message (the caller destroys it or
//  hands it to gw_snapshot_reply), or NULL when none is waiting.
zmsg_t *gw_snapshot_request (gw_snapshot_t *self);

//  Answer a request: replaces the last frame of *request_p (the request)
//  with `size` bytes of reply and sends it back. Takes ownership of
//  *request_p and sets it to NULL. Returns 0 or -1.
int gw_snapshot_reply (gw_snapshot_t *self, zmsg_t **request_p, const void *reply, size_t size);

//  Answer a request with several frames, sent as one multipart message
//  after the peer's routing frames: replaces the request frame of
//  *request_p with every frame of *frames_p (in order). Takes ownership of
//  both and sets them to NULL. Returns 0 or -1.
int gw_snapshot_reply_frames (gw_snapshot_t *self, zmsg_t **request_p, zmsg_t **frames_p);

//  The request frame (the last one) of a message from gw_snapshot_request,
//  borrowed; NULL for NULL.
zframe_t *gw_snapshot_request_frame (zmsg_t *request);

#ifdef __cplusplus
}
#endif
#endif
