/*  gw_core.h — the gateway core: books, validation, sequences, publishing.

    gw_core implements the sink of vb_md.h. It keeps one vb_book per symbol
    with a state (SYNCED, RESYNCING, STALE), validates what the adapter
    reports, numbers every topic gap-free (Header.seq from 1 per topic) and
    publishes one frame per message (vb_msg_send) on a PUB socket connected
    to the bus frontend, with a bounded send high-water mark.

    Topics, for venue V and symbol S (DESIGN.md §3):
        md.V.S.book        BookSnapshot after every resync commit, then a
                           BookDelta per commit holding the levels changed
                           (qty 0 removes), at one price and one qty
                           exponent per message (the finest among its
                           levels, every value rescaled exactly)
        md.V.S.trade       Trade
        md.V.S.bbo         Bbo
        md.V.S.candle.I    Candle, for each configured interval I
        md.V.S.funding     Funding
        md.V.S.status      Status: state, reason, gaps, anomalies,
                           reconnects; on every state change, after
                           anomalies (at most once per tick) and at least
                           every status interval
    Depth rule: a book keeps at most `depth` levels per side. After applying
    a BookDelta a subscriber drops the worst levels beyond
    BookSnapshot.depth, as the core does; deltas do not list those drops.

    Validation at ingestion (thresholds from config, issue 4 item 4):
    - crossed book after a commit: anomaly, RESYNCING ("crossed"), the
      commit fails (the adapter rebuilds the book);
    - a level with a non-positive price or a negative qty: anomaly, the
      change fails and the book resyncs; trades and BBOs with a non-positive
      price or qty, or a crossed BBO: anomaly, dropped;
    - trade or BBO price further than max_deviation_bps from the book's mid
      (when the book is SYNCED): anomaly, dropped;
    - exchange timestamps going back (by more than the tolerance) per symbol
      and kind: anomaly; trades, BBOs and candles are dropped, book commits
      (already verified by the venue's sequence) are kept;
    - a stale stream (reported by the session): status STALE.
    Every finding is counted, logged at warning (rate-limited) and reported
    on the symbol's status.

    Threading: one object, on the gateway's loop thread only.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_CORE_H_INCLUDED
#define GW_CORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_config.h"
#include "gw_metrics.h"
#include "vb_md.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _gw_core_t gw_core_t;

//  Where the sink's send and rest calls go (the server wires them to the
//  session and the REST worker).
typedef struct {
    void *ctx;  //  Passed back unchanged
    int (*send) (void *ctx, size_t index, const char *text, size_t length);
    int (*rest) (void *ctx, const vb_md_request_t *request);
} gw_core_io_t;

//  Create the core for the settings' venue and symbols (settings borrowed;
//  they must outlive the core) and connect its PUB socket to the bus.
//  Returns NULL when the socket cannot be created or connected (logged).
gw_core_t *gw_core_new (const gw_settings_t *settings);

//  Destroy the core, its books and its socket; set *self_p to NULL.
void gw_core_destroy (gw_core_t **self_p);

//  The sink to hand to the adapter's create (borrowed, lives with the core).
const vb_md_sink_t *gw_core_sink (gw_core_t *self);

//  Set where send and rest go (copied). Before it is set both return
//  VB_ESTATE.
void gw_core_set_io (gw_core_t *self, const gw_core_io_t *io);

//  The time the frame (or REST answer) being handed to the adapter was
//  read, ns since the epoch: becomes Header.recv_ts_ns of what it yields.
void gw_core_set_recv_ts (gw_core_t *self, int64_t recv_ts_ns);

//  While reason is set, book_resync reports that reason instead of the
//  adapter's: "stale" marks books STALE, any other ("rollover") RESYNCING.
//  NULL ends it. The server sets it around the adapter's closed call for a
//  stale connection or a rollover.
void gw_core_set_break_reason (gw_core_t *self, const char *reason);

//  Report messages out, book states, gaps, anomalies, decode errors and
//  health into `metrics` (borrowed; it must outlive the core; NULL: off).
void gw_core_set_metrics (gw_core_t *self, gw_metrics_t *metrics);

//  Count a frame the adapter could not use (its frame op failed with rc),
//  read on connection `index`.
void gw_core_decode_error (gw_core_t *self, size_t index, int rc);

//  Housekeeping (call every tick): publish pending and periodic statuses,
//  flush the suppressed-warning count.
void gw_core_tick (gw_core_t *self);

//  Encode the snapshot reply for `topic` (see gw_snapshot.h) into buffer.
//  Returns its length, or -1 with *reason set to a static word
//  ("unknown-topic", "not-synced", "too-large").
int gw_core_snapshot (gw_core_t *self, const char *topic, uint8_t *buffer, size_t size,
                      const char **reason);

//  Open time (ns) of the last closed candle published for symbol and
//  interval, or 0 when none (backfill starts there).
int64_t gw_core_last_closed_candle (gw_core_t *self, const char *symbol, const char *interval);

//  True when every book is SYNCED.
bool gw_core_all_synced (gw_core_t *self);

//  Messages published so far (all topics).
uint64_t gw_core_published (gw_core_t *self);

#ifdef __cplusplus
}
#endif
#endif
