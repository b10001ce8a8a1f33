/*  exec.c — Binance Spot execution adapter for venuebus-router, behind
    vb_exec.h: rate limits as data, instrument rules, signed request builders.
    Answers are parsed in exec_parse.c, instrument rules are exec_rules.c,
    the private stream is exec_stream.c.

    Rate limits (venues.md 1.7, 6.3; the venue counts over fixed wall-clock
    windows). vb_ratelimit.h: a GCRA bucket admits at most burst + W * limit /
    period units in any interval of length W, so each bucket is declared with
    burst + limit <= the venue's ceiling for its own window:
    - REQUEST_WEIGHT 6000 / 1 min per IP: limit 4800, burst 1000 (5800; the
      200 left cover WS connects and other requests the router cannot see).
      Usage header X-MBX-USED-WEIGHT-1M.
    - ORDERS 50 / 10 s per account: limit 40, burst 10 (the example in
      vb_ratelimit.h). X-MBX-ORDER-COUNT-10S.
    - ORDERS 160000 / 1 day per account: limit 150000, burst 8000.
      X-MBX-ORDER-COUNT-1D.
    - /sapi endpoints count in their own IP weight, 12000 / 1 min (the sim's
      and the venue's SAPI IP limit): limit 9600, burst 2000.
      X-SAPI-USED-IP-WEIGHT-1M.
    Weights (venues.md 1.4): place 1 (+1 order in both ORDERS buckets),
    cancel 1, cancel all 1, query 4, open orders 6 (80 without a symbol),
    myTrades 20, account 20, exchangeInfo 20, apiRestrictions 1 (sapi).

    Requests: every parameter goes in the query string (the venue takes
    either; nothing is sent as a body), signed as venues.md 1.5 says: the
    HMAC-SHA256 hex of the query is appended as `signature`, with timestamp
    (now_ms) and recvWindow, and the key in X-MBX-APIKEY. Values are
    percent-encoded except for RFC 3986 unreserved characters. Orders carry
    newClientOrderId = the journal's id (venues.md 6.2: [A-Za-z0-9_-]{1,36},
    checked here) and newOrderRespType=FULL. LIMIT + GTC/IOC/FOK, MARKET,
    and post-only as LIMIT_MAKER (no timeInForce). Prices and quantities are
    rescaled to the instrument's tick and step precision and printed with
    vb_decimal_format: never a double.

    Local checks before a place (exec_rules.c; the venue's filters.md): a known,
    TRADING symbol; quantity a positive multiple of LOT_SIZE stepSize within
    minQty..maxQty (and MARKET_LOT_SIZE for market orders when it is set);
    a LIMIT price a positive multiple of PRICE_FILTER tickSize within
    minPrice..maxPrice; price x quantity within NOTIONAL / MIN_NOTIONAL
    minNotional..maxNotional. A zero bound is disabled, as on the venue.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include "vb_error.h"
#include "vb_exec.h"
#include "auth.h"
#include "symbols.h"
#include "exec_binance.h"

#define S_REST_DEFAULT    "https://api.binance.com"
#define S_WS_DEFAULT      "wss://ws-api.binance.com:443"
#define S_RECV_WINDOW_MS  5000
#define S_RECV_WINDOW_MAX 60000
#define S_QUERY_MAX       1024
#define S_MINUTE_NS       (INT64_C (60) * INT64_C (1000000000))
#define S_TEN_SECONDS_NS  (INT64_C (10) * INT64_C (1000000000))
#define S_DAY_NS          (INT64_C (86400) * INT64_C (1000000000))
#define S_TRADES_LIMIT    "1000"  //  myTrades rows per answer (the venue's maximum)

//  Weights (venues.md 1.4).
#define S_WEIGHT_PLACE         1
#define S_WEIGHT_ORDER_COUNT   1
#define S_WEIGHT_CANCEL        1
#define S_WEIGHT_CANCEL_ALL    1
#define S_WEIGHT_QUERY         4
#define S_WEIGHT_OPEN_SYMBOL   6
#define S_WEIGHT_OPEN_ALL      80
#define S_WEIGHT_MY_TRADES     20
#define S_WEIGHT_ACCOUNT       20
#define S_WEIGHT_EXCHANGE_INFO 20
#define S_WEIGHT_RESTRICTIONS  1

//  The venue's limits, as data (see the header comment for the numbers).
static const vb_exec_bucket_t s_buckets[VB_BINANCE_BUCKET_COUNT] = {
    [VB_BINANCE_BUCKET_WEIGHT_1M] = {.name = "binance.ip.request_weight_1m",
                                     .scope = "ip",
                                     .limit = 4800,
                                     .period_ns = S_MINUTE_NS,
                                     .burst = 1000,
                                     .usage_header = "X-MBX-USED-WEIGHT-1M"},
    [VB_BINANCE_BUCKET_ORDERS_10S] = {.name = "binance.account.orders_10s",
                                      .scope = "account",
                                      .limit = 40,
                                      .period_ns = S_TEN_SECONDS_NS,
                                      .burst = 10,
                                      .usage_header = "X-MBX-ORDER-COUNT-10S"},
    [VB_BINANCE_BUCKET_ORDERS_1D] = {.name = "binance.account.orders_1d",
                                     .scope = "account",
                                     .limit = 150000,
                                     .period_ns = S_DAY_NS,
                                     .burst = 8000,
                                     .usage_header = "X-MBX-ORDER-COUNT-1D"},
    [VB_BINANCE_BUCKET_SAPI_WEIGHT_1M] = {.name = "binance.ip.sapi_weight_1m",
                                          .scope = "ip",
                                          .limit = 9600,
                                          .period_ns = S_MINUTE_NS,
                                          .burst = 2000,
                                          .usage_header = "X-SAPI-USED-IP-WEIGHT-1M"},
};

//  A query string being built.
typedef struct {
    char text[S_QUERY_MAX];  //  NUL-terminated
    size_t length;           //  Bytes in text
    bool overflow;           //  Something did not fit
} s_query_t;

//  --------------------------------------------------------------------------
//  The bucket table.

static const vb_exec_bucket_t *
s_buckets_get (size_t *count)
{
    if (count)
        *count = VB_BINANCE_BUCKET_COUNT;
    return s_buckets;
}

//  --------------------------------------------------------------------------
//  Copy a base URL without its trailing '/'. Returns 0 or VB_EINVAL.

static int
s_base_url (const char *url, const char *fallback, char *out, size_t size)
{
    if (!url || !*url)
        url = fallback;
    size_t length = strlen (url);
    while (length > 0 && url[length - 1] == '/')
        length--;
    if (length == 0 || length >= size)
        return VB_EINVAL;
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
            return VB_EINVAL;
    memcpy (out, url, length);
    out[length] = 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Header-safe text: printable ASCII, no spaces, not empty.

static bool
s_token (const char *text)
{
    if (!text || !*text)
        return false;
    for (const char *cursor = text; *cursor; cursor++)
        if ((unsigned char)*cursor <= ' ' || (unsigned char)*cursor >= 0x7f)
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Destroy the adapter. Safe on NULL and twice.

static void
s_destroy (vb_exec_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        vb_binance_exec_t *self = (vb_binance_exec_t *)*self_p;
        zhashx_destroy (&self->by_normalised);
        zhashx_destroy (&self->by_symbol);
        free (self->instruments);
        vb_json_destroy (&self->json);
        vb_hmac_destroy (&self->signer);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Create the adapter for one account. Returns NULL with a reason in error.

static vb_exec_t *
s_create (const vb_exec_config_t *config, char *error, size_t error_size)
{
    char scratch[1];
    if (!error || error_size == 0) {
        error = scratch;
        error_size = sizeof (scratch);
    }
    if (!config) {
        snprintf (error, error_size, "binance: no config");
        return NULL;
    }
    if (!s_token (config->api_key)) {
        snprintf (error, error_size, "binance: the API key is missing or not printable ASCII");
        return NULL;
    }
    if (!config->secret || !*config->secret) {
        snprintf (error, error_size, "binance: the API secret is missing");
        return NULL;
    }
    if (config->recv_window_ms < 0 || config->recv_window_ms > S_RECV_WINDOW_MAX) {
        snprintf (error, error_size, "binance: recvWindow %" PRId64 " ms is outside 0..%d",
                  config->recv_window_ms, S_RECV_WINDOW_MAX);
        return NULL;
    }
    vb_binance_exec_t *self = (vb_binance_exec_t *)zmalloc (sizeof (vb_binance_exec_t));
    self->base.ops = &vb_binance_exec_ops;
    self->api_key = config->api_key;
    self->recv_window_ms = config->recv_window_ms ? config->recv_window_ms : S_RECV_WINDOW_MS;
    self->subscription_id = -1;
    vb_exec_t *base = &self->base;
    if (s_base_url (config->rest_url, S_REST_DEFAULT, self->rest_url, sizeof (self->rest_url)) ||
        s_base_url (config->ws_url, S_WS_DEFAULT, self->ws_url, sizeof (self->ws_url))) {
        snprintf (error, error_size, "binance: a base URL is malformed or too long");
        s_destroy (&base);
        return NULL;
    }
    self->signer = vb_binance_signer_new (config->secret);
    self->json = vb_json_new ();
    self->by_symbol = zhashx_new ();
    self->by_normalised = zhashx_new ();
    if (!self->signer || !self->json || !self->by_symbol || !self->by_normalised) {
        snprintf (error, error_size, "binance: out of memory or HMAC setup failed");
        s_destroy (&base);
        return NULL;
    }
    return base;
}

//  --------------------------------------------------------------------------
//  Point the adapter at another base REST URL.

static int
s_set_rest_url (vb_exec_t *base, const char *rest_url)
{
    vb_binance_exec_t *self = (vb_binance_exec_t *)base;
    if (!self)
        return VB_EINVAL;
    char url[sizeof (self->rest_url)];
    int rc = s_base_url (rest_url, S_REST_DEFAULT, url, sizeof (url));
    if (rc)
        return rc;
    memcpy (self->rest_url, url, sizeof (url));
    return 0;
}

//  --------------------------------------------------------------------------
//  Venue symbol -> normalised, through the loaded rules, then the table.

int
vb_binance_exec_normalise (vb_binance_exec_t *self, const char *symbol, size_t length, char *out,
                           size_t out_size)
{
    char venue[VB_BINANCE_SYMBOL_MAX];
    if (!symbol || length == 0 || length >= sizeof (venue) || !out)
        return VB_ENOTFOUND;
    memcpy (venue, symbol, length);
    venue[length] = 0;
    const vb_binance_instrument_t *instrument = vb_binance_exec_instrument (self, venue);
    if (instrument) {
        size_t size = strlen (instrument->normalised) + 1;
        if (size > out_size)
            return VB_ETRUNC;
        memcpy (out, instrument->normalised, size);
        return 0;
    }
    int rc = vb_binance_symbol_normalise (venue, out, out_size);
    return rc < 0 ? (rc == VB_ETRUNC ? VB_ETRUNC : VB_ENOTFOUND) : 0;
}

//  Normalised -> venue symbol, through the loaded rules, then the table.
static int
s_venue_symbol (vb_binance_exec_t *self, const char *normalised, char *out, size_t out_size)
{
    if (!normalised || !*normalised)
        return VB_EINVAL;
    const vb_binance_instrument_t *instrument =
        vb_binance_exec_instrument_normalised (self, normalised);
    if (instrument) {
        size_t size = strlen (instrument->symbol) + 1;
        if (size > out_size)
            return VB_ETRUNC;
        memcpy (out, instrument->symbol, size);
        return 0;
    }
    int rc = vb_binance_symbol_venue (normalised, out, out_size);
    return rc < 0 ? VB_ENOTFOUND : 0;
}

//  --------------------------------------------------------------------------
//  Status text -> normalised state (venues.md 0.3).

typedef struct {
    const char *status;     //  Venue text
    vb_exec_state_t state;  //  Normalised
} s_status_t;

static const s_status_t s_statuses[] = {
    {"NEW", VB_EXEC_STATE_NEW},
    {"PENDING_NEW", VB_EXEC_STATE_PENDING_NEW},
    {"PARTIALLY_FILLED", VB_EXEC_STATE_PARTIALLY_FILLED},
    {"FILLED", VB_EXEC_STATE_FILLED},
    {"CANCELED", VB_EXEC_STATE_CANCELED},
    {"PENDING_CANCEL", VB_EXEC_STATE_PENDING_CANCEL},
    {"REJECTED", VB_EXEC_STATE_REJECTED},
    {"EXPIRED", VB_EXEC_STATE_EXPIRED},
    {"EXPIRED_IN_MATCH", VB_EXEC_STATE_EXPIRED},  //  Self-trade prevention
};

vb_exec_state_t
vb_binance_exec_state (const char *status, size_t length)
{
    if (!status)
        return VB_EXEC_STATE_UNKNOWN;
    for (size_t index = 0; index < sizeof (s_statuses) / sizeof (s_statuses[0]); index++)
        if (strlen (s_statuses[index].status) == length &&
            memcmp (s_statuses[index].status, status, length) == 0)
            return s_statuses[index].state;
    return VB_EXEC_STATE_UNKNOWN;
}

//  --------------------------------------------------------------------------
//  JSON helpers shared by the parsers.

int
vb_binance_exec_string (vb_json_val_t *value, char *out, size_t out_size)
{
    const char *text;
    size_t length;
    int rc = vb_json_string (value, &text, &length);
    if (rc)
        return rc;
    if (length >= out_size || memchr (text, 0, length))
        return VB_ETRUNC;
    memcpy (out, text, length);
    out[length] = 0;
    return 0;
}

int
vb_binance_exec_id_text (vb_json_val_t *value, char *out, size_t out_size)
{
    vb_json_type_t type = vb_json_type (value);
    if (type == VB_JSON_STRING)
        return vb_binance_exec_string (value, out, out_size);
    if (type != VB_JSON_NUMBER)
        return VB_ETYPE;
    const char *text;
    size_t length;
    int rc = vb_json_number_text (value, &text, &length);
    if (rc)
        return rc;
    for (size_t i = 0; i < length; i++)
        if (text[i] < '0' || text[i] > '9')
            return VB_EINVAL;
    if (length >= out_size)
        return VB_ETRUNC;
    memcpy (out, text, length);
    out[length] = 0;
    return 0;
}

int
vb_binance_exec_ms_to_ns (vb_json_val_t *value, int64_t *ns)
{
    int64_t ms;
    int rc = vb_json_int64 (value, &ms);
    if (rc)
        return rc;
    if (ms < 0 || ms > VB_BINANCE_MS_MAX)
        return VB_EOVERFLOW;
    *ns = ms * VB_BINANCE_NS_PER_MS;
    return 0;
}

//  --------------------------------------------------------------------------
//  Query building: name=value pairs, values percent-encoded.

static void
s_query_raw (s_query_t *query, const char *text, size_t length)
{
    if (query->overflow || query->length + length >= sizeof (query->text)) {
        query->overflow = true;
        return;
    }
    memcpy (query->text + query->length, text, length);
    query->length += length;
    query->text[query->length] = 0;
}

static void
s_query_add (s_query_t *query, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    if (query->length)
        s_query_raw (query, "&", 1);
    s_query_raw (query, name, strlen (name));
    s_query_raw (query, "=", 1);
    for (const unsigned char *cursor = (const unsigned char *)value; *cursor; cursor++) {
        unsigned char byte = *cursor;
        if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
            (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' || byte == '.' ||
            byte == '~')
            s_query_raw (query, (const char *)cursor, 1);
        else {
            char escaped[3] = {'%', hex[byte >> 4], hex[byte & 0xf]};
            s_query_raw (query, escaped, sizeof (escaped));
        }
    }
}

static void
s_query_int (s_query_t *query, const char *name, int64_t value)
{
    char text[32];
    snprintf (text, sizeof (text), "%" PRId64, value);
    s_query_add (query, name, text);
}

//  --------------------------------------------------------------------------
//  Fill a request: URL (signed when asked), key header, cost.

static void
s_request_start (vb_exec_request_t *request, vb_exec_kind_t kind, vb_exec_priority_t priority,
                 const char *method, bool may_execute)
{
    memset (request, 0, sizeof (*request));
    request->kind = kind;
    request->priority = priority;
    snprintf (request->method, sizeof (request->method), "%s", method);
    request->may_execute = may_execute;
}

static void
s_request_cost (vb_exec_request_t *request, size_t bucket, int64_t weight)
{
    assert (request->cost_count < VB_EXEC_COSTS_MAX);
    request->costs[request->cost_count].bucket = bucket;
    request->costs[request->cost_count].weight = weight;
    request->cost_count++;
}

static int
s_request_finish (vb_binance_exec_t *self, vb_exec_request_t *request, const char *path,
                  s_query_t *query, bool sign, int64_t now_ms)
{
    if (sign) {
        if (now_ms <= 0)
            return VB_EINVAL;
        s_query_int (query, "recvWindow", self->recv_window_ms);
        s_query_int (query, "timestamp", now_ms);
        if (query->overflow)
            return VB_ETRUNC;
        char signature[VB_BINANCE_SIGNATURE_SIZE];
        int rc = vb_binance_sign_rest (self->signer, query->text, query->length, NULL, 0, signature,
                                       sizeof (signature));
        if (rc < 0)
            return rc;
        s_query_add (query, "signature", signature);
    }
    if (query->overflow)
        return VB_ETRUNC;
    int length = snprintf (request->url, sizeof (request->url), "%s%s%s%s", self->rest_url, path,
                           query->length ? "?" : "", query->text);
    if (length < 0 || (size_t)length >= sizeof (request->url))
        return VB_ETRUNC;
    length = snprintf (request->headers[0], sizeof (request->headers[0]), "X-MBX-APIKEY: %s",
                       self->api_key);
    if (length < 0 || (size_t)length >= sizeof (request->headers[0]))
        return VB_ETRUNC;
    request->header_count = 1;
    return 0;
}

//  --------------------------------------------------------------------------
//  POST /api/v3/order.

static int
s_place (vb_exec_t *base, const vb_exec_order_t *order, int64_t now_ms, vb_exec_request_t *request,
         vb_exec_result_t *result)
{
    vb_binance_exec_t *self = (vb_binance_exec_t *)base;
    if (result)
        memset (result, 0, sizeof (*result));
    if (!self || !order || !request)
        return VB_EINVAL;
    memset (request, 0, sizeof (*request));
    const vb_binance_instrument_t *instrument = NULL;
    vb_decimal_t price = {0, 0}, qty = {0, 0};
    int rc = vb_binance_exec_check_order (self, order, &instrument, &price, &qty, result);
    if (rc)
        return rc;
    char price_text[VB_DECIMAL_TEXT_MAX], qty_text[VB_DECIMAL_TEXT_MAX];
    if (vb_decimal_format (qty, qty_text, sizeof (qty_text)) < 0 ||
        (order->type == VB_EXEC_LIMIT &&
         vb_decimal_format (price, price_text, sizeof (price_text)) < 0))
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_REQUEST,
                                       "price or quantity cannot be printed exactly");

    s_request_start (request, VB_EXEC_REQ_PLACE, VB_EXEC_PRIO_ORDER, "POST", true);
    s_query_t query = {.length = 0};
    s_query_add (&query, "symbol", instrument->symbol);
    s_query_add (&query, "side", order->side == VB_EXEC_BUY ? "BUY" : "SELL");
    if (order->type == VB_EXEC_MARKET)
        s_query_add (&query, "type", "MARKET");
    else if (order->post_only)
        s_query_add (&query, "type", "LIMIT_MAKER");
    else {
        s_query_add (&query, "type", "LIMIT");
        s_query_add (&query, "timeInForce",
                     order->tif == VB_EXEC_IOC   ? "IOC"
                     : order->tif == VB_EXEC_FOK ? "FOK"
                                                 : "GTC");
    }
    s_query_add (&query, "quantity", qty_text);
    if (order->type == VB_EXEC_LIMIT)
        s_query_add (&query, "price", price_text);
    s_query_add (&query, "newClientOrderId", order->client_order_id);
    s_query_add (&query, "newOrderRespType", "FULL");
    rc = s_request_finish (self, request, "/api/v3/order", &query, true, now_ms);
    if (rc) {
        memset (request, 0, sizeof (*request));
        return rc;
    }
    s_request_cost (request, VB_BINANCE_BUCKET_WEIGHT_1M, S_WEIGHT_PLACE);
    s_request_cost (request, VB_BINANCE_BUCKET_ORDERS_10S, S_WEIGHT_ORDER_COUNT);
    s_request_cost (request, VB_BINANCE_BUCKET_ORDERS_1D, S_WEIGHT_ORDER_COUNT);
    snprintf (request->symbol, sizeof (request->symbol), "%s", instrument->normalised);
    snprintf (request->client_order_id, sizeof (request->client_order_id), "%s",
              order->client_order_id);
    return 0;
}

//  --------------------------------------------------------------------------
//  Requests about one order: DELETE or GET /api/v3/order by origClientOrderId.

static int
s_order_request (vb_binance_exec_t *self, vb_exec_kind_t kind, const char *symbol,
                 const char *client_order_id, int64_t now_ms, vb_exec_request_t *request)
{
    if (!self || !request)
        return VB_EINVAL;
    memset (request, 0, sizeof (*request));
    char venue[VB_BINANCE_SYMBOL_MAX];
    if (!vb_binance_exec_client_id_valid (client_order_id) ||
        s_venue_symbol (self, symbol, venue, sizeof (venue)))
        return VB_EINVAL;
    bool cancel = kind == VB_EXEC_REQ_CANCEL;
    s_request_start (request, kind, cancel ? VB_EXEC_PRIO_CANCEL : VB_EXEC_PRIO_QUERY,
                     cancel ? "DELETE" : "GET", cancel);
    s_query_t query = {.length = 0};
    s_query_add (&query, "symbol", venue);
    s_query_add (&query, "origClientOrderId", client_order_id);
    int rc = s_request_finish (self, request, "/api/v3/order", &query, true, now_ms);
    if (rc) {
        memset (request, 0, sizeof (*request));
        return rc;
    }
    s_request_cost (request, VB_BINANCE_BUCKET_WEIGHT_1M,
                    cancel ? S_WEIGHT_CANCEL : S_WEIGHT_QUERY);
    snprintf (request->symbol, sizeof (request->symbol), "%s", symbol);
    snprintf (request->client_order_id, sizeof (request->client_order_id), "%s", client_order_id);
    return 0;
}

static int
s_cancel (vb_exec_t *base, const char *symbol, const char *client_order_id, int64_t now_ms,
          vb_exec_request_t *request)
{
    return s_order_request ((vb_binance_exec_t *)base, VB_EXEC_REQ_CANCEL, symbol, client_order_id,
                            now_ms, request);
}

static int
s_query (vb_exec_t *base, const char *symbol, const char *client_order_id, int64_t now_ms,
         vb_exec_request_t *request)
{
    return s_order_request ((vb_binance_exec_t *)base, VB_EXEC_REQ_QUERY, symbol, client_order_id,
                            now_ms, request);
}

//  --------------------------------------------------------------------------
//  Account-wide requests. `symbol` NULL or "" means none (where allowed).

typedef struct {
    vb_exec_kind_t kind;          //  What it is for
    vb_exec_priority_t priority;  //  Lane
    const char *method;           //  HTTP method
    const char *path;             //  Endpoint
    bool may_execute;             //  Changes orders
    bool needs_symbol;            //  The venue requires one
    bool sign;                    //  SIGNED endpoint
    size_t bucket;                //  Where the weight counts
    int64_t weight;               //  With a symbol
    int64_t weight_all;           //  Without one
} s_endpoint_t;

static const s_endpoint_t s_endpoints[] = {
    {VB_EXEC_REQ_INSTRUMENTS, VB_EXEC_PRIO_QUERY, "GET", "/api/v3/exchangeInfo", false, false,
     false, VB_BINANCE_BUCKET_WEIGHT_1M, S_WEIGHT_EXCHANGE_INFO, S_WEIGHT_EXCHANGE_INFO},
    {VB_EXEC_REQ_CANCEL_ALL, VB_EXEC_PRIO_CANCEL, "DELETE", "/api/v3/openOrders", true, true, true,
     VB_BINANCE_BUCKET_WEIGHT_1M, S_WEIGHT_CANCEL_ALL, S_WEIGHT_CANCEL_ALL},
    {VB_EXEC_REQ_OPEN_ORDERS, VB_EXEC_PRIO_QUERY, "GET", "/api/v3/openOrders", false, false, true,
     VB_BINANCE_BUCKET_WEIGHT_1M, S_WEIGHT_OPEN_SYMBOL, S_WEIGHT_OPEN_ALL},
    {VB_EXEC_REQ_FILLS, VB_EXEC_PRIO_QUERY, "GET", "/api/v3/myTrades", false, true, true,
     VB_BINANCE_BUCKET_WEIGHT_1M, S_WEIGHT_MY_TRADES, S_WEIGHT_MY_TRADES},
    {VB_EXEC_REQ_BALANCES, VB_EXEC_PRIO_QUERY, "GET", "/api/v3/account", false, false, true,
     VB_BINANCE_BUCKET_WEIGHT_1M, S_WEIGHT_ACCOUNT, S_WEIGHT_ACCOUNT},
    {VB_EXEC_REQ_KEY_PERMISSIONS, VB_EXEC_PRIO_QUERY, "GET", "/sapi/v1/account/apiRestrictions",
     false, false, true, VB_BINANCE_BUCKET_SAPI_WEIGHT_1M, S_WEIGHT_RESTRICTIONS,
     S_WEIGHT_RESTRICTIONS},
};

static int
s_account_request (vb_binance_exec_t *self, vb_exec_kind_t kind, const char *symbol,
                   int64_t since_ms, int64_t now_ms, vb_exec_request_t *request)
{
    if (!self || !request)
        return VB_EINVAL;
    memset (request, 0, sizeof (*request));
    const s_endpoint_t *endpoint = NULL;
    for (size_t index = 0; index < sizeof (s_endpoints) / sizeof (s_endpoints[0]); index++)
        if (s_endpoints[index].kind == kind)
            endpoint = &s_endpoints[index];
    assert (endpoint);
    bool has_symbol = symbol && *symbol;
    if ((endpoint->needs_symbol && !has_symbol) || since_ms < 0)
        return VB_EINVAL;
    char venue[VB_BINANCE_SYMBOL_MAX];
    if (has_symbol && s_venue_symbol (self, symbol, venue, sizeof (venue)))
        return VB_EINVAL;
    s_request_start (request, kind, endpoint->priority, endpoint->method, endpoint->may_execute);
    s_query_t query = {.length = 0};
    if (has_symbol)
        s_query_add (&query, "symbol", venue);
    if (kind == VB_EXEC_REQ_FILLS) {
        s_query_int (&query, "startTime", since_ms);
        s_query_add (&query, "limit", S_TRADES_LIMIT);
    }
    int rc = s_request_finish (self, request, endpoint->path, &query, endpoint->sign, now_ms);
    if (rc) {
        memset (request, 0, sizeof (*request));
        return rc;
    }
    if (!endpoint->sign)
        request->header_count = 0;  //  Public: no key needed
    s_request_cost (request, endpoint->bucket,
                    has_symbol ? endpoint->weight : endpoint->weight_all);
    if (has_symbol)
        snprintf (request->symbol, sizeof (request->symbol), "%s", symbol);
    return 0;
}

static int
s_instruments (vb_exec_t *base, vb_exec_request_t *request)
{
    return s_account_request ((vb_binance_exec_t *)base, VB_EXEC_REQ_INSTRUMENTS, NULL, 0, 0,
                              request);
}

static int
s_cancel_all (vb_exec_t *base, const char *symbol, int64_t now_ms, vb_exec_request_t *request)
{
    return s_account_request ((vb_binance_exec_t *)base, VB_EXEC_REQ_CANCEL_ALL, symbol, 0, now_ms,
                              request);
}

static int
s_open_orders (vb_exec_t *base, const char *symbol, int64_t now_ms, vb_exec_request_t *request)
{
    return s_account_request ((vb_binance_exec_t *)base, VB_EXEC_REQ_OPEN_ORDERS, symbol, 0, now_ms,
                              request);
}

static int
s_fills (vb_exec_t *base, const char *symbol, int64_t since_ms, int64_t now_ms,
         vb_exec_request_t *request)
{
    return s_account_request ((vb_binance_exec_t *)base, VB_EXEC_REQ_FILLS, symbol, since_ms,
                              now_ms, request);
}

static int
s_balances (vb_exec_t *base, int64_t now_ms, vb_exec_request_t *request)
{
    return s_account_request ((vb_binance_exec_t *)base, VB_EXEC_REQ_BALANCES, NULL, 0, now_ms,
                              request);
}

static int
s_key_permissions (vb_exec_t *base, int64_t now_ms, vb_exec_request_t *request)
{
    return s_account_request ((vb_binance_exec_t *)base, VB_EXEC_REQ_KEY_PERMISSIONS, NULL, 0,
                              now_ms, request);
}

//  --------------------------------------------------------------------------
//  The adapter.

const vb_exec_ops_t vb_binance_exec_ops = {
    .name = "binance",
    .buckets = s_buckets_get,
    .create = s_create,
    .destroy = s_destroy,
    .set_rest_url = s_set_rest_url,
    .instruments = s_instruments,
    .place = s_place,
    .cancel = s_cancel,
    .cancel_all = s_cancel_all,
    .query = s_query,
    .open_orders = s_open_orders,
    .fills = s_fills,
    .balances = s_balances,
    .key_permissions = s_key_permissions,
    .parse = vb_binance_exec_parse,
    .stream_url = vb_binance_exec_stream_url,
    .stream_opened = vb_binance_exec_stream_opened,
    .stream_frame = vb_binance_exec_stream_frame,
};
