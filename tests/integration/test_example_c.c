/*  test_example_c.c — venuebus-strategy-c (examples/strategy-c) against the
    real stack: venuebus-sim (binance), venuebus-bus, venuebus-gateway and
    venuebus-router (tests/support/vbt_router.h starts all four).

    The market maker must quote both sides of BTC-USDT once the book is in
    sync (its log shows the router's acks and NEW reports, and the sim lists
    the orders as open), and on SIGTERM or at the end of --duration cancel
    everything and exit 0, leaving the sim with no open order. Every wait
    is bounded and waits for a log line or an exit; no sleeps.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vb_exec.h"
#include "vbt_proc.h"
#include "vbt_router.h"

#define SYMBOL       "BTC-USDT"
#define STRATEGY_ID  "mm-c"
#define ID_MAX       128
#define LOG_LINE_MAX 1024
#define OPEN_MAX     64
#define WAIT_MS      30000  //  Book sync plus a router round trip, with room
#define EXIT_MS      15000  //  cancel_all confirmations (strategy waits 2 s) and exit

//  --------------------------------------------------------------------------
//  The stack: sim, bus, router, gateway for BTC-USDT on binance.

static vbt_router_t *
s_stack (void)
{
    vbt_router_args_t args = {.sim_bin = VB_SIM_BIN,
                              .router_bin = VB_ROUTER_BIN,
                              .bus_bin = VB_BUS_BIN,
                              .gateway_bin = VB_GATEWAY_BIN,
                              .venue = "binance",
                              .symbols = SYMBOL};
    return vbt_router_new (&args);
}

//  --------------------------------------------------------------------------
//  Start the market maker for `duration` seconds ("0": until a signal).
//  Quotes are 0.001 BTC (65 USDT at the sim's price: above the 5 USDT
//  minimum notional) 10 bps apart, on the 0.01 tick.

static vbt_proc_t *
s_strategy (vbt_router_t *router, const char *duration)
{
    char *argv[] = {VB_STRATEGY_C_BIN,
                    "--bus",
                    (char *)vbt_router_bus_backend (router),
                    "--snapshot",
                    (char *)vbt_router_snapshot (router),
                    "--router",
                    (char *)vbt_router_endpoint (router),
                    "--venue",
                    "binance",
                    "--symbol",
                    SYMBOL,
                    "--account",
                    "main",
                    "--strategy",
                    STRATEGY_ID,
                    "--spread-bps",
                    "10",
                    "--qty",
                    "0.001",
                    "--tick",
                    "0.01",
                    "--duration",
                    (char *)duration,
                    "--log-level",
                    "info",
                    NULL};
    vbt_proc_t *proc = vbt_proc_start (argv[0], argv, NULL);
    cr_assert_not_null (proc, "cannot start %s", argv[0]);
    return proc;
}

//  --------------------------------------------------------------------------
//  Every client order id the strategy's log names (acks and reports),
//  without repeats. Returns how many were copied.

static size_t
s_logged_ids (vbt_proc_t *strategy, char ids[][ID_MAX], size_t max)
{
    const char *key = "client_order_id=";
    size_t count = 0;
    for (const char *at = strstr (vbt_proc_stderr (strategy), key); at; at = strstr (at + 1, key)) {
        at += strlen (key);
        size_t length = strcspn (at, " \n");
        if (length == 0 || length >= ID_MAX)
            continue;
        bool seen = false;
        for (size_t i = 0; i < count && !seen; i++)
            seen = strlen (ids[i]) == length && strncmp (ids[i], at, length) == 0;
        if (!seen && count < max) {
            memcpy (ids[count], at, length);
            ids[count][length] = '\0';
            count++;
        }
    }
    return count;
}

//  --------------------------------------------------------------------------
//  Wait until the log shows `count` reports with state NEW, one per side
//  (a bid BUY tag "b-..." and an ask SELL tag "a-...").

static void
s_wait_quoted (vbt_proc_t *strategy)
{
    bool bid = false, ask = false;
    char line[LOG_LINE_MAX], tag[ID_MAX];
    while (!(bid && ask)) {
        cr_assert_eq (
            vbt_proc_wait_stderr_line (strategy, "state=NEW ", WAIT_MS, line, sizeof (line)), 0,
            "no NEW quote on both sides; log:\n%s", vbt_proc_stderr (strategy));
        cr_assert_eq (vbt_line_value (line, "tag", tag, sizeof (tag)), 0, "%s", line);
        bid |= tag[0] == 'b';
        ask |= tag[0] == 'a';
    }
}

//  --------------------------------------------------------------------------
//  After the strategy stopped: the sim lists nothing open, and every order
//  the log names is in a final state on the sim.

static void
s_expect_nothing_open (vbt_router_t *router, vbt_proc_t *strategy)
{
    vb_exec_report_t open[OPEN_MAX];
    size_t open_count = vbt_router_sim_open_orders (router, SYMBOL, open, OPEN_MAX);
    cr_assert_eq (open_count, 0, "sim still lists %zu open orders, first %s", open_count,
                  open_count ? open[0].client_order_id : "");
    char ids[OPEN_MAX][ID_MAX];
    size_t count = s_logged_ids (strategy, ids, OPEN_MAX);
    cr_assert_gt (count, 0, "no order id in the log:\n%s", vbt_proc_stderr (strategy));
    for (size_t i = 0; i < count; i++) {
        vb_exec_report_t report;
        cr_assert_eq (vbt_router_sim_order (router, SYMBOL, ids[i], &report), VB_EXEC_OK,
                      "sim does not know %s", ids[i]);
        cr_assert (report.state == VB_EXEC_STATE_CANCELED || report.state == VB_EXEC_STATE_FILLED,
                   "order %s is in state %d on the sim", ids[i], (int)report.state);
    }
}

//  --------------------------------------------------------------------------

Test (example_c, quotes_both_sides_and_cancels_them_on_sigterm)
{
    vbt_router_t *router = s_stack ();
    vbt_proc_t *strategy = s_strategy (router, "0");
    s_wait_quoted (strategy);

    //  The venue holds the quotes: open orders with ids from the log.
    vb_exec_report_t open[OPEN_MAX];
    size_t open_count = vbt_router_sim_open_orders (router, SYMBOL, open, OPEN_MAX);
    cr_assert_geq (open_count, 1, "the sim lists no open quote");
    cr_assert_leq (open_count, 2, "more than one order per side: %zu", open_count);
    char ids[OPEN_MAX][ID_MAX];
    size_t count = s_logged_ids (strategy, ids, OPEN_MAX);
    vb_decimal_t qty;  //  --qty
    cr_assert_eq (vb_decimal_parse ("0.001", 5, &qty), 0);
    for (size_t i = 0; i < open_count && i < OPEN_MAX; i++) {
        bool logged = false;
        for (size_t j = 0; j < count && !logged; j++)
            logged = strcmp (open[i].client_order_id, ids[j]) == 0;
        cr_assert (logged, "sim order %s is not in the strategy's log", open[i].client_order_id);
        cr_assert_eq (vb_decimal_cmp (open[i].qty, qty), 0, "order %s has another quantity",
                      open[i].client_order_id);
    }

    cr_assert_eq (kill (vbt_proc_pid (strategy), SIGTERM), 0);
    int status = vbt_proc_wait_exit (strategy, EXIT_MS);
    cr_assert_eq (status, 0, "exit %d; log:\n%s", status, vbt_proc_stderr (strategy));
    const char *log = vbt_proc_stderr (strategy);
    cr_assert_not_null (strstr (log, "strategy stopping reason=signal"), "%s", log);
    cr_assert_not_null (strstr (log, "cancel all sent"), "%s", log);
    cr_assert_null (strstr (log, "orders still open at exit"), "%s", log);
    s_expect_nothing_open (router, strategy);
    vbt_proc_stop (&strategy, EXIT_MS);
    vbt_router_destroy (&router);
}

Test (example_c, stops_after_its_duration_with_nothing_left_open)
{
    vbt_router_t *router = s_stack ();
    vbt_proc_t *strategy = s_strategy (router, "3");
    s_wait_quoted (strategy);
    int status = vbt_proc_wait_exit (strategy, WAIT_MS);
    cr_assert_eq (status, 0, "exit %d; log:\n%s", status, vbt_proc_stderr (strategy));
    const char *log = vbt_proc_stderr (strategy);
    cr_assert_not_null (strstr (log, "strategy stopping reason=duration"), "%s", log);
    cr_assert_not_null (strstr (log, "strategy stopped exit=0"), "%s", log);
    s_expect_nothing_open (router, strategy);
    vbt_proc_stop (&strategy, EXIT_MS);
    vbt_router_destroy (&router);
}

Test (example_c, refuses_a_bad_configuration_with_exit_2)
{
    //  Nothing listens on these endpoints; the configuration is checked first.
    char *argv[] = {
        VB_STRATEGY_C_BIN, "--bus", "tcp://127.0.0.1:1", "--router", "tcp://127.0.0.1:1", "--qty",
        "-0.001",          NULL};
    vbt_proc_t *strategy = vbt_proc_start (argv[0], argv, NULL);
    cr_assert_not_null (strategy);
    int status = vbt_proc_wait_exit (strategy, EXIT_MS);
    cr_assert_eq (status, 2, "exit %d; log:\n%s", status, vbt_proc_stderr (strategy));
    cr_assert_not_null (strstr (vbt_proc_stderr (strategy), "key=mm/qty"), "%s",
                        vbt_proc_stderr (strategy));
    vbt_proc_stop (&strategy, EXIT_MS);
}
