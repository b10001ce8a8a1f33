/*  test_vb_locked.c — page-aligned, locked, undumpable memory for secrets.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "vb_error.h"
#include "vb_locked.h"

//  The page size, from the system rather than from the code under test.
static size_t
s_page_size (void)
{
    long page = sysconf (_SC_PAGESIZE);
    cr_assert_gt (page, 0);
    return (size_t)page;
}

Test (vb_locked, holds_a_secret_and_empties_on_free)
{
    //  Usage: embed a buffer by value, start it zeroed, allocate, use, free.
    vb_locked_buf_t buffer = {0};
    cr_assert_eq (vb_locked_alloc (&buffer, 64), 0);
    cr_assert_not_null (buffer.data);
    cr_assert_eq (buffer.size, 64);
    memcpy (buffer.data, "hunter2", sizeof ("hunter2"));
    cr_assert_str_eq (buffer.data, "hunter2");
    vb_locked_free (&buffer);
    //  Only the struct is looked at after the free, never the memory.
    cr_assert_null (buffer.data);
    cr_assert_eq (buffer.size, 0);
    cr_assert_eq (buffer.mapped, 0);
    cr_assert_not (buffer.locked);
}

Test (vb_locked, memory_starts_zeroed)
{
    vb_locked_buf_t buffer = {0};
    size_t size = 3 * s_page_size () + 17;
    cr_assert_eq (vb_locked_alloc (&buffer, size), 0);
    for (size_t index = 0; index < buffer.mapped; index++)
        cr_assert_eq (buffer.data[index], 0, "byte %zu is not zero", index);
    vb_locked_free (&buffer);
}

Test (vb_locked, maps_whole_pages_covering_the_size)
{
    size_t page = s_page_size ();
    //  Sizes against the expected mapping: whole pages, at least one.
    const struct {
        size_t size;
        size_t pages;
    } cases[] = {{0, 1}, {1, 1}, {page - 1, 1}, {page, 1}, {page + 1, 2}, {5 * page, 5}};
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases[0]); index++) {
        vb_locked_buf_t buffer = {0};
        cr_assert_eq (vb_locked_alloc (&buffer, cases[index].size), 0);
        cr_assert_eq (buffer.size, cases[index].size);
        cr_assert_eq (buffer.mapped, cases[index].pages * page, "size %zu", cases[index].size);
        cr_assert_eq ((uintptr_t)buffer.data % page, 0, "mapping is not page-aligned");
        //  Every mapped byte is writable.
        memset (buffer.data, 0xa5, buffer.mapped);
        vb_locked_free (&buffer);
        cr_assert_null (buffer.data);
    }
}

Test (vb_locked, free_is_safe_twice_and_on_an_empty_buffer)
{
    vb_locked_buf_t empty = {0};
    vb_locked_free (&empty);
    cr_assert_null (empty.data);

    vb_locked_buf_t buffer = {0};
    cr_assert_eq (vb_locked_alloc (&buffer, 32), 0);
    vb_locked_free (&buffer);
    vb_locked_free (&buffer);
    cr_assert_null (buffer.data);
    cr_assert_eq (buffer.mapped, 0);
}

Test (vb_locked, huge_sizes_fail_with_an_empty_buffer)
{
    //  SIZE_MAX cannot be rounded up to a page; SIZE_MAX / 2 rounds but no
    //  address space can hold it.
    const size_t sizes[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX / 2};
    for (size_t index = 0; index < sizeof (sizes) / sizeof (sizes[0]); index++) {
        vb_locked_buf_t buffer = {0};
        cr_assert_eq (vb_locked_alloc (&buffer, sizes[index]), VB_ENOMEM);
        cr_assert_null (buffer.data);
        cr_assert_eq (buffer.size, 0);
        cr_assert_eq (buffer.mapped, 0);
        cr_assert_not (buffer.locked);
        vb_locked_free (&buffer);
    }
}

Test (vb_locked, buffers_are_independent)
{
    vb_locked_buf_t first = {0};
    vb_locked_buf_t second = {0};
    cr_assert_eq (vb_locked_alloc (&first, 16), 0);
    cr_assert_eq (vb_locked_alloc (&second, 16), 0);
    cr_assert_neq (first.data, second.data);
    memset (first.data, 'a', 16);
    //  Freeing one leaves the other intact.
    vb_locked_free (&first);
    for (size_t index = 0; index < second.size; index++)
        cr_assert_eq (second.data[index], 0);
    vb_locked_free (&second);
}
