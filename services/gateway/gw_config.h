/*  gw_config.h — the gateway's configuration table and its effective values.

    Every key is declared once in gw_config.c (house style 3.8): default,
    then the ZPL file (--config), then VB_* environment variables (for
    gateway keys VB_GATEWAY_<KEY>), then the command line. gw_config_settings turns
    the loaded vb_config_t into a plain read-only struct that main hands to
    the server.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_CONFIG_H_INCLUDED
#define GW_CONFIG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "vb_config.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Most symbols one gateway shard carries.
#define GW_SYMBOLS_MAX 256
//  Most candle intervals published per symbol.
#define GW_INTERVALS_MAX 8
//  Longest symbol or interval name kept.
#define GW_NAME_MAX 40

//  The effective configuration. Strings are borrowed from the vb_config_t
//  (valid until it is destroyed) or held in the arrays below.
typedef struct {
    const char *venue;                              //  Adapter name, e.g. "binance"
    char symbols[GW_SYMBOLS_MAX][GW_NAME_MAX];      //  Normalised symbols
    size_t symbol_count;                            //  1..GW_SYMBOLS_MAX
    char intervals[GW_INTERVALS_MAX][GW_NAME_MAX];  //  Candle intervals ("1m")
    size_t interval_count;                          //  0..GW_INTERVALS_MAX
    const char *bus;                                //  Bus frontend (XSUB) to connect the PUB to
    const char *snapshot;                           //  ROUTER endpoint to bind
    const char *rest_url;                           //  "" = adapter's default
    const char *ws_url;
    const char *futures_rest_url;
    const char *futures_ws_url;
    const char *ca_file;         //  CA bundle for wss:// and https://
    size_t depth;                //  Levels kept and published per side
    int hwm;                     //  PUB send high-water mark (frames)
    size_t frame_max;            //  Largest reassembled WebSocket message (bytes)
    size_t send_queue_max;       //  Outgoing WS messages queued per connection
    int64_t stale_ms;            //  Shorter stale bound than the venue's (0 = venue's)
    int64_t ws_ping_ms;          //  WebSocket ping interval
    int64_t ws_lifetime_ms;      //  Shorter connection lifetime than the venue's (0 = venue's)
    int64_t rollover_margin_ms;  //  Start the replacement this long before lifetime ends
    int64_t connect_timeout_ms;  //  WebSocket connect + handshake bound
    int64_t backoff_base_ms;     //  First reconnect delay ceiling
    int64_t backoff_cap_ms;      //  Largest reconnect delay
    int64_t stable_ms;           //  A connection up this long resets the backoff
    int64_t rest_timeout_ms;     //  Whole REST exchange bound
    size_t rest_body_max;        //  Largest REST answer kept (bytes)
    int64_t rest_weight_limit;   //  Local REST budget: weight per period
    int64_t rest_weight_period_ms;
    int64_t rest_weight_burst;   //  Weight admissible at once
    const char *grants;          //  Router grants endpoint ("" = local budget only)
    int64_t grants_timeout_ms;   //  Router grant wait before the local budget is used
    int64_t status_interval_ms;  //  Status heartbeat per symbol
    int64_t stuck_alert_ms;      //  Alert when a book is not SYNCED for this long
    const char *metrics;         //  /metrics + /healthz HOST:PORT ("" = off)
    int64_t unhealthy_after_ms;  //  Unhealthy once a book is not SYNCED this long
    int64_t max_deviation_bps;   //  Trade/BBO price vs book mid (0 = off)
    int64_t ts_tolerance_ms;     //  Exchange timestamps may go back this much
    int64_t warnings_per_s;      //  Validation warnings logged per second
    const char *log_level;       //  "notice", ...
} gw_settings_t;

//  Create the vb_config_t for the gateway's key table. Never NULL (a bad
//  table is a bug and asserts).
vb_config_t *gw_config_new (void);

//  Fill *settings from a loaded config, splitting and checking the symbol
//  and interval lists. Returns 0, or -1 with a message naming the key in
//  error (of size error_size).
int gw_config_settings (vb_config_t *config, gw_settings_t *settings, char *error,
                        size_t error_size);

#ifdef __cplusplus
}
#endif
#endif
