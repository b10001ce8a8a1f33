/*  auth.h — Binance request signing and verification (HMAC-SHA256 keys).

    Shared by the router (signing) and the simulator (verifying). Facts from
    venues.md 1.5:
    - REST: the signed payload is the query string concatenated, without a
      separator, with the application/x-www-form-urlencoded body, exactly as
      sent (non-ASCII already percent-encoded); the signature is the lowercase
      hex HMAC-SHA256 keyed with the ASCII secret, sent as the `signature`
      parameter (query or body). Venues compare it case-insensitively.
    - WS API: the payload is every parameter except `signature`, sorted by
      name, joined as `name=value&...`, raw UTF-8 (no percent-encoding).
    - Timing: accept when timestamp < serverTime + 1000 ms and
      serverTime - timestamp <= recvWindow (default 5000 ms, at most 60000,
      up to three decimals, i.e. microsecond precision).
    Signers are vb_hmac_t objects (libcommon), keyed once per secret. Nothing
    here logs, and nothing keeps a copy of a secret.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_BINANCE_AUTH_H_INCLUDED
#define VB_BINANCE_AUTH_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vb_hmac.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Hex HMAC-SHA256 signature text, with its NUL.
#define VB_BINANCE_SIGNATURE_SIZE VB_HEX_SIZE (VB_SHA256_SIZE)
//  recvWindow default and maximum, in microseconds (venues.md 1.5).
#define VB_BINANCE_RECV_WINDOW_DEFAULT_US INT64_C (5000000)
#define VB_BINANCE_RECV_WINDOW_MAX_US     INT64_C (60000000)
//  A timestamp may lead the server's clock by less than this (1000 ms).
#define VB_BINANCE_TIMESTAMP_LEAD_US INT64_C (1000000)

//  One named parameter (WS API params). Texts need not be NUL-terminated.
typedef struct {
    const char *name;
    size_t name_length;
    const char *value;
    size_t value_length;
} vb_binance_param_t;

//  Outcome of vb_binance_timestamp_check.
typedef enum {
    VB_BINANCE_TIME_OK = 0,
    VB_BINANCE_TIME_AHEAD = 1,    //  -1021 "...was 1000ms ahead of the server's time."
    VB_BINANCE_TIME_EXPIRED = 2,  //  -1021 "...is outside of the recvWindow."
} vb_binance_time_t;

//  Create a signer for an HMAC secret (the ASCII string Binance issues).
//  Returns NULL for a NULL secret or an OpenSSL failure. Destroy it with
//  vb_hmac_destroy.
vb_hmac_t *vb_binance_signer_new (const char *secret);

//  Sign a REST request: HMAC over query || body, as lowercase hex into out
//  (at least VB_BINANCE_SIGNATURE_SIZE). Either text may be NULL with length
//  0. Returns the text length (64), VB_ETRUNC, VB_EINVAL or VB_EOVERFLOW.
int vb_binance_sign_rest (vb_hmac_t *signer, const char *query, size_t query_length,
                          const char *body, size_t body_length, char *out, size_t out_size);

//  Build the WS API signature payload: every param except `signature`, sorted
//  by name (bytewise), joined `name=value&...`. Writes a NUL-terminated text
//  into out and returns its length; VB_ETRUNC when out is too small,
//  VB_EINVAL for a NULL list with a count, or a duplicate name.
int vb_binance_ws_payload (const vb_binance_param_t *params, size_t count, char *out,
                           size_t out_size);

//  Sign WS API params: HMAC over vb_binance_ws_payload, as lowercase hex.
//  Returns as vb_binance_sign_rest (or the payload's errors).
int vb_binance_sign_ws (vb_hmac_t *signer, const vb_binance_param_t *params, size_t count,
                        char *out, size_t out_size);

//  Compare a received signature with the expected lowercase hex in constant
//  time (CRYPTO_memcmp). The received text may use either case; anything
//  that is not exactly 64 hex digits is unequal. True when equal.
bool vb_binance_signature_equal (const char *expected_hex, const char *given, size_t given_length);

//  Verify a signed REST request as the venue does: take the `signature`
//  parameter out of the raw query or form body (exactly one occurrence in
//  all), sign the rest (query || body, each without that parameter) and
//  compare. Returns 0 when it verifies, VB_ENOTFOUND when no signature was
//  sent, VB_EAUTH when it does not match, VB_EINVAL for two signatures, or
//  VB_EOVERFLOW / VB_ETRUNC for oversize input (over 64 KiB in all).
int vb_binance_verify_rest (vb_hmac_t *signer, const char *query, const char *body);

//  Verify WS API params: the `signature` param must be present and match the
//  HMAC of the others. Returns 0, VB_ENOTFOUND, VB_EAUTH, or the payload's
//  errors.
int vb_binance_verify_ws (vb_hmac_t *signer, const vb_binance_param_t *params, size_t count);

//  Parse a `timestamp` parameter (decimal integer milliseconds, or
//  microseconds when 16 digits or more) into microseconds. Returns 0 or
//  VB_EINVAL for anything else (sign, dot, empty, over 20 digits).
int vb_binance_parse_timestamp (const char *text, size_t length, int64_t *timestamp_us);

//  Parse a `recvWindow` parameter: milliseconds with up to three decimals,
//  into microseconds. Returns 0, VB_EINVAL for malformed text or more than
//  three decimals, or VB_ELIMIT when above VB_BINANCE_RECV_WINDOW_MAX_US.
int vb_binance_parse_recv_window (const char *text, size_t length, int64_t *recv_window_us);

//  Apply the timing rule to a request's timestamp at server time now_us.
vb_binance_time_t vb_binance_timestamp_check (int64_t now_us, int64_t timestamp_us,
                                              int64_t recv_window_us);

#ifdef __cplusplus
}
#endif
#endif
