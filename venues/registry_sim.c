/*  registry_sim.c — venue names -> simulator personalities (one line per venue).

    Services never name a venue: they look its adapter up by the name given
    in config (sqlite3_vfs_find style). An unknown name is a start-up error.
    SPDX-License-Identifier: MPL-2.0
*/
#include <stddef.h>
#include <string.h>

#include "vb_sim.h"

extern const vb_sim_venue_ops_t vb_binance_sim_ops;
extern const vb_sim_venue_ops_t vb_kraken_sim_ops;

//  Simulator personalities.
static const vb_sim_venue_ops_t *const s_sim_venues[] = {
    &vb_binance_sim_ops,
    &vb_kraken_sim_ops,
};

//  --------------------------------------------------------------------------
//  Look a simulator personality up by venue name; NULL when unknown.

const vb_sim_venue_ops_t *
vb_sim_venue_find (const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof (s_sim_venues) / sizeof (s_sim_venues[0]); i++)
        if (strcmp (s_sim_venues[i]->name, name) == 0)
            return s_sim_venues[i];
    return NULL;
}
