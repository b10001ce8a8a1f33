/*  gw_candles.c — candle history requests: parsing, jobs, multipart replies.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>

#include "gw_candles.h"
#include "vb_error.h"
#include "vb_msg.h"
#include "vb_topic.h"

#define S_VERB           "CANDLES "
#define S_FIELDS         6   //  CANDLES venue symbol interval from_ms to_ms
#define S_FIELD_MAX      64  //  Longest field copied for an error text
#define S_MS_PER_S       1000LL
#define S_NS_PER_MS      1000000LL
#define S_MONTH_MS       (28LL * 24 * 3600 * S_MS_PER_S)  //  Shortest month
#define S_INTERVAL_N_MAX 1000000                          //  Largest <n> in "<n><unit>"
#define S_FRAME_MAX      2048                             //  One encoded candle frame
#define S_DIGITS_MAX     19                               //  Decimal digits of an int64
#define S_USAGE                                                                                    \
    "ERROR unknown-request expected \"CANDLES <venue> <SYMBOL> <interval> <from_ms> <to_ms>\""

struct _gw_candles_job_t {
    uint64_t tag;                      //  Marks the job's pages
    gw_candles_t *owner;               //  The jobs it belongs to
    zmsg_t *request;                   //  The request message (routing frames kept)
    gw_candles_query_t query;          //  What was asked
    size_t pages;                      //  Pages asked for
    size_t answered;                   //  Pages answered
    vb_md_candle_t *candles;           //  Collected (interval pointers cleared)
    size_t count;                      //  In use
    size_t capacity;                   //  Allocated
    char error[GW_CANDLES_ERROR_MAX];  //  ERROR reply once failed, else ""
};

struct _gw_candles_t {
    zlistx_t *jobs;               //  gw_candles_job_t *, in flight
    uint64_t last_tag;            //  Tags count from 1
    char producer[VB_TOPIC_MAX];  //  Header.producer
};

//  --------------------------------------------------------------------------
//  Copy a request field for an error text: bounded, printable only.

static void
s_quote (const char *text, size_t length, char *out, size_t out_size)
{
    size_t used = 0;
    for (size_t i = 0; i < length && used + 1 < out_size; i++) {
        unsigned char byte = (unsigned char)text[i];
        out[used++] = byte > ' ' && byte < 0x7F ? (char)byte : '?';
    }
    out[used] = 0;
}

//  --------------------------------------------------------------------------
//  A non-negative decimal integer of `length` bytes, or -1.

static int64_t
s_number (const char *text, size_t length)
{
    if (length == 0 || length > S_DIGITS_MAX)
        return -1;
    int64_t value = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        int64_t digit = text[i] - '0';
        if (value > (INT64_MAX - digit) / 10)
            return -1;
        value = value * 10 + digit;
    }
    return value;
}

//  --------------------------------------------------------------------------

bool
gw_candles_is_request (const char *text, size_t size)
{
    return text && size >= strlen (S_VERB) && memcmp (text, S_VERB, strlen (S_VERB)) == 0;
}

//  --------------------------------------------------------------------------

int64_t
gw_candles_interval_ms (const char *interval)
{
    if (!interval)
        return 0;
    size_t length = strlen (interval);
    if (length < 2 || interval[0] == '0')
        return 0;
    int64_t count = s_number (interval, length - 1);
    if (count <= 0 || count > S_INTERVAL_N_MAX)
        return 0;
    int64_t unit = 0;
    switch (interval[length - 1]) {
        case 's':
            unit = S_MS_PER_S;
            break;
        case 'm':
            unit = 60 * S_MS_PER_S;
            break;
        case 'h':
            unit = 3600 * S_MS_PER_S;
            break;
        case 'd':
            unit = 24 * 3600 * S_MS_PER_S;
            break;
        case 'w':
            unit = 7 * 24 * 3600 * S_MS_PER_S;
            break;
        case 'M':
            unit = S_MONTH_MS;
            break;
        default:
            return 0;
    }
    return count * unit;
}

//  --------------------------------------------------------------------------

int
gw_candles_parse (const char *text, size_t size, const char *venue, const char *const *symbols,
                  size_t symbol_count, gw_candles_query_t *query, char *error, size_t error_size)
{
    assert (error && error_size);
    if (!text || !venue || !query || (!symbols && symbol_count)) {
        snprintf (error, error_size, "%s", S_USAGE);
        return -1;
    }
    memset (query, 0, sizeof (*query));
    //  Split on single spaces into exactly S_FIELDS non-empty fields.
    const char *field[S_FIELDS];
    size_t length[S_FIELDS];
    size_t fields = 0, start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && text[i] == 0)
            break;  //  A NUL inside the frame
        if (i == size || text[i] == ' ') {
            if (i == start || fields == S_FIELDS) {
                fields = S_FIELDS + 1;  //  Empty field or too many
                break;
            }
            field[fields] = text + start;
            length[fields++] = i - start;
            start = i + 1;
        }
    }
    if (fields != S_FIELDS || !gw_candles_is_request (text, size)) {
        snprintf (error, error_size, "%s", S_USAGE);
        return -1;
    }
    char quoted[S_FIELD_MAX];
    if (length[1] != strlen (venue) || memcmp (field[1], venue, length[1]) != 0) {
        s_quote (field[1], length[1], quoted, sizeof (quoted));
        snprintf (error, error_size, "ERROR unknown-venue %s (this gateway serves %s)", quoted,
                  venue);
        return -1;
    }
    const char *symbol = NULL;
    for (size_t i = 0; i < symbol_count && !symbol; i++)
        if (symbols[i] && strlen (symbols[i]) == length[2] &&
            memcmp (symbols[i], field[2], length[2]) == 0)
            symbol = symbols[i];
    if (!symbol || strlen (symbol) >= sizeof (query->symbol)) {
        s_quote (field[2], length[2], quoted, sizeof (quoted));
        snprintf (error, error_size, "ERROR unknown-symbol %s is not in this gateway's shard",
                  quoted);
        return -1;
    }
    if (length[3] < sizeof (query->interval)) {
        memcpy (query->interval, field[3], length[3]);
        query->interval[length[3]] = 0;
        query->interval_ms = gw_candles_interval_ms (query->interval);
    }
    if (query->interval_ms == 0) {
        s_quote (field[3], length[3], quoted, sizeof (quoted));
        snprintf (error, error_size, "ERROR unknown-interval %s", quoted);
        return -1;
    }
    int64_t from_ms = s_number (field[4], length[4]);
    int64_t to_ms = s_number (field[5], length[5]);
    if (from_ms < 0 || to_ms < 0) {
        snprintf (error, error_size,
                  "ERROR unknown-request from_ms and to_ms must be decimal integers >= 0");
        return -1;
    }
    if (to_ms > GW_CANDLES_TIME_MAX_MS) {
        snprintf (error, error_size, "ERROR bad-range to_ms %" PRId64 " is above %" PRId64, to_ms,
                  (int64_t)GW_CANDLES_TIME_MAX_MS);
        return -1;
    }
    if (from_ms >= to_ms) {
        snprintf (error, error_size,
                  "ERROR bad-range from_ms %" PRId64 " is not below to_ms %" PRId64, from_ms,
                  to_ms);
        return -1;
    }
    //  Candles open one interval apart: a range of length L holds at most
    //  ceil (L / interval) open times, however the venue aligns them.
    uint64_t bound = (uint64_t)((to_ms - from_ms + query->interval_ms - 1) / query->interval_ms);
    if (bound > GW_CANDLES_MAX) {
        snprintf (error, error_size,
                  "ERROR too-many up to %" PRIu64 " candles of %s in the range, at most %d", bound,
                  query->interval, GW_CANDLES_MAX);
        return -1;
    }
    snprintf (query->venue, sizeof (query->venue), "%s", venue);
    snprintf (query->symbol, sizeof (query->symbol), "%s", symbol);
    query->from_ms = from_ms;
    query->to_ms = to_ms;
    query->candles_bound = bound;
    return 0;
}

//  --------------------------------------------------------------------------

gw_candles_t *
gw_candles_new (const char *producer)
{
    gw_candles_t *self = (gw_candles_t *)zmalloc (sizeof (gw_candles_t));
    self->jobs = zlistx_new ();
    if (!self->jobs) {
        free (self);
        return NULL;
    }
    snprintf (self->producer, sizeof (self->producer), "%s", producer ? producer : "");
    return self;
}

//  --------------------------------------------------------------------------

static void
s_job_destroy (gw_candles_job_t **job_p)
{
    if (*job_p) {
        gw_candles_job_t *job = *job_p;
        zmsg_destroy (&job->request);
        free (job->candles);
        free (job);
        *job_p = NULL;
    }
}

void
gw_candles_destroy (gw_candles_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        gw_candles_t *self = *self_p;
        gw_candles_job_t *job;
        while ((job = (gw_candles_job_t *)zlistx_detach (self->jobs, NULL)))
            s_job_destroy (&job);
        zlistx_destroy (&self->jobs);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------

gw_candles_job_t *
gw_candles_start (gw_candles_t *self, zmsg_t **request_p, const gw_candles_query_t *query,
                  size_t pages)
{
    assert (self);
    assert (request_p && *request_p);
    assert (query);
    if (pages == 0 || zlistx_size (self->jobs) >= GW_CANDLES_JOBS_MAX)
        return NULL;
    gw_candles_job_t *job = (gw_candles_job_t *)zmalloc (sizeof (gw_candles_job_t));
    job->tag = ++self->last_tag;
    job->owner = self;
    job->query = *query;
    job->pages = pages;
    if (!zlistx_add_end (self->jobs, job)) {
        free (job);
        return NULL;
    }
    job->request = *request_p;
    *request_p = NULL;
    return job;
}

//  --------------------------------------------------------------------------

uint64_t
gw_candles_tag (gw_candles_job_t *job)
{
    assert (job);
    return job->tag;
}

gw_candles_job_t *
gw_candles_find (gw_candles_t *self, uint64_t tag)
{
    assert (self);
    if (tag == 0)
        return NULL;
    gw_candles_job_t *job = (gw_candles_job_t *)zlistx_first (self->jobs);
    while (job && job->tag != tag)
        job = (gw_candles_job_t *)zlistx_next (self->jobs);
    return job;
}

size_t
gw_candles_size (gw_candles_t *self)
{
    assert (self);
    return zlistx_size (self->jobs);
}

//  --------------------------------------------------------------------------

int
gw_candles_collect (void *arg, const vb_md_candle_t *candle)
{
    gw_candles_job_t *job = (gw_candles_job_t *)arg;
    if (!job || !candle)
        return VB_EINVAL;
    int64_t from_ns = job->query.from_ms * S_NS_PER_MS;
    int64_t to_ns = job->query.to_ms * S_NS_PER_MS;
    if (candle->open_ts_ns < from_ns || candle->open_ts_ns >= to_ns)
        return 0;  //  Outside the range asked for
    if (job->count >= 2 * job->query.candles_bound)
        return VB_ELIMIT;  //  Far more than the range holds: the venue is confused
    if (job->count == job->capacity) {
        size_t capacity = job->capacity ? job->capacity * 2 : 64;
        vb_md_candle_t *candles =
            (vb_md_candle_t *)realloc (job->candles, capacity * sizeof (vb_md_candle_t));
        if (!candles)
            return VB_ENOMEM;
        job->candles = candles;
        job->capacity = capacity;
    }
    job->candles[job->count] = *candle;
    job->candles[job->count].interval = NULL;  //  Borrowed from the adapter
    job->count++;
    return 0;
}

//  --------------------------------------------------------------------------

bool
gw_candles_page_done (gw_candles_job_t *job, const char *error)
{
    assert (job);
    job->answered++;
    if (error && !job->error[0])
        snprintf (job->error, sizeof (job->error), "%s", error);
    return job->error[0] || job->answered >= job->pages;
}

//  --------------------------------------------------------------------------
//  Order candles by open time.

static int
s_compare (const void *a, const void *b)
{
    int64_t x = ((const vb_md_candle_t *)a)->open_ts_ns;
    int64_t y = ((const vb_md_candle_t *)b)->open_ts_ns;
    return x < y ? -1 : x > y ? 1 : 0;
}

//  --------------------------------------------------------------------------
//  Encode one candle as a bus frame and append it to frames.

static int
s_add_candle (gw_candles_t *self, gw_candles_job_t *job, const char *topic,
              const vb_md_candle_t *candle, uint64_t seq, int64_t recv_ts_ns, zmsg_t *frames)
{
    Venuebus__Decimal open = VENUEBUS__DECIMAL__INIT, high = VENUEBUS__DECIMAL__INIT,
                      low = VENUEBUS__DECIMAL__INIT, close = VENUEBUS__DECIMAL__INIT,
                      volume = VENUEBUS__DECIMAL__INIT;
    vb_msg_decimal_set (&open, candle->open);
    vb_msg_decimal_set (&high, candle->high);
    vb_msg_decimal_set (&low, candle->low);
    vb_msg_decimal_set (&close, candle->close);
    vb_msg_decimal_set (&volume, candle->volume);
    Venuebus__Candle body = VENUEBUS__CANDLE__INIT;
    body.interval = job->query.interval;
    body.open_ts_ns = candle->open_ts_ns;
    body.close_ts_ns = candle->close_ts_ns;
    body.open = &open;
    body.high = &high;
    body.low = &low;
    body.close = &close;
    body.volume = &volume;
    body.closed = candle->closed;
    body.trades = candle->trades;
    body.backfilled = true;
    Venuebus__Header header = VENUEBUS__HEADER__INIT;
    header.venue = job->query.venue;
    header.symbol = job->query.symbol;
    header.seq = seq;
    header.exchange_ts_ns = candle->close_ts_ns;
    header.recv_ts_ns = recv_ts_ns;
    header.publish_ts_ns = zclock_time () * S_NS_PER_MS;
    header.producer = self->producer;
    header.topic = (char *)topic;
    Venuebus__Envelope envelope = VENUEBUS__ENVELOPE__INIT;
    envelope.header = &header;
    envelope.body_case = VENUEBUS__ENVELOPE__BODY_CANDLE;
    envelope.candle = &body;
    uint8_t buffer[S_FRAME_MAX];
    int length = vb_msg_encode (topic, &envelope, buffer, sizeof (buffer));
    if (length < 0)
        return length;
    return zmsg_addmem (frames, buffer, (size_t)length) == 0 ? 0 : VB_ENOMEM;
}

//  --------------------------------------------------------------------------

int
gw_candles_reply (gw_candles_t *self, gw_candles_job_t **job_p, int64_t recv_ts_ns,
                  zmsg_t **request_p, zmsg_t **frames_p)
{
    assert (self);
    assert (job_p && *job_p);
    assert (request_p && frames_p);
    gw_candles_job_t *job = *job_p;
    void *handle = zlistx_find (self->jobs, job);
    if (handle)
        zlistx_detach (self->jobs, handle);
    zmsg_t *frames = zmsg_new ();
    int rc = 0;
    char topic[VB_TOPIC_MAX + 1];
    if (!job->error[0] && vb_topic_md (topic, sizeof (topic), job->query.venue, job->query.symbol,
                                       VB_TOPIC_KIND_CANDLE, job->query.interval) < 0) {
        rc = VB_EINVAL;
        snprintf (job->error, sizeof (job->error), "ERROR unknown-interval %s",
                  job->query.interval);
    }
    if (!job->error[0]) {
        if (job->count > 1)
            qsort (job->candles, job->count, sizeof (vb_md_candle_t), s_compare);
        uint64_t seq = 0;
        for (size_t i = 0; i < job->count && rc == 0; i++) {
            if (i > 0 && job->candles[i].open_ts_ns == job->candles[i - 1].open_ts_ns)
                continue;  //  Pages overlapped: once per open time
            rc = s_add_candle (self, job, topic, &job->candles[i], ++seq, recv_ts_ns, frames);
        }
        if (rc == 0)
            zmsg_addstrf (frames, "END %s %s %s %" PRId64 " %" PRId64 " %" PRIu64, job->query.venue,
                          job->query.symbol, job->query.interval, job->query.from_ms,
                          job->query.to_ms, seq);
        else {
            zmsg_destroy (&frames);
            frames = zmsg_new ();
            snprintf (job->error, sizeof (job->error),
                      "ERROR venue-error cannot encode a candle (%s)", vb_strerror (rc));
        }
    }
    if (job->error[0])
        zmsg_addstr (frames, job->error);
    *frames_p = frames;
    *request_p = job->request;
    job->request = NULL;
    s_job_destroy (job_p);
    return rc;
}
