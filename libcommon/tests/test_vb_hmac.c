/*  test_vb_hmac.c — keyed signers, SHA-256, hex and strict base64.

    Expected values come from RFC 4231 (HMAC-SHA256/512 test cases 1, 2, 6, 7),
    RFC 4648 section 10 (base64 and base16 test vectors), FIPS 180-2
    (SHA-256 of "abc" and of the empty string), and the Wikipedia HMAC article
    (HMAC-SHA256 with empty key and message, and with key "key" over the
    quick brown fox).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "vb_error.h"
#include "vb_hmac.h"

//  --------------------------------------------------------------------------
//  Decode a lowercase hex literal into out; returns the byte count.

static size_t
s_unhex (const char *hex, uint8_t *out, size_t out_size)
{
    size_t length = strlen (hex);
    cr_assert_eq (length % 2, 0);
    cr_assert_leq (length / 2, out_size);
    for (size_t index = 0; index < length / 2; index++) {
        unsigned value;
        cr_assert_eq (sscanf (hex + 2 * index, "%2x", &value), 1);
        out[index] = (uint8_t)value;
    }
    return length / 2;
}

typedef struct {
    const char *name;  //  RFC 4231 test case
    uint8_t key_byte;  //  The key is key_size copies of this byte ...
    size_t key_size;   //  ... unless key_text is set
    const char *key_text;
    const char *data;    //  ASCII data
    const char *sha256;  //  Expected HMAC-SHA256, hex
    const char *sha512;  //  Expected HMAC-SHA512, hex
} s_rfc4231_t;

static const s_rfc4231_t s_rfc4231[] = {
    {"test case 1", 0x0b, 20, NULL, "Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
     "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
    {"test case 2", 0, 0, "Jefe", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
    {"test case 6", 0xaa, 131, NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
     "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
     "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"},
    {"test case 7", 0xaa, 131, NULL,
     "This is a test using a larger than block-size key and a larger than block-size data. "
     "The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
     "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
     "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"},
};

#define S_RFC4231_COUNT (sizeof (s_rfc4231) / sizeof (s_rfc4231[0]))

//  --------------------------------------------------------------------------
//  Build the key of one RFC 4231 case; returns its size.

static size_t
s_rfc4231_key (const s_rfc4231_t *vector, uint8_t *key, size_t key_max)
{
    if (vector->key_text) {
        size_t size = strlen (vector->key_text);
        memcpy (key, vector->key_text, size);
        return size;
    }
    cr_assert_leq (vector->key_size, key_max);
    memset (key, vector->key_byte, vector->key_size);
    return vector->key_size;
}

Test (vb_hmac, signs_with_a_kept_key)
{
    //  Usage: key the signer once per secret, then sign each request.
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, "Jefe", 4);
    cr_assert_not_null (signer);
    char signature[VB_HEX_SIZE (VB_SHA256_SIZE)];
    const char *message = "what do ya want for nothing?";
    for (int round = 0; round < 3; round++) {
        int length =
            vb_hmac_sign_hex (signer, message, strlen (message), signature, sizeof (signature));
        cr_assert_eq (length, 64);
        cr_assert_str_eq (signature,
                          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
    vb_hmac_destroy (&signer);
    cr_assert_null (signer);
    vb_hmac_destroy (&signer);
}

Test (vb_hmac, matches_rfc4231_sha256_and_sha512)
{
    for (size_t index = 0; index < S_RFC4231_COUNT; index++) {
        const s_rfc4231_t *vector = &s_rfc4231[index];
        uint8_t key[200];
        size_t key_size = s_rfc4231_key (vector, key, sizeof (key));
        vb_hmac_t *sha256 = vb_hmac_new (VB_HMAC_SHA256, key, key_size);
        vb_hmac_t *sha512 = vb_hmac_new (VB_HMAC_SHA512, key, key_size);
        cr_assert (sha256 && sha512);
        cr_assert_eq (vb_hmac_size (sha256), VB_SHA256_SIZE);
        cr_assert_eq (vb_hmac_size (sha512), VB_SHA512_SIZE);

        char hex[VB_HMAC_TEXT_MAX];
        cr_assert_eq (
            vb_hmac_sign_hex (sha256, vector->data, strlen (vector->data), hex, sizeof (hex)), 64);
        cr_assert_str_eq (hex, vector->sha256, "%s", vector->name);
        cr_assert_eq (
            vb_hmac_sign_hex (sha512, vector->data, strlen (vector->data), hex, sizeof (hex)), 128);
        cr_assert_str_eq (hex, vector->sha512, "%s", vector->name);

        //  Raw output equals the published bytes.
        uint8_t expected[VB_SHA512_SIZE];
        uint8_t raw[VB_SHA512_SIZE];
        s_unhex (vector->sha512, expected, sizeof (expected));
        cr_assert_eq (
            vb_hmac_sign_raw (sha512, vector->data, strlen (vector->data), raw, sizeof (raw)), 64);
        cr_assert_arr_eq (raw, expected, 64);
        vb_hmac_destroy (&sha256);
        vb_hmac_destroy (&sha512);
    }
}

Test (vb_hmac, signs_in_parts_as_if_concatenated)
{
    //  RFC 4231 test case 2, message split in three parts (one empty).
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, "Jefe", 4);
    vb_bytes_t parts[] = {{"what do ya ", 11}, {NULL, 0}, {"want for nothing?", 17}};
    uint8_t raw[VB_SHA256_SIZE];
    uint8_t expected[VB_SHA256_SIZE];
    s_unhex (s_rfc4231[1].sha256, expected, sizeof (expected));
    cr_assert_eq (vb_hmac_sign_parts_raw (signer, parts, 3, raw, sizeof (raw)), 32);
    cr_assert_arr_eq (raw, expected, 32);
    vb_hmac_destroy (&signer);
}

Test (vb_hmac, signs_base64_as_the_raw_bytes)
{
    //  OKX and Kraken want base64: its decoding must be the RFC 4231 bytes.
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA512, "Jefe", 4);
    const char *data = s_rfc4231[1].data;
    char text[VB_BASE64_SIZE (VB_SHA512_SIZE)];
    cr_assert_eq (vb_hmac_sign_base64 (signer, data, strlen (data), text, sizeof (text)), 88);
    cr_assert_eq (strlen (text), 88);
    uint8_t decoded[VB_SHA512_SIZE];
    uint8_t expected[VB_SHA512_SIZE];
    s_unhex (s_rfc4231[1].sha512, expected, sizeof (expected));
    cr_assert_eq (vb_base64_decode (text, strlen (text), decoded, sizeof (decoded)), 64);
    cr_assert_arr_eq (decoded, expected, 64);
    vb_hmac_destroy (&signer);
}

Test (vb_hmac, accepts_an_empty_key_and_message)
{
    //  Wikipedia "HMAC" examples.
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, NULL, 0);
    cr_assert_not_null (signer);
    char hex[VB_HMAC_TEXT_MAX];
    cr_assert_eq (vb_hmac_sign_hex (signer, NULL, 0, hex, sizeof (hex)), 64);
    cr_assert_str_eq (hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    vb_hmac_destroy (&signer);

    signer = vb_hmac_new (VB_HMAC_SHA256, "key", 3);
    const char *fox = "The quick brown fox jumps over the lazy dog";
    cr_assert_eq (vb_hmac_sign_hex (signer, fox, strlen (fox), hex, sizeof (hex)), 64);
    cr_assert_str_eq (hex, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    vb_hmac_destroy (&signer);
}

Test (vb_hmac, refuses_bad_arguments)
{
    cr_assert_null (vb_hmac_new (VB_HMAC_UNSET, "k", 1));
    cr_assert_null (vb_hmac_new ((vb_hmac_digest_t)99, "k", 1));
    cr_assert_null (vb_hmac_new (VB_HMAC_SHA256, NULL, 5));

    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, "k", 1);
    char hex[VB_HEX_SIZE (VB_SHA256_SIZE)];
    uint8_t raw[VB_SHA512_SIZE];
    memset (hex, 'x', sizeof (hex));
    cr_assert_eq (vb_hmac_sign_hex (signer, "m", 1, hex, sizeof (hex) - 1), VB_ETRUNC);
    cr_assert_eq (hex[0], '\0');
    cr_assert_eq (vb_hmac_sign_base64 (signer, "m", 1, hex, VB_BASE64_SIZE (32) - 1), VB_ETRUNC);
    cr_assert_eq (vb_hmac_sign_raw (signer, "m", 1, raw, 31), VB_ETRUNC);
    cr_assert_eq (vb_hmac_sign_raw (signer, "m", 1, NULL, 32), VB_ETRUNC);
    cr_assert_eq (vb_hmac_sign_raw (signer, NULL, 1, raw, sizeof (raw)), VB_EINVAL);
    cr_assert_eq (vb_hmac_sign_parts_raw (signer, NULL, 2, raw, sizeof (raw)), VB_EINVAL);
    vb_bytes_t huge[] = {{"a", VB_HMAC_INPUT_MAX}, {"b", 1}};
    cr_assert_eq (vb_hmac_sign_parts_raw (signer, huge, 2, raw, sizeof (raw)), VB_EOVERFLOW);
    //  The signer still works after refused calls.
    cr_assert_eq (vb_hmac_sign_hex (signer, "m", 1, hex, sizeof (hex)), 64);
    vb_hmac_destroy (&signer);
}

Test (vb_hmac, hashes_sha256_per_fips_180)
{
    uint8_t digest[VB_SHA256_SIZE];
    char hex[VB_HEX_SIZE (VB_SHA256_SIZE)];
    cr_assert_eq (vb_sha256 ("abc", 3, digest), 32);
    cr_assert_eq (vb_hex_encode (digest, sizeof (digest), hex, sizeof (hex)), 64);
    cr_assert_str_eq (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_eq (vb_sha256 (NULL, 0, digest), 32);
    vb_hex_encode (digest, sizeof (digest), hex, sizeof (hex));
    cr_assert_str_eq (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    vb_bytes_t parts[] = {{"a", 1}, {"bc", 2}};
    cr_assert_eq (vb_sha256_parts (parts, 2, digest), 32);
    vb_hex_encode (digest, sizeof (digest), hex, sizeof (hex));
    cr_assert_str_eq (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_eq (vb_sha256 (NULL, 1, digest), VB_EINVAL);
}

Test (vb_hmac, encodes_rfc4648_vectors)
{
    static const char *inputs[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *base64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *base16[] = {"",         "66",         "666f",        "666f6f",
                                   "666f6f62", "666f6f6261", "666f6f626172"};
    for (size_t index = 0; index < 7; index++) {
        char text[16];
        size_t size = strlen (inputs[index]);
        cr_assert_eq (vb_base64_encode (inputs[index], size, text, sizeof (text)),
                      (int)strlen (base64[index]));
        cr_assert_str_eq (text, base64[index]);
        cr_assert_eq (vb_hex_encode (inputs[index], size, text, sizeof (text)),
                      (int)strlen (base16[index]));
        cr_assert_str_eq (text, base16[index]);

        uint8_t decoded[16];
        cr_assert_eq (
            vb_base64_decode (base64[index], strlen (base64[index]), decoded, sizeof (decoded)),
            (int)size);
        cr_assert_arr_eq (decoded, inputs[index], size);
    }
}

Test (vb_hmac, encoders_refuse_small_buffers)
{
    char text[8];
    memset (text, 'x', sizeof (text));
    //  "foobar" needs 8 + 1 bytes of base64 and 12 + 1 of hex.
    cr_assert_eq (vb_base64_encode ("foobar", 6, text, 8), VB_ETRUNC);
    cr_assert_eq (text[0], '\0');
    cr_assert_eq (vb_hex_encode ("foobar", 6, text, 8), VB_ETRUNC);
    cr_assert_eq (vb_base64_encode ("foobar", 6, NULL, 0), VB_ETRUNC);
    cr_assert_eq (vb_base64_encode (NULL, 6, text, sizeof (text)), VB_EINVAL);
    cr_assert_eq (vb_base64_encode ("", 0, text, 1), 0);
    cr_assert_str_eq (text, "");
}

Test (vb_hmac, base64_decode_rejects_bad_text)
{
    static const char *bad[] = {
        "Zg=",         //  length not a multiple of 4
        "Zg",          //  missing padding
        "Zm9",         //  missing padding
        "Z===",        //  three padding characters
        "====",        //  padding only
        "Zg=a",        //  data after padding
        "Z=g=",        //  padding in the middle
        "Zm9v====",    //  a whole group of padding
        "Zm=vYg==",    //  padding inside an earlier group
        "Zm9v\nYg==",  //  whitespace
        "Zm9 ",        //  space
        "Zm9-",        //  URL-safe alphabet
        "Zm9_",        //  URL-safe alphabet
        "Zh==",        //  non-zero unused bits ("f" is Zg==)
        "Zm9=",        //  non-zero unused bits ("fo" is Zm8=)
        "Zm\x80v",     //  byte outside ASCII
    };
    uint8_t out[16];
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++)
        cr_assert_eq (vb_base64_decode (bad[index], strlen (bad[index]), out, sizeof (out)),
                      VB_EINVAL, "accepted \"%s\"", bad[index]);
    //  An embedded NUL is a bad character, not the end of the text.
    cr_assert_eq (vb_base64_decode ("Zm\0v", 4, out, sizeof (out)), VB_EINVAL);
    cr_assert_eq (vb_base64_decode (NULL, 4, out, sizeof (out)), VB_EINVAL);
}

Test (vb_hmac, base64_decode_refuses_a_small_buffer)
{
    uint8_t out[6];
    cr_assert_eq (vb_base64_decode ("Zm9vYmFy", 8, out, 5), VB_ETRUNC);
    cr_assert_eq (vb_base64_decode ("Zm9vYmE=", 8, out, 5), 5);
    cr_assert_arr_eq (out, "fooba", 5);
    cr_assert_eq (vb_base64_decode ("", 0, NULL, 0), 0);
}

Test (vb_hmac, compares_in_constant_time)
{
    cr_assert (vb_hmac_equal ("abcdef", "abcdef", 6));
    cr_assert_not (vb_hmac_equal ("abcdef", "abcdeg", 6));
    cr_assert (vb_hmac_equal (NULL, NULL, 0));
    char secret[] = "hunter2";
    vb_hmac_wipe (secret, sizeof (secret));
    for (size_t index = 0; index < sizeof (secret); index++)
        cr_assert_eq (secret[index], 0);
    vb_hmac_wipe (NULL, 0);
}
