/*  sim.c — kraken protocol personality for venuebus-sim (being written; placeholder so the tree
   links). SPDX-License-Identifier: MPL-2.0
*/
#include "vb_sim.h"

static const vb_sim_instrument_t *s_instruments (size_t *count)
{
    *count = 0;
    return NULL;
}

const vb_sim_venue_ops_t vb_kraken_sim_ops = {
    .name = "kraken",
    .instruments = s_instruments,
};
