/*  vb_book.c — an L2 order book: price levels per side, exact decimals.

    Each side is a blocked sorted array: a run of small blocks of at most
    S_BLOCK_LEVELS levels, worst block first, plus an index of each block's
    best key:

        index:  tops   [ t0      t1      ...  tn     ]   (ascending)
        blocks: [ worst .. ] [ .. ] ... [ .. best ]       (each sorted, worst
   first)

    A lookup binary-searches the index, then the block. An insert or delete
    moves at most one block's levels, so a change deep in a 1,000-level book
    costs the same as one at the top. A full block splits in two (or, at the
    worst or best end of the side, a new empty block opens beside it); a
    block that falls below a quarter full merges with a neighbour when the
    two fit in three quarters of a block, and an empty block leaves the
    index. Unused blocks go to a spare list and are reused. Venues list a
    message's levels in price order, so each side remembers the block of
    its last search (the "finger") and tries it before the index.

    Keys. While a side is "exact" every price is held as one int64 at the
    side's common exponent (the finest exponent seen since the side was last
    empty), negated for asks, so that both sides sort ascending and a compare
    is one integer compare. Each level also keeps the exponents the venue
    sent for its price and qty, which give back the original text for the
    checksums. A price with a finer exponent rescales the side once. When a
    price cannot be held at the common exponent without overflow (hostile
    input: say 1e24 next to 1e-40), the side turns "general": keys become the
    original price mantissas and compares use vb_decimal_cmp, until the side
    is next empty.
    SPDX-License-Identifier: MPL-2.0
*/
#include "vb_book.h"
#include "vb_error.h"
#include <assert.h>
#include <czmq.h>
#include <string.h>
#include <zlib.h>

//  Levels per block. Measured on the real Binance capture (bench_book):
//  32 moves little per change and keeps the index short.
#define S_BLOCK_LEVELS 32
//  A block with fewer levels than this after a delete tries to merge.
#define S_MERGE_BELOW (S_BLOCK_LEVELS / 4)
//  Two blocks merge only when the result has at most this many levels, so
//  that a merged block has room left before it splits again.
#define S_MERGE_MAX (S_BLOCK_LEVELS * 3 / 4)
//  Levels left in the worse half of a split block.
#define S_SPLIT_KEEP (S_BLOCK_LEVELS / 2)
//  First size of a side's block index, in blocks.
#define S_INDEX_MIN 8
//  Largest power of ten held in an int64.
#define S_POW10_MAX 18
//  Kraken text per level: price and qty, each at most VB_DECIMAL_TEXT_MAX.
#define S_LEVEL_TEXT_MAX (2 * VB_DECIMAL_TEXT_MAX + 4)
//  Two's complement offset to read a CRC32 as signed 32-bit.
#define S_TWO_POW_32 4294967296LL
//  No block position cached.
#define S_NO_CURSOR SIZE_MAX

// clang-format off
static const int64_t s_pow10[S_POW10_MAX + 1] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL,
    1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL,
    100000000000000LL, 1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
    1000000000000000000LL};
//  s_pow10_limit[n]: the largest mantissa that still fits once multiplied
//  by 10^n, INT64_MAX / 10^n (a table: a division would cost more than the
//  rest of a compare).
static const int64_t s_pow10_limit[S_POW10_MAX + 1] = {
    INT64_MAX, INT64_MAX / 10LL, INT64_MAX / 100LL, INT64_MAX / 1000LL, INT64_MAX / 10000LL,
    INT64_MAX / 100000LL, INT64_MAX / 1000000LL, INT64_MAX / 10000000LL,
    INT64_MAX / 100000000LL, INT64_MAX / 1000000000LL, INT64_MAX / 10000000000LL,
    INT64_MAX / 100000000000LL, INT64_MAX / 1000000000000LL, INT64_MAX / 10000000000000LL,
    INT64_MAX / 100000000000000LL, INT64_MAX / 1000000000000000LL,
    INT64_MAX / 10000000000000000LL, INT64_MAX / 100000000000000000LL,
    INT64_MAX / 1000000000000000000LL};
// clang-format on

//  What a level holds beside its key.
typedef struct {
    int64_t qty;            //  Quantity mantissa as sent, always > 0
    int8_t price_exponent;  //  Price exponent as sent
    int8_t qty_exponent;    //  Quantity exponent as sent
} s_data_t;

//  A block keeps its keys apart from the rest, so that a search reads only
//  keys. Key: on an exact side the price at the side exponent (negated for
//  asks); on a general side the price mantissa as sent.
typedef struct _s_block_t s_block_t;
struct _s_block_t {
    size_t count;                   //  Levels held
    s_block_t *next;                //  Next block on the spare list
    int64_t keys[S_BLOCK_LEVELS];   //  Ascending: worst level first
    s_data_t data[S_BLOCK_LEVELS];  //  The same levels' quantities and exponents
};

typedef struct {
    s_block_t **blocks;     //  Blocks in use, worst first
    int64_t *tops;          //  tops[i]: key of the best level of blocks[i]
    size_t block_count;     //  Blocks in use
    size_t block_capacity;  //  Size of blocks[] and tops[]
    s_block_t *spare;       //  Unused blocks, linked by next
    size_t count;           //  Levels held
    int32_t exponent;       //  Exact side: the common price exponent
    bool exact;             //  Keys are prices at the common exponent
    int direction;          //  +1 for bids, -1 for asks (key sign)
    size_t cursor_block;    //  Block last read by rank, or S_NO_CURSOR
    size_t cursor_rank;     //  Rank (0 = best) of that block's best level
    size_t finger;          //  Block of the last exact search: a hint, checked before use
} s_side_t;

//  Where a price is, or would be inserted.
typedef struct {
    size_t block;  //  Position in the index
    size_t index;  //  Level index inside the block
    bool found;    //  The price is there
} s_position_t;

struct _vb_book_t {
    s_side_t bids;     //  Best = highest price
    s_side_t asks;     //  Best = lowest price
    size_t depth_cap;  //  Most levels kept per side
};

//  --------------------------------------------------------------------------
//  True when a decimal can be formatted (the checksums need its text).

static inline bool
s_printable (vb_decimal_t value)
{
    return value.exponent >= VB_DECIMAL_EXPONENT_MIN && value.exponent <= VB_DECIMAL_EXPONENT_MAX;
}

//  --------------------------------------------------------------------------
//  The exact key of a positive price on an exact side, when the price can be
//  held at the side exponent. False when it cannot: too large, or digits
//  finer than the side exponent (then no level of the side has that price).

static inline bool
s_side_key (const s_side_t *side, vb_decimal_t price, int64_t *key)
{
    if (price.mantissa <= 0)
        return false;
    int64_t shift = (int64_t)price.exponent - side->exponent;
    if (shift == 0) {
        //  The common case: the venue's scale is the side's.
        *key = price.mantissa * side->direction;
        return true;
    }
    if (shift > 0) {
        if (shift > S_POW10_MAX || price.mantissa > s_pow10_limit[shift])
            return false;
        *key = price.mantissa * s_pow10[shift] * side->direction;
        return true;
    }
    if (-shift > S_POW10_MAX || price.mantissa % s_pow10[-shift] != 0)
        return false;
    *key = price.mantissa / s_pow10[-shift] * side->direction;
    return true;
}

//  --------------------------------------------------------------------------
//  The price of a level, with the exponent the venue sent.

static inline vb_decimal_t
s_level_price (const s_side_t *side, const s_block_t *block, size_t index)
{
    int8_t exponent = block->data[index].price_exponent;
    vb_decimal_t price = {block->keys[index], exponent};
    if (side->exact)
        price.mantissa = block->keys[index] * side->direction / s_pow10[exponent - side->exponent];
    return price;
}

//  --------------------------------------------------------------------------
//  The quantity of a level, as sent.

static inline vb_decimal_t
s_level_qty (const s_block_t *block, size_t index)
{
    return (vb_decimal_t){block->data[index].qty, block->data[index].qty_exponent};
}

//  --------------------------------------------------------------------------
//  The first of `count` ascending keys (count >= 1) that is not below key,
//  or count when every key is below it. Branch-free: the compare feeds a
//  conditional move, because book updates land at unpredictable depths.

static inline size_t
s_lower_bound (const int64_t *keys, size_t count, int64_t key)
{
    const int64_t *base = keys;
    while (count > 1) {
        size_t half = count / 2;
        base = base[half] < key ? base + half : base;
        count -= half;
    }
    return (size_t)(base - keys) + (*base < key);
}

//  --------------------------------------------------------------------------
//  Move `count` levels inside or between blocks (the ranges may overlap).

static inline void
s_levels_move (s_block_t *to, size_t to_index, const s_block_t *from, size_t from_index,
               size_t count)
{
    memmove (to->keys + to_index, from->keys + from_index, count * sizeof (int64_t));
    memmove (to->data + to_index, from->data + from_index, count * sizeof (s_data_t));
}

//  --------------------------------------------------------------------------
//  Exact side: find a key. Binary search over the block tops, then inside
//  the block. A key above every level goes after the best level.

static s_position_t
s_search_exact (s_side_t *side, int64_t key)
{
    s_position_t position = {0, 0, false};
    size_t blocks = side->block_count;
    if (blocks == 0)
        return position;
    if (side->tops[blocks - 1] < key) {
        position.block = blocks - 1;
        position.index = side->blocks[blocks - 1]->count;
        return position;
    }
    //  Venues list a message's levels best first, so the next key is most
    //  often in the block of the last search: try it before the index.
    size_t finger = side->finger;
    if (finger < blocks && side->tops[finger] >= key &&
        (finger == 0 || side->tops[finger - 1] < key))
        position.block = finger;
    else {
        position.block = s_lower_bound (side->tops, blocks, key);
        side->finger = position.block;
    }
    const s_block_t *block = side->blocks[position.block];
    position.index = s_lower_bound (block->keys, block->count, key);
    //  index < count, since the block's top is not below key.
    position.found = block->keys[position.index] == key;
    return position;
}

//  --------------------------------------------------------------------------
//  General side: compare a level with a price in the side's order
//  (negative when the level is worse than the price).

static inline int
s_general_order (const s_side_t *side, const s_block_t *block, size_t index, vb_decimal_t price)
{
    vb_decimal_t level_price = {block->keys[index], block->data[index].price_exponent};
    return side->direction * vb_decimal_cmp (level_price, price);
}

//  --------------------------------------------------------------------------
//  General side: find a price, as s_search_exact does.

static s_position_t
s_search_general (const s_side_t *side, vb_decimal_t price)
{
    s_position_t position = {0, 0, false};
    size_t low = 0, high = side->block_count;
    if (high == 0)
        return position;
    const s_block_t *best = side->blocks[high - 1];
    if (s_general_order (side, best, best->count - 1, price) < 0) {
        position.block = high - 1;
        position.index = best->count;
        return position;
    }
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        const s_block_t *block = side->blocks[middle];
        if (s_general_order (side, block, block->count - 1, price) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    const s_block_t *block = side->blocks[low];
    size_t first = 0, last = block->count;
    while (first < last) {
        size_t middle = first + (last - first) / 2;
        if (s_general_order (side, block, middle, price) < 0)
            first = middle + 1;
        else
            last = middle;
    }
    position.block = low;
    position.index = first;
    position.found = s_general_order (side, block, first, price) == 0;
    return position;
}

//  --------------------------------------------------------------------------
//  Find an existing price. Returns true with *position set when the side
//  holds it.

static bool
s_side_find (s_side_t *side, vb_decimal_t price, s_position_t *position)
{
    if (side->count == 0)
        return false;
    if (side->exact) {
        int64_t key;
        if (!s_side_key (side, price, &key))
            return false;
        *position = s_search_exact (side, key);
    } else
        *position = s_search_general (side, price);
    return position->found;
}

//  --------------------------------------------------------------------------
//  Exact side: move to a finer common exponent. Returns false, changing
//  nothing, when some level would not fit.

static bool
s_side_rescale (s_side_t *side, int32_t exponent)
{
    int64_t shift = (int64_t)side->exponent - exponent;
    assert (shift > 0);
    if (shift > S_POW10_MAX)
        return false;
    //  The largest price is the best bid, or the worst ask.
    int64_t largest;
    if (side->direction > 0)
        largest = side->tops[side->block_count - 1];
    else
        largest = -side->blocks[0]->keys[0];
    if (largest > s_pow10_limit[shift])
        return false;
    for (size_t position = 0; position < side->block_count; position++) {
        s_block_t *block = side->blocks[position];
        for (size_t index = 0; index < block->count; index++)
            block->keys[index] *= s_pow10[shift];
        side->tops[position] *= s_pow10[shift];
    }
    side->exponent = exponent;
    return true;
}

//  --------------------------------------------------------------------------
//  Turn an exact side general: keys become the price mantissas as sent.
//  The order of the levels does not change.

static void
s_side_make_general (s_side_t *side)
{
    assert (side->exact);
    for (size_t position = 0; position < side->block_count; position++) {
        s_block_t *block = side->blocks[position];
        for (size_t index = 0; index < block->count; index++)
            block->keys[index] = s_level_price (side, block, index).mantissa;
        side->tops[position] = block->keys[block->count - 1];
    }
    side->exact = false;
}

//  --------------------------------------------------------------------------
//  The key for a new level at a positive, printable price: on an exact side
//  rescale it first when the price is finer, or make it general when the
//  price cannot be held.

static int64_t
s_side_admit (s_side_t *side, vb_decimal_t price)
{
    if (side->count == 0) {
        side->exact = true;
        side->exponent = price.exponent;
    }
    if (side->exact) {
        int64_t key;
        if (price.exponent < side->exponent && !s_side_rescale (side, price.exponent))
            s_side_make_general (side);
        else if (s_side_key (side, price, &key))
            return key;
        else
            s_side_make_general (side);
    }
    return price.mantissa;
}

//  --------------------------------------------------------------------------
//  Empty a side: every block goes to the spare list.

static void
s_side_empty (s_side_t *side)
{
    for (size_t position = 0; position < side->block_count; position++) {
        side->blocks[position]->next = side->spare;
        side->spare = side->blocks[position];
    }
    side->block_count = 0;
    side->count = 0;
    side->exact = true;
    side->cursor_block = S_NO_CURSOR;
}

//  --------------------------------------------------------------------------
//  Make room in the index for one more block, and make sure a spare block
//  exists. Returns 0 or VB_ENOMEM (nothing in use changes).

static int
s_side_reserve (s_side_t *side)
{
    if (side->block_count == side->block_capacity) {
        size_t capacity = side->block_capacity ? side->block_capacity * 2 : S_INDEX_MIN;
        s_block_t **blocks = (s_block_t **)realloc (side->blocks, capacity * sizeof (s_block_t *));
        if (!blocks)
            return VB_ENOMEM;
        side->blocks = blocks;
        int64_t *tops = (int64_t *)realloc (side->tops, capacity * sizeof (int64_t));
        if (!tops)
            return VB_ENOMEM;
        side->tops = tops;
        side->block_capacity = capacity;
    }
    if (!side->spare) {
        s_block_t *block = (s_block_t *)malloc (sizeof (s_block_t));
        if (!block)
            return VB_ENOMEM;
        block->next = NULL;
        side->spare = block;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Put an empty spare block into the index at `position`. s_side_reserve
//  must have succeeded.

static s_block_t *
s_side_open_block (s_side_t *side, size_t position)
{
    assert (side->spare && side->block_count < side->block_capacity);
    s_block_t *block = side->spare;
    side->spare = block->next;
    block->count = 0;
    size_t after = side->block_count - position;
    memmove (side->blocks + position + 1, side->blocks + position, after * sizeof (s_block_t *));
    memmove (side->tops + position + 1, side->tops + position, after * sizeof (int64_t));
    side->blocks[position] = block;
    side->block_count++;
    return block;
}

//  --------------------------------------------------------------------------
//  Take the block at `position` out of the index, onto the spare list.

static void
s_side_close_block (s_side_t *side, size_t position)
{
    s_block_t *block = side->blocks[position];
    block->next = side->spare;
    side->spare = block;
    size_t after = side->block_count - position - 1;
    memmove (side->blocks + position, side->blocks + position + 1, after * sizeof (s_block_t *));
    memmove (side->tops + position, side->tops + position + 1, after * sizeof (int64_t));
    side->block_count--;
}

//  --------------------------------------------------------------------------
//  Insert a new level at a position from the search. Returns 0 or
//  VB_ENOMEM (the side is then unchanged).

static int
s_side_insert (s_side_t *side, s_position_t position, int64_t key, s_data_t data)
{
    side->cursor_block = S_NO_CURSOR;
    s_block_t *block;
    if (side->block_count == 0) {
        int rc = s_side_reserve (side);
        if (rc)
            return rc;
        block = s_side_open_block (side, 0);
        position.block = 0;
        position.index = 0;
    } else {
        block = side->blocks[position.block];
        if (block->count == S_BLOCK_LEVELS && position.index == 0 && position.block > 0 &&
            side->blocks[position.block - 1]->count < S_BLOCK_LEVELS) {
            //  Between two blocks: the end of the worse one has room.
            position.block--;
            block = side->blocks[position.block];
            position.index = block->count;
        }
    }
    if (block->count == S_BLOCK_LEVELS) {
        int rc = s_side_reserve (side);
        if (rc)
            return rc;
        bool last = position.block == side->block_count - 1;
        if (position.index == 0 && position.block == 0) {
            //  A new worst level: open an empty block before.
            block = s_side_open_block (side, 0);
        } else if (position.index == S_BLOCK_LEVELS && last) {
            //  A new best level: open an empty block after.
            position.block++;
            block = s_side_open_block (side, position.block);
            position.index = 0;
        } else {
            //  Split: the better half moves to a new block after.
            s_block_t *better = s_side_open_block (side, position.block + 1);
            better->count = S_BLOCK_LEVELS - S_SPLIT_KEEP;
            s_levels_move (better, 0, block, S_SPLIT_KEEP, better->count);
            block->count = S_SPLIT_KEEP;
            side->tops[position.block + 1] = side->tops[position.block];
            side->tops[position.block] = block->keys[block->count - 1];
            if (position.index > S_SPLIT_KEEP) {
                position.block++;
                position.index -= S_SPLIT_KEEP;
                block = better;
            }
        }
    }
    s_levels_move (block, position.index + 1, block, position.index, block->count - position.index);
    block->keys[position.index] = key;
    block->data[position.index] = data;
    block->count++;
    side->tops[position.block] = block->keys[block->count - 1];
    side->count++;
    return 0;
}

//  --------------------------------------------------------------------------
//  Remove the level at a position; merge a block left nearly empty.

static void
s_side_remove (s_side_t *side, s_position_t position)
{
    side->cursor_block = S_NO_CURSOR;
    s_block_t *block = side->blocks[position.block];
    s_levels_move (block, position.index, block, position.index + 1,
                   block->count - position.index - 1);
    block->count--;
    side->count--;
    if (block->count == 0) {
        s_side_close_block (side, position.block);
        if (side->count == 0)
            side->exact = true;
        return;
    }
    side->tops[position.block] = block->keys[block->count - 1];
    if (block->count >= S_MERGE_BELOW)
        return;
    //  Merge with the smaller neighbour when both fit comfortably.
    size_t worse = position.block, better = position.block;
    if (position.block > 0)
        worse = position.block - 1;
    if (position.block + 1 < side->block_count &&
        (worse == position.block ||
         side->blocks[position.block + 1]->count < side->blocks[worse]->count)) {
        worse = position.block;
        better = position.block + 1;
    }
    if (worse == better)
        return;  //  The only block
    s_block_t *into = side->blocks[worse], *from = side->blocks[better];
    if (into->count + from->count > S_MERGE_MAX)
        return;
    s_levels_move (into, into->count, from, 0, from->count);
    into->count += from->count;
    side->tops[worse] = side->tops[better];
    s_side_close_block (side, better);
}

//  --------------------------------------------------------------------------
//  Keep only the best `depth` levels of a side.

static void
s_side_truncate (s_side_t *side, size_t depth)
{
    if (side->count <= depth)
        return;
    if (depth == 0) {
        s_side_empty (side);
        return;
    }
    side->cursor_block = S_NO_CURSOR;
    //  Find the block holding the level of rank depth - 1.
    size_t position = side->block_count, rank = 0;
    while (position > 0) {
        position--;
        if (rank + side->blocks[position]->count >= depth)
            break;
        rank += side->blocks[position]->count;
    }
    s_block_t *block = side->blocks[position];
    size_t keep = depth - rank;
    s_levels_move (block, 0, block, block->count - keep, keep);
    block->count = keep;
    //  Every block below it goes to the spare list.
    for (size_t worse = 0; worse < position; worse++) {
        side->blocks[worse]->next = side->spare;
        side->spare = side->blocks[worse];
    }
    size_t left = side->block_count - position;
    memmove (side->blocks, side->blocks + position, left * sizeof (s_block_t *));
    memmove (side->tops, side->tops + position, left * sizeof (int64_t));
    side->block_count = left;
    side->count = depth;
}

//  --------------------------------------------------------------------------
//  The level `rank` places from the best. Sequential reads from the best
//  cost O(1) each: the last block found is kept as a cursor.

static const s_block_t *
s_side_rank (s_side_t *side, size_t rank, size_t *index)
{
    assert (rank < side->count);
    size_t position = side->block_count - 1, before = 0;
    if (side->cursor_block < side->block_count && rank >= side->cursor_rank) {
        position = side->cursor_block;
        before = side->cursor_rank;
    }
    while (rank - before >= side->blocks[position]->count) {
        before += side->blocks[position]->count;
        assert (position > 0);
        position--;
    }
    side->cursor_block = position;
    side->cursor_rank = before;
    const s_block_t *block = side->blocks[position];
    *index = block->count - 1 - (rank - before);
    return block;
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
//  Prepare an empty side.

static void
s_side_init (s_side_t *side, int direction)
{
    side->direction = direction;
    side->exact = true;
    side->cursor_block = S_NO_CURSOR;
}

//  --------------------------------------------------------------------------
//  Free every block and the index of a side.

static void
s_side_free (s_side_t *side)
{
    s_side_empty (side);
    while (side->spare) {
        s_block_t *next = side->spare->next;
        free (side->spare);
        side->spare = next;
    }
    free (side->blocks);
    free (side->tops);
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
    s_side_init (&self->bids, 1);
    s_side_init (&self->asks, -1);
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
        s_side_free (&self->asks);
        s_side_free (&self->bids);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Remove every level, keeping the blocks for reuse.

void
vb_book_clear (vb_book_t *self)
{
    assert (self);
    s_side_empty (&self->bids);
    s_side_empty (&self->asks);
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

    s_position_t position;
    if (qty.mantissa == 0) {
        if (s_side_find (side, price, &position))
            s_side_remove (side, position);
        return 0;
    }
    int64_t key = s_side_admit (side, price);
    s_data_t data = {.qty = qty.mantissa,
                     .price_exponent = (int8_t)price.exponent,
                     .qty_exponent = (int8_t)qty.exponent};
    position = side->exact ? s_search_exact (side, key) : s_search_general (side, price);
    if (position.found) {
        //  Same value: the order holds; the text (scales) is the new one.
        s_block_t *block = side->blocks[position.block];
        block->keys[position.index] = key;
        block->data[position.index] = data;
        side->tops[position.block] = block->keys[block->count - 1];
        return 0;
    }
    int rc = s_side_insert (side, position, key, data);
    if (rc) {
        if (side->count == 0)
            side->exact = true;
        return rc;
    }
    if (side->count > self->depth_cap)
        s_side_remove (side, (s_position_t){0, 0, true});
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
    s_side_empty (side);
    for (size_t index = 0; index < count; index++) {
        int rc = vb_book_set (self, side_id, prices[index], qtys[index]);
        if (rc) {
            s_side_empty (side);
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
    size_t at;
    const s_block_t *block = s_side_rank (side, index, &at);
    if (price)
        *price = s_level_price (side, block, at);
    if (qty)
        *qty = s_level_qty (block, at);
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
    s_position_t position;
    if (!s_side_find (side, price, &position))
        return VB_ENOTFOUND;
    if (qty)
        *qty = s_level_qty (side->blocks[position.block], position.index);
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
    size_t bid_at, ask_at;
    const s_block_t *bid_block = s_side_rank (&self->bids, 0, &bid_at);
    const s_block_t *ask_block = s_side_rank (&self->asks, 0, &ask_at);
    vb_decimal_t bid = s_level_price (&self->bids, bid_block, bid_at);
    vb_decimal_t ask = s_level_price (&self->asks, ask_block, ask_at);
    return vb_decimal_cmp (bid, ask) >= 0;
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
s_kraken_side (s_side_t *side, bool rescale, int32_t price_exponent, int32_t qty_exponent,
               uLong *crc)
{
    char text[S_LEVEL_TEXT_MAX];
    size_t depth =
        side->count < VB_BOOK_KRAKEN_CHECKSUM_DEPTH ? side->count : VB_BOOK_KRAKEN_CHECKSUM_DEPTH;
    for (size_t index = 0; index < depth; index++) {
        size_t at;
        const s_block_t *block = s_side_rank (side, index, &at);
        vb_decimal_t price = s_level_price (side, block, at), qty = s_level_qty (block, at);
        if (rescale) {
            int rc = vb_decimal_rescale (price, price_exponent, &price);
            if (rc == 0)
                rc = vb_decimal_rescale (qty, qty_exponent, &qty);
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
//  Append "px:sz" of the level `rank` places from the best of a side to
//  text, with a ':' first unless it is the first level of the string.
//  Returns the new length.

static size_t
s_okx_level (s_side_t *side, size_t rank, bool first, char *text, size_t length)
{
    size_t at;
    const s_block_t *block = s_side_rank (side, rank, &at);
    if (!first)
        text[length++] = ':';
    int size =
        vb_decimal_format (s_level_price (side, block, at), text + length, VB_DECIMAL_TEXT_MAX);
    assert (size > 0);
    length += (size_t)size;
    text[length++] = ':';
    size = vb_decimal_format (s_level_qty (block, at), text + length, VB_DECIMAL_TEXT_MAX);
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
            length = s_okx_level (&self->bids, index, first, text, length);
            first = false;
        }
        if (index < self->asks.count) {
            length = s_okx_level (&self->asks, index, first, text, length);
            first = false;
        }
        if (length == 0)
            break;
        crc = crc32 (crc, (const Bytef *)text, (uInt)length);
    }
    int64_t value = (int64_t)(uint32_t)crc;
    return (int32_t)(value > INT32_MAX ? value - S_TWO_POW_32 : value);
}
