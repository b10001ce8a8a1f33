/*  sim_replay.c — Binance simulator: replay mode (--replay FILE).

    Serves a recorded Binance Spot capture as the market of its symbol. The
    capture is the hftbacktest text format (shared/fixtures/real/SOURCES.md
    1 and 4): one record per line, `<receive time ns> <frame>`, where a frame
    is a combined-stream object {"stream":"<s>","data":{...}} or the body of
    a REST depth snapshot {"lastUpdateId":...}. Every stream frame must name
    the same symbol, a listing of the personality (BTCUSDT).

    - REST GET /api/v3/depth for the replayed symbol answers the capture's
      first snapshot at any time: its text unchanged when the limit covers
      every level, else the first `limit` levels of each side with the
      original strings (limit defaults to 100 as on the venue).
    - Stream frames go to each connection that subscribes to a stream of the
      replayed symbol, from the FIRST frame of the capture and paced by the
      receive times (divided by --replay-speed; 0 sends without waiting).
      Each connection has its own replay clock, started at the first tick
      after it holds a stream of the symbol, so every client sees the diffs
      that precede the snapshot and can follow Binance's sync procedure
      (buffer, fetch the snapshot, drop u <= lastUpdateId, bridge, chain).
      A frame goes out on a stream whose name equals the capture's stream
      name, raw or wrapped for /stream exactly as captured, through
      vb_sim_conn_send with the stream name, so stream faults apply. Streams
      subscribed later on a connection join at that connection's position.
      After the last frame the replayed streams go quiet.
    - The synthetic flow of the replayed symbol is off, and engine events of
      that symbol are not published on its streams (sim.c).
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <time.h>
#include "vb_json.h"
#include "vb_log.h"
#include "sim_binance.h"

#define S_LINE_MAX       (8 * 1024 * 1024)  //  Longest capture line accepted
#define S_TEXT_MAX       32                 //  Longest price or quantity string
#define S_DEPTH_DEFAULT  100                //  REST depth limit when absent
#define S_NS_PER_S       INT64_C (1000000000)
#define S_STREAM_PREFIX  "{\"stream\":\""
#define S_DATA_KEY       "\",\"data\":"
#define S_SNAPSHOT_START "{\"lastUpdateId\":"

//  One stream frame of the capture.
typedef struct {
    int64_t offset_ns;   //  Receive time minus the first frame's
    size_t name;         //  Offset of the stream name in the text
    size_t name_length;  //  Its length
    size_t data;         //  Offset of the data payload
    size_t data_length;  //  Its length
} s_frame_t;

//  One snapshot level with its original strings.
typedef struct {
    char price[S_TEXT_MAX];
    char qty[S_TEXT_MAX];
} s_level_t;

struct _bnsim_replay_t {
    char *text;                    //  The whole capture, NUL-terminated
    size_t length;                 //  Its bytes
    s_frame_t *frames;             //  Stream frames, capture order
    size_t frame_count;            //  Used
    size_t frame_capacity;         //  Allocated
    char symbol[VB_SIM_NAME_MAX];  //  Upper-case venue symbol, e.g. "BTCUSDT"
    uint64_t last_update_id;       //  The snapshot's lastUpdateId
    size_t snapshot;               //  Offset of the snapshot body
    size_t snapshot_length;        //  Its length
    s_level_t *bids;               //  Snapshot levels, as sent (best first)
    size_t bid_count;
    s_level_t *asks;
    size_t ask_count;
};

//  --------------------------------------------------------------------------
//  Monotonic time (the replay pace ignores clock_skew faults).

static int64_t
s_mono_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * S_NS_PER_S + now.tv_nsec;
}

//  --------------------------------------------------------------------------
//  Read the levels of one side ([["price","qty"],...]) into a new array.
//  Returns 0 or -1.

static int
s_levels (vb_json_val_t *root, const char *key, s_level_t **levels, size_t *count)
{
    vb_json_val_t array, item, field;
    vb_json_iter_t iter, inner;
    if (vb_json_find (root, key, &array) || vb_json_array_begin (&array, &iter))
        return -1;
    size_t capacity = 0;
    int rc;
    while ((rc = vb_json_array_next (&iter, &item)) == 1) {
        if (*count == capacity) {
            capacity = capacity ? 2 * capacity : 256;
            s_level_t *grown = realloc (*levels, capacity * sizeof (s_level_t));
            if (!grown)
                return -1;
            *levels = grown;
        }
        s_level_t *level = &(*levels)[*count];
        if (vb_json_array_begin (&item, &inner))
            return -1;
        for (int which = 0; which < 2; which++) {
            const char *text;
            size_t length;
            vb_decimal_t value;
            if (vb_json_array_next (&inner, &field) != 1 ||
                vb_json_string (&field, &text, &length) || length == 0 || length >= S_TEXT_MAX ||
                vb_decimal_parse (text, length, &value))
                return -1;
            char *out = which ? level->qty : level->price;
            memcpy (out, text, length);
            out[length] = 0;
        }
        if (vb_json_array_next (&inner, &field) != 0)
            return -1;
        (*count)++;
    }
    return rc == 0 ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  Write the snapshot with at most `limit` levels per side, in the
//  capture's own layout (which reproduces its text when nothing is cut).

static void
s_render (bnsim_replay_t *self, size_t limit, bnsim_buf_t *out)
{
    bnsim_buf_printf (out, "{\"lastUpdateId\":%" PRIu64 ",\"bids\":[", self->last_update_id);
    for (size_t index = 0; index < self->bid_count && index < limit; index++)
        bnsim_buf_printf (out, "%s[\"%s\",\"%s\"]", index ? "," : "", self->bids[index].price,
                          self->bids[index].qty);
    bnsim_buf_str (out, "],\"asks\":[");
    for (size_t index = 0; index < self->ask_count && index < limit; index++)
        bnsim_buf_printf (out, "%s[\"%s\",\"%s\"]", index ? "," : "", self->asks[index].price,
                          self->asks[index].qty);
    bnsim_buf_str (out, "]}");
}

//  --------------------------------------------------------------------------
//  Parse one snapshot line body. Returns 0 or -1 with why set.

static int
s_parse_snapshot (bnsim_replay_t *self, vb_json_t *json, size_t at, size_t length, const char **why)
{
    vb_json_val_t root, id;
    if (vb_json_parse (json, self->text + at, length, &root) ||
        vb_json_type (&root) != VB_JSON_OBJECT || vb_json_find (&root, "lastUpdateId", &id) ||
        vb_json_uint64 (&id, &self->last_update_id)) {
        *why = "snapshot is not a depth body";
        return -1;
    }
    if (s_levels (&root, "bids", &self->bids, &self->bid_count) ||
        s_levels (&root, "asks", &self->asks, &self->ask_count)) {
        *why = "snapshot levels are not [\"price\",\"qty\"] pairs";
        return -1;
    }
    self->snapshot = at;
    self->snapshot_length = length;
    return 0;
}

//  --------------------------------------------------------------------------
//  Parse one stream frame. Returns 0 or -1 with why set.

static int
s_parse_frame (bnsim_replay_t *self, vb_json_t *json, size_t at, size_t length, int64_t ns,
               int64_t first_ns, const char **why)
{
    const char *frame = self->text + at;
    size_t prefix = strlen (S_STREAM_PREFIX);
    const char *name = frame + prefix;
    const char *end = memchr (name, '"', length - prefix);
    size_t data_key = strlen (S_DATA_KEY);
    if (!end || (size_t)(end - frame) + data_key + 1 >= length ||
        memcmp (end, S_DATA_KEY, data_key) != 0 || frame[length - 1] != '}') {
        *why = "frame is not {\"stream\":..,\"data\":..}";
        return -1;
    }
    const char *at_sign = memchr (name, '@', (size_t)(end - name));
    size_t symbol_length = at_sign ? (size_t)(at_sign - name) : 0;
    if (symbol_length == 0 || symbol_length >= VB_SIM_NAME_MAX ||
        (size_t)(end - name) >= BNSIM_NAME_MAX) {
        *why = "stream name is not <symbol>@<stream>";
        return -1;
    }
    char symbol[VB_SIM_NAME_MAX];
    for (size_t index = 0; index < symbol_length; index++)
        symbol[index] = (char)toupper ((unsigned char)name[index]);
    symbol[symbol_length] = 0;
    if (!self->symbol[0])
        snprintf (self->symbol, sizeof (self->symbol), "%s", symbol);
    else if (strcmp (self->symbol, symbol) != 0) {
        *why = "capture holds more than one symbol";
        return -1;
    }
    size_t data = (size_t)(end - frame) + data_key;
    vb_json_val_t root;
    if (vb_json_parse (json, frame + data, length - data - 1, &root) ||
        vb_json_type (&root) != VB_JSON_OBJECT) {
        *why = "frame data is not a JSON object";
        return -1;
    }
    if (self->frame_count == self->frame_capacity) {
        size_t capacity = self->frame_capacity ? 2 * self->frame_capacity : 1024;
        s_frame_t *frames = realloc (self->frames, capacity * sizeof (s_frame_t));
        if (!frames) {
            *why = "out of memory";
            return -1;
        }
        self->frames = frames;
        self->frame_capacity = capacity;
    }
    s_frame_t *out = &self->frames[self->frame_count++];
    out->offset_ns = ns - first_ns;
    out->name = at + prefix;
    out->name_length = (size_t)(end - name);
    out->data = at + data;
    out->data_length = length - data - 1;
    return 0;
}

//  --------------------------------------------------------------------------
//  Parse the loaded text. Returns 0, or -1 with *line_number and *why set.

static int
s_parse (bnsim_replay_t *self, size_t *line_number, const char **why)
{
    vb_json_t *json = vb_json_new ();
    if (!json) {
        *why = "out of memory";
        return -1;
    }
    int rc = 0;
    int64_t first_ns = 0, previous_ns = 0;
    bool any = false;
    size_t at = 0;
    *line_number = 0;
    while (at < self->length && rc == 0) {
        size_t line = at;
        size_t line_length = strcspn (self->text + line, "\n");
        at = line + line_length + (line + line_length < self->length ? 1 : 0);
        (*line_number)++;
        while (line_length && (self->text[line + line_length - 1] == '\r'))
            line_length--;
        if (line_length == 0)
            continue;  //  Blank lines may end a capture
        char *end = NULL;
        errno = 0;
        long long ns = strtoll (self->text + line, &end, 10);
        if (errno || end == self->text + line || *end != ' ' || ns <= 0) {
            *why = "line is not <receive ns> <frame>";
            rc = -1;
            break;
        }
        if (!any) {
            first_ns = previous_ns = ns;
            any = true;
        }
        if (ns < previous_ns) {
            *why = "receive times go backwards";
            rc = -1;
            break;
        }
        previous_ns = ns;
        size_t frame = (size_t)(end + 1 - self->text);
        size_t frame_length = line + line_length - frame;
        if (frame_length > strlen (S_STREAM_PREFIX) &&
            memcmp (self->text + frame, S_STREAM_PREFIX, strlen (S_STREAM_PREFIX)) == 0)
            rc = s_parse_frame (self, json, frame, frame_length, ns, first_ns, why);
        else if (frame_length > strlen (S_SNAPSHOT_START) &&
                 memcmp (self->text + frame, S_SNAPSHOT_START, strlen (S_SNAPSHOT_START)) == 0) {
            if (self->snapshot_length == 0)  //  The first snapshot is the one served
                rc = s_parse_snapshot (self, json, frame, frame_length, why);
        } else {
            *why = "frame is neither a stream frame nor a depth snapshot";
            rc = -1;
        }
    }
    vb_json_destroy (&json);
    if (rc == 0 && (self->frame_count == 0 || self->snapshot_length == 0)) {
        *line_number = 0;
        *why = "capture needs stream frames and a depth snapshot";
        rc = -1;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Load a capture. Returns NULL (after logging why) when it cannot be used.

bnsim_replay_t *
bnsim_replay_new (const char *path)
{
    assert (path);
    FILE *file = fopen (path, "rb");
    if (!file) {
        vb_log_error ("sim replay cannot open file=%s error=%s", path, strerror (errno));
        return NULL;
    }
    bnsim_replay_t *self = zmalloc (sizeof (bnsim_replay_t));
    size_t capacity = 0;
    for (;;) {
        if (self->length + 1 >= capacity) {
            capacity = capacity ? 2 * capacity : 1 << 20;
            char *grown = realloc (self->text, capacity);
            if (!grown)
                break;
            self->text = grown;
        }
        size_t got = fread (self->text + self->length, 1, capacity - self->length - 1, file);
        self->length += got;
        if (got == 0)
            break;
    }
    bool failed = ferror (file) || !self->text;
    fclose (file);
    if (failed) {
        vb_log_error ("sim replay cannot read file=%s", path);
        bnsim_replay_destroy (&self);
        return NULL;
    }
    self->text[self->length] = 0;
    if (memchr (self->text, 0, self->length)) {
        vb_log_error ("sim replay file=%s is not text", path);
        bnsim_replay_destroy (&self);
        return NULL;
    }
    size_t line = 0;
    const char *why = "";
    if (s_parse (self, &line, &why)) {
        vb_log_error ("sim replay file=%s line=%zu: %s", path, line, why);
        bnsim_replay_destroy (&self);
        return NULL;
    }
    vb_log_notice ("sim replay loaded file=%s symbol=%s frames=%zu lastUpdateId=%" PRIu64
                   " bids=%zu asks=%zu",
                   path, self->symbol, self->frame_count, self->last_update_id, self->bid_count,
                   self->ask_count);
    return self;
}

//  --------------------------------------------------------------------------

void
bnsim_replay_destroy (bnsim_replay_t **self_p)
{
    assert (self_p);
    bnsim_replay_t *self = *self_p;
    if (!self)
        return;
    free (self->text);
    free (self->frames);
    free (self->bids);
    free (self->asks);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------

const char *
bnsim_replay_symbol (bnsim_replay_t *self)
{
    assert (self);
    return self->symbol;
}

//  --------------------------------------------------------------------------
//  REST depth of a replayed symbol. Returns true when it answered.

bool
bnsim_replay_depth (bnsim_t *self, const bnsim_symbol_t *symbol, int64_t limit, bnsim_buf_t *out)
{
    bnsim_replay_t *replay = self->replay;
    if (!replay || self->replay_symbol < 0 || symbol != &self->symbols[self->replay_symbol])
        return false;
    size_t levels = limit > 0 ? (size_t)limit : S_DEPTH_DEFAULT;
    if (levels >= replay->bid_count && levels >= replay->ask_count)
        bnsim_buf_add (out, replay->text + replay->snapshot, replay->snapshot_length);
    else
        s_render (replay, levels, out);
    return true;
}

//  --------------------------------------------------------------------------
//  Send one frame to every stream of the connection that carries its name.
//  Returns 0, or -1 when the connection is closing (too slow or gone).

static int
s_deliver (bnsim_t *self, bnsim_conn_t *conn, const s_frame_t *frame)
{
    bnsim_replay_t *replay = self->replay;
    const char *name = replay->text + frame->name;
    for (size_t index = 0; index < conn->stream_count; index++) {
        const bnsim_stream_t *stream = &conn->streams[index];
        if (strlen (stream->name) != frame->name_length ||
            memcmp (stream->name, name, frame->name_length) != 0)
            continue;
        const char *payload = replay->text + frame->data;
        if (!conn->combined) {
            if (vb_sim_conn_send (conn->conn, stream->name, payload, frame->data_length))
                return -1;
            continue;
        }
        bnsim_buf_reset (&self->wrap);
        bnsim_buf_printf (&self->wrap, "{\"stream\":\"%s\",\"data\":", stream->name);
        bnsim_buf_add (&self->wrap, payload, frame->data_length);
        bnsim_buf_str (&self->wrap, "}");
        if (vb_sim_conn_send (conn->conn, stream->name, self->wrap.data, self->wrap.length))
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Advance every connection's replay clock and send the frames now due.

void
bnsim_replay_tick (bnsim_t *self)
{
    bnsim_replay_t *replay = self->replay;
    if (!replay || self->replay_symbol < 0)
        return;
    int64_t speed = vb_sim_server_replay_speed (self->server);
    int64_t now = s_mono_ns ();
    //  A send may close a connection (queue over its bound), which removes
    //  it from conns through ws_close only later, in the service loop.
    for (size_t index = 0; index < self->conn_count; index++) {
        bnsim_conn_t *conn = self->conns[index];
        if (conn->kind != BNSIM_CONN_STREAM)
            continue;
        if (!conn->replay_started) {
            bool holds = false;
            for (size_t at = 0; at < conn->stream_count && !holds; at++)
                holds = conn->streams[at].symbol == self->replay_symbol;
            if (!holds)
                continue;
            conn->replay_started = true;
            conn->replay_start_ns = now;
            conn->replay_next = 0;
        }
        int64_t elapsed = now - conn->replay_start_ns;
        while (conn->replay_next < replay->frame_count) {
            const s_frame_t *frame = &replay->frames[conn->replay_next];
            if (speed > 0 && frame->offset_ns / speed > elapsed)
                break;
            conn->replay_next++;
            if (s_deliver (self, conn, frame))
                conn->replay_next = replay->frame_count;  //  Closing: nothing more
        }
    }
}
