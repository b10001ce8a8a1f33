/*  test_binance_symbols.c — Binance symbol <-> BASE-QUOTE, table-driven.

    Expected pairs are Binance's published listings (exchangeInfo baseAsset /
    quoteAsset; venues.md 1.9 and DESIGN.md 3 for BTCUSDT / ETHUSDT).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <string.h>
#include "vb_error.h"
#include "../binance/symbols.h"

Test (binance_symbols, maps_btcusdt_both_ways_and_to_its_stream_name)
{
    char text[32];
    cr_assert_eq (vb_binance_symbol_normalise ("BTCUSDT", text, sizeof (text)), 8);
    cr_assert_str_eq (text, "BTC-USDT");
    cr_assert_eq (vb_binance_symbol_venue ("BTC-USDT", text, sizeof (text)), 7);
    cr_assert_str_eq (text, "BTCUSDT");
    cr_assert_eq (vb_binance_symbol_stream ("BTC-USDT", text, sizeof (text)), 7);
    cr_assert_str_eq (text, "btcusdt");
}

Test (binance_symbols, uses_the_table_not_string_rules)
{
    //  USDCUSDT must not split as USD-CUSDT, nor ETHBTC as ETHB-TC.
    char text[32];
    cr_assert_eq (vb_binance_symbol_normalise ("USDCUSDT", text, sizeof (text)), 9);
    cr_assert_str_eq (text, "USDC-USDT");
    cr_assert_eq (vb_binance_symbol_normalise ("ETHBTC", text, sizeof (text)), 7);
    cr_assert_str_eq (text, "ETH-BTC");
    cr_assert_eq (vb_binance_symbol_normalise ("ETHUSDT", text, sizeof (text)), 8);
    cr_assert_str_eq (text, "ETH-USDT");
}

Test (binance_symbols, refuses_unlisted_or_wrong_case_symbols)
{
    char text[32];
    cr_assert_eq (vb_binance_symbol_normalise ("FOOBAR", text, sizeof (text)), VB_ENOTFOUND);
    cr_assert_eq (vb_binance_symbol_normalise ("btcusdt", text, sizeof (text)), VB_ENOTFOUND);
    cr_assert_eq (vb_binance_symbol_venue ("BTCUSDT", text, sizeof (text)), VB_ENOTFOUND);
    cr_assert_eq (vb_binance_symbol_venue ("BTC-", text, sizeof (text)), VB_ENOTFOUND);
    cr_assert_eq (vb_binance_symbol_venue (NULL, text, sizeof (text)), VB_EINVAL);
    cr_assert_eq (vb_binance_symbol_normalise ("BTCUSDT", text, 4), VB_ETRUNC);
}

Test (binance_symbols, finds_listings_by_stream_symbol)
{
    const vb_binance_symbol_t *entry = vb_binance_symbol_find_stream ("ethusdt", 7);
    cr_assert_not_null (entry);
    cr_assert_str_eq (entry->symbol, "ETHUSDT");
    cr_assert_null (vb_binance_symbol_find_stream ("ETHUSDT", 7));
    cr_assert_null (vb_binance_symbol_find_stream ("ethusd", 6));
    cr_assert_gt (vb_binance_symbol_count (), 1);
    cr_assert_null (vb_binance_symbol_at (vb_binance_symbol_count ()));
}
