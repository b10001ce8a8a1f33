/*  auth.c — Kraken REST request signing and verification (API-Sign).

    See auth.h. The message is path || SHA256 (nonce || postdata); both
    parts go to the signer without a copy (vb_hmac_sign_parts_raw).
    SPDX-License-Identifier: MPL-2.0
*/
#include <string.h>
#include "vb_error.h"
#include "auth.h"

//  Decoded key bytes a secret of VB_KRAKEN_SECRET_TEXT_MAX characters can hold.
#define S_SECRET_BYTES_MAX (VB_KRAKEN_SECRET_TEXT_MAX / 4 * 3)

//  --------------------------------------------------------------------------
//  Create a signer from a base64 secret.

vb_hmac_t *
vb_kraken_signer_new (const char *secret)
{
    if (!secret)
        return NULL;
    size_t length = strnlen (secret, VB_KRAKEN_SECRET_TEXT_MAX + 1);
    if (length == 0 || length > VB_KRAKEN_SECRET_TEXT_MAX)
        return NULL;
    uint8_t key[S_SECRET_BYTES_MAX];
    int key_size = vb_base64_decode (secret, length, key, sizeof (key));
    vb_hmac_t *signer = NULL;
    if (key_size > 0)
        signer = vb_hmac_new (VB_HMAC_SHA512, key, (size_t)key_size);
    vb_hmac_wipe (key, sizeof (key));
    return signer;
}

//  --------------------------------------------------------------------------
//  The raw MAC of path || SHA256 (nonce || postdata) into mac (64 bytes).

static int
s_mac (vb_hmac_t *signer, const char *path, const char *nonce, size_t nonce_length,
       const char *postdata, size_t postdata_length, uint8_t mac[VB_SHA512_SIZE])
{
    if (!signer || !path || (!nonce && nonce_length) || (!postdata && postdata_length))
        return VB_EINVAL;
    if (vb_hmac_size (signer) != VB_SHA512_SIZE)
        return VB_EINVAL;
    uint8_t digest[VB_SHA256_SIZE];
    vb_bytes_t inner[2] = {{nonce, nonce_length}, {postdata, postdata_length}};
    int rc = vb_sha256_parts (inner, 2, digest);
    if (rc < 0)
        return rc;
    vb_bytes_t outer[2] = {{path, strlen (path)}, {digest, sizeof (digest)}};
    rc = vb_hmac_sign_parts_raw (signer, outer, 2, mac, VB_SHA512_SIZE);
    return rc < 0 ? rc : 0;
}

//  --------------------------------------------------------------------------
//  Sign a private REST request into base64 text.

int
vb_kraken_sign (vb_hmac_t *signer, const char *path, const char *nonce, size_t nonce_length,
                const char *postdata, size_t postdata_length, char *out, size_t out_size)
{
    if (!out)
        return VB_EINVAL;
    if (out_size > 0)
        out[0] = 0;
    if (out_size < VB_KRAKEN_SIGNATURE_SIZE)
        return VB_ETRUNC;
    uint8_t mac[VB_SHA512_SIZE];
    int rc = s_mac (signer, path, nonce, nonce_length, postdata, postdata_length, mac);
    if (rc < 0)
        return rc;
    return vb_base64_encode (mac, sizeof (mac), out, out_size);
}

//  --------------------------------------------------------------------------
//  Verify a received API-Sign in constant time.

int
vb_kraken_verify (vb_hmac_t *signer, const char *path, const char *nonce, size_t nonce_length,
                  const char *postdata, size_t postdata_length, const char *signature,
                  size_t signature_length)
{
    uint8_t expected[VB_SHA512_SIZE];
    int rc = s_mac (signer, path, nonce, nonce_length, postdata, postdata_length, expected);
    if (rc < 0)
        return rc;
    if (!signature || signature_length != VB_KRAKEN_SIGNATURE_SIZE - 1)
        return VB_EAUTH;
    //  Strict base64 of 64 bytes decodes to exactly 64 bytes; one spare byte
    //  of room keeps a longer decode from being a truncation error.
    uint8_t given[VB_SHA512_SIZE + 2];
    int given_size = vb_base64_decode (signature, signature_length, given, sizeof (given));
    if (given_size != VB_SHA512_SIZE)
        return VB_EAUTH;
    return vb_hmac_equal (expected, given, VB_SHA512_SIZE) ? 0 : VB_EAUTH;
}

//  --------------------------------------------------------------------------
//  Parse a nonce: decimal digits only, fitting uint64.

int
vb_kraken_parse_nonce (const char *text, size_t length, uint64_t *nonce)
{
    if (!text || !nonce || length == 0 || length > VB_KRAKEN_NONCE_DIGITS_MAX)
        return VB_EINVAL;
    uint64_t value = 0;
    for (size_t index = 0; index < length; index++) {
        char digit = text[index];
        if (digit < '0' || digit > '9')
            return VB_EINVAL;
        uint64_t add = (uint64_t)(digit - '0');
        if (value > (UINT64_MAX - add) / 10)
            return VB_EOVERFLOW;
        value = value * 10 + add;
    }
    *nonce = value;
    return 0;
}

//  --------------------------------------------------------------------------
//  The raw value of the first `name` parameter of a form text.

int
vb_kraken_form_value (const char *text, size_t length, const char *name, const char **value,
                      size_t *value_length)
{
    if (!text || !name || !value || !value_length)
        return VB_EINVAL;
    size_t name_length = strlen (name);
    size_t start = 0;
    while (start <= length) {
        const char *end_p = memchr (text + start, '&', length - start);
        size_t end = end_p ? (size_t)(end_p - text) : length;
        const char *pair = text + start;
        size_t pair_length = end - start;
        if (pair_length > name_length && memcmp (pair, name, name_length) == 0 &&
            pair[name_length] == '=') {
            *value = pair + name_length + 1;
            *value_length = pair_length - name_length - 1;
            return 0;
        }
        if (pair_length == name_length && memcmp (pair, name, name_length) == 0) {
            *value = pair + name_length;  //  "name" alone: empty value
            *value_length = 0;
            return 0;
        }
        if (!end_p)
            break;
        start = end + 1;
    }
    return VB_ENOTFOUND;
}
