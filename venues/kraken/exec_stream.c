/*  exec_stream.c — Kraken execution adapter: WS v2 `executions` frames ->
    order reports and fills (vb_exec_ops_t.stream_frame; venues.md 3.6).

    Frames:
    - acks {"method":"subscribe","success":true|false,"error":...}: a failed
      subscribe returns VB_EAUTH for a token error (fetch a new token) and
      VB_EINVAL otherwise; pong and other method answers return 0;
    - {"channel":"heartbeat"|"status"|...}: ignored (0);
    - {"channel":"executions","type":"snapshot"|"update","data":[...],
      "sequence":N}: every record goes to sink->order (when it carries a
      state) and trade records (exec_type "trade") to sink->fill as well.
    Sequence: a snapshot sets the base; an update must be base + 1. A jump
    forward is delivered and then reported with VB_ESEQ (the router
    reconciles over REST); an update at or below the last sequence (repeat,
    replay) is not delivered and returns VB_ESEQ.
    Kraken's records are sparse ("new", "canceled" carry only the ids), so
    the adapter keeps what it has seen of each live order (symbol, side,
    cl_ord_id, price, qty, filled) in a fixed set-associative cache of
    VB_KEXEC_CACHE_SETS x VB_KEXEC_CACHE_WAYS entries (no allocation; the
    least recently used entry of a full set is replaced; terminal orders are
    dropped). A fill's trade_id is exec_id, the trade txid that
    TradesHistory keys its entries by.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdio.h>
#include <string.h>

#include "vb_error.h"
#include "exec_internal.h"
#include "symbols.h"

#define S_TEXT_MAX   64  //  Status, type and side texts
#define S_FNV_OFFSET 14695981039346656037ULL
#define S_FNV_PRIME  1099511628211ULL

//  One executions record as read.
typedef struct {
    char order_id[VB_EXEC_ID_MAX];
    char client_order_id[VB_EXEC_ID_MAX];
    char symbol[VB_KEXEC_SYMBOL_MAX];
    vb_exec_side_t side;
    char order_status[S_TEXT_MAX];
    char exec_type[S_TEXT_MAX];
    char exec_id[VB_EXEC_ID_MAX];
    bool have_qty, have_price, have_cum, have_last_qty, have_last_price, have_fee, maker;
    vb_decimal_t qty, price, cum_qty, last_qty, last_price, fee;
    char fee_asset[16];
    int64_t ts_ns;
} s_record_t;

//  --------------------------------------------------------------------------
//  Order cache: find, or claim a slot for, an order id.

static vb_kexec_cached_t *
s_cache (vb_kexec_t *self, const char *order_id, bool create)
{
    uint64_t hash = S_FNV_OFFSET;
    for (const unsigned char *cursor = (const unsigned char *)order_id; *cursor; cursor++)
        hash = (hash ^ *cursor) * S_FNV_PRIME;
    vb_kexec_cached_t *set = &self->cache[(hash & (VB_KEXEC_CACHE_SETS - 1)) * VB_KEXEC_CACHE_WAYS];
    vb_kexec_cached_t *victim = &set[0];
    for (size_t way = 0; way < VB_KEXEC_CACHE_WAYS; way++) {
        vb_kexec_cached_t *entry = &set[way];
        if (entry->used && strcmp (entry->order_id, order_id) == 0) {
            entry->stamp = ++self->cache_clock;
            return entry;
        }
        if (!entry->used)
            victim = entry;
        else if (victim->used && entry->stamp < victim->stamp)
            victim = entry;
    }
    if (!create)
        return NULL;
    memset (victim, 0, sizeof (*victim));
    victim->used = true;
    victim->stamp = ++self->cache_clock;
    vb_kexec_copy (victim->order_id, sizeof (victim->order_id), order_id, strlen (order_id));
    return victim;
}

//  --------------------------------------------------------------------------
//  Small readers.

static bool
s_is (const char *text, size_t length, const char *word)
{
    return strlen (word) == length && memcmp (text, word, length) == 0;
}

static int
s_string (vb_json_val_t *value, char *out, size_t size)
{
    const char *text;
    size_t length;
    int rc = vb_json_string (value, &text, &length);
    return rc ? rc : vb_kexec_copy (out, size, text, length);
}

//  --------------------------------------------------------------------------
//  fees: [{"asset":"USD","qty":0.3458}, ...] -> the first entry.

static int
s_fees (vb_json_val_t *array, s_record_t *record)
{
    vb_json_iter_t iter;
    vb_json_val_t item;
    int rc = vb_json_array_begin (array, &iter);
    while (rc == 0 && (rc = vb_json_array_next (&iter, &item)) == 1) {
        rc = 0;
        if (record->have_fee)
            continue;  //  Skip further entries (read past, not parsed)
        vb_json_val_t field;
        rc = vb_json_find (&item, "asset", &field);
        rc = rc ? rc : s_string (&field, record->fee_asset, sizeof (record->fee_asset));
        rc = rc ? rc : vb_json_find (&item, "qty", &field);
        rc = rc ? rc : vb_json_decimal (&field, &record->fee);
        record->have_fee = rc == 0;
    }
    return rc < 0 ? rc : 0;
}

//  --------------------------------------------------------------------------
//  Read one data record.

static int
s_record (vb_json_val_t *entry, s_record_t *record)
{
    memset (record, 0, sizeof (*record));
    vb_json_iter_t iter;
    int rc = vb_json_object_begin (entry, &iter);
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    while (rc == 0 && (rc = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        rc = 0;
        char text[S_TEXT_MAX];
        if (s_is (key, key_length, "order_id"))
            rc = s_string (&value, record->order_id, sizeof (record->order_id));
        else if (s_is (key, key_length, "cl_ord_id"))
            rc = s_string (&value, record->client_order_id, sizeof (record->client_order_id));
        else if (s_is (key, key_length, "symbol")) {
            const char *symbol;
            size_t length;
            rc = vb_json_string (&value, &symbol, &length);
            const vb_kraken_pair_t *pair = rc == 0 ? vb_kraken_pair_find_ws (symbol, length) : NULL;
            if (pair)
                vb_kexec_copy (record->symbol, sizeof (record->symbol), pair->symbol,
                               strlen (pair->symbol));
        } else if (s_is (key, key_length, "side")) {
            rc = s_string (&value, text, sizeof (text));
            record->side = strcmp (text, "buy") == 0    ? VB_EXEC_BUY
                           : strcmp (text, "sell") == 0 ? VB_EXEC_SELL
                                                        : 0;
        } else if (s_is (key, key_length, "order_status"))
            rc = s_string (&value, record->order_status, sizeof (record->order_status));
        else if (s_is (key, key_length, "exec_type"))
            rc = s_string (&value, record->exec_type, sizeof (record->exec_type));
        else if (s_is (key, key_length, "exec_id"))
            rc = s_string (&value, record->exec_id, sizeof (record->exec_id));
        else if (s_is (key, key_length, "order_qty")) {
            rc = vb_json_decimal (&value, &record->qty);
            record->have_qty = rc == 0;
        } else if (s_is (key, key_length, "limit_price")) {
            rc = vb_json_decimal (&value, &record->price);
            record->have_price = rc == 0;
        } else if (s_is (key, key_length, "cum_qty")) {
            rc = vb_json_decimal (&value, &record->cum_qty);
            record->have_cum = rc == 0;
        } else if (s_is (key, key_length, "last_qty")) {
            rc = vb_json_decimal (&value, &record->last_qty);
            record->have_last_qty = rc == 0;
        } else if (s_is (key, key_length, "last_price")) {
            rc = vb_json_decimal (&value, &record->last_price);
            record->have_last_price = rc == 0;
        } else if (s_is (key, key_length, "liquidity_ind")) {
            rc = s_string (&value, text, sizeof (text));
            record->maker = rc == 0 && strcmp (text, "m") == 0;
        } else if (s_is (key, key_length, "fees"))
            rc = s_fees (&value, record);
        else if (s_is (key, key_length, "timestamp")) {
            const char *stamp;
            size_t length;
            rc = vb_json_string (&value, &stamp, &length);
            rc = rc ? rc : vb_kexec_rfc3339_ns (stamp, length, &record->ts_ns);
        }
    }
    if (rc < 0)
        return rc;
    return record->order_id[0] ? 0 : VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  The state a record tells: order_status, else a status-like exec_type.

static bool
s_record_state (const s_record_t *record, vb_exec_state_t *state)
{
    vb_decimal_t none = {0, 0};
    if (record->order_status[0])
        return vb_kexec_state (record->order_status, strlen (record->order_status), none, none,
                               false, state) == 0;
    static const char *const types[] = {"pending_new", "new", "filled", "canceled", "expired"};
    for (size_t index = 0; index < sizeof (types) / sizeof (types[0]); index++)
        if (strcmp (record->exec_type, types[index]) == 0)
            return vb_kexec_state (types[index], strlen (types[index]), none, none, false, state) ==
                   0;
    return false;
}

//  --------------------------------------------------------------------------
//  Deliver one record: merge with the cache, then fill and/or order report.

static int
s_deliver (vb_kexec_t *self, const s_record_t *record, const vb_exec_sink_t *sink)
{
    vb_exec_state_t state = 0;
    bool has_state = s_record_state (record, &state);
    if (record->order_status[0] && !has_state)
        return VB_EINVAL;  //  A status the adapter does not know
    bool trade = strcmp (record->exec_type, "trade") == 0;
    bool terminal =
        has_state && (state == VB_EXEC_STATE_FILLED || state == VB_EXEC_STATE_CANCELED ||
                      state == VB_EXEC_STATE_EXPIRED);
    vb_kexec_cached_t *cached = s_cache (self, record->order_id, !terminal);
    vb_kexec_cached_t seen;
    memset (&seen, 0, sizeof (seen));
    if (cached)
        seen = *cached;
    if (record->client_order_id[0])
        vb_kexec_copy (seen.client_order_id, sizeof (seen.client_order_id), record->client_order_id,
                       strlen (record->client_order_id));
    if (record->symbol[0])
        vb_kexec_copy (seen.symbol, sizeof (seen.symbol), record->symbol, strlen (record->symbol));
    if (record->side)
        seen.side = record->side;
    if (record->have_price)
        seen.price = record->price;
    if (record->have_qty)
        seen.qty = record->qty;
    if (record->have_cum)
        seen.filled = record->cum_qty;
    if (cached) {
        //  Keep the slot's identity fields (order_id, used, stamp).
        memcpy (cached->client_order_id, seen.client_order_id, sizeof (seen.client_order_id));
        memcpy (cached->symbol, seen.symbol, sizeof (seen.symbol));
        cached->side = seen.side;
        cached->price = seen.price;
        cached->qty = seen.qty;
        cached->filled = seen.filled;
    }
    int rc = 0;
    if (trade) {
        if (!record->exec_id[0] || !record->have_last_qty || !record->have_last_price)
            rc = VB_EINVAL;
        else if (sink->fill) {
            vb_exec_fill_t fill;
            memset (&fill, 0, sizeof (fill));
            vb_kexec_copy (fill.client_order_id, sizeof (fill.client_order_id),
                           seen.client_order_id, strlen (seen.client_order_id));
            vb_kexec_copy (fill.venue_order_id, sizeof (fill.venue_order_id), record->order_id,
                           strlen (record->order_id));
            vb_kexec_copy (fill.trade_id, sizeof (fill.trade_id), record->exec_id,
                           strlen (record->exec_id));
            vb_kexec_copy (fill.symbol, sizeof (fill.symbol), seen.symbol, strlen (seen.symbol));
            fill.side = seen.side;
            fill.price = record->last_price;
            fill.qty = record->last_qty;
            if (record->have_fee) {
                fill.fee = record->fee;
                vb_kexec_copy (fill.fee_asset, sizeof (fill.fee_asset), record->fee_asset,
                               strlen (record->fee_asset));
            }
            fill.maker = record->maker;
            fill.ts_ns = record->ts_ns;
            sink->fill (sink->ctx, &fill);
        }
    }
    if (has_state && sink->order) {
        vb_exec_report_t report;
        memset (&report, 0, sizeof (report));
        vb_kexec_copy (report.client_order_id, sizeof (report.client_order_id),
                       seen.client_order_id, strlen (seen.client_order_id));
        vb_kexec_copy (report.venue_order_id, sizeof (report.venue_order_id), record->order_id,
                       strlen (record->order_id));
        vb_kexec_copy (report.symbol, sizeof (report.symbol), seen.symbol, strlen (seen.symbol));
        report.side = seen.side;
        report.state = state;
        report.price = seen.price;
        report.qty = seen.qty;
        report.filled_qty = seen.filled;
        report.update_ts_ns = record->ts_ns;
        sink->order (sink->ctx, &report);
    }
    if (terminal && cached)
        memset (cached, 0, sizeof (*cached));
    return rc;
}

//  --------------------------------------------------------------------------
//  An ack or other method answer.

static int
s_method (vb_json_val_t *root)
{
    vb_json_val_t value;
    bool success = true;
    if (vb_json_find (root, "success", &value) == 0 && vb_json_bool (&value, &success) != 0)
        return VB_EINVAL;
    if (success)
        return 0;
    const char *text = "";
    size_t length = 0;
    if (vb_json_find (root, "error", &value) == 0 && vb_json_string (&value, &text, &length) != 0)
        return VB_EINVAL;
    static const char token_error[] = "EAPI:Invalid token";
    if (length >= sizeof (token_error) - 1 &&
        memcmp (text, token_error, sizeof (token_error) - 1) == 0)
        return VB_EAUTH;
    return VB_EINVAL;
}

//  --------------------------------------------------------------------------
//  One frame.

int
vb_kexec_stream_frame (vb_exec_t *base, const char *text, size_t length, int64_t now_ms,
                       const vb_exec_sink_t *sink)
{
    (void)now_ms;
    vb_kexec_t *self = (vb_kexec_t *)base;
    if (!self || !text || length == 0 || !sink)
        return VB_EINVAL;
    vb_json_val_t root, value;
    int rc = vb_json_parse (self->json, text, length, &root);
    if (rc != 0)
        return rc;
    if (vb_json_type (&root) != VB_JSON_OBJECT)
        return VB_ETYPE;
    if (vb_json_find (&root, "method", &value) == 0)
        return s_method (&root);
    const char *channel;
    size_t channel_length;
    rc = vb_json_find (&root, "channel", &value);
    rc = rc ? rc : vb_json_string (&value, &channel, &channel_length);
    if (rc != 0)
        return rc == VB_ENOTFOUND ? VB_EINVAL : rc;
    if (!s_is (channel, channel_length, "executions"))
        return 0;  //  heartbeat, status, channels the adapter does not follow
    char type[S_TEXT_MAX];
    rc = vb_json_find (&root, "type", &value);
    rc = rc ? rc : s_string (&value, type, sizeof (type));
    if (rc != 0)
        return rc;
    bool snapshot = strcmp (type, "snapshot") == 0;
    if (!snapshot && strcmp (type, "update") != 0)
        return VB_EINVAL;
    int64_t sequence = 0;
    bool have_sequence = vb_json_find (&root, "sequence", &value) == 0;
    if (have_sequence && (vb_json_int64 (&value, &sequence) != 0 || sequence < 0))
        return VB_EINVAL;
    int verdict = 0;
    if (have_sequence) {
        if (!snapshot && self->have_sequence && sequence <= self->sequence)
            return VB_ESEQ;  //  Repeated or replayed: not delivered again
        if (!snapshot && self->have_sequence && sequence != self->sequence + 1)
            verdict = VB_ESEQ;  //  Jumped: deliver, then tell the router
        self->have_sequence = true;
        self->sequence = sequence;
    }
    vb_json_iter_t iter;
    rc = vb_json_find (&root, "data", &value);
    rc = rc ? rc : vb_json_array_begin (&value, &iter);
    if (rc != 0)
        return rc;
    int failed = 0;
    vb_json_val_t entry;
    while ((rc = vb_json_array_next (&iter, &entry)) == 1) {
        s_record_t record;
        int entry_rc = s_record (&entry, &record);
        entry_rc = entry_rc ? entry_rc : s_deliver (self, &record, sink);
        failed = failed ? failed : entry_rc;  //  A broken document ends the loop below
    }
    if (rc < 0)
        return rc;
    return verdict ? verdict : failed;
}
