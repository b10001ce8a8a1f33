/*  vb_error.h — negative VB_E* codes returned by libcommon, and their text.

    Pure libcommon classes never log; they return one of these codes and the
    caller that detects the failure logs it once (house style 3.6, 3.7).
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_ERROR_H_INCLUDED
#define VB_ERROR_H_INCLUDED

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VB_OK = 0,
    VB_EINVAL = -1,      //  Malformed input: not a number, bad syntax, bad field
    VB_EOVERFLOW = -2,   //  A value does not fit its type or scale
    VB_ETRUNC = -3,      //  Input ended early, or a buffer is too small
    VB_ENOTFOUND = -4,   //  A key, field or level is absent
    VB_ETYPE = -5,       //  A field has the wrong type
    VB_ECHECKSUM = -6,   //  A checksum did not match
    VB_ESEQ = -7,        //  A sequence number jumped, repeated or went back
    VB_ECROSSED = -8,    //  A book's best bid is at or above its best ask
    VB_ELIMIT = -9,      //  A configured limit (depth, size, count) was passed
    VB_ENOMEM = -10,     //  Allocation failed
    VB_EIO = -11,        //  A system call failed; see the log line at the failure
    VB_EAUTH = -12,      //  Authentication failed: wrong passphrase or tampered data
    VB_EPERM = -13,      //  Permission or mode is wrong
    VB_EVERSION = -14,   //  Unknown format version
    VB_EAGAIN = -15,     //  Not now: retry later (rate limit, queue full)
    VB_ESTATE = -16,     //  Not allowed in the object's current state
    VB_ETAMPERED = -17,  //  Data fails its integrity check: altered or corrupted
    VB_EEXIST = -18,     //  Already exists: duplicate key, entry or file
} vb_error_t;

//  Return a short English description of a VB_E* code (or "unknown error").
//  The string is static; never free it.
const char *vb_strerror (int code);

#ifdef __cplusplus
}
#endif
#endif
