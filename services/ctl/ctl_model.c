/*  ctl_model.c — bus events aggregated into what venuebus-ctl shows.

    Each table (books, limits, orders, services, alerts) is an array of
    entries sorted by a composed key: the key's components joined by 0x01,
    which sorts below every byte a topic component may hold, so the order
    is by first component, then second. Lookups are binary searches.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_model.h"
#include "vb_book.h"
#include "vb_error.h"
#include "vb_msg.h"

//  Separator of key components (below any topic byte).
#define S_KEY_SEP '\x01'
//  Longest composed key with its NUL.
#define S_KEY_MAX  (2 * CTL_MODEL_ID_MAX + 2)
#define S_NS_PER_S 1000000000LL
#define S_PERMILLE 1000
//  Rate windows shorter than this (at start) are stretched to it, so one
//  message in the first microsecond is not a huge rate.
#define S_RATE_MIN_WINDOW_NS (S_NS_PER_S / 10)

//  Percentiles, permille.
#define S_P50 500
#define S_P90 900
#define S_P99 990

//  One entry of a sorted table.
typedef struct {
    char key[S_KEY_MAX];  //  Composed key
    void *row;            //  The row (ctl_*_row_t), owned
    void *extra;          //  Per-row helper state (s_rate_t for books), owned, or NULL
} s_entry_t;

//  A sorted table of rows.
typedef struct {
    s_entry_t *entries;  //  Sorted by key
    size_t count;        //  Entries used
    size_t capacity;     //  Entries allocated
    size_t max;          //  Most entries allowed
    size_t row_size;     //  sizeof the row type
} s_table_t;

//  Messages per second over CTL_MODEL_RATE_WINDOW_S one-second slots.
typedef struct {
    uint64_t counts[CTL_MODEL_RATE_WINDOW_S];  //  Messages in each slot's second
    int64_t seconds[CTL_MODEL_RATE_WINDOW_S];  //  The second each slot counts
    int64_t first_ns;                          //  First message, 0: none yet
} s_rate_t;

//  A ring of recent latency samples.
typedef struct {
    int64_t samples[CTL_MODEL_LATENCY_SAMPLES];  //  Ring
    size_t next;                                 //  Where the next sample goes
    size_t count;                                //  Samples held (<= ring size)
} s_latency_t;

struct _ctl_model_t {
    s_table_t books;                            //  ctl_book_row_t, extra s_rate_t
    s_table_t limits;                           //  ctl_limit_row_t
    s_table_t orders;                           //  ctl_order_row_t
    s_table_t services;                         //  ctl_service_row_t
    s_table_t alerts;                           //  ctl_alert_row_t
    ctl_fill_row_t fills[CTL_MODEL_FILLS_MAX];  //  Ring of fills
    size_t fill_next;                           //  Where the next fill goes
    size_t fill_count;                          //  Fills held
    uint64_t kind_total[CTL_KIND_COUNT];        //  Messages per kind
    s_rate_t kind_rates[CTL_KIND_COUNT];        //  Rates per kind
    double kind_rate[CTL_KIND_COUNT];           //  Rates at the last refresh
    s_rate_t all_rates;                         //  Rate of every message
    double all_rate;                            //  At the last refresh
    uint64_t total;                             //  Every message
    uint64_t events;                            //  Events applied
    uint64_t ignored;                           //  Events refused
    uint64_t health_messages;                   //  Health and md status messages seen
    s_latency_t latency[CTL_LATENCY_COUNT];     //  Latency series
    int64_t *scratch;                           //  Sort buffer for percentiles
};

static const char *const s_kind_names[CTL_KIND_COUNT] = {"trade",   "book",   "bbo", "candle",
                                                         "funding", "status", "ex",  "sys"};

static const char *const s_book_states[] = {"-", "SYNCED", "RESYNCING", "STALE"};
static const char *const s_sides[] = {"-", "BUY", "SELL"};
static const char *const s_order_states[] = {
    "-",        "PENDING_NEW", "NEW",     "PARTIALLY_FILLED", "FILLED", "PENDING_CANCEL",
    "CANCELED", "REJECTED",    "EXPIRED", "UNKNOWN"};
static const char *const s_severities[] = {"-", "INFO", "WARNING", "CRITICAL"};

#define S_COUNT(array) (sizeof (array) / sizeof ((array)[0]))

//  --------------------------------------------------------------------------
//  Name of an enum value from a table, "-" when out of range.

static const char *
s_enum_name (const char *const *names, size_t count, int value)
{
    if (value <= 0 || (size_t)value >= count)
        return names[0];
    return names[value];
}

//  --------------------------------------------------------------------------
//  Copy a slice into a NUL-terminated buffer, cut to fit.

static void
s_slice_copy (char *out, size_t size, vb_topic_slice_t slice)
{
    size_t length = slice.length < size - 1 ? slice.length : size - 1;
    if (length)
        memcpy (out, slice.data, length);
    out[length] = '\0';
}

//  --------------------------------------------------------------------------
//  Copy a C string (NULL counts as empty) into a buffer, cut to fit.

static void
s_copy (char *out, size_t size, const char *text)
{
    snprintf (out, size, "%s", text ? text : "");
}

//  --------------------------------------------------------------------------
//  Compose a two-part key.

static void
s_key (char *key, const char *first, const char *second)
{
    snprintf (key, S_KEY_MAX, "%.*s%c%.*s", CTL_MODEL_ID_MAX - 1, first, S_KEY_SEP,
              CTL_MODEL_ID_MAX - 1, second);
}

//  --------------------------------------------------------------------------
//  Binary search: index of key, or where it would go (*found false).

static size_t
s_table_search (s_table_t *table, const char *key, bool *found)
{
    size_t low = 0, high = table->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        int cmp = strcmp (table->entries[mid].key, key);
        if (cmp == 0) {
            *found = true;
            return mid;
        }
        if (cmp < 0)
            low = mid + 1;
        else
            high = mid;
    }
    *found = false;
    return low;
}

//  --------------------------------------------------------------------------
//  Remove entry index and free its row.

static void
s_table_remove (s_table_t *table, size_t index)
{
    free (table->entries[index].row);
    free (table->entries[index].extra);
    memmove (&table->entries[index], &table->entries[index + 1],
             (table->count - index - 1) * sizeof (s_entry_t));
    table->count--;
}

//  --------------------------------------------------------------------------
//  Find the row of key, creating a zeroed one (with a zeroed extra of
//  extra_size bytes when not 0). Returns NULL when the table is full.

static s_entry_t *
s_table_get (s_table_t *table, const char *key, size_t extra_size, bool *created)
{
    bool found;
    size_t index = s_table_search (table, key, &found);
    *created = false;
    if (found)
        return &table->entries[index];
    if (table->count >= table->max)
        return NULL;
    if (table->count == table->capacity) {
        size_t capacity = table->capacity ? table->capacity * 2 : 16;
        s_entry_t *entries = (s_entry_t *)realloc (table->entries, capacity * sizeof (s_entry_t));
        assert (entries);
        table->entries = entries;
        table->capacity = capacity;
    }
    memmove (&table->entries[index + 1], &table->entries[index],
             (table->count - index) * sizeof (s_entry_t));
    s_entry_t *entry = &table->entries[index];
    memset (entry, 0, sizeof (*entry));
    s_copy (entry->key, sizeof (entry->key), key);
    entry->row = zmalloc (table->row_size);
    entry->extra = extra_size ? zmalloc (extra_size) : NULL;
    table->count++;
    *created = true;
    return entry;
}

//  --------------------------------------------------------------------------
//  Free every row of a table.

static void
s_table_free (s_table_t *table)
{
    for (size_t i = 0; i < table->count; i++) {
        free (table->entries[i].row);
        free (table->entries[i].extra);
    }
    free (table->entries);
    memset (table, 0, sizeof (*table));
}

//  --------------------------------------------------------------------------
//  Count one message in a rate.

static void
s_rate_add (s_rate_t *rate, int64_t now_ns)
{
    int64_t second = now_ns / S_NS_PER_S;
    size_t slot = (size_t)(second % CTL_MODEL_RATE_WINDOW_S);
    if (rate->seconds[slot] != second) {
        rate->seconds[slot] = second;
        rate->counts[slot] = 0;
    }
    rate->counts[slot]++;
    if (rate->first_ns == 0)
        rate->first_ns = now_ns;
}

//  --------------------------------------------------------------------------
//  Messages per second over the window (or since the first message, when
//  that is shorter).

static double
s_rate_get (const s_rate_t *rate, int64_t now_ns)
{
    if (rate->first_ns == 0)
        return 0;
    int64_t second = now_ns / S_NS_PER_S;
    uint64_t sum = 0;
    for (size_t i = 0; i < CTL_MODEL_RATE_WINDOW_S; i++)
        if (rate->seconds[i] > second - CTL_MODEL_RATE_WINDOW_S && rate->seconds[i] <= second)
            sum += rate->counts[i];
    //  The slots cover the current partial second plus the whole ones
    //  before it; measure the window the same way.
    int64_t window_ns = (int64_t)(CTL_MODEL_RATE_WINDOW_S - 1) * S_NS_PER_S + now_ns % S_NS_PER_S;
    if (now_ns - rate->first_ns < window_ns)
        window_ns = now_ns - rate->first_ns;
    if (window_ns < S_RATE_MIN_WINDOW_NS)
        window_ns = S_RATE_MIN_WINDOW_NS;
    return (double)sum * (double)S_NS_PER_S / (double)window_ns;
}

//  --------------------------------------------------------------------------
//  Add a latency sample.

static void
s_latency_add (s_latency_t *latency, int64_t sample_ns)
{
    latency->samples[latency->next] = sample_ns;
    latency->next = (latency->next + 1) % CTL_MODEL_LATENCY_SAMPLES;
    if (latency->count < CTL_MODEL_LATENCY_SAMPLES)
        latency->count++;
}

//  --------------------------------------------------------------------------
//  qsort comparison of int64 values.

static int
s_int64_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

//  --------------------------------------------------------------------------
//  Nearest-rank percentile of sorted samples: the smallest sample with at
//  least permille/1000 of the samples at or below it.

static int64_t
s_percentile (const int64_t *sorted, size_t count, unsigned permille)
{
    size_t rank = (count * permille + S_PERMILLE - 1) / S_PERMILLE;
    if (rank == 0)
        rank = 1;
    return sorted[rank - 1];
}

//  --------------------------------------------------------------------------
//  Create an empty model.

ctl_model_t *
ctl_model_new (void)
{
    ctl_model_t *self = (ctl_model_t *)zmalloc (sizeof (ctl_model_t));
    self->books = (s_table_t){.max = CTL_MODEL_ROWS_MAX, .row_size = sizeof (ctl_book_row_t)};
    self->limits = (s_table_t){.max = CTL_MODEL_ROWS_MAX, .row_size = sizeof (ctl_limit_row_t)};
    self->orders = (s_table_t){.max = CTL_MODEL_ORDERS_MAX, .row_size = sizeof (ctl_order_row_t)};
    self->services = (s_table_t){.max = CTL_MODEL_ROWS_MAX, .row_size = sizeof (ctl_service_row_t)};
    self->alerts = (s_table_t){.max = CTL_MODEL_ROWS_MAX, .row_size = sizeof (ctl_alert_row_t)};
    self->scratch = (int64_t *)zmalloc (CTL_MODEL_LATENCY_SAMPLES * sizeof (int64_t));
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the model.

void
ctl_model_destroy (ctl_model_t **self_p)
{
    assert (self_p);
    ctl_model_t *self = *self_p;
    if (!self)
        return;
    free (self->scratch);
    s_table_free (&self->alerts);
    s_table_free (&self->services);
    s_table_free (&self->orders);
    s_table_free (&self->limits);
    s_table_free (&self->books);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  The book row of an md topic, created when new. NULL when full.

static s_entry_t *
s_book_entry (ctl_model_t *self, const vb_topic_t *topic)
{
    char venue[CTL_MODEL_NAME_MAX], symbol[CTL_MODEL_NAME_MAX], key[S_KEY_MAX];
    s_slice_copy (venue, sizeof (venue), topic->venue);
    s_slice_copy (symbol, sizeof (symbol), topic->symbol);
    s_key (key, venue, symbol);
    bool created;
    s_entry_t *entry = s_table_get (&self->books, key, sizeof (s_rate_t), &created);
    if (entry && created) {
        ctl_book_row_t *row = (ctl_book_row_t *)entry->row;
        s_copy (row->venue, sizeof (row->venue), venue);
        s_copy (row->symbol, sizeof (row->symbol), symbol);
    }
    return entry;
}

//  --------------------------------------------------------------------------
//  Read an optional Decimal field: true with *out set when present and valid.

static bool
s_decimal (const Venuebus__Decimal *field, vb_decimal_t *out)
{
    return field && vb_msg_decimal_get (field, out) == 0;
}

//  --------------------------------------------------------------------------
//  Take the top of book and level counts from the subscriber's book.

static void
s_book_event (ctl_book_row_t *row, const vb_sub_event_t *event)
{
    row->has_book = true;
    row->in_sync = event->in_sync;
    row->last_seq = event->seq;
    row->has_bid = vb_book_best (event->book, VB_BOOK_BID, &row->bid_price, &row->bid_qty) == 0;
    row->has_ask = vb_book_best (event->book, VB_BOOK_ASK, &row->ask_price, &row->ask_qty) == 0;
    row->bid_levels = vb_book_count (event->book, VB_BOOK_BID);
    row->ask_levels = vb_book_count (event->book, VB_BOOK_ASK);
}

//  --------------------------------------------------------------------------
//  A market-data message other than a book: trade, bbo, status, ...

static void
s_md_message (ctl_model_t *self, ctl_book_row_t *row, const Venuebus__Envelope *envelope)
{
    switch (envelope->body_case) {
        case VENUEBUS__ENVELOPE__BODY_TRADE: {
            vb_decimal_t price, qty;
            if (s_decimal (envelope->trade->price, &price) &&
                s_decimal (envelope->trade->qty, &qty)) {
                row->has_trade = true;
                row->last_trade_price = price;
                row->last_trade_qty = qty;
            }
            break;
        }
        case VENUEBUS__ENVELOPE__BODY_BBO: {
            vb_decimal_t bid, ask;
            if (s_decimal (envelope->bbo->bid_price, &bid) &&
                s_decimal (envelope->bbo->ask_price, &ask)) {
                row->has_bbo = true;
                row->bbo_bid_price = bid;
                row->bbo_ask_price = ask;
            }
            break;
        }
        case VENUEBUS__ENVELOPE__BODY_STATUS: {
            const Venuebus__Status *status = envelope->status;
            self->health_messages++;
            //  A state this build does not know is shown as "-", not trusted.
            row->gateway_state =
                (size_t)status->book_state < S_COUNT (s_book_states) ? (int)status->book_state : 0;
            s_copy (row->reason, sizeof (row->reason), status->reason);
            row->gateway_gaps = status->gaps;
            row->anomalies = status->anomalies;
            row->reconnects = status->reconnects;
            //  RESYNCING or STALE: the subscriber now distrusts the book
            //  until the next snapshot; show it so at once.
            if (row->gateway_state == VENUEBUS__BOOK_STATE__RESYNCING ||
                row->gateway_state == VENUEBUS__BOOK_STATE__STALE)
                row->in_sync = false;
            break;
        }
        default:
            break;  //  Candles, funding: counted only
    }
}

//  --------------------------------------------------------------------------
//  Find or make the order row for (account, id). When the table is full,
//  forget the finished order updated longest ago. NULL when every order is
//  open and the table is full.

static ctl_order_row_t *
s_order_row (ctl_model_t *self, const char *account, const char *id)
{
    char key[S_KEY_MAX];
    s_key (key, account, id);
    bool created;
    s_entry_t *entry = s_table_get (&self->orders, key, 0, &created);
    if (!entry) {
        size_t oldest = SIZE_MAX;
        for (size_t i = 0; i < self->orders.count; i++) {
            const ctl_order_row_t *order = (const ctl_order_row_t *)self->orders.entries[i].row;
            if (!ctl_model_order_open (order->state) &&
                (oldest == SIZE_MAX ||
                 order->last_ns <
                     ((const ctl_order_row_t *)self->orders.entries[oldest].row)->last_ns))
                oldest = i;
        }
        if (oldest == SIZE_MAX)
            return NULL;
        s_table_remove (&self->orders, oldest);
        entry = s_table_get (&self->orders, key, 0, &created);
        assert (entry);
    }
    return (ctl_order_row_t *)entry->row;
}

//  --------------------------------------------------------------------------
//  Set a state, except that a finished order never goes back to open (a
//  late report after the terminal one must not revive it).

static void
s_order_state (ctl_order_row_t *order, int state)
{
    if (state <= 0 || (size_t)state >= S_COUNT (s_order_states))
        return;  //  Unknown to this build: not acted on
    if (order->state && !ctl_model_order_open (order->state) && ctl_model_order_open (state))
        return;
    order->state = state;
}

//  --------------------------------------------------------------------------
//  Record a fill unless the same trade of the same order is already held.

static void
s_fill_add (ctl_model_t *self, const ctl_order_row_t *order, const char *trade_id,
            vb_decimal_t price, vb_decimal_t qty, int64_t now_ns)
{
    if (trade_id && *trade_id)
        for (size_t i = 0; i < self->fill_count; i++) {
            const ctl_fill_row_t *fill = &self->fills[i];
            if (strcmp (fill->trade_id, trade_id) == 0 &&
                strcmp (fill->client_order_id, order->client_order_id) == 0 &&
                strcmp (fill->account, order->account) == 0)
                return;
        }
    ctl_fill_row_t *fill = &self->fills[self->fill_next];
    memset (fill, 0, sizeof (*fill));
    s_copy (fill->account, sizeof (fill->account), order->account);
    s_copy (fill->strategy, sizeof (fill->strategy), order->strategy);
    s_copy (fill->client_order_id, sizeof (fill->client_order_id), order->client_order_id);
    s_copy (fill->symbol, sizeof (fill->symbol), order->symbol);
    s_copy (fill->trade_id, sizeof (fill->trade_id), trade_id);
    fill->side = order->side;
    fill->price = price;
    fill->qty = qty;
    fill->ts_ns = now_ns;
    self->fill_next = (self->fill_next + 1) % CTL_MODEL_FILLS_MAX;
    if (self->fill_count < CTL_MODEL_FILLS_MAX)
        self->fill_count++;
}

//  --------------------------------------------------------------------------
//  An ex.<account>.<strategy> message. Returns 0, VB_EINVAL (no id) or
//  VB_ELIMIT (table full of open orders).

static int
s_ex_message (ctl_model_t *self, const vb_topic_t *topic, const Venuebus__Envelope *envelope,
              int64_t now_ns)
{
    const char *tag = NULL, *order_id = NULL;
    switch (envelope->body_case) {
        case VENUEBUS__ENVELOPE__BODY_ACK:
            tag = envelope->ack->client_tag;
            order_id = envelope->ack->client_order_id;
            break;
        case VENUEBUS__ENVELOPE__BODY_EXECUTION_REPORT:
            tag = envelope->execution_report->client_tag;
            order_id = envelope->execution_report->client_order_id;
            break;
        case VENUEBUS__ENVELOPE__BODY_REJECT:
            tag = envelope->reject->client_tag;
            order_id = envelope->reject->client_order_id;
            break;
        default:
            return 0;  //  Balances: counted only
    }
    //  An order is named by the router's id; before the ack only the tag
    //  is known.
    const char *id = order_id && *order_id ? order_id : tag;
    if (!id || !*id)
        return VB_EINVAL;
    char account[CTL_MODEL_NAME_MAX], strategy[CTL_MODEL_NAME_MAX];
    s_slice_copy (account, sizeof (account), topic->account);
    s_slice_copy (strategy, sizeof (strategy), topic->strategy);
    ctl_order_row_t *order = s_order_row (self, account, id);
    if (!order)
        return VB_ELIMIT;
    s_copy (order->account, sizeof (order->account), account);
    s_copy (order->strategy, sizeof (order->strategy), strategy);
    if (tag && *tag)
        s_copy (order->client_tag, sizeof (order->client_tag), tag);
    if (order_id && *order_id)
        s_copy (order->client_order_id, sizeof (order->client_order_id), order_id);
    order->last_ns = now_ns;

    if (envelope->body_case == VENUEBUS__ENVELOPE__BODY_ACK) {
        if (order->state == 0)
            order->state = VENUEBUS__ORDER_STATE__PENDING_NEW;
    } else if (envelope->body_case == VENUEBUS__ENVELOPE__BODY_REJECT) {
        const Venuebus__Reject *reject = envelope->reject;
        order->state = VENUEBUS__ORDER_STATE__REJECTED;
        snprintf (order->reject, sizeof (order->reject), "%d %s %s", (int)reject->reason,
                  reject->venue_code ? reject->venue_code : "",
                  reject->venue_text ? reject->venue_text : "");
    } else {
        const Venuebus__ExecutionReport *report = envelope->execution_report;
        if (report->symbol && *report->symbol)
            s_copy (order->symbol, sizeof (order->symbol), report->symbol);
        if (report->venue_order_id && *report->venue_order_id)
            s_copy (order->venue_order_id, sizeof (order->venue_order_id), report->venue_order_id);
        if (report->side > 0 && (size_t)report->side < S_COUNT (s_sides))
            order->side = (int)report->side;
        if (s_decimal (report->price, &order->price))
            order->has_price = true;
        if (s_decimal (report->qty, &order->qty))
            order->has_qty = true;
        if (s_decimal (report->filled_qty, &order->filled_qty))
            order->has_filled = true;
        s_order_state (order, (int)report->state);
        vb_decimal_t price, qty;
        if (s_decimal (report->last_fill_price, &price) &&
            s_decimal (report->last_fill_qty, &qty) && !vb_decimal_is_zero (qty) &&
            !vb_decimal_is_negative (qty))
            s_fill_add (self, order, report->venue_trade_id, price, qty, now_ns);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  A sys.<service>.<kind> message. Returns 0 or VB_ELIMIT.

static int
s_sys_message (ctl_model_t *self, const vb_topic_t *topic, const Venuebus__Envelope *envelope,
               int64_t now_ns)
{
    char service[CTL_MODEL_NAME_MAX], key[S_KEY_MAX];
    s_slice_copy (service, sizeof (service), topic->service);
    bool created;
    s_entry_t *entry = s_table_get (&self->services, service, 0, &created);
    if (!entry)
        return VB_ELIMIT;
    ctl_service_row_t *row = (ctl_service_row_t *)entry->row;
    s_copy (row->service, sizeof (row->service), service);
    row->messages++;
    row->last_ns = now_ns;

    switch (envelope->body_case) {
        case VENUEBUS__ENVELOPE__BODY_HEALTH:
            self->health_messages++;
            row->has_health = true;
            row->healthy = envelope->health->healthy;
            s_copy (row->detail, sizeof (row->detail), envelope->health->detail);
            row->uptime_ns = envelope->health->uptime_ns;
            break;
        case VENUEBUS__ENVELOPE__BODY_RATE_LIMIT: {
            const Venuebus__RateLimit *limit = envelope->rate_limit;
            if (!limit->bucket || !*limit->bucket)
                return VB_EINVAL;
            s_key (key, service, limit->bucket);
            entry = s_table_get (&self->limits, key, 0, &created);
            if (!entry)
                return VB_ELIMIT;
            ctl_limit_row_t *bucket = (ctl_limit_row_t *)entry->row;
            s_copy (bucket->service, sizeof (bucket->service), service);
            s_copy (bucket->bucket, sizeof (bucket->bucket), limit->bucket);
            s_copy (bucket->scope, sizeof (bucket->scope), limit->scope);
            bucket->used = limit->used;
            bucket->limit = limit->limit;
            bucket->permille = limit->utilisation_permille;
            //  A publisher that leaves utilisation unset still gives
            //  used/limit; never divide by a zero limit.
            if (bucket->permille == 0 && limit->limit > 0 && limit->used > 0)
                bucket->permille = limit->used >= limit->limit
                                       ? S_PERMILLE
                                       : (uint32_t)(limit->used * S_PERMILLE / limit->limit);
            bucket->queue_depth = limit->queue_depth;
            bucket->window_ns = limit->window_ns;
            bucket->banned_until_ns = limit->banned_until_ns;
            bucket->last_ns = now_ns;
            break;
        }
        case VENUEBUS__ENVELOPE__BODY_ALERT: {
            const Venuebus__Alert *alert = envelope->alert;
            if (!alert->name || !*alert->name)
                return VB_EINVAL;
            s_key (key, service, alert->name);
            entry = s_table_get (&self->alerts, key, 0, &created);
            if (!entry)
                return VB_ELIMIT;
            ctl_alert_row_t *row_alert = (ctl_alert_row_t *)entry->row;
            s_copy (row_alert->service, sizeof (row_alert->service), service);
            s_copy (row_alert->name, sizeof (row_alert->name), alert->name);
            row_alert->severity =
                (size_t)alert->severity < S_COUNT (s_severities) ? (int)alert->severity : 0;
            row_alert->firing = alert->firing;
            s_copy (row_alert->text, sizeof (row_alert->text), alert->text);
            row_alert->last_ns = now_ns;
            break;
        }
        default:
            break;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The kind a topic counts as.

static ctl_kind_t
s_kind_of (const vb_topic_t *topic)
{
    if (topic->domain == VB_TOPIC_DOMAIN_EX)
        return CTL_KIND_EXEC;
    if (topic->domain == VB_TOPIC_DOMAIN_SYS)
        return CTL_KIND_SYS;
    switch (topic->kind) {
        case VB_TOPIC_KIND_TRADE:
            return CTL_KIND_TRADE;
        case VB_TOPIC_KIND_BOOK:
            return CTL_KIND_BOOK;
        case VB_TOPIC_KIND_BBO:
            return CTL_KIND_BBO;
        case VB_TOPIC_KIND_CANDLE:
            return CTL_KIND_CANDLE;
        case VB_TOPIC_KIND_FUNDING:
            return CTL_KIND_FUNDING;
        default:
            return CTL_KIND_STATUS;
    }
}

//  --------------------------------------------------------------------------
//  Fold one event into the model.

int
ctl_model_apply (ctl_model_t *self, const vb_sub_event_t *event, int64_t now_ns)
{
    assert (self);
    vb_topic_t topic;
    if (!event || !event->topic ||
        vb_topic_parse (event->topic, strlen (event->topic), &topic) != 0) {
        self->ignored++;
        return VB_EINVAL;
    }
    if (event->type == VB_SUB_EVENT_GAP) {
        //  A late join (expected 0) loses nothing the model showed: only
        //  real jumps count as gaps.
        if (event->expected_seq != 0 && topic.domain == VB_TOPIC_DOMAIN_MD) {
            s_entry_t *entry = s_book_entry (self, &topic);
            if (!entry) {
                self->ignored++;
                return VB_ELIMIT;
            }
            ctl_book_row_t *row = (ctl_book_row_t *)entry->row;
            row->gaps++;
            if (topic.kind == VB_TOPIC_KIND_BOOK)
                row->in_sync = false;
        }
        self->events++;
        return 0;
    }
    const Venuebus__Envelope *envelope = event->envelope;
    bool is_book = event->type == VB_SUB_EVENT_BOOK;
    if ((event->type != VB_SUB_EVENT_MESSAGE && !is_book) || !envelope || !envelope->header ||
        (is_book && (!event->book || topic.kind != VB_TOPIC_KIND_BOOK))) {
        self->ignored++;
        return VB_EINVAL;
    }
    int rc = 0;
    if (topic.domain == VB_TOPIC_DOMAIN_MD) {
        s_entry_t *entry = s_book_entry (self, &topic);
        if (!entry) {
            self->ignored++;
            return VB_ELIMIT;
        }
        ctl_book_row_t *row = (ctl_book_row_t *)entry->row;
        if (is_book)
            s_book_event (row, event);
        else
            s_md_message (self, row, envelope);
        row->messages++;
        row->last_ns = now_ns;
        s_rate_add ((s_rate_t *)entry->extra, now_ns);
    } else if (topic.domain == VB_TOPIC_DOMAIN_EX)
        rc = s_ex_message (self, &topic, envelope, now_ns);
    else
        rc = s_sys_message (self, &topic, envelope, now_ns);
    if (rc) {
        self->ignored++;
        return rc;
    }
    ctl_kind_t kind = s_kind_of (&topic);
    self->kind_total[kind]++;
    s_rate_add (&self->kind_rates[kind], now_ns);
    self->total++;
    s_rate_add (&self->all_rates, now_ns);
    if (event->latency_ns > 0)
        s_latency_add (&self->latency[CTL_LATENCY_PUBLISH_TO_CTL], event->latency_ns);
    const Venuebus__Header *header = envelope->header;
    if (header->exchange_ts_ns > 0 && header->publish_ts_ns >= header->exchange_ts_ns)
        s_latency_add (&self->latency[CTL_LATENCY_EXCHANGE_TO_PUBLISH],
                       header->publish_ts_ns - header->exchange_ts_ns);
    self->events++;
    return 0;
}

//  --------------------------------------------------------------------------
//  Recompute the rates for now_ns.

void
ctl_model_refresh (ctl_model_t *self, int64_t now_ns)
{
    assert (self);
    for (size_t i = 0; i < self->books.count; i++) {
        ctl_book_row_t *row = (ctl_book_row_t *)self->books.entries[i].row;
        row->rate = s_rate_get ((s_rate_t *)self->books.entries[i].extra, now_ns);
    }
    for (size_t kind = 0; kind < CTL_KIND_COUNT; kind++)
        self->kind_rate[kind] = s_rate_get (&self->kind_rates[kind], now_ns);
    self->all_rate = s_rate_get (&self->all_rates, now_ns);
}

uint64_t
ctl_model_events (ctl_model_t *self)
{
    assert (self);
    return self->events;
}

uint64_t
ctl_model_ignored (ctl_model_t *self)
{
    assert (self);
    return self->ignored;
}

uint64_t
ctl_model_kind_total (ctl_model_t *self, ctl_kind_t kind)
{
    assert (self);
    return (unsigned)kind < CTL_KIND_COUNT ? self->kind_total[kind] : 0;
}

double
ctl_model_kind_rate (ctl_model_t *self, ctl_kind_t kind)
{
    assert (self);
    return (unsigned)kind < CTL_KIND_COUNT ? self->kind_rate[kind] : 0;
}

const char *
ctl_model_kind_name (ctl_kind_t kind)
{
    return (unsigned)kind < CTL_KIND_COUNT ? s_kind_names[kind] : "?";
}

uint64_t
ctl_model_total (ctl_model_t *self)
{
    assert (self);
    return self->total;
}

double
ctl_model_rate (ctl_model_t *self)
{
    assert (self);
    return self->all_rate;
}

//  --------------------------------------------------------------------------
//  Percentiles of a latency series.

void
ctl_model_latency (ctl_model_t *self, ctl_latency_series_t series, ctl_latency_t *out)
{
    assert (self);
    assert (out);
    memset (out, 0, sizeof (*out));
    if ((unsigned)series >= CTL_LATENCY_COUNT || self->latency[series].count == 0)
        return;
    s_latency_t *latency = &self->latency[series];
    memcpy (self->scratch, latency->samples, latency->count * sizeof (int64_t));
    qsort (self->scratch, latency->count, sizeof (int64_t), s_int64_cmp);
    out->count = latency->count;
    out->p50_ns = s_percentile (self->scratch, latency->count, S_P50);
    out->p90_ns = s_percentile (self->scratch, latency->count, S_P90);
    out->p99_ns = s_percentile (self->scratch, latency->count, S_P99);
    out->max_ns = self->scratch[latency->count - 1];
}

//  --------------------------------------------------------------------------
//  Row accessors.

static const void *
s_table_row (s_table_t *table, size_t index)
{
    return index < table->count ? table->entries[index].row : NULL;
}

size_t
ctl_model_book_count (ctl_model_t *self)
{
    assert (self);
    return self->books.count;
}

const ctl_book_row_t *
ctl_model_book (ctl_model_t *self, size_t index)
{
    assert (self);
    return (const ctl_book_row_t *)s_table_row (&self->books, index);
}

size_t
ctl_model_limit_count (ctl_model_t *self)
{
    assert (self);
    return self->limits.count;
}

const ctl_limit_row_t *
ctl_model_limit (ctl_model_t *self, size_t index)
{
    assert (self);
    return (const ctl_limit_row_t *)s_table_row (&self->limits, index);
}

size_t
ctl_model_order_count (ctl_model_t *self)
{
    assert (self);
    return self->orders.count;
}

const ctl_order_row_t *
ctl_model_order (ctl_model_t *self, size_t index)
{
    assert (self);
    return (const ctl_order_row_t *)s_table_row (&self->orders, index);
}

size_t
ctl_model_service_count (ctl_model_t *self)
{
    assert (self);
    return self->services.count;
}

const ctl_service_row_t *
ctl_model_service (ctl_model_t *self, size_t index)
{
    assert (self);
    return (const ctl_service_row_t *)s_table_row (&self->services, index);
}

size_t
ctl_model_alert_count (ctl_model_t *self)
{
    assert (self);
    return self->alerts.count;
}

const ctl_alert_row_t *
ctl_model_alert (ctl_model_t *self, size_t index)
{
    assert (self);
    return (const ctl_alert_row_t *)s_table_row (&self->alerts, index);
}

size_t
ctl_model_fill_count (ctl_model_t *self)
{
    assert (self);
    return self->fill_count;
}

const ctl_fill_row_t *
ctl_model_fill (ctl_model_t *self, size_t index)
{
    assert (self);
    if (index >= self->fill_count)
        return NULL;
    //  The newest is just before fill_next.
    size_t slot = (self->fill_next + CTL_MODEL_FILLS_MAX - 1 - index) % CTL_MODEL_FILLS_MAX;
    return &self->fills[slot];
}

//  --------------------------------------------------------------------------
//  True for the states in which an order is still open.

bool
ctl_model_order_open (int state)
{
    return state != VENUEBUS__ORDER_STATE__FILLED && state != VENUEBUS__ORDER_STATE__CANCELED &&
           state != VENUEBUS__ORDER_STATE__REJECTED && state != VENUEBUS__ORDER_STATE__EXPIRED;
}

const char *
ctl_model_book_state_name (int state)
{
    return s_enum_name (s_book_states, S_COUNT (s_book_states), state);
}

const char *
ctl_model_side_name (int side)
{
    return s_enum_name (s_sides, S_COUNT (s_sides), side);
}

const char *
ctl_model_order_state_name (int state)
{
    return s_enum_name (s_order_states, S_COUNT (s_order_states), state);
}

const char *
ctl_model_severity_name (int severity)
{
    return s_enum_name (s_severities, S_COUNT (s_severities), severity);
}

//  --------------------------------------------------------------------------
//  The health verdict and its first reason.

bool
ctl_model_healthy (ctl_model_t *self, char *why, size_t size)
{
    assert (self);
    char reason[CTL_MODEL_TEXT_MAX * 2] = "";
    if (self->health_messages == 0)
        snprintf (reason, sizeof (reason), "no health or status message arrived");
    for (size_t i = 0; i < self->services.count && !*reason; i++) {
        const ctl_service_row_t *row = (const ctl_service_row_t *)self->services.entries[i].row;
        if (row->has_health && !row->healthy)
            snprintf (reason, sizeof (reason), "service %s unhealthy: %s", row->service,
                      row->detail);
    }
    for (size_t i = 0; i < self->alerts.count && !*reason; i++) {
        const ctl_alert_row_t *row = (const ctl_alert_row_t *)self->alerts.entries[i].row;
        if (row->firing && row->severity == VENUEBUS__SEVERITY__CRITICAL)
            snprintf (reason, sizeof (reason), "critical alert %s from %s: %s", row->name,
                      row->service, row->text);
    }
    for (size_t i = 0; i < self->books.count && !*reason; i++) {
        const ctl_book_row_t *row = (const ctl_book_row_t *)self->books.entries[i].row;
        if (row->gateway_state == VENUEBUS__BOOK_STATE__RESYNCING ||
            row->gateway_state == VENUEBUS__BOOK_STATE__STALE)
            snprintf (reason, sizeof (reason), "book %s %s is %s (%s)", row->venue, row->symbol,
                      ctl_model_book_state_name (row->gateway_state), row->reason);
    }
    if (*reason && why && size)
        snprintf (why, size, "%s", reason);
    return *reason == '\0';
}
