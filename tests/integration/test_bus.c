/*  test_bus.c — the real venuebus-bus process: frames flow, prefixes filter,
    nothing is lost in order, bad config refuses to start, SIGTERM stops it,
    and --metrics serves /metrics (frames and bytes counted exactly) and /healthz.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <string.h>

#include "vb_msg.h"
#include "vbt_http.h"
#include "vbt_proc.h"

#define WAIT_MS      10000
#define PROBE_MS     20
#define FRAMES       2000
#define ENDPOINT_MAX 256

typedef struct {
    vbt_proc_t *bus;
    char frontend[ENDPOINT_MAX];
    char backend[ENDPOINT_MAX];
} s_bus_t;

static void
s_bus_start (s_bus_t *self)
{
    char *argv[] = {VB_BUS_BIN,  "--frontend",        "tcp://127.0.0.1:*",
                    "--backend", "tcp://127.0.0.1:*", NULL};
    self->bus = vbt_proc_start (VB_BUS_BIN, argv, NULL);
    cr_assert_not_null (self->bus);
    char line[1024];
    cr_assert_eq (vbt_proc_wait_line (self->bus, "ready ", WAIT_MS, line, sizeof line), 0,
                  "bus never said ready; stderr: %s", vbt_proc_stderr (self->bus));
    cr_assert_eq (vbt_line_value (line, "frontend", self->frontend, sizeof self->frontend), 0);
    cr_assert_eq (vbt_line_value (line, "backend", self->backend, sizeof self->backend), 0);
    cr_assert (strncmp (self->frontend, "tcp://127.0.0.1:", 16) == 0, "%s", self->frontend);
}

//  Build a trade envelope for md.sim.BTC-USDT.trade with the given sequence.
static void
s_trade (Venuebus__Envelope *envelope, Venuebus__Header *header, Venuebus__Trade *trade,
         Venuebus__Decimal *price, Venuebus__Decimal *qty, uint64_t seq)
{
    venuebus__envelope__init (envelope);
    venuebus__header__init (header);
    venuebus__trade__init (trade);
    venuebus__decimal__init (price);
    venuebus__decimal__init (qty);
    header->venue = "sim";
    header->symbol = "BTC-USDT";
    header->producer = "test";
    header->seq = seq;
    vb_msg_decimal_set (price, (vb_decimal_t){6500012, -2});
    vb_msg_decimal_set (qty, (vb_decimal_t){(int64_t)seq, -3});
    trade->price = price;
    trade->qty = qty;
    trade->trade_id = "t";
    trade->side = VENUEBUS__SIDE__BUY;
    envelope->header = header;
    envelope->body_case = VENUEBUS__ENVELOPE__BODY_TRADE;
    envelope->trade = trade;
}

Test (bus, forwards_every_frame_in_order_to_a_prefix_subscriber)
{
    s_bus_t bus;
    s_bus_start (&bus);
    zsock_t *publisher = zsock_new_pub (NULL);
    zsock_t *subscriber = zsock_new_sub (NULL, NULL);
    cr_assert_eq (zsock_connect (publisher, "%s", bus.frontend), 0);
    cr_assert_eq (zsock_connect (subscriber, "%s", bus.backend), 0);
    zsock_set_subscribe (subscriber, "md.sim.");
    zsock_set_rcvhwm (subscriber, FRAMES * 2);
    zsock_set_sndhwm (publisher, FRAMES * 2);

    Venuebus__Envelope envelope;
    Venuebus__Header header;
    Venuebus__Trade trade;
    Venuebus__Decimal price, qty;
    vb_msg_t *msg = vb_msg_new ();
    zpoller_t *poller = zpoller_new (subscriber, NULL);

    //  The subscription travels SUB -> bus XPUB -> bus XSUB -> PUB; probe
    //  until the first frame arrives instead of sleeping.
    s_trade (&envelope, &header, &trade, &price, &qty, 0);
    int64_t deadline = zclock_mono () + WAIT_MS;
    bool joined = false;
    while (!joined && zclock_mono () < deadline) {
        cr_assert_eq (
            vb_msg_send (zsock_resolve (publisher), "md.sim.BTC-USDT.trade", &envelope, 0), 0);
        if (zpoller_wait (poller, PROBE_MS) == subscriber)
            joined = vb_msg_recv (msg, zsock_resolve (subscriber), 0) == 0;
    }
    cr_assert (joined, "subscription never reached the publisher through the bus");

    //  A topic outside the prefix must not arrive; the numbered ones must.
    s_trade (&envelope, &header, &trade, &price, &qty, 0);
    header.venue = "other";
    cr_assert_eq (vb_msg_send (zsock_resolve (publisher), "md.other.BTC-USDT.trade", &envelope, 0),
                  0);
    for (uint64_t seq = 1; seq <= FRAMES; seq++) {
        s_trade (&envelope, &header, &trade, &price, &qty, seq);
        cr_assert_eq (
            vb_msg_send (zsock_resolve (publisher), "md.sim.BTC-USDT.trade", &envelope, 0), 0);
    }
    uint64_t expected = 1;
    while (expected <= FRAMES) {
        cr_assert_eq (zpoller_wait (poller, WAIT_MS), subscriber, "frame %" PRIu64 " never came",
                      expected);
        cr_assert_eq (vb_msg_recv (msg, zsock_resolve (subscriber), 0), 0);
        const Venuebus__Envelope *got = vb_msg_envelope (msg);
        cr_assert_str_eq (vb_msg_topic (msg), "md.sim.BTC-USDT.trade");
        cr_assert_str_eq (got->header->venue, "sim");
        if (got->header->seq == 0)
            continue;  //  A late probe from the join loop
        cr_assert_eq (got->header->seq, expected, "expected seq %" PRIu64 " got %" PRIu64, expected,
                      got->header->seq);
        cr_assert_eq (got->trade->qty->mantissa, (int64_t)expected);
        cr_assert_eq (got->trade->price->mantissa, 6500012);
        expected++;
    }
    zpoller_destroy (&poller);
    vb_msg_destroy (&msg);
    zsock_destroy (&publisher);
    zsock_destroy (&subscriber);
    cr_assert_eq (vbt_proc_stop (&bus.bus, WAIT_MS), 0, "bus did not stop cleanly on SIGTERM");
}

Test (bus, refuses_to_start_without_a_backend_and_names_the_key)
{
    char *argv[] = {VB_BUS_BIN, "--frontend", "tcp://127.0.0.1:*", NULL};
    vbt_proc_t *bus = vbt_proc_start (VB_BUS_BIN, argv, NULL);
    cr_assert_not_null (bus);
    int status = vbt_proc_wait_exit (bus, WAIT_MS);
    cr_assert_neq (status, 0);
    cr_assert_neq (status, -1, "bus kept running with a missing key");
    cr_assert (strstr (vbt_proc_stderr (bus), "bus/backend") != NULL, "stderr: %s",
               vbt_proc_stderr (bus));
    vbt_proc_stop (&bus, WAIT_MS);
}

Test (bus, refuses_to_start_on_a_bad_endpoint)
{
    char *argv[] = {VB_BUS_BIN,  "--frontend",        "bogus://nowhere",
                    "--backend", "tcp://127.0.0.1:*", NULL};
    vbt_proc_t *bus = vbt_proc_start (VB_BUS_BIN, argv, NULL);
    int status = vbt_proc_wait_exit (bus, WAIT_MS);
    cr_assert (status > 0, "status %d", status);
    cr_assert (strstr (vbt_proc_stderr (bus), "frontend") != NULL, "stderr: %s",
               vbt_proc_stderr (bus));
    vbt_proc_stop (&bus, WAIT_MS);
}

Test (bus, refuses_an_unknown_flag)
{
    char *argv[] = {
        VB_BUS_BIN, "--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*", "--bogus",
        "1",        NULL};
    vbt_proc_t *bus = vbt_proc_start (VB_BUS_BIN, argv, NULL);
    int status = vbt_proc_wait_exit (bus, WAIT_MS);
    cr_assert (status > 0, "status %d", status);
    cr_assert (strstr (vbt_proc_stderr (bus), "bogus") != NULL, "stderr: %s",
               vbt_proc_stderr (bus));
    vbt_proc_stop (&bus, WAIT_MS);
}

//  --------------------------------------------------------------------------
//  Metrics: GET a URL with libcurl until `check` holds for the response, or
//  WAIT_MS passes. The bus refreshes its counters on a timer, so the test
//  polls for the expected value instead of sleeping.

typedef bool (s_check_fn) (const vbt_http_response_t *response, void *arg);

static bool
s_poll_url (const char *url, s_check_fn *check, void *arg, vbt_http_response_t *response)
{
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (zclock_mono () < deadline) {
        if (vbt_http_request ("GET", url, NULL, NULL, WAIT_MS, response) == 0) {
            if (check (response, arg))
                return true;
            vbt_http_response_free (response);
        }
        zclock_sleep (PROBE_MS);  //  Pace the retries; the deadline bounds them
    }
    return false;
}

static bool
s_is_healthy (const vbt_http_response_t *response, void *arg)
{
    (void)arg;
    return response->status == 200 && strcmp (response->body, "ok\n") == 0;
}

//  True when the body holds every line of the NUL-separated list in arg.
static bool
s_has_lines (const vbt_http_response_t *response, void *arg)
{
    for (const char *line = (const char *)arg; *line; line += strlen (line) + 1)
        if (!strstr (response->body, line))
            return false;
    return true;
}

Test (bus, serves_metrics_that_count_every_frame_and_health)
{
    char *argv[] = {
        VB_BUS_BIN,  "--frontend",  "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*",
        "--metrics", "127.0.0.1:0", "--stats-interval",  "100ms",     NULL};
    vbt_proc_t *bus = vbt_proc_start (VB_BUS_BIN, argv, NULL);
    cr_assert_not_null (bus);
    char line[1024], frontend[ENDPOINT_MAX], backend[ENDPOINT_MAX], address[ENDPOINT_MAX];
    cr_assert_eq (vbt_proc_wait_line (bus, "ready ", WAIT_MS, line, sizeof line), 0,
                  "bus never said ready; stderr: %s", vbt_proc_stderr (bus));
    cr_assert_eq (vbt_line_value (line, "frontend", frontend, sizeof frontend), 0);
    cr_assert_eq (vbt_line_value (line, "backend", backend, sizeof backend), 0);
    cr_assert_eq (
        vbt_proc_wait_stderr_line (bus, "metrics listening address=", WAIT_MS, line, sizeof line),
        0, "no metrics address logged; stderr: %s", vbt_proc_stderr (bus));
    cr_assert_eq (vbt_line_value (line, "address", address, sizeof address), 0);
    cr_assert (strncmp (address, "127.0.0.1:", 10) == 0 && strcmp (address, "127.0.0.1:0") != 0,
               "%s", address);
    char metrics_url[ENDPOINT_MAX + 32], health_url[ENDPOINT_MAX + 32];
    snprintf (metrics_url, sizeof metrics_url, "http://%s/metrics", address);
    snprintf (health_url, sizeof health_url, "http://%s/healthz", address);

    //  Healthy once the proxy answers its first STATISTICS.
    vbt_http_response_t response;
    cr_assert (s_poll_url (health_url, s_is_healthy, NULL, &response), "never healthy");
    vbt_http_response_free (&response);

    //  Send raw frames through the bus and count, on the subscriber's side,
    //  exactly how many frames and bytes went through: with one subscriber
    //  that takes every topic, what the bus took in is what it sent out.
    zsock_t *publisher = zsock_new_pub (NULL);
    zsock_t *subscriber = zsock_new_sub (NULL, "md.");
    cr_assert_eq (zsock_connect (publisher, "%s", frontend), 0);
    cr_assert_eq (zsock_connect (subscriber, "%s", backend), 0);
    zpoller_t *poller = zpoller_new (subscriber, NULL);
    uint64_t frames = 0, bytes = 0;
    bool joined = false;
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (!joined && zclock_mono () < deadline) {
        zstr_send (publisher, "md.probe");
        joined = zpoller_wait (poller, PROBE_MS) == subscriber;
    }
    cr_assert (joined, "subscription never reached the publisher through the bus");
    enum { NUMBERED = 100 };
    for (int index = 0; index < NUMBERED; index++)
        zstr_sendf (publisher, "md.frame %d", index);
    zstr_send (publisher, "md.last");
    bool last = false;
    while (!last) {
        cr_assert_eq (zpoller_wait (poller, WAIT_MS), subscriber, "frames stopped coming");
        zframe_t *frame = zframe_recv (subscriber);
        cr_assert_not_null (frame);
        frames++;
        bytes += zframe_size (frame);
        last = zframe_streq (frame, "md.last");
        zframe_destroy (&frame);
    }
    cr_assert_geq (frames, NUMBERED + 2);

    //  The counters catch up on the next refresh (every 100 ms here).
    char expected[1024];
    int length = snprintf (expected, sizeof expected,
                           "venuebus_bus_frames_total{direction=\"in\"} %" PRIu64 "\n%c"
                           "venuebus_bus_frames_total{direction=\"out\"} %" PRIu64 "\n%c"
                           "venuebus_bus_bytes_total{direction=\"in\"} %" PRIu64 "\n%c"
                           "venuebus_bus_bytes_total{direction=\"out\"} %" PRIu64 "\n%c"
                           "# TYPE venuebus_bus_frames_total counter\n%c"
                           "# TYPE venuebus_bus_bytes_total counter\n%c"
                           "venuebus_up{service=\"bus\"} 1\n%c"
                           "venuebus_healthy{service=\"bus\"} 1\n%c"
                           "# TYPE process_start_time_seconds gauge\n%c",
                           frames, 0, frames, 0, bytes, 0, bytes, 0, 0, 0, 0, 0, 0);
    cr_assert (length > 0 && (size_t)length < sizeof expected - 1);
    expected[length] = 0;  //  The list ends with an empty string
    bool counted = s_poll_url (metrics_url, s_has_lines, expected, &response);
    cr_assert (counted, "metrics never showed frames=%" PRIu64 " bytes=%" PRIu64, frames, bytes);
    char content_type[256];
    cr_assert_eq (vbt_http_header (&response, "Content-Type", content_type, sizeof content_type),
                  0);
    cr_assert (strncmp (content_type, "text/plain; version=0.0.4", 25) == 0, "%s", content_type);
    vbt_http_response_free (&response);

    //  Other paths are 404.
    char other_url[ENDPOINT_MAX + 32];
    snprintf (other_url, sizeof other_url, "http://%s/nope", address);
    cr_assert_eq (vbt_http_request ("GET", other_url, NULL, NULL, WAIT_MS, &response), 0);
    cr_assert_eq (response.status, 404);
    vbt_http_response_free (&response);

    zpoller_destroy (&poller);
    zsock_destroy (&publisher);
    zsock_destroy (&subscriber);
    cr_assert_eq (vbt_proc_stop (&bus, WAIT_MS), 0, "bus did not stop cleanly on SIGTERM");
}

Test (bus, refuses_to_start_on_a_bad_metrics_address)
{
    char *argv[] = {VB_BUS_BIN,          "--frontend", "tcp://127.0.0.1:*",  "--backend",
                    "tcp://127.0.0.1:*", "--metrics",  "127.0.0.1:notaport", NULL};
    vbt_proc_t *bus = vbt_proc_start (VB_BUS_BIN, argv, NULL);
    cr_assert_not_null (bus);
    int status = vbt_proc_wait_exit (bus, WAIT_MS);
    cr_assert (status > 0, "status %d", status);
    cr_assert (strstr (vbt_proc_stderr (bus), "bus/metrics") != NULL, "stderr: %s",
               vbt_proc_stderr (bus));
    vbt_proc_stop (&bus, WAIT_MS);
}
