/*  test_sim_kraken.c — venuebus-sim --venue kraken, end to end on the wire.

    Starts the real binary with a demo key, then talks to it as a Kraken
    client would: REST with API-Sign computed here from libcommon's HMAC and
    SHA-256 primitives (the algorithm of venues.md 3.5, independently of
    venues/kraken/auth.c), and WS v2 with the book rebuilt in a vb_book whose
    Kraken checksum (tested against the official vector K1 in libcommon) must
    equal every checksum the sim sends. Expected error texts are Kraken's
    (venues.md 3.7). Waiting is on messages with timeouts, never a sleep.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vb_book.h"
#include "vb_hmac.h"
#include "vb_json.h"
#include "vbt_http.h"
#include "vbt_proc.h"
#include "vbt_ws.h"

#define S_KEY        "vbt-kraken-key"
#define S_TIMEOUT_MS 10000
#define S_HTTP_MS    5000
#define S_BODY_MAX   1024
#define S_BOOK_CAP   50
#define S_BOOK_DEPTH 10
#define S_UPDATES    20  //  Book updates checked in a row

//  A running sim and what a client needs to reach it.
typedef struct {
    vbt_proc_t *proc;
    int port;
    char secret[VB_BASE64_SIZE (64)];  //  base64 of 64 random bytes
    uint64_t nonce;
} s_sim_t;

//  --------------------------------------------------------------------------
//  Start the sim with a fresh random secret and the given permissions.

static void
s_start (s_sim_t *sim, const char *permissions)
{
    memset (sim, 0, sizeof (*sim));
    uint8_t raw[64];
    FILE *random = fopen ("/dev/urandom", "rb");
    cr_assert_not_null (random);
    cr_assert_eq (fread (raw, 1, sizeof (raw), random), sizeof (raw));
    fclose (random);
    cr_assert_gt (vb_base64_encode (raw, sizeof (raw), sim->secret, sizeof (sim->secret)), 0);
    char key_env[64], secret_env[160], perm_env[64];
    snprintf (key_env, sizeof (key_env), "VB_SIM_API_KEY=%s", S_KEY);
    snprintf (secret_env, sizeof (secret_env), "VB_SIM_API_SECRET=%s", sim->secret);
    snprintf (perm_env, sizeof (perm_env), "VB_SIM_API_PERMISSIONS=%s", permissions);
    char *env[] = {key_env, secret_env, perm_env, NULL};
    char *argv[] = {VB_SIM_BIN, "--venue", "kraken", "--port", "0", NULL};
    sim->proc = vbt_proc_start (VB_SIM_BIN, argv, env);
    cr_assert_not_null (sim->proc);
    char line[256], port[16];
    cr_assert_eq (vbt_proc_wait_line (sim->proc, "ready ", S_TIMEOUT_MS, line, sizeof (line)), 0,
                  "no ready line: %s", vbt_proc_stderr (sim->proc));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof (port)), 0);
    sim->port = atoi (port);
    //  Nonces start at the wall clock in microseconds, as clients do.
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    sim->nonce = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;
}

static void
s_stop (s_sim_t *sim)
{
    cr_assert_eq (vbt_proc_stop (&sim->proc, S_TIMEOUT_MS), 0);
}

//  --------------------------------------------------------------------------
//  API-Sign per venues.md 3.5, from libcommon primitives only.

static void
s_sign (const char *secret, const char *path, const char *nonce, const char *body, char *out,
        size_t out_size)
{
    uint8_t key[128];
    int key_size = vb_base64_decode (secret, strlen (secret), key, sizeof (key));
    cr_assert_gt (key_size, 0);
    vb_hmac_t *hmac = vb_hmac_new (VB_HMAC_SHA512, key, (size_t)key_size);
    cr_assert_not_null (hmac);
    uint8_t digest[VB_SHA256_SIZE];
    vb_bytes_t inner[2] = {{nonce, strlen (nonce)}, {body, strlen (body)}};
    cr_assert_eq (vb_sha256_parts (inner, 2, digest), VB_SHA256_SIZE);
    uint8_t message[512];
    size_t path_length = strlen (path);
    memcpy (message, path, path_length);
    memcpy (message + path_length, digest, sizeof (digest));
    cr_assert_gt (vb_hmac_sign_base64 (hmac, message, path_length + sizeof (digest), out, out_size),
                  0);
    vb_hmac_destroy (&hmac);
}

//  --------------------------------------------------------------------------
//  A private call: body "nonce=N&<fields>", signed with `secret` as `key`.
//  nonce 0 takes the next one. Returns the body (caller frees).

static char *
s_private_as (s_sim_t *sim, const char *key, const char *secret, const char *method,
              const char *fields, uint64_t nonce)
{
    if (nonce == 0)
        nonce = ++sim->nonce;
    char path[128], nonce_text[32], body[S_BODY_MAX], url[256];
    snprintf (path, sizeof (path), "/0/private/%s", method);
    snprintf (nonce_text, sizeof (nonce_text), "%llu", (unsigned long long)nonce);
    snprintf (body, sizeof (body), "nonce=%s%s%s", nonce_text, fields && *fields ? "&" : "",
              fields ? fields : "");
    char signature[VB_BASE64_SIZE (VB_SHA512_SIZE)];
    s_sign (secret, path, nonce_text, body, signature, sizeof (signature));
    char key_header[128], sign_header[160];
    snprintf (key_header, sizeof (key_header), "API-Key: %s", key);
    snprintf (sign_header, sizeof (sign_header), "API-Sign: %s", signature);
    const char *headers[] = {key_header, sign_header,
                             "Content-Type: application/x-www-form-urlencoded", NULL};
    snprintf (url, sizeof (url), "http://127.0.0.1:%d%s", sim->port, path);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("POST", url, headers, body, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "%s: HTTP %ld", method, response.status);
    char *text = strdup (response.body);
    vbt_http_response_free (&response);
    return text;
}

static char *
s_private (s_sim_t *sim, const char *method, const char *fields)
{
    return s_private_as (sim, S_KEY, sim->secret, method, fields, 0);
}

static char *
s_public (s_sim_t *sim, const char *method_and_query)
{
    char url[256];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/0/public/%s", sim->port, method_and_query);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200);
    char *text = strdup (response.body);
    vbt_http_response_free (&response);
    return text;
}

//  --------------------------------------------------------------------------
//  Copy the value of "name":"..." from a JSON text (first occurrence).

static bool
s_string_field (const char *text, const char *name, char *out, size_t size)
{
    char pattern[64];
    snprintf (pattern, sizeof (pattern), "\"%s\":\"", name);
    const char *start = strstr (text, pattern);
    if (!start)
        return false;
    start += strlen (pattern);
    const char *end = strchr (start, '"');
    if (!end || (size_t)(end - start) >= size)
        return false;
    memcpy (out, start, (size_t)(end - start));
    out[end - start] = 0;
    return true;
}

//  --------------------------------------------------------------------------
//  True when a txid has Kraken's OXXXXX-XXXXX-XXXXXX shape.

static bool
s_txid_shape (const char *txid)
{
    if (strlen (txid) != 19 || txid[0] != 'O' || txid[6] != '-' || txid[12] != '-')
        return false;
    for (size_t index = 1; index < 19; index++)
        if (index != 6 && index != 12 &&
            !((txid[index] >= 'A' && txid[index] <= 'Z') ||
              (txid[index] >= '0' && txid[index] <= '9')))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Receive messages until one contains `needle`; returns it (borrowed).

static const char *
s_wait_for (vbt_ws_t *ws, const char *needle)
{
    const char *text;
    size_t length;
    while (true) {
        int rc = vbt_ws_recv (ws, S_TIMEOUT_MS, &text, &length);
        cr_assert_eq (rc, VBT_WS_TEXT, "waiting for %s: %d", needle, rc);
        if (strstr (text, needle))
            return text;
    }
}

static vbt_ws_t *
s_connect (s_sim_t *sim)
{
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim->port, "/v2", S_TIMEOUT_MS, &status);
    cr_assert_not_null (ws, "upgrade status %d", status);
    s_wait_for (ws, "\"channel\":\"status\"");
    return ws;
}

static void
s_send (vbt_ws_t *ws, const char *text)
{
    cr_assert_eq (vbt_ws_send_text (ws, text, strlen (text)), 0);
}

//  --------------------------------------------------------------------------
//  Apply a book message (snapshot or update) to book; returns its checksum.

static void
s_apply_side (vb_json_val_t *data, const char *name, vb_book_t *book, vb_book_side_t side)
{
    vb_json_val_t levels, level, field;
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_find (data, name, &levels), 0);
    cr_assert_eq (vb_json_array_begin (&levels, &iter), 0);
    while (vb_json_array_next (&iter, &level) == 1) {
        vb_decimal_t price, qty;
        cr_assert_eq (vb_json_find (&level, "price", &field), 0);
        cr_assert_eq (vb_json_decimal (&field, &price), 0);
        cr_assert_eq (vb_json_find (&level, "qty", &field), 0);
        cr_assert_eq (vb_json_decimal (&field, &qty), 0);
        cr_assert_eq (vb_book_set (book, side, price, qty), 0);
    }
}

static uint32_t
s_apply_book (vb_json_t *json, const char *text, vb_book_t *book, bool snapshot)
{
    vb_json_val_t root, data, entry, field;
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_find (&root, "data", &data), 0);
    cr_assert_eq (vb_json_array_begin (&data, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &entry), 1);
    if (snapshot)
        vb_book_clear (book);
    s_apply_side (&entry, "bids", book, VB_BOOK_BID);
    s_apply_side (&entry, "asks", book, VB_BOOK_ASK);
    uint64_t checksum = 0;
    cr_assert_eq (vb_json_find (&entry, "checksum", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &checksum), 0);
    vb_book_truncate (book, S_BOOK_DEPTH);
    cr_assert_not (vb_book_crossed (book));
    return (uint32_t)checksum;
}

//  --------------------------------------------------------------------------
//  Read book updates; returns how many of `count` had a checksum mismatch.

static int
s_book_mismatches (vbt_ws_t *ws, vb_json_t *json, vb_book_t *book, int count)
{
    int mismatches = 0;
    for (int seen = 0; seen < count; seen++) {
        const char *text = s_wait_for (ws, "\"channel\":\"book\",\"type\":\"update\"");
        uint32_t sent = s_apply_book (json, text, book, false);
        if (sent != vb_book_checksum_kraken (book))
            mismatches++;
    }
    return mismatches;
}

Test (sim_kraken, serves_asset_pairs_with_kraken_names_and_precisions)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    char *text = s_public (&sim, "AssetPairs");
    //  Spellings and numbers from venues.md 3.9 and the task's instrument list.
    cr_assert (strstr (text,
                       "{\"error\":[],\"result\":{\"XXBTZUSD\":{\"altname\":\"XBTUSD\","
                       "\"wsname\":\"XBT/USD\",\"aclass_base\":\"currency\",\"base\":\"XXBT\","
                       "\"aclass_quote\":\"currency\",\"quote\":\"ZUSD\",\"lot\":\"unit\","
                       "\"cost_decimals\":5,\"pair_decimals\":1,\"lot_decimals\":8,"),
               "%s", text);
    cr_assert (strstr (text, "\"ordermin\":\"0.00005\",\"costmin\":\"0.5\",\"tick_size\":\"0.1\","
                             "\"status\":\"online\""),
               "%s", text);
    cr_assert (strstr (text, "\"XETHZUSD\":{\"altname\":\"ETHUSD\",\"wsname\":\"ETH/USD\""));
    cr_assert (strstr (text, "\"pair_decimals\":2"));
    free (text);
    text = s_public (&sim, "AssetPairs?pair=XBT/USD");
    cr_assert (strstr (text, "XXBTZUSD") && !strstr (text, "XETHZUSD"), "%s", text);
    free (text);
    text = s_public (&sim, "AssetPairs?pair=BTCUSD");
    cr_assert_str_eq (text, "{\"error\":[\"EQuery:Unknown asset pair\"]}");
    free (text);
    char url[128];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/0/public/NoSuchMethod", sim.port);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 404);
    cr_assert_str_eq (response.body, "{\"error\":[\"EGeneral:Unknown method\"]}");
    vbt_http_response_free (&response);
    s_stop (&sim);
}

Test (sim_kraken, places_queries_and_cancels_a_signed_order)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    //  Far below the market (65000): it rests.
    char *text = s_private (&sim, "AddOrder",
                            "ordertype=limit&pair=XBTUSD&price=30000.0&type=buy&volume=0.001"
                            "&cl_ord_id=vbt-0001");
    cr_assert (strstr (text, "{\"error\":[],\"result\":{\"descr\":{\"order\":\"buy 0.00100000 "
                             "XBTUSD @ limit 30000.0\"},\"txid\":[\""),
               "%s", text);
    char txid[32];
    const char *start = strstr (text, "\"txid\":[\"") + strlen ("\"txid\":[\"");
    memcpy (txid, start, 19);
    txid[19] = 0;
    cr_assert (s_txid_shape (txid), "%s", txid);
    free (text);

    char fields[128];
    snprintf (fields, sizeof (fields), "txid=%s", txid);
    text = s_private (&sim, "QueryOrders", fields);
    char status[32], cl_ord_id[32];
    cr_assert (strstr (text, txid), "%s", text);
    cr_assert (s_string_field (text, "status", status, sizeof (status)));
    cr_assert_str_eq (status, "open");
    cr_assert (s_string_field (text, "cl_ord_id", cl_ord_id, sizeof (cl_ord_id)));
    cr_assert_str_eq (cl_ord_id, "vbt-0001");
    cr_assert (strstr (text, "\"vol\":\"0.00100000\",\"vol_exec\":\"0.00000000\""), "%s", text);
    free (text);

    text = s_private (&sim, "OpenOrders", NULL);
    cr_assert (strstr (text, txid), "%s", text);
    free (text);

    text = s_private (&sim, "CancelOrder", fields);
    cr_assert_str_eq (text, "{\"error\":[],\"result\":{\"count\":1}}");
    free (text);
    text = s_private (&sim, "QueryOrders", fields);
    cr_assert (s_string_field (text, "status", status, sizeof (status)));
    cr_assert_str_eq (status, "canceled");
    cr_assert (strstr (text, "\"reason\":\"User requested\""), "%s", text);
    free (text);
    text = s_private (&sim, "CancelOrder", fields);
    cr_assert_str_eq (text, "{\"error\":[\"EOrder:Unknown order\"]}");
    free (text);
    //  A sell pays its fee in the base by default (AddOrder oflags: "fcib
    //  ... default if selling"), so a resting sell of 0.001 BTC holds the
    //  fee too: 0.001 + 0.1 % of 0.001 = 0.001001 BTC, at XBT's 10 decimals.
    text = s_private (&sim, "AddOrder",
                      "ordertype=limit&pair=XBTUSD&price=200000.0&type=sell&volume=0.001");
    cr_assert (strstr (text, "\"txid\":[\""), "%s", text);
    free (text);
    text = s_private (&sim, "BalanceEx", NULL);
    cr_assert (strstr (text, "\"XXBT\":{\"balance\":\"10.0000000000\",\"hold_trade\":"
                             "\"0.0010010000\"}"),
               "%s", text);
    free (text);
    //  fcib and fciq together are refused (mutually exclusive)
    text = s_private (&sim, "AddOrder",
                      "ordertype=limit&pair=XBTUSD&price=200000.0&type=sell&volume=0.001"
                      "&oflags=fcib,fciq");
    cr_assert_str_eq (text, "{\"error\":[\"EGeneral:Invalid arguments:oflags\"]}");
    free (text);
    //  Too many decimals for XBTUSD (pair_decimals 1), and below ordermin.
    text = s_private (&sim, "AddOrder",
                      "ordertype=limit&pair=XBTUSD&price=30000.05&type=buy&volume=0.001");
    cr_assert_str_eq (text, "{\"error\":[\"EOrder:Invalid price:XBTUSD price can only be "
                            "specified up to 1 decimals.\"]}");
    free (text);
    text = s_private (&sim, "AddOrder",
                      "ordertype=limit&pair=XBTUSD&price=30000.0&type=buy&volume=0.00001");
    cr_assert_str_eq (text, "{\"error\":[\"EOrder:Order minimum not met\"]}");
    free (text);
    s_stop (&sim);
}

Test (sim_kraken, answers_each_auth_failure_with_krakens_error)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    char *text = s_private (&sim, "Balance", NULL);
    uint64_t accepted = sim.nonce;
    cr_assert (strstr (text, "{\"error\":[],\"result\":{"), "%s", text);
    cr_assert (strstr (text, "\"ZUSD\":\""), "%s", text);
    free (text);
    //  Signed with another secret.
    const char *other =
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZt"
        "uZuj6F1huXg==";
    text = s_private_as (&sim, S_KEY, other, "Balance", NULL, 0);
    cr_assert_str_eq (text, "{\"error\":[\"EAPI:Invalid signature\"]}");
    free (text);
    //  A nonce already used (correctly signed).
    text = s_private_as (&sim, S_KEY, sim.secret, "Balance", NULL, accepted);
    cr_assert_str_eq (text, "{\"error\":[\"EAPI:Invalid nonce\"]}");
    free (text);
    //  A key the venue does not know.
    text = s_private_as (&sim, "no-such-key", sim.secret, "Balance", NULL, 0);
    cr_assert_str_eq (text, "{\"error\":[\"EAPI:Invalid key\"]}");
    free (text);
    s_stop (&sim);

    //  A read-only key may read but not trade.
    s_start (&sim, "read");
    text = s_private (&sim, "Balance", NULL);
    cr_assert (strstr (text, "{\"error\":[],"), "%s", text);
    free (text);
    text = s_private (&sim, "AddOrder",
                      "ordertype=limit&pair=XBTUSD&price=30000.0&type=buy&volume=0.001");
    cr_assert_str_eq (text, "{\"error\":[\"EGeneral:Permission denied\"]}");
    free (text);
    text = s_private (&sim, "GetApiKeyInfo", NULL);
    cr_assert (strstr (text, "\"permissions\":[\"query-funds\",\"query-open-trades\","
                             "\"query-closed-trades\",\"query-ledger\"]"),
               "%s", text);
    free (text);
    s_stop (&sim);
}

Test (sim_kraken, limits_rest_calls_with_the_decaying_counter)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    //  Intermediate tier: 20 calls, -0.5 per second (venues.md 3.7). 20 quick
    //  calls pass; within the next few one must be refused.
    for (int call = 0; call < 20; call++) {
        char *text = s_private (&sim, "Balance", NULL);
        cr_assert (strstr (text, "{\"error\":[],"), "call %d: %s", call, text);
        free (text);
    }
    int limited = 0;
    for (int call = 0; call < 5; call++) {
        char *text = s_private (&sim, "Balance", NULL);
        if (strcmp (text, "{\"error\":[\"EAPI:Rate limit exceeded\"]}") == 0)
            limited++;
        free (text);
    }
    cr_assert_geq (limited, 3);
    s_stop (&sim);
}

Test (sim_kraken, streams_a_book_whose_checksums_all_verify)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    vbt_ws_t *ws = s_connect (&sim);
    s_send (ws,
            "{\"method\":\"subscribe\",\"params\":{\"channel\":\"book\",\"symbol\":[\"XBT/USD\"]},"
            "\"req_id\":7}");
    const char *text = s_wait_for (ws, "\"success\":false");
    cr_assert (strstr (text, "\"error\":\"Currency pair not supported XBT/USD\""), "%s", text);
    cr_assert (strstr (text, "\"req_id\":7"), "%s", text);
    s_send (ws,
            "{\"method\":\"subscribe\",\"params\":{\"channel\":\"book\",\"symbol\":[\"BTC/USD\"],"
            "\"depth\":10},\"req_id\":8}");
    text = s_wait_for (ws, "\"method\":\"subscribe\"");
    cr_assert (strstr (text, "{\"method\":\"subscribe\",\"result\":{\"channel\":\"book\","
                             "\"depth\":10,\"snapshot\":true,\"symbol\":\"BTC/USD\"},"
                             "\"req_id\":8,\"success\":true,"),
               "%s", text);
    vb_json_t *json = vb_json_new ();
    vb_book_t *book = vb_book_new (S_BOOK_CAP);
    text = s_wait_for (ws, "\"channel\":\"book\",\"type\":\"snapshot\"");
    uint32_t sent = s_apply_book (json, text, book, true);
    cr_assert_eq (sent, vb_book_checksum_kraken (book), "snapshot: %s", text);
    cr_assert_eq (vb_book_count (book, VB_BOOK_BID), S_BOOK_DEPTH);
    cr_assert_eq (s_book_mismatches (ws, json, book, S_UPDATES), 0);

    //  One corrupted checksum, then clean ones again.
    char url[128];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/_sim/faults", sim.port);
    vbt_http_response_t response;
    cr_assert_eq (
        vbt_http_request ("POST", url, NULL,
                          "{\"fault\":\"corrupt_checksum\",\"count\":1,\"stream\":\"book\"}",
                          S_HTTP_MS, &response),
        0);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    cr_assert_eq (s_book_mismatches (ws, json, book, S_UPDATES), 1);

    //  Ping, with its req_id echoed.
    s_send (ws, "{\"method\":\"ping\",\"req_id\":101}");
    text = s_wait_for (ws, "\"method\":\"pong\"");
    cr_assert (strstr (text, "{\"method\":\"pong\",\"req_id\":101,\"time_in\":\""), "%s", text);
    vb_book_destroy (&book);
    vb_json_destroy (&json);
    vbt_ws_destroy (&ws);
    s_stop (&sim);
}

Test (sim_kraken, streams_executions_to_a_token_holder)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    vbt_ws_t *ws = s_connect (&sim);
    s_send (ws, "{\"method\":\"subscribe\",\"params\":{\"channel\":\"executions\",\"token\":"
                "\"not-a-token\"}}");
    const char *text = s_wait_for (ws, "\"success\":false");
    cr_assert (strstr (text, "\"error\":\"EAPI:Invalid token\""), "%s", text);

    char *reply = s_private (&sim, "GetWebSocketsToken", NULL);
    char token[64];
    cr_assert (s_string_field (reply, "token", token, sizeof (token)), "%s", reply);
    cr_assert (strstr (reply, "\"expires\":900"), "%s", reply);
    free (reply);
    char request[256];
    snprintf (request, sizeof (request),
              "{\"method\":\"subscribe\",\"params\":{\"channel\":\"executions\",\"token\":\"%s\","
              "\"snap_orders\":true,\"snap_trades\":true},\"req_id\":3}",
              token);
    s_send (ws, request);
    text = s_wait_for (ws, "\"method\":\"subscribe\"");
    cr_assert (strstr (text, "\"result\":{\"channel\":\"executions\",\"maxratecount\":125,"
                             "\"snap_orders\":true,\"snap_trades\":true},\"req_id\":3,"
                             "\"success\":true"),
               "%s", text);
    s_wait_for (ws, "\"channel\":\"executions\",\"type\":\"snapshot\"");

    reply = s_private (&sim, "AddOrder",
                       "ordertype=limit&pair=XBTUSD&price=30000.0&type=buy&volume=0.001"
                       "&userref=42");
    const char *start = strstr (reply, "\"txid\":[\"");
    cr_assert_not_null (start, "%s", reply);
    char txid[32];
    memcpy (txid, start + strlen ("\"txid\":[\""), 19);
    txid[19] = 0;
    free (reply);
    text = s_wait_for (ws, "\"exec_type\":\"pending_new\"");
    cr_assert (strstr (text, txid), "%s", text);
    cr_assert (strstr (text, "\"order_userref\":42"), "%s", text);
    cr_assert (strstr (text, "\"symbol\":\"BTC/USD\",\"order_qty\":0.00100000"), "%s", text);
    text = s_wait_for (ws, "\"exec_type\":\"new\"");
    cr_assert (strstr (text, txid), "%s", text);
    cr_assert (strstr (text, "\"order_status\":\"new\""), "%s", text);

    char fields[64];
    snprintf (fields, sizeof (fields), "txid=%s", txid);
    reply = s_private (&sim, "CancelOrder", fields);
    free (reply);
    text = s_wait_for (ws, "\"exec_type\":\"canceled\"");
    cr_assert (strstr (text, txid), "%s", text);
    cr_assert (strstr (text, "\"reason\":\"User requested\""), "%s", text);

    //  A market sell: Kraken's default fee currency when selling is the
    //  base (fcib), a buy's the quote (fciq); oflags choose either.
    reply = s_private (&sim, "AddOrder", "ordertype=market&pair=XBTUSD&type=sell&volume=0.001");
    cr_assert (strstr (reply, "\"txid\":[\""), "%s", reply);
    free (reply);
    text = s_wait_for (ws, "\"exec_type\":\"pending_new\"");
    cr_assert (strstr (text, "\"side\":\"sell\""), "%s", text);
    cr_assert (strstr (text, "\"fee_ccy_pref\":\"fcib\""), "%s", text);
    text = s_wait_for (ws, "\"side\":\"sell\",\"last_qty\"");
    cr_assert (strstr (text, "\"fees\":[{\"asset\":\"BTC\",\"qty\":"), "%s", text);
    reply = s_private (&sim, "AddOrder", "ordertype=market&pair=XBTUSD&type=buy&volume=0.001");
    free (reply);
    text = s_wait_for (ws, "\"side\":\"buy\",\"last_qty\"");
    cr_assert (strstr (text, "\"fees\":[{\"asset\":\"USD\",\"qty\":"), "%s", text);
    reply = s_private (&sim, "AddOrder",
                       "ordertype=market&pair=XBTUSD&type=buy&volume=0.001&oflags=fcib");
    free (reply);
    text = s_wait_for (ws, "\"fee_ccy_pref\":\"fcib\"");
    cr_assert (strstr (text, "\"side\":\"buy\""), "%s", text);
    text = s_wait_for (ws, "\"side\":\"buy\",\"last_qty\"");
    cr_assert (strstr (text, "\"fees\":[{\"asset\":\"BTC\",\"qty\":"), "%s", text);
    vbt_ws_destroy (&ws);
    s_stop (&sim);
}
