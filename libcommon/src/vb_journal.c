/*  vb_journal.c — the order router's durable journal: orders, transitions and fills in SQLite.

    Every write is one BEGIN IMMEDIATE ... COMMIT transaction on one
    connection; with WAL and synchronous=FULL a commit returns only after the
    WAL is fsynced (see vb_journal.h for why FULL). Statements are prepared
    once at open, from the table s_sql. The schema is created by forward-only
    migration steps (s_migrations), each taking PRAGMA user_version from its
    index to the next; history tables are append-only, enforced by triggers.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include "vb_error.h"
#include "vb_journal.h"

//  "vbj1" in ASCII: PRAGMA application_id of a venuebus journal.
#define S_APPLICATION_ID 0x76626a31
//  Size of the last-error message buffer.
#define S_ERRMSG_SIZE 512
//  First capacity of a result array; it doubles as needed.
#define S_ARRAY_FIRST 16
//  Digits of base 36, lower case: the client order id alphabet.
#define S_BASE36 "0123456789abcdefghijklmnopqrstuvwxyz"
#define S_RADIX  36

//  Columns of an order, in the order s_read_order reads them.
#define S_ORDER_COLUMNS                                                                            \
    "sequence, client_order_id, strategy, client_tag, account, venue, symbol, side, type, tif, "   \
    "post_only, price_mantissa, price_exponent, qty_mantissa, qty_exponent, state, "               \
    "filled_mantissa, filled_exponent, venue_order_id, reject_reason, venue_code, venue_text, "    \
    "created_ns, updated_ns, state_ns"

//  Columns of a fill, in the order s_read_fill reads them.
#define S_FILL_COLUMNS                                                                             \
    "id, sequence, venue_trade_id, side, price_mantissa, price_exponent, qty_mantissa, "           \
    "qty_exponent, fee_mantissa, fee_exponent, fee_asset, ts_ns"

//  Schema version 1: orders, their append-only transition history, fills
//  (append-only, unique per venue trade), and the router id. STRICT tables
//  refuse a REAL in any INTEGER column.
static const char s_schema_v1[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;"
    "CREATE TABLE orders ("
    " sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
    " client_order_id TEXT NOT NULL UNIQUE,"
    " strategy TEXT NOT NULL, client_tag TEXT NOT NULL, account TEXT NOT NULL,"
    " venue TEXT NOT NULL, symbol TEXT NOT NULL,"
    " side INTEGER NOT NULL CHECK (side BETWEEN 1 AND 2),"
    " type INTEGER NOT NULL CHECK (type BETWEEN 1 AND 2),"
    " tif INTEGER NOT NULL CHECK (tif BETWEEN 1 AND 3),"
    " post_only INTEGER NOT NULL CHECK (post_only IN (0, 1)),"
    " price_mantissa INTEGER NOT NULL, price_exponent INTEGER NOT NULL,"
    " qty_mantissa INTEGER NOT NULL, qty_exponent INTEGER NOT NULL,"
    " state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 9),"
    " filled_mantissa INTEGER NOT NULL, filled_exponent INTEGER NOT NULL,"
    " venue_order_id TEXT NOT NULL, reject_reason INTEGER NOT NULL,"
    " venue_code TEXT NOT NULL, venue_text TEXT NOT NULL,"
    " created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL, state_ns INTEGER NOT NULL"
    ") STRICT;"
    "CREATE UNIQUE INDEX orders_tag ON orders (strategy, client_tag) WHERE client_tag <> '';"
    "CREATE INDEX orders_active ON orders (state) WHERE state NOT IN (4, 6, 7, 8);"
    "CREATE TABLE transitions ("
    " id INTEGER PRIMARY KEY,"
    " sequence INTEGER NOT NULL REFERENCES orders (sequence),"
    " from_state INTEGER NOT NULL, to_state INTEGER NOT NULL,"
    " venue_order_id TEXT NOT NULL, reject_reason INTEGER NOT NULL,"
    " venue_code TEXT NOT NULL, venue_text TEXT NOT NULL, ts_ns INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX transitions_order ON transitions (sequence);"
    "CREATE TABLE fills ("
    " id INTEGER PRIMARY KEY,"
    " sequence INTEGER NOT NULL REFERENCES orders (sequence),"
    " venue TEXT NOT NULL, account TEXT NOT NULL, symbol TEXT NOT NULL,"
    " side INTEGER NOT NULL, venue_trade_id TEXT NOT NULL,"
    " price_mantissa INTEGER NOT NULL, price_exponent INTEGER NOT NULL,"
    " qty_mantissa INTEGER NOT NULL, qty_exponent INTEGER NOT NULL,"
    " fee_mantissa INTEGER NOT NULL, fee_exponent INTEGER NOT NULL,"
    " fee_asset TEXT NOT NULL, ts_ns INTEGER NOT NULL,"
    " UNIQUE (venue, account, symbol, side, venue_trade_id)"
    ") STRICT;"
    "CREATE INDEX fills_order ON fills (sequence);"
    "CREATE TRIGGER transitions_no_update BEFORE UPDATE ON transitions"
    " BEGIN SELECT RAISE (ABORT, 'transitions are append-only'); END;"
    "CREATE TRIGGER transitions_no_delete BEFORE DELETE ON transitions"
    " BEGIN SELECT RAISE (ABORT, 'transitions are append-only'); END;"
    "CREATE TRIGGER fills_no_update BEFORE UPDATE ON fills"
    " BEGIN SELECT RAISE (ABORT, 'fills are append-only'); END;"
    "CREATE TRIGGER fills_no_delete BEFORE DELETE ON fills"
    " BEGIN SELECT RAISE (ABORT, 'fills are append-only'); END;"
    "CREATE TRIGGER orders_no_delete BEFORE DELETE ON orders"
    " BEGIN SELECT RAISE (ABORT, 'orders are never deleted'); END;";

//  Forward-only migrations: entry N takes user_version N to N + 1. Only ever
//  append; a shipped step never changes.
//  Schema version 2: fills from venues that name only their own order id
//  (Binance myTrades, Kraken TradesHistory) are matched by it.
static const char s_schema_v2[] = "CREATE INDEX orders_venue_id ON orders (account, venue_order_id)"
                                  " WHERE venue_order_id <> '';";

static const char *const s_migrations[VB_JOURNAL_SCHEMA_VERSION] = {
    s_schema_v1,  //  0 -> 1: first schema
    s_schema_v2,  //  1 -> 2: index on (account, venue order id)
};

//  Prepared statements, by index into s_sql. State numbers in the SQL are
//  vb_journal_state_t values: 1 is PENDING_NEW, 4, 6, 7 and 8 the terminal
//  states, 9 UNKNOWN.
typedef enum {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_SYNC_NORMAL,
    S_SYNC_FULL,
    S_INSERT_ORDER,
    S_SET_ID,
    S_INSERT_TRANSITION,
    S_SELECT_BY_ID,
    S_SELECT_BY_TAG,
    S_SELECT_BY_VENUE_ID,
    S_UPDATE_ORDER,
    S_SELECT_FILL_KEY,
    S_INSERT_FILL,
    S_UPDATE_FILLED,
    S_SELECT_ACTIVE,
    S_SELECT_UNKNOWN,
    S_SELECT_FILLS,
    S_STATEMENT_COUNT
} s_statement_t;

static const char *const s_sql[S_STATEMENT_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    //  Prepared once: a lazy transition switches these per call
    [S_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
    [S_SYNC_FULL] = "PRAGMA synchronous = FULL",
    [S_INSERT_ORDER] = "INSERT INTO orders (client_order_id, strategy, client_tag, account, venue,"
                       " symbol, side, type, tif, post_only, price_mantissa, price_exponent,"
                       " qty_mantissa, qty_exponent, state, filled_mantissa, filled_exponent,"
                       " venue_order_id, reject_reason, venue_code, venue_text, created_ns,"
                       " updated_ns, state_ns)"
                       " VALUES ('', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1,"
                       " 0, ?13, '', 0, '', '', ?14, ?14, ?14)",
    [S_SET_ID] = "UPDATE orders SET client_order_id = ?2 WHERE sequence = ?1",
    [S_INSERT_TRANSITION] = "INSERT INTO transitions (sequence, from_state, to_state,"
                            " venue_order_id, reject_reason, venue_code, venue_text, ts_ns)"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_SELECT_BY_ID] = "SELECT " S_ORDER_COLUMNS " FROM orders WHERE client_order_id = ?1",
    [S_SELECT_BY_TAG] = "SELECT " S_ORDER_COLUMNS " FROM orders"
                        " WHERE strategy = ?1 AND client_tag = ?2 AND client_tag <> ''",
    [S_SELECT_BY_VENUE_ID] = "SELECT " S_ORDER_COLUMNS " FROM orders"
                             " WHERE account = ?1 AND venue_order_id = ?2 AND venue_order_id <> ''",
    [S_UPDATE_ORDER] = "UPDATE orders SET state = ?2, venue_order_id = ?3, reject_reason = ?4,"
                       " venue_code = ?5, venue_text = ?6, updated_ns = ?7, state_ns = ?8"
                       " WHERE sequence = ?1",
    [S_SELECT_FILL_KEY] = "SELECT " S_FILL_COLUMNS " FROM fills WHERE venue = ?1 AND account = ?2"
                          " AND symbol = ?3 AND side = ?4 AND venue_trade_id = ?5",
    [S_INSERT_FILL] = "INSERT INTO fills (sequence, venue, account, symbol, side, venue_trade_id,"
                      " price_mantissa, price_exponent, qty_mantissa, qty_exponent, fee_mantissa,"
                      " fee_exponent, fee_asset, ts_ns)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    [S_UPDATE_FILLED] = "UPDATE orders SET filled_mantissa = ?2, filled_exponent = ?3,"
                        " updated_ns = ?4 WHERE sequence = ?1",
    [S_SELECT_ACTIVE] = "SELECT " S_ORDER_COLUMNS " FROM orders"
                        " WHERE state NOT IN (4, 6, 7, 8) ORDER BY sequence",
    [S_SELECT_UNKNOWN] = "SELECT " S_ORDER_COLUMNS " FROM orders"
                         " WHERE state = 9 AND state_ns <= ?1 ORDER BY sequence",
    [S_SELECT_FILLS] = "SELECT " S_FILL_COLUMNS " FROM fills WHERE sequence = ?1 ORDER BY id",
};

//  The state table: s_allowed[from][to]. See vb_journal_transition_allowed.
#define S_PN VB_JOURNAL_STATE_PENDING_NEW
#define S_NW VB_JOURNAL_STATE_NEW
#define S_PF VB_JOURNAL_STATE_PARTIALLY_FILLED
#define S_FL VB_JOURNAL_STATE_FILLED
#define S_PC VB_JOURNAL_STATE_PENDING_CANCEL
#define S_CX VB_JOURNAL_STATE_CANCELED
#define S_RJ VB_JOURNAL_STATE_REJECTED
#define S_EX VB_JOURNAL_STATE_EXPIRED
#define S_UK VB_JOURNAL_STATE_UNKNOWN

static const bool s_allowed[VB_JOURNAL_STATE_COUNT][VB_JOURNAL_STATE_COUNT] = {
    [S_PN] = {[S_NW] = 1,
              [S_PF] = 1,
              [S_FL] = 1,
              [S_PC] = 1,
              [S_CX] = 1,
              [S_RJ] = 1,
              [S_EX] = 1,
              [S_UK] = 1},
    [S_NW] = {[S_PF] = 1, [S_FL] = 1, [S_PC] = 1, [S_CX] = 1, [S_EX] = 1, [S_UK] = 1},
    [S_PF] = {[S_PF] = 1, [S_FL] = 1, [S_PC] = 1, [S_CX] = 1, [S_EX] = 1, [S_UK] = 1},
    [S_PC] = {[S_NW] = 1, [S_PF] = 1, [S_FL] = 1, [S_CX] = 1, [S_EX] = 1, [S_UK] = 1},
    [S_UK] = {[S_PN] = 1,
              [S_NW] = 1,
              [S_PF] = 1,
              [S_FL] = 1,
              [S_PC] = 1,
              [S_CX] = 1,
              [S_RJ] = 1,
              [S_EX] = 1,
              [S_UK] = 1},
    //  FILLED, CANCELED, REJECTED, EXPIRED: terminal, all false.
};

static const char *const s_state_names[VB_JOURNAL_STATE_COUNT] = {
    "UNSET",          "PENDING_NEW", "NEW",      "PARTIALLY_FILLED", "FILLED",
    "PENDING_CANCEL", "CANCELED",    "REJECTED", "EXPIRED",          "UNKNOWN",
};

struct _vb_journal_t {
    sqlite3 *db;                                 //  The connection; exclusive lock held
    uint32_t router_id;                          //  Router the ids are derived from
    sqlite3_stmt *statement[S_STATEMENT_COUNT];  //  Prepared from s_sql
    char errmsg[S_ERRMSG_SIZE];                  //  Detail of the last failure
};

//  --------------------------------------------------------------------------
//  Record a failure's detail and return its code.

static int
s_fail (vb_journal_t *self, int code, const char *detail)
{
    snprintf (self->errmsg, sizeof (self->errmsg), "%s", detail);
    return code;
}

//  --------------------------------------------------------------------------
//  Map a SQLite result code to a VB_E* code, recording SQLite's message.

static int
s_sqlite_fail (vb_journal_t *self, int rc)
{
    snprintf (self->errmsg, sizeof (self->errmsg), "sqlite: %s (%s)", sqlite3_errmsg (self->db),
              sqlite3_errstr (rc));
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return VB_EAGAIN;
        case SQLITE_NOMEM:
            return VB_ENOMEM;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return VB_ETAMPERED;
        default:
            return VB_EIO;
    }
}

//  --------------------------------------------------------------------------
//  Reset a statement and clear its bindings, ready for the next use.

static sqlite3_stmt *
s_statement (vb_journal_t *self, s_statement_t which)
{
    sqlite3_stmt *statement = self->statement[which];
    sqlite3_reset (statement);
    sqlite3_clear_bindings (statement);
    return statement;
}

//  --------------------------------------------------------------------------
//  Run a statement that returns no rows (or whose rows are ignored).

static int
s_run (vb_journal_t *self, sqlite3_stmt *statement)
{
    int rc;
    while ((rc = sqlite3_step (statement)) == SQLITE_ROW)
        ;
    sqlite3_reset (statement);
    return rc == SQLITE_DONE ? 0 : s_sqlite_fail (self, rc);
}

//  --------------------------------------------------------------------------
//  Begin a write transaction.

static int
s_begin (vb_journal_t *self)
{
    return s_run (self, s_statement (self, S_BEGIN));
}

//  --------------------------------------------------------------------------
//  Commit; on failure roll back, so the journal is never left in a transaction.

static int
s_commit (vb_journal_t *self)
{
    int rc = s_run (self, s_statement (self, S_COMMIT));
    if (rc && !sqlite3_get_autocommit (self->db))
        s_run (self, s_statement (self, S_ROLLBACK));
    return rc;
}

//  --------------------------------------------------------------------------
//  Roll back (if a transaction is open) and pass the error code through. The
//  error detail of the original failure is kept.

static int
s_rollback (vb_journal_t *self, int code)
{
    if (!sqlite3_get_autocommit (self->db)) {
        char saved[S_ERRMSG_SIZE];
        memcpy (saved, self->errmsg, sizeof (saved));
        s_run (self, s_statement (self, S_ROLLBACK));
        memcpy (self->errmsg, saved, sizeof (saved));
    }
    return code;
}

//  --------------------------------------------------------------------------
//  True when text is a name: NULL-free, printable ASCII, at most
//  VB_JOURNAL_NAME_MAX bytes, and non-empty unless allow_empty.

static bool
s_name_valid (const char *text, bool allow_empty)
{
    if (!text)
        return allow_empty;
    size_t length = 0;
    for (; text[length]; length++) {
        if (length >= VB_JOURNAL_NAME_MAX)
            return false;
        unsigned char byte = (unsigned char)text[length];
        if (byte < 0x20 || byte > 0x7e)
            return false;
    }
    return allow_empty || length > 0;
}

//  --------------------------------------------------------------------------
//  True when a decimal's exponent is one vb_decimal can format.

static bool
s_decimal_valid (vb_decimal_t value)
{
    return value.exponent >= VB_DECIMAL_EXPONENT_MIN && value.exponent <= VB_DECIMAL_EXPONENT_MAX;
}

//  --------------------------------------------------------------------------
//  True when a decimal is valid and strictly positive.

static bool
s_decimal_positive (vb_decimal_t value)
{
    return s_decimal_valid (value) && !vb_decimal_is_zero (value) &&
           !vb_decimal_is_negative (value);
}

//  --------------------------------------------------------------------------
//  Length of venue text kept: at most VB_JOURNAL_TEXT_MAX bytes, cut before a
//  UTF-8 continuation byte so a multi-byte character is never split.

static size_t
s_text_length (const char *text)
{
    size_t length = strnlen (text, VB_JOURNAL_TEXT_MAX + 1);
    if (length <= VB_JOURNAL_TEXT_MAX)
        return length;
    length = VB_JOURNAL_TEXT_MAX;
    while (length > 0 && ((unsigned char)text[length] & 0xc0) == 0x80)
        length--;
    return length;
}

//  --------------------------------------------------------------------------
//  Copy a text column into a fixed buffer (always NUL-terminated).

static void
s_column_text (sqlite3_stmt *statement, int column, char *buffer, size_t size)
{
    const unsigned char *text = sqlite3_column_text (statement, column);
    int length = sqlite3_column_bytes (statement, column);
    size_t copy = text && length > 0 ? (size_t)length : 0;
    if (copy >= size)
        copy = size - 1;
    if (copy)
        memcpy (buffer, text, copy);
    buffer[copy] = 0;
}

//  --------------------------------------------------------------------------
//  Read a decimal from two adjacent integer columns.

static vb_decimal_t
s_column_decimal (sqlite3_stmt *statement, int column)
{
    vb_decimal_t value = {sqlite3_column_int64 (statement, column),
                          (int32_t)sqlite3_column_int (statement, column + 1)};
    return value;
}

//  --------------------------------------------------------------------------
//  Read the current row (S_ORDER_COLUMNS) into *order.

static void
s_read_order (sqlite3_stmt *statement, vb_journal_order_t *order)
{
    memset (order, 0, sizeof (*order));
    order->sequence = sqlite3_column_int64 (statement, 0);
    s_column_text (statement, 1, order->client_order_id, sizeof (order->client_order_id));
    s_column_text (statement, 2, order->strategy, sizeof (order->strategy));
    s_column_text (statement, 3, order->client_tag, sizeof (order->client_tag));
    s_column_text (statement, 4, order->account, sizeof (order->account));
    s_column_text (statement, 5, order->venue, sizeof (order->venue));
    s_column_text (statement, 6, order->symbol, sizeof (order->symbol));
    order->side = (vb_journal_side_t)sqlite3_column_int (statement, 7);
    order->type = (vb_journal_type_t)sqlite3_column_int (statement, 8);
    order->tif = (vb_journal_tif_t)sqlite3_column_int (statement, 9);
    order->post_only = sqlite3_column_int (statement, 10) != 0;
    order->price = s_column_decimal (statement, 11);
    order->qty = s_column_decimal (statement, 13);
    order->state = (vb_journal_state_t)sqlite3_column_int (statement, 15);
    order->filled_qty = s_column_decimal (statement, 16);
    s_column_text (statement, 18, order->venue_order_id, sizeof (order->venue_order_id));
    order->reject_reason = sqlite3_column_int (statement, 19);
    s_column_text (statement, 20, order->venue_code, sizeof (order->venue_code));
    s_column_text (statement, 21, order->venue_text, sizeof (order->venue_text));
    order->created_ns = sqlite3_column_int64 (statement, 22);
    order->updated_ns = sqlite3_column_int64 (statement, 23);
    order->state_ns = sqlite3_column_int64 (statement, 24);
}

//  --------------------------------------------------------------------------
//  Read the current row (S_FILL_COLUMNS) into *fill.

static void
s_read_fill (sqlite3_stmt *statement, vb_journal_fill_row_t *fill)
{
    memset (fill, 0, sizeof (*fill));
    fill->fill_id = sqlite3_column_int64 (statement, 0);
    fill->sequence = sqlite3_column_int64 (statement, 1);
    s_column_text (statement, 2, fill->venue_trade_id, sizeof (fill->venue_trade_id));
    fill->side = (vb_journal_side_t)sqlite3_column_int (statement, 3);
    fill->price = s_column_decimal (statement, 4);
    fill->qty = s_column_decimal (statement, 6);
    fill->fee = s_column_decimal (statement, 8);
    s_column_text (statement, 10, fill->fee_asset, sizeof (fill->fee_asset));
    fill->ts_ns = sqlite3_column_int64 (statement, 11);
}

//  --------------------------------------------------------------------------
//  Step a statement that selects at most one order. Returns 0, VB_ENOTFOUND
//  or a SQLite failure.

static int
s_select_one (vb_journal_t *self, sqlite3_stmt *statement, vb_journal_order_t *order)
{
    int rc = sqlite3_step (statement);
    if (rc == SQLITE_ROW)
        s_read_order (statement, order);
    sqlite3_reset (statement);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return s_fail (self, VB_ENOTFOUND, "no such order");
    return s_sqlite_fail (self, rc);
}

//  --------------------------------------------------------------------------
//  Look up an order by client order id (inside or outside a transaction).

static int
s_order_by_id (vb_journal_t *self, const char *client_order_id, vb_journal_order_t *order)
{
    if (!client_order_id || strnlen (client_order_id, VB_JOURNAL_ID_SIZE) > VB_JOURNAL_ID_LEN)
        return s_fail (self, VB_EINVAL, "client order id missing or too long");
    sqlite3_stmt *statement = s_statement (self, S_SELECT_BY_ID);
    sqlite3_bind_text (statement, 1, client_order_id, -1, SQLITE_STATIC);
    return s_select_one (self, statement, order);
}

//  --------------------------------------------------------------------------
//  Run a statement selecting rows into a new array of items of item_size,
//  read by reader. Returns the count, or a negative VB_E* code.

static int
s_select_array (vb_journal_t *self, sqlite3_stmt *statement, size_t item_size,
                void (*reader) (sqlite3_stmt *, void *), void **array_p)
{
    *array_p = NULL;
    char *array = NULL;
    size_t count = 0;
    size_t capacity = 0;
    int rc;
    while ((rc = sqlite3_step (statement)) == SQLITE_ROW) {
        if (count == (size_t)INT_MAX) {
            sqlite3_reset (statement);
            free (array);
            return s_fail (self, VB_ELIMIT, "too many rows for one array");
        }
        if (count == capacity) {
            size_t grown = capacity ? capacity * 2 : S_ARRAY_FIRST;
            char *bigger = (char *)realloc (array, grown * item_size);
            if (!bigger) {
                sqlite3_reset (statement);
                free (array);
                return s_fail (self, VB_ENOMEM, "out of memory");
            }
            array = bigger;
            capacity = grown;
        }
        reader (statement, array + count * item_size);
        count++;
    }
    sqlite3_reset (statement);
    if (rc != SQLITE_DONE) {
        free (array);
        return s_sqlite_fail (self, rc);
    }
    *array_p = array;
    return (int)count;
}

//  Adapters from the typed readers to s_select_array's generic reader.
static void
s_read_order_any (sqlite3_stmt *statement, void *item)
{
    s_read_order (statement, (vb_journal_order_t *)item);
}

static void
s_read_fill_any (sqlite3_stmt *statement, void *item)
{
    s_read_fill (statement, (vb_journal_fill_row_t *)item);
}

//  --------------------------------------------------------------------------
//  Run one SQL text (pragma or script) on db; returns the SQLite code.

static int
s_exec (sqlite3 *db, const char *sql)
{
    return sqlite3_exec (db, sql, NULL, NULL, NULL);
}

//  --------------------------------------------------------------------------
//  Read a single integer result of a query (a pragma). Returns the SQLite code.

static int
s_query_int (sqlite3 *db, const char *sql, int64_t *value_p)
{
    sqlite3_stmt *statement = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &statement, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step (statement);
        if (rc == SQLITE_ROW) {
            *value_p = sqlite3_column_int64 (statement, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE)
            rc = SQLITE_EMPTY;
    }
    sqlite3_finalize (statement);
    return rc;
}

//  --------------------------------------------------------------------------
//  Set the open error message: "journal <path>: <cause>".

static void
s_open_error (char **error_p, const char *path, const char *cause, const char *detail)
{
    if (!error_p)
        return;
    *error_p = detail ? zsys_sprintf ("journal %s: %s (%s)", path, cause, detail)
                      : zsys_sprintf ("journal %s: %s", path, cause);
}

//  --------------------------------------------------------------------------
//  Explain a SQLite failure during open in words an operator can act on.

static const char *
s_open_cause (int rc)
{
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return "in use by another process (one router per journal)";
        case SQLITE_NOTADB:
            return "not a SQLite database";
        case SQLITE_CORRUPT:
            return "database is corrupt";
        case SQLITE_CANTOPEN:
            return "cannot open the file";
        case SQLITE_READONLY:
        case SQLITE_PERM:
            return "not writable";
        default:
            return "cannot open the journal";
    }
}

//  --------------------------------------------------------------------------
//  Inside the open transaction: check the file is (or can become) a journal of
//  this router, and migrate it forward. Returns 0, or sets *error_p.

static int
s_prepare_schema (sqlite3 *db, const char *path, uint32_t router_id, char **error_p)
{
    int64_t version = 0;
    int64_t application_id = 0;
    int64_t tables = 0;
    int rc = s_query_int (db, "PRAGMA user_version", &version);
    if (rc == SQLITE_OK)
        rc = s_query_int (db, "PRAGMA application_id", &application_id);
    if (rc == SQLITE_OK)
        rc = s_query_int (db, "SELECT count(*) FROM sqlite_schema", &tables);
    if (rc != SQLITE_OK) {
        s_open_error (error_p, path, s_open_cause (rc), sqlite3_errmsg (db));
        return -1;
    }
    if (application_id != S_APPLICATION_ID && (application_id != 0 || tables != 0)) {
        s_open_error (error_p, path, "not a venuebus journal (another application's database)",
                      NULL);
        return -1;
    }
    if (version > VB_JOURNAL_SCHEMA_VERSION) {
        char detail[S_ERRMSG_SIZE];
        snprintf (detail, sizeof (detail), "file has version %" PRId64 ", this build knows %d",
                  version, VB_JOURNAL_SCHEMA_VERSION);
        s_open_error (error_p, path, "schema is from a newer venuebus; refusing to open", detail);
        return -1;
    }
    for (int64_t step = version; step < VB_JOURNAL_SCHEMA_VERSION; step++) {
        char bump[S_ERRMSG_SIZE];
        snprintf (bump, sizeof (bump), "PRAGMA user_version = %" PRId64, step + 1);
        rc = s_exec (db, s_migrations[step]);
        if (rc == SQLITE_OK)
            rc = s_exec (db, bump);
        if (rc != SQLITE_OK) {
            s_open_error (error_p, path, "schema migration failed", sqlite3_errmsg (db));
            return -1;
        }
    }
    char sql[S_ERRMSG_SIZE];
    snprintf (sql, sizeof (sql), "PRAGMA application_id = %d", S_APPLICATION_ID);
    rc = s_exec (db, sql);
    snprintf (sql, sizeof (sql),
              "INSERT OR IGNORE INTO meta (key, value) VALUES ('router_id', %" PRIu32 ")",
              router_id);
    if (rc == SQLITE_OK)
        rc = s_exec (db, sql);
    int64_t stored = -1;
    if (rc == SQLITE_OK)
        rc = s_query_int (db, "SELECT value FROM meta WHERE key = 'router_id'", &stored);
    if (rc != SQLITE_OK) {
        s_open_error (error_p, path, "cannot read the journal's router id", sqlite3_errmsg (db));
        return -1;
    }
    if (stored != (int64_t)router_id) {
        char detail[S_ERRMSG_SIZE];
        snprintf (detail, sizeof (detail), "journal router id %" PRId64 ", configured %" PRIu32,
                  stored, router_id);
        s_open_error (error_p, path, "journal belongs to another router id", detail);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  True when the directory that would hold path exists.

static bool
s_directory_exists (const char *path)
{
    char *copy = strdup (path);
    if (!copy)
        return false;
    struct stat status;
    bool exists = stat (dirname (copy), &status) == 0 && S_ISDIR (status.st_mode);
    free (copy);
    return exists;
}

//  --------------------------------------------------------------------------
//  Open or create the journal; see the header.

vb_journal_t *
vb_journal_open (const char *path, uint32_t router_id, char **error_p)
{
    if (error_p)
        *error_p = NULL;
    if (!path || !*path) {
        s_open_error (error_p, "(none)", "no path given", NULL);
        return NULL;
    }
    if (router_id > VB_JOURNAL_ROUTER_ID_MAX) {
        s_open_error (error_p, path, "router id out of range (0..1679615)", NULL);
        return NULL;
    }
    if (!s_directory_exists (path)) {
        s_open_error (error_p, path, "directory does not exist", NULL);
        return NULL;
    }
    vb_journal_t *self = (vb_journal_t *)zmalloc (sizeof (vb_journal_t));
    self->router_id = router_id;
    int rc = sqlite3_open_v2 (
        path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    //  Exclusive locking before WAL: the WAL then needs no shared memory and
    //  the lock is held until close, so no second process can write. The busy
    //  timeout stays 0 until the lock is ours, so "in use" is reported at once.
    if (rc == SQLITE_OK)
        rc = sqlite3_extended_result_codes (self->db, 1);
    if (rc == SQLITE_OK)
        rc = s_exec (self->db, "PRAGMA locking_mode = EXCLUSIVE");
    if (rc == SQLITE_OK)
        rc = s_exec (self->db, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK)
        rc = s_exec (self->db, "PRAGMA synchronous = FULL");
    if (rc == SQLITE_OK)
        rc = s_exec (self->db, "PRAGMA foreign_keys = ON");
    if (rc == SQLITE_OK)
        rc = s_exec (self->db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) {
        s_open_error (error_p, path, s_open_cause (rc),
                      self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
        vb_journal_destroy (&self);
        return NULL;
    }
    //  WAL must really be on: the durability argument depends on it.
    sqlite3_stmt *statement = NULL;
    bool wal = false;
    if (sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode", -1, &statement, NULL) == SQLITE_OK &&
        sqlite3_step (statement) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text (statement, 0);
        wal = mode && streq (mode, "wal");
    }
    sqlite3_finalize (statement);
    if (!wal) {
        s_exec (self->db, "ROLLBACK");
        s_open_error (error_p, path, "WAL mode is not available for this file", NULL);
        vb_journal_destroy (&self);
        return NULL;
    }
    if (s_prepare_schema (self->db, path, router_id, error_p)) {
        s_exec (self->db, "ROLLBACK");
        vb_journal_destroy (&self);
        return NULL;
    }
    rc = s_exec (self->db, "COMMIT");
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout (self->db, VB_JOURNAL_BUSY_TIMEOUT_MS);
    for (int index = 0; rc == SQLITE_OK && index < S_STATEMENT_COUNT; index++)
        rc = sqlite3_prepare_v3 (self->db, s_sql[index], -1, SQLITE_PREPARE_PERSISTENT,
                                 &self->statement[index], NULL);
    if (rc != SQLITE_OK) {
        if (!sqlite3_get_autocommit (self->db))
            s_exec (self->db, "ROLLBACK");
        s_open_error (error_p, path, s_open_cause (rc), sqlite3_errmsg (self->db));
        vb_journal_destroy (&self);
        return NULL;
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Close the journal; see the header.

void
vb_journal_destroy (vb_journal_t **self_p)
{
    assert (self_p);
    vb_journal_t *self = *self_p;
    if (!self)
        return;
    for (int index = S_STATEMENT_COUNT - 1; index >= 0; index--)
        sqlite3_finalize (self->statement[index]);
    if (self->db)
        sqlite3_close_v2 (self->db);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Check a new order's fields. Returns 0, or VB_EINVAL with the reason.

static int
s_check_new (vb_journal_t *self, const vb_journal_new_t *order)
{
    if (!order)
        return s_fail (self, VB_EINVAL, "no order");
    if (!s_name_valid (order->strategy, false) || !s_name_valid (order->client_tag, true) ||
        !s_name_valid (order->account, false) || !s_name_valid (order->venue, false) ||
        !s_name_valid (order->symbol, false))
        return s_fail (self, VB_EINVAL, "a name is missing, too long or not printable ASCII");
    if (order->side != VB_JOURNAL_SIDE_BUY && order->side != VB_JOURNAL_SIDE_SELL)
        return s_fail (self, VB_EINVAL, "side must be BUY or SELL");
    if (order->tif < VB_JOURNAL_TIF_GTC || order->tif > VB_JOURNAL_TIF_FOK)
        return s_fail (self, VB_EINVAL, "time in force must be GTC, IOC or FOK");
    if (!s_decimal_positive (order->qty))
        return s_fail (self, VB_EINVAL, "qty must be positive");
    if (order->type == VB_JOURNAL_TYPE_LIMIT) {
        if (!s_decimal_positive (order->price))
            return s_fail (self, VB_EINVAL, "a LIMIT order needs a positive price");
    } else if (order->type == VB_JOURNAL_TYPE_MARKET) {
        if (!s_decimal_valid (order->price) || !vb_decimal_is_zero (order->price))
            return s_fail (self, VB_EINVAL, "a MARKET order has no price");
        if (order->post_only)
            return s_fail (self, VB_EINVAL, "a MARKET order cannot be post-only");
    } else
        return s_fail (self, VB_EINVAL, "type must be LIMIT or MARKET");
    return 0;
}

//  --------------------------------------------------------------------------
//  Append a history row for an order now in `order`'s state.

static int
s_insert_transition (vb_journal_t *self, const vb_journal_order_t *order,
                     vb_journal_state_t from_state, int64_t ts_ns)
{
    sqlite3_stmt *statement = s_statement (self, S_INSERT_TRANSITION);
    sqlite3_bind_int64 (statement, 1, order->sequence);
    sqlite3_bind_int (statement, 2, (int)from_state);
    sqlite3_bind_int (statement, 3, (int)order->state);
    sqlite3_bind_text (statement, 4, order->venue_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_int (statement, 5, order->reject_reason);
    sqlite3_bind_text (statement, 6, order->venue_code, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 7, order->venue_text, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (statement, 8, ts_ns);
    return s_run (self, statement);
}

//  --------------------------------------------------------------------------
//  Journal a new order; see the header.

int
vb_journal_record_new (vb_journal_t *self, const vb_journal_new_t *order, int64_t *sequence_p,
                       char *client_order_id)
{
    assert (self);
    int rc = s_check_new (self, order);
    if (rc)
        return rc;
    rc = s_begin (self);
    if (rc)
        return rc;
    sqlite3_stmt *statement = s_statement (self, S_INSERT_ORDER);
    sqlite3_bind_text (statement, 1, order->strategy, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 2, order->client_tag ? order->client_tag : "", -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 3, order->account, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 4, order->venue, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 5, order->symbol, -1, SQLITE_STATIC);
    sqlite3_bind_int (statement, 6, (int)order->side);
    sqlite3_bind_int (statement, 7, (int)order->type);
    sqlite3_bind_int (statement, 8, (int)order->tif);
    sqlite3_bind_int (statement, 9, order->post_only ? 1 : 0);
    sqlite3_bind_int64 (statement, 10, order->price.mantissa);
    sqlite3_bind_int (statement, 11, order->price.exponent);
    sqlite3_bind_int64 (statement, 12, order->qty.mantissa);
    sqlite3_bind_int (statement, 13, order->qty.exponent);
    sqlite3_bind_int64 (statement, 14, order->created_ns);
    int step = sqlite3_step (statement);
    sqlite3_reset (statement);
    if (step == SQLITE_CONSTRAINT_UNIQUE)
        return s_rollback (
            self, s_fail (self, VB_EEXIST, "the strategy already has an order with this tag"));
    if (step != SQLITE_DONE)
        return s_rollback (self, s_sqlite_fail (self, step));

    vb_journal_order_t row;
    memset (&row, 0, sizeof (row));
    row.sequence = sqlite3_last_insert_rowid (self->db);
    row.state = VB_JOURNAL_STATE_PENDING_NEW;
    if (vb_journal_format_id (self->router_id, row.sequence, row.client_order_id))
        return s_rollback (self,
                           s_fail (self, VB_EOVERFLOW, "journal sequence passed the id range"));
    statement = s_statement (self, S_SET_ID);
    sqlite3_bind_int64 (statement, 1, row.sequence);
    sqlite3_bind_text (statement, 2, row.client_order_id, -1, SQLITE_STATIC);
    rc = s_run (self, statement);
    if (rc == 0)
        rc = s_insert_transition (self, &row, VB_JOURNAL_STATE_UNSET, order->created_ns);
    if (rc == 0)
        rc = s_commit (self);
    if (rc)
        return s_rollback (self, rc);
    if (sequence_p)
        *sequence_p = row.sequence;
    if (client_order_id)
        memcpy (client_order_id, row.client_order_id, VB_JOURNAL_ID_SIZE);
    if (order->result) {
        //  The row as S_INSERT_ORDER wrote it (the names fit: s_check_new)
        snprintf (row.strategy, sizeof (row.strategy), "%s", order->strategy);
        snprintf (row.client_tag, sizeof (row.client_tag), "%s",
                  order->client_tag ? order->client_tag : "");
        snprintf (row.account, sizeof (row.account), "%s", order->account);
        snprintf (row.venue, sizeof (row.venue), "%s", order->venue);
        snprintf (row.symbol, sizeof (row.symbol), "%s", order->symbol);
        row.side = order->side;
        row.type = order->type;
        row.tif = order->tif;
        row.post_only = order->post_only;
        row.price = order->price;
        row.qty = order->qty;
        row.filled_qty = (vb_decimal_t){0, order->qty.exponent};
        row.created_ns = row.updated_ns = row.state_ns = order->created_ns;
        *order->result = row;
    }
    return 0;
}

//  --------------------------------------------------------------------------
static int s_transition_locked (vb_journal_t *self, const char *client_order_id,
                                vb_journal_state_t new_state, const vb_journal_update_t *update);

//  Move an order to a new state; see the header.

int
vb_journal_transition (vb_journal_t *self, const char *client_order_id,
                       vb_journal_state_t new_state, const vb_journal_update_t *update)
{
    assert (self);
    if (!update)
        return s_fail (self, VB_EINVAL, "no update");
    if (!s_name_valid (update->venue_order_id, true) || !s_name_valid (update->venue_code, true))
        return s_fail (self, VB_EINVAL, "venue order id or code too long or not printable ASCII");
    if (update->reject_reason < 0)
        return s_fail (self, VB_EINVAL, "reject reason is negative");
    if (update->lazy)
        s_run (self, s_statement (self, S_SYNC_NORMAL));
    int rc = s_transition_locked (self, client_order_id, new_state, update);
    if (update->lazy)
        s_run (self, s_statement (self, S_SYNC_FULL));
    return rc;
}

//  --------------------------------------------------------------------------
//  vb_journal_transition's transaction.

static int
s_transition_locked (vb_journal_t *self, const char *client_order_id, vb_journal_state_t new_state,
                     const vb_journal_update_t *update)
{
    int rc = s_begin (self);
    if (rc)
        return rc;
    vb_journal_order_t order;
    rc = s_order_by_id (self, client_order_id, &order);
    if (rc)
        return s_rollback (self, rc);
    if (!vb_journal_transition_allowed (order.state, new_state)) {
        char detail[S_ERRMSG_SIZE];
        snprintf (detail, sizeof (detail), "transition %s -> %s is not allowed",
                  vb_journal_state_name (order.state), vb_journal_state_name (new_state));
        return s_rollback (self, s_fail (self, VB_ESTATE, detail));
    }
    if (update->venue_order_id && *update->venue_order_id) {
        if (*order.venue_order_id && strneq (order.venue_order_id, update->venue_order_id))
            return s_rollback (
                self, s_fail (self, VB_EINVAL, "venue order id differs from the stored one"));
        snprintf (order.venue_order_id, sizeof (order.venue_order_id), "%s",
                  update->venue_order_id);
    }
    if (update->reject_reason)
        order.reject_reason = update->reject_reason;
    if (update->venue_code)
        snprintf (order.venue_code, sizeof (order.venue_code), "%s", update->venue_code);
    if (update->venue_text) {
        size_t length = s_text_length (update->venue_text);
        memcpy (order.venue_text, update->venue_text, length);
        order.venue_text[length] = 0;
    }
    vb_journal_state_t from_state = order.state;
    if (new_state != from_state)
        order.state_ns = update->ts_ns;
    order.state = new_state;
    order.updated_ns = update->ts_ns;

    sqlite3_stmt *statement = s_statement (self, S_UPDATE_ORDER);
    sqlite3_bind_int64 (statement, 1, order.sequence);
    sqlite3_bind_int (statement, 2, (int)order.state);
    sqlite3_bind_text (statement, 3, order.venue_order_id, -1, SQLITE_STATIC);
    sqlite3_bind_int (statement, 4, order.reject_reason);
    sqlite3_bind_text (statement, 5, order.venue_code, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 6, order.venue_text, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (statement, 7, order.updated_ns);
    sqlite3_bind_int64 (statement, 8, order.state_ns);
    rc = s_run (self, statement);
    if (rc == 0)
        rc = s_insert_transition (self, &order, from_state, update->ts_ns);
    if (rc == 0)
        rc = s_commit (self);
    if (rc)
        return s_rollback (self, rc);
    if (update->result)
        *update->result = order;
    return 0;
}

//  --------------------------------------------------------------------------
//  Record a fill; see the header.

int
vb_journal_add_fill (vb_journal_t *self, const vb_journal_fill_t *fill)
{
    assert (self);
    if (!fill)
        return s_fail (self, VB_EINVAL, "no fill");
    if (!s_name_valid (fill->venue_trade_id, false) || !s_name_valid (fill->fee_asset, true))
        return s_fail (self, VB_EINVAL,
                       "venue trade id or fee asset missing, too long or not "
                       "printable ASCII");
    if (!s_decimal_positive (fill->price) || !s_decimal_positive (fill->qty))
        return s_fail (self, VB_EINVAL, "fill price and qty must be positive");
    if (!s_decimal_valid (fill->fee))
        return s_fail (self, VB_EINVAL, "fee exponent out of range");
    int rc = s_begin (self);
    if (rc)
        return rc;
    vb_journal_order_t order;
    rc = s_order_by_id (self, fill->client_order_id, &order);
    if (rc)
        return s_rollback (self, rc);

    sqlite3_stmt *statement = s_statement (self, S_SELECT_FILL_KEY);
    sqlite3_bind_text (statement, 1, order.venue, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 2, order.account, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 3, order.symbol, -1, SQLITE_STATIC);
    sqlite3_bind_int (statement, 4, (int)order.side);
    sqlite3_bind_text (statement, 5, fill->venue_trade_id, -1, SQLITE_STATIC);
    int step = sqlite3_step (statement);
    vb_journal_fill_row_t known;
    if (step == SQLITE_ROW)
        s_read_fill (statement, &known);
    sqlite3_reset (statement);
    if (step == SQLITE_ROW) {
        //  A replay: the same fill again changes nothing. The same key with
        //  other facts is not a replay, and the caller must hear about it.
        bool same = known.sequence == order.sequence &&
                    vb_decimal_cmp (known.qty, fill->qty) == 0 &&
                    vb_decimal_cmp (known.price, fill->price) == 0;
        if (!same)
            return s_rollback (
                self, s_fail (self, VB_EEXIST, "trade id already journaled with other facts"));
        s_rollback (self, 0);
        return 0;
    }
    if (step != SQLITE_DONE)
        return s_rollback (self, s_sqlite_fail (self, step));

    vb_decimal_t filled;
    if (vb_decimal_add (order.filled_qty, fill->qty, &filled))
        return s_rollback (self, s_fail (self, VB_EOVERFLOW, "filled qty does not fit"));
    if (vb_decimal_cmp (filled, order.qty) > 0)
        return s_rollback (self, s_fail (self, VB_EINVAL, "fill would overfill the order"));

    statement = s_statement (self, S_INSERT_FILL);
    sqlite3_bind_int64 (statement, 1, order.sequence);
    sqlite3_bind_text (statement, 2, order.venue, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 3, order.account, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 4, order.symbol, -1, SQLITE_STATIC);
    sqlite3_bind_int (statement, 5, (int)order.side);
    sqlite3_bind_text (statement, 6, fill->venue_trade_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (statement, 7, fill->price.mantissa);
    sqlite3_bind_int (statement, 8, fill->price.exponent);
    sqlite3_bind_int64 (statement, 9, fill->qty.mantissa);
    sqlite3_bind_int (statement, 10, fill->qty.exponent);
    sqlite3_bind_int64 (statement, 11, fill->fee.mantissa);
    sqlite3_bind_int (statement, 12, fill->fee.exponent);
    sqlite3_bind_text (statement, 13, fill->fee_asset ? fill->fee_asset : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64 (statement, 14, fill->ts_ns);
    rc = s_run (self, statement);
    if (rc == 0) {
        statement = s_statement (self, S_UPDATE_FILLED);
        sqlite3_bind_int64 (statement, 1, order.sequence);
        sqlite3_bind_int64 (statement, 2, filled.mantissa);
        sqlite3_bind_int (statement, 3, filled.exponent);
        sqlite3_bind_int64 (statement, 4, fill->ts_ns);
        rc = s_run (self, statement);
    }
    if (rc == 0)
        rc = s_commit (self);
    return rc ? s_rollback (self, rc) : 1;
}

//  --------------------------------------------------------------------------
//  Look up an order by client order id; see the header.

int
vb_journal_lookup (vb_journal_t *self, const char *client_order_id, vb_journal_order_t *order)
{
    assert (self);
    if (!order)
        return s_fail (self, VB_EINVAL, "no output order");
    return s_order_by_id (self, client_order_id, order);
}

//  --------------------------------------------------------------------------
//  Look up an order by (strategy, client_tag); see the header.

int
vb_journal_lookup_tag (vb_journal_t *self, const char *strategy, const char *client_tag,
                       vb_journal_order_t *order)
{
    assert (self);
    if (!order || !s_name_valid (strategy, false) || !s_name_valid (client_tag, false))
        return s_fail (self, VB_EINVAL, "strategy or client tag missing or invalid");
    sqlite3_stmt *statement = s_statement (self, S_SELECT_BY_TAG);
    sqlite3_bind_text (statement, 1, strategy, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 2, client_tag, -1, SQLITE_STATIC);
    return s_select_one (self, statement, order);
}

//  --------------------------------------------------------------------------
//  Look up an order by (account, venue order id); see the header.

int
vb_journal_lookup_venue_id (vb_journal_t *self, const char *account, const char *venue_order_id,
                            vb_journal_order_t *order)
{
    assert (self);
    if (!order || !s_name_valid (account, false) || !s_name_valid (venue_order_id, false))
        return s_fail (self, VB_EINVAL, "account or venue order id missing or invalid");
    sqlite3_stmt *statement = s_statement (self, S_SELECT_BY_VENUE_ID);
    sqlite3_bind_text (statement, 1, account, -1, SQLITE_STATIC);
    sqlite3_bind_text (statement, 2, venue_order_id, -1, SQLITE_STATIC);
    return s_select_one (self, statement, order);
}

//  --------------------------------------------------------------------------
//  Every non-terminal order; see the header.

int
vb_journal_select_active (vb_journal_t *self, vb_journal_order_t **orders_p)
{
    assert (self);
    assert (orders_p);
    return s_select_array (self, s_statement (self, S_SELECT_ACTIVE), sizeof (vb_journal_order_t),
                           s_read_order_any, (void **)orders_p);
}

//  --------------------------------------------------------------------------
//  Orders long in UNKNOWN; see the header.

int
vb_journal_select_unknown (vb_journal_t *self, int64_t now_ns, int64_t age_ns,
                           vb_journal_order_t **orders_p)
{
    assert (self);
    assert (orders_p);
    *orders_p = NULL;
    if (age_ns < 0)
        return s_fail (self, VB_EINVAL, "age is negative");
    //  now_ns - age_ns without signed overflow: below INT64_MIN means no order is old enough.
    if (now_ns < INT64_MIN + age_ns)
        return 0;
    sqlite3_stmt *statement = s_statement (self, S_SELECT_UNKNOWN);
    sqlite3_bind_int64 (statement, 1, now_ns - age_ns);
    return s_select_array (self, statement, sizeof (vb_journal_order_t), s_read_order_any,
                           (void **)orders_p);
}

//  --------------------------------------------------------------------------
//  Fills of one order; see the header.

int
vb_journal_select_fills (vb_journal_t *self, const char *client_order_id,
                         vb_journal_fill_row_t **fills_p)
{
    assert (self);
    assert (fills_p);
    *fills_p = NULL;
    vb_journal_order_t order;
    int rc = s_order_by_id (self, client_order_id, &order);
    if (rc)
        return rc;
    sqlite3_stmt *statement = s_statement (self, S_SELECT_FILLS);
    sqlite3_bind_int64 (statement, 1, order.sequence);
    return s_select_array (self, statement, sizeof (vb_journal_fill_row_t), s_read_fill_any,
                           (void **)fills_p);
}

//  --------------------------------------------------------------------------
//  Detail of the last failure.

const char *
vb_journal_errmsg (vb_journal_t *self)
{
    assert (self);
    return self->errmsg;
}

//  --------------------------------------------------------------------------
//  The journal's router id.

uint32_t
vb_journal_router_id (vb_journal_t *self)
{
    assert (self);
    return self->router_id;
}

//  --------------------------------------------------------------------------
//  Write value as `digits` base-36 digits, most significant first.

static void
s_base36 (uint64_t value, int digits, char *out)
{
    for (int index = digits - 1; index >= 0; index--) {
        out[index] = S_BASE36[value % S_RADIX];
        value /= S_RADIX;
    }
}

//  --------------------------------------------------------------------------
//  Format a client order id; see the header.

int
vb_journal_format_id (uint32_t router_id, int64_t sequence, char *buffer)
{
    assert (buffer);
    if (router_id > VB_JOURNAL_ROUTER_ID_MAX || sequence < 1 || sequence > VB_JOURNAL_SEQUENCE_MAX)
        return VB_EINVAL;
    size_t prefix = strlen (VB_JOURNAL_ID_PREFIX);
    memcpy (buffer, VB_JOURNAL_ID_PREFIX, prefix);
    s_base36 (router_id, VB_JOURNAL_ID_ROUTER_DIGITS, buffer + prefix);
    s_base36 ((uint64_t)sequence, VB_JOURNAL_ID_SEQ_DIGITS,
              buffer + prefix + VB_JOURNAL_ID_ROUTER_DIGITS);
    buffer[VB_JOURNAL_ID_LEN] = 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Read `digits` base-36 digits (lower case). Returns false on a bad digit.

static bool
s_parse_base36 (const char *text, int digits, uint64_t *value_p)
{
    uint64_t value = 0;
    for (int index = 0; index < digits; index++) {
        const char *digit = text[index] ? strchr (S_BASE36, text[index]) : NULL;
        if (!digit)
            return false;
        value = value * S_RADIX + (uint64_t)(digit - S_BASE36);
    }
    *value_p = value;
    return true;
}

//  --------------------------------------------------------------------------
//  Parse a client order id; see the header.

int
vb_journal_parse_id (const char *client_order_id, uint32_t *router_id_p, int64_t *sequence_p)
{
    size_t prefix = strlen (VB_JOURNAL_ID_PREFIX);
    if (!client_order_id || strnlen (client_order_id, VB_JOURNAL_ID_SIZE) != VB_JOURNAL_ID_LEN ||
        memcmp (client_order_id, VB_JOURNAL_ID_PREFIX, prefix) != 0)
        return VB_EINVAL;
    uint64_t router_id, sequence;
    //  12 base-36 digits are below 2^63, so the sequence cannot overflow.
    if (!s_parse_base36 (client_order_id + prefix, VB_JOURNAL_ID_ROUTER_DIGITS, &router_id) ||
        !s_parse_base36 (client_order_id + prefix + VB_JOURNAL_ID_ROUTER_DIGITS,
                         VB_JOURNAL_ID_SEQ_DIGITS, &sequence) ||
        sequence < 1)
        return VB_EINVAL;
    if (router_id_p)
        *router_id_p = (uint32_t)router_id;
    if (sequence_p)
        *sequence_p = (int64_t)sequence;
    return 0;
}

//  --------------------------------------------------------------------------
//  The state table lookup; see the header.

bool
vb_journal_transition_allowed (vb_journal_state_t from, vb_journal_state_t to)
{
    if ((int)from < 0 || (int)from >= VB_JOURNAL_STATE_COUNT || (int)to < 0 ||
        (int)to >= VB_JOURNAL_STATE_COUNT)
        return false;
    return s_allowed[from][to];
}

//  --------------------------------------------------------------------------
//  True for the four terminal states.

bool
vb_journal_state_terminal (vb_journal_state_t state)
{
    return state == VB_JOURNAL_STATE_FILLED || state == VB_JOURNAL_STATE_CANCELED ||
           state == VB_JOURNAL_STATE_REJECTED || state == VB_JOURNAL_STATE_EXPIRED;
}

//  --------------------------------------------------------------------------
//  Proto name of a state.

const char *
vb_journal_state_name (vb_journal_state_t state)
{
    if ((int)state < 0 || (int)state >= VB_JOURNAL_STATE_COUNT)
        return "INVALID";
    return s_state_names[state];
}
