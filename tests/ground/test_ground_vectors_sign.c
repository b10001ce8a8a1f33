/*  test_ground_vectors_sign.c — official venue signing vectors against vb_hmac.

    Every expected signature and every input below is quoted from
    ../shared/venues.md: section 1.5 (Binance B1-B5, published example secret)
    and section 3.5 (Kraken K3), with the SHA-256 intermediate from section 7.
    The payloads are built the way each section specifies (percent-encoding of
    non-ASCII for Binance REST, alphabetically sorted k=v for the Binance WS
    API, path || SHA256(nonce || postdata) for Kraken) and then compared with
    the exact payload bytes quoted in venues.md before they are signed.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vb_error.h"
#include "vb_hmac.h"

//  venues.md 1.5: the published example key material.
#define BINANCE_API_KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define BINANCE_SECRET  "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

//  The symbol of B2 and B4: six FULLWIDTH DIGIT characters U+FF11..U+FF16, as UTF-8.
#define FULLWIDTH_123456 "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96"

typedef struct {
    const char *name;   //  Parameter name
    const char *value;  //  Parameter value, raw UTF-8
} s_param_t;

//  --------------------------------------------------------------------------
//  Percent-encode one value for application/x-www-form-urlencoded: unreserved
//  ASCII stays, every other byte becomes %XX (uppercase hex, as in B2).

static void
s_percent_encode (const char *value, char *out, size_t out_size)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t length = 0;
    for (const unsigned char *cursor = (const unsigned char *)value; *cursor; cursor++) {
        cr_assert_lt (length + 4, out_size);
        if ((*cursor >= 'A' && *cursor <= 'Z') || (*cursor >= 'a' && *cursor <= 'z') ||
            (*cursor >= '0' && *cursor <= '9') || strchr ("-._~", *cursor))
            out[length++] = (char)*cursor;
        else {
            out[length++] = '%';
            out[length++] = digits[*cursor >> 4];
            out[length++] = digits[*cursor & 0x0F];
        }
    }
    out[length] = '\0';
}

//  --------------------------------------------------------------------------
//  Join params as k=v&k=v in the given order, percent-encoding values or not.

static void
s_join (const s_param_t *params, size_t count, bool encode, char *out, size_t out_size)
{
    size_t length = 0;
    out[0] = '\0';
    for (size_t index = 0; index < count; index++) {
        char value[256];
        if (encode)
            s_percent_encode (params[index].value, value, sizeof (value));
        else
            snprintf (value, sizeof (value), "%s", params[index].value);
        int written = snprintf (out + length, out_size - length, "%s%s=%s", index ? "&" : "",
                                params[index].name, value);
        cr_assert (written > 0 && (size_t)written < out_size - length);
        length += (size_t)written;
    }
}

//  --------------------------------------------------------------------------
//  Order params by name, as the Binance WS API requires.

static int
s_compare_params (const void *a, const void *b)
{
    return strcmp (((const s_param_t *)a)->name, ((const s_param_t *)b)->name);
}

//  --------------------------------------------------------------------------
//  Sign payload with the Binance example secret; check the hex signature.

static void
s_assert_binance (const char *payload, const char *expected)
{
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, BINANCE_SECRET, strlen (BINANCE_SECRET));
    cr_assert_not_null (signer);
    char signature[VB_HEX_SIZE (VB_SHA256_SIZE)];
    cr_assert_eq (
        vb_hmac_sign_hex (signer, payload, strlen (payload), signature, sizeof (signature)), 64);
    cr_assert_str_eq (signature, expected);
    vb_hmac_destroy (&signer);
}

Test (ground_vectors_sign, binance_b1_rest_ascii)
{
    //  REST: query string in request order.
    s_param_t params[] = {{"symbol", "LTCBTC"},   {"side", "BUY"},
                          {"type", "LIMIT"},      {"timeInForce", "GTC"},
                          {"quantity", "1"},      {"price", "0.1"},
                          {"recvWindow", "5000"}, {"timestamp", "1499827319559"}};
    char payload[512];
    s_join (params, sizeof (params) / sizeof (params[0]), true, payload, sizeof (payload));
    cr_assert_str_eq (payload, "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&"
                               "price=0.1&recvWindow=5000&timestamp=1499827319559");
    s_assert_binance (payload, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

Test (ground_vectors_sign, binance_b2_rest_percent_encoded_non_ascii)
{
    //  REST: non-ASCII is percent-encoded before signing.
    s_param_t params[] = {{"symbol", FULLWIDTH_123456},
                          {"side", "BUY"},
                          {"type", "LIMIT"},
                          {"timeInForce", "GTC"},
                          {"quantity", "1"},
                          {"price", "0.1"},
                          {"recvWindow", "5000"},
                          {"timestamp", "1499827319559"}};
    char payload[512];
    s_join (params, sizeof (params) / sizeof (params[0]), true, payload, sizeof (payload));
    cr_assert_str_eq (payload,
                      "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&"
                      "type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
                      "timestamp=1499827319559");
    s_assert_binance (payload, "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3");
}

Test (ground_vectors_sign, binance_b3_ws_sorted_params)
{
    //  WS API order.place: params sorted by name, no percent-encoding.
    s_param_t params[] = {{"symbol", "BTCUSDT"},       {"side", "SELL"},
                          {"type", "LIMIT"},           {"timeInForce", "GTC"},
                          {"quantity", "0.01000000"},  {"price", "52000.00"},
                          {"apiKey", BINANCE_API_KEY}, {"timestamp", "1645423376532"},
                          {"recvWindow", "100"}};
    size_t count = sizeof (params) / sizeof (params[0]);
    qsort (params, count, sizeof (params[0]), s_compare_params);
    char payload[512];
    s_join (params, count, false, payload, sizeof (payload));
    cr_assert_str_eq (payload, "apiKey=" BINANCE_API_KEY
                               "&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&"
                               "symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT");
    s_assert_binance (payload, "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24");
}

Test (ground_vectors_sign, binance_b4_ws_raw_utf8_non_ascii)
{
    //  WS API: sorted, and the non-ASCII symbol stays raw UTF-8.
    s_param_t params[] = {{"symbol", FULLWIDTH_123456},
                          {"side", "BUY"},
                          {"type", "LIMIT"},
                          {"timeInForce", "GTC"},
                          {"quantity", "1.00000000"},
                          {"price", "0.10000000"},
                          {"apiKey", BINANCE_API_KEY},
                          {"timestamp", "1645423376532"},
                          {"recvWindow", "5000"}};
    size_t count = sizeof (params) / sizeof (params[0]);
    qsort (params, count, sizeof (params[0]), s_compare_params);
    char payload[512];
    s_join (params, count, false, payload, sizeof (payload));
    cr_assert_str_eq (payload, "apiKey=" BINANCE_API_KEY
                               "&price=0.10000000&quantity=1.00000000&recvWindow=5000&side=BUY&"
                               "symbol=１２３４５６&timeInForce=GTC&timestamp=1645423376532&"
                               "type=LIMIT");
    s_assert_binance (payload, "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd");
}

Test (ground_vectors_sign, binance_b5_session_logon)
{
    s_param_t params[] = {{"timestamp", "1649729878532"}, {"apiKey", BINANCE_API_KEY}};
    qsort (params, 2, sizeof (params[0]), s_compare_params);
    char payload[256];
    s_join (params, 2, false, payload, sizeof (payload));
    cr_assert_str_eq (payload, "apiKey=" BINANCE_API_KEY "&timestamp=1649729878532");
    s_assert_binance (payload, "1cf54395b336b0a9727ef27d5d98987962bc47aca6e13fe978612d0adee066ed");
}

Test (ground_vectors_sign, kraken_k3_rest_api_sign)
{
    //  API-Sign = base64 (HMAC-SHA512 (base64decode (secret),
    //                                  path || SHA256 (nonce || postdata)))
    const char *secret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99H"
                         "AZtuZuj6F1huXg==";
    const char *nonce = "1616492376594";
    const char *postdata =
        "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
    const char *path = "/0/private/AddOrder";

    uint8_t key[VB_SHA512_SIZE];
    int key_size = vb_base64_decode (secret, strlen (secret), key, sizeof (key));
    cr_assert_eq (key_size, 64);
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA512, key, (size_t)key_size);
    vb_hmac_wipe (key, sizeof (key));
    cr_assert_not_null (signer);

    uint8_t inner[VB_SHA256_SIZE];
    vb_bytes_t hashed[] = {{nonce, strlen (nonce)}, {postdata, strlen (postdata)}};
    cr_assert_eq (vb_sha256_parts (hashed, 2, inner), 32);
    char inner_hex[VB_HEX_SIZE (VB_SHA256_SIZE)];
    vb_hex_encode (inner, sizeof (inner), inner_hex, sizeof (inner_hex));
    cr_assert_str_eq (inner_hex,
                      "23a1c1b34c6a11d641af0f24684896cb90f66fb991125c83dc357bdc3dc146f1");

    uint8_t mac[VB_SHA512_SIZE];
    vb_bytes_t signed_parts[] = {{path, strlen (path)}, {inner, sizeof (inner)}};
    cr_assert_eq (vb_hmac_sign_parts_raw (signer, signed_parts, 2, mac, sizeof (mac)), 64);
    char api_sign[VB_BASE64_SIZE (VB_SHA512_SIZE)];
    cr_assert_eq (vb_base64_encode (mac, sizeof (mac), api_sign, sizeof (api_sign)), 88);
    cr_assert_str_eq (api_sign, "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnR"
                                "fp32bAb0nmbRn6H8ndwLUQ==");

    //  The same through one concatenated buffer and vb_hmac_sign_base64.
    char message[64];
    memcpy (message, path, strlen (path));
    memcpy (message + strlen (path), inner, sizeof (inner));
    char again[VB_BASE64_SIZE (VB_SHA512_SIZE)];
    cr_assert_eq (vb_hmac_sign_base64 (signer, message, strlen (path) + sizeof (inner), again,
                                       sizeof (again)),
                  88);
    cr_assert_str_eq (again, api_sign);
    vb_hmac_destroy (&signer);
}
