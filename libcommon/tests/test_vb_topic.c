/*  test_vb_topic.c — building and parsing bus topics.
    Expected topics are written out by hand from the scheme in DESIGN.md §3
    "Topics" and proto/README.md.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <string.h>
#include "vb_topic.h"
#include "vb_error.h"

Test (vb_topic, builds_and_parses_a_market_data_topic)
{
    char topic[VB_TOPIC_MAX + 1];
    int length =
        vb_topic_md (topic, sizeof (topic), "binance", "BTC-USDT", VB_TOPIC_KIND_TRADE, NULL);
    cr_assert_eq (length, (int)strlen ("md.binance.BTC-USDT.trade"));
    cr_assert_str_eq (topic, "md.binance.BTC-USDT.trade");

    vb_topic_t parsed;
    cr_assert_eq (vb_topic_parse (topic, (size_t)length, &parsed), 0);
    cr_assert_eq (parsed.domain, VB_TOPIC_DOMAIN_MD);
    cr_assert_eq (parsed.kind, VB_TOPIC_KIND_TRADE);
    cr_assert (vb_topic_slice_eq (parsed.venue, "binance"));
    cr_assert (vb_topic_slice_eq (parsed.symbol, "BTC-USDT"));
    cr_assert_null (parsed.interval.data);
    cr_assert_null (parsed.account.data);
}

Test (vb_topic, builds_every_market_data_kind)
{
    char topic[VB_TOPIC_MAX + 1];
    struct {
        vb_topic_kind_t kind;
        const char *interval;
        const char *expected;
    } cases[] = {
        {VB_TOPIC_KIND_TRADE, NULL, "md.kraken.ETH-USD.trade"},
        {VB_TOPIC_KIND_BOOK, NULL, "md.kraken.ETH-USD.book"},
        {VB_TOPIC_KIND_BBO, NULL, "md.kraken.ETH-USD.bbo"},
        {VB_TOPIC_KIND_CANDLE, "1m", "md.kraken.ETH-USD.candle.1m"},
        {VB_TOPIC_KIND_CANDLE, "1440m", "md.kraken.ETH-USD.candle.1440m"},
        {VB_TOPIC_KIND_FUNDING, NULL, "md.kraken.ETH-USD.funding"},
        {VB_TOPIC_KIND_STATUS, NULL, "md.kraken.ETH-USD.status"},
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases[0]); index++) {
        int length = vb_topic_md (topic, sizeof (topic), "kraken", "ETH-USD", cases[index].kind,
                                  cases[index].interval);
        cr_assert_eq (length, (int)strlen (cases[index].expected));
        cr_assert_str_eq (topic, cases[index].expected);
        vb_topic_t parsed;
        cr_assert_eq (vb_topic_parse (topic, (size_t)length, &parsed), 0, "%s", topic);
        cr_assert_eq (parsed.kind, cases[index].kind);
        if (cases[index].interval)
            cr_assert (vb_topic_slice_eq (parsed.interval, cases[index].interval));
    }
}

Test (vb_topic, builds_and_parses_execution_and_system_topics)
{
    char topic[VB_TOPIC_MAX + 1];
    int length = vb_topic_ex (topic, sizeof (topic), "main_acct", "mm-1");
    cr_assert_str_eq (topic, "ex.main_acct.mm-1");
    vb_topic_t parsed;
    cr_assert_eq (vb_topic_parse (topic, (size_t)length, &parsed), 0);
    cr_assert_eq (parsed.domain, VB_TOPIC_DOMAIN_EX);
    cr_assert (vb_topic_slice_eq (parsed.account, "main_acct"));
    cr_assert (vb_topic_slice_eq (parsed.strategy, "mm-1"));
    cr_assert_eq (parsed.kind, VB_TOPIC_KIND_UNSET);

    length = vb_topic_sys (topic, sizeof (topic), "router", "ratelimit");
    cr_assert_str_eq (topic, "sys.router.ratelimit");
    cr_assert_eq (vb_topic_parse (topic, (size_t)length, &parsed), 0);
    cr_assert_eq (parsed.domain, VB_TOPIC_DOMAIN_SYS);
    cr_assert (vb_topic_slice_eq (parsed.service, "router"));
    cr_assert (vb_topic_slice_eq (parsed.sys_kind, "ratelimit"));
}

Test (vb_topic, symbol_prefix_ends_with_a_dot)
{
    char prefix[VB_TOPIC_MAX + 1];
    int length = vb_topic_md_prefix (prefix, sizeof (prefix), "binance", "BTC-USD");
    cr_assert_str_eq (prefix, "md.binance.BTC-USD.");
    cr_assert_eq (length, 19);
    //  The trailing dot keeps BTC-USDT topics out of a BTC-USD subscription.
    cr_assert_neq (strncmp ("md.binance.BTC-USDT.trade", prefix, (size_t)length), 0);
    cr_assert_eq (strncmp ("md.binance.BTC-USD.trade", prefix, (size_t)length), 0);
}

Test (vb_topic, rejects_bad_components_when_building)
{
    char topic[VB_TOPIC_MAX + 1];
    cr_assert_eq (vb_topic_md (topic, sizeof (topic), "", "BTC-USDT", VB_TOPIC_KIND_BOOK, NULL),
                  VB_EINVAL);
    cr_assert_eq (vb_topic_md (topic, sizeof (topic), NULL, "BTC-USDT", VB_TOPIC_KIND_BOOK, NULL),
                  VB_EINVAL);
    cr_assert_eq (
        vb_topic_md (topic, sizeof (topic), "bin.ance", "BTC-USDT", VB_TOPIC_KIND_BOOK, NULL),
        VB_EINVAL);
    cr_assert_eq (
        vb_topic_md (topic, sizeof (topic), "binance", "btc-usdt", VB_TOPIC_KIND_BOOK, NULL),
        VB_EINVAL);
    cr_assert_eq (
        vb_topic_md (topic, sizeof (topic), "binance", "BTCUSDT", VB_TOPIC_KIND_BOOK, NULL),
        VB_EINVAL);
    cr_assert_eq (
        vb_topic_md (topic, sizeof (topic), "binance", "BTC-USD-T", VB_TOPIC_KIND_BOOK, NULL),
        VB_EINVAL);
    cr_assert_eq (
        vb_topic_md (topic, sizeof (topic), "binance", "BTC-USDT", (vb_topic_kind_t)99, NULL),
        VB_EINVAL);
    cr_assert_eq (
        vb_topic_md (topic, sizeof (topic), "binance", "BTC-USDT", VB_TOPIC_KIND_UNSET, NULL),
        VB_EINVAL);
    //  A candle needs an interval and nothing else may have one.
    cr_assert_eq (
        vb_topic_md (topic, sizeof (topic), "binance", "BTC-USDT", VB_TOPIC_KIND_CANDLE, NULL),
        VB_EINVAL);
    cr_assert_eq (
        vb_topic_md (topic, sizeof (topic), "binance", "BTC-USDT", VB_TOPIC_KIND_BOOK, "1m"),
        VB_EINVAL);
    cr_assert_eq (
        vb_topic_md (topic, sizeof (topic), "binance", "BTC-USDT", VB_TOPIC_KIND_CANDLE, "01m"),
        VB_EINVAL);
    cr_assert_eq (vb_topic_ex (topic, sizeof (topic), "acct", "a b"), VB_EINVAL);
    cr_assert_eq (vb_topic_sys (topic, sizeof (topic), "router", ""), VB_EINVAL);
    //  41 bytes: one over VB_TOPIC_COMPONENT_MAX.
    cr_assert_eq (
        vb_topic_ex (topic, sizeof (topic), "acct", "abcdefghijabcdefghijabcdefghijabcdefghijk"),
        VB_EINVAL);
}

Test (vb_topic, reports_a_short_buffer_without_overrunning_it)
{
    //  "ex.a.b" is 6 bytes and needs 7 with its NUL.
    char topic[8];
    memset (topic, 'x', sizeof (topic));
    cr_assert_eq (vb_topic_ex (topic, 6, "a", "b"), VB_ETRUNC);
    cr_assert_eq (topic[6], 'x');
    cr_assert_eq (vb_topic_ex (topic, 7, "a", "b"), 6);
    cr_assert_str_eq (topic, "ex.a.b");
    cr_assert_eq (vb_topic_ex (topic, 0, "a", "b"), VB_ETRUNC);
}

Test (vb_topic, longest_valid_topic_fits_the_limit)
{
    char longest[VB_TOPIC_COMPONENT_MAX + 1];
    memset (longest, 'a', VB_TOPIC_COMPONENT_MAX);
    longest[VB_TOPIC_COMPONENT_MAX] = '\0';
    char symbol[VB_TOPIC_COMPONENT_MAX + 1];
    memset (symbol, 'A', VB_TOPIC_COMPONENT_MAX);
    symbol[VB_TOPIC_COMPONENT_MAX / 2] = '-';
    symbol[VB_TOPIC_COMPONENT_MAX] = '\0';
    char topic[VB_TOPIC_MAX + 1];
    int length =
        vb_topic_md (topic, sizeof (topic), longest, symbol, VB_TOPIC_KIND_CANDLE, "9999M");
    cr_assert_gt (length, 0);
    cr_assert_leq (length, VB_TOPIC_MAX);
    vb_topic_t parsed;
    cr_assert_eq (vb_topic_parse (topic, (size_t)length, &parsed), 0);
    length = vb_topic_ex (topic, sizeof (topic), longest, longest);
    cr_assert_gt (length, 0);
    length = vb_topic_sys (topic, sizeof (topic), longest, longest);
    cr_assert_gt (length, 0);
}

Test (vb_topic, rejects_malformed_topics_when_parsing)
{
    const char *bad[] = {
        "",
        "md",
        "md.",
        "md.binance",
        "md.binance.BTC-USDT",
        "md.binance.BTC-USDT.",
        "md.binance.BTC-USDT.trades",
        "md.binance.BTC-USDT.trade.",
        "md.binance.BTC-USDT.trade.x",
        "md.binance.btc-usdt.trade",
        "md.binance.-USDT.trade",
        "md.binance.BTC-.trade",
        "md..BTC-USDT.trade",
        "md.bin ance.BTC-USDT.trade",
        "md.binance.BTC-USDT.candle",
        "md.binance.BTC-USDT.candle.",
        "md.binance.BTC-USDT.candle.m",
        "md.binance.BTC-USDT.candle.0m",
        "md.binance.BTC-USDT.candle.1x",
        "md.binance.BTC-USDT.candle.1m.x",
        "md.binance.BTC-USDT.candle.12345m",
        "ex.acct",
        "ex.acct.",
        "ex.acct.strat.extra",
        "ex..strat",
        "sys.router",
        "sys.router.health.x",
        "sys.router.héalth",
        "xx.router.health",
        "MD.binance.BTC-USDT.trade",
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        vb_topic_t parsed;
        cr_assert_eq (vb_topic_parse (bad[index], strlen (bad[index]), &parsed), VB_EINVAL, "%s",
                      bad[index]);
        cr_assert_eq (parsed.domain, VB_TOPIC_DOMAIN_UNSET);
    }
}

Test (vb_topic, rejects_embedded_nul_and_overlong_input)
{
    vb_topic_t parsed;
    const char with_nul[] = "ex.acct\0x.strat";
    cr_assert_eq (vb_topic_parse (with_nul, sizeof (with_nul) - 1, &parsed), VB_EINVAL);
    char overlong[VB_TOPIC_MAX + 2];
    memset (overlong, 'a', sizeof (overlong));
    memcpy (overlong, "ex.", 3);
    cr_assert_eq (vb_topic_parse (overlong, sizeof (overlong), &parsed), VB_ELIMIT);
    cr_assert_eq (vb_topic_parse (NULL, 3, &parsed), VB_EINVAL);
}

Test (vb_topic, parses_only_the_given_length)
{
    //  The text goes on past `length`; only the first 22 bytes count.
    const char *text = "md.kraken.BTC-USD.book and then garbage";
    vb_topic_t parsed;
    cr_assert_eq (vb_topic_parse (text, 22, &parsed), 0);
    cr_assert_eq (parsed.kind, VB_TOPIC_KIND_BOOK);
    cr_assert (vb_topic_slice_eq (parsed.symbol, "BTC-USD"));
}

Test (vb_topic, names_kinds)
{
    cr_assert_str_eq (vb_topic_kind_name (VB_TOPIC_KIND_FUNDING), "funding");
    cr_assert_str_eq (vb_topic_kind_name (VB_TOPIC_KIND_CANDLE), "candle");
    cr_assert_null (vb_topic_kind_name (VB_TOPIC_KIND_UNSET));
}
