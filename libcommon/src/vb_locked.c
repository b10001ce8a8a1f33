/*  vb_locked.c — page-aligned, locked, undumpable memory for secrets.

    See vb_locked.h. The one place that maps, locks, wipes and unmaps
    secret memory; every holder of secrets embeds a vb_locked_buf_t.
    SPDX-License-Identifier: MPL-2.0
*/
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "vb_error.h"
#include "vb_locked.h"

#define S_PAGE_DEFAULT 4096  //  When sysconf cannot say

//  --------------------------------------------------------------------------
//  Map whole pages of private anonymous memory, keep them out of core dumps
//  and try to lock them.

int
vb_locked_alloc (vb_locked_buf_t *self, size_t size)
{
    assert (self);
    memset (self, 0, sizeof (*self));
    long page = sysconf (_SC_PAGESIZE);
    size_t page_size = page > 0 ? (size_t)page : S_PAGE_DEFAULT;
    //  Round up to whole pages, at least one, without overflowing.
    size_t pages = size / page_size + (size % page_size != 0);
    if (pages == 0)
        pages = 1;
    if (pages > SIZE_MAX / page_size)
        return VB_ENOMEM;
    size_t mapped = pages * page_size;
    void *data = mmap (NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED)
        return VB_ENOMEM;
#ifdef MADV_DONTDUMP
    //  Best effort: the services also turn core dumps off altogether.
    (void)madvise (data, mapped, MADV_DONTDUMP);
#endif
    self->data = (char *)data;
    self->size = size;
    self->mapped = mapped;
    self->locked = mlock (data, mapped) == 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Wipe, unlock and unmap. Accepts an empty buffer.

void
vb_locked_free (vb_locked_buf_t *self)
{
    assert (self);
    if (!self->data)
        return;
    OPENSSL_cleanse (self->data, self->mapped);
    if (self->locked)
        (void)munlock (self->data, self->mapped);
    (void)munmap (self->data, self->mapped);
    memset (self, 0, sizeof (*self));
}
