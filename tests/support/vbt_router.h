/*  vbt_router.h — a running sim + venuebus-router, and strategies talking to it, for tests.

    Starts venuebus-sim for one venue (a funded demo key with the given
    permissions and IP list) and venuebus-router with a config written to a
    fresh directory (journal in it), waits for `ready accounts=1`, and gives
    the test DEALER sockets as strategies. The sim's own record of an order
    is read with the venue's exec adapter over plain HTTP (vbt_http), not
    through the router, so tests compare the router's reports with the
    venue's state. Failing to start fails the running Criterion test.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VBT_ROUTER_H_INCLUDED
#define VBT_ROUTER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_decimal.h"
#include "vb_exec.h"
#include "vb_msg.h"
#include "vbt_proc.h"

//  The demo keys the sim and the router are started with.
#define VBT_ROUTER_BINANCE_KEY    "vbRouterKey0123456789abcdefABCDEF0123456789abcdefghijklmnopqrstu"
#define VBT_ROUTER_BINANCE_SECRET "vbRouterSecret0123456789abcdefABCDEF"
#define VBT_ROUTER_KRAKEN_KEY     "vbRouterKrakenKey0123456789abcdefABCDEF0123456789abcdefghijklmn"
//  64 bytes, base64: Kraken secrets are base64 (venues.md 3.5)
#define VBT_ROUTER_KRAKEN_SECRET                                                                   \
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="

#define VBT_ROUTER_WAIT_MS 20000  //  Start-up and report bounds
#define VBT_ROUTER_REPORTS 256    //  Reports kept per strategy

typedef struct _vbt_router_t vbt_router_t;
typedef struct _vbt_strategy_t vbt_strategy_t;

typedef struct {
    const char *sim_bin;           //  Path of venuebus-sim (VB_SIM_BIN)
    const char *router_bin;        //  Path of venuebus-router (VB_ROUTER_BIN)
    const char *venue;             //  "binance" or "kraken"
    const char *permissions;       //  Sim key permissions; NULL: "read,trade"
    const char *ips;               //  Sim key whitelist; NULL: "127.0.0.1"; "": none
    const char *account_extra;     //  More "key = value" lines in account/main, or NULL
    const char *router_extra;      //  More lines in the router section, or NULL
    const char *const *sim_extra;  //  More sim arguments (NULL-terminated), or NULL
    bool no_wait;                  //  Do not wait for the ready line (refusal tests)
} vbt_router_args_t;

//  One message a strategy received, copied.
typedef struct {
    Venuebus__Envelope__BodyCase kind;  //  ACK, EXECUTION_REPORT, REJECT, BALANCES
    char client_tag[65];
    char client_order_id[65];
    int state;         //  ExecutionReport state
    int reason;        //  Reject reason
    char detail[256];  //  Reject detail or venue text
    char venue_code[64];
    vb_decimal_t filled_qty;
    vb_decimal_t last_fill_qty;
    vb_decimal_t last_fill_price;
    char venue_trade_id[65];
    uint64_t seq;
} vbt_report_t;

vbt_router_t *vbt_router_new (const vbt_router_args_t *args);

//  Stop the router (expects exit 0) and the sim; remove the directory.
void vbt_router_destroy (vbt_router_t **self_p);

//  SIGKILL the router and start it again on the same journal and sim; waits
//  for ready. Strategies reconnect by themselves (DEALER).
void vbt_router_kill_restart (vbt_router_t *self);

vbt_proc_t *vbt_router_proc (vbt_router_t *self);
vbt_proc_t *vbt_router_sim (vbt_router_t *self);
int vbt_router_sim_port (vbt_router_t *self);
const char *vbt_router_dir (vbt_router_t *self);

//  POST a fault to the sim (expects 200).
void vbt_router_fault (vbt_router_t *self, const char *json);

//  A strategy named `name`: a DEALER connected to the router.
vbt_strategy_t *vbt_strategy_new (vbt_router_t *router, const char *name);
void vbt_strategy_destroy (vbt_strategy_t **self_p);

//  Send a NewOrder (price NULL for MARKET). Returns 0.
int vbt_strategy_place (vbt_strategy_t *self, const char *tag, const char *symbol,
                        Venuebus__Side side, Venuebus__OrderType type, Venuebus__TimeInForce tif,
                        const char *price, const char *qty, bool post_only);
int vbt_strategy_cancel (vbt_strategy_t *self, const char *tag, const char *client_order_id);
int vbt_strategy_cancel_all (vbt_strategy_t *self, const char *symbol);
int vbt_strategy_send_raw (vbt_strategy_t *self, const void *data, size_t size);

//  Receive one message (decoded and copied); false after timeout_ms.
bool vbt_strategy_recv (vbt_strategy_t *self, vbt_report_t *report, int timeout_ms);

//  Receive until the order of client_tag reaches `state` (an ExecutionReport)
//  and return its client order id in coid; fails the test after timeout.
//  Every message seen is kept (vbt_strategy_reports).
void vbt_strategy_wait_state (vbt_strategy_t *self, const char *tag, int state, char *coid,
                              int timeout_ms);

//  Receive until a message of `kind` for client_tag arrives; fails after
//  timeout. Returns the message.
vbt_report_t vbt_strategy_wait (vbt_strategy_t *self, const char *tag,
                                Venuebus__Envelope__BodyCase kind, int timeout_ms);

//  Messages received so far.
const vbt_report_t *vbt_strategy_reports (vbt_strategy_t *self, size_t *count);

//  The sim's own record of an order (query by client order id through the
//  exec adapter over plain HTTP). Returns the parsed outcome.
vb_exec_outcome_t vbt_router_sim_order (vbt_router_t *self, const char *symbol,
                                        const char *client_order_id, vb_exec_report_t *report);

//  Best bid and ask of a symbol from the sim's REST depth.
void vbt_router_sim_top (vbt_router_t *self, const char *symbol, vb_decimal_t *bid,
                         vb_decimal_t *ask);

#endif
