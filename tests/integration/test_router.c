/*  test_router.c — venuebus-router against the real sim, both venues: an
    order's normal life and the key posture check at start.
    Expected states come from the venues' rules (venues.md 1.6, 3.4): a buy
    far below the best bid rests (NEW); a buy above the best ask fills at
    once (FILLED); a quantity the balance cannot cover is refused with
    INSUFFICIENT_BALANCE; a price off the tick never leaves the router.
    Every final state the router reports is compared with the sim's own
    record, read by client order id through the venue adapter over plain
    HTTP. The posture rules are DESIGN.md §6: withdraw refused, no IP
    whitelist refused unless allowed, exit 3 naming the account.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "vb_decimal.h"
#include "vbt_router.h"

#define WAIT_MS 20000

typedef struct {
    const char *venue;
    const char *symbol;         //  Normalised
    const char *rest_symbol;    //  The venue's REST name, for depth
    const char *qty;            //  A small valid quantity
    const char *far_price;      //  A valid price far below the market
    const char *off_tick;       //  A price that breaks the tick size
    Venuebus__Side broke_side;  //  An order the demo balance cannot cover:
    const char *broke_price;    //  buy 2000 BTC at 1000 (2 M of quote, 1 M held), or
    const char *broke_qty;      //  sell 20 BTC (10 held) where 2000 is above the max qty
} s_venue_t;

static const s_venue_t s_binance = {"binance",  "BTC-USDT",          "BTCUSDT", "0.01", "1000.00",
                                    "1000.001", VENUEBUS__SIDE__BUY, "1000.00", "2000"};
static const s_venue_t s_kraken = {
    "kraken",   "BTC-USD", "XBTUSD", "0.001", "1000.0", "1000.05", VENUEBUS__SIDE__SELL,
    "900000.0", "20"};

static vbt_router_t *
s_start (const s_venue_t *venue, const char *permissions, const char *ips,
         const char *account_extra, bool no_wait)
{
    vbt_router_args_t args = {.sim_bin = VB_SIM_BIN,
                              .router_bin = VB_ROUTER_BIN,
                              .venue = venue->venue,
                              .permissions = permissions,
                              .ips = ips,
                              .account_extra = account_extra,
                              .no_wait = no_wait};
    return vbt_router_new (&args);
}

//  The sim's own state of an order equals what the router said last.
static void
s_expect_sim_state (vbt_router_t *router, const s_venue_t *venue, const char *coid, int state)
{
    vb_exec_report_t report;
    cr_assert_eq (vbt_router_sim_order (router, venue->symbol, coid, &report), VB_EXEC_OK,
                  "the sim does not know %s", coid);
    cr_assert_eq ((int)report.state, state, "sim says state %d for %s, router said %d",
                  (int)report.state, coid, state);
}

//  --------------------------------------------------------------------------
//  Normal life: rest, cancel, take, reject, local reject.

static void
s_normal_life (const s_venue_t *venue)
{
    vbt_router_t *router = s_start (venue, NULL, NULL, NULL, false);
    vbt_strategy_t *strategy = vbt_strategy_new (router, "alpha");
    char rest[32], taken[32];

    //  A bid far below the market rests: Ack, then NEW
    vbt_strategy_place (strategy, "rest-1", venue->symbol, VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, venue->far_price,
                        venue->qty, false);
    vbt_report_t ack =
        vbt_strategy_wait (strategy, "rest-1", VENUEBUS__ENVELOPE__BODY_ACK, WAIT_MS);
    cr_assert_eq (strlen (ack.client_order_id), 18, "client order id %s", ack.client_order_id);
    cr_assert_eq (strncmp (ack.client_order_id, "vb0001", 6), 0);
    vbt_strategy_wait_state (strategy, "rest-1", VENUEBUS__ORDER_STATE__NEW, rest, WAIT_MS);
    cr_assert_str_eq (rest, ack.client_order_id);
    s_expect_sim_state (router, venue, rest, VB_EXEC_STATE_NEW);

    //  Cancel it: PENDING_CANCEL, then CANCELED, as the sim says
    vbt_strategy_cancel (strategy, "rest-1", NULL);
    vbt_strategy_wait_state (strategy, "rest-1", VENUEBUS__ORDER_STATE__PENDING_CANCEL, NULL,
                             WAIT_MS);
    vbt_strategy_wait_state (strategy, "rest-1", VENUEBUS__ORDER_STATE__CANCELED, NULL, WAIT_MS);
    s_expect_sim_state (router, venue, rest, VB_EXEC_STATE_CANCELED);

    //  A buy well above the best ask takes liquidity: FILLED, with its fills
    vb_decimal_t bid, ask, high;
    vbt_router_sim_top (router, venue->rest_symbol, &bid, &ask);
    cr_assert_eq (vb_decimal_add (ask, ask, &high), 0);  //  2x the ask: crosses, within bands
    char price[64];
    //  Keep the ask's tick: doubling a multiple of the tick stays on the tick
    cr_assert_gt (vb_decimal_format (high, price, sizeof (price)), 0);
    vbt_strategy_place (strategy, "take-1", venue->symbol, VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__IOC, price,
                        venue->qty, false);
    vbt_strategy_wait_state (strategy, "take-1", VENUEBUS__ORDER_STATE__FILLED, taken, WAIT_MS);
    s_expect_sim_state (router, venue, taken, VB_EXEC_STATE_FILLED);
    //  The fills add up to the order, each trade counted once
    size_t count;
    const vbt_report_t *reports = vbt_strategy_reports (strategy, &count);
    vb_decimal_t sum = {0, 0}, qty;
    cr_assert_eq (vb_decimal_parse (venue->qty, strlen (venue->qty), &qty), 0);
    for (size_t i = 0; i < count; i++) {
        if (strcmp (reports[i].client_tag, "take-1") != 0 || !reports[i].venue_trade_id[0])
            continue;
        for (size_t j = 0; j < i; j++)
            cr_assert (strcmp (reports[j].venue_trade_id, reports[i].venue_trade_id) != 0 ||
                           strcmp (reports[j].client_tag, "take-1") != 0,
                       "trade %s reported twice", reports[i].venue_trade_id);
        cr_assert_eq (vb_decimal_add (sum, reports[i].last_fill_qty, &sum), 0);
    }
    cr_assert_eq (vb_decimal_cmp (sum, qty), 0, "fills sum to %lde%d", (long)sum.mantissa,
                  sum.exponent);

    //  More than the balance can pay: the venue refuses it
    vbt_strategy_place (strategy, "broke-1", venue->symbol, venue->broke_side,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC,
                        venue->broke_price, venue->broke_qty, false);
    vbt_report_t reject =
        vbt_strategy_wait (strategy, "broke-1", VENUEBUS__ENVELOPE__BODY_REJECT, WAIT_MS);
    cr_assert_eq (reject.reason, VENUEBUS__REJECT_REASON__INSUFFICIENT_BALANCE,
                  "reason %d %s code %s", reject.reason, reject.detail, reject.venue_code);
    cr_assert_neq (reject.venue_code[0], '\0');
    vbt_strategy_wait_state (strategy, "broke-1", VENUEBUS__ORDER_STATE__REJECTED, NULL, WAIT_MS);

    //  Off the tick: refused by the router's own rules, never sent
    vbt_strategy_place (strategy, "tick-1", venue->symbol, VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, venue->off_tick,
                        venue->qty, false);
    reject = vbt_strategy_wait (strategy, "tick-1", VENUEBUS__ENVELOPE__BODY_REJECT, WAIT_MS);
    cr_assert_eq (reject.reason, VENUEBUS__REJECT_REASON__INVALID_PRICE, "reason %d %s",
                  reject.reason, reject.detail);
    cr_assert_str_eq (reject.venue_code, "local");
    cr_assert_eq (vbt_router_sim_order (router, venue->symbol, reject.client_order_id, NULL),
                  VB_EXEC_NOT_FOUND);

    //  The same tag again is a duplicate, not a second order
    vbt_strategy_place (strategy, "rest-1", venue->symbol, VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, venue->far_price,
                        venue->qty, false);
    reject = vbt_strategy_wait (strategy, "rest-1", VENUEBUS__ENVELOPE__BODY_REJECT, WAIT_MS);
    cr_assert_eq (reject.reason, VENUEBUS__REJECT_REASON__DUPLICATE_ORDER);
    cr_assert_str_eq (reject.client_order_id, rest);

    vbt_strategy_destroy (&strategy);
    vbt_router_destroy (&router);
}

Test (router, binance_order_life_matches_the_venue, .timeout = 120)
{
    s_normal_life (&s_binance);
}

Test (router, kraken_order_life_matches_the_venue, .timeout = 120)
{
    s_normal_life (&s_kraken);
}

//  --------------------------------------------------------------------------
//  Hostile strategy frames get a reason, and the router keeps serving.

Test (router, hostile_strategy_frames_are_refused_with_a_reason, .timeout = 120)
{
    vbt_router_t *router = s_start (&s_binance, NULL, NULL, NULL, false);
    vbt_strategy_t *strategy = vbt_strategy_new (router, "alpha");
    const char garbage[] = "\x0a\xff\xff\xff\xff\x0f garbage";
    cr_assert_eq (vbt_strategy_send_raw (strategy, garbage, sizeof (garbage)), 0);
    vbt_report_t report;
    cr_assert (vbt_strategy_recv (strategy, &report, WAIT_MS));
    cr_assert_eq (report.kind, VENUEBUS__ENVELOPE__BODY_REJECT);
    cr_assert_eq (report.reason, VENUEBUS__REJECT_REASON__INVALID_REQUEST);
    //  Unknown account, bad qty, unknown symbol
    vbt_strategy_place (strategy, "neg", "BTC-USDT", VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, "100", "-1",
                        false);
    report = vbt_strategy_wait (strategy, "neg", VENUEBUS__ENVELOPE__BODY_REJECT, WAIT_MS);
    cr_assert_eq (report.reason, VENUEBUS__REJECT_REASON__INVALID_QTY);
    vbt_strategy_place (strategy, "nosym", "NOPE-USDT", VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, "100", "1",
                        false);
    report = vbt_strategy_wait (strategy, "nosym", VENUEBUS__ENVELOPE__BODY_REJECT, WAIT_MS);
    cr_assert_eq (report.reason, VENUEBUS__REJECT_REASON__UNKNOWN_SYMBOL, "%d %s", report.reason,
                  report.detail);
    //  Still serving
    vbt_strategy_place (strategy, "ok", "BTC-USDT", VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, "1000.00",
                        "0.01", false);
    vbt_strategy_wait_state (strategy, "ok", VENUEBUS__ORDER_STATE__NEW, NULL, WAIT_MS);
    vbt_strategy_destroy (&strategy);
    vbt_router_destroy (&router);
}

//  --------------------------------------------------------------------------
//  Posture at start.

static void
s_refused (const s_venue_t *venue, const char *permissions, const char *ips, const char *why)
{
    vbt_router_t *router = s_start (venue, permissions, ips, NULL, true);
    int status = vbt_proc_wait_exit (vbt_router_proc (router), WAIT_MS);
    cr_assert_eq (status, 3, "exit %d; stderr: %s", status,
                  vbt_proc_stderr (vbt_router_proc (router)));
    const char *log = vbt_proc_stderr (vbt_router_proc (router));
    cr_assert_not_null (strstr (log, "account=main"), "%s", log);
    cr_assert_not_null (strstr (log, why), "%s", log);
    cr_assert_null (strstr (vbt_proc_stdout (vbt_router_proc (router)), "ready"));
    vbt_router_destroy (&router);
}

Test (router, a_key_that_can_withdraw_is_refused, .timeout = 120)
{
    s_refused (&s_binance, "read,trade,withdraw", NULL, "withdraw");
    s_refused (&s_kraken, "read,trade,withdraw", NULL, "withdraw");
}

Test (router, a_key_without_ip_whitelist_is_refused_unless_allowed, .timeout = 120)
{
    s_refused (&s_binance, NULL, "", "IP whitelist");
    s_refused (&s_kraken, NULL, "", "IP whitelist");
    vbt_router_t *router =
        s_start (&s_binance, NULL, "", "        allow_unrestricted_ip = true", false);
    cr_assert_not_null (strstr (vbt_proc_stderr (vbt_router_proc (router)), "IP whitelist"));
    vbt_router_destroy (&router);
}

Test (router, a_key_without_trade_permission_is_refused, .timeout = 120)
{
    s_refused (&s_binance, "read", NULL, "trade permission");
}

//  --------------------------------------------------------------------------
//  Secrets never reach the router's output, command line or environment
//  (issue 6: the keys came through VB_ACCOUNT_MAIN_API_KEY/_SECRET).

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

//  Read /proc/<pid>/<name> whole (NULs kept); returns the byte count, or -1
//  with errno (a non-dumpable process hides environ from other users: EACCES).
static ssize_t
s_proc_file (pid_t pid, const char *name, char *buffer, size_t size)
{
    char path[64];
    snprintf (path, sizeof (path), "/proc/%d/%s", (int)pid, name);
    int fd = open (path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t total = 0, got;
    while ((got = read (fd, buffer + total, size - 1 - (size_t)total)) > 0)
        total += got;
    close (fd);
    if (got < 0 && total == 0)
        return -1;
    return total;
}

static bool
s_contains (const char *data, size_t size, const char *needle)
{
    size_t length = strlen (needle);
    for (size_t i = 0; i + length <= size; i++)
        if (memcmp (data + i, needle, length) == 0)
            return true;
    return false;
}

static void
s_no_secrets (vbt_router_t *router, const char *key, const char *secret)
{
    vbt_proc_t *proc = vbt_router_proc (router);
    const char *texts[] = {vbt_proc_stdout (proc), vbt_proc_stderr (proc)};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_null (strstr (texts[i], key), "key in output");
        cr_assert_null (strstr (texts[i], secret), "secret in output");
    }
    static char buffer[1 << 20];
    const char *files[] = {"cmdline", "environ"};
    for (size_t i = 0; i < 2; i++) {
        ssize_t size = s_proc_file (vbt_proc_pid (proc), files[i], buffer, sizeof (buffer));
        if (size < 0) {
            //  Not readable at all is stronger still (non-dumpable, not root)
            cr_assert_eq (errno, EACCES, "/proc/pid/%s: %s", files[i], strerror (errno));
            continue;
        }
        cr_assert_not (s_contains (buffer, (size_t)size, key), "key in /proc/pid/%s", files[i]);
        cr_assert_not (s_contains (buffer, (size_t)size, secret), "secret in /proc/pid/%s",
                       files[i]);
    }
}

Test (router, keys_never_reach_output_cmdline_or_environ, .timeout = 120)
{
    vbt_router_t *router = s_start (&s_binance, NULL, NULL, NULL, false);
    vbt_strategy_t *strategy = vbt_strategy_new (router, "alpha");
    vbt_strategy_place (strategy, "s-1", "BTC-USDT", VENUEBUS__SIDE__BUY,
                        VENUEBUS__ORDER_TYPE__LIMIT, VENUEBUS__TIME_IN_FORCE__GTC, "1000.00",
                        "0.01", false);
    vbt_strategy_wait_state (strategy, "s-1", VENUEBUS__ORDER_STATE__NEW, NULL, WAIT_MS);
    s_no_secrets (router, VBT_ROUTER_BINANCE_KEY, VBT_ROUTER_BINANCE_SECRET);
    vbt_strategy_destroy (&strategy);
    vbt_router_destroy (&router);
}
