/*  exec_rules.c — Binance execution adapter: instrument rules. Loads them
    from exchangeInfo (PRICE_FILTER tickSize/minPrice/maxPrice, LOT_SIZE and
    MARKET_LOT_SIZE stepSize/minQty/maxQty, NOTIONAL or MIN_NOTIONAL
    minNotional, NOTIONAL maxNotional, symbol status; filters.md: a zero
    bound is disabled), keeps them by venue and normalised symbol, and
    checks an order against them before it may be sent (exec.c explains the
    rules). A malformed exchangeInfo changes nothing: the rules are replaced
    only when the whole answer reads. Comparisons are exact: decimals are
    rescaled, never rounded, and price x quantity is compared in 128 bits.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include "vb_error.h"
#include "exec_binance.h"

#define S_CLIENT_ID_MAX   36  //  venues.md 6.2
#define S_STATUS_TRADING  "TRADING"
#define S_DECIMAL_BASE    10
#define S_INSTRUMENTS_MAX 100000

//  One filter object of exchangeInfo, read in any field order.
typedef struct {
    char type[32];  //  filterType
    vb_decimal_t min_price, max_price, tick, min_qty, max_qty, step, min_notional, max_notional;
} s_filter_t;

//  --------------------------------------------------------------------------
//  A raw JSON key equals name.

static bool
s_key (const char *key, size_t length, const char *name)
{
    return strlen (name) == length && memcmp (key, name, length) == 0;
}

//  --------------------------------------------------------------------------
//  Instrument lookups and replacement.

const vb_binance_instrument_t *
vb_binance_exec_instrument (vb_binance_exec_t *self, const char *symbol)
{
    if (!self || !symbol)
        return NULL;
    return (const vb_binance_instrument_t *)zhashx_lookup (self->by_symbol, symbol);
}

const vb_binance_instrument_t *
vb_binance_exec_instrument_normalised (vb_binance_exec_t *self, const char *normalised)
{
    if (!self || !normalised)
        return NULL;
    return (const vb_binance_instrument_t *)zhashx_lookup (self->by_normalised, normalised);
}

int
vb_binance_exec_set_instruments (vb_binance_exec_t *self, vb_binance_instrument_t *instruments,
                                 size_t count)
{
    zhashx_t *by_symbol = zhashx_new ();
    zhashx_t *by_normalised = zhashx_new ();
    if (!by_symbol || !by_normalised) {
        zhashx_destroy (&by_symbol);
        zhashx_destroy (&by_normalised);
        free (instruments);
        return VB_ENOMEM;
    }
    for (size_t index = 0; index < count; index++) {
        //  A symbol listed twice keeps its first rules
        zhashx_insert (by_symbol, instruments[index].symbol, &instruments[index]);
        zhashx_insert (by_normalised, instruments[index].normalised, &instruments[index]);
    }
    zhashx_destroy (&self->by_symbol);
    zhashx_destroy (&self->by_normalised);
    free (self->instruments);
    self->by_symbol = by_symbol;
    self->by_normalised = by_normalised;
    self->instruments = instruments;
    self->instrument_count = count;
    return 0;
}

//  --------------------------------------------------------------------------
//  A client order id the venue takes: [A-Za-z0-9_-]{1,36} (venues.md 6.2).

bool
vb_binance_exec_client_id_valid (const char *id)
{
    if (!id)
        return false;
    size_t length = strlen (id);
    if (length == 0 || length > S_CLIENT_ID_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Exact decimal checks.

//  The decimal without trailing fraction zeros (zero becomes 0e0).
static vb_decimal_t
s_trim (vb_decimal_t value)
{
    if (value.mantissa == 0)
        return (vb_decimal_t){0, 0};
    while (value.exponent < 0 && value.mantissa % S_DECIMAL_BASE == 0) {
        value.mantissa /= S_DECIMAL_BASE;
        value.exponent++;
    }
    return value;
}

//  value at the precision `step` implies (at most 10^0), when it is an exact
//  multiple of step; step must be positive. Returns 0 or VB_EINVAL.
static int
s_on_step (vb_decimal_t value, vb_decimal_t step, vb_decimal_t *out)
{
    step = s_trim (step);
    vb_decimal_t at_step;
    if (vb_decimal_rescale (value, step.exponent, &at_step) || at_step.mantissa % step.mantissa)
        return VB_EINVAL;
    int32_t exponent = step.exponent < 0 ? step.exponent : 0;
    return vb_decimal_rescale (value, exponent, out) ? VB_EINVAL : 0;
}

//  Compare a x b with c, exactly; all positive.
static int
s_product_cmp (vb_decimal_t a, vb_decimal_t b, vb_decimal_t c)
{
    __int128 left = (__int128)a.mantissa * b.mantissa;
    __int128 right = c.mantissa;
    int64_t left_exponent = (int64_t)a.exponent + b.exponent;
    int64_t right_exponent = c.exponent;
    const __int128 limit = (((__int128)1) << 125) / S_DECIMAL_BASE;
    //  Bring the side with the larger exponent down; past the int128 range it is the larger one
    while (left_exponent > right_exponent) {
        if (left > limit)
            return 1;
        left *= S_DECIMAL_BASE;
        left_exponent--;
    }
    while (right_exponent > left_exponent) {
        if (right > limit)
            return -1;
        right *= S_DECIMAL_BASE;
        right_exponent--;
    }
    return left < right ? -1 : left > right ? 1 : 0;
}

static void
s_text (vb_decimal_t value, char *out, size_t size)
{
    if (vb_decimal_format (s_trim (value), out, size) < 0)
        snprintf (out, size, "%" PRId64 "e%" PRId32, value.mantissa, value.exponent);
}

//  --------------------------------------------------------------------------
//  A local rejection: fill the result and return VB_EINVAL.

int
vb_binance_exec_reject (vb_exec_result_t *result, vb_exec_reason_t reason, const char *format, ...)
{
    if (result) {
        memset (result, 0, sizeof (*result));
        result->outcome = VB_EXEC_REJECTED;
        result->reason = reason;
        va_list args;
        va_start (args, format);
        vsnprintf (result->venue_text, sizeof (result->venue_text), format, args);
        va_end (args);
    }
    return VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  Check an order against the instrument's rules. On success price and qty
//  are set at the tick and step precision (price only for LIMIT).

int
vb_binance_exec_check_order (vb_binance_exec_t *self, const vb_exec_order_t *order,
                             const vb_binance_instrument_t **instrument_p, vb_decimal_t *price,
                             vb_decimal_t *qty, vb_exec_result_t *result)
{
    char given[VB_DECIMAL_TEXT_MAX], bound[VB_DECIMAL_TEXT_MAX];
    if (!vb_binance_exec_client_id_valid (order->client_order_id))
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_REQUEST,
                                       "client order id must be 1..%d of [A-Za-z0-9_-]",
                                       S_CLIENT_ID_MAX);
    if (order->side != VB_EXEC_BUY && order->side != VB_EXEC_SELL)
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_REQUEST,
                                       "side %d is not BUY or SELL", (int)order->side);
    if (order->type != VB_EXEC_LIMIT && order->type != VB_EXEC_MARKET)
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_REQUEST,
                                       "order type %d is not supported", (int)order->type);
    if (order->type == VB_EXEC_LIMIT && order->tif != VB_EXEC_GTC && order->tif != VB_EXEC_IOC &&
        order->tif != VB_EXEC_FOK)
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_REQUEST,
                                       "time in force %d is not supported", (int)order->tif);
    if (order->post_only && (order->type != VB_EXEC_LIMIT || order->tif != VB_EXEC_GTC))
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_REQUEST,
                                       "post-only needs a LIMIT GTC order (sent as LIMIT_MAKER)");
    const vb_binance_instrument_t *instrument =
        vb_binance_exec_instrument_normalised (self, order->symbol);
    if (!instrument)
        return vb_binance_exec_reject (result, VB_EXEC_REASON_UNKNOWN_SYMBOL,
                                       "unknown symbol %.40s (not in the loaded exchangeInfo)",
                                       order->symbol ? order->symbol : "(null)");
    if (strcmp (instrument->status, S_STATUS_TRADING) != 0)
        return vb_binance_exec_reject (result, VB_EXEC_REASON_OTHER, "symbol %s is %s, not TRADING",
                                       instrument->symbol, instrument->status);
    if (!instrument->has_price_filter || !instrument->has_lot_size ||
        instrument->tick.mantissa <= 0 || instrument->step.mantissa <= 0)
        return vb_binance_exec_reject (result, VB_EXEC_REASON_OTHER,
                                       "symbol %s has no tick or step size in exchangeInfo",
                                       instrument->symbol);

    //  Quantity: LOT_SIZE, then MARKET_LOT_SIZE for market orders
    s_text (order->qty, given, sizeof (given));
    if (order->qty.mantissa <= 0)
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_QTY,
                                       "quantity %s is not positive", given);
    if (s_on_step (order->qty, instrument->step, qty)) {
        s_text (instrument->step, bound, sizeof (bound));
        return vb_binance_exec_reject (
            result, VB_EXEC_REASON_INVALID_QTY,
            "quantity %s is not a multiple of the step size %s (LOT_SIZE)", given, bound);
    }
    if (instrument->min_qty.mantissa > 0 && vb_decimal_cmp (*qty, instrument->min_qty) < 0) {
        s_text (instrument->min_qty, bound, sizeof (bound));
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_QTY,
                                       "quantity %s is below the minimum %s (LOT_SIZE)", given,
                                       bound);
    }
    if (instrument->max_qty.mantissa > 0 && vb_decimal_cmp (*qty, instrument->max_qty) > 0) {
        s_text (instrument->max_qty, bound, sizeof (bound));
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_QTY,
                                       "quantity %s is above the maximum %s (LOT_SIZE)", given,
                                       bound);
    }
    if (order->type == VB_EXEC_MARKET) {
        vb_decimal_t ignored;
        if (instrument->market_step.mantissa > 0 &&
            s_on_step (order->qty, instrument->market_step, &ignored)) {
            s_text (instrument->market_step, bound, sizeof (bound));
            return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_QTY,
                                           "quantity %s is not a multiple of %s (MARKET_LOT_SIZE)",
                                           given, bound);
        }
        if (instrument->market_min_qty.mantissa > 0 &&
            vb_decimal_cmp (*qty, instrument->market_min_qty) < 0) {
            s_text (instrument->market_min_qty, bound, sizeof (bound));
            return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_QTY,
                                           "quantity %s is below the minimum %s (MARKET_LOT_SIZE)",
                                           given, bound);
        }
        if (instrument->market_max_qty.mantissa > 0 &&
            vb_decimal_cmp (*qty, instrument->market_max_qty) > 0) {
            s_text (instrument->market_max_qty, bound, sizeof (bound));
            return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_QTY,
                                           "quantity %s is above the maximum %s (MARKET_LOT_SIZE)",
                                           given, bound);
        }
        *instrument_p = instrument;
        return 0;
    }

    //  Price: PRICE_FILTER, then the notional
    s_text (order->price, given, sizeof (given));
    if (order->price.mantissa <= 0)
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_PRICE,
                                       "price %s is not positive", given);
    if (s_on_step (order->price, instrument->tick, price)) {
        s_text (instrument->tick, bound, sizeof (bound));
        return vb_binance_exec_reject (
            result, VB_EXEC_REASON_INVALID_PRICE,
            "price %s is not a multiple of the tick size %s (PRICE_FILTER)", given, bound);
    }
    if (instrument->min_price.mantissa > 0 && vb_decimal_cmp (*price, instrument->min_price) < 0) {
        s_text (instrument->min_price, bound, sizeof (bound));
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_PRICE,
                                       "price %s is below the minimum %s (PRICE_FILTER)", given,
                                       bound);
    }
    if (instrument->max_price.mantissa > 0 && vb_decimal_cmp (*price, instrument->max_price) > 0) {
        s_text (instrument->max_price, bound, sizeof (bound));
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_PRICE,
                                       "price %s is above the maximum %s (PRICE_FILTER)", given,
                                       bound);
    }
    if (instrument->min_notional.mantissa > 0 &&
        s_product_cmp (*price, *qty, instrument->min_notional) < 0) {
        char quantity[VB_DECIMAL_TEXT_MAX];
        s_text (*qty, quantity, sizeof (quantity));
        s_text (instrument->min_notional, bound, sizeof (bound));
        return vb_binance_exec_reject (result, VB_EXEC_REASON_MIN_NOTIONAL,
                                       "notional %s x %s is below the minimum %s (NOTIONAL)", given,
                                       quantity, bound);
    }
    if (instrument->max_notional.mantissa > 0 &&
        s_product_cmp (*price, *qty, instrument->max_notional) > 0) {
        char quantity[VB_DECIMAL_TEXT_MAX];
        s_text (*qty, quantity, sizeof (quantity));
        s_text (instrument->max_notional, bound, sizeof (bound));
        return vb_binance_exec_reject (result, VB_EXEC_REASON_INVALID_QTY,
                                       "notional %s x %s is above the maximum %s (NOTIONAL)", given,
                                       quantity, bound);
    }
    *instrument_p = instrument;
    return 0;
}

//  --------------------------------------------------------------------------
//  exchangeInfo -> instrument rules.

static int
s_filter (vb_json_val_t *object, vb_binance_instrument_t *instrument)
{
    s_filter_t filter;
    memset (&filter, 0, sizeof (filter));
    static const struct {
        const char *name;
        size_t offset;
    } s_fields[] = {
        {"minPrice", offsetof (s_filter_t, min_price)},
        {"maxPrice", offsetof (s_filter_t, max_price)},
        {"tickSize", offsetof (s_filter_t, tick)},
        {"minQty", offsetof (s_filter_t, min_qty)},
        {"maxQty", offsetof (s_filter_t, max_qty)},
        {"stepSize", offsetof (s_filter_t, step)},
        {"minNotional", offsetof (s_filter_t, min_notional)},
        {"maxNotional", offsetof (s_filter_t, max_notional)},
    };
    vb_json_iter_t fields;
    int rc = vb_json_object_begin (object, &fields);
    if (rc)
        return rc;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (s_key (key, key_length, "filterType")) {
            if ((rc = vb_binance_exec_string (&value, filter.type, sizeof (filter.type))))
                return rc == VB_ETRUNC ? 0 : rc;  //  A long unknown type: not one we use
            continue;
        }
        for (size_t index = 0; index < sizeof (s_fields) / sizeof (s_fields[0]); index++)
            if (s_key (key, key_length, s_fields[index].name)) {
                vb_decimal_t *target = (vb_decimal_t *)((char *)&filter + s_fields[index].offset);
                if ((rc = vb_json_decimal (&value, target)))
                    return rc;
                if (vb_decimal_is_negative (*target))
                    return VB_EINVAL;
            }
    }
    if (rc < 0)
        return rc;
    if (strcmp (filter.type, "PRICE_FILTER") == 0) {
        instrument->min_price = filter.min_price;
        instrument->max_price = filter.max_price;
        instrument->tick = filter.tick;
        instrument->has_price_filter = true;
    } else if (strcmp (filter.type, "LOT_SIZE") == 0) {
        instrument->min_qty = filter.min_qty;
        instrument->max_qty = filter.max_qty;
        instrument->step = filter.step;
        instrument->has_lot_size = true;
    } else if (strcmp (filter.type, "MARKET_LOT_SIZE") == 0) {
        instrument->market_min_qty = filter.min_qty;
        instrument->market_max_qty = filter.max_qty;
        instrument->market_step = filter.step;
    } else if (strcmp (filter.type, "NOTIONAL") == 0) {
        instrument->min_notional = filter.min_notional;
        instrument->max_notional = filter.max_notional;
    } else if (strcmp (filter.type, "MIN_NOTIONAL") == 0 && instrument->min_notional.mantissa == 0)
        instrument->min_notional = filter.min_notional;
    return 0;
}

static int
s_symbol (vb_json_val_t *object, vb_binance_instrument_t *instrument)
{
    memset (instrument, 0, sizeof (*instrument));
    char base[VB_BINANCE_SYMBOL_MAX] = "", quote[VB_BINANCE_SYMBOL_MAX] = "";
    vb_json_iter_t fields;
    int rc = vb_json_object_begin (object, &fields);
    if (rc)
        return rc;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (s_key (key, key_length, "symbol"))
            rc = vb_binance_exec_string (&value, instrument->symbol, sizeof (instrument->symbol));
        else if (s_key (key, key_length, "status"))
            rc = vb_binance_exec_string (&value, instrument->status, sizeof (instrument->status));
        else if (s_key (key, key_length, "baseAsset"))
            rc = vb_binance_exec_string (&value, base, sizeof (base));
        else if (s_key (key, key_length, "quoteAsset"))
            rc = vb_binance_exec_string (&value, quote, sizeof (quote));
        else if (s_key (key, key_length, "filters")) {
            vb_json_iter_t filters;
            vb_json_val_t filter;
            if ((rc = vb_json_array_begin (&value, &filters)))
                return rc;
            while ((rc = vb_json_array_next (&filters, &filter)) == 1)
                if ((rc = s_filter (&filter, instrument)))
                    return rc;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    if (!instrument->symbol[0] || !base[0] || !quote[0] || !instrument->status[0])
        return VB_EINVAL;
    int length =
        snprintf (instrument->normalised, sizeof (instrument->normalised), "%s-%s", base, quote);
    if (length < 0 || (size_t)length >= sizeof (instrument->normalised))
        return VB_ETRUNC;
    return 0;
}

int
vb_binance_exec_load_instruments (vb_binance_exec_t *self, vb_json_val_t *root)
{
    vb_json_val_t symbols, element;
    int rc = vb_json_find (root, "symbols", &symbols);
    vb_json_iter_t iter;
    if (rc || (rc = vb_json_array_begin (&symbols, &iter)))
        return rc;
    vb_binance_instrument_t *instruments = NULL;
    size_t count = 0, capacity = 0;
    while ((rc = vb_json_array_next (&iter, &element)) == 1) {
        if (count == capacity) {
            if (capacity == S_INSTRUMENTS_MAX) {
                rc = VB_ELIMIT;
                break;
            }
            size_t grown = capacity ? capacity * 2 : 64;
            if (grown > S_INSTRUMENTS_MAX)
                grown = S_INSTRUMENTS_MAX;
            vb_binance_instrument_t *bigger =
                (vb_binance_instrument_t *)realloc (instruments, grown * sizeof (*instruments));
            if (!bigger) {
                rc = VB_ENOMEM;
                break;
            }
            instruments = bigger;
            capacity = grown;
        }
        if ((rc = s_symbol (&element, &instruments[count])))
            break;
        count++;
    }
    if (rc < 0) {
        free (instruments);
        return rc;
    }
    return vb_binance_exec_set_instruments (self, instruments, count);
}
