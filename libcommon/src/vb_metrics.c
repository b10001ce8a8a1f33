/*  vb_metrics.c — Prometheus registry, text exposition and the HTTP server.

    Layout: a registry holds a list of families in registration order; a
    family holds its series in creation order plus an optional overflow
    series. The structure only grows, under the registry's lock, and is freed
    only by vb_metrics_destroy; values live in C11 atomics inside each series
    so updates never take the lock. Rendering walks the structure under the
    lock and reads each value with one relaxed load.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vb_error.h"
#include "vb_metrics.h"

//  Updates must be single lock-free instructions on the hot path.
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");

#define S_NS_PER_SECOND    UINT64_C (1000000000)
#define S_NS_DIGITS        9     //  Fractional digits of a second in ns
#define S_NUMBER_MAX       48    //  Room for any formatted int64 or seconds value
#define S_BUFFER_INITIAL   4096  //  First allocation of the render buffer
#define S_LISTEN_BACKLOG   64    //  listen (2) backlog of the HTTP socket
#define S_PORT_MAX         65535
#define S_PORT_DIGITS_MAX  5
#define S_SUFFIX_TOTAL     "_total"
#define S_SUFFIX_SECONDS   "_seconds"
#define S_LABEL_RESERVED   "__"
#define S_LABEL_LE         "le"
#define S_LABEL_SERVICE    "service"
#define S_PATH_METRICS     "/metrics"
#define S_PATH_HEALTHZ     "/healthz"
#define S_TEXT_TYPE        "text/plain; charset=utf-8"
#define S_BODY_OK          "ok\n"
#define S_BODY_NOT_FOUND   "not found\n"
#define S_BODY_NOT_ALLOWED "method not allowed\n"
#define S_ALLOWED_METHODS  "GET, HEAD"
#define S_UTF8_REPLACEMENT '?'

//  Names a histogram family also prints; none may clash with another family.
static const char *const s_histogram_suffixes[] = {"_bucket", "_sum", "_count", NULL};

struct _vb_metric_t {
    vb_metrics_family_t *family;  //  The family this series belongs to
    char **values;                //  One label value per label name
    char *labels_text;            //  Escaped 'a="x",b="y"', or "" without labels
    _Atomic uint64_t count;       //  Counter value
    _Atomic int64_t value;        //  Gauge value, or histogram sum
    _Atomic uint64_t *buckets;    //  Histogram: per-bucket counts, +Inf last
    vb_metric_t *next;            //  Next series in creation order
};

struct _vb_metrics_family_t {
    vb_metrics_t *registry;                  //  Owner, for its lock
    vb_metrics_type_t type;                  //  Counter, gauge or histogram
    char *name;                              //  Metric name
    char *help;                              //  Help text, unescaped
    bool seconds;                            //  Values are ns, printed as seconds
    size_t label_count;                      //  Label names in labels
    char *labels[VB_METRICS_LABELS_MAX];     //  Label names
    size_t max_series;                       //  Cap on distinct label sets
    size_t bound_count;                      //  Histogram bucket bounds
    int64_t bounds[VB_METRICS_BUCKETS_MAX];  //  Histogram bounds, increasing
    size_t series_count;                     //  Series in the list, overflow excluded
    vb_metric_t *first;                      //  Series in creation order
    vb_metric_t *last;                       //  Tail, for appending
    vb_metric_t *overflow;                   //  Overflow series once handed out
    vb_metrics_family_t *next;               //  Next family in registration order
};

struct _vb_metrics_t {
    pthread_mutex_t lock;                    //  Guards structure and health
    bool lock_ready;                         //  lock was initialised
    vb_metrics_family_t *first;              //  Families in registration order
    vb_metrics_family_t *last;               //  Tail, for appending
    bool healthy;                            //  What /healthz reports
    char reason[VB_METRICS_REASON_MAX + 1];  //  Why not healthy
    vb_metric_t *up;                         //  venuebus_up, once add_process ran
    vb_metric_t *healthy_gauge;              //  venuebus_healthy, mirrors healthy
};

struct _vb_metrics_server_t {
    vb_metrics_t *registry;                    //  Borrowed registry to serve
    struct MHD_Daemon *daemon;                 //  libmicrohttpd daemon and its thread
    int fd;                                    //  Listening socket, -1 if none
    uint16_t port;                             //  Port actually bound
    char address[VB_METRICS_ADDRESS_MAX + 1];  //  "HOST:PORT" actually bound
};

//  A growing text buffer for rendering.
typedef struct {
    char *data;       //  Text, NUL-terminated
    size_t size;      //  Bytes used, without the NUL
    size_t capacity;  //  Bytes allocated
} s_buffer_t;

//  --------------------------------------------------------------------------
//  Make room for `length` more bytes and the NUL; abort on out-of-memory as
//  zmalloc does.

static void
s_buffer_reserve (s_buffer_t *buffer, size_t length)
{
    if (buffer->size + length + 1 <= buffer->capacity)
        return;
    size_t capacity = buffer->capacity ? buffer->capacity : S_BUFFER_INITIAL;
    while (capacity < buffer->size + length + 1)
        capacity *= 2;
    char *data = (char *)realloc (buffer->data, capacity);
    if (!data)
        abort ();
    buffer->data = data;
    buffer->capacity = capacity;
    buffer->data[buffer->size] = 0;
}

//  --------------------------------------------------------------------------
//  Append bytes.

static void
s_buffer_add (s_buffer_t *buffer, const char *bytes, size_t length)
{
    s_buffer_reserve (buffer, length);
    memcpy (buffer->data + buffer->size, bytes, length);
    buffer->size += length;
    buffer->data[buffer->size] = 0;
}

//  --------------------------------------------------------------------------
//  Append a NUL-terminated string.

static void
s_buffer_str (s_buffer_t *buffer, const char *text)
{
    s_buffer_add (buffer, text, strlen (text));
}

//  --------------------------------------------------------------------------
//  Append text escaped for the exposition format: backslash and newline
//  always, the double quote too inside a label value.

static void
s_buffer_escaped (s_buffer_t *buffer, const char *text, bool quote)
{
    for (const char *at = text; *at; at++) {
        if (*at == '\\')
            s_buffer_add (buffer, "\\\\", 2);
        else if (*at == '\n')
            s_buffer_add (buffer, "\\n", 2);
        else if (*at == '"' && quote)
            s_buffer_add (buffer, "\\\"", 2);
        else
            s_buffer_add (buffer, at, 1);
    }
}

//  --------------------------------------------------------------------------
//  Length of the valid UTF-8 sequence at `bytes` (at most `left` bytes), or
//  0 if it is not one: no overlong forms, no surrogates, nothing past
//  U+10FFFF (RFC 3629 section 4).

static size_t
s_utf8_length (const unsigned char *bytes, size_t left)
{
    unsigned char lead = bytes[0];
    if (lead < 0x80)
        return 1;
    size_t length;
    unsigned char low = 0x80, high = 0xBF;  //  Range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF)
        length = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0)
            low = 0xA0;  //  Overlong below U+0800
        else if (lead == 0xED)
            high = 0x9F;  //  Surrogates U+D800..U+DFFF
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0)
            low = 0x90;  //  Overlong below U+10000
        else if (lead == 0xF4)
            high = 0x8F;  //  Above U+10FFFF
    } else
        return 0;
    if (left < length || bytes[1] < low || bytes[1] > high)
        return 0;
    for (size_t index = 2; index < length; index++)
        if (bytes[index] < 0x80 || bytes[index] > 0xBF)
            return 0;
    return length;
}

//  --------------------------------------------------------------------------
//  True if text is valid UTF-8 of at most max_length bytes.

static bool
s_utf8_valid (const char *text, size_t max_length)
{
    size_t length = strnlen (text, max_length + 1);
    if (length > max_length)
        return false;
    const unsigned char *bytes = (const unsigned char *)text;
    for (size_t offset = 0; offset < length;) {
        size_t step = s_utf8_length (bytes + offset, length - offset);
        if (step == 0)
            return false;
        offset += step;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  True if name is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or, with
//  label set, a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not "__...").

static bool
s_name_valid (const char *name, bool label)
{
    if (!name || !*name || strnlen (name, VB_METRICS_NAME_MAX + 1) > VB_METRICS_NAME_MAX)
        return false;
    if (label && strncmp (name, S_LABEL_RESERVED, strlen (S_LABEL_RESERVED)) == 0)
        return false;
    for (const char *at = name; *at; at++) {
        char c = *at;
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        bool colon = c == ':' && !label;
        if (!(letter || colon || (digit && at != name)))
            return false;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  True if text ends with suffix.

static bool
s_ends_with (const char *text, const char *suffix)
{
    size_t length = strlen (text), suffix_length = strlen (suffix);
    return length >= suffix_length && strcmp (text + length - suffix_length, suffix) == 0;
}

//  --------------------------------------------------------------------------
//  True if `name` equals `base` followed by one of the histogram suffixes.

static bool
s_is_histogram_line (const char *name, const char *base)
{
    size_t base_length = strlen (base);
    if (strncmp (name, base, base_length) != 0)
        return false;
    for (size_t index = 0; s_histogram_suffixes[index]; index++)
        if (strcmp (name + base_length, s_histogram_suffixes[index]) == 0)
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  True if a new family `name` of `type` would print a line name that an
//  existing family prints, or the other way round. Call with the lock held.

static bool
s_name_taken (vb_metrics_t *self, const char *name, vb_metrics_type_t type)
{
    for (vb_metrics_family_t *family = self->first; family; family = family->next) {
        if (strcmp (family->name, name) == 0)
            return true;
        if (family->type == VB_METRICS_HISTOGRAM && s_is_histogram_line (name, family->name))
            return true;
        if (type == VB_METRICS_HISTOGRAM && s_is_histogram_line (family->name, name))
            return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Format an integer value, or ns as decimal seconds without trailing
//  fractional zeros. Integer arithmetic only: the magnitude is taken as
//  uint64, so INT64_MIN is safe.

static void
s_format_value (char *text, size_t size, int64_t value, bool seconds)
{
    if (!seconds) {
        snprintf (text, size, "%" PRId64, value);
        return;
    }
    uint64_t magnitude = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    uint64_t whole = magnitude / S_NS_PER_SECOND;
    uint64_t fraction = magnitude % S_NS_PER_SECOND;
    const char *sign = value < 0 ? "-" : "";
    if (fraction == 0) {
        snprintf (text, size, "%s%" PRIu64, sign, whole);
        return;
    }
    int digits = S_NS_DIGITS;
    while (fraction % 10 == 0) {
        fraction /= 10;
        digits--;
    }
    snprintf (text, size, "%s%" PRIu64 ".%0*" PRIu64, sign, whole, digits, fraction);
}

//  --------------------------------------------------------------------------
//  Free one series.

static void
s_metric_destroy (vb_metric_t **self_p)
{
    assert (self_p);
    vb_metric_t *self = *self_p;
    if (self) {
        if (self->values)
            for (size_t index = 0; index < self->family->label_count; index++)
                free (self->values[index]);
        free (self->values);
        free (self->labels_text);
        free ((void *)self->buckets);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Create one series of `family` with the given label values (already
//  validated), its label text escaped once for rendering.

static vb_metric_t *
s_metric_new (vb_metrics_family_t *family, const char *const *values)
{
    vb_metric_t *self = (vb_metric_t *)zmalloc (sizeof (vb_metric_t));
    self->family = family;
    atomic_init (&self->count, 0);
    atomic_init (&self->value, 0);
    s_buffer_t text = {0};
    s_buffer_reserve (&text, 0);
    if (family->label_count) {
        self->values = (char **)zmalloc (family->label_count * sizeof (char *));
        for (size_t index = 0; index < family->label_count; index++) {
            self->values[index] = strdup (values[index]);
            if (!self->values[index])
                abort ();
            if (index)
                s_buffer_str (&text, ",");
            s_buffer_str (&text, family->labels[index]);
            s_buffer_str (&text, "=\"");
            s_buffer_escaped (&text, values[index], true);
            s_buffer_str (&text, "\"");
        }
    }
    self->labels_text = text.data;
    if (family->type == VB_METRICS_HISTOGRAM) {
        size_t buckets = family->bound_count + 1;
        self->buckets = (_Atomic uint64_t *)zmalloc (buckets * sizeof (_Atomic uint64_t));
        for (size_t index = 0; index < buckets; index++)
            atomic_init (&self->buckets[index], 0);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Free a family and its series.

static void
s_family_destroy (vb_metrics_family_t **self_p)
{
    assert (self_p);
    vb_metrics_family_t *self = *self_p;
    if (self) {
        vb_metric_t *series = self->first;
        while (series) {
            vb_metric_t *next = series->next;
            s_metric_destroy (&series);
            series = next;
        }
        s_metric_destroy (&self->overflow);
        for (size_t index = 0; index < self->label_count; index++)
            free (self->labels[index]);
        free (self->name);
        free (self->help);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Create a registry.

vb_metrics_t *
vb_metrics_new (void)
{
    vb_metrics_t *self = (vb_metrics_t *)zmalloc (sizeof (vb_metrics_t));
    if (pthread_mutex_init (&self->lock, NULL) != 0) {
        vb_metrics_destroy (&self);
        return NULL;
    }
    self->lock_ready = true;
    snprintf (self->reason, sizeof (self->reason), "%s", VB_METRICS_REASON_STARTING);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy a registry and everything it gave out.

void
vb_metrics_destroy (vb_metrics_t **self_p)
{
    assert (self_p);
    vb_metrics_t *self = *self_p;
    if (self) {
        vb_metrics_family_t *family = self->first;
        while (family) {
            vb_metrics_family_t *next = family->next;
            s_family_destroy (&family);
            family = next;
        }
        if (self->lock_ready)
            pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Validate and declare a family of any type. Bounds are only for
//  histograms.

static vb_metrics_family_t *
s_add_family (vb_metrics_t *self, vb_metrics_type_t type, const char *name, const char *help,
              const char *const *labels, size_t max_series, const int64_t *bounds,
              size_t bound_count)
{
    assert (self);
    if (!s_name_valid (name, false) || !help || !*help || !s_utf8_valid (help, VB_METRICS_HELP_MAX))
        return NULL;
    bool total = s_ends_with (name, S_SUFFIX_TOTAL);
    if ((type == VB_METRICS_COUNTER) != total)
        return NULL;
    size_t label_count = 0;
    while (labels && labels[label_count]) {
        if (label_count == VB_METRICS_LABELS_MAX || !s_name_valid (labels[label_count], true))
            return NULL;
        if (type == VB_METRICS_HISTOGRAM && strcmp (labels[label_count], S_LABEL_LE) == 0)
            return NULL;
        for (size_t earlier = 0; earlier < label_count; earlier++)
            if (strcmp (labels[earlier], labels[label_count]) == 0)
                return NULL;
        label_count++;
    }
    if (label_count == 0)
        max_series = 1;
    if (max_series == 0 || max_series > VB_METRICS_SERIES_MAX)
        return NULL;
    if (type == VB_METRICS_HISTOGRAM) {
        if (!bounds || bound_count == 0 || bound_count > VB_METRICS_BUCKETS_MAX)
            return NULL;
        for (size_t index = 1; index < bound_count; index++)
            if (bounds[index] <= bounds[index - 1])
                return NULL;
        for (size_t index = 0; s_histogram_suffixes[index]; index++)
            if (s_ends_with (name, s_histogram_suffixes[index]))
                return NULL;
    }
    vb_metrics_family_t *family = (vb_metrics_family_t *)zmalloc (sizeof (vb_metrics_family_t));
    family->registry = self;
    family->type = type;
    family->name = strdup (name);
    family->help = strdup (help);
    if (!family->name || !family->help)
        abort ();
    family->seconds = s_ends_with (
        name, type == VB_METRICS_COUNTER ? S_SUFFIX_SECONDS S_SUFFIX_TOTAL : S_SUFFIX_SECONDS);
    family->label_count = label_count;
    for (size_t index = 0; index < label_count; index++) {
        family->labels[index] = strdup (labels[index]);
        if (!family->labels[index])
            abort ();
    }
    family->max_series = max_series;
    family->bound_count = bound_count;
    if (bound_count)
        memcpy (family->bounds, bounds, bound_count * sizeof (int64_t));

    pthread_mutex_lock (&self->lock);
    bool taken = s_name_taken (self, name, type);
    if (!taken) {
        if (self->last)
            self->last->next = family;
        else
            self->first = family;
        self->last = family;
    }
    pthread_mutex_unlock (&self->lock);
    if (taken)
        s_family_destroy (&family);
    return family;
}

//  --------------------------------------------------------------------------
//  Declare a counter family.

vb_metrics_family_t *
vb_metrics_add_counter (vb_metrics_t *self, const char *name, const char *help,
                        const char *const *labels, size_t max_series)
{
    return s_add_family (self, VB_METRICS_COUNTER, name, help, labels, max_series, NULL, 0);
}

//  --------------------------------------------------------------------------
//  Declare a gauge family.

vb_metrics_family_t *
vb_metrics_add_gauge (vb_metrics_t *self, const char *name, const char *help,
                      const char *const *labels, size_t max_series)
{
    return s_add_family (self, VB_METRICS_GAUGE, name, help, labels, max_series, NULL, 0);
}

//  --------------------------------------------------------------------------
//  Declare a histogram family.

vb_metrics_family_t *
vb_metrics_add_histogram (vb_metrics_t *self, const char *name, const char *help,
                          const char *const *labels, size_t max_series, const int64_t *bounds,
                          size_t bound_count)
{
    return s_add_family (self, VB_METRICS_HISTOGRAM, name, help, labels, max_series, bounds,
                         bound_count);
}

//  --------------------------------------------------------------------------
//  Find or create the series for a label set, or hand out the overflow
//  series past the cap.

vb_metric_t *
vb_metrics_series (vb_metrics_family_t *family, const char *const *values)
{
    assert (family);
    size_t count = 0;
    while (values && values[count]) {
        if (count == family->label_count || !s_utf8_valid (values[count], VB_METRICS_VALUE_MAX) ||
            strcmp (values[count], VB_METRICS_OVERFLOW_VALUE) == 0)
            return NULL;
        count++;
    }
    if (count != family->label_count)
        return NULL;

    vb_metrics_t *registry = family->registry;
    pthread_mutex_lock (&registry->lock);
    vb_metric_t *series = family->first;
    for (; series; series = series->next) {
        size_t index = 0;
        while (index < count && strcmp (series->values[index], values[index]) == 0)
            index++;
        if (index == count)
            break;
    }
    if (!series && family->series_count < family->max_series) {
        series = s_metric_new (family, values);
        if (family->last)
            family->last->next = series;
        else
            family->first = series;
        family->last = series;
        family->series_count++;
    } else if (!series) {
        if (!family->overflow) {
            const char *overflow[VB_METRICS_LABELS_MAX];
            for (size_t index = 0; index < count; index++)
                overflow[index] = VB_METRICS_OVERFLOW_VALUE;
            family->overflow = s_metric_new (family, overflow);
        }
        series = family->overflow;
    }
    pthread_mutex_unlock (&registry->lock);
    return series;
}

//  --------------------------------------------------------------------------
//  Distinct label sets, overflow included once handed out.

size_t
vb_metrics_family_size (vb_metrics_family_t *family)
{
    assert (family);
    pthread_mutex_lock (&family->registry->lock);
    size_t size = family->series_count + (family->overflow ? 1 : 0);
    pthread_mutex_unlock (&family->registry->lock);
    return size;
}

//  --------------------------------------------------------------------------
//  Hot path: add to a counter.

void
vb_metrics_counter_add (vb_metric_t *metric, uint64_t n)
{
    if (!metric)
        return;
    assert (metric->family->type == VB_METRICS_COUNTER);
    atomic_fetch_add_explicit (&metric->count, n, memory_order_relaxed);
}

//  --------------------------------------------------------------------------
//  Hot path: set a gauge.

void
vb_metrics_gauge_set (vb_metric_t *metric, int64_t value)
{
    if (!metric)
        return;
    assert (metric->family->type == VB_METRICS_GAUGE);
    atomic_store_explicit (&metric->value, value, memory_order_relaxed);
}

//  --------------------------------------------------------------------------
//  Hot path: move a gauge. C11 atomic arithmetic on signed types wraps
//  (7.17.7.5), so this is defined at the limits.

void
vb_metrics_gauge_add (vb_metric_t *metric, int64_t delta)
{
    if (!metric)
        return;
    assert (metric->family->type == VB_METRICS_GAUGE);
    atomic_fetch_add_explicit (&metric->value, delta, memory_order_relaxed);
}

//  --------------------------------------------------------------------------
//  Hot path: count one observation. The bucket search is a short linear scan
//  over at most VB_METRICS_BUCKETS_MAX bounds.

void
vb_metrics_histogram_observe (vb_metric_t *metric, int64_t value)
{
    if (!metric)
        return;
    vb_metrics_family_t *family = metric->family;
    assert (family->type == VB_METRICS_HISTOGRAM);
    size_t bucket = 0;
    while (bucket < family->bound_count && value > family->bounds[bucket])
        bucket++;
    atomic_fetch_add_explicit (&metric->buckets[bucket], 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&metric->value, value, memory_order_relaxed);
}

//  --------------------------------------------------------------------------
//  Read a counter.

uint64_t
vb_metrics_counter_value (vb_metric_t *metric)
{
    if (!metric)
        return 0;
    assert (metric->family->type == VB_METRICS_COUNTER);
    return atomic_load_explicit (&metric->count, memory_order_relaxed);
}

//  --------------------------------------------------------------------------
//  Read a gauge.

int64_t
vb_metrics_gauge_value (vb_metric_t *metric)
{
    if (!metric)
        return 0;
    assert (metric->family->type == VB_METRICS_GAUGE);
    return atomic_load_explicit (&metric->value, memory_order_relaxed);
}

//  --------------------------------------------------------------------------
//  Read a histogram's count: the sum of its buckets.

uint64_t
vb_metrics_histogram_count (vb_metric_t *metric)
{
    if (!metric)
        return 0;
    assert (metric->family->type == VB_METRICS_HISTOGRAM);
    uint64_t count = 0;
    for (size_t index = 0; index <= metric->family->bound_count; index++)
        count += atomic_load_explicit (&metric->buckets[index], memory_order_relaxed);
    return count;
}

//  --------------------------------------------------------------------------
//  Append 'name<suffix>{labels[,extra]} value\n'. extra is an already
//  formatted label pair (le="...") or NULL.

static void
s_render_line (s_buffer_t *buffer, const char *name, const char *suffix, const char *labels,
               const char *extra, const char *value)
{
    s_buffer_str (buffer, name);
    s_buffer_str (buffer, suffix);
    if (*labels || extra) {
        s_buffer_str (buffer, "{");
        s_buffer_str (buffer, labels);
        if (*labels && extra)
            s_buffer_str (buffer, ",");
        if (extra)
            s_buffer_str (buffer, extra);
        s_buffer_str (buffer, "}");
    }
    s_buffer_str (buffer, " ");
    s_buffer_str (buffer, value);
    s_buffer_str (buffer, "\n");
}

//  --------------------------------------------------------------------------
//  Append one series' lines. A histogram reads each bucket once and prints
//  running totals, so its +Inf bucket and _count are the same number.

static void
s_render_series (s_buffer_t *buffer, vb_metrics_family_t *family, vb_metric_t *series)
{
    char value[S_NUMBER_MAX];
    if (family->type == VB_METRICS_COUNTER) {
        uint64_t count = atomic_load_explicit (&series->count, memory_order_relaxed);
        if (family->seconds)  //  In ns: past INT64_MAX (292 years) it saturates
            s_format_value (value, sizeof (value), count > INT64_MAX ? INT64_MAX : (int64_t)count,
                            true);
        else
            snprintf (value, sizeof (value), "%" PRIu64, count);
        s_render_line (buffer, family->name, "", series->labels_text, NULL, value);
        return;
    }
    if (family->type == VB_METRICS_GAUGE) {
        s_format_value (value, sizeof (value),
                        atomic_load_explicit (&series->value, memory_order_relaxed),
                        family->seconds);
        s_render_line (buffer, family->name, "", series->labels_text, NULL, value);
        return;
    }
    uint64_t cumulative = 0;
    char bound[S_NUMBER_MAX];
    char le[S_NUMBER_MAX + sizeof (S_LABEL_LE "=\"\"")];
    for (size_t index = 0; index <= family->bound_count; index++) {
        cumulative += atomic_load_explicit (&series->buckets[index], memory_order_relaxed);
        if (index < family->bound_count)
            s_format_value (bound, sizeof (bound), family->bounds[index], family->seconds);
        else
            snprintf (bound, sizeof (bound), "+Inf");
        snprintf (le, sizeof (le), S_LABEL_LE "=\"%s\"", bound);
        snprintf (value, sizeof (value), "%" PRIu64, cumulative);
        s_render_line (buffer, family->name, "_bucket", series->labels_text, le, value);
    }
    s_format_value (value, sizeof (value),
                    atomic_load_explicit (&series->value, memory_order_relaxed), family->seconds);
    s_render_line (buffer, family->name, "_sum", series->labels_text, NULL, value);
    snprintf (value, sizeof (value), "%" PRIu64, cumulative);
    s_render_line (buffer, family->name, "_count", series->labels_text, NULL, value);
}

//  --------------------------------------------------------------------------
//  Render the registry in text format 0.0.4.

char *
vb_metrics_render (vb_metrics_t *self, size_t *size_p)
{
    assert (self);
    static const char *const type_names[] = {
        [VB_METRICS_COUNTER] = "counter",
        [VB_METRICS_GAUGE] = "gauge",
        [VB_METRICS_HISTOGRAM] = "histogram",
    };
    s_buffer_t buffer = {0};
    s_buffer_reserve (&buffer, 0);
    pthread_mutex_lock (&self->lock);
    for (vb_metrics_family_t *family = self->first; family; family = family->next) {
        s_buffer_str (&buffer, "# HELP ");
        s_buffer_str (&buffer, family->name);
        s_buffer_str (&buffer, " ");
        s_buffer_escaped (&buffer, family->help, false);
        s_buffer_str (&buffer, "\n# TYPE ");
        s_buffer_str (&buffer, family->name);
        s_buffer_str (&buffer, " ");
        s_buffer_str (&buffer, type_names[family->type]);
        s_buffer_str (&buffer, "\n");
        for (vb_metric_t *series = family->first; series; series = series->next)
            s_render_series (&buffer, family, series);
        if (family->overflow)
            s_render_series (&buffer, family, family->overflow);
    }
    pthread_mutex_unlock (&self->lock);
    if (size_p)
        *size_p = buffer.size;
    return buffer.data;
}

//  --------------------------------------------------------------------------
//  Declare venuebus_up, venuebus_healthy and process_start_time_seconds.

int
vb_metrics_add_process (vb_metrics_t *self, const char *service, int64_t start_real_ns)
{
    assert (self);
    if (!service || !*service || !s_utf8_valid (service, VB_METRICS_VALUE_MAX) ||
        strcmp (service, VB_METRICS_OVERFLOW_VALUE) == 0)
        return VB_EINVAL;
    static const char *const labels[] = {S_LABEL_SERVICE, NULL};
    vb_metrics_family_t *up =
        vb_metrics_add_gauge (self, "venuebus_up", "1 while the service process runs.", labels, 1);
    if (!up)
        return VB_EEXIST;
    vb_metrics_family_t *healthy = vb_metrics_add_gauge (
        self, "venuebus_healthy", "1 when the service reports itself healthy (see /healthz).",
        labels, 1);
    vb_metrics_family_t *start =
        vb_metrics_add_gauge (self, "process_start_time_seconds",
                              "Start time of the process since the Unix epoch.", NULL, 1);
    if (!healthy || !start)
        return VB_EEXIST;
    const char *values[] = {service, NULL};
    vb_metric_t *up_series = vb_metrics_series (up, values);
    vb_metric_t *healthy_series = vb_metrics_series (healthy, values);
    vb_metrics_gauge_set (up_series, 1);
    vb_metrics_gauge_set (vb_metrics_series (start, NULL), start_real_ns);
    pthread_mutex_lock (&self->lock);
    self->up = up_series;
    self->healthy_gauge = healthy_series;
    vb_metrics_gauge_set (self->healthy_gauge, self->healthy ? 1 : 0);
    pthread_mutex_unlock (&self->lock);
    return 0;
}

//  --------------------------------------------------------------------------
//  Set health; the reason is copied, cut at a character boundary, with
//  invalid UTF-8 bytes replaced.

void
vb_metrics_set_health (vb_metrics_t *self, bool healthy, const char *reason)
{
    assert (self);
    char copy[VB_METRICS_REASON_MAX + 1] = "";
    if (!healthy && reason) {
        const unsigned char *bytes = (const unsigned char *)reason;
        size_t length = strlen (reason), used = 0;
        for (size_t offset = 0; offset < length;) {
            size_t step = s_utf8_length (bytes + offset, length - offset);
            size_t take = step ? step : 1;
            if (used + take > VB_METRICS_REASON_MAX)
                break;
            if (step)
                memcpy (copy + used, reason + offset, step);
            else
                copy[used] = S_UTF8_REPLACEMENT;
            used += take;
            offset += take;
        }
        copy[used] = 0;
    }
    pthread_mutex_lock (&self->lock);
    self->healthy = healthy;
    memcpy (self->reason, copy, sizeof (self->reason));
    vb_metrics_gauge_set (self->healthy_gauge, healthy ? 1 : 0);
    pthread_mutex_unlock (&self->lock);
}

//  --------------------------------------------------------------------------
//  Read health and, when unhealthy, the reason.

bool
vb_metrics_healthy (vb_metrics_t *self, char *reason, size_t size)
{
    assert (self);
    pthread_mutex_lock (&self->lock);
    bool healthy = self->healthy;
    if (!healthy && reason && size > 0)
        snprintf (reason, size, "%s", self->reason);
    pthread_mutex_unlock (&self->lock);
    return healthy;
}

//  --------------------------------------------------------------------------
//  Queue one response with a body we own (malloc'd) and a content type.
//  Returns what MHD_queue_response returns, or MHD_NO when the response
//  cannot be made (which closes the connection).

static enum MHD_Result
s_respond (struct MHD_Connection *connection, unsigned int status, char *body, size_t size,
           const char *content_type, bool allow_header)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer (size, body, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (body);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (allow_header)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, S_ALLOWED_METHODS);
    enum MHD_Result result = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return result;
}

//  --------------------------------------------------------------------------
//  Respond with a fixed text body.

static enum MHD_Result
s_respond_text (struct MHD_Connection *connection, unsigned int status, const char *text,
                bool allow_header)
{
    char *body = strdup (text);
    if (!body)
        return MHD_NO;
    return s_respond (connection, status, body, strlen (body), S_TEXT_TYPE, allow_header);
}

//  --------------------------------------------------------------------------
//  libmicrohttpd access handler, run on the server's thread. MHD calls it
//  once when the headers are in (we only mark the request), then for each
//  chunk of body (discarded: GET and HEAD need none), then with no more data,
//  when we answer. HEAD gets the GET headers without the body (MHD drops it).

static enum MHD_Result
s_handle_request (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                  const char *version, const char *upload_data, size_t *upload_data_size,
                  void **request_state)
{
    (void)version;
    (void)upload_data;
    static int s_seen;  //  Marks a request whose headers were seen
    vb_metrics_server_t *self = (vb_metrics_server_t *)cls;
    bool readable =
        strcmp (method, MHD_HTTP_METHOD_GET) == 0 || strcmp (method, MHD_HTTP_METHOD_HEAD) == 0;
    if (!readable)
        return s_respond_text (connection, MHD_HTTP_METHOD_NOT_ALLOWED, S_BODY_NOT_ALLOWED, true);
    if (*request_state == NULL) {
        *request_state = &s_seen;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp (url, S_PATH_METRICS) == 0) {
        size_t size;
        char *text = vb_metrics_render (self->registry, &size);
        return s_respond (connection, MHD_HTTP_OK, text, size, VB_METRICS_CONTENT_TYPE, false);
    }
    if (strcmp (url, S_PATH_HEALTHZ) == 0) {
        char reason[VB_METRICS_REASON_MAX + 1];
        if (vb_metrics_healthy (self->registry, reason, sizeof (reason)))
            return s_respond_text (connection, MHD_HTTP_OK, S_BODY_OK, false);
        size_t length = strlen (reason);
        char *body = (char *)malloc (length + 2);
        if (!body)
            return MHD_NO;
        memcpy (body, reason, length);
        body[length] = '\n';
        body[length + 1] = 0;
        return s_respond (connection, MHD_HTTP_SERVICE_UNAVAILABLE, body, length + 1, S_TEXT_TYPE,
                          false);
    }
    return s_respond_text (connection, MHD_HTTP_NOT_FOUND, S_BODY_NOT_FOUND, false);
}

//  --------------------------------------------------------------------------
//  Split "HOST:PORT" (HOST may be "[v6]" or "*") and resolve it into
//  storage. Returns 0 or a positive errno.

static int
s_resolve (const char *address, struct sockaddr_storage *storage, socklen_t *length)
{
    if (!address || strnlen (address, VB_METRICS_ADDRESS_MAX + 1) > VB_METRICS_ADDRESS_MAX)
        return EINVAL;
    const char *colon = strrchr (address, ':');
    if (!colon || colon == address)
        return EINVAL;
    const char *port_text = colon + 1;
    size_t port_digits = strlen (port_text);
    if (port_digits == 0 || port_digits > S_PORT_DIGITS_MAX ||
        strspn (port_text, "0123456789") != port_digits)
        return EINVAL;
    long port = strtol (port_text, NULL, 10);
    if (port > S_PORT_MAX)
        return EINVAL;

    char host[VB_METRICS_ADDRESS_MAX + 1];
    size_t host_length = (size_t)(colon - address);
    memcpy (host, address, host_length);
    host[host_length] = 0;
    bool bracketed = host[0] == '[';
    if (bracketed) {
        if (host_length < 3 || host[host_length - 1] != ']')
            return EINVAL;
        memmove (host, host + 1, host_length - 2);
        host[host_length - 2] = 0;
    } else if (strchr (host, ':') || strchr (host, '[') || strchr (host, ']'))
        return EINVAL;  //  A bare IPv6 address is ambiguous: it must be bracketed
    struct addrinfo hints = {0};
    hints.ai_family = bracketed ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | (bracketed ? AI_NUMERICHOST : 0);
    struct addrinfo *found = NULL;
    bool any = strcmp (host, "*") == 0;
    if (any)
        hints.ai_family = AF_INET;
    if (getaddrinfo (any ? NULL : host, port_text, &hints, &found) != 0 || !found)
        return EADDRNOTAVAIL;
    memcpy (storage, found->ai_addr, found->ai_addrlen);
    *length = found->ai_addrlen;
    freeaddrinfo (found);
    return 0;
}

//  --------------------------------------------------------------------------
//  Format the bound address and port of fd into self.

static int
s_read_bound_address (vb_metrics_server_t *self)
{
    struct sockaddr_storage bound;
    socklen_t length = sizeof (bound);
    if (getsockname (self->fd, (struct sockaddr *)&bound, &length) != 0)
        return errno;
    char host[INET6_ADDRSTRLEN];
    if (bound.ss_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&bound;
        inet_ntop (AF_INET6, &in6->sin6_addr, host, sizeof (host));
        self->port = ntohs (in6->sin6_port);
        snprintf (self->address, sizeof (self->address), "[%s]:%u", host, self->port);
    } else {
        struct sockaddr_in *in4 = (struct sockaddr_in *)&bound;
        inet_ntop (AF_INET, &in4->sin_addr, host, sizeof (host));
        self->port = ntohs (in4->sin_port);
        snprintf (self->address, sizeof (self->address), "%s:%u", host, self->port);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Bind, listen, then hand the socket to libmicrohttpd. We bind ourselves so
//  a failure comes back with its errno, and port 0 can be read back.

vb_metrics_server_t *
vb_metrics_server_new (vb_metrics_t *registry, const char *address, int *error_p)
{
    assert (registry);
    struct sockaddr_storage storage;
    socklen_t length = 0;
    int error = s_resolve (address, &storage, &length);
    if (error) {
        if (error_p)
            *error_p = error;
        return NULL;
    }
    vb_metrics_server_t *self = (vb_metrics_server_t *)zmalloc (sizeof (vb_metrics_server_t));
    self->registry = registry;
    self->fd = socket (storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int reuse = 1;
    if (self->fd < 0 ||
        setsockopt (self->fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof (reuse)) != 0 ||
        bind (self->fd, (struct sockaddr *)&storage, length) != 0 ||
        listen (self->fd, S_LISTEN_BACKLOG) != 0)
        error = errno;
    if (!error)
        error = s_read_bound_address (self);
    if (!error) {
        //  The daemon's thread inherits our signal mask: block everything
        //  while it starts so signals keep going to the service's threads.
        sigset_t all, previous;
        sigfillset (&all);
        pthread_sigmask (SIG_BLOCK, &all, &previous);
        unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC;
        if (storage.ss_family == AF_INET6)
            flags |= MHD_USE_IPv6;
        self->daemon = MHD_start_daemon (
            flags, 0, NULL, NULL, s_handle_request, self, MHD_OPTION_LISTEN_SOCKET, self->fd,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)VB_METRICS_CONNECTIONS_MAX,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)VB_METRICS_CONNECTION_TIMEOUT_S,
            MHD_OPTION_END);
        pthread_sigmask (SIG_SETMASK, &previous, NULL);
        if (!self->daemon) {
            //  MHD may or may not have closed the socket on this path; leak
            //  it rather than risk closing a descriptor another thread got.
            self->fd = -1;
            error = ENOMEM;
        }
    }
    if (error) {
        vb_metrics_server_destroy (&self);
        if (error_p)
            *error_p = error;
        return NULL;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Stop the server. Quiescing first takes the listening socket back from
//  MHD, so it is closed exactly once, by us.

void
vb_metrics_server_destroy (vb_metrics_server_t **self_p)
{
    assert (self_p);
    vb_metrics_server_t *self = *self_p;
    if (self) {
        bool ours = true;
        if (self->daemon) {
            ours = MHD_quiesce_daemon (self->daemon) == self->fd;
            MHD_stop_daemon (self->daemon);
        }
        if (ours && self->fd >= 0)
            close (self->fd);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The bound port.

uint16_t
vb_metrics_server_port (vb_metrics_server_t *self)
{
    assert (self);
    return self->port;
}

//  --------------------------------------------------------------------------
//  The bound address as text.

const char *
vb_metrics_server_address (vb_metrics_server_t *self)
{
    assert (self);
    return self->address;
}
