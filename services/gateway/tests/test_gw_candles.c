/*  test_gw_candles.c — candle history requests: parsing, jobs and replies.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>

#include "gw_candles.h"
#include "vb_error.h"
#include "vb_msg.h"

static const char *const s_symbols[] = {"BTC-USDT", "ETH-USDT"};
#define S_MINUTE_NS 60000000000LL

//  Parse text against venue binance and the two symbols above.
static int
s_parse (const char *text, gw_candles_query_t *query, char *error)
{
    return gw_candles_parse (text, strlen (text), "binance", s_symbols, 2, query, error,
                             GW_CANDLES_ERROR_MAX);
}

//  A request message as the snapshot actor hands it over: routing frame,
//  request frame.
static zmsg_t *
s_request (const char *text)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "peer-identity");
    zmsg_addstr (msg, text);
    return msg;
}

//  A candle opening at minute `minute` (close one minute later), prices
//  given as decimal text.
static vb_md_candle_t
s_candle (int64_t minute, const char *price)
{
    vb_md_candle_t candle = {0};
    candle.interval = "1m";
    candle.open_ts_ns = minute * S_MINUTE_NS;
    candle.close_ts_ns = candle.open_ts_ns + S_MINUTE_NS;
    cr_assert_eq (vb_decimal_parse (price, strlen (price), &candle.open), 0);
    candle.high = candle.low = candle.close = candle.open;
    cr_assert_eq (vb_decimal_parse ("1.5", 3, &candle.volume), 0);
    candle.trades = 3;
    candle.closed = true;
    return candle;
}

Test (gw_candles, parses_a_request_and_answers_it_with_candles_then_end)
{
    gw_candles_query_t query;
    char error[GW_CANDLES_ERROR_MAX];
    //  Minutes 10 .. 12 (ms: 600000 .. 780000, to exclusive).
    const char *text = "CANDLES binance BTC-USDT 1m 600000 780000";
    cr_assert (gw_candles_is_request (text, strlen (text)));
    cr_assert_eq (s_parse (text, &query, error), 0, "%s", error);
    cr_assert_str_eq (query.symbol, "BTC-USDT");
    cr_assert_str_eq (query.interval, "1m");
    cr_assert_eq (query.interval_ms, 60000);
    cr_assert_eq (query.candles_bound, 3);  //  (780000 - 600000) / 60000

    gw_candles_t *candles = gw_candles_new ("gateway.binance.1");
    cr_assert_not_null (candles);
    zmsg_t *request = s_request (text);
    gw_candles_job_t *job = gw_candles_start (candles, &request, &query, 2);
    cr_assert_not_null (job);
    cr_assert_null (request);
    cr_assert_eq (gw_candles_find (candles, gw_candles_tag (job)), job);
    //  Two pages, overlapping, out of order, with candles outside the range.
    vb_md_candle_t page1[] = {s_candle (11, "101.5"), s_candle (9, "99"), s_candle (10, "100")};
    vb_md_candle_t page2[] = {s_candle (12, "102"), s_candle (11, "101.5"), s_candle (13, "103")};
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq (gw_candles_collect (job, &page1[i]), 0);
    cr_assert_not (gw_candles_page_done (job, NULL));
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq (gw_candles_collect (job, &page2[i]), 0);
    cr_assert (gw_candles_page_done (job, NULL));

    zmsg_t *peer = NULL, *frames = NULL;
    cr_assert_eq (gw_candles_reply (candles, &job, 42, &peer, &frames), 0);
    cr_assert_null (job);
    cr_assert_eq (gw_candles_size (candles), 0);
    cr_assert_eq (zmsg_size (peer), 2, "the routing frame is kept");
    cr_assert_eq (zmsg_size (frames), 4, "minutes 10, 11, 12 and END");
    vb_msg_t *msg = vb_msg_new ();
    const char *opens[] = {"100", "101.5", "102"};
    for (int i = 0; i < 3; i++) {
        zframe_t *frame = zmsg_pop (frames);
        cr_assert_eq (vb_msg_decode (msg, zframe_data (frame), zframe_size (frame)), 0);
        zframe_destroy (&frame);
        const Venuebus__Envelope *envelope = vb_msg_envelope (msg);
        cr_assert_str_eq (vb_msg_topic (msg), "md.binance.BTC-USDT.candle.1m");
        cr_assert_eq (envelope->body_case, VENUEBUS__ENVELOPE__BODY_CANDLE);
        cr_assert_eq (envelope->header->seq, (uint64_t)i + 1);
        cr_assert_eq (envelope->header->recv_ts_ns, 42);
        cr_assert_eq (envelope->candle->open_ts_ns, (10 + i) * S_MINUTE_NS);
        cr_assert (envelope->candle->backfilled);
        vb_decimal_t open, expected;
        cr_assert_eq (vb_msg_decimal_get (envelope->candle->open, &open), 0);
        cr_assert_eq (vb_decimal_parse (opens[i], strlen (opens[i]), &expected), 0);
        cr_assert_eq (vb_decimal_cmp (open, expected), 0);
    }
    char *end = zmsg_popstr (frames);
    cr_assert_str_eq (end, "END binance BTC-USDT 1m 600000 780000 3");
    zstr_free (&end);
    vb_msg_destroy (&msg);
    zmsg_destroy (&frames);
    zmsg_destroy (&peer);
    gw_candles_destroy (&candles);
    gw_candles_destroy (&candles);
}

Test (gw_candles, names_what_is_wrong_with_a_bad_request)
{
    gw_candles_query_t query;
    char error[GW_CANDLES_ERROR_MAX];
    struct {
        const char *text;
        const char *reply;  //  Start of the ERROR reply
    } cases[] = {
        {"CANDLES", "ERROR unknown-request "},
        {"CANDLES binance BTC-USDT 1m 1", "ERROR unknown-request "},
        {"CANDLES binance BTC-USDT 1m 1 2 3", "ERROR unknown-request "},
        {"CANDLES binance  BTC-USDT 1m 1 2", "ERROR unknown-request "},
        {"CANDLES binance BTC-USDT 1m 1 2 ", "ERROR unknown-request "},
        {"CANDLES binance BTC-USDT 1m -1 2", "ERROR unknown-request "},
        {"CANDLES binance BTC-USDT 1m 1 x", "ERROR unknown-request "},
        {"CANDLES binance BTC-USDT 1m 1 99999999999999999999", "ERROR unknown-request "},
        {"CANDLES kraken BTC-USDT 1m 1 2", "ERROR unknown-venue kraken"},
        {"CANDLES binance DOGE-USDT 1m 1 2", "ERROR unknown-symbol DOGE-USDT"},
        {"CANDLES binance BTC-USDT 1x 1 2", "ERROR unknown-interval 1x"},
        {"CANDLES binance BTC-USDT 0m 1 2", "ERROR unknown-interval 0m"},
        {"CANDLES binance BTC-USDT m 1 2", "ERROR unknown-interval m"},
        {"CANDLES binance BTC-USDT 123456789m 1 2", "ERROR unknown-interval "},
        {"CANDLES binance BTC-USDT 1m 5 5", "ERROR bad-range "},
        {"CANDLES binance BTC-USDT 1m 6 5", "ERROR bad-range "},
        {"CANDLES binance BTC-USDT 1m 0 9999999999999", "ERROR bad-range "},
        //  10001 minutes: one more than GW_CANDLES_MAX.
        {"CANDLES binance BTC-USDT 1m 0 600060000", "ERROR too-many "},
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
        cr_assert_eq (s_parse (cases[i].text, &query, error), -1, "%s", cases[i].text);
        cr_assert_eq (strncmp (error, cases[i].reply, strlen (cases[i].reply)), 0,
                      "%s -> %s, expected %s...", cases[i].text, error, cases[i].reply);
    }
    //  Exactly GW_CANDLES_MAX minutes is allowed.
    cr_assert_eq (s_parse ("CANDLES binance BTC-USDT 1m 0 600000000", &query, error), 0, "%s",
                  error);
    cr_assert_eq (query.candles_bound, GW_CANDLES_MAX);
    //  A NUL inside the frame, and unprintable bytes quoted as '?'.
    const char nul[] = "CANDLES binance BTC-USDT 1m 1\0 2";
    cr_assert_eq (gw_candles_parse (nul, sizeof (nul) - 1, "binance", s_symbols, 2, &query, error,
                                    sizeof (error)),
                  -1);
    cr_assert_eq (s_parse ("CANDLES binance BTC\x01USDT 1m 1 2", &query, error), -1);
    cr_assert_str_eq (error, "ERROR unknown-symbol BTC?USDT is not in this gateway's shard");
    cr_assert_not (gw_candles_is_request ("SNAPSHOT md.binance.BTC-USDT.book", 33));
}

Test (gw_candles, reads_interval_lengths)
{
    //  Hand-computed: 1 s = 1000 ms, 15 min = 900000, 4 h = 14400000,
    //  1 d = 86400000, 1 w = 604800000, 1 M counted as 28 d = 2419200000.
    cr_assert_eq (gw_candles_interval_ms ("1s"), 1000);
    cr_assert_eq (gw_candles_interval_ms ("15m"), 900000);
    cr_assert_eq (gw_candles_interval_ms ("4h"), 14400000);
    cr_assert_eq (gw_candles_interval_ms ("1d"), 86400000);
    cr_assert_eq (gw_candles_interval_ms ("1w"), 604800000);
    cr_assert_eq (gw_candles_interval_ms ("1M"), 2419200000LL);
    cr_assert_eq (gw_candles_interval_ms (""), 0);
    cr_assert_eq (gw_candles_interval_ms ("1"), 0);
    cr_assert_eq (gw_candles_interval_ms ("01m"), 0);
    cr_assert_eq (gw_candles_interval_ms (NULL), 0);
}

Test (gw_candles, a_failed_page_answers_the_whole_request_with_its_error)
{
    gw_candles_query_t query;
    char error[GW_CANDLES_ERROR_MAX];
    cr_assert_eq (s_parse ("CANDLES binance ETH-USDT 1m 0 600000", &query, error), 0);
    gw_candles_t *candles = gw_candles_new ("gateway.binance.1");
    zmsg_t *request = s_request ("CANDLES binance ETH-USDT 1m 0 600000");
    gw_candles_job_t *job = gw_candles_start (candles, &request, &query, 3);
    vb_md_candle_t candle = s_candle (1, "5");
    cr_assert_eq (gw_candles_collect (job, &candle), 0);
    cr_assert_not (gw_candles_page_done (job, NULL));
    cr_assert (gw_candles_page_done (job, "ERROR venue-error HTTP 503"));
    zmsg_t *peer = NULL, *frames = NULL;
    cr_assert_eq (gw_candles_reply (candles, &job, 1, &peer, &frames), 0);
    cr_assert_eq (zmsg_size (frames), 1);
    char *text = zmsg_popstr (frames);
    cr_assert_str_eq (text, "ERROR venue-error HTTP 503");
    zstr_free (&text);
    zmsg_destroy (&frames);
    zmsg_destroy (&peer);
    gw_candles_destroy (&candles);
}

Test (gw_candles, bounds_jobs_in_flight_and_candles_per_job)
{
    gw_candles_query_t query;
    char error[GW_CANDLES_ERROR_MAX];
    //  Two minutes: a confused venue may send at most twice that.
    cr_assert_eq (s_parse ("CANDLES binance BTC-USDT 1m 0 120000", &query, error), 0);
    gw_candles_t *candles = gw_candles_new ("p");
    gw_candles_job_t *jobs[GW_CANDLES_JOBS_MAX];
    for (int i = 0; i < GW_CANDLES_JOBS_MAX; i++) {
        zmsg_t *request = s_request ("x");
        jobs[i] = gw_candles_start (candles, &request, &query, 1);
        cr_assert_not_null (jobs[i]);
    }
    zmsg_t *request = s_request ("x");
    cr_assert_null (gw_candles_start (candles, &request, &query, 1), "one job too many");
    cr_assert_not_null (request, "the request stays with the caller");
    zmsg_destroy (&request);
    vb_md_candle_t candle = s_candle (0, "1");
    for (int i = 0; i < 4; i++)
        cr_assert_eq (gw_candles_collect (jobs[0], &candle), 0);
    cr_assert_eq (gw_candles_collect (jobs[0], &candle), VB_ELIMIT);
    gw_candles_destroy (&candles);  //  Jobs in flight are freed with it
}
