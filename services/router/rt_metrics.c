/*  rt_metrics.c — the router's Prometheus metrics and /healthz (vb_metrics).

    Fixed label sets (venue x state, venue x kind x outcome, account, ...)
    are declared at construction and kept in arrays indexed by the enum
    value and the venue's or account's position in the list. Free words
    (drift kind, strategy kind and result, stream event kind, alert name)
    are declared for the words the router is known to use and otherwise
    created on first sight, at most S_WORDS_MAX more label sets per family;
    later new ones are ignored. Rate-limit buckets are created on first sight of their
    name, at most S_BUCKETS_MAX. Words must match [A-Za-z0-9_.-]{1,64}.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>

#include "rt_metrics.h"
#include "vb_clock.h"
#include "vb_metrics.h"

//  Most venues and accounts a registry is made for.
#define S_VENUES_MAX   RT_LIMITS_VENUES_MAX
#define S_ACCOUNTS_MAX RT_LIMITS_ACCOUNTS_MAX
//  Slots of the enum-indexed arrays: the enums start at 1, slot 0 stays NULL.
#define S_STATE_SLOTS   (VB_EXEC_STATE_UNKNOWN + 1)
#define S_KIND_SLOTS    (VB_EXEC_REQ_STREAM_TOKEN + 1)
#define S_OUTCOME_SLOTS (VB_EXEC_NOT_FOUND + 1)
//  Distinct rate-limit buckets given series; later new ones are ignored.
#define S_BUCKETS_MAX 256
//  Label sets per free-word family beyond the known words; later new ones
//  are ignored.
#define S_WORDS_MAX 64
//  Longest free word, in bytes.
#define S_WORD_MAX 64
//  Longest word-table key: an index or a word, a separator, a word.
#define S_KEY_MAX (2 * S_WORD_MAX + 2)
//  Longest venue or account name accepted, in bytes.
#define S_NAME_MAX VB_METRICS_VALUE_MAX

//  Label values of vb_exec_state_t, as the proto's OrderState names them.
static const char *const s_state_names[S_STATE_SLOTS] = {
    [VB_EXEC_STATE_PENDING_NEW] = "PENDING_NEW",
    [VB_EXEC_STATE_NEW] = "NEW",
    [VB_EXEC_STATE_PARTIALLY_FILLED] = "PARTIALLY_FILLED",
    [VB_EXEC_STATE_FILLED] = "FILLED",
    [VB_EXEC_STATE_PENDING_CANCEL] = "PENDING_CANCEL",
    [VB_EXEC_STATE_CANCELED] = "CANCELED",
    [VB_EXEC_STATE_REJECTED] = "REJECTED",
    [VB_EXEC_STATE_EXPIRED] = "EXPIRED",
    [VB_EXEC_STATE_UNKNOWN] = "UNKNOWN",
};

//  Label values of vb_exec_kind_t.
static const char *const s_kind_names[S_KIND_SLOTS] = {
    [VB_EXEC_REQ_INSTRUMENTS] = "instruments",
    [VB_EXEC_REQ_PLACE] = "place",
    [VB_EXEC_REQ_CANCEL] = "cancel",
    [VB_EXEC_REQ_CANCEL_ALL] = "cancel_all",
    [VB_EXEC_REQ_QUERY] = "query",
    [VB_EXEC_REQ_OPEN_ORDERS] = "open_orders",
    [VB_EXEC_REQ_FILLS] = "fills",
    [VB_EXEC_REQ_BALANCES] = "balances",
    [VB_EXEC_REQ_KEY_PERMISSIONS] = "key_permissions",
    [VB_EXEC_REQ_STREAM_TOKEN] = "stream_token",
};

//  Label values of vb_exec_outcome_t.
static const char *const s_outcome_names[S_OUTCOME_SLOTS] = {
    [VB_EXEC_OK] = "ok",           [VB_EXEC_REJECTED] = "rejected",
    [VB_EXEC_UNKNOWN] = "unknown", [VB_EXEC_RATE_LIMITED] = "rate_limited",
    [VB_EXEC_AUTH] = "auth",       [VB_EXEC_NOT_FOUND] = "not_found",
};

//  Words declared up front so their series read 0 from the start.
static const char *const s_drift_kinds[] = {"fill_missed", "fill_refused", "order_unknown",
                                            "order_vanished", NULL};
static const char *const s_strategy_kinds[] = {"new_order",   "cancel",         "cancel_all",
                                               "query_order", "query_balances", NULL};
static const char *const s_strategy_results[] = {"accepted", "rejected", "malformed", NULL};
static const char *const s_stream_kinds[] = {"opened", "closed", "frame", NULL};
//  A frame that does not parse has no kind of its own.
static const char *const s_strategy_malformed[] = {"frame", "malformed", NULL};
static const char *const s_alert_names[] = {"unknown_order", "reconcile_drift", "failover",
                                            "ratelimit_high", NULL};

//  Round-trip buckets, in nanoseconds: 10 us .. 10 s.
static const int64_t s_latency_bounds[] = {
    10000,     25000,      50000,      100000,     250000,     500000,    1000000,
    2500000,   5000000,    10000000,   25000000,   50000000,   100000000, 250000000,
    500000000, 1000000000, 2500000000, 5000000000, 10000000000};
#define S_LATENCY_BOUNDS (sizeof (s_latency_bounds) / sizeof (s_latency_bounds[0]))

//  The router's own share buckets, in nanoseconds: 1 us .. 100 ms (the
//  target is 10 us at p99).
static const int64_t s_own_bounds[] = {1000,   2000,   5000,    10000,    20000,    50000,
                                       100000, 250000, 1000000, 10000000, 100000000};
#define S_OWN_BOUNDS (sizeof (s_own_bounds) / sizeof (s_own_bounds[0]))

//  One rate-limit bucket's series.
typedef struct {
    vb_metric_t *used;      //  ratelimit_used{bucket,scope}
    vb_metric_t *capacity;  //  ratelimit_capacity{bucket,scope}
    vb_metric_t *blocked;   //  ratelimit_blocked{bucket,scope}
} s_bucket_t;

//  A family with free words in its labels: key -> vb_metric_t * (borrowed).
typedef struct {
    vb_metrics_family_t *family;  //  Owned by the registry
    zhashx_t *series;             //  Key (see s_key) -> handle
    size_t max;                   //  Most label sets (the family's max_series)
} s_words_t;

struct _rt_metrics_t {
    vb_metrics_t *registry;                            //  Families and health
    vb_metrics_server_t *server;                       //  /metrics, /healthz; NULL
    char **venues;                                     //  Copied venue names
    size_t venue_count;                                //  Entries in venues
    char **accounts;                                   //  Copied account names
    size_t account_count;                              //  Entries in accounts
    vb_metric_t *orders[S_VENUES_MAX][S_STATE_SLOTS];  //  orders_total
    vb_metric_t *requests[S_VENUES_MAX][S_KIND_SLOTS][S_OUTCOME_SLOTS];  //  requests_total
    vb_metric_t *request_seconds[S_VENUES_MAX][S_KIND_SLOTS];            //  request_seconds
    vb_metric_t *roundtrip[S_VENUES_MAX];                                //  order_roundtrip_seconds
    vb_metric_t *own[S_VENUES_MAX];                                      //  order_own_seconds
    vb_metric_t *journal_commit;                                         //  journal_commit_seconds
    vb_metric_t *queue_depth[S_VENUES_MAX];                              //  ratelimit_queue_depth
    vb_metric_t *failovers[S_ACCOUNTS_MAX];                              //  failovers_total
    vb_metric_t *unknown_orders;                                         //  unknown_orders gauge
    vb_metric_t *open_orders;                                            //  open_orders gauge
    s_words_t drift;                                                     //  {venue,kind}
    s_words_t strategy;                                                  //  {kind,result}
    s_words_t stream;                                                    //  {account,kind}
    s_words_t alerts;                                                    //  {name}
    vb_metrics_family_t *used;                                           //  ratelimit_used
    vb_metrics_family_t *capacity;                                       //  ratelimit_capacity
    vb_metrics_family_t *blocked;                                        //  ratelimit_blocked
    zhashx_t *buckets;  //  Bucket name -> s_bucket_t
};

//  --------------------------------------------------------------------------
//  True when word is a bounded label word: [A-Za-z0-9_.-]{1,S_WORD_MAX}.

static bool
s_word_valid (const char *word)
{
    if (!word || !word[0])
        return false;
    size_t length = 0;
    for (const char *cursor = word; *cursor; cursor++, length++) {
        char c = *cursor;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok || length >= S_WORD_MAX)
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Number of entries in a NULL-terminated list.

static size_t
s_count (const char *const *list)
{
    size_t count = 0;
    while (list && list[count])
        count++;
    return count;
}

//  --------------------------------------------------------------------------
//  Position of name in list, or -1 (also for NULL).

static int
s_find (char *const *list, size_t count, const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (streq (list[i], name))
            return (int)i;
    return -1;
}

//  --------------------------------------------------------------------------
//  Copy a NULL-terminated name list, at most max names, each a non-empty
//  distinct string of at most S_NAME_MAX bytes. Returns 0 or -1 with the
//  cause in error.

static int
s_copy_names (const char *const *names, size_t max, const char *what, char ***list_p,
              size_t *count_p, char *error, size_t error_size)
{
    size_t count = s_count (names);
    if (count > max) {
        snprintf (error, error_size, "router/metrics: %zu %ss, at most %zu", count, what, max);
        return -1;
    }
    *list_p = (char **)zmalloc ((count + 1) * sizeof (char *));
    for (size_t i = 0; i < count; i++) {
        size_t length = strlen (names[i]);
        if (length == 0 || length > S_NAME_MAX) {
            snprintf (error, error_size, "router/metrics: %s name %zu is empty or too long", what,
                      i);
            return -1;
        }
        if (s_find (*list_p, *count_p, names[i]) >= 0) {
            snprintf (error, error_size, "router/metrics: %s '%s' listed twice", what, names[i]);
            return -1;
        }
        (*list_p)[i] = (char *)zmalloc (length + 1);  //  Aborts on out-of-memory
        memcpy ((*list_p)[i], names[i], length);
        *count_p = i + 1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Free a list made by s_copy_names and set *list_p to NULL.

static void
s_free_names (char ***list_p, size_t count)
{
    if (*list_p) {
        for (size_t i = 0; i < count; i++)
            free ((*list_p)[i]);
        free (*list_p);
        *list_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Word tables. The key joins a first part (a list index printed in
//  decimal, or a word) and an optional second word with '/', which no word
//  holds. Returns false when the key does not fit (it always does for
//  valid words).

static bool
s_key (char *key, size_t size, const char *first, const char *second)
{
    int written =
        second ? snprintf (key, size, "%s/%s", first, second) : snprintf (key, size, "%s", first);
    return written > 0 && (size_t)written < size;
}

static int
s_words_init (s_words_t *words, vb_metrics_family_t *family, size_t max)
{
    words->family = family;
    words->max = max;
    words->series = zhashx_new ();
    return family && words->series ? 0 : -1;
}

//  The handle for key and these label values: the cached one, or a new
//  series while the table has room. NULL when full or refused.

static vb_metric_t *
s_words_series (s_words_t *words, const char *key, const char *const *values)
{
    vb_metric_t *metric = (vb_metric_t *)zhashx_lookup (words->series, key);
    if (metric || zhashx_size (words->series) >= words->max)
        return metric;
    metric = vb_metrics_series (words->family, values);
    if (metric)
        zhashx_insert (words->series, key, metric);
    return metric;
}

//  --------------------------------------------------------------------------
//  The series of each free-word family for these labels, found or created;
//  NULL for an unknown venue or account, a bad word, or a full table.

static vb_metric_t *
s_drift_series (rt_metrics_t *self, const char *venue, const char *kind)
{
    int index = s_find (self->venues, self->venue_count, venue);
    char key[S_KEY_MAX];
    char position[S_KEY_MAX];
    if (index < 0 || !s_word_valid (kind))
        return NULL;
    snprintf (position, sizeof (position), "%d", index);
    if (!s_key (key, sizeof (key), position, kind))
        return NULL;
    return s_words_series (&self->drift, key, (const char *[]){venue, kind, NULL});
}

static vb_metric_t *
s_strategy_series (rt_metrics_t *self, const char *kind, const char *result)
{
    char key[S_KEY_MAX];
    if (!s_word_valid (kind) || !s_word_valid (result) || !s_key (key, sizeof (key), kind, result))
        return NULL;
    return s_words_series (&self->strategy, key, (const char *[]){kind, result, NULL});
}

static vb_metric_t *
s_stream_series (rt_metrics_t *self, const char *account, const char *kind)
{
    int index = s_find (self->accounts, self->account_count, account);
    char key[S_KEY_MAX];
    char position[S_KEY_MAX];
    if (index < 0 || !s_word_valid (kind))
        return NULL;
    snprintf (position, sizeof (position), "%d", index);
    if (!s_key (key, sizeof (key), position, kind))
        return NULL;
    return s_words_series (&self->stream, key, (const char *[]){account, kind, NULL});
}

static vb_metric_t *
s_alert_series (rt_metrics_t *self, const char *name)
{
    if (!s_word_valid (name))
        return NULL;
    return s_words_series (&self->alerts, name, (const char *[]){name, NULL});
}

//  --------------------------------------------------------------------------
//  Free a bucket's handles (zhashx destructor).

static void
s_bucket_destroy (void **item_p)
{
    if (*item_p) {
        free (*item_p);
        *item_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Declare the families and take the fixed handles. Returns 0 or -1.

static int
s_declare (rt_metrics_t *self)
{
    static const char *const venue_state[] = {"venue", "state", NULL};
    static const char *const venue_kind_outcome[] = {"venue", "kind", "outcome", NULL};
    static const char *const venue_kind[] = {"venue", "kind", NULL};
    static const char *const venue_only[] = {"venue", NULL};
    static const char *const account_only[] = {"account", NULL};
    static const char *const kind_result[] = {"kind", "result", NULL};
    static const char *const account_kind[] = {"account", "kind", NULL};
    static const char *const bucket_scope[] = {"bucket", "scope", NULL};
    static const char *const name_only[] = {"name", NULL};
    vb_metrics_t *registry = self->registry;
    size_t venues = self->venue_count ? self->venue_count : 1;
    size_t accounts = self->account_count ? self->account_count : 1;
    size_t drift_max = self->venue_count * s_count (s_drift_kinds) + S_WORDS_MAX;
    size_t strategy_max =
        s_count (s_strategy_kinds) * s_count (s_strategy_results) + 1 + S_WORDS_MAX;
    size_t stream_max = self->account_count * s_count (s_stream_kinds) + S_WORDS_MAX;
    size_t alerts_max = s_count (s_alert_names) + S_WORDS_MAX;
    vb_metrics_family_t *orders = vb_metrics_add_counter (
        registry, "venuebus_router_orders_total", "Order transitions into each state.", venue_state,
        venues * (S_STATE_SLOTS - 1));
    vb_metrics_family_t *requests = vb_metrics_add_counter (
        registry, "venuebus_router_requests_total", "Venue REST answers by parsed outcome.",
        venue_kind_outcome, venues * (S_KIND_SLOTS - 1) * (S_OUTCOME_SLOTS - 1));
    vb_metrics_family_t *request_seconds = vb_metrics_add_histogram (
        registry, "venuebus_router_request_seconds",
        "Venue REST round trip, request sent to answer parsed.", venue_kind,
        venues * (S_KIND_SLOTS - 1), s_latency_bounds, S_LATENCY_BOUNDS);
    vb_metrics_family_t *roundtrip =
        vb_metrics_add_histogram (registry, "venuebus_router_order_roundtrip_seconds",
                                  "NewOrder received to the first venue state reported.",
                                  venue_only, venues, s_latency_bounds, S_LATENCY_BOUNDS);
    vb_metrics_family_t *own = vb_metrics_add_histogram (
        registry, "venuebus_router_order_own_seconds",
        "The router's own share of an order: NewOrder read to request written, answer to "
        "report sent, less journal writes and rate-limit waits.",
        venue_only, venues, s_own_bounds, S_OWN_BOUNDS);
    vb_metrics_family_t *journal_commit =
        vb_metrics_add_histogram (registry, "venuebus_router_journal_commit_seconds",
                                  "One new order's durable journal write (fsync included).", NULL,
                                  1, s_latency_bounds, S_LATENCY_BOUNDS);
    vb_metrics_family_t *unknown_orders =
        vb_metrics_add_gauge (registry, "venuebus_router_unknown_orders",
                              "Orders whose outcome is not known now (UNKNOWN).", NULL, 1);
    vb_metrics_family_t *open_orders = vb_metrics_add_gauge (
        registry, "venuebus_router_open_orders", "Orders in a non-terminal state now.", NULL, 1);
    vb_metrics_family_t *drift = vb_metrics_add_counter (
        registry, "venuebus_router_reconcile_drift_total",
        "What reconciliation found that the private stream had not said.", venue_kind, drift_max);
    vb_metrics_family_t *failovers =
        vb_metrics_add_counter (registry, "venuebus_router_failovers_total",
                                "Base URL switches per account.", account_only, accounts);
    vb_metrics_family_t *strategy = vb_metrics_add_counter (
        registry, "venuebus_router_strategy_messages_total",
        "Strategy frames by kind and result (accepted, rejected, malformed).", kind_result,
        strategy_max);
    vb_metrics_family_t *stream = vb_metrics_add_counter (
        registry, "venuebus_router_stream_events_total",
        "Private stream events per account (opened, closed, frame).", account_kind, stream_max);
    self->used =
        vb_metrics_add_gauge (registry, "venuebus_router_ratelimit_used",
                              "Rate-limit units in use per bucket.", bucket_scope, S_BUCKETS_MAX);
    self->capacity = vb_metrics_add_gauge (registry, "venuebus_router_ratelimit_capacity",
                                           "Rate-limit bucket burst.", bucket_scope, S_BUCKETS_MAX);
    vb_metrics_family_t *queue_depth = vb_metrics_add_gauge (
        registry, "venuebus_router_ratelimit_queue_depth",
        "Requests waiting on a venue's rate limits (all lanes).", venue_only, venues);
    self->blocked = vb_metrics_add_gauge (registry, "venuebus_router_ratelimit_blocked",
                                          "1 while a bucket is stopped by a 429 or a ban (418).",
                                          bucket_scope, S_BUCKETS_MAX);
    vb_metrics_family_t *alerts =
        vb_metrics_add_gauge (registry, "venuebus_router_alerts_firing",
                              "1 while the named alert fires.", name_only, alerts_max);
    self->buckets = zhashx_new ();
    if (!orders || !requests || !request_seconds || !roundtrip || !own || !journal_commit ||
        !unknown_orders || !open_orders || !failovers || !queue_depth || !self->used ||
        !self->capacity || !self->blocked || !self->buckets ||
        s_words_init (&self->drift, drift, drift_max) != 0 ||
        s_words_init (&self->strategy, strategy, strategy_max) != 0 ||
        s_words_init (&self->stream, stream, stream_max) != 0 ||
        s_words_init (&self->alerts, alerts, alerts_max) != 0 ||
        vb_metrics_add_process (registry, "router", vb_clock_now_real_ns ()) != 0)
        return -1;
    zhashx_set_destructor (self->buckets, s_bucket_destroy);

    self->unknown_orders = vb_metrics_series (unknown_orders, NULL);
    self->open_orders = vb_metrics_series (open_orders, NULL);
    self->journal_commit = vb_metrics_series (journal_commit, NULL);
    if (!self->unknown_orders || !self->open_orders || !self->journal_commit)
        return -1;
    for (size_t v = 0; v < self->venue_count; v++) {
        const char *venue = self->venues[v];
        for (int state = 1; state < S_STATE_SLOTS; state++) {
            self->orders[v][state] =
                vb_metrics_series (orders, (const char *[]){venue, s_state_names[state], NULL});
            if (!self->orders[v][state])
                return -1;
        }
        for (int kind = 1; kind < S_KIND_SLOTS; kind++) {
            for (int outcome = 1; outcome < S_OUTCOME_SLOTS; outcome++) {
                self->requests[v][kind][outcome] =
                    vb_metrics_series (requests, (const char *[]){venue, s_kind_names[kind],
                                                                  s_outcome_names[outcome], NULL});
                if (!self->requests[v][kind][outcome])
                    return -1;
            }
            self->request_seconds[v][kind] = vb_metrics_series (
                request_seconds, (const char *[]){venue, s_kind_names[kind], NULL});
            if (!self->request_seconds[v][kind])
                return -1;
        }
        self->roundtrip[v] = vb_metrics_series (roundtrip, (const char *[]){venue, NULL});
        self->own[v] = vb_metrics_series (own, (const char *[]){venue, NULL});
        self->queue_depth[v] = vb_metrics_series (queue_depth, (const char *[]){venue, NULL});
        if (!self->roundtrip[v] || !self->own[v] || !self->queue_depth[v])
            return -1;
    }
    for (size_t a = 0; a < self->account_count; a++) {
        self->failovers[a] =
            vb_metrics_series (failovers, (const char *[]){self->accounts[a], NULL});
        if (!self->failovers[a])
            return -1;
    }
    //  The known words, so their series read 0 from the start.
    for (size_t v = 0; v < self->venue_count; v++)
        for (size_t k = 0; s_drift_kinds[k]; k++)
            if (!s_drift_series (self, self->venues[v], s_drift_kinds[k]))
                return -1;
    for (size_t k = 0; s_strategy_kinds[k]; k++)
        for (size_t r = 0; s_strategy_results[r]; r++)
            if (!s_strategy_series (self, s_strategy_kinds[k], s_strategy_results[r]))
                return -1;
    if (!s_strategy_series (self, s_strategy_malformed[0], s_strategy_malformed[1]))
        return -1;
    for (size_t a = 0; a < self->account_count; a++)
        for (size_t k = 0; s_stream_kinds[k]; k++)
            if (!s_stream_series (self, self->accounts[a], s_stream_kinds[k]))
                return -1;
    for (size_t n = 0; s_alert_names[n]; n++)
        if (!s_alert_series (self, s_alert_names[n]))
            return -1;
    return 0;
}

//  --------------------------------------------------------------------------
//  Constructor and destructor.

rt_metrics_t *
rt_metrics_new (const char *const *venues, const char *const *accounts, const char *address,
                char *error, size_t error_size)
{
    assert (error && error_size > 0);
    error[0] = 0;
    rt_metrics_t *self = (rt_metrics_t *)zmalloc (sizeof (rt_metrics_t));
    if (s_copy_names (venues, S_VENUES_MAX, "venue", &self->venues, &self->venue_count, error,
                      error_size) != 0 ||
        s_copy_names (accounts, S_ACCOUNTS_MAX, "account", &self->accounts, &self->account_count,
                      error, error_size) != 0) {
        rt_metrics_destroy (&self);
        return NULL;
    }
    self->registry = vb_metrics_new ();
    if (!self->registry || s_declare (self) != 0) {
        snprintf (error, error_size,
                  "router/metrics: cannot declare the metrics (bad venue or account name?)");
        rt_metrics_destroy (&self);
        return NULL;
    }
    if (address && address[0]) {
        int code = 0;
        self->server = vb_metrics_server_new (self->registry, address, &code);
        if (!self->server) {
            snprintf (error, error_size, "router/metrics: cannot serve on %s: %s", address,
                      strerror (code ? code : EINVAL));
            rt_metrics_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
rt_metrics_destroy (rt_metrics_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        rt_metrics_t *self = *self_p;
        vb_metrics_server_destroy (&self->server);
        zhashx_destroy (&self->buckets);
        zhashx_destroy (&self->alerts.series);
        zhashx_destroy (&self->stream.series);
        zhashx_destroy (&self->strategy.series);
        zhashx_destroy (&self->drift.series);
        vb_metrics_destroy (&self->registry);
        s_free_names (&self->accounts, self->account_count);
        s_free_names (&self->venues, self->venue_count);
        free (self);
        *self_p = NULL;
    }
}

const char *
rt_metrics_address (rt_metrics_t *self)
{
    return self && self->server ? vb_metrics_server_address (self->server) : "";
}

//  --------------------------------------------------------------------------
//  Updates.

void
rt_metrics_order_state (rt_metrics_t *self, const char *venue, vb_exec_state_t state)
{
    if (!self || (int)state < 1 || (int)state >= S_STATE_SLOTS)
        return;
    int index = s_find (self->venues, self->venue_count, venue);
    if (index >= 0)
        vb_metrics_counter_add (self->orders[index][state], 1);
}

void
rt_metrics_request (rt_metrics_t *self, const char *venue, vb_exec_kind_t kind,
                    vb_exec_outcome_t outcome, int64_t round_trip_ns)
{
    if (!self || (int)kind < 1 || (int)kind >= S_KIND_SLOTS)
        return;
    int index = s_find (self->venues, self->venue_count, venue);
    if (index < 0)
        return;
    //  An answer whose outcome is out of range still took its round trip.
    if ((int)outcome >= 1 && (int)outcome < S_OUTCOME_SLOTS)
        vb_metrics_counter_add (self->requests[index][kind][outcome], 1);
    vb_metrics_histogram_observe (self->request_seconds[index][kind], round_trip_ns);
}

void
rt_metrics_order_roundtrip (rt_metrics_t *self, const char *venue, int64_t ns)
{
    if (!self)
        return;
    int index = s_find (self->venues, self->venue_count, venue);
    if (index >= 0)
        vb_metrics_histogram_observe (self->roundtrip[index], ns);
}

void
rt_metrics_order_own (rt_metrics_t *self, const char *venue, int64_t ns)
{
    if (!self)
        return;
    int index = s_find (self->venues, self->venue_count, venue);
    if (index >= 0)
        vb_metrics_histogram_observe (self->own[index], ns < 0 ? 0 : ns);
}

void
rt_metrics_journal_commit (rt_metrics_t *self, int64_t ns)
{
    if (self)
        vb_metrics_histogram_observe (self->journal_commit, ns);
}

void
rt_metrics_unknown_orders (rt_metrics_t *self, int64_t count)
{
    if (self)
        vb_metrics_gauge_set (self->unknown_orders, count);
}

void
rt_metrics_open_orders (rt_metrics_t *self, int64_t count)
{
    if (self)
        vb_metrics_gauge_set (self->open_orders, count);
}

void
rt_metrics_drift (rt_metrics_t *self, const char *venue, const char *kind)
{
    if (self)
        vb_metrics_counter_add (s_drift_series (self, venue, kind), 1);
}

void
rt_metrics_failover (rt_metrics_t *self, const char *account)
{
    if (!self)
        return;
    int index = s_find (self->accounts, self->account_count, account);
    if (index >= 0)
        vb_metrics_counter_add (self->failovers[index], 1);
}

void
rt_metrics_strategy_message (rt_metrics_t *self, const char *kind, const char *result)
{
    if (self)
        vb_metrics_counter_add (s_strategy_series (self, kind, result), 1);
}

void
rt_metrics_stream_event (rt_metrics_t *self, const char *account, const char *kind)
{
    if (self)
        vb_metrics_counter_add (s_stream_series (self, account, kind), 1);
}

//  --------------------------------------------------------------------------
//  One bucket's usage: its series are created on first sight of its name.

void
rt_metrics_ratelimit (rt_metrics_t *self, const rt_limits_usage_t *usage)
{
    if (!self || !usage)
        return;
    //  Bounded copies: the struct's strings are not trusted to be terminated.
    char bucket[RT_LIMITS_NAME_MAX];
    char scope[RT_LIMITS_NAME_MAX];
    char venue[sizeof (usage->venue)];
    snprintf (bucket, sizeof (bucket), "%.*s", (int)strnlen (usage->bucket, sizeof (usage->bucket)),
              usage->bucket);
    snprintf (scope, sizeof (scope), "%.*s", (int)strnlen (usage->scope, sizeof (usage->scope)),
              usage->scope);
    snprintf (venue, sizeof (venue), "%.*s", (int)strnlen (usage->venue, sizeof (usage->venue)),
              usage->venue);
    int index = s_find (self->venues, self->venue_count, venue);
    if (index < 0 || !bucket[0] || !scope[0])
        return;
    s_bucket_t *entry = (s_bucket_t *)zhashx_lookup (self->buckets, bucket);
    if (!entry) {
        if (zhashx_size (self->buckets) >= S_BUCKETS_MAX)
            return;
        const char *const values[] = {bucket, scope, NULL};
        vb_metric_t *used = vb_metrics_series (self->used, values);
        vb_metric_t *capacity = vb_metrics_series (self->capacity, values);
        vb_metric_t *blocked = vb_metrics_series (self->blocked, values);
        if (!used || !capacity || !blocked)
            return;
        entry = (s_bucket_t *)zmalloc (sizeof (s_bucket_t));
        entry->used = used;
        entry->capacity = capacity;
        entry->blocked = blocked;
        zhashx_insert (self->buckets, bucket, entry);
    }
    vb_metrics_gauge_set (entry->used, usage->used);
    vb_metrics_gauge_set (entry->capacity, usage->capacity);
    vb_metrics_gauge_set (entry->blocked, usage->banned || usage->blocked_until_ns > 0 ? 1 : 0);
    vb_metrics_gauge_set (self->queue_depth[index],
                          usage->queue_depth > INT64_MAX ? INT64_MAX : (int64_t)usage->queue_depth);
}

//  --------------------------------------------------------------------------
//  Alerts and health.

void
rt_metrics_alert (rt_metrics_t *self, const char *name, bool firing)
{
    if (self)
        vb_metrics_gauge_set (s_alert_series (self, name), firing ? 1 : 0);
}

void
rt_metrics_health (rt_metrics_t *self, bool healthy, const char *reason)
{
    if (self)
        vb_metrics_set_health (self->registry, healthy, reason);
}
