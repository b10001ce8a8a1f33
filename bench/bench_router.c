/*  bench_router.c — order round trip through venuebus-router against
    venuebus-sim, beside ccxt and the floors (issue 5 "Speed").

    Starts the real venuebus-sim (binance) with an accounts file and the real
    venuebus-router (a generated config, keys from the environment) as child
    processes, then, per round and interleaved slot by slot:
    - router: a strategy DEALER sends a NewOrder (resting limit buy BTC-USDT
      1000.00 x 0.01, far below the market) and times until the
      ExecutionReport NEW for it comes back (router → journal → rate limit →
      signed REST → sim → answer → report);
    - DEALER floor: the same NewOrder bytes to an in-process ROUTER echo
      thread over tcp loopback and back;
    - HTTP floor: the Binance exec adapter builds and signs the same order for
      its own account and one reused libcurl easy handle (keep-alive) posts it
      to the sim; timed until the answer is parsed (state NEW);
    and then ccxt (bench_ccxt_order.mjs, node) createOrder with the same
    pacing on its own accounts. Every client has its own accounts (router r*,
    HTTP floor h*, ccxt c*) so no client's orders count against another's.

    Pacing: one slot every --slot-ms, accounts in turn, so each account sends
    one order per accounts x slot-ms (default 5 x 250 ms = 1.25 s: 8 per
    10 s, below the venue's ORDERS 50/10 s and the router's own count, see
    bench/README.md). Orders are left resting (the sim is discarded).

    Also: the router's own metrics (order round trip and REST round trip,
    scraped before and after), one journal write pair (record_new +
    transition NEW, fsynced, the router's per-order journaling) in process on
    the same disk, and a sustained flood (every router account at once) with
    the sim's /_sim/stats limit counters before and after.
    SPDX-License-Identifier: MPL-2.0
*/
#include <curl/curl.h>
#include <czmq.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vb_bench.h"
#include "vb_error.h"
#include "vb_exec.h"
#include "vb_journal.h"
#include "vb_msg.h"
#include "vbt_proc.h"

#define S_ORDERS_DEFAULT   300        //  Timed orders per client per round
#define S_ROUNDS_DEFAULT   3          //  Rounds
#define S_ACCOUNTS_DEFAULT 5          //  Accounts per client
#define S_ACCOUNTS_MAX     16         //  Accounts per client, at most
#define S_HIST_BUCKETS     32         //  Histogram buckets read from /metrics
#define S_SLOT_MS_DEFAULT  250        //  One slot (one order per client) every
#define S_WARMUP           10         //  Untimed orders per client per round
#define S_FLOOD_DEFAULT    40         //  Orders per account in the sustained flood
#define S_JOURNAL_ORDERS   200        //  Journal write pairs timed
#define S_ROUNDS_MAX       20         //  Rounds, at most
#define S_WAIT_MS          20000      //  Start-up and answer bounds
#define S_FLOOD_WAIT_MS    120000     //  Whole flood bound
#define S_LINE_MAX         512        //  Lines read from children
#define S_TEXT_MAX         (1 << 16)  //  HTTP answers kept
#define S_PRICE            "1000.00"  //  Resting buy, far below the sim's market
#define S_QTY              "0.01"     //  Notional 10 USDT, above min notional 5
#define S_SYMBOL           "BTC-USDT"
#define S_NS_PER_MS        1000000
#define S_NS_PER_S         1000000000.0
#define S_ORDERS_10S_VENUE 50     //  Binance ORDERS per 10 s per account
#define S_WINDOW_10S_MS    10000  //  That window

//  The three client groups, each with its own sim accounts.
typedef enum { S_ROUTER = 0, S_HTTP = 1, S_CCXT = 2, S_GROUPS = 3 } s_group_t;
static const char s_group_prefix[S_GROUPS] = {'r', 'h', 'c'};

typedef struct {
    int orders;               //  Timed orders per client per round
    int rounds;               //  Rounds
    int accounts;             //  Accounts per client
    int slot_ms;              //  Slot length
    int flood;                //  Orders per account in the flood (0: none)
    const char *sim_bin;      //  venuebus-sim
    const char *router_bin;   //  venuebus-router
    const char *ccxt;         //  ccxt package directory, or NULL
    const char *journal_dir;  //  Directory of the router's journal; NULL: the temp directory
} s_args_t;

//  A growable response buffer for libcurl.
typedef struct {
    char data[S_TEXT_MAX];  //  NUL-terminated
    size_t size;            //  Bytes in data
    char headers[S_TEXT_MAX];
    size_t header_size;
} s_text_t;

typedef struct {
    s_args_t args;
    char dir[64];                                //  Temp directory
    char names[S_GROUPS][S_ACCOUNTS_MAX][8];     //  Account names
    char keys[S_GROUPS][S_ACCOUNTS_MAX][80];     //  Their API keys
    char secrets[S_GROUPS][S_ACCOUNTS_MAX][48];  //  Their secrets
    vbt_proc_t *sim;                             //  The sim
    int sim_port;                                //  Its port
    vbt_proc_t *router;                          //  The router
    char endpoint[64];                           //  Router's strategy endpoint
    int metrics_port;                            //  Router's /metrics
    zsock_t *dealer;                             //  Strategy socket
    vb_msg_t *decoder;                           //  Its decoder
    zsock_t *echo_dealer;                        //  DEALER floor client
    pthread_t echo_thread;                       //  ROUTER echo
    char echo_endpoint[64];                      //  Its endpoint
    CURL *curl;                                  //  HTTP floor, keep-alive
    const vb_exec_ops_t *ops;                    //  Binance adapter
    vb_exec_t *exec[S_ACCOUNTS_MAX];             //  One per h account
    s_text_t text;                               //  Last HTTP answer
    long max_weight;                             //  Highest X-MBX-USED-WEIGHT-1M seen
    uint64_t tag_sequence;                       //  Unique client tags and ids
} s_bench_t;

static int64_t
s_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static int64_t
s_wall_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / S_NS_PER_MS;
}

static void
s_sleep_until (int64_t when_ns)
{
    int64_t left = when_ns - s_now_ns ();
    if (left <= 0)
        return;
    struct timespec wait = {.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
    nanosleep (&wait, NULL);
}

static void
s_fail (s_bench_t *self, const char *what)
{
    fprintf (stderr, "bench_router: %s\n", what);
    if (self && self->router)
        fprintf (stderr, "router stderr:\n%s\n", vbt_proc_stderr (self->router));
    if (self && self->sim)
        fprintf (stderr, "sim stderr (tail):\n%.4000s\n", vbt_proc_stderr (self->sim));
    if (self && self->dir[0]) {
        char command[128];
        snprintf (command, sizeof (command), "rm -rf '%s'", self->dir);
        if (system (command) != 0)
            fprintf (stderr, "bench_router: cannot remove %s\n", self->dir);
    }
    exit (1);
}

//  --------------------------------------------------------------------------
//  A free TCP port on loopback (the kernel picks it; closed again at once).

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t length = sizeof (address);
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *)&address, sizeof (address)) == 0 &&
        getsockname (fd, (struct sockaddr *)&address, &length) == 0)
        port = ntohs (address.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

//  --------------------------------------------------------------------------
//  libcurl: one easy handle, kept alive, for the HTTP floor and scrapes.

static size_t
s_on_body (char *data, size_t size, size_t count, void *arg)
{
    s_text_t *text = (s_text_t *)arg;
    size_t bytes = size * count;
    size_t room = sizeof (text->data) - 1 - text->size;
    size_t take = bytes < room ? bytes : room;
    memcpy (text->data + text->size, data, take);
    text->size += take;
    text->data[text->size] = '\0';
    return bytes;
}

static size_t
s_on_header (char *data, size_t size, size_t count, void *arg)
{
    s_text_t *text = (s_text_t *)arg;
    size_t bytes = size * count;
    size_t room = sizeof (text->headers) - 1 - text->header_size;
    size_t take = bytes < room ? bytes : room;
    memcpy (text->headers + text->header_size, data, take);
    text->header_size += take;
    text->headers[text->header_size] = '\0';
    return bytes;
}

//  Perform one request; returns the HTTP status (0 if none).
static long
s_http (s_bench_t *self, const char *method, const char *url, const char *body, size_t body_length,
        char (*headers)[VB_EXEC_HEADER_MAX], size_t header_count)
{
    CURL *curl = self->curl;
    self->text.size = 0;
    self->text.header_size = 0;
    self->text.data[0] = '\0';
    self->text.headers[0] = '\0';
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < header_count; i++)
        list = curl_slist_append (list, headers[i]);
    curl_easy_setopt (curl, CURLOPT_URL, url);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, list);
    if (streq (method, "POST")) {
        curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt (curl, CURLOPT_POST, 1L);
        curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long)body_length);
    } else {
        curl_easy_setopt (curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, streq (method, "GET") ? NULL : method);
    }
    long status = 0;
    if (curl_easy_perform (curl) == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all (list);
    return status;
}

//  Value of a numeric header of the last answer, or -1.
static long
s_header_value (s_bench_t *self, const char *name)
{
    const char *at = strcasestr (self->text.headers, name);
    if (!at)
        return -1;
    at += strlen (name);
    while (*at == ':' || *at == ' ')
        at++;
    return strtol (at, NULL, 10);
}

//  A numeric field of /_sim/stats, or -1.
static long
s_sim_stat (s_bench_t *self, const char *field)
{
    char url[128], key[64];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/_sim/stats", self->sim_port);
    if (s_http (self, "GET", url, NULL, 0, NULL, 0) != 200)
        s_fail (self, "GET /_sim/stats failed");
    snprintf (key, sizeof (key), "\"%s\":", field);
    const char *at = strstr (self->text.data, key);
    return at ? strtol (at + strlen (key), NULL, 10) : -1;
}

//  Sum and count of one series of the router's /metrics ("name{labels}").
typedef struct {
    double sum;                  //  _sum, seconds
    double count;                //  _count
    double le[S_HIST_BUCKETS];   //  Bucket upper bounds, seconds (+Inf last)
    double cum[S_HIST_BUCKETS];  //  Cumulative counts per bucket
    size_t buckets;              //  Buckets read
} s_hist_t;

static s_hist_t
s_scrape (s_bench_t *self, const char *name, const char *labels)
{
    char url[128], wanted[256];
    snprintf (url, sizeof (url), "http://127.0.0.1:%d/metrics", self->metrics_port);
    if (s_http (self, "GET", url, NULL, 0, NULL, 0) != 200)
        s_fail (self, "GET /metrics failed");
    s_hist_t hist = {.sum = NAN, .count = NAN};
    const char *suffix[2] = {"_sum", "_count"};
    double *out[2] = {&hist.sum, &hist.count};
    for (int i = 0; i < 2; i++) {
        if (*labels)
            snprintf (wanted, sizeof (wanted), "\n%s%s{%s} ", name, suffix[i], labels);
        else
            snprintf (wanted, sizeof (wanted), "\n%s%s ", name, suffix[i]);
        const char *at = strstr (self->text.data, wanted);
        if (at)
            *out[i] = strtod (at + strlen (wanted), NULL);
    }
    //  name_bucket{labels,le="X"} N, in bound order
    snprintf (wanted, sizeof (wanted), "\n%s_bucket{%s%sle=\"", name, labels, *labels ? "," : "");
    const char *at = self->text.data;
    while (hist.buckets < S_HIST_BUCKETS && (at = strstr (at, wanted))) {
        at += strlen (wanted);
        hist.le[hist.buckets] = strncmp (at, "+Inf", 4) == 0 ? INFINITY : strtod (at, NULL);
        const char *value = strstr (at, "} ");
        if (!value)
            break;
        hist.cum[hist.buckets++] = strtod (value + 2, NULL);
    }
    return hist;
}

//  --------------------------------------------------------------------------
//  The upper bound (seconds) of the bucket holding quantile q of the
//  observations made between two scrapes of one histogram, or NAN.

static double
s_hist_quantile (const s_hist_t *before, const s_hist_t *after, double q)
{
    if (after->buckets == 0 || after->buckets != before->buckets)
        return NAN;
    double total = after->cum[after->buckets - 1] - before->cum[before->buckets - 1];
    if (total <= 0)
        return NAN;
    for (size_t i = 0; i < after->buckets; i++)
        if (after->cum[i] - before->cum[i] >= q * total)
            return after->le[i];
    return INFINITY;
}

//  Share of those observations at or below bound (seconds), or NAN.
static double
s_hist_share (const s_hist_t *before, const s_hist_t *after, double bound)
{
    if (after->buckets == 0 || after->buckets != before->buckets)
        return NAN;
    double total = after->cum[after->buckets - 1] - before->cum[before->buckets - 1];
    for (size_t i = 0; i < after->buckets && total > 0; i++)
        if (after->le[i] == bound)
            return (after->cum[i] - before->cum[i]) / total;
    return NAN;
}

//  --------------------------------------------------------------------------
//  Start the sim with the accounts file, then the router.

static void
s_start (s_bench_t *self)
{
    snprintf (self->dir, sizeof (self->dir), "/tmp/vb-bench-router-XXXXXX");
    if (!mkdtemp (self->dir))
        s_fail (self, "mkdtemp failed");
    char path[128];
    snprintf (path, sizeof (path), "%s/accounts.cfg", self->dir);
    FILE *file = fopen (path, "w");
    if (!file)
        s_fail (self, "cannot write the accounts file");
    fprintf (file, "account\n");
    for (int group = 0; group < S_GROUPS; group++)
        for (int i = 0; i < self->args.accounts; i++) {
            snprintf (self->names[group][i], sizeof (self->names[group][i]), "%c%d",
                      s_group_prefix[group], i % S_ACCOUNTS_MAX);
            //  64-character keys and secrets, as Binance issues them
            snprintf (self->keys[group][i], sizeof (self->keys[group][i]),
                      "vbBenchKey%c%02d0123456789abcdefABCDEF0123456789abcdefghijklmnopq",
                      s_group_prefix[group], i);
            snprintf (self->secrets[group][i], sizeof (self->secrets[group][i]),
                      "vbBenchSecret%c%02d0123456789abcdefABCDEF", s_group_prefix[group], i);
            fprintf (file,
                     "    %s\n        key = \"%s\"\n        secret = \"%s\"\n"
                     "        permissions = \"read,trade\"\n        ips = \"127.0.0.1\"\n"
                     "        balances = \"BTC:10,USDT:1000000\"\n",
                     self->names[group][i], self->keys[group][i], self->secrets[group][i]);
        }
    fclose (file);

    char *sim_argv[] = {(char *)self->args.sim_bin,
                        "--venue",
                        "binance",
                        "--port",
                        "0",
                        "--seed",
                        "5",
                        "--accounts",
                        path,
                        "--level",
                        "warning",
                        NULL};
    self->sim = vbt_proc_start (sim_argv[0], sim_argv, NULL);
    char line[S_LINE_MAX], value[32];
    if (!self->sim || vbt_proc_wait_line (self->sim, "ready ", S_WAIT_MS, line, sizeof (line)) ||
        vbt_line_value (line, "port", value, sizeof (value)))
        s_fail (self, "the sim did not start");
    self->sim_port = atoi (value);

    int port = s_free_port ();
    self->metrics_port = s_free_port ();
    if (port <= 0 || self->metrics_port <= 0)
        s_fail (self, "no free port");
    snprintf (self->endpoint, sizeof (self->endpoint), "tcp://127.0.0.1:%d", port);
    char config[128];
    snprintf (config, sizeof (config), "%s/router.cfg", self->dir);
    file = fopen (config, "w");
    if (!file)
        s_fail (self, "cannot write the router config");
    //  Reconciliation every hour: its periodic queries are not part of an
    //  order's round trip and would only add IP weight during the run.
    fprintf (file,
             "router\n    endpoint = \"%s\"\n    journal = \"%s/journal-%d.db\"\n"
             "    metrics = \"127.0.0.1:%d\"\n    reconcile_interval = \"1h\"\n"
             "    max_open_orders = 1000000\nlog\n    level = \"warning\"\naccount\n",
             self->endpoint, self->args.journal_dir ? self->args.journal_dir : self->dir,
             (int)getpid (), self->metrics_port);
    for (int i = 0; i < self->args.accounts; i++)
        fprintf (file,
                 "    %s\n        venue = \"binance\"\n        rest_url = \"http://127.0.0.1:%d\"\n"
                 "        ws_url = \"ws://127.0.0.1:%d\"\n        secrets = \"env\"\n",
                 self->names[S_ROUTER][i], self->sim_port, self->sim_port);
    fclose (file);
    static char env_text[S_ACCOUNTS_MAX * 2][128];
    char *env[S_ACCOUNTS_MAX * 2 + 1];
    for (int i = 0; i < self->args.accounts; i++) {
        snprintf (env_text[2 * i], sizeof (env_text[0]), "VB_ACCOUNT_R%d_API_KEY=%s", i,
                  self->keys[S_ROUTER][i]);
        snprintf (env_text[2 * i + 1], sizeof (env_text[0]), "VB_ACCOUNT_R%d_API_SECRET=%s", i,
                  self->secrets[S_ROUTER][i]);
        env[2 * i] = env_text[2 * i];
        env[2 * i + 1] = env_text[2 * i + 1];
    }
    env[2 * self->args.accounts] = NULL;
    char *router_argv[] = {(char *)self->args.router_bin, "--config", config, NULL};
    self->router = vbt_proc_start (router_argv[0], router_argv, env);
    if (!self->router ||
        vbt_proc_wait_line (self->router, "ready ", S_WAIT_MS, line, sizeof (line)))
        s_fail (self, "the router did not start");
    printf ("sim port %d, router %s (%s), metrics :%d, dir %s\n", self->sim_port, self->endpoint,
            line, self->metrics_port, self->dir);
}

//  --------------------------------------------------------------------------
//  The strategy side: one NewOrder, and waiting for its NEW.

static void
s_new_order (s_bench_t *self, int account, const char *tag, uint8_t *bytes, size_t *size)
{
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__NewOrder order = VENUEBUS__NEW_ORDER__INIT;
    Venuebus__Decimal price, qty;
    vb_decimal_t value;
    header.strategy = (char *)"bench";
    header.account = self->names[S_ROUTER][account];
    order.client_tag = (char *)tag;
    order.account = self->names[S_ROUTER][account];
    order.symbol = (char *)S_SYMBOL;
    order.side = VENUEBUS__SIDE__BUY;
    order.type = VENUEBUS__ORDER_TYPE__LIMIT;
    order.time_in_force = VENUEBUS__TIME_IN_FORCE__GTC;
    vb_decimal_parse (S_PRICE, strlen (S_PRICE), &value);
    vb_msg_decimal_set (&price, value);
    vb_decimal_parse (S_QTY, strlen (S_QTY), &value);
    vb_msg_decimal_set (&qty, value);
    order.price = &price;
    order.qty = &qty;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_NEW_ORDER;
    envelope.new_order = &order;
    int length = vb_msg_encode_bare (&envelope, bytes, *size);
    if (length < 0)
        s_fail (self, "cannot encode a NewOrder");
    *size = (size_t)length;
}

//  Receive one message; returns the tag of an ExecutionReport NEW (copied),
//  "" for anything else that is fine (Ack, other states on the way), or fails
//  on a refusal.
static bool
s_recv_new (s_bench_t *self, char *tag, size_t size, int timeout_ms)
{
    zsock_set_rcvtimeo (self->dealer, timeout_ms);
    int rc = vb_msg_recv_bare (self->decoder, self->dealer, 0);
    if (rc == VB_EAGAIN)
        s_fail (self, "no answer from the router in time");
    if (rc != 0)
        s_fail (self, "undecodable frame from the router");
    const Venuebus__Envelope *envelope = vb_msg_envelope (self->decoder);
    tag[0] = '\0';
    if (envelope->body_case == VENUEBUS__ENVELOPE__BODY_REJECT) {
        char why[512];
        snprintf (why, sizeof (why), "router refused %s: %s (venue %s)",
                  envelope->reject->client_tag, envelope->reject->detail,
                  envelope->reject->venue_code);
        s_fail (self, why);
    }
    if (envelope->body_case != VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT)
        return false;
    const Venuebus__ExecutionReport *report = envelope->execution_report;
    if (report->state == VENUEBUS__ORDER_STATE__NEW) {
        snprintf (tag, size, "%s", report->client_tag);
        return true;
    }
    if (report->state != VENUEBUS__ORDER_STATE__PENDING_NEW) {
        char why[256];
        snprintf (why, sizeof (why), "order %s reached state %d, not NEW", report->client_tag,
                  report->state);
        s_fail (self, why);
    }
    return false;
}

//  One router round trip, ns.
static int64_t
s_router_order (s_bench_t *self, int account)
{
    char tag[32], seen[80];
    snprintf (tag, sizeof (tag), "b%" PRIu64, ++self->tag_sequence);
    uint8_t bytes[512];
    size_t size = sizeof (bytes);
    s_new_order (self, account, tag, bytes, &size);
    int64_t start = s_now_ns ();
    if (zmq_send (zsock_resolve (self->dealer), bytes, size, 0) < 0)
        s_fail (self, "send to the router failed");
    while (true)
        if (s_recv_new (self, seen, sizeof (seen), S_WAIT_MS) && streq (seen, tag))
            break;
    return s_now_ns () - start;
}

//  --------------------------------------------------------------------------
//  DEALER floor: a ROUTER that echoes every message, in its own thread.

static void *
s_echo (void *arg)
{
    zsock_t *router = (zsock_t *)arg;
    while (true) {
        zmsg_t *msg = zmsg_recv (router);
        if (!msg)
            break;
        zframe_t *last = zmsg_last (msg);
        bool stop = last && zframe_size (last) == 4 && memcmp (zframe_data (last), "STOP", 4) == 0;
        zmsg_send (&msg, router);
        if (stop)
            break;
    }
    zsock_destroy (&router);
    return NULL;
}

static void
s_echo_start (s_bench_t *self)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = router ? zsock_bind (router, "tcp://127.0.0.1:*") : -1;
    if (port <= 0)
        s_fail (self, "cannot bind the echo ROUTER");
    snprintf (self->echo_endpoint, sizeof (self->echo_endpoint), "tcp://127.0.0.1:%d", port);
    if (pthread_create (&self->echo_thread, NULL, s_echo, router) != 0)
        s_fail (self, "cannot start the echo thread");
    self->echo_dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->echo_dealer, 0);
    zsock_set_rcvtimeo (self->echo_dealer, S_WAIT_MS);
    if (zsock_connect (self->echo_dealer, "%s", self->echo_endpoint) != 0)
        s_fail (self, "cannot connect to the echo ROUTER");
}

static void
s_echo_stop (s_bench_t *self)
{
    zstr_send (self->echo_dealer, "STOP");
    char *reply = zstr_recv (self->echo_dealer);
    zstr_free (&reply);
    pthread_join (self->echo_thread, NULL);
    zsock_destroy (&self->echo_dealer);
}

static int64_t
s_echo_round_trip (s_bench_t *self)
{
    uint8_t bytes[512], back[512];
    size_t size = sizeof (bytes);
    s_new_order (self, 0, "b0000000", bytes, &size);
    void *socket = zsock_resolve (self->echo_dealer);
    int64_t start = s_now_ns ();
    if (zmq_send (socket, bytes, size, 0) < 0 || zmq_recv (socket, back, sizeof (back), 0) < 0)
        s_fail (self, "echo round trip failed");
    return s_now_ns () - start;
}

//  --------------------------------------------------------------------------
//  HTTP floor: the exec adapter and one kept-alive curl handle.

static void
s_http_start (s_bench_t *self)
{
    self->curl = curl_easy_init ();
    if (!self->curl)
        s_fail (self, "curl_easy_init failed");
    curl_easy_setopt (self->curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (self->curl, CURLOPT_WRITEDATA, &self->text);
    curl_easy_setopt (self->curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (self->curl, CURLOPT_HEADERDATA, &self->text);
    curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, (long)S_WAIT_MS);
    curl_easy_setopt (self->curl, CURLOPT_TCP_NODELAY, 1L);
    self->ops = vb_exec_venue_find ("binance");
    if (!self->ops)
        s_fail (self, "no binance exec adapter");
    char rest[64], ws[64], error[256];
    snprintf (rest, sizeof (rest), "http://127.0.0.1:%d", self->sim_port);
    snprintf (ws, sizeof (ws), "ws://127.0.0.1:%d", self->sim_port);
    for (int i = 0; i < self->args.accounts; i++) {
        vb_exec_config_t config = {.account = self->names[S_HTTP][i],
                                   .api_key = self->keys[S_HTTP][i],
                                   .secret = self->secrets[S_HTTP][i],
                                   .secret_length = strlen (self->secrets[S_HTTP][i]),
                                   .rest_url = rest,
                                   .ws_url = ws};
        self->exec[i] = self->ops->create (&config, error, sizeof (error));
        if (!self->exec[i])
            s_fail (self, error);
    }
    //  Instrument rules: one exchangeInfo, parsed by every adapter.
    vb_exec_request_t request;
    if (self->ops->instruments (self->exec[0], &request) != 0)
        s_fail (self, "cannot build the instruments request");
    long status = s_http (self, request.method, request.url, request.body, request.body_length,
                          request.headers, request.header_count);
    for (int i = 0; i < self->args.accounts; i++) {
        vb_exec_sink_t sink = {0};
        vb_exec_result_t result;
        memset (&result, 0, sizeof (result));
        if (self->ops->parse (self->exec[i], &request, (int)status, NULL, 0, self->text.data,
                              self->text.size, &sink, &result, NULL, NULL) != 0 ||
            result.outcome != VB_EXEC_OK)
            s_fail (self, "cannot load the instrument rules");
    }
}

static int64_t
s_http_order (s_bench_t *self, int account)
{
    char id[32];
    snprintf (id, sizeof (id), "vbbenchh%" PRIu64, ++self->tag_sequence);
    vb_exec_order_t order = {.client_order_id = id,
                             .symbol = S_SYMBOL,
                             .side = VB_EXEC_BUY,
                             .type = VB_EXEC_LIMIT,
                             .tif = VB_EXEC_GTC};
    vb_decimal_parse (S_PRICE, strlen (S_PRICE), &order.price);
    vb_decimal_parse (S_QTY, strlen (S_QTY), &order.qty);
    vb_exec_request_t request;
    vb_exec_result_t result;
    memset (&result, 0, sizeof (result));
    int64_t start = s_now_ns ();
    if (self->ops->place (self->exec[account], &order, s_wall_ms (), &request, &result) != 0)
        s_fail (self, "the adapter refused the order");
    long status = s_http (self, request.method, request.url, request.body, request.body_length,
                          request.headers, request.header_count);
    vb_exec_sink_t sink = {0};
    memset (&result, 0, sizeof (result));
    int rc = self->ops->parse (self->exec[account], &request, (int)status, NULL, 0, self->text.data,
                               self->text.size, &sink, &result, NULL, NULL);
    int64_t elapsed = s_now_ns () - start;
    if (rc != 0 || result.outcome != VB_EXEC_OK || result.report.state != VB_EXEC_STATE_NEW) {
        char why[512];
        snprintf (why, sizeof (why), "HTTP floor order: status %ld, %s", status, self->text.data);
        s_fail (self, why);
    }
    long weight = s_header_value (self, "X-MBX-USED-WEIGHT-1M");
    if (weight > self->max_weight)
        self->max_weight = weight;
    return elapsed;
}

//  --------------------------------------------------------------------------
//  ccxt: one node run of bench_ccxt_order.mjs; samples appended.

static int
s_ccxt_round (s_bench_t *self, int64_t *samples, size_t *count)
{
    char keys[S_ACCOUNTS_MAX * 140] = "";
    for (int i = 0; i < self->args.accounts; i++) {
        size_t used = strlen (keys);
        snprintf (keys + used, sizeof (keys) - used, "%s%s:%s", i ? "," : "", self->keys[S_CCXT][i],
                  self->secrets[S_CCXT][i]);
    }
    char command[4096];
    snprintf (command, sizeof (command),
              "node %s/bench_ccxt_order.mjs --ccxt '%s' --port %d --keys '%s' --orders %d "
              "--slot-ms %d --warmup %d --price %s --amount %s",
              VB_BENCH_SOURCE_DIR, self->args.ccxt, self->sim_port, keys, self->args.orders,
              self->args.slot_ms, S_WARMUP, S_PRICE, S_QTY);
    FILE *pipe = popen (command, "r");
    if (!pipe)
        return -1;
    char line[S_LINE_MAX];
    bool ok = false;
    while (fgets (line, sizeof (line), pipe)) {
        if (line[0] == 'S' && line[1] == ' ')
            samples[(*count)++] = strtoll (line + 2, NULL, 10);
        else if (strncmp (line, "CCXT orders", 11) == 0)
            ok = true;
    }
    return pclose (pipe) == 0 && ok ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Journal: record_new + transition NEW, each fsynced, on the same disk.

static double
s_journal_ns (s_bench_t *self, double *new_only_ns)
{
    char path[128], *error = NULL;
    snprintf (path, sizeof (path), "%s/journal-bench-%d.db",
              self->args.journal_dir ? self->args.journal_dir : self->dir, (int)getpid ());
    vb_journal_t *journal = vb_journal_open (path, 2, &error);
    if (!journal)
        s_fail (self, error ? error : "cannot open the journal");
    static int64_t pair[S_JOURNAL_ORDERS], first[S_JOURNAL_ORDERS];
    vb_journal_new_t order = {.strategy = "bench",
                              .account = "r0",
                              .venue = "binance",
                              .symbol = S_SYMBOL,
                              .side = VB_JOURNAL_SIDE_BUY,
                              .type = VB_JOURNAL_TYPE_LIMIT,
                              .tif = VB_JOURNAL_TIF_GTC};
    vb_decimal_parse (S_PRICE, strlen (S_PRICE), &order.price);
    vb_decimal_parse (S_QTY, strlen (S_QTY), &order.qty);
    for (int i = 0; i < S_JOURNAL_ORDERS; i++) {
        char tag[32], id[VB_JOURNAL_ID_SIZE], venue_id[32];
        snprintf (tag, sizeof (tag), "j%d", i);
        snprintf (venue_id, sizeof (venue_id), "%d", i + 1);
        order.client_tag = tag;
        order.created_ns = s_wall_ms () * S_NS_PER_MS;
        vb_journal_update_t update = {.venue_order_id = venue_id, .ts_ns = order.created_ns};
        int64_t start = s_now_ns ();
        if (vb_journal_record_new (journal, &order, NULL, id) != 0)
            s_fail (self, "vb_journal_record_new failed");
        int64_t middle = s_now_ns ();
        if (vb_journal_transition (journal, id, VB_JOURNAL_STATE_NEW, &update) != 0)
            s_fail (self, "vb_journal_transition failed");
        pair[i] = s_now_ns () - start;
        first[i] = middle - start;
    }
    vb_journal_destroy (&journal);
    *new_only_ns = vb_bench_percentile (first, S_JOURNAL_ORDERS, 0.5);
    return vb_bench_percentile (pair, S_JOURNAL_ORDERS, 0.5);
}

//  --------------------------------------------------------------------------
//  Sustained flood: every router account at once, as fast as the router lets.

static void
s_flood (s_bench_t *self)
{
    int accounts = self->args.accounts, per = self->args.flood, total = accounts * per;
    long violations = s_sim_stat (self, "limit_violations");
    long rejected = s_sim_stat (self, "orders_rejected");
    int64_t *done = calloc ((size_t)total, sizeof (int64_t));
    uint64_t first_tag = self->tag_sequence + 1;
    int64_t start = s_now_ns ();
    for (int i = 0; i < total; i++) {
        char tag[32];
        snprintf (tag, sizeof (tag), "b%" PRIu64, ++self->tag_sequence);
        uint8_t bytes[512];
        size_t size = sizeof (bytes);
        s_new_order (self, i % accounts, tag, bytes, &size);
        if (zmq_send (zsock_resolve (self->dealer), bytes, size, 0) < 0)
            s_fail (self, "send to the router failed");
    }
    int seen = 0;
    while (seen < total) {
        if (s_now_ns () - start > (int64_t)S_FLOOD_WAIT_MS * S_NS_PER_MS)
            s_fail (self, "the flood did not finish in time");
        char tag[80];
        if (!s_recv_new (self, tag, sizeof (tag), S_FLOOD_WAIT_MS))
            continue;
        uint64_t number = strtoull (tag + 1, NULL, 10);
        if (tag[0] == 'b' && number >= first_tag && number < first_tag + (uint64_t)total)
            done[seen++] = s_now_ns () - start;
    }
    vb_bench_percentile (done, (size_t)total, 1.0);  //  Sorts done
    double elapsed = (double)done[total - 1] / S_NS_PER_S;
    //  The first 10 per account go at once (the router's burst); the rest is
    //  the sustained rate.
    int burst = 10 * accounts < total ? 10 * accounts : 0;
    double tail = (double)(done[total - 1] - done[burst > 0 ? burst - 1 : 0]) / S_NS_PER_S;
    long violations_after = s_sim_stat (self, "limit_violations");
    long rejected_after = s_sim_stat (self, "orders_rejected");
    printf ("flood: %d orders on %d accounts sent at once; all NEW after %.2f s: %.1f orders/s "
            "(%.2f per account)\n",
            total, accounts, elapsed, total / elapsed, total / elapsed / accounts);
    if (burst > 0 && tail > 0)
        printf ("flood: after the first %d (burst), %.1f orders/s (%.2f per account; venue "
                "ceiling %.1f, router's declared 4.0)\n",
                burst, (total - burst) / tail, (total - burst) / tail / accounts,
                (double)S_ORDERS_10S_VENUE * 1000 / S_WINDOW_10S_MS);
    printf ("flood: sim limit_violations %+ld, orders_rejected %+ld\n",
            violations_after - violations, rejected_after - rejected);
    free (done);
}

//  --------------------------------------------------------------------------

static void
s_usage (void)
{
    fprintf (stderr,
             "usage: bench_router [--orders N] [--rounds N] [--accounts N] [--slot-ms MS]\n"
             "                    [--flood N] [--sim PATH] [--router PATH] [--ccxt DIR]\n"
             "                    [--journal-dir DIR]\n"
             "  --journal-dir DIR: where the router's journal goes (default: the temp\n"
             "  directory under /tmp); e.g. /dev/shm to see the router without disk fsync\n"
             "  --ccxt DIR: the ccxt package (node_modules/ccxt); runs bench_ccxt_order.mjs\n");
    exit (2);
}

static void
s_report (const char *name, int64_t *all, size_t count, double per_round[][3], int rounds)
{
    double p50[S_ROUNDS_MAX], p99[S_ROUNDS_MAX], p999[S_ROUNDS_MAX];
    for (int r = 0; r < rounds; r++) {
        p50[r] = per_round[r][0];
        p99[r] = per_round[r][1];
        p999[r] = per_round[r][2];
    }
    double m50 = vb_bench_median (p50, (size_t)rounds), m99 = vb_bench_median (p99, (size_t)rounds),
           m999 = vb_bench_median (p999, (size_t)rounds);
    printf ("%-34s p50 %8.1f us  p99 %8.1f us  p99.9 %8.1f us (median of %d rounds; "
            "pooled n=%zu: %.1f / %.1f / %.1f us)\n",
            name, m50 / 1e3, m99 / 1e3, m999 / 1e3, rounds, count,
            vb_bench_percentile (all, count, 0.5) / 1e3,
            vb_bench_percentile (all, count, 0.99) / 1e3,
            vb_bench_percentile (all, count, 0.999) / 1e3);
}

static void
s_ratio (const char *name, double values[][3], double bases[][3], int column, int rounds,
         const char *target)
{
    double ratios[S_ROUNDS_MAX] = {0};
    for (int r = 0; r < rounds; r++)
        ratios[r] = values[r][column] / bases[r][column];
    double low = ratios[0], high = ratios[0];
    for (int r = 1; r < rounds; r++) {
        low = ratios[r] < low ? ratios[r] : low;
        high = ratios[r] > high ? ratios[r] : high;
    }
    printf ("%-34s %.3f (%.3f..%.3f over rounds; target %s)\n", name,
            vb_bench_median (ratios, (size_t)rounds), low, high, target);
}

int
main (int argc, char *argv[])
{
    s_bench_t *self = calloc (1, sizeof (s_bench_t));
    self->args = (s_args_t){.orders = S_ORDERS_DEFAULT,
                            .rounds = S_ROUNDS_DEFAULT,
                            .accounts = S_ACCOUNTS_DEFAULT,
                            .slot_ms = S_SLOT_MS_DEFAULT,
                            .flood = S_FLOOD_DEFAULT,
                            .sim_bin = getenv ("VB_SIM_BIN"),
                            .router_bin = getenv ("VB_ROUTER_BIN")};
    if (!self->args.sim_bin)
        self->args.sim_bin = VB_BENCH_SIM_BIN;
    if (!self->args.router_bin)
        self->args.router_bin = VB_BENCH_ROUTER_BIN;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value)
            s_usage ();
        if (streq (argv[i], "--orders"))
            self->args.orders = atoi (value);
        else if (streq (argv[i], "--rounds"))
            self->args.rounds = atoi (value);
        else if (streq (argv[i], "--accounts"))
            self->args.accounts = atoi (value);
        else if (streq (argv[i], "--slot-ms"))
            self->args.slot_ms = atoi (value);
        else if (streq (argv[i], "--flood"))
            self->args.flood = atoi (value);
        else if (streq (argv[i], "--sim"))
            self->args.sim_bin = value;
        else if (streq (argv[i], "--router"))
            self->args.router_bin = value;
        else if (streq (argv[i], "--ccxt"))
            self->args.ccxt = value;
        else if (streq (argv[i], "--journal-dir"))
            self->args.journal_dir = value;
        else
            s_usage ();
        i++;
    }
    if (self->args.orders < 1 || self->args.rounds < 1 || self->args.rounds > S_ROUNDS_MAX ||
        self->args.accounts < 1 || self->args.accounts > S_ACCOUNTS_MAX || self->args.slot_ms < 1 ||
        self->args.flood < 0)
        s_usage ();
    int per_window =
        (int)((int64_t)S_WINDOW_10S_MS / ((int64_t)self->args.slot_ms * self->args.accounts)) + 1;
    printf ("pacing: one order per client every %d ms, %d accounts each: at most %d orders per "
            "account per 10 s window\n",
            self->args.slot_ms, self->args.accounts, per_window);
    vb_bench_calibrate ();
    curl_global_init (CURL_GLOBAL_DEFAULT);
    s_start (self);
    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->dealer, 0);
    if (zsock_connect (self->dealer, "%s", self->endpoint) != 0)
        s_fail (self, "cannot connect to the router");
    self->decoder = vb_msg_new ();
    s_echo_start (self);
    s_http_start (self);

    size_t n = (size_t)self->args.orders, rounds = (size_t)self->args.rounds;
    int64_t *all[4], *one = malloc (n * sizeof (int64_t));
    for (int k = 0; k < 4; k++)
        all[k] = malloc (n * rounds * sizeof (int64_t));
    size_t counts[4] = {0};
    double stats[4][S_ROUNDS_MAX][3];  //  router, dealer, http, ccxt x p50, p99, p99.9
    double floor_stats[S_ROUNDS_MAX][3];
    const double q[3] = {0.5, 0.99, 0.999};
    s_hist_t roundtrip_before =
        s_scrape (self, "venuebus_router_order_roundtrip_seconds", "venue=\"binance\"");
    s_hist_t place_before =
        s_scrape (self, "venuebus_router_request_seconds", "venue=\"binance\",kind=\"place\"");
    s_hist_t own_before = s_scrape (self, "venuebus_router_order_own_seconds", "venue=\"binance\"");
    s_hist_t commit_before = s_scrape (self, "venuebus_router_journal_commit_seconds", "");
    int accounts = self->args.accounts;
    for (size_t round = 0; round < rounds; round++) {
        //  Router, DEALER floor, HTTP floor: slot by slot.
        size_t first[3] = {counts[0], counts[1], counts[2]};
        int64_t next = s_now_ns ();
        for (int slot = 0; slot < S_WARMUP + self->args.orders; slot++) {
            s_sleep_until (next);
            next += (int64_t)self->args.slot_ms * S_NS_PER_MS;
            int account = slot % accounts;
            int64_t router_ns = s_router_order (self, account);
            int64_t echo_ns = s_echo_round_trip (self);
            int64_t http_ns = s_http_order (self, account);
            if (slot < S_WARMUP)
                continue;
            all[0][counts[0]++] = router_ns;
            all[1][counts[1]++] = echo_ns;
            all[2][counts[2]++] = http_ns;
        }
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 3; j++) {
                memcpy (one, all[k] + first[k], n * sizeof (int64_t));
                stats[k][round][j] = vb_bench_percentile (one, n, q[j]);
            }
        //  floor = DEALER floor + HTTP floor, sample by sample in slot order
        for (size_t i = 0; i < n; i++)
            one[i] = all[1][first[1] + i] + all[2][first[2] + i];
        int64_t *sorted = malloc (n * sizeof (int64_t));
        for (int j = 0; j < 3; j++) {
            memcpy (sorted, one, n * sizeof (int64_t));
            floor_stats[round][j] = vb_bench_percentile (sorted, n, q[j]);
        }
        free (sorted);
        printf ("round %zu: router p50 %.1f us, DEALER floor %.1f us, HTTP floor %.1f us\n",
                round + 1, stats[0][round][0] / 1e3, stats[1][round][0] / 1e3,
                stats[2][round][0] / 1e3);
        if (self->args.ccxt) {
            size_t before = counts[3];
            if (s_ccxt_round (self, all[3], &counts[3]) != 0 || counts[3] - before != n)
                s_fail (self, "the ccxt run failed");
            for (int j = 0; j < 3; j++) {
                memcpy (one, all[3] + before, n * sizeof (int64_t));
                stats[3][round][j] = vb_bench_percentile (one, n, q[j]);
            }
            printf ("round %zu: ccxt p50 %.1f us\n", round + 1, stats[3][round][0] / 1e3);
        }
        fflush (stdout);
    }
    s_hist_t roundtrip_after =
        s_scrape (self, "venuebus_router_order_roundtrip_seconds", "venue=\"binance\"");
    s_hist_t place_after =
        s_scrape (self, "venuebus_router_request_seconds", "venue=\"binance\",kind=\"place\"");
    s_hist_t own_after = s_scrape (self, "venuebus_router_order_own_seconds", "venue=\"binance\"");
    s_hist_t commit_after = s_scrape (self, "venuebus_router_journal_commit_seconds", "");

    printf ("\n");
    s_report ("router (NewOrder -> ER NEW)", all[0], counts[0], stats[0], (int)rounds);
    s_report ("DEALER/ROUTER floor (echo)", all[1], counts[1], stats[1], (int)rounds);
    s_report ("HTTP floor (adapter + curl)", all[2], counts[2], stats[2], (int)rounds);
    if (self->args.ccxt)
        s_report ("ccxt createOrder", all[3], counts[3], stats[3], (int)rounds);
    double floor_p[3][S_ROUNDS_MAX];
    for (int j = 0; j < 3; j++) {
        for (size_t r = 0; r < rounds; r++)
            floor_p[j][r] = floor_stats[r][j];
    }
    printf ("%-34s p50 %8.1f us  p99 %8.1f us  p99.9 %8.1f us (median of %zu rounds)\n",
            "floor (DEALER + HTTP, per slot)", vb_bench_median (floor_p[0], rounds) / 1e3,
            vb_bench_median (floor_p[1], rounds) / 1e3, vb_bench_median (floor_p[2], rounds) / 1e3,
            rounds);
    if (self->args.ccxt) {
        s_ratio ("router p50 / ccxt p50", stats[0], stats[3], 0, (int)rounds, "<= 0.45");
        s_ratio ("router p99 / ccxt p99", stats[0], stats[3], 1, (int)rounds, "<= 0.15");
    }
    s_ratio ("router p50 / floor p50", stats[0], floor_stats, 0, (int)rounds, "<= 1.1");
    s_ratio ("router p99 / floor p99", stats[0], floor_stats, 1, (int)rounds, "-");

    //  The router's own figures (means over the timed and warm-up orders).
    double rt_count = roundtrip_after.count - roundtrip_before.count;
    double place_count = place_after.count - place_before.count;
    if (rt_count > 0 && place_count > 0) {
        double rt_mean = (roundtrip_after.sum - roundtrip_before.sum) / rt_count * 1e6;
        double place_mean = (place_after.sum - place_before.sum) / place_count * 1e6;
        printf ("router metrics: order round trip mean %.1f us (n=%.0f), REST place mean %.1f us "
                "(n=%.0f): in-router share %.1f us\n",
                rt_mean, rt_count, place_mean, place_count, rt_mean - place_mean);
    } else
        printf ("router metrics: not available\n");
    double own_count = own_after.count - own_before.count;
    if (own_count > 0)
        printf ("router's own share (router histogram, bucket upper bounds): p50 <= %.0f us, "
                "p99 <= %.0f us, mean %.1f us, %.1f%% of orders <= 10 us (n=%.0f; target p99 "
                "<= 10 us)\n",
                s_hist_quantile (&own_before, &own_after, 0.5) * 1e6,
                s_hist_quantile (&own_before, &own_after, 0.99) * 1e6,
                (own_after.sum - own_before.sum) / own_count * 1e6,
                s_hist_share (&own_before, &own_after, 10e-6) * 100, own_count);
    double commit_count = commit_after.count - commit_before.count;
    if (commit_count > 0)
        printf ("router's journal commit per order: p50 <= %.0f us, p99 <= %.0f us, mean %.1f us "
                "(n=%.0f)\n",
                s_hist_quantile (&commit_before, &commit_after, 0.5) * 1e6,
                s_hist_quantile (&commit_before, &commit_after, 0.99) * 1e6,
                (commit_after.sum - commit_before.sum) / commit_count * 1e6, commit_count);
    double new_only = 0;
    double pair = s_journal_ns (self, &new_only);
    printf ("journal (same disk): record_new %.1f us, record_new + transition NEW %.1f us "
            "(median of %d)\n",
            new_only / 1e3, pair / 1e3, S_JOURNAL_ORDERS);
    printf ("sim X-MBX-USED-WEIGHT-1M: highest seen by the HTTP floor %ld (venue limit 6000, "
            "router's burst 1000)\n",
            self->max_weight);
    printf ("sim limit_violations during the round trips: %ld\n",
            s_sim_stat (self, "limit_violations"));
    fflush (stdout);
    if (self->args.flood > 0)
        s_flood (self);

    s_echo_stop (self);
    for (int i = 0; i < accounts; i++)
        self->ops->destroy (&self->exec[i]);
    curl_easy_cleanup (self->curl);
    zsock_destroy (&self->dealer);
    vb_msg_destroy (&self->decoder);
    int router_status = vbt_proc_stop (&self->router, S_WAIT_MS);
    vbt_proc_stop (&self->sim, S_WAIT_MS);
    if (router_status != 0)
        fprintf (stderr, "bench_router: the router exited with %d\n", router_status);
    char command[512];
    if (self->args.journal_dir) {
        snprintf (command, sizeof (command), "rm -f '%s/journal-%d.db'* '%s/journal-bench-%d.db'*",
                  self->args.journal_dir, (int)getpid (), self->args.journal_dir, (int)getpid ());
        if (system (command) != 0)
            fprintf (stderr, "bench_router: cannot remove the journals in %s\n",
                     self->args.journal_dir);
    }
    snprintf (command, sizeof (command), "rm -rf '%s'", self->dir);
    if (system (command) != 0)
        fprintf (stderr, "bench_router: cannot remove %s\n", self->dir);
    for (int k = 0; k < 4; k++)
        free (all[k]);
    free (one);
    free (self);
    curl_global_cleanup ();
    return router_status == 0 ? 0 : 1;
}
