/*  vb_msg.c — venuebus.Envelope <-> ZeroMQ frames; the only protobuf-c caller.

    Frame layout (one ZeroMQ frame, DESIGN.md §3 "Frames"):
        topic bytes [A-Za-z0-9_.-], 1..VB_TOPIC_MAX of them
        0x00
        venuebus.Envelope, protobuf wire format, to the end of the frame
    Router frames are the Envelope alone.

    Encoding walks the message once through the protobuf-c descriptors to
    check every string and to add up an upper bound of the packed size (each
    scalar at most ten bytes, each tag five, each length prefix ten), which is
    far cheaper than get_packed_size for packed arrays. When the bound fits
    the caller's buffer we pack straight into it; only when it does not do we
    ask protobuf-c for the exact size.

    Decoding unpacks into a bump arena (a ProtobufCAllocator): allocation is
    a pointer increment, and free is a no-op until the next decode resets the
    arena. A decode that outgrows the arena spills into extra malloc'd blocks;
    the next decode frees them and regrows the arena (up to
    VB_MSG_ARENA_KEEP_MAX), so steady traffic allocates nothing.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <czmq.h>
#include "vb_msg.h"
#include "vb_error.h"

//  Upper bounds of the pieces of the protobuf wire format.
#define S_TAG_MAX    5   //  A tag is a varint of (field number << 3 | wire type)
#define S_LENGTH_MAX 10  //  A length prefix is a varint
#define S_SCALAR_MAX 10  //  Any scalar: a varint is at most ten bytes, fixed64 eight
//  Frames whose bound fits are packed on the stack and copied once into the
//  ZeroMQ message; larger ones are packed straight into a message of exact size.
#define S_SEND_STACK 8192
//  Arena allocations are aligned like malloc's.
#define S_ALIGN alignof (max_align_t)
//  First Envelope field number that belongs to the body oneof; an unknown
//  field from here on is a body of a newer schema.
#define S_BODY_FIRST_FIELD 10
//  Byte that ends the topic.
#define S_TOPIC_END '\0'

//  --------------------------------------------------------------------------
//  Which topics each body case may travel on. Bare (router) frames accept
//  every known case.

typedef struct {
    Venuebus__Envelope__BodyCase body_case;  //  Oneof case
    const char *name;                        //  Field name in the .proto
    vb_topic_domain_t domain;                //  Topic domain it travels on, UNSET: none
    vb_topic_kind_t kind;                    //  md: the kind it travels on
} s_body_rule_t;

static const s_body_rule_t s_body_rules[] = {
    {VENUEBUS__ENVELOPE__BODY_TRADE, "trade", VB_TOPIC_DOMAIN_MD, VB_TOPIC_KIND_TRADE},
    {VENUEBUS__ENVELOPE__BODY_BOOK_SNAPSHOT, "book_snapshot", VB_TOPIC_DOMAIN_MD,
     VB_TOPIC_KIND_BOOK},
    {VENUEBUS__ENVELOPE__BODY_BOOK_DELTA, "book_delta", VB_TOPIC_DOMAIN_MD, VB_TOPIC_KIND_BOOK},
    {VENUEBUS__ENVELOPE__BODY_BBO, "bbo", VB_TOPIC_DOMAIN_MD, VB_TOPIC_KIND_BBO},
    {VENUEBUS__ENVELOPE__BODY_CANDLE, "candle", VB_TOPIC_DOMAIN_MD, VB_TOPIC_KIND_CANDLE},
    {VENUEBUS__ENVELOPE__BODY_FUNDING, "funding", VB_TOPIC_DOMAIN_MD, VB_TOPIC_KIND_FUNDING},
    {VENUEBUS__ENVELOPE__BODY_STATUS, "status", VB_TOPIC_DOMAIN_MD, VB_TOPIC_KIND_STATUS},
    {VENUEBUS__ENVELOPE__BODY_NEW_ORDER, "new_order", VB_TOPIC_DOMAIN_UNSET, VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_CANCEL, "cancel", VB_TOPIC_DOMAIN_UNSET, VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_CANCEL_ALL, "cancel_all", VB_TOPIC_DOMAIN_UNSET, VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_QUERY_ORDER, "query_order", VB_TOPIC_DOMAIN_UNSET,
     VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_QUERY_BALANCES, "query_balances", VB_TOPIC_DOMAIN_UNSET,
     VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_ACK, "ack", VB_TOPIC_DOMAIN_EX, VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT, "execution_report", VB_TOPIC_DOMAIN_EX,
     VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_REJECT, "reject", VB_TOPIC_DOMAIN_EX, VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_BALANCES, "balances", VB_TOPIC_DOMAIN_EX, VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_RATE_LIMIT, "rate_limit", VB_TOPIC_DOMAIN_SYS, VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_ALERT, "alert", VB_TOPIC_DOMAIN_SYS, VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_HEALTH, "health", VB_TOPIC_DOMAIN_SYS, VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_GRANT_REQUEST, "grant_request", VB_TOPIC_DOMAIN_UNSET,
     VB_TOPIC_KIND_UNSET},
    {VENUEBUS__ENVELOPE__BODY_GRANT, "grant", VB_TOPIC_DOMAIN_UNSET, VB_TOPIC_KIND_UNSET},
};
#define S_BODY_RULE_COUNT (sizeof (s_body_rules) / sizeof (s_body_rules[0]))

//  An arena block taken from malloc when a decode outgrows the arena.
typedef struct _s_block_t {
    struct _s_block_t *next;  //  Next spilled block, or NULL
    max_align_t data[];       //  The allocation itself
} s_block_t;

struct _vb_msg_t {
    ProtobufCAllocator allocator;  //  Hands protobuf-c the arena below
    uint8_t *arena;                //  Main arena block
    size_t arena_size;             //  Bytes in the main block
    size_t arena_used;             //  Bytes handed out from the main block this decode
    size_t decode_used;            //  Bytes handed out this decode, spills included
    s_block_t *spilled;            //  Blocks malloc'd this decode past the main block
    size_t mallocs;                //  malloc calls the arena made since creation
    bool over_limit;               //  This decode asked for more than VB_MSG_ARENA_LIMIT
    bool out_of_memory;            //  malloc failed during this decode
    Venuebus__Envelope *envelope;  //  Last decoded envelope (in the arena), or NULL
    char topic[VB_TOPIC_MAX + 1];  //  Last decoded topic, NUL-terminated
    vb_topic_t topic_view;         //  Parsed topic; slices point into topic
    zmq_msg_t message;             //  Receive buffer for vb_msg_recv
};

//  --------------------------------------------------------------------------
//  Round size up to the arena alignment; false when that overflows.

static bool
s_align (size_t size, size_t *aligned)
{
    if (size > SIZE_MAX - (S_ALIGN - 1))
        return false;
    *aligned = (size + S_ALIGN - 1) & ~(S_ALIGN - 1);
    return true;
}

//  --------------------------------------------------------------------------
//  ProtobufCAllocator.alloc: bump from the main block, or spill into a new
//  malloc'd block; refuse past VB_MSG_ARENA_LIMIT.

static void *
s_arena_alloc (void *allocator_data, size_t size)
{
    vb_msg_t *self = (vb_msg_t *)allocator_data;
    size_t aligned;
    if (!s_align (size, &aligned) || aligned > VB_MSG_ARENA_LIMIT - self->decode_used) {
        self->over_limit = true;
        return NULL;
    }
    self->decode_used += aligned;
    if (self->arena && aligned <= self->arena_size - self->arena_used) {
        void *pointer = self->arena + self->arena_used;
        self->arena_used += aligned;
        return pointer;
    }
    s_block_t *block = (s_block_t *)malloc (sizeof (s_block_t) + aligned);
    self->mallocs++;
    if (!block) {
        self->out_of_memory = true;
        return NULL;
    }
    block->next = self->spilled;
    self->spilled = block;
    return block->data;
}

//  --------------------------------------------------------------------------
//  ProtobufCAllocator.free: nothing; the arena is reset as a whole.

static void
s_arena_free (void *allocator_data, void *pointer)
{
    (void)allocator_data;
    (void)pointer;
}

//  --------------------------------------------------------------------------
//  Forget the last decode: free spilled blocks and, if they were needed,
//  regrow the main block (up to VB_MSG_ARENA_KEEP_MAX) so the same traffic
//  fits next time. Returns 0 or VB_ENOMEM.

static int
s_arena_reset (vb_msg_t *self)
{
    self->envelope = NULL;
    self->topic[0] = '\0';
    memset (&self->topic_view, 0, sizeof (self->topic_view));
    bool spilled = self->spilled != NULL;
    while (self->spilled) {
        s_block_t *next = self->spilled->next;
        free (self->spilled);
        self->spilled = next;
    }
    if (spilled && self->arena_size < VB_MSG_ARENA_KEEP_MAX) {
        size_t wanted =
            self->decode_used > VB_MSG_ARENA_KEEP_MAX ? VB_MSG_ARENA_KEEP_MAX : self->decode_used;
        if (wanted > self->arena_size) {
            free (self->arena);
            self->arena_size = 0;
            self->arena = (uint8_t *)aligned_alloc (S_ALIGN, wanted);
            self->mallocs++;
            if (!self->arena)
                return VB_ENOMEM;
            self->arena_size = wanted;
        }
    }
    self->arena_used = 0;
    self->decode_used = 0;
    self->over_limit = false;
    self->out_of_memory = false;
    return 0;
}

//  --------------------------------------------------------------------------
//  Create a decoder.

vb_msg_t *
vb_msg_new (void)
{
    vb_msg_t *self = (vb_msg_t *)zmalloc (sizeof (vb_msg_t));
    self->allocator.alloc = s_arena_alloc;
    self->allocator.free = s_arena_free;
    self->allocator.allocator_data = self;
    zmq_msg_init (&self->message);
    self->arena = (uint8_t *)aligned_alloc (S_ALIGN, VB_MSG_ARENA_INITIAL);
    self->mallocs++;
    if (!self->arena) {
        vb_msg_destroy (&self);
        return NULL;
    }
    self->arena_size = VB_MSG_ARENA_INITIAL;
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy a decoder.

void
vb_msg_destroy (vb_msg_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        vb_msg_t *self = *self_p;
        while (self->spilled) {
            s_block_t *next = self->spilled->next;
            free (self->spilled);
            self->spilled = next;
        }
        free (self->arena);
        zmq_msg_close (&self->message);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Strict UTF-8 check (no overlong forms, no surrogates, nothing past
//  U+10FFFF), as protobuf requires of proto3 strings.

static bool
s_valid_utf8 (const char *text, size_t length)
{
    const unsigned char *cursor = (const unsigned char *)text;
    const unsigned char *limit = cursor + length;
    while (cursor < limit) {
        unsigned char lead = *cursor;
        if (lead < 0x80) {
            cursor++;
            continue;
        }
        size_t extra;
        unsigned char low = 0x80;   //  Smallest allowed second byte
        unsigned char high = 0xBF;  //  Largest allowed second byte
        if (lead >= 0xC2 && lead <= 0xDF)
            extra = 1;
        else if (lead >= 0xE0 && lead <= 0xEF) {
            extra = 2;
            if (lead == 0xE0)
                low = 0xA0;  //  Overlong below U+0800
            else if (lead == 0xED)
                high = 0x9F;  //  Surrogates U+D800..U+DFFF
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            extra = 3;
            if (lead == 0xF0)
                low = 0x90;  //  Overlong below U+10000
            else if (lead == 0xF4)
                high = 0x8F;  //  Past U+10FFFF
        } else
            return false;
        if ((size_t)(limit - cursor) <= extra)
            return false;
        if (cursor[1] < low || cursor[1] > high)
            return false;
        for (size_t index = 2; index <= extra; index++)
            if (cursor[index] < 0x80 || cursor[index] > 0xBF)
                return false;
        cursor += extra + 1;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Walk one message through its descriptor: check every string is UTF-8 and
//  every present pointer is sane, and add an upper bound of its packed size
//  to *bound. Returns 0, VB_ETYPE (bad string, unknown field number 0) or
//  VB_ENOTFOUND (a oneof case is set but its member is NULL; a repeated field
//  has a count but no array).

static int
s_walk (const ProtobufCMessage *message, size_t *bound)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    const uint8_t *base = (const uint8_t *)message;
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields[index];
        const void *member = base + field->offset;
        size_t count = 1;
        const void *const *elements = NULL;  //  Array of pointers for strings, messages
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t active = *(const uint32_t *)(base + field->quantifier_offset);
            if (active != field->id)
                continue;
            if ((field->type == PROTOBUF_C_TYPE_MESSAGE || field->type == PROTOBUF_C_TYPE_STRING) &&
                *(const void *const *)member == NULL)
                return VB_ENOTFOUND;
        }
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *)(base + field->quantifier_offset);
            if (count == 0)
                continue;
            const void *array = *(const void *const *)member;
            if (!array)
                return VB_ENOTFOUND;
            *bound += S_TAG_MAX + S_LENGTH_MAX;  //  Packed header
            elements = (const void *const *)array;
        }
        for (size_t item = 0; item < count; item++) {
            const void *value = elements ? (const void *)&elements[item] : member;
            switch (field->type) {
                case PROTOBUF_C_TYPE_STRING: {
                    const char *text = *(const char *const *)value;
                    if (!text) {
                        if (elements)
                            return VB_ENOTFOUND;
                        break;
                    }
                    size_t length = strlen (text);
                    if (!s_valid_utf8 (text, length))
                        return VB_ETYPE;
                    *bound += S_TAG_MAX + S_LENGTH_MAX + length;
                    break;
                }
                case PROTOBUF_C_TYPE_BYTES: {
                    //  Repeated bytes are an array of structs, not pointers.
                    const ProtobufCBinaryData *data =
                        elements ? (const ProtobufCBinaryData *)(const void *)elements + item
                                 : (const ProtobufCBinaryData *)value;
                    if (data->len && !data->data)
                        return VB_ENOTFOUND;
                    *bound += S_TAG_MAX + S_LENGTH_MAX + data->len;
                    break;
                }
                case PROTOBUF_C_TYPE_MESSAGE: {
                    const ProtobufCMessage *child = *(const ProtobufCMessage *const *)value;
                    if (!child) {
                        if (elements)
                            return VB_ENOTFOUND;
                        break;
                    }
                    *bound += S_TAG_MAX + S_LENGTH_MAX;
                    int rc = s_walk (child, bound);
                    if (rc != 0)
                        return rc;
                    break;
                }
                default:
                    //  Scalars: whole array at once, then leave the loop.
                    *bound += count * (S_TAG_MAX + S_SCALAR_MAX);
                    item = count;
                    break;
            }
        }
    }
    //  Unknown fields come from a newer schema and are passed on, except
    //  field number 0, which no schema has: protobuf-c accepts it when the
    //  tag is spelled as a non-canonical varint, but refuses it re-encoded.
    for (unsigned index = 0; index < message->n_unknown_fields; index++) {
        if (message->unknown_fields[index].tag == 0)
            return VB_ETYPE;
        *bound += S_TAG_MAX + message->unknown_fields[index].len;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Find the rule of a body case, or NULL for cases this build does not know.

static const s_body_rule_t *
s_body_rule (Venuebus__Envelope__BodyCase body_case)
{
    for (size_t index = 0; index < S_BODY_RULE_COUNT; index++)
        if (s_body_rules[index].body_case == body_case)
            return &s_body_rules[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Compare a possibly NULL proto string with a topic slice.

static bool
s_same (const char *text, vb_topic_slice_t slice)
{
    return vb_topic_slice_eq (slice, text ? text : "");
}

//  --------------------------------------------------------------------------
//  Check an envelope against the rules in vb_msg.h. topic is NULL for bare
//  envelopes. Returns 0 or VB_ENOTFOUND, VB_EVERSION, VB_EPERM.

static int
s_check_envelope (const Venuebus__Envelope *envelope, const vb_topic_t *topic)
{
    if (!envelope->header)
        return VB_ENOTFOUND;
    if (envelope->body_case == VENUEBUS__ENVELOPE__BODY__NOT_SET) {
        //  A body field this build does not know lands among the unknown fields.
        for (unsigned index = 0; index < envelope->base.n_unknown_fields; index++)
            if (envelope->base.unknown_fields[index].tag >= S_BODY_FIRST_FIELD)
                return VB_EVERSION;
        return VB_ENOTFOUND;
    }
    const s_body_rule_t *rule = s_body_rule (envelope->body_case);
    if (!rule)
        return VB_EVERSION;
    if (!topic)
        return 0;
    if (rule->domain != topic->domain)
        return VB_EPERM;
    if (topic->domain != VB_TOPIC_DOMAIN_MD)
        return 0;
    if (rule->kind != topic->kind || !s_same (envelope->header->venue, topic->venue) ||
        !s_same (envelope->header->symbol, topic->symbol))
        return VB_EPERM;
    if (topic->kind == VB_TOPIC_KIND_CANDLE && envelope->candle &&
        !s_same (envelope->candle->interval, topic->interval))
        return VB_EPERM;
    return 0;
}

//  --------------------------------------------------------------------------
//  Everything encoding needs before packing: parse the topic (NULL for bare
//  frames), check the envelope, and compute the prefix length (topic + NUL)
//  and an upper bound of the payload. Returns 0 or a negative code.

static int
s_prepare (const char *topic, const Venuebus__Envelope *envelope, size_t *prefix, size_t *bound)
{
    *prefix = 0;
    *bound = 0;
    vb_topic_t view;
    if (topic) {
        size_t topic_length = strnlen (topic, VB_TOPIC_MAX + 1);
        int rc = vb_topic_parse (topic, topic_length, &view);
        if (rc != 0)
            return rc;
        *prefix = topic_length + 1;
    }
    if (envelope->base.descriptor != &venuebus__envelope__descriptor)
        return VB_ETYPE;
    //  Walk first: it reports a set case with a NULL body as missing.
    int rc = s_walk (&envelope->base, bound);
    if (rc == 0)
        rc = s_check_envelope (envelope, topic ? &view : NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  Exact size of the frame, or VB_ELIMIT when it is over VB_MSG_FRAME_MAX.

static int
s_exact_size (const Venuebus__Envelope *envelope, size_t prefix, size_t *size)
{
    size_t payload = venuebus__envelope__get_packed_size (envelope);
    if (payload > VB_MSG_FRAME_MAX - prefix)
        return VB_ELIMIT;
    *size = prefix + payload;
    return 0;
}

//  --------------------------------------------------------------------------
//  Write topic, NUL and envelope into buffer, which the caller has checked
//  is large enough. Returns the frame length.

static size_t
s_pack (const char *topic, size_t prefix, const Venuebus__Envelope *envelope, uint8_t *buffer)
{
    if (prefix) {
        memcpy (buffer, topic, prefix - 1);
        buffer[prefix - 1] = S_TOPIC_END;
    }
    return prefix + venuebus__envelope__pack (envelope, buffer + prefix);
}

//  --------------------------------------------------------------------------
//  Encode into a caller buffer, framed or bare.

static int
s_encode (const char *topic, const Venuebus__Envelope *envelope, uint8_t *buffer, size_t size)
{
    assert (envelope);
    assert (buffer || size == 0);
    size_t prefix, bound;
    int rc = s_prepare (topic, envelope, &prefix, &bound);
    if (rc != 0)
        return rc;
    if (prefix >= size || bound > size - prefix) {
        size_t exact;
        rc = s_exact_size (envelope, prefix, &exact);
        if (rc != 0)
            return rc;
        if (exact > size)
            return VB_ETRUNC;
    }
    size_t length = s_pack (topic, prefix, envelope, buffer);
    if (length > VB_MSG_FRAME_MAX)
        return VB_ELIMIT;
    return (int)length;
}

//  --------------------------------------------------------------------------
//  Encode a bus frame.

int
vb_msg_encode (const char *topic, const Venuebus__Envelope *envelope, uint8_t *buffer, size_t size)
{
    if (!topic)
        return VB_EINVAL;
    return s_encode (topic, envelope, buffer, size);
}

//  --------------------------------------------------------------------------
//  Encode a router frame.

int
vb_msg_encode_bare (const Venuebus__Envelope *envelope, uint8_t *buffer, size_t size)
{
    return s_encode (NULL, envelope, buffer, size);
}

//  --------------------------------------------------------------------------
//  Map a libzmq failure, with errno read right after the call.

static int
s_zmq_error (int error)
{
    return error == EAGAIN || error == EINTR ? VB_EAGAIN : VB_EIO;
}

//  --------------------------------------------------------------------------
//  Encode and send, framed or bare. Small frames are packed on the stack and
//  copied once by zmq_send; large ones straight into a ZeroMQ message of
//  exact size.

static int
s_send (void *socket, const char *topic, const Venuebus__Envelope *envelope, int flags)
{
    assert (socket);
    assert (envelope);
    void *handle = zsock_resolve (socket);
    if (!handle)
        return VB_EIO;
    size_t prefix, bound;
    int rc = s_prepare (topic, envelope, &prefix, &bound);
    if (rc != 0)
        return rc;
    if (bound <= S_SEND_STACK - prefix) {
        uint8_t buffer[S_SEND_STACK];
        size_t length = s_pack (topic, prefix, envelope, buffer);
        if (zmq_send (handle, buffer, length, flags) < 0)
            return s_zmq_error (errno);
        return 0;
    }
    size_t exact;
    rc = s_exact_size (envelope, prefix, &exact);
    if (rc != 0)
        return rc;
    zmq_msg_t message;
    if (zmq_msg_init_size (&message, exact) != 0)
        return VB_ENOMEM;
    s_pack (topic, prefix, envelope, (uint8_t *)zmq_msg_data (&message));
    if (zmq_msg_send (&message, handle, flags) < 0) {
        int error = errno;
        zmq_msg_close (&message);
        return s_zmq_error (error);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Send a bus frame.

int
vb_msg_send (void *socket, const char *topic, const Venuebus__Envelope *envelope, int flags)
{
    if (!topic)
        return VB_EINVAL;
    return s_send (socket, topic, envelope, flags);
}

//  --------------------------------------------------------------------------
//  Send a router frame.

int
vb_msg_send_bare (void *socket, const Venuebus__Envelope *envelope, int flags)
{
    return s_send (socket, NULL, envelope, flags);
}

//  --------------------------------------------------------------------------
//  Subscribe to one topic and its NUL.

int
vb_msg_subscribe_exact (void *socket, const char *topic)
{
    assert (socket);
    if (!topic)
        return VB_EINVAL;
    size_t length = strnlen (topic, VB_TOPIC_MAX + 1);
    vb_topic_t view;
    int rc = vb_topic_parse (topic, length, &view);
    if (rc != 0)
        return rc;
    void *handle = zsock_resolve (socket);
    //  The string's own NUL is the frame's topic terminator.
    if (!handle || zmq_setsockopt (handle, ZMQ_SUBSCRIBE, topic, length + 1) != 0)
        return VB_EIO;
    return 0;
}

//  --------------------------------------------------------------------------
//  Clear the topic of a failed decode and pass its code on.

static int
s_forget (vb_msg_t *self, int rc)
{
    self->topic[0] = '\0';
    memset (&self->topic_view, 0, sizeof (self->topic_view));
    return rc;
}

//  --------------------------------------------------------------------------
//  Decode a frame (framed: topic, NUL, envelope) or a bare envelope.

static int
s_decode (vb_msg_t *self, const uint8_t *data, size_t size, bool framed)
{
    assert (self);
    int rc = s_arena_reset (self);
    if (rc != 0)
        return rc;
    if (!data || size == 0)
        return VB_ETRUNC;
    if (size > VB_MSG_FRAME_MAX)
        return VB_ELIMIT;
    size_t prefix = 0;
    if (framed) {
        size_t scan = size < VB_TOPIC_MAX + 1 ? size : VB_TOPIC_MAX + 1;
        const uint8_t *end = (const uint8_t *)memchr (data, S_TOPIC_END, scan);
        if (!end)
            return size <= VB_TOPIC_MAX ? VB_ETRUNC : VB_ELIMIT;
        //  Parse the topic from our own copy, so the view's slices stay valid
        //  whatever happens to the caller's frame.
        size_t topic_length = (size_t)(end - data);
        memcpy (self->topic, data, topic_length);
        self->topic[topic_length] = '\0';
        rc = vb_topic_parse (self->topic, topic_length, &self->topic_view);
        if (rc != 0)
            return s_forget (self, rc);
        prefix = topic_length + 1;
    }
    Venuebus__Envelope *envelope =
        venuebus__envelope__unpack (&self->allocator, size - prefix, data + prefix);
    if (!envelope) {
        if (self->over_limit)
            return s_forget (self, VB_ELIMIT);
        if (self->out_of_memory)
            return s_forget (self, VB_ENOMEM);
        return s_forget (self, VB_ETYPE);
    }
    size_t bound = 0;
    rc = s_walk (&envelope->base, &bound);
    if (rc == 0)
        rc = s_check_envelope (envelope, framed ? &self->topic_view : NULL);
    if (rc != 0)
        return s_forget (self, rc);
    self->envelope = envelope;
    return 0;
}

//  --------------------------------------------------------------------------
//  Decode a bus frame.

int
vb_msg_decode (vb_msg_t *self, const uint8_t *frame, size_t size)
{
    return s_decode (self, frame, size, true);
}

//  --------------------------------------------------------------------------
//  Decode a router frame.

int
vb_msg_decode_bare (vb_msg_t *self, const uint8_t *data, size_t size)
{
    return s_decode (self, data, size, false);
}

//  --------------------------------------------------------------------------
//  Receive one part into the decoder's message and decode it in place.

static int
s_recv (vb_msg_t *self, void *socket, int flags, bool framed)
{
    assert (self);
    assert (socket);
    void *handle = zsock_resolve (socket);
    if (!handle)
        return VB_EIO;
    if (zmq_msg_recv (&self->message, handle, flags) < 0) {
        int rc = s_zmq_error (errno);
        s_arena_reset (self);
        return rc;
    }
    return s_decode (self, (const uint8_t *)zmq_msg_data (&self->message),
                     zmq_msg_size (&self->message), framed);
}

//  --------------------------------------------------------------------------
//  Receive a bus frame.

int
vb_msg_recv (vb_msg_t *self, void *socket, int flags)
{
    return s_recv (self, socket, flags, true);
}

//  --------------------------------------------------------------------------
//  Receive a router frame.

int
vb_msg_recv_bare (vb_msg_t *self, void *socket, int flags)
{
    return s_recv (self, socket, flags, false);
}

//  --------------------------------------------------------------------------
//  Accessors.

const Venuebus__Envelope *
vb_msg_envelope (vb_msg_t *self)
{
    assert (self);
    return self->envelope;
}

const char *
vb_msg_topic (vb_msg_t *self)
{
    assert (self);
    return self->topic;
}

const vb_topic_t *
vb_msg_topic_view (vb_msg_t *self)
{
    assert (self);
    return &self->topic_view;
}

size_t
vb_msg_arena_mallocs (vb_msg_t *self)
{
    assert (self);
    return self->mallocs;
}

//  --------------------------------------------------------------------------
//  Decimal -> wire.

void
vb_msg_decimal_set (Venuebus__Decimal *out, vb_decimal_t value)
{
    assert (out);
    venuebus__decimal__init (out);
    out->mantissa = value.mantissa;
    out->exponent = value.exponent;
}

//  --------------------------------------------------------------------------
//  Wire -> decimal, with the exponent range vb_decimal accepts.

int
vb_msg_decimal_get (const Venuebus__Decimal *in, vb_decimal_t *out)
{
    assert (out);
    if (!in)
        return VB_ENOTFOUND;
    if (in->exponent < VB_DECIMAL_EXPONENT_MIN || in->exponent > VB_DECIMAL_EXPONENT_MAX)
        return VB_EOVERFLOW;
    out->mantissa = in->mantissa;
    out->exponent = in->exponent;
    return 0;
}

//  --------------------------------------------------------------------------
//  Name of a body case.

const char *
vb_msg_body_name (Venuebus__Envelope__BodyCase body_case)
{
    const s_body_rule_t *rule = s_body_rule (body_case);
    return rule ? rule->name : NULL;
}
