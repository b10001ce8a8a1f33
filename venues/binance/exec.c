/*  exec.c — binance execution adapter for venuebus-router (being written; placeholder so the tree
   links). SPDX-License-Identifier: MPL-2.0
*/
#include "vb_exec.h"

const vb_exec_ops_t vb_binance_exec_ops = {
    .name = "binance",
};
