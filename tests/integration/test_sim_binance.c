/*  test_sim_binance.c — the real venuebus-sim with the Binance personality,
    driven over HTTP and WebSocket as a third-party client would.

    Expected values come from the venue, not from the code under test:
    filters are Binance's published BTCUSDT ones (tick 0.01, step 0.00001,
    min notional 5), codes and texts are venues.md 1.5-1.7 / errors.md, the
    REST weights are rest-api.md's (exchangeInfo 20, depth 5000 -> 250), and
    the book sync procedure is venues.md 1.3.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vb_hmac.h"
#include "vb_json.h"
#include "vbt_http.h"
#include "vbt_proc.h"
#include "vbt_ws.h"

#define WAIT_MS 10000
#define HTTP_MS 10000
//  Binance API keys (and secrets) are 64 characters
#define API_KEY    "vbTestKey0123456789abcdefABCDEF0123456789abcdefghijklmnopqrstuvw"
#define API_SECRET "vbTestSecret0123456789abcdefABCDEF"
#define URL_MAX    4096
#define LEVELS_MAX 5000

typedef struct {
    vbt_proc_t *proc;
    int port;
} s_sim_t;

static void
s_start (s_sim_t *self, const char *permissions)
{
    char perms[128];
    snprintf (perms, sizeof perms, "VB_SIM_API_PERMISSIONS=%s", permissions);
    char *env[] = {"VB_SIM_API_KEY=" API_KEY, "VB_SIM_API_SECRET=" API_SECRET, perms,
                   "VB_SIM_API_IPS=127.0.0.1", NULL};
    char *argv[] = {VB_SIM_BIN, "--venue", "binance", "--port", "0", "--seed", "7", NULL};
    self->proc = vbt_proc_start (VB_SIM_BIN, argv, env);
    cr_assert_not_null (self->proc);
    char line[256], port[32];
    cr_assert_eq (vbt_proc_wait_line (self->proc, "ready ", WAIT_MS, line, sizeof line), 0,
                  "sim never said ready; stderr: %s", vbt_proc_stderr (self->proc));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    self->port = atoi (port);
    cr_assert_gt (self->port, 0);
}

static void
s_stop (s_sim_t *self)
{
    cr_assert_eq (vbt_proc_stop (&self->proc, WAIT_MS), 0);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  A public GET.
static void
s_get (s_sim_t *self, const char *path, vbt_http_response_t *response)
{
    char url[URL_MAX];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", self->port, path);
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, HTTP_MS, response), 0, "%s", url);
}

//  A signed request: params + timestamp, HMAC-SHA256 hex of the query with
//  the given secret, X-MBX-APIKEY. `timestamp` 0 means now.
static void
s_signed (s_sim_t *self, const char *method, const char *path, const char *params, const char *key,
          const char *secret, int64_t timestamp, vbt_http_response_t *response)
{
    char query[URL_MAX];
    snprintf (query, sizeof query, "%s%stimestamp=%" PRId64, params, *params ? "&" : "",
              timestamp ? timestamp : s_now_ms ());
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, secret, strlen (secret));
    char signature[VB_HEX_SIZE (VB_SHA256_SIZE)];
    cr_assert_eq (vb_hmac_sign_hex (signer, query, strlen (query), signature, sizeof signature),
                  64);
    vb_hmac_destroy (&signer);
    char url[2 * URL_MAX];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s?%s&signature=%s", self->port, path, query,
              signature);
    char header[256];
    snprintf (header, sizeof header, "X-MBX-APIKEY: %s", key);
    const char *headers[] = {header, NULL};
    cr_assert_eq (vbt_http_request (method, url, headers, NULL, HTTP_MS, response), 0, "%s", url);
}

static void
s_expect_error (const vbt_http_response_t *response, long status, const char *body)
{
    cr_assert_eq (response->status, status, "status %ld body %s", response->status, response->body);
    cr_assert_str_eq (response->body, body);
}

//  --------------------------------------------------------------------------

Test (sim_binance, serves_exchange_info_with_binance_filters_and_weight)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    vbt_http_response_t response;
    s_get (&sim, "/api/v3/exchangeInfo?symbol=BTCUSDT", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"timezone\":\"UTC\""));
    cr_assert (strstr (response.body, "{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":"
                                      "\"MINUTE\",\"intervalNum\":1,\"limit\":6000}"));
    cr_assert (strstr (response.body, "\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\","
                                      "\"baseAsset\":\"BTC\""));
    cr_assert (strstr (response.body, "\"quoteAsset\":\"USDT\""));
    cr_assert (
        strstr (response.body, "\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.01000000\""));
    cr_assert (strstr (response.body, "\"tickSize\":\"0.01000000\""));
    cr_assert (strstr (response.body, "\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.00001000\""));
    cr_assert (strstr (response.body, "\"stepSize\":\"0.00001000\""));
    cr_assert (
        strstr (response.body, "\"filterType\":\"NOTIONAL\",\"minNotional\":\"5.00000000\""));
    cr_assert_null (strstr (response.body, "ETHUSDT"));
    char used[32];
    cr_assert_eq (vbt_http_header (&response, "X-MBX-USED-WEIGHT-1M", used, sizeof used), 0);
    cr_assert_str_eq (used, "20");
    vbt_http_response_free (&response);

    s_get (&sim, "/api/v3/exchangeInfo?symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"symbol\":\"ETHUSDT\""));
    vbt_http_response_free (&response);

    s_get (&sim, "/api/v3/exchangeInfo?symbol=FOOBAR", &response);
    s_expect_error (&response, 400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
    vbt_http_response_free (&response);

    s_get (&sim, "/api/v3/nosuchthing", &response);
    cr_assert_eq (response.status, 404);
    vbt_http_response_free (&response);
    s_stop (&sim);
}

Test (sim_binance, serves_coins_aggregate_trades_and_futures_catalogs)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    vbt_http_response_t response;
    //  ccxt's loadMarkets with keys: GET /sapi/v1/capital/config/getall
    //  (signed, USER_DATA), an array of coins with the account's free and
    //  locked (demo: 10 BTC) and a networkList.
    s_signed (&sim, "GET", "/sapi/v1/capital/config/getall", "recvWindow=10000", API_KEY,
              API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strncmp (response.body, "[{\"coin\":\"BTC\",", strlen ("[{\"coin\":\"BTC\",")) == 0,
               "%s", response.body);
    cr_assert (strstr (response.body, "\"name\":\"Bitcoin\",\"free\":\"10.00000000\","
                                      "\"locked\":\"0.00000000\""),
               "%s", response.body);
    cr_assert (strstr (response.body, "\"networkList\":[{\"network\":\"BTC\",\"coin\":\"BTC\""),
               "%s", response.body);
    cr_assert (strstr (response.body, "{\"coin\":\"USDT\","), "%s", response.body);
    cr_assert (strstr (response.body, "{\"coin\":\"ETH\","), "%s", response.body);
    size_t listed = 0;  //  A coin is listed once, though two symbols quote USDT
    for (const char *at = response.body; (at = strstr (at, "{\"coin\":\"USDT\",")); at++)
        listed++;
    cr_assert_eq (listed, 1, "%s", response.body);
    vbt_http_response_free (&response);
    //  Unsigned: USER_DATA needs the key header (-2014)
    s_get (&sim, "/sapi/v1/capital/config/getall", &response);
    cr_assert_eq (response.status, 401, "%s", response.body);
    vbt_http_response_free (&response);

    //  ... and, with keys, the margin pair lists (MARKET_DATA: the key
    //  header alone). The sim offers no margin trading: both are empty.
    char url[URL_MAX], header[256];
    snprintf (header, sizeof header, "X-MBX-APIKEY: %s", API_KEY);
    const char *headers[] = {header, NULL};
    snprintf (url, sizeof url, "http://127.0.0.1:%d/sapi/v1/margin/allPairs", sim.port);
    cr_assert_eq (vbt_http_request ("GET", url, headers, NULL, HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert_str_eq (response.body, "[]");
    vbt_http_response_free (&response);
    s_signed (&sim, "GET", "/sapi/v1/margin/isolated/allPairs", "", API_KEY, API_SECRET, 0,
              &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert_str_eq (response.body, "[]");
    vbt_http_response_free (&response);
    s_get (&sim, "/sapi/v1/margin/allPairs", &response);
    s_expect_error (&response, 401, "{\"code\":-2014,\"msg\":\"API-key format invalid.\"}");
    vbt_http_response_free (&response);

    //  ccxt's fetchMarkets loads spot, linear and inverse: both futures
    //  catalogs answer, listing no symbols (the sim trades no futures).
    s_get (&sim, "/fapi/v1/exchangeInfo", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"timezone\":\"UTC\""), "%s", response.body);
    cr_assert (strstr (response.body, "\"futuresType\":\"U_MARGINED\""), "%s", response.body);
    cr_assert (strstr (response.body, "{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":"
                                      "\"MINUTE\",\"intervalNum\":1,\"limit\":2400}"),
               "%s", response.body);
    cr_assert (strstr (response.body, "\"symbols\":[]}"), "%s", response.body);
    vbt_http_response_free (&response);
    s_get (&sim, "/dapi/v1/exchangeInfo", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"symbols\":[]}"), "%s", response.body);
    vbt_http_response_free (&response);

    //  aggTrades: make sure there is a print, then the newest aggregate
    //  trade is the newest trade (a = f = l = its id, same p, q, T, m).
    s_signed (&sim, "POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.00100",
              API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    vbt_http_response_t trades;
    s_get (&sim, "/api/v3/trades?symbol=BTCUSDT&limit=1", &trades);
    cr_assert_eq (trades.status, 200, "%s", trades.body);
    s_get (&sim, "/api/v3/aggTrades?symbol=BTCUSDT&limit=1", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    char used[32];
    cr_assert_eq (vbt_http_header (&response, "X-MBX-USED-WEIGHT-1M", used, sizeof used), 0);
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, row, field;
    vb_json_iter_t iter;
    uint64_t id, agg, first, last;
    int64_t time_ms, agg_ms;
    cr_assert_eq (vb_json_parse (json, trades.body, trades.body_length, &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &row), 1);
    cr_assert_eq (vb_json_find (&row, "id", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &id), 0);
    cr_assert_eq (vb_json_find (&row, "time", &field), 0);
    cr_assert_eq (vb_json_int64 (&field, &time_ms), 0);
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &row), 1);
    cr_assert_eq (vb_json_find (&row, "a", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &agg), 0);
    cr_assert_eq (vb_json_find (&row, "f", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &first), 0);
    cr_assert_eq (vb_json_find (&row, "l", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &last), 0);
    cr_assert_eq (vb_json_find (&row, "T", &field), 0);
    cr_assert_eq (vb_json_int64 (&field, &agg_ms), 0);
    cr_assert_eq (vb_json_find (&row, "M", &field), 0);
    cr_assert_eq (vb_json_array_next (&iter, &field), 0, "limit=1 gave more: %s", response.body);
    //  A newer print may land between the two calls: then ids differ by
    //  more, never go backwards.
    cr_assert_geq (agg, id);
    cr_assert_eq (first, agg);
    cr_assert_eq (last, agg);
    cr_assert_geq (agg_ms, time_ms);
    vbt_http_response_free (&response);
    vbt_http_response_free (&trades);
    //  fromId=1: the first print of the run, trade id 1
    s_get (&sim, "/api/v3/aggTrades?symbol=BTCUSDT&fromId=1&limit=1", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strncmp (response.body, "[{\"a\":1,\"p\":\"", strlen ("[{\"a\":1,\"p\":\"")) == 0,
               "%s", response.body);
    vbt_http_response_free (&response);
    //  More than an hour between startTime and endTime
    s_get (&sim, "/api/v3/aggTrades?symbol=BTCUSDT&startTime=0&endTime=3600001", &response);
    s_expect_error (&response, 400,
                    "{\"code\":-1127,\"msg\":\"More than 1 hours between startTime and "
                    "endTime.\"}");
    vbt_http_response_free (&response);
    s_get (&sim, "/api/v3/aggTrades?symbol=FOOBAR", &response);
    s_expect_error (&response, 400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
    vbt_http_response_free (&response);
    vb_json_destroy (&json);
    s_stop (&sim);
}

Test (sim_binance, places_queries_and_cancels_a_signed_order)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    vbt_http_response_t response;
    //  1000.00 x 0.01 = 10 USDT: above min notional 5, far below the market
    s_signed (&sim, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=1000.00&"
              "newClientOrderId=roundTrip1",
              API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"symbol\":\"BTCUSDT\""));
    cr_assert (strstr (response.body, "\"clientOrderId\":\"roundTrip1\""));
    cr_assert (strstr (response.body, "\"price\":\"1000.00000000\",\"origQty\":\"0.01000000\""));
    cr_assert (strstr (response.body, "\"status\":\"NEW\""));
    cr_assert (strstr (response.body, "\"fills\":[]"));
    //  Binance locks exactly price x quantity of the quote for a resting buy
    //  (the commission comes out of the asset received): 1000 x 0.01 = 10.
    vbt_http_response_t account;
    s_signed (&sim, "GET", "/api/v3/account", "", API_KEY, API_SECRET, 0, &account);
    cr_assert_eq (account.status, 200, "%s", account.body);
    cr_assert (strstr (account.body, "{\"asset\":\"USDT\",\"free\":\"999990.00000000\","
                                     "\"locked\":\"10.00000000\"}"),
               "%s", account.body);
    vbt_http_response_free (&account);
    char count[32];
    cr_assert_eq (vbt_http_header (&response, "X-MBX-ORDER-COUNT-10S", count, sizeof count), 0);
    cr_assert_str_eq (count, "1");
    cr_assert_eq (vbt_http_header (&response, "X-MBX-ORDER-COUNT-1D", count, sizeof count), 0);
    vbt_http_response_free (&response);

    s_signed (&sim, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=roundTrip1", API_KEY,
              API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"status\":\"NEW\""));
    cr_assert (strstr (response.body, "\"isWorking\":true"));
    vbt_http_response_free (&response);

    //  A second order with the same client id while the first is open
    s_signed (&sim, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=1000.00&"
              "newClientOrderId=roundTrip1",
              API_KEY, API_SECRET, 0, &response);
    s_expect_error (&response, 400, "{\"code\":-2010,\"msg\":\"Duplicate order sent.\"}");
    vbt_http_response_free (&response);

    s_signed (&sim, "GET", "/api/v3/openOrders", "symbol=BTCUSDT", API_KEY, API_SECRET, 0,
              &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "roundTrip1"));
    vbt_http_response_free (&response);

    s_signed (&sim, "DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=roundTrip1",
              API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"origClientOrderId\":\"roundTrip1\""));
    cr_assert (strstr (response.body, "\"status\":\"CANCELED\""));
    vbt_http_response_free (&response);

    s_signed (&sim, "DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=roundTrip1",
              API_KEY, API_SECRET, 0, &response);
    s_expect_error (&response, 400, "{\"code\":-2011,\"msg\":\"Unknown order sent.\"}");
    vbt_http_response_free (&response);

    s_signed (&sim, "GET", "/api/v3/order", "symbol=BTCUSDT&orderId=999999", API_KEY, API_SECRET, 0,
              &response);
    s_expect_error (&response, 400, "{\"code\":-2013,\"msg\":\"Order does not exist.\"}");
    vbt_http_response_free (&response);

    //  Filters: 0.001 is not a multiple of the 0.01 tick
    s_signed (&sim, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=1000.001",
              API_KEY, API_SECRET, 0, &response);
    s_expect_error (&response, 400, "{\"code\":-1013,\"msg\":\"Filter failure: PRICE_FILTER\"}");
    vbt_http_response_free (&response);
    //  1000 x 0.001 = 1 USDT < 5
    s_signed (&sim, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=1000",
              API_KEY, API_SECRET, 0, &response);
    s_expect_error (&response, 400, "{\"code\":-1013,\"msg\":\"Filter failure: NOTIONAL\"}");
    vbt_http_response_free (&response);
    //  Demo funds are 1,000,000 USDT: 20 BTC at 100,000 is 2,000,000
    s_signed (&sim, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=20&price=100000",
              API_KEY, API_SECRET, 0, &response);
    s_expect_error (&response, 400,
                    "{\"code\":-2010,\"msg\":\"Account has insufficient balance for requested "
                    "action.\"}");
    vbt_http_response_free (&response);
    s_signed (&sim, "POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=0.01",
              API_KEY, API_SECRET, 0, &response);
    s_expect_error (&response, 400,
                    "{\"code\":-1102,\"msg\":\"Mandatory parameter 'timeInForce' was not sent, was "
                    "empty/null, or malformed.\"}");
    vbt_http_response_free (&response);

    //  A market buy fills against the synthetic book
    s_signed (&sim, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.00100&newOrderRespType=FULL", API_KEY,
              API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"status\":\"FILLED\""), "%s", response.body);
    //  "Trading fees are always charged in the asset you receive" (Binance
    //  FAQ): a buy pays its commission in BTC, never in USDT.
    cr_assert (strstr (response.body, "\"commissionAsset\":\"BTC\""), "%s", response.body);
    cr_assert_null (strstr (response.body, "\"commissionAsset\":\"USDT\""), "%s", response.body);
    vbt_http_response_free (&response);
    s_signed (&sim, "GET", "/api/v3/myTrades", "symbol=BTCUSDT", API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"commissionAsset\":\"BTC\",\"time\":"), "%s",
               response.body);
    cr_assert (strstr (response.body, "\"isBuyer\":true,\"isMaker\":false"), "%s", response.body);
    vbt_http_response_free (&response);
    //  10 BTC + 0.001 bought - 0.1 % of 0.001 (0.000001) = 10.000999 BTC;
    //  each fill's fee is a whole 10^-8, so no rounding whatever the split.
    s_signed (&sim, "GET", "/api/v3/account", "", API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "{\"asset\":\"BTC\",\"free\":\"10.00099900\","
                                      "\"locked\":\"0.00000000\"}"),
               "%s", response.body);
    vbt_http_response_free (&response);
    //  A sell pays in the asset it receives, USDT
    s_signed (&sim, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.00100&newOrderRespType=FULL",
              API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"commissionAsset\":\"USDT\""), "%s", response.body);
    cr_assert_null (strstr (response.body, "\"commissionAsset\":\"BTC\""), "%s", response.body);
    vbt_http_response_free (&response);
    s_stop (&sim);
}

Test (sim_binance, answers_each_auth_failure_with_the_venue_code)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    vbt_http_response_t response;
    s_signed (&sim, "GET", "/api/v3/account", "", API_KEY, "not-the-secret", 0, &response);
    s_expect_error (&response, 400,
                    "{\"code\":-1022,\"msg\":\"Signature for this request is not valid.\"}");
    vbt_http_response_free (&response);
    //  Ten minutes old, with the default 5000 ms recvWindow
    s_signed (&sim, "GET", "/api/v3/account", "", API_KEY, API_SECRET, s_now_ms () - 600000,
              &response);
    s_expect_error (&response, 400,
                    "{\"code\":-1021,\"msg\":\"Timestamp for this request is outside of the "
                    "recvWindow.\"}");
    vbt_http_response_free (&response);
    s_signed (&sim, "GET", "/api/v3/account", "", API_KEY, API_SECRET, s_now_ms () + 60000,
              &response);
    s_expect_error (&response, 400,
                    "{\"code\":-1021,\"msg\":\"Timestamp for this request was 1000ms ahead of the "
                    "server's time.\"}");
    vbt_http_response_free (&response);
    s_signed (&sim, "GET", "/api/v3/account", "", "unknownKey", API_SECRET, 0, &response);
    s_expect_error (&response, 401,
                    "{\"code\":-2015,\"msg\":\"Invalid API-key, IP, or permissions for action.\"}");
    vbt_http_response_free (&response);
    s_signed (&sim, "GET", "/api/v3/account", "", API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "{\"asset\":\"USDT\",\"free\":\"1000000.00000000\","
                                      "\"locked\":\"0.00000000\"}"),
               "%s", response.body);
    vbt_http_response_free (&response);
    s_signed (&sim, "GET", "/sapi/v1/account/apiRestrictions", "", API_KEY, API_SECRET, 0,
              &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"ipRestrict\":true"));
    cr_assert (strstr (response.body, "\"enableReading\":true,\"enableSpotAndMarginTrading\":true,"
                                      "\"enableWithdrawals\":false"));
    vbt_http_response_free (&response);
    s_stop (&sim);

    //  A read-only key may read but not trade
    s_start (&sim, "read");
    s_signed (&sim, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=1000",
              API_KEY, API_SECRET, 0, &response);
    s_expect_error (&response, 401,
                    "{\"code\":-2015,\"msg\":\"Invalid API-key, IP, or permissions for action.\"}");
    vbt_http_response_free (&response);
    s_signed (&sim, "GET", "/api/v3/account", "", API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (strstr (response.body, "\"canTrade\":false"));
    vbt_http_response_free (&response);
    s_stop (&sim);
}

Test (sim_binance, answers_429_then_bans_with_418)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    //  depth with limit 5000 weighs 250: the 25th in a minute passes 6000.
    //  Should a minute boundary fall inside the burst, the counter resets
    //  and the burst is repeated once.
    bool seen = false;
    for (int attempt = 0; attempt < 2 && !seen; attempt++) {
        vbt_http_response_t response;
        for (int request = 0; request < 60; request++) {
            s_get (&sim, "/api/v3/depth?symbol=BTCUSDT&limit=5000", &response);
            long status = response.status;
            char retry[32] = "";
            vbt_http_header (&response, "Retry-After", retry, sizeof retry);
            if (status == 429) {
                cr_assert (strstr (response.body, "{\"code\":-1003,\"msg\":\"Too much request "
                                                  "weight used; current limit is 6000 request "
                                                  "weight per 1 MINUTE."),
                           "%s", response.body);
                cr_assert_gt (atoi (retry), 0);
                vbt_http_response_free (&response);
                s_get (&sim, "/api/v3/ping", &response);
                if (response.status == 418) {
                    cr_assert (strstr (response.body, "{\"code\":-1003,\"msg\":\"Way too much "
                                                      "request weight used; IP banned until "),
                               "%s", response.body);
                    cr_assert_eq (vbt_http_header (&response, "Retry-After", retry, sizeof retry),
                                  0);
                    cr_assert_geq (atoi (retry), 1);
                    seen = true;
                }
                vbt_http_response_free (&response);
                break;
            }
            cr_assert_eq (status, 200, "%s", response.body);
            vbt_http_response_free (&response);
        }
    }
    cr_assert (seen, "no 429 then 418");
    s_stop (&sim);
}

//  --------------------------------------------------------------------------
//  Local order book, as a client keeps it (venues.md 1.3).

typedef struct {
    char price[32];
    char qty[32];
} s_level_t;

typedef struct {
    s_level_t bids[LEVELS_MAX];
    size_t bid_count;
    s_level_t asks[LEVELS_MAX];
    size_t ask_count;
    uint64_t update_id;
} s_book_t;

//  Set a level to qty (a zero qty removes it); levels stay in price order.
static void
s_book_set (s_level_t *levels, size_t *count, const char *price, size_t price_length,
            const char *qty, size_t qty_length, bool bids)
{
    char price_text[32], qty_text[32];
    snprintf (price_text, sizeof price_text, "%.*s", (int)price_length, price);
    snprintf (qty_text, sizeof qty_text, "%.*s", (int)qty_length, qty);
    double value = strtod (price_text, NULL);  //  Ordering only; texts are compared exactly
    size_t at = 0;
    while (at < *count) {
        double other = strtod (levels[at].price, NULL);
        if (strcmp (levels[at].price, price_text) == 0)
            break;
        if (bids ? other < value : other > value)
            break;
        at++;
    }
    bool found = at < *count && strcmp (levels[at].price, price_text) == 0;
    bool zero = strtod (qty_text, NULL) == 0;
    if (found && zero) {
        memmove (&levels[at], &levels[at + 1], (*count - at - 1) * sizeof (s_level_t));
        (*count)--;
    } else if (found)
        snprintf (levels[at].qty, sizeof levels[at].qty, "%s", qty_text);
    else if (!zero) {
        cr_assert_lt (*count, LEVELS_MAX);
        memmove (&levels[at + 1], &levels[at], (*count - at) * sizeof (s_level_t));
        snprintf (levels[at].price, sizeof levels[at].price, "%s", price_text);
        snprintf (levels[at].qty, sizeof levels[at].qty, "%s", qty_text);
        (*count)++;
    }
}

static void
s_apply_levels (vb_json_val_t *array, s_level_t *levels, size_t *count, bool bids)
{
    vb_json_iter_t iter, inner;
    vb_json_val_t level, price, qty;
    cr_assert_eq (vb_json_array_begin (array, &iter), 0);
    while (vb_json_array_next (&iter, &level) == 1) {
        const char *price_text, *qty_text;
        size_t price_length, qty_length;
        cr_assert_eq (vb_json_array_begin (&level, &inner), 0);
        cr_assert_eq (vb_json_array_next (&inner, &price), 1);
        cr_assert_eq (vb_json_string (&price, &price_text, &price_length), 0);
        cr_assert_eq (vb_json_array_next (&inner, &qty), 1);
        cr_assert_eq (vb_json_string (&qty, &qty_text, &qty_length), 0);
        s_book_set (levels, count, price_text, price_length, qty_text, qty_length, bids);
    }
}

static void
s_snapshot (s_sim_t *sim, vb_json_t *json, s_book_t *book)
{
    vbt_http_response_t response;
    s_get (sim, "/api/v3/depth?symbol=BTCUSDT&limit=5000", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vb_json_val_t root, field;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    memset (book, 0, sizeof *book);
    cr_assert_eq (vb_json_find (&root, "lastUpdateId", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &book->update_id), 0);
    cr_assert_eq (vb_json_find (&root, "bids", &field), 0);
    s_apply_levels (&field, book->bids, &book->bid_count, true);
    cr_assert_eq (vb_json_find (&root, "asks", &field), 0);
    s_apply_levels (&field, book->asks, &book->ask_count, false);
    vbt_http_response_free (&response);
}

//  Apply one depthUpdate; returns false when it is before the book.
static bool
s_apply_diff (vb_json_t *json, const char *text, size_t length, s_book_t *book, bool first)
{
    vb_json_val_t root, field;
    uint64_t first_id, last_id;
    cr_assert_eq (vb_json_parse (json, text, length, &root), 0);
    cr_assert_eq (vb_json_find (&root, "e", &field), 0);
    cr_assert_eq (vb_json_find (&root, "U", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &first_id), 0);
    cr_assert_eq (vb_json_find (&root, "u", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &last_id), 0);
    if (last_id <= book->update_id)
        return false;  //  Step 4: drop events the snapshot already holds
    if (first)
        cr_assert (first_id <= book->update_id + 1, "U %" PRIu64 " > lastUpdateId+1 %" PRIu64,
                   first_id, book->update_id + 1);
    else
        cr_assert_eq (first_id, book->update_id + 1, "gap: U %" PRIu64 " after u %" PRIu64,
                      first_id, book->update_id);
    cr_assert_eq (vb_json_find (&root, "b", &field), 0);
    s_apply_levels (&field, book->bids, &book->bid_count, true);
    cr_assert_eq (vb_json_find (&root, "a", &field), 0);
    s_apply_levels (&field, book->asks, &book->ask_count, false);
    book->update_id = last_id;
    return true;
}

static bool
s_books_equal (const s_book_t *a, const s_book_t *b)
{
    if (a->bid_count != b->bid_count || a->ask_count != b->ask_count)
        return false;
    for (size_t index = 0; index < a->bid_count; index++)
        if (strcmp (a->bids[index].price, b->bids[index].price) ||
            strcmp (a->bids[index].qty, b->bids[index].qty))
            return false;
    for (size_t index = 0; index < a->ask_count; index++)
        if (strcmp (a->asks[index].price, b->asks[index].price) ||
            strcmp (a->asks[index].qty, b->asks[index].qty))
            return false;
    return true;
}

Test (sim_binance, depth_diffs_after_a_snapshot_rebuild_the_rest_book)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    int status = 0;
    vbt_ws_t *ws =
        vbt_ws_connect ("127.0.0.1", sim.port, "/ws/btcusdt@depth@100ms", WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade status %d", status);
    vb_json_t *json = vb_json_new ();
    //  Step 1: buffer; wait for the first event before taking the snapshot
    char *buffered[256];
    size_t buffered_count = 0;
    const char *text;
    size_t length;
    cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert (strncmp (text, "{\"e\":\"depthUpdate\",\"E\":", 23) == 0, "%s", text);
    buffered[buffered_count++] = strndup (text, length);
    static s_book_t book, rest;
    s_snapshot (&sim, json, &book);
    //  Events up to the snapshot arrived before or come right after it
    bool first = true;
    for (size_t index = 0; index < buffered_count; index++) {
        if (s_apply_diff (json, buffered[index], strlen (buffered[index]), &book, first))
            first = false;
        free (buffered[index]);
    }
    //  Follow the stream for a while, then compare with REST at the same id
    int compared = 0;
    for (int round = 0; round < 200 && compared < 3; round++) {
        cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
        if (s_apply_diff (json, text, length, &book, first))
            first = false;
        if (round % 10 != 9 || first)
            continue;
        s_snapshot (&sim, json, &rest);
        //  Catch up to the REST id (the stream lags up to 100 ms)
        while (book.update_id < rest.update_id) {
            cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
            s_apply_diff (json, text, length, &book, false);
        }
        if (book.update_id == rest.update_id) {
            cr_assert (s_books_equal (&book, &rest), "book differs from REST at id %" PRIu64,
                       book.update_id);
            compared++;
        }
    }
    cr_assert_geq (compared, 1, "never caught REST at the same update id");
    vb_json_destroy (&json);
    vbt_ws_destroy (&ws);
    s_stop (&sim);
}

Test (sim_binance, opens_a_raw_connection_on_a_path_that_names_no_stream)
{
    //  ccxt.pro connects to /ws/<its connection index> and then SUBSCRIBEs;
    //  the venue accepts any such path as a raw stream connection.
    s_sim_t sim;
    s_start (&sim, "read,trade");
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim.port, "/ws/0", WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade status %d", status);
    const char *subscribe =
        "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@depth@100ms\"],\"id\":1}";
    cr_assert_eq (vbt_ws_send_text (ws, subscribe, strlen (subscribe)), 0);
    const char *text;
    size_t length;
    //  Nothing was subscribed before: the first frame is the reply
    cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert_str_eq (text, "{\"result\":null,\"id\":1}");
    cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert (strncmp (text, "{\"e\":\"depthUpdate\",\"E\":", 23) == 0, "%s", text);
    vbt_ws_destroy (&ws);
    //  A combined list still holds stream names only
    ws = vbt_ws_connect ("127.0.0.1", sim.port, "/stream?streams=0", WAIT_MS, &status);
    cr_assert_null (ws);
    cr_assert_eq (status, 404);
    s_stop (&sim);
}

Test (sim_binance, streams_combined_payloads_and_answers_methods)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    int status = 0;
    vbt_ws_t *ws =
        vbt_ws_connect ("127.0.0.1", sim.port, "/stream?streams=btcusdt@bookTicker/btcusdt@trade",
                        WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade status %d", status);
    const char *text;
    size_t length;
    bool ticker = false;
    for (int round = 0; round < 100 && !ticker; round++) {
        cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
        ticker = strncmp (text, "{\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":", 43) == 0;
    }
    cr_assert (ticker);
    const char *list = "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":3}";
    cr_assert_eq (vbt_ws_send_text (ws, list, strlen (list)), 0);
    bool listed = false;
    for (int round = 0; round < 200 && !listed; round++) {
        cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
        if (strstr (text, "\"id\":3")) {
            cr_assert_str_eq (text,
                              "{\"result\":[\"btcusdt@bookTicker\",\"btcusdt@trade\"],\"id\":3}");
            listed = true;
        }
    }
    cr_assert (listed);
    const char *bad = "{\"method\":\"FOO\",\"id\":4}";
    cr_assert_eq (vbt_ws_send_text (ws, bad, strlen (bad)), 0);
    bool refused = false;
    for (int round = 0; round < 200 && !refused; round++) {
        cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
        refused = strncmp (text, "{\"code\":2,\"msg\":\"Invalid request: unknown variant", 48) == 0;
    }
    cr_assert (refused);
    //  A sixth message within a second closes the connection (5 msgs/s)
    const char *ping = "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":5}";
    for (int index = 0; index < 8; index++)
        vbt_ws_send_text (ws, ping, strlen (ping));
    int rc = VBT_WS_TEXT;
    for (int round = 0; round < 1000 && rc == VBT_WS_TEXT; round++)
        rc = vbt_ws_recv (ws, WAIT_MS, &text, &length);
    cr_assert_eq (rc, VBT_WS_CLOSED);
    vbt_ws_destroy (&ws);
    s_stop (&sim);
}

Test (sim_binance, pushes_execution_reports_on_the_ws_api)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim.port, "/ws-api/v3", WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade status %d", status);
    //  userDataStream.subscribe.signature: HMAC of the sorted params
    char payload[512], signature[VB_HEX_SIZE (VB_SHA256_SIZE)], request[1024];
    snprintf (payload, sizeof payload, "apiKey=%s&timestamp=%" PRId64, API_KEY, s_now_ms ());
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, API_SECRET, strlen (API_SECRET));
    cr_assert_eq (vb_hmac_sign_hex (signer, payload, strlen (payload), signature, sizeof signature),
                  64);
    vb_hmac_destroy (&signer);
    snprintf (request, sizeof request,
              "{\"id\":\"sub1\",\"method\":\"userDataStream.subscribe.signature\",\"params\":{"
              "\"apiKey\":\"%s\",\"timestamp\":%s,\"signature\":\"%s\"}}",
              API_KEY, strchr (strstr (payload, "timestamp="), '=') + 1, signature);
    cr_assert_eq (vbt_ws_send_text (ws, request, strlen (request)), 0);
    const char *text;
    size_t length;
    cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert (strncmp (text, "{\"id\":\"sub1\",\"status\":200,\"result\":{\"subscriptionId\":0}",
                        55) == 0,
               "%s", text);
    vbt_http_response_t response;
    s_signed (&sim, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=1000.00&"
              "newClientOrderId=wsApi1",
              API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    bool report = false, position = false;
    for (int round = 0; round < 10 && !(report && position); round++) {
        cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
        if (strncmp (text, "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\"", 50) == 0) {
            cr_assert (strstr (text, "\"s\":\"BTCUSDT\",\"c\":\"wsApi1\",\"S\":\"BUY\",\"o\":"
                                     "\"LIMIT\",\"f\":\"GTC\",\"q\":\"0.01000000\",\"p\":"
                                     "\"1000.00000000\""),
                       "%s", text);
            cr_assert (strstr (text, "\"x\":\"NEW\",\"X\":\"NEW\""), "%s", text);
            report = true;
        }
        if (strncmp (text, "{\"subscriptionId\":0,\"event\":{\"e\":\"outboundAccountPosition\"",
                     58) == 0) {
            cr_assert (report, "position before the execution report");
            cr_assert (strstr (text, "{\"a\":\"USDT\""), "%s", text);
            position = true;
        }
    }
    cr_assert (report && position);
    //  An unsigned logon is refused with the venue's code
    const char *logon = "{\"id\":7,\"method\":\"session.logon\",\"params\":{\"apiKey\":\"" API_KEY
                        "\",\"timestamp\":1,\"signature\":\"00\"}}";
    cr_assert_eq (vbt_ws_send_text (ws, logon, strlen (logon)), 0);
    cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
    cr_assert (strncmp (text, "{\"id\":7,\"status\":400,\"error\":{\"code\":-1022,", 42) == 0, "%s",
               text);
    vbt_ws_destroy (&ws);
    s_stop (&sim);
}

//  Sign sorted WS API params "k=v&..." (already sorted by the caller).
static void
s_ws_sign (const char *payload, char *signature, size_t size)
{
    vb_hmac_t *signer = vb_hmac_new (VB_HMAC_SHA256, API_SECRET, strlen (API_SECRET));
    cr_assert_eq (vb_hmac_sign_hex (signer, payload, strlen (payload), signature, size), 64);
    vb_hmac_destroy (&signer);
}

//  The next message that starts with prefix (others, such as events, skipped).
static const char *
s_ws_expect (vbt_ws_t *ws, const char *prefix)
{
    const char *text;
    size_t length;
    for (int round = 0; round < 50; round++) {
        cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
        if (strncmp (text, prefix, strlen (prefix)) == 0)
            return text;
    }
    cr_assert_fail ("no message starting %s", prefix);
    return NULL;
}

Test (sim_binance, trades_over_a_logged_on_ws_api_session)
{
    s_sim_t sim;
    s_start (&sim, "read,trade");
    int status = 0;
    vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim.port, "/ws-api/v3", WAIT_MS, &status);
    cr_assert_not_null (ws, "upgrade status %d", status);
    char payload[512], signature[VB_HEX_SIZE (VB_SHA256_SIZE)], request[1024];
    int64_t now = s_now_ms ();
    snprintf (payload, sizeof payload, "apiKey=%s&timestamp=%" PRId64, API_KEY, now);
    s_ws_sign (payload, signature, sizeof signature);
    snprintf (request, sizeof request,
              "{\"id\":1,\"method\":\"session.logon\",\"params\":{\"apiKey\":\"%s\","
              "\"signature\":\"%s\",\"timestamp\":%" PRId64 "}}",
              API_KEY, signature, now);
    cr_assert_eq (vbt_ws_send_text (ws, request, strlen (request)), 0);
    const char *text = s_ws_expect (ws, "{\"id\":1,");
    cr_assert (strncmp (text, "{\"id\":1,\"status\":200,\"result\":{\"apiKey\":\"" API_KEY "\"",
                        40 + strlen (API_KEY)) == 0,
               "%s", text);
    const char *subscribe = "{\"id\":2,\"method\":\"userDataStream.subscribe\"}";
    cr_assert_eq (vbt_ws_send_text (ws, subscribe, strlen (subscribe)), 0);
    text = s_ws_expect (ws, "{\"id\":2,");
    cr_assert (strncmp (text, "{\"id\":2,\"status\":200,\"result\":{\"subscriptionId\":0}", 50) ==
                   0,
               "%s", text);
    //  After logon, order.place needs only timestamp
    snprintf (request, sizeof request,
              "{\"id\":3,\"method\":\"order.place\",\"params\":{\"symbol\":\"BTCUSDT\",\"side\":"
              "\"SELL\",\"type\":\"LIMIT\",\"timeInForce\":\"GTC\",\"quantity\":\"0.01000\","
              "\"price\":\"900000.00\",\"newClientOrderId\":\"wsPlace1\",\"timestamp\":%" PRId64
              "}}",
              s_now_ms ());
    cr_assert_eq (vbt_ws_send_text (ws, request, strlen (request)), 0);
    bool report = false, placed = false;
    for (int round = 0; round < 20 && !(report && placed); round++) {
        size_t length;
        cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
        if (strncmp (text, "{\"id\":3,", 8) == 0) {
            cr_assert (strstr (text, "\"status\":200"), "%s", text);
            cr_assert (strstr (text, "\"clientOrderId\":\"wsPlace1\""), "%s", text);
            cr_assert (strstr (text, "\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\""));
            placed = true;
        }
        if (strstr (text, "\"e\":\"executionReport\"") && strstr (text, "\"c\":\"wsPlace1\""))
            report = true;
    }
    cr_assert (report && placed);
    snprintf (request, sizeof request,
              "{\"id\":4,\"method\":\"order.cancel\",\"params\":{\"symbol\":\"BTCUSDT\","
              "\"origClientOrderId\":\"wsPlace1\",\"timestamp\":%" PRId64 "}}",
              s_now_ms ());
    cr_assert_eq (vbt_ws_send_text (ws, request, strlen (request)), 0);
    text = s_ws_expect (ws, "{\"id\":4,");
    cr_assert (strstr (text, "\"status\":\"CANCELED\""), "%s", text);
    vbt_ws_destroy (&ws);
    s_stop (&sim);
}

//  --------------------------------------------------------------------------
//  USD-M funding: premiumIndex and the markPrice streams (venues.md 1.2).
//  With the flow off (--rate 0) the book holds only the two orders placed
//  here, so the mark (the mid) is known by hand: (1000 + 900000) / 2 =
//  450500. The funding rate is the 0.01 % base interest rate and funding
//  falls on the 8-hour grid (00:00, 08:00, 16:00 UTC).

#define S_FUNDING_PERIOD_MS INT64_C (28800000)

static void
s_start_still (s_sim_t *self)
{
    char *env[] = {"VB_SIM_API_KEY=" API_KEY, "VB_SIM_API_SECRET=" API_SECRET,
                   "VB_SIM_API_PERMISSIONS=read,trade", "VB_SIM_API_IPS=127.0.0.1", NULL};
    char *argv[] = {VB_SIM_BIN, "--venue", "binance", "--port", "0",
                    "--seed",   "7",       "--rate",  "0",      NULL};
    self->proc = vbt_proc_start (VB_SIM_BIN, argv, env);
    cr_assert_not_null (self->proc);
    char line[256], port[32];
    cr_assert_eq (vbt_proc_wait_line (self->proc, "ready ", WAIT_MS, line, sizeof line), 0,
                  "sim never said ready; stderr: %s", vbt_proc_stderr (self->proc));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof port), 0);
    self->port = atoi (port);
    vbt_http_response_t response;
    s_signed (self, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=1000.00",
              API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
    s_signed (self, "POST", "/api/v3/order",
              "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.01000&price="
              "900000.00",
              API_KEY, API_SECRET, 0, &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    vbt_http_response_free (&response);
}

//  Check one premiumIndex or markPriceUpdate object field by field, in the
//  venue's order. `keys` lists them; string fields must equal `values`
//  (NULL: any), integer fields are returned in times[].
static void
s_expect_fields (vb_json_val_t *object, const char *const *keys, const char *const *values,
                 int64_t *times)
{
    vb_json_iter_t iter;
    const char *key;
    size_t key_length, index = 0, time_index = 0;
    vb_json_val_t value;
    cr_assert_eq (vb_json_object_begin (object, &iter), 0);
    while (vb_json_object_next (&iter, &key, &key_length, &value) == 1) {
        cr_assert_not_null (keys[index], "extra field %.*s", (int)key_length, key);
        cr_assert (key_length == strlen (keys[index]) && memcmp (key, keys[index], key_length) == 0,
                   "field %zu is %.*s, not %s", index, (int)key_length, key, keys[index]);
        if (vb_json_type (&value) == VB_JSON_NUMBER) {
            cr_assert_eq (vb_json_int64 (&value, &times[time_index++]), 0, "%s", keys[index]);
        } else {
            const char *text;
            size_t length;
            cr_assert_eq (vb_json_string (&value, &text, &length), 0, "%s", keys[index]);
            if (values[index])
                cr_assert (length == strlen (values[index]) &&
                               memcmp (text, values[index], length) == 0,
                           "%s: %.*s, not %s", keys[index], (int)length, text, values[index]);
        }
        index++;
    }
    cr_assert_null (keys[index], "field %s missing", keys[index]);
}

Test (sim_binance, premium_index_has_the_usdm_fields)
{
    s_sim_t sim;
    s_start_still (&sim);
    vbt_http_response_t response;
    int64_t before = s_now_ms ();
    s_get (&sim, "/fapi/v1/premiumIndex?symbol=BTCUSDT", &response);
    int64_t after = s_now_ms ();
    cr_assert_eq (response.status, 200, "%s", response.body);
    //  Weight 1 with a symbol, in the USD-M bucket (a fresh one here)
    char used[32];
    cr_assert_eq (vbt_http_header (&response, "X-MBX-USED-WEIGHT-1M", used, sizeof used), 0);
    cr_assert_str_eq (used, "1");
    static const char *const keys[] = {"symbol",
                                       "markPrice",
                                       "indexPrice",
                                       "estimatedSettlePrice",
                                       "lastFundingRate",
                                       "interestRate",
                                       "nextFundingTime",
                                       "time",
                                       NULL};
    static const char *const values[] = {"BTCUSDT",
                                         "450500.00000000",
                                         "450500.00000000",
                                         "450500.00000000",
                                         "0.00010000",
                                         "0.00010000",
                                         NULL,
                                         NULL};
    int64_t times[2] = {0};
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root;
    cr_assert_eq (vb_json_parse (json, response.body, response.body_length, &root), 0);
    s_expect_fields (&root, keys, values, times);
    cr_assert_eq (times[0] % S_FUNDING_PERIOD_MS, 0, "nextFundingTime %" PRId64, times[0]);
    cr_assert (times[0] > before && times[0] <= after + S_FUNDING_PERIOD_MS);
    cr_assert (times[1] >= before && times[1] <= after, "time %" PRId64, times[1]);
    vbt_http_response_free (&response);
    //  Without a symbol: an array of every listed symbol, weight 10
    s_get (&sim, "/fapi/v1/premiumIndex", &response);
    cr_assert_eq (response.status, 200, "%s", response.body);
    cr_assert (response.body[0] == '[', "%s", response.body);
    cr_assert (strstr (response.body, "{\"symbol\":\"BTCUSDT\",\"markPrice\":\"450500.00000000\""),
               "%s", response.body);
    cr_assert (strstr (response.body, "{\"symbol\":\"ETHUSDT\","), "%s", response.body);
    cr_assert_eq (vbt_http_header (&response, "X-MBX-USED-WEIGHT-1M", used, sizeof used), 0);
    cr_assert_str_eq (used, "11");
    vbt_http_response_free (&response);
    s_get (&sim, "/fapi/v1/premiumIndex?symbol=NOPE", &response);
    s_expect_error (&response, 400, "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}");
    vbt_http_response_free (&response);
    vb_json_destroy (&json);
    s_stop (&sim);
}

Test (sim_binance, mark_price_streams_push_mark_price_updates)
{
    s_sim_t sim;
    s_start_still (&sim);
    static const char *const keys[] = {"e", "E", "s", "p", "i", "P", "r", "T", NULL};
    static const char *const values[] = {
        "markPriceUpdate", NULL,         "BTCUSDT", "450500.00000000", "450500.00000000",
        "450500.00000000", "0.00010000", NULL};
    vb_json_t *json = vb_json_new ();
    //  @markPrice@1s raw, then @markPrice (every 3 s) on a combined stream
    const char *paths[] = {"/ws/btcusdt@markPrice@1s", "/stream?streams=btcusdt@markPrice"};
    for (size_t index = 0; index < 2; index++) {
        int status = 0;
        vbt_ws_t *ws = vbt_ws_connect ("127.0.0.1", sim.port, paths[index], WAIT_MS, &status);
        cr_assert_not_null (ws, "upgrade %d", status);
        const char *text;
        size_t length;
        int64_t before = s_now_ms ();
        cr_assert_eq (vbt_ws_recv (ws, WAIT_MS, &text, &length), VBT_WS_TEXT);
        int64_t after = s_now_ms ();
        vb_json_val_t root, data;
        cr_assert_eq (vb_json_parse (json, text, length, &root), 0, "%s", text);
        if (index == 1) {
            const char *prefix = "{\"stream\":\"btcusdt@markPrice\",\"data\":{";
            cr_assert (strncmp (text, prefix, strlen (prefix)) == 0, "%s", text);
            cr_assert_eq (vb_json_find (&root, "data", &data), 0);
        } else
            data = root;
        int64_t times[2] = {0};
        s_expect_fields (&data, keys, values, times);
        cr_assert (times[0] >= before - 1000 && times[0] <= after, "E %" PRId64, times[0]);
        cr_assert_eq (times[1] % S_FUNDING_PERIOD_MS, 0, "T %" PRId64, times[1]);
        cr_assert (times[1] > times[0] && times[1] <= times[0] + S_FUNDING_PERIOD_MS);
        vbt_ws_destroy (&ws);
    }
    vb_json_destroy (&json);
    s_stop (&sim);
}
