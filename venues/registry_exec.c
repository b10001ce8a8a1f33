/*  registry_exec.c — venue names -> execution adapters (one line per venue).

    The router looks an account's adapter up by the venue named in its
    config; an unknown name is a start-up error.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stddef.h>
#include <string.h>

#include "vb_exec.h"

extern const vb_exec_ops_t vb_binance_exec_ops;
extern const vb_exec_ops_t vb_kraken_exec_ops;

//  Execution adapters.
static const vb_exec_ops_t *const s_exec_venues[] = {
    &vb_binance_exec_ops,
    &vb_kraken_exec_ops,
};

//  --------------------------------------------------------------------------
//  Look an execution adapter up by venue name; NULL when unknown.

const vb_exec_ops_t *
vb_exec_venue_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof (s_exec_venues) / sizeof (s_exec_venues[0]); i++)
        if (strcmp (s_exec_venues[i]->name, name) == 0)
            return s_exec_venues[i];
    return NULL;
}
