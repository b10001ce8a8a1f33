/*  rt_router.h — the order router: strategies in, signed REST out, the journal in between.

    One loop thread owns everything below (house style 3.5): the strategy
    ROUTER socket, the grants endpoint (rt_grants), the bus PUB socket, the
    REST client (rt_http, curl multi in the same loop), the rate-limit
    authority (rt_limits), the journal (vb_journal) and every venue adapter
    (vb_exec). Private WebSocket streams run in rt_stream's thread and come
    in as events. Nothing in the loop blocks on the network.

    Start (rt_router_start), per account, before any strategy is served:
    1. load the keys (vb_secrets: env, keystore, dir or vault) into locked
       memory, create the venue adapter;
    2. posture: ask the venue's key-permission endpoint; a key that can
       withdraw, or cannot trade, or has no IP whitelist (unless the account
       sets allow_unrestricted_ip) is refused, and the router exits non-zero
       naming the account;
    3. instruments (tick, lot, min notional) for local checks;
    4. reconcile: every non-terminal journal order of the account is queried
       by client order id, open orders and recent fills are read;
    then the private stream is opened and `ready accounts=N` is printed.

    An order (rt_router.c has the details):
    - NewOrder is checked (fields, account, strategy limits), journaled
      (PENDING_NEW, durable), acknowledged (Ack), built and signed by the
      adapter (instrument rules: a local reject is journaled REJECTED), and
      sent when the rate-limit authority lets it go (cancel > order > query
      > market data);
    - the answer moves the order on the venue's word only: OK to its state,
      a business rejection to REJECTED, and anything unseen (timeout, 5xx,
      Binance -1007, a dropped connection after send, an unfamiliar error)
      to UNKNOWN, after which the router queries by client order id with
      backoff and never re-sends the order;
    - fills (REST answers, the private stream, reconciliation) are journaled
      by venue trade id, so none is counted twice; every change goes to the
      strategy as an ExecutionReport and on the bus on ex.<account>.<strategy>.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef RT_ROUTER_H_INCLUDED
#define RT_ROUTER_H_INCLUDED

#include <stddef.h>

#include "rt_config.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Exit codes of venuebus-router.
#define RT_EXIT_FAILURE 1  //  Runtime failure
#define RT_EXIT_CONFIG  2  //  Bad configuration, journal or secrets
#define RT_EXIT_POSTURE 3  //  A key failed the posture check

typedef struct _rt_router_t rt_router_t;

//  Create the router from settings (borrowed; must outlive it): bind the
//  sockets, open the journal, load every account's keys. Returns NULL with
//  a message (naming the key, file or account) in error and the exit code
//  in *exit_code_p.
rt_router_t *rt_router_new (const rt_settings_t *settings, char *error, size_t error_size,
                            int *exit_code_p);

//  Wipe the keys, close everything, set *self_p to NULL. Safe twice.
void rt_router_destroy (rt_router_t **self_p);

//  Run the start sequence (posture, instruments, reconciliation), print the
//  ready line, then serve until SIGINT/SIGTERM (zsys_interrupted). Returns
//  the process exit code: 0 on a clean stop.
int rt_router_run (rt_router_t *self);

//  The strategy endpoint actually bound (port resolved).
const char *rt_router_endpoint (rt_router_t *self);

#ifdef __cplusplus
}
#endif
#endif
