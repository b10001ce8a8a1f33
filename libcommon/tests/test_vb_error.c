/*  test_vb_error.c — VB_E* texts.
    SPDX-License-Identifier: MPL-2.0
*/
#include <criterion/criterion.h>
#include <string.h>
#include "vb_error.h"

Test (vb_error, names_every_code)
{
    cr_assert_str_eq (vb_strerror (VB_ECHECKSUM), "checksum mismatch");
    cr_assert_str_eq (vb_strerror (VB_EAUTH), "authentication failed");
    for (int code = VB_ESTATE; code <= VB_OK; code++)
        cr_assert_str_neq (vb_strerror (code), "unknown error", "code %d has no text", code);
}

Test (vb_error, unknown_code_has_generic_text)
{
    cr_assert_str_eq (vb_strerror (-9999), "unknown error");
    cr_assert_str_eq (vb_strerror (42), "unknown error");
}
