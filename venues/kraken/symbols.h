/*  symbols.h — Kraken pair and asset names <-> normalised BASE-QUOTE names.

    Kraken spells one pair four ways (venues.md 3.9): the REST result key
    (XXBTZUSD), the altname (XBTUSD), the WS v1 wsname (XBT/USD) and the WS
    v2 symbol (BTC/USD); and an asset two ways, its REST code (XXBT, ZUSD)
    and its altname (XBT, USD). Classic codes drop an X/Z prefix but modern
    codes that start with X or Z (XRP altname, ZEC) are real names, so every
    mapping comes from a table, never from stripping strings. The tables are
    static: the listings the simulator serves and the router and gateway
    accept. Lookups are exact and case-sensitive.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_KRAKEN_SYMBOLS_H_INCLUDED
#define VB_KRAKEN_SYMBOLS_H_INCLUDED

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

//  One asset, as REST Assets publishes it.
typedef struct {
    const char *code;        //  REST asset code (Balance keys), e.g. "XXBT"
    const char *altname;     //  Alternative name, e.g. "XBT"
    const char *normalised;  //  Normalised asset, e.g. "BTC"
    int decimals;            //  Scaling decimals of balances (Assets "decimals")
    int display_decimals;    //  Decimals shown (Assets "display_decimals")
} vb_kraken_asset_t;

//  One pair, in every spelling.
typedef struct {
    const char *symbol;     //  Normalised BASE-QUOTE, e.g. "BTC-USD"
    const char *key;        //  REST result key, e.g. "XXBTZUSD"
    const char *altname;    //  REST altname, e.g. "XBTUSD"
    const char *wsname;     //  WS v1 name, e.g. "XBT/USD"
    const char *ws_symbol;  //  WS v2 symbol, e.g. "BTC/USD"
    const char *base;       //  Base asset code, e.g. "XXBT"
    const char *quote;      //  Quote asset code, e.g. "ZUSD"
} vb_kraken_pair_t;

//  Number of pairs in the table, and one by index (NULL past the end).
size_t vb_kraken_pair_count (void);
const vb_kraken_pair_t *vb_kraken_pair_at (size_t index);

//  A pair by a REST spelling: result key, altname or wsname (what the REST
//  `pair` parameter accepts), or NULL.
const vb_kraken_pair_t *vb_kraken_pair_find (const char *name);

//  A pair by WS v2 symbol ("BTC/USD", exactly `length` bytes), or NULL.
//  "XBT/USD" is not a v2 symbol.
const vb_kraken_pair_t *vb_kraken_pair_find_ws (const char *ws_symbol, size_t length);

//  A pair by normalised symbol ("BTC-USD"), or NULL.
const vb_kraken_pair_t *vb_kraken_pair_find_normalised (const char *symbol);

//  Number of assets in the table, and one by index (NULL past the end).
size_t vb_kraken_asset_count (void);
const vb_kraken_asset_t *vb_kraken_asset_at (size_t index);

//  An asset by REST code ("XXBT") or altname ("XBT"), or NULL.
const vb_kraken_asset_t *vb_kraken_asset_find (const char *name);

//  An asset by normalised name ("BTC"), or NULL.
const vb_kraken_asset_t *vb_kraken_asset_find_normalised (const char *normalised);

//  Any REST or WS spelling of a pair -> "BASE-QUOTE" into out. Returns the
//  length, VB_ENOTFOUND for an unlisted name, VB_EINVAL for NULL arguments,
//  or VB_ETRUNC when out is too small (out is then "" if out_size > 0).
int vb_kraken_symbol_normalise (const char *name, char *out, size_t out_size);

//  An asset code or altname -> normalised asset into out. Returns as
//  vb_kraken_symbol_normalise.
int vb_kraken_asset_normalise (const char *name, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
