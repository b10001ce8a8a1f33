/*  vbt_ws.c — minimal blocking WebSocket client for tests (RFC 6455 subset).
    SPDX-License-Identifier: MPL-2.0
*/
#include "vbt_ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VBT_WS_HANDSHAKE_MAX 8192
#define VBT_WS_KEY_BYTES     16
#define VBT_WS_READ_CHUNK    65536
#define VBT_WS_OP_TEXT       0x1
#define VBT_WS_OP_BINARY     0x2
#define VBT_WS_OP_CLOSE      0x8
#define VBT_WS_OP_PING       0x9
#define VBT_WS_OP_PONG       0xA

struct _vbt_ws_t {
    int fd;              //  Socket
    unsigned char *in;   //  Bytes read, not yet consumed
    size_t in_length;    //  Used
    size_t in_start;     //  Offset of the first unconsumed byte
    size_t in_capacity;  //  Allocated
    char *message;       //  Last message, NUL-terminated
    size_t pings;        //  Pings seen
    bool auto_pong;      //  Answer pings
    int close_status;    //  Code of the server's close frame, 0 if none
};

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void
s_base64 (const unsigned char *data, size_t length, char *out)
{
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < length; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < length)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < length)
            v |= data[i + 2];
        out[o++] = table[(v >> 18) & 63];
        out[o++] = table[(v >> 12) & 63];
        out[o++] = i + 1 < length ? table[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < length ? table[v & 63] : '=';
    }
    out[o] = '\0';
}

static int
s_send_all (int fd, const void *data, size_t length)
{
    const char *p = data;
    while (length) {
        ssize_t sent = send (fd, p, length, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return -1;
        p += sent;
        length -= (size_t)sent;
    }
    return 0;
}

//  Read more bytes into the buffer, waiting until the deadline. Returns
//  1 (got bytes), 0 (peer closed), VBT_WS_TIMEOUT or VBT_WS_ERROR.
static int
s_fill (vbt_ws_t *self, int64_t deadline_ms)
{
    int64_t left = deadline_ms - s_now_ms ();
    if (left < 0)
        left = 0;
    struct pollfd item = {.fd = self->fd, .events = POLLIN};
    int ready = poll (&item, 1, (int)left);
    if (ready == 0)
        return VBT_WS_TIMEOUT;
    if (ready < 0)
        return errno == EINTR ? VBT_WS_TIMEOUT : VBT_WS_ERROR;
    if (self->in_start > 0 && self->in_start == self->in_length)
        self->in_start = self->in_length = 0;
    if (self->in_capacity - self->in_length < VBT_WS_READ_CHUNK) {
        if (self->in_start > 0) {
            memmove (self->in, self->in + self->in_start, self->in_length - self->in_start);
            self->in_length -= self->in_start;
            self->in_start = 0;
        }
        if (self->in_capacity - self->in_length < VBT_WS_READ_CHUNK) {
            size_t capacity = self->in_capacity * 2 + VBT_WS_READ_CHUNK;
            unsigned char *grown = realloc (self->in, capacity);
            if (!grown)
                return VBT_WS_ERROR;
            self->in = grown;
            self->in_capacity = capacity;
        }
    }
    ssize_t got =
        recv (self->fd, self->in + self->in_length, self->in_capacity - self->in_length, 0);
    if (got < 0)
        return errno == EINTR ? VBT_WS_TIMEOUT : VBT_WS_ERROR;
    if (got == 0)
        return 0;
    self->in_length += (size_t)got;
    return 1;
}

//  Send one masked frame.
static int
s_send_frame (vbt_ws_t *self, int opcode, const void *data, size_t length)
{
    unsigned char header[14];
    size_t used = 0;
    header[used++] = (unsigned char)(0x80 | opcode);
    if (length < 126)
        header[used++] = (unsigned char)(0x80 | length);
    else if (length <= 0xffff) {
        header[used++] = 0x80 | 126;
        header[used++] = (unsigned char)(length >> 8);
        header[used++] = (unsigned char)length;
    } else {
        header[used++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            header[used++] = (unsigned char)((uint64_t)length >> (8 * i));
    }
    unsigned char mask[4];
    if (getrandom (mask, sizeof mask, 0) != sizeof mask)
        return -1;
    memcpy (header + used, mask, 4);
    used += 4;
    unsigned char *frame = malloc (used + length);
    if (!frame)
        return -1;
    memcpy (frame, header, used);
    const unsigned char *payload = data;
    for (size_t i = 0; i < length; i++)
        frame[used + i] = payload[i] ^ mask[i % 4];
    int rc = s_send_all (self->fd, frame, used + length);
    free (frame);
    return rc;
}

vbt_ws_t *
vbt_ws_connect (const char *host, int port, const char *path, int timeout_ms, int *status)
{
    if (status)
        *status = 0;
    char service[16];
    snprintf (service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *found = NULL;
    if (getaddrinfo (host, service, &hints, &found) != 0 || !found)
        return NULL;
    int fd = socket (found->ai_family, found->ai_socktype, found->ai_protocol);
    if (fd < 0 || connect (fd, found->ai_addr, found->ai_addrlen) != 0) {
        freeaddrinfo (found);
        if (fd >= 0)
            close (fd);
        return NULL;
    }
    freeaddrinfo (found);
    vbt_ws_t *self = calloc (1, sizeof (vbt_ws_t));
    if (!self) {
        close (fd);
        return NULL;
    }
    self->fd = fd;
    self->auto_pong = true;
    unsigned char key[VBT_WS_KEY_BYTES];
    char key_text[32];
    if (getrandom (key, sizeof key, 0) != sizeof key)
        goto failed;
    s_base64 (key, sizeof key, key_text);
    char request[VBT_WS_HANDSHAKE_MAX];
    int length = snprintf (request, sizeof request,
                           "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n",
                           path, host, port, key_text);
    if (length <= 0 || (size_t)length >= sizeof request ||
        s_send_all (fd, request, (size_t)length) != 0)
        goto failed;
    //  Read the answer up to the blank line; frames may follow in the same read.
    int64_t deadline = s_now_ms () + timeout_ms;
    char *end = NULL;
    while (!end) {
        int got = s_fill (self, deadline);
        if (self->in_length >= 4)
            end = memmem (self->in, self->in_length, "\r\n\r\n", 4);
        if (got != 1 && !end)
            break;
    }
    int code = 0;
    if (self->in_length > 0) {
        char line[64];
        size_t copied = self->in_length < sizeof line - 1 ? self->in_length : sizeof line - 1;
        memcpy (line, self->in, copied);
        line[copied] = 0;
        if (sscanf (line, "HTTP/1.%*d %d", &code) != 1)
            code = 0;
    }
    if (status)
        *status = code;
    if (code != 101 || !end)
        goto failed;
    self->in_start = (size_t)((unsigned char *)end + 4 - self->in);
    return self;
failed:
    vbt_ws_destroy (&self);
    return NULL;
}

void
vbt_ws_destroy (vbt_ws_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vbt_ws_t *self = *self_p;
    close (self->fd);
    free (self->in);
    free (self->message);
    free (self);
    *self_p = NULL;
}

int
vbt_ws_send_text (vbt_ws_t *self, const char *text, size_t length)
{
    return s_send_frame (self, VBT_WS_OP_TEXT, text, length);
}

int
vbt_ws_send_raw (vbt_ws_t *self, const void *data, size_t length)
{
    return s_send_all (self->fd, data, length);
}

int
vbt_ws_send_binary (vbt_ws_t *self, const void *data, size_t length)
{
    return s_send_frame (self, VBT_WS_OP_BINARY, data, length);
}

int
vbt_ws_close_status (vbt_ws_t *self)
{
    return self->close_status;
}

int
vbt_ws_recv (vbt_ws_t *self, int timeout_ms, const char **text, size_t *length)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    while (true) {
        size_t have = self->in_length - self->in_start;
        const unsigned char *p = self->in + self->in_start;
        if (have >= 2) {
            int opcode = p[0] & 0x0f;
            bool masked = p[1] & 0x80;
            uint64_t payload = p[1] & 0x7f;
            size_t header = 2;
            if (payload == 126 && have >= 4) {
                payload = ((uint64_t)p[2] << 8) | p[3];
                header = 4;
            } else if (payload == 127 && have >= 10) {
                payload = 0;
                for (int i = 0; i < 8; i++)
                    payload = (payload << 8) | p[2 + i];
                header = 10;
            } else if (payload >= 126)
                header = 0;  //  Need more bytes for the length
            if (masked)
                return VBT_WS_ERROR;  //  Servers never mask
            if (header && have >= header + payload) {
                const unsigned char *data = p + header;
                self->in_start += header + (size_t)payload;
                if (opcode == VBT_WS_OP_PING) {
                    self->pings++;
                    if (self->auto_pong &&
                        s_send_frame (self, VBT_WS_OP_PONG, data, (size_t)payload) != 0)
                        return VBT_WS_ERROR;
                    continue;
                }
                if (opcode == VBT_WS_OP_PONG)
                    continue;
                if (opcode == VBT_WS_OP_CLOSE) {
                    if (payload >= 2)
                        self->close_status = (data[0] << 8) | data[1];
                    return VBT_WS_CLOSED;
                }
                if (opcode != VBT_WS_OP_TEXT && opcode != VBT_WS_OP_BINARY)
                    return VBT_WS_ERROR;
                char *message = realloc (self->message, (size_t)payload + 1);
                if (!message)
                    return VBT_WS_ERROR;
                memcpy (message, data, (size_t)payload);
                message[payload] = '\0';
                self->message = message;
                if (text)
                    *text = message;
                if (length)
                    *length = (size_t)payload;
                return VBT_WS_TEXT;
            }
        }
        int rc = s_fill (self, deadline);
        if (rc == 0)
            return VBT_WS_CLOSED;
        if (rc < 0)
            return rc;
    }
}

size_t
vbt_ws_pings (vbt_ws_t *self)
{
    return self->pings;
}

void
vbt_ws_set_auto_pong (vbt_ws_t *self, bool on)
{
    self->auto_pong = on;
}
