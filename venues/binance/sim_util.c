/*  sim_util.c — Binance simulator: text buffer, request parameters, decimals.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <stdarg.h>
#include "vb_decimal.h"
#include "vb_error.h"
#include "sim_binance.h"

#define S_STATUS_BAD_REQUEST 400
#define S_INTEGER_RANGE      "^[0-9]{1,20}$"

#define S_BUF_MIN 256  //  First allocation of a buffer

//  --------------------------------------------------------------------------
//  Grow a buffer to hold `extra` more bytes and a NUL (aborts on OOM, as
//  zmalloc does).

static void
s_reserve (bnsim_buf_t *buf, size_t extra)
{
    size_t need = buf->length + extra + 1;
    if (need <= buf->capacity)
        return;
    size_t capacity = buf->capacity ? buf->capacity : S_BUF_MIN;
    while (capacity < need)
        capacity *= 2;
    char *data = realloc (buf->data, capacity);
    assert (data);
    buf->data = data;
    buf->capacity = capacity;
}

void
bnsim_buf_reset (bnsim_buf_t *buf)
{
    buf->length = 0;
    if (buf->data)
        buf->data[0] = 0;
}

void
bnsim_buf_free (bnsim_buf_t *buf)
{
    free (buf->data);
    buf->data = NULL;
    buf->length = buf->capacity = 0;
}

void
bnsim_buf_add (bnsim_buf_t *buf, const char *text, size_t length)
{
    s_reserve (buf, length);
    if (length)
        memcpy (buf->data + buf->length, text, length);
    buf->length += length;
    buf->data[buf->length] = 0;
}

void
bnsim_buf_str (bnsim_buf_t *buf, const char *text)
{
    bnsim_buf_add (buf, text, strlen (text));
}

void
bnsim_buf_printf (bnsim_buf_t *buf, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char small[256];
    int length = vsnprintf (small, sizeof (small), format, args);
    va_end (args);
    if (length < 0)
        return;
    if ((size_t)length < sizeof (small)) {
        bnsim_buf_add (buf, small, (size_t)length);
        return;
    }
    s_reserve (buf, (size_t)length);
    va_start (args, format);
    vsnprintf (buf->data + buf->length, (size_t)length + 1, format, args);
    va_end (args);
    buf->length += (size_t)length;
}

//  --------------------------------------------------------------------------
//  A JSON string, quoted and escaped.

void
bnsim_buf_json (bnsim_buf_t *buf, const char *text)
{
    bnsim_buf_add (buf, "\"", 1);
    for (const unsigned char *cursor = (const unsigned char *)text; *cursor; cursor++) {
        if (*cursor == '"' || *cursor == '\\') {
            char escaped[2] = {'\\', (char)*cursor};
            bnsim_buf_add (buf, escaped, 2);
        } else if (*cursor < 0x20)
            bnsim_buf_printf (buf, "\\u%04x", *cursor);
        else
            bnsim_buf_add (buf, (const char *)cursor, 1);
    }
    bnsim_buf_add (buf, "\"", 1);
}

//  --------------------------------------------------------------------------
//  Decimals at 8 places (Binance's spot text), exact.

void
bnsim_format_dec (char *out, size_t size, int64_t mantissa, int32_t exponent)
{
    vb_decimal_t value = {mantissa, exponent};
    vb_decimal_t scaled;
    if (vb_decimal_rescale (value, BNSIM_EXPONENT, &scaled) == 0)
        value = scaled;
    if (vb_decimal_format (value, out, size) < 0)
        snprintf (out, size, "0");
}

void
bnsim_buf_dec (bnsim_buf_t *buf, int64_t mantissa, int32_t exponent)
{
    char text[VB_DECIMAL_TEXT_MAX];
    bnsim_format_dec (text, sizeof (text), mantissa, exponent);
    bnsim_buf_add (buf, "\"", 1);
    bnsim_buf_str (buf, text);
    bnsim_buf_add (buf, "\"", 1);
}

//  --------------------------------------------------------------------------
//  Errors.

void
bnsim_error_set (bnsim_error_t *error, int status, int code, const char *format, ...)
{
    error->status = status;
    error->code = code;
    va_list args;
    va_start (args, format);
    vsnprintf (error->msg, sizeof (error->msg), format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  Parameters.

static int
s_hex (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

//  Percent-decode length bytes into out (which has room); '+' is a space.
//  Returns the decoded length or -1 for a bad escape.
static int
s_decode (const char *text, size_t length, char *out)
{
    size_t written = 0;
    for (size_t index = 0; index < length; index++) {
        char c = text[index];
        if (c == '%') {
            if (index + 2 >= length)
                return -1;
            int high = s_hex (text[index + 1]);
            int low = s_hex (text[index + 2]);
            if (high < 0 || low < 0)
                return -1;
            out[written++] = (char)(high * 16 + low);
            index += 2;
        } else
            out[written++] = c == '+' ? ' ' : c;
    }
    return (int)written;
}

int
bnsim_url_decode (const char *text, size_t length, char *out)
{
    return s_decode (text, length, out);
}

int
bnsim_params_add (bnsim_params_t *params, const char *name, size_t name_length, const char *value,
                  size_t value_length)
{
    if (params->count >= BNSIM_PARAMS_MAX)
        return -1;
    size_t need = name_length + value_length + 2;
    if (!params->storage || params->used + need > params->size)
        return -1;  //  Storage never moves: values point into it
    char *slot = params->storage + params->used;
    memcpy (slot, name, name_length);
    slot[name_length] = 0;
    memcpy (slot + name_length + 1, value, value_length);
    slot[name_length + 1 + value_length] = 0;
    params->items[params->count].name = slot;
    params->items[params->count].value = slot + name_length + 1;
    params->count++;
    params->used += need;
    return 0;
}

//  Parse one x-www-form-urlencoded text into params.
static int
s_parse_text (bnsim_params_t *params, const char *text, bnsim_error_t *error)
{
    const char *cursor = text;
    while (cursor && *cursor) {
        const char *end = strchr (cursor, '&');
        size_t segment = end ? (size_t)(end - cursor) : strlen (cursor);
        if (segment > 0) {
            const char *equals = memchr (cursor, '=', segment);
            size_t name_length = equals ? (size_t)(equals - cursor) : segment;
            const char *value = equals ? equals + 1 : cursor + segment;
            size_t value_length = segment - name_length - (equals ? 1 : 0);
            char *name_text = params->storage + params->size - segment - 2;
            //  Decode into the tail of storage, then copy in through add
            char *value_text = name_text + name_length + 1;
            int name_decoded = s_decode (cursor, name_length, name_text);
            int value_decoded = s_decode (value, value_length, value_text);
            if (name_decoded < 0 || value_decoded < 0) {
                bnsim_error_set (error, 400, -1100, "Illegal characters found in a parameter.");
                return -1;
            }
            name_text[name_decoded] = 0;
            for (size_t index = 0; index < params->count; index++)
                if (strcmp (params->items[index].name, name_text) == 0) {
                    bnsim_error_set (error, 400, -1101,
                                     "Duplicate values for a parameter detected.");
                    return -1;
                }
            if (params->count >= BNSIM_PARAMS_MAX) {
                bnsim_error_set (error, 400, -1101, "Too many parameters sent for this endpoint.");
                return -1;
            }
            //  memmove-safe copy: the decoded text sits beyond `used`
            char *slot = params->storage + params->used;
            memmove (slot, name_text, (size_t)name_decoded);
            slot[name_decoded] = 0;
            memmove (slot + name_decoded + 1, value_text, (size_t)value_decoded);
            slot[name_decoded + 1 + value_decoded] = 0;
            params->items[params->count].name = slot;
            params->items[params->count].value = slot + name_decoded + 1;
            params->count++;
            params->used += (size_t)name_decoded + (size_t)value_decoded + 2;
        }
        if (!end)
            break;
        cursor = end + 1;
    }
    return 0;
}

int
bnsim_params_parse (bnsim_params_t *params, const char *query, const char *body,
                    bnsim_error_t *error)
{
    memset (params, 0, sizeof (*params));
    query = query ? query : "";
    body = body ? body : "";
    //  Room for every decoded pair plus one decode area at the tail
    size_t total = strlen (query) + strlen (body);
    params->size = 2 * total + 2 * BNSIM_PARAMS_MAX + 16;
    params->storage = zmalloc (params->size);
    if (s_parse_text (params, query, error) || s_parse_text (params, body, error))
        return -1;
    return 0;
}

void
bnsim_params_init (bnsim_params_t *params, size_t size)
{
    memset (params, 0, sizeof (*params));
    params->size = size + 2 * BNSIM_PARAMS_MAX + 16;
    params->storage = zmalloc (params->size);
}

void
bnsim_params_free (bnsim_params_t *params)
{
    free (params->storage);
    params->storage = NULL;
    params->count = params->used = params->size = 0;
}

const char *
bnsim_param (const bnsim_params_t *params, const char *name)
{
    for (size_t index = 0; index < params->count; index++)
        if (strcmp (params->items[index].name, name) == 0)
            return params->items[index].value[0] ? params->items[index].value : NULL;
    return NULL;
}

//  --------------------------------------------------------------------------
//  Parameter helpers.

void
bnsim_mandatory (bnsim_error_t *error, const char *name)
{
    bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1102,
                     "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", name);
}

//  The symbol parameter, checked. Returns the symbol or NULL with error set.
bnsim_symbol_t *
bnsim_symbol_param (bnsim_t *self, const bnsim_params_t *params, bnsim_error_t *error)
{
    const char *text = bnsim_param (params, "symbol");
    if (!text) {
        bnsim_mandatory (error, "symbol");
        return NULL;
    }
    size_t length = strlen (text);
    bool legal = length <= 20;
    for (size_t index = 0; legal && index < length; index++) {
        char c = text[index];
        legal =
            (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    }
    if (!legal) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                         "Illegal characters found in parameter 'symbol'; legal range is "
                         "'^[A-Z0-9-_.]{1,20}$'.");
        return NULL;
    }
    bnsim_symbol_t *symbol = bnsim_symbol (self, text);
    if (!symbol)
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1121, "Invalid symbol.");
    return symbol;
}

//  An optional unsigned integer parameter. Returns 0 (absent: *value kept),
//  or -1 with error set.
int
bnsim_integer_param (const bnsim_params_t *params, const char *name, int64_t *value,
                     bnsim_error_t *error)
{
    const char *text = bnsim_param (params, name);
    if (!text)
        return 0;
    size_t length = strlen (text);
    bool legal = length > 0 && length <= 18;
    for (size_t index = 0; legal && index < length; index++)
        legal = text[index] >= '0' && text[index] <= '9';
    if (!legal) {
        bnsim_error_set (error, S_STATUS_BAD_REQUEST, -1100,
                         "Illegal characters found in parameter '%s'; legal range is '%s'.", name,
                         S_INTEGER_RANGE);
        return -1;
    }
    *value = strtoll (text, NULL, 10);
    return 0;
}

int
bnsim_limit_param (const bnsim_params_t *params, int64_t fallback, int64_t max, int64_t *limit,
                   bnsim_error_t *error)
{
    *limit = fallback;
    if (bnsim_integer_param (params, "limit", limit, error))
        return -1;
    if (*limit <= 0)
        *limit = fallback;
    if (*limit > max)
        *limit = max;
    return 0;
}

//  A decimal parameter at the instrument exponent. Returns 1 when absent, 0
//  when parsed into *units, or -1 with error set. Binance rejects more than
//  8 decimals (-1111) and leaves off-step values to the filters: those give
//  *off_step = true with *units truncated.
