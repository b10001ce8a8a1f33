/*  mm_quote.c — the market maker's quoting arithmetic, exact decimals only.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <stddef.h>
#include "mm_quote.h"
#include "vb_error.h"

__extension__ typedef __int128 s_int128_t;

//  Half a spread in bps, as a divisor: mid x (2 x 10000 -+ spread) / (2 x 10000).
#define S_TWO_BPS (2 * MM_QUOTE_BPS_ONE)
//  Largest power of ten that fits an int128 (10^38 < 2^127).
#define S_POW10_MAX 38

//  --------------------------------------------------------------------------
//  *value x= 10^shift in 128 bits. Returns false on overflow.

static bool
s_scale (s_int128_t *value, int shift)
{
    assert (shift >= 0 && shift <= S_POW10_MAX);
    for (int i = 0; i < shift; i++)
        if (__builtin_mul_overflow (*value, 10, value))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Mid of the best prices

int
mm_quote_mid (vb_decimal_t best_bid, vb_decimal_t best_ask, vb_decimal_t *mid)
{
    assert (mid);
    if (best_bid.mantissa <= 0 || best_ask.mantissa <= 0 ||
        vb_decimal_cmp (best_bid, best_ask) >= 0)
        return VB_EINVAL;
    vb_decimal_t sum;
    int rc = vb_decimal_add (best_bid, best_ask, &sum);
    if (rc != 0)
        return rc;
    //  Halve exactly: an even mantissa halves in place, an odd one becomes
    //  five times itself one decimal place further down.
    if (sum.mantissa % 2 == 0) {
        *mid = (vb_decimal_t){sum.mantissa / 2, sum.exponent};
        return 0;
    }
    int64_t times_five;
    if (__builtin_mul_overflow (sum.mantissa, 5, &times_five) ||
        sum.exponent - 1 < VB_DECIMAL_EXPONENT_MIN)
        return VB_EOVERFLOW;
    *mid = (vb_decimal_t){times_five, sum.exponent - 1};
    return 0;
}

//  --------------------------------------------------------------------------
//  One side: mid x factor / S_TWO_BPS / tick, rounded down or up, in ticks.
//  Returns 0 with *ticks, or VB_EOVERFLOW.

static int
s_side_ticks (vb_decimal_t mid, int64_t factor, vb_decimal_t tick, bool round_up, int64_t *ticks)
{
    //  mid = m x 10^e, tick = t x 10^f: the side in ticks is
    //  m x factor x 10^(e-f) / (S_TWO_BPS x t).
    s_int128_t numerator = (s_int128_t)mid.mantissa * factor;
    s_int128_t denominator = (s_int128_t)S_TWO_BPS * tick.mantissa;
    int64_t shift = (int64_t)mid.exponent - tick.exponent;
    if (shift > S_POW10_MAX || shift < -S_POW10_MAX)
        return VB_EOVERFLOW;
    if (!s_scale (shift >= 0 ? &numerator : &denominator, (int)(shift >= 0 ? shift : -shift)))
        return VB_EOVERFLOW;
    s_int128_t quotient = numerator / denominator;
    if (round_up && numerator % denominator != 0)
        quotient++;
    if (quotient > INT64_MAX)
        return VB_EOVERFLOW;
    *ticks = (int64_t)quotient;
    return 0;
}

//  --------------------------------------------------------------------------
//  Bid and ask around the mid

int
mm_quote_prices (vb_decimal_t mid, uint32_t spread_bps, vb_decimal_t tick, mm_quote_t *quote)
{
    assert (quote);
    if (mid.mantissa <= 0 || tick.mantissa <= 0 || spread_bps == 0 ||
        spread_bps > MM_QUOTE_SPREAD_BPS_MAX)
        return VB_EINVAL;
    int64_t bid_ticks, ask_ticks;
    int rc = s_side_ticks (mid, S_TWO_BPS - (int64_t)spread_bps, tick, false, &bid_ticks);
    if (rc == 0)
        rc = s_side_ticks (mid, S_TWO_BPS + (int64_t)spread_bps, tick, true, &ask_ticks);
    if (rc != 0)
        return rc;
    int64_t bid_mantissa, ask_mantissa;
    if (__builtin_mul_overflow (bid_ticks, tick.mantissa, &bid_mantissa) ||
        __builtin_mul_overflow (ask_ticks, tick.mantissa, &ask_mantissa))
        return VB_EOVERFLOW;
    quote->bid = (vb_decimal_t){bid_mantissa, tick.exponent};
    quote->has_bid = bid_mantissa > 0;
    quote->ask = (vb_decimal_t){ask_mantissa, tick.exponent};
    quote->has_ask = ask_mantissa > 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Did the mid move more than the threshold?

bool
mm_quote_moved (vb_decimal_t old_mid, vb_decimal_t new_mid, uint32_t threshold_bps)
{
    vb_decimal_t difference, old_scaled;
    if (vb_decimal_sub (new_mid, old_mid, &difference) != 0 ||
        vb_decimal_rescale (old_mid, difference.exponent, &old_scaled) != 0)
        return true;
    s_int128_t moved = (s_int128_t)difference.mantissa;
    if (moved < 0)
        moved = -moved;
    s_int128_t allowed = (s_int128_t)old_scaled.mantissa * threshold_bps;
    if (allowed < 0)
        allowed = -allowed;
    return moved * MM_QUOTE_BPS_ONE > allowed;
}

//  --------------------------------------------------------------------------
//  Which sides the position limit allows

void
mm_quote_sides (vb_decimal_t position, vb_decimal_t qty, vb_decimal_t max_position, bool *bid_ok,
                bool *ask_ok)
{
    assert (bid_ok && ask_ok);
    *bid_ok = *ask_ok = false;
    if (max_position.mantissa <= 0 || qty.mantissa <= 0)
        return;
    vb_decimal_t after_buy, after_sell, floor = {-max_position.mantissa, max_position.exponent};
    *bid_ok = vb_decimal_add (position, qty, &after_buy) == 0 &&
              vb_decimal_cmp (after_buy, max_position) <= 0;
    *ask_ok =
        vb_decimal_sub (position, qty, &after_sell) == 0 && vb_decimal_cmp (after_sell, floor) >= 0;
}
