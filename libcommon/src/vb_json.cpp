/*  vb_json.cpp — the C shim over simdjson On-Demand behind vb_json.h.

    simdjson finds the structure (stage 1 validates UTF-8 and string quoting
    over the whole text) and walks it: objects, arrays, key lookup. Scalars are
    read here from the raw token text, which gives exact number text for
    decimals, zero-copy strings when there is no escape, and one precise rule
    per type. Only the error-code API is used, and every exported function
    also catches any C++ exception, so none ever reaches C.
    SPDX-License-Identifier: MPL-2.0
*/
#include <simdjson.h>

#include <cassert>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>

#include "vb_error.h"
#include "vb_json.h"

namespace od = simdjson::ondemand;

//  Smallest buffer capacity, so small messages never regrow the buffers.
static const size_t S_MIN_CAPACITY = 4096;

//  Largest Unicode code point, and the UTF-16 surrogate ranges.
static const uint32_t S_HIGH_SURROGATE_FIRST = 0xD800;
static const uint32_t S_LOW_SURROGATE_FIRST = 0xDC00;
static const uint32_t S_LOW_SURROGATE_LAST = 0xDFFF;
static const uint32_t S_SURROGATE_OFFSET = 0x10000;
static const int S_SURROGATE_SHIFT = 10;

//  Length of \uXXXX and of its four hex digits.
static const size_t S_UNICODE_ESCAPE_LENGTH = 6;
static const size_t S_HEX_DIGITS = 4;

//  Last code point that UTF-8 encodes in one, two and three bytes.
static const uint32_t S_UTF8_ONE_MAX = 0x7F;
static const uint32_t S_UTF8_TWO_MAX = 0x7FF;
static const uint32_t S_UTF8_THREE_MAX = 0xFFFF;

//  Depths tracked for vb_json_find's fast path (index 0 unused).
static const uint32_t S_PATH_SIZE = VB_JSON_MAX_DEPTH + 2;

struct _vb_json_t {
    od::parser parser{VB_JSON_MAX_SIZE};  //  Reused for every document
    od::document document;                //  The current document
    std::unique_ptr<char[]> buffer;       //  Input copy: capacity + SIMDJSON_PADDING bytes
    std::unique_ptr<char[]> scratch;      //  Decoded escaped strings: capacity bytes
    size_t capacity = 0;                  //  Largest document the buffers hold now
    size_t size = 0;                      //  Bytes in the current document
    size_t root_end = 0;                  //  Offset just past the last non-blank byte
    size_t scratch_used = 0;              //  Scratch bytes used by this document
    uint32_t generation = 0;              //  Bumped by every parse; stale views refused
    bool failed = true;                   //  No document, or it hit a fatal error
    uint8_t root_use = 0;                 //  s_root_use_t: how the root was entered
    bool root_fresh = false;              //  Root object started, nothing looked up yet
    od::object root_object;               //  The root, once vb_json_find has started it
    const char *root_start = NULL;        //  First byte of the root value
    //  Objects searched by vb_json_find that the cursor is still inside,
    //  by depth: path[1 .. path_depth] (see s_find).
    const char *path[S_PATH_SIZE] = {};
    uint32_t path_depth = 0;
};

//  How the root has been entered: simdjson starts a container only once.
enum s_root_use_t {
    S_ROOT_UNUSED = 0,  //  Not entered yet
    S_ROOT_FOUND,       //  Started by vb_json_find: root_object is set
    S_ROOT_ITERATED,    //  Started by vb_json_*_begin
};

//  What kind of handle a vb_json_val_t holds.
enum s_val_kind_t {
    S_VAL_VALUE = 0,  //  A value handed out and not entered yet: `value`
    S_VAL_OBJECT,     //  An object started by vb_json_find: `object`
    S_VAL_ROOT,       //  The root: reads go through the document
};

//  What a vb_json_val_t holds.
struct s_val_t {
    vb_json_t *owner;     //  Parser, or NULL for a refused value
    uint32_t generation;  //  owner->generation when this was made
    uint16_t depth;       //  Nesting depth as simdjson counts it: 1 for the root
    uint8_t kind;         //  s_val_kind_t
    bool fresh;           //  S_VAL_OBJECT: just started, nothing looked up yet
    const char *start;    //  First byte of the value's text (NULL for the root)
    union s_handle_t {
        od::value value;    //  S_VAL_VALUE
        od::object object;  //  S_VAL_OBJECT
        s_handle_t () noexcept
        {
        }  //  Set by s_val_set
    } at;  //  The simdjson handle
};

enum s_iter_state_t {
    S_ITER_FRESH = 0,  //  begin done, no element handed out yet
    S_ITER_STARTED,    //  An element was handed out; next steps over it
    S_ITER_DONE,       //  The end was reached
};

//  What a vb_json_iter_t holds.
struct s_iter_t {
    vb_json_t *owner;     //  Parser, or NULL for a refused iterator
    uint32_t generation;  //  owner->generation when this was made
    uint32_t depth;       //  Depth of the container being iterated
    bool is_root;         //  The container is the root: check for trailing text at the end
    const char *start;    //  First byte of the container's text
    uint8_t state;        //  s_iter_state_t
    union s_position_t {
        od::array_iterator array;    //  For vb_json_array_*
        od::object_iterator object;  //  For vb_json_object_*
        s_position_t () noexcept
        {
        }  //  Set by placement new in begin
    } at;  //  Where the iteration is
};

static_assert (sizeof (s_val_t) <= sizeof (vb_json_val_t), "vb_json_val_t too small");
static_assert (alignof (s_val_t) <= alignof (vb_json_val_t), "vb_json_val_t misaligned");
static_assert (sizeof (s_iter_t) <= sizeof (vb_json_iter_t), "vb_json_iter_t too small");
static_assert (alignof (s_iter_t) <= alignof (vb_json_iter_t), "vb_json_iter_t misaligned");
//  C copies and drops these views as plain bytes.
static_assert (std::is_trivially_copyable<s_val_t>::value, "value must be plain data");
static_assert (std::is_trivially_destructible<s_val_t>::value, "value must be plain data");
static_assert (std::is_trivially_copyable<od::array_iterator>::value,
               "iterator must be plain data");
static_assert (std::is_trivially_copyable<od::object_iterator>::value,
               "iterator must be plain data");
static_assert (std::is_trivially_destructible<od::array_iterator>::value, "plain data");
static_assert (std::is_trivially_destructible<od::object_iterator>::value, "plain data");

//  --------------------------------------------------------------------------
//  Views on the opaque storage.

static s_val_t *
s_val (vb_json_val_t *value)
{
    return std::launder (reinterpret_cast<s_val_t *> (value->opaque));
}

static s_iter_t *
s_iter (vb_json_iter_t *iter)
{
    return std::launder (reinterpret_cast<s_iter_t *> (iter->opaque));
}

//  --------------------------------------------------------------------------
//  Store a value view; owner NULL makes one that every accessor refuses.

static void
s_val_set (vb_json_val_t *out, vb_json_t *owner, uint32_t depth, s_val_kind_t kind, od::value value)
{
    s_val_t *val = new (out->opaque) s_val_t;
    val->owner = owner;
    val->generation = owner ? owner->generation : 0;
    val->depth = depth < UINT16_MAX ? (uint16_t)depth : UINT16_MAX;
    val->kind = (uint8_t)kind;
    val->fresh = false;
    val->start = NULL;
    new (&val->at.value) od::value (value);
    if (owner && kind == S_VAL_VALUE)
        val->start = value.raw_json_token ().data ();
}

static void
s_val_refuse (vb_json_val_t *out)
{
    s_val_set (out, NULL, 0, S_VAL_VALUE, od::value ());
}

static void
s_iter_refuse (vb_json_iter_t *out)
{
    s_iter_t *iter = new (out->opaque) s_iter_t;
    iter->owner = NULL;
    iter->generation = 0;
    iter->depth = 0;
    iter->is_root = false;
    iter->start = NULL;
    iter->state = S_ITER_DONE;
}

//  --------------------------------------------------------------------------
//  A fatal error: the document is unusable until the next parse.

static int
s_fail (vb_json_t *self, int code)
{
    self->failed = true;
    return code;
}

//  --------------------------------------------------------------------------
//  Turn a simdjson error into a VB_E* code; errors that leave the document
//  readable (missing key, wrong type, out of range) do not end it.

static int
s_error (vb_json_t *self, simdjson::error_code error)
{
    switch (error) {
        case simdjson::SUCCESS:
            return 0;
        case simdjson::NO_SUCH_FIELD:
        case simdjson::INDEX_OUT_OF_BOUNDS:
            return VB_ENOTFOUND;
        case simdjson::INCORRECT_TYPE:
            return VB_ETYPE;
        case simdjson::NUMBER_OUT_OF_RANGE:
            return VB_EOVERFLOW;
        case simdjson::MEMALLOC:
            return s_fail (self, VB_ENOMEM);
        case simdjson::CAPACITY:
            return s_fail (self, VB_ELIMIT);
        default:
            return s_fail (self, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  Is the view usable: current generation and no fatal error so far?

static int
s_usable (vb_json_t *owner, uint32_t generation)
{
    if (!owner || generation != owner->generation || owner->failed)
        return VB_EINVAL;
    return 0;
}

//  --------------------------------------------------------------------------
//  JSON white space.

static bool
s_is_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

//  --------------------------------------------------------------------------
//  The raw text of the value's token, without trailing white space. For a
//  root scalar the token must reach the end of the document, else there is
//  trailing text.

static int
s_token (s_val_t *val, std::string_view *token)
{
    vb_json_t *self = val->owner;
    std::string_view text;
    if (val->kind == S_VAL_ROOT) {
        simdjson::error_code error = self->document.raw_json_token ().get (text);
        if (error)
            return s_error (self, error);
    } else if (val->kind == S_VAL_OBJECT)
        text = std::string_view (val->start, 1);  //  "{": enough to refuse it as a scalar
    else
        text = val->at.value.raw_json_token ();
    size_t length = text.size ();
    while (length > 0 && s_is_blank (text[length - 1]))
        length--;
    if (length == 0)
        return s_fail (self, VB_EINVAL);
    *token = std::string_view (text.data (), length);
    return 0;
}

//  The root-scalar trailing-text check (see s_token).
static int
s_token_ends_root (s_val_t *val, std::string_view token)
{
    vb_json_t *self = val->owner;
    if (val->kind == S_VAL_ROOT &&
        token.data () + token.size () != self->buffer.get () + self->root_end)
        return s_fail (self, VB_EINVAL);
    return 0;
}

//  --------------------------------------------------------------------------
//  Does text match the JSON number grammar exactly:
//  -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?

static bool
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_is_json_number (std::string_view text)
{
    size_t at = 0;
    size_t size = text.size ();
    if (at < size && text[at] == '-')
        at++;
    if (at >= size || !s_is_digit (text[at]))
        return false;
    if (text[at] == '0')
        at++;
    else
        while (at < size && s_is_digit (text[at]))
            at++;
    if (at < size && text[at] == '.') {
        size_t first = ++at;
        while (at < size && s_is_digit (text[at]))
            at++;
        if (at == first)
            return false;
    }
    if (at < size && (text[at] == 'e' || text[at] == 'E')) {
        at++;
        if (at < size && (text[at] == '+' || text[at] == '-'))
            at++;
        size_t first = at;
        while (at < size && s_is_digit (text[at]))
            at++;
        if (at == first)
            return false;
    }
    return at == size;
}

//  --------------------------------------------------------------------------
//  The value's number token, checked. VB_ETYPE when it is not a number.

static int
s_number_token (s_val_t *val, std::string_view *token)
{
    int rc = s_token (val, token);
    if (rc)
        return rc;
    char first = (*token)[0];
    if (first != '-' && !s_is_digit (first))
        return VB_ETYPE;
    if (!s_is_json_number (*token))
        return s_fail (val->owner, VB_EINVAL);
    return s_token_ends_root (val, *token);
}

//  --------------------------------------------------------------------------
//  An integer token's magnitude, or VB_ETYPE for a fraction or exponent and
//  VB_EOVERFLOW past UINT64_MAX. The token is a checked JSON number.

static int
s_magnitude (std::string_view token, bool *negative, uint64_t *magnitude)
{
    size_t at = 0;
    *negative = token[0] == '-';
    if (*negative)
        at++;
    uint64_t result = 0;
    for (; at < token.size (); at++) {
        if (!s_is_digit (token[at]))
            return VB_ETYPE;  //  '.', 'e' or 'E': not an integer
        uint64_t digit = (uint64_t)(token[at] - '0');
        if (result > (UINT64_MAX - digit) / 10)
            return VB_EOVERFLOW;
        result = result * 10 + digit;
    }
    *magnitude = result;
    return 0;
}

//  --------------------------------------------------------------------------
//  Four hex digits as a number, or -1.

static int32_t
s_hex4 (const char *text)
{
    int32_t result = 0;
    for (size_t index = 0; index < S_HEX_DIGITS; index++) {
        char c = text[index];
        int32_t digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return -1;
        result = result * 16 + digit;
    }
    return result;
}

//  --------------------------------------------------------------------------
//  Write a code point as UTF-8; return the bytes written.

static size_t
s_utf8 (uint32_t code_point, char *out)
{
    if (code_point <= S_UTF8_ONE_MAX) {
        out[0] = (char)code_point;
        return 1;
    }
    if (code_point <= S_UTF8_TWO_MAX) {
        out[0] = (char)(0xC0 | (code_point >> 6));
        out[1] = (char)(0x80 | (code_point & 0x3F));
        return 2;
    }
    if (code_point <= S_UTF8_THREE_MAX) {
        out[0] = (char)(0xE0 | (code_point >> 12));
        out[1] = (char)(0x80 | ((code_point >> 6) & 0x3F));
        out[2] = (char)(0x80 | (code_point & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (code_point >> 18));
    out[1] = (char)(0x80 | ((code_point >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((code_point >> 6) & 0x3F));
    out[3] = (char)(0x80 | (code_point & 0x3F));
    return 4;
}

//  --------------------------------------------------------------------------
//  Decode the `size` bytes of escaped string content at `text` into `out`,
//  which has room for `size` bytes (decoding never grows the text). Returns
//  the decoded length or VB_EINVAL for a bad escape or lone surrogate.

static int64_t
s_unescape (const char *text, size_t size, char *out)
{
    size_t written = 0;
    for (size_t at = 0; at < size; at++) {
        if (text[at] != '\\') {
            out[written++] = text[at];
            continue;
        }
        at++;  //  The caller checked that a byte follows every backslash
        switch (text[at]) {
            case '"':
            case '\\':
            case '/':
                out[written++] = text[at];
                break;
            case 'b':
                out[written++] = '\b';
                break;
            case 'f':
                out[written++] = '\f';
                break;
            case 'n':
                out[written++] = '\n';
                break;
            case 'r':
                out[written++] = '\r';
                break;
            case 't':
                out[written++] = '\t';
                break;
            case 'u': {
                if (size - at - 1 < S_HEX_DIGITS)
                    return VB_EINVAL;
                int32_t unit = s_hex4 (text + at + 1);
                if (unit < 0)
                    return VB_EINVAL;
                at += S_HEX_DIGITS;
                uint32_t code_point = (uint32_t)unit;
                if (code_point >= S_LOW_SURROGATE_FIRST && code_point <= S_LOW_SURROGATE_LAST)
                    return VB_EINVAL;  //  Low surrogate without a high one
                if (code_point >= S_HIGH_SURROGATE_FIRST && code_point < S_LOW_SURROGATE_FIRST) {
                    //  Must be followed by \u and a low surrogate
                    if (size - at - 1 < S_UNICODE_ESCAPE_LENGTH || text[at + 1] != '\\' ||
                        text[at + 2] != 'u')
                        return VB_EINVAL;
                    int32_t low = s_hex4 (text + at + 3);
                    if (low < (int32_t)S_LOW_SURROGATE_FIRST || low > (int32_t)S_LOW_SURROGATE_LAST)
                        return VB_EINVAL;
                    at += S_UNICODE_ESCAPE_LENGTH;
                    code_point = S_SURROGATE_OFFSET +
                                 ((code_point - S_HIGH_SURROGATE_FIRST) << S_SURROGATE_SHIFT) +
                                 ((uint32_t)low - S_LOW_SURROGATE_FIRST);
                }
                written += s_utf8 (code_point, out + written);
                break;
            }
            default:
                return VB_EINVAL;
        }
    }
    return (int64_t)written;
}

//  --------------------------------------------------------------------------
//  The value as a string: zero-copy when it has no escape, else decoded into
//  the scratch buffer.

static int
s_string (s_val_t *val, const char **text, size_t *length)
{
    vb_json_t *self = val->owner;
    std::string_view token;
    int rc = s_token (val, &token);
    if (rc)
        return rc;
    if (token[0] != '"')
        return VB_ETYPE;
    if (token.size () < 2 || token.back () != '"')
        return s_fail (self, VB_EINVAL);
    rc = s_token_ends_root (val, token);
    if (rc)
        return rc;

    const char *content = token.data () + 1;
    size_t size = token.size () - 2;
    bool escaped = false;
    for (size_t at = 0; at < size; at++) {
        unsigned char c = (unsigned char)content[at];
        if (c == '"' || c < 0x20)
            return s_fail (self, VB_EINVAL);  //  Two strings run together, or a raw control
        if (c == '\\') {
            if (at + 1 >= size)
                return s_fail (self, VB_EINVAL);
            escaped = true;
            at++;
        }
    }
    if (!escaped) {
        *text = content;
        *length = size;
        return 0;
    }
    if (size > self->capacity - self->scratch_used)
        return VB_ELIMIT;
    char *out = self->scratch.get () + self->scratch_used;
    int64_t written = s_unescape (content, size, out);
    if (written < 0)
        return s_fail (self, (int)written);
    self->scratch_used += (size_t)written;
    *text = out;
    *length = (size_t)written;
    return 0;
}

//  --------------------------------------------------------------------------
//  Grow the buffers (and the parser) to hold a document of `size` bytes.

static int
s_grow (vb_json_t *self, size_t size)
{
    size_t capacity = self->capacity < S_MIN_CAPACITY ? S_MIN_CAPACITY : self->capacity;
    while (capacity < size)
        capacity *= 2;
    if (capacity > VB_JSON_MAX_SIZE)
        capacity = VB_JSON_MAX_SIZE;

    simdjson::error_code error = self->parser.allocate (capacity);
    if (error)
        return error == simdjson::CAPACITY ? VB_ELIMIT : VB_ENOMEM;
    std::unique_ptr<char[]> buffer (new (std::nothrow) char[capacity + simdjson::SIMDJSON_PADDING]);
    std::unique_ptr<char[]> scratch (new (std::nothrow) char[capacity]);
    if (!buffer || !scratch)
        return VB_ENOMEM;
    self->buffer = std::move (buffer);
    self->scratch = std::move (scratch);
    self->capacity = capacity;
    return 0;
}

//  --------------------------------------------------------------------------
//  Create a parser.

vb_json_t *
vb_json_new (void)
{
    try {
        //  A C++ object (it holds the simdjson parser), so new rather than zmalloc.
        return new (std::nothrow) vb_json_t;
    } catch (...) {
        return NULL;
    }
}

//  --------------------------------------------------------------------------
//  Destroy the parser.

void
vb_json_destroy (vb_json_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        try {
            delete *self_p;
        } catch (...) {
            //  simdjson's destructors do not throw; nothing to undo
        }
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Copy the text into the padded buffer and start a document over it.

int
vb_json_parse (vb_json_t *self, const char *data, size_t size, vb_json_val_t *root)
{
    assert (self);
    assert (root);
    try {
        s_val_refuse (root);
        self->generation++;
        self->failed = true;
        self->size = 0;
        self->scratch_used = 0;
        if (size > VB_JSON_MAX_SIZE)
            return VB_ELIMIT;
        if (!data || size == 0)
            return VB_EINVAL;
        if (size > self->capacity) {
            int rc = s_grow (self, size);
            if (rc)
                return rc;
        }
        char *buffer = self->buffer.get ();
        memcpy (buffer, data, size);
        memset (buffer + size, 0, simdjson::SIMDJSON_PADDING);
        size_t end = size;
        while (end > 0 && s_is_blank (buffer[end - 1]))
            end--;
        if (end == 0)
            return VB_EINVAL;  //  Only white space

        simdjson::error_code error =
            self->parser.iterate (buffer, size, size + simdjson::SIMDJSON_PADDING)
                .get (self->document);
        if (error)
            return error == simdjson::MEMALLOC   ? VB_ENOMEM
                   : error == simdjson::CAPACITY ? VB_ELIMIT
                                                 : VB_EINVAL;
        self->size = size;
        self->root_end = end;
        size_t first = 0;
        while (s_is_blank (buffer[first]))
            first++;
        self->root_start = buffer + first;
        self->root_use = S_ROOT_UNUSED;
        self->root_fresh = false;
        self->path_depth = 0;
        self->failed = false;
        s_val_set (root, self, 1, S_VAL_ROOT, od::value ());
        return 0;
    } catch (...) {
        return VB_EINVAL;
    }
}

//  --------------------------------------------------------------------------
//  The value's type, with true, false and null checked in full.

vb_json_type_t
vb_json_type (vb_json_val_t *value)
{
    assert (value);
    s_val_t *val = s_val (value);
    if (s_usable (val->owner, val->generation))
        return VB_JSON_INVALID;
    vb_json_t *self = val->owner;
    try {
        od::json_type type;
        if (val->kind == S_VAL_OBJECT)
            return VB_JSON_OBJECT;
        simdjson::error_code error = val->kind == S_VAL_ROOT ? self->document.type ().get (type)
                                                             : val->at.value.type ().get (type);
        if (error) {
            s_error (self, error);
            return VB_JSON_INVALID;
        }
        switch (type) {
            case od::json_type::array:
                return VB_JSON_ARRAY;
            case od::json_type::object:
                return VB_JSON_OBJECT;
            case od::json_type::number:
                return VB_JSON_NUMBER;
            case od::json_type::string:
                return VB_JSON_STRING;
            case od::json_type::boolean:
            case od::json_type::null: {
                std::string_view token;
                if (s_token (val, &token) || s_token_ends_root (val, token))
                    return VB_JSON_INVALID;
                if (token == "true" || token == "false")
                    return VB_JSON_BOOL;
                if (token == "null")
                    return VB_JSON_NULL;
                s_fail (self, VB_EINVAL);
                return VB_JSON_INVALID;
            }
        }
        s_fail (self, VB_EINVAL);
        return VB_JSON_INVALID;
    } catch (...) {
        s_fail (self, VB_EINVAL);
        return VB_JSON_INVALID;
    }
}

//  --------------------------------------------------------------------------
//  simdjson assumes (undefined behaviour otherwise) that a value is entered
//  only while its cursor is on it, and that an iteration resumes only while
//  the cursor is after the container's start and not above it. These checks
//  turn out-of-order use into VB_ESTATE.

static bool
s_at_start (vb_json_t *self, const char *start, uint32_t depth)
{
    const char *location;
    if (self->document.current_location ().get (location))
        return false;
    return location == start && self->document.current_depth () == (int32_t)depth;
}

static bool
s_can_resume (vb_json_t *self, const char *start, uint32_t depth)
{
    const char *location;
    simdjson::error_code error = self->document.current_location ().get (location);
    if (error != simdjson::SUCCESS && error != simdjson::OUT_OF_BOUNDS)
        return false;
    if (error == simdjson::SUCCESS && location <= start)
        return false;
    return self->document.current_depth () >= (int32_t)depth;
}

//  Where simdjson expects the cursor before handing out the first element
//  of an array (inside it, at the element's depth) or the first field of an
//  object (at the object's depth: keys sit at the object's own depth).
static bool
s_at_first (vb_json_t *self, const char *start, uint32_t depth)
{
    const char *location;
    if (self->document.current_location ().get (location))
        return false;
    return location > start && self->document.current_depth () == (int32_t)depth;
}

//  An iteration step on the container at `start`, `depth`: searched objects
//  at that depth or deeper that are not this container are left behind.
static void
s_moved (vb_json_t *self, const char *start, uint32_t depth)
{
    if (depth <= self->path_depth)
        self->path_depth = self->path[depth] == start ? depth : depth - 1;
}

//  --------------------------------------------------------------------------
//  Find a key with simdjson's forward search. When the cursor may be past
//  the key (an earlier lookup in this object) the object is rewound and
//  searched again; when the cursor may have left the object it is rewound
//  first. (find_field_unordered is not used: its wrap-around pass assumes a
//  validated structure and is undefined behaviour on hostile input.)

static int
s_find (vb_json_t *self, od::object *object, bool *fresh, const char *start, uint32_t depth,
        std::string_view key, od::value *found)
{
    simdjson::error_code error = simdjson::SUCCESS;
    bool has_fields;
    bool was_fresh = *fresh;
    bool inside = depth < S_PATH_SIZE && depth <= self->path_depth && self->path[depth] == start;
    bool rewound = false;
    *fresh = false;
    if (!was_fresh && !inside) {
        error = object->reset ().get (has_fields);
        rewound = true;
    }
    if (depth < S_PATH_SIZE) {
        self->path[depth] = start;
        self->path_depth = depth;
    } else if (self->path_depth >= depth)
        self->path_depth = depth - 1;
    if (!error)
        error = object->find_field (key).get (*found);
    if (error == simdjson::NO_SUCH_FIELD && !was_fresh && !rewound) {
        error = object->reset ().get (has_fields);
        if (!error)
            error = object->find_field (key).get (*found);
    }
    return s_error (self, error);
}

//  --------------------------------------------------------------------------
//  Look a key up in an object.

int
vb_json_find (vb_json_val_t *object, const char *key, vb_json_val_t *out)
{
    assert (object);
    assert (key);
    assert (out);
    s_val_t *val = s_val (object);
    vb_json_t *self = val->owner;
    int rc = s_usable (self, val->generation);
    if (rc) {
        s_val_refuse (out);
        return rc;
    }
    try {
        uint32_t depth = val->depth;
        od::value found;
        if (val->kind == S_VAL_ROOT) {
            if (self->root_use == S_ROOT_ITERATED)
                rc = VB_ESTATE;
            else if (self->root_use == S_ROOT_UNUSED) {
                rc = s_error (self, self->document.get_object ().get (self->root_object));
                if (rc == 0) {
                    self->root_use = S_ROOT_FOUND;
                    self->root_fresh = true;
                }
            }
            if (rc == 0)
                rc = s_find (self, &self->root_object, &self->root_fresh, self->root_start, depth,
                             key, &found);
        } else {
            if (val->kind == S_VAL_VALUE) {
                //  Enter the object once; the caller's view keeps the handle.
                od::object entered;
                if (!s_at_start (self, val->start, depth))
                    rc = VB_ESTATE;
                else
                    rc = s_error (self, val->at.value.get_object ().get (entered));
                if (rc == 0) {
                    new (&val->at.object) od::object (entered);
                    val->kind = S_VAL_OBJECT;
                    val->fresh = true;
                }
            }
            if (rc == 0)
                rc = s_find (self, &val->at.object, &val->fresh, val->start, depth, key, &found);
        }
        //  out may be object itself, so it is written last.
        if (rc)
            s_val_refuse (out);
        else
            s_val_set (out, self, depth + 1, S_VAL_VALUE, found);
        return rc;
    } catch (...) {
        s_val_refuse (out);
        return s_fail (self, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  A string, unescaped.

int
vb_json_string (vb_json_val_t *value, const char **text, size_t *length)
{
    assert (value);
    assert (text);
    assert (length);
    s_val_t *val = s_val (value);
    int rc = s_usable (val->owner, val->generation);
    if (rc)
        return rc;
    try {
        return s_string (val, text, length);
    } catch (...) {
        return s_fail (val->owner, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  A signed integer (no fraction, no exponent).

int
vb_json_int64 (vb_json_val_t *value, int64_t *out)
{
    assert (value);
    assert (out);
    s_val_t *val = s_val (value);
    int rc = s_usable (val->owner, val->generation);
    if (rc)
        return rc;
    try {
        std::string_view token;
        bool negative;
        uint64_t magnitude;
        rc = s_number_token (val, &token);
        if (rc == 0)
            rc = s_magnitude (token, &negative, &magnitude);
        if (rc)
            return rc;
        if (negative) {
            if (magnitude > (uint64_t)INT64_MAX + 1)
                return VB_EOVERFLOW;
            //  Two's complement: -magnitude without overflowing int64
            *out = magnitude == 0 ? 0 : -(int64_t)(magnitude - 1) - 1;
        } else {
            if (magnitude > (uint64_t)INT64_MAX)
                return VB_EOVERFLOW;
            *out = (int64_t)magnitude;
        }
        return 0;
    } catch (...) {
        return s_fail (val->owner, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  An unsigned integer; negative numbers other than -0 are out of range.

int
vb_json_uint64 (vb_json_val_t *value, uint64_t *out)
{
    assert (value);
    assert (out);
    s_val_t *val = s_val (value);
    int rc = s_usable (val->owner, val->generation);
    if (rc)
        return rc;
    try {
        std::string_view token;
        bool negative;
        uint64_t magnitude;
        rc = s_number_token (val, &token);
        if (rc == 0)
            rc = s_magnitude (token, &negative, &magnitude);
        if (rc)
            return rc;
        if (negative && magnitude != 0)
            return VB_EOVERFLOW;
        *out = magnitude;
        return 0;
    } catch (...) {
        return s_fail (val->owner, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  true or false.

int
vb_json_bool (vb_json_val_t *value, bool *out)
{
    assert (value);
    assert (out);
    s_val_t *val = s_val (value);
    int rc = s_usable (val->owner, val->generation);
    if (rc)
        return rc;
    try {
        std::string_view token;
        rc = s_token (val, &token);
        if (rc)
            return rc;
        if (token[0] != 't' && token[0] != 'f')
            return VB_ETYPE;
        rc = s_token_ends_root (val, token);
        if (rc)
            return rc;
        if (token == "true")
            *out = true;
        else if (token == "false")
            *out = false;
        else
            return s_fail (val->owner, VB_EINVAL);
        return 0;
    } catch (...) {
        return s_fail (val->owner, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  The raw number text.

int
vb_json_number_text (vb_json_val_t *value, const char **text, size_t *length)
{
    assert (value);
    assert (text);
    assert (length);
    s_val_t *val = s_val (value);
    int rc = s_usable (val->owner, val->generation);
    if (rc)
        return rc;
    try {
        std::string_view token;
        rc = s_number_token (val, &token);
        if (rc)
            return rc;
        *text = token.data ();
        *length = token.size ();
        return 0;
    } catch (...) {
        return s_fail (val->owner, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  An exact decimal from a string or a number.

int
vb_json_decimal (vb_json_val_t *value, vb_decimal_t *out)
{
    assert (value);
    assert (out);
    s_val_t *val = s_val (value);
    int rc = s_usable (val->owner, val->generation);
    if (rc)
        return rc;
    try {
        std::string_view token;
        rc = s_token (val, &token);
        if (rc)
            return rc;
        const char *text;
        size_t length;
        if (token[0] == '"')
            rc = s_string (val, &text, &length);
        else if (token[0] == '-' || s_is_digit (token[0])) {
            rc = s_number_token (val, &token);
            text = token.data ();
            length = token.size ();
        } else
            rc = VB_ETYPE;
        if (rc)
            return rc;
        return vb_decimal_parse (text, length, out);
    } catch (...) {
        return s_fail (val->owner, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  Common start of array and object iteration.

static int
s_iter_begin (s_val_t *val, vb_json_iter_t *iter)
{
    s_iter_refuse (iter);
    int rc = s_usable (val->owner, val->generation);
    if (rc)
        return rc;
    if (val->depth > VB_JSON_MAX_DEPTH)
        return VB_ELIMIT;
    vb_json_t *self = val->owner;
    if (val->kind == S_VAL_OBJECT)
        return VB_ESTATE;  //  Already searched with vb_json_find
    if (val->kind == S_VAL_ROOT) {
        if (self->root_use != S_ROOT_UNUSED)
            return VB_ESTATE;
        s_moved (self, self->root_start, val->depth);
    } else {
        if (!s_at_start (self, val->start, val->depth))
            return VB_ESTATE;
        s_moved (self, val->start, val->depth);
    }
    return 0;
}

static s_iter_t *
s_iter_set (s_val_t *val, vb_json_iter_t *iter)
{
    s_iter_t *state = s_iter (iter);
    state->owner = val->owner;
    state->generation = val->generation;
    state->depth = val->depth;
    state->is_root = val->kind == S_VAL_ROOT;
    state->start = val->kind == S_VAL_ROOT ? val->owner->root_start : val->start;
    state->state = S_ITER_FRESH;
    return state;
}

//  --------------------------------------------------------------------------
//  A container's iteration closed: check it closed cleanly, and that nothing
//  follows the root.

static int
s_iter_end (s_iter_t *iter)
{
    vb_json_t *self = iter->owner;
    iter->state = S_ITER_DONE;
    if (!self->document.is_alive ())
        return s_fail (self, VB_EINVAL);  //  simdjson abandoned the document on an error
    if (iter->is_root) {
        const char *location;
        if (self->document.current_location ().get (location) != simdjson::OUT_OF_BOUNDS)
            return s_fail (self, VB_EINVAL);  //  Text after the root value
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Start iterating a container (array or object): one body serves both
//  begins. `get` turns the value (or the root document) into the container,
//  and `store` places its first iterator into the iteration state.

template <typename Container, typename Iterator, typename Get, typename Store>
static int
s_container_begin (vb_json_val_t *handle, vb_json_iter_t *iter, Get get, Store store)
{
    assert (handle);
    assert (iter);
    s_val_t *val = s_val (handle);
    int rc = s_iter_begin (val, iter);
    if (rc)
        return rc;
    vb_json_t *self = val->owner;
    try {
        Container container;
        simdjson::error_code error = get (self, val, container);
        if (error)
            return s_error (self, error);
        Iterator begin;
        error = container.begin ().get (begin);
        if (error)
            return s_error (self, error);
        s_iter_t *state = s_iter_set (val, iter);
        if (val->kind == S_VAL_ROOT)
            self->root_use = S_ROOT_ITERATED;
        store (state, begin);
        return 0;
    } catch (...) {
        return s_fail (self, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  Start iterating an array.

int
vb_json_array_begin (vb_json_val_t *array, vb_json_iter_t *iter)
{
    return s_container_begin<od::array, od::array_iterator> (
        array, iter,
        [] (vb_json_t *self, s_val_t *val, od::array &container) {
            return val->kind == S_VAL_ROOT ? self->document.get_array ().get (container)
                                           : val->at.value.get_array ().get (container);
        },
        [] (s_iter_t *state, od::array_iterator &begin) {
            new (&state->at.array) od::array_iterator (begin);
        });
}

//  --------------------------------------------------------------------------
//  Step to the next element.

int
vb_json_array_next (vb_json_iter_t *iter, vb_json_val_t *out)
{
    assert (iter);
    assert (out);
    s_iter_t *state = s_iter (iter);
    s_val_refuse (out);
    int rc = s_usable (state->owner, state->generation);
    if (rc)
        return rc;
    if (state->state == S_ITER_DONE)
        return 0;
    vb_json_t *self = state->owner;
    try {
        s_moved (self, state->start, state->depth);
        if (state->state == S_ITER_STARTED) {
            if (!s_can_resume (self, state->start, state->depth))
                return VB_ESTATE;
            ++state->at.array;
        } else if (state->at.array != state->at.array &&
                   !s_at_first (self, state->start, state->depth + 1))
            return VB_ESTATE;
        if (!(state->at.array != state->at.array))
            return s_iter_end (state);
        od::value element;
        simdjson::error_code error = (*state->at.array).get (element);
        if (error)
            return s_error (self, error);
        state->state = S_ITER_STARTED;
        s_val_set (out, self, state->depth + 1, S_VAL_VALUE, element);
        return 1;
    } catch (...) {
        return s_fail (self, VB_EINVAL);
    }
}

//  --------------------------------------------------------------------------
//  Start iterating an object.

int
vb_json_object_begin (vb_json_val_t *object, vb_json_iter_t *iter)
{
    return s_container_begin<od::object, od::object_iterator> (
        object, iter,
        [] (vb_json_t *self, s_val_t *val, od::object &container) {
            return val->kind == S_VAL_ROOT ? self->document.get_object ().get (container)
                                           : val->at.value.get_object ().get (container);
        },
        [] (s_iter_t *state, od::object_iterator &begin) {
            new (&state->at.object) od::object_iterator (begin);
        });
}

//  --------------------------------------------------------------------------
//  Step to the next field; the key is raw, up to its closing quote.

int
vb_json_object_next (vb_json_iter_t *iter, const char **key, size_t *key_length, vb_json_val_t *out)
{
    assert (iter);
    assert (key);
    assert (key_length);
    assert (out);
    s_iter_t *state = s_iter (iter);
    s_val_refuse (out);
    int rc = s_usable (state->owner, state->generation);
    if (rc)
        return rc;
    if (state->state == S_ITER_DONE)
        return 0;
    vb_json_t *self = state->owner;
    try {
        s_moved (self, state->start, state->depth);
        if (state->state == S_ITER_STARTED) {
            if (!s_can_resume (self, state->start, state->depth))
                return VB_ESTATE;
            ++state->at.object;
        } else if (state->at.object != state->at.object &&
                   !s_at_first (self, state->start, state->depth))
            return VB_ESTATE;
        if (!(state->at.object != state->at.object))
            return s_iter_end (state);
        od::field field;
        simdjson::error_code error = (*state->at.object).get (field);
        if (error)
            return s_error (self, error);

        //  The key starts after its opening quote; stage 1 checked that the
        //  string closes inside the document.
        const char *start = field.key ().raw ();
        const char *end = self->buffer.get () + self->size;
        const char *at = start;
        while (at < end && *at != '"')
            at += *at == '\\' ? 2 : 1;
        if (at >= end)
            return s_fail (self, VB_EINVAL);
        state->state = S_ITER_STARTED;
        *key = start;
        *key_length = (size_t)(at - start);
        s_val_set (out, self, state->depth + 1, S_VAL_VALUE, field.value ());
        return 1;
    } catch (...) {
        return s_fail (self, VB_EINVAL);
    }
}
