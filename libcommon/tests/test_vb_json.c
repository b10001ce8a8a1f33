/*  test_vb_json.c — the C face on simdjson On-Demand.

    Expected values are copied from the JSON text of each test (the Binance
    message is one line of shared/fixtures/real/binance/hftbacktest/spot/
    btcusdt_20240808.head.txt) or worked out by hand in a comment.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "vb_error.h"
#include "vb_json.h"

//  A real Binance spot depthUpdate, combined-stream form, received at
//  1723161254036059768 ns (the second line of the capture).
static const char s_binance_depth[] =
    "{\"stream\":\"btcusdt@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":1723161255308,"
    "\"s\":\"BTCUSDT\",\"U\":50093239203,\"u\":50093239207,\"b\":[[\"55653.87000000\","
    "\"0.00000000\"]],\"a\":[[\"61838.04000000\",\"0.32332000\"],[\"61844.30000000\","
    "\"0.40163000\"],[\"61862.50000000\",\"0.05019000\"],[\"61862.51000000\",\"0.00000000\"]]}}";

//  Walks a whole document reading every scalar; returns 0 or the first error.
//  Counts the scalars it read in *scalars.
static int
s_walk (vb_json_val_t *value, size_t *scalars)
{
    vb_json_iter_t iter;
    vb_json_val_t child;
    const char *text;
    size_t length;
    int rc;
    switch (vb_json_type (value)) {
        case VB_JSON_ARRAY:
            rc = vb_json_array_begin (value, &iter);
            if (rc)
                return rc;
            while ((rc = vb_json_array_next (&iter, &child)) == 1) {
                rc = s_walk (&child, scalars);
                if (rc)
                    return rc;
            }
            return rc;
        case VB_JSON_OBJECT:
            rc = vb_json_object_begin (value, &iter);
            if (rc)
                return rc;
            while ((rc = vb_json_object_next (&iter, &text, &length, &child)) == 1) {
                rc = s_walk (&child, scalars);
                if (rc)
                    return rc;
            }
            return rc;
        case VB_JSON_STRING:
            (*scalars)++;
            return vb_json_string (value, &text, &length);
        case VB_JSON_NUMBER:
            (*scalars)++;
            return vb_json_number_text (value, &text, &length);
        case VB_JSON_BOOL: {
            bool flag;
            (*scalars)++;
            return vb_json_bool (value, &flag);
        }
        case VB_JSON_NULL:
            (*scalars)++;
            return 0;
        case VB_JSON_INVALID:
            break;
    }
    return VB_EINVAL;
}

//  Parses text and walks it; returns 0 or the first error.
static int
s_parse_walk (vb_json_t *json, const char *text, size_t size)
{
    vb_json_val_t root;
    size_t scalars = 0;
    int rc = vb_json_parse (json, text, size, &root);
    return rc ? rc : s_walk (&root, &scalars);
}

static void
s_assert_string (vb_json_val_t *value, const char *expected)
{
    const char *text;
    size_t length;
    cr_assert_eq (vb_json_string (value, &text, &length), 0);
    cr_assert_eq (length, strlen (expected), "length %zu for \"%s\"", length, expected);
    cr_assert (memcmp (text, expected, length) == 0, "got \"%.*s\"", (int)length, text);
}

static void
s_assert_decimal (vb_json_val_t *value, int64_t mantissa, int32_t exponent)
{
    vb_decimal_t decimal;
    cr_assert_eq (vb_json_decimal (value, &decimal), 0);
    cr_assert_eq (decimal.mantissa, mantissa);
    cr_assert_eq (decimal.exponent, exponent);
}

Test (vb_json, reads_a_binance_depth_update)
{
    vb_json_t *json = vb_json_new ();
    cr_assert_not_null (json);
    vb_json_val_t root, data, field;
    cr_assert_eq (vb_json_parse (json, s_binance_depth, strlen (s_binance_depth), &root), 0);
    cr_assert_eq (vb_json_type (&root), VB_JSON_OBJECT);

    //  Fields in document order.
    cr_assert_eq (vb_json_find (&root, "data", &data), 0);
    cr_assert_eq (vb_json_find (&data, "e", &field), 0);
    s_assert_string (&field, "depthUpdate");
    uint64_t number;
    cr_assert_eq (vb_json_find (&data, "E", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &number), 0);
    cr_assert_eq (number, 1723161255308u);
    cr_assert_eq (vb_json_find (&data, "s", &field), 0);
    s_assert_string (&field, "BTCUSDT");
    cr_assert_eq (vb_json_find (&data, "U", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &number), 0);
    cr_assert_eq (number, 50093239203u);
    cr_assert_eq (vb_json_find (&data, "u", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &number), 0);
    cr_assert_eq (number, 50093239207u);

    //  Levels are [price, qty] string pairs; decimals keep the 8-digit scale.
    vb_json_iter_t levels, pair;
    vb_json_val_t level, price, qty;
    cr_assert_eq (vb_json_find (&data, "b", &field), 0);
    cr_assert_eq (vb_json_array_begin (&field, &levels), 0);
    cr_assert_eq (vb_json_array_next (&levels, &level), 1);
    cr_assert_eq (vb_json_array_begin (&level, &pair), 0);
    cr_assert_eq (vb_json_array_next (&pair, &price), 1);
    s_assert_decimal (&price, 5565387000000, -8);  //  55653.87000000
    cr_assert_eq (vb_json_array_next (&pair, &qty), 1);
    s_assert_decimal (&qty, 0, -8);  //  0.00000000
    cr_assert_eq (vb_json_array_next (&pair, &qty), 0);
    cr_assert_eq (vb_json_array_next (&levels, &level), 0);

    //  The four asks, from the text: 61838.04 / 0.32332, 61844.30 / 0.40163,
    //  61862.50 / 0.05019, 61862.51 / 0.
    static const int64_t ask_prices[] = {6183804000000, 6184430000000, 6186250000000,
                                         6186251000000};
    static const int64_t ask_qtys[] = {32332000, 40163000, 5019000, 0};
    size_t count = 0;
    cr_assert_eq (vb_json_find (&data, "a", &field), 0);
    cr_assert_eq (vb_json_array_begin (&field, &levels), 0);
    int rc;
    while ((rc = vb_json_array_next (&levels, &level)) == 1) {
        cr_assert_lt (count, 4);
        cr_assert_eq (vb_json_array_begin (&level, &pair), 0);
        cr_assert_eq (vb_json_array_next (&pair, &price), 1);
        s_assert_decimal (&price, ask_prices[count], -8);
        cr_assert_eq (vb_json_array_next (&pair, &qty), 1);
        s_assert_decimal (&qty, ask_qtys[count], -8);
        cr_assert_eq (vb_json_array_next (&pair, &qty), 0);
        count++;
    }
    cr_assert_eq (rc, 0);
    cr_assert_eq (count, 4);

    //  The same parser takes the next message, and the old views go stale.
    static const char trade[] = "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"t\":1}}";
    vb_json_val_t old_data = data;
    cr_assert_eq (vb_json_parse (json, trade, strlen (trade), &root), 0);
    cr_assert_eq (vb_json_find (&old_data, "e", &field), VB_EINVAL);
    cr_assert_eq (vb_json_find (&root, "data", &data), 0);
    cr_assert_eq (vb_json_find (&data, "e", &field), 0);
    s_assert_string (&field, "trade");

    vb_json_destroy (&json);
    cr_assert_null (json);
    vb_json_destroy (&json);
}

Test (vb_json, gives_number_tokens_as_raw_text)
{
    //  Kraken v2 sends prices and quantities as JSON numbers.
    static const char text[] = "{\"price\":45285.2,\"qty\":0.00100000 , \"e\":-1.5E-8}";
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, field;
    const char *raw;
    size_t length;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_find (&root, "price", &field), 0);
    cr_assert_eq (vb_json_type (&field), VB_JSON_NUMBER);
    cr_assert_eq (vb_json_number_text (&field, &raw, &length), 0);
    cr_assert_eq (length, 7);
    cr_assert (memcmp (raw, "45285.2", 7) == 0);
    s_assert_decimal (&field, 452852, -1);
    cr_assert_eq (vb_json_find (&root, "qty", &field), 0);
    cr_assert_eq (vb_json_number_text (&field, &raw, &length), 0);
    cr_assert_eq (length, 10, "trailing space must be trimmed");
    cr_assert (memcmp (raw, "0.00100000", 10) == 0);
    //  0.00100000 = 100000 x 10^-8, scale kept.
    s_assert_decimal (&field, 100000, -8);
    cr_assert_eq (vb_json_find (&root, "e", &field), 0);
    cr_assert_eq (vb_json_number_text (&field, &raw, &length), 0);
    cr_assert_eq (length, 7);
    cr_assert (memcmp (raw, "-1.5E-8", 7) == 0);
    //  -1.5E-8 = -15 x 10^-9.
    s_assert_decimal (&field, -15, -9);
    vb_json_destroy (&json);
}

Test (vb_json, decodes_string_escapes)
{
    //  JSON text: "a\"b\\c\/d\u00e9\ud83d\ude00\n\t" — é is U+00E9 = C3 A9 in
    //  UTF-8, the surrogate pair D83D DE00 is U+1F600 = F0 9F 98 80.
    static const char text[] =
        "[\"a\\\"b\\\\c\\/d\\u00e9\\ud83d\\ude00\\n\\t\", \"plain\", \"\", \"\\u0000\"]";
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, item;
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    s_assert_string (&item, "a\"b\\c/d\xc3\xa9\xf0\x9f\x98\x80\n\t");
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    s_assert_string (&item, "plain");
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    s_assert_string (&item, "");
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    const char *raw;
    size_t length;
    cr_assert_eq (vb_json_string (&item, &raw, &length), 0);
    cr_assert_eq (length, 1);
    cr_assert_eq (raw[0], '\0');
    cr_assert_eq (vb_json_array_next (&iter, &item), 0);
    vb_json_destroy (&json);
}

Test (vb_json, rejects_bad_escapes)
{
    static const char *const bad[] = {
        "[\"\\x\"]",             //  Unknown escape
        "[\"\\u12\"]",           //  Short \u
        "[\"\\u12g4\"]",         //  Not hex
        "[\"\\ud83d\"]",         //  High surrogate alone
        "[\"\\ud83dx\"]",        //  High surrogate, then not \u
        "[\"\\ud83d\\u0041\"]",  //  High surrogate, then not a low one
        "[\"\\ude00\"]",         //  Low surrogate alone
        "[\"a\tb\"]",            //  Raw control character
    };
    vb_json_t *json = vb_json_new ();
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        vb_json_val_t root, item;
        vb_json_iter_t iter;
        const char *text;
        size_t length;
        int rc = vb_json_parse (json, bad[index], strlen (bad[index]), &root);
        if (rc == 0) {
            cr_assert_eq (vb_json_array_begin (&root, &iter), 0);
            cr_assert_eq (vb_json_array_next (&iter, &item), 1);
            rc = vb_json_string (&item, &text, &length);
        }
        cr_assert_eq (rc, VB_EINVAL, "%s gave %d", bad[index], rc);
    }
    vb_json_destroy (&json);
}

Test (vb_json, iterates_nested_arrays_and_objects)
{
    static const char text[] =
        " {\"a\":[1,[2,3],{\"b\":[]},{}],\"c\":{\"d\":{\"e\":true}},\"n\":null,"
        "\"k\\\"q\":false} \n";
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, value, inner;
    vb_json_iter_t fields, items, sub;
    const char *key;
    size_t key_length;
    int64_t number;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_object_begin (&root, &fields), 0);

    cr_assert_eq (vb_json_object_next (&fields, &key, &key_length, &value), 1);
    cr_assert_eq (key_length, 1);
    cr_assert_eq (key[0], 'a');
    cr_assert_eq (vb_json_type (&value), VB_JSON_ARRAY);
    cr_assert_eq (vb_json_array_begin (&value, &items), 0);
    cr_assert_eq (vb_json_array_next (&items, &inner), 1);
    cr_assert_eq (vb_json_int64 (&inner, &number), 0);
    cr_assert_eq (number, 1);
    cr_assert_eq (vb_json_array_next (&items, &inner), 1);
    //  [2,3] is stepped over without being read.
    cr_assert_eq (vb_json_type (&inner), VB_JSON_ARRAY);
    cr_assert_eq (vb_json_array_next (&items, &inner), 1);
    cr_assert_eq (vb_json_type (&inner), VB_JSON_OBJECT);
    cr_assert_eq (vb_json_object_begin (&inner, &sub), 0);
    vb_json_val_t empty;
    cr_assert_eq (vb_json_object_next (&sub, &key, &key_length, &empty), 1);
    cr_assert_eq (key[0], 'b');
    vb_json_iter_t none;
    cr_assert_eq (vb_json_array_begin (&empty, &none), 0);
    cr_assert_eq (vb_json_array_next (&none, &inner), 0);
    cr_assert_eq (vb_json_array_next (&none, &inner), 0, "end is sticky");
    cr_assert_eq (vb_json_object_next (&sub, &key, &key_length, &empty), 0);
    cr_assert_eq (vb_json_array_next (&items, &inner), 1);
    cr_assert_eq (vb_json_object_begin (&inner, &sub), 0);
    cr_assert_eq (vb_json_object_next (&sub, &key, &key_length, &empty), 0);
    cr_assert_eq (vb_json_array_next (&items, &inner), 0);

    cr_assert_eq (vb_json_object_next (&fields, &key, &key_length, &value), 1);
    cr_assert_eq (key[0], 'c');
    cr_assert_eq (vb_json_find (&value, "d", &inner), 0);
    cr_assert_eq (vb_json_find (&inner, "e", &inner), 0);
    bool flag = false;
    cr_assert_eq (vb_json_bool (&inner, &flag), 0);
    cr_assert (flag);

    cr_assert_eq (vb_json_object_next (&fields, &key, &key_length, &value), 1);
    cr_assert_eq (key[0], 'n');
    cr_assert_eq (vb_json_type (&value), VB_JSON_NULL);

    //  Keys are raw: k\"q is four bytes.
    cr_assert_eq (vb_json_object_next (&fields, &key, &key_length, &value), 1);
    cr_assert_eq (key_length, 4);
    cr_assert (memcmp (key, "k\\\"q", 4) == 0);
    cr_assert_eq (vb_json_bool (&value, &flag), 0);
    cr_assert_not (flag);
    cr_assert_eq (vb_json_object_next (&fields, &key, &key_length, &value), 0);

    //  The generic walk counts 1, 2, 3, true, null, false.
    size_t scalars = 0;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (s_walk (&root, &scalars), 0);
    cr_assert_eq (scalars, 6);
    vb_json_destroy (&json);
}

Test (vb_json, reports_missing_keys_and_stays_usable)
{
    static const char text[] = "{\"a\":1,\"b\":{\"c\":2},\"d\":3}";
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, field, inner;
    int64_t number;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_find (&root, "zz", &field), VB_ENOTFOUND);
    cr_assert_eq (vb_json_int64 (&field, &number), VB_EINVAL, "out of a failed find is refused");
    cr_assert_eq (vb_json_find (&root, "b", &field), 0);
    cr_assert_eq (vb_json_find (&field, "a", &inner), VB_ENOTFOUND, "not in the inner object");
    cr_assert_eq (vb_json_find (&field, "c", &inner), 0);
    cr_assert_eq (vb_json_int64 (&inner, &number), 0);
    cr_assert_eq (number, 2);
    cr_assert_eq (vb_json_find (&root, "d", &field), 0);
    cr_assert_eq (vb_json_int64 (&field, &number), 0);
    cr_assert_eq (number, 3);
    //  Out of order: rescans from the start.
    cr_assert_eq (vb_json_find (&root, "a", &field), 0);
    cr_assert_eq (vb_json_int64 (&field, &number), 0);
    cr_assert_eq (number, 1);
    //  Keys are compared raw, so "A" is not "a".
    cr_assert_eq (vb_json_find (&root, "A", &field), VB_ENOTFOUND);
    vb_json_destroy (&json);
}

Test (vb_json, reports_wrong_types_and_stays_usable)
{
    static const char text[] = "{\"s\":\"x\",\"n\":1.5,\"i\":7,\"t\":true,\"z\":null,\"a\":[1]}";
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, field, item;
    vb_json_iter_t iter;
    const char *raw;
    size_t length;
    int64_t number;
    uint64_t unsigned_number;
    bool flag;
    vb_decimal_t decimal;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &iter), VB_ETYPE);
    cr_assert_eq (vb_json_find (&root, "s", &field), 0);
    cr_assert_eq (vb_json_int64 (&field, &number), VB_ETYPE);
    cr_assert_eq (vb_json_number_text (&field, &raw, &length), VB_ETYPE);
    cr_assert_eq (vb_json_bool (&field, &flag), VB_ETYPE);
    cr_assert_eq (vb_json_find (&field, "x", &item), VB_ETYPE);
    cr_assert_eq (vb_json_object_begin (&field, &iter), VB_ETYPE);
    s_assert_string (&field, "x");
    cr_assert_eq (vb_json_find (&root, "n", &field), 0);
    cr_assert_eq (vb_json_string (&field, &raw, &length), VB_ETYPE);
    cr_assert_eq (vb_json_int64 (&field, &number), VB_ETYPE, "1.5 is not an integer");
    cr_assert_eq (vb_json_uint64 (&field, &unsigned_number), VB_ETYPE);
    s_assert_decimal (&field, 15, -1);
    cr_assert_eq (vb_json_find (&root, "i", &field), 0);
    cr_assert_eq (vb_json_array_begin (&field, &iter), VB_ETYPE);
    cr_assert_eq (vb_json_int64 (&field, &number), 0);
    cr_assert_eq (number, 7);
    cr_assert_eq (vb_json_find (&root, "t", &field), 0);
    cr_assert_eq (vb_json_decimal (&field, &decimal), VB_ETYPE);
    cr_assert_eq (vb_json_int64 (&field, &number), VB_ETYPE);
    cr_assert_eq (vb_json_find (&root, "z", &field), 0);
    cr_assert_eq (vb_json_bool (&field, &flag), VB_ETYPE);
    cr_assert_eq (vb_json_string (&field, &raw, &length), VB_ETYPE);
    cr_assert_eq (vb_json_find (&root, "a", &field), 0);
    cr_assert_eq (vb_json_object_begin (&field, &iter), VB_ETYPE);
    cr_assert_eq (vb_json_array_begin (&field, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_int64 (&item, &number), 0);
    cr_assert_eq (number, 1);
    cr_assert_eq (vb_json_array_next (&iter, &item), 0);
    vb_json_destroy (&json);
}

Test (vb_json, checks_integer_ranges)
{
    //  INT64_MIN, INT64_MAX, UINT64_MAX, then each one past the limit.
    static const char text[] = "[-9223372036854775808,9223372036854775807,18446744073709551615,"
                               "-9223372036854775809,9223372036854775808,18446744073709551616,"
                               "-0,-1,123456789012345678901234567890]";
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, item;
    vb_json_iter_t iter;
    int64_t number;
    uint64_t unsigned_number;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_int64 (&item, &number), 0);
    cr_assert_eq (number, INT64_MIN);
    cr_assert_eq (vb_json_uint64 (&item, &unsigned_number), VB_EOVERFLOW);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_int64 (&item, &number), 0);
    cr_assert_eq (number, INT64_MAX);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_int64 (&item, &number), VB_EOVERFLOW);
    cr_assert_eq (vb_json_uint64 (&item, &unsigned_number), 0);
    cr_assert_eq (unsigned_number, UINT64_MAX);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_int64 (&item, &number), VB_EOVERFLOW);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_int64 (&item, &number), VB_EOVERFLOW);
    cr_assert_eq (vb_json_uint64 (&item, &unsigned_number), 0);
    cr_assert_eq (unsigned_number, (uint64_t)INT64_MAX + 1);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_uint64 (&item, &unsigned_number), VB_EOVERFLOW);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_uint64 (&item, &unsigned_number), 0);
    cr_assert_eq (unsigned_number, 0);
    cr_assert_eq (vb_json_int64 (&item, &number), 0);
    cr_assert_eq (number, 0);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_uint64 (&item, &unsigned_number), VB_EOVERFLOW);
    cr_assert_eq (vb_json_int64 (&item, &number), 0);
    cr_assert_eq (number, -1);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_int64 (&item, &number), VB_EOVERFLOW);
    vb_decimal_t decimal;
    cr_assert_eq (vb_json_decimal (&item, &decimal), VB_EOVERFLOW, "30 digits do not fit");
    cr_assert_eq (vb_json_array_next (&iter, &item), 0);
    vb_json_destroy (&json);
}

Test (vb_json, rejects_bad_number_tokens)
{
    static const char *const bad[] = {"[01]",   "[1.]",   "[-]",     "[1e]",  "[1.5e+]", "[-01]",
                                      "[1.e5]", "[0x10]", "[1.5.5]", "[- 1]", "[1e5e5]", "[-a]"};
    vb_json_t *json = vb_json_new ();
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        vb_json_val_t root, item;
        vb_json_iter_t iter;
        const char *text;
        size_t length;
        int rc = vb_json_parse (json, bad[index], strlen (bad[index]), &root);
        if (rc == 0)
            rc = vb_json_array_begin (&root, &iter);
        if (rc == 0)
            rc = vb_json_array_next (&iter, &item) == 1 ? 0 : VB_EINVAL;
        if (rc == 0)
            rc = vb_json_number_text (&item, &text, &length);
        cr_assert_eq (rc, VB_EINVAL, "%s gave %d", bad[index], rc);
    }
    vb_json_destroy (&json);
}

Test (vb_json, reads_scalar_roots)
{
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root;
    int64_t number;
    bool flag;
    cr_assert_eq (vb_json_parse (json, " 42 \n", 5, &root), 0);
    cr_assert_eq (vb_json_type (&root), VB_JSON_NUMBER);
    cr_assert_eq (vb_json_int64 (&root, &number), 0);
    cr_assert_eq (number, 42);
    cr_assert_eq (vb_json_parse (json, "\"hi\"", 4, &root), 0);
    s_assert_string (&root, "hi");
    cr_assert_eq (vb_json_parse (json, "false", 5, &root), 0);
    cr_assert_eq (vb_json_bool (&root, &flag), 0);
    cr_assert_not (flag);
    cr_assert_eq (vb_json_parse (json, "null", 4, &root), 0);
    cr_assert_eq (vb_json_type (&root), VB_JSON_NULL);
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_array_begin (&root, &iter), VB_ETYPE);
    vb_json_destroy (&json);
}

Test (vb_json, refuses_trailing_text_after_the_root)
{
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, field, item;
    vb_json_iter_t iter;
    int64_t number;
    const char *text;
    size_t length;

    //  The last byte is not the root's closing bracket: refused on first use.
    static const char tail[] = "{\"a\":1} x";
    int rc = vb_json_parse (json, tail, strlen (tail), &root);
    if (rc == 0)
        rc = vb_json_find (&root, "a", &field);
    cr_assert_eq (rc, VB_EINVAL);

    //  A second root value: found when the root is iterated to its end.
    static const char two_objects[] = "{\"a\":1}{\"b\":2}";
    cr_assert_eq (vb_json_parse (json, two_objects, strlen (two_objects), &root), 0);
    cr_assert_eq (vb_json_object_begin (&root, &iter), 0);
    cr_assert_eq (vb_json_object_next (&iter, &text, &length, &field), 1);
    cr_assert_eq (vb_json_object_next (&iter, &text, &length, &field), VB_EINVAL);
    static const char two_arrays[] = "[1] [2]";
    cr_assert_eq (vb_json_parse (json, two_arrays, strlen (two_arrays), &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &item), 1);
    cr_assert_eq (vb_json_array_next (&iter, &item), VB_EINVAL);

    //  Scalar roots, each read with the accessor for its type.
    static const char *const scalars[] = {"42 x",   "42 43",  "\"a\" \"b\"",
                                          "\"a\"x", "true 1", "null null"};
    for (size_t index = 0; index < sizeof (scalars) / sizeof (scalars[0]); index++) {
        bool flag;
        rc = vb_json_parse (json, scalars[index], strlen (scalars[index]), &root);
        if (rc == 0) {
            char first = scalars[index][0];
            if (first == '4')
                rc = vb_json_int64 (&root, &number);
            else if (first == '"')
                rc = vb_json_string (&root, &text, &length);
            else if (first == 't')
                rc = vb_json_bool (&root, &flag);
            else
                rc = vb_json_type (&root) == VB_JSON_INVALID ? VB_EINVAL : 0;
        }
        cr_assert_eq (rc, VB_EINVAL, "%s gave %d", scalars[index], rc);
    }
    vb_json_destroy (&json);
}

Test (vb_json, refuses_every_truncation_of_a_message)
{
    vb_json_t *json = vb_json_new ();
    size_t size = strlen (s_binance_depth);
    cr_assert_eq (s_parse_walk (json, s_binance_depth, size), 0);
    for (size_t cut = 0; cut < size; cut++) {
        int rc = s_parse_walk (json, s_binance_depth, cut);
        cr_assert_lt (rc, 0, "prefix of %zu bytes was accepted", cut);
    }
    //  And the parser is still fine afterwards.
    cr_assert_eq (s_parse_walk (json, s_binance_depth, size), 0);
    vb_json_destroy (&json);
}

Test (vb_json, refuses_malformed_documents)
{
    static const char *const bad[] = {
        "{\"a\":}",
        "[1,]",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "[1 2]",
        "{1:2}",
        "nul",
        "tru",
        "[nul]",
        "[truex]",
        "\"abc",
        "[\"a\"\"b\"]",
        "{\"a\":1]",
        "[1}",
        "]",
        "}",
        "{]",
        "[[]",
        "{\"a\":{}",
        "\"\xff\"",
        "[\"\xc3\"]",
        "[1,,2]",
        "{,\"a\":1}",
        "[,]",
        ",",
        "{\"a\":1}}",
        "[1]]",
        "{\"a\"}",
        "{\"a\":1 \"b\":2}",
    };
    vb_json_t *json = vb_json_new ();
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad[0]); index++) {
        int rc = s_parse_walk (json, bad[index], strlen (bad[index]));
        cr_assert (rc == VB_EINVAL, "%s gave %d", bad[index], rc);
    }
    vb_json_destroy (&json);
}

Test (vb_json, survives_random_garbage)
{
    //  Deterministic xorshift bytes, biased towards JSON punctuation so that
    //  the walker gets past the first byte.
    static const char alphabet[] = "{}[]\",:0123456789.-eE tfnrul\\ax";
    vb_json_t *json = vb_json_new ();
    uint64_t state = 0x9E3779B97F4A7C15u;
    char text[256];
    size_t accepted = 0;
    for (int round = 0; round < 20000; round++) {
        size_t size = 1 + round % sizeof (text);
        for (size_t index = 0; index < size; index++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text[index] = round % 2 ? (char)state : alphabet[state % (sizeof (alphabet) - 1)];
        }
        int rc = s_parse_walk (json, text, size);
        cr_assert (rc == 0 || rc == VB_EINVAL || rc == VB_ELIMIT, "round %d gave %d", round, rc);
        accepted += rc == 0;
    }
    cr_assert_lt (accepted, 20000);
    //  Still parses a good document after all that.
    cr_assert_eq (s_parse_walk (json, s_binance_depth, strlen (s_binance_depth)), 0);
    vb_json_destroy (&json);
}

Test (vb_json, refuses_empty_and_oversize_input)
{
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root;
    cr_assert_eq (vb_json_parse (json, "", 0, &root), VB_EINVAL);
    cr_assert_eq (vb_json_type (&root), VB_JSON_INVALID);
    cr_assert_eq (vb_json_parse (json, NULL, 0, &root), VB_EINVAL);
    cr_assert_eq (vb_json_parse (json, " \n\t\r ", 5, &root), VB_EINVAL);

    size_t size = VB_JSON_MAX_SIZE + 1;
    char *big = malloc (size);
    cr_assert_not_null (big);
    memset (big, ' ', size);
    big[0] = '[';
    big[size - 1] = ']';
    cr_assert_eq (vb_json_parse (json, big, size, &root), VB_ELIMIT);
    cr_assert_eq (vb_json_type (&root), VB_JSON_INVALID);
    //  Exactly the limit is accepted.
    big[size - 2] = ']';
    cr_assert_eq (vb_json_parse (json, big, size - 1, &root), 0);
    cr_assert_eq (vb_json_type (&root), VB_JSON_ARRAY);
    free (big);
    vb_json_destroy (&json);
}

Test (vb_json, limits_nesting_depth)
{
    size_t depth = 100000;
    char *text = malloc (2 * depth + 16);
    cr_assert_not_null (text);
    memset (text, '[', depth);
    memset (text + depth, ']', depth);
    vb_json_t *json = vb_json_new ();
    //  A walker stops at VB_JSON_MAX_DEPTH instead of recursing 100000 deep.
    cr_assert_eq (s_parse_walk (json, text, 2 * depth), VB_ELIMIT);

    //  A deep value that is only stepped over is fine.
    size_t at = 0;
    memcpy (text, "{\"a\":", 5);
    at = 5;
    memset (text + at, '[', depth);
    at += depth;
    memset (text + at, ']', depth);
    at += depth;
    memcpy (text + at, ",\"b\":1}", 7);
    at += 7;
    vb_json_val_t root, field;
    int64_t number;
    cr_assert_eq (vb_json_parse (json, text, at, &root), 0);
    cr_assert_eq (vb_json_find (&root, "b", &field), 0);
    cr_assert_eq (vb_json_int64 (&field, &number), 0);
    cr_assert_eq (number, 1);

    //  Exactly VB_JSON_MAX_DEPTH levels can be walked.
    memset (text, '[', VB_JSON_MAX_DEPTH);
    memset (text + VB_JSON_MAX_DEPTH, ']', VB_JSON_MAX_DEPTH);
    cr_assert_eq (s_parse_walk (json, text, 2 * VB_JSON_MAX_DEPTH), 0);
    memset (text, '[', VB_JSON_MAX_DEPTH + 1);
    memset (text + VB_JSON_MAX_DEPTH + 1, ']', VB_JSON_MAX_DEPTH + 1);
    cr_assert_eq (s_parse_walk (json, text, 2 * VB_JSON_MAX_DEPTH + 2), VB_ELIMIT);
    free (text);
    vb_json_destroy (&json);
}

Test (vb_json, is_reusable_after_an_error)
{
    static const char bad[] = "{\"a\":[1,2,}";
    static const char good[] = "{\"a\":[1,2]}";
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, field;
    for (int round = 0; round < 3; round++) {
        cr_assert_eq (s_parse_walk (json, bad, strlen (bad)), VB_EINVAL);
        cr_assert_eq (s_parse_walk (json, good, strlen (good)), 0);
    }
    //  After a fatal error every call on that document is refused.
    static const char broken[] = "{\"a\":tru,\"b\":1}";
    cr_assert_eq (vb_json_parse (json, broken, strlen (broken), &root), 0);
    cr_assert_eq (vb_json_find (&root, "a", &field), 0);
    bool flag;
    cr_assert_eq (vb_json_bool (&field, &flag), VB_EINVAL);
    cr_assert_eq (vb_json_find (&root, "b", &field), VB_EINVAL);
    cr_assert_eq (vb_json_type (&root), VB_JSON_INVALID);
    cr_assert_eq (vb_json_parse (json, good, strlen (good), &root), 0);
    cr_assert_eq (vb_json_find (&root, "a", &field), 0);
    cr_assert_eq (vb_json_type (&field), VB_JSON_ARRAY);
    vb_json_destroy (&json);
}

Test (vb_json, bounds_repeated_reads_of_escaped_strings)
{
    //  Decoded escaped strings go to a scratch buffer as large as the
    //  document's buffer; reading one string forever must end in VB_ELIMIT,
    //  never write past it. Unescaped strings never use the scratch.
    static const char text[] = "[\"a\\nb\",\"plain\"]";
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, escaped, plain;
    vb_json_iter_t iter;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &escaped), 1);
    cr_assert_eq (vb_json_array_next (&iter, &plain), 1);
    const char *raw;
    size_t length;
    int rc = 0;
    int reads = 0;
    while (reads < 1000000 && (rc = vb_json_string (&escaped, &raw, &length)) == 0) {
        cr_assert_eq (length, 3);
        cr_assert (memcmp (raw, "a\nb", 3) == 0);
        reads++;
    }
    cr_assert_eq (rc, VB_ELIMIT);
    cr_assert_gt (reads, 100);
    //  VB_ELIMIT leaves the document usable.
    s_assert_string (&plain, "plain");
    vb_json_destroy (&json);
}

Test (vb_json, looks_up_out_of_order_by_rescanning)
{
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, data, field;
    uint64_t number;
    cr_assert_eq (vb_json_parse (json, s_binance_depth, strlen (s_binance_depth), &root), 0);
    cr_assert_eq (vb_json_find (&root, "data", &data), 0);
    cr_assert_eq (vb_json_find (&data, "u", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &number), 0);
    cr_assert_eq (number, 50093239207u);
    //  Back to the parent, then back into the child: both rescan.
    cr_assert_eq (vb_json_find (&root, "stream", &field), 0);
    s_assert_string (&field, "btcusdt@depth@100ms");
    cr_assert_eq (vb_json_find (&data, "E", &field), 0);
    cr_assert_eq (vb_json_uint64 (&field, &number), 0);
    cr_assert_eq (number, 1723161255308u);
    cr_assert_eq (vb_json_find (&data, "missing", &field), VB_ENOTFOUND);
    cr_assert_eq (vb_json_find (&data, "s", &field), 0);
    s_assert_string (&field, "BTCUSDT");
    vb_json_destroy (&json);
}

Test (vb_json, refuses_out_of_order_use_instead_of_misreading)
{
    static const char text[] = "[[1],[2],{\"k\":3}]";
    vb_json_t *json = vb_json_new ();
    vb_json_val_t root, first, second, third, item;
    vb_json_iter_t iter, inner;
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &iter), 0);
    cr_assert_eq (vb_json_array_begin (&root, &inner), VB_ESTATE, "the root is entered once");
    cr_assert_eq (vb_json_array_next (&iter, &first), 1);
    cr_assert_eq (vb_json_array_next (&iter, &second), 1);
    //  The cursor has moved past [1]: entering it now is refused.
    cr_assert_eq (vb_json_array_begin (&first, &inner), VB_ESTATE);
    cr_assert_eq (vb_json_array_begin (&second, &inner), 0);
    cr_assert_eq (vb_json_array_next (&inner, &item), 1);
    cr_assert_eq (vb_json_array_next (&inner, &item), 0);
    cr_assert_eq (vb_json_array_next (&iter, &third), 1);
    cr_assert_eq (vb_json_find (&third, "k", &item), 0);
    //  An object searched with find is not also iterated.
    cr_assert_eq (vb_json_object_begin (&third, &inner), VB_ESTATE);
    cr_assert_eq (vb_json_array_next (&iter, &item), 0);

    //  Resuming an inner iteration after the outer one moved on is an error,
    //  never a read from the wrong place.
    cr_assert_eq (vb_json_parse (json, text, strlen (text), &root), 0);
    cr_assert_eq (vb_json_array_begin (&root, &iter), 0);
    cr_assert_eq (vb_json_array_next (&iter, &first), 1);
    cr_assert_eq (vb_json_array_begin (&first, &inner), 0);
    cr_assert_eq (vb_json_array_next (&inner, &item), 1);
    cr_assert_eq (vb_json_array_next (&iter, &second), 1);
    cr_assert_lt (vb_json_array_next (&inner, &item), 0);
    vb_json_destroy (&json);
}
