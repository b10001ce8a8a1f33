/*  gw_server.h — the gateway: wires adapter, core, session, REST and snapshots.

    The server runs on the main thread, which is the lws loop thread and owns
    the PUB socket. It creates, in order: the adapter (looked up by venue
    name in venues/registry.c), the core (books, bus), the session (lws),
    the REST worker actor, the grant budget and the snapshot actor. The two
    actors wake the loop with lws_cancel_service; the loop then drains
    their answers (REST) and requests (snapshots).
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef GW_SERVER_H_INCLUDED
#define GW_SERVER_H_INCLUDED

#include <stddef.h>

#include "gw_config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _gw_server_t gw_server_t;

//  Build the gateway for the settings (borrowed; they must outlive it).
//  Returns NULL with a message in error naming what failed (unknown venue,
//  unknown symbol, endpoint that cannot be bound...).
gw_server_t *gw_server_new (const gw_settings_t *settings, char *error, size_t error_size);

//  Tear everything down in reverse order; set *self_p to NULL.
void gw_server_destroy (gw_server_t **self_p);

//  Connect and serve until SIGINT or SIGTERM. Prints the ready line
//  ("ready venue=V symbols=A,B") on stdout once every symbol is subscribed.
//  Returns 0 on a clean stop, -1 on failure.
int gw_server_run (gw_server_t *self);

#ifdef __cplusplus
}
#endif
#endif
