/*  fuzz_decimal.c — libFuzzer target for vb_decimal.

    Parses the input bytes as a decimal. When that succeeds, formatting and
    parsing again must give an equal value at the same exponent; then the
    value is compared, added, subtracted and rescaled against a second value
    read from the input's head, which must never crash or trip a sanitizer.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "vb_decimal.h"
#include "vb_error.h"

//  Bytes of the input read as a raw second operand (mantissa, exponent).
#define S_RAW_SIZE (sizeof (int64_t) + sizeof (int32_t))

//  --------------------------------------------------------------------------
//  Check the algebra that must hold between two values, whatever they are.

static void
s_check_pair (vb_decimal_t a, vb_decimal_t b)
{
    int order = vb_decimal_cmp (a, b);
    if (order != -vb_decimal_cmp (b, a) || order < -1 || order > 1)
        abort ();
    if (vb_decimal_cmp (a, a) != 0)
        abort ();
    vb_decimal_t sum, difference, back;
    if (vb_decimal_add (a, b, &sum) == 0) {
        //  (a + b) - b == a, exactly, when it fits.
        if (vb_decimal_sub (sum, b, &back) == 0 && vb_decimal_cmp (back, a) != 0)
            abort ();
    }
    if (vb_decimal_sub (a, b, &difference) == 0) {
        int sign = (difference.mantissa > 0) - (difference.mantissa < 0);
        if (sign != order)
            abort ();
    }
    vb_decimal_t scaled;
    if (vb_decimal_rescale (a, b.exponent, &scaled) == 0) {
        if (vb_decimal_cmp (scaled, a) != 0 || scaled.exponent != b.exponent)
            abort ();
    }
    (void)vb_decimal_is_zero (a);
    (void)vb_decimal_is_negative (b);
}

//  --------------------------------------------------------------------------
//  One input: parse, round-trip, arithmetic.

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    //  Copy to an exact-size heap buffer so ASan sees any read past the end.
    char *text = (char *)malloc (size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy (text, data, size);
    vb_decimal_t value;
    int rc = vb_decimal_parse (text, size, &value);
    if (rc != 0 && rc != VB_EINVAL && rc != VB_EOVERFLOW)
        abort ();
    if (rc == 0) {
        char formatted[VB_DECIMAL_TEXT_MAX];
        int length = vb_decimal_format (value, formatted, sizeof formatted);
        if (length <= 0 || (size_t)length >= sizeof formatted)
            abort ();
        //  A non-positive exponent round-trips exactly. A positive one
        //  prints its zeros, so the text reads back at exponent 0: the same
        //  value when its digits fit an int64, VB_EOVERFLOW when they do not.
        vb_decimal_t again;
        int again_rc = vb_decimal_parse (formatted, (size_t)length, &again);
        if (value.exponent <= 0) {
            if (again_rc != 0 || again.mantissa != value.mantissa ||
                again.exponent != value.exponent)
                abort ();
        } else if (again_rc == 0) {
            if (vb_decimal_cmp (again, value) != 0 || again.exponent != 0)
                abort ();
        } else if (again_rc != VB_EOVERFLOW)
            abort ();
        //  Too small a buffer is reported, never overrun.
        if (vb_decimal_format (value, formatted, (size_t)length) != VB_ETRUNC)
            abort ();
    } else
        value = (vb_decimal_t){0, 0};

    //  A second operand straight from the bytes: any mantissa, any exponent.
    vb_decimal_t raw = {0, 0};
    if (size >= S_RAW_SIZE) {
        memcpy (&raw.mantissa, data, sizeof raw.mantissa);
        memcpy (&raw.exponent, data + sizeof raw.mantissa, sizeof raw.exponent);
    }
    s_check_pair (value, raw);
    s_check_pair (raw, value);
    char formatted[VB_DECIMAL_TEXT_MAX];
    int length = vb_decimal_format (raw, formatted, sizeof formatted);
    if (length < 0 && length != VB_EOVERFLOW)
        abort ();
    free (text);
    return 0;
}
