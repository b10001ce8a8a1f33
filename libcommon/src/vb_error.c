/*  vb_error.c — text for the VB_E* codes.
    SPDX-License-Identifier: MPL-2.0
*/
#include "vb_error.h"

typedef struct {
    int code;          //  VB_E* value
    const char *text;  //  What it means
} s_error_text_t;

static const s_error_text_t s_texts[] = {
    {VB_OK, "success"},
    {VB_EINVAL, "malformed input"},
    {VB_EOVERFLOW, "value out of range"},
    {VB_ETRUNC, "input truncated or buffer too small"},
    {VB_ENOTFOUND, "not found"},
    {VB_ETYPE, "wrong type"},
    {VB_ECHECKSUM, "checksum mismatch"},
    {VB_ESEQ, "sequence gap"},
    {VB_ECROSSED, "crossed book"},
    {VB_ELIMIT, "limit exceeded"},
    {VB_ENOMEM, "out of memory"},
    {VB_EIO, "i/o error"},
    {VB_EAUTH, "authentication failed"},
    {VB_EPERM, "permission denied"},
    {VB_EVERSION, "unknown version"},
    {VB_EAGAIN, "try again later"},
    {VB_ESTATE, "invalid state"},
    {VB_ETAMPERED, "data tampered or corrupted"},
    {VB_EEXIST, "already exists"},
};

//  --------------------------------------------------------------------------
//  Look the code up in the table.

const char *
vb_strerror (int code)
{
    for (unsigned i = 0; i < sizeof (s_texts) / sizeof (s_texts[0]); i++)
        if (s_texts[i].code == code)
            return s_texts[i].text;
    return "unknown error";
}
