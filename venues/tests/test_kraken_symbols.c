/*  test_kraken_symbols.c — Kraken pair and asset spellings <-> BASE-QUOTE.

    Expected spellings come from venues.md 3.9 (XXBTZUSD / XBTUSD / XBT/USD
    on REST and WS v1, BTC/USD on WS v2; XXBT and XBT -> BTC, XETH -> ETH,
    ZUSD -> USD, XXDG / XDG -> DOGE; XRP is a real name, not a stripped one)
    and from the real AssetPairs capture in fixtures/real/kraken/nautilus
    (XBTUSDT: altname XBTUSDT, wsname XBT/USDT, base XXBT, quote USDT).
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <string.h>
#include "vb_error.h"
#include "../kraken/symbols.h"

Test (kraken_symbols, maps_every_spelling_of_bitcoin_dollar_to_one_name)
{
    char symbol[16];
    const char *names[] = {"XXBTZUSD", "XBTUSD", "XBT/USD", "BTC/USD"};
    for (size_t index = 0; index < sizeof (names) / sizeof (names[0]); index++) {
        cr_assert_eq (vb_kraken_symbol_normalise (names[index], symbol, sizeof (symbol)), 7);
        cr_assert_str_eq (symbol, "BTC-USD");
    }
    const vb_kraken_pair_t *pair = vb_kraken_pair_find_normalised ("BTC-USD");
    cr_assert_not_null (pair);
    cr_assert_str_eq (pair->key, "XXBTZUSD");
    cr_assert_str_eq (pair->altname, "XBTUSD");
    cr_assert_str_eq (pair->wsname, "XBT/USD");
    cr_assert_str_eq (pair->ws_symbol, "BTC/USD");
    cr_assert_str_eq (pair->base, "XXBT");
    cr_assert_str_eq (pair->quote, "ZUSD");
}

Test (kraken_symbols, lists_ether_dollar)
{
    const vb_kraken_pair_t *pair = vb_kraken_pair_find ("ETHUSD");
    cr_assert_not_null (pair);
    cr_assert_str_eq (pair->symbol, "ETH-USD");
    cr_assert_str_eq (pair->key, "XETHZUSD");
    cr_assert_eq (vb_kraken_pair_find ("XETHZUSD"), pair);
    cr_assert_eq (vb_kraken_pair_find ("ETH/USD"), pair);
    cr_assert_eq (vb_kraken_pair_find_ws ("ETH/USD", 7), pair);
}

Test (kraken_symbols, matches_the_real_asset_pairs_capture)
{
    const vb_kraken_pair_t *pair = vb_kraken_pair_find ("XBTUSDT");
    cr_assert_not_null (pair);
    cr_assert_str_eq (pair->wsname, "XBT/USDT");
    cr_assert_str_eq (pair->base, "XXBT");
    cr_assert_str_eq (pair->quote, "USDT");
    cr_assert_str_eq (pair->symbol, "BTC-USDT");
}

Test (kraken_symbols, keeps_v1_and_v2_names_apart)
{
    //  WS v2 answers "Currency pair not supported XBT/USD": XBT is not v2.
    cr_assert_null (vb_kraken_pair_find_ws ("XBT/USD", 7));
    //  REST's pair parameter does not take the v2 spelling with BTC.
    cr_assert_null (vb_kraken_pair_find ("BTC/USD"));
    //  Lengths are exact: a prefix is not a match.
    cr_assert_null (vb_kraken_pair_find_ws ("BTC/USDT", 7 - 1));
    cr_assert_not_null (vb_kraken_pair_find_ws ("BTC/USDT", 8));
}

Test (kraken_symbols, maps_legacy_asset_codes_from_the_table)
{
    char asset[8];
    struct {
        const char *name;
        const char *normalised;
    } cases[] = {{"XXBT", "BTC"}, {"XBT", "BTC"},   {"XETH", "ETH"}, {"ZUSD", "USD"},
                 {"ZEUR", "EUR"}, {"XXDG", "DOGE"}, {"XDG", "DOGE"}, {"XRP", "XRP"},
                 {"XXRP", "XRP"}, {"USDT", "USDT"}, {"ETH", "ETH"}};
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases[0]); index++) {
        cr_assert_gt (vb_kraken_asset_normalise (cases[index].name, asset, sizeof (asset)), 0, "%s",
                      cases[index].name);
        cr_assert_str_eq (asset, cases[index].normalised, "%s", cases[index].name);
    }
    const vb_kraken_asset_t *bitcoin = vb_kraken_asset_find_normalised ("BTC");
    cr_assert_not_null (bitcoin);
    cr_assert_str_eq (bitcoin->code, "XXBT");
    cr_assert_str_eq (vb_kraken_asset_find_normalised ("USD")->code, "ZUSD");
}

Test (kraken_symbols, refuses_unlisted_names_and_small_buffers)
{
    char out[8] = "x";
    cr_assert_eq (vb_kraken_symbol_normalise ("BTCUSD", out, sizeof (out)), VB_ENOTFOUND);
    cr_assert_str_eq (out, "");
    cr_assert_eq (vb_kraken_symbol_normalise ("xbtusd", out, sizeof (out)), VB_ENOTFOUND);
    cr_assert_eq (vb_kraken_asset_normalise ("BTC", out, sizeof (out)), VB_ENOTFOUND);
    cr_assert_eq (vb_kraken_asset_normalise ("XBTC", out, sizeof (out)), VB_ENOTFOUND);
    cr_assert_eq (vb_kraken_symbol_normalise ("XBTUSD", out, 7), VB_ETRUNC);
    cr_assert_str_eq (out, "");
    cr_assert_eq (vb_kraken_symbol_normalise (NULL, out, sizeof (out)), VB_EINVAL);
    cr_assert_null (vb_kraken_pair_find (NULL));
    cr_assert_null (vb_kraken_pair_at (vb_kraken_pair_count ()));
    cr_assert_null (vb_kraken_asset_at (vb_kraken_asset_count ()));
}

Test (kraken_symbols, has_unique_spellings_across_the_table)
{
    size_t count = vb_kraken_pair_count ();
    for (size_t one = 0; one < count; one++) {
        const vb_kraken_pair_t *pair = vb_kraken_pair_at (one);
        cr_assert_not_null (vb_kraken_asset_find (pair->base), "%s", pair->symbol);
        cr_assert_not_null (vb_kraken_asset_find (pair->quote), "%s", pair->symbol);
        cr_assert_eq (vb_kraken_pair_find (pair->key), pair);
        cr_assert_eq (vb_kraken_pair_find (pair->altname), pair);
        cr_assert_eq (vb_kraken_pair_find (pair->wsname), pair);
        cr_assert_eq (vb_kraken_pair_find_ws (pair->ws_symbol, strlen (pair->ws_symbol)), pair);
        cr_assert_eq (vb_kraken_pair_find_normalised (pair->symbol), pair);
    }
}
