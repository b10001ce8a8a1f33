/*  vbt_ws.h — a minimal blocking WebSocket client for tests (plain TCP).

    Connects, upgrades with a random Sec-WebSocket-Key, sends masked text
    frames and receives unfragmented frames with a timeout. Pings are
    answered with pongs automatically (and counted); a close frame ends the
    stream. Not for production: no TLS, no fragmentation, no extensions.
    SPDX-License-Identifier: MPL-2.0
*/
#ifndef VBT_WS_H_INCLUDED
#define VBT_WS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct _vbt_ws_t vbt_ws_t;

//  What vbt_ws_recv returns.
#define VBT_WS_TEXT    1   //  A text (or binary) message arrived
#define VBT_WS_CLOSED  0   //  The server sent a close frame or closed the socket
#define VBT_WS_TIMEOUT -1  //  Nothing within the timeout
#define VBT_WS_ERROR   -2  //  Protocol or socket error

//  Connect to host:port and upgrade on `path` (with any query). Returns the
//  client, or NULL; *status (may be NULL) gets the HTTP status of the
//  upgrade answer (101 on success, e.g. 404 when refused, 0 when there was
//  no answer).
vbt_ws_t *vbt_ws_connect (const char *host, int port, const char *path, int timeout_ms,
                          int *status);

//  Close the socket and free the client; *self_p = NULL. Safe to call twice.
void vbt_ws_destroy (vbt_ws_t **self_p);

//  Send one masked text frame. Returns 0 or -1.
int vbt_ws_send_text (vbt_ws_t *self, const char *text, size_t length);

//  Send raw bytes on the socket (for malformed-input tests). Returns 0 or -1.
int vbt_ws_send_raw (vbt_ws_t *self, const void *data, size_t length);

//  Send one masked binary frame. Returns 0 or -1.
int vbt_ws_send_binary (vbt_ws_t *self, const void *data, size_t length);

//  Status code of the server's close frame (e.g. 1009 for a message too
//  large), 0 while none has arrived or when it carried no code.
int vbt_ws_close_status (vbt_ws_t *self);

//  Wait up to timeout_ms for the next message. On VBT_WS_TEXT, *text
//  (NUL-terminated, borrowed until the next call) and *length are set.
//  Pings are answered on the way (unless auto-pong is off) and pongs skipped.
int vbt_ws_recv (vbt_ws_t *self, int timeout_ms, const char **text, size_t *length);

//  Pings received so far.
size_t vbt_ws_pings (vbt_ws_t *self);

//  Turn the automatic pong off (to test that the server drops silent clients).
void vbt_ws_set_auto_pong (vbt_ws_t *self, bool on);

#endif
