/*  vb_topic.h — build and parse bus topics.

    Every bus frame starts with its topic (DESIGN.md §3 "Topics"):

        md.<venue>.<SYMBOL>.<kind>      market data; kind is trade, book, bbo,
                                        candle.<interval>, funding or status
        ex.<account>.<strategy>         execution reports for one strategy
        sys.<service>.<kind>            health, rate-limit usage, alerts

    A component (venue, account, strategy, service, sys kind) is 1 to
    VB_TOPIC_COMPONENT_MAX bytes of [A-Za-z0-9_-]. A symbol is BASE-QUOTE:
    two runs of [A-Z0-9] joined by exactly one '-'. A candle interval is a
    count without leading zeros (at most VB_TOPIC_INTERVAL_DIGITS digits)
    followed by one unit: s, m, h, d, w or M (month), e.g. "1m", "15m", "1M".
    The only '.' inside a kind is the one in "candle.<interval>". Every valid
    topic is at most VB_TOPIC_MAX bytes, so a buffer of VB_TOPIC_MAX + 1 bytes
    always holds one with its NUL.

    Both directions are allocation-free; parsing fills a struct of slices
    borrowed from the caller's bytes.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_TOPIC_H_INCLUDED
#define VB_TOPIC_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Longest topic, without its NUL.
#define VB_TOPIC_MAX 128
//  Longest component (venue, account, strategy, service, sys kind, symbol).
#define VB_TOPIC_COMPONENT_MAX 40
//  Most digits in a candle interval's count ("1440m" has four).
#define VB_TOPIC_INTERVAL_DIGITS 4

typedef enum {
    VB_TOPIC_DOMAIN_UNSET = 0,
    VB_TOPIC_DOMAIN_MD,   //  md.<venue>.<SYMBOL>.<kind>
    VB_TOPIC_DOMAIN_EX,   //  ex.<account>.<strategy>
    VB_TOPIC_DOMAIN_SYS,  //  sys.<service>.<kind>
} vb_topic_domain_t;

//  Kinds of market-data topic.
typedef enum {
    VB_TOPIC_KIND_UNSET = 0,
    VB_TOPIC_KIND_TRADE,    //  "trade"
    VB_TOPIC_KIND_BOOK,     //  "book": snapshots and deltas
    VB_TOPIC_KIND_BBO,      //  "bbo"
    VB_TOPIC_KIND_CANDLE,   //  "candle.<interval>"
    VB_TOPIC_KIND_FUNDING,  //  "funding"
    VB_TOPIC_KIND_STATUS,   //  "status": book state, gaps, reconnects
} vb_topic_kind_t;

//  A borrowed run of bytes; not NUL-terminated.
typedef struct {
    const char *data;  //  First byte, or NULL when absent
    size_t length;     //  Number of bytes
} vb_topic_slice_t;

//  A parsed topic. Slices point into the text given to vb_topic_parse; only
//  the ones of the topic's domain are set, the others are {NULL, 0}.
typedef struct {
    vb_topic_domain_t domain;   //  Which of the three shapes
    vb_topic_kind_t kind;       //  md: the kind; UNSET otherwise
    vb_topic_slice_t venue;     //  md: venue name
    vb_topic_slice_t symbol;    //  md: BASE-QUOTE
    vb_topic_slice_t interval;  //  md candle: the interval, e.g. "1m"
    vb_topic_slice_t account;   //  ex: account name
    vb_topic_slice_t strategy;  //  ex: strategy id
    vb_topic_slice_t service;   //  sys: service name
    vb_topic_slice_t sys_kind;  //  sys: "health", "ratelimit", "alert", ...
} vb_topic_t;

//  Write "md.<venue>.<symbol>.<kind>" into buffer with a NUL. interval is
//  required for VB_TOPIC_KIND_CANDLE and must be NULL otherwise. Returns the
//  length without the NUL, VB_EINVAL when a component is invalid (see above),
//  or VB_ETRUNC when buffer is too small (size VB_TOPIC_MAX + 1 always fits).
int vb_topic_md (char *buffer, size_t size, const char *venue, const char *symbol,
                 vb_topic_kind_t kind, const char *interval);

//  Write "ex.<account>.<strategy>" into buffer with a NUL. Returns as
//  vb_topic_md.
int vb_topic_ex (char *buffer, size_t size, const char *account, const char *strategy);

//  Write "sys.<service>.<kind>" into buffer with a NUL. Returns as
//  vb_topic_md.
int vb_topic_sys (char *buffer, size_t size, const char *service, const char *kind);

//  Write the subscription prefix for every market-data topic of one symbol,
//  "md.<venue>.<symbol>." (with the trailing dot, so BTC-USD does not also
//  match BTC-USDT), into buffer with a NUL. Returns as vb_topic_md.
int vb_topic_md_prefix (char *buffer, size_t size, const char *venue, const char *symbol);

//  Parse exactly `length` bytes of topic text (no NUL needed or allowed) into
//  *out. Returns 0, VB_ELIMIT when length is over VB_TOPIC_MAX, or VB_EINVAL
//  when the text is not a valid topic; on error *out is cleared. Never reads
//  past text + length.
int vb_topic_parse (const char *text, size_t length, vb_topic_t *out);

//  The wire name of a market-data kind ("trade", "book", ...; "candle" for
//  candles, without the interval), or NULL for an unknown value.
const char *vb_topic_kind_name (vb_topic_kind_t kind);

//  True when the slice holds exactly the NUL-terminated string text.
bool vb_topic_slice_eq (vb_topic_slice_t slice, const char *text);

#ifdef __cplusplus
}
#endif
#endif
