/*  test_router_faults.c — venuebus-router under venue faults, both venues: the
    journal ends equal to the venue's state, no order lost or sent twice, no
    fill counted twice.

    Each scenario injects a fault through the sim's /_sim/faults (README of
    services/sim: accept_timeout executes a place and closes the connection
    unanswered; http_status answers without executing; disconnect closes the
    private stream; drop skips its frames), drives orders from strategies and
    waits on their reports (bounded, no sleeps). Then, for every order:
    - the router's last report equals the sim's own record, read by client
      order id through the venue adapter over plain HTTP, and an order the
      sim never saw ended REJECTED (DESIGN.md §4: the venue's word only);
    - the fills reported add up to the venue's filled quantity, and no venue
      trade id is reported twice for an order;
    - after the router stopped, its journal (vb_journal) holds the venue's
      state and filled quantity, and its fills add up to it;
    - the sim's orders_placed counter equals the number of journal orders
      the sim knows, and orders_rejected is 0: a place sent twice would show
      as a second order (or as a duplicate-id refusal).
    Fills are made deterministic by a still market (--rate 0: an empty book,
    no synthetic flow), where the only liquidity is the strategies' own.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vb_decimal.h"
#include "vb_journal.h"
#include "vbt_router.h"

#define WAIT_MS       20000  //  Bound on any one wait for a report
#define SETTLE_MS     15000  //  Bound on an UNKNOWN order settling (unknown_settle 3s)
#define QUERY_WAIT_MS 2000   //  Bound on one QueryOrder answer
#define TAGS_MAX      64     //  Orders per strategy in one scenario
#define BURST         15     //  Orders per strategy in the SIGKILL burst
//  Kraken's REST call counter (20, 0.5 a second) paces the reads after the
//  restart (the router's reconciliation and the test's own): a smaller burst
#define BURST_KRAKEN  6
#define KILL_AFTER    3     //  Acks seen before the SIGKILL
#define HOLD_MIN_MS   900   //  Retry-After 1 s, less the report's way to us
#define RATE_TRIES    40    //  Sim reads refused by Kraken's call counter
#define RATE_DECAY_MS 2000  //  One call of Kraken's counter decays in 2 s

//  State sets for waits (bit per proto OrderState)
#define S_BIT(state) (1u << (state))
#define S_TERMINAL                                                                                 \
    (S_BIT (VENUEBUS__ORDER_STATE__FILLED) | S_BIT (VENUEBUS__ORDER_STATE__CANCELED) |             \
     S_BIT (VENUEBUS__ORDER_STATE__REJECTED) | S_BIT (VENUEBUS__ORDER_STATE__EXPIRED))
#define S_SETTLED                                                                                  \
    (S_TERMINAL | S_BIT (VENUEBUS__ORDER_STATE__NEW) |                                             \
     S_BIT (VENUEBUS__ORDER_STATE__PARTIALLY_FILLED))

typedef struct {
    const char *venue;
    const char *symbol;       //  Normalised
    const char *rest_symbol;  //  The venue's REST name, for depth
    const char *far_price;    //  A valid price far below the synthetic market
    const char *qty;          //  A resting order: notional at far_price above the minimum
    const char *part_qty;     //  Less than qty, itself above the minimum notional
    const char *rest_qty;     //  qty - part_qty
    const char *double_qty;   //  2 x qty
    const char *take_qty;     //  A small marketable order against the synthetic book
    int burst;                //  Orders per strategy in the SIGKILL burst
} s_venue_t;

//  Binance BTC-USDT: tick 0.01, step 0.00001, min notional 5 (0.008 x 1000 = 8).
static const s_venue_t s_binance = {"binance", "BTC-USDT", "BTCUSDT", "1000.00", "0.02",
                                    "0.008",   "0.012",    "0.04",    "0.001",   BURST};
//  Kraken XBT/USD: tick 0.1, ordermin 0.00005, costmin 0.5 (0.0008 x 1000 = 0.8).
static const s_venue_t s_kraken = {"kraken", "BTC-USD", "XBTUSD", "1000.0", "0.002",
                                   "0.0008", "0.0012",  "0.004",  "0.001",  BURST_KRAKEN};

static const char *const s_still_market[] = {"--rate", "0", NULL};

//  The sim's records read so far (final states: read once per order).
//  Kraken's REST call counter (20 calls, 0.5 a second, shared with the
//  router's own calls on the same key) may refuse a read: it is read again
//  after the counter has decayed by one call, a bounded number of times.
typedef struct {
    char coid[VB_JOURNAL_ID_SIZE];
    vb_exec_outcome_t outcome;
    vb_exec_report_t report;
} s_record_t;

static s_record_t s_records[4 * TAGS_MAX];
static vbt_router_t *s_router;  //  The running one, for failure messages
static size_t s_record_count;

//  --------------------------------------------------------------------------
//  Helpers.

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static vbt_router_t *
s_start (const s_venue_t *venue, bool still, const char *reconcile_interval)
{
    s_record_count = 0;
    vbt_router_args_t args = {.sim_bin = VB_SIM_BIN,
                              .router_bin = VB_ROUTER_BIN,
                              .venue = venue->venue,
                              .sim_extra = still ? s_still_market : NULL,
                              .reconcile_interval = reconcile_interval};
    s_router = vbt_router_new (&args);
    return s_router;
}

static vb_decimal_t
s_dec (const char *text)
{
    vb_decimal_t value;
    cr_assert_eq (vb_decimal_parse (text, strlen (text), &value), 0, "%s", text);
    return value;
}

static void
s_place (vbt_strategy_t *strategy, const s_venue_t *venue, const char *tag, Venuebus__Side side,
         Venuebus__TimeInForce tif, const char *price, const char *qty)
{
    cr_assert_eq (vbt_strategy_place (strategy, tag, venue->symbol, side,
                                      VENUEBUS__ORDER_TYPE__LIMIT, tif, price, qty, false),
                  0);
}

//  A buy price that crosses the synthetic book: twice the best ask, which
//  stays on the tick (a multiple of the tick doubled).
static void
s_taking_price (vbt_router_t *router, const s_venue_t *venue, char *price, size_t size)
{
    vb_decimal_t bid, ask, high;
    vbt_router_sim_top (router, venue->rest_symbol, &bid, &ask);
    cr_assert_eq (vb_decimal_add (ask, ask, &high), 0);
    cr_assert_gt (vb_decimal_format (high, price, size), 0);
}

//  Last ExecutionReport state of a tag (0 if none yet), and its order id.
static int
s_last_state (vbt_strategy_t *strategy, const char *tag, char *coid)
{
    size_t count;
    const vbt_report_t *reports = vbt_strategy_reports (strategy, &count);
    cr_assert_lt (count, VBT_ROUTER_REPORTS, "report buffer full: checks would be partial");
    int state = 0;
    for (size_t i = 0; i < count; i++)
        if (reports[i].kind == VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT &&
            strcmp (reports[i].client_tag, tag) == 0) {
            state = reports[i].state;
            if (coid)
                snprintf (coid, VB_JOURNAL_ID_SIZE, "%.*s", VB_JOURNAL_ID_LEN,
                          reports[i].client_order_id);
        }
    return state;
}

//  True when the tag was ever reported in `state`.
static bool
s_seen (vbt_strategy_t *strategy, const char *tag, int state)
{
    size_t count;
    const vbt_report_t *reports = vbt_strategy_reports (strategy, &count);
    for (size_t i = 0; i < count; i++)
        if (reports[i].kind == VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT &&
            strcmp (reports[i].client_tag, tag) == 0 && reports[i].state == state)
            return true;
    return false;
}

//  Receive until the tag's last reported state is in `states`; returns it.
static int
s_wait_in (vbt_strategy_t *strategy, const char *tag, unsigned states, int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    while (true) {
        int state = s_last_state (strategy, tag, NULL);
        if (state && (states & S_BIT (state)))
            return state;
        int64_t left = deadline - s_now_ms ();
        vbt_report_t report;
        if (left <= 0 || !vbt_strategy_recv (strategy, &report, (int)left))
            break;
    }
    cr_assert_fail ("order %s stuck in state %d after %d ms; router stderr: %s", tag,
                    s_last_state (strategy, tag, NULL), timeout_ms,
                    vbt_proc_stderr (vbt_router_proc (s_router)));
    return 0;
}

//  --------------------------------------------------------------------------
//  The checks.

static vb_exec_outcome_t
s_sim_record (vbt_router_t *router, const s_venue_t *venue, const char *coid,
              vb_exec_report_t *report)
{
    for (size_t i = 0; i < s_record_count; i++)
        if (strcmp (s_records[i].coid, coid) == 0) {
            *report = s_records[i].report;
            return s_records[i].outcome;
        }
    vb_exec_outcome_t outcome = VB_EXEC_RATE_LIMITED;
    for (int attempt = 0; attempt < RATE_TRIES && outcome == VB_EXEC_RATE_LIMITED; attempt++) {
        if (attempt)
            zclock_sleep (RATE_DECAY_MS);  //  Pacing for the venue's counter
        memset (report, 0, sizeof (*report));
        outcome = vbt_router_sim_order (router, venue->symbol, coid, report);
    }
    cr_assert_lt (s_record_count, sizeof (s_records) / sizeof (s_records[0]));
    s_record_t *record = &s_records[s_record_count++];
    snprintf (record->coid, sizeof (record->coid), "%s", coid);
    record->outcome = outcome;
    record->report = *report;
    return outcome;
}

//  The sim's record of an order equals (state, filled). An order the sim
//  never saw must have ended REJECTED with nothing filled.
static bool
s_expect_venue (vbt_router_t *router, const s_venue_t *venue, const char *coid, int state,
                vb_decimal_t filled, const char *who)
{
    vb_exec_report_t sim;
    vb_exec_outcome_t outcome = s_sim_record (router, venue, coid, &sim);
    cr_assert (outcome == VB_EXEC_OK || outcome == VB_EXEC_NOT_FOUND,
               "%s: the sim query of %s gave outcome %d", who, coid, (int)outcome);
    if (outcome == VB_EXEC_NOT_FOUND) {
        cr_assert_eq (state, VENUEBUS__ORDER_STATE__REJECTED,
                      "%s: %s is unknown to the venue but in state %d", who, coid, state);
        cr_assert (vb_decimal_is_zero (filled), "%s: %s unknown to the venue has fills", who, coid);
        return false;
    }
    cr_assert_eq ((int)sim.state, state, "%s: %s is in state %d at the venue, %d here", who, coid,
                  (int)sim.state, state);
    cr_assert_eq (vb_decimal_cmp (sim.filled_qty, filled), 0,
                  "%s: %s filled %lde%d at the venue, %lde%d here", who, coid,
                  (long)sim.filled_qty.mantissa, sim.filled_qty.exponent, (long)filled.mantissa,
                  filled.exponent);
    return true;
}

//  Every order a strategy was acked: its last report equals the venue, its
//  fills add up to the venue's filled qty, no trade id twice.
static void
s_check_reports (vbt_router_t *router, const s_venue_t *venue, vbt_strategy_t *strategy)
{
    size_t count;
    const vbt_report_t *reports = vbt_strategy_reports (strategy, &count);
    cr_assert_lt (count, VBT_ROUTER_REPORTS);
    for (size_t a = 0; a < count; a++) {
        if (reports[a].kind != VENUEBUS__ENVELOPE__BODY_ACK)
            continue;
        const char *coid = reports[a].client_order_id;
        for (size_t b = 0; b < a; b++)
            cr_assert (reports[b].kind != VENUEBUS__ENVELOPE__BODY_ACK ||
                           strcmp (reports[b].client_order_id, coid) != 0,
                       "%s acked twice", coid);
        int state = 0;
        vb_decimal_t filled = {0, 0}, sum = {0, 0};
        for (size_t i = 0; i < count; i++) {
            if (reports[i].kind != VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT ||
                strcmp (reports[i].client_order_id, coid) != 0)
                continue;
            state = reports[i].state;
            filled = reports[i].filled_qty;
            if (!reports[i].venue_trade_id[0])
                continue;
            for (size_t j = 0; j < i; j++)
                cr_assert (reports[j].kind != VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT ||
                               strcmp (reports[j].client_order_id, coid) != 0 ||
                               strcmp (reports[j].venue_trade_id, reports[i].venue_trade_id) != 0,
                           "trade %s of %s reported twice", reports[i].venue_trade_id, coid);
            cr_assert_eq (vb_decimal_add (sum, reports[i].last_fill_qty, &sum), 0);
        }
        cr_assert_neq (state, 0, "%s (%s) has no report", coid, reports[a].client_tag);
        cr_assert_eq (vb_decimal_cmp (sum, filled), 0, "%s: fills reported sum to %lde%d of %lde%d",
                      coid, (long)sum.mantissa, sum.exponent, (long)filled.mantissa,
                      filled.exponent);
        s_expect_venue (router, venue, coid, state, filled, "report");
    }
}

//  Stop the router, then every journal order equals the venue, its fills
//  add up, and the venue holds exactly the orders the journal sent (once
//  each). Returns the number of journal orders.
static int
s_check_journal (vbt_router_t *router, const s_venue_t *venue)
{
    vbt_router_stop (router);
    char *error = NULL;
    vb_journal_t *journal = vb_journal_open (vbt_router_journal_path (router), 1, &error);
    cr_assert_not_null (journal, "journal: %s", error ? error : "?");
    int orders = 0, known = 0, misses = 0;
    //  Sequences are handed out in order from 1 (vb_journal.h); a gap of a
    //  few would only come from refused inserts
    for (int64_t sequence = 1; misses < 8; sequence++) {
        char coid[VB_JOURNAL_ID_SIZE];
        vb_journal_order_t order;
        cr_assert_eq (vb_journal_format_id (1, sequence, coid), 0);
        if (vb_journal_lookup (journal, coid, &order) != 0) {
            misses++;
            continue;
        }
        misses = 0;
        orders++;
        vb_journal_fill_row_t *fills = NULL;
        int fill_count = vb_journal_select_fills (journal, coid, &fills);
        cr_assert_geq (fill_count, 0);
        vb_decimal_t sum = {0, 0};
        for (int i = 0; i < fill_count; i++) {
            for (int j = 0; j < i; j++)
                cr_assert_str_neq (fills[i].venue_trade_id, fills[j].venue_trade_id);
            cr_assert_eq (vb_decimal_add (sum, fills[i].qty, &sum), 0);
        }
        free (fills);
        cr_assert_eq (vb_decimal_cmp (sum, order.filled_qty), 0, "journal fills of %s", coid);
        if (s_expect_venue (router, venue, coid, (int)order.state, order.filled_qty, "journal"))
            known++;
    }
    vb_journal_destroy (&journal);
    cr_assert_eq (vbt_router_sim_stat (router, "orders_placed"), known,
                  "the venue placed more orders than the journal sent");
    cr_assert_eq (vbt_router_sim_stat (router, "orders_rejected"), 0,
                  "the venue refused an order (a duplicate client order id?)");
    return orders;
}

//  --------------------------------------------------------------------------
//  accept-then-timeout: the venue executes the place and never answers.
//  (1) With the private stream up, the stream tells the outcome and the
//  lost answer changes nothing. (2) With the stream's order frames dropped
//  too, the order goes UNKNOWN and the query finds it (resting: NEW;
//  taking: FILLED, with its fills read), never REJECTED, never sent again.

static void
s_accept_timeout (const s_venue_t *venue, const char *stream)
{
    vbt_router_t *router = s_start (venue, false, "60s");
    vbt_strategy_t *alpha = vbt_strategy_new (router, "alpha");
    char price[64], fault[160];
    s_taking_price (router, venue, price, sizeof (price));
    vbt_router_fault (router, "{\"fault\":\"accept_timeout\",\"count\":2,\"ms\":300}");
    s_place (alpha, venue, "rest", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    s_place (alpha, venue, "take", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__IOC, price,
             venue->take_qty);
    cr_assert_eq (s_wait_in (alpha, "rest", S_BIT (VENUEBUS__ORDER_STATE__NEW), WAIT_MS),
                  VENUEBUS__ORDER_STATE__NEW);
    cr_assert_eq (s_wait_in (alpha, "take", S_TERMINAL, WAIT_MS), VENUEBUS__ORDER_STATE__FILLED);
    //  The stream's word came before the connection was closed (300 ms
    //  later): the lost answer must not take the order back to UNKNOWN
    cr_assert (!s_seen (alpha, "rest", VENUEBUS__ORDER_STATE__UNKNOWN), "rest went back");

    snprintf (fault, sizeof (fault), "{\"fault\":\"drop\",\"stream\":\"%s\",\"count\":1000}",
              stream);
    vbt_router_fault (router, fault);
    vbt_router_fault (router, "{\"fault\":\"accept_timeout\",\"count\":2,\"ms\":300}");
    s_place (alpha, venue, "rest-2", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    s_place (alpha, venue, "take-2", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__IOC, price,
             venue->take_qty);
    cr_assert_eq (s_wait_in (alpha, "rest-2", S_BIT (VENUEBUS__ORDER_STATE__NEW), WAIT_MS),
                  VENUEBUS__ORDER_STATE__NEW);
    cr_assert_eq (s_wait_in (alpha, "take-2", S_TERMINAL, WAIT_MS), VENUEBUS__ORDER_STATE__FILLED);
    cr_assert (s_seen (alpha, "rest-2", VENUEBUS__ORDER_STATE__UNKNOWN), "the fault missed rest-2");
    cr_assert (s_seen (alpha, "take-2", VENUEBUS__ORDER_STATE__UNKNOWN), "the fault missed take-2");
    vbt_router_fault (router, "{\"fault\":\"clear\"}");
    vbt_strategy_cancel (alpha, "rest", NULL);
    vbt_strategy_cancel (alpha, "rest-2", NULL);
    s_wait_in (alpha, "rest", S_BIT (VENUEBUS__ORDER_STATE__CANCELED), WAIT_MS);
    s_wait_in (alpha, "rest-2", S_BIT (VENUEBUS__ORDER_STATE__CANCELED), WAIT_MS);
    s_check_reports (router, venue, alpha);
    cr_assert_eq (s_check_journal (router, venue), 4);
    vbt_strategy_destroy (&alpha);
    vbt_router_destroy (&router);
}

Test (router_faults, binance_accept_then_timeout_is_found_not_resent, .timeout = 120)
{
    s_accept_timeout (&s_binance, "executionReport");
}

Test (router_faults, kraken_accept_then_timeout_is_found_not_resent, .timeout = 120)
{
    s_accept_timeout (&s_kraken, "executions");
}

//  --------------------------------------------------------------------------
//  5xx: answered without executing. The order is UNKNOWN (a 5xx does not
//  say it failed), the venue has no such order, and only after the settle
//  window is it REJECTED. A 5xx on a cancel leaves the order as the venue
//  has it, and a second cancel ends it.

static void
s_server_errors (const s_venue_t *venue)
{
    vbt_router_t *router = s_start (venue, false, "60s");
    vbt_strategy_t *alpha = vbt_strategy_new (router, "alpha");
    const int statuses[] = {503, 500, 504};
    for (size_t i = 0; i < sizeof (statuses) / sizeof (statuses[0]); i++) {
        char fault[128], tag[16];
        snprintf (fault, sizeof (fault), "{\"fault\":\"http_status\",\"status\":%d,\"count\":1}",
                  statuses[i]);
        snprintf (tag, sizeof (tag), "s%d", statuses[i]);
        vbt_router_fault (router, fault);
        s_place (alpha, venue, tag, VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
                 venue->far_price, venue->qty);
        //  One at a time: the next fault must meet the next place, not a query
        cr_assert_eq (s_wait_in (alpha, tag, S_TERMINAL, SETTLE_MS),
                      VENUEBUS__ORDER_STATE__REJECTED);
        cr_assert (s_seen (alpha, tag, VENUEBUS__ORDER_STATE__UNKNOWN),
                   "%s was refused without the settle window", tag);
    }
    //  A 5xx on the cancel of a resting order
    s_place (alpha, venue, "keep", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    s_wait_in (alpha, "keep", S_BIT (VENUEBUS__ORDER_STATE__NEW), WAIT_MS);
    vbt_router_fault (router, "{\"fault\":\"http_status\",\"status\":503,\"count\":1}");
    vbt_strategy_cancel (alpha, "keep", NULL);
    //  The cancel's outcome is unseen: the router asks, finds it open and
    //  cancels again (a cancel cannot duplicate anything)
    cr_assert_eq (s_wait_in (alpha, "keep", S_TERMINAL, WAIT_MS), VENUEBUS__ORDER_STATE__CANCELED);
    cr_assert (s_seen (alpha, "keep", VENUEBUS__ORDER_STATE__UNKNOWN), "the fault missed keep");
    s_check_reports (router, venue, alpha);
    cr_assert_eq (vbt_router_sim_stat (router, "injected_statuses"), 4);
    cr_assert_eq (s_check_journal (router, venue), 4);
    vbt_strategy_destroy (&alpha);
    vbt_router_destroy (&router);
}

Test (router_faults, binance_5xx_is_unknown_until_the_venue_says, .timeout = 120)
{
    s_server_errors (&s_binance);
}

Test (router_faults, kraken_5xx_is_unknown_until_the_venue_says, .timeout = 120)
{
    s_server_errors (&s_kraken);
}

//  --------------------------------------------------------------------------
//  429 and 418: the venue refused the request before executing it, so the
//  order is REJECTED at once; the router holds the venue for Retry-After and
//  the next order goes through after it.

static void
s_rate_limited (const s_venue_t *venue, int status)
{
    vbt_router_t *router = s_start (venue, false, "60s");
    vbt_strategy_t *alpha = vbt_strategy_new (router, "alpha");
    char fault[128];
    snprintf (fault, sizeof (fault),
              "{\"fault\":\"http_status\",\"status\":%d,\"count\":1,\"ms\":1000}", status);
    vbt_router_fault (router, fault);
    s_place (alpha, venue, "limited", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    cr_assert_eq (s_wait_in (alpha, "limited", S_TERMINAL, SETTLE_MS),
                  VENUEBUS__ORDER_STATE__REJECTED);
    int64_t refused = s_now_ms ();
    s_place (alpha, venue, "after", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    cr_assert_eq (s_wait_in (alpha, "after", S_SETTLED, WAIT_MS), VENUEBUS__ORDER_STATE__NEW);
    //  Held for Retry-After (the fault's 1000 ms, rounded up to whole
    //  seconds by the sim) from the refusal, which came just before we saw it
    cr_assert_geq (s_now_ms () - refused, HOLD_MIN_MS, "the next order went after %ld ms",
                   (long)(s_now_ms () - refused));
    s_check_reports (router, venue, alpha);
    cr_assert_eq (s_check_journal (router, venue), 2);
    vbt_strategy_destroy (&alpha);
    vbt_router_destroy (&router);
}

Test (router_faults, binance_429_rejects_and_holds_the_venue, .timeout = 120)
{
    s_rate_limited (&s_binance, 429);
}

Test (router_faults, binance_418_rejects_and_holds_the_venue, .timeout = 120)
{
    s_rate_limited (&s_binance, 418);
}

Test (router_faults, kraken_429_rejects_and_holds_the_venue, .timeout = 120)
{
    s_rate_limited (&s_kraken, 429);
}

Test (router_faults, kraken_418_rejects_and_holds_the_venue, .timeout = 120)
{
    s_rate_limited (&s_kraken, 418);
}

//  --------------------------------------------------------------------------
//  Partial fill, still market: a resting bid is hit by a smaller sell
//  (another strategy, same account), so it is PARTIALLY_FILLED; a cancel
//  ends it CANCELED with the venue's filled quantity.

static void
s_partial_fill (const s_venue_t *venue)
{
    vbt_router_t *router = s_start (venue, true, NULL);
    vbt_strategy_t *maker = vbt_strategy_new (router, "maker");
    vbt_strategy_t *taker = vbt_strategy_new (router, "taker");
    s_place (maker, venue, "bid", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    s_wait_in (maker, "bid", S_BIT (VENUEBUS__ORDER_STATE__NEW), WAIT_MS);
    s_place (taker, venue, "hit", VENUEBUS__SIDE__SELL, VENUEBUS__TIME_IN_FORCE__IOC,
             venue->far_price, venue->part_qty);
    cr_assert_eq (s_wait_in (taker, "hit", S_TERMINAL, WAIT_MS), VENUEBUS__ORDER_STATE__FILLED);
    s_wait_in (maker, "bid", S_BIT (VENUEBUS__ORDER_STATE__PARTIALLY_FILLED), WAIT_MS);
    vbt_strategy_cancel (maker, "bid", NULL);
    s_wait_in (maker, "bid", S_BIT (VENUEBUS__ORDER_STATE__CANCELED), WAIT_MS);
    char coid[VB_JOURNAL_ID_SIZE];
    s_last_state (maker, "bid", coid);
    vb_exec_report_t sim;
    cr_assert_eq (s_sim_record (router, venue, coid, &sim), VB_EXEC_OK);
    cr_assert_eq (vb_decimal_cmp (sim.filled_qty, s_dec (venue->part_qty)), 0);
    s_check_reports (router, venue, maker);
    s_check_reports (router, venue, taker);
    cr_assert_eq (s_check_journal (router, venue), 2);
    vbt_strategy_destroy (&maker);
    vbt_strategy_destroy (&taker);
    vbt_router_destroy (&router);
}

Test (router_faults, binance_partial_fill_then_cancel_matches_the_venue, .timeout = 120)
{
    s_partial_fill (&s_binance);
}

Test (router_faults, kraken_partial_fill_then_cancel_matches_the_venue, .timeout = 120)
{
    s_partial_fill (&s_kraken);
}

//  --------------------------------------------------------------------------
//  Cancel racing a fill, still market. (1) A buy for twice the resting ask
//  is sent and cancelled at once: it fills half and the cancel ends the
//  rest, or the cancel arrives first. (2) A resting bid is cancelled while
//  a sell for all of it is on its way. Whichever the venue says wins.

static void
s_cancel_race (const s_venue_t *venue)
{
    vbt_router_t *router = s_start (venue, true, NULL);
    vbt_strategy_t *maker = vbt_strategy_new (router, "maker");
    vbt_strategy_t *taker = vbt_strategy_new (router, "taker");
    s_place (maker, venue, "ask", VENUEBUS__SIDE__SELL, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    s_wait_in (maker, "ask", S_BIT (VENUEBUS__ORDER_STATE__NEW), WAIT_MS);
    s_place (taker, venue, "lift", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->double_qty);
    vbt_strategy_cancel (taker, "lift", NULL);
    s_wait_in (taker, "lift", S_TERMINAL, WAIT_MS);
    s_wait_in (maker, "ask", S_TERMINAL, WAIT_MS);

    s_place (maker, venue, "bid", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    s_wait_in (maker, "bid", S_BIT (VENUEBUS__ORDER_STATE__NEW), WAIT_MS);
    s_place (taker, venue, "hit", VENUEBUS__SIDE__SELL, VENUEBUS__TIME_IN_FORCE__IOC,
             venue->far_price, venue->qty);
    vbt_strategy_cancel (maker, "bid", NULL);
    s_wait_in (maker, "bid", S_TERMINAL, WAIT_MS);
    s_wait_in (taker, "hit", S_TERMINAL, WAIT_MS);
    s_check_reports (router, venue, maker);
    s_check_reports (router, venue, taker);
    cr_assert_eq (s_check_journal (router, venue), 4);
    vbt_strategy_destroy (&maker);
    vbt_strategy_destroy (&taker);
    vbt_router_destroy (&router);
}

Test (router_faults, binance_cancel_racing_a_fill_ends_as_the_venue_says, .timeout = 120)
{
    s_cancel_race (&s_binance);
}

Test (router_faults, kraken_cancel_racing_a_fill_ends_as_the_venue_says, .timeout = 120)
{
    s_cancel_race (&s_kraken);
}

//  --------------------------------------------------------------------------
//  The private stream is lost during fills, still market. (1) It is closed
//  just before a sell hits the resting bid: the fill is recovered when the
//  stream is back (reconciliation), once. (2) Its order frames are dropped
//  while it stays up: the periodic reconciliation finds the fills.

static void
s_stream_lost (const s_venue_t *venue, const char *stream)
{
    vbt_router_t *router = s_start (venue, true, "2s");
    vbt_strategy_t *maker = vbt_strategy_new (router, "maker");
    vbt_strategy_t *taker = vbt_strategy_new (router, "taker");
    s_place (maker, venue, "bid", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    s_wait_in (maker, "bid", S_BIT (VENUEBUS__ORDER_STATE__NEW), WAIT_MS);

    vbt_router_fault (router, "{\"fault\":\"disconnect\"}");
    s_place (taker, venue, "hit-1", VENUEBUS__SIDE__SELL, VENUEBUS__TIME_IN_FORCE__IOC,
             venue->far_price, venue->part_qty);
    s_wait_in (taker, "hit-1", S_TERMINAL, WAIT_MS);
    s_wait_in (maker, "bid", S_BIT (VENUEBUS__ORDER_STATE__PARTIALLY_FILLED), WAIT_MS);
    vbt_router_fault (router, "{\"fault\":\"disconnect\"}");
    s_place (taker, venue, "hit-2", VENUEBUS__SIDE__SELL, VENUEBUS__TIME_IN_FORCE__IOC,
             venue->far_price, venue->rest_qty);
    s_wait_in (taker, "hit-2", S_TERMINAL, WAIT_MS);
    s_wait_in (maker, "bid", S_BIT (VENUEBUS__ORDER_STATE__FILLED), WAIT_MS);

    char fault[160];
    snprintf (fault, sizeof (fault), "{\"fault\":\"drop\",\"stream\":\"%s\",\"count\":50}", stream);
    s_place (maker, venue, "bid-2", VENUEBUS__SIDE__BUY, VENUEBUS__TIME_IN_FORCE__GTC,
             venue->far_price, venue->qty);
    s_wait_in (maker, "bid-2", S_BIT (VENUEBUS__ORDER_STATE__NEW), WAIT_MS);
    vbt_router_fault (router, fault);
    s_place (taker, venue, "hit-3", VENUEBUS__SIDE__SELL, VENUEBUS__TIME_IN_FORCE__IOC,
             venue->far_price, venue->qty);
    s_wait_in (taker, "hit-3", S_TERMINAL, WAIT_MS);
    s_wait_in (maker, "bid-2", S_BIT (VENUEBUS__ORDER_STATE__FILLED), WAIT_MS);
    s_check_reports (router, venue, maker);
    s_check_reports (router, venue, taker);
    cr_assert_eq (s_check_journal (router, venue), 5);
    vbt_strategy_destroy (&maker);
    vbt_strategy_destroy (&taker);
    vbt_router_destroy (&router);
}

Test (router_faults, binance_private_stream_lost_during_fills_counts_each_once, .timeout = 120)
{
    s_stream_lost (&s_binance, "executionReport");
}

Test (router_faults, kraken_private_stream_lost_during_fills_counts_each_once, .timeout = 120)
{
    s_stream_lost (&s_kraken, "executions");
}

//  --------------------------------------------------------------------------
//  SIGKILL in the middle of a burst: two strategies send resting and
//  taking orders; the router is killed after a few acks and restarted on
//  the same journal (it reconciles before it serves). Every order it
//  journaled ends as the venue has it (one it never sent: REJECTED after
//  the settle window), and none reached the venue twice.

//  Ask the router (QueryOrder by tag) until the journal's view of the tag
//  has settled; returns its state, or 0 when the router never journaled it.
static int
s_query_settled (vbt_strategy_t *strategy, const char *tag, int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    while (s_now_ms () < deadline) {
        cr_assert_eq (vbt_strategy_query (strategy, tag, NULL), 0);
        int64_t answer_by = s_now_ms () + QUERY_WAIT_MS;
        vbt_report_t report;
        int state = -1;
        while (state < 0 && s_now_ms () < answer_by &&
               vbt_strategy_recv (strategy, &report, (int)(answer_by - s_now_ms ()))) {
            if (strcmp (report.client_tag, tag) != 0)
                continue;
            if (report.kind == VENUEBUS__ENVELOPE__BODY_REJECT && !report.client_order_id[0])
                state = 0;  //  No such order of this strategy
            else if (report.kind == VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT && report.seq == 0)
                state = report.state;  //  The QueryOrder answer
        }
        if (state == 0)
            return 0;
        if (state > 0 && (S_SETTLED & S_BIT (state)))
            return state;
    }
    cr_assert_fail ("order %s did not settle within %d ms", tag, timeout_ms);
    return 0;
}

static void
s_kill_burst (const s_venue_t *venue)
{
    vbt_router_t *router = s_start (venue, false, NULL);
    vbt_strategy_t *strategies[2] = {vbt_strategy_new (router, "alpha"),
                                     vbt_strategy_new (router, "beta")};
    char price[64];
    s_taking_price (router, venue, price, sizeof (price));
    char tags[2][BURST][16];
    for (int i = 0; i < venue->burst; i++)
        for (int s = 0; s < 2; s++) {
            snprintf (tags[s][i], sizeof (tags[s][i]), "%c%02d", s ? 'b' : 'a', i);
            bool take = i % 3 == 2;
            s_place (strategies[s], venue, tags[s][i], VENUEBUS__SIDE__BUY,
                     take ? VENUEBUS__TIME_IN_FORCE__IOC : VENUEBUS__TIME_IN_FORCE__GTC,
                     take ? price : venue->far_price, take ? venue->take_qty : venue->qty);
        }
    //  Kill once a few acks are in: the rest of the burst is somewhere
    //  between the strategy's socket, the journal and the venue
    int acks = 0;
    vbt_report_t report;
    while (acks < KILL_AFTER && vbt_strategy_recv (strategies[0], &report, WAIT_MS))
        if (report.kind == VENUEBUS__ENVELOPE__BODY_ACK)
            acks++;
    cr_assert_eq (acks, KILL_AFTER, "no acks before the kill");
    vbt_router_kill_restart (router);

    int journaled = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < venue->burst; i++)
            if (s_query_settled (strategies[s], tags[s][i], SETTLE_MS + WAIT_MS) > 0)
                journaled++;
    cr_assert_geq (journaled, KILL_AFTER);
    //  The journal holds the orders the strategies can name, and no other
    cr_assert_eq (s_check_journal (router, venue), journaled);
    vbt_strategy_destroy (&strategies[0]);
    vbt_strategy_destroy (&strategies[1]);
    vbt_router_destroy (&router);
}

Test (router_faults, binance_sigkill_mid_burst_loses_and_duplicates_nothing, .timeout = 120)
{
    s_kill_burst (&s_binance);
}

Test (router_faults, kraken_sigkill_mid_burst_loses_and_duplicates_nothing, .timeout = 120)
{
    s_kill_burst (&s_kraken);
}
