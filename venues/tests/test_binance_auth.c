/*  test_binance_auth.c — Binance HMAC signing and verification.

    Expected signatures are the official vectors B1-B5 of venues.md 1.5 / 7
    (binance-spot-api-docs rest-api.md and web-socket-api.md, with the
    published example key and secret). Timing expectations follow the rule
    stated in venues.md 1.5, worked by hand in each test's comment.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "vb_error.h"
#include "../binance/auth.h"

#define S_API_KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define S_SECRET  "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

#define S_B1_PAYLOAD                                                                               \
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"      \
    "timestamp=1499827319559"
#define S_B1_SIGNATURE "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
#define S_B2_PAYLOAD                                                                               \
    "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"           \
    "timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
#define S_B2_SIGNATURE "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
#define S_B3_SIGNATURE "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
#define S_B4_SIGNATURE "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd"
#define S_B5_SIGNATURE "1cf54395b336b0a9727ef27d5d98987962bc47aca6e13fe978612d0adee066ed"

#define P(name, value)                                                                             \
    {                                                                                              \
        name, strlen (name), value, strlen (value)                                                 \
    }

//  --------------------------------------------------------------------------

Test (binance_auth, signs_a_rest_order_and_verifies_it_like_the_venue)
{
    //  Usage: the router signs query || body; the sim verifies the request.
    vb_hmac_t *signer = vb_binance_signer_new (S_SECRET);
    cr_assert_not_null (signer);
    char signature[VB_BINANCE_SIGNATURE_SIZE];
    int rc = vb_binance_sign_rest (signer, S_B1_PAYLOAD, strlen (S_B1_PAYLOAD), NULL, 0, signature,
                                   sizeof (signature));
    cr_assert_eq (rc, 64);
    cr_assert_str_eq (signature, S_B1_SIGNATURE);
    cr_assert_eq (vb_binance_verify_rest (signer, S_B1_PAYLOAD "&signature=" S_B1_SIGNATURE, ""),
                  0);
    vb_hmac_destroy (&signer);
    cr_assert_null (signer);
}

Test (binance_auth, verifies_a_request_signed_across_query_and_body)
{
    //  The docs' mixed example: part in the query, the rest in the body,
    //  concatenated without a separator.
    vb_hmac_t *signer = vb_binance_signer_new (S_SECRET);
    const char *query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
    const char *body = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    char signature[VB_BINANCE_SIGNATURE_SIZE];
    //  The docs' mixed payload differs from B1 (no '&' between the parts),
    //  so only the round trip through the verifier is checked here.
    cr_assert_eq (vb_binance_sign_rest (signer, query, strlen (query), body, strlen (body),
                                        signature, sizeof (signature)),
                  64);
    char signed_body[256];
    snprintf (signed_body, sizeof (signed_body), "%s&signature=%s", body, signature);
    cr_assert_eq (vb_binance_verify_rest (signer, query, signed_body), 0);
    vb_hmac_destroy (&signer);
}

Test (binance_auth, matches_official_vector_b2_with_percent_encoded_symbol)
{
    vb_hmac_t *signer = vb_binance_signer_new (S_SECRET);
    char signature[VB_BINANCE_SIGNATURE_SIZE];
    cr_assert_eq (vb_binance_sign_rest (signer, S_B2_PAYLOAD, strlen (S_B2_PAYLOAD), NULL, 0,
                                        signature, sizeof (signature)),
                  64);
    cr_assert_str_eq (signature, S_B2_SIGNATURE);
    vb_hmac_destroy (&signer);
}

Test (binance_auth, matches_official_vector_b3_with_sorted_ws_params)
{
    //  Given out of order on purpose; the payload sorts them.
    vb_binance_param_t params[] = {
        P ("symbol", "BTCUSDT"),      P ("side", "SELL"),
        P ("type", "LIMIT"),          P ("timeInForce", "GTC"),
        P ("quantity", "0.01000000"), P ("price", "52000.00"),
        P ("recvWindow", "100"),      P ("timestamp", "1645423376532"),
        P ("apiKey", S_API_KEY),
    };
    size_t count = sizeof (params) / sizeof (params[0]);
    char payload[512];
    int length = vb_binance_ws_payload (params, count, payload, sizeof (payload));
    cr_assert_gt (length, 0);
    cr_assert_str_eq (payload, "apiKey=" S_API_KEY "&price=52000.00&quantity=0.01000000&"
                               "recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&"
                               "timestamp=1645423376532&type=LIMIT");
    vb_hmac_t *signer = vb_binance_signer_new (S_SECRET);
    char signature[VB_BINANCE_SIGNATURE_SIZE];
    cr_assert_eq (vb_binance_sign_ws (signer, params, count, signature, sizeof (signature)), 64);
    cr_assert_str_eq (signature, S_B3_SIGNATURE);
    vb_hmac_destroy (&signer);
}

Test (binance_auth, matches_official_vector_b4_with_raw_utf8_symbol)
{
    vb_binance_param_t params[] = {
        P ("apiKey", S_API_KEY),
        P ("price", "0.10000000"),
        P ("quantity", "1.00000000"),
        P ("recvWindow", "5000"),
        P ("side", "BUY"),
        P ("symbol", "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96"),
        P ("timeInForce", "GTC"),
        P ("timestamp", "1645423376532"),
        P ("type", "LIMIT"),
    };
    vb_hmac_t *signer = vb_binance_signer_new (S_SECRET);
    char signature[VB_BINANCE_SIGNATURE_SIZE];
    cr_assert_eq (vb_binance_sign_ws (signer, params, sizeof (params) / sizeof (params[0]),
                                      signature, sizeof (signature)),
                  64);
    cr_assert_str_eq (signature, S_B4_SIGNATURE);
    vb_hmac_destroy (&signer);
}

Test (binance_auth, matches_official_vector_b5_for_session_logon_and_verifies_it)
{
    vb_binance_param_t params[] = {
        P ("timestamp", "1649729878532"),
        P ("signature", S_B5_SIGNATURE),
        P ("apiKey", S_API_KEY),
    };
    vb_hmac_t *signer = vb_binance_signer_new (S_SECRET);
    char signature[VB_BINANCE_SIGNATURE_SIZE];
    cr_assert_eq (vb_binance_sign_ws (signer, params, 3, signature, sizeof (signature)), 64);
    cr_assert_str_eq (signature, S_B5_SIGNATURE);
    cr_assert_eq (vb_binance_verify_ws (signer, params, 3), 0);
    //  Upper-case hex is the same signature to the venue.
    vb_binance_param_t upper[] = {
        P ("timestamp", "1649729878532"),
        P ("signature", "1CF54395B336B0A9727EF27D5D98987962BC47ACA6E13FE978612D0ADEE066ED"),
        P ("apiKey", S_API_KEY),
    };
    cr_assert_eq (vb_binance_verify_ws (signer, upper, 3), 0);
    vb_hmac_destroy (&signer);
}

Test (binance_auth, rejects_a_wrong_or_missing_or_doubled_signature)
{
    vb_hmac_t *signer = vb_binance_signer_new (S_SECRET);
    //  Last digit changed from 1 to 2
    cr_assert_eq (vb_binance_verify_rest (signer,
                                          S_B1_PAYLOAD "&signature=c8db56825ae71d6d79447849e6171"
                                                       "15f4a920fa2acdcab2b053c4b2838bd6b72",
                                          ""),
                  VB_EAUTH);
    //  One payload byte changed (quantity=2)
    cr_assert_eq (vb_binance_verify_rest (signer,
                                          "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&"
                                          "quantity=2&price=0.1&recvWindow=5000&timestamp="
                                          "1499827319559&signature=" S_B1_SIGNATURE,
                                          ""),
                  VB_EAUTH);
    cr_assert_eq (vb_binance_verify_rest (signer, S_B1_PAYLOAD, ""), VB_ENOTFOUND);
    cr_assert_eq (vb_binance_verify_rest (signer, S_B1_PAYLOAD "&signature=" S_B1_SIGNATURE,
                                          "signature=" S_B1_SIGNATURE),
                  VB_EINVAL);
    //  Truncated and non-hex signatures are unequal, never read past
    cr_assert_eq (vb_binance_verify_rest (signer, S_B1_PAYLOAD "&signature=c8db", ""), VB_EAUTH);
    cr_assert_not (vb_binance_signature_equal (S_B1_SIGNATURE,
                                               "g8db56825ae71d6d79447849e617115f4a920fa2acdc"
                                               "ab2b053c4b2838bd6b71",
                                               64));
    vb_binance_param_t params[] = {P ("apiKey", S_API_KEY), P ("timestamp", "1649729878532")};
    cr_assert_eq (vb_binance_verify_ws (signer, params, 2), VB_ENOTFOUND);
    vb_hmac_destroy (&signer);
}

Test (binance_auth, verifies_a_signature_in_the_middle_of_the_query)
{
    //  Removing "&signature=..." from the middle leaves exactly B1's payload.
    vb_hmac_t *signer = vb_binance_signer_new (S_SECRET);
    cr_assert_eq (vb_binance_verify_rest (signer,
                                          "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&"
                                          "signature=" S_B1_SIGNATURE "&quantity=1&price=0.1&"
                                          "recvWindow=5000&timestamp=1499827319559",
                                          ""),
                  0);
    vb_hmac_destroy (&signer);
}

Test (binance_auth, refuses_duplicate_ws_param_names_and_small_buffers)
{
    vb_binance_param_t params[] = {P ("side", "BUY"), P ("side", "SELL")};
    char payload[64];
    cr_assert_eq (vb_binance_ws_payload (params, 2, payload, sizeof (payload)), VB_EINVAL);
    vb_binance_param_t one[] = {P ("symbol", "BTCUSDT")};
    cr_assert_eq (vb_binance_ws_payload (one, 1, payload, 8), VB_ETRUNC);
    vb_hmac_t *signer = vb_binance_signer_new (S_SECRET);
    char small[10];
    cr_assert_eq (vb_binance_sign_rest (signer, "a=1", 3, NULL, 0, small, sizeof (small)),
                  VB_ETRUNC);
    vb_hmac_destroy (&signer);
}

Test (binance_auth, parses_timestamps_in_ms_or_us)
{
    int64_t value = 0;
    cr_assert_eq (vb_binance_parse_timestamp ("1499827319559", 13, &value), 0);
    cr_assert_eq (value, INT64_C (1499827319559000));
    cr_assert_eq (vb_binance_parse_timestamp ("1499827319559123", 16, &value), 0);
    cr_assert_eq (value, INT64_C (1499827319559123));
    cr_assert_eq (vb_binance_parse_timestamp ("-1", 2, &value), VB_EINVAL);
    cr_assert_eq (vb_binance_parse_timestamp ("14998.5", 7, &value), VB_EINVAL);
    cr_assert_eq (vb_binance_parse_timestamp ("", 0, &value), VB_EINVAL);
    cr_assert_eq (vb_binance_parse_timestamp ("9999999999999999999", 19, &value), VB_EINVAL);
}

Test (binance_auth, parses_recv_window_with_up_to_three_decimals)
{
    int64_t value = 0;
    cr_assert_eq (vb_binance_parse_recv_window ("5000", 4, &value), 0);
    cr_assert_eq (value, INT64_C (5000000));
    cr_assert_eq (vb_binance_parse_recv_window ("0.5", 3, &value), 0);
    cr_assert_eq (value, 500);
    cr_assert_eq (vb_binance_parse_recv_window ("100.125", 7, &value), 0);
    cr_assert_eq (value, 100125);
    cr_assert_eq (vb_binance_parse_recv_window ("60000", 5, &value), 0);
    cr_assert_eq (vb_binance_parse_recv_window ("60000.001", 9, &value), VB_ELIMIT);
    cr_assert_eq (vb_binance_parse_recv_window ("1.2345", 6, &value), VB_EINVAL);
    cr_assert_eq (vb_binance_parse_recv_window ("5000.", 5, &value), VB_EINVAL);
    cr_assert_eq (vb_binance_parse_recv_window (".5", 2, &value), VB_EINVAL);
    cr_assert_eq (vb_binance_parse_recv_window ("abc", 3, &value), VB_EINVAL);
}

Test (binance_auth, applies_the_recv_window_rule)
{
    //  Server time 1,000,000 ms; window 5000 ms.
    int64_t now = INT64_C (1000000000);
    int64_t window = VB_BINANCE_RECV_WINDOW_DEFAULT_US;
    cr_assert_eq (vb_binance_timestamp_check (now, now, window), VB_BINANCE_TIME_OK);
    //  999 ms ahead: 999 < 1000 is accepted; exactly 1000 ms ahead is not.
    cr_assert_eq (vb_binance_timestamp_check (now, now + 999000, window), VB_BINANCE_TIME_OK);
    cr_assert_eq (vb_binance_timestamp_check (now, now + 1000000, window), VB_BINANCE_TIME_AHEAD);
    //  5000 ms old is inside (<=); 5000.001 ms is outside.
    cr_assert_eq (vb_binance_timestamp_check (now, now - 5000000, window), VB_BINANCE_TIME_OK);
    cr_assert_eq (vb_binance_timestamp_check (now, now - 5000001, window), VB_BINANCE_TIME_EXPIRED);
}
