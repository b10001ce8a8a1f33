/*  rt_config.h — every router key, once, and the settings the router runs with.

    The router reads a ZPL file (--config FILE), VB_* environment variables
    and flags (vb_config.h). Keys of DESIGN.md §3: router/endpoint (ROUTER
    for strategies), router/grants (rate-limit grants for gateways),
    router/bus (the bus frontend) and router/journal (SQLite path); one
    section account/<name> per account with venue, rest_url, ws_url and
    secrets; optional strategy/<name> sections with per-strategy limits.
    rt_config.c holds the table with defaults, limits and help.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef RT_CONFIG_H_INCLUDED
#define RT_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_config.h"
#include "vb_decimal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RT_ACCOUNTS_MAX   32    //  Accounts per router
#define RT_STRATEGIES_MAX 256   //  Strategy sections (and strategies seen)
#define RT_URLS_MAX       8     //  Base REST URLs per account (failover)
#define RT_URL_MAX        512   //  Longest URL
#define RT_NAME_MAX       40    //  Account and strategy names: topic components
#define RT_PATH_MAX       1024  //  Longest file path

typedef struct {
    char name[RT_NAME_MAX + 1];               //  Section name, e.g. "main"
    char venue[32];                           //  Adapter name
    char rest_urls[RT_URLS_MAX][RT_URL_MAX];  //  Failover order; "" = production default
    size_t rest_url_count;                    //  At least 1
    char ws_url[RT_URL_MAX];                  //  Private stream base; "" = production
    const char *secrets;                      //  Spec (vb_secrets.h); borrowed from the config
    bool allow_unrestricted_ip;               //  Accept a key without an IP whitelist
    int64_t recv_window_ms;                   //  Binance recvWindow
} rt_account_settings_t;

typedef struct {
    char name[RT_NAME_MAX + 1];
    int64_t max_open_orders;    //  Open orders at once
    vb_decimal_t max_notional;  //  Sum of price x qty of open orders (quote units)
    bool has_max_notional;      //  false: unlimited
} rt_strategy_settings_t;

typedef struct {
    const char *endpoint;  //  ROUTER for strategies
    const char *grants;    //  ROUTER for gateway grants ("" = none)
    const char *bus;       //  Bus frontend (XSUB) the PUB connects to ("" = none)
    const char *journal;   //  SQLite path
    const char *metrics;   //  HOST:PORT for /metrics and /healthz ("" = none)
    const char *ca_file;   //  CA bundle for https:// and wss://
    const char *log_level;
    uint32_t router_id;         //  Journal router id (client order id prefix)
    int64_t reconcile_ms;       //  Periodic reconciliation interval
    int64_t unknown_settle_ms;  //  A not-found answer is final only after this
    int64_t unknown_retry_ms;   //  First re-query of an UNKNOWN order
    int64_t unknown_alert_ms;   //  Alert on orders UNKNOWN for longer
    int64_t http_timeout_ms;    //  One REST transfer
    int64_t failover_errors;    //  Consecutive failures before switching URL
    int64_t failback_ms;        //  Try the first URL again after this
    int64_t publish_ms;         //  Rate-limit usage publishing period
    int64_t alert_permille;     //  Rate-limit alert threshold
    int64_t queue_max;          //  Requests waiting per priority lane per venue
    int64_t posture_warn_ms;    //  Repeat of the unrestricted-IP warning
    //  Secrets backends (vb_secrets_options_t)
    const char *keystore_passphrase_file;
    const char *keystore_passphrase_env;
    const char *vault_addr;
    const char *vault_token_file;
    const char *vault_ca_file;
    bool vault_allow_http;                    //  Tests only
    rt_strategy_settings_t strategy_default;  //  For strategies without a section
    rt_account_settings_t accounts[RT_ACCOUNTS_MAX];
    size_t account_count;
    rt_strategy_settings_t strategies[RT_STRATEGIES_MAX];
    size_t strategy_count;
} rt_settings_t;

//  A config with every router key and section declared.
vb_config_t *rt_config_new (void);

//  Read the loaded config into settings (strings borrowed from config).
//  Returns 0, or -1 with a message naming the key and the problem (an
//  account without venue or secrets, an unknown venue, too many URLs, a
//  bad name, a bad decimal).
int rt_config_settings (vb_config_t *config, rt_settings_t *settings, char *error,
                        size_t error_size);

//  True for a name usable as an account or strategy: a topic component,
//  1..RT_NAME_MAX characters of A-Z a-z 0-9 _ -.
bool rt_config_name_ok (const char *name);

//  The limits of a strategy: its section, or the default. Borrowed.
const rt_strategy_settings_t *rt_config_strategy (const rt_settings_t *settings, const char *name);

#ifdef __cplusplus
}
#endif
#endif
