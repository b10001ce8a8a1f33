/*  exec_internal.h — private state of the Kraken execution adapter, shared
    by exec.c (ops, builders, private stream set-up), exec_parse.c (REST
    answers) and exec_stream.c (WS v2 executions frames). Not a public header:
    only these files include it.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_KRAKEN_EXEC_INTERNAL_H_INCLUDED
#define VB_KRAKEN_EXEC_INTERNAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_decimal.h"
#include "vb_exec.h"
#include "vb_hmac.h"
#include "vb_json.h"

#define VB_KEXEC_TOKEN_MAX  256  //  Longest WS token kept (Kraken's are 43 characters)
#define VB_KEXEC_STATUS_MAX 24   //  Longest AssetPairs status kept ("cancel_only", ...)
#define VB_KEXEC_CACHE_SETS 256  //  Order cache: sets (a power of two)
#define VB_KEXEC_CACHE_WAYS 4    //  Order cache: entries per set
#define VB_KEXEC_SYMBOL_MAX 32   //  Size of a normalised symbol buffer (vb_exec_report_t)
#define VB_KEXEC_NS_PER_S   1000000000LL
#define VB_KEXEC_NS_PER_MS  1000000LL
#define VB_KEXEC_MS_PER_S   1000LL
#define VB_KEXEC_US_PER_MS  1000ULL

//  Instrument rules of one pair (AssetPairs), indexed like vb_kraken_pair_at.
typedef struct {
    bool loaded;                       //  Set by an INSTRUMENTS answer
    vb_decimal_t tick_size;            //  Price step ("tick_size")
    int32_t pair_decimals;             //  Price decimals
    int32_t lot_decimals;              //  Volume decimals
    vb_decimal_t ordermin;             //  Minimum volume
    vb_decimal_t costmin;              //  Minimum notional (quote), zero if none
    bool has_costmin;                  //  costmin was published
    char status[VB_KEXEC_STATUS_MAX];  //  "online", "post_only", "limit_only", ...
} vb_kexec_rules_t;

//  What the stream last said about an order, to fill in sparse updates
//  (Kraken's "new", "canceled", ... records carry only the ids).
typedef struct {
    bool used;                             //  Slot holds an order
    uint64_t stamp;                        //  Last use, for replacement
    char order_id[VB_EXEC_ID_MAX];         //  Kraken txid
    char client_order_id[VB_EXEC_ID_MAX];  //  cl_ord_id, "" if none seen
    char symbol[VB_KEXEC_SYMBOL_MAX];      //  Normalised symbol
    vb_exec_side_t side;                   //  0 until seen
    vb_decimal_t price;                    //  Limit price (zero for market)
    vb_decimal_t qty;                      //  Order quantity
    vb_decimal_t filled;                   //  Cumulative filled quantity
} vb_kexec_cached_t;

typedef struct {
    vb_exec_t base;                  //  First: the ops pointer
    vb_hmac_t *signer;               //  HMAC-SHA512 keyed with the decoded secret
    const char *api_key;             //  Borrowed from the config (router's locked memory)
    char rest_url[VB_EXEC_URL_MAX];  //  Base REST URL, no trailing slash
    char ws_url[VB_EXEC_URL_MAX];    //  Private WS URL
    uint64_t last_nonce;             //  Last nonce signed (microseconds-based, see exec.c)
    vb_json_t *json;                 //  One parser for every answer and frame
    vb_kexec_rules_t *rules;         //  One per pair of symbols.c
    size_t rule_count;               //  vb_kraken_pair_count ()
    char token[VB_KEXEC_TOKEN_MAX];  //  Last WS token parsed, "" if none
    bool have_sequence;              //  executions: a sequence has been seen
    int64_t sequence;                //  executions: last channel sequence
    uint64_t cache_clock;            //  Stamps for the order cache
    vb_kexec_cached_t cache[VB_KEXEC_CACHE_SETS * VB_KEXEC_CACHE_WAYS];
} vb_kexec_t;

//  exec.c: the adapter (registry_exec.c refers to it by name).
extern const vb_exec_ops_t vb_kraken_exec_ops;

//  exec_parse.c: the answer to one REST request (vb_exec_ops_t.parse).
int vb_kexec_parse (vb_exec_t *base, const vb_exec_request_t *request, int http_status,
                    const char *const *headers, size_t header_count, const char *body,
                    size_t length, const vb_exec_sink_t *sink, vb_exec_result_t *result,
                    void (*usage) (void *ctx, size_t bucket, int64_t used), void *usage_ctx);

//  exec_stream.c: one private-stream text frame (vb_exec_ops_t.stream_frame).
int vb_kexec_stream_frame (vb_exec_t *base, const char *text, size_t length, int64_t now_ms,
                           const vb_exec_sink_t *sink);

//  Copy `length` bytes of text into out (size bytes) with a NUL. Returns 0,
//  or VB_ETRUNC when it does not fit (out is then "").
int vb_kexec_copy (char *out, size_t size, const char *text, size_t length);

//  "2023-09-22T10:33:05.709950Z" (UTC, 'Z' only, 0 to 9 fraction digits)
//  -> nanoseconds since the epoch. Returns 0 or VB_EINVAL.
int vb_kexec_rfc3339_ns (const char *text, size_t length, int64_t *ns);

//  Seconds as a decimal (REST "opentm": 1688583840.8648) -> nanoseconds,
//  truncating digits below 1 ns. Returns 0, VB_EINVAL (negative) or
//  VB_EOVERFLOW.
int vb_kexec_seconds_ns (vb_decimal_t seconds, int64_t *ns);

//  Kraken order status text (REST "status" or WS "order_status") and the
//  quantities -> normalised state (venues.md 0.3). Returns 0 or VB_EINVAL
//  for a status the adapter does not know.
int vb_kexec_state (const char *status, size_t length, vb_decimal_t qty, vb_decimal_t filled,
                    bool have_qty, vb_exec_state_t *state);

#endif
