/*  vb_topic.c — build and parse bus topics.

    Grammar (see vb_topic.h for the limits):
        topic     = md / ex / sys
        md        = "md." component "." symbol "." kind
        kind      = "trade" / "book" / "bbo" / "funding" / "status"
                  / "candle." interval
        ex        = "ex." component "." component
        sys       = "sys." component "." component
        component = 1*( ALPHA / DIGIT / "_" / "-" )
        symbol    = 1*( UPPER / DIGIT ) "-" 1*( UPPER / DIGIT )
        interval  = NZDIGIT *DIGIT ( "s" / "m" / "h" / "d" / "w" / "M" )
    Both directions are pure functions over caller memory: no allocation.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <string.h>
#include "vb_topic.h"
#include "vb_error.h"

#define S_MD_PREFIX     "md."
#define S_EX_PREFIX     "ex."
#define S_SYS_PREFIX    "sys."
#define S_CANDLE_PREFIX "candle."
#define S_SEPARATOR     '.'
#define S_SYMBOL_JOINER '-'
//  Units a candle interval may end with.
#define S_INTERVAL_UNITS "smhdwM"

typedef struct {
    vb_topic_kind_t kind;  //  Enum value
    const char *name;      //  Wire name
} s_kind_name_t;

//  Kinds whose whole name is the last component; candle is handled apart
//  because it carries an interval.
static const s_kind_name_t s_kind_names[] = {
    {VB_TOPIC_KIND_TRADE, "trade"},     {VB_TOPIC_KIND_BOOK, "book"},
    {VB_TOPIC_KIND_BBO, "bbo"},         {VB_TOPIC_KIND_CANDLE, "candle"},
    {VB_TOPIC_KIND_FUNDING, "funding"}, {VB_TOPIC_KIND_STATUS, "status"},
};
#define S_KIND_COUNT (sizeof (s_kind_names) / sizeof (s_kind_names[0]))

//  --------------------------------------------------------------------------
//  True for the bytes a plain component may hold: [A-Za-z0-9_-].

static bool
s_component_char (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

//  --------------------------------------------------------------------------
//  True for the bytes a symbol's base or quote may hold: [A-Z0-9].

static bool
s_symbol_char (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

//  --------------------------------------------------------------------------
//  Check a plain component of `length` bytes.

static bool
s_valid_component (const char *text, size_t length)
{
    if (length == 0 || length > VB_TOPIC_COMPONENT_MAX)
        return false;
    for (size_t index = 0; index < length; index++)
        if (!s_component_char (text[index]))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Check a BASE-QUOTE symbol of `length` bytes: exactly one joiner, with at
//  least one [A-Z0-9] on each side.

static bool
s_valid_symbol (const char *text, size_t length)
{
    if (length == 0 || length > VB_TOPIC_COMPONENT_MAX)
        return false;
    size_t joiner = length;  //  Index of the '-', or length when none yet
    for (size_t index = 0; index < length; index++) {
        if (text[index] == S_SYMBOL_JOINER) {
            if (joiner != length)
                return false;  //  A second joiner
            joiner = index;
        } else if (!s_symbol_char (text[index]))
            return false;
    }
    return joiner > 0 && joiner + 1 < length;
}

//  --------------------------------------------------------------------------
//  Check a candle interval of `length` bytes: a count without leading zeros
//  followed by one unit.

static bool
s_valid_interval (const char *text, size_t length)
{
    if (length < 2 || length > VB_TOPIC_INTERVAL_DIGITS + 1)
        return false;
    if (text[0] < '1' || text[0] > '9')
        return false;
    for (size_t index = 1; index + 1 < length; index++)
        if (text[index] < '0' || text[index] > '9')
            return false;
    char unit = text[length - 1];
    return unit != '\0' && strchr (S_INTERVAL_UNITS, unit) != NULL;
}

//  --------------------------------------------------------------------------
//  Append `length` bytes to buffer at *used, keeping room for the NUL.
//  Returns false when they do not fit.

static bool
s_append (char *buffer, size_t size, size_t *used, const char *text, size_t length)
{
    if (size == 0 || *used + length > size - 1)
        return false;
    memcpy (buffer + *used, text, length);
    *used += length;
    return true;
}

//  --------------------------------------------------------------------------
//  Join the NULL-terminated list of parts into buffer with a NUL. The parts
//  were validated by the caller. Returns the length or VB_ETRUNC.

static int
s_join (char *buffer, size_t size, const char *const *parts)
{
    size_t used = 0;
    for (size_t index = 0; parts[index]; index++)
        if (!s_append (buffer, size, &used, parts[index], strlen (parts[index])))
            return VB_ETRUNC;
    buffer[used] = '\0';
    return (int)used;
}

//  --------------------------------------------------------------------------
//  Check a NUL-terminated argument with one of the validators above.

static bool
s_check (const char *text, bool (*valid) (const char *, size_t))
{
    return text && valid (text, strnlen (text, VB_TOPIC_COMPONENT_MAX + 1));
}

//  --------------------------------------------------------------------------
//  Build a market-data topic.

int
vb_topic_md (char *buffer, size_t size, const char *venue, const char *symbol, vb_topic_kind_t kind,
             const char *interval)
{
    assert (buffer);
    if (!s_check (venue, s_valid_component) || !s_check (symbol, s_valid_symbol))
        return VB_EINVAL;
    const char *name = vb_topic_kind_name (kind);
    if (!name)
        return VB_EINVAL;
    if (kind == VB_TOPIC_KIND_CANDLE) {
        if (!s_check (interval, s_valid_interval))
            return VB_EINVAL;
        const char *parts[] = {S_MD_PREFIX, venue,           ".",      symbol,
                               ".",         S_CANDLE_PREFIX, interval, NULL};
        return s_join (buffer, size, parts);
    }
    if (interval)
        return VB_EINVAL;
    const char *parts[] = {S_MD_PREFIX, venue, ".", symbol, ".", name, NULL};
    return s_join (buffer, size, parts);
}

//  --------------------------------------------------------------------------
//  Build an execution-report topic.

int
vb_topic_ex (char *buffer, size_t size, const char *account, const char *strategy)
{
    assert (buffer);
    if (!s_check (account, s_valid_component) || !s_check (strategy, s_valid_component))
        return VB_EINVAL;
    const char *parts[] = {S_EX_PREFIX, account, ".", strategy, NULL};
    return s_join (buffer, size, parts);
}

//  --------------------------------------------------------------------------
//  Build a system topic.

int
vb_topic_sys (char *buffer, size_t size, const char *service, const char *kind)
{
    assert (buffer);
    if (!s_check (service, s_valid_component) || !s_check (kind, s_valid_component))
        return VB_EINVAL;
    const char *parts[] = {S_SYS_PREFIX, service, ".", kind, NULL};
    return s_join (buffer, size, parts);
}

//  --------------------------------------------------------------------------
//  Build the prefix that matches every market-data topic of one symbol.

int
vb_topic_md_prefix (char *buffer, size_t size, const char *venue, const char *symbol)
{
    assert (buffer);
    if (!s_check (venue, s_valid_component) || !s_check (symbol, s_valid_symbol))
        return VB_EINVAL;
    const char *parts[] = {S_MD_PREFIX, venue, ".", symbol, ".", NULL};
    return s_join (buffer, size, parts);
}

//  --------------------------------------------------------------------------
//  Cut the next component off [*cursor, limit): up to the next '.', or to
//  limit when last is true (the rest must then hold no '.'). Returns false
//  when the separator is missing, or present where none may be.

static bool
s_next (const char **cursor, const char *limit, bool last, vb_topic_slice_t *slice)
{
    const char *start = *cursor;
    const char *dot = memchr (start, S_SEPARATOR, (size_t)(limit - start));
    if (last) {
        if (dot)
            return false;
        slice->data = start;
        slice->length = (size_t)(limit - start);
        *cursor = limit;
        return true;
    }
    if (!dot)
        return false;
    slice->data = start;
    slice->length = (size_t)(dot - start);
    *cursor = dot + 1;
    return true;
}

//  --------------------------------------------------------------------------
//  True when text of `length` bytes starts with the NUL-terminated prefix.

static bool
s_starts_with (const char *text, size_t length, const char *prefix)
{
    size_t prefix_length = strlen (prefix);
    return length >= prefix_length && memcmp (text, prefix, prefix_length) == 0;
}

//  --------------------------------------------------------------------------
//  Parse the kind of a market-data topic: the rest of the text after the
//  symbol's dot.

static int
s_parse_md_kind (const char *text, size_t length, vb_topic_t *out)
{
    if (s_starts_with (text, length, S_CANDLE_PREFIX)) {
        size_t skip = strlen (S_CANDLE_PREFIX);
        if (!s_valid_interval (text + skip, length - skip))
            return VB_EINVAL;
        out->kind = VB_TOPIC_KIND_CANDLE;
        out->interval.data = text + skip;
        out->interval.length = length - skip;
        return 0;
    }
    for (size_t index = 0; index < S_KIND_COUNT; index++) {
        const char *name = s_kind_names[index].name;
        if (s_kind_names[index].kind != VB_TOPIC_KIND_CANDLE && strlen (name) == length &&
            memcmp (text, name, length) == 0) {
            out->kind = s_kind_names[index].kind;
            return 0;
        }
    }
    return VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  Parse the body of a topic after its domain prefix.

static int
s_parse_body (const char *cursor, const char *limit, vb_topic_t *out)
{
    if (out->domain == VB_TOPIC_DOMAIN_MD) {
        if (!s_next (&cursor, limit, false, &out->venue) ||
            !s_valid_component (out->venue.data, out->venue.length) ||
            !s_next (&cursor, limit, false, &out->symbol) ||
            !s_valid_symbol (out->symbol.data, out->symbol.length))
            return VB_EINVAL;
        return s_parse_md_kind (cursor, (size_t)(limit - cursor), out);
    }
    vb_topic_slice_t *first = out->domain == VB_TOPIC_DOMAIN_EX ? &out->account : &out->service;
    vb_topic_slice_t *second = out->domain == VB_TOPIC_DOMAIN_EX ? &out->strategy : &out->sys_kind;
    if (!s_next (&cursor, limit, false, first) || !s_valid_component (first->data, first->length) ||
        !s_next (&cursor, limit, true, second) || !s_valid_component (second->data, second->length))
        return VB_EINVAL;
    return 0;
}

//  --------------------------------------------------------------------------
//  Parse a topic into borrowed slices.

int
vb_topic_parse (const char *text, size_t length, vb_topic_t *out)
{
    assert (out);
    memset (out, 0, sizeof (*out));
    if (!text || length == 0)
        return VB_EINVAL;
    if (length > VB_TOPIC_MAX)
        return VB_ELIMIT;

    const char *cursor = text;
    if (s_starts_with (text, length, S_MD_PREFIX)) {
        out->domain = VB_TOPIC_DOMAIN_MD;
        cursor += strlen (S_MD_PREFIX);
    } else if (s_starts_with (text, length, S_EX_PREFIX)) {
        out->domain = VB_TOPIC_DOMAIN_EX;
        cursor += strlen (S_EX_PREFIX);
    } else if (s_starts_with (text, length, S_SYS_PREFIX)) {
        out->domain = VB_TOPIC_DOMAIN_SYS;
        cursor += strlen (S_SYS_PREFIX);
    } else
        return VB_EINVAL;

    int rc = s_parse_body (cursor, text + length, out);
    if (rc != 0)
        memset (out, 0, sizeof (*out));
    return rc;
}

//  --------------------------------------------------------------------------
//  Look a kind's wire name up in the table.

const char *
vb_topic_kind_name (vb_topic_kind_t kind)
{
    for (size_t index = 0; index < S_KIND_COUNT; index++)
        if (s_kind_names[index].kind == kind)
            return s_kind_names[index].name;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Compare a slice with a C string.

bool
vb_topic_slice_eq (vb_topic_slice_t slice, const char *text)
{
    if (!text)
        return false;
    size_t length = strlen (text);
    return length == slice.length && (length == 0 || memcmp (slice.data, text, length) == 0);
}
