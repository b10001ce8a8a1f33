/*  symbols.c — Binance symbol names <-> normalised BASE-QUOTE names.

    Table-driven only (venues.md 1.9); see symbols.h.
    SPDX-License-Identifier: MPL-2.0
*/
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "vb_error.h"
#include "symbols.h"

//  The listings: venue symbol, base asset, quote asset (as exchangeInfo has them).
static const vb_binance_symbol_t s_symbols[] = {
    {"BTCUSDT", "BTC", "USDT"}, {"ETHUSDT", "ETH", "USDT"},   {"BNBUSDT", "BNB", "USDT"},
    {"SOLUSDT", "SOL", "USDT"}, {"XRPUSDT", "XRP", "USDT"},   {"ETHBTC", "ETH", "BTC"},
    {"BNBBTC", "BNB", "BTC"},   {"LTCBTC", "LTC", "BTC"},     {"BTCUSDC", "BTC", "USDC"},
    {"ETHUSDC", "ETH", "USDC"}, {"USDCUSDT", "USDC", "USDT"}, {"NKNUSDT", "NKN", "USDT"},
    {"BLZETH", "BLZ", "ETH"},   {"LRCBTC", "LRC", "BTC"},     {"RUNEEUR", "RUNE", "EUR"},
};

#define S_SYMBOL_COUNT (sizeof (s_symbols) / sizeof (s_symbols[0]))

//  --------------------------------------------------------------------------
//  Number of listings and one by index.

size_t
vb_binance_symbol_count (void)
{
    return S_SYMBOL_COUNT;
}

const vb_binance_symbol_t *
vb_binance_symbol_at (size_t index)
{
    return index < S_SYMBOL_COUNT ? &s_symbols[index] : NULL;
}

//  --------------------------------------------------------------------------
//  The listing for a venue symbol.

const vb_binance_symbol_t *
vb_binance_symbol_find (const char *symbol)
{
    if (!symbol)
        return NULL;
    for (size_t index = 0; index < S_SYMBOL_COUNT; index++)
        if (strcmp (s_symbols[index].symbol, symbol) == 0)
            return &s_symbols[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  The listing for a normalised BASE-QUOTE symbol.

const vb_binance_symbol_t *
vb_binance_symbol_find_normalised (const char *normalised)
{
    if (!normalised)
        return NULL;
    const char *dash = strchr (normalised, '-');
    if (!dash)
        return NULL;
    size_t base_length = (size_t)(dash - normalised);
    for (size_t index = 0; index < S_SYMBOL_COUNT; index++) {
        const vb_binance_symbol_t *entry = &s_symbols[index];
        if (strlen (entry->base) == base_length &&
            memcmp (entry->base, normalised, base_length) == 0 &&
            strcmp (entry->quote, dash + 1) == 0)
            return entry;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  The listing for a lower-case stream symbol.

const vb_binance_symbol_t *
vb_binance_symbol_find_stream (const char *stream_symbol, size_t length)
{
    if (!stream_symbol)
        return NULL;
    for (size_t index = 0; index < S_SYMBOL_COUNT; index++) {
        const char *symbol = s_symbols[index].symbol;
        if (strlen (symbol) != length)
            continue;
        size_t at = 0;
        while (at < length && stream_symbol[at] == (char)tolower ((unsigned char)symbol[at]))
            at++;
        if (at == length)
            return &s_symbols[index];
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Write text into out; returns its length or VB_ETRUNC.

static int
s_write (char *out, size_t out_size, const char *first, const char *separator, const char *second)
{
    int length = snprintf (out, out_size, "%s%s%s", first, separator, second);
    if (length < 0 || (size_t)length >= out_size) {
        if (out_size)
            out[0] = 0;
        return VB_ETRUNC;
    }
    return length;
}

//  --------------------------------------------------------------------------
//  Venue symbol -> BASE-QUOTE.

int
vb_binance_symbol_normalise (const char *symbol, char *out, size_t out_size)
{
    if (!symbol || !out)
        return VB_EINVAL;
    const vb_binance_symbol_t *entry = vb_binance_symbol_find (symbol);
    if (!entry)
        return VB_ENOTFOUND;
    return s_write (out, out_size, entry->base, "-", entry->quote);
}

//  --------------------------------------------------------------------------
//  BASE-QUOTE -> venue symbol.

int
vb_binance_symbol_venue (const char *normalised, char *out, size_t out_size)
{
    if (!normalised || !out)
        return VB_EINVAL;
    const vb_binance_symbol_t *entry = vb_binance_symbol_find_normalised (normalised);
    if (!entry)
        return VB_ENOTFOUND;
    return s_write (out, out_size, entry->symbol, "", "");
}

//  --------------------------------------------------------------------------
//  BASE-QUOTE -> lower-case stream symbol.

int
vb_binance_symbol_stream (const char *normalised, char *out, size_t out_size)
{
    int length = vb_binance_symbol_venue (normalised, out, out_size);
    for (int index = 0; index < length; index++)
        out[index] = (char)tolower ((unsigned char)out[index]);
    return length;
}
