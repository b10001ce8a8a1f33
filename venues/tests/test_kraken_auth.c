/*  test_kraken_auth.c — Kraken API-Sign signing and verification.

    The expected signature is the official vector K3 of venues.md 3.5 / 7
    (docs.kraken.com guides/spot-rest-auth, "Examples" table): private key,
    nonce, encoded payload and URI path as published there. The SHA-256
    intermediate is the one venues.md gives for the same inputs. Failure
    cases alter one input of that vector at a time.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <string.h>
#include "vb_error.h"
#include "../kraken/auth.h"

#define S_SECRET                                                                                   \
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
#define S_NONCE   "1616492376594"
#define S_PAYLOAD "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
#define S_PATH    "/0/private/AddOrder"
#define S_SIGNATURE                                                                                \
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
#define S_INNER_SHA256 "23a1c1b34c6a11d641af0f24684896cb90f66fb991125c83dc357bdc3dc146f1"

//  --------------------------------------------------------------------------
//  Verify a signature against the K3 inputs with one input replaced.

static int
s_verify (const char *path, const char *nonce, const char *payload, const char *signature)
{
    vb_hmac_t *signer = vb_kraken_signer_new (S_SECRET);
    cr_assert_not_null (signer);
    int rc = vb_kraken_verify (signer, path, nonce, strlen (nonce), payload, strlen (payload),
                               signature, strlen (signature));
    vb_hmac_destroy (&signer);
    return rc;
}

Test (kraken_auth, signs_the_official_example_as_documented)
{
    vb_hmac_t *signer = vb_kraken_signer_new (S_SECRET);
    cr_assert_not_null (signer);
    char signature[VB_KRAKEN_SIGNATURE_SIZE];
    int length = vb_kraken_sign (signer, S_PATH, S_NONCE, strlen (S_NONCE), S_PAYLOAD,
                                 strlen (S_PAYLOAD), signature, sizeof (signature));
    cr_assert_eq (length, 88);
    cr_assert_str_eq (signature, S_SIGNATURE);
    cr_assert_eq (vb_kraken_verify (signer, S_PATH, S_NONCE, strlen (S_NONCE), S_PAYLOAD,
                                    strlen (S_PAYLOAD), signature, strlen (signature)),
                  0);
    vb_hmac_destroy (&signer);
}

Test (kraken_auth, hashes_nonce_then_postdata_as_the_guide_shows)
{
    uint8_t digest[VB_SHA256_SIZE];
    vb_bytes_t parts[2] = {{S_NONCE, strlen (S_NONCE)}, {S_PAYLOAD, strlen (S_PAYLOAD)}};
    cr_assert_eq (vb_sha256_parts (parts, 2, digest), VB_SHA256_SIZE);
    char hex[VB_HEX_SIZE (VB_SHA256_SIZE)];
    cr_assert_gt (vb_hex_encode (digest, sizeof (digest), hex, sizeof (hex)), 0);
    cr_assert_str_eq (hex, S_INNER_SHA256);
}

Test (kraken_auth, refuses_a_signature_with_one_character_changed)
{
    char signature[] = S_SIGNATURE;
    signature[0] = signature[0] == 'A' ? 'B' : 'A';
    cr_assert_eq (s_verify (S_PATH, S_NONCE, S_PAYLOAD, signature), VB_EAUTH);
}

Test (kraken_auth, refuses_a_signature_for_another_path)
{
    cr_assert_eq (s_verify ("/0/private/CancelOrder", S_NONCE, S_PAYLOAD, S_SIGNATURE), VB_EAUTH);
}

Test (kraken_auth, refuses_a_signature_for_another_nonce)
{
    cr_assert_eq (s_verify (S_PATH, "1616492376595", S_PAYLOAD, S_SIGNATURE), VB_EAUTH);
}

Test (kraken_auth, refuses_a_signature_for_an_altered_body)
{
    const char *payload =
        "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.26";
    cr_assert_eq (s_verify (S_PATH, S_NONCE, payload, S_SIGNATURE), VB_EAUTH);
}

Test (kraken_auth, refuses_signature_text_that_is_not_strict_base64)
{
    cr_assert_eq (s_verify (S_PATH, S_NONCE, S_PAYLOAD, ""), VB_EAUTH);
    cr_assert_eq (s_verify (S_PATH, S_NONCE, S_PAYLOAD, "4/dpxb3i"), VB_EAUTH);
    //  The same MAC without its padding, and in the URL-safe alphabet.
    char unpadded[] = S_SIGNATURE;
    unpadded[strlen (unpadded) - 2] = 0;
    cr_assert_eq (s_verify (S_PATH, S_NONCE, S_PAYLOAD, unpadded), VB_EAUTH);
    char url_safe[] = S_SIGNATURE;
    for (char *cursor = url_safe; *cursor; cursor++)
        if (*cursor == '/')
            *cursor = '_';
        else if (*cursor == '+')
            *cursor = '-';
    cr_assert_eq (s_verify (S_PATH, S_NONCE, S_PAYLOAD, url_safe), VB_EAUTH);
    //  A trailing byte after a valid signature.
    cr_assert_eq (s_verify (S_PATH, S_NONCE, S_PAYLOAD, S_SIGNATURE " "), VB_EAUTH);
}

Test (kraken_auth, refuses_secrets_that_are_not_base64)
{
    cr_assert_null (vb_kraken_signer_new (NULL));
    cr_assert_null (vb_kraken_signer_new (""));
    cr_assert_null (vb_kraken_signer_new ("abc"));
    cr_assert_null (vb_kraken_signer_new ("not base64 at all"));
    //  The official secret with its padding dropped is not strict base64.
    char unpadded[] = S_SECRET;
    unpadded[strlen (unpadded) - 2] = 0;
    cr_assert_null (vb_kraken_signer_new (unpadded));
}

Test (kraken_auth, refuses_a_small_buffer_and_a_wrong_signer)
{
    vb_hmac_t *signer = vb_kraken_signer_new (S_SECRET);
    cr_assert_not_null (signer);
    char small[VB_KRAKEN_SIGNATURE_SIZE - 1];
    cr_assert_eq (vb_kraken_sign (signer, S_PATH, S_NONCE, strlen (S_NONCE), S_PAYLOAD,
                                  strlen (S_PAYLOAD), small, sizeof (small)),
                  VB_ETRUNC);
    cr_assert_str_eq (small, "");
    char signature[VB_KRAKEN_SIGNATURE_SIZE];
    cr_assert_eq (vb_kraken_sign (signer, NULL, S_NONCE, strlen (S_NONCE), S_PAYLOAD,
                                  strlen (S_PAYLOAD), signature, sizeof (signature)),
                  VB_EINVAL);
    cr_assert_eq (vb_kraken_sign (signer, S_PATH, NULL, 3, S_PAYLOAD, strlen (S_PAYLOAD), signature,
                                  sizeof (signature)),
                  VB_EINVAL);
    vb_hmac_destroy (&signer);
    //  An HMAC-SHA256 signer cannot make a Kraken signature.
    vb_hmac_t *sha256 = vb_hmac_new (VB_HMAC_SHA256, "key", 3);
    cr_assert_not_null (sha256);
    cr_assert_eq (vb_kraken_sign (sha256, S_PATH, S_NONCE, strlen (S_NONCE), S_PAYLOAD,
                                  strlen (S_PAYLOAD), signature, sizeof (signature)),
                  VB_EINVAL);
    vb_hmac_destroy (&sha256);
}

Test (kraken_auth, parses_nonces_as_unsigned_64_bit_decimals)
{
    uint64_t nonce = 0;
    cr_assert_eq (vb_kraken_parse_nonce (S_NONCE, strlen (S_NONCE), &nonce), 0);
    cr_assert_eq (nonce, UINT64_C (1616492376594));
    cr_assert_eq (vb_kraken_parse_nonce ("18446744073709551615", 20, &nonce), 0);
    cr_assert_eq (nonce, UINT64_MAX);
    cr_assert_eq (vb_kraken_parse_nonce ("18446744073709551616", 20, &nonce), VB_EOVERFLOW);
    cr_assert_eq (vb_kraken_parse_nonce ("123456789012345678901", 21, &nonce), VB_EINVAL);
    cr_assert_eq (vb_kraken_parse_nonce ("", 0, &nonce), VB_EINVAL);
    cr_assert_eq (vb_kraken_parse_nonce ("-1", 2, &nonce), VB_EINVAL);
    cr_assert_eq (vb_kraken_parse_nonce ("+1", 2, &nonce), VB_EINVAL);
    cr_assert_eq (vb_kraken_parse_nonce ("1.5", 3, &nonce), VB_EINVAL);
    cr_assert_eq (vb_kraken_parse_nonce (" 1", 2, &nonce), VB_EINVAL);
    cr_assert_eq (nonce, UINT64_MAX);  //  Untouched by the failures
}

Test (kraken_auth, finds_form_values_by_exact_name)
{
    const char *value = NULL;
    size_t length = 0;
    cr_assert_eq (vb_kraken_form_value (S_PAYLOAD, strlen (S_PAYLOAD), "nonce", &value, &length),
                  0);
    cr_assert_eq (length, strlen (S_NONCE));
    cr_assert_eq (memcmp (value, S_NONCE, length), 0);
    cr_assert_eq (vb_kraken_form_value (S_PAYLOAD, strlen (S_PAYLOAD), "volume", &value, &length),
                  0);
    cr_assert_eq (length, 4);
    cr_assert_eq (memcmp (value, "1.25", 4), 0);
    cr_assert_eq (vb_kraken_form_value (S_PAYLOAD, strlen (S_PAYLOAD), "vol", &value, &length),
                  VB_ENOTFOUND);
    const char *tricky = "xnonce=1&nonce2=2&nonce=3";
    cr_assert_eq (vb_kraken_form_value (tricky, strlen (tricky), "nonce", &value, &length), 0);
    cr_assert_eq (length, 1);
    cr_assert_eq (value[0], '3');
    cr_assert_eq (vb_kraken_form_value ("", 0, "nonce", &value, &length), VB_ENOTFOUND);
    cr_assert_eq (vb_kraken_form_value (NULL, 0, "nonce", &value, &length), VB_EINVAL);
}
