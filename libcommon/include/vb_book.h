/*  vb_book.h — an L2 order book: price levels per side, exact decimals.

    Each level keeps its price and quantity as the venue sent them, scale
    included ("45281.0" stays mantissa 452810, exponent -1), because the
    Kraken and OKX checksums are computed over the original text. Prices are
    compared exactly whatever their scale, so "45281.0" and "45281.00" are
    the same level.

    Storage: per side a blocked sorted array, best level last: blocks of at
    most 32 levels plus an index of each block's best price. A lookup is a
    binary search of the index, then of one block (the block of the previous
    update is tried first, since venues list a message's levels in order);
    an insert or delete moves at most one block, whatever the depth. Prices
    of a side are compared as one integer at a common exponent (hostile
    mixes of scales that do not fit fall back to exact vb_decimal compares).
    Reading levels best first is sequential. Memory grows as needed up to
    the depth cap. The book does no I/O and never logs; errors are negative
    VB_E* codes.

    Depth cap policy: a side never holds more than depth_cap levels. When a
    vb_book_set would make it hold more, the worst level of that side is
    dropped at once (which may be the level just set). Venues whose rule is
    "apply the whole message, then truncate" (Kraken) should use a cap with
    headroom above the subscribed depth (for example twice it) and call
    vb_book_truncate (self, depth) after each message.

    Not thread-safe: one book belongs to one thread.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_BOOK_H_INCLUDED
#define VB_BOOK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vb_decimal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _vb_book_t vb_book_t;

typedef enum {
    VB_BOOK_SIDE_UNSET = 0,  //  Reserved: never a valid side
    VB_BOOK_BID = 1,         //  Buy side, best = highest price
    VB_BOOK_ASK = 2,         //  Sell side, best = lowest price
} vb_book_side_t;

//  Largest depth_cap accepted by vb_book_new (levels per side).
#define VB_BOOK_DEPTH_MAX 1000000

//  Levels that take part in the Kraken checksum, per side.
#define VB_BOOK_KRAKEN_CHECKSUM_DEPTH 10
//  Levels that take part in the OKX checksum, per side.
#define VB_BOOK_OKX_CHECKSUM_DEPTH 25

//  Create an empty book holding at most depth_cap levels per side (1 to
//  VB_BOOK_DEPTH_MAX). Returns NULL when depth_cap is out of range or memory
//  runs out.
vb_book_t *vb_book_new (size_t depth_cap);

//  Destroy the book. Safe on NULL and when called twice.
void vb_book_destroy (vb_book_t **self_p);

//  Remove every level of both sides. Keeps the allocated capacity.
void vb_book_clear (vb_book_t *self);

//  Apply one absolute level: a positive qty inserts or replaces the level at
//  price (keeping the scales given, which the checksums use); a zero qty (at
//  any scale) deletes it, and deleting an absent price is not an error (the
//  venues send such deletes). The side may be briefly crossed between the
//  levels of one message, so no crossing check is made here: use
//  vb_book_crossed after the whole message. Then applies the depth cap (see
//  above). Returns 0, or VB_EINVAL for a bad side, a price that is not
//  positive, a negative qty, or an exponent outside VB_DECIMAL_EXPONENT_MIN..
//  MAX; the book is unchanged on error.
int vb_book_set (vb_book_t *self, vb_book_side_t side, vb_decimal_t price, vb_decimal_t qty);

//  Replace one side with `count` levels (any order; zero quantities are
//  skipped, a repeated price keeps the last). For a snapshot call it once
//  per side. Returns 0, or the first vb_book_set error, in which case that
//  side is left empty.
int vb_book_snapshot (vb_book_t *self, vb_book_side_t side, const vb_decimal_t *prices,
                      const vb_decimal_t *qtys, size_t count);

//  Keep only the best `depth` levels of each side (Kraken: after each
//  message, truncate to the subscribed depth). O(levels / 32 + 32).
void vb_book_truncate (vb_book_t *self, size_t depth);

//  Number of levels on a side (0 for a bad side).
size_t vb_book_count (vb_book_t *self, vb_book_side_t side);

//  The depth cap given to vb_book_new.
size_t vb_book_depth_cap (vb_book_t *self);

//  Read the level `index` places from the best (0 = best) into price and
//  qty (either may be NULL), with their original scales. Returns 0,
//  VB_ENOTFOUND when the side has no such level, or VB_EINVAL for a bad side.
int vb_book_level (vb_book_t *self, vb_book_side_t side, size_t index, vb_decimal_t *price,
                   vb_decimal_t *qty);

//  The best level of a side: vb_book_level (self, side, 0, price, qty).
int vb_book_best (vb_book_t *self, vb_book_side_t side, vb_decimal_t *price, vb_decimal_t *qty);

//  Look up the qty at an exact price. Returns 0, VB_ENOTFOUND, or VB_EINVAL
//  for a bad side.
int vb_book_qty (vb_book_t *self, vb_book_side_t side, vb_decimal_t price, vb_decimal_t *qty);

//  True when both sides have levels and the best bid is at or above the
//  best ask. A consistent venue book is never crossed after a whole message.
bool vb_book_crossed (vb_book_t *self);

//  Kraken book checksum (WS v1 and v2 use the same algorithm): CRC32 (zlib
//  crc32, IEEE) of the top 10 asks from the lowest price up, then the top 10
//  bids from the highest price down; for each level the price text, then the
//  qty text, each with its '.' removed and its leading zeros stripped
//  ("0.00100000" -> "100000"). The text is the level's original scale, so
//  v1 books (strings) need nothing more. Compare with the venue's value as
//  unsigned 32-bit.
uint32_t vb_book_checksum_kraken (vb_book_t *self);

//  The same checksum with every price first rescaled to price_exponent and
//  every qty to qty_exponent. Kraken v2 sends prices and quantities as JSON
//  numbers, which lose trailing zeros ("45281.0" arrives as 45281.0 or
//  45281); the checksum is defined over the instrument's precision, so pass
//  -price_precision and -qty_precision of the pair. Returns 0 with
//  *checksum set, or VB_EINVAL when a level has more digits than that
//  precision (it cannot be expressed without rounding), or VB_EOVERFLOW.
int vb_book_checksum_kraken_scaled (vb_book_t *self, int32_t price_exponent, int32_t qty_exponent,
                                    uint32_t *checksum);

//  OKX book checksum (legacy; OKX now sends 0 for books): CRC32 of the first
//  25 bids (best first) and 25 asks interleaved as
//  "bidPx:bidSz:askPx:askSz:..."; when one side runs out the other goes on
//  alone. Uses the original text. Returned as a signed 32-bit value, as OKX
//  sends it.
int32_t vb_book_checksum_okx (vb_book_t *self);

#ifdef __cplusplus
}
#endif
#endif
