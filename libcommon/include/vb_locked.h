/*  vb_locked.h — page-aligned, locked, undumpable memory for secrets.

    A small value type, embedded by value in the objects that hold secrets
    (credentials, tokens, keystore entries, the logger's redaction copies).
    vb_locked_alloc maps private anonymous pages, which the kernel hands out
    zeroed, keeps them out of core dumps (MADV_DONTDUMP, best effort) and
    tries to mlock them (best effort: without CAP_IPC_LOCK or under a low
    RLIMIT_MEMLOCK the pages stay unlocked, and `locked` says so).
    vb_locked_free wipes the whole mapping with OPENSSL_cleanse, unlocks and
    unmaps it.

    Neither function allocates from the heap, logs or touches shared state,
    so both may be used from any thread and from inside the logger.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VB_LOCKED_H_INCLUDED
#define VB_LOCKED_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

//  One mapping. A zeroed struct ({0}) is a valid empty buffer: freeing it
//  does nothing. Read the fields; only vb_locked_alloc and vb_locked_free
//  write them.
typedef struct {
    char *data;     //  Start of the mapping, or NULL when empty
    size_t size;    //  Bytes asked for; all of them are usable
    size_t mapped;  //  Bytes mapped: whole pages, at least size and one page
    bool locked;    //  mlock succeeded for the whole mapping
} vb_locked_buf_t;

//  Map at least size bytes (whole pages, at least one) of zeroed memory into
//  *self, which must be empty (zeroed or freed). Returns 0, or VB_ENOMEM
//  when the size cannot be rounded to pages or mmap fails; *self is then
//  left empty. An mlock failure is not an error: see self->locked.
int vb_locked_alloc (vb_locked_buf_t *self, size_t size);

//  Wipe the whole mapping, unlock and unmap it, and empty *self. Does
//  nothing for an empty buffer, so it is safe to call twice. self must not
//  point into its own mapping: copy such a struct out first.
void vb_locked_free (vb_locked_buf_t *self);

#ifdef __cplusplus
}
#endif
#endif
