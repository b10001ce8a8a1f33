/*  sim_faults.h — the simulator's list of injected faults (POST/GET
    /_sim/faults), and the decisions taken from it.

    A fault is set by a JSON body (DESIGN.md §3):
        {"fault": F, "count": N, "stream": S, "status": H, "ms": M}
    Only "fault" is required; unknown keys are refused, so a typo fails loudly.
    "stream" (default "*") is a venue stream name matched exactly, or "*" for
    every stream. Counts are consumed one per affected frame (per connection:
    a frame sent to three clients counts three) or per affected request;
    count 0 or absent means 1, except where said below. What each fault does:

      drop             skip the next N frames of the stream
      duplicate        send each of the next N frames twice
      reorder          hold each of the next N frames and send it after the
                       following frame on the same connection
      gap              skip one frame, let one through, skip one ... N
                       skips in all: each skip is a single missing frame of
                       a sequenced stream (Binance U/u, Kraken checksums)
      corrupt_checksum the personality corrupts the checksum of its next N
                       frames on the stream (vb_sim_fault_corrupt_checksum)
      disconnect       at once: close every WS connection ("*") or those
                       that have carried the stream; never listed
      stall            hold every frame of the stream for `ms` (required),
                       then release them in order; count is ignored
      http_status      answer the next N HTTP requests with status H
                       (required, 100..599) and the venue's error body,
                       without executing them; 418, 429 and 503 carry
                       Retry-After (ms rounded up to seconds, default 1)
      accept_timeout   the next N order-placing HTTP requests execute, but
                       the connection is closed after `ms` with no answer
      latency          delay responses by `ms` (required): the next N, or
                       every response while count is 0 or absent, until
                       cleared
      clock_skew       shift engine time by `ms` (may be negative) until
                       cleared or replaced; count is ignored
      volatility       scale the synthetic walk's step by `count` (default
                       10) for `ms` (0 or absent: until cleared)
      clear            remove every fault, undo clock_skew and volatility
                       (same as DELETE /_sim/faults)

    Optional "port" (http_status, accept_timeout, latency, disconnect only):
    the fault acts only on requests or connections that arrived on that
    listening port (a sim may listen on several, --extra-ports); 0 or
    absent means every port. Whether the port is one of the sim's is the
    server's check, not the parser's.

    Faults are deterministic: nothing here draws a random number. The class
    is pure (no I/O, no logging); the server applies its decisions.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef SIM_FAULTS_H_INCLUDED
#define SIM_FAULTS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _sim_faults_t sim_faults_t;

#define SIM_FAULTS_MAX               64        //  Active faults at once
#define SIM_FAULT_STREAM_MAX         128       //  Longest stream name, with its NUL
#define SIM_FAULT_COUNT_MAX          1000000   //  Largest count
#define SIM_FAULT_MS_MAX             86400000  //  Largest |ms| (a day)
#define SIM_FAULT_VOLATILITY_DEFAULT 10
#define SIM_FAULT_ERROR_MAX          256    //  Error message buffer, with its NUL
#define SIM_FAULT_PORT_MAX           65535  //  Largest "port"

typedef enum {
    SIM_FAULT_DROP = 1,
    SIM_FAULT_DUPLICATE = 2,
    SIM_FAULT_REORDER = 3,
    SIM_FAULT_GAP = 4,
    SIM_FAULT_CORRUPT_CHECKSUM = 5,
    SIM_FAULT_DISCONNECT = 6,
    SIM_FAULT_STALL = 7,
    SIM_FAULT_HTTP_STATUS = 8,
    SIM_FAULT_ACCEPT_TIMEOUT = 9,
    SIM_FAULT_LATENCY = 10,
    SIM_FAULT_CLOCK_SKEW = 11,
    SIM_FAULT_VOLATILITY = 12,
    SIM_FAULT_CLEAR = 13,
} sim_fault_kind_t;

typedef struct {
    sim_fault_kind_t kind;              //  What
    char stream[SIM_FAULT_STREAM_MAX];  //  Stream name or "*"
    int64_t count;                      //  Units left; 0 = until cleared (see above)
    int status;                         //  http_status: the status
    int64_t ms;                         //  Duration, delay or skew
    int64_t until_mono_ns;              //  stall, volatility: end of the window, 0 = none
    bool gap_pass;                      //  gap: the next matching frame passes
    int port;                           //  Listening port it acts on; 0 = every port
} sim_fault_t;

//  What to do with one frame.
typedef enum {
    SIM_FAULT_PASS = 0,   //  Send it
    SIM_FAULT_SKIP = 1,   //  drop or gap: do not send it
    SIM_FAULT_TWICE = 2,  //  duplicate: send it twice
    SIM_FAULT_SWAP = 3,   //  reorder: send it after the connection's next frame
    SIM_FAULT_HOLD = 4,   //  stall: hold it until *release_mono_ns
} sim_fault_action_t;

//  Create an empty list.
sim_faults_t *sim_faults_new (void);

//  Destroy the list and set *self_p to NULL. Safe to call twice.
void sim_faults_destroy (sim_faults_t **self_p);

//  Parse and check a POST body into *fault (count defaults applied,
//  until_mono_ns left 0). Returns 0, or VB_EINVAL with a message for the
//  client in `error` (e.g. "unknown fault 'dorp'").
int sim_faults_parse (const char *body, size_t length, sim_fault_t *fault, char *error,
                      size_t error_size);

//  Name of a kind ("drop" ...), or "unknown".
const char *sim_faults_kind_name (sim_fault_kind_t kind);

//  Add a parsed fault, starting its window at now_mono_ns (stall,
//  volatility with ms). A clock_skew or volatility replaces an earlier one.
//  Returns 0, or VB_ELIMIT when SIM_FAULTS_MAX are active, VB_EINVAL for
//  kinds that are not kept (disconnect, clear).
int sim_faults_add (sim_faults_t *self, const sim_fault_t *fault, int64_t now_mono_ns);

//  Remove every fault.
void sim_faults_clear (sim_faults_t *self);

//  Drop faults whose window has ended (stall, volatility). Returns how many
//  ended; *stall_ended / *volatility_ended are set when one of that kind did.
size_t sim_faults_expire (sim_faults_t *self, int64_t now_mono_ns, bool *stall_ended,
                          bool *volatility_ended);

//  Number of active faults.
size_t sim_faults_size (sim_faults_t *self);

//  The active faults as {"faults":[{...}, ...]} (new string; caller frees).
char *sim_faults_json (sim_faults_t *self);

//  Decide the fate of one frame on `stream` (never NULL) and consume one
//  unit of the deciding fault. Faults are tried in the order they were set.
//  For SIM_FAULT_HOLD, *release_mono_ns is set to the end of the stall.
sim_fault_action_t sim_faults_on_frame (sim_faults_t *self, const char *stream, int64_t now_mono_ns,
                                        int64_t *release_mono_ns);

//  Consume one unit of the first fault of `kind` that matches `stream`
//  (NULL: any stream) and copy it into *taken (may be NULL). Returns true if
//  there was one. A fault with count 0 that lasts until cleared (latency,
//  clock_skew, volatility) is copied but not consumed.
bool sim_faults_take (sim_faults_t *self, sim_fault_kind_t kind, const char *stream,
                      sim_fault_t *taken);

//  As sim_faults_take, for a request or connection that arrived on
//  listening port `port`: faults set for another port are skipped, faults
//  with port 0 apply to every port. `port` 0 (not known) matches every
//  fault, as sim_faults_take does.
bool sim_faults_take_on_port (sim_faults_t *self, sim_fault_kind_t kind, const char *stream,
                              int port, sim_fault_t *taken);

//  The active fault of `kind` (first set), without consuming it; NULL if none.
const sim_fault_t *sim_faults_find (sim_faults_t *self, sim_fault_kind_t kind);

#ifdef __cplusplus
}
#endif
#endif
