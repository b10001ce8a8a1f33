/*  sim_engine.c — price-time matching, accounts, holds, history and seeded
    synthetic flow for venuebus-sim (see sim_engine.h for the rules).

    Book layout: per instrument and side, an array of price levels, best
    first; each level keeps a FIFO (doubly linked) of resting orders. A
    simulated book holds tens of levels, so inserting by memmove is cheaper
    than any tree. Every engine action (a placement, a cancel, a synthetic
    step) collects the levels it changed and ends with at most one BOOK
    event, so the book's update id advances by exactly one per action.
    SPDX-License-Identifier: MPL-2.0
*/
#include "sim_engine.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vb_error.h"

#define SIM_EXPONENT_MIN     (-18)  //  Finest instrument exponent accepted
#define SIM_PERCENT          100    //  For percent draws
#define SIM_WALK_PERCENT     15     //  Chance per action that mid steps up (and again down)
#define SIM_CANCEL_SAMPLES   4      //  Synthetic cancels pick the stalest of this many
#define SIM_MAKER_PERCENT    50     //  Share of actions that add a maker order
#define SIM_MAKER_LOTS_MAX   20     //  Synthetic maker sizes: 1..20 x the smallest valid size
#define SIM_TAKER_LOTS_MAX   5      //  Synthetic market sizes: 1..5 x the smallest valid size
#define SIM_FLOW_ELAPSED_MAX (10 * VB_NS_PER_SEC)  //  Catch up at most this much time
#define SIM_INITIAL_CAPACITY 16

typedef struct _s_order_t s_order_t;
typedef struct _s_account_t s_account_t;

struct _s_order_t {
    vb_sim_order_t pub;    //  What callers see
    s_order_t *prev;       //  Older order at the same level
    s_order_t *next;       //  Newer order at the same level
    s_account_t *account;  //  Owner
    int64_t hold;          //  Still locked for this order, at 10^-8 of the held asset
    bool fee_in_base;      //  Fees are charged in the base asset (else the quote)
    size_t mm_index;       //  Index in the instrument's mm_orders (synthetic only)
    bool resting;          //  In the book
};

typedef struct {
    int64_t price;    //  Price units
    int64_t qty;      //  Sum of the remaining qty of its orders
    s_order_t *head;  //  Oldest order (matched first)
    s_order_t *tail;  //  Newest order
} s_level_t;

typedef struct {
    s_level_t *levels;  //  Best first
    size_t count;       //  Levels used
    size_t capacity;    //  Levels allocated
} s_side_t;

typedef struct {
    int64_t second;          //  Unix second of the bucket
    vb_sim_candle_t candle;  //  Trades in that second
} s_bucket_t;

typedef struct {
    vb_sim_instrument_t def;  //  Must stay first: callers hold &def
    s_side_t bids;            //  Highest first
    s_side_t asks;            //  Lowest first
    uint64_t book_update_id;  //  One per action that changed levels
    uint64_t last_trade_id;   //  Public trade ids run from 1
    vb_sim_fill_t *trades;    //  Ring of SIM_ENGINE_TRADE_RING public trades
    size_t trade_start;       //  Index of the oldest
    size_t trade_count;       //  Trades in the ring
    s_bucket_t *buckets;      //  Ring of one-second candle buckets
    size_t bucket_capacity;   //  Allocated (grows to SIM_ENGINE_CANDLE_SECONDS)
    size_t bucket_start;      //  Index of the oldest
    size_t bucket_count;      //  Buckets used
    s_order_t **mm_orders;    //  Resting synthetic orders
    size_t mm_count;          //  Used
    size_t mm_capacity;       //  Allocated
    int64_t mid;              //  Synthetic random-walk mid, price units
    int64_t flow_carry;       //  Fraction of an action carried, in ns x actions/s
    bool primed;              //  Books filled to target_levels
    bool no_flow;             //  Synthetic flow turned off (replay mode)
} s_instrument_t;

typedef struct {
    char asset[VB_SIM_NAME_MAX];  //  Asset name
    int64_t free;                 //  10^-8
    int64_t locked;               //  10^-8
} s_balance_t;

struct _s_account_t {
    char name[VB_SIM_NAME_MAX];  //  Account name
    bool unlimited;              //  The market maker: no balance accounting
    s_balance_t *balances;       //  In first-credit order
    size_t balance_count;        //  Used
    size_t balance_capacity;     //  Allocated
    s_order_t **orders;          //  History, oldest first
    size_t order_count;          //  Used
    size_t order_capacity;       //  Allocated
    vb_sim_fill_t *fills;        //  History, oldest first
    size_t fill_count;           //  Used
    size_t fill_capacity;        //  Allocated
};

struct _vb_sim_engine_t {
    vb_clock_t *clock;                 //  Borrowed
    sim_engine_config_t config;        //  Flow and fee settings
    uint64_t rng;                      //  splitmix64 state
    sim_engine_listener_fn *listener;  //  Event sink
    void *listener_arg;                //  Its argument
    s_instrument_t **instruments;      //  In declaration order
    size_t instrument_count;           //  Used
    s_account_t **accounts;            //  Accounts; [0] is the market maker
    size_t account_count;              //  Used
    vb_sim_key_t **keys;               //  API keys
    size_t key_count;                  //  Used
    uint64_t last_order_id;            //  Engine order ids run from 1
    uint64_t orders_accepted;          //  Account orders accepted
    uint64_t orders_refused;           //  Account orders refused (vb_sim_engine_place)
    int64_t skew_ns;                   //  clock_skew fault
    int64_t volatility;                //  Walk step factor, >= 1
    int64_t flow_last_mono_ns;         //  Last sim_engine_flow
    bool flow_started;                 //  First flow call happened
    vb_sim_level_t *changes;           //  Levels changed by the current action
    size_t change_count;               //  Used
    size_t change_capacity;            //  Allocated
};

//  --------------------------------------------------------------------------
//  Grow a dynamic array to hold at least `need` elements. Aborts on out of
//  memory, as zmalloc does.

static void
s_grow (void **array, size_t *capacity, size_t element, size_t need)
{
    if (need <= *capacity)
        return;
    size_t next = *capacity ? *capacity * 2 : SIM_INITIAL_CAPACITY;
    while (next < need)
        next *= 2;
    void *grown = realloc (*array, next * element);
    assert (grown);
    *array = grown;
    *capacity = next;
}

//  --------------------------------------------------------------------------
//  splitmix64: tiny, fast and fully determined by its seed.

static uint64_t
s_random (vb_sim_engine_t *self)
{
    uint64_t z = (self->rng += UINT64_C (0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
    return z ^ (z >> 31);
}

//  A draw in 0..bound-1 (bound > 0).
static int64_t
s_random_below (vb_sim_engine_t *self, int64_t bound)
{
    assert (bound > 0);
    return (int64_t)(s_random (self) % (uint64_t)bound);
}

//  --------------------------------------------------------------------------
//  10^n for n in 0..18.

static int64_t
s_pow10 (int n)
{
    assert (n >= 0 && n <= 18);
    int64_t value = 1;
    while (n-- > 0)
        value *= 10;
    return value;
}

//  --------------------------------------------------------------------------
//  Convert a value at 10^exponent to 10^-8 of an asset, rounding up or down
//  when it is not exact. Returns 0 or VB_EOVERFLOW.

static int
s_to_asset (int64_t value, int32_t exponent, bool round_up, int64_t *out)
{
    if (exponent >= VB_SIM_ASSET_EXPONENT) {
        int shift = exponent - VB_SIM_ASSET_EXPONENT;
        if (shift > 18 || __builtin_mul_overflow (value, s_pow10 (shift), out))
            return VB_EOVERFLOW;
        return 0;
    }
    int shift = VB_SIM_ASSET_EXPONENT - exponent;
    if (shift > 18) {
        *out = (round_up && value > 0) ? 1 : 0;
        return 0;
    }
    int64_t divisor = s_pow10 (shift);
    int64_t quotient = value / divisor;
    if (round_up && value % divisor > 0)
        quotient++;
    *out = quotient;
    return 0;
}

//  --------------------------------------------------------------------------
//  Notional of price x qty, and its fee at `bps` (rounded up). Returns 0 or
//  VB_EOVERFLOW.

static int
s_notional (int64_t price, int64_t qty, int64_t *out)
{
    return __builtin_mul_overflow (price, qty, out) ? VB_EOVERFLOW : 0;
}

static int64_t
s_fee (int64_t notional, int64_t bps)
{
    __int128 product = (__int128)notional * bps;
    __int128 fee = product / SIM_ENGINE_BPS;
    if (product % SIM_ENGINE_BPS > 0)
        fee++;
    return (int64_t)fee;
}

//  The fee at `bps` on qty units of the base asset, in base at 10^-8,
//  rounded up. Returns 0 or VB_EOVERFLOW.
static int
s_fee_base (const vb_sim_instrument_t *instrument, int64_t qty, int64_t bps, int64_t *out)
{
    int32_t shift = instrument->qty_exponent - VB_SIM_ASSET_EXPONENT;
    __int128 numerator = (__int128)qty * bps;
    __int128 denominator = SIM_ENGINE_BPS;
    if (shift >= 0)
        numerator *= s_pow10 (shift);
    else
        denominator *= s_pow10 (-shift);
    __int128 fee = numerator / denominator;
    if (numerator % denominator > 0)
        fee++;
    if (fee > INT64_MAX)
        return VB_EOVERFLOW;
    *out = (int64_t)fee;
    return 0;
}

//  The higher of the two fee rates: what a hold must cover.
static int64_t
s_max_bps (vb_sim_engine_t *self)
{
    return self->config.maker_fee_bps > self->config.taker_fee_bps ? self->config.maker_fee_bps
                                                                   : self->config.taker_fee_bps;
}

//  What a limit order (or a market sell) of qty at price must lock, at
//  10^-8 of the asset it gives. A buy: the quote notional, plus the fee at
//  the higher rate when fees are in the quote. A sell: the base quantity,
//  plus that fee in base when fees are in the base. Rounded up. Returns 0
//  or VB_EOVERFLOW.
static int
s_hold_for (vb_sim_engine_t *self, const vb_sim_instrument_t *instrument, vb_sim_side_t side,
            bool fee_in_base, int64_t price, int64_t qty, int64_t *out)
{
    if (side == VB_SIM_SELL) {
        int64_t amount, fee = 0;
        if (s_to_asset (qty, instrument->qty_exponent, true, &amount) ||
            (fee_in_base && s_fee_base (instrument, qty, s_max_bps (self), &fee)) ||
            __builtin_add_overflow (amount, fee, out))
            return VB_EOVERFLOW;
        return 0;
    }
    int64_t notional;
    if (s_notional (price, qty, &notional))
        return VB_EOVERFLOW;
    int64_t total = notional;
    if (!fee_in_base &&
        __builtin_add_overflow (notional, s_fee (notional, s_max_bps (self)), &total))
        return VB_EOVERFLOW;
    return s_to_asset (total, instrument->price_exponent + instrument->qty_exponent, true, out);
}

//  Whether an order pays its fees in the base asset: its own preference,
//  else the venue's policy.
static bool
s_fee_in_base (vb_sim_engine_t *self, vb_sim_side_t side, vb_sim_fee_pref_t pref)
{
    if (pref == VB_SIM_FEE_PREF_BASE)
        return true;
    if (pref == VB_SIM_FEE_PREF_QUOTE)
        return false;
    if (self->config.fee_policy == VB_SIM_FEE_RECEIVED)
        return side == VB_SIM_BUY;
    if (self->config.fee_policy == VB_SIM_FEE_SPENT)
        return side == VB_SIM_SELL;
    return false;
}

//  --------------------------------------------------------------------------
//  Lookups.

static s_instrument_t *
s_instrument (vb_sim_engine_t *self, const vb_sim_instrument_t *def)
{
    if (!def)
        return NULL;
    for (size_t i = 0; i < self->instrument_count; i++)
        if (&self->instruments[i]->def == def)
            return self->instruments[i];
    return NULL;
}

static s_account_t *
s_account (vb_sim_engine_t *self, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < self->account_count; i++)
        if (strcmp (self->accounts[i]->name, name) == 0)
            return self->accounts[i];
    return NULL;
}

static s_balance_t *
s_balance (s_account_t *account, const char *asset, bool create)
{
    for (size_t i = 0; i < account->balance_count; i++)
        if (strcmp (account->balances[i].asset, asset) == 0)
            return &account->balances[i];
    if (!create)
        return NULL;
    s_grow ((void **)&account->balances, &account->balance_capacity, sizeof (s_balance_t),
            account->balance_count + 1);
    s_balance_t *balance = &account->balances[account->balance_count++];
    memset (balance, 0, sizeof *balance);
    snprintf (balance->asset, sizeof balance->asset, "%s", asset);
    return balance;
}

//  --------------------------------------------------------------------------
//  Event delivery.

static void
s_emit (vb_sim_engine_t *self, vb_sim_event_t *event)
{
    if (self->listener)
        self->listener (self->listener_arg, event);
}

static void
s_emit_balance (vb_sim_engine_t *self, s_account_t *account, const char *asset)
{
    if (account->unlimited)
        return;
    s_balance_t *balance = s_balance (account, asset, true);
    vb_sim_event_t event = {.kind = VB_SIM_EVENT_BALANCE,
                            .ts_ns = vb_sim_engine_now_ns (self),
                            .account = account->name,
                            .asset = balance->asset,
                            .free = balance->free,
                            .locked = balance->locked,
                            .asset_exponent = VB_SIM_ASSET_EXPONENT};
    s_emit (self, &event);
}

static void
s_emit_order (vb_sim_engine_t *self, s_order_t *order, const vb_sim_fill_t *fill)
{
    if (order->account->unlimited)
        return;
    vb_sim_event_t event = {.kind = VB_SIM_EVENT_ORDER,
                            .instrument = order->pub.instrument,
                            .ts_ns = order->pub.updated_ns,
                            .fill = fill,
                            .order = &order->pub};
    s_emit (self, &event);
}

//  Record that a level now has `qty` (0: gone) for the current action.
static void
s_change (vb_sim_engine_t *self, vb_sim_side_t side, int64_t price, int64_t qty)
{
    for (size_t i = 0; i < self->change_count; i++)
        if (self->changes[i].side == side && self->changes[i].price == price) {
            self->changes[i].qty = qty;
            return;
        }
    s_grow ((void **)&self->changes, &self->change_capacity, sizeof (vb_sim_level_t),
            self->change_count + 1);
    self->changes[self->change_count++] = (vb_sim_level_t){side, price, qty};
}

//  End an action: if it changed levels, advance the update id and emit one
//  BOOK event.
static void
s_end_action (vb_sim_engine_t *self, s_instrument_t *instrument)
{
    if (self->change_count == 0)
        return;
    instrument->book_update_id++;
    vb_sim_event_t event = {.kind = VB_SIM_EVENT_BOOK,
                            .instrument = &instrument->def,
                            .ts_ns = vb_sim_engine_now_ns (self),
                            .levels = self->changes,
                            .level_count = self->change_count,
                            .book_update_id = instrument->book_update_id};
    self->change_count = 0;
    s_emit (self, &event);
}

//  --------------------------------------------------------------------------
//  Book maintenance.

static s_side_t *
s_side (s_instrument_t *instrument, vb_sim_side_t side)
{
    return side == VB_SIM_BUY ? &instrument->bids : &instrument->asks;
}

//  True when price a is better than b on this side.
static bool
s_better (vb_sim_side_t side, int64_t a, int64_t b)
{
    return side == VB_SIM_BUY ? a > b : a < b;
}

static void
s_rest (vb_sim_engine_t *self, s_instrument_t *instrument, s_order_t *order)
{
    s_side_t *side = s_side (instrument, order->pub.side);
    size_t index = 0;
    while (index < side->count &&
           s_better (order->pub.side, side->levels[index].price, order->pub.price))
        index++;
    if (index == side->count || side->levels[index].price != order->pub.price) {
        s_grow ((void **)&side->levels, &side->capacity, sizeof (s_level_t), side->count + 1);
        memmove (&side->levels[index + 1], &side->levels[index],
                 (side->count - index) * sizeof (s_level_t));
        side->levels[index] = (s_level_t){.price = order->pub.price};
        side->count++;
    }
    s_level_t *level = &side->levels[index];
    order->prev = level->tail;
    order->next = NULL;
    if (level->tail)
        level->tail->next = order;
    else
        level->head = order;
    level->tail = order;
    level->qty += order->pub.qty - order->pub.filled;
    order->resting = true;
    s_change (self, order->pub.side, level->price, level->qty);
}

//  Take a resting order out of its level (the level goes when empty).
static void
s_unrest (vb_sim_engine_t *self, s_instrument_t *instrument, s_order_t *order)
{
    assert (order->resting);
    s_side_t *side = s_side (instrument, order->pub.side);
    size_t index = 0;
    while (index < side->count && side->levels[index].price != order->pub.price)
        index++;
    assert (index < side->count);
    s_level_t *level = &side->levels[index];
    if (order->prev)
        order->prev->next = order->next;
    else
        level->head = order->next;
    if (order->next)
        order->next->prev = order->prev;
    else
        level->tail = order->prev;
    order->prev = order->next = NULL;
    order->resting = false;
    level->qty -= order->pub.qty - order->pub.filled;
    s_change (self, order->pub.side, level->price, level->qty);
    if (!level->head) {
        memmove (&side->levels[index], &side->levels[index + 1],
                 (side->count - index - 1) * sizeof (s_level_t));
        side->count--;
    }
}

static void
s_mm_track (s_instrument_t *instrument, s_order_t *order)
{
    s_grow ((void **)&instrument->mm_orders, &instrument->mm_capacity, sizeof (s_order_t *),
            instrument->mm_count + 1);
    order->mm_index = instrument->mm_count;
    instrument->mm_orders[instrument->mm_count++] = order;
}

//  Forget and free a final synthetic order.
static void
s_mm_forget (s_instrument_t *instrument, s_order_t *order)
{
    size_t index = order->mm_index;
    assert (index < instrument->mm_count && instrument->mm_orders[index] == order);
    instrument->mm_orders[index] = instrument->mm_orders[--instrument->mm_count];
    instrument->mm_orders[index]->mm_index = index;
    free (order);
}

//  --------------------------------------------------------------------------
//  Public trade ring and candle buckets.

static void
s_record_trade (s_instrument_t *instrument, const vb_sim_fill_t *trade)
{
    if (!instrument->trades)
        instrument->trades = zmalloc (SIM_ENGINE_TRADE_RING * sizeof (vb_sim_fill_t));
    if (instrument->trade_count < SIM_ENGINE_TRADE_RING)
        instrument->trades[(instrument->trade_start + instrument->trade_count++) %
                           SIM_ENGINE_TRADE_RING] = *trade;
    else {
        instrument->trades[instrument->trade_start] = *trade;
        instrument->trade_start = (instrument->trade_start + 1) % SIM_ENGINE_TRADE_RING;
    }
    int64_t second = trade->ts_ns / VB_NS_PER_SEC;
    if (trade->ts_ns < 0 && trade->ts_ns % VB_NS_PER_SEC)
        second--;
    s_bucket_t *last = NULL;
    if (instrument->bucket_count)
        last = &instrument->buckets[(instrument->bucket_start + instrument->bucket_count - 1) %
                                    instrument->bucket_capacity];
    int64_t notional = trade->price * trade->qty;  //  Checked when the order was validated
    if (last && last->second >= second) {
        //  Same second (or the clock went back under a skew fault: the
        //  trade joins the newest bucket so buckets stay in order).
        vb_sim_candle_t *candle = &last->candle;
        if (trade->price > candle->high)
            candle->high = trade->price;
        if (trade->price < candle->low)
            candle->low = trade->price;
        candle->close = trade->price;
        candle->volume += trade->qty;
        candle->notional += notional;
        candle->trades++;
        return;
    }
    if (instrument->bucket_count == instrument->bucket_capacity) {
        if (instrument->bucket_capacity < SIM_ENGINE_CANDLE_SECONDS) {
            //  Grow and straighten the ring.
            size_t capacity = instrument->bucket_capacity ? instrument->bucket_capacity * 2
                                                          : SIM_INITIAL_CAPACITY;
            if (capacity > SIM_ENGINE_CANDLE_SECONDS)
                capacity = SIM_ENGINE_CANDLE_SECONDS;
            s_bucket_t *grown = zmalloc (capacity * sizeof (s_bucket_t));
            for (size_t i = 0; i < instrument->bucket_count; i++)
                grown[i] =
                    instrument
                        ->buckets[(instrument->bucket_start + i) % instrument->bucket_capacity];
            free (instrument->buckets);
            instrument->buckets = grown;
            instrument->bucket_capacity = capacity;
            instrument->bucket_start = 0;
        } else {
            instrument->bucket_start = (instrument->bucket_start + 1) % instrument->bucket_capacity;
            instrument->bucket_count--;
        }
    }
    s_bucket_t *bucket =
        &instrument->buckets[(instrument->bucket_start + instrument->bucket_count++) %
                             instrument->bucket_capacity];
    bucket->second = second;
    bucket->candle = (vb_sim_candle_t){.open_ns = second * VB_NS_PER_SEC,
                                       .open = trade->price,
                                       .high = trade->price,
                                       .low = trade->price,
                                       .close = trade->price,
                                       .volume = trade->qty,
                                       .notional = notional,
                                       .trades = 1};
}

//  --------------------------------------------------------------------------
//  Apply one fill to one order: its totals, its account's balances and
//  history, and its events.

static void
s_fill_order (vb_sim_engine_t *self, s_instrument_t *instrument, s_order_t *order,
              uint64_t trade_id, int64_t price, int64_t qty, bool maker)
{
    const vb_sim_instrument_t *def = &instrument->def;
    int64_t now = vb_sim_engine_now_ns (self);
    int64_t notional = price * qty;  //  Validated against overflow at placement
    int64_t bps = maker ? self->config.maker_fee_bps : self->config.taker_fee_bps;
    int64_t fee = s_fee (notional, bps);
    int64_t fee_base = 0;
    if (order->fee_in_base)
        s_fee_base (def, qty, bps, &fee_base);  //  Bounded by the hold checked at placement
    order->pub.filled += qty;
    order->pub.filled_notional += notional;
    order->pub.status =
        order->pub.filled == order->pub.qty ? VB_SIM_FILLED : VB_SIM_PARTIALLY_FILLED;
    order->pub.updated_ns = now;
    vb_sim_fill_t fill = {.trade_id = trade_id,
                          .order_id = order->pub.order_id,
                          .instrument = def,
                          .side = order->pub.side,
                          .price = price,
                          .qty = qty,
                          .fee = fee,
                          .maker = maker,
                          .ts_ns = now,
                          .fee_in_base = order->fee_in_base,
                          .fee_base = fee_base};
    s_account_t *account = order->account;
    snprintf (fill.account, sizeof fill.account, "%s", account->name);
    if (account->unlimited)
        return;

    int32_t notional_exponent = def->price_exponent + def->qty_exponent;
    s_balance_t *base = s_balance (account, def->base, true);
    s_balance_t *quote = s_balance (account, def->quote, true);
    int64_t amount;
    //  What the order gives comes out of its hold (any rounding remainder,
    //  a few 10^-8 at most, out of free); the fee is added to what it gives
    //  or taken from what it receives, in whichever asset it is charged.
    bool buy = order->pub.side == VB_SIM_BUY;
    s_balance_t *given = buy ? quote : base;
    int64_t cost = 0;
    if (buy)
        s_to_asset (order->fee_in_base ? notional : notional + fee, notional_exponent, true, &cost);
    else {
        s_to_asset (qty, def->qty_exponent, true, &cost);
        cost += fee_base;
    }
    int64_t from_hold = cost < order->hold ? cost : order->hold;
    order->hold -= from_hold;
    given->locked -= from_hold;
    given->free -= cost - from_hold;
    if (buy) {
        s_to_asset (qty, def->qty_exponent, false, &amount);
        if (fee_base > amount)
            fee_base = amount;  //  Only at a 100 % fee on a quantity finer than 10^-8
        fill.fee_base = fee_base;
        base->free += amount - fee_base;
    } else {
        s_to_asset (order->fee_in_base ? notional : notional - fee, notional_exponent, false,
                    &amount);
        quote->free += amount;
    }
    //  The hold is then recomputed for what remains, except for a market
    //  buy, which keeps the cost of its walk.
    if (!(buy && order->pub.type == VB_SIM_MARKET) && order->pub.status != VB_SIM_FILLED) {
        int64_t need = 0;
        s_hold_for (self, def, order->pub.side, order->fee_in_base, order->pub.price,
                    order->pub.qty - order->pub.filled, &need);
        if (need < order->hold) {
            given->locked -= order->hold - need;
            given->free += order->hold - need;
            order->hold = need;
        }
    }
    if (order->pub.status == VB_SIM_FILLED && order->hold > 0) {
        s_balance_t *held = order->pub.side == VB_SIM_BUY ? quote : base;
        held->locked -= order->hold;
        held->free += order->hold;
        order->hold = 0;
    }
    s_grow ((void **)&account->fills, &account->fill_capacity, sizeof (vb_sim_fill_t),
            account->fill_count + 1);
    account->fills[account->fill_count++] = fill;
    s_emit_order (self, order, &account->fills[account->fill_count - 1]);
    s_emit_balance (self, account, def->base);
    s_emit_balance (self, account, def->quote);
}

//  Release what an order still holds (it became final without filling).
static void
s_release (vb_sim_engine_t *self, s_order_t *order)
{
    if (order->account->unlimited || order->hold == 0)
        return;
    const vb_sim_instrument_t *def = order->pub.instrument;
    const char *asset = order->pub.side == VB_SIM_BUY ? def->quote : def->base;
    s_balance_t *balance = s_balance (order->account, asset, true);
    balance->locked -= order->hold;
    balance->free += order->hold;
    order->hold = 0;
    s_emit_balance (self, order->account, asset);
}

//  --------------------------------------------------------------------------
//  Match a taker against the opposite side, best price first, oldest order
//  first at each price.

static void
s_match (vb_sim_engine_t *self, s_instrument_t *instrument, s_order_t *taker)
{
    s_side_t *opposite =
        s_side (instrument, taker->pub.side == VB_SIM_BUY ? VB_SIM_SELL : VB_SIM_BUY);
    while (taker->pub.filled < taker->pub.qty && opposite->count > 0) {
        s_level_t *level = &opposite->levels[0];
        if (taker->pub.type == VB_SIM_LIMIT &&
            s_better (taker->pub.side == VB_SIM_BUY ? VB_SIM_SELL : VB_SIM_BUY, taker->pub.price,
                      level->price))
            break;  //  The best opposite price is worse than the limit
        s_order_t *maker = level->head;
        int64_t price = level->price;
        int64_t remaining = taker->pub.qty - taker->pub.filled;
        int64_t available = maker->pub.qty - maker->pub.filled;
        int64_t qty = remaining < available ? remaining : available;
        uint64_t trade_id = ++instrument->last_trade_id;

        vb_sim_fill_t print = {.trade_id = trade_id,
                               .instrument = &instrument->def,
                               .side = taker->pub.side,
                               .price = price,
                               .qty = qty,
                               .ts_ns = vb_sim_engine_now_ns (self)};
        s_record_trade (instrument, &print);
        vb_sim_event_t event = {.kind = VB_SIM_EVENT_TRADE,
                                .instrument = &instrument->def,
                                .ts_ns = print.ts_ns,
                                .fill = &print};
        s_emit (self, &event);

        //  The maker leaves the book when filled; its level shrinks.
        level->qty -= qty;
        s_change (self, maker->pub.side, price, level->qty);
        s_fill_order (self, instrument, maker, trade_id, price, qty, true);
        if (maker->pub.status == VB_SIM_FILLED) {
            s_unrest (self, instrument, maker);
            if (maker->account->unlimited)
                s_mm_forget (instrument, maker);
        }
        s_fill_order (self, instrument, taker, trade_id, price, qty, false);
    }
}

//  --------------------------------------------------------------------------
//  Check an order request against the instrument's filters. Returns
//  VB_SIM_OK or the first refusal.

static vb_sim_result_t
s_validate (const vb_sim_instrument_t *def, const vb_sim_order_req_t *request)
{
    if ((request->side != VB_SIM_BUY && request->side != VB_SIM_SELL) ||
        (request->type != VB_SIM_LIMIT && request->type != VB_SIM_MARKET) ||
        (request->tif != VB_SIM_GTC && request->tif != VB_SIM_IOC && request->tif != VB_SIM_FOK) ||
        (request->fee_pref != VB_SIM_FEE_PREF_DEFAULT &&
         request->fee_pref != VB_SIM_FEE_PREF_QUOTE && request->fee_pref != VB_SIM_FEE_PREF_BASE))
        return VB_SIM_ERR_INVALID;
    if (request->type == VB_SIM_MARKET && request->post_only)
        return VB_SIM_ERR_INVALID;
    if (request->post_only && request->tif != VB_SIM_GTC)
        return VB_SIM_ERR_INVALID;
    if (request->client_id && (request->client_id[0] == '\0' ||
                               strnlen (request->client_id, VB_SIM_ID_MAX) >= VB_SIM_ID_MAX))
        return VB_SIM_ERR_INVALID;
    if (request->type == VB_SIM_LIMIT && (request->price <= 0 || request->price % def->tick != 0))
        return VB_SIM_ERR_PRICE_FILTER;
    if (request->qty <= 0 || request->qty % def->lot != 0 || request->qty < def->min_qty ||
        request->qty > def->max_qty)
        return VB_SIM_ERR_LOT_SIZE;
    if (request->type == VB_SIM_LIMIT) {
        int64_t notional;
        if (s_notional (request->price, request->qty, &notional))
            return VB_SIM_ERR_INVALID;
        if (notional < def->min_notional)
            return VB_SIM_ERR_MIN_NOTIONAL;
    }
    return VB_SIM_OK;
}

//  How much of qty the opposite side could fill up to the limit (any price
//  for a market order), and for a buy the quote (10^-8) that would cost,
//  with the taker fee unless fees are in the base. Returns 0, or VB_EOVERFLOW.
static int
s_walk (vb_sim_engine_t *self, s_instrument_t *instrument, const vb_sim_order_req_t *request,
        bool fee_in_base, int64_t *fillable, int64_t *cost)
{
    const vb_sim_instrument_t *def = &instrument->def;
    vb_sim_side_t maker_side = request->side == VB_SIM_BUY ? VB_SIM_SELL : VB_SIM_BUY;
    s_side_t *opposite = s_side (instrument, maker_side);
    *fillable = 0;
    *cost = 0;
    for (size_t i = 0; i < opposite->count && *fillable < request->qty; i++) {
        s_level_t *level = &opposite->levels[i];
        if (request->type == VB_SIM_LIMIT && s_better (maker_side, request->price, level->price))
            break;
        int64_t qty = request->qty - *fillable;
        if (level->qty < qty)
            qty = level->qty;
        int64_t notional, amount;
        if (s_notional (level->price, qty, &notional))
            return VB_EOVERFLOW;
        int64_t fee = fee_in_base ? 0 : s_fee (notional, self->config.taker_fee_bps);
        if (s_to_asset (notional + fee, def->price_exponent + def->qty_exponent, true, &amount) ||
            __builtin_add_overflow (*cost, amount, cost))
            return VB_EOVERFLOW;
        *fillable += qty;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Place an order for an account (the market maker included). See vb_sim.h.

static vb_sim_result_t
s_place (vb_sim_engine_t *self, s_account_t *account, s_instrument_t *instrument,
         const vb_sim_order_req_t *request, vb_sim_order_t *out)
{
    const vb_sim_instrument_t *def = &instrument->def;
    vb_sim_result_t result = s_validate (def, request);
    if (result != VB_SIM_OK)
        return result;
    vb_sim_side_t maker_side = request->side == VB_SIM_BUY ? VB_SIM_SELL : VB_SIM_BUY;
    s_side_t *opposite = s_side (instrument, maker_side);
    if (request->type == VB_SIM_MARKET && opposite->count == 0)
        return VB_SIM_ERR_NO_LIQUIDITY;
    if (request->post_only && opposite->count > 0 &&
        (s_better (request->side, request->price, opposite->levels[0].price) ||
         request->price == opposite->levels[0].price))
        return VB_SIM_ERR_POST_ONLY_WOULD_TAKE;
    int64_t fillable = 0, walk_cost = 0;
    bool fee_in_base = s_fee_in_base (self, request->side, request->fee_pref);
    if (s_walk (self, instrument, request, fee_in_base, &fillable, &walk_cost))
        return VB_SIM_ERR_INVALID;
    if (request->type == VB_SIM_MARKET && def->min_notional > 0) {
        int64_t notional;
        if (s_notional (opposite->levels[0].price, request->qty, &notional))
            return VB_SIM_ERR_INVALID;
        if (notional < def->min_notional)
            return VB_SIM_ERR_MIN_NOTIONAL;
    }
    if (request->client_id && !account->unlimited)
        for (size_t i = 0; i < account->order_count; i++) {
            vb_sim_order_t *other = &account->orders[i]->pub;
            if ((other->status == VB_SIM_NEW || other->status == VB_SIM_PARTIALLY_FILLED) &&
                strcmp (other->client_id, request->client_id) == 0)
                return VB_SIM_ERR_DUPLICATE_CLIENT_ID;
        }
    //  The hold: what the order may take from the account.
    int64_t hold = 0;
    const char *held_asset = request->side == VB_SIM_BUY ? def->quote : def->base;
    bool fok_fails = request->tif == VB_SIM_FOK && fillable < request->qty;
    if (!account->unlimited && !fok_fails) {
        int rc;
        if (request->side == VB_SIM_BUY && request->type == VB_SIM_MARKET)
            rc = (hold = walk_cost, 0);
        else
            rc = s_hold_for (self, def, request->side, fee_in_base, request->price, request->qty,
                             &hold);
        if (rc)
            return VB_SIM_ERR_INVALID;
        s_balance_t *balance = s_balance (account, held_asset, false);
        if (!balance || balance->free < hold)
            return VB_SIM_ERR_INSUFFICIENT_BALANCE;
    }

    //  Accepted: from here on the order exists.
    int64_t now = vb_sim_engine_now_ns (self);
    s_order_t *order = zmalloc (sizeof (s_order_t));
    order->account = account;
    order->pub.order_id = ++self->last_order_id;
    if (request->client_id)
        snprintf (order->pub.client_id, sizeof order->pub.client_id, "%s", request->client_id);
    else
        snprintf (order->pub.client_id, sizeof order->pub.client_id, "sim-%" PRIu64,
                  order->pub.order_id);
    snprintf (order->pub.account, sizeof order->pub.account, "%s", account->name);
    order->pub.instrument = def;
    order->pub.side = request->side;
    order->pub.type = request->type;
    order->pub.tif = request->tif;
    order->pub.post_only = request->post_only;
    order->fee_in_base = fee_in_base;
    order->pub.price = request->type == VB_SIM_LIMIT ? request->price : 0;
    order->pub.qty = request->qty;
    order->pub.status = VB_SIM_NEW;
    order->pub.created_ns = order->pub.updated_ns = now;
    if (account->unlimited)
        s_mm_track (instrument, order);
    else {
        s_grow ((void **)&account->orders, &account->order_capacity, sizeof (s_order_t *),
                account->order_count + 1);
        account->orders[account->order_count++] = order;
        self->orders_accepted++;
        if (hold > 0) {
            s_balance_t *balance = s_balance (account, held_asset, true);
            balance->free -= hold;
            balance->locked += hold;
            order->hold = hold;
            s_emit_balance (self, account, held_asset);
        }
    }
    s_emit_order (self, order, NULL);

    if (!fok_fails)
        s_match (self, instrument, order);
    if (order->pub.filled < order->pub.qty) {
        if (request->type == VB_SIM_LIMIT && request->tif == VB_SIM_GTC)
            s_rest (self, instrument, order);
        else {
            order->pub.status = VB_SIM_EXPIRED;
            order->pub.updated_ns = vb_sim_engine_now_ns (self);
            s_release (self, order);
            s_emit_order (self, order, NULL);
        }
    } else
        s_release (self, order);  //  A buy filled below its limit keeps nothing back
    if (out)
        *out = order->pub;
    bool final = !order->resting;
    s_end_action (self, instrument);
    if (final && account->unlimited)
        s_mm_forget (instrument, order);
    return fok_fails ? VB_SIM_ERR_FOK_UNFILLABLE : VB_SIM_OK;
}

//  Cancel one resting order (the action's BOOK event is left to the caller).
static void
s_cancel_order (vb_sim_engine_t *self, s_instrument_t *instrument, s_order_t *order)
{
    s_unrest (self, instrument, order);
    order->pub.status = VB_SIM_CANCELED;
    order->pub.updated_ns = vb_sim_engine_now_ns (self);
    s_release (self, order);
    s_emit_order (self, order, NULL);
}

//  --------------------------------------------------------------------------
//  Constructor and destructor.

vb_sim_engine_t *
sim_engine_new (vb_clock_t *clock, uint64_t seed, const sim_engine_config_t *config)
{
    sim_engine_config_t settings = config ? *config : SIM_ENGINE_CONFIG_DEFAULT;
    if (settings.actions_per_s < 0 || settings.depth_ticks < 1 || settings.target_levels < 0 ||
        settings.market_percent < 0 || settings.market_percent > SIM_PERCENT ||
        settings.maker_fee_bps < 0 || settings.maker_fee_bps > SIM_ENGINE_BPS ||
        settings.taker_fee_bps < 0 || settings.taker_fee_bps > SIM_ENGINE_BPS ||
        (settings.fee_policy != VB_SIM_FEE_QUOTE && settings.fee_policy != VB_SIM_FEE_RECEIVED &&
         settings.fee_policy != VB_SIM_FEE_SPENT))
        return NULL;
    vb_sim_engine_t *self = zmalloc (sizeof (vb_sim_engine_t));
    self->clock = clock;
    self->config = settings;
    self->rng = seed;
    self->volatility = 1;
    s_account_t *maker = zmalloc (sizeof (s_account_t));
    snprintf (maker->name, sizeof maker->name, "%s", SIM_ENGINE_MM_ACCOUNT);
    maker->unlimited = true;
    s_grow ((void **)&self->accounts, &(size_t){0}, sizeof (s_account_t *), 1);
    self->accounts[self->account_count++] = maker;
    return self;
}

static void
s_account_destroy (s_account_t *account)
{
    for (size_t i = 0; i < account->order_count; i++)
        free (account->orders[i]);
    free (account->orders);
    free (account->fills);
    free (account->balances);
    free (account);
}

void
sim_engine_destroy (vb_sim_engine_t **self_p)
{
    assert (self_p);
    vb_sim_engine_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->instrument_count; i++) {
        s_instrument_t *instrument = self->instruments[i];
        for (size_t j = 0; j < instrument->mm_count; j++)
            free (instrument->mm_orders[j]);
        free (instrument->mm_orders);
        free (instrument->bids.levels);
        free (instrument->asks.levels);
        free (instrument->trades);
        free (instrument->buckets);
        free (instrument);
    }
    free (self->instruments);
    for (size_t i = 0; i < self->account_count; i++)
        s_account_destroy (self->accounts[i]);
    free (self->accounts);
    for (size_t i = 0; i < self->key_count; i++) {
        memset (self->keys[i], 0, sizeof (vb_sim_key_t));  //  Do not leave secrets behind
        free (self->keys[i]);
    }
    free (self->keys);
    free (self->changes);
    free (self);
    *self_p = NULL;
}

void
sim_engine_set_listener (vb_sim_engine_t *self, sim_engine_listener_fn *listener, void *arg)
{
    assert (self);
    self->listener = listener;
    self->listener_arg = arg;
}

//  --------------------------------------------------------------------------
//  Setup: instruments, accounts, balances, keys.

static bool
s_name_ok (const char *name)
{
    return name && *name && strnlen (name, VB_SIM_NAME_MAX) < VB_SIM_NAME_MAX;
}

int
sim_engine_add_instrument (vb_sim_engine_t *self, const vb_sim_instrument_t *instrument)
{
    assert (self);
    if (!instrument || !s_name_ok (instrument->symbol) || !s_name_ok (instrument->base) ||
        !s_name_ok (instrument->quote))
        return VB_EINVAL;
    if (instrument->price_exponent < SIM_EXPONENT_MIN || instrument->price_exponent > 0 ||
        instrument->qty_exponent < SIM_EXPONENT_MIN || instrument->qty_exponent > 0 ||
        instrument->tick <= 0 || instrument->lot <= 0 || instrument->min_qty <= 0 ||
        instrument->max_qty < instrument->min_qty || instrument->min_qty % instrument->lot ||
        instrument->max_qty % instrument->lot || instrument->min_notional < 0 ||
        instrument->start_price <= 0 || instrument->start_price % instrument->tick)
        return VB_EINVAL;
    if (vb_sim_engine_instrument (self, instrument->symbol))
        return VB_EEXIST;
    s_instrument_t *entry = zmalloc (sizeof (s_instrument_t));
    entry->def = *instrument;
    entry->mid = instrument->start_price;
    size_t capacity = self->instrument_count;
    s_grow ((void **)&self->instruments, &capacity, sizeof (s_instrument_t *),
            self->instrument_count + 1);
    self->instruments[self->instrument_count++] = entry;
    return 0;
}

int
sim_engine_add_account (vb_sim_engine_t *self, const char *account)
{
    assert (self);
    if (!s_name_ok (account) || strcmp (account, SIM_ENGINE_MM_ACCOUNT) == 0)
        return VB_EINVAL;
    if (s_account (self, account))
        return VB_EEXIST;
    s_account_t *entry = zmalloc (sizeof (s_account_t));
    snprintf (entry->name, sizeof entry->name, "%s", account);
    size_t capacity = self->account_count;
    s_grow ((void **)&self->accounts, &capacity, sizeof (s_account_t *), self->account_count + 1);
    self->accounts[self->account_count++] = entry;
    return 0;
}

int
sim_engine_credit (vb_sim_engine_t *self, const char *account, const char *asset, int64_t amount)
{
    assert (self);
    s_account_t *entry = s_account (self, account);
    if (!entry || entry->unlimited)
        return VB_ENOTFOUND;
    if (!s_name_ok (asset))
        return VB_EINVAL;
    s_balance_t *balance = s_balance (entry, asset, true);
    int64_t next;
    if (__builtin_add_overflow (balance->free, amount, &next))
        return VB_EOVERFLOW;
    if (next < 0)
        return VB_EINVAL;
    balance->free = next;
    s_emit_balance (self, entry, asset);
    return 0;
}

int
sim_engine_add_key (vb_sim_engine_t *self, const vb_sim_key_t *key)
{
    assert (self);
    if (!key || !key->api_key[0] || key->ip_count > VB_SIM_IPS_MAX)
        return VB_EINVAL;
    s_account_t *account = s_account (self, key->account);
    if (!account || account->unlimited)
        return VB_ENOTFOUND;
    if (vb_sim_engine_key (self, key->api_key))
        return VB_EEXIST;
    vb_sim_key_t *copy = zmalloc (sizeof (vb_sim_key_t));
    *copy = *key;
    size_t capacity = self->key_count;
    s_grow ((void **)&self->keys, &capacity, sizeof (vb_sim_key_t *), self->key_count + 1);
    self->keys[self->key_count++] = copy;
    return 0;
}

void
sim_engine_set_skew_ns (vb_sim_engine_t *self, int64_t skew_ns)
{
    assert (self);
    self->skew_ns = skew_ns;
}

int64_t
sim_engine_skew_ns (vb_sim_engine_t *self)
{
    assert (self);
    return self->skew_ns;
}

void
sim_engine_set_volatility (vb_sim_engine_t *self, int64_t factor)
{
    assert (self);
    self->volatility = factor < 1 ? 1 : factor;
}

int64_t
sim_engine_volatility (vb_sim_engine_t *self)
{
    assert (self);
    return self->volatility;
}

uint64_t
sim_engine_orders_accepted (vb_sim_engine_t *self)
{
    assert (self);
    return self->orders_accepted;
}

uint64_t
sim_engine_orders_refused (vb_sim_engine_t *self)
{
    assert (self);
    return self->orders_refused;
}

//  --------------------------------------------------------------------------
//  Synthetic flow.

//  Smallest valid synthetic size at this price: min_qty, raised to meet
//  min_notional, on the lot grid.
static int64_t
s_min_size (const vb_sim_instrument_t *def, int64_t price)
{
    int64_t qty = def->min_qty;
    if (def->min_notional > 0 && price > 0) {
        int64_t need = def->min_notional / price + (def->min_notional % price ? 1 : 0);
        if (need > qty)
            qty = need;
    }
    if (qty % def->lot)
        qty += def->lot - qty % def->lot;
    return qty;
}

static void
s_flow_maker (vb_sim_engine_t *self, s_instrument_t *instrument, vb_sim_side_t side)
{
    const vb_sim_instrument_t *def = &instrument->def;
    if (instrument->mm_count >= SIM_ENGINE_MM_ORDERS_MAX)
        return;
    int64_t ticks = 1 + s_random_below (self, self->config.depth_ticks);
    int64_t price = side == VB_SIM_BUY ? instrument->mid - ticks * def->tick
                                       : instrument->mid + ticks * def->tick;
    //  A maker order never rests crossed. When the walk has taken the mid
    //  past the opposite best, the order takes the stale levels up to its
    //  price instead (IOC), so the book and the trades follow the walk.
    //  (Resting one tick behind the opposite best would pin every order of
    //  that side to one price: the side could never hold target_levels
    //  levels, the refill would take every action, and the market would
    //  stop trading for good, as a calm walk did within seconds at a brisk
    //  rate. Under a volatility fault it would pile a wall that pins prices.)
    s_side_t *opposite = s_side (instrument, side == VB_SIM_BUY ? VB_SIM_SELL : VB_SIM_BUY);
    bool sweep = false;
    if (opposite->count) {
        int64_t best = opposite->levels[0].price;
        sweep = side == VB_SIM_BUY ? price >= best : price <= best;
    }
    if (price <= 0)
        return;
    int64_t qty = s_min_size (def, price) * (1 + s_random_below (self, SIM_MAKER_LOTS_MAX));
    if (qty > def->max_qty)
        qty = def->max_qty - def->max_qty % def->lot;
    vb_sim_order_req_t request = {.side = side,
                                  .type = VB_SIM_LIMIT,
                                  .tif = sweep ? VB_SIM_IOC : VB_SIM_GTC,
                                  .post_only = !sweep,
                                  .price = price,
                                  .qty = qty};
    s_place (self, self->accounts[0], instrument, &request, NULL);
}

static void
s_flow_cancel (vb_sim_engine_t *self, s_instrument_t *instrument)
{
    if (instrument->mm_count == 0)
        return;
    s_order_t *stalest = NULL;
    int64_t distance = -1;
    for (int i = 0; i < SIM_CANCEL_SAMPLES; i++) {
        s_order_t *order =
            instrument->mm_orders[s_random_below (self, (int64_t)instrument->mm_count)];
        int64_t away = order->pub.price > instrument->mid ? order->pub.price - instrument->mid
                                                          : instrument->mid - order->pub.price;
        if (away > distance) {
            distance = away;
            stalest = order;
        }
    }
    s_cancel_order (self, instrument, stalest);
    s_end_action (self, instrument);
    s_mm_forget (instrument, stalest);
}

static void
s_flow_taker (vb_sim_engine_t *self, s_instrument_t *instrument)
{
    const vb_sim_instrument_t *def = &instrument->def;
    vb_sim_side_t side = s_random_below (self, 2) ? VB_SIM_BUY : VB_SIM_SELL;
    s_side_t *opposite = s_side (instrument, side == VB_SIM_BUY ? VB_SIM_SELL : VB_SIM_BUY);
    if (opposite->count == 0)
        return;
    int64_t qty = s_min_size (def, opposite->levels[0].price) *
                  (1 + s_random_below (self, SIM_TAKER_LOTS_MAX));
    if (qty > def->max_qty)
        qty = def->max_qty - def->max_qty % def->lot;
    vb_sim_order_req_t request = {
        .side = side, .type = VB_SIM_MARKET, .tif = VB_SIM_IOC, .qty = qty};
    s_place (self, self->accounts[0], instrument, &request, NULL);
}

//  One synthetic action: step the walk, then refill, trade, add or cancel.
static void
s_flow_action (vb_sim_engine_t *self, s_instrument_t *instrument)
{
    const vb_sim_instrument_t *def = &instrument->def;
    int64_t walk = s_random_below (self, SIM_PERCENT);
    int64_t step = def->tick * self->volatility;
    if (walk < SIM_WALK_PERCENT)
        instrument->mid += step;
    else if (walk < 2 * SIM_WALK_PERCENT && instrument->mid - step > def->tick)
        instrument->mid -= step;

    //  At the order cap, cancel first: a side short of levels could not be
    //  refilled (s_flow_maker refuses at the cap), and the flow would stall
    //  for good once a fast walk has stacked the cap on a few levels.
    if (instrument->mm_count >= SIM_ENGINE_MM_ORDERS_MAX)
        s_flow_cancel (self, instrument);
    else if ((int64_t)instrument->bids.count < self->config.target_levels)
        s_flow_maker (self, instrument, VB_SIM_BUY);
    else if ((int64_t)instrument->asks.count < self->config.target_levels)
        s_flow_maker (self, instrument, VB_SIM_SELL);
    else {
        int64_t draw = s_random_below (self, SIM_PERCENT);
        if (draw < self->config.market_percent)
            s_flow_taker (self, instrument);
        else if (draw < self->config.market_percent + SIM_MAKER_PERCENT)
            s_flow_maker (self, instrument, s_random_below (self, 2) ? VB_SIM_BUY : VB_SIM_SELL);
        else
            s_flow_cancel (self, instrument);
    }
}

//  Fill both sides to target_levels around the start price.
static void
s_prime (vb_sim_engine_t *self, s_instrument_t *instrument)
{
    const vb_sim_instrument_t *def = &instrument->def;
    for (int64_t k = 1; k <= self->config.target_levels; k++)
        for (int side = VB_SIM_BUY; side <= VB_SIM_SELL; side++) {
            int64_t price = side == VB_SIM_BUY ? instrument->mid - k * def->tick
                                               : instrument->mid + k * def->tick;
            if (price <= 0)
                continue;
            vb_sim_order_req_t request = {.side = (vb_sim_side_t)side,
                                          .type = VB_SIM_LIMIT,
                                          .tif = VB_SIM_GTC,
                                          .post_only = true,
                                          .price = price,
                                          .qty = s_min_size (def, price) *
                                                 (1 + s_random_below (self, SIM_MAKER_LOTS_MAX))};
            if (request.qty > def->max_qty)
                request.qty = def->max_qty - def->max_qty % def->lot;
            s_place (self, self->accounts[0], instrument, &request, NULL);
        }
    instrument->primed = true;
}

size_t
sim_engine_flow (vb_sim_engine_t *self)
{
    assert (self);
    if (self->config.actions_per_s == 0)
        return 0;
    int64_t now = vb_clock_mono_ns (self->clock);
    size_t actions = 0;
    if (!self->flow_started) {
        self->flow_started = true;
        self->flow_last_mono_ns = now;
        for (size_t i = 0; i < self->instrument_count; i++)
            if (!self->instruments[i]->no_flow)
                s_prime (self, self->instruments[i]);
        return 0;
    }
    int64_t elapsed = now - self->flow_last_mono_ns;
    self->flow_last_mono_ns = now;
    if (elapsed > SIM_FLOW_ELAPSED_MAX)
        elapsed = SIM_FLOW_ELAPSED_MAX;
    for (size_t i = 0; i < self->instrument_count; i++) {
        s_instrument_t *instrument = self->instruments[i];
        if (instrument->no_flow)
            continue;
        instrument->flow_carry += elapsed * self->config.actions_per_s;
        int64_t due = instrument->flow_carry / VB_NS_PER_SEC;
        instrument->flow_carry %= VB_NS_PER_SEC;
        if (due > SIM_ENGINE_FLOW_BURST_MAX)
            due = SIM_ENGINE_FLOW_BURST_MAX;
        for (int64_t n = 0; n < due; n++)
            s_flow_action (self, instrument);
        actions += (size_t)due;
    }
    return actions;
}

//  --------------------------------------------------------------------------
//  vb_sim.h: instruments, time, keys, balances.

size_t
vb_sim_engine_instrument_count (vb_sim_engine_t *self)
{
    assert (self);
    return self->instrument_count;
}

const vb_sim_instrument_t *
vb_sim_engine_instrument_at (vb_sim_engine_t *self, size_t index)
{
    assert (self);
    return index < self->instrument_count ? &self->instruments[index]->def : NULL;
}

const vb_sim_instrument_t *
vb_sim_engine_instrument (vb_sim_engine_t *self, const char *symbol)
{
    assert (self);
    if (!symbol)
        return NULL;
    for (size_t i = 0; i < self->instrument_count; i++)
        if (strcmp (self->instruments[i]->def.symbol, symbol) == 0)
            return &self->instruments[i]->def;
    return NULL;
}

void
vb_sim_engine_set_flow (vb_sim_engine_t *self, const vb_sim_instrument_t *instrument, bool enabled)
{
    assert (self);
    for (size_t i = 0; instrument && i < self->instrument_count; i++)
        if (&self->instruments[i]->def == instrument ||
            strcmp (self->instruments[i]->def.symbol, instrument->symbol) == 0)
            self->instruments[i]->no_flow = !enabled;
}

int64_t
vb_sim_engine_now_ns (vb_sim_engine_t *self)
{
    assert (self);
    return vb_clock_real_ns (self->clock) + self->skew_ns;
}

vb_sim_key_t *
vb_sim_engine_key (vb_sim_engine_t *self, const char *api_key)
{
    assert (self);
    if (!api_key)
        return NULL;
    for (size_t i = 0; i < self->key_count; i++)
        if (strcmp (self->keys[i]->api_key, api_key) == 0)
            return self->keys[i];
    return NULL;
}

size_t
vb_sim_engine_balance_count (vb_sim_engine_t *self, const char *account)
{
    assert (self);
    s_account_t *entry = s_account (self, account);
    return entry && !entry->unlimited ? entry->balance_count : 0;
}

int
vb_sim_engine_balance_at (vb_sim_engine_t *self, const char *account, size_t index,
                          const char **asset, int64_t *free, int64_t *locked)
{
    assert (self);
    s_account_t *entry = s_account (self, account);
    if (!entry || entry->unlimited || index >= entry->balance_count)
        return VB_ENOTFOUND;
    if (asset)
        *asset = entry->balances[index].asset;
    if (free)
        *free = entry->balances[index].free;
    if (locked)
        *locked = entry->balances[index].locked;
    return 0;
}

//  --------------------------------------------------------------------------
//  vb_sim.h: orders.

vb_sim_result_t
vb_sim_engine_place (vb_sim_engine_t *self, const char *account,
                     const vb_sim_instrument_t *instrument, const vb_sim_order_req_t *request,
                     vb_sim_order_t *order)
{
    assert (self);
    vb_sim_result_t result;
    uint64_t accepted = self->orders_accepted;
    s_account_t *entry = s_account (self, account);
    s_instrument_t *book = s_instrument (self, instrument);
    if (!request)
        result = VB_SIM_ERR_INVALID;
    else if (!entry || entry->unlimited)
        result = VB_SIM_ERR_UNKNOWN_ACCOUNT;
    else if (!book)
        result = VB_SIM_ERR_UNKNOWN_SYMBOL;
    else
        result = s_place (self, entry, book, request, order);
    //  A refused FOK is recorded (EXPIRED), so it was accepted, not refused.
    if (result != VB_SIM_OK && self->orders_accepted == accepted)
        self->orders_refused++;
    return result;
}

//  The newest order of an account matching id (non-zero) or client id.
static s_order_t *
s_find_order (s_account_t *account, uint64_t order_id, const char *client_id)
{
    for (size_t i = account->order_count; i-- > 0;) {
        s_order_t *order = account->orders[i];
        if (order_id ? order->pub.order_id == order_id
                     : (client_id && strcmp (order->pub.client_id, client_id) == 0))
            return order;
    }
    return NULL;
}

vb_sim_result_t
vb_sim_engine_cancel (vb_sim_engine_t *self, const char *account,
                      const vb_sim_instrument_t *instrument, uint64_t order_id,
                      const char *client_id, vb_sim_order_t *order)
{
    assert (self);
    s_account_t *entry = s_account (self, account);
    if (!entry || entry->unlimited)
        return VB_SIM_ERR_UNKNOWN_ACCOUNT;
    s_instrument_t *book = s_instrument (self, instrument);
    if (!book)
        return VB_SIM_ERR_UNKNOWN_SYMBOL;
    if (!order_id && !client_id)
        return VB_SIM_ERR_INVALID;
    //  By client id, prefer the open order among several with that id.
    s_order_t *found = NULL;
    for (size_t i = entry->order_count; i-- > 0 && !found;) {
        s_order_t *candidate = entry->orders[i];
        bool match = order_id ? candidate->pub.order_id == order_id
                              : strcmp (candidate->pub.client_id, client_id) == 0;
        if (match && candidate->resting)
            found = candidate;
    }
    if (!found || found->pub.instrument != instrument)
        return VB_SIM_ERR_UNKNOWN_ORDER;
    s_cancel_order (self, book, found);
    s_end_action (self, book);
    if (order)
        *order = found->pub;
    return VB_SIM_OK;
}

size_t
vb_sim_engine_cancel_all (vb_sim_engine_t *self, const char *account,
                          const vb_sim_instrument_t *instrument)
{
    assert (self);
    s_account_t *entry = s_account (self, account);
    if (!entry || entry->unlimited)
        return 0;
    size_t canceled = 0;
    for (size_t i = 0; i < entry->order_count; i++) {
        s_order_t *order = entry->orders[i];
        if (!order->resting || (instrument && order->pub.instrument != instrument))
            continue;
        s_instrument_t *book = s_instrument (self, order->pub.instrument);
        s_cancel_order (self, book, order);
        s_end_action (self, book);
        canceled++;
    }
    return canceled;
}

const vb_sim_order_t *
vb_sim_engine_order (vb_sim_engine_t *self, const char *account, uint64_t order_id,
                     const char *client_id)
{
    assert (self);
    s_account_t *entry = s_account (self, account);
    if (!entry || entry->unlimited || (!order_id && !client_id))
        return NULL;
    s_order_t *order = s_find_order (entry, order_id, client_id);
    return order ? &order->pub : NULL;
}

const vb_sim_order_t *
vb_sim_engine_order_at (vb_sim_engine_t *self, const char *account,
                        const vb_sim_instrument_t *instrument, bool open_only, size_t index)
{
    assert (self);
    s_account_t *entry = s_account (self, account);
    if (!entry || entry->unlimited)
        return NULL;
    for (size_t i = 0; i < entry->order_count; i++) {
        s_order_t *order = entry->orders[i];
        if ((open_only && !order->resting) || (instrument && order->pub.instrument != instrument))
            continue;
        if (index-- == 0)
            return &order->pub;
    }
    return NULL;
}

const vb_sim_fill_t *
vb_sim_engine_fill_at (vb_sim_engine_t *self, const char *account,
                       const vb_sim_instrument_t *instrument, size_t index)
{
    assert (self);
    s_account_t *entry = s_account (self, account);
    if (!entry || entry->unlimited)
        return NULL;
    for (size_t i = 0; i < entry->fill_count; i++) {
        vb_sim_fill_t *fill = &entry->fills[i];
        if (instrument && fill->instrument != instrument)
            continue;
        if (index-- == 0)
            return fill;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  vb_sim.h: market data.

uint64_t
vb_sim_engine_depth (vb_sim_engine_t *self, const vb_sim_instrument_t *instrument, size_t limit,
                     vb_sim_level_t *bids, size_t *bid_count, vb_sim_level_t *asks,
                     size_t *ask_count)
{
    assert (self);
    s_instrument_t *book = s_instrument (self, instrument);
    if (bid_count)
        *bid_count = 0;
    if (ask_count)
        *ask_count = 0;
    if (!book)
        return 0;
    for (size_t i = 0; bids && bid_count && i < book->bids.count && i < limit; i++)
        bids[(*bid_count)++] =
            (vb_sim_level_t){VB_SIM_BUY, book->bids.levels[i].price, book->bids.levels[i].qty};
    for (size_t i = 0; asks && ask_count && i < book->asks.count && i < limit; i++)
        asks[(*ask_count)++] =
            (vb_sim_level_t){VB_SIM_SELL, book->asks.levels[i].price, book->asks.levels[i].qty};
    return book->book_update_id;
}

size_t
vb_sim_engine_trade_count (vb_sim_engine_t *self, const vb_sim_instrument_t *instrument)
{
    assert (self);
    s_instrument_t *book = s_instrument (self, instrument);
    return book ? book->trade_count : 0;
}

const vb_sim_fill_t *
vb_sim_engine_trade_at (vb_sim_engine_t *self, const vb_sim_instrument_t *instrument, size_t index)
{
    assert (self);
    s_instrument_t *book = s_instrument (self, instrument);
    if (!book || index >= book->trade_count)
        return NULL;
    return &book->trades[(book->trade_start + index) % SIM_ENGINE_TRADE_RING];
}

size_t
vb_sim_engine_candles (vb_sim_engine_t *self, const vb_sim_instrument_t *instrument,
                       int64_t interval_s, int64_t from_ns, int64_t to_ns, vb_sim_candle_t *out,
                       size_t max)
{
    assert (self);
    s_instrument_t *book = s_instrument (self, instrument);
    if (!book || !out || max == 0 || interval_s <= 0 || interval_s > 86400 ||
        86400 % interval_s != 0)
        return 0;
    size_t written = 0;
    for (size_t i = 0; i < book->bucket_count; i++) {
        const s_bucket_t *bucket = &book->buckets[(book->bucket_start + i) % book->bucket_capacity];
        int64_t start_s =
            bucket->second - ((bucket->second % interval_s) + interval_s) % interval_s;
        int64_t open_ns = start_s * VB_NS_PER_SEC;
        if (open_ns < from_ns || open_ns >= to_ns)
            continue;
        vb_sim_candle_t *candle = written ? &out[written - 1] : NULL;
        if (candle && candle->open_ns == open_ns) {
            if (bucket->candle.high > candle->high)
                candle->high = bucket->candle.high;
            if (bucket->candle.low < candle->low)
                candle->low = bucket->candle.low;
            candle->close = bucket->candle.close;
            candle->volume += bucket->candle.volume;
            candle->notional += bucket->candle.notional;
            candle->trades += bucket->candle.trades;
            continue;
        }
        if (written == max)
            break;
        out[written] = bucket->candle;
        out[written].open_ns = open_ns;
        written++;
    }
    return written;
}
