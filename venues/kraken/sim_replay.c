/*  sim_replay.c — Kraken simulator: replay mode (--replay FILE).

    Serves a recorded Kraken WebSocket v1 `book` capture (the cryptofeed
    text format of shared/fixtures/real/SOURCES.md 1 and 2: lines
    `T: <frame>`, plus `wss://... <->` / `<-` lines that are skipped) as WS
    v2 `book` channels, the protocol the sim speaks.

    - The capture's pairs are served as they are in it, under their v2
      symbols (XBT -> BTC, XDG -> DOGE: "XBT/CHF" is "BTC/CHF"), for the book
      channel only, whether or not the engine lists them; they take
      precedence over an engine pair of the same symbol.
    - Each subscription replays its pair from the capture's snapshot, paced
      by the capture's receive times from the moment of the subscription
      (divided by --replay-speed; 0 sends without waiting). After the last
      update the channel goes quiet (heartbeats go on).
    - Every price and quantity is the capture's original text, written as a
      JSON number verbatim. An update carries the ORIGINAL checksum "c" of
      its v1 message (v1 and v2 use the same CRC32 over the top 10 levels).
      v1 snapshots have none, so a snapshot's checksum is computed by that
      algorithm over the original strings; at load every update's "c" is
      checked against the same computation, and the counts are logged.
    - Depth: the subscription keeps the client's view (its top `depth`
      levels); each capture update sends the view's difference (levels
      changed or entering the view, deletes of levels that left it), as
      sim_ws.c does for engine books. At the capture's depth this is the v1
      update itself. Updates that touch nothing in the view are not sent.
      The "timestamp" is the newest level time of the v1 message.
    - The instrument channel lists the capture's pairs too
      (vb_ksim_replay_instrument), with price_precision and qty_precision
      equal to the decimals of the capture's strings, so a client that
      subscribes a book only once it knows the pair's precision (the
      gateway's Kraken adapter) can subscribe and verify the checksums.
    - corrupt_checksum faults on stream "book" apply to replayed messages.
    SPDX-License-Identifier: MPL-2.0
*/
#include <time.h>
#include <zlib.h>
#include "vb_decimal.h"
#include "vb_log.h"
#include "sim.h"

#define S_TEXT_MAX       24    //  Longest price or quantity string
#define S_PAIRS_MAX      64    //  Pairs one capture may hold
#define S_CHECKSUM_DEPTH 10    //  Levels per side in the checksum
#define S_CAPTURE_DEPTH  1000  //  Depth when the channel name does not say
#define S_NS_EXPONENT    (-9)
#define S_BIDS           0
#define S_ASKS           1

//  One level as the capture sent it.
typedef struct {
    int side;            //  S_BIDS or S_ASKS
    vb_decimal_t price;  //  For ordering
    bool zero;           //  Volume 0: deletes the level
    int64_t ts_ns;       //  The level's own time
    char price_text[S_TEXT_MAX];
    char qty_text[S_TEXT_MAX];
} s_level_t;

//  One v1 book message of a pair.
typedef struct {
    bool snapshot;
    int64_t recv_ns;    //  Receive time of the line
    int64_t ts_ns;      //  Newest level time
    uint32_t checksum;  //  Updates: the original "c"
    size_t first;       //  Index of its first level in the levels array
    size_t count;       //  Its levels, in message order
} s_message_t;

//  One pair of the capture.
typedef struct {
    char v1[VB_SIM_NAME_MAX];      //  "XBT/CHF"
    char symbol[VB_SIM_NAME_MAX];  //  "BTC/CHF"
    int64_t channel;               //  v1 channelID
    size_t depth;                  //  Subscribed depth of the capture
    s_message_t *messages;         //  Snapshot first
    size_t message_count;
    size_t message_capacity;
} s_pair_t;

//  A sorted side: pointers to levels, best first.
typedef struct {
    const s_level_t **items;
    size_t count;
    size_t capacity;
} s_side_t;

//  One replay subscription: a connection following one pair.
typedef struct {
    vb_sim_conn_t *conn;
    size_t pair;
    size_t depth;      //  Levels in the client's view
    size_t next;       //  Next message to replay
    int64_t start_ns;  //  Monotonic time of the subscription
    s_side_t book[2];  //  Full book at the capture's depth
    s_side_t view[2];  //  What the client holds
} s_sub_t;

struct _vb_ksim_replay_t {
    s_pair_t pairs[S_PAIRS_MAX];
    size_t pair_count;
    s_level_t *levels;  //  Every level of every message
    size_t level_count;
    size_t level_capacity;
    s_sub_t **subs;  //  Active subscriptions
    size_t sub_count;
    size_t sub_capacity;
};

//  --------------------------------------------------------------------------
//  Monotonic time (the replay pace ignores clock_skew faults).

static int64_t
s_mono_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * VB_KSIM_NS_PER_S + now.tv_nsec;
}

//  --------------------------------------------------------------------------
//  Seconds text ("1618678133.365913") to ns. Returns 0 or -1.

static int
s_seconds_ns (const char *text, size_t length, int64_t *ns)
{
    vb_decimal_t value, scaled;
    if (vb_decimal_parse (text, length, &value) || vb_decimal_is_negative (value))
        return -1;
    //  Finer than a ns is cut, coarser is exact
    if (value.exponent < S_NS_EXPONENT) {
        while (value.exponent < S_NS_EXPONENT) {
            value.mantissa /= 10;
            value.exponent++;
        }
    }
    if (vb_decimal_rescale (value, S_NS_EXPONENT, &scaled))
        return -1;
    *ns = scaled.mantissa;
    return 0;
}

//  --------------------------------------------------------------------------
//  Side arrays.

static void
s_side_reserve (s_side_t *side, size_t count)
{
    if (count <= side->capacity)
        return;
    size_t capacity = side->capacity ? side->capacity : 64;
    while (capacity < count)
        capacity *= 2;
    const s_level_t **items = (const s_level_t **)zmalloc (capacity * sizeof (*items));
    if (side->count)
        memcpy (items, side->items, side->count * sizeof (*items));
    free (side->items);
    side->items = items;
    side->capacity = capacity;
}

static void
s_side_free (s_side_t *side)
{
    free (side->items);
    memset (side, 0, sizeof (*side));
}

//  True when a is a better price than b on this side.
static bool
s_better (int side, vb_decimal_t a, vb_decimal_t b)
{
    int cmp = vb_decimal_cmp (a, b);
    return side == S_BIDS ? cmp > 0 : cmp < 0;
}

//  Apply one level: set, or delete when its volume is zero.
static void
s_side_apply (s_side_t *side_levels, int side, const s_level_t *level)
{
    size_t low = 0, high = side_levels->count;
    while (low < high) {
        size_t mid = (low + high) / 2;
        if (s_better (side, side_levels->items[mid]->price, level->price))
            low = mid + 1;
        else
            high = mid;
    }
    bool found = low < side_levels->count &&
                 vb_decimal_cmp (side_levels->items[low]->price, level->price) == 0;
    if (level->zero) {
        if (found) {
            memmove (&side_levels->items[low], &side_levels->items[low + 1],
                     (side_levels->count - low - 1) * sizeof (side_levels->items[0]));
            side_levels->count--;
        }
        return;
    }
    if (found) {
        side_levels->items[low] = level;
        return;
    }
    s_side_reserve (side_levels, side_levels->count + 1);
    memmove (&side_levels->items[low + 1], &side_levels->items[low],
             (side_levels->count - low) * sizeof (side_levels->items[0]));
    side_levels->items[low] = level;
    side_levels->count++;
}

//  Apply a message to a full book (a snapshot replaces it), then truncate.
static void
s_book_apply (vb_ksim_replay_t *self, s_side_t book[2], const s_message_t *message, size_t depth)
{
    if (message->snapshot)
        book[S_BIDS].count = book[S_ASKS].count = 0;
    for (size_t index = 0; index < message->count; index++) {
        const s_level_t *level = &self->levels[message->first + index];
        s_side_apply (&book[level->side], level->side, level);
    }
    for (int side = 0; side < 2; side++)
        if (book[side].count > depth)
            book[side].count = depth;
}

//  --------------------------------------------------------------------------
//  Kraken's checksum over the original strings: top 10 asks then bids, each
//  price and volume with the '.' removed and leading zeros stripped.

static void
s_checksum_add (uLong *crc, const char *text)
{
    bool leading = true;
    for (const char *c = text; *c; c++) {
        if (*c == '.' || (leading && *c == '0'))
            continue;
        leading = false;
        *crc = crc32 (*crc, (const Bytef *)c, 1);
    }
}

static uint32_t
s_checksum (s_side_t book[2])
{
    uLong crc = crc32 (0L, Z_NULL, 0);
    const int order[2] = {S_ASKS, S_BIDS};
    for (int which = 0; which < 2; which++) {
        const s_side_t *side = &book[order[which]];
        for (size_t index = 0; index < side->count && index < S_CHECKSUM_DEPTH; index++) {
            s_checksum_add (&crc, side->items[index]->price_text);
            s_checksum_add (&crc, side->items[index]->qty_text);
        }
    }
    return (uint32_t)crc;
}

//  --------------------------------------------------------------------------
//  The v2 spelling of a v1 asset.

static const char *
s_v2_asset (const char *asset, size_t length)
{
    if (length == 3 && memcmp (asset, "XBT", 3) == 0)
        return "BTC";
    if (length == 3 && memcmp (asset, "XDG", 3) == 0)
        return "DOGE";
    return NULL;
}

//  The pair of a v1 name (added when new). NULL when the name is not
//  BASE/QUOTE or there are too many pairs.
static s_pair_t *
s_pair_get (vb_ksim_replay_t *self, const char *v1, size_t length, int64_t channel, size_t depth)
{
    for (size_t index = 0; index < self->pair_count; index++)
        if (strlen (self->pairs[index].v1) == length &&
            memcmp (self->pairs[index].v1, v1, length) == 0)
            return &self->pairs[index];
    const char *slash = memchr (v1, '/', length);
    if (!slash || slash == v1 || slash == v1 + length - 1 || length >= VB_SIM_NAME_MAX ||
        self->pair_count == S_PAIRS_MAX)
        return NULL;
    s_pair_t *pair = &self->pairs[self->pair_count++];
    memcpy (pair->v1, v1, length);
    size_t base_length = (size_t)(slash - v1);
    const char *base = s_v2_asset (v1, base_length);
    const char *quote = s_v2_asset (slash + 1, length - base_length - 1);
    snprintf (pair->symbol, sizeof (pair->symbol), "%.*s/%.*s",
              base ? (int)strlen (base) : (int)base_length, base ? base : v1,
              quote ? (int)strlen (quote) : (int)(length - base_length - 1),
              quote ? quote : slash + 1);
    pair->channel = channel;
    pair->depth = depth;
    return pair;
}

//  --------------------------------------------------------------------------
//  Read one side's levels ([[price, volume, time(, "r")], ...]) into the
//  levels array. Returns the count, or -1.

static int64_t
s_parse_levels (vb_ksim_replay_t *self, vb_json_val_t *array, int side, int64_t *newest_ns)
{
    vb_json_iter_t iter, inner;
    vb_json_val_t item, field;
    if (vb_json_array_begin (array, &iter))
        return -1;
    int64_t count = 0;
    int rc;
    while ((rc = vb_json_array_next (&iter, &item)) == 1) {
        if (self->level_count == self->level_capacity) {
            size_t capacity = self->level_capacity ? 2 * self->level_capacity : 4096;
            s_level_t *levels = (s_level_t *)realloc (self->levels, capacity * sizeof (s_level_t));
            if (!levels)
                return -1;
            self->levels = levels;
            self->level_capacity = capacity;
        }
        s_level_t *level = &self->levels[self->level_count];
        memset (level, 0, sizeof (*level));
        level->side = side;
        if (vb_json_array_begin (&item, &inner))
            return -1;
        const char *texts[3];
        size_t lengths[3];
        for (int which = 0; which < 3; which++)
            if (vb_json_array_next (&inner, &field) != 1 ||
                vb_json_string (&field, &texts[which], &lengths[which]))
                return -1;
        vb_decimal_t qty;
        if (lengths[0] == 0 || lengths[0] >= S_TEXT_MAX || lengths[1] == 0 ||
            lengths[1] >= S_TEXT_MAX || vb_decimal_parse (texts[0], lengths[0], &level->price) ||
            vb_decimal_parse (texts[1], lengths[1], &qty) || vb_decimal_is_negative (qty) ||
            vb_decimal_is_negative (level->price) || vb_decimal_is_zero (level->price) ||
            s_seconds_ns (texts[2], lengths[2], &level->ts_ns))
            return -1;
        //  The texts become JSON numbers: they must be plain digits and a dot
        for (int which = 0; which < 2; which++)
            if (texts[which][0] == '.' || texts[which][lengths[which] - 1] == '.' ||
                strspn (texts[which], "0123456789.") < lengths[which])
                return -1;
        memcpy (level->price_text, texts[0], lengths[0]);
        memcpy (level->qty_text, texts[1], lengths[1]);
        level->zero = vb_decimal_is_zero (qty);
        if (level->ts_ns > *newest_ns)
            *newest_ns = level->ts_ns;
        self->level_count++;
        count++;
    }
    return rc == 0 ? count : -1;
}

//  --------------------------------------------------------------------------
//  Read one book object ({"as"|"bs"|"a"|"b":[..], "c":".."}) into message.
//  Returns 0 or -1.

static int
s_parse_object (vb_ksim_replay_t *self, vb_json_val_t *object, s_message_t *message,
                bool *has_checksum)
{
    vb_json_iter_t fields;
    const char *key;
    size_t key_length;
    vb_json_val_t value;
    int rc;
    if (vb_json_object_begin (object, &fields))
        return -1;
    while ((rc = vb_json_object_next (&fields, &key, &key_length, &value)) == 1) {
        if (key_length == 1 && key[0] == 'c') {
            const char *checksum;
            size_t checksum_length;
            char buffer[16];
            if (vb_json_string (&value, &checksum, &checksum_length) || checksum_length == 0 ||
                checksum_length >= sizeof (buffer) ||
                strspn (checksum, "0123456789") < checksum_length)
                return -1;
            memcpy (buffer, checksum, checksum_length);
            buffer[checksum_length] = 0;
            unsigned long long parsed = strtoull (buffer, NULL, 10);
            if (parsed > UINT32_MAX)
                return -1;
            message->checksum = (uint32_t)parsed;
            *has_checksum = true;
            continue;
        }
        bool level_key = (key_length == 1 || (key_length == 2 && key[1] == 's')) &&
                         (key[0] == 'a' || key[0] == 'b');
        if (!level_key)
            continue;  //  Unknown fields are skipped
        if (key_length == 2)
            message->snapshot = true;
        int64_t got =
            s_parse_levels (self, &value, key[0] == 'b' ? S_BIDS : S_ASKS, &message->ts_ns);
        if (got < 0)
            return -1;
        message->count += (size_t)got;
    }
    return rc == 0 ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Parse one v1 array frame, [channelID, {..}(, {..}), channelName, pair],
//  in one forward pass. Returns 0 (book message stored, or a frame of
//  another channel skipped) or -1.

static int
s_parse_frame (vb_ksim_replay_t *self, vb_json_t *json, const char *text, size_t length,
               int64_t recv_ns)
{
    vb_json_val_t root, item;
    vb_json_iter_t iter;
    if (vb_json_parse (json, text, length, &root) || vb_json_array_begin (&root, &iter))
        return -1;
    s_message_t message = {.recv_ns = recv_ns, .first = self->level_count};
    bool has_checksum = false;
    size_t objects = 0, strings = 0;
    int64_t channel = 0;
    char names[2][VB_SIM_NAME_MAX];  //  channelName, pair
    int rc;
    for (size_t at = 0; (rc = vb_json_array_next (&iter, &item)) == 1; at++) {
        vb_json_type_t type = vb_json_type (&item);
        if (at == 0) {
            if (vb_json_int64 (&item, &channel))
                return -1;
        } else if (type == VB_JSON_OBJECT && strings == 0) {
            if (++objects > 2 || s_parse_object (self, &item, &message, &has_checksum))
                return -1;
        } else if (type == VB_JSON_STRING && strings < 2) {
            const char *name;
            size_t name_length;
            if (vb_json_string (&item, &name, &name_length) || name_length >= VB_SIM_NAME_MAX)
                return -1;
            memcpy (names[strings], name, name_length);
            names[strings++][name_length] = 0;
        } else
            return -1;
    }
    if (rc || objects == 0 || strings != 2)
        return -1;
    if (strncmp (names[0], "book-", 5) != 0) {
        self->level_count = message.first;  //  Not a book frame: forget it
        return 0;
    }
    long parsed = atol (names[0] + 5);
    size_t depth = parsed > 0 ? (size_t)parsed : S_CAPTURE_DEPTH;
    s_pair_t *pair = s_pair_get (self, names[1], strlen (names[1]), channel, depth);
    if (!pair)
        return -1;
    if (message.snapshot == has_checksum)
        return -1;  //  v1: snapshots carry no checksum, updates always do
    if (pair->message_count == 0 && !message.snapshot)
        return -1;  //  Updates before the pair's snapshot
    if (pair->message_count == pair->message_capacity) {
        size_t capacity = pair->message_capacity ? 2 * pair->message_capacity : 256;
        s_message_t *messages =
            (s_message_t *)realloc (pair->messages, capacity * sizeof (s_message_t));
        if (!messages)
            return -1;
        pair->messages = messages;
        pair->message_capacity = capacity;
    }
    pair->messages[pair->message_count++] = message;
    return 0;
}

//  --------------------------------------------------------------------------
//  Parse the capture, line by line. Returns 0 or -1 with *line set.

static int
s_parse (vb_ksim_replay_t *self, FILE *file, size_t *line_number)
{
    vb_json_t *json = vb_json_new ();
    char *line = NULL;
    size_t size = 0;
    ssize_t length;
    int rc = 0;
    *line_number = 0;
    while (rc == 0 && json && (length = getline (&line, &size, file)) >= 0) {
        (*line_number)++;
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
            line[--length] = 0;
        if (length == 0 || strncmp (line, "wss://", 6) == 0 || strncmp (line, "https://", 8) == 0)
            continue;  //  Blank, connection and sent-frame lines
        char *colon = strstr (line, ": ");
        int64_t recv_ns;
        if (!colon || s_seconds_ns (line, (size_t)(colon - line), &recv_ns)) {
            rc = -1;
            break;
        }
        const char *frame = colon + 2;
        if (*frame == '{')
            continue;  //  Events: systemStatus, subscriptionStatus, heartbeat
        if (*frame != '[' || s_parse_frame (self, json, frame, strlen (frame), recv_ns))
            rc = -1;
    }
    free (line);
    if (!json)
        rc = -1;
    vb_json_destroy (&json);
    if (rc == 0 && self->pair_count == 0) {
        *line_number = 0;
        rc = -1;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Check every update's original checksum against the book it builds.

static void
s_verify (vb_ksim_replay_t *self, size_t *matched, size_t *mismatched)
{
    *matched = *mismatched = 0;
    for (size_t index = 0; index < self->pair_count; index++) {
        s_pair_t *pair = &self->pairs[index];
        s_side_t book[2] = {{0}, {0}};
        for (size_t at = 0; at < pair->message_count; at++) {
            const s_message_t *message = &pair->messages[at];
            s_book_apply (self, book, message, pair->depth);
            if (!message->snapshot) {
                if (s_checksum (book) == message->checksum)
                    (*matched)++;
                else
                    (*mismatched)++;
            }
        }
        s_side_free (&book[0]);
        s_side_free (&book[1]);
    }
}

//  --------------------------------------------------------------------------

vb_ksim_replay_t *
vb_ksim_replay_new (const char *path)
{
    assert (path);
    FILE *file = fopen (path, "r");
    if (!file) {
        vb_log_error ("sim replay cannot open file=%s error=%s", path, strerror (errno));
        return NULL;
    }
    vb_ksim_replay_t *self = (vb_ksim_replay_t *)zmalloc (sizeof (vb_ksim_replay_t));
    size_t line = 0;
    int rc = s_parse (self, file, &line);
    fclose (file);
    if (rc) {
        if (line)
            vb_log_error ("sim replay file=%s line=%zu is not a Kraken v1 book record", path, line);
        else
            vb_log_error ("sim replay file=%s holds no Kraken v1 book messages", path);
        vb_ksim_replay_destroy (&self);
        return NULL;
    }
    size_t matched, mismatched;
    s_verify (self, &matched, &mismatched);
    vb_log_notice ("sim replay loaded file=%s pairs=%zu checksums=%zu mismatched=%zu", path,
                   self->pair_count, matched, mismatched);
    return self;
}

void
vb_ksim_replay_destroy (vb_ksim_replay_t **self_p)
{
    assert (self_p);
    vb_ksim_replay_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->sub_count; index++) {
        s_sub_t *sub = self->subs[index];
        for (int side = 0; side < 2; side++) {
            s_side_free (&sub->book[side]);
            s_side_free (&sub->view[side]);
        }
        free (sub);
    }
    free (self->subs);
    for (size_t index = 0; index < self->pair_count; index++)
        free (self->pairs[index].messages);
    free (self->levels);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------

int
vb_ksim_replay_find (vb_ksim_replay_t *self, const char *symbol)
{
    for (size_t index = 0; self && symbol && index < self->pair_count; index++)
        if (strcmp (self->pairs[index].symbol, symbol) == 0)
            return (int)index;
    return -1;
}

//  --------------------------------------------------------------------------
//  Decimals of a number's text ("0.000022880" has 9).

static int
s_decimals (const char *text)
{
    const char *point = strchr (text, '.');
    return point ? (int)strlen (point + 1) : 0;
}

//  Write 10^-decimals ("0.001" for 3, "1" for 0).
static void
s_increment (vb_ksim_buf_t *out, int decimals)
{
    if (decimals == 0) {
        VB_KSIM_ADD (out, "1");
        return;
    }
    VB_KSIM_ADD (out, "0.");
    for (int index = 1; index < decimals; index++)
        VB_KSIM_ADD (out, "0");
    VB_KSIM_ADD (out, "1");
}

//  --------------------------------------------------------------------------
//  The capture's pairs as instrument channel entries.

size_t
vb_ksim_replay_instrument (vb_ksim_replay_t *self, vb_ksim_buf_t *out, bool first)
{
    for (size_t index = 0; self && index < self->pair_count; index++) {
        const s_pair_t *pair = &self->pairs[index];
        int price_decimals = 0, qty_decimals = 0;
        for (size_t message = 0; message < pair->message_count; message++) {
            const s_message_t *one = &pair->messages[message];
            for (size_t level = one->first; level < one->first + one->count; level++) {
                int price = s_decimals (self->levels[level].price_text);
                int qty = s_decimals (self->levels[level].qty_text);
                price_decimals = price > price_decimals ? price : price_decimals;
                qty_decimals = qty > qty_decimals ? qty : qty_decimals;
            }
        }
        const char *slash = strchr (pair->symbol, '/');
        int base_length = slash ? (int)(slash - pair->symbol) : (int)strlen (pair->symbol);
        vb_ksim_buf_printf (out,
                            "%s{\"symbol\":\"%s\",\"base\":\"%.*s\",\"quote\":\"%s\","
                            "\"status\":\"online\",\"qty_precision\":%d,\"qty_increment\":",
                            first && index == 0 ? "" : ",", pair->symbol, base_length, pair->symbol,
                            slash ? slash + 1 : "", qty_decimals);
        s_increment (out, qty_decimals);
        vb_ksim_buf_printf (out, ",\"price_precision\":%d,\"price_increment\":", price_decimals);
        s_increment (out, price_decimals);
        VB_KSIM_ADD (out, ",\"tick_size\":");
        s_increment (out, price_decimals);
        VB_KSIM_ADD (out, "}");
    }
    return self ? self->pair_count : 0;
}

//  --------------------------------------------------------------------------

const char *
vb_ksim_replay_symbol (vb_ksim_replay_t *self, int pair)
{
    assert (self && pair >= 0 && (size_t)pair < self->pair_count);
    return self->pairs[pair].symbol;
}

static s_sub_t *
s_sub_find (vb_ksim_replay_t *self, vb_sim_conn_t *conn, int pair, size_t *at)
{
    for (size_t index = 0; self && index < self->sub_count; index++)
        if (self->subs[index]->conn == conn &&
            (pair < 0 || self->subs[index]->pair == (size_t)pair)) {
            if (at)
                *at = index;
            return self->subs[index];
        }
    return NULL;
}

size_t
vb_ksim_replay_depth (vb_ksim_replay_t *self, vb_sim_conn_t *conn, int pair)
{
    s_sub_t *sub = s_sub_find (self, conn, pair, NULL);
    return sub ? sub->depth : 0;
}

bool
vb_ksim_replay_active (vb_ksim_replay_t *self, vb_sim_conn_t *conn)
{
    return s_sub_find (self, conn, -1, NULL) != NULL;
}

//  --------------------------------------------------------------------------
//  Message writing.

static void
s_level_json (vb_ksim_buf_t *out, const s_level_t *level, bool deleted, bool first)
{
    vb_ksim_buf_printf (out, "%s{\"price\":%s,\"qty\":", first ? "" : ",", level->price_text);
    if (!deleted) {
        vb_ksim_buf_add (out, level->qty_text, strlen (level->qty_text));
    } else {
        //  Zero in the level's own scale ("0.00000000")
        const char *dot = strchr (level->qty_text, '.');
        VB_KSIM_ADD (out, "0");
        if (dot) {
            VB_KSIM_ADD (out, ".");
            for (const char *c = dot + 1; *c; c++)
                VB_KSIM_ADD (out, "0");
        }
    }
    VB_KSIM_ADD (out, "}");
}

static void
s_tail (vb_ksim_t *self, uint32_t checksum, int64_t ts_ns)
{
    if (vb_sim_fault_corrupt_checksum (self->server, "book"))
        checksum += 1;  //  Any other value is wrong
    vb_ksim_buf_printf (&self->scratch, "],\"checksum\":%u,\"timestamp\":\"", checksum);
    vb_ksim_buf_rfc3339 (&self->scratch, ts_ns, false);
    VB_KSIM_ADD (&self->scratch, "\"}]}");
}

//  Copy the book's top `depth` into the view.
static void
s_view_set (s_sub_t *sub)
{
    for (int side = 0; side < 2; side++) {
        size_t count = sub->book[side].count < sub->depth ? sub->book[side].count : sub->depth;
        s_side_reserve (&sub->view[side], count);
        if (count)
            memcpy (sub->view[side].items, sub->book[side].items, count * sizeof (s_level_t *));
        sub->view[side].count = count;
    }
}

//  Append one side's difference between the view and the book's top.
static size_t
s_diff_side (vb_ksim_buf_t *out, s_sub_t *sub, int side)
{
    const s_side_t *old = &sub->view[side];
    const s_side_t *book = &sub->book[side];
    size_t fresh_count = book->count < sub->depth ? book->count : sub->depth;
    size_t written = 0, i = 0, j = 0;
    while (i < old->count || j < fresh_count) {
        const s_level_t *was = i < old->count ? old->items[i] : NULL;
        const s_level_t *now = j < fresh_count ? book->items[j] : NULL;
        if (now && (!was || s_better (side, now->price, was->price))) {
            s_level_json (out, now, false, written++ == 0);
            j++;
        } else if (was && (!now || s_better (side, was->price, now->price))) {
            //  Gone from the view: deleted, unless pushed below a full view
            bool pushed_out = fresh_count == sub->depth &&
                              s_better (side, book->items[fresh_count - 1]->price, was->price);
            if (!pushed_out)
                s_level_json (out, was, true, written++ == 0);
            i++;
        } else {
            if (was != now)  //  Sent again by the capture (new qty or republished)
                s_level_json (out, now, false, written++ == 0);
            i++;
            j++;
        }
    }
    return written;
}

static void
s_send_snapshot (vb_ksim_t *self, s_sub_t *sub, int64_t ts_ns)
{
    s_view_set (sub);
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_reset (out);
    vb_ksim_buf_printf (out,
                        "{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{\"symbol\":\"%s\","
                        "\"bids\":[",
                        self->replay->pairs[sub->pair].symbol);
    for (size_t index = 0; index < sub->view[S_BIDS].count; index++)
        s_level_json (out, sub->view[S_BIDS].items[index], false, index == 0);
    VB_KSIM_ADD (out, "],\"asks\":[");
    for (size_t index = 0; index < sub->view[S_ASKS].count; index++)
        s_level_json (out, sub->view[S_ASKS].items[index], false, index == 0);
    s_tail (self, s_checksum (sub->book), ts_ns);
    vb_sim_conn_send (sub->conn, "book", out->data, out->length);
}

//  Apply the subscription's next message and send what the client sees.
//  Returns 0, or -1 when the connection is closing.
static int
s_step (vb_ksim_t *self, s_sub_t *sub)
{
    vb_ksim_replay_t *replay = self->replay;
    s_pair_t *pair = &replay->pairs[sub->pair];
    const s_message_t *message = &pair->messages[sub->next++];
    s_book_apply (replay, sub->book, message, pair->depth);
    if (message->snapshot) {  //  A later snapshot in the capture: resend it
        s_send_snapshot (self, sub, message->ts_ns);
        return 0;
    }
    vb_ksim_buf_t *out = &self->scratch;
    vb_ksim_buf_reset (out);
    vb_ksim_buf_printf (out,
                        "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"%s\","
                        "\"bids\":[",
                        pair->symbol);
    size_t changes = s_diff_side (out, sub, S_BIDS);
    VB_KSIM_ADD (out, "],\"asks\":[");
    changes += s_diff_side (out, sub, S_ASKS);
    s_view_set (sub);
    if (changes == 0)
        return 0;
    s_tail (self, message->checksum, message->ts_ns);
    return vb_sim_conn_send (sub->conn, "book", out->data, out->length);
}

//  --------------------------------------------------------------------------

void
vb_ksim_replay_subscribe (vb_ksim_t *self, vb_sim_conn_t *conn, int pair, size_t depth)
{
    vb_ksim_replay_t *replay = self->replay;
    assert (replay && pair >= 0 && (size_t)pair < replay->pair_count && depth > 0);
    if (replay->sub_count == replay->sub_capacity) {
        size_t capacity = replay->sub_capacity ? 2 * replay->sub_capacity : 16;
        s_sub_t **subs = (s_sub_t **)zmalloc (capacity * sizeof (s_sub_t *));
        if (replay->sub_count)
            memcpy (subs, replay->subs, replay->sub_count * sizeof (s_sub_t *));
        free (replay->subs);
        replay->subs = subs;
        replay->sub_capacity = capacity;
    }
    s_sub_t *sub = (s_sub_t *)zmalloc (sizeof (s_sub_t));
    sub->conn = conn;
    sub->pair = (size_t)pair;
    sub->depth = depth;
    sub->start_ns = s_mono_ns ();
    replay->subs[replay->sub_count++] = sub;
    const s_message_t *snapshot = &replay->pairs[pair].messages[0];
    s_book_apply (replay, sub->book, snapshot, replay->pairs[pair].depth);
    sub->next = 1;
    s_send_snapshot (self, sub, snapshot->ts_ns);
}

static void
s_sub_remove (vb_ksim_replay_t *replay, size_t at)
{
    s_sub_t *sub = replay->subs[at];
    for (int side = 0; side < 2; side++) {
        s_side_free (&sub->book[side]);
        s_side_free (&sub->view[side]);
    }
    free (sub);
    replay->subs[at] = replay->subs[--replay->sub_count];
}

void
vb_ksim_replay_unsubscribe (vb_ksim_t *self, vb_sim_conn_t *conn, int pair)
{
    size_t at;
    if (s_sub_find (self->replay, conn, pair, &at))
        s_sub_remove (self->replay, at);
}

void
vb_ksim_replay_close (vb_ksim_t *self, vb_sim_conn_t *conn)
{
    size_t at;
    while (s_sub_find (self->replay, conn, -1, &at))
        s_sub_remove (self->replay, at);
}

//  --------------------------------------------------------------------------
//  Send every subscription the messages now due.

void
vb_ksim_replay_tick (vb_ksim_t *self)
{
    vb_ksim_replay_t *replay = self->replay;
    if (!replay)
        return;
    int64_t speed = vb_sim_server_replay_speed (self->server);
    int64_t now = s_mono_ns ();
    for (size_t index = 0; index < replay->sub_count; index++) {
        s_sub_t *sub = replay->subs[index];
        s_pair_t *pair = &replay->pairs[sub->pair];
        int64_t origin = pair->messages[0].recv_ns;
        int64_t elapsed = now - sub->start_ns;
        while (sub->next < pair->message_count) {
            int64_t offset = pair->messages[sub->next].recv_ns - origin;
            if (speed > 0 && offset / speed > elapsed)
                break;
            if (s_step (self, sub)) {
                sub->next = pair->message_count;  //  Closing: nothing more
                break;
            }
        }
    }
}
