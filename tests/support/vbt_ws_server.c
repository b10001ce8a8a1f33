/*  vbt_ws_server.c — a scripted WebSocket server for hostile-input tests.
    See vbt_ws_server.h.
    SPDX-License-Identifier: MPL-2.0
*/
#include <arpa/inet.h>
#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vbt_ws_server.h"

#define S_POLL_MS       50         //  Granularity of the service loop
#define S_REQUEST_MAX   8192       //  Upgrade request bytes accepted
#define S_HANDSHAKE_MS  5000       //  Bound for the upgrade request
#define S_HEARD_MAX     (1 << 20)  //  Client texts kept for WAIT steps
#define S_RX_MAX        (1 << 20)  //  Largest client frame accepted
#define S_KEY_MAX       128        //  Sec-WebSocket-Key length bound
#define S_SHA1_SIZE     20         //  SHA-1 digest bytes
#define S_OPCODE_TEXT   0x1
#define S_OPCODE_BINARY 0x2
#define S_OPCODE_CLOSE  0x8
#define S_OPCODE_PING   0x9
#define S_OPCODE_PONG   0xA
#define S_FIN           0x80
#define S_LENGTH_16     126  //  Payload length marker: 16-bit length follows
#define S_LENGTH_64     127  //  Payload length marker: 64-bit length follows
#define S_GUID          "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  //  RFC 6455

struct _vbt_ws_server_t {
    int listener;            //  Listening socket
    int port;                //  Its port
    pthread_t thread;        //  Service thread
    bool started;            //  Thread running
    pthread_mutex_t lock;    //  Guards the fields below
    pthread_cond_t changed;  //  Signalled when done or counters change
    bool stop;               //  Set by destroy
    bool done;               //  A client heard the whole script
    size_t clients;          //  Clients upgraded
    size_t frames_sent;      //  Script frames sent
    vbt_ws_step_t *script;   //  Copied steps
    char **payloads;         //  Copied step data
    size_t count;            //  Steps
    char *idle_text;         //  Or NULL
    int idle_ms;             //  Interval of idle_text
};

//  One client's state on the service thread.
typedef struct {
    int fd;               //  Socket, -1 when gone
    uint8_t *rx;          //  Unparsed bytes from the client
    size_t rx_length;     //  Bytes in rx
    char *heard;          //  Client texts, separated by '\n'
    size_t heard_length;  //  Bytes in heard
    size_t heard_from;    //  Where the next WAIT step searches
} s_client_t;

//  --------------------------------------------------------------------------
//  Socket helpers.

static bool
s_stopping (vbt_ws_server_t *self)
{
    pthread_mutex_lock (&self->lock);
    bool stop = self->stop;
    pthread_mutex_unlock (&self->lock);
    return stop;
}

static int
s_write_all (int fd, const void *data, size_t length)
{
    const uint8_t *at = (const uint8_t *)data;
    while (length > 0) {
        ssize_t sent = send (fd, at, length, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return -1;
        at += sent;
        length -= (size_t)sent;
    }
    return 0;
}

//  Send one unmasked frame.
static int
s_send_frame (int fd, int opcode, const void *data, size_t length)
{
    uint8_t header[10];
    size_t size = 0;
    header[size++] = (uint8_t)(S_FIN | opcode);
    if (length < S_LENGTH_16)
        header[size++] = (uint8_t)length;
    else if (length <= UINT16_MAX) {
        header[size++] = S_LENGTH_16;
        header[size++] = (uint8_t)(length >> 8);
        header[size++] = (uint8_t)length;
    } else {
        header[size++] = S_LENGTH_64;
        for (int shift = 56; shift >= 0; shift -= 8)
            header[size++] = (uint8_t)((uint64_t)length >> shift);
    }
    if (s_write_all (fd, header, size) < 0)
        return -1;
    return length ? s_write_all (fd, data, length) : 0;
}

//  --------------------------------------------------------------------------
//  The upgrade: read the request, answer 101 with Sec-WebSocket-Accept.

static int
s_handshake (vbt_ws_server_t *self, int fd)
{
    char request[S_REQUEST_MAX + 1] = "";
    size_t length = 0;
    int64_t deadline = zclock_mono () + S_HANDSHAKE_MS;
    while (!strstr (request, "\r\n\r\n")) {
        if (length == S_REQUEST_MAX || zclock_mono () > deadline || s_stopping (self))
            return -1;
        struct pollfd item = {.fd = fd, .events = POLLIN};
        if (poll (&item, 1, S_POLL_MS) <= 0)
            continue;
        ssize_t got = recv (fd, request + length, S_REQUEST_MAX - length, 0);
        if (got <= 0)
            return -1;
        length += (size_t)got;
        request[length] = 0;
    }
    const char *key = strcasestr (request, "\r\nSec-WebSocket-Key:");
    if (!key)
        return -1;
    key += strlen ("\r\nSec-WebSocket-Key:");
    while (*key == ' ')
        key++;
    size_t key_length = strcspn (key, "\r\n ");
    if (key_length == 0 || key_length > S_KEY_MAX)
        return -1;
    char joined[S_KEY_MAX + sizeof (S_GUID)];
    snprintf (joined, sizeof joined, "%.*s%s", (int)key_length, key, S_GUID);
    zdigest_t *digest = zdigest_new ();
    zarmour_t *armour = zarmour_new ();
    if (!digest || !armour) {
        zdigest_destroy (&digest);
        zarmour_destroy (&armour);
        return -1;
    }
    zdigest_update (digest, (const byte *)joined, strlen (joined));
    zarmour_set_mode (armour, ZARMOUR_MODE_BASE64_STD);
    zarmour_set_pad (armour, true);
    zarmour_set_line_breaks (armour, false);
    char *accept = zarmour_encode (armour, zdigest_data (digest), S_SHA1_SIZE);
    zdigest_destroy (&digest);
    zarmour_destroy (&armour);
    if (!accept)
        return -1;
    char answer[512];
    int size = snprintf (answer, sizeof answer,
                         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                         accept);
    zstr_free (&accept);
    return s_write_all (fd, answer, (size_t)size);
}

//  --------------------------------------------------------------------------
//  Keep a client text for WAIT steps (oldest dropped past the bound).

static void
s_heard (s_client_t *client, const uint8_t *text, size_t length)
{
    if (length + 1 > S_HEARD_MAX)
        length = S_HEARD_MAX - 1;
    if (client->heard_length + length + 1 > S_HEARD_MAX) {
        client->heard_length = 0;
        client->heard_from = 0;
    }
    memcpy (client->heard + client->heard_length, text, length);
    client->heard_length += length;
    client->heard[client->heard_length++] = '\n';
    client->heard[client->heard_length] = 0;
}

//  --------------------------------------------------------------------------
//  Parse the client's complete frames: texts kept, pings answered, close
//  ends the client. Returns 0, or -1 when the client is gone or broke the
//  protocol.

static int
s_parse (s_client_t *client)
{
    while (client->rx_length >= 2) {
        const uint8_t *at = client->rx;
        int opcode = at[0] & 0x0F;
        bool masked = (at[1] & 0x80) != 0;
        uint64_t length = at[1] & 0x7F;
        size_t header = 2;
        if (length == S_LENGTH_16) {
            if (client->rx_length < 4)
                return 0;
            length = ((uint64_t)at[2] << 8) | at[3];
            header = 4;
        } else if (length == S_LENGTH_64) {
            if (client->rx_length < 10)
                return 0;
            length = 0;
            for (int index = 2; index < 10; index++)
                length = (length << 8) | at[index];
            header = 10;
        }
        if (!masked || length > S_RX_MAX)
            return -1;  //  Clients must mask (RFC 6455 5.3)
        if (client->rx_length < header + 4 + length)
            return 0;
        uint8_t *payload = client->rx + header + 4;
        const uint8_t *mask = client->rx + header;
        for (size_t index = 0; index < length; index++)
            payload[index] ^= mask[index % 4];
        if (opcode == S_OPCODE_TEXT || opcode == S_OPCODE_BINARY)
            s_heard (client, payload, (size_t)length);
        else if (opcode == S_OPCODE_PING) {
            if (s_send_frame (client->fd, S_OPCODE_PONG, payload, (size_t)length) < 0)
                return -1;
        } else if (opcode == S_OPCODE_CLOSE) {
            s_send_frame (client->fd, S_OPCODE_CLOSE, payload, length >= 2 ? 2 : 0);
            return -1;
        }
        size_t used = header + 4 + (size_t)length;
        memmove (client->rx, client->rx + used, client->rx_length - used);
        client->rx_length -= used;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Read what the client sent within timeout_ms. Returns 0 or -1 (gone).

static int
s_read (s_client_t *client, int timeout_ms)
{
    struct pollfd item = {.fd = client->fd, .events = POLLIN};
    int ready = poll (&item, 1, timeout_ms);
    if (ready <= 0)
        return ready < 0 && errno != EINTR ? -1 : 0;
    if (client->rx_length == S_RX_MAX + 16)
        return -1;
    ssize_t got =
        recv (client->fd, client->rx + client->rx_length, S_RX_MAX + 16 - client->rx_length, 0);
    if (got <= 0)
        return -1;
    client->rx_length += (size_t)got;
    return s_parse (client);
}

//  --------------------------------------------------------------------------
//  Mark the script played (wakes vbt_ws_server_wait_done).

static void
s_mark_done (vbt_ws_server_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->done = true;
    pthread_cond_broadcast (&self->changed);
    pthread_mutex_unlock (&self->lock);
}

//  --------------------------------------------------------------------------
//  Play the script to one client, then idle until it goes or we stop.

static void
s_serve (vbt_ws_server_t *self, s_client_t *client)
{
    size_t step = 0;
    int64_t next_idle = 0;
    while (!s_stopping (self)) {
        if (step < self->count) {
            const vbt_ws_step_t *one = &self->script[step];
            if (one->kind == VBT_WS_WAIT_TEXT) {
                char *found = client->heard_length ? strstr (client->heard + client->heard_from,
                                                             self->payloads[step])
                                                   : NULL;
                if (found) {
                    client->heard_from = (size_t)(found - client->heard) + one->length;
                    if (++step == self->count)
                        s_mark_done (self);
                    continue;
                }
            } else {
                int opcode = one->kind == VBT_WS_SEND_TEXT ? S_OPCODE_TEXT : S_OPCODE_BINARY;
                if (s_send_frame (client->fd, opcode, self->payloads[step], one->length) < 0)
                    return;
                pthread_mutex_lock (&self->lock);
                self->frames_sent++;
                pthread_mutex_unlock (&self->lock);
                if (++step == self->count)
                    s_mark_done (self);
                continue;
            }
        } else if (self->idle_text && zclock_mono () >= next_idle) {
            if (s_send_frame (client->fd, S_OPCODE_TEXT, self->idle_text,
                              strlen (self->idle_text)) < 0)
                return;
            next_idle = zclock_mono () + self->idle_ms;
        }
        if (s_read (client, S_POLL_MS) < 0)
            return;
    }
}

//  --------------------------------------------------------------------------
//  The service thread: accept, upgrade, serve, repeat.

static void *
s_run (void *arg)
{
    vbt_ws_server_t *self = (vbt_ws_server_t *)arg;
    s_client_t client = {.fd = -1};
    client.rx = (uint8_t *)malloc (S_RX_MAX + 16);
    client.heard = (char *)malloc (S_HEARD_MAX + 1);
    while (client.rx && client.heard && !s_stopping (self)) {
        struct pollfd item = {.fd = self->listener, .events = POLLIN};
        if (poll (&item, 1, S_POLL_MS) <= 0)
            continue;
        client.fd = accept (self->listener, NULL, NULL);
        if (client.fd < 0)
            continue;
        client.rx_length = client.heard_length = client.heard_from = 0;
        client.heard[0] = 0;
        if (s_handshake (self, client.fd) == 0) {
            pthread_mutex_lock (&self->lock);
            self->clients++;
            pthread_cond_broadcast (&self->changed);
            pthread_mutex_unlock (&self->lock);
            s_serve (self, &client);
        }
        close (client.fd);
        client.fd = -1;
    }
    free (client.rx);
    free (client.heard);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Constructor and destructor.

vbt_ws_server_t *
vbt_ws_server_new (const vbt_ws_step_t *script, size_t count, const char *idle_text, int idle_ms)
{
    vbt_ws_server_t *self = (vbt_ws_server_t *)zmalloc (sizeof (vbt_ws_server_t));
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->changed, NULL);
    self->listener = -1;
    self->count = count;
    self->script = (vbt_ws_step_t *)zmalloc ((count + 1) * sizeof (vbt_ws_step_t));
    self->payloads = (char **)zmalloc ((count + 1) * sizeof (char *));
    bool ok = self->script && self->payloads;
    for (size_t index = 0; ok && index < count; index++) {
        self->script[index] = script[index];
        size_t length = script[index].length ? script[index].length : strlen (script[index].data);
        self->script[index].length = length;
        self->payloads[index] = (char *)malloc (length + 1);
        ok = self->payloads[index] != NULL;
        if (ok) {
            memcpy (self->payloads[index], script[index].data, length);
            self->payloads[index][length] = 0;
        }
    }
    self->idle_ms = idle_ms;
    if (ok && idle_text)
        ok = (self->idle_text = strdup (idle_text)) != NULL;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (ok)
        ok = (self->listener = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
             bind (self->listener, (struct sockaddr *)&address, sizeof address) == 0 &&
             listen (self->listener, 4) == 0 &&
             getsockname (self->listener, (struct sockaddr *)&address, &size) == 0;
    if (ok) {
        self->port = ntohs (address.sin_port);
        ok = self->started = pthread_create (&self->thread, NULL, s_run, self) == 0;
    }
    if (!ok)
        vbt_ws_server_destroy (&self);
    return self;
}

void
vbt_ws_server_destroy (vbt_ws_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vbt_ws_server_t *self = *self_p;
    pthread_mutex_lock (&self->lock);
    self->stop = true;
    pthread_mutex_unlock (&self->lock);
    if (self->started)
        pthread_join (self->thread, NULL);
    if (self->listener >= 0)
        close (self->listener);
    for (size_t index = 0; self->payloads && index < self->count; index++)
        free (self->payloads[index]);
    free (self->payloads);
    free (self->script);
    free (self->idle_text);
    pthread_cond_destroy (&self->changed);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Accessors.

int
vbt_ws_server_port (vbt_ws_server_t *self)
{
    return self->port;
}

int
vbt_ws_server_wait_done (vbt_ws_server_t *self, int timeout_ms)
{
    struct timespec until;
    clock_gettime (CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock (&self->lock);
    int rc = 0;
    while (!self->done && rc == 0)
        rc = pthread_cond_timedwait (&self->changed, &self->lock, &until);
    bool done = self->done;
    pthread_mutex_unlock (&self->lock);
    return done ? 0 : -1;
}

size_t
vbt_ws_server_clients (vbt_ws_server_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t clients = self->clients;
    pthread_mutex_unlock (&self->lock);
    return clients;
}

size_t
vbt_ws_server_frames_sent (vbt_ws_server_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t sent = self->frames_sent;
    pthread_mutex_unlock (&self->lock);
    return sent;
}
