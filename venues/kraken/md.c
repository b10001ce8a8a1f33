/*  md.c — kraken market-data adapter for venuebus-gateway (being written; placeholder so the tree
   links). SPDX-License-Identifier: MPL-2.0
*/
#include "vb_md.h"

const vb_md_ops_t vb_kraken_md_ops = {
    .name = "kraken",
};
