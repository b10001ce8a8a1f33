/*  test_ctl_live.c — venuebus-ctl against the real stack: venuebus-sim
    (binance), venuebus-bus, venuebus-gateway and venuebus-router
    (tests/support/vbt_router.h starts all four).

    The live view runs in a detached tmux session of a fixed size (its own
    server socket in a temp dir); the test reads the screen with
    `tmux capture-pane -p` until it shows what the stack publishes: the
    BTC-USDT book synced with a bid near the sim's own, a non-zero book
    message rate, the router's rate-limit buckets as bars, and an order a
    test strategy places (gone from OPEN ORDERS once cancelled). `q` must
    quit with exit 0. Each wait polls the screen with a short pause between
    polls, bounded in time: waiting on a condition, never a sleep that
    stands in for one.

    The one-shot reports `limits --json` and `orders --json` are checked
    against the real router too.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vb_decimal.h"
#include "vb_json.h"
#include "vbt_proc.h"
#include "vbt_router.h"

#define TMUX         "/usr/bin/tmux"
#define SYMBOL       "BTC-USDT"
#define REST_SYMBOL  "BTCUSDT"
#define SESSION      "ctl"
#define COLUMNS      "200"  //  Wide enough for every column of every pane
#define LINES        "60"   //  Tall enough for every pane
#define SCREEN_MAX   65536
#define COMMAND_MAX  4096
#define PATH_MAX_    512
#define DIR_MAX      64  //  "/tmp/vbt-ctl-live-XXXXXX" and room
#define ID_MAX       65
#define WAIT_MS      30000       //  Book sync, rate publishing (1 s), redraws (250 ms)
#define POLL_NS      100000000L  //  Between two captures inside a bounded wait
#define FAR_PRICE    "30000.00"  //  A BUY far below the sim's ~65000: never fills
#define ORDER_QTY    "0.001"     //  30 USDT notional, above the 5 USDT minimum
#define ONE_SHOT_MS  "3000"      //  How long the one-shot reports collect
#define SIM_BAND_DIV 100         //  The bid shown must be within 1 % of the sim's

static char s_dir[DIR_MAX];     //  Temp dir: tmux socket, ctl's log and exit status
static char s_sock[PATH_MAX_];  //  tmux -S socket

//  --------------------------------------------------------------------------
//  Milliseconds of a monotonic clock.

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

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
//  Run a shell command; returns its exit status.

static int
s_shell (const char *command)
{
    int status = system (command);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  --------------------------------------------------------------------------
//  Test set-up and tear-down: a private tmux server; stopped whatever
//  happened, so no tmux or ctl outlives the test.

static void
s_setup (void)
{
    snprintf (s_dir, sizeof (s_dir), "/tmp/vbt-ctl-live-XXXXXX");
    cr_assert_not_null (mkdtemp (s_dir));
    snprintf (s_sock, sizeof (s_sock), "%s/tmux.sock", s_dir);
}

static void
s_teardown (void)
{
    char command[COMMAND_MAX];
    snprintf (command, sizeof (command), TMUX " -S %s kill-server >/dev/null 2>&1; rm -rf %s",
              s_sock, s_dir);
    if (s_shell (command) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
}

//  --------------------------------------------------------------------------
//  Start the live view in a detached session; its exit status goes to
//  s_dir/status when it ends.

static void
s_start_view (vbt_router_t *router)
{
    char command[COMMAND_MAX];
    snprintf (command, sizeof (command),
              TMUX " -S %s -f /dev/null new-session -d -s " SESSION " -x " COLUMNS " -y " LINES
                   " '%s watch --bus %s --snapshot binance=%s --level info 2>%s/ctl.log; "
                   "echo $? >%s/status.tmp; mv %s/status.tmp %s/status'",
              s_sock, VB_CTL_BIN, vbt_router_bus_backend (router), vbt_router_snapshot (router),
              s_dir, s_dir, s_dir, s_dir);
    cr_assert_eq (s_shell (command), 0, "tmux new-session failed: %s", command);
}

//  --------------------------------------------------------------------------
//  Capture the pane as text into screen. Returns false when the session is
//  gone.

static bool
s_capture (char *screen, size_t size)
{
    char command[COMMAND_MAX];
    snprintf (command, sizeof (command), TMUX " -S %s capture-pane -p -t " SESSION " 2>/dev/null",
              s_sock);
    FILE *pipe = popen (command, "r");
    cr_assert_not_null (pipe);
    size_t length = fread (screen, 1, size - 1, pipe);
    screen[length] = '\0';
    return pclose (pipe) == 0;
}

//  --------------------------------------------------------------------------
//  Capture until check (screen, ctx) holds; fail the test with the last
//  screen after WAIT_MS.

typedef bool (s_check_fn) (const char *screen, void *ctx);

static void
s_wait_screen (s_check_fn *check, void *ctx, const char *what, char *screen)
{
    int64_t deadline = s_now_ms () + WAIT_MS;
    while (true) {
        bool alive = s_capture (screen, SCREEN_MAX);
        if (alive && check (screen, ctx))
            return;
        cr_assert (alive, "the ctl session ended while waiting for %s", what);
        cr_assert_lt (s_now_ms (), deadline, "no %s on the screen within %d ms:\n%s", what, WAIT_MS,
                      screen);
        struct timespec pause = {0, POLL_NS};
        nanosleep (&pause, NULL);
    }
}

//  --------------------------------------------------------------------------
//  Copy the screen line holding every one of the words (NULL terminated)
//  into line. Returns true when found.

static bool
s_find_line (const char *screen, const char *const *words, char *line, size_t size)
{
    for (const char *at = screen; at && *at;) {
        const char *end = strchr (at, '\n');
        size_t length = end ? (size_t)(end - at) : strlen (at);
        snprintf (line, size, "%.*s", (int)length, at);
        bool all = true;
        for (size_t i = 0; words[i] && all; i++)
            all = strstr (line, words[i]) != NULL;
        if (all)
            return true;
        at = end ? end + 1 : NULL;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  The BTC-USDT book row, synced, with a bid: "  binance BTC-USDT synced
//  SYNCED BID_QTY BID ASK ASK_QTY ...". ctx receives the bid.

static bool
s_book_synced (const char *screen, void *ctx)
{
    const char *const words[] = {"binance", SYMBOL, NULL};
    char line[1024];
    if (!s_find_line (screen, words, line, sizeof (line)))
        return false;
    char *tokens[8], *saveptr = NULL;
    size_t count = 0;
    for (char *token = strtok_r (line, " ", &saveptr); token && count < 8;
         token = strtok_r (NULL, " ", &saveptr))
        tokens[count++] = token;
    if (count < 7 || strcmp (tokens[2], "synced") != 0)
        return false;
    vb_decimal_t *bid = (vb_decimal_t *)ctx;
    return vb_decimal_parse (tokens[5], strlen (tokens[5]), bid) == 0 && bid->mantissa > 0;
}

//  --------------------------------------------------------------------------
//  "rates/s:  trade 0.0  book 12.5 ..." with a non-zero book rate.

static bool
s_book_rate (const char *screen, void *ctx)
{
    (void)ctx;
    const char *line = strstr (screen, "rates/s:");
    const char *book = line ? strstr (line, " book ") : NULL;
    if (!book)
        return false;
    book += strlen (" book ");
    size_t length = strspn (book, "0123456789.");
    if (length == 0)
        return false;
    for (size_t i = 0; i < length; i++)
        if (book[i] >= '1' && book[i] <= '9')
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  A bar for the router's Binance request-weight bucket:
//  "  binance.ip.request_weight_1m   [#....] 1.2%  used/limit queue=0 router".

static bool
s_limit_bar (const char *screen, void *ctx)
{
    (void)ctx;
    const char *const words[] = {"binance.ip.request_weight_1m", " [", "] ", "router", NULL};
    char line[1024];
    return strstr (screen, "RATE LIMITS (") && s_find_line (screen, words, line, sizeof (line));
}

//  --------------------------------------------------------------------------
//  The order (client order id in ctx) open on the screen, or gone from it.

static bool
s_order_shown (const char *screen, void *ctx)
{
    const char *const words[] = {(const char *)ctx, "ctl-live", SYMBOL, "BUY", "NEW", NULL};
    char line[1024];
    return s_find_line (screen, words, line, sizeof (line));
}

static bool
s_order_gone (const char *screen, void *ctx)
{
    return strstr (screen, "OPEN ORDERS (") && !strstr (screen, (const char *)ctx);
}

//  --------------------------------------------------------------------------
//  Wait (bounded) for the view's exit status file; returns the status.

static int
s_view_status (void)
{
    char path[PATH_MAX_];
    snprintf (path, sizeof (path), "%s/status", s_dir);
    int64_t deadline = s_now_ms () + WAIT_MS;
    while (s_now_ms () < deadline) {
        FILE *file = fopen (path, "r");
        if (file) {
            int status = -1;
            int read = fscanf (file, "%d", &status);
            fclose (file);
            cr_assert_eq (read, 1, "unreadable status file");
            return status;
        }
        struct timespec pause = {0, POLL_NS};
        nanosleep (&pause, NULL);
    }
    cr_assert_fail ("ctl did not exit within %d ms of q", WAIT_MS);
    return -1;
}

//  --------------------------------------------------------------------------

Test (ctl_live, shows_books_rates_limits_and_orders_of_the_real_stack, .init = s_setup,
      .fini = s_teardown)
{
    cr_assert_eq (access (TMUX, X_OK), 0, TMUX " is needed (scripts/deps.sh installs tmux)");
    vbt_router_t *router = s_stack ();
    s_start_view (router);
    char *screen = (char *)malloc (SCREEN_MAX);
    cr_assert_not_null (screen);

    //  Top of book: synced, and the bid close to the sim's own best bid
    //  (read from the sim's REST depth, not from ctl's source).
    vb_decimal_t shown_bid;
    s_wait_screen (s_book_synced, &shown_bid, "synced BTC-USDT book with a bid", screen);
    vb_decimal_t sim_bid, sim_ask;
    vbt_router_sim_top (router, REST_SYMBOL, &sim_bid, &sim_ask);
    vb_decimal_t difference, band;
    cr_assert_eq (vb_decimal_sub (shown_bid, sim_bid, &difference), 0);
    if (vb_decimal_is_negative (difference))
        cr_assert_eq (vb_decimal_sub (sim_bid, shown_bid, &difference), 0);
    band = sim_bid;
    band.mantissa /= SIM_BAND_DIV;
    cr_assert_leq (vb_decimal_cmp (difference, band), 0,
                   "bid on screen is more than 1%% away from the sim's:\n%s", screen);

    s_wait_screen (s_book_rate, NULL, "non-zero book message rate", screen);
    s_wait_screen (s_limit_bar, NULL, "rate-limit bar for binance.ip.request_weight_1m", screen);

    //  An order from a test strategy shows up open, then leaves the pane.
    vbt_strategy_t *strategy = vbt_strategy_new (router, "ctl-live");
    cr_assert_eq (vbt_strategy_place (strategy, "live-1", SYMBOL, VENUEBUS__SIDE__BUY,
                                      VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC,
                                      FAR_PRICE, ORDER_QTY, true),
                  0);
    char coid[ID_MAX];
    vbt_strategy_wait_state (strategy, "live-1", VENUEBUS__ORDER_STATE__NEW, coid, WAIT_MS);
    s_wait_screen (s_order_shown, coid, "the open order", screen);
    cr_assert_eq (vbt_strategy_cancel (strategy, "live-1", coid), 0);
    vbt_strategy_wait_state (strategy, "live-1", VENUEBUS__ORDER_STATE__CANCELED, NULL, WAIT_MS);
    s_wait_screen (s_order_gone, coid, "the cancelled order leaving OPEN ORDERS", screen);

    //  q quits the view with exit 0.
    char command[COMMAND_MAX];
    snprintf (command, sizeof (command), TMUX " -S %s send-keys -t " SESSION " q", s_sock);
    cr_assert_eq (s_shell (command), 0);
    cr_assert_eq (s_view_status (), 0, "ctl exit status");

    free (screen);
    vbt_strategy_destroy (&strategy);
    vbt_router_destroy (&router);
}

//  --------------------------------------------------------------------------
//  Start a one-shot report (JSON) against the stack.

static vbt_proc_t *
s_one_shot (vbt_router_t *router, const char *report)
{
    char snapshot[PATH_MAX_];
    snprintf (snapshot, sizeof (snapshot), "binance=%s", vbt_router_snapshot (router));
    char *argv[] = {VB_CTL_BIN,
                    (char *)report,
                    "--json",
                    "--duration",
                    ONE_SHOT_MS,
                    "--bus",
                    (char *)vbt_router_bus_backend (router),
                    "--snapshot",
                    snapshot,
                    NULL};
    vbt_proc_t *ctl = vbt_proc_start (argv[0], argv, NULL);
    cr_assert_not_null (ctl);
    return ctl;
}

//  Wait for the report's exit 0; returns its stdout (the caller frees).

static char *
s_one_shot_output (vbt_proc_t *ctl)
{
    int status = vbt_proc_wait_exit (ctl, WAIT_MS);
    cr_assert_eq (status, 0, "ctl exit %d: %s", status, vbt_proc_stderr (ctl));
    char *out = strdup (vbt_proc_stdout (ctl));
    cr_assert_not_null (out);
    vbt_proc_stop (&ctl, WAIT_MS);
    return out;
}

Test (ctl_live, limits_json_lists_the_routers_buckets)
{
    vbt_router_t *router = s_stack ();
    vbt_proc_t *ctl = s_one_shot (router, "limits");
    char *out = s_one_shot_output (ctl);
    vb_json_t *json = vb_json_new ();
    cr_assert_not_null (json);
    vb_json_val_t root;
    cr_assert_eq (vb_json_parse (json, out, strlen (out), &root), 0, "not JSON: %s", out);
    //  The router publishes every bucket of the Binance adapter each second
    //  (venues/binance/exec.c: request weight, order counts, SAPI weight).
    cr_assert_not_null (strstr (out, "\"service\":\"router\""), "%s", out);
    cr_assert_not_null (strstr (out, "\"bucket\":\"binance.ip.request_weight_1m\""), "%s", out);
    cr_assert_not_null (strstr (out, "\"bucket\":\"binance.ip.sapi_weight_1m\""), "%s", out);
    cr_assert_not_null (strstr (out, "\"scope\":\"account:main\""), "%s", out);
    vb_json_destroy (&json);
    free (out);
    vbt_router_destroy (&router);
}

Test (ctl_live, orders_json_lists_an_open_order_of_the_real_router)
{
    vbt_router_t *router = s_stack ();
    vbt_strategy_t *strategy = vbt_strategy_new (router, "ctl-orders");
    vbt_proc_t *ctl = s_one_shot (router, "orders");
    //  ctl gives no sign when it has subscribed, so orders keep coming while
    //  it collects: place one, and once it is NEW cancel the one before, so
    //  that one order is always open. The loop ends when ctl exits.
    char previous_tag[ID_MAX] = "", previous_coid[ID_MAX] = "";
    static char coids[100][ID_MAX];  //  Every order placed, in order
    int placed = 0;
    while (vbt_proc_wait_exit (ctl, 0) < 0) {
        char tag[ID_MAX], coid[ID_MAX];
        snprintf (tag, sizeof (tag), "orders-%d", ++placed);
        cr_assert_lt (placed, 100, "ctl never exited");
        cr_assert_eq (vbt_strategy_place (strategy, tag, SYMBOL, VENUEBUS__SIDE__BUY,
                                          VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC,
                                          FAR_PRICE, ORDER_QTY, true),
                      0);
        vbt_strategy_wait_state (strategy, tag, VENUEBUS__ORDER_STATE__NEW, coid, WAIT_MS);
        if (*previous_tag) {
            cr_assert_eq (vbt_strategy_cancel (strategy, previous_tag, previous_coid), 0);
            vbt_strategy_wait_state (strategy, previous_tag, VENUEBUS__ORDER_STATE__CANCELED, NULL,
                                     WAIT_MS);
        }
        snprintf (previous_tag, sizeof (previous_tag), "%s", tag);
        snprintf (previous_coid, sizeof (previous_coid), "%s", coid);
        snprintf (coids[placed - 1], sizeof (coids[0]), "%s", coid);
    }
    char *out = s_one_shot_output (ctl);
    vb_json_t *json = vb_json_new ();
    cr_assert_not_null (json);
    vb_json_val_t root;
    cr_assert_eq (vb_json_parse (json, out, strlen (out), &root), 0, "not JSON: %s", out);
    //  An order of this test open when ctl stopped, with the fields the
    //  strategy sent. Which one depends on where in the place/cancel cycle
    //  ctl's collection ended, so any of the test's orders will do.
    const char *order = NULL;
    for (int i = 0; i < placed && !order; i++) {
        char expected[2 * ID_MAX + 128];
        snprintf (expected, sizeof (expected), "\"client_order_id\":\"%.*s\"", ID_MAX - 1,
                  coids[i]);
        order = strstr (out, expected);
    }
    cr_assert_not_null (order, "no open order of this test listed: %s", out);
    cr_assert_not_null (strstr (out, "\"strategy\":\"ctl-orders\""), "%s", out);
    cr_assert_not_null (strstr (out, "\"state\":\"NEW\""), "%s", out);
    cr_assert_not_null (strstr (out, "\"price\":\"30000"), "%s", out);
    //  Orders cancelled while it collected are counted as finished.
    if (placed > 2)
        cr_assert_null (strstr (out, "\"finished\":0"), "%s", out);
    vb_json_destroy (&json);
    free (out);
    cr_assert_eq (vbt_strategy_cancel (strategy, previous_tag, previous_coid), 0);
    vbt_strategy_wait_state (strategy, previous_tag, VENUEBUS__ORDER_STATE__CANCELED, NULL,
                             WAIT_MS);
    vbt_strategy_destroy (&strategy);
    vbt_router_destroy (&router);
}
