/*  auth.c — Binance request signing and verification (HMAC-SHA256 keys).

    See auth.h for the rules, restated from venues.md 1.5.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdlib.h>
#include <string.h>
#include "vb_error.h"
#include "auth.h"

#define S_SIGNATURE_NAME    "signature"  //  The parameter carrying the signature
#define S_SIGNATURE_HEX_LEN 64           //  Hex digits in an HMAC-SHA256 signature
#define S_PAYLOAD_MAX       65536        //  Largest REST payload the verifier accepts
#define S_MS_DIGITS_MAX     15           //  More digits than this: microseconds
#define S_INTEGER_DIGITS    18           //  Digits that always fit an int64
#define S_US_PER_MS         1000         //  Microseconds per millisecond
#define S_RECV_DECIMALS_MAX 3            //  recvWindow decimals (microsecond precision)
#define S_WS_PARAMS_MAX     64           //  Params a WS API request may carry

//  --------------------------------------------------------------------------
//  Create a signer for an HMAC secret.

vb_hmac_t *
vb_binance_signer_new (const char *secret)
{
    if (!secret)
        return NULL;
    return vb_hmac_new (VB_HMAC_SHA256, secret, strlen (secret));
}

//  --------------------------------------------------------------------------
//  Hex HMAC of two parts.

static int
s_sign_two (vb_hmac_t *signer, const char *first, size_t first_length, const char *second,
            size_t second_length, char *out, size_t out_size)
{
    if (!signer || !out)
        return VB_EINVAL;
    if (out_size < VB_BINANCE_SIGNATURE_SIZE) {
        if (out_size > 0)
            out[0] = 0;
        return VB_ETRUNC;
    }
    vb_bytes_t parts[2] = {{first, first_length}, {second, second_length}};
    uint8_t mac[VB_SHA256_SIZE];
    int rc = vb_hmac_sign_parts_raw (signer, parts, 2, mac, sizeof (mac));
    if (rc < 0) {
        out[0] = 0;
        return rc;
    }
    return vb_hex_encode (mac, (size_t)rc, out, out_size);
}

//  --------------------------------------------------------------------------
//  Sign a REST request: HMAC over query || body.

int
vb_binance_sign_rest (vb_hmac_t *signer, const char *query, size_t query_length, const char *body,
                      size_t body_length, char *out, size_t out_size)
{
    if ((!query && query_length) || (!body && body_length))
        return VB_EINVAL;
    return s_sign_two (signer, query, query_length, body, body_length, out, out_size);
}

//  --------------------------------------------------------------------------
//  Bytewise order of two names (shorter prefix first).

static int
s_name_cmp (const vb_binance_param_t *a, const vb_binance_param_t *b)
{
    size_t common = a->name_length < b->name_length ? a->name_length : b->name_length;
    int rc = common ? memcmp (a->name, b->name, common) : 0;
    if (rc)
        return rc;
    return (a->name_length > b->name_length) - (a->name_length < b->name_length);
}

static bool
s_is_signature (const vb_binance_param_t *param)
{
    return param->name_length == strlen (S_SIGNATURE_NAME) &&
           memcmp (param->name, S_SIGNATURE_NAME, param->name_length) == 0;
}

//  --------------------------------------------------------------------------
//  Build the WS API signature payload: sorted params except signature.

int
vb_binance_ws_payload (const vb_binance_param_t *params, size_t count, char *out, size_t out_size)
{
    if ((!params && count) || !out || out_size == 0 || count > S_WS_PARAMS_MAX)
        return VB_EINVAL;
    //  Indices sorted by name (insertion sort: count is small)
    size_t order[S_WS_PARAMS_MAX];
    size_t used = 0;
    for (size_t index = 0; index < count; index++) {
        if ((!params[index].name && params[index].name_length) ||
            (!params[index].value && params[index].value_length))
            return VB_EINVAL;
        if (s_is_signature (&params[index]))
            continue;
        size_t slot = used;
        while (slot > 0) {
            int rc = s_name_cmp (&params[order[slot - 1]], &params[index]);
            if (rc == 0)
                return VB_EINVAL;  //  Duplicate name
            if (rc < 0)
                break;
            order[slot] = order[slot - 1];
            slot--;
        }
        if (slot > 0 && s_name_cmp (&params[order[slot - 1]], &params[index]) == 0)
            return VB_EINVAL;
        order[slot] = index;
        used++;
    }
    size_t length = 0;
    for (size_t slot = 0; slot < used; slot++) {
        const vb_binance_param_t *param = &params[order[slot]];
        size_t need = (slot ? 1 : 0) + param->name_length + 1 + param->value_length;
        if (length + need + 1 > out_size) {
            out[0] = 0;
            return VB_ETRUNC;
        }
        if (slot)
            out[length++] = '&';
        if (param->name_length)
            memcpy (out + length, param->name, param->name_length);
        length += param->name_length;
        out[length++] = '=';
        if (param->value_length)
            memcpy (out + length, param->value, param->value_length);
        length += param->value_length;
    }
    out[length] = 0;
    return (int)length;
}

//  --------------------------------------------------------------------------
//  Sign WS API params.

int
vb_binance_sign_ws (vb_hmac_t *signer, const vb_binance_param_t *params, size_t count, char *out,
                    size_t out_size)
{
    char *payload = malloc (S_PAYLOAD_MAX);
    if (!payload)
        return VB_ENOMEM;
    int rc = vb_binance_ws_payload (params, count, payload, S_PAYLOAD_MAX);
    if (rc >= 0)
        rc = s_sign_two (signer, payload, (size_t)rc, NULL, 0, out, out_size);
    free (payload);
    return rc;
}

//  --------------------------------------------------------------------------
//  Constant-time comparison of a received signature with the expected hex.

bool
vb_binance_signature_equal (const char *expected_hex, const char *given, size_t given_length)
{
    if (!expected_hex || !given || given_length != S_SIGNATURE_HEX_LEN ||
        strlen (expected_hex) != S_SIGNATURE_HEX_LEN)
        return false;
    char lower[S_SIGNATURE_HEX_LEN];
    bool hex = true;
    for (size_t index = 0; index < S_SIGNATURE_HEX_LEN; index++) {
        char c = given[index];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        hex &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        lower[index] = c;
    }
    bool equal = vb_hmac_equal (lower, expected_hex, S_SIGNATURE_HEX_LEN);
    return hex && equal;
}

//  --------------------------------------------------------------------------
//  Copy text into out without its `signature=` parameter. Sets *signature
//  and *signature_length when found; counts occurrences in *found. Returns
//  the copied length or VB_ETRUNC.

static int
s_strip_signature (const char *text, char *out, size_t out_size, const char **signature,
                   size_t *signature_length, int *found)
{
    size_t name_length = strlen (S_SIGNATURE_NAME);
    size_t length = 0;
    bool first = true;
    const char *cursor = text;
    while (*cursor) {
        const char *end = strchr (cursor, '&');
        size_t segment = end ? (size_t)(end - cursor) : strlen (cursor);
        if (segment > name_length && cursor[name_length] == '=' &&
            memcmp (cursor, S_SIGNATURE_NAME, name_length) == 0) {
            *signature = cursor + name_length + 1;
            *signature_length = segment - name_length - 1;
            (*found)++;
        } else {
            size_t need = (first ? 0 : 1) + segment;
            if (length + need > out_size)
                return VB_ETRUNC;
            if (!first)
                out[length++] = '&';
            memcpy (out + length, cursor, segment);
            length += segment;
            first = false;
        }
        if (!end)
            break;
        cursor = end + 1;
    }
    return (int)length;
}

//  --------------------------------------------------------------------------
//  Verify a signed REST request.

int
vb_binance_verify_rest (vb_hmac_t *signer, const char *query, const char *body)
{
    if (!signer)
        return VB_EINVAL;
    query = query ? query : "";
    body = body ? body : "";
    if (strlen (query) + strlen (body) > S_PAYLOAD_MAX)
        return VB_EOVERFLOW;
    char *payload = malloc (2 * S_PAYLOAD_MAX);
    if (!payload)
        return VB_ENOMEM;
    const char *signature = NULL;
    size_t signature_length = 0;
    int found = 0;
    int query_length =
        s_strip_signature (query, payload, S_PAYLOAD_MAX, &signature, &signature_length, &found);
    int body_length = query_length < 0
                          ? query_length
                          : s_strip_signature (body, payload + S_PAYLOAD_MAX, S_PAYLOAD_MAX,
                                               &signature, &signature_length, &found);
    int rc = 0;
    if (query_length < 0 || body_length < 0)
        rc = VB_ETRUNC;
    else if (found == 0)
        rc = VB_ENOTFOUND;
    else if (found > 1)
        rc = VB_EINVAL;
    else {
        char expected[VB_BINANCE_SIGNATURE_SIZE];
        rc = s_sign_two (signer, payload, (size_t)query_length, payload + S_PAYLOAD_MAX,
                         (size_t)body_length, expected, sizeof (expected));
        if (rc >= 0)
            rc = vb_binance_signature_equal (expected, signature, signature_length) ? 0 : VB_EAUTH;
    }
    free (payload);
    return rc;
}

//  --------------------------------------------------------------------------
//  Verify WS API params.

int
vb_binance_verify_ws (vb_hmac_t *signer, const vb_binance_param_t *params, size_t count)
{
    if (!signer || (!params && count))
        return VB_EINVAL;
    const vb_binance_param_t *signature = NULL;
    for (size_t index = 0; index < count; index++)
        if (s_is_signature (&params[index])) {
            if (signature)
                return VB_EINVAL;
            signature = &params[index];
        }
    if (!signature)
        return VB_ENOTFOUND;
    char expected[VB_BINANCE_SIGNATURE_SIZE];
    int rc = vb_binance_sign_ws (signer, params, count, expected, sizeof (expected));
    if (rc < 0)
        return rc;
    return vb_binance_signature_equal (expected, signature->value, signature->value_length)
               ? 0
               : VB_EAUTH;
}

//  --------------------------------------------------------------------------
//  Parse a timestamp (ms, or µs when it has 16 digits or more) into µs.

int
vb_binance_parse_timestamp (const char *text, size_t length, int64_t *timestamp_us)
{
    if (!text || !timestamp_us || length == 0 || length > S_INTEGER_DIGITS)
        return VB_EINVAL;
    int64_t value = 0;
    for (size_t index = 0; index < length; index++) {
        if (text[index] < '0' || text[index] > '9')
            return VB_EINVAL;
        value = value * 10 + (text[index] - '0');
    }
    *timestamp_us = length > S_MS_DIGITS_MAX ? value : value * S_US_PER_MS;
    return 0;
}

//  --------------------------------------------------------------------------
//  Parse a recvWindow (ms with up to three decimals) into µs.

int
vb_binance_parse_recv_window (const char *text, size_t length, int64_t *recv_window_us)
{
    if (!text || !recv_window_us || length == 0)
        return VB_EINVAL;
    int64_t whole = 0;
    int64_t fraction = 0;
    int decimals = -1;  //  -1 while before the dot
    size_t digits = 0;
    for (size_t index = 0; index < length; index++) {
        char c = text[index];
        if (c == '.' && decimals < 0 && digits > 0) {
            decimals = 0;
            continue;
        }
        if (c < '0' || c > '9')
            return VB_EINVAL;
        if (decimals >= 0) {
            if (++decimals > S_RECV_DECIMALS_MAX)
                return VB_EINVAL;
            fraction = fraction * 10 + (c - '0');
        } else {
            if (++digits > S_INTEGER_DIGITS - 3)
                return VB_ELIMIT;
            whole = whole * 10 + (c - '0');
        }
    }
    if (decimals == 0)
        return VB_EINVAL;  //  "5000." has no digit after the dot
    for (int pad = decimals < 0 ? 0 : decimals; pad < S_RECV_DECIMALS_MAX; pad++)
        fraction *= 10;
    int64_t value = whole * S_US_PER_MS + fraction;
    if (value > VB_BINANCE_RECV_WINDOW_MAX_US)
        return VB_ELIMIT;
    *recv_window_us = value;
    return 0;
}

//  --------------------------------------------------------------------------
//  The timing rule: timestamp < now + 1000 ms and now - timestamp <= window.

vb_binance_time_t
vb_binance_timestamp_check (int64_t now_us, int64_t timestamp_us, int64_t recv_window_us)
{
    if (timestamp_us >= now_us + VB_BINANCE_TIMESTAMP_LEAD_US)
        return VB_BINANCE_TIME_AHEAD;
    if (now_us - timestamp_us > recv_window_us)
        return VB_BINANCE_TIME_EXPIRED;
    return VB_BINANCE_TIME_OK;
}
