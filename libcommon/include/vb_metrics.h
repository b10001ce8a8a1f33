/*  vb_metrics.h — Prometheus metrics: a registry of counters, gauges and
    histograms with labels, its text exposition, and the /metrics + /healthz
    HTTP server every long-running service runs at --metrics HOST:PORT.

    Usage: declare each family once at start-up, look up one handle per label
    set once, then update through the handle on the hot path:

        vb_metrics_t *metrics = vb_metrics_new ();
        static const char *const direction[] = {"direction", NULL};
        vb_metrics_family_t *frames = vb_metrics_add_counter (
            metrics, "venuebus_bus_frames_total", "Frames through the bus.", direction, 4);
        vb_metric_t *frames_in = vb_metrics_series (frames, (const char *[]){"in", NULL});
        ...
        vb_metrics_counter_add (frames_in, 1);          //  one relaxed atomic add
        vb_metrics_server_t *server = vb_metrics_server_new (metrics, "127.0.0.1:9100", &error);

    Values are integers. Counters hold uint64, gauges int64, histograms
    int64 observations with int64 bucket bounds. A family whose name ends in
    "_seconds" (or "_seconds_total" for a counter) takes NANOSECONDS and is
    printed in seconds, formatted from the integer (no floating point): 1500
    ns prints "0.0000015", 2000000000 ns prints "2". Trailing fractional
    zeros are dropped.

    Names follow Prometheus: a metric name matches [a-zA-Z_:][a-zA-Z0-9_:]*,
    a label name [a-zA-Z_][a-zA-Z0-9_]* and must not start with "__";
    counters end in "_total"; a histogram may not have a label "le". Names
    are at most VB_METRICS_NAME_MAX bytes. Help text and label values must be
    valid UTF-8 of at most VB_METRICS_HELP_MAX / VB_METRICS_VALUE_MAX bytes.

    Bounded cardinality: each family has max_series, a cap on distinct label
    sets. Once a family holds max_series of them, a lookup of a new label set
    returns the family's overflow series, whose every label value is
    VB_METRICS_OVERFLOW_VALUE ("__overflow__"); it is shown only once it has
    been handed out. Watch for it in dashboards: it means a label's values
    were not as bounded as the code assumed. A family without labels has
    exactly one series.

    Exposition: text format 0.0.4. For each family, in registration order:
    "# HELP name text" (backslash and newline escaped), "# TYPE name type",
    then one line per series in creation order (the overflow series last):
    'name{label="value",...} value'. Label values escape backslash, double
    quote and newline. A histogram series prints cumulative name_bucket lines
    for each bound and le="+Inf", then name_sum and name_count; _count is the
    +Inf bucket, so they always agree within one scrape.

    Threading: the update functions (counter_add, gauge_set, gauge_add,
    histogram_observe) are lock-free relaxed atomics and may be called from
    any number of threads at once. Declaring families, looking up series,
    rendering and health take the registry's internal lock: they are for
    start-up, scrapes and state changes, never per message. A handle stays
    valid until the registry is destroyed. Update functions accept a NULL
    handle and do nothing, so a failed lookup never crashes a hot path.

    The HTTP server runs libmicrohttpd in its own thread with every signal
    blocked, so SIGINT and SIGTERM still reach the service's own threads.
    It answers GET and HEAD only: /metrics (200, text/plain; version=0.0.4),
    /healthz (200 "ok" when healthy, 503 with the reason otherwise), any
    other path 404, any other method 405. At most VB_METRICS_CONNECTIONS_MAX
    connections are open at once, each closed after
    VB_METRICS_CONNECTION_TIMEOUT_S seconds idle.

    This class never logs; callers log the errors it returns.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_METRICS_H_INCLUDED
#define VB_METRICS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_metrics_t vb_metrics_t;
typedef struct _vb_metrics_family_t vb_metrics_family_t;
typedef struct _vb_metric_t vb_metric_t;
typedef struct _vb_metrics_server_t vb_metrics_server_t;

//  Longest metric or label name, in bytes.
#define VB_METRICS_NAME_MAX 128
//  Longest help text, in bytes.
#define VB_METRICS_HELP_MAX 1024
//  Longest label value, in bytes.
#define VB_METRICS_VALUE_MAX 256
//  Most labels per family.
#define VB_METRICS_LABELS_MAX 8
//  Most bucket bounds per histogram (+Inf is added on top).
#define VB_METRICS_BUCKETS_MAX 32
//  Largest max_series accepted for one family.
#define VB_METRICS_SERIES_MAX 10000
//  Label value of every label in a family's overflow series.
#define VB_METRICS_OVERFLOW_VALUE "__overflow__"
//  Longest health reason kept, in bytes (longer ones are cut at a character).
#define VB_METRICS_REASON_MAX 256
//  Health reason of a new registry, until the service calls set_health.
#define VB_METRICS_REASON_STARTING "starting"
//  Content type of /metrics.
#define VB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
//  Most HTTP connections open at once.
#define VB_METRICS_CONNECTIONS_MAX 16
//  Idle HTTP connections are closed after this many seconds.
#define VB_METRICS_CONNECTION_TIMEOUT_S 10
//  Longest "HOST:PORT" accepted by the server, in bytes.
#define VB_METRICS_ADDRESS_MAX 300

//  Kind of a family. 0 is reserved for "unset".
typedef enum {
    VB_METRICS_COUNTER = 1,    //  Only goes up
    VB_METRICS_GAUGE = 2,      //  Goes up and down
    VB_METRICS_HISTOGRAM = 3,  //  Observations counted into buckets
} vb_metrics_type_t;

//  --------------------------------------------------------------------------
//  Registry

//  Create an empty registry. It starts unhealthy with the reason
//  VB_METRICS_REASON_STARTING. Returns NULL only if the lock cannot be made.
vb_metrics_t *vb_metrics_new (void);

//  Destroy the registry, every family and every handle it gave out, and set
//  *self_p to NULL. Safe to call twice. Destroy any server using it first.
void vb_metrics_destroy (vb_metrics_t **self_p);

//  Declare a counter family. `labels` is a NULL-terminated list of label
//  names, or NULL for none (copied). max_series caps the label sets (1 ..
//  VB_METRICS_SERIES_MAX; ignored without labels). The family is owned by
//  the registry. Returns NULL for a bad name (counters must end in _total),
//  help or label list, a bad max_series, or a name already declared.
vb_metrics_family_t *vb_metrics_add_counter (vb_metrics_t *self, const char *name, const char *help,
                                             const char *const *labels, size_t max_series);

//  Declare a gauge family; arguments and errors as vb_metrics_add_counter
//  (a gauge name must not end in _total).
vb_metrics_family_t *vb_metrics_add_gauge (vb_metrics_t *self, const char *name, const char *help,
                                           const char *const *labels, size_t max_series);

//  Declare a histogram family with `bound_count` bucket upper bounds (1 ..
//  VB_METRICS_BUCKETS_MAX, strictly increasing, copied), in the family's unit
//  (nanoseconds for a _seconds name). A +Inf bucket is always added.
//  Returns NULL as vb_metrics_add_counter, also for bad bounds, a name ending
//  in _total, _bucket, _sum or _count, or a label named "le".
vb_metrics_family_t *vb_metrics_add_histogram (vb_metrics_t *self, const char *name,
                                               const char *help, const char *const *labels,
                                               size_t max_series, const int64_t *bounds,
                                               size_t bound_count);

//  Return the handle of one series: `values` holds one label value per label
//  name, in the family's order, NULL-terminated (NULL for a family without
//  labels). The same values always give the same handle. Past the family's
//  max_series, a new label set gets the overflow series. Returns NULL if the
//  values are too few or too many, too long, not UTF-8, or equal to
//  VB_METRICS_OVERFLOW_VALUE (reserved for the overflow series). The handle is
//  owned by the registry. Call at set-up, not per message.
vb_metric_t *vb_metrics_series (vb_metrics_family_t *family, const char *const *values);

//  Number of distinct label sets in the family, the overflow series
//  included once it has been handed out.
size_t vb_metrics_family_size (vb_metrics_family_t *family);

//  Add n to a counter. One relaxed atomic add; NULL does nothing. Asserts
//  that the handle is a counter.
void vb_metrics_counter_add (vb_metric_t *metric, uint64_t n);

//  Set a gauge. One relaxed atomic store; NULL does nothing.
void vb_metrics_gauge_set (vb_metric_t *metric, int64_t value);

//  Add delta (may be negative) to a gauge. One relaxed atomic add; NULL does
//  nothing. Wraps around like two's complement at the int64 limits.
void vb_metrics_gauge_add (vb_metric_t *metric, int64_t delta);

//  Count one observation into its bucket (the first bound >= value, or +Inf)
//  and add it to the sum: two relaxed atomic adds. NULL does nothing.
void vb_metrics_histogram_observe (vb_metric_t *metric, int64_t value);

//  Current value of a counter, for tests and the service itself (0 for NULL).
uint64_t vb_metrics_counter_value (vb_metric_t *metric);

//  Current value of a gauge (0 for NULL).
int64_t vb_metrics_gauge_value (vb_metric_t *metric);

//  Observations counted so far in a histogram series, its _count (0 for NULL).
uint64_t vb_metrics_histogram_count (vb_metric_t *metric);

//  Render the whole registry in the text exposition format 0.0.4. Returns a
//  new NUL-terminated string (the caller frees it with free) and its length
//  in *size_p when size_p is not NULL. Aborts on out-of-memory, like zmalloc.
char *vb_metrics_render (vb_metrics_t *self, size_t *size_p);

//  Declare and set the metrics every service exposes:
//      venuebus_up{service="..."} 1
//      venuebus_healthy{service="..."} 1 or 0, following vb_metrics_set_health
//      process_start_time_seconds <start_real_ns as seconds since the epoch>
//  `service` is the service's name (a label value). Returns 0, VB_EINVAL
//  for a bad service name, or VB_EEXIST if called twice.
int vb_metrics_add_process (vb_metrics_t *self, const char *service, int64_t start_real_ns);

//  Set the health /healthz reports. `reason` (copied, may be NULL) says
//  why the service is unhealthy; it is ignored when healthy. Invalid UTF-8
//  bytes in it are replaced by '?'. May be called from any thread.
void vb_metrics_set_health (vb_metrics_t *self, bool healthy, const char *reason);

//  Return true when healthy. When unhealthy, copy the reason (NUL-terminated,
//  cut to fit) into reason if it is not NULL and size > 0.
bool vb_metrics_healthy (vb_metrics_t *self, char *reason, size_t size);

//  --------------------------------------------------------------------------
//  HTTP server

//  Start serving /metrics and /healthz for `registry` (borrowed: it must
//  outlive the server) at `address`, "HOST:PORT": HOST is an IPv4 address,
//  "[IPv6]", a name that resolves, or "*" for every IPv4 interface; PORT is
//  0..65535, where 0 picks a free port (see vb_metrics_server_port). Returns
//  NULL on failure and, if error_p is not NULL, stores a positive errno
//  there: EINVAL for a malformed address, the resolver's failure as
//  EADDRNOTAVAIL, or the errno of socket, bind or listen (EADDRINUSE, EACCES,
//  ...); ENOMEM when the HTTP daemon cannot start.
vb_metrics_server_t *vb_metrics_server_new (vb_metrics_t *registry, const char *address,
                                            int *error_p);

//  Stop the server: no new connection is accepted, open ones are closed, the
//  thread is joined and the listening socket closed. Sets *self_p to NULL;
//  safe to call twice.
void vb_metrics_server_destroy (vb_metrics_server_t **self_p);

//  The port actually bound (useful with port 0).
uint16_t vb_metrics_server_port (vb_metrics_server_t *self);

//  The address actually bound as "HOST:PORT" ("[v6]:PORT" for IPv6), e.g.
//  "127.0.0.1:41234". Borrowed, valid until destroy.
const char *vb_metrics_server_address (vb_metrics_server_t *self);

#ifdef __cplusplus
}
#endif
#endif
