/*  fuzz_msg.c — arbitrary bytes into vb_msg decoding, framed and bare.

    Every input must come back as 0 or a negative VB_E* code, never a crash
    or a sanitizer report. Whatever decodes must encode again (encode and
    decode check the same rules), and the re-encoded frame must decode to the
    same body case and topic.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "vb_msg.h"
#include "vb_error.h"

static vb_msg_t *s_decoder;
static vb_msg_t *s_checker;
static uint8_t s_buffer[VB_MSG_FRAME_MAX];

//  --------------------------------------------------------------------------
//  Re-encode what s_decoder holds and check it decodes the same way.

static void
s_reencode (bool framed)
{
    const Venuebus__Envelope *envelope = vb_msg_envelope (s_decoder);
    if (!envelope)
        abort ();
    int length =
        framed ? vb_msg_encode (vb_msg_topic (s_decoder), envelope, s_buffer, sizeof (s_buffer))
               : vb_msg_encode_bare (envelope, s_buffer, sizeof (s_buffer));
    if (length <= 0)
        abort ();
    int rc = framed ? vb_msg_decode (s_checker, s_buffer, (size_t)length)
                    : vb_msg_decode_bare (s_checker, s_buffer, (size_t)length);
    if (rc != 0)
        abort ();
    if (vb_msg_envelope (s_checker)->body_case != envelope->body_case)
        abort ();
    if (strcmp (vb_msg_topic (s_checker), vb_msg_topic (s_decoder)) != 0)
        abort ();
}

//  --------------------------------------------------------------------------
//  libFuzzer entry point.

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_decoder) {
        s_decoder = vb_msg_new ();
        s_checker = vb_msg_new ();
        if (!s_decoder || !s_checker)
            abort ();
    }
    //  Copy into an exact-size block so ASan flags any read past the end.
    uint8_t *copy = (uint8_t *)malloc (size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy (copy, data, size);

    int rc = vb_msg_decode (s_decoder, copy, size);
    if (rc > 0)
        abort ();
    if (rc == 0)
        s_reencode (true);

    rc = vb_msg_decode_bare (s_decoder, copy, size);
    if (rc > 0)
        abort ();
    if (rc == 0)
        s_reencode (false);

    free (copy);
    return 0;
}
