/*  symbols.h — Binance symbol names <-> normalised BASE-QUOTE names.

    Binance symbols are concatenated upper case (BTCUSDT) and cannot be split
    by string rules (venues.md 1.9), so every mapping comes from a table of
    (venue symbol, base asset, quote asset), the same triple exchangeInfo
    publishes. Stream names use the lower-case symbol (btcusdt@trade).
    The table is static: the listings the simulator serves and the router and
    gateway accept. Lookups are exact and case-sensitive except where noted.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_BINANCE_SYMBOLS_H_INCLUDED
#define VB_BINANCE_SYMBOLS_H_INCLUDED

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

//  One listing: the venue's symbol and its assets.
typedef struct {
    const char *symbol;  //  Venue symbol, e.g. "BTCUSDT"
    const char *base;    //  Base asset, e.g. "BTC"
    const char *quote;   //  Quote asset, e.g. "USDT"
} vb_binance_symbol_t;

//  Number of listings in the table, and one by index (NULL past the end).
size_t vb_binance_symbol_count (void);
const vb_binance_symbol_t *vb_binance_symbol_at (size_t index);

//  The listing for a venue symbol ("BTCUSDT"), or NULL.
const vb_binance_symbol_t *vb_binance_symbol_find (const char *symbol);

//  The listing for a normalised symbol ("BTC-USDT"), or NULL.
const vb_binance_symbol_t *vb_binance_symbol_find_normalised (const char *normalised);

//  The listing for a stream symbol ("btcusdt", exactly `length` bytes, lower
//  case as streams use it), or NULL.
const vb_binance_symbol_t *vb_binance_symbol_find_stream (const char *stream_symbol, size_t length);

//  Venue symbol -> "BASE-QUOTE" into out. Returns the length, VB_ENOTFOUND
//  for an unlisted symbol, VB_EINVAL for NULL arguments, or VB_ETRUNC.
int vb_binance_symbol_normalise (const char *symbol, char *out, size_t out_size);

//  "BASE-QUOTE" -> venue symbol into out. Returns as vb_binance_symbol_normalise.
int vb_binance_symbol_venue (const char *normalised, char *out, size_t out_size);

//  "BASE-QUOTE" -> lower-case stream symbol ("btcusdt"). Returns as above.
int vb_binance_symbol_stream (const char *normalised, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif
