/*  rt_live.h — the router's table of live (non-terminal) orders.

    What the router's loop knows of an order beyond the journal: its
    account and strategy, the requests outstanding for it, and when the
    venue must be asked again. Keyed by the client order id.

    No allocation per order: entries live in chunks that are never moved
    (a pointer to an entry stays valid until that entry is removed), free
    entries are reused, and the id index is an open-addressing table of
    entry numbers. The table grows by whole chunks, doubling, which
    rebuilds the index: amortised, not per order.

    Iteration is by a caller-held cursor (rt_live_next), so removing any
    entry, the current one included, while iterating is safe, and
    iterations may nest. Entries added during an iteration may or may not
    be visited.
    Not thread-safe. Never logs.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef RT_LIVE_H_INCLUDED
#define RT_LIVE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vb_decimal.h"
#include "vb_journal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _rt_live_t rt_live_t;

//  One live order. rt_live_add gives it zeroed except id; the router owns
//  every other field.
typedef struct {
    char id[VB_JOURNAL_ID_SIZE];  //  Client order id (the key; never change it)
    int account;                  //  Router account index
    int strategy;                 //  Router strategy index, or -1
    void *place;                  //  The place request while queued or in flight
    bool cancel_outstanding;      //  A cancel request is queued or in flight
    bool cancel_wanted;           //  Cancel once the place answer is in
    bool cancel_retry;            //  A cancel's outcome was not seen: again if still open
    bool query_outstanding;       //  A query is queued or in flight
    bool unknown;                 //  In UNKNOWN: re-query on schedule
    bool unknown_alerted;         //  The unknown_order alert fired for it
    bool reconciled;              //  The venue has answered a query about it since start
    bool pending_query;           //  Ask the venue on the next tick
    int64_t next_query_mono_ns;   //  When a due query may go
    int64_t query_delay_ms;       //  Current back-off between queries
    int64_t unknown_since_mono_ns;
    int64_t last_send_real_ms;  //  When a request that may execute last left (0: never)
    int64_t received_mono_ns;   //  NewOrder arrival (round-trip metric), 0 once measured
    uint64_t seen_epoch;        //  Open-orders epoch it was last listed in
    vb_decimal_t notional;      //  Counted against its strategy
    //  Table bookkeeping (rt_live only)
    bool used;
} rt_live_order_t;

//  Create an empty table.
rt_live_t *rt_live_new (void);

//  Destroy the table and every entry; nulls *self_p.
void rt_live_destroy (rt_live_t **self_p);

//  The entry of id, or NULL.
rt_live_order_t *rt_live_find (rt_live_t *self, const char *id);

//  Add an entry for id (zeroed, id set). Returns NULL when id is empty,
//  longer than VB_JOURNAL_ID_LEN, already present, or memory ran out.
rt_live_order_t *rt_live_add (rt_live_t *self, const char *id);

//  Remove an entry given by rt_live_find, rt_live_add or rt_live_next; the
//  pointer is invalid afterwards.
void rt_live_remove (rt_live_t *self, rt_live_order_t *order);

//  Entries in the table.
size_t rt_live_size (rt_live_t *self);

//  Iterate: start with *cursor = 0; returns the next entry or NULL at the
//  end.
rt_live_order_t *rt_live_next (rt_live_t *self, size_t *cursor);

#ifdef __cplusplus
}
#endif

#endif
