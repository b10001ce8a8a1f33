/*  md.c — Kraken Spot WebSocket v2 market-data adapter for venuebus-gateway.

    One public connection (wss://ws.kraken.com/v2 unless configured) carries
    every symbol of the shard. Once it is open the adapter subscribes:
    - `instrument` (snapshot): price_precision and qty_precision of each
      pair, which the book checksum is defined over. A book is subscribed
      only once its pair's precision is known, so no book is committed
      before it can be verified;
    - `trade` (no snapshot: the last 50 trades are history, not news);
    - `ticker` with event_trigger bbo: every change of the best bid/ask;
    - `ohlc` once per configured interval (1m -> 1, ..., 1w -> 10080);
    - `book` at the smallest Kraken depth (10, 25, 100, 500, 1000) above
      config book_depth (1000 when book_depth is 1000), so truncation never
      leaves fewer than 10 levels for the checksum (venues.md 3.3).
    Kraken closes idle connections after about a minute: the core sends the
    application ping {"method":"ping"} every S_APP_PING_MS, and a stream
    with no frame (heartbeat every second) for S_STALE_MS is stale.

    Book rule (venues.md 3.3; Kraken has no sequence numbers, so every
    commit carries venue_seq 0..0):
    - snapshot: book_begin (snapshot = true), every level through
      book_level, then as for an update;
    - update: book_begin (false), every level in array order through
      book_level (qty 0 deletes), then truncation to the subscribed depth —
      done through book_level with qty 0 for each level past the depth, so
      the core's delta records it — then the CRC32 of the top 10 levels per
      side at the instrument's precision (vb_book_checksum_kraken_scaled:
      JSON numbers lose trailing zeros) against the message's `checksum`;
    - match: book_commit. Mismatch (or a level that cannot be expressed at
      the precision): book_resync ("checksum"), then unsubscribe and
      subscribe that symbol's book again; updates that arrive before the
      fresh snapshot are ignored.
    Ordering the core relies on: the levels of a message reach the core's
    book (through book_level) before the adapter knows whether the message
    verifies. The core publishes nothing before book_commit; book_resync
    makes it drop the pending change and mark the book RESYNCING, and the
    book's content is then meaningless until the next snapshot (whose
    book_begin clears it). A sink call that fails (negative) is answered
    with book_resync and a resubscribe, so book_resync may follow the
    core's own rejection of a commit: it must be idempotent.

    Candles: Kraken sends the open candle again on every trade; a candle is
    final once a candle with a later interval_begin arrives, and it is then
    reported once more with closed = true. After a reconnect, the ohlc
    snapshot repeats candles: those already reported closed are skipped.
    REST backfill: GET /0/public/OHLC?pair=<altname>&interval=<minutes>&
    since=<s>; Kraken returns at most 720 rows whatever `since` says, and
    the row after `last` is the current, uncommitted candle.

    Every field is validated; a malformed frame is reported through
    sink->anomaly and a negative VB_E* code, never a crash.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vb_book.h"
#include "vb_clock.h"
#include "vb_decimal.h"
#include "vb_error.h"
#include "vb_json.h"
#include "vb_md.h"
#include "symbols.h"

#define S_WS_URL_DEFAULT   "wss://ws.kraken.com/v2"
#define S_REST_URL_DEFAULT "https://api.kraken.com"
#define S_PING_TEXT        "{\"method\":\"ping\"}"
#define S_STALE_MS         5000   //  Heartbeat every 1 s when idle, plus margin
#define S_APP_PING_MS      20000  //  Kraken closes a connection idle for ~60 s
//  Kraken publishes no client message limit for public WS v2; the adapter
//  sends a handful per (re)subscribe, so a conservative bound is enough.
#define S_MESSAGES_PER_S  20
#define S_CAPACITY_FACTOR 2   //  Book capacity: room for a whole message above the depth
#define S_PRECISION_MAX   18  //  Largest price/qty precision accepted from `instrument`
#define S_REST_WEIGHT     1   //  Kraken public REST: one call, one unit
#define S_SYMBOL_MAX      32  //  vb_md_request_t.symbol
#define S_TRADE_ID_MAX    24  //  uint64 digits and NUL
#define S_ANOMALY_MAX     192
#define S_VENUE_TEXT_MAX  96   //  Venue error text quoted in an anomaly
#define S_MESSAGE_FIXED   256  //  Subscribe message size before the symbols
#define S_SYMBOL_QUOTING  3    //  "", per symbol in a subscribe list
#define S_SECONDS_PER_MIN 60
#define S_OHLC_ROW_FIELDS 8  //  [time, open, high, low, close, vwap, volume, count]
#define S_UINT32_MAX      UINT64_C (0xFFFFFFFF)

extern const vb_md_ops_t vb_kraken_md_ops;

//  Kraken book depths, smallest first.
static const size_t s_depths[] = {10, 25, 100, 500, 1000};
#define S_DEPTH_COUNT (sizeof (s_depths) / sizeof (s_depths[0]))

//  Candle intervals: normalised name -> Kraken minutes.
typedef struct {
    const char *name;  //  Normalised interval, e.g. "1m"
    int64_t minutes;   //  Kraken `interval`
} s_interval_t;

static const s_interval_t s_intervals[] = {
    {"1m", 1},   {"5m", 5},    {"15m", 15},   {"30m", 30},    {"1h", 60},
    {"4h", 240}, {"1d", 1440}, {"1w", 10080}, {"15d", 21600},
};
#define S_INTERVAL_COUNT (sizeof (s_intervals) / sizeof (s_intervals[0]))

typedef enum {
    S_BOOK_IDLE = 0,  //  Not subscribed on the current connection
    S_BOOK_WAITING,   //  Subscribed, waiting for the snapshot; updates ignored
    S_BOOK_LIVE,      //  Snapshot verified; updates applied and verified
} s_book_state_t;

//  Candle tracking of one symbol and interval.
typedef struct {
    bool pending;            //  candle holds the open interval's latest values
    vb_md_candle_t candle;   //  Latest values of the open candle
    int64_t last_closed_ns;  //  open_ts_ns of the last candle reported closed
} s_candles_t;

//  One symbol of the shard.
typedef struct {
    const vb_kraken_pair_t *pair;  //  Table entry: every spelling
    size_t ws_length;              //  strlen (pair->ws_symbol)
    bool precision_known;          //  Seen in `instrument`
    bool precision_seen;           //  Seen in the latest instrument snapshot
    int32_t price_exponent;        //  -price_precision
    int32_t qty_exponent;          //  -qty_precision
    s_book_state_t book_state;
    s_candles_t *candles;  //  One per configured interval
} s_symbol_t;

typedef struct {
    vb_md_t base;                  //  Must be first
    vb_md_sink_t sink;             //  The core
    char ws_url[VB_MD_URL_MAX];    //  Public WS v2 URL
    char rest_url[VB_MD_URL_MAX];  //  REST base URL
    s_symbol_t *symbols;           //  The shard
    size_t symbol_count;
    const s_interval_t **intervals;  //  Configured candle intervals
    size_t interval_count;
    size_t depth;     //  Subscribed book depth
    bool open;        //  Connection 0 is open
    vb_json_t *json;  //  Reused parser
    char *message;    //  Outgoing message buffer
    size_t message_size;
    char anomaly[S_ANOMALY_MAX];  //  Anomaly text scratch
    size_t anomalies;             //  Anomalies reported (one per failed frame at least)
    vb_md_candle_fn *collect;     //  While set (candles_decode): backfilled candles go here,
    void *collect_arg;            //  not to the sink, and anomalies are only noted in `anomaly`
} s_kraken_md_t;

//  What the root of a frame said, as far as it was read.
typedef struct {
    const char *channel;
    size_t channel_length;
    const char *type;
    size_t type_length;
    const char *method;
    size_t method_length;
    const char *error;
    size_t error_length;
    const char *symbol;
    size_t symbol_length;
    bool success;
    bool has_success;
    bool has_data;
} s_root_t;

static void s_destroy (vb_md_t **self_p);
static void s_anomaly (s_kraken_md_t *self, const s_symbol_t *symbol, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
static int s_append (s_kraken_md_t *self, size_t *used, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

//  --------------------------------------------------------------------------
//  True when text of length bytes equals the NUL-terminated word.

static bool
s_is (const char *text, size_t length, const char *word)
{
    return text && strlen (word) == length && memcmp (text, word, length) == 0;
}

//  --------------------------------------------------------------------------
//  Report an anomaly with formatted text (venue text is quoted with
//  s_quote first, so nothing unprintable reaches the core).

static void
s_anomaly (s_kraken_md_t *self, const s_symbol_t *symbol, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (self->anomaly, sizeof (self->anomaly), format, args);
    va_end (args);
    if (self->collect)
        return;  //  Decoding for a caller: the text is its error
    self->anomalies++;
    self->sink.anomaly (self->sink.ctx, symbol ? symbol->pair->symbol : NULL, self->anomaly);
}

//  --------------------------------------------------------------------------
//  Copy venue text into out for an anomaly: at most out_size - 1 bytes,
//  anything outside printable ASCII replaced by '?'.

static void
s_quote (const char *text, size_t length, char *out, size_t out_size)
{
    size_t used = 0;
    for (size_t index = 0; text && index < length && used + 1 < out_size; index++) {
        unsigned char byte = (unsigned char)text[index];
        out[used++] = byte >= ' ' && byte < 0x7F ? (char)byte : '?';
    }
    out[used] = '\0';
}

//  --------------------------------------------------------------------------
//  The shard symbol with WS v2 name text, or NULL.

static s_symbol_t *
s_symbol_by_ws (s_kraken_md_t *self, const char *text, size_t length)
{
    for (size_t index = 0; index < self->symbol_count; index++) {
        s_symbol_t *symbol = &self->symbols[index];
        if (symbol->ws_length == length && memcmp (symbol->pair->ws_symbol, text, length) == 0)
            return symbol;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  The shard symbol with a normalised name, or NULL.

static s_symbol_t *
s_symbol_by_name (s_kraken_md_t *self, const char *name)
{
    for (size_t index = 0; name && index < self->symbol_count; index++)
        if (strcmp (self->symbols[index].pair->symbol, name) == 0)
            return &self->symbols[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  An interval by normalised name or by Kraken minutes, or NULL.

static const s_interval_t *
s_interval_by_name (const char *name)
{
    for (size_t index = 0; name && index < S_INTERVAL_COUNT; index++)
        if (strcmp (s_intervals[index].name, name) == 0)
            return &s_intervals[index];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Parse exactly `count` ASCII digits.

static bool
s_digits (const char *text, size_t count, int64_t *out)
{
    int64_t value = 0;
    for (size_t index = 0; index < count; index++) {
        if (text[index] < '0' || text[index] > '9')
            return false;
        value = value * 10 + (text[index] - '0');
    }
    *out = value;
    return true;
}

//  --------------------------------------------------------------------------
//  Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
//  days_from_civil: eras of 400 years = 146097 days, years starting in
//  March so the leap day is last; 719468 = days from 0000-03-01 to epoch).

static int64_t
s_days_from_civil (int64_t year, int64_t month, int64_t day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

//  Years accepted in venue timestamps (ns since the epoch fit an int64
//  until 2262).
#define S_YEAR_MIN 1970
#define S_YEAR_MAX 2200

//  --------------------------------------------------------------------------
//  An RFC 3339 UTC time "2023-09-25T07:49:37.708706Z" (fraction of 0 to 9
//  digits, 'Z' only, as Kraken sends) -> ns since the epoch. Returns 0 or
//  VB_EINVAL.

static int
s_rfc3339 (const char *text, size_t length, int64_t *ns)
{
    static const int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const size_t seconds_end = 19;  //  "YYYY-MM-DDTHH:MM:SS"
    const size_t fraction_max = 9;
    if (!text || length < seconds_end + 1 || text[length - 1] != 'Z')
        return VB_EINVAL;
    if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') ||
        text[13] != ':' || text[16] != ':')
        return VB_EINVAL;
    int64_t year, month, day, hour, minute, second;
    if (!s_digits (text, 4, &year) || !s_digits (text + 5, 2, &month) ||
        !s_digits (text + 8, 2, &day) || !s_digits (text + 11, 2, &hour) ||
        !s_digits (text + 14, 2, &minute) || !s_digits (text + 17, 2, &second))
        return VB_EINVAL;
    if (year < S_YEAR_MIN || year > S_YEAR_MAX || month < 1 || month > 12 || day < 1 || hour > 23 ||
        minute > 59 || second > 59)
        return VB_EINVAL;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int64_t month_days = days_in_month[month - 1] + (month == 2 && leap ? 1 : 0);
    if (day > month_days)
        return VB_EINVAL;
    int64_t fraction_ns = 0;
    size_t rest = length - 1 - seconds_end;  //  Between the seconds and the 'Z'
    if (rest > 0) {
        size_t digits = rest - 1;
        if (text[seconds_end] != '.' || digits == 0 || digits > fraction_max)
            return VB_EINVAL;
        if (!s_digits (text + seconds_end + 1, digits, &fraction_ns))
            return VB_EINVAL;
        for (size_t scale = digits; scale < fraction_max; scale++)
            fraction_ns *= 10;
    }
    int64_t days = s_days_from_civil (year, month, day);
    int64_t seconds = ((days * 24 + hour) * 60 + minute) * 60 + second;
    *ns = seconds * VB_NS_PER_SEC + fraction_ns;
    return 0;
}

//  --------------------------------------------------------------------------
//  Read a JSON string field.

static int
s_string (vb_json_val_t *value, const char **text, size_t *length)
{
    return vb_json_string (value, text, length);
}

//  --------------------------------------------------------------------------
//  Read a decimal sent as a JSON number (Kraken v2 prices and quantities).

static int
s_number (vb_json_val_t *value, vb_decimal_t *out)
{
    if (vb_json_type (value) != VB_JSON_NUMBER)
        return VB_ETYPE;
    return vb_json_decimal (value, out);
}

//  --------------------------------------------------------------------------
//  Read an RFC 3339 string field into ns.

static int
s_time (vb_json_val_t *value, int64_t *ns)
{
    const char *text;
    size_t length;
    int rc = s_string (value, &text, &length);
    return rc < 0 ? rc : s_rfc3339 (text, length, ns);
}

//  --------------------------------------------------------------------------
//  Append formatted text to the outgoing message. Returns 0 or VB_ETRUNC.

static int
s_append (s_kraken_md_t *self, size_t *used, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    int written = vsnprintf (self->message + *used, self->message_size - *used, format, args);
    va_end (args);
    if (written < 0 || (size_t)written >= self->message_size - *used)
        return VB_ETRUNC;
    *used += (size_t)written;
    return 0;
}

//  Which symbols a subscription message names.
typedef enum {
    S_SELECT_NONE = 0,    //  No symbol list (instrument)
    S_SELECT_ALL,         //  Every symbol of the shard
    S_SELECT_BOOK_READY,  //  Book IDLE and precision known
    S_SELECT_ONE,         //  Only `one`
} s_select_t;

//  --------------------------------------------------------------------------
//  Send {"method":M,"params":{"channel":C[,"symbol":[...]]EXTRA}} on the
//  connection. `extra` is raw JSON text starting with ',' (or ""). Symbols
//  selected with S_SELECT_BOOK_READY move to WAITING. Nothing is sent when
//  the selection is empty. Returns 0 or the sink's error.

static int
s_request (s_kraken_md_t *self, const char *method, const char *channel, s_select_t select,
           s_symbol_t *one, const char *extra)
{
    size_t used = 0;
    int rc = s_append (self, &used, "{\"method\":\"%s\",\"params\":{\"channel\":\"%s\"", method,
                       channel);
    size_t selected = 0;
    if (rc == 0 && select != S_SELECT_NONE) {
        rc = s_append (self, &used, ",\"symbol\":[");
        for (size_t index = 0; rc == 0 && index < self->symbol_count; index++) {
            s_symbol_t *symbol = &self->symbols[index];
            bool wanted = select == S_SELECT_ALL || (select == S_SELECT_ONE && symbol == one) ||
                          (select == S_SELECT_BOOK_READY && symbol->book_state == S_BOOK_IDLE &&
                           symbol->precision_known);
            if (!wanted)
                continue;
            rc = s_append (self, &used, "%s\"%s\"", selected ? "," : "", symbol->pair->ws_symbol);
            selected++;
            if (select == S_SELECT_BOOK_READY)
                symbol->book_state = S_BOOK_WAITING;
        }
        if (rc == 0)
            rc = s_append (self, &used, "]");
        if (selected == 0)
            return rc;
    }
    if (rc == 0)
        rc = s_append (self, &used, "%s}}", extra);
    if (rc < 0)
        return rc;  //  Cannot happen: the buffer is sized for every symbol at create
    return self->sink.send (self->sink.ctx, 0, self->message, used);
}

//  --------------------------------------------------------------------------
//  Subscribe the books of every symbol whose precision is known and whose
//  book is not subscribed yet.

static int
s_subscribe_books (s_kraken_md_t *self)
{
    if (!self->open)
        return 0;
    char extra[64];
    snprintf (extra, sizeof (extra), ",\"depth\":%zu,\"snapshot\":true", self->depth);
    return s_request (self, "subscribe", "book", S_SELECT_BOOK_READY, NULL, extra);
}

//  --------------------------------------------------------------------------
//  The book of `symbol` broke: tell the core, then unsubscribe and subscribe
//  again for a fresh snapshot (updates until then are ignored).

static void
s_book_break (s_kraken_md_t *self, s_symbol_t *symbol, const char *reason)
{
    self->sink.book_resync (self->sink.ctx, symbol->pair->symbol, reason, 0, 0);
    symbol->book_state = S_BOOK_IDLE;
    if (!self->open || !symbol->precision_known)
        return;
    char extra[64];
    snprintf (extra, sizeof (extra), ",\"depth\":%zu", self->depth);
    int rc = s_request (self, "unsubscribe", "book", S_SELECT_ONE, symbol, extra);
    if (rc == 0)
        rc = s_subscribe_books (self);
    if (rc < 0)
        s_anomaly (self, symbol, "kraken: book resubscribe could not be sent (%d)", rc);
}

//  --------------------------------------------------------------------------
//  One book level {"price":N,"qty":N}: price > 0, qty >= 0, both numbers.

static int
s_book_level (vb_json_val_t *level, vb_decimal_t *price, vb_decimal_t *qty)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (level, &iter);
    if (rc < 0)
        return rc;
    bool has_price = false, has_qty = false;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (s_is (key, key_length, "price")) {
            if ((rc = s_number (&value, price)) < 0)
                return rc;
            has_price = true;
        } else if (s_is (key, key_length, "qty")) {
            if ((rc = s_number (&value, qty)) < 0)
                return rc;
            has_qty = true;
        }
    }
    if (rc < 0)
        return rc;
    if (!has_price || !has_qty)
        return VB_ENOTFOUND;
    if (vb_decimal_is_zero (*price) || vb_decimal_is_negative (*price) ||
        vb_decimal_is_negative (*qty))
        return VB_EINVAL;
    return 0;
}

//  --------------------------------------------------------------------------
//  Apply one side's array of levels through the sink. *sink_failed is set
//  when the core refused a level (as opposed to a malformed message).

static int
s_book_side (s_kraken_md_t *self, s_symbol_t *symbol, vb_book_side_t side, vb_json_val_t *levels,
             bool *sink_failed)
{
    vb_json_iter_t iter;
    int rc = vb_json_array_begin (levels, &iter);
    if (rc < 0)
        return rc;
    vb_json_val_t level;
    while ((rc = vb_json_array_next (&iter, &level)) == 1) {
        vb_decimal_t price, qty;
        if ((rc = s_book_level (&level, &price, &qty)) < 0)
            return rc;
        rc = self->sink.book_level (self->sink.ctx, symbol->pair->symbol, side, price, qty);
        if (rc < 0) {
            *sink_failed = true;
            return rc;
        }
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Drop the levels past the subscribed depth through the sink (worst first).

static int
s_book_truncate (s_kraken_md_t *self, s_symbol_t *symbol, vb_book_t *book)
{
    static const vb_book_side_t sides[] = {VB_BOOK_BID, VB_BOOK_ASK};
    const vb_decimal_t zero = {0, 0};
    for (size_t index = 0; index < sizeof (sides) / sizeof (sides[0]); index++) {
        size_t count = vb_book_count (book, sides[index]);
        while (count > self->depth) {
            vb_decimal_t price;
            int rc = vb_book_level (book, sides[index], count - 1, &price, NULL);
            if (rc == 0)
                rc = self->sink.book_level (self->sink.ctx, symbol->pair->symbol, sides[index],
                                            price, zero);
            if (rc < 0)
                return rc;
            size_t after = vb_book_count (book, sides[index]);
            if (after >= count)
                return VB_ESTATE;  //  The core did not delete: never loop forever
            count = after;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  One entry of a book message's data array. Kraken sends `symbol` first;
//  levels before it are refused. Returns 0, VB_ECHECKSUM, or another error.

static int
s_book_entry (s_kraken_md_t *self, bool snapshot, vb_json_val_t *entry)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (entry, &iter);
    if (rc < 0)
        return rc;
    s_symbol_t *symbol = NULL;
    bool began = false, skip = false, sink_failed = false, has_checksum = false;
    uint64_t checksum = 0;
    int64_t exchange_ts_ns = 0;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while (!skip && (rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (s_is (key, key_length, "symbol")) {
            const char *text;
            size_t length;
            if (symbol || (rc = s_string (&value, &text, &length)) < 0) {
                rc = symbol ? VB_EINVAL : rc;
                break;
            }
            symbol = s_symbol_by_ws (self, text, length);
            if (!symbol) {
                char quoted[S_VENUE_TEXT_MAX];
                s_quote (text, length, quoted, sizeof (quoted));
                s_anomaly (self, NULL, "kraken: book for a symbol not subscribed: %s", quoted);
                return VB_ENOTFOUND;
            }
            if (!symbol->precision_known || (!snapshot && symbol->book_state != S_BOOK_LIVE)) {
                skip = true;  //  In flight from before a resubscribe, or not ours yet
                break;
            }
            if (!self->sink.book (self->sink.ctx, symbol->pair->symbol)) {
                s_anomaly (self, symbol, "kraken: the core has no book for this symbol");
                return VB_ENOTFOUND;
            }
            rc = self->sink.book_begin (self->sink.ctx, symbol->pair->symbol, snapshot);
            if (rc < 0) {
                sink_failed = true;
                break;
            }
            began = true;
        } else if (s_is (key, key_length, "bids") || s_is (key, key_length, "asks")) {
            if (!began) {
                rc = VB_EINVAL;  //  Levels before the symbol
                break;
            }
            vb_book_side_t side = key[0] == 'b' ? VB_BOOK_BID : VB_BOOK_ASK;
            if ((rc = s_book_side (self, symbol, side, &value, &sink_failed)) < 0)
                break;
        } else if (s_is (key, key_length, "checksum")) {
            if ((rc = vb_json_uint64 (&value, &checksum)) < 0)
                break;
            if (checksum > S_UINT32_MAX) {
                rc = VB_EOVERFLOW;
                break;
            }
            has_checksum = true;
        } else if (s_is (key, key_length, "timestamp")) {
            if ((rc = s_time (&value, &exchange_ts_ns)) < 0)
                break;
        }
    }
    if (skip)
        return 0;
    if (rc == 0 && !symbol)
        rc = VB_ENOTFOUND;
    if (rc == 0 && !has_checksum)
        rc = VB_ENOTFOUND;  //  Every v2 book message carries one
    if (rc < 0) {
        if (symbol && (began || sink_failed)) {
            if (!sink_failed)
                s_anomaly (self, symbol, "kraken: malformed book %s (%s)",
                           snapshot ? "snapshot" : "update", vb_strerror (rc));
            s_book_break (self, symbol, "decode");
        } else if (!symbol)
            s_anomaly (self, NULL, "kraken: book entry without symbol (%s)", vb_strerror (rc));
        return rc;
    }
    vb_book_t *book = self->sink.book (self->sink.ctx, symbol->pair->symbol);
    if (!book) {
        s_book_break (self, symbol, "decode");
        return VB_ENOTFOUND;
    }
    if ((rc = s_book_truncate (self, symbol, book)) < 0) {
        s_book_break (self, symbol, "decode");
        return rc;
    }
    uint32_t computed = 0;
    rc = vb_book_checksum_kraken_scaled (book, symbol->price_exponent, symbol->qty_exponent,
                                         &computed);
    if (rc < 0 || computed != (uint32_t)checksum) {
        s_book_break (self, symbol, "checksum");
        return VB_ECHECKSUM;
    }
    rc = self->sink.book_commit (self->sink.ctx, symbol->pair->symbol, 0, 0, exchange_ts_ns);
    if (rc < 0) {
        s_book_break (self, symbol, "crossed");
        return rc;
    }
    symbol->book_state = S_BOOK_LIVE;
    return 0;
}

//  --------------------------------------------------------------------------
//  One trade {"symbol","side","price","qty","ord_type","trade_id","timestamp"}.

static int
s_trade_entry (s_kraken_md_t *self, vb_json_val_t *entry)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (entry, &iter);
    if (rc < 0)
        return rc;
    s_symbol_t *symbol = NULL;
    vb_md_trade_t trade = {0};
    char trade_id[S_TRADE_ID_MAX] = "";
    bool has_price = false, has_qty = false, has_time = false;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        const char *text;
        size_t length;
        if (s_is (key, key_length, "symbol")) {
            if ((rc = s_string (&value, &text, &length)) < 0)
                break;
            if (!(symbol = s_symbol_by_ws (self, text, length))) {
                rc = VB_ENOTFOUND;
                break;
            }
        } else if (s_is (key, key_length, "side")) {
            if ((rc = s_string (&value, &text, &length)) < 0)
                break;
            trade.side = s_is (text, length, "buy")    ? VB_MD_SIDE_BUY
                         : s_is (text, length, "sell") ? VB_MD_SIDE_SELL
                                                       : 0;
            if (!trade.side) {
                rc = VB_EINVAL;
                break;
            }
        } else if (s_is (key, key_length, "price")) {
            if ((rc = s_number (&value, &trade.price)) < 0)
                break;
            has_price = true;
        } else if (s_is (key, key_length, "qty")) {
            if ((rc = s_number (&value, &trade.qty)) < 0)
                break;
            has_qty = true;
        } else if (s_is (key, key_length, "trade_id")) {
            uint64_t id;
            if ((rc = vb_json_uint64 (&value, &id)) < 0)
                break;
            snprintf (trade_id, sizeof (trade_id), "%" PRIu64, id);
        } else if (s_is (key, key_length, "timestamp")) {
            if ((rc = s_time (&value, &trade.exchange_ts_ns)) < 0)
                break;
            has_time = true;
        }
    }
    if (rc == 0 && (!symbol || !trade.side || !has_price || !has_qty || !trade_id[0] || !has_time))
        rc = VB_ENOTFOUND;
    if (rc == 0 && (vb_decimal_is_zero (trade.price) || vb_decimal_is_negative (trade.price) ||
                    vb_decimal_is_zero (trade.qty) || vb_decimal_is_negative (trade.qty)))
        rc = VB_EINVAL;
    if (rc < 0) {
        s_anomaly (self, symbol, "kraken: malformed trade (%s)", vb_strerror (rc));
        return rc;
    }
    trade.trade_id = trade_id;
    return self->sink.trade (self->sink.ctx, symbol->pair->symbol, &trade);
}

//  --------------------------------------------------------------------------
//  One ticker entry (event_trigger bbo): bid, bid_qty, ask, ask_qty and the
//  optional timestamp go to sink->bbo; the 24 h statistics are not used.

static int
s_ticker_entry (s_kraken_md_t *self, vb_json_val_t *entry)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (entry, &iter);
    if (rc < 0)
        return rc;
    s_symbol_t *symbol = NULL;
    vb_md_bbo_t bbo = {0};
    unsigned seen = 0;  //  Bit per required number
    const unsigned all = 0xF;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        vb_decimal_t *target = NULL;
        unsigned bit = 0;
        if (s_is (key, key_length, "symbol")) {
            const char *text;
            size_t length;
            if ((rc = s_string (&value, &text, &length)) < 0)
                break;
            if (!(symbol = s_symbol_by_ws (self, text, length))) {
                rc = VB_ENOTFOUND;
                break;
            }
        } else if (s_is (key, key_length, "bid"))
            target = &bbo.bid_price, bit = 1;
        else if (s_is (key, key_length, "bid_qty"))
            target = &bbo.bid_qty, bit = 2;
        else if (s_is (key, key_length, "ask"))
            target = &bbo.ask_price, bit = 4;
        else if (s_is (key, key_length, "ask_qty"))
            target = &bbo.ask_qty, bit = 8;
        else if (s_is (key, key_length, "timestamp")) {
            if ((rc = s_time (&value, &bbo.exchange_ts_ns)) < 0)
                break;
        }
        if (target) {
            if ((rc = s_number (&value, target)) < 0)
                break;
            seen |= bit;
        }
    }
    if (rc == 0 && (!symbol || seen != all))
        rc = VB_ENOTFOUND;
    if (rc == 0) {
        const vb_decimal_t *values[] = {&bbo.bid_price, &bbo.bid_qty, &bbo.ask_price, &bbo.ask_qty};
        for (size_t index = 0; index < sizeof (values) / sizeof (values[0]); index++)
            if (vb_decimal_is_zero (*values[index]) || vb_decimal_is_negative (*values[index]))
                rc = VB_EINVAL;
    }
    if (rc < 0) {
        s_anomaly (self, symbol, "kraken: malformed ticker (%s)", vb_strerror (rc));
        return rc;
    }
    return self->sink.bbo (self->sink.ctx, symbol->pair->symbol, &bbo);
}

//  --------------------------------------------------------------------------
//  Report a candle; the open one is remembered until a later one closes it.

static int
s_candle (s_kraken_md_t *self, s_symbol_t *symbol, size_t interval, const vb_md_candle_t *candle)
{
    s_candles_t *state = &symbol->candles[interval];
    if (candle->open_ts_ns <= state->last_closed_ns)
        return 0;  //  Already final (an ohlc snapshot after a reconnect repeats candles)
    if (state->pending && candle->open_ts_ns < state->candle.open_ts_ns) {
        s_anomaly (self, symbol, "kraken: ohlc %s went back in time", candle->interval);
        return VB_ESEQ;
    }
    int rc = 0;
    if (state->pending && candle->open_ts_ns > state->candle.open_ts_ns) {
        state->candle.closed = true;
        state->last_closed_ns = state->candle.open_ts_ns;
        state->pending = false;
        rc = self->sink.candle (self->sink.ctx, symbol->pair->symbol, &state->candle);
    }
    state->candle = *candle;
    state->pending = true;
    int open_rc = self->sink.candle (self->sink.ctx, symbol->pair->symbol, candle);
    return rc < 0 ? rc : open_rc;
}

//  --------------------------------------------------------------------------
//  Check a candle's numbers: prices positive, volume not negative, low <=
//  open, close <= high.

static bool
s_candle_valid (const vb_md_candle_t *candle)
{
    const vb_decimal_t *prices[] = {&candle->open, &candle->high, &candle->low, &candle->close};
    for (size_t index = 0; index < sizeof (prices) / sizeof (prices[0]); index++)
        if (vb_decimal_is_zero (*prices[index]) || vb_decimal_is_negative (*prices[index]))
            return false;
    return !vb_decimal_is_negative (candle->volume) &&
           vb_decimal_cmp (candle->low, candle->high) <= 0 &&
           vb_decimal_cmp (candle->low, candle->open) <= 0 &&
           vb_decimal_cmp (candle->low, candle->close) <= 0 &&
           vb_decimal_cmp (candle->open, candle->high) <= 0 &&
           vb_decimal_cmp (candle->close, candle->high) <= 0;
}

//  --------------------------------------------------------------------------
//  One ohlc entry.

static int
s_ohlc_entry (s_kraken_md_t *self, vb_json_val_t *entry)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (entry, &iter);
    if (rc < 0)
        return rc;
    s_symbol_t *symbol = NULL;
    vb_md_candle_t candle = {0};
    int64_t minutes = 0;
    bool has_begin = false, has_trades = false;
    unsigned seen = 0;  //  Bit per required number
    const unsigned all = 0x1F;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        vb_decimal_t *target = NULL;
        unsigned bit = 0;
        if (s_is (key, key_length, "symbol")) {
            const char *text;
            size_t length;
            if ((rc = s_string (&value, &text, &length)) < 0)
                break;
            if (!(symbol = s_symbol_by_ws (self, text, length))) {
                rc = VB_ENOTFOUND;
                break;
            }
        } else if (s_is (key, key_length, "open"))
            target = &candle.open, bit = 1;
        else if (s_is (key, key_length, "high"))
            target = &candle.high, bit = 2;
        else if (s_is (key, key_length, "low"))
            target = &candle.low, bit = 4;
        else if (s_is (key, key_length, "close"))
            target = &candle.close, bit = 8;
        else if (s_is (key, key_length, "volume"))
            target = &candle.volume, bit = 16;
        else if (s_is (key, key_length, "trades")) {
            if ((rc = vb_json_uint64 (&value, &candle.trades)) < 0)
                break;
            has_trades = true;
        } else if (s_is (key, key_length, "interval_begin")) {
            if ((rc = s_time (&value, &candle.open_ts_ns)) < 0)
                break;
            has_begin = true;
        } else if (s_is (key, key_length, "interval")) {
            if ((rc = vb_json_int64 (&value, &minutes)) < 0)
                break;
        }
        if (target) {
            if ((rc = s_number (&value, target)) < 0)
                break;
            seen |= bit;
        }
    }
    if (rc == 0 && (!symbol || seen != all || !has_begin || !has_trades || !minutes))
        rc = VB_ENOTFOUND;
    if (rc == 0 && !s_candle_valid (&candle))
        rc = VB_EINVAL;
    size_t interval = self->interval_count;
    for (size_t index = 0; rc == 0 && index < self->interval_count; index++)
        if (self->intervals[index]->minutes == minutes)
            interval = index;
    if (rc == 0 && interval == self->interval_count)
        rc = VB_ENOTFOUND;  //  Not an interval we subscribed
    if (rc < 0) {
        s_anomaly (self, symbol, "kraken: malformed ohlc (%s)", vb_strerror (rc));
        return rc;
    }
    candle.interval = self->intervals[interval]->name;
    candle.close_ts_ns = candle.open_ts_ns + minutes * S_SECONDS_PER_MIN * VB_NS_PER_SEC;
    return s_candle (self, symbol, interval, &candle);
}

//  --------------------------------------------------------------------------
//  One pair of the instrument channel: symbol, price_precision,
//  qty_precision. Pairs outside the shard are skipped.

static int
s_instrument_pair (s_kraken_md_t *self, vb_json_val_t *entry)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (entry, &iter);
    if (rc < 0)
        return rc;
    s_symbol_t *symbol = NULL;
    int64_t price_precision = -1, qty_precision = -1;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (s_is (key, key_length, "symbol")) {
            const char *text;
            size_t length;
            if ((rc = s_string (&value, &text, &length)) < 0)
                return rc;
            symbol = s_symbol_by_ws (self, text, length);
            if (!symbol)
                return 0;  //  Another pair: the rest of it is skipped
        } else if (s_is (key, key_length, "price_precision")) {
            if ((rc = vb_json_int64 (&value, &price_precision)) < 0)
                return rc;
        } else if (s_is (key, key_length, "qty_precision")) {
            if ((rc = vb_json_int64 (&value, &qty_precision)) < 0)
                return rc;
        }
    }
    if (rc < 0)
        return rc;
    if (!symbol)
        return VB_ENOTFOUND;
    if (price_precision < 0 || price_precision > S_PRECISION_MAX || qty_precision < 0 ||
        qty_precision > S_PRECISION_MAX) {
        s_anomaly (self, symbol, "kraken: instrument without a usable precision");
        return VB_EINVAL;
    }
    symbol->precision_known = true;
    symbol->precision_seen = true;
    symbol->price_exponent = -(int32_t)price_precision;
    symbol->qty_exponent = -(int32_t)qty_precision;
    return 0;
}

//  --------------------------------------------------------------------------
//  The instrument channel: data is {"assets":[...],"pairs":[...]}.

static int
s_instrument (s_kraken_md_t *self, bool snapshot, vb_json_val_t *data)
{
    for (size_t index = 0; index < self->symbol_count; index++)
        self->symbols[index].precision_seen = false;
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (data, &iter);
    if (rc < 0)
        return rc;
    int first_error = 0;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (!s_is (key, key_length, "pairs"))
            continue;
        vb_json_iter_t pairs;
        if ((rc = vb_json_array_begin (&value, &pairs)) < 0)
            break;
        vb_json_val_t pair;
        while ((rc = vb_json_array_next (&pairs, &pair)) == 1) {
            int pair_rc = s_instrument_pair (self, &pair);
            if (pair_rc < 0 && !first_error)
                first_error = pair_rc;
        }
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        s_anomaly (self, NULL, "kraken: malformed instrument message (%s)", vb_strerror (rc));
        return rc;
    }
    if (snapshot)
        for (size_t index = 0; index < self->symbol_count; index++)
            if (!self->symbols[index].precision_seen)
                s_anomaly (self, &self->symbols[index],
                           "kraken: pair missing from the instrument snapshot");
    rc = s_subscribe_books (self);
    return rc < 0 ? rc : first_error;
}

//  --------------------------------------------------------------------------
//  The status channel: anything but "online" is reported.

static int
s_status_entry (s_kraken_md_t *self, vb_json_val_t *entry)
{
    vb_json_val_t value;
    const char *text;
    size_t length;
    int rc = vb_json_find (entry, "system", &value);
    if (rc == 0)
        rc = s_string (&value, &text, &length);
    if (rc < 0)
        return rc;
    if (!s_is (text, length, "online")) {
        char quoted[S_VENUE_TEXT_MAX];
        s_quote (text, length, quoted, sizeof (quoted));
        s_anomaly (self, NULL, "kraken: system status %s", quoted);
    }
    return 0;
}

//  Handler for one element of a data array.
typedef int (s_entry_fn_t) (s_kraken_md_t *self, vb_json_val_t *entry);

//  --------------------------------------------------------------------------
//  Walk a data array, calling fn on each entry; keeps going after an entry
//  error while the document is still usable. Returns the first error.

static int
s_entries (s_kraken_md_t *self, vb_json_val_t *data, s_entry_fn_t *fn)
{
    vb_json_iter_t iter;
    int rc = vb_json_array_begin (data, &iter);
    if (rc < 0)
        return rc;
    int first_error = 0;
    vb_json_val_t entry;
    while ((rc = vb_json_array_next (&iter, &entry)) == 1) {
        int entry_rc = fn (self, &entry);
        if (entry_rc < 0 && !first_error)
            first_error = entry_rc;
    }
    return rc < 0 ? rc : first_error;
}

static int
s_book_snapshot_entry (s_kraken_md_t *self, vb_json_val_t *entry)
{
    return s_book_entry (self, true, entry);
}

static int
s_book_update_entry (s_kraken_md_t *self, vb_json_val_t *entry)
{
    return s_book_entry (self, false, entry);
}

//  --------------------------------------------------------------------------
//  The data of a channel message; channel and type were read before it.

static int
s_data (s_kraken_md_t *self, const s_root_t *root, vb_json_val_t *data)
{
    bool snapshot = s_is (root->type, root->type_length, "snapshot");
    bool update = s_is (root->type, root->type_length, "update");
    const char *channel = root->channel;
    size_t length = root->channel_length;
    if (!channel)
        return VB_EINVAL;  //  Data before the channel name
    if (s_is (channel, length, "book")) {
        if (!snapshot && !update)
            return VB_EINVAL;
        return s_entries (self, data, snapshot ? s_book_snapshot_entry : s_book_update_entry);
    }
    if (s_is (channel, length, "trade"))
        return s_entries (self, data, s_trade_entry);
    if (s_is (channel, length, "ticker"))
        return s_entries (self, data, s_ticker_entry);
    if (s_is (channel, length, "ohlc"))
        return s_entries (self, data, s_ohlc_entry);
    if (s_is (channel, length, "instrument"))
        return s_instrument (self, snapshot, data);
    if (s_is (channel, length, "status"))
        return s_entries (self, data, s_status_entry);
    char quoted[S_VENUE_TEXT_MAX];
    s_quote (channel, length, quoted, sizeof (quoted));
    s_anomaly (self, NULL, "kraken: unknown channel %s", quoted);
    return VB_ENOTFOUND;
}

//  --------------------------------------------------------------------------
//  A method reply: pong, or a subscribe / unsubscribe ack; failures are
//  reported with the venue's text.

static int
s_reply (s_kraken_md_t *self, const s_root_t *root)
{
    if (s_is (root->method, root->method_length, "pong"))
        return 0;
    bool failed = (root->has_success && !root->success) || root->error;
    if (!failed)
        return root->has_success ? 0 : VB_EINVAL;
    s_symbol_t *symbol =
        root->symbol ? s_symbol_by_ws (self, root->symbol, root->symbol_length) : NULL;
    char method[S_VENUE_TEXT_MAX], error[S_VENUE_TEXT_MAX];
    s_quote (root->method, root->method_length, method, sizeof (method));
    s_quote (root->error, root->error_length, error, sizeof (error));
    s_anomaly (self, symbol, "kraken: %s failed: %s", method[0] ? method : "request",
               error[0] ? error : "no reason given");
    return 0;
}

//  --------------------------------------------------------------------------
//  One text frame.

static int
s_frame (vb_md_t *base, size_t index, const char *text, size_t length, int64_t recv_ts_ns)
{
    s_kraken_md_t *self = (s_kraken_md_t *)base;
    (void)recv_ts_ns;
    if (!self || index != 0 || (!text && length))
        return VB_EINVAL;
    vb_json_val_t root_value;
    int rc = vb_json_parse (self->json, text, length, &root_value);
    vb_json_iter_t iter;
    if (rc == 0)
        rc = vb_json_object_begin (&root_value, &iter);
    if (rc < 0) {
        s_anomaly (self, NULL, "kraken: frame is not a JSON object (%s)", vb_strerror (rc));
        return rc;
    }
    s_root_t root = {0};
    int data_rc = 0;
    size_t anomalies = self->anomalies;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (s_is (key, key_length, "channel"))
            rc = s_string (&value, &root.channel, &root.channel_length);
        else if (s_is (key, key_length, "type"))
            rc = s_string (&value, &root.type, &root.type_length);
        else if (s_is (key, key_length, "method"))
            rc = s_string (&value, &root.method, &root.method_length);
        else if (s_is (key, key_length, "error"))
            rc = s_string (&value, &root.error, &root.error_length);
        else if (s_is (key, key_length, "symbol"))
            rc = s_string (&value, &root.symbol, &root.symbol_length);
        else if (s_is (key, key_length, "success")) {
            rc = vb_json_bool (&value, &root.success);
            root.has_success = true;
        } else if (s_is (key, key_length, "data")) {
            if (root.has_data) {
                rc = VB_EINVAL;
                break;
            }
            root.has_data = true;
            data_rc = s_data (self, &root, &value);
            if (data_rc == VB_EINVAL && !root.channel)
                rc = data_rc;  //  Data before the channel name
        }
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        s_anomaly (self, NULL, "kraken: malformed frame (%s)", vb_strerror (rc));
        return rc;
    }
    if (root.has_data) {
        if (data_rc < 0 && self->anomalies == anomalies) {
            char channel[S_VENUE_TEXT_MAX];
            s_quote (root.channel, root.channel_length, channel, sizeof (channel));
            s_anomaly (self, NULL, "kraken: unusable %s message (%s)", channel,
                       vb_strerror (data_rc));
        }
        return data_rc;
    }
    if (root.channel && s_is (root.channel, root.channel_length, "heartbeat"))
        return 0;
    if (root.method || root.error)
        return s_reply (self, &root);
    s_anomaly (self, NULL, "kraken: frame of unknown shape");
    return VB_ENOTFOUND;
}

//  --------------------------------------------------------------------------
//  The connection list: one public connection.

static int
s_connections (vb_md_t *base, vb_md_connection_t *out, size_t max, size_t *count)
{
    s_kraken_md_t *self = (s_kraken_md_t *)base;
    if (!self || !count || (!out && max))
        return VB_EINVAL;
    *count = 0;
    if (max < 1)
        return VB_ETRUNC;
    memset (out, 0, sizeof (*out));
    snprintf (out->url, sizeof (out->url), "%s", self->ws_url);
    out->lifetime_ms = 0;
    out->stale_ms = S_STALE_MS;
    out->app_ping_ms = S_APP_PING_MS;
    snprintf (out->ping_text, sizeof (out->ping_text), "%s", S_PING_TEXT);
    out->max_messages_per_s = S_MESSAGES_PER_S;
    *count = 1;
    return 0;
}

//  --------------------------------------------------------------------------
//  The connection is open: subscribe everything; books follow the
//  instrument snapshot.

static int
s_opened (vb_md_t *base, size_t index)
{
    s_kraken_md_t *self = (s_kraken_md_t *)base;
    if (!self || index != 0)
        return VB_EINVAL;
    for (size_t symbol = 0; symbol < self->symbol_count; symbol++) {
        if (self->symbols[symbol].book_state != S_BOOK_IDLE)
            self->sink.book_resync (self->sink.ctx, self->symbols[symbol].pair->symbol, "reconnect",
                                    0, 0);
        self->symbols[symbol].book_state = S_BOOK_IDLE;
        for (size_t interval = 0; interval < self->interval_count; interval++)
            self->symbols[symbol].candles[interval].pending = false;
    }
    self->open = true;
    int rc = s_request (self, "subscribe", "instrument", S_SELECT_NONE, NULL, ",\"snapshot\":true");
    if (rc == 0)
        rc = s_request (self, "subscribe", "trade", S_SELECT_ALL, NULL, ",\"snapshot\":false");
    if (rc == 0)
        rc = s_request (self, "subscribe", "ticker", S_SELECT_ALL, NULL,
                        ",\"event_trigger\":\"bbo\",\"snapshot\":true");
    for (size_t interval = 0; rc == 0 && interval < self->interval_count; interval++) {
        char extra[64];
        snprintf (extra, sizeof (extra), ",\"interval\":%" PRId64 ",\"snapshot\":true",
                  self->intervals[interval]->minutes);
        rc = s_request (self, "subscribe", "ohlc", S_SELECT_ALL, NULL, extra);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  The connection closed or went stale: every book it carried is broken.

static void
s_closed (vb_md_t *base, size_t index)
{
    s_kraken_md_t *self = (s_kraken_md_t *)base;
    if (!self || index != 0)
        return;
    self->open = false;
    for (size_t symbol = 0; symbol < self->symbol_count; symbol++) {
        if (self->symbols[symbol].book_state != S_BOOK_IDLE)
            self->sink.book_resync (self->sink.ctx, self->symbols[symbol].pair->symbol, "reconnect",
                                    0, 0);
        self->symbols[symbol].book_state = S_BOOK_IDLE;
    }
}

//  --------------------------------------------------------------------------
//  Build the REST request for closed candles of interval over [from, to).
//  Kraken serves only the latest 720 candles, so one request is all there
//  is; `since` is exclusive, hence from - 1 s.

static size_t
s_candle_requests (vb_md_t *base, const char *name, const char *interval_name, int64_t from_ns,
                   int64_t to_ns, vb_md_request_t *out, size_t max)
{
    s_kraken_md_t *self = (s_kraken_md_t *)base;
    if (!self || !out || max < 1 || from_ns < 0 || to_ns <= from_ns)
        return 0;
    s_symbol_t *symbol = s_symbol_by_name (self, name);
    const s_interval_t *interval = s_interval_by_name (interval_name);
    if (!symbol || !interval)
        return 0;
    memset (out, 0, sizeof (*out));
    int64_t since_s = from_ns / VB_NS_PER_SEC - 1;
    if (since_s < 0)
        since_s = 0;
    snprintf (out->path, sizeof (out->path),
              "/0/public/OHLC?pair=%s&interval=%" PRId64 "&since=%" PRId64, symbol->pair->altname,
              interval->minutes, since_s);
    out->futures = false;
    out->weight = S_REST_WEIGHT;
    snprintf (out->symbol, sizeof (out->symbol), "%s", symbol->pair->symbol);
    out->kind = VB_MD_REST_CANDLES;
    out->from_ns = from_ns;
    out->to_ns = to_ns;
    snprintf (out->interval, sizeof (out->interval), "%s", interval->name);
    snprintf (out->base_url, sizeof (out->base_url), "%s", self->rest_url);
    return 1;
}

//  --------------------------------------------------------------------------
//  A decimal sent as a JSON string (Kraken REST).

static int
s_text_decimal (vb_json_val_t *value, vb_decimal_t *out)
{
    if (vb_json_type (value) != VB_JSON_STRING)
        return VB_ETYPE;
    return vb_json_decimal (value, out);
}

//  --------------------------------------------------------------------------
//  One OHLC row [time, "open", "high", "low", "close", "vwap", "volume",
//  count] into candle (interval and flags left to the caller).

static int
s_ohlc_row (vb_json_val_t *row, vb_md_candle_t *candle, int64_t minutes)
{
    vb_json_iter_t iter;
    int rc = vb_json_array_begin (row, &iter);
    if (rc < 0)
        return rc;
    vb_decimal_t vwap;
    vb_decimal_t *decimals[] = {&candle->open,  &candle->high, &candle->low,
                                &candle->close, &vwap,         &candle->volume};
    size_t field = 0;
    vb_json_val_t value;
    while ((rc = vb_json_array_next (&iter, &value)) == 1) {
        if (field == 0) {
            int64_t open_s;
            if ((rc = vb_json_int64 (&value, &open_s)) < 0)
                return rc;
            if (open_s < 0 || open_s > INT64_MAX / VB_NS_PER_SEC - S_SECONDS_PER_MIN * minutes)
                return VB_EOVERFLOW;
            candle->open_ts_ns = open_s * VB_NS_PER_SEC;
        } else if (field <= sizeof (decimals) / sizeof (decimals[0])) {
            if ((rc = s_text_decimal (&value, decimals[field - 1])) < 0)
                return rc;
        } else if (field == S_OHLC_ROW_FIELDS - 1) {
            if ((rc = vb_json_uint64 (&value, &candle->trades)) < 0)
                return rc;
        } else
            return VB_EINVAL;  //  More fields than a row has
        field++;
    }
    if (rc < 0)
        return rc;
    if (field != S_OHLC_ROW_FIELDS)
        return VB_EINVAL;
    candle->close_ts_ns = candle->open_ts_ns + minutes * S_SECONDS_PER_MIN * VB_NS_PER_SEC;
    return s_candle_valid (candle) ? 0 : VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  Report a backfilled candle when it lies in the requested range.

static int
s_backfill (s_kraken_md_t *self, const vb_md_request_t *request, vb_md_candle_t *candle,
            bool closed)
{
    if (candle->open_ts_ns < request->from_ns || candle->open_ts_ns >= request->to_ns)
        return 0;
    candle->closed = closed;
    candle->backfilled = true;
    if (self->collect)
        return self->collect (self->collect_arg, candle);
    return self->sink.candle (self->sink.ctx, request->symbol, candle);
}

//  --------------------------------------------------------------------------
//  The rows array of an OHLC answer: every row but the last is closed; the
//  last is held in *held for the caller, who learns `last` afterwards.

static int
s_ohlc_rows (s_kraken_md_t *self, const vb_md_request_t *request, const s_interval_t *interval,
             vb_json_val_t *rows, vb_md_candle_t *held, bool *holding)
{
    vb_json_iter_t iter;
    int rc = vb_json_array_begin (rows, &iter);
    if (rc < 0)
        return rc;
    vb_json_val_t row;
    while ((rc = vb_json_array_next (&iter, &row)) == 1) {
        vb_md_candle_t candle = {0};
        candle.interval = interval->name;
        if ((rc = s_ohlc_row (&row, &candle, interval->minutes)) < 0)
            return rc;
        if (*holding) {
            if (candle.open_ts_ns <= held->open_ts_ns)
                return VB_ESEQ;  //  Rows must go forward in time
            if ((rc = s_backfill (self, request, held, true)) < 0)
                return rc;
        }
        *held = candle;
        *holding = true;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  The error array of a REST answer: 'E' entries are errors, 'W' warnings.
//  Each is reported. Returns 0 or VB_EINVAL.

static int
s_ohlc_errors (s_kraken_md_t *self, s_symbol_t *symbol, vb_json_val_t *errors)
{
    vb_json_iter_t iter;
    int rc = vb_json_array_begin (errors, &iter);
    if (rc < 0)
        return rc;
    int result = 0;
    vb_json_val_t error;
    while ((rc = vb_json_array_next (&iter, &error)) == 1) {
        const char *text;
        size_t length;
        if ((rc = s_string (&error, &text, &length)) < 0)
            return rc;
        char quoted[S_VENUE_TEXT_MAX];
        s_quote (text, length, quoted, sizeof (quoted));
        s_anomaly (self, symbol, "kraken: OHLC error %s", quoted);
        if (length == 0 || text[0] != 'W')
            result = VB_EINVAL;
    }
    return rc < 0 ? rc : result;
}

//  --------------------------------------------------------------------------
//  The result object of an OHLC answer: the pair's rows and `last`.

static int
s_ohlc_result (s_kraken_md_t *self, const vb_md_request_t *request, s_symbol_t *symbol,
               const s_interval_t *interval, vb_json_val_t *result, vb_md_candle_t *held,
               bool *holding, int64_t *last_s, bool *has_last)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (result, &iter);
    if (rc < 0)
        return rc;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (s_is (key, key_length, "last")) {
            if ((rc = vb_json_int64 (&value, last_s)) < 0)
                return rc;
            *has_last = true;
        } else if (s_is (key, key_length, symbol->pair->key) ||
                   s_is (key, key_length, symbol->pair->altname)) {
            if ((rc = s_ohlc_rows (self, request, interval, &value, held, holding)) < 0)
                return rc;
        } else
            return VB_ENOTFOUND;  //  Rows of another pair
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  A REST answer: OHLC backfill.
//  {"error":[],"result":{"XXBTZUSD":[[...],...],"last":1688672160}}

static int
s_rest_done (vb_md_t *base, const vb_md_request_t *request, int status, const char *body,
             size_t length)
{
    s_kraken_md_t *self = (s_kraken_md_t *)base;
    const int http_ok = 200;
    if (!self || !request || (!body && length))
        return VB_EINVAL;
    s_symbol_t *symbol = s_symbol_by_name (self, request->symbol);
    const s_interval_t *interval = s_interval_by_name (request->interval);
    if (request->kind != VB_MD_REST_CANDLES || !symbol || !interval)
        return VB_EINVAL;
    if (status != http_ok) {
        s_anomaly (self, symbol, "kraken: OHLC request failed (HTTP %d)", status);
        return VB_EIO;
    }
    vb_json_val_t root;
    vb_json_iter_t iter;
    int rc = vb_json_parse (self->json, body, length, &root);
    if (rc == 0)
        rc = vb_json_object_begin (&root, &iter);
    vb_md_candle_t held = {0};
    bool holding = false, has_result = false, has_last = false;
    int64_t last_s = 0;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while (rc == 0 && (rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (s_is (key, key_length, "error"))
            rc = s_ohlc_errors (self, symbol, &value);
        else if (s_is (key, key_length, "result")) {
            has_result = true;
            rc = s_ohlc_result (self, request, symbol, interval, &value, &held, &holding, &last_s,
                                &has_last);
        } else
            rc = 0;
    }
    if (rc == 0 && !has_result)
        rc = VB_ENOTFOUND;
    if (rc < 0) {
        s_anomaly (self, symbol, "kraken: unusable OHLC answer (%s)", vb_strerror (rc));
        return rc;
    }
    //  `last` is the open time of the newest committed candle.
    if (holding)
        return s_backfill (self, request, &held,
                           has_last && held.open_ts_ns <= last_s * VB_NS_PER_SEC);
    return 0;
}

//  --------------------------------------------------------------------------
//  Decode an OHLC answer for a caller (candle history): the candles of the
//  request's range go to fn, nothing to the sink; a venue error is quoted.

static int
s_candles_decode (vb_md_t *base, const vb_md_request_t *request, int status, const char *body,
                  size_t length, vb_md_candle_fn *fn, void *arg, char *error, size_t error_size)
{
    s_kraken_md_t *self = (s_kraken_md_t *)base;
    if (!self || !request || !fn || !error || error_size == 0 || self->collect) {
        if (error && error_size)
            snprintf (error, error_size, "bad arguments");
        return VB_EINVAL;
    }
    self->anomaly[0] = 0;
    self->collect = fn;
    self->collect_arg = arg;
    int rc = s_rest_done (base, request, status, body, length);
    self->collect = NULL;
    self->collect_arg = NULL;
    snprintf (error, error_size, "%s", rc < 0 && self->anomaly[0] ? self->anomaly : "");
    if (rc < 0 && !error[0])
        snprintf (error, error_size, "kraken: unusable OHLC answer (%s)", vb_strerror (rc));
    return rc;
}

//  --------------------------------------------------------------------------
//  Kraken serves the latest 720 candles of an interval, the open one
//  included: the oldest it can serve opens 719 intervals before the
//  current one.

static int64_t
s_candle_horizon (vb_md_t *base, const char *interval_name, int64_t now_ns)
{
    const int64_t served = 720;
    const s_interval_t *interval = s_interval_by_name (interval_name);
    if (!base || !interval || now_ns <= 0)
        return 0;
    int64_t length_ns = interval->minutes * S_SECONDS_PER_MIN * VB_NS_PER_SEC;
    int64_t current = now_ns - now_ns % length_ns;
    int64_t horizon = current - (served - 1) * length_ns;
    return horizon > 0 ? horizon : 0;
}

//  --------------------------------------------------------------------------
//  Production URLs.

static const char *
s_default_url (vb_md_url_kind_t kind)
{
    return kind == VB_MD_URL_WS     ? S_WS_URL_DEFAULT
           : kind == VB_MD_URL_REST ? S_REST_URL_DEFAULT
                                    : NULL;
}

//  --------------------------------------------------------------------------
//  Book capacity the core must give each symbol's vb_book.

static size_t
s_book_capacity (vb_md_t *base, const char *name)
{
    s_kraken_md_t *self = (s_kraken_md_t *)base;
    if (!self || !s_symbol_by_name (self, name))
        return 0;
    return self->depth * S_CAPACITY_FACTOR;
}

//  --------------------------------------------------------------------------
//  Create the adapter, or NULL with the reason in error.

static vb_md_t *
s_create (const vb_md_config_t *config, const vb_md_sink_t *sink, char *error, size_t error_size)
{
    char reason[VB_MD_URL_MAX] = "";
    if (!config || !sink || !sink->book || !sink->book_begin || !sink->book_level ||
        !sink->book_commit || !sink->book_resync || !sink->trade || !sink->bbo || !sink->candle ||
        !sink->send || !sink->anomaly)
        snprintf (reason, sizeof (reason), "kraken: missing config or sink function");
    else if (!config->symbols || config->symbol_count == 0)
        snprintf (reason, sizeof (reason), "kraken: no symbols");
    else if (config->candle_interval_count && !config->candle_intervals)
        snprintf (reason, sizeof (reason), "kraken: candle intervals missing");
    else if (config->book_depth == 0 || config->book_depth > s_depths[S_DEPTH_COUNT - 1])
        snprintf (reason, sizeof (reason), "kraken: book depth %zu outside 1..%zu",
                  config->book_depth, s_depths[S_DEPTH_COUNT - 1]);
    const char *ws_url =
        config && config->ws_url && config->ws_url[0] ? config->ws_url : S_WS_URL_DEFAULT;
    const char *rest_url =
        config && config->rest_url && config->rest_url[0] ? config->rest_url : S_REST_URL_DEFAULT;
    if (!reason[0] && (strlen (ws_url) >= VB_MD_URL_MAX || strlen (rest_url) >= VB_MD_URL_MAX))
        snprintf (reason, sizeof (reason), "kraken: URL too long");
    s_kraken_md_t *self = NULL;
    if (!reason[0]) {
        self = (s_kraken_md_t *)zmalloc (sizeof (s_kraken_md_t));
        self->base.ops = &vb_kraken_md_ops;
        self->sink = *sink;
        snprintf (self->ws_url, sizeof (self->ws_url), "%s", ws_url);
        snprintf (self->rest_url, sizeof (self->rest_url), "%s", rest_url);
        self->depth = s_depths[S_DEPTH_COUNT - 1];
        for (size_t index = 0; index < S_DEPTH_COUNT; index++)
            if (s_depths[index] > config->book_depth) {
                self->depth = s_depths[index];
                break;
            }
        self->json = vb_json_new ();
        self->interval_count = config->candle_interval_count;
        self->intervals = (const s_interval_t **)zmalloc (
            (self->interval_count ? self->interval_count : 1) * sizeof (s_interval_t *));
        self->symbols = (s_symbol_t *)zmalloc (config->symbol_count * sizeof (s_symbol_t));
        self->symbol_count = config->symbol_count;
        if (!self->json)
            snprintf (reason, sizeof (reason), "kraken: out of memory");
    }
    for (size_t index = 0; !reason[0] && index < self->interval_count; index++) {
        const char *name = config->candle_intervals[index];
        self->intervals[index] = s_interval_by_name (name);
        if (!self->intervals[index])
            snprintf (reason, sizeof (reason), "kraken: unsupported candle interval %s",
                      name ? name : "(null)");
        for (size_t other = 0; !reason[0] && other < index; other++)
            if (self->intervals[other] == self->intervals[index])
                snprintf (reason, sizeof (reason), "kraken: candle interval %s twice", name);
    }
    size_t names_size = 0;
    for (size_t index = 0; !reason[0] && index < self->symbol_count; index++) {
        const char *name = config->symbols[index];
        s_symbol_t *symbol = &self->symbols[index];
        symbol->pair = name ? vb_kraken_pair_find_normalised (name) : NULL;
        if (!symbol->pair) {
            snprintf (reason, sizeof (reason), "kraken: unknown symbol %s", name ? name : "(null)");
            break;
        }
        for (size_t other = 0; other < index; other++)
            if (self->symbols[other].pair == symbol->pair)
                snprintf (reason, sizeof (reason), "kraken: symbol %s twice", name);
        symbol->ws_length = strlen (symbol->pair->ws_symbol);
        names_size += symbol->ws_length + S_SYMBOL_QUOTING;
        symbol->candles = (s_candles_t *)zmalloc (
            (self->interval_count ? self->interval_count : 1) * sizeof (s_candles_t));
    }
    if (reason[0]) {
        if (error && error_size)
            snprintf (error, error_size, "%s", reason);
        vb_md_t *base = (vb_md_t *)self;
        s_destroy (&base);
        return NULL;
    }
    self->message_size = S_MESSAGE_FIXED + names_size;
    self->message = (char *)zmalloc (self->message_size);
    return &self->base;
}

//  --------------------------------------------------------------------------
//  Destroy the adapter. Safe on NULL and twice.

static void
s_destroy (vb_md_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_kraken_md_t *self = (s_kraken_md_t *)*self_p;
    for (size_t index = 0; self->symbols && index < self->symbol_count; index++)
        freen (self->symbols[index].candles);
    freen (self->symbols);
    freen (self->intervals);
    freen (self->message);
    vb_json_destroy (&self->json);
    freen (self);
    *self_p = NULL;
}

const vb_md_ops_t vb_kraken_md_ops = {
    .name = "kraken",
    .create = s_create,
    .destroy = s_destroy,
    .connections = s_connections,
    .opened = s_opened,
    .closed = s_closed,
    .frame = s_frame,
    .rest_done = s_rest_done,
    .candle_requests = s_candle_requests,
    .default_url = s_default_url,
    .book_capacity = s_book_capacity,
    .candles_decode = s_candles_decode,
    .candle_horizon = s_candle_horizon,
};
