/*  vbt_stack.h — a running market-data stack for integration tests.

    Starts venuebus-sim (optional), venuebus-bus and venuebus-gateway on
    loopback, subscribes to the bus, decodes every frame with vb_msg and
    rebuilds each book from the gateway's BookSnapshot and BookDelta
    messages, taking a snapshot from the gateway's snapshot endpoint when it
    joined late or saw a gap (the Clone pattern). It counts topic sequence
    jumps, SYNCED books that are crossed, and every status transition.

    This is test code for Criterion tests: on a broken invariant or a
    process that does not start, it fails the running test with cr_assert.
    The binaries' paths are passed in (VB_SIM_BIN ... are definitions of
    each integration test, not of this library).
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VBT_STACK_H_INCLUDED
#define VBT_STACK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "vb_book.h"
#include "vb_msg.h"
#include "vbt_proc.h"

#define VBT_STACK_SYMBOLS_MAX 10     //  Books one stack mirrors
#define VBT_STACK_EXTRA_MAX   12     //  Extra arguments per process
#define VBT_STACK_WAIT_MS     15000  //  Start-up and recovery bounds
#define VBT_STACK_PUMP_MS     100    //  One wait for a bus frame

typedef struct _vbt_stack_t vbt_stack_t;

//  One book as rebuilt from the bus, and what its status said.
typedef struct {
    const char *symbol;          //  Normalised, e.g. "BTC-USDT"
    const char *rest_symbol;     //  The venue's REST name, e.g. "BTCUSDT"
    vb_book_t *book;             //  Rebuilt from the bus
    bool have_book;              //  A snapshot was applied and no gap since
    uint64_t book_seq;           //  Header.seq of the last book message applied
    uint64_t venue_seq;          //  venue_seq of the last book message applied
    uint32_t depth;              //  BookSnapshot.depth
    uint64_t book_messages;      //  Book snapshots and deltas seen
    Venuebus__BookState state;   //  From the last status
    bool seen_status;            //  A status has arrived
    uint64_t breaks;             //  Transitions to RESYNCING or STALE seen
    uint64_t rollovers;          //  ... of which for reason "rollover"
    uint64_t reconnects;         //  ... of which for reason "reconnect"
    uint64_t stales;             //  ... of which STALE
    uint64_t gaps;               //  Status.gaps, last seen
    uint64_t anomalies;          //  Status.anomalies, last seen
    uint64_t status_reconnects;  //  Status.reconnects, last seen
    char reason[64];             //  Status.reason of the last break
} vbt_mirror_t;

//  What to start. Lists are NULL-terminated or NULL.
typedef struct {
    const char *sim_bin;               //  Path of venuebus-sim (VB_SIM_BIN)
    const char *bus_bin;               //  Path of venuebus-bus (VB_BUS_BIN)
    const char *gateway_bin;           //  Path of venuebus-gateway (VB_GATEWAY_BIN)
    const char *venue;                 //  "binance", "kraken"
    const char *symbols;               //  The gateway's --symbols, e.g. "BTC-USDT,ETH-USDT"
    const char *const *names;          //  Normalised symbols to mirror (count entries)
    const char *const *rest_names;     //  The venue's REST names, for vbt_stack_verify
    size_t count;                      //  Number of names
    bool no_sim;                       //  Do not start a sim (then set rest_url and ws_url)
    bool strict_symbols;               //  Fail on a frame for a symbol not in names
    const char *rest_url;              //  Override the gateway's --rest-url (NULL: the sim)
    const char *ws_url;                //  Override the gateway's --ws-url (NULL: the sim)
    const char *const *sim_extra;      //  More sim arguments
    const char *const *gateway_extra;  //  More gateway arguments
} vbt_stack_args_t;

//  Start sim (unless no_sim), bus, gateway (waits for its ready line) and
//  the subscriber. Fails the test if any of them does not come up.
vbt_stack_t *vbt_stack_new (const vbt_stack_args_t *args);

//  Stop everything (SIGTERM); expects every process to exit 0.
void vbt_stack_destroy (vbt_stack_t **self_p);

//  The mirror of a normalised symbol, or NULL.
vbt_mirror_t *vbt_stack_mirror (vbt_stack_t *self, const char *symbol);

//  Mirror by index (0 .. count-1), or NULL.
vbt_mirror_t *vbt_stack_mirror_at (vbt_stack_t *self, size_t index);

//  Read and apply one bus frame; false when none came within timeout_ms.
bool vbt_stack_pump (vbt_stack_t *self, int timeout_ms);

//  Pump until every mirrored book is SYNCED and rebuilt; fails the test
//  after timeout_ms.
void vbt_stack_wait_synced (vbt_stack_t *self, int timeout_ms);

//  Follow the bus until the mirror meets the sim's REST depth (Binance: at
//  the same update id, exactly; Kraken: the top 10 levels of each side).
//  A Binance book marked SYNCED at the REST snapshot's update id that
//  differs from it fails the test at once.
void vbt_stack_verify (vbt_stack_t *self, vbt_mirror_t *mirror);

//  Send one request (e.g. "SNAPSHOT md.binance.BTC-USDT.book") to the
//  gateway's snapshot endpoint on the stack's own DEALER and return the
//  reply frame (the caller destroys it); fails the test when the request
//  cannot be sent or no reply comes within VBT_STACK_WAIT_MS.
zframe_t *vbt_stack_snapshot_request (vbt_stack_t *self, const char *request);

//  POST a fault body to the sim's /_sim/faults, see a break (RESYNCING or
//  STALE) on `symbol` (any mirrored book when NULL), then every book
//  SYNCED and verified again.
void vbt_stack_fault (vbt_stack_t *self, const char *body, const char *symbol);

//  POST a fault body to the sim's /_sim/faults only (status 200 expected).
void vbt_stack_post_fault (vbt_stack_t *self, const char *body);

//  Number of faults the sim still lists as active (GET /_sim/faults).
size_t vbt_stack_faults_active (vbt_stack_t *self);

//  Pump the bus until the sim lists no active fault; fails the test after
//  timeout_ms.
void vbt_stack_wait_faults_done (vbt_stack_t *self, int timeout_ms);

//  The checks every scenario ends with: no topic sequence jump, no SYNCED
//  book crossed.
void vbt_stack_expect_clean (vbt_stack_t *self);

//  Processes and endpoints, borrowed.
vbt_proc_t *vbt_stack_gateway (vbt_stack_t *self);
vbt_proc_t *vbt_stack_sim (vbt_stack_t *self);
const char *vbt_stack_sim_url (vbt_stack_t *self);      //  "127.0.0.1:PORT"
const char *vbt_stack_bus_backend (vbt_stack_t *self);  //  The bus's XPUB endpoint

//  Topic sequence jumps or repeats seen, and SYNCED books seen crossed.
uint64_t vbt_stack_seq_violations (vbt_stack_t *self);
uint64_t vbt_stack_crossed_synced (vbt_stack_t *self);

//  Compare the level at `index` (0 = best) of a mirror's side with the
//  decimal strings; true when equal.
bool vbt_mirror_level_is (vbt_mirror_t *mirror, vb_book_side_t side, size_t index,
                          const char *price, const char *qty);

#endif
