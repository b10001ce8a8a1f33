/*  registry.c — venue names -> market-data adapters (one line per venue).

    Services never name a venue: they look its adapter up by the name given
    in config (sqlite3_vfs_find style). An unknown name is a start-up error.
    Simulator personalities have their own table in registry_sim.c, because
    they link against the simulator core.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stddef.h>
#include <string.h>

#include "vb_md.h"

extern const vb_md_ops_t vb_binance_md_ops;
extern const vb_md_ops_t vb_kraken_md_ops;

//  Market-data adapters.
static const vb_md_ops_t *const s_md_venues[] = {
    &vb_binance_md_ops,
    &vb_kraken_md_ops,
};

//  --------------------------------------------------------------------------
//  Look a market-data adapter up by venue name; NULL when unknown.

const vb_md_ops_t *
vb_md_venue_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof (s_md_venues) / sizeof (s_md_venues[0]); i++)
        if (strcmp (s_md_venues[i]->name, name) == 0)
            return s_md_venues[i];
    return NULL;
}
