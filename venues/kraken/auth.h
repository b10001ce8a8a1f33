/*  auth.h — Kraken REST request signing and verification (API-Sign).

    Shared by the router (signing) and the simulator (verifying). Facts from
    venues.md 3.5:
    - API-Sign = base64 (HMAC-SHA512 (key = base64decode (secret),
      message = URI path || SHA256 (nonce || POST data))), where the path is
      the part from "/0/private/...", the SHA-256 is the raw 32-byte digest,
      nonce is the nonce exactly as it appears in the body, and POST data is
      the body exactly as sent (form or JSON);
    - headers API-Key and API-Sign; the nonce is a strictly increasing
      unsigned 64-bit integer per key.
    Signers are vb_hmac_t objects (libcommon), keyed once per secret with the
    decoded bytes, which are wiped at once. Nothing here logs, and nothing
    keeps a copy of a secret.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_KRAKEN_AUTH_H_INCLUDED
#define VB_KRAKEN_AUTH_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vb_hmac.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Base64 HMAC-SHA512 signature text, with its NUL (88 characters + 1).
#define VB_KRAKEN_SIGNATURE_SIZE VB_BASE64_SIZE (VB_SHA512_SIZE)
//  Longest secret accepted, in base64 characters (Kraken issues 88).
#define VB_KRAKEN_SECRET_TEXT_MAX 512
//  Most digits in a nonce (UINT64_MAX has 20).
#define VB_KRAKEN_NONCE_DIGITS_MAX 20

//  Create a signer from a secret as Kraken issues it (standard base64 of the
//  key bytes, decoded strictly). Returns NULL for NULL, empty, malformed or
//  oversize text, or an OpenSSL failure. Destroy it with vb_hmac_destroy.
vb_hmac_t *vb_kraken_signer_new (const char *secret);

//  Sign a private REST request: API-Sign for `path` ("/0/private/AddOrder"),
//  `nonce` (its text as in the body) and `postdata` (the body as sent) into
//  out (at least VB_KRAKEN_SIGNATURE_SIZE), NUL-terminated. nonce and
//  postdata may be NULL with length 0. Returns the text length (88),
//  VB_ETRUNC when out is too small, VB_EINVAL for bad arguments or a signer
//  that is not HMAC-SHA512, VB_EOVERFLOW for oversize input.
int vb_kraken_sign (vb_hmac_t *signer, const char *path, const char *nonce, size_t nonce_length,
                    const char *postdata, size_t postdata_length, char *out, size_t out_size);

//  Verify a received API-Sign (signature_length bytes of base64) as the venue
//  does: recompute and compare the raw MACs in constant time. Returns 0 when
//  it verifies, VB_EAUTH when it does not (including signature text that is
//  not strict base64 of exactly 64 bytes), or vb_kraken_sign's errors.
int vb_kraken_verify (vb_hmac_t *signer, const char *path, const char *nonce, size_t nonce_length,
                      const char *postdata, size_t postdata_length, const char *signature,
                      size_t signature_length);

//  Parse a nonce: 1 to VB_KRAKEN_NONCE_DIGITS_MAX decimal digits, no sign,
//  no dot, no white space. Returns 0, VB_EINVAL, or VB_EOVERFLOW above
//  UINT64_MAX.
int vb_kraken_parse_nonce (const char *text, size_t length, uint64_t *nonce);

//  Find the raw (still percent-encoded) value of the first `name` parameter
//  in a form-urlencoded text (name=value&name=value). Returns 0 with value
//  and value_length set (pointing into text), VB_ENOTFOUND, or VB_EINVAL for
//  NULL arguments.
int vb_kraken_form_value (const char *text, size_t length, const char *name, const char **value,
                          size_t *value_length);

#ifdef __cplusplus
}
#endif
#endif
