/*  vb_decimal.c — exact decimals: a venue's decimal string <-> scaled integer.

    The parser is one pass over the bytes with no locale, no strtod and no
    allocation: digits accumulate into an unsigned 64-bit integer (19 decimal
    digits always fit), the scale is the number of fraction digits, and an
    optional exponent shifts it. Comparison and rescaling go through 128-bit
    products, so no path can overflow silently.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <limits.h>
#include <string.h>
#include "vb_decimal.h"
#include "vb_error.h"

//  Most significant digits an int64 mantissa can hold (INT64_MAX has 19).
#define S_DIGITS_MAX 19
//  Largest exponent value read from text before we stop accumulating; far
//  beyond any accepted exponent, small enough never to overflow int64.
#define S_EXPONENT_TEXT_CAP 1000000
//  Powers of ten that fit an uint64: 10^0 .. 10^19.
#define S_POW10_COUNT 20

__extension__ typedef __int128 s_int128_t;

static const uint64_t s_pow10[S_POW10_COUNT] = {1ULL,
                                                10ULL,
                                                100ULL,
                                                1000ULL,
                                                10000ULL,
                                                100000ULL,
                                                1000000ULL,
                                                10000000ULL,
                                                100000000ULL,
                                                1000000000ULL,
                                                10000000000ULL,
                                                100000000000ULL,
                                                1000000000000ULL,
                                                10000000000000ULL,
                                                100000000000000ULL,
                                                1000000000000000ULL,
                                                10000000000000000ULL,
                                                100000000000000000ULL,
                                                1000000000000000000ULL,
                                                10000000000000000000ULL};

//  --------------------------------------------------------------------------
//  Parse exactly `length` bytes. Grammar (no white space anywhere):
//      [+-] digits [ '.' digits ] [ ('e'|'E') [+-] digits ]
//  with at least one digit on each side of a '.', as in JSON (plus a leading
//  '+'). Leading zeros are accepted and do not count as significant digits.

int
vb_decimal_parse (const char *text, size_t length, vb_decimal_t *out)
{
    assert (out);
    if (!text || length == 0)
        return VB_EINVAL;

    const unsigned char *cursor = (const unsigned char *)text;
    const unsigned char *limit = cursor + length;
    bool negative = false;
    if (*cursor == '-' || *cursor == '+') {
        negative = *cursor == '-';
        cursor++;
    }
    uint64_t mantissa = 0;
    int significant = 0;  //  Digits counted from the first non-zero one
    int64_t exponent = 0;

    //  Integer part.
    const unsigned char *start = cursor;
    while (cursor < limit && (unsigned)(*cursor - '0') < 10) {
        unsigned digit = *cursor - '0';
        if (mantissa || digit) {
            if (++significant > S_DIGITS_MAX)
                return VB_EOVERFLOW;
            mantissa = mantissa * 10 + digit;
        }
        cursor++;
    }
    if (cursor == start)
        return VB_EINVAL;  //  "", "-", ".5", "e5"

    //  Fraction part: every digit, significant or not, moves the scale.
    if (cursor < limit && *cursor == '.') {
        cursor++;
        start = cursor;
        while (cursor < limit && (unsigned)(*cursor - '0') < 10) {
            unsigned digit = *cursor - '0';
            if (mantissa || digit) {
                if (++significant > S_DIGITS_MAX)
                    return VB_EOVERFLOW;
                mantissa = mantissa * 10 + digit;
            }
            cursor++;
        }
        if (cursor == start)
            return VB_EINVAL;  //  "1." or "1.e5"
        exponent = -(int64_t)(cursor - start);
    }

    //  Exponent part.
    if (cursor < limit && (*cursor == 'e' || *cursor == 'E')) {
        cursor++;
        bool exponent_negative = false;
        if (cursor < limit && (*cursor == '-' || *cursor == '+')) {
            exponent_negative = *cursor == '-';
            cursor++;
        }
        start = cursor;
        int64_t shift = 0;
        while (cursor < limit && (unsigned)(*cursor - '0') < 10) {
            if (shift < S_EXPONENT_TEXT_CAP)
                shift = shift * 10 + (*cursor - '0');
            cursor++;
        }
        if (cursor == start)
            return VB_EINVAL;  //  "1e", "1e+"
        exponent += exponent_negative ? -shift : shift;
    }
    if (cursor != limit)
        return VB_EINVAL;  //  Stray bytes
    if (exponent < VB_DECIMAL_EXPONENT_MIN || exponent > VB_DECIMAL_EXPONENT_MAX)
        return VB_EOVERFLOW;

    //  19 digits fit the uint64 accumulator; the int64 range is one wider on
    //  the negative side, so "-9223372036854775808" is INT64_MIN.
    if (negative) {
        if (mantissa > (uint64_t)INT64_MAX + 1)
            return VB_EOVERFLOW;
        out->mantissa = mantissa == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mantissa;
    } else {
        if (mantissa > (uint64_t)INT64_MAX)
            return VB_EOVERFLOW;
        out->mantissa = (int64_t)mantissa;
    }
    out->exponent = (int32_t)exponent;
    return 0;
}

//  --------------------------------------------------------------------------
//  Format as plain text with -exponent fraction digits. The digits are built
//  right to left in a scratch buffer, then copied once the length is known.

int
vb_decimal_format (vb_decimal_t value, char *buffer, size_t size)
{
    assert (buffer || size == 0);
    if (value.exponent < VB_DECIMAL_EXPONENT_MIN || value.exponent > VB_DECIMAL_EXPONENT_MAX)
        return VB_EOVERFLOW;

    //  Magnitude as unsigned, valid for INT64_MIN too.
    uint64_t magnitude =
        value.mantissa < 0 ? 0 - (uint64_t)value.mantissa : (uint64_t)value.mantissa;
    char digits[S_DIGITS_MAX + 1];
    int count = 0;
    do {
        digits[count++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);

    char text[VB_DECIMAL_TEXT_MAX];
    size_t length = 0;
    if (value.mantissa < 0)
        text[length++] = '-';
    if (value.exponent >= 0) {
        while (count)
            text[length++] = digits[--count];
        if (value.mantissa != 0)
            for (int32_t zero = 0; zero < value.exponent; zero++)
                text[length++] = '0';
    } else {
        int fraction = -value.exponent;
        if (count <= fraction) {
            text[length++] = '0';
            text[length++] = '.';
            for (int zero = count; zero < fraction; zero++)
                text[length++] = '0';
            while (count)
                text[length++] = digits[--count];
        } else {
            while (count > fraction)
                text[length++] = digits[--count];
            text[length++] = '.';
            while (count)
                text[length++] = digits[--count];
        }
    }
    assert (length < VB_DECIMAL_TEXT_MAX);
    if (length + 1 > size)
        return VB_ETRUNC;
    memcpy (buffer, text, length);
    buffer[length] = '\0';
    return (int)length;
}

//  --------------------------------------------------------------------------
//  Scale mantissa by 10^shift (shift >= 0) into an int128. Returns false when
//  the magnitude would pass 10^38, which means it is beyond any int64 anyway
//  and the caller can decide by sign alone.

static bool
s_scale_up (int64_t mantissa, int64_t shift, s_int128_t *out)
{
    if (mantissa == 0) {
        *out = 0;
        return true;
    }
    if (shift >= S_POW10_COUNT)
        return false;
    *out = (s_int128_t)mantissa * (s_int128_t)s_pow10[shift];
    return true;
}

//  --------------------------------------------------------------------------
//  Compare exactly. Both values go to the smaller exponent in 128 bits; when
//  the shift is too large for that, the shifted value dominates.

int
vb_decimal_cmp (vb_decimal_t a, vb_decimal_t b)
{
    if (a.exponent == b.exponent)
        return (a.mantissa > b.mantissa) - (a.mantissa < b.mantissa);
    int sign_a = (a.mantissa > 0) - (a.mantissa < 0);
    int sign_b = (b.mantissa > 0) - (b.mantissa < 0);
    if (sign_a != sign_b || sign_a == 0)
        return (sign_a > sign_b) - (sign_a < sign_b);

    //  Same non-zero sign, different exponents.
    s_int128_t left = a.mantissa, right = b.mantissa;
    if (a.exponent > b.exponent) {
        if (!s_scale_up (a.mantissa, (int64_t)a.exponent - b.exponent, &left))
            return sign_a;  //  |a| >= 10^20 > |b|
    } else if (!s_scale_up (b.mantissa, (int64_t)b.exponent - a.exponent, &right))
        return -sign_b;  //  |b| >= 10^20 > |a|
    return (left > right) - (left < right);
}

//  --------------------------------------------------------------------------
//  Express value at a smaller or larger exponent, exactly.

int
vb_decimal_rescale (vb_decimal_t value, int32_t exponent, vb_decimal_t *out)
{
    assert (out);
    if (exponent == value.exponent || value.mantissa == 0) {
        out->mantissa = value.mantissa;
        out->exponent = exponent;
        return 0;
    }
    if (exponent < value.exponent) {
        s_int128_t scaled;
        if (!s_scale_up (value.mantissa, (int64_t)value.exponent - exponent, &scaled) ||
            scaled > INT64_MAX || scaled < INT64_MIN)
            return VB_EOVERFLOW;
        out->mantissa = (int64_t)scaled;
    } else {
        int64_t shift = (int64_t)exponent - value.exponent;
        //  |mantissa| < 10^19, so a shift of 19 or more leaves a remainder.
        if (shift >= S_POW10_COUNT - 1)
            return VB_EINVAL;
        int64_t divisor = (int64_t)s_pow10[shift];
        if (value.mantissa % divisor != 0)
            return VB_EINVAL;
        out->mantissa = value.mantissa / divisor;
    }
    out->exponent = exponent;
    return 0;
}

//  --------------------------------------------------------------------------
//  Bring both operands to the smaller exponent, then add with an overflow
//  check. `negate` subtracts b instead.

static int
s_add (vb_decimal_t a, vb_decimal_t b, bool negate, vb_decimal_t *out)
{
    assert (out);
    int32_t exponent = a.exponent < b.exponent ? a.exponent : b.exponent;
    vb_decimal_t left, right;
    int rc = vb_decimal_rescale (a, exponent, &left);
    if (rc == 0)
        rc = vb_decimal_rescale (b, exponent, &right);
    if (rc != 0)
        return VB_EOVERFLOW;
    int64_t result;
    bool overflow = negate ? __builtin_sub_overflow (left.mantissa, right.mantissa, &result)
                           : __builtin_add_overflow (left.mantissa, right.mantissa, &result);
    if (overflow)
        return VB_EOVERFLOW;
    out->mantissa = result;
    out->exponent = exponent;
    return 0;
}

//  --------------------------------------------------------------------------
//  a + b at the common (smaller) exponent.

int
vb_decimal_add (vb_decimal_t a, vb_decimal_t b, vb_decimal_t *out)
{
    return s_add (a, b, false, out);
}

//  --------------------------------------------------------------------------
//  a - b at the common (smaller) exponent.

int
vb_decimal_sub (vb_decimal_t a, vb_decimal_t b, vb_decimal_t *out)
{
    return s_add (a, b, true, out);
}

//  --------------------------------------------------------------------------
//  True when the value is zero at any scale.

bool
vb_decimal_is_zero (vb_decimal_t value)
{
    return value.mantissa == 0;
}

//  --------------------------------------------------------------------------
//  True when the value is below zero.

bool
vb_decimal_is_negative (vb_decimal_t value)
{
    return value.mantissa < 0;
}
