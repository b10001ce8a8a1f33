/*  test_router_limits.c — venuebus-router under load, on failover and with
    real secret stores, against the real sim (both venues).

    Global limits: several strategies and two gateways (asking the router
    for REST grants) at once; the sim, which enforces the venue's own
    limits (venues.md 1.7, 3.7; services/sim/README.md Stats), must count
    no violation, and cancels must be served ahead of orders queued behind
    the order bucket. Expected figures come from the venues' published
    limits: Binance ORDERS 50 per 10 s per account, so 120 orders cannot
    all go within 10 s; Kraken's trading counter 125 with 2.34 per second
    decay and 8 per cancel of an order younger than 5 s, so 21 orders and
    21 cancels (21 + 168 = 189 units) cannot all go at once either.
    Failover (README "An order's life"): after failover_errors 5xx answers
    in a row the account moves to its next rest_url; an order that got a
    5xx is UNKNOWN and, once the venue has said "no such order" past
    unknown_settle, REJECTED; nothing is ever sent twice.
    Secrets (vb_secrets.h): keystore:<path>#<entry> with the passphrase
    from a file, and dir:<path>; a wrong passphrase exits 2 naming the
    account and not the passphrase.
    SPDX-License-Identifier: MPL-2.0
*/
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <czmq.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vb_decimal.h"
#include "vb_error.h"
#include "vbt_http.h"
#include "vbt_router.h"

#define WAIT_MS        20000   //  One report, one start
#define LOAD_MS        120000  //  The whole load of one scenario
#define STRATEGIES     4       //  Strategies sending at once
#define GATEWAYS       2       //  Gateways asking for grants
#define ORDERS_MAX     64      //  Orders per strategy, at most
#define POLL_MS        100     //  One poll of the sockets (not a sleep: any frame wakes it)
#define QUEUE_MARGIN   10      //  Orders still unsent when the cancel is answered, at least
#define PASSPHRASE     "correct horse battery staple"
#define BAD_PASSPHRASE "wrong horse battery staple!"

typedef struct {
    const char *venue;
    const char *symbol;                    //  Traded, normalised
    const char *gateway_symbol[GATEWAYS];  //  One symbol per gateway, so each one's status shows
    const char *price;                     //  Far below the market: rests
    const char *qty;                       //  Small, above the minimum notional at that price
    size_t per_strategy;                   //  Orders each strategy sends
    const char *order_bucket;              //  The bucket orders queue on (sys.router.ratelimit)
    bool orders_queue;                     //  More orders than that bucket's burst
    bool grants;                           //  The venue has an IP bucket the gateways' grants use
    bool query_each;                       //  Read every order back (Binance: weight 4 each, cheap;
                      //  Kraken: 1 on a 20-unit counter, so the open list only)
    const char *api_key;  //  The sim's demo key
    const char *api_secret;
} s_venue_t;

//  Binance: 4 x 30 = 120 orders > 50 per 10 s. Kraken: 4 x 5 = 20 orders
//  and the probe; their cancels exceed the trading counter.
static const s_venue_t s_binance = {"binance",
                                    "BTC-USDT",
                                    {"BTC-USDT", "ETH-USDT"},
                                    "1000.00",
                                    "0.01",
                                    30,
                                    "binance.account.orders_10s@main",
                                    true,
                                    true,
                                    true,
                                    VBT_ROUTER_BINANCE_KEY,
                                    VBT_ROUTER_BINANCE_SECRET};
static const s_venue_t s_kraken = {"kraken",
                                   "BTC-USD",
                                   {"BTC-USD", "ETH-USD"},
                                   "1000.0",
                                   "0.001",
                                   5,
                                   "kraken.account.trading_counter@main",
                                   false,
                                   false,
                                   false,
                                   VBT_ROUTER_KRAKEN_KEY,
                                   VBT_ROUTER_KRAKEN_SECRET};

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  A TCP port nobody listens on right now: bind port 0, read it, close.
static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    cr_assert_geq (fd, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    cr_assert_eq (bind (fd, (struct sockaddr *)&address, sizeof (address)), 0);
    socklen_t length = sizeof (address);
    cr_assert_eq (getsockname (fd, (struct sockaddr *)&address, &length), 0);
    close (fd);
    return ntohs (address.sin_port);
}

//  The sim's record of an order equals `state`.
static void
s_expect_sim_state (vbt_router_t *router, const char *symbol, const char *coid, int state)
{
    vb_exec_report_t report;
    cr_assert_eq (vbt_router_sim_order (router, symbol, coid, &report), VB_EXEC_OK,
                  "the sim does not know %s", coid);
    cr_assert_eq ((int)report.state, state, "sim says state %d for %s, expected %d",
                  (int)report.state, coid, state);
}

//  --------------------------------------------------------------------------
//  Global limits: several strategies, two gateways, one rate-limit authority.

typedef struct {
    char tag[32];
    char coid[65];
    bool acked;
    bool is_new;         //  NEW reported
    bool canceled;       //  CANCELED reported
    bool bad;            //  A Reject or any state other than the expected ones
    char bad_text[400];  //  What was wrong
} s_order_t;

typedef struct {
    const s_venue_t *venue;
    vbt_router_t *router;
    vbt_strategy_t *strategies[STRATEGIES];
    s_order_t orders[STRATEGIES][ORDERS_MAX];
    size_t acked, news, canceled;  //  Totals over the flood
    bool probe_canceled;
    zsock_t *sub;  //  Status of both gateways' books, sys.router.ratelimit
    vb_msg_t *decoder;
    bool synced[GATEWAYS];     //  A SYNCED status per gateway's symbol
    uint32_t max_queue_depth;  //  Of the order bucket, from sys.router.ratelimit
    uint64_t ratelimit_messages;
    zpoller_t *poller;
} s_load_t;

static s_order_t *
s_find (s_load_t *self, size_t strategy, const char *tag)
{
    for (size_t i = 0; i < self->venue->per_strategy; i++)
        if (strcmp (self->orders[strategy][i].tag, tag) == 0)
            return &self->orders[strategy][i];
    return NULL;
}

static void
s_on_report (s_load_t *self, size_t strategy, const vbt_report_t *report)
{
    if (strcmp (report->client_tag, "probe") == 0) {
        if (report->kind == VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT &&
            report->state == VENUEBUS__ORDER_STATE__CANCELED)
            self->probe_canceled = true;
        return;
    }
    s_order_t *order = s_find (self, strategy, report->client_tag);
    cr_assert_not_null (order, "a report for tag %s nobody sent", report->client_tag);
    switch (report->kind) {
        case VENUEBUS__ENVELOPE__BODY_ACK:
            cr_assert_not (order->acked, "%s acknowledged twice", order->tag);
            order->acked = true;
            snprintf (order->coid, sizeof (order->coid), "%s", report->client_order_id);
            self->acked++;
            break;
        case VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT:
            if (report->state == VENUEBUS__ORDER_STATE__NEW && !order->is_new) {
                cr_assert_not (order->canceled, "%s NEW after CANCELED", order->tag);
                order->is_new = true;
                self->news++;
            } else if (report->state == VENUEBUS__ORDER_STATE__CANCELED && !order->canceled) {
                cr_assert (order->is_new, "%s CANCELED without NEW first", order->tag);
                order->canceled = true;
                self->canceled++;
            } else if (report->state != VENUEBUS__ORDER_STATE__PENDING_NEW &&
                       report->state != VENUEBUS__ORDER_STATE__PENDING_CANCEL &&
                       report->state != VENUEBUS__ORDER_STATE__NEW) {
                order->bad = true;
                snprintf (order->bad_text, sizeof (order->bad_text), "state %d", report->state);
            }
            break;
        case VENUEBUS__ENVELOPE__BODY_REJECT:
            order->bad = true;
            snprintf (order->bad_text, sizeof (order->bad_text), "reject reason %d %s code %s",
                      report->reason, report->detail, report->venue_code);
            break;
        default:
            break;
    }
    cr_assert_not (order->bad, "%s: %s; router stderr: %s", order->tag, order->bad_text,
                   vbt_proc_stderr (vbt_router_proc (self->router)));
}

static void
s_on_bus (s_load_t *self)
{
    while (vb_msg_recv (self->decoder, zsock_resolve (self->sub), ZMQ_DONTWAIT) == 0) {
        const Venuebus__Envelope *envelope = vb_msg_envelope (self->decoder);
        const char *topic = vb_msg_topic (self->decoder);
        if (envelope->body_case == VENUEBUS__ENVELOPE__BODY_STATUS &&
            envelope->status->book_state == VENUEBUS__BOOK_STATE__SYNCED) {
            for (size_t i = 0; i < GATEWAYS; i++) {
                char wanted[96];
                snprintf (wanted, sizeof (wanted), "md.%s.%s.status", self->venue->venue,
                          self->venue->gateway_symbol[i]);
                if (strcmp (topic, wanted) == 0)
                    self->synced[i] = true;
            }
        } else if (envelope->body_case == VENUEBUS__ENVELOPE__BODY_RATE_LIMIT) {
            self->ratelimit_messages++;
            const Venuebus__RateLimit *usage = envelope->rate_limit;
            if (strcmp (usage->bucket, self->venue->order_bucket) == 0 &&
                usage->queue_depth > self->max_queue_depth)
                self->max_queue_depth = usage->queue_depth;
        }
    }
}

//  Read whatever arrives for up to POLL_MS.
static void
s_pump (s_load_t *self)
{
    void *which = zpoller_wait (self->poller, POLL_MS);
    if (!which)
        return;
    if (which == self->sub) {
        s_on_bus (self);
        return;
    }
    for (size_t k = 0; k < STRATEGIES; k++) {
        if (vbt_strategy_socket (self->strategies[k]) != which)
            continue;
        vbt_report_t report;
        while (vbt_strategy_recv (self->strategies[k], &report, 0))
            s_on_report (self, k, &report);
    }
}

//  Pump until *counter reaches target; fails after LOAD_MS.
static void
s_pump_until (s_load_t *self, const size_t *counter, size_t target, const char *what)
{
    int64_t deadline = s_now_ms () + LOAD_MS;
    while (*counter < target && s_now_ms () < deadline)
        s_pump (self);
    cr_assert_eq (*counter, target, "%s: %zu of %zu within %d ms; router stderr tail: %s", what,
                  *counter, target, LOAD_MS, vbt_proc_stderr (vbt_router_proc (self->router)));
}

static vbt_proc_t *
s_start_gateway (const s_load_t *self, size_t index, const char *bus, const char *grants)
{
    char snapshot[256], rest[64], ws[64];
    snprintf (snapshot, sizeof (snapshot), "ipc://%s/gateway-%zu.ipc",
              vbt_router_dir (self->router), index);
    snprintf (rest, sizeof (rest), "http://127.0.0.1:%d", vbt_router_sim_port (self->router));
    snprintf (ws, sizeof (ws), "ws://127.0.0.1:%d%s", vbt_router_sim_port (self->router),
              strcmp (self->venue->venue, "kraken") == 0 ? "/v2" : "");
    char *argv[] = {VB_GATEWAY_BIN,
                    "--venue",
                    (char *)self->venue->venue,
                    "--symbols",
                    (char *)self->venue->gateway_symbol[index],
                    "--bus",
                    (char *)bus,
                    "--snapshot",
                    snapshot,
                    "--rest-url",
                    rest,
                    "--ws-url",
                    ws,
                    "--grants",
                    (char *)grants,
                    "--level",
                    "info",
                    NULL};
    vbt_proc_t *gateway = vbt_proc_start (argv[0], argv, NULL);
    cr_assert_not_null (gateway);
    char line[256];
    cr_assert_eq (vbt_proc_wait_line (gateway, "ready ", WAIT_MS, line, sizeof (line)), 0,
                  "gateway %zu not ready: %s", index, vbt_proc_stderr (gateway));
    return gateway;
}

static void
s_global_limits (const s_venue_t *venue)
{
    //  The bus first: the router publishes to it
    char *bus_argv[] = {VB_BUS_BIN,  "--frontend",        "tcp://127.0.0.1:*",
                        "--backend", "tcp://127.0.0.1:*", NULL};
    vbt_proc_t *bus = vbt_proc_start (bus_argv[0], bus_argv, NULL);
    cr_assert_not_null (bus);
    char line[512], frontend[128], backend[128];
    cr_assert_eq (vbt_proc_wait_line (bus, "ready ", WAIT_MS, line, sizeof (line)), 0, "%s",
                  vbt_proc_stderr (bus));
    cr_assert_eq (vbt_line_value (line, "frontend", frontend, sizeof (frontend)), 0);
    cr_assert_eq (vbt_line_value (line, "backend", backend, sizeof (backend)), 0);

    //  The router's grants endpoint on a port free a moment ago
    char grants[64], extra[512];
    snprintf (grants, sizeof (grants), "tcp://127.0.0.1:%d", s_free_port ());
    snprintf (extra, sizeof (extra),
              "    grants = \"%s\"\n    bus = \"%s\"\n    publish_interval = \"200ms\"\n", grants,
              frontend);
    vbt_router_args_t args = {.sim_bin = VB_SIM_BIN,
                              .router_bin = VB_ROUTER_BIN,
                              .venue = venue->venue,
                              .router_extra = extra};
    s_load_t *self = (s_load_t *)zmalloc (sizeof (s_load_t));
    self->venue = venue;
    self->router = vbt_router_new (&args);
    self->decoder = vb_msg_new ();
    self->sub = zsock_new (ZMQ_SUB);
    for (size_t i = 0; i < GATEWAYS; i++) {
        char topic[96];
        snprintf (topic, sizeof (topic), "md.%s.%s.status", venue->venue, venue->gateway_symbol[i]);
        cr_assert_eq (vb_msg_subscribe_exact (zsock_resolve (self->sub), topic), 0);
    }
    cr_assert_eq (vb_msg_subscribe_exact (zsock_resolve (self->sub), "sys.router.ratelimit"), 0);
    cr_assert_eq (zsock_connect (self->sub, "%s", backend), 0);
    self->poller = zpoller_new (self->sub, NULL);

    //  Two gateways of the venue, each on its own symbol, asking for grants
    vbt_proc_t *gateways[GATEWAYS];
    for (size_t i = 0; i < GATEWAYS; i++)
        gateways[i] = s_start_gateway (self, i, frontend, grants);
    int64_t deadline = s_now_ms () + WAIT_MS;
    while (!(self->synced[0] && self->synced[1]) && s_now_ms () < deadline)
        s_pump (self);
    cr_assert (self->synced[0] && self->synced[1], "books not SYNCED: %d %d; gateway stderr: %s",
               self->synced[0], self->synced[1], vbt_proc_stderr (gateways[0]));

    for (size_t k = 0; k < STRATEGIES; k++) {
        char name[32];
        snprintf (name, sizeof (name), "strat-%zu", k);
        self->strategies[k] = vbt_strategy_new (self->router, name);
        cr_assert_eq (zpoller_add (self->poller, vbt_strategy_socket (self->strategies[k])), 0);
    }

    //  A resting order to cancel while the flood waits
    char probe[65];
    vbt_strategy_place (self->strategies[0], "probe", venue->symbol, VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, venue->price,
                        venue->qty, false);
    vbt_strategy_wait_state (self->strategies[0], "probe", VENUEBUS__ORDER_STATE__NEW, probe,
                             WAIT_MS);

    //  The flood: every strategy as fast as it can
    cr_assert_leq (venue->per_strategy, ORDERS_MAX);
    size_t total = STRATEGIES * venue->per_strategy;
    for (size_t i = 0; i < venue->per_strategy; i++)
        for (size_t k = 0; k < STRATEGIES; k++) {
            s_order_t *order = &self->orders[k][i];
            snprintf (order->tag, sizeof (order->tag), "f%zu-%zu", k, i);
            cr_assert_eq (vbt_strategy_place (self->strategies[k], order->tag, venue->symbol,
                                              VENUEBUS__SIDE__BUY, VENUEBUS__ORDER_TYPE__LIMIT,
                                              VENUEBUS__TIME_IN_FORCE__GTC, venue->price,
                                              venue->qty, false),
                          0);
        }
    int64_t flood_start_ms = s_now_ms ();
    //  Every order journaled and handed to the rate limits
    s_pump_until (self, &self->acked, total, "flood acknowledged");

    //  Cancel the probe now: it must not wait behind the queued orders
    vbt_strategy_cancel (self->strategies[0], "probe", NULL);
    deadline = s_now_ms () + WAIT_MS;
    while (!self->probe_canceled && s_now_ms () < deadline)
        s_pump (self);
    cr_assert (self->probe_canceled, "the probe's cancel was not answered within %d ms", WAIT_MS);
    if (venue->orders_queue) {
        //  The orders the venue had accepted when the cancel was answered (the
        //  count only grows after that, so this bound is conservative): the
        //  probe and fewer than the flood, by a margin
        int64_t placed = vbt_router_sim_stat (self->router, "orders_placed");
        fprintf (stderr,
                 "%s: %zu of %zu flood orders NEW, %" PRId64
                 " orders at the venue when the cancel was answered\n",
                 venue->venue, self->news, total, placed);
        cr_assert_leq (placed - 1 + QUEUE_MARGIN, (int64_t)total,
                       "the cancel waited behind the queued orders: %" PRId64
                       " of %zu placed first",
                       placed - 1, total);
    }
    s_expect_sim_state (self->router, venue->symbol, probe, VB_EXEC_STATE_CANCELED);

    //  Every flood order rests, then every one is canceled
    s_pump_until (self, &self->news, total, "flood NEW");
    int64_t flood_ms = s_now_ms () - flood_start_ms;
    int64_t cancel_start_ms = s_now_ms ();
    for (size_t i = 0; i < venue->per_strategy; i++)
        for (size_t k = 0; k < STRATEGIES; k++)
            cr_assert_eq (vbt_strategy_cancel (self->strategies[k], self->orders[k][i].tag, NULL),
                          0);
    s_pump_until (self, &self->canceled, total, "flood CANCELED");
    fprintf (stderr, "%s: %zu orders NEW in %" PRId64 " ms, canceled in %" PRId64 " ms\n",
             venue->venue, total, flood_ms, s_now_ms () - cancel_start_ms);

    //  The venue saw no breach of its own limits, and holds what the router said
    int64_t violations = vbt_router_sim_stat (self->router, "limit_violations");
    int64_t placed = vbt_router_sim_stat (self->router, "orders_placed");
    int64_t refused = vbt_router_sim_stat (self->router, "orders_rejected");
    fprintf (stderr,
             "%s: %zu orders, %" PRId64 " violations, queue depth up to %u, %" PRIu64
             " rate-limit messages\n",
             venue->venue, total + 1, violations, self->max_queue_depth, self->ratelimit_messages);
    cr_assert_eq (violations, 0, "the sim counted %" PRId64 " limit violations", violations);
    cr_assert_eq (placed, (int64_t)total + 1, "the venue accepted %" PRId64 " orders", placed);
    cr_assert_eq (refused, 0);
    //  The rate limits really held orders back (or cancels, on Kraken)
    cr_assert_gt (self->max_queue_depth, 0, "nothing ever queued on %s", venue->order_bucket);
    if (venue->query_each) {
        for (size_t k = 0; k < STRATEGIES; k++)
            for (size_t i = 0; i < venue->per_strategy; i++)
                s_expect_sim_state (self->router, venue->symbol, self->orders[k][i].coid,
                                    VB_EXEC_STATE_CANCELED);
    } else {
        vb_exec_report_t open[4];
        cr_assert_eq (vbt_router_sim_open_orders (self->router, venue->symbol, open, 4), 0,
                      "orders still open at the venue");
    }

    //  The gateways asked the router and were answered (the router refuses
    //  grants for a venue without an IP bucket, and then the gateway says so)
    for (size_t i = 0; i < GATEWAYS; i++) {
        const char *log = vbt_proc_stderr (gateways[i]);
        cr_assert_null (strstr (log, "grants router not answering"), "%s", log);
        if (venue->grants)
            cr_assert_null (strstr (log, "grants router refused"), "%s", log);
        cr_assert_eq (vbt_proc_stop (&gateways[i], WAIT_MS), 0, "gateway %zu exit", i);
    }
    for (size_t k = 0; k < STRATEGIES; k++)
        vbt_strategy_destroy (&self->strategies[k]);
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->sub);
    vb_msg_destroy (&self->decoder);
    vbt_router_destroy (&self->router);
    cr_assert_eq (vbt_proc_stop (&bus, WAIT_MS), 0);
    free (self);
}

Test (router_limits, binance_strategies_and_gateways_stay_within_the_venue_limits, .timeout = 180)
{
    s_global_limits (&s_binance);
}

Test (router_limits, kraken_strategies_and_gateways_stay_within_the_venue_limits, .timeout = 180)
{
    s_global_limits (&s_kraken);
}

//  --------------------------------------------------------------------------
//  Failover: the first base URL answers 503, the second works.

//  Requests the sim counted on one port (GET /_sim/stats, "ports" list),
//  asked on that port (the faults act on the other one).
static int64_t
s_port_requests (int port)
{
    char url[128], key[64];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/_sim/stats", port);
    snprintf (key, sizeof (key), "{\"port\":%d,\"requests\":", port);
    vbt_http_response_t response;
    cr_assert_eq (vbt_http_request ("GET", url, NULL, NULL, WAIT_MS, &response), 0);
    cr_assert_eq (response.status, 200);
    const char *at = strstr (response.body, key);
    cr_assert_not_null (at, "port %d not in %s", port, response.body);
    int64_t value = strtoll (at + strlen (key), NULL, 10);
    vbt_http_response_free (&response);
    return value;
}

static void
s_failover (const s_venue_t *venue)
{
    const char *sim_extra[] = {"--extra-ports", "1", NULL};
    vbt_router_args_t args = {.sim_bin = VB_SIM_BIN,
                              .router_bin = VB_ROUTER_BIN,
                              .venue = venue->venue,
                              .sim_extra = sim_extra,
                              .rest_url_all_ports = true,
                              .router_extra = "    failover_errors = 3\n    failback = \"1h\"\n"};
    vbt_router_t *router = vbt_router_new (&args);
    int ports[2];
    cr_assert_eq (vbt_router_sim_ports (router, ports, 2), 2);
    vbt_strategy_t *strategy = vbt_strategy_new (router, "alpha");
    char a[65], c[65];

    //  The first URL works
    vbt_strategy_place (strategy, "a", venue->symbol, VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, venue->price,
                        venue->qty, false);
    vbt_strategy_wait_state (strategy, "a", VENUEBUS__ORDER_STATE__NEW, a, WAIT_MS);
    cr_assert_eq (s_port_requests (ports[1]), 0, "the second URL was used already");

    //  Then it answers 503 to everything (without executing it)
    char fault[160];
    snprintf (fault, sizeof (fault),
              "{\"fault\":\"http_status\",\"status\":503,\"count\":1000,\"port\":%d}", ports[0]);
    vbt_router_fault (router, fault);
    vbt_strategy_place (strategy, "b", venue->symbol, VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, venue->price,
                        venue->qty, false);
    vbt_report_t ack = vbt_strategy_wait (strategy, "b", VENUEBUS__ENVELOPE__BODY_ACK, WAIT_MS);
    char line[512];
    cr_assert_eq (vbt_proc_wait_stderr_line (vbt_router_proc (router), "router alert name=failover",
                                             WAIT_MS, line, sizeof (line)),
                  0, "no failover: %s", vbt_proc_stderr (vbt_router_proc (router)));
    char to[64];
    snprintf (to, sizeof (to), "to=http://127.0.0.1:%d", ports[1]);
    cr_assert_not_null (strstr (line, to), "%s", line);
    //  b got a 503: its outcome was unknown; the second URL says the venue
    //  never had it, final past unknown_settle: REJECTED, never re-sent
    vbt_strategy_wait_state (strategy, "b", VENUEBUS__ORDER_STATE__REJECTED, NULL, WAIT_MS);

    //  New orders go through the second URL while the first still fails
    vbt_strategy_place (strategy, "c", venue->symbol, VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, venue->price,
                        venue->qty, false);
    vbt_strategy_wait_state (strategy, "c", VENUEBUS__ORDER_STATE__NEW, c, WAIT_MS);
    cr_assert_gt (s_port_requests (ports[1]), 0);
    //  The test reads the sim's records through the first port: heal it
    //  (the router stays on the second until failback, 1 h)
    vbt_router_fault (router, "{\"fault\":\"clear\"}");
    cr_assert_eq (vbt_router_sim_order (router, venue->symbol, ack.client_order_id, NULL),
                  VB_EXEC_NOT_FOUND, "b reached the venue");
    s_expect_sim_state (router, venue->symbol, c, VB_EXEC_STATE_NEW);
    vbt_strategy_cancel (strategy, "a", NULL);
    vbt_strategy_cancel (strategy, "c", NULL);
    vbt_strategy_wait_state (strategy, "a", VENUEBUS__ORDER_STATE__CANCELED, NULL, WAIT_MS);
    vbt_strategy_wait_state (strategy, "c", VENUEBUS__ORDER_STATE__CANCELED, NULL, WAIT_MS);
    s_expect_sim_state (router, venue->symbol, a, VB_EXEC_STATE_CANCELED);
    s_expect_sim_state (router, venue->symbol, c, VB_EXEC_STATE_CANCELED);

    //  Nothing executed twice: the venue accepted exactly a and c
    cr_assert_eq (vbt_router_sim_stat (router, "orders_placed"), 2);
    cr_assert_gt (vbt_router_sim_stat (router, "injected_statuses"), 0);
    cr_assert_eq (vbt_router_sim_stat (router, "limit_violations"), 0);
    vbt_strategy_destroy (&strategy);
    vbt_router_destroy (&router);
}

Test (router_limits, binance_fails_over_to_the_next_url_without_duplicates, .timeout = 180)
{
    s_failover (&s_binance);
}

Test (router_limits, kraken_fails_over_to_the_next_url_without_duplicates, .timeout = 180)
{
    s_failover (&s_kraken);
}

//  --------------------------------------------------------------------------
//  Secrets from a keystore and from a directory.

static void
s_write_file (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    cr_assert_not_null (file, "%s", path);
    cr_assert_eq (chmod (path, 0600), 0);
    fputs (text, file);
    cr_assert_eq (fclose (file), 0);
}

//  Run venuebus-keytool with `arguments` (a shell word list of paths and
//  names only, never a secret) and `input` on stdin; expects exit 0.
static void
s_keytool (const char *arguments, const char *input)
{
    char command[1024];
    snprintf (command, sizeof (command), "%s %s >/dev/null", VB_KEYTOOL_BIN, arguments);
    FILE *pipe = popen (command, "w");
    cr_assert_not_null (pipe);
    if (input)
        fputs (input, pipe);
    int status = pclose (pipe);
    cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "keytool %s: status %d", arguments,
               status);
}

//  Start the router with this secrets spec; expect ready and an order life.
static void
s_router_with_secrets (const s_venue_t *venue, const char *secrets, const char *router_extra)
{
    vbt_router_args_t args = {.sim_bin = VB_SIM_BIN,
                              .router_bin = VB_ROUTER_BIN,
                              .venue = venue->venue,
                              .secrets = secrets,
                              .router_extra = router_extra};
    vbt_router_t *router = vbt_router_new (&args);
    vbt_strategy_t *strategy = vbt_strategy_new (router, "alpha");
    char coid[65];
    vbt_strategy_place (strategy, "k-1", venue->symbol, VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, venue->price,
                        venue->qty, false);
    vbt_strategy_wait_state (strategy, "k-1", VENUEBUS__ORDER_STATE__NEW, coid, WAIT_MS);
    s_expect_sim_state (router, venue->symbol, coid, VB_EXEC_STATE_NEW);
    const char *log = vbt_proc_stderr (vbt_router_proc (router));
    cr_assert_null (strstr (log, venue->api_key), "the key reached the log");
    cr_assert_null (strstr (log, venue->api_secret), "the secret reached the log");
    vbt_strategy_destroy (&strategy);
    vbt_router_destroy (&router);
}

static void
s_secrets (const s_venue_t *venue)
{
    char dir[64] = "/tmp/vbt-limits-keys-XXXXXX";
    cr_assert_not_null (mkdtemp (dir));
    char keystore[128], pass[128], bad[128], secrets[192], extra[256], input[512];
    snprintf (keystore, sizeof (keystore), "%s/keys.vbks", dir);
    snprintf (pass, sizeof (pass), "%s/pass", dir);
    snprintf (bad, sizeof (bad), "%s/bad-pass", dir);
    s_write_file (pass, PASSPHRASE "\n");
    s_write_file (bad, BAD_PASSPHRASE "\n");

    //  The keystore, as an operator makes it (services/keytool/README.md)
    char arguments[512];
    snprintf (arguments, sizeof (arguments), "init --keystore %s --passphrase-file %s", keystore,
              pass);
    s_keytool (arguments, NULL);
    snprintf (arguments, sizeof (arguments),
              "add --keystore %s --passphrase-file %s --venue %s --account main", keystore, pass,
              venue->venue);
    snprintf (input, sizeof (input), "%s\n%s\n", venue->api_key, venue->api_secret);
    s_keytool (arguments, input);

    snprintf (secrets, sizeof (secrets), "keystore:%s#main", keystore);
    snprintf (extra, sizeof (extra), "    keystore_passphrase_file = \"%s\"\n", pass);
    s_router_with_secrets (venue, secrets, extra);

    //  A wrong passphrase: exit 2 naming the account, never the passphrase
    snprintf (extra, sizeof (extra), "    keystore_passphrase_file = \"%s\"\n", bad);
    vbt_router_args_t args = {.sim_bin = VB_SIM_BIN,
                              .router_bin = VB_ROUTER_BIN,
                              .venue = venue->venue,
                              .secrets = secrets,
                              .router_extra = extra,
                              .no_wait = true};
    vbt_router_t *router = vbt_router_new (&args);
    int status = vbt_proc_wait_exit (vbt_router_proc (router), WAIT_MS);
    const char *log = vbt_proc_stderr (vbt_router_proc (router));
    cr_assert_eq (status, 2, "exit %d: %s", status, log);
    cr_assert_not_null (strstr (log, "main"), "the error does not name the account: %s", log);
    cr_assert_null (strstr (log, BAD_PASSPHRASE), "the passphrase reached the log");
    cr_assert_null (strstr (log, PASSPHRASE), "the passphrase reached the log");
    cr_assert_null (strstr (vbt_proc_stdout (vbt_router_proc (router)), "ready"));
    vbt_router_destroy (&router);

    //  A secrets directory (Docker, Kubernetes, systemd credentials)
    char sub[128], path[192];
    snprintf (sub, sizeof (sub), "%s/credentials", dir);
    cr_assert_eq (mkdir (sub, 0700), 0);
    snprintf (path, sizeof (path), "%s/api_key", sub);
    snprintf (input, sizeof (input), "%s\n", venue->api_key);
    s_write_file (path, input);
    snprintf (path, sizeof (path), "%s/api_secret", sub);
    snprintf (input, sizeof (input), "%s\n", venue->api_secret);
    s_write_file (path, input);
    snprintf (secrets, sizeof (secrets), "dir:%s", sub);
    s_router_with_secrets (venue, secrets, NULL);

    char command[160];
    snprintf (command, sizeof (command), "rm -rf %s", dir);
    cr_assert_eq (system (command), 0);
}

Test (router_limits, binance_keys_from_a_keystore_or_a_directory, .timeout = 180)
{
    s_secrets (&s_binance);
}

Test (router_limits, kraken_keys_from_a_keystore_or_a_directory, .timeout = 180)
{
    s_secrets (&s_kraken);
}
