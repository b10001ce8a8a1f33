/*  test_example_python.c — examples/strategy-python/strategy.py against the
    real stack: venuebus-sim (binance), venuebus-bus, venuebus-gateway and
    venuebus-router (tests/support/vbt_router.h starts all four).

    strategy.py --place waits for the book, places one post-only BUY far
    below the market, cancels it once NEW and exits 0 on CANCELED. The test
    runs it with Debian's /usr/bin/python3 and the generated venuebus_pb2
    (VB_BINARY_DIR/python), waits (bounded) for it to exit, reads the ack and
    the reports from its output, and asks the sim itself what became of the
    order. No sleeps: every wait is for a process exit or a line.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vb_exec.h"
#include "vbt_proc.h"
#include "vbt_router.h"

#define PYTHON      "/usr/bin/python3"
#define STRATEGY_PY VB_SOURCE_DIR "/examples/strategy-python/strategy.py"
#define PROTO_DIR   VB_BINARY_DIR "/python"
#define SYMBOL      "BTC-USDT"
#define ID_MAX      128
//  strategy.py's own --place timeout, and the test's bound on its exit:
//  start-up, a synced book and two router round trips fit easily.
#define PLACE_SECONDS "40"
#define EXIT_WAIT_MS  60000

//  --------------------------------------------------------------------------
//  The stack: sim, bus, router, gateway for BTC-USDT on binance.

static vbt_router_t *
s_stack (void)
{
    cr_assert_eq (access (PROTO_DIR "/venuebus_pb2.py", R_OK), 0,
                  PROTO_DIR "/venuebus_pb2.py is missing: build the vb_proto_python target");
    vbt_router_args_t args = {.sim_bin = VB_SIM_BIN,
                              .router_bin = VB_ROUTER_BIN,
                              .bus_bin = VB_BUS_BIN,
                              .gateway_bin = VB_GATEWAY_BIN,
                              .venue = "binance",
                              .symbols = SYMBOL};
    return vbt_router_new (&args);
}

//  --------------------------------------------------------------------------
//  Start strategy.py with --place and the given extra arguments (NULL
//  terminated, at most 4).

static vbt_proc_t *
s_strategy (vbt_router_t *router, const char *const *extra)
{
    char *argv[32] = {PYTHON,        STRATEGY_PY,
                      "--bus",       (char *)vbt_router_bus_backend (router),
                      "--snapshot",  (char *)vbt_router_snapshot (router),
                      "--router",    (char *)vbt_router_endpoint (router),
                      "--venue",     "binance",
                      "--symbol",    SYMBOL,
                      "--account",   "main",
                      "--strategy",  "strategy-py",
                      "--place",     "--seconds",
                      PLACE_SECONDS, "--proto-dir",
                      PROTO_DIR};
    size_t argc = 21;
    for (size_t i = 0; extra && extra[i]; i++) {
        cr_assert_lt (argc, 30);
        argv[argc++] = (char *)extra[i];
    }
    argv[argc] = NULL;
    //  Unbuffered, so a test failure shows everything it printed.
    char *env[] = {"PYTHONUNBUFFERED=1", NULL};
    vbt_proc_t *proc = vbt_proc_start (PYTHON, argv, env);
    cr_assert_not_null (proc, "cannot start %s", PYTHON);
    return proc;
}

//  --------------------------------------------------------------------------
//  The first line of `text` that starts with `prefix`, copied into line.
//  Returns true when found.

static bool
s_line (const char *text, const char *prefix, char *line, size_t size)
{
    size_t length = strlen (prefix);
    for (const char *at = text; at && *at; at = strchr (at, '\n') ? strchr (at, '\n') + 1 : NULL) {
        if (strncmp (at, prefix, length) == 0) {
            const char *end = strchr (at, '\n');
            size_t n = end ? (size_t)(end - at) : strlen (at);
            snprintf (line, size, "%.*s", (int)n, at);
            return true;
        }
    }
    return false;
}

//  --------------------------------------------------------------------------

Test (example_python, places_then_cancels_an_order_and_exits_0)
{
    vbt_router_t *router = s_stack ();
    vbt_proc_t *strategy = s_strategy (router, NULL);
    int status = vbt_proc_wait_exit (strategy, EXIT_WAIT_MS);
    const char *out = vbt_proc_stdout (strategy);
    cr_assert_eq (status, 0, "strategy.py exit %d; stdout:\n%s\nstderr:\n%s", status, out,
                  vbt_proc_stderr (strategy));

    //  Its output: the order was sent, acknowledged with the router's id,
    //  reported NEW, cancelled and reported CANCELED, in that order.
    char sent[512], ack[512], canceled[512], tag[ID_MAX], coid[ID_MAX], value[ID_MAX];
    cr_assert (s_line (out, "order sent ", sent, sizeof (sent)), "%s", out);
    cr_assert_eq (vbt_line_value (sent, "tag", tag, sizeof (tag)), 0);
    cr_assert_eq (vbt_line_value (sent, "side", value, sizeof (value)), 0);
    cr_assert_str_eq (value, "BUY");
    cr_assert (s_line (out, "ack ", ack, sizeof (ack)), "no ack in:\n%s", out);
    cr_assert_eq (vbt_line_value (ack, "tag", value, sizeof (value)), 0);
    cr_assert_str_eq (value, tag);
    cr_assert_eq (vbt_line_value (ack, "client_order_id", coid, sizeof (coid)), 0);
    //  Router client order ids: "vb" + router id + sequence, 18 characters
    //  (services/router/README.md).
    cr_assert_eq (strlen (coid), 18, "client_order_id %s", coid);
    cr_assert_eq (strncmp (coid, "vb", 2), 0, "client_order_id %s", coid);
    char expected[2 * ID_MAX + 128];
    snprintf (expected, sizeof (expected), "execution_report tag=%s client_order_id=%s state=NEW",
              tag, coid);
    const char *new_at = strstr (out, expected);
    cr_assert_not_null (new_at, "no NEW report in:\n%s", out);
    snprintf (expected, sizeof (expected), "cancel sent tag=%s", tag);
    const char *cancel_at = strstr (out, expected);
    cr_assert (cancel_at && cancel_at > new_at, "no cancel after NEW in:\n%s", out);
    snprintf (expected, sizeof (expected),
              "execution_report tag=%s client_order_id=%s state=CANCELED", tag, coid);
    cr_assert (s_line (cancel_at, expected, canceled, sizeof (canceled)),
               "no CANCELED report after the cancel in:\n%s", out);
    cr_assert_not_null (strstr (out, "strategy stopped exit=0"), "%s", out);

    //  The venue's own word: the order exists and is cancelled.
    vb_exec_report_t report;
    cr_assert_eq (vbt_router_sim_order (router, SYMBOL, coid, &report), VB_EXEC_OK);
    cr_assert_eq (report.state, VB_EXEC_STATE_CANCELED, "sim state %d", (int)report.state);
    cr_assert_eq (vbt_router_sim_open_orders (router, SYMBOL, NULL, 0), 0);
    vbt_proc_stop (&strategy, EXIT_WAIT_MS);
    vbt_router_destroy (&router);
}

Test (example_python, exits_1_when_the_router_rejects_its_order)
{
    vbt_router_t *router = s_stack ();
    //  0.01 x 0.001 = 0.00001 USDT, far under Binance's BTC-USDT minimum
    //  notional of 5 USDT (the sim's listing, venues/binance/sim.c): the
    //  router refuses it locally.
    const char *const extra[] = {"--price", "0.01", NULL};
    vbt_proc_t *strategy = s_strategy (router, extra);
    int status = vbt_proc_wait_exit (strategy, EXIT_WAIT_MS);
    const char *out = vbt_proc_stdout (strategy);
    cr_assert_eq (status, 1, "strategy.py exit %d; stdout:\n%s\nstderr:\n%s", status, out,
                  vbt_proc_stderr (strategy));
    //  The router journals a local refusal as REJECTED (an ExecutionReport,
    //  then a Reject); strategy.py stops at whichever comes first.
    char line[512];
    cr_assert (s_line (out, "reject ", line, sizeof (line)) || strstr (out, " state=REJECTED "),
               "no reject in:\n%s", out);
    cr_assert_null (strstr (out, "state=CANCELED"), "%s", out);
    cr_assert_not_null (strstr (out, "strategy stopped exit=1"), "%s", out);
    cr_assert_eq (vbt_router_sim_open_orders (router, SYMBOL, NULL, 0), 0);
    vbt_proc_stop (&strategy, EXIT_WAIT_MS);
    vbt_router_destroy (&router);
}
