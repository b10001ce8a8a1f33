/*  exec.c — Kraken Spot execution adapter for venuebus-router (vb_exec.h).

    This file holds the ops table, the rate limits as data, the request
    builders and the private-stream set-up; exec_parse.c reads REST answers
    and exec_stream.c reads WS v2 `executions` frames (exec_internal.h).

    Rate limits (venues.md 3.7, Intermediate tier), as GCRA buckets:
    - kraken.account.rest_counter: the REST call counter per API key, max 20,
      decaying 0.5 per second = 1 unit per 2 s, burst 18. Every private call
      costs 1 except TradesHistory (2); AddOrder and CancelOrder cost nothing
      here. Public AssetPairs is not on this counter (no cost declared).
    - kraken.account.trading_counter: the trading engine counter, threshold
      125, decaying 2.34 per second = 234 units per 100 s, burst 115. Kraken
      keeps one per account and pair; it is modelled as ONE bucket per
      account (all pairs share it), which can only be stricter than the
      venue. AddOrder costs 1. A cancel costs 8, 6, 5, 4, 2, 1 or 0 by the
      order's age (<5 s ... >300 s); the adapter does not know the age when it
      builds the request, so it charges the worst case, 8. CancelAll costs 8
      too, although Kraken charges every order it cancels (the router should
      prefer per-order cancels when it holds many orders).

    Both bursts sit below the venue's maximum: Kraken's counters decay from
    when it processes a request, and a request it processes later than the
    router sent it (transit, a busy venue) leaves Kraken's counter higher
    than the router's model at the next request. The margins (2 and 10
    units) absorb about 4 s of such skew before Kraken would refuse.

    Requests (venues.md 3.4, 3.5): private calls are POST form bodies that
    start with `nonce`, signed with API-Sign by auth.c, with headers API-Key,
    API-Sign and Content-Type. The nonce is max (now_ms x 1000, last + 1):
    microseconds of wall-clock time, so it stays increasing across restarts
    while leaving room for 1000 requests per millisecond. Kraken refuses a
    nonce lower than the last one it saw for the key, so the router must get
    requests to Kraken in the order they were built (one connection per key,
    or a nonce window on the key). cl_ord_id is the journal's id: a long or
    short UUID, or up to 18 printable ASCII characters (venues.md 3.4).

    Cancel all: Kraken's CancelAll cancels every open order of the account on
    every pair. cancel_all therefore builds it only for symbol NULL or "";
    for one symbol it returns VB_EINVAL, and the router cancels that symbol's
    open orders one by one (from open_orders).

    Private stream: stream_opened asks for a token (GetWebSocketsToken)
    through sink->request; once the router has parsed the answer it calls
    stream_token, which subscribes to `executions` with snapshots.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vb_error.h"
#include "auth.h"
#include "exec_internal.h"
#include "symbols.h"

#define S_REST_DEFAULT   "https://api.kraken.com"
#define S_WS_DEFAULT     "wss://ws-auth.kraken.com/v2"
#define S_PRIVATE_PREFIX "/0/private/"
#define S_PUBLIC_PREFIX  "/0/public/"
#define S_PATH_MAX       64
#define S_NONCE_TEXT     24  //  Digits of a uint64 nonce, with room
#define S_PARAMS_MAX     1024
#define S_CL_ORD_TEXT    18  //  Free-text cl_ord_id, at most
#define S_UUID_LONG      36
#define S_UUID_SHORT     32
#define S_REASON_MAX     VB_EXEC_TEXT_MAX

//  Bucket indexes and costs (see above).
enum { S_BUCKET_REST = 0, S_BUCKET_TRADING = 1 };
#define S_REST_LIMIT        1
#define S_REST_PERIOD_NS    (2 * VB_KEXEC_NS_PER_S)
#define S_REST_BURST        18  //  Max 20 less 2 units kept for skew (see above)
#define S_TRADING_LIMIT     234
#define S_TRADING_PERIOD_NS (100 * VB_KEXEC_NS_PER_S)
#define S_TRADING_BURST     115  //  Threshold 125 less 10 units kept for skew
#define S_COST_CALL         1
#define S_COST_HISTORY      2
#define S_COST_ADD          1
#define S_COST_CANCEL_WORST 8

static const vb_exec_bucket_t s_buckets[] = {
    {"kraken.account.rest_counter", "account", S_REST_LIMIT, S_REST_PERIOD_NS, S_REST_BURST, NULL},
    {"kraken.account.trading_counter", "account", S_TRADING_LIMIT, S_TRADING_PERIOD_NS,
     S_TRADING_BURST, NULL},
};

//  --------------------------------------------------------------------------
//  The buckets.

static const vb_exec_bucket_t *
s_buckets_get (size_t *count)
{
    if (count)
        *count = sizeof (s_buckets) / sizeof (s_buckets[0]);
    return s_buckets;
}

//  --------------------------------------------------------------------------
//  Copy text with a NUL; VB_ETRUNC (out "") when it does not fit.

int
vb_kexec_copy (char *out, size_t size, const char *text, size_t length)
{
    if (!out || size == 0)
        return VB_EINVAL;
    if (length >= size || (!text && length)) {
        out[0] = '\0';
        return VB_ETRUNC;
    }
    if (length)
        memcpy (out, text, length);
    out[length] = '\0';
    return 0;
}

//  --------------------------------------------------------------------------
//  Set the base REST URL (NULL or "" = production); no trailing slash.

static int
s_set_rest_url (vb_exec_t *base, const char *rest_url)
{
    vb_kexec_t *self = (vb_kexec_t *)base;
    if (!self)
        return VB_EINVAL;
    const char *url = rest_url && *rest_url ? rest_url : S_REST_DEFAULT;
    size_t length = strlen (url);
    while (length > 0 && url[length - 1] == '/')
        length--;
    if (length == 0)
        return VB_EINVAL;
    for (size_t index = 0; index < length; index++)
        if ((unsigned char)url[index] <= ' ' || (unsigned char)url[index] >= 0x7f)
            return VB_EINVAL;
    //  Room for the longest path and query we append.
    if (length + S_PATH_MAX >= sizeof (self->rest_url))
        return VB_ETRUNC;
    return vb_kexec_copy (self->rest_url, sizeof (self->rest_url), url, length);
}

//  --------------------------------------------------------------------------
//  Destroy.

static void
s_destroy (vb_exec_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vb_kexec_t *self = (vb_kexec_t *)*self_p;
    vb_hmac_destroy (&self->signer);
    vb_json_destroy (&self->json);
    free (self->rules);
    vb_hmac_wipe (self->token, sizeof (self->token));
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Create from the account's config. On failure, a reason goes to error.

static vb_exec_t *
s_create (const vb_exec_config_t *config, char *error, size_t error_size)
{
    char scratch[1];
    if (!error || error_size == 0) {
        error = scratch;
        error_size = sizeof (scratch);
    }
    error[0] = '\0';
    if (!config || !config->api_key || !*config->api_key) {
        snprintf (error, error_size, "kraken: API key missing");
        return NULL;
    }
    for (const char *cursor = config->api_key; *cursor; cursor++)
        if ((unsigned char)*cursor <= ' ' || (unsigned char)*cursor >= 0x7f) {
            snprintf (error, error_size, "kraken: API key has a byte that cannot go in a header");
            return NULL;
        }
    if (strlen (config->api_key) + sizeof ("API-Key: ") > VB_EXEC_HEADER_MAX) {
        snprintf (error, error_size, "kraken: API key too long");
        return NULL;
    }
    if (!config->secret || config->secret_length == 0 ||
        config->secret_length > VB_KRAKEN_SECRET_TEXT_MAX) {
        snprintf (error, error_size, "kraken: API secret missing or too long");
        return NULL;
    }
    vb_kexec_t *self = (vb_kexec_t *)zmalloc (sizeof (vb_kexec_t));
    self->base.ops = &vb_kraken_exec_ops;
    self->api_key = config->api_key;
    char secret[VB_KRAKEN_SECRET_TEXT_MAX + 1];
    memcpy (secret, config->secret, config->secret_length);
    secret[config->secret_length] = '\0';
    self->signer = strlen (secret) == config->secret_length ? vb_kraken_signer_new (secret) : NULL;
    vb_hmac_wipe (secret, sizeof (secret));
    if (!self->signer) {
        snprintf (error, error_size, "kraken: API secret is not base64 of a key");
        s_destroy ((vb_exec_t **)&self);
        return NULL;
    }
    self->json = vb_json_new ();
    self->rule_count = vb_kraken_pair_count ();
    self->rules = (vb_kexec_rules_t *)zmalloc (self->rule_count * sizeof (vb_kexec_rules_t) + 1);
    if (!self->json) {
        snprintf (error, error_size, "kraken: out of memory");
        s_destroy ((vb_exec_t **)&self);
        return NULL;
    }
    if (s_set_rest_url (&self->base, config->rest_url) != 0) {
        snprintf (error, error_size, "kraken: bad rest_url");
        s_destroy ((vb_exec_t **)&self);
        return NULL;
    }
    const char *ws = config->ws_url && *config->ws_url ? config->ws_url : S_WS_DEFAULT;
    if (vb_kexec_copy (self->ws_url, sizeof (self->ws_url), ws, strlen (ws)) != 0) {
        snprintf (error, error_size, "kraken: ws_url too long");
        s_destroy ((vb_exec_t **)&self);
        return NULL;
    }
    return &self->base;
}

//  --------------------------------------------------------------------------
//  Append name=value to a form, percent-encoding the value (RFC 3986
//  unreserved characters pass). Returns 0 or VB_ETRUNC.

static int
s_form_add (char *form, size_t size, size_t *length, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t at = *length;
    int written = snprintf (form + at, size - at, "%s%s=", at ? "&" : "", name);
    if (written < 0 || (size_t)written >= size - at)
        return VB_ETRUNC;
    at += (size_t)written;
    for (const unsigned char *cursor = (const unsigned char *)value; *cursor; cursor++) {
        bool plain = (*cursor >= 'A' && *cursor <= 'Z') || (*cursor >= 'a' && *cursor <= 'z') ||
                     (*cursor >= '0' && *cursor <= '9') || *cursor == '-' || *cursor == '_' ||
                     *cursor == '.' || *cursor == '~';
        if (at + (plain ? 1 : 3) >= size)
            return VB_ETRUNC;
        if (plain)
            form[at++] = (char)*cursor;
        else {
            form[at++] = '%';
            form[at++] = hex[*cursor >> 4];
            form[at++] = hex[*cursor & 0x0f];
        }
    }
    form[at] = '\0';
    *length = at;
    return 0;
}

//  --------------------------------------------------------------------------
//  True for a cl_ord_id Kraken accepts (venues.md 3.4).

static bool
s_is_hex (char digit)
{
    return (digit >= '0' && digit <= '9') || (digit >= 'a' && digit <= 'f') ||
           (digit >= 'A' && digit <= 'F');
}

static bool
s_cl_ord_id_ok (const char *text)
{
    if (!text)
        return false;
    size_t length = strlen (text);
    if (length == S_UUID_LONG) {
        for (size_t index = 0; index < length; index++) {
            bool dash = index == 8 || index == 13 || index == 18 || index == 23;
            if (dash ? text[index] != '-' : !s_is_hex (text[index]))
                return false;
        }
        return true;
    }
    if (length == S_UUID_SHORT) {
        for (size_t index = 0; index < length; index++)
            if (!s_is_hex (text[index]))
                return false;
        return true;
    }
    if (length == 0 || length > S_CL_ORD_TEXT)
        return false;
    for (size_t index = 0; index < length; index++)
        if ((unsigned char)text[index] < 0x20 || (unsigned char)text[index] > 0x7e)
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Start a request: zero it, set kind, priority and what it concerns.

static int
s_request_init (vb_exec_request_t *request, vb_exec_kind_t kind, vb_exec_priority_t priority,
                const char *symbol, const char *client_order_id)
{
    memset (request, 0, sizeof (*request));
    request->kind = kind;
    request->priority = priority;
    if (symbol &&
        vb_kexec_copy (request->symbol, sizeof (request->symbol), symbol, strlen (symbol)) != 0)
        return VB_EINVAL;
    if (client_order_id &&
        vb_kexec_copy (request->client_order_id, sizeof (request->client_order_id), client_order_id,
                       strlen (client_order_id)) != 0)
        return VB_EINVAL;
    return 0;
}

static void
s_cost (vb_exec_request_t *request, size_t bucket, int64_t weight)
{
    if (request->cost_count < VB_EXEC_COSTS_MAX) {
        request->costs[request->cost_count].bucket = bucket;
        request->costs[request->cost_count].weight = weight;
        request->cost_count++;
    }
}

//  --------------------------------------------------------------------------
//  Finish a private request: nonce, body ("nonce=N" then params), URL,
//  signature and headers. The nonce is committed only on success.

static int
s_private (vb_kexec_t *self, const char *method, const char *params, int64_t now_ms,
           vb_exec_request_t *request)
{
    if (now_ms < 0 || (uint64_t)now_ms > UINT64_MAX / VB_KEXEC_US_PER_MS)
        return VB_EINVAL;
    uint64_t nonce = (uint64_t)now_ms * VB_KEXEC_US_PER_MS;
    if (nonce <= self->last_nonce) {
        if (self->last_nonce == UINT64_MAX)
            return VB_EOVERFLOW;
        nonce = self->last_nonce + 1;
    }
    char nonce_text[S_NONCE_TEXT];
    int nonce_length = snprintf (nonce_text, sizeof (nonce_text), "%" PRIu64, nonce);
    int body_length = snprintf (request->body, sizeof (request->body), "nonce=%s%s%s", nonce_text,
                                params && *params ? "&" : "", params ? params : "");
    if (body_length < 0 || (size_t)body_length >= sizeof (request->body))
        return VB_ETRUNC;
    request->body_length = (size_t)body_length;
    char path[S_PATH_MAX];
    int path_length = snprintf (path, sizeof (path), S_PRIVATE_PREFIX "%s", method);
    if (path_length < 0 || (size_t)path_length >= sizeof (path))
        return VB_ETRUNC;
    int written = snprintf (request->url, sizeof (request->url), "%s%s", self->rest_url, path);
    if (written < 0 || (size_t)written >= sizeof (request->url))
        return VB_ETRUNC;
    char signature[VB_KRAKEN_SIGNATURE_SIZE];
    int rc = vb_kraken_sign (self->signer, path, nonce_text, (size_t)nonce_length, request->body,
                             request->body_length, signature, sizeof (signature));
    if (rc < 0)
        return rc;
    snprintf (request->method, sizeof (request->method), "POST");
    snprintf (request->headers[0], VB_EXEC_HEADER_MAX, "API-Key: %s", self->api_key);
    snprintf (request->headers[1], VB_EXEC_HEADER_MAX, "API-Sign: %s", signature);
    snprintf (request->headers[2], VB_EXEC_HEADER_MAX,
              "Content-Type: application/x-www-form-urlencoded");
    request->header_count = 3;
    self->last_nonce = nonce;
    return 0;
}

//  --------------------------------------------------------------------------
//  The pair of a normalised symbol and its rules, or NULL.

static const vb_kraken_pair_t *
s_pair (vb_kexec_t *self, const char *symbol, vb_kexec_rules_t **rules)
{
    if (!symbol)
        return NULL;
    for (size_t index = 0; index < self->rule_count; index++) {
        const vb_kraken_pair_t *pair = vb_kraken_pair_at (index);
        if (pair && strcmp (pair->symbol, symbol) == 0) {
            if (rules)
                *rules = &self->rules[index];
            return pair;
        }
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Instruments: GET /0/public/AssetPairs (every pair; parse keeps ours).

static int
s_instruments (vb_exec_t *base, vb_exec_request_t *request)
{
    vb_kexec_t *self = (vb_kexec_t *)base;
    if (!self || !request)
        return VB_EINVAL;
    s_request_init (request, VB_EXEC_REQ_INSTRUMENTS, VB_EXEC_PRIO_QUERY, NULL, NULL);
    snprintf (request->method, sizeof (request->method), "GET");
    int written = snprintf (request->url, sizeof (request->url), "%s" S_PUBLIC_PREFIX "AssetPairs",
                            self->rest_url);
    if (written < 0 || (size_t)written >= sizeof (request->url))
        return VB_ETRUNC;
    return 0;
}

//  --------------------------------------------------------------------------
//  A local refusal: REJECTED with a reason and a clear text; VB_EINVAL.

static int s_refuse (vb_exec_result_t *result, vb_exec_reason_t reason, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_refuse (vb_exec_result_t *result, vb_exec_reason_t reason, const char *format, ...)
{
    if (result) {
        result->outcome = VB_EXEC_REJECTED;
        result->reason = reason;
        va_list args;
        va_start (args, format);
        vsnprintf (result->venue_text, sizeof (result->venue_text), format, args);
        va_end (args);
    }
    return VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  Format a decimal for a reason text ("?" if it cannot be printed).

static const char *
s_text (vb_decimal_t value, char *buffer, size_t size)
{
    if (vb_decimal_format (value, buffer, size) < 0)
        snprintf (buffer, size, "?");
    return buffer;
}

//  --------------------------------------------------------------------------
//  Place: POST AddOrder, after the instrument rules are checked here.

static int
s_place (vb_exec_t *base, const vb_exec_order_t *order, int64_t now_ms, vb_exec_request_t *request,
         vb_exec_result_t *result)
{
    vb_kexec_t *self = (vb_kexec_t *)base;
    if (result)
        memset (result, 0, sizeof (*result));
    if (!self || !order || !request)
        return VB_EINVAL;
    memset (request, 0, sizeof (*request));
    char a[VB_DECIMAL_TEXT_MAX], b[VB_DECIMAL_TEXT_MAX];
    if (!s_cl_ord_id_ok (order->client_order_id))
        return s_refuse (result, VB_EXEC_REASON_INVALID_REQUEST,
                         "client order id must be a UUID or 1-18 printable ASCII characters");
    vb_kexec_rules_t *rules = NULL;
    const vb_kraken_pair_t *pair = s_pair (self, order->symbol, &rules);
    if (!pair)
        return s_refuse (result, VB_EXEC_REASON_UNKNOWN_SYMBOL, "unknown symbol %s",
                         order->symbol ? order->symbol : "(null)");
    if (!rules->loaded) {
        s_refuse (result, VB_EXEC_REASON_OTHER, "instrument rules of %s not loaded yet",
                  order->symbol);
        return VB_ESTATE;
    }
    if (order->side != VB_EXEC_BUY && order->side != VB_EXEC_SELL)
        return s_refuse (result, VB_EXEC_REASON_INVALID_REQUEST, "bad side");
    if (order->type != VB_EXEC_LIMIT && order->type != VB_EXEC_MARKET)
        return s_refuse (result, VB_EXEC_REASON_INVALID_REQUEST, "bad order type");
    const char *tif = order->tif == VB_EXEC_GTC   ? "GTC"
                      : order->tif == VB_EXEC_IOC ? "IOC"
                      : order->tif == VB_EXEC_FOK ? "FOK"
                                                  : NULL;
    if (!tif)
        return s_refuse (result, VB_EXEC_REASON_INVALID_REQUEST, "bad time in force");
    bool limit = order->type == VB_EXEC_LIMIT;
    //  venues.md 3.4: FOK for limit orders only; post-only is a resting limit.
    if (order->tif == VB_EXEC_FOK && !limit)
        return s_refuse (result, VB_EXEC_REASON_INVALID_REQUEST,
                         "Kraken allows FOK only on limit orders");
    if (order->post_only && (!limit || order->tif != VB_EXEC_GTC))
        return s_refuse (result, VB_EXEC_REASON_INVALID_REQUEST,
                         "post-only needs a GTC limit order");
    //  Pair status (AssetPairs): online, or a restricted mode.
    if (strcmp (rules->status, "online") != 0) {
        bool allowed = (strcmp (rules->status, "post_only") == 0 && order->post_only) ||
                       (strcmp (rules->status, "limit_only") == 0 && limit);
        if (!allowed)
            return s_refuse (result, VB_EXEC_REASON_OTHER, "%s is %s on Kraken", order->symbol,
                             rules->status);
    }
    vb_decimal_t qty;
    if (vb_decimal_is_zero (order->qty) || vb_decimal_is_negative (order->qty))
        return s_refuse (result, VB_EXEC_REASON_INVALID_QTY, "qty must be positive");
    if (vb_decimal_rescale (order->qty, -rules->lot_decimals, &qty) != 0)
        return s_refuse (result, VB_EXEC_REASON_INVALID_QTY,
                         "qty %s has more than %d decimals (lot_decimals of %s)",
                         s_text (order->qty, a, sizeof (a)), (int)rules->lot_decimals,
                         order->symbol);
    if (vb_decimal_cmp (qty, rules->ordermin) < 0)
        return s_refuse (result, VB_EXEC_REASON_INVALID_QTY, "qty %s below ordermin %s of %s",
                         s_text (qty, a, sizeof (a)), s_text (rules->ordermin, b, sizeof (b)),
                         order->symbol);
    vb_decimal_t price = {0, 0};
    if (limit) {
        if (vb_decimal_is_zero (order->price) || vb_decimal_is_negative (order->price))
            return s_refuse (result, VB_EXEC_REASON_INVALID_PRICE, "price must be positive");
        if (vb_decimal_rescale (order->price, -rules->pair_decimals, &price) != 0)
            return s_refuse (result, VB_EXEC_REASON_INVALID_PRICE,
                             "price %s has more than %d decimals (pair_decimals of %s)",
                             s_text (order->price, a, sizeof (a)), (int)rules->pair_decimals,
                             order->symbol);
        //  Multiple of tick_size, compared at the finer exponent.
        int32_t exponent =
            price.exponent < rules->tick_size.exponent ? price.exponent : rules->tick_size.exponent;
        vb_decimal_t scaled_price, scaled_tick;
        if (!vb_decimal_is_zero (rules->tick_size) &&
            (vb_decimal_rescale (price, exponent, &scaled_price) != 0 ||
             vb_decimal_rescale (rules->tick_size, exponent, &scaled_tick) != 0 ||
             scaled_price.mantissa % scaled_tick.mantissa != 0))
            return s_refuse (result, VB_EXEC_REASON_INVALID_PRICE,
                             "price %s is not a multiple of tick_size %s of %s",
                             s_text (price, a, sizeof (a)),
                             s_text (rules->tick_size, b, sizeof (b)), order->symbol);
        //  Notional (price x qty) against costmin; an overflow is far above it.
        int64_t mantissa = 0;
        if (rules->has_costmin &&
            !__builtin_mul_overflow (price.mantissa, qty.mantissa, &mantissa)) {
            vb_decimal_t notional = {mantissa, price.exponent + qty.exponent};
            if (vb_decimal_cmp (notional, rules->costmin) < 0)
                return s_refuse (result, VB_EXEC_REASON_MIN_NOTIONAL,
                                 "notional %s below costmin %s of %s",
                                 s_text (notional, a, sizeof (a)),
                                 s_text (rules->costmin, b, sizeof (b)), order->symbol);
        }
    }
    char params[S_PARAMS_MAX] = "";
    size_t length = 0;
    char price_text[VB_DECIMAL_TEXT_MAX], qty_text[VB_DECIMAL_TEXT_MAX];
    if (vb_decimal_format (qty, qty_text, sizeof (qty_text)) < 0 ||
        (limit && vb_decimal_format (price, price_text, sizeof (price_text)) < 0))
        return s_refuse (result, VB_EXEC_REASON_INVALID_REQUEST, "price or qty out of range");
    int rc = s_form_add (params, sizeof (params), &length, "pair", pair->altname);
    rc = rc ? rc
            : s_form_add (params, sizeof (params), &length, "type",
                          order->side == VB_EXEC_BUY ? "buy" : "sell");
    rc =
        rc ? rc
           : s_form_add (params, sizeof (params), &length, "ordertype", limit ? "limit" : "market");
    if (limit)
        rc = rc ? rc : s_form_add (params, sizeof (params), &length, "price", price_text);
    rc = rc ? rc : s_form_add (params, sizeof (params), &length, "volume", qty_text);
    if (order->post_only)
        rc = rc ? rc : s_form_add (params, sizeof (params), &length, "oflags", "post");
    rc = rc ? rc : s_form_add (params, sizeof (params), &length, "timeinforce", tif);
    rc = rc ? rc
            : s_form_add (params, sizeof (params), &length, "cl_ord_id", order->client_order_id);
    rc = rc ? rc
            : s_request_init (request, VB_EXEC_REQ_PLACE, VB_EXEC_PRIO_ORDER, order->symbol,
                              order->client_order_id);
    rc = rc ? rc : s_private (self, "AddOrder", params, now_ms, request);
    if (rc != 0) {
        memset (request, 0, sizeof (*request));
        s_refuse (result, VB_EXEC_REASON_INVALID_REQUEST, "request cannot be built");
        return rc;
    }
    request->may_execute = true;
    s_cost (request, S_BUCKET_TRADING, S_COST_ADD);
    return 0;
}

//  --------------------------------------------------------------------------
//  A private request about one order by cl_ord_id (cancel, query).

static int
s_by_id (vb_kexec_t *self, const char *method, vb_exec_kind_t kind, vb_exec_priority_t priority,
         const char *symbol, const char *client_order_id, int64_t now_ms,
         vb_exec_request_t *request)
{
    if (!self || !request)
        return VB_EINVAL;
    memset (request, 0, sizeof (*request));
    if (!s_cl_ord_id_ok (client_order_id))
        return VB_EINVAL;
    if (symbol && *symbol && !s_pair (self, symbol, NULL))
        return VB_EINVAL;
    char params[S_PARAMS_MAX] = "";
    size_t length = 0;
    int rc = s_form_add (params, sizeof (params), &length, "cl_ord_id", client_order_id);
    rc = rc ? rc : s_request_init (request, kind, priority, symbol, client_order_id);
    rc = rc ? rc : s_private (self, method, params, now_ms, request);
    if (rc != 0)
        memset (request, 0, sizeof (*request));
    return rc;
}

//  --------------------------------------------------------------------------
//  Cancel: POST CancelOrder cl_ord_id=... (trading counter, worst case 8).

static int
s_cancel (vb_exec_t *base, const char *symbol, const char *client_order_id, int64_t now_ms,
          vb_exec_request_t *request)
{
    int rc = s_by_id ((vb_kexec_t *)base, "CancelOrder", VB_EXEC_REQ_CANCEL, VB_EXEC_PRIO_CANCEL,
                      symbol, client_order_id, now_ms, request);
    if (rc == 0) {
        request->may_execute = true;
        s_cost (request, S_BUCKET_TRADING, S_COST_CANCEL_WORST);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Query: POST QueryOrders cl_ord_id=...

static int
s_query (vb_exec_t *base, const char *symbol, const char *client_order_id, int64_t now_ms,
         vb_exec_request_t *request)
{
    int rc = s_by_id ((vb_kexec_t *)base, "QueryOrders", VB_EXEC_REQ_QUERY, VB_EXEC_PRIO_QUERY,
                      symbol, client_order_id, now_ms, request);
    if (rc == 0)
        s_cost (request, S_BUCKET_REST, S_COST_CALL);
    return rc;
}

//  --------------------------------------------------------------------------
//  A private request with no parameters but the nonce.

static int
s_plain (vb_kexec_t *self, const char *method, vb_exec_kind_t kind, vb_exec_priority_t priority,
         const char *symbol, const char *params, int64_t now_ms, vb_exec_request_t *request)
{
    if (!self || !request)
        return VB_EINVAL;
    memset (request, 0, sizeof (*request));
    if (symbol && *symbol && !s_pair (self, symbol, NULL))
        return VB_EINVAL;
    int rc = s_request_init (request, kind, priority, symbol, NULL);
    rc = rc ? rc : s_private (self, method, params, now_ms, request);
    if (rc != 0)
        memset (request, 0, sizeof (*request));
    return rc;
}

//  --------------------------------------------------------------------------
//  Cancel all: Kraken's CancelAll is account-wide, so only for symbol NULL/"".

static int
s_cancel_all (vb_exec_t *base, const char *symbol, int64_t now_ms, vb_exec_request_t *request)
{
    if (symbol && *symbol) {
        if (request)
            memset (request, 0, sizeof (*request));
        return VB_EINVAL;
    }
    int rc = s_plain ((vb_kexec_t *)base, "CancelAll", VB_EXEC_REQ_CANCEL_ALL, VB_EXEC_PRIO_CANCEL,
                      NULL, NULL, now_ms, request);
    if (rc == 0) {
        request->may_execute = true;
        s_cost (request, S_BUCKET_REST, S_COST_CALL);
        s_cost (request, S_BUCKET_TRADING, S_COST_CANCEL_WORST);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Open orders: POST OpenOrders (all pairs; parse keeps `symbol`'s).

static int
s_open_orders (vb_exec_t *base, const char *symbol, int64_t now_ms, vb_exec_request_t *request)
{
    int rc = s_plain ((vb_kexec_t *)base, "OpenOrders", VB_EXEC_REQ_OPEN_ORDERS, VB_EXEC_PRIO_QUERY,
                      symbol, NULL, now_ms, request);
    if (rc == 0)
        s_cost (request, S_BUCKET_REST, S_COST_CALL);
    return rc;
}

//  --------------------------------------------------------------------------
//  Fills: POST TradesHistory start=<unix s> (exclusive, so one second
//  earlier than since_ms: a fill seen twice is keyed by its id anyway).
//  Kraken answers the newest 50; parse keeps `symbol`'s.

static int
s_fills (vb_exec_t *base, const char *symbol, int64_t since_ms, int64_t now_ms,
         vb_exec_request_t *request)
{
    char params[S_PARAMS_MAX] = "";
    if (since_ms > 0) {
        int64_t start = since_ms / VB_KEXEC_MS_PER_S - 1;
        snprintf (params, sizeof (params), "start=%" PRId64, start > 0 ? start : 0);
    }
    int rc = s_plain ((vb_kexec_t *)base, "TradesHistory", VB_EXEC_REQ_FILLS, VB_EXEC_PRIO_QUERY,
                      symbol, params, now_ms, request);
    if (rc == 0)
        s_cost (request, S_BUCKET_REST, S_COST_HISTORY);
    return rc;
}

//  --------------------------------------------------------------------------
//  Balances: POST BalanceEx (balance and hold_trade per asset, so free and
//  locked are both known; the answer to Balance parses as well).

static int
s_balances (vb_exec_t *base, int64_t now_ms, vb_exec_request_t *request)
{
    int rc = s_plain ((vb_kexec_t *)base, "BalanceEx", VB_EXEC_REQ_BALANCES, VB_EXEC_PRIO_QUERY,
                      NULL, NULL, now_ms, request);
    if (rc == 0)
        s_cost (request, S_BUCKET_REST, S_COST_CALL);
    return rc;
}

//  --------------------------------------------------------------------------
//  Key permissions: POST GetApiKeyInfo.

static int
s_key_permissions (vb_exec_t *base, int64_t now_ms, vb_exec_request_t *request)
{
    int rc = s_plain ((vb_kexec_t *)base, "GetApiKeyInfo", VB_EXEC_REQ_KEY_PERMISSIONS,
                      VB_EXEC_PRIO_QUERY, NULL, NULL, now_ms, request);
    if (rc == 0)
        s_cost (request, S_BUCKET_REST, S_COST_CALL);
    return rc;
}

//  --------------------------------------------------------------------------
//  Private stream URL.

static int
s_stream_url (vb_exec_t *base, char *url, size_t size)
{
    vb_kexec_t *self = (vb_kexec_t *)base;
    if (!self || !url || size == 0)
        return VB_EINVAL;
    return vb_kexec_copy (url, size, self->ws_url, strlen (self->ws_url));
}

//  --------------------------------------------------------------------------
//  Stream open: forget the old sequence and ask for a token.

static int
s_stream_opened (vb_exec_t *base, int64_t now_ms, const vb_exec_sink_t *sink)
{
    vb_kexec_t *self = (vb_kexec_t *)base;
    if (!self || !sink || !sink->request)
        return VB_EINVAL;
    self->have_sequence = false;
    self->sequence = 0;
    vb_exec_request_t request;
    int rc = s_plain (self, "GetWebSocketsToken", VB_EXEC_REQ_STREAM_TOKEN, VB_EXEC_PRIO_QUERY,
                      NULL, NULL, now_ms, &request);
    if (rc != 0)
        return rc;
    s_cost (&request, S_BUCKET_REST, S_COST_CALL);
    return sink->request (sink->ctx, &request);
}

//  --------------------------------------------------------------------------
//  Token known: subscribe to executions with order and trade snapshots.

static int
s_stream_token (vb_exec_t *base, const char *token, const vb_exec_sink_t *sink)
{
    vb_kexec_t *self = (vb_kexec_t *)base;
    if (!self || !sink || !sink->send)
        return VB_EINVAL;
    if (!token)
        token = self->token;
    size_t length = strlen (token);
    if (length == 0)
        return VB_ESTATE;
    if (length >= VB_KEXEC_TOKEN_MAX)
        return VB_EINVAL;
    //  Tokens are base64-like; anything else would need JSON escaping.
    for (size_t index = 0; index < length; index++) {
        char c = token[index];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=' || c == '-' || c == '_'))
            return VB_EINVAL;
    }
    char text[VB_KEXEC_TOKEN_MAX + 128];
    int written = snprintf (text, sizeof (text),
                            "{\"method\":\"subscribe\",\"params\":{\"channel\":\"executions\","
                            "\"token\":\"%s\",\"snap_orders\":true,\"snap_trades\":true}}",
                            token);
    if (written < 0 || (size_t)written >= sizeof (text))
        return VB_ETRUNC;
    self->have_sequence = false;
    int rc = sink->send (sink->ctx, text, (size_t)written);
    vb_hmac_wipe (text, sizeof (text));
    return rc;
}

//  --------------------------------------------------------------------------
//  The adapter.

const vb_exec_ops_t vb_kraken_exec_ops = {
    .name = "kraken",
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
    .parse = vb_kexec_parse,
    .stream_url = s_stream_url,
    .stream_opened = s_stream_opened,
    .stream_frame = vb_kexec_stream_frame,
    .stream_token = s_stream_token,
};
