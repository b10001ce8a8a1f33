/*  main.c — venuebus-sim: a venue's REST and WebSocket protocol on loopback,
    backed by a seeded matching engine, with fault injection.

        venuebus-sim --venue V [--port N] [--extra-ports N] [--seed S]
                     [--accounts FILE] [--replay FILE [--replay-speed N]]
                     [--metrics HOST:PORT] [--config FILE]

    main is thin: config -> logging -> engine (instruments, accounts, keys)
    -> server (which creates the personality) -> /metrics and /healthz when
    --metrics is set ("metrics listening address=HOST:PORT") -> "ports venue=V ports=P,..."
    -> "ready venue=V port=P" -> serve until SIGINT/SIGTERM -> teardown. See
    README.md.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sim_engine.h"
#include "sim_server.h"
#include "vb_clock.h"
#include "vb_config.h"
#include "vb_decimal.h"
#include "vb_error.h"
#include "vb_log.h"
#include "vb_metrics.h"

#define SIM_DEMO_ACCOUNT "demo"
#define SIM_LIST_MAX     1024  //  Longest comma list accepted (permissions, IPs, balances)
#define SIM_PORT_TEXT    8     //  ",65535" and its NUL

static const char *const s_levels[] = {"error", "warning", "notice", "info", "debug", NULL};

static const vb_config_key_t s_keys[] = {
    {.name = "sim/venue",
     .type = VB_CONFIG_STRING,
     .flags = VB_CONFIG_REQUIRED,
     .help = "venue personality to speak (binance, kraken)"},
    {.name = "sim/port",
     .type = VB_CONFIG_INT,
     .fallback = "0",
     .min = 0,
     .max = 65535,
     .help = "TCP port for HTTP and WebSocket; 0 picks a free one"},
    {.name = "sim/extra_ports",
     .type = VB_CONFIG_INT,
     .fallback = "0",
     .min = 0,
     .max = SIM_SERVER_EXTRA_PORTS_MAX,
     .help = "also listen on N more free ports serving the same venue state (router failover)"},
    {.name = "sim/interface",
     .type = VB_CONFIG_STRING,
     .fallback = "127.0.0.1",
     .help = "address to listen on; * for every interface"},
    {.name = "sim/seed",
     .type = VB_CONFIG_INT,
     .fallback = "1",
     .min = 0,
     .max = INT64_MAX,
     .help = "PRNG seed: the same seed replays the same synthetic market"},
    {.name = "sim/accounts",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "ZPL file of extra accounts and keys (see sim.cfg.example)"},
    {.name = "sim/replay",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "recorded capture for the personality to serve as the market"},
    {.name = "sim/replay_speed",
     .type = VB_CONFIG_INT,
     .fallback = "1",
     .min = 0,
     .max = 1000000,
     .help = "replay pace: 1 real time, N times faster, 0 without waiting"},
    {.name = "sim/api_key",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .flags = VB_CONFIG_SECRET,
     .help = "demo account's API key (VB_SIM_API_KEY); empty: no demo key"},
    {.name = "sim/api_secret",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .flags = VB_CONFIG_SECRET,
     .help = "demo key's secret as the venue issues it (Kraken: base64)"},
    {.name = "sim/api_passphrase",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .flags = VB_CONFIG_SECRET,
     .help = "demo key's passphrase where the venue has one"},
    {.name = "sim/api_permissions",
     .type = VB_CONFIG_STRING,
     .fallback = "read,trade",
     .help = "demo key's permissions: comma list of read, trade, withdraw"},
    {.name = "sim/api_ips",
     .type = VB_CONFIG_STRING,
     .fallback = "127.0.0.1",
     .help = "demo key's IP whitelist, comma list; empty: unrestricted"},
    {.name = "sim/metrics",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "HOST:PORT serving /metrics and /healthz, e.g. 127.0.0.1:9106 (port 0 picks a "
             "free one; empty: off)"},
    {.name = "sim/ws_ping",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "20s",
     .min = 10,
     .max = 3600000,
     .help = "WebSocket ping interval"},
    {.name = "sim/ws_pong_timeout",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "60s",
     .min = 10,
     .max = 3600000,
     .help = "close a WebSocket client whose last pong is older than this"},
    {.name = "sim/ws_lifetime",
     .type = VB_CONFIG_DURATION_MS,
     .fallback = "24h",
     .min = 10,
     .max = 30LL * 86400000,
     .help = "close every WebSocket connection after this long (Binance: 24h)"},
    {.name = "sim/ws_queue_max",
     .type = VB_CONFIG_INT,
     .fallback = "100000",
     .min = 16,
     .max = 10000000,
     .help = "frames queued per WebSocket client before it is dropped as too slow"},
    {.name = "sim/http_body_max",
     .type = VB_CONFIG_INT,
     .fallback = "1048576",
     .min = 1024,
     .max = 67108864,
     .help = "largest HTTP request body in bytes (larger: 413)"},
    {.name = "flow/rate",
     .type = VB_CONFIG_INT,
     .fallback = "20",
     .min = 0,
     .max = 1000000,
     .help = "synthetic actions per second per instrument (0: a still market)"},
    {.name = "flow/depth_ticks",
     .type = VB_CONFIG_INT,
     .fallback = "40",
     .min = 1,
     .max = 100000,
     .help = "synthetic maker orders rest within this many ticks of mid"},
    {.name = "flow/levels",
     .type = VB_CONFIG_INT,
     .fallback = "25",
     .min = 0,
     .max = 1000,
     .help = "keep at least this many price levels per side"},
    {.name = "flow/market_percent",
     .type = VB_CONFIG_INT,
     .fallback = "10",
     .min = 0,
     .max = 100,
     .help = "share of synthetic actions that are market orders (trades)"},
    {.name = "fees/maker_bps",
     .type = VB_CONFIG_INT,
     .fallback = "10",
     .min = 0,
     .max = 10000,
     .help = "maker fee in basis points of notional, charged in the quote asset"},
    {.name = "fees/taker_bps",
     .type = VB_CONFIG_INT,
     .fallback = "10",
     .min = 0,
     .max = 10000,
     .help = "taker fee in basis points of notional, charged in the quote asset"},
    {.name = "log/level",
     .type = VB_CONFIG_ENUM,
     .fallback = "notice",
     .values = s_levels,
     .help = "most verbose log level"},
};

//  The --accounts file: one section instance per account.
static const vb_config_key_t s_account_keys[] = {
    {.name = "key",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .flags = VB_CONFIG_SECRET,
     .help = "API key (empty: an account without a key)"},
    {.name = "secret",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .flags = VB_CONFIG_SECRET,
     .help = "API secret as the venue issues it"},
    {.name = "passphrase",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .flags = VB_CONFIG_SECRET,
     .help = "passphrase, where the venue has one"},
    {.name = "permissions",
     .type = VB_CONFIG_STRING,
     .fallback = "read,trade",
     .help = "comma list of read, trade, withdraw"},
    {.name = "ips",
     .type = VB_CONFIG_STRING,
     .fallback = "127.0.0.1",
     .help = "IP whitelist, comma list; empty: unrestricted"},
    {.name = "balances",
     .type = VB_CONFIG_STRING,
     .fallback = "",
     .help = "starting balances, e.g. BTC:10,USDT:1000000.50"},
};

//  What the demo account starts with, at 10^-8.
static const struct {
    const char *asset;
    int64_t amount;
} s_demo_funds[] = {
    {"BTC", INT64_C (10) * 100000000},
    {"ETH", INT64_C (100) * 100000000},
    {"USDT", INT64_C (1000000) * 100000000},
    {"USD", INT64_C (1000000) * 100000000},
};

static volatile sig_atomic_t s_stop = 0;

static void
s_signal (int signal_number)
{
    (void)signal_number;
    s_stop = 1;
}

//  --------------------------------------------------------------------------
//  Parse "read,trade" into VB_SIM_PERM_* bits. Returns 0 or -1.

static int
s_permissions (const char *text, unsigned *out)
{
    char list[SIM_LIST_MAX];
    if (snprintf (list, sizeof list, "%s", text) >= (int)sizeof list)
        return -1;
    *out = 0;
    char *save = NULL;
    for (char *item = strtok_r (list, ",", &save); item; item = strtok_r (NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        if (strcmp (item, "read") == 0)
            *out |= VB_SIM_PERM_READ;
        else if (strcmp (item, "trade") == 0)
            *out |= VB_SIM_PERM_TRADE;
        else if (strcmp (item, "withdraw") == 0)
            *out |= VB_SIM_PERM_WITHDRAW;
        else if (*item)
            return -1;
    }
    return 0;
}

//  Parse "127.0.0.1,10.0.0.1" into the key's whitelist. Returns 0 or -1.
static int
s_ips (const char *text, vb_sim_key_t *key)
{
    char list[SIM_LIST_MAX];
    if (snprintf (list, sizeof list, "%s", text) >= (int)sizeof list)
        return -1;
    key->ip_count = 0;
    char *save = NULL;
    for (char *item = strtok_r (list, ", ", &save); item; item = strtok_r (NULL, ", ", &save)) {
        if (key->ip_count == VB_SIM_IPS_MAX || strlen (item) >= sizeof key->ips[0])
            return -1;
        snprintf (key->ips[key->ip_count++], sizeof key->ips[0], "%s", item);
    }
    return 0;
}

//  Add a key for an account, registering its secrets with the logger.
//  Returns 0 or -1 (logged).
static int
s_add_key (vb_sim_engine_t *engine, const char *account, const char *api_key, const char *secret,
           const char *passphrase, const char *permissions, const char *ips)
{
    vb_sim_key_t key;
    memset (&key, 0, sizeof key);
    if (strlen (api_key) >= sizeof key.api_key || strlen (secret) >= sizeof key.secret ||
        strlen (passphrase) >= sizeof key.passphrase) {
        vb_log_error ("sim key too long account=%s", account);
        return -1;
    }
    snprintf (key.api_key, sizeof key.api_key, "%s", api_key);
    snprintf (key.secret, sizeof key.secret, "%s", secret);
    snprintf (key.passphrase, sizeof key.passphrase, "%s", passphrase);
    snprintf (key.account, sizeof key.account, "%s", account);
    vb_log_add_secret (api_key, strlen (api_key));
    if (*secret)
        vb_log_add_secret (secret, strlen (secret));
    if (*passphrase)
        vb_log_add_secret (passphrase, strlen (passphrase));
    if (s_permissions (permissions, &key.permissions) != 0) {
        vb_log_error ("sim key permissions invalid account=%s permissions=%s "
                      "expected=read,trade,withdraw",
                      account, permissions);
        return -1;
    }
    if (s_ips (ips, &key) != 0) {
        vb_log_error ("sim key IP list invalid account=%s ips=%s max=%d", account, ips,
                      VB_SIM_IPS_MAX);
        return -1;
    }
    int rc = sim_engine_add_key (engine, &key);
    memset (&key, 0, sizeof key);
    if (rc != 0) {
        vb_log_error ("sim key refused account=%s error=%s", account, vb_strerror (rc));
        return -1;
    }
    return 0;
}

//  Parse "BTC:10,USDT:1000.5" and credit the account. Returns 0 or -1.
static int
s_fund (vb_sim_engine_t *engine, const char *account, const char *text)
{
    char list[SIM_LIST_MAX];
    if (snprintf (list, sizeof list, "%s", text) >= (int)sizeof list)
        return -1;
    char *save = NULL;
    for (char *item = strtok_r (list, ", ", &save); item; item = strtok_r (NULL, ", ", &save)) {
        char *colon = strchr (item, ':');
        vb_decimal_t amount, scaled;
        if (!colon || colon == item ||
            vb_decimal_parse (colon + 1, strlen (colon + 1), &amount) != 0 ||
            vb_decimal_rescale (amount, VB_SIM_ASSET_EXPONENT, &scaled) != 0 ||
            scaled.mantissa < 0) {
            vb_log_error ("sim balance invalid account=%s entry=%s expected=ASSET:AMOUNT "
                          "with at most 8 decimals",
                          account, item);
            return -1;
        }
        *colon = '\0';
        int rc = sim_engine_credit (engine, account, item, scaled.mantissa);
        if (rc != 0) {
            vb_log_error ("sim balance refused account=%s asset=%s error=%s", account, item,
                          vb_strerror (rc));
            return -1;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Load the --accounts file. Returns 0 or -1 (logged).

static int
s_load_accounts (vb_sim_engine_t *engine, const char *path)
{
    vb_config_t *file = vb_config_new (NULL, 0);
    if (!file || vb_config_add_section (file, "account", s_account_keys,
                                        sizeof s_account_keys / sizeof s_account_keys[0]) != 0) {
        vb_config_destroy (&file);
        vb_log_error ("sim accounts loader failed to start");
        return -1;
    }
    char *argv[] = {"venuebus-sim", "--config", (char *)path, NULL};
    char *envp[] = {NULL};  //  The file alone defines accounts
    int rc = 0;
    if (vb_config_load (file, 3, argv, envp) != 0) {
        vb_log_error ("sim accounts file invalid file=%s error=%s", path, vb_config_error (file));
        rc = -1;
    }
    size_t count = rc == 0 ? vb_config_section_count (file, "account") : 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *name = vb_config_section_name (file, "account", i);
        int added = sim_engine_add_account (engine, name);
        if (added != 0) {
            vb_log_error ("sim account refused account=%s error=%s", name, vb_strerror (added));
            rc = -1;
            break;
        }
        const char *key = vb_config_section_str (file, "account", name, "key");
        if (s_fund (engine, name, vb_config_section_str (file, "account", name, "balances")) ||
            (*key &&
             s_add_key (engine, name, key, vb_config_section_str (file, "account", name, "secret"),
                        vb_config_section_str (file, "account", name, "passphrase"),
                        vb_config_section_str (file, "account", name, "permissions"),
                        vb_config_section_str (file, "account", name, "ips"))))
            rc = -1;
    }
    if (rc == 0)
        vb_log_notice ("sim accounts loaded file=%s accounts=%zu", path, count);
    vb_config_destroy (&file);
    return rc;
}

int
main (int argc, char *argv[])
{
    vb_log_init ("sim", VB_LOG_NOTICE);
    vb_config_t *config = vb_config_new (s_keys, sizeof (s_keys) / sizeof (s_keys[0]));
    assert (config);
    if (vb_config_load (config, argc, argv, NULL) != 0) {
        vb_log_error ("sim config invalid: %s", vb_config_error (config));
        fprintf (stderr, "venuebus-sim: %s\n", vb_config_error (config));
        vb_config_destroy (&config);
        return 2;
    }
    if (vb_config_help_requested (config)) {
        vb_config_help (config, stdout);
        vb_config_destroy (&config);
        return 0;
    }
    vb_log_set_level ((vb_log_level_t)vb_log_level_from_name (vb_config_str (config, "log/level")));
    const char *venue = vb_config_str (config, "sim/venue");
    const vb_sim_venue_ops_t *ops = vb_sim_venue_find (venue);
    if (!ops) {
        vb_log_error ("sim unknown venue venue=%s", venue);
        fprintf (stderr, "venuebus-sim: unknown venue '%s'\n", venue);
        vb_config_destroy (&config);
        return 2;
    }
    const char *secrets[] = {"sim/api_key", "sim/api_secret", "sim/api_passphrase"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        const char *value = vb_config_str (config, secrets[i]);
        if (value && *value)
            vb_log_add_secret (value, strlen (value));
    }
    vb_config_print (config, stderr);

    int rc = 1;
    int64_t start_real_ns = vb_clock_now_real_ns ();
    vb_clock_t *clock = vb_clock_new_system ();
    vb_metrics_t *registry = NULL;
    sim_metrics_t *metrics = NULL;
    vb_metrics_server_t *metrics_server = NULL;
    const char *metrics_address = vb_config_str (config, "sim/metrics");
    sim_engine_config_t flow = {.actions_per_s = vb_config_int (config, "flow/rate"),
                                .depth_ticks = vb_config_int (config, "flow/depth_ticks"),
                                .target_levels = vb_config_int (config, "flow/levels"),
                                .market_percent = vb_config_int (config, "flow/market_percent"),
                                .maker_fee_bps = vb_config_int (config, "fees/maker_bps"),
                                .taker_fee_bps = vb_config_int (config, "fees/taker_bps"),
                                .fee_policy = ops->fee_policy};
    vb_sim_engine_t *engine =
        sim_engine_new (clock, (uint64_t)vb_config_int (config, "sim/seed"), &flow);
    vb_sim_server_t *server = NULL;
    if (!engine) {
        vb_log_error ("sim engine settings invalid");
        goto cleanup;
    }
    size_t instrument_count = 0;
    const vb_sim_instrument_t *instruments =
        ops->instruments ? ops->instruments (&instrument_count) : NULL;
    for (size_t i = 0; i < instrument_count; i++) {
        int added = sim_engine_add_instrument (engine, &instruments[i]);
        if (added != 0) {
            vb_log_error ("sim instrument refused venue=%s symbol=%s error=%s", venue,
                          instruments[i].symbol, vb_strerror (added));
            goto cleanup;
        }
    }
    //  The funded demo account, with a key when VB_SIM_API_KEY is set.
    sim_engine_add_account (engine, SIM_DEMO_ACCOUNT);
    for (size_t i = 0; i < sizeof s_demo_funds / sizeof s_demo_funds[0]; i++)
        sim_engine_credit (engine, SIM_DEMO_ACCOUNT, s_demo_funds[i].asset, s_demo_funds[i].amount);
    const char *api_key = vb_config_str (config, "sim/api_key");
    if (*api_key &&
        s_add_key (engine, SIM_DEMO_ACCOUNT, api_key, vb_config_str (config, "sim/api_secret"),
                   vb_config_str (config, "sim/api_passphrase"),
                   vb_config_str (config, "sim/api_permissions"),
                   vb_config_str (config, "sim/api_ips")) != 0)
        goto cleanup;
    const char *accounts = vb_config_str (config, "sim/accounts");
    if (*accounts && s_load_accounts (engine, accounts) != 0)
        goto cleanup;

    sim_server_config_t settings = SIM_SERVER_CONFIG_DEFAULT;
    settings.interface = vb_config_str (config, "sim/interface");
    settings.port = (int)vb_config_int (config, "sim/port");
    settings.ws_ping_ms = vb_config_int (config, "sim/ws_ping");
    settings.ws_pong_timeout_ms = vb_config_int (config, "sim/ws_pong_timeout");
    settings.ws_lifetime_ms = vb_config_int (config, "sim/ws_lifetime");
    settings.ws_queue_max = (size_t)vb_config_int (config, "sim/ws_queue_max");
    settings.http_body_max = (size_t)vb_config_int (config, "sim/http_body_max");
    settings.replay_path = vb_config_str (config, "sim/replay");
    settings.replay_speed = vb_config_int (config, "sim/replay_speed");
    settings.extra_ports = (int)vb_config_int (config, "sim/extra_ports");
    if (*metrics_address) {
        registry = vb_metrics_new ();
        metrics = registry ? sim_metrics_new (registry, venue, start_real_ns) : NULL;
        if (!metrics) {
            vb_log_error ("sim cannot declare its metrics venue=%s", venue);
            goto cleanup;
        }
        settings.metrics = metrics;
    }
    server = sim_server_new (ops, engine, clock, &settings);
    if (!server)
        goto cleanup;
    if (registry) {
        int error = 0;
        metrics_server = vb_metrics_server_new (registry, metrics_address, &error);
        if (!metrics_server) {
            vb_log_error ("sim cannot serve metrics key=sim/metrics address=%s error=%s",
                          metrics_address, strerror (error));
            goto cleanup;
        }
        vb_log_notice ("metrics listening address=%s", vb_metrics_server_address (metrics_server));
        vb_metrics_set_health (registry, true, NULL);
    }

    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_signal;
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    signal (SIGPIPE, SIG_IGN);

    //  Every port, the main one first, then the ready line, which stays
    //  exactly "ready venue=V port=P" (tools outside the repo parse it).
    char ports[(SIM_SERVER_EXTRA_PORTS_MAX + 1) * SIM_PORT_TEXT] = "";
    size_t used = 0;
    for (size_t i = 0; i < sim_server_port_count (server); i++)
        used += (size_t)snprintf (ports + used, sizeof ports - used, "%s%d", i ? "," : "",
                                  sim_server_port_at (server, i));
    vb_log_notice ("sim started venue=%s port=%d ports=%s instruments=%zu seed=%" PRId64, venue,
                   sim_server_port (server), ports, instrument_count,
                   vb_config_int (config, "sim/seed"));
    printf ("ports venue=%s ports=%s\n", venue, ports);
    printf ("ready venue=%s port=%d\n", venue, sim_server_port (server));
    fflush (stdout);
    if (sim_server_run (server, &s_stop) == 0) {
        vb_log_notice ("sim stopping reason=signal");
        rc = 0;
    }
    if (registry)
        vb_metrics_set_health (registry, false, rc == 0 ? "stopping" : "server failed");
cleanup:
    vb_metrics_server_destroy (&metrics_server);
    sim_server_destroy (&server);
    sim_engine_destroy (&engine);
    sim_metrics_destroy (&metrics);
    vb_metrics_destroy (&registry);
    vb_clock_destroy (&clock);
    vb_config_destroy (&config);
    return rc;
}
