/*  fuzz_json.c — arbitrary bytes through vb_json: parse, then walk the whole
    document generically, reading every scalar every way it can be read.

    One parser is reused across inputs, as in production, so state left
    behind by a bad document is exercised too. Every return code is checked
    against the documented set; anything else aborts.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "vb_error.h"
#include "vb_json.h"

static vb_json_t *s_json;

//  --------------------------------------------------------------------------
//  Abort unless rc is one of the codes an accessor may return.

static void
s_check (int rc)
{
    if (rc != 0 && rc != VB_EINVAL && rc != VB_ETYPE && rc != VB_EOVERFLOW && rc != VB_ELIMIT &&
        rc != VB_ENOTFOUND)
        abort ();
}

//  --------------------------------------------------------------------------
//  Touch every byte of a borrowed text, so ASan sees any bad pointer.

static void
s_touch (const char *text, size_t length)
{
    volatile unsigned char sum = 0;
    for (size_t index = 0; index < length; index++)
        sum += (unsigned char)text[index];
    (void)sum;
}

//  --------------------------------------------------------------------------
//  Read a scalar as everything it might be.

static int
s_read_scalar (vb_json_val_t *value)
{
    const char *text;
    size_t length;
    int64_t signed_number;
    uint64_t unsigned_number;
    bool flag;
    vb_decimal_t decimal;
    int rc;

    rc = vb_json_string (value, &text, &length);
    s_check (rc);
    if (rc == 0)
        s_touch (text, length);
    rc = vb_json_number_text (value, &text, &length);
    s_check (rc);
    if (rc == 0) {
        s_touch (text, length);
        if (length == 0)
            abort ();
    }
    s_check (vb_json_int64 (value, &signed_number));
    s_check (vb_json_uint64 (value, &unsigned_number));
    s_check (vb_json_bool (value, &flag));
    s_check (vb_json_decimal (value, &decimal));
    return 0;
}

//  --------------------------------------------------------------------------
//  Walk a value and everything under it.

static int
s_walk (vb_json_val_t *value)
{
    vb_json_iter_t iter;
    vb_json_val_t child;
    const char *key;
    size_t key_length;
    int rc;
    switch (vb_json_type (value)) {
        case VB_JSON_ARRAY:
            rc = vb_json_array_begin (value, &iter);
            s_check (rc);
            if (rc)
                return rc;
            while ((rc = vb_json_array_next (&iter, &child)) == 1)
                if (s_walk (&child))
                    break;
            s_check (rc < 0 ? rc : 0);
            return rc;
        case VB_JSON_OBJECT:
            rc = vb_json_object_begin (value, &iter);
            s_check (rc);
            if (rc)
                return rc;
            while ((rc = vb_json_object_next (&iter, &key, &key_length, &child)) == 1) {
                s_touch (key, key_length);
                if (s_walk (&child))
                    break;
            }
            s_check (rc < 0 ? rc : 0);
            return rc;
        case VB_JSON_INVALID:
            return VB_EINVAL;
        default:
            return s_read_scalar (value);
    }
}

//  --------------------------------------------------------------------------
//  Also look a few keys up, out of order, which takes simdjson's rescan path.

static void
s_lookups (const uint8_t *data, size_t size)
{
    vb_json_val_t root, field, inner;
    if (vb_json_parse (s_json, (const char *)data, size, &root))
        return;
    static const char *const keys[] = {"data", "a", "", "e", "b", "a"};
    for (size_t index = 0; index < sizeof (keys) / sizeof (keys[0]); index++) {
        int rc = vb_json_find (&root, keys[index], &field);
        s_check (rc);
        if (rc == 0) {
            s_check (vb_json_find (&field, "b", &inner));
            s_read_scalar (&field);
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_json) {
        s_json = vb_json_new ();
        if (!s_json)
            abort ();
    }
    vb_json_val_t root;
    int rc = vb_json_parse (s_json, (const char *)data, size, &root);
    if (rc != 0 && rc != VB_EINVAL && rc != VB_ELIMIT)
        abort ();
    if (rc == 0)
        s_walk (&root);
    s_lookups (data, size);
    return 0;
}
