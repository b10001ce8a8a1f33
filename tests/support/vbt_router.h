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
#define VBT_ROUTER_REPORTS 2048   //  Reports kept per strategy

typedef struct _vbt_router_t vbt_router_t;
typedef struct _vbt_strategy_t vbt_strategy_t;

typedef struct {
    const char *sim_bin;             //  Path of venuebus-sim (VB_SIM_BIN)
    const char *router_bin;          //  Path of venuebus-router (VB_ROUTER_BIN)
    const char *venue;               //  "binance" or "kraken"
    const char *permissions;         //  Sim key permissions; NULL: "read,trade"
    const char *ips;                 //  Sim key whitelist; NULL: "127.0.0.1"; "": none
    const char *account_extra;       //  More "key = value" lines in account/main, or NULL
    const char *router_extra;        //  More lines in the router section, or NULL
    const char *const *sim_extra;    //  More sim arguments (NULL-terminated), or NULL
    bool no_wait;                    //  Do not wait for the ready line (refusal tests)
    const char *reconcile_interval;  //  router/reconcile_interval; NULL: "5s"
    //  Market data (optional): with bus_bin and gateway_bin set, venuebus-bus
    //  starts first (router/bus = its frontend, so ex.* and sys.router.*
    //  reach the bus) and, once the router is ready, a gateway for
    //  `symbols` on the same sim, publishing to the bus with a snapshot
    //  endpoint. Both must exit 0 on SIGTERM.
    const char *bus_bin;      //  Path of venuebus-bus (VB_BUS_BIN), or NULL
    const char *gateway_bin;  //  Path of venuebus-gateway (VB_GATEWAY_BIN), or NULL
    const char *symbols;      //  The gateway's --symbols; NULL: BTC-USDT / BTC-USD
    //  Secrets and URLs (optional):
    const char *secrets;      //  account/main secrets spec; NULL: "env" with the demo key in
                              //  VB_ACCOUNT_MAIN_API_*; otherwise those are not set
    const char *const *env;   //  More "NAME=value" for the router (NULL-terminated), or NULL
    bool rest_url_all_ports;  //  rest_url lists every port of the sim's `ports` line, main
                              //  first (start the sim with --extra-ports in sim_extra)
} vbt_router_args_t;

#define VBT_ROUTER_PORTS_MAX 17  //  The sim's main port and at most 16 extra ports

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

//  Stop the router only (expects exit 0): the sim keeps running and the
//  directory (journal) stays, so a test can open the journal and compare it
//  with the venue. vbt_router_destroy then stops the sim and cleans up.
void vbt_router_stop (vbt_router_t *self);

//  Path of the router's journal file (in vbt_router_dir).
const char *vbt_router_journal_path (vbt_router_t *self);

//  One counter of the sim's GET /_sim/stats (e.g. "orders_placed"); fails
//  the test when it is missing.
int64_t vbt_router_sim_stat (vbt_router_t *self, const char *name);

vbt_proc_t *vbt_router_proc (vbt_router_t *self);

//  The router's strategy endpoint as bound (router ready line).
const char *vbt_router_endpoint (vbt_router_t *self);

//  With bus_bin and gateway_bin: the bus backend (XPUB, for subscribers),
//  its frontend (XSUB) and the gateway's snapshot endpoint; NULL without.
const char *vbt_router_bus_backend (vbt_router_t *self);
const char *vbt_router_bus_frontend (vbt_router_t *self);
const char *vbt_router_snapshot (vbt_router_t *self);

//  The gateway process, or NULL without market data.
vbt_proc_t *vbt_router_gateway (vbt_router_t *self);
vbt_proc_t *vbt_router_sim (vbt_router_t *self);
int vbt_router_sim_port (vbt_router_t *self);
const char *vbt_router_dir (vbt_router_t *self);

//  The ports the sim listens on (its `ports` line), main first; returns
//  how many were copied into ports (at most max).
size_t vbt_router_sim_ports (vbt_router_t *self, int *ports, size_t max);

//  POST a fault to the sim (expects 200).
void vbt_router_fault (vbt_router_t *self, const char *json);

//  A strategy named `name`: a DEALER connected to the router.
vbt_strategy_t *vbt_strategy_new (vbt_router_t *router, const char *name);
void vbt_strategy_destroy (vbt_strategy_t **self_p);

//  The strategy's DEALER (a zsock_t *), to poll several strategies at once;
//  then read with vbt_strategy_recv (..., 0).
void *vbt_strategy_socket (vbt_strategy_t *self);

//  Send a NewOrder (price NULL for MARKET). Returns 0.
int vbt_strategy_place (vbt_strategy_t *self, const char *tag, const char *symbol,
                        Venuebus__Side side, Venuebus__OrderType type, Venuebus__TimeInForce tif,
                        const char *price, const char *qty, bool post_only);
int vbt_strategy_cancel (vbt_strategy_t *self, const char *tag, const char *client_order_id);
int vbt_strategy_cancel_all (vbt_strategy_t *self, const char *symbol);
//  Send a QueryOrder (by tag, or by client order id when tag is NULL). The
//  answer is an ExecutionReport with seq 0 (the journal's view), or a Reject.
int vbt_strategy_query (vbt_strategy_t *self, const char *tag, const char *client_order_id);
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

//  The sim's open orders of the demo account on a symbol (the exec
//  adapter's open-orders request over plain HTTP): copies up to `max` into
//  reports and returns how many the sim listed. Fails the test when the
//  sim does not answer 200 or the answer does not parse.
size_t vbt_router_sim_open_orders (vbt_router_t *self, const char *symbol,
                                   vb_exec_report_t *reports, size_t max);

//  Best bid and ask of a symbol from the sim's REST depth.
void vbt_router_sim_top (vbt_router_t *self, const char *symbol, vb_decimal_t *bid,
                         vb_decimal_t *ask);

#endif
