/*  sim_engine.h — the simulator's venue-neutral matching engine: the parts
    of vb_sim_engine_t that only the core (main, sim_server) uses.

    The engine is pure: no sockets, no threads, no logging. It reads time
    from a vb_clock_t (a manual clock in tests), draws every random choice
    from its own seeded PRNG (splitmix64), and delivers every change as a
    vb_sim_event_t to one listener, synchronously and in order. The
    functions personalities call are declared in venues/include/vb_sim.h.

    Money. Prices and quantities are int64 counts of the instrument's
    exponents (vb_sim.h). Balances are int64 counts of 10^-8 of each asset
    (VB_SIM_ASSET_EXPONENT). A conversion from an instrument's exponents
    to 10^-8 that is not exact rounds in the venue's favour: amounts taken
    from or locked for an account round up, amounts credited round down.

    Fees are charged in the quote asset on every fill of an account order:
    fee = ceil (notional x bps / 10000) at 10^(pe + qe), with the maker rate
    when the order was resting and the taker rate otherwise (defaults 10 bps,
    Binance's base rate). A buy pays notional + fee; a sell receives
    notional - fee.

    Holds. A limit buy locks ceil (price x qty + fee at the higher rate) of
    quote; a sell locks its quantity of base; a market buy locks the cost of
    walking the book at the moment it is placed. Each fill takes its cost
    from the hold and the hold is recomputed for what remains; a final order
    releases whatever is left.

    Synthetic flow. The internal account SIM_ENGINE_MM_ACCOUNT has no
    balance limits. At config.actions_per_s actions per second per
    instrument the engine adds resting maker orders within depth_ticks ticks
    of a random-walk mid, cancels the stalest of them, or sends small market
    orders that print trades. It first fills each side to target_levels
    levels, never posts a crossing order, and scales the walk's step by the
    volatility factor. Same seed and same clock readings: same events.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef SIM_ENGINE_H_INCLUDED
#define SIM_ENGINE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "vb_clock.h"
#include "vb_sim.h"

#ifdef __cplusplus
extern "C" {
#endif

//  The synthetic market maker's account name (users cannot log in as it).
#define SIM_ENGINE_MM_ACCOUNT "_mm"
//  Public trades kept per instrument for vb_sim_engine_trade_at.
#define SIM_ENGINE_TRADE_RING 1000
//  One-second candle buckets kept per instrument (two days).
#define SIM_ENGINE_CANDLE_SECONDS (2 * 86400)
//  Most synthetic actions run by one sim_engine_flow call per instrument.
#define SIM_ENGINE_FLOW_BURST_MAX 1000
//  Most resting synthetic orders per instrument.
#define SIM_ENGINE_MM_ORDERS_MAX 600
//  Fee rates are in basis points: 10000 = 100 %.
#define SIM_ENGINE_BPS 10000

typedef struct {
    int64_t actions_per_s;           //  Synthetic actions per second per instrument; 0 = no flow
    int64_t depth_ticks;             //  Maker orders rest within this many ticks of mid
    int64_t target_levels;           //  Keep at least this many levels per side
    int64_t market_percent;          //  Share of actions that are market orders, 0..100
    int64_t maker_fee_bps;           //  Maker fee, basis points of notional
    int64_t taker_fee_bps;           //  Taker fee, basis points of notional
    vb_sim_fee_policy_t fee_policy;  //  Asset fees are charged in (0: quote), see vb_sim.h
} sim_engine_config_t;

//  Defaults: 20 actions/s, within 40 ticks, 25 levels, 10 % market, 10/10 bps.
#define SIM_ENGINE_CONFIG_DEFAULT                                                                  \
    ((sim_engine_config_t){.actions_per_s = 20,                                                    \
                           .depth_ticks = 40,                                                      \
                           .target_levels = 25,                                                    \
                           .market_percent = 10,                                                   \
                           .maker_fee_bps = 10,                                                    \
                           .taker_fee_bps = 10})

//  Receives each event; the event and everything it points to are valid only
//  during the call. The listener may call back into the engine's read
//  functions, not into place or cancel.
typedef void (sim_engine_listener_fn) (void *arg, const vb_sim_event_t *event);

//  Create an engine that reads time from `clock` (borrowed; must outlive the
//  engine) with the PRNG seeded by `seed`. config NULL means the defaults.
//  Returns NULL when the config is out of range (negative values, percent
//  above 100, fees above 10000 bps).
vb_sim_engine_t *sim_engine_new (vb_clock_t *clock, uint64_t seed,
                                 const sim_engine_config_t *config);

//  Destroy the engine and set *self_p to NULL. Safe to call twice.
void sim_engine_destroy (vb_sim_engine_t **self_p);

//  Set the listener (NULL: events are dropped).
void sim_engine_set_listener (vb_sim_engine_t *self, sim_engine_listener_fn *listener, void *arg);

//  Add an instrument (copied). Returns 0; VB_EINVAL if a field is out of
//  range (empty names, tick/lot/min_qty/start_price <= 0, min_qty or
//  max_qty not a multiple of lot, max < min, exponents outside -18..0,
//  start price not a multiple of tick); VB_EEXIST for a known symbol.
int sim_engine_add_instrument (vb_sim_engine_t *self, const vb_sim_instrument_t *instrument);

//  Add an empty account. Returns 0, VB_EINVAL (empty or too long name, or
//  the market maker's name), VB_EEXIST.
int sim_engine_add_account (vb_sim_engine_t *self, const char *account);

//  Credit an asset to an account's free balance, amount at 10^-8 (may be
//  negative to debit, never below 0). Returns 0, VB_ENOTFOUND (account),
//  VB_EINVAL (bad asset name, or free would go negative), VB_EOVERFLOW.
int sim_engine_credit (vb_sim_engine_t *self, const char *account, const char *asset,
                       int64_t amount);

//  Add an API key (copied); its account must exist. Returns 0, VB_EINVAL
//  (empty key), VB_ENOTFOUND (account), VB_EEXIST (key).
int sim_engine_add_key (vb_sim_engine_t *self, const vb_sim_key_t *key);

//  Shift engine time by skew_ns (clock_skew fault); 0 restores it.
void sim_engine_set_skew_ns (vb_sim_engine_t *self, int64_t skew_ns);
int64_t sim_engine_skew_ns (vb_sim_engine_t *self);

//  Scale the synthetic random walk's step (volatility fault); 1 is normal.
//  Values below 1 are taken as 1.
void sim_engine_set_volatility (vb_sim_engine_t *self, int64_t factor);
int64_t sim_engine_volatility (vb_sim_engine_t *self);

//  Run the synthetic actions due since the last call (the first call only
//  fills every book to target_levels per side). Returns how many actions
//  ran. Call it from a timer; its pace comes from the clock, not the caller.
size_t sim_engine_flow (vb_sim_engine_t *self);

//  How many account (non-synthetic) orders the engine has accepted so far;
//  the server compares it across a request to see whether that request
//  placed an order (fault accept_timeout).
uint64_t sim_engine_orders_accepted (vb_sim_engine_t *self);

//  How many account orders vb_sim_engine_place has refused so far (any
//  result but VB_SIM_OK that created no order: filters, balance, duplicate
//  client id, post-only that would take, no liquidity ...; a refused FOK is
//  recorded as EXPIRED and counts as accepted); GET /_sim/stats reports it.
uint64_t sim_engine_orders_refused (vb_sim_engine_t *self);

#ifdef __cplusplus
}
#endif
#endif
