/*  vbt_ws_server.h — a scripted WebSocket server for hostile-input tests.

    Listens on 127.0.0.1 (an ephemeral port), accepts one client at a time,
    answers the HTTP upgrade (RFC 6455 Sec-WebSocket-Accept), then plays a
    script: send text or binary frames (any bytes, valid or not), or wait
    until the client has sent a text message containing a string. Client
    pings get pongs; a client that goes away is replaced by the next one,
    which hears the script again from the start. Once the script is done
    it sends an optional idle text (a heartbeat) at an interval, so a
    client does not call the stream stale. Runs on its own thread; not for
    production: no TLS, no fragmentation, no extensions.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VBT_WS_SERVER_H_INCLUDED
#define VBT_WS_SERVER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct _vbt_ws_server_t vbt_ws_server_t;

//  What one script step does.
typedef enum {
    VBT_WS_SEND_TEXT = 1,    //  Send data as one text frame (bytes as given)
    VBT_WS_SEND_BINARY = 2,  //  Send data as one binary frame
    VBT_WS_WAIT_TEXT = 3     //  Wait for a client text message containing data
} vbt_ws_step_kind_t;

typedef struct {
    vbt_ws_step_kind_t kind;  //  What to do
    const char *data;         //  Frame payload, or the text to wait for
    size_t length;            //  Payload bytes (0: strlen (data))
} vbt_ws_step_t;

//  Start listening and serving on a thread. The script (count steps) is
//  copied. idle_text (or NULL) is sent every idle_ms once the script is
//  done. Returns NULL if the socket or thread could not be set up.
vbt_ws_server_t *vbt_ws_server_new (const vbt_ws_step_t *script, size_t count,
                                    const char *idle_text, int idle_ms);

//  Stop the thread, close the sockets, free; *self_p = NULL. Safe twice.
void vbt_ws_server_destroy (vbt_ws_server_t **self_p);

//  The port it listens on.
int vbt_ws_server_port (vbt_ws_server_t *self);

//  Wait until a client has been played the whole script. Returns 0, or -1
//  at the timeout.
int vbt_ws_server_wait_done (vbt_ws_server_t *self, int timeout_ms);

//  Clients accepted (upgraded) so far, and frames sent by the script.
size_t vbt_ws_server_clients (vbt_ws_server_t *self);
size_t vbt_ws_server_frames_sent (vbt_ws_server_t *self);

#endif
