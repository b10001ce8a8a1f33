/*  rt_live.c — the router's table of live orders, without allocation per order.

    Entries sit in chunks of S_CHUNK that never move; chunk pointers are in
    a growable array. Entry numbers (chunk * S_CHUNK + slot) are indexed by
    an open-addressing table (linear probing, FNV-1a of the id) holding
    number + 1, 0 for an empty slot and S_TOMBSTONE for a removed one. The
    index has at least twice as many slots as there are entries; when the
    free list is empty a new batch of chunks doubles the capacity and the
    index is rebuilt, and it is also rebuilt in place once tombstones pass
    a quarter of it.
    SPDX-License-Identifier: MPL-2.0
*/
#include <czmq.h>
#include <string.h>

#include "rt_live.h"

#define S_CHUNK       256  //  Entries per chunk
#define S_TOMBSTONE   UINT32_MAX
#define S_EMPTY       0
#define S_FNV_OFFSET  UINT32_C (2166136261)
#define S_FNV_PRIME   UINT32_C (16777619)
#define S_ENTRIES_MAX (UINT32_MAX / 4)  //  Entry numbers stay far from S_TOMBSTONE

struct _rt_live_t {
    rt_live_order_t **chunks;  //  chunk_count chunks of S_CHUNK entries
    size_t chunk_count;
    uint32_t *free_list;  //  Stack of free entry numbers (capacity slots)
    size_t free_count;
    uint32_t *index;    //  index_size slots: entry number + 1, S_EMPTY or S_TOMBSTONE
    size_t index_size;  //  A power of two
    size_t tombstones;  //  S_TOMBSTONE slots in index
    size_t size;        //  Entries in use
};

//  --------------------------------------------------------------------------
//  Entry by number; FNV-1a of an id.

static rt_live_order_t *
s_entry (rt_live_t *self, uint32_t number)
{
    return &self->chunks[number / S_CHUNK][number % S_CHUNK];
}

static uint32_t
s_hash (const char *id)
{
    uint32_t hash = S_FNV_OFFSET;
    for (const unsigned char *at = (const unsigned char *)id; *at; at++) {
        hash ^= *at;
        hash *= S_FNV_PRIME;
    }
    return hash;
}

//  --------------------------------------------------------------------------
//  Rebuild the index at size slots from the entries in use. Returns 0 or -1
//  (out of memory: the old index stays).

static int
s_reindex (rt_live_t *self, size_t size)
{
    uint32_t *index = (uint32_t *)calloc (size, sizeof (uint32_t));
    if (!index)
        return -1;
    size_t capacity = self->chunk_count * S_CHUNK;
    for (uint32_t number = 0; number < capacity; number++) {
        rt_live_order_t *entry = s_entry (self, number);
        if (!entry->used)
            continue;
        size_t slot = s_hash (entry->id) & (size - 1);
        while (index[slot] != S_EMPTY)
            slot = (slot + 1) & (size - 1);
        index[slot] = number + 1;
    }
    free (self->index);
    self->index = index;
    self->index_size = size;
    self->tombstones = 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Double the capacity (at least one chunk). Returns 0 or -1.

static int
s_grow (rt_live_t *self)
{
    size_t old_chunks = self->chunk_count;
    size_t new_chunks = old_chunks ? old_chunks * 2 : 1;
    if (new_chunks * S_CHUNK > S_ENTRIES_MAX)
        return -1;
    rt_live_order_t **chunks =
        (rt_live_order_t **)realloc (self->chunks, new_chunks * sizeof (rt_live_order_t *));
    if (!chunks)
        return -1;
    self->chunks = chunks;
    uint32_t *free_list =
        (uint32_t *)realloc (self->free_list, new_chunks * S_CHUNK * sizeof (uint32_t));
    if (!free_list)
        return -1;
    self->free_list = free_list;
    for (size_t chunk = old_chunks; chunk < new_chunks; chunk++) {
        self->chunks[chunk] = (rt_live_order_t *)calloc (S_CHUNK, sizeof (rt_live_order_t));
        if (!self->chunks[chunk])
            return -1;
        self->chunk_count = chunk + 1;
        //  Pushed in reverse so the lowest numbers are taken first
        for (size_t slot = S_CHUNK; slot > 0; slot--)
            self->free_list[self->free_count++] = (uint32_t)(chunk * S_CHUNK + slot - 1);
    }
    return s_reindex (self, self->chunk_count * S_CHUNK * 4);
}

//  --------------------------------------------------------------------------
//  The index slot holding id, or the index size when absent.

static size_t
s_slot_of (rt_live_t *self, const char *id)
{
    if (!self->index_size)
        return 0;
    size_t mask = self->index_size - 1;
    size_t slot = s_hash (id) & mask;
    for (size_t probes = 0; probes < self->index_size; probes++) {
        uint32_t value = self->index[slot];
        if (value == S_EMPTY)
            break;
        if (value != S_TOMBSTONE && strcmp (s_entry (self, value - 1)->id, id) == 0)
            return slot;
        slot = (slot + 1) & mask;
    }
    return self->index_size;
}

//  --------------------------------------------------------------------------

rt_live_t *
rt_live_new (void)
{
    rt_live_t *self = (rt_live_t *)zmalloc (sizeof (rt_live_t));
    if (s_grow (self) != 0)
        rt_live_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------

void
rt_live_destroy (rt_live_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rt_live_t *self = *self_p;
    for (size_t chunk = 0; chunk < self->chunk_count; chunk++)
        free (self->chunks[chunk]);
    free (self->chunks);
    free (self->free_list);
    free (self->index);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------

rt_live_order_t *
rt_live_find (rt_live_t *self, const char *id)
{
    assert (self);
    if (!id)
        return NULL;
    size_t slot = s_slot_of (self, id);
    return slot < self->index_size ? s_entry (self, self->index[slot] - 1) : NULL;
}

//  --------------------------------------------------------------------------

rt_live_order_t *
rt_live_add (rt_live_t *self, const char *id)
{
    assert (self);
    size_t length = id ? strnlen (id, VB_JOURNAL_ID_SIZE) : 0;
    if (length == 0 || length > VB_JOURNAL_ID_LEN || rt_live_find (self, id))
        return NULL;
    if (self->free_count == 0 && s_grow (self) != 0)
        return NULL;
    if (self->free_count == 0)
        return NULL;
    if (self->tombstones > self->index_size / 4 && s_reindex (self, self->index_size) != 0)
        return NULL;
    uint32_t number = self->free_list[--self->free_count];
    rt_live_order_t *entry = s_entry (self, number);
    memset (entry, 0, sizeof (*entry));
    memcpy (entry->id, id, length + 1);
    entry->used = true;
    size_t mask = self->index_size - 1;
    size_t slot = s_hash (id) & mask;
    while (self->index[slot] != S_EMPTY && self->index[slot] != S_TOMBSTONE)
        slot = (slot + 1) & mask;
    if (self->index[slot] == S_TOMBSTONE)
        self->tombstones--;
    self->index[slot] = number + 1;
    self->size++;
    return entry;
}

//  --------------------------------------------------------------------------

void
rt_live_remove (rt_live_t *self, rt_live_order_t *order)
{
    assert (self);
    if (!order || !order->used)
        return;
    size_t slot = s_slot_of (self, order->id);
    assert (slot < self->index_size);
    uint32_t number = self->index[slot] - 1;
    assert (s_entry (self, number) == order);
    self->index[slot] = S_TOMBSTONE;
    self->tombstones++;
    order->used = false;
    order->id[0] = '\0';
    self->free_list[self->free_count++] = number;
    self->size--;
}

//  --------------------------------------------------------------------------

size_t
rt_live_size (rt_live_t *self)
{
    assert (self);
    return self->size;
}

//  --------------------------------------------------------------------------

rt_live_order_t *
rt_live_next (rt_live_t *self, size_t *cursor)
{
    assert (self);
    assert (cursor);
    size_t capacity = self->chunk_count * S_CHUNK;
    while (*cursor < capacity) {
        rt_live_order_t *entry = s_entry (self, (uint32_t)(*cursor)++);
        if (entry->used)
            return entry;
    }
    return NULL;
}
