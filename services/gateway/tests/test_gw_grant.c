/*  test_gw_grant.c — REST grants from the local budget and from the router's grants endpoint.

    The router is faked by a ROUTER socket in the test, which reads the
    gateway's GrantRequests and answers (or not) as the test says. Time
    (the local budget and the router timeout) comes from a manual clock;
    waits are on sockets with a generous bound, never sleeps.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <inttypes.h>

#include "gw_grant.h"
#include "vb_error.h"
#include "vb_msg.h"

Test (gw_grant, grants_within_the_burst_then_makes_the_rest_wait)
{
    //  10 weight per minute, 5 at once: weights 2 and 3 go now, 1 more waits
    //  for 6 s (one unit per 60 s / 10).
    gw_grant_t *grant = gw_grant_new (10, 60000, 5, 16);
    cr_assert_not_null (grant);
    int a = 1, b = 2, c = 3;
    cr_assert_eq (gw_grant_request (grant, 2, &a), 0);
    cr_assert_eq (gw_grant_request (grant, 3, &b), 0);
    cr_assert_eq (gw_grant_request (grant, 1, &c), 0);
    cr_assert_eq (gw_grant_next (grant), &a);
    cr_assert_eq (gw_grant_next (grant), &b);
    cr_assert_null (gw_grant_next (grant));
    int64_t wait_ms = gw_grant_wait_ms (grant);
    cr_assert (wait_ms > 0 && wait_ms <= 6000, "wait %" PRId64 " ms", wait_ms);
    cr_assert_eq (gw_grant_drop (grant), &c);
    cr_assert_eq (gw_grant_wait_ms (grant), -1);
    gw_grant_destroy (&grant);
    gw_grant_destroy (&grant);
}

Test (gw_grant, refuses_weights_it_can_never_grant_and_bad_budgets)
{
    gw_grant_t *grant = gw_grant_new (10, 60000, 5, 1);
    int a = 1, b = 2;
    cr_assert_eq (gw_grant_request (grant, 6, &a), VB_ELIMIT);
    cr_assert_eq (gw_grant_request (grant, 0, &a), VB_EINVAL);
    cr_assert_eq (gw_grant_request (grant, 1, NULL), VB_EINVAL);
    cr_assert_eq (gw_grant_request (grant, 1, &a), 0);
    cr_assert_eq (gw_grant_request (grant, 1, &b), VB_EAGAIN, "queue of one is full");
    gw_grant_destroy (&grant);
    cr_assert_null (gw_grant_new (0, 60000, 5, 1));
    cr_assert_null (gw_grant_new (10, 0, 5, 1));
    cr_assert_null (gw_grant_new (10, 60000, 0, 1));
    cr_assert_null (gw_grant_new (10, 60000, 5, 0));
}

Test (gw_grant, holds_every_grant_back_after_a_rate_limit_answer)
{
    gw_grant_t *grant = gw_grant_new (100, 1000, 100, 4);
    int a = 1;
    cr_assert_eq (gw_grant_block (grant, 30000), 0);
    cr_assert_eq (gw_grant_request (grant, 1, &a), 0);
    cr_assert_null (gw_grant_next (grant));
    cr_assert_gt (gw_grant_wait_ms (grant), 29000);
    cr_assert_eq (gw_grant_block (grant, -1), VB_EINVAL);
    gw_grant_drop (grant);
    gw_grant_destroy (&grant);
}

//  --------------------------------------------------------------------------
//  With the router's grants endpoint

#define WAIT_MS    5000  //  Bound on any socket wait
#define TIMEOUT_MS 2000  //  The gateway's wait for a Grant

static vb_clock_t *clock_;
static zsock_t *router;    //  The fake grants endpoint
static vb_msg_t *decoder;  //  Decodes what the gateway sent
static gw_grant_t *grant;  //  10 weight per minute, 5 at once, 16 queued
static zframe_t *peer;     //  Routing id of the last request

static void
setup (void)
{
    clock_ = vb_clock_new_manual (VB_NS_PER_SEC, 0);
    router = zsock_new (ZMQ_ROUTER);
    cr_assert_not_null (router);
    cr_assert_geq (zsock_bind (router, "tcp://127.0.0.1:*"), 0);
    zsock_set_rcvtimeo (router, WAIT_MS);
    decoder = vb_msg_new ();
    grant = gw_grant_new_with_clock (10, 60000, 5, 16, clock_);
    cr_assert_not_null (grant);
    cr_assert_eq (gw_grant_set_router (grant, zsock_endpoint (router), "binance", TIMEOUT_MS), 0);
}

static void
teardown (void)
{
    zframe_destroy (&peer);
    gw_grant_destroy (&grant);
    vb_msg_destroy (&decoder);
    zsock_destroy (&router);
    vb_clock_destroy (&clock_);
}

//  The next GrantRequest the fake router reads; its routing id is kept in peer.
static const Venuebus__GrantRequest *
s_router_read (void)
{
    zmsg_t *message = zmsg_recv (router);
    cr_assert_not_null (message, "the router got nothing");
    cr_assert_eq (zmsg_size (message), 2);
    zframe_destroy (&peer);
    peer = zmsg_pop (message);
    zframe_t *body = zmsg_pop (message);
    cr_assert_eq (vb_msg_decode_bare (decoder, zframe_data (body), zframe_size (body)), 0);
    zframe_destroy (&body);
    zmsg_destroy (&message);
    const Venuebus__Envelope *envelope = vb_msg_envelope (decoder);
    cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_GRANT_REQUEST);
    return envelope->grant_request;
}

//  The fake router answers the last peer.
static void
s_router_answer (uint64_t request_id, bool granted, int64_t retry_after_ms, const char *detail)
{
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    Venuebus__Grant answer = VENUEBUS__GRANT__INIT;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    answer.request_id = request_id;
    answer.granted = granted;
    answer.retry_after_ms = retry_after_ms;
    answer.detail = (char *)detail;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_GRANT;
    envelope.grant = &answer;
    cr_assert_eq (zframe_send (&peer, router, ZFRAME_MORE + ZFRAME_REUSE), 0);
    cr_assert_eq (vb_msg_send_bare (router, &envelope, 0), 0);
}

//  Wait until the gateway's socket has something to read.
static void
s_gateway_wait (void)
{
    zmq_pollitem_t item = {gw_grant_socket (grant), 0, ZMQ_POLLIN, 0};
    cr_assert_eq (zmq_poll (&item, 1, WAIT_MS), 1, "no answer reached the gateway");
}

Test (gw_grant, grants_through_the_router, .init = setup, .fini = teardown)
{
    int a = 1;
    cr_assert_eq (gw_grant_request (grant, 3, &a), 0);
    cr_assert_eq (gw_grant_wait_ms (grant), GW_GRANT_POLL_MS, "polls while the router decides");
    const Venuebus__GrantRequest *request = s_router_read ();
    cr_assert_str_eq (request->venue, "binance");
    cr_assert_eq (request->weight, 3);
    uint64_t id = request->request_id;
    cr_assert_null (gw_grant_next (grant));
    s_router_answer (id, true, 0, "");
    s_gateway_wait ();
    cr_assert_eq (gw_grant_next (grant), &a);
    cr_assert_eq (gw_grant_wait_ms (grant), -1);
    gw_grant_stats_t stats;
    gw_grant_stats (grant, &stats);
    cr_assert_eq (stats.router_requests, 1);
    cr_assert_eq (stats.router_granted, 1);
    cr_assert_eq (stats.fallbacks + stats.router_refused + stats.stray, 0);
}

Test (gw_grant, falls_back_to_the_local_budget_when_the_router_does_not_answer, .init = setup,
      .fini = teardown)
{
    int a = 1, b = 2, c = 3;
    cr_assert_eq (gw_grant_request (grant, 3, &a), 0);
    uint64_t first = s_router_read ()->request_id;
    cr_assert_eq (vb_clock_advance (clock_, TIMEOUT_MS * VB_NS_PER_MS - 1), 0);
    cr_assert_null (gw_grant_next (grant));
    cr_assert_eq (vb_clock_advance (clock_, 1), 0);
    cr_assert_eq (gw_grant_next (grant), &a, "weight 3 fits the local burst of 5");
    //  The router counts as down: the next request goes local at once
    cr_assert_eq (gw_grant_request (grant, 1, &b), 0);
    cr_assert_eq (gw_grant_next (grant), &b);
    gw_grant_stats_t stats;
    gw_grant_stats (grant, &stats);
    cr_assert_eq (stats.router_requests, 1);
    cr_assert_eq (stats.fallbacks, 2);
    //  A late Grant for the first request is stray: its weight came locally
    s_router_answer (first, true, 0, "");
    //  One timeout later a request probes the router again, and its Grant
    //  brings the router back
    cr_assert_eq (vb_clock_advance (clock_, TIMEOUT_MS * VB_NS_PER_MS), 0);
    cr_assert_eq (gw_grant_request (grant, 1, &c), 0);
    const Venuebus__GrantRequest *probe = s_router_read ();
    cr_assert_neq (probe->request_id, first);
    s_router_answer (probe->request_id, true, 0, "");
    s_gateway_wait ();
    void *user = gw_grant_next (grant);
    if (!user) {
        //  Both Grants may not have arrived together: wait for the second
        s_gateway_wait ();
        user = gw_grant_next (grant);
    }
    cr_assert_eq (user, &c);
    gw_grant_stats (grant, &stats);
    cr_assert_eq (stats.router_requests, 2);
    cr_assert_eq (stats.router_granted, 1);
    cr_assert_eq (stats.stray, 1);
    cr_assert_eq (gw_grant_request (grant, 1, &a), 0);
    cr_assert_eq (s_router_read ()->weight, 1, "the router is asked again");
}

Test (gw_grant, falls_back_when_no_router_is_listening)
{
    vb_clock_t *clock = vb_clock_new_manual (0, 0);
    gw_grant_t *alone = gw_grant_new_with_clock (10, 60000, 5, 16, clock);
    cr_assert_eq (gw_grant_set_router (alone, "inproc://gw-grant-nobody", "binance", 0), 0);
    int a = 1;
    cr_assert_eq (gw_grant_request (alone, 2, &a), 0);
    cr_assert_null (gw_grant_next (alone));
    cr_assert_eq (vb_clock_advance (clock, GW_GRANT_TIMEOUT_MS * VB_NS_PER_MS), 0);
    cr_assert_eq (gw_grant_next (alone), &a);
    gw_grant_stats_t stats;
    gw_grant_stats (alone, &stats);
    cr_assert_eq (stats.fallbacks, 1);
    gw_grant_destroy (&alone);
    vb_clock_destroy (&clock);
}

Test (gw_grant, sends_reports_of_rate_limit_answers, .init = setup, .fini = teardown)
{
    cr_assert_eq (gw_grant_report (grant, 950, 30000, true), 0);
    const Venuebus__GrantRequest *report = s_router_read ();
    cr_assert_str_eq (report->venue, "binance");
    cr_assert_eq (report->weight, 0);
    cr_assert_eq (report->used_weight, 950);
    cr_assert_eq (report->retry_after_ms, 30000);
    cr_assert (report->banned);
    cr_assert_eq (gw_grant_report (grant, 0, -1, false), VB_EINVAL);
    gw_grant_stats_t stats;
    gw_grant_stats (grant, &stats);
    cr_assert_eq (stats.reports, 1);
    //  Without a router there is nothing to tell
    gw_grant_t *local = gw_grant_new (10, 60000, 5, 1);
    cr_assert_eq (gw_grant_report (local, 950, 0, false), 0);
    cr_assert_null (gw_grant_socket (local));
    gw_grant_destroy (&local);
}

Test (gw_grant, waits_out_a_refusal_for_now_then_asks_again, .init = setup, .fini = teardown)
{
    int a = 1;
    cr_assert_eq (gw_grant_request (grant, 1, &a), 0);
    uint64_t id = s_router_read ()->request_id;
    s_router_answer (id, false, 1000, "venue binance is rate limited");
    s_gateway_wait ();
    cr_assert_null (gw_grant_next (grant));
    //  Not a timeout: no fallback while the retry is due
    cr_assert_eq (vb_clock_advance (clock_, 999 * VB_NS_PER_MS), 0);
    cr_assert_null (gw_grant_next (grant));
    cr_assert_eq (vb_clock_advance (clock_, VB_NS_PER_MS), 0);
    cr_assert_null (gw_grant_next (grant));
    const Venuebus__GrantRequest *again = s_router_read ();
    cr_assert_eq (again->request_id, id);
    s_router_answer (id, true, 0, "");
    s_gateway_wait ();
    cr_assert_eq (gw_grant_next (grant), &a);
    gw_grant_stats_t stats;
    gw_grant_stats (grant, &stats);
    cr_assert_eq (stats.router_requests, 2);
    cr_assert_eq (stats.router_refused, 1);
    cr_assert_eq (stats.fallbacks, 0);
}

Test (gw_grant, falls_back_on_a_refusal_for_good_and_ignores_stray_answers, .init = setup,
      .fini = teardown)
{
    int a = 1;
    cr_assert_eq (gw_grant_request (grant, 1, &a), 0);
    uint64_t id = s_router_read ()->request_id;
    //  Garbage and a Grant for nothing come first
    cr_assert_eq (zframe_send (&peer, router, ZFRAME_MORE + ZFRAME_REUSE), 0);
    cr_assert_eq (zsock_send (router, "s", "garbage"), 0);
    s_router_answer (id + 100, true, 0, "");
    s_router_answer (id, false, 0, "unknown venue binance");
    s_gateway_wait ();
    void *user = NULL;
    for (int i = 0; i < 3 && !user; i++) {
        user = gw_grant_next (grant);
        if (!user && i < 2)
            s_gateway_wait ();
    }
    cr_assert_eq (user, &a);
    gw_grant_stats_t stats;
    gw_grant_stats (grant, &stats);
    cr_assert_eq (stats.stray, 2);
    cr_assert_eq (stats.router_refused, 1);
    cr_assert_eq (stats.fallbacks, 1);
}

Test (gw_grant, drops_pending_router_requests_and_refuses_bad_routers, .init = setup,
      .fini = teardown)
{
    int a = 1, b = 2;
    cr_assert_eq (gw_grant_request (grant, 1, &a), 0);
    cr_assert_eq (gw_grant_request (grant, 6, &b), VB_ELIMIT, "above the local burst");
    cr_assert_eq (gw_grant_drop (grant), &a);
    cr_assert_null (gw_grant_drop (grant));
    cr_assert_eq (gw_grant_wait_ms (grant), -1);
    cr_assert_eq (gw_grant_set_router (grant, "tcp://127.0.0.1:1", "binance", 0), VB_ESTATE);

    gw_grant_t *other = gw_grant_new (10, 60000, 5, 1);
    cr_assert_eq (gw_grant_set_router (other, "", "binance", 0), VB_EINVAL);
    cr_assert_eq (gw_grant_set_router (other, "tcp://127.0.0.1:1", "", 0), VB_EINVAL);
    cr_assert_eq (gw_grant_set_router (other, "tcp://127.0.0.1:1", "binance", -1), VB_EINVAL);
    cr_assert_eq (gw_grant_set_router (other, "not an endpoint", "binance", 0), VB_EINVAL);
    cr_assert_eq (gw_grant_set_router (other, "tcp://127.0.0.1:1", "binance", 0), 0,
                  "a failed attempt leaves nothing behind");
    //  The queue bound counts router requests too
    cr_assert_eq (gw_grant_request (other, 1, &a), 0);
    cr_assert_eq (gw_grant_request (other, 1, &b), VB_EAGAIN);
    cr_assert_eq (gw_grant_drop (other), &a);
    gw_grant_destroy (&other);
}
