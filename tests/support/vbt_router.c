/*  vbt_router.c — a running sim + venuebus-router for integration tests.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vb_error.h"
#include "vbt_http.h"
#include "vbt_router.h"

#define S_BINANCE_KEY    VBT_ROUTER_BINANCE_KEY
#define S_BINANCE_SECRET VBT_ROUTER_BINANCE_SECRET
#define S_KRAKEN_KEY     VBT_ROUTER_KRAKEN_KEY
#define S_KRAKEN_SECRET  VBT_ROUTER_KRAKEN_SECRET
#define S_HTTP_MS        10000
#define S_ENV_MAX        16  //  Router environment entries, the demo key's two included
#define S_URLS_MAX       (VBT_ROUTER_PORTS_MAX * 32)  //  rest_url with every port
#define S_EP_MAX         256                          //  One endpoint
#define S_EP_EXTRA       32    //  Room for the words around one endpoint (or the dir)
#define S_LINE_MAX       1024  //  One ready line

struct _vbt_router_t {
    vbt_router_args_t args;
    char dir[256];
    char config[300];
    char journal[300];  //  dir/journal.db
    char endpoint[128];
    vbt_proc_t *sim;
    int sim_port;
    int ports[VBT_ROUTER_PORTS_MAX];  //  Every port the sim listens on, main first
    size_t port_count;                //  Ports in the list
    vbt_proc_t *router;
    const vb_exec_ops_t *ops;
    vb_exec_t *exec;                       //  The test's own adapter, for the sim's record
    vbt_proc_t *bus;                       //  venuebus-bus, with market data
    vbt_proc_t *gateway;                   //  venuebus-gateway, with market data
    char frontend[S_EP_MAX];               //  Bus XSUB endpoint
    char backend[S_EP_MAX];                //  Bus XPUB endpoint
    char snapshot[S_EP_MAX + S_EP_EXTRA];  //  Gateway snapshot ROUTER endpoint
    char bus_line[S_EP_MAX + S_EP_EXTRA];  //  "    bus = ..." for the router section
};

struct _vbt_strategy_t {
    vbt_router_t *router;
    char name[64];
    zsock_t *dealer;
    vb_msg_t *decoder;
    vbt_report_t reports[VBT_ROUTER_REPORTS];
    size_t count;
};

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static bool
s_kraken (vbt_router_t *self)
{
    return strcmp (self->args.venue, "kraken") == 0;
}

//  --------------------------------------------------------------------------

static void
s_start_sim (vbt_router_t *self)
{
    char key[160], secret[160], permissions[96], ips[96];
    snprintf (key, sizeof (key), "VB_SIM_API_KEY=%s",
              s_kraken (self) ? S_KRAKEN_KEY : S_BINANCE_KEY);
    snprintf (secret, sizeof (secret), "VB_SIM_API_SECRET=%s",
              s_kraken (self) ? S_KRAKEN_SECRET : S_BINANCE_SECRET);
    snprintf (permissions, sizeof (permissions), "VB_SIM_API_PERMISSIONS=%s",
              self->args.permissions ? self->args.permissions : "read,trade");
    snprintf (ips, sizeof (ips), "VB_SIM_API_IPS=%s",
              self->args.ips ? self->args.ips : "127.0.0.1");
    char *env[] = {key, secret, permissions, ips, NULL};
    char *argv[32] = {(char *)self->args.sim_bin,
                      "--venue",
                      (char *)self->args.venue,
                      "--port",
                      "0",
                      "--seed",
                      "5"};
    size_t argc = 7;
    for (size_t i = 0; self->args.sim_extra && self->args.sim_extra[i] && argc < 30; i++)
        argv[argc++] = (char *)self->args.sim_extra[i];
    argv[argc] = NULL;
    self->sim = vbt_proc_start (argv[0], argv, env);
    cr_assert_not_null (self->sim);
    char line[512], port[16], list[400];
    //  "ports venue=V ports=P1,P2,..." comes before the ready line
    cr_assert_eq (vbt_proc_wait_line (self->sim, "ports ", VBT_ROUTER_WAIT_MS, line, sizeof (line)),
                  0, "sim printed no ports line: %s", vbt_proc_stderr (self->sim));
    cr_assert_eq (vbt_line_value (line, "ports", list, sizeof (list)), 0, "%s", line);
    for (char *item = strtok (list, ","); item && self->port_count < VBT_ROUTER_PORTS_MAX;
         item = strtok (NULL, ","))
        self->ports[self->port_count++] = atoi (item);
    cr_assert_gt (self->port_count, 0, "%s", line);
    cr_assert_eq (vbt_proc_wait_line (self->sim, "ready ", VBT_ROUTER_WAIT_MS, line, sizeof (line)),
                  0, "sim not ready: %s", vbt_proc_stderr (self->sim));
    cr_assert_eq (vbt_line_value (line, "port", port, sizeof (port)), 0);
    self->sim_port = atoi (port);
    cr_assert_eq (self->ports[0], self->sim_port, "ports line and ready line disagree");
}

static void
s_start_router (vbt_router_t *self)
{
    char key[160], secret[160];
    snprintf (key, sizeof (key), "VB_ACCOUNT_MAIN_API_KEY=%s",
              s_kraken (self) ? S_KRAKEN_KEY : S_BINANCE_KEY);
    snprintf (secret, sizeof (secret), "VB_ACCOUNT_MAIN_API_SECRET=%s",
              s_kraken (self) ? S_KRAKEN_SECRET : S_BINANCE_SECRET);
    char *env[S_ENV_MAX + 1] = {NULL};
    size_t count = 0;
    if (!self->args.secrets) {
        env[count++] = key;
        env[count++] = secret;
    }
    for (size_t i = 0; self->args.env && self->args.env[i]; i++) {
        cr_assert_lt (count, S_ENV_MAX, "too many environment entries");
        env[count++] = (char *)self->args.env[i];
    }
    char *argv[] = {(char *)self->args.router_bin, "--config", self->config, NULL};
    self->router = vbt_proc_start (argv[0], argv, env);
    cr_assert_not_null (self->router);
    if (self->args.no_wait)
        return;
    char line[256];
    cr_assert_eq (
        vbt_proc_wait_line (self->router, "ready ", VBT_ROUTER_WAIT_MS, line, sizeof (line)), 0,
        "router not ready: %s", vbt_proc_stderr (self->router));
    cr_assert_str_eq (line, "ready accounts=1");
    cr_assert_eq (vbt_proc_wait_stderr_line (self->router, "router ready", VBT_ROUTER_WAIT_MS, line,
                                             sizeof (line)),
                  0);
    cr_assert_eq (vbt_line_value (line, "endpoint", self->endpoint, sizeof (self->endpoint)), 0);
}

static bool
s_market (vbt_router_t *self)
{
    return self->args.bus_bin && self->args.gateway_bin;
}

//  The bus, before the router: its frontend goes into the router's config.

static void
s_start_bus (vbt_router_t *self)
{
    char *argv[] = {(char *)self->args.bus_bin, "--frontend", "tcp://127.0.0.1:*", "--backend",
                    "tcp://127.0.0.1:*",        NULL};
    self->bus = vbt_proc_start (argv[0], argv, NULL);
    cr_assert_not_null (self->bus);
    char line[S_LINE_MAX];
    cr_assert_eq (vbt_proc_wait_line (self->bus, "ready ", VBT_ROUTER_WAIT_MS, line, sizeof (line)),
                  0, "bus not ready: %s", vbt_proc_stderr (self->bus));
    cr_assert_eq (vbt_line_value (line, "frontend", self->frontend, sizeof (self->frontend)), 0);
    cr_assert_eq (vbt_line_value (line, "backend", self->backend, sizeof (self->backend)), 0);
    snprintf (self->bus_line, sizeof (self->bus_line), "    bus = \"%s\"\n", self->frontend);
}

//  The gateway on the router's sim, once the router is up.

static void
s_start_gateway (vbt_router_t *self)
{
    const char *symbols = self->args.symbols ? self->args.symbols
                          : s_kraken (self)  ? "BTC-USD"
                                             : "BTC-USDT";
    char rest[S_EP_MAX], ws[S_EP_MAX];
    snprintf (self->snapshot, sizeof (self->snapshot), "ipc://%s/snapshot.ipc", self->dir);
    snprintf (rest, sizeof (rest), "http://127.0.0.1:%d", self->sim_port);
    snprintf (ws, sizeof (ws), "ws://127.0.0.1:%d%s", self->sim_port, s_kraken (self) ? "/v2" : "");
    char *argv[] = {(char *)self->args.gateway_bin,
                    "--venue",
                    (char *)self->args.venue,
                    "--symbols",
                    (char *)symbols,
                    "--bus",
                    self->frontend,
                    "--snapshot",
                    self->snapshot,
                    "--rest-url",
                    rest,
                    "--ws-url",
                    ws,
                    "--level",
                    "info",
                    NULL};
    self->gateway = vbt_proc_start (argv[0], argv, NULL);
    cr_assert_not_null (self->gateway);
    char line[S_LINE_MAX];
    cr_assert_eq (
        vbt_proc_wait_line (self->gateway, "ready ", VBT_ROUTER_WAIT_MS, line, sizeof (line)), 0,
        "gateway not ready: %s", vbt_proc_stderr (self->gateway));
}

vbt_router_t *
vbt_router_new (const vbt_router_args_t *args)
{
    vbt_router_t *self = (vbt_router_t *)zmalloc (sizeof (vbt_router_t));
    self->args = *args;
    snprintf (self->dir, sizeof (self->dir), "/tmp/vbt-router-XXXXXX");
    cr_assert_not_null (mkdtemp (self->dir));
    s_start_sim (self);
    if (s_market (self))
        s_start_bus (self);
    snprintf (self->journal, sizeof (self->journal), "%s/journal.db", self->dir);
    snprintf (self->config, sizeof (self->config), "%s/router.cfg", self->dir);
    char urls[S_URLS_MAX];
    size_t used = (size_t)snprintf (urls, sizeof (urls), "http://127.0.0.1:%d", self->sim_port);
    for (size_t i = 1; args->rest_url_all_ports && i < self->port_count; i++)
        used += (size_t)snprintf (urls + used, sizeof (urls) - used, ",http://127.0.0.1:%d",
                                  self->ports[i]);
    cr_assert_lt (used, sizeof (urls));
    FILE *file = fopen (self->config, "w");
    cr_assert_not_null (file);
    fprintf (file,
             "router\n"
             "    endpoint = \"tcp://127.0.0.1:*\"\n"
             "    journal = \"%s/journal.db\"\n"
             "    reconcile_interval = \"%s\"\n"
             "    unknown_settle = \"3s\"\n"
             "    unknown_retry = \"100ms\"\n"
             "    http_timeout = \"3s\"\n"
             "%s"
             "%s\n"
             "log\n"
             "    level = \"info\"\n"
             "account\n"
             "    main\n"
             "        venue = \"%s\"\n"
             "        rest_url = \"%s\"\n"
             "        ws_url = \"ws://127.0.0.1:%d%s\"\n"
             "        secrets = \"%s\"\n"
             "%s\n",
             self->dir, args->reconcile_interval ? args->reconcile_interval : "5s", self->bus_line,
             args->router_extra ? args->router_extra : "", args->venue, urls, self->sim_port,
             s_kraken (self) ? "/v2" : "", args->secrets ? args->secrets : "env",
             args->account_extra ? args->account_extra : "");
    fclose (file);
    s_start_router (self);
    if (s_market (self) && !args->no_wait)
        s_start_gateway (self);
    //  The test's own adapter, for reading the sim's record
    self->ops = vb_exec_venue_find (args->venue);
    cr_assert_not_null (self->ops);
    char rest[64], ws[64], error[256];
    snprintf (rest, sizeof (rest), "http://127.0.0.1:%d", self->sim_port);
    snprintf (ws, sizeof (ws), "ws://127.0.0.1:%d", self->sim_port);
    const char *secret = s_kraken (self) ? S_KRAKEN_SECRET : S_BINANCE_SECRET;
    vb_exec_config_t config = {.account = "main",
                               .api_key = s_kraken (self) ? S_KRAKEN_KEY : S_BINANCE_KEY,
                               .secret = secret,
                               .secret_length = strlen (secret),
                               .rest_url = rest,
                               .ws_url = ws};
    self->exec = self->ops->create (&config, error, sizeof (error));
    cr_assert_not_null (self->exec, "%s", error);
    return self;
}

void
vbt_router_destroy (vbt_router_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vbt_router_t *self = *self_p;
    if (self->gateway) {
        int status = vbt_proc_stop (&self->gateway, VBT_ROUTER_WAIT_MS);
        cr_expect (status == 0, "gateway exit %d", status);
    }
    if (self->router) {
        int status = vbt_proc_stop (&self->router, VBT_ROUTER_WAIT_MS);
        cr_expect (self->args.no_wait || status == 0, "router exit %d", status);
    }
    if (self->bus) {
        int status = vbt_proc_stop (&self->bus, VBT_ROUTER_WAIT_MS);
        cr_expect (status == 0, "bus exit %d", status);
    }
    if (self->sim)
        vbt_proc_stop (&self->sim, VBT_ROUTER_WAIT_MS);
    if (self->exec)
        self->ops->destroy (&self->exec);
    char command[300];
    snprintf (command, sizeof (command), "rm -rf %s", self->dir);
    if (system (command) != 0)
        fprintf (stderr, "cannot remove %s\n", self->dir);
    free (self);
    *self_p = NULL;
}

void
vbt_router_kill_restart (vbt_router_t *self)
{
    kill (vbt_proc_pid (self->router), SIGKILL);
    vbt_proc_wait_exit (self->router, VBT_ROUTER_WAIT_MS);
    vbt_proc_stop (&self->router, VBT_ROUTER_WAIT_MS);
    char old[128];
    snprintf (old, sizeof (old), "%s", self->endpoint);
    //  Same port: the strategies' DEALERs reconnect to it
    FILE *file = fopen (self->config, "r");
    cr_assert_not_null (file);
    char text[4096];
    size_t size = fread (text, 1, sizeof (text) - 1, file);
    text[size] = '\0';
    fclose (file);
    char *wildcard = strstr (text, "tcp://127.0.0.1:*");
    if (wildcard) {
        char rest[4096];
        snprintf (rest, sizeof (rest), "%s", wildcard + strlen ("tcp://127.0.0.1:*"));
        snprintf (wildcard, sizeof (text) - (size_t)(wildcard - text), "%s%s", old, rest);
        file = fopen (self->config, "w");
        cr_assert_not_null (file);
        fputs (text, file);
        fclose (file);
    }
    s_start_router (self);
}

void
vbt_router_stop (vbt_router_t *self)
{
    if (!self->router)
        return;
    int status = vbt_proc_stop (&self->router, VBT_ROUTER_WAIT_MS);
    cr_assert_eq (status, 0, "router exit %d", status);
}

const char *
vbt_router_journal_path (vbt_router_t *self)
{
    return self->journal;
}

int64_t
vbt_router_sim_stat (vbt_router_t *self, const char *name)
{
    char url[128], key[96];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/_sim/stats", self->sim_port);
    snprintf (key, sizeof (key), "\"%s\":", name);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "stats: %s", response.body);
    const char *at = strstr (response.body, key);
    cr_assert_not_null (at, "no %s in %s", name, response.body);
    int64_t value = strtoll (at + strlen (key), NULL, 10);
    vbt_http_response_free (&response);
    return value;
}

vbt_proc_t *
vbt_router_proc (vbt_router_t *self)
{
    return self->router;
}

const char *
vbt_router_endpoint (vbt_router_t *self)
{
    return self->endpoint;
}

const char *
vbt_router_bus_backend (vbt_router_t *self)
{
    return self->bus ? self->backend : NULL;
}

const char *
vbt_router_bus_frontend (vbt_router_t *self)
{
    return self->bus ? self->frontend : NULL;
}

const char *
vbt_router_snapshot (vbt_router_t *self)
{
    return self->gateway ? self->snapshot : NULL;
}

vbt_proc_t *
vbt_router_gateway (vbt_router_t *self)
{
    return self->gateway;
}

vbt_proc_t *
vbt_router_sim (vbt_router_t *self)
{
    return self->sim;
}

int
vbt_router_sim_port (vbt_router_t *self)
{
    return self->sim_port;
}

size_t
vbt_router_sim_ports (vbt_router_t *self, int *ports, size_t max)
{
    size_t count = self->port_count < max ? self->port_count : max;
    for (size_t i = 0; i < count; i++)
        ports[i] = self->ports[i];
    return count;
}

const char *
vbt_router_dir (vbt_router_t *self)
{
    return self->dir;
}

void
vbt_router_fault (vbt_router_t *self, const char *json)
{
    char url[128];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/_sim/faults", self->sim_port);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("POST", url, NULL, json, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "fault %s: %s", json, response.body);
    vbt_http_response_free (&response);
}

//  --------------------------------------------------------------------------
//  The sim's own record, through the test's adapter.

static void
s_on_order (void *ctx, const vb_exec_report_t *report)
{
    (void)ctx;
    (void)report;
}

//  Build a signed request (query: symbol and id; open orders: symbol).
typedef int (s_build_fn) (vbt_router_t *self, const char *symbol, const char *id,
                          vb_exec_request_t *request);

static int
s_build_query (vbt_router_t *self, const char *symbol, const char *id, vb_exec_request_t *request)
{
    return self->ops->query (self->exec, symbol, id, s_now_ms (), request);
}

static int
s_build_open_orders (vbt_router_t *self, const char *symbol, const char *id,
                     vb_exec_request_t *request)
{
    (void)id;
    return self->ops->open_orders (self->exec, symbol, s_now_ms (), request);
}

//  Send a signed request the test builds with the router's own key. Kraken
//  wants one increasing nonce per key, and the router signs with the same
//  key: a request built in the same millisecond as one of the router's can
//  be refused "EAPI:Invalid nonce". Such an answer is built again (a fresh
//  nonce) and sent again, at most S_NONCE_ATTEMPTS times.
#define S_NONCE_ATTEMPTS 20

static void
s_signed_call (vbt_router_t *self, s_build_fn *build, const char *symbol, const char *id,
               vb_exec_request_t *request, vbt_http_response_t *response)
{
    for (int attempt = 1;; attempt++) {
        cr_assert_eq (build (self, symbol, id, request), 0);
        const char *headers[VB_EXEC_HEADERS_MAX + 1] = {NULL};
        for (size_t i = 0; i < request->header_count; i++)
            headers[i] = request->headers[i];
        int rc =
            vbt_http_request (request->method, request->url, headers,
                              request->body_length ? request->body : NULL, S_HTTP_MS, response);
        cr_assert_eq (rc, 0, "%s %s failed", request->method, request->url);
        if (!strstr (response->body, "EAPI:Invalid nonce") || attempt == S_NONCE_ATTEMPTS)
            return;
        vbt_http_response_free (response);
    }
}

vb_exec_outcome_t
vbt_router_sim_order (vbt_router_t *self, const char *symbol, const char *client_order_id,
                      vb_exec_report_t *report)
{
    vb_exec_request_t request;
    vbt_http_response_t response;
    s_signed_call (self, s_build_query, symbol, client_order_id, &request, &response);
    vb_exec_sink_t sink = {.order = s_on_order};
    vb_exec_result_t result;
    memset (&result, 0, sizeof (result));
    self->ops->parse (self->exec, &request, (int)response.status, NULL, 0, response.body,
                      response.body_length, &sink, &result, NULL, NULL);
    vbt_http_response_free (&response);
    if (report)
        *report = result.report;
    return result.outcome;
}

//  Open orders listed by the sim, collected by the sink.
typedef struct {
    vb_exec_report_t *reports;  //  Where to copy
    size_t max;                 //  Room in reports
    size_t count;               //  Orders listed
} s_open_t;

static void
s_on_open (void *ctx, const vb_exec_report_t *report)
{
    s_open_t *open = (s_open_t *)ctx;
    if (open->count < open->max)
        open->reports[open->count] = *report;
    open->count++;
}

size_t
vbt_router_sim_open_orders (vbt_router_t *self, const char *symbol, vb_exec_report_t *reports,
                            size_t max)
{
    vb_exec_request_t request;
    vbt_http_response_t response;
    s_signed_call (self, s_build_open_orders, symbol, NULL, &request, &response);
    cr_assert_eq (response.status, 200, "open orders: %s", response.body);
    s_open_t open = {.reports = reports, .max = reports ? max : 0};
    vb_exec_sink_t sink = {.ctx = &open, .order = s_on_open};
    vb_exec_result_t result;
    memset (&result, 0, sizeof (result));
    int rc = self->ops->parse (self->exec, &request, (int)response.status, NULL, 0, response.body,
                               response.body_length, &sink, &result, NULL, NULL);
    cr_assert_eq (rc, 0, "open orders answer unreadable: %s", response.body);
    vbt_http_response_free (&response);
    return open.count;
}

void
vbt_router_sim_top (vbt_router_t *self, const char *symbol, vb_decimal_t *bid, vb_decimal_t *ask)
{
    char url[256];
    if (s_kraken (self))
        snprintf (url, sizeof (url), "http://127.0.0.1:%d/0/public/Depth?pair=%s&count=5",
                  self->sim_port, symbol);
    else
        snprintf (url, sizeof (url), "http://127.0.0.1:%d/api/v3/depth?symbol=%s&limit=5",
                  self->sim_port, symbol);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, S_HTTP_MS, &response), 0);
    cr_assert_eq (response.status, 200, "%s", response.body);
    const char *sides[2] = {"\"bids\":[[\"", "\"asks\":[[\""};
    vb_decimal_t *out[2] = {bid, ask};
    for (int i = 0; i < 2; i++) {
        const char *at = strstr (response.body, sides[i]);
        cr_assert_not_null (at, "no %s in %s", sides[i], response.body);
        at += strlen (sides[i]);
        const char *end = strchr (at, '"');
        cr_assert_not_null (end);
        cr_assert_eq (vb_decimal_parse (at, (size_t)(end - at), out[i]), 0);
    }
    vbt_http_response_free (&response);
}

//  --------------------------------------------------------------------------
//  Strategies.

vbt_strategy_t *
vbt_strategy_new (vbt_router_t *router, const char *name)
{
    vbt_strategy_t *self = (vbt_strategy_t *)zmalloc (sizeof (vbt_strategy_t));
    self->router = router;
    snprintf (self->name, sizeof (self->name), "%s", name);
    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->dealer, 0);
    cr_assert_eq (zsock_connect (self->dealer, "%s", router->endpoint), 0);
    self->decoder = vb_msg_new ();
    return self;
}

void
vbt_strategy_destroy (vbt_strategy_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vbt_strategy_t *self = *self_p;
    zsock_destroy (&self->dealer);
    vb_msg_destroy (&self->decoder);
    free (self);
    *self_p = NULL;
}

void *
vbt_strategy_socket (vbt_strategy_t *self)
{
    return self->dealer;
}

static int
s_send (vbt_strategy_t *self, Venuebus__Envelope *envelope)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.strategy = self->name;
    header.account = (char *)"main";
    envelope->header = &header;
    return vb_msg_send_bare (self->dealer, envelope, 0);
}

static void
s_decimal (const char *text, Venuebus__Decimal *out)
{
    vb_decimal_t value;
    cr_assert_eq (vb_decimal_parse (text, strlen (text), &value), 0, "%s", text);
    vb_msg_decimal_set (out, value);
}

int
vbt_strategy_place (vbt_strategy_t *self, const char *tag, const char *symbol, Venuebus__Side side,
                    Venuebus__OrderType type, Venuebus__TimeInForce tif, const char *price,
                    const char *qty, bool post_only)
{
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__NewOrder order = VENUEBUS__NEW_ORDER__INIT;
    Venuebus__Decimal price_value, qty_value;
    order.client_tag = (char *)tag;
    order.account = (char *)"main";
    order.symbol = (char *)symbol;
    order.side = side;
    order.type = type;
    order.time_in_force = tif;
    if (price) {
        s_decimal (price, &price_value);
        order.price = &price_value;
    }
    s_decimal (qty, &qty_value);
    order.qty = &qty_value;
    order.post_only = post_only;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_NEW_ORDER;
    envelope.new_order = &order;
    return s_send (self, &envelope);
}

int
vbt_strategy_cancel (vbt_strategy_t *self, const char *tag, const char *client_order_id)
{
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__Cancel cancel = VENUEBUS__CANCEL__INIT;
    cancel.client_tag = (char *)(tag ? tag : "");
    cancel.client_order_id = (char *)(client_order_id ? client_order_id : "");
    cancel.account = (char *)"main";
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANCEL;
    envelope.cancel = &cancel;
    return s_send (self, &envelope);
}

int
vbt_strategy_cancel_all (vbt_strategy_t *self, const char *symbol)
{
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__CancelAll cancel = VENUEBUS__CANCEL_ALL__INIT;
    cancel.account = (char *)"main";
    cancel.symbol = (char *)(symbol ? symbol : "");
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANCEL_ALL;
    envelope.cancel_all = &cancel;
    return s_send (self, &envelope);
}

int
vbt_strategy_query (vbt_strategy_t *self, const char *tag, const char *client_order_id)
{
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__QueryOrder query = VENUEBUS__QUERY_ORDER__INIT;
    query.client_tag = (char *)(tag ? tag : "");
    query.client_order_id = (char *)(client_order_id ? client_order_id : "");
    query.account = (char *)"main";
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_QUERY_ORDER;
    envelope.query_order = &query;
    return s_send (self, &envelope);
}

int
vbt_strategy_send_raw (vbt_strategy_t *self, const void *data, size_t size)
{
    return zmq_send (zsock_resolve (self->dealer), data, size, 0) < 0 ? -1 : 0;
}

static void
s_copy (char *out, size_t size, const char *in)
{
    snprintf (out, size, "%s", in ? in : "");
}

static vb_decimal_t
s_get (const Venuebus__Decimal *in)
{
    vb_decimal_t value = {0, 0};
    vb_msg_decimal_get (in, &value);
    return value;
}

bool
vbt_strategy_recv (vbt_strategy_t *self, vbt_report_t *report, int timeout_ms)
{
    zsock_set_rcvtimeo (self->dealer, timeout_ms);
    int rc = vb_msg_recv_bare (self->decoder, self->dealer, 0);
    if (rc == VB_EAGAIN)
        return false;
    cr_assert_eq (rc, 0, "router sent an undecodable frame: %s", vb_strerror (rc));
    const Venuebus__Envelope *envelope = vb_msg_envelope (self->decoder);
    memset (report, 0, sizeof (*report));
    report->kind = envelope->body_case;
    report->seq = envelope->header->seq;
    switch (envelope->body_case) {
        case VENUEBUS__ENVELOPE__BODY_ACK:
            s_copy (report->client_tag, sizeof (report->client_tag), envelope->ack->client_tag);
            s_copy (report->client_order_id, sizeof (report->client_order_id),
                    envelope->ack->client_order_id);
            break;
        case VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT: {
            const Venuebus__ExecutionReport *er = envelope->execution_report;
            s_copy (report->client_tag, sizeof (report->client_tag), er->client_tag);
            s_copy (report->client_order_id, sizeof (report->client_order_id), er->client_order_id);
            report->state = er->state;
            report->filled_qty = s_get (er->filled_qty);
            report->last_fill_qty = s_get (er->last_fill_qty);
            report->last_fill_price = s_get (er->last_fill_price);
            s_copy (report->venue_trade_id, sizeof (report->venue_trade_id), er->venue_trade_id);
            break;
        }
        case VENUEBUS__ENVELOPE__BODY_REJECT: {
            const Venuebus__Reject *reject = envelope->reject;
            s_copy (report->client_tag, sizeof (report->client_tag), reject->client_tag);
            s_copy (report->client_order_id, sizeof (report->client_order_id),
                    reject->client_order_id);
            report->reason = reject->reason;
            s_copy (report->detail, sizeof (report->detail), reject->detail);
            s_copy (report->venue_code, sizeof (report->venue_code), reject->venue_code);
            break;
        }
        default:
            break;
    }
    if (self->count < VBT_ROUTER_REPORTS)
        self->reports[self->count++] = *report;
    return true;
}

vbt_report_t
vbt_strategy_wait (vbt_strategy_t *self, const char *tag, Venuebus__Envelope__BodyCase kind,
                   int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    vbt_report_t report;
    while (s_now_ms () < deadline) {
        if (!vbt_strategy_recv (self, &report, (int)(deadline - s_now_ms ())))
            break;
        if (report.kind == kind && strcmp (report.client_tag, tag) == 0)
            return report;
    }
    cr_assert_fail ("no message of kind %d for tag %s within %d ms; router stderr tail: %s",
                    (int)kind, tag, timeout_ms, vbt_proc_stderr (self->router->router));
    return report;
}

void
vbt_strategy_wait_state (vbt_strategy_t *self, const char *tag, int state, char *coid,
                         int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    //  It may already have come
    for (size_t i = 0; i < self->count; i++)
        if (self->reports[i].kind == VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT &&
            strcmp (self->reports[i].client_tag, tag) == 0 && self->reports[i].state == state) {
            if (coid)
                strcpy (coid, self->reports[i].client_order_id);
            return;
        }
    vbt_report_t report;
    while (s_now_ms () < deadline) {
        if (!vbt_strategy_recv (self, &report, (int)(deadline - s_now_ms ())))
            break;
        if (report.kind == VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT &&
            strcmp (report.client_tag, tag) == 0 && report.state == state) {
            if (coid)
                strcpy (coid, report.client_order_id);
            return;
        }
    }
    cr_assert_fail ("order %s never reached state %d within %d ms; router stderr: %s", tag, state,
                    timeout_ms, vbt_proc_stderr (self->router->router));
}

const vbt_report_t *
vbt_strategy_reports (vbt_strategy_t *self, size_t *count)
{
    *count = self->count;
    return self->reports;
}
