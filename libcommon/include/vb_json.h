/*  vb_json.h — hot-path JSON access, allocation-free after warm-up.

    A C face on simdjson On-Demand (Debian's libsimdjson-dev) through a small
    C++ shim (vb_json.cpp). One vb_json_t parser is reused for every message,
    so its buffers stay hot and nothing is allocated per message once it has
    grown to the largest message seen.

    On-Demand is forward-only: values are read as the parser walks the text.
    Rules for callers:
    - a vb_json_val_t or vb_json_iter_t is valid until the next vb_json_parse
      on the same parser (a stale one is refused with VB_EINVAL, never read);
    - read the fields of an object in document order where you can (lookup out
      of order works, but rescans); do not read a value again after you have
      moved on to a later sibling; on one object, either look fields up with
      vb_json_find or iterate it, not both;
    - every accessor returns 0 or a negative VB_E* code and never crashes on
      hostile input. VB_ENOTFOUND, VB_ETYPE, VB_EOVERFLOW and VB_ELIMIT leave
      the document usable (try another key or type). Any other error ends the
      document: every later call on it returns VB_EINVAL until the next parse.
    Numbers can be read as their raw text, so prices sent as JSON numbers
    (Kraken v2) become exact decimals without ever passing through a double.

    What is validated, and when:
    - at parse: the size limit, the whole text as UTF-8, string quoting and
      control characters, and that the document is not empty;
    - a root object or array must end with its matching } or ], so trailing
      text such as `{...} x` is refused when the root is first used; a second
      value after the root (`{...} {...}`) is found when the root is iterated
      to its end (vb_json_array_next / vb_json_object_next then return
      VB_EINVAL instead of 0), and for a scalar root when it is read;
    - everything else lazily: a value's syntax is checked when it is read, and
      the commas and brackets between values when they are stepped over.
      Values that are never read are only skipped, not checked: `{"a":1,
      "b":tru}` gives a = 1 if b is never read or iterated over.
    - vb_json_type looks at the first byte only, except for true, false and
      null, which it checks in full.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_JSON_H_INCLUDED
#define VB_JSON_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vb_decimal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_json_t vb_json_t;

//  Opaque views into the current document: storage for the shim's simdjson
//  objects (sizes checked by static_assert in vb_json.cpp). A union keeps it
//  8-byte aligned in both C and C++. Plain values; copy them freely.
typedef union {
    unsigned char opaque[48];  //  Shim state
    uint64_t align;            //  Alignment only
} vb_json_val_t;
typedef union {
    unsigned char opaque[64];  //  Shim state
    uint64_t align;            //  Alignment only
} vb_json_iter_t;

typedef enum {
    VB_JSON_INVALID = 0,
    VB_JSON_NULL,
    VB_JSON_BOOL,
    VB_JSON_NUMBER,
    VB_JSON_STRING,
    VB_JSON_ARRAY,
    VB_JSON_OBJECT,
} vb_json_type_t;

//  Largest document accepted, in bytes. Larger input is VB_ELIMIT.
#define VB_JSON_MAX_SIZE (16u * 1024u * 1024u)

//  Deepest array or object nesting that can be entered (the root is depth
//  1). Beginning to iterate a deeper one is VB_ELIMIT, so a recursive walker
//  has bounded stack depth. Deeper values can still be skipped over.
#define VB_JSON_MAX_DEPTH 64

//  Create a parser. Returns NULL on allocation failure.
vb_json_t *vb_json_new (void);

//  Destroy the parser and everything borrowed from it. Safe on NULL and twice.
void vb_json_destroy (vb_json_t **self_p);

//  Start a document over `size` bytes of `data` (copied into the parser's
//  padded buffer, so data need not outlive the call) and set `root` to it.
//  Returns 0, VB_ELIMIT for oversize input, VB_ENOMEM when the buffers cannot
//  grow, or VB_EINVAL (empty, not UTF-8, unclosed string, ...). On error
//  `root` is set to a value that every accessor refuses.
int vb_json_parse (vb_json_t *self, const char *data, size_t size, vb_json_val_t *root);

//  The type of a value, or VB_JSON_INVALID on error (see above for what is
//  checked).
vb_json_type_t vb_json_type (vb_json_val_t *value);

//  Find `key` in an object, comparing it with the raw key text (escapes in
//  the document's keys are not decoded). Returns 0, VB_ENOTFOUND, VB_ETYPE
//  (not an object) or VB_EINVAL (malformed). On error `out` is set to a value
//  that every accessor refuses.
int vb_json_find (vb_json_val_t *object, const char *key, vb_json_val_t *out);

//  Scalars. Strings are unescaped and borrowed from the parser (not
//  NUL-terminated; valid until the next parse); a string without escapes
//  points into the parser's copy of the input, a string with escapes is
//  decoded into a scratch buffer as large as the document, so reading the
//  same escaped strings over and over can end with VB_ELIMIT. Return 0,
//  VB_ETYPE, VB_EOVERFLOW (integer out of range), VB_ELIMIT or VB_EINVAL.
int vb_json_string (vb_json_val_t *value, const char **text, size_t *length);
int vb_json_int64 (vb_json_val_t *value, int64_t *out);
int vb_json_uint64 (vb_json_val_t *value, uint64_t *out);
int vb_json_bool (vb_json_val_t *value, bool *out);

//  The raw text of a number token (no surrounding white space), checked
//  against the JSON number grammar. Returns 0, VB_ETYPE or VB_EINVAL.
int vb_json_number_text (vb_json_val_t *value, const char **text, size_t *length);

//  An exact decimal from a JSON string ("65000.10") or a JSON number
//  (65000.10), through vb_decimal_parse, so the scale is kept. Returns 0,
//  VB_ETYPE (neither), or vb_decimal_parse's VB_EINVAL / VB_EOVERFLOW for
//  text that is not a decimal (which leaves the document usable).
int vb_json_decimal (vb_json_val_t *value, vb_decimal_t *out);

//  Iterate an array: begin, then next until it returns 0 (end). next returns
//  1 with `out` set, 0 at the end, or a negative VB_E* code. begin returns 0,
//  VB_ETYPE, VB_ELIMIT (deeper than VB_JSON_MAX_DEPTH) or VB_EINVAL.
int vb_json_array_begin (vb_json_val_t *array, vb_json_iter_t *iter);
int vb_json_array_next (vb_json_iter_t *iter, vb_json_val_t *out);

//  Iterate an object's fields in document order, as with arrays. The key is
//  raw (escapes not decoded), borrowed, not NUL-terminated.
int vb_json_object_begin (vb_json_val_t *object, vb_json_iter_t *iter);
int vb_json_object_next (vb_json_iter_t *iter, const char **key, size_t *key_length,
                         vb_json_val_t *out);

#ifdef __cplusplus
}
#endif
#endif
