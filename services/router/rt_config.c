/*  rt_config.c — every router key, once: name, type, default, limits, help.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdio.h>
#include <string.h>

#include "rt_config.h"
#include "vb_exec.h"
#include "vb_journal.h"

static const char *const s_levels[] = {"error", "warning", "notice", "info", "debug", NULL};

#define RT_HOUR_MS   (3600 * 1000)
#define RT_DAY_MS    (24 * RT_HOUR_MS)
#define RT_MINUTE_MS (60 * 1000)

static const vb_config_key_t s_keys[] = {
    {.name = "router/endpoint",
     .type = VB_CONFIG_ENDPOINT,
     .flags = VB_CONFIG_REQUIRED,
     .help = "ROUTER endpoint bound for strategies (DEALER)"},
    {.name = "router/grants",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "ROUTER endpoint bound for gateways' rate-limit grants (empty: none)"},
    {.name = "router/bus",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help =
         "bus frontend (XSUB) for execution reports, rate-limit usage and alerts (empty: none)"},
    {.name = "router/journal",
     .type = VB_CONFIG_STRING,
     .flags = VB_CONFIG_REQUIRED,
     .help = "SQLite journal path (its directory must exist)"},
    {.name = "router/id",
     .type = VB_CONFIG_INT,
     .fallback = "1",
     .min = 0,
     .max = VB_JOURNAL_ROUTER_ID_MAX,
     .help = "router id: the 4 base-36 digits after 'vb' in every client order id"},
    {.name = "router/metrics",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "HOST:PORT serving /metrics and /healthz (empty: none; port 0 picks one)"},
    {.name = "router/ca_file",
     .type = VB_CONFIG_STRING,
     .fallback = "/etc/ssl/certs/ca-certificates.crt",
     .help = "CA bundle for https:// and wss:// (empty: the TLS library's default)"},
    {.name = "router/reconcile_interval",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "30s",
     .min = 1000,
     .max = RT_DAY_MS,
     .help = "periodic reconciliation of open orders, fills and balances"},
    {.name = "router/unknown_settle",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "15s",
     .min = 1000,
     .max = RT_HOUR_MS,
     .help = "a venue's 'no such order' ends an UNKNOWN order only this long after its send "
             "(longer than the venue's recvWindow)"},
    {.name = "router/unknown_retry",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "250ms",
     .min = 10,
     .max = RT_MINUTE_MS,
     .help = "first re-query of an UNKNOWN order (doubles, at most 10 s)"},
    {.name = "router/unknown_alert",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "30s",
     .min = 1000,
     .max = RT_DAY_MS,
     .help = "alert on orders UNKNOWN for longer than this"},
    {.name = "router/http_timeout",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "10s",
     .min = 100,
     .max = RT_MINUTE_MS,
     .help = "one REST transfer; no answer by then leaves the order UNKNOWN"},
    {.name = "router/failover_errors",
     .type = VB_CONFIG_INT,
     .fallback = "3",
     .min = 1,
     .max = 1000,
     .help = "consecutive connection failures or 5xx answers before the next base URL"},
    {.name = "router/failback",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "60s",
     .min = 1000,
     .max = RT_DAY_MS,
     .help = "after a failover, try the first base URL again after this long"},
    {.name = "router/publish_interval",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "1s",
     .min = 100,
     .max = RT_MINUTE_MS,
     .help = "rate-limit usage on sys.router.ratelimit, this often"},
    {.name = "router/alert_threshold",
     .type = VB_CONFIG_INT,
     .fallback = "800",
     .min = 1,
     .max = 1000,
     .help = "rate-limit alert threshold, per mille of a bucket's capacity"},
    {.name = "router/queue_max",
     .type = VB_CONFIG_INT,
     .fallback = "1024",
     .min = 1,
     .max = 100000,
     .help = "requests waiting per priority lane per venue; beyond: rejected RATE_LIMITED"},
    {.name = "router/posture_warning",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "1h",
     .min = 1000,
     .max = RT_DAY_MS,
     .help = "repeat the warning for keys without an IP whitelist this often"},
    {.name = "router/max_open_orders",
     .type = VB_CONFIG_INT,
     .fallback = "100",
     .min = 1,
     .max = 1000000,
     .help = "default per-strategy limit of open orders"},
    {.name = "router/max_notional",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help =
         "default per-strategy limit of open notional, price x qty in quote units (empty: none)"},
    {.name = "router/keystore_passphrase_file",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "file holding the keystore passphrase (keystore: secrets)"},
    {.name = "router/keystore_passphrase_env",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "or: environment variable holding it (wiped after start)"},
    {.name = "router/vault_addr",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "Vault address (empty: $VAULT_ADDR)"},
    {.name = "router/vault_token_file",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "file holding the Vault token (empty: $VAULT_TOKEN, wiped after start)"},
    {.name = "router/vault_ca_file",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "CA bundle for Vault (empty: $VAULT_CACERT or the system CAs)"},
    {.name = "router/vault_allow_http",
     .type = VB_CONFIG_BOOL,
     .fallback = "false",
     .help = "accept a plain http:// Vault address (tests only)"},
    {.name = "log/level",
     .type = VB_CONFIG_ENUM,
     .fallback = "notice",
     .values = s_levels,
     .help = "most verbose log level written"},
};

static const vb_config_key_t s_account_keys[] = {
    {.name = "venue", .type = VB_CONFIG_STRING, .help = "venue adapter: binance, kraken"},
    {.name = "rest_url",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "base REST URL, or a comma list tried in order (failover); empty: production"},
    {.name = "ws_url",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "private WebSocket base URL; empty: production"},
    {.name = "secrets",
     .type = VB_CONFIG_STRING,
     .help = "env | keystore:<path>#<entry> | vault:<kv path> | dir:<path>"},
    {.name = "allow_unrestricted_ip",
     .type = VB_CONFIG_BOOL,
     .fallback = "false",
     .help = "start with a key that has no IP whitelist (warned about every posture_warning)"},
    {.name = "recv_window",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "5000",
     .min = 100,
     .max = 60000,
     .help = "Binance recvWindow"},
};

static const vb_config_key_t s_strategy_keys[] = {
    {.name = "max_open_orders",
     .type = VB_CONFIG_INT,
     .fallback = "0",
     .min = 0,
     .max = 1000000,
     .help = "open orders at once (0: the router default)"},
    {.name = "max_notional",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "open notional, price x qty in quote units (empty: the router default)"},
};

#define S_COUNT(table) (sizeof (table) / sizeof ((table)[0]))

//  --------------------------------------------------------------------------

vb_config_t *
rt_config_new (void)
{
    vb_config_t *config = vb_config_new (s_keys, S_COUNT (s_keys));
    if (!config)
        return NULL;
    if (vb_config_add_section (config, "account", s_account_keys, S_COUNT (s_account_keys)) != 0 ||
        vb_config_add_section (config, "strategy", s_strategy_keys, S_COUNT (s_strategy_keys)) != 0)
        vb_config_destroy (&config);
    return config;
}

//  --------------------------------------------------------------------------
//  A name usable as a topic component: 1..RT_NAME_MAX of [A-Za-z0-9_-].

bool
rt_config_name_ok (const char *name)
{
    size_t length = name ? strlen (name) : 0;
    if (length == 0 || length > RT_NAME_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  A positive decimal limit, or "" for none.

static int
s_notional (const char *text, vb_decimal_t *value, bool *has)
{
    *has = false;
    if (!text || !*text)
        return 0;
    if (vb_decimal_parse (text, strlen (text), value) != 0 || vb_decimal_is_negative (*value) ||
        vb_decimal_is_zero (*value))
        return -1;
    *has = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  Split a comma list of URLs into the account's failover list.

static int
s_urls (const char *list, rt_account_settings_t *account)
{
    account->rest_url_count = 0;
    const char *cursor = list ? list : "";
    do {
        const char *comma = strchr (cursor, ',');
        size_t length = comma ? (size_t)(comma - cursor) : strlen (cursor);
        while (length > 0 && *cursor == ' ') {
            cursor++;
            length--;
        }
        while (length > 0 && cursor[length - 1] == ' ')
            length--;
        if (account->rest_url_count == RT_URLS_MAX || length >= RT_URL_MAX)
            return -1;
        if (length == 0 && (comma || account->rest_url_count > 0))
            return -1;  //  An empty entry in a list
        memcpy (account->rest_urls[account->rest_url_count], cursor, length);
        account->rest_urls[account->rest_url_count][length] = '\0';
        account->rest_url_count++;
        cursor = comma ? comma + 1 : NULL;
    } while (cursor);
    return 0;
}

//  --------------------------------------------------------------------------

int
rt_config_settings (vb_config_t *config, rt_settings_t *settings, char *error, size_t error_size)
{
    memset (settings, 0, sizeof (*settings));
    settings->endpoint = vb_config_str (config, "router/endpoint");
    settings->grants = vb_config_str (config, "router/grants");
    settings->bus = vb_config_str (config, "router/bus");
    settings->journal = vb_config_str (config, "router/journal");
    settings->metrics = vb_config_str (config, "router/metrics");
    settings->ca_file = vb_config_str (config, "router/ca_file");
    settings->log_level = vb_config_str (config, "log/level");
    settings->router_id = (uint32_t)vb_config_int (config, "router/id");
    settings->reconcile_ms = vb_config_int (config, "router/reconcile_interval");
    settings->unknown_settle_ms = vb_config_int (config, "router/unknown_settle");
    settings->unknown_retry_ms = vb_config_int (config, "router/unknown_retry");
    settings->unknown_alert_ms = vb_config_int (config, "router/unknown_alert");
    settings->http_timeout_ms = vb_config_int (config, "router/http_timeout");
    settings->failover_errors = vb_config_int (config, "router/failover_errors");
    settings->failback_ms = vb_config_int (config, "router/failback");
    settings->publish_ms = vb_config_int (config, "router/publish_interval");
    settings->alert_permille = vb_config_int (config, "router/alert_threshold");
    settings->queue_max = vb_config_int (config, "router/queue_max");
    settings->posture_warn_ms = vb_config_int (config, "router/posture_warning");
    settings->keystore_passphrase_file = vb_config_str (config, "router/keystore_passphrase_file");
    settings->keystore_passphrase_env = vb_config_str (config, "router/keystore_passphrase_env");
    settings->vault_addr = vb_config_str (config, "router/vault_addr");
    settings->vault_token_file = vb_config_str (config, "router/vault_token_file");
    settings->vault_ca_file = vb_config_str (config, "router/vault_ca_file");
    settings->vault_allow_http = vb_config_bool (config, "router/vault_allow_http");

    rt_strategy_settings_t *fallback = &settings->strategy_default;
    snprintf (fallback->name, sizeof (fallback->name), "*");
    fallback->max_open_orders = vb_config_int (config, "router/max_open_orders");
    if (s_notional (vb_config_str (config, "router/max_notional"), &fallback->max_notional,
                    &fallback->has_max_notional) != 0) {
        snprintf (error, error_size, "router/max_notional is not a positive decimal");
        return -1;
    }

    size_t accounts = vb_config_section_count (config, "account");
    if (accounts == 0) {
        snprintf (error, error_size, "no account/<name> section: the router needs an account");
        return -1;
    }
    if (accounts > RT_ACCOUNTS_MAX) {
        snprintf (error, error_size, "%zu accounts: at most %d", accounts, RT_ACCOUNTS_MAX);
        return -1;
    }
    for (size_t i = 0; i < accounts; i++) {
        const char *name = vb_config_section_name (config, "account", i);
        rt_account_settings_t *account = &settings->accounts[i];
        if (!rt_config_name_ok (name)) {
            snprintf (error, error_size,
                      "account/%s: account names are 1..%d characters of A-Z a-z 0-9 _ -", name,
                      RT_NAME_MAX);
            return -1;
        }
        snprintf (account->name, sizeof (account->name), "%s", name);
        const char *venue = vb_config_section_str (config, "account", name, "venue");
        if (!venue || !*venue) {
            snprintf (error, error_size, "account/%s/venue is missing", name);
            return -1;
        }
        if (!vb_exec_venue_find (venue)) {
            snprintf (error, error_size, "account/%s/venue: no execution adapter for venue '%s'",
                      name, venue);
            return -1;
        }
        snprintf (account->venue, sizeof (account->venue), "%s", venue);
        account->secrets = vb_config_section_str (config, "account", name, "secrets");
        if (!account->secrets || !*account->secrets) {
            snprintf (error, error_size, "account/%s/secrets is missing", name);
            return -1;
        }
        if (s_urls (vb_config_section_str (config, "account", name, "rest_url"), account) != 0) {
            snprintf (error, error_size,
                      "account/%s/rest_url: a comma list of at most %d URLs of at most %d bytes, "
                      "with no empty entry",
                      name, RT_URLS_MAX, RT_URL_MAX - 1);
            return -1;
        }
        const char *ws = vb_config_section_str (config, "account", name, "ws_url");
        if (ws && strlen (ws) >= RT_URL_MAX) {
            snprintf (error, error_size, "account/%s/ws_url is too long", name);
            return -1;
        }
        snprintf (account->ws_url, sizeof (account->ws_url), "%s", ws ? ws : "");
        account->allow_unrestricted_ip =
            vb_config_section_bool (config, "account", name, "allow_unrestricted_ip");
        account->recv_window_ms = vb_config_section_int (config, "account", name, "recv_window");
        settings->account_count++;
    }

    size_t strategies = vb_config_section_count (config, "strategy");
    if (strategies > RT_STRATEGIES_MAX) {
        snprintf (error, error_size, "%zu strategy sections: at most %d", strategies,
                  RT_STRATEGIES_MAX);
        return -1;
    }
    for (size_t i = 0; i < strategies; i++) {
        const char *name = vb_config_section_name (config, "strategy", i);
        rt_strategy_settings_t *strategy = &settings->strategies[i];
        if (!rt_config_name_ok (name)) {
            snprintf (error, error_size,
                      "strategy/%s: strategy names are 1..%d characters of A-Z a-z 0-9 _ -", name,
                      RT_NAME_MAX);
            return -1;
        }
        snprintf (strategy->name, sizeof (strategy->name), "%s", name);
        int64_t open = vb_config_section_int (config, "strategy", name, "max_open_orders");
        strategy->max_open_orders = open > 0 ? open : fallback->max_open_orders;
        const char *notional = vb_config_section_str (config, "strategy", name, "max_notional");
        if (notional && *notional) {
            if (s_notional (notional, &strategy->max_notional, &strategy->has_max_notional) != 0) {
                snprintf (error, error_size, "strategy/%s/max_notional is not a positive decimal",
                          name);
                return -1;
            }
        } else {
            strategy->max_notional = fallback->max_notional;
            strategy->has_max_notional = fallback->has_max_notional;
        }
        settings->strategy_count++;
    }
    return 0;
}

//  --------------------------------------------------------------------------

const rt_strategy_settings_t *
rt_config_strategy (const rt_settings_t *settings, const char *name)
{
    for (size_t i = 0; i < settings->strategy_count; i++)
        if (strcmp (settings->strategies[i].name, name) == 0)
            return &settings->strategies[i];
    return &settings->strategy_default;
}
