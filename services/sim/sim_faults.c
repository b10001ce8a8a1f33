/*  sim_faults.c — the injected-fault list: parse, keep, decide, list.
    SPDX-License-Identifier: MPL-2.0
*/
#include "sim_faults.h"

#include <assert.h>
#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vb_clock.h"
#include "vb_error.h"
#include "vb_json.h"

#define SIM_STATUS_MIN 100
#define SIM_STATUS_MAX 599

struct _sim_faults_t {
    sim_fault_t faults[SIM_FAULTS_MAX];  //  Active faults, oldest first
    size_t count;                        //  Used
};

//  Names, indexed by kind.
static const char *const s_names[] = {
    [SIM_FAULT_DROP] = "drop",
    [SIM_FAULT_DUPLICATE] = "duplicate",
    [SIM_FAULT_REORDER] = "reorder",
    [SIM_FAULT_GAP] = "gap",
    [SIM_FAULT_CORRUPT_CHECKSUM] = "corrupt_checksum",
    [SIM_FAULT_DISCONNECT] = "disconnect",
    [SIM_FAULT_STALL] = "stall",
    [SIM_FAULT_HTTP_STATUS] = "http_status",
    [SIM_FAULT_ACCEPT_TIMEOUT] = "accept_timeout",
    [SIM_FAULT_LATENCY] = "latency",
    [SIM_FAULT_CLOCK_SKEW] = "clock_skew",
    [SIM_FAULT_VOLATILITY] = "volatility",
    [SIM_FAULT_CLEAR] = "clear",
};
#define SIM_KIND_COUNT (sizeof (s_names) / sizeof (s_names[0]))

//  --------------------------------------------------------------------------
//  Constructor and destructor.

sim_faults_t *
sim_faults_new (void)
{
    return zmalloc (sizeof (sim_faults_t));
}

void
sim_faults_destroy (sim_faults_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

const char *
sim_faults_kind_name (sim_fault_kind_t kind)
{
    if ((size_t)kind < SIM_KIND_COUNT && s_names[kind])
        return s_names[kind];
    return "unknown";
}

//  --------------------------------------------------------------------------
//  Parse a POST body. Every problem gets its own message, which the server
//  returns to the client as {"error": "..."}.

static bool
s_key_is (const char *key, size_t length, const char *name)
{
    return length == strlen (name) && memcmp (key, name, length) == 0;
}

//  Copy text for an error message, replacing anything that is not plain
//  printable ASCII (the message is put into JSON by the server).
static void
s_printable (char *out, size_t size, const char *text, size_t length)
{
    size_t used = 0;
    for (size_t i = 0; i < length && used + 1 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        out[used++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    out[used] = '\0';
}

static int
s_int_field (vb_json_val_t *value, const char *name, int64_t min, int64_t max, int64_t *out,
             char *error, size_t error_size)
{
    int64_t number;
    if (vb_json_type (value) != VB_JSON_NUMBER || vb_json_int64 (value, &number) != 0) {
        snprintf (error, error_size, "'%s' must be an integer", name);
        return VB_EINVAL;
    }
    if (number < min || number > max) {
        snprintf (error, error_size, "'%s' must be between %" PRId64 " and %" PRId64, name, min,
                  max);
        return VB_EINVAL;
    }
    *out = number;
    return 0;
}

int
sim_faults_parse (const char *body, size_t length, sim_fault_t *fault, char *error,
                  size_t error_size)
{
    assert (fault && error && error_size > 0);
    memset (fault, 0, sizeof *fault);
    error[0] = '\0';
    vb_json_t *json = vb_json_new ();
    if (!json) {
        snprintf (error, error_size, "out of memory");
        return VB_EINVAL;
    }
    int rc = VB_EINVAL;
    bool has_count = false, has_status = false, has_ms = false;
    int64_t count = 0, status = 0, ms = 0, port = 0;
    char stream[SIM_FAULT_STREAM_MAX] = "*";
    vb_json_val_t root, value;
    vb_json_iter_t iter;
    const char *key;
    size_t key_length;
    if (!body || length == 0 || vb_json_parse (json, body, length, &root) != 0 ||
        vb_json_type (&root) != VB_JSON_OBJECT || vb_json_object_begin (&root, &iter) != 0) {
        snprintf (error, error_size, "body must be a JSON object such as {\"fault\":\"drop\"}");
        goto done;
    }
    int next;
    while ((next = vb_json_object_next (&iter, &key, &key_length, &value)) == 1) {
        if (s_key_is (key, key_length, "fault")) {
            const char *text;
            size_t text_length;
            if (vb_json_type (&value) != VB_JSON_STRING ||
                vb_json_string (&value, &text, &text_length) != 0) {
                snprintf (error, error_size, "'fault' must be a string");
                goto done;
            }
            for (size_t kind = 1; kind < SIM_KIND_COUNT; kind++)
                if (s_key_is (text, text_length, s_names[kind]))
                    fault->kind = (sim_fault_kind_t)kind;
            if (!fault->kind) {
                char shown[SIM_FAULT_STREAM_MAX];
                s_printable (shown, sizeof shown, text, text_length);
                snprintf (error, error_size, "unknown fault '%s'", shown);
                goto done;
            }
        } else if (s_key_is (key, key_length, "stream")) {
            const char *text;
            size_t text_length;
            if (vb_json_type (&value) != VB_JSON_STRING ||
                vb_json_string (&value, &text, &text_length) != 0 || text_length == 0 ||
                text_length >= SIM_FAULT_STREAM_MAX) {
                snprintf (error, error_size, "'stream' must be a stream name of 1 to %d characters",
                          SIM_FAULT_STREAM_MAX - 1);
                goto done;
            }
            for (size_t i = 0; i < text_length; i++) {
                unsigned char c = (unsigned char)text[i];
                if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                    snprintf (error, error_size,
                              "'stream' may hold printable ASCII only, without quotes, "
                              "backslashes or spaces");
                    goto done;
                }
            }
            memcpy (stream, text, text_length);
            stream[text_length] = '\0';
        } else if (s_key_is (key, key_length, "count")) {
            if (s_int_field (&value, "count", 0, SIM_FAULT_COUNT_MAX, &count, error, error_size))
                goto done;
            has_count = true;
        } else if (s_key_is (key, key_length, "status")) {
            if (s_int_field (&value, "status", SIM_STATUS_MIN, SIM_STATUS_MAX, &status, error,
                             error_size))
                goto done;
            has_status = true;
        } else if (s_key_is (key, key_length, "ms")) {
            if (s_int_field (&value, "ms", -SIM_FAULT_MS_MAX, SIM_FAULT_MS_MAX, &ms, error,
                             error_size))
                goto done;
            has_ms = true;
        } else if (s_key_is (key, key_length, "port")) {
            if (s_int_field (&value, "port", 0, SIM_FAULT_PORT_MAX, &port, error, error_size))
                goto done;
        } else {
            char shown[SIM_FAULT_STREAM_MAX];
            s_printable (shown, sizeof shown, key, key_length);
            snprintf (error, error_size,
                      "unknown key '%s' (expected fault, count, stream, status, ms, port)", shown);
            goto done;
        }
    }
    if (next != 0) {
        snprintf (error, error_size, "body is not valid JSON");
        goto done;
    }
    if (!fault->kind) {
        snprintf (error, error_size, "'fault' is required");
        goto done;
    }
    if (has_ms && ms < 0 && fault->kind != SIM_FAULT_CLOCK_SKEW) {
        snprintf (error, error_size, "'ms' may be negative only for clock_skew");
        goto done;
    }
    if (port != 0 && fault->kind != SIM_FAULT_HTTP_STATUS &&
        fault->kind != SIM_FAULT_ACCEPT_TIMEOUT && fault->kind != SIM_FAULT_LATENCY &&
        fault->kind != SIM_FAULT_DISCONNECT) {
        snprintf (error, error_size,
                  "'port' applies to http_status, accept_timeout, latency and disconnect only");
        goto done;
    }
    switch (fault->kind) {
        case SIM_FAULT_HTTP_STATUS:
            if (!has_status) {
                snprintf (error, error_size, "http_status needs 'status' (100..599)");
                goto done;
            }
            break;
        case SIM_FAULT_STALL:
        case SIM_FAULT_LATENCY:
            if (!has_ms || ms == 0) {
                snprintf (error, error_size, "%s needs 'ms' above 0",
                          sim_faults_kind_name (fault->kind));
                goto done;
            }
            break;
        case SIM_FAULT_CLOCK_SKEW:
            if (!has_ms) {
                snprintf (error, error_size, "clock_skew needs 'ms'");
                goto done;
            }
            break;
        default:
            break;
    }
    //  Counts: 0 or absent means 1, except for the kinds documented above.
    switch (fault->kind) {
        case SIM_FAULT_LATENCY:
            break;  //  0: every response until cleared
        case SIM_FAULT_STALL:
        case SIM_FAULT_CLOCK_SKEW:
        case SIM_FAULT_DISCONNECT:
        case SIM_FAULT_CLEAR:
            count = 0;  //  Not counted
            break;
        case SIM_FAULT_VOLATILITY:
            if (!has_count || count == 0)
                count = SIM_FAULT_VOLATILITY_DEFAULT;
            break;
        default:
            if (!has_count || count == 0)
                count = 1;
            break;
    }
    fault->count = count;
    fault->status = (int)status;
    fault->ms = ms;
    fault->port = (int)port;
    memcpy (fault->stream, stream, sizeof stream);
    rc = 0;
done:
    vb_json_destroy (&json);
    if (rc)
        fault->kind = 0;
    return rc;
}

//  --------------------------------------------------------------------------
//  Keep, clear, expire.

int
sim_faults_add (sim_faults_t *self, const sim_fault_t *fault, int64_t now_mono_ns)
{
    assert (self && fault);
    if (fault->kind < SIM_FAULT_DROP || fault->kind >= SIM_FAULT_CLEAR ||
        fault->kind == SIM_FAULT_DISCONNECT)
        return VB_EINVAL;
    if (fault->kind == SIM_FAULT_CLOCK_SKEW || fault->kind == SIM_FAULT_VOLATILITY)
        for (size_t i = 0; i < self->count; i++)
            if (self->faults[i].kind == fault->kind) {
                memmove (&self->faults[i], &self->faults[i + 1],
                         (self->count - i - 1) * sizeof (sim_fault_t));
                self->count--;
                break;
            }
    if (self->count == SIM_FAULTS_MAX)
        return VB_ELIMIT;
    sim_fault_t *entry = &self->faults[self->count++];
    *entry = *fault;
    entry->gap_pass = false;
    entry->until_mono_ns = 0;
    if ((fault->kind == SIM_FAULT_STALL || fault->kind == SIM_FAULT_VOLATILITY) && fault->ms > 0)
        entry->until_mono_ns = now_mono_ns + fault->ms * VB_NS_PER_MS;
    return 0;
}

void
sim_faults_clear (sim_faults_t *self)
{
    assert (self);
    self->count = 0;
}

static void
s_remove (sim_faults_t *self, size_t index)
{
    memmove (&self->faults[index], &self->faults[index + 1],
             (self->count - index - 1) * sizeof (sim_fault_t));
    self->count--;
}

size_t
sim_faults_expire (sim_faults_t *self, int64_t now_mono_ns, bool *stall_ended,
                   bool *volatility_ended)
{
    assert (self);
    size_t ended = 0;
    for (size_t i = 0; i < self->count;) {
        sim_fault_t *fault = &self->faults[i];
        if (fault->until_mono_ns && now_mono_ns >= fault->until_mono_ns) {
            if (fault->kind == SIM_FAULT_STALL && stall_ended)
                *stall_ended = true;
            if (fault->kind == SIM_FAULT_VOLATILITY && volatility_ended)
                *volatility_ended = true;
            s_remove (self, i);
            ended++;
        } else
            i++;
    }
    return ended;
}

size_t
sim_faults_size (sim_faults_t *self)
{
    assert (self);
    return self->count;
}

char *
sim_faults_json (sim_faults_t *self)
{
    assert (self);
    //  Each entry is at most ~ 120 bytes plus its stream name.
    size_t size = 32 + self->count * (SIM_FAULT_STREAM_MAX + 180);
    char *text = zmalloc (size);
    size_t used = (size_t)snprintf (text, size, "{\"faults\":[");
    for (size_t i = 0; i < self->count; i++) {
        const sim_fault_t *fault = &self->faults[i];
        used += (size_t)snprintf (text + used, size - used,
                                  "%s{\"fault\":\"%s\",\"stream\":\"%s\",\"count\":%" PRId64
                                  ",\"status\":%d,\"ms\":%" PRId64,
                                  i ? "," : "", sim_faults_kind_name (fault->kind), fault->stream,
                                  fault->count, fault->status, fault->ms);
        //  "port" only when the fault has one: listings of faults without
        //  a port keep their original shape.
        if (fault->port)
            used += (size_t)snprintf (text + used, size - used, ",\"port\":%d", fault->port);
        used += (size_t)snprintf (text + used, size - used, "}");
    }
    snprintf (text + used, size - used, "]}");
    return text;
}

//  --------------------------------------------------------------------------
//  Decisions.

static bool
s_matches (const sim_fault_t *fault, const char *stream)
{
    return !stream || strcmp (fault->stream, "*") == 0 || strcmp (fault->stream, stream) == 0;
}

//  Consume one unit; remove the fault when it is used up.
static void
s_consume (sim_faults_t *self, size_t index)
{
    if (self->faults[index].count > 0 && --self->faults[index].count == 0)
        s_remove (self, index);
}

sim_fault_action_t
sim_faults_on_frame (sim_faults_t *self, const char *stream, int64_t now_mono_ns,
                     int64_t *release_mono_ns)
{
    assert (self && stream);
    for (size_t i = 0; i < self->count; i++) {
        sim_fault_t *fault = &self->faults[i];
        if (!s_matches (fault, stream))
            continue;
        switch (fault->kind) {
            case SIM_FAULT_DROP:
                s_consume (self, i);
                return SIM_FAULT_SKIP;
            case SIM_FAULT_GAP:
                if (fault->gap_pass) {
                    fault->gap_pass = false;
                    return SIM_FAULT_PASS;
                }
                fault->gap_pass = true;
                s_consume (self, i);
                return SIM_FAULT_SKIP;
            case SIM_FAULT_DUPLICATE:
                s_consume (self, i);
                return SIM_FAULT_TWICE;
            case SIM_FAULT_REORDER:
                s_consume (self, i);
                return SIM_FAULT_SWAP;
            case SIM_FAULT_STALL:
                if (fault->until_mono_ns > now_mono_ns) {
                    if (release_mono_ns)
                        *release_mono_ns = fault->until_mono_ns;
                    return SIM_FAULT_HOLD;
                }
                break;
            default:
                break;  //  Not a frame fault
        }
    }
    return SIM_FAULT_PASS;
}

bool
sim_faults_take (sim_faults_t *self, sim_fault_kind_t kind, const char *stream, sim_fault_t *taken)
{
    return sim_faults_take_on_port (self, kind, stream, 0, taken);
}

bool
sim_faults_take_on_port (sim_faults_t *self, sim_fault_kind_t kind, const char *stream, int port,
                         sim_fault_t *taken)
{
    assert (self);
    for (size_t i = 0; i < self->count; i++) {
        sim_fault_t *fault = &self->faults[i];
        if (fault->kind != kind || !s_matches (fault, stream))
            continue;
        if (port != 0 && fault->port != 0 && fault->port != port)
            continue;
        if (taken)
            *taken = *fault;
        s_consume (self, i);
        return true;
    }
    return false;
}

const sim_fault_t *
sim_faults_find (sim_faults_t *self, sim_fault_kind_t kind)
{
    assert (self);
    for (size_t i = 0; i < self->count; i++)
        if (self->faults[i].kind == kind)
            return &self->faults[i];
    return NULL;
}
