/*  vb_msg.h — venuebus.Envelope <-> ZeroMQ frames; the only protobuf-c caller.

    A bus frame is ONE ZeroMQ frame (DESIGN.md §3 "Frames"):

        +----------------+------+---------------------------------------+
        | topic (ASCII)  | 0x00 | serialized venuebus.Envelope          |
        +----------------+------+---------------------------------------+

    so SUB prefix subscriptions match on the topic, and a subscription that
    includes the NUL matches one topic exactly. A router frame (DEALER <->
    ROUTER) is a bare Envelope with no topic.

    Encoding is stateless and packs straight into a caller buffer (or a
    ZeroMQ message) sized from a cheap upper bound, so the hot path makes no
    get_packed_size + malloc round. Decoding goes through a vb_msg_t, which
    owns a bump arena that protobuf-c unpacks into: after warm-up a decode
    makes no allocation at all.

    Both directions check the same rules, so whatever encodes also decodes:
    - the topic parses (vb_topic.h);
    - the envelope has a header and a body case this build knows;
    - the body belongs on the topic: md.*.trade carries trade, md.*.book
      book_snapshot or book_delta, md.*.bbo bbo, md.*.candle.<i> a candle
      whose interval is <i>, md.*.funding funding, md.*.status status; ex.*
      carries ack, execution_report, reject or balances; sys.* carries
      rate_limit, alert or health;
    - on md.* topics the header's venue and symbol equal the topic's;
    - every string is valid UTF-8 (other languages refuse anything else);
    - the frame is at most VB_MSG_FRAME_MAX bytes.

    Error codes, the same for encoding and decoding:
        VB_ETRUNC     frame empty, or it ends before the topic's NUL; or the
                      caller's buffer is too small (encode)
        VB_ELIMIT     frame over VB_MSG_FRAME_MAX, topic over VB_TOPIC_MAX
                      bytes, or unpacking needs more than VB_MSG_ARENA_LIMIT
        VB_EINVAL     topic malformed
        VB_ETYPE      payload is not a valid Envelope encoding, or a string
                      is not valid UTF-8
        VB_ENOTFOUND  envelope has no header or no body
        VB_EVERSION   body is a case this build does not know (newer schema)
        VB_EPERM      body does not belong on the topic, or the header's
                      venue, symbol or candle interval disagree with it
        VB_ENOMEM     allocation failed
        VB_EAGAIN     send/recv would block (ZMQ_DONTWAIT) or was interrupted
        VB_EIO        any other ZeroMQ failure (socket closed, wrong type...)
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_MSG_H_INCLUDED
#define VB_MSG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "venuebus.pb-c.h"
#include "vb_decimal.h"
#include "vb_topic.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Largest frame sent or accepted, topic and NUL included. A 5000-level book
//  snapshot is under 250 KB, so this leaves wide room.
#define VB_MSG_FRAME_MAX (4 * 1024 * 1024)
//  Most memory one decode may take from the arena before it fails with
//  VB_ELIMIT: bounds what absurd repeated-field counts can cost.
#define VB_MSG_ARENA_LIMIT (64 * 1024 * 1024)
//  Arena a new decoder starts with.
#define VB_MSG_ARENA_INITIAL (16 * 1024)
//  Largest arena a decoder keeps between decodes. A rarer, larger message
//  is unpacked into extra blocks that are freed at the next decode.
#define VB_MSG_ARENA_KEEP_MAX (1024 * 1024)

typedef struct _vb_msg_t vb_msg_t;

//  --------------------------------------------------------------------------
//  Encoding (stateless)

//  Write the frame "<topic>\0<envelope>" into buffer. Returns its length, or a
//  negative code (see above; VB_ETRUNC when buffer is too small). A buffer of
//  VB_MSG_FRAME_MAX bytes always suffices.
int vb_msg_encode (const char *topic, const Venuebus__Envelope *envelope, uint8_t *buffer,
                   size_t size);

//  Write a bare envelope (a router frame, no topic) into buffer. Returns as
//  vb_msg_encode.
int vb_msg_encode_bare (const Venuebus__Envelope *envelope, uint8_t *buffer, size_t size);

//  Encode and send one frame "<topic>\0<envelope>" on socket (a zsock_t, a
//  zactor_t or a raw libzmq socket). flags are libzmq send flags: 0,
//  ZMQ_DONTWAIT and/or ZMQ_SNDMORE. Returns 0 or a negative code; on any
//  failure nothing was queued.
int vb_msg_send (void *socket, const char *topic, const Venuebus__Envelope *envelope, int flags);

//  Encode and send one bare envelope (router frames). A ROUTER socket sends
//  the peer's identity first with ZMQ_SNDMORE. Returns as vb_msg_send.
int vb_msg_send_bare (void *socket, const Venuebus__Envelope *envelope, int flags);

//  Subscribe a SUB socket (zsock_t or raw) to exactly one topic: the
//  subscription includes the NUL after the topic, so "ex.a.s" does not also
//  receive "ex.a.s2". For prefix subscriptions use zsock_set_subscribe.
//  Returns 0, VB_EINVAL for a malformed topic, or VB_EIO.
int vb_msg_subscribe_exact (void *socket, const char *topic);

//  --------------------------------------------------------------------------
//  Decoding

//  Create a decoder with its arena. Returns NULL when memory runs out.
vb_msg_t *vb_msg_new (void);

//  Destroy the decoder, its arena and the last envelope, and set *self_p to
//  NULL. Safe to call twice.
void vb_msg_destroy (vb_msg_t **self_p);

//  Decode one bus frame of `size` bytes. Returns 0 or a negative code (see
//  above). Nothing of the result borrows `frame`: the envelope lives in the
//  decoder's arena and the topic is copied. Every call invalidates the
//  previous envelope and topic, success or not.
int vb_msg_decode (vb_msg_t *self, const uint8_t *frame, size_t size);

//  Decode one bare envelope (a router frame). Returns as vb_msg_decode; any
//  known body case is accepted and vb_msg_topic is "".
int vb_msg_decode_bare (vb_msg_t *self, const uint8_t *data, size_t size);

//  Receive one message part from socket (a zsock_t, a zactor_t or a raw
//  libzmq socket) and decode it as a bus frame. flags is 0 or ZMQ_DONTWAIT.
//  Reads exactly one part: when the peer sent more (zsock_rcvmore), reading
//  or dropping them is the caller's business. Returns as vb_msg_decode, or
//  VB_EAGAIN / VB_EIO from ZeroMQ.
int vb_msg_recv (vb_msg_t *self, void *socket, int flags);

//  Receive one part and decode it as a bare envelope. On a ROUTER socket,
//  read the identity part first. Returns as vb_msg_recv.
int vb_msg_recv_bare (vb_msg_t *self, void *socket, int flags);

//  The envelope of the last successful decode, or NULL after a failure or
//  before any decode. Borrowed: valid until the next decode or destroy.
const Venuebus__Envelope *vb_msg_envelope (vb_msg_t *self);

//  The topic of the last successful decode as a C string, or "" (bare
//  envelopes, failures). Borrowed like vb_msg_envelope.
const char *vb_msg_topic (vb_msg_t *self);

//  The parsed topic of the last successful decode (domain UNSET for bare
//  envelopes and failures). Its slices point into vb_msg_topic.
const vb_topic_t *vb_msg_topic_view (vb_msg_t *self);

//  How many times the arena has called malloc since the decoder was made:
//  stays flat once the decoder has warmed up to its traffic.
size_t vb_msg_arena_mallocs (vb_msg_t *self);

//  --------------------------------------------------------------------------
//  Helpers

//  Initialise *out as a Venuebus__Decimal holding value.
void vb_msg_decimal_set (Venuebus__Decimal *out, vb_decimal_t value);

//  Read a decimal field. Returns 0, VB_ENOTFOUND when the field is absent
//  (NULL), or VB_EOVERFLOW when its exponent is outside
//  VB_DECIMAL_EXPONENT_MIN..MAX; on error *out is untouched.
int vb_msg_decimal_get (const Venuebus__Decimal *in, vb_decimal_t *out);

//  The .proto name of a body case ("trade", "book_delta", ...), or NULL for
//  NOT_SET and unknown values. For logs and metric labels.
const char *vb_msg_body_name (Venuebus__Envelope__BodyCase body_case);

#ifdef __cplusplus
}
#endif
#endif
