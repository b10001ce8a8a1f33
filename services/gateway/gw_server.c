/*  gw_server.c — the gateway's wiring and its loop-thread handlers.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>

#include "gw_candles.h"
#include "gw_core.h"
#include "gw_grant.h"
#include "gw_rest.h"
#include "gw_server.h"
#include "gw_session.h"
#include "gw_snapshot.h"
#include "vb_clock.h"
#include "vb_error.h"
#include "vb_log.h"
#include "vb_msg.h"

//  REST requests waiting for a grant, at most.
#define GW_GRANT_QUEUE_MAX 4096
//  Candle backfill requests built per symbol and interval after a reconnect.
#define GW_BACKFILL_REQUESTS_MAX 16
//  Error replies on the snapshot endpoint.
#define GW_SNAPSHOT_ERROR_MAX 256
//  HTTP statuses that hold the grants back (rate limited, banned).
#define GW_HTTP_TOO_MANY 429
#define GW_HTTP_BANNED   418
//  Hold after a 429/418 without Retry-After.
#define GW_RETRY_DEFAULT_MS 1000

struct _gw_server_t {
    const gw_settings_t *settings;            //  Borrowed
    const vb_md_ops_t *ops;                   //  The venue's adapter table
    vb_md_t *adapter;                         //  The adapter
    gw_core_t *core;                          //  Books and bus
    gw_metrics_t *metrics;                    //  --metrics, or NULL
    gw_session_t *session;                    //  WebSockets
    gw_rest_t *rest;                          //  REST worker actor
    gw_grant_t *grant;                        //  REST grants
    gw_snapshot_t *snapshot;                  //  Snapshot endpoint actor
    gw_candles_t *candles;                    //  Candle history requests in flight
    const char *symbol_ptrs[GW_SYMBOLS_MAX];  //  For vb_md_config_t
    const char *interval_ptrs[GW_INTERVALS_MAX];
    char urls[4][VB_MD_URL_MAX];  //  Effective base URLs (rest, ws, futures rest, futures ws)
    uint8_t *frame;               //  Snapshot reply buffer, VB_MSG_FRAME_MAX
    bool ready;                   //  The ready line was printed
    zlist_t *failed;              //  Requests that could not start, answered next tick
    uint64_t rest_failures;       //  REST calls that failed
    uint64_t usage_reports;       //  Venue usage headers reported to the grants
};

//  --------------------------------------------------------------------------
//  Pick the base URLs: the configured ones, else the adapter's production
//  defaults (vb_md_ops_t.default_url). Futures URLs default only when the
//  spot URLs are defaults too, so a gateway pointed at the sim never opens
//  a production connection. A URL left "" is the adapter's business (it
//  may have its own default or not use that URL); only the REST base must
//  be known here, because the core makes the REST calls.

static const char *
s_default (gw_server_t *self, vb_md_url_kind_t kind)
{
    const char *url = self->ops->default_url ? self->ops->default_url (kind) : NULL;
    return url ? url : "";
}

static void
s_urls (gw_server_t *self)
{
    const gw_settings_t *settings = self->settings;
    bool spot_default = !*settings->rest_url && !*settings->ws_url;
    const char *rest = *settings->rest_url ? settings->rest_url : s_default (self, VB_MD_URL_REST);
    const char *ws = *settings->ws_url ? settings->ws_url : s_default (self, VB_MD_URL_WS);
    const char *futures_rest = *settings->futures_rest_url ? settings->futures_rest_url
                               : spot_default ? s_default (self, VB_MD_URL_FUTURES_REST)
                                              : "";
    const char *futures_ws = *settings->futures_ws_url ? settings->futures_ws_url
                             : spot_default            ? s_default (self, VB_MD_URL_FUTURES_WS)
                                                       : "";
    snprintf (self->urls[0], sizeof (self->urls[0]), "%s", rest);
    snprintf (self->urls[1], sizeof (self->urls[1]), "%s", ws);
    snprintf (self->urls[2], sizeof (self->urls[2]), "%s", futures_rest);
    snprintf (self->urls[3], sizeof (self->urls[3]), "%s", futures_ws);
    //  No trailing '/': request paths start with one.
    for (int i = 0; i < 4; i++) {
        size_t length = strlen (self->urls[i]);
        while (length > 0 && self->urls[i][length - 1] == '/')
            self->urls[i][--length] = 0;
    }
}

//  --------------------------------------------------------------------------
//  Hand every granted request to the REST worker.

static void
s_rest_pump (gw_server_t *self)
{
    vb_md_request_t *request;
    while ((request = (vb_md_request_t *)gw_grant_next (self->grant))) {
        const char *base = request->futures ? self->urls[2] : self->urls[0];
        char url[VB_MD_URL_MAX + VB_MD_REQUEST_MAX];
        snprintf (url, sizeof (url), "%s%s", base, request->path);
        int rc = *base ? gw_rest_call (self->rest, url, request) : VB_EINVAL;
        if (rc) {
            vb_log_warning ("rest call not started symbol=%s path=%s error=%s", request->symbol,
                            request->path, vb_strerror (rc));
            zlist_append (self->failed, request);
        } else
            free (request);
    }
}

//  --------------------------------------------------------------------------
//  One page of a candle history request came back (status 0: no answer,
//  `failure` says why): decode it into its job, and answer the peer once
//  the job is complete. Pages of a job already answered are dropped.

static void
s_candles_page (gw_server_t *self, const vb_md_request_t *request, int status, const char *body,
                size_t length, const char *failure)
{
    gw_candles_job_t *job = gw_candles_find (self->candles, request->tag);
    if (!job)
        return;  //  The job failed already (its peer has its answer)
    char error[GW_CANDLES_ERROR_MAX] = "";
    if (status == 0)
        snprintf (error, sizeof (error), "ERROR venue-error no answer from %s: %s",
                  self->settings->venue, failure && *failure ? failure : "call failed");
    else {
        char reason[GW_CANDLES_ERROR_MAX / 2] = "";
        int rc = self->ops->candles_decode (self->adapter, request, status, body, length,
                                            gw_candles_collect, job, reason, sizeof (reason));
        if (rc < 0)
            snprintf (error, sizeof (error), "ERROR venue-error %s",
                      *reason ? reason : vb_strerror (rc));
    }
    if (!gw_candles_page_done (job, *error ? error : NULL))
        return;
    zmsg_t *peer = NULL, *frames = NULL;
    gw_candles_reply (self->candles, &job, vb_clock_now_real_ns (), &peer, &frames);
    if (peer && frames)
        gw_snapshot_reply_frames (self->snapshot, &peer, &frames);
    zmsg_destroy (&peer);
    zmsg_destroy (&frames);
    if (*error)
        vb_log_warning ("candle history failed symbol=%s interval=%s error=%s", request->symbol,
                        request->interval, error);
}

//  --------------------------------------------------------------------------
//  Answer the requests that could not start, with status 0: at the next
//  tick, never from inside the adapter's own call to sink->rest.

static void
s_rest_failed (gw_server_t *self)
{
    vb_md_request_t *request;
    while ((request = (vb_md_request_t *)zlist_pop (self->failed))) {
        if (request->tag)
            s_candles_page (self, request, 0, "", 0, "the call could not start");
        else {
            gw_core_set_recv_ts (self->core, vb_clock_now_real_ns ());
            self->ops->rest_done (self->adapter, request, 0, "", 0);
        }
        free (request);
    }
}

//  --------------------------------------------------------------------------
//  Core io: a REST call from the adapter goes through a grant.

static int
s_io_rest (void *ctx, const vb_md_request_t *request)
{
    gw_server_t *self = (gw_server_t *)ctx;
    vb_md_request_t *copy = (vb_md_request_t *)malloc (sizeof (vb_md_request_t));
    if (!copy)
        return VB_ENOMEM;
    *copy = *request;
    copy->path[sizeof (copy->path) - 1] = 0;
    copy->symbol[sizeof (copy->symbol) - 1] = 0;
    copy->interval[sizeof (copy->interval) - 1] = 0;
    copy->usage_header[sizeof (copy->usage_header) - 1] = 0;
    int rc = gw_grant_request (self->grant, copy->weight > 0 ? copy->weight : 1, copy);
    if (rc) {
        vb_log_warning ("rest grant refused symbol=%s weight=%d error=%s", copy->symbol,
                        copy->weight, vb_strerror (rc));
        free (copy);
        return rc;
    }
    s_rest_pump (self);
    return 0;
}

//  --------------------------------------------------------------------------
//  Core io: a WebSocket send from the adapter.

static int
s_io_send (void *ctx, size_t index, const char *text, size_t length)
{
    gw_server_t *self = (gw_server_t *)ctx;
    return gw_session_send (self->session, index, text, length);
}

//  --------------------------------------------------------------------------
//  Hand REST answers to the adapter.

static void
s_rest_answers (gw_server_t *self)
{
    gw_rest_result_t result;
    while (gw_rest_result (self->rest, &result) == 0) {
        if (result.status == GW_HTTP_TOO_MANY || result.status == GW_HTTP_BANNED) {
            int64_t hold_ms =
                result.retry_after_ms > 0 ? result.retry_after_ms : GW_RETRY_DEFAULT_MS;
            gw_grant_block (self->grant, hold_ms);
            gw_grant_report (self->grant, 0, hold_ms, result.status == GW_HTTP_BANNED);
            vb_log_warning ("rest rate limited status=%d hold_ms=%" PRId64, result.status, hold_ms);
        }
        if (result.status == 0) {
            self->rest_failures++;
            vb_log_warning ("rest call failed symbol=%s path=%s error=%s", result.request.symbol,
                            result.request.path, result.error);
        } else if (result.status >= 300)
            vb_log_warning ("rest call answered status=%d symbol=%s path=%s", result.status,
                            result.request.symbol, result.request.path);
        if (result.has_usage && result.used_weight > 0) {
            //  The venue's own count of the IP's weight: the router's
            //  authority learns it (nothing happens without a router).
            if (gw_grant_report (self->grant, result.used_weight, 0, false) == 0)
                self->usage_reports++;
        }
        gw_metrics_in (self->metrics, GW_METRICS_IN_REST);
        if (result.request.tag) {
            s_candles_page (self, &result.request, result.status, result.body ? result.body : "",
                            result.length, result.error);
            gw_rest_result_free (&result);
            continue;
        }
        gw_core_set_recv_ts (self->core, vb_clock_now_real_ns ());
        int rc = self->ops->rest_done (self->adapter, &result.request, result.status,
                                       result.body ? result.body : "", result.length);
        if (rc < 0)
            gw_core_decode_error (self->core, 0, rc);
        gw_rest_result_free (&result);
    }
}

//  --------------------------------------------------------------------------
//  Reply one ERROR frame to a candle history request.

static void
s_candles_refuse (gw_server_t *self, zmsg_t **request_p, const char *error)
{
    gw_snapshot_reply (self->snapshot, request_p, error, strlen (error));
}

//  --------------------------------------------------------------------------
//  A candle history request (contract in gw_candles.h): check it, build
//  its REST pages with the adapter and queue each through the grants.

static void
s_candles_request (gw_server_t *self, zmsg_t **request_p)
{
    zframe_t *frame = gw_snapshot_request_frame (*request_p);
    char error[GW_CANDLES_ERROR_MAX];
    if (!self->ops->candles_decode || !self->ops->candle_requests) {
        snprintf (error, sizeof (error), "ERROR unsupported venue %s serves no candle history",
                  self->settings->venue);
        s_candles_refuse (self, request_p, error);
        return;
    }
    gw_candles_query_t query;
    if (gw_candles_parse ((const char *)zframe_data (frame), zframe_size (frame),
                          self->settings->venue, self->symbol_ptrs, self->settings->symbol_count,
                          &query, error, sizeof (error))) {
        s_candles_refuse (self, request_p, error);
        return;
    }
    int64_t from_ns = query.from_ms * VB_NS_PER_MS;
    int64_t to_ns = query.to_ms * VB_NS_PER_MS;
    int64_t horizon_ns =
        self->ops->candle_horizon
            ? self->ops->candle_horizon (self->adapter, query.interval, vb_clock_now_real_ns ())
            : 0;
    if (horizon_ns > 0 && from_ns < horizon_ns) {
        snprintf (error, sizeof (error),
                  "ERROR out-of-range %s serves %s %s candles from %" PRId64 " ms on",
                  self->settings->venue, query.symbol, query.interval, horizon_ns / VB_NS_PER_MS);
        s_candles_refuse (self, request_p, error);
        return;
    }
    vb_md_request_t *pages =
        (vb_md_request_t *)calloc (GW_CANDLES_PAGES_MAX + 1, sizeof (vb_md_request_t));
    if (!pages) {
        snprintf (error, sizeof (error), "ERROR busy out of memory");
        s_candles_refuse (self, request_p, error);
        return;
    }
    size_t count = self->ops->candle_requests (self->adapter, query.symbol, query.interval, from_ns,
                                               to_ns, pages, GW_CANDLES_PAGES_MAX + 1);
    if (count == 0 || count > GW_CANDLES_PAGES_MAX) {
        if (count == 0)
            snprintf (error, sizeof (error), "ERROR unknown-interval %s has no %s candles",
                      self->settings->venue, query.interval);
        else
            snprintf (error, sizeof (error), "ERROR too-many the range takes more than %d pages",
                      GW_CANDLES_PAGES_MAX);
        s_candles_refuse (self, request_p, error);
        free (pages);
        return;
    }
    gw_candles_job_t *job = gw_candles_start (self->candles, request_p, &query, count);
    if (!job) {
        snprintf (error, sizeof (error), "ERROR busy %d candle history requests in flight",
                  GW_CANDLES_JOBS_MAX);
        s_candles_refuse (self, request_p, error);
        free (pages);
        return;
    }
    vb_log_info ("candle history symbol=%s interval=%s from_ms=%" PRId64 " to_ms=%" PRId64
                 " pages=%zu",
                 query.symbol, query.interval, query.from_ms, query.to_ms, count);
    uint64_t tag = gw_candles_tag (job);
    for (size_t i = 0; i < count; i++) {
        pages[i].tag = tag;
        if (s_io_rest (self, &pages[i]) != 0) {
            //  The grant queue is full: the job fails now; pages queued
            //  already come back to no job and are dropped.
            job = gw_candles_find (self->candles, tag);
            if (job) {
                (void)gw_candles_page_done (job, "ERROR busy the REST grant queue is full");
                zmsg_t *peer = NULL, *frames = NULL;
                gw_candles_reply (self->candles, &job, vb_clock_now_real_ns (), &peer, &frames);
                if (peer && frames)
                    gw_snapshot_reply_frames (self->snapshot, &peer, &frames);
                zmsg_destroy (&peer);
                zmsg_destroy (&frames);
            }
            break;
        }
    }
    free (pages);
}

//  --------------------------------------------------------------------------
//  Answer snapshot requests (format in gw_snapshot.h).

static void
s_snapshot_requests (gw_server_t *self)
{
    zmsg_t *request;
    while ((request = gw_snapshot_request (self->snapshot))) {
        zframe_t *last = zmsg_last (request);
        char text[GW_SNAPSHOT_ERROR_MAX];
        size_t size =
            zframe_size (last) < sizeof (text) - 1 ? zframe_size (last) : sizeof (text) - 1;
        memcpy (text, zframe_data (last), size);
        text[size] = 0;
        static const char verb[] = "SNAPSHOT ";
        char error[GW_SNAPSHOT_ERROR_MAX];
        if (gw_candles_is_request ((const char *)zframe_data (last), zframe_size (last))) {
            s_candles_request (self, &request);
            continue;
        }
        if (size != zframe_size (last) || strlen (text) != size ||
            strncmp (text, verb, sizeof (verb) - 1) != 0) {
            snprintf (error, sizeof (error), "ERROR unknown-request expected \"SNAPSHOT <topic>\"");
            gw_snapshot_reply (self->snapshot, &request, error, strlen (error));
            continue;
        }
        const char *topic = text + sizeof (verb) - 1;
        const char *reason = NULL;
        int length = gw_core_snapshot (self->core, topic, self->frame, VB_MSG_FRAME_MAX, &reason);
        if (length < 0) {
            snprintf (error, sizeof (error), "ERROR %s %s", reason, topic);
            gw_snapshot_reply (self->snapshot, &request, error, strlen (error));
        } else
            gw_snapshot_reply (self->snapshot, &request, self->frame, (size_t)length);
    }
}

//  --------------------------------------------------------------------------
//  Print the ready line once every symbol is subscribed.

static void
s_check_ready (gw_server_t *self)
{
    if (self->ready || !gw_session_subscribed (self->session))
        return;
    self->ready = true;
    printf ("ready venue=%s symbols=", self->settings->venue);
    for (size_t i = 0; i < self->settings->symbol_count; i++)
        printf ("%s%s", i ? "," : "", self->settings->symbols[i]);
    printf ("\n");
    fflush (stdout);
    vb_log_notice ("gateway subscribed venue=%s symbols=%zu connections=%zu snapshot=%s",
                   self->settings->venue, self->settings->symbol_count,
                   gw_session_count (self->session), gw_snapshot_endpoint (self->snapshot));
}

//  --------------------------------------------------------------------------
//  Session hooks.

static void
s_hook_wake (void *ctx)
{
    gw_server_t *self = (gw_server_t *)ctx;
    s_rest_answers (self);
    s_snapshot_requests (self);
    s_check_ready (self);
}

//  Housekeeping, every session tick: REST answers and snapshot requests
//  (in case a wake was coalesced), grants that came due, statuses, ready.
static void
s_hook_tick (void *ctx)
{
    gw_server_t *self = (gw_server_t *)ctx;
    s_rest_answers (self);
    s_rest_pump (self);
    s_rest_failed (self);
    s_snapshot_requests (self);
    gw_core_tick (self->core);
    s_check_ready (self);
}

static void
s_hook_received (void *ctx, int64_t recv_ts_ns)
{
    gw_server_t *self = (gw_server_t *)ctx;
    gw_metrics_in (self->metrics, GW_METRICS_IN_WS);
    gw_core_set_recv_ts (self->core, recv_ts_ns);
}

static void
s_hook_frame_failed (void *ctx, size_t index, int rc)
{
    gw_server_t *self = (gw_server_t *)ctx;
    gw_core_decode_error (self->core, index, rc);
}

static void
s_hook_breaking (void *ctx, size_t index, const char *reason)
{
    (void)index;
    gw_server_t *self = (gw_server_t *)ctx;
    gw_metrics_reconnect (self->metrics, reason);
    //  "reconnect" is the adapter's own word; stale and rollover are ours.
    gw_core_set_break_reason (self->core, reason && !streq (reason, "reconnect") ? reason : NULL);
}

//  After a reconnect, ask the adapter for the closed candles missed since
//  the last one published (the core drops any it already published).
static void
s_hook_reopened (void *ctx, size_t index)
{
    (void)index;
    gw_server_t *self = (gw_server_t *)ctx;
    if (!self->ops->candle_requests)
        return;
    int64_t now = vb_clock_now_real_ns ();
    vb_md_request_t requests[GW_BACKFILL_REQUESTS_MAX];
    for (size_t i = 0; i < self->settings->symbol_count; i++)
        for (size_t j = 0; j < self->settings->interval_count; j++) {
            const char *symbol = self->settings->symbols[i];
            const char *interval = self->settings->intervals[j];
            int64_t from = gw_core_last_closed_candle (self->core, symbol, interval);
            if (from == 0)
                continue;  //  Nothing published yet: nothing to bridge
            size_t count = self->ops->candle_requests (self->adapter, symbol, interval, from, now,
                                                       requests, GW_BACKFILL_REQUESTS_MAX);
            if (count)
                vb_log_notice ("candle backfill symbol=%s interval=%s from_ns=%" PRId64
                               " requests=%zu",
                               symbol, interval, from, count);
            for (size_t k = 0; k < count && k < GW_BACKFILL_REQUESTS_MAX; k++)
                s_io_rest (self, &requests[k]);
        }
}

//  Thread-safe wake for the actors.
static void
s_wake (void *arg)
{
    gw_session_wake ((gw_session_t *)arg);
}

//  --------------------------------------------------------------------------
//  Build the gateway.

gw_server_t *
gw_server_new (const gw_settings_t *settings, char *error, size_t error_size)
{
    assert (settings);
    const vb_md_ops_t *ops = vb_md_venue_find (settings->venue);
    if (!ops) {
        snprintf (error, error_size, "unknown venue \"%s\" (no market-data adapter)",
                  settings->venue);
        return NULL;
    }
    if (!ops->create || !ops->connections || !ops->opened || !ops->closed || !ops->frame ||
        !ops->rest_done || !ops->destroy) {
        snprintf (error, error_size, "venue \"%s\" has an incomplete market-data adapter",
                  settings->venue);
        return NULL;
    }
    gw_server_t *self = (gw_server_t *)zmalloc (sizeof (gw_server_t));
    self->settings = settings;
    self->ops = ops;
    for (size_t i = 0; i < settings->symbol_count; i++)
        self->symbol_ptrs[i] = settings->symbols[i];
    for (size_t i = 0; i < settings->interval_count; i++)
        self->interval_ptrs[i] = settings->intervals[i];
    s_urls (self);
    if (!self->urls[0][0]) {
        snprintf (error, error_size,
                  "venue \"%s\" gives no default REST URL: set gateway/rest_url (--rest-url)",
                  settings->venue);
        gw_server_destroy (&self);
        return NULL;
    }
    self->failed = zlist_new ();
    self->frame = (uint8_t *)malloc (VB_MSG_FRAME_MAX);
    self->core = gw_core_new (settings);
    if (!self->failed || !self->frame || !self->core) {
        snprintf (error, error_size, "cannot start the core (bus %s)", settings->bus);
        gw_server_destroy (&self);
        return NULL;
    }
    vb_md_config_t config = {.symbols = self->symbol_ptrs,
                             .symbol_count = settings->symbol_count,
                             .rest_url = self->urls[0],
                             .ws_url = self->urls[1],
                             .futures_rest_url = self->urls[2],
                             .futures_ws_url = self->urls[3],
                             .candle_intervals = self->interval_ptrs,
                             .candle_interval_count = settings->interval_count,
                             .book_depth = settings->depth};
    char reason[256] = "";
    self->adapter = ops->create (&config, gw_core_sink (self->core), reason, sizeof (reason));
    if (!self->adapter) {
        snprintf (error, error_size, "venue \"%s\" refused the shard: %s", settings->venue,
                  reason[0] ? reason : "no reason given");
        gw_server_destroy (&self);
        return NULL;
    }
    gw_session_hooks_t hooks = {.ctx = self,
                                .wake = s_hook_wake,
                                .tick = s_hook_tick,
                                .received = s_hook_received,
                                .frame_failed = s_hook_frame_failed,
                                .breaking = s_hook_breaking,
                                .reopened = s_hook_reopened};
    self->session = gw_session_new (settings, self->adapter, &hooks);
    if (!self->session) {
        snprintf (error, error_size, "cannot start libwebsockets");
        gw_server_destroy (&self);
        return NULL;
    }
    self->grant = gw_grant_new (settings->rest_weight_limit, settings->rest_weight_period_ms,
                                settings->rest_weight_burst, GW_GRANT_QUEUE_MAX);
    self->rest = gw_rest_new (settings->rest_timeout_ms, settings->rest_body_max, settings->ca_file,
                              s_wake, self->session);
    if (!self->grant || !self->rest) {
        snprintf (error, error_size, "cannot start the REST worker or its grants");
        gw_server_destroy (&self);
        return NULL;
    }
    if (*settings->grants) {
        int rc = gw_grant_set_router (self->grant, settings->grants, settings->venue,
                                      settings->grants_timeout_ms);
        if (rc) {
            snprintf (error, error_size, "cannot connect to the grants endpoint %s: %s",
                      settings->grants, vb_strerror (rc));
            gw_server_destroy (&self);
            return NULL;
        }
    }
    char producer[VB_TOPIC_MAX];
    snprintf (producer, sizeof (producer), "gateway.%s.%d", settings->venue, (int)getpid ());
    self->candles = gw_candles_new (producer);
    if (!self->candles) {
        snprintf (error, error_size, "cannot start the candle history");
        gw_server_destroy (&self);
        return NULL;
    }
    self->snapshot = gw_snapshot_new (settings->snapshot, s_wake, self->session);
    if (!self->snapshot) {
        snprintf (error, error_size, "cannot bind the snapshot endpoint %s", settings->snapshot);
        gw_server_destroy (&self);
        return NULL;
    }
    if (settings->metrics[0]) {
        self->metrics = gw_metrics_new (settings, error, error_size);
        if (!self->metrics) {
            gw_server_destroy (&self);
            return NULL;
        }
        gw_core_set_metrics (self->core, self->metrics);
    }
    gw_core_io_t io = {.ctx = self, .send = s_io_send, .rest = s_io_rest};
    gw_core_set_io (self->core, &io);
    return self;
}

//  --------------------------------------------------------------------------
//  Tear down in reverse order. The actors go first (they wake the lws
//  context); the session's teardown closes the sockets without calling
//  the adapter.

void
gw_server_destroy (gw_server_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gw_server_t *self = *self_p;
        gw_snapshot_destroy (&self->snapshot);
        gw_candles_destroy (&self->candles);
        gw_rest_destroy (&self->rest);
        if (self->grant) {
            void *request;
            while ((request = gw_grant_drop (self->grant)))
                free (request);
        }
        gw_grant_destroy (&self->grant);
        if (self->failed) {
            void *request;
            while ((request = zlist_pop (self->failed)))
                free (request);
            zlist_destroy (&self->failed);
        }
        gw_session_destroy (&self->session);
        if (self->adapter)
            self->ops->destroy (&self->adapter);
        gw_core_destroy (&self->core);
        gw_metrics_destroy (&self->metrics);
        free (self->frame);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Connect and serve until interrupted.

int
gw_server_run (gw_server_t *self)
{
    assert (self);
    if (gw_session_start (self->session) != 0)
        return -1;
    vb_log_notice ("gateway started venue=%s symbols=%zu rest_url=%s ws_url=%s snapshot=%s",
                   self->settings->venue, self->settings->symbol_count, self->urls[0],
                   self->urls[1], gw_snapshot_endpoint (self->snapshot));
    if (self->metrics)
        vb_log_notice ("metrics listening address=%s", gw_metrics_address (self->metrics));
    int rc = gw_session_run (self->session);
    vb_log_notice ("gateway stopping reason=%s published=%" PRIu64, rc == 0 ? "signal" : "failure",
                   gw_core_published (self->core));
    return rc;
}
