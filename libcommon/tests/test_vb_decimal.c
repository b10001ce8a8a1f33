/*  test_vb_decimal.c — exact decimal parse, format, compare and arithmetic.

    Every expected value here is worked out by hand from the text: the
    mantissa is the digits without the point, the exponent is minus the
    number of fraction digits plus any written exponent.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>
#include "vb_decimal.h"
#include "vb_error.h"

//  Parse a NUL-terminated string.
static int
s_parse (const char *text, vb_decimal_t *out)
{
    return vb_decimal_parse (text, strlen (text), out);
}

//  Parse text, asserting success, and return the value.
static vb_decimal_t
s_value (const char *text)
{
    vb_decimal_t value = {0, 0};
    int rc = s_parse (text, &value);
    cr_assert_eq (rc, 0, "parse \"%s\" failed: %d", text, rc);
    return value;
}

//  Assert that text parses to mantissa x 10^exponent.
static void
s_expect (const char *text, int64_t mantissa, int32_t exponent)
{
    vb_decimal_t value = s_value (text);
    cr_assert_eq (value.mantissa, mantissa, "\"%s\": mantissa %lld, want %lld", text,
                  (long long)value.mantissa, (long long)mantissa);
    cr_assert_eq (value.exponent, exponent, "\"%s\": exponent %d, want %d", text,
                  (int)value.exponent, (int)exponent);
}

//  Assert that text is rejected with code, and that out is left untouched.
static void
s_reject (const char *text, size_t length, int code)
{
    vb_decimal_t value = {77, 7};
    int rc = vb_decimal_parse (text, length, &value);
    cr_assert_eq (rc, code, "\"%.*s\": rc %d, want %d", (int)length, text ? text : "", rc, code);
    cr_assert_eq (value.mantissa, 77);
    cr_assert_eq (value.exponent, 7);
}

//  Assert that formatting the parsed text gives it back unchanged.
static void
s_round_trip (const char *text)
{
    char buffer[VB_DECIMAL_TEXT_MAX];
    int length = vb_decimal_format (s_value (text), buffer, sizeof buffer);
    cr_assert_eq (length, (int)strlen (text), "\"%s\" formatted as \"%s\"", text, buffer);
    cr_assert_str_eq (buffer, text);
}

Test (vb_decimal, usage_example)
{
    //  A venue price keeps its scale, compares exactly and prints back as sent.
    vb_decimal_t price;
    cr_assert_eq (vb_decimal_parse ("0.00012300", 10, &price), 0);
    cr_assert_eq (price.mantissa, 12300);
    cr_assert_eq (price.exponent, -8);
    char text[VB_DECIMAL_TEXT_MAX];
    cr_assert_eq (vb_decimal_format (price, text, sizeof text), 10);
    cr_assert_str_eq (text, "0.00012300");
    cr_assert_eq (vb_decimal_cmp (price, s_value ("0.000123")), 0);
    vb_decimal_t sum;
    cr_assert_eq (vb_decimal_add (price, s_value ("1"), &sum), 0);
    cr_assert_eq (vb_decimal_format (sum, text, sizeof text), 10);
    cr_assert_str_eq (text, "1.00012300");
}

Test (vb_decimal, parses_plain_fraction_and_exponent_forms)
{
    s_expect ("65000.1", 650001, -1);
    s_expect ("42", 42, 0);
    s_expect ("0", 0, 0);
    s_expect ("0.00000000", 0, -8);
    s_expect ("1E-8", 1, -8);
    s_expect ("1e-8", 1, -8);
    s_expect ("1.5e+3", 15, 2);  //  1.5 x 10^3 = 15 x 10^2
    s_expect ("1.5E3", 15, 2);
    s_expect ("2.50e-2", 250, -4);
    s_expect ("+7", 7, 0);
    s_expect ("-7.25", -725, -2);
    s_expect ("-0.00012300", -12300, -8);
    s_expect ("1e0", 1, 0);
    s_expect ("1e-000000000000000000000000008", 1, -8);  //  Leading zeros in the exponent
}

Test (vb_decimal, keeps_scale_but_not_leading_zeros)
{
    s_expect ("000123.4500", 1234500, -4);
    s_expect ("45281.0", 452810, -1);
    s_expect ("0.000000000000000000000000000000000001", 1, -36);
    //  21 leading zeros are not significant and do not overflow.
    s_expect ("000000000000000000000123", 123, 0);
}

Test (vb_decimal, negative_zero_is_zero)
{
    vb_decimal_t value = s_value ("-0.00");
    cr_assert_eq (value.mantissa, 0);
    cr_assert_eq (value.exponent, -2);
    cr_assert (vb_decimal_is_zero (value));
    cr_assert_not (vb_decimal_is_negative (value));
    cr_assert_eq (vb_decimal_cmp (value, s_value ("0")), 0);
    char text[VB_DECIMAL_TEXT_MAX];
    cr_assert_eq (vb_decimal_format (value, text, sizeof text), 4);
    cr_assert_str_eq (text, "0.00");
}

Test (vb_decimal, rejects_garbage)
{
    s_reject ("", 0, VB_EINVAL);
    s_reject (NULL, 0, VB_EINVAL);
    s_reject ("-", 1, VB_EINVAL);
    s_reject ("+", 1, VB_EINVAL);
    s_reject (".", 1, VB_EINVAL);
    s_reject ("1.", 2, VB_EINVAL);
    s_reject (".5", 2, VB_EINVAL);
    s_reject ("-.5", 3, VB_EINVAL);
    s_reject ("1e", 2, VB_EINVAL);
    s_reject ("1e+", 3, VB_EINVAL);
    s_reject ("1e-", 3, VB_EINVAL);
    s_reject ("e5", 2, VB_EINVAL);
    s_reject ("1.e5", 4, VB_EINVAL);
    s_reject ("--1", 3, VB_EINVAL);
    s_reject ("+-1", 3, VB_EINVAL);
    s_reject (" 1", 2, VB_EINVAL);
    s_reject ("1 ", 2, VB_EINVAL);
    s_reject ("1,5", 3, VB_EINVAL);
    s_reject ("1.2.3", 5, VB_EINVAL);
    s_reject ("0x10", 4, VB_EINVAL);
    s_reject ("nan", 3, VB_EINVAL);
    s_reject ("inf", 3, VB_EINVAL);
    s_reject ("1e5x", 4, VB_EINVAL);
    s_reject ("\"1\"", 3, VB_EINVAL);
    //  An embedded NUL is a stray byte, not an end of text.
    s_reject ("12\0"
              "3",
              4, VB_EINVAL);
}

Test (vb_decimal, never_reads_past_length)
{
    //  Only the first 4 bytes count: the rest would be garbage.
    vb_decimal_t value;
    cr_assert_eq (vb_decimal_parse ("12.5xyz", 4, &value), 0);
    cr_assert_eq (value.mantissa, 125);
    cr_assert_eq (value.exponent, -1);
    cr_assert_eq (vb_decimal_parse ("12.5xyz", 3, &value), VB_EINVAL);  //  "12."
    //  A buffer with no terminator at all, checked by ASan in the sanitizer build.
    char *exact = malloc (3);
    cr_assert_not_null (exact);
    memcpy (exact, "1e7", 3);
    cr_assert_eq (vb_decimal_parse (exact, 3, &value), 0);
    cr_assert_eq (value.mantissa, 1);
    cr_assert_eq (value.exponent, 7);
    free (exact);
}

Test (vb_decimal, handles_int64_limits)
{
    s_expect ("9223372036854775807", INT64_MAX, 0);
    s_expect ("-9223372036854775808", INT64_MIN, 0);
    s_expect ("-922337203.6854775808", INT64_MIN, -10);
    s_reject ("9223372036854775808", 19, VB_EOVERFLOW);
    s_reject ("-9223372036854775809", 20, VB_EOVERFLOW);
    s_reject ("9999999999999999999", 19, VB_EOVERFLOW);
    s_reject ("10000000000000000000", 20, VB_EOVERFLOW);
    s_reject ("0.12345678901234567890", 22, VB_EOVERFLOW);  //  20 significant digits
    s_reject ("123456789012345678901234567890", 30, VB_EOVERFLOW);
}

Test (vb_decimal, rejects_absurd_exponents)
{
    s_reject ("1e999999", 8, VB_EOVERFLOW);
    s_reject ("1e-999999", 9, VB_EOVERFLOW);
    s_reject ("1e99999999999999999999999999", 28, VB_EOVERFLOW);
    s_reject ("1e-99999999999999999999999999", 29, VB_EOVERFLOW);
    //  The limits themselves are accepted, one past them is not.
    s_expect ("1e24", 1, VB_DECIMAL_EXPONENT_MAX);
    s_expect ("1e-40", 1, VB_DECIMAL_EXPONENT_MIN);
    s_reject ("1e25", 4, VB_EOVERFLOW);
    s_reject ("1e-41", 5, VB_EOVERFLOW);
    //  Fraction digits and the exponent add up: 0.1 x 10^-40 = 1 x 10^-41.
    s_reject ("0.1e-40", 7, VB_EOVERFLOW);
    s_expect ("10.5e-39", 105, -40);
}

Test (vb_decimal, formats_back_the_exact_venue_text)
{
    const char *texts[] = {"0.00012300",
                           "65000.1",
                           "45281.0",
                           "0.00000500",
                           "37131.31000000",
                           "-1.5",
                           "0",
                           "0.0",
                           "1",
                           "9223372036854775807",
                           "-9223372036854775808",
                           "0.000022880",
                           "30236.1",
                           "2",
                           "-0.5",
                           "922337203.6854775807"};
    for (size_t index = 0; index < sizeof texts / sizeof texts[0]; index++)
        s_round_trip (texts[index]);
}

Test (vb_decimal, formats_positive_exponents_with_zeros)
{
    char text[VB_DECIMAL_TEXT_MAX];
    cr_assert_eq (vb_decimal_format (s_value ("1.5e+3"), text, sizeof text), 4);
    cr_assert_str_eq (text, "1500");
    cr_assert_eq (vb_decimal_format ((vb_decimal_t){-12, 3}, text, sizeof text), 6);
    cr_assert_str_eq (text, "-12000");
    cr_assert_eq (vb_decimal_format ((vb_decimal_t){0, 5}, text, sizeof text), 1);
    cr_assert_str_eq (text, "0");
    cr_assert_eq (vb_decimal_format ((vb_decimal_t){5, -3}, text, sizeof text), 5);
    cr_assert_str_eq (text, "0.005");
}

Test (vb_decimal, format_of_the_longest_values_fits_text_max)
{
    char text[VB_DECIMAL_TEXT_MAX];
    //  -9223372036854775808 followed by 24 zeros: 1 + 19 + 24 = 44 characters.
    cr_assert_eq (
        vb_decimal_format ((vb_decimal_t){INT64_MIN, VB_DECIMAL_EXPONENT_MAX}, text, sizeof text),
        44);
    cr_assert_str_eq (text, "-9223372036854775808000000000000000000000000");
    //  "-0." then 39 zeros and a 1: 43 characters.
    cr_assert_eq (
        vb_decimal_format ((vb_decimal_t){-1, VB_DECIMAL_EXPONENT_MIN}, text, sizeof text), 43);
    cr_assert_str_eq (text, "-0.0000000000000000000000000000000000000001");
}

Test (vb_decimal, format_reports_small_buffer_and_bad_exponent)
{
    char text[8];
    memset (text, 'x', sizeof text);
    cr_assert_eq (vb_decimal_format (s_value ("65000.1"), text, 7), VB_ETRUNC);  //  needs 8
    cr_assert_eq (text[0], 'x');
    cr_assert_eq (vb_decimal_format (s_value ("65000.1"), text, 8), 7);
    cr_assert_eq (vb_decimal_format (s_value ("1"), NULL, 0), VB_ETRUNC);
    cr_assert_eq (vb_decimal_format ((vb_decimal_t){1, INT32_MIN}, text, sizeof text),
                  VB_EOVERFLOW);
    cr_assert_eq (vb_decimal_format ((vb_decimal_t){1, INT32_MAX}, text, sizeof text),
                  VB_EOVERFLOW);
}

Test (vb_decimal, compares_across_exponents)
{
    cr_assert_eq (vb_decimal_cmp (s_value ("1.0"), s_value ("1.00000")), 0);
    cr_assert_eq (vb_decimal_cmp (s_value ("1.1"), s_value ("1.09999")), 1);
    cr_assert_eq (vb_decimal_cmp (s_value ("0.05005"), s_value ("0.0501")), -1);
    cr_assert_eq (vb_decimal_cmp (s_value ("-2"), s_value ("1")), -1);
    cr_assert_eq (vb_decimal_cmp (s_value ("-2"), s_value ("-1.5")), -1);
    cr_assert_eq (vb_decimal_cmp (s_value ("0"), s_value ("-0.0001")), 1);
    cr_assert_eq (vb_decimal_cmp (s_value ("0e-8"), s_value ("0e3")), 0);
    cr_assert_eq (vb_decimal_cmp (s_value ("1e-40"), s_value ("0")), 1);
    cr_assert_eq (vb_decimal_cmp (s_value ("1500"), s_value ("1.5e3")), 0);
}

Test (vb_decimal, compares_without_overflow_at_extremes)
{
    vb_decimal_t max = {INT64_MAX, 0};
    vb_decimal_t min = {INT64_MIN, 0};
    //  INT64_MAX x 10^0 against 1 x 10^19: scaling 1 up is exact in 128 bits.
    cr_assert_eq (vb_decimal_cmp (max, (vb_decimal_t){1, 19}), -1);
    cr_assert_eq (vb_decimal_cmp (max, (vb_decimal_t){1, 18}), 1);
    cr_assert_eq (vb_decimal_cmp (min, (vb_decimal_t){-1, 19}), 1);
    cr_assert_eq (vb_decimal_cmp (min, (vb_decimal_t){-1, 18}), -1);
    //  Exponent gaps that no 128-bit product can bridge.
    cr_assert_eq (vb_decimal_cmp ((vb_decimal_t){1, INT32_MAX}, max), 1);
    cr_assert_eq (vb_decimal_cmp (max, (vb_decimal_t){1, INT32_MAX}), -1);
    cr_assert_eq (vb_decimal_cmp ((vb_decimal_t){-1, INT32_MAX}, min), -1);
    cr_assert_eq (vb_decimal_cmp ((vb_decimal_t){INT64_MAX, INT32_MIN}, (vb_decimal_t){1, 0}), -1);
    cr_assert_eq (vb_decimal_cmp ((vb_decimal_t){1, INT32_MIN}, (vb_decimal_t){1, INT32_MAX}), -1);
    cr_assert_eq (vb_decimal_cmp (min, min), 0);
    cr_assert_eq (vb_decimal_cmp ((vb_decimal_t){INT64_MAX, 3}, (vb_decimal_t){INT64_MAX, 3}), 0);
    //  Equal values at very different exponents: 9223372036854775800 vs 92233720368547758 x 10^2.
    cr_assert_eq (vb_decimal_cmp ((vb_decimal_t){9223372036854775800, -19},
                                  (vb_decimal_t){92233720368547758, -17}),
                  0);
}

Test (vb_decimal, adds_and_subtracts_at_common_scale)
{
    vb_decimal_t out;
    cr_assert_eq (vb_decimal_add (s_value ("1.5"), s_value ("0.25"), &out), 0);
    cr_assert_eq (out.mantissa, 175);
    cr_assert_eq (out.exponent, -2);
    cr_assert_eq (vb_decimal_sub (s_value ("1.5"), s_value ("0.25"), &out), 0);
    cr_assert_eq (out.mantissa, 125);
    cr_assert_eq (out.exponent, -2);
    cr_assert_eq (vb_decimal_sub (s_value ("0.1"), s_value ("0.10"), &out), 0);
    cr_assert_eq (out.mantissa, 0);
    cr_assert_eq (out.exponent, -2);
    cr_assert_eq (vb_decimal_add (s_value ("1e3"), s_value ("-2"), &out), 0);
    cr_assert_eq (out.mantissa, 998);
    cr_assert_eq (out.exponent, 0);
}

Test (vb_decimal, add_and_sub_report_overflow)
{
    vb_decimal_t out = {5, 5};
    cr_assert_eq (vb_decimal_add ((vb_decimal_t){INT64_MAX, 0}, (vb_decimal_t){1, 0}, &out),
                  VB_EOVERFLOW);
    cr_assert_eq (vb_decimal_sub ((vb_decimal_t){INT64_MIN, 0}, (vb_decimal_t){1, 0}, &out),
                  VB_EOVERFLOW);
    cr_assert_eq (vb_decimal_sub ((vb_decimal_t){0, 0}, (vb_decimal_t){INT64_MIN, 0}, &out),
                  VB_EOVERFLOW);
    //  1 x 10^19 cannot be written at exponent 0 in an int64.
    cr_assert_eq (vb_decimal_add ((vb_decimal_t){1, 19}, (vb_decimal_t){1, 0}, &out), VB_EOVERFLOW);
    cr_assert_eq (vb_decimal_add ((vb_decimal_t){1, INT32_MAX}, (vb_decimal_t){1, INT32_MIN}, &out),
                  VB_EOVERFLOW);
    cr_assert_eq (out.mantissa, 5);
    cr_assert_eq (out.exponent, 5);
    //  The extremes themselves are reachable.
    cr_assert_eq (vb_decimal_sub ((vb_decimal_t){-1, 0}, (vb_decimal_t){INT64_MAX, 0}, &out), 0);
    cr_assert_eq (out.mantissa, INT64_MIN);
}

Test (vb_decimal, rescales_exactly_or_refuses)
{
    vb_decimal_t out = {5, 5};
    cr_assert_eq (vb_decimal_rescale (s_value ("45281"), -1, &out), 0);
    cr_assert_eq (out.mantissa, 452810);
    cr_assert_eq (out.exponent, -1);
    cr_assert_eq (vb_decimal_rescale (s_value ("0.00100000"), -3, &out), 0);
    cr_assert_eq (out.mantissa, 1);
    cr_assert_eq (out.exponent, -3);
    cr_assert_eq (vb_decimal_rescale (s_value ("-1200"), 2, &out), 0);
    cr_assert_eq (out.mantissa, -12);
    cr_assert_eq (out.exponent, 2);
    //  Digits would be lost: no rounding.
    out = (vb_decimal_t){5, 5};
    cr_assert_eq (vb_decimal_rescale (s_value ("0.125"), -2, &out), VB_EINVAL);
    cr_assert_eq (vb_decimal_rescale ((vb_decimal_t){INT64_MIN, 0}, 19, &out), VB_EINVAL);
    cr_assert_eq (vb_decimal_rescale ((vb_decimal_t){1, 0}, INT32_MAX, &out), VB_EINVAL);
    //  Too many digits.
    cr_assert_eq (vb_decimal_rescale ((vb_decimal_t){INT64_MAX, 0}, -1, &out), VB_EOVERFLOW);
    cr_assert_eq (vb_decimal_rescale ((vb_decimal_t){1, 0}, -19, &out), VB_EOVERFLOW);
    cr_assert_eq (vb_decimal_rescale ((vb_decimal_t){-1, INT32_MAX}, INT32_MIN, &out),
                  VB_EOVERFLOW);
    cr_assert_eq (out.mantissa, 5);
    cr_assert_eq (out.exponent, 5);
    //  The largest exact cases.
    cr_assert_eq (vb_decimal_rescale ((vb_decimal_t){1, 0}, -18, &out), 0);
    cr_assert_eq (out.mantissa, 1000000000000000000);
    cr_assert_eq (vb_decimal_rescale ((vb_decimal_t){INT64_MIN, 0}, 0, &out), 0);
    cr_assert_eq (out.mantissa, INT64_MIN);
    cr_assert_eq (vb_decimal_rescale ((vb_decimal_t){-9000000000000000000, -18}, 0, &out), 0);
    cr_assert_eq (out.mantissa, -9);
    //  Zero goes anywhere.
    cr_assert_eq (vb_decimal_rescale ((vb_decimal_t){0, INT32_MAX}, INT32_MIN, &out), 0);
    cr_assert_eq (out.mantissa, 0);
    cr_assert_eq (out.exponent, INT32_MIN);
}

Test (vb_decimal, predicates_ignore_scale)
{
    cr_assert (vb_decimal_is_zero (s_value ("0.00000000")));
    cr_assert_not (vb_decimal_is_zero (s_value ("0.00000001")));
    cr_assert (vb_decimal_is_negative (s_value ("-0.00000001")));
    cr_assert_not (vb_decimal_is_negative (s_value ("0")));
}
