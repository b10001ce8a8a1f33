/*  symbols.c — Kraken pair and asset names <-> normalised BASE-QUOTE names.

    Table-driven only (venues.md 3.9); see symbols.h. The spellings are those
    of Kraken's REST AssetPairs and Assets and its WS v2 instrument channel.
    SPDX-License-Identifier: MPL-2.0
*/
#include <string.h>
#include "vb_error.h"
#include "symbols.h"

//  Assets: REST code, altname, normalised name, decimals, display decimals.
static const vb_kraken_asset_t s_assets[] = {
    {"XXBT", "XBT", "BTC", 10, 5}, {"XETH", "ETH", "ETH", 10, 5},  {"ZUSD", "USD", "USD", 4, 2},
    {"ZEUR", "EUR", "EUR", 4, 2},  {"USDT", "USDT", "USDT", 8, 4}, {"XXRP", "XRP", "XRP", 8, 5},
    {"XXDG", "XDG", "DOGE", 8, 2}, {"SOL", "SOL", "SOL", 10, 5},   {"ADA", "ADA", "ADA", 8, 6},
    {"CHF", "CHF", "CHF", 4, 2},   {"XXMR", "XMR", "XMR", 10, 5},
};

//  Pairs: normalised, REST key, altname, wsname (v1), v2 symbol, base, quote.
static const vb_kraken_pair_t s_pairs[] = {
    {"BTC-USD", "XXBTZUSD", "XBTUSD", "XBT/USD", "BTC/USD", "XXBT", "ZUSD"},
    {"ETH-USD", "XETHZUSD", "ETHUSD", "ETH/USD", "ETH/USD", "XETH", "ZUSD"},
    {"BTC-EUR", "XXBTZEUR", "XBTEUR", "XBT/EUR", "BTC/EUR", "XXBT", "ZEUR"},
    {"ETH-EUR", "XETHZEUR", "ETHEUR", "ETH/EUR", "ETH/EUR", "XETH", "ZEUR"},
    {"BTC-USDT", "XBTUSDT", "XBTUSDT", "XBT/USDT", "BTC/USDT", "XXBT", "USDT"},
    {"ETH-USDT", "ETHUSDT", "ETHUSDT", "ETH/USDT", "ETH/USDT", "XETH", "USDT"},
    {"ETH-BTC", "XETHXXBT", "ETHXBT", "ETH/XBT", "ETH/BTC", "XETH", "XXBT"},
    {"XRP-USD", "XXRPZUSD", "XRPUSD", "XRP/USD", "XRP/USD", "XXRP", "ZUSD"},
    {"DOGE-USD", "XDGUSD", "XDGUSD", "XDG/USD", "DOGE/USD", "XXDG", "ZUSD"},
    {"SOL-USD", "SOLUSD", "SOLUSD", "SOL/USD", "SOL/USD", "SOL", "ZUSD"},
    {"ADA-BTC", "ADAXBT", "ADAXBT", "ADA/XBT", "ADA/BTC", "ADA", "XXBT"},
    {"BTC-CHF", "XBTCHF", "XBTCHF", "XBT/CHF", "BTC/CHF", "XXBT", "CHF"},
    {"XMR-USD", "XXMRZUSD", "XMRUSD", "XMR/USD", "XMR/USD", "XXMR", "ZUSD"},
};

#define S_ASSET_COUNT (sizeof (s_assets) / sizeof (s_assets[0]))
#define S_PAIR_COUNT  (sizeof (s_pairs) / sizeof (s_pairs[0]))

//  --------------------------------------------------------------------------
//  Number of pairs and one by index.

size_t
vb_kraken_pair_count (void)
{
    return S_PAIR_COUNT;
}

const vb_kraken_pair_t *
vb_kraken_pair_at (size_t index)
{
    return index < S_PAIR_COUNT ? &s_pairs[index] : NULL;
}

//  --------------------------------------------------------------------------
//  A pair by REST key, altname or wsname.

const vb_kraken_pair_t *
vb_kraken_pair_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t index = 0; index < S_PAIR_COUNT; index++) {
        const vb_kraken_pair_t *pair = &s_pairs[index];
        if (strcmp (pair->key, name) == 0 || strcmp (pair->altname, name) == 0 ||
            strcmp (pair->wsname, name) == 0)
            return pair;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  A pair by WS v2 symbol.

const vb_kraken_pair_t *
vb_kraken_pair_find_ws (const char *ws_symbol, size_t length)
{
    if (!ws_symbol)
        return NULL;
    for (size_t index = 0; index < S_PAIR_COUNT; index++) {
        const vb_kraken_pair_t *pair = &s_pairs[index];
        if (strlen (pair->ws_symbol) == length && memcmp (pair->ws_symbol, ws_symbol, length) == 0)
            return pair;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  A pair by normalised symbol.

const vb_kraken_pair_t *
vb_kraken_pair_find_normalised (const char *symbol)
{
    if (!symbol)
        return NULL;
    for (size_t index = 0; index < S_PAIR_COUNT; index++)
        if (strcmp (s_pairs[index].symbol, symbol) == 0)
            return &s_pairs[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Number of assets and one by index.

size_t
vb_kraken_asset_count (void)
{
    return S_ASSET_COUNT;
}

const vb_kraken_asset_t *
vb_kraken_asset_at (size_t index)
{
    return index < S_ASSET_COUNT ? &s_assets[index] : NULL;
}

//  --------------------------------------------------------------------------
//  An asset by REST code or altname.

const vb_kraken_asset_t *
vb_kraken_asset_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t index = 0; index < S_ASSET_COUNT; index++)
        if (strcmp (s_assets[index].code, name) == 0 || strcmp (s_assets[index].altname, name) == 0)
            return &s_assets[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  An asset by normalised name.

const vb_kraken_asset_t *
vb_kraken_asset_find_normalised (const char *normalised)
{
    if (!normalised)
        return NULL;
    for (size_t index = 0; index < S_ASSET_COUNT; index++)
        if (strcmp (s_assets[index].normalised, normalised) == 0)
            return &s_assets[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Copy text into out, or VB_ETRUNC.

static int
s_copy (const char *text, char *out, size_t out_size)
{
    size_t length = strlen (text);
    if (length + 1 > out_size) {
        if (out_size > 0)
            out[0] = 0;
        return VB_ETRUNC;
    }
    memcpy (out, text, length + 1);
    return (int)length;
}

//  --------------------------------------------------------------------------
//  Any spelling of a pair -> BASE-QUOTE.

int
vb_kraken_symbol_normalise (const char *name, char *out, size_t out_size)
{
    if (!name || !out)
        return VB_EINVAL;
    const vb_kraken_pair_t *pair = vb_kraken_pair_find (name);
    if (!pair)
        pair = vb_kraken_pair_find_ws (name, strlen (name));
    if (!pair) {
        if (out_size > 0)
            out[0] = 0;
        return VB_ENOTFOUND;
    }
    return s_copy (pair->symbol, out, out_size);
}

//  --------------------------------------------------------------------------
//  An asset code or altname -> normalised asset.

int
vb_kraken_asset_normalise (const char *name, char *out, size_t out_size)
{
    if (!name || !out)
        return VB_EINVAL;
    const vb_kraken_asset_t *asset = vb_kraken_asset_find (name);
    if (!asset) {
        if (out_size > 0)
            out[0] = 0;
        return VB_ENOTFOUND;
    }
    return s_copy (asset->normalised, out, out_size);
}
