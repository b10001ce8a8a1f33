/*  vb_hmac.h — request signing: keyed HMAC signers, SHA-256, hex and base64.

    Venues sign requests with HMAC over a venue-specific payload: Binance and
    Bybit want HMAC-SHA256 as lowercase hex, OKX wants HMAC-SHA256 as base64,
    Kraken wants HMAC-SHA512 as base64 over path || SHA256(nonce || postdata)
    with a base64-decoded secret. This class provides the generic pieces; the
    venue adapters (venues/<venue>/auth.c) compose them.

    A signer is keyed once and reused: OpenSSL 3's one-shot HMAC() costs about
    7x a kept context (performance.md 3.7), so create one signer per secret and
    keep it. The signer holds the key only inside OpenSSL's MAC context, which
    OpenSSL wipes when the signer is destroyed. Nothing here ever logs; never
    log a key, a secret or a signature either.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_HMAC_H_INCLUDED
#define VB_HMAC_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    VB_HMAC_UNSET = 0,   //  Reserved
    VB_HMAC_SHA256 = 1,  //  HMAC-SHA256: Binance, Bybit, OKX
    VB_HMAC_SHA512 = 2,  //  HMAC-SHA512: Kraken
} vb_hmac_digest_t;

#define VB_SHA256_SIZE   32  //  Bytes in a SHA-256 digest
#define VB_SHA512_SIZE   64  //  Bytes in a SHA-512 digest
#define VB_HMAC_MAX_SIZE 64  //  Largest raw MAC any signer produces
//  Buffer sizes, with the NUL, for the hex and base64 text of n raw bytes.
#define VB_HEX_SIZE(n)    (2 * (size_t)(n) + 1)
#define VB_BASE64_SIZE(n) ((((size_t)(n) + 2) / 3) * 4 + 1)
#define VB_HMAC_TEXT_MAX  VB_HEX_SIZE (VB_HMAC_MAX_SIZE)  //  Fits any hex or base64 MAC
//  Inputs longer than this are refused with VB_EOVERFLOW, so lengths fit an int.
#define VB_HMAC_INPUT_MAX ((size_t)1 << 28)

//  One piece of a message signed or hashed in several parts (no copy needed).
typedef struct {
    const void *data;  //  May be NULL only when size is 0
    size_t size;       //  Bytes at data
} vb_bytes_t;

typedef struct _vb_hmac_t vb_hmac_t;

//  Create a signer for `digest` keyed with key_size bytes at key (the secret
//  exactly as the venue wants it: the ASCII secret for Binance and OKX, the
//  base64-decoded bytes for Kraken). The key is copied into OpenSSL; the
//  caller keeps ownership of its buffer and should wipe it when done. An empty
//  key is allowed (RFC 2104). Returns NULL for an unknown digest, key NULL
//  with key_size > 0, a key over VB_HMAC_INPUT_MAX, or an OpenSSL failure.
vb_hmac_t *vb_hmac_new (vb_hmac_digest_t digest, const void *key, size_t key_size);

//  Destroy the signer; OpenSSL wipes the key. Sets *self_p to NULL; safe to
//  call twice.
void vb_hmac_destroy (vb_hmac_t **self_p);

//  Raw MAC length in bytes for this signer (32 or 64).
size_t vb_hmac_size (vb_hmac_t *self);

//  MAC of message_size bytes at message into out as raw bytes. Returns the
//  number of bytes written, VB_ETRUNC if out_size is below vb_hmac_size,
//  VB_EINVAL for message NULL with a size, VB_EOVERFLOW for a message over
//  VB_HMAC_INPUT_MAX, or VB_EIO if OpenSSL fails. out is not NUL-terminated.
int vb_hmac_sign_raw (vb_hmac_t *self, const void *message, size_t message_size, uint8_t *out,
                      size_t out_size);

//  The same MAC over the concatenation of `count` parts, without copying them.
//  Same returns as vb_hmac_sign_raw.
int vb_hmac_sign_parts_raw (vb_hmac_t *self, const vb_bytes_t *parts, size_t count, uint8_t *out,
                            size_t out_size);

//  MAC as NUL-terminated lowercase hex (Binance, Bybit). out_size must be at
//  least VB_HEX_SIZE (vb_hmac_size). Returns the text length, or the codes of
//  vb_hmac_sign_raw (VB_ETRUNC when out is too small; out is then "").
int vb_hmac_sign_hex (vb_hmac_t *self, const void *message, size_t message_size, char *out,
                      size_t out_size);

//  MAC as NUL-terminated standard base64 with padding (OKX, Kraken). out_size
//  must be at least VB_BASE64_SIZE (vb_hmac_size). Returns as vb_hmac_sign_hex.
int vb_hmac_sign_base64 (vb_hmac_t *self, const void *message, size_t message_size, char *out,
                         size_t out_size);

//  SHA-256 of size bytes at data into out (32 bytes). Returns VB_SHA256_SIZE,
//  VB_EINVAL, VB_EOVERFLOW or VB_EIO as above.
int vb_sha256 (const void *data, size_t size, uint8_t out[VB_SHA256_SIZE]);

//  SHA-256 over the concatenation of `count` parts (Kraken's nonce || postdata).
int vb_sha256_parts (const vb_bytes_t *parts, size_t count, uint8_t out[VB_SHA256_SIZE]);

//  Encode size bytes as NUL-terminated lowercase hex. out_size must be at
//  least VB_HEX_SIZE (size). Returns the text length, VB_ETRUNC (out is then
//  "" if out_size > 0), VB_EINVAL or VB_EOVERFLOW.
int vb_hex_encode (const void *data, size_t size, char *out, size_t out_size);

//  Encode size bytes as NUL-terminated standard base64 (RFC 4648 section 4,
//  alphabet A-Z a-z 0-9 + /, '=' padding). out_size must be at least
//  VB_BASE64_SIZE (size). Returns as vb_hex_encode.
int vb_base64_encode (const void *data, size_t size, char *out, size_t out_size);

//  Decode text_size bytes of standard base64, strictly: the length must be a
//  multiple of 4, only the RFC 4648 section 4 alphabet is accepted (no
//  whitespace, no URL-safe alphabet), '=' may appear only as one or two final
//  padding characters, and the bits padding leaves unused must be zero (the
//  encoding is canonical). Writes the bytes to out (not NUL-terminated) and
//  returns their count; VB_EINVAL for any violation, VB_ETRUNC if out_size is
//  too small (need 3 * text_size / 4 at most), VB_EOVERFLOW for oversize
//  input. On error, out may hold partial bytes; wipe it if it held a secret.
int vb_base64_decode (const char *text, size_t text_size, uint8_t *out, size_t out_size);

//  Compare size bytes in constant time (for checking a received signature).
//  True when equal.
bool vb_hmac_equal (const void *a, const void *b, size_t size);

//  Wipe size bytes at data (a secret or a decoded key) so the compiler cannot
//  skip it. data may be NULL when size is 0.
void vb_hmac_wipe (void *data, size_t size);

#ifdef __cplusplus
}
#endif
#endif
