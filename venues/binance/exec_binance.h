/*  exec_binance.h — private to the Binance execution adapter (exec.c,
    exec_parse.c, exec_stream.c): the adapter state, the instrument rules
    and the helpers the three files share. Not installed, not for other
    venues. Nothing here logs: errors are negative VB_E* codes.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_BINANCE_EXEC_H_INCLUDED
#define VB_BINANCE_EXEC_H_INCLUDED

#include <czmq.h>
#include "vb_decimal.h"
#include "vb_exec.h"
#include "vb_hmac.h"
#include "vb_json.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Bucket indexes in the adapter's table (exec.c, s_buckets).
#define VB_BINANCE_BUCKET_WEIGHT_1M      0  //  REQUEST_WEIGHT, per IP
#define VB_BINANCE_BUCKET_ORDERS_10S     1  //  ORDERS per 10 s, per account
#define VB_BINANCE_BUCKET_ORDERS_1D      2  //  ORDERS per day, per account
#define VB_BINANCE_BUCKET_SAPI_WEIGHT_1M 3  //  /sapi IP weight, its own count
#define VB_BINANCE_BUCKET_COUNT          4

#define VB_BINANCE_SYMBOL_MAX 32  //  Venue or normalised symbol, with its NUL
#define VB_BINANCE_STATUS_MAX 16  //  exchangeInfo symbol status ("TRADING")
#define VB_BINANCE_NS_PER_MS  INT64_C (1000000)
#define VB_BINANCE_MS_MAX     (INT64_MAX / VB_BINANCE_NS_PER_MS)

//  One instrument's rules from exchangeInfo. A zero bound is "disabled", as
//  the venue defines it (filters.md). Steps are normalised: no trailing
//  zeros ("0.01000000" is kept as 1e-2), so prices and quantities are
//  formatted with exactly the precision the step implies.
typedef struct {
    char symbol[VB_BINANCE_SYMBOL_MAX];      //  Venue symbol, "BTCUSDT"
    char normalised[VB_BINANCE_SYMBOL_MAX];  //  "BTC-USDT"
    char status[VB_BINANCE_STATUS_MAX];      //  "TRADING", "HALT", ...
    vb_decimal_t tick;                       //  PRICE_FILTER tickSize
    vb_decimal_t min_price;                  //  PRICE_FILTER minPrice
    vb_decimal_t max_price;                  //  PRICE_FILTER maxPrice
    vb_decimal_t step;                       //  LOT_SIZE stepSize
    vb_decimal_t min_qty;                    //  LOT_SIZE minQty
    vb_decimal_t max_qty;                    //  LOT_SIZE maxQty
    vb_decimal_t market_step;                //  MARKET_LOT_SIZE stepSize
    vb_decimal_t market_min_qty;             //  MARKET_LOT_SIZE minQty
    vb_decimal_t market_max_qty;             //  MARKET_LOT_SIZE maxQty
    vb_decimal_t min_notional;               //  NOTIONAL / MIN_NOTIONAL minNotional
    vb_decimal_t max_notional;               //  NOTIONAL maxNotional
    bool has_price_filter;                   //  PRICE_FILTER was present
    bool has_lot_size;                       //  LOT_SIZE was present
} vb_binance_instrument_t;

//  The adapter state. The base comes first (vb_exec.h).
typedef struct {
    vb_exec_t base;                        //  Must be first
    const char *api_key;                   //  Borrowed from the router's config
    vb_hmac_t *signer;                     //  HMAC-SHA256 keyed with the secret
    char rest_url[VB_EXEC_URL_MAX / 2];    //  Base REST URL, no trailing '/'
    char ws_url[VB_EXEC_URL_MAX / 2];      //  Base WS API URL, no trailing '/'
    int64_t recv_window_ms;                //  recvWindow sent with every signed call
    vb_json_t *json;                       //  Parser, reused for every answer
    vb_binance_instrument_t *instruments;  //  Loaded rules
    size_t instrument_count;               //  Entries in instruments
    zhashx_t *by_symbol;                   //  Venue symbol -> instrument (borrowed values)
    zhashx_t *by_normalised;               //  "BASE-QUOTE" -> instrument (borrowed values)
    uint64_t stream_request_id;            //  Last WS API request id sent
    int64_t subscription_id;               //  userDataStream subscription, -1 if none
} vb_binance_exec_t;

//  The adapter's ops table (exec.c).
extern const vb_exec_ops_t vb_binance_exec_ops;

//  Instrument rules by venue symbol or by normalised symbol; NULL if absent.
const vb_binance_instrument_t *vb_binance_exec_instrument (vb_binance_exec_t *self,
                                                           const char *symbol);
const vb_binance_instrument_t *vb_binance_exec_instrument_normalised (vb_binance_exec_t *self,
                                                                      const char *normalised);

//  Replace the instrument rules (takes ownership of `instruments`, an array
//  from malloc, on success; frees it on failure). Returns 0 or VB_ENOMEM.
int vb_binance_exec_set_instruments (vb_binance_exec_t *self, vb_binance_instrument_t *instruments,
                                     size_t count);

//  Load exchangeInfo (a parsed root object) into new rules; the old rules
//  stay when it does not read whole. Returns 0 or a negative VB_E*.
int vb_binance_exec_load_instruments (vb_binance_exec_t *self, vb_json_val_t *root);

//  Check an order against its instrument's rules (exec.c's header comment).
//  On success sets *instrument, and *price (LIMIT only) and *qty at the
//  tick and step precision; otherwise fills *result (REJECTED, a reason and
//  the offending value in venue_text) and returns VB_EINVAL.
int vb_binance_exec_check_order (vb_binance_exec_t *self, const vb_exec_order_t *order,
                                 const vb_binance_instrument_t **instrument, vb_decimal_t *price,
                                 vb_decimal_t *qty, vb_exec_result_t *result);

//  A local rejection: zero *result (may be NULL), set REJECTED, the reason
//  and the formatted text. Returns VB_EINVAL.
int vb_binance_exec_reject (vb_exec_result_t *result, vb_exec_reason_t reason, const char *format,
                            ...) __attribute__ ((format (printf, 3, 4)));

//  True for a client order id the venue takes: [A-Za-z0-9_-]{1,36}
//  (venues.md 6.2).
bool vb_binance_exec_client_id_valid (const char *id);

//  Venue symbol (exactly `length` bytes) -> "BASE-QUOTE" into out, through
//  the loaded rules first and the static symbol table second. Returns 0,
//  VB_ENOTFOUND or VB_ETRUNC.
int vb_binance_exec_normalise (vb_binance_exec_t *self, const char *symbol, size_t length,
                               char *out, size_t out_size);

//  Binance order status text -> normalised state; VB_EXEC_STATE_UNKNOWN for
//  a status the adapter does not know (venues.md 0.3, 1.4).
vb_exec_state_t vb_binance_exec_state (const char *status, size_t length);

//  Copy a JSON string or integer (ids: orderId, tradeId) as text into out.
//  Returns 0, VB_ETYPE, VB_EINVAL (negative or fractional number) or VB_ETRUNC.
int vb_binance_exec_id_text (vb_json_val_t *value, char *out, size_t out_size);

//  Copy a JSON string into out with its NUL. Returns 0, VB_ETYPE or VB_ETRUNC.
int vb_binance_exec_string (vb_json_val_t *value, char *out, size_t out_size);

//  Millisecond JSON integer -> ns. Returns 0, VB_ETYPE or VB_EOVERFLOW.
int vb_binance_exec_ms_to_ns (vb_json_val_t *value, int64_t *ns);

//  REST answers and instruments (exec_parse.c), with the vb_exec_ops_t
//  signature.
int vb_binance_exec_parse (vb_exec_t *base, const vb_exec_request_t *request, int http_status,
                           const char *const *headers, size_t header_count, const char *body,
                           size_t length, const vb_exec_sink_t *sink, vb_exec_result_t *result,
                           void (*usage) (void *ctx, size_t bucket, int64_t used), void *usage_ctx);

//  Private stream (exec_stream.c), with the vb_exec_ops_t signatures.
int vb_binance_exec_stream_url (vb_exec_t *base, char *url, size_t size);
int vb_binance_exec_stream_opened (vb_exec_t *base, int64_t now_ms, const vb_exec_sink_t *sink);
int vb_binance_exec_stream_frame (vb_exec_t *base, const char *text, size_t length, int64_t now_ms,
                                  const vb_exec_sink_t *sink);

#ifdef __cplusplus
}
#endif
#endif
