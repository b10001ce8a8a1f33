/*  vb_book.c — an L2 order book: price levels per side, exact decimals.

    Each side is a sorted run of levels inside a larger buffer:

        buffer: [ slack | worst ... best | slack ]
                          ^head          ^head + count

    Bids run in ascending price and asks in descending price, so the best
    level is always the last one. Venue updates cluster at the top of the
    book, so an insert or delete there moves only the levels above it; a
    deeper change moves the shorter part, into the slack on that end. When
    the needed end has no slack the run is recentred, or the buffer doubles
    once it is three-quarters full. Dropping the worst level (depth cap,
    truncate) just advances head.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <czmq.h>
#include <string.h>
#include <zlib.h>
#include "vb_book.h"
#include "vb_error.h"

//  First buffer size of a side, in levels.
#define S_CAPACITY_MIN 64
//  A buffer fuller than NUM/DEN is doubled rather than recentred.
#define S_GROW_NUM 3
#define S_GROW_DEN 4
//  Kraken text per level: price and qty, each at most VB_DECIMAL_TEXT_MAX.
#define S_LEVEL_TEXT_MAX (2 * VB_DECIMAL_TEXT_MAX + 4)
//  Two's complement offset to read a CRC32 as signed 32-bit.
#define S_TWO_POW_32 4294967296LL

typedef struct {
    vb_decimal_t price;  //  Price as the venue sent it
    vb_decimal_t qty;    //  Quantity as the venue sent it, always > 0
} s_level_t;

typedef struct {
    s_level_t *levels;  //  Buffer; the run is levels[head .. head + count)
    size_t head;        //  Index of the worst level in the buffer
    size_t count;       //  Levels held
    size_t capacity;    //  Buffer size in levels
    int direction;      //  +1 for bids (ascending), -1 for asks (descending)
} s_side_t;

struct _vb_book_t {
    s_side_t bids;     //  Ascending price, best (highest) last
    s_side_t asks;     //  Descending price, best (lowest) last
    size_t depth_cap;  //  Most levels kept per side
};

//  --------------------------------------------------------------------------
//  Compare two prices exactly. Prices of one book nearly always share their
//  exponent, so that case skips the general comparison.

static inline int
s_price_cmp (vb_decimal_t a, vb_decimal_t b)
{
    if (a.exponent == b.exponent)
        return (a.mantissa > b.mantissa) - (a.mantissa < b.mantissa);
    return vb_decimal_cmp (a, b);
}

//  --------------------------------------------------------------------------
//  Find price in a side by binary search over the run. Returns the run index
//  where the price is or would be inserted; *found tells which.

static size_t
s_side_search (s_side_t *side, vb_decimal_t price, bool *found)
{
    *found = false;
    if (side->count == 0)
        return 0;  //  The buffer may not exist yet
    const s_level_t *run = side->levels + side->head;
    size_t low = 0, high = side->count;
    //  Check the best level first: most updates touch the top of the book.
    int best_order = s_price_cmp (run[high - 1].price, price) * side->direction;
    if (best_order == 0) {
        *found = true;
        return high - 1;
    }
    if (best_order < 0)
        return high;
    high--;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = s_price_cmp (run[middle].price, price) * side->direction;
        if (order == 0) {
            *found = true;
            return middle;
        }
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    *found = false;
    return low;
}

//  --------------------------------------------------------------------------
//  Make room for one more level at either end: recentre the run in its
//  buffer, doubling the buffer first when it is mostly full. Returns 0 or
//  VB_ENOMEM.

static int
s_side_make_room (s_side_t *side)
{
    size_t capacity = side->capacity;
    if (capacity < S_CAPACITY_MIN || (side->count + 1) * S_GROW_DEN > capacity * S_GROW_NUM)
        capacity = capacity < S_CAPACITY_MIN ? S_CAPACITY_MIN : capacity * 2;
    size_t head = (capacity - side->count) / 2;
    if (capacity != side->capacity) {
        s_level_t *levels = (s_level_t *)malloc (capacity * sizeof (s_level_t));
        if (!levels)
            return VB_ENOMEM;
        if (side->count)
            memcpy (levels + head, side->levels + side->head, side->count * sizeof (s_level_t));
        free (side->levels);
        side->levels = levels;
        side->capacity = capacity;
    } else
        memmove (side->levels + head, side->levels + side->head, side->count * sizeof (s_level_t));
    side->head = head;
    return 0;
}

//  --------------------------------------------------------------------------
//  Insert a level at run index `index`, moving the shorter part of the run
//  into the slack on its end. Returns 0 or VB_ENOMEM.

static int
s_side_insert (s_side_t *side, size_t index, vb_decimal_t price, vb_decimal_t qty)
{
    bool room_front = side->head > 0;
    bool room_back = side->head + side->count < side->capacity;
    bool move_front = index < side->count - index;
    if ((move_front && !room_front) || (!move_front && !room_back)) {
        int rc = s_side_make_room (side);
        if (rc)
            return rc;
    }
    s_level_t *run = side->levels + side->head;
    if (move_front) {
        memmove (run - 1, run, index * sizeof (s_level_t));
        side->head--;
        run--;
    } else
        memmove (run + index + 1, run + index, (side->count - index) * sizeof (s_level_t));
    run[index].price = price;
    run[index].qty = qty;
    side->count++;
    return 0;
}

//  --------------------------------------------------------------------------
//  Remove the level at run index `index`, moving the shorter part.

static void
s_side_remove (s_side_t *side, size_t index)
{
    s_level_t *run = side->levels + side->head;
    if (index < side->count - 1 - index) {
        memmove (run + 1, run, index * sizeof (s_level_t));
        side->head++;
    } else
        memmove (run + index, run + index + 1, (side->count - 1 - index) * sizeof (s_level_t));
    side->count--;
}

//  --------------------------------------------------------------------------
//  Keep only the best `depth` levels: drop from the worst end.

static void
s_side_truncate (s_side_t *side, size_t depth)
{
    if (side->count > depth) {
        side->head += side->count - depth;
        side->count = depth;
    }
}

//  --------------------------------------------------------------------------
//  The side for a vb_book_side_t, or NULL when it is not a valid side.

static s_side_t *
s_side (vb_book_t *self, vb_book_side_t side)
{
    if (side == VB_BOOK_BID)
        return &self->bids;
    if (side == VB_BOOK_ASK)
        return &self->asks;
    return NULL;
}

//  --------------------------------------------------------------------------
//  The level `index` places from the best. The caller checks the index.

static inline const s_level_t *
s_side_level (const s_side_t *side, size_t index)
{
    assert (index < side->count);
    return side->levels + side->head + side->count - 1 - index;
}

//  --------------------------------------------------------------------------
//  Create an empty book.

vb_book_t *
vb_book_new (size_t depth_cap)
{
    if (depth_cap == 0 || depth_cap > VB_BOOK_DEPTH_MAX)
        return NULL;
    vb_book_t *self = (vb_book_t *)zmalloc (sizeof (vb_book_t));
    if (!self)
        return NULL;
    self->depth_cap = depth_cap;
    self->bids.direction = 1;
    self->asks.direction = -1;
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the book.

void
vb_book_destroy (vb_book_t **self_p)
{
    assert (self_p);
    vb_book_t *self = *self_p;
    if (self) {
        free (self->asks.levels);
        free (self->bids.levels);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Remove every level, keeping the buffers.

void
vb_book_clear (vb_book_t *self)
{
    assert (self);
    self->bids.count = 0;
    self->bids.head = self->bids.capacity / 2;
    self->asks.count = 0;
    self->asks.head = self->asks.capacity / 2;
}

//  --------------------------------------------------------------------------
//  True when a decimal can be formatted (the checksums need its text).

static inline bool
s_printable (vb_decimal_t value)
{
    return value.exponent >= VB_DECIMAL_EXPONENT_MIN && value.exponent <= VB_DECIMAL_EXPONENT_MAX;
}

//  --------------------------------------------------------------------------
//  Apply one absolute level, then the depth cap.

int
vb_book_set (vb_book_t *self, vb_book_side_t side_id, vb_decimal_t price, vb_decimal_t qty)
{
    assert (self);
    s_side_t *side = s_side (self, side_id);
    if (!side || price.mantissa <= 0 || qty.mantissa < 0 || !s_printable (price) ||
        !s_printable (qty))
        return VB_EINVAL;

    bool found;
    size_t index = s_side_search (side, price, &found);
    if (qty.mantissa == 0) {
        if (found)
            s_side_remove (side, index);
        return 0;
    }
    if (found) {
        s_level_t *level = side->levels + side->head + index;
        level->price = price;
        level->qty = qty;
        return 0;
    }
    int rc = s_side_insert (side, index, price, qty);
    if (rc)
        return rc;
    s_side_truncate (side, self->depth_cap);
    return 0;
}

//  --------------------------------------------------------------------------
//  Replace one side with the given levels.

int
vb_book_snapshot (vb_book_t *self, vb_book_side_t side_id, const vb_decimal_t *prices,
                  const vb_decimal_t *qtys, size_t count)
{
    assert (self);
    s_side_t *side = s_side (self, side_id);
    if (!side || (count && (!prices || !qtys)))
        return VB_EINVAL;
    side->count = 0;
    side->head = side->capacity / 2;
    for (size_t index = 0; index < count; index++) {
        int rc = vb_book_set (self, side_id, prices[index], qtys[index]);
        if (rc) {
            side->count = 0;
            side->head = side->capacity / 2;
            return rc;
        }
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Keep the best `depth` levels per side.

void
vb_book_truncate (vb_book_t *self, size_t depth)
{
    assert (self);
    s_side_truncate (&self->bids, depth);
    s_side_truncate (&self->asks, depth);
}

//  --------------------------------------------------------------------------
//  Number of levels on a side.

size_t
vb_book_count (vb_book_t *self, vb_book_side_t side_id)
{
    assert (self);
    s_side_t *side = s_side (self, side_id);
    return side ? side->count : 0;
}

//  --------------------------------------------------------------------------
//  The depth cap.

size_t
vb_book_depth_cap (vb_book_t *self)
{
    assert (self);
    return self->depth_cap;
}

//  --------------------------------------------------------------------------
//  Read one level counted from the best.

int
vb_book_level (vb_book_t *self, vb_book_side_t side_id, size_t index, vb_decimal_t *price,
               vb_decimal_t *qty)
{
    assert (self);
    s_side_t *side = s_side (self, side_id);
    if (!side)
        return VB_EINVAL;
    if (index >= side->count)
        return VB_ENOTFOUND;
    const s_level_t *level = s_side_level (side, index);
    if (price)
        *price = level->price;
    if (qty)
        *qty = level->qty;
    return 0;
}

//  --------------------------------------------------------------------------
//  Read the best level of a side.

int
vb_book_best (vb_book_t *self, vb_book_side_t side, vb_decimal_t *price, vb_decimal_t *qty)
{
    return vb_book_level (self, side, 0, price, qty);
}

//  --------------------------------------------------------------------------
//  Look up the qty at an exact price.

int
vb_book_qty (vb_book_t *self, vb_book_side_t side_id, vb_decimal_t price, vb_decimal_t *qty)
{
    assert (self);
    s_side_t *side = s_side (self, side_id);
    if (!side)
        return VB_EINVAL;
    bool found;
    size_t index = s_side_search (side, price, &found);
    if (!found)
        return VB_ENOTFOUND;
    if (qty)
        *qty = side->levels[side->head + index].qty;
    return 0;
}

//  --------------------------------------------------------------------------
//  True when the best bid is at or above the best ask.

bool
vb_book_crossed (vb_book_t *self)
{
    assert (self);
    if (self->bids.count == 0 || self->asks.count == 0)
        return false;
    return s_price_cmp (s_side_level (&self->bids, 0)->price,
                        s_side_level (&self->asks, 0)->price) >= 0;
}

//  --------------------------------------------------------------------------
//  Append the Kraken form of value to text: its decimal text without the '.'
//  and without leading zeros. Returns the new length.

static size_t
s_kraken_digits (vb_decimal_t value, char *text, size_t length)
{
    char decimal[VB_DECIMAL_TEXT_MAX];
    int size = vb_decimal_format (value, decimal, sizeof decimal);
    assert (size > 0);  //  The book holds only printable, positive values.
    bool leading = true;
    for (int index = 0; index < size; index++) {
        char digit = decimal[index];
        if (digit == '.' || (leading && digit == '0'))
            continue;
        leading = false;
        text[length++] = digit;
    }
    return length;
}

//  --------------------------------------------------------------------------
//  Feed `depth` levels of a side, best first, into a Kraken CRC, rescaling
//  when asked (rescale false keeps the original scale). Returns 0 or the
//  vb_decimal_rescale error.

static int
s_kraken_side (const s_side_t *side, bool rescale, int32_t price_exponent, int32_t qty_exponent,
               uLong *crc)
{
    char text[S_LEVEL_TEXT_MAX];
    size_t depth =
        side->count < VB_BOOK_KRAKEN_CHECKSUM_DEPTH ? side->count : VB_BOOK_KRAKEN_CHECKSUM_DEPTH;
    for (size_t index = 0; index < depth; index++) {
        const s_level_t *level = s_side_level (side, index);
        vb_decimal_t price = level->price, qty = level->qty;
        if (rescale) {
            int rc = vb_decimal_rescale (level->price, price_exponent, &price);
            if (rc == 0)
                rc = vb_decimal_rescale (level->qty, qty_exponent, &qty);
            if (rc == 0 && (!s_printable (price) || !s_printable (qty)))
                rc = VB_EOVERFLOW;
            if (rc)
                return rc;
        }
        size_t length = s_kraken_digits (price, text, 0);
        length = s_kraken_digits (qty, text, length);
        *crc = crc32 (*crc, (const Bytef *)text, (uInt)length);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Kraken checksum over the original text.

uint32_t
vb_book_checksum_kraken (vb_book_t *self)
{
    assert (self);
    uLong crc = crc32 (0L, Z_NULL, 0);
    int rc = s_kraken_side (&self->asks, false, 0, 0, &crc);
    if (rc == 0)
        rc = s_kraken_side (&self->bids, false, 0, 0, &crc);
    assert (rc == 0);  //  Cannot fail without rescaling.
    return (uint32_t)crc;
}

//  --------------------------------------------------------------------------
//  Kraken checksum at the instrument's precision.

int
vb_book_checksum_kraken_scaled (vb_book_t *self, int32_t price_exponent, int32_t qty_exponent,
                                uint32_t *checksum)
{
    assert (self);
    assert (checksum);
    uLong crc = crc32 (0L, Z_NULL, 0);
    int rc = s_kraken_side (&self->asks, true, price_exponent, qty_exponent, &crc);
    if (rc == 0)
        rc = s_kraken_side (&self->bids, true, price_exponent, qty_exponent, &crc);
    if (rc == 0)
        *checksum = (uint32_t)crc;
    return rc;
}

//  --------------------------------------------------------------------------
//  Append "px:sz" of one level to text, with a ':' first unless it is the
//  first level of the string. Returns the new length.

static size_t
s_okx_level (const s_level_t *level, bool first, char *text, size_t length)
{
    if (!first)
        text[length++] = ':';
    int size = vb_decimal_format (level->price, text + length, VB_DECIMAL_TEXT_MAX);
    assert (size > 0);
    length += (size_t)size;
    text[length++] = ':';
    size = vb_decimal_format (level->qty, text + length, VB_DECIMAL_TEXT_MAX);
    assert (size > 0);
    return length + (size_t)size;
}

//  --------------------------------------------------------------------------
//  OKX checksum: bids and asks interleaved, then the longer side alone.

int32_t
vb_book_checksum_okx (vb_book_t *self)
{
    assert (self);
    uLong crc = crc32 (0L, Z_NULL, 0);
    //  Room for one bid and one ask, each "px:sz" with a leading ':'.
    char text[2 * S_LEVEL_TEXT_MAX];
    bool first = true;
    for (size_t index = 0; index < VB_BOOK_OKX_CHECKSUM_DEPTH; index++) {
        size_t length = 0;
        if (index < self->bids.count) {
            length = s_okx_level (s_side_level (&self->bids, index), first, text, length);
            first = false;
        }
        if (index < self->asks.count) {
            length = s_okx_level (s_side_level (&self->asks, index), first, text, length);
            first = false;
        }
        if (length == 0)
            break;
        crc = crc32 (crc, (const Bytef *)text, (uInt)length);
    }
    int64_t value = (int64_t)(uint32_t)crc;
    return (int32_t)(value > INT32_MAX ? value - S_TWO_POW_32 : value);
}
