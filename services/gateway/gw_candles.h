/*  gw_candles.h — candle history on the snapshot endpoint: requests, jobs,
    replies.

    A peer of the snapshot endpoint (gw_snapshot.h) may ask for the candles
    of one symbol and interval over a time range. The gateway fetches them
    from the venue's REST API (the adapter's candle_requests pages: Binance
    1000 klines per call, Kraken one OHLC call, which holds the venue's
    latest 720), each page through the REST grants like every REST call, on
    the REST worker; the loop thread never waits.

    Request (one frame):
        CANDLES <venue> <SYMBOL> <interval> <from_ms> <to_ms>
    e.g. "CANDLES binance BTC-USDT 1m 1700000000000 1700003600000": every
    candle whose open time t (ms since the epoch) has from_ms <= t < to_ms,
    0 <= from_ms < to_ms <= GW_CANDLES_TIME_MAX_MS. Fields are separated by
    single spaces. The interval is the venue's normalised name ("1s", "1m",
    "1h", "1d"...; any the adapter supports, not only `gateway/candles`),
    <n> followed by s, m, h, d, w or M.

    Reply (one multipart message, so a REQ peer gets it whole):
        frame 1..N   a bus frame each (topic NUL Envelope, vb_msg_decode
                     reads it) on md.<venue>.<SYMBOL>.candle.<interval>,
                     body `candle`, backfilled = true, closed as the venue
                     says (the current candle is not closed), ordered by
                     open time, no two with the same open time;
                     header.seq numbers the candles of this reply from 1
                     (it is NOT the topic's bus sequence), exchange_ts_ns is
                     the candle's close time
        last frame   END <venue> <SYMBOL> <interval> <from_ms> <to_ms> <N>
    or a single frame
        ERROR <reason> <detail>
    with reason
        unknown-request   not "CANDLES" and five fields, or a field that is
                          not a number where one is needed
        unknown-venue     another venue's gateway
        unknown-symbol    not in this gateway's shard
        unknown-interval  the venue has no such candle interval
        bad-range         from_ms >= to_ms, or a time out of range
        too-many          more than GW_CANDLES_MAX candles in the range
        out-of-range      the range starts before the oldest candle the
                          venue can still serve (Kraken: its latest 720)
        busy              GW_CANDLES_JOBS_MAX history requests in flight,
                          or the REST grant queue is full; ask again later
        venue-error       a page failed (no answer, an HTTP error, a venue
                          error, an unusable answer); detail says which
        unsupported       the venue's adapter decodes no candle history
    An empty range (no trades, no candles) is a reply of only the END frame.

    Threading: the gateway's loop thread only.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_CANDLES_H_INCLUDED
#define GW_CANDLES_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_md.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GW_CANDLES_MAX         10000                  //  Most candles one request may cover
#define GW_CANDLES_JOBS_MAX    8                      //  History requests in flight at once
#define GW_CANDLES_PAGES_MAX   64                     //  REST pages one request may take
#define GW_CANDLES_TIME_MAX_MS (INT64_MAX / 1000000)  //  Latest time: ms that fit in ns
#define GW_CANDLES_ERROR_MAX   256                    //  ERROR reply text, with its NUL
#define GW_CANDLES_NAME_MAX    32                     //  Venue and symbol names, with NUL

//  A parsed request.
typedef struct {
    char venue[GW_CANDLES_NAME_MAX];
    char symbol[GW_CANDLES_NAME_MAX];
    char interval[8];        //  vb_md_request_t.interval size
    int64_t from_ms;         //  Open times from (inclusive)
    int64_t to_ms;           //  ... to (exclusive)
    int64_t interval_ms;     //  Length of one candle (months: 28 days, the shortest)
    uint64_t candles_bound;  //  Most candles the range can hold
} gw_candles_query_t;

typedef struct _gw_candles_t gw_candles_t;
typedef struct _gw_candles_job_t gw_candles_job_t;

//  True when text (size bytes) is a candle history request ("CANDLES ...").
bool gw_candles_is_request (const char *text, size_t size);

//  Length of an interval name in ms ("1s" 1000, "15m", "4h", "1d", "1w",
//  "1M" counts 28 days), or 0 when the name is not <n><unit>.
int64_t gw_candles_interval_ms (const char *interval);

//  Parse and check a request's text (size bytes, no NUL needed) against the
//  gateway's venue and shard (symbols, symbol_count). Returns 0 with *query
//  filled, or -1 with the whole ERROR reply text in error (reasons
//  unknown-request, unknown-venue, unknown-symbol, unknown-interval,
//  bad-range, too-many).
int gw_candles_parse (const char *text, size_t size, const char *venue, const char *const *symbols,
                      size_t symbol_count, gw_candles_query_t *query, char *error,
                      size_t error_size);

//  Create the history jobs of a gateway; producer is its Header.producer
//  (copied). Returns NULL when out of memory.
gw_candles_t *gw_candles_new (const char *producer);

//  Destroy every job (their requests unanswered) and set *self_p to NULL.
//  Safe to call twice.
void gw_candles_destroy (gw_candles_t **self_p);

//  Start a job for query that waits for `pages` REST pages; takes
//  ownership of *request_p (the request message, its routing frames kept
//  for the reply) and sets it to NULL. Returns the job, whose tag goes in
//  each page's vb_md_request_t.tag, or NULL (and *request_p untouched) when
//  GW_CANDLES_JOBS_MAX jobs are in flight or pages is 0.
gw_candles_job_t *gw_candles_start (gw_candles_t *self, zmsg_t **request_p,
                                    const gw_candles_query_t *query, size_t pages);

//  The job's tag (never 0).
uint64_t gw_candles_tag (gw_candles_job_t *job);

//  The job with this tag, or NULL (finished, failed, never was).
gw_candles_job_t *gw_candles_find (gw_candles_t *self, uint64_t tag);

//  Jobs in flight.
size_t gw_candles_size (gw_candles_t *self);

//  vb_md_candle_fn for an adapter's candles_decode: arg is the job. Keeps
//  a copy of each candle that opens inside the query's range. Returns 0,
//  or VB_ELIMIT once the venue sent more than twice the range's bound.
int gw_candles_collect (void *arg, const vb_md_candle_t *candle);

//  One page of the job was answered and decoded; error is NULL when it went
//  well, else the reply's ERROR text (fails the whole job). Returns true
//  when the job is complete (every page in, or a failure): then answer it
//  with gw_candles_reply.
bool gw_candles_page_done (gw_candles_job_t *job, const char *error);

//  Finish a complete job: write its request message to *request_p and its
//  reply frames (candles then END, or one ERROR) to *frames_p (both owned
//  by the caller, for gw_snapshot_reply_frames), set recv_ts_ns of every
//  candle to recv_ts_ns, remove the job and set *job_p to NULL. Returns 0,
//  or VB_ENOMEM / VB_EOVERFLOW when a frame cannot be built (then *frames_p
//  holds one ERROR frame).
int gw_candles_reply (gw_candles_t *self, gw_candles_job_t **job_p, int64_t recv_ts_ns,
                      zmsg_t **request_p, zmsg_t **frames_p);

#ifdef __cplusplus
}
#endif
#endif
