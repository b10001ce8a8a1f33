/*  gw_config.c — every gateway key, once: name, type, default, limits, help.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "gw_config.h"
#include "vb_topic.h"

static const char *const s_levels[] = {"error", "warning", "notice", "info", "debug", NULL};

#define GW_MIB (1024 * 1024)

static const vb_config_key_t s_keys[] = {
    {.name = "gateway/venue",
     .type = VB_CONFIG_STRING,
     .flags = VB_CONFIG_REQUIRED,
     .help = "venue adapter name (venues/registry.c), e.g. binance"},
    {.name = "gateway/symbols",
     .type = VB_CONFIG_STRING,
     .flags = VB_CONFIG_REQUIRED,
     .help = "comma list of normalised symbols of this shard, e.g. BTC-USDT,ETH-USDT"},
    {.name = "gateway/bus",
     .type = VB_CONFIG_ENDPOINT,
     .flags = VB_CONFIG_REQUIRED,
     .help = "bus frontend (XSUB) the PUB socket connects to"},
    {.name = "gateway/snapshot",
     .type = VB_CONFIG_ENDPOINT,
     .flags = VB_CONFIG_REQUIRED,
     .help = "ROUTER endpoint bound for snapshot requests (Clone pattern)"},
    {.name = "gateway/rest_url",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "REST base URL; empty = the venue's production URL"},
    {.name = "gateway/ws_url",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "public WebSocket base URL; empty = the venue's production URL"},
    {.name = "gateway/futures_rest_url",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "futures REST base URL (funding); empty = the venue's default, if any"},
    {.name = "gateway/futures_ws_url",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "futures WebSocket base URL (funding, mark); empty = the venue's default, if any"},
    {.name = "gateway/ca_file",
     .type = VB_CONFIG_STRING,
     .fallback = "/etc/ssl/certs/ca-certificates.crt",
     .help = "CA bundle for wss:// and https:// (empty: the TLS library's default)"},
    {.name = "gateway/candles",
     .type = VB_CONFIG_STRING,
     .fallback = "1m",
     .help = "comma list of candle intervals to publish (empty: none)"},
    {.name = "gateway/depth",
     .type = VB_CONFIG_INT,
     .fallback = "100",
     .min = 10,
     .max = 5000,
     .help = "book levels kept and published per side"},
    {.name = "gateway/hwm",
     .type = VB_CONFIG_INT,
     .fallback = "100000",
     .min = 1000,
     .max = 10000000,
     .help = "PUB send high-water mark in frames (bounded on purpose)"},
    {.name = "gateway/frame_max",
     .type = VB_CONFIG_INT,
     .fallback = "4194304",
     .min = 65536,
     .max = 64 * GW_MIB,
     .help = "largest reassembled WebSocket message in bytes; larger reconnects"},
    {.name = "gateway/send_queue_max",
     .type = VB_CONFIG_INT,
     .fallback = "1024",
     .min = 16,
     .max = 1000000,
     .help = "outgoing WebSocket messages queued per connection"},
    {.name = "gateway/stale",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "0",
     .min = 0,
     .max = 3600000,
     .help = "no data frame for this long = stale; 0 = the venue's bound (30s if none), "
             "else the shorter of the two"},
    {.name = "gateway/ws_ping",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "20s",
     .min = 100,
     .max = 3600000,
     .help = "WebSocket ping interval (liveness; any frame or pong counts)"},
    {.name = "gateway/ws_lifetime",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "0",
     .min = 0,
     .max = 7 * 86400000LL,
     .help = "connection lifetime when shorter than the venue's (a sim run with a short "
             "lifetime); 0 = the venue's"},
    {.name = "gateway/rollover_margin",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "5m",
     .min = 0,
     .max = 86400000,
     .help = "open the replacement this long before the venue's connection lifetime "
             "(at most a tenth of the lifetime)"},
    {.name = "gateway/connect_timeout",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "10s",
     .min = 1000,
     .max = 600000,
     .help = "WebSocket connect and handshake bound"},
    {.name = "gateway/backoff_base",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "250ms",
     .min = 1,
     .max = 600000,
     .help = "reconnect backoff: ceiling of the first delay (full jitter)"},
    {.name = "gateway/backoff_cap",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "30s",
     .min = 1,
     .max = 3600000,
     .help = "reconnect backoff: largest delay"},
    {.name = "gateway/stable",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "10s",
     .min = 0,
     .max = 3600000,
     .help = "a connection that stayed up this long resets the backoff"},
    {.name = "gateway/rest_timeout",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "10s",
     .min = 100,
     .max = 600000,
     .help = "bound on one whole REST exchange"},
    {.name = "gateway/rest_body_max",
     .type = VB_CONFIG_INT,
     .fallback = "16777216",
     .min = 65536,
     .max = 256 * GW_MIB,
     .help = "largest REST answer in bytes; larger fails the request"},
    {.name = "gateway/rest_weight_limit",
     .type = VB_CONFIG_INT,
     .fallback = "1200",
     .min = 1,
     .max = 1000000,
     .help = "local REST grant budget: request weight per period"},
    {.name = "gateway/rest_weight_period",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "60s",
     .min = 1,
     .max = 86400000,
     .help = "local REST grant budget: the period"},
    {.name = "gateway/rest_weight_burst",
     .type = VB_CONFIG_INT,
     .fallback = "100",
     .min = 1,
     .max = 1000000,
     .help = "local REST grant budget: weight admissible at once"},
    {.name = "gateway/grants",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "the router's grants endpoint (router/grants), e.g. tcp://router:5581; REST grants "
             "come from it, the local budget is the fallback (empty: local budget only)"},
    {.name = "gateway/grants_timeout",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "2s",
     .min = 100,
     .max = 600000,
     .help = "a grant the router has not answered this long comes from the local budget"},
    {.name = "gateway/status_interval",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "5s",
     .min = 100,
     .max = 3600000,
     .help = "a status message per symbol at least this often"},
    {.name = "gateway/stuck_alert",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "30s",
     .min = 1000,
     .max = 24 * 3600 * 1000,
     .help = "alert on sys.gateway.alert when a book stays RESYNCING or STALE this long"},
    {.name = "gateway/metrics",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "HOST:PORT serving /metrics and /healthz, e.g. 0.0.0.0:9101 (empty: off; port 0: "
             "any free port, logged)"},
    {.name = "gateway/unhealthy_after",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "30s",
     .min = 100,
     .max = 3600000,
     .help = "/healthz answers 503 once a book has not been SYNCED for this long"},
    {.name = "validate/max_deviation_bps",
     .type = VB_CONFIG_INT,
     .fallback = "2000",
     .min = 0,
     .max = 1000000,
     .help = "trade or BBO price further than this from the book mid is an anomaly (0: off)"},
    {.name = "validate/ts_tolerance",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "0",
     .min = 0,
     .max = 3600000,
     .help = "exchange timestamps may go back this much before it is an anomaly"},
    {.name = "validate/warnings_per_s",
     .type = VB_CONFIG_INT,
     .fallback = "10",
     .min = 1,
     .max = 100000,
     .help = "validation warnings logged per second at most (the rest are counted)"},
    {.name = "log/level",
     .type = VB_CONFIG_ENUM,
     .fallback = "notice",
     .values = s_levels,
     .help = "most verbose log level"},
};

//  --------------------------------------------------------------------------
//  Create the config object for the table above.

vb_config_t *
gw_config_new (void)
{
    vb_config_t *config = vb_config_new (s_keys, sizeof (s_keys) / sizeof (s_keys[0]));
    assert (config);
    return config;
}

//  --------------------------------------------------------------------------
//  Split a comma list into names, checking each with `check`. Returns the
//  count, or -1 with the error written.

static int
s_split (const char *key, const char *list, char (*out)[GW_NAME_MAX], size_t max,
         bool (*check) (const char *name), char *error, size_t error_size)
{
    size_t count = 0;
    const char *cursor = list;
    while (*cursor) {
        const char *end = strchr (cursor, ',');
        size_t length = end ? (size_t)(end - cursor) : strlen (cursor);
        if (length == 0 || length >= GW_NAME_MAX) {
            snprintf (error, error_size, "%s: empty or too long item in \"%s\"", key, list);
            return -1;
        }
        if (count == max) {
            snprintf (error, error_size, "%s: more than %zu items", key, max);
            return -1;
        }
        memcpy (out[count], cursor, length);
        out[count][length] = 0;
        if (!check (out[count])) {
            snprintf (error, error_size, "%s: \"%s\" is not valid", key, out[count]);
            return -1;
        }
        for (size_t i = 0; i < count; i++)
            if (strcmp (out[i], out[count]) == 0) {
                snprintf (error, error_size, "%s: \"%s\" is listed twice", key, out[count]);
                return -1;
            }
        count++;
        cursor = end ? end + 1 : cursor + length;
        if (end && !*cursor) {
            snprintf (error, error_size, "%s: trailing comma in \"%s\"", key, list);
            return -1;
        }
    }
    return (int)count;
}

//  A symbol is valid when it makes a valid topic (BASE-QUOTE, [A-Z0-9]).
static bool
s_symbol_valid (const char *symbol)
{
    char topic[VB_TOPIC_MAX + 1];
    return vb_topic_md (topic, sizeof (topic), "v", symbol, VB_TOPIC_KIND_BOOK, NULL) > 0;
}

//  An interval is valid when it makes a valid candle topic ("1m", "15m").
static bool
s_interval_valid (const char *interval)
{
    char topic[VB_TOPIC_MAX + 1];
    return vb_topic_md (topic, sizeof (topic), "v", "A-B", VB_TOPIC_KIND_CANDLE, interval) > 0;
}

//  --------------------------------------------------------------------------
//  Fill the settings struct from a loaded config.

int
gw_config_settings (vb_config_t *config, gw_settings_t *settings, char *error, size_t error_size)
{
    memset (settings, 0, sizeof (*settings));
    settings->venue = vb_config_str (config, "gateway/venue");
    int count = s_split ("gateway/symbols", vb_config_str (config, "gateway/symbols"),
                         settings->symbols, GW_SYMBOLS_MAX, s_symbol_valid, error, error_size);
    if (count < 0)
        return -1;
    if (count == 0) {
        snprintf (error, error_size, "gateway/symbols: no symbol given");
        return -1;
    }
    settings->symbol_count = (size_t)count;
    count = s_split ("gateway/candles", vb_config_str (config, "gateway/candles"),
                     settings->intervals, GW_INTERVALS_MAX, s_interval_valid, error, error_size);
    if (count < 0)
        return -1;
    settings->interval_count = (size_t)count;
    settings->bus = vb_config_str (config, "gateway/bus");
    settings->snapshot = vb_config_str (config, "gateway/snapshot");
    settings->rest_url = vb_config_str (config, "gateway/rest_url");
    settings->ws_url = vb_config_str (config, "gateway/ws_url");
    settings->futures_rest_url = vb_config_str (config, "gateway/futures_rest_url");
    settings->futures_ws_url = vb_config_str (config, "gateway/futures_ws_url");
    settings->ca_file = vb_config_str (config, "gateway/ca_file");
    settings->depth = (size_t)vb_config_int (config, "gateway/depth");
    settings->hwm = (int)vb_config_int (config, "gateway/hwm");
    settings->frame_max = (size_t)vb_config_int (config, "gateway/frame_max");
    settings->send_queue_max = (size_t)vb_config_int (config, "gateway/send_queue_max");
    settings->stale_ms = vb_config_int (config, "gateway/stale");
    settings->ws_ping_ms = vb_config_int (config, "gateway/ws_ping");
    settings->ws_lifetime_ms = vb_config_int (config, "gateway/ws_lifetime");
    settings->rollover_margin_ms = vb_config_int (config, "gateway/rollover_margin");
    settings->connect_timeout_ms = vb_config_int (config, "gateway/connect_timeout");
    settings->backoff_base_ms = vb_config_int (config, "gateway/backoff_base");
    settings->backoff_cap_ms = vb_config_int (config, "gateway/backoff_cap");
    settings->stable_ms = vb_config_int (config, "gateway/stable");
    settings->rest_timeout_ms = vb_config_int (config, "gateway/rest_timeout");
    settings->rest_body_max = (size_t)vb_config_int (config, "gateway/rest_body_max");
    settings->rest_weight_limit = vb_config_int (config, "gateway/rest_weight_limit");
    settings->rest_weight_period_ms = vb_config_int (config, "gateway/rest_weight_period");
    settings->rest_weight_burst = vb_config_int (config, "gateway/rest_weight_burst");
    settings->grants = vb_config_str (config, "gateway/grants");
    settings->grants_timeout_ms = vb_config_int (config, "gateway/grants_timeout");
    settings->status_interval_ms = vb_config_int (config, "gateway/status_interval");
    settings->stuck_alert_ms = vb_config_int (config, "gateway/stuck_alert");
    settings->metrics = vb_config_str (config, "gateway/metrics");
    settings->unhealthy_after_ms = vb_config_int (config, "gateway/unhealthy_after");
    settings->max_deviation_bps = vb_config_int (config, "validate/max_deviation_bps");
    settings->ts_tolerance_ms = vb_config_int (config, "validate/ts_tolerance");
    settings->warnings_per_s = vb_config_int (config, "validate/warnings_per_s");
    settings->log_level = vb_config_str (config, "log/level");
    if (*settings->grants && strncmp (settings->grants, "tcp://", 6) != 0 &&
        strncmp (settings->grants, "ipc://", 6) != 0 &&
        strncmp (settings->grants, "inproc://", 9) != 0) {
        snprintf (error, error_size,
                  "gateway/grants: \"%s\" is not an endpoint (tcp://HOST:PORT, ipc://PATH, "
                  "inproc://NAME) or empty",
                  settings->grants);
        return -1;
    }
    if (settings->backoff_cap_ms < settings->backoff_base_ms) {
        snprintf (error, error_size, "gateway/backoff_cap: smaller than gateway/backoff_base");
        return -1;
    }
    return 0;
}
