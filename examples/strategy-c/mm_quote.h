/*  mm_quote.h — the market maker's quoting arithmetic, exact decimals only.

    Pure functions, no I/O and no logging, so they are unit-tested on their
    own (tests/test_mm_quote.c). Every value is a vb_decimal_t; division is
    done once, on scaled 128-bit integers, with explicit floor or ceiling,
    so a quote is never a rounded double.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef MM_QUOTE_H_INCLUDED
#define MM_QUOTE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "vb_decimal.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Basis points in one (100 %).
#define MM_QUOTE_BPS_ONE 10000
//  Largest spread accepted, bps: a bid at mid x (1 - spread / 2) stays > 0.
#define MM_QUOTE_SPREAD_BPS_MAX 10000

//  A two-sided quote. A side is absent when its price would not be positive.
typedef struct {
    vb_decimal_t bid;  //  Bid price, a multiple of the tick, rounded down
    bool has_bid;      //  The bid is positive
    vb_decimal_t ask;  //  Ask price, a multiple of the tick, rounded up
    bool has_ask;      //  Always true on success
} mm_quote_t;

//  The exact mid (best_bid + best_ask) / 2. Returns 0, VB_EINVAL when a
//  price is not positive or the book is crossed or locked (bid >= ask), or
//  VB_EOVERFLOW.
int mm_quote_mid (vb_decimal_t best_bid, vb_decimal_t best_ask, vb_decimal_t *mid);

//  Quote around mid at a total spread of spread_bps (1..MM_QUOTE_SPREAD_BPS_MAX):
//  bid = floor (mid x (1 - spread/2) / tick) x tick and
//  ask = ceil (mid x (1 + spread/2) / tick) x tick, so each side is at
//  least half the spread away from the mid. Returns 0, VB_EINVAL for a
//  non-positive mid or tick or a spread out of range, or VB_EOVERFLOW when
//  the scales are too far apart to compute exactly.
int mm_quote_prices (vb_decimal_t mid, uint32_t spread_bps, vb_decimal_t tick, mm_quote_t *quote);

//  True when new_mid differs from old_mid by more than threshold_bps of
//  old_mid (strictly more). Also true when the values cannot be compared
//  exactly (absurd scales): requoting is the safe answer.
bool mm_quote_moved (vb_decimal_t old_mid, vb_decimal_t new_mid, uint32_t threshold_bps);

//  Which sides may quote qty without the position passing +-max_position
//  once filled: bid when position + qty <= max_position, ask when
//  position - qty >= -max_position. A side whose sum overflows is off;
//  both are off unless qty and max_position are positive.
void mm_quote_sides (vb_decimal_t position, vb_decimal_t qty, vb_decimal_t max_position,
                     bool *bid_ok, bool *ask_ok);

#ifdef __cplusplus
}
#endif
#endif
