/*  vb_journal.h — the order router's durable journal: orders, transitions and fills in SQLite.

    The router writes every order and every state change here BEFORE it acts on
    it (sends a request, reports to a strategy), so a process killed at any
    instruction restarts with no order lost or duplicated and no fill counted
    twice (DESIGN.md §3 "Journal", §4). One router process owns one journal:
    the file is opened in SQLite's exclusive locking mode, so a second process
    opening it gets a clear "in use" error instead of a second writer. One
    thread (the router's journal actor) uses a vb_journal_t; it is not
    thread-safe.

    Durability: WAL mode with synchronous=FULL. With FULL, SQLite fsyncs the
    WAL at every commit, so once a call below returns 0 its transition survives
    a power loss, not just a process crash. NORMAL would only survive a process
    crash: the router could send an order, lose power, and restart with no
    record of it, which is exactly the lost order §4 forbids.

    Client order ids (venues.md §6.2: the common subset of every venue is
    [A-Za-z0-9] with at most 18 characters, Kraken's free-text limit) are
        "vb" + router id in base 36, 4 digits + journal sequence in base 36, 12 digits
    with digits 0-9a-z (lower case only), zero-padded: always exactly 18
    characters. Router 1, sequence 1 is "vb0001000000000001". Every field has a
    fixed width, so the id maps back to exactly one (router id, sequence): ids
    are unique across routers and never repeat within one (the sequence is an
    AUTOINCREMENT key, never reused). Being one case, they stay unique even on
    a venue that compared ids case-insensitively.

    Prices and quantities are exact decimals (vb_decimal), stored as mantissa
    and exponent INTEGER columns, never REAL: "0.00012300" is kept as 12300e-8.

    All functions return 0 (or a documented count) on success, or a negative
    VB_E* code (vb_error.h). vb_journal_errmsg gives the SQLite detail of the
    last failure, for the caller to log. This class never logs.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_JOURNAL_H_INCLUDED
#define VB_JOURNAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vb_decimal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_journal_t vb_journal_t;

//  Schema version this build writes (PRAGMA user_version). An older journal is
//  migrated forward at open; a newer one is refused (VB_EVERSION).
#define VB_JOURNAL_SCHEMA_VERSION 2

//  Client order id layout (see above).
#define VB_JOURNAL_ID_PREFIX        "vb"
#define VB_JOURNAL_ID_ROUTER_DIGITS 4
#define VB_JOURNAL_ID_SEQ_DIGITS    12
#define VB_JOURNAL_ID_LEN           18  //  2 + 4 + 12 characters
#define VB_JOURNAL_ID_SIZE          (VB_JOURNAL_ID_LEN + 1)
#define VB_JOURNAL_ROUTER_ID_MAX    1679615                        //  36^4 - 1, "zzzz"
#define VB_JOURNAL_SEQUENCE_MAX     INT64_C (4738381338321616895)  //  36^12 - 1

//  Longest name (strategy, client tag, account, venue, symbol, venue order id,
//  venue trade id, venue code, fee asset), in bytes, and its buffer size.
//  Names are printable ASCII (0x20..0x7e).
#define VB_JOURNAL_NAME_MAX  64
#define VB_JOURNAL_NAME_SIZE (VB_JOURNAL_NAME_MAX + 1)
//  Longest venue text kept, in bytes; longer text is cut at a UTF-8 boundary.
#define VB_JOURNAL_TEXT_MAX  256
#define VB_JOURNAL_TEXT_SIZE (VB_JOURNAL_TEXT_MAX + 1)

//  SQLite busy timeout. The journal holds an exclusive lock, so this only
//  matters for a checkpoint racing a reader tool.
#define VB_JOURNAL_BUSY_TIMEOUT_MS 5000

//  Order states; the numbers are the proto OrderState values.
typedef enum {
    VB_JOURNAL_STATE_UNSET = 0,             //  Reserved: never stored
    VB_JOURNAL_STATE_PENDING_NEW = 1,       //  Journaled, request not yet answered
    VB_JOURNAL_STATE_NEW = 2,               //  Open at the venue
    VB_JOURNAL_STATE_PARTIALLY_FILLED = 3,  //  Open, some quantity filled
    VB_JOURNAL_STATE_FILLED = 4,            //  Terminal: fully filled
    VB_JOURNAL_STATE_PENDING_CANCEL = 5,    //  Cancel sent, not yet answered
    VB_JOURNAL_STATE_CANCELED = 6,          //  Terminal
    VB_JOURNAL_STATE_REJECTED = 7,          //  Terminal: the venue refused it
    VB_JOURNAL_STATE_EXPIRED = 8,           //  Terminal
    VB_JOURNAL_STATE_UNKNOWN = 9,           //  Outcome not seen; reconcile by id
} vb_journal_state_t;

#define VB_JOURNAL_STATE_COUNT 10  //  Including UNSET

//  Order side, type and time in force; the numbers are the proto values.
typedef enum {
    VB_JOURNAL_SIDE_UNSET = 0,
    VB_JOURNAL_SIDE_BUY = 1,
    VB_JOURNAL_SIDE_SELL = 2,
} vb_journal_side_t;

typedef enum {
    VB_JOURNAL_TYPE_UNSET = 0,
    VB_JOURNAL_TYPE_LIMIT = 1,
    VB_JOURNAL_TYPE_MARKET = 2,
} vb_journal_type_t;

typedef enum {
    VB_JOURNAL_TIF_UNSET = 0,
    VB_JOURNAL_TIF_GTC = 1,
    VB_JOURNAL_TIF_IOC = 2,
    VB_JOURNAL_TIF_FOK = 3,
} vb_journal_tif_t;

//  An order as stored. Plain value: copy freely. filled_qty starts as zero at
//  the qty's exponent and each fill is added exactly at the smaller of the two
//  exponents (vb_decimal_add), so it is always at the smallest exponent seen.
typedef struct {
    int64_t sequence;                           //  Journal sequence, > 0
    char client_order_id[VB_JOURNAL_ID_SIZE];   //  Derived from router id + sequence
    char strategy[VB_JOURNAL_NAME_SIZE];        //  Strategy id
    char client_tag[VB_JOURNAL_NAME_SIZE];      //  "" if none
    char account[VB_JOURNAL_NAME_SIZE];         //  Account name
    char venue[VB_JOURNAL_NAME_SIZE];           //  Venue name
    char symbol[VB_JOURNAL_NAME_SIZE];          //  Normalised symbol
    vb_journal_side_t side;                     //  BUY or SELL
    vb_journal_type_t type;                     //  LIMIT or MARKET
    vb_journal_tif_t tif;                       //  GTC, IOC or FOK
    bool post_only;                             //  Maker only
    vb_decimal_t price;                         //  Limit price (zero for MARKET)
    vb_decimal_t qty;                           //  Ordered quantity
    vb_journal_state_t state;                   //  Current state
    vb_decimal_t filled_qty;                    //  Sum of fills; see above
    char venue_order_id[VB_JOURNAL_NAME_SIZE];  //  "" until known
    int reject_reason;                          //  Proto RejectReason, 0 if none
    char venue_code[VB_JOURNAL_NAME_SIZE];      //  "" if none
    char venue_text[VB_JOURNAL_TEXT_SIZE];      //  "" if none
    int64_t created_ns;                         //  From vb_journal_new_t
    int64_t updated_ns;                         //  Last transition or fill
    int64_t state_ns;                           //  When the current state was entered
} vb_journal_order_t;

//  A new order, as the router received it. Strings are borrowed for the call.
typedef struct {
    const char *strategy;        //  Strategy id; required name
    const char *client_tag;      //  Strategy's own id; "" or NULL for none
    const char *account;         //  Account name; required name
    const char *venue;           //  Venue name, e.g. "binance"; required name
    const char *symbol;          //  Normalised symbol, e.g. "BTC-USDT"; required name
    vb_journal_side_t side;      //  BUY or SELL
    vb_journal_type_t type;      //  LIMIT or MARKET
    vb_journal_tif_t tif;        //  GTC, IOC or FOK
    bool post_only;              //  Maker only; LIMIT orders only
    vb_decimal_t price;          //  > 0 for LIMIT; zero for MARKET
    vb_decimal_t qty;            //  > 0
    int64_t created_ns;          //  Wall-clock ns since the epoch
    vb_journal_order_t *result;  //  When set: receives the order as stored, on success
} vb_journal_new_t;

//  Fields that change with a transition. A NULL string keeps the stored value.
typedef struct {
    const char *venue_order_id;  //  Venue's order id; may be set once, never changed
    int reject_reason;           //  Proto RejectReason; 0 keeps the stored value
    const char *venue_code;      //  Venue's own code as text, e.g. "-2010"
    const char *venue_text;      //  Venue's own text; cut to VB_JOURNAL_TEXT_MAX
    int64_t ts_ns;               //  Wall-clock ns of the transition
    bool lazy;                   //  See vb_journal_transition: fsynced with the next full commit
    vb_journal_order_t *result;  //  When set: receives the order as stored, on success
} vb_journal_update_t;

//  A fill, as a venue reported it. Strings are borrowed for the call.
typedef struct {
    const char *client_order_id;  //  Order the fill belongs to
    const char *venue_trade_id;   //  Venue's trade id; required name
    vb_decimal_t price;           //  > 0
    vb_decimal_t qty;             //  > 0
    vb_decimal_t fee;             //  Any sign (rebates are negative); zero if none
    const char *fee_asset;        //  "" or NULL if none
    int64_t ts_ns;                //  Wall-clock ns of the fill (venue time)
} vb_journal_fill_t;

//  A fill as stored. Plain value: copy freely.
typedef struct {
    int64_t fill_id;                            //  Row id, in journal order
    int64_t sequence;                           //  Order's journal sequence
    char venue_trade_id[VB_JOURNAL_NAME_SIZE];  //  Venue's trade id
    vb_journal_side_t side;                     //  The order's side
    vb_decimal_t price;                         //  Fill price
    vb_decimal_t qty;                           //  Fill quantity
    vb_decimal_t fee;                           //  Fee (zero if none)
    char fee_asset[VB_JOURNAL_NAME_SIZE];       //  "" if none
    int64_t ts_ns;                              //  From vb_journal_fill_t
} vb_journal_fill_row_t;

//  Open or create the journal at path for router_id (0..VB_JOURNAL_ROUTER_ID_MAX),
//  migrate its schema forward, and take the exclusive lock. The directory must
//  exist. Returns the journal, or NULL and, if error_p is not NULL, sets
//  *error_p to a new message (free it with free) naming the file and the cause:
//  missing directory, not a SQLite file or corrupt, not a venuebus journal,
//  schema from a newer build, a journal of another router id, in use by
//  another process, or an I/O failure.
vb_journal_t *vb_journal_open (const char *path, uint32_t router_id, char **error_p);

//  Close the journal (checkpointing its WAL) and set *self_p to NULL. Safe to
//  call twice, and with *self_p NULL.
void vb_journal_destroy (vb_journal_t **self_p);

//  Journal a new order in state PENDING_NEW. On success the row and its first
//  history row are durable (fsynced) before this returns, *sequence_p (if not
//  NULL) holds the assigned journal sequence and client_order_id (if not NULL)
//  its VB_JOURNAL_ID_SIZE-byte client order id. Returns 0, VB_EINVAL for a bad
//  field (missing or over-long name, non-printable byte, side/type/tif out of
//  range, qty <= 0, LIMIT without a positive price, MARKET with a price,
//  post_only on MARKET, an exponent outside vb_decimal's range), VB_EEXIST if
//  the strategy already has an order with this non-empty client_tag (nothing is
//  written: a strategy's retry never creates a second order), VB_EOVERFLOW
//  when the sequence passed VB_JOURNAL_SEQUENCE_MAX, or VB_EIO.
int vb_journal_record_new (vb_journal_t *self, const vb_journal_new_t *order, int64_t *sequence_p,
                           char *client_order_id);

//  Move an order to new_state, if the state table allows it (see
//  vb_journal_transition_allowed), applying update's fields, and append a
//  history row: one transaction, durable on return. With update->lazy the
//  commit is not fsynced itself (synchronous=NORMAL for that transaction):
//  it survives a process crash at once (it is in the WAL) and a power loss
//  once the next full commit (any record_new, add_fill or non-lazy
//  transition) has fsynced the WAL, which holds every earlier commit. For
//  outcomes the venue itself holds, which reconciliation restores after a
//  power loss; the order's own record (record_new) is always fsynced. Returns 0, VB_ENOTFOUND
//  for an unknown client order id, VB_ESTATE when the table refuses the
//  transition (a terminal order never moves; the row is unchanged), VB_EINVAL
//  for a bad field or update NULL, or a venue order id different from the one
//  already stored, or VB_EIO.
int vb_journal_transition (vb_journal_t *self, const char *client_order_id,
                           vb_journal_state_t new_state, const vb_journal_update_t *update);

//  Record a fill and add its qty to the order's filled qty (exact decimal
//  add), in one transaction. Fills are unique by (venue, account, symbol,
//  side, venue trade id): Binance and Kraken number trades per symbol, and a
//  self-trade gives one trade id to a buy and a sell fill on the same account.
//  The order's state is not changed; the router moves it with
//  vb_journal_transition. A fill is accepted in any state (a fill can race a
//  cancel), but one that would take the filled qty above the order qty is
//  refused with VB_EINVAL and nothing is written: the journal never claims
//  more than the order could fill, and the router must treat it as drift.
//  Returns 1 when the fill is new, 0 when the same fill (same order, price and
//  qty) is already journaled (nothing changes), VB_EEXIST when that key is
//  journaled with a different order, price or qty, VB_ENOTFOUND for an unknown
//  order, VB_EINVAL for a bad field or overfill, VB_EOVERFLOW when the sum
//  does not fit, or VB_EIO.
int vb_journal_add_fill (vb_journal_t *self, const vb_journal_fill_t *fill);

//  Look up an order by client order id, or by (strategy, client_tag). Fill
//  *order. Returns 0, VB_ENOTFOUND, VB_EINVAL for NULL or over-long keys, or
//  VB_EIO.
int vb_journal_lookup (vb_journal_t *self, const char *client_order_id, vb_journal_order_t *order);
int vb_journal_lookup_tag (vb_journal_t *self, const char *strategy, const char *client_tag,
                           vb_journal_order_t *order);

//  Look up an order by (account, venue order id): fills from venues whose
//  trade history names only their own order id. Returns as vb_journal_lookup.
int vb_journal_lookup_venue_id (vb_journal_t *self, const char *account, const char *venue_order_id,
                                vb_journal_order_t *order);

//  Every non-terminal order, by sequence: what the router reconciles at start.
//  Sets *orders_p to a new array (free it with free; NULL when empty) and
//  returns the count, or VB_EIO / VB_ENOMEM. The array is a snapshot, so the
//  caller may journal transitions while it walks it.
int vb_journal_select_active (vb_journal_t *self, vb_journal_order_t **orders_p);

//  Orders in UNKNOWN since at least age_ns before now_ns (state_ns <= now_ns -
//  age_ns), by sequence. Same array contract as vb_journal_select_active.
//  VB_EINVAL if age_ns < 0.
int vb_journal_select_unknown (vb_journal_t *self, int64_t now_ns, int64_t age_ns,
                               vb_journal_order_t **orders_p);

//  Fills of one order, in journal order. Same array contract; VB_ENOTFOUND
//  for an unknown order.
int vb_journal_select_fills (vb_journal_t *self, const char *client_order_id,
                             vb_journal_fill_row_t **fills_p);

//  Return the SQLite detail of the last failure ("" if none). Borrowed.
const char *vb_journal_errmsg (vb_journal_t *self);

//  Return the router id this journal belongs to.
uint32_t vb_journal_router_id (vb_journal_t *self);

//  Format the client order id of (router_id, sequence) into buffer (at least
//  VB_JOURNAL_ID_SIZE bytes). Returns 0, or VB_EINVAL when router_id >
//  VB_JOURNAL_ROUTER_ID_MAX, sequence < 1 or > VB_JOURNAL_SEQUENCE_MAX.
int vb_journal_format_id (uint32_t router_id, int64_t sequence, char *buffer);

//  Parse a client order id back into (router_id, sequence), to tell this
//  router's orders from others' at a venue. Returns 0, or VB_EINVAL for
//  anything vb_journal_format_id could not have produced.
int vb_journal_parse_id (const char *client_order_id, uint32_t *router_id_p, int64_t *sequence_p);

//  True when the state table allows from -> to. The table:
//    PENDING_NEW      -> NEW, PARTIALLY_FILLED, FILLED, PENDING_CANCEL, CANCELED,
//                        REJECTED, EXPIRED, UNKNOWN
//    NEW              -> PARTIALLY_FILLED, FILLED, PENDING_CANCEL, CANCELED,
//                        EXPIRED, UNKNOWN
//    PARTIALLY_FILLED -> PARTIALLY_FILLED, FILLED, PENDING_CANCEL, CANCELED,
//                        EXPIRED, UNKNOWN
//    PENDING_CANCEL   -> NEW, PARTIALLY_FILLED (cancel refused), FILLED,
//                        CANCELED, EXPIRED, UNKNOWN
//    UNKNOWN          -> any state (only the venue's word moves it)
//    FILLED, CANCELED, REJECTED, EXPIRED -> nothing (terminal)
//  PARTIALLY_FILLED -> PARTIALLY_FILLED is a further partial fill and UNKNOWN
//  -> UNKNOWN a further unanswered query; other same-state moves are refused,
//  so a replayed report is seen as such. UNSET is never a source or target.
bool vb_journal_transition_allowed (vb_journal_state_t from, vb_journal_state_t to);

//  True for FILLED, CANCELED, REJECTED and EXPIRED.
bool vb_journal_state_terminal (vb_journal_state_t state);

//  Proto name of a state ("PENDING_NEW"), or "UNSET" / "INVALID". Static.
const char *vb_journal_state_name (vb_journal_state_t state);

#ifdef __cplusplus
}
#endif
#endif
