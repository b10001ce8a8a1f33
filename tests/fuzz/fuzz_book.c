/*  fuzz_book.c — libFuzzer target for vb_book.

    The input is a program: a first byte picks the depth cap, then each
    operation is an opcode byte and its operands (set, snapshot, truncate,
    clear, checksums, lookups) with arbitrary decimals, including hostile
    ones. After every operation the book must hold at most depth_cap levels
    per side, strictly ordered best first, with positive quantities.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "vb_book.h"
#include "vb_error.h"

//  Largest depth cap the fuzzer picks: small, so caps and growth both happen.
#define S_CAP_MAX 64
//  Levels in one fuzzed snapshot at most.
#define S_SNAPSHOT_MAX 16
//  Opcodes.
enum {
    S_OP_SET,
    S_OP_SET_RAW,
    S_OP_SNAPSHOT,
    S_OP_TRUNCATE,
    S_OP_CLEAR,
    S_OP_CHECKSUM,
    S_OP_LOOKUP,
    S_OP_COUNT
};

typedef struct {
    const uint8_t *data;  //  Next unread byte
    size_t size;          //  Bytes left
} s_input_t;

//  --------------------------------------------------------------------------
//  Take `count` bytes (zero-filled past the end) as a little-endian number.

static uint64_t
s_take (s_input_t *input, size_t count)
{
    uint64_t value = 0;
    for (size_t index = 0; index < count; index++) {
        uint64_t byte = 0;
        if (input->size) {
            byte = *input->data++;
            input->size--;
        }
        value |= byte << (8 * index);
    }
    return value;
}

//  --------------------------------------------------------------------------
//  A decimal in a narrow range, so prices collide across scales: mantissa
//  -8..1015 at exponent -4..3, scaled so equal values meet often.

static vb_decimal_t
s_small_decimal (s_input_t *input)
{
    int64_t mantissa = (int64_t)(s_take (input, 2) % 1024) - 8;
    int32_t exponent = (int32_t)(s_take (input, 1) % 8) - 4;
    return (vb_decimal_t){mantissa, exponent};
}

//  --------------------------------------------------------------------------
//  A decimal from raw bytes: any mantissa, any exponent.

static vb_decimal_t
s_raw_decimal (s_input_t *input)
{
    vb_decimal_t value;
    value.mantissa = (int64_t)s_take (input, 8);
    value.exponent = (int32_t)(uint32_t)s_take (input, 4);
    return value;
}

//  --------------------------------------------------------------------------
//  Check the invariants on one side.

static void
s_check_side (vb_book_t *book, vb_book_side_t side)
{
    size_t count = vb_book_count (book, side);
    if (count > vb_book_depth_cap (book))
        abort ();
    vb_decimal_t previous = {0, 0};
    for (size_t index = 0; index < count; index++) {
        vb_decimal_t price, qty;
        if (vb_book_level (book, side, index, &price, &qty) != 0)
            abort ();
        if (price.mantissa <= 0 || qty.mantissa <= 0)
            abort ();
        if (index > 0) {
            int order = vb_decimal_cmp (price, previous);
            if (side == VB_BOOK_BID ? order >= 0 : order <= 0)
                abort ();
        }
        previous = price;
    }
    if (vb_book_level (book, side, count, NULL, NULL) != VB_ENOTFOUND)
        abort ();
}

//  --------------------------------------------------------------------------
//  Run one program.

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_input_t input = {data, size};
    vb_book_t *book = vb_book_new (1 + s_take (&input, 1) % S_CAP_MAX);
    if (!book)
        abort ();
    while (input.size) {
        unsigned opcode = (unsigned)s_take (&input, 1);
        vb_book_side_t side = (vb_book_side_t)(opcode >> 4 & 3);  //  Includes bad sides
        int rc = 0;
        switch (opcode % S_OP_COUNT) {
            case S_OP_SET: {
                vb_decimal_t price = s_small_decimal (&input);
                vb_decimal_t qty = s_small_decimal (&input);
                rc = vb_book_set (book, side, price, qty);
                break;
            }
            case S_OP_SET_RAW: {
                vb_decimal_t price = s_raw_decimal (&input);
                vb_decimal_t qty = s_raw_decimal (&input);
                rc = vb_book_set (book, side, price, qty);
                break;
            }
            case S_OP_SNAPSHOT: {
                vb_decimal_t prices[S_SNAPSHOT_MAX], qtys[S_SNAPSHOT_MAX];
                size_t count = s_take (&input, 1) % (S_SNAPSHOT_MAX + 1);
                for (size_t index = 0; index < count; index++) {
                    prices[index] = s_small_decimal (&input);
                    qtys[index] = s_small_decimal (&input);
                }
                rc = vb_book_snapshot (book, side, prices, qtys, count);
                if (rc != 0 && vb_book_count (book, side) != 0)
                    abort ();
                break;
            }
            case S_OP_TRUNCATE: {
                size_t depth = s_take (&input, 1) % (S_CAP_MAX + 2);
                vb_book_truncate (book, depth);
                if (vb_book_count (book, VB_BOOK_BID) > depth ||
                    vb_book_count (book, VB_BOOK_ASK) > depth)
                    abort ();
                break;
            }
            case S_OP_CLEAR:
                vb_book_clear (book);
                break;
            case S_OP_CHECKSUM: {
                (void)vb_book_checksum_kraken (book);
                (void)vb_book_checksum_okx (book);
                uint32_t checksum;
                int32_t price_exponent = (int32_t)(uint32_t)s_take (&input, 4);
                int32_t qty_exponent = (int32_t)(s_take (&input, 1) % 16) - 8;
                rc = vb_book_checksum_kraken_scaled (book, price_exponent, qty_exponent, &checksum);
                if (rc != 0 && rc != VB_EINVAL && rc != VB_EOVERFLOW)
                    abort ();
                rc = 0;
                break;
            }
            case S_OP_LOOKUP: {
                vb_decimal_t qty;
                rc = vb_book_qty (book, side, s_small_decimal (&input), &qty);
                if (rc == 0 && qty.mantissa <= 0)
                    abort ();
                rc = rc == VB_ENOTFOUND ? 0 : rc;
                (void)vb_book_crossed (book);
                break;
            }
        }
        if (rc != 0 && rc != VB_EINVAL)
            abort ();
        s_check_side (book, VB_BOOK_BID);
        s_check_side (book, VB_BOOK_ASK);
    }
    vb_book_destroy (&book);
    return 0;
}
