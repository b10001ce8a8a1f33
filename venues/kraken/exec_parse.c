/*  exec_parse.c — Kraken execution adapter: REST answers -> normalised
    results (vb_exec_ops_t.parse; see exec.c for the adapter overview).

    Envelope (venues.md 3.4): {"error":["<E|W><Category>:<message>",...],
    "result":{...}}, HTTP 200 even for business errors. The first E-string
    decides; W-strings (warnings) are ignored. Classification (venues.md 3.7,
    6.1), with prefix rows matching a longer string only at a ':' boundary:
    - REJECTED: EOrder:Insufficient funds (INSUFFICIENT_BALANCE), EOrder:Post
      only order (POST_ONLY_WOULD_TAKE), EGeneral:Invalid arguments[:...]
      (INVALID_REQUEST), EQuery:Unknown asset pair (UNKNOWN_SYMBOL),
      EOrder:Order minimum not met (INVALID_QTY), EOrder:Cost minimum not met
      (MIN_NOTIONAL), EOrder:Invalid price[:...] (INVALID_PRICE), EOrder:Orders
      limit exceeded (RISK_LIMIT);
    - NOT_FOUND: EOrder:Unknown order, EOrder:Invalid order — on cancel and
      query only (elsewhere they are unfamiliar);
    - AUTH: EAPI:Invalid key / signature / nonce / token, EGeneral:Permission
      denied, EGeneral:Temporary lockout;
    - RATE_LIMITED: EAPI:Rate limit exceeded, EOrder:Rate limit exceeded,
      EOrder:Domain rate limit exceeded, EGeneral:Too many requests, and
      EService: Throttled: <unix s> (retry_after_ms until that time);
    - UNKNOWN: EService:Unavailable, EService:Busy, EGeneral:Internal error,
      HTTP 5xx, no answer (status 0), an unparseable answer, and ANY other
      error string on a request that may_execute (never taken as a
      rejection); on other requests an unfamiliar error is REJECTED/OTHER.
    venue_code is the whole error string when it fits (31 bytes), else its
    first two ':' fields ("EGeneral:Invalid arguments"); venue_text is the
    part after the category ("Invalid arguments:volume").

    Order status (venues.md 0.3): pending -> PENDING_NEW; open -> NEW with
    vol_exec 0, PARTIALLY_FILLED with 0 < vol_exec < vol, FILLED at vol;
    closed -> FILLED; canceled -> CANCELED; expired -> EXPIRED. A fill's
    trade_id is the Kraken trade txid (TradesHistory key, WS exec_id), the
    same id on both paths so the journal never counts a fill twice; REST
    fees are in the pair's quote asset.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vb_error.h"
#include "auth.h"
#include "exec_internal.h"
#include "symbols.h"

#define S_ERROR_MAX     256  //  Longest error string kept
#define S_STATUS_MAX    32   //  Longest status text kept
#define S_HTTP_OK       200
#define S_HTTP_TOO_MANY 429
#define S_HTTP_5XX      500
#define S_NS_DIGITS     9  //  Fraction digits of a nanosecond
#define S_DAYS_400Y     146097
#define S_SECONDS_DAY   86400LL

//  One row of the error table.
typedef struct {
    const char *text;           //  Error string, or its prefix
    bool prefix;                //  Also matches text ":..." (details after a colon)
    vb_exec_outcome_t outcome;  //  How it is taken; 0 = NOT_FOUND on cancel/query only
    vb_exec_reason_t reason;
} s_error_row_t;

static const s_error_row_t s_errors[] = {
    {"EOrder:Insufficient funds", false, VB_EXEC_REJECTED, VB_EXEC_REASON_INSUFFICIENT_BALANCE},
    {"EOrder:Post only order", false, VB_EXEC_REJECTED, VB_EXEC_REASON_POST_ONLY_WOULD_TAKE},
    {"EGeneral:Invalid arguments", true, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_REQUEST},
    {"EQuery:Unknown asset pair", false, VB_EXEC_REJECTED, VB_EXEC_REASON_UNKNOWN_SYMBOL},
    {"EOrder:Order minimum not met", false, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_QTY},
    {"EOrder:Cost minimum not met", false, VB_EXEC_REJECTED, VB_EXEC_REASON_MIN_NOTIONAL},
    {"EOrder:Invalid price", true, VB_EXEC_REJECTED, VB_EXEC_REASON_INVALID_PRICE},
    {"EOrder:Orders limit exceeded", false, VB_EXEC_REJECTED, VB_EXEC_REASON_RISK_LIMIT},
    {"EOrder:Unknown order", false, 0, VB_EXEC_REASON_UNKNOWN_ORDER},
    {"EOrder:Invalid order", false, 0, VB_EXEC_REASON_UNKNOWN_ORDER},
    {"EAPI:Invalid key", false, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {"EAPI:Invalid signature", false, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {"EAPI:Invalid nonce", false, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {"EAPI:Invalid token", false, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {"EGeneral:Permission denied", false, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {"EGeneral:Temporary lockout", false, VB_EXEC_AUTH, VB_EXEC_REASON_AUTH_FAILED},
    {"EAPI:Rate limit exceeded", false, VB_EXEC_RATE_LIMITED, VB_EXEC_REASON_RATE_LIMITED},
    {"EOrder:Rate limit exceeded", false, VB_EXEC_RATE_LIMITED, VB_EXEC_REASON_RATE_LIMITED},
    {"EOrder:Domain rate limit exceeded", false, VB_EXEC_RATE_LIMITED, VB_EXEC_REASON_RATE_LIMITED},
    {"EGeneral:Too many requests", false, VB_EXEC_RATE_LIMITED, VB_EXEC_REASON_RATE_LIMITED},
    {"EService:Unavailable", false, VB_EXEC_UNKNOWN, VB_EXEC_REASON_VENUE_UNAVAILABLE},
    {"EService:Busy", false, VB_EXEC_UNKNOWN, VB_EXEC_REASON_VENUE_UNAVAILABLE},
    {"EGeneral:Internal error", false, VB_EXEC_UNKNOWN, VB_EXEC_REASON_VENUE_UNAVAILABLE},
};

//  "EService: Throttled: 1700000000" (the space after each colon optional).
#define S_THROTTLED_CATEGORY "EService:"
#define S_THROTTLED_WORD     "Throttled:"

//  --------------------------------------------------------------------------
//  Days since 1970-01-01 of a civil date (proleptic Gregorian).

static int64_t
s_days_from_civil (int64_t year, int64_t month, int64_t day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * S_DAYS_400Y + day_of_era - 719468;
}

//  --------------------------------------------------------------------------
//  Read `count` digits at text into *value; false if any is not a digit.

static bool
s_digits (const char *text, size_t count, int64_t *value)
{
    int64_t result = 0;
    for (size_t index = 0; index < count; index++) {
        if (text[index] < '0' || text[index] > '9')
            return false;
        result = result * 10 + (text[index] - '0');
    }
    *value = result;
    return true;
}

//  --------------------------------------------------------------------------
//  RFC 3339 UTC time -> ns since the epoch.

int
vb_kexec_rfc3339_ns (const char *text, size_t length, int64_t *ns)
{
    //  YYYY-MM-DDTHH:MM:SS then [.fraction] then Z
    static const size_t base_length = 19;
    if (!text || !ns || length < base_length + 1 || text[length - 1] != 'Z')
        return VB_EINVAL;
    int64_t year, month, day, hour, minute, second;
    if (!s_digits (text, 4, &year) || text[4] != '-' || !s_digits (text + 5, 2, &month) ||
        text[7] != '-' || !s_digits (text + 8, 2, &day) || (text[10] != 'T' && text[10] != 't') ||
        !s_digits (text + 11, 2, &hour) || text[13] != ':' || !s_digits (text + 14, 2, &minute) ||
        text[16] != ':' || !s_digits (text + 17, 2, &second))
        return VB_EINVAL;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return VB_EINVAL;
    int64_t fraction = 0;
    size_t rest = length - 1 - base_length;  //  Bytes between the seconds and 'Z'
    if (rest > 0) {
        size_t digits = rest - 1;
        if (text[base_length] != '.' || digits == 0 || digits > S_NS_DIGITS ||
            !s_digits (text + base_length + 1, digits, &fraction))
            return VB_EINVAL;
        for (size_t pad = digits; pad < S_NS_DIGITS; pad++)
            fraction *= 10;
    }
    int64_t days = s_days_from_civil (year, month, day);
    int64_t seconds = days * S_SECONDS_DAY + hour * 3600 + minute * 60 + second;
    if (seconds < 0)
        return VB_EINVAL;
    *ns = seconds * VB_KEXEC_NS_PER_S + fraction;
    return 0;
}

//  --------------------------------------------------------------------------
//  Decimal seconds -> ns, truncating below 1 ns.

int
vb_kexec_seconds_ns (vb_decimal_t seconds, int64_t *ns)
{
    if (!ns || vb_decimal_is_negative (seconds))
        return VB_EINVAL;
    int64_t mantissa = seconds.mantissa;
    int32_t exponent = seconds.exponent + S_NS_DIGITS;
    while (exponent < 0) {
        mantissa /= 10;
        exponent++;
    }
    while (exponent > 0) {
        if (__builtin_mul_overflow (mantissa, 10, &mantissa))
            return VB_EOVERFLOW;
        exponent--;
    }
    *ns = mantissa;
    return 0;
}

//  --------------------------------------------------------------------------
//  Status text -> state.

static bool
s_is (const char *text, size_t length, const char *word)
{
    return strlen (word) == length && memcmp (text, word, length) == 0;
}

int
vb_kexec_state (const char *status, size_t length, vb_decimal_t qty, vb_decimal_t filled,
                bool have_qty, vb_exec_state_t *state)
{
    if (!status || !state)
        return VB_EINVAL;
    if (s_is (status, length, "pending") || s_is (status, length, "pending_new"))
        *state = VB_EXEC_STATE_PENDING_NEW;
    else if (s_is (status, length, "open")) {
        if (!have_qty || vb_decimal_is_zero (filled))
            *state = VB_EXEC_STATE_NEW;
        else if (vb_decimal_cmp (filled, qty) >= 0)
            *state = VB_EXEC_STATE_FILLED;
        else
            *state = VB_EXEC_STATE_PARTIALLY_FILLED;
    } else if (s_is (status, length, "new"))
        *state = VB_EXEC_STATE_NEW;
    else if (s_is (status, length, "partially_filled"))
        *state = VB_EXEC_STATE_PARTIALLY_FILLED;
    else if (s_is (status, length, "closed") || s_is (status, length, "filled"))
        *state = VB_EXEC_STATE_FILLED;
    else if (s_is (status, length, "canceled"))
        *state = VB_EXEC_STATE_CANCELED;
    else if (s_is (status, length, "expired"))
        *state = VB_EXEC_STATE_EXPIRED;
    else
        return VB_EINVAL;
    return 0;
}

//  --------------------------------------------------------------------------
//  JSON helpers: a string into a buffer; a decimal.

static int
s_string (vb_json_val_t *value, char *out, size_t size)
{
    const char *text;
    size_t length;
    int rc = vb_json_string (value, &text, &length);
    return rc ? rc : vb_kexec_copy (out, size, text, length);
}

//  --------------------------------------------------------------------------
//  Fill in venue_code and venue_text from an error string.

static void
s_codes (vb_exec_result_t *result, const char *error)
{
    size_t length = strlen (error);
    if (length < sizeof (result->venue_code))
        vb_kexec_copy (result->venue_code, sizeof (result->venue_code), error, length);
    else {
        const char *first = strchr (error, ':');
        const char *second = first ? strchr (first + 1, ':') : NULL;
        size_t cut = second ? (size_t)(second - error) : length;
        if (cut >= sizeof (result->venue_code))
            cut = sizeof (result->venue_code) - 1;
        vb_kexec_copy (result->venue_code, sizeof (result->venue_code), error, cut);
    }
    const char *colon = strchr (error, ':');
    const char *message = colon ? colon + 1 : error;
    while (*message == ' ')
        message++;
    size_t message_length = strlen (message);
    if (message_length >= sizeof (result->venue_text))
        message_length = sizeof (result->venue_text) - 1;
    vb_kexec_copy (result->venue_text, sizeof (result->venue_text), message, message_length);
}

//  --------------------------------------------------------------------------
//  "EService: Throttled: <ts>": true, with the wait until ts (0 if unknown).

static bool
s_throttled (const char *error, int64_t *retry_after_ms)
{
    size_t category = strlen (S_THROTTLED_CATEGORY);
    if (strncmp (error, S_THROTTLED_CATEGORY, category) != 0)
        return false;
    const char *cursor = error + category;
    while (*cursor == ' ')
        cursor++;
    size_t word = strlen (S_THROTTLED_WORD);
    if (strncmp (cursor, S_THROTTLED_WORD, word) != 0)
        return false;
    cursor += word;
    while (*cursor == ' ')
        cursor++;
    *retry_after_ms = 0;
    vb_decimal_t until;
    int64_t until_ns = 0;
    if (vb_decimal_parse (cursor, strlen (cursor), &until) == 0 &&
        vb_kexec_seconds_ns (until, &until_ns) == 0) {
        struct timespec now;
        clock_gettime (CLOCK_REALTIME, &now);
        int64_t now_ns = (int64_t)now.tv_sec * VB_KEXEC_NS_PER_S + now.tv_nsec;
        if (until_ns > now_ns)
            *retry_after_ms = (until_ns - now_ns + VB_KEXEC_NS_PER_MS - 1) / VB_KEXEC_NS_PER_MS;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Classify an error string for this request.

static void
s_classify (const vb_exec_request_t *request, const char *error, vb_exec_result_t *result)
{
    s_codes (result, error);
    if (s_throttled (error, &result->retry_after_ms)) {
        result->outcome = VB_EXEC_RATE_LIMITED;
        result->reason = VB_EXEC_REASON_RATE_LIMITED;
        return;
    }
    bool order_lookup = request->kind == VB_EXEC_REQ_CANCEL || request->kind == VB_EXEC_REQ_QUERY;
    for (size_t index = 0; index < sizeof (s_errors) / sizeof (s_errors[0]); index++) {
        const s_error_row_t *row = &s_errors[index];
        size_t length = strlen (row->text);
        bool match =
            strcmp (error, row->text) == 0 ||
            (row->prefix && strncmp (error, row->text, length) == 0 && error[length] == ':');
        if (!match)
            continue;
        if (row->outcome == 0 && !order_lookup)
            break;  //  Unfamiliar here
        result->outcome = row->outcome ? row->outcome : VB_EXEC_NOT_FOUND;
        result->reason = row->reason;
        return;
    }
    result->outcome = request->may_execute ? VB_EXEC_UNKNOWN : VB_EXEC_REJECTED;
    result->reason = VB_EXEC_REASON_OTHER;
}

//  --------------------------------------------------------------------------
//  A REST order object (OpenOrders, QueryOrders) -> report.

static int
s_order (vb_json_val_t *entry, const char *txid, size_t txid_length, vb_exec_report_t *report)
{
    memset (report, 0, sizeof (*report));
    if (vb_kexec_copy (report->venue_order_id, sizeof (report->venue_order_id), txid,
                       txid_length) != 0)
        return VB_EINVAL;
    char status[S_STATUS_MAX] = "";
    bool have_qty = false, have_filled = false, have_pair = false, have_side = false;
    bool unknown_pair = false;
    int64_t open_ns = 0, close_ns = 0;
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (entry, &iter);
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while (rc == 0 && (rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        rc = 0;
        vb_decimal_t seconds;
        if (s_is (key, key_length, "cl_ord_id") && vb_json_type (&value) == VB_JSON_STRING)
            rc = s_string (&value, report->client_order_id, sizeof (report->client_order_id));
        else if (s_is (key, key_length, "status"))
            rc = s_string (&value, status, sizeof (status));
        else if (s_is (key, key_length, "opentm") || s_is (key, key_length, "closetm")) {
            int64_t *target = key[0] == 'o' ? &open_ns : &close_ns;
            rc = vb_json_decimal (&value, &seconds);
            rc = rc ? rc : vb_kexec_seconds_ns (seconds, target);
        } else if (s_is (key, key_length, "vol")) {
            rc = vb_json_decimal (&value, &report->qty);
            have_qty = rc == 0;
        } else if (s_is (key, key_length, "vol_exec")) {
            rc = vb_json_decimal (&value, &report->filled_qty);
            have_filled = rc == 0;
        } else if (s_is (key, key_length, "descr")) {
            vb_json_iter_t fields;
            const char *name;
            size_t name_length;
            vb_json_val_t field;
            rc = vb_json_object_begin (&value, &fields);
            while (rc == 0 &&
                   (rc = vb_json_object_next (&fields, &name, &name_length, &field)) == 1) {
                rc = 0;
                char text[VB_EXEC_ID_MAX];
                if (s_is (name, name_length, "pair")) {
                    rc = s_string (&field, text, sizeof (text));
                    if (rc == 0 && vb_kraken_symbol_normalise (text, report->symbol,
                                                               sizeof (report->symbol)) > 0)
                        have_pair = true;
                    else if (rc == 0)
                        unknown_pair = true;
                } else if (s_is (name, name_length, "type")) {
                    rc = s_string (&field, text, sizeof (text));
                    report->side = strcmp (text, "buy") == 0    ? VB_EXEC_BUY
                                   : strcmp (text, "sell") == 0 ? VB_EXEC_SELL
                                                                : 0;
                    have_side = rc == 0 && report->side != 0;
                } else if (s_is (name, name_length, "price"))
                    rc = vb_json_decimal (&field, &report->price);
            }
        }
    }
    if (rc < 0)
        return rc;
    if (unknown_pair)
        return VB_ENOTFOUND;  //  A pair symbols.c does not list: not ours
    if (!status[0] || !have_qty || !have_filled || !have_pair || !have_side)
        return VB_EINVAL;
    report->update_ts_ns = close_ns ? close_ns : open_ns;
    return vb_kexec_state (status, strlen (status), report->qty, report->filled_qty, true,
                           &report->state);
}

//  --------------------------------------------------------------------------
//  A REST trade object (TradesHistory) -> fill.

static int
s_trade (vb_json_val_t *entry, const char *txid, size_t txid_length, vb_exec_fill_t *fill)
{
    memset (fill, 0, sizeof (*fill));
    if (vb_kexec_copy (fill->trade_id, sizeof (fill->trade_id), txid, txid_length) != 0)
        return VB_EINVAL;
    bool have_pair = false, have_price = false, have_qty = false, have_order = false;
    bool unknown_pair = false;
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (entry, &iter);
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while (rc == 0 && (rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        rc = 0;
        char text[VB_EXEC_ID_MAX];
        vb_decimal_t seconds;
        if (s_is (key, key_length, "ordertxid")) {
            rc = s_string (&value, fill->venue_order_id, sizeof (fill->venue_order_id));
            have_order = rc == 0;
        } else if (s_is (key, key_length, "pair")) {
            rc = s_string (&value, text, sizeof (text));
            const vb_kraken_pair_t *pair = rc == 0 ? vb_kraken_pair_find (text) : NULL;
            if (pair) {
                vb_kexec_copy (fill->symbol, sizeof (fill->symbol), pair->symbol,
                               strlen (pair->symbol));
                if (vb_kraken_asset_normalise (pair->quote, fill->fee_asset,
                                               sizeof (fill->fee_asset)) < 0)
                    fill->fee_asset[0] = '\0';
                have_pair = true;
            } else if (rc == 0)
                unknown_pair = true;
        } else if (s_is (key, key_length, "time")) {
            rc = vb_json_decimal (&value, &seconds);
            rc = rc ? rc : vb_kexec_seconds_ns (seconds, &fill->ts_ns);
        } else if (s_is (key, key_length, "type")) {
            rc = s_string (&value, text, sizeof (text));
            fill->side = strcmp (text, "buy") == 0    ? VB_EXEC_BUY
                         : strcmp (text, "sell") == 0 ? VB_EXEC_SELL
                                                      : 0;
        } else if (s_is (key, key_length, "price")) {
            rc = vb_json_decimal (&value, &fill->price);
            have_price = rc == 0;
        } else if (s_is (key, key_length, "vol")) {
            rc = vb_json_decimal (&value, &fill->qty);
            have_qty = rc == 0;
        } else if (s_is (key, key_length, "fee"))
            rc = vb_json_decimal (&value, &fill->fee);
        else if (s_is (key, key_length, "maker") && vb_json_type (&value) == VB_JSON_BOOL)
            rc = vb_json_bool (&value, &fill->maker);
    }
    if (rc < 0)
        return rc;
    if (unknown_pair)
        return VB_ENOTFOUND;  //  Not ours
    if (!have_pair || !have_price || !have_qty || !have_order || fill->side == 0)
        return VB_EINVAL;
    return 0;
}

//  --------------------------------------------------------------------------
//  Walk an object of keyed entries (orders or trades) and hand each on.
//  Entries that do not parse are skipped; the first error is returned.

static int
s_orders (vb_json_val_t *object, const vb_exec_request_t *request, const vb_exec_sink_t *sink,
          vb_exec_result_t *result, bool query)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (object, &iter);
    if (rc != 0)
        return rc;
    int failed = 0;
    bool picked = false;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        vb_exec_report_t report;
        int entry_rc = s_order (&value, key, key_length, &report);
        if (entry_rc != 0) {
            if (entry_rc != VB_ENOTFOUND)
                failed = failed ? failed : entry_rc;
            continue;
        }
        if (request->symbol[0] && strcmp (report.symbol, request->symbol) != 0)
            continue;
        if (!query) {
            if (sink && sink->order)
                sink->order (sink->ctx, &report);
            continue;
        }
        if (strcmp (report.client_order_id, request->client_order_id) != 0)
            continue;
        //  cl_ord_id is unique among open orders only: prefer a live one,
        //  else the newest.
        bool live = report.state == VB_EXEC_STATE_NEW ||
                    report.state == VB_EXEC_STATE_PARTIALLY_FILLED ||
                    report.state == VB_EXEC_STATE_PENDING_NEW;
        bool best_live = picked && (result->report.state == VB_EXEC_STATE_NEW ||
                                    result->report.state == VB_EXEC_STATE_PARTIALLY_FILLED ||
                                    result->report.state == VB_EXEC_STATE_PENDING_NEW);
        if (!picked || (live && !best_live) ||
            (live == best_live && report.update_ts_ns > result->report.update_ts_ns)) {
            result->report = report;
            picked = true;
        }
    }
    if (rc < 0)
        return rc;
    if (query) {
        result->has_report = picked;
        if (!picked) {
            if (failed)
                return failed;
            result->outcome = VB_EXEC_NOT_FOUND;
            result->reason = VB_EXEC_REASON_UNKNOWN_ORDER;
            snprintf (result->venue_text, sizeof (result->venue_text), "no order with cl_ord_id %s",
                      request->client_order_id);
        }
        return 0;
    }
    return failed;
}

//  --------------------------------------------------------------------------
//  Find one field of the result object (first level).

static int
s_field (vb_json_val_t *object, const char *name, vb_json_val_t *out)
{
    return vb_json_find (object, name, out);
}

//  --------------------------------------------------------------------------
//  PLACE: {"descr":{...},"txid":["O..."]} -> report from the request body.

static int
s_place_result (vb_json_val_t *object, const vb_exec_request_t *request, vb_exec_result_t *result)
{
    vb_json_val_t txids, first;
    vb_json_iter_t iter;
    int rc = s_field (object, "txid", &txids);
    rc = rc ? rc : vb_json_array_begin (&txids, &iter);
    rc = rc ? rc : vb_json_array_next (&iter, &first) == 1 ? 0 : VB_EINVAL;
    vb_exec_report_t *report = &result->report;
    rc = rc ? rc : s_string (&first, report->venue_order_id, sizeof (report->venue_order_id));
    if (rc != 0)
        return rc;
    vb_kexec_copy (report->client_order_id, sizeof (report->client_order_id),
                   request->client_order_id, strlen (request->client_order_id));
    vb_kexec_copy (report->symbol, sizeof (report->symbol), request->symbol,
                   strlen (request->symbol));
    const char *text;
    size_t length;
    if (vb_kraken_form_value (request->body, request->body_length, "type", &text, &length) == 0)
        report->side = s_is (text, length, "buy")    ? VB_EXEC_BUY
                       : s_is (text, length, "sell") ? VB_EXEC_SELL
                                                     : 0;
    if (vb_kraken_form_value (request->body, request->body_length, "price", &text, &length) == 0)
        vb_decimal_parse (text, length, &report->price);
    if (vb_kraken_form_value (request->body, request->body_length, "volume", &text, &length) == 0) {
        vb_decimal_parse (text, length, &report->qty);
        report->filled_qty.exponent = report->qty.exponent;
    }
    report->state = VB_EXEC_STATE_NEW;
    result->has_report = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  CANCEL / CANCEL_ALL: {"count":N}.

static int
s_cancel_result (vb_json_val_t *object, const vb_exec_request_t *request, vb_exec_result_t *result)
{
    vb_json_val_t value;
    int64_t count = 0;
    int rc = s_field (object, "count", &value);
    rc = rc ? rc : vb_json_int64 (&value, &count);
    if (rc != 0 || count < 0)
        return rc ? rc : VB_EINVAL;
    if (request->kind == VB_EXEC_REQ_CANCEL_ALL)
        return 0;
    if (count == 0) {
        result->outcome = VB_EXEC_NOT_FOUND;
        result->reason = VB_EXEC_REASON_UNKNOWN_ORDER;
        return 0;
    }
    //  Canceled; the quantities are not in the answer (filled_qty unknown: 0).
    vb_exec_report_t *report = &result->report;
    vb_kexec_copy (report->client_order_id, sizeof (report->client_order_id),
                   request->client_order_id, strlen (request->client_order_id));
    vb_kexec_copy (report->symbol, sizeof (report->symbol), request->symbol,
                   strlen (request->symbol));
    report->state = VB_EXEC_STATE_CANCELED;
    result->has_report = true;
    return 0;
}

//  --------------------------------------------------------------------------
//  FILLS: {"trades":{...},"count":N}.

static int
s_fills_result (vb_json_val_t *object, const vb_exec_request_t *request, const vb_exec_sink_t *sink)
{
    vb_json_val_t trades;
    vb_json_iter_t iter;
    int rc = s_field (object, "trades", &trades);
    rc = rc ? rc : vb_json_object_begin (&trades, &iter);
    if (rc != 0)
        return rc;
    int failed = 0;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        vb_exec_fill_t fill;
        int entry_rc = s_trade (&value, key, key_length, &fill);
        if (entry_rc != 0) {
            if (entry_rc != VB_ENOTFOUND)
                failed = failed ? failed : entry_rc;
            continue;
        }
        if (request->symbol[0] && strcmp (fill.symbol, request->symbol) != 0)
            continue;
        if (sink && sink->fill)
            sink->fill (sink->ctx, &fill);
    }
    return rc < 0 ? rc : failed;
}

//  --------------------------------------------------------------------------
//  BALANCES: {"ZUSD":"1.0"} (Balance) or {"ZUSD":{"balance":"1.0",
//  "hold_trade":"0.2"}} (BalanceEx). Read-only variants (XBT.F, ...) are
//  skipped; codes not in symbols.c go through as Kraken spells them.

static int
s_balances_result (vb_json_val_t *object, const vb_exec_sink_t *sink)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (object, &iter);
    if (rc != 0)
        return rc;
    int failed = 0;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        char code[VB_EXEC_ID_MAX], asset[VB_EXEC_ID_MAX];
        if (vb_kexec_copy (code, sizeof (code), key, key_length) != 0 || !code[0]) {
            failed = failed ? failed : VB_EINVAL;
            continue;
        }
        if (strchr (code, '.'))
            continue;
        if (vb_kraken_asset_normalise (code, asset, sizeof (asset)) < 0)
            vb_kexec_copy (asset, sizeof (asset), code, strlen (code));
        vb_decimal_t total = {0, 0}, hold = {0, 0}, free_amount;
        int entry_rc;
        if (vb_json_type (&value) == VB_JSON_OBJECT) {
            vb_json_val_t field;
            entry_rc = s_field (&value, "balance", &field);
            entry_rc = entry_rc ? entry_rc : vb_json_decimal (&field, &total);
            if (entry_rc == 0 && s_field (&value, "hold_trade", &field) == 0)
                entry_rc = vb_json_decimal (&field, &hold);
        } else
            entry_rc = vb_json_decimal (&value, &total);
        entry_rc = entry_rc ? entry_rc : vb_decimal_sub (total, hold, &free_amount);
        if (entry_rc != 0) {
            failed = failed ? failed : entry_rc;
            continue;
        }
        if (sink && sink->balance)
            sink->balance (sink->ctx, asset, free_amount, hold);
    }
    return rc < 0 ? rc : failed;
}

//  --------------------------------------------------------------------------
//  KEY_PERMISSIONS: GetApiKeyInfo (venues.md 3.8).

static int
s_permissions_result (vb_json_val_t *object, const vb_exec_sink_t *sink)
{
    vb_exec_permissions_t permissions = {0};
    bool have_permissions = false, have_ips = false;
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (object, &iter);
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while (rc == 0 && (rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        rc = 0;
        bool grants = s_is (key, key_length, "permissions");
        if (!grants && !s_is (key, key_length, "ipAllowlist"))
            continue;
        vb_json_iter_t items;
        vb_json_val_t item;
        rc = vb_json_array_begin (&value, &items);
        while (rc == 0 && (rc = vb_json_array_next (&items, &item)) == 1) {
            rc = 0;
            const char *text;
            size_t length;
            if (vb_json_string (&item, &text, &length) != 0) {
                rc = VB_ETYPE;
                break;
            }
            if (!grants) {
                permissions.ip_restricted = true;
                continue;
            }
            if (s_is (text, length, "withdraw-funds"))
                permissions.can_withdraw = true;
            else if (s_is (text, length, "modify-trades"))
                permissions.can_trade = true;
            else if (s_is (text, length, "query-funds") ||
                     s_is (text, length, "query-open-trades") ||
                     s_is (text, length, "query-closed-trades"))
                permissions.can_read = true;
        }
        if (rc == 0)
            *(grants ? &have_permissions : &have_ips) = true;
    }
    if (rc < 0)
        return rc;
    if (!have_permissions || !have_ips)
        return VB_EINVAL;
    if (sink && sink->permissions)
        sink->permissions (sink->ctx, &permissions);
    return 0;
}

//  --------------------------------------------------------------------------
//  INSTRUMENTS: AssetPairs; rules of the pairs symbols.c lists.

static int
s_rules_entry (vb_json_val_t *entry, vb_kexec_rules_t *rules)
{
    vb_kexec_rules_t loaded;
    memset (&loaded, 0, sizeof (loaded));
    snprintf (loaded.status, sizeof (loaded.status), "online");
    bool have_price = false, have_lot = false, have_min = false, have_tick = false;
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (entry, &iter);
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while (rc == 0 && (rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        rc = 0;
        int64_t number = 0;
        if (s_is (key, key_length, "pair_decimals") || s_is (key, key_length, "lot_decimals")) {
            rc = vb_json_int64 (&value, &number);
            if (rc == 0 && (number < 0 || number > -VB_DECIMAL_EXPONENT_MIN))
                rc = VB_EINVAL;
            if (rc == 0 && key[0] == 'p') {
                loaded.pair_decimals = (int32_t)number;
                have_price = true;
            } else if (rc == 0) {
                loaded.lot_decimals = (int32_t)number;
                have_lot = true;
            }
        } else if (s_is (key, key_length, "ordermin")) {
            rc = vb_json_decimal (&value, &loaded.ordermin);
            have_min = rc == 0;
        } else if (s_is (key, key_length, "costmin")) {
            rc = vb_json_decimal (&value, &loaded.costmin);
            loaded.has_costmin = rc == 0;
        } else if (s_is (key, key_length, "tick_size")) {
            rc = vb_json_decimal (&value, &loaded.tick_size);
            have_tick = rc == 0;
        } else if (s_is (key, key_length, "status"))
            rc = s_string (&value, loaded.status, sizeof (loaded.status));
    }
    if (rc < 0)
        return rc;
    if (!have_price || !have_lot || !have_min || vb_decimal_is_negative (loaded.ordermin) ||
        vb_decimal_is_negative (loaded.costmin) ||
        (have_tick &&
         (vb_decimal_is_zero (loaded.tick_size) || vb_decimal_is_negative (loaded.tick_size))))
        return VB_EINVAL;
    if (!have_tick) {
        loaded.tick_size.mantissa = 1;
        loaded.tick_size.exponent = -loaded.pair_decimals;
    }
    loaded.loaded = true;
    *rules = loaded;
    return 0;
}

static int
s_instruments_result (vb_kexec_t *self, vb_json_val_t *object)
{
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (object, &iter);
    if (rc != 0)
        return rc;
    int failed = 0;
    size_t loaded = 0;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        char name[VB_EXEC_ID_MAX];
        if (vb_kexec_copy (name, sizeof (name), key, key_length) != 0)
            continue;
        const vb_kraken_pair_t *pair = vb_kraken_pair_find (name);
        if (!pair)
            continue;
        for (size_t index = 0; index < self->rule_count; index++)
            if (vb_kraken_pair_at (index) == pair) {
                int entry_rc = s_rules_entry (&value, &self->rules[index]);
                failed = failed ? failed : entry_rc;
                loaded += entry_rc == 0;
            }
    }
    if (rc < 0)
        return rc;
    return failed ? failed : loaded ? 0 : VB_ENOTFOUND;  //  None of our pairs: not AssetPairs
}

//  --------------------------------------------------------------------------
//  STREAM_TOKEN: {"token":"...","expires":900}; kept for stream_token.

static int
s_token_result (vb_kexec_t *self, vb_json_val_t *object)
{
    vb_json_val_t value;
    char token[VB_KEXEC_TOKEN_MAX];
    int rc = s_field (object, "token", &value);
    rc = rc ? rc : s_string (&value, token, sizeof (token));
    if (rc != 0 || !token[0])
        return rc ? rc : VB_EINVAL;
    memcpy (self->token, token, sizeof (token));
    vb_hmac_wipe (token, sizeof (token));
    return 0;
}

//  --------------------------------------------------------------------------
//  The result object for this request's kind.

static int
s_result (vb_kexec_t *self, const vb_exec_request_t *request, vb_json_val_t *object,
          const vb_exec_sink_t *sink, vb_exec_result_t *result)
{
    if (vb_json_type (object) != VB_JSON_OBJECT)
        return VB_ETYPE;
    vb_json_val_t inner;
    int rc;
    switch (request->kind) {
        case VB_EXEC_REQ_INSTRUMENTS:
            return s_instruments_result (self, object);
        case VB_EXEC_REQ_PLACE:
            return s_place_result (object, request, result);
        case VB_EXEC_REQ_CANCEL:
        case VB_EXEC_REQ_CANCEL_ALL:
            return s_cancel_result (object, request, result);
        case VB_EXEC_REQ_QUERY:
            return s_orders (object, request, sink, result, true);
        case VB_EXEC_REQ_OPEN_ORDERS:
            rc = s_field (object, "open", &inner);
            return rc ? rc : s_orders (&inner, request, sink, result, false);
        case VB_EXEC_REQ_FILLS:
            return s_fills_result (object, request, sink);
        case VB_EXEC_REQ_BALANCES:
            return s_balances_result (object, sink);
        case VB_EXEC_REQ_KEY_PERMISSIONS:
            return s_permissions_result (object, sink);
        case VB_EXEC_REQ_STREAM_TOKEN:
            return s_token_result (self, object);
    }
    return VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  Retry-After (seconds) from the response headers, in ms; 0 if absent.

static int64_t
s_retry_after_ms (const char *const *headers, size_t header_count)
{
    static const char name[] = "retry-after:";
    for (size_t index = 0; headers && index < header_count; index++) {
        const char *header = headers[index];
        if (!header || strncasecmp (header, name, strlen (name)) != 0)
            continue;
        const char *cursor = header + strlen (name);
        while (*cursor == ' ')
            cursor++;
        char *end = NULL;
        long long seconds = strtoll (cursor, &end, 10);
        if (end != cursor && seconds > 0 && seconds < INT64_MAX / VB_KEXEC_MS_PER_S)
            return (int64_t)seconds * VB_KEXEC_MS_PER_S;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The envelope: the first E-error into error (""), the result processed.

static int
s_envelope (vb_kexec_t *self, const vb_exec_request_t *request, const char *body, size_t length,
            const vb_exec_sink_t *sink, vb_exec_result_t *result, char *error, size_t error_size,
            bool *have_result)
{
    error[0] = '\0';
    *have_result = false;
    if (!body || length == 0)
        return VB_EINVAL;
    vb_json_val_t root, value;
    int rc = vb_json_parse (self->json, body, length, &root);
    if (rc != 0)
        return rc;
    vb_json_iter_t iter;
    rc = vb_json_object_begin (&root, &iter);
    if (rc != 0)
        return rc;
    bool have_errors = false;
    int result_rc = 0;
    const char *key;
    size_t key_length;
    while ((rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (s_is (key, key_length, "error")) {
            vb_json_iter_t items;
            vb_json_val_t item;
            rc = vb_json_array_begin (&value, &items);
            while (rc == 0 && (rc = vb_json_array_next (&items, &item)) == 1) {
                rc = 0;
                const char *text;
                size_t text_length;
                if (vb_json_string (&item, &text, &text_length) != 0)
                    return VB_ETYPE;
                if (!error[0] && text_length > 0 && text[0] == 'E') {
                    if (text_length >= error_size)
                        text_length = error_size - 1;
                    vb_kexec_copy (error, error_size, text, text_length);
                }
            }
            if (rc < 0)
                return rc;
            have_errors = true;
        } else if (s_is (key, key_length, "result") && !error[0]) {
            *have_result = true;
            result_rc = s_result (self, request, &value, sink, result);
        }
    }
    if (rc < 0)
        return rc;
    if (!have_errors && !*have_result)
        return VB_EINVAL;
    return error[0] ? 0 : result_rc;
}

//  --------------------------------------------------------------------------
//  Parse the answer to a request.

int
vb_kexec_parse (vb_exec_t *base, const vb_exec_request_t *request, int http_status,
                const char *const *headers, size_t header_count, const char *body, size_t length,
                const vb_exec_sink_t *sink, vb_exec_result_t *result,
                void (*usage) (void *ctx, size_t bucket, int64_t used), void *usage_ctx)
{
    (void)usage;  //  Kraken sends no usage headers
    (void)usage_ctx;
    vb_kexec_t *self = (vb_kexec_t *)base;
    if (!result)
        return VB_EINVAL;
    memset (result, 0, sizeof (*result));
    result->outcome = VB_EXEC_UNKNOWN;
    result->reason = VB_EXEC_REASON_OTHER;
    if (!self || !request)
        return VB_EINVAL;
    if (http_status == 0) {
        result->reason = VB_EXEC_REASON_VENUE_UNAVAILABLE;
        snprintf (result->venue_text, sizeof (result->venue_text),
                  "no answer (timeout or connection lost)");
        return 0;
    }
    if (http_status >= S_HTTP_5XX || http_status == S_HTTP_TOO_MANY) {
        snprintf (result->venue_code, sizeof (result->venue_code), "HTTP %d", http_status);
        snprintf (result->venue_text, sizeof (result->venue_text), "HTTP status %d", http_status);
        if (http_status == S_HTTP_TOO_MANY) {
            result->outcome = VB_EXEC_RATE_LIMITED;
            result->reason = VB_EXEC_REASON_RATE_LIMITED;
            result->retry_after_ms = s_retry_after_ms (headers, header_count);
        } else
            result->reason = VB_EXEC_REASON_VENUE_UNAVAILABLE;
        return 0;
    }
    char error[S_ERROR_MAX];
    bool have_result = false;
    int rc =
        s_envelope (self, request, body, length, sink, result, error, sizeof (error), &have_result);
    if (error[0]) {
        result->has_report = false;
        memset (&result->report, 0, sizeof (result->report));
        s_classify (request, error, result);
        //  Off-200 answers are transport problems first: only a known
        //  Kraken error string is believed.
        if (http_status != S_HTTP_OK && result->reason == VB_EXEC_REASON_OTHER)
            result->outcome = request->may_execute ? VB_EXEC_UNKNOWN : VB_EXEC_REJECTED;
        return 0;
    }
    if (rc != 0 || http_status != S_HTTP_OK) {
        //  Not seen: the router reconciles (may_execute) or asks again.
        int status = http_status;
        memset (result, 0, sizeof (*result));
        result->outcome = VB_EXEC_UNKNOWN;
        result->reason = VB_EXEC_REASON_OTHER;
        snprintf (result->venue_code, sizeof (result->venue_code), "HTTP %d", status);
        snprintf (result->venue_text, sizeof (result->venue_text), "unreadable answer (%s)",
                  rc ? vb_strerror (rc) : "unexpected HTTP status");
        return rc ? rc : VB_EINVAL;
    }
    if (result->outcome == VB_EXEC_UNKNOWN)
        result->outcome = VB_EXEC_OK;
    if (result->outcome == VB_EXEC_OK)
        result->reason = VB_EXEC_REASON_NONE;
    return 0;
}
