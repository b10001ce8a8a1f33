/*  test_rt_grants.c — the grants endpoint, driven by a DEALER client as a gateway would.

    The rate-limit authority runs on a manual clock with the real Binance
    table: REQUEST_WEIGHT 4800 per 60 s, burst 1000, so one unit takes
    60 s / 4800 = 12.5 ms to drain (venues/binance/exec.c, vb_ratelimit.h).
    Waits are on sockets (zmq_poll with a generous bound), never sleeps.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <string.h>

#include "rt_grants.h"
#include "vb_error.h"
#include "vb_msg.h"

#define START_NS VB_NS_PER_SEC
#define UNIT_NS  (VB_NS_PER_MS * 25 / 2)  //  One REQUEST_WEIGHT unit
#define WAIT_MS  5000                     //  Bound on any socket wait
#define TAG_OP   1

static vb_clock_t *clock_;
static rt_limits_t *limits;
static rt_grants_t *grants;
static zsock_t *client;
static vb_msg_t *decoder;
static int account;

static void
s_start (size_t queue_capacity)
{
    const vb_exec_ops_t *ops = vb_exec_venue_find ("binance");
    cr_assert_not_null (ops);
    size_t count = 0;
    const vb_exec_bucket_t *buckets = ops->buckets (&count);
    clock_ = vb_clock_new_manual (START_NS, 0);
    limits = rt_limits_new (clock_, queue_capacity, 0);
    account = rt_limits_add_account (limits, "binance", "main", buckets, count);
    cr_assert_eq (account, 0);
    char error[256] = "";
    grants = rt_grants_new ("tcp://127.0.0.1:*", limits, error, sizeof (error));
    cr_assert_not_null (grants, "%s", error);
    client = zsock_new_dealer (rt_grants_endpoint (grants));
    cr_assert_not_null (client);
    zsock_set_rcvtimeo (client, WAIT_MS);
    decoder = vb_msg_new ();
}

static void
setup (void)
{
    s_start (64);
}

static void
teardown (void)
{
    vb_msg_destroy (&decoder);
    zsock_destroy (&client);
    rt_grants_destroy (&grants);
    rt_limits_destroy (&limits);
    vb_clock_destroy (&clock_);
}

//  Send a GrantRequest from the client.
static void
s_ask (uint64_t request_id, const char *venue, uint32_t weight)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__GrantRequest request = VENUEBUS__GRANT_REQUEST__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    header.producer = "gateway.binance.0";
    request.request_id = request_id;
    request.venue = (char *)venue;
    request.weight = weight;
    request.purpose = "snapshot";
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_GRANT_REQUEST;
    envelope.grant_request = &request;
    cr_assert_eq (vb_msg_send_bare (client, &envelope, 0), 0);
}

//  Send a report (weight 0).
static void
s_report (uint64_t request_id, uint64_t used_weight, int64_t retry_after_ms, bool banned)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__GrantRequest request = VENUEBUS__GRANT_REQUEST__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    request.request_id = request_id;
    request.venue = "binance";
    request.used_weight = used_weight;
    request.retry_after_ms = retry_after_ms;
    request.banned = banned;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_GRANT_REQUEST;
    envelope.grant_request = &request;
    cr_assert_eq (vb_msg_send_bare (client, &envelope, 0), 0);
}

//  Let the endpoint read `count` messages.
static void
s_serve (int count)
{
    int read = 0;
    while (read < count) {
        zmq_pollitem_t item = {rt_grants_socket (grants), 0, ZMQ_POLLIN, 0};
        cr_assert_eq (zmq_poll (&item, 1, WAIT_MS), 1, "the endpoint got %d of %d", read, count);
        read += rt_grants_recv (grants);
    }
    cr_assert_eq (read, count);
}

//  Receive the next Grant on the client.
static const Venuebus__Grant *
s_grant (void)
{
    cr_assert_eq (vb_msg_recv_bare (decoder, client, 0), 0, "no Grant came");
    const Venuebus__Envelope *envelope = vb_msg_envelope (decoder);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_GRANT);
    return envelope->grant;
}

//  True when a message waits on the client now.
static bool
s_client_has_message (void)
{
    zmq_pollitem_t item = {zsock_resolve (client), 0, ZMQ_POLLIN, 0};
    return zmq_poll (&item, 1, 0) == 1;
}

//  Take `weight` on the ip bucket for the router's own request.
static void
s_fill (int64_t weight)
{
    static int user;
    vb_exec_cost_t cost = {.bucket = 0, .weight = weight};
    cr_assert_eq (rt_limits_submit (limits, account, VB_EXEC_PRIO_QUERY, &cost, 1, TAG_OP, &user),
                  0);
}

Test (rt_grants, grants_at_once_when_the_weight_fits, .init = setup, .fini = teardown)
{
    s_ask (7, "binance", 20);
    s_serve (1);
    const Venuebus__Grant *grant = s_grant ();
    cr_assert_eq (grant->request_id, 7);
    cr_assert (grant->granted);
    cr_assert_str_eq (vb_msg_envelope (decoder)->header->venue, "binance");
    rt_limits_usage_t usage;
    cr_assert_eq (rt_limits_usage (limits, 0, &usage), 0);
    cr_assert_str_eq (usage.bucket, "binance.ip.request_weight_1m");
    cr_assert_eq (usage.used, 20);
    rt_grants_stats_t stats;
    rt_grants_stats (grants, &stats);
    cr_assert_eq (stats.requests, 1);
    cr_assert_eq (stats.granted, 1);
    cr_assert_eq (stats.refused + stats.reports + stats.malformed, 0);
    cr_assert (strncmp (rt_grants_endpoint (grants), "tcp://127.0.0.1:", 16) == 0);
}

Test (rt_grants, grants_later_when_the_bucket_has_drained, .init = setup, .fini = teardown)
{
    s_fill (1000);
    s_ask (8, "binance", 5);
    s_serve (1);
    cr_assert_not (s_client_has_message (), "nothing may go yet");
    //  5 units drain in 5 * 12.5 ms
    cr_assert_eq (rt_limits_wait_ns (limits), 5 * UNIT_NS);
    cr_assert_eq (vb_clock_advance (clock_, 5 * UNIT_NS), 0);
    int tag = 0;
    void *user = rt_limits_next (limits, &tag);
    cr_assert_not_null (user);
    cr_assert_eq (tag, RT_GRANTS_TAG);
    rt_grants_granted (grants, user);
    const Venuebus__Grant *grant = s_grant ();
    cr_assert_eq (grant->request_id, 8);
    cr_assert (grant->granted);
    cr_assert_null (rt_limits_next (limits, &tag));
}

Test (rt_grants, applies_reports_of_usage_and_of_bans, .init = setup, .fini = teardown)
{
    s_report (1, 900, 0, false);
    s_serve (1);
    rt_limits_usage_t usage;
    cr_assert_eq (rt_limits_usage (limits, 0, &usage), 0);
    cr_assert_eq (usage.used, 900);
    //  A 429's Retry-After stops the venue; a 418 makes it a ban
    s_report (2, 0, 30000, true);
    s_serve (1);
    cr_assert (rt_limits_blocked (limits, account, NULL));
    cr_assert_eq (rt_limits_usage (limits, 0, &usage), 0);
    cr_assert (usage.banned);
    cr_assert_eq (usage.blocked_until_ns, START_NS + 30 * VB_NS_PER_SEC);
    rt_grants_stats_t stats;
    rt_grants_stats (grants, &stats);
    cr_assert_eq (stats.reports, 2);
    //  Reports get no answer; a request during the ban is refused at once
    //  with the time left
    cr_assert_eq (vb_clock_advance (clock_, 10 * VB_NS_PER_SEC), 0);
    s_ask (3, "binance", 1);
    s_serve (1);
    const Venuebus__Grant *grant = s_grant ();
    cr_assert_eq (grant->request_id, 3, "the reports were not answered");
    cr_assert_not (grant->granted);
    cr_assert_eq (grant->retry_after_ms, 20000);
    cr_assert (strstr (grant->detail, "banned"), "%s", grant->detail);
    //  A bad report is refused
    s_report (4, 0, -1, false);
    s_serve (1);
    grant = s_grant ();
    cr_assert_eq (grant->request_id, 4);
    cr_assert_not (grant->granted);
}

Test (rt_grants, refuses_or_drops_hostile_messages_and_keeps_serving, .init = setup,
      .fini = teardown)
{
    //  Garbage and an empty frame (dropped: no readable request id)
    const char garbage[] = "\x0a\xff\xff\xff\xff\x0f not an envelope";
    cr_assert_eq (zmq_send (zsock_resolve (client), garbage, sizeof (garbage) - 1, 0),
                  (int)sizeof (garbage) - 1);
    cr_assert_eq (zmq_send (zsock_resolve (client), "", 0, 0), 0);
    //  A REQ-style empty delimiter before the envelope
    cr_assert_eq (zmq_send (zsock_resolve (client), "", 0, ZMQ_SNDMORE), 0);
    s_ask (99, "binance", 1);
    //  A wrong body case: a Grant sent to the endpoint
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__Grant wrong = VENUEBUS__GRANT__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_GRANT;
    envelope.grant = &wrong;
    wrong.request_id = 98;
    cr_assert_eq (vb_msg_send_bare (client, &envelope, 0), 0);
    s_serve (4);
    rt_grants_stats_t stats;
    rt_grants_stats (grants, &stats);
    cr_assert_eq (stats.malformed, 4);
    cr_assert_eq (stats.refused + stats.granted, 0);

    //  Readable requests that are wrong get a refusal with a detail
    Venuebus__Header request_header = VENUEBUS__HEADER__INIT;
    Venuebus__GrantRequest request = VENUEBUS__GRANT_REQUEST__INIT;
    envelope.header = &request_header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_GRANT_REQUEST;
    envelope.grant_request = &request;
    request.request_id = 10;
    request.venue = "binance";
    request.weight = 1;
    cr_assert_eq (vb_msg_send_bare (client, &envelope, ZMQ_SNDMORE), 0);
    cr_assert_eq (zsock_send (client, "s", "trailer"), 0);
    s_ask (11, "", 1);
    s_ask (12, "binance", UINT32_MAX);
    s_ask (13, "binance", 1001);
    s_ask (14, "okx", 1);
    s_ask (15, "a-venue-name-much-longer-than-any-real-one", 1);
    //  ... and the endpoint still serves
    s_ask (16, "binance", 1);
    s_serve (7);
    struct {
        uint64_t id;
        const char *detail;
    } expected[] = {{10, "expected one frame"}, {11, "empty venue"},   {12, "never fit"},
                    {13, "never fit"},          {14, "unknown venue"}, {15, "longer than"}};
    for (size_t i = 0; i < sizeof (expected) / sizeof (expected[0]); i++) {
        const Venuebus__Grant *grant = s_grant ();
        cr_assert_eq (grant->request_id, expected[i].id);
        cr_assert_not (grant->granted);
        cr_assert (strstr (grant->detail, expected[i].detail), "id %zu: %s",
                   (size_t)grant->request_id, grant->detail);
    }
    const Venuebus__Grant *grant = s_grant ();
    cr_assert_eq (grant->request_id, 16);
    cr_assert (grant->granted);
    rt_grants_stats (grants, &stats);
    cr_assert_eq (stats.malformed, 4 + 3);
    cr_assert_eq (stats.refused, 6);
    cr_assert_eq (stats.granted, 1);
}

Test (rt_grants, refuses_with_a_retry_when_the_pool_is_full)
{
    s_start (2 * RT_GRANTS_PENDING_MAX);
    s_fill (1000);
    for (int i = 0; i < RT_GRANTS_PENDING_MAX + 1; i++)
        s_ask ((uint64_t)i, "binance", 1);
    s_serve (RT_GRANTS_PENDING_MAX + 1);
    const Venuebus__Grant *grant = s_grant ();
    cr_assert_eq (grant->request_id, RT_GRANTS_PENDING_MAX);
    cr_assert_not (grant->granted);
    cr_assert_eq (grant->retry_after_ms, RT_GRANTS_RETRY_MS);
    cr_assert (strstr (grant->detail, "pending"), "%s", grant->detail);
    rt_limits_usage_t usage;
    cr_assert_eq (rt_limits_usage (limits, 0, &usage), 0);
    cr_assert_eq (usage.queue_depth, RT_GRANTS_PENDING_MAX);
    //  Destroying the endpoint takes its pending grants out of the queue
    rt_grants_destroy (&grants);
    rt_grants_destroy (&grants);
    cr_assert_eq (rt_limits_wait_ns (limits), -1);
    teardown ();
}

Test (rt_grants, refuses_with_a_retry_when_the_lane_is_full)
{
    s_start (1);
    s_fill (1000);
    s_ask (1, "binance", 1);
    s_ask (2, "binance", 1);
    s_serve (2);
    const Venuebus__Grant *grant = s_grant ();
    cr_assert_eq (grant->request_id, 2);
    cr_assert_not (grant->granted);
    cr_assert_eq (grant->retry_after_ms, RT_GRANTS_RETRY_MS);
    teardown ();
}

Test (rt_grants, reports_a_bind_failure)
{
    vb_clock_t *clock = vb_clock_new_manual (0, 0);
    rt_limits_t *authority = rt_limits_new (clock, 4, 0);
    char error[256] = "";
    cr_assert_null (
        rt_grants_new ("tcp://no-such-host.invalid:1", authority, error, sizeof (error)));
    cr_assert (strstr (error, "cannot bind"), "%s", error);
    cr_assert_null (rt_grants_new ("", authority, error, sizeof (error)));
    rt_limits_destroy (&authority);
    vb_clock_destroy (&clock);
}
