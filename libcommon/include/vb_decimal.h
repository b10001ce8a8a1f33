/*  vb_decimal.h — exact decimals: a venue's decimal string <-> scaled integer.

    value = mantissa x 10^exponent. Parsing keeps the scale the venue sent:
    "0.00100000" is mantissa 100000, exponent -8, so formatting gives the
    same string back, which the Kraken and OKX checksums need. Never a double.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_DECIMAL_H_INCLUDED
#define VB_DECIMAL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t mantissa;  //  Scaled integer
    int32_t exponent;  //  Power of ten: value = mantissa x 10^exponent
} vb_decimal_t;

//  Longest text vb_decimal_format can produce, with its NUL.
#define VB_DECIMAL_TEXT_MAX 48

//  Exponents vb_decimal_parse accepts and vb_decimal_format can print; any
//  value in this range formats within VB_DECIMAL_TEXT_MAX. Arithmetic and
//  comparison accept every int32 exponent.
#define VB_DECIMAL_EXPONENT_MIN (-40)
#define VB_DECIMAL_EXPONENT_MAX 24

//  Parse exactly `length` bytes of venue text: "65000.1", "-0.00012300", "1E-8",
//  "1.5e+3", "42", "+7", "000123.4500". The scale of the text is kept (see
//  above): the exponent is the text's exponent minus its fraction digits, so
//  "1.5e+3" is 15e2. Grammar, with no white space: [+-] digits [. digits]
//  [(e|E) [+-] digits]; a '.' needs a digit on both sides ("1." and ".5" are
//  VB_EINVAL). Leading zeros are not significant. "-0" parses as zero (the
//  sign of zero is not kept). Returns 0, or VB_EINVAL for garbage (empty,
//  stray bytes, bad exponent; text may be NULL only with length 0) and
//  VB_EOVERFLOW when the significant digits do not fit an int64 mantissa
//  ("-9223372036854775808" still fits) or the resulting exponent is outside
//  VB_DECIMAL_EXPONENT_MIN..MAX. On error *out is untouched. Never reads past
//  text + length. No locale, no allocation.
int vb_decimal_parse (const char *text, size_t length, vb_decimal_t *out);

//  Format into buffer as plain decimal text with exactly -exponent fraction
//  digits (none when exponent >= 0; zeros are appended for a positive
//  exponent, except for zero, which is "0"). Formatting what vb_decimal_parse
//  read from canonical text (no '+', no leading zeros, no exponent) gives
//  that text back. Returns the length written (without the NUL), VB_ETRUNC
//  when buffer is too small (nothing is written), or VB_EOVERFLOW when the
//  exponent is outside VB_DECIMAL_EXPONENT_MIN..MAX.
int vb_decimal_format (vb_decimal_t value, char *buffer, size_t size);

//  Compare exactly, whatever the two exponents. Returns -1, 0 or 1.
int vb_decimal_cmp (vb_decimal_t a, vb_decimal_t b);

//  a + b and a - b at the common (smaller) exponent. Returns 0, or
//  VB_EOVERFLOW when an operand or the result does not fit an int64 at that
//  exponent (*out is then untouched).
int vb_decimal_add (vb_decimal_t a, vb_decimal_t b, vb_decimal_t *out);
int vb_decimal_sub (vb_decimal_t a, vb_decimal_t b, vb_decimal_t *out);

//  Express value at `exponent` exactly. Returns 0, VB_EOVERFLOW when it does
//  not fit, or VB_EINVAL when digits would be lost (no rounding, ever). Zero
//  rescales to any exponent. On error *out is untouched.
int vb_decimal_rescale (vb_decimal_t value, int32_t exponent, vb_decimal_t *out);

//  True when the value is zero, or negative, at any scale.
bool vb_decimal_is_zero (vb_decimal_t value);
bool vb_decimal_is_negative (vb_decimal_t value);

#ifdef __cplusplus
}
#endif
#endif
